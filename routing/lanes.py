"""Lanes: the solved flows as supplier-to-market paths, with each lane's lead-time waterfall."""

from __future__ import annotations

import numpy as np
import polars as pl

from networks import KINDS, MODES, Network, NetworkArrays, NodeKind
from routing.crossings import wait_by_commodity_and_node
from routing.decompose import Paths, decompose_flow
from routing.result import FLOWS_SCHEMA, LANES_SCHEMA, WATERFALL
from routing.status import Solution


def flows_frame(network: Network, solution: Solution) -> pl.DataFrame:
    """Positive flows per link and commodity."""
    k_idx, a_idx = np.nonzero(solution.flow > 1e-9)
    links = network.links
    return pl.DataFrame({
        "link": links["id"].gather(a_idx), "from": links["from"].gather(a_idx), "to": links["to"].gather(a_idx),
        "commodity": network.commodities["id"].gather(k_idx), "loads_per_day": solution.flow[k_idx, a_idx],
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
    """One row per used path, with its lead time split into the waterfall legs."""
    arrays = network.arrays
    waits = wait_by_commodity_and_node(network, solution)
    frames = [_lanes_of(network, arrays, paths, k, waits[k])
              for k, paths in enumerate(decompose_solution(arrays, solution))]
    lanes = pl.concat([LANES_SCHEMA.to_frame(), *frames])
    keys = ["origin", "market", "commodity", "links"]
    firsts = [c for c in LANES_SCHEMA.names() if c not in keys and c != "loads_per_day"]
    lanes = lanes.group_by(keys, maintain_order=True).agg(pl.col("loads_per_day").sum(), pl.col(firsts).first())
    return lanes.select(LANES_SCHEMA.names()).sort(["market", "commodity", "lead_time_h", "origin", "links"])


def _join_by_path(values: pl.Series, path: np.ndarray, n_paths: int) -> pl.Series:
    """Join each path's values with '>' (``path`` is sorted)."""
    joined = pl.DataFrame({"path": path, "value": values}).group_by("path", maintain_order=True).agg(
        pl.col("value").str.join(">"))
    full = pl.DataFrame({"path": np.arange(n_paths)}).join(joined, on="path", how="left")
    return full["value"].fill_null("")


def _lanes_of(network: Network, arrays: NetworkArrays, paths: Paths, k: int, wait_at: np.ndarray) -> pl.DataFrame:
    n_paths = len(paths)
    path_of_arc = np.repeat(np.arange(n_paths), np.diff(paths.start))
    arcs = paths.arcs
    legs = {leg: np.zeros(n_paths) for leg in WATERFALL}
    for mode, leg in ((MODES.index("ocean"), "ocean_h"), (MODES.index("rail"), "rail_h"),
                      (MODES.index("truck"), "truck_h"), (MODES.index("drayage"), "drayage_h")):
        on = arrays.mode[arcs] == mode
        legs[leg] += np.bincount(path_of_arc[on], arrays.transit_h[arcs[on]], minlength=n_paths)
    # node dwell: the first node of each path, then the head of every arc
    dwell_node = np.concatenate([paths.origin, arrays.head[arcs]])
    dwell_path = np.concatenate([np.arange(n_paths), path_of_arc])
    kind = arrays.kind[dwell_node]
    for leg, kinds in (("port_dwell_h", (NodeKind.SEAPORT,)), ("crossing_h", (NodeKind.BORDER_CROSSING,)),
                       ("other_dwell_h", tuple(k for k in KINDS if k not in (NodeKind.SEAPORT, NodeKind.BORDER_CROSSING)))):
        on = np.isin(kind, [KINDS.index(x) for x in kinds])
        legs[leg] += np.bincount(dwell_path[on], arrays.dwell_h[dwell_node[on]], minlength=n_paths)
    legs["crossing_wait_h"] += np.bincount(path_of_arc, wait_at[arrays.head[arcs]], minlength=n_paths)
    node_ids = network.nodes["id"]
    distance = network.links["distance_km"].fill_null(0.0).to_numpy()
    order = np.argsort(dwell_path, kind="stable")  # origin first, then arcs in path order
    route_nodes = pl.DataFrame({
        "path": dwell_path[order], "node": node_ids.gather(dwell_node[order]),
        "is_crossing": kind[order] == KINDS.index(NodeKind.BORDER_CROSSING),
    })
    grouped = route_nodes.group_by("path", maintain_order=True).agg(
        route=pl.col("node").str.join(">"), crossing=pl.col("node").filter(pl.col("is_crossing")).str.join(",")
    )
    total = sum(legs.values())
    return pl.DataFrame({
        "origin": node_ids.gather(paths.origin), "market": node_ids.gather(paths.market),
        "commodity": pl.Series([network.commodities["id"][k]] * n_paths, dtype=pl.String),
        "loads_per_day": paths.amount, "lead_time_h": total,
        "route": grouped["route"] if n_paths else pl.Series([], dtype=pl.String),
        "links": _join_by_path(network.links["id"].gather(arcs), path_of_arc, n_paths),
        "crossing": grouped["crossing"] if n_paths else pl.Series([], dtype=pl.String),
        **legs,
        "cost_usd_per_load": np.bincount(path_of_arc, arrays.cost_usd[arcs], minlength=n_paths),
        "distance_km": np.bincount(path_of_arc, distance[arcs], minlength=n_paths),
    }, schema=LANES_SCHEMA)
