"""Days, not a snapshot: a network over a horizon of days with dated events, backlog and recovery.

:func:`solve_disruption` solves the steady state of the base network (its flows fill the pipeline
at day 0). Until the first event day the network runs at that steady state
(:func:`routing.formulation.horizon.steady_prefix`); from that day on the time-expanded LP
(:mod:`routing.formulation.horizon`) of the remaining steps only is solved twice from the same
starting state (:func:`routing.formulation.horizon.state_at`): with no events (the baseline) and
with the day networks given. When the steady state cannot run until then (an event on day 0, or a
steady dispatch that would land after the horizon), the baseline is the LP of the whole horizon and
the events' LP starts from the state its plan reaches. Each LP is solved cold by HiGHS
(:data:`HORIZON_METHOD`), certified by its duality gap and tie-broken exactly on its optimal face (backlog cleared early,
backlog in proportion to demand, then freight: :func:`routing.formulation.horizon.horizon_tie_breaks`); the whole horizon's
columns are re-scored by :func:`routing.formulation.verify_horizon.check_horizon_solution` before
anything is reported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import polars as pl

from networks import Network, NetworkArrays
from networks.arrays import KINDS
from networks.queues import wait_h as queue_wait_h
from routing.backends.highs import solve_lp
from routing.backends.outcome import LpSolution
from routing.formulation.face import Stage, lexicographic
from routing.formulation.horizon import (
    DEFAULT_STEP_H,
    HorizonLayout,
    HorizonProgram,
    HorizonSolution,
    build_horizon_lp,
    column_steps,
    finite_limits,
    horizon_tie_breaks,
    hour_weight,
    split_solution,
    state_at,
    steady_columns,
    steady_prefix,
    steady_start,
    with_horizon_bounds,
)
from routing.formulation.horizon_network import solve_horizon_decomposition
from routing.formulation.lp import array_digest
from routing.formulation.solution import Status
from routing.formulation.verify import TOLERANCE, duality_gap, lp_violation
from routing.formulation.verify_horizon import check_horizon_solution
from routing.formulation.weights import Weights, link_hours, objective_weights
from routing.model import LeadTimeModel
from routing.options import Objective, SolveOptions

RECOVERED_SHARE = 0.01
"""Backlog under this share of a day's demand counts as recovered."""
DEFAULT_INVENTORY_DAYS = 3.0
"""Days of demand held as stock at each market (an assumption; ``--inventory-days``)."""
HOURS_PER_BACKLOG_DAY = 24.0
"""A load that is a day late adds 24 load-hours to ``extra_load_hours``."""
SOLVED_KEPT = 4
"""Solved horizon LPs kept in this process, by content: the no-event baseline of one network,
objective and horizon is the same LP for every event set with the same first day (the episodes of
a batch), so it is solved once. A kept answer was certified by its duality gap on the same content
and still passes the independent check of the whole horizon each time it is used."""
_SOLVED: dict[str, tuple[Status, np.ndarray | None, float, str]] = {}
HORIZON_METHOD = "interior"
"""How a horizon's LP is solved: ``"simplex"`` (HiGHS dual simplex, cold, presolve on), ``"interior"``
(:func:`_solve_primary`: interior point, then dual simplex on its optimal face, certified by its
duals on the whole LP, else dual simplex) or ``"decomposition"`` (the path decomposition of the
time-expanded network, :mod:`routing.formulation.horizon_network`, certified on the whole LP, else
``"interior"``); see docs/disrupt.md "Speed" for the measurements."""
FACE_REDUCED_COST = 1e-3
"""A column whose interior-point reduced cost exceeds this share of ``1 + |cost|`` and that sits at
its bound (within 1e-7 of the largest value) is held there when the face is solved by simplex. On
the built-in network's 7-day baseline, 1e-6 held a column some optima use (the tie-break then found
a plan 1.6e-7 dearer in its secondary objective than the simplex's); from 1e-4 on, the vertex and
the tie-break equal the simplex path's to the last digit, and 1e-3 keeps a margin."""

DAYS_SCHEMA = pl.Schema({"day": pl.Int64, "market": pl.String, "commodity": pl.String, "demand_loads": pl.Float64,
                         "delivered_loads": pl.Float64, "backlog_loads": pl.Float64, "avg_lead_time_h": pl.Float64,
                         "late_loads": pl.Float64})
CROSSINGS_SCHEMA = pl.Schema({"day": pl.Int64, "crossing": pl.String, "loads": pl.Float64, "wait_h": pl.Float64,
                              "queued_loads": pl.Float64})
