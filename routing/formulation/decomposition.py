"""An exact decomposition of the multi-commodity LP of :mod:`routing.formulation.lp`: path column generation
(Dantzig–Wolfe over supplier-to-market paths) with the coupling rows generated as they are violated.

The LP is rewritten over paths: a column ``f[p]`` carries loads of one commodity from one supply
row ``s`` along a simple path to one demand row ``r``. Its cost is the path's link weights plus the
supplier's weight. The *restricted master* (one HiGHS instance, kept alive, columns and rows added
in place so every solve starts from the last basis) holds

* one row per demand row: ``sum_(p to r) f[p] + u[r] = demand[r]`` (always);
* the queue variables ``z[k, r]`` and ``w[r, j]`` and their rows (always; they are few):
  ``sum_(p of k through q) f[p] - sum_(r at q) z[k, r] <= 0`` (the lane split, as ``<=``: see below)
  and ``sum_k z[k, r] - sum_j w[r, j] = 0``;
* of the coupling rows (link capacity, node throughput, plant power and water, supply capacity),
  only those that some master solution violated (an active set that only grows).

*Pricing* is shortest paths: with ``mu >= 0`` the master's multipliers (``-dual``) of the ``<=``
rows, a link costs ``weight + mu_capacity + mu_throughput(head) + mu_split(k, head)`` and starting at
supply row ``s`` costs ``weight(s) + mu_supply(s) + mu_throughput(node) + power/load x mu_power(node)
+ water/load x mu_water(node)``. Every cost is >= 0, so Dijkstra (scipy) is exact, and as the
supply bounds sit in the master, pricing needs no min-cost flow. By default (``paths_per_row=1``)
there is one tree per commodity from a super source whose arcs are the supply rows; without queued
crossings the link costs are the same for every commodity, and with ``paths_per_row > 1`` one
Dijkstra per plant serves all commodities and a demand row may take paths from its best plants at
once (measured slower on ``corridor-1e5x5``: 8.1 s against 6.1 s CPU, even at 1e4 links).

*Start.* A cold solve without queued crossings starts from the commodities routed one after
another by min-cost flow in what the earlier ones left (:mod:`routing.formulation.sequential`):
its paths are the first columns (never dropped, so the master always has a feasible point and
never falls back on the unmet penalty when rows are added) and every coupling row they fill is a
master row from the start.

*The loop.* A master solution that violates coupling rows gets them as rows, and the columns that
price out under its duals, in one dual-simplex re-solve (the basis stays dual feasible); a
feasible one is priced and re-solved with the new columns, by the primal simplex when they are at
most :data:`PRIMAL_MAX_COLUMNS` (the basis stays primal feasible) and by the dual otherwise.
*Smoothing* (Wentges): pricing runs at ``alpha x center + (1 - alpha) x dual``, ``center`` being the
multipliers of the best bound so far (:data:`SMOOTHING`); a mis-price (no new column there) prices
at the master's own duals in the same round, so the stop rule below is unchanged.

*Bounds.* For any ``mu >= 0`` and any multiplier of the lane-volume rows, the Lagrangian
``-mu.b + sum_r demand[r] min(penalty, dist_k(r)) + sum_(r, j) width min(0, reduced cost of w)``
is a lower bound on the LP (the master's lane-volume multipliers are lowered where needed so that
no ``z`` has a negative reduced cost). The master's objective is an upper bound once its solution
violates no coupling row. The solve is ``OPTIMAL`` only when no coupling row is violated and either
the gap is within :data:`GAP_TOLERANCE` or no path prices out below ``-PRICE_TOLERANCE``; a round or
time limit gives ``FEASIBLE`` (no violated row) or ``NOT_SOLVED``.

*The lane split as ``<=``.* Relaxing ``inflow = sum z`` to ``inflow <= sum z`` keeps the optimum
(``w`` costs are >= 0, so assigning more lane volume than inflow never pays) and fixes the sign of
its multiplier, which keeps pricing costs >= 0. Any surplus ``z`` is scaled back to the inflow in the
returned solution, which lowers no lane below what it carries and raises no cost.

Path columns that sit at zero with a positive reduced cost are dropped from the master (they stay
in the pool and come back when they price out again): the dual simplex's pricing works on every
column, and on ``corridor-1e4x10`` this halves the master's time.

*Unmet columns as generated columns.* ``u[r]`` of a demand row the start serves in full is fixed at
0 (a fixed column is never a simplex candidate; 13,655 of them on ``corridor-1e5x5``) and opened as
soon as ``penalty - dual[r] < 0`` at a pricing point, which counts as a new column; the start's
columns are never dropped, so the master stays feasible (should a solve fail anyway, every ``u``
opens and it runs again). The Lagrangian bound already takes ``min(penalty, dist)``.

*Why "no new column" proves optimality.* The master's only column bounds are ``f[p] <= demand[r]``,
implied by the demand row: a column at that bound with a negative reduced cost carries its row
alone, so its row's term of the Lagrangian equals the master's dual objective term. Tighter bounds
(a path's least link capacity) or pricing only the strongest share of the rows break this (measured:
``optimal`` claimed 3e-5 above the optimum), so neither is used.

Measured (2 shared cores under load from other jobs, CPU seconds, medians side by side in one
run, 2026-12-02), against the commodities' uncoupled min-cost flows (a lower bound's time):
``corridor-1e4x5`` 0.13-0.24 s, 1.9-2.4x uncoupled (before the start, smoothing and the simplex
choice: 0.63 s, 9.7x); ``corridor-1e4x10`` 0.51 s, 4.2-4.5x (2.27 s, 18.9x); ``corridor-1e5x5`` 6.1 s,
5.2-5.3x (365 s of wall time in one run before; HiGHS on the whole LP: 175 s). The master's re-solves are 3/4 of the
time there: the dual simplex takes 2,000-5,000 iterations after any column addition.
Later that day (old and new code and ``uncoupled-mcf`` interleaved in one process, 5-9 runs, medians):
with the unmet columns generated, ``corridor-1e5x5`` 6.25 s CPU against 6.47 s (0.97x; 5.2-5.5x
uncoupled, load 1.1-1.7), ``corridor-1e4x10`` 0.52 s against 0.55 s (0.95x), ``corridor-1e4x5`` 0.18 s
(0.97x; load 7-8). The master's iterations, not their number of re-solves, set the time: about
43,000 on ``corridor-1e5x5`` (16,000 of them in the cheap first cold solve), however the columns are
batched. After a column addition the dual simplex flips each new column to its bound
(``demand[r]``) and then repairs 2,000-2,700 primal infeasibilities, even for 98 new columns; HiGHS'
primal simplex takes 0.5-0.6 ms an iteration there (2.0 s for 192 columns against 0.39 s dual).
Measured and not kept (whole solves, same day): dual edge weights devex (2.1x slower), Dantzig
(20x), steepest edge without initial weights; scale strategies 0, 2, 4; perturbation 0.5-6 (0 is
10x slower per re-solve); primal up to 200 or 1,000 new columns; smoothing 0.3, 0.7, 0.85; seed
slack 0.05-0.5 and activating rows within 2-10 % of their limit; unboxed path columns (7x slower);
coupling rows boxed below at 0 (no dual phase 1, more iterations); pricing at both the smoothed
and the master's multipliers every round (8 re-solves instead of 12, 10 % more iterations);
cold re-solves after the big rounds; pruning in the rounds that add rows (fewer iterations on
``corridor-1e5x5``, 5 more re-solves on ``corridor-1e4x10``); the closed unmet columns at cost 0.
Also not kept (2026-12-02, AMD EPYC, load about 1): *key paths* (generalised upper bounding) — each
demand row served by the start keyed by its largest start path, whose flow is eliminated as the
demand less the row's other columns (the row a bound, the other columns relative to the key, the
key's terms in the right-hand sides, duals mapped back): the first master took 2,142 dual simplex
iterations instead of 15,831, but the re-solves as many as before at a higher cost each (columns
relative to a key are denser), 14.5 s CPU against 11.8-12.4 s on ``corridor-1e5x5``, same objective.
``auto`` picks it for multi-commodity LPs without queued crossings from
:data:`routing.model.DECOMPOSITION_MIN_FLOW_VARIABLES` flow variables.

A :class:`DecompositionSession` keeps the master across variants of one structure
(:func:`routing.formulation.lp.structure_key`): costs and bounds change in place and the rows, the
master's columns and the pool of earlier solves stay, so a variant starts from the last optimal
basis. Its optimum is the LP's; under degeneracy its flows may differ from a cold solve's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from networks import NetworkArrays
from routing.backends.highs import new_highs
from routing.formulation.lp import FAST, structure_key
from routing.formulation.solution import Solution, Status, no_solution
from routing.formulation.weights import Weights

GAP_TOLERANCE = 1e-9  # relative gap between the Lagrangian bound and the master's objective
PRICE_TOLERANCE = 1e-9  # relative: a path enters when its reduced cost is below -this x its cost
FEASIBILITY_TOLERANCE = 1e-9  # relative to the row's limit (at least 1): a row is violated beyond it
MAX_ROUNDS = 10_000
PRUNE_AGE = 1  # master re-solves a path column must sit at zero with a positive reduced cost to be dropped
PRUNE_SHARE = 0.1  # drop such columns once they are this share of the master's path columns
PRUNE_REDUCED_COST = 1e-6  # objective units per load: a reduced cost above it is positive for pruning
PERTURBATION = 1.0  # HiGHS' dual simplex cost perturbation in the master (its default; removed before it ends):
#   measured 2.0-2.5x faster per master iteration than without on corridor-1e4x5 (2026-12-02)
PRIMAL_MAX_COLUMNS = 50  # re-solve with the primal simplex after at most this many new columns, else the dual
#   (corridor-1e5x5, 2026-12-02: primal 4-330 iterations for 5-30 new columns, 0.04-0.5 s, but 16,000 and 25 s
#   for 23,000; the dual 2,000-5,000 iterations, about 1 s, whatever the number)
LAZY_UNMET = True  # unmet columns of rows the feasible start serves in full stay fixed at 0 until they price out

SMOOTHING = 0.5  # Wentges' alpha: pricing multipliers this share of the way to those of the best bound
SEED_SLACK = 1e-6  # the sequential start activates every coupling row it fills to within this share of the limit
FAMILIES = ("capacity", "throughput", "power", "water", "supply")
_HASH = np.uint64(0x9E3779B97F4A7C15)


@dataclass(slots=True)
class Family:
    """The coupling rows of one kind: one potential row per owner (link, node or supply row) with a
    finite limit, ``row[owner]`` its master row (-1 while inactive), and every path's terms."""

    limit: np.ndarray
    row: np.ndarray
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    path: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def activity(self, flow: np.ndarray) -> np.ndarray:
        """``sum coef x f[path]`` per owner."""
        return np.bincount(self.owner, self.coef * flow[self.path], minlength=len(self.limit))

    def violated(self, flow: np.ndarray, *, slack: float = 0.0) -> np.ndarray:
        """Owners without a row whose limit the path flows exceed (or, with ``slack`` > 0, come
        within ``slack`` x the limit of)."""
        scale = np.maximum(1.0, np.abs(np.where(np.isfinite(self.limit), self.limit, 0.0)))
        excess = self.activity(flow) - self.limit + slack * scale
        return np.flatnonzero((self.row < 0) & np.isfinite(self.limit) & (excess > FEASIBILITY_TOLERANCE * scale))


