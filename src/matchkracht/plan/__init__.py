"""The plan layer: a solver's chosen options become tables a person can read.

:class:`Plan` (assignments, unmatched tasks with reasons, metrics, metadata),
:func:`build_plan`, the plan's measures (:mod:`~matchkracht.plan.metrics`) and
the independent checker :func:`check`, which shares no code with the solvers.
"""

from matchkracht.plan.check import VIOLATION_COLUMNS, check
from matchkracht.plan.metrics import compute_metrics
from matchkracht.plan.reasons import Reason, explain_unmatched
from matchkracht.plan.result import ASSIGNMENT_COLUMNS, UNMATCHED_COLUMNS, Plan, build_plan

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "UNMATCHED_COLUMNS",
    "VIOLATION_COLUMNS",
    "Plan",
    "Reason",
    "build_plan",
    "check",
    "compute_metrics",
    "explain_unmatched",
]
