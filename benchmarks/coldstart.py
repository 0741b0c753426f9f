"""Cold start: ``nearshore solve`` on the built-in network as a whole new process.

The wall time of the subprocess counts the interpreter, every import, reading and validating the
network, the solve and printing the table. One untimed run first fills the OS file cache and the
bytecode caches, as on any machine that has run nearshore before (unless ``PYTHONDONTWRITEBYTECODE``
is set: then nearshore's own modules are compiled at every start, and the report says so).
``python -X importtime`` then names the packages whose imports cost the most.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TOP_IMPORTS = 6


@dataclass(frozen=True, slots=True)
class ColdStart:
    """Wall seconds per run of ``command`` and the slowest top-level imports (name, seconds)."""

    command: tuple[str, ...]
    seconds: tuple[float, ...]
    imports: tuple[tuple[str, float], ...]

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)


def solve_command(network_dir: Path | None = None) -> list[str]:
    """``nearshore solve`` as installed next to this Python (or ``python -m routing.cli``)."""
    return _nearshore() + ["solve"] + (["--network", str(network_dir)] if network_dir else [])


def measure_cold_start(*, runs: int, network_dir: Path | None = None) -> ColdStart:
    """Time ``runs`` fresh ``nearshore solve`` processes (after one untimed run).

    Raises
    ------
    RuntimeError
        If the command exits with a non-zero code (its stderr is in the message).
    """
    command = solve_command(network_dir)
    seconds = _wall_seconds(command, runs)
    return ColdStart(command=tuple(command), seconds=tuple(seconds), imports=slowest_imports(network_dir))


def measure_startup(*, runs: int) -> dict[str, float]:
    """Best wall seconds of ``nearshore --help``, ``nearshore --version`` and ``python -c "import click"``
    (the floor: a click program that does nothing), each as a new process after one untimed run."""
    base = _nearshore()
    commands = {"help": base + ["--help"], "version": base + ["--version"],
                "import_click": [sys.executable, "-c", "import click"]}
    return {name: min(_wall_seconds(command, runs)) for name, command in commands.items()}


def _nearshore() -> list[str]:
    """The ``nearshore`` script installed next to this Python, or ``python -m routing.cli``."""
    script = Path(sys.executable).with_name("nearshore")
    return [str(script)] if script.exists() else [sys.executable, "-m", "routing.cli"]


def _wall_seconds(command: list[str], runs: int) -> list[float]:
    """Wall seconds of ``runs`` fresh processes of ``command``, after one untimed run (warm caches)."""
    _run(command)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        _run(command)
        seconds.append(time.perf_counter() - start)
    return seconds


def _run(command: list[str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return done


def slowest_imports(network_dir: Path | None = None) -> tuple[tuple[str, float], ...]:
    """Top-level packages by import seconds in one ``nearshore solve`` process."""
    command = [sys.executable, "-X", "importtime", "-m", "routing.cli", "solve"]
    command += ["--network", str(network_dir)] if network_dir else []
    return parse_importtime(_run(command).stderr)


def parse_importtime(stderr: str) -> tuple[tuple[str, float], ...]:
    """Import seconds per top-level package (the self times of all its modules) from
    ``-X importtime`` output, slowest first.

    Example
    -------
    >>> parse_importtime("import time: self [us] | cumulative | imported package\\n"
    ...                  "import time:      1000 |       1000 |   numpy.linalg\\n"
    ...                  "import time:      2000 |       3000 | numpy\\n"
    ...                  "import time:       500 |        500 | click\\n")
    (('numpy', 0.003), ('click', 0.0005))
    """
    totals: dict[str, float] = {}
    for line in stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        root = parts[2].strip().split(".")[0]
        totals[root] = totals.get(root, 0.0) + int(parts[0]) / 1e6
    return tuple(sorted(totals.items(), key=lambda item: -item[1])[:TOP_IMPORTS])
