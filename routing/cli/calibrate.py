"""`nearshore calibrate`: the as-operated base case against the 2024 observations."""

from __future__ import annotations

import json
from pathlib import Path

import click

from routing.cli.exits import EPILOG
from routing.cli.io import emit, load_network
from routing.cli.options import network_option, output_option


@click.command(epilog=EPILOG)
@network_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@output_option
def calibrate(network_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Modelled against observed, per crossing, per mode and per gateway, with the distance measure.

    Solves the network as operated (--objective as_operated) and compares it with the folder's
    observed.csv (2024 BTS, PMSA figures with their sources): truck POE shares of NB loads and their
    total variation distance, Laredo's truck share, rail's share of the crossing freight and Eagle
    Pass's rank, and the US port shares of the Asian loads. Each band is reported met or not.
    """
    from networks.network import builtin_path
    from routing.analysis.calibration import calibrate as run
    from routing.analysis.calibration import read_observed
    from routing.cli.format import format_frames

    network = load_network(network_dir)
    fit = run(network, read_observed(builtin_path() if network_dir is None else network_dir))
    options = fit.options
    params = {"carrying_rate": options.carrying_rate, "service_usd_per_load_hour": options.service_usd_per_load_hour}
    if fmt == "json":
        emit(json.dumps({"parameters": params, "avg_lead_time_h": fit.result.avg_lead_time_h,
                         "fit": fit.fit.to_dicts(), "comparison": fit.comparison.to_dicts()}, indent=2), output)
        return
    head = (f"as operated: carrying rate {options.carrying_rate:g}/year, service premium "
            f"US${options.service_usd_per_load_hour:g} per load-hour; average lead time "
            f"{fit.result.avg_lead_time_h:.1f} h; {int(fit.fit['met'].sum())} of {fit.fit['met'].count()} bands met")
    frames = {"Fit (TVD = total variation distance of the shares)": fit.fit}
    for group, title in (("crossing", "Truck ports of entry: share of NB loads"),
                         ("rail_crossing", "Rail crossings: share of rail freight"),
                         ("mode", "Mode"), ("gateway", "Asian loads by port of landing")):
        frames[title] = fit.comparison.filter(fit.comparison["group"] == group).drop("group")
    emit(head + "\n\n" + format_frames(frames), output)
