"""One answer among equal optima: the horizon's lexicographic tie-break (backlog cleared early,
backlog in proportion to demand, freight, then the plan closest to today's) makes the days' rows (lead
times included), the crossings' days and the recovery summary the same whichever exact method found
the first optimum, without changing the objective."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from networks import read_network
from networks.generate import random_network
from routing.analysis import disrupt
from routing.formulation import face
from routing.scenarios.horizon import day_networks, parse_event

DATA = Path(__file__).parents[2] / "data"
TWO = read_network(DATA / "horizon_two_markets")
REPORTED = ("delivered_loads", "backlog_loads", "late_loads", "avg_lead_time_h")
CROSSINGS = ("loads", "wait_h")
RECOVERY = ("backlog_peak_loads", "backlog_peak_day", "days_to_recover", "undelivered_at_end_loads")
MARKET = ("backlog_peak_loads", "time_to_survive_days", "time_to_recover_days")


def solved(network, events, n_days, step_h, method, *, tie_break=True):
    """``solve_disruption`` with the horizon LPs' primary solved by ``method``, nothing kept between calls."""
    base, days = day_networks(network, [parse_event(e, network) for e in events], n_days)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(disrupt, "HORIZON_METHOD", method)
        patch.setattr(disrupt, "_SOLVED", {})
        if not tie_break:
            patch.setattr(disrupt, "_secondary", lambda *args: ())
        result = disrupt.solve_disruption(base, days, step_h=step_h)
    assert result.status.value == "optimal", result.detail
    return result


def assert_same_report(one, other):
    """The days' rows, the crossings' days and the recovery summary agree to 1e-6 loads and hours (and
    exactly in days)."""
    assert one.detail == other.detail == ""
    assert one.objective == pytest.approx(other.objective, rel=1e-9)
    for column in REPORTED:
        assert one.days[column].to_numpy() == pytest.approx(other.days[column].to_numpy(), abs=1e-6,
                                                             nan_ok=True), column
    for column in CROSSINGS:
        assert one.crossings_by_day[column].to_numpy() == pytest.approx(
            other.crossings_by_day[column].to_numpy(), abs=1e-6, nan_ok=True), column
    for key in RECOVERY:
        assert one.recovery[key] == pytest.approx(other.recovery[key], abs=1e-6), key
    for mine, theirs in zip(one.recovery["markets"], other.recovery["markets"], strict=True):
        for key in MARKET:
            assert mine[key] == pytest.approx(theirs[key], abs=1e-6), (mine["market"], key)


def test_the_backlog_of_a_closed_crossing_is_shared_in_proportion_to_demand():
    """P -> C -> M1 (4/day) and M2 (6/day), a day per link; C takes 15/day and is closed on days 2-3.

    As in the three-node horizon, the total backlog is 10, 20, 15, 10, 5 at the ends of days 3-7
    and 0 from day 8: nothing else is optimal. Which market waits is a tie (a load-day of backlog
    costs the same at either); the rule shares it 2 : 3 like the demand: M1 4, 8, 6, 4, 2 and M2 6,
    12, 9, 6, 3. Both recover on day 8, 6 days after the closure began; the day after C reopens,
    M1 gets 4 + 8 - 6 = 6 loads and M2 6 + 12 - 9 = 9.
    """
    expected = {"M1": [0, 0, 0, 4, 8, 6, 4, 2, 0, 0, 0, 0], "M2": [0, 0, 0, 6, 12, 9, 6, 3, 0, 0, 0, 0]}
    for method in ("simplex", "interior"):
        result = solved(TWO, ["close:C:2-3"], 12, 24, method)
        for market, backlog in expected.items():
            rows = result.days.filter(pl.col("market") == market).sort("day")
            assert rows["backlog_loads"].to_list() == pytest.approx(backlog, abs=1e-6), (method, market)
        day5 = result.days.filter(pl.col("day") == 5).sort("market")["delivered_loads"].to_list()
        assert day5 == pytest.approx([6.0, 9.0], abs=1e-6)
        markets = {row["market"]: row for row in result.recovery["markets"]}
        assert markets["M1"]["backlog_peak_loads"] == pytest.approx(8.0)
        assert markets["M2"]["backlog_peak_loads"] == pytest.approx(12.0)
        assert markets["M1"]["time_to_recover_days"] == markets["M2"]["time_to_recover_days"] == 6
        assert result.recovery["backlog_peak_loads"] == pytest.approx(20.0)
        assert result.recovery["days_to_recover"] == 5


