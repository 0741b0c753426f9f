"""The decomposition solver (path column generation with lazily added coupling rows) against HiGHS
on random networks with every row type, on a hand-solved instance, and across warm re-solves."""

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from networks import Network
from networks.generate import random_network
from routing import LeadTimeModel
from routing.formulation.decomposition import DecompositionSession
from routing.formulation.solution import Status
from routing.formulation.weights import objective_weights
from routing.options import Objective

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = 1e-6


def rich_network(seed: int, n_commodities: int, *, n_hubs: int = 5, extra_links: int = 10,
                 crossings: bool = True) -> Network:
    """A random network with shared link capacities, crossing throughputs, plant power and water
    limits, and wait curves (some FAST lanes) at the border crossings."""
    base = random_network(seed=seed, n_commodities=n_commodities, n_hubs=n_hubs, extra_links=extra_links,
                          with_power=True)
    rng = np.random.default_rng(seed + 1)
    goods = base.commodities.with_columns(
        water_m3_per_load=pl.Series(rng.integers(0, 4, n_commodities).astype(float)),
        fast_eligible=pl.Series(rng.random(n_commodities) < 0.5))
    plant = base.nodes["kind"] == "plant"
    nodes = base.nodes.with_columns(water_m3_per_day=pl.when(plant).then(
        pl.Series(rng.integers(10, 80, base.nodes.height).astype(float))).otherwise(None))
    tables = {"nodes": nodes, "links": base.links, "commodities": goods, "supply": base.supply, "demand": base.demand}
    border = base.nodes.filter(pl.col("kind") == "border_crossing")["id"].to_list()
    if crossings and border:
        rows = []
        for node in border:
            for lane in ("general", "fast") if rng.random() < 0.5 else ("general",):
                lanes, rate, hours = int(rng.integers(1, 4)), float(rng.integers(1, 5)), float(rng.integers(8, 25))
                rows.append({"node": node, "lane_type": lane, "lanes": float(lanes), "loads_per_lane_hour": rate,
                             "open_h_per_day": hours,
                             "reference_loads_per_day": float(np.round(rng.uniform(0.1, 0.8) * lanes * rate * hours, 1)),
                             "wait_typical_h": float(rng.integers(1, 5)) / 2})
        tables["crossings"] = pl.DataFrame(rows)
    return Network.from_frames(**tables, name=f"rich-{seed}")


def solve_both(network: Network, objective: str = "lead_time"):
    highs = LeadTimeModel(network, solver="highs", objective=objective).solve()
    weights = objective_weights(network.arrays, Objective(objective), usd_per_load_hour=5.0)
    return highs, DecompositionSession().solve(network.arrays, weights), weights


def assert_complementary(network: Network, solution) -> None:
    """Primal feasibility of every coupling row and, where a row's saving is positive, that it binds."""
    a = network.arrays
    totals = solution.flow.sum(axis=0)
    started = np.bincount(a.supply_node, solution.production, minlength=a.n_nodes)
    through = np.bincount(a.head, totals, minlength=a.n_nodes) + started
    power = np.bincount(a.supply_node, solution.production * a.power_mwh_per_load[a.supply_commodity],
                        minlength=a.n_nodes)
    water = np.bincount(a.supply_node, solution.production * a.water_m3_per_load[a.supply_commodity],
                        minlength=a.n_nodes)
    for used, limit, saved in ((totals, a.capacity, solution.link_saved), (through, a.throughput, solution.node_saved),
                               (power, 24.0 * a.power_mw, solution.power_saved),
                               (water, a.water_m3_per_day, solution.water_saved),
                               (solution.production, a.supply_capacity, solution.supply_saved)):
        slack = limit - used
        assert np.all(slack >= -TOL * np.maximum(1.0, np.abs(np.nan_to_num(limit, posinf=0.0))))
        assert np.all(saved >= 0)
        assert np.all(np.abs(saved * np.where(np.isfinite(slack), slack, 1.0)) <= 1e-5 * np.maximum(1.0, saved)), \
            "a positive saving on a row that does not bind"


def assert_conserved(network: Network, solution) -> None:
    a = network.arrays
    net_in = np.stack([np.bincount(a.head, f, minlength=a.n_nodes) - np.bincount(a.tail, f, minlength=a.n_nodes)
                       for f in solution.flow])
    np.add.at(net_in, (a.supply_commodity, a.supply_node), solution.production)
    np.add.at(net_in, (a.demand_commodity, a.demand_node), solution.unmet)
    expected = np.zeros_like(net_in)
    np.add.at(expected, (a.demand_commodity, a.demand_node), a.demand_loads)
    np.testing.assert_allclose(net_in, expected, atol=1e-6)
    if len(a.queue):  # every load entering a queued crossing takes one of its lanes
        inflow = np.stack([np.bincount(a.head, f, minlength=a.n_nodes) for f in solution.flow])
        nodes = np.unique(a.queue.node)
        assigned = np.stack([np.bincount(a.queue.node, z, minlength=a.n_nodes) for z in solution.queue_assign])
        np.testing.assert_allclose(assigned[:, nodes], inflow[:, nodes], atol=1e-6)


