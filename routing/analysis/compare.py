"""Asia vs Mexico: the same demand served from Asian origins or from Mexican plants, side by side.

For each market with demand, :func:`compare_sourcing` solves two scenarios of one
:class:`~routing.model.LeadTimeModel`: the network with only that market's demand (of the chosen
commodities), and supply restricted to the Asian origins (every other supply row set to 0), then to
the Mexican plants. The lanes of each solve are sampled by Monte Carlo
(:func:`routing.analysis.leadtime.sample_lead_times`, lanes of one solve pooled by their loads) and turned
into what a planner compares, per load and per day of demand ``d`` (loads/day served):

* lead time p50 / p90 / p95 / p99, mean and standard deviation ``sigma_LT`` in days; the route,
  seaports and crossing of the main lane (the one carrying most loads);
* pipeline inventory: ``pipeline_loads = d x mean days``; ``pipeline_value_usd = value x pipeline_loads``;
* safety stock: ``safety_stock_days = z x sigma_LT`` with ``z = Phi^-1(service_level)``;
  ``safety_stock_loads = d x safety_stock_days`` (lead-time variability only: demand is known);
* landed cost per load = freight (the lanes' link costs) + duty (``duty_pct`` of value for the
  origin's country in ``tariffs.csv``, 0 without a row) + carrying
  ``value x annual_carrying_rate x (mean days + safety_stock_days) / 365``;
* ``asia_minus_mexico_*``: Asia's value minus Mexico's, on both rows of a market and commodity.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import polars as pl

from networks import InputError, Network, NodeKind, Problem
from networks.schema import BACKGROUND_COMMODITY
from routing.analysis.leadtime import DEFAULT_SAMPLES, sample_lead_times
from routing.model import LeadTimeModel
from routing.options import Objective
from routing.results.schemas import WATERFALL

SOURCINGS = ("asia", "mexico")
DEFAULT_CARRYING_RATE = 0.25  # per year: capital, storage, insurance, obsolescence (textbook 20-30 %)
DAYS_PER_YEAR = 365.0
DIFFERENCES = ("p50_days", "p95_days", "p99_days", "mean_days", "pipeline_value_usd", "safety_stock_days",
               "landed_cost_usd_per_load")

COMPARE_SCHEMA = pl.Schema({
    "market": pl.String, "market_name": pl.String, "commodity": pl.String, "sourcing": pl.String,
    "origin": pl.String, "origin_country": pl.String, "route": pl.String, "port": pl.String, "crossing": pl.String,
    "lanes": pl.UInt32, "status": pl.String, "demand_loads_per_day": pl.Float64, "served_loads_per_day": pl.Float64,
    "unmet_loads_per_day": pl.Float64, "unmet_reason": pl.String,
    **{c: pl.Float64 for c in ("p50_days", "p90_days", "p95_days", "p99_days", "mean_days", "std_days")},
    **{c: pl.Float64 for c in ("value_usd_per_load", "pipeline_loads", "pipeline_value_usd", "safety_stock_days",
                               "safety_stock_loads", "safety_stock_value_usd", "freight_usd_per_load", "duty_pct",
                               "duty_usd_per_load", "carrying_usd_per_load", "landed_cost_usd_per_load")},
    **{f"{leg.removesuffix('_h')}_{stat}_days": pl.Float64 for leg in WATERFALL for stat in ("mean", "p95")},
    **{f"asia_minus_mexico_{c}": pl.Float64 for c in DIFFERENCES},
})


@dataclass(frozen=True, slots=True)
class SourcingChoice:
    """Validated ids: the (market, commodity, loads/day) pairs and the suppliers of each side."""

    pairs: tuple[tuple[str, str, float], ...]
    suppliers: dict[str, tuple[str, ...]]


def compare_sourcing(
    network: Network,
    *,
    markets: list[str] | None = None,
    commodities: list[str] | None = None,
    asia: list[str] | None = None,
    mexico: list[str] | None = None,
    service_level: float = 0.95,
    annual_carrying_rate: float = DEFAULT_CARRYING_RATE,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    cdf_points: int = 0,
    objective: Objective = Objective.AS_OPERATED,
) -> pl.DataFrame:
    """Lead time, inventory and landed cost of each market's demand sourced from Asia and from Mexico.

    Parameters
    ----------
    network
        A validated network with origins (Asia) and plants (Mexico).
    markets, commodities
        Market node ids and commodity ids; default: every pair with demand.
    asia, mexico
        Supplier ids of each side: origin nodes, plant nodes; default: every origin, every plant
        in country ``MX``.
    service_level
        Probability of not running out during a lead time, in (0, 1): sets ``z``.
    annual_carrying_rate
        Inventory carrying cost per year as a share of value (>= 0).
    samples, seed
        Monte Carlo samples per row and the seed; same inputs and seed give the same numbers.
    cdf_points
        If > 0, add ``cdf_days``: lead-time quantiles at that many evenly spaced levels (for plots).
    objective
        How each side's loads are routed: ``as_operated`` (the default: as shippers route today,
        calibrated) or ``lead_time`` (the fastest routing, a bound).

    Returns
    -------
    pl.DataFrame
        One row per market, commodity and sourcing (``asia``, ``mexico``) with the columns of
        :data:`COMPARE_SCHEMA`; lead-time and money columns are null when nothing is served.

    Raises
    ------
    InputError
        Unknown market, commodity or supplier ids, no demand to compare, or options out of range.

    Example
    -------
    >>> from networks import read_network
    >>> rows = compare_sourcing(read_network(), markets=["US_DFW"], commodities=["auto_parts"], samples=1000)
    >>> rows["sourcing"].to_list(), bool(rows["asia_minus_mexico_p95_days"][0] > 0)
    (['asia', 'mexico'], True)
    """
    _check_options(network, service_level, annual_carrying_rate, samples)
    choice = choose_sourcing(network, markets=markets, commodities=commodities, asia=asia, mexico=mexico)
    lanes, outcomes = solve_sourcing(network, choice, objective=objective)
    keys = ["sourcing", "market", "commodity"]
    spread = sample_lead_times(network, lanes, samples=samples, seed=seed, by=keys, cdf_points=cdf_points)
    rows = outcomes.join(_main_lanes(network, lanes), on=keys, how="left").join(
        spread.drop("loads_per_day", "lanes"), on=keys, how="left")
    rows = _money(network, rows, lanes, z=NormalDist().inv_cdf(service_level), rate=annual_carrying_rate)
    rows = _differences(rows)
    extra = ["cdf_days"] if cdf_points else []
    if cdf_points:
        rows = rows.with_columns(cdf_days=pl.col("cdf_h").list.eval(pl.element() / 24))
    return rows.select(*COMPARE_SCHEMA.names(), *extra).cast(COMPARE_SCHEMA).sort(
        "market", "commodity", "sourcing")


def _check_options(network: Network, service_level: float, rate: float, samples: int) -> None:
    problems = []
    if not 0 < service_level < 1:
        problems.append(Problem(network.name, "must be between 0 and 1 (exclusive)", field="service_level",
                                got=service_level))
    if not rate >= 0:
        problems.append(Problem(network.name, "must be >= 0", field="annual_carrying_rate", got=rate))
    if samples < 2:
        problems.append(Problem(network.name, "must be >= 2", field="samples", got=samples))
    if problems:
        raise InputError(problems)


def choose_sourcing(network: Network, *, markets: list[str] | None = None, commodities: list[str] | None = None,
                    asia: list[str] | None = None, mexico: list[str] | None = None) -> SourcingChoice:
    """Check the ids against the network and list the market-commodity pairs with demand.

    Raises
    ------
    InputError
        Every unknown id (naming the field and the known ids), or nothing to compare.
    """
    nodes = network.nodes
    of_kind = {k: nodes.filter(pl.col("kind") == k)["id"].to_list() for k in (NodeKind.MARKET, NodeKind.ORIGIN,
                                                                             NodeKind.PLANT)}
    mexican = nodes.filter((pl.col("kind") == NodeKind.PLANT) & (pl.col("country") == "MX"))["id"].to_list()
    problems: list[Problem] = []
    chosen = {
        "market": _pick(network, markets, of_kind[NodeKind.MARKET], "market", "a market node", problems),
        "commodity": _pick(network, commodities, network.commodities["id"].to_list(), "commodity", "a commodity",
                           problems),
        "asia": _pick(network, asia, of_kind[NodeKind.ORIGIN], "asia", "an origin node", problems),
        "mexico": _pick(network, mexico, of_kind[NodeKind.PLANT], "mexico", "a plant node", problems,
                        default=mexican),
    }
    for side, what in (("asia", "origin nodes"), ("mexico", "plants in country MX")):
        if not chosen[side] and not problems:
            problems.append(Problem(network.name, f"the network has no {what} to source from", field=side))
    demand = network.demand.filter(pl.col("node").is_in(chosen["market"]) & pl.col("commodity").is_in(
        chosen["commodity"]) & (pl.col("loads_per_day") > 0)).sort("node", "commodity")
    if not problems and demand.height == 0:
        problems.append(Problem(network.name, "no demand for the chosen markets and commodities", field="market",
                                got=",".join(chosen["market"])))
    if problems:
        raise InputError(problems)
    return SourcingChoice(pairs=tuple(demand.select("node", "commodity", "loads_per_day").iter_rows()),
                          suppliers={"asia": tuple(chosen["asia"]), "mexico": tuple(chosen["mexico"])})


def _pick(network: Network, given: list[str] | None, known: list[str], field: str, what: str,
          problems: list[Problem], *, default: list[str] | None = None) -> list[str]:
    if not given:
        return sorted(known if default is None else default)
    listed = ", ".join(sorted(known)) or "none"
    for bad in sorted(set(given) - set(known)):
        problems.append(Problem(network.name, f"not {what} of the network (known: {listed})", field=field, got=bad))
    return sorted(set(given) & set(known))


def solve_sourcing(network: Network, choice: SourcingChoice, *,
                   objective: Objective = Objective.AS_OPERATED) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Solve every (sourcing, market) scenario on one model; return the lanes and, per market and
    commodity, the outcome (status, served and unmet loads).

    A scenario is the network with only that market's chosen demand (its commodities share the
    crossings and links as they do in reality) and supply only at the side's suppliers. It keeps
    the network's structure and changes numbers only, so the model keeps its LP and warm-starts.
    """
    model = LeadTimeModel(network, objective=objective)
    lanes, outcomes = [], []
    by_market: dict[str, list[tuple[str, float]]] = {}
    for market, commodity, loads in choice.pairs:
        by_market.setdefault(market, []).append((commodity, loads))
    for sourcing in SOURCINGS:
        background = pl.col("commodity") == BACKGROUND_COMMODITY  # today's other traffic keeps crossing
        allowed = pl.col("node").is_in(list(choice.suppliers[sourcing])) | background
        supply = network.supply.with_columns(
            capacity_loads_per_day=pl.when(allowed).then(pl.col("capacity_loads_per_day")).otherwise(0.0))
        for market, wanted in by_market.items():
            only = (pl.col("node") == market) & pl.col("commodity").is_in([c for c, _ in wanted]) | background
            demand = network.demand.with_columns(loads_per_day=pl.when(only).then(pl.col("loads_per_day"))
                                                 .otherwise(0.0))
            result = model.solve(network.replace(supply=supply, demand=demand))  # checks the changed columns only
            lanes.append(result.lanes.with_columns(sourcing=pl.lit(sourcing)))
            unmet = {(r["commodity"]): r for r in result.unmet.filter(pl.col("market") == market).iter_rows(named=True)}
            for commodity, loads in wanted:
                gap = unmet.get(commodity)
                short = gap["unmet_loads_per_day"] if gap else 0.0
                short = short if result.status.has_solution else loads
                outcomes.append({"sourcing": sourcing, "market": market, "commodity": commodity,
                                 "status": result.status.value, "demand_loads_per_day": loads,
                                 "served_loads_per_day": loads - short, "unmet_loads_per_day": short,
                                 "unmet_reason": gap["reason"] if gap else None})
    return pl.concat(lanes, how="diagonal_relaxed"), pl.DataFrame(outcomes)


