"""Who can take a new one-off need: free volunteers, those free if a task moved, speed."""

from __future__ import annotations

import time

import builders as b
import pytest

import matchkracht as mk

NEED = {"client_id": "c1", "schedule": "2026-11-30", "window": "10:00-10:00"}


def test_free_and_if_moved_volunteers_are_ranked() -> None:
    vols = [
        b.volunteer("v1", availability="mon 09:00-11:00"),
        b.volunteer("v2", lat=b.north(2)),
        b.volunteer("v3", skills="handy", availability="tue 09:00-17:00"),
        b.volunteer("v4"),
    ]
    reg = b.registry(vols, [b.client("c1", excluded_volunteers="v4")], [b.need("n1")])
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    busy = str(plan.assignments["volunteer_id"].iloc[0])
    table = mk.who_can(reg, plan, NEED)
    assert list(table.columns) == ["rank", "volunteer_id", "status", "start", "blocking",
                                   "travel_km", "familiar", "load"]  # fmt: skip
    got = dict(zip(table["volunteer_id"], table["status"], strict=True))
    # v3 is not available on Monday, v4 is excluded: neither is listed
    assert set(got) == {"v1", "v2"}
    assert got[busy] == "if_moved"
    other = ({"v1", "v2"} - {busy}).pop()
    assert got[other] == "free"
    assert table["status"].iloc[0] == "free"
    assert table.loc[table["status"] == "if_moved", "blocking"].iloc[0] == "n1@2026-11-30"


def test_invalid_or_recurring_need_is_rejected() -> None:
    reg = b.registry([b.volunteer("v1")], None, [b.need("n1")])
    plan = mk.match(reg, week=b.WEEK, time_limit=1)
    with pytest.raises(mk.InvalidSettingsError):
        mk.who_can(reg, plan, {**NEED, "schedule": "FREQ=WEEKLY;BYDAY=MO,TU"})
    with pytest.raises(mk.InvalidSettingsError):
        mk.who_can(reg, plan, {**NEED, "window": "late"})


def test_query_is_fast_on_the_municipality() -> None:
    reg = b.generated_registry("municipality", seed=0)
    plan = mk.match(reg, week=b.WEEK, solver=mk.GreedySolver())
    who = mk.WhoCan(reg, plan)
    need = {"client_id": "C0001", "kind": "ride", "schedule": "2026-12-03",
            "window": "10:00-11:00", "duration_min": 90, "dest_lat": 51.3576, "dest_lon": 6.1546}  # fmt: skip
    who(need)
    t0 = time.perf_counter()
    table = who(need)
    assert time.perf_counter() - t0 < 0.1
    assert len(table) > 0
    assert set(table["status"]) <= {"free", "if_moved"}
