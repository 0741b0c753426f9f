"""Objective weights: what one load on a link, one produced load and one unmet load cost the objective."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from networks import NetworkArrays
from networks.queues import equilibrium_segments
from networks.queues import wait_segments as queue_segments
from routing.options import (
    DEFAULT_CARRYING_RATE,
    DEFAULT_SERVICE_USD_PER_LOAD_HOUR,
    DEFAULT_WAIT_SEGMENTS,
    HOURS_PER_YEAR,
    Objective,
)


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
    link_by_commodity: np.ndarray | None = None  # (commodities, links) when the weight depends on the commodity
    value_of_time: np.ndarray | None = None  # per commodity, USD per load-hour (as_operated)

    def flow_weights(self, n_commodities: int) -> np.ndarray:
        """(commodities, links): the objective weight of every flow variable."""
        if self.link_by_commodity is not None:
            return self.link_by_commodity
        return np.broadcast_to(self.link, (n_commodities, len(self.link)))


def link_hours(arrays: NetworkArrays) -> np.ndarray:
    """Hours a load spends on each link and in the node it enters."""
    return arrays.transit_h + arrays.dwell_h[arrays.head]


def value_of_time(arrays: NetworkArrays, *, carrying_rate: float = DEFAULT_CARRYING_RATE,
                  service_usd_per_load_hour: float = DEFAULT_SERVICE_USD_PER_LOAD_HOUR) -> np.ndarray:
    """USD per load-hour of each commodity: its value x the annual carrying rate / 8,760 h, plus the
    service premium (what a shipper pays to be on time beyond the inventory it holds)."""
    return arrays.value_usd_per_load * carrying_rate / HOURS_PER_YEAR + service_usd_per_load_hour


def objective_weights(arrays: NetworkArrays, objective: Objective, *, usd_per_load_hour: float,
                      wait_segments: int = DEFAULT_WAIT_SEGMENTS, carrying_rate: float = DEFAULT_CARRYING_RATE,
                      service_usd_per_load_hour: float = DEFAULT_SERVICE_USD_PER_LOAD_HOUR) -> Weights:
    """Coefficients of the chosen objective, and a penalty above the worst simple path."""
    if objective == Objective.AS_OPERATED:
        vot = value_of_time(arrays, carrying_rate=carrying_rate, service_usd_per_load_hour=service_usd_per_load_hour)
        return as_operated_weights(arrays, vot, wait_segments=wait_segments)
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


def as_operated_weights(arrays: NetworkArrays, vot: np.ndarray, *, wait_segments: int) -> Weights:
    """Each load's generalised cost in hours of its own time: ``hours + cost_usd / vot[k]``.

    Dividing commodity k's generalised cost (USD + vot[k] x hours) by vot[k] does not change which
    route is best for it, and makes the wait (hours) enter every commodity alike, so one convex
    program finds the equilibrium: the wait segments carry the mean wait (Beckmann,
    :func:`networks.queues.equilibrium_segments`), not the marginal one. Today's traffic is routed
    by many shippers, each for itself: an equilibrium, not a system optimum.
    """
    q = arrays.queue
    width, slope = equilibrium_segments(q.capacity, q.background, q.rho_ref, q.wait_typical_h, wait_segments)
    if np.any(vot <= 0):
        raise ValueError("as_operated needs a value of time > 0 for every commodity (value, carrying rate or "
                         "service premium)")
    hours, supply_hours = link_hours(arrays), arrays.dwell_h[arrays.supply_node]
    by_commodity = hours[None, :] + arrays.cost_usd[None, :] / vot[:, None]
    worst_wait = float(slope.max(axis=1).sum()) if slope.size else 0.0
    penalty = 1.0 + float(by_commodity.max(axis=0).sum() + (supply_hours.max() if supply_hours.size else 0.0)) \
        + worst_wait
    link = by_commodity[0] if arrays.n_commodities == 1 else hours
    return Weights(link=link, supply=supply_hours, penalty=penalty, segment_width=width, segment_hours=slope,
                   segment_cost=slope, link_by_commodity=None if arrays.n_commodities == 1 else by_commodity, value_of_time=vot)

