"""Timing fixed work: repeated runs, median and range, and the process's peak resident memory."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


@dataclass(frozen=True, slots=True)
class RunPlan:
    """How often to repeat one measurement: at least ``min_runs`` and ``budget_s`` of runs, at
    most ``max_runs``; never start a run once ``hard_budget_s`` is spent."""

    min_runs: int = 3
    max_runs: int = 5
    budget_s: float = 1.0
    hard_budget_s: float = 3.0


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall seconds of each run and the peak resident memory over them (None where unknown)."""

    seconds: tuple[float, ...]
    peak_rss_mb: float | None
    last: Any  # what the last run returned
    results: tuple[Any, ...] = ()  # what each run returned

    @property
    def median_result(self) -> Any:
        """What the run of median time returned (the lower middle of an even count)."""
        if not self.results:
            return self.last
        order = sorted(range(len(self.seconds)), key=self.seconds.__getitem__)
        return self.results[order[(len(order) - 1) // 2]]

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def min_s(self) -> float:
        return min(self.seconds)

    @property
    def max_s(self) -> float:
        return max(self.seconds)


def measure(work: Callable[[], Any], plan: RunPlan) -> Timing:
    """Run ``work`` as ``plan`` says and time each run with ``time.perf_counter``.

    Garbage is collected before each run, outside the timing. What the process held before the
    first run (modules, the instance and its prepared forms) is frozen out of the collector
    (``gc.freeze``) while the runs last, so each collection looks only at what the runs made (a full
    collection of a bench process took 70-80 ms, longer than most runs). The peak memory is the
    process's high-water mark (``VmHWM``), reset before the first run where Linux allows it; it
    includes what the process already held.
    """
    reset_peak_rss()
    seconds: list[float] = []
    results: list[Any] = []
    result = None
    gc.collect()
    gc.freeze()
    try:
        while len(seconds) < plan.max_runs:
            gc.collect()
            start = time.perf_counter()
            result = work()
            seconds.append(time.perf_counter() - start)
            results.append(result)
            spent = sum(seconds)
            if spent >= plan.hard_budget_s or (len(seconds) >= plan.min_runs and spent >= plan.budget_s):
                break
    finally:
        gc.unfreeze()
    return Timing(seconds=tuple(seconds), peak_rss_mb=peak_rss_mb(), last=result, results=tuple(results))


def reset_peak_rss() -> bool:
    """Reset the process's peak-RSS mark to its current RSS (Linux ``clear_refs``); False if not possible."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float | None:
    """The process's peak resident memory in MiB since start or the last reset (Linux only)."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
