"""Result frames are built on first use, and equal the frames built directly from the solution."""

from __future__ import annotations

from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from networks import read_network
from routing import LeadTimeModel
from routing.results.bottlenecks import (
    binding_capacities,
    binding_frame,
    bottlenecks_frame,
    top_bottleneck,
    unmet_frame,
)
from routing.results.crossings import crossings_frame
from routing.results.lanes import flows_frame, lanes_frame

DATA = Path(__file__).parents[2] / "data"


@pytest.mark.parametrize("folder", ["short_supply", "two_crossings", "shared_capacity"])
def test_lazy_frames_equal_the_frames_built_from_the_solution(folder):
    network = read_network(DATA / folder)
    result = LeadTimeModel(network).solve()
    solution = result._frames.solution
    assert "lanes" not in vars(result._frames)  # nothing built before it is asked for
    capacities = binding_capacities(network, solution, result._frames.valuation)
    binding = binding_frame(network, capacities)
    assert_frame_equal(result.lanes, lanes_frame(network, solution))
    assert_frame_equal(result.bottlenecks, bottlenecks_frame(binding))
    assert_frame_equal(result.unmet, unmet_frame(network, solution, binding))
    assert_frame_equal(result.flows, flows_frame(network, solution))
    assert_frame_equal(result.crossings, crossings_frame(network, solution))
    assert result.lanes is result.lanes  # built once
    top = result.bottlenecks.row(0, named=True) if result.bottlenecks.height else None
    assert top_bottleneck(network, capacities) == ((f"{top['kind']} {top['id']}", top["value_per_unit"]) if top
                                                   else (None, None))


def test_summary_and_to_dict_hold_the_scalars_and_the_frames():
    result = LeadTimeModel(read_network(DATA / "short_supply")).solve()
    summary = result.summary()
    assert "lanes" not in summary and summary["objective"] == pytest.approx(result.objective)
    whole = result.to_dict()
    assert whole["lanes"] == result.lanes.to_dicts() and whole["unmet"] == result.unmet.to_dicts()
