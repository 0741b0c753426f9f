"""The wait at a border crossing as a function of its utilisation.

A lane type of a crossing (``fast``, ``general``, ``rail``) serves
``capacity = lanes x loads_per_lane_hour x open_h_per_day`` loads per day. At utilisation
``rho = volume / capacity`` the mean wait of a load is

    W(rho) = wait_typical_h x g(rho) / g(rho_ref),    g(rho) = rho / (1 - rho),

the heavy-traffic shape of Kingman's formula for a queue (the mean wait grows as
``rho / (1 - rho)`` times service time and arrival/service variability; both factors are absorbed
into the calibration). ``rho_ref`` is today's utilisation (``reference_loads_per_day /
capacity`` of the lanes open at the time, ``reference_lanes``), so the curve returns exactly the
observed typical wait at today's volume and a scenario that adds or closes lanes moves along it. The wait
is taken as gamma-distributed around that mean with the observed p95/typical ratio, so the p95 at
today's volume is the observed p95 too. Utilisation is capped at ``RHO_MAX``: beyond it a real
queue does not settle within a day.

Modelled loads share the lanes with ``background_loads_per_day`` of traffic the network does not
route (empties, other goods), so ``rho = (background + volume) / capacity``. The total wait
``T(x) = x W(x / capacity)`` is convex in the total volume ``x``, so the LP can carry the extra wait
the modelled volume causes as parallel segments with rising marginal wait (:func:`wait_segments`).
"""

from __future__ import annotations

import numpy as np

RHO_MAX = 0.95
RHO_MIN = 0.01
"""The least utilisation a wait curve may be calibrated at: the curve is scaled by
``1 / g(rho_ref)``, so at 1% the wait at ``RHO_MAX`` is ~1900 x the typical one; near 0 it would
overflow to inf and no solver could use it."""


def lane_capacity(lanes: np.ndarray, loads_per_lane_hour: np.ndarray, open_h_per_day: np.ndarray) -> np.ndarray:
    """Loads per day a lane type can serve."""
    return lanes * loads_per_lane_hour * open_h_per_day


def _g(rho: np.ndarray) -> np.ndarray:
    rho = np.minimum(rho, RHO_MAX)
    return rho / (1.0 - rho)


def wait_h(rho: np.ndarray, rho_ref: np.ndarray, wait_typical_h: np.ndarray) -> np.ndarray:
    """Mean wait (hours) at utilisation ``rho`` of a curve calibrated to ``wait_typical_h`` at ``rho_ref``."""
    scale = _g(np.asarray(rho_ref, dtype=float))
    return np.divide(wait_typical_h * _g(np.asarray(rho, dtype=float)), scale,
                     out=np.zeros(np.broadcast(rho, rho_ref, wait_typical_h).shape), where=scale > 0)


def total_wait_h(volume: np.ndarray, capacity: np.ndarray, rho_ref: np.ndarray, wait_typical_h: np.ndarray) -> np.ndarray:
    """Load-hours of waiting per day: ``volume x W(volume / capacity)`` (0 where capacity is 0)."""
    safe = np.where(capacity > 0, capacity, 1.0)
    return np.where(capacity > 0, volume * wait_h(volume / safe, rho_ref, wait_typical_h), 0.0)


def breakpoints(start: np.ndarray, n_segments: int) -> np.ndarray:
    """Utilisations ``start = r_0 < ... < r_n = RHO_MAX`` per row, denser where the curve is steep:
    ``1 - r_i = (1 - start) x ((1 - RHO_MAX) / (1 - start)) ** (i / n)``."""
    start = np.minimum(np.asarray(start, dtype=float), RHO_MAX)[:, None]
    step = np.arange(n_segments + 1)[None, :] / n_segments
    return 1.0 - (1.0 - start) * ((1.0 - RHO_MAX) / (1.0 - start)) ** step


def wait_segments(capacity: np.ndarray, background: np.ndarray, rho_ref: np.ndarray, wait_typical_h: np.ndarray,
                  n_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """Segment widths (modelled loads/day) and marginal waits (hours per load), shape (lane types, segments).

    The modelled volume ``v`` queues with the ``background`` traffic, so its cost is the extra total
    wait ``T(b + v) - T(b)`` it causes, its own and the background's (system-optimal). Segment ``j``
    spans utilisations ``[r_j, r_j+1]`` from ``b / capacity`` to ``RHO_MAX``; its slope is the secant
    of ``T`` there, so the piecewise-linear wait touches ``T`` at every breakpoint and slopes rise.
    """
    safe = np.where(capacity > 0, capacity, 1.0)
    r = breakpoints(background / safe, n_segments)
    total_volume = np.where(capacity[:, None] > 0, capacity[:, None] * r, 0.0)
    total = total_wait_h(total_volume, capacity[:, None], rho_ref[:, None], wait_typical_h[:, None])
    width = np.diff(total_volume, axis=1)
    slope = np.divide(np.diff(total, axis=1), width, out=np.zeros_like(width), where=width > 0)
    return width, slope


def wait_p95_h(mean_h: np.ndarray, typical_h: np.ndarray, p95_h: np.ndarray) -> np.ndarray:
    """p95 wait at a mean of ``mean_h``, keeping the observed p95/typical ratio."""
    ratio = np.where(np.isfinite(p95_h) & (typical_h > 0), p95_h / np.where(typical_h > 0, typical_h, 1.0), 1.0)
    return mean_h * ratio


def equilibrium_segments(capacity: np.ndarray, background: np.ndarray, rho_ref: np.ndarray,
                         wait_typical_h: np.ndarray, n_segments: int) -> tuple[np.ndarray, np.ndarray]:
    """Segments like :func:`wait_segments` whose slopes are the mean of the wait ``W`` over each
    segment (the secant of ``integral W``), not the marginal total wait: minimising
    ``sum integral_0^v W`` gives a user equilibrium (Beckmann), where every load takes the route that
    is best for itself at the waits it finds and ignores the wait it adds for the others.

    With ``W(rho) = A rho / (1 - rho)``, ``A = wait_typical_h / g(rho_ref)``:
    ``integral_0^v W(s / capacity) ds = A capacity (-rho - ln(1 - rho))``, ``rho = v / capacity``.
    """
    safe = np.where(capacity > 0, capacity, 1.0)
    r = breakpoints(background / safe, n_segments)
    scale = _g(np.asarray(rho_ref, dtype=float))
    a = np.divide(wait_typical_h, scale, out=np.zeros_like(scale), where=scale > 0)
    total = a[:, None] * safe[:, None] * (-r - np.log1p(-r))
    total_volume = np.where(capacity[:, None] > 0, capacity[:, None] * r, 0.0)
    width = np.diff(total_volume, axis=1)
    slope = np.divide(np.diff(total, axis=1), width, out=np.zeros_like(width), where=width > 0)
    return width, slope
