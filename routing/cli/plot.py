"""The `nearshore compare --plot` figure (CLI edge; needs the optional matplotlib extra).

Top: per market, the lead-time CDFs of Asia and Mexico (one line per commodity, log-scaled days).
Bottom: the waterfall, per market and sourcing, of the mean days by leg type (stacked,
demand-weighted over commodities), with the p95 marked.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl

from routing.results.schemas import WATERFALL

COLORS = {"asia": "#c0392b", "mexico": "#1f77b4"}
LEG_COLORS = ("#2c7fb8", "#7fcdbb", "#8c6d31", "#636363", "#bdbdbd", "#e6550d", "#fdae6b", "#9e9ac8")


def plot_comparison(rows: pl.DataFrame, path: Path) -> None:
    """Write the figure to ``path`` (format from its suffix: .png, .svg or .pdf).

    ``rows`` is :func:`routing.analysis.compare.compare_sourcing` output with ``cdf_days``.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, NullLocator

    served = rows.filter(pl.col("p50_days").is_not_null())
    lowest = max(0.1, float(served["cdf_days"].list.first().min() or 0.1) * 0.8)
    highest = float(served["cdf_days"].list.last().max() or 1.0) * 1.2
    ticks = [t for t in (0.25, 0.5, 1, 2, 5, 10, 20, 50, 100) if lowest <= t <= highest]
    markets = served["market"].unique(maintain_order=True).to_list()
    ncols = max(1, min(5, len(markets)))
    nrows = math.ceil(len(markets) / ncols)
    fig = Figure(figsize=(3.2 * ncols, 2.4 * nrows + 4.0), layout="constrained")
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1.0] * nrows + [1.6])
    levels = None
    for i, market in enumerate(markets):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        for row in served.filter(pl.col("market") == market).iter_rows(named=True):
            days = np.asarray(row["cdf_days"])
            levels = np.linspace(0.0, 1.0, len(days)) if levels is None or len(levels) != len(days) else levels
            ax.plot(np.maximum(days, lowest), levels, color=COLORS[row["sourcing"]], alpha=0.7, linewidth=1.2,
                    label=row["sourcing"])
        ax.set_xscale("log")
        ax.set_xlim(lowest, highest)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.set_title(market, fontsize=9)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
        if i % ncols == 0:
            ax.set_ylabel("share of loads", fontsize=8)
        if i == 0:
            handles = {h.get_label(): h for h in ax.get_lines()}
            ax.legend(handles.values(), handles.keys(), fontsize=7, loc="lower right")
    _waterfall(fig.add_subplot(grid[nrows, :]), served, markets)
    fig.suptitle("Lead time, Asia vs Mexico (days, log scale); waterfall of mean days by leg", fontsize=11)
    fig.savefig(path)


def _waterfall(ax, served: pl.DataFrame, markets: list[str]) -> None:
    """Stacked mean days per leg type, one bar per market and sourcing, p95 as a black tick."""
    weight = pl.col("served_loads_per_day") / pl.col("served_loads_per_day").sum()
    legs = [leg.removesuffix("_h") for leg in WATERFALL]
    summary = served.group_by("market", "sourcing", maintain_order=True).agg(
        *[(weight * pl.col(f"{leg}_mean_days")).sum().alias(leg) for leg in legs],
        p95=(weight * pl.col("p95_days")).sum())
    width, x = 0.38, np.arange(len(markets))
    for offset, sourcing in ((-width / 2, "asia"), (width / 2, "mexico")):
        part = summary.filter(pl.col("sourcing") == sourcing)
        table = pl.DataFrame({"market": markets}).join(part, on="market", how="left").fill_null(0.0)
        bottom = np.zeros(len(markets))
        for leg, color in zip(legs, LEG_COLORS, strict=False):
            values = table[leg].to_numpy()
            ax.bar(x + offset, values, width, bottom=bottom, color=color,
                   label=leg.replace("_", " ") if sourcing == "asia" else None)
            bottom += values
        ax.scatter(x + offset, table["p95"].to_numpy(), marker="_", s=120, color="black",
                   label="p95" if sourcing == "asia" else None, zorder=3)
    ax.set_xticks(x, [f"{m}\nA | M" for m in markets], fontsize=7)
    ax.set_ylabel("days (mean by leg)", fontsize=8)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def plot_disruption(result: object, path: Path) -> None:
    """Backlog (loads, total over markets) and the demand-weighted dispatch lead time by day.

    ``result`` is a :class:`routing.analysis.disrupt.DisruptionResult`; the format follows the
    suffix (.png, .svg or .pdf); missing folders are created.
    """
    from matplotlib.figure import Figure

    daily = result.days.group_by("day").agg(
        pl.col("backlog_loads").sum(),
        ((pl.col("avg_lead_time_h") * pl.col("demand_loads")).sum()
         / pl.col("demand_loads").filter(pl.col("avg_lead_time_h").is_not_null()).sum()).alias("lead_h"),
    ).sort("day")
    fig = Figure(figsize=(8.0, 5.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    days = daily["day"].to_numpy()
    for day in result.horizon["event_days"]:
        for ax in (top, bottom):
            ax.axvspan(day - 0.5, day + 0.5, color="#fdd0a2", lw=0)
    top.bar(days, daily["backlog_loads"].to_numpy(), color="#c0392b")
    top.set_ylabel("backlog (loads)")
    top.set_title("backlog at the end of each day (shaded: event days)", fontsize=9)
    lead = daily["lead_h"].cast(pl.Float64).fill_nan(None).to_numpy()
    bottom.plot(days, lead, marker="o", ms=3, color="#1f77b4")
    bottom.set_ylabel("lead time (h)")
    bottom.set_xlabel("day")
    bottom.set_title("average lead time of the loads dispatched each day", fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
