"""Lead-time distributions of lanes by Monte Carlo, vectorised over all lanes and samples at once.

Every leg of a lane (the dwell of each node on it, origin included, and the transit of each link)
takes

    T = X + B * D,    X ~ lognormal with median = typical and 95th percentile = p95,
                      B ~ Bernoulli(delay_prob),   D = delay_h,

where typical is ``dwell_h`` / ``transit_h`` and p95 is ``dwell_p95_h`` / ``transit_p95_h``. The
lognormal has ``mu = ln(typical)`` and ``sigma = ln(p95 / typical) / z95`` (``z95`` = 1.645, the
standard normal 95th percentile); X is fixed at the typical value when no p95 is given or it equals
the typical value. Legs are independent, and a lane's lead time is the sum of its legs. Lanes
pooled with ``by`` form a mixture: each sample picks one of the group's lanes with probability
proportional to its ``loads_per_day``.

Why this family: the typical values in the data are medians ("usually 2-3 days"), a p95 is what
the sources quote next to them, and two numbers fix a lognormal exactly; it is positive and
right-skewed like real dwell and transit times. Rare, discrete extra time (a late vessel, a
customs exam) is not a tail of that curve but an event with its own probability, hence the
Bernoulli term.

The waterfall splits each lane's lead time by leg type (:data:`routing.results.schemas.WATERFALL`): the
mean per type (these add up to the mean), and the p95 contribution per type: the mean time of
each type over the samples that arrive at the lane's p95 (between the 94.5th and 95.5th
percentile), with the random parts scaled (by about 1) so the types add up to the p95 exactly;
fixed legs contribute exactly their time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import polars as pl

from networks import KINDS, MODES, InputError, Mode, Network, NetworkArrays, NodeKind, Problem
from networks.calendar import WEEK_H
from routing.analysis.clock import Calendar, read_calendars, wait_h
from routing.analysis.hos import drive, drive_fresh, driving_hours, fresh_driver, stop
from routing.analysis.regimes import (
    PATH_WEEKS,
    RegimeChains,
    check_regime_states,
    domain_codes,
    force_states,
    read_regimes,
    simulate_regimes,
)
from routing.results.schemas import WATERFALL

Z95 = NormalDist().inv_cdf(0.95)
QUANTILES = (0.5, 0.9, 0.95, 0.99)
P95_WINDOW = (0.945, 0.955)  # samples "at the p95" for the p95 waterfall
MAX_ELEMENTS = 1_000_000  # lanes x samples per chunk: 8 MB float64 matrices stay on the heap (measured fastest)
MAX_SHARED_DRAWS = 100_000_000  # (random legs + mixed groups) x samples drawn once for all chunks (float32: 400 MB)
DEFAULT_SAMPLES = 100_000
THREADS = min(2, os.cpu_count() or 1)  # chunks sampled in parallel when their draws are shared
DRAW_BLOCKS = 2  # streams the legs are drawn from, one per thread (fixed: the numbers do not depend on THREADS)

_NODE_TYPE = {NodeKind.SEAPORT: "port_dwell_h", NodeKind.BORDER_CROSSING: "crossing_h"}
_MODE_TYPE = {"ocean": "ocean_h", "rail": "rail_h", "truck": "truck_h", "drayage": "drayage_h"}
_LEG_MADE = {*_NODE_TYPE.values(), *_MODE_TYPE.values(), "other_dwell_h"}  # leg types that legs produce
CARRIER_CHANGES = (NodeKind.SEAPORT, NodeKind.RAIL_TERMINAL, NodeKind.BORDER_CROSSING, NodeKind.HUB)
"""Node kinds where a load changes carrier (border-city yards, crossings, ports, rail ramps): the
truck that takes it on has a fresh driver, as the LP's truck links (each a fresh driver's hours of
service) assume. A driver carries his hours only through other nodes (a plant or market on the way)."""
LANE_KEYS = ("origin", "market", "commodity", "route", "links")


def stats_columns() -> list[str]:
    """The statistics columns of :func:`sample_lead_times`, in order (hours)."""
    waterfall = [f"{leg.removesuffix('_h')}_{stat}_h" for leg in WATERFALL for stat in ("mean", "p95")]
    return ["p50_h", "p90_h", "p95_h", "p99_h", "mean_h", "std_h", *waterfall]


@dataclass(frozen=True, slots=True)
class LegSpread:
    """Every node dwell and link transit as one leg: nodes first (``0..n_nodes-1``), then links,
    then extra legs (the events of ``legs.csv``, queue waits).

    ``sigma`` is 0 for a fixed leg; ``delay_prob`` is 0 where a leg has no delay event, and the
    event's hours are lognormal with median ``delay_h`` and ``delay_sigma`` (0: exactly
    ``delay_h``). ``leg_type`` indexes :data:`routing.results.schemas.WATERFALL`; ``domain``
    indexes the regimes' domains (-1: none); ``closable`` legs close in a disrupted domain; an
    ``hos`` leg (a truck link whose ``transit_h`` is a fresh driver's hours-of-service time, with
    the clock on) draws its driving time, ``typical_h`` being the elapsed time of the median
    driving, and takes the elapsed time of a fresh driver (:mod:`routing.analysis.hos`).
    """

    typical_h: np.ndarray
    sigma: np.ndarray
    delay_prob: np.ndarray
    delay_h: np.ndarray
    leg_type: np.ndarray
    delay_sigma: np.ndarray | None = None
    domain: np.ndarray | None = None
    closable: np.ndarray | None = None
    hos: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.typical_h)
        if self.hos is None:
            object.__setattr__(self, "hos", np.zeros(n, dtype=bool))
        if self.delay_sigma is None:
            object.__setattr__(self, "delay_sigma", np.zeros(n))
        if self.domain is None:
            object.__setattr__(self, "domain", np.full(n, -1, dtype=np.int64))
        if self.closable is None:
            object.__setattr__(self, "closable", np.ones(n, dtype=bool))

    @property
    def mean_h(self) -> np.ndarray:
        """Exact mean of each leg without regimes: ``typical x exp(sigma^2 / 2) + delay_prob x
        delay_h x exp(delay_sigma^2 / 2)``."""
        return (self.typical_h * np.exp(self.sigma**2 / 2)
                + self.delay_prob * self.delay_h * np.exp(self.delay_sigma**2 / 2))

    def extend(self, *, typical_h: np.ndarray, sigma: np.ndarray, delay_prob: np.ndarray, delay_h: np.ndarray,
               delay_sigma: np.ndarray, leg_type: np.ndarray, domain: np.ndarray) -> LegSpread:
        """This spread with more legs appended (never closable: they belong to a leg that is)."""
        return LegSpread(*(np.concatenate([getattr(self, f), v]) for f, v in (
            ("typical_h", typical_h), ("sigma", sigma), ("delay_prob", delay_prob), ("delay_h", delay_h),
            ("leg_type", leg_type), ("delay_sigma", delay_sigma), ("domain", domain))),
            closable=np.concatenate([self.closable, np.zeros(len(typical_h), dtype=bool)]),
            hos=np.concatenate([self.hos, np.zeros(len(typical_h), dtype=bool)]))


def leg_spreads(arrays: NetworkArrays) -> LegSpread:
    """Fit every leg's lognormal (median = typical, 95th percentile = p95) and its delay event.

    Example
    -------
    >>> from networks import read_network
    >>> spread = leg_spreads(read_network().arrays)
    >>> bool((spread.sigma >= 0).all())
    True
    """
    typical = np.concatenate([arrays.dwell_h, arrays.transit_h])
    p95 = np.concatenate([arrays.dwell_p95_h, arrays.transit_p95_h])
    sigma = _sigma(typical, p95)
    delay_h = np.concatenate([arrays.node_delay_h, arrays.link_delay_h])
    delay_prob = np.where(delay_h > 0, np.concatenate([arrays.node_delay_prob, arrays.link_delay_prob]), 0.0)
    node_type = np.array([WATERFALL.index(_NODE_TYPE.get(kind, "other_dwell_h")) for kind in KINDS])
    mode_type = np.array([WATERFALL.index(_MODE_TYPE[mode.value]) for mode in MODES])
    leg_type = np.concatenate([node_type[arrays.kind], mode_type[arrays.mode]])
    return LegSpread(typical, sigma, delay_prob, delay_h, leg_type)


def _sigma(typical: np.ndarray, p95: np.ndarray) -> np.ndarray:
    spread = (typical > 0) & (p95 > typical)
    sigma = np.zeros_like(typical, dtype=np.float64)
    sigma[spread] = np.log(p95[spread] / typical[spread]) / Z95
    return sigma


def lane_legs(network: Network, lanes: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(lane, leg) pairs: each lane's origin dwell, every link of ``links`` and the node it enters.

    Raises
    ------
    InputError
        A lane names an origin or a link that is not in the network.
    """
    lane, leg, _ = _lane_pairs(network, lanes)
    return lane, leg


