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
    lanes = result.bottlenecks.filter(pl.col("kind") == "crossing_lane")
    assert lanes["id"][0].startswith("POE_WTB/")
