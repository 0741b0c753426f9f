"""DIMACS min-cost-flow files: round trips, one bad file per rule, and NETGEN-style problems whose
optimum nearshore reproduces."""

from pathlib import Path

import numpy as np
import pytest
from ortools.graph.python import min_cost_flow

from networks.dimacs import (
    DimacsError,
    MinCostFlowProblem,
    dimacs_from_network,
    network_from_dimacs,
    read_dimacs,
    write_dimacs,
)
from networks.generate import corridor_network, netgen_like
from routing import solve_lead_time

BAD = Path(__file__).parents[1] / "data" / "dimacs" / "bad"
INSTANCES = Path(__file__).parents[2] / "benchmarks" / "instances"


def ortools_optimum(problem: MinCostFlowProblem) -> int:
    """The problem solved directly, arcs as given: an independent reference."""
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(problem.tail, problem.head, problem.capacity, problem.cost)
    mcf.set_nodes_supplies(np.arange(problem.n_nodes), problem.supply)
    assert mcf.solve() == mcf.OPTIMAL
    return mcf.optimal_cost()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_write_then_read_gives_the_same_problem(tmp_path, seed):
    problem = netgen_like(n_nodes=60, n_arcs=400, seed=seed)
    path = write_dimacs(problem, tmp_path / "p.min", comment="two\ncomment lines")
    assert read_dimacs(path).equals(problem)
    assert path.read_text().startswith("c two\nc comment lines\np min 60 400\n")


def test_network_round_trip_keeps_the_problem():
    problem = netgen_like(n_nodes=80, n_arcs=500, seed=4)
    assert dimacs_from_network(network_from_dimacs(problem)).equals(problem)


@pytest.mark.parametrize("path", sorted(INSTANCES.glob("*.min")), ids=lambda p: p.stem)
def test_shipped_instances_solve_to_the_dimacs_optimum(path):
    problem = read_dimacs(path)
    result = solve_lead_time(network_from_dimacs(problem), solver="mincostflow")
    assert result.status == "optimal" and result.unmet_loads_per_day == 0
    assert result.objective == ortools_optimum(problem)


@pytest.mark.parametrize("seed", range(5))
def test_netgen_like_is_balanced_feasible_and_seeded(seed):
    problem = netgen_like(n_nodes=120, n_arcs=900, seed=seed, n_sources=7, n_sinks=4)
    assert problem.supply.sum() == 0 and problem.n_arcs == 900
    assert np.all(problem.tail != problem.head)
    assert (problem.supply > 0).sum() == 7 and (problem.supply < 0).sum() <= 4
    assert netgen_like(n_nodes=120, n_arcs=900, seed=seed, n_sources=7, n_sinks=4).equals(problem)
    assert ortools_optimum(problem) > 0


@pytest.mark.parametrize(("file", "message"), [
    ("lower_bound.min", "line 6: arc 2->3: lower bound must be 0"),
    ("missing_problem_line.min", "needs exactly one 'p min <nodes> <arcs>' line, found lines: none"),
    ("two_problem_lines.min", "found lines: 1, 2"),
    ("not_min.min", "line 1: problem type must be 'min', got 'max'"),
    ("short_arc_line.min", "line 4: a line needs 5 values, got 4"),
    ("non_integer.min", "line 4: a line values must be integers, got 1 2 0 10 5.5"),
    ("node_out_of_range.min", "line 4: arc 1->4 names a node outside 1..3"),
    ("arc_count.min", "line 1: p line announces 3 arcs, the file has 2"),
    ("negative_capacity.min", "line 4: arc 1->2: capacity must be >= 0, got -1"),
    ("unknown_record.min", "line 4: unknown record 'x'"),
    ("node_before_problem_line.min", "line 1: n line comes before the p line"),
])
def test_bad_files_name_their_line(file, message):
    with pytest.raises(DimacsError) as error:
        read_dimacs(BAD / file)
    assert message in str(error.value)
    assert str(error.value).startswith(f"{BAD / file}: ")


def test_negative_costs_have_no_network_form():
    problem = MinCostFlowProblem(np.array([2, -2]), np.array([0]), np.array([1]), np.array([5]), np.array([-3]))
    with pytest.raises(DimacsError, match=r"arc 1 \(1->2\): cost must be >= 0 to become transit hours, got -3"):
        network_from_dimacs(problem)


def test_a_network_with_crossing_limits_has_no_dimacs_form():
    with pytest.raises(DimacsError, match="node limits"):
        dimacs_from_network(corridor_network(n_links=200, seed=0))


