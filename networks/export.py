"""Exports of a network: a GeoJSON map and a short text-free summary frame."""

from __future__ import annotations

from typing import Any

import polars as pl

from networks.network import Network


def to_geojson(network: Network) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: a Point per node and a LineString per link, with all their
    columns as properties (lon/lat order, as GeoJSON wants)."""
    nodes = network.nodes
    coords = {row[0]: [row[2], row[1]] for row in nodes.select("id", "lat", "lon").iter_rows()}
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": coords[row["id"]]},
         "properties": {"feature": "node", **row}}
        for row in nodes.iter_rows(named=True)
    ]
    features += [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [coords[row["from"]], coords[row["to"]]]},
         "properties": {"feature": "link", **row}}
        for row in network.links.iter_rows(named=True)
    ]
    return {"type": "FeatureCollection", "name": network.name, "features": features}


def summarize(network: Network) -> dict[str, pl.DataFrame]:
    """Counts and capacities: nodes by kind, links by mode, supply and demand by commodity."""
    nodes = network.nodes.group_by("kind").agg(
        nodes=pl.len(), throughput_loads_per_day=_total("throughput_loads_per_day"),
        unlimited=pl.col("throughput_loads_per_day").is_null().sum(),
        power_mw=_total("power_mw"), water_m3_per_day=_total("water_m3_per_day"),
    ).sort("kind")
    links = network.links.group_by("mode").agg(
        links=pl.len(), capacity_loads_per_day=_total("capacity_loads_per_day"),
        unlimited=pl.col("capacity_loads_per_day").is_null().sum(),
        mean_transit_h=pl.col("transit_h").mean(),
    ).sort("mode")
    supply = network.supply.group_by("commodity").agg(supply_loads_per_day=pl.col("capacity_loads_per_day").sum())
    demand = network.demand.group_by("commodity").agg(demand_loads_per_day=pl.col("loads_per_day").sum())
    commodities = network.commodities.select("id", "name").rename({"id": "commodity"}).join(
        supply, on="commodity", how="left").join(demand, on="commodity", how="left")
    return {"nodes": nodes, "links": links, "commodities": commodities}


def _total(column: str) -> pl.Expr:
    """Sum of the given values; empty (not 0) when every value is empty, i.e. unlimited."""
    return pl.when(pl.col(column).is_not_null().any()).then(pl.col(column).sum())
