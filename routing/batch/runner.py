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
import time
from collections.abc import Callable, Sequence
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from networks import InputError, Network, builtin_path, read_network
from networks.errors import Problem
from networks.network import NetworkDelta
from networks.schema import TABLES
from routing.batch.executors import Executor, LocalWorkers, local_jobs, run_local, run_ray
from routing.batch.store import locked, read_done, scenario_hash, write_atomic, write_outcome
from routing.batch.worker import FRAMES, MAX_MODELS, SUMMARY_SCHEMA, ScenarioOutcome
from routing.scenarios import BUILTIN, Scenario, apply_changes, check_regimes
from routing.scenarios.apply import Selections

BASE = "base"
COMPARABLE_SERVED_TOL = 1e-3
"""Loads served may differ from the base's by this share before an average lead time is no longer
comparable with the base's (0.1 %)."""
DELTA_BUDGET_BYTES = 256 * 2**20
"""Memory the driver may hold in applied scenarios (:class:`~networks.network.NetworkDelta`) for the
workers; the scenarios past it are applied again by their worker."""

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
        Scenarios with unique names (see :func:`routing.scenarios.load_scenarios`). Scenarios with
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
    unknown = [f for f in frames if f not in FRAMES]
    if unknown:
        raise ValueError(f"unknown result frame(s) {', '.join(unknown)}; choose from {', '.join(FRAMES)}")
    frames = tuple(f for f in FRAMES if f in frames)  # one order, whatever order they were asked in
    scenarios, bases = _with_bases(list(scenarios))
    networks, fingerprints = _load_networks(scenarios)
    local = Executor(executor) == Executor.LOCAL
    jobs = local_jobs(jobs) if local else jobs  # a Ray cluster counts its own CPUs
    workers = _started_workers(scenarios, networks, jobs=jobs, frames=frames) if local else None
    with closing(workers) if workers is not None else nullcontext():
        deltas = apply_all(scenarios, networks)  # the workers start meanwhile
        hashes = {s.name: scenario_hash(s, fingerprints[s.network]) for s in scenarios}
        with locked(out):
            rows = read_done(out, hashes, frames) if resume else {}
            todo = [s for s in scenarios if s.name not in rows]
            failed = sum(r["status"] != "optimal" for r in rows.values())
            resumed = len(rows)
            outcomes = (run_local(todo, networks, jobs=jobs, frames=frames, deltas=deltas, workers=workers) if local
                        else run_ray(todo, networks, jobs=jobs, address=ray_address, frames=frames, deltas=deltas))
            summary = _write_all(out, scenarios, outcomes, rows, hashes, bases, on_progress, start, failed, resumed)
    not_optimal = tuple(summary.filter(pl.col("status") != "optimal")["scenario"].to_list())
    return BatchResult(summary, out, len(todo), resumed, time.perf_counter() - start, not_optimal)


def _write_all(out: Path, scenarios: Sequence[Scenario], outcomes: Any, rows: dict[str, dict[str, Any]],
               hashes: dict[str, str], bases: dict[str, str],
               on_progress: Callable[[BatchProgress, dict[str, Any]], None] | None, start: float, failed: int,
               resumed: int) -> pl.DataFrame:
    """Write each outcome as it comes (``rows`` holds those of an earlier run), then the summary."""
    with closing(outcomes):
        for outcome in outcomes:
            row = write_outcome(out, ScenarioOutcome(outcome.row | {"scenario_hash": hashes[outcome.name]},
                                                     outcome.frames))
            rows[outcome.name] = row
            failed += row["status"] != "optimal"
            if on_progress is not None:
                on_progress(BatchProgress(len(scenarios), len(rows), failed, resumed,
                                          time.perf_counter() - start), row)
    summary = summarize_rows([rows[s.name] | {"base_scenario": bases[s.name]} for s in scenarios])
    write_atomic(summary, out / "summary.parquet")
    return summary


