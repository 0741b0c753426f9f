"""The ``nearshore batch`` and ``nearshore scenarios`` commands (registered in :mod:`routing.cli.main`).

Exit codes of ``batch``: 0 every scenario ended optimal; 2 bad scenario files, found before
anything runs (or Ray missing); 3 the batch completed but some scenario did not end optimal
(failed, no solution, or stopped early); 1 unexpected error.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import click

from routing.cli.exits import EPILOG, EXIT_INTERRUPTED
from routing.cli.io import emit, report_provenance, write_report
from routing.cli.options import output_option, report_option
from routing.cli.progress import format_duration

jobs_option = click.option(
    "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
    help="Scenarios solved at once. Default: the CPUs of this machine (local) or of the cluster (ray).")
executor_option = click.option(
    "--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
    help="local: processes on this machine; ray: Ray actors (needs the 'ray' extra).")
ray_address_option = click.option(
    "--ray-address", default=None, metavar="ADDR",
    help="Address of a running Ray cluster (e.g. ray://head:10001). Default: start a local one for the run.")
out_option = click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("batch-results"), metavar="DIR",
    show_default=True, help="Folder for summary.parquet and one folder of Parquet files per scenario.")


def _frames(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    from routing.batch import FRAMES

    if value == "all":
        return tuple(FRAMES)
    if value == "none":
        return ()
    chosen = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [v for v in chosen if v not in FRAMES]
    if unknown or not chosen:
        raise click.BadParameter(f"{', '.join(unknown) or value!r}: give all, none or a comma list of "
                                 f"{', '.join(FRAMES)}")
    return chosen


frames_option = click.option(
    "--frames", default="all", show_default=True, callback=_frames, metavar="LIST",
    help="Result frames written per scenario: all, none (summary rows only, the fastest) or a comma list of "
         "lanes, bottlenecks, unmet. Frames not written are never computed.")
resume_option = click.option(
    "--resume", is_flag=True, help="Skip scenarios whose result is already in --out (failed ones run again).")


@click.command(epilog="Exit codes: 0 every scenario optimal, 2 bad scenario files, "
                      "3 some scenario not optimal (failed or no solution), 1 unexpected error, "
                      "130 interrupted (Ctrl-C; finished scenarios are kept, --resume goes on).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="SCENARIO_OR_DIR...")
@jobs_option
@executor_option
@ray_address_option
@out_option
@resume_option
@frames_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="The summary as a table, CSV (opens in a spreadsheet) or JSON (a list of row objects).")
@output_option
@report_option
def batch(paths: tuple[Path, ...], jobs: int | None, executor: str, ray_address: str | None,
          out_dir: Path, resume: bool, frames: tuple[str, ...], fmt: str, output: Path | None,
          report_path: Path | None) -> None:
    """Run scenario files or library names (and every point of their sweeps), write results, print a summary.

    A SCENARIO_OR_DIR that is no file or folder is looked up in the library (nearshore scenarios).

    Every file is checked before anything runs. Progress goes to stderr, the summary table to
    stdout; each scenario's lanes, bottlenecks and unmet demand go to OUT/scenarios/<name>/
    (see --frames).
    """
    from routing.batch import run_batch
    from routing.scenarios import load_scenarios

    if ray_address and executor != "ray":
        raise click.UsageError("--ray-address needs --executor ray")
    scenarios = load_scenarios(paths)
    progress = _Progress()
    try:
        result = run_batch(scenarios, out_dir=out_dir, jobs=jobs, executor=executor, ray_address=ray_address,
                           resume=resume, on_progress=progress.update, frames=frames)
    except KeyboardInterrupt:
        progress.end_line()
        click.echo(f"interrupted: finished scenarios are in {out_dir}; rerun with --resume to go on", err=True)
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    progress.finish(result)
    emit(summary_text(result.summary, fmt), output)
    if report_path is not None:
        from routing.report import build_report

        meta = report_provenance(None, command="nearshore batch", scenarios=tuple(str(p) for p in paths),
                                 out=str(out_dir), frames=frames)
        write_report(build_report(batch=result.summary, provenance=meta), report_path)
    if not result.all_optimal:
        from routing.cli.exits import NoSolution

        names = ", ".join(result.not_optimal[:5]) + (" ..." if len(result.not_optimal) > 5 else "")
        raise NoSolution(f"{len(result.not_optimal)} of {result.summary.height} scenarios did not end optimal "
                         f"({names}); see {out_dir / 'summary.parquet'}")


class _Progress:
    """Progress on stderr: a rich progress bar on a terminal (:class:`routing.cli.progress.ProgressBar`);
    elsewhere one line at most every few seconds. The ETA is smoothed."""

    def __init__(self, *, every_s: float = 5.0) -> None:
        from routing.cli.progress import ProgressBar

        self.bar = ProgressBar("batch")
        self.every_s = every_s
        self.last = 0.0

    def update(self, progress: Any, row: dict[str, Any]) -> None:
        now = time.monotonic()
        note = f"{progress.failed} failed" + (f", {progress.resumed} resumed" if progress.resumed else "")
        eta_s = self.bar.advance(progress.done, progress.total, note, count=progress.done > progress.resumed)
        if not self.bar.enabled and (now - self.last >= self.every_s or progress.remaining == 0):
            resumed = f" ({progress.resumed} from an earlier run)" if progress.resumed else ""
            click.echo(f"batch: {progress.done}/{progress.total} done{resumed}, {progress.failed} failed, "
                       f"{progress.remaining} remaining, ETA {format_duration(eta_s)}", err=True)
            self.last = now

    def end_line(self) -> None:
        """Stop the progress bar."""
        self.bar.stop()

    def finish(self, result: Any) -> None:
        self.end_line()
        click.echo(f"batch: {result.summary.height} scenarios ({result.ran} run, {result.resumed} resumed) in "
                   f"{format_duration(result.elapsed_s)}; wrote {result.out_dir / 'summary.parquet'}", err=True)


def format_summary(summary: Any) -> str:
    """The printed table: one row per scenario, then why a row's lead time is not compared with its
    base, and the reason of each one that did not end optimal."""
    import polars as pl

    from routing.cli.format import render_table

    table = summary.select(
        "scenario", "status",
        pl.col("avg_lead_time_h").round(1).alias("avg lead time h"),
        pl.col("lead_time_bound_h").round(1).alias("bound h"),
        (pl.col("gain_pct").round(1) + 0.0).alias("gain %"),
        (pl.col("change_vs_base_pct").round(2) + 0.0).alias("vs base %"),  # + 0.0 turns -0.0 into 0.0
        (pl.col("cost_change_vs_base_pct").round(2) + 0.0).alias("cost vs base %"),
        pl.col("served_loads_per_day").alias("served loads/day"),
        (100 * pl.col("unmet_share")).alias("unmet %"),
        pl.col("total_cost_usd_per_day").alias("cost USD/day"),
        pl.col("top_bottleneck").alias("top bottleneck"),
        pl.col("top_bottleneck_saved_per_unit").alias("value/unit"),
        pl.col("solve_s").alias("solve s"),
    )
    text = render_table(table, digits={"avg lead time h": 1, "bound h": 1, "gain %": 1, "served loads/day": 1, "unmet %": 1,
                                       "cost USD/day": 0, "value/unit": 1, "solve s": 3})
    apart = summary.filter(pl.col("comparable").not_() & pl.col("comparable_reason").is_not_null()
                           & pl.col("error").is_null())
    notes = [f"{name}: {reason}" for name, reason in apart.select("scenario", "comparable_reason").iter_rows()]
    errors = summary.filter(pl.col("error").is_not_null()).select("scenario", "error")
    lines = [f"{name}: {error}" for name, error in errors.iter_rows()]
    return (text + ("\n\nLead time not compared with the base (vs base % is empty):\n" + "\n".join(notes) if notes else "")
            + ("\n\nNot optimal:\n" + "\n".join(lines) if lines else ""))


def summary_text(summary: Any, fmt: str) -> str:
    """The summary as ``table`` (:func:`format_summary`), ``csv`` or ``json`` (a list of row objects)."""
    if fmt == "csv":
        return summary.write_csv()
    if fmt == "json":
        import json

        return json.dumps(summary.to_dicts(), indent=2, default=str)
    return format_summary(summary)


@click.command(epilog=EPILOG)
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Write the scenario files to this folder, to copy and edit.")
def scenarios(export_dir: Path | None) -> None:
    """The scenario library for the built-in network: name, description and the event it models."""
    import polars as pl

    from routing.scenarios import library_path, load_scenario

    root = library_path()
    files = sorted(root.glob("*.toml")) + sorted((root / "episodes").glob("*.toml"))  # episodes: dated, as days
    if export_dir is not None:
        targets = [export_dir / f.relative_to(root) for f in files]
        clashes = [t for t in targets if t.exists()]
        if clashes:
            raise click.ClickException(f"{clashes[0]} already exists; remove it or export to another folder")
        for file, target in zip(files, targets, strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
        click.echo(f"wrote {len(files)} scenario files to {export_dir}", err=True)
        return
    rows = []
    for file in files:
        points = load_scenario(file)
        first = points[0]
        stem = file.relative_to(root).with_suffix("").as_posix()
        name = stem if len(points) == 1 else f"{stem} ({len(points)} points)"
        rows.append({"name": name, "description": first.description, "event": first.event or "-"})
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
                   tbl_formatting="ASCII_MARKDOWN", tbl_width_chars=250, fmt_str_lengths=200):
        click.echo(str(pl.DataFrame(rows)))
    click.echo(f"\nfiles: {library_path()}  (copy them with: nearshore scenarios --export DIR)")


