"""The fixed column schemas of the result frames, and the waterfall's leg types."""

from __future__ import annotations

import polars as pl

WATERFALL = ("ocean_h", "port_dwell_h", "rail_h", "truck_h", "drayage_h", "crossing_h", "crossing_wait_h",
             "other_dwell_h")
WATERFALL_LABELS = {"ocean_h": "ocean", "port_dwell_h": "port", "rail_h": "rail", "truck_h": "truck",
                    "drayage_h": "drayage", "crossing_h": "crossing", "crossing_wait_h": "wait",
                    "other_dwell_h": "dwell"}
"""A short label per waterfall leg, for tables and charts."""

LANES_SCHEMA = pl.Schema({
    "origin": pl.String, "market": pl.String, "commodity": pl.String, "loads_per_day": pl.Float64,
    "lead_time_h": pl.Float64, "route": pl.String, "links": pl.String, "crossing": pl.String,
    **{leg: pl.Float64 for leg in WATERFALL},
    "cost_usd_per_load": pl.Float64, "distance_km": pl.Float64,
})
BOTTLENECKS_SCHEMA = pl.Schema({
    "kind": pl.String, "id": pl.String, "used": pl.Float64, "capacity": pl.Float64,
    "utilisation": pl.Float64, "value_per_unit": pl.Float64, "value_unit": pl.String,
    "loads_served_per_unit": pl.Float64, "load_hours_saved_per_unit": pl.Float64, "unit": pl.String,
})
UNMET_SCHEMA = pl.Schema({
    "market": pl.String, "commodity": pl.String, "demand_loads_per_day": pl.Float64,
    "unmet_loads_per_day": pl.Float64, "reason": pl.String,
})
FLOWS_SCHEMA = pl.Schema({
    "link": pl.String, "from": pl.String, "to": pl.String, "commodity": pl.String, "loads_per_day": pl.Float64,
})
