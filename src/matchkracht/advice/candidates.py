"""Exact per-task machinery shared by explanations, fixes, signals and who-can.

A :class:`VolunteerIndex` holds the volunteers and clients as arrays so that one
task, existing or hypothetical (:class:`TaskSpec`), is checked against everyone
at once; :class:`Candidates` is the result.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from matchkracht.data.geo import GreatCircleTravel, TravelModel
from matchkracht.data.horizon import Horizon
from matchkracht.data.models import Volunteer
from matchkracht.data.parsing import format_minutes
from matchkracht.data.registry import Registry
from matchkracht.plan.reasons import DAY_NAMES
from matchkracht.problem.build import build_problem
from matchkracht.problem.core import (
    FUNNEL_STAGES,
    MINUTES_PER_DAY,
    BoolArray,
    FloatArray,
    IntArray,
    Problem,
)
from matchkracht.problem.eligibility import Volunteers, reachable, trips
from matchkracht.problem.occupancy import Occupancy

__all__ = ["Candidates", "TaskSpec", "VolunteerIndex", "problem_for_plan", "when_text"]


@dataclass(frozen=True)
class TaskSpec:
    """One task, existing or hypothetical, as the exact checks see it.

    Times are minutes; ``day`` indexes the horizon's days, ``week`` its ISO weeks.
    """

    task_id: str
    need_id: str
    client: int
    kind: str
    day: int
    week: int
    lo: int
    hi: int
    duration: int
    skills: frozenset[str]
    languages: frozenset[str]
    needed: int = 1
    priority: int = 2
    continuity: str = "prefer"
    dest: tuple[float, float] | None = None
    task: int = -1  #: index into the problem's tasks, -1 for a new need


@dataclass
class Candidates:
    """Every volunteer checked against one task: funnel masks, travel, feasible starts.

    Attributes
    ----------
    spec : TaskSpec
    stages : list of (str, numpy.ndarray of bool)
        The cumulative eligibility funnel (stage name, mask over volunteers).
    out_min, back_min : numpy.ndarray of int
        Travel minutes home → task (via the client, for a ride) and back.
    km : numpy.ndarray of float
        Round-trip km.
    starts : numpy.ndarray of int
        The task's grid starts, absolute minutes from the horizon's first day.
    avail : numpy.ndarray of bool
        ``(volunteers, starts)``: the whole occupied time fits an availability
        window (only for volunteers that pass skills, languages and distance).
    """

    spec: TaskSpec
    stages: list[tuple[str, BoolArray]]
    out_min: IntArray
    back_min: IntArray
    km: FloatArray
    starts: IntArray
    avail: BoolArray

    @property
    def eligible(self) -> BoolArray:
        """Volunteers passing every funnel stage."""
        return self.stages[-1][1]

    def counts(self) -> dict[str, int]:
        """Volunteers left after each stage."""
        return {name: int(m.sum()) for name, m in self.stages}


class VolunteerIndex:
    """Volunteers and clients as arrays, to check one task against everyone at once.

    The checks are the problem's own eligibility funnel
    (:mod:`matchkracht.problem.eligibility`), declined pairs included.

    Parameters
    ----------
    problem
        The problem the plan was made for (horizon, grid, caps, team rules,
        declined pairs).
    registry
        Its registry.
    travel
        The travel model the problem was built with (default great-circle).
    """

    def __init__(self, problem: Problem, registry: Registry, travel: TravelModel | None = None):
        self.problem = problem
        self.registry = registry
        self.travel: TravelModel = travel or GreatCircleTravel()
        self.grid = problem.grid
        hz = problem.horizon
        vols = registry.volunteer_records
        vol_index = {v.volunteer_id: i for i, v in enumerate(vols)}
        clients = registry.client_records
        self.client_ids = tuple(c.client_id for c in clients)
        self.client_index = {c: i for i, c in enumerate(self.client_ids)}
        self.client_ll = np.array([[c.lat, c.lon] for c in clients], dtype=np.float64)
        helped: dict[int, set[int]] = {}
        for h in registry.history_records:
            if h.date < hz.first:
                helped.setdefault(self.client_index[h.client_id], set()).add(
                    vol_index[h.volunteer_id]
                )
        #: clients whom someone helped before (strict continuity applies to them)
        self.helped_any = {c for c, vs in helped.items() if vs}
        self.need_index = {nid: i for i, nid in enumerate(problem.need_ids)}
        declined: dict[int, list[int]] = {}
        for t, v in np.asarray(problem.forbidden).tolist():
            declined.setdefault(t, []).append(v)
        self._set_volunteers(
            Volunteers.from_records(vols, hz.days),
            max_tasks=np.asarray(problem.vol_max_tasks),
            max_minutes=np.asarray(problem.vol_max_minutes),
            excluded=[[vol_index[v] for v in c.excluded_volunteers] for c in clients],
            helped=helped,
            declined=declined,
        )

    def _set_volunteers(
        self,
        volunteers: Volunteers,
        *,
        max_tasks: IntArray,
        max_minutes: IntArray,
        excluded: list[list[int]],
        helped: dict[int, set[int]],
        declined: dict[int, list[int]],
    ) -> None:
        """The volunteer side of the index (the only place that sets it)."""
        self.volunteers = volunteers
        self.vol_ids = volunteers.ids
        self.n = volunteers.n
        self.max_tasks = max_tasks
        self.max_minutes = max_minutes
        #: per client, the volunteers it excludes
        self.excluded = excluded
        #: per client, the volunteers who helped before the horizon
        self.helped = helped
        #: per problem task, the volunteers who declined it
        self.declined = declined

    def with_volunteers(self, rows: Sequence[Mapping[str, Any]]) -> VolunteerIndex:
        """The same index with only ``rows`` (volunteers rows, e.g. recruits) as volunteers.

        The new volunteers have no plan, helped nobody, are excluded by no client
        and declined nothing; clients whom someone helped before keep their strict
        continuity (a recruit cannot take those tasks).
        """
        recs = [
            Volunteer.model_validate({k: v for k, v in r.items() if v is not None}) for r in rows
        ]
        new = copy.copy(self)
        new._set_volunteers(
            Volunteers.from_records(recs, self.problem.horizon.days),
            max_tasks=np.array([r.max_tasks_per_week for r in recs], dtype=np.int64),
            max_minutes=np.array(
                [math.floor(r.max_hours_per_week * 60 + 1e-9) for r in recs], dtype=np.int64
            ),
            excluded=[[] for _ in self.client_ids],
            helped={},
            declined={},
        )
        return new

    # -- specs ---------------------------------------------------------------------------
    def spec_of_task(self, task: int) -> TaskSpec:
        """The :class:`TaskSpec` of one of the problem's tasks."""
        p = self.problem
        need = self.registry.need_records[int(p.task_need[task])]
        dest = (
            (float(need.dest_lat), float(need.dest_lon))
            if need.kind == "ride" and need.dest_lat is not None and need.dest_lon is not None
            else None
        )
        return TaskSpec(
            task_id=p.task_ids[task],
            need_id=need.need_id,
            client=int(p.task_client[task]),
            kind=need.kind,
            day=int(p.task_day[task]),
            week=int(p.task_week[task]),
            lo=int(p.task_window_lo[task]),
            hi=int(p.task_window_hi[task]),
            duration=int(p.task_duration[task]),
            skills=need.required_skills,
            languages=need.languages,
            needed=int(p.task_needed[task]),
            priority=int(p.task_priority[task]),
            continuity=need.continuity,
            dest=dest,
            task=task,
        )

    # -- the funnel ----------------------------------------------------------------------
    def candidates(self, spec: TaskSpec, *, lo: int | None = None, hi: int | None = None,
                   continuity: str | None = None) -> Candidates:  # fmt: skip
        """Check every volunteer against ``spec`` (optionally with another window).

        The funnel :func:`~matchkracht.problem.build_problem` runs, for one task;
        a problem task (``spec.task >= 0``) also excludes the volunteers who
        declined it.
        """
        lo = spec.lo if lo is None else lo
        hi = spec.hi if hi is None else hi
        cont = spec.continuity if continuity is None else continuity
        vols, g = self.volunteers, self.grid
        dest = None if spec.dest is None else (spec.need_id, np.array(spec.dest, dtype=np.float64))
        trip = trips(
            self.travel, vols.key, vols.ll,
            self.client_ids[spec.client], self.client_ll[spec.client], dest,
        )  # fmt: skip
        helpers = None
        if cont == "strict" and spec.client in self.helped_any:
            helpers = sorted(self.helped.get(spec.client, ()))
        f = reachable(vols, trip, spec.skills, spec.languages).on_day(
            spec.day, lo, hi, spec.duration, g,
            excluded=self.excluded[spec.client] + self.declined.get(spec.task, []),
            helpers=helpers,
        )  # fmt: skip
        rel = np.arange(-(-lo // g) * g, (hi // g) * g + 1, g, dtype=np.int64)
        stages = [(name, m) for (name, _), m in zip(FUNNEL_STAGES, f.masks, strict=True)]
        return Candidates(
            spec, stages, trip.out_min, trip.back_min, trip.km,
            rel + spec.day * MINUTES_PER_DAY, f.available(rel),
        )  # fmt: skip

    # -- exact fit against a plan ----------------------------------------------------------
    def fit(
        self,
        cand: Candidates,
        state: Occupancy,
        vols: IntArray,
        *,
        extra_tasks: int = 0,
        extra_minutes: int = 0,
        ignore: frozenset[int] = frozenset(),
        caps: bool = True,
    ) -> BoolArray:
        """``(len(vols), starts)``: may ``vols`` serve the task at each start, all else fixed?

        Checks availability (incl. travel), overlap with the volunteer's other
        tasks in ``state`` (except those in ``ignore``), weekly caps raised by
        ``extra_tasks``/``extra_minutes`` and ``max_team``.
        """
        spec = cand.spec
        p = self.problem
        s = cand.starts
        out = np.zeros((len(vols), len(s)), dtype=bool)
        n_idx = self.need_index.get(spec.need_id, -1) if spec.task >= 0 else -1
        team_cap = int(p.need_team_cap[n_idx]) if n_idx >= 0 else -1
        for i, v in enumerate(np.asarray(vols).tolist()):
            ok = cand.avail[v].copy()
            if not ok.any():
                continue
            dep = s - cand.out_min[v]
            ret = s + spec.duration + cand.back_min[v]
            occupied = int(spec.duration + cand.out_min[v] + cand.back_min[v])
            if caps:
                w = spec.week
                n_ign = 0
                m_ign = 0
                for a, b, t in state.busy.get(v, ()):
                    if t in ignore and t >= 0 and int(p.task_week[t]) == w:
                        n_ign += 1
                        m_ign += b - a
                if state.tasks_used[v, w] - n_ign + 1 > self.max_tasks[v] + extra_tasks:
                    continue
                if (
                    state.minutes_used[v, w] - m_ign + occupied
                    > self.max_minutes[v] + extra_minutes
                ):
                    continue
            if team_cap >= 0 and v not in state.team_known.get(n_idx, set()):
                faces = state.team.get(n_idx, set())
                if v not in faces and len(faces) >= team_cap:
                    continue
            for a, b, t in state.busy.get(v, ()):
                if t in ignore or t == spec.task:
                    continue
                ok &= (ret <= a) | (dep >= b)
            out[i] = ok
        return out


def when_text(problem: Problem, spec: TaskSpec) -> str:
    """``"Thu 09:00-11:00"``: weekday and window of a task."""
    day = DAY_NAMES[(problem.horizon.first.weekday() + spec.day) % 7]
    return f"{day} {format_minutes(spec.lo)}-{format_minutes(spec.hi)}"


def problem_for_plan(registry: Registry, plan: Any, travel: TravelModel | None = None) -> Problem:
    """Rebuild the :class:`Problem` a plan was made for, from its metadata.

    A re-planned plan (``plan.metadata["replan"]``) also brings back its
    declined (task, volunteer) pairs and its withdrawn tasks.
    """
    meta = plan.metadata
    hz = Horizon.parse(f"{meta['first_day']}..{meta['last_day']}")
    replanned = meta.get("replan") or {}
    return build_problem(
        registry,
        hz,
        grid=int(meta.get("grid_minutes", 5)),
        travel=travel,
        forbid=[(str(t), str(v)) for t, v in replanned.get("declined", ())],
        skip_tasks=[str(t) for t in replanned.get("withdrawn_tasks", ())],
    )
