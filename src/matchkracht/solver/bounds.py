"""Upper bounds on weighted coverage that are stronger than the trivial one.

The trivial bound, the weight of every task that has at least one option, is
also what the LP relaxation of the time-indexed model gives on the generated
benchmark instances. The *day relaxation* is stronger: each day of the horizon
is solved on its own, to optimality when time allows. It keeps every rule
inside a day (one start per task, whole teams, no overlap) and relaxes only
what links days: weekly caps and care teams count that day's tasks alone. Any
plan, restricted to one day, is a plan of that day's relaxation, so the sum of
the days' optima (or of CP-SAT's proven bounds on them) bounds every plan.

:func:`whole_bound` combines, per independent component, the smallest of the
trivial bound, the engine's own proven bound (where the component was solved
as one model) and the day relaxation's; :func:`day_plan` turns the days'
best plans into one plan that keeps the weekly caps (a start for the search).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from matchkracht.problem.core import Problem
from matchkracht.solver.cpsat import build_model, complete_teams, components, split_region
from matchkracht.solver.greedy import greedy_options

__all__ = [
    "BOUND_KINDS",
    "PART_OPTIONS",
    "Bound",
    "DayBound",
    "day_bound",
    "day_parts",
    "day_plan",
    "whole_bound",
]

IntArray = npt.NDArray[np.int64]

#: What a plan's bound is, from the strongest statement to the weakest:
#: ``coverage_optimal`` (the plan reaches the bound: no plan covers more),
#: ``day_relaxation`` (some component is bounded by the day relaxation),
#: ``cpsat`` (by CP-SAT's own proven bound, below the trivial one) and
#: ``trivial`` (the weight of the tasks that have an option).
BOUND_KINDS: tuple[str, ...] = ("coverage_optimal", "day_relaxation", "cpsat", "trivial")


@dataclass(frozen=True)
class DayBound:
    """The day relaxation's bound on covered weight.

    Attributes
    ----------
    bound : int
        Upper bound on the covered weight of any plan: the sum of ``days_bound``.
    trivial : int
        The trivial bound (weight of the tasks that have an option).
    days : numpy.ndarray
        Day indices of the horizon that have options.
    days_bound, days_best, days_trivial : numpy.ndarray
        Per day: the proven bound, the best covered weight found for that day
        alone, and its trivial bound.
    optimal : bool
        Whether every day was solved to optimality (``bound`` is then the
        relaxation's exact value).
    seconds : float
        Solver wall time summed over the days.
    parts : list of numpy.ndarray
        The option indices of each part bounded apart (see :func:`day_parts`).
    parts_bound : numpy.ndarray
        The proven bound of each part.
    chosen : numpy.ndarray
        Option indices of the parts' best plans (each day's plan keeps every
        rule inside its day; together they may break weekly caps and care teams).
    """

    bound: int
    trivial: int
    days: IntArray
    days_bound: IntArray
    days_best: IntArray
    days_trivial: IntArray
    optimal: bool
    seconds: float
    parts: list[IntArray] = field(default_factory=list)
    parts_bound: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    chosen: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def within(self, problem: Problem, options: IntArray) -> int:
        """The relaxation's bound on the options ``options`` (a component of ``problem``).

        Sums the bounds of the parts inside the component. Every part lies
        inside one component: a day's component is linked by a subset of the
        links of the whole horizon. A part outside ``options`` counts nothing.
        """
        inside = np.zeros(problem.num_options, dtype=bool)
        inside[options] = True
        return int(
            sum(
                b
                for q, b in zip(self.parts, self.parts_bound.tolist(), strict=True)
                if len(q) and inside[q[0]]
            )
        )


#: Independent parts of a day with more options than this are split by location.
PART_OPTIONS = 25_000


def day_parts(problem: Problem, options: IntArray, seed: int = 0) -> list[IntArray]:
    """The parts of one day's options that are bounded apart.

    First the day's independent components; a component of more than
    :data:`PART_OPTIONS` options is split by the clients' locations
    (:func:`~matchkracht.solver.cpsat.split_region`), keeping every option of a
    task in the task's part. Bounding such parts apart relaxes further: a
    volunteer who could serve several parts is counted in each with the whole
    of their time and caps. The sum of the parts' bounds is still a bound.
    """
    parts: list[IntArray] = []
    for comp in components(problem, options):
        if len(comp) > PART_OPTIONS:
            parts.extend(split_region(problem, comp, seed, part_options=PART_OPTIONS))
        else:
            parts.append(comp)
    return parts


def _trivial(problem: Problem, options: IntArray) -> int:
    return int(problem.task_weight[np.unique(problem.opt_task[options])].sum())


def _solve_part(
    problem: Problem, options: IntArray, time_limit: float, seed: int, deterministic: bool
) -> tuple[int, int, bool, float, IntArray]:
    """Bound one part: (bound, best covered weight, optimal, seconds, best plan's options)."""
    p = problem
    trivial = _trivial(p, options)
    m = build_model(p, options, ("coverage",))
    m.model.maximize(m.cover)
    start = np.zeros(p.num_options, dtype=bool)
    start[greedy_options(p, task_order=np.unique(p.opt_task[options]))] = True
    hint = complete_teams(p, options, start[options])
    m.hint(hint)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    if deterministic:
        solver.parameters.max_deterministic_time = max(time_limit, 0.01)
    else:
        solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
    code = solver.solve(m.model)
    used = solver.deterministic_time if deterministic else solver.wall_time
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return trivial, 0, False, used, np.zeros(0, dtype=np.int64)
    bound = min(trivial, math.floor(solver.best_objective_bound + 1e-6))
    chosen = options[np.array([solver.boolean_value(x) for x in m.x], dtype=bool)]
    return bound, round(solver.objective_value), code == cp_model.OPTIMAL, used, chosen


def day_bound(
    problem: Problem,
    time_limit: float = 60.0,
    seed: int = 0,
    threads: int = 0,
    options: IntArray | None = None,
    deterministic: bool = False,
) -> DayBound:
    """Bound the covered weight by solving each day of the horizon on its own.

    Parameters
    ----------
    problem
        The problem.
    time_limit
        CP-SAT seconds per day (one search worker), shared by the day's parts
        (:func:`day_parts`) in proportion to their options. A part stopped by
        the limit contributes CP-SAT's proven bound, still a valid bound.
    seed
        CP-SAT random seed.
    threads
        Parts solved at once; 0 means one per core.
    options
        Only these options (e.g. some components of the problem); default all.
    deterministic
        Limit each part by CP-SAT's deterministic time instead of seconds (the
        same bound and plans on every run).

    Returns
    -------
    DayBound
    """
    p = problem
    if options is None:
        options = np.arange(p.num_options, dtype=np.int64)
    day_of_option = p.task_day[p.opt_task[options]]
    days = np.unique(day_of_option).astype(np.int64)
    groups = [options[day_of_option == d] for d in days.tolist()]
    threads = threads or os.cpu_count() or 1
    # (day position, part, seconds); the largest parts first, so the threads finish together
    jobs = [
        (i, part, time_limit * len(part) / len(g))
        for i, g in enumerate(groups)
        for part in day_parts(p, g, seed)
    ]
    jobs.sort(key=lambda j: -len(j[1]))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [
            pool.submit(_solve_part, p, part, limit, seed, deterministic) for _, part, limit in jobs
        ]
        done = [f.result() for f in futures]
    bound = np.zeros(len(groups), dtype=np.int64)
    best = np.zeros(len(groups), dtype=np.int64)
    optimal = True
    seconds = 0.0
    for (i, _, _), (part_bound, part_best, part_optimal, part_seconds, _) in zip(
        jobs, done, strict=True
    ):
        bound[i] += part_bound
        best[i] += part_best
        optimal &= part_optimal
        seconds += part_seconds
    trivial = np.array([_trivial(p, g) for g in groups], dtype=np.int64)
    chosen = [d[4] for d in done]
    return DayBound(
        bound=int(bound.sum()),
        trivial=int(trivial.sum()),
        days=days,
        days_bound=bound,
        days_best=best,
        days_trivial=trivial,
        optimal=optimal,
        seconds=seconds,
        parts=[j[1] for j in jobs],
        parts_bound=np.array([d[0] for d in done], dtype=np.int64),
        chosen=np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64),
    )


