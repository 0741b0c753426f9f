"""Speed of the lead-time Monte Carlo: 100,000 samples of every lane of the built-in network's
optimum, with the clock (calendars) and the regimes on, as ``nearshore compare`` samples them."""

from __future__ import annotations

import statistics
import time
from typing import Any

SAMPLES = 100_000


def measure_sampling(runs: int = 5, *, samples: int = SAMPLES) -> dict[str, Any]:
    """Wall and CPU seconds of :func:`routing.analysis.leadtime.sample_lead_times` on the built-in
    lanes (one warm-up run first, not counted)."""
    from networks import read_network
    from routing import solve_lead_time
    from routing.analysis.leadtime import sample_lead_times

    network = read_network()
    lanes = solve_lead_time(network).lanes
    sample_lead_times(network, lanes, samples=1000, seed=0)
    wall, cpu = [], []
    for run in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        sample_lead_times(network, lanes, samples=samples, seed=run)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"lanes": lanes.height, "samples": samples, "wall_s": wall, "cpu_s": cpu,
            "median_s": statistics.median(wall), "median_cpu_s": statistics.median(cpu)}


def measure_lp_gap(*, samples: int = SAMPLES, seed: int = 0) -> dict[str, Any]:
    """The built-in optimum's lanes: the LP's ``lead_time_h`` against the sampled mean and p50 without
    calendars and regimes (hours, weighted by loads per day), in three settings: every leg at its
    typical value with hours of service on (the LP's rule: a fresh driver per truck link, so 0), the
    random legs without the clock, and the random legs with hours of service (no calendars)."""
    import numpy as np
    import polars as pl

    from networks import read_network
    from routing import solve_lead_time
    from routing.analysis.leadtime import plan_lanes, sample_lead_times

    network = read_network()
    lanes = solve_lead_time(network).lanes
    none = pl.lit(None, dtype=pl.Float64)
    no_calendars = network.replace(calendars=network.calendars.clear(),
                                   crossings=network.crossings.with_columns(weekly_hours=pl.lit(None, dtype=pl.String)))
    fixed = no_calendars.replace(
        nodes=network.nodes.with_columns(dwell_p95_h=none, delay_prob=none, delay_h=none),
        links=network.links.with_columns(transit_p95_h=none, delay_prob=none, delay_h=none), legs=network.legs.clear(),
        crossings=no_calendars.crossings.with_columns(wait_p95_h=none))
    lp, loads = lanes["lead_time_h"].to_numpy(), lanes["loads_per_day"].to_numpy()
    out: dict[str, Any] = {"lanes": lanes.height, "carried_runs": len(plan_lanes(network, lanes).runs.lane)}
    for name, net, clock in (("fixed_hos", fixed, True), ("random_no_clock", no_calendars, False),
                             ("random_hos", no_calendars, True)):
        stats = sample_lead_times(net, lanes, samples=samples, seed=seed, clock=clock, regimes=False)
        gap = stats["mean_h"].to_numpy() - lp
        out[name] = {"mean_minus_lp_h": float(np.average(gap, weights=loads)), "max_h": float(gap.max()),
                     "p50_minus_lp_h": float(np.average(stats["p50_h"].to_numpy() - lp, weights=loads)),
                     "lanes_off_by_0.01_h": int((np.abs(gap) > 0.01).sum())}
    return out