@dataclass(frozen=True, slots=True)
class Structure:
    """What the pricing graphs and the master's fixed rows need, built once per LP structure."""

    n_nodes: int
    n_links: int
    n_commodities: int
    pair_key: np.ndarray  # sorted unique tail * (n + 1) + head of the links
    link_order: np.ndarray  # links sorted by pair
    pair_start: np.ndarray  # first position in link_order of each pair
    pair_of_link: np.ndarray
    indptr: list[np.ndarray]  # per commodity: CSR rows of nodes 0..n-1 and the super source n
    indices: list[np.ndarray]
    supply_rows: list[np.ndarray]  # per commodity: its supply rows, by node
    demand_rows: list[np.ndarray]  # per commodity: its demand rows
    queue_index: np.ndarray  # per node: its index among the queued crossings, -1 if none
    n_queue_nodes: int
    plants: np.ndarray  # the nodes with a supply row, sorted
    plant_of_supply: np.ndarray  # per supply row: its node's index in plants
    pair_indptr: np.ndarray  # CSR rows of the link pairs alone (no super source)
    pair_head: np.ndarray


def build_structure(arrays: NetworkArrays) -> Structure:
    """Unique (tail, head) pairs for Dijkstra (parallel links share an entry) and per-commodity CSR
    patterns with a super source ``n`` whose arcs go to the commodity's suppliers."""
    n, k = arrays.n_nodes, arrays.n_commodities
    key = arrays.tail * (n + 1) + arrays.head
    link_order = np.argsort(key, kind="stable")
    pair_key, pair_start, pair_of_sorted = np.unique(key[link_order], return_index=True, return_inverse=True)
    pair_of_link = np.empty(arrays.n_links, dtype=np.int64)
    pair_of_link[link_order] = pair_of_sorted
    pair_tail, pair_head = np.divmod(pair_key, n + 1)
    out_count = np.bincount(pair_tail, minlength=n)
    supply_rows = [np.flatnonzero(arrays.supply_commodity == c) for c in range(k)]
    supply_rows = [rows[np.argsort(arrays.supply_node[rows], kind="stable")] for rows in supply_rows]
    indptr = [np.concatenate([[0], np.cumsum(out_count), [len(pair_key) + len(rows)]]) for rows in supply_rows]
    indices = [np.concatenate([pair_head, arrays.supply_node[rows]]) for rows in supply_rows]
    queue_nodes = np.unique(arrays.queue.node)
    queue_index = np.full(n, -1)
    queue_index[queue_nodes] = np.arange(len(queue_nodes))
    plants, plant_of_supply = np.unique(arrays.supply_node, return_inverse=True)
    return Structure(plants=plants, plant_of_supply=plant_of_supply, pair_head=pair_head,
                     pair_indptr=np.concatenate([[0], np.cumsum(out_count)]),
                     n_nodes=n, n_links=arrays.n_links, n_commodities=k, pair_key=pair_key, link_order=link_order,
                     pair_start=pair_start, pair_of_link=pair_of_link, indptr=indptr, indices=indices,
                     supply_rows=supply_rows, demand_rows=[np.flatnonzero(arrays.demand_commodity == c)
                                                           for c in range(k)],
                     queue_index=queue_index, n_queue_nodes=len(queue_nodes))


