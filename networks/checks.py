"""Consistency checks across the tables of a network, run before any solve.

Each ``check_for_*`` takes the typed tables (with their ``_line`` column) and returns the problems
it finds; none raises. ``check_network`` runs them all.

They run on every :meth:`Network.replace`, so each finds its bad rows with a few vectorised
operations (numpy masks, polars ``Series`` operations, enum lookups) and loops in Python only over
the bad rows it reports.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from networks.calendar import parse_weekly
from networks.errors import Problem
from networks.queues import RHO_MAX, RHO_MIN, lane_capacity
from networks.read import LINE, float_column
from networks.schema import (
    BACKGROUND_COMMODITY,
    BACKGROUND_KINDS,
    CALENDARS,
    CROSSINGS,
    DEMAND,
    DEMAND_KINDS,
    LEGS,
    LINKS,
    NODES,
    REGIMES,
    SUPPLIER_KINDS,
    SUPPLY,
    TARIFFS,
    CalendarKind,
    NodeKind,
)

if TYPE_CHECKING:
    from scipy.sparse import csr_array

Tables = dict[str, pl.DataFrame]


STRUCTURE: dict[str, tuple[str, ...]] = {
    "nodes": ("id", "kind", "country"),
    "links": ("id", "from", "to"),
    "commodities": ("id",),
    "supply": ("node", "commodity", "capacity_loads_per_day"),
    "demand": ("node", "commodity", "loads_per_day"),
    "crossings": ("node",),
    "tariffs": ("country", "commodity"),
    "legs": ("element", "commodity"),
    "calendars": ("node",),
    "regimes": ("domain",),
}
"""The columns that the checks of references, roles and routes read (see ``check_network``)."""


def check_network(tables: Tables, *, values_of: Collection[str] | None = None) -> list[Problem]:
    """Run every cross-table check; reachability only once the references are sound.

    ``values_of`` names the tables of a valid network whose values changed while its
    :data:`STRUCTURE` columns did not (a scenario that changes values only): then only the checks
    of values that read those tables run, not those of references, roles and routes.
    """
    problems = [p for check, reads in _VALUE_CHECKS if values_of is None or reads & set(values_of)
                for p in check(tables)]
    if values_of is not None:
        return problems
    problems = (check_for_unknown_references(tables) + check_for_self_loops(tables)
                + check_for_misplaced_roles(tables) + problems + check_for_unknown_tariff_references(tables)
                + check_for_unknown_variability_references(tables))
    if not problems:
        problems += check_for_unreachable_markets(tables)
    return problems


def _rows(mask: np.ndarray, *columns: pl.Series) -> list[tuple]:
    """The values of ``columns`` in the rows where ``mask`` holds, in row order, as Python objects."""
    if not mask.any():
        return []
    keep = pl.Series(mask)
    return list(zip(*(column.filter(keep) for column in columns), strict=True))


def _where(condition: pl.Series) -> np.ndarray:
    """A boolean column as a numpy mask, empty cells false."""
    return (condition.fill_null(False) if condition.null_count() else condition).to_numpy()


def _positions(values: pl.Series, ids: pl.Series) -> np.ndarray:
    """Index of each value in ``ids`` (unique, as ``check_table`` ensures), -1 where it is not among
    them or empty: a hash lookup through an enum, cheaper than ``is_in`` or a join."""
    codes = values.cast(pl.Enum(ids), strict=False).to_physical().cast(pl.Int64)
    return (codes.fill_null(-1) if codes.null_count() else codes).to_numpy()


def _unknown_mask(values: pl.Series, known: pl.Series) -> np.ndarray:
    """Where a value is given but not among the unique ``known`` ones (empty cells are not unknown)."""
    unknown = _positions(values, known) < 0
    return unknown & values.is_not_null().to_numpy() if values.null_count() else unknown


def _unknown(frame: pl.DataFrame, column: str, known: pl.Series, file: str, what: str) -> list[Problem]:
    bad = _unknown_mask(frame[column], known)
    if not bad.any():
        return []
    items = frame["id"] if "id" in frame.columns else frame["node"] + "/" + frame["commodity"]
    return [
        Problem(file, f"unknown {what}", row=line, item=item, field=column, got=value)
        for line, item, value in _rows(bad, frame[LINE], items, frame[column])
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
    links = tables["links"]
    return [
        Problem(LINKS.file, "link starts and ends at the same node", row=line, item=i, field="to", got=to)
        for line, i, to in _rows(_where(links["from"] == links["to"]), links[LINE], links["id"], links["to"])
    ]


def check_for_misplaced_roles(tables: Tables) -> list[Problem]:
    """Supply only at plants and origins, demand only at markets; the ``background`` commodity also at hubs.

    A vectorised test finds the tables with a misplaced role; only those are joined with the node
    kinds, and problems come in the order of that join (as they always have).
    """
    nodes = tables["nodes"]
    problems = []
    for name, table, allowed, role in (
        ("supply", SUPPLY, SUPPLIER_KINDS, "supply is only allowed at"),
        ("demand", DEMAND, DEMAND_KINDS, "demand is only allowed at"),
    ):
        node = _positions(tables[name]["node"], nodes["id"])
        wide = allowed + BACKGROUND_KINDS
        background = _where(tables[name]["commodity"] == BACKGROUND_COMMODITY)
        ok = np.where(background, _is_one_of(nodes["kind"], wide)[node], _is_one_of(nodes["kind"], allowed)[node])
        if not ((node >= 0) & ~ok).any():  # unknown nodes: reported elsewhere
            continue
        kinds = nodes.select(pl.col("id").alias("node"), "kind")
        bad = tables[name].join(kinds, on="node", how="inner").filter(
            ~pl.col("kind").is_in(list(allowed))
            & ~((pl.col("commodity") == BACKGROUND_COMMODITY) & pl.col("kind").is_in(list(wide))))
        text = f"{role} {' or '.join(allowed)} nodes; node kind is {{}}"
        problems += [
            Problem(table.file, text.format(kind), row=line, item=f"{n}/{c}", field="node", got=n)
            for line, n, c, kind in zip(bad[LINE], bad["node"], bad["commodity"], bad["kind"], strict=True)
        ]
    return problems


def _is_one_of(column: pl.Series, values: tuple[str, ...]) -> np.ndarray:
    """Where ``column`` holds one of a few ``values`` (comparisons: cheaper than ``is_in`` here)."""
    return np.logical_or.reduce([_where(column == str(value)) for value in values])


def check_for_unreachable_markets(tables: Tables) -> list[Problem]:
    """Every demand row must be reachable from some supplier of its commodity.

    A supply row counts whatever its capacity, as a link counts whatever its capacity: a supplier
    closed to 0 (a scenario's ``restrict_sourcing``) leaves its demand unmet with a reason, while a
    market that no supply row and no link could ever serve is a data error.

    One breadth-first search per demanded commodity (scipy, over the links as a sparse matrix)
    from a virtual source linked to every node that supplies it. Problems come by commodity, in
    the order of its first demand row, then in row order.
    """
    supply, demand = tables["supply"], tables["demand"]
    wanted = float_column(demand, "loads_per_day") > 0
    goods = demand["commodity"].filter(pl.Series(wanted)).unique(maintain_order=True).drop_nulls()
    if goods.len() == 0:
        return []
    nodes, (tail, head, supplier, market) = _node_positions(tables)
    first = nodes.len()  # node first + c is the virtual source of the c-th demanded commodity
    good = _positions(supply["commodity"], goods)
    active = (good >= 0) & (supplier >= 0)
    graph = _adjacency(np.concatenate([tail, first + good[active]]), np.concatenate([head, supplier[active]]),
                       first + goods.len())
    commodity = _positions(demand["commodity"], goods)
    problems = []
    for code, name in enumerate(goods):
        bad = wanted & (commodity == code) & (market >= 0) & ~_reached(graph, first + code)[market]
        problems += [
            Problem(DEMAND.file, f"no supplier of {name} can reach this market", row=line, item=f"{n}/{name}",
                    field="node", got=n)
            for line, n in _rows(bad, demand[LINE], demand["node"])
        ]
    return problems


def _node_positions(tables: Tables) -> tuple[pl.Series, list[np.ndarray]]:
    """All node names and the positions among them of the link tails and heads, suppliers and markets.

    The names are the node ids, then (only if there are any) the unknown names the other tables
    use, which :func:`check_for_unknown_references` reports.
    """
    ids = tables["nodes"]["id"]
    named = [tables["links"]["from"], tables["links"]["to"], tables["supply"]["node"], tables["demand"]["node"]]
    positions = [_positions(names, ids) for names in named]
    if any((p < 0).any() for p in positions):
        ids = pl.concat([ids, *named]).unique(maintain_order=True).drop_nulls()
        positions = [_positions(names, ids) for names in named]
    return ids, positions


def _adjacency(tail: np.ndarray, head: np.ndarray, n: int) -> csr_array:  # scipy: imported when used
    from scipy.sparse import csr_array

    """The arcs ``tail -> head`` between ``n`` nodes as a sparse matrix (arcs at an empty name left out)."""
    known = (tail >= 0) & (head >= 0)
    return csr_array((np.ones(known.sum()), (tail[known], head[known])), shape=(n, n))


def _reached(graph: csr_array, source: int) -> np.ndarray:
    """Where the nodes of ``graph`` can be reached from ``source`` (a breadth-first search)."""
    reached = np.zeros(graph.shape[0], dtype=bool)
    from scipy.sparse.csgraph import breadth_first_order

    reached[breadth_first_order(graph, source, directed=True, return_predecessors=False)] = True
    return reached


def check_for_bad_crossings(tables: Tables) -> list[Problem]:
    """Lane rows of ``crossings.csv`` must sit at border crossings and define an increasing wait
    curve: lanes that carried today's volume, today's volume below their capacity, p95 >= typical."""
    crossings, nodes = tables["crossings"], tables["nodes"]
    if crossings.height == 0:
        return []
    node = _positions(crossings["node"], nodes["id"])
    misplaced = (node < 0) | ~_is_one_of(nodes["kind"], (NodeKind.BORDER_CROSSING,))[node]
    suspect = misplaced | _may_break_wait_curve(crossings)
    if not suspect.any():
        return []
    problems = []
    for row, n in zip(crossings.filter(pl.Series(suspect)).iter_rows(named=True), node[suspect], strict=True):
        where = {"row": row[LINE], "item": f"{row['node']}/{row['lane_type']}"}
        if n < 0:
            problems.append(Problem(CROSSINGS.file, "unknown node", field="node", got=row["node"], **where))
        elif (kind := nodes["kind"][int(n)]) != NodeKind.BORDER_CROSSING:
            problems.append(Problem(CROSSINGS.file, "lanes are only allowed at border_crossing nodes; node kind is "
                                    f"{kind}", field="node", got=row["node"], **where))
        problems += _check_wait_curve(row, where)
    return problems


def _may_break_wait_curve(crossings: pl.DataFrame) -> np.ndarray:
    """The rows :func:`_check_wait_curve` may report (a superset: it decides, row by row)."""
    lanes, rate, hours, volume, typical, p95 = (float_column(crossings, c) for c in (
        "lanes", "loads_per_lane_hour", "open_h_per_day", "reference_loads_per_day", "wait_typical_h", "wait_p95_h"))
    reference_lanes = float_column(crossings, "reference_lanes")
    capacity = lane_capacity(np.where(np.isnan(reference_lanes), lanes, reference_lanes), rate, hours)
    return (volume < RHO_MIN * capacity) | (volume <= 0) | (volume >= RHO_MAX * capacity) | (p95 < typical)


def _check_wait_curve(row: dict, where: dict) -> list[Problem]:
    values = (row["lanes"], row["loads_per_lane_hour"], row["open_h_per_day"], row["reference_loads_per_day"],
              row["wait_typical_h"])
    if None in values:  # already reported cell by cell
        return []
    lanes, rate, hours, volume, typical = values
    reference_lanes = lanes if row["reference_lanes"] is None else row["reference_lanes"]
    field = "lanes" if row["reference_lanes"] is None else "reference_lanes"
    capacity = float(lane_capacity(reference_lanes, rate, hours))
    problem = lambda f, text, got: Problem(CROSSINGS.file, text, field=f, got=got, **where)
    if volume > 0 and capacity == 0:
        return [problem(field, "zero lanes (or hours) with volume through the crossing "
                        f"(reference_loads_per_day {volume:g})", reference_lanes)]
    if volume <= 0:
        return [problem("reference_loads_per_day", "must be > 0: the wait curve is calibrated at today's volume",
                        volume)]
    if volume < RHO_MIN * capacity:
        return [problem("reference_loads_per_day", f"must be at least {RHO_MIN:g} x capacity ({RHO_MIN * capacity:g}) "
                        "for the wait curve to be calibrated at today's utilisation", volume)]
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
        bad = float_column(frame, p95) < float_column(frame, typical)  # false where either is empty
        problems += [
            Problem(table.file, f"must be >= {typical} ({t:g})", row=line, item=i, field=p95, got=v)
            for line, i, t, v in _rows(bad, frame[LINE], frame["id"], frame[typical], frame[p95])
        ]
    return problems


def check_for_spread_without_typical(tables: Tables) -> list[Problem]:
    """A p95 above a typical value of 0 cannot be sampled: the lognormal of ``routing.analysis.leadtime`` has
    the typical value as its median. Rare extra time on such a leg is a delay event instead."""
    problems = []
    for name, table, typical, p95 in (("nodes", NODES, "dwell_h", "dwell_p95_h"),
                                      ("links", LINKS, "transit_h", "transit_p95_h")):
        frame = tables[name]
        bad = (float_column(frame, typical) == 0) & (float_column(frame, p95) > 0)
        problems += [
            Problem(table.file, f"must be empty or 0 when {typical} is 0 (a spread needs a typical value > 0; "
                    "give rare extra time as delay_prob and delay_h)", row=line, item=i, field=p95, got=v)
            for line, i, v in _rows(bad, frame[LINE], frame["id"], frame[p95])
        ]
    return problems


def check_for_incomplete_delays(tables: Tables) -> list[Problem]:
    """A delay event needs both its probability and its length: ``delay_prob`` and ``delay_h``
    are given together or not at all."""
    problems = []
    for name, table in (("nodes", NODES), ("links", LINKS)):
        frame = tables[name]
        empty = {column: np.isnan(float_column(frame, column)) for column in ("delay_prob", "delay_h")}
        for given, missing in (("delay_prob", "delay_h"), ("delay_h", "delay_prob")):
            problems += [
                Problem(table.file, f"is empty but {given} is set; give both or neither", row=line, item=i,
                        field=missing)
                for line, i in _rows(~empty[given] & empty[missing], frame[LINE], frame["id"])
            ]
    return problems


SPREAD_MAX = 100.0
"""The most a p95 may exceed its typical value, as a factor: real legs spread by 1.1-7x; a wider
spread (a typical wait of 1e-300 h with a p95 of hours) overflows the lognormal and gamma samples."""


def check_for_spread_too_wide(tables: Tables) -> list[Problem]:
    """A p95 is at most :data:`SPREAD_MAX` times its typical value: ``dwell_p95_h``,
    ``transit_p95_h`` and ``wait_p95_h`` (where the typical value is > 0)."""
    problems = []
    for name, table, typical, p95, label in (("nodes", NODES, "dwell_h", "dwell_p95_h", ("id",)),
                                             ("links", LINKS, "transit_h", "transit_p95_h", ("id",)),
                                             ("crossings", CROSSINGS, "wait_typical_h", "wait_p95_h",
                                              ("node", "lane_type"))):
        frame = tables[name]
        if frame.height == 0:
            continue
        t = float_column(frame, typical)
        bad = (t > 0) & (float_column(frame, p95) > SPREAD_MAX * t)  # false where either is empty
        items = frame[label[0]] if len(label) == 1 else frame[label[0]] + "/" + frame[label[1]]
        problems += [
            Problem(table.file, f"must be at most {SPREAD_MAX:g} x {typical} ({SPREAD_MAX * v:g})", row=line,
                    item=i, field=p95, got=g)
            for line, i, v, g in _rows(bad, frame[LINE], items, frame[typical], frame[p95])
        ]
    return problems


def check_for_bad_variability(tables: Tables) -> list[Problem]:
    """Leg events need ``p95_h >= typical_h``; calendars and crossings' ``weekly_hours`` must parse;
    each regime state's transition probabilities add up to 1."""
    problems = []
    legs = tables["legs"]
    if legs.height:
        typical, p95 = float_column(legs, "typical_h"), float_column(legs, "p95_h")
        problems += [Problem(LEGS.file, f"must be empty or >= typical_h ({t:g})", row=line, item=f"{e}/{k}",
                             field="p95_h", got=v)
                     for line, e, k, t, v in _rows(p95 < typical, legs[LINE], legs["element"], legs["part"],
                                                    legs["typical_h"], legs["p95_h"])]
        problems += [Problem(LEGS.file, f"must be at most {SPREAD_MAX:g} x typical_h ({SPREAD_MAX * t:g})", row=line,
                             item=f"{e}/{k}", field="p95_h", got=v)
                     for line, e, k, t, v in _rows(p95 > SPREAD_MAX * typical, legs[LINE], legs["element"],
                                                    legs["part"], legs["typical_h"], legs["p95_h"])]
    sources = [(tables["calendars"], CALENDARS.file, "weekly", "node")]
    if "weekly_hours" in tables["crossings"].columns:
        sources.append((tables["crossings"], CROSSINGS.file, "weekly_hours", "node"))
    for frame, file, column, item in sources:
        if frame.height == 0:
            continue
        kinds = frame["calendar"] if "calendar" in frame.columns else None
        for i, (line, name, text) in enumerate(zip(frame[LINE], frame[item], frame[column], strict=True)):
            if text is None:
                continue
            try:
                parse_weekly(text, windows=kinds is None or kinds[i] == CalendarKind.OPEN)
            except ValueError as exc:
                problems.append(Problem(file, str(exc), row=line, item=name, field=column, got=text))
    regimes = tables["regimes"]
    if regimes.height:
        total = sum(float_column(regimes, c) for c in ("to_normal", "to_peak", "to_disrupted"))
        problems += [Problem(REGIMES.file, f"to_normal + to_peak + to_disrupted must be 1, they add up to {t:.6g}",
                             row=line, item=f"{d}/{st}", field="to_disrupted", got=v)
                     for line, d, st, t, v in _rows(np.abs(total - 1) > 1e-6, regimes[LINE], regimes["domain"],
                                                     regimes["state"], pl.Series(total), regimes["to_disrupted"])]
    return problems


_VALUE_CHECKS = (  # each with the tables whose values it reads, in the order problems are reported
    (check_for_bad_crossings, {"crossings"}),
    (check_for_bad_variability, {"legs", "calendars", "crossings", "regimes"}),
    (check_for_spread_below_typical, {"nodes", "links"}),
    (check_for_incomplete_delays, {"nodes", "links"}),
    (check_for_spread_without_typical, {"nodes", "links"}),
    (check_for_spread_too_wide, {"nodes", "links", "crossings"}),
)


def check_for_unknown_tariff_references(tables: Tables) -> list[Problem]:
    """Tariff rows must name a commodity that exists and a country some node is in."""
    tariffs = tables["tariffs"]
    if tariffs.height == 0:
        return []
    countries = tables["nodes"]["country"].unique().drop_nulls()
    problems = []
    for column, known, what in (("commodity", tables["commodities"]["id"], "commodity"),
                                ("country", countries, "country (no node is in it)")):
        bad = _unknown_mask(tariffs[column], known)
        problems += [
            Problem(TARIFFS.file, f"unknown {what}", row=line, item=f"{c}/{k}", field=column, got=value)
            for line, c, k, value in _rows(bad, tariffs[LINE], tariffs["country"], tariffs["commodity"],
                                           tariffs[column])
        ]
    return problems


def check_for_unknown_variability_references(tables: Tables) -> list[Problem]:
    """Leg events name a node or link, calendars a node, ``shock_domain`` a domain of ``regimes.csv``
    (which must list the normal state of each domain), and leg events' commodities exist."""
    nodes, links = tables["nodes"], tables["links"]
    problems = []
    legs = tables["legs"]
    if legs.height:
        elements = pl.concat([nodes["id"], links["id"]]).unique()
        bad = _unknown_mask(legs["element"], elements)
        problems += [Problem(LEGS.file, "unknown node or link", row=line, item=f"{e}/{k}", field="element", got=e)
                     for line, e, k in _rows(bad, legs[LINE], legs["element"], legs["part"])]
        bad = _unknown_mask(legs["commodity"], tables["commodities"]["id"])
        problems += [Problem(LEGS.file, "unknown commodity", row=line, item=f"{e}/{k}", field="commodity", got=c)
                     for line, e, k, c in _rows(bad, legs[LINE], legs["element"], legs["part"], legs["commodity"])]
    calendars = tables["calendars"]
    if calendars.height:
        problems += _unknown(calendars.rename({"node": "id"}).with_columns(node=pl.col("id")), "node", nodes["id"],
                             CALENDARS.file, "node")
    regimes = tables["regimes"]
    domains = regimes["domain"].unique() if regimes.height else pl.Series([], dtype=pl.String)
    for frame, table in ((nodes, NODES), (links, LINKS)):
        if "shock_domain" in frame.columns:
            problems += _unknown(frame, "shock_domain", domains, table.file, "shock domain (not in regimes.csv)")
    if regimes.height:
        normal = set(regimes.filter(pl.col("state") == "normal")["domain"])
        problems += [Problem(REGIMES.file, "a domain needs a normal state row", item=d, field="state")
                     for d in sorted(set(domains) - normal)]
    return problems
