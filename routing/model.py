"""The solve engine: pick a backend, solve, map the answer back onto the network.

:class:`LeadTimeModel` keeps what one solve built (the LP and a HiGHS instance) and reuses it
for variants of the same network with other capacities, times or demand, changing only bounds
and costs and warm-starting from the previous basis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from networks import Network, NetworkArrays
from networks.errors import NearshoreError
from networks.queues import wait_h
from routing.backends.highs import HighsSession
from routing.backends.outcome import LpSolution
from routing.formulation.decomposition import DecompositionSession
from routing.formulation.duals import lp_solution
from routing.formulation.face import optimal_face
from routing.formulation.lp import LinearProgram, build_lp, fill_segments, structure_key, with_bounds
from routing.formulation.solution import Solution, Status, no_solution
from routing.formulation.verify import PDLP_TOLERANCE, TOLERANCE, check_solution, duality_gap
from routing.formulation.weights import Weights, link_hours, objective_weights
from routing.options import Objective, SolveOptions, Solver
from routing.results.bottlenecks import Valuation
from routing.results.crossings import utilisation, wait_load_hours_by_commodity
from routing.results.frames import NoTables, SolvedTables
from routing.results.result import LeadTimeResult

GLOP_MAX_FLOW_VARIABLES = 20_000
"""``auto`` solves a cold LP with GLOP up to this many flow variables (commodities x links), with
HiGHS above. Measured (``nearshore bench``, 2026-11): GLOP was faster cold at 2.3e3-1e4 flow
variables (11 vs 15 ms built-in, 20 vs 40 ms at 1e3 links x 5), HiGHS from 5e4 up (1.1 vs 1.6 s);
a warm HiGHS re-solve of a variant takes 2 ms on the built-in network, GLOP 12 ms from scratch."""


DECOMPOSITION_MIN_FLOW_VARIABLES = 20_000
"""``auto`` uses the decomposition for multi-commodity LPs without queued crossings from this many
flow variables (where GLOP's range ends). Measured side by side (2026-12-02, 2 shared cores at load
5-7, medians of 5-9, ``benchmarks/results/single-2026-12-02b.md``): from 2.5e4 flow variables the
decomposition was the fastest backend on both families, 0.35 s vs 0.72 (GLOP) and 1.08 (HiGHS) at
5e3 links x 5, 0.38 vs 1.08 and 1.93 at 3e3 x 10, 0.065 vs 0.16 and 0.22 at 3e3 x 10 given as
origin-destination pairs, 0.095 vs 0.17 and 0.25 at 4e3 x 10 (HiGHS, which ``auto`` chose there
before, was the slowest); at 1.5e4-2e4 it tied with GLOP (within 10 %); at 1e4 GLOP was faster
on the corridors (0.11 vs 0.19 s at 1e3 x 10) and on ``od-1e3x10`` in two of three runs (the
third had the decomposition 18 % ahead), the decomposition on ``od-2e3x5`` (0.036 vs 0.070 s).
With queued crossings (the built-in network) the decomposition was about 6x slower than HiGHS."""

DECOMPOSITION_WARM_MIN_FLOW_VARIABLES = 50_000
"""The same threshold for a model that will re-solve variants (``warm_start``): the measurements
above are cold solves, and a warm HiGHS re-solve of a variant is cheap, so the earlier threshold
(fastest cold from 5e4, ``benchmarks/results/multi-2026-12-02.md``) stays until warm runs are measured."""


LEMON_SPEEDUP = "3-4x"
"""``auto`` solves exact min-cost flows with LEMON when ``pylmcf`` is installed. Measured
(``nearshore bench``, 2026-12, 2 shared cores, the solver's time): LEMON's network simplex 3-4x
faster than ``SimpleMinCostFlow`` from 1e3 to 1e5 links, its cost scaling about 1.5x faster at 1e6
(:mod:`routing.backends.lemon` picks the algorithm, and network simplex where cost scaling could
overflow)."""


class SolverUnsuitableError(NearshoreError):
    """The requested solver cannot solve this instance (e.g. min-cost flow with two commodities)."""


def choose_solver(arrays: NetworkArrays, weights: Weights, requested: Solver, *, warm_start: bool = False) -> Solver:
    """Resolve ``auto`` and check that an explicit min-cost-flow request fits the instance.

    ``auto`` picks, in order: min-cost flow when it gives the LP's optimum exactly (one commodity,
    no power, water or queue rows, whole numbers), with LEMON when ``pylmcf`` is installed
    (:data:`LEMON_SPEEDUP`) and OR-Tools otherwise; the decomposition for a large multi-commodity LP
    without queued crossings (:data:`DECOMPOSITION_MIN_FLOW_VARIABLES`, with ``warm_start``
    :data:`DECOMPOSITION_WARM_MIN_FLOW_VARIABLES`); HiGHS when the LP will be
    re-solved from a warm start (``warm_start``); GLOP for a small cold LP (single commodity, or at
    most :data:`GLOP_MAX_FLOW_VARIABLES`); HiGHS otherwise. It never picks PDLP (not exact).
    """
    from routing.backends.highs import highs_available
    from routing.formulation.flowgraph import fits_min_cost_flow

    fits = fits_min_cost_flow(arrays, weights)
    if requested in (Solver.MINCOSTFLOW, Solver.LEMON) and not fits:
        raise SolverUnsuitableError(
            f"solver {requested.value} needs one commodity, no power or water limits, whole-number "
            "capacities and times in 1/1000 h; use --solver auto, highs or glop"
        )
    if requested == Solver.DECOMPOSITION and weights.link_by_commodity is not None:
        raise SolverUnsuitableError("solver decomposition prices one weight per link; the as_operated objective "
                                    "weighs each commodity's time differently: use --solver auto, highs or glop")
    if requested == Solver.LEMON:
        from routing.backends.lemon import lemon_available

        if not lemon_available():
            raise SolverUnsuitableError("solver lemon needs pylmcf: pip install 'nearshore[lemon]'")
    if requested != Solver.AUTO:
        return requested
    if fits:
        from routing.backends.lemon import lemon_available

        return Solver.LEMON if lemon_available() else Solver.MINCOSTFLOW
    if not highs_available():
        return Solver.GLOP
    flow_variables = arrays.n_commodities * arrays.n_links
    decomposition_from = DECOMPOSITION_WARM_MIN_FLOW_VARIABLES if warm_start else DECOMPOSITION_MIN_FLOW_VARIABLES
    if arrays.n_commodities > 1 and len(arrays.queue) == 0 and flow_variables >= decomposition_from:
        return Solver.DECOMPOSITION
    small = arrays.n_commodities == 1 or flow_variables <= GLOP_MAX_FLOW_VARIABLES
    return Solver.GLOP if small and not warm_start else Solver.HIGHS


class LeadTimeModel:
    """A lead-time problem on one network structure, solvable many times.

    ``solve()`` solves the network it was made with; ``solve(variant)`` solves a variant (other
    capacities, transit times, dwell, supply or demand). When the variant has the same structure
    (:func:`routing.formulation.lp.structure_key`), the LP matrix is kept and, with HiGHS, only the changed
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

    def __init__(self, network: Network, options: SolveOptions | None = None, *, warm_start: bool = True,
                 **overrides: Any) -> None:
        self.network = network
        self.options = SolveOptions.of(options, **overrides)
        self.warm_start = warm_start
        self.reused = 0  # solves that kept the matrix of an earlier one
        self._lp: LinearProgram | None = None
        self._key: str | None = None
        self._highs: HighsSession | None = None
        self._face_highs: HighsSession | None = None  # the tie-breaks' (see _tie_break)
        self._decomposition: DecompositionSession | None = None
        self._probe_start: ProbeStart | None = None  # of the last solve, when its capacities need re-solves

    def solve(self, variant: Network | None = None) -> LeadTimeResult:
        """Solve the model's network, or a variant of it."""
        network = self.network if variant is None else variant
        start = time.perf_counter()
        arrays = network.arrays
        options = self.options
        weights = objective_weights(arrays, options.objective, usd_per_load_hour=options.usd_per_load_hour,
                                    wait_segments=options.wait_segments, carrying_rate=options.carrying_rate,
                                    service_usd_per_load_hour=options.service_usd_per_load_hour)
        solver = choose_solver(arrays, weights, options.solver, warm_start=self.warm_start)
        self._probe_start = None
        solution = self._run(arrays, weights, solver)
        total_s = time.perf_counter() - start
        return assemble_result(network, solution, weights, objective=options.objective, solver=solver,
                               build_s=max(0.0, total_s - solution.solve_s),
                               usd_per_load_hour=options.usd_per_load_hour, probe_start=self._probe_start)

    def _run(self, arrays: NetworkArrays, weights: Weights, solver: Solver) -> Solution:
        """Solve with the backend, then check the answer independently before anyone sees it."""
        solution = self._solve_with(arrays, weights, solver)
        if not solution.status.has_solution:
            return solution
        loose = solver == Solver.PDLP  # a first-order method: feasible only to its own tolerance
        verdict = check_solution(arrays, weights, solution, tolerance=PDLP_TOLERANCE if loose else TOLERANCE)
        if not verdict.ok:
            return no_solution(Status.INVALID, solution.solve_s, f"{solver.value} {verdict}")
        return solution

    def _solve_with(self, arrays: NetworkArrays, weights: Weights, solver: Solver) -> Solution:
        if solver in (Solver.MINCOSTFLOW, Solver.LEMON):  # measured: reusing the MCF object gains nothing
            from routing.formulation.flowgraph import solve_single_commodity

            return solve_single_commodity(arrays, weights, engine="lemon" if solver == Solver.LEMON else "ortools")
        if solver == Solver.DECOMPOSITION:
            self._decomposition = self._decomposition or DecompositionSession()
            return self._decomposition.solve(arrays, weights, time_limit_s=self.options.time_limit_s)
        lp, reuse = self._lp_for(arrays, weights)
        answer = self._solve_lp(lp, solver, reuse=reuse)
        if not answer.status.has_solution:
            return no_solution(answer.status, answer.solve_s, answer.detail)
        status, detail = _certified(answer.status, duality_gap(lp, answer.x, answer.row_dual), solver)
        x, solve_s = answer.x, answer.solve_s
        if solver == Solver.HIGHS and status == Status.OPTIMAL and _probed(lp, x, weights):
            self._probe_start = ProbeStart(lp, x, self._highs.basis(), self._highs)  # before the tie-break moves it
        face = optimal_face(lp, x, answer.row_dual, weights, arrays.n_commodities) if status == Status.OPTIMAL else None
        if face is not None:  # the tie-break, exact: least secondary objective among the primary's optima
            tied = self._tie_break(face, solver)
            solve_s += tied.solve_s
            x = tied.x if tied.status == Status.OPTIMAL else x
        return lp_solution(arrays, lp, x, answer.row_dual, answer.col_dual, status, solve_s, detail)

    def _solve_lp(self, lp: LinearProgram, solver: Solver, *, reuse: bool) -> LpSolution:
        if solver == Solver.HIGHS:
            self._highs = self._highs or HighsSession()
            return self._highs.solve(lp, reuse=reuse, time_limit_s=self.options.time_limit_s)
        from routing.backends.ortools import solve_lp

        return solve_lp(lp, solver=solver.value, time_limit_s=self.options.time_limit_s)

    def _tie_break(self, face: LinearProgram, solver: Solver) -> LpSolution:
        """Solve the optimal face: with HiGHS in a session of its own, from the anchor basis of the
        session that solved the primary, so that one keeps the primary's optimum factorised for the
        capacity probes and both pass only what changed from their previous LP."""
        anchor = self._highs.anchor_basis if solver == Solver.HIGHS and self._highs is not None else None
        if anchor is None:
            return self._solve_lp(face, solver, reuse=True)
        start = time.perf_counter()
        found = self._highs.anchor_vertex(face)  # the anchor still optimal on the face: HiGHS would not pivot
        if found is not None:
            return LpSolution(Status.OPTIMAL, found[0], found[1], found[2], time.perf_counter() - start)
        self._face_highs = self._face_highs or HighsSession()
        return self._face_highs.solve_from(face, anchor, time_limit_s=self.options.time_limit_s, duals=False)

    def _lp_for(self, arrays: NetworkArrays, weights: Weights) -> tuple[LinearProgram, bool]:
        key = structure_key(arrays)
        reuse = self._lp is not None and key == self._key
        self._lp = with_bounds(self._lp, arrays, weights) if reuse else build_lp(arrays, weights)
        self._key = key
        self.reused += reuse
        return self._lp, reuse


