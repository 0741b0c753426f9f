"""`nearshore bench`: benchmarks of the core solver against its peers, from the command line.

Registered as the ``bench`` entry point of the ``nearshore.commands`` group (pyproject.toml), so
``routing`` never imports ``benchmarks``. The command prints the report
(markdown tables) on stdout, progress on stderr, and writes ``results.json``, ``summary.json``
and ``results.md`` into ``--out``.
"""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks import SUITES

suite_option = click.option(
    "--suite", type=click.Choice(SUITES), default="quick", show_default=True,
    help="quick: small instances, a minute or two; full: up to 1e6 links, many minutes.")
out_option = click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/bench"),
    show_default=True, help="Folder for results.json, summary.json and results.md.")


@click.command("bench", epilog="Exit codes: 0 ok, 1 a measurement failed or peers disagree on an objective, "
                               "2 bad usage, 130 interrupted (Ctrl-C).")
@suite_option
@out_option
@click.option("--instance", "instances", multiple=True, help="Only this instance (repeat for more).")
@click.option("--peer", "peers", multiple=True, help="Only this solver, e.g. nearshore, raw-mcf (repeat for more).")
@click.option("--no-batch", is_flag=True, help="Skip the batch-throughput runs.")
@click.option("--no-cold-start", is_flag=True, help="Skip the cold-start runs of `nearshore solve`.")
@click.option("--no-sampling", is_flag=True, help="Skip the lead-time Monte Carlo timing (100k samples, built-in lanes).")
def bench(suite: str, out_dir: Path, instances: tuple[str, ...], peers: tuple[str, ...], no_batch: bool,
          no_cold_start: bool, no_sampling: bool) -> None:
    """Time nearshore's solve path side by side with raw OR-Tools min-cost flow, LEMON, networkx,
    GLOP and HiGHS on the same instances; check that all agree on the optimum; measure batch
    throughput and cold start; report the targets."""
    from benchmarks.report import format_markdown, write_results
    from benchmarks.runner import run_suite

    with _BenchProgress(suite, instances, batch=not no_batch, cold_start=not no_cold_start) as progress:
        try:
            result = run_suite(suite, instances=list(instances) or None, peers=list(peers) or None,
                               batch=not no_batch, cold_start=not no_cold_start, sampling=not no_sampling,
                               progress=progress.say)
        except ValueError as bad:
            raise click.BadParameter(str(bad)) from None
    paths = write_results(result, out_dir)
    click.echo(format_markdown(result))
    for path in paths:
        click.echo(f"wrote {path}", err=True)
    if result.errors:
        click.echo(f"error: {len(result.errors)} measurement(s) failed or disagree on the objective; "
                   f"see {paths[-1]}", err=True)
        raise click.exceptions.Exit(1)


class _BenchProgress:
    """On a terminal, a progress bar over the instances, then batch and cold start (each a step),
    with a smoothed ETA and the current measurement as its note; elsewhere one line per step."""

    def __init__(self, suite: str, instances: tuple[str, ...], *, batch: bool, cold_start: bool) -> None:
        from benchmarks.registry import specs_for
        from routing.cli.progress import ProgressBar

        names = {s.name for s in specs_for(suite)}
        self.total = len([n for n in names if not instances or n in instances]) + batch + cold_start
        self.done = -1  # the first step starts at the first instance, not at the warm-up
        self.bar = ProgressBar("bench")

    def __enter__(self) -> _BenchProgress:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None and self.bar.enabled:
            self.bar.advance(self.total, self.total, "done", count=False)
        self.bar.stop()

    def say(self, line: str) -> None:
        starts = line.endswith(": building") or line.startswith("cold start") or (
            line.startswith("batch ") and not getattr(self, "_in_batch", False))
        if line.startswith("batch "):
            self._in_batch = True
        if starts:
            self.done += 1
        if self.bar.enabled:
            self.bar.advance(max(0, self.done), self.total, line[:60], count=starts and self.done > 0)
        else:
            click.echo(f"bench: {line}", err=True)
