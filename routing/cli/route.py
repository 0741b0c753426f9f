"""`nearshore route ORIGIN MARKET`: how long it takes, and how the solve actually sends loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from routing.cli.exits import EPILOG, NoSolution
from routing.cli.io import emit, load_network
from routing.cli.options import network_option, output_option, what_if_options

SPREAD_SAMPLES = 20_000


@click.command("route", epilog=EPILOG)
@click.argument("origin")
@click.argument("market")
@network_option
@what_if_options
@click.option("--commodity", "commodity", default=None, metavar="ID",
              help="Show only this commodity's solved lanes (the fastest path is the same for all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@output_option
def route(origin: str, market: str, network_dir: Path | None, scenario: str | None, close: tuple[str, ...],
          commodity: str | None, fmt: str, output: Path | None) -> None:
    """The lead time from ORIGIN to MARKET (node ids; nearshore nodes --search finds them).

    Shows the fastest open path under dwell + transit with its waterfall and, when the legs have a
    spread (p95, delay events), its p50/p95/p99 by Monte Carlo; then the lanes the least-lead-time
    solve uses between the two, with their loads, queue waits and waterfalls. Exit 3 when no open
    path joins them.
    """
    import polars as pl

    from routing import solve_lead_time
    from routing.analysis.route import fastest_route
    from routing.cli.solve import check_ids

    network = load_network(network_dir, scenario=scenario, close=close)
    if commodity is not None:
        check_ids(network, commodity=(commodity,))
    fastest = fastest_route(network, origin, market)
    if fastest is None:
        raise NoSolution(f"no open path from {origin} to {market}")
    spread = _spread(network, fastest)
    result = solve_lead_time(network)
    lanes = result.lanes.filter((pl.col("origin") == origin) & (pl.col("market") == market))
    if commodity is not None:
        lanes = lanes.filter(pl.col("commodity") == commodity)
    answer = {"origin": origin, "market": market, "commodity": commodity,
              "fastest": {"lead_time_h": fastest.lead_time_h, "route": ">".join(fastest.nodes),
                          "links": ">".join(fastest.links), **fastest.waterfall, **spread},
              "solved_status": result.status.value, "solved_lanes": lanes.to_dicts()}
    emit(json.dumps(answer, indent=2) if fmt == "json" else _text(network, answer), output)


def _spread(network: Any, fastest: Any) -> dict[str, float]:
    """p50/p95/p99 of the fastest path's lead time, when any of its legs varies (else nothing)."""
    import polars as pl

    from routing.analysis.leadtime import sample_lead_times

    lane = pl.DataFrame({"origin": [fastest.origin], "links": [">".join(fastest.links)], "loads_per_day": [1.0]})
    stats = sample_lead_times(network, lane, samples=SPREAD_SAMPLES, seed=0).row(0, named=True)
    if stats["p99_h"] - stats["p50_h"] <= 1e-9 and abs(stats["p50_h"] - fastest.lead_time_h) <= 1e-9:
        return {}
    return {"p50_h": stats["p50_h"], "p95_h": stats["p95_h"], "p99_h": stats["p99_h"], "mean_h": stats["mean_h"]}


def _text(network: Any, answer: dict[str, Any]) -> str:
    from routing.cli.format import format_waterfall

    names = dict(network.nodes.select("id", "name").iter_rows())
    fast = answer["fastest"]
    lines = [f"{answer['origin']} {names[answer['origin']]} -> {answer['market']} {names[answer['market']]}",
             "",
             f"Fastest path (dwell + transit, no queue wait): {fast['lead_time_h']:.1f} h "
             f"({fast['lead_time_h'] / 24:.2f} days)",
             f"  {fast['route']}",
             f"  = {format_waterfall(fast)}"]
    if "p50_h" in fast:
        lines.append(f"  spread (Monte Carlo, {SPREAD_SAMPLES:,} samples): p50 {fast['p50_h']:.1f} h · "
                     f"p95 {fast['p95_h']:.1f} h · p99 {fast['p99_h']:.1f} h · mean {fast['mean_h']:.1f} h")
    lanes = answer["solved_lanes"]
    lines += ["", f"Solved lanes between them (least lead time, {answer['solved_status']})"]
    if not lanes:
        lines.append("  none: the solve sends no loads from this origin to this market")
    for row in lanes:
        via = f" via {row['crossing']}" if row["crossing"] else ""
        lines += [f"  {row['commodity']:<16} {row['loads_per_day']:>9,.1f} loads/day {row['lead_time_h']:>7.1f} h{via}",
                  f"    {row['route']}", f"    = {format_waterfall(row)}"]
    return "\n".join(lines)
