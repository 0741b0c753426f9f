"""The multi-commodity flow LP of a network, as sparse arrays (no solver objects here).

Variables, in this order:

* ``x[k, a]``  flow of commodity k on link a (loads/day), ``0 <= x``;
* ``p[s]``     production of supply row s (its node and commodity), ``0 <= p[s] <= supply[s]``;
* ``u[d]``     unmet demand of demand row d, ``0 <= u[d] <= demand[d]``;
* ``z[k, r]``  loads of commodity k through lane type r of a queued crossing (``crossings.csv``),
  ``z = 0`` on FAST lanes for commodities that are not FAST-eligible;
* ``w[r, j]``  volume of lane type r on wait segment j, ``0 <= w <= width[r, j]``.

Rows:

* conservation, one per commodity and node:
  ``sum_in x[k] - sum_out x[k] + p[k, n] + u[k, n] = demand[k, n]``;
* link capacity: ``sum_k x[k, a] <= capacity[a]`` (links with a finite capacity);
* node throughput: ``sum_k sum_in x[k] + sum_k p[k, n] <= throughput[n]`` (loads entering or
  starting at the node);
* plant power: ``sum_k p[k, n] * power_mwh_per_load[k] <= 24 * power_mw[n]``;
* plant water: ``sum_k p[k, n] * water_m3_per_load[k] <= water_m3_per_day[n]``;
* lane split at a queued crossing q: ``sum_(r at q) z[k, r] = sum_in x[k]`` for each commodity;
* lane volume: ``sum_k z[k, r] = sum_j w[r, j]``.

The segments of a lane type carry its convex total wait (:mod:`networks.queues`) with rising
marginal waits, so the LP fills them in order and the optimum is system-optimal.

The objective weights each variable by hours (``transit_h`` of the link plus ``dwell_h`` of the node
it enters; ``dwell_h`` of the supplier for production), by cost, or a blend, and charges each unmet
load a penalty larger than any path's time or cost.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np

from networks import NetworkArrays
from routing.formulation.weights import Weights

FAST = 0  # index of LaneType.FAST in networks.LANE_TYPES


@dataclass(frozen=True, slots=True)
class LinearProgram:
    """``min c.x`` subject to ``row_lo <= A x <= row_hi`` and ``lb <= x <= ub``.

    ``matrix`` is a scipy CSR matrix; the ``*_rows`` arrays give, for each block of capacity rows,
    the link or node each row belongs to, in row order after the conservation rows.
    """

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    matrix: object
    n_flow: int
    n_supply: int
    n_demand: int
    n_conservation: int
    capacity_rows: np.ndarray
    throughput_rows: np.ndarray
    power_rows: np.ndarray
    water_rows: np.ndarray
    n_assign: int = 0  # z variables (commodities x lane types)
    n_segment: int = 0  # w variables (lane types x segments)
    queue_nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # crossings with split rows

    @property
    def first_capacity_row(self) -> int:
        return self.n_conservation


class _Rows:
    """COO triplets of the constraint matrix, filled block by block by the ``define_*`` functions."""

    def __init__(self, n_vars: int) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.next_row = 0
        self.n_vars = n_vars

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> None:
        self.rows.append(rows)
        self.cols.append(cols)
        self.vals.append(vals)

    def matrix(self) -> object:
        from scipy import sparse

        return sparse.csr_matrix((np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                                 shape=(self.next_row, self.n_vars))


@dataclass(frozen=True, slots=True)
class _Variables:
    """Column positions of each variable block (see the module docstring for their order)."""

    flow: np.ndarray  # x[k, a] at k * n_links + a
    flow_k: np.ndarray
    flow_a: np.ndarray
    supply: np.ndarray  # p[s]
    demand: np.ndarray  # u[d]
    assign: np.ndarray  # z[k, r] at k * n_lane_types + r
    segment: np.ndarray  # w[r, j] at r * n_segments + j


def define_conservation(rows: _Rows, arrays: NetworkArrays, var: _Variables) -> None:
    """``sum_in x[k] - sum_out x[k] + p[k, n] + u[k, n] = demand[k, n]``: row ``k * n_nodes + n``."""
    n, head, tail = arrays.n_nodes, arrays.head[var.flow_a], arrays.tail[var.flow_a]
    rows.add(var.flow_k * n + head, var.flow, np.ones(len(var.flow)))
    rows.add(var.flow_k * n + tail, var.flow, -np.ones(len(var.flow)))
    rows.add(arrays.supply_commodity * n + arrays.supply_node, var.supply, np.ones(len(var.supply)))
    rows.add(arrays.demand_commodity * n + arrays.demand_node, var.demand, np.ones(len(var.demand)))
    rows.next_row = arrays.n_commodities * n


def define_limit(rows: _Rows, owner_of_term: np.ndarray, term_var: np.ndarray, coef: np.ndarray,
                 limit: np.ndarray) -> np.ndarray:
    """``sum coef * var <= limit[owner]``, one row per owner with a finite limit and a term; returns
    the owners in row order."""
    owners = np.flatnonzero(np.isfinite(limit) & (np.bincount(owner_of_term, minlength=len(limit)) > 0))
    row_of = np.full(len(limit), -1)
    row_of[owners] = rows.next_row + np.arange(len(owners))
    keep = row_of[owner_of_term] >= 0
    rows.add(row_of[owner_of_term[keep]], term_var[keep], coef[keep])
    rows.next_row += len(owners)
    return owners


def define_capacity_rows(rows: _Rows, arrays: NetworkArrays,
                         var: _Variables) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The limits, in this row order: link capacity ``sum_k x[k, a] <= capacity[a]``; node throughput
    ``sum_k sum_in x[k] + sum_k p[k, n] <= throughput[n]``; plant power ``sum p[s] * power_mwh_per_load
    <= 24 * power_mw[n]``; plant water ``sum p[s] * water_m3_per_load <= water_m3_per_day[n]``."""
    n_flow, s = len(var.flow), len(var.supply)
    capacity = define_limit(rows, var.flow_a, var.flow, np.ones(n_flow), arrays.capacity)
    throughput = define_limit(rows, np.concatenate([arrays.head[var.flow_a], arrays.supply_node]),
                              np.concatenate([var.flow, var.supply]), np.ones(n_flow + s), arrays.throughput)
    power = arrays.power_mwh_per_load[arrays.supply_commodity]
    power_rows = define_limit(rows, arrays.supply_node[power > 0], var.supply[power > 0], power[power > 0],
                              24.0 * arrays.power_mw)
    water = arrays.water_m3_per_load[arrays.supply_commodity]
    water_rows = define_limit(rows, arrays.supply_node[water > 0], var.supply[water > 0], water[water > 0],
                              arrays.water_m3_per_day)
    return capacity, throughput, power_rows, water_rows


