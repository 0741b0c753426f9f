"""`run_batch`: every scenario written as it finishes, a failing one recorded while the others go
on, and an interrupted batch resumed to the same summary with no row lost or repeated."""

from __future__ import annotations

import itertools
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from routing.batch import SUMMARY_SCHEMA, TIMING_COLUMNS, run_batch, scenario_folder
from routing.batch.executors import _Shares
from routing.scenarios import Scenario, SolverOptions, library_path, load_scenarios

NETWORK = Path(__file__).parents[2] / "data" / "two_routes"

FILES = {
    "base.toml": "",
    "b1_closed.toml": '[[changes]]\ntype = "close"\ntable = "nodes"\nids = ["B1"]\n',
    "b1_half.toml": '[[changes]]\ntype = "scale"\ntable = "nodes"\nids = ["B1"]\nfield = "throughput_loads_per_day"\n'
                    'factor = 0.5\n',
    "direct.toml": '[[changes]]\ntype = "add_link"\nid = "P-M"\nfrom = "P"\nto = "M"\nmode = "truck"\ntransit_h = 10\n'
                   'capacity_loads_per_day = 20\n',
    "surge.toml": '[[changes]]\ntype = "scale"\ntable = "demand"\nfactor = 1\n'
                  '[sweep.demand]\nchange = 1\nvalues = [0.5, 1.0, 1.5, 2.0]\n',
    # min-cost flow needs whole-number capacities; 2.5 loads/day makes the solver refuse
    "wrong_solver.toml": '[solver]\nsolver = "mincostflow"\n[[changes]]\ntype = "scale"\ntable = "nodes"\n'
                         'ids = ["B1"]\nfield = "throughput_loads_per_day"\nfactor = 0.25\n',
}
NAMES = ["b1_closed", "b1_half", "base", "direct", "surge-demand=0.5", "surge-demand=1", "surge-demand=1.5",
         "surge-demand=2", "wrong_solver"]


