"""Scenarios: what-if changes to a network, read from TOML files and applied with polars.

A scenario file names a base network, solver options and an ordered list of changes::

    name = "wtb_closed"
    description = "Laredo World Trade Bridge closed for a week"
    network = "builtin"            # or a network folder, relative to this file

    [solver]
    objective = "lead_time"

    [[changes]]
    type = "close"
    table = "nodes"
    ids = ["POE_WTB"]

Change types (``type``): ``close`` (a node's throughput or a link's capacity becomes 0: the item
stays, so demand that needed it shows up as unmet with its reason), ``scale`` (multiply a field by
``factor``), ``set`` (give a field a ``value``; ``inf`` means unlimited), ``restrict_sourcing``
(suppliers not selected get supply 0) and ``add_link``. ``scale`` and ``set`` work on the tables
``nodes``, ``links``, ``demand``, ``supply`` and ``crossings`` (fields in :data:`FIELDS`). Rows are
selected by ``ids`` or by attribute: ``kind``, ``country``, ``region`` (of a node, or of the node of
a demand, supply or crossings row), ``mode``, ``from``, ``to`` (links), ``commodity`` (demand and
supply), ``lane_type`` (crossings); criteria combine with AND, the values of one criterion with OR.
A ``[sweep.<axis>]`` table turns one file into a grid of scenarios, one per combination of its
axes' ``values``.

Changes are applied in order, each to the result of the previous one, with vectorised polars
expressions; every problem names the file, the change (1-based index and type) and the field.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import itertools
import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from networks import InputError, Mode, Network, NetworkError, NodeKind, Problem
from networks.schema import CROSSINGS, DEMAND, LINKS, NODES, SUPPLY, LaneType
from routing.lp import Objective
from routing.model import Solver

BUILTIN = "builtin"
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.=+-]*$"
Table = Literal["nodes", "links", "demand", "supply", "crossings"]

FIELDS: dict[str, tuple[str, ...]] = {
    "nodes": ("throughput_loads_per_day", "dwell_h", "power_mw", "water_m3_per_day"),
    "links": ("capacity_loads_per_day", "transit_h", "cost_usd_per_load"),
    "demand": ("loads_per_day",),
    "supply": ("capacity_loads_per_day",),
    "crossings": ("lanes", "loads_per_lane_hour", "open_h_per_day"),
}
"""The fields a ``scale`` or ``set`` change may touch, per table."""

SELECTORS: dict[str, tuple[str, ...]] = {
    "nodes": ("ids", "kind", "country", "region"),
    "links": ("ids", "mode", "from", "to"),
    "demand": ("ids", "kind", "country", "region", "commodity"),
    "supply": ("ids", "kind", "country", "region", "commodity"),
    "crossings": ("ids", "kind", "country", "region", "lane_type"),
}
"""The selection criteria each table understands."""

_SCHEMAS = {"nodes": NODES, "links": LINKS, "demand": DEMAND, "supply": SUPPLY, "crossings": CROSSINGS}
_CLOSED_FIELD = {"nodes": "throughput_loads_per_day", "links": "capacity_loads_per_day"}
_NODE_CRITERIA = ("ids", "kind", "country", "region")


class FieldError(ValueError):
    """A cross-field rule broken by one field of a change; carries the field's name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ScenarioProblem(Problem):
    """A problem in a scenario file, written ``file change 2 (scale): field 'x': message``."""

    __slots__ = ()

    def __str__(self) -> str:
        where = f"{self.file} {self.item}" if self.item else self.file
        text = f"{where}: field '{self.field}': {self.message}" if self.field else f"{where}: {self.message}"
        if self.got is not None:
            text += f" (got {self.got!r})"
        return text


def _as_list(value: Any) -> Any:
    """Let a list be written as its one value (``kind = "plant"``, ``change = 2``)."""
    return value if isinstance(value, list | tuple) or value is None else [value]


