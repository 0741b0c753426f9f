"""Applying a scenario's changes to a network: vectorised polars expressions, checked like the data."""

from __future__ import annotations

import difflib
import json
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from networks import InputError, Network, NetworkError, Problem
from networks.schema import BACKGROUND_COMMODITY
from routing.scenarios.schema import (
    _SCHEMAS,
    AddLink,
    Change,
    Close,
    FieldError,
    RestrictSourcing,
    Scale,
    ScenarioProblem,
    Set,
)

_SPREAD = {"transit_h": "transit_p95_h", "dwell_h": "dwell_p95_h"}
"""The p95 column of each typical time that ``scale`` can change."""
_CLOSED_FIELD = {"nodes": "throughput_loads_per_day", "links": "capacity_loads_per_day"}



def check_changes(network: Network, changes: Sequence[Change], *, source: str = "scenario") -> list[Problem]:
    """Every problem ``changes`` would meet on ``network``: unknown ids, empty selections, values out
    of range, and a changed network that breaks a rule of the data (a p95 below its typical time,
    a market no supplier can reach): what the batch checks before anything runs."""
    try:
        apply_changes(network, changes, source=source)
    except InputError as bad:
        return list(bad.problems)
    return []


def apply_changes(network: Network, changes: Sequence[Change], *, source: str = "scenario",
                  selections: Selections | None = None) -> Network:
    """The network with ``changes`` applied in order (vectorised polars expressions).

    Closing keeps the item with capacity 0, so the structure and reachability stay and demand that
    needed it shows up as unmet with its reason. Changes to values only are checked against the
    column rules of the schema; a change that adds a link re-validates the whole network.

    Parameters
    ----------
    network
        The base network.
    changes
        The changes, in the order they apply.
    source
        What to call the scenario in messages (its file).
    selections
        Rows selected by earlier calls, to reuse where a change selects the same rows of the same
        tables (a batch checks many scenarios, a sweep's points all select alike).

    Returns
    -------
    Network
        A new network; ``network`` is not modified.

    Raises
    ------
    InputError
        Every problem, each naming ``source``, the change (1-based index and type) and the field.

    Example
    -------
    >>> from networks import read_network
    >>> net = read_network()
    >>> closed = apply_changes(net, [Close(type="close", table="nodes", ids=["POE_WTB"])])
    >>> closed.nodes.filter(pl.col("id") == "POE_WTB")["throughput_loads_per_day"].item()
    0.0
    """
    tables, problems = _apply_all(network, changes, source=source, selections=selections or Selections(size=0))
    if problems:
        raise InputError(problems, source=source)
    changed = {name: frame for name, frame in tables.items() if frame is not network.tables()[name]}
    if not changed:
        return network
    try:
        return network.replace(**changed)
    except NetworkError as bad:
        raise InputError([ScenarioProblem(source, f"the changed network is invalid: {p}")
                          for p in bad.problems], source=source) from None


