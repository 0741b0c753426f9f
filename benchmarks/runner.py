"""The runner: every peer on every instance of a suite, side by side, objectives cross-checked;
then batch throughput, cold start, the auto-choice check and the issue's targets.

A record is one (instance, solver) pair. A peer whose objective differs from the reference (the
raw min-cost flow where it applies, else HiGHS) by more than ``1e-6`` relative gets an ``error``;
a peer predicted to run longer than its limit at this size is skipped with a ``note``.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.horizon import HORIZON_NAMES
from benchmarks.peers import BACKEND_OF, PEERS, Instance, Peer, PeerSkipped, PeerTimedOut, prepare_instance, warm_up
from benchmarks.registry import InstanceSpec, specs_for
from benchmarks.timing import RunPlan, measure

History = dict[tuple[str, str], list[tuple[int, float]]]  # (family, peer) -> [(links x commodities, seconds)]
STOPPED = "stopped"  # note of a peer that reached its time limit
REL_TOL = 1e-6
GROWTH_EXPONENT = 1.5  # assumed growth of a slow peer's time with size, to predict skips
PHASE_RUNS = 3  # nearshore's phases are timed this often per instance (once if a solve takes LONG_RUN_S)
LONG_RUN_S = 5.0
AUTO_SLACK = 1.10  # auto's choice counts as right within 10 % of the fastest backend (timing noise)


@dataclass(slots=True)
class Record:
    """One measurement; ``extras`` are flattened into the JSON record."""

    suite: str
    instance: str
    family: str
    links: int
    nodes: int
    commodities: int
    solver: str
    median_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    runs: int = 0
    ratio_to_raw_mcf: float | None = None
    ratio_to_best: float | None = None
    objective: float | None = None
    peak_rss_mb: float | None = None
    note: str = ""
    error: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {**{k: v for k, v in data.items() if k != "extras"}, **data["extras"]}


@dataclass(frozen=True, slots=True)
class SuiteSettings:
    """How much work a suite does beyond its instances."""

    plan: RunPlan
    batch: tuple[tuple[Any, int], ...]  # (BatchSpec, scenarios)
    batch_processes: tuple[int, ...]
    cold_start_runs: int


def _settings(suite: str) -> SuiteSettings:
    from benchmarks.batch import BatchSpec

    if suite == "quick":
        return SuiteSettings(plan=RunPlan(min_runs=3, max_runs=5, budget_s=0.5, hard_budget_s=2.0),
                             batch=((BatchSpec("builtin"), 40), (BatchSpec("builtin-as-operated",
                                                                             objective="as_operated"), 20)),
                             batch_processes=(1, 2), cold_start_runs=2)
    return SuiteSettings(plan=RunPlan(min_runs=3, max_runs=7, budget_s=10.0, hard_budget_s=120.0),
                         batch=((BatchSpec("builtin"), 200), (BatchSpec("builtin-as-operated", objective="as_operated"),
                                                              200), (BatchSpec("corridor-1e4", 10_000), 200)),
                         batch_processes=(1, 2), cold_start_runs=5)


@dataclass(slots=True)
class SuiteResult:
    """Everything one ``nearshore bench`` run measured."""

    suite: str
    started: str
    machine: dict[str, Any]
    records: list[Record] = field(default_factory=list)
    phases: dict[str, dict[str, float]] = field(default_factory=dict)
    auto_choice: list[dict[str, Any]] = field(default_factory=list)
    cold_start: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def errors(self) -> list[Record]:
        return [r for r in self.records if r.error]


def run_suite(
    suite: str,
    *,
    instances: list[str] | None = None,
    peers: list[str] | None = None,
    batch: bool = True,
    cold_start: bool = True,
    sampling: bool = True,
    horizon: bool = True,
    progress: Callable[[str], None] | None = None,
) -> SuiteResult:
    """Run a suite and return its records, checks and targets (nothing is printed or written).

    Parameters
    ----------
    suite
        ``quick`` (small instances, a minute or two) or ``full`` (up to 1e6 links; many minutes).
    instances, peers
        Only these instance and peer names (default: all of the suite).
    batch, cold_start, sampling, horizon
        Also measure batch throughput, the cold start of ``nearshore solve``, the lead-time
        Monte Carlo (100k samples of every built-in lane with clock and regimes) and the horizon
        family (``nearshore disrupt``, :mod:`benchmarks.horizon`).
    progress
        Called with a short line before each measurement.

    Returns
    -------
    SuiteResult
        Records, per-instance phase times of nearshore, the auto-choice check and the targets.

    Raises
    ------
    ValueError
        For an unknown suite, instance or peer name.
    """
    from benchmarks.machine import describe_machine, load_average
    from benchmarks.targets import evaluate_targets

    start = time.perf_counter()
    settings, say = _settings(suite), progress or (lambda _: None)
    specs, chosen_peers = _select(suite, instances, peers)
    result = SuiteResult(suite=suite, started=dt.datetime.now().isoformat(timespec="seconds"),
                         machine=describe_machine())
    say("warming up: importing and running every peer once")
    warm_up()
    history: History = {}
    for spec in specs:
        result.records += _run_instance(suite, spec, chosen_peers, settings.plan, history, result, say)
    if batch:
        result.records += _run_batches(suite, settings, say)
    if cold_start:
        result.cold_start, record = _run_cold_start(suite, settings.cold_start_runs, say)
        result.records.append(record)
    if sampling:
        result.records.append(_run_sampling(suite, say))
    named_horizons = [name for name in instances or () if name in HORIZON_NAMES]
    if horizon and (instances is None or named_horizons):  # all of the suite's, or those named
        from benchmarks.horizon import run_horizons

        result.records += run_horizons(suite, Record, say, names=named_horizons or None)
    result.auto_choice = auto_choice(result.records)
    result.targets = evaluate_targets(result)
    result.machine["load_average_end"] = load_average()
    result.elapsed_s = time.perf_counter() - start
    return result


def _select(suite: str, instances: list[str] | None, peers: list[str] | None) -> tuple[list[InstanceSpec], list[Peer]]:
    specs = specs_for(suite)
    known_specs, known_peers = {s.name for s in specs} | HORIZON_NAMES, {p.name for p in PEERS}
    for names, known, what in ((instances, known_specs, f"instance of suite {suite}"), (peers, known_peers, "peer")):
        unknown = sorted(set(names or ()) - known)
        if unknown:
            raise ValueError(f"unknown {what}: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    specs = [s for s in specs if instances is None or s.name in instances]
    chosen = [p for p in PEERS if (peers is None or p.name in peers) and p.available()]
    return specs, chosen


def _run_instance(suite: str, spec: InstanceSpec, peers: list[Peer], plan: RunPlan,
                  history: History, result: SuiteResult,
                  say: Callable[[str], None]) -> list[Record]:
    """Every applicable peer on one instance, then ratios and the objective cross-check."""
    from benchmarks.phases import nearshore_phases

    say(f"{spec.name}: building")
    try:
        instance = prepare_instance(spec.name, spec.family, spec.build())
    except Exception as failure:  # noqa: BLE001 - an instance that cannot be built is a result
        return [failed_outcome(suite, spec.name, spec.family, "build", failure)]
    network = instance.network
    size = network.links.height * network.commodities.height
    records = []
    for peer in peers:
        if not peer.applies(instance):
            continue
        record = Record(suite=suite, instance=spec.name, family=spec.family, links=network.links.height,
                        nodes=network.nodes.height, commodities=network.commodities.height, solver=peer.name)
        skip = _predicted_skip(peer, spec.family, size, history)
        if skip:
            record.note = skip
        else:
            say(f"{spec.name}: {peer.name}")
            _measure_peer(record, peer, instance, plan)
            stopped = record.note.startswith(STOPPED)
            seconds = record.median_s if record.median_s is not None else (peer.max_s if stopped else None)
            if seconds is not None:  # a peer stopped at its time limit counts as taking the limit
                history.setdefault((spec.family, peer.name), []).append((size, seconds))
        records.append(record)
    ours = next((r for r in records if r.solver == "nearshore" and r.median_s is not None), None)
    if ours is not None:
        runs = PHASE_RUNS if ours.median_s < LONG_RUN_S else 1
        result.phases[spec.name] = _median_phases([nearshore_phases(network) for _ in range(runs)])
        if spec.family == "netgen":
            ours.extras["read_dimacs_s"] = _time_read_dimacs(network)
    _cross_check(records)
    _add_ratios(records)
    return records


def _time_read_dimacs(network: Any) -> float:
    """Median seconds of ``read_dimacs`` on the instance written as a DIMACS file (3 runs)."""
    import tempfile

    from networks.dimacs import dimacs_from_network, read_dimacs, write_dimacs

    with tempfile.TemporaryDirectory() as folder:
        path = write_dimacs(dimacs_from_network(network), Path(folder) / "instance.min")
        seconds = []
        for _ in range(3):
            start = time.perf_counter()
            read_dimacs(path)
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def _median_phases(runs: list[dict[str, float]]) -> dict[str, float]:
    """The phases of the run whose total is the median (the lower middle of an even count), so
    they add up to a time that was measured."""
    by_total = sorted(runs, key=lambda run: sum(run.values()))
    return dict(by_total[(len(by_total) - 1) // 2])


def failed_outcome(suite: str, instance: str, family: str, solver: str, failure: Exception) -> Record:
    """A record of a step that raised, with the first line of the error."""
    first = str(failure).strip().splitlines()
    text = " ".join(first[:2]) if first else ""
    return Record(suite=suite, instance=instance, family=family, links=0, nodes=0, commodities=0, solver=solver,
                  error=f"{type(failure).__name__}: {text}")


def _predicted_skip(peer: Peer, family: str, size: int, history: History) -> str:
    """A 'skipped: too slow' note when the time measured at the nearest smaller size of the
    family, grown with size, passes the peer's limit."""
    known = [(s, t) for s, t in history.get((family, peer.name), []) if s <= size]
    if not known:
        return ""
    last_size, last_s = max(known)
    predicted = last_s * (size / last_size) ** GROWTH_EXPONENT
    if predicted <= peer.max_s:
        return ""
    return (f"skipped: too slow (predicted ~{predicted:.0f} s from {last_s:.2f} s at {last_size:,} "
            f"links x commodities; limit {peer.max_s:.0f} s)")


