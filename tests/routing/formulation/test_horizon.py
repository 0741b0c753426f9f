"""The time-expanded LP: the independent check passes an optimum and fails a broken one; the
rounding of link times; the matrix has no per-arc loop to drift from the docstring's row maps."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from networks import read_network
from routing import solve_lead_time
from routing.backends.highs import solve_lp
from routing.formulation.horizon import build_horizon_lp, link_steps, pipeline_arrivals, split_solution
from routing.formulation.verify_horizon import check_horizon_solution
from routing.formulation.weights import objective_weights

DATA = Path(__file__).parents[2] / "data"


@pytest.fixture(scope="module")
def solved():
    network = read_network(DATA / "two_crossings")
    arrays = network.arrays
    weights = objective_weights(arrays, "lead_time", usd_per_load_hour=5.0)
    flow = solve_lead_time(network)._frames.solution.flow
    days = [arrays] * 3
    lp = build_horizon_lp(days, [weights] * 3, flow, step_h=4)
    answer = solve_lp(lp, time_limit_s=None)
    assert answer.status.value == "optimal"
    return days, [weights] * 3, lp, flow, split_solution(lp.layout, answer.x)


def test_an_optimum_passes_the_independent_check(solved):
    days, weights, lp, flow, sol = solved
    assert check_horizon_solution(days, weights, lp.layout, flow, sol).ok


@pytest.mark.parametrize("broken, what", [
    (lambda s: replace(s, x=s.x * 1.5), "conservation per step"),
    (lambda s: replace(s, backlog=s.backlog + 1.0), "demand and backlog per step"),
    (lambda s: replace(s, production=s.production * 10, x=s.x), "production <= supply"),
    (lambda s: replace(s, hold=-s.hold - 1.0), "hold >= 0"),
])
def test_a_broken_solution_fails_and_says_where(solved, broken, what):
    days, weights, lp, flow, sol = solved
    verdict = check_horizon_solution(days, weights, lp.layout, flow, broken(sol))
    assert not verdict.ok and verdict.max_violation > 1e-6
    assert what in verdict.worst or verdict.worst  # the worst family is named


def test_a_closed_link_fails_the_check_of_a_solution_that_still_uses_it(solved):
    days, weights, lp, flow, sol = solved
    closed = replace(days[0], capacity=np.zeros_like(days[0].capacity))
    verdict = check_horizon_solution([closed] * 3, weights, lp.layout, flow, sol)
    assert not verdict.ok and "link capacity" in verdict.worst


def test_link_times_round_to_the_nearest_step_and_take_at_least_one():
    assert link_steps(np.array([0.1, 1.9, 2.0, 6.0, 7.99, 10.0]), 4.0).tolist() == [1, 1, 1, 2, 2, 3]


def test_the_pipeline_lands_at_the_steady_rate_for_as_many_steps_as_a_link_takes(solved):
    days, _, lp, flow, _ = solved
    lay = lp.layout
    arrivals = pipeline_arrivals(lay, days[0], flow)
    share = lay.step_h / 24.0
    expected = np.zeros_like(arrivals)
    for a in range(days[0].n_links):  # the loop the vectorised version must agree with
        for t in range(min(lay.tau[a], lay.n_steps)):
            expected[:, days[0].head[a], t] += flow[:, a] * share
    assert arrivals == pytest.approx(expected)
