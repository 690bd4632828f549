"""The first-fit greedy baseline: feasible plans, all-or-nothing teams."""

from __future__ import annotations

import builders as b
import numpy as np
import pandas as pd
import pytest

import matchkracht as mk
from matchkracht.solver.greedy import greedy_options


def greedy_plan(reg: mk.Registry, weeks: int = 1) -> mk.Plan:
    """Match with the greedy solver and assert the plan passes the checker."""
    plan = mk.match(reg, week=b.WEEK, weeks=weeks, solver=mk.GreedySolver())
    violations = mk.check(reg, plan)
    assert violations.empty, violations.to_string()
    return plan


def test_greedy_follows_the_solver_protocol() -> None:
    solver = mk.GreedySolver()
    assert isinstance(solver, mk.Solver)
    problem = mk.build_problem(b.registry([b.volunteer("v1")], needs=[b.need("n1")]), b.WEEK)
    sol = solver.solve(problem)
    assert sol.status == "feasible"
    assert sol.bound is None
    assert sol.engine == "greedy"
    assert len(sol.options) == 1


def test_greedy_plan_on_a_village_passes_the_checker() -> None:
    reg = b.generated_registry("village", seed=3)
    plan = greedy_plan(reg)
    assert plan.metrics["covered"] > 0
    assert plan.metrics["bound"] is None
    # every task is either assigned or unmatched
    assert plan.metrics["covered"] + len(plan.unmatched) == plan.metrics["tasks"]


def test_greedy_respects_every_cap_and_overlap() -> None:
    vols = [
        b.volunteer("v1", availability="mon 09:00-17:00; tue 09:00-17:00", max_tasks_per_week=2),
        b.volunteer("v2", lat=b.north(9.8), max_hours_per_week=1.5),
    ]
    clients = [b.client(f"c{i}") for i in range(1, 5)]
    needs = [
        b.need("n1", "c1"),
        b.need("n2", "c2"),
        b.need("n3", "c3", window="10:30-11:00"),
        b.need("n4", "c4", schedule="FREQ=WEEKLY;BYDAY=MO,TU"),
    ]
    plan = greedy_plan(b.registry(vols, clients, needs))
    assert plan.metrics["covered"] >= 2


def test_greedy_team_all_or_nothing() -> None:
    # two needed, only one eligible: nothing assigned
    vols = [b.volunteer("v1", skills="handy"), b.volunteer("v2")]
    plan = greedy_plan(b.registry(vols, needs=[b.need("n1", skills="handy", volunteers_needed=2)]))
    assert plan.assignments.empty
    assert len(plan.unmatched) == 1
    # two eligible but never free at one common start: nothing assigned
    apart = [
        b.volunteer("v1", availability="mon 09:00-11:00"),
        b.volunteer("v2", availability="mon 12:00-16:00"),
    ]
    n = [b.need("n1", window="10:00-14:00", volunteers_needed=2)]
    assert greedy_plan(b.registry(apart, needs=n)).assignments.empty
    # three eligible: exactly two at one start
    three = [b.volunteer(f"v{i}") for i in range(1, 4)]
    plan = greedy_plan(b.registry(three, needs=[b.need("n1", volunteers_needed=2)]))
    assert len(plan.assignments) == 2
    assert plan.assignments["start"].nunique() == 1


def test_greedy_team_keeps_the_care_team_cap() -> None:
    # a task for two with a care team of one: no plan covers it
    vols = [b.volunteer(f"v{i}") for i in range(1, 4)]
    capped = [b.need("n1", volunteers_needed=2, max_team=1)]
    assert greedy_plan(b.registry(vols, needs=capped)).assignments.empty
    # a team of two with v3 in it from last week: v3 and one newcomer, not two newcomers
    plan = greedy_plan(
        b.registry(
            vols,
            needs=[b.need("n1", volunteers_needed=2, max_team=2)],
            history=[b.history("v3")],
        )
    )
    assert "v3" in set(plan.assignments["volunteer_id"])
    assert len(plan.assignments) == 2


def test_greedy_team_waits_for_a_start_where_all_are_free() -> None:
    # v1 is busy 10:00-11:00 with an earlier, more important task; the team then starts at 11:00
    vols = [b.volunteer("v1"), b.volunteer("v2")]
    clients = [b.client("c1"), b.client("c2")]
    needs = [
        b.need("solo", "c1", priority=1),
        b.need("team", "c2", window="10:00-11:00", volunteers_needed=2, priority=3),
    ]
    plan = greedy_plan(b.registry(vols, clients, needs))
    team = plan.assignments[plan.assignments["need_id"] == "team"]
    assert len(team) == 2
    assert set(team["start"]) == {pd.Timestamp("2026-11-30 11:00")}


def test_greedy_options_custom_order_is_still_feasible() -> None:
    vols = [b.volunteer("v1"), b.volunteer("v2", lat=b.north(2.0))]
    clients = [b.client("c1"), b.client("c2"), b.client("c3")]
    needs = [b.need("n1", "c1"), b.need("n2", "c2", volunteers_needed=2), b.need("n3", "c3")]
    problem = mk.build_problem(b.registry(vols, clients, needs), b.WEEK)
    reverse = np.arange(problem.num_tasks)[::-1].copy()
    chosen = greedy_options(problem, task_order=reverse, option_key=lambda o: -problem.opt_vol[o])
    counts = np.bincount(problem.opt_task[chosen], minlength=problem.num_tasks)
    assert set(counts.tolist()) <= {0, 1, 2}
    assert np.all((counts == 0) | (counts == problem.task_needed))


@pytest.mark.parametrize("seed", [0, 1])
def test_cpsat_never_covers_less_than_greedy(seed: int) -> None:
    reg = b.generated_registry("village", seed=seed)
    problem = mk.build_problem(reg, b.WEEK)
    greedy = mk.GreedySolver().solve(problem)
    cpsat = mk.CpSatSolver(time_limit=1.0, seed=0).solve(problem)

    def weight(opts: np.ndarray) -> int:
        counts = np.bincount(problem.opt_task[opts], minlength=problem.num_tasks)
        return int(problem.task_weight[counts >= problem.task_needed].sum())

    assert weight(cpsat.options) >= weight(greedy.options)
