"""`solve_lead_time`: from a network to lead-time-optimal lanes, bottlenecks and unmet demand."""

from __future__ import annotations

import time
from enum import StrEnum

import numpy as np

from networks import Network, NetworkArrays
from networks.errors import NearshoreError
from routing.bottlenecks import bottlenecks_frame, unmet_frame
from routing.lanes import flows_frame, lanes_frame
from routing.lp import LinearProgram, Objective, Weights, build_lp, link_hours, objective_weights
from routing.result import BOTTLENECKS_SCHEMA, FLOWS_SCHEMA, LANES_SCHEMA, UNMET_SCHEMA, LeadTimeResult
from routing.status import Solution, Status, no_solution

DEFAULT_USD_PER_LOAD_HOUR = 5.0


class Solver(StrEnum):
    """The backends; ``auto`` picks min-cost flow when it is exact, else HiGHS (or GLOP)."""

    AUTO = "auto"
    GLOP = "glop"
    HIGHS = "highs"
    PDLP = "pdlp"
    MINCOSTFLOW = "mincostflow"


class SolverUnsuitableError(NearshoreError):
    """The requested solver cannot solve this instance (e.g. min-cost flow with two commodities)."""


def solve_lead_time(
    network: Network,
    *,
    objective: Objective | str = Objective.LEAD_TIME,
    solver: Solver | str = Solver.AUTO,
    time_limit_s: float | None = None,
    usd_per_load_hour: float = DEFAULT_USD_PER_LOAD_HOUR,
) -> LeadTimeResult:
    """Route every market's demand through the network at the least total lead time.

    Parameters
    ----------
    network
        A validated network.
    objective
        ``lead_time`` (load-hours per day), ``cost`` (USD per day) or ``blend``
        (USD + ``usd_per_load_hour`` x load-hours).
    solver
        ``auto``, ``glop``, ``highs``, ``pdlp`` or ``mincostflow``.
    time_limit_s
        Stop the LP solver after this many seconds (status ``feasible`` or ``not_solved``).

    Returns
    -------
    LeadTimeResult
        Status, summary numbers and the ``lanes``, ``bottlenecks``, ``unmet`` and ``flows`` frames.

    Raises
    ------
    SolverUnsuitableError
        When ``solver="mincostflow"`` is asked for an instance it cannot solve exactly.

    Example
    -------
    >>> from networks import read_network
    >>> result = solve_lead_time(read_network())
    >>> result.status.value
    'optimal'
    """
    objective, solver = Objective(objective), Solver(solver)
    start = time.perf_counter()
    arrays = network.arrays
    weights = objective_weights(arrays, objective, usd_per_load_hour=usd_per_load_hour)
    chosen = choose_solver(arrays, weights, solver)
    solution = run_solver(arrays, weights, chosen, time_limit_s=time_limit_s)
    total_s = time.perf_counter() - start
    return assemble_result(network, solution, weights, objective=objective, solver=chosen,
                           build_s=max(0.0, total_s - solution.solve_s))


def choose_solver(arrays: NetworkArrays, weights: Weights, requested: Solver) -> Solver:
    """Resolve ``auto`` and check that an explicit min-cost-flow request fits the instance."""
    from routing.highs_backend import highs_available
    from routing.mincostflow import fits_min_cost_flow

    fits = fits_min_cost_flow(arrays, weights)
    if requested == Solver.MINCOSTFLOW and not fits:
        raise SolverUnsuitableError(
            "solver mincostflow needs one commodity, no power or water limits, whole-number "
            "capacities and times in 1/1000 h; use --solver auto, highs or glop"
        )
    if requested != Solver.AUTO:
        return requested
    if fits:
        return Solver.MINCOSTFLOW
    return Solver.HIGHS if highs_available() else Solver.GLOP


def run_solver(arrays: NetworkArrays, weights: Weights, solver: Solver, *, time_limit_s: float | None) -> Solution:
    """Solve with one backend and map its answer back onto links, nodes and rows."""
    if solver == Solver.MINCOSTFLOW:
        from routing.mincostflow import solve_single_commodity

        return solve_single_commodity(arrays, weights)
    lp = build_lp(arrays, weights)
    if solver == Solver.HIGHS:
        from routing.highs_backend import solve_lp
        answer = solve_lp(lp, time_limit_s=time_limit_s)
    else:
        from routing.ortools_backend import solve_lp
        answer = solve_lp(lp, solver=solver.value, time_limit_s=time_limit_s)
    if not answer.status.has_solution:
        return no_solution(answer.status, answer.solve_s, answer.detail)
    return lp_solution(arrays, lp, answer.x, answer.row_dual, answer.col_dual, answer.status, answer.solve_s)


def lp_solution(arrays: NetworkArrays, lp: LinearProgram, x: np.ndarray, row_dual: np.ndarray,
                col_dual: np.ndarray, status: Status, solve_s: float) -> Solution:
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
    return Solution(status, flow, np.maximum(0.0, x[s0:s1]), np.maximum(0.0, x[s1:]), link_saved, node_saved,
                    supply_saved, power_saved, water_saved, solve_s)


def assemble_result(network: Network, solution: Solution, weights: Weights, *, objective: Objective,
                    solver: Solver, build_s: float) -> LeadTimeResult:
    """Turn a solution into the result frames and summary numbers."""
    arrays = network.arrays
    common = dict(objective_kind=objective.value, unmet_penalty=weights.penalty, solver=solver.value,
                  build_s=build_s, solve_s=solution.solve_s, detail=solution.detail)
    if not solution.status.has_solution:
        return LeadTimeResult(
            status=solution.status, objective=None, avg_lead_time_h=None, served_loads_per_day=0.0,
            unmet_loads_per_day=float(arrays.demand_loads.sum()), total_load_hours_per_day=0.0,
            total_cost_usd_per_day=0.0, lanes=LANES_SCHEMA.to_frame(), bottlenecks=BOTTLENECKS_SCHEMA.to_frame(),
            unmet=UNMET_SCHEMA.to_frame(), flows=FLOWS_SCHEMA.to_frame(), **common)
    hours = link_hours(arrays)
    supply_hours = arrays.dwell_h[arrays.supply_node]
    load_hours = float((solution.flow @ hours).sum() + solution.production @ supply_hours)
    cost = float((solution.flow @ arrays.cost_usd).sum())
    served = float(arrays.demand_loads.sum() - solution.unmet.sum())
    objective_value = float((solution.flow @ weights.link).sum() + solution.production @ weights.supply
                            + weights.penalty * solution.unmet.sum())
    return LeadTimeResult(
        status=solution.status,
        objective=objective_value,
        avg_lead_time_h=load_hours / served if served > 1e-9 else None,
        served_loads_per_day=served,
        unmet_loads_per_day=float(solution.unmet.sum()),
        total_load_hours_per_day=load_hours,
        total_cost_usd_per_day=cost,
        lanes=lanes_frame(network, solution),
        bottlenecks=bottlenecks_frame(network, solution),
        unmet=unmet_frame(network, solution, weights),
        flows=flows_frame(network, solution),
        **common,
    )
