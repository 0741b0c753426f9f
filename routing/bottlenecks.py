"""Which capacities bind, what one more unit of each is worth, and why demand goes unmet."""

from __future__ import annotations

import numpy as np
import polars as pl

from networks import Network
from routing.result import BOTTLENECKS_SCHEMA, UNMET_SCHEMA
from routing.status import Solution

NEAR_BINDING = 0.99  # utilisation from which a capacity is reported even without a dual value
TOP_REASONS = 3


def capacities_frame(network: Network, solution: Solution, crossings: pl.DataFrame) -> pl.DataFrame:
    """Every finite capacity with its use and saving, plus the node it sits at (``at``); queued
    crossings (``crossings``, the per-lane-type frame) add what one more lane and one more open hour
    of each lane type would save (their ``used`` counts the background traffic in the lanes too)."""
    a = network.arrays
    nodes, links = network.nodes["id"], network.links["id"]
    link_used = solution.flow.sum(axis=0)
    node_used = np.bincount(a.head, link_used, minlength=a.n_nodes) + np.bincount(
        a.supply_node, solution.production, minlength=a.n_nodes)
    per_node = lambda values: np.bincount(a.supply_node, solution.production * values, minlength=a.n_nodes)  # noqa: E731
    blocks = (  # kind, ids, used, capacity, saved, unit, at
        ("link", links, link_used, a.capacity, solution.link_saved, "loads/day", network.links["to"]),
        ("node", nodes, node_used, a.throughput, solution.node_saved, "loads/day", nodes),
        ("supply", network.supply["node"] + "/" + network.supply["commodity"], solution.production,
         a.supply_capacity, solution.supply_saved, "loads/day", network.supply["node"]),
        ("power", nodes, per_node(a.power_mwh_per_load[a.supply_commodity]), 24.0 * a.power_mw,
         solution.power_saved, "MWh/day", nodes),
        ("water", nodes, per_node(a.water_m3_per_load[a.supply_commodity]), a.water_m3_per_day,
         solution.water_saved, "m3/day", nodes),
    )
    finite = [np.flatnonzero(np.isfinite(b[3])) for b in blocks]
    counts = [len(f) for f in finite]
    lanes = crossings.filter(pl.col("loads_per_day") > 0) if crossings.height else crossings
    lane_ids = lanes["crossing"] + "/" + lanes["lane_type"]
    table = pl.DataFrame({
        "kind": _repeat([b[0] for b in blocks] + ["crossing_lane", "crossing_hour"], counts + [lanes.height] * 2),
        "id": pl.concat([b[1][f] for b, f in zip(blocks, finite, strict=True)] + [lane_ids, lane_ids]),
        "used": np.concatenate([b[2][f] for b, f in zip(blocks, finite, strict=True)]
                               + [(lanes["loads_per_day"] + lanes["background_loads_per_day"]).to_numpy()] * 2),
        "capacity": np.concatenate([b[3][f] for b, f in zip(blocks, finite, strict=True)]
                                   + [lanes["capacity_loads_per_day"]] * 2),
        "load_hours_saved_per_unit": np.concatenate([b[4][f] for b, f in zip(blocks, finite, strict=True)]
                                                    + [lanes["value_of_lane_h"], lanes["value_of_hour_h"]]),
        "unit": _repeat([b[5] for b in blocks] + ["lane", "open h/day"], counts + [lanes.height] * 2),
        "at": pl.concat([b[6][f] for b, f in zip(blocks, finite, strict=True)]
                        + [lanes["crossing"], lanes["crossing"]]),
    })
    return table.with_columns(
        utilisation=pl.when(pl.col("capacity") > 0).then(pl.col("used") / pl.col("capacity")).otherwise(1.0)
    )


def _repeat(values: list[str], counts: list[int]) -> pl.Series:
    """Each of ``values`` repeated ``counts`` times, as a polars string column (numpy's unicode
    arrays convert slowly)."""
    return pl.Series(values, dtype=pl.String)[np.repeat(np.arange(len(values)), counts)]


def bottlenecks_frame(capacities: pl.DataFrame) -> pl.DataFrame:
    """Binding or near-binding capacities of :func:`capacities_frame`, the most valuable first."""
    binding = (pl.col("load_hours_saved_per_unit") > 1e-9) | (
        (pl.col("capacity") > 0) & (pl.col("utilisation") >= NEAR_BINDING))
    # rank on values rounded to 1e-6, so solver noise between equal savings cannot reorder them
    return (
        capacities.filter(binding)
        .sort([pl.col("load_hours_saved_per_unit").round(6), pl.col("utilisation").round(6), "kind", "id"],
              descending=[True, True, False, False])
        .select(BOTTLENECKS_SCHEMA.names())
    )


def unmet_frame(network: Network, solution: Solution, capacities: pl.DataFrame) -> pl.DataFrame:
    """Demand not served, each row with the capacities that ran out on its way (or 'no route');
    ``capacities`` is :func:`capacities_frame` of the same solution."""
    a = network.arrays
    rows = np.flatnonzero(solution.unmet > 1e-9)
    if len(rows) == 0:
        return UNMET_SCHEMA.to_frame()
    bottlenecks = bottlenecks_frame(capacities).join(capacities.select("kind", "id", "at"), on=["kind", "id"],
                                                     how="left")
    import networkx as nx

    graph = network.graph
    demand = network.demand
    reasons = []
    for row in rows:
        market, commodity = demand["node"][int(row)], demand["commodity"][int(row)]
        suppliers = network.supply.filter(pl.col("commodity") == commodity)["node"].to_list()
        upstream = nx.ancestors(graph, market) | {market}
        downstream = set().union(*(nx.descendants(graph, s) | {s} for s in suppliers)) if suppliers else set()
        relevant = upstream & downstream
        reasons.append(_reason(bottlenecks, relevant, commodity))
    return pl.DataFrame({
        "market": demand["node"][rows], "commodity": demand["commodity"][rows],
        "demand_loads_per_day": a.demand_loads[rows], "unmet_loads_per_day": solution.unmet[rows],
        "reason": reasons,
    }, schema=UNMET_SCHEMA)


def _reason(bottlenecks: pl.DataFrame, relevant: set[str], commodity: str) -> str:
    if not relevant:
        return f"no route from any supplier of {commodity}"
    supply_of_other = (pl.col("kind") == "supply") & ~pl.col("id").str.ends_with("/" + commodity)
    hits = bottlenecks.filter(pl.col("at").is_in(list(relevant)) & ~supply_of_other
                              & (pl.col("load_hours_saved_per_unit") > 1e-9)).head(TOP_REASONS)
    if hits.height == 0:
        return "capacity ran out upstream (no single binding capacity identified)"
    parts = [f"{k} {i} ({u:.0f}/{c:.0f} {unit})" for k, i, u, c, unit in
             hits.select("kind", "id", "used", "capacity", "unit").iter_rows()]
    return "capacity ran out: " + "; ".join(parts)
