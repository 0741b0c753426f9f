"""Waits at queued border crossings after a solve: per lane type, per crossing and commodity,
and what one more lane or one more open hour would save."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from networks import LANE_TYPES, Network, QueueArrays
from networks.queues import total_wait_h, wait_h, wait_p95_h
from routing.formulation.solution import Solution

HOURS_PER_DAY = 24.0  # a lane type open this long has no "one more open hour" (its value is null)

CROSSINGS_SCHEMA = pl.Schema({
    "crossing": pl.String, "name": pl.String, "lane_type": pl.String, "lanes": pl.Float64,
    "loads_per_day": pl.Float64, "background_loads_per_day": pl.Float64, "capacity_loads_per_day": pl.Float64, "utilisation": pl.Float64,
    "wait_h": pl.Float64, "wait_p95_h": pl.Float64, "value_of_lane_h": pl.Float64, "value_of_hour_h": pl.Float64,
})


def utilisation(queue: QueueArrays, volume: np.ndarray) -> np.ndarray:
    """Utilisation of each lane type: modelled plus background volume over capacity."""
    return np.divide(queue.background + volume, queue.capacity, out=np.zeros(len(queue)), where=queue.capacity > 0)


def lane_waits(network: Network, solution: Solution) -> np.ndarray:
    """Mean wait (hours) of each lane type at its solved utilisation: all its loads wait alike."""
    q = network.arrays.queue
    return wait_h(utilisation(q, solution.queue_volume), q.rho_ref, q.wait_typical_h)


def total_wait_load_hours(network: Network, solution: Solution) -> float:
    """Load-hours per day the routed loads (freight and background) spend waiting at queued crossings,
    on the smooth curves."""
    return float((solution.queue_volume * lane_waits(network, solution)).sum())


def wait_load_hours_by_commodity(network: Network, solution: Solution) -> np.ndarray:
    """Per commodity: load-hours per day waiting at queued crossings (all loads in a lane wait alike)."""
    if len(network.arrays.queue) == 0 or solution.queue_assign.size == 0:
        return np.zeros(network.arrays.n_commodities)
    return solution.queue_assign @ lane_waits(network, solution)


def wait_by_commodity_and_node(network: Network, solution: Solution) -> np.ndarray:
    """(commodities, nodes): the volume-weighted wait a commodity's loads see at each crossing."""
    a = network.arrays
    waits = np.zeros((a.n_commodities, a.n_nodes))
    if len(a.queue) == 0:
        return waits
    assign = solution.queue_assign
    for k in range(a.n_commodities):
        volume = np.bincount(a.queue.node, assign[k], minlength=a.n_nodes)
        hours = np.bincount(a.queue.node, assign[k] * lane_waits(network, solution), minlength=a.n_nodes)
        waits[k] = np.divide(hours, volume, out=np.zeros(a.n_nodes), where=volume > 1e-12)
    return waits


def crossings_frame(network: Network, solution: Solution) -> pl.DataFrame:
    """One row per lane type of a queued crossing: modelled freight (``loads_per_day``) and background
    (the routed ``background`` commodity plus any fixed ``background_loads_per_day`` of crossings.csv),
    utilisation, mean and p95 wait, and the
    load-hours per day that one more lane / one more open hour would save with flows held fixed
    (a lower bound: re-solving lets traffic move to the relieved crossing as well)."""
    q = network.arrays.queue
    if len(q) == 0:
        return CROSSINGS_SCHEMA.to_frame()
    lanes = lane_values(network, solution)
    rho = utilisation(q, solution.queue_volume)
    waits = wait_h(rho, q.rho_ref, q.wait_typical_h)
    return pl.DataFrame({
        "crossing": network.nodes["id"][q.node], "name": network.nodes["name"][q.node],
        "lane_type": [LANE_TYPES[t].value for t in q.lane_type],
        "lanes": q.lanes, "loads_per_day": lanes.freight, "background_loads_per_day": lanes.background,
        "capacity_loads_per_day": q.capacity, "utilisation": rho,
        "wait_h": waits, "wait_p95_h": wait_p95_h(waits, q.wait_typical_h, q.wait_p95_h),
        "value_of_lane_h": lanes.value_of_lane_h, "value_of_hour_h": lanes.value_of_hour_h,
    }, schema=CROSSINGS_SCHEMA).with_columns(
        pl.col("value_of_hour_h").fill_nan(None),
        utilisation=pl.when(pl.col("capacity_loads_per_day") > 0).then("utilisation"),  # of nothing: null
    )


