"""What the world looks like: the network model, its data and its validation."""

from networks.errors import InputError, NearshoreError, NetworkError, ParameterError, Problem
from networks.network import (
    KINDS,
    LANE_TYPES,
    MODES,
    Network,
    NetworkArrays,
    QueueArrays,
    build_arrays,
    builtin_path,
    read_network,
)
from networks.schema import LaneType, Mode, NodeKind

__all__ = [
    "KINDS",
    "LANE_TYPES",
    "LaneType",
    "QueueArrays",
    "MODES",
    "InputError",
    "Mode",
    "NearshoreError",
    "Network",
    "NetworkArrays",
    "NetworkError",
    "NodeKind",
    "ParameterError",
    "Problem",
    "build_arrays",
    "builtin_path",
    "read_network",
]
