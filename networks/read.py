"""Reading and checking the tables of a network folder, one table at a time.

Cells are read as text and converted column by column with polars, so a bad cell is reported
with its file, row and field instead of failing the whole read. A row's number is its position as a
spreadsheet shows it: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from networks.errors import Problem
from networks.schema import ID_FORBIDDEN, MAX_ID_LENGTH, USER_COLUMN_PREFIX, Column, Table, format_bound

LINE = "_line"  # the line number of a row in its file (header = 1); dropped once checked


def read_csv(path: Path, table: Table) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Read one CSV file as text; a missing or unparsable file is a problem, not an exception.

    An optional table that is absent reads as an empty table; one that is there but is not a
    readable file (a folder, a broken link, no permission) is a problem like a required one."""
    problem = file_problem(path)
    if problem == _MISSING:
        if table.optional:
            return empty_table(table), []
        return None, [Problem(table.file, f"file is missing (looked for {path})")]
    if problem:
        return None, [Problem(table.file, problem)]
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8", raise_if_empty=False)
    except PermissionError:
        return None, [Problem(table.file, f"cannot be read: permission denied; fix: chmod a+r {path}")]
    except (pl.exceptions.PolarsError, UnicodeDecodeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, [Problem(table.file, f"cannot be read as UTF-8 CSV: {first}")]
    return frame, []


_MISSING = "missing"


def file_problem(path: Path) -> str:
    """What keeps ``path`` from being read as a table: ``"missing"`` when nothing is there, a
    message with the fix when something else is (a folder, a broken link, no permission), ``""``
    for a regular file."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            return f"is a broken symbolic link (to {os.readlink(path)}); fix: point it at a CSV file or remove it"
        return _MISSING
    except PermissionError:
        return f"cannot be read: permission denied; fix: chmod a+rx {path.parent} and a+r {path}"
    except OSError as exc:  # a link loop, a name too long, ...
        return f"cannot be read: {exc.strerror or type(exc).__name__}; fix: replace it with a CSV file"
    if stat.S_ISDIR(mode):
        return "is a folder, not a CSV file; fix: remove or rename it"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a pipe or device?); fix: replace it with a CSV file"
    return ""


def float_column(frame: pl.DataFrame, column: str, missing: float = np.nan) -> np.ndarray:
    """A numeric column of a checked table as float64, blanks as ``missing`` (checked columns hold
    no NaN, so the NaN numpy gives for a blank marks it; a numpy pass is 10x cheaper than polars'
    ``fill_null``)."""
    values = frame[column].to_numpy().astype(np.float64, copy=False)
    return np.where(np.isnan(values), missing, values)  # a new, writable array


def empty_table(table: Table) -> pl.DataFrame:
    """A table with the required columns and no rows."""
    return pl.DataFrame(schema={c.name: pl.String for c in table.columns if c.required})


def check_table(frame: pl.DataFrame, table: Table, *,
                only: tuple[str, ...] | None = None) -> tuple[pl.DataFrame, list[Problem]]:
    """Check columns and cells of one table; return it typed, in key order, with its problems.

    Text cells are stripped and an empty cell counts as missing. Numeric columns become Float64;
    empty optional numbers take the column's default. User columns (``x_`` prefix) are kept.

    The cells are evaluated kind of column by kind of column (:class:`_Cells`: one polars query
    whose expressions each cover every column of their kind, then numpy), so a table costs one
    query whatever its width (polars spends about as long on each expression of a query as on a
    small table's cells); rows are looked up (with their labels and values) only for a check that
    fails. Cells that already have the column's type (tables of a built network) are not turned
    into text and back. With ``only``, the other columns are taken as valid and typed (a table of a
    built network with some columns changed): only the ``only`` columns are checked.
    """
    problems = _check_columns(frame, table)
    kept = [c for c in frame.columns if c in table.names or _is_user_column(c)]
    if len(kept) < frame.width:  # unknown columns are reported; dropped, none can clash with helper columns
        frame = frame.select(kept)
    present = {c for c in table.names if c in frame.columns}
    frame = frame.with_row_index(LINE, offset=2)
    missing = [c.name for c in table.columns if c.name not in frame.columns]
    if missing:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    cells = _Cells.of(frame, table, only)
    values = {c.name: cells.value(c) if cells.is_checked(c.name) else frame[c.name] for c in table.columns}
    checks = [check for c in table.columns if cells.is_checked(c.name) and c.name in present  # a missing column
              for check in cells.checks(c)]  # is reported once, above
    duplicated = cells.duplicated([values[k] for k in table.key]) if any(map(cells.is_checked, table.key)) \
        else None
    blank = cells.blank()
    columns = [frame[LINE], *values.values(), *(frame[c] for c in frame.columns if _is_user_column(c))]
    if blank is not None and blank.any():
        keep = pl.Series(~blank)
        frame, columns = frame.filter(keep), [column.filter(keep) for column in columns]
        checks = [(check, mask[~blank]) for check, mask in checks]
        duplicated = duplicated[~blank] if duplicated is not None else None
    if frame.height == 0 and not table.optional:
        problems.append(Problem(table.file, "table is empty: it needs at least one row"))
    for check, mask in checks:
        if mask.any():
            problems += _report(frame.filter(pl.Series(mask)), table, check)
    if duplicated is not None and duplicated.any():
        problems += _report_duplicates(frame.filter(pl.Series(duplicated)), table)
    return pl.DataFrame(columns), problems


@dataclass(frozen=True, slots=True)
class _Check:
    """A cell check: its message, the field it is about, and whether the problem shows the cell."""

    field: str
    message: str
    shows_cell: bool = True


_CONTROL = r"[\p{Cc}\p{Zl}\p{Zp}]"  # control characters and line or paragraph separators


@dataclass(frozen=True, slots=True)
class _Cells:
    """The cells of a table, read once per kind of column: the stripped text of the text columns,
    its length, the numbers and boolean words parsed from it and the identifier and choice checks in
    one query (:func:`_query`); typed cells (a built network's numbers and booleans) cast and
    null-masked column by column, with no query. What a column's value and checks need is then
    picked out with numpy.

    A cell is *empty* when it is null or (as text) blank; *parsed* is the cell in its column's type,
    NaN where empty, invalid or not finite."""

    frame: pl.DataFrame
    dtypes: dict[str, pl.DataType]
    checked: frozenset[str]
    text: dict[str, pl.Series]  # stripped, null where blank
    length: dict[str, np.ndarray]  # characters of the stripped text (0 when null)
    null: dict[str, np.ndarray]  # null masks of the typed (not text) columns
    parsed: dict[str, np.ndarray]  # numbers and booleans as float64
    flags: dict[str, np.ndarray]  # identifier and choice checks, by ``column/check``
    whole: bool  # every column is checked (blank rows are looked for)

    @classmethod
    def of(cls, frame: pl.DataFrame, table: Table, only: tuple[str, ...] | None) -> _Cells:
        """Evaluate every cell ``frame`` holds for ``table`` (only the ``only`` columns, if given)."""
        dtypes = dict(frame.schema)
        query = _query(table, tuple(dtypes.items()), only)
        out = frame.select(query.expressions) if query.expressions else pl.DataFrame()
        arrays = {name: out[name].to_numpy() for name in out.columns if "/" in name}
        for name in query.cast:  # typed cells need no query: a cast and a null mask per column
            arrays[f"{name}/parsed"] = frame[name].cast(pl.Float64).to_numpy()
        for name in query.typed:
            column = frame[name]
            arrays[f"{name}/null"] = column.is_null().to_numpy() if column.null_count() else \
                np.zeros(frame.height, dtype=bool)
        parsed = {}
        for name in query.parsed:
            values = arrays[f"{name}/parsed"].astype(np.float64, copy=False)
            parsed[name] = np.where(np.isfinite(values), values, np.nan)
        return cls(frame, dtypes, query.checked,
                   text={name: out[name] for name in query.as_text},
                   length={name: arrays[f"{name}/length"] for name in query.as_text}
                   | {name: arrays[f"/user{i}/length"] for i, name in enumerate(query.users)},
                   null={name: arrays[f"{name}/null"] for name in query.typed},
                   parsed=parsed,
                   flags={name: values for name, values in arrays.items()
                          if name.endswith(("/forbidden", "/control", "/choice"))},
                   whole=only is None)

    def is_checked(self, name: str) -> bool:
        """Whether the column ``name`` is checked (all are, unless ``only`` names some)."""
        return name in self.checked

    def empty(self, column: Column) -> np.ndarray:
        name = column.name
        return self.null[name] if _empty_is_null(self.dtypes[name]) else self.length[name] == 0

    def value(self, column: Column) -> pl.Series:
        """The typed column: invalid cells null, empty ones the column's default."""
        name = column.name
        if column.dtype == "str":
            return self.text[name].alias(name)
        number = self.parsed[name]
        if column.dtype == "bool":
            return pl.Series(name, np.where(np.isnan(number), column.default or 0.0, number).astype(bool))
        out = [mask for mask in _below_above(column, number) if mask is not None]
        value = np.where(np.logical_or.reduce(out), np.nan, number) if out else number
        if column.default is not None:
            value = np.where(np.isnan(value), column.default, value)
        return pl.Series(name, value, dtype=pl.Float64, nan_to_null=True)

    def checks(self, column: Column) -> list[tuple[_Check, np.ndarray]]:
        """The checks of the column with the rows each flags, in the order their problems are reported."""
        name, empty = column.name, self.empty(column)
        checks = []
        if not column.nullable and column.default is None:
            checks.append((_Check(name, "is empty, a value is required", shows_cell=False), empty))
        if column.dtype == "str":
            if column.identifier:
                checks += [
                    (_Check(name, f"must not contain {ID_FORBIDDEN!r} (it joins ids in routes)"),
                     self.flags[f"{name}/forbidden"]),
                    (_Check(name, "must not contain control characters or line breaks"), self.flags[f"{name}/control"]),
                    (_Check(name, f"must be at most {MAX_ID_LENGTH} characters long"),
                     self.length[name] > MAX_ID_LENGTH),
                ]
            if column.choices:
                checks.append((_Check(name, f"must be one of {', '.join(column.choices)}"),
                               ~empty & ~self.flags[f"{name}/choice"]))
            return checks
        number = self.parsed[name]
        invalid = ~empty & np.isnan(number)
        if column.dtype == "bool":
            return [*checks, (_Check(name, "must be true or false"), invalid)]
        checks.append((_Check(name, "must be a finite number"), invalid))
        below, above = _below_above(column, number)  # an unparsed cell (NaN) is neither
        if below is not None:
            checks.append((_Check(name, _range_text(column)), below))
        if above is not None:
            checks.append((_Check(name, _range_text(column, above=True)), above))
        return checks

    def blank(self) -> np.ndarray | None:
        """Rows with no value at all (a trailing newline, a spacer line), which are not rows; None
        when only some columns are checked (a table of a built network has no blank rows)."""
        if not self.whole:
            return None
        blank = np.ones(self.frame.height, dtype=bool)
        for name, dtype in self.dtypes.items():
            if name != LINE:
                blank &= (self.length[name] == 0) if dtype in (pl.String, pl.Null) else self.null[name]
        return blank

    def duplicated(self, keys: list[pl.Series]) -> np.ndarray:
        """Rows whose (typed, complete) key another row has too."""
        complete = np.ones(self.frame.height, dtype=bool)
        for key in keys:
            if key.null_count():
                complete &= key.is_not_null().to_numpy()
        return pl.DataFrame(keys).is_duplicated().to_numpy() & complete


@dataclass(frozen=True, slots=True)
class _Query:
    """The one query that evaluates a table's text cells, for one input schema: each expression
    covers every column of its kind (stripped text, its length, numbers, boolean words, the
    identifier and choice checks), named ``column`` (the text) or ``column/what`` after the
    table's own columns, ``/user<i>/length`` for the user columns (so no output can take a user's
    column name). Typed cells (numbers, booleans of a built network) are read without a query."""

    checked: frozenset[str]
    as_text: tuple[str, ...]  # checked columns read from their stripped text
    users: tuple[str, ...]  # user columns, whose text only tells blank rows (lengths ``/user<i>/length``)
    typed: tuple[str, ...]  # columns whose empty cells are nulls
    parsed: tuple[str, ...]  # number and boolean columns
    cast: tuple[str, ...]  # of those, the typed ones (not in the query: a cast each)
    expressions: tuple[pl.Expr, ...]


_QUERIES: dict[tuple, tuple[Table, _Query]] = {}


def _query(table: Table, schema: tuple[tuple[str, pl.DataType], ...], only: tuple[str, ...] | None) -> _Query:
    """The query of a table read with ``schema``, built once per table and input shape (a batch
    checks the same shapes again and again); ``only``: see :func:`check_table`."""
    key = (id(table), schema, only)
    cached = _QUERIES.get(key)
    if cached is not None and cached[0] is table:
        return cached[1]
    dtypes = dict(schema)
    checked = [c for c in table.columns if only is None or c.name in only]
    as_text = [c.name for c in checked if _reads_text(c, dtypes[c.name])]
    typed = [c.name for c in checked if _empty_is_null(dtypes[c.name])]
    users: list[str] = []  # text columns read only to find blank rows: the user columns
    if only is None:  # blank rows: every column counts (text when blank, other types when null), user columns too
        text_typed = {n: d in (pl.String, pl.Null) for n, d in dtypes.items() if n != LINE}
        users = [n for n, is_text in text_typed.items() if is_text and n not in as_text]
        typed += [n for n, is_text in text_typed.items() if not is_text and n not in typed]
    numbers = [c.name for c in checked if c.dtype == "float" and c.name in as_text]
    words = [c.name for c in checked if c.dtype == "bool" and c.name in as_text]
    cast = [c.name for c in checked if c.dtype != "str" and c.name not in as_text]
    ids = [c.name for c in checked if c.dtype == "str" and c.identifier]

    def stripped(names: list[str]) -> pl.Expr:
        return pl.col(names).cast(pl.String).str.strip_chars()

    groups = [
        (as_text, lambda: stripped(as_text).replace("", None)),
        (as_text, lambda: stripped(as_text).str.len_chars().fill_null(0).name.suffix("/length")),
        (numbers, lambda: stripped(numbers).cast(pl.Float64, strict=False).name.suffix("/parsed")),
        (words, lambda: stripped(words).str.to_lowercase().replace_strict(
            _BOOLEANS, default=None, return_dtype=pl.Float64).name.suffix("/parsed")),
        (ids, lambda: stripped(ids).str.contains(ID_FORBIDDEN, literal=True).fill_null(False).name.suffix("/forbidden")),
        (ids, lambda: stripped(ids).str.contains(_CONTROL).fill_null(False).name.suffix("/control")),
    ]
    expressions = [build() for names, build in groups if names]
    # a user column's length is named by its position: any name, even "x_a/length" beside "x_a", is a user's
    expressions += [stripped([name]).str.len_chars().fill_null(0).alias(f"/user{i}/length")
                    for i, name in enumerate(users)]
    expressions += [stripped([c.name]).is_in(list(c.choices)).fill_null(False).alias(f"{c.name}/choice")
                    for c in checked if c.dtype == "str" and c.choices]
    query = _Query(frozenset(c.name for c in checked), tuple(as_text), tuple(users), tuple(typed),
                   (*numbers, *words, *cast), tuple(cast), tuple(expressions))
    _QUERIES[key] = (table, query)
    return query


def _reads_text(column: Column, dtype: pl.DataType) -> bool:
    """Whether the column's cells are read from their text (rather than from a typed value)."""
    if column.dtype == "str":
        return True
    if column.dtype == "bool":
        return dtype != pl.Boolean
    return not dtype.is_numeric()


def _empty_is_null(dtype: pl.DataType) -> bool:
    """A typed cell (a number, a boolean) is empty when null; a text cell when blank."""
    return dtype.is_numeric() or dtype == pl.Boolean


def _below_above(column: Column, value: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Cells under the column's minimum (or at it, when exclusive) and over its maximum; None for a
    bound the column has not. NaN is neither."""
    with np.errstate(invalid="ignore"):  # NaN compares False
        below = None if column.minimum is None else (
            value <= column.minimum if column.exclusive_minimum else value < column.minimum)
        above = None if column.maximum is None else value > column.maximum
    return below, above


def _report(rows: pl.DataFrame, table: Table, check: _Check) -> list[Problem]:
    """One problem per flagged row, with its line, label and (stripped) cell."""
    shown = rows.select(LINE, _row_label(table).alias("_label"),
                        _shortened(pl.col(check.field).cast(pl.String).str.strip_chars()).alias("_cell"))
    gots = shown["_cell"] if check.shows_cell else [None] * shown.height
    return [Problem(table.file, check.message, row=line, item=label, field=check.field, got=got)
            for line, label, got in zip(shown[LINE], shown["_label"], gots, strict=True)]


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
        if c not in known and not _is_user_column(c) and c not in duplicated
    ]
    problems += [
        Problem(table.file, "missing column", field=c.name)
        for c in table.columns
        if c.required and c.name not in frame.columns
    ]
    return problems


def _row_label(table: Table) -> pl.Expr:
    parts = [_shortened(pl.col(k).cast(pl.String).str.strip_chars()).fill_null("?") for k in table.key]
    return pl.concat_str(parts, separator="/")


SHOWN_CHARACTERS = 40
"""A cell longer than this is shown by its first characters and an ellipsis in problems."""


def _shortened(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.len_chars() > SHOWN_CHARACTERS).then(
        text.str.slice(0, SHOWN_CHARACTERS) + "…").otherwise(text)


_BOOLEANS = {"true": 1.0, "yes": 1.0, "1": 1.0, "false": 0.0, "no": 0.0, "0": 0.0}


def _range_text(column: Column, *, above: bool = False) -> str:
    """``must be >= 0`` (or ``> 0``) below the minimum, ``must be at most 1e9 loads/day (...)``
    above nearshore's bound, ``must be between -90 and 90`` either side of a natural range."""
    if column.natural or column.minimum is None or column.maximum is None:
        if column.maximum is None:
            return f"must be {'>' if column.exclusive_minimum else '>='} {column.minimum:g}"
        return f"must be between {column.minimum:g} and {column.maximum:g}"
    if above:
        return (f"must be at most {format_bound(column.maximum)} {column.unit} "
                "(the largest value nearshore accepts, see README 'Value ranges')")
    return f"must be {'>' if column.exclusive_minimum else '>='} {column.minimum:g}"


def _is_user_column(name: str) -> bool:
    return name.startswith(USER_COLUMN_PREFIX)


def _report_duplicates(rows: pl.DataFrame, table: Table) -> list[Problem]:
    labelled = rows.select(LINE, _row_label(table).alias("_label"))
    field = "/".join(table.key)
    return [
        Problem(table.file, "duplicate, must be unique", row=line, item=label, field=field)
        for line, label in zip(labelled[LINE], labelled["_label"], strict=True)
    ]
