"""Min-cost-flow instances in the DIMACS format, and their conversion to and from a `Network`.

The format (DIMACS implementation challenge, "min" problems) has one record per line:

* ``c <text>``                         a comment;
* ``p min <nodes> <arcs>``             the problem line, once, before any node or arc;
* ``n <id> <flow>``                    a node's supply (positive) or demand (negative);
* ``a <tail> <head> <low> <cap> <cost>`` an arc; nodes are numbered from 1.

nearshore reads only lower bounds of 0: a lead-time network has no minimum flows. The standard
generators of the literature (NETGEN, GRIDGEN) write this format, so their instances run through
`network_from_dimacs` and `nearshore solve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from networks.errors import InputError, Problem
from networks.network import Network

MAX_PROBLEMS = 20  # stop reading a bad file after this many problems


class DimacsError(InputError):
    """A DIMACS file that cannot be read, or a problem that has no network form."""


@dataclass(frozen=True, slots=True)
class MinCostFlowProblem:
    """A min-cost flow instance as parallel int64 arrays, nodes numbered from 0.

    ``supply`` is per node (positive: supply, negative: demand); arcs have a lower bound of 0.
    """

    supply: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.supply)

    @property
    def n_arcs(self) -> int:
        return len(self.tail)

    def equals(self, other: MinCostFlowProblem) -> bool:
        """Same nodes, supplies and arcs in the same order."""
        return all(np.array_equal(getattr(self, f), getattr(other, f))
                   for f in ("supply", "tail", "head", "capacity", "cost"))


def read_dimacs(path: str | Path) -> MinCostFlowProblem:
    """Read a DIMACS min-cost-flow file (``p min``, ``n`` and ``a`` lines).

    Parameters
    ----------
    path
        The ``.min`` file.

    Returns
    -------
    MinCostFlowProblem
        Supplies and arcs, nodes renumbered from 0.

    Raises
    ------
    DimacsError
        Every problem found (up to 20), each naming its line: a missing or repeated problem line,
        an unknown record, a wrong number of fields, a non-integer value, a node out of range, a
        lower bound other than 0, a capacity below 0, or an arc count that differs from the
        problem line.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.min")
    >>> _ = open(path, "w").write("p min 2 1\\nn 1 3\\nn 2 -3\\na 1 2 0 5 7\\n")
    >>> read_dimacs(path).cost
    array([7])
    """
    path = Path(path)
    try:
        data = path.read_bytes()
        problem = _parse_columns(data)
        if problem is not None:
            return problem
        text = data.decode("utf-8")  # the other readers break lines as str.splitlines does
    except (OSError, UnicodeDecodeError) as exc:
        raise DimacsError([Problem(path.name, f"cannot be read: {exc}")], source=str(path)) from None
    problem = _parse_fast(text)
    if problem is not None:
        return problem
    records, problems = _records(text, path.name)
    if not problems:
        problems = _check_records(records, path.name)
    if problems:
        raise DimacsError(problems[:MAX_PROBLEMS], source=str(path))
    (_, (n_nodes, _)), = records["p"]
    supply = np.zeros(n_nodes, dtype=np.int64)
    nodes = np.array([values for _, values in records["n"]], dtype=np.int64).reshape(-1, 2)
    supply[nodes[:, 0] - 1] = nodes[:, 1]
    arcs = np.array([values for _, values in records["a"]], dtype=np.int64).reshape(-1, 5)
    return MinCostFlowProblem(supply=supply, tail=arcs[:, 0] - 1, head=arcs[:, 1] - 1,
                              capacity=arcs[:, 3].copy(), cost=arcs[:, 4].copy())


_FIELDS = {"p": 3, "n": 2, "a": 5}  # values after the record letter
def _parse_fast(text: str) -> MinCostFlowProblem | None:
    """The problem of a plainly written file, parsed with numpy over the bytes (no loop over the
    lines); None when anything is off, so that the line-by-line reader names the problems.

    It accepts only ASCII text without line breaks other than ``\\n``, whose lines are blank,
    comments (``c`` then a space, a tab or the end of the line) or records starting in the first
    column with ``p min``, ``n`` or ``a`` and the right number of integers separated by spaces or
    tabs, with the problem line first, nodes in range, no repeated node, lower bounds 0,
    capacities >= 0 and the announced arc count. On every such file it gives what the
    line-by-line reader gives.
    """
    if not text or not text.isascii():
        return None
    data = np.frombuffer((text if text.endswith("\n") else text + "\n").encode("ascii"), dtype=np.uint8)
    breaks = np.flatnonzero(data == _BREAK)
    starts = np.concatenate([[0], breaks[:-1] + 1])
    tag, after = data[starts], data[np.minimum(starts + 1, len(data) - 1)]
    gap = (after == _SPACE) | (after == _TAB)
    comment = (tag == ord("c")) & (gap | (after == _BREAK))
    p_rows = np.flatnonzero(tag == ord("p"))
    record = (tag == ord("n")) | (tag == ord("a"))
    if len(p_rows) != 1 or not np.all(comment | (tag == _BREAK) | record | (tag == ord("p"))) \
            or not gap[record].all() or np.any(np.flatnonzero(record)[:1] < p_rows[0]):
        return None
    p_fields = text[starts[p_rows[0]]:breaks[p_rows[0]]].split()
    if len(p_fields) != 4 or p_fields[1] != "min" or not all(f.isdigit() for f in p_fields[2:]):
        return None
    n_nodes, n_arcs = int(p_fields[2]), int(p_fields[3])
    width = np.where(tag[record] == ord("a"), 5, 2)
    values = _record_integers(data, np.repeat(record, breaks - starts + 1), starts[record], width)
    if values is None:
        return None
    offset = np.cumsum(width) - width
    is_arc = width == 5
    nodes = values[offset[~is_arc, None] + np.arange(2)]
    arcs = values[offset[is_arc, None] + np.arange(5)]
    return _checked_problem(n_nodes, n_arcs, nodes[:, 0], nodes[:, 1], *arcs.T)


def _checked_problem(n_nodes: int, n_arcs: int, node: np.ndarray, flow: np.ndarray, tail: np.ndarray,
                     head: np.ndarray, low: np.ndarray, capacity: np.ndarray,
                     cost: np.ndarray) -> MinCostFlowProblem | None:
    """The problem of the parsed ``n`` and ``a`` columns (nodes numbered from 1), or None unless
    they pass the line-by-line reader's checks: the announced arc count, nodes in range and not
    repeated, lower bounds 0, capacities >= 0."""
    ok = (len(tail) == n_arcs and np.all((node >= 1) & (node <= n_nodes)) and len(np.unique(node)) == len(node)
          and np.all((tail >= 1) & (tail <= n_nodes) & (head >= 1) & (head <= n_nodes))
          and not low.any() and np.all(capacity >= 0))
    if not ok:
        return None
    supply = np.zeros(n_nodes, dtype=np.int64)
    supply[node - 1] = flow
    return MinCostFlowProblem(supply=supply, tail=tail - 1, head=head - 1,
                              capacity=np.array(capacity, dtype=np.int64), cost=np.array(cost, dtype=np.int64))


_PLAIN = bytes(range(32, 127)) + b"\n"  # printable ASCII and the line break
_NODE_COLUMNS = {"tag": pl.String, "node": pl.Int64, "flow": pl.Int64}
_ARC_COLUMNS = {"tag": pl.String, "tail": pl.Int64, "head": pl.Int64, "low": pl.Int64, "capacity": pl.Int64,
                "cost": pl.Int64}


def _parse_columns(text: bytes) -> MinCostFlowProblem | None:
    """The problem of a file laid out as the generators write it, parsed by polars' CSV reader
    (about 3x faster than :func:`_parse_fast` on 1e5 arcs); None for any other layout, left to
    :func:`_parse_fast` and the line-by-line reader.

    The layout: printable ASCII (no tab, carriage return or quote) in lines; comments (``c`` then a space or the end of the line)
    only before the problem line ``p min <nodes> <arcs>``; then the ``n`` lines, then the ``a``
    lines, each field after one space. polars splits at every space, so a doubled, leading or
    trailing space, a missing or an extra field, or a field that is not an integer, leaves a null,
    a wrong tag or an error, and the file goes to the other readers; a line of another record
    (a comment, a second problem line, an ``n`` among the arcs) has the wrong tag. Blank lines are
    skipped, as the line-by-line reader skips them. The columns are checked as the other readers
    check them (:func:`_checked_problem`)."""
    if b'"' in text or text.translate(None, _PLAIN):
        return None  # not ASCII, a quote, or a control byte other than a line break (str.splitlines breaks at some)
    p_at = 0 if text.startswith(b"p ") else text.find(b"\np ") + 1
    p_end = text.find(b"\n", p_at)
    if (p_at == 0 and not text.startswith(b"p ")) or p_end < 0 \
            or not all(line == b"c" or line.startswith(b"c ") for line in text[:p_at].split(b"\n")[:-1]):
        return None
    fields = text[p_at:p_end].split(b" ")
    if len(fields) != 4 or fields[1] != b"min" or not (fields[2].isdigit() and fields[3].isdigit()):
        return None
    start = first_arc = p_end + 1
    if not text.startswith(b"a ", start):
        found = text.find(b"\na ", start)
        first_arc = len(text) if found < 0 else found + 1
    try:  # bytes.isspace stops at the first other byte (str.strip copied the whole text)
        nodes, arcs = (pl.read_csv(lines, separator=" ", has_header=False, schema=schema)
                       if lines and not lines.isspace() else pl.DataFrame(schema=schema)
                       for lines, schema in ((text[start:first_arc], _NODE_COLUMNS), (text[first_arc:], _ARC_COLUMNS)))
    except pl.exceptions.PolarsError:
        return None
    if (nodes.null_count().row(0) != (0,) * 3 or arcs.null_count().row(0) != (0,) * 6
            or not (nodes["tag"] == "n").all() or not (arcs["tag"] == "a").all()):
        return None
    columns = [frame[name].to_numpy() for frame, names in ((nodes, ("node", "flow")),
                                                           (arcs, ("tail", "head", "low", "capacity", "cost")))
               for name in names]
    return _checked_problem(int(fields[2]), int(fields[3]), *columns)


_BREAK, _SPACE, _TAB, _PLUS, _MINUS = (ord(c) for c in "\n \t+-")
_KIND = np.zeros(256, dtype=np.int8)  # 0: not allowed in a record, 1: digit, 2: sign, 3: a separator
_KIND[list(b"0123456789")], _KIND[[_PLUS, _MINUS]], _KIND[[_SPACE, _TAB, _BREAK]] = 1, 2, 3
_MAX_DIGITS = 18  # fits int64


def _record_integers(data: np.ndarray, inside: np.ndarray, starts: np.ndarray, width: np.ndarray) -> np.ndarray | None:
    """The integers of the records (the bytes ``inside``, each record a line from ``starts``,
    whose first byte is its tag), in file order; None unless each holds exactly ``width`` integers
    (``[+-]?digits``) separated by spaces or tabs.

    Everything outside the records (and each record's tag) is blanked to a space once, and that
    one buffer is both checked and parsed: about half the passes over the bytes of a per-byte
    token mask (3.9 -> 1.x ms on the 8,192-arc NETGEN file, see ``benchmarks/results``)."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    inside[starts] = False  # each record's tag counts as space
    clean = np.where(inside, data, np.uint8(_SPACE))
    kind = _KIND[clean]
    if not kind.all():
        return None
    token = kind < 3  # digits and signs
    edges = np.flatnonzero(np.diff(token, prepend=False, append=False))  # a token's first byte and the byte after it
    token_start, token_end = edges[0::2], edges[1::2]
    per_record = np.diff(np.searchsorted(token_start, np.append(starts, len(data))))
    if not np.array_equal(per_record[:len(starts)], width) or (token_end - token_start).max() > _MAX_DIGITS:
        return None
    signed = (kind[token_start] == 2)
    # a sign only as a token's first byte, followed by a digit
    if np.count_nonzero(kind == 2) != np.count_nonzero(signed) or np.any(kind[token_start[signed] + 1] != 1):
        return None
    values = np.fromstring(clean.tobytes(), dtype=np.int64, sep=" ")
    return values if len(values) == width.sum() else None


def _records(text: str, name: str) -> tuple[dict[str, list[tuple[int, list]]], list[Problem]]:
    """Split the file into ``p``, ``n`` and ``a`` records of (line number, values)."""
    records: dict[str, list[tuple[int, list]]] = {"p": [], "n": [], "a": []}
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0] == "c":
            continue
        tag, values = fields[0], fields[1:]
        if tag not in _FIELDS:
            problems.append(_problem(name, number, f"unknown record {tag!r}: expected c, p, n or a"))
        elif len(values) != _FIELDS[tag]:
            problems.append(_problem(name, number, f"{tag} line needs {_FIELDS[tag]} values, got {len(values)}"))
        elif tag == "p" and values[0] != "min":
            problems.append(_problem(name, number, f"problem type must be 'min', got {values[0]!r}"))
        else:
            numbers = values[1:] if tag == "p" else values
            if not all(_is_integer(v) for v in numbers):
                problems.append(_problem(name, number, f"{tag} line values must be integers, got {' '.join(numbers)}"))
            else:
                records[tag].append((number, [int(v) for v in numbers]))
        if len(problems) >= MAX_PROBLEMS:
            break
    return records, problems


