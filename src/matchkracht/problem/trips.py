"""Rides of one day as a pickup-and-delivery problem: requests, drivers' free time, a matrix.

The weekly plan first places every ride as a round trip (home → resident →
destination, the appointment, and back). :func:`trip_days` turns the rides of
that plan, day by day, into :class:`TripDay` arrays for the trips engine
(:mod:`matchkracht.solver.trips.weekly`), which may then share, chain and split
them:

- a **request** is one ride task needing one volunteer: the way out (pickup
  at the resident, drop-off at the destination, before the appointment) and,
  unless its ``return_mode`` is ``none``, the way back (pickup at the
  destination once the appointment is over, drop-off at home);
- a **vehicle** is one outing of a driver: home → stops → home inside a free
  interval of the day (an availability window minus the driver's other help
  in the plan). A free interval holds a few vehicles in a row, so one driver
  can make several outings in it;
- the **budgets** of a driver for the day are what their weekly caps leave
  after the rest of their week: minutes (every outing counts from leaving home
  to coming back) and outings (an outing counts as one task of
  ``max_tasks_per_week``, however many residents it carries).

Rides for more than one volunteer stay round trips. Drivers a request may
have pass the eligibility funnel (skills, wheelchair car, languages, distance,
exclusions, declined tasks, strict continuity) and are available that day
(the trips engine checks their windows); for a need with ``max_team`` only its
team (history, and the round-trip plan's drivers), so the team cannot grow. Times are
seconds from the day's midnight; travel seconds are rounded down, so that a
round trip of the plan (minutes rounded up) is always a valid outing.

numpy only, apart from reading the registry's records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from matchkracht.data.geo import TravelModel
from matchkracht.data.registry import Registry
from matchkracht.problem.build import past_help
from matchkracht.problem.core import (
    KINDS,
    MINUTES_PER_DAY,
    BoolArray,
    IntArray,
    Problem,
)
from matchkracht.problem.eligibility import Volunteers, reachable, trips

__all__ = [
    "EARLY_MIN",
    "MODES",
    "OUTINGS_PER_INTERVAL",
    "TripDay",
    "default_max_ride",
    "trip_days",
]

#: Return modes, in the order of their codes in ``TripDay.req_mode``.
MODES: tuple[str, ...] = ("wait", "separate", "none")
#: A resident is dropped at most this many minutes before the appointment.
EARLY_MIN = 30
#: At most this many outings of one driver in one free interval.
OUTINGS_PER_INTERVAL = 4
_RIDE = KINDS.index("ride")


def default_max_ride(direct_min: float) -> int:
    """The default maximum ride time: 1.5 × the direct drive plus 10 minutes (whole minutes)."""
    return math.ceil(1.5 * direct_min + 10 - 1e-9)


@dataclass(frozen=True, eq=False)
class TripDay:
    """The rides of one day and the drivers who may take them.

    Places are indexed ``0..len(place_keys)-1``: drivers' homes, residents'
    homes and destinations. Times are seconds from the day's midnight.

    Attributes
    ----------
    day, week
        Day and ISO week of the horizon.
    place_keys
        Travel keys of the places (volunteer, client or need id).
    seconds, meters
        ``(places, places)`` travel time (rounded down) and distance.
    req_task
        Task index of each request.
    req_home, req_dest
        Place of the resident and of the destination.
    req_mode
        Index into :data:`MODES`.
    req_starts
        Per request, the appointment starts it may have (minutes of the day, on
        the grid, inside its window), as a tuple of arrays.
    req_duration, req_wait
        Appointment and longest wait before the way back, seconds.
    req_max_ride
        Longest time in the car on one way, seconds.
    req_shared
        May share the car.
    req_weight
        Weight of the task (coverage).
    req_drivers
        Per request, the volunteer indices who may drive it (sorted).
    req_helped, req_preferred
        Per request, aligned with ``req_drivers``: the driver helped the
        resident before the horizon / is one of the resident's preferred volunteers.
    req_start0, req_driver0
        The round-trip plan's appointment start (minutes of the day) and
        driver, ``-1`` when the plan left the ride uncovered.
    veh_vol, veh_home, veh_lo, veh_hi, veh_seats
        Per vehicle (outing): volunteer, home place, free interval (seconds)
        and seats; vehicles of one interval are consecutive and ordered.
    veh_interval
        Free-interval number of each vehicle (outings of one interval run one
        after the other).
    driver_vol, driver_minutes, driver_outings
        Per driver of the day: volunteer, and the minutes and outings their
        weekly caps leave for this day's rides.
    driver_rt_minutes, driver_rt_rides
        Per driver, the occupied minutes and number of their round trips of
        the day in the plan (what the budgets of other days assume).
    """

    day: int
    week: int
    place_keys: tuple[str, ...]
    seconds: IntArray
    meters: IntArray
    req_task: IntArray
    req_home: IntArray
    req_dest: IntArray
    req_mode: IntArray
    req_starts: tuple[IntArray, ...]
    req_duration: IntArray
    req_wait: IntArray
    req_max_ride: IntArray
    req_shared: BoolArray
    req_weight: IntArray
    req_drivers: tuple[IntArray, ...]
    req_helped: tuple[BoolArray, ...]
    req_preferred: tuple[BoolArray, ...]
    req_start0: IntArray
    req_driver0: IntArray
    veh_vol: IntArray
    veh_home: IntArray
    veh_lo: IntArray
    veh_hi: IntArray
    veh_seats: IntArray
    veh_interval: IntArray
    driver_vol: IntArray
    driver_minutes: IntArray
    driver_outings: IntArray
    driver_rt_minutes: IntArray
    driver_rt_rides: IntArray

    @property
    def num_requests(self) -> int:
        """Number of ride requests."""
        return len(self.req_task)

    @property
    def num_vehicles(self) -> int:
        """Number of possible outings."""
        return len(self.veh_vol)


def trip_rides(problem: Problem) -> BoolArray:
    """Tasks that the trips engine plans: rides for one volunteer."""
    p = problem
    return np.asarray((p.task_kind == _RIDE) & (p.task_needed == 1))


def _free(windows: list[tuple[int, int]], busy: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of ``windows`` not covered by ``busy`` (minutes), in time order."""
    out = []
    for lo, hi in sorted(windows):
        cuts = sorted((a, b) for a, b in busy if b > lo and a < hi)
        t = lo
        for a, b in cuts:
            if a > t:
                out.append((t, a))
            t = max(t, b)
        if hi > t:
            out.append((t, hi))
    return out


