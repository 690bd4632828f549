"""What would cover an unmatched task: the smallest verified change.

:func:`find_fix` searches a bounded set of changes, smallest first, and returns
the first that provably covers the task:

1. ``assign`` — an eligible volunteer is free in the plan as it stands (a
   time-limited solve stopped before using them); nothing changes;
2. ``extra_task`` / ``extra_hour`` / ``extra_task_and_hour`` — one more task
   and/or one more hour in the weekly cap of one (or, for a team, a few)
   eligible volunteers;
3. ``relax_continuity`` — strict continuity set to ``prefer`` for the need;
4. ``widen_window`` — the need's window made 15, 30 or 60 minutes earlier or later;
5. ``move_task`` — one task of an eligible volunteer goes to another volunteer
   who is free for it, then the volunteer takes this task (possible only when
   the plan is not optimal, or combined with nothing else);
6. ``new_volunteer`` — a volunteer with the need's skills and a language it asks
   for, living at the client's place, free on that day for the window plus travel.

Changes 1–4 and 6 are checked *exactly* against the current plan with nothing
else moving (the eligibility funnel — skills, languages, distance, availability incl.
travel, unavailable dates, exclusions, declined tasks, strict continuity — then
:meth:`~matchkracht.advice.candidates.VolunteerIndex.fit`: overlap, weekly caps,
``max_team``); change 5 is a local re-solve (one other task re-placed, also
checked exactly). :func:`apply_fix` applies a fix to copies of the registry and
the plan, and :func:`verify_fix` then runs the independent
:func:`matchkracht.plan.check` on them. Fix texts name ids only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matchkracht.advice.candidates import (
    Candidates,
    TaskSpec,
    VolunteerIndex,
    when_text,
)
from matchkracht.data.geo import TravelModel
from matchkracht.data.parsing import format_minutes
from matchkracht.data.registry import Registry
from matchkracht.plan.check import check
from matchkracht.plan.result import Plan
from matchkracht.problem.core import MINUTES_PER_DAY, PRIORITY_WEIGHTS, Problem
from matchkracht.problem.eligibility import trips
from matchkracht.problem.occupancy import Occupancy

__all__ = [
    "FIX_KINDS",
    "Change",
    "Fix",
    "apply_fix",
    "find_fix",
    "synthetic_volunteer",
    "verify_fix",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Fix kinds, smallest change first.
FIX_KINDS = (
    "assign",
    "extra_task",
    "extra_hour",
    "extra_task_and_hour",
    "relax_continuity",
    "widen_window",
    "move_task",
    "new_volunteer",
    "none",
)
#: Window widenings tried, in minutes.
WIDEN_STEPS = (15, 30, 60)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Change:
    """One cell of the registry to change: ``table``, row ``key``, ``column``, old → new."""

    table: str
    key: str
    column: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.table}.{self.column}[{self.key}]: {self.old} -> {self.new}"


@dataclass(frozen=True)
class Fix:
    """A verified change that covers one unmatched task (or ``kind="none"``).

    Attributes
    ----------
    task_id : str
    kind : str
        One of :data:`FIX_KINDS`.
    text : str
        The change in a sentence (ids only).
    verified_by : str
        ``"exact"`` (checked against the current plan, nothing else moves),
        ``"resolve"`` (another task re-placed) or ``""`` for ``none``.
    changes : tuple of Change
        Cells of the registry to change.
    new_volunteers : tuple of dict
        Volunteer rows to add (synthetic recruits).
    add : tuple of dict
        Assignment rows the fixed plan gains.
    remove : tuple of (str, str)
        ``(task_id, volunteer_id)`` assignments the fixed plan drops (moved tasks).
    """

    task_id: str
    kind: str
    text: str
    verified_by: str = ""
    changes: tuple[Change, ...] = ()
    new_volunteers: tuple[dict[str, Any], ...] = ()
    add: tuple[dict[str, Any], ...] = ()
    remove: tuple[tuple[str, str], ...] = field(default=())

    def changes_text(self) -> str:
        """The registry changes in one line (empty when the registry stays as it is)."""
        parts = [str(c) for c in self.changes]
        parts += [f"volunteers: add {r['volunteer_id']}" for r in self.new_volunteers]
        return "; ".join(parts)


def _row(index: VolunteerIndex, cand: Candidates, v: int, start: int) -> dict[str, Any]:
    spec = cand.spec
    p = index.problem
    base = pd.Timestamp(p.horizon.first)

    def ts(m: int) -> pd.Timestamp:
        return base + pd.Timedelta(minutes=int(m))

    return {
        "task_id": spec.task_id,
        "need_id": spec.need_id,
        "client_id": index.client_ids[spec.client],
        "volunteer_id": index.vol_ids[v] if v < index.n else "",
        "kind": spec.kind,
        "start": ts(start),
        "end": ts(start + spec.duration),
        "depart": ts(start - int(cand.out_min[v])),
        "return": ts(start + spec.duration + int(cand.back_min[v])),
        "travel_km": round(float(cand.km[v]), 3),
    }


def _clock(start: int) -> str:
    return format_minutes(int(start) % MINUTES_PER_DAY)


def _choose(
    cost: npt.NDArray[np.int64], km: npt.NDArray[np.float64], k: int
) -> tuple[int, list[int]] | None:
    """Best start column and ``k`` rows: fewest changes, then least travel.

    ``cost`` is ``(rows, starts)`` with -1 where a row cannot take that start.
    """
    best: tuple[float, float, int, list[int]] | None = None
    for s in range(cost.shape[1]):
        rows = np.flatnonzero(cost[:, s] >= 0)
        if len(rows) < k:
            continue
        order = rows[np.lexsort((km[rows], cost[rows, s]))][:k]
        key = (float(cost[order, s].sum()), float(km[order].sum()))
        if best is None or key < best[:2]:
            best = (*key, s, order.tolist())
    return None if best is None else (best[2], best[3])


def find_fix(
    index: VolunteerIndex,
    state: Occupancy,
    task: int,
    *,
    resolve: bool = True,
    widen: tuple[int, ...] = WIDEN_STEPS,
    extra_minutes: int = 60,
    max_moves: int = 40,
) -> Fix:
    """The smallest verified change that covers ``task`` (see the module docstring).

    Parameters
    ----------
    index, state
        The volunteers and the current plan.
    task
        Problem task index of an unmatched task.
    resolve
        Also try moving one other task (``move_task``).
    widen
        Window widenings (minutes) to try, each earlier and later.
    extra_minutes
        The weekly-hours raise tried (default 60, one hour).
    max_moves
        At most this many (volunteer, blocking task) moves are tried.

    Returns
    -------
    Fix
        ``kind="none"`` when no change within the searched ones covers the task.
    """
    p = index.problem
    spec = index.spec_of_task(task)
    k = spec.needed
    cand = index.candidates(spec)
    elig = np.flatnonzero(cand.eligible)
    who = f"{spec.task_id} ({when_text(p, spec)})"

    # 1 + 3: as the plan stands, or with a weekly cap raised by a task and/or an hour
    if len(elig):
        mats = [
            index.fit(cand, state, elig),
            index.fit(cand, state, elig, extra_tasks=1),
            index.fit(cand, state, elig, extra_minutes=extra_minutes),
            index.fit(cand, state, elig, extra_tasks=1, extra_minutes=extra_minutes),
        ]
        level = np.full(mats[0].shape, -1, dtype=np.int64)
        for lv in (3, 2, 1, 0):
            level[mats[lv]] = lv
        cost = np.where(level < 0, -1, np.where(level == 3, 2, np.minimum(level, 1)))
        pick = _choose(cost, cand.km[elig], k)
        if pick is not None:
            s, rows = pick
            start = int(cand.starts[s])
            vols = [int(elig[r]) for r in rows]
            levels = [int(level[r, s]) for r in rows]
            add = tuple(_row(index, cand, v, start) for v in vols)
            ids = ", ".join(index.vol_ids[v] for v in vols)
            if max(levels) == 0:
                return Fix(
                    spec.task_id, "assign",
                    f"{ids} {'is' if k == 1 else 'are'} free for {who} in this plan: "
                    f"assign at {_clock(start)}; nothing else changes.",
                    "exact", add=add,
                )  # fmt: skip
            changes: list[Change] = []
            recs = {v.volunteer_id: v for v in index.registry.volunteer_records}
            for v, lv in zip(vols, levels, strict=True):
                rec = recs[index.vol_ids[v]]
                if lv in (1, 3):
                    changes.append(
                        Change("volunteers", rec.volunteer_id, "max_tasks_per_week",
                               rec.max_tasks_per_week, rec.max_tasks_per_week + 1)
                    )  # fmt: skip
                if lv in (2, 3):
                    changes.append(
                        Change("volunteers", rec.volunteer_id, "max_hours_per_week",
                               rec.max_hours_per_week,
                               rec.max_hours_per_week + extra_minutes / 60)
                    )  # fmt: skip
            kinds = {c.column for c in changes}
            kind = (
                "extra_task_and_hour" if len(kinds) == 2
                else "extra_task" if "max_tasks_per_week" in kinds else "extra_hour"
            )  # fmt: skip
            what = "; ".join(
                f"{c.key}: {'one more task' if c.column == 'max_tasks_per_week' else 'one more hour'}"
                f" a week ({c.column} {c.old} -> {c.new:g})"
                for c in changes
            )
            return Fix(
                spec.task_id, kind,
                f"Raise a weekly cap: {what}; then {ids} take{'s' if k == 1 else ''} {who} "
                f"at {_clock(start)}; nothing else moves.",
                "exact", tuple(changes), add=add,
            )  # fmt: skip

    # 2: strict continuity relaxed to "prefer"
    c = cand.counts()
    if spec.continuity == "strict" and c["continuity"] < c["exclusions"]:
        relaxed = index.candidates(spec, continuity="prefer")
        fix = _plain(index, state, relaxed, k)
        if fix is not None:
            s, vols = fix
            return Fix(
                spec.task_id, "relax_continuity",
                f"Set continuity of {spec.need_id} from strict to prefer; then "
                f"{', '.join(index.vol_ids[v] for v in vols)} can take {who} at {_clock(s)}.",
                "exact",
                (Change("needs", spec.need_id, "continuity", "strict", "prefer"),),
                add=tuple(_row(index, relaxed, v, s) for v in vols),
            )  # fmt: skip

    # 4: widen the window
    for n in widen:
        for lo, hi, side in ((spec.lo - n, spec.hi, "earlier"), (spec.lo, spec.hi + n, "later")):
            if lo < 0 or hi + spec.duration > MINUTES_PER_DAY:
                continue
            wide = index.candidates(spec, lo=lo, hi=hi)
            fix = _plain(index, state, wide, k)
            if fix is None:
                continue
            s, vols = fix
            new = f"{format_minutes(lo)}-{format_minutes(hi)}"
            old = f"{format_minutes(spec.lo)}-{format_minutes(spec.hi)}"
            return Fix(
                spec.task_id, "widen_window",
                f"Allow {spec.need_id} to start {n} minutes {side} (window {old} -> {new}); "
                f"then {', '.join(index.vol_ids[v] for v in vols)} can take {spec.task_id} at "
                f"{_clock(s)}; nothing else moves.",
                "exact", (Change("needs", spec.need_id, "window", old, new),),
                add=tuple(_row(index, wide, v, s) for v in vols),
            )  # fmt: skip

    # 5: move one task of an eligible volunteer to someone else (a local re-solve)
    if resolve and k == 1 and len(elig):
        fix5 = _move_one(index, state, cand, elig, max_moves)
        if fix5 is not None:
            return fix5

    # 6: a new volunteer near the client
    fix6 = _recruit(index, state, cand)
    if fix6 is not None:
        return fix6
    searched = "assign as is, relaxed continuity, +1 task/+1 h caps, window ±" + "/".join(
        str(n) for n in widen
    )
    searched += ", moving one task" if resolve else ""
    return Fix(
        spec.task_id,
        "none",
        f"No fix found within the searched changes ({searched}, a new volunteer near the client).",
    )


def _plain(
    index: VolunteerIndex, state: Occupancy, cand: Candidates, k: int
) -> tuple[int, list[int]] | None:
    elig = np.flatnonzero(cand.eligible)
    if len(elig) < k:
        return None
    ok = index.fit(cand, state, elig)
    pick = _choose(np.where(ok, 0, -1).astype(np.int64), cand.km[elig], k)
    if pick is None:
        return None
    return int(cand.starts[pick[0]]), [int(elig[r]) for r in pick[1]]


def _move_one(
    index: VolunteerIndex, state: Occupancy, cand: Candidates, elig: IntArray, max_moves: int
) -> Fix | None:
    p = index.problem
    spec = cand.spec
    tried = 0
    cache: dict[int, Candidates] = {}
    for v in elig[np.argsort(cand.km[elig], kind="stable")].tolist():
        blockers = sorted(
            {t for _, _, t in state.busy.get(v, ()) if t >= 0},
            key=lambda t: (int(p.task_priority[t]) * -1, p.task_ids[t]),
        )
        for u in blockers:
            if tried >= max_moves:
                return None
            if int(p.task_needed[u]) != 1:
                continue
            ok_v = index.fit(cand, state, np.array([v]), ignore=frozenset({u}))[0]
            if not ok_v.any():
                continue
            tried += 1
            if u not in cache:
                cache[u] = index.candidates(index.spec_of_task(u))
            cu = cache[u]
            others = np.flatnonzero(cu.eligible)
            others = others[others != v]
            if not len(others):
                continue
            ok_u = index.fit(cu, state, others, ignore=frozenset({u}))
            pick = _choose(np.where(ok_u, 0, -1).astype(np.int64), cu.km[others], 1)
            if pick is None:
                continue
            w = int(others[pick[1][0]])
            su = int(cu.starts[pick[0]])
            s = int(cand.starts[np.flatnonzero(ok_v)[0]])
            return Fix(
                spec.task_id,
                "move_task",
                f"Move {p.task_ids[u]} (priority {int(p.task_priority[u])}) from "
                f"{index.vol_ids[v]} to {index.vol_ids[w]} at {_clock(su)}; then "
                f"{index.vol_ids[v]} takes {spec.task_id} at {_clock(s)}. The registry stays "
                "as it is.",
                "resolve",
                add=(_row(index, cu, w, su), _row(index, cand, v, s)),
                remove=((p.task_ids[u], index.vol_ids[v]),),
            )
    return None


def synthetic_volunteer(
    volunteer_id: str,
    spec: TaskSpec,
    index: VolunteerIndex,
    *,
    lat: float | None = None,
    lon: float | None = None,
    window: tuple[int, int] | None = None,
    days: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    """A volunteers row able to take ``spec``: its skills, one of its languages, free then.

    Parameters
    ----------
    volunteer_id
        Id of the recruit (e.g. ``"NEW-driver-thu-am"``).
    spec
        The task the recruit must be able to take.
    index
        Volunteers and clients (for travel).
    lat, lon
        Home of the recruit; default the client's place.
    window
        Daily availability (minutes); default the task's window plus travel.
    days
        Weekdays (0 = Monday) of the availability; default the task's weekday.
    """
    p = index.problem
    c_ll = index.client_ll[spec.client]
    home = np.array([lat if lat is not None else c_ll[0], lon if lon is not None else c_ll[1]])
    dest = None if spec.dest is None else (spec.need_id, np.array(spec.dest, dtype=np.float64))
    trip = trips(
        index.travel, np.array([volunteer_id], dtype=object), home[None, :],
        index.client_ids[spec.client], c_ll, dest,
    )  # fmt: skip
    out, back, reach = int(trip.out_min[0]), int(trip.back_min[0]), float(trip.reach_km[0])
    if window is None:
        lo = max(0, (spec.lo - out - 4) // 5 * 5)
        hi = min(MINUTES_PER_DAY, -(-(spec.hi + spec.duration + back + 4) // 5) * 5)
        window = (lo, hi)
    dows = days if days is not None else ((p.horizon.first.weekday() + spec.day) % 7,)
    end = "24:00" if window[1] >= MINUTES_PER_DAY else format_minutes(window[1])
    avail = "; ".join(f"{_DAYS[d]} {format_minutes(window[0])}-{end}" for d in dows)
    occupied_h = (spec.duration + out + back) / 60
    langs = sorted(spec.languages)
    return {
        "volunteer_id": volunteer_id,
        "lat": float(home[0]),
        "lon": float(home[1]),
        "skills": ";".join(sorted(spec.skills)),
        "languages": ";".join(sorted({"nl", langs[0]})) if langs else "nl",
        "availability": avail,
        "max_km": float(max(15.0, math.ceil(reach + 0.5))),
        "max_hours_per_week": float(max(6.0, math.ceil(occupied_h))),
    }


def empty_state(index: VolunteerIndex) -> Occupancy:
    """A plan in which ``index``'s volunteers have no task yet."""
    s = Occupancy(index.problem)
    s.tasks_used = np.zeros((index.n, s.tasks_used.shape[1]), dtype=np.int64)
    s.minutes_used = np.zeros_like(s.tasks_used)
    s.team_known = {}
    return s


