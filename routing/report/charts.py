"""Inline SVG charts: horizontal (stacked) bars and lines with axes, sized in pixels, no script needed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.report.svg import nice_ticks, number, path_d, tag, text

AXIS_H, BAR_H, GAP, PAD = 28.0, 16.0, 4.0, 12.0
"""Bar charts: axis band, bar height, gap between bars and right margin in pixels."""
CHAR_W, MIN_LABEL_W, MAX_LABEL_W = 6.6, 60.0, 320.0  # the label column fits the longest label
SERIES_COLORS = ("#1f77b4", "#c0392b", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a line chart: ``x`` and ``y`` of equal length, NaN where there is no value."""

    name: str
    x: Sequence[float]
    y: Sequence[float]
    color: str
    dash: str | None = None


def _label_width(labels: Sequence[str]) -> float:
    return min(MAX_LABEL_W, max(MIN_LABEL_W, CHAR_W * max((len(label) for label in labels), default=0) + 10))


def _axis(ticks: list[float], scale: float, left: float, top: float, height: float, unit: str) -> str:
    """Vertical grid lines with tick labels along the bottom, the unit at the right."""
    out = []
    for t in ticks:
        x = left + (t - ticks[0]) * scale
        out.append(tag("line", x1=number(x), x2=number(x), y1=number(top), y2=number(top + height), class_="grid"))
        out.append(tag("text", text(number(t, 2)), x=number(x), y=number(top + height + 14), class_="tick",
                       text_anchor="middle"))
    end = left + (ticks[-1] - ticks[0]) * scale
    out.append(tag("text", text(unit), x=number(end), y=number(top + height + 26), class_="unit", text_anchor="end"))
    return "".join(out)


def bar_chart(labels: Sequence[str], parts: Sequence[Sequence[float]], *, names: Sequence[str],
              colors: Sequence[str], unit: str, stacked: bool = True, width: float = 760.0, chart_id: str) -> str:
    """Horizontal bars, one row per label with one value per name: stacked end to end (values >= 0)
    or, with ``stacked=False``, side by side from zero (any sign). A legend when there are several
    names; each bar's ``title`` gives its value."""
    values = np.asarray(parts, dtype=float).reshape(len(labels), len(names))
    ends = values.sum(axis=1) if stacked else values
    low, high = min(0.0, float(ends.min(initial=0.0))), max(0.0, float(ends.max(initial=0.0)))
    ticks = nice_ticks(low, high)
    label_w = _label_width(labels)
    scale = (width - label_w - 2 * PAD) / (ticks[-1] - ticks[0])
    zero = label_w + (0.0 - ticks[0]) * scale
    legend_h = 20.0 if len(names) > 1 else 0.0
    height = legend_h + len(labels) * (BAR_H + GAP) + AXIS_H
    out = [_legend(names, colors, legend_h, label_w)] if legend_h else []
    thin = BAR_H if stacked else BAR_H / len(names)
    for i, label in enumerate(labels):
        y = legend_h + i * (BAR_H + GAP)
        out.append(tag("text", text(label), x=number(label_w - 6), y=number(y + BAR_H - 4), class_="label",
                       text_anchor="end"))
        start = zero
        for j, (name, color) in enumerate(zip(names, colors, strict=True)):
            w = values[i, j] * scale
            x = (start if stacked else zero) + min(w, 0.0)
            out.append(tag("rect", tag("title", text(f"{label} · {name}: {number(values[i, j], 2)} {unit}")),
                           x=number(x), y=number(y if stacked else y + j * thin), width=number(abs(w)),
                           height=number(thin), fill=color))
            start += w
    out.append(_axis(ticks, scale, label_w, legend_h - GAP, len(labels) * (BAR_H + GAP) + GAP, unit))
    return tag("svg", "".join(out), viewBox=f"0 0 {number(width)} {number(height)}", width=number(width),
               height=number(height), class_="chart", id=chart_id)


def _legend(names: Sequence[str], colors: Sequence[str], height: float, left: float) -> str:
    out, x = [], left
    for name, color in zip(names, colors, strict=True):
        out.append(tag("rect", x=number(x), y=number(height / 2 - 9), width="10", height="10", fill=color))
        out.append(tag("text", text(name), x=number(x + 14), y=number(height / 2), class_="tick"))
        x += 14 + 7 * len(name) + 14
    return "".join(out)


def line_chart(series: Sequence[Series], *, x_unit: str, y_unit: str, width: float = 360.0, height: float = 220.0,
               title: str = "", chart_id: str, y_range: tuple[float, float] | None = None,
               legend: bool = True) -> str:
    """Lines on shared axes, with a title and (``legend``) a legend of the series' names."""
    xs = np.concatenate([np.asarray(s.x, dtype=float) for s in series]) if series else np.zeros(1)
    ys = np.concatenate([np.asarray(s.y, dtype=float) for s in series]) if series else np.zeros(1)
    x_ticks = nice_ticks(float(np.nanmin(xs)), float(np.nanmax(xs)), 4)
    y_ticks = nice_ticks(*(y_range or (min(0.0, float(np.nanmin(ys))), float(np.nanmax(ys)))), 4)
    left, top, right, bottom = 46.0, 22.0, 10.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    sx = plot_w / (x_ticks[-1] - x_ticks[0])
    sy = plot_h / (y_ticks[-1] - y_ticks[0])
    out = [tag("text", text(title), x=number(left), y="14", class_="title")] if title else []
    out.append(_axis(x_ticks, sx, left, top, plot_h, x_unit))
    for t in y_ticks:
        y = top + plot_h - (t - y_ticks[0]) * sy
        out.append(tag("line", x1=number(left), x2=number(left + plot_w), y1=number(y), y2=number(y), class_="grid"))
        out.append(tag("text", text(number(t, 2)), x=number(left - 4), y=number(y + 4), class_="tick",
                       text_anchor="end"))
    out.append(tag("text", text(y_unit), x=number(left - 40), y=number(top - 8), class_="unit"))
    for s in series:
        x, y = np.asarray(s.x, dtype=float), np.asarray(s.y, dtype=float)
        keep = ~(np.isnan(x) | np.isnan(y))
        if keep.sum() < 1:
            continue
        px, py = left + (x[keep] - x_ticks[0]) * sx, top + plot_h - (y[keep] - y_ticks[0]) * sy
        out.append(tag("path", tag("title", text(s.name)), d=path_d(px, py), stroke=s.color, fill="none",
                       stroke_width="1.6", stroke_dasharray=s.dash, class_="line"))
    seen: dict[str, Series] = {}
    for s in series if legend else ():
        seen.setdefault(s.name, s)
    for i, s in enumerate(seen.values()):
        y = top + 6 + 12 * i
        out.append(tag("line", x1=number(left + plot_w - 70), x2=number(left + plot_w - 56), y1=number(y),
                       y2=number(y), stroke=s.color, stroke_width="2", stroke_dasharray=s.dash))
        out.append(tag("text", text(s.name), x=number(left + plot_w - 52), y=number(y + 4), class_="tick"))
    return tag("svg", "".join(out), viewBox=f"0 0 {number(width)} {number(height)}", width=number(width),
               height=number(height), class_="chart", id=chart_id)
