"""Click options shared by several commands, written once (as rasterio's ``rio`` does)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from routing.options import DEFAULT_USD_PER_LOAD_HOUR, DEFAULT_WAIT_SEGMENTS, MAX_WAIT_SEGMENTS, Objective, Solver


def _not_nan(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Reject ``nan``, which passes click's ``FloatRange`` (every comparison with it is false)."""
    if value is not None and math.isnan(value):
        raise click.BadParameter("nan is not a number")
    return value


network_option = click.option(
    "--network", "network_dir", type=click.Path(path_type=Path), default=None,
    help="Network folder (nodes.csv, links.csv, ...). Default: the built-in US–Mexico network.")
format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
    help="table: readable summary; json: one object; csv: the lanes table.")
output_option = click.option(
    "--output", "output", type=click.Path(path_type=Path), default=None,
    help="Write the result to this file instead of stdout.")
wait_segments_option = click.option(
    "--wait-segments", type=click.IntRange(min=1, max=MAX_WAIT_SEGMENTS), default=DEFAULT_WAIT_SEGMENTS,
    show_default=True, help="Linear pieces of each crossing's wait curve (crossings.csv).")
objective_option = click.option(
    "--objective", type=click.Choice([o.value for o in Objective]), default=Objective.LEAD_TIME.value,
    show_default=True, help="Minimise load-hours, freight cost, cost + --usd-per-load-hour x load-hours, or "
                            "route as operated today (each load's freight cost + value of time, calibrated).")
solver_option = click.option(
    "--solver", type=click.Choice([s.value for s in Solver]), default=Solver.AUTO.value, show_default=True,
    help="auto: min-cost flow when exact, else GLOP for small LPs and HiGHS for large ones; "
         "lemon: LEMON min-cost flow (pip install 'nearshore[lemon]').")
time_limit_option = click.option(
    "--time-limit", "time_limit_s", type=click.FloatRange(min=0, min_open=True), default=None, callback=_not_nan,
    help="Stop the LP solver after this many seconds.")
usd_per_load_hour_option = click.option(
    "--usd-per-load-hour", type=click.FloatRange(min=0, max=1e6), default=DEFAULT_USD_PER_LOAD_HOUR,
    show_default=True, callback=_not_nan, help="Value of one load-hour in the blend objective (at most 1e6).")
scenario_option = click.option(
    "--scenario", "scenario", default=None, metavar="FILE",
    help="Apply the changes of this scenario file or library name (nearshore scenarios) first (its [solver] "
         "table is not used; a sweep is refused).")
close_option = click.option(
    "--close", "close", multiple=True, metavar="ID",
    help="Close this node or link (capacity 0) first; repeatable.")


CDF_POINTS = 101
"""Lead-time quantiles per CDF line that compare computes for a plot or a report (every 1 %)."""
report_option = click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="PATH",
    help="Also write a self-contained HTML report of this run (see nearshore report --help).")


def what_if_options(command: Any) -> Any:
    """``--scenario FILE`` and ``--close ID`` (repeatable), applied to the network before the solve."""
    return scenario_option(close_option(command))


PLOT_SUFFIXES = (".png", ".svg", ".pdf")
"""What ``--plot`` can write (matplotlib picks the format from the suffix)."""


class MissingExtra(click.ClickException):
    """An optional dependency is not installed (exit code 2)."""

    exit_code = 2


def check_plot_path(path: Path | None) -> None:
    """Fail before any work when ``--plot PATH`` cannot be written: a suffix other than .png, .svg or
    .pdf, matplotlib missing, or a folder that cannot be created (missing folders are created)."""
    if path is None:
        return
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise click.BadParameter(f"must end in .png, .svg or .pdf, got {path.name!r}", param_hint="'--plot'")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingExtra("--plot needs matplotlib: pip install 'nearshore[plot]'") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # before the work, so a bad folder fails first
    except OSError as error:
        raise click.BadParameter(f"cannot create the folder {path.parent}: {error.strerror}",
                                 param_hint="'--plot'") from None


def _regime_states(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    """``DOMAIN=STATE`` pairs -> {domain: state}; the library checks the names against regimes.csv."""
    out: dict[str, str] = {}
    for item in value:
        domain, sep, state = item.partition("=")
        if not sep or not domain.strip() or not state.strip():
            raise click.BadParameter(f"expected DOMAIN=STATE, e.g. texas_border=disrupted, got {item!r}")
        out[domain.strip()] = state.strip()
    return out


regime_option = click.option(
    "--regime", "regime_states", multiple=True, metavar="DOMAIN=STATE", callback=_regime_states,
    help="Hold a shock domain of regimes.csv in one state (normal, peak or disrupted) in every sampled week, "
         "e.g. texas_border=disrupted (the Texas inspection regime on); repeatable. The other domains keep "
         "their weekly chains.")
