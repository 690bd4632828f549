"""Reasons for unmatched tasks: one registry per reason code, ids and counts only."""

from __future__ import annotations

from typing import Any

import builders as b
import numpy as np
import pytest

import matchkracht as mk
from matchkracht.plan.reasons import explain_unmatched

NAMES = ("Zoë Çelik", "Jan 't Hoeske", "Fatima El Amrani", "Mevrouw Zoë de Wit")
FAR = b.north(9.8)


def named_volunteer(i: int, **kw: Any) -> dict[str, Any]:
    """Volunteer ``v{i}`` with a personal name that must never show up in reasons."""
    return b.volunteer(f"v{i}", name=NAMES[i % 3], address="Kerkstraat 1, 't Hoeske", **kw)


def named_client(client_id: str = "c1", **kw: Any) -> dict[str, Any]:
    """A client with a personal name and address."""
    return b.client(client_id, name=NAMES[3], address="Markt 2, Venlo", **kw)


def unmatched_reason(plan: mk.Plan, task_id: str) -> tuple[str, str]:
    """(reason_code, reason) of one unmatched task."""
    row = plan.unmatched.set_index("task_id").loc[task_id]
    return str(row["reason_code"]), str(row["reason"])


def plan_of(vols: list[dict[str, Any]], needs: list[dict[str, Any]], **kw: Any) -> mk.Plan:
    """Plan a tiny registry with CP-SAT and check it."""
    clients = kw.pop("clients", [named_client()])
    reg = b.registry(vols, clients, needs, kw.pop("history", None))
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    assert mk.check(reg, plan).empty
    return plan


def assert_private(plan: mk.Plan) -> None:
    """No name or address appears in the unmatched table or the summary."""
    text = plan.unmatched.to_string() + plan.summary()
    for word in (*NAMES, "Zoë", "Çelik", "Hoeske", "Kerkstraat", "Markt"):
        assert word not in text


MON = "n1@2026-11-30"

