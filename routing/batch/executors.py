"""Where scenarios run: local processes (``jobs == 1``: this process) or Ray actors, one per round-robin share."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from networks import NearshoreError, Network
from networks.network import NetworkDelta
from routing.batch.worker import FRAMES, ScenarioOutcome, ScenarioRunner, failed_outcome
from routing.scenarios import Scenario


class Executor(StrEnum):
    """Where the scenarios run."""

    LOCAL = "local"
    RAY = "ray"


class ExecutorError(NearshoreError):
    """The executor cannot start (Ray missing, no cluster at the address)."""


def _shipped(networks: dict[str, Network]) -> dict[str, Network]:
    """The networks as sent to workers: tables only, without cached arrays or graphs."""
    return {key: net.without_caches() for key, net in networks.items()}


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
            yield failed_outcome(culprit, f"worker died while running it ({cause})", time.perf_counter())
        self.deaths[share] = self.deaths.get(share, 0) + 1
        if self.deaths[share] >= self.MAX_DEATHS:
            for scenario in rest:
                reason = f"not run: its worker died {self.deaths[share]} times in a row ({cause})"
                yield failed_outcome(scenario, reason, time.perf_counter())
        elif rest:
            self.start(share, rest)


class LocalWorkers:
    """Worker processes for :func:`run_local`, started before they are needed: all are spawned at
    once and, while the driver still checks the scenarios, each imports nearshore, takes the
    networks (its first task) and builds the kept models of ``warm`` (unchanged-network
    scenarios: one per network and solver options), so the first scenario of its share finds it
    ready. A worker that was not handed a share, or all of them when the batch does not run, ends
    with :meth:`close`.

    The networks go as a task, pickled once, not as the pool's initializer arguments: those are
    written to the new process's pipe while it starts, so the driver waited for each worker in
    turn to import enough to read them (2.1 s for two workers under load, 2026-12-02), before it
    could check a scenario; a task is written by the pool's feeder thread."""

    def __init__(self, networks: dict[str, Network], *, count: int, frames: tuple[str, ...],
                 warm: Sequence[Scenario] = ()) -> None:
        self.networks = networks
        self.frames = frames
        self._context = multiprocessing.get_context("spawn")  # fork after polars/HiGHS threads start is unsafe
        self._shipped = pickle.dumps(_shipped(networks), protocol=pickle.HIGHEST_PROTOCOL) if count else b""
        self._idle = [self._start(list(warm)) for _ in range(count)]

    def _start(self, warm: list[Scenario]) -> ProcessPoolExecutor:
        if not self._shipped:
            self._shipped = pickle.dumps(_shipped(self.networks), protocol=pickle.HIGHEST_PROTOCOL)
        pool = ProcessPoolExecutor(1, mp_context=self._context, initializer=_init_process)
        with _sigint_ignored():  # the worker is spawned now: it is born ignoring Ctrl-C, the driver's to handle
            pool.submit(_warm_in_process, self._shipped, self.frames, warm)
        return pool

    def take(self) -> ProcessPoolExecutor:
        """A started worker (a new one when none is left, or the one left has died)."""
        while self._idle:
            pool = self._idle.pop(0)
            if not getattr(pool, "_broken", False):
                return pool
            _stop([pool], terminate=True)
        return self._start([])

    def close(self) -> None:
        """End the workers not taken."""
        idle, self._idle = self._idle, []
        _stop(idle, terminate=True)


def _stop(pools: Sequence[ProcessPoolExecutor], *, terminate: bool) -> None:
    """Shut the pools down together (their workers end in parallel), terminating running scenarios
    first when ``terminate``. Each pool's manager thread is waited for: left running, it may close its
    wake-up pipe while the interpreter's exit hook writes to it (CPython 3.11's _ThreadWakeup race,
    'Bad file descriptor')."""
    threads = [getattr(pool, "_executor_manager_thread", None) for pool in pools]
    for pool in pools:
        if terminate:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
    for thread in threads:
        if thread is not None:
            thread.join()


def local_jobs(jobs: int | None) -> int:
    """Scenarios a local batch solves at once: ``jobs``, else the CPUs of this machine."""
    return jobs or os.cpu_count() or 1


def run_local(todo: Sequence[Scenario], networks: dict[str, Network], *, jobs: int,
              address: str | None = None, frames: tuple[str, ...] = tuple(FRAMES),
              deltas: Mapping[str, NetworkDelta | None] | None = None,
              workers: LocalWorkers | None = None) -> Iterator[ScenarioOutcome]:
    """Local processes, one per share (``jobs``: see :func:`local_jobs`); ``jobs == 1`` runs in
    this process. ``deltas`` holds the scenarios already applied (see
    :func:`routing.batch.runner.apply_all`), by name; ``workers`` processes started ahead (else
    they start here)."""
    deltas = deltas or {}
    if jobs == 1 or len(todo) <= 1:
        runner = ScenarioRunner(networks, frames=frames)
        for scenario in todo:
            yield runner.run(scenario, deltas.get(scenario.name))
        return
    workers = workers or LocalWorkers(networks, count=0, frames=frames)
    pools: list[ProcessPoolExecutor] = []

    def start_worker(scenarios: list[Scenario]) -> list[Future]:
        pool = workers.take()
        for _ in range(2):  # a started worker may die before it takes its share: then a new one takes it
            pools.append(pool)
            try:
                with _sigint_ignored():
                    return [pool.submit(_run_in_process, scenario, deltas.get(scenario.name)) for scenario in scenarios]
            except BrokenProcessPool:
                pool = workers.take()
        raise BrokenProcessPool("no worker process could be started")

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
    finally:  # stopped early (Ctrl-C, or the driver failed): do not wait for running scenarios
        _stop(pools, terminate=bool(shares.pending))


_RUNNER: ScenarioRunner | None = None  # the runner of a worker process


def _init_process() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle: it stops the pool
    _exit_with_driver()


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while worker processes start: an ignored signal stays ignored across exec, and
    Python then installs no KeyboardInterrupt handler, so a worker still importing when Ctrl-C
    arrives neither dies nor prints a traceback (the driver stops the pool)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _exit_with_driver() -> None:
    """End this worker as soon as the driver process dies (kill -9 leaves no pool to shut it down)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="nearshore-driver-watch", daemon=True).start()


def _warm_in_process(networks: bytes, frames: tuple[str, ...], scenarios: list[Scenario]) -> None:
    """A worker's first task: its runner on the pickled ``networks``, and the kept models of ``scenarios``."""
    global _RUNNER
    _RUNNER = ScenarioRunner(pickle.loads(networks), frames=frames)
    for scenario in scenarios:
        _RUNNER.warm(scenario)


def _run_in_process(scenario: Scenario, delta: NetworkDelta | None) -> ScenarioOutcome:
    if _RUNNER is None:
        raise RuntimeError("worker process not initialised")
    return _RUNNER.run(scenario, delta)


def run_ray(todo: Sequence[Scenario], networks: dict[str, Network], *, jobs: int | None,
            address: str | None, frames: tuple[str, ...] = tuple(FRAMES),
            deltas: Mapping[str, NetworkDelta | None] | None = None) -> Iterator[ScenarioOutcome]:
    """Ray actors, one per share, on the cluster at ``address`` or a local one started for the run."""
    ray = _import_ray()
    deltas = deltas or {}
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
            return [actor.run.remote(scenario, deltas.get(scenario.name)) for scenario in scenarios]

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
