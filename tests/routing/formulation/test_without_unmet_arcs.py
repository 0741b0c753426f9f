"""Solving the single-commodity graph without its unmet-demand arcs gives what the full graph gives.

The old path (always the full graph) is the reference: ``_solve_without_unmet`` patched to decline.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from networks.generate import corridor_network, random_network
from routing.backends.lemon import lemon_available
from routing.formulation import flowgraph
from routing.formulation.flowgraph import fits_min_cost_flow, solve_single_commodity
from routing.formulation.weights import objective_weights
from routing.options import Objective

ENGINES = ["ortools"] + (["lemon"] if lemon_available() else [])


def _both(network, objective, engine):
    arrays = network.arrays
    weights = objective_weights(arrays, objective, usd_per_load_hour=50.0)
    assert fits_min_cost_flow(arrays, weights)
    new = solve_single_commodity(arrays, weights, engine=engine)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flowgraph, "_solve_without_unmet", lambda full, solve: (None, None, np.zeros(0), 0.0, np.zeros(0)))
        old = solve_single_commodity(arrays, weights, engine=engine)
    return weights, new, old


def _assert_same(weights, new, old):
    assert new.status == old.status
    for field in ("flow", "production", "unmet", "link_saved", "node_saved", "supply_saved"):
        np.testing.assert_array_equal(getattr(new, field), getattr(old, field), err_msg=field)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), scarce=st.sampled_from([0.5, 1.0, 1.5, 3.0]),
       objective=st.sampled_from([Objective.LEAD_TIME, Objective.COST]))
def test_dropping_the_unmet_arcs_changes_nothing_on_random_networks(engine, seed, scarce, objective):
    base = random_network(seed=seed, extra_links=6)
    network = base.replace(demand=base.demand.with_columns((pl.col("loads_per_day") * scarce).round().clip(1)))
    _assert_same(*_both(network, objective, engine))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("throughput", [1.0, 0.35])
def test_dropping_the_unmet_arcs_changes_nothing_on_corridors(engine, throughput):
    base = corridor_network(n_links=3000, seed=7)
    network = base.replace(nodes=base.nodes.with_columns((pl.col("throughput_loads_per_day") * throughput).round()))
    weights, new, old = _both(network, Objective.LEAD_TIME, engine)
    _assert_same(weights, new, old)
    assert (new.unmet.sum() > 0) == (throughput < 1)