def test_an_event_moves_only_the_loads_it_must_from_todays_plan():
    """P -> A -> M and P -> B -> M, a day per link, the two routes alike; A (15 loads/day) is closed on day 2.

    Today's plan (the steady model's, one optimum among many) sends all 10 loads a day by A, and
    it runs until day 2, so the 10 loads P sent on day 1 wait at A through day 2. From day 2 every
    split is optimal; the last stage keeps the plan closest to today's. P's 10 loads of day 2 go a
    by A and 10 - a by B, and A then carries the 10 that waited as well on day 3: the squared
    changes (a - 10)^2 + (10 - a)^2 on day 2 and a^2 + (10 - a)^2 on day 3 are least at a = 7.5,
    beyond A's 15 loads a day (10 + a <= 15), so a = 5: A carries 15 and B 5 on day 3, and from
    day 4 A carries today's 10 again and B nothing. Both methods report this.
    """
    twin = read_network(DATA / "horizon_twin_bridges")
    results = {method: solved(twin, ["close:A:2-2"], 6, 24, method) for method in ("simplex", "interior")}
    for method, result in results.items():
        crossings = result.crossings_by_day.sort("day", "crossing")
        loads = {(row["day"], row["crossing"]): row["loads"] for row in crossings.iter_rows(named=True)}
        assert [loads[3, "A"], loads[3, "B"], loads[4, "A"], loads[4, "B"]] == pytest.approx([15.0, 5.0, 10.0, 0.0],
                                                                                            abs=1e-6), method
    assert_same_report(results["simplex"], results["interior"])


@pytest.mark.parametrize("method", ["simplex", "interior"])
def test_with_no_event_the_network_runs_todays_plan(method):
    """The twin bridges with no event over 6 days: every split between A and B is optimal, and the
    plan kept is today's (all 10 loads a day by A on every day the horizon delivers), not an even
    split of 5 and 5."""
    twin = read_network(DATA / "horizon_twin_bridges")
    result = solved(twin, [], 6, 24, method)
    crossings = result.crossings_by_day.filter(pl.col("day") <= 4).sort("day", "crossing")
    assert crossings.filter(pl.col("crossing") == "A")["loads"].to_list() == pytest.approx([10.0] * 5, abs=1e-6)
    assert crossings.filter(pl.col("crossing") == "B")["loads"].to_list() == pytest.approx([0.0] * 5, abs=1e-6)


def test_the_tie_is_real_each_market_can_take_the_extra_backlog_at_the_same_objective():
    """Over the optimal face of the events' LP, the least backlog at M1 and the least at M2 are both
    certified optima of the same objective, with different rows: the primary alone does not say
    which split to report (the reason for the rule)."""
    from routing.formulation.face import Stage
    from routing.formulation.horizon import split_solution

    lp = _events_lp(TWO, ["close:C:2-3"], 12, 24)
    lay = lp.layout
    per_market = []
    for market in range(lay.n_demand):
        cost = np.zeros(lay.offsets["end"])
        cost[lay.block("b")] = np.repeat(np.arange(lay.n_demand) == market, lay.n_steps).astype(float)
        status, values, _, detail = disrupt._solve(lp, (Stage(f"least at {market}", cost=cost),),
                                                   time_limit_s=None)
        assert status.value == "optimal" and detail == ""
        per_market.append(values)
    first, second = per_market
    assert float(lp.c @ first) == pytest.approx(float(lp.c @ second), rel=1e-12)
    assert not np.allclose(split_solution(lay, first).backlog, split_solution(lay, second).backlog, atol=1e-3)


def _events_lp(network, events, n_days, step_h):
    """The LP that :func:`disrupt.solve_disruption` solves for the events (from the first event day)."""
    captured = []
    real = disrupt._solve_kept

    def spy(lp, stages, **kwargs):
        captured.append(lp)
        return real(lp, stages, **kwargs)

    base, days = day_networks(network, [parse_event(e, network) for e in events], n_days)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(disrupt, "_solve_kept", spy)
        patch.setattr(disrupt, "_SOLVED", {})
        disrupt.solve_disruption(base, days, step_h=step_h)
    return captured[-1]


@pytest.mark.parametrize("name, events, n_days, step_h", [
    ("horizon_two_markets", ["close:C:2-3"], 12, 24),
    ("horizon_two_markets", ["close:C:1-1"], 5, 6),
    ("horizon_three", ["close:C:2-3"], 12, 24),
    ("two_crossings", ["scale:A.lanes:0.5:2-3"], 5, 6),
    ("shared_capacity", ["scale:M.demand:1.5:1-2"], 6, 3),
    ("short_supply", [], 4, 12),
])
def test_simplex_and_interior_report_the_same_days_and_recovery(name, events, n_days, step_h):
    network = read_network(DATA / name)
    assert_same_report(solved(network, events, n_days, step_h, "simplex"),
                       solved(network, events, n_days, step_h, "interior"))


