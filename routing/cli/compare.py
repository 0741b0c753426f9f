"""`nearshore compare`: Asia vs Mexico side by side, as a table, JSON, CSV and an optional plot.

Registered in :data:`routing.cli.main.COMMANDS`. Like every command it prints
and picks exit codes only here: 0 ok, 2 bad usage or input (unknown ids, --plot without
matplotlib), 3 a scenario without a solution.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from routing.cli.exits import EPILOG, NoSolution
from routing.cli.io import emit, load_network, report_provenance, scenario_regimes, write_report
from routing.cli.options import (
    CDF_POINTS,
    check_plot_path,
    network_option,
    output_option,
    regime_option,
    report_option,
    what_if_options,
)

if TYPE_CHECKING:
    import polars as pl


@click.command("compare", epilog=EPILOG)
@network_option
@what_if_options
@click.option("--market", "markets", multiple=True, metavar="ID", help="Market node id (repeat). Default: all.")
@click.option("--commodity", "commodities", multiple=True, metavar="ID", help="Commodity id (repeat). Default: all.")
@click.option("--asia", multiple=True, metavar="ORIGIN", help="Asian origin node id (repeat). Default: every origin.")
@click.option("--mexico", multiple=True, metavar="PLANT",
              help="Mexican plant node id (repeat). Default: every plant in country MX.")
@click.option("--service-level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Quantile of the lead-time demand the safety stock covers (a chance of no stock-out per shipment).")
@click.option("--carrying-rate", type=click.FloatRange(min=0), default=0.25, show_default=True,
              help="Inventory carrying cost per year, as a share of value.")
@click.option("--samples", type=click.IntRange(min=100), default=100_000, show_default=True,
              help="Monte Carlo samples per market, commodity and sourcing.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Monte Carlo sampler.")
@regime_option
@click.option("--objective", type=click.Choice(["as_operated", "lead_time"]), default="as_operated", show_default=True,
              help="as_operated: route each side as shippers do today (calibrated); lead_time: the fastest routing.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="table: readable side by side; json: a list of row objects; csv: the same rows.")
@output_option
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None,
              help="Write a PNG, SVG or PDF (folders are created): lead-time CDFs per market and waterfall bars "
                   "(pip install 'nearshore[plot]').")
@report_option
def compare(network_dir: Path | None, scenario: str | None, close: tuple[str, ...], markets: tuple[str, ...],
            commodities: tuple[str, ...], asia: tuple[str, ...], mexico: tuple[str, ...], service_level: float,
            carrying_rate: float, samples: int, seed: int, regime_states: dict[str, str], objective: str, fmt: str,
            output: Path | None, plot_path: Path | None, report_path: Path | None) -> None:
    """Asia vs Mexico: lead-time spread, pipeline and safety stock, landed cost per load.

    The whole network is solved once; then each market's demand twice on the same model, with
    supply only at the Asian origins and only at the Mexican plants, the other markets' flows held
    as background. Each solution's lanes are sampled by Monte Carlo (every leg random, a clock
    through calendars, weekly regimes shared by all loads); a sequence simulation gives the
    stock-out chance and fill rate of the safety stock over a quarter. A scenario's ``[regimes]``
    table holds its shock domains in their state, as ``--regime`` does (the flag wins for a domain
    that both name).
    """
    from routing.analysis.compare import compare_sourcing

    check_plot_path(plot_path)
    from routing.cli.progress import ProgressBar

    network = load_network(network_dir, scenario=scenario, close=close)
    regime_states = {**scenario_regimes(scenario), **regime_states}  # --regime overrides the scenario's table
    with ProgressBar("compare: solving") as bar:
        rows = compare_sourcing(network, markets=list(markets) or None, commodities=list(commodities) or None,
                                asia=list(asia) or None, mexico=list(mexico) or None, service_level=service_level,
                                annual_carrying_rate=carrying_rate, samples=samples, seed=seed,
                                cdf_points=CDF_POINTS if plot_path or report_path else 0, objective=objective,
                                regime_states=regime_states or None, on_progress=bar.advance)
    import polars as pl

    failed = rows.filter(~pl.col("status").is_in(["optimal", "feasible"]))
    if failed.height:
        first = failed.row(0, named=True)
        raise NoSolution(f"{failed.height} scenario(s) ended without a solution, e.g. {first['sourcing']} for "
                         f"{first['market']}/{first['commodity']}: {first['status']}")
    if plot_path is not None:
        from routing.cli.plot import plot_comparison

        plot_comparison(rows, plot_path)
        click.echo(f"wrote {plot_path}", err=True)
    if report_path is not None:
        from routing.report import build_report

        meta = report_provenance(network, command="nearshore compare", objective=objective, scenario=scenario,
                                 close=close, regime=tuple(f"{d}={v}" for d, v in regime_states.items()), market=markets, commodity=commodities, asia=asia, mexico=mexico,
                                 service_level=service_level, carrying_rate=carrying_rate, samples=samples, seed=seed)
        write_report(build_report(compare=rows, provenance=meta), report_path)
    rows = rows.drop("cdf_days", strict=False)
    if fmt == "json":
        text = json.dumps(rows.to_dicts(), indent=2)
    elif fmt == "csv":
        text = rows.with_columns(lane_mix=pl.col("lane_mix").list.eval(pl.format(
            "{} {} {}", pl.element().struct.field("origin"), pl.element().struct.field("route"),
            pl.element().struct.field("share").round(3))).list.join("; ")).write_csv()
    else:
        text = format_comparison(network.name, rows, service_level=service_level, carrying_rate=carrying_rate,
                                 samples=samples, seed=seed)
    emit(text, output)


def format_comparison(name: str, rows: pl.DataFrame, *, service_level: float, carrying_rate: float, samples: int,
                      seed: int, width: int | None = None) -> str:
    """Per market, a table of Asia, Mexico and their difference for each commodity, then the lanes of
    the rows drawn from several and the legs of each p95 tail; fitted to ``width`` (default the
    terminal's) with rich, never splitting a word (:func:`routing.cli.format.render_table`)."""
    import textwrap

    from routing.cli.format import render_table, terminal_width

    width = width or terminal_width()

    def wrap(text: str, indent: str = "") -> list[str]:
        return textwrap.wrap(text, width=width, subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False) or [""]

    lines = [*wrap(f"Asia vs Mexico on {name}: service level {service_level:.0%}, carrying {carrying_rate:.0%}/year, "
                   f"{samples:,} samples (seed {seed})"),
             *wrap("days: lead time from the supplier's gate to the market; pipeline and safety stock in USD of "
                   "inventory; landed = freight + duty + carrying, USD per load"),
             *wrap("SS days: the lead-time demand quantile at the service level above its mean; stock-out: chance "
                   "of at least one short day in a quarter with that stock; fill: share of demand served from stock"),
             *wrap(_asian_mix(rows))]
    for (market,), block in rows.group_by("market", maintain_order=True):
        lines += ["", f"{market} {block['market_name'][0] or ''}".rstrip(),
                  render_table(_market_table(block), width=width, digits=COMPARE_DIGITS)]
        mix = _mix_table(block)
        if mix.height:
            lines += ["Lanes of the rows drawn from several (share of the row's loads)",
                      render_table(mix, width=width, digits={"share %": 0})]
        for row in block.iter_rows(named=True):
            where = f"{row['commodity']} {row['sourcing']}"
            if row["p50_days"] is None:
                lines += wrap(f"{where}: not served: {row['unmet_reason'] or 'no route'}", "  ")
            elif row["unmet_loads_per_day"] > 1e-9:
                lines += wrap(f"{where}: unmet {row['unmet_loads_per_day']:.1f} loads/day", "  ")
            if row["tail_legs"]:
                lines += wrap(f"{where} p95 tail: {row['tail_legs']}", "  ")
    return "\n".join(lines)


COMPARE_DIGITS = {"p50 d": 1, "p95 d": 1, "p99 d": 1, "typical d": 1, "bound d": 1, "gain %": 1, "landed": 0,
                  "SS days": 2, "pipeline M USD": 1, "safety M USD": 1, "stock-out %": 0, "fill %": 1, "freight": 0,
                  "duty": 0, "carry": 0}
"""Decimals of the columns of the compare table (the most read first: a narrow terminal leaves out the last)."""


def _market_table(block: pl.DataFrame) -> pl.DataFrame:
    """One market's rows, and under each commodity's pair the Asia-minus-Mexico row (``asia-mex``)."""
    import polars as pl

    def side(frame: pl.DataFrame, sourcing: pl.Expr, diff: bool) -> pl.DataFrame:
        def value(column: str) -> pl.Expr:
            return pl.col(f"asia_minus_mexico_{column}" if diff else column)

        def own(expr: pl.Expr) -> pl.Expr:  # a column of one side only: blank on the difference row
            return pl.lit(None, dtype=pl.Float64) if diff else expr

        return frame.select(
            pl.col("commodity"), sourcing.alias("sourcing"),
            (pl.lit("") if diff else pl.col("origin").fill_null("-")).alias("origin"),
            (pl.lit("") if diff else pl.coalesce("port", "crossing").fill_null("-")).alias("via"),
            value("p50_days").alias("p50 d"), value("p95_days").alias("p95 d"), value("p99_days").alias("p99 d"),
            own(pl.col("typical_days")).alias("typical d"), own(pl.col("lead_time_bound_days")).alias("bound d"),
            own(pl.col("gain_pct")).alias("gain %"), value("landed_cost_usd_per_load").alias("landed"),
            value("safety_stock_days").alias("SS days"), (value("pipeline_value_usd") / 1e6).alias("pipeline M USD"),
            own(pl.col("safety_stock_value_usd") / 1e6).alias("safety M USD"),
            own(100 * pl.col("stockout_prob")).alias("stock-out %"), own(100 * pl.col("fill_rate")).alias("fill %"),
            *[own(pl.col(f"{c}_usd_per_load")).alias(c.removesuffix("ing")) for c in ("freight", "duty", "carrying")])

    mexico = block.filter(pl.col("sourcing") == "mexico")["commodity"].implode()
    pairs = block.filter(pl.col("sourcing") == "asia", pl.col("asia_minus_mexico_p50_days").is_not_null(),
                         pl.col("commodity").is_in(mexico))
    table = pl.concat([side(block, pl.col("sourcing"), False).with_columns(_order=pl.int_range(pl.len())),
                       side(pairs, pl.lit("asia-mex"), True).with_columns(_order=pl.lit(block.height, pl.Int64))])
    order = block.select("commodity").unique(maintain_order=True).with_row_index("_commodity")
    return table.join(order, on="commodity").sort("_commodity", "_order").drop("_commodity", "_order")


def _mix_table(block: pl.DataFrame) -> pl.DataFrame:
    """The lanes of each row drawn from several: share, origin, crossing and route."""
    import polars as pl

    mixed = block.filter(pl.col("lane_mix").list.len() > 1).select("commodity", "sourcing", "lane_mix")
    if mixed.height == 0:
        return pl.DataFrame()
    lanes = mixed.explode("lane_mix").unnest("lane_mix")
    return lanes.select("commodity", "sourcing", (100 * pl.col("share")).alias("share %"), "origin",
                        pl.col("crossing").fill_null("-"), "route")


def _asian_mix(rows: pl.DataFrame) -> str:
    """The Asian origins the solution draws on, with their share of the Asian loads and their duty."""
    import polars as pl

    asia = rows.filter(pl.col("sourcing") == "asia").select("served_loads_per_day", "lane_mix").explode("lane_mix")
    asia = asia.drop_nulls("lane_mix").unnest("lane_mix") if asia.height else asia
    if asia.height == 0 or "origin" not in asia.columns:
        return "Asian origins: none served"
    by = asia.with_columns(loads=pl.col("share") * pl.col("served_loads_per_day")).group_by("origin").agg(
        loads=pl.col("loads").sum(), duty_low=pl.col("duty_pct").min(), duty_high=pl.col("duty_pct").max()
    ).with_columns(share=pl.col("loads") / pl.col("loads").sum()).sort("share", descending=True)
    parts = [f"{o} {s:.0%} (duty {lo:g}%)" if lo == hi else f"{o} {s:.0%} (duty {lo:g}-{hi:g}%)"
             for o, s, lo, hi in by.select("origin", "share", "duty_low", "duty_high").iter_rows()]
    return "Asian origins (share of the Asian loads, duty by commodity): " + ", ".join(parts)
