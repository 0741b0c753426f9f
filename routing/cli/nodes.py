"""`nearshore nodes`: list a network's nodes, by kind or by a search in ids, names and regions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from routing.cli.exits import EPILOG
from routing.cli.io import emit, load_network
from routing.cli.options import network_option, output_option

KIND_CHOICES = ("plant", "origin", "seaport", "rail_terminal", "border_crossing", "hub", "market")
COLUMNS = ("id", "name", "kind", "country", "region", "lat", "lon", "throughput_loads_per_day", "dwell_h")


@click.command("nodes", epilog=EPILOG)
@network_option
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KIND_CHOICES), help="Only nodes of this kind; repeatable.")
@click.option("--search", default=None, metavar="TEXT",
              help="Only nodes whose id, name or region contains TEXT (case-insensitive), e.g. Laredo.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@output_option
def nodes(network_dir: Path | None, kinds: tuple[str, ...], search: str | None, fmt: str, output: Path | None) -> None:
    """The nodes of a network (built-in by default): id, name, kind, place, throughput and dwell."""
    import polars as pl

    from routing.cli.format import render_table

    network = load_network(network_dir)
    table = network.nodes.select(COLUMNS)
    if kinds:
        table = table.filter(pl.col("kind").is_in(kinds))
    if search:
        needle = search.lower()
        table = table.filter(pl.any_horizontal(pl.col(c).fill_null("").str.to_lowercase().str.contains(needle, literal=True)
                                               for c in ("id", "name", "region")))
    if fmt == "json":
        text = json.dumps(table.to_dicts(), indent=2)
    elif fmt == "csv":
        text = table.write_csv()
    else:
        text = (render_table(table, digits={"lat": 3, "lon": 3, "throughput_loads_per_day": 1, "dwell_h": 1})
                + f"\n{table.height} of {network.nodes.height} nodes")
    emit(text, output)
