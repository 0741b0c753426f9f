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


@pytest.mark.parametrize("objective", ["as_operated", "lead_time"])
def test_capacity_probes_start_from_the_solve_and_leave_the_model_as_it_was(objective):
    """Probes re-solve in the model's HiGHS session from the variant's basis: they value capacities
    as a cold probe does, and the model's next answers are those it gives without them."""
    from networks import read_network
    from routing.model import CapacityProbe
    from routing.scenarios import apply_changes, load_scenarios

    network = read_network()
    (scenario,) = [s for s in load_scenarios(["laredo_power_sweep"]) if s.name.endswith("laredo=0.25-nl_power=0.7")]
    variant = apply_changes(network, scenario.changes)  # serves less than demanded: probed under both
    probed, untouched = LeadTimeModel(network, objective=objective), LeadTimeModel(network, objective=objective)
    probed.solve(), untouched.solve()
    result = probed.solve(variant)
    tables = result._frames
    cold = CapacityProbe(variant.arrays, tables.valuation.probe.weights)  # no start: builds and solves its own
    kind, rows = "supply", tables.capacities.rows[2][:5]
    # as operated the potential has alternative optima whose generalised costs differ (1e-5 relative
    # here): a probe measures from the vertex the result reports, a cold probe from its own
    rtol = 1e-3 if objective == "as_operated" else 1e-9
    np.testing.assert_allclose(cold(kind, rows), tables.valuation.probe(kind, rows), rtol=rtol, atol=1e-7)
    after, before = probed.solve(), untouched.solve()
    assert after.objective == before.objective and after.top_bottleneck == before.top_bottleneck
    assert result.bottlenecks.height and result.top_bottleneck[0] is not None
