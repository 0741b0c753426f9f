"""The solve engine: pick a backend, solve, map the answer back onto the network.

:class:`LeadTimeModel` keeps what one solve built (the LP and a HiGHS instance) and reuses it
for variants of the same network with other capacities, times or demand, changing only bounds
and costs and warm-starting from the previous basis.
"""

from __future__ import annotations

import time
from enum import StrEnum

import numpy as np

from networks import Network, NetworkArrays
from networks.errors import NearshoreError
from networks.queues import check_wait_segments
from routing.crossings import total_wait_load_hours
from routing.highs_backend import HighsSession
from routing.lp import (
    DEFAULT_WAIT_SEGMENTS,
    LinearProgram,
    Objective,
    Weights,
    build_lp,
    fill_segments,
    link_hours,
    objective_weights,
    structure_key,
    with_bounds,
)
from routing.result import LeadTimeResult
from routing.status import Solution, Status, no_solution
from routing.tables import NoTables, SolvedTables

DEFAULT_USD_PER_LOAD_HOUR = 5.0


class Solver(StrEnum):
    """The backends; ``auto`` picks by problem shape (see :func:`choose_solver`)."""

    AUTO = "auto"
    GLOP = "glop"
    HIGHS = "highs"
    PDLP = "pdlp"
    MINCOSTFLOW = "mincostflow"
    LEMON = "lemon"  # LEMON's min-cost flow (the `lemon` extra); never chosen by auto


GLOP_MAX_FLOW_VARIABLES = 20_000
"""``auto`` solves a cold LP with GLOP up to this many flow variables (commodities x links), with
HiGHS above. Measured (``nearshore bench``, 2026-11): GLOP was faster cold at 2.3e3-1e4 flow
variables (11 vs 15 ms built-in, 20 vs 40 ms at 1e3 links x 5), HiGHS from 5e4 up (1.1 vs 1.6 s);
a warm HiGHS re-solve of a variant takes 2 ms on the built-in network, GLOP 12 ms from scratch."""


class SolverUnsuitableError(NearshoreError):
    """The requested solver cannot solve this instance (e.g. min-cost flow with two commodities)."""


def choose_solver(arrays: NetworkArrays, weights: Weights, requested: Solver, *, warm_start: bool = False) -> Solver:
    """Resolve ``auto`` and check that an explicit min-cost-flow request fits the instance.

    ``auto`` picks, in order: min-cost flow when it gives the LP's optimum exactly (one commodity,
    no power, water or queue rows, whole numbers); HiGHS when the LP will be re-solved from a warm
    start (``warm_start``); GLOP for a small cold LP (single commodity, or at most
    :data:`GLOP_MAX_FLOW_VARIABLES`); HiGHS otherwise.
    """
    from routing.highs_backend import highs_available
    from routing.mincostflow import fits_min_cost_flow

    fits = fits_min_cost_flow(arrays, weights)
    if requested in (Solver.MINCOSTFLOW, Solver.LEMON) and not fits:
        raise SolverUnsuitableError(
            f"solver {requested.value} needs one commodity, no power or water limits, whole-number "
            "capacities and times in 1/1000 h; use --solver auto, highs or glop"
        )
    if requested == Solver.LEMON:
        from routing.lemon_backend import lemon_available

        if not lemon_available():
            raise SolverUnsuitableError("solver lemon needs pylmcf: pip install 'nearshore[lemon]'")
    if requested != Solver.AUTO:
        return requested
    if fits:
        return Solver.MINCOSTFLOW
    if not highs_available():
        return Solver.GLOP
    small = arrays.n_commodities == 1 or arrays.n_commodities * arrays.n_links <= GLOP_MAX_FLOW_VARIABLES
    return Solver.GLOP if small and not warm_start else Solver.HIGHS


