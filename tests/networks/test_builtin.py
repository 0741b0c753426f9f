"""The built-in US–Mexico network: it validates, is generated from the vendored reference data,
and its optimum serves every market (or explains what it cannot serve)."""

import filecmp
import shutil

import polars as pl
import pytest

from networks import builtin_path, read_network
from networks.data.build_mx_us import DEFAULT_REFERENCE, main
from routing import solve_lead_time


@pytest.fixture(scope="module")
def network():
    return read_network()


def test_every_row_keeps_its_source(network):
    for name in ("nodes", "links", "commodities"):
        frame = getattr(network, name)
        assert frame["source"].null_count() == 0, name
        assert (frame["source"].str.len_chars() > 0).all(), name


def test_it_has_the_main_crossings_truck_and_rail_apart(network):
    kinds = dict(network.nodes.select("id", "kind").iter_rows())
    for crossing in ("POE_WTB", "POE_COL_SOL", "RAIL_LRD", "POE_PHR", "POE_EGP", "RAIL_EGP", "POE_YSL",
                     "POE_BOTA", "POE_STE", "POE_NOG", "POE_OTAY", "POE_CXE", "POE_VET"):
        assert kinds[crossing] == "border_crossing"
    assert network.commodities.height >= 3
    assert network.commodities["power_mwh_per_load"].n_unique() == network.commodities.height


def test_the_reference_data_ships_inside_the_package():
    assert DEFAULT_REFERENCE.parent == builtin_path().parent
    for name in ("corridors", "ports_of_entry", "rail_links", "seaports_and_ocean", "us_markets"):
        assert (DEFAULT_REFERENCE / f"{name}.csv").is_file(), name
    assert (DEFAULT_REFERENCE / "leg_variability.md").is_file()


def test_the_tables_are_what_the_builder_makes_from_the_reference_data(tmp_path):
    assert main(["--out", str(tmp_path)]) == 0
    for path in sorted(builtin_path().glob("*.csv")):
        assert filecmp.cmp(path, tmp_path / path.name, shallow=False), f"{path.name} is stale: rebuild it"
    assert main(["--check"]) == 0


def test_check_reports_stale_tables_and_exits_1(tmp_path, capsys):
    shipped = tmp_path / "mx_us"
    shutil.copytree(builtin_path(), shipped)
    lines = (shipped / "tariffs.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (shipped / "tariffs.csv").write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")  # one row lost
    (shipped / "commodities.csv").unlink()
    assert main(["--check", "--out", str(shipped)]) == 1
    out = capsys.readouterr().out
    assert "tariffs.csv:" in out and "rows differ" in out and "(19 rows shipped, 20 fresh)" in out
    assert "commodities.csv: missing" in out
    assert main(["--check", "--out", str(builtin_path())]) == 0


def test_the_optimum_serves_every_market_or_explains_why(network):
    result = solve_lead_time(network)
    assert result.status == "optimal"
    served = result.lanes.group_by("market", "commodity").agg(pl.col("loads_per_day").sum())
    demand = network.demand.join(served, left_on=["node", "commodity"], right_on=["market", "commodity"], how="left")
    unmet = {(r["market"], r["commodity"]): r for r in result.unmet.iter_rows(named=True)}
    for node, commodity, loads, got in demand.select("node", "commodity", "loads_per_day", "loads_per_day_right").iter_rows():
        missing = loads - (got or 0.0)
        if missing > 1e-6:
            assert unmet[(node, commodity)]["unmet_loads_per_day"] == pytest.approx(missing, abs=1e-6)
            assert unmet[(node, commodity)]["reason"]
    # Laredo is the border's bottleneck: its queue is the most valuable place for one more lane
    # (queue marginals are in `crossings`; `bottlenecks` lists a lane type only once it is full)
    lanes = result.crossings.sort("value_of_lane_h", descending=True)
    assert lanes["crossing"][0] == "POE_WTB"


# --- one sourced method per leg type (issue 12) ------------------------------------------------------


def test_every_truck_link_is_timed_by_hours_of_service(network):
    from networks.data.build_mx_us import MX_TRUCK_KMH, US_TRUCK_KMH, truck_hours

    country = dict(network.nodes.select("id", "country").iter_rows())
    trucks = network.links.filter(pl.col("mode") == "truck")
    assert trucks.height > 400
    for frm, km, hours in trucks.select("from", "distance_km", "transit_h").iter_rows():
        speed = US_TRUCK_KMH if country[frm] == "US" else MX_TRUCK_KMH
        assert hours == pytest.approx(truck_hours(km, speed), abs=0.02), frm
    # a long US leg runs at about 11 h x 50 mph = 550 mi per 24-h day, not near the legal maximum
    long = trucks.filter(pl.col("distance_km") > 3000)
    mi_per_day = long["distance_km"] / 1.609 / long["transit_h"] * 24
    assert (mi_per_day < 640).all() and (mi_per_day > 500).all()


