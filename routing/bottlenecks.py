"""Which capacities bind, what one more unit of each is worth, and why demand goes unmet."""

from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl

from networks import Network
from routing.crossings import crossings_frame
from routing.lp import Weights
from routing.result import BOTTLENECKS_SCHEMA, UNMET_SCHEMA
from routing.status import Solution

NEAR_BINDING = 0.99  # utilisation from which a capacity is reported even without a dual value
TOP_REASONS = 3


def capacities_frame(network: Network, solution: Solution) -> pl.DataFrame:
    """Every finite capacity with its use and saving, plus the node it sits at (``at``); queued
    crossings add what one more lane and one more open hour of each lane type would save."""
    a = network.arrays
    nodes, links = network.nodes["id"], network.links["id"]
    link_used = solution.flow.sum(axis=0)
    node_used = np.bincount(a.head, link_used, minlength=a.n_nodes) + np.bincount(
        a.supply_node, solution.production, minlength=a.n_nodes)
    power_used = np.bincount(a.supply_node, solution.production * a.power_mwh_per_load[a.supply_commodity], minlength=a.n_nodes)
    water_used = np.bincount(a.supply_node, solution.production * a.water_m3_per_load[a.supply_commodity], minlength=a.n_nodes)
    supply_ids = network.supply["node"] + "/" + network.supply["commodity"]
    blocks = [
        ("link", links, link_used, a.capacity, solution.link_saved, "loads/day", network.links["to"]),
        ("node", nodes, node_used, a.throughput, solution.node_saved, "loads/day", nodes),
        ("supply", supply_ids, solution.production, a.supply_capacity, solution.supply_saved, "loads/day",
         network.supply["node"]),
        ("power", nodes, power_used, 24.0 * a.power_mw, solution.power_saved, "MWh/day", nodes),
        ("water", nodes, water_used, a.water_m3_per_day, solution.water_saved, "m3/day", nodes),
    ]
    frames = [
        pl.DataFrame({"kind": kind, "id": ids, "used": used, "capacity": cap, "load_hours_saved_per_unit": saved,
                      "unit": unit, "at": at}).filter(pl.col("capacity").is_finite())
        for kind, ids, used, cap, saved, unit, at in blocks
    ]
    lanes = crossings_frame(network, solution).filter(pl.col("loads_per_day") > 0)
    for kind, value, unit in (("crossing_lane", "value_of_lane_h", "lane"), ("crossing_hour", "value_of_hour_h", "open h/day")):
        frames.append(lanes.select(
            kind=pl.lit(kind), id=pl.col("crossing") + "/" + pl.col("lane_type"), used=pl.col("loads_per_day"),
            capacity=pl.col("capacity_loads_per_day"), load_hours_saved_per_unit=pl.col(value), unit=pl.lit(unit),
            at=pl.col("crossing")))
    return pl.concat(frames).with_columns(
        utilisation=pl.when(pl.col("capacity") > 0).then(pl.col("used") / pl.col("capacity")).otherwise(1.0)
    )


def bottlenecks_frame(network: Network, solution: Solution) -> pl.DataFrame:
    """Binding or near-binding capacities, the most valuable first."""
    table = capacities_frame(network, solution)
    binding = (pl.col("load_hours_saved_per_unit") > 1e-9) | (
        (pl.col("capacity") > 0) & (pl.col("utilisation") >= NEAR_BINDING))
    # rank on values rounded to 1e-6, so solver noise between equal savings cannot reorder them
    return (
        table.filter(binding)
        .sort([pl.col("load_hours_saved_per_unit").round(6), pl.col("utilisation").round(6), "kind", "id"],
              descending=[True, True, False, False])
        .select(BOTTLENECKS_SCHEMA.names())
    )


def unmet_frame(network: Network, solution: Solution, weights: Weights) -> pl.DataFrame:
    """Demand not served, each row with the capacities that ran out on its way (or 'no route')."""
    a = network.arrays
    rows = np.flatnonzero(solution.unmet > 1e-9)
    if len(rows) == 0:
        return UNMET_SCHEMA.to_frame()
    bottlenecks = bottlenecks_frame(network, solution).join(
        capacities_frame(network, solution).select("kind", "id", "at"), on=["kind", "id"], how="left")
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
        "market": demand["node"].gather(rows), "commodity": demand["commodity"].gather(rows),
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
