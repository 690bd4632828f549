"""The fairness tier: fair load, as three steps (at a cap every week, peak, spread).

A volunteer's *load* is the mean, over the horizon's ISO weeks, of the highest
share of a weekly cap in use that week. The model's terms
(:func:`fairness_terms`) and their values for a plan in numpy
(:func:`fairness_parts`) count the same volunteers and weeks
(:func:`week_state`), so a plan's value is the same whichever way it is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Prior, cap_share, weekly_use
from matchkracht.solver.cpsat.linear import Derived, IntArray, groups, lsum

__all__ = [
    "SHARE_SCALE",
    "WeekState",
    "every_week_at_cap",
    "fairness_parts",
    "fairness_terms",
    "fairness_value",
    "spread_ceiling",
    "use_with_prior",
    "week_state",
]

#: Load shares are in per-mille of a weekly cap.
SHARE_SCALE = 1000


def fairness_terms(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
    derived: list[Derived] | None = None,
) -> dict[str, cp_model.LinearExpr]:
    """The fairness tier's terms: fair load, as three steps solved one after another.

    A volunteer's *load* is the mean, over the horizon's ISO weeks, of the
    highest share of a weekly cap in use that week (see :func:`week_state`).
    ``fairness:at_cap`` minimises the number of volunteers at a cap (their task
    or hours limit) in every week of the horizon, that is with a load of 100 %;
    ``fairness:peak`` the highest load (per mille); ``fairness:spread`` the
    spread of the load over the horizon with recent history (see
    :func:`_spread`). Returns the three objectives to maximise (negated), by
    step name. ``derived`` collects the new variables with how to compute them
    from a plan (for complete hints).

    The order gives the same plans as "highest load first, then the count": the
    highest load is 100 % exactly when somebody is at a cap every week, so the
    least highest load is below 100 % exactly when the least count is 0. The
    count is the easier one for CP-SAT to prove: when it is at least 1 the
    highest load is 100 % and its step is not solved at all (status
    ``IMPLIED``); minimising the highest load directly could not be proven in a
    village of 600 options.

    One weighted objective of the three (big coefficients) was tried first: its
    LP bound was so weak that even a village of 600 options never proved
    optimal and every plan took the whole time limit.
    """
    top, full = _max_share(model, x, problem, options, prior, derived)
    spread = _spread(model, x, problem, options, prior, derived)
    steps: dict[str, cp_model.LinearExpr] = {
        "fairness:at_cap": -full,  # type: ignore[dict-item,operator]
        "fairness:peak": -top,  # type: ignore[dict-item,operator]
    }
    if spread is not None:
        steps["fairness:spread"] = -spread  # type: ignore[assignment,operator]
    return steps


@dataclass(frozen=True)
class WeekState:
    """Per (volunteer, week) of a component: what a model of it decides and what is fixed.

    Attributes
    ----------
    present : numpy.ndarray of bool
        The component has options of the volunteer in the week (active
        volunteers only): the model decides the week's load.
    share : numpy.ndarray of int
        Elsewhere, the week's load in per mille, fixed: weeks before the
        component's first week take it from ``prior`` (parts solved before);
        other weeks count as empty, 0.
    full : numpy.ndarray of bool
        Elsewhere, whether the week counts as at a cap: weeks before the
        component's first week as ``prior`` holds them; weeks after its last
        week as at a cap where the (active) volunteer has options in them
        (only a week part of a split horizon has such weeks: a component holds
        all options of its volunteers).
    """

    present: npt.NDArray[np.bool_]
    share: IntArray
    full: npt.NDArray[np.bool_]

    @property
    def counted(self) -> npt.NDArray[np.bool_]:
        """Volunteers who can be at a cap in every week (a load of 100 %)."""
        return np.asarray(self.present.any(axis=1) & (self.present | self.full).all(axis=1))


def week_state(problem: Problem, options: IntArray, prior: Prior | None) -> WeekState:
    """The :class:`WeekState` of the component ``options`` (``prior``: parts solved before).

    A split component's parts are solved one after another. When they are the
    ISO weeks of a horizon, week *k* sees the load of weeks 1..k-1 and counts
    later weeks as at a cap (their load as empty): a volunteer at a cap in
    every week so far counts as at a cap in every week, since recurring tasks
    come back. So every week moves some of them off their cap (when coverage
    and the tiers before allow), each with its own time and tolerance, instead
    of the last week alone; the last week sees the whole horizon.
    """
    p = problem
    weeks = max(p.num_weeks, 1)
    active = (p.vol_max_tasks > 0) & (p.vol_max_minutes > 0)
    option_weeks = p.task_week[p.opt_task[options]]
    key = p.opt_vol[options] * weeks + option_weeks
    inside = np.bincount(key, minlength=p.num_volunteers * weeks).reshape(-1, weeks)
    present = (inside > 0) & active[:, None]
    share = np.zeros((p.num_volunteers, weeks), dtype=np.int64)
    full = np.zeros((p.num_volunteers, weeks), dtype=bool)
    if len(options):
        # weeks after the component's last one (it is a week part of a split
        # horizon) count as at a cap where the volunteer has options in them:
        # recurring tasks come back, so who is at a cap in every week so far
        # would stay so; each part then moves its share of them off
        last = int(option_weeks.max())
        if last < weeks - 1:
            anywhere = np.bincount(
                p.pair_vol * weeks + p.task_week[p.pair_task], minlength=p.num_volunteers * weeks
            ).reshape(-1, weeks)
            full[:, last + 1 :] = (anywhere[:, last + 1 :] > 0) & active[:, None]
    if prior is not None and len(options):
        first = int(option_weeks.min())
        past = np.zeros_like(full)
        past[:, :first] = True
        had = cap_share(p, prior.tasks, prior.minutes)
        share[past] = np.ceil(SHARE_SCALE * had[past] - 1e-9).astype(np.int64)
        had_full = (prior.tasks >= p.vol_max_tasks[:, None]) | (
            prior.minutes >= p.vol_max_minutes[:, None]
        )
        full[past] = (had_full & active[:, None])[past]
    return WeekState(present, share, full)


def _max_share(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
    derived: list[Derived] | None = None,
) -> tuple[cp_model.IntVar, cp_model.LinearExpr]:
    """The highest load of a volunteer and who is at a cap every week.

    Returns the highest load (per mille, see :func:`week_state`) as a new
    variable and the number of volunteers at a cap in every week of the
    horizon (a sum of new booleans, each of which must be 1 when its volunteer
    reaches ``max_tasks`` or ``max_minutes`` in every week). Weekly use of
    parts solved before (``prior``) counts.
    """
    p = problem
    weeks_n = max(p.num_weeks, 1)
    state = week_state(p, options, prior)
    counted = state.counted
    pairs = p.opt_pair[options]
    vols = p.pair_vol[pairs]
    weeks = p.task_week[p.pair_task[pairs]]
    top = model.new_int_var(0, SHARE_SCALE, "peak_load")
    # per volunteer: the weekly shares (variables) and at-cap booleans of its groups
    shares: dict[int, list[cp_model.IntVar]] = {}
    fulls: dict[int, list[Derived]] = {}
    for group in groups(vols * weeks_n + weeks):
        v = int(vols[group[0]])
        w = int(weeks[group[0]])
        if not state.present[v, w]:
            continue  # an inactive volunteer (no options exist for one)
        had_tasks = int(prior.tasks[v, w]) if prior is not None else 0
        had_minutes = int(prior.minutes[v, w]) if prior is not None else 0
        xs = [x[i] for i in group.tolist()]
        cap_tasks, cap_minutes = int(p.vol_max_tasks[v]), int(p.vol_max_minutes[v])
        occupied = p.pair_occupied[pairs[group]]
        n = lsum(xs) + had_tasks
        minutes = cp_model.LinearExpr.weighted_sum(xs, occupied.tolist()) + had_minutes
        cap_group = _CapGroup(group, had_tasks, had_minutes, cap_tasks, cap_minutes, occupied)
        if weeks_n == 1:
            share: cp_model.IntVar = top  # one week: the load is the week's share
        else:
            share = model.new_int_var(0, SHARE_SCALE, f"load[{v},{w}]")
            shares.setdefault(v, []).append(share)
            if derived is not None:
                derived.append((share, cap_group.share))
        model.add(cap_tasks * share >= SHARE_SCALE * n)
        model.add(cap_minutes * share >= SHARE_SCALE * minutes)
        if counted[v]:
            full = model.new_bool_var(f"at_cap[{v},{w}]")
            # below both caps unless counted as full
            model.add(n <= cap_tasks - 1 + full)
            model.add(minutes <= cap_minutes - 1 + cap_minutes * full)
            fulls.setdefault(v, []).append((full, cap_group.at_cap))
    for v, week_shares in shares.items():
        fixed = int(state.share[v][~state.present[v]].sum())
        model.add(weeks_n * top >= lsum(week_shares) + fixed)  # type: ignore[arg-type]
    every: list[cp_model.IntVar] = []
    for v, group_fulls in fulls.items():
        if len(group_fulls) == 1:
            every.append(group_fulls[0][0])
        else:
            all_full = model.new_bool_var(f"at_cap_every_week[{v}]")
            model.add(all_full >= lsum([f for f, _ in group_fulls]) - (len(group_fulls) - 1))
            every.append(all_full)
            if derived is not None:
                derived.append((all_full, partial(_every, [fn for _, fn in group_fulls])))
        if derived is not None:
            derived.extend(group_fulls)
    if derived is not None:
        derived.append((top, partial(_top_share, problem, options, prior)))
    return top, lsum(every)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _CapGroup:
    """One (volunteer, week) of a model: its options (positions), caps and prior use."""

    group: IntArray
    had_tasks: int
    had_minutes: int
    cap_tasks: int
    cap_minutes: int
    occupied: IntArray

    def use(self, values: npt.NDArray[np.bool_]) -> tuple[int, int]:
        """Tasks and occupied minutes of the chosen options, plus what was had."""
        chosen = values[self.group]
        return int(chosen.sum()) + self.had_tasks, int(
            self.occupied[chosen].sum()
        ) + self.had_minutes

    def at_cap(self, values: npt.NDArray[np.bool_]) -> int:
        """1 when the chosen options (plus what was had) reach a cap."""
        n, minutes = self.use(values)
        return int(n >= self.cap_tasks or minutes >= self.cap_minutes)

    def share(self, values: npt.NDArray[np.bool_]) -> int:
        """The week's share of a cap, per mille, rounded up."""
        n, minutes = self.use(values)
        return max(
            -(-SHARE_SCALE * n // self.cap_tasks), -(-SHARE_SCALE * minutes // self.cap_minutes)
        )


def _every(fns: list[Callable[[npt.NDArray[np.bool_]], int]], values: npt.NDArray[np.bool_]) -> int:
    """1 when every one of ``fns`` gives 1 for ``values``."""
    return int(all(fn(values) for fn in fns))


def _top_share(
    problem: Problem, options: IntArray, prior: Prior | None, values: npt.NDArray[np.bool_]
) -> int:
    """The least value of :func:`_max_share`'s variable for the plan ``values``."""
    return fairness_parts(problem, options[values], options, prior)[0]


#: Spread weights are scaled by this number divided by a volunteer's task cap.
_SPREAD_SCALE = 2520


def _recent_tasks(problem: Problem, prior: Prior | None) -> IntArray:
    """Per volunteer: tasks in the three weeks before the horizon plus those of earlier parts."""
    recent = problem.vol_recent_tasks
    if prior is not None:
        recent = recent + prior.tasks.sum(axis=1)
    return np.asarray(recent, dtype=np.int64)


def _spread(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
    derived: list[Derived] | None = None,
) -> cp_model.LinearExpr | None:
    """The load spread to minimise; recent history counts.

    Minimises the sum over volunteers of ``n**2 / max_tasks``, where ``n`` is the
    number of tasks in the horizon plus those in the three weeks before it (so
    who did a lot lately gets less now). The square is exact at whole numbers
    (tangent cuts).
    """
    p = problem
    recent_tasks = _recent_tasks(p, prior)
    vols = p.opt_vol[options]
    terms: list[cp_model.LinearExpr] = []
    for group in groups(vols):
        v = int(vols[group[0]])
        cap = int(p.vol_max_tasks[v])
        if cap <= 0:
            continue
        recent = int(recent_tasks[v])
        top = recent + min(len(group), cap * max(p.num_weeks, 1))
        n = lsum([x[i] for i in group.tolist()]) + recent
        sq = model.new_int_var(0, top * top, f"tasks_squared[{v}]")
        for j in range(recent, top):
            model.add(sq >= (2 * j + 1) * n - j * (j + 1))  # type: ignore[operator]
        if derived is not None:
            derived.append((sq, partial(_square, group, recent)))
        terms.append((_SPREAD_SCALE // cap) * sq)
    return lsum(terms) if terms else None


def spread_ceiling(problem: Problem, prior: Prior | None) -> int:
    """An upper bound of the spread term of any plan of ``problem``.

    It depends on the problem (and ``prior``) only, not on which options a
    model holds, so the fairness tier's value is the same for a plan whichever
    options a model of it was built from (pruned, restricted or not).
    """
    p = problem
    caps = p.vol_max_tasks
    most = _recent_tasks(p, prior) + caps * max(p.num_weeks, 1)
    weights = _SPREAD_SCALE // np.maximum(caps, 1)
    return int((weights * most * most)[caps > 0].sum())


def _square(group: IntArray, recent: int, values: npt.NDArray[np.bool_]) -> int:
    """``n**2`` for ``n`` = the chosen options of ``group`` plus ``recent``."""
    n = int(values[group].sum()) + recent
    return n * n


def use_with_prior(
    problem: Problem, chosen: IntArray, prior: Prior | None
) -> tuple[IntArray, IntArray]:
    """Weekly tasks and minutes of the options ``chosen``, plus those of ``prior``."""
    tasks, minutes = weekly_use(problem, chosen)
    if prior is not None:
        tasks += prior.tasks
        minutes += prior.minutes
    return tasks, minutes


def every_week_at_cap(
    problem: Problem, state: WeekState, tasks: IntArray, minutes: IntArray
) -> npt.NDArray[np.bool_]:
    """Per volunteer: at a cap in every week (``tasks``, ``minutes``: weekly use)."""
    p = problem
    at_cap = (tasks >= p.vol_max_tasks[:, None]) | (minutes >= p.vol_max_minutes[:, None])
    return np.asarray(np.where(state.present, at_cap, state.full).all(axis=1) & state.counted)


def fairness_parts(
    problem: Problem, chosen: IntArray, options: IntArray, prior: Prior | None = None
) -> tuple[int, int, int, int]:
    """The fairness steps' values for the ``chosen`` options of a model of ``options``.

    Returns the highest load (per mille), the number of volunteers at a cap in
    every week, the spread, and the number of (volunteer, week) groups; as the
    model counts them (see :func:`week_state`): over the volunteers that have
    options in ``options``, with the use of ``prior`` added.
    """
    p = problem
    state = week_state(p, options, prior)
    tasks, minutes = use_with_prior(p, chosen, prior)
    present = state.present
    week_share = np.ceil(SHARE_SCALE * cap_share(p, tasks, minutes) - 1e-9).astype(np.int64)
    total = np.where(present, week_share, state.share).sum(axis=1)
    weeks = max(p.num_weeks, 1)
    used = present.any(axis=1)
    top = int((-(-total[used] // weeks)).max(initial=0))
    every = every_week_at_cap(p, state, tasks, minutes)
    caps = p.vol_max_tasks
    weights = _SPREAD_SCALE // np.maximum(caps, 1)
    n = np.bincount(p.opt_vol[chosen], minlength=p.num_volunteers) + _recent_tasks(p, prior)
    use = used & (caps > 0)
    spread = int((weights * n * n)[use].sum())
    return top, int(every.sum()), spread, int(present.sum())


def fairness_value(
    tier: str, problem: Problem, chosen: IntArray, options: IntArray, prior: Prior | None = None
) -> float:
    """Value of fairness step ``tier`` (or of the whole tier, ``fairness``) for a plan.

    The whole tier is its three steps lexicographic in one number (reported,
    never optimised).
    """
    top, full, spread, n_groups = fairness_parts(problem, chosen, options, prior)
    if tier == "fairness:peak":
        return -float(top)
    if tier == "fairness:at_cap":
        return -float(full)
    if tier == "fairness:spread":
        return -float(spread)
    b = spread_ceiling(problem, prior) + 1
    return -float((n_groups + 1) * b) * float(top) - float(b * full) - float(spread)
