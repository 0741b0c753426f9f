"""The horizon family: ``nearshore disrupt``'s time-expanded LP on the built-in and corridor networks,
7 to 56 days, timed against one steady-state solve of the same network in the same run.

Each instance is timed on the path ``nearshore disrupt --event close:X:2-4`` runs (its busiest
crossing closed on days 2-4): the day networks of the event, then :func:`solve_disruption` (the
steady state whose flows fill the pipeline, the no-event baseline and the events' run, each an LP
of the steps from the first event day when the steady state can run until then, certified,
tie-broken and checked, the two at the same time when both start from the steady state, and the
per-day frames). The reference is one steady-state solve of the
same network and objective as ``nearshore solve`` runs it (``LeadTimeModel(network).solve()``,
solver ``auto``), timed in the same run. Every answer passes the independent check before its time
counts.

An instance with a ``method`` (``nearshore``'s :data:`routing.analysis.disrupt.HORIZON_METHOD`, e.g.
``"decomposition"``) runs the same path with that method and then with the default one in the same
process, and records its CPU seconds against the default's (``ratio_to_default``, both timed by
``getrusage``) as well as against one steady solve.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from statistics import median
from typing import Any

from networks import Network, read_network
from networks.arrays import KINDS
from networks.generate import corridor_network
from routing.options import DEFAULT_STEP_H

SEED = 20261
STEADY_RUNS = 3
TARGET_RATIO = 10.0
"""Issue 15's goal: the built-in network for 28 days at the default step in at most 10x one steady solve."""


@dataclass(frozen=True, slots=True)
class HorizonSpec:
    name: str
    network: str
    build: Callable[[], Network]
    days: int
    suites: frozenset[str]
    step_h: float = DEFAULT_STEP_H
    method: str | None = None  # HORIZON_METHOD to run (None: the default), timed against the default


_QUICK, _FULL = frozenset({"quick", "full"}), frozenset({"full"})
HORIZONS: tuple[HorizonSpec, ...] = (
    HorizonSpec("horizon-corridor-1e3-7d", "corridor-1e3", partial(corridor_network, n_links=1000, seed=SEED), 7,
                _QUICK),
    *(HorizonSpec(f"horizon-builtin-{d}d", "builtin", read_network, d, _FULL) for d in (7, 14, 28)),
    *(HorizonSpec(f"horizon-corridor-1e3-{d}d", "corridor-1e3", partial(corridor_network, n_links=1000, seed=SEED),
                  d, _FULL) for d in (28, 56)),
    HorizonSpec("horizon-builtin-7d-decomposition", "builtin", read_network, 7, _FULL, method="decomposition"),
    HorizonSpec("horizon-corridor-1e3-7d-decomposition", "corridor-1e3",
                partial(corridor_network, n_links=1000, seed=SEED), 7, _FULL, method="decomposition"),
)

HORIZON_NAMES = frozenset(spec.name for spec in HORIZONS)
"""The horizon instances, which ``nearshore bench --instance NAME`` runs alone, whatever the suite."""


def busiest_crossing(network: Network, steady: Any) -> str:
    """The border crossing that carries the most loads in the steady state."""
    import numpy as np

    arrays = network.arrays
    flow = steady._frames.solution.flow.sum(axis=0)
    through = np.bincount(arrays.head, flow, arrays.n_nodes)
    crossing = arrays.kind == KINDS.index("border_crossing")
    best = int(np.argmax(np.where(crossing, through, -1.0)))
    return str(network.nodes["id"][best])


def _cpu_s() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _with_method(method: str | None, solve: Callable[[], Any]) -> tuple[Any, float, float]:
    """``solve()`` with ``HORIZON_METHOD`` set to ``method`` (None: as it is), the cache of solved LPs
    empty: its result, wall and CPU seconds."""
    from routing.analysis import disrupt

    saved, cache = disrupt.HORIZON_METHOD, dict(disrupt._SOLVED)
    disrupt.HORIZON_METHOD = method or saved
    disrupt._SOLVED.clear()
    try:
        wall, cpu = time.perf_counter(), _cpu_s()
        result = solve()
        return result, time.perf_counter() - wall, _cpu_s() - cpu
    finally:
        disrupt.HORIZON_METHOD = saved
        disrupt._SOLVED.clear()
        disrupt._SOLVED.update(cache)