def _measure_peer(record: Record, peer: Peer, instance: Instance, plan: RunPlan) -> None:
    try:
        state = peer.prepare(instance)
        timing = measure(lambda: peer.run(state), plan)
    except PeerTimedOut as stopped:
        record.note = f"{STOPPED}: {stopped}"
        return
    except PeerSkipped as skipped:
        record.note = str(skipped)
        return
    except Exception as failure:  # noqa: BLE001 - a failing peer is a result, not a crash of the suite
        record.error = f"{type(failure).__name__}: {failure}"
        return
    record.median_s, record.min_s, record.max_s = timing.median_s, timing.min_s, timing.max_s
    record.runs, record.peak_rss_mb = len(timing.seconds), timing.peak_rss_mb
    record.objective = timing.median_result.objective  # extras of the median run, not the last
    record.extras.update(timing.median_result.extras)


def _cross_check(records: list[Record]) -> None:
    """Every objective must match the reference peer's within ``REL_TOL`` (relative); a peer that
    reports a lower bound (``bound``) must not exceed it."""
    solved = {r.solver: r for r in records if r.objective is not None and not r.error}
    bounds = {name: solved.pop(name) for name in [n for n, r in solved.items() if r.extras.get("bound")]}
    reference = next((solved[name] for name in ("raw-mcf", "lp-highs", "lp-glop", "nearshore") if name in solved), None)
    if reference is None:
        return
    for record in solved.values():
        gap = abs(record.objective - reference.objective)
        if gap > REL_TOL * max(1.0, abs(reference.objective)):
            record.error = (f"objective mismatch: {record.objective:.9g} vs {reference.solver} "
                            f"{reference.objective:.9g} (relative gap {gap / max(1.0, abs(reference.objective)):.2e})")
    for record in bounds.values():
        if record.objective > reference.objective + REL_TOL * max(1.0, abs(reference.objective)):
            record.error = f"lower bound {record.objective:.9g} above {reference.solver}'s optimum {reference.objective:.9g}"
        else:
            record.note = (f"lower bound, not a solution: {record.objective / reference.objective:.4f}x "
                           f"{reference.solver}'s optimum")


