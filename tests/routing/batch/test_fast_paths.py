"""The batch's fast paths answer as the slow ones did: capacity probes read off the optimal basis
equal warm re-solves, selections kept across scenarios give the same networks, and workers started
ahead of the checks end when the checks fail."""

from __future__ import annotations

import multiprocessing

import numpy as np
import polars as pl
import pytest

from networks import InputError, read_network
from routing import LeadTimeModel
from routing.batch import run_batch
from routing.formulation.lp import with_bounds
from routing.formulation.solution import Status
from routing.results.bottlenecks import KINDS, Valuation, binding_capacities
from routing.results.probe import STEPS, bound_move
from routing.scenarios import Scenario, apply_changes, library_path, load_scenarios
from routing.scenarios.apply import Selections
from routing.scenarios.schema import AddLink, Close


@pytest.fixture(scope="module")
def network():
    return read_network()


@pytest.fixture(scope="module")
def short(network):
    """A variant that serves less than demanded, so its capacities are probed."""
    (scenario,) = [s for s in load_scenarios(["laredo_power_sweep"]) if s.name.endswith("laredo=0.25-nl_power=0.7")]
    return apply_changes(network, scenario.changes)


def _probed(network, variant, objective):
    """The probe of a solve of ``variant`` and its capacities with a positive dual, by kind."""
    model = LeadTimeModel(network, objective=objective)
    model.solve()
    result = model.solve(variant)
    tables = result._frames
    binding = binding_capacities(variant, tables.solution, Valuation(objective=objective))
    starts = np.cumsum([0] + [len(r) for r in binding.rows])
    owners = {kind: binding.rows[i][binding.value[starts[i]:starts[i + 1]] > 1e-9] for i, kind in enumerate(KINDS[:5])}
    return tables.valuation.probe, {kind: rows for kind, rows in owners.items() if len(rows)}


def one_more(arrays, kind, owner):
    """``arrays`` with one more unit of capacity ``owner`` of ``kind`` (the re-solve's network)."""
    import dataclasses

    field, step = STEPS[kind]
    values = getattr(arrays, field).copy()
    values[owner] += step
    return dataclasses.replace(arrays, **{field: values})


@pytest.mark.parametrize("objective", ["lead_time", "as_operated"])
def test_probes_read_off_the_basis_equal_warm_re_solves(network, short, objective, monkeypatch):
    """Each capacity's one more unit, stepped along the optimal basis where the basis holds and
    re-solved where it does not, gives what a re-solve of every capacity from that basis gives."""
    import routing.results.probe as probe_module

    used = []
    real = probe_module.basis_steps
    monkeypatch.setattr(probe_module, "basis_steps", lambda *a: used.append(real(*a)[1]) or real(*a))
    probe, owners = _probed(network, short, objective)
    assert owners
    for kind, rows in owners.items():
        served, saved = probe(kind, rows)
        start = probe._start()
        for i, owner in enumerate(rows):
            answer = probe._session.solve_from(with_bounds(probe._lp, one_more(probe.arrays, kind, int(owner)), probe.weights),
                                               probe._basis, time_limit_s=None, duals=False)
            assert answer.status == Status.OPTIMAL
            more = probe._measure(answer.x)
            assert served[i] == pytest.approx(more[0] - start[0], abs=1e-9)
            assert saved[i] == pytest.approx(start[1] - more[1], rel=1e-9, abs=1e-8)
    stepped = np.concatenate(used)
    assert stepped.any() and not stepped.all()  # both paths ran: steps where the basis holds, re-solves elsewhere


@pytest.mark.parametrize("kind", ["supply", "link", "node"])
def test_probes_of_capacities_with_room_left_equal_re_solves(network, short, kind):
    """Every supply row and capacity row, binding or not: one more unit of a bound the vertex does
    not sit on changes nothing (a supply row below its limit read -17.4 load-h saved before)."""
    probe, _ = _probed(network, short, "lead_time")
    probe._start()
    lp = probe._lp
    owners = {"supply": np.arange(len(probe.arrays.supply_node)), "link": lp.capacity_rows,
              "node": lp.throughput_rows}[kind]
    assert len(owners)
    served, saved = probe(kind, owners)
    start = probe._start()
    for i, owner in enumerate(owners):
        answer = probe._session.solve_from(with_bounds(lp, one_more(probe.arrays, kind, int(owner)), probe.weights),
                                           probe._basis, time_limit_s=None, duals=False)
        more = probe._measure(answer.x)
        assert served[i] == pytest.approx(more[0] - start[0], abs=1e-9)
        assert saved[i] == pytest.approx(start[1] - more[1], rel=1e-9, abs=1e-8)


