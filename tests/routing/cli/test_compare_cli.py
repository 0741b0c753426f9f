"""`nearshore compare` through ``routing.cli.main.main``: formats, JSON keys, the plot, exit codes and
one-line errors naming the file and row of bad variability or tariff data."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from routing.cli.compare import compare
from routing.cli.main import EXIT_BAD_INPUT, EXIT_OK, cli, main

DATA = Path(__file__).parents[2] / "data"
SMALL = DATA / "compare_small"
REQUIRED_KEYS = {"market", "market_name", "commodity", "sourcing", "origin", "route", "crossing", "p50_days",
                 "p95_days", "p99_days", "mean_days", "pipeline_loads", "pipeline_value_usd", "safety_stock_days",
                 "landed_cost_usd_per_load"}
BAD_DATA = ["negative_p95", "p95_below_typical", "dwell_p95_below_typical", "delay_prob_above_one",
            "delay_prob_negative", "delay_without_hours", "spread_without_typical", "tariff_negative_duty",
            "tariff_unknown_commodity", "tariff_unknown_country"]

if "compare" not in cli.commands:  # routing.cli.main registers it; the tests do not depend on that having happened
    cli.add_command(compare)


def run(capsys, *args: object) -> tuple[int, str, list[str]]:
    code = main(["compare", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def test_json_is_a_list_of_rows_with_the_documented_keys(capsys):
    code, out, err = run(capsys, "--network", SMALL, "--format", "json", "--samples", 2000, "--objective", "lead_time")
    assert code == EXIT_OK and err == []
    rows = json.loads(out)
    assert [r["sourcing"] for r in rows] == ["asia", "mexico"]
    for row in rows:
        assert REQUIRED_KEYS <= row.keys()
        assert row["market"] == "M" and row["market_name"] == "Market" and row["commodity"] == "widgets"
    assert (rows[0]["route"], rows[0]["crossing"], rows[1]["crossing"]) == ("O>S>M", None, "B")
    assert rows[0]["p50_days"] > rows[1]["p99_days"]


def test_csv_has_one_header_and_a_row_per_sourcing(capsys):
    code, out, _ = run(capsys, "--network", SMALL, "--format", "csv", "--samples", 500, "--seed", 3)
    assert code == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2 and REQUIRED_KEYS <= rows[0].keys()
    assert float(rows[0]["landed_cost_usd_per_load"]) > float(rows[1]["landed_cost_usd_per_load"])


def test_the_table_shows_both_sides_and_the_difference(capsys):
    code, out, _ = run(capsys, "--network", SMALL, "--samples", 500, "--service-level", 0.9, "--carrying-rate", 0.3)
    assert code == EXIT_OK
    assert "service level 90%, carrying 30%/year, 500 samples (seed 0)" in out
    assert "M Market" in out
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in out.splitlines() if line.startswith("| ")]
    assert [r[:3] for r in rows[1:]] == [["widgets", "asia", "O"], ["widgets", "mexico", "P"],
                                         ["widgets", "asia-mex", ""]]  # the header, then both sides and the difference
    assert {"p50 d", "bound d", "gain %", "landed"} <= set(rows[0])


@pytest.mark.parametrize("width", [60, 90, 140])
def test_the_table_fits_the_terminal_and_never_splits_a_word(capsys, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = run(capsys, "--network", SMALL, "--samples", 500)
    assert code == EXIT_OK
    assert max(map(len, out.splitlines())) <= width
    words = {w for line in out.splitlines() for w in line.replace("|", " ").split()}
    assert {"asia-mex", "widgets", "mexico"} <= words  # whole, not folded


def test_json_carries_the_lead_time_bound_beside_the_as_operated_routing(capsys):
    code, out, _ = run(capsys, "--network", SMALL, "--format", "json", "--samples", 500)
    rows = json.loads(out)
    assert code == EXIT_OK
    for row in rows:
        assert row["lead_time_bound_days"] <= row["typical_days"] + 1e-9  # one commodity: the bound holds per row
        assert row["gain_pct"] == pytest.approx(100 * (1 - row["lead_time_bound_days"] / row["typical_days"]))
    code, out, _ = run(capsys, "--network", SMALL, "--format", "json", "--samples", 500, "--objective", "lead_time")
    assert all(row["gain_pct"] == pytest.approx(0.0, abs=1e-12) for row in json.loads(out))


@pytest.mark.parametrize("args, fragment", [
    (["--market", "NOPE"], "error: compare_small: market: not a market node of the network (known: M) (got 'NOPE')"),
    (["--asia", "P"], "error: compare_small: asia: not an origin node of the network (known: O) (got 'P')"),
    (["--commodity", "gadgets"], "commodity: not a commodity of the network (known: widgets) (got 'gadgets')"),
])
def test_unknown_ids_exit_2_with_one_clear_line(capsys, args, fragment):
    code, out, err = run(capsys, "--network", SMALL, "--samples", 100, *args)
    assert code == EXIT_BAD_INPUT and out == ""
    assert len(err) == 1 and fragment in err[0]


@pytest.mark.parametrize("name", BAD_DATA)
def test_bad_variability_or_tariff_data_exits_2_naming_file_and_row(capsys, name):
    folder = DATA / "bad" / name
    fragment = (folder / "expected.txt").read_text(encoding="utf-8").strip()
    code, out, err = run(capsys, "--network", folder, "--samples", 100)
    assert code == EXIT_BAD_INPUT and out == ""
    assert len(err) == 1 and err[0].startswith(f"error: {folder}/{fragment}")
    assert " row " in fragment


@pytest.mark.parametrize("value, fragment", [
    ("texas_border", "expected DOMAIN=STATE, e.g. texas_border=disrupted, got 'texas_border'"),
    ("texas_border=disrupted", "regimes: domain: unknown shock domain; the network's domains are none"),
])
def test_a_forced_regime_must_be_domain_equals_state_of_the_network(capsys, value, fragment):
    code, out, err = run(capsys, "--network", SMALL, "--samples", 100, "--regime", value)
    assert code == EXIT_BAD_INPUT and out == ""
    assert any(fragment in line for line in err)


def border_network(folder: Path) -> Path:
    """compare_small with a regimes.csv: domain "border" on the Mexican side's link P-B (10 h, p95
    12 h), time x 3 when disrupted."""
    folder.mkdir()
    for f in SMALL.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    links = (SMALL / "links.csv").read_text(encoding="utf-8").splitlines()
    header = links[0].split(",")
    rows = [line.split(",") for line in links[1:]]
    frm, to, p95 = header.index("from"), header.index("to"), header.index("transit_p95_h")
    for r in rows:
        if (r[frm], r[to]) == ("P", "B"):
            r[p95] = "12"  # a spread, so the regime scales it (fixed legs are not scaled)
    body = [",".join([*r, "border" if (r[frm], r[to]) == ("P", "B") else ""]) for r in rows]
    (folder / "links.csv").write_text("\n".join([",".join([*header, "shock_domain"]), *body]) + "\n", encoding="utf-8")
    (folder / "regimes.csv").write_text(
        "domain,state,to_normal,to_peak,to_disrupted,time_scale,event_scale,closure_prob,closure_h,"
        "seasonal_amplitude,peak_week,source\n"
        "border,normal,0.9,0.05,0.05,1,1,0,0,0,30,test\nborder,peak,0.5,0.5,0,1,1,0,0,0,30,test\n"
        "border,disrupted,0.5,0,0.5,3,1,0,0,0,30,test\n", encoding="utf-8")
    return folder


def test_a_forced_regime_changes_the_spread_of_its_domain(capsys, tmp_path):
    """Held disrupted, Mexico's p50 grows by half or more; Asia's lanes do not pass the domain and
    keep their p50."""
    folder = border_network(tmp_path / "net")
    p50 = {}
    for state in ("normal", "disrupted"):
        code, out, err = run(capsys, "--network", folder, "--format", "json", "--samples", 4000, "--objective",
                             "lead_time", "--regime", f"border={state}")
        assert code == EXIT_OK, err
        p50[state] = {r["sourcing"]: r["p50_days"] for r in json.loads(out)}
    assert p50["disrupted"]["asia"] == pytest.approx(p50["normal"]["asia"], rel=0.02)
    assert p50["disrupted"]["mexico"] > 1.5 * p50["normal"]["mexico"]


def test_a_scenarios_regimes_table_samples_as_the_regime_flag_does(capsys, tmp_path):
    """A scenario with ``[regimes] border = "disrupted"`` gives the rows of ``--regime
    border=disrupted``, number for number; ``--regime`` overrides the table's state."""
    folder = border_network(tmp_path / "net")
    episode = tmp_path / "episode.toml"
    episode.write_text('network = "net"\n[regimes]\nborder = "disrupted"\n', encoding="utf-8")
    common = ("--format", "json", "--samples", 2000, "--seed", 5, "--objective", "lead_time")
    outputs = {}
    for name, args in {"table": ("--scenario", episode), "flag": ("--network", folder, "--regime", "border=disrupted"),
                       "none": ("--network", folder), "override": ("--scenario", episode, "--regime", "border=normal"),
                       "normal": ("--network", folder, "--regime", "border=normal")}.items():
        code, out, err = run(capsys, *args, *common)
        assert code == EXIT_OK, err
        outputs[name] = json.loads(out)
    assert outputs["table"] == outputs["flag"]
    assert outputs["override"] == outputs["normal"]
    mexico = {name: rows[1]["p50_days"] for name, rows in outputs.items()}
    assert mexico["table"] > 1.5 * mexico["none"]


