"""The checker's rules for rides planned as trips (``plan.trips``).

Part of :func:`matchkracht.plan.check`, and as independent of the solver: it
re-derives from the registry, the ``trips`` table and the ride rows that

- an outing leaves from and comes back to the driver's home, inside one of
  their availability windows, on a day they are available (``trip_route``,
  ``availability``, ``unavailable``);
- stops follow each other no faster than the drive between them, and each
  stop's ``km`` is that drive (``trip_time``, ``trip_km``); travel times may be
  up to one second shorter per drive than exact (the engine rounds them down);
- every pickup has its drop-off later in the same outing, at the right places
  (the resident's home, the ride's destination) (``trip_pairs``);
- the residents on board never exceed the car's ``seats`` and match the
  ``on_board`` column; a resident with ``shared = no`` rides alone (``seats``,
  ``on_board``, ``shared``);
- a ride way lasts at most ``max_ride_min`` (default 1.5 × the direct drive plus
  10 minutes, never below the direct drive), counted from the arrival at the
  pickup to the drop-off (``ride_time``);
- the resident arrives at most 30 minutes before the appointment and not after
  its start, and the way back starts between the appointment's end and
  ``return_wait_min`` later (``appointment``);
- each ride row names an outing of its volunteer with its ``depart`` and
  ``return``, and its ways are covered exactly once: ``wait`` one row ``both``,
  ``none`` one row ``out``, ``separate`` one ``both`` or an ``out`` and a ``back``
  (``trip_rows``).

The outings' occupied time and number go into the overlap and weekly-cap rules
of :func:`~matchkracht.plan.check` (an outing counts as one task).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from itertools import pairwise
from typing import Any

import pandas as pd

from matchkracht.data.models import Need, Volunteer

__all__ = ["check_trips", "trip_of"]

_EARLY_MIN = 30  # the checker's own number, on purpose (see problem.trips.EARLY_MIN)
_SECOND = 1 / 60


def trip_of(value: Any) -> str:
    """The ``trip_id`` of an assignment row's cell: ``""`` when empty or missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _minutes(a: pd.Timestamp, b: pd.Timestamp) -> float:
    return float((b - a).total_seconds() / 60)


