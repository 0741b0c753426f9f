"""How freight moves through a network: the lead-time solvers, scenarios and the CLI."""

from routing.lp import Objective
from routing.result import LeadTimeResult
from routing.solve import Solver, SolverUnsuitableError, solve_lead_time
from routing.status import Status

__all__ = ["LeadTimeResult", "Objective", "Solver", "SolverUnsuitableError", "Status", "solve_lead_time"]
