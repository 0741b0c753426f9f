"""`compare_sourcing` on a hand-made network (``tests/data/compare_small``), worked out by hand,
and on the built-in network: Asia is slower than Mexico for every US market.

compare_small: plant P (MX) -> bridge B (1 h wait, 3 h p95) or the slower B2 -> market M;
origin O (CN) -> ocean (300 h, late half the time by 48 h) -> seaport S (48 h dwell, 96 h p95,
10 % exams of 72 h) -> M. Demand 10 loads/day of widgets worth US$100,000; duty CN 25 %, MX 0 %.
"""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import polars as pl
import pytest

import routing.analysis.compare as compare_module
from networks import InputError, read_network
from routing.analysis.compare import COMPARE_SCHEMA, compare_sourcing
from routing.analysis.leadtime import Z95

SMALL = Path(__file__).parents[2] / "data" / "compare_small"
N = 200_000


@pytest.fixture(scope="module")
def small():
    return read_network(SMALL)


@pytest.fixture(scope="module")
def rows(small):
    out = compare_sourcing(small, samples=N, seed=4, service_level=0.95, annual_carrying_rate=0.2,
                           objective="lead_time")  # worked out by hand for the fastest routes
    return {r["sourcing"]: r for r in out.iter_rows(named=True)}


def lognormal(typical: float, p95: float) -> tuple[float, float]:
    """Mean and variance of the lognormal with this median and p95."""
    s2 = (math.log(p95 / typical) / Z95) ** 2
    return typical * math.exp(s2 / 2), typical**2 * (math.exp(s2) - 1) * math.exp(s2)


def bernoulli(p: float, hours: float) -> tuple[float, float]:
    return p * hours, hours**2 * p * (1 - p)


# by hand: P dwell 2 + P-B 10 + B (1, p95 3) + B-M 20 + M 0; O dwell 24 + O-S 300 (+ 48 h at p 0.5)
# + S (48, p95 96; + 72 h at p 0.1) + S-M 40
MEXICO = [(32.0, 0.0), lognormal(1.0, 3.0)]
ASIA = [(364.0, 0.0), lognormal(48.0, 96.0), bernoulli(0.5, 48.0), bernoulli(0.1, 72.0)]


def moments(parts):
    return sum(m for m, _ in parts), math.sqrt(sum(v for _, v in parts))


def test_the_lanes_are_the_fast_routes_worked_out_by_hand(rows):
    assert (rows["mexico"]["origin"], rows["mexico"]["route"], rows["mexico"]["crossing"]) == ("P", "P>B>M", "B")
    assert rows["mexico"]["port"] is None  # B2 is 7 h slower, never used
    assert (rows["asia"]["origin"], rows["asia"]["route"], rows["asia"]["port"]) == ("O", "O>S>M", "S")
    assert rows["asia"]["crossing"] is None
    assert rows["asia"]["origin_country"] == "CN" and rows["mexico"]["origin_country"] == "MX"
    for row in rows.values():
        assert row["served_loads_per_day"] == 10.0 and row["unmet_loads_per_day"] == 0.0
        assert row["status"] == "optimal" and row["lanes"] == 1


@pytest.mark.parametrize("side, parts", [("mexico", MEXICO), ("asia", ASIA)])
def test_lead_time_moments_match_the_legs(rows, side, parts):
    mean_h, std_h = moments(parts)
    row = rows[side]
    assert row["mean_days"] * 24 == pytest.approx(mean_h, abs=5 * std_h / math.sqrt(N))
    assert row["std_days"] * 24 == pytest.approx(std_h, rel=0.02)
    assert row["p95_days"] > row["p50_days"]


def test_the_mexican_median_is_the_fixed_legs_plus_the_bridge_median(rows):
    assert rows["mexico"]["p50_days"] * 24 == pytest.approx(33.0, abs=0.02)
    assert rows["mexico"]["p95_days"] * 24 == pytest.approx(35.0, abs=0.1)  # only B varies: 32 + its p95


