"""Today's border, reproduced: the as-operated base case against the 2024 observations.

The observations are a network folder's ``observed.csv`` (made by the builder for the built-in
network, every row with its source): NB trucks per truck port of entry, loaded NB rail boxes per
rail crossing, the rail share of loaded units, inbound loaded TEU per US seaport, and the bands of
issue 12. :func:`calibrate` solves the network with ``objective = as_operated`` and compares:

* **crossings**: each truck POE's share of all NB loads (modelled freight + routed background)
  against its share of 2024 NB trucks; the distance is the total variation distance
  ``TVD = 1/2 sum |modelled - observed|``, and Laredo's two truck bridges (WTB + Colombia) together;
* **mode**: rail's share of the modelled freight that crosses the border (all loaded units, like
  the observed share of loaded units) and each rail crossing's rank by freight (Eagle Pass);
* **gateways**: the US seaport (or Mexican port) where each Asian load lands, against the ports'
  inbound loaded TEU; TVD again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from networks import InputError, Mode, Network, NodeKind, Problem
from routing.model import LeadTimeModel
from routing.options import Objective, SolveOptions
from routing.results.crossings import by_crossing
from routing.results.result import LeadTimeResult

OBSERVED_FILE = "observed.csv"
OBSERVED_COLUMNS = ("measure", "id", "value", "unit", "source")
COMPARISON_SCHEMA = pl.Schema({"group": pl.String, "id": pl.String, "modelled": pl.Float64,
                               "observed": pl.Float64, "difference": pl.Float64})
FIT_SCHEMA = pl.Schema({"measure": pl.String, "value": pl.Float64, "band_min": pl.Float64,
                        "band_max": pl.Float64, "met": pl.Boolean})
LAREDO_TRUCK = ("POE_WTB", "POE_COL_SOL")
EAGLE_PASS_RAIL = "RAIL_EGP"


@dataclass(frozen=True, slots=True)
class Calibration:
    """Modelled against observed (``comparison``) and the fit of each band (``fit``)."""

    comparison: pl.DataFrame
    fit: pl.DataFrame
    result: LeadTimeResult
    options: SolveOptions

    @property
    def all_met(self) -> bool:
        return bool(self.fit["met"].drop_nulls().all())


def read_observed(folder: Path) -> pl.DataFrame:
    """``observed.csv`` of a network folder; a missing file or column raises :class:`InputError` (exit 2)."""
    path = Path(folder) / OBSERVED_FILE
    if not path.is_file():
        raise InputError([Problem(str(path), "missing: calibrate needs the observations (the builder writes "
                                  "them for the built-in network)")])
    frame = pl.read_csv(path, infer_schema=False)
    missing = [c for c in OBSERVED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError([Problem(str(path), "missing column", field=c) for c in missing])
    values = frame["value"].cast(pl.Float64, strict=False)
    bad = frame.with_row_index("row", offset=2).filter(values.is_null() | ~values.is_finite())
    if bad.height:
        raise InputError([Problem(str(path), "value must be a number", row=int(r["row"]), item=r["id"],
                                  field="value", got=r["value"]) for r in bad.iter_rows(named=True)])
    return frame.with_columns(value=values)


def calibrate(network: Network, observed: pl.DataFrame, options: SolveOptions | None = None) -> Calibration:
    """Solve ``network`` as operated and compare it with ``observed`` (:func:`read_observed`).

    Example
    -------
    >>> from networks import read_network
    >>> from networks.network import builtin_path
    >>> fit = calibrate(read_network(), read_observed(builtin_path())).fit
    >>> "truck_tvd" in fit["measure"].to_list()
    True
    """
    options = SolveOptions.of(options, objective=Objective.AS_OPERATED)
    result = LeadTimeModel(network, options, warm_start=False).solve()
    if not result.status.has_solution:
        raise InputError([Problem(network.name, f"the as-operated solve ended {result.status.value}")])
    crossings = _crossing_loads(network, result)
    value = {(m, i): v for m, i, v in observed.select("measure", "id", "value").iter_rows()}
    trucks = _shares(crossings.filter(pl.col("mode") == "truck"), "all_loads",
                     {i: v for (m, i), v in value.items() if m == "nb_trucks_per_day"}, "crossing")
    rail = crossings.filter(pl.col("mode") == "rail").sort("freight", descending=True)
    rail_rows = _shares(rail, "freight", {i: v for (m, i), v in value.items() if m == "nb_loaded_rail_boxes_per_day"},
                        "rail_crossing")
    gateways = _shares(_gateway_loads(network, result), "loads",
                       {i: v for (m, i), v in value.items() if m == "inbound_loaded_teu"}, "gateway")
    freight_total = float(crossings["freight"].sum())
    rail_share = float(rail["freight"].sum()) / freight_total if freight_total > 0 else 0.0
    ranks = rail["crossing"].to_list()
    freight_trucks = _shares(crossings.filter(pl.col("mode") == "truck"), "freight",
                             {i: v for (m, i), v in value.items() if m == "nb_trucks_per_day"}, "crossing")
    measures = {
        "truck_tvd": _tvd(trucks),
        "truck_freight_tvd": _tvd(freight_trucks),  # modelled freight alone (no band: the background is pinned)
        "laredo_truck_share": float(trucks.filter(pl.col("id").is_in(LAREDO_TRUCK))["modelled"].sum()),
        "rail_share": rail_share,
        "eagle_pass_rail_rank": float(ranks.index(EAGLE_PASS_RAIL) + 1) if EAGLE_PASS_RAIL in ranks else np.inf,
        "gateway_tvd": _tvd(gateways),
    }
    mode = pl.DataFrame({"group": ["mode", "mode"], "id": ["rail_share_of_loaded_units", "rail_share_of_all_units"],
                         "modelled": [rail_share, _rail_share_all(crossings)],
                         "observed": [value.get(("rail_share_of_loaded_units", "border"), np.nan),
                                      value.get(("rail_share_of_all_units", "border"), np.nan)]},
                        schema_overrides={"modelled": pl.Float64, "observed": pl.Float64})
    comparison = pl.concat([trucks, rail_rows, mode.with_columns(difference=pl.col("modelled") - pl.col("observed")),
                            gateways], how="vertical_relaxed").select(COMPARISON_SCHEMA.names())
    fit = pl.DataFrame([{"measure": m, "value": v, "band_min": value.get(("band_min", m)),
                         "band_max": value.get(("band_max", m))} for m, v in measures.items()],
                       schema_overrides={"band_min": pl.Float64, "band_max": pl.Float64})
    fit = fit.with_columns(met=pl.when(pl.col("band_min").is_null() & pl.col("band_max").is_null()).then(None)
                           .otherwise((pl.col("band_min").is_null() | (pl.col("value") >= pl.col("band_min")))
                                      & (pl.col("band_max").is_null() | (pl.col("value") <= pl.col("band_max")))))
    return Calibration(comparison=comparison.cast(COMPARISON_SCHEMA), fit=fit.cast(FIT_SCHEMA), result=result,
                       options=options)


def _crossing_loads(network: Network, result: LeadTimeResult) -> pl.DataFrame:
    """Per queued crossing: its mode, modelled freight, and all loads (freight + background)."""
    table = by_crossing(result.crossings)
    rail = network.links.filter(pl.col("mode") == Mode.RAIL.value)["to"].unique()
    return table.select(
        "crossing", freight=pl.col("loads_per_day"),
        all_loads=pl.col("loads_per_day") + pl.col("background_loads_per_day"),
        mode=pl.when(pl.col("crossing").is_in(rail.implode())).then(pl.lit("rail")).otherwise(pl.lit("truck")))


def _gateway_loads(network: Network, result: LeadTimeResult) -> pl.DataFrame:
    """Asian freight loads per port where they land: the head of their ocean link."""
    origins = network.nodes.filter(pl.col("kind") == NodeKind.ORIGIN.value)["id"].implode()
    flows = result.flows.filter(pl.col("from").is_in(origins) & (pl.col("commodity") != "background"))
    return flows.group_by("to").agg(loads=pl.col("loads_per_day").sum()).rename({"to": "crossing"})


def _shares(frame: pl.DataFrame, column: str, observed: dict[str, float], group: str) -> pl.DataFrame:
    """Modelled and observed shares over the union of both sides' ids."""
    modelled = dict(zip(frame["crossing"].to_list(), frame[column].to_list(), strict=True))
    ids = sorted(set(modelled) | set(observed))
    m_total, o_total = sum(modelled.values()) or 1.0, sum(observed.values()) or 1.0
    rows = [{"group": group, "id": i, "modelled": modelled.get(i, 0.0) / m_total,
             "observed": observed.get(i, 0.0) / o_total} for i in ids]
    out = pl.DataFrame(rows, schema={"group": pl.String, "id": pl.String, "modelled": pl.Float64,
                                     "observed": pl.Float64})
    return out.with_columns(difference=pl.col("modelled") - pl.col("observed")).sort("observed", descending=True)


def _tvd(frame: pl.DataFrame) -> float:
    """Total variation distance of two share vectors: half the sum of absolute differences."""
    return 0.5 * float(frame["difference"].abs().sum())


def _rail_share_all(crossings: pl.DataFrame) -> float:
    total = float(crossings["all_loads"].sum())
    return float(crossings.filter(pl.col("mode") == "rail")["all_loads"].sum()) / total if total > 0 else 0.0