@SETTINGS
@given(st.integers(0, 2**32 - 2), st.integers(1, 3), st.integers(1, 6), st.integers(0, 14),
       st.sampled_from(["lead_time", "cost", "blend"]))
def test_decomposition_matches_highs_with_every_row_type(seed, n_commodities, n_hubs, extra_links, objective):
    network = rich_network(seed, n_commodities, n_hubs=n_hubs, extra_links=extra_links)
    highs, solution, _ = solve_both(network, objective)
    assert highs.status == solution.status == Status.OPTIMAL
    assert "gap" in solution.detail
    result = LeadTimeModel(network, solver="decomposition", objective=objective).solve()
    assert result.status == "optimal"
    assert result.objective == pytest.approx(highs.objective, rel=TOL, abs=TOL)
    assert_conserved(network, solution)
    assert_complementary(network, solution)


def _plain_nodes(ids: list[str], kinds: list[str]) -> pl.DataFrame:
    """Nodes with no throughput, dwell, power or water limit (all at one place in Mexico)."""
    n = len(ids)
    return pl.DataFrame({"id": ids, "name": ids, "kind": kinds, "country": ["MX"] * n, "region": ["R"] * n,
                         "lat": [20.0] * n, "lon": [-100.0] * n, "throughput_loads_per_day": [None] * n,
                         "dwell_h": [0.0] * n, "power_mw": [None] * n, "water_m3_per_day": [None] * n})


