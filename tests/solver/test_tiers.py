"""Multi-week horizons and the objective tiers: each binds in a tiny registry.

Covers the continuity tier's weekly slots, weekly caps per ISO week, ``max_team``
across weeks with history, the opt-in fairness tier, tolerances, the settings
recorded in plan metadata, and ``Registry.record`` feeding next week's
continuity. Every plan passes the independent checker.
"""

from __future__ import annotations

from typing import Any

import builders as b
import pandas as pd
import pytest

import matchkracht as mk

CFG: dict[str, Any] = {"time_limit": 3.0, "seed": 0, "workers": 2}
NO_CONTINUITY = ("coverage", "travel")
WITH_FAIRNESS = ("coverage", "stability", "continuity", "fairness", "travel")
WITHOUT_FAIRNESS = ("coverage", "stability", "continuity", "travel")


def _solve(reg: mk.Registry, week: str = b.WEEK, weeks: int = 1, **kw: Any) -> mk.Plan:
    plan = mk.match(reg, week=week, weeks=weeks, **{**CFG, **kw})
    violations = mk.check(reg, plan)
    assert violations.empty, violations.to_string()
    return plan


def _who(plan: mk.Plan) -> dict[str, str]:
    """Task id → volunteer id (one volunteer per task)."""
    a = plan.assignments
    return dict(zip(a["task_id"].astype(str), a["volunteer_id"].astype(str), strict=True))


def _mondays(weeks: int) -> list[str]:
    return [f"n1@{b.day(7 * w)}" for w in range(weeks)]


# -- continuity: the same volunteer keeps the same weekly slot -------------------------
def test_recurring_need_keeps_its_weekly_slot_across_weeks() -> None:
    # v1 is nearer, but away in the first week, so v2 must take that Monday. Both
    # helped the client before, so no new face is at stake: only the weekly slot.
    vols = [
        b.volunteer("v1", lat=b.north(0.5), unavailable=b.day(0)),
        b.volunteer("v2", lat=b.north(2.0)),
    ]
    hist = [b.history("v1"), b.history("v2", when="2026-11-16")]
    reg = b.registry(vols, needs=[b.need("n1")], history=hist)
    tasks = _mondays(3)

    slot = _solve(reg, weeks=3)
    assert _who(slot) == dict.fromkeys(tasks, "v2")
    travel_only = _solve(reg, weeks=3, tiers=NO_CONTINUITY)
    assert _who(travel_only) == {tasks[0]: "v2", tasks[1]: "v1", tasks[2]: "v1"}
    assert slot.metrics["travel_km"] > travel_only.metrics["travel_km"]
    # on a one-week horizon there are no slots to keep: travel decides
    assert _who(_solve(reg, week="2026-W50")) == {tasks[1]: "v1"}


def test_new_face_counts_once_per_client_over_the_horizon() -> None:
    # nobody helped before: v2 in week one is one new face; keeping v2 costs nothing more
    vols = [
        b.volunteer("v1", lat=b.north(0.5), unavailable=b.day(0)),
        b.volunteer("v2", lat=b.north(2.0)),
    ]
    reg = b.registry(vols, needs=[b.need("n1")])
    plan = _solve(reg, weeks=2)
    assert _who(plan) == dict.fromkeys(_mondays(2), "v2")
    assert plan.metrics["continuity_recurring"] == pytest.approx(0.5)  # familiar in week two


# -- weekly caps per ISO week ------------------------------------------------------------
@pytest.mark.parametrize("cap", [1, 2])
def test_weekly_caps_count_per_iso_week(cap: int) -> None:
    vols = [b.volunteer("v1", availability="mon,tue 09:00-17:00", max_tasks_per_week=cap)]
    reg = b.registry(vols, needs=[b.need("n1", schedule="FREQ=WEEKLY;BYDAY=MO,TU")])
    plan = _solve(reg, weeks=2)
    weeks = pd.to_datetime(plan.assignments["start"]).dt.isocalendar().week
    # the cap holds in each week, and is not spread over the whole horizon
    assert weeks.value_counts().to_dict() == {49: cap, 50: cap}
    assert plan.metrics["covered"] == 2 * cap


def test_hours_cap_counts_per_iso_week() -> None:
    vols = [b.volunteer("v1", availability="mon,tue 09:00-17:00", max_hours_per_week=1)]
    reg = b.registry(vols, needs=[b.need("n1", schedule="FREQ=WEEKLY;BYDAY=MO,TU")])
    plan = _solve(reg, weeks=2)
    assert plan.metrics["covered"] == 2  # one 60-minute task in each ISO week