Names = Annotated[tuple[str, ...] | None, BeforeValidator(_as_list)]
Kinds = Annotated[tuple[NodeKind, ...] | None, BeforeValidator(_as_list)]
Modes = Annotated[tuple[Mode, ...] | None, BeforeValidator(_as_list)]
LaneTypes = Annotated[tuple[LaneType, ...] | None, BeforeValidator(_as_list)]
Number = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Selecting(_Change):
    """Selection criteria shared by the changes that pick rows of a table."""

    ids: Names = Field(None, min_length=1)
    kind: Kinds = Field(None, min_length=1)
    mode: Modes = Field(None, min_length=1)
    country: Names = Field(None, min_length=1)
    region: Names = Field(None, min_length=1)
    commodity: Names = Field(None, min_length=1)
    from_: Names = Field(None, alias="from", min_length=1)
    to: Names = Field(None, min_length=1)
    lane_type: LaneTypes = Field(None, min_length=1)

    def criteria(self) -> dict[str, tuple[Any, ...]]:
        """The criteria that are set, by their name in the file."""
        values = {"ids": self.ids, "kind": self.kind, "mode": self.mode, "country": self.country,
                  "region": self.region, "commodity": self.commodity, "from": self.from_, "to": self.to,
                  "lane_type": self.lane_type}
        return {k: v for k, v in values.items() if v is not None}

    def _check_criteria(self, table: str) -> None:
        for name in self.criteria():
            if name not in SELECTORS[table]:
                raise FieldError(name, f"cannot select {table} by {name!r}; use {', '.join(SELECTORS[table])}")


class Close(_Selecting):
    """Close nodes (throughput 0) or links (capacity 0); they stay in the network."""

    type: Literal["close"]
    table: Literal["nodes", "links"]

    @model_validator(mode="after")
    def _selects_something(self) -> Close:
        self._check_criteria(self.table)
        if not self.criteria():
            raise FieldError("ids", "say what to close: ids, or an attribute such as kind or mode")
        return self


class Scale(_Selecting):
    """Multiply a field of the selected rows by ``factor`` (unlimited values stay unlimited)."""

    type: Literal["scale"]
    table: Table
    field: str | None = None
    factor: Number

    @model_validator(mode="after")
    def _known_field(self) -> Scale:
        _check_field(self.table, self)
        self._check_criteria(self.table)
        if not self.criteria() and self.table in ("nodes", "links"):
            raise FieldError("ids", f"say which {self.table} to scale: ids, or an attribute such as kind")
        return self

    def target(self) -> str:
        return self.field or FIELDS[self.table][0]


class Set(_Selecting):
    """Give a field of the selected rows a ``value`` (``inf`` means unlimited where allowed)."""

    type: Literal["set"]
    table: Table
    field: str | None = None
    value: Annotated[float, Field(ge=0.0)]

    @model_validator(mode="after")
    def _known_field(self) -> Set:
        _check_field(self.table, self)
        self._check_criteria(self.table)
        if not self.criteria() and self.table in ("nodes", "links"):
            raise FieldError("ids", f"say which {self.table} to set: ids, or an attribute such as kind")
        column = _SCHEMAS[self.table].column(self.target())
        if math.isinf(self.value) and not column.nullable:
            raise FieldError("value", f"{self.target()} cannot be unlimited; give a finite number")
        return self

    def target(self) -> str:
        return self.field or FIELDS[self.table][0]


class RestrictSourcing(_Selecting):
    """Keep only the selected suppliers (of ``commodity``, or of every commodity); the supply
    of the others becomes 0."""

    type: Literal["restrict_sourcing"]

    @model_validator(mode="after")
    def _names_suppliers(self) -> RestrictSourcing:
        self._check_criteria("supply")
        if not any(k in self.criteria() for k in _NODE_CRITERIA):
            raise FieldError("ids", "say which suppliers to keep: ids, or kind, country or region")
        return self


class AddLink(_Change):
    """A new link between two existing nodes."""

    type: Literal["add_link"]
    id: str = Field(min_length=1)
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    mode: Mode
    transit_h: Number
    capacity_loads_per_day: Annotated[float, Field(ge=0.0)] | None = None
    cost_usd_per_load: Number = 0.0
    distance_km: Number | None = None

    @model_validator(mode="after")
    def _distinct_ends(self) -> AddLink:
        if self.from_ == self.to:
            raise FieldError("to", f"a link must join two different nodes (from and to are both {self.to!r})")
        return self