def _certified(status: Status, gap: float, solver: Solver) -> tuple[Status, str]:
    """The status an LP answer earns from its duality gap: ``optimal`` needs a gap <= 1e-6."""
    if solver == Solver.PDLP and status == Status.OPTIMAL:
        return Status.OPTIMAL_WITHIN_TOLERANCE, f"pdlp duality gap {gap:.2g} (first-order: not proven optimal)"
    if status == Status.OPTIMAL and not gap <= TOLERANCE:
        return Status.FEASIBLE, f"{solver.value} said optimal but its duals leave a gap of {gap:.2g}"
    return status, ""


def assemble_result(network: Network, solution: Solution, weights: Weights, *, objective: Objective,
                    solver: Solver, build_s: float, usd_per_load_hour: float = 0.0,
                    probe_start: ProbeStart | None = None) -> LeadTimeResult:
    """Turn a solution into the summary numbers and the (lazily built) result frames; capacity
    re-solves, when needed, start from ``probe_start`` (else from a cold solve of their own)."""
    arrays = network.arrays
    common = dict(objective_kind=objective.value, unmet_penalty=weights.penalty, solver=solver.value,
                  build_s=build_s, solve_s=solution.solve_s, detail=solution.detail)
    if not solution.status.has_solution:
        return LeadTimeResult.with_frames(
            NoTables(), status=solution.status, objective=None, avg_lead_time_h=None, served_loads_per_day=0.0,
            unmet_loads_per_day=float(arrays.demand_loads[arrays.freight[arrays.demand_commodity]].sum()),
            total_load_hours_per_day=0.0,
            total_cost_usd_per_day=0.0, **common)
    freight, k = arrays.freight, arrays.n_commodities
    supply_k = np.bincount(arrays.supply_commodity, solution.production * arrays.dwell_h[arrays.supply_node],
                           minlength=k)
    # per commodity sums by einsum, not BLAS: OpenBLAS' threads made `flow @ vector` 5 ms of CPU at 1e5
    # links on a loaded 2-core machine, einsum 0.03 ms (2026-12-02)
    hours_k = (np.einsum("km,m->k", solution.flow, link_hours(arrays)) + supply_k
               + wait_load_hours_by_commodity(network, solution))
    unmet_k = np.bincount(arrays.demand_commodity, solution.unmet, minlength=k)
    demand_k = np.bincount(arrays.demand_commodity, arrays.demand_loads, minlength=k)
    cost_k = np.einsum("km,m->k", solution.flow, arrays.cost_usd)
    load_hours = float(hours_k[freight].sum())
    served = float(demand_k[freight].sum() - unmet_k[freight].sum())
    segments = fill_segments(solution.queue_volume, weights.segment_width)
    objective_value = float((solution.flow * weights.flow_weights(k)).sum() + solution.production @ weights.supply
                            + weights.penalty * solution.unmet.sum() + (segments * weights.segment_cost).sum())
    if weights.value_of_time is not None:  # as_operated: report the generalised cost in USD, not its potential
        vot = weights.value_of_time
        objective_value = float(cost_k.sum() + vot @ hours_k + (weights.penalty * vot) @ unmet_k)
    # the duals are the values, except with demand unmet (the penalty is in them) and as operated
    # (they price the equilibrium's potential, not USD): then capacities are valued by re-solves, or for a
    # min-cost flow off its residual graph (capacity_probe)
    probe = (capacity_probe(arrays, weights, solution, solver, probe_start) if solution.unmet.sum() > UNMET_TOLERANCE
             or weights.value_of_time is not None else None)
    valuation = Valuation(objective=objective.value, usd_per_load_hour=usd_per_load_hour, probe=probe,
                          probe_all=weights.value_of_time is not None)
    return LeadTimeResult.with_frames(
        SolvedTables(network, solution, valuation),
        status=solution.status,
        objective=objective_value,
        avg_lead_time_h=load_hours / served if served > 1e-9 else None,
        served_loads_per_day=served,
        unmet_loads_per_day=float(unmet_k[freight].sum()),
        total_load_hours_per_day=load_hours,
        total_cost_usd_per_day=float(cost_k[freight].sum()),
        background_unmet_loads_per_day=float(unmet_k[~freight].sum()),
        all_load_hours_per_day=float(hours_k.sum()),
        **common,
    )


