"""Scenarios: what-if changes to a network, read from TOML (:mod:`.schema`, :mod:`.load`) and applied
with polars (:mod:`.apply`); ``library/`` holds the scenarios that ship for the built-in network."""

from routing.scenarios.apply import apply_changes, check_changes
from routing.scenarios.load import check_regimes, library_file, library_path, load_scenario, load_scenarios
from routing.scenarios.schema import BUILTIN, FIELDS, SELECTORS, Change, Scale, Scenario, SolverOptions

__all__ = ["BUILTIN", "FIELDS", "SELECTORS", "Change", "Scale", "Scenario", "SolverOptions", "apply_changes",
           "check_changes", "check_regimes", "library_file", "library_path", "load_scenario", "load_scenarios"]
