"""Seeded random networks for tests and benchmarks (deterministic for a given seed)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

from networks.dimacs import MinCostFlowProblem
from networks.network import Network


def random_network(
    *,
    seed: int,
    n_plants: int = 3,
    n_hubs: int = 5,
    n_markets: int = 3,
    n_commodities: int = 1,
    extra_links: int = 8,
    with_power: bool = False,
) -> Network:
    """A small random network with integer data, every market reachable, no parallel links.

    Plants feed hubs (some are border crossings with a throughput limit), hubs form a chain and
    feed markets, and ``extra_links`` random shortcuts are added.
    """
    rng = np.random.default_rng(seed)
    plants = [f"P{i}" for i in range(n_plants)]
    hubs = [f"H{i}" for i in range(n_hubs)]
    markets = [f"M{i}" for i in range(n_markets)]
    commodities = [f"c{i}" for i in range(n_commodities)]

    pairs = {(p, hubs[int(rng.integers(n_hubs))]) for p in plants} | {(plants[0], hubs[0])}
    pairs |= {(hubs[i], hubs[i + 1]) for i in range(n_hubs - 1)}
    pairs |= {(hubs[int(rng.integers(n_hubs))], m) for m in markets}
    tails, heads = plants + hubs, hubs + markets
    for _ in range(extra_links):
        u, v = tails[int(rng.integers(len(tails)))], heads[int(rng.integers(len(heads)))]
        if u != v:
            pairs.add((u, v))
    pairs = sorted(pairs)
    m = len(pairs)
    capacity = rng.integers(1, 40, m).astype(float)
    capacity[rng.random(m) < 0.4] = np.nan

    ids = plants + hubs + markets
    kinds = ["plant"] * n_plants + [("border_crossing" if i % 2 else "hub") for i in range(n_hubs)] + ["market"] * n_markets
    throughput = np.where(np.array(kinds) == "border_crossing", rng.integers(5, 60, len(ids)), np.nan)
    power = np.where((np.array(kinds) == "plant") & with_power, rng.integers(1, 5, len(ids)), np.nan)
    nodes = pl.DataFrame({
        "id": ids, "name": ids, "kind": kinds, "country": ["MX"] * len(ids), "region": ["R"] * len(ids),
        "lat": rng.uniform(15, 45, len(ids)), "lon": rng.uniform(-120, -90, len(ids)),
        "throughput_loads_per_day": throughput, "dwell_h": rng.integers(0, 4, len(ids)).astype(float),
        "power_mw": power, "water_m3_per_day": [None] * len(ids),
    }).with_columns(pl.col("throughput_loads_per_day", "power_mw").fill_nan(None))
    links = pl.DataFrame({
        "id": [f"L{i:03d}" for i in range(m)], "from": [u for u, _ in pairs], "to": [v for _, v in pairs],
        "mode": rng.choice(["truck", "rail", "drayage"], m).tolist(),
        "transit_h": rng.integers(1, 21, m).astype(float), "capacity_loads_per_day": capacity,
        "cost_usd_per_load": rng.integers(50, 500, m).astype(float),
    }).with_columns(pl.col("capacity_loads_per_day").fill_nan(None))
    goods = pl.DataFrame({
        "id": commodities, "name": commodities, "value_usd_per_load": rng.integers(1, 100, n_commodities) * 1000.0,
        "power_mwh_per_load": rng.integers(1, 4, n_commodities).astype(float),
        "water_m3_per_load": np.zeros(n_commodities),
    })
    supply = pl.DataFrame({
        "node": [p for p in plants for _ in commodities], "commodity": commodities * n_plants,
        "capacity_loads_per_day": rng.integers(5, 50, n_plants * n_commodities).astype(float),
    })
    demand = pl.DataFrame({
        "node": [mk for mk in markets for _ in commodities], "commodity": commodities * n_markets,
        "loads_per_day": rng.integers(1, 25, n_markets * n_commodities).astype(float),
    })
    return Network.from_frames(nodes=nodes, links=links, commodities=goods, supply=supply, demand=demand,
                               name=f"random-{seed}")


class _Layer(NamedTuple):
    prefix: str
    kind: str
    country: str
    dwell_h: tuple[int, int]  # integer range [low, high)


class _Stage(NamedTuple):
    source: int  # layer index
    target: int
    share: float  # of all links
    modes: tuple[str, ...]
    transit_h: tuple[int, int]
    backbone: bool  # first give every node of both layers an uncapacitated link


_LAYERS = (
    _Layer("PL", "plant", "MX", (1, 4)),
    _Layer("MXH", "hub", "MX", (2, 9)),
    _Layer("XING", "border_crossing", "US", (1, 7)),
    _Layer("USH", "hub", "US", (2, 9)),
    _Layer("DC", "hub", "US", (2, 7)),
    _Layer("MKT", "market", "US", (0, 1)),
)
_STAGES = (
    _Stage(0, 1, 0.12, ("truck", "truck", "rail"), (1, 21), True),
    _Stage(0, 2, 0.03, ("truck",), (6, 31), False),
    _Stage(1, 2, 0.12, ("truck", "rail"), (4, 31), True),
    _Stage(2, 3, 0.12, ("drayage",), (1, 7), True),
    _Stage(3, 4, 0.20, ("truck", "rail"), (8, 61), True),
    _Stage(3, 5, 0.08, ("truck",), (12, 73), False),
    _Stage(4, 5, 0.33, ("truck", "drayage"), (1, 13), True),
)
MIN_CORRIDOR_LINKS = 100
_RAIL_TERMINAL_SHARE = 0.2  # of the hubs on either side of the border
_CAPPED_SHARE = 0.25  # of the non-backbone links carry a capacity
_SUPPLY_MARGIN = 1.6  # total supply capacity per commodity / its total demand
_CROSSING_MARGIN = 2.0  # total crossing throughput / total demand


def corridor_layer_sizes(n_links: int) -> tuple[int, ...]:
    """Nodes per corridor layer (plants, MX hubs, crossings, US hubs, DCs, markets) for a link count.

    Hubs, DCs and markets grow linearly with ``n_links``, so their average degree stays constant;
    plants and border crossings grow with its square root, so they stay few, as in the built-in
    network (and validation, which walks the graph once per supplier, stays affordable).

    Example
    -------
    >>> corridor_layer_sizes(1000)
    (4, 10, 11, 10, 20, 40)
    """
    if n_links < MIN_CORRIDOR_LINKS:
        raise ValueError(f"corridor_network: n_links must be >= {MIN_CORRIDOR_LINKS}, got {n_links}")
    return (max(3, round(np.sqrt(n_links) / 8)), max(4, n_links // 100), max(3, round(np.sqrt(n_links) / 3)),
            max(4, n_links // 100), max(4, n_links // 50), max(3, n_links // 25))


def corridor_network(*, n_links: int, n_commodities: int = 1, seed: int, with_power: bool = False) -> Network:
    """A seeded US–Mexico corridor network with exactly ``n_links`` links.

    Plants feed Mexican hubs and rail terminals (and, by truck, border crossings directly); these
    feed border crossings, each with a throughput limit; crossings feed US hubs and rail
    terminals, which feed distribution centres and some markets; DCs feed markets. Every node has
    an uncapacitated backbone link in and out, so every market is reachable and all demand can be
    served; a quarter of the other links carry a capacity. Every plant makes every commodity; with
    several commodities each market asks for a random subset of them. All data are whole numbers,
    so one commodity without power limits solves exactly as a min-cost flow. Built with numpy and
    polars, without a per-link Python loop.

    Parameters
    ----------
    n_links
        Number of links, at least 100.
    n_commodities
        Commodities sharing the link capacities and crossing throughputs.
    seed
        Seed of the random generator: the same seed gives the same network.
    with_power
        Give plants a power limit (``power_mw``, about 90 % of what full output needs) and
        commodities a power use per load, so the LP has power rows.

    Returns
    -------
    Network
        A validated network named ``corridor-<n_links>x<n_commodities>-<seed>``.

    Raises
    ------
    ValueError
        If ``n_links`` is below 100 or ``n_commodities`` below 1.

    Example
    -------
    >>> net = corridor_network(n_links=1000, seed=1)
    >>> net.links.height, net.commodities.height
    (1000, 1)
    """
    sizes = corridor_layer_sizes(n_links)
    if n_commodities < 1:
        raise ValueError(f"corridor_network: n_commodities must be >= 1, got {n_commodities}")
    rng = np.random.default_rng(seed)
    layer = np.repeat(np.arange(len(sizes)), sizes)
    ids = pl.Series("id", np.concatenate([_ids(spec.prefix, n) for spec, n in zip(_LAYERS, sizes, strict=True)]))
    commodities, supply, demand = _corridor_goods(rng, ids, layer, n_commodities, with_power)
    total = float(demand["loads_per_day"].sum())
    nodes = _corridor_nodes(rng, ids, layer, total, commodities, supply, with_power)
    links = _corridor_links(rng, ids, sizes, n_links, total)
    return Network.from_frames(nodes=nodes, links=links, commodities=commodities, supply=supply, demand=demand,
                               name=f"corridor-{n_links}x{n_commodities}-{seed}")


def od_pairs_network(*, n_links: int, n_pairs: int, seed: int) -> Network:
    """A multi-commodity corridor given as origin-destination pairs: commodity ``k`` goes from its
    own plant to its own market, each attached to a random Mexican hub and a random US
    distribution centre by a free, uncapacitated link (0 h, 0 USD). The corridor's links and
    crossing limits are shared; its own plants and markets ask and offer nothing.

    Example
    -------
    >>> net = od_pairs_network(n_links=1000, n_pairs=4, seed=1)
    >>> net.commodities.height, net.demand.height, net.links.height
    (4, 4, 1008)
    """
    if n_pairs < 1:
        raise ValueError(f"od_pairs_network: n_pairs must be >= 1, got {n_pairs}")
    base = corridor_network(n_links=n_links, seed=seed)
    rng = np.random.default_rng(seed + 1)
    nodes = base.nodes
    hubs = nodes.filter(pl.col("id").str.starts_with("MXH"))["id"]
    centres = nodes.filter(pl.col("id").str.starts_with("DC"))["id"]
    goods, plants, markets = _ids("od", n_pairs), _ids("ODP", n_pairs), _ids("ODM", n_pairs)
    new_nodes = pl.concat([  # copies of a corridor plant and market under new ids
        nodes.filter(pl.col("kind") == kind).head(1)[[0] * n_pairs].with_columns(pl.Series("id", ids),
                                                                                pl.Series("name", ids))
        for kind, ids in (("plant", plants), ("market", markets))])
    loads = rng.integers(5, 41, n_pairs).astype(float)
    free = {"mode": "truck", "transit_h": 0.0, "capacity_loads_per_day": None, "cost_usd_per_load": 0.0}
    new_links = pl.DataFrame({
        "id": np.concatenate([_ids("ODA", n_pairs), _ids("ODB", n_pairs)]),
        "from": np.concatenate([plants, centres.gather(rng.integers(0, centres.len(), n_pairs)).to_numpy()]),
        "to": np.concatenate([hubs.gather(rng.integers(0, hubs.len(), n_pairs)).to_numpy(), markets]),
        **{k: [v] * (2 * n_pairs) for k, v in free.items()},
    }).with_columns(pl.col("capacity_loads_per_day").cast(pl.Float64))
    commodities = pl.DataFrame({"id": goods, "name": goods, "value_usd_per_load": rng.integers(5, 101, n_pairs) * 1000.0,
                                "power_mwh_per_load": np.zeros(n_pairs), "water_m3_per_load": np.zeros(n_pairs)})
    supply = pl.DataFrame({"node": plants, "commodity": goods, "capacity_loads_per_day": loads})
    demand = pl.DataFrame({"node": markets, "commodity": goods, "loads_per_day": loads})
    return Network.from_frames(
        nodes=pl.concat([nodes, new_nodes]),
        links=pl.concat([base.links, new_links], how="diagonal_relaxed").select(base.links.columns),
        commodities=commodities, supply=supply, demand=demand, name=f"od-{n_links}x{n_pairs}-{seed}")


def _ids(prefix: str, n: int) -> np.ndarray:
    """``prefix`` + zero-padded numbers, so ids sort in creation order."""
    return np.char.add(prefix, np.char.zfill(np.arange(n).astype(str), len(str(max(n - 1, 0)))))


def _corridor_goods(rng: np.random.Generator, ids: pl.Series, layer: np.ndarray, n_commodities: int,
                    with_power: bool) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Commodities, supply at every plant for every commodity, demand at markets."""
    goods = _ids("c", n_commodities)
    plants, markets = np.flatnonzero(layer == 0), np.flatnonzero(layer == len(_LAYERS) - 1)
    asks = rng.random((len(markets), n_commodities)) < 0.6
    asks[np.arange(len(markets)), np.arange(len(markets)) % n_commodities] = True
    market_row, good_row = np.nonzero(asks)
    loads = rng.integers(1, 21, len(market_row)).astype(float)
    per_good = np.bincount(good_row, loads, minlength=n_commodities)
    supply_cap = np.round(rng.uniform(0.5, 1.5, (len(plants), n_commodities))
                          * _SUPPLY_MARGIN * per_good / len(plants)).clip(1)
    commodities = pl.DataFrame({
        "id": goods, "name": goods, "value_usd_per_load": rng.integers(5, 101, n_commodities) * 1000.0,
        "power_mwh_per_load": rng.integers(2, 11, n_commodities).astype(float) * with_power,
        "water_m3_per_load": np.zeros(n_commodities),
    })
    supply = pl.DataFrame({
        "node": ids.gather(np.repeat(plants, n_commodities)), "commodity": np.tile(goods, len(plants)),
        "capacity_loads_per_day": supply_cap.ravel(),
    })
    demand = pl.DataFrame({"node": ids.gather(markets[market_row]), "commodity": goods[good_row],
                           "loads_per_day": loads})
    return commodities, supply, demand


