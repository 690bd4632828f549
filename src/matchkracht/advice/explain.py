"""Rich explanations of unmatched tasks: the funnel, the competitors, a verified fix.

Ids, days and times only, never names or addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matchkracht.advice.candidates import (
    Candidates,
    VolunteerIndex,
    problem_for_plan,
    when_text,
)
from matchkracht.advice.fixes import find_fix, verify_fix
from matchkracht.data.geo import TravelModel
from matchkracht.data.parsing import format_minutes
from matchkracht.data.registry import Registry
from matchkracht.problem.core import BoolArray, IntArray, Problem
from matchkracht.problem.occupancy import Occupancy
from matchkracht.texts import check_lang, plural_text, text
from matchkracht.texts import when_text as when_in

__all__ = ["EXPLAIN_COLUMNS", "Explanation", "explain_plan", "explain_tasks"]


@dataclass(frozen=True)
class Explanation:
    """Why one task is unmatched, with the funnel's counts and the competing tasks.

    Attributes
    ----------
    task_id : str
    funnel : dict of str to int
        Volunteers in total, then left after each funnel stage.
    funnel_text : str
        The funnel in one line, e.g. ``"650 volunteers; 120 with driver; ..."``.
    at_cap, busy, free : tuple of str
        Eligible volunteers at a weekly cap, busy at every possible start, or
        free in the plan.
    competitors : tuple of (str, tuple of str)
        Per blocked eligible volunteer, the task ids in the plan that block them.
    competitors_text : str
        The same in a sentence, with the blocking tasks' priorities.
    """

    task_id: str
    funnel: dict[str, int]
    funnel_text: str
    at_cap: tuple[str, ...]
    busy: tuple[str, ...]
    free: tuple[str, ...]
    competitors: tuple[tuple[str, tuple[str, ...]], ...]
    competitors_text: str


def _funnel_line(index: VolunteerIndex, cand: Candidates, lang: str = "en") -> str:
    spec = cand.spec
    c = cand.counts()
    parts = [plural_text(index.n, "volunteer", lang)]
    if spec.skills:
        parts.append(
            text("funnel_skills", lang, n=c["skills"], skills="+".join(sorted(spec.skills)))
        )
    if spec.languages:
        langs = text("or", lang).join(sorted(spec.languages))
        parts.append(text("funnel_languages", lang, n=c["languages"], languages=langs))
    parts.append(text("funnel_distance", lang, n=c["distance"]))
    when = when_text(index.problem, spec)
    if lang != "en":
        weekday = index.problem.horizon.first.weekday() + spec.day
        when = when_in(weekday, format_minutes(spec.lo), format_minutes(spec.hi), lang)
    parts.append(text("funnel_availability", lang, n=c["availability"], when=when))
    if c["exclusions"] != c["availability"]:
        parts.append(text("funnel_exclusions", lang, n=c["exclusions"]))
    if c["continuity"] != c["exclusions"]:
        parts.append(text("funnel_continuity", lang, n=c["continuity"]))
    return "; ".join(parts)


def explain_tasks(
    index: VolunteerIndex, state: Occupancy, tasks: list[int] | IntArray, lang: str = "en"
) -> list[Explanation]:
    """An :class:`Explanation` for each of ``tasks`` against the plan in ``state``.

    Parameters
    ----------
    index
        The volunteers and clients of the problem.
    state
        The plan.
    tasks
        Problem task indices (normally the unmatched ones).
    lang
        ``"en"`` (default) or ``"nl"`` for the funnel and competitor texts.
    """
    p = index.problem
    out: list[Explanation] = []
    for t in np.asarray(tasks, dtype=np.int64).tolist():
        spec = index.spec_of_task(t)
        cand = index.candidates(spec)
        elig = np.flatnonzero(cand.eligible)
        fit: BoolArray = np.asarray(index.fit(cand, state, elig).any(axis=1), dtype=bool)
        at_cap: list[int] = []
        busy: list[int] = []
        free: list[int] = []
        blockers: dict[int, list[int]] = {}
        for i, v in enumerate(elig.tolist()):
            if fit[i]:
                free.append(v)
                continue
            occ = int(spec.duration + cand.out_min[v] + cand.back_min[v])
            capped = (
                state.tasks_used[v, spec.week] + 1 > index.max_tasks[v]
                or state.minutes_used[v, spec.week] + occ > index.max_minutes[v]
            )
            if capped:  # as in explain_unmatched: a capped volunteer counts as at cap
                at_cap.append(v)
                blockers[v] = state.week_tasks(v, spec.week)
            else:
                busy.append(v)
                s = cand.starts[cand.avail[v]]
                lo = int(s.min() - cand.out_min[v]) if len(s) else 0
                hi = int(s.max() + spec.duration + cand.back_min[v]) if len(s) else 0
                blockers[v] = state.blocking(v, lo, hi)
        funnel = {"volunteers": index.n, **cand.counts()}
        line = _funnel_line(index, cand, lang)
        if len(elig):
            line += text("funnel_split", lang, at_cap=len(at_cap), busy=len(busy), free=len(free))
        ranked = sorted(
            blockers.items(),
            key=lambda kv: (len(kv[1]), -max((int(p.task_priority[b]) for b in kv[1]), default=9)),
        )
        comps = tuple(
            (index.vol_ids[v], tuple(p.task_ids[b] for b in bl)) for v, bl in ranked if bl
        )
        shown = []
        for v, bl in ranked[:5]:
            if not bl:
                continue
            why = text("at_cap_with" if v in at_cap else "busy_with", lang)
            prio = text("priority", lang)
            tasks_txt = ", ".join(f"{p.task_ids[b]} ({prio} {int(p.task_priority[b])})" for b in bl)
            shown.append(f"{index.vol_ids[v]} {why} {tasks_txt}")
        ctext = "; ".join(shown)
        if len(ranked) > 5:
            ctext += text("and_n_more", lang, n=len(ranked) - 5)
        out.append(
            Explanation(
                p.task_ids[t],
                funnel,
                line,
                tuple(index.vol_ids[v] for v in at_cap),
                tuple(index.vol_ids[v] for v in busy),
                tuple(index.vol_ids[v] for v in free),
                comps,
                ctext,
            )
        )
    return out


#: Columns :func:`explain_plan` adds after the contract's ``unmatched`` columns.
EXPLAIN_COLUMNS = [
    "funnel", "at_cap", "busy", "free", "competitors",
    "fix_kind", "fix", "fix_verified", "fix_changes",
]  # fmt: skip


def explain_plan(
    registry: Registry,
    plan: Any,
    *,
    problem: Problem | None = None,
    travel: TravelModel | None = None,
    fixes: bool = True,
    resolve: bool = True,
    verify: bool = False,
    lang: str = "en",
) -> pd.DataFrame:
    """Every unmatched task of ``plan`` with its funnel, competitors and a verified fix.

    Parameters
    ----------
    registry
        The registry the plan was made for.
    plan
        A :class:`~matchkracht.plan.Plan`.
    problem
        The problem it was solved from (rebuilt from the plan's metadata if omitted).
    travel
        The travel model, if not the default.
    fixes
        Also search the smallest verified change that covers each task
        (:func:`matchkracht.advice.fixes.find_fix`).
    resolve
        Let the fix search move one other task (a local re-solve).
    verify
        Also apply every fix to a copy of the registry and plan and run
        :func:`matchkracht.plan.check` on the result (slower; exact checks are the default).
    lang
        ``"en"`` (default) or ``"nl"``: the funnel and competitor texts (the
        ``fix`` texts stay English).

    Returns
    -------
    pandas.DataFrame
        ``plan.unmatched``'s columns, then ``funnel, at_cap, busy, free,
        competitors, fix_kind, fix, fix_verified, fix_changes``. Ids only.
    """
    check_lang(lang)
    p = problem if problem is not None else problem_for_plan(registry, plan, travel)
    index = VolunteerIndex(p, registry, travel)
    state = plan.occupancy(p)
    t_index = {t: i for i, t in enumerate(p.task_ids)}
    u = plan.unmatched.copy().reset_index(drop=True)
    tasks = [t_index[str(t)] for t in u["task_id"]]
    exps = explain_tasks(index, state, tasks, lang)
    u["funnel"] = [e.funnel_text for e in exps]
    u["at_cap"] = [len(e.at_cap) for e in exps]
    u["busy"] = [len(e.busy) for e in exps]
    u["free"] = [len(e.free) for e in exps]
    u["competitors"] = [e.competitors_text for e in exps]
    if fixes:
        found = [find_fix(index, state, t, resolve=resolve) for t in tasks]
        u["fix_kind"] = [f.kind for f in found]
        u["fix"] = [f.text for f in found]
        if verify:
            u["fix_verified"] = [
                ""
                if f.kind == "none"
                else f.verified_by
                + ("+check" if verify_fix(registry, plan, f, p, travel) else "+check FAILED")
                for f in found
            ]
        else:
            u["fix_verified"] = [f.verified_by for f in found]
        u["fix_changes"] = [f.changes_text() for f in found]
    else:
        for col in EXPLAIN_COLUMNS[5:]:
            u[col] = ""
    return pd.DataFrame(u)
