"""Batch throughput: many capacity-perturbed scenarios of one network, in 1 or more processes.

Each scenario multiplies every finite link capacity and node throughput by a seeded factor in
[0.7, 1.3] (rounded to whole loads) and builds a new, validated network with
:meth:`networks.Network.replace`. It is then solved either fresh (:func:`routing.solve_lead_time`)
or by one :class:`routing.LeadTimeModel` per process that reuses its LP and HiGHS instance.
Each scenario yields its summary numbers (objective, average lead time, unmet demand), as
``nearshore batch --frames none`` does; result frames are built only when read, so none are here.
Workers are started and warmed (imports, one solve of the base network) before the clock starts.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
import polars as pl

from networks import Network

LOW, HIGH = 0.7, 1.3
_STATE: dict[str, Any] = {}  # per worker process: the base network, the seed, the reused model


@dataclass(frozen=True, slots=True)
class BatchSpec:
    """Which base network: the built-in one (``n_links`` None) or a corridor network."""

    name: str
    n_links: int | None = None
    seed: int = 20261


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """Wall seconds for all scenarios, and each scenario's objective (nan: no solution)."""

    wall_s: float
    objectives: np.ndarray

    @property
    def scenarios_per_s(self) -> float:
        return len(self.objectives) / self.wall_s

    @property
    def failures(self) -> int:
        return int(np.isnan(self.objectives).sum())


def base_network(spec: BatchSpec) -> Network:
    """The network every scenario perturbs."""
    from networks import read_network
    from networks.generate import corridor_network

    return read_network() if spec.n_links is None else corridor_network(n_links=spec.n_links, seed=spec.seed)


def perturbed(base: Network, *, seed: int, index: int) -> Network:
    """Scenario ``index``: finite capacities and throughputs times a seeded factor in [0.7, 1.3].

    Example
    -------
    >>> from networks.generate import corridor_network
    >>> base = corridor_network(n_links=200, seed=0)
    >>> perturbed(base, seed=1, index=3).links.equals(perturbed(base, seed=1, index=3).links)
    True
    """
    rng = np.random.default_rng([seed, index])
    links = base.links.with_columns(_scaled(base.links["capacity_loads_per_day"], rng))
    nodes = base.nodes.with_columns(_scaled(base.nodes["throughput_loads_per_day"], rng))
    return base.replace(links=links, nodes=nodes)


def _scaled(column: pl.Series, rng: np.random.Generator) -> pl.Series:
    factor = pl.Series(rng.uniform(LOW, HIGH, len(column)))
    return (column * factor).round(0).alias(column.name)


def run_batch(spec: BatchSpec, *, scenarios: int, processes: int, reuse: bool, seed: int) -> BatchOutcome:
    """Solve ``scenarios`` perturbed scenarios with ``processes`` worker processes.

    Parameters
    ----------
    spec
        The base network.
    scenarios
        How many scenarios (0 .. scenarios-1, each seeded by ``(seed, index)``).
    processes
        Worker processes (spawned, warmed before timing).
    reuse
        Solve with one :class:`routing.LeadTimeModel` per worker instead of fresh solves.
    seed
        Seed of the perturbations.

    Returns
    -------
    BatchOutcome
        Wall time of the scenarios alone and their objectives in scenario order.
    """
    context = get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker,
                             initargs=(spec, reuse, seed)) as pool:
        list(pool.map(_hold, [0.3] * processes))  # every worker started and warm
        chunk = max(1, scenarios // (processes * 8))
        start = time.perf_counter()
        objectives = list(pool.map(_solve_scenario, range(scenarios), chunksize=chunk))
        wall = time.perf_counter() - start
    return BatchOutcome(wall_s=wall, objectives=np.asarray(objectives, dtype=float))


def _start_worker(spec: BatchSpec, reuse: bool, seed: int) -> None:
    from routing import LeadTimeModel

    base = base_network(spec)
    _STATE.update(base=base, seed=seed, model=LeadTimeModel(base) if reuse else None)
    _solve(base)


def _hold(seconds: float) -> None:
    time.sleep(seconds)


def _solve(network: Network) -> float:
    from routing import solve_lead_time

    model = _STATE["model"]
    result = model.solve(network) if model is not None else solve_lead_time(network)
    return result.objective if result.status.has_solution else float("nan")


def _solve_scenario(index: int) -> float:
    return _solve(perturbed(_STATE["base"], seed=_STATE["seed"], index=index))