MARKETS_SCHEMA = pl.Schema({"market": pl.String, "commodity": pl.String, "stock_loads": pl.Float64,
                            "backlog_peak_loads": pl.Float64, "time_to_survive_days": pl.Int64,
                            "time_to_recover_days": pl.Int64, "at_risk": pl.Boolean})


@dataclass(frozen=True, slots=True)
class HorizonRun:
    """One solved horizon: its status, the solution blocks and the load-hours they make."""

    status: Status
    objective: float | None
    solve_s: float
    solution: HorizonSolution | None
    load_hours: float = 0.0
    backlog_load_hours: float = 0.0
    detail: str = ""
    values: np.ndarray | None = None  # the LP's columns
    source: str = "lp"  # "lp": solved by HiGHS in this call; "kept": the certified answer to the same LP, kept


@dataclass(frozen=True, slots=True)
class DisruptionResult:
    """What :func:`solve_disruption` returns; ``to_dict`` gives the JSON of ``nearshore disrupt``."""

    status: Status
    objective: float | None
    solver: str
    build_s: float
    solve_s: float
    days: pl.DataFrame
    crossings_by_day: pl.DataFrame
    recovery: dict[str, Any]
    horizon: dict[str, Any]
    detail: str = ""
    sizes: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "objective": self.objective, "solver": self.solver,
                "build_s": self.build_s, "solve_s": self.solve_s, "detail": self.detail, "horizon": self.horizon,
                "lp": self.sizes,
                "recovery": self.recovery, "days": self.days.to_dicts(),
                "crossings_by_day": self.crossings_by_day.to_dicts()}


def daily_totals(days: pl.DataFrame) -> pl.DataFrame:
    """Per day of a :attr:`DisruptionResult.days` frame: demand, delivered, backlog and late loads
    summed over markets and commodities, and ``avg_lead_time_h`` weighted by demand over the rows
    whose loads all land in the horizon (null when none do)."""
    lead = pl.col("avg_lead_time_h")
    return days.group_by("day").agg(
        pl.col("demand_loads").sum(), pl.col("delivered_loads").sum(), pl.col("backlog_loads").sum(),
        pl.col("late_loads").sum(),
        ((lead * pl.col("demand_loads")).sum() / pl.col("demand_loads").filter(lead.is_not_null()).sum())
        .alias("avg_lead_time_h"),
    ).sort("day")