CASES: dict[str, dict[str, Any]] = {
    "no_skill": {
        "vols": [named_volunteer(1), named_volunteer(2, skills="handy")],
        "needs": [b.need("n1", skills="dementia;handy")],
        "words": ["none of 2 volunteers", "dementia, handy"],
    },
    "no_language": {
        "vols": [named_volunteer(i) for i in range(1, 4)],
        "needs": [b.need("n1", languages="ar;tr")],
        "words": ["3 volunteers", "none speak ar or tr"],
    },
    "too_far": {
        "vols": [named_volunteer(1), named_volunteer(2, lat=FAR, max_km=5)],
        "needs": [b.need("n1", volunteers_needed=2)],
        "words": ["needs 2 volunteers at once", "2 volunteers", "only 1 lives within"],
    },
    "not_available": {
        "vols": [
            named_volunteer(1, availability="tue 09:00-17:00"),
            named_volunteer(2, unavailable="2026-11-30"),
            named_volunteer(3, availability="mon 10:00-10:30"),
        ],
        "needs": [b.need("n1")],
        "words": ["3 volunteers could come", "none are available", "Mon 10:00-10:00"],
    },
    "excluded": {
        "vols": [named_volunteer(1), named_volunteer(2)],
        "needs": [b.need("n1")],
        "clients": [named_client(excluded_volunteers="v1;v2")],
        "words": ["2 volunteers are available", "excludes them all"],
    },
    "continuity": {
        "vols": [named_volunteer(1), named_volunteer(2, unavailable="2026-11-30")],
        "needs": [b.need("n1", continuity="strict")],
        "history": [b.history("v2")],
        "words": ["continuity is strict", "none of the volunteers who helped", "of 1 otherwise"],
    },
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_funnel_reason_codes(code: str) -> None:
    case = dict(CASES[code])
    words = case.pop("words")
    plan = plan_of(**case)
    assert plan.assignments.empty
    got, text = unmatched_reason(plan, MON)
    assert got == code
    for w in words:
        assert w.lower() in text.lower(), text
    assert_private(plan)


def test_capacity() -> None:
    vols = [
        named_volunteer(1, availability="mon 09:00-17:00; tue 09:00-17:00", max_tasks_per_week=1)
    ]
    plan = plan_of(vols, [b.need("n1"), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU")])
    assert len(plan.assignments) == 1
    assert len(plan.unmatched) == 1
    code, text = plan.unmatched.iloc[0][["reason_code", "reason"]]
    assert code == "capacity"
    assert "1 volunteer could take it" in text
    assert "1 is at their weekly cap and 0 are busy" in text
    assert_private(plan)


def test_hour_cap_is_capacity_too() -> None:
    vols = [
        named_volunteer(1, availability="mon 09:00-17:00; tue 09:00-17:00", max_hours_per_week=1.5)
    ]
    plan = plan_of(vols, [b.need("n1"), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU")])
    assert list(plan.unmatched["reason_code"]) == ["capacity"]


def test_conflict() -> None:
    vols = [named_volunteer(1)]
    clients = [named_client("c1"), named_client("c2")]
    plan = plan_of(vols, [b.need("n1"), b.need("n2", client_id="c2")], clients=clients)
    assert len(plan.unmatched) == 1
    code, text = plan.unmatched.iloc[0][["reason_code", "reason"]]
    assert code == "conflict"
    assert "1 volunteer could take it" in text
    assert "0 are at their weekly cap and 1 is busy" in text
    assert_private(plan)


def test_team_without_a_common_start_is_explained() -> None:
    vols = [
        named_volunteer(1, availability="mon 09:00-11:00"),
        named_volunteer(2, availability="mon 12:00-16:00"),
    ]
    plan = plan_of(vols, [b.need("n1", window="10:00-14:00", volunteers_needed=2)])
    code, text = unmatched_reason(plan, MON)
    assert code in {"capacity", "conflict"}
    assert "needs 2 volunteers at once" in text
    assert "2 free are not enough at one common start" in text
    assert_private(plan)


def test_reason_counts_match_the_funnel() -> None:
    vols = [
        named_volunteer(1),
        named_volunteer(2, skills="handy"),
        named_volunteer(3, skills="handy"),
    ]
    reg = b.registry(vols, [named_client()], [b.need("n1", skills="handy", languages="ar")])
    problem = mk.build_problem(reg, b.WEEK)
    reasons = explain_unmatched(problem, reg, np.zeros(0, dtype=np.int64))
    assert list(reasons) == [0]
    r = reasons[0]
    assert r.code == "no_language"
    assert r.counts["skills"] == 2
    assert r.counts["languages"] == 0
    assert "2 volunteers have the skills" in r.text


def test_covered_tasks_have_no_reason() -> None:
    reg = b.registry([named_volunteer(1)], [named_client()], [b.need("n1")])
    problem = mk.build_problem(reg, b.WEEK)
    sol = mk.CpSatSolver(time_limit=1).solve(problem)
    assert explain_unmatched(problem, reg, sol.options) == {}


# -- rich explanations: funnel, competitors, explain_plan --------------------------------


def test_funnel_counts_agree_with_the_problem() -> None:
    from matchkracht.advice.candidates import VolunteerIndex
    from matchkracht.advice.explain import explain_tasks
    from matchkracht.problem.occupancy import Occupancy

    reg = b.generated_registry("village", seed=3, variant="scarce_drivers")
    problem = mk.build_problem(reg, b.WEEK)
    sol = mk.GreedySolver().solve(problem)
    index = VolunteerIndex(problem, reg)
    state = Occupancy.from_options(problem, sol.options)
    uncovered = np.flatnonzero(
        np.bincount(problem.opt_task[sol.options], minlength=problem.num_tasks)
        < problem.task_needed
    )
    assert len(uncovered) > 0
    for e, t in zip(explain_tasks(index, state, uncovered), uncovered.tolist(), strict=True):
        assert [e.funnel[s] for s in ("skills", "languages", "distance", "availability",
                                      "exclusions", "continuity")] == list(problem.task_funnel[t])  # fmt: skip
        assert len(e.at_cap) + len(e.busy) + len(e.free) == e.funnel["continuity"]


def test_competitors_name_the_blocking_tasks_and_priorities() -> None:
    vols = [named_volunteer(1)]
    clients = [named_client("c1"), named_client("c2")]
    reg = b.registry(vols, clients, [b.need("n1", priority=1), b.need("n2", client_id="c2")])
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    table = mk.explain_plan(reg, plan)
    assert list(table.columns[:8]) == list(plan.unmatched.columns)
    row = table.iloc[0]
    assert row["task_id"] == "n2@2026-11-30"
    assert row["competitors"] == "v1 busy with n1@2026-11-30 (priority 1)"
    assert "1 volunteers" not in row["funnel"] and row["funnel"].startswith("1 volunteer;")
    assert "0 at their weekly cap, 1 busy at that time, 0 free" in row["funnel"]
    text = table.to_string()
    for word in (*NAMES, "Kerkstraat", "Markt"):
        assert word not in text


def test_explaining_is_fast_relative_to_solving() -> None:
    reg = b.generated_registry("village", seed=3, variant="scarce_drivers")
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    import time

    t0 = time.perf_counter()
    table = mk.explain_plan(reg, plan)
    assert time.perf_counter() - t0 < 2.0
    assert table["reason_code"].notna().all()
    assert ((table["fix_kind"] != "none") | table["fix"].str.startswith("No fix found")).all()
