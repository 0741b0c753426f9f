"""`nearshore bench` through click: the quick suite exits 0 and writes valid results.

The command runs on one instance of each family the other bench tests do not run (single
commodity, multi-commodity, origin-destination pairs) and its horizon instance, with batch, cold
start and sampling: every kind of measurement of the suite, in a third of its time
(``test_bench_peers.py`` runs the peers on a reduced quick suite with NETGEN)."""

import json

import pytest
from click.testing import CliRunner

from benchmarks.cli import bench
from benchmarks.report import REQUIRED_KEYS


@pytest.mark.slow
def test_quick_suite_exits_0_and_writes_results(tmp_path):
    instances = ["corridor-1e3", "corridor-1e3x5", "od-1e3x10", "horizon-corridor-1e3-7d"]
    result = CliRunner().invoke(bench, ["--suite", "quick", "--out", str(tmp_path),
                                        *(f"--instance={name}" for name in instances)])
    assert result.exit_code == 0, result.output
    records = json.loads((tmp_path / "results.json").read_text())
    assert isinstance(records, list) and records
    for record in records:
        assert set(REQUIRED_KEYS) <= set(record), record
    solvers = {r["solver"] for r in records}
    assert {"nearshore", "raw-mcf", "networkx", "lp-highs", "lp-glop", "batch-frames-none", "batch-frames-all",
            "cli-cold-start", "sample_lead_times", "decomposition", "uncoupled-mcf"} <= solvers
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["machine"]["cores"] and len(summary["targets"]) == 14  # issue 5 (8), sampling, horizon, issue 17 (4)
    assert "horizon" in solvers  # the horizon family (corridor-1e3, 7 days, in the quick suite)
    assert {r["instance"] for r in records if r["family"] not in ("batch", "cold-start", "sampling")} == set(instances)
    markdown = (tmp_path / "results.md").read_text()
    assert "## Targets" in markdown and "| nearshore |" not in markdown.splitlines()[0]
    assert "## Solvers side by side" in result.output


def test_unknown_instance_is_bad_usage(tmp_path):
    result = CliRunner().invoke(bench, ["--instance", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown instance of suite quick: nope" in result.output
