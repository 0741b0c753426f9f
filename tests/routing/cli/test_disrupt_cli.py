"""`nearshore disrupt` through ``routing.cli.main.main``: JSON keys, the table, CSV, the plot, the same
events from --event and from a TOML scenario, and every exit-2 path with its one-line message."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from routing.cli.main import EXIT_BAD_INPUT, EXIT_NO_SOLUTION, EXIT_OK, cli, main

DATA = Path(__file__).parents[2] / "data"
THREE = DATA / "horizon_three"
DAY_KEYS = {"day", "market", "commodity", "demand_loads", "delivered_loads", "backlog_loads", "avg_lead_time_h",
            "late_loads"}
RECOVERY_KEYS = {"backlog_peak_loads", "backlog_peak_day", "days_to_recover", "extra_load_hours", "markets"}
TIMING = ("build_s", "solve_s")


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main(["disrupt", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _scenario(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'name = "s"\nnetwork = "{THREE}"\n' + body, encoding="utf-8")
    return path


def test_json_has_the_documented_keys_and_the_hand_solved_recovery(capsys):
    code, out, err = run(capsys, "--network", THREE, "--days", 12, "--step-h", 24, "--event", "close:C:2-3",
                         "--format", "json")
    assert code == EXIT_OK, err
    data = json.loads(out)
    assert {"days", "crossings_by_day", "recovery", "status", "objective", "solver", "build_s", "solve_s"} <= data.keys()
    assert DAY_KEYS <= data["days"][0].keys()
    assert {"day", "crossing", "loads", "wait_h"} <= data["crossings_by_day"][0].keys()
    rec = data["recovery"]
    assert RECOVERY_KEYS <= rec.keys()
    assert (rec["backlog_peak_loads"], rec["backlog_peak_day"], rec["days_to_recover"]) == (pytest.approx(20.0), 4, 5)
    assert {"time_to_survive_days", "time_to_recover_days"} <= rec["markets"][0].keys()


def test_the_table_prints_the_recovery_and_a_line_per_day(capsys):
    code, out, _ = run(capsys, "--network", THREE, "--days", 12, "--step-h", 24, "--event", "close:C:2-3")
    assert code == EXIT_OK
    assert "backlog peak 20.0 loads on day 4" in out and "5 days after the last event" in out
    assert sum(line.strip().startswith("day ") for line in out.splitlines()) == 12


def test_csv_is_the_days_table(capsys):
    code, out, _ = run(capsys, "--network", THREE, "--days", 5, "--step-h", 12, "--format", "csv")
    assert code == EXIT_OK
    header, *rows = out.strip().splitlines()
    assert set(header.split(",")) == DAY_KEYS and len(rows) == 5


def test_the_same_events_from_the_cli_and_from_a_scenario_give_the_same_result(capsys, tmp_path):
    scenario = _scenario(tmp_path, """
[horizon]
days = 10
step_h = 12

[[changes]]
type = "close"
table = "nodes"
ids = ["C"]
days = [2, 3]

