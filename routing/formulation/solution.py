"""A solved instance mapped back onto the network (flows, production, unmet, duals per capacity)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from routing.backends.outcome import LpSolution, Status

__all__ = ["LpSolution", "Solution", "Status", "no_solution"]


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
