"""`nearshore validate` and `nearshore network`: check a network folder, summarise it, map it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from routing.cli.exits import EPILOG
from routing.cli.io import load_network


@click.command(epilog=EPILOG)
@click.argument("directory", type=click.Path(path_type=Path))
def validate(directory: Path) -> None:
    """Check a network folder; exit 0 with a one-line summary when it is clean."""
    network = load_network(directory)
    click.echo(f"ok: {directory}: {network.nodes.height} nodes, {network.links.height} links, "
               f"{network.commodities.height} commodities, {network.supply.height} supply rows, "
               f"{network.demand.height} demand rows")


@click.command("network", epilog=EPILOG)
@click.argument("directory", type=click.Path(path_type=Path), required=False)
@click.option("--geojson", type=click.Path(path_type=Path), default=None, help="Write a GeoJSON map to this file.")
def network_command(directory: Path | None, geojson: Path | None) -> None:
    """Summary of a network's nodes, links and capacities (built-in network by default)."""
    from networks.export import summarize, to_geojson
    from routing.cli.format import format_frames

    network = load_network(directory)
    click.echo(f"{network!r}")
    click.echo(format_frames(summarize(network)))
    if geojson is not None:
        geojson.parent.mkdir(parents=True, exist_ok=True)
        geojson.write_text(json.dumps(to_geojson(network)), encoding="utf-8")
        click.echo(f"wrote {geojson}", err=True)
