"""The horizon LP solved by the path decomposition: the time-expanded LP as a multi-commodity flow.

:func:`routing.formulation.horizon.build_horizon_lp` writes the horizon as one LP; read per
commodity it *is* a flow on a time-expanded network, so the exact Dantzig–Wolfe decomposition of
the steady model (:mod:`routing.formulation.decomposition`: path columns priced by Dijkstra per
commodity, coupling rows added as they are violated) solves it. :func:`horizon_network` reads that
network off the LP itself (its matrix, costs, bounds and right-hand sides; nothing else), so what is
solved is exactly the LP that is certified:

* nodes ``hold(n, t)`` (the conservation row of node n at step t) and ``out(n, t)`` (loads leaving
  n at step t): the link ``hold -> out`` carries every dispatch of the step, so node throughput and
  a queued crossing's lane split (both on the loads *leaving*, as in the horizon LP) are the steady
  model's rows on the loads *entering* ``out(n, t)``;
* dispatch links ``out(tail, t) -> hold(head, t + tau)`` with the step's weight and share of the
  capacity; holdover links ``hold(n, t) -> hold(n, t + 1)``; the last holdover ``hold(n, T - 1) ->
  END``, a free sink (one demand row per commodity with a zero unmet penalty, priced per supplier);
* per demand row and step a node ``D(d, t)`` with the demand row of the step, reached from
  ``hold(market, t)`` (the delivery ``y``); the backlog ``b[d, t]`` is a link ``D(d, t + 1) -> D(d, t)``
  at the penalty per step (a load one step late serves the earlier step's demand) and what is never
  delivered is the row's unmet column at the penalty times the steps to the end;
* production ``p[s, t]`` a supply row at ``hold(plant, t)`` (its bound, power and water as in the
  steady model, per step); the pipeline landing at ``(n, t)`` a supply row at its own node
  ``PIPE -> hold(n, t)`` bounded by the loads landing, at weight ``-M`` with ``M`` above the dearest
  holdover to the end: any plan that left a pipeline load unshipped is improved by holding that load
  to the end (holdovers use no coupling row), so every optimum ships all of it, and the objective is
  the horizon LP's minus ``M`` times the pipeline. Dijkstra sees the start arcs shifted by a
  constant per commodity (every cost >= 0).

The answer is mapped back to the horizon LP's columns and row duals are derived: conservation rows
get the commodity's shortest-path distance to ``hold(n, t)`` under the master's multipliers (a
node no load can reach gets the largest distance, which keeps every arc's reduced cost >= 0), demand
rows ``min(distance to the market + delivery, the next step's + backlog)`` backwards from the last
step's penalty, coupling rows minus the master's multipliers, lane split and lane volume the
master's. They certify the point when :func:`routing.formulation.verify.duality_gap` on the horizon
LP is within tolerance; the caller checks that (and falls back on HiGHS otherwise).

Measured (docs/disrupt.md "Speed", CPU seconds side by side, 2026-12-02): exact and certified
everywhere, but slower than HiGHS's interior point on its face, 2.0x on the built-in network at
3 d x 12 h, 11.3x on the bench's 7 d x 4 h (194.6 s against 17.2 s), and on the 28 d x 12 h World
Trade Bridge episode not finished in about 1,900 s against 56.9 s: the master carries a demand
row per step, a supply row per plant and step and per pipeline landing and every step's lane split,
and column generation needs 40-60 re-solves of it. So it is not the default.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from networks import NetworkArrays
from networks.arrays import QueueArrays
from routing.backends.outcome import LpSolution
from routing.formulation.decomposition import DecompositionSession
from routing.formulation.horizon import HorizonProgram
from routing.formulation.lp import FAST, fill_segments
from routing.formulation.solution import Status
from routing.formulation.weights import Weights

SESSION = {"smoothing": 0.0, "all_rows": True, "prune": False}
"""How the decomposition runs on a horizon. Measured on the built-in network's 3-day LP at 4 h steps
(56,377 columns; CPU seconds, one process, 2026-12-02, load 2-3): the steady defaults (rows added
when violated, smoothing 0.5, idle columns pruned) 8.3 s in 138 pricing rounds; every coupling row
from the start 3.7-3.9 s (94 rounds); and smoothing off 3.0 s (57 rounds); no pruning 3.9 s (55
rounds); HiGHS dual simplex on the whole LP 0.79 s. On the bench's 7 d x 4 h run these settings took
193.9 s for its two LPs against 235.5 s with the steady defaults (the no-event LP 93.7 s against
162.9 s, the events' LP 100.2 s against 72.6 s)."""
ARRIVAL_ROUNDING = 1e-9
"""Arrivals this far below zero (relative to the largest) are a solver's rounding in the state a later
horizon starts from, read as zero (the certificate on the LP itself then judges the point)."""


@dataclass(frozen=True, slots=True)
class HorizonNetwork:
    """The time-expanded network of a horizon LP, in the decomposition's terms, and its index maps."""

    arrays: NetworkArrays
    weights: Weights
    row_penalty: np.ndarray  # per demand row: the (d, t) rows, then one END row per commodity
    sink_rows: np.ndarray  # the END rows
    link_start: dict[str, int]  # first link of each block: dispatch, split, hold, end, deliver, backlog, pipe
    demand_commodity: np.ndarray  # per horizon demand row d
    demand_market: np.ndarray
    pipeline_weight: float  # M
    pipeline_loads: float


def _unsupported(detail: str) -> LpSolution:
    return LpSolution(Status.NOT_SOLVED, np.zeros(0), np.zeros(0), np.zeros(0), 0.0, detail=detail)


def _cons_entries(csc, cols: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, position in ``cols``, value) of the columns' entries in the first ``n_rows`` rows."""
    sub = csc[:, cols].tocoo()
    keep = sub.row < n_rows
    return sub.row[keep], sub.col[keep], sub.data[keep]


def _row_values(csc, cols: np.ndarray, first: int, last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row - first, position in ``cols``, value) of the columns' entries in rows ``first .. last - 1``."""
    sub = csc[:, cols].tocoo()
    keep = (sub.row >= first) & (sub.row < last)
    return sub.row[keep] - first, sub.col[keep], sub.data[keep]


def horizon_network(lp: HorizonProgram) -> HorizonNetwork | str:
    """The time-expanded network of ``lp`` (see the module docstring), or why it cannot be read."""
    lay = lp.layout
    T, N, K, A = lay.n_steps, lay.n_nodes, lay.n_commodities, lay.n_arcs
    S, D, R, J = lay.n_supply, lay.n_demand, lay.n_lane_types, lay.n_segments
    off, csc, n_cons = lay.offsets, lp.matrix.tocsc(), K * N * T
    if np.any(lp.lb != 0):
        return "a column with a nonzero lower bound"
    c = lp.c
    c_x = c[lay.block("x")].reshape(K, A)
    c_h = c[lay.block("h")].reshape(K, N, T)
    if not (np.all(c_x == c_x[:1]) and np.all(c_h == c_h[:1])):
        return "weights that depend on the commodity"
    c_x, c_h = c_x[0], c_h[0]
    c_p, ub_p = c[lay.block("p")].reshape(S, T), lp.ub[lay.block("p")].reshape(S, T)
    c_y, c_b = c[lay.block("y")].reshape(D, T), c[lay.block("b")].reshape(D, T)
    if np.any(c_x < 0) or np.any(c_h < 0) or np.any(c_y < 0) or np.any(c_b < 0) or np.any(c[lay.block("z")] != 0):
        return "negative link, holdover or backlog weights, or costed lane splits"
    free = np.concatenate([lp.ub[lay.block(b)] for b in ("x", "h", "y", "b")])
    if not np.all(np.isinf(free)):
        return "bounded flow columns"
    # the network, from the conservation rows
    row, col, val = _cons_entries(csc, off["x"] + np.arange(A), n_cons)
    head_of, tail_of = np.empty(A, dtype=np.int64), np.empty(A, dtype=np.int64)
    head_of[col[val > 0]], tail_of[col[val < 0]] = row[val > 0] // T, row[val < 0] // T
    row, col, val = _cons_entries(csc, off["p"] + np.arange(S) * T, n_cons)
    supply_kn = np.empty(S, dtype=np.int64)
    supply_kn[col] = row // T
    row, col, val = _cons_entries(csc, off["y"] + np.arange(D) * T, n_cons)
    demand_kn = np.empty(D, dtype=np.int64)
    demand_kn[col] = row // T
    supply_k, supply_n = np.divmod(supply_kn, N)
    demand_k, demand_n = np.divmod(demand_kn, N)
    if len(np.unique(supply_kn)) < S:
        return "two supply rows of one commodity at one node"
    # limits per (owner, step), from the rows
    first = lp.row_blocks["limits"].start
    pairs = [lp.capacity_links, lp.throughput_nodes, lp.power_nodes, lp.water_nodes]
    starts = first + np.concatenate([[0], np.cumsum([len(p) for p in pairs])])
    limit = [lp.row_hi[starts[i]:starts[i + 1]] for i in range(4)]
    per_load = []
    for i in (2, 3):  # power and water per load, by commodity
        r_, col, val = _row_values(csc, off["p"] + np.arange(S * T), int(starts[i]), int(starts[i + 1]))
        coef = np.zeros(K)
        coef[supply_k[col // T]] = val
        per_load.append(coef)
    # nodes of the time-expanded network
    NT = N * T
    steps = np.arange(T)
    hold = (np.arange(N)[:, None] * T + steps).ravel()
    out = NT + hold
    d_node = 2 * NT + np.arange(D * T)
    end = 2 * NT + D * T
    arrivals = -lp.row_lo[:n_cons].reshape(K, N, T)
    if np.any(arrivals < -ARRIVAL_ROUNDING * (1.0 + np.abs(arrivals).max(initial=0.0))):
        return "negative arrivals"
    arrivals = np.maximum(arrivals, 0.0)  # a start read off a solver's plan may carry rounding below zero
    pk, pn, pt = np.nonzero(arrivals > 0)
    pipe = end + 1 + np.arange(len(pk))
    n_nodes = end + 1 + len(pk)
    # links, block by block
    arc_step, arc_link = lay.arc_step, lay.arc_link
    d_rows, d_steps = np.divmod(np.arange(D * T), T)
    blocks = {
        "dispatch": (NT + tail_of * T + arc_step, head_of * T + arc_step + lay.tau[arc_link], c_x),
        "split": (hold, out, np.zeros(NT)),
        "hold": (hold.reshape(N, T)[:, :-1].ravel(), hold.reshape(N, T)[:, 1:].ravel(), c_h[:, :-1].ravel()),
        "end": (hold.reshape(N, T)[:, -1], np.full(N, end), c_h[:, -1]),
        "deliver": (demand_n[d_rows] * T + d_steps, d_node, c_y.ravel()),
        "backlog": (d_node.reshape(D, T)[:, 1:].ravel(), d_node.reshape(D, T)[:, :-1].ravel(), c_b[:, :-1].ravel()),
        "pipe": (pipe, pn * T + pt, np.zeros(len(pk))),
    }
    link_start, at = {}, 0
    for name, (tail, _, _) in blocks.items():
        link_start[name] = at
        at += len(tail)
    link_start["stop"] = at
    tail = np.concatenate([b[0] for b in blocks.values()]).astype(np.int64)
    head = np.concatenate([b[1] for b in blocks.values()]).astype(np.int64)
    weight = np.concatenate([b[2] for b in blocks.values()]).astype(float)
    capacity = np.full(at, np.inf)
    if len(pairs[0]):
        order = np.argsort(pairs[0])
        key = arc_link * T + arc_step
        pos = np.minimum(np.searchsorted(pairs[0][order], key), len(order) - 1)
        has = pairs[0][order][pos] == key
        capacity[np.flatnonzero(has)] = limit[0][order[pos[has]]]
    throughput, power, water = (np.full(n_nodes, np.inf) for _ in range(3))
    owner, step = np.divmod(pairs[1], T)
    throughput[NT + owner * T + step] = limit[1]
    owner, step = np.divmod(pairs[2], T)
    power[owner * T + step] = limit[2] / 24.0
    owner, step = np.divmod(pairs[3], T)
    water[owner * T + step] = limit[3]
    # supply rows: production per (s, t), then the pipeline
    holding_to_end = float(c_h.max(initial=0.0)) * T
    big = holding_to_end + 1.0
    s_rows, s_steps = np.divmod(np.arange(S * T), T)
    supply_node = np.concatenate([supply_n[s_rows] * T + s_steps, pipe]).astype(np.int64)
    supply_commodity = np.concatenate([supply_k[s_rows], pk]).astype(np.int64)
    supply_capacity = np.concatenate([ub_p.ravel(), arrivals[pk, pn, pt]])
    supply_weight = np.concatenate([c_p.ravel(), np.full(len(pk), -big)])
    # demand rows: (d, t), then one free END row per commodity
    demand_rhs = lp.row_lo[n_cons:n_cons + D * T]
    total = np.bincount(demand_k[d_rows], demand_rhs, minlength=K) + np.bincount(pk, arrivals[pk, pn, pt],
                                                                                 minlength=K)
    demand_node = np.concatenate([d_node, np.full(K, end)]).astype(np.int64)
    demand_commodity = np.concatenate([demand_k[d_rows], np.arange(K)]).astype(np.int64)
    demand_loads = np.concatenate([demand_rhs, total + 1.0])
    to_end = np.cumsum(c_b[:, ::-1], axis=1)[:, ::-1]  # a load of step t never delivered: b[d, t .. T - 1]
    row_penalty = np.concatenate([to_end.ravel(), np.zeros(K)])
    sink_rows = np.concatenate([np.zeros(D * T, dtype=bool), np.ones(K, dtype=bool)])
    # queued crossings: lane type r at step t is lane r T + t of out(q, t)
    if R:
        z_first = off["z"] + np.arange(R) * T  # k = 0, t = 0
        q_first = lp.row_blocks["queues"].start
        r_, col, _ = _row_values(csc, z_first, q_first, q_first + K * len(lp.queue_nodes) * T)  # the lane split
        lane_pos = np.empty(R, dtype=np.int64)
        lane_pos[col] = r_ // T
        blocked = (lp.ub[off["z"] + np.arange(K * R) * T] == 0).reshape(K, R)
        fast = blocked.any(axis=0)
        eligible = ~(blocked & fast).any(axis=1)
        if not np.array_equal(blocked, fast[None, :] & ~eligible[:, None]):
            return "lanes closed to commodities in a pattern other than FAST eligibility"
        q_node = (NT + lp.queue_nodes[lane_pos][:, None] * T + steps).ravel()
        lane_type = np.repeat(np.where(fast, FAST, 0 if FAST != 0 else 1), T)  # FAST, or any other type
        width = lp.ub[lay.block("w")].reshape(R, J, T).transpose(0, 2, 1).reshape(R * T, J)
        seg_cost = c[lay.block("w")].reshape(R, J, T).transpose(0, 2, 1).reshape(R * T, J)
    else:
        eligible = np.ones(K, dtype=bool)
        q_node, lane_type = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        width = seg_cost = np.zeros((0, 0))
    nq = len(q_node)
    zq = np.zeros(nq)
    queue = QueueArrays(node=q_node.astype(np.int64), lane_type=lane_type.astype(np.int64), lanes=zq,
                        loads_per_lane_hour=zq, open_h_per_day=zq, capacity=zq, background=zq, rho_ref=zq,
                        wait_typical_h=zq, wait_p95_h=zq)
    zl, zn = np.zeros(at), np.zeros(n_nodes)
    arrays = NetworkArrays(
        tail=tail, head=head, transit_h=zl, transit_p95_h=zl, link_delay_prob=zl, link_delay_h=zl, capacity=capacity,
        cost_usd=zl, mode=np.zeros(at, dtype=np.int64), dwell_h=zn, dwell_p95_h=zn, node_delay_prob=zn,
        node_delay_h=zn, throughput=throughput, power_mw=power, water_m3_per_day=water,
        kind=np.zeros(n_nodes, dtype=np.int64), power_mwh_per_load=per_load[0], water_m3_per_load=per_load[1],
        value_usd_per_load=np.zeros(K), supply_node=supply_node, supply_commodity=supply_commodity,
        supply_capacity=supply_capacity, demand_node=demand_node, demand_commodity=demand_commodity,
        demand_loads=demand_loads, fast_eligible=eligible, queue=queue)
    weights = Weights(link=weight, supply=supply_weight, penalty=float(row_penalty.max(initial=0.0)),
                      segment_width=width, segment_hours=np.zeros_like(width), segment_cost=seg_cost)
    return HorizonNetwork(arrays=arrays, weights=weights, row_penalty=row_penalty, sink_rows=sink_rows,
                          link_start=link_start, demand_commodity=demand_k, demand_market=demand_n,
                          pipeline_weight=big, pipeline_loads=float(arrivals.sum()))


def _columns(lp: HorizonProgram, net: HorizonNetwork, flow: np.ndarray, production: np.ndarray,
             unmet: np.ndarray, assign: np.ndarray) -> np.ndarray:
    """The horizon LP's column vector of a decomposition solution."""
    lay, ls = lp.layout, net.link_start
    T, N, K, D, S = lay.n_steps, lay.n_nodes, lay.n_commodities, lay.n_demand, lay.n_supply
    x = flow[:, ls["dispatch"]:ls["split"]]
    h = np.concatenate([flow[:, ls["hold"]:ls["end"]].reshape(K, N, T - 1),
                        flow[:, ls["end"]:ls["deliver"]].reshape(K, N, 1)], axis=2)
    p = production[:S * T]
    y = flow[:, ls["deliver"]:ls["backlog"]].sum(axis=0)
    carried = np.concatenate([flow[:, ls["backlog"]:ls["pipe"]].sum(axis=0).reshape(D, T - 1), np.zeros((D, 1))],
                             axis=1)
    b = carried + np.cumsum(unmet[:D * T].reshape(D, T), axis=1)
    R, J = lay.n_lane_types, lay.n_segments
    if R:
        z = assign.reshape(K, R, T)
        width = net.weights.segment_width
        w = fill_segments(z.sum(axis=0).reshape(R * T), width).reshape(R, T, J).transpose(0, 2, 1)
    else:
        z, w = np.zeros(0), np.zeros(0)
    return np.concatenate([x.ravel(), h.ravel(), p, y, b.ravel(), z.ravel(), w.ravel()])


def _row_duals(lp: HorizonProgram, net: HorizonNetwork, pot: dict[str, np.ndarray]) -> np.ndarray:
    """Row duals of the horizon LP from the decomposition's potentials and multipliers (module docstring)."""
    lay = lp.layout
    T, N, K, D = lay.n_steps, lay.n_nodes, lay.n_commodities, lay.n_demand
    dist = pot["dist"][:, :N * T].reshape(K, N, T)
    c_y, c_b = lp.c[lay.block("y")].reshape(D, T), lp.c[lay.block("b")].reshape(D, T)
    at_market = dist[net.demand_commodity, net.demand_market] + c_y  # (D, T); inf where no load can get there
    psi = np.empty((D, T))
    psi[:, -1] = np.minimum(at_market[:, -1], c_b[:, -1])
    for t in range(T - 2, -1, -1):  # backwards over the steps; the demand rows are vectorised
        psi[:, t] = np.minimum(at_market[:, t], psi[:, t + 1] + c_b[:, t])
    finite = np.isfinite(dist)  # a node no load reaches: above every other potential and every demand row's
    phi = np.where(finite, dist, max(dist[finite].max(initial=0.0), psi.max(initial=0.0)))
    NT, ls = N * T, net.link_start
    cap_of_arc = pot["capacity"][ls["dispatch"]:ls["split"]]
    parts = [phi.ravel(), psi.ravel()]
    if len(lp.capacity_links):
        order = np.argsort(lp.capacity_links)
        key = lay.arc_link * T + lay.arc_step
        pos = np.minimum(np.searchsorted(lp.capacity_links[order], key), len(order) - 1)
        has = lp.capacity_links[order][pos] == key
        cap = np.zeros(len(lp.capacity_links))
        cap[order[pos[has]]] = -cap_of_arc[has]
        parts.append(cap)
    owner, step = np.divmod(lp.throughput_nodes, T)
    parts.append(-pot["throughput"][NT + owner * T + step])
    for name, pairs in (("power", lp.power_nodes), ("water", lp.water_nodes)):
        owner, step = np.divmod(pairs, T)
        parts.append(-pot[name][owner * T + step])
    if lay.n_lane_types:
        parts += [pot["split"].ravel(), pot["volume"]]
    return np.concatenate(parts)


def solve_horizon_decomposition(lp: HorizonProgram, *, time_limit_s: float | None = None) -> LpSolution:
    """The horizon LP by path decomposition: its columns and derived row duals (``OPTIMAL`` only when
    the decomposition proved its optimum; the caller certifies the duals on ``lp``)."""
    start = time.perf_counter()
    net = horizon_network(lp)
    if isinstance(net, str):
        return _unsupported(f"decomposition: not a flow network here ({net})")
    session = DecompositionSession(seed=False, **SESSION)
    sol = session.solve(net.arrays, net.weights, time_limit_s=time_limit_s, row_penalty=net.row_penalty,
                        sink_rows=net.sink_rows)
    spent = time.perf_counter() - start
    if sol.status != Status.OPTIMAL:
        return LpSolution(sol.status, np.zeros(0), np.zeros(0), np.zeros(0), spent, detail=sol.detail)
    x = _columns(lp, net, sol.flow, sol.production, sol.unmet, sol.queue_assign)
    row_dual = _row_duals(lp, net, session.potentials(session.final_dual))
    col_dual = lp.c - lp.matrix.T @ row_dual
    return LpSolution(Status.OPTIMAL, x, row_dual, col_dual, time.perf_counter() - start, detail=sol.detail)
