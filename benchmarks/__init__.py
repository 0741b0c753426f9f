"""nearshore's benchmarks: seeded instances in a registry, peer solvers timed side by side on the
same instance in one run, batch throughput, cold start, and the issue's targets.

Run them with ``nearshore bench --suite quick|full --out DIR`` or :func:`benchmarks.runner.run_suite`.
The names below load on first use, so registering the ``bench`` command costs no numpy.
"""

from __future__ import annotations

import importlib
from typing import Any

SUITES = ("quick", "full")
"""The suites of :data:`benchmarks.registry.REGISTRY` (``quick``: up to 1e4 links; ``full``: up to 1e6)."""

_EXPORTS = {"REGISTRY": "benchmarks.registry", "InstanceSpec": "benchmarks.registry", "specs_for": "benchmarks.registry",
            "SuiteResult": "benchmarks.runner", "run_suite": "benchmarks.runner"}
__all__ = ["REGISTRY", "SUITES", "InstanceSpec", "SuiteResult", "run_suite", "specs_for"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'benchmarks' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
