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
        _text("shock_domain", required=False, nullable=True),  # regimes.csv domain whose state scales this leg
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
        _text("shock_domain", required=False, nullable=True),  # regimes.csv domain whose state scales this leg
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
        _text("weekly_hours", required=False, nullable=True),  # e.g. "mon-fri 07-24; sat 08-16"; empty = always open
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

class CalendarKind(StrEnum):
    """What a calendar row of a node says: when it is open, or when it departs."""

    OPEN = "open"  # a load waits for the next open hour (Mexican customs, a yard)
    DEPARTURES = "departures"  # a load waits for the next departure after the cut-off (a sailing, a train)


LEGS = Table(  # optional: the leg library's events, each an extra time with a probability, per node or link
    file="legs.csv",
    key=("element", "part"),
    optional=True,
    columns=(
        _text("element"),  # a node id (its dwell) or a link id (its transit)
        _text("part"),  # e.g. "exam_xray", "late_vessel", "breakdown"
        _text("commodity", required=False, nullable=True),  # only loads of this commodity; empty = every load
        _number("prob", maximum=1.0),  # chance that a load meets the event on this leg
        Column(name="typical_h", dtype="float", minimum=0.0, exclusive_minimum=True),  # median extra hours
        _number("p95_h", required=False, nullable=True),  # 95th percentile of the extra hours (>= typical_h)
        Column(name="estimate", dtype="bool", required=False, default=0.0),  # true: our estimate, not sourced
        _SOURCE,
    ),
)

CALENDARS = Table(  # optional: weekly clocks of nodes: opening hours or departures
    file="calendars.csv",
    key=("node",),
    optional=True,
    columns=(
        _text("node"),
        _text("calendar", choices=tuple(CalendarKind)),
        _text("weekly"),  # networks.calendar syntax: "mon-fri 08-20" or "tue 18; fri 18"
        _number("cutoff_h", required=False, default=0.0),  # departures: a load must be ready this long before
        _number("miss_prob", required=False, default=0.0, maximum=1.0),  # departures: rolled or blank, +1 departure
        Column(name="estimate", dtype="bool", required=False, default=0.0),
        _SOURCE,
    ),
)


class RegimeState(StrEnum):
    """States of a shock domain's weekly Markov chain."""

    NORMAL = "normal"
    PEAK = "peak"
    DISRUPTED = "disrupted"


REGIMES = Table(  # optional: shared shocks, one weekly Markov chain per domain (nodes/links shock_domain)
    file="regimes.csv",
    key=("domain", "state"),
    optional=True,
    columns=(
        _text("domain"),
        _text("state", choices=tuple(RegimeState)),
        _number("to_normal", maximum=1.0),  # weekly transition probabilities from this state; sum to 1
        _number("to_peak", maximum=1.0),
        _number("to_disrupted", maximum=1.0),
        Column(name="time_scale", dtype="float", minimum=0.0, exclusive_minimum=True, required=False,
               default=1.0),  # multiplies the random time (lognormal and event hours) of the domain's legs
        _number("event_scale", required=False, default=1.0),  # multiplies their event probabilities (capped at 1)
        _number("closure_prob", required=False, default=0.0, maximum=1.0),  # chance a load finds the leg closed
        _number("closure_h", required=False, default=0.0),  # mean remaining closure a load then waits
        _number("seasonal_amplitude", required=False, default=0.0, maximum=1.0),  # normal row: common season
        _number("peak_week", required=False, default=0.0, maximum=52.0),  # week of the year the season peaks
        Column(name="estimate", dtype="bool", required=False, default=0.0),
        _SOURCE,
    ),
)

TABLES: tuple[Table, ...] = (NODES, LINKS, COMMODITIES, SUPPLY, DEMAND, CROSSINGS, TARIFFS, LEGS, CALENDARS,
                             REGIMES)
USER_COLUMN_PREFIX = "x_"
