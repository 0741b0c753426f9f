"""Reading the network a command works on, and writing its output to stdout or a file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from networks import Network


def load_network(network_dir: Path | None) -> Network:
    """The network in ``network_dir``, or the built-in one (validated; bad input raises InputError)."""
    from networks import read_network

    return read_network(network_dir)


def load_scenario_network(network_dir: Path | None, scenario_file: Path | None) -> Network:
    """The network, with the changes of one scenario file applied (bad files and changes raise InputError).

    The scenario's own ``network`` is used unless ``--network`` names one."""
    from networks import InputError, Problem, read_network
    from routing.scenarios import BUILTIN, apply_changes, check_changes, load_scenario

    if scenario_file is None:
        return load_network(network_dir)
    scenarios = load_scenario(scenario_file)
    if len(scenarios) != 1:
        raise InputError([Problem(str(scenario_file), f"a sweep gives {len(scenarios)} scenarios; run it with "
                                  "`nearshore batch`", field="sweep")])
    scenario = scenarios[0]
    folder = network_dir if network_dir is not None else None if scenario.network == BUILTIN else Path(
        scenario.network)
    network = read_network(folder)
    problems = check_changes(network, scenario.changes, source=str(scenario_file))
    if problems:
        raise InputError(problems)
    return apply_changes(network, scenario.changes, source=str(scenario_file))


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` (one line on stderr says where)."""
    if output is None:
        click.echo(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
