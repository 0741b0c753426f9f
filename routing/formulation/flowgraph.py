"""The single-commodity problem as an integer min-cost flow (OR-Tools ``SimpleMinCostFlow``).

The LP of :mod:`routing.formulation.lp` with one commodity and no power or water rows is a min-cost flow on
an extended graph:

* a super source ``S`` with supply equal to total demand; each market has ``-demand``;
* ``S -> supplier`` arcs (capacity = supply, cost = the supplier's dwell);
* ``S -> market`` arcs for unmet demand (capacity = demand, cost = the penalty);
* a node with a throughput limit is split into ``v_in -> v`` (capacity = throughput): links and
  supply arcs enter ``v_in``, so the limit counts loads entering or starting at the node.

Costs are scaled to integers (``COST_SCALE`` per hour or dollar). Dual values come from shortest
path distances in the residual graph (node potentials), so the result explains its bottlenecks
like the LP does. With demand unmet, what one unit more (or less) of a capacity serves and saves is
read off the same residual graph, exactly, by :class:`FlowProbe` (:func:`unit_values`): no re-solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from networks import NetworkArrays
from routing.backends.ortools import solve_min_cost_flow
from routing.formulation.solution import Solution, no_solution
from routing.formulation.weights import Weights

COST_SCALE = 1000  # objective units are rounded to 1/1000 (of an hour, or of a dollar)


def is_integral(values: np.ndarray) -> bool:
    """True when every finite value is a whole number."""
    finite = values[np.isfinite(values)]
    return bool(np.all(finite == np.round(finite)))


def fits_min_cost_flow(arrays: NetworkArrays, weights: Weights) -> bool:
    """Whether the min-cost flow gives exactly the LP's optimum for this instance."""
    uses_rows = bool(np.isfinite(arrays.power_mw).any() and arrays.power_mwh_per_load.any()) or bool(
        np.isfinite(arrays.water_m3_per_day).any() and arrays.water_m3_per_load.any()
    )
    scaled = np.concatenate([weights.link, weights.supply, [weights.penalty]]) * COST_SCALE
    return (
        arrays.n_commodities == 1
        and len(arrays.queue) == 0  # wait curves need the LP
        and not uses_rows
        and all(is_integral(v) for v in (arrays.capacity, arrays.throughput, arrays.supply_capacity, arrays.demand_loads))
        and np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6)
    )


@dataclass(frozen=True, slots=True)
class FlowGraph:
    """The extended min-cost-flow graph of a single-commodity instance, as int64 arrays.

    Arcs come in four blocks, in this order: the network's links (``n_links``), one throughput arc
    ``v_in -> v`` per node in ``split``, one ``S -> supplier`` arc per supply row, one
    ``S -> market`` unmet-demand arc per demand row. ``supply`` is per node (``S`` is ``source``,
    markets are negative) and sums to zero; costs are in ``1 / COST_SCALE`` objective units.
    """

    tail: np.ndarray
    head: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray
    supply: np.ndarray
    source: int
    n_links: int
    split: np.ndarray
    n_supply: int

    @property
    def n_nodes(self) -> int:
        return len(self.supply)

    @property
    def n_unmet(self) -> int:
        """Unmet-demand arcs: the last block (zero after :meth:`without_unmet`)."""
        return len(self.tail) - self.n_links - len(self.split) - self.n_supply

    def without_unmet(self) -> FlowGraph:
        """The same graph without its unmet-demand arcs: every market must be served in full."""
        keep = self.n_links + len(self.split) + self.n_supply
        return FlowGraph(tail=self.tail[:keep], head=self.head[:keep], capacity=self.capacity[:keep],
                         cost=self.cost[:keep], supply=self.supply, source=self.source, n_links=self.n_links,
                         split=self.split, n_supply=self.n_supply)


