"""The only module that talks to OR-Tools: LP solves through ``model_builder``'s helper (built
straight from a sparse matrix) and ``SimpleMinCostFlow`` on numpy arrays."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from routing.backends.outcome import LpSolution, Status

if TYPE_CHECKING:  # the backends take the LP as data and never import the formulation
    from routing.formulation.lp import LinearProgram

LP_SOLVERS = ("glop", "pdlp")


def solve_lp(lp: LinearProgram, *, solver: str, time_limit_s: float | None) -> LpSolution:
    """Solve an LP with GLOP or PDLP through OR-Tools' model builder."""
    from ortools.linear_solver.python import model_builder_helper as mbh

    model = mbh.ModelBuilderHelper()
    model.fill_model_from_sparse_data(lp.lb, lp.ub, lp.c, lp.row_lo, lp.row_hi, lp.matrix)
    engine = mbh.ModelSolverHelper(solver)
    if time_limit_s is not None:
        engine.set_time_limit_in_seconds(float(time_limit_s))
    start = time.perf_counter()
    engine.solve(model)
    elapsed = time.perf_counter() - start
    status = _LP_STATUS.get(engine.status().name, Status.NOT_SOLVED)
    if not status.has_solution:
        empty = np.zeros(0)
        return LpSolution(status, empty, empty, empty, elapsed, detail=engine.status_string())
    return LpSolution(status, engine.variable_values(), engine.dual_values(), engine.reduced_costs(), elapsed)


_LP_STATUS = {
    "OPTIMAL": Status.OPTIMAL,
    "FEASIBLE": Status.FEASIBLE,
    "INFEASIBLE": Status.INFEASIBLE,
    "UNBOUNDED": Status.UNBOUNDED,
}


def solve_min_cost_flow(
    tail: np.ndarray, head: np.ndarray, capacity: np.ndarray, cost: np.ndarray, supply: np.ndarray
) -> tuple[Status, np.ndarray, float]:
    """Solve an integer min-cost flow with ``SimpleMinCostFlow``; flows per arc and solve seconds.

    All inputs are int64 arrays; ``supply`` is per node (negative for demand) and must sum to 0.
    """
    from ortools.graph.python import min_cost_flow

    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(tail, head, capacity, cost)
    mcf.set_nodes_supplies(np.arange(len(supply), dtype=np.int64), supply)
    start = time.perf_counter()
    outcome = mcf.solve()
    elapsed = time.perf_counter() - start
    if outcome != mcf.OPTIMAL:
        status = Status.INFEASIBLE if outcome in (mcf.INFEASIBLE, mcf.UNBALANCED) else Status.NOT_SOLVED
        return status, np.zeros(0, dtype=np.int64), elapsed
    return Status.OPTIMAL, mcf.flows(arcs), elapsed
