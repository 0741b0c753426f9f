"""Issue 11, the input side: documented ranges, id rules, unreadable folders and files, bounded options.

The per-rule bad folders (``tests/data/bad/*_above_maximum``, ``id_*``, ``helper_column_name``,
``crossings_is_a_folder``, ``tariffs_broken_link``) run in the parametrised tests of
``test_validation.py`` and ``test_cli_validate.py``; here are the rules that need more than a folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from networks import NetworkError, read_network
from networks.errors import Problem
from networks.schema import TABLES, UNITS, format_bound, ranges_markdown
from routing.cli import main
from routing.options import MAX_WAIT_SEGMENTS, SolveOptions

REPO = Path(__file__).parents[2]


def test_every_number_has_a_unit_and_both_bounds():
    for table in TABLES:
        for column in table.columns:
            if column.dtype == "float":
                unit = UNITS[column.unit]
                assert (column.minimum, column.maximum) == (unit.minimum, unit.maximum), column


def test_bounds_keep_min_cost_flow_and_highs_exact():
    # a link's weight: cost + usd_per_load_hour x hours (transit and dwell)
    # (the CLI's --usd-per-load-hour is at most 1e6), scaled x1000 to int64 by routing.mincostflow
    worst = (UNITS["USD/load"].maximum + 1e6 * 2 * UNITS["h"].maximum) * 1000
    assert worst <= 2.01e14 < 2**53  # exact as a float
    assert worst * 1e4 < 2**63  # the unmet-demand penalty sums the links: 1e4 of them at the bounds fit
    assert max(u.maximum for u in UNITS.values()) <= 1e9  # far below HiGHS's infinity, 1e20


def test_readme_holds_the_table_of_ranges():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert ranges_markdown() in readme


@pytest.mark.parametrize(("value", "text"), [(1e9, "1e9"), (1e5, "1e5"), (24.0, "24"), (-90.0, "-90"), (1000.0, "1000"),
                                             (0.0, "0")])
def test_format_bound(value, text):
    assert format_bound(value) == text


def test_the_builtin_network_is_within_every_bound():
    read_network()  # raises if any shipped value is outside its range


def test_a_value_at_the_bound_is_accepted(copy_network):
    folder = copy_network()
    path = folder / "links.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("B1-M,B1,M,truck,8,,400", "B1-M,B1,M,truck,1e5,1e9,1e9"),
                    encoding="utf-8")
    net = read_network(folder)
    assert net.links.filter(pl.col("id") == "B1-M")["capacity_loads_per_day"].item() == 1e9


def test_problem_lines_stay_one_line_whatever_the_cell():
    problem = Problem("nodes.csv", "unknown column", row=3, item="B\x1e1\u2028", field="a\nb", got="x\ny")
    text = str(problem)
    assert text.splitlines() == [text]
    assert text == "nodes.csv row 3 (B\\x1e1\\u2028): a\\nb: unknown column (got 'x\\ny')"


def test_a_header_with_a_control_character_is_one_line(copy_network, capsys):
    folder = copy_network()
    path = folder / "demand.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("loads_per_day", "loads_per_day,x\x1e", 1)
                    .replace("M,parts,30", "M,parts,30,1"), encoding="utf-8")
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"error: {folder}/demand.csv: x\\x1e: unknown column (user columns must start with 'x_')"]


def test_a_long_cell_is_shown_shortened(copy_network):
    folder = copy_network()
    path = folder / "demand.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("M,parts,30", "M,parts," + "9" * 5000), encoding="utf-8")
    with pytest.raises(NetworkError) as info:
        read_network(folder)
    (problem,) = info.value.problems
    assert problem.got == "9" * 40 + "…"
    assert len(str(problem)) < 250


@pytest.mark.parametrize("name", ["_line", "_blank", "_duplicated", "_label", "_cell", "_flag_id_0"])
def test_helper_column_names_are_unknown_columns(copy_network, name):
    folder = copy_network()
    path = folder / "links.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([f"{lines[0]},{name}", *(f"{line},5" for line in lines[1:])]) + "\n", encoding="utf-8")
    with pytest.raises(NetworkError) as info:
        read_network(folder)
    assert [str(p) for p in info.value.problems] == [
        f"links.csv: {name}: unknown column (user columns must start with 'x_')"]


def test_frames_with_a_helper_column_are_an_error_not_a_crash(two_routes):
    from networks import Network

    tables = {name: pl.read_csv(two_routes / f"{name}.csv", infer_schema=False)
              for name in ("nodes", "links", "commodities", "supply", "demand")}
    tables["links"] = tables["links"].with_columns(_line=pl.lit("x"))
    with pytest.raises(NetworkError, match="links.csv: _line: unknown column"):
        Network.from_frames(**tables)


def test_an_unreadable_folder_exits_2_with_the_fix(copy_network, monkeypatch, capsys):
    folder = copy_network()
    listdir = os.listdir

    def denied(path=".", *args):
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return listdir(path, *args)

    monkeypatch.setattr(os, "listdir", denied)
    with pytest.raises(NetworkError) as info:
        read_network(folder)
    assert str(info.value).startswith(f"{folder}: cannot be read: permission denied; fix: ")
    assert main(["validate", str(folder)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {folder}: cannot be read: permission denied; fix: give read access, e.g. chmod u+rx {folder}"]


def test_a_folder_under_an_untraversable_parent_exits_2(copy_network, monkeypatch, capsys):
    folder = copy_network()
    real_stat = os.stat

    def denied(path, *args, **kwargs):
        if str(path).startswith(str(folder)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", denied)
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"error: {folder}: cannot be read: permission denied; fix: give read access, e.g. chmod u+rx {folder}"]


def test_an_unreadable_table_is_a_problem_with_the_fix(copy_network, monkeypatch):
    folder = copy_network()
    real_stat = os.stat

    def denied(path, *args, **kwargs):
        if Path(path) == folder / "links.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", denied)
    with pytest.raises(NetworkError) as info:
        read_network(folder)
    assert [str(p) for p in info.value.problems] == [
        f"links.csv: cannot be read: permission denied; fix: chmod a+rx {folder} and a+r {folder / 'links.csv'}"]


def test_a_table_that_cannot_be_opened_is_a_problem(copy_network, monkeypatch):
    folder = copy_network()

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pl, "read_csv", denied)
    with pytest.raises(NetworkError) as info:
        read_network(folder)
    assert all("cannot be read: permission denied; fix: chmod a+r" in str(p) for p in info.value.problems)
    assert len(info.value.problems) == 5


@pytest.mark.parametrize("make", ["fifo", "loop"])
def test_an_optional_table_that_is_not_a_file_is_a_problem(copy_network, make):
    folder = copy_network()
    target = folder / "crossings.csv"
    if make == "fifo":
        os.mkfifo(target)  # reading it would block for ever
        expected = "crossings.csv: is not a regular file (a pipe or device?); fix: replace it with a CSV file"
    else:
        target.symlink_to(target)
        expected = "crossings.csv: cannot be read: Too many levels of symbolic links; fix: replace it with a CSV file"
    with pytest.raises(NetworkError) as info:
        read_network(folder)
    assert [str(p) for p in info.value.problems] == [expected]


def test_a_file_as_network_folder_is_not_a_folder(two_routes, capsys):
    assert main(["validate", str(two_routes / "nodes.csv")]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: {two_routes / 'nodes.csv'}: not a folder"]


@pytest.mark.parametrize("bad", [0, -1, MAX_WAIT_SEGMENTS + 1, 10**6, 2.5, "8", None])
def test_wait_segments_out_of_range_is_a_value_error(bad):
    with pytest.raises(ValueError, match=f"wait_segments must be a whole number from 1 to {MAX_WAIT_SEGMENTS}"):
        SolveOptions(wait_segments=bad)


def test_wait_segments_bound_in_the_library_and_the_cli(two_routes, capsys):
    from routing import solve_lead_time

    net = read_network(two_routes)
    with pytest.raises(ValueError):
        solve_lead_time(net, wait_segments=10**6)
    assert main(["solve", "--network", str(two_routes), "--wait-segments", "1000000"]) == 2
    assert f"1000000 is not in the range 1<=x<={MAX_WAIT_SEGMENTS}" in capsys.readouterr().err
    assert main(["crossings", "--network", str(two_routes), "--wait-segments", str(MAX_WAIT_SEGMENTS + 1)]) == 2


@pytest.mark.parametrize("option", [("--usd-per-load-hour", "nan"), ("--usd-per-load-hour", "inf"),
                                    ("--usd-per-load-hour", "1e7"), ("--time-limit", "nan")])
def test_solve_options_out_of_range_exit_2(two_routes, capsys, option):
    assert main(["solve", "--network", str(two_routes), "--objective", "blend", *option]) == 2
    assert f"Invalid value for '{option[0]}'" in capsys.readouterr().err
