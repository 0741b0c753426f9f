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

:func:`lexicographic` repeats this over several :class:`Stage` objectives, each over the optimal
face of the ones before it: a linear stage is a face LP whose own duals give the next face; a
quadratic stage (a diagonal convex QP, strictly convex in the columns it weighs) pins those columns
to one value, and its face is the LP of its gradient at the optimum with those columns fixed.
The stages count a reduced cost as non-zero only above :data:`FACE_TOLERANCE` of its terms' size
(``term_scaled``), so rounding under large duals does not fix a column one solver's face frees.
Every stage's answer is certified for the primary and for every earlier stage by the duals those
gave (:func:`routing.formulation.verify.duality_gap` <= ``TOLERANCE`` each), so it is an optimum of
the primary whatever the later stages do; a stage that is not certified ends the tie-break there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from routing.backends.highs import solve_lp, solve_qp
from routing.formulation.lp import LinearProgram
from routing.formulation.verify import TOLERANCE, duality_gap
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


def face_lp(lp: Any, x: np.ndarray, row_dual: np.ndarray, secondary: np.ndarray, *,
            term_scaled: bool = False) -> Any:
    """``lp`` (any program with ``c``, bounds, row bounds and ``matrix``) restricted to the optimal face
    that ``x`` and ``row_dual`` certify, with the objective ``secondary`` (see the module docstring).

    ``term_scaled``: a reduced cost counts as non-zero above :data:`FACE_TOLERANCE` times the size
    of its terms, ``1 + |c| + |A|^T |y|``, rather than ``1 + |c|``: where the duals are large (the
    horizon's backlog penalty), ``c - A^T y`` carries rounding of that size, and a column whose
    reduced cost is rounding must stay free, or two solvers' faces differ by it."""
    reduced = lp.c - lp.matrix.T @ row_dual
    size = 1.0 + np.abs(lp.c) + (abs(lp.matrix).T @ np.abs(row_dual) if term_scaled else 0.0)
    fixed = np.abs(reduced) > FACE_TOLERANCE * size
    lb, ub = lp.lb.copy(), lp.ub.copy()
    lb[fixed] = ub[fixed] = np.clip(x[fixed], lp.lb[fixed], lp.ub[fixed])
    activity = lp.matrix @ x
    scale = FACE_TOLERANCE * (1.0 + np.abs(row_dual).max(initial=0.0))
    active = (np.abs(row_dual) > scale) & (lp.row_lo < lp.row_hi)
    row_lo, row_hi = lp.row_lo.copy(), lp.row_hi.copy()
    row_lo[active] = row_hi[active] = np.clip(activity[active], lp.row_lo[active], lp.row_hi[active])
    return replace(lp, c=secondary, lb=lb, ub=ub, row_lo=row_lo, row_hi=row_hi)


@dataclass(frozen=True, slots=True)
class Program:
    """``min c.x`` subject to ``row_lo <= matrix x <= row_hi`` and ``lb <= x <= ub``: the least any
    solver here reads (:func:`without_fixed` returns one)."""

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    matrix: Any


@dataclass(frozen=True, slots=True)
class Stage:
    """One level of a lexicographic tie-break: minimise ``cost.x + x.diag(quadratic).x / 2`` over the
    optimal face of the levels before it (``quadratic``, when given, is >= 0: a convex QP)."""

    name: str
    cost: np.ndarray | None = None
    quadratic: np.ndarray | None = None

    def active(self, free: np.ndarray) -> bool:
        """Whether the stage can change anything among the columns ``free`` on the face."""
        return bool((self.cost is not None and np.any(self.cost[free]))
                    or (self.quadratic is not None and np.any(self.quadratic[free])))


@dataclass(frozen=True, slots=True)
class Lexicographic:
    """What :func:`lexicographic` returns: the columns, the seconds its solves took, how many stages
    were solved and certified, and ``detail`` ("" when all were, else which stage was not and why)."""

    x: np.ndarray
    solve_s: float
    solved: int
    detail: str = ""


def lexicographic(lp: Any, x: np.ndarray, row_dual: np.ndarray, stages: Sequence[Stage], *,
                  certificates: Sequence[tuple[Any, np.ndarray]], time_limit_s: float | None) -> Lexicographic:
    """Minimise each of ``stages`` in turn over the optimal face of ``lp`` (whose objective ``row_dual``
    and the optimum ``x`` certify) and of the stages before it; see the module docstring.

    ``certificates`` are the (program, row duals) pairs every answer must meet (the primary's);
    each stage adds its own. A stage that has nothing left to choose (its weights are zero on every
    column still free) is skipped without a solve.

    Example
    -------
    Two parallel arcs carry 2 loads at the same cost; the first stage prefers the second arc, so
    the second (a QP that alone would split them evenly) finds only that arc left on the face.

    >>> import scipy.sparse as sp
    >>> lp = Program(c=np.array([1.0, 1.0]), lb=np.zeros(2), ub=np.full(2, 5.0),
    ...              row_lo=np.array([2.0]), row_hi=np.array([2.0]), matrix=sp.csr_matrix(np.ones((1, 2))))
    >>> x, y = np.array([2.0, 0.0]), np.array([1.0])
    >>> out = lexicographic(lp, x, y, [Stage("second", cost=np.array([1.0, 0.0])),
    ...                                Stage("even", quadratic=np.ones(2))], certificates=[(lp, y)], time_limit_s=None)
    >>> out.x.round(9).tolist(), out.solved, out.detail
    ([0.0, 2.0], 2, '')
    """
    certified, spent, done = list(certificates), 0.0, 0
    for stage in stages:
        program = face_lp(lp, x, row_dual, np.zeros_like(lp.c), term_scaled=True)
        if not stage.active(program.lb < program.ub):
            done += 1
            continue
        solved = _solve_stage(program, stage, time_limit_s=time_limit_s)
        if solved is None:
            return Lexicographic(x, spent, done, f"the tie-break stage '{stage.name}' found no optimum; "
                                                 "ties from there on are the solver's")
        answer, stage_lp, stage_dual, seconds = solved
        spent += seconds
        gaps = [duality_gap(p, answer, y) for p, y in [*certified, (stage_lp, stage_dual)]]
        if not max(gaps) <= TOLERANCE:
            return Lexicographic(x, spent, done, f"the tie-break stage '{stage.name}' was not certified "
                                                 f"(gap {max(gaps):.2g}); ties from there on are the solver's")
        certified.append((stage_lp, stage_dual))
        lp, x, row_dual, done = _next_face(stage_lp, stage, answer), answer, stage_dual, done + 1
    return Lexicographic(x, spent, done)


