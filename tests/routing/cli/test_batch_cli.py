"""`nearshore batch` and `nearshore scenarios` through ``routing.cli.main.main``: exit codes, the table on
stdout, progress and errors on stderr."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from routing.batch import RECORD_COLUMNS, TIMING_COLUMNS
from routing.cli.batch import batch, scenarios
from routing.cli.main import cli, main
from routing.scenarios import library_path, load_scenarios

HERE = Path(__file__).parent
NETWORK = HERE.parents[1] / "data" / "two_routes"
BAD = sorted((HERE.parent / "scenarios" / "data" / "bad").glob("*.toml"))

cli.add_command(batch)  # routing.cli.main registers both; adding them again is harmless
cli.add_command(scenarios)


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, name: str, body: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'network = "{NETWORK}"\n' + body, encoding="utf-8")
    return path


CLOSE_B1 = '[[changes]]\ntype = "close"\ntable = "nodes"\nids = ["B1"]\n'


def test_batch_prints_the_table_on_stdout_and_progress_on_stderr(capsys, tmp_path):
    folder = tmp_path / "s"
    write(folder, "base.toml")
    write(folder, "b1_closed.toml", CLOSE_B1)
    code, out, err = run(capsys, "batch", folder, "--jobs", "1", "--out", tmp_path / "out")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("| scenario") and "avg lead time h" in lines[0] and "vs base %" in lines[0]
    cells = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in lines[2:]
             if line.startswith("| ")}
    assert cells["b1_closed"][:5] == ["optimal", "19.0", "19.0", "0.0", "7.55"]  # status, lead time, its bound, gain, vs base
    assert "batch: 2/2 done, 0 failed, 0 remaining" in err
    assert f"wrote {tmp_path / 'out' / 'summary.parquet'}" in err
    assert pl.read_parquet(tmp_path / "out" / "summary.parquet")["scenario"].to_list() == ["b1_closed", "base"]


def test_batch_exits_3_when_a_scenario_did_not_end_optimal(capsys, tmp_path):
    write(tmp_path / "s", "ok.toml", CLOSE_B1)
    write(tmp_path / "s", "bad_solver.toml", '[solver]\nsolver = "mincostflow"\n[[changes]]\ntype = "scale"\n'
                                             'table = "nodes"\nids = "B1"\nfield = "throughput_loads_per_day"\n'
                                             'factor = 0.25\n')
    code, out, err = run(capsys, "batch", tmp_path / "s", "--jobs", "1", "--out", tmp_path / "out")
    assert code == 3
    assert "bad_solver: solver error: SolverUnsuitableError" in out
    assert "error: no solution: 1 of 3 scenarios did not end optimal (bad_solver)" in err


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_scenario_files_exit_2_naming_the_file_and_the_change(capsys, tmp_path, path):
    fragment = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    code, out, err = run(capsys, "batch", path, "--out", tmp_path / "out")
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {path}") and fragment in err, err
    assert not (tmp_path / "out").exists()  # found before anything ran


def test_one_bad_file_stops_the_batch_before_anything_runs(capsys, tmp_path):
    write(tmp_path / "s", "good.toml", CLOSE_B1)
    bad = write(tmp_path / "s", "laredo.toml", CLOSE_B1 + '[[changes]]\ntype = "scale"\ntable = "links"\n'
                                               'ids = ["P-B1"]\nfield = "capacity_loads_per_day"\nfactor = -2\n')
    code, _, err = run(capsys, "batch", tmp_path / "s", "--out", tmp_path / "out")
    assert code == 2
    assert err.splitlines() == [f"error: {bad} change 2 (scale): field 'factor': must be >= 0 (got -2)"]
    assert not (tmp_path / "out").exists()


def test_resume_on_the_command_line(capsys, tmp_path):
    folder = tmp_path / "s"
    write(folder, "a.toml", CLOSE_B1)
    assert run(capsys, "batch", folder, "--jobs", "1", "--out", tmp_path / "out")[0] == 0
    write(folder, "b.toml", CLOSE_B1.replace("nodes", "links").replace("B1", "P-B2"))
    code, out, err = run(capsys, "batch", folder, "--jobs", "1", "--out", tmp_path / "out", "--resume")
    assert code == 0 and "(1 run, 2 resumed)" in err  # base and a were done
    assert [line.split("|")[1].strip() for line in out.splitlines()[2:5]] == ["base", "a", "b"]
    assert "b: serves 10.0 loads/day, the base 30.0 (-66.67%)" in out  # P-B2 closed: only B1's 10 get through


def test_ray_address_needs_the_ray_executor(capsys, tmp_path):
    write(tmp_path, "a.toml")
    code, _, err = run(capsys, "batch", tmp_path / "a.toml", "--ray-address", "localhost:6379")
    assert code == 2 and "--ray-address needs --executor ray" in err


def test_missing_scenario_path_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "batch", tmp_path / "nope.toml")
    assert code == 2 and f"error: {tmp_path / 'nope.toml'}: no such file or folder" in err


def test_scenarios_lists_the_library(capsys):
    code, out, _ = run(capsys, "scenarios")
    assert code == 0
    assert "| wtb_closed " in out and "| laredo_power_sweep (8 points) " in out
    assert "Dec-2023 CBP suspension of the Eagle Pass and El Paso rail crossings" in out


def test_scenarios_export_writes_files_that_load(capsys, tmp_path):
    code, _, err = run(capsys, "scenarios", "--export", tmp_path / "lib")
    assert code == 0 and "wrote" in err
    exported = sorted(p.name for p in (tmp_path / "lib").glob("*.toml"))
    assert exported == sorted(p.name for p in library_path().glob("*.toml"))
    assert len(load_scenarios([tmp_path / "lib"])) == len(load_scenarios([library_path()]))
    code, _, err = run(capsys, "scenarios", "--export", tmp_path / "lib")
    assert code == 2 and "already exists" in err  # never overwrites edited copies


def test_ray_executor_without_ray_installed_exits_2_with_the_install_hint(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails
    write(tmp_path, "a.toml")
    code, _, err = run(capsys, "batch", tmp_path / "a.toml", "--executor", "ray", "--out", tmp_path / "out")
    assert code == 2 and "error: the ray executor needs Ray: pip install 'nearshore[ray]'" in err


def test_a_batch_killed_mid_run_resumes_to_the_same_summary(tmp_path):
    """SIGKILL the `nearshore batch` process once a few results are on disk, then `--resume`."""
    values = ", ".join(str(round(0.5 + i / 100, 2)) for i in range(80))
    write(tmp_path / "s", "grid.toml", '[[changes]]\ntype = "scale"\ntable = "demand"\nfactor = 1\n'
                                       f'[sweep.demand]\nchange = 1\nvalues = [{values}]\n')
    script = ("import sys\nfrom routing.cli.main import cli, main\nfrom routing.cli.batch import batch\n"
              "cli.add_command(batch)\nsys.exit(main(sys.argv[1:]))\n")
    args = ["batch", str(tmp_path / "s"), "--jobs", "1", "--out", str(tmp_path / "cut")]
    process = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    done = tmp_path / "cut" / "scenarios"
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if len(list(done.glob("*/summary.parquet"))) >= 10:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    process.wait()
    killed = process.returncode == -signal.SIGKILL
    finished = len(list(done.glob("*/summary.parquet")))
    assert main([*args, "--resume"]) == 0
    assert main(["batch", str(tmp_path / "s"), "--jobs", "1", "--out", str(tmp_path / "whole")]) == 0
    resumed = pl.read_parquet(tmp_path / "cut" / "summary.parquet")
    whole = pl.read_parquet(tmp_path / "whole" / "summary.parquet")
    assert resumed.height == whole.height == 81 and resumed["scenario"].is_unique().all()
    assert resumed["scenario"].to_list() == whole["scenario"].to_list()
    columns = ["scenario", "status", "avg_lead_time_h", "unmet_loads_per_day", "top_bottleneck", "objective"]
    assert_frame_equal(resumed.select(columns), whole.select(columns), check_exact=False, rel_tol=1e-9)
    assert killed and 10 <= finished < 81  # it really was cut short


@pytest.mark.parametrize(("frames", "written"), [
    ("none", set()),
    ("lanes", {"lanes"}),
    ("unmet, bottlenecks", {"unmet", "bottlenecks"}),
    ("all", {"lanes", "bottlenecks", "unmet"}),
])
def test_batch_frames_chooses_the_files_written_and_keeps_the_summary(capsys, tmp_path, frames, written):
    folder = tmp_path / "s"
    write(folder, "b1_closed.toml", CLOSE_B1)
    code, _, err = run(capsys, "batch", folder, "--jobs", "1", "--out", tmp_path / "out", "--frames", frames)
    assert code == 0, err
    files = {p.stem for p in (tmp_path / "out" / "scenarios" / "b1_closed").glob("*.parquet")}
    assert files == written | {"summary"}
    assert run(capsys, "batch", folder, "--jobs", "1", "--out", tmp_path / "all")[0] == 0
    summary, every = (pl.read_parquet(tmp_path / d / "summary.parquet").drop(*TIMING_COLUMNS, *RECORD_COLUMNS)
                      for d in ("out", "all"))
    assert_frame_equal(summary, every)  # the summary does not depend on the frames written


def test_batch_frames_rejects_an_unknown_frame_with_exit_2(capsys, tmp_path):
    folder = tmp_path / "s"
    write(folder, "base.toml")
    code, _, err = run(capsys, "batch", folder, "--out", tmp_path / "out", "--frames", "lanes,routes")
    assert code == 2
    assert "routes" in err and "lanes, bottlenecks, unmet" in err


def test_a_scenario_that_loses_demand_is_not_compared_on_lead_time(capsys, tmp_path):
    """Closing P-B2 leaves B1's 10 loads of 30: the average is over other loads, so no change vs
    base; the cost change stays (10 x 500 against 30 x 500 USD: -66.67 %)."""
    write(tmp_path / "s", "base.toml")
    write(tmp_path / "s", "lose.toml", CLOSE_B1.replace("nodes", "links").replace("B1", "P-B2"))
    code, out, _ = run(capsys, "batch", tmp_path / "s", "--jobs", "1", "--out", tmp_path / "out", "--format", "json")
    assert code == 0
    rows = {r["scenario"]: r for r in __import__("json").loads(out)}
    lose, base = rows["lose"], rows["base"]
    assert (lose["comparable"], lose["change_vs_base_pct"]) == (False, None)
    assert "serves 10.0 loads/day, the base 30.0" in lose["comparable_reason"]
    assert lose["unmet_share"] == pytest.approx(20 / 30)
    assert lose["cost_change_vs_base_pct"] == pytest.approx(-200 / 3)
    assert (base["comparable"], base["change_vs_base_pct"], base["comparable_reason"]) == (True, 0.0, None)
    assert lose["objective_kind"] == "lead_time" and lose["total_cost_usd_per_day"] == pytest.approx(5000)


def test_batch_writes_csv_to_output_and_takes_library_names(capsys, tmp_path):
    code, out, err = run(capsys, "batch", "wtb_closed", "--jobs", "1", "--out", tmp_path / "out", "--frames", "none",
                         "--format", "csv", "--output", tmp_path / "summary.csv")
    assert code == 0 and out == "" and f"wrote {tmp_path / 'summary.csv'}" in err
    table = pl.read_csv(tmp_path / "summary.csv")
    assert table["scenario"].to_list() == ["base", "wtb_closed"]
    assert {"objective_kind", "objective", "total_cost_usd_per_day", "served_loads_per_day", "unmet_share",
            "cost_change_vs_base_pct", "comparable", "comparable_reason"} <= set(table.columns)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_ctrl_c_through_a_pty_exits_130_says_where_the_work_is_and_prints_no_traceback(tmp_path):
    """Ctrl-C typed at a terminal reaches the whole process group (the driver and its workers)."""
    import pty

    values = ", ".join(str(round(0.5 + i / 1000, 3)) for i in range(400))
    write(tmp_path / "s", "grid.toml", '[[changes]]\ntype = "scale"\ntable = "demand"\nfactor = 1\n'
                                       f'[sweep.demand]\nchange = 1\nvalues = [{values}]\n')
    out_dir = tmp_path / "out"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI on the pty, two worker processes
        os.execv(sys.executable, [sys.executable, "-m", "routing.cli", "batch", str(tmp_path / "s"), "--jobs", "2",
                                  "--out", str(out_dir)])
    output = b""
    deadline = time.monotonic() + 120
    sent = False
    while time.monotonic() < deadline:
        if not sent and len(list((out_dir / "scenarios").glob("*/summary.parquet"))) >= 5:
            os.write(fd, b"\x03")  # Ctrl-C, as typed: the terminal sends SIGINT to the foreground group
            sent = True
        try:
            import select

            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                output += chunk
        except OSError:
            break
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGKILL)
    if not done:
        _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert sent, text
    assert os.waitstatus_to_exitcode(status) == 130, text
    assert "Traceback" not in text
    assert f"interrupted: finished scenarios are in {out_dir}; rerun with --resume to go on" in text.replace("\r\n", "\n")