def solve_disruption(base: Network, days: Sequence[Network], *, step_h: float = DEFAULT_STEP_H,
                     inventory_days: float = DEFAULT_INVENTORY_DAYS,
                     options: SolveOptions | None = None, parallel: bool = False) -> DisruptionResult:
    """Solve ``len(days)`` days of ``base`` with day ``e`` run as ``days[e]``, against no events.

    Parameters
    ----------
    base
        The network of today's steady state; its flows are in the pipeline at day 0.
    days
        One network per day (``base`` itself on days without an event), all of ``base``'s structure.
    step_h
        Hours per step (one of :data:`routing.formulation.horizon.STEPS_OF_A_DAY`).
    inventory_days
        Days of demand in stock at each market, for ``time_to_survive_days``.
    options
        Objective and time limit (the horizon is solved with HiGHS).
    parallel
        Solve the baseline and the events' LP at the same time when they are independent (both
        start from the steady state on the first event day): two HiGHS instances on two threads,
        the same answers as one after the other, where the process may use two or more CPUs. Off
        by default: on this project's loaded 2-core machine it was slower (docs/disrupt.md, "Speed").

    Returns
    -------
    DisruptionResult
        Status, per-day rows, crossings by day and the recovery summary.

    Example
    -------
    >>> from networks import read_network
    >>> net = read_network()
    >>> result = solve_disruption(net, [net] * 2, step_h=12)  # two days, no event
    >>> result.status.value, result.recovery["backlog_peak_loads"]
    ('optimal', 0.0)
    """
    start = time.perf_counter()
    options = SolveOptions.of(options)
    steady = LeadTimeModel(base, options).solve()
    flows = getattr(steady._frames, "solution", None)
    layout_days = {"days": len(days), "step_h": float(step_h), "steps": int(len(days) * 24 / step_h)}
    if not steady.status.has_solution or flows is None:
        return _failed(steady.status, f"the steady state has no solution: {steady.detail}", start, layout_days)
    distinct = {id(n): n for n in [base, *days]}
    arrays = {key: n.arrays for key, n in distinct.items()}
    weights = {key: objective_weights(a, options.objective, usd_per_load_hour=options.usd_per_load_hour,
                                      wait_segments=options.wait_segments) for key, a in arrays.items()}
    plain = [arrays[id(base)]] * len(days)
    event = [arrays[id(n)] for n in days]
    plain_w, event_w = [weights[id(base)]] * len(days), [weights[id(n)] for n in days]
    lp_kw = {"step_h": step_h, "hour_weight": hour_weight(options.objective, options.usd_per_load_hour),
             "finite": finite_limits(list(arrays.values()))}
    lp = build_horizon_lp(plain, plain_w, flows.flow, **lp_kw)
    event_days = [e for e, n in enumerate(days) if n is not base]
    first = event_days[0] if event_days else 0
    prefix = steady_prefix(lp.layout, plain[0], plain_w[0], flows, first * lp.layout.steps_per_day)
    today = partial(steady_columns, arrays=plain[0], weights=plain_w[0], steady=flows)
    solve_kw = {"objective": options.objective, "time_limit_s": options.time_limit_s, "today": today}
    clock = time.perf_counter()
    together = parallel and _cores() > 1 and first > 0 and prefix is not None and len(event_days) > 0
    if together:  # steady days first; from the same state, the LPs with and without events are independent
        baseline, run = _concurrently(
            partial(_run_from, lp, prefix, plain, plain_w, flows.flow, first, lp_kw, **solve_kw),
            partial(_run_from, lp, prefix, event, event_w, flows.flow, first, lp_kw, **solve_kw))
    else:
        if first > 0 and prefix is not None:
            baseline = _run_from(lp, prefix, plain, plain_w, flows.flow, first, lp_kw, **solve_kw)
        else:  # the no-event plan is the LP's from day 0 (an event on day 0, or a dispatch would land too late)
            baseline = _run(lp, plain, plain_w, flows.flow, **solve_kw)
            prefix = baseline.values
        run = (_run_from(lp, prefix, event, event_w, flows.flow, first, lp_kw, **solve_kw)
               if event_days and baseline.status.has_solution else baseline)
    solve_s = (time.perf_counter() - clock if together
               else baseline.solve_s + (run.solve_s if run is not baseline else 0.0))
    if not run.status.has_solution or not baseline.status.has_solution:
        bad = run if not run.status.has_solution else baseline
        return _failed(bad.status, bad.detail, start, layout_days, solve_s=solve_s)
    days_frame, per_day = _days_frame(base, lp, event, event_w, run.solution, steady.lanes)
    result = DisruptionResult(
        status=run.status, objective=run.objective, solver="highs", build_s=0.0, solve_s=solve_s,
        days=days_frame, crossings_by_day=_crossings_frame(base, lp, event, run.solution),
        recovery=_recovery(per_day, event_days, inventory_days, base, run, baseline),
        horizon=layout_days | {"event_days": event_days, "baseline_solve_s": baseline.solve_s,
                               "event_solve_s": run.solve_s if run is not baseline else 0.0,
                               "baseline": baseline.source, "concurrent": together}, detail=run.detail,
        sizes={"columns": lp.matrix.shape[1], "rows": lp.matrix.shape[0], "nonzeros": lp.matrix.nnz})
    total = time.perf_counter() - start
    return _with_build(result, total - solve_s)


def _cores() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _concurrently(*runs: Callable[[], HorizonRun]) -> list[HorizonRun]:
    """Call each of ``runs`` on its own thread (HiGHS releases the GIL while it solves) and wait for all."""
    with ThreadPoolExecutor(max_workers=len(runs), thread_name_prefix="horizon") as pool:
        return [future.result() for future in [pool.submit(run) for run in runs]]


def _with_build(result: DisruptionResult, build_s: float) -> DisruptionResult:
    return replace(result, build_s=max(0.0, build_s))


def _failed(status: Status, detail: str, start: float, horizon: dict[str, Any], *,
            solve_s: float = 0.0) -> DisruptionResult:
    return DisruptionResult(status=status, objective=None, solver="highs",
                            build_s=max(0.0, time.perf_counter() - start - solve_s), solve_s=solve_s,
                            days=DAYS_SCHEMA.to_frame(), crossings_by_day=CROSSINGS_SCHEMA.to_frame(),
                            recovery={}, horizon=horizon, detail=detail)


