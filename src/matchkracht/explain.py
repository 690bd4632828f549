"""Why a task went unmatched: the eligibility funnel, then capacity or conflict.

Reasons name ids, days and times only, never names or addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matchkracht.parsing import format_minutes
from matchkracht.problem import FUNNEL_STAGES, Problem
from matchkracht.registry import Registry

__all__ = ["Reason", "explain_unmatched"]

IntArray = npt.NDArray[np.int64]
_DAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Reason:
    """Why one task is unmatched: a contract ``code`` and a sentence with counts."""

    code: str
    text: str
    counts: dict[str, int]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def explain_unmatched(problem: Problem, registry: Registry, options: IntArray) -> dict[int, Reason]:
    """A :class:`Reason` for every task not covered by ``options``.

    The first funnel stage (skills → languages → distance → availability →
    exclusions → strict continuity) that leaves fewer volunteers than the task
    needs gives the reason. When enough volunteers are eligible, each is
    classified against the plan: at a weekly cap (``capacity``) or busy at every
    possible start (``conflict``); the larger group names the reason.
    """
    p = problem
    counts = np.bincount(p.opt_task[options], minlength=p.num_tasks)
    uncovered = np.flatnonzero(counts < p.task_needed)
    if len(uncovered) == 0:
        return {}
    needs = registry.need_records
    # the plan's use of each volunteer: per week task counts and minutes, busy intervals
    weeks = max(p.num_weeks, 1)
    used_tasks = np.zeros((p.num_volunteers, weeks), dtype=np.int64)
    used_min = np.zeros_like(used_tasks)
    chosen_pairs = p.opt_pair[options]
    np.add.at(used_tasks, (p.pair_vol[chosen_pairs], p.task_week[p.pair_task[chosen_pairs]]), 1)
    np.add.at(
        used_min,
        (p.pair_vol[chosen_pairs], p.task_week[p.pair_task[chosen_pairs]]),
        p.pair_occupied[chosen_pairs],
    )
    busy: dict[int, list[tuple[int, int]]] = {}
    for o in options.tolist():
        busy.setdefault(int(p.opt_vol[o]), []).append((int(p.opt_depart[o]), int(p.opt_return[o])))
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
        day = _DAY[(p.horizon.first.weekday() + int(p.task_day[t])) % 7]
        when = f"{day} {format_minutes(int(p.task_window_lo[t]))}-{format_minutes(int(p.task_window_hi[t]))}"
        who = f"it needs {k} volunteers at once; " if k > 1 else ""
        failed = next((i for i, c in enumerate(funnel) if c < k), None)
        if failed is not None:
            code = FUNNEL_STAGES[failed][1]
            prev = funnel[failed - 1] if failed > 0 else p.num_volunteers
            text = who + _funnel_text(
                code, prev, funnel[failed], need.required_skills, need.languages, need.kind, when, k
            )
            out[t] = Reason(code, text[0].upper() + text[1:], fcounts)
            continue
        n_cap = n_conf = n_free = 0
        for pair in pair_order[pair_bounds[t] : pair_bounds[t + 1]].tolist():
            v = int(p.pair_vol[pair])
            w = int(p.task_week[t])
            if (
                used_tasks[v, w] + 1 > p.vol_max_tasks[v]
                or used_min[v, w] + p.pair_occupied[pair] > p.vol_max_minutes[v]
            ):
                n_cap += 1
                continue
            opts = opt_order[opt_bounds[pair] : opt_bounds[pair + 1]]
            intervals = busy.get(v, [])
            if all(
                any(not (p.opt_return[o] <= a or b <= p.opt_depart[o]) for a, b in intervals)
                for o in opts.tolist()
            ):
                n_conf += 1
            else:
                n_free += 1
        code = "capacity" if n_cap >= n_conf and n_cap > 0 else "conflict"
        eligible = funnel[-1]
        text = (
            f"{who}{_plural(eligible, 'volunteer')} could take it ({when}), but in this plan "
            f"{n_cap} {'is' if n_cap == 1 else 'are'} at their weekly cap and {n_conf} "
            f"{'is' if n_conf == 1 else 'are'} busy with other tasks at that time"
        )
        if n_free:
            text += (
                f"; {n_free} free {'is' if n_free == 1 else 'are'} not enough at one common start"
                if k > 1
                else f"; {n_free} {'is' if n_free == 1 else 'are'} free but the solve stopped before using them"
            )
        out[t] = Reason(
            code,
            text[0].upper() + text[1:] + ".",
            {**fcounts, "at_cap": n_cap, "busy": n_conf, "free": n_free},
        )
    return out


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
        return f"{only} of {_plural(before, 'volunteer')} {'has' if after == 1 else 'have'} every required skill ({', '.join(sorted(skills))})."
    if code == "no_language":
        return f"{_plural(before, 'volunteer')} {'has' if before == 1 else 'have'} the skills, but {only} {'speaks' if after == 1 else 'speak'} {' or '.join(sorted(languages))}."
    if code == "too_far":
        place = "the client and the destination" if kind == "ride" else "the client"
        return f"{_plural(before, 'volunteer')} {'has' if before == 1 else 'have'} the skills and languages, but {only} {'lives' if after == 1 else 'live'} within their max_km of {place}."
    if code == "not_available":
        return f"{_plural(before, 'volunteer')} could come, but {only} {'is' if after == 1 else 'are'} available {when} for the whole time including travel (availability windows and unavailable dates)."
    if code == "excluded":
        return f"{_plural(before, 'volunteer')} {'is' if before == 1 else 'are'} available, but the client excludes {'them all' if after == 0 else f'all but {after}'}."
    return f"continuity is strict: {only} of the volunteers who helped this client before {'is' if after == 1 else 'are'} eligible (of {before} otherwise eligible)."
