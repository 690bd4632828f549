"""Why a task went unmatched: the eligibility funnel, then capacity or conflict.

These are the short reasons every plan carries (``plan.unmatched``); the richer
explanations with competitors and fixes are :mod:`matchkracht.advice.explain`.
Reasons name ids, days and times only, never names or addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from matchkracht.data.parsing import format_minutes
from matchkracht.data.registry import Registry
from matchkracht.problem.core import FUNNEL_STAGES, IntArray, Problem
from matchkracht.problem.occupancy import Occupancy
from matchkracht.texts import check_lang, reason_sentence, when_text

__all__ = ["DAY_NAMES", "Reason", "explain_unmatched", "plural"]

#: Weekday names in reasons and explanations (Monday first).
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Reason:
    """Why one task is unmatched: a contract ``code`` and a sentence with counts."""

    code: str
    text: str
    counts: dict[str, int]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def explain_unmatched(
    problem: Problem, registry: Registry, options: IntArray, lang: str = "en"
) -> dict[int, Reason]:
    """A :class:`Reason` for every task not covered by ``options``.

    The first funnel stage (skills → languages → distance → availability →
    exclusions → strict continuity) that leaves fewer volunteers than the task
    needs gives the reason. When enough volunteers are eligible, each is
    classified against the plan: at a weekly cap (``capacity``) or busy at every
    possible start (``conflict``); the larger group names the reason.
    ``lang="nl"`` gives the sentences in Dutch (:func:`matchkracht.texts.reason_sentence`).
    """
    check_lang(lang)
    p = problem
    counts = np.bincount(p.opt_task[options], minlength=p.num_tasks)
    uncovered = np.flatnonzero(counts < p.task_needed)
    if len(uncovered) == 0:
        return {}
    needs = registry.need_records
    # the plan's use of each volunteer: weekly use, busy intervals, care-team joins
    state = Occupancy.from_options(p, options)
    pair_order = np.argsort(p.pair_task, kind="stable")
    pair_bounds = np.searchsorted(p.pair_task[pair_order], np.arange(p.num_tasks + 1))
    opt_order = np.argsort(p.opt_pair, kind="stable")
    opt_bounds = np.searchsorted(p.opt_pair[opt_order], np.arange(p.num_pairs + 1))
    out: dict[int, Reason] = {}
    for t in uncovered.tolist():
        need = needs[int(p.task_need[t])]
        k = int(p.task_needed[t])
        funnel = [int(c) for c in p.task_funnel[t]]
        fcounts = {stage: c for (stage, _), c in zip(FUNNEL_STAGES, funnel, strict=True)}
        day = DAY_NAMES[(p.horizon.first.weekday() + int(p.task_day[t])) % 7]
        when = f"{day} {format_minutes(int(p.task_window_lo[t]))}-{format_minutes(int(p.task_window_hi[t]))}"
        who = f"it needs {k} volunteers at once; " if k > 1 else ""
        failed = next((i for i, c in enumerate(funnel) if c < k), None)
        if failed is not None:
            code = FUNNEL_STAGES[failed][1]
            prev = funnel[failed - 1] if failed > 0 else p.num_volunteers
            text = who + _funnel_text(
                code, prev, funnel[failed], need.required_skills, need.languages, need.kind, when, k
            )
            if lang != "en":
                text = _localized(lang, code, p, t, k, need, before=prev, after=funnel[failed])
            out[t] = Reason(code, text[0].upper() + text[1:], fcounts)
            continue
        n_cap = n_conf = n_free = n_team = 0
        n_idx = int(p.task_need[t])
        team_cap = int(p.need_team_cap[n_idx])
        for pair in pair_order[pair_bounds[t] : pair_bounds[t + 1]].tolist():
            v = int(p.pair_vol[pair])
            w = int(p.task_week[t])
            faces = state.team.get(n_idx, set())
            if (
                team_cap >= 0
                and not p.pair_team_known[pair]
                and v not in faces
                and len(faces) >= team_cap
            ):
                n_team += 1
                continue
            if (
                state.tasks_used[v, w] + 1 > p.vol_max_tasks[v]
                or state.minutes_used[v, w] + p.pair_occupied[pair] > p.vol_max_minutes[v]
            ):
                n_cap += 1
                continue
            opts = opt_order[opt_bounds[pair] : opt_bounds[pair + 1]]
            if all(
                state.blocking(v, int(p.opt_depart[o]), int(p.opt_return[o])) for o in opts.tolist()
            ):
                n_conf += 1
            else:
                n_free += 1
        code = "capacity" if n_cap + n_team >= n_conf and n_cap + n_team > 0 else "conflict"
        eligible = funnel[-1]
        text = (
            f"{who}{plural(eligible, 'volunteer')} could take it ({when}), but in this plan "
            f"{n_cap} {'is' if n_cap == 1 else 'are'} at their weekly cap and {n_conf} "
            f"{'is' if n_conf == 1 else 'are'} busy with other tasks at that time"
        )
        if n_team:
            text += f"; {n_team} would be a new face in a care team that is already full (max_team)"
        if n_free:
            text += (
                f"; {n_free} free {'is' if n_free == 1 else 'are'} not enough at one common start"
                if k > 1
                else f"; {n_free} {'is' if n_free == 1 else 'are'} free but the solve stopped before using them"
            )
        extra = {"at_cap": n_cap, "busy": n_conf, "free": n_free, "team_full": n_team}
        text = text[0].upper() + text[1:] + "."
        if lang != "en":
            text = _localized(lang, code, p, t, k, need, eligible=eligible, **extra)
        out[t] = Reason(code, text, {**fcounts, **extra})
    return out


def _localized(lang: str, code: str, p: Problem, t: int, k: int, need: Any, **counts: int) -> str:
    """The reason of task ``t`` in ``lang`` (see :mod:`matchkracht.texts`)."""
    weekday = p.horizon.first.weekday() + int(p.task_day[t])
    lo, hi = format_minutes(int(p.task_window_lo[t])), format_minutes(int(p.task_window_hi[t]))
    return reason_sentence(
        code, lang, when=when_text(weekday, lo, hi, lang), needed=k,
        skills=need.required_skills, languages=need.languages, kind=need.kind, **counts,
    )  # fmt: skip


def _funnel_text(
    code: str,
    before: int,
    after: int,
    skills: frozenset[str],
    languages: frozenset[str],
    kind: str,
    when: str,
    k: int,
) -> str:
    only = f"only {after}" if after else "none"
    if code == "no_skill":
        return f"{only} of {plural(before, 'volunteer')} {'has' if after == 1 else 'have'} every required skill ({', '.join(sorted(skills))})."
    if code == "no_language":
        return f"{plural(before, 'volunteer')} {'has' if before == 1 else 'have'} the skills, but {only} {'speaks' if after == 1 else 'speak'} {' or '.join(sorted(languages))}."
    if code == "too_far":
        place = "the client and the destination" if kind == "ride" else "the client"
        return f"{plural(before, 'volunteer')} {'has' if before == 1 else 'have'} the skills and languages, but {only} {'lives' if after == 1 else 'live'} within their max_km of {place}."
    if code == "not_available":
        return f"{plural(before, 'volunteer')} could come, but {only} {'is' if after == 1 else 'are'} available {when} for the whole time including travel (availability windows and unavailable dates)."
    if code == "excluded":
        return f"{plural(before, 'volunteer')} {'is' if before == 1 else 'are'} available, but the client excludes {'them all' if after == 0 else f'all but {after}'}."
    return f"continuity is strict: {only} of the volunteers who helped this client before {'is' if after == 1 else 'are'} eligible (of {before} otherwise eligible)."