def _lp_digest(lp: HorizonProgram, stages: Sequence[Stage]) -> str:
    """A digest of everything the answer of :func:`_solve` depends on."""
    weights = [w for stage in stages for w in (stage.cost, stage.quadratic) if w is not None]
    return array_digest(lp.c, lp.lb, lp.ub, lp.row_lo, lp.row_hi, lp.matrix.indptr, lp.matrix.indices,
                        lp.matrix.data, *weights)


def _solve_kept(lp: HorizonProgram, stages: Sequence[Stage], *,
                time_limit_s: float | None) -> tuple[tuple[Status, np.ndarray | None, float, str], str]:
    """:func:`_solve` (source ``"lp"``), or the answer kept from an LP of the same content (0 s,
    source ``"kept"``); only optimal answers are kept."""
    key = _lp_digest(lp, stages)
    if key in _SOLVED:
        status, x, _, detail = _SOLVED[key]
        return (status, x, 0.0, detail), "kept"
    answer = _solve(lp, stages, time_limit_s=time_limit_s)
    if answer[0] == Status.OPTIMAL:
        while len(_SOLVED) >= SOLVED_KEPT:
            _SOLVED.pop(next(iter(_SOLVED)))
        _SOLVED[key] = answer
    return answer, "lp"


def _solve(lp: HorizonProgram, stages: Sequence[Stage], *,
           time_limit_s: float | None) -> tuple[Status, np.ndarray | None, float, str]:
    """Solve (:func:`_solve_primary`), certify by the duality gap, then break ties exactly: each of
    ``stages`` (:func:`_secondary`) in turn over the optimal face of the primary and the stages before
    it (:func:`routing.formulation.face.lexicographic`), each answer kept only when the primary's
    duals (and every earlier stage's) certify it; ``detail`` names a stage that was not certified.
    Returns status, columns, seconds, detail."""
    answer, face_of, face_dual = _solve_primary(lp, time_limit_s=time_limit_s, method=HORIZON_METHOD)
    if not answer.status.has_solution:
        return answer.status, None, answer.solve_s, answer.detail
    gap = duality_gap(lp, answer.x, answer.row_dual)
    if answer.status == Status.OPTIMAL and not gap <= TOLERANCE:
        return Status.FEASIBLE, answer.x, answer.solve_s, f"highs said optimal but its duals leave a gap of {gap:.2g}"
    if answer.status != Status.OPTIMAL or not stages:
        return answer.status, answer.x, answer.solve_s, ""
    tied = lexicographic(face_of, answer.x, face_dual, stages, certificates=[(lp, answer.row_dual)],
                         time_limit_s=time_limit_s)
    return Status.OPTIMAL, tied.x, answer.solve_s + tied.solve_s, tied.detail


def _solve_primary(lp: HorizonProgram, *, time_limit_s: float | None,
                   method: str) -> tuple[LpSolution, HorizonProgram, np.ndarray]:
    """The LP's optimum as a vertex, with row duals that certify it (duality gap <= ``TOLERANCE``),
    and the LP and exact duals whose face (:func:`routing.formulation.face.face_lp`) the tie-break takes.

    ``"simplex"``: dual simplex, cold, presolve on. ``"interior"``: an interior point without
    crossover finds the optimal face and duals to its tolerance; with every column whose reduced
    cost is clearly nonzero held at the bound it sits on (``FACE_REDUCED_COST``), dual simplex
    (presolve removes the held columns) finds a vertex of the rest, and the interior point's duals
    certify that vertex for the whole LP: any feasible point whose objective meets their bound is an
    optimum. The held columns are at their bound in every optimum (their reduced cost under an
    optimal dual is nonzero), so the face of the held LP under the simplex's own duals is the whole
    LP's optimal face. When the duals do not certify the vertex (or a solve fails), dual simplex on
    the whole LP, so the answer is never worse than ``"simplex"``'s; ``detail`` says which path it took.
    ``"decomposition"``: :func:`routing.formulation.horizon_network.solve_horizon_decomposition`, kept when
    its point is feasible and its derived duals certify it on ``lp`` (their face is then the optimal
    face), else ``"interior"``.
    """
    if method == "decomposition":
        answer = solve_horizon_decomposition(lp, time_limit_s=time_limit_s)
        if (answer.status == Status.OPTIMAL and lp_violation(lp, answer.x) <= TOLERANCE
                and duality_gap(lp, answer.x, answer.row_dual) <= TOLERANCE):
            return replace(answer, detail="decomposition"), lp, answer.row_dual
        fallback, face_of, face_dual = _solve_primary(lp, time_limit_s=time_limit_s, method="interior")
        return (replace(fallback, solve_s=fallback.solve_s + answer.solve_s,
                        detail=f"decomposition not certified ({answer.detail[:80]}), then {fallback.detail or 'interior'}"),
                face_of, face_dual)
    if method != "interior":
        answer = solve_lp(lp, time_limit_s=time_limit_s)
        return answer, lp, answer.row_dual
    inner = solve_lp(lp, time_limit_s=time_limit_s, method="interior")
    if inner.status == Status.OPTIMAL:
        reduced = lp.c - lp.matrix.T @ inner.row_dual
        clear = FACE_REDUCED_COST * (1.0 + np.abs(lp.c))
        near = 1e-7 * (1.0 + np.abs(inner.x).max(initial=0.0))
        low = (reduced > clear) & (inner.x - lp.lb <= near)
        high = (reduced < -clear) & np.isfinite(lp.ub) & (lp.ub - inner.x <= near)
        held = replace(lp, lb=np.where(high, lp.ub, lp.lb), ub=np.where(low, lp.lb, lp.ub))
        vertex = solve_lp(held, time_limit_s=time_limit_s)
        spent = inner.solve_s + vertex.solve_s
        if vertex.status == Status.OPTIMAL and duality_gap(lp, vertex.x, inner.row_dual) <= TOLERANCE:
            return (replace(vertex, row_dual=inner.row_dual, col_dual=reduced, solve_s=spent, detail="interior"),
                    held, vertex.row_dual)
    else:
        spent = inner.solve_s
    whole = solve_lp(lp, time_limit_s=time_limit_s)
    return replace(whole, solve_s=whole.solve_s + spent, detail=whole.detail or "interior, then simplex"), lp, \
        whole.row_dual


