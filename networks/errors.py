"""Errors raised by the network layer: one hierarchy, every problem listed at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, pointing at its file, row and field.

    ``row`` is the record's row as a spreadsheet shows it (the header is row 1); it is the line
    number in the file unless a quoted cell spans lines.
    """

    file: str
    message: str
    row: int | None = None
    item: str | None = None
    field: str | None = None
    got: object = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.item:
            where += f" ({printable(self.item)})"
        text = f"{where}: {printable(self.field)}: {self.message}" if self.field else f"{where}: {self.message}"
        if self.got is not None:
            text += f" (got {self.got!r})" if isinstance(self.got, str) else f" (got {self.got})"
        return text


def printable(text: str) -> str:
    """``text`` with control characters and line breaks escaped as ``repr`` shows them, so that a
    problem stays one line whatever a cell or a header holds."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


class NearshoreError(Exception):
    """Base of every error nearshore raises on purpose."""


class InputError(NearshoreError):
    """Input that cannot be used; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], *, source: str = "") -> None:
        self.problems = tuple(problems)
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + f"{len(self.problems)} problem(s)\n" + "\n".join(map(str, self.problems)))


class NetworkError(InputError):
    """A network folder or table is invalid."""