def _recruit(index: VolunteerIndex, state: Occupancy, cand: Candidates) -> Fix | None:
    spec = cand.spec
    k = spec.needed
    rows = [synthetic_volunteer(f"NEW-{spec.task_id}-{i + 1}", spec, index) for i in range(k)]
    sub = index.with_volunteers(rows)
    c2 = sub.candidates(spec)
    st = empty_state(sub)
    st.team = state.team  # faces already new to a max_team need in this plan
    fix = _plain(sub, st, c2, k)
    if fix is None:
        return None
    s, vols = fix
    r0 = rows[0]
    need = "a volunteer" if k == 1 else f"{k} volunteers"
    lang = f", speaking {r0['languages'].replace(';', ' and ')}" if spec.languages else ""
    skills = f" with {r0['skills'].replace(';', '+')}" if r0["skills"] else ""
    adds = []
    for v in vols:
        row = _row(sub, c2, v, s)
        adds.append(row)
    return Fix(
        spec.task_id,
        "new_volunteer",
        f"Recruit {need}{skills}{lang}, living near client {index.client_ids[spec.client]}, "
        f"free {r0['availability']} (max_km {r0['max_km']:g}); they can take {spec.task_id} at "
        f"{_clock(s)}.",
        "exact",
        new_volunteers=tuple(rows),
        add=tuple(adds),
    )


