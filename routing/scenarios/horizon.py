"""Dated events: ``--event`` strings to changes, and a horizon's changes to one network per day.

An event is written ``close:ID:DAYS``, ``scale:ID[.FIELD]:FACTOR:DAYS`` or ``set:ID.FIELD:VALUE:DAYS``,
``DAYS`` being ``first-last`` or one day (0-based, inclusive). ``ID`` is a node or a link; ``FIELD``
picks the table: a node's ``throughput_loads_per_day`` (the default), ``power_mw`` or
``water_m3_per_day``; a crossing's ``lanes``, ``loads_per_lane_hour`` or ``open_h_per_day``; a
market's ``loads_per_day`` (its demand); a supplier's ``capacity_loads_per_day``; a link's
``capacity_loads_per_day`` (the default) or ``cost_usd_per_load``. Short names: ``throughput``,
``power``, ``water``, ``hours`` (open hours), ``demand``, ``supply``, ``capacity``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from networks import InputError, Network
from routing.scenarios.apply import apply_changes
from routing.scenarios.schema import CHANGE_TYPES, Change, ScenarioProblem

ALIASES = {"throughput": "throughput_loads_per_day", "power": "power_mw", "water": "water_m3_per_day",
           "hours": "open_h_per_day", "demand": "loads_per_day", "supply": "capacity_loads_per_day",
           "capacity": "capacity_loads_per_day"}
_NODE_TABLE_OF = {"throughput_loads_per_day": "nodes", "power_mw": "nodes", "water_m3_per_day": "nodes",
                  "lanes": "crossings", "loads_per_lane_hour": "crossings", "open_h_per_day": "crossings",
                  "loads_per_day": "demand"}
SYNTAX = "close:ID:FIRST-LAST, scale:ID[.FIELD]:FACTOR:FIRST-LAST or set:ID.FIELD:VALUE:FIRST-LAST"


def parse_event(text: str, network: Network, *, source: str = "--event") -> Change:
    """One ``--event`` string as a dated change on ``network``.

    Raises
    ------
    InputError
        A line naming ``source``, what is wrong and the event as written.

    Example
    -------
    >>> from networks import read_network
    >>> parse_event("scale:POE_PHR.lanes:0.5:10-18", read_network()).model_dump(exclude_none=True)
    {'days': (10, 18), 'ids': ('POE_PHR',), 'type': 'scale', 'table': 'crossings', 'field': 'lanes', 'factor': 0.5}
    """
    parts = text.split(":")
    kind = parts[0]
    wanted = {"close": 3, "scale": 4, "set": 4}
    if kind not in wanted or len(parts) != wanted[kind]:
        raise _bad(source, f"write {SYNTAX}", text)
    target, days = parts[1], _days(parts[-1], source, text)
    ident, _, field = target.partition(".")
    field = ALIASES.get(field, field)
    table = _table(network, ident, field, source, text)
    raw: dict[str, object] = {"type": kind, "table": table, "ids": [ident], "days": days}
    if kind != "close":
        try:
            number = float(parts[2])
        except ValueError:
            raise _bad(source, f"{'factor' if kind == 'scale' else 'value'} must be a number", text) from None
        raw |= {"field": field or None, ("factor" if kind == "scale" else "value"): number}
        if kind == "set" and not field:
            raise _bad(source, "set needs a field: ID.FIELD", text)
    elif field:
        raise _bad(source, "close takes no field (it closes the node or link)", text)
    try:
        return CHANGE_TYPES[kind].model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        cause = err.get("ctx", {}).get("error")
        raise _bad(source, str(cause) if cause else f"{'.'.join(map(str, err['loc']))}: {err['msg']}", text) from None


def _bad(source: str, message: str, text: str) -> InputError:
    return InputError([ScenarioProblem(source, message, got=text)], source=source)


def _days(text: str, source: str, event: str) -> list[int]:
    first, _, last = text.partition("-")
    try:
        days = [int(first), int(last or first)]
    except ValueError:
        raise _bad(source, "days must be FIRST-LAST or one day, whole numbers from 0", event) from None
    if days[0] < 0 or days[0] > days[1]:
        raise _bad(source, "days must run from FIRST to LAST with 0 <= FIRST <= LAST", event)
    return days


def _table(network: Network, ident: str, field: str, source: str, event: str) -> str:
    nodes, links = set(network.nodes["id"].to_list()), set(network.links["id"].to_list())
    if ident in links:
        if field and field not in ("capacity_loads_per_day", "cost_usd_per_load"):
            raise _bad(source, f"link {ident!r} has no field {field!r} that can change by day; use "
                               "capacity_loads_per_day or cost_usd_per_load", event)
        return "links"
    if ident not in nodes:
        raise _bad(source, f"unknown node or link {ident!r}", event)
    if field == "capacity_loads_per_day":
        return "supply"
    if field and field not in _NODE_TABLE_OF:
        raise _bad(source, f"node {ident!r} has no field {field!r} that can change by day; use "
                           + ", ".join(sorted(_NODE_TABLE_OF)), event)
    return _NODE_TABLE_OF.get(field, "nodes")


def check_days(changes: Sequence[Change], n_days: int, *, source: str = "--event") -> None:
    """Raise :class:`InputError` for a change whose days go past a horizon of ``n_days``."""
    problems = [ScenarioProblem(source, f"days {list(c.days)} go past the horizon of {n_days} days (days are "
                                        f"numbered 0 to {n_days - 1})", item=f"change {i} ({c.type})", field="days")
                for i, c in enumerate(changes, start=1) if c.days is not None and c.days[1] >= n_days]
    if problems:
        raise InputError(problems, source=source)


def day_networks(network: Network, changes: Sequence[Change], n_days: int, *,
                 source: str = "scenario") -> tuple[Network, list[Network]]:
    """The base network (changes without days applied) and one network per day.

    Dated changes apply on their days, after the undated ones, in the order written. Days with
    the same active changes share one network object; days without any are the base itself.

    Example
    -------
    >>> from networks import read_network
    >>> net = read_network()
    >>> event = parse_event("close:POE_WTB:1-2", net)
    >>> base, days = day_networks(net, [event], 4)
    >>> [d is base for d in days]
    [True, False, False, True]
    """
    check_days(changes, n_days, source=source)
    undated = [c for c in changes if c.days is None]
    dated = [(i, c) for i, c in enumerate(changes) if c.days is not None]
    base = apply_changes(network, undated, source=source)
    made: dict[tuple[int, ...], Network] = {(): base}
    days = []
    for day in range(n_days):
        active = tuple(i for i, c in dated if c.days[0] <= day <= c.days[1])
        if active not in made:
            made[active] = apply_changes(base, [changes[i].model_copy(update={"days": None}) for i in active],
                                         source=source)
        days.append(made[active])
    return base, days