Today = Callable[[HorizonLayout], np.ndarray]
"""Today's steady plan as the columns of a horizon of the given layout
(:func:`routing.formulation.horizon.steady_columns`)."""


def _secondary(lp: HorizonProgram, weights: Sequence[Weights], objective: Objective,
               today: Today | None = None) -> tuple[Stage, ...]:
    """The tie-break stages of ``lp`` (:func:`routing.formulation.horizon.horizon_tie_breaks`), the
    last one towards ``today``'s plan (none: towards zero, the loads spread evenly)."""
    return horizon_tie_breaks(lp, weights, secondary_hour_weight=1.0 if objective == Objective.COST else 0.0,
                              today=today(lp.layout) if today is not None else None)


def _checked(lp: HorizonProgram, days: Sequence[NetworkArrays], weights: Sequence[Weights], pipeline: np.ndarray,
             status: Status, values: np.ndarray, solve_s: float, detail: str, source: str) -> HorizonRun:
    """Re-score the full horizon's columns independently; a failing answer is never reported."""
    solution = split_solution(lp.layout, values)
    verdict = check_horizon_solution(days, weights, lp.layout, pipeline, solution)
    if not verdict.ok:
        return HorizonRun(Status.INVALID, None, solve_s, None, detail=f"highs {verdict}")
    network_h, backlog_h = _load_hours(lp, days, solution)
    return HorizonRun(status, float(lp.c @ values), solve_s, solution, load_hours=network_h,
                      backlog_load_hours=backlog_h, detail=detail, values=values, source=source)


def _run(lp: HorizonProgram, days: Sequence[NetworkArrays], weights: Sequence[Weights], pipeline: np.ndarray, *,
         objective: Objective, time_limit_s: float | None, today: Today) -> HorizonRun:
    """Solve the whole horizon, certify, break ties (the last stage towards ``today``'s plan), check."""
    (status, values, solve_s, detail), source = _solve_kept(lp, _secondary(lp, weights, objective, today),
                                                            time_limit_s=time_limit_s)
    if values is None:
        return HorizonRun(status, None, solve_s, None, detail=detail)
    return _checked(lp, days, weights, pipeline, status, values, solve_s, detail, source)