def run_horizon(spec: HorizonSpec) -> dict[str, Any]:
    """Time one horizon instance; returns the numbers a record needs."""
    from routing import LeadTimeModel
    from routing.analysis.disrupt import HORIZON_METHOD, solve_disruption
    from routing.scenarios.horizon import day_networks, parse_event

    network = spec.build()
    steady_s, highs_s = [], []
    for _ in range(STEADY_RUNS):
        start = time.perf_counter()
        steady = LeadTimeModel(network).solve()  # as nearshore solve: solver auto, objective lead_time
        steady_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        LeadTimeModel(network, solver="highs", warm_start=False).solve()  # the LP the horizon's solver sees
        highs_s.append(time.perf_counter() - start)
    crossing = busiest_crossing(network, steady)
    cpu = _cpu_s()
    LeadTimeModel(network).solve()
    steady_cpu = _cpu_s() - cpu

    def solve() -> Any:
        base, days = day_networks(network, [parse_event(f"close:{crossing}:2-4", network)], spec.days)
        return solve_disruption(base, days, step_h=spec.step_h)

    result, total, total_cpu = _with_method(spec.method, solve)
    out = {"network": network, "steady_s": median(steady_s), "steady_highs_s": median(highs_s), "total_s": total,
           "result": result, "crossing": crossing, "cpu_s": total_cpu, "steady_cpu_s": steady_cpu}
    if spec.method is not None and spec.method != HORIZON_METHOD:
        default, _, default_cpu = _with_method(None, solve)
        out |= {"default_method": HORIZON_METHOD, "default_cpu_s": default_cpu,
                "default_objective": default.objective}
    return out


def run_horizons(suite: str, record_type: Any, say: Callable[[str], None], *,
                 names: Sequence[str] | None = None) -> list[Any]:
    """One record per horizon instance of ``suite``, or per instance in ``names`` whatever its suite
    (``record_type`` is the runner's Record)."""
    records = []
    for spec in (s for s in HORIZONS if (suite in s.suites if names is None else s.name in names)):
        say(f"horizon {spec.name}: {spec.days} days of {spec.step_h:g} h")
        try:
            out = run_horizon(spec)
        except Exception as failure:  # noqa: BLE001 - a failing instance is a result, not a crash of the suite
            records.append(record_type(suite=suite, instance=spec.name, family="horizon", links=0, nodes=0,
                                       commodities=0, solver="horizon", error=f"{type(failure).__name__}: {failure}"))
            continue
        net, result = out["network"], out["result"]
        ok = result.status.value == "optimal"
        versus = (f"; method {spec.method}: {out['cpu_s']:.1f} s CPU = {out['cpu_s'] / out['default_cpu_s']:.2f}x "
                  f"{out['default_method']} ({out['default_cpu_s']:.1f} s CPU)" if "default_cpu_s" in out else "")
        records.append(record_type(
            suite=suite, instance=spec.name, family="horizon", links=net.links.height, nodes=net.nodes.height,
            commodities=net.commodities.height, solver="horizon", median_s=out["total_s"], min_s=out["total_s"],
            max_s=out["total_s"], runs=1, objective=result.objective,
            note=f"{spec.days} d x {spec.step_h:g} h, close {out['crossing']} days 2-4; "
                 f"{out['total_s'] / out['steady_s']:.0f}x one steady solve (auto), "
                 f"{out['total_s'] / out['steady_highs_s']:.0f}x one steady HiGHS solve; LPs: baseline "
                 f"{result.horizon.get('baseline_solve_s', 0.0):.1f} s, events {result.horizon.get('event_solve_s', 0.0):.1f} s"
                 f"{' at the same time' if result.horizon.get('concurrent') else ', one after the other'}{versus}",
            error="" if ok else f"status {result.status.value}: {result.detail}",
            extras={"days": spec.days, "step_h": spec.step_h, "steady_s": out["steady_s"],
                    "ratio_to_steady": out["total_s"] / out["steady_s"], "steady_highs_s": out["steady_highs_s"],
                    "ratio_to_steady_highs": out["total_s"] / out["steady_highs_s"], "build_s": result.build_s,
                    "solver_s": result.solve_s, "baseline_solve_s": result.horizon.get("baseline_solve_s"),
                    "event_solve_s": result.horizon.get("event_solve_s"),
                    "concurrent": result.horizon.get("concurrent"),
                    **{f"lp_{k}": v for k, v in result.sizes.items()},
                    "backlog_peak_loads": result.recovery.get("backlog_peak_loads"),
                    "days_to_recover": result.recovery.get("days_to_recover"), "method": spec.method,
                    "cpu_s": out["cpu_s"], "ratio_to_steady_cpu": out["cpu_s"] / max(out["steady_cpu_s"], 1e-9),
                    **({"default_method": out["default_method"], "default_cpu_s": out["default_cpu_s"],
                        "ratio_to_default": out["cpu_s"] / out["default_cpu_s"],
                        "default_objective": out["default_objective"]} if "default_cpu_s" in out else {})}))
    return records


def horizon_target(records: list[Any]) -> dict[str, Any]:
    """The issue's goal, met or not (None when the suite did not run the 28-day built-in instance)."""
    hit = [r for r in records if r.instance == "horizon-builtin-28d" and not r.error and r.median_s is not None]
    target = f"built-in 28 d horizon at {DEFAULT_STEP_H:g} h in <= {TARGET_RATIO:g}x one steady solve"
    if not hit:
        return {"target": target, "measured": "not measured (full suite)", "met": None}
    ratio = hit[0].extras["ratio_to_steady"]
    return {"target": target, "measured": f"{hit[0].median_s:.1f} s = {ratio:,.0f}x {hit[0].extras['steady_s']:.3f} s",
            "met": ratio <= TARGET_RATIO}
