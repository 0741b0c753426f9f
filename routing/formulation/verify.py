"""An independent check of every solution before it is reported (the OR-Tools samples' ``evaluate()``).

:func:`check_solution` re-scores a :class:`Solution` on the network's arrays, without the LP matrix
the backend saw: flows and production non-negative, supply and unmet within their bounds, flow
conservation per commodity and node (demand = inflow - outflow + production + unmet), link
capacity, node throughput, plant power and water, and the lane split of queued crossings (FAST
lanes only for eligible commodities, each lane type within its wait curve's range).
:func:`duality_gap` adds an LP certificate: the dual bound from the solver's row duals, with the
reduced costs recomputed here, against the primal objective.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from networks import NetworkArrays
from routing.formulation.lp import FAST, LinearProgram
from routing.formulation.solution import Solution
from routing.formulation.weights import Weights

TOLERANCE = 1e-6
"""Largest violation accepted, relative to the size of the row's terms (1 + their absolute sum)."""
PDLP_TOLERANCE = 1e-4
DUAL_TOLERANCE = 1e-7
"""Reduced costs this small (relative to the cost) count as zero when the dual bound is formed."""
"""The same for PDLP, whose default termination is a relative primal and dual residual of 1e-4."""


@dataclass(frozen=True, slots=True)
class Verification:
    """What the check found: ``ok``, the largest relative violation and where it is."""

    ok: bool
    max_violation: float
    worst: str = ""

    def __str__(self) -> str:
        return "verified" if self.ok else f"failed the independent check: {self.worst}"


def check_solution(arrays: NetworkArrays, weights: Weights, solution: Solution, *,
                   tolerance: float = TOLERANCE) -> Verification:
    """Check a solution against every row of the model; see the module docstring.

    Example
    -------
    >>> from networks import read_network
    >>> from routing import solve_lead_time
    >>> net = read_network()
    >>> result = solve_lead_time(net)  # every solve is checked before it is returned
    >>> result.status.value
    'optimal'
    """
    checks = list(_rows(arrays, weights, solution))
    name, value = max(checks, key=lambda item: item[1]) if checks else ("", 0.0)
    return Verification(ok=bool(value <= tolerance), max_violation=float(value), worst=f"{name} off by {value:.3g}"
                        if value > tolerance else "")


def _rows(arrays: NetworkArrays, weights: Weights, solution: Solution):
    """(what, largest relative violation) for each family of rows."""
    n, m, k = arrays.n_nodes, arrays.n_links, arrays.n_commodities
    flow, production, unmet = solution.flow, solution.production, solution.unmet
    if flow.shape != (k, m) or production.shape != arrays.supply_node.shape or unmet.shape != arrays.demand_node.shape:
        yield "the solution's shape", np.inf
        return
    for label, values in (("flow", flow), ("production", production), ("unmet", unmet)):
        if not np.all(np.isfinite(values)):
            yield f"{label} (not finite)", np.inf
            return
        yield f"{label} >= 0", _relative(np.maximum(0.0, -values), np.abs(values))
    yield "production <= supply", _relative(np.maximum(0.0, production - arrays.supply_capacity), production)
    yield "unmet <= demand", _relative(np.maximum(0.0, unmet - arrays.demand_loads), arrays.demand_loads)

    inflow = np.zeros((k, n))
    outflow = np.zeros((k, n))
    for c in range(k):  # one bincount per commodity: k is small, the links are vectorised
        inflow[c] = np.bincount(arrays.head, flow[c], n)
        outflow[c] = np.bincount(arrays.tail, flow[c], n)
    made = np.bincount(arrays.supply_commodity * n + arrays.supply_node, production, k * n).reshape(k, n)
    short = np.bincount(arrays.demand_commodity * n + arrays.demand_node, unmet, k * n).reshape(k, n)
    demand = np.bincount(arrays.demand_commodity * n + arrays.demand_node, arrays.demand_loads, k * n).reshape(k, n)
    residual = inflow - outflow + made + short - demand
    yield "flow conservation", _relative(np.abs(residual), inflow + outflow + made + short + demand)

    used = flow.sum(axis=0)
    yield "link capacity", _relative(np.maximum(0.0, used - arrays.capacity), used)
    entering = inflow.sum(axis=0) + made.sum(axis=0)
    yield "node throughput", _relative(np.maximum(0.0, entering - arrays.throughput), entering)
    power = np.bincount(arrays.supply_node, production * arrays.power_mwh_per_load[arrays.supply_commodity], n)
    yield "plant power", _relative(np.maximum(0.0, power - 24.0 * arrays.power_mw), power)
    water = np.bincount(arrays.supply_node, production * arrays.water_m3_per_load[arrays.supply_commodity], n)
    yield "plant water", _relative(np.maximum(0.0, water - arrays.water_m3_per_day), water)
    yield from _queue_rows(arrays, weights, solution, inflow)


