"""How freight moves through a network: the lead-time solvers, scenarios and the CLI.

The public names load on first use (PEP 562), so ``nearshore --help`` imports no numpy or polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "LeadTimeModel": "routing.model",
    "LeadTimeResult": "routing.results.result",
    "Objective": "routing.options",
    "SolveOptions": "routing.options",
    "Solver": "routing.options",
    "SolverUnsuitableError": "routing.model",
    "Status": "routing.backends.outcome",
    "solve_lead_time": "routing.model",
}
__all__ = ["LeadTimeModel", "LeadTimeResult", "Objective", "SolveOptions", "Solver", "SolverUnsuitableError",
           "Status", "solve_lead_time"]

if TYPE_CHECKING:
    from routing.backends.outcome import Status
    from routing.model import LeadTimeModel, SolverUnsuitableError, solve_lead_time
    from routing.options import Objective, SolveOptions, Solver
    from routing.results.result import LeadTimeResult


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'routing' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
