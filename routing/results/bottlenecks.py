"""Which capacities bind, what one more unit of each is worth, and why demand goes unmet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from networks import LANE_TYPES, Network
from networks.queues import RHO_MAX
from routing.formulation.solution import Solution
from routing.results.crossings import lane_values
from routing.results.schemas import BOTTLENECKS_SCHEMA, UNMET_SCHEMA
from routing.results.unmet import unmet_reasons

NEAR_BINDING = 0.99  # utilisation from which a capacity is reported even without a dual value
HOURS_UNIT = "load-h/day"
USD_UNIT = "USD/day"

Probe = Callable[[str, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``probe(kind, index)``: for the capacities ``index`` of a kind (``link``, ``node``, ``supply``,
``power``, ``water``), the extra loads served per day and the objective saved net of the unmet
penalty, per unit more of each, from re-solves (see :class:`routing.model.CapacityProbe`) or, for a
min-cost-flow answer, exactly from its residual graph (:class:`routing.formulation.flowgraph.FlowProbe`)."""


@dataclass(frozen=True, slots=True)
class Valuation:
    """What the values of a solve's capacities are measured in.

    ``objective`` is the objective's name; ``usd_per_load_hour`` turns the queue's load-hours into
    the ``blend`` objective's USD; ``probe`` is given when demand went unmet, because then a
    capacity's dual mixes the penalty on unmet loads with the objective (see
    :func:`binding_frame`)."""

    objective: str = "lead_time"
    usd_per_load_hour: float = 0.0
    probe: Probe | None = None
    probe_all: bool = False  # value every binding capacity by re-solves (as_operated: the duals are no USD)

    @property
    def unit(self) -> str:
        return HOURS_UNIT if self.objective == "lead_time" else USD_UNIT

    @property
    def per_load_hour(self) -> float:
        """Objective units per load-hour of queueing (0 under ``cost``: waiting costs no freight;
        NaN as operated, where each commodity has its own value of time: no single number)."""
        return {"lead_time": 1.0, "cost": 0.0, "as_operated": np.nan}.get(self.objective, self.usd_per_load_hour)


KINDS = ("link", "node", "supply", "power", "water", "crossing_lane", "crossing_hour")
"""The kinds of capacity, in the order of :class:`Binding`'s blocks; the first five are rows of the LP."""
UNITS = ("loads/day", "loads/day", "loads/day", "MWh/day", "m3/day", "lane", "open h/day")
_LP_KINDS = 5


@dataclass(frozen=True, slots=True)
class Binding:
    """The binding or near-binding capacities of a solve as arrays, kind by kind (:data:`KINDS`):
    ``rows[i]`` indexes the capacities of kind ``i`` (links, nodes, supply rows, nodes for power and
    water, lane types of the queue for the crossing kinds); the other arrays are concatenated over the
    kinds. No string is built: naming them is :func:`binding_frame`'s job."""

    rows: tuple[np.ndarray, ...]
    used: np.ndarray
    capacity: np.ndarray
    value: np.ndarray  # value_per_unit, NaN where there is none
    served: np.ndarray  # loads_served_per_unit
    value_unit: str
    objective: str

    @property
    def kind_index(self) -> np.ndarray:
        """The position in :data:`KINDS` of each capacity."""
        return np.repeat(np.arange(len(KINDS)), [len(r) for r in self.rows])

    @property
    def utilisation(self) -> np.ndarray:
        return _utilisation(self.used, self.capacity)


