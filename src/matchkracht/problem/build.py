"""From registry to a frozen, integer-indexed problem for the solvers.

:func:`build_problem` expands needs into the horizon's tasks, filters the
(task, volunteer) pairs that could possibly be chosen (skills, languages,
distance, availability, unavailable dates, exclusions, strict continuity), and
lists for each pair the start times on the grid at which the volunteer's whole
occupied time fits in one of their availability windows. Only these *options*
become solver variables, so the model grows with real candidates, not with
volunteers × tasks.

All times in a :class:`Problem` are integer minutes; absolute times count from
the horizon's first day at 00:00.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from matchkracht.data.geo import GreatCircleTravel, TravelModel
from matchkracht.data.horizon import Horizon
from matchkracht.data.registry import Registry
from matchkracht.errors import InvalidSettingsError
from matchkracht.problem.core import (
    CONTINUITY_CODES,
    FUNNEL_STAGES,
    KINDS,
    MINUTES_PER_DAY,
    PRIORITY_WEIGHTS,
    TEAM_WINDOW_DAYS,
    BoolArray,
    FloatArray,
    IntArray,
    Problem,
    frozen,
)
from matchkracht.problem.eligibility import Volunteers, reachable, trips

__all__ = ["PastHelp", "build_problem", "dominated_options", "past_help"]


@dataclass(frozen=True)
class PastHelp:
    """What the history before a horizon says, by problem index.

    Attributes
    ----------
    helped : dict
        Per client, the volunteers who helped them before the horizon.
    team : dict
        Per need id, the volunteers who helped with it in the care-team window
        before the horizon (:data:`~matchkracht.problem.core.TEAM_WINDOW_DAYS`).
    recent : numpy.ndarray
        Per volunteer, the tasks done in that window.
    """

    helped: dict[int, set[int]]
    team: dict[str, set[int]]
    recent: IntArray


def past_help(
    registry: Registry, first: date, vol_index: dict[str, int], client_index: dict[str, int]
) -> PastHelp:
    """The :class:`PastHelp` of ``registry``'s history before the day ``first``."""
    recent = np.zeros(len(vol_index), dtype=np.int64)
    helped: dict[int, set[int]] = {}
    team: dict[str, set[int]] = {}
    team_from = first - timedelta(days=TEAM_WINDOW_DAYS - 7)
    for h in registry.history_records:
        if h.date < first:
            v = vol_index[h.volunteer_id]
            helped.setdefault(client_index[h.client_id], set()).add(v)
            if h.date >= team_from:
                team.setdefault(h.need_id, set()).add(v)
                recent[v] += 1
    return PastHelp(helped, team, recent)


logger = logging.getLogger("matchkracht")


def dominated_options(
    opt_pair: IntArray,
    opt_group: IntArray,
    depart: IntArray,
    ret: IntArray,
    fixed: BoolArray,
) -> BoolArray:
    """Start options that another start of the same pair dominates.

    Options must be sorted by pair, then start. Within one (volunteer, day)
    group, the options of *other* tasks that an option ``[depart, return)``
    overlaps are exactly those with ``return_j > depart`` and ``depart_j <
    return``, so the option's conflict set is fixed by two counts: ``r`` (other
    returns at or before its departure) and ``d`` (other departures before its
    return). Moving a start later can only drop conflicts on the left and add
    them on the right: a later option with the same ``d`` conflicts with a
    subset, and so does an earlier one with the same ``r``. Any plan using a
    dominated option stays feasible, with the same value, when it uses the
    dominating one instead (all objectives are per pair), so pruning is exact.
    Options of tasks needing several volunteers (``fixed``) are kept: their
    start must be common to the team.

    Returns
    -------
    numpy.ndarray of bool
        True for options that can be dropped.
    """
    n = len(opt_pair)
    big = np.int64(4 * MINUTES_PER_DAY * 64)

    def count(group: IntArray, times: IntArray, probe: IntArray, side: str) -> IntArray:
        keys = np.sort(group * big + times)
        lo = np.searchsorted(keys, group * big, side="left")
        hi = np.searchsorted(keys, group * big + probe, side=side)  # type: ignore[call-overload]
        return np.asarray(hi - lo, dtype=np.int64)

    r = count(opt_group, ret, depart, "right") - count(opt_pair, ret, depart, "right")
    d = count(opt_group, depart, ret, "left") - count(opt_pair, depart, ret, "left")
    same_next = np.zeros(n, dtype=bool)
    same_next[:-1] = opt_pair[1:] == opt_pair[:-1]
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = same_next[:-1]
    d_next = np.zeros(n, dtype=bool)
    d_next[:-1] = (d[1:] == d[:-1]) & (r[1:] != r[:-1])
    r_prev = np.zeros(n, dtype=bool)
    r_prev[1:] = r[1:] == r[:-1]
    return np.asarray(((same_next & d_next) | (same_prev & r_prev)) & ~fixed)