def day_plan(problem: Problem, days: DayBound, options: IntArray | None = None) -> IntArray:
    """One plan from the days' best plans that keeps every rule, weekly caps included.

    The tasks the days' plans cover are assigned first (priority, then the
    heaviest first), each to its volunteers and start in those plans when they
    still fit and else to the first options that do; then the other tasks of
    ``options`` (default all) first-fit. Returns the chosen option indices.
    """
    p = problem
    if options is None:
        options = np.arange(p.num_options, dtype=np.int64)
    tasks = np.unique(p.opt_task[options])
    covered = np.zeros(p.num_tasks, dtype=bool)
    covered[p.opt_task[days.chosen]] = True
    order = tasks[np.lexsort((tasks, p.task_window_lo[tasks], p.task_day[tasks], ~covered[tasks]))]
    preferred = np.zeros(p.num_options, dtype=bool)
    preferred[days.chosen] = True

    def key(opts: IntArray) -> IntArray:
        # the days' own choice first, then by start and volunteer
        return np.asarray(
            np.lexsort((p.opt_vol[opts], p.opt_start[opts], ~preferred[opts])).argsort(),
            dtype=np.int64,
        )

    return greedy_options(p, task_order=order, option_key=key)


@dataclass(frozen=True)
class Bound:
    """A proven upper bound on covered weight and what proves it.

    Attributes
    ----------
    value : float
        The bound, in the units of ``Problem.task_weight``.
    kind : str
        One of :data:`BOUND_KINDS`.
    kinds : dict
        Per kind, the number of components whose bound it gave.
    """

    value: float
    kind: str
    kinds: dict[str, int] = field(default_factory=dict)


