"""`nearshore report` and the ``--report PATH`` of solve, compare, batch and disrupt: one HTML file.

The page is built by :func:`routing.report.build_report` (pure); this module solves what was
asked, writes the file and opens it. Exit codes: 0 ok, 2 bad usage or input (a missing batch
folder, a bad scenario or event), 3 no solution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from routing.cli.disrupt import check_step
from routing.cli.exits import EPILOG
from routing.cli.io import load_network, report_provenance, scenario_regimes, write_report
from routing.cli.options import CDF_POINTS, close_option, network_option, objective_option, solver_option
from routing.options import DEFAULT_HORIZON_DAYS, DEFAULT_STEP_H, MAX_HORIZON_DAYS


@click.command("report", epilog=EPILOG)
@network_option
@click.option("--scenario", "scenarios", multiple=True, metavar="FILE",
              help="A scenario file or library name (nearshore scenarios); repeatable. The map, lanes and "
                   "bottlenecks are of the first; with two or more they also run as a batch (in a temporary "
                   "folder) for the batch section. A sweep is refused for the first.")
@close_option
@objective_option
@solver_option
@click.option("--batch", "batch_dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="OUT_DIR",
              help="Add the batch section: the --out folder of a nearshore batch run.")
@click.option("--compare", "with_compare", is_flag=True,
              help="Add the Asia vs Mexico section (nearshore compare's defaults; see --samples).")
@click.option("--samples", type=click.IntRange(min=100), default=100_000, show_default=True,
              help="Monte Carlo samples per market, commodity and sourcing, for --compare.")
@click.option("--disrupt", "disrupt_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Add the disruption section: a scenario TOML with dated changes and [horizon], "
                                   "run as nearshore disrupt --scenario FILE runs it.")
@click.option("--event", "events", multiple=True, metavar="EVENT",
              help="An event for the disruption section, as nearshore disrupt --event takes it; repeatable.")
@click.option("--days", "n_days", type=click.IntRange(1, MAX_HORIZON_DAYS), default=None,
              help="Days of the disruption's horizon. Default: the --disrupt file's [horizon], else "
                   f"{DEFAULT_HORIZON_DAYS}.")
@click.option("--step-h", "step_h", type=float, default=None, callback=check_step,
              help=f"Hours per step of the disruption (divides 24). Default: the file's, else {DEFAULT_STEP_H:g}.")
@click.option("--output", "output", type=click.Path(dir_okay=False, path_type=Path), required=True, metavar="PATH",
              help="The HTML file to write.")
@click.option("--open", "open_page", is_flag=True, help="Open the page in the default browser when written.")
def report(network_dir: Path | None, scenarios: tuple[str, ...], close: tuple[str, ...], objective: str, solver: str,
           batch_dir: Path | None, with_compare: bool, samples: int, disrupt_path: Path | None,
           events: tuple[str, ...], n_days: int | None, step_h: float | None, output: Path, open_page: bool) -> None:
    """One self-contained HTML page of a solve: map, lanes, bottlenecks, provenance.

    Solves the network (with --scenario / --close applied) and draws it on a map of the US and
    Mexican states (Lambert conformal conic; Asian origins in an inset): links by loads and mode,
    border crossings by utilisation with their wait, plants with their power and water use. Then
    each lane's lead time by market with the waterfall of where the hours go, and the bottlenecks
    in the objective's unit. --compare adds Asia vs Mexico (lead-time CDFs, safety stock, landed
    cost), --batch a batch's scenarios against their base, --disrupt / --event the backlog and
    lead time by day. The page needs no network connection: everything is inline.
    """
    from routing.batch import read_summary
    from routing.cli.exits import solve_checked
    from routing.report import build_report

    if batch_dir is not None and len(scenarios) > 1:
        raise click.UsageError("give --batch OUT_DIR or several --scenario, not both: each fills the batch section")
    batch = read_summary(batch_dir) if batch_dir is not None else None  # a bad folder fails before the solves
    scenario = scenarios[0] if scenarios else None
    network = load_network(network_dir, scenario=scenario, close=close)
    if len(scenarios) > 1:
        batch = _scenario_batch(network_dir, scenarios)
    result = solve_checked(network, objective=objective, solver=solver)
    rows = _compare_rows(network, samples, scenario_regimes(scenario)) if with_compare else None
    disruption = _disruption(network_dir, disrupt_path, events, n_days, step_h) if disrupt_path or events else None
    meta = report_provenance(network, command="nearshore report", solver=result.solver, objective=objective,
                             scenario=scenarios, close=close, batch=batch_dir and str(batch_dir),
                             compare_samples=samples if with_compare else None,
                             disrupt=disrupt_path and str(disrupt_path), event=events, days=n_days, step_h=step_h)
    html = build_report(network, result, compare=rows, batch=batch, disrupt=disruption, provenance=meta)
    write_report(html, output, open_page=open_page)


def _scenario_batch(network_dir: Path | None, scenarios: tuple[str, ...]) -> Any:
    """The summary of the scenarios run as ``nearshore batch`` runs them (one process, no frames), on
    ``network_dir`` when given, else on each scenario's own network."""
    import tempfile

    from routing.batch import run_batch
    from routing.cli.progress import ProgressBar
    from routing.scenarios import load_scenarios

    loaded = load_scenarios([Path(s) for s in scenarios])
    if network_dir is not None:
        loaded = [s.model_copy(update={"network": str(network_dir)}) for s in loaded]
    with tempfile.TemporaryDirectory(prefix="nearshore-report-") as out, ProgressBar("report: scenarios") as bar:
        return run_batch(loaded, out_dir=out, jobs=1, frames=(),
                         on_progress=lambda progress, _row: bar.advance(progress.done, progress.total)).summary


def _compare_rows(network: Any, samples: int, regime_states: dict[str, str]) -> Any:
    """compare_sourcing's rows with the CDF points the page draws, under the scenario's ``[regimes]``
    (as ``nearshore compare --scenario`` samples them)."""
    from routing.analysis.compare import compare_sourcing
    from routing.cli.progress import ProgressBar

    with ProgressBar("report: compare") as bar:
        return compare_sourcing(network, samples=samples, cdf_points=CDF_POINTS, regime_states=regime_states or None,
                                on_progress=bar.advance)


def _disruption(network_dir: Path | None, path: Path | None, events: tuple[str, ...], n_days: int | None,
                step_h: float | None) -> Any:
    """Run the disruption as nearshore disrupt does; no solution is exit 3."""
    from routing.analysis.disrupt import DEFAULT_INVENTORY_DAYS
    from routing.cli.disrupt import run_disrupt
    from routing.cli.exits import NoSolution

    result = run_disrupt(network_dir, path, n_days=n_days, step_h=step_h, events=events,
                         inventory_days=DEFAULT_INVENTORY_DAYS)
    if not result.status.has_solution:
        raise NoSolution(f"disruption: solver {result.solver} ended {result.status.value} {result.detail}".strip())
    return result
