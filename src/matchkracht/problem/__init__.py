"""The problem layer: registry tables become frozen numpy arrays with integer indices.

:class:`Problem` (numpy only) is what every solver reads;
:func:`build_problem` makes one from a :class:`~matchkracht.data.registry.Registry`.
"""

from matchkracht.problem.build import build_problem
from matchkracht.problem.core import (
    FUNNEL_STAGES,
    KINDS,
    MINUTES_PER_DAY,
    PRIORITY_WEIGHTS,
    TEAM_WINDOW_DAYS,
    Problem,
)

__all__ = [
    "FUNNEL_STAGES",
    "KINDS",
    "MINUTES_PER_DAY",
    "PRIORITY_WEIGHTS",
    "TEAM_WINDOW_DAYS",
    "Problem",
    "build_problem",
]
