"""Every backend gives the same optimum; networkx's min_cost_flow, built here independently,
agrees on single-commodity instances."""

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from networks.generate import random_network
from routing import solve_lead_time

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
sizes = st.fixed_dictionaries({
    "seed": st.integers(0, 2**32 - 1), "n_plants": st.integers(1, 4), "n_hubs": st.integers(1, 6),
    "n_markets": st.integers(1, 4), "extra_links": st.integers(0, 15),
})


def networkx_objective(network, penalty: float) -> float:
    """The lead-time LP of one commodity as a networkx min-cost flow, written from the definitions."""
    nodes, links = network.nodes, network.links
    dwell = dict(zip(nodes["id"], nodes["dwell_h"]))
    limit = {n: t for n, t in zip(nodes["id"], nodes["throughput_loads_per_day"]) if t is not None}
    enter = {n: (f"{n}:in" if n in limit else n) for n in nodes["id"]}
    graph = nx.DiGraph()
    for n, t in limit.items():
        graph.add_edge(enter[n], n, weight=0, capacity=int(t))
    for u, v, hours, cap in links.select("from", "to", "transit_h", "capacity_loads_per_day").iter_rows():
        graph.add_edge(u, enter[v], weight=int(hours + dwell[v]), **({} if cap is None else {"capacity": int(cap)}))
    total = int(network.demand["loads_per_day"].sum())
    graph.add_node("S", demand=-total)
    for node, cap in network.supply.select("node", "capacity_loads_per_day").iter_rows():
        graph.add_edge("S", enter[node], weight=int(dwell[node]), capacity=int(cap))
    for node, loads in network.demand.select("node", "loads_per_day").iter_rows():
        graph.nodes[node]["demand"] = int(loads)
        graph.add_edge("S", f"{node}:unmet", weight=int(penalty), capacity=int(loads))
        graph.add_edge(f"{node}:unmet", node, weight=0)
    return float(nx.min_cost_flow_cost(graph))


@SETTINGS
@given(sizes)
def test_single_commodity_backends_agree_with_networkx(size):
    network = random_network(**size)
    results = {s: solve_lead_time(network, solver=s) for s in ("mincostflow", "lemon", "glop", "highs")}
    reference = networkx_objective(network, results["glop"].unmet_penalty)
    for solver, result in results.items():
        assert result.status == "optimal", solver
        assert result.objective == pytest.approx(reference, rel=1e-6), solver


@SETTINGS
@given(sizes, st.integers(2, 4))
def test_multi_commodity_lp_backends_agree(size, n_commodities):
    network = random_network(**size, n_commodities=n_commodities, with_power=True)
    glop, highs = (solve_lead_time(network, solver=s) for s in ("glop", "highs"))
    assert glop.status == highs.status == "optimal"
    assert glop.objective == pytest.approx(highs.objective, rel=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_pdlp_is_close_to_the_exact_optimum(seed):
    network = random_network(seed=seed, n_commodities=2, with_power=True)
    exact, approximate = (solve_lead_time(network, solver=s) for s in ("highs", "pdlp"))
    assert approximate.status.has_solution
    assert approximate.objective == pytest.approx(exact.objective, rel=1e-3)


def test_lemon_solves_the_min_cost_flows_of_either_algorithm_like_or_tools(monkeypatch):
    from routing.backends import lemon as lemon_backend

    network = random_network(seed=7, n_plants=6, n_hubs=12, n_markets=5, extra_links=30)
    reference = solve_lead_time(network, solver="mincostflow")
    for threshold in (10**9, 0):  # network simplex, then cost scaling
        monkeypatch.setattr(lemon_backend, "COST_SCALING_FROM_ARCS", threshold)
        result = solve_lead_time(network, solver="lemon")
        assert result.status == "optimal" and result.solver == "lemon"
        assert result.objective == pytest.approx(reference.objective, rel=1e-9)
        assert result.lanes["loads_per_day"].sum() == pytest.approx(reference.lanes["loads_per_day"].sum())


def test_lemon_refuses_what_min_cost_flow_cannot_solve_exactly():
    from routing import SolverUnsuitableError

    with pytest.raises(SolverUnsuitableError, match="solver lemon needs one commodity"):
        solve_lead_time(random_network(seed=1, n_commodities=2), solver="lemon")