class Selections:
    """The rows that changes selected, kept by table and criteria for the exact tables they were
    selected on (a change after ``add_link`` selects on other links), the latest ``size``.

    >>> from networks import read_network
    >>> net, kept = read_network(), Selections()
    >>> change = Close(type="close", table="nodes", ids=["POE_WTB"])
    >>> kept(net.tables(), "nodes", change) is kept(net.tables(), "nodes", change)
    True
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[str, str], tuple[tuple[pl.DataFrame, ...], pl.Series]] = OrderedDict()

    def __call__(self, tables: dict[str, pl.DataFrame], table: str, change: Any) -> pl.Series:
        """The rows of ``table`` that ``change`` selects, as a boolean column (see :func:`_mask`)."""
        key = (table, json.dumps(change.criteria(), sort_keys=True, default=str))
        read = (tables[table], tables["nodes"], tables["commodities"])
        kept = self._kept.get(key)
        if kept is not None and all(a is b for a, b in zip(kept[0], read, strict=True)):
            self._kept.move_to_end(key)
            return kept[1]
        frame = tables[table]
        selected = frame.select(_mask(tables, table, change)).to_series()
        if selected.len() != frame.height:  # a literal: every row or none
            selected = pl.repeat(selected[0], frame.height, eager=True)
        if self.size:
            self._kept[key] = (read, selected)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return selected


def _apply_all(network: Network, changes: Sequence[Change], *, source: str,
               selections: Selections) -> tuple[dict[str, pl.DataFrame], list[Problem]]:
    tables, problems = network.tables(), []
    for index, change in enumerate(changes, start=1):
        item = f"change {index} ({change.type})"
        try:
            tables = {**tables, **_APPLY[change.type](tables, change, selections)}
        except FieldError as bad:
            problems.append(ScenarioProblem(source, str(bad), item=item, field=bad.field))
    return tables, problems


def _mask(tables: dict[str, pl.DataFrame], table: str, change: Any) -> pl.Expr:
    """The selection of ``change`` on ``table`` as one boolean expression; unknown values and an
    empty selection raise :class:`FieldError`."""
    frame, nodes = tables[table], tables["nodes"]
    criteria = change.criteria()
    terms = [pl.lit(True)]
    node_columns = {"ids": "id", "kind": "kind", "country": "country", "region": "region"}
    if table == "links":
        for name, column in {"ids": "id", "mode": "mode", "from": "from", "to": "to"}.items():
            if name in criteria:
                known = frame["id"] if name == "ids" else nodes["id"] if name in ("from", "to") else None
                if known is not None:
                    _known(known, criteria[name], name, "link" if name == "ids" else "node")
                terms.append(pl.col(column).is_in([str(v) for v in criteria[name]]))
    else:
        scope = nodes if table == "nodes" else nodes.filter(pl.col("id").is_in(frame["node"].implode()))
        node_terms = [pl.lit(True)]
        for name, column in node_columns.items():
            if name in criteria:
                wanted = [str(v) for v in criteria[name]]
                if name == "ids":
                    _known(nodes["id"], wanted, name, "node")
                    if table != "nodes":
                        role = {"demand": "has no demand rows", "supply": "supplies nothing",
                                "crossings": "has no rows in crossings.csv"}[table]
                        _known(scope["id"], wanted, name, "node", unknown=f"node {{!r}} {role}")
                elif name != "kind":
                    _known(scope[column], wanted, name, name)
                node_terms.append(pl.col(column).is_in(wanted))
        if table == "nodes":
            terms += node_terms
        else:
            picked = scope.filter(pl.all_horizontal(node_terms))["id"]
            terms.append(pl.col("node").is_in(picked.implode()))
            if "commodity" in criteria:
                _known(tables["commodities"]["id"], criteria["commodity"], "commodity", "commodity")
                terms.append(pl.col("commodity").is_in(list(criteria["commodity"])))
            elif table in ("supply", "demand"):  # the routed background is not demand or sourcing unless named
                terms.append(pl.col("commodity") != BACKGROUND_COMMODITY)
            if "lane_type" in criteria:
                terms.append(pl.col("lane_type").is_in([str(v) for v in criteria["lane_type"]]))
    mask = pl.all_horizontal(terms)
    if frame.select(mask.sum()).item() == 0:
        said = ", ".join(f"{k}={'/'.join(map(str, v))}" for k, v in criteria.items()) or "everything"
        raise FieldError(next(iter(criteria), "ids"), f"selects no rows of {table} ({said})")
    return mask


def _known(column: pl.Series, wanted: Iterable[str], field: str, what: str, *, unknown: str = "") -> None:
    """Raise :class:`FieldError` for the first wanted value that is not in ``column``."""
    known = set(column.drop_nulls().to_list())
    missing = [w for w in wanted if w not in known]
    if missing:
        if unknown:
            raise FieldError(field, unknown.format(missing[0]))
        hint = difflib.get_close_matches(missing[0], sorted(known), n=1)
        raise FieldError(field, f"unknown {what} {missing[0]!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))


def _with(tables: dict[str, pl.DataFrame], table: str, column: str, expr: pl.Expr) -> dict[str, pl.DataFrame]:
    """Replace one column, then check it against the schema's rules for that column (the only
    rules a change of values can break)."""
    frame = tables[table].with_columns(expr.cast(pl.Float64).alias(column))
    if table == "crossings" and column == "lanes":  # the wait curve stays calibrated at today's lanes
        frame = frame.with_columns(reference_lanes=pl.col("reference_lanes").fill_null(tables[table]["lanes"]))
    rule, values = _SCHEMAS[table].column(column), frame[column]
    if values.is_infinite().any() or values.is_nan().any():
        raise FieldError(column, "the change makes a value non-finite")
    if not rule.nullable and values.null_count():
        raise FieldError(column, "cannot be unlimited (empty)")
    if rule.minimum is not None:
        low = values < rule.minimum if not rule.exclusive_minimum else values <= rule.minimum
        if low.any():
            raise FieldError(column, f"must be {'>' if rule.exclusive_minimum else '>='} {rule.minimum:g} "
                                     f"after the change, got {values.filter(low)[0]:g}")
    if rule.maximum is not None and (values > rule.maximum).any():
        raise FieldError(column, f"must be <= {rule.maximum:g} after the change, got {values.max():g}")
    return {table: frame}


def _apply_close(tables: dict[str, pl.DataFrame], change: Close, select: Selections) -> dict[str, pl.DataFrame]:
    column = _CLOSED_FIELD[change.table]
    mask = pl.lit(select(tables, change.table, change))
    return _with(tables, change.table, column, pl.when(mask).then(0.0).otherwise(pl.col(column)))


def _apply_scale(tables: dict[str, pl.DataFrame], change: Scale, select: Selections) -> dict[str, pl.DataFrame]:
    column = change.target()
    selected = select(tables, change.table, change)
    mask = pl.lit(selected)
    chosen = tables[change.table][column].filter(selected)
    if chosen.null_count() == chosen.len():
        raise FieldError(column, f"every selected value is unlimited (empty), so scaling changes nothing; "
                                 f"use type = \"set\" to give {column} a value")
    scaled = _with(tables, change.table, column, pl.when(mask).then(pl.col(column) * change.factor)
                   .otherwise(pl.col(column)))
    spread = _SPREAD.get(column)
    if spread is None or spread not in scaled[change.table].columns:
        return scaled
    # a typical time scaled keeps its spread: the p95 scales with it (p95 >= typical stays true)
    return _with(scaled, change.table, spread, pl.when(mask).then(pl.col(spread) * change.factor)
                 .otherwise(pl.col(spread)))


def _apply_set(tables: dict[str, pl.DataFrame], change: Set, select: Selections) -> dict[str, pl.DataFrame]:
    column = change.target()
    mask = pl.lit(select(tables, change.table, change))
    value = pl.lit(None, dtype=pl.Float64) if math.isinf(change.value) else pl.lit(change.value)
    return _with(tables, change.table, column, pl.when(mask).then(value).otherwise(pl.col(column)))


def _apply_restrict(tables: dict[str, pl.DataFrame], change: RestrictSourcing,
                    select: Selections) -> dict[str, pl.DataFrame]:
    keep = pl.lit(select(tables, "supply", change))
    # the routed background traffic is not sourcing: it keeps its supply unless a commodity names it
    affected = pl.col("commodity").is_in(list(change.commodity)) if change.commodity else (
        pl.col("commodity") != BACKGROUND_COMMODITY)
    column = "capacity_loads_per_day"
    return _with(tables, "supply", column, pl.when(affected & ~keep).then(0.0).otherwise(pl.col(column)))


def _apply_add_link(tables: dict[str, pl.DataFrame], change: AddLink, select: Selections) -> dict[str, pl.DataFrame]:
    links, node_ids = tables["links"], tables["nodes"]["id"]
    if change.id in set(links["id"].to_list()):
        raise FieldError("id", f"a link {change.id!r} already exists")
    for field, node in (("from", change.from_), ("to", change.to)):
        _known(node_ids, [node], field, "node")
    capacity = None if change.capacity_loads_per_day is None or math.isinf(change.capacity_loads_per_day) \
        else change.capacity_loads_per_day
    row = {"id": change.id, "from": change.from_, "to": change.to, "mode": change.mode.value,
           "transit_h": change.transit_h, "capacity_loads_per_day": capacity,
           "cost_usd_per_load": change.cost_usd_per_load, "distance_km": change.distance_km,
           "source": "added by scenario"}
    added = pl.DataFrame([{c: row.get(c) for c in links.columns}], schema=links.schema)
    return {"links": pl.concat([links, added]).sort("id")}


_APPLY = {"close": _apply_close, "scale": _apply_scale, "set": _apply_set,
          "restrict_sourcing": _apply_restrict, "add_link": _apply_add_link}
