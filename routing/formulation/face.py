"""Exact tie-breaking: the secondary objective minimised over the primary's optimal face.

Every optimal solution of an LP satisfies complementary slackness with every optimal dual. So,
given one optimal dual ``y`` with reduced costs ``d = c - A^T y``, the optimal solutions are the
feasible points that keep each column with ``d_j != 0`` at its bound and each row with ``y_i != 0``
at its active side. :func:`optimal_face` returns that face as an LP whose objective is the
secondary one (cost under ``lead_time``, hours under ``cost``): solving it gives, among all
lead-time optima, one of least cost, whatever backend and start found the first optimum. Columns
and rows are fixed at the values of the first solution (which lies on the face), so the face is
never empty; a reduced cost or dual counts as non-zero above :data:`FACE_TOLERANCE` relative to
the cost, so solver noise can only fix more, never free a column that must stay.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from routing.formulation.lp import LinearProgram
from routing.formulation.weights import Weights

FACE_TOLERANCE = 1e-9


def optimal_face(lp: LinearProgram, x: np.ndarray, row_dual: np.ndarray, weights: Weights,
                 n_commodities: int) -> LinearProgram | None:
    """The LP of the optimal face with the secondary objective, or None when nothing breaks ties.

    Example
    -------
    >>> from networks import read_network
    >>> from routing.formulation.lp import build_lp
    >>> from routing.formulation.weights import objective_weights
    >>> from routing.backends.highs import solve_lp
    >>> arrays = read_network().arrays
    >>> weights = objective_weights(arrays, "lead_time", usd_per_load_hour=5.0)
    >>> lp = build_lp(arrays, weights)
    >>> first = solve_lp(lp, time_limit_s=None)
    >>> face = optimal_face(lp, first.x, first.row_dual, weights, arrays.n_commodities)
    >>> bool(np.all(face.lb <= first.x + 1e-9) and np.all(first.x <= face.ub + 1e-9))
    True
    """
    if not weights.secondary.size or not np.any(weights.secondary):
        return None
    secondary = np.zeros_like(lp.c)
    secondary[:lp.n_flow] = np.tile(weights.secondary, n_commodities)
    return face_lp(lp, x, row_dual, secondary)


def face_lp(lp: Any, x: np.ndarray, row_dual: np.ndarray, secondary: np.ndarray) -> Any:
    """``lp`` (any program with ``c``, bounds, row bounds and ``matrix``) restricted to the optimal face
    that ``x`` and ``row_dual`` certify, with the objective ``secondary`` (see the module docstring)."""
    reduced = lp.c - lp.matrix.T @ row_dual
    fixed = np.abs(reduced) > FACE_TOLERANCE * (1.0 + np.abs(lp.c))
    lb, ub = lp.lb.copy(), lp.ub.copy()
    lb[fixed] = ub[fixed] = np.clip(x[fixed], lp.lb[fixed], lp.ub[fixed])
    activity = lp.matrix @ x
    scale = FACE_TOLERANCE * (1.0 + np.abs(row_dual).max(initial=0.0))
    active = (np.abs(row_dual) > scale) & (lp.row_lo < lp.row_hi)
    row_lo, row_hi = lp.row_lo.copy(), lp.row_hi.copy()
    row_lo[active] = row_hi[active] = np.clip(activity[active], lp.row_lo[active], lp.row_hi[active])
    return replace(lp, c=secondary, lb=lb, ub=ub, row_lo=row_lo, row_hi=row_hi)
