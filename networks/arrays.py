"""The network as parallel numpy arrays for the solvers: one array per column, ids as positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from networks.queues import lane_capacity
from networks.read import float_column
from networks.schema import BACKGROUND_COMMODITY, LaneType, Mode, NodeKind

if TYPE_CHECKING:
    from networks.network import Network

MODES: tuple[Mode, ...] = tuple(Mode)
KINDS: tuple[NodeKind, ...] = tuple(NodeKind)
LANE_TYPES: tuple[LaneType, ...] = tuple(LaneType)


@dataclass(frozen=True, slots=True)
class QueueArrays:
    """One entry per row of ``crossings.csv`` (a lane type of a crossing), see :mod:`networks.queues`."""

    node: np.ndarray
    lane_type: np.ndarray  # index into LANE_TYPES
    lanes: np.ndarray
    loads_per_lane_hour: np.ndarray
    open_h_per_day: np.ndarray
    capacity: np.ndarray  # loads/day
    background: np.ndarray  # loads/day of traffic that is not routed but queues in the same lanes
    rho_ref: np.ndarray
    wait_typical_h: np.ndarray
    wait_p95_h: np.ndarray  # nan where unknown

    def __len__(self) -> int:
        return len(self.node)


@dataclass(frozen=True, slots=True)
class Indices:
    """Positions that the id columns give (links' ends, supply and demand rows' node and
    commodity, crossings' node) and the codes of categorical columns: what :data:`INDEX_COLUMNS`
    determine, so variants that keep those columns keep their indices."""

    tail: np.ndarray
    head: np.ndarray
    mode: np.ndarray
    kind: np.ndarray
    supply_node: np.ndarray
    supply_commodity: np.ndarray
    demand_node: np.ndarray
    demand_commodity: np.ndarray
    queue_node: np.ndarray
    queue_lane_type: np.ndarray


INDEX_COLUMNS: dict[str, tuple[str, ...]] = {
    "nodes": ("id", "kind"), "links": ("id", "from", "to", "mode"), "commodities": ("id",),
    "supply": ("node", "commodity"), "demand": ("node", "commodity"), "crossings": ("node", "lane_type"),
    "tariffs": (), "legs": (), "calendars": (), "regimes": (),
}


def build_indices(network: Network) -> Indices:
    """The :class:`Indices` of a network (hash lookups through enums, no Python loop)."""
    node_ids, commodity_ids = network.nodes["id"], network.commodities["id"]
    tail, head, supply_node, demand_node, queue_node = indices_of(node_ids, network.links["from"], network.links["to"],
                                                                network.supply["node"], network.demand["node"],
                                                                network.crossings["node"])
    supply_commodity, demand_commodity = indices_of(commodity_ids, network.supply["commodity"],
                                                  network.demand["commodity"])
    return Indices(
        tail=tail, head=head, mode=_codes(network.links["mode"], MODES), kind=_codes(network.nodes["kind"], KINDS),
        supply_node=supply_node, supply_commodity=supply_commodity, demand_node=demand_node,
        demand_commodity=demand_commodity, queue_node=queue_node,
        queue_lane_type=_codes(network.crossings["lane_type"], LANE_TYPES),
    )


def build_queue_arrays(network: Network) -> QueueArrays:
    """Queue arrays from the crossings table (empty when it has no rows)."""
    table = network.crossings
    lanes, rate, hours = (float_column(table, c, 0.0) for c in ("lanes", "loads_per_lane_hour", "open_h_per_day"))
    capacity = lane_capacity(lanes, rate, hours)
    reference = float_column(table, "reference_loads_per_day", 0.0)
    reference_capacity = lane_capacity(float_column(table, "reference_lanes", np.nan), rate, hours)
    reference_capacity = np.where(np.isnan(reference_capacity), capacity, reference_capacity)
    return QueueArrays(
        node=network.indices.queue_node,
        lane_type=network.indices.queue_lane_type,
        lanes=lanes,
        loads_per_lane_hour=rate,
        open_h_per_day=hours,
        capacity=capacity,
        background=float_column(table, "background_loads_per_day", 0.0),
        rho_ref=np.divide(reference, reference_capacity, out=np.zeros_like(capacity), where=reference_capacity > 0),
        wait_typical_h=float_column(table, "wait_typical_h", 0.0),
        wait_p95_h=float_column(table, "wait_p95_h", np.nan),
    )


@dataclass(frozen=True, slots=True)
class NetworkArrays:
    """The network as parallel numpy arrays, the form every solver consumes.

    Nodes, links and commodities are numbered in the order of their sorted ids. Unlimited
    capacities are ``inf``.
    """

    tail: np.ndarray
    head: np.ndarray
    transit_h: np.ndarray
    transit_p95_h: np.ndarray  # per link; = transit_h where no spread is given
    link_delay_prob: np.ndarray  # per link; 0 where none
    link_delay_h: np.ndarray  # per link
    capacity: np.ndarray
    cost_usd: np.ndarray
    mode: np.ndarray  # index into MODES
    dwell_h: np.ndarray  # per node
    dwell_p95_h: np.ndarray  # per node; = dwell_h where no spread is given
    node_delay_prob: np.ndarray  # per node; 0 where none
    node_delay_h: np.ndarray  # per node
    throughput: np.ndarray  # per node
    power_mw: np.ndarray  # per node
    water_m3_per_day: np.ndarray  # per node
    kind: np.ndarray  # per node, index into KINDS
    power_mwh_per_load: np.ndarray  # per commodity
    water_m3_per_load: np.ndarray  # per commodity
    value_usd_per_load: np.ndarray  # per commodity
    supply_node: np.ndarray
    supply_commodity: np.ndarray
    supply_capacity: np.ndarray
    demand_node: np.ndarray
    demand_commodity: np.ndarray
    demand_loads: np.ndarray
    fast_eligible: np.ndarray  # per commodity: may use FAST lanes
    queue: QueueArrays  # lane types of crossings with a wait curve (crossings.csv)
    background: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per commodity: the
    # routed background traffic (networks.schema.BACKGROUND_COMMODITY), not modelled demand

    @property
    def freight(self) -> np.ndarray:
        """Per commodity: modelled freight (not the background)."""
        return ~self.background if len(self.background) else np.ones(self.n_commodities, dtype=bool)

    @property
    def n_nodes(self) -> int:
        return len(self.dwell_h)

    @property
    def n_links(self) -> int:
        return len(self.tail)

    @property
    def n_commodities(self) -> int:
        return len(self.value_usd_per_load)


def index_of(ids: pl.Series, column: pl.Series) -> np.ndarray:
    """Positions of ``column``'s values in the unique ``ids``: the codes of an enum over ``ids``
    (a hash lookup, 20x faster than a binary search over numpy's object strings).

    Raises
    ------
    ValueError
        If a value is not among ``ids``.

    Example
    -------
    >>> index_of(pl.Series(["A", "B", "C"]), pl.Series(["C", "A"])).tolist()
    [2, 0]
    """
    try:
        return column.cast(pl.Enum(ids)).to_physical().to_numpy().astype(np.int64)
    except pl.exceptions.InvalidOperationError as unknown:
        raise ValueError(f"{column.name or 'a column'} has values that are not among the {ids.name or 'ids'}: "
                         f"{unknown}".splitlines()[0]) from unknown


def indices_of(ids: pl.Series, *columns: pl.Series) -> list[np.ndarray]:
    """:func:`index_of` of each column, in one cast of their concatenation (each cast has a fixed
    cost: half the time of one cast per column on a 1e4-link network).

    Example
    -------
    >>> [c.tolist() for c in indices_of(pl.Series(["A", "B"]), pl.Series(["B"]), pl.Series(["A", "A"]))]
    [[1], [0, 0]]
    """
    codes = index_of(ids, pl.concat([c.cast(pl.String) for c in columns], rechunk=False))
    return np.split(codes, np.cumsum([len(c) for c in columns])[:-1])


def _fallback(values: np.ndarray, frame: pl.DataFrame, column: str) -> np.ndarray:
    """``values``, with ``frame[column]`` where they are NaN."""
    return np.where(np.isnan(values), float_column(frame, column, 0.0), values)


def _codes(column: pl.Series, choices: tuple[str, ...]) -> np.ndarray:
    """Small integer codes of a categorical column (its index in ``choices``)."""
    return column.cast(pl.Enum([str(c) for c in choices])).to_physical().to_numpy().astype(np.int8)


def build_arrays(network: Network) -> NetworkArrays:
    """Turn the network's tables into solver arrays; no per-link Python loop."""
    nodes, links, commodities = network.nodes, network.links, network.commodities
    index = network.indices
    inf = np.inf
    return NetworkArrays(
        tail=index.tail,
        head=index.head,
        transit_h=float_column(links, "transit_h", 0.0),
        transit_p95_h=_fallback(float_column(links, "transit_p95_h", np.nan), links, "transit_h"),
        link_delay_prob=float_column(links, "delay_prob", 0.0),
        link_delay_h=float_column(links, "delay_h", 0.0),
        capacity=float_column(links, "capacity_loads_per_day", inf),
        cost_usd=float_column(links, "cost_usd_per_load", 0.0),
        mode=index.mode,
        dwell_h=float_column(nodes, "dwell_h", 0.0),
        dwell_p95_h=_fallback(float_column(nodes, "dwell_p95_h", np.nan), nodes, "dwell_h"),
        node_delay_prob=float_column(nodes, "delay_prob", 0.0),
        node_delay_h=float_column(nodes, "delay_h", 0.0),
        throughput=float_column(nodes, "throughput_loads_per_day", inf),
        power_mw=float_column(nodes, "power_mw", inf),
        water_m3_per_day=float_column(nodes, "water_m3_per_day", inf),
        kind=index.kind,
        power_mwh_per_load=float_column(commodities, "power_mwh_per_load", 0.0),
        water_m3_per_load=float_column(commodities, "water_m3_per_load", 0.0),
        value_usd_per_load=float_column(commodities, "value_usd_per_load", 0.0),
        supply_node=index.supply_node,
        supply_commodity=index.supply_commodity,
        supply_capacity=float_column(network.supply, "capacity_loads_per_day", 0.0),
        demand_node=index.demand_node,
        demand_commodity=index.demand_commodity,
        demand_loads=float_column(network.demand, "loads_per_day", 0.0),
        fast_eligible=network.commodities["fast_eligible"].to_numpy().astype(bool),
        queue=build_queue_arrays(network),
        background=(commodities["id"] == BACKGROUND_COMMODITY).to_numpy(),
    )
