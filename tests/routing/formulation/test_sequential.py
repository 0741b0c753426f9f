"""The sequential min-cost-flow start of the decomposition: feasible for every coupling row, an
upper bound on the LP optimum, its first commodity at its uncoupled optimum."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import LeadTimeModel
from routing.backends.ortools import solve_min_cost_flow
from routing.formulation.flowgraph import build_flow_graph
from routing.formulation.sequential import _per_load_bound, one_commodity, sequential_paths
from routing.formulation.weights import objective_weights
from routing.options import Objective
from tests.routing.formulation.test_decomposition import rich_network

EPS = 1e-9


def _totals(network, start):
    """Flows per link, production per supply row and served loads per demand row of the start."""
    a = network.arrays
    per_path_link = np.bincount(start.arc, start.amount[start.entry_path], minlength=a.n_links)
    production = np.bincount(start.supply, start.amount, minlength=len(a.supply_node))
    served = np.bincount(start.demand, start.amount, minlength=len(a.demand_node))
    return per_path_link, production, served


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 2), st.integers(1, 4), st.integers(1, 6), st.integers(0, 14))
def test_sequential_start_is_feasible_and_an_upper_bound(seed, n_commodities, n_hubs, extra_links):
    network = rich_network(seed, n_commodities, n_hubs=n_hubs, extra_links=extra_links, crossings=False)
    a = network.arrays
    weights = objective_weights(a, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    start = sequential_paths(a, weights, solve_min_cost_flow)
    if start is None:  # fractional data: no start, the decomposition starts empty
        return
    links, production, served = _totals(network, start)
    assert np.all(links <= np.where(np.isfinite(a.capacity), a.capacity, np.inf) + EPS)
    assert np.all(production <= a.supply_capacity + EPS)
    assert np.all(served <= a.demand_loads + EPS)
    assert np.all(start.commodity == a.supply_commodity[start.supply])
    assert np.all(start.commodity == a.demand_commodity[start.demand])
    started = np.bincount(a.supply_node, production, minlength=a.n_nodes)
    through = np.bincount(a.head, links, minlength=a.n_nodes) + started
    assert np.all(through <= a.throughput + EPS)
    for per_load, limit in ((a.power_mwh_per_load, 24.0 * a.power_mw), (a.water_m3_per_load, a.water_m3_per_day)):
        used = np.bincount(a.supply_node, production * per_load[a.supply_commodity], minlength=a.n_nodes)
        assert np.all(used <= limit + EPS)
    # each path is a walk from its supplier's node to its market's node
    first = np.searchsorted(start.entry_path, np.arange(len(start.commodity)))
    last = np.searchsorted(start.entry_path, np.arange(len(start.commodity)), side="right") - 1
    has_arcs = last >= first
    assert np.all(a.tail[start.arc[first[has_arcs]]] == a.supply_node[start.supply[has_arcs]])
    assert np.all(a.head[start.arc[last[has_arcs]]] == a.demand_node[start.demand[has_arcs]])
    cost = float(start.amount @ weights.supply[start.supply] + links @ weights.link
                 + weights.penalty * (a.demand_loads.sum() - served.sum()))
    optimum = LeadTimeModel(network, solver="highs").solve().objective
    assert cost >= optimum - 1e-6 * max(1.0, abs(optimum))


def test_first_commodity_is_its_uncoupled_optimum():
    network = rich_network(7, 3, crossings=False)
    a = network.arrays
    weights = objective_weights(a, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    start = sequential_paths(a, weights, solve_min_cost_flow)
    assert start is not None
    mine = start.commodity == 0
    at = a.supply_node
    bound = np.minimum.reduce([a.supply_capacity, _per_load_bound(24.0 * a.power_mw[at], a.power_mwh_per_load[0]),
                               _per_load_bound(a.water_m3_per_day[at], a.water_m3_per_load[0])])
    one, one_weights = one_commodity(a, weights, 0, capacity=a.capacity, throughput=a.throughput,
                                     supply_capacity=bound)
    graph = build_flow_graph(one, one_weights)
    _, flow, _ = solve_min_cost_flow(graph.tail, graph.head, graph.capacity, graph.cost, graph.supply)
    alone = float(flow @ graph.cost) / 1000
    links = np.bincount(start.arc[mine[start.entry_path]], start.amount[start.entry_path][mine[start.entry_path]],
                        minlength=a.n_links)
    served = start.amount[mine].sum()
    mine_cost = (float(links @ weights.link + start.amount[mine] @ weights.supply[start.supply[mine]])
                 + weights.penalty * (a.demand_loads[a.demand_commodity == 0].sum() - served))
    assert mine_cost == pytest.approx(alone, rel=1e-9, abs=1e-6)