def test_pipeline_inventory_is_loads_per_day_times_mean_days(rows):
    for side, parts in (("mexico", MEXICO), ("asia", ASIA)):
        row = rows[side]
        assert row["pipeline_loads"] == pytest.approx(10 * row["mean_days"], rel=1e-12)
        assert row["pipeline_value_usd"] == pytest.approx(100_000 * 10 * row["mean_days"], rel=1e-12)
        mean_h, std_h = moments(parts)
        assert row["pipeline_value_usd"] == pytest.approx(1_000_000 * mean_h / 24, abs=1_000_000 * 5 * std_h / 24
                                                          / math.sqrt(N))


def test_safety_stock_is_the_lead_time_demand_quantile_above_its_mean(rows):
    # one lane, one load a day of demand per load: LTD = the lead time; Mexico by hand:
    # q95 = 32 + 3 h (only B varies), mean = 32 + exp(sigma^2 / 2) h with sigma = ln 3 / z95
    by_hand = (3.0 - math.exp((math.log(3.0) / Z95) ** 2 / 2)) / 24
    assert rows["mexico"]["safety_stock_days"] == pytest.approx(by_hand, rel=0.05)
    asia = rows["asia"]
    assert asia["safety_stock_days"] == pytest.approx(asia["p95_days"] - asia["mean_days"], rel=0.05)
    z = NormalDist().inv_cdf(0.95)
    for side, parts in (("mexico", MEXICO), ("asia", ASIA)):
        row = rows[side]
        assert row["safety_stock_z_sigma_days"] == pytest.approx(z * row["std_days"], rel=1e-12)  # the old rule
        assert row["safety_stock_loads"] == pytest.approx(10 * row["safety_stock_days"], rel=1e-12)
        assert row["safety_stock_value_usd"] == pytest.approx(1_000_000 * row["safety_stock_days"], rel=1e-12)
        assert 0.9 < row["fill_rate"] <= 1.0 and 0.0 <= row["stockout_prob"] <= 1.0
        assert row["lane_mix"] == [{"origin": row["origin"], "route": row["route"], "crossing": row["crossing"],
                                    "share": 1.0, "duty_pct": row["duty_pct"]}]


def test_landed_cost_is_freight_plus_duty_plus_carrying(rows):
    z = NormalDist().inv_cdf(0.95)
    expected = {"mexico": (500 + 800, 0.0), "asia": (3000 + 1200, 25.0)}  # link costs; duty % from tariffs.csv
    for side, (freight, duty_pct) in expected.items():
        row = rows[side]
        carrying = 100_000 * 0.2 * (row["mean_days"] + row["safety_stock_days"]) / 365
        assert row["freight_usd_per_load"] == freight
        assert (row["duty_pct"], row["duty_usd_per_load"]) == (duty_pct, duty_pct / 100 * 100_000)
        assert row["carrying_usd_per_load"] == pytest.approx(carrying, rel=1e-12)
        assert row["landed_cost_usd_per_load"] == pytest.approx(freight + duty_pct * 1000 + carrying, rel=1e-12)
    assert rows["asia"]["landed_cost_usd_per_load"] == pytest.approx(4200 + 25_000 + 100_000 * 0.2 * (
        (moments(ASIA)[0] + z * moments(ASIA)[1]) / 24) / 365, rel=1e-3)


def test_differences_are_asia_minus_mexico_on_both_rows(rows):
    for column in ("p50_days", "p95_days", "p99_days", "mean_days", "pipeline_value_usd", "safety_stock_days",
                   "landed_cost_usd_per_load"):
        diff = rows["asia"][column] - rows["mexico"][column]
        assert rows["asia"][f"asia_minus_mexico_{column}"] == pytest.approx(diff, rel=1e-12)
        assert rows["mexico"][f"asia_minus_mexico_{column}"] == pytest.approx(diff, rel=1e-12)


def test_without_a_tariffs_file_there_is_no_duty(small):
    no_duty = small.replace(tariffs=small.tariffs.clear())
    out = compare_sourcing(no_duty, samples=1000)
    assert out["duty_usd_per_load"].to_list() == [0.0, 0.0]


