"""Engines behind one protocol: :class:`~matchkracht.solver.base.Solver`.

``CpSatSolver`` is the main engine; ``GreedySolver`` the first-fit baseline.
Benchmarks add more baselines following the same protocol.
"""

from matchkracht.solver.base import Solution, Solver, covered_tasks
from matchkracht.solver.cpsat import CpSatSolver
from matchkracht.solver.greedy import (
    GreedySolver,
    ScarceFirstSolver,
    familiar_first_options,
    greedy_options,
    scarce_first_options,
)

__all__ = [
    "CpSatSolver",
    "GreedySolver",
    "ScarceFirstSolver",
    "Solution",
    "Solver",
    "covered_tasks",
    "familiar_first_options",
    "greedy_options",
    "scarce_first_options",
]
