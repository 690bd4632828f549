"""The supply relaxation: each of its rules binds, and it never falls below a plan."""

from __future__ import annotations

from typing import Any

import builders as b
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import SETTINGS, frames, tiny

import matchkracht as mk
from matchkracht.data.horizon import Horizon
from matchkracht.solver.cpsat.supply import supply_bound


def _all(problem: mk.Problem) -> np.ndarray:
    return np.arange(problem.num_options)


def test_weekly_minutes_bind_across_days() -> None:
    # one hour a week and two one-hour tasks on two days: one of them at most
    vols = [
        b.volunteer("v1", availability="mon 09:00-12:00; tue 09:00-12:00", max_hours_per_week=1)
    ]
    needs = [b.need("n1", priority=1), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU", priority=3)]
    problem = mk.build_problem(b.registry(vols, needs=needs), b.WEEK)
    sb = supply_bound(problem, _all(problem))
    assert sb.trivial == int(problem.task_weight.sum()) == 5
    assert sb.bound == 4  # the heavier task alone


def test_weekly_task_cap_binds() -> None:
    vols = [
        b.volunteer("v1", availability="mon 09:00-12:00; tue 09:00-12:00", max_tasks_per_week=1)
    ]
    needs = [b.need("n1", priority=2), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU", priority=2)]
    problem = mk.build_problem(b.registry(vols, needs=needs), b.WEEK)
    assert supply_bound(problem, _all(problem)).bound == 2


def test_a_day_span_binds_flexible_tasks() -> None:
    # free 09:00-10:30; two 45-minute visits that may start 09:00-09:45: their
    # starts overlap nowhere in common (no compulsory clash), but 90 minutes do
    # not fit in the 90 - 5 minute span of the starts the windows allow
    vols = [b.volunteer("v1", availability="mon 09:00-10:30")]
    needs = [
        b.need("n1", window="09:00-09:40", duration_min=45, priority=1),
        b.need("n2", window="09:00-09:40", duration_min=45, priority=3),
    ]
    problem = mk.build_problem(b.registry(vols, needs=needs), b.WEEK)
    sb = supply_bound(problem, _all(problem))
    assert sb.trivial == 5
    # 85 minutes of span for 90 occupied: the LP covers all of the heavier one and
    # 40/45 of the lighter one, 4 + 0.89, rounded down
    assert sb.bound == 4


def test_a_common_moment_binds_fixed_tasks() -> None:
    # two one-hour tasks at exactly 10:00: at most one per volunteer
    vols = [b.volunteer("v1", availability="mon 09:00-17:00")]
    needs = [b.need("n1", priority=1), b.need("n2", priority=1)]
    problem = mk.build_problem(b.registry(vols, needs=needs), b.WEEK)
    assert supply_bound(problem, _all(problem)).bound == 4


def test_a_team_counts_each_volunteer_once() -> None:
    # a task for two volunteers and only one candidate: the team cannot be covered
    vols = [b.volunteer("v1"), b.volunteer("v2", skills="")]
    needs = [b.need("n1", volunteers_needed=2, skills="handy")]
    reg = b.registry([b.volunteer("v1", skills="handy"), vols[1]], needs=needs)
    problem = mk.build_problem(reg, b.WEEK)
    assert supply_bound(problem, _all(problem)).bound == 0


def _team(max_team: int | str, history: list[dict[str, Any]] | None = None) -> mk.Problem:
    # two Mondays; v1 is away on the second, v2 on the first
    vols = [
        b.volunteer("v1", unavailable=b.day(7)),
        b.volunteer("v2", lat=b.north(1.0), unavailable=b.day(0)),
        b.volunteer("v3", availability="fri 09:00-12:00"),  # never free on a Monday
    ]
    reg = b.registry(vols, needs=[b.need("n1", max_team=max_team)], history=history)
    return mk.build_problem(reg, Horizon.from_week(b.WEEK, weeks=2))


def test_a_care_team_cap_binds_across_the_horizon() -> None:
    # a team of one: v1 or v2 may join, not both, so one Monday at most
    capped, free = _team(1), _team("")
    one = int(capped.task_weight[0])
    assert supply_bound(capped, _all(capped)).bound == one
    assert supply_bound(free, _all(free)).bound == 2 * one


def test_a_team_place_is_not_shared_out() -> None:
    # three weekdays, a team of one, two newcomers who each take one task a week:
    # half of each (two tasks) would keep the caps, but the one member covers one
    free = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00"
    vols = [
        b.volunteer(f"v{i}", lat=b.north(i), availability=free, max_tasks_per_week=1)
        for i in (1, 2)
    ]
    needs = [b.need("n1", schedule="FREQ=WEEKLY;BYDAY=MO,TU,WE", max_team=1)]
    p = mk.build_problem(b.registry(vols, needs=needs), b.WEEK)
    assert p.num_tasks == 3
    assert supply_bound(p, _all(p)).bound == int(p.task_weight[0])


def test_a_full_care_team_takes_no_newcomer() -> None:
    # v3 served n1 last week and fills its team of one: v1 and v2 may not join
    p = _team(1, [b.history("v3")])
    assert p.need_team_cap.tolist() == [0]
    assert supply_bound(p, _all(p)).bound == 0


def test_without_options_the_bound_is_zero() -> None:
    vols = [b.volunteer("v1")]
    problem = mk.build_problem(b.registry(vols, needs=[b.need("n1")]), b.WEEK)
    sb = supply_bound(problem, np.zeros(0, dtype=np.int64))
    assert (sb.bound, sb.trivial) == (0, 0)


def test_on_a_village_it_never_falls_below_the_optimum() -> None:
    reg = b.generated_registry("village", seed=4)
    problem = mk.build_problem(reg, b.WEEK)
    sb = supply_bound(problem, _all(problem))
    assert sb.bound is not None
    assert b.optimal_covered_weight(problem) <= sb.bound <= sb.trivial


@SETTINGS
@given(frames(max_width=15, max_needs=4, max_vols=3), st.booleans())
def test_the_supply_bound_is_never_below_the_brute_force_optimum(
    f: dict[str, Any], pdlp: bool
) -> None:
    from unittest import mock

    from matchkracht.solver.cpsat import supply

    best, problems = tiny(f)
    # pdlp: the first-order method, stopped at a loose tolerance (a rough dual)
    patch = {"PDLP_MIN_COLUMNS": 0, "PDLP_EPS": 1e-2} if pdlp else {"PDLP_MIN_COLUMNS": 10**9}
    with mock.patch.multiple(supply, **patch):
        for p in problems:
            sb = supply_bound(p, _all(p), time_limit=10)
            assert sb.bound is not None
            assert best <= sb.bound <= sb.trivial


@pytest.mark.parametrize("seed", [0, 1])
def test_it_bounds_every_plan_of_random_villages(seed: int) -> None:
    # a region-like split: the bound of a part never falls below a plan's weight there
    reg = b.generated_registry("village", seed=seed)
    problem = mk.build_problem(reg, b.WEEK)
    plan = mk.GreedySolver().solve(problem)
    weight = int(
        problem.task_weight[mk.problem.occupancy.covered_tasks(problem, plan.options)].sum()
    )
    sb = supply_bound(problem, _all(problem))
    assert sb.bound is not None and weight <= sb.bound


def test_the_engine_reports_the_supply_bound_where_cpsat_proves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matchkracht.solver.cpsat import budget

    # one hour a week, two one-hour tasks on two days: the plan covers the heavier
    vols = [
        b.volunteer("v1", availability="mon 09:00-12:00; tue 09:00-12:00", max_hours_per_week=1)
    ]
    needs = [b.need("n1", priority=1), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU", priority=3)]
    problem = mk.build_problem(b.registry(vols, needs=needs), b.WEEK)
    # as if CP-SAT had run out of time before proving anything
    with b.unproven_parts():
        sol = mk.CpSatSolver(time_limit=2.0, seed=0, tiers=("coverage",)).solve(problem)
        # without time for the LP, the same solve reports the trivial bound
        monkeypatch.setattr(budget, "SUPPLY_SHARE", 0.0)
        bare = mk.CpSatSolver(time_limit=2.0, seed=0, tiers=("coverage",)).solve(problem)
    assert sol.status == "feasible"
    assert sol.stats["supply_lps"] == 1
    covered = mk.problem.occupancy.covered_tasks(problem, sol.options)
    assert sol.bound == 4 == int(problem.task_weight[covered].sum())
    assert sol.stats["bound_kind"] == "coverage_optimal"
    assert sol.stats["bound_kinds"] == {"supply_lp": 1}
    assert bare.stats["supply_lps"] == 0
    assert bare.bound == 5 and bare.stats["bound_kind"] == "trivial"


@pytest.mark.parametrize("seed", [0, 4])
def test_pdlp_and_highs_bound_alike_and_a_stopped_pdlp_stays_valid(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matchkracht.solver.cpsat import supply

    reg = b.generated_registry("village", seed=seed)
    problem = mk.build_problem(reg, b.WEEK)
    highs = supply_bound(problem, _all(problem))
    monkeypatch.setattr(supply, "PDLP_MIN_COLUMNS", 0)
    pdlp = supply_bound(problem, _all(problem), time_limit=30)
    assert highs.bound is not None and pdlp.bound is not None
    # the same LP: PDLP's dual may stop a little short of optimal, never below the LP
    assert highs.bound <= pdlp.bound <= highs.bound + 1
    # a few iterations only: a weaker bound, still above the optimum
    monkeypatch.setattr(supply, "PDLP_EPS", 1e-1)
    rough = supply_bound(problem, _all(problem), time_limit=30)
    assert rough.bound is not None
    assert b.optimal_covered_weight(problem) <= rough.bound <= rough.trivial


def test_deterministic_mode_gives_the_same_bound_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matchkracht.solver.cpsat import supply

    reg = b.generated_registry("village", seed=2)
    problem = mk.build_problem(reg, b.WEEK)
    monkeypatch.setattr(supply, "PDLP_MIN_COLUMNS", 0)
    # so few iterations that PDLP stops on its count, far from its tolerance
    monkeypatch.setattr(supply, "PDLP_WORK_PER_SECOND", 2e4)
    runs = [
        supply_bound(problem, _all(problem), 1.0, deterministic=True, safety_factor=1e6)
        for _ in range(3)
    ]
    assert len({r.bound for r in runs}) == 1
    assert runs[0].bound is not None and runs[0].bound <= runs[0].trivial
