"""`nearshore disrupt`: days, not a snapshot: dated events, backlog and recovery over a horizon.

Exit codes: 0 ok, 2 bad usage or input (an event that does not parse or names an unknown id, days
past the horizon, a step that does not divide the day, --plot with a bad suffix or without
matplotlib), 3 no solution.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from routing.cli.exits import EPILOG, NoSolution
from routing.cli.io import emit, load_network, report_provenance, write_report
from routing.cli.options import check_plot_path, format_option, network_option, output_option, report_option
from routing.options import DEFAULT_HORIZON_DAYS, DEFAULT_STEP_H, MAX_HORIZON_DAYS, STEPS_OF_A_DAY


def check_step(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and value not in STEPS_OF_A_DAY:
        raise click.BadParameter("the step must divide the day: one of "
                                 + ", ".join(f"{s:g}" for s in STEPS_OF_A_DAY) + f" hours, got {value:g}")
    return value


@click.command("disrupt", epilog=EPILOG)
@network_option
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path), default=None,
              help="A scenario TOML or library name (nearshore scenarios, e.g. episodes/texas_dps_inspections_2022): "
                   "its changes (with days = [first, last] for dated ones) and [horizon].")
@click.option("--days", "n_days", type=click.IntRange(1, MAX_HORIZON_DAYS), default=None,
              help=f"Days in the horizon. Default: the scenario's [horizon], else {DEFAULT_HORIZON_DAYS}.")
@click.option("--step-h", "step_h", type=float, default=None, callback=check_step,
              help=f"Hours per step (divides 24). Default: the scenario's, else {DEFAULT_STEP_H:g}.")
@click.option("--event", "events", multiple=True, metavar="EVENT",
              help="close:ID:FIRST-LAST, scale:ID[.FIELD]:FACTOR:FIRST-LAST or set:ID.FIELD:VALUE:FIRST-LAST "
                   "(days from 0, inclusive; repeat).")
@click.option("--inventory-days", type=click.FloatRange(min=0), default=None,
              help="Days of demand in stock at each market, for time_to_survive_days. Default: 3.")
@format_option
@output_option
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None,
              help="Write backlog and lead time by day as PNG, SVG or PDF (pip install 'nearshore[plot]').")
@report_option
def disrupt(network_dir: Path | None, scenario_path: Path | None, n_days: int | None, step_h: float | None,
            events: tuple[str, ...], inventory_days: float | None, fmt: str, output: Path | None,
            plot_path: Path | None, report_path: Path | None) -> None:
    """Days, not a snapshot: dated disruptions with backlog and recovery.

    Solves a time-expanded network over the horizon, starting from today's steady state (the loads
    already dispatched are in the pipeline), with the events on their days, and against the same
    horizon with no events. Prints the recovery summary and the backlog by day.
    """
    from routing.analysis.disrupt import DEFAULT_INVENTORY_DAYS

    check_plot_path(plot_path)
    result = run_disrupt(network_dir, scenario_path, n_days=n_days, step_h=step_h, events=events,
                         inventory_days=DEFAULT_INVENTORY_DAYS if inventory_days is None else inventory_days)
    if not result.status.has_solution:
        raise NoSolution(f"solver {result.solver} ended {result.status.value} {result.detail}".strip())
    if fmt == "json":
        text = json.dumps(result.to_dict(), indent=2)
    elif fmt == "csv":
        text = result.days.write_csv()
    else:
        text = format_disrupt(result)
    emit(text, output)
    if plot_path is not None:
        from routing.cli.plot import plot_disruption

        plot_disruption(result, plot_path)
        click.echo(f"wrote {plot_path}", err=True)
    if report_path is not None:
        from routing.report import build_report

        meta = report_provenance(None, command="nearshore disrupt", solver=result.solver, network_dir=network_dir
                                 and str(network_dir), scenario=scenario_path and str(scenario_path), days=n_days,
                                 step_h=step_h, event=events, inventory_days=inventory_days)
        write_report(build_report(disrupt=result, provenance=meta), report_path)


def run_disrupt(network_dir: Path | None, scenario_path: Path | None, *, n_days: int | None, step_h: float | None,
                events: tuple[str, ...], inventory_days: float) -> Any:
    """Read the network and scenario, turn the events into day networks, solve."""
    from routing.analysis.disrupt import solve_disruption
    from routing.options import SolveOptions
    from routing.scenarios import BUILTIN, load_scenarios
    from routing.scenarios.horizon import day_networks, parse_event

    changes: list[Any] = []
    options = SolveOptions()
    horizon_days, horizon_step = DEFAULT_HORIZON_DAYS, DEFAULT_STEP_H
    network_source = network_dir
    if scenario_path is not None:
        points = load_scenarios([scenario_path])  # a file, or a library name as nearshore scenarios lists it
        if len(points) > 1:
            from networks import InputError
            from routing.scenarios.schema import ScenarioProblem

            raise InputError([ScenarioProblem(str(scenario_path), f"a sweep gives {len(points)} scenarios and "
                                              "disrupt runs one; run the sweep with nearshore batch", field="sweep")])
        scenario = points[0]
        changes = list(scenario.changes)
        solver = scenario.solver
        options = SolveOptions(objective=solver.objective, time_limit_s=solver.time_limit_s,
                               usd_per_load_hour=solver.usd_per_load_hour)
        if scenario.horizon is not None:
            horizon_days, horizon_step = scenario.horizon.days, scenario.horizon.step_h
        if network_dir is None and scenario.network != BUILTIN:
            network_source = Path(scenario.network)
    network = load_network(network_source)
    changes += [parse_event(text, network) for text in events]
    days = n_days or horizon_days
    base, per_day = day_networks(network, changes, days, source=str(scenario_path or "--event"))
    return solve_disruption(base, per_day, step_h=step_h or horizon_step, inventory_days=inventory_days,
                            options=options)


def format_disrupt(result: Any) -> str:
    """The recovery summary, then one line per day: backlog, delivered of demand, lead time."""
    rec, hz = result.recovery, result.horizon
    recover = (f"{rec['days_to_recover']} days after the last event" if rec["recovered"]
               else "NOT recovered within the horizon")
    lines = [
        f"horizon {hz['days']} days of {hz['step_h']:g} h steps · events on days "
        f"{_ranges(hz['event_days']) or 'none'} · solver {result.solver} · status {result.status.value} · "
        f"build {result.build_s:.2f} s · solve {result.solve_s:.2f} s",
        f"backlog peak {rec['backlog_peak_loads']:,.1f} loads"
        + (f" on day {rec['backlog_peak_day']}" if rec["backlog_peak_day"] is not None else "")
        + f" · recovered: {recover} (backlog under {rec['recovered_below_loads']:,.1f} loads)",
        f"extra load-hours {rec['extra_load_hours']:,.0f} against no events · undelivered at the end "
        f"{rec['undelivered_at_end_loads']:,.1f} loads",
    ]
    risky = [m for m in rec["markets"] if m["at_risk"]]
    lines.append(f"markets whose {rec['inventory_days']:g} days of stock run out: {len(risky)} of {len(rec['markets'])}")
    for m in sorted(risky, key=lambda m: m["time_to_survive_days"])[:10]:
        ttr = "not within the horizon" if m["time_to_recover_days"] is None else f"{m['time_to_recover_days']} d"
        lines.append(f"  {m['market']:<8} {m['commodity']:<16} survives {m['time_to_survive_days']} d, "
                     f"recovers {ttr}, peak backlog {m['backlog_peak_loads']:,.1f}")
    lines += ["", "Backlog by day"]
    from routing.analysis.disrupt import daily_totals

    daily = daily_totals(result.days)
    events = set(hz["event_days"])
    for row in daily.iter_rows(named=True):
        lead_h = row["avg_lead_time_h"]
        lead = "" if lead_h is None or lead_h != lead_h else f" · dispatch lead {lead_h:.1f} h"
        mark = "*" if row["day"] in events else " "
        lines.append(f"  day {row['day']:>3}{mark} backlog {row['backlog_loads']:>10,.1f} · delivered "
                     f"{row['delivered_loads']:>10,.1f} of {row['demand_loads']:,.1f} · late {row['late_loads']:,.1f}"
                     + lead)
    lines.append("  (* event day; dispatch lead: demand-weighted over the rows whose loads all land in the horizon)")
    return "\n".join(lines)


def _ranges(days: list[int]) -> str:
    out, start = [], None
    for i, day in enumerate(days):
        if start is None:
            start = day
        if i + 1 == len(days) or days[i + 1] != day + 1:
            out.append(f"{start}" if start == day else f"{start}-{day}")
            start = None
    return ", ".join(out)
