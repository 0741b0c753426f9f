"""Hours of service on the clock: a truck leg's elapsed time from its driving time and the driver's state.

FMCSA rules for a solo driver (leg_variability.md "US trucking"; the builder applies the daily ones
to every US and Mexican truck link): at most :data:`DRIVE_H` (11 h) of driving within a
:data:`WINDOW_H` (14 h) on-duty window, a :data:`BREAK_H` (30-min) break once :data:`BREAK_AFTER_H`
(8 h) of driving have passed since the last break, then :data:`OFF_H` (10 h) off. A day that ends
because the driving or the window is used up is closed by other on-duty work to the end of the
window (fuel, inspection, waits: 2.5 h on a full day), so a full driving day takes 24 h, as in the
builder's ``truck_hours``.

The weekly limit (the same source, "60/70 h weekly"; 49 CFR 395.3(b)-(c)): no driving after
:data:`CYCLE_H` (70 h) on duty in 8 consecutive days until a restart of :data:`RESTART_H` (34 h)
off duty. The whole window counts as on duty (the break too, taken at a fuel stop), so five full
days use the 70 h exactly and the fifth day's rest is the 34-h restart instead of 10 h: 24 h more
per five full days of driving (55 h). A picked-up driver has a restart behind him (est.: his
hours before the load are not known), so no single built-in truck link (at most 4 full days) meets
the limit; a long draw or a driver carried through several legs can.

The driver's state is carried through a lane: ``duty_h`` (hours since the window opened),
``drive_h`` (driving since the last 10 h off), ``since_break_h`` (driving since the last break or
off period) and ``cycle_h`` (on duty since the last restart). A driver starts fresh when a load is
picked up or changes carrier (``routing.analysis.leadtime.CARRIER_CHANGES``: yards, crossings, ports,
rail ramps, as the LP's per-link hours assume); the on-duty time at a node between two truck legs of the same run uses the window and
the cycle, a stop of at least :data:`OFF_H` is a rest that resets the day, and one of at least
:data:`RESTART_H` a restart that resets the cycle too.

Every function is vectorised over samples (numpy arrays of the same shape); the loop is over the
driver's shifts (about four steps per day of driving), never over samples.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

DRIVE_H = 11.0
WINDOW_H = 14.0
BREAK_AFTER_H = 8.0
BREAK_H = 0.5
OFF_H = 10.0
DAY_H = WINDOW_H + OFF_H  # a full driving day: the whole window, then the rest
CYCLE_H = 70.0  # on duty in 8 consecutive days
RESTART_H = 34.0  # off duty that restarts the 8 days
CYCLE_DAYS = int(CYCLE_H // WINDOW_H)  # full days (whole windows on duty) that use the cycle: 5
_EPS = 1e-9


class DriverState(NamedTuple):
    """Per sample: hours since the duty window opened, driving since the last rest, driving since
    the last break, and on duty since the last 34-h restart (all 0 for a fresh driver)."""

    duty_h: np.ndarray
    drive_h: np.ndarray
    since_break_h: np.ndarray
    cycle_h: np.ndarray


def fresh_driver(shape: int | tuple[int, ...]) -> DriverState:
    """A driver with a 34-h restart behind him, for ``shape`` samples."""
    return DriverState(np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape))


def drive(driving_h: np.ndarray, state: DriverState | None = None) -> tuple[np.ndarray, DriverState]:
    """Elapsed hours of ``driving_h`` hours of driving under hours of service, and the state after.

    Parameters
    ----------
    driving_h
        Driving hours per sample (>= 0).
    state
        The driver's state at the start; default a fresh driver.

    Returns
    -------
    tuple[np.ndarray, DriverState]
        Elapsed hours (driving + breaks + the rest of closed windows + rests) and the state when
        the driving is done.

    Example
    -------
    >>> elapsed, after = drive(np.array([5.0, 10.0, 11.0, 12.0, 30.0, 60.0]))
    >>> elapsed.tolist()  # 10 h: a break after 8; 12 h: a full day (24 h) + 1; 60 h: 5 days, a restart
    [5.0, 10.5, 11.5, 25.0, 56.0, 149.0]
    >>> after.duty_h.tolist(), after.cycle_h.tolist()
    ([5.0, 10.5, 11.5, 1.0, 8.0, 5.0], [5.0, 10.5, 11.5, 15.0, 36.0, 5.0])
    """
    left = np.array(driving_h, dtype=np.float64, copy=True)
    state = state or fresh_driver(left.shape)
    duty, used, since, cycle = (np.array(x, dtype=np.float64, copy=True) for x in state)
    elapsed = np.zeros_like(left)
    while True:  # one step = a stint of driving, then a break, a rest or a restart where driving remains
        active = left > _EPS
        if not active.any():
            break
        stint = np.minimum.reduce([left, DRIVE_H - used, WINDOW_H - duty, BREAK_AFTER_H - since, CYCLE_H - cycle])
        stint = np.where(active, np.maximum(stint, 0.0), 0.0)
        left -= stint
        elapsed += stint
        duty += stint
        used += stint
        since += stint
        cycle += stint
        more = left > _EPS
        rest = more & ((used >= DRIVE_H - _EPS) | (duty + (since >= BREAK_AFTER_H - _EPS) * BREAK_H
                                                   >= WINDOW_H - _EPS) | (cycle >= CYCLE_H - _EPS))
        pause = more & ~rest & (since >= BREAK_AFTER_H - _EPS)
        work = np.where(rest, np.clip(np.minimum(WINDOW_H - duty, CYCLE_H - cycle), 0.0, None), 0.0)  # closes the day
        cycle += work
        restart = rest & (cycle >= CYCLE_H - _EPS)  # the cycle used up: 34 h off instead of 10
        elapsed += work + np.where(restart, RESTART_H, np.where(rest, OFF_H, 0.0)) + np.where(pause, BREAK_H, 0.0)
        duty = np.where(rest, 0.0, duty + np.where(pause, BREAK_H, 0.0))
        cycle = np.where(restart, 0.0, cycle + np.where(pause, BREAK_H, 0.0))
        used = np.where(rest, 0.0, used)
        since = np.where(rest | pause, 0.0, since)
    return elapsed, DriverState(duty, used, since, cycle)


def drive_fresh(driving_h: np.ndarray) -> np.ndarray:
    """Elapsed hours of a fresh driver's ``driving_h`` (:func:`drive` in closed form, for the hot path):
    each full day of :data:`DRIVE_H` takes :data:`DAY_H`, the last its driving + the break past
    :data:`BREAK_AFTER_H`, and every :data:`CYCLE_DAYS` full days the rest is the restart.

    >>> drive_fresh(np.array([5.0, 10.0, 11.0, 12.0, 30.0, 55.0, 60.0])).tolist()
    [5.0, 10.5, 11.5, 25.0, 56.0, 107.5, 149.0]
    """
    d = np.asarray(driving_h, dtype=np.float64)
    if d.ndim == 0:
        return drive_fresh(d[None])[0]
    full = d / DRIVE_H  # the full days: max(ceil(d / DRIVE_H - eps) - 1, 0), in place
    full -= _EPS
    np.ceil(full, out=full)
    full -= 1.0
    np.maximum(full, 0.0, out=full)
    last = full * DRIVE_H
    np.subtract(d, last, out=last)
    restarts = full >= CYCLE_DAYS  # rare (55 h of driving or more): their extra rest afterwards
    late = np.flatnonzero(restarts) if restarts.any() else None
    extra = np.floor(full[late] / CYCLE_DAYS) * (RESTART_H - OFF_H) if late is not None else None
    full *= DAY_H  # now the elapsed hours: full days + the last day + its break
    full += last
    full[last > BREAK_AFTER_H + _EPS] += BREAK_H
    if late is not None:
        full[late] += extra
    return full


def stop(state: DriverState, hours: np.ndarray) -> DriverState:
    """The state after ``hours`` at a node between two truck legs: on duty in the window and the
    cycle, a rest (the day starts afresh) when the stop lasts at least :data:`OFF_H`, and a restart
    (a fresh driver) from :data:`RESTART_H`.

    >>> after = stop(fresh_driver(3), np.array([2.0, 12.0, 34.0]))
    >>> after.duty_h.tolist(), after.cycle_h.tolist()
    ([2.0, 0.0, 0.0], [2.0, 0.0, 0.0])
    """
    hours = np.asarray(hours, dtype=np.float64)
    rested, restarted = hours >= OFF_H, hours >= RESTART_H
    since = np.where(hours >= BREAK_H, 0.0, state.since_break_h)  # a 30-min stop counts as the break
    cycle = np.where(restarted, 0.0, np.where(rested, state.cycle_h, state.cycle_h + hours))
    return DriverState(np.where(rested, 0.0, state.duty_h + hours), np.where(rested, 0.0, state.drive_h),
                       np.where(rested, 0.0, since), cycle)


BLOCK_H = CYCLE_DAYS * DAY_H + RESTART_H - OFF_H
"""Elapsed hours of a fresh driver's full cycle: five full days, the last with the restart (144 h)."""