@pytest.mark.parametrize("seed", [3, 17, 2024])
def test_savings_are_the_lagrangian_multipliers_of_the_optimum(seed):
    """With the returned savings as multipliers, shortest paths (scipy, independent of the solver's
    pricing) give a Lagrangian bound equal to the optimum: the savings are optimal duals."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    network = rich_network(seed, 2, crossings=False)
    _, solution, w = solve_both(network)
    a = network.arrays
    bound = -sum(float(saved[np.isfinite(limit)] @ limit[np.isfinite(limit)]) for saved, limit in (
        (solution.link_saved, a.capacity), (solution.node_saved, a.throughput), (solution.power_saved, 24 * a.power_mw),
        (solution.water_saved, a.water_m3_per_day), (solution.supply_saved, a.supply_capacity)))
    arc = w.link + solution.link_saved + solution.node_saved[a.head]
    for k in range(a.n_commodities):
        rows = np.flatnonzero(a.supply_commodity == k)
        start = (w.supply[rows] + solution.supply_saved[rows] + solution.node_saved[a.supply_node[rows]]
                 + a.power_mwh_per_load[k] * solution.power_saved[a.supply_node[rows]]
                 + a.water_m3_per_load[k] * solution.water_saved[a.supply_node[rows]])
        dist = np.full(a.n_nodes, np.inf)
        for node, cost in zip(a.supply_node[rows], start, strict=True):
            graph = csr_matrix((arc, (a.tail, a.head)), shape=(a.n_nodes, a.n_nodes))  # no parallel links here
            dist = np.minimum(dist, cost + dijkstra(graph, indices=node))
        demand = np.flatnonzero(a.demand_commodity == k)
        bound += float(a.demand_loads[demand] @ np.minimum(w.penalty, dist[a.demand_node[demand]]))
    flow_cost = float((solution.flow @ w.link).sum() + solution.production @ w.supply
                      + w.penalty * solution.unmet.sum())
    assert len(set(zip(a.tail, a.head))) == a.n_links
    assert bound == pytest.approx(flow_cost, rel=1e-9)


def three_routes() -> Network:
    """P -> M for two commodities (15 + 10 loads) on three routes: via A (2 h, 10 loads/day), via B
    (3 h, 10 loads/day), via C (5 h, unlimited). Hand-solved optimum: 10 via A, 10 via B, 5 via C =
    75 load-hours; one more load/day via A saves 5 - 2 = 3 h, via B 5 - 3 = 2 h. Column generation
    finds A first, then B once A's capacity row is added, then C once B's is."""
    ids = ["A", "B", "C", "M", "P"]
    nodes = _plain_nodes(ids, ["hub", "hub", "hub", "market", "plant"])
    links = pl.DataFrame({"id": ["L1", "L2", "L3", "L4", "L5", "L6"], "from": ["P", "A", "P", "B", "P", "C"],
                          "to": ["A", "M", "B", "M", "C", "M"], "mode": ["truck"] * 6,
                          "transit_h": [1.0, 1.0, 1.0, 2.0, 2.0, 3.0],
                          "capacity_loads_per_day": [10.0, None, 10.0, None, None, None],
                          "cost_usd_per_load": [0.0] * 6})
    goods = pl.DataFrame({"id": ["c0", "c1"], "name": ["c0", "c1"], "value_usd_per_load": [1000.0, 2000.0],
                          "power_mwh_per_load": [0.0, 0.0], "water_m3_per_load": [0.0, 0.0]})
    supply = pl.DataFrame({"node": ["P", "P"], "commodity": ["c0", "c1"], "capacity_loads_per_day": [100.0, 100.0]})
    demand = pl.DataFrame({"node": ["M", "M"], "commodity": ["c0", "c1"], "loads_per_day": [15.0, 10.0]})
    return Network.from_frames(nodes=nodes, links=links, commodities=goods, supply=supply, demand=demand,
                               name="three-routes")


@pytest.mark.parametrize("seed", [False, True])
def test_hand_solved_instance_needs_several_rounds(seed):
    """Without the sequential start, column generation needs several rounds; with it (c0's 15
    loads take A then B, c1's 10 take C), the start is feasible and the optimum the same."""
    network = three_routes()
    weights = objective_weights(network.arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    session = DecompositionSession(seed=seed)
    solution = session.solve(network.arrays, weights)
    assert solution.status == Status.OPTIMAL
    assert session.pricing_rounds >= (1 if seed else 3)
    totals = solution.flow.sum(axis=0)
    np.testing.assert_allclose(totals, [10, 10, 10, 10, 5, 5], atol=1e-9)
    np.testing.assert_allclose(solution.link_saved, [3, 0, 2, 0, 0, 0], atol=1e-9)
    assert solution.unmet.sum() == pytest.approx(0.0, abs=1e-9)
    result = LeadTimeModel(network, solver="decomposition").solve()
    assert result.objective == pytest.approx(75.0, rel=1e-12)


def test_a_round_or_time_limit_never_claims_optimality():
    """Without the sequential start (with it, this instance is proven optimal in the first round)."""
    network = three_routes()
    weights = objective_weights(network.arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    for rounds in (0, 1, 2, 3):
        solution = DecompositionSession(max_rounds=rounds, seed=False).solve(network.arrays, weights)
        assert solution.status in (Status.FEASIBLE, Status.NOT_SOLVED)
    timed_out = DecompositionSession(seed=False).solve(network.arrays, weights, time_limit_s=1e-9)
    assert timed_out.status in (Status.FEASIBLE, Status.NOT_SOLVED)
    seeded = LeadTimeModel(network, solver="decomposition", time_limit_s=1e-9).solve()
    assert seeded.status != "optimal" or seeded.objective == pytest.approx(75.0, rel=1e-12)  # proven in time


def scaled(network: Network, capacity: float, demand: float, transit: float) -> Network:
    return network.replace(
        links=network.links.with_columns(pl.col("capacity_loads_per_day") * capacity, pl.col("transit_h") * transit),
        demand=network.demand.with_columns(pl.col("loads_per_day") * demand))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 2), st.integers(1, 3),
       st.lists(st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.sampled_from([0.5, 1.0, 1.5]),
                          st.sampled_from([0.8, 1.0, 1.3])), min_size=1, max_size=4))
def test_warm_re_solves_equal_cold_solves(seed, n_commodities, changes):
    network = rich_network(seed, n_commodities)
    model = LeadTimeModel(network, solver="decomposition")
    base = model.solve()
    for capacity, demand, transit in changes:
        variant = scaled(network, capacity, demand, transit)
        warm = model.solve(variant)
        cold = LeadTimeModel(variant, solver="decomposition").solve()
        assert warm.status == cold.status == "optimal"
        assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
        assert warm.objective == pytest.approx(LeadTimeModel(variant, solver="highs").solve().objective, rel=TOL)
    assert model.solve().objective == pytest.approx(base.objective, rel=1e-9)


def test_cli_accepts_decomposition(two_routes):
    from click.testing import CliRunner

    from routing.cli import cli

    outcome = CliRunner().invoke(cli, ["solve", "--network", str(two_routes), "--solver", "decomposition"])
    assert outcome.exit_code == 0, outcome.output


