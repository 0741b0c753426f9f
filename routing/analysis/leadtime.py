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

from dataclasses import dataclass
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import polars as pl

from networks import KINDS, MODES, InputError, Network, NetworkArrays, NodeKind, Problem
from routing.results.schemas import WATERFALL

Z95 = NormalDist().inv_cdf(0.95)
QUANTILES = (0.5, 0.9, 0.95, 0.99)
P95_WINDOW = (0.945, 0.955)  # samples "at the p95" for the p95 waterfall
MAX_ELEMENTS = 1_000_000  # lanes x samples per chunk: 8 MB float64 matrices stay on the heap (measured fastest)
MAX_SHARED_DRAWS = 8_000_000  # (random legs + mixed groups) x samples drawn once for all chunks (64 MB)
DEFAULT_SAMPLES = 100_000

_NODE_TYPE = {NodeKind.SEAPORT: "port_dwell_h", NodeKind.BORDER_CROSSING: "crossing_h"}
_MODE_TYPE = {"ocean": "ocean_h", "rail": "rail_h", "truck": "truck_h", "drayage": "drayage_h"}
_LEG_MADE = {*_NODE_TYPE.values(), *_MODE_TYPE.values(), "other_dwell_h"}  # leg types that legs produce
LANE_KEYS = ("origin", "market", "commodity", "route", "links")


def stats_columns() -> list[str]:
    """The statistics columns of :func:`sample_lead_times`, in order (hours)."""
    waterfall = [f"{leg.removesuffix('_h')}_{stat}_h" for leg in WATERFALL for stat in ("mean", "p95")]
    return ["p50_h", "p90_h", "p95_h", "p99_h", "mean_h", "std_h", *waterfall]


@dataclass(frozen=True, slots=True)
class LegSpread:
    """Every node dwell and link transit as one leg: nodes first (``0..n_nodes-1``), then links.

    ``sigma`` is 0 for a fixed leg; ``delay_prob`` is 0 where a leg has no delay event.
    ``leg_type`` indexes :data:`routing.results.schemas.WATERFALL`.
    """

    typical_h: np.ndarray
    sigma: np.ndarray
    delay_prob: np.ndarray
    delay_h: np.ndarray
    leg_type: np.ndarray

    @property
    def mean_h(self) -> np.ndarray:
        """Exact mean of each leg: ``typical x exp(sigma^2 / 2) + delay_prob x delay_h``."""
        return self.typical_h * np.exp(self.sigma**2 / 2) + self.delay_prob * self.delay_h


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
    spread = (typical > 0) & (p95 > typical)
    sigma = np.zeros_like(typical)
    sigma[spread] = np.log(p95[spread] / typical[spread]) / Z95
    delay_h = np.concatenate([arrays.node_delay_h, arrays.link_delay_h])
    delay_prob = np.where(delay_h > 0, np.concatenate([arrays.node_delay_prob, arrays.link_delay_prob]), 0.0)
    node_type = np.array([WATERFALL.index(_NODE_TYPE.get(kind, "other_dwell_h")) for kind in KINDS])
    mode_type = np.array([WATERFALL.index(_MODE_TYPE[mode.value]) for mode in MODES])
    leg_type = np.concatenate([node_type[arrays.kind], mode_type[arrays.mode]])
    return LegSpread(typical, sigma, delay_prob, delay_h, leg_type)