def _is_integer(value: str) -> bool:
    return value.lstrip("+-").isdigit()


def _problem(name: str, line: int, message: str) -> Problem:
    return Problem(name, f"line {line}: {message}")


def _check_records(records: dict[str, list[tuple[int, list]]], name: str) -> list[Problem]:
    """Problem line, node ranges, lower bounds, capacities and the arc count."""
    if len(records["p"]) != 1:
        lines = ", ".join(str(line) for line, _ in records["p"]) or "none"
        return [Problem(name, f"needs exactly one 'p min <nodes> <arcs>' line, found lines: {lines}")]
    (p_line, (n_nodes, n_arcs)), = records["p"]
    problems = [_problem(name, line, f"{tag} line comes before the p line")
                for tag in ("n", "a") for line, _ in records[tag] if line < p_line]
    for line, (node, _) in records["n"]:
        if not 1 <= node <= n_nodes:
            problems.append(_problem(name, line, f"node {node} is outside 1..{n_nodes}"))
    seen = [node for _, (node, _) in records["n"]]
    if len(set(seen)) != len(seen):
        problems.append(Problem(name, "a node has more than one n line"))
    for line, (tail, head, low, cap, _) in records["a"]:
        if not (1 <= tail <= n_nodes and 1 <= head <= n_nodes):
            problems.append(_problem(name, line, f"arc {tail}->{head} names a node outside 1..{n_nodes}"))
        if low != 0:
            problems.append(_problem(name, line, f"arc {tail}->{head}: lower bound must be 0 "
                                                 f"(nearshore has no minimum flows), got {low}"))
        if cap < 0:
            problems.append(_problem(name, line, f"arc {tail}->{head}: capacity must be >= 0, got {cap}"))
    if len(records["a"]) != n_arcs and not problems:
        problems.append(_problem(name, p_line, f"p line announces {n_arcs} arcs, the file has {len(records['a'])}"))
    return problems


