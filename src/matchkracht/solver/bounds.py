"""Upper bounds on weighted coverage that are stronger than the trivial one.

The trivial bound, the weight of every task that has at least one option, is
also what the LP relaxation of the time-indexed model gives on the generated
benchmark instances. The *day relaxation* is stronger: each day of the horizon
is solved on its own, to optimality when time allows. It keeps every rule
inside a day (one start per task, whole teams, no overlap) and relaxes only
what links days: weekly caps and care teams count that day's tasks alone. Any
plan, restricted to one day, is a plan of that day's relaxation, so the sum of
the days' optima (or of CP-SAT's proven bounds on them) bounds every plan.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from matchkracht.problem.core import Problem
from matchkracht.solver.combine import trivial_bound
from matchkracht.solver.cpsat import build_model, complete_teams, components, split_region
from matchkracht.solver.greedy import greedy_options

__all__ = ["PART_OPTIONS", "DayBound", "day_bound", "day_parts"]

IntArray = npt.NDArray[np.int64]


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
    """

    bound: int
    trivial: int
    days: IntArray
    days_bound: IntArray
    days_best: IntArray
    days_trivial: IntArray
    optimal: bool
    seconds: float


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


def _solve_part(
    problem: Problem, options: IntArray, time_limit: float, seed: int
) -> tuple[int, int, bool, float]:
    p = problem
    trivial = trivial_bound(p, options)
    m = build_model(p, options, ("coverage",))
    m.model.maximize(m.cover)
    start = np.zeros(p.num_options, dtype=bool)
    start[greedy_options(p, task_order=np.unique(p.opt_task[options]))] = True
    hint = complete_teams(p, options, start[options])
    m.hint(hint)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = time_limit
    code = solver.solve(m.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return trivial, 0, False, solver.wall_time
    bound = min(trivial, math.floor(solver.best_objective_bound + 1e-6))
    return bound, round(solver.objective_value), code == cp_model.OPTIMAL, solver.wall_time


def day_bound(
    problem: Problem, time_limit: float = 60.0, seed: int = 0, threads: int = 0
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

    Returns
    -------
    DayBound
    """
    p = problem
    day_of_option = p.task_day[p.opt_task]
    days = np.unique(day_of_option).astype(np.int64)
    groups = [np.flatnonzero(day_of_option == d) for d in days.tolist()]
    threads = threads or os.cpu_count() or 1
    # (day position, part, seconds); the largest parts first, so the threads finish together
    jobs = [
        (i, part, time_limit * len(part) / len(g))
        for i, g in enumerate(groups)
        for part in day_parts(p, g, seed)
    ]
    jobs.sort(key=lambda j: -len(j[1]))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(_solve_part, p, part, limit, seed) for _, part, limit in jobs]
        done = [f.result() for f in futures]
    bound = np.zeros(len(groups), dtype=np.int64)
    best = np.zeros(len(groups), dtype=np.int64)
    optimal = True
    seconds = 0.0
    for (i, _, _), (part_bound, part_best, part_optimal, part_seconds) in zip(
        jobs, done, strict=True
    ):
        bound[i] += part_bound
        best[i] += part_best
        optimal &= part_optimal
        seconds += part_seconds
    trivial = np.array([trivial_bound(p, g) for g in groups], dtype=np.int64)
    return DayBound(
        bound=int(bound.sum()),
        trivial=int(trivial.sum()),
        days=days,
        days_bound=bound,
        days_best=best,
        days_trivial=trivial,
        optimal=optimal,
        seconds=seconds,
    )
