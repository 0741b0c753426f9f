"""Corridor networks: seeded, of the requested size, shaped like the built-in network, solvable."""

import polars as pl
import pytest

from networks.generate import corridor_layer_sizes, corridor_network
from routing import solve_lead_time
from routing.formulation.flowgraph import fits_min_cost_flow
from routing.formulation.weights import objective_weights


def same_tables(a, b) -> bool:
    return all(a.tables()[name].equals(b.tables()[name]) for name in ("nodes", "links", "commodities", "supply",
                                                                        "demand"))


@pytest.mark.parametrize("n_commodities", [1, 5])
def test_same_seed_same_network_other_seed_other_network(n_commodities):
    make = lambda seed: corridor_network(n_links=1500, n_commodities=n_commodities, seed=seed,
                                         with_power=n_commodities > 1)
    assert same_tables(make(7), make(7))
    assert not make(7).links.equals(make(8).links)


@pytest.mark.parametrize("n_links", [100, 1000, 12_345])
def test_size_is_the_requested_one(n_links):
    network = corridor_network(n_links=n_links, seed=1)
    assert abs(network.links.height - n_links) <= 0.1 * n_links
    assert network.nodes.height == sum(corridor_layer_sizes(n_links))


def test_plants_and_crossings_stay_few_as_networks_grow():
    plants, mx_hubs, crossings, us_hubs, dcs, markets = corridor_layer_sizes(10**6)
    assert plants < crossings < mx_hubs == us_hubs < dcs < markets


def test_shaped_like_the_builtin_corridor():
    network = corridor_network(n_links=2000, seed=3)
    kinds = dict(network.nodes.group_by("kind").len().iter_rows())
    assert set(kinds) == {"plant", "hub", "rail_terminal", "border_crossing", "market"}
    crossings = network.nodes.filter(pl.col("kind") == "border_crossing")
    assert crossings["throughput_loads_per_day"].is_not_null().all()
    assert set(network.links["mode"]) == {"truck", "rail", "drayage"}


def test_one_commodity_is_an_exact_min_cost_flow_that_serves_everything():
    network = corridor_network(n_links=3000, seed=2)
    weights = objective_weights(network.arrays, "lead_time", usd_per_load_hour=5.0)
    assert fits_min_cost_flow(network.arrays, weights)
    result = solve_lead_time(network)
    assert result.solver in ("mincostflow", "lemon") and result.status == "optimal"
    assert result.unmet_loads_per_day == 0


def test_several_commodities_share_capacities_with_power_rows():
    network = corridor_network(n_links=1000, n_commodities=5, seed=2, with_power=True)
    assert network.commodities.height == 5
    assert network.nodes.filter(pl.col("kind") == "plant")["power_mw"].is_not_null().all()
    result = solve_lead_time(network)
    assert result.solver in ("highs", "glop") and result.status == "optimal"


def test_too_few_links_is_refused():
    with pytest.raises(ValueError, match="n_links must be >= 100, got 99"):
        corridor_network(n_links=99, seed=0)
