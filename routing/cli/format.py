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
from networks.schema import BACKGROUND_COMMODITY
from routing.results.result import LeadTimeResult
from routing.results.schemas import WATERFALL_LABELS

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
    return str(value)


def render_table(frame: pl.DataFrame, *, width: int | None = None, digits: int | dict[str, int] = 2) -> str:
    """``frame`` as a Markdown-style table fitted to ``width`` (default :func:`terminal_width`).

    Cells wrap between words (and after ``>`` and ``/`` in routes and ids), never inside one;
    headers wrap at their underscores when the table is too wide. When even the longest words of
    every column do not fit, the last columns are left out and a line says which (the CSV and JSON
    formats have them all). ``digits``: decimals of float columns (one number or per column)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    total = width or terminal_width()
    numeric = {name for name, dtype in frame.schema.items() if dtype.is_numeric()}
    cells = [[format_value(v, digits.get(name, 2) if isinstance(digits, dict) else digits)
              for name, v in zip(frame.columns, row, strict=True)] for row in frame.iter_rows()]
    headers = list(frame.columns)
    columns = [[h, *(row[i] for row in cells)] for i, h in enumerate(headers)]
    if sum(max(map(len, column)) for column in columns) > total - 3 * len(columns) - 1:
        headers = [h.replace("_", " ") for h in headers]  # too wide: headers may wrap between words
        columns = [[h, *column[1:]] for h, column in zip(headers, columns, strict=True)]
    least = [max(_longest_word(c) for c in column) if name not in numeric else
             max(_longest_word(column[0]), *map(len, column[1:])) for name, column in zip(frame.columns, columns,
                                                                                              strict=True)]
    kept = len(columns)
    while kept > 1 and sum(least[:kept]) + 3 * kept + 1 > total:
        kept -= 1
    widths = column_widths(columns[:kept], total - 3 * kept - 1, whole=[n in numeric for n in frame.columns[:kept]])
    table = Table(box=box.MARKDOWN, show_edge=True, pad_edge=True, highlight=False)
    for i, name in enumerate(frame.columns[:kept]):
        table.add_column(_breakable(headers[i], widths[i]), justify="right" if name in numeric else "left",
                         width=widths[i], overflow="fold")
    for row in cells:
        table.add_row(*(_breakable(cell, w) for cell, w in zip(row[:kept], widths, strict=True)))
    buffer = io.StringIO()
    Console(file=buffer, width=sum(widths) + 3 * len(widths) + 1, color_system=None, force_terminal=False,
            legacy_windows=False, soft_wrap=False).print(table)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    lines = lines[next((i for i, line in enumerate(lines) if line), 0):]
    if kept < len(frame.columns):
        import textwrap

        lines += textwrap.wrap(f"({len(frame.columns) - kept} columns left out to fit {total} characters: "
                               f"{', '.join(frame.columns[kept:])}; widen the terminal or use --format csv)",
                               width=total, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines)


def _longest_word(text: str) -> int:
    """The longest piece of ``text`` that may not be broken (after ``>`` and ``/`` it may)."""
    return max((len(p) for word in text.split() for p in word.replace(">", "> ").replace("/", "/ ").split()),
               default=1)


def _breakable(cell: str, width: int) -> str:
    """A cell whose words are wider than the column, given places to wrap after ``>`` and ``/``."""
    if all(len(word) <= width for word in cell.split()):
        return cell
    return cell.replace(">", "> ").replace("/", "/ ")


def column_widths(columns: list[list[str]], room: int, *, whole: list[bool] | None = None) -> list[int]:
    """Widths for columns of texts (the header first) within ``room`` characters: each its longest
    text if all fit; otherwise each at least its longest word (up to :data:`MAX_WORD`), the rest of
    the room shared in proportion to what each column lacks. Only when even the longest words do
    not fit are the longest of them folded. Columns marked ``whole`` (numbers) keep their longest
    cell: only their header wraps."""
    whole = whole or [False] * len(columns)
    natural = [max(len(cell) for cell in column) for column in columns]
    if sum(natural) <= room:
        return natural
    least = [max([_longest_word(column[0])] + [len(cell) for cell in column[1:]]) if keep else
             min(MAX_WORD, max(_longest_word(cell) for cell in column))
             for column, keep in zip(columns, whole, strict=True)]
    while sum(least) > room and any(m > 6 and not keep for m, keep in zip(least, whole, strict=True)):
        foldable = [-1 if keep else m for m, keep in zip(least, whole, strict=True)]
        least[foldable.index(max(foldable))] -= 1
    spare, lacking = max(0, room - sum(least)), [n - m for n, m in zip(natural, least, strict=True)]
    total = sum(lacking) or 1
    widths = [m + spare * gap // total for m, gap in zip(least, lacking, strict=True)]
    return [min(w, n) for w, n in zip(widths, natural, strict=True)]


def format_frames(frames: dict[str, pl.DataFrame]) -> str:
    """Titled tables, all rows shown."""
    return "\n\n".join(f"{title}\n{render_table(frame)}" for title, frame in frames.items())




def format_waterfall(row: dict[str, Any]) -> str:
    """Where a lane's hours go, the legs with time only: ``truck 12.0 h + crossing 1.0 h + ...``."""
    parts = [f"{label} {row[leg]:.1f} h" for leg, label in WATERFALL_LABELS.items() if row.get(leg) and row[leg] > 0.05]
    return " + ".join(parts) if parts else "0 h"