[[changes]]
type = "scale"
table = "demand"
ids = ["M"]
factor = 1.2
days = [5, 6]
""")
    code, from_toml, err = run(capsys, "--scenario", scenario, "--format", "json")
    assert code == EXIT_OK, err
    code, from_cli, err = run(capsys, "--network", THREE, "--days", 10, "--step-h", 12, "--event", "close:C:2-3",
                              "--event", "scale:M.demand:1.2:5-6", "--format", "json")
    assert code == EXIT_OK, err
    a, b = json.loads(from_toml), json.loads(from_cli)
    for key in TIMING:
        a.pop(key), b.pop(key)
    for key in ("baseline_solve_s", "event_solve_s", "baseline"):  # how long, and whether solved or kept
        a["horizon"].pop(key), b["horizon"].pop(key)
    assert a == b


def test_the_plot_is_written_into_a_missing_folder(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "new" / "folder" / "backlog.png"
    code, _, err = run(capsys, "--network", THREE, "--days", 8, "--step-h", 24, "--event", "close:C:2-3",
                       "--plot", target)
    assert code == EXIT_OK, err
    assert target.stat().st_size > 1000


BAD = [
    (["--event", "shut:C:2-3"], "--event: write close:ID:FIRST-LAST"),
    (["--event", "close:C"], "--event: write close:ID:FIRST-LAST"),
    (["--event", "close:NOPE:2-3"], "unknown node or link 'NOPE'"),
    (["--event", "close:C:3-2"], "0 <= FIRST <= LAST"),
    (["--event", "close:C:two"], "days must be FIRST-LAST"),
    (["--event", "close:C:2-30"], "go past the horizon of 12 days"),
    (["--event", "scale:C:abc:2-3"], "factor must be a number"),
    (["--event", "scale:C:-1:2-3"], "--event"),
    (["--event", "scale:C.nonsense:0.5:2-3"], "has no field 'nonsense'"),
    (["--event", "scale:P-C.lanes:0.5:2-3"], "link 'P-C' has no field 'lanes'"),
    (["--event", "close:C.lanes:2-3"], "close takes no field"),
    (["--event", "set:C:5:2-3"], "set needs a field"),
    (["--event", "scale:C.transit_h:2:2-3"], "has no field 'transit_h'"),
    (["--step-h", "5"], "the step must divide the day"),
    (["--days", "0"], "--days"),
    (["--inventory-days", "-1"], "--inventory-days"),
    (["--plot", "out.gif"], "must end in .png, .svg or .pdf"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_usage_exits_2_with_one_line(capsys, args, message):
    code, out, err = run(capsys, "--network", THREE, "--days", 12, *args)
    assert code == EXIT_BAD_INPUT and out == ""
    assert message in err
    assert sum(line.lower().startswith("error") for line in err.splitlines()) == 1  # one line says what is wrong


BAD_FILES = [
    ('[[changes]]\ntype = "close"\ntable = "nodes"\nids = ["C"]\ndays = [2, 3]\n', "has no [horizon] table"),
    ('[horizon]\ndays = 5\n[[changes]]\ntype = "close"\ntable = "nodes"\nids = ["C"]\ndays = [2, 9]\n',
     "go past the horizon of 5 days"),
    ('[horizon]\ndays = 5\nstep_h = 7\n', "the step must divide the day"),
    ('[horizon]\ndays = 0\n', "horizon.days"),
    ('[horizon]\nweeks = 2\n', "horizon.weeks"),
    ('[horizon]\n[[changes]]\ntype = "close"\ntable = "nodes"\nids = ["C"]\ndays = [3, 2]\n',
     "the first day must not be after the last"),
    ('[horizon]\n[[changes]]\ntype = "scale"\ntable = "links"\nids = ["P-C"]\nfield = "transit_h"\nfactor = 2\n'
     'days = [1, 2]\n', "changes for the whole horizon; drop days"),
    ('[horizon]\n[[changes]]\ntype = "scale"\ntable = "demand"\nids = ["M"]\nfactor = 1\n'
     '[sweep.f]\nchange = 1\nvalues = [1, 2]\n', "disrupt runs one"),
    ('[horizon]\n[[changes]]\ntype = "add_link"\nid = "X"\nfrom = "P"\nto = "M"\nmode = "truck"\ntransit_h = 5\n'
     'days = [1, 2]\n', "add it for the whole horizon"),
]


@pytest.mark.parametrize("body, message", BAD_FILES, ids=[m for _, m in BAD_FILES])
def test_bad_scenario_files_exit_2_naming_the_file_and_field(capsys, tmp_path, body, message):
    path = _scenario(tmp_path, body)
    code, out, err = run(capsys, "--scenario", path)
    assert code == EXIT_BAD_INPUT and out == ""
    assert message in err and str(path) in err
    assert len(err.strip().splitlines()) == 1


def test_through_click_runner_the_command_is_registered_and_documents_exit_codes():
    result = CliRunner().invoke(cli, ["disrupt", "--help"])
    assert result.exit_code == 0
    assert "--event" in result.output and "Exit codes" in result.output
    bad = CliRunner().invoke(cli, ["disrupt", "--network", str(THREE), "--step-h", "5"])
    assert bad.exit_code == EXIT_BAD_INPUT


_PARTS = st.sampled_from(["close", "scale", "set", "shut", "C", "P", "M", "P-C", "C-M", "NOPE", "C.lanes",
                          "C.throughput_loads_per_day", "P-C.capacity_loads_per_day", "M.loads_per_day",
                          "P.power_mw", "0.5", "2", "-1", "nan", "inf", "1e308", "0", "2-3", "3-2", "0-11", "11-11",
                          "2-30", "-1-2", "a-b", "", " ", "x"])
_TARGETS = st.sampled_from(["C", "P", "M", "P-C", "C-M", "C.lanes", "C.throughput_loads_per_day",
                            "P-C.capacity_loads_per_day", "M.loads_per_day", "P.capacity_loads_per_day", "NOPE"])
_DAYS = st.tuples(st.integers(-1, 13), st.integers(-1, 13)).map(lambda d: f"{d[0]}-{d[1]}")
_FACTORS = st.sampled_from(["0", "0.5", "2", "1e9", "-1", "nan"]) | st.floats(0, 5).map(repr)
well_formed = st.one_of(st.tuples(st.just("close"), _TARGETS, _DAYS),
                        st.tuples(st.sampled_from(["scale", "set"]), _TARGETS, _FACTORS, _DAYS)).map(":".join)
events = st.one_of(well_formed, well_formed, st.lists(_PARTS, min_size=1, max_size=5).map(":".join),
                   st.text(max_size=12))


@settings(max_examples=60, deadline=None)
@given(st.lists(events, min_size=1, max_size=2))
@example(['close:C:0-12', 'close:C:0-12'])  # two bad events: two lines
def test_any_event_text_exits_0_2_or_3_without_a_traceback(event_texts):
    """Whatever the --event text, the command ends with an answer or with a line for each bad event
    saying what is wrong."""
    args = [arg for text in event_texts for arg in ("--event", text)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["disrupt", "--network", str(THREE), "--days", "12", "--step-h", "24", "--format", "json", *args])
    event(f"exit {code}")
    assert code in (EXIT_OK, EXIT_BAD_INPUT, EXIT_NO_SOLUTION), (args, code, err.getvalue())
    assert "Traceback" not in out.getvalue() + err.getvalue()
    if code == EXIT_BAD_INPUT:  # one line per bad event, each saying what is wrong
        lines = err.getvalue().strip().splitlines()
        assert out.getvalue() == "" and 1 <= len(lines) <= len(event_texts), (args, err.getvalue())
        assert all(line.startswith("error: ") for line in lines), (args, err.getvalue())
    else:
        assert json.loads(out.getvalue())["status"], args