def build_flow_graph(arrays: NetworkArrays, weights: Weights) -> FlowGraph:
    """The extended graph of the module docstring, built with numpy (no per-arc loop).

    Unlimited capacities become the total demand, which no arc can usefully exceed.
    """
    n = arrays.n_nodes
    total = round(arrays.demand_loads.sum())
    split = np.flatnonzero(np.isfinite(arrays.throughput))
    entry = np.arange(n)  # where arcs into a node arrive: v_in for split nodes
    entry[split] = n + 1 + np.arange(len(split))
    source = n
    demand_node = arrays.demand_node

    def bounded(cap: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(cap), cap, total).astype(np.int64)

    tail = np.concatenate([arrays.tail, entry[split], np.full(len(arrays.supply_node) + len(demand_node), source)])
    head = np.concatenate([entry[arrays.head], split, entry[arrays.supply_node], demand_node])
    capacity = np.concatenate([bounded(arrays.capacity), bounded(arrays.throughput[split]),
                               bounded(arrays.supply_capacity), bounded(arrays.demand_loads)])
    cost = np.round(np.concatenate([weights.link, np.zeros(len(split)), weights.supply,
                                    np.full(len(demand_node), weights.penalty)]) * COST_SCALE).astype(np.int64)
    supply = np.zeros(n + 1 + len(split), dtype=np.int64)
    supply[source] = total
    np.subtract.at(supply, demand_node, np.round(arrays.demand_loads).astype(np.int64))
    return FlowGraph(tail=tail.astype(np.int64), head=head.astype(np.int64), capacity=capacity, cost=cost,
                     supply=supply, source=source, n_links=arrays.n_links, split=split,
                     n_supply=len(arrays.supply_node))


def solve_single_commodity(arrays: NetworkArrays, weights: Weights, *, engine: str = "ortools") -> Solution:
    """Solve with ``SimpleMinCostFlow`` (``engine="ortools"``) or LEMON (``"lemon"``, see
    :mod:`routing.backends.lemon`) and recover flows and duals per link, node and supply row.

    When the supply capacity covers the demand, the graph is first solved without its
    unmet-demand arcs (they cost up to half of the solver's time on large instances). When that is
    feasible, its flow (with zero unmet demand) is an optimum of the full graph
    (:func:`_solve_without_unmet`); duals and the tie-break then work on the full graph as before.
    When it is infeasible, the full graph is solved.
    """
    n, m = arrays.n_nodes, arrays.n_links
    full = build_flow_graph(arrays, weights)
    if engine == "lemon":
        from routing.backends.lemon import solve_min_cost_flow as solve
    else:
        solve = solve_min_cost_flow
    graph, status, flow, elapsed, distance = _solve_without_unmet(full, solve)
    if graph is None:
        graph = full
        status, flow, extra_s = solve(graph.tail, graph.head, graph.capacity, graph.cost, graph.supply)
        elapsed += extra_s
        if not status.has_solution:
            return no_solution(status, elapsed)
        distance = residual_distances(graph, flow)
    tail, head, capacity, cost, split = graph.tail, graph.head, graph.capacity, graph.cost, graph.split
    saved = _saved_per_unit(tail, head, capacity, cost, flow, distance) / COST_SCALE
    secondary = np.zeros(len(tail), dtype=np.int64)
    secondary[:m] = np.round(weights.secondary * COST_SCALE).astype(np.int64) if weights.secondary.size else 0
    if secondary.any():
        flow, extra_s = break_ties(graph, flow, distance, secondary, solve)
        elapsed += extra_s
    s0, s1 = m + len(split), m + len(split) + graph.n_supply
    node_dual = np.zeros(n)
    node_dual[split] = saved[m:s0]
    return Solution(
        status=status,
        flow=flow[None, :m].astype(np.float64),
        production=flow[s0:s1].astype(np.float64),
        unmet=flow[s1:].astype(np.float64),
        link_saved=saved[:m],
        node_saved=node_dual,
        supply_saved=saved[s0:s1],
        power_saved=np.zeros(n),
        water_saved=np.zeros(n),
        solve_s=elapsed,
    )


