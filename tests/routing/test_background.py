"""Background traffic is routed flow (issue 12): a closed crossing moves it, and nothing is lost.

``tests/data/background_divert``: 100 background loads/day from the MX yards HMX to the US yards HUS,
through crossing A (1 h + 1 h, throughput 150) or B (3 h + 1 h, throughput 60). Worked out by hand:
all 100 cross at A (200 load-hours); with A closed, 60 cross at B (240 load-hours) and 40 are unmet
(B's throughput binds); with B widened to 200, all 100 cross at B (400 load-hours).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from networks import read_network
from routing import solve_lead_time
from routing.scenarios import apply_changes
from routing.scenarios.schema import Close, Set

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def divert():
    return read_network(DATA / "background_divert")


def _close(network, *ids):
    return apply_changes(network, [Close(type="close", table="nodes", ids=list(ids))])


def _flow_through(result, node):
    flows = result.flows.filter((pl.col("to") == node) & (pl.col("commodity") == "background"))
    return float(flows["loads_per_day"].sum())


def test_background_crosses_at_the_faster_crossing(divert):
    result = solve_lead_time(divert)
    assert result.status.value == "optimal"
    assert _flow_through(result, "A") == pytest.approx(100.0)
    assert _flow_through(result, "B") == pytest.approx(0.0)
    assert result.all_load_hours_per_day == pytest.approx(200.0)
    assert result.background_unmet_loads_per_day == pytest.approx(0.0)


def test_background_diverts_to_the_only_other_crossing_and_is_unmet_when_it_is_full(divert):
    result = solve_lead_time(_close(divert, "A"))
    assert _flow_through(result, "A") == pytest.approx(0.0)
    assert _flow_through(result, "B") == pytest.approx(60.0)
    assert result.all_load_hours_per_day == pytest.approx(240.0)
    assert result.background_unmet_loads_per_day == pytest.approx(40.0)
    unmet = result.unmet.filter(pl.col("commodity") == "background").row(0, named=True)
    assert unmet["unmet_loads_per_day"] == pytest.approx(40.0)
    assert "B" in unmet["reason"]


def test_background_all_diverts_when_the_other_crossing_has_room(divert):
    wide = apply_changes(divert, [Set(type="set", table="nodes", ids=["B"], field="throughput_loads_per_day",
                                      value=200.0)])
    result = solve_lead_time(_close(wide, "A"))
    assert _flow_through(result, "B") == pytest.approx(100.0)
    assert result.background_unmet_loads_per_day == pytest.approx(0.0)
    assert result.all_load_hours_per_day == pytest.approx(400.0)


@pytest.mark.parametrize("closed", [["A"], ["B"], ["A", "B"]])
def test_closing_a_crossing_never_lowers_the_objective(divert, closed):
    base = solve_lead_time(divert)
    assert solve_lead_time(_close(divert, *closed)).objective >= base.objective - 1e-6


BUILTIN_CLOSURES = ["POE_WTB", "POE_COL_SOL", "POE_PHR", "POE_OTAY", "RAIL_LRD", "RAIL_EGP"]


@pytest.fixture(scope="module")
def builtin():
    return read_network()


@pytest.mark.parametrize("crossing", BUILTIN_CLOSURES)
def test_closing_a_builtin_crossing_never_lowers_load_hours_of_all_traffic(builtin, crossing):
    base = solve_lead_time(builtin)
    closed = solve_lead_time(_close(builtin, crossing))
    assert closed.status.has_solution
    assert closed.objective >= base.objective * (1 - 1e-9)
    if closed.unmet_loads_per_day + closed.background_unmet_loads_per_day < 1e-6:
        assert closed.all_load_hours_per_day >= base.all_load_hours_per_day * (1 - 1e-3)
    frame = closed.crossings.filter(pl.col("crossing") == crossing)
    assert frame["loads_per_day"].sum() == pytest.approx(0.0, abs=1e-6)
    assert frame["background_loads_per_day"].sum() == pytest.approx(0.0, abs=1e-6)


def test_builtin_background_is_routed_and_matches_today_in_the_base_case(builtin):
    result = solve_lead_time(builtin, objective="as_operated")
    assert result.background_unmet_loads_per_day == pytest.approx(0.0, abs=1e-6)
    wtb = result.crossings.filter(pl.col("crossing") == "POE_WTB")
    assert wtb["background_loads_per_day"].sum() == pytest.approx(4878.2, rel=0.05)
