"""The batch's output folder: each scenario's files written atomically, finished work found again on resume."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from routing.batch.worker import FAILED, SUMMARY_SCHEMA, ScenarioOutcome
from routing.scenarios import Scenario


def scenario_hash(scenario: Scenario, network_fingerprint: str) -> str:
    """What a result depends on: the scenario's network, solver options and changes (not its
    description), and the network's files."""
    spec = scenario.model_dump(mode="json", exclude={"description", "event", "source"})
    text = json.dumps(spec, sort_keys=True, default=str) + network_fingerprint
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def scenario_folder(out_dir: str | Path, name: str) -> Path:
    """Where one scenario's files go."""
    return Path(out_dir) / "scenarios" / name


def read_done(out: Path, hashes: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Summary rows of scenarios already finished in ``out`` with the same hash (and not failed)."""
    done = {}
    for name, expected in hashes.items():
        path = scenario_folder(out, name) / "summary.parquet"
        if not path.is_file():
            continue
        try:
            frame = pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError):
            continue
        if frame.height == 1 and frame.columns == SUMMARY_SCHEMA.names():
            row = frame.row(0, named=True)
            if row["scenario_hash"] == expected and row["status"] != FAILED:
                done[name] = row
    return done


def write_outcome(out_dir: str | Path, outcome: ScenarioOutcome) -> Path:
    """Write one scenario's frames, then its summary row (which marks it done), each atomically."""
    folder = scenario_folder(out_dir, outcome.name)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in outcome.frames.items():
        write_atomic(frame, folder / f"{name}.parquet")
    write_atomic(pl.DataFrame([outcome.row], schema=SUMMARY_SCHEMA, orient="row"), folder / "summary.parquet")
    return folder


def write_atomic(frame: pl.DataFrame, path: Path) -> None:
    """Write to a temporary file next to ``path``, then move it into place in one step."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        frame.write_parquet(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
