"""Fixes for unmatched tasks: one registry per fix kind, each fix verified independently.

Independent verification: the fix is applied to copies of the registry and the
plan (:func:`matchkracht.apply_fix`), the fixed plan must pass
:func:`matchkracht.plan.check` and cover the task, and a re-solve of the fixed
registry must do at least as well as the fixed plan.
"""

from __future__ import annotations

from typing import Any

import builders as b
import pandas as pd
import pytest

import matchkracht as mk
from matchkracht.advice.candidates import VolunteerIndex, problem_for_plan
from matchkracht.advice.fixes import find_fix

MON = "n1@2026-11-30"
TUE = "n2@2026-12-01"
TWO_DAYS = "mon 09:00-17:00; tue 09:00-17:00"


def fix_for(reg: mk.Registry, plan: mk.Plan, task_id: str) -> tuple[mk.Fix, mk.Problem]:
    problem = mk.build_problem(reg, b.WEEK)
    index = VolunteerIndex(problem, reg)
    state = plan.occupancy(problem)
    return find_fix(index, state, problem.task_ids.index(task_id)), problem


def verify_independently(reg: mk.Registry, plan: mk.Plan, fix: mk.Fix, problem: mk.Problem) -> None:
    reg2, plan2 = mk.apply_fix(reg, plan, fix, problem)
    assert mk.check(reg2, plan2).empty
    assert fix.task_id in set(plan2.assignments["task_id"])
    assert plan2.metrics["covered"] == plan.metrics["covered"] + 1
    again = mk.match(reg2, week=b.WEEK, time_limit=2, seed=0)
    assert mk.check(reg2, again).empty
    assert again.metrics["weighted_coverage"] >= plan2.metrics["weighted_coverage"] - 1e-9
    assert mk.verify_fix(reg, plan, fix, problem)


def solved(reg: mk.Registry, **kw: Any) -> mk.Plan:
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0, **kw)
    assert mk.check(reg, plan).empty
    return plan


