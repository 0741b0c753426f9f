"""`nearshore solve` and `nearshore crossings`: one solve of a network, as lanes, bottlenecks and queues."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from routing.cli.exits import EPILOG, solve_checked
from routing.cli.io import emit, load_network, report_provenance, write_report
from routing.cli.options import (
    format_option,
    network_option,
    objective_option,
    output_option,
    report_option,
    solver_option,
    time_limit_option,
    usd_per_load_hour_option,
    wait_segments_option,
    what_if_options,
)

market_filter = click.option("--market", "markets", multiple=True, metavar="ID",
                             help="Show only the lanes and unmet demand of this market; repeatable.")
origin_filter = click.option("--origin", "origins", multiple=True, metavar="ID",
                             help="Show only the lanes from this plant or origin; repeatable.")
commodity_filter = click.option("--commodity", "commodities", multiple=True, metavar="ID",
                                help="Show only this commodity's lanes and unmet demand; repeatable.")


@click.command(epilog=EPILOG)
@network_option
@what_if_options
@objective_option
@solver_option
@time_limit_option
@usd_per_load_hour_option
@wait_segments_option
@market_filter
@origin_filter
@commodity_filter
@click.option("--geojson", type=click.Path(path_type=Path), default=None, metavar="PATH",
              help="Also write the solved flows as a GeoJSON map: one line per link used, with its loads per "
                   "commodity as properties.")
@report_option
@format_option
@output_option
def solve(network_dir: Path | None, scenario: str | None, close: tuple[str, ...], objective: str, solver: str,
          time_limit_s: float | None, usd_per_load_hour: float, wait_segments: int, markets: tuple[str, ...],
          origins: tuple[str, ...], commodities: tuple[str, ...], geojson: Path | None, report_path: Path | None,
          fmt: str, output: Path | None) -> None:
    """Lead-time-optimal flows from plants and origins to markets.

    Prints the headline numbers, each lane with its waterfall (where the hours go), the
    bottlenecks in the objective's unit and the unmet demand with its reason. Beside the chosen
    objective it solves the network as operated today (--objective as_operated: each load's
    freight cost + value of time, calibrated on 2024) and reports both average lead times:
    today's routing, the optimum, and the gain. --market, --origin and --commodity narrow the
    lanes and unmet demand shown (the solve is always of the whole network).
    """
    from routing.cli.format import format_solve

    network = load_network(network_dir, scenario=scenario, close=close)
    check_ids(network, market=markets, origin=origins, commodity=commodities)
    common = dict(solver=solver, time_limit_s=time_limit_s, usd_per_load_hour=usd_per_load_hour,
                  wait_segments=wait_segments)
    result = solve_checked(network, objective=objective, **common)
    baseline = result if objective == "as_operated" else _beside(network, "as_operated", common)
    optimum = result if objective == "lead_time" else _beside(network, "lead_time", common)
    line = _gain_line(baseline.avg_lead_time_h, optimum.avg_lead_time_h)
    lanes, unmet = _filtered(result, markets, origins, commodities)
    if geojson is not None:
        from networks.export import flows_geojson

        write_json(flows_geojson(network, result.flows), geojson)
    if report_path is not None:
        from routing.report import build_report

        meta = report_provenance(network, command="nearshore solve", solver=result.solver, objective=objective,
                                 scenario=scenario, close=close, wait_segments=wait_segments)
        write_report(build_report(network, result, provenance=meta), report_path)
    if fmt == "json":
        text = json.dumps(result.to_dict() | {"lanes": lanes.to_dicts(), "unmet": unmet.to_dicts(),
                                              "as_operated_avg_lead_time_h": baseline.avg_lead_time_h,
                                              "lead_time_optimum_avg_lead_time_h": optimum.avg_lead_time_h},
                          indent=2)
    elif fmt == "csv":
        text = lanes.write_csv()
    else:
        text = format_solve(network, result, lanes=lanes, unmet=unmet, headline=line)
    emit(text, output)


def _beside(network: object, objective: str, common: dict[str, object]) -> object:
    """The solve of the objective reported beside the chosen one: with the asked solver where it
    suits that objective, else with ``auto`` (``mincostflow`` and ``lemon`` need whole-number
    weights, which the as-operated USD weights seldom are)."""
    from routing.model import SolverUnsuitableError

    try:
        return solve_checked(network, objective=objective, **common)
    except SolverUnsuitableError:
        return solve_checked(network, objective=objective, **(common | {"solver": "auto"}))


def _gain_line(today: float | None, best: float | None) -> str:
    """today's routing X h, lead-time optimum Y h, gain Z %."""
    if today is None or best is None:
        return "today's routing or the lead-time optimum serves nothing"
    gain = 100.0 * (today - best) / today if today > 0 else 0.0
    return f"today's routing {today:.1f} h, lead-time optimum {best:.1f} h, gain {gain:.1f} %"


def write_json(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    click.echo(f"wrote {path}", err=True)


def check_ids(network: Any, **given: tuple[str, ...]) -> None:
    """Refuse ids of the filters that the network does not have (exit 2), all at once."""
    from networks import InputError
    from networks.errors import Problem

    kinds = {"market": ("market",), "origin": ("plant", "origin")}
    known = {"commodity": set(network.commodities["id"].to_list())}
    nodes = network.nodes.select("id", "kind")
    for option, node_kinds in kinds.items():
        known[option] = set(nodes.filter(nodes["kind"].is_in(node_kinds))["id"].to_list())
    problems = [Problem(f"--{option}", f"no {option} has the id {ident!r}")
                for option, ids in given.items() for ident in ids if ident not in known[option]]
    if problems:
        raise InputError(problems)


def _filtered(result: Any, markets: tuple[str, ...], origins: tuple[str, ...],
              commodities: tuple[str, ...]) -> tuple[Any, Any]:
    import polars as pl

    lanes, unmet = result.lanes, result.unmet
    for column, ids in (("market", markets), ("origin", origins), ("commodity", commodities)):
        if ids:
            lanes = lanes.filter(pl.col(column).is_in(ids))
            unmet = unmet.filter(pl.col(column).is_in(ids)) if column != "origin" else unmet  # unmet has no origin
    return lanes, unmet
@click.command(epilog=EPILOG)
@network_option
@what_if_options
@objective_option
@wait_segments_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@output_option
def crossings(network_dir: Path | None, scenario: str | None, close: tuple[str, ...], objective: str,
              wait_segments: int, fmt: str, output: Path | None) -> None:
    """Border crossings as queues: volume, utilisation, wait, value of one more lane or hour.

    Solves the network (at the least lead time unless --objective says otherwise), then reports per
    crossing (and per lane type) the modelled freight and the routed background traffic, the wait at
    the solved utilisation and the load-hours per day one more lane or one more open hour would save
    with flows held fixed. A closed crossing carries nothing: its traffic moves to the crossings it
    can reach, or is unmet.
    """
    from routing.cli.format import format_frames
    from routing.results.crossings import by_crossing

    network = load_network(network_dir, scenario=scenario, close=close)
    result = solve_checked(network, objective=objective, wait_segments=wait_segments)
    table = by_crossing(result.crossings)
    if fmt == "json":
        emit(json.dumps(table.to_dicts(), indent=2), output)
    else:
        emit(format_frames({"Crossings (wait at the solved utilisation; values in load-hours/day)":
                             table.drop("lane_types"), "By lane type": result.crossings}), output)
