"""Where nearshore's own solve path spends its time, phase by phase, for the overhead report.

The phases are the steps of :meth:`routing.LeadTimeModel.solve`, run one after the other on a
fresh copy of the network: the network's arrays, the objective weights, the backend (split into
the solver's own run and the rest: graph or LP building, duals), and the result tables that
``nearshore solve`` prints (split into the lanes, i.e. the flow decomposition, the bottleneck table
and the unmet-demand table with its reasons; ``other_tables`` is their sum).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from networks import Network
from routing.formulation.weights import objective_weights
from routing.model import LeadTimeModel, assemble_result, choose_solver
from routing.options import DEFAULT_USD_PER_LOAD_HOUR, Objective, Solver

PHASES = ("arrays", "weights", "backend_other", "solver", "lanes", "bottlenecks", "unmet", "other_tables")


def nearshore_phases(network: Network) -> dict[str, float]:
    """Seconds per phase (see :data:`PHASES`) of one lead-time solve of a fresh copy of ``network``."""
    fresh = network.without_caches()
    seconds: dict[str, float] = {}
    arrays = _timed(seconds, "arrays", lambda: fresh.arrays)
    weights = _timed(seconds, "weights", lambda: objective_weights(arrays, Objective.LEAD_TIME,
                                                                     usd_per_load_hour=DEFAULT_USD_PER_LOAD_HOUR))
    solver = choose_solver(arrays, weights, Solver.AUTO)  # as solve_lead_time, one cold solve
    model = LeadTimeModel(fresh, warm_start=False)
    solution = _timed(seconds, "backend_other", lambda: model._run(arrays, weights, solver))
    seconds["solver"] = solution.solve_s
    seconds["backend_other"] -= solution.solve_s
    result = assemble_result(fresh, solution, weights, objective=Objective.LEAD_TIME, solver=solver, build_s=0.0)
    _timed(seconds, "lanes", lambda: result.lanes)
    _timed(seconds, "bottlenecks", lambda: result.bottlenecks)
    _timed(seconds, "unmet", lambda: result.unmet)
    seconds["other_tables"] = seconds["bottlenecks"] + seconds["unmet"]  # kept for older reports
    return {name: seconds[name] for name in PHASES}


def _timed(seconds: dict[str, float], name: str, work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    seconds[name] = time.perf_counter() - start
    return result
