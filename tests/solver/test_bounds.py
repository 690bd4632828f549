"""The day-relaxation bound: valid (never below a plan) and stronger than the trivial one."""

from __future__ import annotations

import builders as b
import numpy as np
import pytest

import matchkracht as mk
from matchkracht.solver.bounds import day_bound


def _trivial(problem: mk.Problem) -> int:
    return int(problem.task_weight[np.unique(problem.opt_task)].sum())


def test_an_overlap_inside_a_day_lowers_the_bound_below_the_trivial_one() -> None:
    # one volunteer, two one-hour tasks at the same Monday hour: only one can be covered
    vols = [b.volunteer("v1", availability="mon 09:00-12:00")]
    needs = [b.need("n1"), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=MO")]
    problem = mk.build_problem(b.registry(vols, needs=needs), b.WEEK)
    db = day_bound(problem, time_limit=5)
    assert db.trivial == _trivial(problem) == 2 * int(problem.task_weight[0])
    assert db.bound == int(problem.task_weight.max())
    assert db.optimal


def test_weekly_caps_are_relaxed_across_days_so_the_bound_stays_above_the_optimum() -> None:
    # a cap of one task a week links Monday and Tuesday: the relaxation sees each day alone
    vols = [
        b.volunteer("v1", availability="mon 09:00-12:00; tue 09:00-12:00", max_tasks_per_week=1)
    ]
    needs = [b.need("n1"), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU")]
    reg = b.registry(vols, needs=needs)
    problem = mk.build_problem(reg, b.WEEK)
    db = day_bound(problem, time_limit=5)
    plan = mk.match(reg, week=b.WEEK, time_limit=5, seed=0)
    covered = plan.metrics["weighted_coverage"] * problem.total_weight
    assert covered == pytest.approx(int(problem.task_weight.max()))
    assert db.bound == db.trivial == _trivial(problem) > covered
    assert len(db.days) == 2


@pytest.mark.parametrize("seed", [1, 4])
def test_the_day_bound_is_never_below_the_optimal_plan(seed: int) -> None:
    reg = b.generated_registry("village", seed=seed)
    problem = mk.build_problem(reg, b.WEEK)
    db = day_bound(problem, time_limit=10, threads=2)
    covered = b.optimal_covered_weight(problem)
    assert covered <= db.bound <= db.trivial == _trivial(problem)
    assert (db.days_best <= db.days_bound).all()
    assert (db.days_bound <= db.days_trivial).all()


def test_days_split_by_location_still_bound_the_optimal_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matchkracht.solver import bounds

    reg = b.generated_registry("village", seed=4)
    problem = mk.build_problem(reg, b.WEEK)
    whole = day_bound(problem, time_limit=10, threads=2)
    monkeypatch.setattr(bounds, "PART_OPTIONS", 40)
    day = np.flatnonzero(problem.task_day[problem.opt_task] == 0)
    parts = bounds.day_parts(problem, day)
    assert len(parts) > 1
    assert sorted(np.concatenate(parts).tolist()) == day.tolist()
    # every option of a task stays in the task's part
    owner = {int(t): i for i, q in enumerate(parts) for t in problem.opt_task[q]}
    assert all(owner[int(problem.opt_task[o])] == i for i, q in enumerate(parts) for o in q)
    split = day_bound(problem, time_limit=10, threads=2)
    solution = mk.CpSatSolver(time_limit=20, seed=0, tiers=("coverage",)).solve(problem)
    covered = int(
        problem.task_weight[mk.problem.occupancy.covered_tasks(problem, solution.options)].sum()
    )
    assert covered <= whole.bound <= split.bound <= split.trivial