def _solve_stage(face: Any, stage: Stage, *,
                 time_limit_s: float | None) -> tuple[np.ndarray, Any, np.ndarray, float] | None:
    """The stage's optimum over ``face``, the LP that certifies it and that LP's row duals, and the
    seconds; None when a solver found no optimum. A QP's certificate is the LP of its gradient at
    its answer, solved by simplex (a convex QP's answer is optimal exactly when it minimises that
    LP), so the QP may be solved on a reduced program (:func:`presolved`) without its duals."""
    cost = stage.cost if stage.cost is not None else np.zeros_like(face.c)
    if stage.quadratic is None:
        program = replace(face, c=cost)
        answer = solve_lp(program, time_limit_s=time_limit_s)
        if answer.status.value != "optimal":
            return None
        return answer.x, program, answer.row_dual, answer.solve_s
    reduced, free, x = presolved(replace(face, c=cost))
    seconds = 0.0
    if free.any():  # else the rows alone fix every column
        # no regularisation: HiGHS's default adds 1e-7 to every diagonal entry, a term of its own
        answer = solve_qp(reduced, stage.quadratic[free], time_limit_s=time_limit_s, regularization=0.0)
        if answer.status.value != "optimal":
            return None
        x[free], seconds = np.clip(answer.x, reduced.lb, reduced.ub), answer.solve_s
    program = replace(face, c=cost + stage.quadratic * x)
    gradient = solve_lp(program, time_limit_s=time_limit_s)
    if gradient.status.value != "optimal":
        return None
    return x, program, gradient.row_dual, seconds + gradient.solve_s


def _next_face(stage_lp: Any, stage: Stage, x: np.ndarray) -> Any:
    """The program whose face (under the stage's duals) is the stage's optimal set: the stage's LP,
    with a QP's weighed columns fixed at their (unique) optimal values."""
    if stage.quadratic is None:
        return stage_lp
    weighed = stage.quadratic > 0
    return replace(stage_lp, lb=np.where(weighed, x, stage_lp.lb), ub=np.where(weighed, x, stage_lp.ub))


def presolved(lp: Any) -> tuple[Program, np.ndarray, np.ndarray]:
    """``lp`` on fewer columns and rows, the same feasible set (for a solver without presolve, such
    as HiGHS's QP solver, on a face where most columns are fixed): repeatedly, a row with one free
    column becomes that column's bounds, and the fixed columns (``lb == ub``) go into the row bounds
    (:func:`without_fixed`). Returns the program, the mask of the columns it keeps and a full vector
    with every other column at its value (the kept ones to be filled in). Primal only: the rows it
    drops get no duals (certify the answer on ``lp``)."""
    lb, ub = lp.lb.astype(np.float64, copy=True), lp.ub.astype(np.float64, copy=True)
    matrix = lp.matrix.tocsr()
    active = np.ones(len(lp.row_lo), dtype=bool)
    while True:
        kept = np.flatnonzero(active)
        program, free, rows = without_fixed(Program(lp.c, lb, ub, lp.row_lo[kept], lp.row_hi[kept], matrix[kept]))
        single = np.flatnonzero(np.diff(program.matrix.indptr) == 1)
        if not single.size:
            return program, free, lb.copy()
        first = program.matrix.indptr[single]
        coef = program.matrix.data[first]
        column = np.flatnonzero(free)[program.matrix.indices[first]]
        np.maximum.at(lb, column, np.where(coef > 0, program.row_lo[single], program.row_hi[single]) / coef)
        np.minimum.at(ub, column, np.where(coef > 0, program.row_hi[single], program.row_lo[single]) / coef)
        crossed = lb > ub  # rounding between a row's bound and the column's: one value
        lb[crossed] = ub[crossed] = 0.5 * (lb[crossed] + ub[crossed])
        active[kept[rows[single]]] = False


def without_fixed(lp: Any) -> tuple[Program, np.ndarray, np.ndarray]:
    """``lp`` on its free columns only (``lb < ub``): the fixed columns' activity moved into the row
    bounds and the rows with no free column dropped. Returns the program (``c``, bounds, row
    bounds, ``matrix``), the free columns' mask and the kept rows' indices. For a solver without
    presolve, on a face where most columns are fixed."""
    free = lp.lb < lp.ub
    matrix = lp.matrix.tocsc()
    fixed_activity = matrix[:, ~free] @ lp.lb[~free]
    kept_matrix = matrix[:, free].tocsr()
    rows = np.flatnonzero(np.diff(kept_matrix.indptr) > 0)
    program = Program(c=lp.c[free], lb=lp.lb[free], ub=lp.ub[free], matrix=kept_matrix[rows],
                      row_lo=(lp.row_lo - fixed_activity)[rows], row_hi=(lp.row_hi - fixed_activity)[rows])
    return program, free, rows
