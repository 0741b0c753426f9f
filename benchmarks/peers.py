"""The solvers timed side by side on one instance, and the instance in the form each one takes.

Each :class:`Peer` has an untimed ``prepare`` (turn the instance into the peer's input, as a user
would have it at hand) and a timed ``run`` that returns the optimum, re-scored here from the
peer's own solution so the runner can check that all peers agree. The only module of the
benchmarks that calls OR-Tools and networkx directly (LEMON goes through ``routing.backends.lemon``).

* ``nearshore``: :func:`routing.solve_lead_time` from a built `Network` to a result with its lanes,
  bottlenecks and unmet demand built (the frames ``nearshore solve`` prints; ``--solver auto``);
* ``raw-mcf``, ``lemon-ns``, ``lemon-cs``, ``networkx``: OR-Tools ``SimpleMinCostFlow``, LEMON
  network simplex and cost scaling (``pylmcf``) and networkx ``network_simplex`` on the *plain*
  problem a user would hand them (:class:`PlainProblem`): supplies and demands at the nodes, the
  links as arcs (node throughput limits split into an arc, as any min-cost-flow code needs), no
  super source and no unmet-demand arcs. OR-Tools runs ``solve_max_flow_with_min_cost`` when the
  supply exceeds the demand or cannot all be served; LEMON and networkx need a balanced problem, so
  they get one dummy sink for the surplus, and are skipped where demand goes unmet;
* ``mcf-backend``, ``lemon-backend``, ``lp-highs``, ``lp-glop``: nearshore's backends on prepared
  arrays, without the result tables: what ``--solver auto`` chooses between;
* ``lp-highs-ipm``: the LP with HiGHS' interior point method, crossover on (a vertex, as simplex);
* ``decomposition``: nearshore's exact decomposition backend (:mod:`routing.formulation.decomposition`)
  on prepared arrays, a fresh session per run, without the result tables (multi-commodity
  instances without queued crossings, where ``auto`` may pick it);
* ``uncoupled-mcf``: a multi-commodity instance's commodities solved one by one with
  ``SimpleMinCostFlow`` and the full capacities each, without power or water rows: a lower bound
  on the optimum (``bound``), not a solution, timed for scale.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from networks import Network, NetworkArrays
from routing.formulation.flowgraph import COST_SCALE, FlowGraph, build_flow_graph, fits_min_cost_flow
from routing.formulation.lp import LinearProgram, build_lp
from routing.formulation.solution import Solution
from routing.formulation.weights import Weights, objective_weights
from routing.options import DEFAULT_USD_PER_LOAD_HOUR, Objective

LP_TIME_LIMIT_S = 300.0  # the LP solvers stop here; the record then says so instead of a time


class PeerFailed(RuntimeError):
    """A peer ended without an optimal solution."""


class PeerTimedOut(PeerFailed):
    """A peer reached its time limit before the optimum."""


class PeerSkipped(RuntimeError):
    """A peer that does not apply to this instance; the message says why (a note, not an error)."""


@dataclass(frozen=True, slots=True)
class Instance:
    """A built instance with what every peer needs: arrays, objective weights and, when the
    instance is an exact min-cost flow, its extended graph."""

    name: str
    family: str
    network: Network
    weights: Weights
    graph: FlowGraph | None
    plain: PlainProblem | None = None

    @property
    def arrays(self) -> NetworkArrays:
        return self.network.arrays


def prepare_instance(name: str, family: str, network: Network) -> Instance:
    """Weights of the lead-time objective and, if it fits, the min-cost-flow graph and the plain problem."""
    weights = objective_weights(network.arrays, Objective.LEAD_TIME, usd_per_load_hour=DEFAULT_USD_PER_LOAD_HOUR)
    fits = fits_min_cost_flow(network.arrays, weights)
    graph = build_flow_graph(network.arrays, weights) if fits else None
    plain = plain_problem(network.arrays, weights) if fits else None
    return Instance(name=name, family=family, network=network, weights=weights, graph=graph, plain=plain)


@dataclass(frozen=True, slots=True)
class PlainProblem:
    """A single-commodity instance as a user would hand it to a min-cost-flow code (int64 arrays,
    costs in ``1 / COST_SCALE`` objective units).

    Nodes are the network's, then one ``v_in`` per node with a throughput limit (the arc
    ``v_in -> v`` carries the limit), then, only when some supplier has a cost of its own (its
    dwell) and the supply exceeds the demand, one source node per supply row with an arc into its
    node that carries that cost. ``supply`` holds each supplier's capacity (positive) and each
    market's demand (negative); ``offset`` is the supply cost that is fixed when supply equals
    demand; ``balanced`` says whether the supplies sum to zero.
    """

    tail: np.ndarray
    head: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray
    supply: np.ndarray
    offset: float
    penalty: float
    demand: int
    sources: np.ndarray  # nodes with a positive supply (for the dummy sink of a balanced form)

    @property
    def balanced(self) -> bool:
        return int(self.supply.sum()) == 0


def plain_problem(arrays: NetworkArrays, weights: Weights) -> PlainProblem:
    """The :class:`PlainProblem` of a single-commodity instance (numpy, no per-arc loop)."""
    n, total = arrays.n_nodes, round(arrays.demand_loads.sum())
    split = np.flatnonzero(np.isfinite(arrays.throughput))
    entry = np.arange(n)
    entry[split] = n + np.arange(len(split))
    bounded = lambda cap: np.where(np.isfinite(cap), cap, total).astype(np.int64)
    scaled = lambda values: np.round(np.asarray(values) * COST_SCALE).astype(np.int64)
    tail = [arrays.tail, entry[split]]
    head = [entry[arrays.head], split]
    capacity = [bounded(arrays.capacity), bounded(arrays.throughput[split])]
    cost = [scaled(weights.link), np.zeros(len(split), dtype=np.int64)]
    supply_cap = bounded(arrays.supply_capacity)
    n_all = n + len(split)
    costly = bool(np.any(weights.supply != 0)) and supply_cap.sum() != total
    offset = 0.0
    if costly:  # a source per supply row, its arc carrying the supplier's cost
        rows = np.arange(len(supply_cap))
        tail.append(n_all + rows)
        head.append(entry[arrays.supply_node])
        capacity.append(supply_cap)
        cost.append(scaled(weights.supply))
        at, n_all = n_all + rows, n_all + len(rows)
    else:
        at = entry[arrays.supply_node]
        offset = float(weights.supply @ arrays.supply_capacity) if supply_cap.sum() == total else 0.0
    supply = np.zeros(n_all, dtype=np.int64)
    np.add.at(supply, at, supply_cap)
    np.subtract.at(supply, entry[arrays.demand_node], np.round(arrays.demand_loads).astype(np.int64))
    return PlainProblem(tail=np.concatenate(tail).astype(np.int64), head=np.concatenate(head).astype(np.int64),
                        capacity=np.concatenate(capacity), cost=np.concatenate(cost), supply=supply, offset=offset,
                        penalty=weights.penalty, demand=total, sources=np.unique(at))


def plain_objective(plain: PlainProblem, flows: np.ndarray, served: int) -> float:
    """Re-scored in objective units: the arcs' costs, the fixed supply cost, the unmet penalty."""
    return float(flows[:len(plain.cost)] @ plain.cost) / COST_SCALE + plain.offset + plain.penalty * (plain.demand - served)


