"""Stable re-planning: midweek changes to a published plan, with a diff.

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

import datetime as _dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import pandas as pd

from matchkracht.api import versions
from matchkracht.data.geo import TravelModel
from matchkracht.data.horizon import Horizon
from matchkracht.data.registry import Registry
from matchkracht.errors import InvalidSettingsError
from matchkracht.plan.result import Plan, build_plan
from matchkracht.problem.build import build_problem
from matchkracht.problem.core import Problem
from matchkracht.settings import SolverSettings
from matchkracht.solver.base import Solution
from matchkracht.solver.cpsat import CpSatSolver

__all__ = [
    "DIFF_COLUMNS",
    "Change",
    "NeedAdded",
    "NeedWithdrawn",
    "ReplanResult",
    "TaskDeclined",
    "VolunteerCancels",
    "plan_diff",
    "replan",
]

logger = logging.getLogger("matchkracht")

DIFF_COLUMNS = [
    "task_id", "volunteer_id_before", "volunteer_id_after",
    "start_before", "start_after", "change", "reason",
]  # fmt: skip
#: The kinds of row in a diff, from no change to new work.
CHANGE_KINDS = ("kept", "moved", "reassigned", "dropped", "added")
#: Objective tiers of a re-plan by default: stability right after coverage.
REPLAN_TIERS = ("coverage", "stability", "continuity", "travel")


def _as_date(value: date | str | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidSettingsError(
            f"The '{what}' parameter must be an ISO date like '2026-12-03'; got {value!r} instead."
        ) from None


def _task_date(task_id: str) -> date | None:
    _, _, day = str(task_id).rpartition("@")
    try:
        return date.fromisoformat(day)
    except ValueError:
        return None


def _task_need(task_id: str) -> str:
    return str(task_id).rpartition("@")[0]


@dataclass(frozen=True)
class VolunteerCancels:
    """A volunteer cancels: one day, one task, or (neither given) the whole horizon.

    A cancelled day is added to the volunteer's ``unavailable`` dates in the
    new registry; a cancelled task only forbids that (task, volunteer) pair.

    Examples
    --------
    >>> VolunteerCancels("V012", date="2026-12-03").describe()
    'V012 cancelled 2026-12-03'
    """

    volunteer_id: str
    date: _dt.date | str | None = None
    task_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "date", _as_date(self.date, "date"))
        if self.date is not None and self.task_id is not None:
            raise InvalidSettingsError(
                "VolunteerCancels takes a 'date' or a 'task_id', not both; "
                f"got {self.date} and {self.task_id!r}."
            )

    def describe(self, horizon: Horizon | None = None) -> str:
        """What happened, in ids only."""
        if self.task_id is not None:
            return f"{self.volunteer_id} cancelled {self.task_id}"
        if self.date is not None:
            return f"{self.volunteer_id} cancelled {self.date}"
        span = f" {horizon.first}..{horizon.last}" if horizon is not None else ""
        return f"{self.volunteer_id} cancelled{span}"

    def freed(self) -> str:
        """Why the volunteer may now do other work."""
        return f"freed by {self.volunteer_id}'s cancellation"


@dataclass(frozen=True)
class TaskDeclined:
    """A volunteer declines one task of the published plan (that pair is forbidden)."""

    task_id: str
    volunteer_id: str

    def describe(self, horizon: Horizon | None = None) -> str:
        """What happened, in ids only."""
        return f"{self.volunteer_id} declined {self.task_id}"

    def freed(self) -> str:
        """Why the volunteer may now do other work."""
        return f"freed by {self.volunteer_id}'s decline of {self.task_id}"


@dataclass(frozen=True)
class NeedAdded:
    """A new need (a needs-table row as a dict, with at least the contract's required cells)."""

    row: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not str(self.row.get("need_id", "") or "").strip():
            raise InvalidSettingsError(
                f"The 'row' of NeedAdded must have a need_id; got {sorted(self.row)!r} instead."
            )

    @property
    def need_id(self) -> str:
        """The new need's id."""
        return str(self.row["need_id"]).strip()

    def describe(self, horizon: Horizon | None = None) -> str:
        """What happened, in ids only."""
        return f"{self.need_id} added"


@dataclass(frozen=True)
class NeedWithdrawn:
    """A need is withdrawn: one occurrence (``date``), from a date on, or (neither) entirely.

    One occurrence leaves that task out of the new plan; from a date on sets
    the need's ``end_date`` to the day before in the new registry.
    """

    need_id: str
    date: _dt.date | str | None = None
    from_date: _dt.date | str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "date", _as_date(self.date, "date"))
        object.__setattr__(self, "from_date", _as_date(self.from_date, "from_date"))
        if self.date is not None and self.from_date is not None:
            raise InvalidSettingsError(
                "NeedWithdrawn takes a 'date' or a 'from_date', not both; "
                f"got {self.date} and {self.from_date}."
            )

    def describe(self, horizon: Horizon | None = None) -> str:
        """What happened, in ids only."""
        if self.date is not None:
            return f"{self.need_id}@{self.date} withdrawn"
        if self.from_date is not None:
            return f"{self.need_id} withdrawn from {self.from_date}"
        return f"{self.need_id} withdrawn"

    def freed(self) -> str:
        """Why its volunteers may now do other work."""
        return f"freed by {self.describe()}"