def check_trips(
    plan: Any,
    vols: dict[str, Volunteer],
    clients: dict[str, Any],
    expected: dict[str, tuple[Need, date]],
    km: Callable[[tuple[float, float], tuple[float, float], str, str], tuple[float, float]],
    bad: Callable[..., None],
    tol: float,
) -> list[tuple[str, pd.Timestamp, pd.Timestamp, str]]:
    """Check ``plan.trips``; return its outings as ``(volunteer, depart, return, trip_id)``."""
    trips: pd.DataFrame = plan.trips
    a = plan.assignments
    rows = a[a["trip_id"].map(trip_of) != ""] if "trip_id" in a.columns else a.iloc[:0]
    places: dict[str, tuple[float, float]] = {}
    for vid, vol in vols.items():
        places[vid] = (float(vol.lat), float(vol.lon))  # type: ignore[arg-type]
    for cid, c in clients.items():
        places[cid] = (float(c.lat), float(c.lon))
    for n, _ in expected.values():
        if n.kind == "ride":
            places[n.need_id] = (float(n.dest_lat), float(n.dest_lon))  # type: ignore[arg-type]
    outings: list[tuple[str, pd.Timestamp, pd.Timestamp, str]] = []
    info: dict[str, tuple[str, pd.Timestamp, pd.Timestamp, dict[str, list[str]]]] = {}
    for trip_id, stops in trips.groupby("trip_id", sort=True):
        tid = str(trip_id)
        stops = stops.sort_values("seq")
        vid = str(stops["volunteer_id"].iloc[0])
        v = vols.get(vid)
        if v is None or stops["volunteer_id"].astype(str).nunique() != 1:
            bad("trip_route", "", vid, f"trip {tid}: unknown or several volunteers")
            continue
        recs = stops.to_dict("records")
        if (
            recs[0]["stop"] != "depart"
            or recs[-1]["stop"] != "return"
            or any(r["stop"] not in ("pickup", "dropoff") for r in recs[1:-1])
        ):
            bad("trip_route", "", vid, f"trip {tid}: must be depart, pickups/drop-offs, return")
            continue
        if str(recs[0]["place_id"]) != vid or str(recs[-1]["place_id"]) != vid:
            bad("trip_route", "", vid, f"trip {tid}: does not start and end at home")
        depart = pd.Timestamp(recs[0]["departure"])
        back = pd.Timestamp(recs[-1]["arrival"])
        day = depart.date()
        if back.date() != day:
            bad("trip_route", "", vid, f"trip {tid}: does not end on its day")
        outings.append((vid, depart, back, tid))
        if v.is_unavailable(day):
            bad("unavailable", "", vid, f"trip {tid}: volunteer unavailable on this date")
        d0 = pd.Timestamp(day)
        if not any(
            w.day == day.weekday()
            and w.start - tol <= _minutes(d0, depart)
            and _minutes(d0, back) <= w.end + tol
            for w in v.availability
        ):
            bad("availability", "", vid, f"trip {tid}: not inside one availability window")
        # drives, km, on board, seats, shared
        board: list[str] = []
        picked: dict[tuple[str, int], pd.Timestamp] = {}
        ways: dict[str, list[str]] = defaultdict(list)
        for prev, cur in pairwise(recs):
            pa, pb = str(prev["place_id"]), str(cur["place_id"])
            if pa not in places or pb not in places:
                bad("trip_route", str(cur["task_id"]), vid, f"trip {tid}: unknown place")
                continue
            k, m = km(places[pa], places[pb], pa, pb)
            if pa == pb:
                k, m = 0.0, 0.0
            if abs(float(cur["km"]) - k) > 0.01 * k + 0.01:
                bad(
                    "trip_km",
                    str(cur["task_id"]),
                    vid,
                    f"trip {tid}: {cur['km']} km, expected {k:.3f}",
                )
            dep_prev, arr = pd.Timestamp(prev["departure"]), pd.Timestamp(cur["arrival"])
            if _minutes(dep_prev, arr) < m - _SECOND - tol:
                bad(
                    "trip_time", str(cur["task_id"]), vid, f"trip {tid}: drive faster than possible"
                )
            if pd.Timestamp(cur["departure"]) < arr:
                bad("trip_time", str(cur["task_id"]), vid, f"trip {tid}: leaves before arriving")
            if cur["stop"] == "return":
                continue
            task = str(cur["task_id"])
            if task not in expected:
                bad("trip_pairs", task, vid, f"trip {tid}: not a task of this horizon")
                continue
            need, _ = expected[task]
            client = need.client_id
            if cur["stop"] == "pickup":
                way = 0 if pb == client else 1
                if pb not in (client, need.need_id) or (task, way) in picked:
                    bad("trip_pairs", task, vid, f"trip {tid}: pickup at the wrong place or twice")
                picked[(task, way)] = arr
                board.append(task)
            else:
                way = 0 if pb == need.need_id else 1
                if (task, way) not in picked or pb not in (client, need.need_id):
                    bad("trip_pairs", task, vid, f"trip {tid}: drop-off without its pickup")
                    continue
                if task in board:
                    board.remove(task)
                ways[task].append("out" if way == 0 else "back")
                _ride_rules(tid, task, vid, need, places, km, picked[(task, way)], arr, way,
                            rows, bad, tol)  # fmt: skip
            shown = [t for t in str(cur.get("on_board", "") or "").split(";") if t]
            if sorted(shown) != sorted(board):
                bad("on_board", task, vid, f"trip {tid}: on_board does not match the stops")
            if len(board) > v.seats:
                bad("seats", task, vid, f"trip {tid}: {len(board)} on board > {v.seats} seats")
            if len(board) > 1 and any(not expected[t][0].shared for t in board):
                bad("shared", task, vid, f"trip {tid}: a resident who rides alone shares the car")
        if board:
            bad("trip_pairs", board[0], vid, f"trip {tid}: pickups without drop-off")
        info[tid] = (vid, depart, back, ways)
    _rows_rules(rows, info, expected, bad)
    return outings


