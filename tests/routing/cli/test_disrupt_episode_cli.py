"""A built-in episode end to end on the built-in network (``nearshore disrupt --scenario``), on a short
horizon of day-long steps so it stays under ~20 s: the Dec-2023 rail gateway closures."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from routing.cli.main import EXIT_OK, main

EPISODES = Path(__file__).parents[3] / "routing" / "scenarios" / "library" / "episodes"
EPISODE = EPISODES / "rail_gateways_closed_dec_2023.toml"
CLOSED, EVENT_DAYS = ("RAIL_EGP", "RAIL_ELP"), range(3, 8)


@pytest.mark.parametrize("scenario", [str(EPISODE), "episodes/rail_gateways_closed_dec_2023"],
                         ids=["file", "library-name"])  # the name as nearshore scenarios lists it
def test_the_rail_episode_runs_end_to_end_and_conserves_loads(capsys, scenario):
    code = main(["disrupt", "--scenario", scenario, "--days", "10", "--step-h", "24", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    data = json.loads(out)
    assert data["status"] == "optimal" and data["horizon"]["event_days"] == list(EVENT_DAYS)
    demand, delivered, last = defaultdict(float), defaultdict(float), {}
    for row in data["days"]:
        key = (row["market"], row["commodity"])
        demand[key] += row["demand_loads"]
        delivered[key] += row["delivered_loads"]
        if row["day"] == 9:
            last[key] = row["backlog_loads"]
    for key in demand:  # delivered + backlog at the end = demand, per market and commodity
        assert delivered[key] + last[key] == pytest.approx(demand[key], rel=1e-6, abs=1e-6)
    rec = data["recovery"]
    assert rec["recovered"] == (rec["days_to_recover"] is not None)
    assert rec["undelivered_at_end_loads"] == pytest.approx(sum(last.values()), abs=1e-6)
    assert rec["extra_load_hours"] > 0 and rec["backlog_peak_loads"] >= 0
    loads = {(r["crossing"], r["day"]): r["loads"] for r in data["crossings_by_day"]}
    assert all(loads[c, d] == pytest.approx(0.0, abs=1e-6) for c in CLOSED for d in EVENT_DAYS)
    assert all(loads[c, 0] > 0 for c in CLOSED)  # they carried trains before the closure
    diverted = {c for (c, d), v in loads.items() if d in EVENT_DAYS and c not in CLOSED and v > loads[c, 0] + 1.0}
    assert diverted  # the closed gateways' loads cross elsewhere
