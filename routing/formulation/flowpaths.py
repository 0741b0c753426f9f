"""Flow decomposition: arc flows of one commodity into weighted supplier-to-market paths (used by the
lanes table and to seed the decomposition solver's columns)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routing.formulation.flowgraph import group_order

TOLERANCE = 1e-7  # loads/day below which a flow counts as zero


@dataclass(frozen=True, slots=True)
class Paths:
    """Paths as flat arrays: path ``i`` uses ``arcs[start[i]:start[i + 1]]`` and carries ``amount[i]``."""

    origin: np.ndarray
    market: np.ndarray
    amount: np.ndarray
    start: np.ndarray
    arcs: np.ndarray

    def __len__(self) -> int:
        return len(self.amount)


def decompose_flow(
    tail: np.ndarray,
    head: np.ndarray,
    flow: np.ndarray,
    source_amount: np.ndarray,
    sink_amount: np.ndarray,
) -> Paths:
    """Split a feasible flow into paths from sources (production per node) to sinks (served
    demand per node); flow on cycles, which an optimal solution does not have, is cancelled.

    Only arcs that carry flow take part. The walk follows them in id order and skips exhausted
    arcs for good (a pointer per node), so the work is linear in the number of used arcs plus the
    total length of the paths. No two paths have the same origin and arcs: a path ends when its
    origin, its market's demand or one of its arcs runs out.

    Example
    -------
    >>> paths = decompose_flow(np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([2.0, 2.0, 1.0]),
    ...                        np.array([3.0, 0, 0]), np.array([0, 0, 3.0]))
    >>> paths.amount.tolist(), paths.arcs.tolist()
    ([2.0, 1.0], [0, 1, 2])
    """
    used = np.flatnonzero(flow > TOLERANCE)
    used = used[group_order(tail[used], len(source_amount))]
    # The walk reads and writes one element at a time, which Python lists do several times faster
    # than numpy arrays; the arithmetic is the same float64 arithmetic, in the same order.
    first = np.searchsorted(tail[used], np.arange(len(source_amount) + 1)).tolist()
    heads, left = head[used].tolist(), flow[used].astype(np.float64).tolist()
    pointer = first[:-1]
    remaining_source = source_amount.astype(np.float64).tolist()
    remaining_sink = sink_amount.astype(np.float64).tolist()
    origins, markets, amounts, starts, arcs = [], [], [], [0], []

    longest = len(heads)  # no path without a repeated node has more arcs
    for origin in np.flatnonzero(source_amount > TOLERANCE).tolist():
        while remaining_source[origin] > TOLERANCE:
            path, node = [], origin
            while remaining_sink[node] <= TOLERANCE:
                at, end = pointer[node], first[node + 1]
                while at < end and left[at] <= TOLERANCE:
                    at += 1
                pointer[node] = at
                if at == end:
                    break
                path.append(at)
                node = heads[at]
                if len(path) > longest:  # the walk went round a cycle: cancel it, go on from its start
                    node = _cancel_cycle(path, origin, heads, left)
            if remaining_sink[node] <= TOLERANCE:  # dead end: numerical residue only
                break
            amount = min(remaining_source[origin], remaining_sink[node], min(map(left.__getitem__, path), default=np.inf))
            for a in path:
                left[a] -= amount
            remaining_source[origin] -= amount
            remaining_sink[node] -= amount
            origins.append(origin), markets.append(node), amounts.append(amount)
            arcs.extend(path)
            starts.append(len(arcs))
    return Paths(
        origin=np.asarray(origins, dtype=np.int64),
        market=np.asarray(markets, dtype=np.int64),
        amount=np.asarray(amounts, dtype=np.float64),
        start=np.asarray(starts, dtype=np.int64),
        arcs=used[np.asarray(arcs, dtype=np.int64)],
    )


def _cancel_cycle(path: list[int], origin: int, heads: list[int], left: list[float]) -> int:
    """Cancel the first cycle of ``path`` (arcs from ``origin``): take its least flow off its arcs
    and cut the path back to where the cycle began; return the node the path now ends at."""
    seen = {origin: 0}
    for position, arc in enumerate(path, start=1):
        node = heads[arc]
        if node in seen:
            cycle = path[seen[node]:position]
            least = min(left[a] for a in cycle)
            for a in cycle:
                left[a] -= least
            del path[seen[node]:]
            return node
        seen[node] = position
    raise AssertionError("a path longer than the number of arcs repeats a node")
