"""Stable re-planning: changes to a published plan, locks, and the diff.

Every re-planned plan passes the independent checker against the *changed*
registry. Expected answers are derived from the published plan (which
volunteer had which task), never hard-coded solver output.
"""

from __future__ import annotations

from typing import Any

import builders as b
import pandas as pd
import pytest

import matchkracht as mk
from matchkracht.errors import InvalidSettingsError
from matchkracht.replan import CHANGE_KINDS, DIFF_COLUMNS

CFG: dict[str, Any] = {"time_limit": 3.0, "seed": 0, "workers": 2}
WEEKDAYS = "mon,tue,wed,thu,fri 09:00-17:00"
NAMES = ("Zoë Çelik", "Jan 't Hoeske", "Fatima El Amrani", "Mevrouw de Wit", "Meneer Öztürk")


def _plan(reg: mk.Registry) -> mk.Plan:
    plan = mk.match(reg, week=b.WEEK, **CFG)
    assert mk.check(reg, plan).empty
    return plan


def _replan(reg: mk.Registry, plan: mk.Plan, changes: list[Any], **kw: Any) -> mk.ReplanResult:
    res = mk.replan(reg, plan, changes, **{**CFG, **kw})
    violations = mk.check(res.registry, res.plan)
    assert violations.empty, violations.to_string()
    assert list(res.diff.columns) == DIFF_COLUMNS
    assert set(res.diff["change"]) <= set(CHANGE_KINDS)
    return res


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str, pd.Timestamp]]:
    return {
        (str(t), str(v), pd.Timestamp(s))
        for t, v, s in zip(frame["task_id"], frame["volunteer_id"], frame["start"], strict=True)
    }


def _who(plan: mk.Plan) -> dict[str, str]:
    a = plan.assignments
    return dict(zip(a["task_id"].astype(str), a["volunteer_id"].astype(str), strict=True))


def _kept(diff: pd.DataFrame) -> set[tuple[str, str, pd.Timestamp]]:
    k = diff[diff["change"] == "kept"]
    return {
        (str(t), str(v), pd.Timestamp(s))
        for t, v, s in zip(k["task_id"], k["volunteer_id_after"], k["start_after"], strict=True)
    }


def _week(names: bool = False) -> mk.Registry:
    """Four volunteers, three clients, six tasks over the week: room to spare."""
    vols = [
        b.volunteer(f"v{i}", lat=b.north(0.5 * i), availability=WEEKDAYS, max_tasks_per_week=3)
        for i in range(1, 5)
    ]
    clients = [b.client(f"c{i}", lat=b.north(0.3 * i)) for i in range(1, 4)]
    if names:
        for row, name in zip(vols + clients, NAMES * 2, strict=False):
            row["name"] = name
    needs = [
        b.need("n1", "c1", schedule="FREQ=WEEKLY;BYDAY=MO,WE", window="10:00-11:00"),
        b.need("n2", "c2", schedule="FREQ=WEEKLY;BYDAY=TU,TH", window="14:00-14:30"),
        b.need("n3", "c3", schedule="FREQ=WEEKLY;BYDAY=MO,FR", window="10:00-10:00"),
    ]
    return b.registry(vols, clients, needs)


def test_one_cancellation_keeps_every_unaffected_assignment() -> None:
    reg = _week()
    plan = _plan(reg)
    a = plan.assignments
    first = a.iloc[0]
    vid, day = str(first["volunteer_id"]), pd.Timestamp(first["start"]).date()
    hit = (a["volunteer_id"] == vid) & (pd.to_datetime(a["start"]).dt.date == day)
    res = _replan(reg, plan, [mk.VolunteerCancels(vid, date=day)])
    # exactly the unaffected assignments are kept, all of them
    assert _kept(res.diff) == _pairs(a[~hit])
    changed = res.diff[res.diff["change"] != "kept"]
    assert set(changed["task_id"]) == set(a.loc[hit, "task_id"])
    assert (changed["change"] == "reassigned").all()  # three others could step in
    assert (changed["volunteer_id_after"] != vid).all()
    assert (changed["reason"] == f"{vid} cancelled {day}").all()
    # the cancelled day is now in the registry; the plan covers as much as before
    rec = next(v for v in res.registry.volunteer_records if v.volunteer_id == vid)
    assert rec.is_unavailable(day)
    assert res.plan.metrics["covered"] == plan.metrics["covered"]
    assert res.plan.metadata["replan"]["locked"] == int((~hit).sum())
    assert res.plan.metadata["replan"]["locks_dropped"] is False


