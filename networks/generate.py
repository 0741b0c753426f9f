"""Seeded random networks for tests and benchmarks (deterministic for a given seed)."""

from __future__ import annotations

import numpy as np
import polars as pl

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