def capacity_probe(arrays: NetworkArrays, weights: Weights, solution: Solution, solver: Solver,
                   start: ProbeStart | None) -> Any:
    """How the capacities of a solve with unmet demand (or as operated) are valued: a min-cost-flow
    answer of a linear objective from its residual graph, exactly and without a re-solve
    (:class:`routing.formulation.flowgraph.FlowProbe`); any other by LP re-solves (:class:`CapacityProbe`)."""
    if solver in (Solver.MINCOSTFLOW, Solver.LEMON) and weights.value_of_time is None:
        from routing.formulation.flowgraph import FlowProbe

        return FlowProbe(arrays, weights, solution)
    return CapacityProbe(arrays, weights, start=start)


UNMET_TOLERANCE = 1e-7
"""Unmet loads per day below this are solver noise: the capacities' duals are used as they are."""


@dataclass(frozen=True, slots=True)
class ProbeStart:
    """Where the capacity re-solves of a solve start: its LP, its optimal vertex (before the
    tie-break) and basis, and the HiGHS session that solved it (whose anchor they leave alone)."""

    lp: LinearProgram
    x: np.ndarray
    basis: object
    session: HighsSession


def _probed(lp: LinearProgram, x: np.ndarray, weights: Weights) -> bool:
    """Whether the capacities of this LP answer are valued by re-solves (:func:`assemble_result`)."""
    s0 = lp.n_flow + lp.n_supply
    return weights.value_of_time is not None or float(x[s0:s0 + lp.n_demand].sum()) > UNMET_TOLERANCE


