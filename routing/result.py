"""What a solve returns: a status, summary numbers and polars frames with fixed schemas."""

from __future__ import annotations

from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

from routing.status import Status

WATERFALL = ("ocean_h", "port_dwell_h", "rail_h", "truck_h", "drayage_h", "crossing_h", "crossing_wait_h",
             "other_dwell_h")

LANES_SCHEMA = pl.Schema({
    "origin": pl.String, "market": pl.String, "commodity": pl.String, "loads_per_day": pl.Float64,
    "lead_time_h": pl.Float64, "route": pl.String, "links": pl.String, "crossing": pl.String,
    **{leg: pl.Float64 for leg in WATERFALL},
    "cost_usd_per_load": pl.Float64, "distance_km": pl.Float64,
})
BOTTLENECKS_SCHEMA = pl.Schema({
    "kind": pl.String, "id": pl.String, "used": pl.Float64, "capacity": pl.Float64,
    "utilisation": pl.Float64, "load_hours_saved_per_unit": pl.Float64, "unit": pl.String,
})
UNMET_SCHEMA = pl.Schema({
    "market": pl.String, "commodity": pl.String, "demand_loads_per_day": pl.Float64,
    "unmet_loads_per_day": pl.Float64, "reason": pl.String,
})
FLOWS_SCHEMA = pl.Schema({
    "link": pl.String, "from": pl.String, "to": pl.String, "commodity": pl.String, "loads_per_day": pl.Float64,
})


class LeadTimeResult(BaseModel):
    """The outcome of :func:`routing.solve_lead_time`.

    ``objective`` is the minimised value (load-hours per day for ``lead_time``, USD per day for
    ``cost``) including the penalty on unmet loads; ``avg_lead_time_h`` is the load-hours of the
    served demand divided by the loads served. Frames are empty when there is no solution.
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
    lanes: pl.DataFrame
    bottlenecks: pl.DataFrame
    unmet: pl.DataFrame
    flows: pl.DataFrame
    crossings: pl.DataFrame  # queued crossings: volume, utilisation, wait, value of a lane / an hour
    detail: str = ""

    def summary(self) -> dict[str, Any]:
        """The scalar fields, JSON-ready."""
        return self.model_dump(exclude={"lanes", "bottlenecks", "unmet", "flows", "crossings"}, mode="json")

    def to_dict(self) -> dict[str, Any]:
        """Summary plus ``lanes``, ``bottlenecks`` and ``unmet`` as lists of row objects."""
        return {**self.summary(), "lanes": self.lanes.to_dicts(), "bottlenecks": self.bottlenecks.to_dicts(),
                "unmet": self.unmet.to_dicts(), "crossings": self.crossings.to_dicts()}
