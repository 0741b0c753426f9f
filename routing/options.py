"""What a solve is asked to do: the objective, the backend and their settings, each default written once.

:class:`SolveOptions` is the one bundle that the CLI, scenario files, :class:`routing.LeadTimeModel`
and :func:`routing.solve_lead_time` share. It is pure data (no numpy, no solver), so every layer of
``routing`` may import it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DEFAULT_USD_PER_LOAD_HOUR = 5.0
"""Value of one load-hour in the ``blend`` objective (USD)."""
DEFAULT_WAIT_SEGMENTS = 8
"""Linear pieces of each queued crossing's convex wait curve."""
DEFAULT_CARRYING_RATE = 0.25
"""Annual inventory carrying rate of the ``as_operated`` value of time (the ``compare`` default)."""
DEFAULT_SERVICE_USD_PER_LOAD_HOUR = 20.0
"""Service premium of the ``as_operated`` value of time, USD per load-hour on top of carrying
(calibrated on the built-in network: see networks/data/mx_us/README.md "As operated")."""
HOURS_PER_YEAR = 8760.0
MAX_WAIT_SEGMENTS = 256
"""More pieces than this change no reported number by more than 0.01 % (their error falls as 1/n^2)
and only make the LP larger; the bound keeps a typo from exhausting memory."""

DEFAULT_HORIZON_DAYS = 28
"""Days of a ``nearshore disrupt`` horizon when neither ``--days`` nor a ``[horizon]`` table says."""
MAX_HORIZON_DAYS = 366
STEPS_OF_A_DAY = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 24.0)
"""Allowed horizon steps in hours: they divide the day, so each step belongs to one day."""
DEFAULT_STEP_H = 4.0
"""The median link of the built-in network (with the dwell at its end) takes 30 h, 10 % under 5 h;
with 4 h steps each leg's arrival is within 2 h of its time (links round to the nearest step, at
least one), while the 28-day horizon stays a few hundred thousand columns."""


class Objective(StrEnum):
    """What the solve minimises."""

    LEAD_TIME = "lead_time"  # load-hours per day
    COST = "cost"  # USD per day
    BLEND = "blend"  # USD per day + usd_per_load_hour x load-hours per day
    AS_OPERATED = "as_operated"  # each load's own generalised cost: USD + its value of time x hours (equilibrium)


class Solver(StrEnum):
    """The backends; ``auto`` picks by problem shape (see :func:`routing.model.choose_solver`)."""

    AUTO = "auto"
    GLOP = "glop"
    HIGHS = "highs"
    PDLP = "pdlp"
    MINCOSTFLOW = "mincostflow"
    LEMON = "lemon"  # LEMON's min-cost flow (the `lemon` extra); auto's min-cost flow when it is installed
    DECOMPOSITION = "decomposition"  # path column generation (routing.formulation.decomposition); never chosen by auto


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveOptions:
    """How to solve: objective, backend, time limit, value of time and wait-curve resolution.

    Example
    -------
    >>> SolveOptions(solver="highs").solver
    <Solver.HIGHS: 'highs'>
    >>> SolveOptions().replace(wait_segments=16).wait_segments
    16
    """

    objective: Objective = Objective.LEAD_TIME
    solver: Solver = Solver.AUTO
    time_limit_s: float | None = None
    usd_per_load_hour: float = DEFAULT_USD_PER_LOAD_HOUR
    wait_segments: int = DEFAULT_WAIT_SEGMENTS
    carrying_rate: float = DEFAULT_CARRYING_RATE
    service_usd_per_load_hour: float = DEFAULT_SERVICE_USD_PER_LOAD_HOUR

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", Objective(self.objective))
        object.__setattr__(self, "solver", Solver(self.solver))
        if self.time_limit_s is not None and not (self.time_limit_s > 0 and math.isfinite(self.time_limit_s)):
            raise ValueError(f"time_limit_s must be a positive number of seconds, got {self.time_limit_s!r}")
        if not (self.usd_per_load_hour >= 0 and math.isfinite(self.usd_per_load_hour)):
            raise ValueError(f"usd_per_load_hour must be >= 0, got {self.usd_per_load_hour!r}")
        for name in ("carrying_rate", "service_usd_per_load_hour"):
            if not (getattr(self, name) >= 0 and math.isfinite(getattr(self, name))):
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not (isinstance(self.wait_segments, int) and 1 <= self.wait_segments <= MAX_WAIT_SEGMENTS):
            raise ValueError(f"wait_segments must be a whole number from 1 to {MAX_WAIT_SEGMENTS}, "
                             f"got {self.wait_segments!r}")

    def replace(self, **changes: Any) -> SolveOptions:
        """A copy with some fields changed (checked like a new one)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def of(cls, options: SolveOptions | None = None, **overrides: Any) -> SolveOptions:
        """``options`` (or the defaults) with the keyword ``overrides`` applied."""
        return (options or cls()).replace(**overrides) if overrides else (options or cls())
