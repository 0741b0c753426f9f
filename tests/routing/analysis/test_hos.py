"""Hours of service on the clock (`routing.analysis.hos` and the truck legs of the sampler), against
elapsed times worked out by hand: 11 h driving in a 14-h window, a 30-min break after 8 h, 10 h off,
and 70 h on duty in 8 days before a 34-h restart."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import integrate, stats

from networks import Network, read_network
from networks.data.build_mx_us import truck_hours
from routing.analysis.hos import drive, drive_fresh, driving_hours, fresh_driver, stop
from routing.analysis.leadtime import Z95, plan_lanes, sample_lead_times

N = 200_000


@pytest.mark.parametrize(("driving", "elapsed"), [
    (5.0, 5.0),  # under 8 h: no break
    (8.0, 8.0),  # exactly 8 h: the break is due only past 8 h
    (8.5, 9.0),  # 8 h, the 30-min break, 0.5 h
    (11.0, 11.5),  # a full day's driving with its break
    (12.0, 25.0),  # day 1: 8 + 0.5 + 3 h, the window's other 2.5 h on duty, 10 h off (24 h); then 1 h
    (30.0, 56.0),  # two full days (48 h), then 8 h without a break
    (55.0, 107.5),  # four full days (96 h, 56 h on duty), then 11 h and the break: 67.5 h on duty
    (60.0, 149.0),  # five full days use the 70 h on duty: the fifth rest is the 34-h restart (4 x 24 + 14 + 34); 5 h
    (121.0, 299.5),  # two cycles of 144 h (55 h driving each), then 11 h and the break
])
def test_a_fresh_driver_takes_the_hours_worked_out_by_hand(driving, elapsed):
    got, _ = drive(np.array([driving]))
    assert got[0] == pytest.approx(elapsed)
    assert drive_fresh(np.array([driving]))[0] == pytest.approx(elapsed)
    assert driving_hours(np.array([elapsed]))[0] == pytest.approx(driving)


def test_the_drivers_state_is_carried_from_one_leg_to_the_next():
    """6 h driving, a 4-h stop on duty (it counts as the break), then 6 h more: the window closes at
    14 h after 4 h of the second leg, 10 h off, then 2 h: 4 + 10 + 2 = 16 h for the second leg."""
    first, state = drive(np.array([6.0]))
    assert first[0] == 6.0 and (state.duty_h[0], state.drive_h[0], state.since_break_h[0]) == (6.0, 6.0, 6.0)
    state = stop(state, np.array([4.0]))
    assert (state.duty_h[0], state.since_break_h[0]) == (10.0, 0.0)
    second, state = drive(np.array([6.0]), state)
    assert second[0] == pytest.approx(16.0)
    assert (state.duty_h[0], state.drive_h[0]) == (2.0, 2.0)
    rested = stop(fresh_driver(1), np.array([10.0]))  # a stop of 10 h is the rest: a fresh driver
    assert drive(np.array([6.0]), rested)[0][0] == 6.0


def test_the_sampler_matches_the_builders_hours_of_service():
    """The builder's daily rule is the sampler's up to four full days (55 h of driving, more than any
    built-in truck link: at most 4 full days); from the fifth rest on, the 34-h restart adds 24 h."""
    km = np.linspace(1.0, 10_000.0, 8001)
    built = np.array([truck_hours(k, 80.0) for k in km])
    restarts = np.maximum(np.ceil(km / 80.0 / 11.0 - 1e-9) - 1.0, 0.0) // 5
    assert restarts.max() == 2 and (restarts[km <= 55 * 80] == 0).all()
    assert np.allclose(drive_fresh(km / 80.0), built + 24.0 * restarts, atol=1e-9)
    assert np.allclose(driving_hours(drive_fresh(km / 80.0)), km / 80.0, atol=1e-9)
    links = read_network().links.filter(pl.col("mode") == "truck")["transit_h"].to_numpy()
    assert driving_hours(links).max() < 55.0


def test_the_weekly_limit_carries_through_legs_and_a_long_stop_restarts_it():
    """50 h: four full days (56 h on duty), then 6 h (62 h). A 2-h stop on duty (64 h, the break).
    Then 8 h: 5 h to the day's 11 h (69 h on duty), the window's last hour of other work reaches
    70 h, so the rest is the 34-h restart, then 3 h: 5 + 1 + 34 + 3 = 43 h (19 h with a 10-h rest)."""
    first, state = drive(np.array([50.0]))
    assert first[0] == pytest.approx(102.0) and state.cycle_h[0] == pytest.approx(62.0)
    state = stop(state, np.array([2.0]))
    assert (state.duty_h[0], state.cycle_h[0]) == (8.0, 64.0)
    second, after = drive(np.array([8.0]), state)
    assert second[0] == pytest.approx(43.0)
    assert (after.duty_h[0], after.drive_h[0], after.cycle_h[0]) == (3.0, 3.0, 3.0)
    rested = stop(state, np.array([12.0]))  # a 10-h rest starts a new day, but the cycle stays at 64 h
    assert (rested.duty_h[0], rested.cycle_h[0]) == (0.0, 64.0)
    assert drive(np.array([8.0]), rested)[0][0] == pytest.approx(6.0 + 34.0 + 2.0)  # 6 h to 70 h, restart, 2 h
    restarted = stop(state, np.array([34.0]))
    assert drive(np.array([8.0]), restarted)[0][0] == 8.0
    links = [{"id": "a", "from": "O", "to": "B", "transit_h": 102.0}, {"id": "b", "from": "B", "to": "M",
                                                                      "transit_h": 8.0}]
    net = truck_chain(links, dwell={"B": 2.0})  # the same in the sampler: one driver through a plant on the way
    assert sample_lead_times(net, lane("a", "b"), samples=10)["mean_h"][0] == pytest.approx(102.0 + 2.0 + 43.0)


def truck_chain(links: list[dict], dwell: dict[str, float] | None = None,
                calendars: list[dict] | None = None, kind: str = "plant") -> Network:
    """O -> ... -> M by truck; the nodes between are of ``kind``: a plant on the way keeps the driver
    (a pick-up), a hub is a carrier change (a fresh driver)."""
    names = list(dict.fromkeys(["O", *[link["to"] for link in links]]))
    nodes = pl.DataFrame([{"id": n, "name": n, "kind": "origin" if i == 0 else "market" if n == "M" else kind,
                           "country": "US", "region": None, "lat": 10.0 + i, "lon": 10.0,
                           "dwell_h": (dwell or {}).get(n, 0.0)} for i, n in enumerate(names)])
    return Network.from_frames(
        nodes=nodes, links=pl.DataFrame([{"mode": "truck", "transit_p95_h": None, **link} for link in links]),
        commodities=pl.DataFrame({"id": ["c"], "name": ["c"], "value_usd_per_load": [1.0]}),
        supply=pl.DataFrame({"node": ["O"], "commodity": ["c"], "capacity_loads_per_day": [1.0]}),
        demand=pl.DataFrame({"node": ["M"], "commodity": ["c"], "loads_per_day": [1.0]}),
        calendars=pl.DataFrame(calendars) if calendars else None)


def lane(*links: str) -> pl.DataFrame:
    return pl.DataFrame([{"origin": "O", "links": ">".join(links), "loads_per_day": 1.0}])


def test_a_random_truck_leg_draws_its_driving_and_rests_overnight():
    """transit 10.5 h = 10 h driving + the break; p95 12.6 h, so the driving time is lognormal with
    median 10 h and sigma ln(1.2) / z95. A driver who needs more than 11 h stops for the night:
    P(D > 11) = 1 - Phi(z95 ln 1.1 / ln 1.2) = 0.195 of the loads take 24 h or more, and no load
    takes between 11.5 and 24 h. The median stays the typical 10.5 h."""
    net = truck_chain([{"id": "a", "from": "O", "to": "M", "transit_h": 10.5, "transit_p95_h": 12.6}])
    row = sample_lead_times(net, lane("a"), samples=N, seed=4, cdf_points=1001).row(0, named=True)
    sigma = math.log(1.2) / Z95
    late = 1 - stats.norm.cdf(math.log(1.1) / sigma)
    assert late == pytest.approx(0.195, abs=0.001)
    cdf = np.array(row["cdf_h"])
    assert np.mean(cdf >= 24.0) == pytest.approx(late, abs=0.005)
    assert not ((cdf > 11.5 + 1e-3) & (cdf < 24.0 - 1e-3)).any()
    assert row["p50_h"] == pytest.approx(10.5, abs=0.05)
    d = stats.lognorm(sigma, scale=10.0)
    mean = integrate.quad(lambda x: drive_fresh(np.array([x]))[0] * d.pdf(x), 0, 200, points=[8, 11, 19, 22],
                          limit=400)[0]
    assert row["mean_h"] == pytest.approx(mean, rel=0.005)
    without = sample_lead_times(net, lane("a"), samples=N, seed=4, clock=False)["p95_h"][0]
    assert without == pytest.approx(12.6, rel=0.01)  # without the clock: the lognormal of the elapsed time


def test_one_driver_carries_his_hours_through_consecutive_truck_legs():
    """a: 6 h, B: a 4-h stop on duty, b: 6 h. Carried: 6 + 4 + (4 + 10 + 2) = 26 h, against 16 h for
    two fresh drivers (the clock off). A 10-h stop at B is the rest: 6 + 10 + 6 = 22 h."""
    links = [{"id": "a", "from": "O", "to": "B", "transit_h": 6.0}, {"id": "b", "from": "B", "to": "M",
                                                                    "transit_h": 6.0}]
    net = truck_chain(links, dwell={"B": 4.0})
    row = sample_lead_times(net, lane("a", "b"), samples=100).row(0, named=True)
    assert row["mean_h"] == pytest.approx(26.0) and row["std_h"] == 0.0
    assert row["truck_mean_h"] == pytest.approx(22.0)  # the 10 h off are truck time; the 4-h stop is the hub's
    assert sample_lead_times(net, lane("a", "b"), samples=100, clock=False)["mean_h"][0] == pytest.approx(16.0)
    rested = truck_chain(links, dwell={"B": 10.0})
    assert sample_lead_times(rested, lane("a", "b"), samples=100)["mean_h"][0] == pytest.approx(22.0)


@pytest.mark.parametrize("kind", ["hub", "border_crossing", "seaport", "rail_terminal"])
def test_a_load_that_changes_carrier_gets_a_fresh_driver_as_in_the_lp(kind):
    """The same lane with B a yard, crossing, port or rail ramp: the truck after B has a fresh driver,
    6 + 4 + 6 = 16 h, the sum of the links' hours as the LP charges them."""
    links = [{"id": "a", "from": "O", "to": "B", "transit_h": 6.0}, {"id": "b", "from": "B", "to": "M",
                                                                    "transit_h": 6.0}]
    net = truck_chain(links, dwell={"B": 4.0}, kind=kind)
    assert len(plan_lanes(net, lane("a", "b")).runs.lane) == 0
    assert sample_lead_times(net, lane("a", "b"), samples=100)["mean_h"][0] == pytest.approx(16.0)