def test_cancelling_one_task_forbids_only_that_pair() -> None:
    reg = _week()
    plan = _plan(reg)
    first = plan.assignments.iloc[0]
    task, vid = str(first["task_id"]), str(first["volunteer_id"])
    res = _replan(reg, plan, [mk.VolunteerCancels(vid, task_id=task)])
    row = res.diff[res.diff["task_id"] == task].iloc[0]
    assert row["change"] == "reassigned" and row["volunteer_id_after"] != vid
    assert row["reason"] == f"{vid} cancelled {task}"
    assert _kept(res.diff) == _pairs(plan.assignments.iloc[1:])
    # a task cancellation does not make the volunteer unavailable that day
    rec = next(v for v in res.registry.volunteer_records if v.volunteer_id == vid)
    assert rec.unavailable == ()


def test_added_need_gets_covered_when_capacity_exists() -> None:
    reg = _week()
    plan = _plan(reg)
    row = b.need("n9", "c2", schedule=b.day(2), window="15:00-16:00", priority=1)
    res = _replan(reg, plan, [mk.NeedAdded(row)])
    added = res.diff[res.diff["change"] == "added"]
    assert list(added["task_id"]) == [f"n9@{b.day(2)}"]
    assert list(added["reason"]) == ["covers newly added need n9"]
    assert _kept(res.diff) == _pairs(plan.assignments)
    assert "n9" in {n.need_id for n in res.registry.need_records}
    assert res.plan.metrics["covered"] == plan.metrics["covered"] + 1


def test_declined_task_moves_to_another_volunteer() -> None:
    reg = _week()
    plan = _plan(reg)
    last = plan.assignments.iloc[-1]
    task, vid = str(last["task_id"]), str(last["volunteer_id"])
    res = _replan(reg, plan, [mk.TaskDeclined(task, vid)])
    new = res.plan.assignments
    assert task in set(new["task_id"])
    assert vid not in set(new.loc[new["task_id"] == task, "volunteer_id"])
    row = res.diff[res.diff["task_id"] == task].iloc[0]
    assert (row["change"], row["reason"]) == ("reassigned", f"{vid} declined {task}")


def _scarce() -> mk.Registry:
    # one volunteer with room for one task a week; n1 (priority 1) wins over n2
    vols = [b.volunteer("v1", availability=WEEKDAYS, max_tasks_per_week=1)]
    needs = [
        b.need("n1", schedule=b.day(0), priority=1),
        b.need("n2", schedule=b.day(1), priority=2),
    ]
    return b.registry(vols, needs=needs)


def test_withdrawn_need_frees_a_volunteer() -> None:
    reg = _scarce()
    plan = _plan(reg)
    assert list(plan.assignments["task_id"]) == [f"n1@{b.day(0)}"]
    res = _replan(reg, plan, [mk.NeedWithdrawn("n1")])
    by_task = res.diff.set_index("task_id")
    assert by_task.loc[f"n1@{b.day(0)}", "change"] == "dropped"
    assert by_task.loc[f"n1@{b.day(0)}", "reason"] == "n1 withdrawn"
    assert by_task.loc[f"n2@{b.day(1)}", "change"] == "added"
    assert by_task.loc[f"n2@{b.day(1)}", "reason"] == "freed by n1 withdrawn"
    # the need ends before the horizon in the changed registry
    n1 = next(n for n in res.registry.need_records if n.need_id == "n1")
    assert n1.occurrences(b.MONDAY, b.MONDAY) == []


def test_withdrawn_occurrence_is_left_out_and_others_stay() -> None:
    reg = _week()
    plan = _plan(reg)
    task = f"n1@{b.day(0)}"
    res = mk.replan(reg, plan, [mk.NeedWithdrawn("n1", date=b.day(0))], **CFG)
    assert res.plan.metadata["replan"]["withdrawn_tasks"] == [task]
    # The registry cannot express one withdrawn occurrence (no EXDATE in the
    # contract); the checker reads the withdrawn tasks from the plan's metadata.
    assert mk.check(res.registry, res.plan).empty
    # without that record the task would be missing from the plan
    bare = mk.Plan(
        res.plan.assignments,
        res.plan.unmatched,
        res.plan.metrics,
        {k: v for k, v in res.plan.metadata.items() if k != "replan"},
    )
    part = mk.check(res.registry, bare)
    assert list(part[part["rule"] == "partition"]["task_id"]) == [task]
    assert res.plan.metrics["tasks"] == plan.metrics["tasks"] - 1
    assert task not in set(res.plan.assignments["task_id"])
    assert task not in set(res.plan.unmatched["task_id"])
    assert f"n1@{b.day(2)}" in set(res.plan.assignments["task_id"])
    assert _kept(res.diff) == _pairs(plan.assignments[plan.assignments["task_id"] != task])
    # the registry itself is unchanged: next week n1 is back
    assert res.registry.needs.equals(reg.needs)