def trip_days(
    problem: Problem,
    registry: Registry,
    options: IntArray,
    travel: TravelModel,
) -> list[TripDay]:
    """The days with rides of a plan, as :class:`TripDay` problems.

    Parameters
    ----------
    problem
        The weekly problem.
    registry
        The registry it was built from (availability windows, seats, ride columns).
    options
        The round-trip plan: chosen options of ``problem``.
    travel
        The problem's travel model.

    Returns
    -------
    list of TripDay
        Days with at least one ride request and one vehicle, in day order. The
        budgets assume the round-trip plan on every other day; the engine
        updates them as it goes.
    """
    p = problem
    rides = trip_rides(p)
    vols = registry.volunteer_records
    needs = registry.need_records
    clients = registry.client_records
    pool = Volunteers.from_records(vols, p.horizon.days)
    opt_task = p.opt_task[options]
    opt_vol = p.opt_vol[options]
    opt_start = p.opt_start[options]
    in_trips = rides[opt_task]
    # what the rest of the plan uses: fixed blocks, and minutes/tasks per (volunteer, week)
    fixed_min = np.zeros((p.num_volunteers, max(p.num_weeks, 1)), dtype=np.int64)
    fixed_tasks = np.zeros_like(fixed_min)
    at = (opt_vol[~in_trips], p.task_week[opt_task[~in_trips]])
    np.add.at(fixed_tasks, at, 1)
    np.add.at(fixed_min, at, p.pair_occupied[p.opt_pair[options[~in_trips]]])
    busy: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for o in options[~in_trips].tolist():
        v, t = int(p.opt_vol[o]), int(p.opt_task[o])
        d0 = int(p.task_day[t]) * MINUTES_PER_DAY
        busy.setdefault((v, int(p.task_day[t])), []).append(
            (int(p.opt_depart[o]) - d0, int(p.opt_return[o]) - d0)
        )
    chosen = {int(t): (int(v), int(s)) for t, v, s in zip(
        opt_task[in_trips].tolist(), opt_vol[in_trips].tolist(), opt_start[in_trips].tolist(),
        strict=True,
    )}  # fmt: skip
    # round-trip rides per (volunteer, week, day): occupied minutes and count
    ride_use: dict[tuple[int, int, int], tuple[int, int]] = {}
    for o in options[in_trips].tolist():
        v, t = int(p.opt_vol[o]), int(p.opt_task[o])
        k = (v, int(p.task_week[t]), int(p.task_day[t]))
        m, n = ride_use.get(k, (0, 0))
        ride_use[k] = (m + int(p.pair_occupied[p.opt_pair[o]]), n + 1)
    # history: who helped whom before the horizon, and each need's current team
    vol_index = {vid: i for i, vid in enumerate(p.volunteer_ids)}
    client_index = {cid: i for i, cid in enumerate(p.client_ids)}
    past = past_help(registry, p.horizon.first, vol_index, client_index)
    helped = past.helped
    need_index = {nid: i for i, nid in enumerate(p.need_ids)}
    known_team = {need_index[n]: vs for n, vs in past.team.items() if n in need_index}
    # the max_team needs keep the drivers of their team in the plan
    team: dict[int, set[int]] = {}
    for t, v in zip(opt_task.tolist(), opt_vol.tolist(), strict=True):
        if p.need_team_cap[p.task_need[t]] >= 0:
            team.setdefault(int(p.task_need[t]), set()).add(int(v))
    mask_of = _driver_masks(p, registry, pool, rides, travel, helped)
    days: list[TripDay] = []
    for day in sorted(set(p.task_day[rides].tolist())):
        tasks = np.flatnonzero(rides & (p.task_day == day))
        drivers_of: list[IntArray] = []
        for t in tasks.tolist():
            mask = mask_of(t)
            n = int(p.task_need[t])
            if p.need_team_cap[n] >= 0:
                allowed = np.zeros(p.num_volunteers, dtype=bool)
                allowed[sorted(team.get(n, set()) | known_team.get(n, set()))] = True
                mask &= allowed
            drivers_of.append(np.flatnonzero(mask).astype(np.int64))
        used = (chosen, ride_use, busy, fixed_min, fixed_tasks)
        days.append(
            _day(p, pool, day, tasks, drivers_of, used, vols, needs, clients, travel, helped)
        )
    return [d for d in days if d.num_requests and d.num_vehicles]


