"""The time-expanded LP of a network over a horizon of days (no solver objects here).

The horizon has ``T = n_days x 24 / step_h`` steps; step ``t`` covers hours ``[t h, (t + 1) h)`` of
day ``t // steps_per_day``. Link ``a`` takes ``tau[a] = max(1, round(hours[a] / step_h))`` steps,
where ``hours`` is its ``transit_h`` plus the ``dwell_h`` of the node it enters: each link is
rounded to the nearest step (at least one), so a load's arrival step is off by at most half a step
per leg. Objective hours stay the true hours; only *when* a load arrives is rounded.

Variables, in this order:

* ``x[k, a, t]``  loads of commodity k dispatched on link a at step t (only dispatches that arrive
  inside the horizon, ``t + tau[a] < T``);
* ``h[k, n, t]``  loads of k holding over at node n from step t to t + 1 (waiting at a plant, a yard,
  a crossing's queue, a port or a market); ``h[k, n, T - 1]`` is what is still at n when the
  horizon ends (the pipeline that lands in the last step has to stay somewhere);
* ``p[s, t]``     production of supply row s in step t, ``0 <= p <= supply[s] x step_h / 24``;
* ``y[d, t]``     loads handed to demand row d (its market and commodity) in step t;
* ``b[d, t]``     backlog of demand row d at the end of step t (loads), ``b >= 0``;
* ``z[k, r, t]``  loads of k processed by lane type r of a queued crossing in step t;
* ``w[r, j, t]``  volume of lane type r on wait segment j in step t, ``w <= width[r, j] x step_h / 24``.

Rows:

* conservation per commodity, node and step:
  ``sum_in x[k, a, t - tau[a]] + h[k, n, t - 1] - sum_out x[k, a, t] - h[k, n, t] + p[k, n, t] - y[k, n, t]
  = -pipeline[k, n, t]``; the ``pipeline`` is what was dispatched before step 0 at the steady-state
  rate and lands at step t (``x_ss[k, a] x step_h / 24`` on every link with ``tau[a] > t``), or,
  for a horizon that starts later (:class:`HorizonStart`, :func:`state_at`), whatever lands at
  step t from before its step 0, the loads held over into step 0 included;
* demand per demand row and step: ``y[d, t] + b[d, t] - b[d, t - 1] = demand[d, e(t)] x step_h / 24``
  (what is owed, this step's demand and the backlog carried in, is delivered or carried on)
  (``b[d, -1] = 0`` from the steady state, else the start's backlog). Each step asks
  for its share of the day's demand, so deliveries keep the steady rhythm unless something
  holds them up, and a load one step late is backlog for that step;
* link capacity per step: ``sum_k x[k, a, t] <= capacity[a, e] x step_h / 24``;
* node throughput per step, on the loads leaving the node (processed): ``sum_k sum_out x[k, a, t]
  <= throughput[n, e] x step_h / 24``; loads that cannot leave a closed node hold over in it, so
  loads at a closed crossing wait in its queue;
* plant power and water per step, as in the steady model with a step's share of the day;
* lane split at a queued crossing q: ``sum_(r at q) z[k, r, t] = sum_out x[k, a, t]``, and lane
  volume ``sum_k z[k, r, t] = sum_j w[r, j, t]``: each step's processed volume pays the convex
  wait of its rate, as in the steady model.

The objective is the steady model's weights per link and supply row, ``step_h`` times the weight of
an hour per holdover, the segments' marginal wait, and ``penalty`` per load and step of backlog:
the steady unmet-demand penalty, larger than any path's weight, so one step of lateness costs more
than any route and the LP delivers as early as it can (even in the last step of the horizon, where
a smaller charge would let it leave the last loads undelivered) and only then minimises hours.
Ties are broken over the optimal face in the order of :func:`horizon_tie_breaks`: backlog cleared
early, backlog in proportion to demand, freight as in the steady model (:func:`horizon_secondary`),
then the plan closest to today's steady one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from networks import NetworkArrays
from routing.formulation.face import Stage
from routing.formulation.lp import FAST, _Rows, define_limit, fill_segments
from routing.formulation.solution import Solution as SteadyFlows
from routing.formulation.weights import Weights, link_hours
from routing.options import DEFAULT_STEP_H, STEPS_OF_A_DAY, Objective  # noqa: F401 - re-exported


@dataclass(frozen=True, slots=True)
class HorizonLayout:
    """Index maps of the time-expanded LP: which (link, step) pairs exist and where each block starts."""

    n_days: int
    step_h: float
    steps_per_day: int
    n_steps: int
    tau: np.ndarray  # steps per link
    arc_link: np.ndarray  # per dispatch arc: its link
    arc_step: np.ndarray  # per dispatch arc: its dispatch step
    n_commodities: int
    n_nodes: int
    n_supply: int
    n_demand: int
    n_lane_types: int
    n_segments: int
    offsets: dict[str, int]

    @property
    def n_arcs(self) -> int:
        return len(self.arc_link)

    def block(self, name: str) -> slice:
        """The columns of one variable block (``x``, ``h``, ``p``, ``y``, ``b``, ``z``, ``w``)."""
        names = list(self.offsets)
        end = self.offsets[names[names.index(name) + 1]] if name != names[-1] else self.offsets["end"]
        return slice(self.offsets[name], end)


@dataclass(frozen=True, slots=True)
class HorizonProgram:
    """``min c.x`` subject to ``row_lo <= A x <= row_hi``, ``lb <= x <= ub`` (read by the HiGHS
    backend like :class:`routing.formulation.lp.LinearProgram`) and the maps to read its solution."""

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    matrix: object
    layout: HorizonLayout
    capacity_links: np.ndarray  # capacity rows, as link x n_steps + step (links finite on some day)
    throughput_nodes: np.ndarray  # the same for node throughput, plant power and water, as node x n_steps + step
    power_nodes: np.ndarray
    water_nodes: np.ndarray
    queue_nodes: np.ndarray
    row_blocks: dict[str, slice]
    hour_weight: float = 1.0  # objective weight of a load-hour of holdover (see :func:`hour_weight`)


def link_steps(hours: np.ndarray, step_h: float) -> np.ndarray:
    """Steps a link takes: its hours rounded to the nearest step, at least one.

    Example
    -------
    >>> link_steps(np.array([0.6, 5.9, 6.1, 30.0]), 4.0).tolist()
    [1, 1, 2, 8]
    """
    return np.maximum(1, np.floor(hours / step_h + 0.5)).astype(np.int64)


def _ranges(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts c_i: (i repeated c_i times, 0..c_i-1 for each i), without a Python loop."""
    owner = np.repeat(np.arange(len(counts)), counts)
    start = np.cumsum(counts) - counts
    return owner, np.arange(int(counts.sum())) - start[owner]


