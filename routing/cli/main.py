"""The `nearshore` command group: commands load on first use, library errors become exit codes.

This is the only package that prints, formats and exits. Exit codes: 0 ok, 1 unexpected error,
2 bad usage or bad input, 3 no solution found. ``nearshore --help`` and ``--version`` import click
alone: each command's module (and numpy, polars, the solvers) loads only when that command runs.
Commands from other packages register through the ``nearshore.commands`` entry-point group (as
``benchmarks`` registers ``bench``).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from routing.cli.exits import (
    EPILOG,
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    EXIT_UNEXPECTED,
    NoSolution,
)

COMMANDS = {
    "solve": "routing.cli.solve:solve",
    "crossings": "routing.cli.solve:crossings",
    "calibrate": "routing.cli.calibrate:calibrate",
    "validate": "routing.cli.network:validate",
    "network": "routing.cli.network:network_command",
    "compare": "routing.cli.compare:compare",
    "disrupt": "routing.cli.disrupt:disrupt",
    "batch": "routing.cli.batch:batch",
    "scenarios": "routing.cli.batch:scenarios",
    "route": "routing.cli.route:route",
    "nodes": "routing.cli.nodes:nodes",
    "report": "routing.cli.report:report",
}
"""Built-in commands: name -> ``module:attribute``, imported when the command is used."""
SUMMARIES = {
    "batch": "Run scenario files or library names (and every point of their sweeps), write results, print a summary.",
    "calibrate": "Modelled against observed, per crossing, per mode and per gateway, with the distance measure.",
    "compare": "Asia vs Mexico: lead-time spread, pipeline and safety stock, landed cost per load.",
    "crossings": "Border crossings as queues: volume, utilisation, wait, value of one more lane or hour.",
    "disrupt": "Days, not a snapshot: dated disruptions with backlog and recovery.",
    "network": "Summary of a network's nodes, links and capacities (built-in network by default), a GeoJSON map "
               "of it (--geojson PATH), or a copy of it as CSV tables (export DIR).",
    "nodes": "The nodes of a network (built-in by default): id, name, kind, place, throughput and dwell.",
    "report": "One self-contained HTML page of a solve: map, lanes, bottlenecks, provenance.",
    "route": "The lead time from ORIGIN to MARKET (node ids; nearshore nodes --search finds them).",
    "scenarios": "The scenario library for the built-in network: name, description and the event it models.",
    "solve": "Lead-time-optimal flows from plants and origins to markets.",
    "validate": "Check a network folder; exit 0 with a one-line summary when it is clean.",
}
"""The first paragraph of each built-in command's help, which ``nearshore --help`` lists without
importing the commands (a test keeps them equal to the commands' own)."""
PLUGIN_GROUP = "nearshore.commands"


def plugin_commands(path: list[str] | None = None) -> dict[str, str]:
    """``name -> module:attribute`` of the ``nearshore.commands`` entry points of the installed
    distributions, read from their ``entry_points.txt`` as :func:`importlib.metadata.entry_points`
    does (the first distribution of a name on the path wins), without importing it: that import
    alone was a third of ``nearshore --help``."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    for folder in sys.path if path is None else path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            distribution = name.rsplit("-", 1)[0].lower().replace("_", "-") if "-" in name else name
            if distribution in seen:
                continue
            seen.add(distribution)
            try:
                text = Path(folder or ".", name, "entry_points.txt").read_text(encoding="utf-8")
            except OSError:
                continue
            found = _entry_points(text, PLUGIN_GROUP) | found
    return found


def _entry_points(text: str, group: str) -> dict[str, str]:
    """The ``name = value`` lines of one ``[group]`` section of an ``entry_points.txt``."""
    section, entries = None, {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, value = (part.strip() for part in line.split("=", 1))
            entries[name] = value
    return entries


class LazyGroup(click.Group):
    """A group whose commands are imported only when used (keeps start-up fast)."""

    def _targets(self) -> dict[str, str]:
        return plugin_commands() | COMMANDS

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._targets())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = self._targets().get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their one-line help, as click writes them; the built-in ones from
        SUMMARIES, so listing them imports none (plugins are imported for theirs)."""
        targets = self._targets()  # one look at the installed plugins
        if not targets:
            return
        limit = formatter.width - 6 - max(map(len, targets))
        rows = []
        for name in sorted(targets):
            if name in SUMMARIES:  # a built-in command (plugins never replace one)
                rows.append((name, click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit)))
            elif (command := self.get_command(ctx, name)) is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one line per error.")
@click.version_option(package_name="nearshore")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """nearshore: lead-time optimiser for US–Mexico supply chains."""
    ctx.obj = {"debug": debug}


def hoist_debug(args: list[str]) -> tuple[list[str], bool]:
    """``--debug`` anywhere before a ``--`` moved to the front, where the group takes it."""
    end = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:end]
    rest = [a for a in args[:end] if a != "--debug"] + args[end:]
    return (["--debug", *rest] if debug else rest), debug


def main(argv: list[str] | None = None) -> int:
    """Run the CLI, turning library errors into one-line messages and exit codes (130 on Ctrl-C)."""
    from networks.errors import InputError, NearshoreError

    args, debug = hoist_debug(list(argv if argv is not None else sys.argv[1:]))
    try:
        returned = cli.main(args=args, standalone_mode=False)  # an Exit(code) raised in a command comes back here
        if isinstance(returned, int) and not isinstance(returned, bool) and returned != EXIT_OK:
            return returned
    except (KeyboardInterrupt, click.exceptions.Abort) as stop:
        if isinstance(stop, click.exceptions.Abort) and not isinstance(stop.__cause__, KeyboardInterrupt):
            click.echo("Aborted.", err=True)
            return EXIT_UNEXPECTED
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
