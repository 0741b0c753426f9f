"""Solver outcomes as data: one status enum, mapped from every backend's own codes."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class Solution:
    """A solved instance mapped back onto the network: flows, production, unmet demand, and for
    every capacity how much one more unit of it would lower the objective (``*_saved``)."""

    status: Status
    flow: np.ndarray  # (commodities, links)
    production: np.ndarray  # per supply row
    unmet: np.ndarray  # per demand row
    link_saved: np.ndarray  # per link
    node_saved: np.ndarray  # per node (throughput)
    supply_saved: np.ndarray  # per supply row
    power_saved: np.ndarray  # per node
    water_saved: np.ndarray  # per node
    solve_s: float
    detail: str = ""
    queue_assign: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (commodities, lane types)

    @property
    def queue_volume(self) -> np.ndarray:
        """Loads per day through each lane type of a queued crossing."""
        return self.queue_assign.sum(axis=0)


def no_solution(status: Status, solve_s: float, detail: str = "") -> Solution:
    """A :class:`Solution` that carries only its status."""
    empty = np.zeros(0)
    return Solution(status, np.zeros((0, 0)), empty, empty, empty, empty, empty, empty, empty, solve_s, detail)
