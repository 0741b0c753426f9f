"""Reading scenario files: TOML to validated :class:`Scenario` objects, sweeps expanded, problems named."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from networks import InputError, Network, Problem
from routing.scenarios.schema import (
    BUILTIN,
    CHANGE_TYPES,
    MAX_NAME_LENGTH,
    MAX_SWEEP_POINTS,
    FieldError,
    Scenario,
    ScenarioProblem,
    _label,
    _ScenarioFile,
)


def library_path() -> Path:
    """The folder of the scenario library shipped with the package (for the built-in network)."""
    return Path(str(resources.files("routing.scenarios") / "library"))


def load_scenario(path: str | Path) -> list[Scenario]:
    """Read a scenario file; a file with a ``[sweep]`` gives one scenario per grid point.

    Sweep points come in a stable order, the first axis varying slowest, and are named
    ``<name>-<axis>=<value>-...`` in the order the axes are written.

    Parameters
    ----------
    path
        A ``.toml`` scenario file.

    Returns
    -------
    list[Scenario]
        The scenario, or the sweep's points in grid order.

    Raises
    ------
    InputError
        Malformed TOML, unknown or missing fields, bad values: every problem, each naming the
        file, the change and the field.

    Example
    -------
    >>> [s.name for s in load_scenario(library_path() / "laredo_power_sweep.toml")][:2]
    ['laredo_power_sweep-laredo=0.25-nl_power=0.7', 'laredo_power_sweep-laredo=0.25-nl_power=1']
    """
    path = Path(path)
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([ScenarioProblem(where, f"cannot be read: {exc}")], source=where) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([ScenarioProblem(where, f"not valid TOML: {exc}")], source=where) from None
    try:
        spec = _ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(_problems(exc, where, data), source=where) from None
    problems = _check_sweep(spec, where)
    network = spec.network
    if network != BUILTIN:
        folder = (path.parent / network).resolve()
        if not folder.is_dir():
            problems.append(ScenarioProblem(where, f"network folder not found: {folder}", field="network"))
        network = str(folder)
    if problems:
        raise InputError(problems, source=where)
    return _expand(spec, data, network=network, where=where, stem=path.stem)


def _check_sweep(spec: _ScenarioFile, where: str) -> list[Problem]:
    problems: list[Problem] = []
    for axis, sweep in spec.sweep.items():
        item = f"sweep {axis}"
        for index in sweep.change:
            if index > len(spec.changes):
                problems.append(ScenarioProblem(where, f"there is no change {index} (the file has "
                                                       f"{len(spec.changes)})", item=item, field="change"))
            elif sweep.field is None and not {"factor", "value"} & set(spec.changes[index - 1]):
                problems.append(ScenarioProblem(where, f"change {index} has no factor or value; name the field "
                                                       "to sweep", item=item, field="field"))
        labels = [_label(v) for v in sweep.values]
        if len("".join(f"-{axis}={label}" for label in labels[:1])) > MAX_NAME_LENGTH // 2:
            problems.append(ScenarioProblem(where, "a sweep value's label is too long to name a scenario", item=item,
                                            field="values", got=labels[0][:40]))
        if len(set(labels)) < len(labels):
            problems.append(ScenarioProblem(where, "values repeat", item=item, field="values",
                                            got=list(sweep.values)))
    points = math.prod(len(sweep.values) for sweep in spec.sweep.values())
    if points > MAX_SWEEP_POINTS:
        problems.append(ScenarioProblem(where, f"the sweep has {points:,} points, more than {MAX_SWEEP_POINTS:,}; "
                                               "split it into several files", field="sweep", got=points))
    return problems


def _expand(spec: _ScenarioFile, data: dict[str, Any], *, network: str, where: str, stem: str) -> list[Scenario]:
    """One scenario per sweep point (or the file's one scenario), validated; problems collected."""
    name = spec.name or stem
    axes = list(spec.sweep.items())
    swept = {f"change {index}" for _, axis in axes for index in axis.change}
    scenarios, problems = [], []
    for values in itertools.product(*(axis.values for _, axis in axes)):
        changes = copy.deepcopy(list(spec.changes))
        for (_, axis), value in zip(axes, values, strict=True):
            for index in axis.change:
                field = axis.field or ("factor" if "factor" in changes[index - 1] else "value")
                changes[index - 1][field] = value
        point = tuple((axis_name, value) for (axis_name, _), value in zip(axes, values, strict=True))
        suffix = "".join(f"-{axis_name}={_label(value)}" for axis_name, value in point)
        raw = {"name": name + suffix, "description": spec.description, "event": spec.event,
               "network": network, "solver": spec.solver, "changes": changes, "source": where, "point": point,
               "horizon": spec.horizon, "regimes": spec.regimes}
        try:
            scenarios.append(Scenario.model_validate(raw))
        except ValidationError as exc:  # name the point when a swept value is at fault, once otherwise
            at_point = dataclasses.replace if point else (lambda p, **_: p)
            label = f"{where} sweep point {','.join(f'{a}={_label(v)}' for a, v in point)}"
            found = [at_point(p, file=label) if (p.item or "").split(" (")[0] in swept else p
                     for p in _problems(exc, where, {"changes": changes})]
            problems += [p for p in found if p not in problems]
    if problems:
        raise InputError(problems, source=where)
    return scenarios


_MESSAGES = {
    "missing": "required",
    "greater_than_equal": "must be >= {ge:g}",
    "greater_than": "must be > {gt:g}",
    "finite_number": "must be a finite number",
    "too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters (it names a folder)",
}


def _problems(error: ValidationError, where: str, data: dict[str, Any]) -> list[Problem]:
    """Turn pydantic's errors into problems naming the file, the change and the field."""
    problems = []
    for err in error.errors():
        loc = list(err["loc"])
        item, field, kind = None, None, None
        if loc and loc[0] == "changes" and len(loc) >= 2 and isinstance(loc[1], int):
            index = loc[1]
            raw = data.get("changes", [])[index] if index < len(data.get("changes", [])) else {}
            kind = raw.get("type") if isinstance(raw, dict) else None
            item = f"change {index + 1}" + (f" ({kind})" if isinstance(kind, str) else "")
            loc = loc[3:] if len(loc) >= 3 and loc[2] == kind else loc[2:]
        elif loc and loc[0] == "sweep" and len(loc) >= 2:
            item, loc = f"sweep {loc[1]}", loc[2:]
        if loc:
            field = ".".join(str(part) for part in loc if not isinstance(part, int)) or None
        message, got = _message(err, kind=kind)
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            field = cause.field
        problems.append(ScenarioProblem(where, message, item=item, field=field, got=got))
    return problems


def _message(err: dict[str, Any], *, kind: Any) -> tuple[str, Any]:
    ctx, kind_of_error = err.get("ctx", {}), err["type"]
    if kind_of_error == "extra_forbidden":
        model = CHANGE_TYPES.get(kind) if isinstance(kind, str) else None
        allowed = sorted((f.alias or n) for n, f in model.model_fields.items() if n != "type") if model else []
        return "unknown field" + (f"; {kind} takes {', '.join(allowed)}" if allowed else ""), None
    if kind_of_error in ("union_tag_invalid", "union_tag_not_found"):
        tag = ctx.get("tag")
        known = ", ".join(CHANGE_TYPES)
        return (f"unknown change type {tag!r}; use {known}" if tag else f"a change needs a type: {known}"), None
    if kind_of_error == "value_error":
        return str(ctx.get("error", err["msg"])), None
    template = _MESSAGES.get(kind_of_error)
    got = err.get("input") if kind_of_error not in ("missing",) else None
    return (template.format(**ctx) if template else err["msg"]), (got if not isinstance(got, dict) else None)


def library_file(name: str | Path) -> Path | None:
    """The library scenario called ``name`` (with or without ``.toml``), or None: a name as
    ``nearshore scenarios`` lists it (``episodes/wtb_storm_closure_2023_days``), or a file's bare
    name when exactly one file of the library has it.

    Example
    -------
    >>> library_file("wtb_closed").name
    'wtb_closed.toml'
    >>> library_file("episodes/wtb_storm_closure_2023_days") == library_file("wtb_storm_closure_2023_days")
    True
    >>> library_file("../load.py") is None
    True
    """
    text = str(name)
    parts = text.replace("\\", "/").split("/")
    if not text or any(part in ("", ".", "..") for part in parts):
        return None
    root = library_path()
    file = parts[-1] if parts[-1].endswith(".toml") else parts[-1] + ".toml"
    path = root.joinpath(*parts[:-1], file)
    if path.is_file():
        return path
    found = sorted(root.rglob(file)) if len(parts) == 1 else []
    return found[0] if len(found) == 1 else None


def load_scenarios(paths: Iterable[str | Path]) -> list[Scenario]:
    """Every scenario of some files, folders and library names (a folder's ``*.toml`` files,
    sorted by name; a name that is no file or folder is looked up in the library that
    ``nearshore scenarios`` lists).

    Raises
    ------
    InputError
        Every problem of every file, and scenario names that repeat across them.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found = sorted(entry.glob("*.toml"))
            if not found:
                problems.append(ScenarioProblem(str(entry), "folder holds no .toml scenario files"))
            files += found
        elif entry.is_file():
            files.append(entry)
        elif (library := library_file(entry)) is not None:
            files.append(library)
        else:
            problems.append(ScenarioProblem(str(entry), "no such file or folder, nor a library scenario "
                                                        "(nearshore scenarios lists them)"))
    scenarios: list[Scenario] = []
    for file in files:
        try:
            scenarios += load_scenario(file)
        except InputError as bad:
            problems += bad.problems
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.name in seen:
            problems.append(ScenarioProblem(scenario.source, f"scenario name {scenario.name!r} is also used in "
                                                             f"{seen[scenario.name]}", field="name"))
        seen.setdefault(scenario.name, scenario.source)
    if problems:
        raise InputError(problems)
    return scenarios



def check_regimes(network: Network, scenario: Scenario) -> list[Problem]:
    """The problems of the scenario's ``[regimes]`` table on ``network``: a shock domain that is not
    in its ``regimes.csv`` (the states are checked when the file is read).

    Example
    -------
    >>> from networks import read_network
    >>> [scenario] = load_scenario(library_path() / "texas_dps_2022.toml")
    >>> scenario.regimes, check_regimes(read_network(), scenario)
    ({'texas_border': 'disrupted'}, [])
    """
    known = sorted(set(network.regimes["domain"].to_list())) if network.regimes.height else []
    where = scenario.source or scenario.name
    return [ScenarioProblem(where, "unknown shock domain; the network's domains are " + (", ".join(known) or "none"),
                            field="regimes", got=domain) for domain in scenario.regimes if domain not in known]
