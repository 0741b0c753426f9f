"""nearshore's benchmarks: seeded instances in a registry, peer solvers timed side by side on the
same instance in one run, batch throughput, cold start, and the issue's targets.

Run them with ``nearshore bench --suite quick|full --out DIR`` or :func:`benchmarks.runner.run_suite`.
"""

from benchmarks.registry import REGISTRY, SUITES, InstanceSpec, specs_for
from benchmarks.runner import SuiteResult, run_suite

__all__ = ["REGISTRY", "SUITES", "InstanceSpec", "SuiteResult", "run_suite", "specs_for"]
