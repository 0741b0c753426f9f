"""The horizon LP solved by path decomposition (routing.formulation.horizon_network): the same optimum
as HiGHS on random horizons with every row type, duals that certify it on the horizon LP itself, the
hand-solved closure, and the built-in network end to end."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from networks import read_network
from routing import LeadTimeModel
from routing.backends.highs import solve_lp
from routing.formulation.horizon import (
    build_horizon_lp,
    finite_limits,
    hour_weight,
    split_solution,
    state_at,
    steady_start,
)
from routing.formulation.horizon_network import horizon_network, solve_horizon_decomposition
from routing.formulation.verify import TOLERANCE, duality_gap, lp_violation
from routing.formulation.verify_horizon import check_horizon_solution
from routing.formulation.weights import objective_weights
from routing.options import Objective
from tests.routing.formulation.test_decomposition import rich_network

DATA = Path(__file__).parents[2] / "data"


def _day(arrays, rng, closed: bool):
    """One day's arrays: capacities, throughputs, power and demand scaled at random; on a closed day
    a random node's links are shut and its throughput is 0."""
    scale = lambda v, lo, hi: np.where(np.isfinite(v), v * rng.uniform(lo, hi, len(v)), v)
    capacity = np.where(np.isfinite(arrays.capacity), arrays.capacity, rng.integers(20, 80, arrays.n_links) * 1.0)
    capacity = scale(capacity, 0.3, 1.2)
    throughput = scale(arrays.throughput, 0.3, 1.2)
    if closed:
        node = int(rng.integers(arrays.n_nodes))
        capacity = np.where((arrays.tail == node) | (arrays.head == node), 0.0, capacity)
        throughput = throughput.copy()
        throughput[node] = 0.0
    return replace(arrays, capacity=capacity, throughput=throughput, power_mw=scale(arrays.power_mw, 0.5, 1.0),
                   demand_loads=arrays.demand_loads * rng.uniform(0.8, 1.6, len(arrays.demand_loads)))


def _horizon(seed: int, n_commodities: int, n_days: int, step_h: float, objective: str, later: bool):
    """A random horizon LP on a network with every row type (and its days, weights and pipeline)."""
    network = rich_network(seed, n_commodities)
    rng = np.random.default_rng(seed)
    steady = LeadTimeModel(network, solver="highs", objective=objective).solve()._frames.solution
    base = network.arrays
    days = [_day(base, rng, closed=rng.random() < 0.4) for _ in range(n_days)]
    weights = [objective_weights(d, Objective(objective), usd_per_load_hour=5.0) for d in days]
    hw = hour_weight(Objective(objective), 5.0)
    lp = build_horizon_lp(days, weights, steady.flow, step_h=step_h, hour_weight=hw)
    if not later:
        return lp
    first = solve_lp(lp, time_limit_s=None)  # a later start: the backlog and loads under way at day 1
    start = state_at(lp.layout, base, split_solution(lp.layout, first.x), steady_start(lp.layout, base, steady.flow),
                     lp.layout.steps_per_day)
    return build_horizon_lp(days[1:], weights[1:], steady.flow, step_h=step_h, hour_weight=hw,
                            finite=finite_limits(days), initial=start)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_commodities=st.integers(1, 3), n_days=st.integers(2, 4),
       step_h=st.sampled_from([6.0, 8.0, 12.0, 24.0]), objective=st.sampled_from(["lead_time", "cost", "blend"]),
       later=st.booleans())
@example(seed=56253, n_commodities=1, n_days=2, step_h=12.0, objective="lead_time", later=True)  # a market no
#   load reaches in the horizon: its demand rows' duals are the penalty's, not a stand-in potential's
@example(seed=263, n_commodities=1, n_days=2, step_h=6.0, objective="blend", later=True)  # the gap closed by an
#   earlier round's bound while the last master's dual still priced a path out: the proof's multipliers are kept
def test_the_decomposition_finds_highs_optimum_and_its_duals_certify_it(seed, n_commodities, n_days, step_h,
                                                                         objective, later):
    lp = _horizon(seed, n_commodities, n_days, step_h, objective, later)
    highs = solve_lp(lp, time_limit_s=None)
    ours = solve_horizon_decomposition(lp)
    assert highs.status.value == ours.status.value == "optimal", ours.detail
    assert lp.c @ ours.x == pytest.approx(lp.c @ highs.x, rel=1e-9, abs=1e-9)
    assert lp_violation(lp, ours.x) <= 1e-9
    assert duality_gap(lp, ours.x, ours.row_dual) <= 1e-9


def test_every_row_type_is_in_the_random_horizons():
    """The cross-check above is not vacuous: its LPs have capacity, throughput, power, water and
    queue rows, a pipeline, and optima with backlog (late and never delivered)."""
    lp = _horizon(3, 2, 3, 12.0, "lead_time", later=False)
    net = horizon_network(lp)
    assert not isinstance(net, str)
    assert len(lp.capacity_links) and len(lp.throughput_nodes) and len(lp.power_nodes) and len(lp.water_nodes)
    assert lp.layout.n_lane_types > 0 and net.pipeline_loads > 0
    backlog = np.zeros(0)
    for seed in range(6):
        lp = _horizon(seed, 2, 2, 12.0, "lead_time", later=False)
        ours = solve_horizon_decomposition(lp)
        backlog = np.concatenate([backlog, split_solution(lp.layout, ours.x).backlog[:, -1]])
    assert backlog.max() > 1e-6  # something is left undelivered at the end of some horizon