Change = Annotated[Close | Scale | Set | RestrictSourcing | AddLink, Field(discriminator="type")]
CHANGE_TYPES: dict[str, type[BaseModel]] = {
    "close": Close, "scale": Scale, "set": Set, "restrict_sourcing": RestrictSourcing, "add_link": AddLink}


def _check_field(table: str, change: Scale | Set) -> None:
    if change.field is not None and change.field not in FIELDS[table]:
        raise FieldError(change.field, f"not a field that can change in {table}; use {', '.join(FIELDS[table])}")


class SolverOptions(BaseModel):
    """The ``[solver]`` table: what to minimise and with which backend."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    objective: Objective = Objective.LEAD_TIME
    solver: Solver = Solver.AUTO
    time_limit_s: Annotated[float, Field(gt=0.0)] | None = None
    usd_per_load_hour: Number = 5.0


class SweepAxis(BaseModel):
    """One ``[sweep.<axis>]`` table: which change(s) and field take which values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change: Annotated[tuple[Annotated[int, Field(ge=1)], ...], BeforeValidator(_as_list)]
    field: str | None = None
    values: tuple[Any, ...] = Field(min_length=1)


class Scenario(BaseModel):
    """One scenario, ready to run: a sweep file gives one per grid point.

    ``source`` is the file it came from (for messages); ``point`` the sweep values that made it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    event: str = ""
    network: str = BUILTIN
    solver: SolverOptions = SolverOptions()
    changes: tuple[Change, ...] = ()
    source: str = ""
    point: tuple[tuple[str, Any], ...] = ()

    def point_label(self) -> str:
        """The sweep point as ``axis=value,...`` (empty for a scenario that is not from a sweep)."""
        return ",".join(f"{axis}={_label(value)}" for axis, value in self.point)


class _ScenarioFile(BaseModel):
    """A scenario file as written; its changes are validated per sweep point."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, pattern=NAME_PATTERN)
    description: str = ""
    event: str = ""
    network: str = BUILTIN
    solver: SolverOptions = SolverOptions()
    changes: tuple[dict[str, Any], ...] = ()
    sweep: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+$")], SweepAxis] = {}


def library_path() -> Path:
    """The folder of the scenario library shipped with the package (for the built-in network)."""
    return Path(str(resources.files("routing") / "scenarios"))


def load_scenario(path: str | Path) -> list[Scenario]:
    """Read a scenario file; a file with a ``[sweep]`` gives one scenario per grid point.

    Sweep points come in a stable order, the first axis varying slowest, and are named
    ``<name>-<axis>=<value>-...`` in the order the axes are written.

    Parameters
    ----------
    path
        A ``.toml`` scenario file.

    Returns
    -------
    list[Scenario]
        The scenario, or the sweep's points in grid order.

    Raises
    ------
    InputError
        Malformed TOML, unknown or missing fields, bad values: every problem, each naming the
        file, the change and the field.

    Example
    -------
    >>> [s.name for s in load_scenario(library_path() / "laredo_power_sweep.toml")][:2]
    ['laredo_power_sweep-laredo=0.25-nl_power=0.7', 'laredo_power_sweep-laredo=0.25-nl_power=1']
    """
    path = Path(path)
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([ScenarioProblem(where, f"cannot be read: {exc}")], source=where) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([ScenarioProblem(where, f"not valid TOML: {exc}")], source=where) from None
    try:
        spec = _ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(_problems(exc, where, data), source=where) from None
    problems = _check_sweep(spec, where)
    network = spec.network
    if network != BUILTIN:
        folder = (path.parent / network).resolve()
        if not folder.is_dir():
            problems.append(ScenarioProblem(where, f"network folder not found: {folder}", field="network"))
        network = str(folder)
    if problems:
        raise InputError(problems, source=where)
    return _expand(spec, data, network=network, where=where, stem=path.stem)


def _check_sweep(spec: _ScenarioFile, where: str) -> list[Problem]:
    problems: list[Problem] = []
    for axis, sweep in spec.sweep.items():
        item = f"sweep {axis}"
        for index in sweep.change:
            if index > len(spec.changes):
                problems.append(ScenarioProblem(where, f"there is no change {index} (the file has "
                                                       f"{len(spec.changes)})", item=item, field="change"))
            elif sweep.field is None and not {"factor", "value"} & set(spec.changes[index - 1]):
                problems.append(ScenarioProblem(where, f"change {index} has no factor or value; name the field "
                                                       "to sweep", item=item, field="field"))
        labels = [_label(v) for v in sweep.values]
        if len(set(labels)) < len(labels):
            problems.append(ScenarioProblem(where, "values repeat", item=item, field="values",
                                            got=list(sweep.values)))
    return problems