def _ride_rules(
    tid: str,
    task: str,
    vid: str,
    need: Need,
    places: dict[str, tuple[float, float]],
    km: Callable[[tuple[float, float], tuple[float, float], str, str], tuple[float, float]],
    picked: pd.Timestamp,
    dropped: pd.Timestamp,
    way: int,
    rows: pd.DataFrame,
    bad: Callable[..., None],
    tol: float,
) -> None:
    c, d = need.client_id, need.need_id
    a, b = (c, d) if way == 0 else (d, c)
    _, direct = km(places[a], places[b], a, b)
    limit = need.max_ride_min
    if limit is None:
        limit = math.ceil(1.5 * direct + 10 - 1e-9)
    limit = max(limit, math.ceil(direct - 1e-9))
    if _minutes(picked, dropped) > limit + tol:
        bad("ride_time", task, vid, f"trip {tid}: {_minutes(picked, dropped):.1f} min > {limit}")
    mine = rows[rows["task_id"].astype(str) == task]
    if mine.empty:
        return
    start = pd.Timestamp(mine["start"].iloc[0])
    end = start + pd.Timedelta(minutes=need.duration_min)
    if way == 0 and not (
        start - pd.Timedelta(minutes=_EARLY_MIN + tol)
        <= dropped
        <= start + pd.Timedelta(minutes=tol)
    ):
        bad(
            "appointment",
            task,
            vid,
            f"trip {tid}: not dropped off in the 30 minutes before the start",
        )
    if way == 1 and not (
        end - pd.Timedelta(minutes=tol)
        <= picked
        <= end + pd.Timedelta(minutes=need.return_wait_min + tol)
    ):
        bad(
            "appointment", task, vid, f"trip {tid}: way back outside its wait after the appointment"
        )


def _rows_rules(
    rows: pd.DataFrame,
    info: dict[str, tuple[str, pd.Timestamp, pd.Timestamp, dict[str, list[str]]]],
    expected: dict[str, tuple[Need, date]],
    bad: Callable[..., None],
) -> None:
    covered: dict[str, list[str]] = defaultdict(list)
    for rec in rows.to_dict("records"):
        task, vid, tid, leg = (str(rec[k]) for k in ("task_id", "volunteer_id", "trip_id", "leg"))
        if tid not in info or info[tid][0] != vid:
            bad("trip_rows", task, vid, f"names trip {tid}, not an outing of this volunteer")
            continue
        _, depart, back, ways = info[tid]
        if pd.Timestamp(rec["depart"]) != depart or pd.Timestamp(rec["return"]) != back:
            bad("trip_rows", task, vid, f"depart/return differ from trip {tid}")
        legs = ["out", "back"] if leg == "both" else [leg]
        if leg not in ("both", "out", "back") or any(w not in ways.get(task, []) for w in legs):
            bad("trip_rows", task, vid, f"leg {leg!r} is not driven in trip {tid}")
        covered[task] += legs
        if task in expected and expected[task][0].return_mode == "wait" and leg != "both":
            bad("trip_rows", task, vid, "return_mode wait: one driver takes both ways")
    for task, legs in covered.items():
        if task not in expected:
            continue
        want = ["out"] if expected[task][0].return_mode == "none" else ["back", "out"]
        if sorted(legs) != want:
            bad("trip_rows", task, "", f"ways {sorted(legs)} instead of {want}")
    driven = {(t, w) for _, _, _, ways in info.values() for t, ws in ways.items() for w in ws}
    for t, w in driven:
        if w not in covered.get(t, []):
            bad("trip_rows", t, "", f"way {w} is driven but no row names it")
