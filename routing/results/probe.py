"""One more unit of a capacity, read off the optimal basis instead of re-solved.

A capacity probe (:class:`routing.model.CapacityProbe`) asks what the LP's optimum becomes when one
bound moves by one unit: a link capacity, node throughput, power or water row's upper bound, or a
supply column's upper bound. When the solve's optimal basis ``B`` stays primal feasible after the
move, it stays optimal (the duals, and so dual feasibility, do not depend on bounds), and the new
vertex is the old one plus a step along one column of ``B^-1``: for a row ``i`` moved by ``delta``
the basic variables change by ``B^-1 (delta e_i)``, for a column ``j`` by ``-B^-1 (delta A_j)``.
That is the vertex a simplex re-solve warm-started from ``B`` returns (with no iteration), for the
cost of one sparse solve. A bound the vertex does not sit on (a capacity with room left, a supply
row below its limit) moves nothing: the vertex stays, and stays optimal. Every step is checked before it is used: the bumped row or column is
nonbasic, every other nonbasic row keeps its activity, and the new point is feasible; a step that
fails any check (a degenerate basis that must pivot, a basic capacity) is left to a re-solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from networks import NetworkArrays
from routing.formulation.lp import LinearProgram

FEASIBILITY = 1e-9
"""How much further outside a bound than the solve's own point a step may end (absolute), and how far a
nonbasic row's activity may drift, before the step is left to a re-solve."""


@dataclass(frozen=True, slots=True)
class BoundMove:
    """Which bound of the LP one more unit of a capacity moves: row ``index``'s upper bound
    (``row``) or column ``index``'s upper bound, from ``old`` to ``new``."""

    row: bool
    index: int
    old: float
    new: float

    @property
    def delta(self) -> float:
        return self.new - self.old


STEPS = {"link": ("capacity", 1.0), "node": ("throughput", 1.0), "supply": ("supply_capacity", 1.0),
         "power": ("power_mw", 1.0 / 24.0), "water": ("water_m3_per_day", 1.0)}
"""The field of :class:`networks.NetworkArrays` that one more unit of each kind of capacity changes, and
by how much (power: 1 MWh/day more, 1/24 MW)."""


def bound_move(lp: LinearProgram, arrays: NetworkArrays, kind: str, owner: int, step: float) -> BoundMove:
    """The bound of ``lp`` (built from ``arrays``) that ``step`` more of capacity ``owner`` of ``kind``
    moves, with the values :func:`routing.formulation.lp.with_bounds` gives it before and after."""
    field = STEPS[kind][0]
    value = float(getattr(arrays, field)[owner])
    if kind == "supply":
        return BoundMove(False, lp.n_flow + owner, value, value + step)
    order = (("link", lp.capacity_rows, 1.0), ("node", lp.throughput_rows, 1.0), ("power", lp.power_rows, 24.0),
             ("water", lp.water_rows, 1.0))
    first = lp.first_capacity_row
    for name, owners, scale in order:
        if name == kind:
            position = int(np.searchsorted(owners, owner))
            if position >= len(owners) or owners[position] != owner:
                raise ValueError(f"{kind} {owner} has no row in the LP")
            return BoundMove(True, first + position, scale * value, scale * (value + step))
        first += len(owners)
    raise ValueError(f"unknown kind of capacity {kind!r}")


def basis_rhs(lp: LinearProgram, moves: list[BoundMove]) -> np.ndarray:
    """(rows, moves): the right-hand side ``B d = rhs`` whose solution ``d`` is each move's step of
    the basic variables: ``delta e_i`` for a row, ``-delta A_j`` for a column."""
    rhs = np.zeros((lp.matrix.shape[0], len(moves)))
    is_row = np.array([m.row for m in moves], dtype=bool)
    index = np.array([m.index for m in moves], dtype=np.int64)
    delta = np.array([m.delta for m in moves])
    rows = np.flatnonzero(is_row)
    rhs[index[rows], rows] = delta[rows]
    cols = np.flatnonzero(~is_row)
    if len(cols):
        rhs[:, cols] = -(lp.matrix[:, index[cols]].toarray() * delta[cols])
    return rhs


def basis_steps(lp: LinearProgram, x: np.ndarray, basic: np.ndarray, solves: np.ndarray,
                moves: list[BoundMove]) -> tuple[np.ndarray, np.ndarray]:
    """Each move's step of the LP vector from vertex ``x`` of basis ``basic`` (HiGHS's basic variables:
    column ``j`` as ``j``, row ``i`` as ``-1 - i``; ``solves[:, j]`` = ``B^-1 rhs[:, j]`` of
    :func:`basis_rhs`), as (variables, moves), and whether each step is valid (see the module docstring)."""
    n_rows, n_vars = lp.matrix.shape
    c = len(moves)
    is_row = np.array([m.row for m in moves], dtype=bool)
    index = np.array([m.index for m in moves], dtype=np.int64)
    delta = np.array([m.delta for m in moves])
    new = np.array([m.new for m in moves])
    at_col = basic >= 0
    cols, logical_rows = basic[at_col], -1 - basic[~at_col]
    old = np.array([m.old for m in moves])
    activity = lp.matrix @ x
    # a bound the vertex does not sit on moves nothing: the vertex stays, and stays optimal
    held = np.where(is_row, activity[np.where(is_row, index, 0)], x[np.where(is_row, 0, index)]) >= old - FEASIBILITY
    steps = np.zeros((n_vars, c))
    steps[cols] = solves[at_col] * held
    moved_cols = np.flatnonzero(~is_row & held)
    steps[index[moved_cols], moved_cols] = delta[moved_cols]
    basic_row = np.zeros(n_rows, dtype=bool)
    basic_row[logical_rows] = True
    basic_col = np.zeros(n_vars, dtype=bool)
    basic_col[cols] = True
    ok = np.where(is_row, ~basic_row[np.where(is_row, index, 0)], ~basic_col[np.where(is_row, 0, index)])
    # every nonbasic row keeps its activity, the moved row moves by its delta
    drift = lp.matrix @ steps
    moved_rows = np.flatnonzero(is_row & held)
    drift[index[moved_rows], moved_rows] -= delta[moved_rows]
    ok &= np.abs(drift[~basic_row]).max(axis=0, initial=0.0) <= FEASIBILITY
    # the basic columns and the rows stay within their bounds (the moved bound at its new value)
    ub = lp.ub[cols][:, None].repeat(c, axis=1)
    row_hi = lp.row_hi[:, None].repeat(c, axis=1)
    row_hi[index[is_row], np.flatnonzero(is_row)] = new[is_row]
    moved_x = x[cols][:, None] + steps[cols]
    ok &= (_outside(moved_x, lp.lb[cols][:, None], ub) <= _outside(x[cols], lp.lb[cols], lp.ub[cols])[:, None]
           + FEASIBILITY).all(axis=0)
    ok &= (_outside(activity[:, None] + drift_rows(drift, index, delta, is_row & held), lp.row_lo[:, None], row_hi)
           <= _outside(activity, lp.row_lo, lp.row_hi)[:, None] + FEASIBILITY).all(axis=0)
    return steps, ok


def drift_rows(drift: np.ndarray, index: np.ndarray, delta: np.ndarray, is_row: np.ndarray) -> np.ndarray:
    """The change of every row's activity from the drift (the moved row's delta added back)."""
    change = drift.copy()
    change[index[is_row], np.flatnonzero(is_row)] += delta[is_row]
    return change


def _outside(value: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """How far each value lies outside its bounds (0 inside)."""
    with np.errstate(invalid="ignore"):
        return np.maximum(np.maximum(lo - value, value - hi), 0.0)
