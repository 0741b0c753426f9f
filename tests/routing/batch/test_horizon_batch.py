"""Scenarios with a [horizon] run in a batch like the others; the summary carries their recovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from networks import read_network
from routing.batch import SUMMARY_SCHEMA, run_batch
from routing.scenarios import library_path, load_scenarios
from routing.scenarios.horizon import day_networks

THREE = Path(__file__).parents[2] / "data" / "horizon_three"


def test_a_horizon_scenario_reports_backlog_peak_and_days_to_recover(tmp_path):
    (tmp_path / "steady.toml").write_text(f'name = "steady"\nnetwork = "{THREE}"\n', encoding="utf-8")
    (tmp_path / "storm.toml").write_text(f'''name = "storm"
network = "{THREE}"
[horizon]
days = 12
step_h = 24
[[changes]]
type = "close"
table = "nodes"
ids = ["C"]
days = [2, 3]
''', encoding="utf-8")
    result = run_batch(load_scenarios([tmp_path]), out_dir=tmp_path / "out", jobs=1)
    summary = result.summary
    assert summary.columns == SUMMARY_SCHEMA.names() and result.all_optimal
    rows = {row["scenario"]: row for row in summary.iter_rows(named=True)}
    assert rows["storm"]["backlog_peak_loads"] == pytest.approx(20.0) and rows["storm"]["days_to_recover"] == 5
    assert rows["steady"]["backlog_peak_loads"] is None and rows["steady"]["days_to_recover"] is None


def test_the_library_episodes_load_and_make_day_networks_on_the_builtin_network():
    network = read_network()
    episodes = load_scenarios([library_path() / "episodes"])
    assert {s.name for s in episodes} >= {"wtb_storm_closure_2023_days", "texas_dps_inspections_2022",
                                          "rail_gateways_closed_dec_2023", "eagle_pass_rail_closed_sep_2023"}
    for scenario in episodes:
        assert scenario.horizon is not None and scenario.event
        base, days = day_networks(network, scenario.changes, scenario.horizon.days, source=scenario.source)
        assert base is network and len(days) == scenario.horizon.days
        assert days[0] is base and any(d is not base for d in days)
    storm = next(s for s in episodes if s.name == "wtb_storm_closure_2023_days")
    assert storm.changes[0].days == (3, 9)  # "closed for about a week"
    dps = next(s for s in episodes if s.name == "texas_dps_inspections_2022")
    assert {c.days for c in dps.changes} == {(3, 11), (5, 7)}  # about 9 days, a 3-day Pharr blockade
    assert len(dps.changes[0].ids) + len(dps.changes[1].ids) == 7
    september = next(s for s in episodes if s.name == "eagle_pass_rail_closed_sep_2023")
    assert [(c.ids, c.days) for c in september.changes] == [(("RAIL_EGP",), (3, 5))]  # 20-23 Sep 2023, ~2.5 days
