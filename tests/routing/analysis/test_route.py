"""The fastest route against an independent networkx shortest path, on random networks with
random closures, and its waterfall on a hand-checked one."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from networks import read_network
from networks.generate import random_network
from routing.analysis.route import fastest_route
from routing.scenarios import apply_changes
from routing.scenarios.schema import Close

DATA = Path(__file__).parents[2] / "data"


def networkx_lead_time(network, origin: str, market: str) -> float | None:
    """Dijkstra by networkx on the open links, weight transit + dwell of the node entered, plus the
    origin's dwell (a MultiDiGraph: parallel links are kept as they are)."""
    nodes = network.nodes
    dwell = dict(zip(nodes["id"], nodes["dwell_h"].fill_null(0.0), strict=True))
    closed = set(nodes.filter(nodes["throughput_loads_per_day"] <= 0)["id"])
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(n for n in nodes["id"] if n not in closed)
    for link in network.links.iter_rows(named=True):
        if (link["capacity_loads_per_day"] is None or link["capacity_loads_per_day"] > 0) and not (
                {link["from"], link["to"]} & closed):
            graph.add_edge(link["from"], link["to"], weight=link["transit_h"] + dwell[link["to"]])
    if origin in closed or market in closed:
        return None
    try:
        return dwell[origin] + nx.shortest_path_length(graph, origin, market, weight="weight")
    except nx.NetworkXNoPath:
        return None


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), closures=st.lists(st.integers(0, 100), max_size=4))
def test_fastest_route_equals_networkx_shortest_path(seed, closures):
    network = random_network(seed=seed, n_plants=3, n_hubs=6, n_markets=3, extra_links=10)
    links = network.links["id"].to_list()
    changes = [Close(type="close", table="links", ids=[links[i % len(links)]]) for i in closures]
    network = apply_changes(network, changes) if changes else network
    for origin in network.supply["node"].unique().to_list():
        for market in network.demand["node"].unique().to_list():
            expected = networkx_lead_time(network, origin, market)
            route = fastest_route(network, origin, market)
            if expected is None:
                assert route is None
                continue
            assert route.lead_time_h == pytest.approx(expected, abs=1e-9)
            assert route.nodes[0] == origin and route.nodes[-1] == market
            # the links named are a real path, and its hours are the lead time
            ends = dict(zip(network.links["id"], zip(network.links["from"], network.links["to"], strict=True),
                            strict=True))
            assert [ends[link] for link in route.links] == list(zip(route.nodes, route.nodes[1:], strict=False))


def test_fastest_route_on_two_routes_is_via_b1_until_b1_is_closed():
    """P (2 h) -4-> B1 (1 h) -8-> M = 15 h; via B2: 2 + 5 + 3 + 9 = 19 h."""
    network = read_network(DATA / "two_routes")
    route = fastest_route(network, "P", "M")
    assert (route.lead_time_h, route.nodes) == (15.0, ("P", "B1", "M"))
    assert route.waterfall["truck_h"] == 12 and route.waterfall["crossing_h"] == 1
    assert route.waterfall["other_dwell_h"] == 2
    closed = apply_changes(network, [Close(type="close", table="nodes", ids=["B1"])])
    assert fastest_route(closed, "P", "M").nodes == ("P", "B2", "M")
    assert fastest_route(closed, "M", "P") is None
