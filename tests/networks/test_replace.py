"""`Network.replace` checks what a change needs, and finds every problem a full check finds."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from networks import Network, NetworkError, read_network


@pytest.fixture(scope="module")
def builtin() -> Network:
    return read_network()


def full_check(network: Network, **tables: pl.DataFrame) -> Network:
    """The reference: the same tables validated from scratch."""
    return Network.from_frames(**{**network.tables(), **tables, "name": network.name})


def problems(build) -> list[str] | Network:
    try:
        return build()
    except NetworkError as bad:
        return [str(p) for p in bad.problems]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_replace_equals_a_full_check_for_value_and_structure_changes(builtin, data):
    links, nodes, supply = builtin.links, builtin.nodes, builtin.supply
    rows = st.lists(st.integers(0, links.height - 1), min_size=1, max_size=5, unique=True)
    change = data.draw(st.sampled_from(["capacity", "negative", "transit", "to", "kind", "supply_zero", "shuffle"]))
    picked = data.draw(rows)
    mask = pl.Series(range(links.height)).is_in(picked)
    tables: dict[str, pl.DataFrame] = {}
    if change == "capacity":
        tables["links"] = links.with_columns(capacity_loads_per_day=pl.when(mask).then(0.0)
                                             .otherwise(pl.col("capacity_loads_per_day")))
    elif change == "negative":
        tables["links"] = links.with_columns(capacity_loads_per_day=pl.when(mask).then(-1.0)
                                             .otherwise(pl.col("capacity_loads_per_day")))
    elif change == "transit":
        tables["links"] = links.with_columns(transit_h=pl.when(mask).then(pl.col("transit_h") * 2)
                                             .otherwise(pl.col("transit_h")))
    elif change == "to":
        target = data.draw(st.sampled_from(nodes["id"].to_list() + ["NOWHERE"]))
        tables["links"] = links.with_columns(to=pl.when(mask).then(pl.lit(target)).otherwise(pl.col("to")))
    elif change == "kind":
        node = data.draw(st.integers(0, nodes.height - 1))
        tables["nodes"] = nodes.with_columns(kind=pl.when(pl.int_range(pl.len()) == node).then(pl.lit("hub"))
                                             .otherwise(pl.col("kind")))
    elif change == "supply_zero":
        tables["supply"] = supply.with_columns(capacity_loads_per_day=pl.lit(0.0))
    else:
        tables["links"] = links.sample(fraction=1.0, shuffle=True, seed=data.draw(st.integers(0, 99)))
    fast, full = problems(lambda: builtin.replace(**tables)), problems(lambda: full_check(builtin, **tables))
    if isinstance(full, list):
        assert fast == full
    else:
        assert not isinstance(fast, list), fast
        for name, frame in full.tables().items():
            assert_frame_equal(fast.tables()[name], frame)


def test_replace_checks_only_the_changed_columns_but_reports_like_a_full_check(builtin):
    links = builtin.links.with_columns(capacity_loads_per_day=pl.col("capacity_loads_per_day") * -1)
    message = problems(lambda: builtin.replace(links=links))
    assert message == problems(lambda: full_check(builtin, links=links))
    assert message and all("capacity_loads_per_day: must be >= 0" in m for m in message)


def test_replace_rejects_an_unknown_table(builtin):
    with pytest.raises(TypeError, match="unknown table"):
        builtin.replace(routes=builtin.links)


def test_geojson_lines_across_the_antimeridian_are_cut_in_two_parts_within_range():
    """RFC 7946 3.1.9: Busan -> Seattle crosses 180 degrees; each part stays within [-180, 180] and
    the two parts meet at the same latitude on either side."""
    from networks import read_network
    from networks.export import line_geometry, to_geojson

    cut = [f for f in to_geojson(read_network())["features"] if f["geometry"]["type"] == "MultiLineString"]
    assert len(cut) == 42
    for feature in cut:
        first, second = feature["geometry"]["coordinates"]
        assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in first + second)
        assert abs(first[-1][0]) == abs(second[0][0]) == 180 and first[-1][0] == -second[0][0]
        assert first[-1][1] == second[0][1]
    east = line_geometry([150.0, 0.0], [-150.0, 30.0])["coordinates"]
    assert east == [[[150.0, 0.0], [180.0, 15.0]], [[-180.0, 15.0], [-150.0, 30.0]]]
    assert line_geometry([-100.0, 25.0], [-90.0, 30.0])["type"] == "LineString"


@pytest.mark.parametrize("change", ["values", "index_column", "rows"])
def test_a_delta_rebuilds_the_network_it_was_taken_from(builtin, change):
    nodes, links = builtin.nodes, builtin.links
    variant = {
        "values": lambda: builtin.replace(nodes=nodes.with_columns(throughput_loads_per_day=pl.col(
            "throughput_loads_per_day") * 0.5), links=links.with_columns(transit_h=pl.col("transit_h") * 0.9)),
        "index_column": lambda: builtin.replace(links=links.with_columns(mode=pl.lit("truck").cast(links["mode"].dtype))),
        "rows": lambda: builtin.replace(links=pl.concat([links, links.head(1).with_columns(id=pl.lit("zz_new"))])),
    }[change]()
    delta = variant.delta_from(builtin)
    assert delta.estimated_bytes > 0
    if change == "values":
        assert set(delta.columns) == {"nodes", "links"} and not delta.tables
        assert set(delta.columns["links"]) == {"transit_h"}
    rebuilt = builtin.with_delta(delta)
    for name, frame in variant.tables().items():
        assert_frame_equal(rebuilt.tables()[name], frame)
    for field in ("capacity", "transit_h", "throughput", "tail", "head", "mode"):
        np.testing.assert_array_equal(getattr(rebuilt.arrays, field), getattr(variant.arrays, field))


def test_a_delta_of_another_base_is_refused(builtin):
    small = builtin.replace(demand=builtin.demand.head(3))
    with pytest.raises(ValueError, match="another base network"):
        small.with_delta(builtin.replace(links=builtin.links.with_columns(transit_h=pl.col("transit_h") * 0.5))
                         .delta_from(builtin))
