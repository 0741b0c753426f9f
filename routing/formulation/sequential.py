"""A feasible start for the decomposition: the commodities routed one after another by min-cost
flow, each in the capacity the earlier ones left.

Commodity ``k`` is solved alone (:func:`routing.formulation.flowgraph.build_flow_graph`, with its
unmet-demand arcs, so it is always feasible) on the residual link capacities, node throughputs,
supply capacities and plant power and water of commodities ``0..k-1``; power and water become a
bound on its supply rows (whole loads, rounded down). The flows together respect every coupling
row, so they are a feasible point of the multi-commodity LP: an upper bound, and, split into
paths, a set of columns on which the restricted master starts feasible and close to the optimum
(the first commodity's flow is its uncoupled optimum). Only where every residual problem is an
exact integer min-cost flow (whole capacities and demands, costs in ``1 / COST_SCALE``); otherwise
no start is given.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from networks import NetworkArrays
from routing.formulation.flowgraph import build_flow_graph, fits_min_cost_flow
from routing.formulation.flowpaths import decompose_flow
from routing.formulation.weights import Weights


@dataclass(frozen=True, slots=True)
class StartPaths:
    """Paths of the sequential flows: path ``i`` of ``commodity[i]`` from supply row ``supply[i]`` to
    demand row ``demand[i]`` carries ``amount[i]`` over ``arc[entry_path == i]`` (in path order)."""

    commodity: np.ndarray
    supply: np.ndarray
    demand: np.ndarray
    amount: np.ndarray
    entry_path: np.ndarray
    arc: np.ndarray


def one_commodity(arrays: NetworkArrays, weights: Weights, k: int, *, capacity: np.ndarray, throughput: np.ndarray,
                  supply_capacity: np.ndarray) -> tuple[NetworkArrays, Weights]:
    """Commodity ``k`` alone on the given capacities (no power or water rows: they are in ``supply_capacity``)."""
    s_rows, d_rows = arrays.supply_commodity == k, arrays.demand_commodity == k
    one = dataclasses.replace(
        arrays, capacity=capacity, throughput=throughput, supply_node=arrays.supply_node[s_rows],
        supply_commodity=np.zeros(int(s_rows.sum()), dtype=arrays.supply_commodity.dtype),
        supply_capacity=supply_capacity[s_rows], demand_node=arrays.demand_node[d_rows],
        demand_commodity=np.zeros(int(d_rows.sum()), dtype=arrays.demand_commodity.dtype),
        demand_loads=arrays.demand_loads[d_rows], value_usd_per_load=arrays.value_usd_per_load[k:k + 1],
        power_mwh_per_load=np.zeros(1), water_m3_per_load=np.zeros(1), fast_eligible=arrays.fast_eligible[k:k + 1],
        background=arrays.background[k:k + 1] if len(arrays.background) else arrays.background)
    return one, dataclasses.replace(weights, supply=weights.supply[s_rows], secondary=np.zeros(0))


def _per_load_bound(left: np.ndarray, per_load: float) -> np.ndarray:
    """Whole loads a residual ``left`` (power or water per node) allows at ``per_load`` each."""
    if per_load <= 0:
        return np.full(len(left), np.inf)
    return np.floor(np.maximum(left, 0.0) / per_load + 1e-9)


def sequential_paths(arrays: NetworkArrays, weights: Weights, solve: object) -> StartPaths | None:
    """The sequential flows of the module docstring as paths, or None where they are no exact
    min-cost flows (fractional data) or a solve fails. ``solve`` is a backend's
    ``solve_min_cost_flow``."""
    if len(arrays.queue) or weights.link_by_commodity is not None:
        return None
    n, m = arrays.n_nodes, arrays.n_links
    capacity, throughput = arrays.capacity.copy(), arrays.throughput.copy()
    power, water = 24.0 * arrays.power_mw, arrays.water_m3_per_day.copy()
    supply_capacity = arrays.supply_capacity.copy()
    parts = []
    for k in range(arrays.n_commodities):
        rows = np.flatnonzero(arrays.supply_commodity == k)
        bound = supply_capacity.copy()
        at = arrays.supply_node[rows]
        bound[rows] = np.minimum.reduce([bound[rows], _per_load_bound(power[at], arrays.power_mwh_per_load[k]),
                                         _per_load_bound(water[at], arrays.water_m3_per_load[k])])
        one, one_weights = one_commodity(arrays, weights, k, capacity=capacity, throughput=throughput,
                                         supply_capacity=bound)
        if not fits_min_cost_flow(one, one_weights):
            return None
        graph = build_flow_graph(one, one_weights)
        status, flow, _ = solve(graph.tail, graph.head, graph.capacity, graph.cost, graph.supply)
        if not status.has_solution:
            return None
        s0 = m + len(graph.split)
        link_flow, production = flow[:m].astype(np.float64), flow[s0:s0 + graph.n_supply].astype(np.float64)
        unmet = flow[s0 + graph.n_supply:].astype(np.float64)
        capacity = capacity - link_flow
        started = np.bincount(one.supply_node, production, minlength=n)
        throughput = throughput - np.bincount(arrays.head, link_flow, minlength=n) - started
        power = power - started * arrays.power_mwh_per_load[k]
        water = water - started * arrays.water_m3_per_load[k]
        supply_capacity[rows] -= production
        parts.append(_paths_of(arrays, k, rows, link_flow, started,
                               np.bincount(one.demand_node, one.demand_loads - unmet, minlength=n)))
    return _joined(parts)


def _paths_of(arrays: NetworkArrays, k: int, supply_rows: np.ndarray, link_flow: np.ndarray, started: np.ndarray,
              served: np.ndarray) -> tuple[np.ndarray, ...]:
    """One commodity's flow split into paths, with their supply and demand rows."""
    paths = decompose_flow(arrays.tail, arrays.head, link_flow, started, served)
    supply_of_node = np.full(arrays.n_nodes, -1)
    supply_of_node[arrays.supply_node[supply_rows]] = supply_rows
    demand_rows = np.flatnonzero(arrays.demand_commodity == k)
    demand_of_node = np.full(arrays.n_nodes, -1)
    demand_of_node[arrays.demand_node[demand_rows][::-1]] = demand_rows[::-1]  # the first row of a node
    lengths = np.diff(paths.start)
    return (np.full(len(paths), k), supply_of_node[paths.origin], demand_of_node[paths.market], paths.amount,
            np.repeat(np.arange(len(paths)), lengths), paths.arcs)


def _joined(parts: list[tuple[np.ndarray, ...]]) -> StartPaths:
    offsets = np.cumsum([0] + [len(p[0]) for p in parts])
    fields = [np.concatenate([p[i] for p in parts]) for i in range(4)]
    entry = np.concatenate([p[4] + off for p, off in zip(parts, offsets, strict=False)])
    arc = np.concatenate([p[5] for p in parts])
    return StartPaths(*fields, entry_path=entry.astype(np.int64), arc=arc.astype(np.int64))
