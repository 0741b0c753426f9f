"""How freight moves through a network: the lead-time solvers, scenarios and the CLI."""

from routing.lp import Objective
from routing.result import LeadTimeResult
from routing.model import LeadTimeModel, Solver, SolverUnsuitableError
from routing.solve import solve_lead_time
from routing.status import Status

__all__ = ["LeadTimeModel", "LeadTimeResult", "Objective", "Solver", "SolverUnsuitableError", "Status", "solve_lead_time"]