def _add_ratios(records: list[Record]) -> None:
    timed = [r for r in records if r.median_s is not None and not r.error]
    raw = next((r.median_s for r in timed if r.solver == "raw-mcf"), None)
    best = min((r.median_s for r in timed if not r.extras.get("bound")), default=None)  # a bound is no peer
    uncoupled = next((r.median_s for r in timed if r.solver == "uncoupled-mcf"), None)
    for record in timed:
        record.ratio_to_raw_mcf = record.median_s / raw if raw else None
        record.ratio_to_best = record.median_s / best if best else None
        if uncoupled and record.solver != "uncoupled-mcf":  # multi-commodity: the time over the lower bound's
            record.extras["ratio_to_uncoupled"] = record.median_s / uncoupled
            record.note = "; ".join(filter(None, [record.note, f"{record.median_s / uncoupled:.2f}x uncoupled-mcf"]))


def auto_choice(records: list[Record]) -> list[dict[str, Any]]:
    """Per instance: the backend ``--solver auto`` chose and the fastest of nearshore's backends.

    The choice is right when its backend time is within 10 % of the fastest (timing noise).
    """
    rows = []
    for record in records:
        chosen = record.extras.get("chosen") if record.solver == "nearshore" and not record.error else None
        if chosen is None:
            continue
        backends = {BACKEND_OF[r.solver]: r.median_s for r in records if r.instance == record.instance
                    and r.solver in BACKEND_OF and r.median_s is not None and not r.error}
        if chosen not in backends:
            continue
        fastest = min(backends, key=backends.get)
        rows.append({"instance": record.instance, "chosen": chosen, "chosen_s": backends[chosen],
                     "fastest": fastest, "fastest_s": backends[fastest],
                     "right": backends[chosen] <= AUTO_SLACK * backends[fastest],
                     "backends": backends})
    return rows