def balanced_form(plain: PlainProblem) -> PlainProblem:
    """The plain problem with a dummy sink taking the surplus supply at no cost (LEMON and networkx
    need the supplies to sum to zero)."""
    surplus = int(plain.supply.sum())
    if surplus == 0:
        return plain
    sink = len(plain.supply)
    sources = plain.sources
    supply = np.append(plain.supply, -surplus)
    return PlainProblem(tail=np.concatenate([plain.tail, sources]), head=np.concatenate([plain.head, np.full(len(sources), sink)]),
                        capacity=np.concatenate([plain.capacity, plain.supply[sources]]),
                        cost=np.concatenate([plain.cost, np.zeros(len(sources), dtype=np.int64)]), supply=supply,
                        offset=plain.offset, penalty=plain.penalty, demand=plain.demand, sources=sources)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A peer's optimum (in objective units: load-hours per day) and what else it reports."""

    objective: float
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Peer:
    """A solver as the runner sees it.

    ``flow_only`` peers solve only exact min-cost flows (one commodity, no power or water rows);
    ``max_s`` is the time above which the runner skips the peer at larger sizes, from a prediction.
    """

    name: str
    prepare: Callable[[Instance], Any]
    run: Callable[[Any], Outcome]
    flow_only: bool = False
    max_s: float = 600.0
    requires: str = ""  # a module that must import, else the peer is left out
    multi_only: bool = False  # only for instances of several commodities
    bound: bool = False  # reports a bound, not a solution: never "best", checked as a bound

    def available(self) -> bool:
        if not self.requires:
            return True
        try:
            __import__(self.requires)
        except ImportError:
            return False
        return True

    def applies(self, instance: Instance) -> bool:
        if self.multi_only:
            return instance.arrays.n_commodities > 1
        return instance.graph is not None or not self.flow_only


