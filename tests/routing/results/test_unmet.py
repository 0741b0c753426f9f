"""The linear-time unmet-demand reasons equal the old networkx path, row for row.

``old_reasons`` is the implementation that ``routing.results.bottlenecks.unmet_frame`` used before
(one networkx search per unmet row and supplier), kept here as the reference.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from networks import Network
from networks.arrays import index_of
from networks.generate import corridor_network, random_network
from routing import solve_lead_time
from routing.results.schemas import UNMET_SCHEMA
from routing.results.unmet import unmet_reasons

TOP_REASONS = 3


def old_reasons(network: Network, rows: np.ndarray, bottlenecks: pl.DataFrame) -> list[str]:
    graph, demand = network.graph, network.demand
    reasons = []
    for row in rows:
        market, commodity = demand["node"][int(row)], demand["commodity"][int(row)]
        suppliers = network.supply.filter(pl.col("commodity") == commodity)["node"].to_list()
        upstream = nx.ancestors(graph, market) | {market}
        downstream = set().union(*(nx.descendants(graph, s) | {s} for s in suppliers)) if suppliers else set()
        reasons.append(_old_reason(bottlenecks, upstream & downstream, commodity))
    return reasons


def _old_reason(bottlenecks: pl.DataFrame, relevant: set[str], commodity: str) -> str:
    if not relevant:
        return f"no route from any supplier of {commodity}"
    supply_of_other = (pl.col("kind") == "supply") & ~pl.col("id").str.ends_with("/" + commodity)
    hits = bottlenecks.filter(pl.col("at").is_in(list(relevant)) & ~supply_of_other
                              & ((pl.col("loads_served_per_unit") > 1e-9) | (pl.col("value_per_unit") > 1e-9))
                              ).head(TOP_REASONS)
    if hits.height == 0:
        return "capacity ran out upstream (no single binding capacity identified)"
    parts = [f"{k} {i} ({u:.0f}/{c:.0f} {unit})" for k, i, u, c, unit in
             hits.select("kind", "id", "used", "capacity", "unit").iter_rows()]
    return "capacity ran out: " + "; ".join(parts)


def _damaged(network: Network, rng: np.random.Generator, drop_links: float, drop_supply: float) -> Network:
    """The network with some links and supply rows removed (unchecked: markets may lose every route)."""
    tables = dict(network.tables())
    tables["links"] = network.links.filter(pl.Series(rng.random(network.links.height) >= drop_links))
    tables["supply"] = network.supply.filter(pl.Series(rng.random(network.supply.height) >= drop_supply))
    return Network._trusted(tables, name="damaged")


def _random_bottlenecks(network: Network, rng: np.random.Generator, n_rows: int) -> pl.DataFrame:
    """A bottleneck frame in some order: random kinds, places and savings (zero, tiny or real)."""
    nodes = network.nodes["id"].to_numpy()
    goods = network.commodities["id"].to_numpy()
    kind = rng.choice(["link", "node", "supply", "crossing_lane"], n_rows)
    at = rng.choice(nodes, n_rows)
    ids = np.where(kind == "supply", np.char.add(np.char.add(at.astype(str), "/"), rng.choice(goods, n_rows)),
                   np.char.add("X", np.arange(n_rows).astype(str)))
    saved = rng.choice([0.0, 1e-10, 0.5, 3.0, 7.25], n_rows)
    served = rng.choice([0.0, 0.0, 1e-10, 1.0], n_rows)
    return pl.DataFrame({"kind": kind, "id": ids, "used": rng.integers(0, 50, n_rows).astype(float),
                         "capacity": rng.integers(1, 50, n_rows).astype(float), "utilisation": np.ones(n_rows),
                         "value_per_unit": saved, "loads_served_per_unit": served,
                         "load_hours_saved_per_unit": saved, "unit": ["loads/day"] * n_rows, "at": at},
                        schema_overrides={"kind": pl.String, "id": pl.String, "unit": pl.String, "at": pl.String})


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10_000), goods=st.integers(1, 3), hubs=st.integers(2, 7), extra=st.integers(0, 14),
       drop_links=st.sampled_from([0.0, 0.2, 0.5]), drop_supply=st.sampled_from([0.0, 0.3]),
       n_bottlenecks=st.integers(0, 25))
@example(seed=0, goods=1, hubs=2, extra=0, drop_links=0.0, drop_supply=0.0, n_bottlenecks=0)  # no capacity binds
@example(seed=1, goods=2, hubs=3, extra=0, drop_links=0.5, drop_supply=0.3, n_bottlenecks=10)  # lost routes
def test_fast_reasons_equal_the_old_path_on_random_networks(seed, goods, hubs, extra, drop_links, drop_supply,
                                                           n_bottlenecks):
    rng = np.random.default_rng(seed)
    base = random_network(seed=seed, n_commodities=goods, n_hubs=hubs, n_plants=int(rng.integers(1, 4)),
                          n_markets=int(rng.integers(1, 5)), extra_links=extra)
    network = _damaged(base, rng, drop_links, drop_supply)
    bottlenecks = _random_bottlenecks(network, rng, n_bottlenecks)
    rows = np.arange(network.demand.height)
    assert unmet_reasons(network, rows, bottlenecks) == old_reasons(network, rows, bottlenecks)


def _old_unmet_frame(result, network: Network) -> pl.DataFrame:
    solution = result._frames.solution
    rows = np.flatnonzero(solution.unmet > 1e-9)
    if len(rows) == 0:
        return UNMET_SCHEMA.to_frame()
    binding = result._frames.binding
    from routing.results.bottlenecks import bottlenecks_frame

    bottlenecks = bottlenecks_frame(binding).join(binding.select("kind", "id", "at"), on=["kind", "id"], how="left")
    return pl.DataFrame({
        "market": network.demand["node"][rows], "commodity": network.demand["commodity"][rows],
        "demand_loads_per_day": network.arrays.demand_loads[rows], "unmet_loads_per_day": solution.unmet[rows],
        "reason": old_reasons(network, rows, bottlenecks)}, schema=UNMET_SCHEMA)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), goods=st.integers(1, 3), scarce=st.sampled_from([1.0, 2.0, 4.0]))
def test_unmet_frame_of_a_solve_equals_the_old_path(seed, goods, scarce):
    """Solved networks with demand scaled up, so capacities bind and demand goes unmet."""
    base = random_network(seed=seed, n_commodities=goods, extra_links=6)
    network = base.replace(demand=base.demand.with_columns(pl.col("loads_per_day") * scarce))
    result = solve_lead_time(network)
    assert_frame_equal(result.unmet, _old_unmet_frame(result, network))
    binding = result._frames.binding  # the reasons read the node positions, not the ids
    assert binding["at_node"].to_list() == index_of(network.nodes["id"], binding["at"]).tolist()


def test_scarce_corridor_reasons_equal_the_old_path():
    """A corridor whose crossings carry half the demand: many unmet rows, many binding capacities."""
    base = corridor_network(n_links=1000, seed=3)
    nodes = base.nodes.with_columns(pl.col("throughput_loads_per_day") * 0.25)
    network = base.replace(nodes=nodes)
    result = solve_lead_time(network)
    assert result.unmet.height > 5
    assert_frame_equal(result.unmet, _old_unmet_frame(result, network))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), goods=st.integers(1, 2), extra=st.integers(0, 14), n_bottlenecks=st.integers(1, 25),
       per_pass=st.sampled_from([1, 2, 5]))
def test_ranks_pushed_a_few_at_a_time_give_the_same_reasons(seed, goods, extra, n_bottlenecks, per_pass):
    """The bit sets carry :data:`RANKS_PER_PASS` ranks per pass; with only a few per pass most rows
    need several passes, and the reasons are still the old path's."""
    from routing.results import unmet

    rng = np.random.default_rng(seed)
    network = random_network(seed=seed, n_commodities=goods, n_hubs=5, extra_links=extra)
    bottlenecks = _random_bottlenecks(network, rng, n_bottlenecks)
    rows = np.arange(network.demand.height)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(unmet, "RANKS_PER_PASS", per_pass)
        assert unmet_reasons(network, rows, bottlenecks) == old_reasons(network, rows, bottlenecks)


