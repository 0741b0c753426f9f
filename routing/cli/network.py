"""`nearshore validate` and `nearshore network`: check a network folder, summarise it, map it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from routing.cli.exits import EPILOG
from routing.cli.io import load_network
from routing.cli.options import network_option, what_if_options


@click.command(epilog=EPILOG)
@click.argument("directory", type=click.Path(path_type=Path))
def validate(directory: Path) -> None:
    """Check a network folder; exit 0 with a one-line summary when it is clean."""
    network = load_network(directory)
    click.echo(f"ok: {directory}: {network.nodes.height} nodes, {network.links.height} links, "
               f"{network.commodities.height} commodities, {network.supply.height} supply rows, "
               f"{network.demand.height} demand rows")


class _NetworkGroup(click.Group):
    """``nearshore network [DIR] [--geojson PATH]`` summarises, ``nearshore network export DIR`` saves:
    anything that is not a subcommand goes to the summary."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["show", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[DIRECTORY] [--geojson PATH] | export DIR [OPTIONS]")


@click.group("network", cls=_NetworkGroup, epilog=EPILOG)
def network_command() -> None:
    """Summary of a network's nodes, links and capacities (built-in network by default), a
    GeoJSON map of it (--geojson PATH), or a copy of it as CSV tables (export DIR).

    \b
    nearshore network [DIRECTORY] [--geojson PATH]
    nearshore network export DIR [--network SRC] [--scenario FILE] [--close ID]
    """


@network_command.command("show", hidden=True, epilog=EPILOG)
@click.argument("directory", type=click.Path(path_type=Path), required=False)
@click.option("--geojson", type=click.Path(path_type=Path), default=None,
              help="Write a GeoJSON map to this file (links across the antimeridian are cut in two).")
def show(directory: Path | None, geojson: Path | None) -> None:
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


@network_command.command("export", epilog=EPILOG)
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@network_option
@what_if_options
def export(directory: Path, network_dir: Path | None, scenario: str | None, close: tuple[str, ...]) -> None:
    """Write a network (built-in, --network, with a --scenario's changes and --close applied) as a
    folder of CSV tables that read back to equal tables; DIRECTORY must be new or empty."""
    from networks import write_network

    if directory.exists() and any(directory.iterdir()):
        raise click.UsageError(f"{directory} is not empty; export to a new folder")
    network = load_network(network_dir, scenario=scenario, close=close)
    written = write_network(network, directory)
    click.echo(f"wrote {len(written)} tables of {network!r} to {directory}", err=True)
