"""Lanes: the solved flows as supplier-to-market paths, with each lane's lead-time waterfall."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import polars as pl

from networks import KINDS, MODES, Network, NetworkArrays, NodeKind
from routing.formulation.solution import Solution
from routing.results.crossings import wait_by_commodity_and_node
from routing.results.decompose import Paths, decompose_flow
from routing.results.schemas import FLOWS_SCHEMA, LANES_SCHEMA, WATERFALL


def flows_frame(network: Network, solution: Solution) -> pl.DataFrame:
    """Positive flows per link and commodity."""
    k_idx, a_idx = np.nonzero(solution.flow > 1e-9)
    links = network.links
    return pl.DataFrame({
        "link": links["id"][a_idx], "from": links["from"][a_idx], "to": links["to"][a_idx],
        "commodity": network.commodities["id"][k_idx], "loads_per_day": solution.flow[k_idx, a_idx],
    }, schema=FLOWS_SCHEMA)


def decompose_solution(arrays: NetworkArrays, solution: Solution) -> list[Paths]:
    """One set of supplier-to-market paths per commodity."""
    n = arrays.n_nodes
    served = arrays.demand_loads - solution.unmet
    paths = []
    for k in range(arrays.n_commodities):
        at_k = arrays.supply_commodity == k
        source = np.bincount(arrays.supply_node[at_k], solution.production[at_k], minlength=n)
        demand_k = arrays.demand_commodity == k
        sink = np.bincount(arrays.demand_node[demand_k], served[demand_k], minlength=n)
        paths.append(decompose_flow(arrays.tail, arrays.head, solution.flow[k], source, sink))
    return paths


def lanes_frame(network: Network, solution: Solution) -> pl.DataFrame:
    """One row per used path, with its lead time split into the waterfall legs.

    All commodities' paths are handled at once: per-leg hours are weighted bincounts over the
    flat arc list, and route strings come from one polars group-by. Ids are picked with numpy
    index arrays (``series[idx]``, 3x cheaper than ``Series.gather``).
    """
    arrays = network.arrays
    per_commodity = decompose_solution(arrays, solution)
    commodity = np.repeat(np.arange(arrays.n_commodities), [len(p) for p in per_commodity])
    paths = concat_paths(per_commodity)
    n_paths = len(paths)
    path_of_arc = np.repeat(np.arange(n_paths), np.diff(paths.start))
    arcs = paths.arcs

    legs = dict.fromkeys(WATERFALL)
    by_mode = _bincount_2d(path_of_arc, arrays.mode[arcs], arrays.transit_h[arcs], n_paths, len(MODES))
    for mode, leg in (("ocean", "ocean_h"), ("rail", "rail_h"), ("truck", "truck_h"), ("drayage", "drayage_h")):
        legs[leg] = by_mode[:, MODES.index(mode)]
    # dwell: the first node of each path, then the head of every arc
    dwell_node = np.concatenate([paths.origin, arrays.head[arcs]])
    dwell_path = np.concatenate([np.arange(n_paths), path_of_arc])
    group = _DWELL_GROUP[arrays.kind[dwell_node]]
    by_group = _bincount_2d(dwell_path, group, arrays.dwell_h[dwell_node], n_paths, 3)
    legs["port_dwell_h"], legs["crossing_h"], legs["other_dwell_h"] = by_group.T
    waits = wait_by_commodity_and_node(network, solution)
    legs["crossing_wait_h"] = np.bincount(path_of_arc, waits[commodity[path_of_arc], arrays.head[arcs]],
                                          minlength=n_paths)
    distance = np.nan_to_num(network.links["distance_km"].to_numpy().astype(np.float64, copy=False))  # blank: 0

    route, links, crossing = _path_texts(network, paths, group == 1)
    lead_time = sum(legs.values())
    # the order of sort(["market", "commodity", "lead_time_h", "origin", "links"]): ids sort as their
    # indices (tables are sorted by id), the links text by its rank; one row per lane, so no ties
    links_rank = np.argsort(np.argsort(np.array(links, dtype=str), kind="stable"), kind="stable")
    order = np.lexsort((links_rank, paths.origin, lead_time, commodity, paths.market))
    pick = order.tolist()
    lanes = pl.DataFrame({
        "origin": network.nodes["id"][paths.origin[order]], "market": network.nodes["id"][paths.market[order]],
        "commodity": network.commodities["id"][commodity[order]], "loads_per_day": paths.amount[order],
        "lead_time_h": lead_time[order], "route": [route[i] for i in pick], "links": [links[i] for i in pick],
        "crossing": [crossing[i] for i in pick], **{leg: values[order] for leg, values in legs.items()},
        "cost_usd_per_load": np.bincount(path_of_arc, arrays.cost_usd[arcs], minlength=n_paths)[order],
        "distance_km": np.bincount(path_of_arc, distance[arcs], minlength=n_paths)[order],
    }, schema=LANES_SCHEMA)
    return lanes


def _path_texts(network: Network, paths: Paths, crosses: np.ndarray) -> tuple[list[str], list[str], list[str]]:
    """Per path: its route (node ids joined by ``>``), its links (link ids joined by ``>``) and the
    crossings it passes (joined by ``,``). ``crosses`` says for each path's origin, then for each
    arc's head, whether that node is a crossing.

    Built with one id gather per column and one ``str.join`` per path and column: on small tables
    this is several times faster than polars' group-by with list joins (its query engine costs
    about a millisecond per collect on a loaded machine)."""
    n_paths, start = len(paths), paths.start
    node_ids = network.nodes["id"][np.concatenate([paths.origin, network.arrays.head[paths.arcs]])].to_list()
    origins, steps = node_ids[:n_paths], node_ids[n_paths:]
    link_ids = network.links["id"][paths.arcs].to_list()
    bounds = list(pairwise(start.tolist()))
    route = [">".join([origin, *steps[lo:hi]]) for origin, (lo, hi) in zip(origins, bounds, strict=True)]
    links = [">".join(link_ids[lo:hi]) for lo, hi in bounds]
    at_origin, at_head = crosses[:n_paths], crosses[n_paths:]
    crossed = np.flatnonzero(at_head)  # positions in the flat arc list, path after path
    passed = [steps[i] for i in crossed.tolist()]
    cut = np.searchsorted(crossed, start).tolist()
    crossing = [",".join(passed[lo:hi]) for lo, hi in pairwise(cut)]
    for p in np.flatnonzero(at_origin).tolist():  # a path that starts at a crossing names it first
        crossing[p] = ",".join([origins[p], *passed[cut[p]:cut[p + 1]]])
    return route, links, crossing


# waterfall group of a node's dwell, by node kind: 0 port dwell, 1 crossing, 2 other dwell
_DWELL_GROUP = np.array([0 if k == NodeKind.SEAPORT else 1 if k == NodeKind.BORDER_CROSSING else 2 for k in KINDS])


def _bincount_2d(row: np.ndarray, column: np.ndarray, weights: np.ndarray, n_rows: int, n_columns: int) -> np.ndarray:
    """Sums of ``weights`` per (row, column), as an (n_rows, n_columns) array."""
    flat = np.bincount(row * n_columns + column, weights, minlength=n_rows * n_columns)
    return flat.reshape(n_rows, n_columns)


def concat_paths(parts: list[Paths]) -> Paths:
    """One :class:`Paths` of several, in order."""
    offsets = np.cumsum([0] + [len(p.arcs) for p in parts])
    return Paths(
        origin=np.concatenate([p.origin for p in parts]),
        market=np.concatenate([p.market for p in parts]),
        amount=np.concatenate([p.amount for p in parts]),
        start=np.concatenate([[0]] + [p.start[1:] + off for p, off in zip(parts, offsets, strict=False)]),
        arcs=np.concatenate([p.arcs for p in parts]),
    )


def lanes_by_market(lanes: pl.DataFrame) -> pl.DataFrame:
    """Per market, the modelled freight's loads and its load-weighted lead time and waterfall legs.

    ``lanes`` has the columns of a result's ``lanes`` frame; the routed background traffic is left
    out. One row per market, sorted by market, with ``loads_per_day``, ``lead_time_h`` and the
    :data:`~routing.results.schemas.WATERFALL` legs (their sum is ``lead_time_h``).

    Example
    -------
    >>> frame = pl.DataFrame({"market": ["M", "M"], "commodity": ["a", "a"], "loads_per_day": [1.0, 3.0],
    ...                       "lead_time_h": [10.0, 20.0], **{leg: [0.0, 0.0] for leg in WATERFALL}})
    >>> lanes_by_market(frame).select("market", "loads_per_day", "lead_time_h").row(0)
    ('M', 4.0, 17.5)
    """
    from networks.schema import BACKGROUND_COMMODITY

    weight = pl.col("loads_per_day")
    mean = lambda column: ((pl.col(column) * weight).sum() / weight.sum()).alias(column)
    return (lanes.filter(pl.col("commodity") != BACKGROUND_COMMODITY).group_by("market")
            .agg(weight.sum(), mean("lead_time_h"), *(mean(leg) for leg in WATERFALL)).sort("market"))
