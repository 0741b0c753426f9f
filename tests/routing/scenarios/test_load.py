"""Reading scenario files: sweeps expand in a stable order with stable names; bad files get one
clear problem each, naming the file, the change and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from networks import InputError, read_network
from routing.scenarios import (
    Scale,
    apply_changes,
    check_changes,
    check_regimes,
    library_path,
    load_scenario,
    load_scenarios,
)

DATA = Path(__file__).parent / "data"
NETWORKS = Path(__file__).parents[2] / "data"
BAD = sorted((DATA / "bad").glob("*.toml"))

SWEEP = """
description = "grid"
network = "{network}"

[[changes]]
type = "scale"
table = "nodes"
ids = ["B1"]
field = "throughput_loads_per_day"
factor = 1.0

[[changes]]
type = "scale"
table = "demand"
factor = 1.0

[[changes]]
type = "scale"
table = "links"
ids = ["B1-M"]
field = "transit_h"
factor = 1.0

[sweep.bridge]
change = 1
values = [0.25, 0.5, 1.0]

[sweep.load]
change = [2, 3]
values = [2, 0.5]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.format(network=NETWORKS / "two_routes"), encoding="utf-8")
    return path


def expected_fragment(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <message fragment>'"
    return first.removeprefix("# expect: ")


def test_sweep_expands_first_axis_slowest_with_stable_names(tmp_path):
    path = write(tmp_path, "grid.toml", SWEEP)
    scenarios = load_scenario(path)
    assert [s.name for s in scenarios] == [
        "grid-bridge=0.25-load=2", "grid-bridge=0.25-load=0.5",
        "grid-bridge=0.5-load=2", "grid-bridge=0.5-load=0.5",
        "grid-bridge=1-load=2", "grid-bridge=1-load=0.5",
    ]
    assert [s.name for s in load_scenario(path)] == [s.name for s in scenarios]  # stable across reads
    second = scenarios[1]
    assert second.point == (("bridge", 0.25), ("load", 0.5))
    assert second.point_label() == "bridge=0.25,load=0.5"
    assert [c.factor for c in second.changes] == [0.25, 0.5, 0.5]  # one axis can drive several changes
    assert {s.description for s in scenarios} == {"grid"} and {s.source for s in scenarios} == {str(path)}


def test_sweep_points_apply_their_own_values(tmp_path):
    network = read_network(NETWORKS / "two_routes")
    throughput = [apply_changes(network, s.changes).nodes.filter(id="B1")["throughput_loads_per_day"].item()
                  for s in load_scenario(write(tmp_path, "grid.toml", SWEEP))]
    assert throughput == [2.5, 2.5, 5.0, 5.0, 10.0, 10.0]


def test_a_file_without_sweep_is_one_scenario_named_after_the_file_by_default(tmp_path):
    path = write(tmp_path, "plain.toml", 'network = "{network}"\n[[changes]]\ntype = "close"\ntable = "nodes"\n'
                                         'ids = "B1"\n')
    [scenario] = load_scenario(path)
    assert scenario.name == "plain" and scenario.point == () and scenario.point_label() == ""
    assert scenario.changes[0].ids == ("B1",)  # one id may be written without a list
    assert scenario.network == str((NETWORKS / "two_routes").resolve())


def test_a_folder_loads_its_files_in_name_order_and_names_must_be_unique(tmp_path):
    write(tmp_path, "b.toml", 'network = "{network}"\n')
    write(tmp_path, "a.toml", 'network = "{network}"\n')
    assert [s.name for s in load_scenarios([tmp_path])] == ["a", "b"]
    write(tmp_path, "c.toml", 'name = "a"\nnetwork = "{network}"\n')
    with pytest.raises(InputError, match=r"c\.toml: field 'name': scenario name 'a' is also used in .*a\.toml"):
        load_scenarios([tmp_path])


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_every_bad_file_gets_a_message_naming_the_file_and_the_change(path):
    fragment = expected_fragment(path)
    try:
        [scenario] = load_scenario(path)
    except InputError as bad:
        problems = [str(p) for p in bad.problems]
    else:  # the problem needs the network: unknown ids, empty selections, unknown shock domains
        network = read_network(None if scenario.network == "builtin" else scenario.network)
        problems = [str(p) for p in [*check_changes(network, scenario.changes, source=scenario.source),
                                     *check_regimes(network, scenario)]]
    assert len(problems) == 1, problems
    assert problems[0].startswith(str(path))
    assert fragment in problems[0], problems[0]


def test_all_problems_of_a_file_are_reported_at_once(tmp_path):
    path = write(tmp_path, "many.toml", 'network = "{network}"\n'
                 '[[changes]]\ntype = "scale"\ntable = "nodes"\nids = ["B1"]\nfield = "throughput_loads_per_day"\n'
                 'factor = -1\n'
                 '[[changes]]\ntype = "close"\ntable = "links"\nids = ["P-B1"]\nwhen = "now"\n')
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert [str(p).removeprefix(str(path)) for p in info.value.problems] == [
        " change 1 (scale): field 'factor': must be >= 0 (got -1)",
        " change 2 (close): field 'when': unknown field; close takes commodity, country, days, from, ids, kind, "
        "lane_type, mode, region, table, to",
    ]


def test_changes_can_be_built_in_code_too():
    change = Scale(type="scale", table="demand", factor=2.0)
    network = read_network(NETWORKS / "two_routes")
    assert apply_changes(network, [change]).demand["loads_per_day"].to_list() == [60.0]


def test_the_library_has_the_promised_scenarios_with_descriptions():
    files = {p.stem for p in library_path().glob("*.toml")}
    assert {"base", "wtb_closed", "nl_power_cut", "eagle_pass_rail_blockade", "cbp_staffing_cuts", "demand_surge",
            "laredo_second_rail_bridge", "asia_only", "mexico_only", "laredo_power_sweep"} <= files
    scenarios = load_scenarios([library_path()])
    assert all(s.description and "\n" not in s.description for s in scenarios)
    assert "Dec-2023" in next(s.event for s in scenarios if s.name == "eagle_pass_rail_blockade")
    sweep = [s.name for s in scenarios if s.name.startswith("laredo_power_sweep")]
    assert len(sweep) == 8
    assert all(re.fullmatch(r"laredo_power_sweep-laredo=[\d.]+-nl_power=(0\.7|1)", n) for n in sweep)


def test_every_library_scenario_applies_to_the_builtin_network():
    network = read_network()
    for scenario in load_scenarios([library_path()]):
        assert scenario.network == "builtin"
        changed = apply_changes(network, scenario.changes, source=scenario.source)
        assert changed.nodes.height == network.nodes.height  # closing keeps the structure
        if any(getattr(c, "factor", None) != 1.0 for c in scenario.changes):  # a change that changes something
            assert any(not changed.tables()[t].equals(network.tables()[t]) for t in ("nodes", "links", "supply", "crossings",
                                                                                   "demand")), scenario.name


EPISODES = {"texas_dps_2022": "texas_border", "wtb_storm_closure_2023": "texas_border",
            "rail_gateway_closures_2023": "mx_rail", "manzanillo_2025": "mx_pacific_ports",
            "ila_strike_2024": "us_east_gulf_ports", "episodes/texas_dps_inspections_2022": "texas_border",
            "episodes/wtb_storm_closure_2023_days": "texas_border",
            "episodes/rail_gateways_closed_dec_2023": "mx_rail", "episodes/eagle_pass_rail_closed_sep_2023": "mx_rail"}


@pytest.mark.parametrize(("name", "domain"), EPISODES.items())
def test_every_stress_episode_holds_its_shock_domain_disrupted(name, domain):
    """The named episodes of leg_variability.md say which regime they are (the disrupted row of
    regimes.csv that was fitted to them), and the built-in network knows the domain."""
    [scenario] = load_scenarios([name])
    assert scenario.regimes == {domain: "disrupted"}
    assert domain in scenario.event or name.startswith("episodes/")
    assert check_regimes(read_network(), scenario) == []
    assert "regimes" not in scenario.model_dump()  # no solve depends on it: batch keys stay as they were
