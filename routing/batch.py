"""Batch runs: many scenarios, solved in local processes or on a Ray cluster, results on disk.

Scenarios are dealt round-robin to ``jobs`` workers (processes or Ray actors) and each worker runs
its share in order. A worker keeps the base networks and a few :class:`~routing.LeadTimeModel`
objects, one per network structure, so a scenario that only changes capacities, times, supply or
demand re-solves the kept LP with new bounds and costs from a warm HiGHS instance instead of
rebuilding it. The deal is fixed by the order of the scenarios, so local processes and Ray actors
solve the same sequences and give the same results.

Workers never touch the output folder: they return results and the driver writes each scenario as
it finishes, every file written to a temporary name in its folder and moved into place with
``os.replace``; a scenario's ``summary.parquet`` is written last and marks it done, so a crash or
Ctrl-C loses no finished work and ``resume`` skips it.

Output folder::

    summary.parquet                      one row per scenario (SUMMARY_SCHEMA)
    scenarios/<name>/lanes.parquet       LeadTimeResult.lanes        (unless left out by ``frames``)
    scenarios/<name>/bottlenecks.parquet LeadTimeResult.bottlenecks  (idem)
    scenarios/<name>/unmet.parquet       LeadTimeResult.unmet        (idem)
    scenarios/<name>/summary.parquet     the scenario's summary row
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import multiprocessing
import os
import signal
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl

from networks import InputError, NearshoreError, Network, builtin_path, read_network
from networks.schema import TABLES
from routing.lp import structure_key
from routing.model import LeadTimeModel
from routing.result import BOTTLENECKS_SCHEMA, LANES_SCHEMA, UNMET_SCHEMA
from routing.scenario import BUILTIN, Scenario, apply_changes, check_changes

BASE = "base"
FAILED = "failed"
MAX_MODELS = 8  # LeadTimeModels kept per worker, one per network structure (least recently used goes)

SUMMARY_SCHEMA = pl.Schema({
    "scenario": pl.String, "status": pl.String, "avg_lead_time_h": pl.Float64, "change_vs_base_pct": pl.Float64,
    "base_scenario": pl.String,
    "unmet_loads_per_day": pl.Float64, "served_loads_per_day": pl.Float64, "objective": pl.Float64,
    "total_cost_usd_per_day": pl.Float64, "top_bottleneck": pl.String, "top_bottleneck_saved_per_unit": pl.Float64,
    "solve_s": pl.Float64, "build_s": pl.Float64, "wall_s": pl.Float64, "reused_lp": pl.Boolean,
    "error": pl.String, "point": pl.String, "objective_kind": pl.String, "solver": pl.String,
    "network": pl.String, "description": pl.String, "event": pl.String, "source": pl.String,
    "scenario_hash": pl.String,
})
"""Columns of ``summary.parquet``. ``status`` is a :class:`routing.Status` value or ``failed``;
``change_vs_base_pct`` compares ``avg_lead_time_h`` with that of ``base_scenario``, the reference of the
scenario's network and solver options (see :func:`run_batch`)."""

TIMING_COLUMNS = ("solve_s", "build_s", "wall_s", "reused_lp")
"""Columns that depend on the machine and on what a worker solved before, not on the scenario."""

FRAMES = {"lanes": LANES_SCHEMA, "bottlenecks": BOTTLENECKS_SCHEMA, "unmet": UNMET_SCHEMA}


class Executor(StrEnum):
    """Where the scenarios run."""

    LOCAL = "local"
    RAY = "ray"


class ExecutorError(NearshoreError):
    """The executor cannot start (Ray missing, no cluster at the address)."""


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    """What a worker returns for one scenario: its summary row and its result frames."""

    row: dict[str, Any]
    frames: dict[str, pl.DataFrame]

    @property
    def name(self) -> str:
        return self.row["scenario"]


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Where a batch stands, after each finished scenario."""

    total: int
    done: int  # finished in this run or an earlier one (resumed)
    failed: int  # finished without an optimal solution
    resumed: int  # taken from an earlier run
    elapsed_s: float

    @property
    def remaining(self) -> int:
        return self.total - self.done

    @property
    def eta_s(self) -> float | None:
        ran = self.done - self.resumed
        return self.elapsed_s / ran * self.remaining if ran else None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The outcome of :func:`run_batch`: the summary table and what happened."""

    summary: pl.DataFrame
    out_dir: Path
    ran: int
    resumed: int
    elapsed_s: float = 0.0
    not_optimal: tuple[str, ...] = field(default=())

    @property
    def all_optimal(self) -> bool:
        return not self.not_optimal


