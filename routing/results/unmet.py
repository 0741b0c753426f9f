"""Why demand goes unmet: the binding capacities on the way from a commodity's suppliers to a market,
found for every unmet row at once in time linear in the network (plus a sort).

A capacity explains an unmet row (market ``m``, commodity ``k``) when the node it sits at lies on
some path from a supplier of ``k`` to ``m``: reachable from a supplier of ``k`` and reaching ``m``.
Each row's reason names the first :data:`TOP_REASONS` such capacities in the bottleneck order
(supply rows of other commodities and capacities that save nothing left out), else says that no
supplier of ``k`` reaches ``m`` or that no single binding capacity was found.

The old path walked the graph with networkx once per row and supplier. Here the graph is
condensed once: its arcs grouped by head (one radix sort), then levelled by Kahn's algorithm run
backwards from the nodes without successors; only when that finds a cycle are scipy's strongly
connected components taken and their arcs levelled. Per commodity, what its suppliers reach is
pushed forward through those levels (a breadth-first search, one vectorised step per level), and
then the ranks of the capacities, each component keeping the :data:`TOP_REASONS` best ranks of
everything upstream of it (the best few of a union are the best few of the parts' best few). Rows
that end up with the same ranks share one reason text.
"""

from __future__ import annotations

from typing import NamedTuple

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
    supply_rows = np.flatnonzero((bottlenecks["kind"] == "supply").to_numpy()[useful])
    ids = bottlenecks["id"].to_list()  # whole columns: a polars gather may wake its thread pool
    supply_ids = [ids[i] for i in useful[supply_rows].tolist()]
    graph = _condensed(a.tail, a.head, a.n_nodes)
    reached_market = np.zeros(len(rows), dtype=bool)
    found = np.full((len(rows), TOP_REASONS), -1, dtype=np.int64)
    for k in np.unique(goods):
        mine = goods == k
        reached = _reached(graph, a.supply_node[a.supply_commodity == k])
        keep = reached[at]
        other = np.array([not i.endswith("/" + names[k]) for i in supply_ids], dtype=bool)  # another's supply
        keep[supply_rows[other]] = False
        reached_market[mine] = reached[market[mine]]
        found[mine] = _best_upstream(graph, at[keep], rank[keep], graph.component[market[mine]])
    return _reasons(bottlenecks, useful, reached_market, found, goods, names)


def _reasons(bottlenecks: pl.DataFrame, useful: np.ndarray, reached: np.ndarray, found: np.ndarray,
             goods: np.ndarray, names: list[str]) -> list[str]:
    """Each row's text, written once per distinct (reached, commodity, ranks found) and shared;
    ranks are positions in ``useful`` (rows of ``bottlenecks``)."""
    distinct, inverse = _distinct_rows(np.column_stack([reached, goods, found + 1]))
    ranks = np.flatnonzero(np.bincount(found.reshape(-1) + 1, minlength=len(useful) + 1)[1:]).tolist()
    kind, ids, used, capacity, unit = (bottlenecks[c].to_list() for c in ("kind", "id", "used", "capacity", "unit"))
    parts = {r: f"{kind[i]} {ids[i]} ({used[i]:.0f}/{capacity[i]:.0f} {unit[i]})"
             for r, i in zip(ranks, useful[ranks].tolist(), strict=True)}
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


class _Condensed(NamedTuple):
    """The graph's strongly connected components in topological levels: ``n`` components,
    ``component`` per node, and per level, from the first, the ``(entered, starts, tails)`` of the
    arcs between components that enter it: the components entered, each one's first arc in
    ``tails`` (its arcs are consecutive) and the arcs' tail components."""

    n: int
    component: np.ndarray
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]]


def _reached(graph: _Condensed, sources: np.ndarray) -> np.ndarray:
    """Which nodes some node of ``sources`` reaches (the sources included): their components, then,
    level by level, every component entered from a reached one (one vectorised step per level)."""
    reached = np.zeros(graph.n, dtype=bool)
    reached[graph.component[sources]] = True
    for entered, starts, tails in graph.levels:
        reached[entered] |= np.logical_or.reduceat(reached[tails], starts)
    return reached[graph.component]


