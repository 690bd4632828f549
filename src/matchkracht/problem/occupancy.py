"""What volunteers already do: weekly use, busy intervals, care-team members.

The measures here read a set of chosen options (numpy) or an :class:`Occupancy`
built task by task; every layer above the problem (solvers, reasons, advice)
asks them instead of counting for itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from matchkracht.problem.core import IntArray, Problem

__all__ = ["Occupancy", "cap_share", "covered_tasks", "weekly_use"]


def covered_tasks(problem: Problem, options: IntArray) -> npt.NDArray[np.bool_]:
    """Which tasks have all the volunteers they need among ``options``."""
    counts = np.bincount(problem.opt_task[options], minlength=problem.num_tasks)
    return np.asarray(counts >= problem.task_needed)


def weekly_use(problem: Problem, options: IntArray) -> tuple[IntArray, IntArray]:
    """Tasks and occupied minutes of ``options`` per (volunteer, ISO week of the horizon)."""
    p = problem
    tasks = np.zeros((p.num_volunteers, max(p.num_weeks, 1)), dtype=np.int64)
    minutes = np.zeros_like(tasks)
    pairs = p.opt_pair[options]
    at = (p.pair_vol[pairs], p.task_week[p.pair_task[pairs]])
    np.add.at(tasks, at, 1)
    np.add.at(minutes, at, p.pair_occupied[pairs])
    return tasks, minutes


def cap_share(problem: Problem, tasks: IntArray, minutes: IntArray) -> npt.NDArray[np.float64]:
    """Per (volunteer, week), the highest share of a weekly cap in use.

    ``max(tasks / max_tasks, minutes / max_minutes)``; a cap of zero counts as a
    share of zero.
    """
    p = problem
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p.vol_max_tasks[:, None] > 0, tasks / p.vol_max_tasks[:, None], 0.0)
        b = np.where(p.vol_max_minutes[:, None] > 0, minutes / p.vol_max_minutes[:, None], 0.0)
    return np.asarray(np.maximum(a, b), dtype=np.float64)


class Occupancy:
    """What volunteers already do in a plan: busy intervals, weekly use, care teams.

    Build with :meth:`from_options` (a solver's chosen options) or
    :meth:`from_rows` (assignments as problem indices; a plan's table goes
    through :meth:`matchkracht.plan.Plan.occupancy`).
    """

    def __init__(self, problem: Problem) -> None:
        p = problem
        self.problem = p
        weeks = max(p.num_weeks, 1)
        self.tasks_used = np.zeros((p.num_volunteers, weeks), dtype=np.int64)
        self.minutes_used = np.zeros_like(self.tasks_used)
        self.busy: dict[int, list[tuple[int, int, int]]] = {}
        self.task_vols: dict[int, list[int]] = {}
        self.task_start: dict[int, int] = {}
        self.team: dict[int, set[int]] = {}
        known: dict[int, set[int]] = {}
        for pair in np.flatnonzero(p.pair_team_known).tolist():
            known.setdefault(int(p.task_need[p.pair_task[pair]]), set()).add(int(p.pair_vol[pair]))
        self.team_known = known

    def add(self, task: int, vol: int, start: int, depart: int, ret: int) -> None:
        """Record that ``vol`` serves ``task`` from ``depart`` to ``ret``."""
        p = self.problem
        w = int(p.task_week[task])
        self.tasks_used[vol, w] += 1
        self.minutes_used[vol, w] += ret - depart
        self.busy.setdefault(vol, []).append((depart, ret, task))
        self.task_vols.setdefault(task, []).append(vol)
        self.task_start[task] = start
        n = int(p.task_need[task])
        if p.need_team_cap[n] >= 0 and vol not in self.team_known.get(n, set()):
            self.team.setdefault(n, set()).add(vol)

    @classmethod
    def from_options(cls, problem: Problem, options: IntArray) -> Occupancy:
        """The state of a solver solution."""
        p = problem
        s = cls(p)
        for o in np.asarray(options, dtype=np.int64).tolist():
            s.add(
                int(p.opt_task[o]),
                int(p.opt_vol[o]),
                int(p.opt_start[o]),
                int(p.opt_depart[o]),
                int(p.opt_return[o]),
            )
        return s

    @classmethod
    def from_rows(
        cls,
        problem: Problem,
        tasks: Sequence[int],
        vols: Sequence[int],
        starts: Sequence[int],
        departs: Sequence[int],
        returns: Sequence[int],
    ) -> Occupancy:
        """The occupancy of assignments given as problem indices and minutes."""
        s = cls(problem)
        for row in zip(tasks, vols, starts, departs, returns, strict=True):
            s.add(*row)
        return s

    def blocking(self, vol: int, lo: int, hi: int) -> list[int]:
        """Tasks of ``vol`` whose occupied time meets ``[lo, hi)``."""
        return [t for a, b, t in self.busy.get(vol, ()) if a < hi and lo < b]

    def week_tasks(self, vol: int, week: int) -> list[int]:
        """Tasks of ``vol`` in ISO week ``week`` of the horizon."""
        tw = self.problem.task_week
        return [t for _, _, t in self.busy.get(vol, ()) if t >= 0 and int(tw[t]) == week]
