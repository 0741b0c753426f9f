"""Flow decomposition: arc flows of one commodity into weighted supplier-to-market paths."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

    The walk follows arcs in id order and skips exhausted arcs for good (a pointer per node), so
    the work is linear in the number of arcs plus the total length of the paths.
    """
    flow = np.where(flow > TOLERANCE, flow, 0.0).astype(np.float64)
    used = np.flatnonzero(flow)
    order = used[np.argsort(tail[used], kind="stable")]
    first = np.searchsorted(tail[order], np.arange(len(source_amount) + 1))
    pointer = first[:-1].copy()
    remaining_source = source_amount.astype(np.float64).copy()
    remaining_sink = sink_amount.astype(np.float64).copy()
    origins, markets, amounts, starts, arcs = [], [], [], [0], []

    def next_arc(node: int) -> int:
        while pointer[node] < first[node + 1] and flow[order[pointer[node]]] <= TOLERANCE:
            pointer[node] += 1
        return int(order[pointer[node]]) if pointer[node] < first[node + 1] else -1

    for origin in np.flatnonzero(remaining_source > TOLERANCE):
        while remaining_source[origin] > TOLERANCE:
            path, seen, node = [], {int(origin): 0}, int(origin)
            while remaining_sink[node] <= TOLERANCE:
                arc = next_arc(node)
                if arc < 0:
                    break
                path.append(arc)
                node = int(head[arc])
                if node in seen:  # a cycle: cancel it and walk on from where it began
                    cycle = path[seen[node]:]
                    flow[cycle] -= flow[cycle].min()
                    del path[seen[node]:]
                    seen = {k: v for k, v in seen.items() if v <= seen[node]}
                    continue
                seen[node] = len(path)
            if remaining_sink[node] <= TOLERANCE:  # dead end: numerical residue only
                break
            amount = min(remaining_source[origin], remaining_sink[node], flow[path].min() if path else np.inf)
            flow[path] -= amount
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
        arcs=np.asarray(arcs, dtype=np.int64),
    )