def _run_from(lp: HorizonProgram, prefix: np.ndarray, days: Sequence[NetworkArrays], weights: Sequence[Weights],
              pipeline: np.ndarray, first_day: int, lp_kw: dict[str, Any], *, objective: Objective,
              time_limit_s: float | None, today: Today) -> HorizonRun:
    """The plan ``prefix`` up to ``first_day`` (events are not foreseen), then an LP of the later steps
    only, from the state the prefix left (:func:`state_at`). Its columns are put after the prefix's,
    and the whole horizon is checked as one; the last tie-break stage goes towards ``today``'s plan."""
    lay, step = lp.layout, first_day * lp.layout.steps_per_day
    start = state_at(lay, days[0], split_solution(lay, prefix), steady_start(lay, days[0], pipeline), step)
    tail = build_horizon_lp(days[first_day:], weights[first_day:], pipeline, initial=start, **lp_kw)
    (status, tail_values, solve_s, detail), source = _solve_kept(
        tail, _secondary(tail, weights[first_day:], objective, today), time_limit_s=time_limit_s)
    if tail_values is None:
        return HorizonRun(status, None, solve_s, None, detail=detail)
    values = prefix.copy()
    values[column_steps(lay) >= step] = tail_values
    full = with_horizon_bounds(lp, days, weights, pipeline)  # the events' costs, for the objective
    return _checked(full, days, weights, pipeline, status, values, solve_s, detail, source)


def _step_waits(lp: HorizonProgram, days: Sequence[NetworkArrays], sol: HorizonSolution) -> np.ndarray:
    """Mean wait (h) of a load of each commodity processed at each node in each step: (k, n, T)."""
    lay = lp.layout
    T, k = lay.n_steps, lay.n_commodities
    out = np.zeros((k, lay.n_nodes, T))
    queue = days[0].queue
    if lay.n_lane_types == 0:
        return out
    day_of = np.arange(T) // lay.steps_per_day
    cap = np.stack([d.queue.capacity for d in days])[day_of].T  # (R, T)
    volume = sol.assign.sum(axis=0) * 24.0 / lay.step_h  # loads/day rate
    rho = np.divide(queue.background[:, None] + volume, cap, out=np.full_like(cap, 0.95), where=cap > 0)
    wait = queue_wait_h(rho, queue.rho_ref[:, None], queue.wait_typical_h[:, None])  # (R, T)
    hours = np.zeros((k, lay.n_nodes, T))
    loads = np.zeros((k, lay.n_nodes, T))
    np.add.at(hours, (slice(None), queue.node), sol.assign * wait[None])
    np.add.at(loads, (slice(None), queue.node), sol.assign)
    return np.divide(hours, loads, out=out, where=loads > 1e-12)


def _load_hours(lp: HorizonProgram, days: Sequence[NetworkArrays], sol: HorizonSolution) -> tuple[float, float]:
    """Load-hours of the horizon in the network (travel and dwell, holdovers, crossing waits,
    production dwell) and of backlog (24 h per load-day: each step's backlog times its share of a day)."""
    lay, base = lp.layout, days[0]
    hours = link_hours(base)[lay.arc_link]
    waits = _step_waits(lp, days, sol)
    assign_wait = float((waits[:, base.tail[lay.arc_link], lay.arc_step] * sol.x).sum())
    network = float((sol.x @ hours).sum() + sol.hold.sum() * lay.step_h + assign_wait
                    + (sol.production.sum(axis=1) @ base.dwell_h[base.supply_node]))
    return network, HOURS_PER_BACKLOG_DAY * float(sol.backlog.sum()) * lay.step_h / 24.0