def _lane_pairs(network: Network, lanes: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lane, leg, position) triples; the position orders a lane's legs: origin 0, its k-th link
    2k + 1, the node that link enters 2k + 2."""
    node_ids, link_ids = network.nodes["id"].to_numpy(), network.links["id"].to_numpy()
    hops = (lanes.select(pl.int_range(pl.len()).alias("lane"), pl.col("links").str.split(">"))
            .explode("links").filter(pl.col("links").str.len_chars() > 0)
            .with_columns(k=pl.int_range(pl.len()).over("lane")))
    origin = _positions(node_ids, lanes["origin"].to_numpy(), "origin")
    link = _positions(link_ids, hops["links"].to_numpy(), "links")
    hop_lane, k = hops["lane"].to_numpy(), hops["k"].to_numpy()
    arrays = network.arrays
    lane = np.concatenate([np.arange(lanes.height), hop_lane, hop_lane])
    leg = np.concatenate([origin, arrays.n_nodes + link, arrays.head[link]])
    pos = np.concatenate([np.zeros(lanes.height, dtype=np.int64), 2 * k + 1, 2 * k + 2])
    return lane.astype(np.int64), leg.astype(np.int64), pos.astype(np.int64)


def add_leg_events(network: Network, lanes: pl.DataFrame, spread: LegSpread, lane: np.ndarray, leg: np.ndarray,
                   pos: np.ndarray) -> tuple[LegSpread, np.ndarray, np.ndarray, np.ndarray]:
    """The events of ``legs.csv`` as extra legs of the lanes that pass their node or link (and carry
    their commodity, when the event names one); lanes share an event's draws like the leg's."""
    events = network.legs
    empty = np.zeros(0, dtype=np.int64)
    if events.height == 0:
        return spread, empty, empty, empty
    ids = {x: i for i, x in enumerate([*network.nodes["id"].to_list(), *network.links["id"].to_list()])}
    element = np.array([ids[e] for e in events["element"].to_list()], dtype=np.int64)
    typical = events["typical_h"].to_numpy().astype(np.float64)
    p95 = events["p95_h"].fill_null(np.nan).to_numpy().astype(np.float64)
    n = events.height
    extended = spread.extend(typical_h=np.zeros(n), sigma=np.zeros(n), delay_prob=events["prob"].to_numpy(),
                             delay_h=typical, delay_sigma=_sigma(typical, np.nan_to_num(p95, nan=0.0)),
                             leg_type=spread.leg_type[element], domain=spread.domain[element])
    commodity = (lanes["commodity"].cast(pl.String) if "commodity" in lanes.columns
                 else pl.Series([None] * lanes.height, dtype=pl.String))
    pairs = pl.DataFrame({"lane": lane, "leg": leg, "pos": pos, "carries": commodity.gather(lane)}).join(
        pl.DataFrame({"leg": element, "event": np.arange(n), "only": events["commodity"].cast(pl.String)}), on="leg",
        maintain_order="left")
    pairs = pairs.filter(pl.col("only").is_null() | (pl.col("only") == pl.col("carries")))
    first = len(spread.typical_h)
    return (extended, pairs["lane"].to_numpy(), first + pairs["event"].to_numpy(), pairs["pos"].to_numpy())


def add_queue_waits(network: Network, lanes: pl.DataFrame,
                    spread: LegSpread) -> tuple[LegSpread, np.ndarray, np.ndarray]:
    """Queue waits at crossings (``crossing_wait_h`` of the lanes) as extra legs.

    A wait is lognormal with median = the solved wait and the p95/typical ratio of the crossing's
    lane types in ``crossings.csv`` (weighted by today's volume). Lanes with the same crossing and
    wait share one leg: loads in the same queue wait alike, so their draws are the same. A wait
    belongs to its crossing's shock domain.
    """
    empty = np.zeros(0, dtype=np.int64)
    if "crossing_wait_h" not in lanes.columns or "crossing" not in lanes.columns:
        return spread, empty, empty
    table = network.crossings.filter(pl.col("wait_p95_h").is_not_null())
    ratio = dict(table.group_by("node").agg(
        ((pl.col("wait_p95_h") / pl.col("wait_typical_h")) * pl.col("reference_loads_per_day")).sum()
        / pl.col("reference_loads_per_day").sum()).iter_rows())
    waits = lanes.select(lane=pl.int_range(pl.len()), crossing="crossing", wait="crossing_wait_h").filter(
        pl.col("wait").fill_null(0.0) > 0)
    unique = waits.select("crossing", "wait").unique(maintain_order=True).with_row_index("leg")
    waits = waits.join(unique, on=["crossing", "wait"], how="left", maintain_order="left")
    typical = unique["wait"].to_numpy()
    p95 = typical * np.array([ratio.get(c, 1.0) for c in unique["crossing"]])
    sigma = np.where(p95 > typical, np.log(np.maximum(p95, typical) / typical) / Z95, 0.0)
    index = {x: i for i, x in enumerate(network.nodes["id"].to_list())}
    node = np.array([index.get(c, -1) for c in unique["crossing"].to_list()], dtype=np.int64)
    n = len(typical)
    extended = spread.extend(typical_h=typical, sigma=sigma, delay_prob=np.zeros(n), delay_h=np.zeros(n),
                             delay_sigma=np.zeros(n), leg_type=np.full(n, WATERFALL.index("crossing_wait_h")),
                             domain=np.where(node >= 0, spread.domain[np.maximum(node, 0)], -1))
    return extended, waits["lane"].to_numpy().astype(np.int64), len(spread.typical_h) + waits["leg"].to_numpy()


def _positions(ids: np.ndarray, values: np.ndarray, field: str) -> np.ndarray:
    pos = np.searchsorted(ids, values).clip(0, max(len(ids) - 1, 0))
    unknown = sorted(set(values[(ids[pos] != values) if len(ids) else slice(None)]))
    if unknown:
        raise InputError([Problem("lanes", f"unknown {'link' if field == 'links' else 'node'}", field=field, got=u)
                          for u in unknown])
    return pos


class Shock(NamedTuple):
    """Per domain (rows; the last row is "no domain", all ones) and sample: the state's scales."""

    time: np.ndarray  # (D + 1, samples)
    event: np.ndarray
    closure_prob: np.ndarray
    closure_h: np.ndarray


class Clock(NamedTuple):
    """Each sample's start (hours on the regime path, Monday 00:00 of week 0 = 0) and the calendar
    stops: lane, position on the lane, calendar, waterfall type."""

    start_h: np.ndarray  # (samples,)
    lane: np.ndarray
    pos: np.ndarray
    calendar: list[Calendar]
    kind: np.ndarray
    seed: int


def sample_lead_times(
    network: Network,
    lanes: pl.DataFrame,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    by: list[str] | None = None,
    cdf_points: int = 0,
    clock: bool = True,
    regimes: bool = True,
    start_h: np.ndarray | None = None,
    regime_path: np.ndarray | None = None,
    regime_states: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Sample the door-to-door lead time of lanes: quantiles, mean, spread and waterfall (hours).

    Parameters
    ----------
    network
        The network the lanes run on: its legs' typical values, p95s and delay events, the events
        of ``legs.csv``, the calendars and the regimes.
    lanes
        A lanes frame (``origin``, ``links`` = link ids joined by ``>``, optionally ``commodity``,
        ``loads_per_day`` and the waterfall columns), e.g. ``LeadTimeResult.lanes``. A solved
        queue wait (``crossing_wait_h``) is a leg of its own (see :func:`add_queue_waits`).
    samples, seed
        Monte Carlo samples per lane (or group) and the seed of ``numpy.random.default_rng``;
        the same lanes, samples and seed give the same numbers.
    by
        Pool the lanes that share these columns into one distribution (a mixture weighted by
        ``loads_per_day``); default: one row per lane.
    cdf_points
        If > 0, add ``cdf_h``: the quantiles at ``cdf_points`` evenly spaced levels from 0 to 1.
    clock
        Carry each load's clock through its lane: waits at calendars (``calendars.csv``,
        ``crossings.csv`` ``weekly_hours``) are computed from the hour it arrives; a departures
        calendar replaces its node's dwell. False: every dwell as in the tables.
    regimes
        Scale the legs by the states of their shock domain (``regimes.csv``); all loads of one
        sample share the week, and so the states.
    start_h
        Each sample's ready time in hours from Monday 00:00 of week 0 of the regime path; default
        uniform over the whole path (a random week and hour). Consecutive shipments are
        consecutive hours (:mod:`routing.analysis.inventory`).
    regime_path
        (domains, weeks) states to use (:func:`routing.analysis.regimes.simulate_regimes`);
        default: a path of :data:`~routing.analysis.regimes.PATH_WEEKS` weeks drawn from the seed.
    regime_states
        Hold these shock domains in one state in every week (domain -> ``normal``, ``peak`` or
        ``disrupted``, e.g. ``{"texas_border": "disrupted"}``: a what-if); the other domains keep
        their chains. Needs ``regimes``.

    Returns
    -------
    pl.DataFrame
        The key columns (``by``, or the lane's own), ``loads_per_day``, ``lanes``, then
        :func:`stats_columns`: ``p50_h``, ``p90_h``, ``p95_h``, ``p99_h``, ``mean_h``, ``std_h``
        and ``<leg>_mean_h`` / ``<leg>_p95_h`` per leg type.

    Raises
    ------
    InputError
        A lane names an unknown origin or link, or ``regime_states`` an unknown domain or state.
    ValueError
        ``samples`` < 2, a ``by`` column missing, ``start_h`` not of length ``samples`` or
        ``regime_states`` without ``regimes``.

    Example
    -------
    >>> from networks import read_network
    >>> from routing import solve_lead_time
    >>> net = read_network()
    >>> lanes = solve_lead_time(net).lanes
    >>> dist = sample_lead_times(net, lanes, samples=1000, seed=1)
    >>> bool((dist["p95_h"] >= dist["p50_h"]).all()) and dist.height == lanes.height
    True
    """
    if samples < 2:
        raise ValueError(f"samples must be >= 2, got {samples}")
    if start_h is not None and len(start_h) != samples:
        raise ValueError(f"start_h must have one hour per sample ({samples}), got {len(start_h)}")
    plan = plan_lanes(network, lanes, clock=clock, regimes=regimes)
    keys, group, weight = _groups(lanes, by)
    rng = np.random.default_rng(seed)
    shock, ticks = _shocks(plan, samples, rng, seed, start_h, regime_path, _forced(plan, regimes, regime_states))
    stats = _simulate(plan, group, weight, samples, rng, cdf_points, shock, ticks)
    frame = keys.hstack(pl.DataFrame(dict(zip(stats_columns(), stats["columns"], strict=True))))
    if cdf_points:
        frame = frame.with_columns(cdf_h=pl.Series(stats["cdf"].tolist(), dtype=pl.List(pl.Float64)))
    return frame


def sample_lane_hours(network: Network, lanes: pl.DataFrame, *, samples: int, seed: int = 0, clock: bool = True,
                      regimes: bool = True, start_h: np.ndarray | None = None,
                      regime_path: np.ndarray | None = None,
                      regime_states: Mapping[str, str] | None = None) -> np.ndarray:
    """(lanes, samples): every lane's sampled lead time in hours, with the options of
    :func:`sample_lead_times` (the raw draws, e.g. for a sequence of shipments)."""
    plan = plan_lanes(network, lanes, clock=clock, regimes=regimes)
    rng = np.random.default_rng(seed)
    shock, ticks = _shocks(plan, samples, rng, seed, start_h, regime_path, _forced(plan, regimes, regime_states))
    rows = np.arange(lanes.height)
    return _lane_totals(plan, rows, samples, rng, None, shock, ticks)[0]


class TruckRuns(NamedTuple):
    """Runs of two or more consecutive truck links of a lane (one driver, hours of service carried
    through): the lane, the position of the run's last link, its link legs and the node legs
    between them (one fewer)."""

    lane: np.ndarray
    last_pos: np.ndarray
    links: list[np.ndarray]
    nodes: list[np.ndarray]


NO_RUNS = TruckRuns(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), [], [])


class Plan(NamedTuple):
    """What to sample: the legs, every lane's (leg, position) pairs, the fixed time per lane and
    type, the calendar stops, the regime chains and the truck runs of hours of service."""

    spread: LegSpread
    lane: np.ndarray
    leg: np.ndarray
    pos: np.ndarray
    fixed: np.ndarray  # (lanes, types)
    random: np.ndarray  # per pair
    stops: tuple[np.ndarray, np.ndarray, list[Calendar], np.ndarray]  # lane, pos, calendar, kind
    chains: RegimeChains | None
    runs: TruckRuns = NO_RUNS


def plan_lanes(network: Network, lanes: pl.DataFrame, *, clock: bool = True, regimes: bool = True) -> Plan:
    """The legs of every lane with their positions, events, queue waits, calendar stops and regimes."""
    chains = read_regimes(network) if regimes else None
    base = leg_spreads(network.arrays)
    arrays = network.arrays
    hos = np.zeros(len(base.typical_h), dtype=bool)
    if clock:  # hours of service on the clock: truck links draw their driving time
        transit = arrays.transit_h
        hos[arrays.n_nodes:] = ((arrays.mode == MODES.index(Mode.TRUCK)) & (transit > 0)
                                & ~(arrays.link_delay_h > 0)  # a link's own delay event is not driving
                                & np.isclose(drive_fresh(driving_hours(transit)), transit, rtol=0, atol=1e-6))
    spread = LegSpread(base.typical_h, base.sigma, base.delay_prob, base.delay_h, base.leg_type,
                       domain=domain_codes(network, chains), hos=hos)
    lane, leg, pos = _lane_pairs(network, lanes)
    keeps = np.zeros(len(hos), dtype=bool)  # nodes where the driver stays with the load
    keeps[:arrays.n_nodes] = ~np.isin(arrays.kind, [KINDS.index(k) for k in CARRIER_CHANGES])
    runs = truck_runs(lane, leg, pos, hos, keeps) if clock else NO_RUNS
    spread, e_lane, e_leg, e_pos = add_leg_events(network, lanes, spread, lane, leg, pos)
    spread, q_lane, q_leg = add_queue_waits(network, lanes, spread)
    q_node = network.nodes["id"].to_list()
    crossing = lanes["crossing"].to_list() if "crossing" in lanes.columns else [None] * lanes.height
    where = dict(zip(zip(lane.tolist(), leg.tolist(), strict=True), pos.tolist(), strict=True))
    index = {x: i for i, x in enumerate(q_node)}
    q_pos = np.array([where.get((int(ln), index.get(crossing[ln], -1)), 0) for ln in q_lane], dtype=np.int64)
    stops: tuple = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), [], np.zeros(0, dtype=np.int64))
    keep = np.ones(len(lane), dtype=bool)
    if clock:
        calendars = read_calendars(network)
        at = np.array([leg_ < network.arrays.n_nodes and leg_ in calendars for leg_ in leg.tolist()], dtype=bool)
        cals = [calendars[int(x)] for x in leg[at]]
        kinds = np.array([WATERFALL.index("crossing_wait_h") if network.arrays.kind[c.node] == KINDS.index(
            NodeKind.BORDER_CROSSING) else spread.leg_type[c.node] for c in cals], dtype=np.int64)
        stops = (lane[at], pos[at], cals, kinds)
        keep[np.flatnonzero(at)[[c.departures for c in cals]]] = False  # a departure replaces the dwell
    lane = np.concatenate([lane[keep], e_lane, q_lane])
    leg = np.concatenate([leg[keep], e_leg, q_leg])
    pos = np.concatenate([pos[keep], e_pos, q_pos])
    extra = np.zeros((lanes.height, len(WATERFALL)))  # waterfall columns no leg makes (none today)
    for t, name in enumerate(WATERFALL):
        if name not in _LEG_MADE and name != "crossing_wait_h" and name in lanes.columns:
            extra[:, t] = lanes[name].fill_null(0.0).to_numpy()
    closes = np.zeros(len(spread.typical_h), dtype=bool)
    if chains is not None:
        shut = np.append(chains.closure_prob.max(axis=1) > 0, False)
        closes = spread.closable & shut[spread.domain]
    random = (spread.sigma[leg] > 0) | (spread.delay_prob[leg] > 0) | closes[leg]
    fixed = extra.copy()  # per lane and leg type: the typical value of legs without a lognormal spread
    np.add.at(fixed, (lane, spread.leg_type[leg]), np.where(spread.sigma[leg] > 0, 0.0, spread.typical_h[leg]))
    return Plan(spread, lane, leg, pos, fixed, random, stops, chains, runs)


def truck_runs(lane: np.ndarray, leg: np.ndarray, pos: np.ndarray, hos: np.ndarray,
               keeps: np.ndarray | None = None) -> TruckRuns:
    """The runs of at least two consecutive hours-of-service links on each lane (positions 2k + 1,
    2k + 3, ...; the node entered between them at 2k + 2) through nodes that ``keeps`` the driver
    (per leg; default every node): a carrier change (:data:`CARRIER_CHANGES`) ends a run."""
    order = np.lexsort((pos, lane))
    lane, leg, pos = lane[order], leg[order], pos[order]
    keeps = np.ones(len(hos), dtype=bool) if keeps is None else keeps
    link = (pos % 2 == 1) & hos[leg]
    idx = np.flatnonzero(link)
    if len(idx) < 2:
        return NO_RUNS
    at = np.searchsorted(lane * (2 * int(pos.max(initial=0)) + 4) + pos,  # each link's next position: its node
                         lane[idx] * (2 * int(pos.max(initial=0)) + 4) + pos[idx] + 1)
    node_after = leg[np.minimum(at, max(len(leg) - 1, 0))]
    joins = np.zeros(len(idx), dtype=bool)  # link i continues the run of link i - 1
    joins[1:] = ((lane[idx[1:]] == lane[idx[:-1]]) & (pos[idx[1:]] == pos[idx[:-1]] + 2) & keeps[node_after[:-1]])
    out: tuple[list, list, list, list] = ([], [], [], [])
    starts = np.flatnonzero(~joins)
    for a, b in zip(starts, [*starts[1:], len(idx)], strict=True):  # a loop over runs (a few per lane at most)
        if b - a > 1:
            out[0].append(lane[idx[a]])
            out[1].append(pos[idx[b - 1]])
            out[2].append(leg[idx[a:b]])
            out[3].append(node_after[a:b - 1])
    if not out[0]:
        return NO_RUNS
    return TruckRuns(np.array(out[0], dtype=np.int64), np.array(out[1], dtype=np.int64), out[2], out[3])


def _forced(plan: Plan, regimes: bool, states: Mapping[str, str] | None) -> dict[int, int]:
    """Domain index -> state index of ``regime_states`` (validated), {} when none are forced."""
    if not states:
        return {}
    if not regimes:
        raise ValueError("regime_states needs regimes=True")
    return check_regime_states(plan.chains, states)


def _shocks(plan: Plan, samples: int, rng: np.random.Generator, seed: int, start_h: np.ndarray | None,
            regime_path: np.ndarray | None, forced: Mapping[int, int] | None = None,
            ) -> tuple[Shock | None, Clock | None]:
    """Each sample's clock start and its domains' scales (drawn once, shared by every lane)."""
    chains = plan.chains
    weeks = regime_path.shape[1] if regime_path is not None else PATH_WEEKS
    if start_h is None and (chains is not None or len(plan.stops[0])):
        start_h = rng.random(samples) * weeks * WEEK_H
    ticks = None
    if len(plan.stops[0]):
        ticks = Clock(np.asarray(start_h, dtype=np.float64), *plan.stops, seed)
    if chains is None:
        return None, ticks
    path = regime_path if regime_path is not None else simulate_regimes(
        chains, PATH_WEEKS, np.random.default_rng([seed, 1]))
    if forced:
        path = force_states(path, forced)
    week = (np.floor(np.asarray(start_h) / WEEK_H).astype(np.int64)) % path.shape[1]
    state = path[:, week]  # (D, samples)
    rows = np.arange(len(chains.domains))[:, None]

    def scale(table: np.ndarray, none: float) -> np.ndarray:  # float32 from the start: the same values
        out = np.empty((len(chains.domains) + 1, samples), dtype=np.float32)
        out[:-1] = table.astype(np.float32)[rows, state]
        out[-1] = none
        return out

    return Shock(scale(chains.time_scale, 1.0), scale(chains.event_scale, 1.0), scale(chains.closure_prob, 0.0),
                 scale(chains.closure_h, 0.0)), ticks


def _groups(lanes: pl.DataFrame, by: list[str] | None) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """Key rows, the group of each lane and each lane's weight within its group."""
    loads = (lanes["loads_per_day"].fill_null(0.0) if "loads_per_day" in lanes.columns
             else pl.Series("loads_per_day", np.ones(lanes.height)))
    if not by:
        keys = lanes.select([c for c in LANE_KEYS if c in lanes.columns]).with_columns(
            loads_per_day=loads, lanes=pl.lit(1, dtype=pl.UInt32))
        return keys, np.arange(lanes.height), np.ones(lanes.height)
    missing = [c for c in by if c not in lanes.columns]
    if missing:
        raise ValueError(f"by: lanes have no column {', '.join(missing)}")
    tagged = lanes.select(by).with_columns(_loads=loads, _row=pl.int_range(pl.len()))
    keys = tagged.group_by(by, maintain_order=True).agg(loads_per_day=pl.col("_loads").sum(), lanes=pl.len())
    index = keys.select(by).with_row_index("_g")
    group = tagged.join(index, on=by, how="left", nulls_equal=True).sort("_row")["_g"].to_numpy()
    return keys, group.astype(np.int64), loads.to_numpy().astype(np.float64)


@dataclass(frozen=True, slots=True)
class Draws:
    """The random part of the legs ``legs`` (sorted) in every sample: a dense float32 row for each
    leg with a lognormal or a closure (``row``: its row in ``dense``, -1 for the others), and for a
    leg with only an event (a few per cent of the samples meet it) its hits: ``sample`` and
    ``value`` from ``start[k]`` to ``start[k + 1]``, samples ascending."""

    legs: np.ndarray
    dense: np.ndarray  # (dense legs, samples) float32
    row: np.ndarray
    start: np.ndarray
    sample: np.ndarray
    value: np.ndarray  # float32

    @property
    def samples(self) -> int:
        """Samples per leg."""
        return self.dense.shape[1]

    def product(self, out_row: np.ndarray, col: np.ndarray, n_out: int) -> np.ndarray:
        """(n_out, samples) float32: row ``out_row[j]`` gets the draws of leg ``legs[col[j]]`` added, for
        every pair j (a sparse incidence times the dense rows, then the event-only legs' hits added
        in a loop over their pairs, each vectorised over its hits)."""
        from scipy import sparse

        dense = self.row[col] >= 0
        matrix = sparse.csr_array((np.ones(int(dense.sum()), dtype=np.float32), (out_row[dense], self.row[col[dense]])),
                                  shape=(n_out, len(self.dense)))
        out = np.asarray(matrix @ self.dense) if len(self.dense) else np.zeros((n_out, self.samples), np.float32)
        for r, c in zip(out_row[~dense].tolist(), col[~dense].tolist(), strict=True):
            a, b = self.start[c], self.start[c + 1]
            out[r, self.sample[a:b]] += self.value[a:b]
        return out

    def hours(self, k: int) -> np.ndarray:
        """The draws of leg ``legs[k]`` as one float64 row."""
        if self.row[k] >= 0:
            return self.dense[self.row[k]].astype(np.float64)
        out = np.zeros(self.samples)
        out[self.sample[self.start[k]:self.start[k + 1]]] = self.value[self.start[k]:self.start[k + 1]]
        return out


class _Pool(NamedTuple):
    """Draws shared by every chunk: the random legs of all lanes and the mixture uniforms."""

    draws: Draws
    mixed: np.ndarray  # groups with more than one lane
    uniforms: np.ndarray  # (mixed groups, samples)


def _simulate(plan: Plan, group: np.ndarray, weight: np.ndarray, samples: int, rng: np.random.Generator,
              cdf_points: int, shock: Shock | None, ticks: Clock | None) -> dict:
    """Statistics per group, computed chunk by chunk of whole groups (lanes x samples <= MAX_ELEMENTS).

    When they fit in MAX_SHARED_DRAWS, every random leg and mixture choice is drawn once for all
    chunks: lanes sharing a leg share its draws, and the numbers do not depend on the chunking.
    """
    n_lanes = len(plan.fixed)
    n_groups = int(group.max()) + 1 if n_lanes else 0
    order = np.argsort(group, kind="stable")  # lanes group by group
    sizes = np.bincount(group, minlength=n_groups)
    legs, mixed = np.unique(plan.leg[plan.random]), np.flatnonzero(sizes > 1)
    pool = None
    if (len(legs) + len(mixed)) * samples <= MAX_SHARED_DRAWS:
        pool = _Pool(_draw(plan.spread, legs, samples, rng, shock), mixed, rng.random((len(mixed), samples)))
    per_chunk = max(1, MAX_ELEMENTS // samples)
    chunk_of_group = np.zeros(n_groups, dtype=np.int64)
    chunk, used = 0, 0
    for g, size in enumerate(sizes):  # a loop over groups, not samples: at most a few thousand steps
        if used and used + size > per_chunk:
            chunk, used = chunk + 1, 0
        chunk_of_group[g], used = chunk, used + size
    levels = [*QUANTILES, *P95_WINDOW, *np.linspace(0.0, 1.0, cdf_points)]
    out = np.zeros((len(stats_columns()), n_groups))
    cdf = np.zeros((n_groups, cdf_points))
    def run(c: int) -> None:
        groups = np.flatnonzero(chunk_of_group == c)
        rows = order[np.isin(group[order], groups)]  # lanes of the chunk, group by group
        _chunk(plan, rows, group, weight, groups, samples, rng, pool, levels, out, cdf, shock, ticks)

    chunks = range(chunk + 1 if n_groups else 0)
    if pool is not None and len(chunks) > 1 and THREADS > 1:  # shared draws: chunks use no rng, any order
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=THREADS) as executor:  # numpy releases the GIL
            list(executor.map(run, chunks))
    else:
        for c in chunks:
            run(c)
    return {"columns": list(out), "cdf": cdf}


def _lane_totals(plan: Plan, rows: np.ndarray, samples: int, rng: np.random.Generator, pool: _Pool | None,
                 shock: Shock | None, ticks: Clock | None) -> tuple[np.ndarray, np.ndarray]:
    """The lanes ``rows``: their lead times (rows, samples) and the random time of each leg type
    (types, rows, samples, float32), calendar waits included; fixed legs are in ``plan.fixed``."""
    local = np.full(len(plan.fixed), -1)
    local[rows] = np.arange(len(rows))
    on = (local[plan.lane] >= 0) & plan.random
    if pool is not None:  # the shared draws as they are: the sparse products below pick the chunk's legs
        draws = pool.draws
    else:
        draws = _draw(plan.spread, np.unique(plan.leg[on]), samples, rng, shock)
    pair_row, pair_col = local[plan.lane[on]], np.searchsorted(draws.legs, plan.leg[on])
    pair_kind = plan.spread.leg_type[plan.leg[on]]
    typed = _sum_per_type(draws, pair_row, pair_col, pair_kind, len(rows))
    pairs = (pair_row, pair_col, plan.pos[on])
    stops = _calendar_waits(plan, local, draws, pairs, ticks) if ticks is not None else None
    runs = _run_corrections(plan, local, draws, samples, stops)
    if len(runs[0]):
        _add_rows(typed, np.full(len(runs[0]), WATERFALL.index("truck_h")), runs[0], runs[2])
        if stops is not None:  # the lanes with runs again: their carried hours move the clock of later stops
            stops = _rerun_stops(plan, local, draws, pairs, ticks, runs, stops)
    if stops is not None:
        waits, w_row, w_kind, _ = stops
        _add_rows(typed, w_kind, w_row, waits)
    total = typed.sum(axis=0, dtype=np.float64) + plan.fixed[rows].sum(axis=1)[:, None]
    return total, typed


def _add_rows(typed: np.ndarray, kinds: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """``typed[kinds[j], rows[j]] += values[j]`` in float32, in order (as ``np.add.at``, which is
    several times slower for rows of many samples). A loop over the few runs or stops of a chunk."""
    for kind, row, value in zip(kinds.tolist(), rows.tolist(), values, strict=True):
        typed[kind, row] += value.astype(np.float32)


def _run_corrections(plan: Plan, local: np.ndarray, draws: Draws, samples: int,
                     stops: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(chunk rows, last link positions, (runs, samples) extra hours) of the chunk's truck runs: one
    driver's hours of service carried through the run (the stop at each node between its links, its
    dwell + its calendar wait in ``stops``: on duty, or a rest from 10 h, :func:`routing.analysis.hos.stop`)
    minus the links' fresh-driver times already drawn. A loop over runs (a few), vectorised over samples."""
    runs = plan.runs
    mine = np.flatnonzero(local[runs.lane] >= 0) if len(runs.lane) else np.zeros(0, dtype=np.int64)
    extra = np.zeros((len(mine), samples))
    typical = plan.spread.typical_h

    def value(leg: int) -> np.ndarray:  # the leg's sampled hours: its fixed typical value + its draws
        out = np.full(samples, typical[leg] if plan.spread.sigma[leg] == 0 else 0.0)
        at = int(np.searchsorted(draws.legs, leg))
        if at < len(draws.legs) and draws.legs[at] == leg:
            out += draws.hours(at)
        return out

    def waited(row: int, pos: int) -> np.ndarray | float:  # the calendar wait at a lane's position, if any
        if stops is None:
            return 0.0
        hit = np.flatnonzero((stops[1] == row) & (stops[3] == pos))
        return stops[0][hit].sum(axis=0) if len(hit) else 0.0

    for k, r in enumerate(mine):
        state, carried, fresh = fresh_driver(samples), np.zeros(samples), np.zeros(samples)
        links, nodes = runs.links[r], runs.nodes[r]
        first_pos = runs.last_pos[r] - 2 * (len(links) - 1)
        for j, link in enumerate(links):
            elapsed_fresh = value(int(link))
            elapsed, state = drive(driving_hours(elapsed_fresh), state)
            carried += elapsed
            fresh += elapsed_fresh
            if j < len(nodes):
                at = first_pos + 2 * j + 1  # the node entered by link j
                state = stop(state, value(int(nodes[j])) + waited(int(local[runs.lane[r]]), int(at)))
        extra[k] = carried - fresh
    return local[runs.lane[mine]], runs.last_pos[mine], extra


def _rerun_stops(plan: Plan, local: np.ndarray, draws: Draws, pairs: tuple[np.ndarray, ...], ticks: Clock,
                 runs: tuple[np.ndarray, np.ndarray, np.ndarray],
                 stops: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """``stops`` with the waits of the lanes that have truck runs computed again, the runs' carried
    hours on their clock (the other lanes' waits are unchanged)."""
    again = np.isin(local, runs[0]) & (local >= 0)
    redo = _calendar_waits(plan, np.where(again, local, -1), draws, pairs, ticks, runs)
    waits = stops[0].copy()
    key = {(int(r), int(q)): i for i, (r, q) in enumerate(zip(stops[1], stops[3], strict=True))}
    for j, (r, q) in enumerate(zip(redo[1], redo[3], strict=True)):  # a loop over the few stops of those lanes
        waits[key[(int(r), int(q))]] = redo[0][j]
    return waits, *stops[1:]


def _calendar_waits(plan: Plan, local: np.ndarray, draws: Draws, pairs: tuple[np.ndarray, ...],
                    ticks: Clock, runs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(stops, samples) waits at the calendar stops of the chunk's lanes, with their chunk row, waterfall
    type and position on the lane, in the order loads meet them: a stop's clock = the sample's start +
    the lane's legs and waits before it (+ the carried hours of service of the truck runs before it,
    ``runs`` of :func:`_run_corrections`). A loop over stops (a few per lane), vectorised over samples."""
    mine = np.flatnonzero(local[ticks.lane] >= 0)
    if len(mine) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros((0, draws.samples)), empty, empty, empty
    row, pos = local[ticks.lane[mine]], ticks.pos[mine]
    order = np.lexsort((pos, row))  # lane by lane, earlier stops first: their waits move the clock of later ones
    prev = np.full(len(mine), -1, dtype=np.int64)  # the lane's stop before (its position), -1 for the first
    same = row[order][1:] == row[order][:-1]
    prev[order[1:][same]] = pos[order][:-1][same]

    def since_prev(of_row: np.ndarray, of_pos: np.ndarray) -> np.ndarray:  # (stops, items) between the stops
        return (of_row[None, :] == row[:, None]) & (of_pos[None, :] >= prev[:, None]) & (of_pos[None, :] < pos[:, None])

    pair_row, pair_col, pair_pos = pairs
    i, j = np.nonzero(since_prev(pair_row, pair_pos))
    step = draws.product(i, pair_col[j], len(mine))  # float32: the random legs since the lane's previous stop
    fixed = (local[plan.lane] >= 0) & ~plan.random
    f_val = np.where(plan.spread.sigma[plan.leg[fixed]] > 0, 0.0, plan.spread.typical_h[plan.leg[fixed]])
    fixed_step = (since_prev(local[plan.lane[fixed]], plan.pos[fixed]) * f_val).sum(axis=1)
    if runs is not None and len(runs[0]):  # hours of service carried through a truck run before the stop
        r_row, r_pos, r_extra = runs
        step = step + (since_prev(r_row, r_pos) @ r_extra).astype(np.float32)
    acc = np.zeros((int(row.max()) + 1, draws.samples))  # per lane: its clock since the start
    waits = np.zeros((len(mine), draws.samples))
    for k in order:
        stop, clock = mine[k], acc[row[k]]
        clock += step[k]
        clock += fixed_step[k]
        waits[k] = wait_h(ticks.calendar[stop], ticks.start_h + clock,
                          np.random.default_rng([ticks.seed, 2, int(ticks.lane[stop]), int(pos[k])]))
        clock += waits[k]
    return waits, row, ticks.kind[mine], pos


def _chunk(plan: Plan, rows: np.ndarray, group: np.ndarray, weight: np.ndarray, groups: np.ndarray, samples: int,
           rng: np.random.Generator, pool: _Pool | None, levels: list[float], out: np.ndarray, cdf: np.ndarray,
           shock: Shock | None, ticks: Clock | None) -> None:
    """Sample one chunk of whole groups and write its statistics into ``out`` and ``cdf``.

    Each random leg is drawn once (``drawn``: legs x samples) and shared by the lanes that use it;
    the waterfall needs no per-type arrays: per lane and leg, the mean over all samples and over
    the samples at the p95 are two matrix products, then summed per leg type.
    """
    total, typed = _lane_totals(plan, rows, samples, rng, pool, shock, ticks)
    index = _mixture_index(group[rows], weight[rows], groups, samples, rng, pool)
    fixed_rows = plan.fixed[rows]
    if index is not None:
        total = total[index, np.arange(samples)]
    low_high = _quantiles(total.astype(np.float32), levels)  # float32: 2x faster
    constant = total.max(axis=1) == total.min(axis=1)
    q = np.where(constant, total[:, 0], low_high)  # exact where nothing varies
    p95, low, high = q[2], q[len(QUANTILES)], q[len(QUANTILES) + 1]
    at_p95 = (total >= low[:, None]) & (total <= high[:, None])
    empty = ~at_p95.any(axis=1)  # few samples or float32 rounding: take the samples nearest the p95
    if empty.any():
        gap = np.abs(total[empty] - p95[empty, None])
        at_p95[empty] = gap == gap.min(axis=1, keepdims=True)
    mean, at = _waterfall(typed, fixed_rows, group[rows], groups, index, at_p95, p95, samples)
    out[:4, groups] = q[:len(QUANTILES)]
    out[4, groups] = total.mean(axis=1)
    out[5, groups] = np.where(constant, 0.0, total.std(axis=1, ddof=1))  # exactly 0, not rounding noise
    out[6::2, groups] = mean.T
    out[7::2, groups] = at.T
    if cdf.shape[1]:
        cdf[groups] = q[len(QUANTILES) + 2:].T


def _quantiles(values: np.ndarray, levels: list[float]) -> np.ndarray:
    """(levels, rows) float64: each row's quantiles at ``levels`` by numpy's default (linear) method,
    from one sort of the rows in place (numpy's SIMD sort: about 4x faster than ``np.quantile``'s
    partitions for these six levels and more)."""
    values.sort(axis=1)
    at = np.asarray(levels, dtype=np.float64) * (values.shape[1] - 1)
    low = np.floor(at).astype(np.int64)
    high = np.minimum(low + 1, values.shape[1] - 1)
    a, b = values[:, low].astype(np.float64), values[:, high].astype(np.float64)
    return (a + (b - a) * (at - low)).T


def _waterfall(typed: np.ndarray, fixed_rows: np.ndarray, group: np.ndarray, groups: np.ndarray,
               index: np.ndarray | None, at_p95: np.ndarray, p95: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group and leg type: the mean time, and the share of the p95 (mean over the samples at
    the p95, random parts scaled so the types add up to the p95 exactly; fixed parts stay exact).

    ``typed`` holds each lane's random time per leg type and sample; a mixture takes, per sample,
    the lane that carries it."""
    count = at_p95.sum(axis=1)
    mean, window = _fixed_parts(fixed_rows, group, groups, index, at_p95, count, samples)
    if index is not None:
        typed = typed[:, index, np.arange(samples)]  # (types, groups, samples)
    random_mean = typed.mean(axis=2, dtype=np.float64).T
    random_window = np.zeros((len(p95), typed.shape[0]))
    for g in range(len(p95)):  # a loop over the chunk's groups, each summing its samples at the p95 (about 1 %)
        random_window[g] = typed[:, g, np.flatnonzero(at_p95[g])].sum(axis=1, dtype=np.float64)
    random_window /= count[:, None]
    fixed_sum, varying = window.sum(axis=1), random_window.sum(axis=1)
    scale = np.divide(p95 - fixed_sum, varying, out=np.ones_like(p95), where=varying > 0)
    fixed_scale = np.divide(p95, fixed_sum, out=np.ones_like(p95), where=(varying == 0) & (fixed_sum > 0))
    return mean + random_mean, window * fixed_scale[:, None] + random_window * scale[:, None]


def _fixed_parts(fixed_rows: np.ndarray, group: np.ndarray, groups: np.ndarray, index: np.ndarray | None,
                 at_p95: np.ndarray, count: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and p95-window mean of the fixed part of each leg type, per group (lanes weighted by
    how many samples, and how many samples at the p95, they carry)."""
    if index is None:
        return fixed_rows.copy(), fixed_rows.copy()
    row_group = np.searchsorted(groups, group)
    n_rows = len(fixed_rows)
    share = np.bincount(index.ravel(), minlength=n_rows) / samples
    at = np.bincount(index[at_p95], minlength=n_rows)
    mean, window = np.zeros((len(groups), fixed_rows.shape[1])), np.zeros((len(groups), fixed_rows.shape[1]))
    np.add.at(mean, row_group, fixed_rows * share[:, None])
    np.add.at(window, row_group, fixed_rows * at[:, None])
    return mean, window / count[:, None]


def _draw(spread: LegSpread, legs: np.ndarray, samples: int, rng: np.random.Generator,
          shock: Shock | None = None) -> Draws:
    """The random part of each leg in every sample: its lognormal (if it has a spread), its event
    (lognormal hours with the event's probability) and, in a closing state of its domain, the
    remaining closure; the domain's state scales the time and the event probability. A leg with
    only an event keeps its hits, not a row (:class:`Draws`).

    The legs are drawn in :data:`DRAW_BLOCKS` blocks of about equal work, each from its own SFC64
    stream seeded from ``rng`` (the fastest of numpy's bit generators for normals), on up to
    :data:`THREADS` threads: the numbers depend on the seed only, not on the threads."""
    none = -1 if shock is None else shock.time.shape[0] - 1
    dom = np.where(spread.domain[legs] >= 0, spread.domain[legs], none)
    closing = np.zeros(len(legs), dtype=bool)
    if shock is not None:
        closing = spread.closable[legs] & (dom != none) & (np.append(shock.closure_prob.max(axis=1), 0.0)[dom] > 0)
    dense = (spread.sigma[legs] > 0) | closing
    row = np.where(dense, np.cumsum(dense) - 1, -1)
    values = np.empty((int(dense.sum()), samples), dtype=np.float32)  # each row written once: no zeroing pass
    hits: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(legs)
    seeds = rng.integers(0, 2**63, size=DRAW_BLOCKS)
    work = np.cumsum(dense * (1.0 + 0.5 * spread.hos[legs]) + 0.1)
    bounds = np.searchsorted(work, work[-1] * np.arange(DRAW_BLOCKS + 1) / DRAW_BLOCKS, side="right") if len(
        legs) else np.zeros(DRAW_BLOCKS + 1, dtype=np.int64)
    bounds[0], bounds[-1] = 0, len(legs)

    def block(b: int) -> None:
        _draw_block(values, row, hits, range(int(bounds[b]), int(bounds[b + 1])), spread, legs, dom, samples,
                    np.random.Generator(np.random.SFC64(int(seeds[b]))), shock)

    if THREADS > 1 and len(legs) * samples >= 1_000_000:  # numpy's generators and ufuncs release the GIL
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=THREADS) as executor:
            list(executor.map(block, range(DRAW_BLOCKS)))
    else:
        for b in range(DRAW_BLOCKS):
            block(b)
    counts = np.array([0 if h is None else len(h[0]) for h in hits], dtype=np.int64)
    found = [h for h in hits if h is not None]
    return Draws(legs, values, row, np.concatenate([[0], np.cumsum(counts)]),
                 np.concatenate([h[0] for h in found]) if found else np.zeros(0, dtype=np.int64),
                 np.concatenate([h[1] for h in found]) if found else np.zeros(0, dtype=np.float32))


def _draw_block(values: np.ndarray, row: np.ndarray, hits: list, part: range, spread: LegSpread, legs: np.ndarray,
                dom: np.ndarray, samples: int, rng: np.random.Generator, shock: Shock | None) -> None:
    """:func:`_draw` of the legs ``part`` from one stream: their rows of ``values`` (dense legs) or
    their ``hits`` (event-only legs).

    Events are drawn sparsely: the samples that meet an event are a Bernoulli process, generated as
    geometric gaps, so a rare event costs its hits, not a uniform per sample."""
    none = -1 if shock is None else shock.time.shape[0] - 1
    mine = np.arange(part.start, part.stop)
    base = mine[spread.sigma[legs[mine]] > 0]
    values[row[mine[(row[mine] >= 0) & (spread.sigma[legs[mine]] == 0)]]] = 0.0
    for i in base:  # a loop over legs, each row drawn in place (float32: half the time)
        out = values[row[i]]
        rng.standard_normal(dtype=np.float32, out=out)
        out *= np.float32(spread.sigma[legs[i]])
        np.exp(out, out=out)
        hos = bool(spread.hos[legs[i]])  # draw the driving time, then the elapsed time of a fresh driver
        out *= np.float32(driving_hours(spread.typical_h[legs[i]]) if hos else spread.typical_h[legs[i]])
        if shock is not None and dom[i] != none:
            out *= shock.time[dom[i]]
        if hos:
            out[:] = drive_fresh(out)
    event_max = shock.event.max(axis=1) if shock is not None else None  # per domain, once
    for i in mine[spread.delay_prob[legs[mine]] > 0]:  # a loop over event legs, each vectorised
        leg, d = legs[i], dom[i]
        p = float(spread.delay_prob[leg])
        p_max = min(1.0, p * float(event_max[d])) if event_max is not None else p
        hit = _bernoulli_hits(samples, p_max, rng)
        if shock is not None and len(hit):
            hit = hit[rng.random(len(hit)) * p_max < np.minimum(1.0, p * shock.event[d, hit])]
        hours = spread.delay_h[leg] * (np.exp(spread.delay_sigma[leg] * rng.standard_normal(len(hit)))
                                       if spread.delay_sigma[leg] > 0 else np.ones(len(hit)))
        hours = hours * (shock.time[d, hit] if shock is not None else 1.0)
        if row[i] >= 0:
            values[row[i], hit] += hours
        else:
            hits[i] = (hit, hours.astype(np.float32))
    if shock is not None:
        closure_max = shock.closure_prob.max(axis=1)
        for i in mine[spread.closable[legs[mine]] & (dom[mine] != none)]:
            d = dom[i]
            p_max = float(closure_max[d])
            if p_max <= 0:
                continue
            hit = _bernoulli_hits(samples, p_max, rng)
            hit = hit[rng.random(len(hit)) * p_max < shock.closure_prob[d, hit]]
            values[row[i], hit] += rng.exponential(1.0, len(hit)) * shock.closure_h[d, hit]


def _bernoulli_hits(samples: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """The samples (sorted) where a Bernoulli(p) event happens."""
    if p <= 0:
        return np.zeros(0, dtype=np.int64)
    if p >= 0.2:
        return np.flatnonzero(rng.random(samples) < p)
    expect = samples * p
    gaps = rng.geometric(p, int(expect + 8 * np.sqrt(expect) + 20))
    hits = np.cumsum(gaps) - 1
    while hits[-1] < samples:  # rare: the gaps did not reach the end yet
        hits = np.concatenate([hits, hits[-1] + np.cumsum(rng.geometric(p, int(expect) + 20))])
    return hits[hits < samples]


def _sum_per_type(draws: Draws, pair_row: np.ndarray, pair_col: np.ndarray, pair_kind: np.ndarray,
                  n_rows: int) -> np.ndarray:
    """(types, rows, samples) float32: each lane's random legs added up per leg type, with one
    sparse (types x lanes) x legs product (:meth:`Draws.product`)."""
    types = len(WATERFALL)
    return draws.product(pair_kind * n_rows + pair_row, pair_col, types * n_rows).reshape(types, n_rows, draws.samples)


def _mixture_index(group: np.ndarray, weight: np.ndarray, groups: np.ndarray, samples: int,
                   rng: np.random.Generator, pool: _Pool | None) -> np.ndarray | None:
    """For each group of the chunk and each sample, the chunk row of the lane that carries it;
    None when every group has one lane (row g is group g)."""
    sizes = np.bincount(np.searchsorted(groups, group), minlength=len(groups))
    if sizes.max(initial=1) == 1:
        return None
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    index = np.repeat(first[:, None], samples, axis=1)
    mixed = np.flatnonzero(sizes > 1)
    u = (pool.uniforms[np.searchsorted(pool.mixed, groups[mixed])] if pool is not None
         else rng.random((len(mixed), samples)))
    for i, g in enumerate(mixed):  # a loop over mixed groups, vectorised over samples
        w = weight[first[g]:first[g] + sizes[g]]
        w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))
        index[g] += np.searchsorted(np.cumsum(w)[:-1], u[i], side="right")
    return index

