"""The frames of a solved network, each built on first use.

A batch that reads only a result's summary numbers never pays for its lanes (the flow
decomposition) or its bottleneck tables (its top bottleneck is named from the arrays); a planner who
opens them pays once.
"""

from __future__ import annotations

from functools import cached_property

import polars as pl

from networks import Network
from routing.formulation.solution import Solution
from routing.results.bottlenecks import (
    Binding,
    Valuation,
    binding_capacities,
    binding_frame,
    bottleneck_columns,
    ranked,
    top_bottleneck,
    unmet_frame,
)
from routing.results.crossings import CROSSINGS_SCHEMA, crossings_frame
from routing.results.lanes import flows_frame, lanes_frame
from routing.results.schemas import BOTTLENECKS_SCHEMA, FLOWS_SCHEMA, LANES_SCHEMA, UNMET_SCHEMA


class SolvedTables:
    """Lanes, bottlenecks, unmet demand, flows and crossings of ``solution`` on ``network``."""

    def __init__(self, network: Network, solution: Solution, valuation: Valuation | None = None) -> None:
        self.network = network
        self.solution = solution
        self.valuation = valuation

    @cached_property
    def crossings(self) -> pl.DataFrame:
        return crossings_frame(self.network, self.solution)

    @cached_property
    def capacities(self) -> Binding:
        """Binding capacities as arrays, valued (re-solves included) once for the frames and the top."""
        return binding_capacities(self.network, self.solution, self.valuation)

    @cached_property
    def binding(self) -> pl.DataFrame:
        """Binding capacities with their use, saving and place (bottlenecks and unmet reasons use it)."""
        return binding_frame(self.network, self.capacities)

    @cached_property
    def top_bottleneck(self) -> tuple[str | None, float | None]:
        return top_bottleneck(self.network, self.capacities)

    @cached_property
    def lanes(self) -> pl.DataFrame:
        return lanes_frame(self.network, self.solution)

    @cached_property
    def ranked_binding(self) -> pl.DataFrame:
        """The binding frame in the bottleneck table's order (the table and the unmet reasons share it)."""
        return ranked(self.binding)

    @cached_property
    def bottlenecks(self) -> pl.DataFrame:
        return bottleneck_columns(self.ranked_binding)

    @cached_property
    def unmet(self) -> pl.DataFrame:
        return unmet_frame(self.network, self.solution, self.binding, ranked_binding=self.ranked_binding)

    @cached_property
    def flows(self) -> pl.DataFrame:
        return flows_frame(self.network, self.solution)


class NoTables:
    """The frames of a solve without a solution: all empty, with their schemas."""

    lanes = property(lambda self: LANES_SCHEMA.to_frame())
    bottlenecks = property(lambda self: BOTTLENECKS_SCHEMA.to_frame())
    unmet = property(lambda self: UNMET_SCHEMA.to_frame())
    flows = property(lambda self: FLOWS_SCHEMA.to_frame())
    crossings = property(lambda self: CROSSINGS_SCHEMA.to_frame())
    top_bottleneck = (None, None)
