"""Duals: the LP's vectors cut into flows and, per capacity, what one more unit of it saves."""

from __future__ import annotations

import numpy as np

from networks import NetworkArrays
from routing.formulation.lp import LinearProgram
from routing.formulation.solution import Solution, Status


def lp_solution(arrays: NetworkArrays, lp: LinearProgram, x: np.ndarray, row_dual: np.ndarray,
                col_dual: np.ndarray, status: Status, solve_s: float, detail: str = "") -> Solution:
    """Cut the LP's vectors into flows and per-capacity savings (``-dual``, never negative)."""
    n, m, k = arrays.n_nodes, arrays.n_links, arrays.n_commodities
    saved_rows = np.maximum(0.0, -row_dual)

    def per_owner(owners: np.ndarray, offset: int, size: int) -> tuple[np.ndarray, int]:
        values = np.zeros(size)
        values[owners] = saved_rows[offset:offset + len(owners)]
        return values, offset + len(owners)

    row = lp.first_capacity_row
    link_saved, row = per_owner(lp.capacity_rows, row, m)
    node_saved, row = per_owner(lp.throughput_rows, row, n)
    power_saved, row = per_owner(lp.power_rows, row, n)
    water_saved, row = per_owner(lp.water_rows, row, n)
    s0, s1 = lp.n_flow, lp.n_flow + lp.n_supply
    supply_saved = np.maximum(0.0, -col_dual[s0:s1]) if len(col_dual) else np.zeros(lp.n_supply)
    flow = np.maximum(0.0, x[:s0]).reshape(k, m)
    s2 = s1 + lp.n_demand
    assign = np.maximum(0.0, x[s2:s2 + lp.n_assign]).reshape(k, len(arrays.queue))
    return Solution(status, flow, np.maximum(0.0, x[s0:s1]), np.maximum(0.0, x[s1:s2]), link_saved, node_saved,
                    supply_saved, power_saved, water_saved, solve_s, detail, queue_assign=assign)