def _run_batches(suite: str, settings: SuiteSettings, say: Callable[[str], None]) -> list[Record]:
    """``nearshore batch``'s runner end to end, frames none and all, 1 and more processes, per sweep;
    every run must give the objectives of the first."""
    from benchmarks.batch import base_network, run_batch

    records = []
    for spec, scenarios in settings.batch:
        try:
            base = base_network(spec)
        except Exception as failure:  # noqa: BLE001 - reported in the record
            records.append(failed_outcome(suite, spec.name, "batch", "batch-frames-none", failure))
            continue
        reference = None
        for frames in ((), ("lanes", "bottlenecks", "unmet")):
            for processes in settings.batch_processes:
                mode = "frames-all" if frames else "frames-none"
                say(f"batch {spec.name}: {scenarios} scenarios, {mode}, {processes} process(es)")
                record = Record(suite=suite, instance=spec.name, family="batch", links=base.links.height,
                                nodes=base.nodes.height, commodities=base.commodities.height, solver=f"batch-{mode}")
                try:
                    outcome = run_batch(spec, scenarios=scenarios, processes=processes, frames=frames)
                except Exception as failure:  # noqa: BLE001 - reported in the record
                    record.error = f"{type(failure).__name__}: {failure}"
                    records.append(record)
                    continue
                reference = outcome.objectives if reference is None else reference
                _fill_batch(record, outcome, reference, spec.objective, processes)
                records.append(record)
    return records


