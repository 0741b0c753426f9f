"""Reading the network a command works on, and writing its output to stdout or a file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from networks import Network


def load_network(network_dir: Path | None, *, scenario: str | None = None, close: Sequence[str] = ()) -> Network:
    """The network in ``network_dir`` (or the built-in one), validated, with the changes of a
    ``scenario`` file or library name and then ``close`` (node or link ids) applied; the shock
    domains of the scenario's ``[regimes]`` table must be in the network's ``regimes.csv``.

    Without ``network_dir`` a scenario works on its own ``network``; with it, on that folder. A
    sweep is refused (it is many scenarios: run it with ``nearshore batch``). Bad input raises
    InputError, naming the file, the option and the value."""
    from networks import read_network

    if scenario is None and not close:
        return read_network(network_dir)
    from networks import builtin_path
    from routing.scenarios import BUILTIN, apply_changes

    changes: list = []
    source = "--close"
    if scenario is not None:
        point = _one_scenario(scenario)
        changes += point.changes
        source = point.source or point.name
        if network_dir is None and point.network != BUILTIN:
            network_dir = Path(point.network)
    network = read_network(network_dir if network_dir is not None else builtin_path())
    changes += [_close_change(network, ident) for ident in close]
    changed = apply_changes(network, changes, source=source)  # raises InputError with every problem
    if scenario is not None:
        from networks import InputError
        from routing.scenarios import check_regimes

        if problems := check_regimes(changed, point):
            raise InputError(problems)
    return changed


def scenario_regimes(scenario: str | None) -> dict[str, str]:
    """The ``[regimes]`` table of a scenario file or library name (domain -> state; {} for none),
    after :func:`load_network` has read and checked it."""
    return dict(_one_scenario(scenario).regimes) if scenario is not None else {}


def _one_scenario(name: str):  # -> Scenario, imported lazily
    from networks import InputError
    from networks.errors import Problem
    from routing.scenarios import load_scenarios

    points = load_scenarios([name])
    if len(points) != 1:
        raise InputError([Problem(name, f"a sweep gives {len(points)} scenarios; give one scenario to --scenario, "
                                        "or run the sweep with `nearshore batch`", field="sweep")])
    return points[0]


def _close_change(network: Network, ident: str):  # -> a scenario Close change
    from networks import InputError
    from networks.errors import Problem
    from routing.scenarios.schema import Close

    for table in ("nodes", "links"):
        if ident in set(getattr(network, table)["id"].to_list()):
            return Close(type="close", table=table, ids=[ident])
    raise InputError([Problem("--close", f"no node or link has the id {ident!r} (nearshore nodes --search lists "
                                         "the nodes)")])


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` (one line on stderr says where)."""
    if output is None:
        click.echo(text.rstrip("\n"))
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def write_report(html: str, path: Path, *, open_page: bool = False) -> None:
    """Write a report page (folders are created), say where on stderr, and open it in a browser if asked."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as error:
        raise click.BadParameter(f"cannot write {path}: {error.strerror or error}", param_hint="'--report'") from None
    click.echo(f"wrote {path} ({len(html.encode()) / 1e6:.2f} MB)", err=True)
    if open_page:
        import webbrowser  # only here: it costs `nearshore --help` 7 ms to import

        webbrowser.open(path.resolve().as_uri())


def report_provenance(network: Network | None, *, command: str, solver: str | None = None,
                      **options: Any) -> dict[str, Any]:
    """:func:`routing.report.provenance` as of now, with the options given (None, empty and False left out)."""
    from routing.report import provenance

    given = {k: (", ".join(map(str, v)) if isinstance(v, tuple | list) else v)
             for k, v in options.items() if v not in (None, (), [], False)}
    return provenance(network, created=datetime.now(UTC), command=command, solver=solver, options=given)
