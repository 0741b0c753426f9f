"""Exit codes of every ``nearshore`` command, and the exception that means "no solution" (code 3)."""

from typing import Any

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT, EXIT_NO_SOLUTION = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, the shell convention (128 + SIGINT)
EPILOG = "Exit codes: 0 ok, 1 unexpected error, 2 bad usage or bad input, 3 no solution found, 130 interrupted (Ctrl-C)."


class NoSolution(Exception):
    """Raised inside a command when the solver found no solution (exit code 3)."""


def solve_checked(network: Any, **options: Any) -> Any:
    """:func:`routing.solve_lead_time`, turning "no solution" into :class:`NoSolution` (exit code 3)."""
    from routing import solve_lead_time

    result = solve_lead_time(network, **options)
    if not result.status.has_solution:
        raise NoSolution(f"solver {result.solver} ended {result.status.value} {result.detail}".strip())
    return result