def format_solve(network: Network, result: LeadTimeResult, *, lanes: pl.DataFrame | None = None,
                 unmet: pl.DataFrame | None = None, headline: str | None = None) -> str:
    """The `nearshore solve` table: headline numbers, lanes grouped by market with the waterfall of
    each, bottlenecks, unmet demand (``lanes`` and ``unmet``: filtered frames, default all).

    The routed ``background`` traffic is left out of the lanes (``nearshore crossings`` shows it)."""
    lanes = result.lanes if lanes is None else lanes
    unmet = result.unmet if unmet is None else unmet
    lanes = lanes.filter(pl.col("commodity") != BACKGROUND_COMMODITY)
    every = result.lanes.filter(pl.col("commodity") != BACKGROUND_COMMODITY).height
    avg = result.avg_lead_time_h
    unit = "load-h/day" if result.objective_kind == "lead_time" else "USD/day"
    lines = [
        f"{network!r}",
        f"solver {result.solver} · status {result.status.value} · objective {result.objective_kind} "
        f"{result.objective:,.1f} {unit} · build {result.build_s:.3f} s · solve {result.solve_s:.3f} s",
        f"served {result.served_loads_per_day:,.1f} loads/day · unmet {result.unmet_loads_per_day:,.1f} · "
        + (f"average lead time {avg:.1f} h ({avg / 24:.2f} days)" if avg is not None else "nothing served")
        + f" · freight USD {result.total_cost_usd_per_day:,.0f}/day",
        *([headline] if headline else []),
        *([f"background traffic unmet {result.background_unmet_loads_per_day:,.1f} loads/day"]
          if result.background_unmet_loads_per_day > 1e-6 else []),
        "",
        "Lanes by market" + ("" if lanes.height == every else f" ({lanes.height} of {every} lanes shown)"),
    ]
    names = dict(network.nodes.select("id", "name").iter_rows())
    for (market,), group in lanes.group_by("market", maintain_order=True):
        loads = group["loads_per_day"].sum()
        mean = (group["loads_per_day"] * group["lead_time_h"]).sum() / loads if loads > 0 else 0.0
        lines.append(f"  {market} {names[market]}: {loads:,.1f} loads/day, average {mean:.1f} h")
        for row in group.iter_rows(named=True):
            via = f" via {row['crossing']}" if row["crossing"] else ""
            lines.append(f"    {row['commodity']:<16} {row['origin']:<18} {row['loads_per_day']:>9,.1f} "
                         f"{row['lead_time_h']:>7.1f} h{via}  {row['route']}")
            lines.append(f"{'':<47}= {format_waterfall(row)}")
    if lanes.height == 0:
        lines.append("  none")
    bottlenecks = result.bottlenecks.head(TOP_BOTTLENECKS).drop("load_hours_saved_per_unit", "value_unit")
    lines += ["", f"Top bottlenecks (of {result.bottlenecks.height}; value_per_unit in {unit} per unit more)",
              render_table(bottlenecks, digits={"loads_served_per_unit": 3})
              if bottlenecks.height else "  none"]
    lines += ["", "Unmet demand", render_table(unmet) if unmet.height else "  none: every market is served"]
    return "\n".join(lines)