@dataclass(slots=True)
class Paths:
    """The column pool: path ``i`` has links ``arc[entry_path == i]``, from ``supply[i]`` to ``demand[i]``."""

    commodity: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    supply: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    demand: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    entry_path: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    arc: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    column: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # in the master, or -1

    def __len__(self) -> int:
        return len(self.commodity)


def path_hashes(supply: np.ndarray, demand: np.ndarray, entry_path: np.ndarray, arc: np.ndarray,
                n_paths: int) -> np.ndarray:
    """A 64-bit fingerprint per path (its ends and its links in order), to keep the pool free of twins."""
    with np.errstate(over="ignore"):
        position = np.arange(len(arc)) - np.searchsorted(entry_path, entry_path)
        mixed = (arc.astype(np.uint64) + np.uint64(1)) * _HASH ** (position.astype(np.uint64) + np.uint64(1))
        total = np.zeros(n_paths, dtype=np.uint64)
        np.add.at(total, entry_path, mixed)
        return total ^ (supply.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)) ^ (
            demand.astype(np.uint64) * np.uint64(0x94D049BB133111EB))


def extract_paths(pred: np.ndarray, tree: np.ndarray, targets: np.ndarray, structure: Structure,
                  best_link_of_pair: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk Dijkstra's predecessor trees (``pred[tree[i]]`` for target ``i``) back from ``targets``
    to their roots (a plant, or the nodes the super source ``n`` reaches), all paths at once.

    Returns the node each path starts at, and its links as ``(entry_path, arc)`` sorted by path
    (each path's links from the market back to the supplier).
    """
    source = structure.n_nodes
    current = targets.copy()
    alive = np.arange(len(targets))
    steps_path, steps_arc = [], []
    while len(alive):
        before = pred[tree[alive], current[alive]]
        moving = (before >= 0) & (before != source)
        walk = alive[moving]
        key = before[moving].astype(np.int64) * (source + 1) + current[walk]
        steps_path.append(walk)
        steps_arc.append(best_link_of_pair[np.searchsorted(structure.pair_key, key)])
        current[walk] = before[moving]
        alive = walk
    entry_path = np.concatenate(steps_path) if steps_path else np.zeros(0, dtype=np.int64)
    arc = np.concatenate(steps_arc) if steps_arc else np.zeros(0, dtype=np.int64)
    order = np.argsort(entry_path, kind="stable")
    return current, entry_path[order], arc[order]


class Master:
    """The restricted master in one HiGHS instance: columns ``u`` (per demand row), ``z``, ``w``,
    then paths; rows: demand, lane split, lane volume, then the coupling rows as activated."""

    def __init__(self, arrays: NetworkArrays, weights: Weights, structure: Structure,
                 penalty: np.ndarray | None = None) -> None:
        import highspy

        self.highs = new_highs()
        for option, value in (("presolve", "off"), ("dual_simplex_cost_perturbation_multiplier", PERTURBATION),
                              ("primal_feasibility_tolerance", 1e-9),
                              ("dual_feasibility_tolerance", 1e-9)):
            self.highs.setOptionValue(option, value)
        d, k, q = len(arrays.demand_node), arrays.n_commodities, arrays.queue
        r, j = weights.segment_width.shape if len(q) else (0, 0)
        self.n_demand, self.n_lanes, self.n_segments = d, r, j
        self.penalty = np.full(d, float(weights.penalty)) if penalty is None else np.asarray(penalty, dtype=float)
        self.n_split = k * structure.n_queue_nodes
        self.first_path = d + k * r + r * j
        self.n_rows = d + self.n_split + r
        lane_q = structure.queue_index[q.node] if r else np.zeros(0, dtype=np.int64)
        z_col, w_col = d + np.arange(k * r), d + k * r + np.arange(r * j)
        z_k, z_lane = np.divmod(np.arange(k * r), max(r, 1))
        rows = np.concatenate([np.arange(d), d + z_k * structure.n_queue_nodes + lane_q[z_lane],
                               d + self.n_split + z_lane, d + self.n_split + np.repeat(np.arange(r), j)])
        cols = np.concatenate([np.arange(d), z_col, z_col, w_col])
        vals = np.concatenate([np.ones(d), -np.ones(k * r), np.ones(k * r), -np.ones(r * j)])
        matrix = sparse.csc_matrix((vals, (rows, cols)), shape=(self.n_rows, self.first_path))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.first_path, self.n_rows
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.fixed_costs_and_bounds(arrays, weights)
        lp.row_lower_ = np.concatenate([arrays.demand_loads, np.full(self.n_split, -np.inf), np.zeros(r)])
        lp.row_upper_ = np.concatenate([arrays.demand_loads, np.zeros(self.n_split + r)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
        self.highs.passModel(lp)

    def fixed_costs_and_bounds(self, arrays: NetworkArrays, weights: Weights) -> tuple[np.ndarray, ...]:
        """Costs, lower and upper bounds of the ``u``, ``z`` and ``w`` columns."""
        q, k, r = arrays.queue, arrays.n_commodities, self.n_lanes
        blocked = (q.lane_type[None, :] == FAST) & ~arrays.fast_eligible[:, None] if r else np.zeros((k, 0), bool)
        cost = np.concatenate([self.penalty, np.zeros(k * r), weights.segment_cost.ravel()[:r * self.n_segments]])
        total = np.bincount(arrays.demand_commodity, arrays.demand_loads, minlength=k)[:, None]  # bounds z
        upper = np.concatenate([arrays.demand_loads, np.where(blocked, 0.0, total).ravel(),
                                weights.segment_width.ravel()[:r * self.n_segments]])
        return cost, np.zeros(len(cost)), upper

    def add_paths(self, cost: np.ndarray, upper: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                  vals: np.ndarray) -> None:
        """Add path columns (``cols`` counted from the first new one), each bounded by its demand
        row's loads: boxed columns let the dual simplex start in phase 2 (bound flips)."""
        order = np.argsort(cols, kind="stable")
        starts = np.searchsorted(cols[order], np.arange(len(cost)))
        self.highs.addCols(len(cost), cost, np.zeros(len(cost)), upper, len(rows),
                           starts.astype(np.int32), rows[order].astype(np.int32), vals[order])

    def add_rows(self, upper: np.ndarray, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> None:
        """Add ``<=`` rows (``rows`` counted from the first new one; ``cols`` are path numbers)."""
        order = np.argsort(rows, kind="stable")
        starts = np.searchsorted(rows[order], np.arange(len(upper)))
        self.highs.addRows(len(upper), np.full(len(upper), -np.inf), upper, len(rows), starts.astype(np.int32),
                           (self.first_path + cols[order]).astype(np.int32), vals[order])
        self.n_rows += len(upper)

    def set_unmet_open(self, rows: np.ndarray, loads: np.ndarray) -> None:
        """Let the unmet columns ``u[rows]`` take up to ``loads`` (0 closes them: a fixed column is never a
        simplex candidate)."""
        if len(rows):
            self.highs.changeColsBounds(len(rows), rows.astype(np.int32), np.zeros(len(rows)), loads)

    def delete_paths(self, cols: np.ndarray) -> None:
        """Drop path columns (counted from the first path column); they must be nonbasic."""
        self.highs.deleteCols(len(cols), (self.first_path + cols).astype(np.int32))

    def run(self, time_limit_s: float, *, primal: bool) -> tuple[Status, np.ndarray, np.ndarray, np.ndarray, float]:
        """Solve from the current basis, with the primal simplex after columns were added (``primal``)
        and the dual simplex otherwise: status, column values, reduced costs, row duals, objective.

        Measured on the final master of ``corridor-1e5x5`` (2026-12-02): 5 new columns took the
        primal simplex 4 iterations (0.02 s CPU), the dual simplex 2,000-4,000 (0.4-4 s)."""
        import highspy

        optimal = highspy.HighsModelStatus.kOptimal
        self.highs.setOptionValue("time_limit", max(time_limit_s, 1e-3))
        self.highs.setOptionValue("simplex_strategy", 4 if primal else 1)
        self.highs.run()
        if self.highs.getModelStatus() not in (optimal, highspy.HighsModelStatus.kTimeLimit):
            # the dual simplex may stall on this degenerate master: retry without cost perturbation,
            # then from scratch
            self.highs.setOptionValue("dual_simplex_cost_perturbation_multiplier", 0.0)
            self.highs.run()
            if self.highs.getModelStatus() not in (optimal, highspy.HighsModelStatus.kTimeLimit):
                self.highs.clearSolver()
                self.highs.run()
            self.highs.setOptionValue("dual_simplex_cost_perturbation_multiplier", PERTURBATION)
        if self.highs.getModelStatus() != optimal:
            return Status.NOT_SOLVED, np.zeros(0), np.zeros(0), np.zeros(0), np.nan
        solution = self.highs.getSolution()
        return (Status.OPTIMAL, np.asarray(solution.col_value), np.asarray(solution.col_dual),
                np.asarray(solution.row_dual), float(self.highs.getInfo().objective_function_value))


def _min_cost_flow_backend() -> object:
    """LEMON's ``solve_min_cost_flow`` when ``pylmcf`` is installed, else OR-Tools'."""
    from routing.backends.lemon import lemon_available

    if lemon_available():
        from routing.backends.lemon import solve_min_cost_flow
    else:
        from routing.backends.ortools import solve_min_cost_flow
    return solve_min_cost_flow


@dataclass(slots=True)
class Round:
    """What one pricing round found."""

    bound: float
    n_new: int


class DecompositionSession:
    """Column and row generation for one LP structure at a time; see the module docstring.

    Example
    -------
    >>> from networks.generate import random_network
    >>> from routing.formulation.weights import objective_weights
    >>> from routing.options import Objective
    >>> net = random_network(seed=1, n_commodities=2, with_power=True)
    >>> weights = objective_weights(net.arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    >>> DecompositionSession().solve(net.arrays, weights).status.value
    'optimal'
    """

    def __init__(self, *, max_rounds: int = MAX_ROUNDS, paths_per_row: int = 1, seed: bool = True,
                 smoothing: float = SMOOTHING, all_rows: bool = False, prune: bool = True) -> None:
        """``all_rows``: every coupling row with a finite limit is a master row from the start (rather than
        added when violated); ``prune``: drop idle path columns from the master (:meth:`_prune`)."""
        self.all_rows = all_rows
        self.prune = prune
        self.max_rounds = max_rounds
        self.paths_per_row = paths_per_row
        self.seed = seed
        self.smoothing = smoothing
        self.rounds = 0  # of the last solve
        self._key: str | None = None

    def solve(self, arrays: NetworkArrays, weights: Weights, *, time_limit_s: float | None = None,
              row_penalty: np.ndarray | None = None, sink_rows: np.ndarray | None = None) -> Solution:
        """Solve the LP of ``arrays`` and ``weights`` exactly (or report why not).

        ``row_penalty`` (default: ``weights.penalty`` for every row) is the cost of a load of each demand
        row left unmet (the horizon's backlog to the end, or 0 for a free sink). Supply weights may be
        negative without the sequential start (``seed=False``): the super source's arcs of each
        commodity are shifted by one constant in pricing, which moves every distance by it. ``sink_rows``
        (at most one per commodity, with a zero penalty: a free sink such as the horizon's end) are priced
        per supply row rather than per demand row: one reverse Dijkstra from the sink gives each supplier
        its best path there, so a sink fed by many suppliers gets all their paths in one round."""
        start = time.perf_counter()
        if weights.link.size and (weights.link.min() < 0 or (self.seed and weights.supply.min(initial=0.0) < 0)):
            return no_solution(Status.NOT_SOLVED, 0.0, "decomposition needs link weights >= 0 (and supply weights "
                                                       ">= 0 with the sequential start)")
        self.row_penalty = (np.full(len(arrays.demand_node), float(weights.penalty)) if row_penalty is None
                            else np.asarray(row_penalty, dtype=float))
        self.sink_row = np.full(arrays.n_commodities, -1)
        if sink_rows is not None:
            sinks = np.flatnonzero(sink_rows)
            self.sink_row[arrays.demand_commodity[sinks]] = sinks
        key = structure_key(arrays)
        cold = key != self._key
        if cold:
            self._start(arrays, weights, key)
        else:
            self.master.penalty = self.row_penalty
            self._update(arrays, weights)
        self.arrays, self.weights = arrays, weights
        if cold and self.seed:
            self._seed()
        if cold and self.all_rows:
            for family in self.families.values():
                self._add_rows(family, np.flatnonzero((family.row < 0) & np.isfinite(family.limit)))
        deadline = start + (time_limit_s if time_limit_s else np.inf)
        return self._iterate(start, deadline)

    # --- set-up ---------------------------------------------------------------------------------

    def _start(self, arrays: NetworkArrays, weights: Weights, key: str) -> None:
        self._key = key
        self.structure = build_structure(arrays)
        self.master = Master(arrays, weights, self.structure, self.row_penalty)
        self.paths = Paths()
        self.master_paths = np.zeros(0, dtype=np.int64)  # pool index of each master path column
        self.idle = np.zeros(0, dtype=np.int64)  # per master path column: re-solves spent useless
        self.pruned = 0
        self.n_kept = 0  # the first pooled paths (the feasible start's) are never dropped from the master
        self.unmet_open = np.ones(len(arrays.demand_node), dtype=bool)  # u[r] free, or fixed at 0 (LAZY_UNMET)
        limits = self._limits(arrays)
        self.families = {name: Family(limit=limit, row=np.full(len(limit), -1)) for name, limit in limits.items()}

    def _seed(self) -> None:
        """Start the master from the sequential min-cost flows (:mod:`routing.formulation.sequential`):
        their paths as columns, and a row for every coupling row they fill."""
        from routing.formulation.sequential import sequential_paths

        start = sequential_paths(self.arrays, self.weights, _min_cost_flow_backend())
        if start is None or not len(start.commodity):
            return
        lengths = np.bincount(start.entry_path, minlength=len(start.commodity))
        first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        position = np.arange(len(start.arc)) - first[start.entry_path]
        arc = start.arc[first[start.entry_path] + lengths[start.entry_path] - 1 - position]  # market first, as pricing
        hashes = path_hashes(start.supply, start.demand, start.entry_path, arc, len(start.commodity))
        keep = np.zeros(len(hashes), dtype=bool)
        keep[np.unique(hashes, return_index=True)[1]] = True
        keep &= (start.supply >= 0) & (start.demand >= 0)
        renumber = np.cumsum(keep) - 1
        kept_entry = keep[start.entry_path]
        self._append(Paths(start.commodity[keep], start.supply[keep], start.demand[keep],
                           renumber[start.entry_path[kept_entry]], arc[kept_entry], hashes[keep]))
        self._activate_columns(np.arange(int(keep.sum())))
        self.n_kept = int(keep.sum())
        flow = np.zeros(len(self.paths))
        flow[:int(keep.sum())] = start.amount[keep]
        self._activate_violated(flow, slack=SEED_SLACK)
        if LAZY_UNMET:  # rows the start serves in full need no unmet column until it prices out
            served = np.bincount(start.demand[keep], start.amount[keep], minlength=len(self.unmet_open))
            demand = self.arrays.demand_loads
            self.unmet_open = served < demand - FEASIBILITY_TOLERANCE * np.maximum(1.0, demand)
            closed = np.flatnonzero(~self.unmet_open)
            self.master.set_unmet_open(closed, np.zeros(len(closed)))

    @staticmethod
    def _limits(arrays: NetworkArrays) -> dict[str, np.ndarray]:
        return dict(zip(FAMILIES, (arrays.capacity, arrays.throughput, 24.0 * arrays.power_mw,
                                   arrays.water_m3_per_day, arrays.supply_capacity), strict=True))

    def _update(self, arrays: NetworkArrays, weights: Weights) -> None:
        """A variant of the same structure: new costs and bounds, same columns and rows."""
        highs, master = self.master.highs, self.master
        cost, lower, upper = master.fixed_costs_and_bounds(arrays, weights)
        cols = np.arange(master.first_path, dtype=np.int32)
        highs.changeColsCost(len(cols), cols, cost)
        highs.changeColsBounds(len(cols), cols, lower, upper)  # every unmet column open again
        self.unmet_open[:] = True
        if len(self.master_paths):
            path_cols = (master.first_path + np.arange(len(self.master_paths))).astype(np.int32)
            highs.changeColsCost(len(path_cols), path_cols,
                                 self._path_costs(arrays, weights, self.paths)[self.master_paths])
            highs.changeColsBounds(len(path_cols), path_cols, np.zeros(len(path_cols)),
                                   arrays.demand_loads[self.paths.demand[self.master_paths]])
            self.idle[:] = 0
        d = master.n_demand
        demand_rows = np.arange(d, dtype=np.int32)
        highs.changeRowsBounds(d, demand_rows, arrays.demand_loads, arrays.demand_loads)
        for name, limit in self._limits(arrays).items():
            family = self.families[name]
            family.limit = limit
            active = np.flatnonzero(family.row >= 0)
            if len(active):
                highs.changeRowsBounds(len(active), family.row[active].astype(np.int32), np.full(len(active), -np.inf),
                                       limit[active])

    @staticmethod
    def _path_costs(arrays: NetworkArrays, weights: Weights, paths: Paths) -> np.ndarray:
        link = weights.link
        return np.bincount(paths.entry_path, link[paths.arc], minlength=len(paths)) + weights.supply[paths.supply]

    # --- the loop -------------------------------------------------------------------------------

    def _iterate(self, start: float, deadline: float) -> Solution:
        """Alternate row generation (while the master violates a coupling row) and pricing (while a
        path prices out and the gap is open) until optimality is proven or a limit is hit."""
        best_bound, gap, proven, feasible, center = -np.inf, np.inf, False, None, None
        status, x, reduced, dual, objective = self._run(deadline, primal=False)
        self.rounds = self.pricing_rounds = 0
        while status == Status.OPTIMAL:
            flow = self._pool_flow(x)
            violated = self._activate_violated(flow)
            if self.rounds >= self.max_rounds or time.perf_counter() >= deadline:
                if not violated:
                    feasible = (flow, x[:self.master.first_path].copy(), dual, objective)
                break
            if violated:  # new rows, and the columns that price out (any multipliers give a bound): one dual re-solve
                self.rounds += 1
                found, center, best_bound = self._smoothed_price(dual, center, best_bound)
                status, x, reduced, dual, objective = self._run(deadline, primal=False)
                continue
            feasible = (flow, x[:self.master.first_path].copy(), dual, objective)
            self._prune(x, reduced)
            found, center, best_bound = self._smoothed_price(dual, center, best_bound)
            gap = (objective - best_bound) / max(1.0, abs(objective))
            if gap <= GAP_TOLERANCE or found.n_new == 0:
                proven = True  # by this dual (no column prices out) or by the best bound's multipliers
                certificate = dual if found.n_new == 0 else center
                break
            self.rounds += 1  # new columns: the basis stays primal feasible; few are best left to the primal simplex
            status, x, reduced, dual, objective = self._run(deadline, primal=found.n_new <= PRIMAL_MAX_COLUMNS)
        elapsed = time.perf_counter() - start
        if feasible is None:
            return no_solution(Status.NOT_SOLVED, elapsed, f"decomposition: no feasible master after {self.rounds} "
                                                           "re-solves")
        flow, fixed, dual, objective = feasible
        if proven:  # a master's dual may be optimal for it and still price a column out: keep the proof's
            dual = certificate
        self.final_dual = dual
        detail = (f"decomposition: {self.pricing_rounds} pricing rounds, {self.rounds} master re-solves, "
                  f"{len(self.paths)} paths ({len(self.master_paths)} in the master, {self.pruned} dropped), "
                  f"{self.master.n_rows - self.master.n_demand} master rows, "
                  f"objective {objective:.12g}, bound {best_bound:.12g}, gap {max(gap, 0.0):.1e}")
        return self._solution(Status.OPTIMAL if proven else Status.FEASIBLE, flow, fixed, dual, elapsed, detail)

    def _run(self, deadline: float, *, primal: bool) -> tuple[Status, np.ndarray, np.ndarray, np.ndarray, float]:
        """One master solve (:meth:`Master.run`); should it fail with unmet columns closed (the start keeps the
        master feasible, so it should not), once more with all of them open."""
        result = self.master.run(deadline - time.perf_counter(), primal=primal)
        if result[0] != Status.OPTIMAL and not self.unmet_open.all() and time.perf_counter() < deadline:
            closed = np.flatnonzero(~self.unmet_open)
            self.unmet_open[:] = True
            self.master.set_unmet_open(closed, self.arrays.demand_loads[closed])
            result = self.master.run(deadline - time.perf_counter(), primal=False)
        return result

    def _smoothed_price(self, dual: np.ndarray, center: np.ndarray | None,
                        best_bound: float) -> tuple[Round, np.ndarray, float]:
        """Wentges smoothing: price at ``alpha x center + (1 - alpha) x dual``, with ``center`` the
        multipliers of the best bound so far; where that finds no new column (a mis-price), price at
        the master's own ``dual``, whose finding no column proves optimality. Returns the round that
        counts, the new center and the best bound (every bound is a valid Lagrangian bound)."""
        rounds = []
        if center is not None and self.smoothing > 0:
            center = np.concatenate([center, np.zeros(len(dual) - len(center))])
            rounds.append(self.smoothing * center + (1.0 - self.smoothing) * dual)
        rounds.append(dual)
        for point in rounds:
            self.pricing_rounds += 1
            found = self._price(point)
            if found.bound > best_bound:
                best_bound, center = found.bound, point
            if found.n_new:
                break
        return found, (dual if center is None else center), best_bound

    def _pool_flow(self, x: np.ndarray) -> np.ndarray:
        """Loads per pooled path (0 for paths outside the master)."""
        flow = np.zeros(len(self.paths))
        flow[self.master_paths] = np.maximum(0.0, x[self.master.first_path:self.master.first_path
                                                   + len(self.master_paths)])
        return flow

    def _prune(self, x: np.ndarray, reduced: np.ndarray) -> None:
        """Drop master path columns that sat at zero with a positive reduced cost for
        :data:`PRUNE_AGE` re-solves, once they are :data:`PRUNE_SHARE` of the path columns (they stay
        in the pool and come back when they price out again)."""
        if not self.prune:
            return
        first, n = self.master.first_path, len(self.master_paths)
        value, rc = x[first:first + n], reduced[first:first + n]
        useless = (value <= 0.0) & (rc > PRUNE_REDUCED_COST) & (self.master_paths >= self.n_kept)
        self.idle = np.where(useless, self.idle + 1, 0)
        drop = np.flatnonzero(self.idle >= PRUNE_AGE)
        if len(drop) < max(1, PRUNE_SHARE * n):
            return
        self.master.delete_paths(drop)
        keep = np.ones(n, dtype=bool)
        keep[drop] = False
        self.paths.column[self.master_paths[drop]] = -1
        self.master_paths, self.idle = self.master_paths[keep], self.idle[keep]
        self.paths.column[self.master_paths] = np.arange(len(self.master_paths))
        self.pruned += len(drop)

    def _multipliers(self, dual: np.ndarray) -> dict[str, np.ndarray]:
        """``mu >= 0`` per owner of each family (0 for inactive rows)."""
        mu = {}
        for name, family in self.families.items():
            values = np.zeros(len(family.limit))
            active = family.row >= 0
            values[active] = np.maximum(0.0, -dual[family.row[active]])
            mu[name] = values
        return mu

    def _pricing_costs(self, dual: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray,
                                                         np.ndarray, np.ndarray]:
        """What pricing reads off the master's row duals: the duals padded to the master's rows (rows
        added since: multiplier 0), the coupling multipliers, the lane-split multipliers (commodities,
        queued crossings), the link costs every commodity shares, each link head's queued-crossing
        index and the cost of starting at each supply row."""
        a, w, s, m = self.arrays, self.weights, self.structure, self.master
        dual = np.concatenate([dual, np.zeros(m.n_rows - len(dual))])
        mu = self._multipliers(dual)
        d, k, q = m.n_demand, s.n_commodities, s.n_queue_nodes
        split = np.maximum(0.0, -dual[d:d + m.n_split]).reshape(k, q) if q else np.zeros((k, 0))
        shared = w.link + mu["capacity"] + mu["throughput"][a.head]
        supply_cost = (w.supply + mu["supply"] + mu["throughput"][a.supply_node]
                       + a.power_mwh_per_load[a.supply_commodity] * mu["power"][a.supply_node]
                       + a.water_m3_per_load[a.supply_commodity] * mu["water"][a.supply_node])
        return dual, mu, split, shared, s.queue_index[a.head], supply_cost

    def _price(self, dual: np.ndarray) -> Round:
        """Shortest paths under the multipliers: the Lagrangian bound and the paths that price out.

        Without queued crossings every commodity sees the same link costs, so one Dijkstra per
        plant serves all commodities and each demand row may take paths from its
        :attr:`paths_per_row` best plants; with them, one tree per commodity from a super source."""
        a, s, m = self.arrays, self.structure, self.master
        d, k, q = m.n_demand, s.n_commodities, s.n_queue_nodes
        dual, mu, split, shared, into_queue, supply_cost = self._pricing_costs(dual)
        bound = -sum(float(mu[name][f.row >= 0] @ f.limit[f.row >= 0]) for name, f in self.families.items())
        bound += self._queue_bound(dual, split)
        new, extra = [], []
        if q == 0 and self.paths_per_row > 1:
            pair_cost, best_link = self._pair_costs(shared)
            graph = sparse.csr_matrix((pair_cost, s.pair_head, s.pair_indptr),
                                      shape=(s.n_nodes, s.n_nodes))
            dist, pred = dijkstra(graph, indices=s.plants, return_predecessors=True)
            for c in range(k):
                rows, supply_rows = s.demand_rows[c], s.supply_rows[c]
                plant = s.plant_of_supply[supply_rows]
                value = supply_cost[supply_rows][:, None] + dist[plant][:, a.demand_node[rows]]  # (suppliers, rows)
                best = value.min(axis=0, initial=np.inf)
                bound += float(a.demand_loads[rows] @ np.minimum(self.row_penalty[rows], best))
                order = np.argsort(value, axis=0)[:self.paths_per_row]
                chosen = np.take_along_axis(value, order, axis=0)
                enter = np.isfinite(chosen) & (chosen - dual[rows][None, :]
                                               < -PRICE_TOLERANCE * np.maximum(1.0, np.abs(chosen)))
                which, col = np.nonzero(enter)
                supply_of = supply_rows[order[which, col]]
                new.append((c, rows[col], supply_of, pred, s.plant_of_supply[supply_of], best_link))
        else:
            same = None if q else self._pair_costs(shared)  # without queued crossings every commodity sees these
            for c in range(k):
                if same is None:
                    pair_cost, best_link = self._pair_costs(shared + np.where(into_queue >= 0,
                                                                              split[c, np.maximum(into_queue, 0)], 0.0))
                else:
                    pair_cost, best_link = same
                dist, pred = self._tree(c, pair_cost, supply_cost)
                rows = s.demand_rows[c]
                best = dist[a.demand_node[rows]]
                bound += float(a.demand_loads[rows] @ np.minimum(self.row_penalty[rows], best))
                enter = np.isfinite(best) & (best - dual[rows] < -PRICE_TOLERANCE * np.maximum(1.0, np.abs(best)))
                if self.sink_row[c] >= 0:
                    enter &= rows != self.sink_row[c]
                    extra.append(self._sink_paths(c, pair_cost, best_link, supply_cost, dual))
                new.append((c, rows[enter], None, pred[None, :], np.zeros(int(enter.sum()), dtype=np.int64), best_link))
        return Round(bound=bound, n_new=self._add_paths(new, extra) + self._open_unmet(dual[:d]))

    def _sink_paths(self, c: int, pair_cost: np.ndarray, best_link: np.ndarray, supply_cost: np.ndarray,
                    dual: np.ndarray) -> tuple[np.ndarray, ...]:
        """The paths of commodity ``c``'s supply rows to its sink row that price out: one reverse
        Dijkstra from the sink, then each supplier's path walked forward (links stored sink first)."""
        a, s = self.arrays, self.structure
        sink, n = self.sink_row[c], s.n_nodes
        graph = sparse.csr_matrix((pair_cost, s.pair_head, s.pair_indptr), shape=(n, n))
        dist, after = dijkstra(graph.T.tocsr(), indices=a.demand_node[sink], return_predecessors=True)
        supply_rows = s.supply_rows[c]
        value = supply_cost[supply_rows] + dist[a.supply_node[supply_rows]]
        chosen = supply_rows[np.isfinite(value) & (value - dual[sink]
                                                   < -PRICE_TOLERANCE * np.maximum(1.0, np.abs(value)))]
        current = a.supply_node[chosen].copy()
        alive = np.arange(len(chosen))
        walk_path, walk_arc, walk_step = [], [], []
        step = 0
        while len(alive):
            nxt = after[current[alive]]
            moving = nxt >= 0
            alive, nxt = alive[moving], nxt[moving]
            key = current[alive].astype(np.int64) * (n + 1) + nxt
            walk_path.append(alive)
            walk_arc.append(best_link[np.searchsorted(s.pair_key, key)])
            walk_step.append(np.full(len(alive), step))
            current[alive] = nxt
            step += 1
        entry = np.concatenate(walk_path) if walk_path else np.zeros(0, dtype=np.int64)
        arc = np.concatenate(walk_arc) if walk_arc else np.zeros(0, dtype=np.int64)
        order = np.lexsort((-np.concatenate(walk_step), entry)) if walk_step else np.zeros(0, dtype=np.int64)
        return (np.full(len(chosen), c), chosen, np.full(len(chosen), sink), entry[order], arc[order])

    def _tree(self, c: int, pair_cost: np.ndarray, supply_cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Commodity ``c``'s shortest-path tree from the super source (distances and predecessors).

        Dijkstra needs arcs >= 0: the super source's arcs are shifted by one constant (the most negative
        start cost) and the distances shifted back, which is exact as every path takes one such arc."""
        s = self.structure
        start_cost = supply_cost[s.supply_rows[c]]
        shift = max(0.0, -float(start_cost.min(initial=0.0)))
        graph = sparse.csr_matrix((np.concatenate([pair_cost, start_cost + shift]), s.indices[c], s.indptr[c]),
                                  shape=(s.n_nodes + 1, s.n_nodes + 1))
        dist, pred = dijkstra(graph, indices=s.n_nodes, return_predecessors=True)
        return dist - shift, pred

    def potentials(self, dual: np.ndarray) -> dict[str, np.ndarray]:
        """The multipliers at the master's row duals ``dual`` (as pricing sees them) and, per commodity,
        every node's shortest-path distance from the super source (``"dist"``, (commodities, nodes);
        ``inf`` where none reaches): the node potentials of the arc formulation's conservation rows.
        Also ``"split"`` (commodities, queued crossings) and ``"volume"`` (lane types), the master's
        lane-split multipliers (>= 0) and lane-volume duals."""
        s, m = self.structure, self.master
        d, k, q = m.n_demand, s.n_commodities, s.n_queue_nodes
        dual, mu, split, shared, into_queue, supply_cost = self._pricing_costs(dual)
        dist = np.empty((k, s.n_nodes))
        for c in range(k):
            link_cost = shared + (np.where(into_queue >= 0, split[c, np.maximum(into_queue, 0)], 0.0) if q else 0.0)
            dist[c] = self._tree(c, self._pair_costs(link_cost)[0], supply_cost)[0][:s.n_nodes]
        return {**mu, "dist": dist, "split": split, "volume": dual[d + m.n_split:d + m.n_split + m.n_lanes].copy()}

    def _open_unmet(self, demand_dual: np.ndarray) -> int:
        """Open the closed unmet columns that price out (``penalty - dual < 0``); how many."""
        if not LAZY_UNMET or self.unmet_open.all():
            return 0
        penalty = self.row_penalty
        rows = np.flatnonzero(~self.unmet_open & (penalty - demand_dual < -PRICE_TOLERANCE * np.maximum(1.0,
                                                                                                        np.abs(penalty))))
        self.unmet_open[rows] = True
        self.master.set_unmet_open(rows, self.arrays.demand_loads[rows])
        return len(rows)

    def _pair_costs(self, link_cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cheapest of parallel links per (tail, head) pair, and which link it is."""
        s = self.structure
        sorted_cost = link_cost[s.link_order]
        if not len(sorted_cost):
            return sorted_cost, np.zeros(0, dtype=np.int64)
        pair_cost = np.minimum.reduceat(sorted_cost, s.pair_start)
        pair_sorted = s.pair_of_link[s.link_order]
        is_min = sorted_cost == pair_cost[pair_sorted]
        first = np.unique(pair_sorted[is_min], return_index=True)[1]
        return pair_cost, s.link_order[np.flatnonzero(is_min)[first]]

    def _queue_bound(self, dual: np.ndarray, split: np.ndarray) -> float:
        """The ``z`` and ``w`` part of the Lagrangian, with lane-volume multipliers lowered so that
        no ``z`` that may be positive has a negative reduced cost."""
        m, a, w = self.master, self.arrays, self.weights
        r, j = m.n_lanes, m.n_segments
        if r == 0:
            return 0.0
        volume_dual = dual[m.n_demand + m.n_split:m.n_demand + m.n_split + r]
        lane_q = self.structure.queue_index[a.queue.node]
        allowed = ~((a.queue.lane_type[None, :] == FAST) & ~a.fast_eligible[:, None])
        lowest = np.where(allowed, -split[:, lane_q], np.inf).min(axis=0)
        volume_dual = np.minimum(volume_dual, lowest)
        reduced_w = w.segment_cost.reshape(r, j) + volume_dual[:, None]
        return float((w.segment_width.reshape(r, j) * np.minimum(0.0, reduced_w)).sum())

    # --- columns and rows -----------------------------------------------------------------------

    def _add_paths(self, found: list[tuple], extra: list[tuple] = ()) -> int:
        """Turn predecessor trees into new path columns (twins of pooled paths are dropped).

        ``found`` holds, per commodity, ``(commodity, demand rows, supply rows or None, pred, tree,
        best link per pair)``; without supply rows a path's supply row is that of its first node. ``extra``
        holds paths already walked, as ``(commodity, supply rows, demand rows, entry_path, arc)``."""
        if not found and not extra:
            return 0
        a, s, paths = self.arrays, self.structure, self.paths
        parts = []
        for c, rows, supply_rows, pred, tree, best_link in found:
            origin, entry, arc = extract_paths(pred, tree, a.demand_node[rows], s, best_link)
            if supply_rows is None:
                supply_of_node = np.full(s.n_nodes, -1)
                supply_of_node[a.supply_node[s.supply_rows[c]]] = s.supply_rows[c]
                supply_rows = supply_of_node[origin]
            parts.append((np.full(len(rows), c), supply_rows, rows, entry, arc))
        parts.extend(extra)
        offsets = np.cumsum([0] + [len(p[0]) for p in parts])
        commodity, supply, demand = (np.concatenate([p[i] for p in parts]) for i in range(3))
        entry = np.concatenate([p[3] + off for p, off in zip(parts, offsets, strict=False)])
        arc = np.concatenate([p[4] for p in parts])
        hashes = path_hashes(supply, demand, entry, arc, len(commodity))
        unique = np.zeros(len(hashes), dtype=bool)
        unique[np.unique(hashes, return_index=True)[1]] = True  # first of twins found in this round
        order = np.argsort(paths.hashes)
        at = np.minimum(np.searchsorted(paths.hashes[order], hashes), max(len(order) - 1, 0))
        pooled = (paths.hashes[order][at] == hashes) if len(order) else np.zeros(len(hashes), dtype=bool)
        keep = unique & ~pooled
        back = order[at[unique & pooled]] if len(order) else np.zeros(0, dtype=np.int64)
        back = back[paths.column[back] < 0]  # pooled paths outside the master that price out again
        first = len(paths)
        if keep.any():
            renumber = np.cumsum(keep) - 1
            kept_entry = keep[entry]
            self._append(Paths(commodity[keep], supply[keep], demand[keep], renumber[entry[kept_entry]],
                               arc[kept_entry], hashes[keep]))
        chosen = np.concatenate([first + np.arange(int(keep.sum())), back])
        if len(chosen):
            self._activate_columns(chosen)
        return len(chosen)

    def _terms(self, p: Paths, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(owner, path, coef)`` of the paths ``p`` in the rows of one family."""
        a = self.arrays
        n_paths = np.arange(len(p))
        node = a.supply_node[p.supply]
        if name == "capacity":
            owner, path, coef = p.arc, p.entry_path, np.ones(len(p.arc))
        elif name == "throughput":
            owner = np.concatenate([a.head[p.arc], node])
            path, coef = np.concatenate([p.entry_path, n_paths]), np.ones(len(p.arc) + len(p))
        elif name in ("power", "water"):
            per_load = (a.power_mwh_per_load if name == "power" else a.water_m3_per_load)[p.commodity]
            owner, path, coef = node, n_paths, per_load
        else:
            owner, path, coef = p.supply, n_paths, np.ones(len(p))
        keep = np.isfinite(self.families[name].limit[owner]) & (coef != 0)
        return owner[keep], path[keep], coef[keep]

    def _append(self, new: Paths) -> None:
        """Add ``new`` to the pool and to every family's terms (not yet to the master)."""
        paths, first = self.paths, len(self.paths)
        for name, family in self.families.items():
            owner, path, coef = self._terms(new, name)
            family.owner = np.concatenate([family.owner, owner])
            family.path = np.concatenate([family.path, path + first])
            family.coef = np.concatenate([family.coef, coef])
        paths.commodity = np.concatenate([paths.commodity, new.commodity])
        paths.supply = np.concatenate([paths.supply, new.supply])
        paths.demand = np.concatenate([paths.demand, new.demand])
        paths.entry_path = np.concatenate([paths.entry_path, new.entry_path + first])
        paths.arc = np.concatenate([paths.arc, new.arc])
        paths.hashes = np.concatenate([paths.hashes, new.hashes])
        paths.column = np.concatenate([paths.column, np.full(len(new), -1)])

    def _activate_columns(self, chosen: np.ndarray) -> None:
        """Add the pooled paths ``chosen`` to the master, with their terms in its current rows."""
        a, s, m, paths = self.arrays, self.structure, self.master, self.paths
        local = np.full(len(paths), -1)
        local[chosen] = np.arange(len(chosen))
        rows, cols, vals = [paths.demand[chosen]], [np.arange(len(chosen))], [np.ones(len(chosen))]
        q_of_head = s.queue_index[a.head[paths.arc]]
        into = (q_of_head >= 0) & (local[paths.entry_path] >= 0)
        rows.append(m.n_demand + paths.commodity[paths.entry_path[into]] * s.n_queue_nodes + q_of_head[into])
        cols.append(local[paths.entry_path[into]])
        vals.append(np.ones(int(into.sum())))
        for family in self.families.values():
            take = (local[family.path] >= 0) & (family.row[family.owner] >= 0)
            rows.append(family.row[family.owner[take]])
            cols.append(local[family.path[take]])
            vals.append(family.coef[take])
        cost = self._path_costs(a, self.weights, paths)[chosen]
        m.add_paths(cost, a.demand_loads[paths.demand[chosen]], np.concatenate(rows), np.concatenate(cols),
                    np.concatenate(vals))
        paths.column[chosen] = len(self.master_paths) + np.arange(len(chosen))
        self.master_paths = np.concatenate([self.master_paths, chosen])
        self.idle = np.concatenate([self.idle, np.zeros(len(chosen), dtype=np.int64)])

    def _activate_violated(self, flow: np.ndarray, *, slack: float = 0.0) -> bool:
        """Add a master row for every coupling row the path flows violate (or come within ``slack``
        of, see :meth:`Family.violated`); whether any was."""
        added = False
        for family in self.families.values():
            owners = family.violated(flow, slack=slack)
            if len(owners):
                self._add_rows(family, owners)
                added = True
        return added

    def _add_rows(self, family: Family, owners: np.ndarray) -> None:
        """Master rows for ``owners`` of ``family``, with the terms of the master's path columns."""
        if not len(owners):
            return
        first_row = self.master.n_rows
        family.row[owners] = first_row + np.arange(len(owners))
        mask = np.isin(family.owner, owners) & (self.paths.column[family.path] >= 0)
        self.master.add_rows(family.limit[owners], family.row[family.owner[mask]] - first_row,
                             self.paths.column[family.path[mask]], family.coef[mask])

    # --- the answer -----------------------------------------------------------------------------

    def _solution(self, status: Status, pool_flow: np.ndarray, x: np.ndarray, dual: np.ndarray, elapsed: float,
                  detail: str) -> Solution:
        """Map path flows (``pool_flow``), the ``u, z, w`` values ``x`` and the multipliers onto links,
        supply rows, nodes and lane types."""
        a, m, p, s = self.arrays, self.master, self.paths, self.structure
        k, n, nl = a.n_commodities, a.n_nodes, a.n_links
        f = np.zeros(len(p))  # the flows and duals may predate the last columns and rows added
        f[:len(pool_flow)] = pool_flow
        dual = np.concatenate([dual, np.zeros(m.n_rows - len(dual))])
        flow = np.bincount(p.commodity[p.entry_path] * nl + p.arc, f[p.entry_path], minlength=k * nl).reshape(k, nl)
        production = np.bincount(p.supply, f, minlength=len(a.supply_node))
        unmet = np.maximum(0.0, x[:m.n_demand])
        assign = np.maximum(0.0, x[m.n_demand:m.n_demand + k * m.n_lanes]).reshape(k, m.n_lanes)
        if m.n_lanes:
            inflow = np.stack([np.bincount(a.head, flow[c], minlength=n) for c in range(k)])
            lane_q = s.queue_index[a.queue.node]
            crossing_of_lane = np.zeros((m.n_lanes, s.n_queue_nodes))
            crossing_of_lane[np.arange(m.n_lanes), lane_q] = 1.0
            per_crossing = assign @ crossing_of_lane
            scale = np.divide(inflow[:, a.queue.node], per_crossing[:, lane_q], out=np.zeros_like(assign),
                              where=per_crossing[:, lane_q] > 0)
            assign = assign * np.minimum(1.0, scale)
        mu = self._multipliers(dual)
        return Solution(status, flow, production, unmet, mu["capacity"], mu["throughput"], mu["supply"], mu["power"],
                        mu["water"], elapsed, detail=detail, queue_assign=assign)