def _solve_without_unmet(full: FlowGraph, solve: object) -> tuple[FlowGraph | None, object, np.ndarray, float,
                                                                    np.ndarray]:
    """An optimum of ``full`` found without its unmet-demand arcs, with its residual distances in
    ``full``, when the supply can cover the demand and the graph without them is feasible; else a
    graph of None and the seconds spent trying.

    A flow that is optimal without the unmet arcs and leaves them at zero is optimal with them:
    a negative cycle in the full residual graph would have to enter a market by its unmet arc
    (cost: the penalty) and return to the source for less than minus the penalty, which no simple
    path can, as the penalty exceeds every simple path's cost (:func:`routing.formulation.weights.objective_weights`).
    :func:`shortest_distances` would find such a cycle anyway (it raises), and the full graph is
    solved then.
    """
    s1 = full.n_links + len(full.split) + full.n_supply
    if full.n_unmet == 0 or full.capacity[full.n_links + len(full.split):s1].sum() < full.supply[full.source]:
        return None, None, np.zeros(0), 0.0, np.zeros(0)  # the supply cannot cover the demand
    graph = full.without_unmet()
    status, flow, elapsed = solve(graph.tail, graph.head, graph.capacity, graph.cost, graph.supply)
    if not status.has_solution:
        return None, None, np.zeros(0), elapsed, np.zeros(0)
    flow = np.concatenate([flow, np.zeros(full.n_unmet, dtype=flow.dtype)])
    try:
        distance = residual_distances(full, flow)
    except ValueError:  # a negative cycle: not optimal with the unmet arcs (cannot happen, see above)
        return None, None, np.zeros(0), elapsed, np.zeros(0)
    return full, status, flow, elapsed, distance


def residual_distances(graph: FlowGraph, flow: np.ndarray) -> np.ndarray:
    """Shortest distances from the source in the residual graph of an optimal flow: node potentials
    under which no residual arc has a negative reduced cost (``inf`` where the source cannot reach)."""
    r_tail, r_head, r_cost, _ = _residual_arcs(graph, flow)
    return shortest_distances(r_tail, r_head, r_cost, graph.source, graph.n_nodes)


