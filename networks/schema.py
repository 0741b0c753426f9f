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


class Unit(BaseModel):
    """The values a unit admits: every numeric column has one, so every number has a bound.

    ``natural`` ranges are those of the quantity itself (degrees, a probability, hours of a day);
    the others are the largest values nearshore accepts, far above any real figure and small
    enough that the solvers stay exact (see :data:`UNITS`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str  # as the README and messages write it
    minimum: float
    maximum: float
    natural: bool = False
    why: str = ""


UNITS: dict[str, Unit] = {unit.label: unit for unit in (
    Unit(label="loads/day", minimum=0.0, maximum=1e9,
         why="all US–Mexico trade is ~1e5 loads/day; int64 min-cost-flow capacities and HiGHS bounds stay exact"),
    Unit(label="h", minimum=0.0, maximum=1e5,
         why="~11 years; x1000 min-cost-flow cost scaling keeps a link's hours below 1e8"),
    Unit(label="h/day", minimum=0.0, maximum=24.0, natural=True, why="hours of a day"),
    Unit(label="USD/load", minimum=0.0, maximum=1e9,
         why="a load worth a billion dollars; x1000 scaling keeps a cost below 1e12, far from int64's 9.2e18"),
    Unit(label="%", minimum=0.0, maximum=1000.0, why="ten times the value; the highest real duties are ~250%"),
    Unit(label="MW", minimum=0.0, maximum=1e6, why="the whole US grid is ~1.2e6 MW"),
    Unit(label="MWh/load", minimum=0.0, maximum=1e6, why="same bound as MW, per load"),
    Unit(label="m3/day", minimum=0.0, maximum=1e9, why="~ a day of the Mississippi's flow"),
    Unit(label="m3/load", minimum=0.0, maximum=1e6, why="a thousand times a load's own volume"),
    Unit(label="km", minimum=0.0, maximum=1e5, why="2.5 times round the Earth"),
    Unit(label="lanes", minimum=0.0, maximum=1e4, why="the largest ports of entry have ~30 lanes"),
    Unit(label="loads/lane-h", minimum=0.0, maximum=1e4, why="a lane clears ~30 loads an hour"),
    Unit(label="probability", minimum=0.0, maximum=1.0, natural=True, why="a chance"),
    Unit(label="degrees latitude", minimum=-90.0, maximum=90.0, natural=True, why="the globe"),
    Unit(label="degrees longitude", minimum=-180.0, maximum=180.0, natural=True, why="the globe"),
    Unit(label="factor", minimum=0.0, maximum=1000.0, why="a regime state scales a leg's time or event chance"),
    Unit(label="share", minimum=0.0, maximum=1.0, natural=True, why="a share of a whole"),
    Unit(label="week of the year", minimum=0.0, maximum=52.0, natural=True, why="the weeks of a year"),
)}
"""The range of every unit, written once: :func:`_number` takes a column's bounds from its unit,
and :func:`ranges_markdown` renders the README's table of ranges."""

MAX_ID_LENGTH = 128
"""Ids (and the columns that name them) are at most this many characters, without ``>`` (the
separator of the ``route`` and ``links`` columns of results) and without control characters."""
ID_FORBIDDEN = ">"


