"""Small helpers that write SVG and HTML text: escaped elements, paths, numbers and axis ticks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import numpy as np


def tag(name: str, content: str = "", /, **attrs: Any) -> str:
    """One element; ``class_`` and ``data_x`` become ``class`` and ``data-x``; ``None`` attributes are left out.

    Example
    -------
    >>> tag("rect", width=2, class_="a", data_id="x<y")
    '<rect width="2" class="a" data-id="x&lt;y"/>'
    """
    parts = [f'{key.rstrip("_").replace("_", "-")}="{escape(str(value))}"'
             for key, value in attrs.items() if value is not None]
    head = " ".join([name, *parts])
    return f"<{head}>{content}</{name}>" if content or name not in VOID else f"<{head}/>"


VOID = {"rect", "circle", "path", "line", "polyline", "polygon", "ellipse", "stop", "use"}
"""Elements written self-closed when empty."""


def text(value: Any) -> str:
    """Escaped text content."""
    return escape(str(value), quote=False)


def path_d(x: np.ndarray, y: np.ndarray, *, closed: bool = False) -> str:
    """An SVG path through the points, to 0.1 px.

    Example
    -------
    >>> path_d(np.array([0.0, 1.25]), np.array([2.0, 3.0]), closed=True)
    'M0 2L1.2 3Z'
    """
    points = "L".join(f"{number(a, 1)} {number(b, 1)}" for a, b in zip(x, y, strict=True))
    return f"M{points}{'Z' if closed else ''}"


def number(value: float | None, digits: int = 1) -> str:
    """``value`` with at most ``digits`` decimals and no trailing zeros; ``-`` for None or NaN.

    Example
    -------
    >>> number(1234.5), number(2.0), number(None), number(-0.04)
    ('1234.5', '2', '-', '0')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    out = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return "0" if out in ("-0", "") else out


def grouped(value: float | None, digits: int = 1) -> str:
    """``value`` with thousands separators and ``digits`` decimals; ``-`` for None or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 x 10^k apart) covering [low, high].

    Example
    -------
    >>> nice_ticks(0, 230)
    [0.0, 50.0, 100.0, 150.0, 200.0, 250.0]
    """
    if not high > low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [float(round(first + i * step, 10)) for i in range(math.ceil((high - first) / step - 1e-9) + 1)]


def table(columns: Sequence[tuple[str, str]], rows: Iterable[dict[str, Any]], *, table_id: str,
          sortable: bool = False) -> str:
    """An HTML table of ``rows`` with ``columns`` (key, heading), in a box that scrolls sideways; each
    cell keeps its raw value in ``data-v`` (for sorting) and shows it as :func:`cell_text` does."""
    head = "".join(tag("th", text(label), data_key=key) for key, label in columns)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for key, _ in columns:
            value = row.get(key)
            shown = cell_text(value)
            raw = "" if value is None or (isinstance(value, float) and math.isnan(value)) else value
            cells.append(tag("td", text(shown), data_v=raw, class_="num" if isinstance(value, int | float) else None))
        body.append(tag("tr", "".join(cells), data_i=i))
    grid = tag("table", tag("thead", tag("tr", head)) + tag("tbody", "".join(body)), id=table_id,
               class_="sortable" if sortable else None)
    return tag("div", grid, class_="table-wrap")


def cell_text(value: Any) -> str:
    """How a table shows a value: numbers with decimals by size (1 from 100, 2 from 1, else 3) and
    thousands separators, integers whole, booleans lower-case, nothing as ``-``.

    Example
    -------
    >>> [cell_text(v) for v in (1234.56, 0.95, 12.345, 7, None, True, "x")]
    ['1,234.6', '0.950', '12.35', '7', '-', 'true', 'x']
    """
    if value is None or isinstance(value, bool):
        return "-" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        size = abs(value)
        return grouped(value, 1 if size >= 100 else 2 if size >= 1 else 3)
    return str(value)