def test_probes_in_blocks_equal_probes_at_once(network, short, monkeypatch):
    """A block budget of one capacity at a time (as on a large LP) reads the same values as all at once
    (each from a solve of its own, so both start from the same factorisation)."""
    import routing.model as model_module

    probe, owners = _probed(network, short, "lead_time")
    at_once = {kind: probe(kind, rows) for kind, rows in owners.items()}
    calls = []
    real = model_module.CapacityProbe._stepped
    monkeypatch.setattr(model_module, "PROBE_BLOCK_FLOATS", 1)
    monkeypatch.setattr(model_module.CapacityProbe, "_stepped", lambda self, moves, base: calls.append(len(moves))
                        or real(self, moves, base))
    probe, _ = _probed(network, short, "lead_time")
    for kind, rows in owners.items():
        served, saved = probe(kind, rows)
        np.testing.assert_array_equal(served, at_once[kind][0])
        np.testing.assert_allclose(saved, at_once[kind][1], rtol=1e-12, atol=1e-9)
    assert calls and set(calls) == {1}


def test_a_bound_move_is_the_one_bound_with_bounds_changes(network, short):
    probe, owners = _probed(network, short, "lead_time")
    probe._start()
    lp = probe._lp
    for kind, rows in owners.items():
        for owner in rows[:3]:
            move = bound_move(lp, probe.arrays, kind, int(owner), STEPS[kind][1])
            bumped = with_bounds(lp, one_more(probe.arrays, kind, int(owner)), probe.weights)
            rows_moved = np.flatnonzero(bumped.row_hi != lp.row_hi)
            cols_moved = np.flatnonzero(bumped.ub != lp.ub)
            assert (rows_moved.tolist(), cols_moved.tolist()) == (([move.index], []) if move.row else ([], [move.index]))
            new = bumped.row_hi[move.index] if move.row else bumped.ub[move.index]
            assert (move.new, move.old) == (new, lp.row_hi[move.index] if move.row else lp.ub[move.index])


def test_kept_selections_give_the_networks_fresh_ones_give(network):
    scenarios = load_scenarios([library_path()])
    kept = Selections()
    for scenario in [*scenarios, *scenarios]:  # the second round selects from what the first kept
        fresh, reused = apply_changes(network, scenario.changes), apply_changes(network, scenario.changes,
                                                                                selections=kept)
        assert all(fresh.tables()[t].equals(reused.tables()[t]) for t in fresh.tables()), scenario.name


def test_a_selection_after_an_added_link_is_made_on_the_new_links(network):
    kept = Selections()
    close = Close(type="close", table="links", **{"from": ["HUB_MX_ACU"]})
    before = apply_changes(network, [close], selections=kept)
    added = AddLink(type="add_link", id="ZZ_NEW", **{"from": "HUB_MX_ACU"}, to="POE_DLR", mode="drayage", transit_h=3.0,
                    capacity_loads_per_day=50.0, cost_usd_per_load=100.0, distance_km=200.0)
    after = apply_changes(network, [added, close], selections=kept)
    capacity = dict(after.links.select("id", "capacity_loads_per_day").iter_rows())
    assert capacity["ZZ_NEW"] == 0.0  # closed: selected on the links with the new one
    assert after.links.height == before.links.height + 1


def test_workers_started_ahead_end_when_a_scenario_is_bad(tmp_path):
    good = [Scenario(name=f"s{i}") for i in range(3)]
    bad = Scenario.model_validate({"name": "bad", "changes": [{"type": "close", "table": "nodes", "ids": ["NOPE"]}]})
    with pytest.raises(InputError, match="unknown node 'NOPE'"):
        run_batch([*good, bad], out_dir=tmp_path / "out", jobs=2)
    assert not (tmp_path / "out").exists()  # nothing written
    assert multiprocessing.active_children() == []  # the started workers ended with the batch


def test_the_top_bottleneck_names_capacities_as_the_table_does(network):
    """The summary's top bottleneck names its few tied capacities cell by cell; those names are the
    table's ids, and the top is the table's first row."""
    from routing.results.bottlenecks import _ids_of, capacity_ids

    for scenario in load_scenarios([library_path()])[:8]:
        variant = apply_changes(network, scenario.changes)
        result = LeadTimeModel(variant, objective="lead_time").solve()
        binding = result._frames.capacities
        assert _ids_of(variant, binding).tolist() == capacity_ids(variant, binding).to_list()
        first = result.bottlenecks.row(0, named=True)
        assert result.top_bottleneck[0] == f"{first['kind']} {first['id']}"


