"""Readable text for the terminal: the solve summary and small tables (CLI edge only)."""

from __future__ import annotations

import polars as pl

from networks import Network
from networks.schema import BACKGROUND_COMMODITY
from routing.results.result import LeadTimeResult

TOP_BOTTLENECKS = 10


def format_frames(frames: dict[str, pl.DataFrame]) -> str:
    """Titled tables, all rows shown."""
    with _table_config():
        return "\n\n".join(f"{title}\n{frame}" for title, frame in frames.items())


def _table_config() -> pl.Config:
    return pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
                     tbl_formatting="ASCII_MARKDOWN", tbl_width_chars=200, fmt_str_lengths=120,
                     float_precision=2)


def format_solve(network: Network, result: LeadTimeResult, *, headline: str | None = None) -> str:
    """The `nearshore solve` table: headline numbers, lanes grouped by market, bottlenecks, unmet.

    The routed ``background`` traffic is left out of the lanes (``nearshore crossings`` shows it)."""
    avg = result.avg_lead_time_h
    lines = [
        f"{network!r}",
        f"solver {result.solver} · status {result.status.value} · objective {result.objective_kind} "
        f"{result.objective:,.1f} · build {result.build_s:.3f} s · solve {result.solve_s:.3f} s",
        f"served {result.served_loads_per_day:,.1f} loads/day · unmet {result.unmet_loads_per_day:,.1f} · "
        + (f"average lead time {avg:.1f} h ({avg / 24:.2f} days)" if avg is not None else "nothing served")
        + f" · freight USD {result.total_cost_usd_per_day:,.0f}/day",
        *([headline] if headline else []),
        *([f"background traffic unmet {result.background_unmet_loads_per_day:,.1f} loads/day"]
          if result.background_unmet_loads_per_day > 1e-6 else []),
        "",
        "Lanes by market",
    ]
    names = dict(network.nodes.select("id", "name").iter_rows())
    freight = result.lanes.filter(pl.col("commodity") != BACKGROUND_COMMODITY)
    for (market,), lanes in freight.group_by("market", maintain_order=True):
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
