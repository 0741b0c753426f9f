"""Reading the network a command works on, and writing its output to stdout or a file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from networks import Network


def load_network(network_dir: Path | None) -> Network:
    """The network in ``network_dir``, or the built-in one (validated; bad input raises InputError)."""
    from networks import read_network

    return read_network(network_dir)


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` (one line on stderr says where)."""
    if output is None:
        click.echo(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