def _driver_masks(
    p: Problem,
    registry: Registry,
    pool: Volunteers,
    rides: BoolArray,
    travel: TravelModel,
    helpers: dict[int, set[int]],
) -> Any:
    """Per ride task, the volunteers who may drive it: the eligibility funnel
    (skills, wheelchair car, languages, distance, exclusions, declined tasks,
    strict continuity) with availability as a day (a window that weekday, not
    an unavailable date) instead of the round trip's whole occupied time: a
    way alone may fit where the round trip does not."""
    needs, clients = registry.need_records, registry.client_records
    vol_index = {vid: i for i, vid in enumerate(p.volunteer_ids)}
    client_index = {cid: i for i, cid in enumerate(p.client_ids)}
    on_weekday = np.zeros((pool.n, 7), dtype=bool)
    on_weekday[pool.win_vol, pool.win_dow] = True
    declined: dict[int, list[int]] = {}
    for t, v in p.forbidden.tolist():
        declined.setdefault(int(t), []).append(int(v))
    base: dict[int, BoolArray] = {}
    for n in sorted(set(p.task_need[rides].tolist())):
        need = needs[n]
        c = client_index[need.client_id]
        client = clients[c]
        c_ll = np.array([client.lat, client.lon], dtype=np.float64)
        dest = (need.need_id, np.array([need.dest_lat, need.dest_lon], dtype=np.float64))
        legs = trips(travel, pool.key, pool.ll, client.client_id, c_ll, dest)
        mask = reachable(pool, legs, need.required_skills, need.languages).masks[-1].copy()
        mask[[vol_index[v] for v in client.excluded_volunteers]] = False
        if need.continuity == "strict" and helpers.get(c):
            only = np.zeros(pool.n, dtype=bool)
            only[sorted(helpers[c])] = True
            mask &= only
        base[n] = mask

    def mask_of(t: int) -> BoolArray:
        day = int(p.task_day[t])
        m = base[int(p.task_need[t])] & ~pool.unavailable[:, day]
        m &= on_weekday[:, (pool.first_weekday + day) % 7]
        m[declined.get(t, [])] = False
        return np.asarray(m)

    return mask_of