CASES: dict[str, dict[str, Any]] = {
    "extra_task": {
        "vols": [b.volunteer("v1", availability=TWO_DAYS, max_tasks_per_week=1)],
        "needs": [b.need("n1"), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU")],
        "words": ["v1: one more task", "max_tasks_per_week 1 -> 2"],
    },
    "extra_hour": {
        "vols": [b.volunteer("v1", availability=TWO_DAYS, max_hours_per_week=1.5)],
        "needs": [b.need("n1"), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU")],
        "words": ["one more hour", "max_hours_per_week 1.5 -> 2.5"],
    },
    "widen_window": {
        "vols": [b.volunteer("v1", availability="mon 10:30-17:00")],
        "needs": [b.need("n1")],
        "words": ["30 minutes later", "10:00-10:00 -> 10:00-10:30", "at 10:30"],
    },
    "relax_continuity": {
        "vols": [b.volunteer("v1"), b.volunteer("v2", unavailable="2026-11-30")],
        "needs": [b.need("n1", continuity="strict")],
        "history": [b.history("v2")],
        "words": ["from strict to prefer", "v1"],
    },
    "new_volunteer": {
        "vols": [b.volunteer("v1"), b.volunteer("v2", skills="handy")],
        "needs": [b.need("n1", skills="dementia", languages="ar")],
        "words": ["Recruit a volunteer with dementia", "speaking ar", "mon"],
    },
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_fix_kind_is_found_and_verified(kind: str) -> None:
    case = dict(CASES[kind])
    words = case.pop("words")
    reg = b.registry(case["vols"], None, case["needs"], case.get("history"))
    plan = solved(reg)
    assert len(plan.unmatched) == 1
    task = str(plan.unmatched["task_id"].iloc[0])
    fix, problem = fix_for(reg, plan, task)
    assert fix.kind == kind, fix.text
    assert fix.verified_by == "exact"
    for w in words:
        assert w in fix.text, fix.text
    verify_independently(reg, plan, fix, problem)


def test_move_task_on_a_greedy_plan() -> None:
    # greedy gives the priority-1 task u to v1 first; only v1 can do t (skill)
    one_hour = "mon 10:00-11:00"
    vols = [
        b.volunteer("v1", skills="handy", availability=one_hour),
        b.volunteer("v2", availability=one_hour),
    ]
    needs = [b.need("u", priority=1), b.need("n1", skills="handy", priority=2)]
    reg = b.registry(vols, None, needs)
    plan = mk.match(reg, week=b.WEEK, solver=mk.GreedySolver())
    assert list(plan.unmatched["task_id"]) == [MON]
    fix, problem = fix_for(reg, plan, MON)
    assert fix.kind == "move_task"
    assert fix.verified_by == "resolve"
    assert "Move u@2026-11-30 (priority 1) from v1 to v2" in fix.text
    assert fix.changes == ()
    verify_independently(reg, plan, fix, problem)


def test_assign_when_a_free_volunteer_was_left_unused() -> None:
    reg = b.registry([b.volunteer("v1")], None, [b.need("n1")])
    plan = solved(reg)
    row = plan.assignments.iloc[0]
    unmatched = pd.DataFrame(
        [{"task_id": MON, "need_id": "n1", "client_id": "c1", "kind": "other",
          "window_start": row["start"], "missing": 1, "reason_code": "conflict", "reason": ""}]
    )  # fmt: skip
    metrics = {**plan.metrics, "covered": 0, "coverage": 0.0, "weighted_coverage": 0.0}
    empty = mk.Plan(plan.assignments.iloc[0:0], unmatched, metrics, plan.metadata)
    fix, problem = fix_for(reg, empty, MON)
    assert fix.kind == "assign"
    assert "v1 is free" in fix.text
    verify_independently(reg, empty, fix, problem)


def test_no_fix_within_the_searched_changes() -> None:
    # max_team 1 is used up by v2 (history), who is away: nobody new may serve this need
    vols = [b.volunteer("v1"), b.volunteer("v2", unavailable="2026-11-30")]
    reg = b.registry(vols, None, [b.need("n1", max_team=1)], [b.history("v2")])
    plan = solved(reg)
    fix, _ = fix_for(reg, plan, MON)
    assert fix.kind == "none"
    assert "No fix found within the searched changes" in fix.text
    assert not fix.add


def test_team_task_cap_fix_raises_only_the_capped_member() -> None:
    vols = [
        b.volunteer("v1", availability=TWO_DAYS, max_tasks_per_week=1),
        b.volunteer("v2"),
    ]
    needs = [
        b.need("n1", volunteers_needed=2, priority=3),
        b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU", priority=1),
    ]
    reg = b.registry(vols, None, needs)
    plan = solved(reg)
    assert list(plan.unmatched["task_id"]) == [MON]
    fix, problem = fix_for(reg, plan, MON)
    assert fix.kind == "extra_task"
    assert [c.key for c in fix.changes] == ["v1"]
    assert len(fix.add) == 2
    verify_independently(reg, plan, fix, problem)


def test_every_fix_on_a_generated_village_is_verified() -> None:
    reg = b.generated_registry("village", seed=3, variant="scarce_drivers")
    plan = mk.match(reg, week=b.WEEK, solver=mk.GreedySolver())
    table = mk.explain_plan(reg, plan, verify=True)
    assert len(table) == len(plan.unmatched) > 0
    found = table[table["fix_kind"] != "none"]
    assert len(found) > 0
    assert found["fix_verified"].str.endswith("+check").all(), found["fix_verified"].tolist()
    assert (table.loc[table["fix_kind"] == "none", "fix_verified"] == "").all()


def test_fix_search_after_a_replan_never_proposes_the_declined_volunteer() -> None:
    # v1 declines MON; v2 could take it but is at its weekly cap with TUE
    vols = [
        b.volunteer("v1"),
        b.volunteer("v2", lat=b.north(3), availability=TWO_DAYS, max_tasks_per_week=1),
    ]
    needs = [b.need("n1"), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU")]
    reg = b.registry(vols, None, needs)
    plan = solved(reg)
    assert set(zip(plan.assignments["task_id"], plan.assignments["volunteer_id"], strict=True)) == {
        (MON, "v1"),
        (TUE, "v2"),
    }
    res = mk.replan(reg, plan, [mk.TaskDeclined(MON, "v1")], time_limit=2, seed=0)
    assert mk.check(res.registry, res.plan).empty
    assert list(res.plan.unmatched["task_id"]) == [MON]
    assert res.plan.metadata["replan"]["declined"] == [[MON, "v1"]]
    # v1 is free on Monday in the new plan: without the declined pair the fix would be
    # "assign v1"; the fix search rebuilds the problem from the plan and leaves v1 out
    problem = problem_for_plan(res.registry, res.plan)
    assert problem.forbidden.tolist() == [[problem.task_ids.index(MON), 0]]
    index = VolunteerIndex(problem, res.registry)
    fix = find_fix(index, res.plan.occupancy(problem), problem.task_ids.index(MON))
    assert fix.kind == "extra_task"
    assert [c.key for c in fix.changes] == ["v2"]
    assert [r["volunteer_id"] for r in fix.add] == ["v2"]
    table = mk.explain_plan(res.registry, res.plan)
    row = table.set_index("task_id").loc[MON]
    assert row["fix_kind"] == "extra_task" and "v1" not in row["fix"]
    assert "1 not excluded by the client" in row["funnel"]
