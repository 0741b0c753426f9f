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


def _closed_days(network, node: str, n_days: int, closed: range):
    from routing.scenarios.horizon import day_networks, parse_event

    base, days = day_networks(network, [parse_event(f"close:{node}:{closed.start}-{closed.stop - 1}", network)],
                              n_days)
    return base.arrays, [d.arrays for d in days]


@pytest.mark.parametrize("prefix_kind", ["baseline", "steady"])
def test_the_later_steps_from_the_state_reached_equal_the_whole_horizon_with_earlier_columns_fixed(prefix_kind):
    """state_at + an LP of the later steps is the full LP with every earlier column fixed, for the
    baseline's own plan and for the steady state run until the first event day."""
    from routing.formulation.horizon import column_steps, finite_limits, state_at, steady_prefix, steady_start

    network = read_network(DATA / "horizon_three")
    steady = solve_lead_time(network)._frames.solution
    base, event = _closed_days(network, "C", 8, range(3, 5))
    weights = [objective_weights(a, "lead_time", usd_per_load_hour=5.0) for a in event]
    finite = finite_limits([base, *event])
    plain = build_horizon_lp([base] * 8, [weights[0]] * 8, steady.flow, step_h=12, finite=finite)
    lp = build_horizon_lp(event, weights, steady.flow, step_h=12, finite=finite)
    step = 3 * plain.layout.steps_per_day
    if prefix_kind == "baseline":
        prefix = solve_lp(plain, time_limit_s=None).x
    else:
        prefix = steady_prefix(plain.layout, base, weights[0], steady, step)
    early = column_steps(lp.layout) < step
    fixed = replace(lp, lb=np.where(early, prefix, lp.lb), ub=np.where(early, prefix, lp.ub))
    whole = solve_lp(fixed, time_limit_s=None)
    start = state_at(lp.layout, base, split_solution(lp.layout, prefix), steady_start(lp.layout, base, steady.flow),
                     step)
    tail = build_horizon_lp(event[3:], weights[3:], steady.flow, step_h=12, finite=finite, initial=start)
    later = solve_lp(tail, time_limit_s=None)
    assert whole.status.value == later.status.value == "optimal"
    joined = prefix.copy()
    joined[~early] = later.x
    assert lp.c @ joined == pytest.approx(lp.c @ whole.x, rel=1e-9)
    assert check_horizon_solution(event, weights, lp.layout, steady.flow, split_solution(lp.layout, joined)).ok
