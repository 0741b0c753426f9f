"""The planner's questions on the command line: nodes, route, solve filters, --scenario/--close,
network export, solved flows as GeoJSON; exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from networks import read_network
from routing.cli.main import main

DATA = Path(__file__).parents[2] / "data"
TWO = DATA / "two_routes"


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_nodes_search_finds_laredo_and_kind_filters(capsys):
    code, out, _ = run(capsys, "nodes", "--search", "laredo", "--format", "json")
    assert code == 0
    found = {row["id"] for row in json.loads(out)}
    assert {"POE_WTB", "POE_COL_SOL", "RAIL_LRD"} <= found
    code, out, _ = run(capsys, "nodes", "--kind", "market", "--format", "csv")
    markets = pl.read_csv(out.encode())
    assert code == 0 and set(markets["kind"]) == {"market"} and "US_CHI" in markets["id"].to_list()
    code, out, _ = run(capsys, "nodes", "--network", TWO, "--search", "bridge")
    assert code == 0 and "| B1 " in out and "| B2 " in out and "2 of 4 nodes" in out


def test_route_gives_the_fastest_path_and_the_solved_lanes(capsys):
    code, out, _ = run(capsys, "route", "P", "M", "--network", TWO, "--format", "json")
    assert code == 0
    answer = json.loads(out)
    assert answer["fastest"]["lead_time_h"] == 15 and answer["fastest"]["route"] == "P>B1>M"
    lanes = {row["route"]: row["loads_per_day"] for row in answer["solved_lanes"]}
    assert lanes == {"P>B1>M": pytest.approx(10), "P>B2>M": pytest.approx(20)}
    code, out, _ = run(capsys, "route", "P", "M", "--network", TWO, "--close", "B1")
    assert code == 0 and "Fastest path (dwell + transit, no queue wait): 19.0 h" in out
    code, _, err = run(capsys, "route", "M", "P", "--network", TWO)
    assert code == 3 and "no open path from M to P" in err
    code, _, err = run(capsys, "route", "P", "NOPE", "--network", TWO)
    assert code == 2 and err.strip() == "error: MARKET: no node has the id 'NOPE' (nearshore nodes --search lists them)"


def test_route_on_the_built_in_network(capsys):
    code, out, _ = run(capsys, "route", "MX_MTY", "US_CHI")
    assert code == 0 and "MX_MTY>HUB_MX_NLD>POE_WTB>HUB_US_LRD>US_CHI" in out and "= truck" in out


def test_solve_filters_and_waterfall(capsys):
    code, out, _ = run(capsys, "solve", "--market", "US_ATL", "--commodity", "auto_parts", "--format", "json")
    assert code == 0
    lanes = json.loads(out)["lanes"]
    assert lanes and {(r["market"], r["commodity"]) for r in lanes} == {("US_ATL", "auto_parts")}
    code, out, _ = run(capsys, "solve", "--origin", "MX_MTY")
    assert code == 0 and "lanes shown)" in out and "  = truck" in out
    code, _, err = run(capsys, "solve", "--market", "US_NOWHERE", "--origin", "US_ATL")
    assert code == 2
    assert err.splitlines() == ["error: --market: no market has the id 'US_NOWHERE'",
                                "error: --origin: no origin has the id 'US_ATL'"]


def test_close_and_scenario_on_solve_and_crossings(capsys, tmp_path):
    code, out, _ = run(capsys, "solve", "--network", TWO, "--close", "B1", "--format", "json")
    assert code == 0 and json.loads(out)["avg_lead_time_h"] == pytest.approx(19)
    code, _, err = run(capsys, "solve", "--network", TWO, "--close", "B9")
    assert code == 2 and "--close: no node or link has the id 'B9'" in err
    code, out, _ = run(capsys, "crossings", "--scenario", "wtb_closed", "--format", "json")
    wtb = [row for row in json.loads(out) if row["crossing"] == "POE_WTB"]
    assert code == 0 and wtb[0]["loads_per_day"] == pytest.approx(0, abs=1e-6)
    code, _, err = run(capsys, "solve", "--scenario", "laredo_power_sweep")
    assert code == 2 and "a sweep gives 8 scenarios" in err


def test_network_export_round_trips_and_keeps_the_summary_command(capsys, tmp_path):
    code, _, err = run(capsys, "network", "export", tmp_path / "copy")
    assert code == 0 and f"wrote {len(list((tmp_path / 'copy').glob('*.csv')))} tables" in err
    original, copy = read_network(), read_network(tmp_path / "copy")
    for name, table in original.tables().items():
        assert copy.tables()[name].equals(table), name
    code, _, err = run(capsys, "network", "export", tmp_path / "copy")
    assert code == 2 and "is not empty" in err
    code, _, _ = run(capsys, "network", "export", tmp_path / "closed", "--network", TWO, "--close", "B1")
    closed = read_network(tmp_path / "closed").nodes.filter(pl.col("id") == "B1")
    assert code == 0 and closed["throughput_loads_per_day"].item() == 0
    code, out, _ = run(capsys, "network", TWO)
    assert code == 0 and out.startswith("Network('two_routes'")


def test_solve_geojson_maps_the_solved_flows(capsys, tmp_path):
    path = tmp_path / "maps" / "flows.geojson"
    code, _, err = run(capsys, "solve", "--network", TWO, "--geojson", path)
    assert code == 0 and f"wrote {path}" in err
    features = {f["properties"]["link"]: f for f in json.loads(path.read_text())["features"]}
    assert set(features) == {"P-B1", "B1-M", "P-B2", "B2-M"}
    assert features["P-B2"]["properties"]["loads_per_day"] == pytest.approx(20)
    assert features["P-B2"]["properties"]["parts_loads_per_day"] == pytest.approx(20)
    assert features["P-B1"]["geometry"]["type"] == "LineString"


def test_ctrl_c_in_any_command_exits_130_without_a_traceback(capsys, monkeypatch):
    import routing

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(routing, "solve_lead_time", interrupted)
    code, out, err = run(capsys, "solve", "--network", TWO)
    assert code == 130 and out == "" and err.strip() == "interrupted"


def test_debug_is_accepted_after_the_subcommand(capsys):
    from routing.cli.main import hoist_debug

    assert hoist_debug(["solve", "--debug", "--network", "x"]) == (["--debug", "solve", "--network", "x"], True)
    assert hoist_debug(["route", "--", "--debug"]) == (["route", "--", "--debug"], False)
    code, out, _ = run(capsys, "nodes", "--network", TWO, "--debug", "--format", "csv")
    assert code == 0 and out.startswith("id,name,kind")
    with pytest.raises(Exception, match="B9"):  # --debug: the error itself, not one line
        main(["solve", "--network", str(TWO), "--close", "B9", "--debug"])


@pytest.mark.parametrize("command", ["solve", "crossings", "compare", "route", "nodes", "network", "network export",
                                     "validate", "batch", "scenarios"])
def test_every_command_help_states_the_exit_codes(capsys, command):
    code, out, _ = run(capsys, *command.split(), "--help")
    assert code == 0 and "Exit codes:" in out and "130" in out.replace("\n", " "), out


def test_tables_fit_the_width_and_never_split_a_word():
    from routing.cli.format import render_table

    frame = pl.DataFrame({"scenario": ["laredo_second_rail_bridge", "a"], "loads_per_day": [12345.678, 1.0],
                          "route": ["MX_QRO>HUB_MX_MAT>POE_LOSIND>HUB_US_BRO>US_ATL", "A>B"],
                          "reason": ["capacity ran out: supply MX_GDL/electronics (450/450 loads/day)", None]})
    tokens = ["laredo_second_rail_bridge", "12,345.68", "MX_QRO>HUB_MX_MAT>POE_LOSIND>HUB_US_BRO>US_ATL",
              "capacity", "MX_GDL/electronics"]
    for width in (60, 80, 120, 250):
        text = render_table(frame, width=width)
        lines = text.splitlines()
        assert all(len(line) <= width for line in lines), (width, text)
        pieces = {piece for line in lines for cell in line.split("|") for piece in cell.split()}
        for token in tokens if "left out" not in text else tokens[:3]:
            parts = token.replace(">", "> ").replace("/", "/ ").split()
            assert token in pieces or set(parts) <= pieces, (width, token, text)  # whole, or broken after > or /
    narrow = render_table(frame, width=40)
    assert "columns left out to fit 40 characters: loads_per_day, route, reason" in narrow.replace("\n", " ")


def test_route_gives_the_spread_only_when_the_legs_vary(capsys):
    code, out, _ = run(capsys, "route", "P", "M", "--network", DATA / "compare_small", "--format", "json")
    fastest = json.loads(out)["fastest"]
    assert code == 0 and fastest["p50_h"] <= fastest["p95_h"] <= fastest["p99_h"]
    assert fastest["p95_h"] > fastest["lead_time_h"]
    code, out, _ = run(capsys, "route", "P", "M", "--network", TWO, "--format", "json")
    fastest = json.loads(out)["fastest"]
    # Fixed legs, no spread; the load changes carrier at the bridge, so the truck after it has a fresh
    # driver (as the LP charges each truck link): 2 h at the plant, 4 h, 1 h at the bridge, 8 h = 15 h,
    # exactly the path's hours, so no spread is shown.
    assert code == 0 and fastest["lead_time_h"] == pytest.approx(15.0)
    assert "p50_h" not in fastest and "p95_h" not in fastest
