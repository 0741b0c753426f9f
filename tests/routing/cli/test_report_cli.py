"""`nearshore report` and the ``--report`` of solve, compare, batch and disrupt, through ``main``: the
file is written with the sections asked for, and bad input is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.batch import read_summary
from routing.cli.main import EXIT_BAD_INPUT, EXIT_OK, main
from routing.report.page import read_page_data

DATA = Path(__file__).parents[2] / "data"


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([*map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def sections(html: str) -> list[str]:
    import re

    return re.findall(r'<section id="([\w-]+)">', html)


def test_report_writes_one_page_of_the_solve(capsys, tmp_path):
    target = tmp_path / "deep" / "report.html"
    code, out, err = run(capsys, "report", "--network", DATA / "two_routes", "--output", target)
    assert code == EXIT_OK, err
    assert f"wrote {target}" in err and out == ""
    html = target.read_text(encoding="utf-8")
    assert sections(html) == ["summary", "map", "lanes", "bottlenecks", "provenance"]
    meta = read_page_data(html)["provenance"]
    assert meta["command"] == "nearshore report" and meta["network"] == "two_routes"


def test_report_with_batch_and_disruption(capsys, tmp_path):
    out_dir = tmp_path / "batch"
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'name = "closed"\nnetwork = "{DATA / "two_routes"}"\n[[changes]]\ntype = "close"\n'
                        'table = "nodes"\nids = ["B1"]\n', encoding="utf-8")
    code, _, err = run(capsys, "batch", scenario, "--out", out_dir, "--frames", "none", "--jobs", 1,
                       "--report", tmp_path / "batch.html")
    assert code == EXIT_OK, err
    assert sections((tmp_path / "batch.html").read_text(encoding="utf-8")) == ["batch", "provenance"]
    target = tmp_path / "all.html"
    code, _, err = run(capsys, "report", "--network", DATA / "horizon_three", "--batch", out_dir,
                       "--event", "close:C:1-1", "--output", target)
    assert code == EXIT_OK, err
    html = target.read_text(encoding="utf-8")
    assert sections(html) == ["summary", "map", "lanes", "bottlenecks", "batch", "disrupt", "provenance"]
    assert [r["scenario"] for r in read_page_data(html)["batch"]] == read_summary(out_dir)["scenario"].to_list()


def test_solve_and_disrupt_write_their_report(capsys, tmp_path):
    code, out, err = run(capsys, "solve", "--network", DATA / "two_routes", "--format", "json",
                         "--report", tmp_path / "solve.html")
    assert code == EXIT_OK, err
    assert out.startswith("{") and "summary" in sections((tmp_path / "solve.html").read_text(encoding="utf-8"))
    code, _, err = run(capsys, "disrupt", "--network", DATA / "horizon_three", "--days", 4, "--step-h", 24,
                       "--event", "close:C:1-1", "--report", tmp_path / "disrupt.html")
    assert code == EXIT_OK, err
    html = (tmp_path / "disrupt.html").read_text(encoding="utf-8")
    assert sections(html) == ["disrupt", "provenance"]
    assert len(read_page_data(html)["disrupt_days"]) == 4


def test_compare_writes_its_report(capsys, tmp_path):
    code, _, err = run(capsys, "compare", "--network", DATA / "compare_small", "--samples", 200, "--format", "json",
                       "--report", tmp_path / "compare.html")
    assert code == EXIT_OK, err
    html = (tmp_path / "compare.html").read_text(encoding="utf-8")
    assert sections(html) == ["compare", "provenance"]
    assert "cdf-" in html and read_page_data(html)["compare"]


@pytest.mark.parametrize(("args", "message"), [
    (["--batch", "{tmp}/nothing"], "no batch summary here"),
    (["--network", "{tmp}/missing"], "missing"),
    (["--disrupt", "{tmp}/none.toml"], "none.toml"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, args, message):
    given = [a.format(tmp=tmp_path) for a in args]
    code, _, err = run(capsys, "report", *given, "--output", tmp_path / "r.html")
    assert code == EXIT_BAD_INPUT
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


def test_report_needs_an_output(capsys):
    code, _, err = run(capsys, "report")
    assert code == EXIT_BAD_INPUT and "--output" in err


def test_open_hands_the_file_to_the_browser(capsys, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    target = tmp_path / "r.html"
    code, _, err = run(capsys, "report", "--network", DATA / "two_routes", "--output", target, "--open")
    assert code == EXIT_OK, err
    assert opened == [target.resolve().as_uri()]


def test_report_of_several_scenarios_runs_them_as_a_batch(capsys, tmp_path):
    closed = tmp_path / "closed.toml"
    closed.write_text('name = "closed"\n[[changes]]\ntype = "close"\ntable = "nodes"\nids = ["B1"]\n', encoding="utf-8")
    base = tmp_path / "base.toml"
    base.write_text('name = "base"\n', encoding="utf-8")
    target = tmp_path / "several.html"
    code, _, err = run(capsys, "report", "--network", DATA / "two_routes", "--scenario", closed, "--scenario", base,
                       "--output", target)
    assert code == EXIT_OK, err
    html = target.read_text(encoding="utf-8")
    assert sections(html) == ["summary", "map", "lanes", "bottlenecks", "batch", "provenance"]
    data = read_page_data(html)
    rows = {r["scenario"]: r for r in data["batch"]}
    assert set(rows) == {"closed", "base"}
    assert data["provenance"]["options"]["scenario"] == f"{closed}, {base}"
    # the map is of the first scenario: nothing crosses the closed bridge B1
    assert all(link["loads_per_day"] == 0 for link in data["map"]["links"] if "B1" in (link["from"], link["to"]))
    assert rows["closed"]["avg_lead_time_h"] > rows["base"]["avg_lead_time_h"]
    assert data["summary"]["avg_lead_time_h"] == pytest.approx(rows["closed"]["avg_lead_time_h"])


def test_report_refuses_batch_and_several_scenarios(capsys, tmp_path):
    code, _, err = run(capsys, "report", "--scenario", "base", "--scenario", "wtb_closed", "--batch", tmp_path,
                       "--output", tmp_path / "x.html")
    assert code == EXIT_BAD_INPUT and "not both" in err


def test_the_report_samples_compare_under_the_scenarios_regimes(capsys, tmp_path):
    """``report --scenario FILE --compare`` samples as ``compare --scenario FILE`` does: a
    ``[regimes]`` table holding the border disrupted slows Mexico's p50 by half or more."""
    from tests.routing.cli.test_compare_cli import border_network

    folder = border_network(tmp_path / "net")
    links = (folder / "links.csv").read_text(encoding="utf-8")  # the as-operated route P-B2 in the domain too
    (folder / "links.csv").write_text(links.replace("P-B2,P,B2,truck,12,,", "P-B2,P,B2,truck,12,14,")
                                      .replace(",400,,test,\n", ",400,,test,border\n"), encoding="utf-8")
    episode = tmp_path / "episode.toml"
    episode.write_text('network = "net"\n[regimes]\nborder = "disrupted"\n', encoding="utf-8")
    p50 = {}
    for name, given in {"table": ("--scenario", episode), "none": ("--network", folder)}.items():
        target = tmp_path / f"{name}.html"
        code, _, err = run(capsys, "report", *given, "--compare", "--samples", 2000, "--objective", "lead_time",
                           "--output", target)
        assert code == EXIT_OK, err
        rows = read_page_data(target.read_text(encoding="utf-8"))["compare"]
        p50[name] = {r["sourcing"]: r["p50_days"] for r in rows}
    assert p50["table"]["mexico"] > 1.5 * p50["none"]["mexico"]
    assert p50["table"]["asia"] == pytest.approx(p50["none"]["asia"], rel=0.05)
