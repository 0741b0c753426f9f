"""Reports of the built-in network, built once per test session (the page and browser tests share
them): the plain solve and the page with everything in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from networks import read_network
from routing import solve_lead_time
from routing.analysis.compare import compare_sourcing
from routing.report import build_report, provenance

EPISODE = Path(__file__).parents[3] / "routing" / "scenarios" / "library" / "episodes" / "wtb_storm_closure_2023_days.toml"
CREATED = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def solved():
    network = read_network()
    return network, solve_lead_time(network)


@pytest.fixture(scope="session")
def base_page(solved) -> str:
    network, result = solved
    return build_report(network, result, provenance=provenance(network, created=CREATED, command="test",
                                                               solver=result.solver))


@pytest.fixture(scope="session")
def full_inputs(solved, tmp_path_factory) -> dict[str, Any]:
    """The built-in solve with compare rows, a batch summary and a disruption: everything the page can show."""
    from routing.batch import run_batch
    from routing.cli.disrupt import run_disrupt
    from routing.scenarios import load_scenarios

    network, result = solved
    rows = compare_sourcing(network, samples=1000, cdf_points=101)
    out = tmp_path_factory.mktemp("batch")
    summary = run_batch(load_scenarios(["base", "wtb_closed", "nl_power_cut"]), out_dir=out, jobs=1, frames=()).summary
    disruption = run_disrupt(None, EPISODE, n_days=14, step_h=24, events=(), inventory_days=3.0)  # days 3-9 closed
    return {"network": network, "result": result, "compare": rows, "batch": summary, "disrupt": disruption}


@pytest.fixture(scope="session")
def full_page(full_inputs) -> str:
    inputs = full_inputs
    return build_report(inputs["network"], inputs["result"], compare=inputs["compare"], batch=inputs["batch"],
                        disrupt=inputs["disrupt"],
                        provenance=provenance(inputs["network"], created=CREATED, command="test",
                                              solver=inputs["result"].solver))