def _corridor_nodes(rng: np.random.Generator, ids: pl.Series, layer: np.ndarray, total: float,
                    commodities: pl.DataFrame, supply: pl.DataFrame, with_power: bool) -> pl.DataFrame:
    """Node kinds, places, dwell times, crossing throughputs and plant power limits."""
    n = len(ids)
    kind = np.array([spec.kind for spec in _LAYERS])[layer]
    hub = (layer == 1) | (layer == 3)
    kind = np.where(hub & (rng.random(n) < _RAIL_TERMINAL_SHARE), "rail_terminal", kind)
    low, high = (np.array([spec.dwell_h[i] for spec in _LAYERS])[layer] for i in (0, 1))
    dwell = np.where(kind == "rail_terminal", rng.integers(6, 25, n), rng.integers(low, high)).astype(float)
    mx = np.array([spec.country == "MX" for spec in _LAYERS])[layer]
    crossing = layer == 2
    throughput = np.round(rng.uniform(0.6, 1.4, n) * _CROSSING_MARGIN * total / crossing.sum())
    power_per_load = commodities["power_mwh_per_load"].to_numpy()[np.tile(np.arange(commodities.height),
                                                                          supply.height // commodities.height)]
    need = np.zeros(n)
    need[layer == 0] = (supply["capacity_loads_per_day"].to_numpy() * power_per_load).reshape(
        (layer == 0).sum(), -1).sum(axis=1) / 24.0
    power = np.round(need * rng.uniform(0.8, 1.2, n) * 0.9, 1)
    return pl.DataFrame({
        "id": ids, "name": ids, "kind": kind, "country": np.where(mx, "MX", "US"),
        "region": np.where(mx, "MX-corridor", "US-corridor"),
        "lat": np.round(np.where(mx, rng.uniform(18, 31, n), rng.uniform(26, 48, n)), 4),
        "lon": np.round(np.where(mx, rng.uniform(-115, -90, n), rng.uniform(-122, -72, n)), 4),
        "throughput_loads_per_day": np.where(crossing, throughput.clip(1), np.nan),
        "dwell_h": dwell,
        "power_mw": np.where((layer == 0) & with_power, power, np.nan),
        "water_m3_per_day": np.full(n, np.nan),
    }).with_columns(pl.col("throughput_loads_per_day", "power_mw", "water_m3_per_day").fill_nan(None))


def _stage_links(rng: np.random.Generator, n_from: int, n_to: int, n_links: int,
                 backbone: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tails and heads (positions within their layers) of one stage, and which are backbone.

    Backbone links come first: one out of every ``from`` node and one into every ``to`` node.
    """
    n_cover = n_from + n_to if backbone else 0
    tail = np.concatenate([np.arange(n_from), rng.integers(0, n_from, n_to)])[:n_cover]
    head = np.concatenate([rng.integers(0, n_to, n_from), np.arange(n_to)])[:n_cover]
    tail = np.concatenate([tail, rng.integers(0, n_from, n_links - n_cover)])
    head = np.concatenate([head, rng.integers(0, n_to, n_links - n_cover)])
    return tail, head, np.arange(n_links) < n_cover


def _corridor_links(rng: np.random.Generator, ids: pl.Series, sizes: tuple[int, ...], n_links: int,
                    total: float) -> pl.DataFrame:
    """Links stage by stage; a capacity near the flow a link would carry if its tail's share of
    the demand were spread evenly over the tail's links."""
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    budgets = np.array([int(stage.share * n_links) for stage in _STAGES])
    budgets[-1] += n_links - budgets.sum()
    parts = []
    for stage, budget in zip(_STAGES, budgets, strict=True):
        tail, head, backbone = _stage_links(rng, sizes[stage.source], sizes[stage.target], int(budget), stage.backbone)
        mode = np.asarray(stage.modes)[rng.integers(0, len(stage.modes), budget)]
        transit = rng.integers(*stage.transit_h, budget)
        parts.append((tail + offsets[stage.source], head + offsets[stage.target], backbone, mode, transit,
                      np.full(budget, sizes[stage.source])))
    tail, head, backbone, mode, transit, layer_size = (np.concatenate(column) for column in zip(*parts, strict=True))
    out_degree = np.bincount(tail, minlength=offsets[-1])[tail]
    capacity = np.round(rng.uniform(0.5, 2.0, n_links) * total / layer_size / out_degree).clip(1)
    capped = ~backbone & (rng.random(n_links) < _CAPPED_SHARE)
    usd_per_hour = np.where(mode == "rail", rng.integers(20, 60, n_links), rng.integers(40, 120, n_links))
    return pl.DataFrame({
        "id": _ids("L", n_links), "from": ids.gather(tail), "to": ids.gather(head), "mode": mode,
        "transit_h": transit.astype(float), "capacity_loads_per_day": np.where(capped, capacity, np.nan),
        "cost_usd_per_load": (50 + transit * usd_per_hour).astype(float),
    }).with_columns(pl.col("capacity_loads_per_day").fill_nan(None))


# --- NETGEN-style min-cost-flow problems --------------------------------------------------------


def netgen_like(
    *,
    n_nodes: int,
    n_arcs: int,
    seed: int,
    n_sources: int | None = None,
    n_sinks: int | None = None,
    total_supply: int | None = None,
    cost_range: tuple[int, int] = (1, 100),
    capacity_range: tuple[int, int] = (100, 1000),
    capacitated_share: float = 0.3,
    high_cost_share: float = 0.3,
) -> MinCostFlowProblem:
    """A seeded min-cost flow problem built the way NETGEN (Klingman, Napier, Stutz 1974) builds
    one: a feasible skeleton, then random arcs.

    Nodes ``0 .. n_sources-1`` are sources and the last ``n_sinks`` are sinks. Each transshipment
    node joins the chain of a random source; each source's chain ends in arcs to some sinks (every
    sink gets at least one), and the source's supply is split over them, which sets the sinks'
    demand. Skeleton arcs are uncapacitated and a share of them cost the maximum, as in NETGEN, so
    the cheap routes are the random arcs. The remaining arcs join random node pairs; a share of
    them get a capacity in ``capacity_range``. Every instance is feasible and balanced.

    Parameters
    ----------
    n_nodes, n_arcs
        Size of the problem; ``n_arcs`` must leave room for the skeleton (about ``n_nodes`` arcs).
    seed
        Seed of the random generator.
    n_sources, n_sinks
        Default: ``max(1, n_nodes // 20)`` each.
    total_supply
        Default: 1000 per source.
    cost_range, capacity_range
        Inclusive integer ranges of arc costs and of the capacities of capacitated arcs.
    capacitated_share, high_cost_share
        Share of random arcs with a capacity; share of skeleton arcs with the maximum cost.

    Returns
    -------
    MinCostFlowProblem
        Write it with :func:`networks.dimacs.write_dimacs`.

    Raises
    ------
    ValueError
        If the sizes are inconsistent.

    Example
    -------
    >>> problem = netgen_like(n_nodes=100, n_arcs=600, seed=1)
    >>> problem.n_arcs, int(problem.supply.sum())
    (600, 0)
    """
    sources = n_sources or max(1, n_nodes // 20)
    sinks = n_sinks or max(1, n_nodes // 20)
    supply_total = total_supply or 1000 * sources
    if sources + sinks > n_nodes or supply_total < sources:
        raise ValueError(f"netgen_like: need n_sources + n_sinks <= n_nodes ({sources} + {sinks} > {n_nodes}) "
                         f"and total_supply >= n_sources ({supply_total} < {sources})")
    rng = np.random.default_rng(seed)
    supply = np.zeros(n_nodes, dtype=np.int64)
    supply[:sources] = rng.multinomial(supply_total - sources, np.full(sources, 1 / sources)) + 1
    tail, head, deliveries = _netgen_skeleton(rng, n_nodes, sources, sinks, supply[:sources])
    np.subtract.at(supply, head[-len(deliveries):], deliveries)
    n_skeleton = len(tail)
    if n_arcs < n_skeleton:
        raise ValueError(f"netgen_like: n_arcs must be >= {n_skeleton} (the skeleton), got {n_arcs}")
    n_random = n_arcs - n_skeleton
    random_tail = rng.integers(0, n_nodes, n_random)
    random_head = (random_tail + rng.integers(1, n_nodes, n_random)) % n_nodes  # never a self-loop
    low, high = cost_range
    cost = rng.integers(low, high + 1, n_arcs)
    cost[:n_skeleton] = np.where(rng.random(n_skeleton) < high_cost_share, high, cost[:n_skeleton])
    capacity = np.full(n_arcs, supply_total, dtype=np.int64)
    capped = np.arange(n_arcs) >= n_skeleton
    capped &= rng.random(n_arcs) < capacitated_share
    capacity[capped] = rng.integers(capacity_range[0], capacity_range[1] + 1, int(capped.sum()))
    return MinCostFlowProblem(supply=supply, tail=np.concatenate([tail, random_tail]).astype(np.int64),
                              head=np.concatenate([head, random_head]).astype(np.int64),
                              capacity=capacity, cost=cost.astype(np.int64))


def _netgen_skeleton(rng: np.random.Generator, n_nodes: int, sources: int, sinks: int,
                     source_supply: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chain and delivery arcs (deliveries last) and the amount each delivery arc carries."""
    middle = np.arange(sources, n_nodes - sinks)
    owner = rng.integers(0, sources, len(middle))
    order = np.lexsort((rng.random(len(middle)), owner))
    middle, owner = middle[order], owner[order]
    starts_chain = np.ones(len(middle), dtype=bool)
    starts_chain[1:] = owner[1:] != owner[:-1]
    chain_tail = np.where(starts_chain, owner, np.roll(middle, 1))
    chain_end = np.arange(sources)  # a source without transshipment nodes delivers itself
    ends_chain = np.append(starts_chain[1:], True) if len(middle) else np.zeros(0, dtype=bool)
    chain_end[owner[ends_chain]] = middle[ends_chain]
    sink_ids = np.arange(n_nodes - sinks, n_nodes)
    pairs = np.unique(np.concatenate([
        np.column_stack([rng.integers(0, sources, sinks), sink_ids]),
        np.column_stack([np.arange(sources), rng.choice(sink_ids, sources)]),
    ]), axis=0)
    share = rng.random(len(pairs)) + 0.1
    share /= np.bincount(pairs[:, 0], share, minlength=sources)[pairs[:, 0]]
    deliveries = np.floor(share * source_supply[pairs[:, 0]]).astype(np.int64)
    shortfall = source_supply - np.bincount(pairs[:, 0], deliveries, minlength=sources).astype(np.int64)
    first = np.unique(pairs[:, 0], return_index=True)[1]
    deliveries[first] += shortfall
    tail = np.concatenate([chain_tail, chain_end[pairs[:, 0]]])
    head = np.concatenate([middle, pairs[:, 1]])
    return tail, head, deliveries
