"""Greedy heuristics: the first-fit baseline, scarce-first, and familiar-first (CP-SAT's hint)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Calendar
from matchkracht.solver.base import Solution

__all__ = [
    "Calendar",
    "GreedySolver",
    "ScarceFirstSolver",
    "familiar_first_options",
    "greedy_options",
    "scarce_first_options",
]

IntArray = npt.NDArray[np.int64]


def greedy_options(
    problem: Problem,
    task_order: IntArray | None = None,
    option_key: Callable[[IntArray], IntArray] | None = None,
    *,
    task_key: Callable[[IntArray, int], IntArray] | None = None,
    on_take: Callable[[int], None] | None = None,
) -> IntArray:
    """Assign tasks one by one, each to the first options that still fit.

    Parameters
    ----------
    problem
        The problem.
    task_order
        Order in which tasks are tried; default: priority, then day and window start.
    option_key
        Sort key over a task's option indices (lower first); default: start time,
        then volunteer index.
    task_key
        Like ``option_key`` but also given the task, and called when the task's
        turn comes (so it may depend on earlier choices); overrides ``option_key``.
    on_take
        Called with each option as it is taken.

    Returns
    -------
    numpy.ndarray
        Chosen option indices; every task gets all the volunteers it needs, at
        one common start, or none.
    """
    p = problem
    if task_order is None:
        task_order = np.lexsort(
            (np.arange(p.num_tasks), p.task_window_lo, p.task_day, p.task_priority)
        )
    opt_task = p.opt_task
    order = np.argsort(opt_task, kind="stable")
    bounds = np.searchsorted(opt_task[order], np.arange(p.num_tasks + 1))
    cal = Calendar(p)
    chosen: list[int] = []
    opt_vol = p.opt_vol
    for t in task_order.tolist():
        opts = order[bounds[t] : bounds[t + 1]]
        if len(opts) == 0:
            continue
        if task_key is not None:
            opts = opts[np.argsort(task_key(opts, t), kind="stable")]
        elif option_key is None:
            opts = opts[np.lexsort((opt_vol[opts], p.opt_start[opts]))]
        else:
            opts = opts[np.argsort(option_key(opts), kind="stable")]
        need = int(p.task_needed[t])
        if need == 1:
            for o in opts.tolist():
                if cal.fits(o):
                    cal.take(o)
                    chosen.append(o)
                    if on_take is not None:
                        on_take(o)
                    break
            continue
        starts = p.opt_start[opts]
        for s in sorted(set(starts.tolist()), key=starts.tolist().index):
            team = cal.pick_team(opts[starts == s].tolist(), need)
            if team is not None:
                for o in team:
                    cal.take(o)
                    if on_take is not None:
                        on_take(o)
                chosen.extend(team)
                break
    return np.array(sorted(chosen), dtype=np.int64)


@dataclass(frozen=True)
class _HeuristicSolver:
    """A greedy heuristic behind the :class:`~matchkracht.solver.base.Solver` protocol."""

    name: str = "heuristic"

    @staticmethod
    def _options(problem: Problem) -> IntArray:
        raise NotImplementedError

    def solve(self, problem: Problem) -> Solution:
        """Run the heuristic; its plan is feasible but proves no bound."""
        t0 = time.perf_counter()
        options = self._options(problem)
        return Solution(options, "feasible", None, time.perf_counter() - t0, self.name)


@dataclass(frozen=True)
class GreedySolver(_HeuristicSolver):
    """First-fit greedy by priority, then time: the baseline every plan must beat."""

    name: str = "greedy"

    @staticmethod
    def _options(problem: Problem) -> IntArray:
        return greedy_options(problem)


def scarce_first_options(problem: Problem) -> IntArray:
    """Greedy with better choices: scarce tasks first, least-demanded volunteers first.

    Tasks go by priority, then by how few candidate volunteers they have; each
    takes, among the options that still fit, the volunteer who is a candidate
    for the fewest tasks (ties: earliest start). Used to hint CP-SAT.
    """
    p = problem
    num_candidates = np.bincount(p.pair_task, minlength=p.num_tasks)
    order = np.lexsort(
        (np.arange(p.num_tasks), p.task_window_lo, p.task_day, num_candidates, p.task_priority)
    )
    demand = np.bincount(p.pair_vol, minlength=p.num_volunteers).astype(np.int64)

    def key(opts: IntArray) -> IntArray:
        return np.asarray(demand[p.pair_vol[p.opt_pair[opts]]] * (8 * 1440) + p.opt_start[opts])

    return greedy_options(p, task_order=order, option_key=key)


def familiar_first_options(problem: Problem) -> IntArray:
    """Greedy that keeps familiar faces: week by week, scarce tasks first.

    Tasks go by ISO week, priority and scarcity. Each takes, among the options
    that still fit, first the volunteer who already has this need's weekly slot
    (same need and weekday in an earlier week), then one who helped the client
    before (history or earlier in this plan), then the least-demanded volunteer;
    ties by the slot's earlier time of day, then start. Used to hint CP-SAT, so
    that plans over several weeks start from "the same person every Monday".
    """
    p = problem
    num_candidates = np.bincount(p.pair_task, minlength=p.num_tasks)
    order = np.lexsort(
        (
            np.arange(p.num_tasks),
            p.task_window_lo,
            p.task_day,
            num_candidates,
            p.task_priority,
            p.task_week,
        )
    )
    demand = np.bincount(p.pair_vol, minlength=p.num_volunteers).astype(np.int64)
    weekday = (p.horizon.first.weekday() + p.task_day) % 7
    slot_owner: dict[tuple[int, int], dict[int, int]] = {}
    seen_set: set[int] = set()

    def key(opts: IntArray, t: int) -> IntArray:
        vols = p.pair_vol[p.opt_pair[opts]]
        owners = slot_owner.get((int(p.task_need[t]), int(weekday[t])), {})
        sticky = np.array([v not in owners for v in vols.tolist()], dtype=np.int64)
        client = int(p.task_client[t])
        fam = p.pair_helped[p.opt_pair[opts]] | np.array(
            [client * p.num_volunteers + v in seen_set for v in vols.tolist()], dtype=bool
        )
        tod = p.opt_start[opts] % 1440
        same_time = np.array(
            [owners.get(v, -1) != s for v, s in zip(vols.tolist(), tod.tolist(), strict=True)],
            dtype=np.int64,
        )
        return np.asarray(
            np.lexsort((p.opt_start[opts], same_time, demand[vols], ~fam, sticky)).argsort()
        )

    def take(o: int) -> None:
        # one option: index the pair arrays (``opt_task`` and ``opt_vol`` are
        # properties over every option, far too slow in a loop on a province)
        pair = int(p.opt_pair[o])
        t = int(p.pair_task[pair])
        v = int(p.pair_vol[pair])
        slot_owner.setdefault((int(p.task_need[t]), int(weekday[t])), {})[v] = int(
            p.opt_start[o] % 1440
        )
        seen_set.add(int(p.task_client[t]) * p.num_volunteers + v)

    return greedy_options(p, task_order=order, task_key=key, on_take=take)


@dataclass(frozen=True)
class ScarceFirstSolver(_HeuristicSolver):
    """Scarce-first greedy (see :func:`scarce_first_options`): a stronger baseline."""

    name: str = "scarce_first"

    @staticmethod
    def _options(problem: Problem) -> IntArray:
        return scarce_first_options(problem)
