"""Progress on stderr for the long commands: a rich progress bar on a terminal, with an ETA from
a smoothed rate (:class:`SmoothedEta`); nothing but occasional lines elsewhere."""

from __future__ import annotations

import math
import sys
import time
from typing import Any


class SmoothedEta:
    """Seconds left, from an exponentially weighted mean of the time between finished items.

    The first finish after the start carries the start-up (worker processes, imports, the first
    LP) and is not used: no ETA is given until two items have finished."""

    def __init__(self, *, weight: float = 0.2) -> None:
        self.weight = weight
        self.last: float | None = None
        self.mean_s: float | None = None

    def update(self, now: float, remaining: int) -> float | None:
        if self.last is not None:
            gap = now - self.last
            self.mean_s = gap if self.mean_s is None else self.weight * gap + (1 - self.weight) * self.mean_s
        self.last = now
        return None if self.mean_s is None else self.mean_s * remaining


def format_duration(seconds: float | None) -> str:
    """``h:mm:ss`` for an ETA or an elapsed time (``?`` when unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressBar:
    """``label  ━━━━━━  done/total  note  elapsed  ETA`` on stderr when it is a terminal; silent
    otherwise (``enabled`` False). Use as a context manager; ``advance(done, total, note)``."""

    def __init__(self, label: str, *, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.eta = SmoothedEta()
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def advance(self, done: int, total: int, note: str = "", *, count: bool = True) -> float | None:
        """Show ``done`` of ``total``; ``count`` False for a redraw that finished nothing new."""
        eta_s = self.eta.update(time.monotonic(), total - done) if count else None
        if not self.enabled:
            return eta_s
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
                                TextColumn("ETA {task.fields[eta]}"), console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total, note="", eta="?")
        self.bar.update(self.task, completed=done, total=total, note=note, eta=format_duration(eta_s))
        return eta_s

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
