"""What a solve returns: a status, summary numbers and polars frames with fixed schemas."""

from __future__ import annotations

from typing import Any, Protocol

import polars as pl
from pydantic import BaseModel, ConfigDict, PrivateAttr

from routing.formulation.solution import Status


class ResultFrames(Protocol):
    """Where a result's frames come from (:class:`routing.results.frames.SolvedTables`)."""

    lanes: pl.DataFrame
    bottlenecks: pl.DataFrame
    unmet: pl.DataFrame
    flows: pl.DataFrame
    crossings: pl.DataFrame
    top_bottleneck: tuple[str | None, float | None]


class LeadTimeResult(BaseModel):
    """The outcome of :func:`routing.solve_lead_time`.

    ``objective`` is the minimised value (load-hours per day for ``lead_time``, USD per day for
    ``cost``; for ``as_operated`` the generalised cost in USD per day, freight USD + each load's
    value of time x its hours) including the penalty on unmet loads; ``avg_lead_time_h`` is the
    load-hours of the served modelled demand divided by the loads served (the routed ``background``
    commodity is not in it, nor in the served, unmet, load-hour and cost totals: it has its own
    ``background_unmet_loads_per_day``, and ``all_load_hours_per_day`` counts all traffic). The frames (``lanes``, ``bottlenecks``, ``unmet``,
    ``flows``, ``crossings``) are built on first use; they are empty when there is no solution.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    status: Status
    objective_kind: str
    objective: float | None
    avg_lead_time_h: float | None
    served_loads_per_day: float
    unmet_loads_per_day: float
    total_load_hours_per_day: float
    total_cost_usd_per_day: float
    unmet_penalty: float
    solver: str
    build_s: float
    solve_s: float
    detail: str = ""
    background_unmet_loads_per_day: float = 0.0  # routed background traffic that found no crossing
    all_load_hours_per_day: float = 0.0  # modelled freight and background traffic together
    _frames: ResultFrames = PrivateAttr()

    @classmethod
    def with_frames(cls, frames: ResultFrames, **fields: Any) -> LeadTimeResult:
        """A result whose frames come from ``frames``."""
        result = cls(**fields)
        result._frames = frames
        return result

    @property
    def lanes(self) -> pl.DataFrame:
        """One row per supplier-to-market lane with its lead-time waterfall (``LANES_SCHEMA``)."""
        return self._frames.lanes

    @property
    def bottlenecks(self) -> pl.DataFrame:
        """Binding capacities, the most valuable first (``BOTTLENECKS_SCHEMA``)."""
        return self._frames.bottlenecks

    @property
    def top_bottleneck(self) -> tuple[str | None, float | None]:
        """The first row of ``bottlenecks`` as ``("<kind> <id>", value_per_unit)`` ((None, None) when
        nothing binds), named from the solution's arrays without building the table."""
        return self._frames.top_bottleneck

    @property
    def unmet(self) -> pl.DataFrame:
        """Demand not served, with its reason (``UNMET_SCHEMA``)."""
        return self._frames.unmet

    @property
    def flows(self) -> pl.DataFrame:
        """Positive flows per link and commodity (``FLOWS_SCHEMA``)."""
        return self._frames.flows

    @property
    def crossings(self) -> pl.DataFrame:
        """Queued crossings: volume, utilisation, wait, value of a lane / an hour."""
        return self._frames.crossings

    def summary(self) -> dict[str, Any]:
        """The scalar fields, JSON-ready."""
        return self.model_dump(mode="json")

    def to_dict(self) -> dict[str, Any]:
        """Summary plus ``lanes``, ``bottlenecks``, ``unmet`` and ``crossings`` as lists of row objects."""
        return {**self.summary(), "lanes": self.lanes.to_dicts(), "bottlenecks": self.bottlenecks.to_dicts(),
                "unmet": self.unmet.to_dicts(), "crossings": self.crossings.to_dicts()}