def dispatch_lead_times(lp: HorizonProgram, days: Sequence[NetworkArrays],
                        sol: HorizonSolution) -> tuple[np.ndarray, np.ndarray]:
    """Loads and load-hours by demand row and dispatch day, (demand rows, days) each.

    Flows are split in proportion at every node and step (a load leaves by each arc, holdover or
    delivery in the share of the node's outflow it takes), backwards in time: ``S[n, t, d]`` is
    the share of the loads at node n in step t that reach demand row d inside the horizon and
    ``SH`` their hours still to go. A dispatch of ``p`` loads at a supplier in step t then sends
    ``p S`` loads to d with ``p (dwell S + SH)`` hours. Loop over steps, vectorised over arcs and rows.
    """
    lay, base = lp.layout, days[0]
    T, n, D = lay.n_steps, lay.n_nodes, lay.n_demand
    kd = base.demand_commodity
    X = sol.x[kd]  # (D, arcs): the flow of each demand row's commodity
    hold = sol.hold[kd]  # (D, n, T); the last step's leads out of the horizon
    taken = np.zeros((lay.n_commodities, n, T))
    np.add.at(taken, (base.demand_commodity, base.demand_node), sol.delivered)
    out_x = np.zeros((lay.n_commodities, n * T))
    for c in range(lay.n_commodities):
        out_x[c] = np.bincount(base.tail[lay.arc_link] * T + lay.arc_step, sol.x[c], n * T)
    total_out = (out_x.reshape(-1, n, T) + sol.hold + taken)[kd]  # (D, n, T)
    hours = link_hours(base)
    waits = _step_waits(lp, days, sol)[kd]  # (D, n, T)
    S = np.zeros((T + 1, n, D))
    SH = np.zeros((T + 1, n, D))
    order = np.argsort(lay.arc_step, kind="stable")
    bounds = np.searchsorted(lay.arc_step[order], np.arange(T + 1))
    rows = np.arange(D)
    for t in range(T - 1, -1, -1):
        arcs = order[bounds[t]:bounds[t + 1]]
        a = lay.arc_link[arcs]
        tail, head, arrive = base.tail[a], base.head[a], t + lay.tau[a]
        flow = X[:, arcs].T  # (arcs, D)
        s_next, sh_next = S[arrive, head], SH[arrive, head]  # (arcs, D)
        leg = hours[a][:, None] + waits[:, tail, t].T
        num_s = np.zeros((n, D))
        num_sh = np.zeros((n, D))
        np.add.at(num_s, tail, flow * s_next)
        np.add.at(num_sh, tail, flow * (s_next * leg + sh_next))
        h = hold[:, :, t].T  # (n, D)
        num_s += h * S[t + 1]
        num_sh += h * (S[t + 1] * lay.step_h + SH[t + 1])
        num_s[base.demand_node, rows] += sol.delivered[:, t]
        o = total_out[:, :, t].T
        np.divide(num_s, o, out=S[t], where=o > 1e-12)
        np.divide(num_sh, o, out=SH[t], where=o > 1e-12)
    same = base.supply_commodity[:, None] == kd[None, :]  # (supply rows, D)
    day_of = np.arange(T) // lay.steps_per_day
    loads = np.zeros((D, lay.n_days))
    load_h = np.zeros((D, lay.n_days))
    dwell = base.dwell_h[base.supply_node]
    for s in range(lay.n_supply):  # supply rows x steps, vectorised over steps and rows
        share = S[:T, base.supply_node[s], :] * same[s]  # (T, D)
        p = sol.production[s][:, None]
        np.add.at(loads.T, day_of, p * share)
        np.add.at(load_h.T, day_of, p * (dwell[s] * share + SH[:T, base.supply_node[s], :] * same[s]))
    return loads, load_h