def _condensed(tail: np.ndarray, head: np.ndarray, n_nodes: int) -> _Condensed:
    """The condensation of the graph with arcs ``tail -> head`` (see :class:`_Condensed`).

    One radix sort groups the arcs by head; a cycle-free graph (found so by :func:`_levels`) is its
    own condensation, numbered as the nodes. Otherwise scipy's strongly connected components of the
    reversed graph (the same components) are condensed, and the arcs between them levelled."""
    head = head.astype(np.intp, copy=False)
    tails, first = tail[group_order(head, n_nodes)].astype(np.intp, copy=False), _starts(head, n_nodes)
    levels = _levels(tails, first)
    if levels is not None:
        return _Condensed(n_nodes, np.arange(n_nodes), levels)
    reverse = sparse.csr_matrix((np.ones(len(tails), dtype=np.int8), tails, first), shape=(n_nodes, n_nodes))
    n_comp, component = csgraph.connected_components(reverse, directed=True, connection="strong")
    tails, heads = component[tails], component[np.repeat(np.arange(n_nodes), np.diff(first))]
    between = np.flatnonzero(tails != heads)
    between = between[group_order(heads[between], n_comp)]
    return _Condensed(n_comp, component, _levels(tails[between], _starts(heads[between], n_comp)))


def _starts(keys: np.ndarray, n: int) -> np.ndarray:
    """Where each key's group starts in ``keys`` sorted (``n + 1`` places, the last the length)."""
    starts = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(np.bincount(keys, minlength=n), out=starts[1:])
    return starts


COUNT_ALL = 8
"""A level whose arcs number at least 1/COUNT_ALL of the nodes counts the levelled successors of
every node at once (``bincount``, 0.2 ms faster than per arc on ``corridor-3e4-scarce``); a smaller
one touches only its arcs' tails, so the levelling stays linear in the graph however deep it is."""


def _levels(tails: np.ndarray, first: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    """The levels of :class:`_Condensed` for the arcs between ``len(first) - 1`` nodes grouped by
    head (``tails[first[v]:first[v + 1]]`` enter ``v``), or None when they have a cycle.

    Kahn's algorithm run backwards from the nodes without successors: a node's level is its
    longest path to one of them, the last found the first level. Each step reads the arcs entering
    the nodes just levelled, so the arcs are read once and every step is a few vectorised calls."""
    n, entering = len(first) - 1, np.diff(first)
    waiting = np.bincount(tails, minlength=n)  # successors not levelled yet
    frontier, levelled, levels = np.flatnonzero(waiting == 0), 0, []
    seen = np.empty(n, dtype=np.intp)
    while len(frontier):
        levelled += len(frontier)
        counts = entering[frontier]
        ends = np.cumsum(counts)
        up = tails[np.repeat(first[frontier] - ends + counts, counts) + np.arange(ends[-1])]
        entered = counts > 0
        if len(up):
            levels.append((frontier[entered], (ends - counts)[entered], up))
        if len(up) * COUNT_ALL >= n:  # a count per node costs about what reading the arcs costs
            left = np.bincount(up, minlength=n)
            waiting -= left
            frontier = np.flatnonzero((left > 0) & (waiting == 0))
        else:  # few arcs: touch only their tails (a long chain stays linear)
            np.subtract.at(waiting, up, 1)
            ready = up[waiting[up] == 0]  # once per arc from a node whose last successor was levelled now
            seen[ready] = np.arange(len(ready))
            frontier = ready[seen[ready] == np.arange(len(ready))]  # each node once
    return levels[::-1] if levelled == n else None


RANKS_PER_PASS = 512
"""The most ranks pushed through the condensed graph at once, as bits (8 words per component). The
first pass takes 64 (one word), and each further pass twice as many up to this: the best
:data:`TOP_REASONS` of most rows are among the first ranks (on ``corridor-3e4-scarce`` one pass of 64
took 0.27 ms, one of 512 0.9 ms)."""


def _best_upstream(graph: _Condensed, at: np.ndarray, rank: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per component of ``targets``, the :data:`TOP_REASONS` smallest ranks (``rank``, ascending and
    distinct) of the capacities at it or upstream of it (``-1`` pads where there are fewer).

    Ranks go through the levels as bit sets, the smallest first (:data:`RANKS_PER_PASS`): a
    component's set is its own capacities' bits or-ed with those of the components entering it
    (``bitwise_or.reduceat`` over each level's arcs, which come grouped by head), and its best ranks
    are its lowest set bits. Further passes run only while some target has fewer than
    :data:`TOP_REASONS` and ranks are left."""
    best = np.full((len(targets), TOP_REASONS), -1, dtype=np.int64)
    lo, width = 0, min(64, RANKS_PER_PASS)
    while lo < len(rank):
        chunk, inside = rank[lo:lo + width], slice(lo, lo + width)
        lo, width = lo + width, min(2 * width, RANKS_PER_PASS)
        bit = np.arange(len(chunk))
        bits = np.zeros((graph.n, -(-len(chunk) // 64)), dtype=np.uint64)
        np.bitwise_or.at(bits, (graph.component[at[inside]], bit // 64),
                         np.left_shift(np.uint64(1), (bit % 64).astype(np.uint64)))
        for entered, starts, tails in graph.levels:
            bits[entered] |= np.bitwise_or.reduceat(bits[tails], starts, axis=0)
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
