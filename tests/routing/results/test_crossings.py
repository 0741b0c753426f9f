"""Border crossings as queues: the split between parallel crossings, convergence of the
piecewise-linear wait, reported waits, FAST lanes and bad crossing data."""

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from networks import NetworkError, read_network
from networks.data.build_mx_us import DEFAULT_REFERENCE
from networks.queues import RHO_MAX, total_wait_h, wait_h
from routing import solve_lead_time

DATA = Path(__file__).parents[2] / "data" / "two_crossings"


@pytest.fixture(scope="module")
def network():
    return read_network(DATA)


def exact_load_hours(to_a: np.ndarray) -> np.ndarray:
    """Total load-hours of 200 loads with ``to_a`` through A, on the smooth curves of crossings.csv:
    A: 2 lanes x 10 loads/h x 10 h = 200/day, 1.0 h at 120/day; B: 100/day, 0.5 h at 50/day."""
    to_b = 200 - to_a
    return (to_a * (2 + 0.5 + 5) + total_wait_h(to_a, 200.0, 0.6, 1.0)
            + to_b * (3 + 0.5 + 5) + total_wait_h(to_b, 100.0, 0.5, 0.5))


def test_parallel_crossings_split_where_marginal_waits_are_equal(network):
    grid = np.linspace(200 - RHO_MAX * 100, RHO_MAX * 200, 200_001)
    best = grid[np.argmin(exact_load_hours(grid))]
    result = solve_lead_time(network, wait_segments=64)
    to_a = result.crossings.filter(pl.col("crossing") == "A")["loads_per_day"].item()
    assert to_a == pytest.approx(best, abs=0.5)
    # at the optimum one more load via A costs what one more via B costs (marginal total waits)
    marginal = np.gradient(exact_load_hours(grid), grid)
    assert abs(np.interp(to_a, grid, marginal)) < 0.05


def test_more_segments_converge_to_the_smooth_curve(network):
    optimum = exact_load_hours(np.linspace(105, 190, 200_001)).min()
    gaps = [solve_lead_time(network, wait_segments=n).objective - optimum for n in (1, 2, 4, 8, 16, 32)]
    assert all(g >= -1e-6 for g in gaps)  # each piecewise curve lies above the smooth one
    assert all(later <= earlier + 1e-9 for earlier, later in zip(gaps, gaps[1:]))
    assert gaps[-1] < 1e-3 * optimum < gaps[0]


def test_reported_wait_is_the_curve_at_the_solved_utilisation(network):
    result = solve_lead_time(network)
    for row in result.crossings.iter_rows(named=True):
        rho_ref, typical = {"A": (0.6, 1.0), "B": (0.5, 0.5)}[row["crossing"]]
        assert row["wait_h"] == pytest.approx(wait_h(row["utilisation"], rho_ref, typical))
    for lane in result.lanes.iter_rows(named=True):
        wait = result.crossings.filter(pl.col("crossing") == lane["crossing"])["wait_h"].item()
        assert lane["crossing_wait_h"] == pytest.approx(wait)
        assert lane["crossing_h"] == pytest.approx(0.5)
    lanes = result.lanes
    assert result.total_load_hours_per_day == pytest.approx((lanes["loads_per_day"] * lanes["lead_time_h"]).sum())


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(0.05, 1.4), min_size=2, max_size=5, unique=True))
def test_waits_never_decrease_as_demand_grows(scales):
    base = read_network(DATA)
    waits = []
    for scale in sorted(scales):
        grown = base.replace(demand=base.demand.with_columns(pl.col("loads_per_day") * scale))
        result = solve_lead_time(grown)
        waits.append(result.crossings.sort("crossing")["wait_h"].to_numpy())
    assert np.all(np.diff(np.array(waits), axis=0) >= -1e-7)


@pytest.fixture
def with_fast(tmp_path):
    """Two commodities, only the 20 medical loads FAST-eligible; A also has one FAST lane (100/day)."""
    folder = tmp_path / "fast"
    shutil.copytree(DATA, folder)
    (folder / "commodities.csv").write_text(
        "id,name,value_usd_per_load,power_mwh_per_load,water_m3_per_load,fast_eligible\n"
        "parts,Auto parts,50000,0,0,false\nmedical,Medical devices,300000,0,0,true\n")
    (folder / "supply.csv").write_text("node,commodity,capacity_loads_per_day\nP,parts,500\nP,medical,500\n")
    (folder / "demand.csv").write_text("node,commodity,loads_per_day\nM,parts,150\nM,medical,20\n")
    with (folder / "crossings.csv").open("a") as f:
        f.write("A,fast,1,10,10,30,0.2,0.5\n")
    return folder


