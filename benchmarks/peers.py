"""The solvers timed side by side on one instance, and the instance in the form each one takes.

Each :class:`Peer` has an untimed ``prepare`` (turn the instance into the peer's input, as a user
would have it at hand) and a timed ``run`` that returns the optimum, re-scored here from the
peer's own solution so the runner can check that all peers agree. The only module of the
benchmarks that calls OR-Tools and networkx directly (LEMON goes through ``routing.backends.lemon``).

* ``nearshore``: :func:`routing.solve_lead_time` from a built `Network` to a result with its lanes,
  bottlenecks and unmet demand built (the frames ``nearshore solve`` prints; ``--solver auto``);
* ``raw-mcf``: OR-Tools ``SimpleMinCostFlow`` on the prepared int64 arrays of the extended graph
  that nearshore solves (:func:`routing.formulation.flowgraph.build_flow_graph`): the floor;
* ``mcf-backend``, ``lp-highs``, ``lp-glop``: nearshore's backends on prepared arrays, without the
  result tables: what ``--solver auto`` chooses between;
* ``networkx``: ``network_simplex`` on a graph built from the same arrays;
* ``lemon-ns``, ``lemon-cs``: LEMON network simplex and cost scaling through ``pylmcf``.
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


@dataclass(frozen=True, slots=True)
class Instance:
    """A built instance with what every peer needs: arrays, objective weights and, when the
    instance is an exact min-cost flow, its extended graph."""

    name: str
    family: str
    network: Network
    weights: Weights
    graph: FlowGraph | None

    @property
    def arrays(self) -> NetworkArrays:
        return self.network.arrays


def prepare_instance(name: str, family: str, network: Network) -> Instance:
    """Weights of the lead-time objective and, if it fits, the min-cost-flow graph."""
    weights = objective_weights(network.arrays, Objective.LEAD_TIME, usd_per_load_hour=DEFAULT_USD_PER_LOAD_HOUR)
    graph = build_flow_graph(network.arrays, weights) if fits_min_cost_flow(network.arrays, weights) else None
    return Instance(name=name, family=family, network=network, weights=weights, graph=graph)


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

    def available(self) -> bool:
        if not self.requires:
            return True
        try:
            __import__(self.requires)
        except ImportError:
            return False
        return True

    def applies(self, instance: Instance) -> bool:
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


def _prepare_graph(instance: Instance) -> FlowGraph:
    return instance.graph


def _run_raw_mcf(graph: FlowGraph) -> Outcome:
    """What a user with numpy arrays writes: add arcs, set supplies, solve, read the flows."""
    from ortools.graph.python import min_cost_flow

    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = mcf.add_arcs_with_capacity_and_unit_cost(graph.tail, graph.head, graph.capacity, graph.cost)
    mcf.set_nodes_supplies(np.arange(graph.n_nodes, dtype=np.int64), graph.supply)
    if mcf.solve() != mcf.OPTIMAL:
        raise PeerFailed("raw SimpleMinCostFlow did not end optimal")
    flows = mcf.flows(arcs)
    return Outcome(float(flows @ graph.cost) / COST_SCALE)


def _run_lemon(graph: FlowGraph, algorithm: str) -> Outcome:
    """LEMON through nearshore's ``--solver lemon`` backend, with the algorithm fixed (its
    ``pylmcf`` array functions take arcs in any order; the ``Graph`` class would want them sorted)."""
    from routing.backends.lemon import solve_min_cost_flow

    status, flows, _ = solve_min_cost_flow(graph.tail, graph.head, graph.capacity, graph.cost, graph.supply,
                                           algorithm=algorithm)
    if status.value != "optimal":
        raise PeerFailed(f"pylmcf {algorithm} returned an infeasible flow")
    return Outcome(float(flows @ graph.cost) / COST_SCALE)


def _prepare_networkx(instance: Instance) -> tuple[list, ...]:
    graph = instance.graph
    return tuple(a.tolist() for a in (graph.supply, graph.tail, graph.head, graph.capacity, graph.cost))


def _run_networkx(lists: tuple[list, ...]) -> Outcome:
    """What a Python user writes: a (multi)graph from the arc lists, then ``network_simplex``."""
    import networkx as nx

    supply, tail, head, capacity, cost = lists
    parallel = len(set(zip(tail, head, strict=True))) < len(tail)
    graph = nx.MultiDiGraph() if parallel else nx.DiGraph()
    graph.add_nodes_from((node, {"demand": -amount}) for node, amount in enumerate(supply))
    graph.add_edges_from((u, v, {"capacity": c, "weight": w}) for u, v, c, w in zip(tail, head, capacity, cost,
                                                                                   strict=True))
    flow_cost, _ = nx.network_simplex(graph)
    return Outcome(flow_cost / COST_SCALE)


PEERS: tuple[Peer, ...] = (
    Peer("nearshore", _prepare_nearshore, _run_nearshore, max_s=LP_TIME_LIMIT_S),
    Peer("raw-mcf", _prepare_graph, _run_raw_mcf, flow_only=True),
    Peer("mcf-backend", _prepare_backend, _run_mcf_backend, flow_only=True),
    Peer("lp-highs", _prepare_backend, _run_lp_highs, max_s=LP_TIME_LIMIT_S, requires="highspy"),
    Peer("lp-glop", _prepare_backend, _run_lp_glop, max_s=LP_TIME_LIMIT_S),
    Peer("lemon-ns", _prepare_graph, lambda graph: _run_lemon(graph, "lmcf"), flow_only=True, requires="pylmcf"),
    Peer("lemon-cs", _prepare_graph, lambda graph: _run_lemon(graph, "lmcf_cost_scaling"), flow_only=True,
         requires="pylmcf"),
    Peer("networkx", _prepare_networkx, _run_networkx, flow_only=True, max_s=60.0),
)
BACKEND_OF = {"mcf-backend": "mincostflow", "lp-highs": "highs", "lp-glop": "glop"}  # what auto chooses between


def warm_up() -> None:
    """Import every peer's library and solve a tiny instance with each, so no timed run pays for
    a first import."""
    from networks.generate import corridor_network

    instance = prepare_instance("warm-up", "corridor", corridor_network(n_links=100, seed=0))
    for peer in PEERS:
        if peer.available() and peer.applies(instance):
            peer.run(peer.prepare(instance))
