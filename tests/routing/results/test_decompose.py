"""Flow decomposition: paths carry every source's amount to the sinks, never more than an arc's
flow, and flow on cycles is cancelled, not walked forever."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.results.decompose import decompose_flow


def test_a_cycle_on_the_way_is_cancelled():
    # 0 -> 1 -> 2 carries 2; the cycle 1 -> 3 -> 1 carries 1 and is not part of any path
    tail, head = np.array([0, 1, 1, 3]), np.array([1, 2, 3, 1])
    paths = decompose_flow(tail, head, np.array([2.0, 2.0, 1.0, 1.0]), np.array([2.0, 0, 0, 0]),
                           np.array([0, 0, 2.0, 0]))
    assert paths.amount.tolist() == [2.0] and paths.arcs.tolist() == [0, 1]


def test_a_cycle_walked_first_is_cancelled():
    # arc 0 (0 -> 1) comes first; node 1's first arc goes round 1 -> 2 -> 1 before 1 -> 3
    tail, head = np.array([0, 1, 1, 2]), np.array([1, 2, 3, 1])
    paths = decompose_flow(tail, head, np.array([1.0, 5.0, 1.0, 5.0]), np.array([1.0, 0, 0, 0]),
                           np.array([0, 0, 0, 1.0]))
    assert paths.amount.tolist() == [1.0] and paths.arcs.tolist() == [0, 2]


@st.composite
def flows(draw):
    """A flow made of random source-to-sink paths plus random cycles, on up to 8 nodes."""
    n = draw(st.integers(3, 8))
    arcs: dict[tuple[int, int], float] = {}
    source, sink = np.zeros(n), np.zeros(n)

    def add(nodes: list[int], amount: float) -> None:
        for u, v in zip(nodes, nodes[1:], strict=False):
            arcs[u, v] = arcs.get((u, v), 0.0) + amount

    for _ in range(draw(st.integers(1, 5))):
        nodes = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=n, unique=True))
        amount = float(draw(st.integers(1, 9)))
        add(nodes, amount)
        source[nodes[0]] += amount
        sink[nodes[-1]] += amount
    for _ in range(draw(st.integers(0, 2))):
        nodes = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=n, unique=True))
        add([*nodes, nodes[0]], float(draw(st.integers(1, 9))))
    pairs = sorted(arcs)
    tail, head = (np.array([p[i] for p in pairs]) for i in (0, 1))
    return tail, head, np.array([arcs[p] for p in pairs]), source, sink


@settings(max_examples=300, deadline=None)
@given(flows())
def test_paths_carry_every_source_within_the_arc_flows(case):
    tail, head, flow, source, sink = case
    paths = decompose_flow(tail, head, flow, source, sink)
    on_arc, seen = np.zeros(len(flow)), set()
    for i in range(len(paths)):
        arcs = paths.arcs[paths.start[i]:paths.start[i + 1]]
        assert (paths.origin[i], tuple(arcs)) not in seen  # one row per lane
        seen.add((paths.origin[i], tuple(arcs)))
        nodes = [paths.origin[i], *head[arcs]]
        assert (tail[arcs] == nodes[:-1]).all() and nodes[-1] == paths.market[i]  # a connected path
        on_arc[arcs] += paths.amount[i]
    assert (on_arc <= flow + 1e-9).all()
    assert np.bincount(paths.origin, paths.amount, len(source)) == pytest.approx(source)
    assert np.bincount(paths.market, paths.amount, len(sink)) == pytest.approx(sink)
