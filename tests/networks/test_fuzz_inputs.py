"""Fuzzing the network files: whatever the CSV cells, columns and rows hold, ``nearshore validate``
and ``nearshore solve --format json`` end with exit 0, 2 or 3, never 1 and never a traceback, and
every exit-2 line names the file it is about.

Each example copies a small valid network (``two_routes``, or ``two_crossings`` with a tariff),
applies one to three mutations and runs both commands through click's ``CliRunner`` on the real
entry point (:func:`routing.cli.main`, which picks the exit code). Values lean towards the edges:
each unit's bound and just past it, huge, tiny, negative, NaN, inf, text, empty; ids with ``>``,
control characters, unicode or thousands of characters. The whole suite takes about a minute;
``FUZZ_EXAMPLES=4000`` runs a longer search (360 mutated networks by default, half as many in range).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click
from click.testing import CliRunner
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from networks.schema import TABLES, UNITS
from routing.cli import main
from routing.cli.exits import EXIT_BAD_INPUT, EXIT_NO_SOLUTION, EXIT_OK
from routing.options import MAX_WAIT_SEGMENTS

DATA = Path(__file__).parents[1] / "data"
FILES = tuple(t.file for t in TABLES)
TARIFFS = "country,commodity,duty_pct,illustrative,basis\nMX,parts,2.5,true,USMCA-qualifying\n"


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def nearshore(args: tuple[str, ...]) -> None:
    """The installed ``nearshore`` script: ``main`` with its exit code."""
    sys.exit(main(list(args)))


@dataclass(frozen=True)
class Mutation:
    """One change to one file; ``a`` and ``b`` pick a row and a column (modulo their counts)."""

    kind: str
    file: int
    a: int
    b: int
    value: str

    def apply(self, folder: Path) -> None:
        files = sorted(p for p in folder.iterdir() if p.suffix == ".csv")
        path = files[self.file % len(files)]
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8", errors="surrogateescape"), newline="")))
        if not rows:
            rows = [[]]
        header, body = rows[0], rows[1:]
        col = self.b % max(len(header), 1)
        row = self.a % max(len(body), 1)
        if self.kind == "cell" and body:
            cells = body[row]
            cells += [""] * (len(header) - len(cells))
            cells[col] = self.value
        elif self.kind == "drop_column" and header:
            rows = [r[:col] + r[col + 1:] for r in rows]
        elif self.kind == "duplicate_column" and header:
            rows = [r[:col + 1] + r[col:col + 1] + r[col + 1:] for r in rows]
        elif self.kind == "rename_column" and header:
            header[col] = self.value
        elif self.kind == "extra_column":
            header.append(self.value)
            for cells in body:
                cells.append("1")
        elif self.kind == "blank_row":
            body.insert(row, [])
        elif self.kind == "duplicate_row" and body:
            body.insert(row, list(body[row]))
        elif self.kind == "drop_row" and body:
            del body[row]
        elif self.kind == "ragged_row" and body:
            body[row] = body[row][:col] if self.value == "" else [*body[row], self.value]
        elif self.kind == "truncate":
            path.write_text(self.value, encoding="utf-8")
            return
        elif self.kind == "encoding":  # a byte-order mark, Windows line ends, or bytes that are not UTF-8
            raw = path.read_bytes()
            path.write_bytes({0: b"\xef\xbb\xbf" + raw, 1: raw.replace(b"\n", b"\r\n"), 2: raw + b"\xff\xfe,\x00\n",
                              3: raw.replace(b"\n", b"\r")}[self.a % 4])
            return
        if self.kind not in ("drop_column", "duplicate_column"):
            rows = [header, *body]
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8", errors="surrogateescape")


_bounds = sorted({b for u in UNITS.values() for b in (u.minimum, u.maximum)})
numbers = st.one_of(
    st.sampled_from([*_bounds, *(b * (1 + 1e-9) + 1e-9 for b in _bounds), 0.0, 1e-300, 5e-324, 1e12, 1e15, 1e19,
                     9.3e18, 1e20, 1e300, 1.7e308, -1.0, -1e300]).map(repr),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-0", "0x10", "1_000", " 5 ", "5,0",
                     "1e5\n", "true", "", "   "]),
)
texts = st.one_of(
    st.sampled_from(["", " ", "P", "M", "A", "B", "B1", "parts", "MX", "US", "plant", "market", "border_crossing",
                     "truck", "general", "fast", "true", "false", "P>M", ">", "a\tb", "a\nb", "\x00", "\x07", "\x1b[31m",
                     "\u200b", "Nuevo León", "東京", "\U0001F69A", "x" * 129, "y" * 10_000, "=1+1", '"', "'", "\\",
                     "_line", "_blank", "_duplicated", "_label", "_cell", "_flag_id_0", "id_duplicated_0",
                     "x_note", "id", "node", "commodity"]),
    st.text(max_size=20),
)
values = st.one_of(numbers, texts)
mutations = st.builds(
    Mutation,
    kind=st.sampled_from(["cell"] * 6 + ["drop_column", "duplicate_column", "rename_column", "extra_column",
                                         "blank_row", "duplicate_row", "drop_row", "ragged_row", "truncate", "encoding"]),
    file=st.integers(0, 7), a=st.integers(0, 7), b=st.integers(0, 15), value=values,
)


def _network(base: str, folder: Path) -> Path:
    target = Path(shutil.copytree(DATA / base.removesuffix("+tariffs"), folder / "net"))
    if base.endswith("+tariffs"):
        (target / "tariffs.csv").write_text(TARIFFS, encoding="utf-8")
    return target


def _check_run(folder: Path, *args: str) -> int:
    result = CliRunner().invoke(nearshore, [*args])
    text = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exc_info)
    assert result.exit_code in (EXIT_OK, EXIT_BAD_INPUT, EXIT_NO_SOLUTION), (args, result.exit_code, text)
    assert "Traceback" not in text, text
    if result.exit_code == EXIT_BAD_INPUT:
        errors = result.stderr.splitlines()
        assert errors, text
        for line in errors:  # one line per problem, each naming its file inside the folder
            assert line.startswith(f"error: {folder}/"), line
            assert line.removeprefix(f"error: {folder}/").split(":")[0].split(" ")[0] in FILES, line
    return result.exit_code


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "360")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(["two_routes", "two_crossings+tariffs"]), changes=st.lists(mutations, min_size=1,
                                                                                        max_size=3))
@example(base="two_routes", changes=[Mutation("extra_column", 0, 0, 0, "_line")])
@example(base="two_routes", changes=[Mutation("rename_column", 4, 0, 11, "_blank")])
@example(base="two_routes", changes=[Mutation("cell", 2, 0, 0, "P>B1")])
@example(base="two_routes", changes=[Mutation("cell", 3, 0, 0, "P\x07")])
@example(base="two_routes", changes=[Mutation("cell", 3, 0, 0, "P" * 10_000)])
@example(base="two_routes", changes=[Mutation("cell", 2, 2, 5, "1e9"), Mutation("cell", 2, 0, 6, "1e9")])
@example(base="two_routes", changes=[Mutation("cell", 2, 0, 5, "1e19")])
@example(base="two_routes", changes=[Mutation("cell", 0, 0, 2, "1e9"), Mutation("cell", 1, 0, 2, "1e9")])
@example(base="two_crossings+tariffs", changes=[Mutation("cell", 1, 0, 3, "1e4"), Mutation("cell", 1, 0, 2, "1e4")])
@example(base="two_crossings+tariffs", changes=[Mutation("cell", 1, 0, 6, "100000")])
@example(base="two_crossings+tariffs", changes=[Mutation("truncate", 6, 0, 0, "")])
def test_any_mutation_exits_0_2_or_3_and_names_the_file(base: str, changes: list[Mutation]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _network(base, Path(tmp))
        for change in changes:
            change.apply(folder)
        code = _check_run(folder, "validate", str(folder))
        solved = _check_run(folder, "solve", "--network", str(folder), "--format", "json")
        event(f"validate {code}, solve {solved}")
        assert (code == EXIT_BAD_INPUT) == (solved == EXIT_BAD_INPUT)  # solve validates the same way


_NUMERIC = {t.file: {c.name: c for c in t.columns if c.dtype == "float"} for t in TABLES}


@st.composite
def in_range_changes(draw: st.DrawFn, folder_files: tuple[str, ...]) -> list[tuple[str, int, str, str]]:
    """Numbers within their column's range, mostly at its ends: the network stays valid cell by cell,
    so the solvers see the largest values validation lets through."""
    changes = []
    for _ in range(draw(st.integers(1, 6))):
        file = draw(st.sampled_from([f for f in folder_files if _NUMERIC.get(f)]))
        column = draw(st.sampled_from(sorted(_NUMERIC[file])))
        spec = _NUMERIC[file][column]
        value = draw(st.one_of(st.sampled_from([spec.maximum, spec.maximum, spec.minimum, spec.maximum / 2, 1e-9]),
                               st.floats(spec.minimum, spec.maximum)))
        changes.append((file, draw(st.integers(0, 7)), column, repr(value)))
    return changes


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "360")) // 2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(["two_routes", "two_crossings+tariffs"]), data=st.data())
def test_largest_valid_values_solve_or_exit_3(base: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _network(base, Path(tmp))
        for file, row, column, value in data.draw(in_range_changes(tuple(p.name for p in folder.iterdir()))):
            path = folder / file
            frame = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
            header = list(frame[0])
            if column not in header:
                header.append(column)
            frame[row % len(frame)][column] = value
            out = io.StringIO()
            writer = csv.DictWriter(out, header, lineterminator="\n", restval="")
            writer.writeheader()
            writer.writerows(frame)
            path.write_text(out.getvalue(), encoding="utf-8", errors="surrogateescape")
        code = _check_run(folder, "validate", str(folder))
        solved = _check_run(folder, "solve", "--network", str(folder), "--format", "json")
        event(f"validate {code}, solve {solved}")
        assert (code == EXIT_BAD_INPUT) == (solved == EXIT_BAD_INPUT)


@settings(max_examples=25, deadline=None)
@given(segments=st.one_of(st.integers(-5, 2 * MAX_WAIT_SEGMENTS), st.sampled_from(["1000000", "x", "", "1.5", "-0"])))
def test_wait_segments_is_bounded(segments: object) -> None:
    result = CliRunner().invoke(nearshore, ["solve", "--network", str(DATA / "two_crossings"),
                                            "--wait-segments", str(segments), "--format", "json"])
    ok = str(segments).lstrip("-").isdigit() and 1 <= int(str(segments)) <= MAX_WAIT_SEGMENTS
    assert result.exit_code == (EXIT_OK if ok else EXIT_BAD_INPUT), result.output