def test_the_tie_break_in_a_session_of_its_own_lands_where_it_did_in_the_primary_session(network, monkeypatch):
    """The optimal face solved in a second HiGHS session from the primary's anchor basis ends on the
    vertex it ended on in the primary's session (the sweep's and the library's variants in turn),
    and the capacity probes then read the primary's optimum as a reload and a run of it did."""
    variants = [apply_changes(network, s.changes) for s in load_scenarios([library_path()])[:6]]
    variants += [network.replace(links=network.links.with_columns(capacity_loads_per_day=network.links[
        "capacity_loads_per_day"] * f)) for f in (0.7, 0.85)]

    def answers():
        model = LeadTimeModel(network, objective="lead_time")
        model.solve()
        out = []
        for variant in variants:
            if variant.links.height != network.links.height:
                continue
            result = model.solve(variant)
            out.append((result._frames.solution.flow.copy(), result.bottlenecks["value_per_unit"].to_numpy()))
        return out

    own = answers()
    monkeypatch.setattr(LeadTimeModel, "_tie_break", lambda self, face, solver: self._solve_lp(face, solver, reuse=True))
    shared = answers()
    assert len(own) == len(shared) >= 6
    for (flow, values), (flow_before, values_before) in zip(own, shared, strict=True):
        np.testing.assert_allclose(flow, flow_before, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(values, values_before, rtol=1e-9, atol=1e-7)


def _capacity_variants(network, factors):
    """The bench's sweep in small: every link capacity and node throughput scaled."""
    links, nodes = network.links, network.nodes
    return [network.replace(links=links.with_columns(capacity_loads_per_day=links["capacity_loads_per_day"] * f),
                            nodes=nodes.with_columns(throughput_loads_per_day=nodes["throughput_loads_per_day"] * g))
            for f in factors for g in (0.7, 1.0, 1.3)]


def _time_variants(network, factors):
    """Rail links' transit times scaled (other costs: the anchor can stop being dual feasible)."""
    links = network.links
    rail = links["mode"] == "rail"
    return [network.replace(links=links.with_columns(transit_h=pl.when(rail).then(links["transit_h"] * f)
                                                     .otherwise(links["transit_h"]),
                                                     transit_p95_h=pl.when(rail).then(links["transit_p95_h"] * f)
                                                     .otherwise(links["transit_p95_h"])))
            for f in factors]


def test_the_anchor_vertex_is_what_highs_returns_from_the_anchor_without_a_pivot(network):
    """Where the anchor basis is still optimal, its vertex and duals are HiGHS's warm answer, which
    took no pivot; where HiGHS pivots, the check says so (None); both happen on these variants."""
    from routing.backends.highs import HighsSession
    from routing.formulation.lp import build_lp
    from routing.formulation.weights import objective_weights

    weights = objective_weights(network.arrays, "lead_time", usd_per_load_hour=5.0)
    lp = build_lp(network.arrays, weights)
    session = HighsSession()
    session.solve(lp, reuse=False, time_limit_s=None)
    found, missed = 0, 0
    for variant in [*_capacity_variants(network, (0.7, 1.0, 1.3)), *_time_variants(network, (0.9, 0.99, 1.01, 1.1))]:
        moved = with_bounds(lp, variant.arrays, objective_weights(variant.arrays, "lead_time", usd_per_load_hour=5.0))
        vertex = session.anchor_vertex(moved)
        session.highs.clearSolver()
        answer = session.solve_from(moved, session.anchor_basis, time_limit_s=None)
        pivots = session.highs.getInfo().simplex_iteration_count
        if vertex is None:
            missed += 1
            continue
        found += 1
        assert pivots == 0
        for mine, highs in zip(vertex, (answer.x, answer.row_dual, answer.col_dual), strict=True):
            np.testing.assert_allclose(mine, highs, rtol=1e-9, atol=1e-9)
    assert found and missed


def test_solves_and_tie_breaks_read_off_the_anchor_equal_highs_runs(network, monkeypatch):
    """A model that reads still-optimal anchors off the factorised basis answers as one that runs
    HiGHS every time (flows, the bottleneck values from the duals, and the probed values)."""
    from routing.backends.highs import HighsSession

    variants = _capacity_variants(network, (0.7, 1.0, 1.3))

    def answers():
        model = LeadTimeModel(network, objective="lead_time")
        model.solve()
        out = []
        for variant in variants:
            result = model.solve(variant)
            out.append((result._frames.solution.flow.copy(), result.bottlenecks["value_per_unit"].to_numpy(),
                        result.top_bottleneck))
        return out

    read = answers()
    monkeypatch.setattr(HighsSession, "anchor_vertex", lambda self, lp: None)
    run = answers()
    for (flow, values, top), (flow_run, values_run, top_run) in zip(read, run, strict=True):
        np.testing.assert_allclose(flow, flow_run, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(values, values_run, rtol=1e-9, atol=1e-7)
        assert top[0] == top_run[0] and top[1] == pytest.approx(top_run[1], rel=1e-9, abs=1e-7)
