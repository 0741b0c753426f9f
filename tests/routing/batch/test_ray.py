"""The Ray executor gives the same summary as local processes (runs a local Ray: `pytest -m ray`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from routing.batch import TIMING_COLUMNS, run_batch
from routing.cli.batch import batch
from routing.cli.main import cli, main
from routing.scenarios import library_path, load_scenarios

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'nearshore[ray]')")
pytestmark = pytest.mark.ray

NETWORK = Path(__file__).parents[2] / "data" / "shared_capacity"
SWEEP = f"""network = "{NETWORK}"
[[changes]]
type = "scale"
table = "links"
ids = ["RAIL"]
field = "capacity_loads_per_day"
factor = 1.0
[[changes]]
type = "scale"
table = "demand"
commodity = "a"
factor = 1.0
[sweep.rail]
change = 1
values = [0.0, 0.5, 1.0, 2.0]
[sweep.demand_a]
change = 2
values = [0.5, 1.0, 3.0]
"""


@pytest.fixture
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


def test_local_and_ray_executors_give_identical_summaries(tmp_path, local_ray):
    (tmp_path / "grid.toml").write_text(SWEEP, encoding="utf-8")
    scenarios = load_scenarios([tmp_path / "grid.toml"]) + load_scenarios([library_path() / "wtb_closed.toml"])
    local = run_batch(scenarios, out_dir=tmp_path / "local", jobs=2, executor="local")
    remote = run_batch(scenarios, out_dir=tmp_path / "ray", jobs=2, executor="ray")
    assert ray.is_initialized()  # a running cluster is used, not shut down
    assert local.summary.height == len(scenarios) + 2  # a base for each network
    assert local.summary["status"].unique().to_list() == ["optimal"]
    assert remote.summary.drop(TIMING_COLUMNS).equals(local.summary.drop(TIMING_COLUMNS))
    for name in ("grid-rail=0-demand_a=3", "wtb_closed"):
        for frame in ("lanes", "bottlenecks", "unmet"):
            a = pl.read_parquet(tmp_path / "local" / "scenarios" / name / f"{frame}.parquet")
            b = pl.read_parquet(tmp_path / "ray" / "scenarios" / name / f"{frame}.parquet")
            assert a.equals(b), (name, frame)


def test_batch_command_starts_a_local_ray_when_none_runs(tmp_path, capsys):
    cli.add_command(batch)
    (tmp_path / "grid.toml").write_text(SWEEP, encoding="utf-8")
    assert not ray.is_initialized()
    code = main(["batch", str(tmp_path / "grid.toml"), "--executor", "ray", "--jobs", "2", "--out",
                 str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "| grid-rail=0-demand_a=0.5 " in out and "batch: 13/13 done, 0 failed" in err
    assert not ray.is_initialized()  # the cluster started for the run is shut down
