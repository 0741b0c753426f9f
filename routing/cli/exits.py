"""Exit codes of every ``nearshore`` command, and the exception that means "no solution" (code 3)."""

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT, EXIT_NO_SOLUTION = 0, 1, 2, 3
EPILOG = "Exit codes: 0 ok, 1 unexpected error, 2 bad usage or bad input, 3 no solution found."


class NoSolution(Exception):
    """Raised inside a command when the solver found no solution (exit code 3)."""