def binding_capacities(network: Network, solution: Solution, valuation: Valuation | None = None) -> Binding:
    """The binding or near-binding capacities (:func:`is_binding`), in no order, with their use
    and value.

    ``value_per_unit`` is in the objective's unit (``value_unit``: load-h/day under ``lead_time``,
    USD/day otherwise): what one more unit of the capacity lowers the objective by.

    * With every market served, it is the LP dual of the capacity (the ``*_saved`` arrays).
    * With demand unmet, the dual of a capacity on the way to that demand is
      ``penalty x (extra loads served) + (objective saved by the re-routing, less the time or cost
      of the extra loads)``, and the penalty (1 + the sum of all link weights) swamps the rest:
      the number means nothing to a planner. So the capacities with a positive dual are re-solved
      each with one more unit (``valuation.probe``), and the change of the primal solution is
      read off directly: ``loads_served_per_unit`` = extra loads served per day,
      ``value_per_unit`` = the objective without the penalty saved (negative when the extra
      loads add more hours or cost than the re-routing saves). A re-solve measures the right-hand
      derivative, which is exactly "one more unit" and is well defined where the dual is
      degenerate; a dual of 0 already proves that more of the capacity serves and saves nothing.

    Queued crossings add one more lane and one more open hour of each lane type that carries
    modelled freight, valued on the smooth wait curve with flows held fixed
    (:func:`routing.results.crossings.lane_values`), and only where the lane type is full (the
    LP's wait segments reach :data:`networks.queues.RHO_MAX`) or at least :data:`NEAR_BINDING`
    used: the queue's marginals at lower use are in ``crossings``. A lane type open 24 h has no
    open-hour row.

    Rows are chosen with numpy and no string is built: most capacities do not bind."""
    valuation = valuation or Valuation()
    a = network.arrays
    link_used = solution.flow.sum(axis=0)
    node_used = np.bincount(a.head, link_used, minlength=a.n_nodes) + np.bincount(
        a.supply_node, solution.production, minlength=a.n_nodes)
    per_node = lambda values: np.bincount(a.supply_node, solution.production * values, minlength=a.n_nodes)
    q = a.queue
    lanes = lane_values(network, solution)
    carrying = np.flatnonzero(lanes.freight > 0)  # lane types with modelled freight
    lane_used = (lanes.freight + lanes.background)[carrying]
    lane_capacity = q.capacity[carrying]
    lane_full = lane_used >= RHO_MAX * lane_capacity - 1e-6
    per_hour = valuation.per_load_hour
    hour_value = lanes.value_of_hour_h[carrying] * per_hour
    blocks = (  # used, capacity, saved
        (link_used, a.capacity, solution.link_saved),
        (node_used, a.throughput, solution.node_saved),
        (solution.production, a.supply_capacity, solution.supply_saved),
        (per_node(a.power_mwh_per_load[a.supply_commodity]), 24.0 * a.power_mw, solution.power_saved),
        (per_node(a.water_m3_per_load[a.supply_commodity]), a.water_m3_per_day, solution.water_saved),
        (lane_used, lane_capacity, lanes.value_of_lane_h[carrying] * per_hour),
        (lane_used, lane_capacity, hour_value),
    )
    rows = [np.flatnonzero(np.isfinite(b[1]) & is_binding(*b)) for b in blocks[:_LP_KINDS]]
    queue_rows = lane_full | (_utilisation(lane_used, lane_capacity) >= NEAR_BINDING)
    rows += [np.flatnonzero(queue_rows), np.flatnonzero(queue_rows & np.isfinite(hour_value))]
    values = [b[2][r] for b, r in zip(blocks, rows, strict=True)]
    served = [np.zeros(len(r)) for r in rows]
    if valuation.probe is not None:
        for i, r in enumerate(rows[:_LP_KINDS]):
            positive = values[i] > 1e-9
            if valuation.probe_all:
                values[i][~positive] = 0.0  # a dual of 0: one more unit changes nothing
            if positive.any():
                served[i][positive], values[i][positive] = valuation.probe(KINDS[i], r[positive])
    used, capacity = (np.concatenate([b[i][r] for b, r in zip(blocks, rows, strict=True)]) for i in (0, 1))
    return Binding(rows=tuple(rows[:_LP_KINDS]) + tuple(carrying[r] for r in rows[_LP_KINDS:]), used=used,
                   capacity=capacity, value=np.concatenate(values), served=np.concatenate(served),
                   value_unit=valuation.unit, objective=valuation.objective)


def binding_frame(network: Network, binding: Binding) -> pl.DataFrame:
    """The capacities of ``binding``, in no order, named (``kind``, ``id``) and placed (``at``, the node
    they sit at). ``load_hours_saved_per_unit`` is ``value_per_unit`` under ``lead_time`` and null under
    the other objectives."""
    value = binding.value
    counts = [len(r) for r in binding.rows]
    return pl.DataFrame([
        _repeat(list(KINDS), counts).alias("kind"),
        capacity_ids(network, binding).alias("id"),
        pl.Series("used", binding.used),
        pl.Series("capacity", binding.capacity),
        _nullable("value_per_unit", value),
        _repeat([binding.value_unit] * len(KINDS), counts).alias("value_unit"),
        _nullable("loads_served_per_unit", binding.served),
        _nullable("load_hours_saved_per_unit", value if binding.objective == "lead_time" else np.full(len(value), np.nan)),
        _repeat(list(UNITS), counts).alias("unit"),
        pl.concat(_blocks(network, binding, at=True)).alias("at"),
        _nullable("utilisation", binding.utilisation),
        pl.Series("at_node", _node_positions(network, binding)),
    ])  # built from series, not by expressions: each expression is a query (about a millisecond under load)


