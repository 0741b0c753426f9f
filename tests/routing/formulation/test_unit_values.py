"""One unit more or less of a min-cost flow's capacities, from the residual graph (``unit_values``),
against re-solves: the LP probe (:class:`routing.model.CapacityProbe`) and min-cost flows with the
capacity moved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from networks import read_network
from networks.generate import corridor_network, random_network
from routing import solve_lead_time
from routing.backends.ortools import solve_min_cost_flow
from routing.formulation.flowgraph import (
    COST_SCALE,
    FlowProbe,
    build_flow_graph,
    fits_min_cost_flow,
    graph_flow,
    solve_single_commodity,
    unit_values,
)
from routing.formulation.weights import objective_weights
from routing.model import CapacityProbe, capacity_probe
from routing.options import Objective, Solver

DATA = Path(__file__).parents[2] / "data"


def _scarce(seed: int, scale: float, extra_links: int = 6):
    base = random_network(seed=seed, extra_links=extra_links)
    return base.replace(demand=base.demand.with_columns((pl.col("loads_per_day") * scale).round().clip(1)))


def _capacities(arrays, solution=None):
    """Every capacity the LP has a row or bound for, (kind, owners); with a ``solution``, only those it
    uses in full (the others are worth nothing more, and the LP probe is asked about none of them)."""
    link_used = solution.flow.sum(axis=0) if solution is not None else np.zeros(arrays.n_links)
    node_used = np.bincount(arrays.head, link_used, arrays.n_nodes) + (
        np.bincount(arrays.supply_node, solution.production, arrays.n_nodes) if solution is not None else 0)
    production = solution.production if solution is not None else np.zeros(len(arrays.supply_node))
    full = solution is not None
    return [(kind, np.flatnonzero(np.isfinite(capacity) & (~full | (used >= capacity))))
            for kind, used, capacity in (("link", link_used, arrays.capacity), ("node", node_used, arrays.throughput),
                                         ("supply", production, arrays.supply_capacity))]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.5, 1.0, 1.5, 3.0]),
       objective=st.sampled_from([Objective.LEAD_TIME, Objective.COST]))
@example(seed=2, scale=3.0, objective=Objective.LEAD_TIME)
def test_one_unit_more_equals_the_lp_re_solve_on_random_networks(seed, scale, objective):
    network = _scarce(seed, scale)
    arrays = network.arrays
    weights = objective_weights(arrays, objective, usd_per_load_hour=50.0)
    assert fits_min_cost_flow(arrays, weights)
    solution = solve_single_commodity(arrays, weights)
    residual, resolved = FlowProbe(arrays, weights, solution), CapacityProbe(arrays, weights)
    for kind, owners in _capacities(arrays, solution):
        if len(owners):
            served, saved = residual(kind, owners)
            lp_served, lp_saved = resolved(kind, owners)
            np.testing.assert_allclose(served, lp_served, rtol=0, atol=1e-9, err_msg=kind)
            np.testing.assert_allclose(saved, lp_saved, rtol=1e-12, atol=1e-9, err_msg=kind)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.5, 1.0, 3.0]), more=st.booleans())
def test_one_unit_more_or_less_equals_a_min_cost_flow_re_solve(seed, scale, more):
    """Each arc's capacity moved by one and the graph solved again: the cost and the unmet loads
    change by what the residual graph says (the cost in whole 1/COST_SCALE units, exactly)."""
    _assert_as_re_solved(_scarce(seed, scale).arrays, more=more)


@pytest.mark.parametrize("more", [True, False])
def test_a_cycle_that_avoids_the_source_is_found_when_the_supply_is_used_in_full(more):
    """two_routes with supply = demand = 30: the super source's supply arc is full, so the only way
    to use one more load through the fast bridge B1 (throughput 10) is to move one off the slow
    one, a cycle that avoids the source: 4 h saved per load (13 h via B1 against 17 h via B2)."""
    network = read_network(DATA / "two_routes")
    network = network.replace(supply=network.supply.with_columns(pl.lit(30.0).alias("capacity_loads_per_day")))
    arrays = network.arrays
    served, saved = _assert_as_re_solved(arrays, more=more)
    assert np.flatnonzero(np.isfinite(arrays.throughput)).tolist() == np.flatnonzero(network.nodes["id"] == "B1").tolist()
    bridge = arrays.n_links  # B1 is the one split node: its throughput arc follows the links
    assert served[bridge] == 0 and saved[bridge] == (4 * COST_SCALE if more else -4 * COST_SCALE)


def _assert_as_re_solved(arrays, *, more):
    weights = objective_weights(arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    graph = build_flow_graph(arrays, weights)
    flow = graph_flow(graph, solve_single_commodity(arrays, weights))
    unmet = slice(len(graph.tail) - graph.n_unmet, None)
    arcs = np.arange(len(graph.tail) - graph.n_unmet)
    served, saved = unit_values(graph, flow, arcs, more=more)
    base_cost = int(flow @ graph.cost)
    for arc in arcs:
        capacity = graph.capacity.copy()
        capacity[arc] += 1 if more else -1
        if capacity[arc] < 0:
            assert np.isnan(saved[arc])
            continue
        status, moved, _ = solve_min_cost_flow(graph.tail, graph.head, capacity, graph.cost, graph.supply)
        if not status.has_solution:
            assert np.isnan(saved[arc])
            continue
        gained = int(flow[unmet].sum() - moved[unmet].sum())
        assert served[arc] == gained, arc
        penalty = graph.cost[-1]
        assert saved[arc] == -(int(moved @ graph.cost) - base_cost + penalty * gained), arc
    return served, saved


def test_a_corridor_with_scarce_crossings_is_valued_without_a_re_solve_and_as_the_lp_values_it():
    base = corridor_network(n_links=2000, seed=5)
    network = base.replace(nodes=base.nodes.with_columns((pl.col("throughput_loads_per_day") * 0.35).round()))
    result = solve_lead_time(network, solver="mincostflow")
    assert result.unmet_loads_per_day > 0
    tables = result._frames
    assert isinstance(tables.valuation.probe, FlowProbe)
    weights = tables.valuation.probe.weights
    lp = CapacityProbe(network.arrays, weights)
    frame = result.bottlenecks
    assert (frame["loads_served_per_unit"] > 0).any()
    for kind, owners in _capacities(network.arrays, tables.solution):
        served, saved = tables.valuation.probe(kind, owners)
        lp_served, lp_saved = lp(kind, owners)
        np.testing.assert_allclose(served, lp_served, atol=1e-9)
        np.testing.assert_allclose(saved, lp_saved, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("solver", [Solver.MINCOSTFLOW, Solver.LEMON, Solver.HIGHS])
def test_only_min_cost_flow_answers_of_a_linear_objective_use_the_residual_graph(solver):
    arrays = _scarce(1, 3.0).arrays
    weights = objective_weights(arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    solution = solve_single_commodity(arrays, weights)
    probe = capacity_probe(arrays, weights, solution, solver, None)
    assert isinstance(probe, FlowProbe) == (solver != Solver.HIGHS)
    as_operated = objective_weights(arrays, Objective.AS_OPERATED, usd_per_load_hour=5.0)
    assert isinstance(capacity_probe(arrays, as_operated, solution, solver, None), CapacityProbe)


def test_a_capacity_the_flow_graph_does_not_have_is_refused():
    arrays = _scarce(1, 3.0).arrays
    weights = objective_weights(arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    probe = FlowProbe(arrays, weights, solve_single_commodity(arrays, weights))
    unlimited = np.flatnonzero(~np.isfinite(arrays.throughput))[:1]
    with pytest.raises(ValueError, match="throughput"):
        probe("node", unlimited)
    with pytest.raises(ValueError, match="power"):
        probe("power", np.array([0]))


def test_a_flow_that_does_not_balance_is_refused():
    arrays = _scarce(1, 1.0).arrays
    weights = objective_weights(arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    solution = solve_single_commodity(arrays, weights)
    broken = type(solution)(**{**{f: getattr(solution, f) for f in solution.__slots__}, "production": solution.production + 1})
    with pytest.raises(ValueError, match="balance"):
        graph_flow(build_flow_graph(arrays, weights), broken)