def horizon_layout(arrays: NetworkArrays, weights: Weights, *, n_days: int, step_h: float) -> HorizonLayout:
    """The index maps for ``n_days`` of ``step_h`` hours on the structure of ``arrays``."""
    spd = int(round(24 / step_h))
    T = n_days * spd
    tau = link_steps(link_hours(arrays), step_h)
    arc_link, arc_step = _ranges(np.maximum(0, T - tau))
    k, n = arrays.n_commodities, arrays.n_nodes
    r, j = weights.segment_width.shape if len(arrays.queue) else (0, 0)
    sizes = {"x": k * len(arc_link), "h": k * n * T, "p": len(arrays.supply_node) * T,
             "y": len(arrays.demand_node) * T, "b": len(arrays.demand_node) * T, "z": k * r * T, "w": r * j * T}
    offsets, at = {}, 0
    for name, size in sizes.items():
        offsets[name] = at
        at += size
    offsets["end"] = at
    return HorizonLayout(n_days=n_days, step_h=float(step_h), steps_per_day=spd, n_steps=T, tau=tau,
                         arc_link=arc_link, arc_step=arc_step, n_commodities=k, n_nodes=n,
                         n_supply=len(arrays.supply_node), n_demand=len(arrays.demand_node), n_lane_types=r,
                         n_segments=j, offsets=offsets)