def solution_objective(weights: Weights, flow: np.ndarray, production: np.ndarray, unmet: np.ndarray) -> float:
    """The lead-time objective of a min-cost-flow solution (no crossing wait curves there)."""
    return float((flow @ weights.link).sum() + production @ weights.supply + weights.penalty * unmet.sum())


# --- nearshore -------------------------------------------------------------------------------


def _prepare_nearshore(instance: Instance) -> tuple[dict, str]:
    return instance.network, instance.network.name


def _run_nearshore(state: tuple[dict, str]) -> Outcome:
    """A fresh `Network` over the same (validated) tables, so no cached arrays carry over."""
    from routing import solve_lead_time

    network, _ = state
    result = solve_lead_time(network.without_caches(), time_limit_s=LP_TIME_LIMIT_S)
    _check_status(result.status.value, result.solve_s, "nearshore", result.detail)
    shown = {name: getattr(result, name).height for name in ("lanes", "bottlenecks", "unmet")}  # what solve prints
    return Outcome(result.objective, {"chosen": result.solver, "solver_s": result.solve_s, **shown})


def _prepare_backend(instance: Instance) -> tuple[NetworkArrays, Weights]:
    return instance.arrays, instance.weights


def _run_mcf_backend(state: tuple[NetworkArrays, Weights]) -> Outcome:
    from routing.formulation.flowgraph import solve_single_commodity

    arrays, weights = state
    solution = solve_single_commodity(arrays, weights)
    return _solution_outcome(solution, weights, "mcf-backend")


def _solution_outcome(solution: Solution, weights: Weights, name: str) -> Outcome:
    if solution.status.value != "optimal":
        raise PeerFailed(f"{name} ended {solution.status.value}")
    objective = solution_objective(weights, solution.flow, solution.production, solution.unmet)
    return Outcome(objective, {"solver_s": solution.solve_s})


def _run_lp(state: tuple[NetworkArrays, Weights], solve: Callable[[LinearProgram], Any], name: str) -> Outcome:
    """Build the LP from arrays and solve it; ``build_s`` is everything but the solver's run."""
    arrays, weights = state
    start = time.perf_counter()
    lp = build_lp(arrays, weights)
    answer = solve(lp)
    total = time.perf_counter() - start
    _check_status(answer.status.value, answer.solve_s, name, answer.detail)
    objective = float(lp.c @ answer.x)
    return Outcome(objective, {"solver_s": answer.solve_s, "build_s": total - answer.solve_s})


def _check_status(status: str, solve_s: float, name: str, detail: str) -> None:
    if status == "optimal":
        return
    if solve_s >= 0.99 * LP_TIME_LIMIT_S:
        raise PeerTimedOut(f"no optimum within the {LP_TIME_LIMIT_S:.0f} s time limit ({status})")
    raise PeerFailed(f"{name} ended {status} {detail}".strip())


def _run_lp_highs(state: tuple[NetworkArrays, Weights]) -> Outcome:
    from routing.backends.highs import solve_lp

    return _run_lp(state, lambda lp: solve_lp(lp, time_limit_s=LP_TIME_LIMIT_S), "lp-highs")


def _run_lp_glop(state: tuple[NetworkArrays, Weights]) -> Outcome:
    from routing.backends.ortools import solve_lp

    return _run_lp(state, lambda lp: solve_lp(lp, solver="glop", time_limit_s=LP_TIME_LIMIT_S), "lp-glop")


# --- the raw min-cost-flow codes ---------------------------------------------------------------


def _prepare_plain(instance: Instance) -> PlainProblem:
    return instance.plain


def _run_raw_mcf(plain: PlainProblem) -> Outcome:
    """What a user with numpy arrays writes: add arcs, set supplies, solve, read the flows; the
    max-flow variant when the supplies do not balance or not all demand can be served."""
    from ortools.graph.python import min_cost_flow

    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(plain.tail, plain.head, plain.capacity, plain.cost)
    mcf.set_nodes_supplies(np.arange(len(plain.supply), dtype=np.int64), plain.supply)
    status = mcf.solve() if plain.balanced else None
    if status != mcf.OPTIMAL:
        status = mcf.solve_max_flow_with_min_cost()
    if status != mcf.OPTIMAL:
        raise PeerFailed("raw SimpleMinCostFlow did not end optimal")
    return Outcome(plain_objective(plain, mcf.flows(arcs), int(mcf.maximum_flow())))