PROBE_BLOCK_FLOATS = 8_000_000
"""Capacities read off the basis at once are limited so that their dense steps (variables and rows x
capacities) hold at most this many floats (64 MB): all at once on the built-in network, in blocks on
large LPs."""


class CapacityProbe:
    """What one more unit of a capacity serves and saves, from re-solves, net of the unmet penalty.

    With demand unmet the dual ``y`` of a capacity is ``penalty x s + h`` for the basis the solver
    ended on: ``s`` the extra loads served, ``h`` the objective saved otherwise. Splitting ``y``
    needs ``s``, and the duals alone do not give it (a degenerate dual can put the whole penalty
    on any one of several capacities in series). So each capacity is re-solved with one more unit
    (the LP kept, only its bounds changed, HiGHS warm-started from the basis of this network's own
    re-solve) and the two primal solutions are compared: ``s`` = served' - served,
    ``h`` = -(objective' - objective), both without the penalty and the tie-break. This is the
    right-hand derivative over one unit: exact while the optimal basis holds for one more unit,
    and otherwise the average over that unit, which is what "one more unit" means.

    As operated, the LP minimises the equilibrium's potential (Beckmann), whose duals are no
    USD; every binding capacity is then re-solved and valued by the change of the reported
    generalised cost (freight + value of time x hours), at the new equilibrium.

    A probe values the capacities with a positive dual, paid only when the bottlenecks are read.
    Where the optimal basis stays feasible with one more unit, the new vertex is read off it (one
    factorisation per solve, one sparse solve per capacity: :mod:`routing.results.probe`); the
    others are re-solved warm (about a millisecond each on the built-in network), one after the other
    under a linear objective, each from the basis as operated. Given the ``start`` of the solve
    being valued, everything starts from that solve's optimal basis in its own HiGHS session
    (the model's: nothing is built or solved again); without one, the LP is built and solved cold
    once first.
    """

    def __init__(self, arrays: NetworkArrays, weights: Weights, *, start: ProbeStart | None = None) -> None:
        self.arrays, self.weights = arrays, weights
        self._start_at = start
        self._lp: LinearProgram | None = None
        self._session: HighsSession | None = None
        self._basis: object | None = None
        self._base: tuple[float, float] | None = None

    def __call__(self, kind: str, index: Any) -> tuple[Any, Any]:
        from routing.results.probe import STEPS, bound_move

        served, saved = np.full(len(index), np.nan), np.full(len(index), np.nan)
        base = self._start()
        if base is None or len(index) == 0:
            return served, saved
        moves = [bound_move(self._lp, self.arrays, kind, int(owner), STEPS[kind][1]) for owner in index]
        stepped = self._stepped_in_blocks(moves, base)
        # a linear objective's served loads and value are the optimum's (alike at every optimal vertex):
        # its re-solves start hot, one after the other; as operated they are the vertex's, each from the basis
        linear = self.weights.value_of_time is None
        for i, move in enumerate(moves):
            if stepped is not None and stepped[2][i]:
                served[i], saved[i] = stepped[0][i], stepped[1][i]
                continue
            answer = self._session.solve_moved(self._lp, self._basis, row=move.row, index=move.index, upper=move.new,
                                               hot=linear)
            if answer.status == Status.OPTIMAL:
                more = self._measure(answer.x)
                served[i], saved[i] = more[0] - base[0], base[1] - more[1]
        return served, saved

    def _stepped_in_blocks(self, moves: list[Any],
                           base: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """:meth:`_stepped` over blocks of moves whose dense steps (variables x moves) stay within
        :data:`PROBE_BLOCK_FLOATS`, so a large LP with many capacities does not hold them all at once."""
        n_vars = self._lp.matrix.shape[0] + self._lp.matrix.shape[1]
        size = max(1, PROBE_BLOCK_FLOATS // max(n_vars, 1))
        parts = []
        for first in range(0, len(moves), size):
            part = self._stepped(moves[first:first + size], base)
            if part is None:
                return None
            parts.append(part)
        if not parts:
            return None
        return tuple(np.concatenate([part[i] for part in parts]) for i in range(3))  # type: ignore[return-value]

    def _stepped(self, moves: list[Any], base: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Loads served and objective saved by each bound move (one more unit of a capacity), read
        off the optimal basis (:mod:`routing.results.probe`: the vertex a warm re-solve returns
        without pivoting), and which of them were (the others need a re-solve); None when the basis
        cannot be used."""
        from routing.results.probe import basis_rhs, basis_steps

        lp = self._lp
        factored = self._session.basis_solves(lp, self._basis, basis_rhs(lp, moves))
        if factored is None:
            return None
        x, basic, solves = factored
        steps, ok = basis_steps(lp, x, basic, solves, moves)
        s0 = lp.n_flow + lp.n_supply
        if self.weights.value_of_time is None:  # linear: the changes of served loads and objective directly
            kept = lp.c.copy()
            kept[s0:s0 + lp.n_demand] = 0.0  # the objective without the penalty
            return -steps[s0:s0 + lp.n_demand].sum(axis=0), -(kept @ steps), ok
        served, saved = np.full(len(moves), np.nan), np.full(len(moves), np.nan)
        for j in np.flatnonzero(ok):
            more = self._measure(x + steps[:, j])
            served[j], saved[j] = more[0] - base[0], base[1] - more[1]
        return served, saved, ok

    def _start(self) -> tuple[float, float] | None:
        if self._session is None and self._start_at is not None:
            start = self._start_at
            self._lp, self._session, self._basis = start.lp, start.session, start.basis
            self._base = self._measure(start.x)
        elif self._session is None:
            self._lp = build_lp(self.arrays, self.weights)
            self._session = HighsSession()
            answer = self._session.solve(self._lp, reuse=False, time_limit_s=None)
            self._basis = self._session.basis()
            self._base = self._measure(answer.x) if answer.status == Status.OPTIMAL else None
        return self._base

    def _measure(self, x: Any) -> tuple[float, float]:
        """Loads served and the objective without the penalty of the LP vector ``x``; as
        operated, the generalised cost in USD (freight + value of time x hours, waits included) that
        the result reports, not the potential the LP minimises."""
        lp, w, a = self._lp, self.weights, self.arrays
        k, s0 = a.n_commodities, lp.n_flow + lp.n_supply
        flow, production = x[:lp.n_flow].reshape(k, a.n_links), x[lp.n_flow:s0]
        unmet = x[s0:s0 + lp.n_demand]
        assign = x[s0 + lp.n_demand:s0 + lp.n_demand + lp.n_assign]
        segments = x[s0 + lp.n_demand + lp.n_assign:]
        served = float(a.demand_loads.sum() - unmet.sum())  # every load the penalty counts, background too
        if w.value_of_time is None:
            value = float((flow * w.flow_weights(k)).sum() + w.supply @ production + w.segment_cost.ravel() @ segments)
            return served, value
        hours_k = flow @ link_hours(a) + np.bincount(a.supply_commodity, production * a.dwell_h[a.supply_node],
                                                     minlength=k)
        if len(a.queue):
            z = assign.reshape(k, len(a.queue))
            waits = wait_h(utilisation(a.queue, z.sum(axis=0)), a.queue.rho_ref, a.queue.wait_typical_h)
            hours_k = hours_k + z @ waits
        return served, float((flow @ a.cost_usd).sum() + w.value_of_time @ hours_k)


def solve_lead_time(network: Network, options: SolveOptions | None = None, **overrides: Any) -> LeadTimeResult:
    """Route every market's demand through the network at the least total lead time.

    Parameters
    ----------
    network
        A validated network.
    options, **overrides
        A :class:`routing.options.SolveOptions`, or its fields as keywords (both: the keywords win):
    objective
        ``lead_time`` (load-hours per day), ``cost`` (USD per day) or ``blend``
        (USD + ``usd_per_load_hour`` x load-hours).
    solver
        ``auto`` (min-cost flow when exact, else GLOP for small LPs and HiGHS for large ones, see
        :func:`choose_solver`), ``glop``, ``highs``, ``pdlp`` or ``mincostflow``.
    time_limit_s
        Stop the LP solver after this many seconds (status ``feasible`` or ``not_solved``).
    usd_per_load_hour
        Value of a load-hour in the ``blend`` objective.
    wait_segments
        Linear pieces of each queued crossing's wait curve (more: closer to the smooth curve).

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
    return LeadTimeModel(network, options, warm_start=False, **overrides).solve()