def define_horizon_conservation(rows: _Rows, arrays: NetworkArrays, lay: HorizonLayout) -> None:
    """Conservation per (k, n, t), row ``(k n_nodes + n) T + t`` (see the module docstring)."""
    T, n, k, A = lay.n_steps, lay.n_nodes, lay.n_commodities, lay.n_arcs
    kk = np.repeat(np.arange(k), A)
    a, t = np.tile(lay.arc_link, k), np.tile(lay.arc_step, k)
    x = lay.offsets["x"] + np.arange(k * A)
    head, tail = arrays.head[a], arrays.tail[a]
    rows.add((kk * n + head) * T + t + lay.tau[a], x, np.ones(k * A))
    rows.add((kk * n + tail) * T + t, x, -np.ones(k * A))
    kn, th = np.divmod(np.arange(k * n * T), T)
    hold = lay.offsets["h"] + np.arange(k * n * T)
    rows.add(kn * T + th, hold, -np.ones(len(hold)))
    later = th < T - 1
    rows.add(kn[later] * T + th[later] + 1, hold[later], np.ones(int(later.sum())))
    s, ts = np.divmod(np.arange(lay.n_supply * T), T)
    rows.add((arrays.supply_commodity[s] * n + arrays.supply_node[s]) * T + ts, lay.offsets["p"] + s * T + ts,
             np.ones(len(s)))
    d, td = np.divmod(np.arange(lay.n_demand * T), T)
    rows.add((arrays.demand_commodity[d] * n + arrays.demand_node[d]) * T + td, lay.offsets["y"] + d * T + td,
             -np.ones(len(d)))
    rows.next_row = k * n * T


def define_horizon_demand(rows: _Rows, lay: HorizonLayout) -> None:
    """``y[d, t] + b[d, t] - b[d, t - 1] = demand[d, e(t)] x step_h / 24``: row ``d T + t``."""
    T, D = lay.n_steps, lay.n_demand
    d, t = np.divmod(np.arange(D * T), T)
    rows.add(rows.next_row + d * T + t, lay.offsets["y"] + d * T + t, np.ones(D * T))
    backlog = lay.offsets["b"] + d * T + t
    rows.add(rows.next_row + d * T + t, backlog, np.ones(D * T))
    later = t < T - 1
    rows.add(rows.next_row + d[later] * T + t[later] + 1, backlog[later], -np.ones(int(later.sum())))
    rows.next_row += D * T


def _per_step_limit(rows: _Rows, owner: np.ndarray, step: np.ndarray, var: np.ndarray, coef: np.ndarray,
                    limited: np.ndarray, T: int) -> np.ndarray:
    """``sum coef var <= limit[owner, t]``: :func:`routing.formulation.lp.define_limit` over the pairs
    (owner, step), one row per pair with a term whose owner is ``limited``; returns the pairs as
    ``owner x T + step``, in row order."""
    return define_limit(rows, owner * T + step, var, coef, np.repeat(np.where(limited, 0.0, np.inf), T))


