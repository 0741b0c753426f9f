"""The report's sections, each a function from result frames to an HTML fragment.

A section shows its frames' rows as they are (tables and charts read the same dicts that the page
embeds as data), so every number on the page is one of the frames'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from routing.report.charts import SERIES_COLORS, Series, bar_chart, line_chart
from routing.report.svg import grouped, number, table, tag, text
from routing.results.lanes import lanes_by_market
from routing.results.schemas import WATERFALL, WATERFALL_LABELS

LEG_COLORS = ("#2c7fb8", "#7fcdbb", "#8c6d31", "#e08214", "#bdbdbd", "#e6550d", "#d7301f", "#9e9ac8")
"""One colour per waterfall leg, in the order of :data:`~routing.results.schemas.WATERFALL`."""
TOP_BOTTLENECKS = 15  # bars in the bottleneck chart (the table lists them all)
SOURCING_COLORS = {"asia": "#c0392b", "mexico": "#1f77b4"}
DASHES = (None, "5 3", "2 2", "8 3 2 3")  # one per commodity in the compare charts


def section(anchor: str, title: str, body: str) -> str:
    """A titled section with an anchor for the page's contents."""
    return tag("section", tag("h2", text(title)) + body, id=anchor)


def summary_section(summary: Mapping[str, Any]) -> str:
    """The headline numbers of the solve."""
    unit = "load-h/day" if summary["objective_kind"] == "lead_time" else "USD/day"
    objective = f"{summary['objective_kind']}: {grouped(summary['objective'])} {unit}"
    items = [("status", summary["status"]), ("objective", objective),
             ("average lead time", f"{number(summary['avg_lead_time_h'], 1)} h"),
             ("served", f"{grouped(summary['served_loads_per_day'])} loads/day"),
             ("unmet", f"{grouped(summary['unmet_loads_per_day'])} loads/day"),
             ("freight cost", f"{grouped(summary['total_cost_usd_per_day'], 0)} USD/day"),
             ("solver", f"{summary['solver']} ({number(summary['solve_s'], 3)} s)")]
    cards = "".join(tag("div", tag("span", text(k), class_="k") + tag("span", text(v), class_="v"), class_="card")
                    for k, v in items)
    return section("summary", "Summary", tag("div", cards, class_="cards"))


def map_section(svg: str) -> str:
    """The map with a caption telling how to read it."""
    note = tag("p", "Hover or click a link, crossing, plant or node for its numbers. Link width: loads per day "
                    "(square root); idle links are dashed. Asian origins are drawn in the inset, their ocean "
                    "links run from the inset to the port.", class_="note")
    return section("map", "Map", tag("div", svg, class_="map-wrap") + note + tag("div", "", id="tip"))


def lanes_section(lanes: pl.DataFrame) -> tuple[str, dict[str, Any]]:
    """Lead time per market and the waterfall of where its hours go, then every lane."""
    markets = lanes_by_market(lanes)
    chart = bar_chart(markets["market"].to_list(), [[row[leg] for leg in WATERFALL] for row in markets.to_dicts()],
                      names=[WATERFALL_LABELS[leg] for leg in WATERFALL], colors=LEG_COLORS, unit="h",
                      chart_id="lanes-chart")
    columns = [("market", "market"), ("loads_per_day", "loads/day"), ("lead_time_h", "lead time h"),
               *((leg, WATERFALL_LABELS[leg] + " h") for leg in WATERFALL)]
    lane_columns = [("origin", "origin"), ("market", "market"), ("commodity", "commodity"),
                    ("loads_per_day", "loads/day"), ("lead_time_h", "lead time h"), ("crossing", "crossing"),
                    ("cost_usd_per_load", "USD/load"), ("distance_km", "km"), ("route", "route")]
    body = (chart + table(columns, markets.to_dicts(), table_id="lanes-by-market", sortable=True)
            + tag("details", tag("summary", text(f"All {lanes.height} lanes")) +
                  table(lane_columns, lanes.to_dicts(), table_id="lanes-table", sortable=True)))
    return section("lanes", "Lanes: lead time per market", body), {"lanes_by_market": markets, "lanes": lanes}


