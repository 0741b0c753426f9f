"""The independent check: it passes every backend's optimum and catches points that break a row."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from networks import read_network
from routing import Status, solve_lead_time
from routing.formulation.lp import build_lp
from routing.formulation.verify import check_solution, duality_gap, lp_violation
from routing.formulation.weights import objective_weights
from routing.model import LeadTimeModel

DATA = Path(__file__).parents[2] / "data"
NETWORKS = ["two_routes", "power_limit", "shared_capacity", "short_supply", "two_crossings"]


def _solved(name: str, solver: str = "highs"):
    network = read_network(DATA / name)
    model = LeadTimeModel(network, solver=solver, warm_start=False)
    arrays = network.arrays
    weights = objective_weights(arrays, model.options.objective, usd_per_load_hour=5.0)
    return network, arrays, weights, model._solve_with(arrays, weights, model.options.solver)


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("solver", ["highs", "glop"])
def test_every_lp_optimum_passes_the_check_and_has_no_duality_gap(name, solver):
    network, arrays, weights, solution = _solved(name, solver)
    assert check_solution(arrays, weights, solution).ok
    assert solve_lead_time(network, solver=solver).status == Status.OPTIMAL


@pytest.mark.parametrize("name", NETWORKS)
def test_a_point_that_breaks_conservation_or_a_capacity_fails(name):
    _, arrays, weights, solution = _solved(name)
    zero = dataclasses.replace(solution, flow=np.zeros_like(solution.flow), production=np.zeros_like(solution.production),
                               unmet=np.zeros_like(solution.unmet), queue_assign=np.zeros_like(solution.queue_assign))
    verdict = check_solution(arrays, weights, zero)
    assert not verdict.ok and "conservation" in verdict.worst  # demand neither served nor reported unmet
    over = dataclasses.replace(solution, production=solution.production + arrays.supply_capacity.clip(max=1e6) + 1.0)
    assert not check_solution(arrays, weights, over).ok


def test_more_than_the_capacity_of_a_link_fails(tmp_path):
    network = read_network(DATA / "shared_capacity")
    _, arrays, weights, solution = _solved("shared_capacity")
    finite = np.flatnonzero(np.isfinite(arrays.capacity))
    flow = solution.flow.copy()
    flow[0, finite[0]] += arrays.capacity[finite[0]] + 10.0
    verdict = check_solution(arrays, weights, dataclasses.replace(solution, flow=flow))
    assert not verdict.ok
    assert network.links.height == arrays.n_links


def test_the_duality_gap_of_a_wrong_dual_is_large():
    network = read_network(DATA / "two_routes")
    arrays = network.arrays
    weights = objective_weights(arrays, "lead_time", usd_per_load_hour=5.0)
    lp = build_lp(arrays, weights)
    from routing.backends.highs import solve_lp

    answer = solve_lp(lp, time_limit_s=None)
    assert duality_gap(lp, answer.x, answer.row_dual) <= 1e-9
    assert duality_gap(lp, answer.x, answer.row_dual * 0.5) > 1e-3  # half the prices bound the optimum too low


def test_pdlp_is_never_labelled_optimal_and_a_huge_capacity_cannot_fake_one():
    network = read_network(DATA / "two_routes")
    result = solve_lead_time(network, solver="pdlp")
    assert result.status in (Status.OPTIMAL_WITHIN_TOLERANCE, Status.INVALID)
    huge = network.replace(links=network.links.with_columns(capacity_loads_per_day=pl.lit(1e9)))
    for status in (solve_lead_time(huge, solver="pdlp").status,):
        assert status != Status.OPTIMAL


def test_lp_violation_is_the_worst_bound_or_row_excess_relative_to_its_limit():
    """Two columns, one row ``x0 + x1 <= 4``: x = (3, 3) exceeds the row by 2 (2 / (1 + 4) = 0.4) and
    x1's bound 1 by 2 (2 / 2 = 1.0); infinite limits are never violated, a feasible point scores 0."""
    import scipy.sparse as sp

    from routing.formulation.face import Program

    lp = Program(c=np.zeros(2), lb=np.array([0.0, -np.inf]), ub=np.array([np.inf, 1.0]),
                 row_lo=np.array([-np.inf]), row_hi=np.array([4.0]), matrix=sp.csr_matrix(np.ones((1, 2))))
    assert lp_violation(lp, np.array([3.0, 3.0])) == pytest.approx(1.0)
    assert lp_violation(lp, np.array([3.0, 1.0])) == 0.0
    assert lp_violation(lp, np.array([6.0, -1.0])) == pytest.approx(0.2)
