"""An independent feasibility checker for plans.

:func:`check` re-derives every hard rule of the data contract from the registry
and the plan's tables alone. It shares no code with the problem builder or the
solver (distances come from geopy), so a bug there cannot hide here. Use it on
any plan, including plans edited by hand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from geopy.distance import great_circle

from matchkracht.data.geo import TravelModel
from matchkracht.data.models import Need, Volunteer
from matchkracht.data.registry import Registry
from matchkracht.plan.result import Plan
from matchkracht.plan.trip_check import check_trips, trip_of

__all__ = ["VIOLATION_COLUMNS", "check"]

VIOLATION_COLUMNS = ["rule", "task_id", "volunteer_id", "detail"]
_WEIGHTS = {1: 4, 2: 2, 3: 1}
#: ``max_team`` counts the need's helpers of the 3 weeks before the horizon
#: (a 4-week window). The checker keeps its own number on purpose: it shares no
#: code with the problem it checks (``problem.core.TEAM_WINDOW_DAYS - 7``), so a
#: wrong window there shows up here instead of being copied.
_TEAM_PAST_DAYS = 21


def _minutes(ts: Any) -> float:
    t = pd.Timestamp(ts)
    return t.hour * 60 + t.minute + t.second / 60


def check(
    registry: Registry,
    plan: Plan,
    *,
    road_factor: float = 1.3,
    speed_kmh: float = 40.0,
    travel: TravelModel | None = None,
    tol_minutes: float = 1e-6,
) -> pd.DataFrame:
    """Every way ``plan`` breaks a hard rule of the data contract.

    Parameters
    ----------
    registry
        The registry the plan was made for.
    plan
        The plan (its ``metadata`` gives the horizon and the start grid).
    road_factor, speed_kmh
        The default distance model (great-circle distance from geopy).
    travel
        A user-supplied travel model, if the plan was made with one.
    tol_minutes
        Tolerance on time comparisons.

    Returns
    -------
    pandas.DataFrame
        One row per violation: ``rule, task_id, volunteer_id, detail``; empty
        when the plan is feasible.
    """
    out: list[dict[str, Any]] = []

    def bad(rule: str, task: str = "", vol: str = "", detail: str = "") -> None:
        out.append({"rule": rule, "task_id": task, "volunteer_id": vol, "detail": detail})

    first = date.fromisoformat(plan.metadata["first_day"])
    last = date.fromisoformat(plan.metadata["last_day"])
    grid = int(plan.metadata.get("grid_minutes", 5))
    vols = {v.volunteer_id: v for v in registry.volunteer_records}
    clients = {c.client_id: c for c in registry.client_records}
    needs = {n.need_id: n for n in registry.need_records}
    helped: dict[str, set[str]] = defaultdict(set)
    for h in registry.history_records:
        if h.date < first:
            helped[h.client_id].add(h.volunteer_id)

    # occurrences withdrawn by a re-plan are not part of the plan's horizon
    withdrawn = set(plan.metadata.get("replan", {}).get("withdrawn_tasks", []))
    expected: dict[str, tuple[Need, date]] = {}
    for n in registry.need_records:
        for d in n.occurrences(first, last):
            task_id = f"{n.need_id}@{d.isoformat()}"
            if task_id not in withdrawn:
                expected[task_id] = (n, d)

    def km(a: tuple[float, float], b: tuple[float, float], ka: str, kb: str) -> tuple[float, float]:
        if travel is not None:
            import numpy as np

            k = float(travel.km(ka, np.array(a), kb, np.array(b)))
            m = float(travel.minutes(ka, np.array(a), kb, np.array(b)))
            return k, m
        k = great_circle(a, b).km * road_factor
        return k, k / speed_kmh * 60

    a = plan.assignments
    per_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    per_vol: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    week_use: dict[tuple[str, tuple[int, int]], list[float]] = defaultdict(lambda: [0, 0.0])
    for rec in a.to_dict("records"):
        task, vid = str(rec["task_id"]), str(rec["volunteer_id"])
        if task not in expected:
            bad("unknown_task", task, vid, "not a task of this horizon")
            continue
        need, day = expected[task]
        v: Volunteer | None = vols.get(vid)
        if v is None:
            bad("unknown_volunteer", task, vid, "not in the registry")
            continue
        client = clients[need.client_id]
        per_task[task].append({str(k): val for k, val in rec.items()})
        in_trip = trip_of(rec.get("trip_id")) != ""
        if str(rec["need_id"]) != need.need_id or str(rec["client_id"]) != need.client_id:
            bad("ids", task, vid, "need_id/client_id do not match the task")
        if str(rec["kind"]) != need.kind:
            bad("ids", task, vid, "kind does not match the need")
        start, end = pd.Timestamp(rec["start"]), pd.Timestamp(rec["end"])
        depart, back = pd.Timestamp(rec["depart"]), pd.Timestamp(rec["return"])
        if start.date() != day:
            bad("window", task, vid, "start is not on the task's date")
        s_min = _minutes(start)
        if not (need.window[0] - tol_minutes <= s_min <= need.window[1] + tol_minutes):
            bad("window", task, vid, "start outside the need's window")
        if abs(s_min / grid - round(s_min / grid)) > 1e-9:
            bad("grid", task, vid, f"start not on the {grid}-minute grid")
        if abs((end - start).total_seconds() / 60 - need.duration_min) > tol_minutes:
            bad("duration", task, vid, "end - start differs from duration_min")
        # skills, languages, exclusions, continuity
        has = v.skills | ({"wheelchair_car"} if v.wheelchair_car else set())
        if not need.required_skills <= has:
            bad("skills", task, vid, "missing " + ",".join(sorted(need.required_skills - has)))
        if need.languages and not (need.languages & v.languages):
            bad("languages", task, vid, "speaks none of the required languages")
        if vid in client.excluded_volunteers:
            bad("excluded", task, vid, "excluded by the client")
        if (
            need.continuity == "strict"
            and helped.get(need.client_id)
            and vid not in helped[need.client_id]
        ):
            bad("continuity", task, vid, "strict continuity: did not help this client before")
        # distance and travel
        home = (float(v.lat), float(v.lon))  # type: ignore[arg-type]
        c_ll = (float(client.lat), float(client.lon))  # type: ignore[arg-type]
        k_hc, m_hc = km(home, c_ll, vid, client.client_id)
        k_ch, m_ch = km(c_ll, home, client.client_id, vid)
        reach, out_k, back_k, out_m, back_m = k_hc, k_hc, k_ch, m_hc, m_ch
        if need.kind == "ride":
            d_ll = (float(need.dest_lat), float(need.dest_lon))  # type: ignore[arg-type]
            k_cd, m_cd = km(c_ll, d_ll, client.client_id, need.need_id)
            k_dc, m_dc = km(d_ll, c_ll, need.need_id, client.client_id)
            k_hd, _ = km(home, d_ll, vid, need.need_id)
            reach = max(k_hc, k_hd)
            out_k, back_k, out_m, back_m = k_hc + k_cd, k_dc + k_ch, m_hc + m_cd, m_dc + m_ch
        if reach > v.max_km * (1 + 1e-6) + 1e-6:
            bad("distance", task, vid, f"{reach:.2f} km exceeds max_km {v.max_km}")
        if in_trip:  # travel, availability, overlap and caps: by its outing (trip_check)
            continue
        if abs(float(rec["travel_km"]) - (out_k + back_k)) > 0.01 * (out_k + back_k) + 0.01:
            bad(
                "travel_km",
                task,
                vid,
                f"reported {rec['travel_km']}, expected {out_k + back_k:.3f}",
            )
        if (start - depart).total_seconds() / 60 < out_m - tol_minutes:
            bad("travel_time", task, vid, "departs too late to arrive on time")
        if (back - end).total_seconds() / 60 < back_m - tol_minutes:
            bad("travel_time", task, vid, "returns before the trip home can be made")
        # availability: the whole occupied time inside ONE window, not on an unavailable date
        if v.is_unavailable(day):
            bad("unavailable", task, vid, "volunteer is unavailable on this date")
        d0 = datetime.combine(day, datetime.min.time())
        dep_m = (depart - pd.Timestamp(d0)).total_seconds() / 60
        ret_m = (back - pd.Timestamp(d0)).total_seconds() / 60
        if not any(
            w.day == day.weekday()
            and w.start - tol_minutes <= dep_m
            and ret_m <= w.end + tol_minutes
            for w in v.availability
        ):
            bad("availability", task, vid, "occupied time not inside one availability window")
        per_vol[vid].append(
            (pd.Timestamp(depart).value / 6e10, pd.Timestamp(back).value / 6e10, task)
        )
        use = week_use[(vid, day.isocalendar()[:2])]
        use[0] += 1
        use[1] += (back - depart).total_seconds() / 60
    if len(plan.trips):
        for vid, depart, back, tid in check_trips(
            plan, vols, clients, expected, km, bad, tol_minutes
        ):
            per_vol[vid].append((depart.value / 6e10, back.value / 6e10, f"trip {tid}"))
            use = week_use[(vid, depart.date().isocalendar()[:2])]
            use[0] += 1
            use[1] += (back - depart).total_seconds() / 60
    for vid, items in per_vol.items():
        items.sort()
        latest_end, latest_task = -math.inf, ""
        for a1, b1, t1 in items:
            if a1 < latest_end - tol_minutes:
                bad("overlap", t1, vid, f"occupied time overlaps {latest_task}")
            if b1 > latest_end:
                latest_end, latest_task = b1, t1
    for (vid, wk), (n_tasks, minutes) in week_use.items():
        v = vols[vid]
        if n_tasks > v.max_tasks_per_week:
            bad(
                "weekly_tasks",
                "",
                vid,
                f"{int(n_tasks)} tasks in ISO week {wk[0]}-W{wk[1]:02d} > {v.max_tasks_per_week}",
            )
        if minutes > v.max_hours_per_week * 60 + tol_minutes:
            bad(
                "weekly_hours",
                "",
                vid,
                f"{minutes / 60:.2f} h in ISO week {wk[0]}-W{wk[1]:02d} > {v.max_hours_per_week}",
            )
    # max_team: distinct volunteers per need over 4 weeks, history included
    team_from = first - timedelta(days=_TEAM_PAST_DAYS)
    past: dict[str, set[str]] = defaultdict(set)
    for h in registry.history_records:
        if team_from <= h.date < first:
            past[h.need_id].add(h.volunteer_id)
    new_faces: dict[str, set[str]] = defaultdict(set)
    for task, recs in per_task.items():
        need, _ = expected[task]
        for r in recs:
            if need.max_team is not None and str(r["volunteer_id"]) not in past[need.need_id]:
                new_faces[need.need_id].add(str(r["volunteer_id"]))
    for nid, faces in new_faces.items():
        cap = needs[nid].max_team
        assert cap is not None
        if len(faces) > max(cap - len(past[nid]), 0):
            bad(
                "max_team", "", "",
                f"need {nid}: {len(past[nid])} past + {len(faces)} new volunteers > max_team {cap}",
            )  # fmt: skip
    # teams: all or nothing, one common start, distinct volunteers
    covered: set[str] = set()
    for task, recs in per_task.items():
        need, _ = expected[task]
        ids = [str(r["volunteer_id"]) for r in recs]
        if any(trip_of(r.get("trip_id")) for r in recs):
            covered.add(task)  # its ways and drivers: trip_check's trip_rows
            continue
        if len(set(ids)) != len(ids):
            bad("team", task, "", "a volunteer is assigned twice to one task")
        if len(set(ids)) != need.volunteers_needed:
            bad(
                "team",
                task,
                "",
                f"{len(set(ids))} volunteers, needs exactly {need.volunteers_needed}",
            )
        if len({pd.Timestamp(r["start"]) for r in recs}) > 1:
            bad("team", task, "", "volunteers of one task start at different times")
        covered.add(task)
    # every task is either covered or unmatched, never both, never neither
    un = [str(t) for t in plan.unmatched["task_id"]]
    for t in un:
        if t in covered:
            bad("partition", t, "", "task is both assigned and unmatched")
        if t not in expected:
            bad("partition", t, "", "unmatched task is not a task of this horizon")
    for t in expected:
        if t not in covered and t not in un:
            bad("partition", t, "", "task is neither assigned nor unmatched")
    if len(set(un)) != len(un):
        bad("partition", "", "", "a task is listed twice in unmatched")
    # metrics agree with the tables
    m = plan.metrics
    total_w = sum(_WEIGHTS[n.priority] for n, _ in expected.values())
    cov_w = sum(_WEIGHTS[expected[t][0].priority] for t in covered if t in expected)
    if m.get("tasks") != len(expected):
        bad("metrics", "", "", f"tasks {m.get('tasks')} != {len(expected)}")
    if m.get("covered") != len(covered):
        bad("metrics", "", "", f"covered {m.get('covered')} != {len(covered)}")
    wc = cov_w / total_w if total_w else 1.0
    if not math.isclose(float(m.get("weighted_coverage", -1)), wc, abs_tol=1e-9):
        bad("metrics", "", "", f"weighted_coverage {m.get('weighted_coverage')} != {wc}")
    if m.get("bound") is not None and float(m["bound"]) < wc - 1e-9:
        bad("metrics", "", "", "bound is below the plan's weighted coverage")
    return pd.DataFrame(out, columns=VIOLATION_COLUMNS)
