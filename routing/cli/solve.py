"""`nearshore solve` and `nearshore crossings`: one solve of a network, as lanes, bottlenecks and queues."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from routing.cli.exits import EPILOG, NoSolution
from routing.cli.io import emit, load_scenario_network
from routing.cli.options import (
    format_option,
    network_option,
    objective_option,
    output_option,
    scenario_option,
    solver_option,
    time_limit_option,
    usd_per_load_hour_option,
    wait_segments_option,
)


@click.command(epilog=EPILOG)
@network_option
@scenario_option
@objective_option
@solver_option
@time_limit_option
@usd_per_load_hour_option
@wait_segments_option
@format_option
@output_option
def solve(network_dir: Path | None, scenario_file: Path | None, objective: str, solver: str,
          time_limit_s: float | None, usd_per_load_hour: float, wait_segments: int, fmt: str,
          output: Path | None) -> None:
    """Lead-time-optimal flows from plants and origins to markets.

    Beside the chosen objective it solves the network as operated today (--objective as_operated:
    each load's freight cost + value of time, calibrated on 2024) and reports both average lead
    times: today's routing, the optimum, and the gain.
    """
    from routing.cli.format import format_solve

    network = load_scenario_network(network_dir, scenario_file)
    common = dict(solver=solver, time_limit_s=time_limit_s, usd_per_load_hour=usd_per_load_hour,
                  wait_segments=wait_segments)
    result = _solve(network, objective=objective, **common)
    baseline = result if objective == "as_operated" else _solve(network, objective="as_operated", **common)
    optimum = result if objective == "lead_time" else _solve(network, objective="lead_time", **common)
    line = _gain_line(baseline.avg_lead_time_h, optimum.avg_lead_time_h)
    if fmt == "json":
        text = json.dumps(result.to_dict() | {"as_operated_avg_lead_time_h": baseline.avg_lead_time_h,
                                              "lead_time_optimum_avg_lead_time_h": optimum.avg_lead_time_h},
                          indent=2)
    elif fmt == "csv":
        text = result.lanes.write_csv()
    else:
        text = format_solve(network, result, headline=line)
    emit(text, output)


def _gain_line(today: float | None, best: float | None) -> str:
    """today's routing X h, lead-time optimum Y h, gain Z %."""
    if today is None or best is None:
        return "today's routing or the lead-time optimum serves nothing"
    gain = 100.0 * (today - best) / today if today > 0 else 0.0
    return f"today's routing {today:.1f} h, lead-time optimum {best:.1f} h, gain {gain:.1f} %"


def _solve(network: Any, **options: Any) -> Any:
    """Solve, turning 'no solution' into exit code 3."""
    from routing import solve_lead_time

    result = solve_lead_time(network, **options)
    if not result.status.has_solution:
        raise NoSolution(f"solver {result.solver} ended {result.status.value} {result.detail}".strip())
    return result


@click.command(epilog=EPILOG)
@network_option
@scenario_option
@objective_option
@wait_segments_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@output_option
def crossings(network_dir: Path | None, scenario_file: Path | None, objective: str, wait_segments: int, fmt: str,
              output: Path | None) -> None:
    """Border crossings as queues: volume, utilisation, wait, value of one more lane or hour.

    Solves the network (at the least lead time unless --objective says otherwise), then reports per
    crossing (and per lane type) the modelled freight and the routed background traffic, the wait at
    the solved utilisation and the load-hours per day one more lane or one more open hour would save
    with flows held fixed. A closed crossing carries nothing: its traffic moves to the crossings it
    can reach, or is unmet.
    """
    from routing.cli.format import format_frames
    from routing.results.crossings import by_crossing

    network = load_scenario_network(network_dir, scenario_file)
    result = _solve(network, objective=objective, wait_segments=wait_segments)
    table = by_crossing(result.crossings)
    if fmt == "json":
        emit(json.dumps(table.to_dicts(), indent=2), output)
    else:
        emit(format_frames({"Crossings (wait at the solved utilisation; values in load-hours/day)":
                             table.drop("lane_types"), "By lane type": result.crossings}), output)