def build_problem(
    registry: Registry,
    horizon: Horizon | str,
    *,
    grid: int = 5,
    travel: TravelModel | None = None,
    prune: bool = True,
    previous: pd.DataFrame | None = None,
    locked: pd.DataFrame | None = None,
    forbid: Iterable[tuple[str, str]] = (),
    skip_tasks: Iterable[str] = (),
) -> Problem:
    """Expand needs into tasks and list every feasible option.

    Parameters
    ----------
    registry
        The validated registry.
    horizon
        A :class:`~matchkracht.data.horizon.Horizon` or its text (``"2026-W49"``,
        ``"2026-12-01..2026-12-07"``).
    grid
        Start times are whole multiples of this many minutes (default 5).
    travel
        Distances and travel times; default great-circle × 1.3 at 40 km/h.
        Travel times are rounded up to whole minutes.
    prune
        Drop dominated start options (see :func:`dominated_options`); exact:
        the best plan keeps its value.
    previous
        Assignments of an earlier plan (``task_id, volunteer_id, start``): the
        options they used are marked (``opt_previous``) for the stability tier
        of re-planning and never pruned.
    locked
        Assignments (same columns) that must stay as they are
        (``opt_locked``); those no longer possible are listed in
        ``meta["unlockable"]``.
    forbid
        ``(task_id, volunteer_id)`` pairs that may not be matched (a declined task).
    skip_tasks
        Task ids to leave out of the horizon (a withdrawn occurrence).

    Returns
    -------
    Problem
    """
    if not isinstance(grid, int) or isinstance(grid, bool) or not 1 <= grid <= 60:
        raise InvalidSettingsError(
            f"The 'grid' parameter of build_problem must be an int in [1, 60]; got {grid!r} instead."
        )
    hz = Horizon.parse(horizon)
    travel = travel or GreatCircleTravel()
    vols = registry.volunteer_records
    clients = registry.client_records
    needs = registry.need_records
    days = hz.days

    vol_ids = tuple(v.volunteer_id for v in vols)
    vol_index = {vid: i for i, vid in enumerate(vol_ids)}
    client_ids = tuple(c.client_id for c in clients)
    client_index = {cid: i for i, cid in enumerate(client_ids)}
    pool = Volunteers.from_records(vols, days)
    vol_key = pool.key

    forbidden: dict[str, set[int]] = {}
    for task_id, vid in forbid:
        if vid in vol_index:
            forbidden.setdefault(task_id, set()).add(vol_index[vid])
    skipped = set(skip_tasks)
    past = past_help(registry, hz.first, vol_index, client_index)
    helped, team, recent = past.helped, past.team, past.recent
    weeks = hz.iso_weeks()

    t_need: list[int] = []
    t_client: list[int] = []
    t_day: list[int] = []
    t_week: list[int] = []
    t_lo: list[int] = []
    t_hi: list[int] = []
    t_dur: list[int] = []
    t_prio: list[int] = []
    t_needed: list[int] = []
    t_kind: list[int] = []
    t_cont: list[int] = []
    t_funnel: list[list[int]] = []
    task_ids: list[str] = []
    forbidden_pairs: list[tuple[int, int]] = []
    p_task: list[IntArray] = []
    p_vol: list[IntArray] = []
    p_out: list[IntArray] = []
    p_back: list[IntArray] = []
    p_km: list[FloatArray] = []
    o_pair: list[IntArray] = []
    o_start: list[IntArray] = []
    num_pairs = 0

    for n_idx, need in enumerate(needs):
        occurrences = need.occurrences(hz.first, hz.last)
        if not occurrences:
            continue
        c_idx = client_index[need.client_id]
        client = clients[c_idx]
        c_ll = np.array([client.lat, client.lon], dtype=np.float64)
        dest = None
        if need.kind == "ride" and need.dest_lat is not None and need.dest_lon is not None:
            dest = (need.need_id, np.array([need.dest_lat, need.dest_lon], dtype=np.float64))
        trip = trips(travel, vol_key, pool.ll, client.client_id, c_ll, dest)
        reach = reachable(pool, trip, need.required_skills, need.languages)
        excluded = [vol_index[v] for v in client.excluded_volunteers]
        helpers = (
            sorted(helped[c_idx]) if need.continuity == "strict" and helped.get(c_idx) else None
        )
        dur = need.duration_min
        for day in occurrences:
            task_id = f"{need.need_id}@{day.isoformat()}"
            if task_id in skipped:
                continue
            d_idx = (day - hz.first).days
            t_idx = len(task_ids)
            task_ids.append(task_id)
            t_need.append(n_idx)
            t_client.append(c_idx)
            t_day.append(d_idx)
            t_week.append(weeks.index(day.isocalendar()[:2]))
            t_lo.append(need.window[0])
            t_hi.append(need.window[1])
            t_dur.append(dur)
            t_prio.append(need.priority)
            t_needed.append(need.volunteers_needed)
            t_kind.append(KINDS.index(need.kind))
            t_cont.append(CONTINUITY_CODES[need.continuity])
            declined = sorted(forbidden.get(task_id, ()))
            forbidden_pairs.extend((t_idx, v) for v in declined)
            f = reach.on_day(
                d_idx, need.window[0], need.window[1], dur, grid,
                excluded=excluded + declined, helpers=helpers,
            )  # fmt: skip
            t_funnel.append(f.counts())
            pv, pair_of_opt, ks = f.options()
            if len(pv) == 0:
                continue
            p_task.append(np.full(len(pv), t_idx, dtype=np.int64))
            p_vol.append(pv)
            p_out.append(trip.out_min[pv])
            p_back.append(trip.back_min[pv])
            p_km.append(trip.km[pv])
            o_pair.append(pair_of_opt + num_pairs)
            o_start.append(ks + d_idx * MINUTES_PER_DAY)
            num_pairs += len(pv)

    def cat(parts: list[Any], dtype: Any) -> Any:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    pair_task = cat(p_task, np.int64)
    pair_vol = cat(p_vol, np.int64)
    pair_out = cat(p_out, np.int64)
    pair_back = cat(p_back, np.int64)
    task_duration = np.array(t_dur, dtype=np.int64)
    opt_pair = cat(o_pair, np.int64)
    opt_start = cat(o_start, np.int64)
    task_client = np.array(t_client, dtype=np.int64)
    num_options_all = len(opt_pair)
    task_pos = {t: i for i, t in enumerate(task_ids)}

    def mark(frame: pd.DataFrame | None) -> tuple[BoolArray, list[str]]:
        hits = np.zeros(len(opt_pair), dtype=bool)
        missing: list[str] = []
        if frame is None or len(frame) == 0:
            return hits, missing
        base = pd.Timestamp(hz.first)
        lookup = {
            (int(pair_task[pp]), int(pair_vol[pp]), int(s)): i
            for i, (pp, s) in enumerate(zip(opt_pair.tolist(), opt_start.tolist(), strict=True))
        }
        for rec in frame[["task_id", "volunteer_id", "start"]].itertuples(index=False):
            start = int((pd.Timestamp(rec[2]) - base).total_seconds() // 60)
            key = (task_pos.get(str(rec[0]), -1), vol_index.get(str(rec[1]), -1), start)
            if key in lookup:
                hits[lookup[key]] = True
            else:
                missing.append(f"{rec[0]}/{rec[1]}")
        return hits, missing

    prev_mask, _ = mark(previous)
    lock_mask, unlockable = mark(locked)
    if prune and len(opt_pair):
        opt_depart_all = opt_start - pair_out[opt_pair]
        opt_return_all = opt_start + task_duration[pair_task[opt_pair]] + pair_back[opt_pair]
        keep = ~dominated_options(
            opt_pair,
            pair_vol[opt_pair] * max(len(days), 1) + opt_start // MINUTES_PER_DAY,
            opt_depart_all,
            opt_return_all,
            (np.array(t_needed, dtype=np.int64)[pair_task[opt_pair]] > 1) | prev_mask | lock_mask,
        )
        opt_pair, opt_start = opt_pair[keep], opt_start[keep]
        prev_mask, lock_mask = prev_mask[keep], lock_mask[keep]
    helped_pairs = np.zeros(len(pair_task), dtype=bool)
    pref_pairs = np.zeros(len(pair_task), dtype=bool)
    known_pairs = np.zeros(len(pair_task), dtype=bool)
    task_need_arr = np.array(t_need, dtype=np.int64)
    for p, (t, v) in enumerate(zip(pair_task.tolist(), pair_vol.tolist(), strict=True)):
        c = int(task_client[t])
        helped_pairs[p] = v in helped.get(c, ())
        pref_pairs[p] = vol_ids[v] in clients[c].preferred_volunteers
        known_pairs[p] = v in team.get(needs[int(task_need_arr[t])].need_id, ())
    team_cap = [
        -1 if n.max_team is None else max(n.max_team - len(team.get(n.need_id, ())), 0)
        for n in needs
    ]
    problem = Problem(
        horizon=hz,
        grid=grid,
        volunteer_ids=vol_ids,
        client_ids=client_ids,
        need_ids=tuple(n.need_id for n in needs),
        task_ids=tuple(task_ids),
        num_weeks=len(weeks),
        task_need=frozen(t_need, np.int64),
        task_client=frozen(task_client, np.int64),
        task_day=frozen(t_day, np.int64),
        task_week=frozen(t_week, np.int64),
        task_window_lo=frozen(t_lo, np.int64),
        task_window_hi=frozen(t_hi, np.int64),
        task_duration=frozen(task_duration, np.int64),
        task_priority=frozen(t_prio, np.int64),
        task_weight=frozen([PRIORITY_WEIGHTS[p] for p in t_prio], np.int64),
        task_needed=frozen(t_needed, np.int64),
        task_kind=frozen(t_kind, np.int64),
        task_continuity=frozen(t_cont, np.int64),
        task_funnel=frozen(
            np.array(t_funnel, dtype=np.int64).reshape(-1, len(FUNNEL_STAGES)), np.int64
        ),
        need_team_cap=frozen(team_cap, np.int64),
        task_ll=frozen(
            np.array(
                [[clients[c].lat, clients[c].lon] for c in t_client], dtype=np.float64
            ).reshape(-1, 2),
            np.float64,
        ),
        vol_ll=frozen(pool.ll, np.float64),
        vol_max_tasks=frozen([v.max_tasks_per_week for v in vols], np.int64),
        vol_max_minutes=frozen(
            [math.floor(v.max_hours_per_week * 60 + 1e-9) for v in vols], np.int64
        ),
        pair_task=frozen(pair_task, np.int64),
        pair_vol=frozen(pair_vol, np.int64),
        pair_out=frozen(pair_out, np.int64),
        pair_back=frozen(pair_back, np.int64),
        pair_occupied=frozen(pair_out + task_duration[pair_task] + pair_back, np.int64),
        pair_km=frozen(cat(p_km, np.float64), np.float64),
        pair_helped=frozen(helped_pairs, bool),
        pair_preferred=frozen(pref_pairs, bool),
        pair_team_known=frozen(known_pairs, bool),
        vol_recent_tasks=frozen(recent, np.int64),
        opt_pair=frozen(opt_pair, np.int64),
        opt_start=frozen(opt_start, np.int64),
        opt_depart=frozen(opt_start - pair_out[opt_pair], np.int64),
        opt_return=frozen(
            opt_start + task_duration[pair_task[opt_pair]] + pair_back[opt_pair], np.int64
        ),
        opt_previous=frozen(prev_mask, bool),
        opt_locked=frozen(lock_mask, bool),
        forbidden=frozen(np.array(forbidden_pairs, dtype=np.int64).reshape(-1, 2), np.int64),
        meta={
            "travel": type(travel).__name__,
            "options_before_pruning": num_options_all,
            "unlockable": unlockable,
        },
    )
    logger.info("problem built: %s", problem.summary())
    return problem