def driving_hours(elapsed_h: np.ndarray) -> np.ndarray:
    """The driving time of a fresh driver's leg that takes ``elapsed_h`` (the inverse of :func:`drive`
    from a fresh driver): the builder writes a truck link's ``transit_h`` as that elapsed time.

    Each full cycle (:data:`BLOCK_H`, 144 h) holds ``CYCLE_DAYS x DRIVE_H`` (55 h) of driving, each
    full day after it (24 h) :data:`DRIVE_H`; the last day its hours, less the break if it runs past
    :data:`BREAK_AFTER_H`.

    >>> driving_hours(np.array([5.0, 10.5, 25.0, 56.0, 107.5, 149.0])).tolist()
    [5.0, 10.0, 12.0, 30.0, 55.0, 60.0]
    """
    t = np.asarray(elapsed_h, dtype=np.float64)
    blocks = np.maximum(np.ceil(t / BLOCK_H - _EPS) - 1.0, 0.0)  # a full day's end never reaches the block's
    t = t - blocks * BLOCK_H
    last_day = DRIVE_H + BREAK_H
    days = np.floor(np.maximum(t - last_day, 0.0) / DAY_H + 1.0 - _EPS)
    days = np.where(t > last_day + _EPS, np.maximum(days, 1.0), 0.0)
    last = t - days * DAY_H
    last = np.where(last > BREAK_AFTER_H + BREAK_H, last - BREAK_H, np.minimum(last, BREAK_AFTER_H))
    return (blocks * CYCLE_DAYS + days) * DRIVE_H + np.maximum(last, 0.0)