def _node_positions(network: Network, binding: Binding) -> np.ndarray:
    """The position in the nodes table of the node each capacity sits at (``at`` as an index: the
    unmet reasons need no id lookup)."""
    a = network.arrays
    q = a.queue
    owners = (a.head, None, a.supply_node, None, None, q.node, q.node)  # None: the capacity is the node's own
    return np.concatenate([np.asarray(r if owner is None else owner[r], dtype=np.int64)
                           for owner, r in zip(owners, binding.rows, strict=True)])


def _nullable(name: str, values: np.ndarray) -> pl.Series:
    """A float column with NaN as null."""
    return pl.Series(name, values, nan_to_null=True)


def capacity_ids(network: Network, binding: Binding) -> pl.Series:
    """The ``id`` of each capacity of ``binding``: a link or node id, ``node/commodity`` for supply,
    ``crossing/lane_type`` for the crossing kinds."""
    return pl.concat(_blocks(network, binding, at=False))


def _blocks(network: Network, binding: Binding, *, at: bool) -> list[pl.Series]:
    """Per kind, the ids of its capacities (or, ``at``, the node each sits at)."""
    nodes, supply = network.nodes["id"], network.supply["node"]
    q = network.arrays.queue
    crossing = nodes[q.node]
    lane = crossing + "/" + pl.Series([LANE_TYPES[t].value for t in q.lane_type], dtype=pl.String)
    sources = (network.links["to"] if at else network.links["id"], nodes,
               supply if at else supply + "/" + network.supply["commodity"], nodes, nodes,
               crossing if at else lane, crossing if at else lane)
    return [source[r] for source, r in zip(sources, binding.rows, strict=True)]


def rank_order(served: np.ndarray, value: np.ndarray, utilisation: np.ndarray, kind: np.ndarray,
               ident: np.ndarray) -> np.ndarray:
    """The order of the bottleneck table, most valuable first: most loads served per unit, then the
    highest value, then the highest utilisation (NaN last in each), then kind and id. Values are
    rounded to 1e-6 so that solver noise between equal values (different warm starts) cannot
    reorder them. The one ranking rule: the table's first row is the summary's top bottleneck.

    Example
    -------
    >>> rank_order(np.array([0.0, 1.0, 0.0]), np.array([5.0, 1.0, 5.0 + 1e-9]), np.array([1.0, 1.0, 1.0]),
    ...            np.array(["node", "supply", "link"]), np.array(["B", "P/x", "L"])).tolist()
    [1, 2, 0]
    """
    keys = _rank_keys(served, value, utilisation)
    return np.lexsort((np.asarray(ident, dtype=str), np.asarray(kind, dtype=str), *keys[::-1]))


def _rank_keys(served: np.ndarray, value: np.ndarray, utilisation: np.ndarray) -> tuple[np.ndarray, ...]:
    """The numeric keys of :func:`rank_order`, most significant first, ascending = more valuable."""
    return tuple(np.where(np.isnan(x), np.inf, -np.round(x, 6)) for x in (served, value, utilisation))


def top_bottleneck(network: Network, binding: Binding) -> tuple[str | None, float | None]:
    """The first capacity of the bottleneck table (:func:`rank_order`) as ``"<kind> <id>"``, and its
    ``value_per_unit`` (None where it has none), named without building the table: only the
    capacities that tie on the numbers get an id to break the tie."""
    if len(binding.used) == 0:
        return None, None
    keys = _rank_keys(binding.served, binding.value, binding.utilisation)
    best = np.lexsort(keys[::-1])[0]
    tied = np.flatnonzero(np.all([k == k[best] for k in keys], axis=0))
    kinds = np.asarray(KINDS)[binding.kind_index[tied]]
    ids = _ids_of(network, _subset(binding, tied))
    first = rank_order(binding.served[tied], binding.value[tied], binding.utilisation[tied], kinds, ids)[0]
    value = float(binding.value[tied[first]])
    return f"{kinds[first]} {ids[first]}", value if np.isfinite(value) else None


