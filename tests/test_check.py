"""Tests of the independent feasibility checker: break a feasible plan by hand, one way each."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from conftest import WEEK

import matchkracht as mk
from matchkracht import Plan, Registry
from matchkracht.plan.check import VIOLATION_COLUMNS

TIMES = ("start", "end", "depart", "return")


def check_registry() -> Registry:
    """Four volunteers, two clients, five needs in 2026-W49 (Mon 11-30 .. Sun 12-06).

    - VA is the only driver nearby; VC lives about 110 km away (never eligible);
    - VB is the only nearby Arabic speaker and may work 3 hours a week;
    - VD is unavailable on Wednesday 2026-12-02 and excluded by client CA.
    - NR (Tue ride of CA) can only go to VA, NV (Wed visit in Arabic) only to VB;
      NT (Thu, two volunteers) and NO (Thu, same time) need VA, VB and VD together.
    """
    week = "mon,tue,wed,thu,fri 08:00-18:00"
    volunteers = pd.DataFrame(
        {
            "volunteer_id": ["VA", "VB", "VC", "VD"],
            "name": ["Zoë Çelik", "Jan 't Hoeske", "Ver Weg", "Dirk"],
            "lat": [51.4220, 51.4250, 52.4220, 51.4200],
            "lon": [6.1300, 6.1350, 6.1300, 6.1250],
            "skills": ["driver", "", "driver", ""],
            "languages": ["nl", "nl;ar", "nl;ar", "nl"],
            "availability": [week, week, "mon,tue,wed,thu,fri,sat,sun 00:00-24:00", week],
            "unavailable": ["", "", "", "2026-12-02"],
            "max_tasks_per_week": [4, 3, 3, 3],
            "max_hours_per_week": [6, 3, 6, 6],
        }
    )
    clients = pd.DataFrame(
        {
            "client_id": ["CA", "CB"],
            "lat": [51.4210, 51.4230],
            "lon": [6.1320, 6.1290],
            "languages": ["nl", "nl;ar"],
            "excluded_volunteers": ["VD", ""],
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": ["NR", "NV", "NT", "NO", "NM"],
            "client_id": ["CA", "CB", "CB", "CB", "CA"],
            "kind": ["ride", "visit", "chore", "visit", "meal"],
            "schedule": [
                "2026-12-01",
                "2026-12-02",
                "2026-12-03",
                "2026-12-03",
                "FREQ=WEEKLY;BYDAY=MO",
            ],
            "window": ["10:00-10:30", "14:00-14:30", "09:00-09:30", "09:00-09:30", "12:00-12:15"],
            "duration_min": [60, 60, 60, 60, 30],
            "languages": ["", "ar", "", "", ""],
            "priority": [1, 2, 2, 3, 2],
            "volunteers_needed": [1, 1, 2, 1, 1],
            "dest_lat": [51.40, None, None, None, None],
            "dest_lon": [6.15, None, None, None, None],
        }
    )
    return Registry.from_frames(volunteers, clients, needs)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return check_registry()


@pytest.fixture(scope="module")
def feasible(registry: Registry) -> Plan:
    plan = mk.match(registry, week=WEEK, time_limit=5, seed=0)
    assert plan.metrics["covered"] == plan.metrics["tasks"] == 5
    assert mk.check(registry, plan).empty
    return plan


@pytest.fixture
def plan(feasible: Plan) -> Plan:
    """A deep copy of the feasible plan, to break."""
    return Plan(
        feasible.assignments.copy(),
        feasible.unmatched.copy(),
        copy.deepcopy(feasible.metrics),
        copy.deepcopy(feasible.metadata),
    )


def _row(plan: Plan, need_id: str) -> int:
    """Index of the (first) assignment row of ``need_id``."""
    return int(plan.assignments.index[plan.assignments["need_id"] == need_id][0])


def _shift(plan: Plan, idx: int, minutes: int) -> None:
    for col in TIMES:
        plan.assignments.loc[idx, col] += pd.Timedelta(minutes=minutes)


def _violations(registry: Registry, plan: Plan) -> pd.DataFrame:
    out = mk.check(registry, plan)
    assert list(out.columns) == VIOLATION_COLUMNS
    return out


def _assert_rule(
    registry: Registry,
    plan: Plan,
    rule: str,
    task_id: str | None = None,
    volunteer_id: str | None = None,
) -> None:
    out = _violations(registry, plan)
    hits = out[out["rule"] == rule]
    assert len(hits) > 0, f"expected {rule!r}, got\n{out.to_string()}"
    if task_id is not None:
        assert task_id in set(hits["task_id"]), hits.to_string()
    if volunteer_id is not None:
        assert volunteer_id in set(hits["volunteer_id"]), hits.to_string()


def test_feasible_plan_passes(registry: Registry, feasible: Plan) -> None:
    out = mk.check(registry, feasible)
    assert out.empty
    assert list(out.columns) == VIOLATION_COLUMNS


def test_the_plan_is_as_derived(feasible: Plan) -> None:
    a = feasible.assignments
    by_need = a.groupby("need_id")["volunteer_id"].apply(sorted).to_dict()
    assert by_need["NR"] == ["VA"]
    assert by_need["NV"] == ["VB"]
    assert sorted(by_need["NT"] + by_need["NO"]) == ["VA", "VB", "VD"]
    assert by_need["NM"] in (["VA"], ["VB"])


def test_start_outside_window(registry: Registry, plan: Plan) -> None:
    i = _row(plan, "NR")
    _shift(plan, i, 60)
    _assert_rule(registry, plan, "window", "NR@2026-12-01", "VA")


def test_start_on_another_day(registry: Registry, plan: Plan) -> None:
    _shift(plan, _row(plan, "NR"), 24 * 60)
    _assert_rule(registry, plan, "window", "NR@2026-12-01")


def test_start_off_the_grid(registry: Registry, plan: Plan) -> None:
    _shift(plan, _row(plan, "NR"), -2)
    _assert_rule(registry, plan, "grid", "NR@2026-12-01", "VA")


def test_volunteer_without_the_skill(registry: Registry, plan: Plan) -> None:
    plan.assignments.loc[_row(plan, "NR"), "volunteer_id"] = "VB"  # not a driver
    _assert_rule(registry, plan, "skills", "NR@2026-12-01", "VB")


def test_excluded_volunteer(registry: Registry, plan: Plan) -> None:
    plan.assignments.loc[_row(plan, "NM"), "volunteer_id"] = "VD"
    _assert_rule(registry, plan, "excluded", "NM@2026-11-30", "VD")


def test_volunteer_without_the_language(registry: Registry, plan: Plan) -> None:
    plan.assignments.loc[_row(plan, "NV"), "volunteer_id"] = "VA"  # speaks no Arabic
    _assert_rule(registry, plan, "languages", "NV@2026-12-02", "VA")


def test_volunteer_too_far(registry: Registry, plan: Plan) -> None:
    plan.assignments.loc[_row(plan, "NM"), "volunteer_id"] = "VC"
    _assert_rule(registry, plan, "distance", "NM@2026-11-30", "VC")


def test_overlapping_tasks_of_one_volunteer(registry: Registry, plan: Plan) -> None:
    a = plan.assignments
    nt_vol = a.loc[_row(plan, "NT"), "volunteer_id"]
    a.loc[_row(plan, "NO"), "volunteer_id"] = nt_vol  # same Thursday morning
    _assert_rule(registry, plan, "overlap", volunteer_id=nt_vol)


def test_weekly_task_cap(registry: Registry, plan: Plan) -> None:
    for need in ("NR", "NV", "NM", "NO"):
        plan.assignments.loc[_row(plan, need), "volunteer_id"] = "VD"  # cap 3
    _assert_rule(registry, plan, "weekly_tasks", volunteer_id="VD")


def test_weekly_hour_cap(registry: Registry, plan: Plan) -> None:
    i = _row(plan, "NV")  # VB, 3 hours a week
    plan.assignments.loc[i, "return"] += pd.Timedelta(minutes=150)
    out = _violations(registry, plan)
    assert set(out["rule"]) == {"weekly_hours"}, out.to_string()
    assert list(out["volunteer_id"]) == ["VB"]


def test_occupied_time_outside_availability(registry: Registry, plan: Plan) -> None:
    i = _row(plan, "NR")
    day = plan.assignments.loc[i, "start"].normalize()
    plan.assignments.loc[i, "depart"] = day + pd.Timedelta(hours=7)  # availability from 08:00
    out = _violations(registry, plan)
    assert set(out["rule"]) == {"availability"}, out.to_string()


def test_return_after_availability(registry: Registry, plan: Plan) -> None:
    i = _row(plan, "NV")
    day = plan.assignments.loc[i, "start"].normalize()
    plan.assignments.loc[i, "return"] = day + pd.Timedelta(hours=18, minutes=5)
    _assert_rule(registry, plan, "availability", "NV@2026-12-02", "VB")


def test_unavailable_date(registry: Registry, plan: Plan) -> None:
    plan.assignments.loc[_row(plan, "NV"), "volunteer_id"] = "VD"  # unavailable on 2026-12-02
    _assert_rule(registry, plan, "unavailable", "NV@2026-12-02", "VD")


def test_two_person_task_with_one_volunteer(registry: Registry, plan: Plan) -> None:
    plan.assignments = plan.assignments.drop(index=_row(plan, "NT")).reset_index(drop=True)
    plan.metrics["covered"] = 5  # still claimed covered
    _assert_rule(registry, plan, "team", "NT@2026-12-03")


def test_team_starting_at_different_times(registry: Registry, plan: Plan) -> None:
    i = _row(plan, "NT")
    _shift(plan, i, 5 if plan.assignments.loc[i, "start"].minute < 30 else -5)
    _assert_rule(registry, plan, "team", "NT@2026-12-03")


def test_task_both_assigned_and_unmatched(registry: Registry, plan: Plan) -> None:
    extra = {
        "task_id": "NR@2026-12-01",
        "need_id": "NR",
        "client_id": "CA",
        "kind": "ride",
        "window_start": pd.Timestamp("2026-12-01T10:00"),
        "missing": 1,
        "reason_code": "capacity",
        "reason": "made up",
    }
    plan.unmatched = pd.concat([plan.unmatched, pd.DataFrame([extra])], ignore_index=True)
    _assert_rule(registry, plan, "partition", "NR@2026-12-01")


def test_task_missing_from_both(registry: Registry, plan: Plan) -> None:
    plan.assignments = plan.assignments.drop(index=_row(plan, "NR")).reset_index(drop=True)
    _assert_rule(registry, plan, "partition", "NR@2026-12-01")
    _assert_rule(registry, plan, "metrics")  # covered is now wrong too


@pytest.mark.parametrize(
    ("key", "value"),
    [("tasks", 6), ("covered", 4), ("weighted_coverage", 0.9), ("bound", 0.5)],
)
def test_wrong_metrics(registry: Registry, plan: Plan, key: str, value: float) -> None:
    plan.metrics[key] = value
    out = _violations(registry, plan)
    assert set(out["rule"]) == {"metrics"}, out.to_string()


# -- more ways to break a plan ---------------------------------------------------------------
def test_wrong_duration(registry: Registry, plan: Plan) -> None:
    plan.assignments.loc[_row(plan, "NM"), "end"] += pd.Timedelta(minutes=10)
    _assert_rule(registry, plan, "duration", "NM@2026-11-30")


def test_departs_too_late(registry: Registry, plan: Plan) -> None:
    i = _row(plan, "NR")
    plan.assignments.loc[i, "depart"] = plan.assignments.loc[i, "start"]
    _assert_rule(registry, plan, "travel_time", "NR@2026-12-01", "VA")


def test_wrong_travel_km(registry: Registry, plan: Plan) -> None:
    plan.assignments.loc[_row(plan, "NR"), "travel_km"] *= 0.5
    out = _violations(registry, plan)
    assert set(out["rule"]) == {"travel_km"}, out.to_string()


def test_ids_do_not_match_the_task(registry: Registry, plan: Plan) -> None:
    plan.assignments.loc[_row(plan, "NM"), "client_id"] = "CB"
    _assert_rule(registry, plan, "ids", "NM@2026-11-30")


def test_unknown_task_and_volunteer(registry: Registry, plan: Plan) -> None:
    a = plan.assignments
    a.loc[_row(plan, "NM"), "task_id"] = "NM@2026-12-07"  # next week
    a.loc[_row(plan, "NR"), "volunteer_id"] = "V404"
    rules = set(_violations(registry, plan)["rule"])
    assert {"unknown_task", "unknown_volunteer"} <= rules


def test_strict_continuity(registry: Registry) -> None:
    f = {
        "volunteers": registry.volunteers,
        "clients": registry.clients,
        "needs": registry.needs.assign(continuity=["none", "strict", "none", "none", "none"]),
    }
    history = pd.DataFrame(
        {"need_id": ["NV"], "client_id": ["CB"], "volunteer_id": ["VC"], "date": ["2026-11-25"]}
    )
    strict = Registry.from_frames(f["volunteers"], f["clients"], f["needs"], history)
    plan = mk.match(strict, week=WEEK, time_limit=5, seed=0)
    # only VC (too far) helped CB before: NV cannot be served
    assert "NV@2026-12-02" in set(plan.unmatched["task_id"])
    assert mk.check(strict, plan).empty
    # serve it anyway with VB, as the unconstrained plan did
    moved = plan.unmatched["task_id"] != "NV@2026-12-02"
    plan.unmatched = plan.unmatched[moved].reset_index(drop=True)
    row = {
        "task_id": "NV@2026-12-02",
        "need_id": "NV",
        "client_id": "CB",
        "volunteer_id": "VB",
        "kind": "visit",
        "start": pd.Timestamp("2026-12-02T14:00"),
        "end": pd.Timestamp("2026-12-02T15:00"),
        "depart": pd.Timestamp("2026-12-02T13:30"),
        "return": pd.Timestamp("2026-12-02T15:30"),
        "travel_km": 1.0,
    }
    plan.assignments = pd.concat([plan.assignments, pd.DataFrame([row])], ignore_index=True)
    _assert_rule(strict, plan, "continuity", "NV@2026-12-02", "VB")


def test_every_single_break_is_caught(registry: Registry, feasible: Plan) -> None:
    """Shifting any one assignment by a minute is always caught (grid, and more)."""
    for i in feasible.assignments.index:
        broken = Plan(
            feasible.assignments.copy(),
            feasible.unmatched.copy(),
            dict(feasible.metrics),
            dict(feasible.metadata),
        )
        _shift(broken, int(i), 1)
        assert "grid" in set(mk.check(registry, broken)["rule"])


# -- max_team: distinct volunteers per need in any 4 consecutive weeks, history included -----
def _with_team_history(registry: Registry, volunteers: list[str], max_team: int) -> Registry:
    """NM (Monday meal of CA) limited to ``max_team``, served by ``volunteers`` in W47/W48."""
    needs = registry.needs.assign(max_team=[None, None, None, None, max_team])
    dates = ["2026-11-16", "2026-11-23", "2026-11-16", "2026-11-23"][: len(volunteers)]
    history = pd.DataFrame(
        {
            "need_id": ["NM"] * len(volunteers),
            "client_id": ["CA"] * len(volunteers),
            "volunteer_id": volunteers,
            "date": dates,
        }
    )
    return Registry.from_frames(registry.volunteers, registry.clients, needs, history)


def test_max_team_respected(registry: Registry, plan: Plan) -> None:
    nm_vol = plan.assignments.loc[_row(plan, "NM"), "volunteer_id"]
    team = _with_team_history(registry, [nm_vol], max_team=1)
    assert mk.check(team, plan).empty


def test_max_team_exceeded(registry: Registry, plan: Plan) -> None:
    nm_vol = plan.assignments.loc[_row(plan, "NM"), "volunteer_id"]
    other = "VB" if nm_vol == "VA" else "VA"
    team = _with_team_history(registry, [other], max_team=1)  # someone else served NM in W48
    out = _violations(team, plan)
    assert set(out["rule"]) == {"max_team"}, out.to_string()
    assert "NM" in out["detail"].iloc[0]
    # a larger team is fine
    assert mk.check(_with_team_history(registry, [other], max_team=2), plan).empty


def test_max_team_history_only_too_large(registry: Registry, plan: Plan) -> None:
    """History alone beyond the cap is not the plan's fault, unless the plan adds someone."""
    nm_vol = plan.assignments.loc[_row(plan, "NM"), "volunteer_id"]
    other = "VB" if nm_vol == "VA" else "VA"
    # the plan reuses a face of the last 3 weeks: no new volunteer, no violation
    assert mk.check(_with_team_history(registry, [other, nm_vol], max_team=1), plan).empty
    # a third face, new in the plan week, is a violation
    third = _with_team_history(registry, [other, "VD"], max_team=1)
    assert set(_violations(third, plan)["rule"]) == {"max_team"}


def test_max_team_window_is_four_weeks(registry: Registry, plan: Plan) -> None:
    nm_vol = plan.assignments.loc[_row(plan, "NM"), "volunteer_id"]
    other = "VB" if nm_vol == "VA" else "VA"
    needs = registry.needs.assign(max_team=[None, None, None, None, 1])
    for day, broken in (("2026-11-09", True), ("2026-11-02", False)):  # 3 and 4 weeks before
        history = pd.DataFrame(
            {"need_id": ["NM"], "client_id": ["CA"], "volunteer_id": [other], "date": [day]}
        )
        reg = Registry.from_frames(registry.volunteers, registry.clients, needs, history)
        assert ("max_team" in set(mk.check(reg, plan)["rule"])) == broken, day