def _days_frame(base: Network, lp: HorizonProgram, days: Sequence[NetworkArrays], weights: Sequence[Weights],
                sol: HorizonSolution, lanes: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    lay, arrays = lp.layout, days[0]
    N = lay.n_days
    demand = np.stack([d.demand_loads for d in days], axis=1)
    delivered = sol.delivered.reshape(lay.n_demand, N, lay.steps_per_day).sum(axis=2)
    backlog = sol.backlog_by_day(lay.steps_per_day)
    carried = np.concatenate([np.zeros((lay.n_demand, 1)), backlog[:, :-1]], axis=1)
    late = np.minimum(delivered, carried)
    loads, load_h = dispatch_lead_times(lp, days, sol)
    avg = np.divide(load_h, loads, out=np.full_like(loads, np.nan), where=loads > 1e-9)
    market = base.nodes["id"].to_numpy()[arrays.demand_node]
    commodity = base.commodities["id"].to_numpy()[arrays.demand_commodity]
    slowest = lanes.group_by("market", "commodity").agg(pl.col("lead_time_h").max())
    slow = dict(zip(zip(slowest["market"], slowest["commodity"], strict=True), slowest["lead_time_h"], strict=True))
    longest = np.array([slow.get((m, c), 0.0) for m, c in zip(market, commodity, strict=True)])
    cut = (np.arange(N)[None, :] + 2) * 24.0 + longest[:, None] > N * 24.0  # loads would land after the horizon
    avg = np.where(cut, np.nan, avg)
    frame = pl.DataFrame({
        "day": np.tile(np.arange(N), lay.n_demand), "market": np.repeat(market, N),
        "commodity": np.repeat(commodity, N), "demand_loads": demand.ravel(), "delivered_loads": delivered.ravel(),
        "backlog_loads": np.maximum(0.0, backlog).ravel(), "avg_lead_time_h": avg.ravel(), "late_loads": late.ravel(),
    }, schema=DAYS_SCHEMA).with_columns(pl.col("avg_lead_time_h").fill_nan(None)).sort("day", "market", "commodity")
    return frame, {"demand": demand, "delivered": delivered, "backlog": np.maximum(0.0, backlog),
                   "market": market, "commodity": commodity, "avg": avg, "loads": loads}


def _crossings_frame(base: Network, lp: HorizonProgram, days: Sequence[NetworkArrays],
                     sol: HorizonSolution) -> pl.DataFrame:
    lay, arrays = lp.layout, days[0]
    T, n, N = lay.n_steps, lay.n_nodes, lay.n_days
    crossing = np.flatnonzero(arrays.kind == KINDS.index("border_crossing"))
    leaving = np.bincount(arrays.tail[lay.arc_link] * T + lay.arc_step, sol.x.sum(axis=0), n * T).reshape(n, T)
    waits = _step_waits(lp, days, sol)
    wait_hours = np.zeros((n, T))
    for c in range(lay.n_commodities):
        wait_hours += waits[c] * np.bincount(arrays.tail[lay.arc_link] * T + lay.arc_step, sol.x[c], n * T).reshape(n, T)
    per_day = leaving.reshape(n, N, lay.steps_per_day).sum(axis=2)
    wait_day = wait_hours.reshape(n, N, lay.steps_per_day).sum(axis=2)
    queued = sol.hold.sum(axis=0)[:, lay.steps_per_day - 1::lay.steps_per_day]  # (n, N): at the end of each day
    ids = base.nodes["id"].to_numpy()
    loads = per_day[crossing]
    wait = np.divide(wait_day[crossing], loads, out=np.full_like(loads, np.nan), where=loads > 1e-9)
    return pl.DataFrame({
        "day": np.tile(np.arange(N), len(crossing)), "crossing": np.repeat(ids[crossing], N), "loads": loads.ravel(),
        "wait_h": wait.ravel(), "queued_loads": queued[crossing].ravel(),
    }, schema=CROSSINGS_SCHEMA).with_columns(pl.col("wait_h").fill_nan(None)).sort("day", "crossing")


def _first_under(series: np.ndarray, threshold: float, start: int) -> int | None:
    """First day ``>= start`` from which ``series`` stays under ``threshold`` to the end."""
    over = np.flatnonzero(series >= threshold)
    last_over = int(over.max()) if over.size else -1
    day = max(start, last_over + 1)
    return day if day < len(series) else None


def _recovery(per_day: dict[str, np.ndarray], event_days: list[int], inventory_days: float, base: Network,
              run: HorizonRun, baseline: HorizonRun) -> dict[str, Any]:
    backlog = per_day["backlog"]
    total = backlog.sum(axis=0)
    day_demand = float(base.arrays.demand_loads.sum())
    threshold = RECOVERED_SHARE * day_demand
    peak = float(total.max()) if total.size else 0.0
    last = max(event_days) if event_days else None
    first = min(event_days) if event_days else None
    if last is None:
        recover: int | None = 0 if peak < threshold else None
    else:
        day = _first_under(total, threshold, last)
        recover = None if day is None else day - last
    rows = []
    for d in range(len(backlog)):
        stock = inventory_days * float(base.arrays.demand_loads[d])
        row_threshold = RECOVERED_SHARE * max(float(base.arrays.demand_loads[d]), 1e-9)
        survive = ttr = None
        if first is not None:
            out = np.flatnonzero(backlog[d, first:] > stock + 1e-6)
            survive = int(out[0]) if out.size else None
            day = _first_under(backlog[d], row_threshold, first)
            ttr = None if day is None else day - first
            if backlog[d].max(initial=0.0) < row_threshold:
                ttr = 0
        rows.append({"market": per_day["market"][d], "commodity": per_day["commodity"][d], "stock_loads": stock,
                     "backlog_peak_loads": float(backlog[d].max(initial=0.0)), "time_to_survive_days": survive,
                     "time_to_recover_days": ttr, "at_risk": survive is not None})
    return {
        "backlog_peak_loads": peak if peak > 1e-9 else 0.0,
        "backlog_peak_day": int(total.argmax()) if peak > 1e-9 else None,
        "days_to_recover": recover,
        "recovered": recover is not None,
        "recovered_below_loads": threshold,
        "undelivered_at_end_loads": float(total[-1]) if total.size else 0.0,
        "extra_load_hours": (run.load_hours + run.backlog_load_hours
                             - baseline.load_hours - baseline.backlog_load_hours),
        "extra_network_load_hours": run.load_hours - baseline.load_hours,
        "extra_backlog_load_hours": run.backlog_load_hours - baseline.backlog_load_hours,
        "inventory_days": inventory_days,
        "markets": rows,
    }