class ScenarioRunner:
    """Solves scenarios in one process: the base networks and a few kept models.

    Example
    -------
    >>> from routing.scenario import Scenario
    >>> runner = ScenarioRunner({BUILTIN: read_network()})
    >>> runner.run(Scenario(name="base")).row["status"]
    'optimal'
    """

    def __init__(self, networks: dict[str, Network], *, max_models: int = MAX_MODELS,
                 frames: Sequence[str] = tuple(FRAMES)) -> None:
        self.networks = networks
        self.max_models = max_models
        self.frames = tuple(frames)  # result frames returned with each outcome (built only if asked for)
        self._models: OrderedDict[tuple[str, str, str], LeadTimeModel] = OrderedDict()

    def run(self, scenario: Scenario) -> ScenarioOutcome:
        """Apply the scenario's changes and solve; any failure becomes a ``failed`` outcome."""
        start = time.perf_counter()
        try:
            variant = apply_changes(self.networks[scenario.network], scenario.changes,
                                    source=scenario.source or scenario.name)
        except InputError as bad:
            return _failed(scenario, "bad change: " + "; ".join(map(str, bad.problems)), start)
        try:
            model = self._model(scenario, variant)
            reused = model.reused
            result = model.solve(variant)
        except Exception as exc:  # noqa: BLE001 - a failing scenario is recorded and the batch goes on
            return _failed(scenario, f"solver error: {type(exc).__name__}: {exc}", start)
        top, saved = top_bottleneck(result.bottlenecks)
        solved = result.status.has_solution
        row = _row(scenario) | {
            "status": result.status.value, "avg_lead_time_h": result.avg_lead_time_h,
            "unmet_loads_per_day": result.unmet_loads_per_day if solved else None,
            "served_loads_per_day": result.served_loads_per_day if solved else None,
            "objective": result.objective, "total_cost_usd_per_day": result.total_cost_usd_per_day if solved else None,
            "top_bottleneck": top, "top_bottleneck_saved_per_unit": saved,
            "solve_s": result.solve_s, "build_s": result.build_s, "reused_lp": model.reused > reused,
            "solver": result.solver, "wall_s": time.perf_counter() - start,
            "error": None if solved else f"no solution: solver {result.solver} ended {result.status.value} "
                                         f"{result.detail}".strip(),
        }
        return ScenarioOutcome(row, {name: getattr(result, name) for name in self.frames})

    def _model(self, scenario: Scenario, variant: Network) -> LeadTimeModel:
        """The kept model for this network, solver options and LP structure (made when new)."""
        key = (scenario.network, scenario.solver.model_dump_json(), structure_key(variant.arrays))
        model = self._models.pop(key, None)
        if model is None:
            # Anchor the model on the unchanged network when the variant shares its structure: every
            # variant then warm-starts from the base's basis, whichever worker and order run it.
            base = self.networks[scenario.network]
            anchor = base if structure_key(base.arrays) == key[2] else variant
            options = scenario.solver
            model = LeadTimeModel(anchor, objective=options.objective, solver=options.solver,
                                  time_limit_s=options.time_limit_s, usd_per_load_hour=options.usd_per_load_hour)
            if anchor is base:
                model.solve()
        self._models[key] = model
        while len(self._models) > self.max_models:
            self._models.popitem(last=False)
        return model


def top_bottleneck(bottlenecks: pl.DataFrame, *, rel_tol: float = 1e-9) -> tuple[str | None, float | None]:
    """The most valuable binding capacity as ``"<kind> <id>"`` and its saving per unit.

    Savings equal within ``rel_tol`` count as a tie, broken by kind and id, so that float noise
    from different warm starts does not change the answer.
    """
    if bottlenecks.height == 0:
        return None, None
    best = float(bottlenecks["load_hours_saved_per_unit"].max())
    ties = bottlenecks.filter(pl.col("load_hours_saved_per_unit") >= best - rel_tol * max(1.0, abs(best)))
    kind, ident = ties.sort("kind", "id").select("kind", "id").row(0)
    return f"{kind} {ident}", best