def bottlenecks_section(bottlenecks: pl.DataFrame, unmet: pl.DataFrame) -> tuple[str, dict[str, Any]]:
    """The bottleneck ranking, in the objective's unit, and the unmet demand with its reason."""
    top = bottlenecks.head(TOP_BOTTLENECKS)
    units = sorted(set(bottlenecks["value_unit"].to_list()))
    chart = bar_chart([f"{k} {i}" for k, i in top.select("kind", "id").iter_rows()],
                      [[v or 0.0] for v in top["value_per_unit"].to_list()], names=["value per unit"],
                      colors=[SERIES_COLORS[0]], unit=", ".join(units) or "-", chart_id="bottlenecks-chart")
    columns = [("kind", "kind"), ("id", "id"), ("used", "used"), ("capacity", "capacity"),
               ("utilisation", "utilisation"), ("unit", "unit"), ("value_per_unit", "value per unit more"),
               ("value_unit", "value unit"), ("loads_served_per_unit", "loads served per unit")]
    lead = tag("p", text(f"{bottlenecks.height} binding capacities, the most valuable first: value_per_unit is what "
                         f"one more unit (the unit column) lowers the objective by, in {', '.join(units) or '-'}."),
               class_="note")
    unmet_html = (table([(c, c.replace("_", " ")) for c in unmet.columns], unmet.to_dicts(), table_id="unmet-table")
                  if unmet.height else tag("p", "Every market is served.", class_="note"))
    body = lead + chart + table(columns, bottlenecks.to_dicts(), table_id="bottlenecks-table", sortable=True) + tag(
        "h3", "Unmet demand") + unmet_html
    return section("bottlenecks", "Bottlenecks", body), {"bottlenecks": bottlenecks, "unmet": unmet}


def compare_section(rows: pl.DataFrame) -> tuple[str, dict[str, Any]]:
    """Per market, the lead-time CDFs of Asia and Mexico (a line per commodity); safety stock and landed
    cost side by side."""
    commodities = rows["commodity"].unique(maintain_order=True).to_list()
    dash = {c: DASHES[i % len(DASHES)] for i, c in enumerate(commodities)}
    charts = []
    for (market,), block in rows.group_by("market", maintain_order=True):
        series = []
        for row in block.filter(pl.col("cdf_days").is_not_null()).iter_rows(named=True):
            days = row["cdf_days"]
            levels = [i / (len(days) - 1) for i in range(len(days))] if len(days) > 1 else [1.0]
            series.append(Series(f"{row['sourcing']} {row['commodity']}", days, levels,
                                 SOURCING_COLORS.get(row["sourcing"], SERIES_COLORS[0]), dash[row["commodity"]]))
        charts.append(line_chart(series, x_unit="days", y_unit="share", title=str(market), y_range=(0.0, 1.0),
                                 chart_id=f"cdf-{market}", legend=False))
    side = _side_by_side(rows)
    columns = [(c, c.replace("_", " ")) for c in side.columns]
    key = [_key(name, color, None) for name, color in SOURCING_COLORS.items()]
    key += [_key(c, "#555555", dash[c]) for c in commodities]
    body = (tag("p", "Lead time from the supplier's gate to the market: the share of loads that arrive within x "
                     "days (Monte Carlo). Colour: sourcing; line style: commodity.", class_="note")
            + tag("div", "".join(key), class_="keys") + tag("div", "".join(charts), class_="small-multiples")
            + tag("h3", "Safety stock and landed cost") + table(columns, side.to_dicts(), table_id="compare-table",
                                                                 sortable=True))
    return section("compare", "Asia vs Mexico", body), {"compare": rows.drop("cdf_days", strict=False),
                                                         "compare_side_by_side": side}


def _key(name: str, color: str, dash: str | None) -> str:
    """One legend entry: a short line in the series' colour and dash, and its name."""
    line = tag("svg", tag("line", x1="0", x2="26", y1="5", y2="5", stroke=color, stroke_width="2",
                          stroke_dasharray=dash), width="26", height="10")
    return tag("span", line + " " + text(name), class_="key")


