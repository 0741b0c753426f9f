"""The as-operated base case against 2024 (issue 12), and the as-operated objective by hand."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from networks import InputError, read_network
from networks.network import builtin_path
from routing import solve_lead_time
from routing.analysis.calibration import calibrate, read_observed
from routing.options import HOURS_PER_YEAR

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def fit():
    return calibrate(read_network(), read_observed(builtin_path()))


def _measure(fit, name):
    return fit.fit.filter(pl.col("measure") == name).row(0, named=True)


def test_truck_crossing_shares_within_the_band(fit):
    assert _measure(fit, "truck_tvd")["value"] <= 0.15
    assert 0.33 <= _measure(fit, "laredo_truck_share")["value"] <= 0.47


def test_rail_share_and_eagle_pass_within_the_band(fit):
    assert 0.05 <= _measure(fit, "rail_share")["value"] <= 0.13
    assert _measure(fit, "eagle_pass_rail_rank")["value"] <= 2


def test_asian_gateways_are_reported_and_not_met(fit):
    """Not met (networks/data/mx_us/README.md "As operated" says why): asserted as it is, so a change
    that meets it updates the note."""
    gateway = _measure(fit, "gateway_tvd")
    assert 0.15 < gateway["value"] <= 1.0
    assert not gateway["met"]
    shares = fit.comparison.filter(pl.col("group") == "gateway")
    assert shares["modelled"].sum() == pytest.approx(1.0)
    assert shares["observed"].sum() == pytest.approx(1.0)


def test_every_solution_is_certified(fit):
    assert fit.result.status.value == "optimal"


def test_observed_file_missing_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="observed.csv: missing"):
        read_observed(tmp_path)


def test_observed_value_not_a_number_is_bad_input(tmp_path):
    (tmp_path / "observed.csv").write_text("measure,id,value,unit,source\nnb_trucks_per_day,POE_X,lots,,t\n")
    with pytest.raises(InputError, match=r"observed.csv row 2 \(POE_X\): value: value must be a number"):
        read_observed(tmp_path)


@pytest.mark.parametrize(("premium", "fast_loads"), [(0.0, 0.0), (200.0, 10.0)])
def test_as_operated_equals_the_hand_computed_generalised_cost(premium, fast_loads):
    """two_routes with the fast route dearer: P>B1>M 15 h (2 h plant + 4 + 1 + 8) for US$900, limited
    to 10 loads by B1's throughput; P>B2>M 19 h (2 + 5 + 3 + 9) for US$500. The fast route pays when
    the value of time exceeds US$400 / 4 h = US$100 per load-hour."""
    base = read_network(DATA / "two_routes")
    links = base.links.with_columns(cost_usd_per_load=pl.when(pl.col("id") == "B1-M").then(800.0)
                                    .otherwise(pl.col("cost_usd_per_load")))
    network = base.replace(links=links)
    result = solve_lead_time(network, objective="as_operated", carrying_rate=0.25, service_usd_per_load_hour=premium)
    vot = 50_000 * 0.25 / HOURS_PER_YEAR + premium
    slow = 30 - fast_loads
    expected = fast_loads * (900 + vot * 15) + slow * (500 + vot * 19)
    assert result.status.value == "optimal"
    assert result.objective == pytest.approx(expected, rel=1e-9)
    assert result.avg_lead_time_h == pytest.approx((fast_loads * 15 + slow * 19) / 30)


def test_as_operated_is_an_equilibrium_not_a_system_optimum():
    """two_crossings: 200 loads, P>A>M 7.5 h and P>B>M 8.5 h before the waits, same cost. As operated
    both used routes take the same time with their waits (Wardrop); the lead-time optimum equalises
    the marginal waits instead, so it differs and has fewer load-hours."""
    network = read_network(DATA / "two_crossings")
    today = solve_lead_time(network, objective="as_operated", wait_segments=256)
    best = solve_lead_time(network, objective="lead_time", wait_segments=256)
    wait = dict(today.crossings.select("crossing", "wait_h").iter_rows())
    volume = dict(today.crossings.select("crossing", "loads_per_day").iter_rows())
    assert volume["A"] > 1 and volume["B"] > 1
    assert 7.5 + wait["A"] == pytest.approx(8.5 + wait["B"], abs=0.02)
    assert best.total_load_hours_per_day < today.total_load_hours_per_day - 1.0


def test_gateway_band_needs_binding_port_caps(fit):
    """The measure can be met: capping each US seaport at its 2024 share of inbound loaded TEU x the
    modelled Asian flow (the observed split as a constraint, not shipped: README "Why the gateways
    miss") brings the gateway TVD within 0.15. The shipped network, without port caps, misses."""
    network = read_network()
    observed = read_observed(builtin_path()).filter(pl.col("measure") == "inbound_loaded_teu")
    teu = dict(observed.select("id", "value").iter_rows())
    origins = network.nodes.filter(pl.col("kind") == "origin")["id"].implode()
    asian = float(fit.result.flows.filter(pl.col("from").is_in(origins))["loads_per_day"].sum())
    total = sum(teu.values())
    caps = pl.col("id").replace_strict({k: v / total * asian for k, v in teu.items()}, default=None,
                                       return_dtype=pl.Float64)
    nodes = network.nodes.with_columns(throughput_loads_per_day=pl.coalesce(caps, pl.col("throughput_loads_per_day")))
    capped = calibrate(network.replace(nodes=nodes), read_observed(builtin_path()))
    assert _measure(capped, "gateway_tvd")["value"] <= 0.15
    assert _measure(fit, "gateway_tvd")["value"] > 0.15
