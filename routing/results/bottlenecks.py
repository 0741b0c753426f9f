"""Which capacities bind, what one more unit of each is worth, and why demand goes unmet."""

from __future__ import annotations

import numpy as np
import polars as pl

from networks import Network
from routing.formulation.solution import Solution
from routing.results.schemas import BOTTLENECKS_SCHEMA, UNMET_SCHEMA
from routing.results.unmet import TOP_REASONS, unmet_reasons  # noqa: F401 - TOP_REASONS kept importable

NEAR_BINDING = 0.99  # utilisation from which a capacity is reported even without a dual value


def binding_frame(network: Network, solution: Solution, crossings: pl.DataFrame) -> pl.DataFrame:
    """The binding or near-binding capacities (:func:`is_binding`), in no order, with their use
    and saving, plus the node they sit at (``at``). Queued crossings (``crossings``, the
    per-lane-type frame) add what one more lane and one more open hour of each lane type would
    save (their ``used`` counts the background traffic in the lanes too).

    Rows are chosen with numpy before any string is built: most capacities do not bind."""
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
    blocks = (  # kind, ids, used, capacity, saved, unit, at
        ("link", links, link_used, a.capacity, solution.link_saved, "loads/day", network.links["to"]),
        ("node", nodes, node_used, a.throughput, solution.node_saved, "loads/day", nodes),
        ("supply", None, solution.production, a.supply_capacity, solution.supply_saved, "loads/day",
         network.supply["node"]),
        ("power", nodes, per_node(a.power_mwh_per_load[a.supply_commodity]), 24.0 * a.power_mw,
         solution.power_saved, "MWh/day", nodes),
        ("water", nodes, per_node(a.water_m3_per_load[a.supply_commodity]), a.water_m3_per_day,
         solution.water_saved, "m3/day", nodes),
        ("crossing_lane", lane_ids, lane_used, lane_capacity, lanes["value_of_lane_h"].to_numpy(), "lane",
         lanes["crossing"]),
        ("crossing_hour", lane_ids, lane_used, lane_capacity, lanes["value_of_hour_h"].to_numpy(), "open h/day",
         lanes["crossing"]),
    )
    rows = [np.flatnonzero(np.isfinite(b[3]) & is_binding(b[2], b[3], b[4])) for b in blocks]
    supply = rows[2]
    ids = [b[1][r] if b[1] is not None else network.supply["node"][supply] + "/" + network.supply["commodity"][supply]
           for b, r in zip(blocks, rows, strict=True)]
    used, capacity = (np.concatenate([b[i][r] for b, r in zip(blocks, rows, strict=True)]) for i in (2, 3))
    counts = [len(r) for r in rows]
    return pl.DataFrame({
        "kind": _repeat([b[0] for b in blocks], counts),
        "id": pl.concat(ids),
        "used": used,
        "capacity": capacity,
        "load_hours_saved_per_unit": np.concatenate([b[4][r] for b, r in zip(blocks, rows, strict=True)]),
        "unit": _repeat([b[5] for b in blocks], counts),
        "at": pl.concat([b[6][r] for b, r in zip(blocks, rows, strict=True)]),
        "utilisation": _utilisation(used, capacity),
    })


def is_binding(used: np.ndarray, capacity: np.ndarray, saved: np.ndarray) -> np.ndarray:
    """Capacities worth reporting: one more unit saves something, or they are at least
    :data:`NEAR_BINDING` used."""
    return (saved > 1e-9) | ((capacity > 0) & (_utilisation(used, capacity) >= NEAR_BINDING))


def _utilisation(used: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Used over capacity; 1 where the capacity is 0 (or unlimited capacity: 0)."""
    return np.divide(used, capacity, out=np.ones_like(used, dtype=np.float64), where=capacity > 0)


def _repeat(values: list[str], counts: list[int]) -> pl.Series:
    """Each of ``values`` repeated ``counts`` times, as a polars string column (numpy's unicode
    arrays convert slowly)."""
    return pl.Series(values, dtype=pl.String)[np.repeat(np.arange(len(values)), counts)]


def bottlenecks_frame(binding: pl.DataFrame) -> pl.DataFrame:
    """The capacities of :func:`binding_frame`, the most valuable first."""
    # rank on values rounded to 1e-6, so solver noise between equal savings cannot reorder them
    return binding.sort([pl.col("load_hours_saved_per_unit").round(6), pl.col("utilisation").round(6), "kind", "id"],
                        descending=[True, True, False, False]).select(BOTTLENECKS_SCHEMA.names())


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