def whole_bound(
    problem: Problem,
    pieces: Sequence[tuple[IntArray, float | None]],
    covered: float,
    days: DayBound | None = None,
) -> Bound:
    """The bound of a whole plan from its independent components.

    Parameters
    ----------
    problem
        The problem.
    pieces
        The independent components of the problem (they share no task, no
        volunteer and no care team), each with the engine's proven bound on
        its covered weight, or ``None`` when it proves none (a component split
        into parts solved one after another: each part's bound holds only
        given what the parts before took).
    covered
        The plan's covered weight.
    days
        The day relaxation, when computed.

    Returns
    -------
    Bound
        Per component the smallest of its trivial bound, its engine bound and
        its day-relaxation bound, summed. The sum is valid because the best
        plan of the whole is the union of the components' best plans: no
        volunteer, weekly cap or care team is shared between them, so nothing
        is counted twice or left out. Each term is valid on its own: the day
        relaxation of a component never sees less of a volunteer's time or
        caps than any plan has (it gives each day the whole weekly caps).
    """
    total = 0.0
    kinds: dict[str, int] = {}
    for options, proven in pieces:
        best, kind = float(_trivial(problem, options)), "trivial"
        if proven is not None and proven < best:
            best, kind = float(proven), "cpsat"
        if days is not None:
            relaxed = days.within(problem, options)
            if relaxed < best:
                best, kind = float(relaxed), "day_relaxation"
        kinds[kind] = kinds.get(kind, 0) + 1
        total += best
    if covered >= total - 1e-9:
        return Bound(float(covered), "coverage_optimal", kinds)
    kind = next(k for k in BOUND_KINDS[1:] if k in kinds)
    return Bound(total, kind, kinds)