def _expand(spec: _ScenarioFile, data: dict[str, Any], *, network: str, where: str, stem: str) -> list[Scenario]:
    """One scenario per sweep point (or the file's one scenario), validated; problems collected."""
    name = spec.name or stem
    axes = list(spec.sweep.items())
    swept = {f"change {index}" for _, axis in axes for index in axis.change}
    scenarios, problems = [], []
    for values in itertools.product(*(axis.values for _, axis in axes)):
        changes = copy.deepcopy(list(spec.changes))
        for (_, axis), value in zip(axes, values, strict=True):
            for index in axis.change:
                field = axis.field or ("factor" if "factor" in changes[index - 1] else "value")
                changes[index - 1][field] = value
        point = tuple((axis_name, value) for (axis_name, _), value in zip(axes, values, strict=True))
        suffix = "".join(f"-{axis_name}={_label(value)}" for axis_name, value in point)
        raw = {"name": name + suffix, "description": spec.description, "event": spec.event,
               "network": network, "solver": spec.solver, "changes": changes, "source": where, "point": point}
        try:
            scenarios.append(Scenario.model_validate(raw))
        except ValidationError as exc:  # name the point when a swept value is at fault, once otherwise
            at_point = dataclasses.replace if point else (lambda p, **_: p)
            label = f"{where} sweep point {','.join(f'{a}={_label(v)}' for a, v in point)}"
            found = [at_point(p, file=label) if (p.item or "").split(" (")[0] in swept else p
                     for p in _problems(exc, where, {"changes": changes})]
            problems += [p for p in found if p not in problems]
    if problems:
        raise InputError(problems, source=where)
    return scenarios


def _label(value: Any) -> str:
    """A value as it appears in a sweep point's name: short, stable and safe in a file name."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.12g}"
    if isinstance(value, list | tuple):
        return "+".join(_label(v) for v in value)
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", str(value))


_MESSAGES = {
    "missing": "required",
    "greater_than_equal": "must be >= {ge:g}",
    "greater_than": "must be > {gt:g}",
    "finite_number": "must be a finite number",
    "too_short": "must not be empty",
}


def _problems(error: ValidationError, where: str, data: dict[str, Any]) -> list[Problem]:
    """Turn pydantic's errors into problems naming the file, the change and the field."""
    problems = []
    for err in error.errors():
        loc = list(err["loc"])
        item, field, kind = None, None, None
        if loc and loc[0] == "changes" and len(loc) >= 2 and isinstance(loc[1], int):
            index = loc[1]
            raw = data.get("changes", [])[index] if index < len(data.get("changes", [])) else {}
            kind = raw.get("type") if isinstance(raw, dict) else None
            item = f"change {index + 1}" + (f" ({kind})" if isinstance(kind, str) else "")
            loc = loc[3:] if len(loc) >= 3 and loc[2] == kind else loc[2:]
        elif loc and loc[0] == "sweep" and len(loc) >= 2:
            item, loc = f"sweep {loc[1]}", loc[2:]
        if loc:
            field = ".".join(str(part) for part in loc if not isinstance(part, int)) or None
        message, got = _message(err, kind=kind)
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            field = cause.field
        problems.append(ScenarioProblem(where, message, item=item, field=field, got=got))
    return problems


def _message(err: dict[str, Any], *, kind: Any) -> tuple[str, Any]:
    ctx, kind_of_error = err.get("ctx", {}), err["type"]
    if kind_of_error == "extra_forbidden":
        model = CHANGE_TYPES.get(kind) if isinstance(kind, str) else None
        allowed = sorted((f.alias or n) for n, f in model.model_fields.items() if n != "type") if model else []
        return "unknown field" + (f"; {kind} takes {', '.join(allowed)}" if allowed else ""), None
    if kind_of_error in ("union_tag_invalid", "union_tag_not_found"):
        tag = ctx.get("tag")
        known = ", ".join(CHANGE_TYPES)
        return (f"unknown change type {tag!r}; use {known}" if tag else f"a change needs a type: {known}"), None
    if kind_of_error == "value_error":
        return str(ctx.get("error", err["msg"])), None
    template = _MESSAGES.get(kind_of_error)
    got = err.get("input") if kind_of_error not in ("missing",) else None
    return (template.format(**ctx) if template else err["msg"]), (got if not isinstance(got, dict) else None)