def _prepare_balanced(instance: Instance) -> PlainProblem:
    if instance.network.arrays.supply_capacity.sum() < instance.network.arrays.demand_loads.sum() or (
            instance.graph is not None and not _serves_everything(instance.plain)):
        raise PeerSkipped("skipped: demand goes unmet, and the plain problem has no balanced form then")
    return balanced_form(instance.plain)


def _serves_everything(plain: PlainProblem) -> bool:
    from ortools.graph.python import min_cost_flow

    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(plain.tail, plain.head, plain.capacity, plain.cost)
    mcf.set_nodes_supplies(np.arange(len(plain.supply), dtype=np.int64), plain.supply)
    return mcf.solve_max_flow_with_min_cost() == mcf.OPTIMAL and mcf.maximum_flow() == plain.demand


def _run_lemon(plain: PlainProblem, algorithm: str) -> Outcome:
    """LEMON through nearshore's ``--solver lemon`` backend, with the algorithm fixed (its
    ``pylmcf`` array functions take arcs in any order; the ``Graph`` class would want them sorted)."""
    from routing.backends.lemon import solve_min_cost_flow

    status, flows, _ = solve_min_cost_flow(plain.tail, plain.head, plain.capacity, plain.cost, plain.supply,
                                           algorithm=algorithm)
    if status.value != "optimal":
        raise PeerFailed(f"pylmcf {algorithm} returned an infeasible flow")
    return Outcome(plain_objective(plain, flows, plain.demand))


def _prepare_networkx(instance: Instance) -> tuple[PlainProblem, tuple[list, ...]]:
    plain = _prepare_balanced(instance)
    return plain, tuple(a.tolist() for a in (plain.supply, plain.tail, plain.head, plain.capacity, plain.cost))


def _run_networkx(state: tuple[PlainProblem, tuple[list, ...]]) -> Outcome:
    """What a Python user writes: a (multi)graph from the arc lists, then ``network_simplex``."""
    import networkx as nx

    plain, (supply, tail, head, capacity, cost) = state
    parallel = len(set(zip(tail, head, strict=True))) < len(tail)
    graph = nx.MultiDiGraph() if parallel else nx.DiGraph()
    graph.add_nodes_from((node, {"demand": -amount}) for node, amount in enumerate(supply))
    graph.add_edges_from((u, v, {"capacity": c, "weight": w}) for u, v, c, w in zip(tail, head, capacity, cost,
                                                                                   strict=True))
    flow_cost, _ = nx.network_simplex(graph)
    return Outcome(flow_cost / COST_SCALE + plain.offset)


def _run_lemon_backend(state: tuple[NetworkArrays, Weights]) -> Outcome:
    from routing.formulation.flowgraph import solve_single_commodity

    arrays, weights = state
    return _solution_outcome(solve_single_commodity(arrays, weights, engine="lemon"), weights, "lemon-backend")


def _run_lp_highs_ipm(state: tuple[NetworkArrays, Weights]) -> Outcome:
    from routing.backends.highs import solve_lp

    return _run_lp(state, lambda lp: solve_lp(lp, time_limit_s=LP_TIME_LIMIT_S, method="ipm"), "lp-highs-ipm")


def _prepare_decomposition(instance: Instance) -> tuple[NetworkArrays, Weights]:
    if len(instance.arrays.queue):
        raise PeerSkipped("skipped: queued crossings (auto does not pick the decomposition there)")
    return instance.arrays, instance.weights


def _run_decomposition(state: tuple[NetworkArrays, Weights]) -> Outcome:
    """nearshore's decomposition backend from arrays, a fresh session (no warm start), without the result tables."""
    from routing.formulation.decomposition import DecompositionSession

    arrays, weights = state
    session = DecompositionSession()
    solution = session.solve(arrays, weights, time_limit_s=LP_TIME_LIMIT_S)
    _check_status(solution.status.value, solution.solve_s, "decomposition", solution.detail)
    outcome = _solution_outcome(solution, weights, "decomposition")
    return Outcome(outcome.objective, {**outcome.extras, "rounds": session.pricing_rounds,
                                       "re_solves": session.rounds})


