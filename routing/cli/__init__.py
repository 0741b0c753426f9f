"""The ``nearshore`` command line: the only package that prints, formats and picks exit codes."""

from routing.cli.main import cli, main

__all__ = ["cli", "main"]
