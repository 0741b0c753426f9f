"""Is the no-event baseline just the steady state, dispatched every step? No: two steady plans are
feasible for the baseline LP but not optimal, so ``solve_disruption`` keeps the LP (docs/disrupt.md,
"Speed").

* *truncated*: the steady flows dispatched in every step, keeping only the dispatches that arrive
  inside the horizon (the LP's own columns), production and deliveries at the steady rate, the loads
  that can go no further held where they are;
* *trimmed*: the steady flows scaled, per node and step, to the share of loads that the steady
  routing still delivers inside the horizon (nothing is produced or dispatched that cannot arrive).

The LP beats the truncated plan by the loads it need not ship at the end (hand-computed on
``horizon_three``), and the trimmed plan too, on random networks and on the built-in one, because
what is left unshipped at the end frees supply and capacity that the LP uses for other loads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from networks import read_network
from networks.generate import random_network
from routing import solve_lead_time
from routing.backends.highs import solve_lp
from routing.formulation.horizon import build_horizon_lp, pipeline_arrivals, split_solution
from routing.formulation.lp import fill_segments
from routing.formulation.verify_horizon import check_horizon_solution
from routing.formulation.weights import objective_weights

DATA = Path(__file__).parents[2] / "data"


def _flows(lay, arrays, x):
    """Loads landing at and leaving each (commodity, node, step) for dispatches ``x``."""
    T, n, k = lay.n_steps, lay.n_nodes, lay.n_commodities
    arrive = lay.arc_step + lay.tau[lay.arc_link]
    inflow = np.stack([np.bincount(arrays.head[lay.arc_link] * T + arrive, x[c], n * T) for c in range(k)])
    outflow = np.stack([np.bincount(arrays.tail[lay.arc_link] * T + lay.arc_step, x[c], n * T) for c in range(k)])
    return inflow.reshape(k, n, T), outflow.reshape(k, n, T)


def _plan(lp, arrays, weights, steady, reach: np.ndarray):
    """The steady plan with each dispatch, production and lane-split column scaled by ``reach`` (the
    share kept, per commodity, node and step); holdovers take up whatever is left over."""
    lay = lp.layout
    T, k, n, share = lay.n_steps, lay.n_commodities, lay.n_nodes, lay.step_h / 24.0
    arrive = lay.arc_step + lay.tau[lay.arc_link]
    x = steady.flow[:, lay.arc_link] * share * reach[:, arrays.head[lay.arc_link], arrive]
    p = steady.production[:, None] * share * reach[arrays.supply_commodity, arrays.supply_node, :T]
    y = np.repeat(((arrays.demand_loads - steady.unmet) * share)[:, None], T, axis=1)
    b = np.outer(steady.unmet, np.arange(1, T + 1)) * share
    inflow, outflow = _flows(lay, arrays, x)
    made, taken = np.zeros((k, n, T)), np.zeros((k, n, T))
    np.add.at(made, (arrays.supply_commodity, arrays.supply_node), p)
    np.add.at(taken, (arrays.demand_commodity, arrays.demand_node), y)
    h = np.cumsum(inflow + pipeline_arrivals(lay, arrays, steady.flow) + made - outflow - taken, axis=2)
    z = w = np.zeros(0)
    if lay.n_lane_types:
        q = arrays.queue
        out_day = np.zeros((k, n))
        np.add.at(out_day, (slice(None), q.node), steady.queue_assign)
        scale = np.divide(outflow[:, q.node], out_day[:, q.node, None], out=np.zeros((k, len(q.node), T)),
                          where=out_day[:, q.node, None] > 0)
        z = steady.queue_assign[:, :, None] * scale
        w = np.stack([fill_segments(z[:, :, t].sum(axis=0), weights.segment_width * share) for t in range(T)], axis=2)
    return np.concatenate([x.ravel(), h.ravel(), p.ravel(), y.ravel(), b.ravel(), z.ravel(), w.ravel()])


def truncated_plan(lp, arrays, weights, steady):
    """Every column at its steady value wherever the LP has it (``reach`` 1 inside the horizon)."""
    lay = lp.layout
    reach = np.ones((lay.n_commodities, lay.n_nodes, lay.n_steps + int(lay.tau.max()) + 1))
    return _plan(lp, arrays, weights, steady, reach)


def trimmed_plan(lp, arrays, weights, steady):
    """Only what the steady routing delivers inside the horizon: ``reach[k, n, t]``, the share of the
    loads of k at n in step t that arrive at a market by the end, backwards over the steps."""
    lay = lp.layout
    T, k, n = lay.n_steps, lay.n_commodities, lay.n_nodes
    deliver = np.zeros((k, n))
    np.add.at(deliver, (arrays.demand_commodity, arrays.demand_node), arrays.demand_loads - steady.unmet)
    out = deliver + np.stack([np.bincount(arrays.tail, steady.flow[c], n) for c in range(k)])
    reach = np.zeros((k, n, T + int(lay.tau.max()) + 1))
    for t in range(T - 1, -1, -1):  # a test's reference, not a hot path
        on = np.where(t + lay.tau < T, reach[:, arrays.head, t + lay.tau], 0.0)
        kept = deliver + np.stack([np.bincount(arrays.tail, steady.flow[c] * on[c], n) for c in range(k)])
        reach[:, :, t] = np.divide(kept, out, out=np.zeros((k, n)), where=out > 1e-12)
    return _plan(lp, arrays, weights, steady, reach)


def _baseline(network, n_days: int, step_h: float):
    arrays = network.arrays
    weights = objective_weights(arrays, "lead_time", usd_per_load_hour=5.0)
    steady = solve_lead_time(network)._frames.solution
    lp = build_horizon_lp([arrays] * n_days, [weights] * n_days, steady.flow, step_h=step_h)
    answer = solve_lp(lp, time_limit_s=None)
    assert answer.status.value == "optimal"
    plans = {}
    for name, make in (("truncated", truncated_plan), ("trimmed", trimmed_plan)):
        values = make(lp, arrays, weights, steady)
        verdict = check_horizon_solution([arrays] * n_days, [weights] * n_days, lp.layout, steady.flow,
                                         split_solution(lp.layout, values))
        assert verdict.ok, f"the {name} steady plan is not feasible: {verdict.worst}"
        plans[name] = float(lp.c @ values)
    return float(lp.c @ answer.x), plans


def test_the_truncated_steady_plan_ships_and_holds_what_cannot_arrive():
    """P -> C -> M, 24 h a link (6 steps of 4 h), 10 loads a day (10/6 a step), 6 days (36 steps).

    Truncated, P keeps producing and dispatching to the end: the dispatches to C of steps 24-29
    (6 x 10/6 loads x 24 h = 240 load-h) land at C in steps 30-35 with nowhere to go and are held
    there (1 + ... + 6 = 21 step-loads of 10/6, x 4 h = 140), and P's production of steps 30-35 is
    held at P (another 140). The LP does none of it: 520 load-hours less. The trimmed plan is the
    LP's optimum here.
    """
    optimum, plans = _baseline(read_network(DATA / "horizon_three"), 6, 4)
    assert plans["truncated"] - optimum == pytest.approx(520.0, rel=1e-9)
    assert plans["trimmed"] == pytest.approx(optimum, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), commodities=st.integers(1, 2), n_days=st.integers(2, 5),
       step_h=st.sampled_from([6.0, 12.0, 24.0]))
@example(seed=24, commodities=1, n_days=4, step_h=24.0)  # trimmed 1,174 against the LP's 1,160
def test_the_steady_plans_are_feasible_and_never_beat_the_lp(seed, commodities, n_days, step_h):
    network = random_network(seed=seed, n_commodities=commodities, extra_links=6)
    optimum, plans = _baseline(network, n_days, step_h)
    for name, value in plans.items():
        assert value >= optimum * (1 - 1e-9) - 1e-9, name


def test_the_trimmed_steady_plan_is_not_the_optimum_on_random_networks():
    """The counter-example: random network 24, 4 days of 24 h (see the module docstring)."""
    optimum, plans = _baseline(random_network(seed=24, n_commodities=1, extra_links=6), 4, 24)
    assert optimum == pytest.approx(1160.0, rel=1e-9)
    assert plans["trimmed"] == pytest.approx(1174.0, rel=1e-9)


@pytest.mark.slow
def test_the_trimmed_steady_plan_is_not_the_optimum_on_the_built_in_network():
    """4 days of 12 h: the steady plans cost 14.5 % more than the LP's optimum."""
    optimum, plans = _baseline(read_network(), 4, 12)
    assert plans["trimmed"] > optimum * (1 + 1e-3)
    assert plans["truncated"] >= plans["trimmed"] * (1 - 1e-9)