def _row(scenario: Scenario) -> dict[str, Any]:
    """The summary row of a scenario before it is solved: its identity, every number empty."""
    row: dict[str, Any] = dict.fromkeys(SUMMARY_SCHEMA.names())
    return row | {"scenario": scenario.name, "point": scenario.point_label() or None,
                  "objective_kind": scenario.solver.objective.value, "network": scenario.network,
                  "description": scenario.description, "event": scenario.event, "source": scenario.source}


def _failed(scenario: Scenario, error: str, start: float) -> ScenarioOutcome:
    row = _row(scenario) | {"status": FAILED, "error": error, "wall_s": time.perf_counter() - start}
    return ScenarioOutcome(row, {name: schema.to_frame() for name, schema in FRAMES.items()})


def run_batch(
    scenarios: Sequence[Scenario],
    *,
    out_dir: str | Path,
    jobs: int | None = None,
    executor: Executor | str = Executor.LOCAL,
    ray_address: str | None = None,
    resume: bool = False,
    on_progress: Callable[[BatchProgress, dict[str, Any]], None] | None = None,
    frames: Sequence[str] = tuple(FRAMES),
) -> BatchResult:
    """Run every scenario and write the results; return the summary.

    Parameters
    ----------
    scenarios
        Scenarios with unique names (see :func:`routing.scenario.load_scenarios`). Scenarios with
        the same network and solver options are compared (``change_vs_base_pct``) with their
        reference: the one named ``base``, else the first without changes; when there is none, the
        batch adds the unchanged network as a scenario named ``base`` (``base-<objective>``,
        ``base-2``... for further groups).
    out_dir
        Output folder (created); see the module docstring for its layout.
    jobs
        Workers running at once. Default: the CPUs of this machine, or of the Ray cluster.
    executor
        ``local`` (processes on this machine; ``jobs=1`` runs in this process) or ``ray``.
    ray_address
        Address of a running Ray cluster; without it a local Ray instance is started for the run.
    resume
        Skip scenarios whose result is already in ``out_dir`` for the same scenario and network
        (results recorded as ``failed`` are run again).
    on_progress
        Called after each finished scenario with the progress and its summary row.
    frames
        Which result frames to write per scenario (of ``lanes``, ``bottlenecks``, ``unmet``);
        the summary rows are always written. Frames not asked for are never built, so an empty
        tuple gives the fastest batch.

    Returns
    -------
    BatchResult
        ``summary`` has one row per scenario in batch order (``SUMMARY_SCHEMA``).

    Raises
    ------
    InputError
        A scenario whose changes do not fit its network (unknown ids, empty selections), found
        before anything runs.
    ExecutorError
        Ray is not installed or its cluster cannot be reached.
    """
    start = time.perf_counter()
    out = Path(out_dir)
    scenarios, bases = _with_bases(list(scenarios))
    networks, fingerprints = _load_networks(scenarios)
    problems = [p for s in scenarios for p in check_changes(networks[s.network], s.changes, source=s.source or s.name)]
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    hashes = {s.name: _scenario_hash(s, fingerprints[s.network]) for s in scenarios}
    rows = _read_done(out, hashes) if resume else {}
    todo = [s for s in scenarios if s.name not in rows]
    failed = sum(r["status"] != "optimal" for r in rows.values())
    resumed = len(rows)
    (out / "scenarios").mkdir(parents=True, exist_ok=True)
    unknown = [f for f in frames if f not in FRAMES]
    if unknown:
        raise ValueError(f"unknown result frame(s) {', '.join(unknown)}; choose from {', '.join(FRAMES)}")
    run = _run_ray if Executor(executor) == Executor.RAY else _run_local
    with closing(run(todo, networks, jobs=jobs, address=ray_address, frames=tuple(frames))) as outcomes:
        for outcome in outcomes:
            row = outcome.row | {"scenario_hash": hashes[outcome.name]}
            write_outcome(out, ScenarioOutcome(row, outcome.frames))
            rows[outcome.name] = row
            failed += row["status"] != "optimal"
            if on_progress is not None:
                on_progress(BatchProgress(len(scenarios), len(rows), failed, resumed, time.perf_counter() - start), row)
    summary = summarize_rows([rows[s.name] | {"base_scenario": bases[s.name]} for s in scenarios])
    _write_atomic(summary, out / "summary.parquet")
    not_optimal = tuple(summary.filter(pl.col("status") != "optimal")["scenario"].to_list())
    return BatchResult(summary, out, len(todo), resumed, time.perf_counter() - start, not_optimal)


