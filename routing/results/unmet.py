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
from networks.arrays import index_of
from routing.formulation.flowgraph import group_order

TOP_REASONS = 3
NO_GAIN = 1e-9  # a capacity that saves at most this explains nothing


def unmet_reasons(network: Network, rows: np.ndarray, bottlenecks: pl.DataFrame) -> list[str]:
    """The reason of each demand row in ``rows`` (positions in ``network.demand``).

    ``bottlenecks`` is the bottleneck frame in its reported order, with the node each capacity sits
    at (``at``, and ``at_node``, its position, when the frame has it: no id lookup then).
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
    at = (bottlenecks["at_node"].to_numpy()[useful] if "at_node" in bottlenecks.columns  # the binding frame's
          else index_of(network.nodes["id"], placed[useful]))  # a capacity at no node explains no row
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
        reached_market[mine] = reached[market[mine]]
        found[mine] = _best_upstream(n_comp, components, level_arcs, at[keep], rank[keep], components[market[mine]])
    return _reasons(bottlenecks, useful, reached_market, found, goods, names)


def _reasons(bottlenecks: pl.DataFrame, useful: np.ndarray, reached: np.ndarray, found: np.ndarray,
             goods: np.ndarray, names: list[str]) -> list[str]:
    """Each row's text, written once per distinct (reached, commodity, ranks found) and shared;
    ranks are positions in ``useful`` (rows of ``bottlenecks``)."""
    distinct, inverse = _distinct_rows(np.column_stack([reached, goods, found + 1]))
    ranks = np.unique(found[found >= 0])
    chosen = (bottlenecks[c][useful[ranks]].to_list() for c in ("kind", "id", "used", "capacity", "unit"))
    parts = {int(r): f"{k} {i} ({u:.0f}/{c:.0f} {unit})" for r, k, i, u, c, unit in zip(ranks, *chosen, strict=True)}
    texts = [_reason(bool(key[0]), key[2:] - 1, parts, names[int(key[1])]) for key in distinct]
    return [texts[i] for i in inverse.reshape(-1)]


def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` for non-negative integer rows, by one 1-D
    unique of the rows read as mixed-radix numbers when they fit in int64 (the ``axis=0`` form sorts
    a structured view: 10x slower on a few hundred rows)."""
    radix = rows.max(axis=0, initial=0).astype(np.int64) + 1
    if len(rows) == 0 or float(np.prod(radix.astype(np.float64))) >= 2.0**62:
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
        return distinct, inverse.reshape(-1)
    place = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]])  # the first column most significant
    _, first, inverse = np.unique(rows @ place, return_index=True, return_inverse=True)
    return rows[first], inverse.reshape(-1)


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
    if n_comp == n_nodes:  # no cycle: each node its own component, numbered as the nodes (arcs stay sorted)
        components, ct, ch = np.arange(n_nodes, dtype=np.int32), np.repeat(np.arange(n_nodes), np.diff(first)), heads
    else:
        ct, ch = components[np.repeat(np.arange(n_nodes), np.diff(first))], components[heads]
        between = ct != ch
        ct, ch = ct[between], ch[between]
        by_tail = group_order(ct, n_comp)
        ct, ch = ct[by_tail], ch[by_tail]
        first = np.searchsorted(ct, np.arange(n_comp + 1))
    waiting = np.bincount(ch, minlength=n_comp)
    level = np.zeros(n_comp, dtype=np.int64)
    frontier = np.flatnonzero(waiting == 0)
    depth = 0
    while len(frontier):
        level[frontier] = depth
        counts = first[frontier + 1] - first[frontier]
        arcs = np.repeat(first[frontier] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        entering = np.bincount(ch[arcs], minlength=n_comp)  # a count per component: no sort of the arcs
        waiting -= entering
        frontier = np.flatnonzero((entering > 0) & (waiting == 0))
        depth += 1
    topological = np.empty(n_comp, dtype=np.int64)  # each component's place by level, then by number
    topological[group_order(level, depth)] = np.arange(n_comp)
    by_level = group_order(topological[ch], n_comp)  # the arcs by level, then by head component
    arc_level = level[ch][by_level]
    bounds = np.searchsorted(arc_level, np.arange(depth + 1))
    level_arcs = [(ct[by_level[bounds[d]:bounds[d + 1]]], ch[by_level[bounds[d]:bounds[d + 1]]]) for d in range(depth)]
    return n_comp, components, level_arcs


RANKS_PER_PASS = 512
"""The most ranks pushed through the condensed graph at once, as bits (8 words per component). The
first pass takes 64 (one word), and each further pass twice as many up to this: the best
:data:`TOP_REASONS` of most rows are among the first ranks (on ``corridor-3e4-scarce`` one pass of 64
took 0.27 ms, one of 512 0.9 ms)."""


def _best_upstream(n_comp: int, components: np.ndarray, level_arcs: list[tuple[np.ndarray, np.ndarray]],
                   at: np.ndarray, rank: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per component of ``targets``, the :data:`TOP_REASONS` smallest ranks of the capacities at it
    or upstream of it (``-1`` pads where there are fewer).

    Ranks go through the levels as bit sets, the smallest first (:data:`RANKS_PER_PASS`): a
    component's set is its own capacities' bits or-ed with those of the components entering it
    (``bitwise_or.reduceat`` over each level's arcs, which come sorted by head), and its best ranks
    are its lowest set bits. Further passes run only while some target has fewer than
    :data:`TOP_REASONS` and ranks are left."""
    best = np.full((len(targets), TOP_REASONS), -1, dtype=np.int64)
    ranks = _sorted_unique(rank)
    lo, width = 0, min(64, RANKS_PER_PASS)
    while lo < len(ranks):
        chunk, lo, width = ranks[lo:lo + width], lo + width, min(2 * width, RANKS_PER_PASS)
        words = -(-len(chunk) // 64)
        inside = (rank >= chunk[0]) & (rank <= chunk[-1])
        bit = np.searchsorted(chunk, rank[inside])
        bits = np.zeros((n_comp, words), dtype=np.uint64)
        np.bitwise_or.at(bits, (components[at[inside]], bit // 64), np.left_shift(np.uint64(1), (bit % 64).astype(np.uint64)))
        for tails, heads in level_arcs:
            if len(heads):
                starts = np.flatnonzero(np.concatenate([[True], heads[1:] != heads[:-1]]))
                bits[heads[starts]] |= np.bitwise_or.reduceat(bits[tails], starts, axis=0)
        _take_lowest(best, bits[targets], chunk)
        if (best[:, -1] >= 0).all():
            break
    return best


def _take_lowest(best: np.ndarray, bits: np.ndarray, chunk: np.ndarray) -> None:
    """Fill each row's free places in ``best`` with the ranks (``chunk[i]`` for bit ``i``) of its
    lowest set ``bits``, in order."""
    flags = np.unpackbits(bits.view(np.uint8), axis=1, bitorder="little")[:, :len(chunk)].astype(bool)
    taken = (best >= 0).sum(axis=1)
    order = np.cumsum(flags, axis=1) + taken[:, None]  # place of each set bit among the row's ranks
    row, column = np.nonzero(flags & (order <= TOP_REASONS))
    best[row, order[row, column] - 1] = chunk[column]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (numpy's ``unique`` hashes first, which is slower here)."""
    ordered = np.sort(values)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if len(ordered) else ordered
