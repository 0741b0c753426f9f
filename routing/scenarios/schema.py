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
axes' ``values``. A ``[regimes]`` table holds shock domains of the network's ``regimes.csv`` in one
state (``texas_border = "disrupted"``) wherever lead times are sampled (``nearshore compare``), as
``--regime DOMAIN=STATE`` does; the domains are checked against the network
(:func:`routing.scenarios.load.check_regimes`).

Changes are applied in order, each to the result of the previous one, with vectorised polars
expressions; every problem names the file, the change (1-based index and type) and the field.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from networks import Mode, NodeKind, Problem
from networks.schema import CROSSINGS, DEMAND, LINKS, NODES, SUPPLY, LaneType
from routing.options import DEFAULT_HORIZON_DAYS, DEFAULT_STEP_H, MAX_HORIZON_DAYS, STEPS_OF_A_DAY, Objective, Solver

BUILTIN = "builtin"
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.=+-]*$"
MAX_NAME_LENGTH = 200
"""Characters in a scenario's name (sweep suffixes included): it names a folder, and file systems
allow 255 bytes."""
MAX_SWEEP_POINTS = 10_000
"""Points one sweep file may expand to; more is a typo (a 1e6-point grid ran for hours)."""
Table = Literal["nodes", "links", "demand", "supply", "crossings"]
RegimeState = Literal["normal", "peak", "disrupted"]
"""A state of a shock domain's weekly chain (``routing.analysis.regimes.STATES``)."""
Regimes = dict[Annotated[str, Field(min_length=1)], RegimeState]

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


def _day_range(value: Any) -> Any:
    """Let one day be written as a number (``days = 4``) as well as ``[first, last]``."""
    return [value, value] if isinstance(value, int) and not isinstance(value, bool) else value


Days = Annotated[tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]] | None, BeforeValidator(_day_range)]
UNDATED_FIELDS = ("transit_h", "dwell_h")
"""Fields whose change reshapes the time-expanded network: they apply to the whole horizon."""


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    days: Days = None  # [first, last] day of the horizon the change holds on (0-based, inclusive)

    @model_validator(mode="after")
    def _ordered_days(self) -> _Change:
        if self.days is not None and self.days[0] > self.days[1]:
            raise FieldError("days", f"the first day must not be after the last, got {list(self.days)}")
        return self


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
        if self.days is not None:
            raise FieldError("days", "a link added for some days would change the network's shape; "
                                     "add it for the whole horizon (no days)")
        if self.from_ == self.to:
            raise FieldError("to", f"a link must join two different nodes (from and to are both {self.to!r})")
        return self


Change = Annotated[Close | Scale | Set | RestrictSourcing | AddLink, Field(discriminator="type")]
CHANGE_TYPES: dict[str, type[BaseModel]] = {
    "close": Close, "scale": Scale, "set": Set, "restrict_sourcing": RestrictSourcing, "add_link": AddLink}


def _check_field(table: str, change: Scale | Set) -> None:
    if change.field is not None and change.field not in FIELDS[table]:
        raise FieldError(change.field, f"not a field that can change in {table}; use {', '.join(FIELDS[table])}")
    if change.days is not None and change.target() in UNDATED_FIELDS:
        raise FieldError("days", f"{change.target()} sets how many steps a leg takes, so it changes for the "
                                 "whole horizon; drop days")


class Horizon(BaseModel):
    """The ``[horizon]`` table: run the scenario as days (``nearshore disrupt``), not a snapshot."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS)] = DEFAULT_HORIZON_DAYS
    step_h: float = DEFAULT_STEP_H

    @model_validator(mode="after")
    def _step_divides_day(self) -> Horizon:
        if self.step_h not in STEPS_OF_A_DAY:
            raise FieldError("step_h", "the step must divide the day: one of "
                                       + ", ".join(f"{s:g}" for s in STEPS_OF_A_DAY) + f" hours, got {self.step_h:g}")
        return self


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

    ``source`` is the file it came from (for messages); ``point`` the sweep values that made it;
    ``regimes`` the shock domains it holds in one state (domain -> state).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=MAX_NAME_LENGTH)
    description: str = ""
    event: str = ""
    network: str = BUILTIN
    solver: SolverOptions = SolverOptions()
    changes: tuple[Change, ...] = ()
    horizon: Horizon | None = None
    # sampled lead times only: no solve depends on it, so it stays out of dumps (and batch's result keys)
    regimes: Regimes = Field(default_factory=dict, exclude=True)
    source: str = ""
    point: tuple[tuple[str, Any], ...] = ()

    @model_validator(mode="after")
    def _days_in_horizon(self) -> Scenario:
        for index, change in enumerate(self.changes, start=1):
            if change.days is None:
                continue
            if self.horizon is None:
                raise ValueError(f"change {index} ({change.type}) has days but the file has no [horizon] table; "
                                 "add one (days, step_h) or drop days")
            if change.days[1] >= self.horizon.days:
                raise ValueError(f"change {index} ({change.type}): days {list(change.days)} go past the horizon "
                                 f"of {self.horizon.days} days (days are numbered 0 to {self.horizon.days - 1})")
        return self

    def point_label(self) -> str:
        """The sweep point as ``axis=value,...`` (empty for a scenario that is not from a sweep)."""
        return ",".join(f"{axis}={_label(value)}" for axis, value in self.point)


class _ScenarioFile(BaseModel):
    """A scenario file as written; its changes are validated per sweep point."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, pattern=NAME_PATTERN, max_length=MAX_NAME_LENGTH)
    description: str = ""
    event: str = ""
    network: str = BUILTIN
    solver: SolverOptions = SolverOptions()
    changes: tuple[dict[str, Any], ...] = ()
    horizon: Horizon | None = None
    regimes: Regimes = {}
    sweep: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+$")], SweepAxis] = {}


def _label(value: Any) -> str:
    """A value as it appears in a sweep point's name: short, stable and safe in a file name."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.12g}"
    if isinstance(value, list | tuple):
        return "+".join(_label(v) for v in value)
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", str(value))