@pytest.mark.parametrize("smoothing", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("seed", [False, True])
def test_smoothing_converges_to_the_proven_optimum(smoothing, seed):
    """Wentges smoothing (any alpha) and the sequential start change the path to the optimum, never
    the optimum: the hand-solved flows, both capacity rows binding with their savings 3 and 2."""
    network = three_routes()
    weights = objective_weights(network.arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    session = DecompositionSession(smoothing=smoothing, seed=seed)
    solution = session.solve(network.arrays, weights)
    assert solution.status == Status.OPTIMAL
    assert "gap" in solution.detail
    np.testing.assert_allclose(solution.flow.sum(axis=0), [10, 10, 10, 10, 5, 5], atol=1e-9)
    np.testing.assert_allclose(solution.link_saved, [3, 0, 2, 0, 0, 0], atol=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 2), st.integers(2, 4), st.integers(1, 6), st.integers(0, 14),
       st.sampled_from([0.0, 0.5, 0.8]), st.booleans(), st.sampled_from([1, 3]))
def test_every_start_and_smoothing_reach_the_highs_optimum(seed, n_commodities, n_hubs, extra_links, smoothing,
                                                           start, paths_per_row):
    """Without queued crossings (where the sequential start applies), on random networks with
    shared capacities, throughputs, power and water: the same objective as HiGHS, duals that
    satisfy complementary slackness; one tree per commodity (1 path per row) or per plant (3)."""
    network = rich_network(seed, n_commodities, n_hubs=n_hubs, extra_links=extra_links, crossings=False)
    highs = LeadTimeModel(network, solver="highs").solve()
    weights = objective_weights(network.arrays, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    solution = DecompositionSession(smoothing=smoothing, seed=start, paths_per_row=paths_per_row).solve(
        network.arrays, weights)
    assert highs.status == solution.status == Status.OPTIMAL
    objective = float((solution.flow @ weights.link).sum() + solution.production @ weights.supply
                      + weights.penalty * solution.unmet.sum())
    assert objective == pytest.approx(highs.objective, rel=TOL, abs=TOL)
    assert_conserved(network, solution)
    assert_complementary(network, solution)


def scarce_shared_link() -> Network:
    """Two commodities share X -> M (10 loads/day): c0 from the far plant P0 (10 h to X), c1 from the
    near P1 (1 h). The sequential start routes c0 first and serves it in full, leaving c1 unmet; the
    optimum serves c1 (2 h a load) and leaves c0's 10 loads unmet, so c0's unmet column, closed by the
    start, has to price back in."""
    ids = ["M", "P0", "P1", "X"]
    nodes = _plain_nodes(ids, ["market", "plant", "plant", "hub"])
    links = pl.DataFrame({"id": ["L0", "L1", "L2"], "from": ["P0", "P1", "X"], "to": ["X", "X", "M"],
                          "mode": ["truck"] * 3, "transit_h": [10.0, 1.0, 1.0],
                          "capacity_loads_per_day": [None, None, 10.0], "cost_usd_per_load": [0.0] * 3})
    goods = pl.DataFrame({"id": ["c0", "c1"], "name": ["c0", "c1"], "value_usd_per_load": [1000.0, 1000.0],
                          "power_mwh_per_load": [0.0, 0.0], "water_m3_per_load": [0.0, 0.0]})
    supply = pl.DataFrame({"node": ["P0", "P1"], "commodity": ["c0", "c1"], "capacity_loads_per_day": [100.0, 100.0]})
    demand = pl.DataFrame({"node": ["M", "M"], "commodity": ["c0", "c1"], "loads_per_day": [10.0, 10.0]})
    return Network.from_frames(nodes=nodes, links=links, commodities=goods, supply=supply, demand=demand,
                               name="scarce-shared-link")


def test_an_unmet_column_closed_by_the_start_prices_back_in():
    network = scarce_shared_link()
    a = network.arrays
    weights = objective_weights(a, Objective.LEAD_TIME, usd_per_load_hour=5.0)
    c0 = int(np.flatnonzero(a.demand_commodity == 0)[0])
    started = DecompositionSession(max_rounds=0)
    started.solve(a, weights)
    assert not started.unmet_open[c0] and started.unmet_open.sum() == 1  # the start serves c0 in full, not c1
    session = DecompositionSession()
    solution = session.solve(a, weights)
    assert solution.status == Status.OPTIMAL
    assert session.unmet_open[c0]
    np.testing.assert_allclose(solution.unmet[[c0, 1 - c0]], [10.0, 0.0], atol=1e-9)
    highs = LeadTimeModel(network, solver="highs").solve()
    assert LeadTimeModel(network, solver="decomposition").solve().objective == pytest.approx(highs.objective,
                                                                                             rel=1e-9)
    assert float(solution.flow.sum(axis=0) @ weights.link + solution.production @ weights.supply
                 + weights.penalty * solution.unmet.sum()) == pytest.approx(20.0 + 10.0 * weights.penalty, rel=1e-12)
