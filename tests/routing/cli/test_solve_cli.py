"""`nearshore solve` and `crossings` with --scenario, and `nearshore calibrate` (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routing.cli.main import EXIT_BAD_INPUT, EXIT_OK, main
from routing.scenarios import library_path

WTB_CLOSED = library_path() / "wtb_closed.toml"


def run(capsys, *args: object) -> tuple[int, str, list[str]]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def test_crossings_json_of_a_closed_crossing_carries_nothing(capsys):
    code, out, err = run(capsys, "crossings", "--scenario", WTB_CLOSED, "--format", "json")
    assert code == EXIT_OK and err == []
    rows = {r["crossing"]: r for r in json.loads(out)}
    assert rows["POE_WTB"]["loads_per_day"] == pytest.approx(0.0, abs=1e-6)
    assert rows["POE_WTB"]["background_loads_per_day"] == pytest.approx(0.0, abs=1e-6)
    assert rows["POE_COL_SOL"]["background_loads_per_day"] > 1574.7  # Nuevo Laredo's background moved next door


def test_crossings_json_keeps_freight_and_background_per_crossing(capsys):
    code, out, _ = run(capsys, "crossings", "--format", "json")
    assert code == EXIT_OK
    row = {r["crossing"]: r for r in json.loads(out)}["POE_WTB"]
    assert row["loads_per_day"] > 0 and row["background_loads_per_day"] > 0


def test_solve_json_reports_today_beside_the_optimum(capsys):
    code, out, _ = run(capsys, "solve", "--format", "json")
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["as_operated_avg_lead_time_h"] >= data["avg_lead_time_h"] - 1e-9
    assert data["lead_time_optimum_avg_lead_time_h"] == pytest.approx(data["avg_lead_time_h"])


def test_solve_table_says_todays_routing_and_the_gain(capsys):
    code, out, _ = run(capsys, "solve", "--scenario", WTB_CLOSED)
    assert code == EXIT_OK
    assert "today's routing" in out and "lead-time optimum" in out and "gain" in out


def test_solve_refuses_a_sweep_file(capsys):
    code, _, err = run(capsys, "solve", "--scenario", library_path() / "laredo_power_sweep.toml")
    assert code == EXIT_BAD_INPUT
    assert "a sweep gives 8 scenarios" in err[0]


def test_solve_reports_a_bad_scenario_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[changes]]\ntype = "close"\ntable = "nodes"\nids = ["POE_NOPE"]\n')
    code, _, err = run(capsys, "solve", "--scenario", bad)
    assert code == EXIT_BAD_INPUT
    assert any("POE_NOPE" in line for line in err)


def test_calibrate_json_has_the_fit_and_the_comparison(capsys):
    code, out, _ = run(capsys, "calibrate", "--format", "json")
    assert code == EXIT_OK
    data = json.loads(out)
    assert {f["measure"] for f in data["fit"]} >= {"truck_tvd", "laredo_truck_share", "rail_share",
                                                   "eagle_pass_rail_rank", "gateway_tvd"}
    assert {c["group"] for c in data["comparison"]} == {"crossing", "rail_crossing", "mode", "gateway"}
    assert data["parameters"]["service_usd_per_load_hour"] == 20.0


def test_calibrate_without_observations_is_bad_input(capsys):
    folder = Path(__file__).parents[2] / "data" / "two_routes"
    code, _, err = run(capsys, "calibrate", "--network", folder)
    assert code == EXIT_BAD_INPUT
    assert "observed.csv: missing" in err[0]


@pytest.mark.parametrize("solver", ["mincostflow", "lemon"])
def test_a_min_cost_flow_solver_solves_and_today_beside_it_falls_back_to_auto(capsys, solver):
    """two_routes fits a min-cost flow under lead_time; its as-operated weights (USD) do not."""
    if solver == "lemon":
        pytest.importorskip("pylmcf")
    two_routes = Path(__file__).parents[2] / "data" / "two_routes"
    code, out, err = run(capsys, "solve", "--network", two_routes, "--solver", solver, "--format", "json")
    assert code == EXIT_OK, err
    body = json.loads(out)
    assert body["solver"] == solver and body["status"] == "optimal"
    auto = json.loads(run(capsys, "solve", "--network", two_routes, "--format", "json")[1])
    assert body["as_operated_avg_lead_time_h"] == pytest.approx(auto["as_operated_avg_lead_time_h"], rel=1e-9)
    assert body["objective"] == pytest.approx(auto["objective"], rel=1e-9)
