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
BACKGROUND_COMMODITY = "background"
"""The commodity of the traffic the network does not model as demand (empties, other goods): routed
like freight from hubs on one side of the border to hubs on the other, so a closed crossing moves it."""
BACKGROUND_KINDS = (NodeKind.HUB,)  # where background supply and demand may also sit


class Column(BaseModel):
    """One column of a table: its type and the values it admits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dtype: str = "str"  # "str", "float" or "bool"
    required: bool = True  # the column must be present
    nullable: bool = False  # a cell may be empty
    default: float | None = None  # value of an empty numeric cell, when not nullable
    minimum: float | None = None
    exclusive_minimum: bool = False  # the minimum itself is not allowed
    maximum: float | None = None
    choices: tuple[str, ...] = ()


class Table(BaseModel):
    """A CSV file of a network folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # columns that identify a row; unique within the file
    optional: bool = False  # an optional table may be absent or empty

    @property
    def name(self) -> str:
        return self.file.removesuffix(".csv")

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
        _number("dwell_p95_h", required=False, nullable=True),  # spread of dwell_h (>= it); empty = fixed
        _number("delay_prob", required=False, nullable=True, maximum=1.0),  # chance of a delay event
        _number("delay_h", required=False, nullable=True),  # hours a delay event adds
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
        _number("transit_p95_h", required=False, nullable=True),  # spread of transit_h (>= it); empty = fixed
        _number("delay_prob", required=False, nullable=True, maximum=1.0),  # chance of a delay event
        _number("delay_h", required=False, nullable=True),  # hours a delay event adds
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
        Column(name="fast_eligible", dtype="bool", required=False, default=0.0),
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


class LaneType(StrEnum):
    """Lanes of a border crossing: FAST (C-TPAT loads only), general trucks, rail slots."""

    FAST = "fast"
    GENERAL = "general"
    RAIL = "rail"


CROSSINGS = Table(
    file="crossings.csv",
    key=("node", "lane_type"),
    optional=True,
    columns=(
        _text("node"),
        _text("lane_type", choices=tuple(LaneType)),
        _number("lanes"),
        Column(name="loads_per_lane_hour", dtype="float", minimum=0.0, exclusive_minimum=True),
        _number("open_h_per_day", maximum=24.0),
        _number("reference_loads_per_day"),
        _number("reference_lanes", required=False, nullable=True),
        _number("background_loads_per_day", required=False, default=0.0),
        Column(name="wait_typical_h", dtype="float", minimum=0.0, exclusive_minimum=True),
        _number("wait_p95_h", required=False, nullable=True),
        _SOURCE,
    ),
)

TARIFFS = Table(  # optional: import duty by country of origin and commodity; absent = no duty
    file="tariffs.csv",
    key=("country", "commodity"),
    optional=True,
    columns=(
        _text("country"),  # as in nodes.csv `country` of the supplier
        _text("commodity"),
        _number("duty_pct"),  # percent of value_usd_per_load
        Column(name="illustrative", dtype="bool", required=False, default=0.0),  # true: an example rate
        _text("basis", required=False, nullable=True),  # e.g. "USMCA-qualifying", "MFN + Section 301"
        _SOURCE,
    ),
)

TABLES: tuple[Table, ...] = (NODES, LINKS, COMMODITIES, SUPPLY, DEMAND, CROSSINGS, TARIFFS)
USER_COLUMN_PREFIX = "x_"
