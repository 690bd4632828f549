"""Exact per-task machinery shared by explanations, fixes, signals and who-can.

A :class:`VolunteerIndex` holds the volunteers and clients as arrays so that one
task, existing or hypothetical (:class:`TaskSpec`), is checked against everyone
at once; :class:`Candidates` is the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from matchkracht.data.geo import GreatCircleTravel, TravelModel
from matchkracht.data.horizon import Horizon
from matchkracht.data.parsing import format_minutes
from matchkracht.data.registry import Registry
from matchkracht.plan.reasons import DAY_NAMES
from matchkracht.problem.build import build_problem
from matchkracht.problem.core import MINUTES_PER_DAY, BoolArray, FloatArray, IntArray, Problem
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

    Parameters
    ----------
    problem
        The problem the plan was made for (horizon, grid, caps, team rules).
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
        self.vol_ids = tuple(v.volunteer_id for v in vols)
        self.vol_index = {v: i for i, v in enumerate(self.vol_ids)}
        n = len(vols)
        self.n = n
        self.vol_key = np.array(self.vol_ids, dtype=object)
        self.vol_ll = np.array([[v.lat, v.lon] for v in vols], dtype=np.float64).reshape(n, 2)
        self.vol_skills = [v.skills for v in vols]
        self.vol_langs = [v.languages for v in vols]
        self.max_km = np.array([v.max_km for v in vols], dtype=np.float64)
        self.max_tasks = np.asarray(problem.vol_max_tasks)
        self.max_minutes = np.asarray(problem.vol_max_minutes)
        self.unavailable = np.array(
            [[v.is_unavailable(d) for d in hz.days] for v in vols], dtype=bool
        ).reshape(n, hz.num_days)
        win = [(i, w.day, w.start, w.end) for i, v in enumerate(vols) for w in v.availability]
        arr = np.array(win, dtype=np.int64).reshape(-1, 4)
        self.win_vol, self.win_dow, self.win_lo, self.win_hi = (np.asarray(c) for c in arr.T)
        clients = registry.client_records
        self.client_ids = tuple(c.client_id for c in clients)
        self.client_index = {c: i for i, c in enumerate(self.client_ids)}
        self.client_ll = np.array([[c.lat, c.lon] for c in clients], dtype=np.float64)
        self.excluded = [[self.vol_index[v] for v in c.excluded_volunteers] for c in clients]
        self.helped: dict[int, set[int]] = {}
        for h in registry.history_records:
            if h.date < hz.first:
                self.helped.setdefault(self.client_index[h.client_id], set()).add(
                    self.vol_index[h.volunteer_id]
                )
        #: clients whom someone helped before (strict continuity applies to them)
        self.helped_any = {c for c, vs in self.helped.items() if vs}
        self.need_index = {nid: i for i, nid in enumerate(problem.need_ids)}

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

        The same rules as :func:`~matchkracht.problem.build_problem`, for one task.
        """
        lo = spec.lo if lo is None else lo
        hi = spec.hi if hi is None else hi
        cont = spec.continuity if continuity is None else continuity
        tr, n, g = self.travel, self.n, self.grid
        c_ll = self.client_ll[spec.client]
        c_key = self.client_ids[spec.client]
        km_hc = np.asarray(tr.km(self.vol_key, self.vol_ll, c_key, c_ll), dtype=np.float64)
        km_ch = np.asarray(tr.km(c_key, c_ll, self.vol_key, self.vol_ll), dtype=np.float64)
        min_hc = np.asarray(tr.minutes(self.vol_key, self.vol_ll, c_key, c_ll), dtype=np.float64)
        min_ch = np.asarray(tr.minutes(c_key, c_ll, self.vol_key, self.vol_ll), dtype=np.float64)
        reach, out_km, back_km, out_m, back_m = km_hc, km_hc, km_ch, min_hc, min_ch
        if spec.dest is not None:
            d_ll = np.array(spec.dest, dtype=np.float64)
            km_cd = float(tr.km(c_key, c_ll, spec.need_id, d_ll))
            km_dc = float(tr.km(spec.need_id, d_ll, c_key, c_ll))
            reach = np.maximum(km_hc, tr.km(self.vol_key, self.vol_ll, spec.need_id, d_ll))
            out_km, back_km = km_hc + km_cd, km_dc + km_ch
            out_m = min_hc + float(tr.minutes(c_key, c_ll, spec.need_id, d_ll))
            back_m = float(tr.minutes(spec.need_id, d_ll, c_key, c_ll)) + min_ch
        out_i = np.ceil(np.asarray(out_m) - 1e-9).astype(np.int64)
        back_i = np.ceil(np.asarray(back_m) - 1e-9).astype(np.int64)
        s1 = np.fromiter((spec.skills <= s for s in self.vol_skills), bool, n)
        s2 = s1 & (
            np.fromiter((bool(spec.languages & s) for s in self.vol_langs), bool, n)
            if spec.languages
            else True
        )
        s3 = s2 & (reach <= self.max_km + 1e-9)
        lo_g, hi_g = -(-lo // g) * g, (hi // g) * g
        day0 = spec.day * MINUTES_PER_DAY
        starts = np.arange(lo_g, hi_g + 1, g, dtype=np.int64) + day0
        avail = np.zeros((n, len(starts)), dtype=bool)
        dow = (self.problem.horizon.first.weekday() + spec.day) % 7
        w = np.flatnonzero(s3[self.win_vol] & (self.win_dow == dow))
        w = w[~self.unavailable[self.win_vol[w], spec.day]]
        if len(w) and len(starts):
            wv = self.win_vol[w]
            rel = starts - day0
            ok = (rel[None, :] >= (self.win_lo[w] + out_i[wv])[:, None]) & (
                rel[None, :] <= (self.win_hi[w] - spec.duration - back_i[wv])[:, None]
            )
            np.logical_or.at(avail, wv, ok)
        s4: BoolArray = np.asarray(avail.any(axis=1), dtype=bool)
        s5: BoolArray = s4.copy()
        s5[self.excluded[spec.client]] = False
        s6 = s5
        if cont == "strict" and spec.client in self.helped_any:
            s6 = np.zeros(n, dtype=bool)
            s6[list(self.helped.get(spec.client, ()))] = True
            s6 &= s5
        stages = [
            ("skills", s1), ("languages", s2), ("distance", s3),
            ("availability", s4), ("exclusions", s5), ("continuity", s6),
        ]  # fmt: skip
        return Candidates(
            spec, stages, out_i, back_i, np.asarray(out_km + back_km, dtype=np.float64),
            starts, avail,
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
    """Rebuild the :class:`Problem` a plan was made for, from its metadata."""
    hz = Horizon.parse(f"{plan.metadata['first_day']}..{plan.metadata['last_day']}")
    return build_problem(
        registry, hz, grid=int(plan.metadata.get("grid_minutes", 5)), travel=travel
    )
