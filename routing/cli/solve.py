"""`nearshore solve` and `nearshore crossings`: one solve of a network, as lanes, bottlenecks and queues."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from routing.cli.exits import EPILOG, NoSolution
from routing.cli.io import emit, load_network
from routing.cli.options import (
    format_option,
    network_option,
    objective_option,
    output_option,
    solver_option,
    time_limit_option,
    usd_per_load_hour_option,
    wait_segments_option,
)


@click.command(epilog=EPILOG)
@network_option
@objective_option
@solver_option
@time_limit_option
@usd_per_load_hour_option
@wait_segments_option
@format_option
@output_option
def solve(network_dir: Path | None, objective: str, solver: str, time_limit_s: float | None,
          usd_per_load_hour: float, wait_segments: int, fmt: str, output: Path | None) -> None:
    """Lead-time-optimal flows from plants and origins to markets."""
    from routing.cli.format import format_solve

    network = load_network(network_dir)
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


@click.command(epilog=EPILOG)
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
    from routing.cli.format import format_frames
    from routing.results.crossings import by_crossing

    network = load_network(network_dir)
    result = _solve(network, wait_segments=wait_segments)
    table = by_crossing(result.crossings)
    if fmt == "json":
        emit(json.dumps(table.to_dicts(), indent=2), output)
    else:
        emit(format_frames({"Crossings (wait at the solved utilisation; values in load-hours/day)":
                             table.drop("lane_types"), "By lane type": result.crossings}), output)
