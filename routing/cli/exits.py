"""Exit codes of every ``nearshore`` command, and the exception that means "no solution" (code 3)."""

EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT, EXIT_NO_SOLUTION = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, the shell convention (128 + SIGINT)
EPILOG = "Exit codes: 0 ok, 1 unexpected error, 2 bad usage or bad input, 3 no solution found, 130 interrupted (Ctrl-C)."


class NoSolution(Exception):
    """Raised inside a command when the solver found no solution (exit code 3)."""
