"""An independent check of a time-expanded solution, before it is reported (as :mod:`verify` does
for the steady model).

It re-scores a :class:`HorizonSolution` on the day arrays, without the LP matrix the solver saw:
every block non-negative and finite; conservation per commodity, node and step, with the steady
pipeline landing in the first steps; the demand rows per step (delivered + backlog carried out - backlog
carried in = the step's share of the day's demand); link capacity, node throughput (loads leaving), production, plant
power and water per step at the step's share of the day's limit; the lane split of queued crossings
(FAST lanes only for eligible commodities, each step's volume within its wait curve).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from networks import NetworkArrays
from routing.formulation.horizon import HorizonLayout, HorizonSolution, HorizonStart, steady_start
from routing.formulation.lp import FAST
from routing.formulation.verify import TOLERANCE, Verification, _relative
from routing.formulation.weights import Weights


def check_horizon_solution(days: Sequence[NetworkArrays], weights: Sequence[Weights], lay: HorizonLayout,
                           pipeline_flow: np.ndarray, sol: HorizonSolution, *,
                           tolerance: float = TOLERANCE, initial: HorizonStart | None = None) -> Verification:
    """Check every row family of the horizon model; see the module docstring. ``initial`` (default: the
    steady pipeline of ``pipeline_flow``) is what is under way at step 0."""
    start = initial or steady_start(lay, days[0], pipeline_flow)
    checks = list(_rows(days, weights, lay, start, sol))
    name, value = max(checks, key=lambda item: item[1]) if checks else ("", 0.0)
    return Verification(ok=bool(value <= tolerance), max_violation=float(value),
                        worst=f"{name} off by {value:.3g}" if value > tolerance else "")


def _rows(days: Sequence[NetworkArrays], weights: Sequence[Weights], lay: HorizonLayout, start: HorizonStart,
          sol: HorizonSolution) -> Iterator[tuple[str, float]]:
    base = days[0]
    T, n, k, spd, share = lay.n_steps, lay.n_nodes, lay.n_commodities, lay.steps_per_day, lay.step_h / 24.0
    day_of = np.arange(T) // spd
    for name in ("x", "hold", "production", "delivered", "backlog", "assign", "segment"):
        values = getattr(sol, name)
        if not np.all(np.isfinite(values)):
            yield f"{name} (not finite)", np.inf
            return
        yield f"{name} >= 0", _relative(np.maximum(0.0, -values), np.abs(values))
    a, t = lay.arc_link, lay.arc_step
    arrive = t + lay.tau[a]
    if np.any(arrive >= T):
        yield "dispatches arrive inside the horizon", np.inf
    inflow = np.zeros((k, n, T))
    outflow = np.zeros((k, n, T))
    for c in range(k):
        inflow[c] = np.bincount(base.head[a] * T + arrive, sol.x[c], n * T).reshape(n, T)
        outflow[c] = np.bincount(base.tail[a] * T + t, sol.x[c], n * T).reshape(n, T)
    inflow += start.arrivals
    hold_in = np.zeros((k, n, T))
    hold_out = np.zeros((k, n, T))
    hold_in[:, :, 1:] = sol.hold[:, :, :-1]
    hold_out[:, :, :] = sol.hold
    made = np.zeros((k, n, T))
    np.add.at(made, (base.supply_commodity, base.supply_node), sol.production)
    taken = np.zeros((k, n, T))
    np.add.at(taken, (base.demand_commodity, base.demand_node), sol.delivered)
    residual = inflow + hold_in + made - outflow - hold_out - taken
    yield "conservation per step", _relative(np.abs(residual), inflow + hold_in + made + outflow + hold_out + taken)

    demand = np.stack([d.demand_loads for d in days])[day_of].T * share  # (D, T)
    carried = np.concatenate([start.backlog[:, None], sol.backlog[:, :-1]], axis=1)
    gap = sol.delivered + sol.backlog - carried - demand
    yield "demand and backlog per step", _relative(np.abs(gap), sol.delivered + carried + sol.backlog + demand)

    cap = np.stack([d.capacity for d in days])[day_of[t], a] * share
    used = np.bincount(a * T + t, sol.x.sum(axis=0), lay.tau.size * T)[a * T + t]
    yield "link capacity per step", _relative(np.maximum(0.0, used - cap), used)
    leaving = outflow.sum(axis=0)  # (n, T)
    thr = np.stack([d.throughput for d in days])[day_of].T * share
    yield "node throughput per step", _relative(np.maximum(0.0, leaving - thr), leaving)
    supply = np.stack([d.supply_capacity for d in days])[day_of].T * share
    yield "production <= supply", _relative(np.maximum(0.0, sol.production - supply), sol.production)
    for per_load, limit, label in ((base.power_mwh_per_load, lambda d: 24.0 * d.power_mw, "plant power"),
                                   (base.water_m3_per_load, lambda d: d.water_m3_per_day, "plant water")):
        use = np.zeros((n, T))
        np.add.at(use, base.supply_node, sol.production * per_load[base.supply_commodity][:, None])
        cap_n = np.stack([limit(d) for d in days])[day_of].T * share
        yield label, _relative(np.maximum(0.0, use - cap_n), use)
    queue = base.queue
    if len(queue):
        split = np.zeros((k, n, T))
        np.add.at(split, (slice(None), queue.node), sol.assign)
        nodes = np.unique(queue.node)
        yield "lane split = loads leaving the crossing", _relative(
            np.abs(split[:, nodes] - outflow[:, nodes]), outflow[:, nodes])
        blocked = (queue.lane_type[None, :] == FAST) & ~base.fast_eligible[:, None]
        yield "FAST lanes only for eligible commodities", _relative(np.abs(sol.assign * blocked[:, :, None]),
                                                                    np.abs(sol.assign))
        room = np.stack([w.segment_width.sum(axis=1) for w in weights])[day_of].T * share  # (R, T)
        volume = sol.assign.sum(axis=0)
        yield "lane volume within its wait curve", _relative(np.maximum(0.0, volume - room), volume)
