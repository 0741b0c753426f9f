"""Monte Carlo lead times (`routing.analysis.leadtime`): single legs match the fitted parameters, sums of
legs behave as the maths says, delay events and mixtures have the right weights, the waterfall
adds up, and the same seed gives the same numbers."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import routing.analysis.leadtime as leadtime
from networks import InputError, Network, read_network
from routing import solve_lead_time
from routing.analysis.leadtime import Z95, leg_spreads, sample_lead_times

N = 200_000


def chain(links: list[dict], nodes: dict[str, dict] | None = None) -> Network:
    """A network O -> ... -> M with the given links (``id``, ``from``, ``to`` and spread columns); a
    link is rail unless it says otherwise (a generic leg: truck links follow hours of service)."""
    names = list(dict.fromkeys(["O", *[link["to"] for link in links]]))
    extra = nodes or {}
    node_rows = [{"id": n, "name": n, "kind": "origin" if i == 0 else "market" if n == "M" else "hub",
                  "country": "CN" if i == 0 else "US", "region": None, "lat": 10.0 + i, "lon": 10.0, "dwell_h": 0.0,
                  "dwell_p95_h": None, "delay_prob": None, "delay_h": None, **extra.get(n, {})}
                 for i, n in enumerate(names)]
    link_rows = [{"mode": "rail", "transit_p95_h": None, "delay_prob": None, "delay_h": None, **link} for link in links]
    return Network.from_frames(
        nodes=pl.DataFrame(node_rows), links=pl.DataFrame(link_rows),
        commodities=pl.DataFrame({"id": ["c"], "name": ["c"], "value_usd_per_load": [1.0]}),
        supply=pl.DataFrame({"node": ["O"], "commodity": ["c"], "capacity_loads_per_day": [1.0]}),
        demand=pl.DataFrame({"node": ["M"], "commodity": ["c"], "loads_per_day": [1.0]}))


def lane(*links: str, origin: str = "O", loads: float = 1.0) -> dict:
    return {"origin": origin, "links": ">".join(links), "loads_per_day": loads}


def test_the_lognormal_is_fitted_to_the_typical_value_and_the_p95():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 100.0, "transit_p95_h": 150.0}])
    spread = leg_spreads(net.arrays)
    a = net.arrays.n_nodes  # links come after the nodes
    assert spread.sigma[a] == pytest.approx(math.log(1.5) / 1.6448536, rel=1e-6)
    assert spread.typical_h[a] * math.exp(Z95 * spread.sigma[a]) == pytest.approx(150.0)
    assert spread.mean_h[a] == pytest.approx(100.0 * math.exp(spread.sigma[a] ** 2 / 2))


def test_a_single_leg_samples_its_median_and_p95():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 100.0, "transit_p95_h": 150.0}])
    row = sample_lead_times(net, pl.DataFrame([lane("a")]), samples=N, seed=3).row(0, named=True)
    # sampling error of a quantile: sqrt(p (1 - p) / n) / density there = 0.07 h at p50, 0.18 h at p95
    assert row["p50_h"] == pytest.approx(100.0, abs=0.5)
    assert row["p95_h"] == pytest.approx(150.0, abs=1.0)
    sigma = math.log(1.5) / Z95
    assert row["p99_h"] == pytest.approx(100.0 * math.exp(NormalDist().inv_cdf(0.99) * sigma), abs=2.0)
    assert row["mean_h"] == pytest.approx(100.0 * math.exp(sigma**2 / 2), abs=0.3)


def test_a_leg_without_spread_is_fixed_at_its_typical_value():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 42.0}])
    row = sample_lead_times(net, pl.DataFrame([lane("a")]), samples=1000).row(0, named=True)
    assert row["p50_h"] == row["p99_h"] == row["mean_h"] == 42.0
    assert row["std_h"] == 0.0


def test_a_delay_event_adds_its_hours_with_its_probability():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 10.0, "delay_prob": 0.3, "delay_h": 20.0}])
    row = sample_lead_times(net, pl.DataFrame([lane("a")]), samples=N, seed=1).row(0, named=True)
    assert row["p50_h"] == 10.0 and row["p95_h"] == 30.0  # 70 % on time, 30 % late by 20 h
    sd_of_mean = 20 * math.sqrt(0.3 * 0.7 / N)
    assert row["mean_h"] == pytest.approx(16.0, abs=5 * sd_of_mean)
    assert row["std_h"] == pytest.approx(20 * math.sqrt(0.21), rel=0.01)


def test_means_and_variances_of_independent_legs_add():
    net = chain(
        [{"id": "a", "from": "O", "to": "H", "transit_h": 100.0, "transit_p95_h": 180.0},
         {"id": "b", "from": "H", "to": "M", "transit_h": 30.0, "transit_p95_h": 33.0, "delay_prob": 0.1,
          "delay_h": 50.0}],
        nodes={"H": {"dwell_h": 5.0, "dwell_p95_h": 12.0}, "O": {"dwell_h": 2.0}})
    spread = leg_spreads(net.arrays)
    expected_mean = spread.mean_h.sum()  # every node and link is on the one lane O>H>M
    var = (spread.typical_h**2 * (np.exp(spread.sigma**2) - 1) * np.exp(spread.sigma**2)
           + spread.delay_h**2 * spread.delay_prob * (1 - spread.delay_prob))
    row = sample_lead_times(net, pl.DataFrame([lane("a", "b")]), samples=N, seed=7).row(0, named=True)
    assert row["mean_h"] == pytest.approx(expected_mean, abs=5 * math.sqrt(var.sum() / N))
    assert row["std_h"] == pytest.approx(math.sqrt(var.sum()), rel=0.02)
    assert row["p95_h"] > row["p50_h"] > 0


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others():
    net = read_network()  # with the clock and the regimes, sample_lead_times' defaults
    lanes = solve_lead_time(net).lanes
    first = sample_lead_times(net, lanes, samples=5000, seed=11)
    assert first.equals(sample_lead_times(net, lanes, samples=5000, seed=11))
    assert not first.equals(sample_lead_times(net, lanes, samples=5000, seed=12))


def test_the_numbers_do_not_depend_on_the_threads(monkeypatch):
    """The legs are drawn in two fixed streams, on two threads or one: the same numbers, bit for bit."""
    net = read_network()
    lanes = solve_lead_time(net).lanes
    monkeypatch.setattr(leadtime, "THREADS", 2)
    threaded = sample_lead_times(net, lanes, samples=5000, seed=11)
    monkeypatch.setattr(leadtime, "THREADS", 1)
    assert threaded.equals(sample_lead_times(net, lanes, samples=5000, seed=11))


def test_the_waterfall_adds_up_to_the_mean_and_to_the_p95():
    net = read_network()
    dist = sample_lead_times(net, solve_lead_time(net).lanes, samples=20_000, seed=2)
    means = dist.select(pl.sum_horizontal(pl.col("^.*_mean_h$").exclude("mean_h"))).to_series()
    p95s = dist.select(pl.sum_horizontal(pl.col("^.*_p95_h$").exclude("p95_h"))).to_series()
    assert np.allclose(means.to_numpy(), dist["mean_h"].to_numpy(), rtol=1e-9)
    assert np.allclose(p95s.to_numpy(), dist["p95_h"].to_numpy(), rtol=1e-9)
    ocean = dist.filter(pl.col("ocean_mean_h") > 0)
    assert ocean.height and (ocean["ocean_p95_h"] >= ocean["ocean_mean_h"] * 0.9).all()
    # every truck leg is random now (traffic spread, breakdowns): the tail holds more truck time than the mean
    truck = dist.filter(pl.col("truck_mean_h") > 0)
    assert truck.height and (truck["truck_p95_h"] > truck["truck_mean_h"]).any()


def test_without_spread_the_sample_is_the_solver_lead_time():
    net = read_network()
    fixed = net.replace(nodes=net.nodes.with_columns(dwell_p95_h=None, delay_prob=None, delay_h=None),
                        links=net.links.with_columns(transit_p95_h=None, delay_prob=None, delay_h=None),
                        crossings=net.crossings.with_columns(wait_p95_h=None), legs=net.legs.head(0))
    lanes = solve_lead_time(fixed).lanes
    dist = sample_lead_times(fixed, lanes, samples=100, clock=False, regimes=False)
    assert np.allclose(dist["p50_h"].to_numpy(), lanes["lead_time_h"].to_numpy())
    assert (dist["std_h"] == 0).all()


def test_pooled_lanes_form_a_mixture_weighted_by_loads():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 10.0},
                 {"id": "b", "from": "O", "to": "M", "transit_h": 20.0}])
    lanes = pl.DataFrame([lane("a", loads=3.0), lane("b", loads=1.0)]).with_columns(market=pl.lit("M"))
    row = sample_lead_times(net, lanes, samples=N, seed=5, by=["market"]).row(0, named=True)
    assert (row["lanes"], row["loads_per_day"]) == (2, 4.0)
    assert row["p50_h"] == 10.0 and row["p90_h"] == 20.0
    assert row["mean_h"] == pytest.approx(12.5, abs=5 * 10 * math.sqrt(0.1875 / N))
    assert row["rail_mean_h"] == pytest.approx(row["mean_h"])


def test_chunks_of_lanes_give_the_same_numbers(monkeypatch):
    net = read_network()
    lanes = solve_lead_time(net).lanes
    whole = sample_lead_times(net, lanes, samples=2000, seed=4)
    monkeypatch.setattr(leadtime, "MAX_ELEMENTS", 6000)  # 3 lanes per chunk, draws shared by all chunks
    chunked = sample_lead_times(net, lanes, samples=2000, seed=4)
    assert_frame_equal(chunked, whole, rel_tol=1e-12, abs_tol=1e-9)  # only float summation order differs
    monkeypatch.setattr(leadtime, "MAX_SHARED_DRAWS", 0)  # too big to share: each chunk draws its own legs
    alone = sample_lead_times(net, lanes, samples=2000, seed=4)
    assert not alone.equals(whole)
    assert (alone["p99_h"] >= alone["p50_h"]).all()
    # the same distribution from other draws: heavy tails and bimodal clocks at 2,000 samples, so
    # compare the lanes' means loosely and their average tightly
    assert np.allclose(alone["mean_h"].to_numpy(), whole["mean_h"].to_numpy(), rtol=0.15)
    assert alone["mean_h"].mean() == pytest.approx(whole["mean_h"].mean(), rel=0.02)


def test_a_lane_with_an_unknown_link_is_an_input_error():
    net = chain([{"id": "a", "from": "O", "to": "M", "transit_h": 1.0}])
    with pytest.raises(InputError, match="links: unknown link"):
        sample_lead_times(net, pl.DataFrame([lane("a", "nope")]), samples=10)


def test_adding_rows_in_order_equals_np_add_at_with_repeated_rows():
    from routing.analysis.leadtime import _add_rows

    rng = np.random.default_rng(0)
    typed = rng.random((3, 4, 1000)).astype(np.float32)
    kinds, rows = np.array([0, 2, 0, 0, 1]), np.array([1, 3, 1, 2, 1])  # (0, 1) twice: the order matters in float32
    values = rng.random((5, 1000)) * 1e3
    expected = typed.copy()
    np.add.at(expected, (kinds, rows), values.astype(np.float32))
    _add_rows(typed, kinds, rows, values)
    assert np.array_equal(typed, expected)
