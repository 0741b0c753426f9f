"""Each change type does what it says, checked on the small hand-solved networks of tests/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pydantic import TypeAdapter

from networks import InputError, read_network
from networks.generate import random_network
from routing import LeadTimeModel, solve_lead_time
from routing.scenarios import Change, apply_changes

DATA = Path(__file__).parents[2] / "data"
CHANGES = TypeAdapter(list[Change])


def changed(network_name: str, *changes: dict):
    network = read_network(DATA / network_name)
    return network, apply_changes(network, CHANGES.validate_python(list(changes)), source="test.toml")


def value(frame: pl.DataFrame, column: str, **where: str) -> float | None:
    return frame.filter(**where)[column].item()


def test_close_a_node_sets_its_throughput_to_zero_and_keeps_it():
    base, net = changed("two_routes", {"type": "close", "table": "nodes", "ids": ["B2"]})
    assert value(base.nodes, "throughput_loads_per_day", id="B2") is None  # was unlimited
    assert value(net.nodes, "throughput_loads_per_day", id="B2") == 0.0
    assert net.nodes.height == base.nodes.height and net.links.equals(base.links)


def test_close_links_by_mode_sets_their_capacity_to_zero():
    base, net = changed("shared_capacity", {"type": "close", "table": "links", "mode": "rail"})
    assert value(net.links, "capacity_loads_per_day", id="RAIL") == 0.0
    assert value(net.links, "capacity_loads_per_day", id="ROAD") is None  # truck link untouched
    result = solve_lead_time(net)
    assert result.unmet_loads_per_day == 0 and result.avg_lead_time_h == pytest.approx(2 + 20 + 5)


def test_closing_the_only_crossing_leaves_demand_unmet_with_that_reason():
    """shared_capacity has one crossing, X: with X closed no load reaches M."""
    _, net = changed("shared_capacity", {"type": "close", "table": "nodes", "kind": "border_crossing"})
    result = solve_lead_time(net)
    assert result.status == "optimal"
    assert result.unmet_loads_per_day == pytest.approx(15.0) and result.served_loads_per_day == 0
    assert result.unmet["reason"].to_list() == ["capacity ran out: node X (0/0 loads/day)"] * 2


def test_restoring_capacity_restores_the_base_objective():
    """Close B1 of two_routes (all 30 loads take the 19-h route), then give it back its 10 loads/day."""
    base = read_network(DATA / "two_routes")
    model = LeadTimeModel(base, solver="highs")
    before = model.solve()
    closed = apply_changes(base, CHANGES.validate_python([{"type": "close", "table": "nodes", "ids": ["B1"]}]))
    restored = apply_changes(closed, CHANGES.validate_python(
        [{"type": "set", "table": "nodes", "ids": ["B1"], "field": "throughput_loads_per_day", "value": 10}]))
    assert before.objective == pytest.approx(530.0)
    assert model.solve(closed).objective == pytest.approx(30 * 19.0)
    assert model.solve(restored).objective == pytest.approx(before.objective, rel=1e-12)
    assert model.reused == 2  # same structure: bounds changed, matrix kept


def test_scale_crossing_throughput_changes_the_split():
    """B1 at 0.5 x 10 = 5 loads/day: 5 x 15 + 25 x 19 = 550 load-hours."""
    _, net = changed("two_routes", {"type": "scale", "table": "nodes", "ids": ["B1"],
                                    "field": "throughput_loads_per_day", "factor": 0.5})
    assert value(net.nodes, "throughput_loads_per_day", id="B1") == 5.0
    assert solve_lead_time(net).objective == pytest.approx(550.0)


def test_scale_link_capacity_and_transit_time():
    _, net = changed("shared_capacity",
                     {"type": "scale", "table": "links", "ids": ["RAIL"], "field": "capacity_loads_per_day",
                      "factor": 1.5},
                     {"type": "scale", "table": "links", "mode": "truck", "field": "transit_h", "factor": 2})
    assert value(net.links, "capacity_loads_per_day", id="RAIL") == 18.0
    assert net.links.sort("id")["transit_h"].to_list() == [10.0, 40.0, 10.0]  # RAIL, ROAD, X-M


def test_scale_plant_power_and_water_by_region():
    _, net = changed("power_limit",
                     {"type": "scale", "table": "nodes", "kind": "plant", "region": "Nuevo Leon", "field": "power_mw",
                      "factor": 0.5},
                     {"type": "set", "table": "nodes", "ids": ["FAR"], "field": "water_m3_per_day", "value": 100})
    assert value(net.nodes, "power_mw", id="NEAR") == 0.5
    assert value(net.nodes, "power_mw", id="FAR") is None  # unlimited stays unlimited
    assert value(net.nodes, "water_m3_per_day", id="FAR") == 100.0


def test_scale_demand_by_market_and_commodity():
    _, net = changed("shared_capacity", {"type": "scale", "table": "demand", "ids": ["M"], "commodity": "a",
                                         "factor": 1.25})
    assert dict(net.demand.select("commodity", "loads_per_day").iter_rows()) == {"a": 12.5, "b": 5.0}
    _, everywhere = changed("shared_capacity", {"type": "scale", "table": "demand", "factor": 2})
    assert everywhere.demand["loads_per_day"].to_list() == [20.0, 10.0]


def test_set_inf_makes_a_capacity_unlimited():
    _, net = changed("two_routes", {"type": "set", "table": "nodes", "ids": ["B1"],
                                    "field": "throughput_loads_per_day", "value": float("inf")})
    assert value(net.nodes, "throughput_loads_per_day", id="B1") is None
    assert solve_lead_time(net).objective == pytest.approx(30 * 15.0)


def test_restrict_sourcing_zeroes_the_other_suppliers():
    _, net = changed("power_limit", {"type": "restrict_sourcing", "ids": ["FAR"]})
    assert dict(net.supply.select("node", "capacity_loads_per_day").iter_rows()) == {"FAR": 100.0, "NEAR": 0.0}
    result = solve_lead_time(net)
    assert result.lanes["origin"].unique().to_list() == ["FAR"]


def test_restrict_sourcing_of_one_commodity_leaves_the_others():
    network = random_network(seed=5, n_plants=3, n_commodities=2)
    changes = CHANGES.validate_python([{"type": "restrict_sourcing", "ids": ["P0"], "commodity": "c0"}])
    before, after = network.supply, apply_changes(network, changes).supply
    c0_others = (pl.col("commodity") == "c0") & (pl.col("node") != "P0")
    assert after.filter(c0_others)["capacity_loads_per_day"].to_list() == [0.0] * before.filter(c0_others).height
    assert before.filter(c0_others).height > 0
    assert after.filter(~c0_others).equals(before.filter(~c0_others))


def test_add_link_adds_a_faster_route():
    """A direct 10-h link P->M with room for 20 loads: 20 x (2+10) + 10 x 15 = 390 load-hours."""
    base, net = changed("two_routes", {"type": "add_link", "id": "P-M", "from": "P", "to": "M", "mode": "truck",
                                       "transit_h": 10, "capacity_loads_per_day": 20, "cost_usd_per_load": 900})
    assert net.links.height == base.links.height + 1
    assert net.links["id"].to_list() == sorted(net.links["id"].to_list())
    assert solve_lead_time(net).objective == pytest.approx(390.0)


def test_scale_crossing_lanes_in_the_crossings_table():
    base, net = changed("two_crossings", {"type": "scale", "table": "crossings", "ids": ["A"],
                                          "lane_type": "general", "field": "lanes", "factor": 0.5})
    assert value(net.crossings, "lanes", node="A") == 1.0 and value(net.crossings, "lanes", node="B") == 1.0
    with pytest.raises(InputError, match="field 'loads_per_lane_hour': must be > 0 after the change, got 0"):
        changed("two_crossings", {"type": "scale", "table": "crossings", "ids": ["A"],
                                  "field": "loads_per_lane_hour", "factor": 0})


def test_changes_apply_in_order_and_leave_the_base_alone():
    base, net = changed("two_routes",
                        {"type": "set", "table": "nodes", "ids": ["B1"], "field": "throughput_loads_per_day",
                         "value": 4},
                        {"type": "scale", "table": "nodes", "kind": "border_crossing",
                         "field": "throughput_loads_per_day", "factor": 3})
    assert value(net.nodes, "throughput_loads_per_day", id="B1") == 12.0  # (set 4) then x3
    assert value(base.nodes, "throughput_loads_per_day", id="B1") == 10.0


def test_no_changes_give_back_the_same_network():
    network = read_network(DATA / "two_routes")
    assert apply_changes(network, []) is network


@pytest.mark.parametrize(("change", "message"), [
    ({"type": "close", "table": "nodes", "ids": ["B1", "Q"]}, "field 'ids': unknown node 'Q'"),
    ({"type": "close", "table": "nodes", "country": "CA"}, "field 'country': unknown country 'CA'"),
    ({"type": "scale", "table": "demand", "ids": ["P"], "factor": 2}, "field 'ids': node 'P' has no demand rows"),
    ({"type": "scale", "table": "supply", "commodity": "steel", "factor": 2},
     "field 'commodity': unknown commodity 'steel'"),
    ({"type": "add_link", "id": "P-B1", "from": "P", "to": "M", "mode": "truck", "transit_h": 1},
     "field 'id': a link 'P-B1' already exists"),
    ({"type": "scale", "table": "links", "ids": ["P-B1"], "field": "capacity_loads_per_day", "factor": 2},
     "field 'capacity_loads_per_day': every selected value is unlimited"),
])
def test_changes_that_do_not_fit_the_network_name_the_change_and_field(change, message):
    with pytest.raises(InputError) as info:
        changed("two_routes", {"type": "close", "table": "links", "ids": ["P-B2"]}, change)
    [problem] = info.value.problems
    assert str(problem).startswith(f"test.toml change 2 ({change['type']}): {message}"), str(problem)


def test_fewer_lanes_keep_the_wait_curve_calibrated_at_todays_lanes():
    base, net = changed("two_crossings", {"type": "scale", "table": "crossings", "ids": ["A"],
                                          "lane_type": "general", "field": "lanes", "factor": 0.5})
    row = {"node": "A", "lane_type": "general"}
    assert value(net.crossings, "reference_lanes", **row) == value(base.crossings, "lanes", **row)
    before, after = (LeadTimeModel(n).solve().crossings.filter(crossing="A", lane_type="general") for n in (base, net))
    # same traffic through half the lanes waits longer (a curve recalibrated at the new lanes would not)
    assert after["utilisation"].item() > before["utilisation"].item()
    assert after["wait_h"].item() > before["wait_h"].item()


def test_scaling_a_typical_time_scales_its_p95_so_the_network_stays_valid():
    from networks import read_network
    from routing.scenarios.schema import Scale

    network = read_network()
    ocean = pl.col("mode") == "ocean"
    slower = apply_changes(network, [Scale(type="scale", table="links", mode=["ocean"], field="transit_h", factor=1.2)])
    before, after = network.links.filter(ocean), slower.links.filter(ocean)
    assert np.allclose(after["transit_h"].to_numpy(), 1.2 * before["transit_h"].to_numpy())
    spread = before["transit_p95_h"].is_not_null().to_numpy()
    assert spread.any()
    assert np.allclose(after["transit_p95_h"].to_numpy()[spread], 1.2 * before["transit_p95_h"].to_numpy()[spread])


def test_restricting_sourcing_to_a_plant_without_a_commodity_leaves_that_demand_unmet_with_a_reason():
    from networks import read_network
    from routing import solve_lead_time
    from routing.scenarios import check_changes
    from routing.scenarios.schema import RestrictSourcing

    network = read_network()
    change = [RestrictSourcing(type="restrict_sourcing", ids=["MX_CJS"])]
    assert check_changes(network, change) == []
    result = solve_lead_time(apply_changes(network, change))
    made_there = set(network.supply.filter(pl.col("node") == "MX_CJS")["commodity"])
    missing = set(network.demand["commodity"]) - made_there
    assert missing, "MX_CJS should not make every commodity"
    unmet = result.unmet.filter(pl.col("commodity").is_in(list(missing)))
    assert unmet.height and (unmet["unmet_loads_per_day"] == unmet["demand_loads_per_day"]).all()
    assert unmet["reason"].str.contains("supply").all()