def fast_volume(result):
    return result.crossings.filter(pl.col("lane_type") == "fast")["loads_per_day"].sum()


def test_non_fast_loads_never_use_fast_lanes(with_fast):
    network = read_network(with_fast)
    result = solve_lead_time(network)
    assert 0 < fast_volume(result) <= 20 + 1e-6  # only the 20 medical loads may use it
    nobody = network.replace(commodities=network.commodities.with_columns(fast_eligible=False))
    assert fast_volume(solve_lead_time(nobody)) == 0
    everybody = network.replace(commodities=network.commodities.with_columns(fast_eligible=True))
    assert fast_volume(solve_lead_time(everybody)) > 20 + 1  # parts would use it too, were they eligible


def test_closing_fast_lanes_moves_fast_loads_as_the_maths_says(with_fast):
    open_ = read_network(with_fast)
    closed = open_.replace(crossings=open_.crossings.with_columns(
        lanes=pl.when(pl.col("lane_type") == "fast").then(0.0).otherwise(pl.col("lanes")),
        reference_lanes=pl.col("lanes")))
    before, after = solve_lead_time(open_, wait_segments=32), solve_lead_time(closed, wait_segments=32)
    assert fast_volume(after) == 0
    assert after.objective >= before.objective
    # with no FAST lane the problem is the two-crossing one with 170 loads: check its optimum by grid
    grid = np.linspace(170 - RHO_MAX * 100, 170, 100_001)
    exact = (grid * 7.5 + total_wait_h(grid, 200.0, 0.6, 1.0)
             + (170 - grid) * 8.5 + total_wait_h(170 - grid, 100.0, 0.5, 0.5))
    assert after.total_load_hours_per_day == pytest.approx(exact.min(), rel=2e-3)


@pytest.mark.parametrize("row, message", [
    ("A,general,0,10,10,120,1.0,2.6", "zero lanes (or hours) with volume through the crossing"),
    ("A,general,2,10,25,120,1.0,2.6", "open_h_per_day: must be between 0 and 24 (got '25')"),
    ("A,general,2,0,10,120,1.0,2.6", "loads_per_lane_hour: must be > 0 (got '0')"),
    ("A,general,2,-3,10,120,1.0,2.6", "loads_per_lane_hour: must be > 0 (got '-3')"),
    ("A,general,2,10,10,120,0,2.6", "wait_typical_h: must be > 0"),
    ("A,general,2,10,10,195,1.0,2.6", "wait curve to be defined and increasing"),
    ("A,general,2,10,10,120,1.0,0.5", "wait_p95_h: must be >= wait_typical_h"),
    ("M,general,2,10,10,120,1.0,2.6", "lanes are only allowed at border_crossing nodes"),
])
def test_bad_crossing_rows_get_a_clear_error(tmp_path, row, message):
    folder = tmp_path / "bad"
    shutil.copytree(DATA, folder)
    lines = (folder / "crossings.csv").read_text().splitlines()
    (folder / "crossings.csv").write_text("\n".join([lines[0], row, lines[2]]) + "\n")
    with pytest.raises(NetworkError) as error:
        read_network(folder)
    text = "\n".join(map(str, error.value.problems))
    assert message in text
    assert "crossings.csv row 2" in text


REFERENCE = DEFAULT_REFERENCE  # the vendored reference set (networks/data/reference)


@pytest.fixture(scope="module")
def builtin():
    return read_network()


