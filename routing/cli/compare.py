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
from routing.cli.options import network_option, output_option

if TYPE_CHECKING:
    import polars as pl

PLOT_SUFFIXES = (".png", ".svg")


class MissingExtra(click.ClickException):
    """An optional dependency is not installed (exit code 2)."""

    exit_code = 2


def _check_plot(path: Path | None) -> None:
    """Fail before any work when --plot cannot be written."""
    if path is None:
        return
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise click.BadParameter(f"must end in .png or .svg, got {path.name!r}", param_hint="'--plot'")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingExtra("--plot needs matplotlib: pip install 'nearshore[plot]'") from None


@click.command("compare", epilog=EPILOG)
@network_option
@click.option("--market", "markets", multiple=True, metavar="ID", help="Market node id (repeat). Default: all.")
@click.option("--commodity", "commodities", multiple=True, metavar="ID", help="Commodity id (repeat). Default: all.")
@click.option("--asia", multiple=True, metavar="ORIGIN", help="Asian origin node id (repeat). Default: every origin.")
@click.option("--mexico", multiple=True, metavar="PLANT",
              help="Mexican plant node id (repeat). Default: every plant in country MX.")
@click.option("--service-level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Chance of no stock-out during a lead time; sets z of the safety stock.")
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
              help="Write a PNG or SVG: lead-time CDFs per market and waterfall bars (pip install 'nearshore[plot]').")
def compare(network_dir: Path | None, markets: tuple[str, ...], commodities: tuple[str, ...], asia: tuple[str, ...],
            mexico: tuple[str, ...], service_level: float, carrying_rate: float, samples: int, seed: int,
            objective: str, fmt: str, output: Path | None, plot_path: Path | None) -> None:
    """Asia vs Mexico: lead-time spread, pipeline and safety stock, landed cost per load.

    Each market's demand is solved twice on the same model, with supply only at the Asian
    origins and only at the Mexican plants; each solution's lanes are sampled by Monte Carlo.
    """
    from routing.analysis.compare import compare_sourcing

    _check_plot(plot_path)
    network = load_network(network_dir)
    rows = compare_sourcing(network, markets=list(markets) or None, commodities=list(commodities) or None,
                            asia=list(asia) or None, mexico=list(mexico) or None, service_level=service_level,
                            annual_carrying_rate=carrying_rate, samples=samples, seed=seed,
                            cdf_points=101 if plot_path else 0, objective=objective)
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
        text = rows.write_csv()
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
        "",
        f"{'commodity':<16} {'sourcing':<9} {'origin':<17} {'port / crossing':<24} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'pipeline $':>13} {'safety $':>12} {'SS days':>7} {'freight':>7} {'duty':>7} {'carry':>6} {'landed':>7}",
    ]
    for (market,), block in rows.group_by("market", maintain_order=True):
        lines += ["", f"{market} {block['market_name'][0] or ''}"]
        for (commodity,), pair in block.group_by("commodity", maintain_order=True):
            for row in pair.iter_rows(named=True):
                lines.append(_row_line(commodity, row))
                commodity = ""
            diff = pair.row(0, named=True)
            if pair.height == 2 and diff["asia_minus_mexico_p50_days"] is not None:
                lines.append(
                    f"{'':<16} {'asia-mex':<9} {'':<17} {'':<24} {diff['asia_minus_mexico_p50_days']:>+6.1f} "
                    f"{diff['asia_minus_mexico_p95_days']:>+6.1f} {diff['asia_minus_mexico_p99_days']:>+6.1f} "
                    f"{diff['asia_minus_mexico_pipeline_value_usd']:>+13,.0f} {'':>12} "
                    f"{diff['asia_minus_mexico_safety_stock_days']:>+7.2f} {'':>7} {'':>7} {'':>6} "
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
            f"{row['freight_usd_per_load']:>7,.0f} {row['duty_usd_per_load']:>7,.0f} "
            f"{row['carrying_usd_per_load']:>6,.0f} {row['landed_cost_usd_per_load']:>7,.0f}{unmet}")
