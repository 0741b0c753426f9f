"""The `Network`: validated tables, a networkx view for queries, numpy arrays for solvers."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from networks.checks import STRUCTURE, check_network
from networks.errors import NetworkError
from networks.queues import lane_capacity
from networks.read import LINE, check_table, empty_table, float_column, read_csv
from networks.schema import TABLES, TARIFFS, LaneType, Mode, NodeKind, Table

if TYPE_CHECKING:
    import networkx as nx

MODES: tuple[Mode, ...] = tuple(Mode)
KINDS: tuple[NodeKind, ...] = tuple(NodeKind)
LANE_TYPES: tuple[LaneType, ...] = tuple(LaneType)
_NAMES = {t.file: t.name for t in TABLES}
_TABLES = {t.name: t for t in TABLES}


def builtin_path() -> Path:
    """The folder of the built-in US–Mexico network shipped with the package."""
    return Path(str(resources.files("networks") / "data" / "mx_us"))


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
    "tariffs": (),
}


def build_indices(network: Network) -> Indices:
    """The :class:`Indices` of a network (hash lookups through enums, no Python loop)."""
    node_ids, commodity_ids = network.nodes["id"], network.commodities["id"]
    return Indices(
        tail=_index_of(node_ids, network.links["from"]),
        head=_index_of(node_ids, network.links["to"]),
        mode=_codes(network.links["mode"], MODES),
        kind=_codes(network.nodes["kind"], KINDS),
        supply_node=_index_of(node_ids, network.supply["node"]),
        supply_commodity=_index_of(commodity_ids, network.supply["commodity"]),
        demand_node=_index_of(node_ids, network.demand["node"]),
        demand_commodity=_index_of(commodity_ids, network.demand["commodity"]),
        queue_node=_index_of(node_ids, network.crossings["node"]),
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

    @property
    def n_nodes(self) -> int:
        return len(self.dwell_h)

    @property
    def n_links(self) -> int:
        return len(self.tail)

    @property
    def n_commodities(self) -> int:
        return len(self.value_usd_per_load)


class Network:
    """A validated network: five typed tables sorted by id.

    Build one with :func:`read_network` (a folder) or :meth:`Network.from_frames` (tables in
    memory); both run the same checks and raise :class:`NetworkError` listing every problem.
    """

    def __init__(self, tables: dict[str, pl.DataFrame], *, name: str = "network",
                 indices: Indices | None = None) -> None:
        self.name = name
        if indices is not None:  # those of a network with the same INDEX_COLUMNS
            self.__dict__["indices"] = indices
        self.nodes = tables["nodes"]
        self.links = tables["links"]
        self.commodities = tables["commodities"]
        self.supply = tables["supply"]
        self.demand = tables["demand"]
        self.crossings = tables["crossings"]  # optional: lanes and queue curves of border crossings
        self.tariffs = tables["tariffs"] if "tariffs" in tables else _empty(TARIFFS)  # optional: duty

    @classmethod
    def from_frames(
        cls,
        *,
        nodes: pl.DataFrame,
        links: pl.DataFrame,
        commodities: pl.DataFrame,
        supply: pl.DataFrame,
        demand: pl.DataFrame,
        crossings: pl.DataFrame | None = None,
        tariffs: pl.DataFrame | None = None,
        name: str = "network",
    ) -> Network:
        """Validate tables held in memory (any column types) and build a network."""
        raw = {"nodes": nodes, "links": links, "commodities": commodities, "supply": supply, "demand": demand,
               "crossings": crossings, "tariffs": tariffs}
        return _build(raw, name=name)

    def __repr__(self) -> str:
        return (
            f"Network({self.name!r}: {self.nodes.height} nodes, {self.links.height} links, "
            f"{self.commodities.height} commodities)"
        )

    def tables(self) -> dict[str, pl.DataFrame]:
        """Every table by name (``nodes``, ``links``, ``commodities``, ``supply``, ``demand``, and the
        optional ones)."""
        return {t.name: getattr(self, t.name) for t in TABLES}

    def replace(self, **tables: pl.DataFrame) -> Network:
        """A new network with some tables replaced, checked as much as the change needs.

        A replaced table is checked cell by cell, but when it keeps its rows and columns only the
        columns whose values changed are; the cross-table checks of references, roles and routes
        run only when a column they read changed. Tables kept are valid already.

        Example
        -------
        >>> net = read_network()
        >>> closed = net.replace(links=net.links.with_columns(capacity_loads_per_day=pl.lit(0.0)))
        >>> closed.arrays.capacity.max()
        np.float64(0.0)
        """
        unknown = set(tables) - set(_NAMES.values())
        if unknown:
            raise TypeError(f"Network.replace: unknown table(s) {', '.join(sorted(unknown))}")
        current = self.tables()
        changed = {name: _changed_columns(current[name], frame, _TABLES[name]) for name, frame in tables.items()}

        def touches(columns: dict[str, tuple[str, ...]]) -> bool:
            return any(c is None or set(c) & set(columns[name]) for name, c in changed.items())

        same_indices = "indices" in self.__dict__ and not touches(INDEX_COLUMNS)
        return _build({**current, **tables}, name=self.name, only={
            name: changed.get(name, ()) for name in current if changed.get(name, ()) is not None},
            values_of=None if touches(STRUCTURE) else [name for name, c in changed.items() if c],
            indices=self.indices if same_indices else None)

    @cached_property
    def indices(self) -> Indices:
        """Positions of the ids the tables refer to, and category codes."""
        return build_indices(self)

    @cached_property
    def arrays(self) -> NetworkArrays:
        """Parallel numpy arrays of the network (built once, vectorised)."""
        return build_arrays(self)

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """A networkx view: nodes and links with all their attributes, links keyed by id."""
        import networkx as nx  # imported when used: it is a tenth of the start-up time

        graph = nx.MultiDiGraph(name=self.name)
        graph.add_nodes_from((row["id"], row) for row in self.nodes.iter_rows(named=True))
        graph.add_edges_from(
            (row["from"], row["to"], row["id"], row) for row in self.links.iter_rows(named=True)
        )
        return graph


def read_network(path: str | Path | None = None) -> Network:
    """Read and validate a network folder (the built-in one when ``path`` is None).

    Raises
    ------
    NetworkError
        Every problem found, each naming its file, row and field.

    Example
    -------
    >>> net = read_network()
    >>> net.arrays.n_links == net.links.height
    True
    """
    folder = builtin_path() if path is None else Path(path)
    unreadable = folder_problem(folder)
    if unreadable:
        raise NetworkError([], source=f"{folder}: {unreadable}")
    raw, problems = {}, []
    for table in TABLES:
        frame, bad = read_csv(folder / table.file, table)
        problems += bad
        raw[_NAMES[table.file]] = frame
    if problems:
        raise NetworkError(problems, source=str(folder))
    return _build(raw, name=folder.name, source=str(folder))


def folder_problem(folder: Path) -> str:
    """Why ``folder`` cannot be read as a network folder, with the fix; ``""`` when it can."""
    denied = f"cannot be read: permission denied; fix: give read access, e.g. chmod u+rx {folder}"
    try:
        if not stat.S_ISDIR(os.stat(folder).st_mode):
            return "not a folder"
        os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return "not a folder"
    except PermissionError:
        return denied
    except OSError as exc:  # a link loop, a name too long, an I/O error
        return f"cannot be read: {exc.strerror or type(exc).__name__}"
    return "" if os.access(folder, os.R_OK | os.X_OK) else denied


def _build(raw: dict[str, pl.DataFrame], *, name: str, source: str = "",
           only: dict[str, tuple[str, ...]] | None = None, values_of: list[str] | None = None,
           indices: Indices | None = None) -> Network:
    """Check the tables, then the network.

    ``only`` names, per table of a built network, the columns that changed and need checking (see
    :func:`networks.read.check_table`; ``()``: unchanged); ``values_of`` the tables whose values
    alone changed (see :func:`networks.checks.check_network`); ``indices`` those of a network with
    the same id columns.
    """
    only = only or {}
    tables, problems = {}, []
    for table in TABLES:
        key = _NAMES[table.file]
        frame = raw.get(key)
        if only.get(key) == ():
            tables[key] = frame.with_row_index(LINE, offset=2)
            continue
        typed, bad = check_table(empty_table(table) if frame is None else frame, table, only=only.get(key))
        tables[key], problems = typed, problems + bad
    if not problems:
        problems = check_network(tables, values_of=values_of)
    if problems:
        raise NetworkError(problems, source=source or name)
    ordered = {key: _ordered(raw[key] if only.get(key) == () else tables[key], table, sorted_=key in only and not set(
        only[key]) & set(table.key)) for key, table in _TABLES.items()}
    return Network(ordered, name=name, indices=indices)


def _ordered(frame: pl.DataFrame, table: Table, *, sorted_: bool) -> pl.DataFrame:
    """A checked table as a network keeps it: sorted by its key, without line numbers."""
    frame = frame.drop(LINE) if LINE in frame.columns else frame
    return frame if sorted_ else frame.sort(list(table.key))


def _changed_columns(old: pl.DataFrame, new: pl.DataFrame, table: Table) -> tuple[str, ...] | None:
    """The columns of ``table`` whose values differ from ``old`` to ``new``; None when the rows or
    the columns themselves differ (then the whole table is checked)."""
    old_schema, new_schema = old.schema, new.schema
    if new.height != old.height or set(new_schema) != set(old_schema) or any(
            new_schema[c] != old_schema[c] for c in table.names):
        return None
    return tuple(c for c in table.names if not new[c].equals(old[c], null_equal=True))


def _empty(table: Table) -> pl.DataFrame:
    """An optional table with its typed columns and no rows."""
    return check_table(empty_table(table), table)[0].drop(LINE)


def _index_of(ids: pl.Series, column: pl.Series) -> np.ndarray:
    """Positions of ``column``'s values in the unique ``ids``: the codes of an enum over ``ids``
    (a hash lookup, 20x faster than a binary search over numpy's object strings)."""
    return column.cast(pl.Enum(ids)).to_physical().to_numpy().astype(np.int64)


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
    )
