"""The single-commodity problem as an integer min-cost flow (OR-Tools ``SimpleMinCostFlow``).

The LP of :mod:`routing.lp` with one commodity and no power or water rows is a min-cost flow on
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

import numpy as np

from networks import NetworkArrays
from routing.lp import Weights
from routing.ortools_backend import solve_min_cost_flow
from routing.status import Solution, no_solution

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
        and not uses_rows
        and all(is_integral(v) for v in (arrays.capacity, arrays.throughput, arrays.supply_capacity, arrays.demand_loads))
        and np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6)
    )


def solve_single_commodity(arrays: NetworkArrays, weights: Weights) -> Solution:
    """Solve with ``SimpleMinCostFlow`` and recover flows and duals per link, node and supply row."""
    n, m = arrays.n_nodes, arrays.n_links
    total = int(round(arrays.demand_loads.sum()))
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

    status, flow, elapsed = solve_min_cost_flow(tail.astype(np.int64), head.astype(np.int64), capacity, cost, supply)
    if not status.has_solution:
        return no_solution(status, elapsed)
    saved = _saved_per_unit(tail, head, capacity, cost, flow, source, len(supply)) / COST_SCALE
    s0, s1 = m + len(split), m + len(split) + len(arrays.supply_node)
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


def _saved_per_unit(tail: np.ndarray, head: np.ndarray, capacity: np.ndarray, cost: np.ndarray,
                    flow: np.ndarray, source: int, n_nodes: int) -> np.ndarray:
    """Per arc, how much one more unit of capacity lowers the cost: ``max(0, d[v] - d[u] - c)``
    on saturated arcs, with ``d`` the shortest distances from the source in the residual graph."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    forward, backward = flow < capacity, flow > 0
    r_tail = np.concatenate([tail[forward], head[backward]])
    r_head = np.concatenate([head[forward], tail[backward]])
    r_cost = np.concatenate([cost[forward], -cost[backward]]).astype(np.float64)
    order = np.lexsort((r_cost, r_head, r_tail))  # keep the cheapest of parallel residual arcs
    r_tail, r_head, r_cost = r_tail[order], r_head[order], r_cost[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (r_tail[1:] != r_tail[:-1]) | (r_head[1:] != r_head[:-1])
    # explicit zeros of a sparse matrix are edges for csgraph, so zero-cost arcs stay in the graph
    graph = csr_matrix((r_cost[first], (r_tail[first], r_head[first])), shape=(n_nodes, n_nodes))
    distance = shortest_path(graph, method="BF", directed=True, indices=source)
    saturated = (flow >= capacity) & np.isfinite(distance[tail]) & np.isfinite(distance[head])
    saved = np.zeros(len(tail))
    saved[saturated] = np.maximum(0.0, distance[head[saturated]] - distance[tail[saturated]] - cost[saturated])
    return saved