def test_both_sourcings_are_scenarios_of_one_model(small, monkeypatch):
    made = []

    class Spy(compare_module.LeadTimeModel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.solves = 0
            made.append(self)

        def solve(self, variant=None):
            self.solves += 1
            return super().solve(variant)

    monkeypatch.setattr(compare_module, "LeadTimeModel", Spy)
    compare_sourcing(small, samples=100, objective="lead_time")
    assert len(made) == 1 and made[0].solves == 3  # the whole network (background), then one market x (asia, mexico)
    made.clear()
    compare_sourcing(small, samples=100)  # as operated, then the lead-time bound: one model each, the same scenarios
    assert [m.options.objective.value for m in made] == ["as_operated", "lead_time", "as_operated"]
    assert [m.solves for m in made] == [3, 3, 1]  # the bound holds the other markets as operated (one cold solve)


def test_the_frame_has_the_fixed_schema_and_the_same_seed_repeats(small):
    first = compare_sourcing(small, samples=2000, seed=9)
    assert first.schema == COMPARE_SCHEMA
    assert first.equals(compare_sourcing(small, samples=2000, seed=9))


@pytest.mark.parametrize("kwargs, fragment", [
    ({"markets": ["NOPE"]}, "market: not a market node of the network (known: M) (got 'NOPE')"),
    ({"markets": ["P"]}, "market: not a market node of the network (known: M) (got 'P')"),
    ({"commodities": ["gadgets"]}, "commodity: not a commodity of the network (known: widgets) (got 'gadgets')"),
    ({"asia": ["P"]}, "asia: not an origin node of the network (known: O) (got 'P')"),
    ({"mexico": ["Q"]}, "mexico: not a plant node of the network (known: P) (got 'Q')"),
    ({"service_level": 1.0}, "service_level: must be between 0 and 1 (exclusive) (got 1.0)"),
    ({"annual_carrying_rate": -0.1}, "annual_carrying_rate: must be >= 0 (got -0.1)"),
])
def test_bad_options_name_the_field_and_the_value(small, kwargs, fragment):
    with pytest.raises(InputError) as info:
        compare_sourcing(small, samples=100, **kwargs)
    assert any(str(p) == f"compare_small: {fragment}" for p in info.value.problems), info.value


@pytest.fixture(scope="module")
def builtin_rows():
    return compare_sourcing(read_network(), samples=20_000, seed=1)


def test_on_the_builtin_network_asia_is_slower_than_mexico_for_every_market(builtin_rows):
    net = read_network()
    markets = set(net.nodes.filter(pl.col("kind") == "market")["id"])
    assert set(builtin_rows["market"]) == markets
    assert (builtin_rows["status"] == "optimal").all() and (builtin_rows["unmet_loads_per_day"] == 0).all()
    for column in ("p50_days", "p95_days", "p99_days", "mean_days"):
        assert (builtin_rows[f"asia_minus_mexico_{column}"] > 0).all(), column
    asia = builtin_rows.filter(pl.col("sourcing") == "asia")
    mexico = builtin_rows.filter(pl.col("sourcing") == "mexico")
    assert asia["p50_days"].min() > mexico["p99_days"].max()  # not even close: weeks against days
    assert asia["port"].null_count() == 0 and mexico["crossing"].null_count() == 0


def test_on_the_builtin_network_the_p95_is_above_the_p50_everywhere(builtin_rows):
    assert (builtin_rows["p95_days"] > builtin_rows["p50_days"]).all()
    assert (builtin_rows["p99_days"] >= builtin_rows["p95_days"]).all()
    assert (builtin_rows["safety_stock_days"] > 0).all()


def test_on_the_builtin_network_chinese_goods_pay_section_301_and_mexican_none(builtin_rows):
    china = compare_sourcing(read_network(), markets=["US_CHI"], asia=["Shanghai"], samples=2000)
    row = china.filter(pl.col("sourcing") == "asia").sort("commodity").row(0, named=True)  # appliances
    assert (row["origin"], row["origin_country"], row["duty_pct"]) == ("Shanghai", "CN", 27.0)
    assert (builtin_rows.filter(pl.col("sourcing") == "mexico")["duty_usd_per_load"] == 0).all()