def write_dimacs(problem: MinCostFlowProblem, path: str | Path, *, comment: str = "") -> Path:
    """Write a problem as a DIMACS ``min`` file (nodes numbered from 1, lower bounds 0).

    Example
    -------
    >>> import tempfile, os
    >>> tiny = MinCostFlowProblem(np.array([3, -3]), np.array([0]), np.array([1]), np.array([5]), np.array([7]))
    >>> path = write_dimacs(tiny, os.path.join(tempfile.mkdtemp(), "tiny.min"))
    >>> read_dimacs(path).equals(tiny)
    True
    """
    path = Path(path)
    nodes = np.flatnonzero(problem.supply)
    header = [f"c {line}" for line in comment.splitlines()] + [f"p min {problem.n_nodes} {problem.n_arcs}"]
    node_lines = pl.DataFrame({"tag": "n", "node": nodes + 1, "flow": problem.supply[nodes]})
    arc_lines = pl.DataFrame({"tag": "a", "tail": problem.tail + 1, "head": problem.head + 1, "low": 0,
                              "cap": problem.capacity, "cost": problem.cost})
    body = [frame.write_csv(separator=" ", include_header=False) for frame in (node_lines, arc_lines) if frame.height]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(header) + "\n" + "".join(body), encoding="utf-8")
    return path