def define_queue_rows(rows: _Rows, arrays: NetworkArrays, var: _Variables, n_segments: int) -> np.ndarray:
    """Lane split at each queued crossing q and commodity k, ``sum_(r at q) z[k, r] - sum_in x[k] = 0``
    (row ``k * n_crossings + q``), then lane volume ``sum_k z[k, r] - sum_j w[r, j] = 0``; returns the
    crossings' nodes in row order."""
    queue, k = arrays.queue, arrays.n_commodities
    r = len(queue)
    queue_nodes = np.unique(queue.node)
    position = np.searchsorted(queue_nodes, queue.node)
    split_row = rows.next_row + np.arange(k)[:, None] * len(queue_nodes) + position[None, :]
    head = arrays.head[var.flow_a]
    into_queue = np.isin(head, queue_nodes)
    rows.add(split_row.ravel(), var.assign, np.ones(k * r))
    rows.add(rows.next_row + var.flow_k[into_queue] * len(queue_nodes) + np.searchsorted(queue_nodes, head[into_queue]),
             var.flow[into_queue], -np.ones(int(into_queue.sum())))
    rows.next_row += k * len(queue_nodes)
    rows.add(rows.next_row + np.tile(np.arange(r), k), var.assign, np.ones(k * r))
    rows.add(rows.next_row + np.repeat(np.arange(r), n_segments), var.segment, -np.ones(r * n_segments))
    rows.next_row += r
    return queue_nodes


