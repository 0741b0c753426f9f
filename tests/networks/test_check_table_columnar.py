"""The columnar ``check_table`` (one query per table, then numpy) gives exactly what the
expression-per-cell check it replaced gave (``reference_check.py``): the same typed table and the
same problems in the same order, on tables read as text (every cell kind the fuzz tests use, blank
and duplicated rows, missing, user and unknown columns) and on typed tables of a built network
with changed columns (``only``)."""

from __future__ import annotations

import math

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from networks import builtin_path, read_network
from networks.read import check_table, read_csv
from networks.schema import TABLES, Table
from tests.networks.reference_check import reference_check_table
from tests.networks.test_fuzz_inputs import numbers, texts

BUILTIN = builtin_path()
RAW = {t.file: read_csv(BUILTIN / t.file, t)[0] for t in TABLES}
TYPED = read_network(BUILTIN)
cells = st.one_of(numbers, texts, st.none())


def assert_same(frame: pl.DataFrame, table: Table, only: tuple[str, ...] | None = None) -> None:
    typed, problems = check_table(frame, table, only=only)
    expected, expected_problems = reference_check_table(frame, table, only=only)
    assert problems == expected_problems
    assert typed.schema == expected.schema
    assert typed.equals(expected, null_equal=True), (typed, expected)


@st.composite
def text_tables(draw: st.DrawFn) -> tuple[pl.DataFrame, Table]:
    """A few rows of a built-in table as text, with cells, rows and columns changed."""
    table = draw(st.sampled_from(TABLES))
    raw = RAW[table.file]
    rows = raw.head(draw(st.integers(0, 6))).to_dicts()
    columns = list(raw.columns)
    for _ in range(draw(st.integers(0, 8))):
        if rows and columns:
            row, column = draw(st.integers(0, len(rows) - 1)), draw(st.sampled_from(columns))
            rows[row][column] = draw(cells)
    if rows and draw(st.booleans()):
        rows.append(dict(rows[draw(st.integers(0, len(rows) - 1))]))  # a duplicated key
    if draw(st.booleans()):
        rows.insert(draw(st.integers(0, len(rows))), dict.fromkeys(columns, draw(st.sampled_from(["", None, "  "]))))
    if columns and draw(st.booleans()):
        gone = draw(st.sampled_from(columns))
        columns.remove(gone)
    if draw(st.booleans()):
        columns.append(draw(st.sampled_from(["x_note", "unknown", "x_blank"])))
    data = {c: [r.get(c) for r in rows] for c in columns}
    return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String)), table


@settings(max_examples=200, deadline=None)
@given(text_tables())
def test_tables_read_as_text_check_as_before(case) -> None:
    frame, table = case
    assert_same(frame, table)


floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0.0, -1.0, 1e9, 1e12, 1e19, 1.0, 0.5]))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_changed_columns_of_a_built_network_check_as_before(data) -> None:
    table = data.draw(st.sampled_from([t for t in TABLES if getattr(TYPED, t.name).height]))
    frame = getattr(TYPED, table.name)
    numeric = [c.name for c in table.columns if c.dtype == "float" and c.name in frame.columns]
    changed = data.draw(st.lists(st.sampled_from(numeric), min_size=1, max_size=3, unique=True)) if numeric else []
    for name in changed:
        values = frame[name].to_list()
        for _ in range(data.draw(st.integers(1, 4))):
            values[data.draw(st.integers(0, len(values) - 1))] = data.draw(floats)
        frame = frame.with_columns(pl.Series(name, values, dtype=pl.Float64))
    if data.draw(st.booleans()):  # an id changed too: a duplicate or a forbidden character
        ids = frame[table.key[0]].to_list()
        ids[0] = data.draw(st.sampled_from([ids[-1], "A>B", "x" * 300, None]))
        frame = frame.with_columns(pl.Series(table.key[0], ids, dtype=frame[table.key[0]].dtype))
        changed.append(table.key[0])
    assert_same(frame.drop("_line", strict=False), table, only=tuple(changed))


def test_every_built_in_table_checks_as_before() -> None:
    for table in TABLES:
        assert_same(RAW[table.file], table)
        typed = getattr(TYPED, table.name)
        assert_same(typed, table, only=tuple(c.name for c in table.columns if c.name in typed.columns))


def test_a_number_cell_is_parsed_as_polars_parses_it() -> None:
    table = next(t for t in TABLES if t.file == "links.csv")
    frame = RAW["links.csv"].head(5).with_columns(
        transit_h=pl.Series(["1e3", " 2 ", "inf", "nan", "0x10"]))
    typed, problems = check_table(frame, table)
    assert typed["transit_h"].to_list()[:2] == [1000.0, 2.0]
    assert [p.row for p in problems if p.field == "transit_h"] == [4, 5, 6]
    assert all(math.isfinite(v) for v in typed["transit_h"].drop_nulls())


def test_every_bound_of_every_column_checks_as_before() -> None:
    """Each numeric column at its minimum and maximum and just past them (exclusive minima too),
    one row per value."""
    for table in TABLES:
        raw = RAW[table.file]
        for column in (c for c in table.columns if c.dtype == "float" and c.name in raw.columns and raw.height):
            edges = [b for b in (column.minimum, column.maximum) if b is not None]
            values = [*edges, *(e + d for e in edges for d in (-1e-6, 1e-6)), 0.0]
            rows = pl.concat([raw.head(1)] * len(values)).with_row_index("_n")
            frame = rows.with_columns(pl.format("{}-{}", table.key[0], "_n").alias(table.key[0]),
                                      pl.Series(column.name, [repr(v) for v in values])).drop("_n")
            assert_same(frame, table)


def test_columns_of_other_types_check_as_before() -> None:
    """Tables built in Python may hold integers, categoricals, booleans or nulls where the files
    hold text: each is read as the text check read it (numbers cast, the rest through its text)."""
    links, nodes, commodities = RAW["links.csv"].head(6), RAW["nodes.csv"].head(6), RAW["commodities.csv"]
    table = {t.file: t for t in TABLES}
    cases = [
        (links.with_columns(pl.col("transit_h").cast(pl.Float64).cast(pl.Int64)), "links.csv"),
        (links.with_columns(pl.col("mode").cast(pl.Categorical), pl.col("transit_h").cast(pl.Categorical)),
         "links.csv"),
        (links.with_columns(pl.lit(None).alias("distance_km"), pl.lit(None).alias("x_note")), "links.csv"),
        (nodes.with_columns(pl.col("throughput_loads_per_day").cast(pl.Float64, strict=False)), "nodes.csv"),
        (commodities.with_columns(pl.lit(True).alias("fast_eligible")), "commodities.csv"),
        (commodities.with_columns(pl.lit(1.0).alias("fast_eligible")), "commodities.csv"),
        (commodities.with_columns(pl.lit(True).alias("value_usd_per_load")), "commodities.csv"),
    ]
    for frame, file in cases:
        assert_same(frame, table[file])


def test_user_columns_named_like_the_checks_own_columns_check_as_before() -> None:
    links = RAW["links.csv"].head(4)
    table = next(t for t in TABLES if t.file == "links.csv")
    frame = links.with_columns(pl.lit("a").alias("x_a"), pl.lit("b").alias("x_a/length"),
                               pl.lit("c").alias("x_id/parsed"), pl.lit(None, dtype=pl.String).alias("x_/user0/length"))
    assert_same(frame, table)
    blank = frame.head(1).select(pl.lit(None, dtype=pl.String).alias(c) for c in frame.columns)
    assert_same(pl.concat([frame, blank]), table)  # the blank row is still found and dropped