def define_horizon_limits(rows: _Rows, arrays: NetworkArrays, lay: HorizonLayout,
                          finite: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Per-step link capacity, node throughput (loads leaving), plant power and water; rows exist for
    the owners whose limit is finite on some day (``finite``)."""
    T, k, A = lay.n_steps, lay.n_commodities, lay.n_arcs
    a, t = np.tile(lay.arc_link, k), np.tile(lay.arc_step, k)
    x = lay.offsets["x"] + np.arange(k * A)
    ones = np.ones(k * A)
    capacity = _per_step_limit(rows, a, t, x, ones, finite["capacity"], T)
    throughput = _per_step_limit(rows, arrays.tail[a], t, x, ones, finite["throughput"], T)
    s, ts = np.divmod(np.arange(lay.n_supply * T), T)
    p = lay.offsets["p"] + s * T + ts
    out = []
    for per_load, name in ((arrays.power_mwh_per_load, "power"), (arrays.water_m3_per_load, "water")):
        coef = per_load[arrays.supply_commodity[s]]
        used = coef > 0
        out.append(_per_step_limit(rows, arrays.supply_node[s][used], ts[used], p[used], coef[used],
                                   finite[name], T))
    return capacity, throughput, out[0], out[1]


def define_horizon_queues(rows: _Rows, arrays: NetworkArrays, lay: HorizonLayout) -> np.ndarray:
    """Lane split ``sum_(r at q) z[k, r, t] - sum_out x[k, a, t] = 0`` (row ``(k Q + q) T + t``), then
    lane volume ``sum_k z[k, r, t] - sum_j w[r, j, t] = 0`` (row ``r T + t``)."""
    queue, k, T, A = arrays.queue, lay.n_commodities, lay.n_steps, lay.n_arcs
    R, J = lay.n_lane_types, lay.n_segments
    if R == 0:
        return np.zeros(0, dtype=np.int64)
    qn = np.unique(queue.node)
    Q = len(qn)
    kz, rz, tz = np.unravel_index(np.arange(k * R * T), (k, R, T))
    z = lay.offsets["z"] + np.arange(k * R * T)
    pos = np.searchsorted(qn, queue.node)
    rows.add(rows.next_row + (kz * Q + pos[rz]) * T + tz, z, np.ones(len(z)))
    kx = np.repeat(np.arange(k), A)
    tail = arrays.tail[np.tile(lay.arc_link, k)]
    at_q = np.isin(tail, qn)
    rows.add(rows.next_row + (kx[at_q] * Q + np.searchsorted(qn, tail[at_q])) * T + np.tile(lay.arc_step, k)[at_q],
             lay.offsets["x"] + np.flatnonzero(at_q), -np.ones(int(at_q.sum())))
    rows.next_row += k * Q * T
    rows.add(rows.next_row + rz * T + tz, z, np.ones(len(z)))
    rw, jw, tw = np.unravel_index(np.arange(R * J * T), (R, J, T))
    rows.add(rows.next_row + rw * T + tw, lay.offsets["w"] + np.arange(R * J * T), -np.ones(R * J * T))
    rows.next_row += R * T
    return qn


def finite_limits(days: Sequence[NetworkArrays]) -> dict[str, np.ndarray]:
    """Which owners have a finite limit on some day (the rows the matrix must carry)."""
    return {
        "capacity": np.any([np.isfinite(d.capacity) for d in days], axis=0),
        "throughput": np.any([np.isfinite(d.throughput) for d in days], axis=0),
        "power": np.any([np.isfinite(d.power_mw) for d in days], axis=0),
        "water": np.any([np.isfinite(d.water_m3_per_day) for d in days], axis=0),
    }


def hour_weight(objective: Objective, usd_per_load_hour: float) -> float:
    """The objective weight of one load-hour: 1 under lead time, 0 under cost, the value of an hour in a blend."""
    return {Objective.LEAD_TIME: 1.0, Objective.COST: 0.0, Objective.BLEND: usd_per_load_hour}[Objective(objective)]


def build_horizon_lp(days: Sequence[NetworkArrays], weights: Sequence[Weights], pipeline_flow: np.ndarray, *,
                     step_h: float, hour_weight: float = 1.0, finite: dict[str, np.ndarray] | None = None,
                     initial: HorizonStart | None = None) -> HorizonProgram:
    """Assemble the time-expanded LP (COO triplets, one CSR conversion), then its bounds.

    ``days[e]`` and ``weights[e]`` are day e's network arrays and objective weights (one structure);
    ``pipeline_flow`` the steady-state flow (commodities, links) in loads/day dispatched before day 0.
    ``finite`` (default: from ``days``) says which limits get rows, so one matrix can serve other days.
    ``initial`` (default: :func:`steady_start` of ``pipeline_flow``) is what is under way at step 0.
    """
    base = days[0]
    lay = horizon_layout(base, weights[0], n_days=len(days), step_h=step_h)
    rows = _Rows(lay.offsets["end"])
    define_horizon_conservation(rows, base, lay)
    blocks = {"conservation": slice(0, rows.next_row)}
    start = rows.next_row
    define_horizon_demand(rows, lay)
    blocks["demand"] = slice(start, rows.next_row)
    start = rows.next_row
    capacity, throughput, power, water = define_horizon_limits(rows, base, lay, finite or finite_limits(days))
    blocks["limits"] = slice(start, rows.next_row)
    start = rows.next_row
    queue_nodes = define_horizon_queues(rows, base, lay)
    blocks["queues"] = slice(start, rows.next_row)
    empty = np.zeros(0)
    skeleton = HorizonProgram(c=empty, lb=empty, ub=empty, row_lo=empty, row_hi=empty, matrix=rows.matrix(),
                              layout=lay, capacity_links=capacity, throughput_nodes=throughput, power_nodes=power,
                              water_nodes=water, queue_nodes=queue_nodes, row_blocks=blocks,
                              hour_weight=float(hour_weight))
    return with_horizon_bounds(skeleton, days, weights, pipeline_flow, initial=initial)


def pipeline_arrivals(lay: HorizonLayout, arrays: NetworkArrays, flow: np.ndarray) -> np.ndarray:
    """Loads per (commodity, node, step) landing from dispatches before step 0 at the steady rate."""
    T, n = lay.n_steps, lay.n_nodes
    link, t = _ranges(np.minimum(lay.tau, T))
    share = lay.step_h / 24.0
    out = np.zeros((lay.n_commodities, n * T))
    for c in range(lay.n_commodities):  # k is small; the links and steps are vectorised
        out[c] = np.bincount(arrays.head[link] * T + t, flow[c, link] * share, n * T)
    return out.reshape(lay.n_commodities, n, T)


@dataclass(frozen=True, slots=True)
class HorizonStart:
    """What the network holds when step 0 of a horizon begins: the loads landing at each node in
    each step from dispatches made before it, and the backlog each demand row is owed."""

    arrivals: np.ndarray  # (commodities, nodes, steps)
    backlog: np.ndarray  # (demand rows,)


def steady_start(lay: HorizonLayout, arrays: NetworkArrays, flow: np.ndarray) -> HorizonStart:
    """Today's steady state: the pipeline of ``flow`` (:func:`pipeline_arrivals`) and no backlog."""
    return HorizonStart(pipeline_arrivals(lay, arrays, flow), np.zeros(len(arrays.demand_node)))


def state_at(lay: HorizonLayout, arrays: NetworkArrays, sol: HorizonSolution, start: HorizonStart,
             step: int) -> HorizonStart:
    """The start of the horizon's steps from ``step`` on, once ``sol`` ran steps ``0 .. step - 1``.

    Arrivals at ``step + t`` are the start's own, the dispatches before ``step`` that land then,
    and (at ``t = 0``) the loads held over from ``step - 1``; the backlog is the one carried out of
    ``step - 1``. Solving the later steps from this start is the full horizon with every column of
    an earlier step fixed to ``sol``, without those columns.
    """
    if step == 0:
        return start
    T, n = lay.n_steps, lay.n_nodes
    arrive = lay.arc_step + lay.tau[lay.arc_link]
    landing = (lay.arc_step < step) & (arrive >= step)
    where = arrays.head[lay.arc_link[landing]] * (T - step) + arrive[landing] - step
    arrivals = start.arrivals[:, :, step:].copy()
    for c in range(lay.n_commodities):  # k is small; the arcs are vectorised
        arrivals[c] += np.bincount(where, sol.x[c, landing], n * (T - step)).reshape(n, T - step)
    arrivals[:, :, 0] += sol.hold[:, :, step - 1]
    return HorizonStart(arrivals, sol.backlog[:, step - 1].copy())


def steady_prefix(lay: HorizonLayout, arrays: NetworkArrays, weights: Weights, steady: SteadyFlows,
                  step: int) -> np.ndarray | None:
    """The columns of steps ``0 .. step - 1`` when the network runs at its steady state (zero after).

    Every column is the steady value times ``step_h / 24``: dispatches ``x_ss``, production, deliveries
    (the steady unmet demand piles up as backlog), lane split and wait segments (filled in order, as
    the convex steady LP fills them); no holdovers. It is feasible for the horizon's rows whenever
    every link with steady flow has a column in each of those steps; ``None`` when one does not
    (a dispatch before ``step`` would land after the horizon).
    """
    used = steady.flow.sum(axis=0) > 0
    if np.any(used & (step - 1 + lay.tau >= lay.n_steps)) and step > 0:
        return None
    return steady_columns(lay, arrays, weights, steady, step)


def steady_columns(lay: HorizonLayout, arrays: NetworkArrays, weights: Weights, steady: SteadyFlows,
                   step: int | None = None) -> np.ndarray:
    """The columns of steps ``0 .. step - 1`` (every step by default) at the steady state, zero after:
    :func:`steady_prefix` without its check, so a steady dispatch whose column the horizon lacks
    (it would land after the end) is simply missing. The whole vector is today's plan carried on
    over the horizon, the target of the last tie-break stage (:func:`horizon_tie_breaks`)."""
    T, k, share = lay.n_steps, lay.n_commodities, lay.step_h / 24.0
    step = T if step is None else step
    early = np.arange(T) < step
    x = np.where(lay.arc_step < step, steady.flow[:, lay.arc_link], 0.0) * share
    h = np.zeros(k * lay.n_nodes * T)
    p = np.outer(steady.production, early) * share
    owed = arrays.demand_loads - steady.unmet
    y = np.outer(owed, early) * share
    b = np.outer(steady.unmet, np.where(early, np.arange(1, T + 1), 0)) * share
    R = lay.n_lane_types
    z = (steady.queue_assign[:, :, None] * early).ravel() * share if R else np.zeros(0)
    w = (fill_segments(steady.queue_assign.sum(axis=0), weights.segment_width)[:, :, None] * early).ravel() * share \
        if R else np.zeros(0)
    return np.concatenate([x.ravel(), h, p.ravel(), y.ravel(), b.ravel(), z, w])


def with_horizon_bounds(lp: HorizonProgram, days: Sequence[NetworkArrays], weights: Sequence[Weights],
                        pipeline_flow: np.ndarray, *, initial: HorizonStart | None = None) -> HorizonProgram:
    """The same matrix with the costs, bounds and right-hand sides of ``days`` (one per day).

    This is how the events' costs and bounds go on the same matrix: only values change.
    """
    lay = lp.layout
    T, N, spd, k, share = lay.n_steps, lay.n_days, lay.steps_per_day, lay.n_commodities, lay.step_h / 24.0
    day_of = np.arange(T) // spd

    def stack(get):  # one row per day
        return np.stack([get(d) for d in days])

    link_w = np.stack([w.link for w in weights])  # ties are left to the solver (no secondary objective here)
    c_x = link_w[day_of[lay.arc_step], lay.arc_link]
    c_p = np.stack([w.supply for w in weights])[day_of].T.ravel()  # (S, T)
    penalty = float(weights[0].penalty)
    R = lay.n_lane_types
    seg_cost = np.stack([w.segment_cost for w in weights]) if R else np.zeros((N, 0, 0))
    seg_width = np.stack([w.segment_width for w in weights]) if R else np.zeros((N, 0, 0))
    c = np.concatenate([np.tile(c_x, k), np.full(k * lay.n_nodes * T, lp.hour_weight * lay.step_h), c_p,
                        np.zeros(lay.n_demand * T), np.full(lay.n_demand * T, penalty), np.zeros(k * R * T),
                        seg_cost[day_of].transpose(1, 2, 0).ravel()])
    supply = stack(lambda d: d.supply_capacity)[day_of].T.ravel() * share
    fast_blocked = (days[0].queue.lane_type[None, :] == FAST) & ~days[0].fast_eligible[:, None] if R else \
        np.zeros((k, 0), dtype=bool)
    z_ub = np.repeat(np.where(fast_blocked, 0.0, np.inf).ravel(), T)
    ub = np.concatenate([np.full(k * lay.n_arcs + k * lay.n_nodes * T, np.inf), supply,
                         np.full(2 * lay.n_demand * T, np.inf), z_ub,
                         (seg_width[day_of].transpose(1, 2, 0) * share).ravel()])
    start = initial or steady_start(lay, days[0], pipeline_flow)
    rhs_cons = -start.arrivals.ravel()
    rhs_demand = stack(lambda d: d.demand_loads)[day_of].T * share  # (D, T)
    rhs_demand[:, 0] += start.backlog  # owed from before step 0
    rhs_demand = rhs_demand.ravel()
    def per_step(by_day: np.ndarray, pairs: np.ndarray) -> np.ndarray:  # (days, owners) at each row's pair
        owner, step = np.divmod(pairs, T)
        return by_day[day_of[step], owner] * share

    limits = np.concatenate([
        per_step(stack(lambda d: d.capacity), lp.capacity_links),
        per_step(stack(lambda d: d.throughput), lp.throughput_nodes),
        per_step(stack(lambda d: 24.0 * d.power_mw), lp.power_nodes),
        per_step(stack(lambda d: d.water_m3_per_day), lp.water_nodes),
    ])
    n_queue = lp.row_blocks["queues"].stop - lp.row_blocks["queues"].start
    eq = np.concatenate([rhs_cons, rhs_demand])
    return replace(lp, c=c, lb=np.zeros(len(c)), ub=ub,
                   row_lo=np.concatenate([eq, np.full(len(limits), -np.inf), np.zeros(n_queue)]),
                   row_hi=np.concatenate([eq, limits, np.zeros(n_queue)]))


@dataclass(frozen=True, slots=True)
class HorizonSolution:
    """The LP's columns, shaped by block (see the module docstring for their meaning)."""

    x: np.ndarray  # (commodities, arcs)
    hold: np.ndarray  # (commodities, nodes, steps): the last step's is what is left at the node at the end
    production: np.ndarray  # (supply rows, steps)
    delivered: np.ndarray  # (demand rows, steps)
    backlog: np.ndarray  # (demand rows, steps)

    def backlog_by_day(self, steps_per_day: int) -> np.ndarray:
        """Backlog at the end of each day: (demand rows, days)."""
        return self.backlog[:, steps_per_day - 1::steps_per_day]
    assign: np.ndarray  # (commodities, lane types, steps)
    segment: np.ndarray  # (lane types, segments, steps)


def horizon_secondary(lp: HorizonProgram, weights: Sequence[Weights], *, secondary_hour_weight: float) -> np.ndarray:
    """The freight tie-break objective of the horizon, as the steady model's (:mod:`routing.formulation.face`):
    each dispatch carries its link's ``secondary`` weight of its day (cost under ``lead_time``,
    hours under ``cost``) and each holdover ``secondary_hour_weight x step_h`` (1 when the secondary
    counts hours, else 0); the other columns 0. All zero when the objective has no tie-break."""
    lay = lp.layout
    day_of = np.arange(lay.n_steps) // lay.steps_per_day
    out = np.zeros(lay.offsets["end"])
    if not all(w.secondary.size for w in weights):
        return out
    per_day = np.stack([w.secondary for w in weights])
    out[lay.block("x")] = np.tile(per_day[day_of[lay.arc_step], lay.arc_link], lay.n_commodities)
    out[lay.block("h")] = secondary_hour_weight * lay.step_h
    return out


def horizon_tie_breaks(lp: HorizonProgram, weights: Sequence[Weights], *, secondary_hour_weight: float,
                       today: np.ndarray | None = None) -> tuple[Stage, ...]:
    """The horizon's lexicographic tie-break (:func:`routing.formulation.face.lexicographic`), in order.

    1. **Backlog cleared early**: ``sum_(d,t) (t + 1) / T x b[d, t]``, the backlog's load-steps
       weighted by how late they are. The primary charges every load-step of backlog alike, so its
       optima can hold the same backlog early or late; this keeps the one that clears soonest.
    2. **Backlog shared in proportion to demand**: ``sum_(d,t) q_d b[d, t]^2 / 2`` with
       ``q_d = mean(m) / m_d``, ``m_d`` the row's median demand per step (floored at 1e-3 of the
       mean). This is the demand-weighted sum of squares of each row's backlog in steps of its own
       demand: where loads can go to either of two markets, no optimum of it moves a load of
       backlog from one to the other, so backlog ends up in proportion to demand (a market's delay
       in its own days of demand is evened out; a small market is not starved to spare a large
       one, nor the reverse), and of two profiles with the same weighted sum, the flatter one (a
       lower peak). Chosen over "the least largest share" (an LP of min-max) because a strictly
       convex objective has one optimum in ``b``: every backlog ``b[d, t]`` and hence every delivery
       (``y[d, t] = demand + b[d, t - 1] - b[d, t]``) is the same whichever optimum the solver found
       first, so the days' rows and the recovery summary are pinned down.
    3. **Freight** (:func:`horizon_secondary`), as the steady model; omitted when it is all zero.
    4. **Closest to today's plan**: ``sum (x - today)^2 / 2`` over every dispatch, holdover,
       production, lane assignment and wait-segment column, ``today`` the steady state's columns
       (:func:`steady_columns`; zero when not given). After stage 3 loads can still take either of
       two routes, time slots or lanes of equal cost; of those plans this keeps the one that changes
       today's flows least: with no event the network runs as the steady model plans it wherever
       the horizon allows, and an event moves only what it must. Where today's plan does not tell
       two alternatives apart the loads split evenly between them. Being strictly convex it has one
       optimum in every column, so the lead time of each dispatch day, the crossings' loads and
       waits by day, and the state the no-event plan leaves when an event strikes are the same
       whichever optimum the solver found first (measured before any such stage: up to 12 h apart
       between two exact methods).
    """
    lay = lp.layout
    T, D = lay.n_steps, lay.n_demand
    steps = np.tile(np.arange(T, dtype=np.float64), D)
    early = np.zeros(lay.offsets["end"])
    early[lay.block("b")] = (steps + 1.0) / T
    per_step = np.median(lp.row_hi[lp.row_blocks["demand"]].reshape(D, T), axis=1) if D else np.zeros(0)
    mean = float(per_step.mean()) if D and per_step.mean() > 0 else 1.0
    share = np.zeros(lay.offsets["end"])
    share[lay.block("b")] = np.repeat(mean / np.maximum(per_step, 1e-3 * mean), T)
    freight = horizon_secondary(lp, weights, secondary_hour_weight=secondary_hour_weight)
    near = np.zeros(lay.offsets["end"])
    for block in ("x", "h", "p", "z", "w"):
        near[lay.block(block)] = 1.0
    pull = -near * today if today is not None else None
    backlog = (Stage("backlog cleared early", cost=early), Stage("backlog in proportion to demand", quadratic=share))
    return (*backlog, *((Stage("freight", cost=freight),) if np.any(freight) else ()),
            Stage("closest to today's plan", cost=pull, quadratic=near))


def split_solution(lay: HorizonLayout, values: np.ndarray) -> HorizonSolution:
    """Cut the LP's column vector into its blocks."""
    T, k = lay.n_steps, lay.n_commodities
    return HorizonSolution(
        x=values[lay.block("x")].reshape(k, lay.n_arcs),
        hold=values[lay.block("h")].reshape(k, lay.n_nodes, T),
        production=values[lay.block("p")].reshape(lay.n_supply, T),
        delivered=values[lay.block("y")].reshape(lay.n_demand, T),
        backlog=values[lay.block("b")].reshape(lay.n_demand, T),
        assign=values[lay.block("z")].reshape(k, lay.n_lane_types, T),
        segment=values[lay.block("w")].reshape(lay.n_lane_types, lay.n_segments, T),
    )


def column_steps(lay: HorizonLayout) -> np.ndarray:
    """The step each column belongs to (a dispatch's step for ``x``, the end of a day for ``b``)."""
    T, k = lay.n_steps, lay.n_commodities
    steps = np.arange(T)
    return np.concatenate([np.tile(lay.arc_step, k), np.tile(steps, k * lay.n_nodes),
                           np.tile(steps, lay.n_supply), np.tile(steps, lay.n_demand), np.tile(steps, lay.n_demand),
                           np.tile(steps, k * lay.n_lane_types), np.tile(steps, lay.n_lane_types * lay.n_segments)])
