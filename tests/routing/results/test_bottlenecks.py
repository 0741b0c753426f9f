"""Bottlenecks in the objective's unit, worked out by hand on small networks for each objective,
including capacities that limit the demand served (whose dual would carry the unmet penalty)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from networks import read_network
from routing import solve_lead_time
from routing.results.crossings import by_crossing

DATA = Path(__file__).parents[2] / "data"
LP = ["glop", "highs"]


def row(result, kind, ident):
    (found,) = result.bottlenecks.filter((pl.col("kind") == kind) & (pl.col("id") == ident)).to_dicts()
    return found


def copy(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(DATA / name, folder)
    return folder


@pytest.mark.parametrize("solver", LP)
@pytest.mark.parametrize(("objective", "value", "unit"), [
    ("lead_time", 4.0, "load-h/day"),  # one more load via B1 (15 h) instead of B2 (19 h)
    ("cost", 0.0, "USD/day"),  # both routes cost 500 USD a load: B1 binds but is worth nothing
    ("blend", 20.0, "USD/day"),  # 5 USD/load-h x 4 h
])
def test_the_value_of_a_capacity_is_in_the_objective_unit(solver, objective, value, unit):
    """two_routes: B1 passes 10 of the 30 loads (P-B1-M 15 h, 500 USD; P-B2-M 19 h, 500 USD)."""
    result = solve_lead_time(read_network(DATA / "two_routes"), objective=objective, solver=solver)
    b1 = row(result, "node", "B1")
    # the tie-break (lead time at 1e-7 of the cost's scale) may add up to 1e-7 x 500 USD to a dual
    assert b1["value_per_unit"] == pytest.approx(value, abs=1e-4)
    assert b1["value_unit"] == unit
    assert b1["loads_served_per_unit"] == 0.0
    assert b1["utilisation"] == pytest.approx(1.0)
    if objective == "lead_time":
        assert b1["load_hours_saved_per_unit"] == pytest.approx(value)
    else:
        assert b1["load_hours_saved_per_unit"] is None


SHORT_SUPPLY_VALUES = {
    "lead_time": (-19.0, 4.0),  # the extra load goes via B2 (B1 is full): it adds 2+5+3+9 = 19 load-h
    "cost": (-500.0, 0.0),  # it adds 120 + 380 USD of freight
    "blend": (-595.0, 20.0),  # 500 USD + 5 USD x 19 h
}


# every objective with every backend: min-cost flow's duals only choose which capacities are
# re-solved, so each objective checks that its positive duals pick the same ones as the LP's
@pytest.mark.parametrize("objective", list(SHORT_SUPPLY_VALUES))
@pytest.mark.parametrize("solver", [*LP, "mincostflow"])
def test_a_capacity_that_limits_served_demand_reports_loads_served_and_no_penalty(solver, objective):
    """short_supply: supply 25 < demand 30. One more load of supply serves one more load (the dual
    would be the penalty minus its 19 h); one more through B1 serves none and moves one from B2."""
    supply_value, b1_value = SHORT_SUPPLY_VALUES[objective]
    result = solve_lead_time(read_network(DATA / "short_supply"), objective=objective, solver=solver)
    supply = row(result, "supply", "P/parts")
    assert supply["loads_served_per_unit"] == pytest.approx(1.0, abs=1e-6)
    assert supply["value_per_unit"] == pytest.approx(supply_value, abs=1e-5)
    b1 = row(result, "node", "B1")
    assert (b1["loads_served_per_unit"], b1["value_per_unit"]) == (pytest.approx(0.0, abs=1e-6),
                                                                   pytest.approx(b1_value, abs=1e-5))
    assert result.bottlenecks["kind"][0] == "supply"  # serving more comes first


@pytest.mark.parametrize(("objective", "value"), [("lead_time", -5.5), ("cost", -250.0)])
def test_power_that_limits_served_demand_serves_half_a_load_per_mwh(tmp_path, objective, value):
    """power_limit with FAR's supply at 0: NEAR (24 MWh/day, 2 MWh a load) serves 12 of 20 loads.
    One more MWh/day makes half a load more, at 1 + 10 = 11 h and 500 USD a load."""
    folder = copy("power_limit", tmp_path)
    (folder / "supply.csv").write_text("node,commodity,capacity_loads_per_day\nNEAR,parts,100\nFAR,parts,0\n")
    result = solve_lead_time(read_network(folder), objective=objective, solver="highs")
    assert result.unmet_loads_per_day == pytest.approx(8)
    power = row(result, "power", "NEAR")
    assert power["loads_served_per_unit"] == pytest.approx(0.5, abs=1e-6)
    assert power["value_per_unit"] == pytest.approx(value, abs=1e-5)
    far = row(result, "supply", "FAR/parts")  # a zero capacity: utilisation is not 1, it is undefined
    assert far["utilisation"] is None and far["loads_served_per_unit"] == pytest.approx(1.0, abs=1e-6)


def test_queue_rows_are_listed_only_when_full_and_hours_only_when_not_open_all_day(tmp_path):
    """two_crossings runs A and B below the wait curve's cap: no crossing row is a bottleneck.
    Open 24 h, a lane type has no value of one more open hour; at crossing level the hours add up."""
    result = solve_lead_time(read_network(DATA / "two_crossings"))
    assert not result.bottlenecks["kind"].str.starts_with("crossing").any()
    folder = copy("two_crossings", tmp_path)
    (folder / "crossings.csv").write_text(
        "node,lane_type,lanes,loads_per_lane_hour,open_h_per_day,reference_loads_per_day,wait_typical_h,wait_p95_h\n"
        "A,general,2,10,24,120,1.0,2.6\nA,fast,1,10,10,10,0.5,1.3\nB,general,1,10,10,50,0.5,1.3\n")
    lanes = solve_lead_time(read_network(folder)).crossings
    a_general = lanes.filter((pl.col("crossing") == "A") & (pl.col("lane_type") == "general"))
    assert a_general["value_of_hour_h"].item() is None
    table = by_crossing(lanes.with_columns(value_of_hour_h=pl.Series([None, 2.0, 3.0])))
    assert dict(table.select("crossing", "value_of_hour_h").iter_rows()) == {"A": 2.0, "B": 3.0}
    summed = by_crossing(lanes.with_columns(value_of_hour_h=pl.Series([1.5, 2.0, 3.0])))
    assert dict(summed.select("crossing", "value_of_hour_h").iter_rows())["A"] == pytest.approx(3.5)


def test_as_operated_values_a_capacity_in_usd_of_generalised_cost():
    """two_routes as operated: every load prefers B1 (15 h against 19 h, both 500 USD) and B1 passes
    10. One more load through B1 moves one from B2: 4 h of that load's time, at its value of time,
    in USD a day (the potential the LP minimises is no USD, so the value comes from a re-solve)."""
    from routing.formulation.weights import value_of_time

    network = read_network(DATA / "two_routes")
    result = solve_lead_time(network, objective="as_operated", solver="highs")
    b1 = row(result, "node", "B1")
    vot = float(value_of_time(network.arrays)[0])
    assert b1["value_unit"] == "USD/day" and b1["load_hours_saved_per_unit"] is None
    assert b1["value_per_unit"] == pytest.approx(4 * vot, rel=1e-6)
    assert b1["loads_served_per_unit"] == pytest.approx(0.0, abs=1e-9)


def test_ranking_ties_within_float_noise_are_broken_by_kind_and_id_and_the_top_is_the_first_row():
    """Values within solver noise tie (whatever order the rows come in); serving more comes first."""
    import numpy as np

    from routing.results.bottlenecks import rank_order

    kind = np.array(["node", "node", "link", "supply"])
    ident = np.array(["POE_ROMA", "POE_RGC", "L1", "P/x"])
    value = np.array([435.21004, 435.21004 - 1e-11, 400.0, np.nan])
    served, utilisation = np.array([0.0, 0.0, 0.0, 0.0]), np.ones(4)
    assert rank_order(served, value, utilisation, kind, ident).tolist() == [1, 0, 2, 3]
    flipped = rank_order(served[::-1], value[::-1], utilisation, kind[::-1], ident[::-1])
    assert ident[::-1][flipped].tolist() == ["POE_RGC", "POE_ROMA", "L1", "P/x"]
    served[3] = 0.5  # a capacity that serves more loads comes first, even without a value
    assert rank_order(served, value, utilisation, kind, ident)[0] == 3


@pytest.mark.parametrize("folder", ["short_supply", "two_crossings", "shared_capacity", "two_routes"])
@pytest.mark.parametrize("objective", ["lead_time", "cost", "as_operated"])
def test_the_top_bottleneck_is_the_first_row_of_the_table(folder, objective):
    result = solve_lead_time(read_network(DATA / folder), objective=objective, solver="highs")
    top = result.top_bottleneck  # named from the arrays, before the table is built
    first = result.bottlenecks.row(0, named=True) if result.bottlenecks.height else None
    assert top == ((f"{first['kind']} {first['id']}", first["value_per_unit"]) if first else (None, None))
