"""Very large components are split into regions; the plan stays feasible."""

from __future__ import annotations

import builders as b
import numpy as np
import pytest

import matchkracht as mk
from matchkracht.solver import cpsat


def test_split_region_parts_share_no_task_and_cover_every_option() -> None:
    reg = b.generated_registry("village", seed=3)
    problem = mk.build_problem(reg, b.WEEK)
    everything = np.arange(problem.num_options)
    parts = cpsat.split_region(problem, everything, seed=0)
    assert len(parts) >= 2
    seen_tasks: set[int] = set()
    for part in parts:
        tasks = set(problem.opt_task[part].tolist())
        assert not tasks & seen_tasks
        seen_tasks |= tasks
    assert sorted(np.concatenate(parts).tolist()) == everything.tolist()
    # the same seed gives the same split
    again = cpsat.split_region(problem, everything, seed=0)
    assert [p.tolist() for p in parts] == [p.tolist() for p in again]


def test_a_split_component_is_solved_feasibly_with_the_trivial_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg = b.generated_registry("village", seed=3)
    whole = mk.match(reg, week=b.WEEK, time_limit=5, seed=0, workers=2)
    monkeypatch.setattr(cpsat.budget, "MAX_COMPONENT", 50)
    monkeypatch.setattr(cpsat.budget, "REGION_OPTIONS", 200)
    split = mk.match(reg, week=b.WEEK, time_limit=5, seed=0, workers=2)
    assert mk.check(reg, split).empty
    assert split.metadata["solver_stats"]["regions"] >= 2
    assert split.status == "feasible"  # options across borders were given up
    problem = mk.build_problem(reg, b.WEEK)
    trivial = problem.task_weight[np.unique(problem.opt_task)].sum() / problem.total_weight
    assert split.metrics["weighted_coverage"] <= split.metrics["bound"] <= trivial + 1e-9
    assert split.metrics["weighted_coverage"] <= whole.metrics["bound"] + 1e-9


def test_complete_teams_drops_teams_cut_by_a_border() -> None:
    vols = [b.volunteer("v1"), b.volunteer("v2"), b.volunteer("v3")]
    needs = [b.need("pair", volunteers_needed=2), b.need("solo", window="14:00-14:00")]
    problem = mk.build_problem(b.registry(vols, needs=needs), b.WEEK)
    pair_task = problem.task_ids.index(f"pair@{b.day(0)}")
    team = np.flatnonzero(problem.opt_task == pair_task)[:2]
    solo = np.flatnonzero(problem.opt_task != pair_task)[:1]
    part = np.concatenate([team[:1], solo])  # the border cut the team in two
    kept = cpsat.complete_teams(problem, part, np.ones(len(part), dtype=bool))
    assert kept.tolist() == [False, True]
    whole = np.concatenate([team, solo])
    assert cpsat.complete_teams(problem, whole, np.ones(3, dtype=bool)).all()


def test_parts_without_time_left_keep_their_greedy_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    reg = b.generated_registry("village", seed=3)
    monkeypatch.setattr(cpsat.budget, "MAX_COMPONENT", 50)
    monkeypatch.setattr(cpsat.budget, "REGION_OPTIONS", 120)
    plan = mk.match(reg, week=b.WEEK, time_limit=0.001, seed=0, workers=1)
    assert mk.check(reg, plan).empty
    assert "NO_TIME_LEFT" in plan.metadata["solver_stats"]["component_statuses"]
    assert plan.metrics["covered"] > 0


def test_a_region_bound_is_widened_by_what_the_regions_before_took(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # two villages 8 km apart; v (one task a week, the only driver) lives by the
    # first, where u could serve too but v is nearer; the second has three rides
    # only v can drive. Solved in turn (the smaller region first), the first
    # region takes v for its travel, and nothing of the second fits beside that:
    # its own bound given the first is 0, yet the whole covers two tasks (u in
    # the first region, v in the second). The widened bound must still hold.
    vols = [
        b.volunteer("u", lat=b.north(-3)),
        b.volunteer(
            "v",
            lat=b.north(1),
            availability="mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00",
            max_tasks_per_week=1,
            skills="driving",
        ),
    ]
    clients = [b.client("c1"), b.client("c2", lat=b.north(8))]
    rides = [
        b.need(f"b{i}", "c2", schedule=f"FREQ=WEEKLY;BYDAY={d}", skills_required="driving")
        for i, d in ((1, "TU"), (2, "WE"), (3, "TH"))
    ]
    reg = b.registry(vols, clients, [b.need("a1", "c1"), *rides])
    tiers = ("coverage", "travel")
    whole = mk.match(reg, week=b.WEEK, time_limit=5, seed=0, workers=2, tiers=tiers)
    assert whole.metrics["bound_kind"] == "coverage_optimal"
    best = whole.metrics["weighted_coverage"]
    monkeypatch.setattr(cpsat.budget, "MAX_COMPONENT", 0)
    monkeypatch.setattr(cpsat.budget, "REGION_OPTIONS", 2)
    with monkeypatch.context() as m:
        m.setattr(cpsat.budget, "FILL_SHARE", 0.0)  # the regions' plan as they left it
        split = mk.match(reg, week=b.WEEK, time_limit=5, seed=0, workers=2, tiers=tiers)
    assert split.metadata["solver_stats"]["regions"] == 2
    assert mk.check(reg, split).empty
    assert split.metrics["weighted_coverage"] < best  # the first region took v
    assert split.metrics["bound"] >= best - 1e-9
    assert split.metrics["bound_kind"] == "cpsat"  # below the trivial bound (all four)
    # the fill after the parts moves a1 to u and gives v a ride across the border
    filled = mk.match(reg, week=b.WEEK, time_limit=5, seed=0, workers=2, tiers=tiers)
    assert mk.check(reg, filled).empty
    assert filled.metrics["weighted_coverage"] == pytest.approx(best)
    assert filled.metadata["solver_stats"]["filled"] > 0
    assert filled.metrics["bound"] >= best - 1e-9