def test_withdrawn_from_a_date_sets_end_date() -> None:
    reg = _week()
    plan = _plan(reg)
    res = _replan(reg, plan, [mk.NeedWithdrawn("n3", from_date=b.day(3))])
    n3 = next(n for n in res.registry.need_records if n.need_id == "n3")
    assert n3.end_date is not None and n3.end_date.isoformat() == b.day(2)
    assert set(res.plan.assignments["task_id"]) >= {f"n3@{b.day(0)}"}
    assert f"n3@{b.day(4)}" not in set(res.plan.assignments["task_id"])
    assert f"n3@{b.day(4)}" not in set(res.plan.unmatched["task_id"])


def _locks_matter() -> mk.Registry:
    # task A (dementia) first goes to v1; only v2 can replace v1, but v2 holds B at
    # the same hour, and v3 (farther) could take B over.
    vols = [
        b.volunteer("v1", lat=b.north(0.2), skills="dementia"),
        b.volunteer("v2", lat=b.north(0.5), skills="dementia"),
        b.volunteer("v3", lat=b.north(3.0)),
    ]
    clients = [b.client("c1"), b.client("c2", lat=b.north(0.6))]
    needs = [
        b.need("a", "c1", skills="dementia", priority=1),
        b.need("b", "c2", priority=1),
    ]
    return b.registry(vols, clients, needs)


def test_locks_keep_unaffected_assignments_even_at_a_coverage_cost() -> None:
    reg = _locks_matter()
    plan = _plan(reg)
    before = _who(plan)
    a_task, b_task = f"a@{b.day(0)}", f"b@{b.day(0)}"
    assert before == {a_task: "v1", b_task: "v2"}  # nearest with the skill; then nearest
    cancel = [mk.VolunteerCancels("v1", date=b.day(0))]

    locked = _replan(reg, plan, cancel)
    assert _who(locked.plan) == {b_task: "v2"}  # B is locked with v2, so nobody can take A
    assert locked.counts["dropped"] == 1 and locked.counts["kept"] == 1

    free = _replan(reg, plan, cancel, lock="none")
    assert _who(free.plan) == {a_task: "v2", b_task: "v3"}  # coverage first: both covered
    by_task = free.diff.set_index("task_id")
    assert by_task.loc[a_task, "reason"] == "v1 cancelled 2026-11-30"
    assert by_task.loc[b_task, "reason"] == f"v2 now covers {a_task}"
    assert free.plan.metadata["replan"]["locked"] == 0


def test_impossible_locks_are_dropped_and_said_so() -> None:
    # the plan was made when v1 could take two tasks; the registry now allows one
    vols = [b.volunteer("v1", availability=WEEKDAYS, max_tasks_per_week=2)]
    needs = [b.need("n1", schedule=b.day(0)), b.need("n2", schedule=b.day(1))]
    reg = b.registry(vols, needs=needs)
    plan = _plan(reg)
    assert len(plan.assignments) == 2
    tighter = b.registry([{**vols[0], "max_tasks_per_week": 1}], needs=needs)
    res = _replan(tighter, plan, [])
    assert res.plan.metadata["replan"]["locks_dropped"] is True
    assert len(res.plan.assignments) == 1


def test_diff_reasons_and_metadata_name_ids_only() -> None:
    reg = _week(names=True)
    plan = _plan(reg)
    first = plan.assignments.iloc[0]
    changes = [
        mk.VolunteerCancels(str(first["volunteer_id"]), date=pd.Timestamp(first["start"]).date()),
        mk.NeedAdded(b.need("n9", "c2", schedule=b.day(2), window="15:00-16:00", name="x")),
        mk.NeedWithdrawn("n2", from_date=b.day(3)),
    ]
    res = _replan(reg, plan, changes, lock="none")
    text = " ".join(res.diff["reason"]) + " ".join(res.plan.metadata["replan"]["changes"])
    text += res.summary()
    for name in NAMES:
        assert name not in text
        for part in name.split():
            if len(part) > 3:
                assert part not in text


