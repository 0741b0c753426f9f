"""Re-solving variants with one LeadTimeModel gives what fresh solves give."""

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from networks.generate import random_network
from routing import LeadTimeModel, solve_lead_time


def scaled(network, capacity: float, demand: float, transit: float):
    return network.replace(
        links=network.links.with_columns(pl.col("capacity_loads_per_day") * capacity, pl.col("transit_h") * transit),
        demand=network.demand.with_columns(pl.col("loads_per_day") * demand),
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(1, 3),
       st.lists(st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.sampled_from([0.5, 1.0, 1.5]),
                          st.sampled_from([0.8, 1.0, 1.3])), min_size=1, max_size=4))
def test_warm_variants_match_fresh_solves(seed, n_commodities, changes):
    network = random_network(seed=seed, n_commodities=n_commodities, with_power=True)
    model = LeadTimeModel(network, solver="highs")
    base = model.solve()
    for capacity, demand, transit in changes:
        variant = scaled(network, capacity, demand, transit)
        warm, fresh = model.solve(variant), solve_lead_time(variant, solver="highs")
        assert warm.status == fresh.status == "optimal"
        assert warm.objective == pytest.approx(fresh.objective, rel=1e-7)
    assert model.reused == len(changes)
    assert model.solve().objective == pytest.approx(base.objective, rel=1e-9)  # restoring restores


def test_a_new_structure_is_rebuilt_not_reused():
    network = random_network(seed=3, n_commodities=2)
    model = LeadTimeModel(network, solver="highs")
    model.solve()
    capacity = network.links["capacity_loads_per_day"]
    opened = network.replace(links=network.links.with_columns(
        capacity_loads_per_day=pl.when(capacity.is_null()).then(7.0).otherwise(None)))
    assert model.solve(opened).objective == pytest.approx(solve_lead_time(opened, solver="highs").objective)
    assert model.reused == 0


@pytest.mark.parametrize("solver", ["glop", "mincostflow"])
def test_other_backends_resolve_variants_too(solver):
    network = random_network(seed=11)
    model = LeadTimeModel(network, solver=solver)
    variant = scaled(network, 0.5, 1.0, 1.0)
    variant = variant.replace(links=variant.links.with_columns(pl.col("capacity_loads_per_day").round()))
    assert model.solve(variant).objective == pytest.approx(solve_lead_time(variant, solver=solver).objective)
    assert np.isfinite(model.solve().objective)