# -- max_team across weeks, with history ---------------------------------------------------
def _team_registry(max_team: int | None, history: list[dict[str, Any]] | None) -> mk.Registry:
    # v1 and v2 are away in the second week, so only v3 can take that Monday
    away = b.day(7)
    vols = [
        b.volunteer("v1", lat=b.north(0.5), unavailable=away),
        b.volunteer("v2", lat=b.north(1.0), unavailable=away),
        b.volunteer("v3", lat=b.north(2.0)),
    ]
    need = b.need("n1", max_team="" if max_team is None else max_team)
    return b.registry(vols, needs=[need], history=history)


def test_max_team_binds_across_weeks_with_history() -> None:
    recent = [b.history("v1", when="2026-11-16"), b.history("v2")]
    capped = _solve(_team_registry(2, recent), weeks=2)
    # the team of two is full from history: v3 may not join in week two
    assert set(capped.assignments["volunteer_id"]) <= {"v1", "v2"}
    assert list(capped.unmatched["task_id"]) == [f"n1@{b.day(7)}"]
    assert _solve(_team_registry(None, recent), weeks=2).metrics["covered"] == 2
    # history older than three weeks before the horizon does not count
    old = [b.history("v1", when="2026-11-02"), b.history("v2", when="2026-11-02")]
    assert _solve(_team_registry(2, old), weeks=2).metrics["covered"] == 2


def test_max_team_counts_the_whole_horizon() -> None:
    # no history: week one and week two each have one possible volunteer, team of one
    vols = [
        b.volunteer("v1", unavailable=b.day(7)),
        b.volunteer("v2", lat=b.north(1.0), unavailable=b.day(0)),
    ]
    reg = b.registry(vols, needs=[b.need("n1", max_team=1)])
    plan = _solve(reg, weeks=2)
    assert plan.metrics["covered"] == 1
    assert plan.assignments["volunteer_id"].nunique() == 1
    free = b.registry(vols, needs=[b.need("n1")])
    assert _solve(free, weeks=2).metrics["covered"] == 2


# -- fairness ------------------------------------------------------------------------------
def _load_registry() -> mk.Registry:
    # v1 is nearest to every client; travel alone would give v1 all three tasks
    vols = [
        b.volunteer("v1", availability="mon,tue,wed 09:00-17:00"),
        b.volunteer("v2", lat=b.north(2.0), availability="mon,tue,wed 09:00-17:00"),
        b.volunteer("v3", lat=b.north(2.5), availability="mon,tue,wed 09:00-17:00"),
    ]
    clients = [b.client(f"c{i}", lat=b.north(0.2 * i)) for i in range(1, 4)]
    needs = [
        b.need(f"n{i}", f"c{i}", schedule=b.day(i - 1), continuity="none") for i in range(1, 4)
    ]
    return b.registry(vols, clients, needs)


def test_fairness_tier_spreads_the_load_at_no_coverage_cost() -> None:
    reg = _load_registry()
    plain = _solve(reg, tiers=WITHOUT_FAIRNESS)
    fair = _solve(reg)  # fairness is a default tier
    assert fair.metrics["covered"] == plain.metrics["covered"] == 3
    assert fair.metrics["max_load"] < plain.metrics["max_load"]
    assert fair.metrics["gini_load"] < plain.metrics["gini_load"]
    assert fair.assignments["volunteer_id"].nunique() == 3
    assert fair.metrics["travel_km"] > plain.metrics["travel_km"]


def test_fairness_counts_recent_history() -> None:
    # v1 did three tasks in the last three weeks; the spread term sends the one task elsewhere
    vols = [b.volunteer("v1"), b.volunteer("v2", lat=b.north(2.0))]
    past = [b.history("v1", need_id="n0", when=b.day(-d)) for d in (1, 8, 15)]
    reg = b.registry(vols, needs=[b.need("n1", continuity="none")], history=past)
    assert _who(_solve(reg, tiers=WITHOUT_FAIRNESS)) == {f"n1@{b.day(0)}": "v1"}
    assert _who(_solve(reg, tiers=WITH_FAIRNESS)) == {f"n1@{b.day(0)}": "v2"}


def test_default_tiers_are_the_issue_order() -> None:
    # coverage, continuity, fairness, travel (stability acts only when re-planning)
    assert mk.SolverSettings().tiers == WITH_FAIRNESS


