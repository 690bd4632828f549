"""Warm starts: quick plans that CP-SAT steps start from, and repairs after them.

Each strategy is a named function with what it is for and when it runs:

* :func:`familiar_start` (continuity's own start): hand tasks to familiar faces;
* :func:`relief_start` (``fairness:at_cap``'s own start): move tasks off
  volunteers at a cap every week (:func:`relieve`), from the plan of
  :func:`probe` when continuity comes later;
* :func:`probe`: the plan continuity would choose, as relief's start;
* :func:`win_back`: before a step, re-solve a tier held with a tolerance the
  step after it did not need all of;
* :func:`restore_dropped`: after a step, put back tasks it dropped for nothing.

The heuristics under them (:func:`relieve`, :func:`familiar_swaps`,
:func:`restore`) work on a :class:`~matchkracht.problem.occupancy.Calendar`
holding what other parts took. Where these plans can move on a large part is
in :mod:`~matchkracht.solver.cpsat.restrict`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np

import matchkracht.solver.cpsat.budget as tuning
from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Calendar, Prior
from matchkracht.solver.cpsat.budget import CHAIN_CANDIDATES
from matchkracht.solver.cpsat.fairness import every_week_at_cap, week_state
from matchkracht.solver.cpsat.linear import BoolArray, IntArray
from matchkracht.solver.cpsat.model import Model, side_solve
from matchkracht.solver.cpsat.objectives import PartView, new_faces

__all__ = [
    "familiar_start",
    "familiar_swaps",
    "probe",
    "relief_start",
    "relieve",
    "restore",
    "restore_dropped",
    "win_back",
]

logger = logging.getLogger("matchkracht")


def familiar_start(part: PartView, values: BoolArray) -> BoolArray:
    """Continuity's start: the plan with tasks handed to familiar faces that fit.

    Runs before the continuity step (with a calendar: in the engine always).
    Kept when it is better for continuity and keeps every tier held.
    """
    if part.calendar is None:
        return values
    sel = part.sel
    swapped = values.copy()
    swapped[sel] = familiar_swaps(
        part.problem, part.options[sel], values[sel], part.calendar, part.prior
    )
    return swapped if part.improves("continuity", swapped, values) else values


def relief_start(part: PartView, values: BoolArray) -> BoolArray:
    """``fairness:at_cap``'s start: tasks moved off volunteers at a cap every week.

    Runs before the ``fairness:at_cap`` step. When continuity comes later,
    relief starts from the plan continuity would choose (:func:`probe`, from
    :func:`familiar_swaps`), so moving tasks off a cap keeps familiar faces.
    Coverage may drop by what a tolerance on it still allows. The relief is
    kept when it is better on the step, or as good and better for continuity
    when that comes later.
    """
    if part.calendar is None:
        return values
    tier = "fairness:at_cap"
    p, sel, calendar, prior = part.problem, part.sel, part.calendar, part.prior
    options = part.options[sel]
    continuity_later = part.comes_later("continuity")
    slack = part.evaluate("coverage", values) - part.kept.get("coverage", math.inf)
    relief = values.copy()
    start = values[sel]
    if continuity_later:
        # familiar faces come later: relieve from a plan that has them, the one
        # continuity would choose with every tier so far kept whole
        start = familiar_swaps(p, options, start, calendar, prior)
        part.budget.sync()
        exact = {t: int(part.evaluate(t, values)) for t in part.kept}
        found = probe(part, start, exact, part.budget.left() * tuning.PROBE_SHARE)
        if found is not None:
            start = found
    relief[sel] = relieve(
        p, options, start, calendar, prior, max(slack, 0.0), part.keeps(part.kept)
    )
    accepted = part.improves(tier, relief, values) or (
        # as good on this step and better for familiar faces, which come later
        continuity_later
        and part.evaluate(tier, relief) >= part.evaluate(tier, values)
        and part.improves("continuity", relief, values)
    )
    if logger.isEnabledFor(logging.DEBUG):
        from_start = values.copy()
        from_start[sel] = start
        logger.debug(
            "relief: at a cap every week %s -> %s, %s (continuity %s -> %s -> %s)",
            -part.evaluate(tier, values),
            -part.evaluate(tier, relief),
            "kept" if accepted else "dropped",
            part.evaluate("continuity", values),
            part.evaluate("continuity", from_start),
            part.evaluate("continuity", relief),
        )
    return relief if accepted else values


def probe(
    part: PartView, start: BoolArray, exact: dict[str, int], budget: float
) -> BoolArray | None:
    """The plan continuity would choose, every tier in ``exact`` kept at its value.

    Relief's start for ``fairness:at_cap`` placed before continuity: moving
    tasks off a cap from this plan keeps most familiar faces. Solved in a fresh
    model of the model's options (the held tiers of the part's model have
    their tolerance in them), from ``start`` (over those options), within
    ``budget`` seconds; returns the plan (``None`` without one or without the
    time). Building the model counts against ``budget`` in wall-clock mode
    only: in deterministic mode only deterministic time counts, so the plan
    does not depend on the machine's load. The solve is charged to the
    part's budget.
    """
    if not part.settings.hint or budget < tuning.MIN_TIER_SECONDS_PER_OPTION * len(part.sel):
        return None
    own = part.budget.within(budget)
    m = part.fresh_model(exact)
    if m.tier("continuity") is None:
        return None
    own.sync()  # wall-clock mode: building the model counts
    left = max(own.left(), 0.0)
    return side_solve(part.settings, m, "continuity", start, left, "probe", part.budget)


def win_back(part: PartView, m: Model, tier: str, values: BoolArray) -> BoolArray:
    """Before a step: re-solve ``tier`` (held with a tolerance) with every tier held.

    The step after ``tier`` may use its tolerance, and its plan is any plan of
    its best value: it may have spent more of the tolerance than it needed.
    Once that step is held too, this wins back what it did not need, keeping
    as much of the plan as possible; runs with hints only and with the time
    (:data:`~matchkracht.solver.cpsat.budget.RECOVER_SHARE` of what is left).
    Returns the better plan (or ``values``).
    """
    sel = part.sel
    part.budget.sync()
    budget = part.budget.left() * tuning.RECOVER_SHARE
    if not part.settings.hint or budget < tuning.MIN_TIER_SECONDS_PER_OPTION * len(sel):
        return values
    # winning back, not reshuffling: keep as much of the plan as possible
    found = side_solve(part.settings, m, tier, values[sel], budget, "recover", part.budget, True)
    if found is None:
        return values
    won = np.zeros(len(values), dtype=bool)
    won[sel] = found
    return won if part.improves(tier, won, values) else values


def restore_dropped(
    part: PartView, before: BoolArray, after: BoolArray, tier: str, value: float
) -> tuple[BoolArray, float]:
    """After a step with a tolerance on coverage on offer: put back tasks it dropped for nothing.

    Returns the plan (tasks of ``before`` open in ``after`` put back where
    they fit and every held tier and the step's ``value`` stay) and the step's
    value for it.
    """
    if part.calendar is None:
        return after, value
    sel = part.sel
    after[sel] = restore(
        part.problem,
        part.options[sel],
        before[sel],
        after[sel],
        part.calendar,
        part.keeps({**part.kept, tier: value}),
    )
    return after, max(value, part.evaluate(tier, after))


def _move(options: IntArray, out: BoolArray, cal: Calendar, i: int, j: int) -> None:
    """Hand the task of position ``i`` to position ``j``: in the plan ``out`` and in ``cal``."""
    out[i], out[j] = False, True
    cal.release(int(options[i]))
    cal.take(int(options[j]))


def _taken(calendar: Calendar, chosen: IntArray) -> Calendar:
    """A copy of ``calendar`` with the options ``chosen`` taken."""
    cal = calendar.copy()
    for o in chosen.tolist():
        cal.take(o)
    return cal


def _takers(problem: Problem, options: IntArray, there: IntArray, i: int) -> IntArray:
    """The positions of ``there`` (options of one task) that may take over position ``i``.

    For a task of several volunteers only those at ``i``'s start: the team keeps
    one common start. (Moving a member to another start made the plans of the
    scarce region break that rule: 3-4 tasks, where the later tiers kept the start.)
    """
    if problem.task_needed[problem.opt_task[options[i]]] > 1:
        return np.asarray(there[problem.opt_start[options[there]] == problem.opt_start[options[i]]])
    return there


def task_runs(problem: Problem, task: IntArray) -> tuple[IntArray, IntArray]:
    """Positions sorted by task, and where each task's run starts (``num_tasks + 1``).

    Already sorted (a problem's options are, by task), the positions are
    ``0 .. n-1`` without sorting (0.34 s on the province's 5.9 million options).
    """
    if np.all(task[1:] >= task[:-1]):
        by_task = np.arange(len(task))
    else:
        by_task = np.argsort(task, kind="stable")
    return by_task, np.searchsorted(task[by_task], np.arange(problem.num_tasks + 1))


def relieve(
    problem: Problem,
    options: IntArray,
    values: BoolArray,
    calendar: Calendar,
    prior: Prior | None = None,
    slack: float = 0.0,
    keeps: Callable[[BoolArray], bool] | None = None,
) -> BoolArray:
    """The plan ``values`` with tasks moved off volunteers at a cap in every week.

    A quick start for the ``fairness:at_cap`` step. For each volunteer at a cap
    in every week (see :func:`week_state`), one of their unlocked tasks in
    this component goes to another candidate that still fits (caps, overlaps,
    care teams; a past helper of the client first, then the nearest) and is
    not at a cap every week, directly or by a chain of two (that candidate
    hands one of their tasks of the week to a third), until the volunteer is
    below both caps in some week. Where no candidate fits, the
    task is left open instead if ``slack`` (covered weight that may still be
    given up, from a tolerance on coverage) allows. Coverage drops by at most
    ``slack``. Candidates who bring no new face or weekly slot (see
    :func:`new_faces`) come first. With ``keeps``, the moves for one volunteer
    are undone unless ``keeps`` holds for the plan with them (the tiers held
    before). ``calendar`` holds what other components and earlier parts took.
    """
    p = problem
    cal = _taken(calendar, options[values])
    out = values.copy()
    full = every_week_at_cap(p, week_state(p, options, prior), cal.tasks, cal.minutes)
    if not full.any():
        return out
    vol = p.opt_vol[options]
    task = p.opt_task[options]
    by_task, starts = task_runs(p, task)
    # candidates in order of preference: who brings no new face, then no new
    # weekly slot (see :func:`new_faces`), past helpers, then the nearest
    pairs = p.opt_pair[options]
    face, slot = new_faces(p, options, prior)
    new_face = (face >= 0) & ~np.isin(face, face[values])
    new_slot = (slot >= 0) & ~np.isin(slot, slot[values])
    rank = np.lexsort((p.pair_km[pairs], ~p.pair_helped[pairs], new_slot, new_face))
    order = np.empty(len(options), dtype=np.int64)
    order[rank] = np.arange(len(options))
    week = p.task_week[task]
    mine = np.flatnonzero(values & full[vol] & ~p.opt_locked[options])
    mine = mine[np.argsort(vol[mine], kind="stable")]
    for group in np.split(mine, np.flatnonzero(np.diff(vol[mine])) + 1) if len(mine) else []:
        v = int(vol[group[0]])
        before, spare = out.copy(), slack
        for i in group.tolist():
            t, w = int(task[i]), int(week[i])
            there = by_task[starts[t] : starts[t + 1]]
            serving = set(vol[there[out[there]]].tolist())
            takers = _takers(p, options, there, i)
            # never onto somebody at a cap every week (they would only swap places)
            ranked = [
                j
                for j in takers[np.argsort(order[takers])].tolist()
                if vol[j] not in serving and not full[vol[j]]
            ]
            moved = False
            for j in ranked:
                if cal.fits(int(options[j])):
                    _move(options, out, cal, i, j)
                    moved = True
                    break
            for j in ranked[:CHAIN_CANDIDATES] if not moved else []:
                # a chain of two: j's volunteer hands one of their tasks that week on
                chain = _hand_on(
                    p, options, out, cal, int(vol[j]), w, j, by_task, starts, order, full
                )
                if chain is not None:
                    out[i] = False
                    cal.release(int(options[i]))
                    moved = True
                    break
            held = there[out[there]]
            weight = float(p.task_weight[t])
            if not moved and weight <= slack and not p.opt_locked[options[held]].any():
                # nobody else fits: leave the task open, as the tolerance allows
                for j in held.tolist():
                    out[j] = False
                    cal.release(int(options[j]))
                slack -= weight
                moved = True
            below = (
                cal.tasks[v, w] < p.vol_max_tasks[v] and cal.minutes[v, w] < p.vol_max_minutes[v]
            )
            if moved and below:
                break
        if keeps is not None and (out != before).any() and not keeps(out):
            # undo this volunteer's moves: they cost a tier held before
            for j in np.flatnonzero(out & ~before).tolist():
                cal.release(int(options[j]))
            for j in np.flatnonzero(before & ~out).tolist():
                cal.take(int(options[j]))
            out, slack = before, spare
    return out


def restore(
    problem: Problem,
    options: IntArray,
    before: BoolArray,
    after: BoolArray,
    calendar: Calendar,
    keeps: Callable[[BoolArray], bool],
) -> BoolArray:
    """The plan ``after`` with tasks of ``before`` it left open put back where that costs nothing.

    A step solved with a tolerance on coverage may leave tasks open that it
    gained nothing by: CP-SAT returns any plan of the best value. Each task
    covered in ``before`` and open in ``after`` (heaviest first) gets its
    options of ``before`` back when they still fit (caps, overlaps, care teams;
    ``calendar`` holds what other components and earlier parts took) and the
    plan still ``keeps`` (every held tier and this step's value). Coverage
    only rises.
    """
    p = problem
    task = p.opt_task[options]
    open_ = np.zeros(p.num_tasks, dtype=bool)
    open_[task[before]] = True
    open_[task[after]] = False
    if not open_.any():
        return after
    out = after.copy()
    cal = _taken(calendar, options[out])
    dropped = np.flatnonzero(open_)
    for t in dropped[np.argsort(-p.task_weight[dropped], kind="stable")].tolist():
        back = np.flatnonzero(before & (task == t))
        taken: list[int] = []
        for i in back.tolist():
            if not cal.fits(int(options[i])):
                break
            cal.take(int(options[i]))
            taken.append(i)
        trial = out.copy()
        trial[taken] = True
        if len(taken) == len(back) and keeps(trial):
            out = trial
        else:
            for i in taken:
                cal.release(int(options[i]))
    return out


def _hand_on(
    p: Problem,
    options: IntArray,
    out: BoolArray,
    cal: Calendar,
    u: int,
    w: int,
    j: int,
    by_task: IntArray,
    starts: IntArray,
    order: IntArray,
    full: BoolArray,
) -> int | None:
    """Make room for option ``j`` of volunteer ``u`` by moving one of ``u``'s week-``w`` tasks.

    Tries each unlocked task ``u`` holds in week ``w``: when, without it, ``j``
    fits and another candidate of that task fits too, both moves are made in
    ``out`` and ``cal`` (``j`` taken) and that candidate's position is returned.
    """
    vol = p.opt_vol[options]
    task = p.opt_task[options]
    week = p.task_week[task]
    held = np.flatnonzero(out & (vol == u) & (week == w) & ~p.opt_locked[options])
    for k in held.tolist():
        cal.release(int(options[k]))
        if cal.fits(int(options[j])):
            cal.take(int(options[j]))
            tk = int(task[k])
            there = by_task[starts[tk] : starts[tk + 1]]
            serving = set(vol[there[out[there]]].tolist())
            takers = _takers(p, options, there, k)
            for m in takers[np.argsort(order[takers])][: 4 * CHAIN_CANDIDATES].tolist():
                if vol[m] in serving or vol[m] == u or full[vol[m]]:
                    continue
                if not cal.fits(int(options[m])):
                    continue
                cal.take(int(options[m]))
                out[k], out[m], out[j] = False, True, True
                return int(m)
            cal.release(int(options[j]))
        cal.take(int(options[k]))
    return None


def familiar_swaps(
    problem: Problem,
    options: IntArray,
    values: BoolArray,
    calendar: Calendar,
    prior: Prior | None = None,
) -> BoolArray:
    """The plan ``values`` with tasks handed to familiar faces where one fits.

    A quick start for the continuity tier. Each chosen, unlocked option that
    alone brings a new face or a new weekly slot (see :func:`new_faces`) goes
    to another candidate of the same task who brings neither (a past helper, a
    face or slot of the plan or of parts solved before) and still fits (caps,
    overlaps, care teams). Coverage stays the same and the count of new faces
    and slots only falls. ``calendar`` holds what other components and earlier
    parts took.
    """
    p = problem
    cal = _taken(calendar, options[values])
    out = values.copy()
    face, slot = new_faces(p, options, prior)
    faces: dict[int, int] = {}
    slots: dict[int, int] = {}
    for i in np.flatnonzero(values).tolist():
        faces[int(face[i])] = faces.get(int(face[i]), 0) + 1
        slots[int(slot[i])] = slots.get(int(slot[i]), 0) + 1
    vol = p.opt_vol[options]
    task = p.opt_task[options]
    by_task, starts = task_runs(p, task)
    costly = values & ((face >= 0) | (slot >= 0)) & ~p.opt_locked[options]
    for i in np.flatnonzero(costly).tolist():
        gain = int(face[i] >= 0 and faces[int(face[i])] == 1)
        gain += int(slot[i] >= 0 and slots[int(slot[i])] == 1)
        if not gain:
            continue  # others bring the same face and slot: nothing to win
        there = by_task[starts[task[i]] : starts[task[i] + 1]]
        serving = set(vol[there[out[there]]].tolist())
        for j in _takers(p, options, there, i).tolist():
            f, s = int(face[j]), int(slot[j])
            if (f >= 0 and not faces.get(f)) or (s >= 0 and not slots.get(s)):
                continue  # would bring a new face or slot itself
            if vol[j] in serving or not cal.fits(int(options[j])):
                continue
            _move(options, out, cal, i, j)
            faces[int(face[i])] -= 1
            slots[int(slot[i])] -= 1
            faces[f] = faces.get(f, 0) + 1
            slots[s] = slots.get(s, 0) + 1
            break
    return out