def summarize_rows(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """The summary table of some scenario rows, with ``change_vs_base_pct`` filled in: the change of
    ``avg_lead_time_h`` against the row named in ``base_scenario``, in percent."""
    frame = pl.DataFrame(list(rows), schema=SUMMARY_SCHEMA, orient="row") if rows else SUMMARY_SCHEMA.to_frame()
    bases = frame.select(base_scenario="scenario", base_avg_h="avg_lead_time_h")
    change = 100.0 * (pl.col("avg_lead_time_h") / pl.col("base_avg_h") - 1.0)
    return (frame.join(bases, on="base_scenario", how="left", maintain_order="left")
            .with_columns(change_vs_base_pct=change).select(SUMMARY_SCHEMA.names()))


def _with_bases(scenarios: list[Scenario]) -> tuple[list[Scenario], dict[str, str]]:
    """The scenarios, with an unchanged-network scenario added for each group (same network and
    objective) that has no reference, and the reference of every scenario by name."""
    groups: dict[tuple[str, str, float], list[Scenario]] = {}
    for scenario in scenarios:
        options = scenario.solver
        groups.setdefault((scenario.network, options.objective.value, options.usd_per_load_hour), []).append(scenario)
    names, added, bases = {s.name for s in scenarios}, {}, {}
    for key, members in groups.items():
        reference = next((s for s in members if s.name == BASE), None) or next((s for s in members if not s.changes),
                                                                                None)
        if reference is None:
            first = members[0]
            reference = Scenario(name=_base_name(key, next(iter(groups)), names), network=first.network,
                                 solver=first.solver, source="(added by the batch)",
                                 description="the unchanged network (added by the batch as the reference)")
            names.add(reference.name)
            added[first.name] = reference
        bases |= {s.name: reference.name for s in [*members, reference]}
    return [item for s in scenarios for item in ([added[s.name], s] if s.name in added else [s])], bases


def _base_name(key: tuple[str, str, float], first: tuple[str, str, float], taken: set[str]) -> str:
    """``base``, or ``base-<network>-<objective>`` naming how a group differs from the first one."""
    hints = [Path(key[0]).name] if key[0] != first[0] else []
    hints += [key[1]] if key[1] != first[1] else []
    candidates = [BASE, "-".join([BASE, *hints]), *(f"{BASE}-{i}" for i in range(2, len(taken) + 3))]
    return next(name for name in candidates if name not in taken)


def _load_networks(scenarios: Sequence[Scenario]) -> tuple[dict[str, Network], dict[str, str]]:
    """Each base network once (validated), and a fingerprint of its files."""
    networks, fingerprints = {}, {}
    for key in dict.fromkeys(s.network for s in scenarios):
        folder = builtin_path() if key == BUILTIN else Path(key)
        networks[key] = read_network(folder)
        digest = hashlib.blake2b(digest_size=16)
        for table in TABLES:
            path = folder / table.file
            digest.update(path.read_bytes() if path.is_file() else b"-")
        fingerprints[key] = digest.hexdigest()
    return networks, fingerprints


def _scenario_hash(scenario: Scenario, network_fingerprint: str) -> str:
    """What a result depends on: the scenario's network, solver options and changes (not its
    description), and the network's files."""
    spec = scenario.model_dump(mode="json", exclude={"description", "event", "source"})
    text = json.dumps(spec, sort_keys=True, default=str) + network_fingerprint
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def scenario_folder(out_dir: str | Path, name: str) -> Path:
    """Where one scenario's files go."""
    return Path(out_dir) / "scenarios" / name


def _read_done(out: Path, hashes: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Summary rows of scenarios already finished in ``out`` with the same hash (and not failed)."""
    done = {}
    for name, expected in hashes.items():
        path = scenario_folder(out, name) / "summary.parquet"
        if not path.is_file():
            continue
        try:
            frame = pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError):
            continue
        if frame.height == 1 and frame.columns == SUMMARY_SCHEMA.names():
            row = frame.row(0, named=True)
            if row["scenario_hash"] == expected and row["status"] != FAILED:
                done[name] = row
    return done


def write_outcome(out_dir: str | Path, outcome: ScenarioOutcome) -> Path:
    """Write one scenario's frames, then its summary row (which marks it done), each atomically."""
    folder = scenario_folder(out_dir, outcome.name)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in outcome.frames.items():
        _write_atomic(frame, folder / f"{name}.parquet")
    _write_atomic(pl.DataFrame([outcome.row], schema=SUMMARY_SCHEMA, orient="row"), folder / "summary.parquet")
    return folder


def _write_atomic(frame: pl.DataFrame, path: Path) -> None:
    """Write to a temporary file next to ``path``, then move it into place in one step."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        frame.write_parquet(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- executors: generators of outcomes in the order they finish -----------------------------------

def _shipped(networks: dict[str, Network]) -> dict[str, Network]:
    """The networks as sent to workers: tables only, without cached arrays or graphs."""
    return {key: Network(net.tables(), name=net.name) for key, net in networks.items()}


def _deal(todo: Sequence[Scenario], jobs: int) -> list[list[Scenario]]:
    """Round-robin shares, one per worker, each run in order."""
    jobs = max(1, min(jobs, len(todo)))
    return [list(todo[j::jobs]) for j in range(jobs)]


class _Shares:
    """Which worker runs which scenario: round-robin shares, each run in order by one worker.

    A worker that dies is replaced for the rest of its share, after what it finished is kept and
    the scenario it was running is recorded as failed; after ``MAX_DEATHS`` deaths in a row without
    a finished scenario in between, the rest of the share is recorded as failed instead.
    """

    MAX_DEATHS = 3

    def __init__(self, start_worker: Callable[[list[Scenario]], list[Any]]) -> None:
        self.start_worker = start_worker  # a new worker for some scenarios: one handle per scenario
        self.pending: dict[Any, tuple[int, int, Scenario]] = {}  # handle -> (share, position, scenario)
        self.deaths: dict[int, int] = {}

    def start(self, share: int, scenarios: list[Scenario]) -> None:
        for position, (handle, scenario) in enumerate(zip(self.start_worker(scenarios), scenarios, strict=True)):
            self.pending[handle] = (share, position, scenario)

    def order(self, handle: Any) -> tuple[int, int]:
        return self.pending[handle][:2]

    def finished(self, handle: Any) -> None:
        self.deaths[self.pending.pop(handle)[0]] = 0

    def died(self, handle: Any, error: BaseException, *, succeeded: Callable[[Any], bool],
             result: Callable[[Any], ScenarioOutcome]) -> Iterator[ScenarioOutcome]:
        """Outcomes of the dead worker's share: what it finished, then failures; restarts the rest."""
        share = self.pending[handle][0]
        mine = sorted((h for h, v in self.pending.items() if v[0] == share), key=self.order)
        culprit, rest = None, []
        for h in mine:
            scenario = self.pending.pop(h)[2]
            if culprit is None and succeeded(h):
                self.deaths[share] = 0
                yield result(h)
            elif culprit is None:
                culprit = scenario
            else:
                rest.append(scenario)
        cause = f"{type(error).__name__}: {error}".strip()
        if culprit is not None:
            yield _failed(culprit, f"worker died while running it ({cause})", time.perf_counter())
        self.deaths[share] = self.deaths.get(share, 0) + 1
        if self.deaths[share] >= self.MAX_DEATHS:
            for scenario in rest:
                yield _failed(scenario, f"not run: its worker died {self.deaths[share]} times in a row ({cause})",
                              time.perf_counter())
        elif rest:
            self.start(share, rest)


def _run_local(todo: Sequence[Scenario], networks: dict[str, Network], *, jobs: int | None,
               address: str | None = None, frames: tuple[str, ...] = tuple(FRAMES)) -> Iterator[ScenarioOutcome]:
    """Local processes, one per share; ``jobs == 1`` runs in this process."""
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(todo) <= 1:
        runner = ScenarioRunner(networks, frames=frames)
        for scenario in todo:
            yield runner.run(scenario)
        return
    shipped = _shipped(networks)
    context = multiprocessing.get_context("spawn")  # fork after polars/HiGHS threads start is unsafe
    pools: list[ProcessPoolExecutor] = []

    def start_worker(scenarios: list[Scenario]) -> list[Future]:
        pool = ProcessPoolExecutor(1, mp_context=context, initializer=_init_process, initargs=(shipped, frames))
        pools.append(pool)
        return [pool.submit(_run_in_process, scenario) for scenario in scenarios]

    shares = _Shares(start_worker)
    try:
        for share, scenarios in enumerate(_deal(todo, jobs)):
            shares.start(share, scenarios)
        while shares.pending:
            finished, _ = wait(shares.pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=shares.order):
                if future not in shares.pending:  # already handled with its dead worker's share
                    continue
                if future.exception() is None:
                    shares.finished(future)
                    yield future.result()
                else:
                    yield from shares.died(future, future.exception(), result=Future.result,
                                           succeeded=lambda f: f.done() and f.exception() is None)
    finally:
        for pool in pools:
            if shares.pending:  # stopped early (Ctrl-C, or the driver failed): do not wait for running scenarios
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)


_RUNNER: ScenarioRunner | None = None  # the runner of a worker process


def _init_process(networks: dict[str, Network], frames: tuple[str, ...]) -> None:
    global _RUNNER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle: it stops the pool
    _RUNNER = ScenarioRunner(networks, frames=frames)


def _run_in_process(scenario: Scenario) -> ScenarioOutcome:
    if _RUNNER is None:
        raise RuntimeError("worker process not initialised")
    return _RUNNER.run(scenario)


def _run_ray(todo: Sequence[Scenario], networks: dict[str, Network], *, jobs: int | None,
             address: str | None, frames: tuple[str, ...] = tuple(FRAMES)) -> Iterator[ScenarioOutcome]:
    """Ray actors, one per share, on the cluster at ``address`` or a local one started for the run."""
    ray = _import_ray()
    if not todo:
        return
    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
        try:
            if address:
                ray.init(address=address, **options)
            else:
                ray.init(num_cpus=jobs or os.cpu_count() or 1, **options)
        except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; all mean "no cluster"
            raise ExecutorError(f"cannot start or reach Ray{f' at {address}' if address else ''}: {exc}") from exc
        started = True
    try:
        jobs = jobs or max(1, int(ray.cluster_resources().get("CPU", 1)))
        remote = ray.remote(num_cpus=1)(ScenarioRunner)
        shared = ray.put(_shipped(networks))

        def start_worker(scenarios: list[Scenario]) -> list[Any]:
            actor = remote.remote(shared, frames=frames)
            return [actor.run.remote(scenario) for scenario in scenarios]

        def succeeded(ref: Any) -> bool:
            if not ray.wait([ref], timeout=0)[0]:
                return False
            try:
                ray.get(ref)
            except ray.exceptions.RayError:
                return False
            return True

        shares = _Shares(start_worker)
        for share, scenarios in enumerate(_deal(todo, jobs)):
            shares.start(share, scenarios)
        while shares.pending:
            [ref], _ = ray.wait(list(shares.pending), num_returns=1)
            try:
                outcome = ray.get(ref)
            except ray.exceptions.RayError as died:
                yield from shares.died(ref, died, succeeded=succeeded, result=ray.get)
                continue
            shares.finished(ref)
            yield outcome
    finally:
        if started:
            ray.shutdown()


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ExecutorError("the ray executor needs Ray: pip install 'nearshore[ray]'") from None
    return ray


def format_duration(seconds: float | None) -> str:
    """``h:mm:ss`` for an ETA or an elapsed time (``?`` when unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
