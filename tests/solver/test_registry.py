"""Every objective's numpy value equals its model objective for the same plan."""

from __future__ import annotations

import builders as b
import numpy as np
import pytest
from ortools.sat.python import cp_model

import matchkracht as mk
from matchkracht.solver.cpsat.tiers import REGISTRY, build_model, evaluate, solve_steps

TIERS = ("coverage", "stability", "continuity", "fairness", "travel")


@pytest.mark.parametrize("weeks", [1, 2])
def test_numpy_values_match_the_model(weeks: int) -> None:
    reg = b.generated_registry("village", seed=3)
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, weeks))
    options = np.arange(problem.num_options)
    plan = np.zeros(problem.num_options, dtype=bool)
    plan[mk.solver.familiar_first_options(problem)] = True
    m = build_model(problem, options, TIERS)
    for i, var in enumerate(m.x):  # the plan, fixed
        m.model.add(var == int(plan[i]))
    for step in solve_steps(TIERS):
        expr = m.tier(step)
        if expr is None:
            continue  # nothing to optimise (no previous plan)
        # the auxiliary variables take their best values for the fixed plan
        m.model.maximize(expr)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(m.model) == cp_model.OPTIMAL
        assert round(solver.objective_value) == evaluate(step, plan, problem, options), step
    assert {s for t in TIERS for s in (REGISTRY[t].steps or (t,))} <= set(REGISTRY)


def test_variables_carry_names() -> None:
    problem = mk.build_problem(
        b.registry([b.volunteer("v1")], needs=[b.need("n1")]), mk.Horizon.from_week(b.WEEK, 1)
    )
    m = build_model(problem, np.arange(problem.num_options), ("coverage",))
    t, v, s = problem.opt_task[0], problem.opt_vol[0], problem.opt_start[0]
    assert m.x[0].name == f"x[{t},{v},{s}]"
