"""The table formats of a network folder: which files, which columns, which values.

Every column name here is public: it is documented in the README and keeps its unit in its name.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class NodeKind(StrEnum):
    """What a node is; decides which roles (supply, demand) it may play."""

    PLANT = "plant"
    ORIGIN = "origin"
    SEAPORT = "seaport"
    RAIL_TERMINAL = "rail_terminal"
    BORDER_CROSSING = "border_crossing"
    HUB = "hub"
    MARKET = "market"


class Mode(StrEnum):
    """How a link moves a load."""

    TRUCK = "truck"
    RAIL = "rail"
    OCEAN = "ocean"
    DRAYAGE = "drayage"


SUPPLIER_KINDS = (NodeKind.PLANT, NodeKind.ORIGIN)
DEMAND_KINDS = (NodeKind.MARKET,)


class Column(BaseModel):
    """One column of a table: its type and the values it admits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dtype: str = "str"  # "str" or "float"
    required: bool = True  # the column must be present
    nullable: bool = False  # a cell may be empty
    default: float | None = None  # value of an empty numeric cell, when not nullable
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


class Table(BaseModel):
    """A CSV file of a network folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # columns that identify a row; unique within the file

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _text(name: str, **kw: object) -> Column:
    return Column(name=name, dtype="str", **kw)


def _number(name: str, **kw: object) -> Column:
    return Column(name=name, dtype="float", minimum=kw.pop("minimum", 0.0), **kw)


_SOURCE = _text("source", required=False, nullable=True)

NODES = Table(
    file="nodes.csv",
    key=("id",),
    columns=(
        _text("id"),
        _text("name"),
        _text("kind", choices=tuple(NodeKind)),
        _text("country"),
        _text("region", nullable=True),
        _number("lat", minimum=-90.0, maximum=90.0),
        _number("lon", minimum=-180.0, maximum=180.0),
        _number("throughput_loads_per_day", required=False, nullable=True),
        _number("dwell_h", required=False, default=0.0),
        _number("power_mw", required=False, nullable=True),
        _number("water_m3_per_day", required=False, nullable=True),
        _SOURCE,
    ),
)

LINKS = Table(
    file="links.csv",
    key=("id",),
    columns=(
        _text("id"),
        _text("from"),
        _text("to"),
        _text("mode", choices=tuple(Mode)),
        _number("transit_h"),
        _number("capacity_loads_per_day", required=False, nullable=True),
        _number("cost_usd_per_load", required=False, default=0.0),
        _number("distance_km", required=False, nullable=True),
        _SOURCE,
    ),
)

COMMODITIES = Table(
    file="commodities.csv",
    key=("id",),
    columns=(
        _text("id"),
        _text("name"),
        _number("value_usd_per_load"),
        _number("power_mwh_per_load", required=False, default=0.0),
        _number("water_m3_per_load", required=False, default=0.0),
        _SOURCE,
    ),
)

SUPPLY = Table(
    file="supply.csv",
    key=("node", "commodity"),
    columns=(
        _text("node"),
        _text("commodity"),
        _number("capacity_loads_per_day"),
        _SOURCE,
    ),
)

DEMAND = Table(
    file="demand.csv",
    key=("node", "commodity"),
    columns=(
        _text("node"),
        _text("commodity"),
        _number("loads_per_day"),
        _SOURCE,
    ),
)

TABLES: tuple[Table, ...] = (NODES, LINKS, COMMODITIES, SUPPLY, DEMAND)
USER_COLUMN_PREFIX = "x_"
