"""The `Network`: validated tables, a networkx view for queries, numpy arrays for solvers."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from networks.arrays import INDEX_COLUMNS, Indices, NetworkArrays, build_arrays, build_indices
from networks.checks import STRUCTURE, check_network
from networks.errors import NetworkError
from networks.read import LINE, check_table, empty_table, read_csv
from networks.schema import TABLES, Table

if TYPE_CHECKING:
    import networkx as nx

    from networks.errors import Problem

_NAMES = {t.file: t.name for t in TABLES}
_TABLES = {t.name: t for t in TABLES}


def builtin_path() -> Path:
    """The folder of the built-in US–Mexico network shipped with the package."""
    return Path(str(resources.files("networks") / "data" / "mx_us"))


class Network:
    """A validated network: five typed tables sorted by id.

    Build one with :func:`read_network` (a folder) or :meth:`Network.from_frames` (tables in
    memory); both run the same checks and raise :class:`NetworkError` listing every problem.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("build a Network with read_network(), Network.from_frames() or network.replace(): "
                        "each validates its tables")

    @classmethod
    def _trusted(cls, tables: dict[str, pl.DataFrame], *, name: str, indices: Indices | None = None) -> Network:
        """A network from tables that passed every check (the one constructor, private to this module)."""
        network = object.__new__(cls)
        state = network.__dict__
        state["name"] = name
        if indices is not None:  # those of a network with the same INDEX_COLUMNS
            state["indices"] = indices
        for table in TABLES:
            state[table.name] = tables[table.name] if table.name in tables else _empty(table)
        return network

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Network is frozen after validation; use replace() to change {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a Network is frozen after validation")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickle the tables and name only: arrays, graph and indices are rebuilt where they are used."""
        return _unpickle, (self.tables(), self.name)

    @classmethod
    def from_frames(
        cls,
        *,
        nodes: pl.DataFrame,
        links: pl.DataFrame,
        commodities: pl.DataFrame,
        supply: pl.DataFrame,
        demand: pl.DataFrame,
        crossings: pl.DataFrame | None = None,
        tariffs: pl.DataFrame | None = None,
        legs: pl.DataFrame | None = None,
        calendars: pl.DataFrame | None = None,
        regimes: pl.DataFrame | None = None,
        name: str = "network",
    ) -> Network:
        """Validate tables held in memory (any column types) and build a network."""
        raw = {"nodes": nodes, "links": links, "commodities": commodities, "supply": supply, "demand": demand,
               "crossings": crossings, "tariffs": tariffs,
               "legs": legs, "calendars": calendars, "regimes": regimes}
        return _build(raw, name=name)

    def __repr__(self) -> str:
        return (
            f"Network({self.name!r}: {self.nodes.height} nodes, {self.links.height} links, "
            f"{self.commodities.height} commodities)"
        )

    def tables(self) -> dict[str, pl.DataFrame]:
        """Every table by name (``nodes``, ``links``, ``commodities``, ``supply``, ``demand``, and the
        optional ones)."""
        return {t.name: getattr(self, t.name) for t in TABLES}

    def without_caches(self) -> Network:
        """The same network without its cached arrays, graph and indices (to time a cold solve)."""
        return Network._trusted(self.tables(), name=self.name)

    def replace(self, **tables: pl.DataFrame) -> Network:
        """A new network with some tables replaced, checked as much as the change needs.

        A replaced table is checked cell by cell, but when it keeps its rows and columns only the
        columns whose values changed are; the cross-table checks of references, roles and routes
        run only when a column they read changed. Tables kept are valid already.

        Example
        -------
        >>> net = read_network()
        >>> closed = net.replace(links=net.links.with_columns(capacity_loads_per_day=pl.lit(0.0)))
        >>> closed.arrays.capacity.max()
        np.float64(0.0)
        """
        unknown = set(tables) - set(_NAMES.values())
        if unknown:
            raise TypeError(f"Network.replace: unknown table(s) {', '.join(sorted(unknown))}")
        current = self.tables()
        changed = {name: _changed_columns(current[name], frame, _TABLES[name]) for name, frame in tables.items()}

        def touches(columns: dict[str, tuple[str, ...]]) -> bool:
            return any(c is None or set(c) & set(columns[name]) for name, c in changed.items())

        same_indices = "indices" in self.__dict__ and not touches(INDEX_COLUMNS)
        return _build({**current, **tables}, name=self.name, only={
            name: changed.get(name, ()) for name in current if changed.get(name, ()) is not None},
            values_of=None if touches(STRUCTURE) else [name for name, c in changed.items() if c],
            indices=self.indices if same_indices else None)

    def delta_from(self, base: Network) -> NetworkDelta:
        """What this network (derived from ``base``, e.g. by ``replace``) changed: the columns whose
        values differ, or a whole table where its rows or columns differ. Small to ship to a worker
        that holds ``base``; :meth:`with_delta` rebuilds this network from it without checking again."""
        columns: dict[str, dict[str, pl.Series]] = {}
        tables: dict[str, pl.DataFrame] = {}
        for name, frame in self.tables().items():
            old = getattr(base, name)
            if frame is old:
                continue
            if frame.schema != old.schema or frame.height != old.height:
                tables[name] = frame
                continue
            olds = dict(zip(old.columns, old.get_columns(), strict=True))
            changed = {s.name: s for s in frame.get_columns() if not s.equals(olds[s.name], null_equal=True)}
            if changed:
                columns[name] = changed
        heights = {name: getattr(base, name).height for name in _NAMES.values()}
        return NetworkDelta(self.name, heights, columns, tables)

    def with_delta(self, delta: NetworkDelta) -> Network:
        """The network ``delta`` was taken from (see :meth:`delta_from`), rebuilt on this base
        without checking its tables again: give it only a delta of a validated network derived
        from a network with the same tables as this one."""
        heights = {name: getattr(self, name).height for name in _NAMES.values()}
        if heights != delta.base_heights:
            raise ValueError(f"Network.with_delta: the delta was taken from another base network "
                             f"({delta.base_heights} rows, this one {heights})")
        tables = self.tables() | {name: _with_series(getattr(self, name), series)
                                  for name, series in delta.columns.items()} | delta.tables
        touched = {name: tuple(series) for name, series in delta.columns.items()}
        same_indices = "indices" in self.__dict__ and not delta.tables and not any(
            set(columns) & set(INDEX_COLUMNS[name]) for name, columns in touched.items())
        return Network._trusted(tables, name=delta.name, indices=self.indices if same_indices else None)

    @cached_property
    def indices(self) -> Indices:
        """Positions of the ids the tables refer to, and category codes."""
        return build_indices(self)

    @cached_property
    def arrays(self) -> NetworkArrays:
        """Parallel numpy arrays of the network (built once, vectorised)."""
        return build_arrays(self)

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """A networkx view: nodes and links with all their attributes, links keyed by id."""
        import networkx as nx  # imported when used: it is a tenth of the start-up time

        graph = nx.MultiDiGraph(name=self.name)
        graph.add_nodes_from((row["id"], row) for row in self.nodes.iter_rows(named=True))
        graph.add_edges_from(
            (row["from"], row["to"], row["id"], row) for row in self.links.iter_rows(named=True)
        )
        return graph


@dataclass(frozen=True, slots=True)
class NetworkDelta:
    """A validated network as the changes from its base (see :meth:`Network.delta_from`): the
    base's row counts, replaced columns by table, and whole tables whose rows or columns changed."""

    name: str
    base_heights: dict[str, int]
    columns: dict[str, dict[str, pl.Series]]
    tables: dict[str, pl.DataFrame]

    @property
    def estimated_bytes(self) -> int:
        """About how much memory the delta holds."""
        return (sum(s.estimated_size() for series in self.columns.values() for s in series.values())
                + sum(frame.estimated_size() for frame in self.tables.values()))


def _unpickle(tables: dict[str, pl.DataFrame], name: str) -> Network:
    return Network._trusted(tables, name=name)


def write_network(network: Network, folder: str | Path) -> list[Path]:
    """Write every table as the CSV file :func:`read_network` reads (optional tables only when they
    have rows); reading the folder back gives equal tables.

    Example
    -------
    >>> import tempfile
    >>> net = read_network()
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = write_network(net, folder)
    ...     again = read_network(folder)
    >>> all(again.tables()[name].equals(table) for name, table in net.tables().items())
    True
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES:
        frame = getattr(network, table.name)
        if table.optional and frame.height == 0:
            continue
        path = folder / table.file
        frame.write_csv(path, float_precision=None)
        written.append(path)
    return written


def read_network(path: str | Path | None = None) -> Network:
    """Read and validate a network folder (the built-in one when ``path`` is None).

    Raises
    ------
    NetworkError
        Every problem found, each naming its file, row and field.

    Example
    -------
    >>> net = read_network()
    >>> net.arrays.n_links == net.links.height
    True
    """
    folder = builtin_path() if path is None else Path(path)
    unreadable = folder_problem(folder)
    if unreadable:
        raise NetworkError([], source=f"{folder}: {unreadable}")
    raw, problems = {}, []
    for table in TABLES:
        frame, bad = read_csv(folder / table.file, table)
        problems += bad
        raw[_NAMES[table.file]] = frame
    return _build(raw, name=folder.name, source=str(folder), read_problems=problems)


def folder_problem(folder: Path) -> str:
    """Why ``folder`` cannot be read as a network folder, with the fix; ``""`` when it can."""
    denied = f"cannot be read: permission denied; fix: give read access, e.g. chmod u+rx {folder}"
    try:
        if not stat.S_ISDIR(os.stat(folder).st_mode):
            return "not a folder"
        os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return "not a folder"
    except PermissionError:
        return denied
    except OSError as exc:  # a link loop, a name too long, an I/O error
        return f"cannot be read: {exc.strerror or type(exc).__name__}"
    return "" if os.access(folder, os.R_OK | os.X_OK) else denied


def _build(raw: dict[str, pl.DataFrame], *, name: str, source: str = "",
           only: dict[str, tuple[str, ...]] | None = None, values_of: list[str] | None = None,
           indices: Indices | None = None, read_problems: list[Problem] | None = None) -> Network:
    """Check the tables, then the network, and report every problem in one go.

    A table that could not be read (``None`` in ``raw``: its problems are in ``read_problems``)
    is left out; the cross-table checks run on every table that was read and is sound enough to
    look ids up in (its columns present, its ids unique), so one run lists the problems of the
    cells and those between the tables. Reachability runs only on a network with no other
    problem: on broken tables it could only report consequences.

    ``only`` names, per table of a built network, the columns that changed and need checking (see
    :func:`networks.read.check_table`; ``()``: unchanged); ``values_of`` the tables whose values
    alone changed (see :func:`networks.checks.check_network`); ``indices`` those of a network with
    the same id columns.
    """
    only = only or {}
    tables, problems, usable, clean = {}, list(read_problems or []), set(), set()
    for table in TABLES:
        key = _NAMES[table.file]
        frame = raw.get(key)
        if only.get(key) == ():
            tables[key] = frame.with_row_index(LINE, offset=2)
            usable.add(key)
            clean.add(key)
            continue
        if frame is None and read_problems:
            continue  # missing or unreadable: already reported
        typed, bad = check_table(empty_table(table) if frame is None else frame, table, only=only.get(key))
        tables[key], problems = typed, problems + bad
        if not bad or _sound(frame, typed, table, bad):
            usable.add(key)
        if not bad:
            clean.add(key)
    if not problems:
        problems = check_network(tables, values_of=values_of)
    elif values_of is None:
        problems += check_network(tables, usable=usable, clean=clean)
    if problems:
        raise NetworkError(problems, source=source or name)
    ordered = {key: _ordered(raw[key] if only.get(key) == () else tables[key], table, sorted_=key in only and not set(
        only[key]) & set(table.key)) for key, table in _TABLES.items()}
    return Network._trusted(ordered, name=name, indices=indices)


def _sound(raw: pl.DataFrame | None, typed: pl.DataFrame, table: Table, problems: list[Problem]) -> bool:
    """A table with bad cells that the cross-table checks can still read: every column present, no
    problem with the table as a whole or with a key cell (an id that is wrong would make every
    reference to it look unknown), and its key columns filled and unique."""
    if any(p.field is None or p.field in table.key for p in problems):
        return False
    required = {c.name for c in table.columns if c.required}
    if raw is None or not required <= set(raw.columns) or not set(table.key) <= set(typed.columns):
        return False
    keys = typed.select(table.key)
    return keys.null_count().sum_horizontal().item() == 0 and not keys.is_duplicated().any()


def _ordered(frame: pl.DataFrame, table: Table, *, sorted_: bool) -> pl.DataFrame:
    """A checked table as a network keeps it: sorted by its key, without line numbers."""
    if LINE in frame.columns:  # the columns as they are, without a query (a tenth of ``drop``'s time)
        frame = pl.DataFrame([s for s in frame.get_columns() if s.name != LINE])
    return frame if sorted_ else frame.sort(list(table.key))


def _with_series(frame: pl.DataFrame, series: dict[str, pl.Series]) -> pl.DataFrame:
    """``frame`` with the columns named in ``series`` replaced in place (same height, as
    ``with_columns`` gives, without a query)."""
    return pl.DataFrame([series.get(s.name, s) for s in frame.get_columns()])


def _changed_columns(old: pl.DataFrame, new: pl.DataFrame, table: Table) -> tuple[str, ...] | None:
    """The columns of ``table`` whose values differ from ``old`` to ``new``; None when the rows or
    the columns themselves differ (then the whole table is checked)."""
    old_schema, new_schema = old.schema, new.schema
    if new.height != old.height or set(new_schema) != set(old_schema) or any(
            new_schema[c] != old_schema[c] for c in table.names):
        return None
    olds, news = (dict(zip(f.columns, f.get_columns(), strict=True)) for f in (old, new))
    return tuple(c for c in table.names if not news[c].equals(olds[c], null_equal=True))


def _empty(table: Table) -> pl.DataFrame:
    """An optional table with its typed columns and no rows."""
    return check_table(empty_table(table), table)[0].drop(LINE)


