"""The import contracts of pyproject.toml hold (the same check as ``lint-imports`` in CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


def test_import_contracts_are_kept():
    pytest.importorskip("importlinter")
    done = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()"], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_help_and_version_import_no_heavy_package():
    code = ("import sys; from routing.cli import main; "
            "sys.argv = ['nearshore', '--help']; "
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['--help']); main(['--version'])\n"
            "heavy = [m for m in ('numpy', 'polars', 'pydantic', 'ortools', 'highspy', 'networkx') if m in sys.modules]\n"
            "print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"--help / --version imported {done.stdout.strip()}"


def test_help_lists_no_command_module_and_says_what_each_command_says():
    code = ("import sys, contextlib, io; from routing.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
            "print(','.join(m for m in sys.modules if m.startswith('routing.cli.') and m not in "
            "('routing.cli.main', 'routing.cli.exits')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"--help imported {done.stdout.strip()}"

    import click

    from routing.cli.main import COMMANDS, SUMMARIES, cli

    assert SUMMARIES.keys() == COMMANDS.keys()
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        for limit in (20, 45, 60, 80, 200):
            listed = click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit)
            assert listed == command.get_short_help_str(limit), name


def test_plugin_commands_are_the_entry_points_importlib_metadata_finds():
    from importlib import metadata

    from routing.cli.main import PLUGIN_GROUP, plugin_commands

    expected = {ep.name: ep.value for ep in metadata.entry_points(group=PLUGIN_GROUP)}
    assert plugin_commands() == expected
    assert expected.get("bench") == "benchmarks.cli:bench"
