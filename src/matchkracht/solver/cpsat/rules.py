"""The hard rules of the CP-SAT model, each its own function.

Every rule takes the model, its option booleans ``x`` (one per position of
``options``), the problem and the options, and adds its constraints. The rules
not here (skills, languages, distance, availability windows, unavailable
dates, exclusions, strict continuity) are already enforced by which options
exist (:func:`matchkracht.problem.build_problem`).
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Prior
from matchkracht.solver.cpsat.linear import IntArray, groups, lsum

__all__ = [
    "add_locks",
    "add_no_overlap",
    "add_task_cover",
    "add_team_caps",
    "add_weekly_caps",
    "interval_cliques",
]

#: An auxiliary boolean that equals "any of these positions is chosen" in an
#: optimal completion (hinted from the options so hints are complete).
AuxOr = tuple[cp_model.IntVar, list[int]]


def add_task_cover(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    aux: list[AuxOr] | None = None,
) -> cp_model.LinearExpr:
    """Hard rule: a task gets all its volunteers at one common start, or none.

    Returns the coverage objective: the covered task weight.
    """
    p = problem
    tasks = p.opt_task[options]
    starts = p.opt_start[options]
    order = np.lexsort((starts, tasks))
    obj_vars: list[cp_model.IntVar] = []
    obj_coefs: list[int] = []
    t_sorted = tasks[order]
    cuts = np.flatnonzero(np.diff(t_sorted)) + 1
    for group in np.split(order, cuts):
        t = int(tasks[group[0]])
        weight = int(p.task_weight[t])
        need = int(p.task_needed[t])
        if need == 1:
            xs = [x[i] for i in group.tolist()]
            model.add_at_most_one(xs)
            obj_vars.extend(xs)
            obj_coefs.extend([weight] * len(xs))
            continue
        ys = []
        g_starts = starts[group]
        for s in np.unique(g_starts).tolist():
            idx = group[g_starts == s].tolist()
            members = [x[i] for i in idx]
            if len(members) < need:
                for m in members:
                    model.add(m == 0)
                continue
            y = model.new_bool_var(f"team_at[{t},{s}]")
            if aux is not None:
                aux.append((y, idx))
            model.add(lsum(members) == need * y)
            ys.append(y)
        if ys:
            model.add_at_most_one(ys)
            obj_vars.extend(ys)
            obj_coefs.extend([weight] * len(ys))
    return cp_model.LinearExpr.weighted_sum(obj_vars, obj_coefs)


def interval_cliques(depart: IntArray, ret: IntArray) -> list[list[int]]:
    """Maximal sets of pairwise-overlapping half-open intervals ``[depart, ret)``.

    Sweeps the interval ends: a maximal clique is the active set just before the
    first end that follows a start. Returns positions into the input arrays;
    cliques of one interval are left out.

    Examples
    --------
    >>> interval_cliques(np.array([0, 5, 20]), np.array([10, 15, 30]))
    [[0, 1]]
    """
    events = sorted(
        [(int(a), 1, i) for i, a in enumerate(depart)] + [(int(b), 0, i) for i, b in enumerate(ret)]
    )
    active: set[int] = set()
    grown = False
    cliques: list[list[int]] = []
    for _, is_start, i in events:
        if is_start:
            active.add(i)
            grown = True
        else:
            if grown and len(active) > 1:
                cliques.append(sorted(active))
            grown = False
            active.discard(i)
    return cliques


def add_no_overlap(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> None:
    """Hard rule: the occupied intervals of one volunteer never overlap.

    One at-most-one constraint per maximal clique of the volunteer's interval
    graph: interval graphs are perfect, so these clique constraints describe
    the overlap rule exactly and give a strong LP bound.
    """
    p = problem
    vols = p.opt_vol[options]
    for group in groups(vols):
        if len(group) < 2:
            continue
        o = options[group]
        for clique in interval_cliques(p.opt_depart[o], p.opt_return[o]):
            model.add_at_most_one([x[int(group[i])] for i in clique])


def add_weekly_caps(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
) -> None:
    """Hard rule: per volunteer and ISO week, at most ``max_tasks`` tasks and ``max_minutes`` occupied.

    ``prior`` holds tasks and minutes per (volunteer, week) already taken by
    parts solved before (parts of a split component).
    """
    p = problem
    pairs = p.opt_pair[options]
    vols = p.pair_vol[pairs]
    weeks = p.task_week[p.pair_task[pairs]]
    key = vols * max(p.num_weeks, 1) + weeks
    for group in groups(key):
        v = int(vols[group[0]])
        w = int(weeks[group[0]])
        max_tasks = int(p.vol_max_tasks[v]) - (int(prior.tasks[v, w]) if prior is not None else 0)
        max_minutes = int(p.vol_max_minutes[v]) - (
            int(prior.minutes[v, w]) if prior is not None else 0
        )
        g_pairs = pairs[group]
        uniq_pairs = np.unique(g_pairs)
        xs = [x[i] for i in group.tolist()]
        if len(uniq_pairs) > max_tasks:
            model.add(lsum(xs) <= max_tasks)
        if int(p.pair_occupied[uniq_pairs].sum()) > max_minutes:
            occ = p.pair_occupied[g_pairs].tolist()
            model.add(cp_model.LinearExpr.weighted_sum(xs, occ) <= max_minutes)


def add_team_caps(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    aux: list[AuxOr] | None = None,
    prior: Prior | None = None,
) -> None:
    """Hard rule: at most ``max_team`` distinct volunteers per need in 4 weeks, history included.

    Volunteers who served the need in the three weeks before the horizon are
    already in the team; the others may join only while places are left
    (``Problem.need_team_cap``), counted over the whole horizon. Volunteers who
    joined in parts solved before (``prior``) take a place and stay members.
    """
    p = problem
    pairs = p.opt_pair[options]
    needs = p.task_need[p.pair_task[pairs]]
    capped = (p.need_team_cap[needs] >= 0) & ~p.pair_team_known[pairs]
    joined = prior.team if prior is not None else {}
    if joined:
        vols = p.pair_vol[pairs]
        member = np.array(
            [int(v) in joined.get(int(n), ()) for n, v in zip(needs, vols, strict=True)],
            dtype=bool,
        )
        capped &= ~member
    if not capped.any():
        return
    pos = np.flatnonzero(capped)
    key = needs[pos] * p.num_volunteers + p.pair_vol[pairs[pos]]
    order = np.argsort(key, kind="stable")
    cuts = np.flatnonzero(np.diff(key[order])) + 1
    by_need: dict[int, list[cp_model.IntVar]] = {}
    places = {
        n: int(p.need_team_cap[n]) - len(joined.get(n, ())) for n in np.unique(needs[pos]).tolist()
    }
    for group in np.split(pos[order], cuts):
        n = int(needs[group[0]])
        if places[n] <= 0:
            for i in group.tolist():
                model.add(x[i] == 0)
            continue
        u = model.new_bool_var(f"joins[{n},{int(p.pair_vol[pairs[group[0]]])}]")
        for i in group.tolist():
            model.add_implication(x[i], u)
        if aux is not None:
            aux.append((u, group.tolist()))
        by_need.setdefault(n, []).append(u)
    for n, us in by_need.items():
        if len(us) > places[n]:
            model.add(lsum(us) <= places[n])


def add_locks(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> None:
    """Hard rule (re-planning): locked assignments of a published plan stay."""
    for i in np.flatnonzero(problem.opt_locked[options]).tolist():
        model.add(x[i] == 1)