def _ids_of(network: Network, binding: Binding) -> np.ndarray:
    """:func:`capacity_ids` of a few capacities, cell by cell (no column of the tables is built)."""
    nodes, links, supply = network.nodes["id"], network.links["id"], network.supply
    q = network.arrays.queue
    names = (lambda r: links[r], lambda r: nodes[r], lambda r: f"{supply['node'][r]}/{supply['commodity'][r]}",
             lambda r: nodes[r], lambda r: nodes[r],
             lambda r: f"{nodes[int(q.node[r])]}/{LANE_TYPES[q.lane_type[r]].value}",
             lambda r: f"{nodes[int(q.node[r])]}/{LANE_TYPES[q.lane_type[r]].value}")
    return np.array([name(int(r)) for name, rows in zip(names, binding.rows, strict=True) for r in rows], dtype=object)


def _subset(binding: Binding, keep: np.ndarray) -> Binding:
    """The capacities ``keep`` (positions in ``binding``'s concatenated arrays, ascending) of ``binding``."""
    starts = np.cumsum([0] + [len(r) for r in binding.rows])
    rows = tuple(r[keep[(keep >= lo) & (keep < hi)] - lo] for r, lo, hi in zip(binding.rows, starts[:-1], starts[1:],
                                                                                 strict=True))
    return Binding(rows=rows, used=binding.used[keep], capacity=binding.capacity[keep], value=binding.value[keep],
                   served=binding.served[keep], value_unit=binding.value_unit, objective=binding.objective)


def is_binding(used: np.ndarray, capacity: np.ndarray, saved: np.ndarray) -> np.ndarray:
    """Capacities worth reporting: one more unit saves something, or they are at least
    :data:`NEAR_BINDING` used."""
    return (saved > 1e-9) | ((capacity > 0) & (_utilisation(used, capacity) >= NEAR_BINDING))


def _utilisation(used: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Used over capacity; NaN (null in the frames) where the capacity is 0 (nothing to divide by)."""
    return np.divide(used, capacity, out=np.full(len(used), np.nan), where=capacity > 0)


def _repeat(values: list[str], counts: list[int]) -> pl.Series:
    """Each of ``values`` repeated ``counts`` times, as a polars string column (numpy's unicode
    arrays convert slowly)."""
    return pl.Series(values, dtype=pl.String)[np.repeat(np.arange(len(values)), counts)]


def bottlenecks_frame(binding: pl.DataFrame) -> pl.DataFrame:
    """The capacities of :func:`binding_frame`, the most valuable first."""
    return bottleneck_columns(ranked(binding))


def bottleneck_columns(ranked_binding: pl.DataFrame) -> pl.DataFrame:
    """The bottleneck table's columns of :func:`ranked` rows."""
    return pl.DataFrame([ranked_binding.get_column(name) for name in BOTTLENECKS_SCHEMA.names()])


def ranked(binding: pl.DataFrame) -> pl.DataFrame:
    """:func:`binding_frame`'s rows in the bottleneck table's order, with all its columns (``at`` too)."""
    columns = [binding[c].to_numpy() for c in ("loads_served_per_unit", "value_per_unit", "utilisation")]  # null: NaN
    order = rank_order(*columns, binding["kind"].to_numpy(), binding["id"].to_numpy())
    # column by column: a whole-frame gather runs on polars' thread pool, whose wake-ups cost
    # milliseconds on a loaded machine for a frame of a few hundred rows
    return pl.DataFrame([column[order] for column in binding.get_columns()])


def unmet_frame(network: Network, solution: Solution, binding: pl.DataFrame, *,
                ranked_binding: pl.DataFrame | None = None) -> pl.DataFrame:
    """Demand not served, each row with the capacities that ran out on its way (or 'no route');
    ``binding`` is :func:`binding_frame` of the same solution (``ranked_binding`` its :func:`ranked`
    rows, when the caller has them already)."""
    a = network.arrays
    rows = np.flatnonzero(solution.unmet > 1e-9)
    if len(rows) == 0:
        return UNMET_SCHEMA.to_frame()
    demand = network.demand
    reasons = unmet_reasons(network, rows, ranked(binding) if ranked_binding is None else ranked_binding)
    return pl.DataFrame([  # from Series, in the schema's order: a dict of arrays converts slower
        demand["node"][rows], demand["commodity"][rows], pl.Series(a.demand_loads[rows]),
        pl.Series(solution.unmet[rows]), pl.Series(reasons, dtype=pl.String),
    ], schema=UNMET_SCHEMA)