def _started_workers(scenarios: Sequence[Scenario], networks: dict[str, Network], *, jobs: int,
                     frames: tuple[str, ...]) -> LocalWorkers | None:
    """The local worker processes of the batch (``jobs`` of them at most), started now, each
    warming the models of every network and solver options of the scenarios (at most
    MAX_MODELS // 2); none when the batch runs in this process (one job or one scenario)."""
    count = min(jobs, len(scenarios))
    if count <= 1:
        return None
    kinds = {(s.network, s.solver.model_dump_json()): s for s in scenarios if s.horizon is None}
    return LocalWorkers(networks, count=count, frames=frames, warm=list(kinds.values())[:MAX_MODELS // 2])


def summarize_rows(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """The summary table of some scenario rows, with the comparisons against the row named in
    ``base_scenario`` filled in: ``change_vs_base_pct`` (``avg_lead_time_h``, in percent; null when
    not ``comparable``), ``cost_change_vs_base_pct`` (``total_cost_usd_per_day``), ``comparable``
    and ``comparable_reason`` (see ``SUMMARY_SCHEMA``)."""
    frame = pl.DataFrame(list(rows), schema=SUMMARY_SCHEMA, orient="row") if rows else SUMMARY_SCHEMA.to_frame()
    bases = frame.select(base_scenario="scenario", base_avg_h="avg_lead_time_h", base_cost="total_cost_usd_per_day",
                         base_served="served_loads_per_day")
    served, base_served = pl.col("served_loads_per_day"), pl.col("base_served")
    gap = (served - base_served).abs() / pl.max_horizontal(base_served.abs(), pl.lit(1e-9))
    solved = pl.col("avg_lead_time_h").is_not_null() & pl.col("base_avg_h").is_not_null()
    comparable = solved & (gap <= COMPARABLE_SERVED_TOL)
    reason = (pl.when(pl.col("base_served").is_null()).then(pl.lit("the base has no solution"))
              .when(served.is_null()).then(pl.lit("no solution"))
              .when(pl.col("avg_lead_time_h").is_null()).then(pl.lit("no load served"))
              .when(~comparable).then(pl.format("serves {} loads/day, the base {} ({}%): the average lead time is "
                                                "over other loads", served.round(1), base_served.round(1),
                                                (100 * (served / base_served - 1)).round(2)))
              .otherwise(None))
    change = 100.0 * (pl.col("avg_lead_time_h") / pl.col("base_avg_h") - 1.0)
    cost_change = pl.when(pl.col("base_cost") > 0).then(
        100.0 * (pl.col("total_cost_usd_per_day") / pl.col("base_cost") - 1.0))
    return (frame.join(bases, on="base_scenario", how="left", maintain_order="left")
            .with_columns(comparable=comparable, comparable_reason=reason,
                          change_vs_base_pct=pl.when(comparable).then(change), cost_change_vs_base_pct=cost_change)
            .select(SUMMARY_SCHEMA.names()))


def apply_all(scenarios: Sequence[Scenario], networks: dict[str, Network], *,
              budget_bytes: int = DELTA_BUDGET_BYTES) -> dict[str, NetworkDelta | None]:
    """Apply every scenario's changes once, before anything runs, and keep the changed networks as
    deltas for the workers (a worker rebuilds its variant from one instead of applying the changes
    again), up to ``budget_bytes`` (then None: the worker applies them). Horizon scenarios are
    checked the same way but keep no delta (their worker builds day networks).

    Raises InputError with every problem of every scenario (unknown ids, empty selections, values
    out of range, a changed network that breaks a rule of the data, an unknown ``[regimes]`` domain)."""
    deltas: dict[str, NetworkDelta | None] = {}
    problems: list[Problem] = []
    held = 0
    selections = Selections()  # a sweep's points select the same rows: each selection is made once
    for scenario in scenarios:
        base = networks[scenario.network]
        try:
            variant = apply_changes(base, scenario.changes, source=scenario.source or scenario.name,
                                    selections=selections)
        except InputError as bad:
            problems += bad.problems
            continue
        problems += check_regimes(variant, scenario)  # a [regimes] domain the network does not have
        if problems or scenario.horizon is not None:
            continue
        delta = variant.delta_from(base)
        if held + delta.estimated_bytes <= budget_bytes:
            deltas[scenario.name], held = delta, held + delta.estimated_bytes
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    return deltas


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