def test_the_built_in_lanes_with_fixed_legs_take_the_lps_hours_under_hours_of_service():
    """Every leg at its typical value, no calendars, no regimes: each built-in lane's sampled time is
    the LP's lead_time_h (each truck link a fresh driver: every node between two truck links is a
    carrier change), with the hours of service on as off."""
    from routing import solve_lead_time

    net = read_network()
    none = pl.lit(None, dtype=pl.Float64)
    spreads = {"delay_prob": none, "delay_h": none}
    fixed = net.replace(
        nodes=net.nodes.with_columns(dwell_p95_h=none, **spreads),
        links=net.links.with_columns(transit_p95_h=none, **spreads), legs=net.legs.clear(),
        calendars=net.calendars.clear(),
        crossings=net.crossings.with_columns(wait_p95_h=none, weekly_hours=pl.lit(None, dtype=pl.String)))
    lanes = solve_lead_time(net).lanes
    assert len(plan_lanes(net, lanes).runs.lane) == 0
    for clock in (True, False):
        got = sample_lead_times(fixed, lanes, samples=10, clock=clock, regimes=False)
        assert np.allclose(got["p50_h"].to_numpy(), lanes["lead_time_h"].to_numpy(), rtol=0, atol=1e-3)
        assert (got["std_h"] == 0).all()