def _prepare_uncoupled(instance: Instance) -> list[tuple[np.ndarray, ...]]:
    """One min-cost-flow graph per commodity, each with the full link and throughput capacities."""
    if instance.arrays.n_commodities < 2:
        raise PeerSkipped("skipped: one commodity (the coupled problem itself)")
    if len(instance.arrays.queue):
        raise PeerSkipped("skipped: queued crossings have wait curves, no min-cost-flow form")
    import dataclasses

    a, w = instance.arrays, instance.weights
    graphs = []
    for k in range(a.n_commodities):
        s_rows, d_rows = a.supply_commodity == k, a.demand_commodity == k
        one = dataclasses.replace(a, supply_node=a.supply_node[s_rows], supply_commodity=a.supply_commodity[s_rows] * 0,
                                  supply_capacity=a.supply_capacity[s_rows], demand_node=a.demand_node[d_rows],
                                  demand_commodity=a.demand_commodity[d_rows] * 0, demand_loads=a.demand_loads[d_rows],
                                  value_usd_per_load=a.value_usd_per_load[k:k + 1],
                                  power_mwh_per_load=a.power_mwh_per_load[k:k + 1] * 0,
                                  water_m3_per_load=a.water_m3_per_load[k:k + 1] * 0,
                                  fast_eligible=a.fast_eligible[k:k + 1])
        weights = dataclasses.replace(w, supply=w.supply[s_rows])
        if not fits_min_cost_flow(one, weights):
            raise PeerSkipped("skipped: a commodity alone is no exact min-cost flow (fractional data)")
        graph = build_flow_graph(one, weights)
        graphs.append((graph.tail, graph.head, graph.capacity, graph.cost, graph.supply))
    return graphs


def _run_uncoupled(graphs: list[tuple[np.ndarray, ...]]) -> Outcome:
    """Each commodity alone with ``SimpleMinCostFlow``: the sum of their optima bounds the coupled optimum from below."""
    from ortools.graph.python import min_cost_flow

    total = 0.0
    for tail, head, capacity, cost, supply in graphs:
        mcf = min_cost_flow.SimpleMinCostFlow()
        arcs = mcf.add_arcs_with_capacity_and_unit_cost(tail, head, capacity, cost)
        mcf.set_nodes_supplies(np.arange(len(supply), dtype=np.int64), supply)
        if mcf.solve() != mcf.OPTIMAL:
            raise PeerFailed("uncoupled SimpleMinCostFlow did not end optimal")
        total += float(mcf.flows(arcs) @ cost) / COST_SCALE
    return Outcome(total, {"bound": "lower"})


PEERS: tuple[Peer, ...] = (
    Peer("nearshore", _prepare_nearshore, _run_nearshore, max_s=LP_TIME_LIMIT_S),
    Peer("raw-mcf", _prepare_plain, _run_raw_mcf, flow_only=True),
    Peer("mcf-backend", _prepare_backend, _run_mcf_backend, flow_only=True),
    Peer("lemon-backend", _prepare_backend, _run_lemon_backend, flow_only=True, requires="pylmcf"),
    Peer("lp-highs", _prepare_backend, _run_lp_highs, max_s=LP_TIME_LIMIT_S, requires="highspy"),
    Peer("lp-highs-ipm", _prepare_backend, _run_lp_highs_ipm, max_s=LP_TIME_LIMIT_S, requires="highspy"),
    Peer("lp-glop", _prepare_backend, _run_lp_glop, max_s=LP_TIME_LIMIT_S),
    Peer("lemon-ns", _prepare_balanced, lambda plain: _run_lemon(plain, "lmcf"), flow_only=True, requires="pylmcf"),
    Peer("lemon-cs", _prepare_balanced, lambda plain: _run_lemon(plain, "lmcf_cost_scaling"), flow_only=True,
         requires="pylmcf"),
    Peer("networkx", _prepare_networkx, _run_networkx, flow_only=True, max_s=60.0),
    Peer("decomposition", _prepare_decomposition, _run_decomposition, multi_only=True, max_s=LP_TIME_LIMIT_S,
         requires="highspy"),
    Peer("uncoupled-mcf", _prepare_uncoupled, _run_uncoupled, multi_only=True, bound=True),
)
BACKEND_OF = {"mcf-backend": "mincostflow", "lemon-backend": "lemon", "lp-highs": "highs",
              "lp-glop": "glop", "decomposition": "decomposition"}  # what auto chooses between


def warm_up() -> None:
    """Import every peer's library and solve a tiny instance with each, so no timed run pays for
    a first import."""
    from networks.generate import corridor_network

    instance = prepare_instance("warm-up", "corridor", corridor_network(n_links=100, seed=0))
    for peer in PEERS:
        if peer.available() and peer.applies(instance):
            try:
                peer.run(peer.prepare(instance))
            except PeerSkipped:
                pass
