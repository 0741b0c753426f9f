"""Asia vs Mexico: the same demand served from Asian origins or from Mexican plants, side by side.

:func:`compare_sourcing` first solves the whole network (every market, every supplier): that is the
traffic each market shares the links, crossings and queues with. Then, for each market with demand, it
solves two scenarios of one :class:`~routing.model.LeadTimeModel`: that market's demand (of the chosen
commodities) with supply restricted to the Asian origins (every other supply row set to 0), then to the
Mexican plants, while the other markets' flows of the network solve stay in place as background: they
use up link capacity and node throughput, and queue at the crossings (``background_loads_per_day``),
so the waits are those of the network's real utilisation. The lanes of each solve are sampled by Monte
Carlo (:func:`routing.analysis.leadtime.sample_lead_times`, lanes of one solve pooled by their loads) and
turned into what a planner compares, per load and per day of demand ``d`` (loads/day served):

* lead time p50 / p90 / p95 / p99, mean and standard deviation ``sigma_LT`` in days; the route,
  seaports and crossing of the main lane (the one carrying most loads);
* pipeline inventory: ``pipeline_loads = d x mean days``; ``pipeline_value_usd = value x pipeline_loads``;
* safety stock: the service-level quantile of the lead-time demand minus its mean, from a sequence
  simulation of daily shipments through persistent regimes (:mod:`routing.analysis.inventory`), with the
  chance of a stock-out over the horizon (``stockout_prob``) and the fill rate it gives;
  ``safety_stock_loads = d x safety_stock_days`` (lead-time variability only: demand is known);
* the lanes of a row with their shares (``lane_mix``): a row of several lanes says ``mix`` in ``origin``,
  ``route`` and ``crossing`` (where they differ), and ``tail_legs`` names the leg types that drive its p95;
* landed cost per load = freight (the lanes' link costs) + duty (``duty_pct`` of value for the
  origin's country in ``tariffs.csv``, 0 without a row) + carrying
  ``value x annual_carrying_rate x (mean days + safety_stock_days) / 365``;
* ``asia_minus_mexico_*``: Asia's value minus Mexico's, on both rows of a market and commodity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import polars as pl

from networks import InputError, Network, NodeKind, Problem
from networks.schema import BACKGROUND_COMMODITY
from routing.analysis.inventory import DEFAULT_HORIZON_DAYS, DEFAULT_REPLICATIONS, simulate_stock
from routing.analysis.leadtime import DEFAULT_SAMPLES, sample_lead_times
from routing.analysis.regimes import check_regime_states, read_regimes
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
    "stockout_prob": pl.Float64, "fill_rate": pl.Float64, "safety_stock_z_sigma_days": pl.Float64,
    "tail_legs": pl.String,
    "typical_days": pl.Float64, "lead_time_bound_days": pl.Float64, "gain_pct": pl.Float64,
    "lane_mix": pl.List(pl.Struct({"origin": pl.String, "route": pl.String, "crossing": pl.String,
                                   "share": pl.Float64, "duty_pct": pl.Float64})),
})
MIX = "mix"  # origin / route / crossing of a row whose lanes differ in it


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
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    replications: int = DEFAULT_REPLICATIONS,
    background: bool = True,
    regime_states: Mapping[str, str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
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
        calibrated) or ``lead_time`` (the fastest routing, a bound). Either way the rows carry the
        bound beside the routing asked for: ``typical_days`` (the load-weighted lead time of its lanes
        at typical times), ``lead_time_bound_days`` (the same of the fastest routing of the same
        question, the other markets held as routed) and ``gain_pct`` (the share the bound saves; 0 under
        ``lead_time``; the bound holds for a market's commodities together, so one of several may show
        a small negative gain).
    horizon_days, replications
        The sequence simulation of the stock point: days evaluated and replications.
    background
        Hold the other markets' modelled flows of the whole-network solve in place (True), or leave
        only today's non-modelled traffic (the routed background commodity) beside the market
        (False, the behaviour before Dec-2026).
    regime_states
        Shock domains held in one state in every sampled week (domain -> ``normal``, ``peak`` or
        ``disrupted``, e.g. ``{"texas_border": "disrupted"}``: the Texas inspection regime on); the
        other domains keep their chains (:func:`routing.analysis.regimes.force_states`).
    on_progress
        Called as ``on_progress(done, total)`` after each (sourcing, market) solve.

    Returns
    -------
    pl.DataFrame
        One row per market, commodity and sourcing (``asia``, ``mexico``) with the columns of
        :data:`COMPARE_SCHEMA`; lead-time and money columns are null when nothing is served.

    Raises
    ------
    InputError
        Unknown market, commodity or supplier ids, no demand to compare, options out of range, or
        an unknown shock domain or state in ``regime_states``.

    Example
    -------
    >>> from networks import read_network
    >>> rows = compare_sourcing(read_network(), markets=["US_DFW"], commodities=["auto_parts"], samples=1000)
    >>> rows["sourcing"].to_list(), bool(rows["asia_minus_mexico_p95_days"][0] > 0)
    (['asia', 'mexico'], True)
    """
    _check_options(network, service_level, annual_carrying_rate, samples)
    if regime_states:  # fail before the solves
        check_regime_states(read_regimes(network), regime_states)
    choice = choose_sourcing(network, markets=markets, commodities=commodities, asia=asia, mexico=mexico)
    passes = 1 if Objective(objective) == Objective.LEAD_TIME else 2  # the lead-time optimum: the bound

    def progress(offset: int) -> Callable[[int, int], None] | None:
        return None if on_progress is None else lambda done, total: on_progress(offset * total + done, passes * total)

    lanes, outcomes = solve_sourcing(network, choice, objective=objective, background=background,
                                     on_progress=progress(0))
    fastest = lanes if passes == 1 else solve_sourcing(network, choice, objective=Objective.LEAD_TIME,
                                                       background=background, held=objective,
                                                       on_progress=progress(1))[0]
    keys = ["sourcing", "market", "commodity"]
    spread = sample_lead_times(network, lanes, samples=samples, seed=seed, by=keys, cdf_points=cdf_points,
                               regime_states=regime_states)
    stock = _stock(network, lanes, keys, service_level=service_level, horizon_days=horizon_days,
                   replications=replications, seed=seed, regime_states=regime_states)
    rows = outcomes.join(_main_lanes(network, lanes), on=keys, how="left").join(
        spread.drop("loads_per_day", "lanes"), on=keys, how="left").join(stock, on=keys, how="left")
    rows = _money(network, rows, lanes, z=NormalDist().inv_cdf(service_level), rate=annual_carrying_rate)
    rows = rows.with_columns(tail_legs=_tail_legs()).join(_bound(lanes, fastest, keys), on=keys, how="left")
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
                   objective: Objective = Objective.AS_OPERATED,
                   background: bool = True, held: Objective | None = None,
                   on_progress: Callable[[int, int], None] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Solve every (sourcing, market) scenario on one model; return the lanes and, per market and
    commodity, the outcome (status, served and unmet loads).

    A scenario is the network with only that market's chosen demand (its commodities share the
    crossings and links as they do in reality) and supply only at the side's suppliers; with
    ``background``, the other markets' flows of the whole-network solve stay in place
    (:func:`hold_other_markets`). It keeps the network's structure and changes numbers only, so
    the model keeps its LP and warm-starts. ``held``: the objective of the whole-network solve whose
    flows are held (default ``objective``): the lead-time bound of an as-operated comparison holds
    the other markets as operated, so that only the market's own routing differs.
    """
    model = LeadTimeModel(network, objective=objective)
    own = model.solve(network).lanes  # also the start of every warm re-solve
    if held is not None and Objective(held) != Objective(objective):
        own = LeadTimeModel(network, objective=held, warm_start=False).solve().lanes
    base = own if background else None
    lanes, outcomes = [], []
    by_market: dict[str, list[tuple[str, float]]] = {}
    for market, commodity, loads in choice.pairs:
        by_market.setdefault(market, []).append((commodity, loads))
    held = {m: hold_other_markets(network, base, m) if base is not None else {} for m in by_market}
    total, done = len(SOURCINGS) * len(by_market), 0
    for sourcing in SOURCINGS:
        today = pl.col("commodity") == BACKGROUND_COMMODITY  # today's other traffic keeps crossing
        allowed = pl.col("node").is_in(list(choice.suppliers[sourcing])) | today
        supply = network.supply.with_columns(
            capacity_loads_per_day=pl.when(allowed).then(pl.col("capacity_loads_per_day")).otherwise(0.0))
        for market, wanted in by_market.items():
            only = (pl.col("node") == market) & pl.col("commodity").is_in([c for c, _ in wanted]) | today
            demand = network.demand.with_columns(loads_per_day=pl.when(only).then(pl.col("loads_per_day"))
                                                 .otherwise(0.0))
            result = model.solve(network.replace(supply=supply, demand=demand, **held[market]))
            done += 1
            if on_progress is not None:
                on_progress(done, total)
            lanes.append(result.lanes.filter(pl.col("commodity") != BACKGROUND_COMMODITY).with_columns(
                sourcing=pl.lit(sourcing)))
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


def hold_other_markets(network: Network, base: pl.DataFrame, market: str) -> dict[str, pl.DataFrame]:
    """Tables with the modelled flows of every market but ``market`` (lanes of a whole-network
    solve; the background commodity is routed in each scenario itself) held
    in place: link capacity and node throughput less what they use, and their loads through each
    crossing added to its ``background_loads_per_day`` (split over its lane types like the base
    solve's volume, i.e. like the lane capacities the solve filled)."""
    other = base.filter((pl.col("market") != market) & (pl.col("commodity") != BACKGROUND_COMMODITY))
    on_links = (other.select(link=pl.col("links").str.split(">"), loads="loads_per_day").explode("link")
                .group_by("link").agg(pl.col("loads").sum()))
    on_nodes = (other.select(node=pl.col("route").str.split(">"), loads="loads_per_day").explode("node")
                .group_by("node").agg(pl.col("loads").sum()))
    links = network.links.join(on_links.rename({"link": "id", "loads": "_held"}), on="id", how="left").with_columns(
        capacity_loads_per_day=(pl.col("capacity_loads_per_day") - pl.col("_held").fill_null(0.0)).clip(lower_bound=0.0)
    ).drop("_held")
    nodes = network.nodes.join(on_nodes.rename({"node": "id", "loads": "_held"}), on="id", how="left").with_columns(
        throughput_loads_per_day=(pl.col("throughput_loads_per_day") - pl.col("_held").fill_null(0.0))
        .clip(lower_bound=0.0)).drop("_held")
    crossings = network.crossings
    if crossings.height:
        capacity = (pl.col("lanes") * pl.col("loads_per_lane_hour") * pl.col("open_h_per_day"))
        crossings = crossings.join(on_nodes.rename({"loads": "_held"}), on="node", how="left").with_columns(
            background_loads_per_day=pl.col("background_loads_per_day") + pl.col("_held").fill_null(0.0)
            * capacity / capacity.sum().over("node")).drop("_held")
    return {"links": links.select(network.links.columns), "nodes": nodes.select(network.nodes.columns),
            "crossings": crossings.select(network.crossings.columns)}


def _stock(network: Network, lanes: pl.DataFrame, keys: list[str], *, service_level: float, horizon_days: int,
           replications: int, seed: int, regime_states: Mapping[str, str] | None = None) -> pl.DataFrame:
    """Per row: safety stock days from the sequence simulation, stock-out chance, fill rate and the
    lane mix (origin, route, crossing, share of the loads, duty)."""
    served = lanes.filter(pl.col("loads_per_day") > 0)
    rows = served.select(keys).unique(maintain_order=True).with_row_index("_row")
    served = served.join(rows, on=keys, how="left", maintain_order="left").with_columns(
        share=pl.col("loads_per_day") / pl.col("loads_per_day").sum().over("_row"))
    empty = pl.DataFrame(schema={**{k: pl.String for k in keys}, "safety_stock_days": pl.Float64,
                                 "stockout_prob": pl.Float64, "fill_rate": pl.Float64,
                                 "lane_mix": COMPARE_SCHEMA["lane_mix"]})
    if served.height == 0:
        return empty
    out = simulate_stock(network, served, served["_row"].to_numpy().astype(np.int64), served["share"].to_numpy(),
                         service_level=service_level, horizon_days=horizon_days, replications=replications, seed=seed,
                         regime_states=regime_states)
    country = dict(network.nodes.select("id", "country").iter_rows())
    duty = {(c, k): d for c, k, d in network.tariffs.select("country", "commodity", "duty_pct").iter_rows()}
    mix = served.with_columns(duty_pct=pl.struct("origin", "commodity").map_elements(
        lambda r: duty.get((country.get(r["origin"]), r["commodity"]), 0.0), return_dtype=pl.Float64)).group_by(
        "_row", maintain_order=True).agg(lane_mix=pl.struct(
            "origin", "route", crossing=pl.when(pl.col("crossing") != "").then(pl.col("crossing")), share="share",
            duty_pct="duty_pct").sort_by("share", descending=True))
    return rows.join(mix, on="_row").with_columns(
        safety_stock_days=pl.Series(out.safety_stock_days), stockout_prob=pl.Series(out.stockout_prob),
        fill_rate=pl.Series(out.fill_rate)).drop("_row")


def _tail_legs() -> pl.Expr:
    """The leg types whose share of the p95 most exceeds their mean (days), largest first, e.g.
    ``"crossing_wait +1.4 d, other_dwell +0.6 d"``."""
    names = [leg.removesuffix("_h") for leg in WATERFALL]
    excess = pl.concat_list([(pl.col(f"{n}_p95_days") - pl.col(f"{n}_mean_days")) for n in names])
    labelled = pl.concat_list([pl.format("{}|{}", pl.lit(n), (pl.col(f"{n}_p95_days") - pl.col(f"{n}_mean_days"))
                                         .round(1)) for n in names])
    order = excess.list.eval(pl.element().arg_sort(descending=True)).list.head(3)
    picked = labelled.list.gather(order)
    return picked.list.eval(pl.element().filter(pl.element().str.split("|").list.last().cast(pl.Float64) >= 0.05)
                            .str.replace(r"\|", " +") + pl.lit(" d")).list.join(", ")


def _main_lanes(network: Network, lanes: pl.DataFrame) -> pl.DataFrame:
    """Per scenario: the origin, route, seaports and crossing of the lane carrying most loads."""
    seaports = network.nodes.filter(pl.col("kind") == NodeKind.SEAPORT)["id"].implode()
    main = lanes.sort(["loads_per_day", "lead_time_h"], descending=[True, False]).group_by(
        "sourcing", "market", "commodity", maintain_order=True).first()
    ports = pl.col("route").str.split(">").list.eval(pl.element().filter(pl.element().is_in(seaports)))
    country = dict(network.nodes.select("id", "country").iter_rows())
    keys = ["sourcing", "market", "commodity"]
    distinct = lanes.filter(pl.col("loads_per_day") > 0).group_by(keys).agg(
        _origins=pl.col("origin").n_unique(), _routes=pl.col("route").n_unique(),
        _crossings=pl.col("crossing").n_unique(), _ports=ports.list.join(",").n_unique())
    main = main.join(distinct, on=keys, how="left")
    mixed = lambda column: pl.col(column) > 1
    return main.select(
        *keys,
        origin=pl.when(mixed("_origins")).then(pl.lit(MIX)).otherwise("origin"),
        route=pl.when(mixed("_routes")).then(pl.lit(MIX)).otherwise("route"),
        origin_country=pl.when(mixed("_origins")).then(pl.lit(None)).otherwise(
            pl.col("origin").replace_strict(country, default=None)),
        port=pl.when(mixed("_ports")).then(pl.lit(MIX)).when(ports.list.len() > 0).then(ports.list.join(",")),
        crossing=pl.when(mixed("_crossings")).then(pl.lit(MIX)).when(pl.col("crossing") != "").then(pl.col("crossing")),
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
        safety_stock_z_sigma_days=z * pl.col("std_days"),
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


def _bound(lanes: pl.DataFrame, fastest: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per key, the typical lead time of the routing asked for and of the fastest routing of the same
    question (the lead-time optimum, a bound), load-weighted over their lanes, and the share of the
    first the bound saves (``gain_pct``)."""
    def typical(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        if frame.height == 0:
            return pl.DataFrame(schema={**{k: pl.String for k in keys}, name: pl.Float64})
        weight = pl.col("loads_per_day")
        return frame.group_by(keys).agg(((weight * pl.col("lead_time_h")).sum() / weight.sum() / 24).alias(name))

    both = typical(lanes, "typical_days").join(typical(fastest, "lead_time_bound_days"), on=keys, how="full",
                                                coalesce=True)
    return both.with_columns(gain_pct=pl.when(pl.col("typical_days") > 0).then(
        100 * (1 - pl.col("lead_time_bound_days") / pl.col("typical_days"))))


def _differences(rows: pl.DataFrame) -> pl.DataFrame:
    """``asia_minus_mexico_<column>`` for the headline columns, on both rows of a pair."""
    side = {s: rows.filter(pl.col("sourcing") == s).select("market", "commodity", *DIFFERENCES) for s in SOURCINGS}
    both = side["asia"].join(side["mexico"], on=["market", "commodity"], how="full", coalesce=True,
                             suffix="_mexico")
    diff = both.select("market", "commodity", *[
        (pl.col(c) - pl.col(f"{c}_mexico")).alias(f"asia_minus_mexico_{c}") for c in DIFFERENCES])
    return rows.join(diff, on=["market", "commodity"], how="left")