def test_a_bottleneck_at_a_node_the_network_does_not_have_is_refused():
    network = random_network(seed=4)
    bottlenecks = _random_bottlenecks(network, np.random.default_rng(4), 3).with_columns(pl.lit("NOWHERE").alias("at"))
    with pytest.raises(ValueError, match="not among"):
        unmet_reasons(network, np.arange(network.demand.height), bottlenecks)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.lists(st.integers(0, 2**21), min_size=5, max_size=5), max_size=40),
       spread=st.sampled_from([1, 3, 2**21]))
def test_distinct_rows_are_numpys_unique_rows(rows, spread):
    """Also where the mixed-radix keys would overflow int64 (numpy's axis=0 form then)."""
    from routing.results.unmet import _distinct_rows

    array = np.array(rows, dtype=np.int64).reshape(-1, 5) % spread
    distinct, inverse = _distinct_rows(array)
    expected, expected_inverse = np.unique(array, axis=0, return_inverse=True)
    assert np.array_equal(distinct, expected) and np.array_equal(inverse, expected_inverse.reshape(-1))


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 30), arcs=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=70),
       chain=st.integers(0, 40), count_all=st.sampled_from([0, 8, 10**9]), seed=st.integers(0, 100))
@example(n=1, arcs=[], chain=0, count_all=8, seed=0)  # one node, no arc
@example(n=3, arcs=[(0, 1), (1, 2), (2, 0), (1, 1), (0, 1)], chain=5, count_all=0, seed=1)  # cycle, loop, parallel
def test_condensed_levels_carry_each_arc_between_components_once_tails_first(n, arcs, chain, count_all, seed):
    """Random graphs with cycles, self-loops and parallel arcs, a chain hung on node 0 to make them
    deep; ``count_all`` 0 and huge force each way of levelling. The components are scipy's, each
    level enters distinct components from components levelled before, every arc between components
    is read once, and what the levels reach is what scipy's breadth-first search reaches."""
    from scipy import sparse
    from scipy.sparse import csgraph

    from routing.results import unmet

    pairs = [(t % n, h % n) for t, h in arcs] + [(n + i - 1 if i else 0, n + i) for i in range(chain)]
    size = n + chain
    tail, head = (np.array([p[i] for p in pairs], dtype=np.int64) for i in (0, 1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(unmet, "COUNT_ALL", count_all)
        graph = unmet._condensed(tail, head, size)
    matrix = sparse.csr_matrix((np.ones(len(tail)), (tail, head)), shape=(size, size))
    _, expected = csgraph.connected_components(matrix, directed=True, connection="strong")
    component = graph.component
    assert np.array_equal(component[:, None] == component[None, :], expected[:, None] == expected[None, :])
    assert graph.n == len(np.unique(component))
    level_of = np.full(graph.n, -1)  # -1: entered by no arc
    for depth, (entered, _, _) in enumerate(graph.levels):
        assert len(np.unique(entered)) == len(entered) and (level_of[entered] == -1).all()
        level_of[entered] = depth
    read = []
    for depth, (entered, starts, tails) in enumerate(graph.levels):
        assert (level_of[tails] < depth).all()  # every tail done before
        heads = np.repeat(entered, np.diff(np.append(starts, len(tails))))
        read += list(zip(tails.tolist(), heads.tolist(), strict=True))
    between = [(int(component[t]), int(component[h])) for t, h in pairs if component[t] != component[h]]
    assert sorted(read) == sorted(between)
    sources = np.random.default_rng(seed).choice(size, size=min(size, 3), replace=False)
    expected_reach = np.zeros(size, dtype=bool)
    for s in sources:
        expected_reach[csgraph.breadth_first_order(matrix, int(s), directed=True, return_predecessors=False)] = True
    assert np.array_equal(unmet._reached(graph, sources), expected_reach)
