"""The benchmark runner: peers agree on a reduced quick suite, disagreements and slow peers are
reported, scenarios are seeded."""

import numpy as np
import pytest

from benchmarks.peers import PEERS
from benchmarks.registry import REGISTRY, specs_for
from benchmarks.runner import Record, _cross_check, _predicted_skip, auto_choice, run_suite

REDUCED = ["corridor-1e3", "corridor-1e3x5", "netgen-256-2048"]


@pytest.fixture(scope="module")
def reduced_quick():
    return run_suite("quick", instances=REDUCED, batch=False, cold_start=False, sampling=False)


def test_every_peer_ran_and_agrees_on_every_instance(reduced_quick):
    assert not reduced_quick.errors, [(r.instance, r.solver, r.error) for r in reduced_quick.errors]
    for instance in REDUCED:
        records = [r for r in reduced_quick.records if r.instance == instance and not r.extras.get("bound")]
        objectives = [r.objective for r in records]
        assert min(objectives) == pytest.approx(max(objectives), rel=1e-6), instance
    single = {r.solver for r in reduced_quick.records if r.instance == "corridor-1e3"}
    assert {p.name for p in PEERS if p.available() and not p.multi_only} == single
    multi = {r.solver for r in reduced_quick.records if r.instance == "corridor-1e3x5"}
    assert multi == {"nearshore", "lp-highs", "lp-highs-ipm", "lp-glop", "decomposition", "uncoupled-mcf"}
    (bound,) = [r for r in reduced_quick.records if r.solver == "uncoupled-mcf"]
    optimum = next(r.objective for r in reduced_quick.records if r.instance == "corridor-1e3x5" and r.solver == "lp-highs")
    assert bound.objective <= optimum and bound.note.startswith("lower bound, not a solution")


def test_records_carry_ratios_and_the_auto_check(reduced_quick):
    raw = [r for r in reduced_quick.records if r.solver == "raw-mcf"]
    assert all(r.ratio_to_raw_mcf == 1.0 for r in raw)
    assert {row["instance"] for row in reduced_quick.auto_choice} == set(REDUCED)
    assert reduced_quick.phases["corridor-1e3"]["solver"] > 0
    assert [t["met"] for t in reduced_quick.targets if "1e6" in t["target"]] == [None]


def test_a_disagreeing_peer_gets_an_error():
    make = lambda solver, objective: Record(suite="t", instance="i", family="f", links=1, nodes=1,
                                            commodities=1, solver=solver, objective=objective)
    records = [make("raw-mcf", 100.0), make("networkx", 100.00001), make("lp-glop", 101.0)]
    _cross_check(records)
    assert [bool(r.error) for r in records] == [False, False, True]
    assert "objective mismatch: 101 vs raw-mcf 100" in records[2].error


def test_a_peer_predicted_too_slow_is_skipped_with_a_note():
    networkx = next(p for p in PEERS if p.name == "networkx")
    history = {("corridor", "networkx"): [(10_000, 0.5), (100_000, 10.0)]}
    assert "skipped: too slow (predicted ~316 s from 10.00 s" in _predicted_skip(networkx, "corridor", 10**6, history)
    assert _predicted_skip(networkx, "corridor", 200_000, history) == ""
    assert _predicted_skip(networkx, "corridor", 50_000, history) == ""  # only smaller sizes predict
    assert _predicted_skip(networkx, "netgen", 10**9, history) == ""


def test_auto_choice_is_right_within_ten_percent():
    def record(solver, seconds, **extras):
        return Record(suite="t", instance="i", family="f", links=1, nodes=1, commodities=1, solver=solver,
                      median_s=seconds, extras=extras)
    rows = auto_choice([record("nearshore", 1.0, chosen="highs"), record("lp-highs", 1.05), record("lp-glop", 1.0)])
    assert rows[0]["right"] and rows[0]["fastest"] == "glop"
    rows = auto_choice([record("nearshore", 1.0, chosen="highs"), record("lp-highs", 2.0), record("lp-glop", 1.0)])
    assert not rows[0]["right"]


def test_suites_hold_every_family_and_full_reaches_a_million_links():
    assert {s.family for s in specs_for("quick")} == {"builtin", "corridor", "corridor-scarce", "corridor-multi",
                                                      "od-pairs", "netgen"}
    assert max(s.links for s in specs_for("full")) == 10**6
    assert {s.commodities for s in specs_for("full")} == {1, 4, 5, 10, 20}
    with pytest.raises(ValueError, match="unknown suite 'nightly'"):
        specs_for("nightly")
    with pytest.raises(ValueError, match="unknown instance of suite quick: corridor-1e6"):
        run_suite("quick", instances=["corridor-1e6"])
    assert REGISTRY["corridor-1e6"].suites == {"full"}


def test_the_batch_bench_runs_the_batch_runner_on_a_sweep_that_keeps_the_structure(tmp_path):
    from benchmarks.batch import BatchSpec, run_batch, sweep_text
    from networks import read_network
    from routing.formulation.lp import structure_key
    from routing.scenarios import apply_changes, load_scenarios

    path = tmp_path / "sweep.toml"
    path.write_text(sweep_text(BatchSpec("builtin"), scenarios=10))
    points = load_scenarios([path])
    base = read_network()
    assert len({structure_key(apply_changes(base, p.changes).arrays) for p in points[::3]}) == 1
    with pytest.raises(ValueError, match="multiple of 5"):
        sweep_text(BatchSpec("builtin"), scenarios=12)
    one, two = (run_batch(BatchSpec("builtin"), scenarios=5, processes=1, frames=f) for f in ((), ("lanes",)))
    assert len(one.finished_s) == 6 and one.failures == 0  # the base the batch adds is solved too
    np.testing.assert_allclose(one.objectives, two.objectives, rtol=1e-9)


def test_measure_runs_as_planned_and_leaves_the_collector_as_it_was():
    import gc

    from benchmarks.timing import RunPlan, measure

    made = []

    def work():
        made.append(len(gc.get_objects()))
        for _ in range(1000):  # garbage only the collector frees
            cycle = []
            cycle.append(cycle)
        return len(made)

    gc.disable()  # only measure's own collections run
    try:
        # no budget to run out of, and any time spent meets budget_s: the runs stop at min_runs whatever the clock says
        timing = measure(work, RunPlan(min_runs=3, max_runs=4, budget_s=0.0, hard_budget_s=float("inf")))
    finally:
        gc.enable()
    assert len(timing.seconds) == 3 and timing.last == 3 and timing.results == (1, 2, 3)
    assert gc.get_freeze_count() == 0  # what was frozen for the runs is back in the collector's care
    assert max(made) - min(made) < 500  # each run's 1,000 cycles were collected before the next run
