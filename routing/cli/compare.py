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
from routing.cli.io import emit, load_network
from routing.cli.options import check_plot_path, network_option, output_option, what_if_options

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
@click.option("--objective", type=click.Choice(["as_operated", "lead_time"]), default="as_operated", show_default=True,
              help="as_operated: route each side as shippers do today (calibrated); lead_time: the fastest routing.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="table: readable side by side; json: a list of row objects; csv: the same rows.")
@output_option
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None,
              help="Write a PNG, SVG or PDF (folders are created): lead-time CDFs per market and waterfall bars "
                   "(pip install 'nearshore[plot]').")
def compare(network_dir: Path | None, scenario: str | None, close: tuple[str, ...], markets: tuple[str, ...],
            commodities: tuple[str, ...], asia: tuple[str, ...], mexico: tuple[str, ...], service_level: float,
            carrying_rate: float, samples: int, seed: int, objective: str, fmt: str, output: Path | None,
            plot_path: Path | None) -> None:
    """Asia vs Mexico: lead-time spread, pipeline and safety stock, landed cost per load.

    The whole network is solved once; then each market's demand twice on the same model, with
    supply only at the Asian origins and only at the Mexican plants, the other markets' flows held
    as background. Each solution's lanes are sampled by Monte Carlo (every leg random, a clock
    through calendars, weekly regimes shared by all loads); a sequence simulation gives the
    stock-out chance and fill rate of the safety stock over a quarter.
    """
    from routing.analysis.compare import compare_sourcing

    check_plot_path(plot_path)
    from routing.cli.progress import ProgressBar

    network = load_network(network_dir, scenario=scenario, close=close)
    with ProgressBar("compare: solving") as bar:
        rows = compare_sourcing(network, markets=list(markets) or None, commodities=list(commodities) or None,
                                asia=list(asia) or None, mexico=list(mexico) or None, service_level=service_level,
                                annual_carrying_rate=carrying_rate, samples=samples, seed=seed,
                                cdf_points=101 if plot_path else 0, objective=objective, on_progress=bar.advance)
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
                      seed: int) -> str:
    """The side-by-side table: per market and commodity, Asia, Mexico and the difference."""
    lines = [
        f"Asia vs Mexico on {name}: service level {service_level:.0%}, carrying {carrying_rate:.0%}/year, "
        f"{samples:,} samples (seed {seed})",
        "days: lead time from the supplier's gate to the market; pipeline and safety stock in USD of inventory; "
        "landed = freight + duty + carrying, USD per load",
        ("SS days: the lead-time demand quantile at the service level above its mean; stock-out: chance of at least "
         "one short day in a quarter with that stock; fill: share of demand served from stock"),
        _asian_mix(rows),
        "",
        f"{'commodity':<16} {'sourcing':<9} {'origin':<17} {'port / crossing':<24} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'pipeline $':>13} {'safety $':>12} {'SS days':>7} {'stock-out':>9} {'fill':>6} {'freight':>7} "
        f"{'duty':>7} {'carry':>6} {'landed':>7}",
    ]
    for (market,), block in rows.group_by("market", maintain_order=True):
        lines += ["", f"{market} {block['market_name'][0] or ''}"]
        for (commodity,), pair in block.group_by("commodity", maintain_order=True):
            for row in pair.iter_rows(named=True):
                lines.append(_row_line(commodity, row))
                lines += _mix_lines(row)
                commodity = ""
            diff = pair.row(0, named=True)
            if pair.height == 2 and diff["asia_minus_mexico_p50_days"] is not None:
                lines.append(
                    f"{'':<16} {'asia-mex':<9} {'':<17} {'':<24} {diff['asia_minus_mexico_p50_days']:>+6.1f} "
                    f"{diff['asia_minus_mexico_p95_days']:>+6.1f} {diff['asia_minus_mexico_p99_days']:>+6.1f} "
                    f"{diff['asia_minus_mexico_pipeline_value_usd']:>+13,.0f} {'':>12} "
                    f"{diff['asia_minus_mexico_safety_stock_days']:>+7.2f} {'':>9} {'':>6} {'':>7} {'':>7} {'':>6} "
                    f"{diff['asia_minus_mexico_landed_cost_usd_per_load']:>+7,.0f}")
    return "\n".join(lines)


def _row_line(commodity: str, row: dict) -> str:
    via = row["port"] or row["crossing"] or "-"
    if row["p50_days"] is None:
        reason = row["unmet_reason"] or "not served"
        return f"{commodity:<16} {row['sourcing']:<9} {'-':<17} {'-':<24} not served: {reason}"
    unmet = f"  unmet {row['unmet_loads_per_day']:.1f}/day" if row["unmet_loads_per_day"] > 1e-9 else ""
    return (f"{commodity:<16} {row['sourcing']:<9} {row['origin']:<17} {via[:24]:<24} {row['p50_days']:>6.1f} "
            f"{row['p95_days']:>6.1f} {row['p99_days']:>6.1f} {row['pipeline_value_usd']:>13,.0f} "
            f"{row['safety_stock_value_usd']:>12,.0f} {row['safety_stock_days']:>7.2f} "
            f"{_pct(row['stockout_prob']):>9} {_pct(row['fill_rate'], 1):>6} "
            f"{row['freight_usd_per_load']:>7,.0f} {row['duty_usd_per_load']:>7,.0f} "
            f"{row['carrying_usd_per_load']:>6,.0f} {row['landed_cost_usd_per_load']:>7,.0f}{unmet}")


def _pct(value: float | None, decimals: int = 0) -> str:
    return "-" if value is None else f"{100 * value:.{decimals}f}%"


def _mix_lines(row: dict) -> list[str]:
    """Under a row of several lanes: each lane with its share of the loads, and the legs of the tail."""
    mix = row.get("lane_mix") or []
    out = []
    if len(mix) > 1:
        out += [f"{'':<16} {'':<9}   {m['share']:>4.0%} {m['origin']:<11} {(m['crossing'] or '-'):<12} "
                f"{m['route'][:90]}" for m in mix[:6]]
        if len(mix) > 6:
            out.append(f"{'':<16} {'':<9}   ... {len(mix) - 6} more lanes")
    if row.get("tail_legs"):
        out.append(f"{'':<16} {'':<9}   p95 tail: {row['tail_legs']}")
    return out


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