# -- applying and verifying ------------------------------------------------------------------


def apply_fix(registry: Registry, plan: Any, fix: Fix, problem: Problem) -> tuple[Registry, Any]:
    """Copies of ``registry`` and ``plan`` with ``fix`` applied.

    The plan's metrics ``tasks``, ``covered``, ``coverage`` and
    ``weighted_coverage`` are recomputed; ``bound`` is dropped (no solve proves one).
    """
    frames: dict[str, pd.DataFrame] = {}
    for ch in fix.changes:
        table = frames.setdefault(ch.table, getattr(registry, ch.table).copy().astype(object))
        key = "volunteer_id" if ch.table == "volunteers" else "need_id"
        mask = table[key].astype(str) == ch.key
        table.loc[mask, ch.column] = str(ch.new)
    if fix.new_volunteers:
        vols = frames.get("volunteers", registry.volunteers.astype(object))
        extra = pd.DataFrame(list(fix.new_volunteers), dtype=object)
        frames["volunteers"] = pd.concat([vols, extra], ignore_index=True)
    reg = registry.replace(**frames) if frames else registry  # type: ignore[arg-type]
    a = plan.assignments.copy()
    for t, v in fix.remove:
        a = a[~((a["task_id"].astype(str) == t) & (a["volunteer_id"].astype(str) == v))]
    add = pd.DataFrame(list(fix.add), columns=a.columns)
    a = pd.concat([a, add], ignore_index=True) if len(a) else add
    covered = set(a["task_id"].astype(str))
    u = plan.unmatched[~plan.unmatched["task_id"].astype(str).isin(covered)].copy()
    weights = {
        t: PRIORITY_WEIGHTS[int(pr)]
        for t, pr in zip(problem.task_ids, problem.task_priority, strict=True)
    }
    total = sum(weights.values())
    m = dict(plan.metrics)
    m.update(
        covered=len(covered),
        tasks=problem.num_tasks,
        coverage=len(covered) / problem.num_tasks if problem.num_tasks else 1.0,
        weighted_coverage=sum(weights[t] for t in covered) / total if total else 1.0,
        bound=None,
    )
    return reg, Plan(a.reset_index(drop=True), u.reset_index(drop=True), m, dict(plan.metadata))


def verify_fix(
    registry: Registry,
    plan: Any,
    fix: Fix,
    problem: Problem,
    travel: TravelModel | None = None,
) -> bool:
    """Apply ``fix`` and run the independent :func:`matchkracht.plan.check` on the result.

    Returns
    -------
    bool
        True when the fixed plan breaks no hard rule of the fixed registry and
        covers the task.
    """
    if fix.kind == "none":
        return False
    reg, fixed = apply_fix(registry, plan, fix, problem)
    ok = check(reg, fixed, travel=travel).empty
    return bool(ok and fix.task_id in set(fixed.assignments["task_id"].astype(str)))
