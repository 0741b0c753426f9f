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
