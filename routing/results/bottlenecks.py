"""Which capacities bind, what one more unit of each is worth, and why demand goes unmet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from networks import Network
from networks.queues import RHO_MAX
from routing.formulation.solution import Solution
from routing.results.schemas import BOTTLENECKS_SCHEMA, UNMET_SCHEMA
from routing.results.unmet import TOP_REASONS, unmet_reasons  # noqa: F401 - TOP_REASONS kept importable

NEAR_BINDING = 0.99  # utilisation from which a capacity is reported even without a dual value
HOURS_UNIT = "load-h/day"
USD_UNIT = "USD/day"

Probe = Callable[[str, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``probe(kind, index)``: for the capacities ``index`` of a kind (``link``, ``node``, ``supply``,
``power``, ``water``), the extra loads served per day and the objective saved net of the unmet
penalty, per unit more of each, from re-solves (see :class:`routing.model.CapacityProbe`)."""


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


def binding_frame(network: Network, solution: Solution, crossings: pl.DataFrame,
                  valuation: Valuation | None = None) -> pl.DataFrame:
    """The binding or near-binding capacities (:func:`is_binding`), in no order, with their use
    and value, plus the node they sit at (``at``).

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

    Queued crossings (``crossings``, the per-lane-type frame) add one more lane and one more open
    hour of each lane type, valued on the smooth wait curve with flows held fixed, and only where
    the lane type is full (the LP's wait segments reach :data:`networks.queues.RHO_MAX`) or at
    least :data:`NEAR_BINDING` used: the queue's marginals at lower use are in ``crossings``. A
    lane type open 24 h has no open-hour row. ``load_hours_saved_per_unit`` is
    ``value_per_unit`` under ``lead_time`` and null under the other objectives.

    Rows are chosen with numpy before any string is built: most capacities do not bind."""
    valuation = valuation or Valuation()
    a = network.arrays
    nodes, links = network.nodes["id"], network.links["id"]
    link_used = solution.flow.sum(axis=0)
    node_used = np.bincount(a.head, link_used, minlength=a.n_nodes) + np.bincount(
        a.supply_node, solution.production, minlength=a.n_nodes)
    per_node = lambda values: np.bincount(a.supply_node, solution.production * values, minlength=a.n_nodes)  # noqa: E731
    lanes = crossings.filter(pl.col("loads_per_day") > 0) if crossings.height else crossings
    lane_ids, lane_used = lanes["crossing"] + "/" + lanes["lane_type"], (
        lanes["loads_per_day"] + lanes["background_loads_per_day"]).to_numpy()
    lane_capacity = lanes["capacity_loads_per_day"].to_numpy()
    lane_full = lane_used >= RHO_MAX * lane_capacity - 1e-6
    per_hour = valuation.per_load_hour
    hour_value = lanes["value_of_hour_h"].fill_null(np.nan).to_numpy() * per_hour
    blocks = (  # kind, ids, used, capacity, saved, unit, at
        ("link", links, link_used, a.capacity, solution.link_saved, "loads/day", network.links["to"]),
        ("node", nodes, node_used, a.throughput, solution.node_saved, "loads/day", nodes),
        ("supply", None, solution.production, a.supply_capacity, solution.supply_saved, "loads/day",
         network.supply["node"]),
        ("power", nodes, per_node(a.power_mwh_per_load[a.supply_commodity]), 24.0 * a.power_mw,
         solution.power_saved, "MWh/day", nodes),
        ("water", nodes, per_node(a.water_m3_per_load[a.supply_commodity]), a.water_m3_per_day,
         solution.water_saved, "m3/day", nodes),
        ("crossing_lane", lane_ids, lane_used, lane_capacity, lanes["value_of_lane_h"].to_numpy() * per_hour, "lane",
         lanes["crossing"]),
        ("crossing_hour", lane_ids, lane_used, lane_capacity, hour_value, "open h/day", lanes["crossing"]),
    )
    lp_blocks = 5
    rows = [np.flatnonzero(np.isfinite(b[3]) & is_binding(b[2], b[3], b[4])) for b in blocks[:lp_blocks]]
    queue_rows = lane_full | (_utilisation(lane_used, lane_capacity) >= NEAR_BINDING)
    rows += [np.flatnonzero(queue_rows), np.flatnonzero(queue_rows & np.isfinite(hour_value))]
    supply = rows[2]
    ids = [b[1][r] if b[1] is not None else network.supply["node"][supply] + "/" + network.supply["commodity"][supply]
           for b, r in zip(blocks, rows, strict=True)]
    used, capacity = (np.concatenate([b[i][r] for b, r in zip(blocks, rows, strict=True)]) for i in (2, 3))
    values = [b[4][r] for b, r in zip(blocks, rows, strict=True)]
    served = [np.zeros(len(r)) for r in rows]
    if valuation.probe is not None:
        for i, (block, r) in enumerate(zip(blocks[:lp_blocks], rows, strict=False)):
            positive = values[i] > 1e-9
            if valuation.probe_all:
                values[i][~positive] = 0.0  # a dual of 0: one more unit changes nothing
            if positive.any():
                served[i][positive], values[i][positive] = valuation.probe(block[0], r[positive])
    counts = [len(r) for r in rows]
    value = np.concatenate(values)
    return pl.DataFrame({
        "kind": _repeat([b[0] for b in blocks], counts),
        "id": pl.concat(ids),
        "used": used,
        "capacity": capacity,
        "value_per_unit": value,
        "value_unit": _repeat([valuation.unit] * len(blocks), counts),
        "loads_served_per_unit": np.concatenate(served),
        "load_hours_saved_per_unit": value if valuation.objective == "lead_time" else np.full(len(value), np.nan),
        "unit": _repeat([b[5] for b in blocks], counts),
        "at": pl.concat([b[6][r] for b, r in zip(blocks, rows, strict=True)]),
        "utilisation": _utilisation(used, capacity),
    }).with_columns(pl.col("load_hours_saved_per_unit", "value_per_unit", "loads_served_per_unit",
                           "utilisation").fill_nan(None))


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
    # more loads served first, then the value; rounded to 1e-6 so that solver noise between equal
    # values cannot reorder them
    return binding.sort([pl.col("loads_served_per_unit").round(6), pl.col("value_per_unit").round(6),
                         pl.col("utilisation").round(6), "kind", "id"],
                        descending=[True, True, True, False, False], nulls_last=True).select(BOTTLENECKS_SCHEMA.names())


def unmet_frame(network: Network, solution: Solution, binding: pl.DataFrame) -> pl.DataFrame:
    """Demand not served, each row with the capacities that ran out on its way (or 'no route');
    ``binding`` is :func:`binding_frame` of the same solution."""
    a = network.arrays
    rows = np.flatnonzero(solution.unmet > 1e-9)
    if len(rows) == 0:
        return UNMET_SCHEMA.to_frame()
    bottlenecks = bottlenecks_frame(binding).join(binding.select("kind", "id", "at"), on=["kind", "id"], how="left")
    demand = network.demand
    reasons = unmet_reasons(network, rows, bottlenecks)
    return pl.DataFrame({
        "market": demand["node"][rows], "commodity": demand["commodity"][rows],
        "demand_loads_per_day": a.demand_loads[rows], "unmet_loads_per_day": solution.unmet[rows],
        "reason": reasons,
    }, schema=UNMET_SCHEMA)
