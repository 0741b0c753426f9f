"""The vectorised cross-table checks report exactly what the straightforward algorithms report.

``networks.checks`` finds bad rows with numpy masks, enum lookups and one scipy breadth-first
search per commodity. Here each rewritten check is compared, problem by problem and in order, with
a reference written the plain way (networkx reachability, polars filters, a loop over the rows) on
random small tables with explicit edge cases.
"""

from __future__ import annotations

import networkx as nx
import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from networks import read_network
from networks.checks import (
    _check_wait_curve,
    check_for_bad_crossings,
    check_for_incomplete_delays,
    check_for_self_loops,
    check_for_spread_below_typical,
    check_for_spread_without_typical,
    check_for_unknown_references,
    check_for_unreachable_markets,
    check_network,
)
from networks.errors import Problem
from networks.queues import lane_capacity
from networks.read import LINE
from networks.schema import CROSSINGS, DEMAND, LINKS, NODES, NodeKind

NAMES = ["N3", "N0", "N2", "N1", "N5", "N4"]  # ids out of sorted order: positions must not assume sorting
GOODS = ["c1", "c0", "c2"]
KINDS = ["plant", "hub", "market", "border_crossing"]


def frame(rows: list[tuple], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A typed table with its ``_line`` column (the header is line 1)."""
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    data = {LINE: list(range(2, len(rows) + 2))} | dict(zip(schema, columns, strict=True))
    return pl.DataFrame(data, schema={LINE: pl.UInt32, **schema})


# --- reachability: scipy breadth-first search against networkx ------------------------------------

def reference_unreachable(tables: dict[str, pl.DataFrame]) -> list[Problem]:
    """One networkx search per supplier, commodities in the order of their first demand row."""
    graph = nx.DiGraph()
    graph.add_nodes_from(tables["nodes"]["id"])
    graph.add_edges_from(zip(tables["links"]["from"], tables["links"]["to"], strict=True))
    supply, demand = tables["supply"], tables["demand"].filter(pl.col("loads_per_day") > 0)
    problems = []
    for commodity in demand["commodity"].unique(maintain_order=True):
        sources = supply.filter(pl.col("commodity") == commodity)["node"]  # whatever its capacity, as links
        reached = set(sources).union(*(nx.descendants(graph, s) for s in sources))
        problems += [
            Problem(DEMAND.file, f"no supplier of {commodity} can reach this market", row=line,
                    item=f"{node}/{commodity}", field="node", got=node)
            for line, node, c in demand.select(LINE, "node", "commodity").iter_rows()
            if c == commodity and node not in reached
        ]
    return problems


def reach_tables(n_nodes: int, links: list, supply: list, demand: list) -> dict[str, pl.DataFrame]:
    ids = NAMES[:n_nodes]
    text, number = pl.String, pl.Float64
    return {
        "nodes": frame([(i,) for i in ids], {"id": text}),
        "links": frame([(ids[u % n_nodes], ids[v % n_nodes]) for u, v in links], {"from": text, "to": text}),
        "supply": frame([(ids[u % n_nodes], c, q) for u, c, q in supply],
                        {"node": text, "commodity": text, "capacity_loads_per_day": number}),
        "demand": frame([(ids[u % n_nodes], c, q) for u, c, q in demand],
                        {"node": text, "commodity": text, "loads_per_day": number}),
        "commodities": frame([(c,) for c in GOODS], {"id": text}),
    }


node = st.integers(0, len(NAMES) - 1)
good = st.sampled_from(GOODS)
amount = st.sampled_from([0.0, 1.0, 2.5, None])


@settings(max_examples=300, deadline=None)
@given(
    n_nodes=st.integers(1, len(NAMES)),
    links=st.lists(st.tuples(node, node), max_size=12),  # self loops and parallel links included
    supply=st.lists(st.tuples(node, good, amount), max_size=5),
    demand=st.lists(st.tuples(node, good, amount), max_size=8),
)
@example(n_nodes=1, links=[], supply=[], demand=[])
@example(n_nodes=2, links=[], supply=[(0, "c0", 1.0)], demand=[(0, "c0", 1.0)])  # a supplier reaches itself
@example(n_nodes=3, links=[(0, 1), (1, 2)], supply=[(0, "c0", 0.0)], demand=[(2, "c0", 1.0)])  # closed: unmet
@example(n_nodes=3, links=[(0, 1), (1, 2), (2, 0)], supply=[(1, "c1", 1.0)], demand=[(0, "c1", 1.0)])  # a cycle
@example(n_nodes=3, links=[(1, 0)], supply=[(1, "c0", 1.0), (2, "c1", 1.0)],  # order: c1 (row 2) before c0
         demand=[(0, "c1", 1.0), (2, "c0", 1.0), (0, "c0", 0.0), (1, "c1", 2.0), (0, "c2", 1.0)])
def test_reachability_matches_networkx(n_nodes: int, links: list, supply: list, demand: list):
    tables = reach_tables(n_nodes, links, supply, demand)
    assert check_for_unreachable_markets(tables) == reference_unreachable(tables)


# --- masks over nodes and links against polars filters ---------------------------------------------

def reference_masks(tables: dict[str, pl.DataFrame]) -> list[Problem]:
    """Self loops, unknown link ends, spreads and incomplete delays, each row found by a filter."""
    problems = []
    links, ids = tables["links"], tables["nodes"]["id"]
    for column in ("from", "to"):
        bad = links.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(ids.implode()))
        problems += [Problem(LINKS.file, "unknown node", row=r, item=i, field=column, got=v)
                     for r, i, v in bad.select(LINE, "id", column).iter_rows()]
    problems += [Problem(LINKS.file, "link starts and ends at the same node", row=r, item=i, field="to", got=to)
                 for r, i, to in links.filter(pl.col("from") == pl.col("to")).select(LINE, "id", "to").iter_rows()]
    for name, table, typical, p95 in (("nodes", NODES, "dwell_h", "dwell_p95_h"),
                                      ("links", LINKS, "transit_h", "transit_p95_h")):
        bad = tables[name].filter(pl.col(p95) < pl.col(typical))
        problems += [Problem(table.file, f"must be >= {typical} ({t:g})", row=r, item=i, field=p95, got=v)
                     for r, i, t, v in bad.select(LINE, "id", typical, p95).iter_rows()]
    for name, table in (("nodes", NODES), ("links", LINKS)):
        for given_, missing in (("delay_prob", "delay_h"), ("delay_h", "delay_prob")):
            bad = tables[name].filter(pl.col(given_).is_not_null() & pl.col(missing).is_null())
            problems += [Problem(table.file, f"is empty but {given_} is set; give both or neither", row=r, item=i,
                                 field=missing) for r, i in bad.select(LINE, "id").iter_rows()]
    for name, table, typical, p95 in (("nodes", NODES, "dwell_h", "dwell_p95_h"),
                                      ("links", LINKS, "transit_h", "transit_p95_h")):
        bad = tables[name].filter((pl.col(typical) == 0) & (pl.col(p95) > 0))
        problems += [Problem(table.file, f"must be empty or 0 when {typical} is 0 (a spread needs a typical value > 0; "
                             "give rare extra time as delay_prob and delay_h)", row=r, item=i, field=p95, got=v)
                     for r, i, v in bad.select(LINE, "id", p95).iter_rows()]
    return problems


def checked_masks(tables: dict[str, pl.DataFrame]) -> list[Problem]:
    """The same rules through ``networks.checks``, in the reference's order."""
    links_only = {**tables, "supply": tables["supply"].head(0), "demand": tables["demand"].head(0)}
    return (check_for_unknown_references(links_only) + check_for_self_loops(tables)
            + check_for_spread_below_typical(tables) + check_for_incomplete_delays(tables)
            + check_for_spread_without_typical(tables))


hours = st.sampled_from([None, 0.0, 0.5, 2.0, 4.0])
chance = st.sampled_from([None, 0.1])
end = st.sampled_from(NAMES[:4] + ["ZZ"])  # "ZZ" is no node


@settings(max_examples=200, deadline=None)
@given(
    nodes=st.lists(st.tuples(hours, hours, chance, hours), min_size=1, max_size=4),
    links=st.lists(st.tuples(end, end, hours, hours, chance, hours), max_size=8),
)
@example(nodes=[(0.0, 0.5, None, None)], links=[("N3", "N3", 2.0, 0.5, 0.1, None)])
def test_masks_match_polars_filters(nodes: list, links: list):
    text, number = pl.String, pl.Float64
    values = {"dwell_h": number, "dwell_p95_h": number, "delay_prob": number, "delay_h": number}
    tables = reach_tables(4, [], [], [])
    tables["nodes"] = frame([(NAMES[k], *row) for k, row in enumerate(nodes)], {"id": text, **values})
    tables["links"] = frame([(f"L{k}", *row) for k, row in enumerate(links)],
                            {"id": text, "from": text, "to": text, "transit_h": number, "transit_p95_h": number,
                             "delay_prob": number, "delay_h": number})
    assert checked_masks(tables) == reference_masks(tables)


# --- crossings: the vectorised pre-selection misses no row the row-by-row check reports ----------

def reference_crossings(tables: dict[str, pl.DataFrame]) -> list[Problem]:
    """Every row through the row-by-row check."""
    kinds = dict(tables["nodes"].select("id", "kind").iter_rows())
    problems = []
    for row in tables["crossings"].iter_rows(named=True):
        where = {"row": row[LINE], "item": f"{row['node']}/{row['lane_type']}"}
        if row["node"] not in kinds:
            problems.append(Problem(CROSSINGS.file, "unknown node", field="node", got=row["node"], **where))
        elif kinds[row["node"]] != NodeKind.BORDER_CROSSING:
            problems.append(Problem(CROSSINGS.file, "lanes are only allowed at border_crossing nodes; node kind is "
                                    f"{kinds[row['node']]}", field="node", got=row["node"], **where))
        problems += _check_wait_curve(row, where)
    return problems


volume = st.sampled_from([None, -1.0, 0.0, 19.0, 19.000001, 18.999999, 100.0, 5000.0])  # 19 = 0.95 x 20


@settings(max_examples=300, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=4, max_size=4),
    rows=st.lists(st.tuples(end, st.sampled_from([None, 0.0, 1.0, 2.0]), st.sampled_from([None, 0.0, 1.0]),
                            st.sampled_from([None, 0.0, 1.0, 30.0]), st.sampled_from([None, 0.0, 20.0, 24.0]),
                            volume, st.sampled_from([None, 0.0, 1.0]), st.sampled_from([None, 0.5, 1.0, 2.0])),
                  max_size=6),
)
@example(kinds=["border_crossing"] * 4, rows=[("N3", 1.0, None, 1.0, 20.0, 19.0, 1.0, 2.0)])  # at 0.95 capacity
@example(kinds=["border_crossing"] * 4, rows=[("N3", 1.0, 0.0, 1.0, 20.0, 5.0, 1.0, None)])  # reference lanes 0
def test_crossings_match_the_row_by_row_check(kinds: list, rows: list):
    text, number = pl.String, pl.Float64
    tables = {"nodes": frame(list(zip(NAMES[:4], kinds, strict=True)), {"id": text, "kind": text})}
    tables["crossings"] = frame(
        [(n, "general", *values) for n, *values in rows],
        {"node": text, "lane_type": text, "lanes": number, "reference_lanes": number, "loads_per_lane_hour": number,
         "open_h_per_day": number, "reference_loads_per_day": number, "wait_typical_h": number,
         "wait_p95_h": number})
    assert check_for_bad_crossings(tables) == reference_crossings(tables)
    assert float(lane_capacity(1.0, 1.0, 20.0)) * 0.95 == 19.0  # the boundary example sits on the boundary


def test_the_builtin_network_passes_every_check():
    tables = {name: table.with_row_index(LINE, offset=2) for name, table in read_network().tables().items()}
    assert check_network(tables) == []