def test_fairness_keeps_volunteers_off_their_caps_when_the_peak_is_forced() -> None:
    # v3 is the only one free on Wednesday, with a cap of one task: covering all three
    # puts v3 at the cap, so the highest share is 100 % whatever happens. v1 (cap 1,
    # nearest) and v2 (cap 3) take Monday's and Tuesday's tasks; the spread term ties
    # (2520/1 + 2520/3 = 4 * 2520/3), so only the count of volunteers at a cap keeps
    # v1 off: v2 takes both. (v3 is free on Monday too, so all share one component
    # and one highest share.)
    vols = [
        b.volunteer("v1", availability="mon,tue 09:00-17:00", max_tasks_per_week=1),
        b.volunteer("v2", lat=b.north(2.0), availability="mon,tue 09:00-17:00",
                    max_tasks_per_week=3),
        b.volunteer("v3", lat=b.north(2.0), availability="mon,wed 09:00-17:00",
                    max_tasks_per_week=1),
    ]  # fmt: skip
    days = ("MO", "TU", "WE")
    needs = [
        b.need(f"n{i}", schedule=f"FREQ=WEEKLY;BYDAY={d}", continuity="none")
        for i, d in enumerate(days, start=1)
    ]
    reg = b.registry(vols, needs=needs)
    plain = _solve(reg, tiers=WITHOUT_FAIRNESS)
    fair = _solve(reg)
    assert plain.metrics["covered"] == fair.metrics["covered"] == 3
    assert plain.metrics["max_load"] == fair.metrics["max_load"] == 1.0
    assert sorted(_who(plain).values()) == ["v1", "v2", "v3"]  # travel: v1 is nearest
    assert sorted(_who(fair).values()) == ["v2", "v2", "v3"]
    # the least count at a cap is 1, so the highest share (100 %) is implied, not searched
    assert fair.metrics["status"] == "optimal"


def test_fairness_lowers_the_horizon_load_over_two_weeks() -> None:
    # one weekly task, two weeks; v1 (cap 1, nearest) would take both and be at its
    # cap every week (load 100 %); with fairness each takes one week (load 50 %)
    vols = [
        b.volunteer("v1", max_tasks_per_week=1),
        b.volunteer("v2", lat=b.north(2.0), max_tasks_per_week=1),
    ]
    reg = b.registry(vols, needs=[b.need("n1", continuity="none")])
    plain = _solve(reg, weeks=2, tiers=WITHOUT_FAIRNESS)
    fair = _solve(reg, weeks=2)
    assert set(_who(plain).values()) == {"v1"}
    assert plain.metrics["max_load"] == plain.metrics["max_week_load"] == 1.0
    assert sorted(_who(fair).values()) == ["v1", "v2"]
    assert fair.metrics["max_load"] == 0.5 and fair.metrics["max_week_load"] == 1.0
    assert fair.metrics["covered"] == plain.metrics["covered"] == 2


def test_at_cap_before_continuity_takes_a_familiar_face_off_a_cap_for_one_week() -> None:
    # v1 helped the client before and may take one task a week: continuity gives v1
    # both Mondays (at the cap every week). With ``fairness:at_cap`` before
    # continuity, v2 takes one of them; after continuity (the default) it cannot.
    vols = [b.volunteer("v1", max_tasks_per_week=1), b.volunteer("v2", max_tasks_per_week=1)]
    reg = b.registry(vols, needs=[b.need("n1")], history=[b.history("v1")])
    default = _solve(reg, weeks=2)
    assert set(_who(default).values()) == {"v1"}
    assert default.metrics["max_load"] == 1.0
    order = ("coverage", "fairness:at_cap", "continuity", "fairness:peak", "travel")
    first = _solve(reg, weeks=2, tiers=order)
    assert sorted(_who(first).values()) == ["v1", "v2"]
    assert first.metrics["max_load"] == 0.5
    assert first.metrics["continuity"] < default.metrics["continuity"]
    assert set(first.metadata["solver_stats"]["tiers"]) == set(order)


# -- tolerance -----------------------------------------------------------------------------
def test_coverage_tolerance_lets_continuity_win() -> None:
    # two simultaneous tasks of one client: v1 is familiar, v2 would be a new face.
    # Covering both (weight 4 + 1) needs v2; with 34 % tolerance on coverage the
    # priority-3 task (1 of 5) may go, and continuity keeps the client to v1.
    vols = [b.volunteer("v1"), b.volunteer("v2")]
    needs = [b.need("n1", priority=1), b.need("n2", priority=3)]
    reg = b.registry(vols, needs=needs, history=[b.history("v1")])
    strict = _solve(reg)
    assert strict.metrics["covered"] == 2
    assert set(strict.assignments["volunteer_id"]) == {"v1", "v2"}
    tolerant = _solve(reg, tolerance={"coverage": 0.34})
    assert _who(tolerant) == {f"n1@{b.day(0)}": "v1"}
    assert tolerant.metrics["continuity"] == 1.0 > strict.metrics["continuity"]


