"""Baselines for the benchmark suite, behind the solvers' own protocol.

Each baseline is a small class with a ``name`` and ``solve(problem) ->
matchkracht.Solution``, like :class:`matchkracht.CpSatSolver`, so the runner
treats every method alike. Every plan they return is feasible (it passes
:func:`matchkracht.plan.check`); none proves a bound.

``FirstFitGreedy``
    Tasks by priority, then day and window start; each takes the first start
    and volunteers that still fit (the library's own greedy).
``ClosestAvailable``
    The rule volunteer-ride services use today: tasks in time order (day,
    window start; priority only breaks ties), each to the eligible volunteer
    who lives nearest and is still free.
``PerDayAssignment``
    Per day, an optimal one-to-one assignment of tasks to volunteers
    (:func:`scipy.optimize.linear_sum_assignment`: priority weight first, then
    travel km), each at the earliest start that fits, repaired into a feasible
    plan; two-person tasks are then filled greedily.
``GridCpSat``
    The reference of issue 14 for large instances: the same CP-SAT engine on the
    starts of a coarse grid only (every 15 minutes; kept assignments always),
    with the same time limit. Not run by default (``--methods`` adds it: it
    costs as much time as ``cpsat``); it proves no bound of the full problem.

Examples
--------
>>> import matchkracht as mk
>>> from benchmarks.baselines import BASELINES
>>> problem = mk.build_problem(mk.load_demo(), mk.DEMO_WEEK)
>>> [b.name for b in BASELINES]
['first_fit', 'closest', 'per_day_lsa']
>>> all(b.solve(problem).status == "feasible" for b in BASELINES)
True
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from matchkracht.problem import Problem
from matchkracht.problem.occupancy import Calendar
from matchkracht.solver.base import Solution
from matchkracht.solver.greedy import greedy_options

__all__ = [
    "BASELINES",
    "ClosestAvailable",
    "FirstFitGreedy",
    "GridCpSat",
    "PerDayAssignment",
    "closest_order",
    "per_day_options",
]

IntArray = npt.NDArray[np.int64]


def _solution(options: IntArray, t0: float, name: str) -> Solution:
    return Solution(
        options=np.asarray(np.sort(options), dtype=np.int64),
        status="feasible",
        bound=None,
        seconds=time.perf_counter() - t0,
        engine=name,
    )


@dataclass(frozen=True)
class FirstFitGreedy:
    """First-fit greedy: priority, then day and window start; earliest start first."""

    name: str = "first_fit"

    def solve(self, problem: Problem) -> Solution:
        """Run :func:`matchkracht.solver.greedy.greedy_options` with its default order."""
        t0 = time.perf_counter()
        return _solution(greedy_options(problem), t0, self.name)


def closest_order(problem: Problem) -> IntArray:
    """Task order of :class:`ClosestAvailable`: day, window start, then priority."""
    p = problem
    return np.asarray(
        np.lexsort((np.arange(p.num_tasks), p.task_priority, p.task_window_lo, p.task_day)),
        dtype=np.int64,
    )


@dataclass(frozen=True)
class ClosestAvailable:
    """Time order; each task to the nearest eligible volunteer who is still free.

    "Nearest" is the smallest round-trip km of the (task, volunteer) pair; among
    a volunteer's starts the earliest that fits is taken. For a task that needs
    several volunteers, the start of the nearest volunteer is tried first and
    the nearest free volunteers at that start are taken.
    """

    name: str = "closest"

    def solve(self, problem: Problem) -> Solution:
        """Assign tasks in time order to the nearest free eligible volunteer."""
        t0 = time.perf_counter()
        p = problem

        def key(opts: IntArray) -> IntArray:
            order = np.lexsort((opts, p.opt_start[opts], p.pair_km[p.opt_pair[opts]]))
            rank = np.empty(len(opts), dtype=np.int64)
            rank[order] = np.arange(len(opts))
            return rank

        options = greedy_options(p, task_order=closest_order(p), option_key=key)
        return _solution(options, t0, self.name)


def per_day_options(problem: Problem, *, fill_teams: bool = True) -> IntArray:
    """Per-day one-to-one assignment, repaired into a feasible set of options.

    Parameters
    ----------
    problem
        The problem.
    fill_teams
        Fill tasks that need several volunteers greedily after the repair
        (otherwise they stay unmatched).

    Returns
    -------
    numpy.ndarray
        Chosen option indices.

    Notes
    -----
    For each day, the tasks that need one volunteer and the volunteers of their
    eligible pairs form a cost matrix ``-weight * BIG + km`` (ineligible cells
    cost ``+BIG_FORBIDDEN`` and are dropped from the result), so the assignment
    maximises covered weight first and travel second, with at most one task
    per volunteer per day. Each assigned pair then takes the earliest of its
    starts that fits what is already kept, processing assignments by priority,
    day and window start; an assignment whose starts all overlap a kept one,
    break a weekly cap or would take a need's last ``max_team`` place is dropped.
    """
    p = problem
    if p.num_options == 0:
        return np.zeros(0, dtype=np.int64)
    pair_opts_order = np.lexsort((p.opt_start, p.opt_pair))
    pair_bounds = np.searchsorted(p.opt_pair[pair_opts_order], np.arange(p.num_pairs + 1))
    single = p.task_needed[p.pair_task] == 1
    assigned_pairs: list[int] = []
    pair_day = p.task_day[p.pair_task]
    for d in np.unique(pair_day[single]).tolist():
        pairs = np.flatnonzero(single & (pair_day == d))
        tasks, t_idx = np.unique(p.pair_task[pairs], return_inverse=True)
        vols, v_idx = np.unique(p.pair_vol[pairs], return_inverse=True)
        km = p.pair_km[pairs]
        big = float(km.sum()) + 1.0
        forbidden = big * (float(p.task_weight.max()) + 1.0) * 10.0
        cost = np.full((len(tasks), len(vols)), forbidden)
        cost[t_idx, v_idx] = -p.task_weight[p.pair_task[pairs]] * big + km
        pair_at = np.full((len(tasks), len(vols)), -1, dtype=np.int64)
        pair_at[t_idx, v_idx] = pairs
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if pair_at[r, c] >= 0:
                assigned_pairs.append(int(pair_at[r, c]))
    cal = Calendar(p)
    chosen: list[int] = []
    ap = np.array(assigned_pairs, dtype=np.int64)
    if len(ap):
        t = p.pair_task[ap]
        ap = ap[np.lexsort((ap, p.task_window_lo[t], p.task_day[t], p.task_priority[t]))]
    for pair in ap.tolist():
        for o in pair_opts_order[pair_bounds[pair] : pair_bounds[pair + 1]].tolist():
            if cal.fits(o):
                cal.take(o)
                chosen.append(o)
                break
    if fill_teams:
        chosen.extend(_fill_teams(p, cal))
    return np.array(sorted(chosen), dtype=np.int64)


def _fill_teams(problem: Problem, cal: Calendar) -> list[int]:
    """Greedily give tasks that need several volunteers a team at one start."""
    p = problem
    teams = np.flatnonzero(p.task_needed > 1)
    if len(teams) == 0:
        return []
    teams = teams[
        np.lexsort((teams, p.task_window_lo[teams], p.task_day[teams], p.task_priority[teams]))
    ]
    opt_task = p.opt_task
    km = p.pair_km[p.opt_pair]
    chosen: list[int] = []
    for t in teams.tolist():
        opts = np.flatnonzero(opt_task == t)
        need = int(p.task_needed[t])
        for s in np.unique(p.opt_start[opts]).tolist():
            at = opts[p.opt_start[opts] == s]
            at = at[np.lexsort((at, km[at]))]
            team = cal.pick_team(at.tolist(), need)
            if team is not None:
                for o in team:
                    cal.take(o)
                chosen.extend(team)
                break
    return chosen


@dataclass(frozen=True)
class PerDayAssignment:
    """Per-day optimal one-to-one assignment (Hungarian method), repaired to feasibility."""

    name: str = "per_day_lsa"
    fill_teams: bool = True

    def solve(self, problem: Problem) -> Solution:
        """Run :func:`per_day_options`."""
        t0 = time.perf_counter()
        return _solution(per_day_options(problem, fill_teams=self.fill_teams), t0, self.name)


#: One instance of every baseline, in the order the reports list them.
@dataclass(frozen=True)
class GridCpSat:
    """CP-SAT (all default tiers) on the options whose start is on a ``step``-minute grid."""

    time_limit: float = 10.0
    seed: int = 0
    workers: int = 0
    step: int = 15
    name: str = "cpsat_grid15"

    def solve(self, problem: Problem) -> Solution:
        """Solve the problem cut to the grid's starts; options are the full problem's."""
        from matchkracht.problem.core import frozen
        from matchkracht.solver.cpsat import CpSatSolver

        t0 = time.perf_counter()
        p = problem
        keep = np.flatnonzero((p.opt_start % self.step == 0) | p.opt_locked)
        cut = {
            name: frozen(getattr(p, name)[keep], getattr(p, name).dtype)
            for name in (
                "opt_pair", "opt_start", "opt_depart", "opt_return", "opt_previous", "opt_locked"
            )
        }  # fmt: skip
        grid = dataclasses.replace(p, **cut)
        engine = CpSatSolver(time_limit=self.time_limit, seed=self.seed, workers=self.workers)
        sol = engine.solve(grid)
        return Solution(
            options=np.sort(keep[sol.options]).astype(np.int64),
            status="feasible" if len(sol.options) or sol.status != "no_solution" else sol.status,
            bound=None,
            seconds=time.perf_counter() - t0,
            engine=self.name,
            stats={"grid_options": len(keep), "grid_bound": sol.bound},
        )


BASELINES: tuple[FirstFitGreedy | ClosestAvailable | PerDayAssignment, ...] = (
    FirstFitGreedy(),
    ClosestAvailable(),
    PerDayAssignment(),
)
