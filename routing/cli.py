"""The `nearshore` command line: the only place that prints, formats and picks exit codes.

Exit codes: 0 ok, 1 unexpected error, 2 bad usage or bad input, 3 no solution found.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT, EXIT_NO_SOLUTION = 0, 1, 2, 3

network_option = click.option(
    "--network", "network_dir", type=click.Path(path_type=Path), default=None,
    help="Network folder (nodes.csv, links.csv, ...). Default: the built-in US–Mexico network.")
format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
    help="table: readable summary; json: one object; csv: the lanes table.")
output_option = click.option(
    "--output", "output", type=click.Path(path_type=Path), default=None,
    help="Write the result to this file instead of stdout.")


wait_segments_option = click.option(  # max: networks.queues.MAX_WAIT_SEGMENTS (not imported: start-up time)
    "--wait-segments", type=click.IntRange(min=1, max=64), default=8, show_default=True,
    help="Linear pieces of each crossing's wait curve (crossings.csv), 1 to 64.")


def _not_nan(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Reject ``nan``, which passes click's ``FloatRange`` (every comparison with it is false)."""
    if value is not None and value != value:
        raise click.BadParameter("nan is not a number")
    return value


class NoSolution(Exception):
    """Raised inside a command when the solver found no solution (exit code 3)."""


class LazyGroup(click.Group):
    """A group whose heavier commands are imported only when used (keeps start-up fast)."""

    lazy = {
        "compare": "routing.compare_cli:compare",
        "batch": "routing.batch_cli:batch",
        "scenarios": "routing.batch_cli:scenarios",
        "bench": "routing.bench_cli:bench",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Exit codes: 0 ok, 1 unexpected error, 2 bad usage or bad input, 3 no solution found.")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one line per error.")
@click.version_option(package_name="nearshore")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """nearshore: lead-time optimiser for US–Mexico supply chains."""
    ctx.obj = {"debug": debug}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI, turning library errors into one-line messages and exit codes."""
    from networks.errors import InputError, NearshoreError

    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_UNEXPECTED
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as usage:
        if debug:
            raise
        usage.show()
        return EXIT_BAD_INPUT
    except InputError as bad:
        if debug:
            raise
        for line in _problem_lines(bad):
            click.echo(f"error: {line}", err=True)
        return EXIT_BAD_INPUT
    except NoSolution as none:
        click.echo(f"error: no solution: {none}", err=True)
        return EXIT_NO_SOLUTION
    except NearshoreError as known:
        if debug:
            raise
        click.echo(f"error: {known}", err=True)
        return EXIT_BAD_INPUT
    except Exception as unexpected:  # noqa: BLE001 - the boundary that turns any crash into exit 1
        if debug:
            raise
        click.echo(f"error: unexpected {type(unexpected).__name__}: {unexpected} (rerun with --debug)", err=True)
        return EXIT_UNEXPECTED
    return EXIT_OK


def _problem_lines(error: Any) -> list[str]:
    head = [error.source] if error.source and not error.problems else []
    prefix = f"{error.source}/" if error.source and os.path.isdir(error.source) else ""  # never raises
    return head + [f"{prefix}{p}" for p in error.problems]


def _load(network_dir: Path | None) -> Any:
    from networks import read_network

    return read_network(network_dir)


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` (one line on stderr says where)."""
    if output is None:
        click.echo(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@cli.command()
@network_option
@click.option("--objective", type=click.Choice(["lead_time", "cost", "blend"]), default="lead_time", show_default=True,
              help="Minimise load-hours, freight cost, or cost + --usd-per-load-hour x load-hours.")
@click.option("--solver", type=click.Choice(["auto", "glop", "highs", "pdlp", "mincostflow", "lemon"]),
              default="auto", show_default=True,
              help="auto: min-cost flow when exact, else GLOP for small LPs and HiGHS for large ones; "
                   "lemon: LEMON min-cost flow (pip install 'nearshore[lemon]').")
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=0, min_open=True), default=None, callback=_not_nan,
              help="Stop the LP solver after this many seconds.")
@click.option("--usd-per-load-hour", type=click.FloatRange(min=0, max=1e6), default=5.0, show_default=True, callback=_not_nan,
              help="Value of one load-hour in the blend objective (at most 1e6).")
@wait_segments_option
@format_option
@output_option
def solve(network_dir: Path | None, objective: str, solver: str, time_limit_s: float | None,
          usd_per_load_hour: float, wait_segments: int, fmt: str, output: Path | None) -> None:
    """Lead-time-optimal flows from plants and origins to markets."""
    from routing.report import format_solve

    network = _load(network_dir)
    result = _solve(network, objective=objective, solver=solver, time_limit_s=time_limit_s,
                    usd_per_load_hour=usd_per_load_hour, wait_segments=wait_segments)
    if fmt == "json":
        text = json.dumps(result.to_dict(), indent=2)
    elif fmt == "csv":
        text = result.lanes.write_csv()
    else:
        text = format_solve(network, result)
    emit(text, output)


def _solve(network: Any, **options: Any) -> Any:
    """Solve, turning 'no solution' into exit code 3."""
    from routing import solve_lead_time

    result = solve_lead_time(network, **options)
    if not result.status.has_solution:
        raise NoSolution(f"solver {result.solver} ended {result.status.value} {result.detail}".strip())
    return result


@cli.command()
@network_option
@wait_segments_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@output_option
def crossings(network_dir: Path | None, wait_segments: int, fmt: str, output: Path | None) -> None:
    """Border crossings as queues: volume, utilisation, wait, value of one more lane or hour.

    Solves the network at the least lead time, then reports per crossing (and per lane type) the
    wait at the solved utilisation and the load-hours per day one more lane or one more open hour
    would save with flows held fixed.
    """
    from routing.crossings import by_crossing
    from routing.report import format_frames

    network = _load(network_dir)
    result = _solve(network, wait_segments=wait_segments)
    table = by_crossing(result.crossings)
    if fmt == "json":
        emit(json.dumps(table.to_dicts(), indent=2), output)
    else:
        emit(format_frames({"Crossings (wait at the solved utilisation; values in load-hours/day)":
                             table.drop("lane_types"), "By lane type": result.crossings}), output)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
def validate(directory: Path) -> None:
    """Check a network folder; exit 0 with a one-line summary when it is clean."""
    network = _load(directory)
    click.echo(f"ok: {directory}: {network.nodes.height} nodes, {network.links.height} links, "
               f"{network.commodities.height} commodities, {network.supply.height} supply rows, "
               f"{network.demand.height} demand rows")


@cli.command("network")
@click.argument("directory", type=click.Path(path_type=Path), required=False)
@click.option("--geojson", type=click.Path(path_type=Path), default=None, help="Write a GeoJSON map to this file.")
def network_command(directory: Path | None, geojson: Path | None) -> None:
    """Summary of a network's nodes, links and capacities (built-in network by default)."""
    from networks.export import summarize, to_geojson
    from routing.report import format_frames

    network = _load(directory)
    click.echo(f"{network!r}")
    click.echo(format_frames(summarize(network)))
    if geojson is not None:
        geojson.parent.mkdir(parents=True, exist_ok=True)
        geojson.write_text(json.dumps(to_geojson(network)), encoding="utf-8")
        click.echo(f"wrote {geojson}", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