def _day(
    p: Problem,
    pool: Volunteers,
    day: int,
    tasks: IntArray,
    drivers_of: list[IntArray],
    used: tuple[Any, ...],
    vols: Any,
    needs: Any,
    clients: Any,
    travel: TravelModel,
    helped: dict[int, set[int]],
) -> TripDay:
    """One day's :class:`TripDay`; ``used``: what the rest of the plan takes (see caller)."""
    chosen, ride_use, busy, fixed_min, fixed_tasks = used
    vix = {vid: i for i, vid in enumerate(p.volunteer_ids)}
    week = int(p.task_week[tasks[0]])
    weekday = (pool.first_weekday + day) % 7
    keys: list[str] = []
    lls: list[tuple[float, float]] = []
    index: dict[str, int] = {}

    def place(key: str, ll: tuple[float, float]) -> int:
        if key not in index:
            index[key] = len(keys)
            keys.append(key)
            lls.append(ll)
        return index[key]

    drivers = sorted({int(v) for d in drivers_of for v in d.tolist()})
    # vehicles: free intervals of each driver, a few outings each
    veh: list[tuple[int, int, int, int, int, int]] = []
    interval = 0
    rides_of: dict[int, list[int]] = {}
    for t, (v, s) in chosen.items():
        if int(p.task_day[t]) == day:
            rides_of.setdefault(v, []).append(s - day * MINUTES_PER_DAY)
    for v in drivers:
        if pool.unavailable[v, day]:
            continue
        mask = (pool.win_vol == v) & (pool.win_dow == weekday)
        windows = list(zip(pool.win_lo[mask].tolist(), pool.win_hi[mask].tolist(), strict=True))
        home = place(p.volunteer_ids[v], (float(p.vol_ll[v, 0]), float(p.vol_ll[v, 1])))
        for lo, hi in _free(windows, busy.get((v, day), [])):
            if hi - lo < 10:
                continue
            inside = sum(1 for s in rides_of.get(v, []) if lo <= s <= hi)
            for _ in range(min(inside + 1, OUTINGS_PER_INTERVAL)):
                veh.append((v, home, lo * 60, hi * 60, vols[v].seats, interval))
            interval += 1
    # requests
    r_home, r_dest, r_mode, r_dur, r_wait, r_ride, r_shared = [], [], [], [], [], [], []
    r_starts: list[IntArray] = []
    r_start0, r_driver0 = [], []
    for t in tasks.tolist():
        need = needs[int(p.task_need[t])]
        client = clients[int(p.task_client[t])]
        h = place(client.client_id, (float(client.lat), float(client.lon)))
        d = place(f"{need.need_id}", (float(need.dest_lat), float(need.dest_lon)))
        r_home.append(h)
        r_dest.append(d)
        r_mode.append(MODES.index(need.return_mode))
        lo, hi = int(p.task_window_lo[t]), int(p.task_window_hi[t])
        first = -(-lo // p.grid) * p.grid
        r_starts.append(np.arange(first, hi + 1, p.grid, dtype=np.int64))
        r_dur.append(int(p.task_duration[t]) * 60)
        r_wait.append(need.return_wait_min * 60)
        r_ride.append(need.max_ride_min)
        r_shared.append(need.shared)
        v0, s0 = chosen.get(t, (-1, -1))
        r_driver0.append(v0)
        r_start0.append(s0 - day * MINUTES_PER_DAY if s0 >= 0 else -1)
    ll = np.array(lls, dtype=np.float64).reshape(-1, 2)
    key_arr = np.array(keys, dtype=object)
    km = np.asarray(travel.km(key_arr[:, None], ll[:, None, :], key_arr[None, :], ll[None, :, :]))
    mins = np.asarray(
        travel.minutes(key_arr[:, None], ll[:, None, :], key_arr[None, :], ll[None, :, :])
    )
    np.fill_diagonal(km, 0.0)
    np.fill_diagonal(mins, 0.0)
    seconds = np.floor(mins * 60 + 1e-6).astype(np.int64)
    direct = mins[np.array(r_home, dtype=np.int64), np.array(r_dest, dtype=np.int64)]
    max_ride = [
        60 * max(m if m is not None else default_max_ride(x), math.ceil(x - 1e-9))
        for m, x in zip(r_ride, direct.tolist(), strict=True)
    ]
    # budgets: the week's caps minus the rest of the plan, minus the round trips on other days
    b_min, b_out = [], []
    for v in drivers:
        other = [(m, n) for (w, wk, dd), (m, n) in ride_use.items()
                 if w == v and wk == week and dd != day]  # fmt: skip
        b_min.append(int(p.vol_max_minutes[v] - fixed_min[v, week] - sum(m for m, _ in other)))
        b_out.append(int(p.vol_max_tasks[v] - fixed_tasks[v, week] - sum(n for _, n in other)))
    veh_arr = np.array(veh, dtype=np.int64).reshape(-1, 6)
    return TripDay(
        day=day,
        week=week,
        place_keys=tuple(keys),
        seconds=seconds,
        meters=np.round(km * 1000).astype(np.int64),
        req_task=tasks.astype(np.int64),
        req_home=np.array(r_home, dtype=np.int64),
        req_dest=np.array(r_dest, dtype=np.int64),
        req_mode=np.array(r_mode, dtype=np.int64),
        req_starts=tuple(r_starts),
        req_duration=np.array(r_dur, dtype=np.int64),
        req_wait=np.array(r_wait, dtype=np.int64),
        req_max_ride=np.array(max_ride, dtype=np.int64),
        req_shared=np.array(r_shared, dtype=bool),
        req_weight=p.task_weight[tasks].astype(np.int64),
        req_drivers=tuple(drivers_of),
        req_helped=tuple(
            np.isin(d, sorted(helped.get(int(p.task_client[t]), ())))
            for t, d in zip(tasks.tolist(), drivers_of, strict=True)
        ),
        req_preferred=tuple(
            np.isin(
                d, [vix[v] for v in clients[int(p.task_client[t])].preferred_volunteers if v in vix]
            )
            for t, d in zip(tasks.tolist(), drivers_of, strict=True)
        ),
        req_start0=np.array(r_start0, dtype=np.int64),
        req_driver0=np.array(r_driver0, dtype=np.int64),
        veh_vol=veh_arr[:, 0].copy(),
        veh_home=veh_arr[:, 1].copy(),
        veh_lo=veh_arr[:, 2].copy(),
        veh_hi=veh_arr[:, 3].copy(),
        veh_seats=veh_arr[:, 4].copy(),
        veh_interval=veh_arr[:, 5].copy(),
        driver_vol=np.array(drivers, dtype=np.int64),
        driver_minutes=np.array(b_min, dtype=np.int64),
        driver_outings=np.array(b_out, dtype=np.int64),
        driver_rt_minutes=np.array(
            [ride_use.get((v, week, day), (0, 0))[0] for v in drivers], dtype=np.int64
        ),
        driver_rt_rides=np.array(
            [ride_use.get((v, week, day), (0, 0))[1] for v in drivers], dtype=np.int64
        ),
    )