@pytest.mark.parametrize("method", ["simplex", "interior"])
def test_the_tie_break_leaves_the_objective_as_it_was(method):
    with_ties = solved(TWO, ["close:C:2-3"], 12, 24, method)
    without = solved(TWO, ["close:C:2-3"], 12, 24, method, tie_break=False)
    assert with_ties.objective == pytest.approx(without.objective, rel=1e-12)
    assert with_ties.recovery["extra_load_hours"] == pytest.approx(without.recovery["extra_load_hours"], rel=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n_days=st.integers(3, 5), step_h=st.sampled_from([12.0, 24.0]),
       first=st.integers(0, 1), length=st.integers(0, 1), surge=st.sampled_from([1.0, 2.0, 3.0]))
@example(seed=692, n_days=3, step_h=12.0, first=0, length=0, surge=1.0)  # main before the rule: 22 vs 23 loads on day 3
@example(seed=7, n_days=4, step_h=24.0, first=1, length=1, surge=3.0)
def test_on_random_horizons_with_ties_both_methods_report_the_same(seed, n_days, step_h, first, length,
                                                                   surge):
    """Random small networks (three markets at one backlog penalty, so ties are the rule), a crossing
    closed and every market's demand raised on the same days: both methods give one report, and
    the objective is the one without the tie-break."""
    network = random_network(seed=seed, n_markets=3, extra_links=6)
    days = f"{first}-{first + length}"
    events = [f"close:H1:{days}", *(f"scale:M{m}.demand:{surge:g}:{days}" for m in range(3) if surge != 1.0)]
    simplex = solved(network, events, n_days, step_h, "simplex")
    interior = solved(network, events, n_days, step_h, "interior")
    assert_same_report(simplex, interior)
    plain = solved(network, events, n_days, step_h, "simplex", tie_break=False)
    assert simplex.objective == pytest.approx(plain.objective, rel=1e-9, abs=1e-9)


def test_a_stage_that_is_not_certified_is_named_in_detail(monkeypatch):
    """A QP answer that is feasible but not its optimum (the weights of the two markets swapped, so
    backlog is shared 3 : 2) is not kept: the report says which stage and that the ties from there
    on are the solver's; the status stays optimal (the earlier stage was certified)."""
    real = face.solve_qp

    def swapped(lp, q, **kwargs):
        return real(lp, np.where(q > 0, 1.0 / np.where(q > 0, q, 1.0), 0.0), **kwargs)

    monkeypatch.setattr(face, "solve_qp", swapped)
    monkeypatch.setattr(disrupt, "_SOLVED", {})
    base, days = day_networks(TWO, [parse_event("close:C:2-3", TWO)], 12)
    result = disrupt.solve_disruption(base, days, step_h=24)
    assert result.status.value == "optimal"
    assert "the tie-break stage 'backlog in proportion to demand' was not certified" in result.detail
    assert result.recovery["backlog_peak_loads"] == pytest.approx(20.0)


@pytest.mark.parametrize("network, events, n_days, step_h", [
    (TWO, ["close:C:2-3"], 12, 24),
    (random_network(seed=692, n_markets=3, extra_links=6), ["close:H1:0-1"], 4, 12),
])
def test_the_presolved_program_keeps_the_feasible_set(network, events, n_days, step_h):
    """What the QP sees (singleton rows as bounds, fixed columns in the row bounds): an optimum of
    the LP restricted to the kept columns is feasible for it, the others are at the values it gives
    them, and a point of it, put back, is feasible for the LP."""
    lp = _events_lp(network, events, n_days, step_h)
    x = disrupt._solve(lp, (), time_limit_s=None)[1]
    program, free, fixed = face.presolved(lp)
    assert np.allclose(x[~free], fixed[~free], atol=1e-9)
    kept = x[free]
    activity = program.matrix @ kept
    assert np.all(kept >= program.lb - 1e-9) and np.all(kept <= program.ub + 1e-9)
    assert np.all(activity >= program.row_lo - 1e-7) and np.all(activity <= program.row_hi + 1e-7)
    point = face.solve_qp(program, np.ones(free.sum()), time_limit_s=None, regularization=0.0)
    assert point.status.value == "optimal"
    back = fixed.copy()
    back[free] = point.x
    full = lp.matrix @ back
    assert np.all(back >= lp.lb - 1e-7) and np.all(back <= lp.ub + 1e-7)
    assert np.all(full >= lp.row_lo - 1e-6) and np.all(full <= lp.row_hi + 1e-6)
