"""Exports of a network: a GeoJSON map and a short text-free summary frame."""

from __future__ import annotations

from typing import Any

import polars as pl

from networks.network import Network


def to_geojson(network: Network) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: a Point per node and a line per link, with all their columns
    as properties (lon/lat order, as GeoJSON wants). A link whose shorter way round crosses the
    antimeridian (an ocean leg across the Pacific) is a MultiLineString cut at +-180 degrees
    (RFC 7946, 3.1.9), so that maps do not draw it across the other continents."""
    nodes = network.nodes
    coords = _coordinates(network)
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": coords[row["id"]]},
         "properties": {"feature": "node", **row}}
        for row in nodes.iter_rows(named=True)
    ]
    features += [
        {"type": "Feature", "geometry": line_geometry(coords[row["from"]], coords[row["to"]]),
         "properties": {"feature": "link", **row}}
        for row in network.links.iter_rows(named=True)
    ]
    return {"type": "FeatureCollection", "name": network.name, "features": features}


def flows_geojson(network: Network, flows: pl.DataFrame) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of solved flows: one line per link that carries loads, with
    ``link``, ``from``, ``to``, ``mode``, ``loads_per_day`` (all commodities) and
    ``<commodity>_loads_per_day`` for each commodity on it. ``flows`` has the columns of a
    result's ``flows`` frame (``link``, ``commodity``, ``loads_per_day``)."""
    coords = _coordinates(network)
    links = network.links.select("id", "from", "to", "mode")
    per_link = (flows.group_by("link", maintain_order=True)
                .agg(pl.col("loads_per_day").sum().alias("total"), pl.col("commodity"), pl.col("loads_per_day"))
                .join(links, left_on="link", right_on="id", how="inner").sort("link"))
    features = []
    for row in per_link.iter_rows(named=True):
        by_commodity = {f"{k}_loads_per_day": v for k, v in zip(row["commodity"], row["loads_per_day"], strict=True)}
        features.append({
            "type": "Feature", "geometry": line_geometry(coords[row["from"]], coords[row["to"]]),
            "properties": {"feature": "flow", "link": row["link"], "from": row["from"], "to": row["to"],
                           "mode": row["mode"], "loads_per_day": row["total"], **by_commodity}})
    return {"type": "FeatureCollection", "name": f"{network.name} flows", "features": features}


def line_geometry(start: list[float], end: list[float]) -> dict[str, Any]:
    """A LineString from ``start`` to ``end`` ([lon, lat]), or a MultiLineString of two parts cut at
    the antimeridian when the shorter way round crosses it (longitudes more than 180 apart).

    Example
    -------
    >>> line_geometry([170.0, 10.0], [-170.0, 20.0])["coordinates"]
    [[[170.0, 10.0], [180.0, 15.0]], [[-180.0, 15.0], [-170.0, 20.0]]]
    """
    (lon1, lat1), (lon2, lat2) = start, end
    if abs(lon2 - lon1) <= 180.0:
        return {"type": "LineString", "coordinates": [start, end]}
    edge = 180.0 if lon1 > lon2 else -180.0  # eastward across +180, or westward across -180
    unwrapped = lon2 + 2 * edge
    lat = lat1 + (edge - lon1) / (unwrapped - lon1) * (lat2 - lat1)
    return {"type": "MultiLineString", "coordinates": [[start, [edge, lat]], [[-edge, lat], end]]}


def _coordinates(network: Network) -> dict[str, list[float]]:
    return {row[0]: [row[2], row[1]] for row in network.nodes.select("id", "lat", "lon").iter_rows()}


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
