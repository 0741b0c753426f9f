"""Objective weights: what one load on a link, one produced load and one unmet load cost the objective."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from networks import NetworkArrays
from networks.queues import wait_segments as queue_segments
from routing.options import DEFAULT_WAIT_SEGMENTS, Objective


@dataclass(frozen=True, slots=True)
class Weights:
    """Objective coefficients per link, per supply row, and the unmet-demand penalty per load."""

    link: np.ndarray
    supply: np.ndarray
    penalty: float
    segment_width: np.ndarray  # (lane types, segments) loads/day
    segment_hours: np.ndarray  # (lane types, segments) marginal wait, hours per load
    segment_cost: np.ndarray  # (lane types, segments) objective per load
    secondary: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per link: what breaks ties (cost
    #   under lead_time, hours under cost), minimised over the primary's optimal face (routing.formulation.face)


def link_hours(arrays: NetworkArrays) -> np.ndarray:
    """Hours a load spends on each link and in the node it enters."""
    return arrays.transit_h + arrays.dwell_h[arrays.head]


def objective_weights(arrays: NetworkArrays, objective: Objective, *, usd_per_load_hour: float,
                      wait_segments: int = DEFAULT_WAIT_SEGMENTS) -> Weights:
    """Coefficients of the chosen objective, and a penalty above the worst simple path."""
    q = arrays.queue
    width, slope = queue_segments(q.capacity, q.background, q.rho_ref, q.wait_typical_h, wait_segments)
    wait_weight = {Objective.LEAD_TIME: 1.0, Objective.COST: 0.0, Objective.BLEND: usd_per_load_hour}[objective]
    hours, supply_hours = link_hours(arrays), arrays.dwell_h[arrays.supply_node]
    zeros = np.zeros_like(supply_hours)
    if objective == Objective.LEAD_TIME:
        link, supply, secondary = hours, supply_hours, arrays.cost_usd
    elif objective == Objective.COST:
        link, supply, secondary = arrays.cost_usd, zeros, hours
    else:
        link = arrays.cost_usd + usd_per_load_hour * hours
        supply, secondary = usd_per_load_hour * supply_hours, zeros[:0]
    segment_cost = wait_weight * slope
    worst_wait = float(segment_cost.max(axis=1).sum()) if segment_cost.size else 0.0
    penalty = 1.0 + float(link.sum() + (supply.max() if supply.size else 0.0)) + worst_wait
    return Weights(link=link, supply=supply, penalty=penalty, segment_width=width,
                   segment_hours=slope, segment_cost=segment_cost,
                   secondary=secondary if secondary.size else np.zeros_like(link))