def _main_lanes(network: Network, lanes: pl.DataFrame) -> pl.DataFrame:
    """Per scenario: the origin, route, seaports and crossing of the lane carrying most loads."""
    seaports = network.nodes.filter(pl.col("kind") == NodeKind.SEAPORT)["id"].implode()
    main = lanes.sort(["loads_per_day", "lead_time_h"], descending=[True, False]).group_by(
        "sourcing", "market", "commodity", maintain_order=True).first()
    ports = pl.col("route").str.split(">").list.eval(pl.element().filter(pl.element().is_in(seaports)))
    country = dict(network.nodes.select("id", "country").iter_rows())
    return main.select(
        "sourcing", "market", "commodity", "origin", "route",
        origin_country=pl.col("origin").replace_strict(country, default=None),
        port=pl.when(ports.list.len() > 0).then(ports.list.join(",")),
        crossing=pl.when(pl.col("crossing") != "").then(pl.col("crossing")),
    )


def _money(network: Network, rows: pl.DataFrame, lanes: pl.DataFrame, *, z: float, rate: float) -> pl.DataFrame:
    """Days, inventory and landed cost from the sampled hours and the lanes' freight and duty."""
    country = network.nodes.select(origin="id", country="country")
    duty = network.tariffs.select("country", "commodity", "duty_pct")
    priced = lanes.join(country, on="origin", how="left").join(duty, on=["country", "commodity"], how="left")
    weight = pl.col("loads_per_day") / pl.col("loads_per_day").sum()
    per_row = priced.group_by("sourcing", "market", "commodity").agg(
        freight_usd_per_load=(weight * pl.col("cost_usd_per_load")).sum(),
        duty_pct=(weight * pl.col("duty_pct").fill_null(0.0)).sum(),
        lanes=pl.len())
    value = network.commodities.select(commodity="id", value_usd_per_load="value_usd_per_load")
    hours = [c for c in rows.columns if c.endswith("_h") and c not in ("cdf_h",)]
    rows = rows.join(per_row, on=["sourcing", "market", "commodity"], how="left").join(value, on="commodity")
    served = pl.when(pl.col("served_loads_per_day") > 0).then(pl.col("served_loads_per_day"))
    names = dict(network.nodes.select("id", "name").iter_rows())
    rows = rows.with_columns(
        [(pl.col(h) / 24).alias(h.removesuffix("_h") + "_days") for h in hours],
        market_name=pl.col("market").replace_strict(names, default=None),
    ).with_columns(
        pipeline_loads=served * pl.col("mean_days"),
        safety_stock_days=z * pl.col("std_days"),
        duty_usd_per_load=pl.col("duty_pct") / 100 * pl.col("value_usd_per_load"),
    ).with_columns(
        pipeline_value_usd=pl.col("pipeline_loads") * pl.col("value_usd_per_load"),
        safety_stock_loads=served * pl.col("safety_stock_days"),
        carrying_usd_per_load=pl.col("value_usd_per_load") * rate
        * (pl.col("mean_days") + pl.col("safety_stock_days")) / DAYS_PER_YEAR,
    ).with_columns(
        safety_stock_value_usd=pl.col("safety_stock_loads") * pl.col("value_usd_per_load"),
        landed_cost_usd_per_load=pl.col("freight_usd_per_load") + pl.col("duty_usd_per_load")
        + pl.col("carrying_usd_per_load"),
    )
    return rows


def _differences(rows: pl.DataFrame) -> pl.DataFrame:
    """``asia_minus_mexico_<column>`` for the headline columns, on both rows of a pair."""
    side = {s: rows.filter(pl.col("sourcing") == s).select("market", "commodity", *DIFFERENCES) for s in SOURCINGS}
    both = side["asia"].join(side["mexico"], on=["market", "commodity"], how="full", coalesce=True,
                             suffix="_mexico")
    diff = both.select("market", "commodity", *[
        (pl.col(c) - pl.col(f"{c}_mexico")).alias(f"asia_minus_mexico_{c}") for c in DIFFERENCES])
    return rows.join(diff, on=["market", "commodity"], how="left")