def _saved_per_unit(tail: np.ndarray, head: np.ndarray, capacity: np.ndarray, cost: np.ndarray,
                    flow: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Per arc, how much one more unit of capacity lowers the cost: ``max(0, d[v] - d[u] - c)``
    on saturated arcs, with ``d`` the residual distances (:func:`residual_distances`)."""
    saturated = (flow >= capacity) & np.isfinite(distance[tail]) & np.isfinite(distance[head])
    saved = np.zeros(len(tail))
    saved[saturated] = np.maximum(0.0, distance[head[saturated]] - distance[tail[saturated]] - cost[saturated])
    return saved


def break_ties(graph: FlowGraph, flow: np.ndarray, distance: np.ndarray, secondary: np.ndarray,
               solve: object) -> tuple[np.ndarray, float]:
    """The flow of least ``secondary`` cost among all flows of least primary cost (lexicographic, exact).

    Every optimal flow satisfies complementary slackness with every optimal dual, so the optimal
    flows are exactly the feasible flows that keep each arc of non-zero reduced cost
    ``c + d[u] - d[v]`` (with the residual distances ``d`` as potentials) at its current flow and
    move freely on the arcs of zero reduced cost: that face is a min-cost-flow problem of its own,
    solved here with the secondary costs. Arcs touching a node the source cannot reach keep their
    flow too. Integer costs make the face exact.
    """
    tail, head, capacity = graph.tail, graph.head, graph.capacity
    with np.errstate(invalid="ignore"):
        reduced = graph.cost + distance[tail] - distance[head]
    free = np.isfinite(reduced) & (reduced == 0)
    fixed = ~free
    n = graph.n_nodes
    supply = graph.supply - np.bincount(tail[fixed], flow[fixed], n).astype(np.int64) \
        + np.bincount(head[fixed], flow[fixed], n).astype(np.int64)
    status, face_flow, elapsed = solve(tail[free], head[free], capacity[free], secondary[free], supply)
    if not status.has_solution:  # cannot happen (the current flow is on the face); keep it if it does
        return flow, elapsed
    combined = flow.copy()
    combined[free] = face_flow
    return combined, elapsed


def shortest_distances(tail: np.ndarray, head: np.ndarray, cost: np.ndarray, source: int,
                       n_nodes: int) -> np.ndarray:
    """Exact shortest distances from ``source`` with negative arc costs but no negative cycle.

    Bellman-Ford-Moore, one vectorised pass per round over the arcs leaving the nodes whose
    distance fell in the previous round, so the work is the arcs relaxed, not nodes x arcs
    (scipy's ``shortest_path(method="BF")`` always makes ``n_nodes`` passes over all arcs).
    Unreachable nodes get ``inf``.

    Raises
    ------
    ValueError
        If distances still fall after ``n_nodes`` rounds (a negative cycle).

    Example
    -------
    >>> shortest_distances(np.array([0, 0, 2]), np.array([1, 2, 1]), np.array([5.0, 1.0, -3.0]), 0, 4)
    array([ 0., -2.,  1., inf])
    """
    order = group_order(tail, n_nodes)  # arcs grouped by tail
    tail, head, cost = tail[order], head[order], cost[order]
    first = np.searchsorted(tail, np.arange(n_nodes + 1))
    distance = np.full(n_nodes, np.inf)
    distance[source] = 0.0
    frontier = np.array([source])
    fell = np.zeros(n_nodes, dtype=bool)
    for _ in range(n_nodes):
        counts = first[frontier + 1] - first[frontier]
        if counts.sum() == 0:
            return distance
        arcs = np.repeat(first[frontier] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        reach, candidate = head[arcs], distance[tail[arcs]] + cost[arcs]
        better = candidate < distance[reach]
        reach, candidate = reach[better], candidate[better]
        np.minimum.at(distance, reach, candidate)
        fell[reach] = True  # the nodes whose distance fell, each once, in node order
        frontier = np.flatnonzero(fell)
        fell[frontier] = False
    if len(frontier):
        raise ValueError("shortest_distances: a negative cycle is reachable from the source")
    return distance


def group_order(keys: np.ndarray, n_groups: int) -> np.ndarray:
    """The stable permutation that sorts integer ``keys`` in ``[0, n_groups)``: numpy's radix sort
    when they fit 16 bits (3x faster than its merge sort on 2e5 keys), else its merge sort.

    Example
    -------
    >>> group_order(np.array([2, 0, 2, 1]), 3).tolist()
    [1, 3, 0, 2]
    """
    small = n_groups <= np.iinfo(np.uint16).max + 1
    return np.argsort(keys.astype(np.uint16) if small else keys, kind="stable")


def graph_flow(graph: FlowGraph, solution: Solution) -> np.ndarray:
    """The flow on every arc of ``graph`` (:func:`build_flow_graph` of the solved arrays) that a
    single-commodity ``solution`` reports: links, then each throughput arc ``v_in -> v`` (all that
    enters ``v_in`` by links and supply arcs), supply and unmet arcs.

    Raises
    ------
    ValueError
        If the flow does not balance every node (not a solution of this graph).
    """
    m, s0 = graph.n_links, graph.n_links + len(graph.split)
    s1 = s0 + graph.n_supply
    link, production, unmet = (np.round(v).astype(np.int64) for v in (solution.flow[0], solution.production,
                                                                          solution.unmet))
    entering = np.concatenate([graph.head[:m], graph.head[s0:s1]])
    inflow = np.bincount(entering, np.concatenate([link, production]), graph.n_nodes)
    through = np.round(inflow[graph.tail[m:s0]]).astype(np.int64)
    flow = np.concatenate([link, through, production, unmet])
    n = graph.n_nodes
    balance = np.bincount(graph.tail, flow, n) - np.bincount(graph.head, flow, n)
    if len(flow) != len(graph.tail) or not np.array_equal(balance, graph.supply):
        raise ValueError("graph_flow: the solution's flow does not balance the min-cost-flow graph")
    return flow


UNIT_BLOCK_FLOATS = 4_000_000
"""Dijkstra sources of :func:`unit_values` run in blocks whose distance rows (sources x nodes) hold at
most this many floats (32 MB), however many capacities bind."""


def unit_values(graph: FlowGraph, flow: np.ndarray, arcs: np.ndarray, *, more: bool = True,
                residual: _Residual | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per arc of ``arcs``, the extra loads served and the cost saved net of the unmet penalty (in
    ``1 / COST_SCALE`` units) by one unit more (``more``) or one unit less of its capacity, exact,
    from the residual graph of the optimal integer ``flow``.

    With integer data, the optimum after one unit more on a saturated arc ``(u, v)`` is ``flow``
    plus the cheapest residual cycle through the new unit, when that cycle costs less than 0:
    ``c(u, v)`` plus the shortest residual path ``v -> u`` (the difference of two optimal flows is a
    circulation of residual cycles; only one can use the single new unit, and the others cost at least
    0, ``flow`` being optimal). One unit less takes one unit off ``(u, v)``: the cycle of its reverse
    arc and the shortest residual path ``u -> v`` (cost at least 0).

    Paths are found by scipy's Dijkstra on reduced costs ``c + p[tail] - p[head] >= 0`` (``p``: shortest
    distances from a root joined to every node, a potential of the whole residual graph). A shortest
    path either passes the super source ``S`` (two searches in all, from ``S`` and to ``S``) or avoids it
    (one search per distinct start on the graph without ``S``, stopped where it can no longer beat
    the path through ``S`` or, one unit more, save anything). Every unmet arc touches ``S``, so the
    loads served are read off the two arcs at ``S``: +1 for an unmet arc run backwards into ``S``, -1
    for one run forwards out of it. An arc that is not saturated changes nothing; one unit less with
    no residual path (or below zero capacity) is NaN. ``residual`` is :func:`reduced_residual` of
    ``graph`` and ``flow`` when the caller keeps it for several calls.
    """
    arcs = np.asarray(arcs, dtype=np.int64)
    served, saved = np.zeros(len(arcs)), np.zeros(len(arcs))
    tight = flow[arcs] >= graph.capacity[arcs]
    if not more:  # no capacity below 0
        saved[graph.capacity[arcs] <= 0] = np.nan
        tight &= graph.capacity[arcs] > 0
    chosen = arcs[tight]
    if len(chosen) == 0:
        return served, saved
    residual = residual or reduced_residual(graph, flow)
    u, v = graph.tail[chosen], graph.head[chosen]
    start, end = (v, u) if more else (u, v)
    arc_reduced = graph.cost[chosen] + residual.potential[u] - residual.potential[v]
    via, via_served = residual.through_source(start, end)
    # one unit more moves flow only along a path shorter than -arc_reduced; neither beats the path via S
    reach = np.minimum(np.maximum(-arc_reduced, 0.0) if more else np.inf, via)
    avoid = residual.avoiding_source(start, end, reach)
    distance = np.minimum(avoid, via)
    path_served = np.where(avoid < via, 0, via_served)
    cycle = (arc_reduced + distance) if more else (distance - arc_reduced)  # in cost units, exact integers
    penalty = float(graph.cost[-1]) if graph.n_unmet else 0.0
    moved = np.isfinite(cycle) & ((cycle < 0) if more else True)
    served_c, saved_c = np.zeros(len(chosen)), np.where(np.isfinite(cycle), 0.0, np.nan)
    served_c[moved] = path_served[moved]
    saved_c[moved] = -(cycle[moved] + penalty * path_served[moved])
    served[tight], saved[tight] = served_c, saved_c
    return served, saved


@dataclass(frozen=True, slots=True)
class _Residual:
    """A residual graph on reduced costs, parallel arcs once (the cheapest): ``without_source`` as a
    scipy CSR matrix; ``keys`` (``tail * n + head``, ascending) find an arc, ``served`` is each arc's
    loads served; the shortest-path trees from and to ``source`` as distances and, per node, the node
    next to ``source`` on its path (``first_out``, ``last_in``)."""

    without_source: object
    keys: np.ndarray
    served: np.ndarray
    potential: np.ndarray
    source: int
    from_source: np.ndarray
    to_source: np.ndarray
    first_out: np.ndarray
    last_in: np.ndarray

    def arc_served(self, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        """Loads served by the arcs ``tail -> head`` (which must exist)."""
        n = len(self.potential)
        return self.served[np.searchsorted(self.keys, tail.astype(np.int64) * n + head)]

    def through_source(self, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The reduced length of the shortest path ``start -> S -> end`` and its loads served."""
        s = self.source
        via = self.to_source[start] + self.from_source[end]
        entry, exit_ = self.last_in[start], self.first_out[end]
        served = np.zeros(len(start), dtype=np.int64)
        into, out = np.isfinite(via) & (start != s), np.isfinite(via) & (end != s)
        served[into] += self.arc_served(entry[into], np.full(into.sum(), s))
        served[out] += self.arc_served(np.full(out.sum(), s), exit_[out])
        return via, served

    def avoiding_source(self, start: np.ndarray, end: np.ndarray, reach: np.ndarray) -> np.ndarray:
        """The reduced length of the shortest path ``start -> end`` that avoids ``S``, where it is
        shorter than ``reach`` (else ``inf``): one Dijkstra per distinct start, run in blocks of
        similar limits (:data:`UNIT_BLOCK_FLOATS`)."""
        from scipy.sparse import csgraph

        n, s = len(self.potential), self.source
        distance = np.full(len(start), np.inf)
        wanted = (reach > 0) & (start != s) & (end != s)
        if not wanted.any():
            return distance
        sources, row_of, limits = _sources_by_limit(start[wanted], reach[wanted])
        ends, found = end[wanted], np.full(wanted.sum(), np.inf)
        for lo, hi in _blocks(limits, max(1, UNIT_BLOCK_FLOATS // n)):
            mine = np.flatnonzero((row_of >= lo) & (row_of < hi))
            dist = csgraph.dijkstra(self.without_source, indices=sources[lo:hi], limit=float(limits[hi - 1]))
            found[mine] = dist[row_of[mine] - lo, ends[mine]]
        distance[wanted] = found
        return distance


def reduced_residual(graph: FlowGraph, flow: np.ndarray) -> _Residual:
    """The residual graph of ``flow`` on reduced costs (:class:`_Residual`), with its two searches
    from and to the super source."""
    from scipy import sparse
    from scipy.sparse import csgraph

    n, s = graph.n_nodes, graph.source
    r_tail, r_head, r_cost, r_served = _residual_arcs(graph, flow)
    potential = shortest_distances(np.concatenate([r_tail, np.full(n, n)]), np.concatenate([r_head, np.arange(n)]),
                                   np.concatenate([r_cost, np.zeros(n)]), n, n + 1)[:n]
    reduced = r_cost + potential[r_tail] - potential[r_head]
    keys = r_tail * n + r_head
    order = np.lexsort((reduced, keys))  # parallel arcs: the cheapest first, the only one kept
    keys, r_tail, r_head, reduced, r_served = keys[order], r_tail[order], r_head[order], reduced[order], r_served[order]
    first = np.ones(len(r_tail), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    keys, r_tail, r_head, reduced, r_served = keys[first], r_tail[first], r_head[first], reduced[first], r_served[first]

    def csr(tails: np.ndarray, heads: np.ndarray, data: np.ndarray) -> object:  # tails ascending
        starts = np.searchsorted(tails, np.arange(n + 1))
        return sparse.csr_matrix((data, heads.astype(np.int32), starts), shape=(n, n))  # zeros stay arcs

    by_head = group_order(r_head, n)
    keep = (r_tail != s) & (r_head != s)
    d_from, pred_from = csgraph.dijkstra(csr(r_tail, r_head, reduced), indices=s, return_predecessors=True)
    d_to, pred_to = csgraph.dijkstra(csr(r_head[by_head], r_tail[by_head], reduced[by_head]), indices=s,
                                     return_predecessors=True)  # on the transposed graph: paths into s
    return _Residual(without_source=csr(r_tail[keep], r_head[keep], reduced[keep]), keys=keys, served=r_served,
                     potential=potential, source=s, from_source=d_from, to_source=d_to,
                     first_out=_next_to_root(pred_from, s), last_in=_next_to_root(pred_to, s))


def _next_to_root(pred: np.ndarray, root: int) -> np.ndarray:
    """Per node of a shortest-path tree (scipy's predecessors from ``root``), the node next to the
    root on its path (itself when its predecessor is the root; -1 off the tree), by pointer jumping."""
    nodes = np.arange(len(pred))
    up = np.where(pred >= 0, pred, -1)
    up[pred == root] = nodes[pred == root]
    up[root] = -1
    while True:
        on = up >= 0
        jumped = up.copy()
        jumped[on] = up[up[on]]
        if np.array_equal(jumped, up):
            return up
        up = jumped


def _sources_by_limit(start: np.ndarray, reach: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct Dijkstra sources of ``start`` in ascending order of how far each must search (the
    largest ``reach`` of its arcs), each arc's row among them, and each source's search limit."""
    sources, row_of = np.unique(start, return_inverse=True)
    limit = np.zeros(len(sources))
    np.maximum.at(limit, row_of, reach)
    order = np.argsort(limit, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return sources[order], rank[row_of], limit[order]


def _blocks(limits: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Consecutive runs of at most ``size`` sources whose (ascending) limits stay within 10x of the
    run's first, so that a short search is not run to a long one's limit."""
    bounds, lo = [], 0
    while lo < len(limits):
        hi = min(lo + size, int(np.searchsorted(limits, 10.0 * max(limits[lo], 1.0), side="right")))
        hi = max(hi, lo + 1)
        bounds.append((lo, hi))
        lo = hi
    return bounds


def _residual_arcs(graph: FlowGraph, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The residual graph of ``flow``: tails, heads, costs and loads served per arc (+1 on an unmet
    arc run backwards, -1 forwards, 0 elsewhere)."""
    forward, backward = flow < graph.capacity, flow > 0
    unmet = np.zeros(len(flow), dtype=np.int64)
    unmet[len(flow) - graph.n_unmet:] = 1
    return (np.concatenate([graph.tail[forward], graph.head[backward]]),
            np.concatenate([graph.head[forward], graph.tail[backward]]),
            np.concatenate([graph.cost[forward], -graph.cost[backward]]).astype(np.float64),
            np.concatenate([-unmet[forward], unmet[backward]]))


class FlowProbe:
    """What one more unit of a capacity serves and saves, for a min-cost-flow answer: exact, from its
    residual graph (:func:`unit_values`), with no re-solve. Called as
    :data:`routing.results.bottlenecks.Probe` is (kinds ``link``, ``node``, ``supply``); values are in
    objective units, net of the unmet penalty."""

    def __init__(self, arrays: NetworkArrays, weights: Weights, solution: Solution) -> None:
        self.arrays, self.weights, self.solution = arrays, weights, solution
        self._graph: FlowGraph | None = None
        self._flow: np.ndarray | None = None
        self._residual: _Residual | None = None

    def __call__(self, kind: str, index: np.ndarray, *, more: bool = True) -> tuple[np.ndarray, np.ndarray]:
        if self._graph is None:  # built once for every kind asked about
            self._graph = build_flow_graph(self.arrays, self.weights)
            self._flow = graph_flow(self._graph, self.solution)
            self._residual = reduced_residual(self._graph, self._flow)
        served, saved = unit_values(self._graph, self._flow, self.arcs(kind, index), more=more,
                                    residual=self._residual)
        return served, saved / COST_SCALE

    def arcs(self, kind: str, index: np.ndarray) -> np.ndarray:
        """The arcs of the flow graph that carry capacities ``index`` of ``kind``."""
        graph, index = self._graph or build_flow_graph(self.arrays, self.weights), np.asarray(index, dtype=np.int64)
        if kind == "link":
            return index
        if kind == "supply":
            return graph.n_links + len(graph.split) + index
        if kind == "node":
            position = np.searchsorted(graph.split, index)
            if np.any(position >= len(graph.split)) or np.any(graph.split[np.minimum(position, len(graph.split) - 1)]
                                                              != index):
                raise ValueError("FlowProbe: a node without a throughput limit has no capacity arc")
            return graph.n_links + position
        raise ValueError(f"FlowProbe: a min-cost flow has no {kind} capacities")
