"""Flow decomposition into supplier-to-market paths: :mod:`routing.formulation.flowpaths` (the
decomposition solver seeds its columns with it, and the formulation layer may not import results)."""

from routing.formulation.flowpaths import Paths, decompose_flow

__all__ = ["Paths", "decompose_flow"]
