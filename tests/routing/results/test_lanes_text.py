"""The lanes' route, links and crossing texts and their order equal polars' group-by and sort (the
reference the Python joins replaced), on random networks and on a path that starts at a crossing."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from networks import Network
from networks.generate import random_network
from routing import solve_lead_time
from routing.results.lanes import _DWELL_GROUP, _path_texts, concat_paths, decompose_solution

ORDER = ["market", "commodity", "lead_time_h", "origin", "links"]


def reference_texts(network: Network, paths) -> pl.DataFrame:
    """The texts as lanes_frame built them with polars before (lists per path, then joined)."""
    a, n_paths = network.arrays, len(paths)
    path_of_arc = np.repeat(np.arange(n_paths), np.diff(paths.start))
    dwell_node = np.concatenate([paths.origin, a.head[paths.arcs]])
    dwell_path = np.concatenate([np.arange(n_paths), path_of_arc])
    order = np.argsort(dwell_path, kind="stable")
    steps = pl.DataFrame({
        "path": dwell_path[order], "node": network.nodes["id"][dwell_node[order]],
        "link": network.links["id"][np.concatenate([np.zeros(n_paths, dtype=np.int64), paths.arcs])[order]],
        "first": np.concatenate([np.ones(n_paths, dtype=bool), np.zeros(len(paths.arcs), dtype=bool)])[order],
        "is_crossing": (_DWELL_GROUP[a.kind[dwell_node]] == 1)[order],
    })
    return steps.select(
        "path", "node", link=pl.when(~pl.col("first")).then("link"), crossing=pl.when("is_crossing").then("node"),
    ).group_by("path", maintain_order=True).agg("node", "link", "crossing").select(
        route=pl.col("node").list.join(">"), links=pl.col("link").list.join(">"),
        crossing=pl.col("crossing").list.join(","))


def _check(network: Network) -> None:
    result = solve_lead_time(network)
    solution = result._frames.solution
    paths = concat_paths(decompose_solution(network.arrays, solution))
    a = network.arrays
    crosses = _DWELL_GROUP[a.kind[np.concatenate([paths.origin, a.head[paths.arcs]])]] == 1
    route, links, crossing = _path_texts(network, paths, crosses)
    expected = reference_texts(network, paths)
    assert route == expected["route"].to_list()
    assert links == expected["links"].to_list()
    assert crossing == expected["crossing"].to_list()
    assert result.lanes.equals(result.lanes.sort(ORDER))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), goods=st.integers(1, 3))
def test_lane_texts_and_order_equal_polars_on_random_networks(seed, goods):
    _check(random_network(seed=seed, n_commodities=goods, extra_links=6))


def test_a_path_from_a_crossing_names_it_first():
    base = random_network(seed=3, n_commodities=1, extra_links=6)
    crossing = base.nodes.filter(pl.col("kind") == "border_crossing")["id"][0]
    supply = base.supply.with_columns(node=pl.lit(crossing)).head(1)
    tables = dict(base.tables())  # unchecked: validation allows supply only at plants and origins
    tables["supply"] = pl.concat([base.supply, supply]).unique(["node", "commodity"]).sort(["node", "commodity"])
    network = Network._trusted(tables, name="supply-at-a-crossing")
    _check(network)
    lanes = solve_lead_time(network).lanes
    from_crossing = lanes.filter(pl.col("origin") == crossing)
    assert from_crossing.height > 0 and from_crossing["crossing"].str.starts_with(crossing).all()