def lane_legs(network: Network, lanes: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(lane, leg) pairs: each lane's origin dwell, every link of ``links`` and the node it enters.

    Raises
    ------
    InputError
        A lane names an origin or a link that is not in the network.
    """
    node_ids, link_ids = network.nodes["id"].to_numpy(), network.links["id"].to_numpy()
    hops = (lanes.select(pl.int_range(pl.len()).alias("lane"), pl.col("links").str.split(">"))
            .explode("links").filter(pl.col("links").str.len_chars() > 0))
    origin = _positions(node_ids, lanes["origin"].to_numpy(), "origin")
    link = _positions(link_ids, hops["links"].to_numpy(), "links")
    hop_lane = hops["lane"].to_numpy()
    arrays = network.arrays
    lane = np.concatenate([np.arange(lanes.height), hop_lane, hop_lane])
    leg = np.concatenate([origin, arrays.n_nodes + link, arrays.head[link]])
    return lane, leg


def add_queue_waits(network: Network, lanes: pl.DataFrame,
                    spread: LegSpread) -> tuple[LegSpread, np.ndarray, np.ndarray]:
    """Queue waits at crossings (``crossing_wait_h`` of the lanes) as extra legs.

    A wait is lognormal with median = the solved wait and the p95/typical ratio of the crossing's
    lane types in ``crossings.csv`` (weighted by today's volume). Lanes with the same crossing and
    wait share one leg: loads in the same queue wait alike, so their draws are the same.
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
    n = len(typical)
    extended = LegSpread(
        np.concatenate([spread.typical_h, typical]), np.concatenate([spread.sigma, sigma]),
        np.concatenate([spread.delay_prob, np.zeros(n)]), np.concatenate([spread.delay_h, np.zeros(n)]),
        np.concatenate([spread.leg_type, np.full(n, WATERFALL.index("crossing_wait_h"))]))
    return extended, waits["lane"].to_numpy().astype(np.int64), len(spread.typical_h) + waits["leg"].to_numpy()


def _positions(ids: np.ndarray, values: np.ndarray, field: str) -> np.ndarray:
    pos = np.searchsorted(ids, values).clip(0, max(len(ids) - 1, 0))
    unknown = sorted(set(values[(ids[pos] != values) if len(ids) else slice(None)]))
    if unknown:
        raise InputError([Problem("lanes", f"unknown {'link' if field == 'links' else 'node'}", field=field, got=u)
                          for u in unknown])
    return pos


def sample_lead_times(
    network: Network,
    lanes: pl.DataFrame,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    by: list[str] | None = None,
    cdf_points: int = 0,
) -> pl.DataFrame:
    """Sample the door-to-door lead time of lanes: quantiles, mean, spread and waterfall (hours).

    Parameters
    ----------
    network
        The network the lanes run on: its legs' typical values, p95s and delay events.
    lanes
        A lanes frame (``origin``, ``links`` = link ids joined by ``>``, optionally
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

    Returns
    -------
    pl.DataFrame
        The key columns (``by``, or the lane's own), ``loads_per_day``, ``lanes``, then
        :func:`stats_columns`: ``p50_h``, ``p90_h``, ``p95_h``, ``p99_h``, ``mean_h``, ``std_h``
        and ``<leg>_mean_h`` / ``<leg>_p95_h`` per leg type.

    Raises
    ------
    InputError
        A lane names an unknown origin or link.
    ValueError
        ``samples`` < 2 or a ``by`` column missing.

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
    lane, leg = lane_legs(network, lanes)
    spread = leg_spreads(network.arrays)
    spread, queue_lane, queue_leg = add_queue_waits(network, lanes, spread)
    lane, leg = np.concatenate([lane, queue_lane]), np.concatenate([leg, queue_leg])
    keys, group, weight = _groups(lanes, by)
    extra = np.zeros((lanes.height, len(WATERFALL)))  # waterfall columns no leg makes (none today)
    for t, name in enumerate(WATERFALL):
        if name not in _LEG_MADE and name != "crossing_wait_h" and name in lanes.columns:
            extra[:, t] = lanes[name].fill_null(0.0).to_numpy()
    stats = _simulate(spread, lane, leg, extra, group, weight, samples, np.random.default_rng(seed), cdf_points)
    frame = keys.hstack(pl.DataFrame(dict(zip(stats_columns(), stats["columns"], strict=True))))
    if cdf_points:
        frame = frame.with_columns(cdf_h=pl.Series(stats["cdf"].tolist(), dtype=pl.List(pl.Float64)))
    return frame


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


class _Pool(NamedTuple):
    """Draws shared by every chunk: the random legs of all lanes and the mixture uniforms."""

    legs: np.ndarray
    drawn: np.ndarray  # (legs, samples)
    mixed: np.ndarray  # groups with more than one lane
    uniforms: np.ndarray  # (mixed groups, samples)


def _simulate(spread: LegSpread, lane: np.ndarray, leg: np.ndarray, extra: np.ndarray, group: np.ndarray,
              weight: np.ndarray, samples: int, rng: np.random.Generator, cdf_points: int) -> dict:
    """Statistics per group, computed chunk by chunk of whole groups (lanes x samples <= MAX_ELEMENTS).

    When they fit in MAX_SHARED_DRAWS, every random leg and mixture choice is drawn once for all
    chunks: lanes sharing a leg share its draws, and the numbers do not depend on the chunking.
    """
    n_lanes, n_types = extra.shape
    n_groups = int(group.max()) + 1 if n_lanes else 0
    kind = spread.leg_type[leg]
    random = (spread.sigma[leg] > 0) | (spread.delay_prob[leg] > 0)
    fixed = extra.copy()  # per lane and leg type: the typical value of legs without a lognormal spread
    np.add.at(fixed, (lane, kind), np.where(spread.sigma[leg] > 0, 0.0, spread.typical_h[leg]))
    order = np.argsort(group, kind="stable")  # lanes group by group
    sizes = np.bincount(group, minlength=n_groups)
    legs, mixed = np.unique(leg[random]), np.flatnonzero(sizes > 1)
    pool = None
    if (len(legs) + len(mixed)) * samples <= MAX_SHARED_DRAWS:
        pool = _Pool(legs, _draw(spread, legs, samples, rng), mixed, rng.random((len(mixed), samples)))
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
    for c in range(chunk + 1 if n_groups else 0):
        groups = np.flatnonzero(chunk_of_group == c)
        rows = order[np.isin(group[order], groups)]  # lanes of the chunk, group by group
        _chunk(spread, (lane, leg, kind, random), fixed, rows, group, weight, groups, samples, rng, pool,
               levels, out, cdf)
    return {"columns": list(out), "cdf": cdf}


def _chunk(spread: LegSpread, pairs: tuple[np.ndarray, ...], fixed: np.ndarray, rows: np.ndarray,
           group: np.ndarray, weight: np.ndarray, groups: np.ndarray, samples: int, rng: np.random.Generator,
           pool: _Pool | None, levels: list[float], out: np.ndarray, cdf: np.ndarray) -> None:
    """Sample one chunk of whole groups and write its statistics into ``out`` and ``cdf``.

    Each random leg is drawn once (``drawn``: legs x samples) and shared by the lanes that use it;
    the waterfall needs no per-type arrays: per lane and leg, the mean over all samples and over
    the samples at the p95 are two matrix products, then summed per leg type.
    """
    lane, leg, kind, random = pairs
    local = np.full(len(fixed), -1)
    local[rows] = np.arange(len(rows))
    on = (local[lane] >= 0) & random
    chunk_legs = np.unique(leg[on])
    drawn = (pool.drawn[np.searchsorted(pool.legs, chunk_legs)] if pool is not None
             else _draw(spread, chunk_legs, samples, rng))
    pair_row, pair_col, pair_kind = local[lane[on]], np.searchsorted(chunk_legs, leg[on]), kind[on]
    index = _mixture_index(group[rows], weight[rows], groups, samples, rng, pool)
    fixed_rows = fixed[rows]
    total = _sum_per_row(drawn, pair_row, pair_col, len(rows))  # random part of each lane
    if index is None:  # one lane per group: row g is group g
        total += fixed_rows.sum(axis=1)[:, None]
    else:
        total = total[index, np.arange(samples)] + fixed_rows.sum(axis=1)[index]
    low_high = np.quantile(total.astype(np.float32), levels, axis=1).astype(np.float64)  # float32: 2x faster
    constant = total.max(axis=1) == total.min(axis=1)
    q = np.where(constant, total[:, 0], low_high)  # exact where nothing varies
    p95, low, high = q[2], q[len(QUANTILES)], q[len(QUANTILES) + 1]
    at_p95 = (total >= low[:, None]) & (total <= high[:, None])
    empty = ~at_p95.any(axis=1)  # few samples or float32 rounding: take the samples nearest the p95
    if empty.any():
        gap = np.abs(total[empty] - p95[empty, None])
        at_p95[empty] = gap == gap.min(axis=1, keepdims=True)
    mean, at = _waterfall(drawn, (pair_row, pair_col, pair_kind), fixed_rows, group[rows], groups, index,
                          at_p95, p95, samples)
    out[:4, groups] = q[:len(QUANTILES)]
    out[4, groups] = total.mean(axis=1)
    out[5, groups] = np.where(constant, 0.0, total.std(axis=1, ddof=1))  # exactly 0, not rounding noise
    out[6::2, groups] = mean.T
    out[7::2, groups] = at.T
    if cdf.shape[1]:
        cdf[groups] = q[len(QUANTILES) + 2:].T


def _waterfall(drawn: np.ndarray, pairs: tuple[np.ndarray, np.ndarray, np.ndarray], fixed_rows: np.ndarray,
               group: np.ndarray, groups: np.ndarray, index: np.ndarray | None, at_p95: np.ndarray, p95: np.ndarray,
               samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group and leg type: the mean time, and the share of the p95 (mean over the samples at
    the p95, random parts scaled so the types add up to the p95 exactly; fixed parts stay exact).

    Per lane and random leg, both means are matrix products of a sample mask with the draws.
    """
    pair_row, pair_col, pair_kind = pairs
    count = at_p95.sum(axis=1)
    mean, window = _fixed_parts(fixed_rows, group, groups, index, at_p95, count, samples)
    row_group = np.searchsorted(groups, group)
    if index is None:
        leg_mean = np.broadcast_to(drawn.mean(axis=1), (len(fixed_rows), len(drawn)))
        leg_window = (at_p95.astype(np.float64) @ drawn.T) / count[:, None]
    else:
        carries = index[row_group] == np.arange(len(fixed_rows))[:, None]  # (rows, samples): the lane carries it
        leg_mean = (carries.astype(np.float64) @ drawn.T) / samples
        leg_window = ((carries & at_p95[row_group]).astype(np.float64) @ drawn.T) / count[row_group, None]
    random_mean, random_window = np.zeros_like(mean), np.zeros_like(window)
    np.add.at(random_mean, (row_group[pair_row], pair_kind), leg_mean[pair_row, pair_col])
    np.add.at(random_window, (row_group[pair_row], pair_kind), leg_window[pair_row, pair_col])
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


def _draw(spread: LegSpread, legs: np.ndarray, samples: int, rng: np.random.Generator) -> np.ndarray:
    """(legs, samples): the random part of each leg, its lognormal (if it has a spread) plus its
    delay event (if it has one); a leg's typical value counts as fixed when it has no spread."""
    drawn = np.zeros((len(legs), samples))
    base = spread.sigma[legs] > 0
    z = rng.standard_normal((int(base.sum()), samples))
    z *= spread.sigma[legs[base], None]
    np.exp(z, out=z)
    z *= spread.typical_h[legs[base], None]
    drawn[base] = z
    delay = spread.delay_prob[legs] > 0
    hit = rng.random((int(delay.sum()), samples)) < spread.delay_prob[legs[delay], None]
    drawn[delay] += hit * spread.delay_h[legs[delay], None]
    return drawn


def _sum_per_row(drawn: np.ndarray, pair_row: np.ndarray, pair_col: np.ndarray, n_rows: int) -> np.ndarray:
    """(rows, samples): each lane's random legs added up, with a sparse lanes x legs matrix."""
    if len(pair_row) == 0:
        return np.zeros((n_rows, drawn.shape[1]))
    from scipy import sparse

    incidence = sparse.csr_array((np.ones(len(pair_row)), (pair_row, pair_col)), shape=(n_rows, len(drawn)))
    return np.asarray(incidence @ drawn)


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
