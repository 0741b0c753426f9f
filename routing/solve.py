"""`solve_lead_time`: from a network to lead-time-optimal lanes, bottlenecks and unmet demand."""

from __future__ import annotations

from networks import Network
from routing.lp import DEFAULT_WAIT_SEGMENTS, Objective
from routing.model import DEFAULT_USD_PER_LOAD_HOUR, LeadTimeModel, Solver
from routing.result import LeadTimeResult


def solve_lead_time(
    network: Network,
    *,
    objective: Objective | str = Objective.LEAD_TIME,
    solver: Solver | str = Solver.AUTO,
    time_limit_s: float | None = None,
    usd_per_load_hour: float = DEFAULT_USD_PER_LOAD_HOUR,
    wait_segments: int = DEFAULT_WAIT_SEGMENTS,
) -> LeadTimeResult:
    """Route every market's demand through the network at the least total lead time.

    Parameters
    ----------
    network
        A validated network.
    objective
        ``lead_time`` (load-hours per day), ``cost`` (USD per day) or ``blend``
        (USD + ``usd_per_load_hour`` x load-hours).
    solver
        ``auto`` (min-cost flow when exact, else GLOP for small LPs and HiGHS for large ones, see
        :func:`routing.model.choose_solver`), ``glop``, ``highs``, ``pdlp`` or ``mincostflow``.
    time_limit_s
        Stop the LP solver after this many seconds (status ``feasible`` or ``not_solved``).
    usd_per_load_hour
        Value of a load-hour in the ``blend`` objective.
    wait_segments
        Linear pieces of each queued crossing's wait curve (more: closer to the smooth curve).

    Returns
    -------
    LeadTimeResult
        Status, summary numbers and the ``lanes``, ``bottlenecks``, ``unmet`` and ``flows`` frames.

    Raises
    ------
    SolverUnsuitableError
        When ``solver="mincostflow"`` is asked for an instance it cannot solve exactly.

    Example
    -------
    >>> from networks import read_network
    >>> result = solve_lead_time(read_network())
    >>> result.status.value
    'optimal'
    """
    model = LeadTimeModel(network, objective=objective, solver=solver, time_limit_s=time_limit_s,
                          usd_per_load_hour=usd_per_load_hour, wait_segments=wait_segments, warm_start=False)
    return model.solve()
