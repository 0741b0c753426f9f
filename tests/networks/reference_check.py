"""The expression-per-cell check of a table that :func:`networks.read.check_table` replaced (one polars
query of a few expressions per column and check), kept as the oracle its columnar rewrite is tested
against (``test_check_table_columnar.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from networks.errors import Problem
from networks.read import _BOOLEANS, LINE, _check_columns, _is_user_column, _range_text, _report, _report_duplicates
from networks.schema import ID_FORBIDDEN, MAX_ID_LENGTH, Column, Table


def reference_check_table(frame: pl.DataFrame, table: Table, *,
                only: tuple[str, ...] | None = None) -> tuple[pl.DataFrame, list[Problem]]:
    """Check columns and cells of one table; return it typed, in key order, with its problems.

    Text cells are stripped and an empty cell counts as missing. Numeric columns become Float64;
    empty optional numbers take the column's default. User columns (``x_`` prefix) are kept.

    All columns are converted and every check is flagged in one polars query; rows are looked up
    (with their labels and values) only for a check that fails, so a valid table costs one pass
    over its cells. Cells that already have the column's type (tables of a built network) are not
    turned into text and back. With ``only``, the other columns are taken as valid and typed (a
    table of a built network with some columns changed): only the ``only`` columns are checked.
    """
    problems = _check_columns(frame, table)
    kept = [c for c in frame.columns if c in table.names or _is_user_column(c)]
    if len(kept) < frame.width:  # unknown columns are reported; dropped, none can clash with helper columns
        frame = frame.select(kept)
    present = tuple(c for c in table.names if c in frame.columns)
    frame = frame.with_row_index(LINE, offset=2)
    missing = [c.name for c in table.columns if c.name not in frame.columns]
    if missing:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    plan = _plan(table, tuple(frame.schema.items()), present, only)
    checked = frame.select(LINE, *plan.values, *plan.extra, *plan.masks, plan.blank, plan.duplicated)
    if checked[_BLANK].any():
        frame = frame.filter(~checked[_BLANK])
        checked = checked.filter(~checked[_BLANK])
    if frame.height == 0 and not table.optional:
        problems.append(Problem(table.file, "table is empty: it needs at least one row"))
    for name, check in plan.checks:
        mask = checked[name]
        if mask.any():
            problems += _report(frame.filter(mask), table, check)
    if checked[_DUPLICATED].any():
        problems += _report_duplicates(frame.filter(checked[_DUPLICATED]), table)
    return pl.DataFrame([checked[c] for c in (LINE, *table.names, *plan.extra)]), problems


_BLANK, _DUPLICATED = "_blank", "_duplicated"


@dataclass(frozen=True, slots=True)
class _Plan:
    """One table's check as expressions: typed columns, user columns, named check flags and the
    flag of blank lines (no value at all: a trailing newline, a spacer line), which are not rows."""

    values: list[pl.Expr]
    extra: list[str]
    checks: list[tuple[str, _Check]]
    blank: pl.Expr
    duplicated: pl.Expr  # rows whose (typed, complete) key another row has too

    @property
    def masks(self) -> list[pl.Expr]:
        return [check.mask.alias(name) for name, check in self.checks]


_PLANS: dict[tuple, tuple[Table, _Plan]] = {}


def _plan(table: Table, schema: tuple[tuple[str, pl.DataType], ...], present: tuple[str, ...],
          only: tuple[str, ...] | None) -> _Plan:
    """The plan of a table read with ``schema``, built once per table and input shape (batches
    check the same shapes again and again); ``only``: see :func:`check_table`."""
    key = (id(table), schema, present, only)
    cached = _PLANS.get(key)
    if cached is not None and cached[0] is table:
        return cached[1]
    dtypes = dict(schema)
    checked = set(table.names if only is None else only)
    cells = [_Cells(column, dtypes[column.name]) for column in table.columns if column.name in checked]
    checks = [(f"_flag_{cell.column.name}_{index}", check) for cell in cells if cell.column.name in present
              for index, check in enumerate(cell.checks())]  # a missing column is reported once, above
    values = {cell.column.name: cell.value() for cell in cells}
    if only is None:
        blank = pl.all_horizontal(
            pl.col(name).cast(pl.String).str.strip_chars().fill_null("") == "" if dtype in (pl.String, pl.Null)
            else pl.col(name).is_null() for name, dtype in schema if name != LINE)
    else:
        blank = pl.lit(False)  # a table of a built network has no blank rows
    keys = [values.get(k, pl.col(k)) for k in table.key] if any(k in values for k in table.key) else []
    duplicated = pl.struct(keys).is_duplicated() & pl.all_horizontal(k.is_not_null() for k in keys) if keys \
        else pl.lit(False)
    plan = _Plan(values=[values.get(c, pl.col(c)) for c in table.names],
                 extra=[c for c in dtypes if _is_user_column(c)],
                 checks=checks, blank=blank.alias(_BLANK), duplicated=duplicated.alias(_DUPLICATED))
    _PLANS[key] = (table, plan)
    return plan


@dataclass(frozen=True, slots=True)
class _Check:
    """A cell check: the rows it flags, its message, and whether the problem shows the cell."""

    mask: pl.Expr
    field: str
    message: str
    shows_cell: bool = True


@dataclass(frozen=True, slots=True)
class _Cells:
    """The conversion and checks of one column, as polars expressions over the raw frame."""

    column: Column
    dtype: pl.DataType

    @property
    def numeric_input(self) -> bool:
        return self.dtype.is_numeric()

    def text(self) -> pl.Expr:
        """The cell as stripped text, null when empty."""
        text = pl.col(self.column.name).cast(pl.String).str.strip_chars()
        return pl.when(text.str.len_chars() > 0).then(text)

    def empty(self) -> pl.Expr:
        if self.numeric_input or self.dtype == pl.Boolean:
            return pl.col(self.column.name).is_null()
        return self.text().is_null()

    def parsed(self) -> pl.Expr:
        """The cell in the column's type, null where empty or invalid (before defaults)."""
        column = self.column
        if column.dtype == "str":
            return self.text()
        if column.dtype == "bool":
            if self.dtype == pl.Boolean:
                return pl.col(column.name).cast(pl.Float64)
            return self.text().str.to_lowercase().replace_strict(_BOOLEANS, default=None, return_dtype=pl.Float64)
        number = pl.col(column.name).cast(pl.Float64) if self.numeric_input else self.text().cast(
            pl.Float64, strict=False)
        return pl.when(number.is_finite()).then(number)

    def value(self) -> pl.Expr:
        """The typed column: invalid cells null, empty ones the column's default."""
        column = self.column
        value = self.parsed()
        if column.dtype == "float" and (column.minimum is not None or column.maximum is not None):
            value = pl.when(~self._out_of_range(value).fill_null(False)).then(value)
        if column.dtype == "bool":
            return value.fill_null(column.default or 0.0).cast(pl.Boolean).alias(column.name)
        if column.default is not None:
            value = value.fill_null(column.default)
        return value.alias(column.name)

    def checks(self) -> list[_Check]:
        """The checks of the column, in the order their problems are reported."""
        column, empty = self.column, self.empty()
        checks = []
        if not column.nullable and column.default is None:
            checks.append(_Check(empty, column.name, "is empty, a value is required", shows_cell=False))
        if column.dtype == "str":
            if column.identifier:
                text = self.text()
                checks += [
                    _Check(text.str.contains(ID_FORBIDDEN, literal=True).fill_null(False), column.name,
                           f"must not contain {ID_FORBIDDEN!r} (it joins ids in routes)"),
                    _Check(text.str.contains(r"[\p{Cc}\p{Zl}\p{Zp}]").fill_null(False), column.name,
                           "must not contain control characters or line breaks"),
                    _Check((text.str.len_chars() > MAX_ID_LENGTH).fill_null(False), column.name,
                           f"must be at most {MAX_ID_LENGTH} characters long"),
                ]
            if column.choices:
                checks.append(_Check(~empty & ~self.text().is_in(list(column.choices)), column.name,
                                     f"must be one of {', '.join(column.choices)}"))
            return checks
        parsed = self.parsed()
        invalid = ~empty & parsed.is_null()
        if column.dtype == "bool":
            return [*checks, _Check(invalid, column.name, "must be true or false")]
        checks.append(_Check(invalid, column.name, "must be a finite number"))
        if column.minimum is not None:
            below = parsed <= column.minimum if column.exclusive_minimum else parsed < column.minimum
            checks.append(_Check(below.fill_null(False), column.name, _range_text(column)))
        if column.maximum is not None:
            checks.append(_Check((parsed > column.maximum).fill_null(False), column.name,
                                 _range_text(column, above=True)))
        return checks

    def _out_of_range(self, value: pl.Expr) -> pl.Expr:
        column, out = self.column, pl.lit(False)
        if column.minimum is not None:
            out = out | (value <= column.minimum if column.exclusive_minimum else value < column.minimum)
        if column.maximum is not None:
            out = out | (value > column.maximum)
        return out