def test_every_built_in_truck_link_follows_hours_of_service():
    net = read_network()
    lanes = pl.DataFrame({"origin": net.links["from"], "links": net.links["id"], "loads_per_day": 1.0})
    plan = plan_lanes(net, lanes)
    truck = np.flatnonzero(net.links["mode"].to_numpy() == "truck") + net.arrays.n_nodes
    assert plan.spread.hos[truck].all()
    assert not plan_lanes(net, lanes, clock=False).spread.hos.any()


@pytest.mark.parametrize(("ready_h", "hours"), [
    (14.0, 24.0),  # a: 14-20 h; B closed until 08 next day, a 12-h wait: the driver's rest; b fresh: 6 + 12 + 6
    (6.0, 25.0),  # a: 06-12 h; B open, no wait: b carries 6 h: 2 + break 0.5 + 3, 2.5 h + 10 h off, 1 h = 19
])
def test_a_wait_for_opening_hours_between_two_truck_legs_is_on_the_drivers_clock(ready_h, hours):
    """B (a plant on the way, no dwell) opens daily 08-20; the driver waits there with the load."""
    links = [{"id": "a", "from": "O", "to": "B", "transit_h": 6.0}, {"id": "b", "from": "B", "to": "M",
                                                                    "transit_h": 6.0}]
    net = truck_chain(links, calendars=[{"node": "B", "calendar": "open", "weekly": "daily 08-20"}])
    row = sample_lead_times(net, lane("a", "b"), samples=2, start_h=np.full(2, ready_h)).row(0, named=True)
    assert row["mean_h"] == pytest.approx(hours)


def test_drive_fresh_in_place_gives_the_closed_form_bit_for_bit():
    from routing.analysis.hos import _EPS, BREAK_AFTER_H, BREAK_H, CYCLE_DAYS, DAY_H, DRIVE_H, OFF_H, RESTART_H

    d = np.concatenate([np.random.default_rng(3).lognormal(1.5, 1.2, 50_000), [0.0, 8.0, 8.0 + 1e-9, 11.0, 22.0, 33.0]])
    full = np.maximum(np.ceil(d / DRIVE_H - _EPS) - 1.0, 0.0)
    last = d - full * DRIVE_H
    expected = full * DAY_H + last + np.where(last > BREAK_AFTER_H + _EPS, BREAK_H, 0.0)
    expected += np.floor(full / CYCLE_DAYS) * (RESTART_H - OFF_H)
    assert (full >= CYCLE_DAYS).any()
    assert np.array_equal(drive_fresh(d), expected)
    assert np.array_equal(drive_fresh(d.astype(np.float32)), drive_fresh(d.astype(np.float32).astype(np.float64)))
    assert drive_fresh(12.0) == 25.0