#: A change to a published plan.
Change = VolunteerCancels | TaskDeclined | NeedAdded | NeedWithdrawn


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


def _clean_id(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_blank(value: Any) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True
    return str(value).strip() in ("", "nan", "<NA>", "None")


def _plan_horizon(plan: Plan) -> Horizon:
    meta = plan.metadata
    if "first_day" in meta and "last_day" in meta:
        return Horizon(date.fromisoformat(meta["first_day"]), date.fromisoformat(meta["last_day"]))
    if "horizon" in meta:
        return Horizon.parse(str(meta["horizon"]))
    raise InvalidSettingsError(
        "The plan passed to replan() has no horizon in its metadata; pass 'horizon' explicitly."
    )


def _apply(
    registry: Registry, changes: Sequence[Change], hz: Horizon
) -> tuple[Registry, list[tuple[str, str]], list[str]]:
    """The changed registry, forbidden (task, volunteer) pairs and skipped task ids."""
    vols = registry.volunteers.astype(object).copy()
    needs = registry.needs.astype(object).copy()
    vol_key = vols["volunteer_id"].map(_clean_id) if len(vols) else pd.Series(dtype=object)
    need_key = needs["need_id"].map(_clean_id) if len(needs) else pd.Series(dtype=object)
    known_vols = set(vol_key)
    records = {n.need_id: n for n in registry.need_records}
    forbid: list[tuple[str, str]] = []
    skip: list[str] = []
    added: list[dict[str, Any]] = []
    vols_changed = needs_changed = False
    for ch in changes:
        if isinstance(ch, VolunteerCancels | TaskDeclined) and ch.volunteer_id not in known_vols:
            raise InvalidSettingsError(
                f"The change {ch.describe(hz)!r} names volunteer {ch.volunteer_id!r}, "
                "which is not in the registry."
            )
        if isinstance(ch, NeedWithdrawn) and ch.need_id not in records:
            raise InvalidSettingsError(
                f"The change {ch.describe(hz)!r} names need {ch.need_id!r}, "
                "which is not in the registry."
            )
        if isinstance(ch, VolunteerCancels):
            if ch.task_id is not None:
                forbid.append((ch.task_id, ch.volunteer_id))
                continue
            span = str(ch.date) if ch.date is not None else f"{hz.first}..{hz.last}"
            if "unavailable" not in vols.columns:
                vols["unavailable"] = ""
            rows = vols.index[vol_key == ch.volunteer_id]
            for r in rows:
                old = str(vols.at[r, "unavailable"])
                vols.at[r, "unavailable"] = span if _is_blank(old) else f"{old}; {span}"
            vols_changed = True
        elif isinstance(ch, TaskDeclined):
            forbid.append((ch.task_id, ch.volunteer_id))
        elif isinstance(ch, NeedWithdrawn):
            if ch.date is not None:
                skip.append(f"{ch.need_id}@{ch.date}")
                continue
            cut = _as_date(ch.from_date, "from_date") or hz.first
            end = cut - timedelta(days=1)
            rec = records[ch.need_id]
            if rec.end_date is not None and rec.end_date <= end:
                continue
            for col in ("start_date", "end_date"):
                if col not in needs.columns:
                    needs[col] = ""
            for r in needs.index[need_key == ch.need_id]:
                needs.at[r, "end_date"] = end.isoformat()
                if rec.start_date is not None and rec.start_date > end:
                    needs.at[r, "start_date"] = end.isoformat()
            needs_changed = True
        else:
            added.append(dict(ch.row))
    if added:
        needs = pd.concat([needs, pd.DataFrame(added, dtype=object)], ignore_index=True)
        needs_changed = True
    new = registry
    if vols_changed or needs_changed:
        new = registry.replace(
            volunteers=vols if vols_changed else None, needs=needs if needs_changed else None
        )
    return new, forbid, skip


def _touched(before: pd.DataFrame, changes: Sequence[Change]) -> dict[int, Change]:
    """Row position in ``before`` → the first change that touches that assignment.

    A task needing several volunteers is touched as a whole when any of its
    assignments is (its team shares one start, so the rest cannot stay locked).
    """
    hit: dict[int, Change] = {}
    tasks = before["task_id"].astype(str).tolist()
    vols = before["volunteer_id"].map(_clean_id).tolist()
    days = [_task_date(t) for t in tasks]
    needs = [_task_need(t) for t in tasks]
    for ch in changes:
        for i, (t, v, d, n) in enumerate(zip(tasks, vols, days, needs, strict=True)):
            if i in hit:
                continue
            if isinstance(ch, VolunteerCancels):
                ok = v == ch.volunteer_id and (
                    (ch.task_id is None and ch.date is None)
                    or (ch.task_id is not None and t == ch.task_id)
                    or (ch.date is not None and d == ch.date)
                )
            elif isinstance(ch, TaskDeclined):
                ok = v == ch.volunteer_id and t == ch.task_id
            elif isinstance(ch, NeedWithdrawn):
                cut = _as_date(ch.from_date, "from_date")
                ok = n == ch.need_id and (
                    (ch.date is None and ch.from_date is None)
                    or (ch.date is not None and d == ch.date)
                    or (cut is not None and d is not None and d >= cut)
                )
            else:
                ok = False
            if ok:
                hit[i] = ch
    by_task: dict[str, Change] = {tasks[i]: c for i, c in sorted(hit.items(), reverse=True)}
    return {i: by_task[t] for i, t in enumerate(tasks) if t in by_task}


def _coverage_failed(solution: Solution) -> bool:
    """Whether CP-SAT found no feasible plan in some component (first tier not solved)."""
    statuses = solution.stats.get("component_statuses", [])
    return solution.status == "no_solution" or any(
        str(s).split("/")[0] not in ("OPTIMAL", "FEASIBLE") for s in statuses
    )


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
    new_reg, forbid, skip = _apply(registry, changes, hz)
    before = plan.assignments.reset_index(drop=True)
    touched = _touched(before, changes)
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
            "based_on": plan.metadata.get("created"),
        },
    }
    new_plan = build_plan(
        problem, solution, new_reg, meta, lang=str(plan.metadata.get("lang", "en"))
    )
    diff = plan_diff(plan, new_plan, changes, horizon=hz, locked=locked is not None)
    logger.info("re-plan of %s: %s", hz.label, dict(diff["change"].value_counts()))
    return ReplanResult(new_plan, new_reg, diff, changes)


