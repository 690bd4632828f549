"""The re-plan itself: apply the changes, solve again with stability, diff the plans.

A coordinator publishes a plan on Friday; on Tuesday a volunteer calls in
sick. :func:`replan` takes the published plan and a list of *changes*
(:class:`VolunteerCancels`, :class:`TaskDeclined`, :class:`NeedAdded`,
:class:`NeedWithdrawn`), applies them to a copy of the registry, and solves
again over the same horizon with the ``stability`` tier right after coverage:
the new plan covers as much as possible and, among such plans, changes as few
assignments of the published one as it can. By default every assignment that
no change touches is *locked* (kept as it is, a hard rule), so only the
people a change concerns get a new message.

The result carries the new plan, the changed registry and a diff table that
says, per assignment, what happened and why, naming ids only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pandas as pd

from matchkracht.api import trips_stage, versions
from matchkracht.data.geo import TravelModel
from matchkracht.data.horizon import Horizon
from matchkracht.data.registry import Registry
from matchkracht.errors import InvalidSettingsError
from matchkracht.plan.result import Plan, build_plan
from matchkracht.problem.build import build_problem
from matchkracht.problem.core import Problem
from matchkracht.replan.changes import (
    Change,
    NeedAdded,
    NeedWithdrawn,
    TaskDeclined,
    VolunteerCancels,
    apply_changes,
    touched_by,
)
from matchkracht.replan.diff import CHANGE_KINDS, plan_diff
from matchkracht.settings import SolverSettings
from matchkracht.solver.base import Solution
from matchkracht.solver.cpsat import CpSatSolver

logger = logging.getLogger("matchkracht")


#: Objective tiers of a re-plan by default: stability right after coverage.
REPLAN_TIERS = ("coverage", "stability", "continuity", "travel")


@dataclass
class ReplanResult:
    """The outcome of :func:`replan`.

    Attributes
    ----------
    plan : Plan
        The new plan (check it against ``registry``, not the old one).
    registry : Registry
        The registry with the changes applied (new unavailable dates, needs).
    diff : pandas.DataFrame
        One row per assignment before or after: ``task_id, volunteer_id_before,
        volunteer_id_after, start_before, start_after, change, reason``, with
        ``change`` one of ``kept``, ``moved`` (same volunteer, other start),
        ``reassigned`` (other volunteer), ``dropped`` (no longer covered by
        anyone in that place) and ``added`` (newly covered).
    changes : tuple
        The changes applied.
    """

    plan: Plan
    registry: Registry
    diff: pd.DataFrame
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def counts(self) -> dict[str, int]:
        """Rows of the diff per kind of change (every kind present, zeros included)."""
        vc = self.diff["change"].value_counts()
        return {k: int(vc.get(k, 0)) for k in CHANGE_KINDS}

    def summary(self) -> str:
        """One line per changed assignment, after a count line (ids only)."""
        c = self.counts
        lines = [", ".join(f"{v} {k}" for k, v in c.items())]
        for rec in self.diff[self.diff["change"] != "kept"].itertuples(index=False):
            before = rec.volunteer_id_before if isinstance(rec.volunteer_id_before, str) else "-"
            after = rec.volunteer_id_after if isinstance(rec.volunteer_id_after, str) else "-"
            lines.append(f"  {rec.task_id}: {rec.change} {before} -> {after} ({rec.reason})")
        return "\n".join(lines)


def _plan_horizon(plan: Plan) -> Horizon:
    meta = plan.metadata
    if "first_day" in meta and "last_day" in meta:
        return Horizon(date.fromisoformat(meta["first_day"]), date.fromisoformat(meta["last_day"]))
    if "horizon" in meta:
        return Horizon.parse(str(meta["horizon"]))
    raise InvalidSettingsError(
        "The plan passed to replan() has no horizon in its metadata; pass 'horizon' explicitly."
    )


def _coverage_failed(solution: Solution) -> bool:
    """Whether CP-SAT found no feasible plan in some component (first tier not solved)."""
    statuses = solution.stats.get("component_statuses", [])
    return solution.status == "no_solution" or any(
        str(s).split("/")[0] not in ("OPTIMAL", "FEASIBLE") for s in statuses
    )


def _carried(
    plan: Plan, forbid: list[tuple[str, str]], skip: list[str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """The declined pairs and withdrawn tasks of ``plan``'s own re-plans, then the new ones.

    Neither lives in the registry, so a re-plan of a re-planned plan starts
    from what its ``metadata["replan"]`` recorded and carries it on: a
    volunteer who declined a task on Tuesday is not handed it back on Thursday.
    """
    earlier = plan.metadata.get("replan") or {}
    pairs = [(str(t), str(v)) for t, v in earlier.get("declined", [])] + forbid
    tasks = [str(t) for t in earlier.get("withdrawn_tasks", [])] + skip
    return list(dict.fromkeys(pairs)), list(dict.fromkeys(tasks))


def replan(
    registry: Registry,
    plan: Plan,
    changes: Iterable[Change],
    *,
    lock: Literal["unaffected", "none"] = "unaffected",
    horizon: str | Horizon | None = None,
    travel: TravelModel | None = None,
    **settings: Any,
) -> ReplanResult:
    """Re-plan a published plan after midweek changes, keeping it as stable as possible.

    Parameters
    ----------
    registry
        The registry the plan was made for.
    plan
        The published plan (its metadata gives the horizon and start grid).
        When it is itself a re-plan, its declined tasks and withdrawn
        occurrences (``metadata["replan"]``) stay declined and withdrawn.
    changes
        :class:`VolunteerCancels`, :class:`TaskDeclined`, :class:`NeedAdded`
        and :class:`NeedWithdrawn` events, applied in order.
    lock
        ``"unaffected"`` (default): every assignment no change touches stays
        exactly as it is (hard rule); ``"none"``: nothing is locked, the
        stability tier alone keeps the plan close to the published one. If the
        locks leave CP-SAT without any plan, it solves again without them and
        says so in ``plan.metadata["replan"]["locks_dropped"]``.
    horizon
        Override of the plan's horizon (default: from ``plan.metadata``).
    travel
        The travel model the plan was made with (default great-circle).
    **settings
        Fields of :class:`~matchkracht.settings.SolverSettings`; ``tiers``
        defaults to ``("coverage", "stability", "continuity", "travel")``.

    Returns
    -------
    ReplanResult
        ``.plan``, ``.registry`` (with the changes applied) and ``.diff``.
    """
    if lock not in ("unaffected", "none"):
        raise InvalidSettingsError(
            f"The 'lock' parameter of replan must be 'unaffected' or 'none'; got {lock!r} instead."
        )
    changes = tuple(changes)
    for ch in changes:
        if not isinstance(ch, VolunteerCancels | TaskDeclined | NeedAdded | NeedWithdrawn):
            raise InvalidSettingsError(
                "The 'changes' parameter of replan must hold VolunteerCancels, TaskDeclined, "
                f"NeedAdded or NeedWithdrawn objects; got {type(ch).__name__} instead."
            )
    hz = Horizon.parse(horizon) if horizon is not None else _plan_horizon(plan)
    settings.setdefault("tiers", REPLAN_TIERS)
    settings.setdefault("grid", int(plan.metadata.get("grid_minutes", 5)))
    cfg = SolverSettings.make(**settings)
    new_reg, new_forbid, new_skip = apply_changes(registry, changes, hz)
    forbid, skip = _carried(plan, new_forbid, new_skip)
    before = plan.assignments.reset_index(drop=True)
    touched = touched_by(before, changes)
    unaffected = before.drop(index=list(touched))
    locked = unaffected if lock == "unaffected" and len(unaffected) else None

    def solve(lk: pd.DataFrame | None) -> tuple[Problem, Solution]:
        prob = build_problem(
            new_reg,
            hz,
            grid=cfg.grid,
            travel=travel,
            previous=before,
            locked=lk,
            forbid=forbid,
            skip_tasks=skip,
        )
        return prob, CpSatSolver(cfg).solve(prob)

    problem, solution = solve(locked)
    dropped_locks = False
    if locked is not None and _coverage_failed(solution):
        logger.warning("re-plan: no plan with the locks; solving again without them")
        dropped_locks = True
        problem, solution = solve(None)
    meta: dict[str, Any] = {
        "versions": versions(),
        "problem": problem.summary(),
        "settings": cfg.model_dump(mode="json"),
        "replan": {
            "changes": [c.describe(hz) for c in changes],
            "lock": lock,
            "locked": 0 if locked is None or dropped_locks else int(problem.opt_locked.sum()),
            "unlockable": list(problem.meta.get("unlockable", [])) if not dropped_locks else [],
            "locks_dropped": dropped_locks,
            "withdrawn_tasks": sorted(skip),
            "declined": [list(pair) for pair in forbid],
            "based_on": plan.metadata.get("created"),
        },
    }
    tables = None
    if cfg.trips:  # the rides as outings again (they may be regrouped: locks hold round trips)
        tables = trips_stage(problem, new_reg, solution.options, travel, cfg)
    new_plan = build_plan(
        problem, solution, new_reg, meta, lang=str(plan.metadata.get("lang", "en")), trips=tables
    )
    diff = plan_diff(plan, new_plan, changes, horizon=hz, locked=locked is not None)
    logger.info("re-plan of %s: %s", hz.label, dict(diff["change"].value_counts()))
    return ReplanResult(new_plan, new_reg, diff, changes)
