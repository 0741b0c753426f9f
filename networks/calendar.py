"""Weekly calendars as text: opening hours and departure times, in hours of the week.

The week starts Monday 00:00 (hour 0) and ends Sunday 24:00 (hour 168). A calendar is a list of
``;``-separated entries ``DAYS HOURS``:

* ``DAYS``: ``mon`` ... ``sun``, a range ``mon-fri``, or ``daily``;
* ``HOURS``: a window ``07-24`` (or ``07:30-20``) for opening hours, a time ``18`` (or
  ``18:30``) for a departure.

``"mon-fri 07-24; sat 08-16; sun 10-14"`` are the World Trade Bridge's import hours;
``"tue 18"`` is a weekly sailing.
"""

from __future__ import annotations

import re

import numpy as np

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_H = 168.0
_TIME = r"(\d{1,2})(?::(\d{2}))?"
_ENTRY = re.compile(rf"^(daily|[a-z]{{3}}(?:-[a-z]{{3}})?)\s+{_TIME}(?:-{_TIME})?$")


def _days(text: str) -> list[int]:
    if text == "daily":
        return list(range(7))
    first, _, last = text.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise ValueError(f"unknown day {text!r} (use mon..sun, a range like mon-fri, or daily)")
    a, b = DAYS.index(first), DAYS.index(last or first)
    return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(b + 1)]


def _hour(h: str, m: str | None) -> float:
    value = int(h) + (int(m) if m else 0) / 60
    if value > 24:
        raise ValueError(f"hour {h}{':' + m if m else ''} is after 24")
    return value


def parse_weekly(text: str, *, windows: bool) -> np.ndarray:
    """Parse a weekly calendar: ``(n, 2)`` windows [start, end) or ``(n,)`` departures, hours of the week.

    Windows that touch or overlap are merged; a window across midnight Sunday wraps.

    Raises
    ------
    ValueError
        Text that is not a calendar (with the entry at fault).

    Example
    -------
    >>> parse_weekly("mon-fri 07-24; sat 08-16", windows=True)[:2].tolist()
    [[7.0, 24.0], [31.0, 48.0]]
    >>> parse_weekly("tue 18", windows=False).tolist()
    [42.0]
    """
    spans: list[tuple[float, float]] = []
    for entry in (e.strip().lower() for e in text.split(";")):
        if not entry:
            continue
        match = _ENTRY.match(entry)
        if not match or (match.group(4) is None) == windows:
            raise ValueError(f"cannot read {entry!r}: expected 'DAYS {'HH-HH' if windows else 'HH'}' "
                             "like 'mon-fri 07-24' or 'tue 18'")
        start = _hour(match.group(2), match.group(3))
        end = _hour(match.group(4), match.group(5)) if windows else start
        if windows and end <= start:
            raise ValueError(f"window {entry!r} ends before it starts")
        spans += [(24 * d + start, 24 * d + end) for d in _days(match.group(1))]
    if not spans:
        raise ValueError("no entries")
    if not windows:
        return np.unique(np.array([s for s, _ in spans]) % WEEK_H)
    spans.sort()
    merged = [list(spans[0])]
    for s, e in spans[1:]:
        if s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return np.array(merged)


def open_hours_per_week(text: str) -> float:
    """Hours a window calendar is open in a week."""
    spans = parse_weekly(text, windows=True)
    return float((spans[:, 1] - spans[:, 0]).sum())
