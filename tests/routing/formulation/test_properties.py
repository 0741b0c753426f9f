"""Properties every solution must have, on random networks (hypothesis)."""

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from networks.generate import random_network
from routing import solve_lead_time
from routing.results.schemas import WATERFALL

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
instances = st.builds(
    random_network, seed=st.integers(0, 2**32 - 1), n_plants=st.integers(1, 4), n_hubs=st.integers(1, 6),
    n_markets=st.integers(1, 4), n_commodities=st.integers(1, 3), extra_links=st.integers(0, 15),
    with_power=st.booleans(),
)
TOL = 1e-6


def link_totals(network, result) -> np.ndarray:
    per_link = result.flows.group_by("link").agg(pl.col("loads_per_day").sum())
    frame = network.links.select(pl.col("id").alias("link")).join(per_link, on="link", how="left")
    return frame["loads_per_day"].fill_null(0.0).to_numpy()


@SETTINGS
@given(instances)
def test_flow_is_conserved_and_capacities_hold(network):
    result = solve_lead_time(network)
    a = network.arrays
    flow = np.zeros((a.n_commodities, a.n_links))
    commodity = {c: i for i, c in enumerate(network.commodities["id"])}
    link = {l: i for i, l in enumerate(network.links["id"])}
    for l, c, x in result.flows.select("link", "commodity", "loads_per_day").iter_rows():
        flow[commodity[c], link[l]] = x
    net_in = np.stack([np.bincount(a.head, f, minlength=a.n_nodes) - np.bincount(a.tail, f, minlength=a.n_nodes)
                       for f in flow])
    unmet = {(r["market"], r["commodity"]): r["unmet_loads_per_day"] for r in result.unmet.iter_rows(named=True)}
    node = {n: i for i, n in enumerate(network.nodes["id"])}
    for m, c, d in network.demand.select("node", "commodity", "loads_per_day").iter_rows():
        assert net_in[commodity[c], node[m]] == pytest.approx(d - unmet.get((m, c), 0.0), abs=TOL)
    suppliers = set(network.supply["node"])
    markets = set(network.demand["node"])
    for n, i in node.items():
        if n not in suppliers and n not in markets:
            assert np.allclose(net_in[:, i], 0, atol=TOL), n
    totals = link_totals(network, result)
    assert np.all(totals <= a.capacity + TOL)
    through = np.bincount(a.head, totals, minlength=a.n_nodes)
    assert np.all(through[np.isfinite(a.throughput)] <= a.throughput[np.isfinite(a.throughput)] + TOL)
    assert result.lanes["loads_per_day"].sum() == pytest.approx(result.served_loads_per_day, abs=1e-5)


@SETTINGS
@given(instances)
def test_lanes_are_no_faster_than_the_shortest_path_and_their_waterfall_adds_up(network):
    result = solve_lead_time(network)
    dwell = dict(zip(network.nodes["id"], network.nodes["dwell_h"]))
    graph = nx.DiGraph()
    for u, v, t in network.links.select("from", "to", "transit_h").iter_rows():
        w = t + dwell[v]
        if not graph.has_edge(u, v) or graph[u][v]["w"] > w:
            graph.add_edge(u, v, w=w)
    for lane in result.lanes.iter_rows(named=True):
        shortest = dwell[lane["origin"]] + nx.shortest_path_length(graph, lane["origin"], lane["market"], weight="w")
        assert lane["lead_time_h"] >= shortest - TOL
        assert sum(lane[leg] for leg in WATERFALL) == pytest.approx(lane["lead_time_h"])
        assert lane["route"].split(">")[0] == lane["origin"] and lane["route"].split(">")[-1] == lane["market"]


@SETTINGS
@given(instances, st.data())
def test_less_capacity_never_shortens_lead_time(network, data):
    base = solve_lead_time(network, solver="highs")
    i = data.draw(st.integers(0, network.links.height - 1))
    factor = data.draw(st.sampled_from([0.0, 0.5, 0.9]))
    used = link_totals(network, base)[i]
    cap = network.links["capacity_loads_per_day"].to_list()
    cap[i] = factor * (used if cap[i] is None else min(cap[i], used))
    tighter = network.replace(links=network.links.with_columns(capacity_loads_per_day=pl.Series(cap)))
    assert solve_lead_time(tighter, solver="highs").objective >= base.objective - 1e-6 * abs(base.objective)


@pytest.mark.parametrize("solver", ["glop", "highs"])
def test_same_input_same_result(solver):
    network = random_network(seed=7, n_commodities=3, with_power=True)
    first, second = (solve_lead_time(network, solver=solver) for _ in range(2))
    assert first.lanes.equals(second.lanes)
    assert first.bottlenecks.equals(second.bottlenecks)
