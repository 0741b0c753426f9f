"""Fuzzed scenario files through `nearshore batch`: the exit is always 0, 2 or 3, never a traceback,
and every exit-2 message names the scenario file."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from routing.cli.main import main

NETWORK = Path(__file__).parents[2] / "data" / "two_routes"
TABLE_FIELDS = {"nodes": ["throughput_loads_per_day", "dwell_h", "power_mw", "water_m3_per_day", "kind", "bogus"],
                "links": ["capacity_loads_per_day", "transit_h", "cost_usd_per_load", "mode"],
                "demand": ["loads_per_day"], "supply": ["capacity_loads_per_day"],
                "crossings": ["lanes", "open_h_per_day"], "bogus": ["x"]}
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
                    st.sampled_from([0, 1e9, 1e10, 1e19, 1e20, -1.0, 0.5]))
VALUES = st.one_of(NUMBERS, st.text(max_size=8), st.booleans(), st.lists(st.integers(0, 3), max_size=3))
IDS = st.lists(st.sampled_from(["P", "B1", "B2", "M", "P-B1", "B1-M", "nope", "", "a>b", "\x07"]), max_size=3)


def _toml_value(value: object) -> str:
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else "-inf" if value == float("-inf")
                                             else repr(value))
    return json.dumps(value)  # strings, ints, booleans and lists are valid TOML this way


@st.composite
def changes(draw) -> str:
    kind = draw(st.sampled_from(["close", "scale", "set", "restrict_sourcing", "add_link", "explode"]))
    table = draw(st.sampled_from(list(TABLE_FIELDS)))
    lines = ["[[changes]]", f"type = {json.dumps(kind)}", f"table = {json.dumps(table)}"]
    if draw(st.booleans()):
        lines.append(f"ids = {json.dumps(draw(IDS))}")
    if draw(st.booleans()):
        lines.append(f"field = {json.dumps(draw(st.sampled_from(TABLE_FIELDS[table])))}")
    for key in draw(st.lists(st.sampled_from(["factor", "value", "kind", "mode", "id", "from", "to", "transit_h",
                                              "capacity_loads_per_day", "days"]), max_size=3, unique=True)):
        lines.append(f"{key} = {_toml_value(draw(VALUES))}")
    return "\n".join(lines)


@st.composite
def scenario_files(draw) -> str:
    head = [f'network = "{NETWORK}"']
    if draw(st.booleans()):
        head.append(f"name = {json.dumps(draw(st.text(max_size=12)))}")
    if draw(st.booleans()):
        head += ["[solver]", f"objective = {json.dumps(draw(st.sampled_from(['lead_time', 'cost', 'blend', 'x'])))}",
                 f"time_limit_s = {_toml_value(draw(NUMBERS))}"]
    body = [draw(changes()) for _ in range(draw(st.integers(0, 3)))]
    if body and draw(st.booleans()):
        body.append(f"[sweep.a]\nchange = {draw(st.integers(0, 4))}\nvalues = {_toml_value(draw(VALUES))}")
    if draw(st.integers(0, 9)) == 0:
        body.append(draw(st.text(max_size=20)))  # not TOML at all
    return "\n".join(head + body) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=scenario_files())
@example(text=f'network = "{NETWORK}"\n[[changes]]\ntype = "scale"\ntable = "demand"\nfactor = 1e20\n')
@example(text=f'network = "{NETWORK}"\n[[changes]]\ntype = "set"\ntable = "links"\nids = ["P-B1"]\n'
              'field = "capacity_loads_per_day"\nvalue = 1e19\n')
def test_any_scenario_file_exits_0_2_or_3_with_a_message_naming_it(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_text(text, encoding="utf-8")
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["batch", str(path), "--jobs", "1", "--frames", "none", "--out", str(Path(folder) / "out")])
        message = err.getvalue()
        assert code in (0, 2, 3), message
        assert "Traceback" not in message
        if code == 2:
            assert str(path) in message or "fuzz.toml" in message, message