def test_builtin_waits_at_todays_volume_are_the_reference_waits(builtin):
    lanes = builtin.crossings.with_columns(
        rho_ref=pl.col("reference_loads_per_day")
        / (pl.col("reference_lanes") * pl.col("loads_per_lane_hour") * pl.col("open_h_per_day")))
    assert (lanes["rho_ref"] < RHO_MAX).all() and (lanes["rho_ref"] > 0).all()
    lanes = lanes.with_columns(wait=pl.Series(wait_h(lanes["rho_ref"].to_numpy(), lanes["rho_ref"].to_numpy(),
                                                     lanes["wait_typical_h"].to_numpy())))
    weighted = lanes.group_by("node").agg(
        wait=(pl.col("wait") * pl.col("reference_loads_per_day")).sum() / pl.col("reference_loads_per_day").sum(),
        p95=(pl.col("wait_p95_h") * pl.col("reference_loads_per_day")).sum() / pl.col("reference_loads_per_day").sum(),
        capacity=(pl.col("lanes") * pl.col("loads_per_lane_hour") * pl.col("open_h_per_day")).sum(),
        background=pl.col("background_loads_per_day").sum())
    poes = pl.read_csv(REFERENCE / "ports_of_entry.csv", infer_schema=False).filter(pl.col("mode") == "truck")
    throughput = dict(builtin.nodes.select("id", "throughput_loads_per_day").iter_rows())
    checked = weighted.join(poes.select(node="poe_id", typical=pl.col("typical_commercial_wait_min").cast(float) / 60,
                                        typical_p95=pl.col("p95_wait_min_est").cast(float) / 60), on="node")
    assert set(checked["node"]) == {p for p in poes["poe_id"] if throughput[p] > 0}  # every truck POE has a curve
    for row in checked.iter_rows(named=True):  # the calibration band: +-10 % of the observed typical and p95
        assert row["wait"] == pytest.approx(row["typical"], rel=0.10), row["node"]
        assert row["p95"] == pytest.approx(row["typical_p95"], rel=0.10), row["node"]
    for row in weighted.iter_rows(named=True):  # the hard limit on modelled freight stays the node's throughput
        assert RHO_MAX * row["capacity"] - row["background"] == pytest.approx(throughput[row["node"]], rel=1e-3, abs=0.1)


def test_builtin_optimum_has_finite_waits_and_fast_lanes_carry_only_eligible_loads(builtin):
    result = solve_lead_time(builtin)
    assert result.status == "optimal"
    lanes = result.crossings
    assert lanes["crossing"].n_unique() == builtin.crossings["node"].n_unique()
    assert np.isfinite(lanes["wait_h"].to_numpy()).all() and (lanes["wait_h"] >= 0).all()
    assert np.isfinite(lanes["wait_p95_h"].to_numpy()).all()
    assert (lanes["utilisation"] <= RHO_MAX + 1e-6).all()
    eligible = builtin.commodities.filter(pl.col("fast_eligible"))["id"]
    through = result.lanes.filter(pl.col("commodity").is_in(eligible.to_list()) & pl.col("crossing").is_not_null())
    eligible_through = dict(through.group_by("crossing").agg(pl.col("loads_per_day").sum()).iter_rows())
    fast = lanes.filter(pl.col("lane_type") == "fast")
    assert fast.height > 0 and fast["loads_per_day"].sum() > 0
    for crossing, volume in fast.select("crossing", "loads_per_day").iter_rows():
        assert volume <= eligible_through.get(crossing, 0.0) + 1e-6, crossing
    eligible_demand = builtin.demand.filter(pl.col("commodity").is_in(eligible.to_list()))["loads_per_day"].sum()
    assert fast["loads_per_day"].sum() <= eligible_demand + 1e-6


def test_background_traffic_queues_with_the_modelled_loads(network):
    """40 background loads/day in A's lanes: the system optimum counts the extra wait the modelled
    loads cause them too, T_A(40 + f) - T_A(40), and the reported wait is W at (40 + f) / 200."""
    busy = network.replace(crossings=network.crossings.with_columns(
        background_loads_per_day=pl.when(pl.col("node") == "A").then(40.0).otherwise(0.0)))
    result = solve_lead_time(busy, wait_segments=64)
    grid = np.linspace(200 - RHO_MAX * 100, RHO_MAX * 200 - 40, 200_001)
    exact = (grid * 7.5 + total_wait_h(40 + grid, 200.0, 0.6, 1.0) - total_wait_h(40.0, 200.0, 0.6, 1.0)
             + (200 - grid) * 8.5 + total_wait_h(200 - grid, 100.0, 0.5, 0.5))
    row = result.crossings.filter(pl.col("crossing") == "A").row(0, named=True)
    assert row["loads_per_day"] == pytest.approx(grid[np.argmin(exact)], abs=0.5)
    assert row["loads_per_day"] < solve_lead_time(network, wait_segments=64).crossings["loads_per_day"][0]
    assert row["utilisation"] == pytest.approx((40 + row["loads_per_day"]) / 200)
    assert row["wait_h"] == pytest.approx(wait_h(row["utilisation"], 0.6, 1.0))
