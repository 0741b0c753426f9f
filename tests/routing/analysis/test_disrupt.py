"""The horizon model: a hand-solved closure, the steady state with no events, conservation, and
properties of recovery (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from networks import read_network
from routing import solve_lead_time
from routing.analysis.disrupt import _solve_primary as SOLVE_PRIMARY  # the one the spies wrap
from routing.analysis.disrupt import solve_disruption
from routing.scenarios.horizon import day_networks, parse_event

DATA = Path(__file__).parents[2] / "data"
THREE = read_network(DATA / "horizon_three")


def run(network, events, n_days, step_h, **kwargs):
    base, days = day_networks(network, [parse_event(e, network) for e in events], n_days)
    result = solve_disruption(base, days, step_h=step_h, **kwargs)
    assert result.status.value == "optimal", result.detail
    return result


def test_hand_solved_closure_of_the_crossing_for_two_days():
    """P -> C -> M, a day per link; C takes 15 loads/day, M wants 10. C closed on days 2 and 3.

    The 10 loads P sent on day 1 reach C on day 2 and wait in its queue until day 4; nothing reaches
    M on days 3 and 4 (backlog 10, then 20). From day 4 C processes 15 a day (the 10 waiting and 5
    more), so 5 loads of backlog clear a day: 15, 10, 5, 0 at the ends of days 5-8. The backlog
    peaks at 20 on day 4 and is gone on day 8, 5 days after the last event day (3). Extra
    load-hours: backlog 10+20+15+10+5 = 60 load-days = 1,440 h, plus 10 loads x 48 h in C's queue.
    """
    result = run(THREE, ["close:C:2-3"], 12, 24)
    backlog = result.days.sort("day")["backlog_loads"].to_list()
    assert backlog == pytest.approx([0, 0, 0, 10, 20, 15, 10, 5, 0, 0, 0, 0], abs=1e-6)
    rec = result.recovery
    assert rec["backlog_peak_loads"] == pytest.approx(20.0)
    assert rec["backlog_peak_day"] == 4
    assert rec["days_to_recover"] == 5 and rec["recovered"]
    assert rec["extra_backlog_load_hours"] == pytest.approx(1440.0)
    assert rec["extra_network_load_hours"] == pytest.approx(480.0)
    assert rec["extra_load_hours"] == pytest.approx(1920.0)
    queue = result.crossings_by_day.filter(pl.col("crossing") == "C").sort("day")
    assert queue["loads"].to_list() == pytest.approx([10, 10, 0, 0, 15, 15, 15, 15, 10, 10, 10, 0], abs=1e-6)
    assert queue["queued_loads"].to_list()[2:4] == pytest.approx([10, 10])
    late = result.days.sort("day")["late_loads"].to_list()
    assert late[5:9] == pytest.approx([15, 15, 10, 5])  # deliveries that serve loads owed from before


@pytest.mark.parametrize("name, step_h", [("two_routes", 6), ("two_crossings", 4), ("horizon_three", 24),
                                          ("shared_capacity", 3), ("power_limit", 8)])
def test_no_event_every_day_delivers_its_demand_at_the_steady_lead_time(name, step_h):
    network = read_network(DATA / name)
    result = run(network, [], 6, step_h)
    days = result.days
    assert days["delivered_loads"].to_numpy() == pytest.approx(days["demand_loads"].to_numpy(), abs=1e-6)
    assert days["backlog_loads"].max() == pytest.approx(0.0, abs=1e-9)
    steady = solve_lead_time(network).avg_lead_time_h
    complete = days.group_by("day").agg(pl.col("avg_lead_time_h").null_count().alias("cut"),
                                        (pl.col("avg_lead_time_h") * pl.col("demand_loads")).sum()
                                        / pl.col("demand_loads").sum()).filter(pl.col("cut") == 0)
    assert complete.height > 0  # the last days are cut by the horizon's end (their loads land after it)
    # per dispatch day over all rows: a tie between commodities sharing a capacity may split differently
    assert np.abs(complete["avg_lead_time_h"].to_numpy() - steady).max() <= step_h / 2


@pytest.mark.parametrize("name, events", [("horizon_three", ["close:C:1-4"]),
                                          ("two_crossings", ["close:A:1-2", "scale:M.loads_per_day:1.5:3"]),
                                          ("two_routes", ["close:B1:0-1", "scale:P.supply:0.5:2-3"])])
def test_delivered_plus_final_backlog_is_the_demand(name, events):
    network = read_network(DATA / name)
    result = run(network, events, 8, 6)
    totals = result.days.group_by("market", "commodity").agg(pl.col("demand_loads").sum(),
                                                             pl.col("delivered_loads").sum())
    final = result.days.filter(pl.col("day") == 7).select("market", "commodity", "backlog_loads")
    check = totals.join(final, on=["market", "commodity"])
    assert (check["delivered_loads"] + check["backlog_loads"]).to_numpy() == pytest.approx(
        check["demand_loads"].to_numpy(), rel=1e-9, abs=1e-6)
    assert result.recovery["undelivered_at_end_loads"] == pytest.approx(float(final["backlog_loads"].sum()))


def _recovery(events, n_days=16):
    rec = run(THREE, events, n_days, 24).recovery
    return (np.inf if rec["days_to_recover"] is None else rec["days_to_recover"]), rec["extra_load_hours"]


@settings(max_examples=12, deadline=None)
@given(start=st.integers(0, 4), short=st.integers(1, 4), extra=st.integers(0, 3))
@example(start=2, short=2, extra=1)
def test_a_longer_closure_never_shortens_recovery_nor_lowers_extra_load_hours(start, short, extra):
    brief_days, brief_hours = _recovery([f"close:C:{start}-{start + short - 1}"])
    long_days, long_hours = _recovery([f"close:C:{start}-{start + short + extra - 1}"])
    assert long_days >= brief_days  # days_to_recover, counted from the end of the last event
    assert long_hours >= brief_hours - 1e-6


@settings(max_examples=12, deadline=None)
@given(closed=st.integers(1, 4), factor=st.floats(1.0, 3.0))
@example(closed=2, factor=1.0)
def test_more_capacity_on_the_recovery_days_never_slows_recovery(closed, factor):
    last = 1 + closed
    plain, _ = _recovery([f"close:C:2-{last}", f"scale:C:1.0:{last + 1}-15"])
    more, _ = _recovery([f"close:C:2-{last}", f"scale:C:{factor}:{last + 1}-15"])
    assert more <= plain


def test_time_to_survive_against_time_to_recover():
    result = run(THREE, ["close:C:2-3"], 12, 24, inventory_days=1.5)
    (market,) = result.recovery["markets"]
    assert market["stock_loads"] == pytest.approx(15.0)
    assert market["time_to_survive_days"] == 2  # backlog 20 > 15 of stock at the end of day 4 = 2 days in
    assert market["time_to_recover_days"] == 6  # back under 1 % on day 8
    assert market["at_risk"]
    covered = run(THREE, ["close:C:2-3"], 12, 24, inventory_days=3.0).recovery["markets"][0]
    assert covered["time_to_survive_days"] is None and not covered["at_risk"]


def test_a_closure_to_the_end_never_recovers_and_says_so():
    rec = run(THREE, ["close:C:2-9"], 10, 24).recovery
    assert rec["days_to_recover"] is None and not rec["recovered"]
    assert rec["undelivered_at_end_loads"] > 0


def test_the_baseline_is_solved_once_for_two_event_sets_with_the_same_first_day():
    from routing.analysis import disrupt

    disrupt._SOLVED.clear()
    first = solve_disruption(*day_networks(THREE, [parse_event("close:C:2-3", THREE)], 12), step_h=24)
    second = solve_disruption(*day_networks(THREE, [parse_event("close:C:2-4", THREE)], 12), step_h=24)
    again = solve_disruption(*day_networks(THREE, [parse_event("close:C:2-3", THREE)], 12), step_h=24)
    assert first.horizon["baseline_solve_s"] > 0 and second.horizon["baseline_solve_s"] == 0.0
    assert (first.horizon["baseline"], second.horizon["baseline"]) == ("lp", "kept")
    assert again.recovery == first.recovery and again.objective == first.objective
    assert second.recovery["backlog_peak_loads"] > first.recovery["backlog_peak_loads"]


@pytest.mark.parametrize("name, events, n_days, step_h", [
    ("horizon_three", ["close:C:3-4"], 12, 24),
    ("two_crossings", ["scale:A.lanes:0.5:2-3"], 5, 6),
])
def test_the_baseline_and_the_events_solved_at_once_give_what_one_after_the_other_gives(name, events, n_days, step_h,
                                                                                      monkeypatch):
    from routing.analysis import disrupt

    network = read_network(DATA / name)
    base, days = day_networks(network, [parse_event(e, network) for e in events], n_days)
    monkeypatch.setattr(disrupt, "_cores", lambda: 2)  # at once even where one CPU is all there is
    answers = []
    for parallel in (True, False):
        monkeypatch.setattr(disrupt, "_SOLVED", {})  # each solves both LPs itself
        answers.append(solve_disruption(base, days, step_h=step_h, parallel=parallel))
    together, apart = answers
    assert together.status.value == apart.status.value == "optimal"
    assert together.horizon["concurrent"] and not apart.horizon["concurrent"]
    assert together.horizon["baseline"] == apart.horizon["baseline"] == "lp"
    assert together.objective == apart.objective
    assert together.recovery == apart.recovery
    assert together.days.equals(apart.days) and together.crossings_by_day.equals(apart.crossings_by_day)


def _by_method(monkeypatch, network, events, n_days, step_h, method):
    from routing.analysis import disrupt

    paths = []
    solve_primary = SOLVE_PRIMARY

    def spy(lp, **kwargs):
        answer = solve_primary(lp, **kwargs)
        paths.append(answer[0].detail or "simplex")
        return answer

    monkeypatch.setattr(disrupt, "HORIZON_METHOD", method)
    monkeypatch.setattr(disrupt, "_SOLVED", {})
    monkeypatch.setattr(disrupt, "_solve_primary", spy)
    base, days = day_networks(network, [parse_event(e, network) for e in events], n_days)
    return solve_disruption(base, days, step_h=step_h), paths


@pytest.mark.parametrize("name, events, n_days, step_h", [
    ("horizon_three", ["close:C:2-3"], 12, 24),
    ("horizon_three", ["close:C:0-1"], 8, 4),
    ("two_crossings", ["scale:A.lanes:0.5:2-3"], 5, 6),
    ("shared_capacity", ["scale:M.demand:1.5:1-2"], 6, 3),
    ("short_supply", [], 4, 12),
])
def test_the_interior_point_on_its_face_gives_the_simplex_answer(name, events, n_days, step_h, monkeypatch):
    network = read_network(DATA / name)
    simplex, paths = _by_method(monkeypatch, network, events, n_days, step_h, "simplex")
    interior, inner_paths = _by_method(monkeypatch, network, events, n_days, step_h, "interior")
    assert set(paths) == {"simplex"} and set(inner_paths) == {"interior"}  # certified by the interior duals
    assert simplex.status.value == interior.status.value == "optimal"
    assert interior.objective == pytest.approx(simplex.objective, rel=1e-9)
    for column in ("delivered_loads", "backlog_loads"):
        assert interior.days[column].to_numpy() == pytest.approx(simplex.days[column].to_numpy(), abs=1e-6)
    assert interior.recovery["extra_load_hours"] == pytest.approx(simplex.recovery["extra_load_hours"], rel=1e-9,
                                                                  abs=1e-6)


def test_interior_duals_that_do_not_certify_fall_back_to_simplex(monkeypatch):
    """Duals of zero prove nothing: the vertex is not taken on their word, simplex solves the LP."""
    from routing.analysis import disrupt
    from routing.backends import highs

    real = highs.solve_lp

    def blunt(lp, *, time_limit_s, method="simplex"):
        answer = real(lp, time_limit_s=time_limit_s, method=method)
        return replace(answer, row_dual=np.zeros_like(answer.row_dual)) if method == "interior" else answer

    monkeypatch.setattr(disrupt, "solve_lp", blunt)
    result, paths = _by_method(monkeypatch, THREE, ["close:C:2-3"], 12, 24, "interior")
    assert set(paths) == {"interior, then simplex"}
    assert result.status.value == "optimal"
    assert result.recovery["extra_load_hours"] == pytest.approx(1920.0)


@pytest.mark.slow
def test_the_interior_point_on_its_face_gives_the_simplex_answer_on_the_built_in_network(monkeypatch):
    network = read_network()
    simplex, paths = _by_method(monkeypatch, network, ["close:POE_WTB:2-3"], 6, 12, "simplex")
    interior, inner_paths = _by_method(monkeypatch, network, ["close:POE_WTB:2-3"], 6, 12, "interior")
    assert set(paths) == {"simplex"} and set(inner_paths) == {"interior"}
    assert interior.status.value == simplex.status.value == "optimal"
    assert interior.objective == pytest.approx(simplex.objective, rel=1e-9)
    assert interior.recovery["extra_load_hours"] == pytest.approx(simplex.recovery["extra_load_hours"], rel=1e-6)
