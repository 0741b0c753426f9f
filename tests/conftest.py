"""Shared test fixtures: paths to the small test networks and a way to copy one for editing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def two_routes() -> Path:
    """The valid four-node, four-link test network."""
    return DATA / "two_routes"


@pytest.fixture
def copy_network(tmp_path: Path, two_routes: Path) -> Callable[[str], Path]:
    """Copy ``two_routes`` into ``tmp_path/<name>`` so a test can edit its files."""

    def copy(name: str = "net") -> Path:
        return Path(shutil.copytree(two_routes, tmp_path / name))

    return copy
