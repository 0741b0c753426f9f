"""The clock of a load: weekly calendars that make it wait (opening hours, departures).

Time is in hours from Monday 00:00 of a week; a calendar repeats every week (168 h). A load that
arrives at hour ``t``:

* at an ``open`` calendar waits until the next open hour (0 if open);
* at a ``departures`` calendar leaves with the first departure ``d`` with ``d - cutoff_h >= t``
  (it must be there ``cutoff_h`` before), and with probability ``miss_prob`` (rolled, or the
  sailing blanked) with the one after: its time at the node is ``d - t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from networks import Network
from networks.calendar import WEEK_H, parse_weekly


@dataclass(frozen=True, slots=True)
class Calendar:
    """One node's weekly calendar: ``times`` are open windows (n, 2) or departures (n,)."""

    node: int
    departures: bool
    times: np.ndarray
    cutoff_h: float = 0.0
    miss_prob: float = 0.0


def read_calendars(network: Network) -> dict[int, Calendar]:
    """Node index -> its calendar: ``calendars.csv`` rows, and the ``weekly_hours`` of a crossing's
    lanes in ``crossings.csv`` (the widest of its lane types' hours: a load takes any open lane)."""
    index = {n: i for i, n in enumerate(network.nodes["id"].to_list())}
    out: dict[int, Calendar] = {}
    crossings = network.crossings
    if crossings.height and "weekly_hours" in crossings.columns:
        hours = crossings.filter(pl.col("weekly_hours").is_not_null()).with_columns(
            open_h=pl.col("weekly_hours").map_elements(lambda t: float(np.ptp(parse_weekly(t, windows=True), axis=1)
                                                                       .sum()), return_dtype=pl.Float64))
        widest = hours.sort("open_h", descending=True).unique("node", keep="first", maintain_order=True)
        for node, text in widest.select("node", "weekly_hours").iter_rows():
            out[index[node]] = Calendar(index[node], False, parse_weekly(text, windows=True))
    for row in network.calendars.iter_rows(named=True):
        departures = row["calendar"] == "departures"
        out[index[row["node"]]] = Calendar(index[row["node"]], departures,
                                           parse_weekly(row["weekly"], windows=not departures),
                                           float(row["cutoff_h"] or 0.0), float(row["miss_prob"] or 0.0))
    return out


MINUTES = int(WEEK_H * 60)


def wait_h(calendar: Calendar, t: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Hours a load arriving at hours ``t`` spends waiting at the calendar (vectorised).

    Calendars change on whole minutes, so a table per minute of the week gives the next opening
    or departure exactly, with one lookup per load.

    Example
    -------
    >>> cal = Calendar(0, False, np.array([[8.0, 20.0]]))  # open Monday 08-20 only
    >>> wait_h(cal, np.array([7.0, 9.0, 21.0])).tolist()
    [1.0, 0.0, 155.0]
    """
    if not calendar.departures:  # in place: the same operations as below with fewer temporaries
        at = np.divide(t, WEEK_H)
        np.floor(at, out=at)
        at *= WEEK_H
        np.subtract(t, at, out=at)
        minute = (at * 60).astype(np.int64)
        np.minimum(minute, MINUTES - 1, out=minute)
        wait = _table(calendar)[minute]
        wait -= at
        return np.maximum(wait, 0.0, out=wait)
    week = np.floor(t / WEEK_H)
    at = t - week * WEEK_H
    leave = _next_departure(calendar, at + calendar.cutoff_h)
    if calendar.miss_prob > 0 and rng is not None:
        missed = rng.random(len(t)) < calendar.miss_prob
        leave[missed] = _next_departure(calendar, leave[missed] + 1e-9)
    return leave - at


_TABLES: dict[tuple, np.ndarray] = {}


def _table(calendar: Calendar) -> np.ndarray:
    """Per minute of the week: the hour of the next opening (-inf while open) or the next departure
    at or after the minute's start (may be in the next week)."""
    key = (calendar.departures, calendar.times.tobytes())
    if key not in _TABLES:
        minute = np.arange(MINUTES) / 60
        if calendar.departures:
            times = np.sort(calendar.times)
            i = np.searchsorted(times, minute - 1e-9, side="left")
            _TABLES[key] = np.where(i < len(times), times[np.minimum(i, len(times) - 1)], times[0] + WEEK_H)
        else:
            start, end = calendar.times[:, 0], calendar.times[:, 1]
            i = np.searchsorted(end, minute, side="right")
            nxt = np.where(i < len(start), start[np.minimum(i, len(start) - 1)], start[0] + WEEK_H)
            _TABLES[key] = np.where(nxt <= minute, -np.inf, nxt)
    return _TABLES[key]


def _next_departure(calendar: Calendar, x: np.ndarray) -> np.ndarray:
    """The first departure at or after ``x`` (hours, may run past the week)."""
    table = _table(calendar)
    week = np.floor(x / WEEK_H)
    at = x - week * WEEK_H
    minute = np.minimum((at * 60).astype(np.int64), MINUTES - 1)
    leave = table[minute]
    late = leave < at  # a departure at the minute's start that the load just missed
    leave[late] = table[(minute[late] + 1) % MINUTES] + np.where(minute[late] + 1 >= MINUTES, WEEK_H, 0.0)
    return week * WEEK_H + leave