def network_from_dimacs(problem: MinCostFlowProblem, *, name: str = "dimacs") -> Network:
    """A one-commodity network of a min-cost flow problem.

    Supply nodes become plants, demand nodes markets, the others hubs; arc costs become transit
    hours. A feasible problem's optimum equals the network's least load-hours, since serving
    every load beats any unmet-demand penalty.

    Raises
    ------
    DimacsError
        If an arc cost is negative (transit hours must be >= 0).
    NetworkError
        If the network is invalid, e.g. a market that no supply node reaches.

    Example
    -------
    >>> tiny = MinCostFlowProblem(np.array([3, 0, -3]), np.array([0, 1]), np.array([1, 2]),
    ...                           np.array([5, 5]), np.array([7, 1]))
    >>> network_from_dimacs(tiny)
    Network('dimacs': 3 nodes, 2 links, 1 commodities)
    """
    negative = np.flatnonzero(problem.cost < 0)
    if len(negative):
        raise DimacsError([Problem(name, f"arc {a + 1} ({problem.tail[a] + 1}->{problem.head[a] + 1}): cost must be "
                                         f">= 0 to become transit hours, got {problem.cost[a]}")
                           for a in negative[:MAX_PROBLEMS]], source=name)
    ids = pl.Series(_numbered("n", problem.n_nodes))
    kind = np.where(problem.supply > 0, "plant", np.where(problem.supply < 0, "market", "hub"))
    sources, sinks = np.flatnonzero(problem.supply > 0), np.flatnonzero(problem.supply < 0)
    zeros = np.zeros(problem.n_nodes)
    nodes = pl.DataFrame({"id": ids, "name": ids, "kind": kind, "country": "US", "region": None, "lat": zeros,
                          "lon": zeros})
    links = pl.DataFrame({
        "id": _numbered("a", problem.n_arcs), "from": ids.gather(problem.tail), "to": ids.gather(problem.head),
        "mode": "truck", "transit_h": problem.cost.astype(float), "capacity_loads_per_day": problem.capacity.astype(float),
    })
    commodities = pl.DataFrame({"id": ["c0"], "name": ["c0"], "value_usd_per_load": [1.0]})
    supply = pl.DataFrame({"node": ids.gather(sources), "commodity": "c0",
                           "capacity_loads_per_day": problem.supply[sources].astype(float)})
    demand = pl.DataFrame({"node": ids.gather(sinks), "commodity": "c0", "loads_per_day": -problem.supply[sinks].astype(float)})
    return Network.from_frames(nodes=nodes, links=links, commodities=commodities, supply=supply, demand=demand, name=name)


