"""What a backend returns: one status enum, mapped from every solver's own codes, and the raw LP vectors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Status(StrEnum):
    """How a solve ended. Only ``OPTIMAL`` and ``FEASIBLE`` carry a solution."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # stopped early (time limit) with a solution that may not be optimal
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"  # time limit without a solution, or a solver error

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


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