def test_bad_changes_raise_with_ids() -> None:
    reg = _week()
    plan = _plan(reg)
    with pytest.raises(InvalidSettingsError, match="v99"):
        mk.replan(reg, plan, [mk.VolunteerCancels("v99", date=b.day(0))])
    with pytest.raises(InvalidSettingsError, match="n99"):
        mk.replan(reg, plan, [mk.NeedWithdrawn("n99")])
    with pytest.raises(InvalidSettingsError, match="lock"):
        mk.replan(reg, plan, [], lock="all")  # type: ignore[arg-type]
    with pytest.raises(InvalidSettingsError, match="date"):
        mk.VolunteerCancels("v1", date="monday")
    with pytest.raises(InvalidSettingsError):
        mk.VolunteerCancels("v1", date=b.day(0), task_id=f"n1@{b.day(0)}")


def test_replan_of_a_plan_read_back_from_csv(tmp_path: Any) -> None:
    reg = _week()
    plan = _plan(reg)
    back = mk.Plan.read_csv(plan.to_csv(tmp_path / "plan"))
    first = back.assignments.iloc[0]
    res = _replan(reg, back, [mk.TaskDeclined(str(first["task_id"]), str(first["volunteer_id"]))])
    assert res.counts["kept"] == len(plan.assignments) - 1


def _two_for_one() -> mk.Registry:
    # one Monday task; v1 lives at the client's place, v2 3 km north: v1 takes it
    vols = [
        b.volunteer("v1", availability=WEEKDAYS),
        b.volunteer("v2", availability=WEEKDAYS, lat=b.north(3.0)),
    ]
    return b.registry(vols, needs=[b.need("n1", schedule=b.day(0))])


def test_a_chained_replan_keeps_the_earlier_decline() -> None:
    reg = _two_for_one()
    task = f"n1@{b.day(0)}"
    plan = _plan(reg)
    assert _who(plan) == {task: "v1"}
    first = _replan(reg, plan, [mk.TaskDeclined(task, "v1")])
    assert _who(first.plan) == {task: "v2"}
    # v2 cancels the day too: v1 declined, so nobody is left (v1 would be, had
    # the second re-plan forgotten the first one's decline)
    second = _replan(first.registry, first.plan, [mk.VolunteerCancels("v2", date=b.day(0))])
    assert _who(second.plan) == {}
    assert second.plan.metadata["replan"]["declined"] == [[task, "v1"]]
    assert list(second.plan.unmatched["task_id"]) == [task]


def test_a_chained_replan_keeps_the_earlier_withdrawn_occurrence() -> None:
    reg = _week()
    task = f"n1@{b.day(0)}"
    first = _replan(reg, _plan(reg), [mk.NeedWithdrawn("n1", date=b.day(0))])
    second = _replan(first.registry, first.plan, [mk.NeedWithdrawn("n1", date=b.day(2))])
    assert second.plan.metadata["replan"]["withdrawn_tasks"] == [task, f"n1@{b.day(2)}"]
    assert task not in set(second.plan.assignments["task_id"])
    assert task not in set(second.plan.unmatched["task_id"])


@pytest.mark.parametrize(
    ("exclude", "lang", "line"),
    [
        ("", "en", "0 who did not decline it"),
        ("", "nl", "0 die de taak niet weigerden"),
        ("v2", "en", "0 not excluded by the client and who did not decline it"),
        ("v2", "nl", "0 niet uitgesloten door de bewoner en die de taak niet weigerden"),
    ],
)
def test_the_funnel_says_declined_when_a_decline_excluded_the_volunteer(
    exclude: str, lang: str, line: str
) -> None:
    # v1 takes the task and declines it; v2 is excluded by the client (``exclude``)
    # or declines it in a second re-plan
    vols = [
        b.volunteer("v1", availability=WEEKDAYS),
        b.volunteer("v2", availability=WEEKDAYS, lat=b.north(3.0)),
    ]
    clients = [b.client("c1", excluded_volunteers=exclude)]
    reg = b.registry(vols, clients, needs=[b.need("n1", schedule=b.day(0))])
    task = f"n1@{b.day(0)}"
    res = _replan(reg, _plan(reg), [mk.TaskDeclined(task, "v1")])
    if not exclude:
        res = _replan(res.registry, res.plan, [mk.TaskDeclined(task, "v2")])
    assert list(res.plan.unmatched["task_id"]) == [task]
    funnel = mk.explain_plan(res.registry, res.plan, fixes=False, lang=lang).iloc[0]["funnel"]
    assert line in funnel
    assert ("uitgesloten" in funnel or "excluded" in funnel) is bool(exclude)