def _side_by_side(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per market and commodity with Asia's and Mexico's p50, p95, safety stock and landed cost."""
    values = ["p50_days", "p95_days", "safety_stock_value_usd", "safety_stock_days", "landed_cost_usd_per_load"]
    wide = rows.pivot(on="sourcing", index=["market", "commodity"], values=values, separator=" ")
    order = [f"{v} {s}" for v in values for s in rows["sourcing"].unique(maintain_order=True).to_list()]
    return wide.select("market", "commodity", *[c for c in order if c in wide.columns])


def batch_section(summary: pl.DataFrame) -> tuple[str, dict[str, Any]]:
    """Every scenario against its base: lead time, cost, unmet, top bottleneck; a sortable table and a chart."""
    keep = ["scenario", "status", "base_scenario", "avg_lead_time_h", "change_vs_base_pct",
            "total_cost_usd_per_day", "cost_change_vs_base_pct", "unmet_loads_per_day", "unmet_share",
            "top_bottleneck", "top_bottleneck_saved_per_unit", "backlog_peak_loads", "days_to_recover"]
    rows = summary.select(keep)
    chart = bar_chart(rows["scenario"].to_list(),
                      [[lead or 0.0, cost or 0.0] for lead, cost in
                       rows.select("change_vs_base_pct", "cost_change_vs_base_pct").iter_rows()],
                      names=["lead time vs base", "cost vs base"], colors=SERIES_COLORS[:2], unit="%",
                      stacked=False, chart_id="batch-chart")
    note = tag("p", "Per scenario, the change of the average lead time and of the freight cost against the "
                    "scenario's base, in %; no lead-time bar means the loads served differ too much to compare "
                    "(see the summary's comparable_reason). Click a heading to sort.", class_="note")
    table_html = table([(c, c.replace("_", " ")) for c in keep], rows.to_dicts(), table_id="batch-table", sortable=True)
    return section("batch", "Batch: every scenario against its base", note + chart + table_html), {"batch": rows}


def disrupt_section(daily: pl.DataFrame, recovery: Mapping[str, Any], horizon: Mapping[str, Any]) -> tuple[
        str, dict[str, Any]]:
    """Backlog and lead time by day, the days to recover and the markets at risk."""
    days = daily["day"].to_list()
    backlog = line_chart([Series("backlog", days, daily["backlog_loads"].to_list(), SERIES_COLORS[1])],
                         x_unit="day", y_unit="loads", title="Backlog by day", width=480, chart_id="backlog-chart")
    lead = line_chart([Series("lead time", days, [v if v is not None else float("nan")
                                                  for v in daily["avg_lead_time_h"].to_list()], SERIES_COLORS[0])],
                      x_unit="day", y_unit="h", title="Dispatch lead time by day", width=480, chart_id="lead-chart")
    recover = (f"{recovery['days_to_recover']} days after the last event" if recovery["recovered"]
               else "not within the horizon")
    facts = [("horizon", f"{horizon['days']} days of {number(horizon['step_h'])} h steps"),
             ("event days", ", ".join(str(d) for d in horizon["event_days"]) or "none"),
             ("backlog peak", f"{grouped(recovery['backlog_peak_loads'])} loads"
              + (f" on day {recovery['backlog_peak_day']}" if recovery["backlog_peak_day"] is not None else "")),
             ("recovered", recover), ("extra load-hours", grouped(recovery["extra_load_hours"], 0)),
             ("undelivered at the end", f"{grouped(recovery['undelivered_at_end_loads'])} loads")]
    cards = "".join(tag("div", tag("span", text(k), class_="k") + tag("span", text(v), class_="v"), class_="card")
                    for k, v in facts)
    markets = pl.DataFrame(recovery["markets"]) if recovery["markets"] else pl.DataFrame()
    market_table = table([(c, c.replace("_", " ")) for c in markets.columns], markets.to_dicts(),
                         table_id="disrupt-markets", sortable=True) if markets.height else ""
    body = (tag("div", cards, class_="cards") + tag("div", backlog + lead, class_="small-multiples")
            + table([(c, c.replace("_", " ")) for c in daily.columns], daily.to_dicts(), table_id="disrupt-days",
                    sortable=True) + market_table)
    return section("disrupt", "Disruption: backlog and recovery", body), {
        "disrupt_days": daily, "disrupt_recovery": dict(recovery), "disrupt_horizon": dict(horizon)}


def provenance_section(provenance: Mapping[str, Any]) -> str:
    """What produced the page: network name and hash, solver, options, date, versions."""
    rows = [{"what": key, "value": value if isinstance(value, str) else ", ".join(
        f"{k} {v}" for k, v in value.items()) if isinstance(value, Mapping) else str(value)}
        for key, value in provenance.items()]
    return section("provenance", "Provenance", table([("what", "what"), ("value", "value")], rows,
                                                     table_id="provenance-table"))