def _fill_batch(record: Record, outcome: Any, reference: Any, objective: str, processes: int) -> None:
    import numpy as np

    scenarios = len(outcome.finished_s)
    per = outcome.wall_s / scenarios
    record.median_s = record.min_s = record.max_s = per
    record.runs = 1
    record.objective = float(np.nansum(outcome.objectives))
    record.extras.update(processes=processes, scenarios=scenarios, scenarios_per_s=outcome.scenarios_per_s,
                         warm_per_s=outcome.warm_per_s, wall_s=outcome.wall_s, objective_kind=objective)
    record.note = (f"`nearshore batch` runner end to end ({objective}): {scenarios} scenarios, {processes} "
                   f"process(es), workers started in the run; median_s = wall / scenarios; objective = sum")
    if outcome.failures:
        record.error = f"{outcome.failures} scenario(s) without a solution"
    elif not np.allclose(outcome.objectives, reference, rtol=REL_TOL, atol=0):
        worst = int(np.argmax(np.abs(outcome.objectives - reference)))
        record.error = (f"scenario {worst}: objective {outcome.objectives[worst]:.9g} differs from the first "
                        f"batch's {reference[worst]:.9g}")


def _run_cold_start(suite: str, runs: int, say: Callable[[str], None]) -> tuple[dict[str, Any], Record]:
    from benchmarks.coldstart import measure_cold_start, measure_startup

    say(f"cold start: {runs} x nearshore solve")
    record = Record(suite=suite, instance="builtin", family="cold-start", links=0, nodes=0, commodities=0,
                    solver="cli-cold-start")
    try:
        cold = measure_cold_start(runs=runs)
        startup = measure_startup(runs=max(3, runs))
        _fill_builtin_size(record)
    except Exception as failure:  # noqa: BLE001 - reported in the record
        record.error = f"{type(failure).__name__}: {failure}"
        return {}, record
    record.median_s, record.min_s, record.max_s = cold.median_s, min(cold.seconds), max(cold.seconds)
    record.runs = len(cold.seconds)
    top = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in cold.imports)
    command = " ".join([Path(cold.command[0]).name, *cold.command[1:]])
    record.note = f"`{command}` as a new process, imports included; import time by package: {top}"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        record.note += " (PYTHONDONTWRITEBYTECODE is set: no bytecode cache for nearshore's own modules)"
    ratios = {name: startup[name] / startup["import_click"] for name in ("help", "version")}
    record.extras["startup_s"], record.extras["startup_x_click"] = startup, ratios
    record.note += (f"; `nearshore --help` {startup['help'] * 1000:.0f} ms ({ratios['help']:.2f}x `python -c \"import "
                    f"click\"`, {startup['import_click'] * 1000:.0f} ms), `--version` {startup['version'] * 1000:.0f} ms "
                    f"({ratios['version']:.2f}x)")
    summary = {"command": list(cold.command), "seconds": list(cold.seconds), "median_s": cold.median_s,
               "imports_s": dict(cold.imports), "startup_s": startup, "startup_x_click": ratios}
    return summary, record


def _run_sampling(suite: str, say: Callable[[str], None]) -> Record:
    from benchmarks.sampling import SAMPLES, measure_sampling

    runs = 5 if suite == "full" else 3
    say(f"sampling: {runs} x {SAMPLES:,} samples of every built-in lane (clock and regimes on)")
    record = Record(suite=suite, instance="builtin", family="sampling", links=0, nodes=0, commodities=0,
                    solver="sample_lead_times")
    try:
        measured = measure_sampling(runs)
        _fill_builtin_size(record)
    except Exception as failure:  # noqa: BLE001 - reported in the record
        record.error = f"{type(failure).__name__}: {failure}"
        return record
    record.median_s, record.min_s, record.max_s = measured["median_s"], min(measured["wall_s"]), max(measured["wall_s"])
    record.runs = runs
    record.extras |= {"lanes": measured["lanes"], "samples": measured["samples"],
                      "median_cpu_s": measured["median_cpu_s"]}
    record.note = (f"{measured['lanes']} lanes x {measured['samples']:,} samples, CPU {measured['median_cpu_s']:.2f} s "
                   "(median)")
    return record


def _fill_builtin_size(record: Record) -> None:
    from networks import read_network

    network = read_network()
    record.links, record.nodes, record.commodities = (network.links.height, network.nodes.height,
                                                      network.commodities.height)