class Column(BaseModel):
    """One column of a table: its type and the values it admits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dtype: str = "str"  # "str", "float" or "bool"
    required: bool = True  # the column must be present
    nullable: bool = False  # a cell may be empty
    default: float | None = None  # value of an empty numeric cell, when not nullable
    unit: str = ""  # a key of UNITS for numbers: where minimum and maximum come from
    minimum: float | None = None
    exclusive_minimum: bool = False  # the minimum itself is not allowed
    maximum: float | None = None
    natural: bool = False  # the range is the quantity's own (messages say "between"), not nearshore's bound
    choices: tuple[str, ...] = ()
    identifier: bool = False  # an id or a reference to one: at most MAX_ID_LENGTH, no '>' or control characters


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


def _id(name: str, **kw: object) -> Column:
    return Column(name=name, dtype="str", identifier=True, **kw)


def _number(name: str, unit: str, **kw: object) -> Column:
    bounds = UNITS[unit]
    return Column(name=name, dtype="float", unit=unit, minimum=bounds.minimum, maximum=bounds.maximum,
                  natural=bounds.natural, **kw)


_SOURCE = _text("source", required=False, nullable=True)

NODES = Table(
    file="nodes.csv",
    key=("id",),
    columns=(
        _id("id"),
        _text("name"),
        _text("kind", choices=tuple(NodeKind)),
        _id("country"),
        _text("region", nullable=True),
        _number("lat", "degrees latitude"),
        _number("lon", "degrees longitude"),
        _number("throughput_loads_per_day", "loads/day", required=False, nullable=True),
        _number("dwell_h", "h", required=False, default=0.0),
        _number("power_mw", "MW", required=False, nullable=True),
        _number("water_m3_per_day", "m3/day", required=False, nullable=True),
        _number("dwell_p95_h", "h", required=False, nullable=True),  # spread of dwell_h (>= it); empty = fixed
        _number("delay_prob", "probability", required=False, nullable=True),  # chance of a delay event
        _number("delay_h", "h", required=False, nullable=True),  # hours a delay event adds
        _id("shock_domain", required=False, nullable=True),  # regimes.csv domain whose state scales this leg
        _SOURCE,
    ),
)

LINKS = Table(
    file="links.csv",
    key=("id",),
    columns=(
        _id("id"),
        _id("from"),
        _id("to"),
        _text("mode", choices=tuple(Mode)),
        _number("transit_h", "h"),
        _number("capacity_loads_per_day", "loads/day", required=False, nullable=True),
        _number("cost_usd_per_load", "USD/load", required=False, default=0.0),
        _number("distance_km", "km", required=False, nullable=True),
        _number("transit_p95_h", "h", required=False, nullable=True),  # spread of transit_h (>= it); empty = fixed
        _number("delay_prob", "probability", required=False, nullable=True),  # chance of a delay event
        _number("delay_h", "h", required=False, nullable=True),  # hours a delay event adds
        _id("shock_domain", required=False, nullable=True),  # regimes.csv domain whose state scales this leg
        _SOURCE,
    ),
)

COMMODITIES = Table(
    file="commodities.csv",
    key=("id",),
    columns=(
        _id("id"),
        _text("name"),
        _number("value_usd_per_load", "USD/load"),
        _number("power_mwh_per_load", "MWh/load", required=False, default=0.0),
        _number("water_m3_per_load", "m3/load", required=False, default=0.0),
        Column(name="fast_eligible", dtype="bool", required=False, default=0.0),
        _SOURCE,
    ),
)

SUPPLY = Table(
    file="supply.csv",
    key=("node", "commodity"),
    columns=(
        _id("node"),
        _id("commodity"),
        _number("capacity_loads_per_day", "loads/day"),
        _SOURCE,
    ),
)

DEMAND = Table(
    file="demand.csv",
    key=("node", "commodity"),
    columns=(
        _id("node"),
        _id("commodity"),
        _number("loads_per_day", "loads/day"),
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
        _id("node"),
        _text("lane_type", choices=tuple(LaneType)),
        _number("lanes", "lanes"),
        _number("loads_per_lane_hour", "loads/lane-h", exclusive_minimum=True),
        _number("open_h_per_day", "h/day"),
        _number("reference_loads_per_day", "loads/day"),
        _number("reference_lanes", "lanes", required=False, nullable=True),
        _number("background_loads_per_day", "loads/day", required=False, default=0.0),
        _number("wait_typical_h", "h", exclusive_minimum=True),
        _number("wait_p95_h", "h", required=False, nullable=True),
        _text("weekly_hours", required=False, nullable=True),  # e.g. "mon-fri 07-24; sat 08-16"; empty = always open
        _SOURCE,
    ),
)

TARIFFS = Table(  # optional: import duty by country of origin and commodity; absent = no duty
    file="tariffs.csv",
    key=("country", "commodity"),
    optional=True,
    columns=(
        _id("country"),  # as in nodes.csv `country` of the supplier
        _id("commodity"),
        _number("duty_pct", "%"),  # percent of value_usd_per_load
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
        _id("element"),  # a node id (its dwell) or a link id (its transit)
        _id("part"),  # e.g. "exam_xray", "late_vessel", "breakdown"
        _id("commodity", required=False, nullable=True),  # only loads of this commodity; empty = every load
        _number("prob", "probability"),  # chance that a load meets the event on this leg
        _number("typical_h", "h", exclusive_minimum=True),  # median extra hours
        _number("p95_h", "h", required=False, nullable=True),  # 95th percentile of the extra hours (>= typical_h)
        Column(name="estimate", dtype="bool", required=False, default=0.0),  # true: our estimate, not sourced
        _SOURCE,
    ),
)

CALENDARS = Table(  # optional: weekly clocks of nodes: opening hours or departures
    file="calendars.csv",
    key=("node",),
    optional=True,
    columns=(
        _id("node"),
        _text("calendar", choices=tuple(CalendarKind)),
        _text("weekly"),  # networks.calendar syntax: "mon-fri 08-20" or "tue 18; fri 18"
        _number("cutoff_h", "h", required=False, default=0.0),  # departures: a load must be ready this long before
        _number("miss_prob", "probability", required=False, default=0.0),  # departures: rolled or blank, +1 departure
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
        _id("domain"),
        _text("state", choices=tuple(RegimeState)),
        _number("to_normal", "probability"),  # weekly transition probabilities from this state; sum to 1
        _number("to_peak", "probability"),
        _number("to_disrupted", "probability"),
        _number("time_scale", "factor", exclusive_minimum=True, required=False,
                default=1.0),  # multiplies the random time (lognormal and event hours) of the domain's legs
        _number("event_scale", "factor", required=False, default=1.0),  # multiplies event probabilities (capped at 1)
        _number("closure_prob", "probability", required=False, default=0.0),  # chance a load finds the leg closed
        _number("closure_h", "h", required=False, default=0.0),  # mean remaining closure a load then waits
        _number("seasonal_amplitude", "share", required=False, default=0.0),  # normal row: the common season
        _number("peak_week", "week of the year", required=False, default=0.0),  # week the season peaks
        Column(name="estimate", dtype="bool", required=False, default=0.0),
        _SOURCE,
    ),
)

TABLES: tuple[Table, ...] = (NODES, LINKS, COMMODITIES, SUPPLY, DEMAND, CROSSINGS, TARIFFS, LEGS, CALENDARS,
                             REGIMES)
USER_COLUMN_PREFIX = "x_"


def ranges_markdown() -> str:
    """The README's table of value ranges, one row per unit, made from the specs above.

    Example
    -------
    >>> ranges_markdown().splitlines()[2].startswith("| loads/day | 0 to 1e9 |")
    True
    """
    lines = ["| unit | range | columns | why this bound |", "|---|---|---|---|"]
    for unit in UNITS.values():
        columns = [f"`{t.name}.{c.name}`" + (" (> 0)" if c.exclusive_minimum else "")
                   for t in TABLES for c in t.columns if c.unit == unit.label]
        lines.append(f"| {unit.label} | {format_bound(unit.minimum)} to {format_bound(unit.maximum)} | "
                     f"{', '.join(columns)} | {unit.why} |")
    return "\n".join(lines)


def format_bound(value: float) -> str:
    """A bound as the README and messages write it: ``24``, ``-90``, ``1e9``, ``1e5``."""
    text = f"{value:g}" if abs(value) < 1e4 else f"{value:.3g}"
    return text.replace("e+0", "e").replace("e+", "e")