def test_truck_hours_follow_the_hours_of_service_rule():
    from networks.data.build_mx_us import truck_hours

    assert truck_hours(80.0 * 8, 80.0) == pytest.approx(8.0)  # no break up to 8 h driving
    assert truck_hours(80.0 * 9, 80.0) == pytest.approx(9.5)  # 30-min break after 8 h
    assert truck_hours(80.0 * 11, 80.0) == pytest.approx(11.5)  # one full day of driving, no rest needed
    assert truck_hours(80.0 * 12, 80.0) == pytest.approx(24.0 + 1.0)  # 14-h window + 10 h off, then 1 h


def test_port_dwell_holds_customs_in_parallel_and_every_us_port_has_intermodal_rail(network):
    dwell = dict(network.nodes.select("id", "dwell_h").iter_rows())
    assert dwell["Los_Angeles_Long_Beach"] == pytest.approx(3.0 * 24)  # PMSA truck-bound dwell; customs within it
    assert dwell["Los_Angeles_Long_Beach"] + dwell["Los_Angeles_Long_Beach_RAIL"] == pytest.approx(6.0 * 24)
    rail = network.links.filter(pl.col("mode") == "rail")
    for port in ("Los_Angeles_Long_Beach", "Oakland", "Seattle_Tacoma", "Houston", "Savannah"):
        assert rail.filter(pl.col("from") == f"{port}_RAIL").height > 0, port
    # "6 days ship-to-Chicago" already holds Seattle's port dwell and ramp time: counted once
    seattle = rail.filter(pl.col("id") == "Seattle_Tacoma_RAIL-US_CHI")["transit_h"][0]
    assert dwell["Seattle_Tacoma"] + dwell["Seattle_Tacoma_RAIL"] + seattle == pytest.approx(6.0 * 24)


def test_oakland_is_the_second_call_after_la_lb(network):
    # "all 28 make a first stop in LA or Long Beach": LA/LB's leg + its berth time (55.4 h LA, 54.3 h LB) + 409 nm
    ocean = dict(network.links.filter(pl.col("mode") == "ocean").select("id", "transit_h").iter_rows())
    for origin in ("Shanghai", "Busan", "Ho_Chi_Minh_City"):
        assert ocean[f"{origin}-Oakland"] == pytest.approx(ocean[f"{origin}-Los_Angeles_Long_Beach"] + 54.85
                                                           + 1.07 * 24, abs=0.01)


def test_ocean_costs_are_contract_rates_by_coast(network):
    ocean = network.links.filter(pl.col("mode") == "ocean")
    cost = dict(ocean.select("id", "cost_usd_per_load").iter_rows())
    assert cost["Shanghai-Los_Angeles_Long_Beach"] == pytest.approx(1600)  # USD 1,500-1,700/FEU West Coast
    assert cost["Shanghai-Savannah"] - cost["Shanghai-Los_Angeles_Long_Beach"] == pytest.approx(1000)  # East premium
    assert ocean["cost_usd_per_load"].max() < 3000


def test_no_asian_origin_can_serve_the_whole_us_demand_and_power_allows_full_output(network):
    demand = dict(network.demand.group_by("commodity").agg(pl.col("loads_per_day").sum()).iter_rows())
    kind = dict(network.nodes.select("id", "kind").iter_rows())
    for node, commodity, cap in network.supply.select("node", "commodity", "capacity_loads_per_day").iter_rows():
        if kind[node] == "origin":
            assert cap < 0.2 * demand[commodity], (node, commodity)
    per_load = dict(network.commodities.select("id", "power_mwh_per_load").iter_rows())
    need = (network.supply.with_columns(mw=pl.col("capacity_loads_per_day") * pl.col("commodity").replace_strict(per_load) / 24)
            .group_by("node").agg(pl.col("mw").sum()))
    power = dict(network.nodes.select("id", "power_mw").iter_rows())
    for node, mw in need.iter_rows():
        if kind[node] == "plant":
            assert power[node] >= mw - 1e-9, node


def test_base_case_crossing_traffic_stays_near_its_2024_level(network):
    """Background + modelled loads at each truck POE over its 2024 NB trucks: near the nearshoring growth
    (1.216), not 1.4-1.9x at the small crossings while Otay Mesa and Calexico East stay under 1."""
    result = solve_lead_time(network)
    flow = dict(result.lanes.filter(pl.col("crossing").is_not_null()).group_by("crossing")
                .agg(pl.col("loads_per_day").sum()).iter_rows())
    background = dict(network.crossings.group_by("node").agg(pl.col("background_loads_per_day").sum()).iter_rows())
    poes = pl.read_csv(DEFAULT_REFERENCE / "ports_of_entry.csv", infer_schema=False).filter(pl.col("mode") == "truck")
    for poe, trucks in poes.select("poe_id", pl.col("nb_trucks_2024").cast(float) / 365).iter_rows():
        ratio = (background[poe] + flow.get(poe, 0.0)) / trucks
        assert 1.0 < ratio < 1.55, (poe, ratio)