@pytest.mark.parametrize("text", [
    "p min 3 2\nn 1 4\nn 3 -4\na 1 2 0 5 7\na 2 3 0 5 1\n",
    "c a comment\n\nc\np min 3 2\nc between\nn 1 +4\nn 3 -4\na 1\t2 0 5 7\na  2 3 0 5 -1",  # tabs, signs, no final break
    "  p min 2 1\nn 1 3\nn 2 -3\na 1 2 0 5 7\n",  # leading spaces: the line-by-line reader takes them
    "p min 2 1\r\nn 1 3\r\nn 2 -3\r\na 1 2 0 5 7\r\n",  # CRLF
    "p min 2 1\nn 1 3\nn 2 -3\nc\x0ba 1 2 0 5 7\n",  # a vertical tab breaks the line for str.splitlines
    "p min 3 2\nn 1 4\nn 3 -4\na 1 2 0 5 7\x0ba 2 3 0 5 1\n",  # the same between two arcs
    "c\nc made by hand\np min 3 2\nn 1 4\nn 3 -4\na 1 2 0 5 7\n\na 2 3 0 5 1\n",  # the column reader's layout, a blank line
    "p min 3 2\nn 1 4\nn 3 -4\na 1 2 0 5 7\na 2 3 0 5 1",  # no final line break
    "p min 3 2\na 1 2 0 5 7\na 2 3 0 5 1\nn 1 4\nn 3 -4\n",  # nodes after the arcs
    "p min 3 2\nn 1 4\nn 3 -4\na 1 2 0 5 7\nc late\na 2 3 0 5 1\n",  # a comment among the arcs
    "p min 3 2\nn 1 4\nn 3 -4\na 1 2  0 5 7\na 2 3 0 5 1 \n",  # doubled and trailing spaces
    "p min 3 2\nn 1 +4\nn 3 -4\na 1 2 0 05 +7\na 2 3 0 5 1\n",  # signs and leading zeros
    "p min 3 0\nn 1 4\nn 3 -4\n",  # no arcs
])
def test_the_numpy_reader_gives_what_the_line_by_line_reader_gives(tmp_path, text):
    from networks import dimacs

    path = tmp_path / "p.min"
    path.write_bytes(text.encode())
    fast = read_dimacs(path)
    records, problems = dimacs._records(text, "p.min")
    assert not problems and not dimacs._check_records(records, "p.min")
    (_, (n_nodes, _)), = records["p"]
    nodes = np.array([v for _, v in records["n"]], dtype=np.int64).reshape(-1, 2)
    arcs = np.array([v for _, v in records["a"]], dtype=np.int64).reshape(-1, 5)
    assert np.array_equal(fast.tail, arcs[:, 0] - 1) and np.array_equal(fast.cost, arcs[:, 4])
    assert fast.supply[nodes[:, 0] - 1].tolist() == nodes[:, 1].tolist() and len(fast.supply) == n_nodes


@pytest.mark.parametrize("arc", [
    "a 1 2 0 5 7-3",  # a sign inside a number
    "a 1 2 0 5 -",  # a sign without digits
    "a 1 2 0 5 +-7",
    "a 1 2 0 5 1234567890123456789",  # more digits than int64 holds
    "a 1 2 0 5",  # one value short
    "a 1 2 0 5 7 8",
])
def test_the_numpy_reader_leaves_odd_records_to_the_line_by_line_reader(arc):
    from networks import dimacs

    text = f"p min 2 1\nn 1 3\nn 2 -3\n{arc}\n"
    assert dimacs._parse_fast(text) is None
    columns = dimacs._parse_columns(text.encode())  # polars reads 19 digits that fit int64: so does the line-by-line reader
    if columns is not None:
        assert arc == "a 1 2 0 5 1234567890123456789" and columns.cost.tolist() == [1234567890123456789]


@pytest.mark.parametrize("text", [
    "p min 2 1\nn 1 3\nn 2 -3\na 1 2 0 \"5\" 7\n",  # a quote: polars would read the field as 5
    "p min 2 1\nn 1 3\nn 2 -3\na 1 2 0 5 7\r\n",
    "p min 2 1\nn 1 3\nn 2 -3\na\t1 2 0 5 7\n",
    "p min 2 1\nn 1 3\nn 2 -3\nc x\na 1 2 0 5 7\n",
    "p min 2 1\nn 1 3\nn 2 -3\na 1 2 0 5 7\nn 2 -3\n",
    "p min 2 1\nn 1 3\nn 2 -3\na 1 2 0 5 7\np min 2 1\n",
    "p min 2 1\nn 1 3\nn 2\na 1 2 0 5 7\n",
    "p min 2 1\nn 1 3\nn 2 -3\na 1 2 0 5 x\n",
    " p min 2 1\nn 1 3\nn 2 -3\na 1 2 0 5 7\n",
    "cx\np min 2 1\nn 1 3\nn 2 -3\na 1 2 0 5 7\n",
])
def test_the_column_reader_leaves_other_layouts_to_the_others(text):
    from networks import dimacs

    assert dimacs._parse_columns(text.encode()) is None


@pytest.mark.parametrize("seed", range(4))
def test_the_three_readers_agree_on_netgen_files(tmp_path, seed):
    from networks import dimacs

    path = write_dimacs(netgen_like(n_nodes=200, n_arcs=1500, seed=seed), tmp_path / "g.min")
    text = path.read_text()
    columns, numpy_reader = dimacs._parse_columns(text.encode()), dimacs._parse_fast(text)
    assert columns is not None and numpy_reader is not None and columns.equals(numpy_reader)
    with pytest.MonkeyPatch.context() as patch:  # the line-by-line reader alone
        patch.setattr(dimacs, "_parse_columns", lambda text: None)
        patch.setattr(dimacs, "_parse_fast", lambda text: None)
        assert read_dimacs(path).equals(columns)


def test_a_file_with_windows_line_breaks_reads_as_its_plain_twin(tmp_path):
    """The fast reader takes the bytes; the others read the file as text mode would (\\r\\n and \\r as \\n)."""
    plain = "c tiny\np min 2 1\nn 1 3\nn 2 -3\na 1 2 0 5 7\n"
    (tmp_path / "lf.min").write_bytes(plain.encode())
    (tmp_path / "crlf.min").write_bytes(plain.replace("\n", "\r\n").encode())
    assert read_dimacs(tmp_path / "crlf.min").equals(read_dimacs(tmp_path / "lf.min"))
