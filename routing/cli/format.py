"""Readable text for the terminal: the solve summary and small tables (CLI edge only).

Tables are drawn by rich in Markdown style (``| a | b |``), as wide as the terminal (``COLUMNS``,
else the terminal, else 120 characters): cells wrap at spaces and never inside a word (route
strings are given a space after each ``>`` so that they wrap between nodes)."""

from __future__ import annotations

import io
import math
import shutil
from typing import Any

import polars as pl

from networks import Network
from routing.results.result import LeadTimeResult

TOP_BOTTLENECKS = 10
MAX_WORD = 48  # a longer word (a long id) may be folded: the table must still fit


def terminal_width() -> int:
    """The width tables are fitted to: ``COLUMNS``, the terminal's, or 120."""
    return shutil.get_terminal_size((120, 24)).columns


def format_value(value: Any, digits: int = 2) -> str:
    """A cell: floats with thousands separators and ``digits`` decimals, null as ``-``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str) and ">" in value and " " not in value and len(value) > 24:
        return value.replace(">", "> ")  # a route: let it wrap between nodes
    return str(value)


def render_table(frame: pl.DataFrame, *, width: int | None = None, digits: int | dict[str, int] = 2) -> str:
    """``frame`` as a Markdown-style table fitted to ``width`` (default :func:`terminal_width`);
    words are never split. ``digits``: decimals of float columns (one number or per column)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.MARKDOWN, show_edge=True, pad_edge=True, highlight=False)
    numeric = {name for name, dtype in frame.schema.items() if dtype.is_numeric()}
    cells = [[format_value(v, digits.get(name, 2) if isinstance(digits, dict) else digits)
              for name, v in zip(frame.columns, row, strict=True)] for row in frame.iter_rows()]
    widths = column_widths([[name, *(row[i] for row in cells)] for i, name in enumerate(frame.columns)],
                           (width or terminal_width()) - 3 * len(frame.columns) - 1,
                           whole=[name in numeric for name in frame.columns])
    for i, name in enumerate(frame.columns):
        table.add_column(name, justify="right" if name in numeric else "left", no_wrap=name in numeric,
                         width=widths[i], overflow="fold")
    for row in cells:
        table.add_row(*row)
    buffer = io.StringIO()
    Console(file=buffer, width=sum(widths) + 3 * len(widths) + 1, color_system=None, force_terminal=False,
            legacy_windows=False, soft_wrap=False).print(table)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    return "\n".join(lines[next((i for i, line in enumerate(lines) if line), 0):])


def column_widths(columns: list[list[str]], room: int, *, whole: list[bool] | None = None) -> list[int]:
    """Widths for columns of cell texts within ``room`` characters: each its longest cell if all fit;
    otherwise each at least its longest word (up to :data:`MAX_WORD`), the rest of the room shared in
    proportion to what each column lacks. Only when even the longest words do not fit are the
    longest of them folded. Columns marked ``whole`` (numbers) keep their longest cell."""
    natural = [max(len(cell) for cell in column) for column in columns]
    if sum(natural) <= room:
        return natural
    least = [min(MAX_WORD, max(len(word) for cell in column for word in [*cell.split(), ""])) or 1
             for column in columns]
    whole = whole or [False] * len(columns)
    least = [n if w else m for n, m, w in zip(natural, least, whole, strict=True)]
    while sum(least) > room and max(m for m, w in zip(least, whole, strict=True) if not w) > 6 if not all(whole) else False:
        foldable = [m if not w else -1 for m, w in zip(least, whole, strict=True)]
        least[foldable.index(max(foldable))] -= 1
    spare, lacking = max(0, room - sum(least)), [n - m for n, m in zip(natural, least, strict=True)]
    total = sum(lacking) or 1
    widths = [m + spare * gap // total for m, gap in zip(least, lacking, strict=True)]
    return [min(w, n) for w, n in zip(widths, natural, strict=True)]


def format_frames(frames: dict[str, pl.DataFrame]) -> str:
    """Titled tables, all rows shown."""
    return "\n\n".join(f"{title}\n{render_table(frame)}" for title, frame in frames.items())


def _table_config() -> pl.Config:
    return pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
                     tbl_formatting="ASCII_MARKDOWN", tbl_width_chars=200, fmt_str_lengths=120,
                     float_precision=2)


def format_solve(network: Network, result: LeadTimeResult) -> str:
    """The `nearshore solve` table: headline numbers, lanes grouped by market, bottlenecks, unmet."""
    avg = result.avg_lead_time_h
    lines = [
        f"{network!r}",
        f"solver {result.solver} · status {result.status.value} · objective {result.objective_kind} "
        f"{result.objective:,.1f} · build {result.build_s:.3f} s · solve {result.solve_s:.3f} s",
        f"served {result.served_loads_per_day:,.1f} loads/day · unmet {result.unmet_loads_per_day:,.1f} · "
        + (f"average lead time {avg:.1f} h ({avg / 24:.2f} days)" if avg is not None else "nothing served")
        + f" · freight USD {result.total_cost_usd_per_day:,.0f}/day",
        "",
        "Lanes by market",
    ]
    names = dict(network.nodes.select("id", "name").iter_rows())
    for (market,), lanes in result.lanes.group_by("market", maintain_order=True):
        loads = lanes["loads_per_day"].sum()
        mean = (lanes["loads_per_day"] * lanes["lead_time_h"]).sum() / loads
        lines.append(f"  {market} {names[market]}: {loads:,.1f} loads/day, average {mean:.1f} h")
        for row in lanes.iter_rows(named=True):
            via = f" via {row['crossing']}" if row["crossing"] else ""
            lines.append(f"    {row['commodity']:<16} {row['origin']:<18} {row['loads_per_day']:>9,.1f} "
                         f"{row['lead_time_h']:>7.1f} h{via}  {row['route']}")
    with _table_config():
        lines += ["", f"Top bottlenecks (of {result.bottlenecks.height})",
                  str(result.bottlenecks.head(TOP_BOTTLENECKS)) if result.bottlenecks.height else "  none"]
        lines += ["", "Unmet demand", str(result.unmet) if result.unmet.height else "  none: every market is served"]
    return "\n".join(lines)
