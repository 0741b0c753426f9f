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
like the LP does.
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
    :mod:`routing.backends.lemon`) and recover flows and duals per link, node and supply row."""
    n, m = arrays.n_nodes, arrays.n_links
    graph = build_flow_graph(arrays, weights)
    tail, head, capacity, cost, split = graph.tail, graph.head, graph.capacity, graph.cost, graph.split
    if engine == "lemon":
        from routing.backends.lemon import solve_min_cost_flow as solve
    else:
        solve = solve_min_cost_flow
    status, flow, elapsed = solve(tail, head, capacity, cost, graph.supply)
    if not status.has_solution:
        return no_solution(status, elapsed)
    distance = residual_distances(tail, head, capacity, cost, flow, graph.source, graph.n_nodes)
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


def residual_distances(tail: np.ndarray, head: np.ndarray, capacity: np.ndarray, cost: np.ndarray,
                       flow: np.ndarray, source: int, n_nodes: int) -> np.ndarray:
    """Shortest distances from the source in the residual graph of an optimal flow: node potentials
    under which no residual arc has a negative reduced cost (``inf`` where the source cannot reach)."""
    forward, backward = flow < capacity, flow > 0
    r_tail = np.concatenate([tail[forward], head[backward]])
    r_head = np.concatenate([head[forward], tail[backward]])
    r_cost = np.concatenate([cost[forward], -cost[backward]]).astype(np.float64)
    return shortest_distances(r_tail, r_head, r_cost, source, n_nodes)


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
