"""The leg library, clocks and shared shocks (`routing.analysis.leadtime`, `.clock`, `.regimes`,
`.inventory`), each against numbers worked out by hand: a lognormal leg plus an event, a weekly
sailing, a crossing closed 12 h a day, two calendars in series, a regime chain's stationary mix and
persistence, shared shocks that make late shipments come in runs; and the built-in network, where
no leg of a lane is fixed any more."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import polars as pl
import pytest
from scipy import integrate, optimize, stats

from networks import InputError, Network, read_network
from routing import solve_lead_time
from routing.analysis.leadtime import Z95, plan_lanes, sample_lane_hours, sample_lead_times
from routing.analysis.regimes import RegimeChains, simulate_regimes, stationary

N = 200_000


def chain(links: list[dict], *, legs: list[dict] | None = None, calendars: list[dict] | None = None,
          regimes: list[dict] | None = None, domains: dict[str, str] | None = None) -> Network:
    """O -> ... -> M (hubs between), fixed unless the rows say otherwise; rail unless a link says
    otherwise (a generic leg: truck links follow hours of service)."""
    names = list(dict.fromkeys(["O", *[link["to"] for link in links]]))
    node_rows = [{"id": n, "name": n, "kind": "origin" if i == 0 else "market" if n == "M" else "hub",
                  "country": "CN" if i == 0 else "US", "region": None, "lat": 10.0 + i, "lon": 10.0, "dwell_h": 0.0}
                 for i, n in enumerate(names)]
    link_rows = [{"mode": "rail", "transit_p95_h": None, "shock_domain": (domains or {}).get(link["id"]), **link}
                 for link in links]
    frame = lambda rows: pl.DataFrame(rows) if rows else None
    return Network.from_frames(
        nodes=pl.DataFrame(node_rows), links=pl.DataFrame(link_rows, schema_overrides={"shock_domain": pl.String}),
        commodities=pl.DataFrame({"id": ["c"], "name": ["c"], "value_usd_per_load": [1.0]}),
        supply=pl.DataFrame({"node": ["O"], "commodity": ["c"], "capacity_loads_per_day": [1.0]}),
        demand=pl.DataFrame({"node": ["M"], "commodity": ["c"], "loads_per_day": [1.0]}),
        legs=frame(legs), calendars=frame(calendars), regimes=frame(regimes))


def lane(*links: str) -> pl.DataFrame:
    return pl.DataFrame([{"origin": "O", "links": ">".join(links), "loads_per_day": 1.0, "commodity": "c"}])


def event(element: str, prob: float, typical: float, p95: float | None, part: str = "e") -> dict:
    return {"element": element, "part": part, "commodity": None, "prob": prob, "typical_h": typical, "p95_h": p95}


def test_a_lognormal_leg_plus_an_event_has_the_moments_and_p95_worked_out_by_hand():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 10.0, "transit_p95_h": 20.0}],
                legs=[event("a", 0.2, 5.0, 15.0)])
    row = sample_lead_times(net, lane("a"), samples=N, seed=1).row(0, named=True)
    s1, s2 = math.log(2.0) / Z95, math.log(3.0) / Z95
    mean_x, var_x = 10 * math.exp(s1**2 / 2), 100 * (math.exp(s1**2) - 1) * math.exp(s1**2)
    m1, m2 = 5 * math.exp(s2**2 / 2), 25 * math.exp(2 * s2**2)  # the event's hours: first and second moments
    mean, var = mean_x + 0.2 * m1, var_x + 0.2 * m2 - (0.2 * m1) ** 2
    assert row["mean_h"] == pytest.approx(mean, rel=0.005)
    assert row["std_h"] == pytest.approx(math.sqrt(var), rel=0.01)
    x, y = stats.lognorm(s1, scale=10.0), stats.lognorm(s2, scale=5.0)

    def cdf(t: float) -> float:  # P(X + B Y <= t) = 0.8 F_X(t) + 0.2 int F_X(t - y) f_Y(y) dy
        return 0.8 * x.cdf(t) + 0.2 * integrate.quad(lambda v: x.cdf(t - v) * y.pdf(v), 0, t, limit=200)[0]

    p95 = optimize.brentq(lambda t: cdf(t) - 0.95, 10, 200)
    assert row["p95_h"] == pytest.approx(p95, rel=0.01)


def test_an_event_for_one_commodity_only_hits_its_loads():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 10.0}],
                legs=[{**event("a", 1.0, 5.0, None), "commodity": "c"}, {**event("a", 1.0, 7.0, None, "x"),
                                                                          "commodity": None}])
    other = lane("a").with_columns(commodity=pl.lit("d"))
    assert sample_lead_times(net, lane("a"), samples=100)["mean_h"][0] == pytest.approx(22.0)
    assert sample_lead_times(net, other, samples=100)["mean_h"][0] == pytest.approx(17.0)


def sailing(miss: float = 0.0, cutoff: float = 0.0) -> list[dict]:
    return [{"node": "O", "calendar": "departures", "weekly": "sat 12", "cutoff_h": cutoff, "miss_prob": miss}]


def test_a_weekly_sailing_with_a_uniform_ready_time_waits_three_and_a_half_days_on_average():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 10.0}], calendars=sailing())
    row = sample_lead_times(net, lane("a"), samples=N, seed=2).row(0, named=True)
    assert row["mean_h"] - 10 == pytest.approx(84.0, rel=0.005)  # 3.5 d: a uniform wait on 0-168 h
    assert row["p95_h"] - 10 == pytest.approx(0.95 * 168, rel=0.005)
    assert row["p50_h"] - 10 == pytest.approx(84.0, rel=0.01)
    # a roll or a blank sailing (10 %) waits one more week; a 24-h cut-off adds 24 h to every wait
    rolled = sample_lead_times(chain([{"id": "a", "from": "O", "to": "M", "transit_h": 10.0}],
                                     calendars=sailing(miss=0.1, cutoff=24.0)), lane("a"), samples=N, seed=2)
    assert rolled["mean_h"][0] - 10 == pytest.approx(84.0 + 24.0 + 0.1 * 168, rel=0.005)


def test_a_crossing_closed_twelve_hours_a_day_makes_the_wait_worked_out_by_hand():
    hours = [{"node": "B", "calendar": "open", "weekly": "daily 08-20"}]
    net = chain([{"id": "a", "from": "O", "to": "B", "transit_h": 1.0}, {"id": "b", "from": "B", "to": "M",
                                                                        "transit_h": 2.0}], calendars=hours)
    row = sample_lead_times(net, lane("a", "b"), samples=N, seed=3, cdf_points=101).row(0, named=True)
    # a uniform arrival finds it closed half the time and then waits uniform 0-12 h: mean 3 h;
    # P(wait <= w) = 0.5 + w / 24, so the p95 wait is 10.8 h and the median 0
    assert row["mean_h"] - 3 == pytest.approx(3.0, rel=0.02)
    assert row["p95_h"] - 3 == pytest.approx(10.8, rel=0.01)
    assert row["cdf_h"][45] == pytest.approx(3.0, abs=1e-6)  # open on arrival for 50 % of the loads: no wait
    assert row["cdf_h"][75] - 3 == pytest.approx(6.0, rel=0.02)  # P(wait <= 6 h) = 0.75
    assert row["crossing_wait_mean_h"] + row["other_dwell_mean_h"] == pytest.approx(row["mean_h"] - 3, rel=1e-9)


def test_the_clock_is_carried_from_one_calendar_to_the_next():
    hours = [{"node": n, "calendar": "open", "weekly": "daily 08-20"} for n in ("B", "C")]
    net = chain([{"id": "a", "from": "O", "to": "B", "transit_h": 1.0}, {"id": "b", "from": "B", "to": "C",
                                                                        "transit_h": 12.0},
                 {"id": "c", "from": "C", "to": "M", "transit_h": 1.0}], calendars=hours)
    mean = sample_lead_times(net, lane("a", "b", "c"), samples=N, seed=5)["mean_h"][0]
    # B: wait 3 h on average, leaving at d ~ U(8, 20) (open on arrival) or exactly 8 (closed): E[d] = 11;
    # C: the load arrives at d + 12 in 20-32 h, always closed, and waits until 32: 20 - d, mean 9 h
    assert mean == pytest.approx(1 + 3 + 12 + 9 + 1, rel=0.005)
    independent = sample_lead_times(net, lane("a", "b", "c"), samples=N, seed=5, clock=False)["mean_h"][0]
    assert independent == pytest.approx(14.0)  # without the clock, calendars do not make loads wait


def one_domain(p: np.ndarray, time_scale: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> RegimeChains:
    return RegimeChains(("d",), p[None], np.array([time_scale]), np.ones((1, 3)), np.zeros((1, 3)), np.zeros((1, 3)),
                        np.zeros(1), np.zeros(1))


def test_a_regime_chain_reproduces_its_stationary_mix_and_persistence():
    p = np.array([[0.90, 0.08, 0.02], [0.30, 0.70, 0.00], [0.20, 0.00, 0.80]])
    path = simulate_regimes(one_domain(p), 200_000, np.random.default_rng(0))[0]
    pi = stationary(p)
    assert np.allclose(np.bincount(path, minlength=3) / len(path), pi, atol=0.005)
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], path == 2, [0]]).astype(int))))[::2]
    assert runs.mean() == pytest.approx(1 / (1 - 0.80), rel=0.03)  # a disrupted spell lasts 1 / (1 - p_dd) weeks


def test_a_common_season_couples_the_domains():
    p = np.array([[0.95, 0.05, 0.0], [0.2, 0.8, 0.0], [1.0, 0.0, 0.0]])
    chains = RegimeChains(("a", "b"), np.stack([p, p]), np.ones((2, 3)), np.ones((2, 3)), np.zeros((2, 3)),
                          np.zeros((2, 3)), np.array([0.9, 0.9]), np.array([30.0, 30.0]))
    path = simulate_regimes(chains, 52 * 400, np.random.default_rng(1))
    assert np.corrcoef(path[0] == 1, path[1] == 1)[0, 1] > 0.05  # peaks cluster in the same weeks
    alone = simulate_regimes(dataclasses.replace(chains, seasonal_amplitude=np.zeros(2)), 52 * 400, np.random.default_rng(1))
    assert abs(np.corrcoef(alone[0] == 1, alone[1] == 1)[0, 1]) < 0.03


def regime_rows(stay_disrupted: float) -> list[dict]:
    return [{"domain": "d", "state": s, "to_normal": n, "to_peak": 0.0, "to_disrupted": d, "time_scale": t}
            for s, n, d, t in (("normal", 0.95, 0.05, 1.0), ("peak", 1.0, 0.0, 1.0),
                               ("disrupted", 1 - stay_disrupted, stay_disrupted, 4.0))]


def test_shared_shocks_make_late_shipments_come_in_runs():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 24.0, "transit_p95_h": 36.0}],
                regimes=regime_rows(0.8), domains={"a": "d"})
    days = 50_000
    start = 24.0 * np.arange(days)  # one shipment a day, in sequence on one regime path
    hours = sample_lane_hours(net, lane("a"), samples=days, seed=7, start_h=start)[0]
    late = hours > np.quantile(hours, 0.9)
    k = 3
    runs = np.lib.stride_tricks.sliding_window_view(late, k).all(axis=1).mean()
    independent = late.mean() ** k  # the same share of late loads, independent of each other
    assert runs > 5 * independent
    shuffled = np.random.default_rng(0).permutation(late)
    assert np.lib.stride_tricks.sliding_window_view(shuffled, k).all(axis=1).mean() < 2 * independent


def test_a_forced_state_holds_in_every_week():
    """Domain d disrupted in every week (a what-if): the leg's time x 4, median 24 h -> 96 h; held
    normal: exactly the leg without regimes (median 24 h, p95 36 h)."""
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 24.0, "transit_p95_h": 36.0}],
                regimes=regime_rows(0.8), domains={"a": "d"})
    hit = sample_lead_times(net, lane("a"), samples=N, seed=2, regime_states={"d": "disrupted"}).row(0, named=True)
    assert hit["p50_h"] == pytest.approx(96.0, rel=0.01) and hit["p95_h"] == pytest.approx(144.0, rel=0.01)
    calm = sample_lead_times(net, lane("a"), samples=N, seed=2, regime_states={"d": "normal"}).row(0, named=True)
    assert calm["p50_h"] == pytest.approx(24.0, rel=0.01) and calm["p95_h"] == pytest.approx(36.0, rel=0.01)
    free = sample_lead_times(net, lane("a"), samples=N, seed=2).row(0, named=True)
    assert calm["p95_h"] < free["p95_h"] < hit["p95_h"]  # the chain visits disrupted weeks now and then
    hours = sample_lane_hours(net, lane("a"), samples=1000, seed=2, regime_states={"d": "disrupted"})
    assert np.median(hours) > 80


@pytest.mark.parametrize(("states", "fragment"), [
    ({"nope": "disrupted"}, "unknown shock domain; the network's domains are d"),
    ({"d": "on"}, "unknown state of d; use one of normal, peak, disrupted"),
])
def test_a_forced_state_must_name_a_domain_and_a_state(states, fragment):
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 24.0, "transit_p95_h": 36.0}],
                regimes=regime_rows(0.8), domains={"a": "d"})
    with pytest.raises(InputError, match=fragment):
        sample_lead_times(net, lane("a"), samples=10, regime_states=states)
    with pytest.raises(ValueError, match="regime_states needs regimes=True"):
        sample_lead_times(net, lane("a"), samples=10, regimes=False, regime_states={"d": "peak"})


def test_no_leg_of_the_builtin_lanes_is_fixed():
    net = read_network()
    lanes = solve_lead_time(net).lanes
    plan = plan_lanes(net, lanes)
    n = net.nodes.height + net.links.height
    ids = [*net.nodes["id"].to_list(), *net.links["id"].to_list()]
    primary = plan.leg < n
    timed = primary & (plan.spread.typical_h[plan.leg] > 0)
    # a leg is random through its own spread or an event of legs.csv on it (an ocean leg's schedule is
    # fixed, as its source says; its late-vessel delay is the event)
    element = {e: ids.index(e) for e in net.legs["element"].unique().to_list()}
    events = net.legs.with_columns(leg=pl.col("element").replace_strict(element, return_dtype=pl.Int64))
    eventful = set(events["leg"].to_list())
    fixed = timed & ~plan.random & ~np.isin(plan.leg, list(eventful))
    assert not fixed.any(), sorted({ids[i] for i in plan.leg[fixed]})
    ocean = [i for i, m in enumerate(net.links["mode"].to_list()) if m == "ocean"]
    assert set(np.array(ocean) + net.nodes.height) <= eventful
    # the regression: Mexican lanes were deterministic; Mexico -> Chicago now has a spread
    mexico = lanes.filter(pl.col("origin").str.starts_with("MX_") & (pl.col("market") == "US_CHI"))
    dist = sample_lead_times(net, mexico, samples=20_000, seed=0)
    assert ((dist["p95_h"] - dist["p50_h"]) / 24 > 0.5).all()
