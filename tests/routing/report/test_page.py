"""The report page: its numbers are the frames', a closed crossing shows zero flow, it stays offline and small."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl
import pytest

from routing.analysis.disrupt import daily_totals
from routing.cli.io import load_network
from routing.report import build_report, network_digest, provenance
from routing.report.mapping import map_frames
from routing.report.page import json_ready
from routing.report.page import read_page_data as page_data
from routing.results.crossings import by_crossing
from routing.results.lanes import lanes_by_market

CREATED = datetime(2026, 12, 1, tzinfo=UTC)  # as the conftest's pages
SIZE_BUDGET_BYTES = 1_500_000
EXTERNAL = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?\s*|url\(\s*["']?\s*)(?:https?:)?//""", re.IGNORECASE)


def rows(frame: pl.DataFrame) -> list[dict]:
    return json_ready(frame)


def test_page_numbers_are_the_frames(solved, base_page):
    _, result = solved
    data = page_data(base_page)
    assert data["summary"] == json_ready(result.summary())
    assert data["bottlenecks"] == rows(result.bottlenecks)
    assert data["lanes"] == rows(result.lanes)
    assert data["lanes_by_market"] == rows(lanes_by_market(result.lanes))
    crossings = [{k: v for k, v in r.items() if k != "closed"} for r in data["map"]["crossings"]]
    assert crossings == rows(by_crossing(result.crossings).drop("lane_types").sort("crossing"))
    assert not any(r["closed"] for r in data["map"]["crossings"])
    loads = {r["id"]: r["loads_per_day"] for r in data["map"]["links"]}
    flows = result.flows.group_by("link").agg(pl.col("loads_per_day").sum())
    assert {k: v for k, v in loads.items() if v > 0} == dict(flows.iter_rows())
    plants = {r["id"]: r for r in data["map"]["plants"]}
    output = result.lanes.group_by("origin").agg(pl.col("loads_per_day").sum())
    assert {o: plants[o]["output_loads_per_day"] for o, _ in output.iter_rows() if o in plants} == {
        o: v for o, v in output.iter_rows() if o in plants}


def test_tables_show_the_frames_values(solved, base_page):
    """The cells of the bottleneck table hold the frame's values in order (data-v), shown formatted."""
    _, result = solved
    table = re.search(r'<table id="bottlenecks-table".*?</table>', base_page, re.DOTALL).group(0)
    first = re.search(r'<tr data-i="0">(.*?)</tr>', table, re.DOTALL).group(1)
    cells = re.findall(r'data-v="([^"]*)"', first)
    top = result.bottlenecks.row(0, named=True)
    assert cells[:2] == [top["kind"], top["id"]]
    assert float(cells[6]) == pytest.approx(top["value_per_unit"], rel=1e-12)
    assert len(re.findall(r"<tr data-i=", table)) == result.bottlenecks.height


def test_every_map_element_names_its_row(base_page):
    data = page_data(base_page)
    for layer, index in re.findall(r'data-t="(\w+)" data-i="(\d+)"', base_page):
        assert int(index) < len(data["map"][layer])
    assert len(re.findall(r'data-t="links"', base_page)) == len(data["map"]["links"])


def test_closed_crossing_shows_zero_flow():
    """wtb_closed: the World Trade Bridge is on the map, hollow, with no loads on it or its links."""
    from routing import solve_lead_time

    network = load_network(None, scenario="wtb_closed")
    result = solve_lead_time(network, objective="as_operated")
    html = build_report(network, result, provenance=provenance(network, created=CREATED, command="test"))
    data = page_data(html)
    crossing = [(i, r) for i, r in enumerate(data["map"]["crossings"]) if r["crossing"] == "POE_WTB"]
    assert len(crossing) == 1
    index, row = crossing[0]
    assert row["closed"] and row["loads_per_day"] == 0 and row["background_loads_per_day"] == 0
    assert re.search(rf'class="crossing closed" data-t="crossings" data-i="{index}"', html)
    touching = [r for r in data["map"]["links"] if "POE_WTB" in (r["from"], r["to"])]
    assert touching and all(r["loads_per_day"] == 0 for r in touching)
    assert result.flows.filter((pl.col("from") == "POE_WTB") | (pl.col("to") == "POE_WTB")).height == 0


@pytest.mark.slow
def test_full_page_has_every_section_and_its_numbers(full_inputs, full_page):
    data = page_data(full_page)
    for anchor in ("summary", "map", "lanes", "bottlenecks", "compare", "batch", "disrupt", "provenance"):
        assert f'<section id="{anchor}">' in full_page
    assert data["compare"] == rows(full_inputs["compare"].drop("cdf_days"))
    assert [r["scenario"] for r in data["batch"]] == full_inputs["batch"]["scenario"].to_list()
    assert data["batch"] == rows(full_inputs["batch"].select(list(data["batch"][0])))
    assert data["disrupt_days"] == rows(daily_totals(full_inputs["disrupt"].days))
    assert data["disrupt_recovery"]["days_to_recover"] == full_inputs["disrupt"].recovery["days_to_recover"]


@pytest.mark.slow
def test_full_page_within_the_size_budget(full_page):
    size = len(full_page.encode("utf-8"))
    assert size <= SIZE_BUDGET_BYTES, f"the built-in report with everything in is {size:,} bytes"


@pytest.mark.slow
def test_full_page_requests_nothing_from_outside(full_page):
    assert not EXTERNAL.findall(full_page)


@pytest.mark.parametrize("snippet", ['<img src="https://x.org/a.png">', "<a href='http://x.org'>",
                                     "<style>b{background:url( https://x.org/i.png)}</style>",
                                     '<script src="//cdn.x.org/d3.js"></script>'])
def test_external_reference_is_caught(snippet):
    assert EXTERNAL.findall(snippet)


def test_base_page_requests_nothing_from_outside(base_page):
    assert not EXTERNAL.findall(base_page)


def test_provenance_names_network_solver_and_versions(solved, base_page):
    network, result = solved
    meta = page_data(base_page)["provenance"]
    assert meta["network"] == network.name and meta["network hash"] == network_digest(network)
    assert meta["solver"] == result.solver and meta["created"] == CREATED.isoformat(timespec="seconds")
    assert {"nearshore", "polars", "ortools", "python"} <= set(meta["versions"])


def test_network_digest_follows_the_tables(solved):
    network, _ = solved
    closed = network.replace(links=network.links.with_columns(capacity_loads_per_day=pl.lit(0.0)))
    assert network_digest(network) == network_digest(network.without_caches())
    assert network_digest(closed) != network_digest(network)


def test_builder_refuses_half_a_solve(solved):
    network, _ = solved
    meta = provenance(network, created=datetime.now(UTC), command="test")
    with pytest.raises(ValueError, match="together"):
        build_report(network, provenance=meta)
    with pytest.raises(ValueError, match="nothing to report"):
        build_report(provenance=meta)


def test_map_frames_cover_every_link_and_plant(solved):
    network, result = solved
    frames = map_frames(network, result)
    assert frames["links"].height == network.links.height
    assert frames["plants"].height == network.nodes.filter(pl.col("kind") == "plant").height
    assert (frames["plants"]["power_used_mw"] >= 0).all()
