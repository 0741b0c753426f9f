"""The batch's output folder: each scenario's files written atomically, finished work found again on resume.

Every file goes to a temporary name in its folder and is moved into place with ``os.replace``, with
the permissions the umask gives; a scenario's ``summary.parquet`` is written last, carries a content
hash of the frames written with it (``frames_hash``) and so marks the scenario done. ``--resume``
trusts a scenario only when its summary row has the same scenario hash, ended in a final status, was
written with the same frames and those frames still hash the same. A lock file keeps a second batch
off the same folder, and no write follows a symbolic link out of it.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from networks import NearshoreError
from routing.batch.worker import FRAMES, SUMMARY_SCHEMA, ScenarioOutcome
from routing.scenarios import Scenario

FINAL = ("optimal", "optimal_within_tolerance", "infeasible", "unbounded")
"""Statuses that a rerun would reproduce; any other (failed, a time limit, invalid) runs again on resume."""
LOCK_FILE = ".nearshore-batch.lock"


class OutputError(NearshoreError):
    """The output folder cannot be used: locked by another batch, not writable, full, or a link out of it."""


def scenario_hash(scenario: Scenario, network_fingerprint: str) -> str:
    """What a result depends on: the scenario's network, solver options and changes (not its
    description), and the network's files."""
    spec = scenario.model_dump(mode="json", exclude={"description", "event", "source"})
    text = json.dumps(spec, sort_keys=True, default=str) + network_fingerprint
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def scenario_folder(out_dir: str | Path, name: str) -> Path:
    """Where one scenario's files go."""
    return Path(out_dir) / "scenarios" / name


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the folder's lock for a batch; a second batch on the same folder gets a clear error."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    with _writing(path):
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 64, 0).decode(errors="replace").strip() or "?"
            raise OutputError(f"{out}: another batch is writing here (pid {holder}); wait for it to finish "
                              "or choose another --out") from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(handle)


def read_done(out: Path, hashes: dict[str, str], frames: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Summary rows of the scenarios finished in ``out`` that a rerun would reproduce: same scenario
    hash, a final status, the same frames, and frame files that still hash as written."""
    done = {}
    for name, expected in hashes.items():
        folder = scenario_folder(out, name)
        path = folder / "summary.parquet"
        if folder.is_symlink() or not path.is_file():
            continue
        try:
            frame = pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError):
            continue
        if frame.height != 1 or frame.columns != SUMMARY_SCHEMA.names():
            continue
        row = frame.row(0, named=True)
        fresh = row["scenario_hash"] == expected and row["status"] in FINAL
        if fresh and row["frames"] == ",".join(frames) and row["frames_hash"] == frames_hash(folder, frames):
            done[name] = row
    return done


def read_summary(out_dir: str | Path) -> pl.DataFrame:
    """The ``summary.parquet`` of a finished batch in ``out_dir``, one row per scenario (SUMMARY_SCHEMA).

    Raises InputError naming the folder when it holds no batch summary, or one of other columns."""
    from networks import InputError
    from networks.errors import Problem

    path = Path(out_dir) / "summary.parquet"
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as error:
        raise InputError([Problem(str(out_dir), f"no batch summary here ({path}: {str(error).splitlines()[0]}); give "
                                                "the --out folder of a `nearshore batch` run")]) from None
    if frame.columns != SUMMARY_SCHEMA.names():
        raise InputError([Problem(str(path), "not a nearshore batch summary (its columns differ from "
                                             "SUMMARY_SCHEMA); rerun the batch with this version")])
    return frame


def frames_hash(folder: Path, frames: Sequence[str]) -> str | None:
    """A digest of the frame files of a scenario folder (None when one is missing or unreadable)."""
    digest = hashlib.blake2b(digest_size=16)
    for name in frames:
        try:
            digest.update(name.encode() + b"\0" + (folder / f"{name}.parquet").read_bytes())
        except OSError:
            return None
    return digest.hexdigest()


def write_outcome(out_dir: str | Path, outcome: ScenarioOutcome) -> dict[str, Any]:
    """Write one scenario's frames, delete frames of an earlier run that were not rewritten, then
    write its summary row with the frames' hash (which marks it done), each file atomically; return
    the row as written."""
    out = Path(out_dir)
    folder = scenario_folder(out, outcome.name)
    _check_inside(out, folder)
    with _writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
        names = tuple(outcome.frames)
        for name, frame in outcome.frames.items():
            write_atomic(frame, folder / f"{name}.parquet")
        for stale in set(FRAMES) - set(names):
            (folder / f"{stale}.parquet").unlink(missing_ok=True)
        row = outcome.row | {"frames": ",".join(names), "frames_hash": frames_hash(folder, names)}
        write_atomic(pl.DataFrame([row], schema=SUMMARY_SCHEMA, orient="row"), folder / "summary.parquet")
    return row


def write_atomic(frame: pl.DataFrame, path: Path) -> None:
    """Write to a temporary file next to ``path``, then move it into place in one step, with the
    permissions the umask gives a new file."""
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; nearshore does not write through links: remove it")
    with _writing(path):
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        try:
            frame.write_parquet(temporary)
            os.chmod(temporary, 0o666 & ~_UMASK)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _check_inside(out: Path, folder: Path) -> None:
    """No scenario folder (or ``scenarios/`` itself) may be a link that leads out of ``out``."""
    for path in (folder.parent, folder):
        if path.is_symlink():
            raise OutputError(f"{path} is a symbolic link; nearshore does not write through links: remove it")


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failed write into an :class:`OutputError` naming the path and the fix."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        fix = {errno.ENOSPC: "free some space or choose another --out",
               errno.EDQUOT: "free some space or choose another --out",
               errno.EACCES: "choose a folder you can write to with --out",
               errno.EPERM: "choose a folder you can write to with --out",
               errno.EROFS: "choose a folder on a writable disk with --out"}.get(exc.errno, "check the folder")
        raise OutputError(f"cannot write {exc.filename or path}: {exc.strerror or exc}; {fix}") from None
    except pl.exceptions.PolarsError as exc:  # polars reports a full disk as an I/O error of its own
        raise OutputError(f"cannot write {path}: {str(exc).splitlines()[0]}; free some space or choose "
                          "another --out") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()