def test_a_network_it_cannot_read_is_said_so_not_solved():
    lp = _horizon(5, 2, 2, 12.0, "lead_time", later=False)
    bounded = replace(lp, ub=np.where(np.arange(len(lp.ub)) == 0, 1.0, lp.ub))  # a bounded dispatch column
    answer = solve_horizon_decomposition(bounded)
    assert answer.status.value == "not_solved" and "bounded flow columns" in answer.detail


def _by_decomposition(monkeypatch, network, events, n_days, step_h):
    from routing.analysis import disrupt
    from routing.scenarios.horizon import day_networks, parse_event

    seen = []
    solve_primary = disrupt._solve_primary

    def spy(lp, **kwargs):
        answer = solve_primary(lp, **kwargs)
        seen.append((lp, answer[0]))
        return answer

    monkeypatch.setattr(disrupt, "HORIZON_METHOD", "decomposition")
    monkeypatch.setattr(disrupt, "_SOLVED", {})
    monkeypatch.setattr(disrupt, "_solve_primary", spy)
    base, days = day_networks(network, [parse_event(e, network) for e in events], n_days)
    return disrupt.solve_disruption(base, days, step_h=step_h), seen


def test_hand_solved_closure_by_decomposition(monkeypatch):
    """The hand-solved closure of tests/routing/analysis/test_disrupt.py (P -> C -> M, C closed on
    days 2 and 3) solved by the decomposition: the same backlog, recovery and extra load-hours."""
    result, seen = _by_decomposition(monkeypatch, read_network(DATA / "horizon_three"), ["close:C:2-3"], 12, 24)
    assert result.status.value == "optimal"
    assert {answer.detail for _, answer in seen} == {"decomposition"}
    backlog = result.days.sort("day")["backlog_loads"].to_list()
    assert backlog == pytest.approx([0, 0, 0, 10, 20, 15, 10, 5, 0, 0, 0, 0], abs=1e-6)
    rec = result.recovery
    assert rec["backlog_peak_loads"] == pytest.approx(20.0) and rec["backlog_peak_day"] == 4
    assert rec["days_to_recover"] == 5
    assert rec["extra_load_hours"] == pytest.approx(1920.0)


def test_the_built_in_network_at_a_short_horizon_by_decomposition(monkeypatch):
    """Built-in network, 3 days of 12 h, the World Trade Bridge closed on day 1: every LP of the run is
    solved by the decomposition, certified, and has HiGHS's optimum (the events' LP starts from the
    baseline's tie-broken plan, so the LPs are compared, not two runs that may start from two optima)."""
    result, seen = _by_decomposition(monkeypatch, read_network(), ["close:POE_WTB:1-1"], 3, 12)
    assert result.status.value == "optimal"
    assert len(seen) == 2 and {answer.detail for _, answer in seen} == {"decomposition"}
    for lp, answer in seen:
        highs = solve_lp(lp, time_limit_s=None)
        assert lp.c @ answer.x == pytest.approx(lp.c @ highs.x, rel=1e-9)
        assert duality_gap(lp, answer.x, answer.row_dual) <= TOLERANCE


def test_the_decomposition_answer_passes_the_independent_check():
    network = read_network(DATA / "two_crossings")
    arrays = network.arrays
    weights = objective_weights(arrays, "lead_time", usd_per_load_hour=5.0)
    flow = LeadTimeModel(network).solve()._frames.solution.flow
    lp = build_horizon_lp([arrays] * 3, [weights] * 3, flow, step_h=4)
    ours = solve_horizon_decomposition(lp)
    assert check_horizon_solution([arrays] * 3, [weights] * 3, lp.layout, flow, split_solution(lp.layout, ours.x)).ok


def test_an_answer_its_duals_do_not_certify_falls_back_on_highs(monkeypatch):
    """A decomposition answer labelled optimal whose duals leave a gap is not kept: the LP is solved by
    the interior method instead, and the detail says so."""
    from routing.analysis import disrupt

    def wrong(lp, **kwargs):
        right = solve_horizon_decomposition(lp)
        return replace(right, row_dual=right.row_dual * 0.5)  # feasible point, duals that prove nothing

    monkeypatch.setattr(disrupt, "solve_horizon_decomposition", wrong)
    lp = _horizon(7, 2, 2, 12.0, "lead_time", later=False)
    answer, _, _ = disrupt._solve_primary(lp, time_limit_s=None, method="decomposition")
    assert answer.status.value == "optimal" and answer.detail.startswith("decomposition not certified")
    assert lp.c @ answer.x == pytest.approx(lp.c @ solve_lp(lp, time_limit_s=None).x, rel=1e-9)
    assert duality_gap(lp, answer.x, answer.row_dual) <= TOLERANCE
