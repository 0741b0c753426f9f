"""A suite's results as ``results.json`` (a list of records), ``summary.json`` and ``results.md``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_line
from benchmarks.runner import Record, SuiteResult

REQUIRED_KEYS = ("suite", "instance", "links", "commodities", "solver", "median_s", "ratio_to_raw_mcf", "objective")


def write_results(result: SuiteResult, out_dir: str | Path) -> list[Path]:
    """Write ``results.json``, ``summary.json`` (machine, phases, auto choice, cold start,
    targets) and ``results.md`` into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = [_json_safe(r.to_dict()) for r in result.records]
    summary = {"suite": result.suite, "started": result.started, "elapsed_s": result.elapsed_s,
               "machine": result.machine, "phases": result.phases, "auto_choice": result.auto_choice,
               "cold_start": result.cold_start, "targets": result.targets}
    paths = [out / "results.json", out / "summary.json", out / "results.md"]
    paths[0].write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    paths[1].write_text(json.dumps(_json_safe(summary), indent=1) + "\n", encoding="utf-8")
    paths[2].write_text(format_markdown(result), encoding="utf-8")
    return paths


def _json_safe(value: Any) -> Any:
    """Floats that JSON cannot hold (nan, inf) become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def format_markdown(result: SuiteResult) -> str:
    """The whole report: machine, solvers side by side, auto choice, phases, batch, cold start, targets."""
    parts = [
        f"# nearshore bench: suite `{result.suite}`",
        f"Run {result.started}, {result.elapsed_s:.0f} s in all; reproduce with `nearshore bench --suite {result.suite}`.",
        f"Machine: {machine_line(result.machine)}",
        "## Solvers side by side\n\nMedian of the runs (min–max); `x raw` is the time over the raw OR-Tools "
        "`SimpleMinCostFlow` call on prepared arrays, `x best` over the fastest peer; objectives "
        "(load-hours per day) are cross-checked.\n\n" + solver_table(result.records),
        "## `--solver auto`\n\n" + auto_table(result.auto_choice),
        "## Where nearshore's time goes (seconds)\n\n" + phases_table(result.phases),
        "## Batch throughput\n\n" + batch_table(result.records),
        "## Cold start\n\n" + cold_start_text(result.records),
        "## Targets\n\n" + targets_table(result.targets),
    ]
    errors = [f"- {r.instance} / {r.solver}: {r.error}" for r in result.errors]
    if errors:
        parts.append("## Errors\n\n" + "\n".join(errors))
    return "\n\n".join(parts) + "\n"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) if rows else "(nothing measured)"


def _s(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}" if value < 1 else f"{value:.2f}"


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def solver_table(records: list[Record]) -> str:
    """One row per (instance, peer) measurement."""
    rows = [
        [r.instance, f"{r.links:,}", str(r.commodities), r.solver,
         _s(r.median_s), f"{_s(r.min_s)}–{_s(r.max_s)}" if r.median_s is not None else "–", str(r.runs),
         _x(r.ratio_to_raw_mcf), _x(r.ratio_to_best), "–" if r.objective is None else f"{r.objective:,.1f}",
         "–" if r.peak_rss_mb is None else f"{r.peak_rss_mb:,.0f}", _record_note(r)]
        for r in records if r.family not in ("batch", "cold-start")
    ]
    header = ["instance", "links", "k", "solver", "median s", "min–max s", "runs", "x raw", "x best",
              "objective", "peak RSS MB", "note"]
    return _table(header, rows)


def _record_note(record: Record) -> str:
    parts = [f"**error: {record.error}**"] if record.error else []
    if record.note:
        parts.append(record.note)
    if record.extras.get("chosen"):
        parts.append(f"auto → {record.extras['chosen']}, solver {record.extras['solver_s'] * 1000:.1f} ms")
    if record.extras.get("build_s") is not None:
        parts.append(f"build {record.extras['build_s'] * 1000:.1f} ms, solver {record.extras['solver_s'] * 1000:.1f} ms")
    if record.extras.get("read_dimacs_s") is not None:
        parts.append(f"read_dimacs {record.extras['read_dimacs_s'] * 1000:.1f} ms")
    return "; ".join(parts)


def auto_table(rows: list[dict[str, Any]]) -> str:
    """Which backend auto chose against the measured backend times."""
    body = [[r["instance"], r["chosen"], _s(r["chosen_s"]), r["fastest"], _s(r["fastest_s"]),
             ", ".join(f"{name} {_s(seconds)}" for name, seconds in sorted(r["backends"].items(), key=lambda i: i[1])),
             "yes" if r["right"] else "**no**"] for r in rows]
    return _table(["instance", "auto chose", "its s", "fastest", "fastest s", "all backends (s)", "right"], body)


def phases_table(phases: dict[str, dict[str, float]]) -> str:
    """nearshore's solve path split into its phases, per instance."""
    if not phases:
        return "(nothing measured)"
    names = list(next(iter(phases.values())))
    rows = [[instance, *(_s(seconds.get(name)) for name in names), _s(sum(seconds.values()))]
            for instance, seconds in phases.items()]
    return _table(["instance", *names, "total"], rows)


def batch_table(records: list[Record]) -> str:
    """Scenarios per second of ``nearshore batch``'s runner end to end (and once its workers are warm),
    frames none against all, by processes."""
    def rate(r: Record, key: str) -> str:
        return "–" if r.median_s is None or r.extras.get(key) is None else f"{r.extras[key]:.1f}"

    rows = [[r.instance, f"{r.links:,}", str(r.extras.get("objective_kind", "–")), r.solver.removeprefix("batch-"),
             str(r.extras.get("processes", "–")), str(r.extras.get("scenarios", "–")), rate(r, "scenarios_per_s"),
             rate(r, "warm_per_s"), _s(r.median_s), f"**error: {r.error}**" if r.error else ""]
            for r in records if r.family == "batch"]
    return _table(["network", "links", "objective", "mode", "processes", "scenarios", "scenarios/s",
                   "warm scenarios/s", "s per scenario", "note"], rows)


def cold_start_text(records: list[Record]) -> str:
    """The cold-start line."""
    rows = [r for r in records if r.family == "cold-start"]
    if not rows:
        return "(not measured)"
    r = rows[0]
    if r.error:
        return f"**error: {r.error}**"
    return f"median {_s(r.median_s)} s over {r.runs} runs ({_s(r.min_s)}–{_s(r.max_s)} s): {r.note}"


def targets_table(targets: list[dict[str, Any]]) -> str:
    """Each target with its measured value and yes / no / not measured."""
    label = {True: "yes", False: "**no**", None: "not measured"}
    return _table(["target", "measured", "met"], [[t["target"], t["measured"], label[t["met"]]] for t in targets])
