"""Each hard rule of the CP-SAT model alone, where it binds.

A model holds the option booleans and one rule; maximising the number of chosen
options shows what the rule allows (without it, every option may be chosen).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import builders as b
import numpy as np
from ortools.sat.python import cp_model

import matchkracht as mk
from matchkracht.solver.cpsat import rules


def _most(problem: mk.Problem, rule: Callable[..., Any] | None) -> int:
    options = np.arange(problem.num_options)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x[{o}]") for o in options.tolist()]
    if rule is not None:
        rule(model, x, problem, options)
    model.maximize(cp_model.LinearExpr.sum(x))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    return round(solver.objective_value)


def _problem(vols: list[dict[str, Any]], needs: list[dict[str, Any]]) -> mk.Problem:
    return mk.build_problem(b.registry(vols, needs=needs), mk.Horizon.from_week(b.WEEK, 1))


def test_task_cover_gives_a_task_one_volunteer_at_one_start() -> None:
    problem = _problem([b.volunteer("v1"), b.volunteer("v2")], [b.need("n1")])
    assert problem.num_options == 2
    assert _most(problem, rules.add_task_cover) == 1
    assert _most(problem, None) == 2


def test_task_cover_gives_a_team_all_its_volunteers_or_none() -> None:
    problem = _problem(
        [b.volunteer("v1"), b.volunteer("v2"), b.volunteer("v3")],
        [b.need("n1", volunteers_needed=2)],
    )
    assert _most(problem, rules.add_task_cover) == 2


def test_no_overlap_keeps_one_of_two_tasks_at_the_same_time() -> None:
    problem = _problem([b.volunteer("v1")], [b.need("n1"), b.need("n2")])
    assert _most(problem, rules.add_no_overlap) == 1
    assert _most(problem, None) == 2


def test_weekly_caps_bind_per_volunteer() -> None:
    needs = [b.need("n1"), b.need("n2", window="14:00-14:00")]
    problem = _problem([b.volunteer("v1", max_tasks_per_week=1)], needs)
    assert _most(problem, rules.add_weekly_caps) == 1
    assert _most(problem, None) == 2
