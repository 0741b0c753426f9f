"""Hand-solved small networks: the optimum, its lanes, bottlenecks and unmet demand are worked
out on paper in each test's docstring."""

from pathlib import Path

import polars as pl
import pytest

from networks import read_network
from routing import LeadTimeModel, Solver, SolverUnsuitableError, solve_lead_time
from routing.backends.lemon import lemon_available

DATA = Path(__file__).parents[1] / "data"
EXACT = ["auto", "glop", "highs"]


def lanes_of(result):
    return {(r["links"], r["commodity"]): (round(r["loads_per_day"], 6), r["lead_time_h"])
            for r in result.lanes.iter_rows(named=True)}


def saved(result, kind, ident):
    row = result.bottlenecks.filter((result.bottlenecks["kind"] == kind) & (result.bottlenecks["id"] == ident))
    return row["value_per_unit"].item()


@pytest.mark.parametrize("solver", [*EXACT, "mincostflow"])
def test_capacity_forces_a_second_slower_route(solver):
    """P->B1->M takes 2+4+1+8 = 15 h but B1 passes 10 loads/day; P->B2->M takes 2+5+3+9 = 19 h.
    30 loads: 10 x 15 + 20 x 19 = 530 load-hours, average 17.67 h. One more load through B1 saves 4 h."""
    result = solve_lead_time(read_network(DATA / "two_routes"), solver=solver)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(530)
    assert result.avg_lead_time_h == pytest.approx(530 / 30)
    assert lanes_of(result) == {("P-B1>B1-M", "parts"): (10, 15), ("P-B2>B2-M", "parts"): (20, 19)}
    assert saved(result, "node", "B1") == pytest.approx(4, rel=1e-6)
    assert result.unmet.is_empty()


@pytest.mark.parametrize("solver", EXACT)
def test_power_forces_sourcing_elsewhere(solver):
    """NEAR has 1 MW = 24 MWh/day at 2 MWh per load: 12 loads at 11 h; FAR sends 8 at 31 h.
    380 load-hours; one more MWh moves half a load from FAR to NEAR, saving 10 h."""
    result = solve_lead_time(read_network(DATA / "power_limit"), solver=solver)
    assert result.objective == pytest.approx(380)
    assert lanes_of(result) == {("NEAR-M", "parts"): (12, 11), ("FAR-M", "parts"): (8, 31)}
    assert saved(result, "power", "NEAR") == pytest.approx(10, rel=1e-6)


@pytest.mark.parametrize("solver", [*EXACT, "mincostflow"])
def test_demand_that_cannot_be_met_is_reported_with_its_reason(solver):
    """Supply 25 < demand 30: 10 via B1 (15 h) and 15 via B2 (19 h); 5 loads unmet for want of supply."""
    result = solve_lead_time(read_network(DATA / "short_supply"), solver=solver)
    assert result.served_loads_per_day == pytest.approx(25)
    assert result.total_load_hours_per_day == pytest.approx(435)
    assert result.avg_lead_time_h == pytest.approx(17.4)
    (row,) = result.unmet.to_dicts()
    assert (row["market"], row["commodity"], row["unmet_loads_per_day"]) == ("M", "parts", pytest.approx(5))
    assert "supply P/parts" in row["reason"]
    assert result.objective == pytest.approx(435 + 5 * result.unmet_penalty)


@pytest.mark.parametrize("solver", EXACT)
def test_commodities_share_link_capacity(solver):
    """RAIL (10 h, 12 loads/day) is shared by 10 loads of a and 5 of b: 12 go by rail at 17 h and
    3 by road at 27 h, whichever commodity they are: 285 load-hours; rail capacity saves 10 h/load."""
    result = solve_lead_time(read_network(DATA / "shared_capacity"), solver=solver)
    assert result.objective == pytest.approx(285)
    by_link = result.lanes.group_by("links").agg(pl.col("loads_per_day").sum()).sort("links")
    assert dict(by_link.iter_rows()) == {"RAIL>X-M": pytest.approx(12), "ROAD>X-M": pytest.approx(3)}
    assert saved(result, "link", "RAIL") == pytest.approx(10, rel=1e-6)


def test_cost_objective_prefers_the_cheaper_route():
    """By cost, B2 (120 + 380 = 500 USD) ties with B1 (100 + 400); lead time breaks the tie: B1 first."""
    result = solve_lead_time(read_network(DATA / "two_routes"), objective="cost", solver="highs")
    assert result.objective == pytest.approx(30 * 500)
    assert lanes_of(result)[("P-B1>B1-M", "parts")][0] == pytest.approx(10)


def test_mincostflow_refuses_what_it_cannot_solve_exactly():
    with pytest.raises(SolverUnsuitableError, match="one commodity"):
        solve_lead_time(read_network(DATA / "shared_capacity"), solver=Solver.MINCOSTFLOW)


def test_auto_picks_min_cost_flow_only_when_exact():
    exact = "lemon" if lemon_available() else "mincostflow"  # LEMON when pylmcf is installed
    assert solve_lead_time(read_network(DATA / "two_routes")).solver == exact
    assert solve_lead_time(read_network(DATA / "power_limit")).solver == "glop"  # a small cold LP


def test_auto_picks_highs_for_warm_re_solves_and_large_lps():
    from networks.generate import corridor_network
    from routing.formulation.weights import objective_weights
    from routing.model import GLOP_MAX_FLOW_VARIABLES, choose_solver
    from routing.options import Objective

    assert LeadTimeModel(read_network(DATA / "power_limit")).solve().solver == "highs"  # warm_start by default
    network = corridor_network(n_links=GLOP_MAX_FLOW_VARIABLES // 4, n_commodities=5, seed=3)
    weights = objective_weights(network.arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    assert choose_solver(network.arrays, weights, Solver.AUTO) == Solver.DECOMPOSITION  # past GLOP's range
    smaller = corridor_network(n_links=GLOP_MAX_FLOW_VARIABLES // 10, n_commodities=5, seed=3)
    weights = objective_weights(smaller.arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    assert choose_solver(smaller.arrays, weights, Solver.AUTO) == Solver.GLOP
    assert choose_solver(smaller.arrays, weights, Solver.AUTO, warm_start=True) == Solver.HIGHS


def test_auto_picks_the_decomposition_for_a_large_multi_commodity_lp_without_queues():
    from networks.generate import corridor_network
    from routing.formulation.weights import objective_weights
    from routing.model import choose_solver
    from routing.options import Objective

    network = corridor_network(n_links=10_000, n_commodities=5, seed=2, with_power=True)
    weights = objective_weights(network.arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    assert choose_solver(network.arrays, weights, Solver.AUTO) == Solver.DECOMPOSITION
    builtin = read_network()
    assert choose_solver(builtin.arrays, objective_weights(builtin.arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0),
                         Solver.AUTO) == Solver.GLOP  # queued crossings: the LP
