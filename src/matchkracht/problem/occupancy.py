"""What volunteers already do: weekly use, busy intervals, care-team members.

The measures here read a set of chosen options (numpy) or an :class:`Occupancy`
built task by task; every layer above the problem (solvers, reasons, advice)
asks them instead of counting for itself. :class:`Calendar` is the solvers'
incremental form (options taken and released one at a time, on hot paths),
:class:`Prior` a snapshot of it that a part of a split solve starts from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matchkracht.problem.core import IntArray, Problem

__all__ = [
    "Calendar",
    "Occupancy",
    "Prior",
    "cap_share",
    "covered_tasks",
    "face_keys",
    "weekly_use",
]


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
        options = np.asarray(options, dtype=np.int64)
        tasks, vols = p.opt_task[options], p.opt_vol[options]
        for i, o in enumerate(options.tolist()):
            s.add(
                int(tasks[i]),
                int(vols[i]),
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


class Calendar:
    """Occupied intervals, weekly use and care-team members per volunteer.

    Tests quickly whether one more option fits next to the options taken so far.
    """

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.busy: dict[int, list[tuple[int, int]]] = {}
        self.tasks = np.zeros((problem.num_volunteers, max(problem.num_weeks, 1)), dtype=np.int64)
        self.minutes = np.zeros_like(self.tasks)
        self.team: dict[int, set[int]] = {}

    def copy(self) -> Calendar:
        """An independent copy."""
        new = Calendar(self.p)
        new.busy = {v: list(b) for v, b in self.busy.items()}
        new.tasks = self.tasks.copy()
        new.minutes = self.minutes.copy()
        new.team = {n: set(t) for n, t in self.team.items()}
        return new

    def fits(self, o: int) -> bool:
        """Whether option ``o`` breaks no cap, overlap or care-team rule."""
        p = self.p
        pair = p.opt_pair[o]
        v, t = int(p.pair_vol[pair]), int(p.pair_task[pair])
        w = int(p.task_week[t])
        if self.tasks[v, w] + 1 > p.vol_max_tasks[v]:
            return False
        if self.minutes[v, w] + p.pair_occupied[pair] > p.vol_max_minutes[v]:
            return False
        n = int(p.task_need[t])
        cap = int(p.need_team_cap[n])
        if cap >= 0 and not p.pair_team_known[pair]:
            joined = self.team.get(n, set())
            if v not in joined and len(joined) >= cap:
                return False
        a, b = int(p.opt_depart[o]), int(p.opt_return[o])
        return all(b <= c or d <= a for c, d in self.busy.get(v, ()))

    def joins(self, o: int) -> bool:
        """Whether option ``o`` would bring a newcomer into a capped care team."""
        p = self.p
        pair = p.opt_pair[o]
        n = int(p.task_need[p.pair_task[pair]])
        if p.need_team_cap[n] < 0 or p.pair_team_known[pair]:
            return False
        return int(p.pair_vol[pair]) not in self.team.get(n, set())

    def fits_together(self, options: list[int]) -> bool:
        """Whether the options of one task (a team, one volunteer each) all fit at once.

        Each must fit on its own (:meth:`fits`), and the newcomers they bring
        into the need's care team together must leave it within its cap.
        """
        return all(self.fits(o) for o in options) and self._team_room(options)

    def _team_room(self, options: list[int]) -> bool:
        """Whether the newcomers of a team's options leave its care team within its cap."""
        p = self.p
        newcomers = {int(p.opt_vol[o]) for o in options if self.joins(o)}
        if not newcomers:
            return True
        n = int(p.task_need[p.opt_task[options[0]]])
        return len(self.team.get(n, set())) + len(newcomers) <= int(p.need_team_cap[n])

    def pick_team(self, options: list[int], need: int) -> list[int] | None:
        """``need`` options of one task at one start that fit together, or ``None``.

        ``options`` in order of preference; members of the need's care team
        come before newcomers, so a capped team takes no newcomer it need not.
        """
        group = sorted((o for o in options if self.fits(o)), key=self.joins)
        if len(group) >= need and self._team_room(group[:need]):
            return group[:need]
        return None

    def take(self, o: int) -> None:
        """Record option ``o`` as chosen."""
        p = self.p
        pair = p.opt_pair[o]
        v, t = int(p.pair_vol[pair]), int(p.pair_task[pair])
        w = int(p.task_week[t])
        self.tasks[v, w] += 1
        self.minutes[v, w] += p.pair_occupied[pair]
        self.busy.setdefault(v, []).append((int(p.opt_depart[o]), int(p.opt_return[o])))
        if p.need_team_cap[p.task_need[t]] >= 0 and not p.pair_team_known[pair]:
            self.team.setdefault(int(p.task_need[t]), set()).add(v)

    def release(self, o: int) -> None:
        """Forget option ``o`` (taken before): its time and weekly use are free again.

        Care-team membership stays (a volunteer may hold other tasks of the
        need), so :meth:`fits` stays on the safe side.
        """
        p = self.p
        pair = p.opt_pair[o]
        v, t = int(p.pair_vol[pair]), int(p.pair_task[pair])
        w = int(p.task_week[t])
        self.tasks[v, w] -= 1
        self.minutes[v, w] -= p.pair_occupied[pair]
        self.busy[v].remove((int(p.opt_depart[o]), int(p.opt_return[o])))


def face_keys(problem: Problem, options: IntArray) -> tuple[IntArray, IntArray]:
    """Per option, its (client, volunteer) key and, on horizons of several weeks,
    its (need, weekday, volunteer) slot key (``-1`` where not counted)."""
    p = problem
    pairs = p.opt_pair[options]
    tasks = p.pair_task[pairs]
    vols = p.pair_vol[pairs]
    face = p.task_client[tasks] * p.num_volunteers + vols
    slot = np.full(len(options), -1, dtype=np.int64)
    if p.num_weeks > 1:
        weekday = (p.horizon.first.weekday() + p.task_day[tasks]) % 7
        recurring = p.task_continuity[tasks] > 0
        slot = np.where(recurring, (p.task_need[tasks] * 7 + weekday) * p.num_volunteers + vols, -1)
    return np.asarray(face, dtype=np.int64), np.asarray(slot, dtype=np.int64)


@dataclass
class Prior:
    """What parts solved before (of a split solve) already hold.

    Attributes
    ----------
    tasks, minutes : numpy.ndarray
        Tasks and occupied minutes per (volunteer, week) already taken.
    team : dict
        Per need, the volunteers who already joined its care team (beyond the
        known members of ``Problem.pair_team_known``).
    faces, slots : numpy.ndarray
        Familiar-face keys (see :func:`face_keys`) of the (client, volunteer)
        pairs and (need, weekday, volunteer) slots already served: serving them
        again brings no new face.
    """

    tasks: IntArray
    minutes: IntArray
    team: dict[int, set[int]]
    faces: IntArray
    slots: IntArray

    @classmethod
    def from_calendar(cls, problem: Problem, calendar: Calendar, chosen: IntArray) -> Prior:
        """The prior of the options ``chosen`` so far, recorded in ``calendar``."""
        face, slot = face_keys(problem, chosen)
        return cls(
            calendar.tasks.copy(),
            calendar.minutes.copy(),
            {n: set(t) for n, t in calendar.team.items()},
            np.unique(face),
            np.unique(slot[slot >= 0]),
        )