def load_scenarios(paths: Iterable[str | Path]) -> list[Scenario]:
    """Every scenario of some files and folders (a folder's ``*.toml`` files, sorted by name).

    Raises
    ------
    InputError
        Every problem of every file, and scenario names that repeat across them.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found = sorted(entry.glob("*.toml"))
            if not found:
                problems.append(ScenarioProblem(str(entry), "folder holds no .toml scenario files"))
            files += found
        elif entry.is_file():
            files.append(entry)
        else:
            problems.append(ScenarioProblem(str(entry), "no such file or folder"))
    scenarios: list[Scenario] = []
    for file in files:
        try:
            scenarios += load_scenario(file)
        except InputError as bad:
            problems += bad.problems
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.name in seen:
            problems.append(ScenarioProblem(scenario.source, f"scenario name {scenario.name!r} is also used in "
                                                             f"{seen[scenario.name]}", field="name"))
        seen.setdefault(scenario.name, scenario.source)
    if problems:
        raise InputError(problems)
    return scenarios


def check_changes(network: Network, changes: Sequence[Change], *, source: str = "scenario") -> list[Problem]:
    """The problems ``changes`` would meet on ``network`` (unknown ids, empty selections...), without
    building the changed network."""
    _, problems = _apply_all(network, changes, source=source)
    return problems


def apply_changes(network: Network, changes: Sequence[Change], *, source: str = "scenario") -> Network:
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
    tables, problems = _apply_all(network, changes, source=source)
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


def _apply_all(network: Network, changes: Sequence[Change],
               *, source: str) -> tuple[dict[str, pl.DataFrame], list[Problem]]:
    tables, problems = network.tables(), []
    for index, change in enumerate(changes, start=1):
        item = f"change {index} ({change.type})"
        try:
            tables = {**tables, **_APPLY[change.type](tables, change)}
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


def _apply_close(tables: dict[str, pl.DataFrame], change: Close) -> dict[str, pl.DataFrame]:
    column = _CLOSED_FIELD[change.table]
    mask = _mask(tables, change.table, change)
    return _with(tables, change.table, column, pl.when(mask).then(0.0).otherwise(pl.col(column)))


def _apply_scale(tables: dict[str, pl.DataFrame], change: Scale) -> dict[str, pl.DataFrame]:
    column = change.target()
    mask = _mask(tables, change.table, change)
    if tables[change.table].filter(mask)[column].null_count() == tables[change.table].filter(mask).height:
        raise FieldError(column, f"every selected value is unlimited (empty), so scaling changes nothing; "
                                 f"use type = \"set\" to give {column} a value")
    return _with(tables, change.table, column, pl.when(mask).then(pl.col(column) * change.factor)
                 .otherwise(pl.col(column)))


def _apply_set(tables: dict[str, pl.DataFrame], change: Set) -> dict[str, pl.DataFrame]:
    column = change.target()
    mask = _mask(tables, change.table, change)
    value = pl.lit(None, dtype=pl.Float64) if math.isinf(change.value) else pl.lit(change.value)
    return _with(tables, change.table, column, pl.when(mask).then(value).otherwise(pl.col(column)))


def _apply_restrict(tables: dict[str, pl.DataFrame], change: RestrictSourcing) -> dict[str, pl.DataFrame]:
    keep = _mask(tables, "supply", change)
    affected = pl.col("commodity").is_in(list(change.commodity)) if change.commodity else pl.lit(True)
    column = "capacity_loads_per_day"
    return _with(tables, "supply", column, pl.when(affected & ~keep).then(0.0).otherwise(pl.col(column)))


def _apply_add_link(tables: dict[str, pl.DataFrame], change: AddLink) -> dict[str, pl.DataFrame]:
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