def plan_diff(
    before_plan: Plan,
    after_plan: Plan,
    changes: Sequence[Change] = (),
    *,
    horizon: Horizon | None = None,
    locked: bool = False,
) -> pd.DataFrame:
    """What changed between two plans of the same horizon, and why (ids only).

    Per task, a volunteer in both plans is ``kept`` (same start) or ``moved``;
    the other volunteers are paired up as ``reassigned``, and the rest are
    ``dropped`` (before only) or ``added`` (after only). Reasons name the change
    that touched the assignment, a newly added need it covers, a volunteer a
    change freed, or the task a volunteer now covers instead.

    Parameters
    ----------
    before_plan, after_plan
        The published plan and the new one.
    changes
        The changes between them (for the reasons).
    horizon
        The horizon, named in the reason of a cancellation without a date.
    locked
        Whether untouched assignments were locked (their reason is ``locked``,
        else ``unchanged``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DIFF_COLUMNS`, ordered by time and task.
    """
    hz = horizon
    before = before_plan.assignments.reset_index(drop=True)
    after = after_plan.assignments.reset_index(drop=True)
    touched = _touched(before, changes)
    b_by_task: dict[str, dict[str, pd.Timestamp]] = {}
    a_by_task: dict[str, dict[str, pd.Timestamp]] = {}
    for frame, target in ((before, b_by_task), (after, a_by_task)):
        for t, v, s in zip(
            frame["task_id"].astype(str),
            frame["volunteer_id"].map(_clean_id),
            pd.to_datetime(frame["start"]),
            strict=True,
        ):
            target.setdefault(t, {})[v] = s
    cause: dict[tuple[str, str], Change] = {
        (str(before.at[i, "task_id"]), _clean_id(before.at[i, "volunteer_id"])): c
        for i, c in touched.items()
    }
    new_needs = {c.need_id for c in changes if isinstance(c, NeedAdded)}
    freed: dict[str, str] = {}
    for (_, v), c in cause.items():
        if not isinstance(c, NeedAdded):
            freed.setdefault(v, c.freed())
    # tasks a volunteer takes in the new plan that they did not have before
    new_work: dict[str, list[str]] = {}
    for t, vs in a_by_task.items():
        for v in vs:
            if v not in b_by_task.get(t, {}):
                new_work.setdefault(v, []).append(t)

    def why_changed(t: str, v_before: str | None, v_after: str | None) -> str:
        if v_before is not None and (t, v_before) in cause:
            return cause[(t, v_before)].describe(hz)
        if _task_need(t) in new_needs:
            return f"covers newly added need {_task_need(t)}"
        if v_after is not None and v_after in freed:
            return freed[v_after]
        if v_before is not None:
            others = [w for w in new_work.get(v_before, []) if w != t]
            if others:
                return f"{v_before} now covers {sorted(others)[0]}"
        return "re-planned with the changes" if v_before is not None else "covered on re-planning"

    rows: list[dict[str, Any]] = []
    for t in sorted(set(b_by_task) | set(a_by_task)):
        b, a = b_by_task.get(t, {}), a_by_task.get(t, {})
        for v in sorted(set(b) & set(a)):
            if b[v] == a[v]:
                kind, reason = "kept", "locked" if locked and (t, v) not in cause else "unchanged"
            else:
                kind = "moved"
                others = [w for w in new_work.get(v, []) if w != t]
                reason = f"makes room for {sorted(others)[0]}" if others else why_changed(t, v, v)
            rows.append(_row(t, v, v, b[v], a[v], kind, reason))
        b_only, a_only = sorted(set(b) - set(a)), sorted(set(a) - set(b))
        for i in range(max(len(b_only), len(a_only))):
            vb = b_only[i] if i < len(b_only) else None
            va = a_only[i] if i < len(a_only) else None
            kind = "reassigned" if vb and va else ("dropped" if vb else "added")
            rows.append(
                _row(
                    t,
                    vb,
                    va,
                    b.get(vb) if vb else None,
                    a.get(va) if va else None,
                    kind,
                    why_changed(t, vb, va),
                )
            )
    out = pd.DataFrame(rows, columns=DIFF_COLUMNS)
    if len(out):
        key = out["start_before"].fillna(out["start_after"])
        out = (
            out.assign(_key=key)
            .sort_values(["_key", "task_id", "change"], kind="stable")
            .drop(columns="_key")
            .reset_index(drop=True)
        )
    return out


def _row(
    task_id: str,
    v_before: str | None,
    v_after: str | None,
    s_before: pd.Timestamp | None,
    s_after: pd.Timestamp | None,
    change: str,
    reason: str,
) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "volunteer_id_before": v_before,
        "volunteer_id_after": v_after,
        "start_before": pd.NaT if s_before is None else s_before,
        "start_after": pd.NaT if s_after is None else s_after,
        "change": change,
        "reason": reason,
    }