class LeadTimeModel:
    """A lead-time problem on one network structure, solvable many times.

    ``solve()`` solves the network it was made with; ``solve(variant)`` solves a variant (other
    capacities, transit times, dwell, supply or demand). When the variant has the same structure
    (:func:`routing.lp.structure_key`), the LP matrix is kept and, with HiGHS, only the changed
    costs and bounds are passed to the same solver instance, which starts from the basis of the
    first solve. With ``warm_start`` (the default) ``auto`` therefore picks HiGHS for every LP;
    without it (one solve, as :func:`routing.solve_lead_time` does) the fastest cold backend.

    Example
    -------
    >>> from networks import read_network
    >>> model = LeadTimeModel(read_network())
    >>> model.solve().status.value
    'optimal'
    """

    def __init__(
        self,
        network: Network,
        *,
        objective: Objective | str = Objective.LEAD_TIME,
        solver: Solver | str = Solver.AUTO,
        time_limit_s: float | None = None,
        usd_per_load_hour: float = DEFAULT_USD_PER_LOAD_HOUR,
        wait_segments: int = DEFAULT_WAIT_SEGMENTS,
        warm_start: bool = True,
    ) -> None:
        self.network = network
        self.warm_start = warm_start
        self.wait_segments = check_wait_segments(wait_segments)
        self.objective = Objective(objective)
        self.requested = Solver(solver)
        self.time_limit_s = time_limit_s
        self.usd_per_load_hour = usd_per_load_hour
        self.reused = 0  # solves that kept the matrix of an earlier one
        self._lp: LinearProgram | None = None
        self._key: str | None = None
        self._highs: HighsSession | None = None

    def solve(self, variant: Network | None = None) -> LeadTimeResult:
        """Solve the model's network, or a variant of it."""
        network = self.network if variant is None else variant
        start = time.perf_counter()
        arrays = network.arrays
        weights = objective_weights(arrays, self.objective, usd_per_load_hour=self.usd_per_load_hour,
                                    wait_segments=self.wait_segments)
        solver = choose_solver(arrays, weights, self.requested, warm_start=self.warm_start)
        solution = self._run(arrays, weights, solver)
        total_s = time.perf_counter() - start
        return assemble_result(network, solution, weights, objective=self.objective, solver=solver,
                               build_s=max(0.0, total_s - solution.solve_s))

    def _run(self, arrays: NetworkArrays, weights: Weights, solver: Solver) -> Solution:
        if solver in (Solver.MINCOSTFLOW, Solver.LEMON):  # measured: reusing the MCF object gains nothing
            from routing.mincostflow import solve_single_commodity

            return solve_single_commodity(arrays, weights, engine="lemon" if solver == Solver.LEMON else "ortools")
        lp, reuse = self._lp_for(arrays, weights)
        if solver == Solver.HIGHS:
            self._highs = self._highs or HighsSession()
            answer = self._highs.solve(lp, reuse=reuse, time_limit_s=self.time_limit_s)
        else:
            from routing.ortools_backend import solve_lp

            answer = solve_lp(lp, solver=solver.value, time_limit_s=self.time_limit_s)
        if not answer.status.has_solution:
            return no_solution(answer.status, answer.solve_s, answer.detail)
        return lp_solution(arrays, lp, answer.x, answer.row_dual, answer.col_dual, answer.status, answer.solve_s)

    def _lp_for(self, arrays: NetworkArrays, weights: Weights) -> tuple[LinearProgram, bool]:
        key = structure_key(arrays)
        reuse = self._lp is not None and key == self._key
        self._lp = with_bounds(self._lp, arrays, weights) if reuse else build_lp(arrays, weights)
        self._key = key
        self.reused += reuse
        return self._lp, reuse


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
    s2 = s1 + lp.n_demand
    assign = np.maximum(0.0, x[s2:s2 + lp.n_assign]).reshape(k, len(arrays.queue))
    return Solution(status, flow, np.maximum(0.0, x[s0:s1]), np.maximum(0.0, x[s1:s2]), link_saved, node_saved,
                    supply_saved, power_saved, water_saved, solve_s, queue_assign=assign)


def assemble_result(network: Network, solution: Solution, weights: Weights, *, objective: Objective,
                    solver: Solver, build_s: float) -> LeadTimeResult:
    """Turn a solution into the summary numbers and the (lazily built) result frames."""
    arrays = network.arrays
    common = dict(objective_kind=objective.value, unmet_penalty=weights.penalty, solver=solver.value,
                  build_s=build_s, solve_s=solution.solve_s, detail=solution.detail)
    if not solution.status.has_solution:
        return LeadTimeResult.with_frames(
            NoTables(), status=solution.status, objective=None, avg_lead_time_h=None, served_loads_per_day=0.0,
            unmet_loads_per_day=float(arrays.demand_loads.sum()), total_load_hours_per_day=0.0,
            total_cost_usd_per_day=0.0, **common)
    hours = link_hours(arrays)
    supply_hours = arrays.dwell_h[arrays.supply_node]
    load_hours = float((solution.flow @ hours).sum() + solution.production @ supply_hours
                       + total_wait_load_hours(network, solution))
    cost = float((solution.flow @ arrays.cost_usd).sum())
    served = float(arrays.demand_loads.sum() - solution.unmet.sum())
    segments = fill_segments(solution.queue_volume, weights.segment_width)
    objective_value = float((solution.flow @ weights.link).sum() + solution.production @ weights.supply
                            + weights.penalty * solution.unmet.sum() + (segments * weights.segment_cost).sum())
    return LeadTimeResult.with_frames(
        SolvedTables(network, solution),
        status=solution.status,
        objective=objective_value,
        avg_lead_time_h=load_hours / served if served > 1e-9 else None,
        served_loads_per_day=served,
        unmet_loads_per_day=float(solution.unmet.sum()),
        total_load_hours_per_day=load_hours,
        total_cost_usd_per_day=cost,
        **common,
    )
