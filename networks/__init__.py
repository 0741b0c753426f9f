"""What the world looks like: the network model, its data and its validation.

The public names load on first use (PEP 562), so importing :mod:`networks.errors` (as the CLI does
to map errors to exit codes) costs no numpy or polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "InputError": "networks.errors",
    "NearshoreError": "networks.errors",
    "NetworkError": "networks.errors",
    "Problem": "networks.errors",
    "KINDS": "networks.arrays",
    "LANE_TYPES": "networks.arrays",
    "MODES": "networks.arrays",
    "Network": "networks.network",
    "NetworkArrays": "networks.arrays",
    "QueueArrays": "networks.arrays",
    "build_arrays": "networks.arrays",
    "builtin_path": "networks.network",
    "read_network": "networks.network",
    "write_network": "networks.network",
    "LaneType": "networks.schema",
    "Mode": "networks.schema",
    "NodeKind": "networks.schema",
}
__all__ = ["KINDS", "LANE_TYPES", "MODES", "InputError", "LaneType", "Mode", "NearshoreError", "Network",
           "NetworkArrays", "NetworkError", "NodeKind", "Problem", "QueueArrays", "build_arrays", "builtin_path",
           "read_network", "write_network"]

if TYPE_CHECKING:
    from networks.arrays import KINDS, LANE_TYPES, MODES, NetworkArrays, QueueArrays, build_arrays
    from networks.errors import InputError, NearshoreError, NetworkError, Problem
    from networks.network import Network, builtin_path, read_network, write_network
    from networks.schema import LaneType, Mode, NodeKind


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'networks' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
