"""Hours of service on the clock: a truck leg's elapsed time from its driving time and the driver's state.

FMCSA rules for a solo driver (leg_variability.md "US trucking"; the builder applies them to every US
and Mexican truck link): at most :data:`DRIVE_H` (11 h) of driving within a :data:`WINDOW_H` (14 h)
on-duty window, a :data:`BREAK_H` (30-min) break once :data:`BREAK_AFTER_H` (8 h) of driving have
passed since the last break, then :data:`OFF_H` (10 h) off. A day that ends because the driving or
the window is used up is closed by other on-duty work to the end of the window (fuel, inspection,
waits: 2.5 h on a full day), so a full driving day takes 24 h, as in the builder's ``truck_hours``.

The driver's state is carried through a lane: ``duty_h`` (hours since the window opened),
``drive_h`` (driving since the last 10 h off) and ``since_break_h`` (driving since the last break or
off period). A driver starts fresh (a 10-h rest behind him) when a load is picked up; the on-duty
time at a node between two truck legs of the same run uses the window, and a stop of at least
:data:`OFF_H` is a rest that resets the state.

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
_EPS = 1e-9


class DriverState(NamedTuple):
    """Per sample: hours since the duty window opened, driving since the last rest, and driving
    since the last break (all 0 for a fresh driver)."""

    duty_h: np.ndarray
    drive_h: np.ndarray
    since_break_h: np.ndarray


def fresh_driver(shape: int | tuple[int, ...]) -> DriverState:
    """A driver with a 10-h rest behind him, for ``shape`` samples."""
    return DriverState(np.zeros(shape), np.zeros(shape), np.zeros(shape))


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
    >>> elapsed, after = drive(np.array([5.0, 10.0, 11.0, 12.0, 30.0]))
    >>> elapsed.tolist()  # 10 h: a break after 8; 12 h: a full day (24 h) + 1; 30 h: 2 days + 8
    [5.0, 10.5, 11.5, 25.0, 56.0]
    >>> after.duty_h.tolist()
    [5.0, 10.5, 11.5, 1.0, 8.0]
    """
    left = np.array(driving_h, dtype=np.float64, copy=True)
    state = state or fresh_driver(left.shape)
    duty, used, since = (np.array(x, dtype=np.float64, copy=True) for x in state)
    elapsed = np.zeros_like(left)
    while True:  # one step = a stint of driving, then a break or a rest where driving remains
        active = left > _EPS
        if not active.any():
            break
        stint = np.minimum.reduce([left, DRIVE_H - used, WINDOW_H - duty, BREAK_AFTER_H - since])
        stint = np.where(active, np.maximum(stint, 0.0), 0.0)
        left -= stint
        elapsed += stint
        duty += stint
        used += stint
        since += stint
        more = left > _EPS
        rest = more & ((used >= DRIVE_H - _EPS) | (duty + (since >= BREAK_AFTER_H - _EPS) * BREAK_H
                                                   >= WINDOW_H - _EPS))
        pause = more & ~rest & (since >= BREAK_AFTER_H - _EPS)
        elapsed += np.where(rest, np.maximum(WINDOW_H - duty, 0.0) + OFF_H, 0.0) + np.where(pause, BREAK_H, 0.0)
        duty = np.where(rest, 0.0, duty + np.where(pause, BREAK_H, 0.0))
        used = np.where(rest, 0.0, used)
        since = np.where(rest | pause, 0.0, since)
    return elapsed, DriverState(duty, used, since)


def drive_fresh(driving_h: np.ndarray) -> np.ndarray:
    """Elapsed hours of a fresh driver's ``driving_h`` (:func:`drive` in closed form, for the hot path):
    each full day of :data:`DRIVE_H` takes :data:`DAY_H`, the last its driving + the break past
    :data:`BREAK_AFTER_H`.

    >>> drive_fresh(np.array([5.0, 10.0, 11.0, 12.0, 30.0])).tolist()
    [5.0, 10.5, 11.5, 25.0, 56.0]
    """
    d = np.asarray(driving_h, dtype=np.float64)
    full = np.maximum(np.ceil(d / DRIVE_H - _EPS) - 1.0, 0.0)
    last = d - full * DRIVE_H
    return full * DAY_H + last + np.where(last > BREAK_AFTER_H + _EPS, BREAK_H, 0.0)


def stop(state: DriverState, hours: np.ndarray) -> DriverState:
    """The state after ``hours`` at a node between two truck legs: on duty in the window, or a
    rest (a fresh driver) when the stop lasts at least :data:`OFF_H`.

    >>> stop(fresh_driver(2), np.array([2.0, 12.0])).duty_h.tolist()
    [2.0, 0.0]
    """
    hours = np.asarray(hours, dtype=np.float64)
    rested = hours >= OFF_H
    since = np.where(hours >= BREAK_H, 0.0, state.since_break_h)  # a 30-min stop counts as the break
    return DriverState(np.where(rested, 0.0, state.duty_h + hours), np.where(rested, 0.0, state.drive_h),
                       np.where(rested, 0.0, since))


def driving_hours(elapsed_h: np.ndarray) -> np.ndarray:
    """The driving time of a fresh driver's leg that takes ``elapsed_h`` (the inverse of :func:`drive`
    from a fresh driver): the builder writes a truck link's ``transit_h`` as that elapsed time.

    Each full day (24 h) holds :data:`DRIVE_H` of driving; the last day its hours, less the break
    if it runs past :data:`BREAK_AFTER_H`.

    >>> driving_hours(np.array([5.0, 10.5, 25.0, 56.0])).tolist()
    [5.0, 10.0, 12.0, 30.0]
    """
    t = np.asarray(elapsed_h, dtype=np.float64)
    last_day = DRIVE_H + BREAK_H
    days = np.floor(np.maximum(t - last_day, 0.0) / DAY_H + 1.0 - _EPS)
    days = np.where(t > last_day + _EPS, np.maximum(days, 1.0), 0.0)
    last = t - days * DAY_H
    last = np.where(last > BREAK_AFTER_H + BREAK_H, last - BREAK_H, np.minimum(last, BREAK_AFTER_H))
    return days * DRIVE_H + np.maximum(last, 0.0)
