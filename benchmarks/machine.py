"""The machine a benchmark ran on: CPU, cores, memory, Python and library versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = ("nearshore", "ortools", "highspy", "networkx", "numpy", "scipy", "polars", "pylmcf")


def describe_machine() -> dict[str, Any]:
    """CPU model, logical cores, RAM in GiB, OS, Python and the versions of the solver libraries.

    Example
    -------
    >>> sorted(describe_machine())[:3]
    ['cores', 'cpu', 'libraries']
    """
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "libraries": {name: _version(name) for name in LIBRARIES},
        "load_average": load_average(),
    }


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the timings."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_line(machine: dict[str, Any]) -> str:
    """One line naming the machine, for the table's header."""
    libraries = ", ".join(f"{name} {version}" for name, version in machine["libraries"].items() if version)
    ram = f"{machine['ram_gib']:.0f} GiB RAM" if machine["ram_gib"] else "RAM unknown"
    load = machine.get("load_average")
    busy = f" · load average {load[0]:.2f} at start" if load else ""
    return (f"{machine['cpu']} · {machine['cores']} cores · {ram} · {machine['os']} · Python {machine['python']} · "
            f"{libraries}{busy}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
