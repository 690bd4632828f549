"""Stable re-planning: midweek changes to a published plan, with a diff.

A coordinator publishes a plan on Friday; on Tuesday a volunteer calls in
sick. :func:`replan` takes the published plan and a list of *changes*
(:class:`VolunteerCancels`, :class:`TaskDeclined`, :class:`NeedAdded`,
:class:`NeedWithdrawn`; :mod:`~matchkracht.replan.changes`), applies them to a
copy of the registry, and solves again over the same horizon with the
``stability`` tier right after coverage (:mod:`~matchkracht.replan.solve`). The
result carries the new plan, the changed registry and a diff table
(:mod:`~matchkracht.replan.diff`) that names ids only.
"""

from matchkracht.replan.changes import (
    Change,
    NeedAdded,
    NeedWithdrawn,
    TaskDeclined,
    VolunteerCancels,
)
from matchkracht.replan.diff import CHANGE_KINDS, DIFF_COLUMNS, plan_diff
from matchkracht.replan.solve import REPLAN_TIERS, ReplanResult, replan

__all__ = [
    "CHANGE_KINDS",
    "DIFF_COLUMNS",
    "REPLAN_TIERS",
    "Change",
    "NeedAdded",
    "NeedWithdrawn",
    "ReplanResult",
    "TaskDeclined",
    "VolunteerCancels",
    "plan_diff",
    "replan",
]