def write_files(folder: Path, files: dict[str, str] = FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_text(f'network = "{NETWORK}"\n' + body, encoding="utf-8")
    return folder


def comparable(summary: pl.DataFrame) -> pl.DataFrame:
    """The summary without what depends on timing or on what a worker solved before."""
    return summary.drop(TIMING_COLUMNS)


@pytest.fixture
def scenarios(tmp_path) -> list[Scenario]:
    return load_scenarios([write_files(tmp_path / "scenarios")])


def test_batch_writes_every_scenario_and_a_summary(tmp_path, scenarios):
    seen = []
    result = run_batch(scenarios, out_dir=tmp_path / "out", jobs=1, on_progress=lambda p, row: seen.append(p))
    summary = result.summary
    assert summary.columns == SUMMARY_SCHEMA.names() and summary["scenario"].to_list() == NAMES
    assert pl.read_parquet(tmp_path / "out" / "summary.parquet").equals(summary)
    by_name = {row["scenario"]: row for row in summary.iter_rows(named=True)}
    assert by_name["base"]["avg_lead_time_h"] == pytest.approx(530 / 30)
    assert by_name["base"]["change_vs_base_pct"] == 0.0
    assert by_name["b1_closed"]["avg_lead_time_h"] == pytest.approx(19.0)
    assert by_name["b1_closed"]["change_vs_base_pct"] == pytest.approx(100 * (19 / (530 / 30) - 1))
    assert by_name["b1_half"]["top_bottleneck"] == "node B1"
    assert by_name["b1_half"]["top_bottleneck_saved_per_unit"] == pytest.approx(4.0)
    assert by_name["direct"]["avg_lead_time_h"] == pytest.approx(390 / 30)
    assert by_name["surge-demand=2"]["point"] == "demand=2"
    assert [p.done for p in seen] == list(range(1, 10)) and seen[-1].remaining == 0
    for name in NAMES:
        folder = scenario_folder(tmp_path / "out", name)
        assert sorted(p.name for p in folder.iterdir()) == ["bottlenecks.parquet", "lanes.parquet",
                                                            "summary.parquet", "unmet.parquet"]
    lanes = pl.read_parquet(scenario_folder(tmp_path / "out", "b1_closed") / "lanes.parquet")
    assert lanes["crossing"].to_list() == ["B2"] and lanes["loads_per_day"].to_list() == [30.0]
    assert not list((tmp_path / "out").rglob("*.tmp"))  # every write was moved into place


def test_a_failing_scenario_is_recorded_and_the_others_go_on(tmp_path, scenarios):
    result = run_batch(scenarios, out_dir=tmp_path / "out", jobs=2)
    failed = result.summary.filter(pl.col("status") != "optimal")
    assert failed["scenario"].to_list() == ["wrong_solver"] and result.not_optimal == ("wrong_solver",)
    assert failed["status"].item() == "failed"
    assert failed["error"].item().startswith("solver error: SolverUnsuitableError: solver mincostflow needs")
    assert failed["avg_lead_time_h"].item() is None and failed["change_vs_base_pct"].item() is None
    assert result.summary.filter(pl.col("status") == "optimal").height == len(NAMES) - 1
    assert result.summary.filter(pl.col("status") == "optimal")["error"].null_count() == len(NAMES) - 1


def test_without_a_base_scenario_the_unchanged_network_is_added_as_base(tmp_path, scenarios):
    result = run_batch([s for s in scenarios if s.name == "b1_closed"], out_dir=tmp_path / "out", jobs=1)
    assert result.summary["scenario"].to_list() == ["base", "b1_closed"]
    assert result.summary["base_scenario"].to_list() == ["base", "base"]
    assert result.summary["change_vs_base_pct"][1] == pytest.approx(100 * (19 / (530 / 30) - 1))
    assert result.summary["source"][0] == "(added by the batch)"


def test_each_network_and_objective_is_compared_with_its_own_base(tmp_path):
    folder = write_files(tmp_path / "s", {
        "base.toml": "",
        "b1_closed.toml": FILES["b1_closed.toml"],
        "b1_closed_cost.toml": '[solver]\nobjective = "cost"\n' + FILES["b1_closed.toml"],
        "unchanged_cost.toml": '[solver]\nobjective = "cost"\n',
    })
    other = FILES["b1_closed.toml"]
    (folder / "other_net.toml").write_text(f'network = "{NETWORK.parent / "short_supply"}"\n{other}', encoding="utf-8")
    result = run_batch(load_scenarios([folder]), out_dir=tmp_path / "out", jobs=1)
    assert result.summary["scenario"].to_list() == ["b1_closed", "b1_closed_cost", "base", "base-short_supply",
                                                    "other_net", "unchanged_cost"]
    assert dict(result.summary.select("scenario", "base_scenario").iter_rows()) == {
        "b1_closed": "base", "base": "base",  # the scenario named base
        "b1_closed_cost": "unchanged_cost", "unchanged_cost": "unchanged_cost",  # a scenario without changes
        "other_net": "base-short_supply", "base-short_supply": "base-short_supply"}  # added: the unchanged network
    change = dict(result.summary.select("scenario", "change_vs_base_pct").iter_rows())
    assert change["base-short_supply"] == 0.0 and change["other_net"] > 0


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_interrupted_batch_resumes_to_the_same_summary(tmp_path, scenarios, jobs):
    whole = run_batch(scenarios, out_dir=tmp_path / "whole", jobs=jobs)

    def stop_after_four(progress, row):
        if progress.done == 4:
            raise Interrupt  # like Ctrl-C: the driver stops after writing the fourth result

    with pytest.raises(Interrupt):
        run_batch(scenarios, out_dir=tmp_path / "cut", jobs=jobs, on_progress=stop_after_four)
    assert not (tmp_path / "cut" / "summary.parquet").exists()
    finished = {p.parent.name for p in (tmp_path / "cut" / "scenarios").glob("*/summary.parquet")}
    assert len(finished) == 4
    resumed = run_batch(scenarios, out_dir=tmp_path / "cut", jobs=jobs, resume=True)
    assert resumed.resumed == 4 and resumed.ran == len(NAMES) - 4
    assert resumed.summary["scenario"].to_list() == NAMES  # no row lost, none repeated
    assert_frame_equal(comparable(resumed.summary), comparable(whole.summary), check_exact=False, rel_tol=1e-9)
    stored = pl.read_parquet(tmp_path / "cut" / "summary.parquet")
    assert stored["scenario"].is_unique().all() and stored.height == len(NAMES)


def test_resume_reruns_what_changed_and_what_failed(tmp_path):
    folder = write_files(tmp_path / "scenarios")
    first = run_batch(load_scenarios([folder]), out_dir=tmp_path / "out", jobs=1)
    assert first.ran == len(NAMES)
    write_files(folder, {"b1_half.toml": FILES["b1_half.toml"].replace("0.5", "0.8"),
                         "b1_closed.toml": FILES["b1_closed.toml"] + "# a comment changes nothing\n"})
    again = run_batch(load_scenarios([folder]), out_dir=tmp_path / "out", jobs=1, resume=True)
    assert again.ran == 2 and again.resumed == len(NAMES) - 2  # b1_half (new factor) and wrong_solver (failed)
    b1 = again.summary.filter(scenario="b1_half")
    assert b1["avg_lead_time_h"].item() == pytest.approx((8 * 15 + 22 * 19) / 30)


def dead_worker(shares: _Shares, scenarios: list[Scenario], finished: int) -> list:
    """Start a worker on ``scenarios`` whose process dies after finishing the first ``finished``."""
    shares.start(0, scenarios)
    futures = list(shares.pending)[-len(scenarios):]
    for i, future in enumerate(futures):
        if i < finished:
            future.set_result(f"outcome of {scenarios[i].name}")
        else:
            future.set_exception(BrokenProcessPool("the process died"))
    return futures


def test_a_dead_worker_fails_only_the_scenario_it_was_running():
    scenarios = [Scenario(name=f"s{i}", network=str(NETWORK)) for i in range(4)]
    started = []
    shares = _Shares(lambda batch: started.append([s.name for s in batch]) or [Future() for _ in batch])
    futures = dead_worker(shares, scenarios, finished=1)
    outcomes = list(shares.died(futures[2], BrokenProcessPool("the process died"), result=Future.result,
                                succeeded=lambda f: f.done() and f.exception() is None))
    assert outcomes[0] == "outcome of s0"  # finished before the death: kept
    assert outcomes[1].name == "s1" and outcomes[1].row["status"] == "failed"
    assert outcomes[1].row["error"] == "worker died while running it (BrokenProcessPool: the process died)"
    assert len(outcomes) == 2
    assert started == [["s0", "s1", "s2", "s3"], ["s2", "s3"]]  # the rest of the share on a new worker
    assert [v[2].name for v in shares.pending.values()] == ["s2", "s3"]


def test_a_worker_that_keeps_dying_gives_up_its_share():
    scenarios = [Scenario(name=f"s{i}", network=str(NETWORK)) for i in range(5)]
    shares = _Shares(lambda batch: [Future() for _ in batch])
    shares.start(0, scenarios)
    outcomes, workers = [], 0
    while shares.pending:  # every new worker dies on its first scenario
        workers += 1
        futures = list(shares.pending)
        for future in futures:
            future.set_exception(BrokenProcessPool("the process died"))
        outcomes += list(shares.died(futures[0], BrokenProcessPool("the process died"), result=Future.result,
                                     succeeded=lambda f: f.done() and f.exception() is None))
    assert workers == _Shares.MAX_DEATHS == 3
    assert [o.name for o in outcomes] == ["s0", "s1", "s2", "s3", "s4"]
    assert [o.row["error"].split(" (")[0] for o in outcomes] == ["worker died while running it"] * 3 + [
        "not run: its worker died 3 times in a row"] * 2


def test_the_library_runs_on_the_builtin_network_as_operated(tmp_path):
    """Every library scenario routes as operated (issue 12) against one as-operated base."""
    result = run_batch(load_scenarios([library_path()]), out_dir=tmp_path / "out", jobs=1)
    assert result.all_optimal and result.summary.height == 22  # with the five episodes of issue 14
    assert set(result.summary["objective_kind"]) == {"as_operated"}
    assert set(result.summary["base_scenario"]) == {"base"}
    unmet = dict(result.summary.select("scenario", "unmet_loads_per_day").iter_rows())
    assert unmet["mexico_only"] > 0  # Mexican plants alone cannot meet all demand
    reasons = pl.read_parquet(scenario_folder(tmp_path / "out", "mexico_only") / "unmet.parquet")["reason"]
    assert reasons.str.starts_with("capacity ran out").all()


def test_the_library_at_the_lead_time_bound_is_monotone(tmp_path):
    """At the lead-time optimum (the bound the as-operated runs are compared with) less capacity never
    lowers the objective (load-hours plus the penalty on unmet loads), more capacity never raises it."""
    bound = SolverOptions(objective="lead_time")
    scenarios = [s.model_copy(update={"solver": bound}) for s in load_scenarios([library_path()])]
    result = run_batch(scenarios, out_dir=tmp_path / "out", jobs=1)
    assert result.all_optimal and result.summary.height == 22
    objective = dict(result.summary.select("scenario", "objective").iter_rows())
    base = objective["base"]
    for tighter in ("wtb_closed", "nl_power_cut", "eagle_pass_rail_blockade", "cbp_staffing_cuts", "texas_dps_2022",
                    "wtb_storm_closure_2023", "rail_gateway_closures_2023", "manzanillo_2025", "ila_strike_2024"):
        assert objective[tighter] >= base * (1 - 1e-9), tighter
    assert objective["laredo_second_rail_bridge"] <= base * (1 + 1e-9)
    for power in ("0.7", "1"):
        grid = [objective[f"laredo_power_sweep-laredo={f}-nl_power={power}"] for f in ("0.25", "0.5", "0.75", "1")]
        assert all(a >= b * (1 - 1e-9) for a, b in itertools.pairwise(grid)), grid  # more throughput, never worse
    assert objective["laredo_power_sweep-laredo=1-nl_power=1"] == pytest.approx(base, rel=1e-9)


def _pids_with(marker: str) -> set[int]:
    """Processes whose environment holds ``marker`` (the driver and every worker it spawned)."""
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "environ").read_bytes():
                    found.add(int(proc.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to find the workers")
def test_killing_the_driver_ends_its_workers(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "s"
    folder.mkdir()
    sweep = "\n".join(["[[changes]]", 'type = "scale"', 'table = "links"', 'ids = ["P-B1"]',
                       'field = "transit_h"', "factor = 1.0", "[sweep.f]", "change = 1",
                       "values = [" + ", ".join(str(1 + i / 1000) for i in range(400)) + "]"])
    (folder / "many.toml").write_text(f'network = "{NETWORK}"\n{sweep}\n', encoding="utf-8")
    marker = f"NEARSHORE_TEST_{os.getpid()}_{time.monotonic_ns()}"
    driver = subprocess.Popen([sys.executable, "-m", "routing.cli", "batch", str(folder), "--jobs", "2",
                               "--out", str(tmp_path / "out")], env=os.environ | {marker: "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_pids_with(marker) - {driver.pid}) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = _pids_with(marker) - {driver.pid}
    assert workers, "the batch never started its workers"
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    deadline = time.monotonic() + 20
    while _pids_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _pids_with(marker), "workers outlived the driver"


def test_the_summary_carries_the_lead_time_bound_beside_the_routing_asked_for(tmp_path, scenarios):
    """As operated (the library's base) the fastest routing of the same network is the bound; under
    lead_time a scenario is its own bound."""
    base = load_scenarios(["base"])[0]
    rows = run_batch([base, *scenarios[:2]], out_dir=tmp_path / "out", jobs=1).summary
    by_name = {row["scenario"]: row for row in rows.iter_rows(named=True)}
    operated = by_name["base"]
    assert operated["objective_kind"] == "as_operated"
    assert 0 < operated["lead_time_bound_h"] < operated["avg_lead_time_h"]
    assert operated["gain_pct"] == pytest.approx(100 * (1 - operated["lead_time_bound_h"] / operated["avg_lead_time_h"]))
    fastest = by_name["b1_closed"]
    assert (fastest["lead_time_bound_h"], fastest["gain_pct"]) == (fastest["avg_lead_time_h"], 0.0)
