"""The fastest path between two nodes: what a planner means by "how long does it take".

The lead time of a path is the sum of its links' ``transit_h`` plus the ``dwell_h`` of every node
on it, first and last included (as in the LP). Closed items (a link of capacity 0, a node of
throughput 0) carry nothing and are left out. Queue waits at crossings depend on the traffic and
are not part of it: the solved lanes carry them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from networks import KINDS, MODES, InputError, Network
from networks.errors import Problem
from networks.schema import NodeKind
from routing.results.schemas import WATERFALL

_MODE_LEG = {"ocean": "ocean_h", "rail": "rail_h", "truck": "truck_h", "drayage": "drayage_h"}


@dataclass(frozen=True, slots=True)
class FastestRoute:
    """The fastest open path from ``origin`` to ``market`` and its waterfall (hours per leg type,
    summing to ``lead_time_h``); ``nodes`` and ``links`` are ids in path order."""

    origin: str
    market: str
    lead_time_h: float
    nodes: tuple[str, ...]
    links: tuple[str, ...]
    waterfall: dict[str, float] = field(default_factory=dict)


def fastest_route(network: Network, origin: str, market: str) -> FastestRoute | None:
    """The fastest open path from ``origin`` to ``market`` (Dijkstra on dwell + transit), or None.

    Parameters
    ----------
    network
        A validated network (apply closures first: closed items are skipped).
    origin, market
        Node ids (any kind).

    Returns
    -------
    FastestRoute or None
        None when no open path joins them.

    Raises
    ------
    InputError
        An id that is no node of the network.

    Example
    -------
    >>> from networks import read_network
    >>> route = fastest_route(read_network(), "MX_MTY", "US_CHI")
    >>> route.nodes[0], route.nodes[-1], round(sum(route.waterfall.values()) - route.lead_time_h, 9)
    ('MX_MTY', 'US_CHI', 0.0)
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    a = network.arrays
    ids = network.nodes["id"].to_list()
    index = {ident: i for i, ident in enumerate(ids)}
    unknown = [Problem(label, f"no node has the id {ident!r} (nearshore nodes --search lists them)")
               for label, ident in (("ORIGIN", origin), ("MARKET", market)) if ident not in index]
    if unknown:
        raise InputError(unknown)
    source, target = index[origin], index[market]
    open_node = ~(a.throughput <= 0)
    if not (open_node[source] and open_node[target]):
        return None
    weight = a.transit_h + a.dwell_h[a.head]
    usable = np.flatnonzero(~(a.capacity <= 0) & open_node[a.tail] & open_node[a.head])
    # the fastest link of each (tail, head) pair, ties to the smaller link index (ids are sorted)
    order = usable[np.lexsort((usable, weight[usable], a.head[usable], a.tail[usable]))]
    pair = a.tail[order] * a.n_nodes + a.head[order]
    best = order[np.r_[True, pair[1:] != pair[:-1]]] if len(order) else order
    # csgraph drops explicit zeros of a sparse matrix: shift every weight by a constant per edge
    # would change path choice, so zero-weight edges get the smallest positive float instead
    graph = csr_matrix((np.maximum(weight[best], np.finfo(float).tiny), (a.tail[best], a.head[best])),
                       shape=(a.n_nodes, a.n_nodes))
    dist, pred = dijkstra(graph, indices=source, return_predecessors=True)
    if not np.isfinite(dist[target]):
        return None
    path = [target]
    while path[-1] != source:
        path.append(int(pred[path[-1]]))
    path.reverse()
    link_of = {(int(a.tail[i]), int(a.head[i])): int(i) for i in best}
    arcs = np.array([link_of[pair] for pair in pairwise(path)], dtype=np.int64)
    waterfall = path_waterfall(network, np.array(path), arcs)
    return FastestRoute(origin, market, float(sum(waterfall.values())), tuple(ids[i] for i in path),
                        tuple(network.links["id"][arcs].to_list()), waterfall)


def path_waterfall(network: Network, nodes: np.ndarray, arcs: np.ndarray) -> dict[str, float]:
    """Hours of a path per waterfall leg: transit by mode; dwell at seaports (``port_dwell_h``), at
    border crossings (``crossing_h``) and elsewhere (``other_dwell_h``); no queue wait."""
    a = network.arrays
    legs = dict.fromkeys(WATERFALL, 0.0)
    for mode, leg in _MODE_LEG.items():
        legs[leg] = float(a.transit_h[arcs][a.mode[arcs] == MODES.index(mode)].sum())
    for node in nodes:
        kind = KINDS[a.kind[node]]
        leg = "port_dwell_h" if kind == NodeKind.SEAPORT else "crossing_h" if kind == NodeKind.BORDER_CROSSING \
            else "other_dwell_h"
        legs[leg] += float(a.dwell_h[node])
    return legs