@pytest.mark.parametrize("table, fragment", [
    ('bordr = "disrupted"', "field 'regimes': unknown shock domain; the network's domains are border (got 'bordr')"),
    ('border = "broken"', "field 'regimes.border': Input should be 'normal', 'peak' or 'disrupted' (got 'broken')"),
])
def test_a_scenarios_unknown_regime_domain_or_state_exits_2_naming_file_field_and_value(capsys, tmp_path, table,
                                                                                         fragment):
    border_network(tmp_path / "net")
    episode = tmp_path / "episode.toml"
    episode.write_text(f'network = "net"\n[regimes]\n{table}\n', encoding="utf-8")
    code, out, err = run(capsys, "--scenario", episode, "--samples", 100)
    assert code == EXIT_BAD_INPUT and out == ""
    assert len(err) == 1 and err[0] == f"error: {episode}: {fragment}", err


def test_service_level_out_of_range_is_a_usage_error(capsys):
    code, _, err = run(capsys, "--network", SMALL, "--service-level", 1.5)
    assert code == EXIT_BAD_INPUT
    assert any("--service-level" in line for line in err)


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_plot_writes_png_svg_or_pdf_into_new_folders(capsys, tmp_path, suffix, magic):
    pytest.importorskip("matplotlib")
    path = tmp_path / "new" / "folder" / f"compare{suffix}"
    code, out, err = run(capsys, "--network", SMALL, "--samples", 500, "--plot", path, "--format", "json")
    assert code == EXIT_OK and err == [f"wrote {path}"]
    assert path.read_bytes().startswith(magic)
    assert "cdf_days" not in json.loads(out)[0]


