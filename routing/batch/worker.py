"""One worker's side of a batch: apply a scenario's changes, solve with a kept model, return its row and frames."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from networks import InputError, Network
from networks.network import NetworkDelta
from routing.formulation.lp import structure_key
from routing.model import LeadTimeModel
from routing.options import Objective, SolveOptions
from routing.results.schemas import BOTTLENECKS_SCHEMA, LANES_SCHEMA, UNMET_SCHEMA
from routing.scenarios import Scenario, apply_changes

FAILED = "failed"
MAX_MODELS = 8  # LeadTimeModels kept per worker, one per network structure (least recently used goes)

SUMMARY_SCHEMA = pl.Schema({
    "scenario": pl.String, "status": pl.String, "avg_lead_time_h": pl.Float64, "change_vs_base_pct": pl.Float64,
    "base_scenario": pl.String,
    "unmet_loads_per_day": pl.Float64, "served_loads_per_day": pl.Float64, "objective": pl.Float64,
    "total_cost_usd_per_day": pl.Float64, "top_bottleneck": pl.String, "top_bottleneck_saved_per_unit": pl.Float64,
    "solve_s": pl.Float64, "build_s": pl.Float64, "wall_s": pl.Float64, "reused_lp": pl.Boolean,
    "error": pl.String, "point": pl.String, "objective_kind": pl.String, "solver": pl.String,
    "network": pl.String, "description": pl.String, "event": pl.String, "source": pl.String,
    "scenario_hash": pl.String, "frames": pl.String, "frames_hash": pl.String,
    "unmet_share": pl.Float64, "cost_change_vs_base_pct": pl.Float64, "comparable": pl.Boolean,
    "comparable_reason": pl.String, "backlog_peak_loads": pl.Float64, "days_to_recover": pl.Int64,
    "lead_time_bound_h": pl.Float64, "gain_pct": pl.Float64,
})
"""Columns of ``summary.parquet``. ``status`` is a :class:`routing.Status` value or ``failed``;
``objective`` is in the unit of ``objective_kind`` (load-h/day under ``lead_time``, USD/day otherwise)
and includes the penalty on unmet loads; ``unmet_share`` is unmet over demanded loads.
``change_vs_base_pct`` compares ``avg_lead_time_h`` and ``cost_change_vs_base_pct`` compares
``total_cost_usd_per_day`` with those of ``base_scenario``, the reference of the scenario's network
and solver options (see :func:`routing.batch.runner.run_batch`). An average over other loads is no
comparison: when the loads served differ from the base's by more than
:data:`routing.batch.runner.COMPARABLE_SERVED_TOL` (relative), ``comparable`` is false,
``comparable_reason`` says why and ``change_vs_base_pct`` is null (the cost change stays: it is a
total, read it beside ``served_loads_per_day``). ``backlog_peak_loads`` and ``days_to_recover`` are
those of a scenario with a ``[horizon]`` (run as ``nearshore disrupt`` runs it; ``days_to_recover``
is null when it does not recover within the horizon), null for steady scenarios.
``lead_time_bound_h`` is the average lead time of the same variant routed for the least lead time
(the bound of ``avg_lead_time_h`` under ``as_operated``, ``cost`` or ``blend``; the same number
under ``lead_time``) and ``gain_pct`` the share of ``avg_lead_time_h`` the bound saves (null for
horizon scenarios and when nothing is served)."""
TIMING_COLUMNS = ("solve_s", "build_s", "wall_s", "reused_lp")
"""Columns that depend on the machine and on what a worker solved before, not on the scenario."""
RECORD_COLUMNS = ("frames", "frames_hash")
"""Columns that record which frames were written with the scenario (and their content hash, which
``--resume`` checks), not its answer."""
FRAMES = {"lanes": LANES_SCHEMA, "bottlenecks": BOTTLENECKS_SCHEMA, "unmet": UNMET_SCHEMA}


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    """What a worker returns for one scenario: its summary row and its result frames."""

    row: dict[str, Any]
    frames: dict[str, pl.DataFrame]

    @property
    def name(self) -> str:
        return self.row["scenario"]


class ScenarioRunner:
    """Solves scenarios in one process: the base networks and a few kept models.

    Example
    -------
    >>> from networks import read_network
    >>> from routing.scenarios import BUILTIN, Scenario
    >>> runner = ScenarioRunner({BUILTIN: read_network()})
    >>> runner.run(Scenario(name="base")).row["status"]
    'optimal'
    """

    def __init__(self, networks: dict[str, Network], *, max_models: int = MAX_MODELS,
                 frames: Sequence[str] = tuple(FRAMES)) -> None:
        self.networks = networks
        self.max_models = max_models
        self.frames = tuple(frames)  # result frames returned with each outcome (built only if asked for)
        self._models: OrderedDict[tuple[str, str], LeadTimeModel] = OrderedDict()
        self._structures: dict[str, str] = {}

    def run(self, scenario: Scenario, delta: NetworkDelta | None = None) -> ScenarioOutcome:
        """Apply the scenario's changes (or rebuild its variant from ``delta``, the changes the
        driver applied already: see :meth:`networks.Network.delta_from`), solve, and build the frames
        asked for; a failure at any of these steps becomes a ``failed`` outcome with its reason, and
        the batch goes on."""
        start = time.perf_counter()
        if scenario.horizon is not None:
            return self._run_horizon(scenario, start)
        base = self.networks[scenario.network]
        try:
            variant = base.with_delta(delta) if delta is not None else apply_changes(
                base, scenario.changes, source=scenario.source or scenario.name)
        except InputError as bad:
            return failed_outcome(scenario, "bad change: " + "; ".join(map(str, bad.problems)), start)
        except ValueError as bad:  # a delta of another base network
            return failed_outcome(scenario, f"bad change: {bad}", start)
        try:
            return self._solve(scenario, variant, start)
        except Exception as exc:  # noqa: BLE001 - a failing scenario is recorded and the batch goes on
            return failed_outcome(scenario, f"solver error: {type(exc).__name__}: {exc}", start)

    def _solve(self, scenario: Scenario, variant: Network, start: float) -> ScenarioOutcome:
        model = self._model(scenario, variant)
        reused = model.reused
        result = model.solve(variant)
        top, saved = result.top_bottleneck
        solved = result.status.has_solution
        row = _row(scenario) | {
            "status": result.status.value, "avg_lead_time_h": result.avg_lead_time_h,
            "unmet_loads_per_day": result.unmet_loads_per_day if solved else None,
            "served_loads_per_day": result.served_loads_per_day if solved else None,
            "unmet_share": _share(result.unmet_loads_per_day, result.served_loads_per_day) if solved else None,
            "objective": result.objective, "total_cost_usd_per_day": result.total_cost_usd_per_day if solved else None,
            "top_bottleneck": top, "top_bottleneck_saved_per_unit": saved,
            "solve_s": result.solve_s, "build_s": result.build_s, "reused_lp": model.reused > reused,
            "solver": result.solver, "wall_s": time.perf_counter() - start,
            "error": None if solved else f"no solution: solver {result.solver} ended {result.status.value} "
                                         f"{result.detail}".strip(),
        }
        row |= self._bound(scenario, variant, result.avg_lead_time_h)
        frames = {name: getattr(result, name) for name in self.frames}  # built here, inside the scenario's try
        return ScenarioOutcome(row, frames)

    def _bound(self, scenario: Scenario, variant: Network, avg_h: float | None) -> dict[str, float | None]:
        """The lead-time optimum of the variant beside the routing asked for, and the share it saves."""
        if avg_h is None:
            return {}
        bound = avg_h
        if scenario.solver.objective != Objective.LEAD_TIME:
            bound = self._model(_fastest(scenario), variant).solve(variant).avg_lead_time_h
        return {"lead_time_bound_h": bound,
                "gain_pct": 100.0 * (1.0 - bound / avg_h) if bound is not None and avg_h > 0 else None}

    def warm(self, scenario: Scenario) -> None:
        """Build the kept models that variants of ``scenario``'s network and solver options solve
        with (its lead-time bound's too), as their first variant would: a worker started ahead
        does this while the driver still checks the scenarios."""
        if scenario.horizon is not None:
            return
        base = self.networks[scenario.network]
        self._model(scenario, base)
        if scenario.solver.objective != Objective.LEAD_TIME:
            self._model(_fastest(scenario), base)

    def _run_horizon(self, scenario: Scenario, start: float) -> ScenarioOutcome:
        """A scenario with a ``[horizon]``: its days solved as ``nearshore disrupt`` does."""
        from routing.analysis.disrupt import solve_disruption
        from routing.options import SolveOptions
        from routing.scenarios.horizon import day_networks

        source = scenario.source or scenario.name
        try:
            base, days = day_networks(self.networks[scenario.network], scenario.changes, scenario.horizon.days,
                                      source=source)
        except InputError as bad:
            return failed_outcome(scenario, "bad change: " + "; ".join(map(str, bad.problems)), start)
        options = scenario.solver
        try:
            result = solve_disruption(base, days, step_h=scenario.horizon.step_h, options=SolveOptions(
                objective=options.objective, time_limit_s=options.time_limit_s,
                usd_per_load_hour=options.usd_per_load_hour))
        except Exception as exc:  # noqa: BLE001 - a failing scenario is recorded and the batch goes on
            return failed_outcome(scenario, f"solver error: {type(exc).__name__}: {exc}", start)
        solved = result.status.has_solution
        recovery = result.recovery
        row = _row(scenario) | {
            "status": result.status.value, "objective": result.objective, "solve_s": result.solve_s,
            "build_s": result.build_s, "reused_lp": False, "solver": result.solver,
            "wall_s": time.perf_counter() - start,
            "backlog_peak_loads": recovery.get("backlog_peak_loads") if solved else None,
            "days_to_recover": recovery.get("days_to_recover") if solved else None,
            "error": None if solved else f"no solution: solver {result.solver} ended {result.status.value} "
                                         f"{result.detail}".strip(),
        }
        return ScenarioOutcome(row, {name: FRAMES[name].to_frame() for name in self.frames})

    def _model(self, scenario: Scenario, variant: Network) -> LeadTimeModel:
        """The model that solves this variant, chosen so that its answer never depends on what this
        worker solved before: a variant with the structure of its base network re-solves the base's
        kept LP from the base's optimal basis; any other variant is solved cold by a model of its own."""
        base = self.networks[scenario.network]
        options = SolveOptions.of(objective=scenario.solver.objective, solver=scenario.solver.solver,
                                  time_limit_s=scenario.solver.time_limit_s,
                                  usd_per_load_hour=scenario.solver.usd_per_load_hour)
        if structure_key(variant.arrays) != self._structure(scenario.network, base):
            return LeadTimeModel(variant, options, warm_start=False)
        key = (scenario.network, scenario.solver.model_dump_json())
        model = self._models.pop(key, None)
        if model is None:
            model = LeadTimeModel(base, options)
            model.solve()  # the anchor: every variant warm-starts from this basis
        self._models[key] = model
        while len(self._models) > self.max_models:
            self._models.popitem(last=False)
        return model

    def _structure(self, name: str, base: Network) -> str:
        if name not in self._structures:
            self._structures[name] = structure_key(base.arrays)
        return self._structures[name]


def _fastest(scenario: Scenario) -> Scenario:
    """The scenario routed for the least lead time (its bound)."""
    return scenario.model_copy(update={"solver": scenario.solver.model_copy(update={"objective": Objective.LEAD_TIME})})


def _share(unmet: float, served: float) -> float | None:
    total = unmet + served
    return unmet / total if total > 0 else None


def _row(scenario: Scenario) -> dict[str, Any]:
    """The summary row of a scenario before it is solved: its identity, every number empty."""
    row: dict[str, Any] = dict.fromkeys(SUMMARY_SCHEMA.names())
    return row | {"scenario": scenario.name, "point": scenario.point_label() or None,
                  "objective_kind": scenario.solver.objective.value, "network": scenario.network,
                  "description": scenario.description, "event": scenario.event, "source": scenario.source}


def failed_outcome(scenario: Scenario, error: str, start: float) -> ScenarioOutcome:
    row = _row(scenario) | {"status": FAILED, "error": error, "wall_s": time.perf_counter() - start}
    return ScenarioOutcome(row, {name: schema.to_frame() for name, schema in FRAMES.items()})