def dimacs_from_network(network: Network) -> MinCostFlowProblem:
    """The min-cost flow of a plain one-commodity network: links as arcs costing their hours
    (transit plus the dwell of the node entered), supply capacities as supplies, demand as
    negative supplies. Unlimited capacities become the total supply.

    The network must be balanced (total supply capacity = total demand), so that every supply
    is used, and hold whole numbers only; the supplier's own dwell, the same for every solution
    of a balanced network, is left out of the costs.

    Raises
    ------
    DimacsError
        If the network has several commodities, node limits (throughput, power, water), is not
        balanced, or has fractional hours or capacities.

    Example
    -------
    >>> tiny = MinCostFlowProblem(np.array([3, 0, -3]), np.array([0, 1]), np.array([1, 2]),
    ...                           np.array([5, 5]), np.array([7, 1]))
    >>> dimacs_from_network(network_from_dimacs(tiny)).equals(tiny)
    True
    """
    a = network.arrays
    supply = np.bincount(a.supply_node, a.supply_capacity, minlength=a.n_nodes) - np.bincount(
        a.demand_node, a.demand_loads, minlength=a.n_nodes)
    cost = a.transit_h + a.dwell_h[a.head]
    capacity = np.where(np.isfinite(a.capacity), a.capacity, a.supply_capacity.sum())
    reasons = [text for bad, text in (
        (a.n_commodities != 1, f"it has {a.n_commodities} commodities, DIMACS holds one"),
        (bool(np.isfinite(a.throughput).any() | np.isfinite(a.power_mw).any() | np.isfinite(a.water_m3_per_day).any()),
         "it has node limits (throughput, power or water)"),
        (abs(supply.sum()) > 1e-9, f"total supply minus demand is {supply.sum():g}, not 0"),
        (not all(np.array_equal(v, np.round(v)) for v in (supply, cost, capacity)),
         "hours, capacities, supply and demand must be whole numbers"),
    ) if bad]
    if reasons:
        raise DimacsError([Problem(network.name, f"has no DIMACS form: {text}") for text in reasons], source=network.name)
    as_int = lambda values: np.round(values).astype(np.int64)
    return MinCostFlowProblem(supply=as_int(supply), tail=a.tail.copy(), head=a.head.copy(),
                              capacity=as_int(capacity), cost=as_int(cost))


def _numbered(prefix: str, n: int) -> np.ndarray:
    """``prefix`` + 1-based zero-padded numbers, which sort in numeric order."""
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), len(str(n))))