def test_plot_to_another_format_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "--network", SMALL, "--plot", tmp_path / "compare.jpg")
    assert code == EXIT_BAD_INPUT
    assert any("must end in .png, .svg or .pdf" in line for line in err)


def test_plot_without_matplotlib_says_how_to_install_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    code, out, err = run(capsys, "--network", SMALL, "--plot", tmp_path / "compare.png")
    assert code == EXIT_BAD_INPUT and out == ""
    assert err == ["Error: --plot needs matplotlib: pip install 'nearshore[plot]'"]
    assert not (tmp_path / "compare.png").exists()


def test_a_library_episode_samples_under_its_regime_as_the_flag_does(capsys, tmp_path):
    """texas_dps_2022 on the built-in network: its [regimes] table (texas_border disrupted) gives the
    rows of the same file without the table plus --regime texas_border=disrupted."""
    from routing.scenarios import library_path

    text = (library_path() / "texas_dps_2022.toml").read_text(encoding="utf-8")
    plain = tmp_path / "texas_dps_2022.toml"
    plain.write_text(text[:text.index("[regimes]")], encoding="utf-8")
    common = ("--market", "US_DFW", "--commodity", "auto_parts", "--samples", 1000, "--format", "json")
    rows = {}
    for name, args in {"table": ("--scenario", "texas_dps_2022"), "none": ("--scenario", plain),
                       "flag": ("--scenario", plain, "--regime", "texas_border=disrupted")}.items():
        code, out, err = run(capsys, *args, *common)
        assert code == EXIT_OK, err
        rows[name] = json.loads(out)
    assert rows["table"] == rows["flag"]
    assert rows["table"][1]["p95_days"] > 1.5 * rows["none"][1]["p95_days"]  # Mexico through Texas crossings
