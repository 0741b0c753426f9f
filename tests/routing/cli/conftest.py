"""CLI tests see a wide terminal: tables fit ``COLUMNS`` (tests of narrow tables set it themselves)."""

import pytest


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
