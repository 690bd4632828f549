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

from matchkracht.problem import Problem
from matchkracht.solver.cpsat import build_model, complete_teams
from matchkracht.solver.greedy import greedy_options

__all__ = ["DayBound", "day_bound"]

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


def _solve_day(
    problem: Problem, options: IntArray, time_limit: float, seed: int
) -> tuple[int, int, bool, float]:
    p = problem
    trivial = int(p.task_weight[np.unique(p.opt_task[options])].sum())
    m = build_model(p, options, ("coverage",))
    m.model.maximize(m.cover)
    start = np.zeros(p.num_options, dtype=bool)
    start[greedy_options(p, task_order=np.unique(p.opt_task[options]))] = True
    hint = complete_teams(p, options, start[options])
    for var, val in zip(m.x, hint.tolist(), strict=True):
        m.model.add_hint(var, bool(val))
    for var, members in m.aux_or:
        m.model.add_hint(var, bool(hint[members].any()))
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
        CP-SAT seconds per day (one search worker per day). A day stopped by the
        limit contributes CP-SAT's proven bound, still a valid bound.
    seed
        CP-SAT random seed.
    threads
        Days solved at once; 0 means one per core.

    Returns
    -------
    DayBound
    """
    p = problem
    day_of_option = p.task_day[p.opt_task]
    days = np.unique(day_of_option).astype(np.int64)
    groups = [np.flatnonzero(day_of_option == d) for d in days.tolist()]
    threads = threads or os.cpu_count() or 1
    # the largest days first, so the threads finish together
    order = sorted(range(len(groups)), key=lambda i: -len(groups[i]))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = {i: pool.submit(_solve_day, p, groups[i], time_limit, seed) for i in order}
        results = [futures[i].result() for i in range(len(groups))]
    bound = np.array([r[0] for r in results], dtype=np.int64)
    best = np.array([r[1] for r in results], dtype=np.int64)
    trivial = np.array(
        [int(p.task_weight[np.unique(p.opt_task[g])].sum()) for g in groups], dtype=np.int64
    )
    return DayBound(
        bound=int(bound.sum()),
        trivial=int(trivial.sum()),
        days=days,
        days_bound=bound,
        days_best=best,
        days_trivial=trivial,
        optimal=all(r[2] for r in results),
        seconds=float(sum(r[3] for r in results)),
    )
