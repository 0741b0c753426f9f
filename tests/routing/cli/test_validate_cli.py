"""The `nearshore validate`, `network` and `solve --network` commands on good and bad folders.

Exit codes are tested through ``routing.cli.main.main`` (which turns errors into one-line messages and
returns the code); ``CliRunner`` on the bare ``cli`` group shows click's own behaviour.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from networks import NetworkError, read_network
from routing.cli.main import EXIT_BAD_INPUT, EXIT_OK, cli, main

REPO = Path(__file__).parents[3]
BAD = REPO / "tests" / "data" / "bad"
BAD_FOLDERS = sorted(p for p in BAD.iterdir() if p.is_dir())


def run(capsys, *args: str) -> tuple[int, list[str], list[str]]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_validate_good_folder_prints_one_ok_line(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, err = run(capsys, "validate", "tests/data/two_routes")
    assert code == EXIT_OK
    assert out == ["ok: tests/data/two_routes: 4 nodes, 4 links, 1 commodities, 1 supply rows, 1 demand rows"]
    assert err == []


def test_validate_bad_folder_prints_one_error_line_per_problem(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, err = run(capsys, "validate", "tests/data/bad/negative_capacity")
    assert code == EXIT_BAD_INPUT
    assert out == []
    assert err == ["error: tests/data/bad/negative_capacity/links.csv row 4 (B1-M): "
                   "capacity_loads_per_day: must be >= 0 (got '-5')"]


@pytest.mark.parametrize("folder", BAD_FOLDERS, ids=[p.name for p in BAD_FOLDERS])
def test_validate_every_bad_folder_exits_2(capsys, folder):
    with pytest.raises(NetworkError) as info:
        read_network(folder)
    code, out, err = run(capsys, "validate", folder)
    assert code == EXIT_BAD_INPUT
    assert out == []
    assert len(err) == len(info.value.problems)  # one line per problem, nothing else
    assert all(line.startswith(f"error: {folder}/") for line in err)  # names the file, under its folder
    for line, problem in zip(err, info.value.problems, strict=True):
        assert line == f"error: {folder}/{problem}"
        if problem.row is not None:
            assert f"{problem.file} row {problem.row} " in line
    fragment = (folder / "expected.txt").read_text(encoding="utf-8").strip()
    assert any(fragment in line for line in err)


def test_validate_missing_folder_exits_2(capsys, tmp_path):
    code, out, err = run(capsys, "validate", tmp_path / "nowhere")
    assert code == EXIT_BAD_INPUT
    assert out == []
    assert err == [f"error: {tmp_path / 'nowhere'}: not a folder"]


def test_validate_without_argument_is_a_usage_error(capsys):
    code, _, err = run(capsys, "validate")
    assert code == EXIT_BAD_INPUT
    assert any("Missing argument" in line for line in err)


def test_debug_shows_the_exception(capsys):
    with pytest.raises(NetworkError):
        main(["--debug", "validate", str(BAD / "negative_capacity")])


def test_network_writes_geojson(capsys, tmp_path, two_routes):
    target = tmp_path / "maps" / "out.geojson"
    code, out, err = run(capsys, "network", two_routes, "--geojson", target)
    assert code == EXIT_OK
    assert out[0] == "Network('two_routes': 4 nodes, 4 links, 1 commodities)"
    assert err == [f"wrote {target}"]
    doc = json.loads(target.read_text(encoding="utf-8"))  # strict JSON: no NaN/Infinity
    assert doc["type"] == "FeatureCollection"
    features = doc["features"]
    assert all(f["type"] == "Feature" and isinstance(f["properties"], dict) for f in features)
    points = {f["properties"]["id"]: f["geometry"] for f in features if f["geometry"]["type"] == "Point"}
    lines = {f["properties"]["id"]: f["geometry"] for f in features if f["geometry"]["type"] == "LineString"}
    assert len(points) == 4 and len(lines) == 4 and len(features) == 8
    assert points["P"]["coordinates"] == [-100.3, 25.7]  # GeoJSON order: lon, lat
    assert lines["P-B1"]["coordinates"] == [[-100.3, 25.7], [-99.5, 27.5]]
    for geometry in lines.values():
        assert len(geometry["coordinates"]) == 2
        assert all(len(pos) == 2 and all(isinstance(v, float) for v in pos) for pos in geometry["coordinates"])


@pytest.mark.parametrize("folder", ["negative_capacity", "missing_file", "unreachable_market"])
def test_solve_on_bad_network_exits_2_without_traceback(capsys, folder):
    code, out, err = run(capsys, "solve", "--network", BAD / folder)
    assert code == EXIT_BAD_INPUT
    assert out == []
    assert err and all(line.startswith("error: ") for line in err)
    assert "Traceback" not in "\n".join(err)


# --- CliRunner on the click group itself ---------------------------------------------------------


def test_clirunner_validate_good_folder(two_routes):
    result = CliRunner().invoke(cli, ["validate", str(two_routes)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"ok: {two_routes}: 4 nodes, 4 links, 1 commodities, 1 supply rows, 1 demand rows"]


def test_clirunner_bad_folder_raises_network_error():
    # the bare group does not format input errors: that is main()'s job
    result = CliRunner().invoke(cli, ["validate", str(BAD / "negative_capacity")])
    assert result.exit_code != 0
    assert isinstance(result.exception, NetworkError)
    assert "links.csv row 4 (B1-M)" in str(result.exception)


def test_clirunner_network_geojson(tmp_path, two_routes):
    target = tmp_path / "out.geojson"
    result = CliRunner().invoke(cli, ["network", str(two_routes), "--geojson", str(target)])
    assert result.exit_code == 0, result.output
    kinds = [f["geometry"]["type"] for f in json.loads(target.read_text(encoding="utf-8"))["features"]]
    assert sorted(kinds) == ["LineString"] * 4 + ["Point"] * 4


def test_clirunner_usage_error_exits_2():
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr
