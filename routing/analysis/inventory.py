"""Safety stock and its service over time: shipments in sequence through persistent regimes.

A stock point (one market and commodity) is replenished every day with one day of demand,
split over its lanes by their shares of the loads. Each day's shipments are ready at a random hour
of that day and travel their lanes; the days follow each other on one regime path, so a disrupted
domain delays every shipment of the weeks it lasts (:mod:`routing.analysis.regimes`).

* **Lead-time demand** of a shipment day: ``LTD = sum_i share_i x L_i`` days of demand (the lanes
  of the same day share its clock and shocks). The **safety stock** is its quantile at the service
  level minus its mean: ``SS = q_sl(LTD) - E[LTD]`` (not ``z x sigma``: the distribution is skewed).
* **Sequence simulation**: with the order-up-to level ``S = E[LTD] + 1 + SS`` days (lead time
  plus the one-day review period, the textbook ``d (L + R) + SS``), where ``O(t)`` is the demand
  ordered by the end of day ``t`` and not yet arrived
  (``t + 1 - sum_i share_i x #{arrived by the end of day t}``), day ``t`` runs short when ``O(t) > S``. ``stockout_prob`` is the chance of at least one short day in
  ``horizon_days``; ``fill_rate`` is ``1 - mean(min(1, max(0, O(t) - S)))``, the share of each
  day's demand served from stock (backorders are cleared first in, first out).

The replications that set the safety stock are not those that evaluate it (no in-sample bias).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import polars as pl

from networks import Network
from networks.calendar import WEEK_H
from routing.analysis.leadtime import sample_lane_hours
from routing.analysis.regimes import PATH_WEEKS, read_regimes, simulate_regimes

DEFAULT_HORIZON_DAYS = 91  # a quarter
DEFAULT_REPLICATIONS = 200
REVIEW_DAYS = 1.0  # orders go out every day: the base stock covers the lead time plus one review period
WARM_UP_DAYS = 70  # longer than the slowest lane's p99, so the pipeline is full when the horizon starts


class StockResult(NamedTuple):
    """Per row: safety stock (days of demand), chance of a stock-out within the horizon, fill rate,
    and the lead-time demand's mean (days)."""

    safety_stock_days: np.ndarray
    stockout_prob: np.ndarray
    fill_rate: np.ndarray
    ltd_mean_days: np.ndarray


def simulate_stock(network: Network, lanes: pl.DataFrame, row: np.ndarray, share: np.ndarray, *,
                   service_level: float = 0.95, horizon_days: int = DEFAULT_HORIZON_DAYS,
                   replications: int = DEFAULT_REPLICATIONS, seed: int = 0,
                   regime_states: Mapping[str, str] | None = None) -> StockResult:
    """Safety stock, stock-out probability and fill rate of each row's stock point.

    Parameters
    ----------
    network, lanes
        The lanes (as for :func:`~routing.analysis.leadtime.sample_lead_times`).
    row, share
        Per lane: the row (stock point, ``0..rows-1``) it feeds and its share of that row's loads.
    service_level
        Quantile of the lead-time demand the stock covers, in (0, 1).
    horizon_days, replications, seed
        Days evaluated per replication, replications (half set the stock, half evaluate it), seed.
    regime_states
        Shock domains held in one state (as for :func:`~routing.analysis.leadtime.sample_lead_times`).

    Example
    -------
    >>> from networks import read_network
    >>> from routing import solve_lead_time
    >>> net = read_network()
    >>> lanes = solve_lead_time(net).lanes.head(2)
    >>> out = simulate_stock(net, lanes, np.array([0, 1]), np.ones(2), replications=20, horizon_days=30)
    >>> bool(((out.fill_rate > 0.5) & (out.fill_rate <= 1)).all())
    True
    """
    days = WARM_UP_DAYS + horizon_days
    rng = np.random.default_rng([seed, 3])
    chains = read_regimes(network)
    path = simulate_regimes(chains, PATH_WEEKS, np.random.default_rng([seed, 1])) if chains is not None else None
    first = rng.integers(0, PATH_WEEKS - (days // 7 + 2), replications) * WEEK_H  # each replication's start
    start_h = (first[:, None] + 24.0 * np.arange(days)[None, :] + 24.0 * rng.random((replications, days))).ravel()
    hours = sample_lane_hours(network, lanes, samples=len(start_h), seed=seed, start_h=start_h, regime_path=path,
                              regime_states=regime_states)
    lead = hours.reshape(len(lanes), replications, days) / 24.0
    n_rows = int(row.max()) + 1 if len(row) else 0
    ltd = np.zeros((n_rows, replications, days))
    np.add.at(ltd, row, share[:, None, None] * lead)
    half = replications // 2
    fit = ltd[:, :half, WARM_UP_DAYS:].reshape(n_rows, -1)
    safety = np.quantile(fit, service_level, axis=1) - fit.mean(axis=1)
    ready = ((start_h.reshape(replications, days) - first[:, None]) / 24.0)[None]  # day s + its ready hour
    arrive = (np.ceil(ready + lead).astype(np.int64) - 1).clip(0, days)  # arrived by the end of this day
    counts = np.zeros((len(lanes), replications, days + 1))
    lane_idx, rep_idx = np.indices(arrive.shape[:2])
    np.add.at(counts, (np.broadcast_to(lane_idx[..., None], arrive.shape), np.broadcast_to(rep_idx[..., None],
                                                                                            arrive.shape), arrive), 1.0)
    arrived = np.cumsum(counts, axis=2)[:, :, :days]  # arrived by the end of day t
    out_lane = np.arange(1, days + 1)[None, None, :] - arrived  # ordered by the end of day t (t + 1) minus arrived
    outstanding = np.zeros((n_rows, replications, days))
    np.add.at(outstanding, row, share[:, None, None] * out_lane)
    horizon = outstanding[:, :, WARM_UP_DAYS:]
    base = fit.mean(axis=1) + REVIEW_DAYS + safety
    test = horizon[:, half:] - base[:, None, None]
    return StockResult(safety, (test > 0).any(axis=2).mean(axis=1),
                       1 - np.clip(test, 0, 1).mean(axis=(1, 2)), fit.mean(axis=1))
