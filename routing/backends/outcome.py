"""What a backend returns: one status enum, mapped from every solver's own codes, and the raw LP vectors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Status(StrEnum):
    """How a solve ended, saying exactly what is known. Only ``OPTIMAL``, ``OPTIMAL_WITHIN_TOLERANCE``
    and ``FEASIBLE`` carry a solution, and every solution passed the independent check
    (:mod:`routing.formulation.verify`) first."""

    OPTIMAL = "optimal"  # feasible to 1e-6 and proven optimal (an exact backend, or a duality gap <= 1e-6)
    OPTIMAL_WITHIN_TOLERANCE = "optimal_within_tolerance"  # a first-order method (PDLP): feasible and optimal
    #                                                        only to its tolerance; the gap is in ``detail``
    FEASIBLE = "feasible"  # stopped early (time limit) with a solution that may not be optimal
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"  # time limit without a solution, or a solver error
    INVALID = "invalid"  # the backend returned a point that fails the independent check (``detail`` says where)

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.OPTIMAL_WITHIN_TOLERANCE, Status.FEASIBLE)


@dataclass(frozen=True, slots=True)
class LpSolution:
    """Primal values, row duals and reduced costs of an LP, in the solver's sign convention
    (d objective / d bound, for a minimisation)."""

    status: Status
    x: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    solve_s: float
    detail: str = ""
