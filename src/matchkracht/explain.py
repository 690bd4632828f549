"""Why a task went unmatched: the eligibility funnel, then capacity or conflict.

Reasons name ids, days and times only, never names or addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matchkracht.geo import GreatCircleTravel, TravelModel
from matchkracht.parsing import format_minutes
from matchkracht.problem import FUNNEL_STAGES, MINUTES_PER_DAY, Problem
from matchkracht.registry import Registry

__all__ = [
    "Candidates",
    "Explanation",
    "PlanState",
    "Reason",
    "TaskSpec",
    "VolunteerIndex",
    "explain_plan",
    "explain_tasks",
    "explain_unmatched",
]

IntArray = npt.NDArray[np.int64]
_DAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Reason:
    """Why one task is unmatched: a contract ``code`` and a sentence with counts."""

    code: str
    text: str
    counts: dict[str, int]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def explain_unmatched(problem: Problem, registry: Registry, options: IntArray) -> dict[int, Reason]:
    """A :class:`Reason` for every task not covered by ``options``.

    The first funnel stage (skills → languages → distance → availability →
    exclusions → strict continuity) that leaves fewer volunteers than the task
    needs gives the reason. When enough volunteers are eligible, each is
    classified against the plan: at a weekly cap (``capacity``) or busy at every
    possible start (``conflict``); the larger group names the reason.
    """
    p = problem
    counts = np.bincount(p.opt_task[options], minlength=p.num_tasks)
    uncovered = np.flatnonzero(counts < p.task_needed)
    if len(uncovered) == 0:
        return {}
    needs = registry.need_records
    # the plan's use of each volunteer: weekly use, busy intervals, care-team joins
    state = PlanState.from_options(p, options)
    pair_order = np.argsort(p.pair_task, kind="stable")
    pair_bounds = np.searchsorted(p.pair_task[pair_order], np.arange(p.num_tasks + 1))
    opt_order = np.argsort(p.opt_pair, kind="stable")
    opt_bounds = np.searchsorted(p.opt_pair[opt_order], np.arange(p.num_pairs + 1))
    out: dict[int, Reason] = {}
    for t in uncovered.tolist():
        need = needs[int(p.task_need[t])]
        k = int(p.task_needed[t])
        funnel = [int(c) for c in p.task_funnel[t]]
        fcounts = {stage: c for (stage, _), c in zip(FUNNEL_STAGES, funnel, strict=True)}
        day = _DAY[(p.horizon.first.weekday() + int(p.task_day[t])) % 7]
        when = f"{day} {format_minutes(int(p.task_window_lo[t]))}-{format_minutes(int(p.task_window_hi[t]))}"
        who = f"it needs {k} volunteers at once; " if k > 1 else ""
        failed = next((i for i, c in enumerate(funnel) if c < k), None)
        if failed is not None:
            code = FUNNEL_STAGES[failed][1]
            prev = funnel[failed - 1] if failed > 0 else p.num_volunteers
            text = who + _funnel_text(
                code, prev, funnel[failed], need.required_skills, need.languages, need.kind, when, k
            )
            out[t] = Reason(code, text[0].upper() + text[1:], fcounts)
            continue
        n_cap = n_conf = n_free = n_team = 0
        n_idx = int(p.task_need[t])
        team_cap = int(p.need_team_cap[n_idx])
        for pair in pair_order[pair_bounds[t] : pair_bounds[t + 1]].tolist():
            v = int(p.pair_vol[pair])
            w = int(p.task_week[t])
            faces = state.team.get(n_idx, set())
            if (
                team_cap >= 0
                and not p.pair_team_known[pair]
                and v not in faces
                and len(faces) >= team_cap
            ):
                n_team += 1
                continue
            if (
                state.tasks_used[v, w] + 1 > p.vol_max_tasks[v]
                or state.minutes_used[v, w] + p.pair_occupied[pair] > p.vol_max_minutes[v]
            ):
                n_cap += 1
                continue
            opts = opt_order[opt_bounds[pair] : opt_bounds[pair + 1]]
            if all(
                state.blocking(v, int(p.opt_depart[o]), int(p.opt_return[o])) for o in opts.tolist()
            ):
                n_conf += 1
            else:
                n_free += 1
        code = "capacity" if n_cap + n_team >= n_conf and n_cap + n_team > 0 else "conflict"
        eligible = funnel[-1]
        text = (
            f"{who}{_plural(eligible, 'volunteer')} could take it ({when}), but in this plan "
            f"{n_cap} {'is' if n_cap == 1 else 'are'} at their weekly cap and {n_conf} "
            f"{'is' if n_conf == 1 else 'are'} busy with other tasks at that time"
        )
        if n_team:
            text += f"; {n_team} would be a new face in a care team that is already full (max_team)"
        if n_free:
            text += (
                f"; {n_free} free {'is' if n_free == 1 else 'are'} not enough at one common start"
                if k > 1
                else f"; {n_free} {'is' if n_free == 1 else 'are'} free but the solve stopped before using them"
            )
        out[t] = Reason(
            code,
            text[0].upper() + text[1:] + ".",
            {**fcounts, "at_cap": n_cap, "busy": n_conf, "free": n_free, "team_full": n_team},
        )
    return out


def _funnel_text(
    code: str,
    before: int,
    after: int,
    skills: frozenset[str],
    languages: frozenset[str],
    kind: str,
    when: str,
    k: int,
) -> str:
    only = f"only {after}" if after else "none"
    if code == "no_skill":
        return f"{only} of {_plural(before, 'volunteer')} {'has' if after == 1 else 'have'} every required skill ({', '.join(sorted(skills))})."
    if code == "no_language":
        return f"{_plural(before, 'volunteer')} {'has' if before == 1 else 'have'} the skills, but {only} {'speaks' if after == 1 else 'speak'} {' or '.join(sorted(languages))}."
    if code == "too_far":
        place = "the client and the destination" if kind == "ride" else "the client"
        return f"{_plural(before, 'volunteer')} {'has' if before == 1 else 'have'} the skills and languages, but {only} {'lives' if after == 1 else 'live'} within their max_km of {place}."
    if code == "not_available":
        return f"{_plural(before, 'volunteer')} could come, but {only} {'is' if after == 1 else 'are'} available {when} for the whole time including travel (availability windows and unavailable dates)."
    if code == "excluded":
        return f"{_plural(before, 'volunteer')} {'is' if before == 1 else 'are'} available, but the client excludes {'them all' if after == 0 else f'all but {after}'}."
    return f"continuity is strict: {only} of the volunteers who helped this client before {'is' if after == 1 else 'are'} eligible (of {before} otherwise eligible)."


# -- exact per-task machinery: shared by fixes, signals and whocan -----------------------

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: ``max_team`` counts distinct volunteers over 4 weeks: history from this many days back.
_TEAM_PAST_DAYS = 21


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


class PlanState:
    """A plan seen per volunteer: busy intervals, weekly use, team members.

    Build with :meth:`from_options` (a solver's chosen options) or
    :meth:`from_plan` (a :class:`~matchkracht.plan.Plan`, e.g. read from CSV).
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
    def from_options(cls, problem: Problem, options: IntArray) -> PlanState:
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
    def from_plan(cls, problem: Problem, plan: Any) -> PlanState:
        """The state of a plan's ``assignments`` table."""
        p = problem
        s = cls(p)
        a = plan.assignments
        if a.empty:
            return s
        t_index = {t: i for i, t in enumerate(p.task_ids)}
        v_index = {v: i for i, v in enumerate(p.volunteer_ids)}
        base = pd.Timestamp(p.horizon.first)

        def mins(col: str) -> list[int]:
            delta = pd.to_datetime(a[col]) - base
            return [round(x) for x in (delta.dt.total_seconds() / 60).tolist()]

        starts, departs, returns = mins("start"), mins("depart"), mins("return")
        for i, (t, v) in enumerate(
            zip(a["task_id"].astype(str), a["volunteer_id"].astype(str), strict=True)
        ):
            s.add(t_index[t], v_index[v], starts[i], departs[i], returns[i])
        return s

    def blocking(self, vol: int, lo: int, hi: int) -> list[int]:
        """Tasks of ``vol`` whose occupied time meets ``[lo, hi)``."""
        return [t for a, b, t in self.busy.get(vol, ()) if a < hi and lo < b]

    def week_tasks(self, vol: int, week: int) -> list[int]:
        """Tasks of ``vol`` in ISO week ``week`` of the horizon."""
        tw = self.problem.task_week
        return [t for _, _, t in self.busy.get(vol, ()) if t >= 0 and int(tw[t]) == week]


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
        state: PlanState,
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


# -- rich explanations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """Why one task is unmatched, with the funnel's counts and the competing tasks.

    Attributes
    ----------
    task_id : str
    funnel : dict of str to int
        Volunteers in total, then left after each funnel stage.
    funnel_text : str
        The funnel in one line, e.g. ``"650 volunteers; 120 with driver; ..."``.
    at_cap, busy, free : tuple of str
        Eligible volunteers at a weekly cap, busy at every possible start, or
        free in the plan.
    competitors : tuple of (str, tuple of str)
        Per blocked eligible volunteer, the task ids in the plan that block them.
    competitors_text : str
        The same in a sentence, with the blocking tasks' priorities.
    """

    task_id: str
    funnel: dict[str, int]
    funnel_text: str
    at_cap: tuple[str, ...]
    busy: tuple[str, ...]
    free: tuple[str, ...]
    competitors: tuple[tuple[str, tuple[str, ...]], ...]
    competitors_text: str


def when_text(problem: Problem, spec: TaskSpec) -> str:
    """``"Thu 09:00-11:00"``: weekday and window of a task."""
    day = _DAY[(problem.horizon.first.weekday() + spec.day) % 7]
    return f"{day} {format_minutes(spec.lo)}-{format_minutes(spec.hi)}"


def _funnel_line(index: VolunteerIndex, cand: Candidates) -> str:
    spec = cand.spec
    c = cand.counts()
    parts = [_plural(index.n, "volunteer")]
    if spec.skills:
        parts.append(f"{c['skills']} with {'+'.join(sorted(spec.skills))}")
    if spec.languages:
        parts.append(f"{c['languages']} speak {' or '.join(sorted(spec.languages))}")
    parts.append(f"{c['distance']} within their max_km")
    parts.append(f"{c['availability']} free {when_text(index.problem, spec)} incl. travel")
    if c["exclusions"] != c["availability"]:
        parts.append(f"{c['exclusions']} not excluded by the client")
    if c["continuity"] != c["exclusions"]:
        parts.append(f"{c['continuity']} who helped before (strict continuity)")
    return "; ".join(parts)


def explain_tasks(
    index: VolunteerIndex, state: PlanState, tasks: list[int] | IntArray
) -> list[Explanation]:
    """An :class:`Explanation` for each of ``tasks`` against the plan in ``state``.

    Parameters
    ----------
    index
        The volunteers and clients of the problem.
    state
        The plan.
    tasks
        Problem task indices (normally the unmatched ones).
    """
    p = index.problem
    out: list[Explanation] = []
    for t in np.asarray(tasks, dtype=np.int64).tolist():
        spec = index.spec_of_task(t)
        cand = index.candidates(spec)
        elig = np.flatnonzero(cand.eligible)
        fit: BoolArray = np.asarray(index.fit(cand, state, elig).any(axis=1), dtype=bool)
        at_cap: list[int] = []
        busy: list[int] = []
        free: list[int] = []
        blockers: dict[int, list[int]] = {}
        for i, v in enumerate(elig.tolist()):
            if fit[i]:
                free.append(v)
                continue
            occ = int(spec.duration + cand.out_min[v] + cand.back_min[v])
            capped = (
                state.tasks_used[v, spec.week] + 1 > index.max_tasks[v]
                or state.minutes_used[v, spec.week] + occ > index.max_minutes[v]
            )
            if capped:  # as in explain_unmatched: a capped volunteer counts as at cap
                at_cap.append(v)
                blockers[v] = state.week_tasks(v, spec.week)
            else:
                busy.append(v)
                s = cand.starts[cand.avail[v]]
                lo = int(s.min() - cand.out_min[v]) if len(s) else 0
                hi = int(s.max() + spec.duration + cand.back_min[v]) if len(s) else 0
                blockers[v] = state.blocking(v, lo, hi)
        funnel = {"volunteers": index.n, **cand.counts()}
        text = _funnel_line(index, cand)
        if len(elig):
            text += (
                f"; of these {len(at_cap)} at their weekly cap, {len(busy)} busy at that time, "
                f"{len(free)} free"
            )
        ranked = sorted(
            blockers.items(),
            key=lambda kv: (len(kv[1]), -max((int(p.task_priority[b]) for b in kv[1]), default=9)),
        )
        comps = tuple(
            (index.vol_ids[v], tuple(p.task_ids[b] for b in bl)) for v, bl in ranked if bl
        )
        shown = []
        for v, bl in ranked[:5]:
            if not bl:
                continue
            why = "at cap with" if v in at_cap else "busy with"
            tasks_txt = ", ".join(
                f"{p.task_ids[b]} (priority {int(p.task_priority[b])})" for b in bl
            )
            shown.append(f"{index.vol_ids[v]} {why} {tasks_txt}")
        ctext = "; ".join(shown)
        if len(ranked) > 5:
            ctext += f"; and {len(ranked) - 5} more"
        out.append(
            Explanation(
                p.task_ids[t],
                funnel,
                text,
                tuple(index.vol_ids[v] for v in at_cap),
                tuple(index.vol_ids[v] for v in busy),
                tuple(index.vol_ids[v] for v in free),
                comps,
                ctext,
            )
        )
    return out


def problem_for_plan(registry: Registry, plan: Any, travel: TravelModel | None = None) -> Problem:
    """Rebuild the :class:`Problem` a plan was made for, from its metadata."""
    from matchkracht.horizon import Horizon
    from matchkracht.problem import build_problem

    hz = Horizon.parse(f"{plan.metadata['first_day']}..{plan.metadata['last_day']}")
    return build_problem(
        registry, hz, grid=int(plan.metadata.get("grid_minutes", 5)), travel=travel
    )


#: Columns :func:`explain_plan` adds after the contract's ``unmatched`` columns.
EXPLAIN_COLUMNS = [
    "funnel", "at_cap", "busy", "free", "competitors",
    "fix_kind", "fix", "fix_verified", "fix_changes",
]  # fmt: skip


def explain_plan(
    registry: Registry,
    plan: Any,
    *,
    problem: Problem | None = None,
    travel: TravelModel | None = None,
    fixes: bool = True,
    resolve: bool = True,
    verify: bool = False,
) -> pd.DataFrame:
    """Every unmatched task of ``plan`` with its funnel, competitors and a verified fix.

    Parameters
    ----------
    registry
        The registry the plan was made for.
    plan
        A :class:`~matchkracht.plan.Plan`.
    problem
        The problem it was solved from (rebuilt from the plan's metadata if omitted).
    travel
        The travel model, if not the default.
    fixes
        Also search the smallest verified change that covers each task
        (:func:`matchkracht.fixes.find_fix`).
    resolve
        Let the fix search move one other task (a local re-solve).
    verify
        Also apply every fix to a copy of the registry and plan and run
        :func:`matchkracht.check` on the result (slower; exact checks are the default).

    Returns
    -------
    pandas.DataFrame
        ``plan.unmatched``'s columns, then ``funnel, at_cap, busy, free,
        competitors, fix_kind, fix, fix_verified, fix_changes``. Ids only.
    """
    p = problem if problem is not None else problem_for_plan(registry, plan, travel)
    index = VolunteerIndex(p, registry, travel)
    state = PlanState.from_plan(p, plan)
    t_index = {t: i for i, t in enumerate(p.task_ids)}
    u = plan.unmatched.copy().reset_index(drop=True)
    tasks = [t_index[str(t)] for t in u["task_id"]]
    exps = explain_tasks(index, state, tasks)
    u["funnel"] = [e.funnel_text for e in exps]
    u["at_cap"] = [len(e.at_cap) for e in exps]
    u["busy"] = [len(e.busy) for e in exps]
    u["free"] = [len(e.free) for e in exps]
    u["competitors"] = [e.competitors_text for e in exps]
    if fixes:
        from matchkracht.fixes import find_fix, verify_fix

        found = [find_fix(index, state, t, resolve=resolve) for t in tasks]
        u["fix_kind"] = [f.kind for f in found]
        u["fix"] = [f.text for f in found]
        if verify:
            u["fix_verified"] = [
                ""
                if f.kind == "none"
                else f.verified_by
                + ("+check" if verify_fix(registry, plan, f, p, travel) else "+check FAILED")
                for f in found
            ]
        else:
            u["fix_verified"] = [f.verified_by for f in found]
        u["fix_changes"] = [f.changes_text() for f in found]
    else:
        for col in EXPLAIN_COLUMNS[5:]:
            u[col] = ""
    return pd.DataFrame(u)
