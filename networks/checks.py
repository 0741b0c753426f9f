"""Consistency checks across the tables of a network, run before any solve.

Each ``check_for_*`` takes the typed tables (with their ``_line`` column) and returns the problems
it finds; none raises. ``check_network`` runs them all.
"""

from __future__ import annotations

import networkx as nx
import polars as pl

from networks.errors import Problem
from networks.read import LINE
from networks.queues import RHO_MAX, lane_capacity
from networks.schema import CROSSINGS, DEMAND, DEMAND_KINDS, LINKS, SUPPLIER_KINDS, SUPPLY, NodeKind
from networks.schema import NODES, TARIFFS

Tables = dict[str, pl.DataFrame]


def check_network(tables: Tables) -> list[Problem]:
    """Run every cross-table check; reachability only once the references are sound."""
    problems = check_for_unknown_references(tables) + check_for_self_loops(tables)
    problems += check_for_misplaced_roles(tables) + check_for_bad_crossings(tables)
    problems += check_for_spread_below_typical(tables) + check_for_incomplete_delays(tables)
    problems += check_for_spread_without_typical(tables)
    problems += check_for_unknown_tariff_references(tables)
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



def check_for_bad_crossings(tables: Tables) -> list[Problem]:
    """Lane rows of ``crossings.csv`` must sit at border crossings and define an increasing wait
    curve: lanes that carried today's volume, today's volume below their capacity, p95 >= typical."""
    crossings = tables["crossings"]
    if crossings.height == 0:
        return []
    kinds = dict(tables["nodes"].select("id", "kind").iter_rows())
    problems = []
    for row in crossings.iter_rows(named=True):
        where = dict(row=row[LINE], item=f"{row['node']}/{row['lane_type']}")
        if row["node"] not in kinds:
            problems.append(Problem(CROSSINGS.file, "unknown node", field="node", got=row["node"], **where))
        elif kinds[row["node"]] != NodeKind.BORDER_CROSSING:
            problems.append(Problem(CROSSINGS.file, "lanes are only allowed at border_crossing nodes; node kind is "
                                    f"{kinds[row['node']]}", field="node", got=row["node"], **where))
        problems += _check_wait_curve(row, where)
    return problems


def _check_wait_curve(row: dict, where: dict) -> list[Problem]:
    values = (row["lanes"], row["loads_per_lane_hour"], row["open_h_per_day"], row["reference_loads_per_day"],
              row["wait_typical_h"])
    if None in values:  # already reported cell by cell
        return []
    lanes, rate, hours, volume, typical = values
    reference_lanes = lanes if row["reference_lanes"] is None else row["reference_lanes"]
    field = "lanes" if row["reference_lanes"] is None else "reference_lanes"
    capacity = float(lane_capacity(reference_lanes, rate, hours))
    problem = lambda f, text, got: Problem(CROSSINGS.file, text, field=f, got=got, **where)  # noqa: E731
    if volume > 0 and capacity == 0:
        return [problem(field, "zero lanes (or hours) with volume through the crossing "
                        f"(reference_loads_per_day {volume:g})", reference_lanes)]
    if volume <= 0:
        return [problem("reference_loads_per_day", "must be > 0: the wait curve is calibrated at today's volume",
                        volume)]
    if volume >= RHO_MAX * capacity:
        return [problem("reference_loads_per_day", f"must be below {RHO_MAX:g} x capacity ({RHO_MAX * capacity:g}) "
                        "for the wait curve to be defined and increasing", volume)]
    if row["wait_p95_h"] is not None and row["wait_p95_h"] < typical:
        return [problem("wait_p95_h", f"must be >= wait_typical_h ({typical:g})", row["wait_p95_h"])]
    return []


def check_for_spread_below_typical(tables: Tables) -> list[Problem]:
    """A p95 must not be below the typical value it spreads: ``dwell_p95_h >= dwell_h`` and
    ``transit_p95_h >= transit_h``."""
    problems = []
    for name, table, typical, p95 in (("nodes", NODES, "dwell_h", "dwell_p95_h"),
                                      ("links", LINKS, "transit_h", "transit_p95_h")):
        frame = tables[name]
        bad = frame.filter(pl.col(p95).is_not_null() & pl.col(typical).is_not_null() & (pl.col(p95) < pl.col(typical)))
        problems += [
            Problem(table.file, f"must be >= {typical} ({t:g})", row=line, item=i, field=p95, got=v)
            for line, i, t, v in zip(bad[LINE], bad["id"], bad[typical], bad[p95], strict=True)
        ]
    return problems


def check_for_spread_without_typical(tables: Tables) -> list[Problem]:
    """A p95 above a typical value of 0 cannot be sampled: the lognormal of ``routing.leadtime`` has
    the typical value as its median. Rare extra time on such a leg is a delay event instead."""
    problems = []
    for name, table, typical, p95 in (("nodes", NODES, "dwell_h", "dwell_p95_h"),
                                      ("links", LINKS, "transit_h", "transit_p95_h")):
        bad = tables[name].filter((pl.col(typical) == 0) & (pl.col(p95) > 0))
        problems += [
            Problem(table.file, f"must be empty or 0 when {typical} is 0 (a spread needs a typical value > 0; "
                    "give rare extra time as delay_prob and delay_h)", row=line, item=i, field=p95, got=v)
            for line, i, v in zip(bad[LINE], bad["id"], bad[p95], strict=True)
        ]
    return problems


def check_for_incomplete_delays(tables: Tables) -> list[Problem]:
    """A delay event needs both its probability and its length: ``delay_prob`` and ``delay_h``
    are given together or not at all."""
    problems = []
    for name, table in (("nodes", NODES), ("links", LINKS)):
        frame = tables[name]
        for given, missing in (("delay_prob", "delay_h"), ("delay_h", "delay_prob")):
            bad = frame.filter(pl.col(given).is_not_null() & pl.col(missing).is_null())
            problems += [
                Problem(table.file, f"is empty but {given} is set; give both or neither", row=line, item=i,
                        field=missing)
                for line, i in zip(bad[LINE], bad["id"], strict=True)
            ]
    return problems


def check_for_unknown_tariff_references(tables: Tables) -> list[Problem]:
    """Tariff rows must name a commodity that exists and a country some node is in."""
    tariffs = tables["tariffs"]
    if tariffs.height == 0:
        return []
    countries = tables["nodes"]["country"].unique()
    problems = []
    for column, known, what in (("commodity", tables["commodities"]["id"], "commodity"),
                                ("country", countries, "country (no node is in it)")):
        bad = tariffs.filter(~pl.col(column).is_in(known.implode()))
        problems += [
            Problem(TARIFFS.file, f"unknown {what}", row=line, item=f"{c}/{k}", field=column, got=value)
            for line, c, k, value in zip(bad[LINE], bad["country"], bad["commodity"], bad[column], strict=True)
        ]
    return problems
