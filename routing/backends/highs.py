"""HiGHS through ``highspy``: the LP passed in one call as a column-wise sparse matrix."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from routing.backends.outcome import LpSolution, Status

if TYPE_CHECKING:  # the backends take the LP as data and never import the formulation
    from routing.formulation.lp import LinearProgram


def highs_available() -> bool:
    """Whether the ``highspy`` package can be imported."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def _stdout_silenced() -> Iterator[None]:
    """HiGHS prints a banner on stdout when created; keep stdout clean for JSON output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(*, threads: int = 1) -> object:
    """A quiet, single-threaded HiGHS instance (threads must be set before the first run)."""
    import highspy

    with _stdout_silenced():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", threads)
    return highs


class HighsSession:
    """One HiGHS instance across solves: a new LP is passed whole; a variant of the last one
    (same matrix) only changes the costs and bounds that differ.

    Every variant warm-starts from the optimal basis of the first LP of its structure (the anchor),
    not from the previous variant's, so a variant's answer does not depend on the order of the
    solves, nor on :meth:`solve_from` calls in between."""

    def __init__(self) -> None:
        self.highs = new_highs()
        self._last: LinearProgram | None = None
        self._anchor: tuple[object, object] | None = None  # (matrix, its first LP's optimal basis)
        self._factored: tuple[object, ...] | None = None  # (lp, basis, vertex, basic variables) HiGHS holds factorised
        self._hot: tuple[object, object] | None = None  # (lp, basis): HiGHS holds lp, solved from basis or a move of it
        self._solved: tuple[object, np.ndarray] | None = None  # (lp, x): HiGHS holds lp at the optimum of its last solve
        self._at: tuple[object, object, np.ndarray] | None = None  # (lp, basis, x): that optimum, factorised, as basis()
        self._vertex: AnchorVertex | None = None  # the anchor basis, factorised (see anchor_vertex)
        self._from_anchor = False  # the last solve's answer is the anchor's vertex: HiGHS did not run

    def solve(self, lp: LinearProgram, *, reuse: bool, time_limit_s: float | None) -> LpSolution:
        """Solve ``lp``; ``reuse`` promises it has the matrix of the previous LP of its structure."""
        warm = reuse and self._anchor is not None and self._anchor[0] is lp.matrix
        self._factored = self._hot = self._solved = self._at = None
        self._from_anchor = False
        if warm:
            start = time.perf_counter()
            found = self.anchor_vertex(lp)
            if found is not None:  # what HiGHS would return from the anchor without a pivot
                self._from_anchor = True
                return LpSolution(Status.OPTIMAL, *found, time.perf_counter() - start)
            self._load(lp)
            self.highs.setBasis(self._anchor[1])
        else:
            _pass_model(self.highs, lp)
            self._last = lp
        answer = _run(self.highs, time_limit_s)
        if not warm:
            self._anchor = (lp.matrix, self.highs.getBasis()) if answer.status == Status.OPTIMAL else None
            self._vertex = None
        self._solved = (lp, answer.x) if answer.status == Status.OPTIMAL else None
        return answer

    @property
    def anchor_basis(self) -> object | None:
        """The optimal basis of the first LP of the current structure, which every variant starts from."""
        return None if self._anchor is None else self._anchor[1]

    def anchor_vertex(self, lp: LinearProgram) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``lp``'s vertex and duals at the anchor basis when that basis is optimal for it (see
        :class:`AnchorVertex`; the anchor is factorised once), else None."""
        if self._anchor is None or self._anchor[0] is not lp.matrix:
            return None
        if self._vertex is None or self._vertex.matrix is not lp.matrix:
            self._vertex = AnchorVertex(lp.matrix, self._anchor[1])
        return self._vertex.vertex(lp)

    def basis(self) -> object:
        """The basis of the last solve's optimum (to start :meth:`solve_from` there later, or to
        hand to :meth:`basis_solves`, which then uses the factorisation HiGHS still holds): the
        anchor when the anchor was still optimal, so HiGHS did not run."""
        if self._from_anchor:
            return self._anchor[1]
        basis = self.highs.getBasis()
        if self._solved is not None:
            self._at = (self._solved[0], basis, self._solved[1])
        return basis

    def solve_from(self, lp: LinearProgram, basis: object, *, time_limit_s: float | None,
                   duals: bool = True) -> LpSolution:
        """Solve ``lp`` from ``basis``, a basis of an LP with the same matrix (the tie-break over a
        variant's optimal face, from the anchor of the session that solved the variant). The anchor
        stays, so :meth:`solve` answers as if this solve had not happened. Without ``duals`` only
        the primal vector is read (HiGHS hands each vector over as a Python list)."""
        self._load(lp)
        self.highs.setBasis(basis)
        return _run(self.highs, time_limit_s, duals=duals)

    def basis_solves(self, lp: LinearProgram, basis: object,
                     rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Factorise ``basis``, an optimal basis of ``lp``, and solve ``B d = rhs[:, j]`` for each
        column: returns the basis's vertex, its basic variables (column ``j`` as ``j``, row ``i`` as
        ``-1 - i``, in the order of ``d``'s entries) and the solutions ``d`` (one column each). None
        when HiGHS has to iterate from ``basis`` (it is not optimal for ``lp``). The factorisation is
        kept for the next call with the same ``lp`` and ``basis`` until another solve; the anchor stays.
        When HiGHS still holds ``lp`` at the optimum that :meth:`basis` returned ``basis`` for, its
        factorisation is used as it is (no load, no run)."""
        factored, at = self._factored, self._at
        if (factored is None or factored[0] is not lp or factored[1] is not basis) and (
                at is not None and at[0] is lp and at[1] is basis):
            basic = np.asarray(self.highs.getBasicVariables()[1], dtype=np.int64)
            self._factored = factored = (lp, basis, at[2], basic)
            self._hot = (lp, basis)
        elif factored is None or factored[0] is not lp or factored[1] is not basis:
            self._load(lp)
            self.highs.setBasis(basis)
            answer = _run(self.highs, None, duals=False)
            if answer.status != Status.OPTIMAL or self.highs.getInfo().simplex_iteration_count != 0:
                return None
            basic = np.asarray(self.highs.getBasicVariables()[1], dtype=np.int64)
            self._factored = factored = (lp, basis, answer.x, basic)
            self._hot = (lp, basis)
        solves = np.empty((len(factored[3]), rhs.shape[1]))
        for j in range(rhs.shape[1]):
            solves[:, j] = self.highs.getBasisSolve(np.ascontiguousarray(rhs[:, j]))[1]
        return factored[2], factored[3], solves

    def solve_moved(self, lp: LinearProgram, basis: object, *, row: bool, index: int, upper: float,
                    hot: bool = False) -> LpSolution:
        """:meth:`solve_from` of ``lp`` with one upper bound moved (row or column ``index`` to
        ``upper``), without passing the rest of the LP again; HiGHS holds ``lp`` unchanged after.
        ``hot``: start where HiGHS stands when it holds ``lp`` solved from ``basis`` or a move of it
        (its basis, factorisation and pricing weights kept), else from ``basis`` as without it: for
        callers that read only what every optimum shares (the objective), not the vertex."""
        if self._last is not lp:
            self._load(lp)
        warm = hot and any(held is not None and held[0] is lp and held[1] is basis for held in (self._hot, self._at))
        self._factored, self._hot, self._solved, self._at = None, (lp, basis) if hot else None, None, None
        change = self.highs.changeRowBounds if row else self.highs.changeColBounds
        lower, old = (lp.row_lo[index], lp.row_hi[index]) if row else (lp.lb[index], lp.ub[index])
        change(index, lower, upper)
        if not warm:
            self.highs.clearSolver()
            self.highs.setBasis(basis)
        try:
            return _run(self.highs, None, duals=False)
        finally:
            change(index, lower, old)

    def _load(self, lp: LinearProgram) -> None:
        """Make ``lp`` the model HiGHS holds: only what differs from the last one when the matrix is
        the same, with no factorisation or pricing weights left from the previous solve."""
        self._factored = self._hot = self._solved = self._at = None
        if self._last is not None and self._last.matrix is lp.matrix:
            self._update(self._last, lp)
            self.highs.clearSolver()
        else:
            _pass_model(self.highs, lp)
        self._last = lp

    def _update(self, old: LinearProgram, new: LinearProgram) -> None:
        cols = np.flatnonzero((old.c != new.c) | (old.lb != new.lb) | (old.ub != new.ub)).astype(np.int32)
        rows = np.flatnonzero((old.row_lo != new.row_lo) | (old.row_hi != new.row_hi)).astype(np.int32)
        if len(cols):
            self.highs.changeColsCost(len(cols), cols, new.c[cols])
            self.highs.changeColsBounds(len(cols), cols, new.lb[cols], new.ub[cols])
        if len(rows):
            self.highs.changeRowsBounds(len(rows), rows, new.row_lo[rows], new.row_hi[rows])


def solve_lp(lp: LinearProgram, *, time_limit_s: float | None, method: str = "simplex") -> LpSolution:
    """Solve an LP once with a fresh HiGHS instance: dual simplex, or ``method="ipm"`` (interior
    point with crossover, so the answer is a vertex with exact duals as from simplex), or
    ``method="interior"`` (interior point without crossover: a point inside the optimal face and
    duals to its tolerance, not a vertex)."""
    highs = new_highs()
    if method in ("ipm", "interior"):
        highs.setOptionValue("solver", "ipm")
        highs.setOptionValue("run_crossover", "on" if method == "ipm" else "off")
    _pass_model(highs, lp)
    return _run(highs, time_limit_s)


QP_REGULARIZATION = 1e-7
"""HiGHS's own default: what its active-set QP solver adds to the Hessian's diagonal."""


def solve_qp(lp: LinearProgram, hessian_diagonal: np.ndarray, *, time_limit_s: float | None,
             regularization: float = QP_REGULARIZATION) -> LpSolution:
    """Solve ``min c.x + x.diag(q).x / 2`` over ``lp``'s rows and bounds (``q = hessian_diagonal >= 0``,
    a convex QP) with HiGHS's active-set QP solver, fresh instance; row duals as for an LP. The
    solver adds ``regularization`` to every diagonal entry (:data:`QP_REGULARIZATION`)."""
    import highspy

    highs = new_highs()
    highs.setOptionValue("qp_regularization_value", float(regularization))
    _pass_model(highs, lp)
    q = np.asarray(hessian_diagonal, dtype=np.float64)
    on = np.flatnonzero(q)
    start = np.concatenate([[0], np.cumsum(q != 0)]).astype(np.int32)
    highs.passHessian(len(q), len(on), highspy.HessianFormat.kTriangular, start, on.astype(np.int32), q[on])
    return _run(highs, time_limit_s)


def _pass_model(highs: object, lp: LinearProgram) -> None:
    import highspy

    model = highspy.HighsLp()
    matrix = lp.matrix.tocsc()
    model.num_col_, model.num_row_ = matrix.shape[1], matrix.shape[0]
    model.col_cost_, model.col_lower_, model.col_upper_ = lp.c, lp.lb, lp.ub
    model.row_lower_, model.row_upper_ = lp.row_lo, lp.row_hi
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_, model.a_matrix_.index_ = matrix.indptr, matrix.indices
    model.a_matrix_.value_ = matrix.data
    highs.passModel(model)


def _run(highs: object, time_limit_s: float | None, *, duals: bool = True) -> LpSolution:
    highs.setOptionValue("time_limit", float(time_limit_s) if time_limit_s else float("inf"))
    start = time.perf_counter()
    highs.run()
    elapsed = time.perf_counter() - start
    status = _status(highs)
    if not status.has_solution:
        empty = np.zeros(0)
        detail = highs.modelStatusToString(highs.getModelStatus())
        return LpSolution(status, empty, empty, empty, elapsed, detail=detail)
    solution = highs.getSolution()
    if not duals:
        return LpSolution(status, _vector(solution.col_value), np.zeros(0), np.zeros(0), elapsed)
    return LpSolution(status, _vector(solution.col_value), _vector(solution.row_dual), _vector(solution.col_dual),
                      elapsed)


def _vector(values: list[float]) -> np.ndarray:
    """A vector HiGHS hands over as a list of floats, as float64 (``fromiter`` with the dtype given
    takes 0.14 ms for the built-in LP's 4,185 columns, ``asarray`` 0.25 ms: it infers the type)."""
    return np.fromiter(values, np.float64, len(values))


def _status(highs: object) -> Status:
    import highspy

    code = highs.getModelStatus()
    if code == highspy.HighsModelStatus.kOptimal:
        return Status.OPTIMAL
    if code == highspy.HighsModelStatus.kInfeasible:
        return Status.INFEASIBLE
    if code in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return Status.UNBOUNDED
    has_primal = highs.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    return Status.FEASIBLE if has_primal else Status.NOT_SOLVED


VERTEX_TOLERANCE = 1e-11
"""How far outside a bound a value, or on the wrong side of zero a reduced cost, may be before
:class:`AnchorVertex` leaves the LP to HiGHS (absolute). HiGHS's own tolerances are 1e-7 on its
scaled LP, so this leaves room for scale factors up to 1e4; the rounding of the basis solves on
the built-in network's sweep was at most 9.1e-13 (primal) and 9.9e-14 (reduced costs), 2026-12-02.
A value past it only sends the LP to HiGHS."""


class AnchorVertex:
    """An optimal basis, factorised once, that tells for an LP of the same matrix (other bounds and
    costs) whether the basis is still optimal, and then its vertex and duals: what a dual simplex
    run warm-started from that basis returns without a pivot, for two sparse solves.

    The basis is still optimal when its vertex (the nonbasic columns and rows at the bounds their
    statuses name, the basic ones from ``B``) is within every bound and its reduced costs have the
    sign of their bounds, both to :data:`VERTEX_TOLERANCE`, far stricter than HiGHS's own: then
    HiGHS, given the basis, finds nothing to pivot on and returns that vertex (to rounding). Anything
    else (a bound that became infinite, a violated bound or reduced cost) answers None.

    Example
    -------
    >>> from networks import read_network
    >>> from routing.formulation.lp import build_lp
    >>> from routing.formulation.weights import objective_weights
    >>> arrays = read_network().arrays
    >>> lp = build_lp(arrays, objective_weights(arrays, "lead_time", usd_per_load_hour=5.0))
    >>> session = HighsSession()
    >>> answer = session.solve(lp, reuse=False, time_limit_s=None)
    >>> x, row_dual, col_dual = AnchorVertex(lp.matrix, session.anchor_basis).vertex(lp)
    >>> bool(np.allclose(x, answer.x, atol=1e-9) and np.allclose(row_dual, answer.row_dual, atol=1e-9))
    True
    """

    def __init__(self, matrix: object, basis: object) -> None:
        from scipy import sparse
        from scipy.sparse.linalg import splu

        self.matrix = matrix
        csc = sparse.csc_matrix(matrix)
        n_rows = csc.shape[0]
        self.col = np.array([int(s) for s in basis.col_status], dtype=np.int8)
        self.row = np.array([int(s) for s in basis.row_status], dtype=np.int8)
        self.basic_cols = np.flatnonzero(self.col == 1)
        self.basic_rows = np.flatnonzero(self.row == 1)
        self.lu = None
        nonbasic_other = np.any(self.col >= 3) or np.any(self.row >= 3)  # kZero, kNonbasic: free nonbasic
        if nonbasic_other or len(self.basic_cols) + len(self.basic_rows) != n_rows:
            return
        slack = sparse.csc_matrix((-np.ones(len(self.basic_rows)), (self.basic_rows, np.arange(len(self.basic_rows)))),
                                  shape=(n_rows, len(self.basic_rows)))
        try:
            self.lu = splu(sparse.hstack([csc[:, self.basic_cols], slack], format="csc"))
        except RuntimeError:  # singular to scipy: leave every LP to HiGHS
            self.lu = None

    def vertex(self, lp: LinearProgram) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(x, row_dual, col_dual)`` of ``lp`` at this basis (HiGHS's signs), or None when the
        basis is not optimal for ``lp`` (or cannot tell)."""
        if self.lu is None or lp.matrix is not self.matrix:
            return None
        col, row, tol = self.col, self.row, VERTEX_TOLERANCE
        x = np.where(col == 2, lp.ub, lp.lb)
        x[self.basic_cols] = 0.0
        activity_n = np.where(row == 2, lp.row_hi, lp.row_lo)
        activity_n[self.basic_rows] = 0.0
        if not (np.isfinite(x).all() and np.isfinite(activity_n).all()):
            return None
        # A x - r = 0 over the basic part: B (x_B, r_B) = r_N - A_N x_N
        solved = self.lu.solve(activity_n - lp.matrix @ x)
        k = len(self.basic_cols)
        x[self.basic_cols] = solved[:k]
        activity = lp.matrix @ x
        if not ((x >= lp.lb - tol).all() and (x <= lp.ub + tol).all() and (activity >= lp.row_lo - tol).all()
                and (activity <= lp.row_hi + tol).all()):
            return None
        costs = np.concatenate([lp.c[self.basic_cols], np.zeros(len(self.basic_rows))])
        row_dual = self.lu.solve(costs, trans="T")
        col_dual = lp.c - lp.matrix.T @ row_dual
        boxed_col, boxed_row = lp.lb < lp.ub, lp.row_lo < lp.row_hi
        if np.any(boxed_col & (((col == 0) & (col_dual < -tol)) | ((col == 2) & (col_dual > tol)))):
            return None
        if np.any(boxed_row & (((row == 0) & (row_dual < -tol)) | ((row == 2) & (row_dual > tol)))):
            return None
        return x, row_dual, col_dual
