"""Restricting a large part: the options its later tiers search among.

On a large part (:data:`~matchkracht.solver.cpsat.budget.LARGE_COMPONENT`
options), the tiers after coverage would not get through presolve in their
time; they search among the options of :func:`relevant_options` only, which
include those of :func:`relief_options` when a fairness tier follows. The
plan so far stays feasible, so this only narrows the search.
"""

from __future__ import annotations

import numpy as np

from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Prior, face_keys
from matchkracht.solver.cpsat.budget import CHAIN_CANDIDATES
from matchkracht.solver.cpsat.fairness import every_week_at_cap, use_with_prior, week_state
from matchkracht.solver.cpsat.linear import BoolArray, IntArray

__all__ = ["relevant_options", "relief_options"]


def relevant_options(
    problem: Problem,
    options: IntArray,
    chosen: BoolArray,
    prior: Prior | None = None,
    relief_plan: BoolArray | None = None,
) -> BoolArray:
    """Large components, tiers after coverage: which options are worth keeping.

    Later tiers on a large component would not even get through presolve in
    their time. They search among the pairs of the plan so far and of the
    greedy plan (``chosen``), and pairs of past helpers, preferred volunteers,
    known care-team members and (client, volunteer) pairs who met in parts
    solved before or in those plans (so one volunteer may take all of a
    client's tasks); every start of those pairs stays. With ``relief_plan``
    (the plan so far, when a fairness tier follows), also the options of
    :func:`relief_options` for it. The plan so far stays feasible, so this only
    narrows the search: tiers after coverage are then not proven optimal.
    """
    p = problem
    pairs = p.opt_pair[options]
    relevant = np.zeros(p.num_pairs, dtype=bool)
    relevant[pairs[chosen]] = True
    relevant |= p.pair_helped | p.pair_preferred | p.pair_team_known
    keep = relevant[pairs]
    face = face_keys(p, options)[0]
    keep |= np.isin(face, face[chosen])
    if prior is not None:
        keep |= np.isin(face, prior.faces)
    if relief_plan is not None:
        keep |= relief_options(p, options, relief_plan, prior)
    return np.asarray(keep)


def relief_options(
    problem: Problem, options: IntArray, chosen: BoolArray, prior: Prior | None
) -> BoolArray:
    """Options that could take a task off a volunteer at a cap in every week.

    For the tasks that volunteers at a cap in every week hold in the plan
    ``chosen``, the options of the first few volunteers (past helpers, then the
    nearest; :data:`CHAIN_CANDIDATES`) still below both caps in the task's
    week: without them, a restricted model could not move any such task.
    """
    p = problem
    tasks, minutes = use_with_prior(p, options[chosen], prior)
    full = every_week_at_cap(p, week_state(p, options, prior), tasks, minutes)
    held = np.zeros(p.num_tasks, dtype=bool)
    held[p.opt_task[options[chosen & full[p.opt_vol[options]]]]] = True
    vol, week = p.opt_vol[options], p.task_week[p.opt_task[options]]
    below = (tasks < p.vol_max_tasks[:, None]) & (minutes < p.vol_max_minutes[:, None])
    free = np.flatnonzero(held[p.opt_task[options]] & below[vol, week])
    # per task, the pairs of the first few candidates (past helpers, then the nearest)
    pairs = np.unique(p.opt_pair[options[free]])
    ranked = pairs[np.lexsort((p.pair_km[pairs], ~p.pair_helped[pairs], p.pair_task[pairs]))]
    task_of = p.pair_task[ranked]
    rank = np.arange(len(ranked)) - np.searchsorted(task_of, task_of)
    keep = np.zeros(len(options), dtype=bool)
    keep[free[np.isin(p.opt_pair[options[free]], ranked[rank < CHAIN_CANDIDATES])]] = True
    return keep
