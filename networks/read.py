"""Reading and checking the tables of a network folder, one table at a time.

Cells are read as text and converted column by column with polars, so a bad cell is reported
with its file, row and field instead of failing the whole read. A row's number is its position as a
spreadsheet shows it: the header is row 1, the first record row 2.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from networks.errors import Problem
from networks.schema import USER_COLUMN_PREFIX, Column, Table

LINE = "_line"  # the line number of a row in its file (header = 1); dropped once checked


def read_csv(path: Path, table: Table) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Read one CSV file as text; a missing or unparsable file is a problem, not an exception.

    An optional table that is absent reads as an empty table."""
    if not path.is_file():
        if table.optional:
            return empty_table(table), []
        return None, [Problem(table.file, f"file is missing (looked for {path})")]
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8", raise_if_empty=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, [Problem(table.file, f"cannot be read as UTF-8 CSV: {first}")]
    return frame, []


def empty_table(table: Table) -> pl.DataFrame:
    """A table with the required columns and no rows."""
    return pl.DataFrame(schema={c.name: pl.String for c in table.columns if c.required})


def check_table(frame: pl.DataFrame, table: Table) -> tuple[pl.DataFrame, list[Problem]]:
    """Check columns and cells of one table; return it typed, in key order, with its problems.

    Text cells are stripped and an empty cell counts as missing. Numeric columns become Float64;
    empty optional numbers take the column's default. User columns (``x_`` prefix) are kept.
    """
    problems = _check_columns(frame, table)
    present = set(frame.columns)
    frame = _drop_blank_rows(frame.with_row_index(LINE, offset=2))
    for column in table.columns:
        if column.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column.name))
    if frame.height == 0 and not table.optional:
        problems.append(Problem(table.file, "table is empty: it needs at least one row"))
    label = _row_label(table)
    frame = frame.with_columns(_label=label)
    typed = [frame[LINE], frame["_label"]]
    for column in table.columns:
        values, bad = _convert(frame, column, table.file)
        typed.append(values)
        problems += bad if column.name in present else []  # a missing column is reported once
    extra = [c for c in frame.columns if c.startswith(USER_COLUMN_PREFIX)]
    result = pl.DataFrame(typed).hstack(frame.select(extra))
    problems += _check_duplicates(result, table)
    return result.drop("_label"), problems


def _drop_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Lines with no value at all (a trailing newline, a spacer line) are not rows."""
    cells = [c for c in frame.columns if c != LINE]
    if not cells:
        return frame
    blank = pl.all_horizontal(pl.col(c).cast(pl.String).str.strip_chars().fill_null("") == "" for c in cells)
    return frame.filter(~blank)


def _check_columns(frame: pl.DataFrame, table: Table) -> list[Problem]:
    known = set(table.names)
    duplicated = [c for c in frame.columns if "_duplicated_" in c]
    problems = [
        Problem(table.file, "column appears more than once in the header", field=c.split("_duplicated_")[0])
        for c in duplicated
    ]
    problems += [
        Problem(table.file, f"unknown column (user columns must start with {USER_COLUMN_PREFIX!r})", field=c)
        for c in frame.columns
        if c not in known and not c.startswith(USER_COLUMN_PREFIX) and c not in duplicated
    ]
    problems += [
        Problem(table.file, "missing column", field=c.name)
        for c in table.columns
        if c.required and c.name not in frame.columns
    ]
    return problems


def _row_label(table: Table) -> pl.Expr:
    parts = [pl.col(k).cast(pl.String).str.strip_chars().fill_null("?") for k in table.key]
    return pl.concat_str(parts, separator="/")


def _convert(frame: pl.DataFrame, column: Column, file: str) -> tuple[pl.Series, list[Problem]]:
    """Convert one column to its type; report empty, non-numeric, out-of-range and unknown values."""
    raw = frame[column.name].cast(pl.String).str.strip_chars()
    raw = pl.select(pl.when(raw.str.len_chars() > 0).then(raw)).to_series().alias(column.name)
    problems: list[Problem] = []

    def report(mask: pl.Series, message: str, got: pl.Series | None = None) -> None:
        rows = frame.filter(mask)
        gots = (got if got is not None else raw).filter(mask).to_list()
        problems.extend(
            Problem(file, message, row=line, item=label, field=column.name, got=g)
            for line, label, g in zip(rows[LINE], rows["_label"], gots, strict=True)
        )

    empty = raw.is_null()
    if not column.nullable and column.default is None:
        report(empty, "is empty, a value is required", got=pl.Series([None] * len(raw)))
    if column.dtype == "str":
        if column.choices:
            report(~empty & ~raw.is_in(list(column.choices)), f"must be one of {', '.join(column.choices)}")
        return raw, problems

    if column.dtype == "bool":
        values = raw.str.to_lowercase().replace_strict(_BOOLEANS, default=None, return_dtype=pl.Float64)
        report(~empty & values.is_null(), "must be true or false")
        return values.fill_null(column.default or 0.0).cast(pl.Boolean).alias(column.name), problems

    values = raw.cast(pl.Float64, strict=False)
    not_number = ~empty & (values.is_null() | ~values.is_finite().fill_null(False))
    report(not_number, "must be a finite number")
    ok = ~empty & ~not_number
    if column.minimum is not None:
        below = values <= column.minimum if column.exclusive_minimum else values < column.minimum
        report(ok & below, _range_text(column))
    if column.maximum is not None:
        report(ok & (values > column.maximum), _range_text(column))
    values = pl.select(pl.when(ok).then(values)).to_series().alias(column.name)
    if column.default is not None:
        values = values.fill_null(column.default)
    return values, problems


_BOOLEANS = {"true": 1.0, "yes": 1.0, "1": 1.0, "false": 0.0, "no": 0.0, "0": 0.0}


def _range_text(column: Column) -> str:
    if column.maximum is None:
        return f"must be {'>' if column.exclusive_minimum else '>='} {column.minimum:g}"
    return f"must be between {column.minimum:g} and {column.maximum:g}"


def _check_duplicates(frame: pl.DataFrame, table: Table) -> list[Problem]:
    keys = list(table.key)
    dup = frame.filter(pl.struct(keys).is_duplicated() & pl.all_horizontal(pl.col(keys).is_not_null()))
    field = "/".join(keys)
    return [
        Problem(table.file, "duplicate, must be unique", row=line, item=label, field=field)
        for line, label in zip(dup[LINE], dup["_label"], strict=True)
    ]
