"""Equal primary objective, different secondary: every backend honours the tie-break exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from networks import read_network
from routing import solve_lead_time

DATA = Path(__file__).parents[2] / "data"
SOLVERS = ["mincostflow", "lemon", "glop", "highs"]


def _equal_time_routes(tmp_path: Path, *, cheap_first: bool) -> Path:
    """Two routes of 15 h each (P>B1>M and P>B2>M), one costing 500 and one 4,100 per load; no node has
    a throughput limit, so both routes are open. ``cheap_first`` swaps which id is the cheap one."""
    folder = Path(shutil.copytree(DATA / "two_routes", tmp_path / ("a" if cheap_first else "b")))
    nodes = pl.read_csv(folder / "nodes.csv").with_columns(
        throughput_loads_per_day=pl.lit(None, dtype=pl.Float64), dwell_h=pl.lit(1.0))
    nodes.write_csv(folder / "nodes.csv")
    cheap, dear = (100.0, 400.0), (2000.0, 2100.0)
    first, second = (cheap, dear) if cheap_first else (dear, cheap)
    links = pl.read_csv(folder / "links.csv").with_columns(
        transit_h=pl.Series([4.0, 4.0, 8.0, 8.0]),
        cost_usd_per_load=pl.Series([first[0], second[0], first[1], second[1]]))
    links.write_csv(folder / "links.csv")
    return folder


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cheap_first", [True, False])
def test_at_equal_lead_time_every_backend_picks_the_cheaper_route(tmp_path, solver, cheap_first):
    network = read_network(_equal_time_routes(tmp_path, cheap_first=cheap_first))
    result = solve_lead_time(network, solver=solver)
    assert result.status == "optimal"
    assert result.total_load_hours_per_day == pytest.approx(30 * 15.0)  # dwell 1 + 4 h + dwell 1 + 8 h + dwell 1
    assert result.total_cost_usd_per_day == pytest.approx(30 * 500.0)


def test_glop_and_highs_agree_on_cost_at_equal_lead_time_on_a_multi_commodity_corridor():
    from networks.generate import corridor_network

    network = corridor_network(n_links=1000, n_commodities=5, seed=2, with_power=True)
    glop, highs = (solve_lead_time(network, solver=s) for s in ("glop", "highs"))
    assert glop.objective == pytest.approx(highs.objective, rel=1e-9)
    assert glop.total_cost_usd_per_day == pytest.approx(highs.total_cost_usd_per_day, rel=1e-9)


@pytest.mark.parametrize("cheap_first", [True, False])
def test_the_horizon_breaks_ties_by_cost_like_the_steady_model(tmp_path, cheap_first):
    """Over a horizon (4 days of 4 h steps) no load is dispatched on the dear route of equal hours."""

    from routing.analysis.disrupt import _secondary, _solve
    from routing.formulation.horizon import build_horizon_lp, split_solution
    from routing.formulation.weights import objective_weights

    network = read_network(_equal_time_routes(tmp_path, cheap_first=cheap_first))
    arrays = network.arrays
    weights = objective_weights(arrays, "lead_time", usd_per_load_hour=5.0)
    flow = solve_lead_time(network)._frames.solution.flow
    lp = build_horizon_lp([arrays] * 4, [weights] * 4, flow, step_h=4)
    status, values, _, detail = _solve(lp, _secondary(lp, [weights] * 4, "lead_time"), time_limit_s=None)
    assert status == "optimal" and detail == ""
    sol = split_solution(lp.layout, values)
    dear = arrays.cost_usd[lp.layout.arc_link] > 1000
    assert sol.x[:, dear].sum() == pytest.approx(0.0, abs=1e-9)
    assert sol.x[:, ~dear].sum() > 0
