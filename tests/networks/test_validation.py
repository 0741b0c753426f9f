"""Validation of network folders and in-memory tables: every rule, reported with file, row, id and field.

Each folder under ``tests/data/bad/`` is a copy of ``tests/data/two_routes`` with exactly one defect;
its ``expected.txt`` holds a fragment of the message that must be reported for it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from networks import Network, NetworkError, read_network

DATA = Path(__file__).parents[1] / "data"
BAD = sorted(p for p in (DATA / "bad").iterdir() if p.is_dir())
TABLES = ("nodes", "links", "commodities", "supply", "demand")

REQUIRED_RULES = {
    "missing_file", "missing_column", "unknown_column", "empty_table", "duplicate_node_id",
    "duplicate_link_id", "duplicate_supply", "unknown_node_from", "unknown_node_to", "unknown_commodity",
    "non_numeric_transit", "negative_capacity", "negative_dwell", "non_finite_inf", "non_finite_nan",
    "unknown_kind", "unknown_mode", "lat_out_of_range", "lon_out_of_range", "empty_required_cell",
    "demand_at_non_market", "supply_at_non_supplier", "self_loop", "unreachable_market", "not_utf8",
    # issue 11: every unit's bound, ids, helper column names, optional tables that are not files
    "capacity_above_maximum", "throughput_above_maximum", "supply_above_maximum", "demand_above_maximum",
    "background_above_maximum", "transit_above_maximum", "dwell_above_maximum", "wait_above_maximum",
    "cost_above_maximum", "value_above_maximum", "power_above_maximum", "power_per_load_above_maximum",
    "water_above_maximum", "water_per_load_above_maximum", "distance_above_maximum", "lanes_above_maximum",
    "lane_rate_above_maximum", "duty_above_maximum", "id_with_separator", "id_with_control_character",
    "id_too_long", "helper_column_name", "crossings_is_a_folder", "tariffs_broken_link", "reference_volume_too_low", "spread_too_wide",
}


def shown_in(shown: str, cells: list[str]) -> bool:
    """A value as a problem shows it is one of the cells (a long one by its first characters)."""
    if shown.endswith("…"):
        return any(cell.startswith(shown[:-1]) for cell in cells)
    return shown in cells


def expected_fragment(folder: Path) -> str:
    lines = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"{folder}/expected.txt must hold exactly one line"
    return lines[0].strip()


def problems_of(folder: Path) -> tuple:
    with pytest.raises(NetworkError) as info:
        read_network(folder)
    assert info.value.problems, "a NetworkError must list at least one problem"
    return info.value


def test_every_rule_has_a_bad_folder():
    assert REQUIRED_RULES <= {p.name for p in BAD}


def test_the_base_network_is_valid(two_routes):
    net = read_network(two_routes)
    assert (net.nodes.height, net.links.height, net.commodities.height) == (4, 4, 1)


@pytest.mark.parametrize("folder", BAD, ids=[p.name for p in BAD])
def test_bad_folder_is_rejected_with_a_precise_message(folder: Path):
    fragment = expected_fragment(folder)
    error = problems_of(folder)
    texts = [str(p) for p in error.problems]
    matching = [p for p in error.problems if fragment in str(p)]
    assert matching, f"no problem contains {fragment!r}; got:\n" + "\n".join(texts)
    assert fragment in str(error)  # the exception text lists every problem too

    file = fragment.split(":")[0].split(" ")[0]
    # one defect: every problem points at the file that holds it
    assert {p.file for p in error.problems} == {file}, texts

    problem = matching[0]
    assert problem.file == file
    if " row " not in fragment.split(":")[0]:
        assert problem.row is None
        return
    # `file row N (id): field: what is wrong (got X)`
    assert problem.row is not None and problem.item and problem.field
    head = f"{problem.file} row {problem.row} ({problem.item}): {problem.field}: {problem.message}"
    assert str(problem).startswith(head)
    if problem.got is not None:
        assert str(problem).endswith(f"(got {problem.got!r})")
    # row N is the line number in the file (header = line 1): that line holds the item and the bad value
    lines = (folder / file).read_text(encoding="utf-8").splitlines()
    header, cells = lines[0].split(","), lines[problem.row - 1].split(",")
    assert all(shown_in(part, cells) for part in problem.item.split("/")), (problem.row, lines[problem.row - 1])
    assert all(name in header for name in problem.field.split("/"))
    if problem.got is not None:
        assert shown_in(str(problem.got), cells)


def test_duplicates_report_every_copy():
    error = problems_of(DATA / "bad" / "duplicate_node_id")
    assert sorted((p.row, p.item) for p in error.problems) == [(4, "B2"), (6, "B2")]


def test_unknown_column_is_reported_once_and_alone():
    error = problems_of(DATA / "bad" / "unknown_column")
    assert [(p.file, p.field, p.row) for p in error.problems] == [("nodes.csv", "note", None)]


def test_several_table_defects_are_all_reported_at_once(copy_network):
    folder = copy_network()
    edits = {
        "links.csv": ("B1-M,B1,M,truck,8,,", "B1-M,B1,M,truck,8,-5,"),
        "nodes.csv": ("Slow bridge,border_crossing", "Slow bridge,bridge"),
        "demand.csv": ("M,parts,30", "M,parts,many"),
        "commodities.csv": ("id,name,", "id,label,"),
    }
    for file, (old, new) in edits.items():
        path = folder / file
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    error = problems_of(folder)
    text = str(error)
    for fragment in (
        "links.csv row 4 (B1-M): capacity_loads_per_day: must be >= 0 (got '-5')",
        "nodes.csv row 4 (B2): kind: must be one of",
        "demand.csv row 2 (M/parts): loads_per_day: must be a finite number (got 'many')",
        "commodities.csv: label: unknown column",
        "commodities.csv: name: missing column",
    ):
        assert fragment in text
    assert {p.file for p in error.problems} == set(edits)


def test_several_cross_table_defects_are_all_reported_at_once(copy_network):
    folder = copy_network()
    for file, old, new in (
        ("links.csv", "P-B1,P,B1", "P-B1,Q,B1"),
        ("links.csv", "B2-M,B2,M", "B2-M,B2,B2"),
        ("supply.csv", "P,parts", "B2,parts"),
        ("demand.csv", "M,parts", "B1,parts"),
    ):
        path = folder / file
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    text = str(problems_of(folder))
    for fragment in (
        "links.csv row 2 (P-B1): from: unknown node (got 'Q')",
        "links.csv row 5 (B2-M): to: link starts and ends at the same node (got 'B2')",
        "supply.csv row 2 (B2/parts): node: supply is only allowed at plant or origin nodes",
        "demand.csv row 2 (B1/parts): node: demand is only allowed at market nodes",
    ):
        assert fragment in text


def test_several_missing_files_are_all_reported_at_once(copy_network):
    folder = copy_network()
    (folder / "supply.csv").unlink()
    (folder / "demand.csv").unlink()
    error = problems_of(folder)
    assert sorted(p.file for p in error.problems) == ["demand.csv", "supply.csv"]
    assert all("file is missing" in str(p) for p in error.problems)


def test_missing_folder_is_a_network_error(tmp_path):
    with pytest.raises(NetworkError, match="not a folder"):
        read_network(tmp_path / "nowhere")


def test_user_x_columns_are_accepted_and_kept(copy_network):
    folder = copy_network("x_columns")
    for file in ("nodes.csv", "links.csv"):
        path = folder / file
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [lines[0] + ",x_note"] + [f"{line},note {line.split(',')[0]}" for line in lines[1:]]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    net = read_network(folder)
    assert dict(zip(net.nodes["id"], net.nodes["x_note"], strict=True)) == {
        "P": "note P", "B1": "note B1", "B2": "note B2", "M": "note M"}
    assert dict(zip(net.links["id"], net.links["x_note"], strict=True))["B2-M"] == "note B2-M"


@pytest.mark.parametrize(
    "variant",
    ["no_final_newline", "crlf", "utf8_bom", "trailing_blank_line"],
)
def test_harmless_csv_formatting_is_accepted(copy_network, variant):
    folder = copy_network(variant)
    path = folder / "links.csv"
    data = path.read_bytes()
    path.write_bytes({
        "no_final_newline": data.rstrip(b"\n"),
        "crlf": data.replace(b"\n", b"\r\n"),
        "utf8_bom": b"\xef\xbb\xbf" + data,
        "trailing_blank_line": data + b"\n",  # editors often leave one empty line at the end
    }[variant])
    net = read_network(folder)
    assert sorted(net.links["id"]) == ["B1-M", "B2-M", "P-B1", "P-B2"]


# --- Network.from_frames: the same checks on tables held in memory ------------------------------


def numeric_frames(two_routes: Path) -> dict[str, pl.DataFrame]:
    """The two_routes tables with inferred (numeric) dtypes, as a caller would build them."""
    return {name: pl.read_csv(two_routes / f"{name}.csv") for name in TABLES}


def test_from_frames_with_numeric_dtypes_matches_read_network(two_routes):
    frames = numeric_frames(two_routes)
    assert frames["links"]["transit_h"].dtype.is_numeric()
    assert frames["supply"]["capacity_loads_per_day"].dtype.is_integer()
    net = Network.from_frames(**frames, name="two_routes")
    ref = read_network(two_routes)
    for name in TABLES:
        assert_frame_equal(getattr(net, name), getattr(ref, name))


@pytest.mark.parametrize("dtype", [pl.Int64, pl.Float64, pl.Float32], ids=str)
def test_from_frames_catches_negative_capacity(two_routes, dtype):
    frames = numeric_frames(two_routes)
    frames["links"] = frames["links"].with_columns(
        capacity_loads_per_day=pl.Series([None, -5, None, None], dtype=dtype))
    with pytest.raises(NetworkError) as info:
        Network.from_frames(**frames)
    [problem] = info.value.problems
    assert (problem.file, problem.row, problem.item, problem.field) == (
        "links.csv", 3, "P-B2", "capacity_loads_per_day")
    assert str(problem).startswith("links.csv row 3 (P-B2): capacity_loads_per_day: must be >= 0 (got '-5")


def test_from_frames_catches_non_finite_floats(two_routes):
    frames = numeric_frames(two_routes)
    frames["links"] = frames["links"].with_columns(
        transit_h=pl.Series([4.0, float("nan"), 8.0, float("inf")]))
    with pytest.raises(NetworkError) as info:
        Network.from_frames(**frames)
    found = sorted((p.row, p.field, p.message) for p in info.value.problems)
    assert found == [(3, "transit_h", "must be a finite number"), (5, "transit_h", "must be a finite number")]


def test_from_frames_runs_cross_table_checks(two_routes):
    frames = numeric_frames(two_routes)
    frames["demand"] = pl.DataFrame({"node": ["B1"], "commodity": ["parts"], "loads_per_day": [30]})
    with pytest.raises(NetworkError, match=r"demand.csv row 2 \(B1/parts\): node: demand is only allowed"):
        Network.from_frames(**frames)


def test_replace_revalidates(two_routes):
    net = read_network(two_routes)
    with pytest.raises(NetworkError, match="dwell_h: must be >= 0"):
        net.replace(nodes=net.nodes.with_columns(dwell_h=pl.lit(-1.0)))
