"""Engines behind one protocol: :class:`~matchkracht.solver.base.Solver`.

``CpSatSolver`` is the main engine; ``GreedySolver`` the first-fit baseline.
Benchmarks add more baselines following the same protocol. ``day_bound``
and ``weeks_bound`` prove upper bounds on weighted coverage that are stronger
than the trivial one (each day exact; each volunteer's week exact).
"""

from matchkracht.solver.base import Solution, Solver
from matchkracht.solver.bounds import DayBound, day_bound
from matchkracht.solver.cpsat import CpSatSolver
from matchkracht.solver.cpsat.exact_weeks import WeeksBound, weeks_bound
from matchkracht.solver.greedy import (
    GreedySolver,
    ScarceFirstSolver,
    familiar_first_options,
    greedy_options,
    scarce_first_options,
)

__all__ = [
    "CpSatSolver",
    "DayBound",
    "GreedySolver",
    "ScarceFirstSolver",
    "Solution",
    "Solver",
    "WeeksBound",
    "day_bound",
    "familiar_first_options",
    "greedy_options",
    "scarce_first_options",
    "weeks_bound",
]