def build_lp(arrays: NetworkArrays, weights: Weights) -> LinearProgram:
    """Assemble the LP from the network arrays with numpy (COO triplets, one CSR conversion)."""
    m, k = arrays.n_links, arrays.n_commodities
    s, d = len(arrays.supply_node), len(arrays.demand_node)
    r, j = weights.segment_width.shape if len(arrays.queue) else (0, 0)
    n_flow = k * m
    flow = np.arange(n_flow)
    flow_k, flow_a = np.divmod(flow, m)
    first = n_flow + s + d
    var = _Variables(flow=flow, flow_k=flow_k, flow_a=flow_a, supply=n_flow + np.arange(s),
                     demand=n_flow + s + np.arange(d), assign=first + np.arange(k * r),
                     segment=first + k * r + np.arange(r * j))
    rows = _Rows(first + k * r + r * j)
    define_conservation(rows, arrays, var)
    capacity_rows, throughput_rows, power_rows, water_rows = define_capacity_rows(rows, arrays, var)
    queue_nodes = define_queue_rows(rows, arrays, var, j)
    empty = np.zeros(0)
    skeleton = LinearProgram(
        c=empty, lb=empty, ub=empty, row_lo=empty, row_hi=empty, matrix=rows.matrix(),
        n_flow=n_flow, n_supply=s, n_demand=d, n_conservation=k * arrays.n_nodes,
        capacity_rows=capacity_rows, throughput_rows=throughput_rows,
        power_rows=power_rows, water_rows=water_rows,
        n_assign=k * r, n_segment=r * j, queue_nodes=queue_nodes,
    )
    return with_bounds(skeleton, arrays, weights)


def with_bounds(lp: LinearProgram, arrays: NetworkArrays, weights: Weights) -> LinearProgram:
    """The same LP with costs, variable bounds and right-hand sides taken from ``arrays``.

    Only valid for arrays with the structure ``lp`` was built from (see :func:`structure_key`):
    this is how a scenario changes capacities, times and demand without rebuilding the matrix.
    """
    n, k, d = arrays.n_nodes, arrays.n_commodities, lp.n_demand
    rhs = np.bincount(arrays.demand_commodity * n + arrays.demand_node, arrays.demand_loads, k * n)
    limits = np.concatenate([arrays.capacity[lp.capacity_rows], arrays.throughput[lp.throughput_rows],
                             24.0 * arrays.power_mw[lp.power_rows], arrays.water_m3_per_day[lp.water_rows]])
    fast_blocked = (arrays.queue.lane_type[None, :] == FAST) & ~arrays.fast_eligible[:, None]
    n_queue_rows = k * len(lp.queue_nodes) + len(arrays.queue)
    n_vars = lp.n_flow + lp.n_supply + d + lp.n_assign + lp.n_segment
    return replace(
        lp,
        c=np.concatenate([weights.flow_weights(k).ravel(), weights.supply, np.full(d, weights.penalty),
                          np.zeros(lp.n_assign), weights.segment_cost.ravel()]),
        lb=np.zeros(n_vars),
        ub=np.concatenate([np.full(lp.n_flow, np.inf), arrays.supply_capacity, arrays.demand_loads,
                           np.where(fast_blocked, 0.0, np.inf).ravel(), weights.segment_width.ravel()]),
        row_lo=np.concatenate([rhs, np.full(len(limits), -np.inf), np.zeros(n_queue_rows)]),
        row_hi=np.concatenate([rhs, limits, np.zeros(n_queue_rows)]),
    )


def structure_key(arrays: NetworkArrays) -> str:
    """A digest of everything the LP's matrix depends on: topology, which limits are finite,
    the supply and demand rows, and the commodities' power and water per load."""
    return array_digest(arrays.tail, arrays.head, np.isfinite(arrays.capacity), np.isfinite(arrays.throughput),
                        np.isfinite(arrays.power_mw), np.isfinite(arrays.water_m3_per_day), arrays.supply_node,
                        arrays.supply_commodity, arrays.demand_node, arrays.demand_commodity,
                        arrays.power_mwh_per_load, arrays.water_m3_per_load, arrays.queue.node,
                        arrays.queue.lane_type)


def array_digest(*parts: np.ndarray) -> str:
    """A digest of the bytes of some arrays, in order (a separator between them).

    >>> array_digest(np.arange(3)) == array_digest(np.arange(3)) != array_digest(np.arange(4))
    True
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(np.ascontiguousarray(part).tobytes())
        digest.update(b"|")
    return digest.hexdigest()


def fill_segments(volume: np.ndarray, width: np.ndarray) -> np.ndarray:
    """How a volume fills consecutive segments of the given widths, first to last: (lane types, segments)."""
    before = np.cumsum(width, axis=1) - width
    return np.clip(volume[:, None] - before, 0.0, width)