def test_a_tolerance_smaller_than_one_unit_gives_nothing_up() -> None:
    vols = [b.volunteer("v1"), b.volunteer("v2")]
    needs = [b.need("n1", priority=1), b.need("n2", priority=3)]
    reg = b.registry(vols, needs=needs, history=[b.history("v1")])
    # 10 % of a covered weight of 5 is half a unit: the priority-3 task must stay
    assert _solve(reg, tolerance={"coverage": 0.1}).metrics["covered"] == 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_tolerance_is_given_up_to_the_next_tier_only(seed: int) -> None:
    # n1 (c1, next door) and n2 (c2, 8 km away), one volunteer each could take both.
    # With 50 % coverage tolerance, continuity (the next tier) needs none of it;
    # travel (after it) would drop the far task to save 16 km, but may not.
    c2 = b.north(8.0)
    vols = [b.volunteer("v1"), b.volunteer("v2", lat=b.north(1.0))]
    clients = [b.client("c1"), b.client("c2", lat=c2)]
    needs = [
        b.need("n1"),
        b.need("n2", client_id="c2", window="14:00-14:00", continuity="none"),
    ]
    reg = b.registry(vols, clients=clients, needs=needs, history=[b.history("v1")])
    tiers = ("coverage", "continuity", "travel")
    plan = _solve(reg, tiers=tiers, tolerance={"coverage": 0.5}, seed=seed)
    assert plan.metrics["covered"] == 2
    # travel right after coverage is the next tier: it may drop the far task
    plan = _solve(reg, tiers=("coverage", "travel"), tolerance={"coverage": 0.5}, seed=seed)
    assert plan.metrics["covered"] == 1


@pytest.mark.parametrize("recover", [True, False])
def test_what_the_next_tier_did_not_need_is_won_back(
    recover: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as above, without putting back tasks right after the continuity step: the
    # far task comes back only when coverage is re-optimised before travel
    from matchkracht.solver import cpsat

    monkeypatch.setattr(cpsat.warmstart, "restore", lambda *args: args[3])
    if not recover:
        monkeypatch.setattr(cpsat.budget, "RECOVER_SHARE", 0.0)
    vols = [b.volunteer("v1"), b.volunteer("v2", lat=b.north(1.0))]
    clients = [b.client("c1"), b.client("c2", lat=b.north(8.0))]
    needs = [
        b.need("n1"),
        b.need("n2", client_id="c2", window="14:00-14:00", continuity="none"),
    ]
    reg = b.registry(vols, clients=clients, needs=needs, history=[b.history("v1")])
    tiers = ("coverage", "continuity", "travel")
    plan = _solve(reg, tiers=tiers, tolerance={"coverage": 0.5})
    assert plan.metrics["covered"] == (2 if recover else 1)


# -- metadata -----------------------------------------------------------------------------
def test_metadata_records_tiers_tolerance_seed_and_versions() -> None:
    reg = _load_registry()
    plan = _solve(reg, tiers=WITH_FAIRNESS, tolerance={"coverage": 0.05}, seed=7)
    s = plan.metadata["settings"]
    assert tuple(s["tiers"]) == WITH_FAIRNESS
    assert s["tolerance"] == {"coverage": 0.05}
    assert s["seed"] == 7 and s["time_limit"] == CFG["time_limit"]
    v = plan.metadata["versions"]
    assert {"matchkracht", "ortools", "python"} <= set(v)
    assert set(plan.metadata["solver_stats"]["tiers"]) == set(WITH_FAIRNESS)
    with pytest.raises(mk.InvalidSettingsError, match="tiers"):
        mk.match(reg, week=b.WEEK, tiers=("continuity", "coverage"))


# -- history: a confirmed plan feeds next week's continuity -------------------------------
def test_recorded_plan_makes_next_week_prefer_the_same_volunteer() -> None:
    # In W49 only v1 can come (v2 is away); in W50 v2 is nearer.
    vols = [b.volunteer("v1", lat=b.north(2.0)), b.volunteer("v2", unavailable=b.day(0))]
    reg = b.registry(vols, needs=[b.need("n1")])
    first = _solve(reg)
    assert _who(first) == {f"n1@{b.day(0)}": "v1"}
    recorded = reg.record(first)
    assert recorded.history.equals(reg.record(first.assignments).history)
    assert [(h.volunteer_id, h.date.isoformat()) for h in recorded.history_records] == [
        ("v1", b.day(0))
    ]
    without = _solve(reg, week="2026-W50")
    assert _who(without) == {f"n1@{b.day(7)}": "v2"}
    with_history = _solve(recorded, week="2026-W50")
    assert _who(with_history) == {f"n1@{b.day(7)}": "v1"}
    assert with_history.metrics["continuity"] == 1.0
