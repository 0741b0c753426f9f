"""Consistency checks across the tables of a network, run before any solve.

Each ``check_for_*`` takes the typed tables (with their ``_line`` column) and returns the problems
it finds; none raises. ``check_network`` runs them all.
"""

from __future__ import annotations

import networkx as nx
import polars as pl

from networks.errors import Problem
from networks.read import LINE
from networks.schema import DEMAND, DEMAND_KINDS, LINKS, SUPPLIER_KINDS, SUPPLY

Tables = dict[str, pl.DataFrame]


def check_network(tables: Tables) -> list[Problem]:
    """Run every cross-table check; reachability only once the references are sound."""
    problems = check_for_unknown_references(tables) + check_for_self_loops(tables)
    problems += check_for_misplaced_roles(tables)
    if not problems:
        problems += check_for_unreachable_markets(tables)
    return problems


def _unknown(frame: pl.DataFrame, column: str, known: pl.Series, file: str, what: str) -> list[Problem]:
    bad = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode()))
    key = "id" if "id" in frame.columns else None
    items = bad[key] if key else bad["node"] + "/" + bad["commodity"]
    return [
        Problem(file, f"unknown {what}", row=line, item=item, field=column, got=value)
        for line, item, value in zip(bad[LINE], items, bad[column], strict=True)
    ]


def check_for_unknown_references(tables: Tables) -> list[Problem]:
    """Links, supply and demand must name nodes and commodities that exist."""
    nodes, commodities = tables["nodes"]["id"], tables["commodities"]["id"]
    problems = []
    for column in ("from", "to"):
        problems += _unknown(tables["links"], column, nodes, LINKS.file, "node")
    for name, table in (("supply", SUPPLY), ("demand", DEMAND)):
        problems += _unknown(tables[name], "node", nodes, table.file, "node")
        problems += _unknown(tables[name], "commodity", commodities, table.file, "commodity")
    return problems


def check_for_self_loops(tables: Tables) -> list[Problem]:
    """A link must join two different nodes."""
    loops = tables["links"].filter(pl.col("from") == pl.col("to"))
    return [
        Problem(LINKS.file, "link starts and ends at the same node", row=line, item=i, field="to", got=to)
        for line, i, to in zip(loops[LINE], loops["id"], loops["to"], strict=True)
    ]


def check_for_misplaced_roles(tables: Tables) -> list[Problem]:
    """Supply only at plants and origins, demand only at markets."""
    kinds = tables["nodes"].select(pl.col("id").alias("node"), "kind")
    problems = []
    for name, table, allowed, role in (
        ("supply", SUPPLY, SUPPLIER_KINDS, "supply is only allowed at"),
        ("demand", DEMAND, DEMAND_KINDS, "demand is only allowed at"),
    ):
        bad = tables[name].join(kinds, on="node", how="inner").filter(~pl.col("kind").is_in(list(allowed)))
        text = f"{role} {' or '.join(allowed)} nodes; node kind is {{}}"
        problems += [
            Problem(table.file, text.format(kind), row=line, item=f"{n}/{c}", field="node", got=n)
            for line, n, c, kind in zip(bad[LINE], bad["node"], bad["commodity"], bad["kind"], strict=True)
        ]
    return problems


def check_for_unreachable_markets(tables: Tables) -> list[Problem]:
    """Every demand row must be reachable from some supplier of its commodity (networkx)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(tables["nodes"]["id"])
    graph.add_edges_from(zip(tables["links"]["from"], tables["links"]["to"], strict=True))
    supply, demand = tables["supply"], tables["demand"].filter(pl.col("loads_per_day") > 0)
    problems = []
    for commodity in demand["commodity"].unique(maintain_order=True):
        sources = supply.filter((pl.col("commodity") == commodity) & (pl.col("capacity_loads_per_day") > 0))
        reached: set[str] = set()
        for node in sources["node"]:
            if node not in reached:
                reached |= {node} | nx.descendants(graph, node)
        bad = demand.filter((pl.col("commodity") == commodity) & ~pl.col("node").is_in(list(reached)))
        problems += [
            Problem(DEMAND.file, f"no supplier of {commodity} can reach this market", row=line, item=f"{n}/{commodity}", field="node", got=n)
            for line, n in zip(bad[LINE], bad["node"], strict=True)
        ]
    return problems

