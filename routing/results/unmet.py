"""Why demand goes unmet: the binding capacities on the way from a commodity's suppliers to a market,
found for every unmet row at once in time linear in the network (plus a sort).

A capacity explains an unmet row (market ``m``, commodity ``k``) when the node it sits at lies on
some path from a supplier of ``k`` to ``m``: reachable from a supplier of ``k`` and reaching ``m``.
Each row's reason names the first :data:`TOP_REASONS` such capacities in the bottleneck order
(supply rows of other commodities and capacities that save nothing left out), else says that no
supplier of ``k`` reaches ``m`` or that no single binding capacity was found.

The old path walked the graph with networkx once per row and supplier. Here the graph is
condensed once (scipy's strongly connected components, then the components' levels in
topological order); per commodity, what its suppliers reach is pushed forward through those
levels (a breadth-first search, one vectorised step per level), and then the ranks of the
capacities, each component keeping the :data:`TOP_REASONS` best ranks of everything upstream of
it (the best few of a union are the best few of the parts' best few). Rows that end up with the
same ranks share one reason text.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import sparse
from scipy.sparse import csgraph

from networks import Network
from routing.formulation.flowgraph import group_order

TOP_REASONS = 3
NO_GAIN = 1e-9  # a capacity that saves at most this explains nothing


def unmet_reasons(network: Network, rows: np.ndarray, bottlenecks: pl.DataFrame) -> list[str]:
    """The reason of each demand row in ``rows`` (positions in ``network.demand``).

    ``bottlenecks`` is the bottleneck frame in its reported order, with the node each capacity sits
    at (``at``).
    """
    a = network.arrays
    market, goods = a.demand_node[rows], a.demand_commodity[rows]
    names = network.commodities["id"].to_list()  # commodity k is the k-th id in sorted order
    # numpy and plain indexing, not polars expressions: each expression is a query (about 0.1-1 ms
    # on a loaded machine), and these columns have a few hundred rows
    served, value = (bottlenecks[c].to_numpy() for c in ("loads_served_per_unit", "value_per_unit"))  # null: NaN
    placed = bottlenecks["at"]
    gain = (served > NO_GAIN) | (value > NO_GAIN)
    useful = np.flatnonzero(gain & ~placed.is_null().to_numpy() if placed.null_count() else gain)  # rank = position
    at = _node_index(network, placed[useful])  # a capacity at no node explains no row
    rank = np.arange(len(useful), dtype=np.int64)
    supply_rows = np.flatnonzero((bottlenecks["kind"][useful] == "supply").to_numpy())
    supply_ids = bottlenecks["id"][useful[supply_rows]].to_list()
    first, heads = _adjacency(a.tail, a.head, a.n_nodes)
    n_comp, components, level_arcs = _condensed(first, heads)
    reached_market = np.zeros(len(rows), dtype=bool)
    found = np.full((len(rows), TOP_REASONS), -1, dtype=np.int64)
    for k in np.unique(goods):
        mine = goods == k
        reached = _reached(n_comp, components, level_arcs, a.supply_node[a.supply_commodity == k])
        keep = reached[at]
        other = np.array([not i.endswith("/" + names[k]) for i in supply_ids], dtype=bool)  # another's supply
        keep[supply_rows[other]] = False
        best = _best_upstream(n_comp, components, level_arcs, at[keep], rank[keep])
        reached_market[mine] = reached[market[mine]]
        found[mine] = best[components[market[mine]]]
    return _reasons(bottlenecks, useful, reached_market, found, goods, names)


def _node_index(network: Network, ids: pl.Series) -> np.ndarray:
    """The positions of node ``ids`` in the nodes table (sorted by id: a binary search)."""
    nodes = network.nodes["id"]
    at = nodes.search_sorted(ids).to_numpy().astype(np.int64)
    if len(at) and not (at.max() < len(nodes) and (nodes[at] == ids).all()):
        raise ValueError("unmet_reasons: a bottleneck sits at a node the network does not have")
    return at


def _reasons(bottlenecks: pl.DataFrame, useful: np.ndarray, reached: np.ndarray, found: np.ndarray,
             goods: np.ndarray, names: list[str]) -> list[str]:
    """Each row's text, written once per distinct (reached, commodity, ranks found) and shared;
    ranks are positions in ``useful`` (rows of ``bottlenecks``)."""
    distinct, inverse = np.unique(np.column_stack([reached, goods, found]), axis=0, return_inverse=True)
    ranks = np.unique(found[found >= 0])
    chosen = (bottlenecks[c][useful[ranks]].to_list() for c in ("kind", "id", "used", "capacity", "unit"))
    parts = {int(r): f"{k} {i} ({u:.0f}/{c:.0f} {unit})" for r, k, i, u, c, unit in zip(ranks, *chosen, strict=True)}
    texts = [_reason(bool(key[0]), key[2:], parts, names[int(key[1])]) for key in distinct]
    return [texts[i] for i in inverse.reshape(-1)]


def _reason(reached: bool, best: np.ndarray, parts: dict[int, str], commodity: str) -> str:
    if not reached:
        return f"no route from any supplier of {commodity}"
    found = best[best >= 0]
    if len(found) == 0:
        return "capacity ran out upstream (no single binding capacity identified)"
    return "capacity ran out: " + "; ".join(parts[int(r)] for r in found)


def _reached(n_comp: int, components: np.ndarray, level_arcs: list[tuple[np.ndarray, np.ndarray]],
             sources: np.ndarray) -> np.ndarray:
    """Which nodes some node of ``sources`` reaches (the sources included): their components,
    then every component entered from a reached one, level by level in topological order (so
    the whole breadth-first search is one vectorised step per level of the condensed graph)."""
    reached = np.zeros(n_comp, dtype=bool)
    reached[components[sources]] = True
    for tails, heads in level_arcs:
        reached[heads[reached[tails]]] = True
    return reached[components]


def _adjacency(tail: np.ndarray, head: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """The graph in canonical CSR form (row starts, heads): arcs sorted by tail then head, parallel
    arcs once. Two radix sorts; scipy then finds the indices sorted and skips its own sort."""
    order = group_order(head, n_nodes)
    order = order[group_order(tail[order], n_nodes)]
    tail, head = tail[order], head[order]
    distinct = np.ones(len(tail), dtype=bool)
    distinct[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    tail, head = tail[distinct], head[distinct]
    return np.searchsorted(tail, np.arange(n_nodes + 1)).astype(np.int32), head.astype(np.int32)


def _condensed(first: np.ndarray, heads: np.ndarray) -> tuple[int, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """The number of strongly connected components, the component of each node, and, level by
    level in topological order (a component's level is its longest path from a component without
    predecessors), the arcs (tail component, head component) that enter the level."""
    n_nodes = len(first) - 1
    graph = sparse.csr_matrix((np.ones(len(heads), dtype=np.int8), heads, first), shape=(n_nodes, n_nodes))
    n_comp, components = csgraph.connected_components(graph, directed=True, connection="strong")
    ct, ch = components[np.repeat(np.arange(n_nodes), np.diff(first))], components[heads]
    between = ct != ch
    ct, ch = ct[between], ch[between]
    by_tail = group_order(ct, n_comp)
    ct, ch = ct[by_tail], ch[by_tail]
    first = np.searchsorted(ct, np.arange(n_comp + 1))
    waiting = np.bincount(ch, minlength=n_comp)
    level = np.zeros(n_comp, dtype=np.int64)
    frontier = np.flatnonzero(waiting == 0)
    depth, starts0 = 0, np.zeros(0, dtype=np.int64)
    while len(frontier):
        level[frontier] = depth
        counts = first[frontier + 1] - first[frontier]
        arcs = np.repeat(first[frontier] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        targets = ch[arcs]
        ordered = np.sort(targets)
        starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]])) if len(ordered) else starts0
        entered = ordered[starts]
        waiting[entered] -= np.diff(np.append(starts, len(ordered)))
        frontier = entered[waiting[entered] == 0]
        depth += 1
    by_level = group_order(level[ch], depth)
    arc_level = level[ch][by_level]
    bounds = np.searchsorted(arc_level, np.arange(depth + 1))
    level_arcs = [(ct[by_level[bounds[d]:bounds[d + 1]]], ch[by_level[bounds[d]:bounds[d + 1]]]) for d in range(depth)]
    return n_comp, components, level_arcs


def _best_upstream(n_comp: int, components: np.ndarray, level_arcs: list[tuple[np.ndarray, np.ndarray]],
                   at: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Per component, the :data:`TOP_REASONS` smallest ranks of the capacities at it or upstream
    of it (``-1`` pads where there are fewer)."""
    best = np.full((n_comp, TOP_REASONS), -1, dtype=np.int64)
    _keep_best(best, components[at], rank)  # each component's own capacities
    for tails, heads in level_arcs:
        live = best[tails, 0] >= 0  # only arcs from components with a capacity upstream change anything
        tails, heads = tails[live], heads[live]
        if len(tails) == 0:
            continue
        entered = _sorted_unique(heads)
        keys = np.concatenate([np.repeat(heads, TOP_REASONS), np.repeat(entered, TOP_REASONS)])
        values = np.concatenate([best[tails].ravel(), best[entered].ravel()])  # upstream and own
        _keep_best(best, keys, values)
    return best


def _keep_best(best: np.ndarray, keys: np.ndarray, values: np.ndarray) -> None:
    """Set ``best[key]`` to the :data:`TOP_REASONS` smallest distinct non-negative values given
    for that key (rows of keys not given are left as they are)."""
    valid = values >= 0
    keys, values = keys[valid], values[valid]
    if len(keys) == 0:
        return
    width = int(values.max()) + 1
    unique = _sorted_unique(keys.astype(np.int64) * width + values)  # by key, then value; no repeats
    keys, values = unique // width, unique % width
    start = np.searchsorted(keys, keys, side="left")
    slot = np.arange(len(keys)) - start
    top = slot < TOP_REASONS
    best[keys[slot == 0]] = -1
    best[keys[top], slot[top]] = values[top]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (numpy's ``unique`` hashes first, which is slower here)."""
    ordered = np.sort(values)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if len(ordered) else ordered
