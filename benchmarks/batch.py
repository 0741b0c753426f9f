"""Batch throughput of the path users run: ``nearshore batch``'s runner, end to end, on a sweep.

Each run writes a seeded sweep file to a temporary folder (every link capacity by every node throughput, each
x a factor in [0.7, 1.3], as the bench's perturbed scenarios did before it ran the real path; a
grid of the asked number of points), reads it as the CLI does (:func:`routing.scenarios.load_scenarios`) and times
:func:`routing.batch.run_batch` into a fresh output folder: the check of every scenario, the
worker processes started, each scenario's changes applied, solved by the worker's kept model,
its summary row (top bottleneck included) and its Parquet files written (``frames`` none or all),
and the summary table. The rate after the first finished scenario (workers started and warm) is
reported beside the end-to-end one. A corridor network is written to the temporary folder first.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from networks import Network

CAPACITY = (0.7, 1.3)
THROUGHPUT = (0.7, 1.3)
THROUGHPUT_POINTS = 5  # the throughput axis; the capacity axis has scenarios / THROUGHPUT_POINTS points


@dataclass(frozen=True, slots=True)
class BatchSpec:
    """Which base network (the built-in one: ``n_links`` None, else a corridor network) and objective."""

    name: str
    n_links: int | None = None
    seed: int = 20261
    objective: str = "lead_time"


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """Wall seconds of the whole batch, seconds from its start to each finished scenario, and each
    scenario's objective in batch order (nan: no solution)."""

    wall_s: float
    finished_s: np.ndarray
    objectives: np.ndarray

    @property
    def scenarios_per_s(self) -> float:
        """Scenarios (the base the batch adds included) per second, end to end."""
        return len(self.finished_s) / self.wall_s

    @property
    def warm_per_s(self) -> float | None:
        """Scenarios per second after the first one finished (workers started and warm)."""
        span = float(self.finished_s.max() - self.finished_s.min()) if len(self.finished_s) > 1 else 0.0
        return (len(self.finished_s) - 1) / span if span > 0 else None

    @property
    def failures(self) -> int:
        return int(np.isnan(self.objectives).sum())


def base_network(spec: BatchSpec) -> Network:
    """The network every scenario changes."""
    from networks import read_network
    from networks.generate import corridor_network

    return read_network() if spec.n_links is None else corridor_network(n_links=spec.n_links, seed=spec.seed)


def sweep_text(spec: BatchSpec, *, scenarios: int, network: str = "builtin") -> str:
    """A sweep file of ``scenarios`` points (a multiple of :data:`THROUGHPUT_POINTS`) on ``network``.

    Example
    -------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from routing.scenarios import load_scenarios
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "sweep.toml"
    ...     _ = path.write_text(sweep_text(BatchSpec("builtin"), scenarios=10))
    ...     points = load_scenarios([path])
    >>> len(points), points[0].name
    (10, 'bench-capacity=0.7-throughput=0.7')
    """
    if scenarios % THROUGHPUT_POINTS or scenarios <= 0:
        raise ValueError(f"scenarios must be a positive multiple of {THROUGHPUT_POINTS}, got {scenarios}")
    capacity = np.round(np.linspace(*CAPACITY, scenarios // THROUGHPUT_POINTS), 6).tolist()
    throughput = np.round(np.linspace(*THROUGHPUT, THROUGHPUT_POINTS), 6).tolist()
    return f'''name = "bench"
description = "Every link capacity x {{{CAPACITY[0]}..{CAPACITY[1]}}} by every node throughput x {{{THROUGHPUT[0]}..{THROUGHPUT[1]}}}"
network = "{network}"

[[changes]]
type = "scale"
table = "links"
mode = ["truck", "rail", "ocean", "drayage"]
field = "capacity_loads_per_day"
factor = 1.0

[[changes]]
type = "scale"
table = "nodes"
kind = ["plant", "origin", "seaport", "rail_terminal", "border_crossing", "hub", "market"]
field = "throughput_loads_per_day"
factor = 1.0

[sweep.capacity]
change = 1
values = {capacity}

[sweep.throughput]
change = 2
values = {throughput}

[solver]
objective = "{spec.objective}"
'''


def run_batch(spec: BatchSpec, *, scenarios: int, processes: int, frames: tuple[str, ...]) -> BatchOutcome:
    """Run ``nearshore batch``'s runner on the sweep of ``spec`` with ``processes`` workers.

    Parameters
    ----------
    spec
        The base network and objective.
    scenarios
        Sweep points (a multiple of :data:`THROUGHPUT_POINTS`).
    processes
        Workers (``jobs``; 1 solves in this process).
    frames
        Result frames written per scenario, as ``--frames`` (empty: none).

    Returns
    -------
    BatchOutcome
        The wall time of :func:`routing.batch.run_batch` and the scenarios' objectives.
    """
    from routing.batch import run_batch as run
    from routing.scenarios import load_scenarios

    with tempfile.TemporaryDirectory(prefix="nearshore-bench-batch-") as folder:
        root = Path(folder)
        network = "builtin"
        if spec.n_links is not None:
            from networks import write_network

            write_network(base_network(spec), root / "network")
            network = str(root / "network")
        path = root / "sweep.toml"
        path.write_text(sweep_text(spec, scenarios=scenarios, network=network))
        points = load_scenarios([path])
        finished: list[float] = []
        start = time.perf_counter()
        result = run(points, out_dir=root / "out", jobs=processes, frames=frames,
                     on_progress=lambda progress, row: finished.append(time.perf_counter() - start))
        wall = time.perf_counter() - start
    summary = result.summary.filter(result.summary["scenario"] != "base")  # the reference the batch adds
    objectives = summary["objective"].fill_null(float("nan")).to_numpy()
    return BatchOutcome(wall_s=wall, finished_s=np.asarray(finished), objectives=objectives)
