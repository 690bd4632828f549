"""Outings of the trips engine as plan tables: ``plan.trips`` and the ride rows.

One row of ``plan.trips`` per stop of an outing, in order: ``depart`` (home),
``pickup`` and ``dropoff`` of residents, ``return`` (home). A ride's
assignment row names its outing (``trip_id``) and which way it covers
(``leg``: ``both``, ``out`` or ``back``); its ``depart`` and ``return`` are
the outing's, and its ``travel_km`` an equal share (per way) of the outing's km.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from matchkracht.plan.metrics import Rows
from matchkracht.problem.core import KINDS, MINUTES_PER_DAY, IntArray, Problem
from matchkracht.problem.occupancy import covered_tasks, weekly_use
from matchkracht.problem.trips import TripDay, trip_rides
from matchkracht.solver.trips.day import TripsDaySolution

__all__ = ["TRIP_COLUMNS", "TripTables", "trip_tables"]

TRIP_COLUMNS = [
    "trip_id", "volunteer_id", "seq", "stop", "task_id", "place_id",
    "arrival", "departure", "on_board", "km",
]  # fmt: skip
_STOPS = ("pickup", "dropoff", "pickup", "dropoff")


@dataclass(frozen=True, eq=False)
class TripTables:
    """What :func:`trip_tables` returns.

    Attributes
    ----------
    trips
        The ``plan.trips`` table (:data:`TRIP_COLUMNS`).
    rides
        Assignment rows of the rides in outings (assignment columns plus
        ``trip_id`` and ``leg``).
    options
        The solver's options that stay as they are (everything but those rides).
    rows
        All rows as problem indices, for the metrics.
    candidates
        Per task: has a candidate (a pair, or for a ride in outings a driver).
    seconds
        Time the trips stage took.
    """

    trips: pd.DataFrame
    rides: pd.DataFrame
    options: IntArray
    rows: Rows
    candidates: npt.NDArray[np.bool_]
    seconds: float = 0.0


def trip_tables(
    problem: Problem,
    options: IntArray,
    days: list[TripDay],
    solutions: list[TripsDaySolution],
) -> TripTables:
    """Turn the outings of every day into the plan's tables."""
    p = problem
    base = pd.Timestamp(datetime.combine(p.horizon.first, datetime.min.time()))
    keep = options[~trip_rides(p)[p.opt_task[options]]]
    week_tasks, week_minutes = weekly_use(p, keep)
    week_minutes_f = week_minutes.astype(np.float64)
    covered = covered_tasks(p, keep)
    stops_out: list[dict[str, object]] = []
    rides_out: list[dict[str, object]] = []
    r_tasks, r_vols, r_helped, r_pref, r_starts, r_km = [], [], [], [], [], []
    for day, sol in zip(days, solutions, strict=True):
        midnight = base + pd.Timedelta(minutes=day.day * MINUTES_PER_DAY)

        def at(seconds: int, midnight: pd.Timestamp = midnight) -> pd.Timestamp:
            return midnight + pd.Timedelta(seconds=int(seconds))

        where: dict[tuple[int, int], tuple[str, int]] = {}  # (request, way) -> trip, legs
        info: dict[str, tuple[pd.Timestamp, pd.Timestamp, float, int]] = {}
        vol_of: dict[str, int] = {}
        date = (p.horizon.first + timedelta(days=day.day)).isoformat()
        ordered = sorted(sol.routes, key=lambda r: (r.start, p.volunteer_ids[r.volunteer]))
        for n, route in enumerate(ordered, start=1):
            v = route.volunteer
            vid = p.volunteer_ids[v]
            trip_id = f"{date}/{n}"  # no person's id in it
            km = route.meters / 1000.0
            legs = sum(1 for s in route.stops if s.node in (0, 2))
            info[trip_id] = (at(route.start), at(route.end), km, legs)
            vol_of[trip_id] = v
            w = int(day.week)
            week_tasks[v, w] += 1
            week_minutes_f[v, w] += (route.end - route.start) / 60.0
            home = day.place_keys[int(day.veh_home[route.vehicle])]
            rows: list[tuple[str, str, str, int, int, int, str]] = [
                ("depart", "", home, route.start, route.start, 0, "")
            ]
            prev = int(day.veh_home[route.vehicle])
            on_board: list[str] = []
            for s in route.stops:
                task = p.task_ids[int(day.req_task[s.request])]
                if s.node in (0, 2):
                    on_board.append(task)
                    where[(s.request, s.node // 2)] = (trip_id, legs)
                else:
                    on_board.remove(task)
                rows.append(
                    (_STOPS[s.node], task, day.place_keys[s.place], s.arrival, s.departure,
                     int(day.meters[prev, s.place]), ";".join(on_board))
                )  # fmt: skip
                prev = s.place
            end_m = int(day.meters[prev, int(day.veh_home[route.vehicle])])
            rows.append(("return", "", home, route.end, route.end, end_m, ""))
            for seq, (stop, task, place, arr, dep, m, board) in enumerate(rows):
                stops_out.append(
                    {
                        "trip_id": trip_id, "volunteer_id": vid, "seq": seq, "stop": stop,
                        "task_id": task, "place_id": place, "arrival": at(arr),
                        "departure": at(dep), "on_board": board, "km": round(m / 1000.0, 3),
                    }
                )  # fmt: skip
        for r in np.flatnonzero(sol.req_start >= 0).tolist():
            t = int(day.req_task[r])
            covered[t] = True
            start = int(day.day * MINUTES_PER_DAY + sol.req_start[r])
            ways = [where[(r, 0)]] + ([where[(r, 1)]] if (r, 1) in where else [])
            if len(ways) == 2 and ways[0][0] == ways[1][0]:
                parts = [(ways[0][0], "both", 2)]
            elif len(ways) == 2:
                parts = [(ways[0][0], "out", 1), (ways[1][0], "back", 1)]
            else:
                parts = [(ways[0][0], "out", 1)]
            for trip_id, leg, n in parts:
                depart, ret, km, legs = info[trip_id]
                v = vol_of[trip_id]
                vid = p.volunteer_ids[v]
                share = km * n / legs
                rides_out.append(
                    {
                        "task_id": p.task_ids[t],
                        "need_id": p.need_ids[p.task_need[t]],
                        "client_id": p.client_ids[p.task_client[t]],
                        "volunteer_id": vid,
                        "kind": KINDS[int(p.task_kind[t])],
                        "start": base + pd.Timedelta(minutes=start),
                        "end": base + pd.Timedelta(minutes=start + int(p.task_duration[t])),
                        "depart": depart,
                        "return": ret,
                        "travel_km": round(share, 3),
                        "trip_id": trip_id,
                        "leg": leg,
                    }
                )
                j = int(np.searchsorted(day.req_drivers[r], v))
                r_tasks.append(t)
                r_vols.append(v)
                r_helped.append(bool(day.req_helped[r][j]))
                r_pref.append(bool(day.req_preferred[r][j]))
                r_starts.append(start)
                r_km.append(share)
    trips = pd.DataFrame(stops_out, columns=TRIP_COLUMNS)
    rides = pd.DataFrame(rides_out)
    kp = p.opt_pair[keep]
    rows_all = Rows(
        tasks=np.concatenate([p.pair_task[kp], np.array(r_tasks, dtype=np.int64)]),
        vols=np.concatenate([p.pair_vol[kp], np.array(r_vols, dtype=np.int64)]),
        helped=np.concatenate([p.pair_helped[kp], np.array(r_helped, dtype=bool)]),
        preferred=np.concatenate([p.pair_preferred[kp], np.array(r_pref, dtype=bool)]),
        starts=np.concatenate([p.opt_start[keep], np.array(r_starts, dtype=np.int64)]),
        km=np.concatenate([p.pair_km[p.opt_pair[keep]], np.array(r_km, dtype=np.float64)]),
        covered=covered,
        week_tasks=week_tasks,
        week_minutes=week_minutes_f,
    )
    can = np.zeros(p.num_tasks, dtype=bool)
    can[p.pair_task] = True
    for day in days:
        for r, drivers in enumerate(day.req_drivers):
            can[int(day.req_task[r])] |= len(drivers) > 0
    return TripTables(trips, rides, keep, rows_all, can)