def _queue_rows(arrays: NetworkArrays, weights: Weights, solution: Solution, inflow: np.ndarray):
    queue = arrays.queue
    if len(queue) == 0:
        return
    assign = solution.queue_assign
    if assign.shape != (arrays.n_commodities, len(queue)):
        yield "the lane split's shape", np.inf
        return
    yield "lane loads >= 0", _relative(np.maximum(0.0, -assign), np.abs(assign))
    split = np.zeros_like(inflow)
    for c in range(arrays.n_commodities):
        split[c] = np.bincount(queue.node, assign[c], arrays.n_nodes)
    crossing = np.unique(queue.node)
    gap = np.abs(split[:, crossing] - inflow[:, crossing])
    yield "lane split = loads entering the crossing", _relative(gap, inflow[:, crossing])
    blocked = (queue.lane_type[None, :] == FAST) & ~arrays.fast_eligible[:, None]
    yield "FAST lanes only for eligible commodities", _relative(np.abs(assign * blocked), np.abs(assign))
    volume = assign.sum(axis=0)
    room = weights.segment_width.sum(axis=1)
    yield "lane volume within its wait curve", _relative(np.maximum(0.0, volume - room), volume)


def _relative(violation: np.ndarray, scale: np.ndarray) -> float:
    """The largest ``violation / (1 + scale)``, with inf limits giving no violation."""
    if violation.size == 0:
        return 0.0
    scale = np.abs(scale)
    worst = float(np.max(violation / (1.0 + np.where(np.isfinite(scale), scale, 0.0))))
    return np.inf if np.isnan(worst) else worst  # a NaN violation counts as infinite


def lp_violation(lp: LinearProgram, x: np.ndarray) -> float:
    """The largest bound or row violation of ``x`` in ``lp`` (any program with bounds, row bounds and
    ``matrix``), relative to ``1 + |limit|``; infinite limits are never violated."""
    activity = lp.matrix @ x
    parts = [(lp.lb - x, lp.lb), (x - lp.ub, lp.ub), (lp.row_lo - activity, lp.row_lo), (activity - lp.row_hi, lp.row_hi)]
    return max(0.0, *(_relative(excess[np.isfinite(limit)], limit[np.isfinite(limit)]) for excess, limit in parts))


def duality_gap(lp: LinearProgram, x: np.ndarray, row_dual: np.ndarray) -> float:
    """Relative gap between the primal objective ``c.x`` and the dual bound of the row duals ``y``.

    Reduced costs are recomputed as ``d = c - A^T y``; each row contributes ``y * row_lo`` when
    ``y > 0`` and ``y * row_hi`` when ``y < 0``, each column ``d * lb`` or ``d * ub``. A multiplier
    on an infinite bound (beyond rounding) makes the bound ``-inf``: the duals prove nothing.
    """
    primal = float(lp.c @ x)
    if len(row_dual) != len(lp.row_lo):
        return np.inf
    reduced = lp.c - lp.matrix.T @ row_dual
    scale = DUAL_TOLERANCE * (1.0 + np.abs(lp.c))  # dual feasibility to the simplex codes' own tolerance
    reduced = np.where(np.abs(reduced) <= scale, 0.0, reduced)
    y = np.where(np.abs(row_dual) <= 1e-9 * (1.0 + np.abs(row_dual).max(initial=0.0)), 0.0, row_dual)
    with np.errstate(invalid="ignore"):
        rows = np.where(y > 0, y * lp.row_lo, np.where(y < 0, y * lp.row_hi, 0.0))
        cols = np.where(reduced > 0, reduced * lp.lb, np.where(reduced < 0, reduced * lp.ub, 0.0))
    if not (np.all(np.isfinite(rows)) and np.all(np.isfinite(cols))):
        return np.inf
    dual = float(rows.sum() + cols.sum())
    return abs(primal - dual) / max(1.0, abs(primal))