@dataclass(frozen=True, slots=True)
class LaneValues:
    """Per lane type of a queued crossing: modelled freight and background loads per day, and the
    load-hours per day one more lane / one more open hour saves with flows held fixed (NaN for the
    hour where the lane type is open 24 h)."""

    freight: np.ndarray
    background: np.ndarray
    value_of_lane_h: np.ndarray
    value_of_hour_h: np.ndarray


def lane_values(network: Network, solution: Solution) -> LaneValues:
    """The numbers of :func:`crossings_frame` that the bottlenecks need, as arrays (no frame built)."""
    q = network.arrays.queue
    volume = solution.queue_volume
    routed_background = network.arrays.background @ solution.queue_assign if solution.queue_assign.size else 0.0
    lane = q.loads_per_lane_hour * q.open_h_per_day
    hour = q.lanes * q.loads_per_lane_hour
    return LaneValues(
        freight=volume - routed_background, background=q.background + routed_background,
        value_of_lane_h=_saving(q.background + volume, q.capacity, lane, q.rho_ref, q.wait_typical_h),
        value_of_hour_h=np.where(q.open_h_per_day < HOURS_PER_DAY,
                                 _saving(q.background + volume, q.capacity, hour, q.rho_ref, q.wait_typical_h),
                                 np.nan))


def _saving(volume: np.ndarray, capacity: np.ndarray, extra: np.ndarray, rho_ref: np.ndarray,
            wait_typical_h: np.ndarray) -> np.ndarray:
    """Load-hours per day saved, for all traffic (``volume`` includes the background), when
    ``extra`` capacity is added and the volume stays put.

    The curve is a property of the lanes (its typical wait at today's utilisation), so it keeps
    ``rho_ref`` and ``wait_typical_h``; only the utilisation falls."""
    return total_wait_h(volume, capacity, rho_ref, wait_typical_h) - total_wait_h(
        volume, capacity + extra, rho_ref, wait_typical_h)


def by_crossing(lanes: pl.DataFrame) -> pl.DataFrame:
    """One row per crossing from the per-lane-type frame: total volume and capacity, volume-weighted
    wait, the value of one more lane (the best lane type to add it to), the value of one more open
    hour (the sum over its lane types, which all open an hour longer; null when every lane type is
    open 24 h) and the lane types nested."""
    weight = pl.col("loads_per_day") + pl.col("background_loads_per_day")  # everyone in the queue waits alike
    return lanes.group_by("crossing", maintain_order=True).agg(
        pl.col("name").first(),
        loads_per_day=pl.col("loads_per_day").sum(),
        background_loads_per_day=pl.col("background_loads_per_day").sum(),
        capacity_loads_per_day=pl.col("capacity_loads_per_day").sum(),
        wait_h=pl.when(weight.sum() > 0).then((weight * pl.col("wait_h")).sum() / weight.sum()).otherwise(0.0),
        value_of_lane_h=pl.col("value_of_lane_h").max(),
        value_of_hour_h=pl.when(pl.col("value_of_hour_h").is_not_null().any())
        .then(pl.col("value_of_hour_h").sum()).otherwise(None),
        lane_types=pl.struct(pl.all().exclude("crossing", "name")),
    ).with_columns(
        utilisation=pl.when(pl.col("capacity_loads_per_day") > 0).then(
            (pl.col("loads_per_day") + pl.col("background_loads_per_day")) / pl.col("capacity_loads_per_day"))
    ).select("crossing", "name", "loads_per_day", "background_loads_per_day", "capacity_loads_per_day",
             "utilisation", "wait_h",
             "value_of_lane_h", "value_of_hour_h", "lane_types").sort("loads_per_day", descending=True)
