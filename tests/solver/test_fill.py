"""Covering open tasks after the parts by moving one task aside (``solver.cpsat.fill``)."""

from __future__ import annotations

from typing import Any

import builders as b
import numpy as np
from hypothesis import given
from test_properties import SETTINGS, covered_weight, frames, make

import matchkracht as mk
from matchkracht.solver.base import Solution
from matchkracht.solver.cpsat.fill import cover_open


def option(p: mk.Problem, task_need: str, vol: str) -> int:
    """The one option of the task of need ``task_need`` with volunteer ``vol``."""
    t = p.need_ids.index(task_need)
    v = p.volunteer_ids.index(vol)
    (o,) = np.flatnonzero((p.task_need[p.opt_task] == t) & (p.opt_vol == v)).tolist()
    return int(o)


def checked(reg: mk.Registry, p: mk.Problem, options: np.ndarray) -> mk.Plan:
    """The plan of ``options``, asserted to pass the independent checker."""
    sol = Solution(np.asarray(options, dtype=np.int64), "feasible", None, 0.0, "test")
    plan = mk.build_plan(p, sol, reg, {})
    violations = mk.check(reg, plan)
    assert violations.empty, violations.to_string()
    return plan


def test_a_task_moved_to_another_volunteer_makes_room_for_an_open_one() -> None:
    # v holds a at 10:00, which u could do too; b at 10:00 only v can do
    vols = [b.volunteer("u"), b.volunteer("v", skills="driving")]
    reg = b.registry(vols, needs=[b.need("a"), b.need("b", skills="driving")])
    p = mk.build_problem(reg, b.WEEK)
    start = np.array([option(p, "a", "v")])
    checked(reg, p, start)
    filled = cover_open(p, start, checks=1_000)
    assert sorted(filled.tolist()) == sorted([option(p, "a", "u"), option(p, "b", "v")])
    checked(reg, p, filled)


def test_a_lighter_task_gives_way_when_nobody_else_can_take_it() -> None:
    # only v, one task a week: a (priority 3) gives way to b (priority 1)
    vols = [b.volunteer("v", max_tasks_per_week=1)]
    needs = [b.need("a", priority=3), b.need("b", window="13:00-13:00", priority=1)]
    reg = b.registry(vols, needs=needs)
    p = mk.build_problem(reg, b.WEEK)
    start = np.array([option(p, "a", "v")])
    assert cover_open(p, start, checks=1_000).tolist() == [option(p, "b", "v")]
    # the other way round nothing moves: a heavier task never gives way
    heavy = np.array([option(p, "b", "v")])
    assert cover_open(p, heavy, checks=1_000).tolist() == heavy.tolist()


def test_without_checks_left_the_plan_stays() -> None:
    vols = [b.volunteer("u"), b.volunteer("v", skills="driving")]
    reg = b.registry(vols, needs=[b.need("a"), b.need("b", skills="driving")])
    p = mk.build_problem(reg, b.WEEK)
    start = np.array([option(p, "a", "v")])
    assert cover_open(p, start, checks=0).tolist() == start.tolist()


@SETTINGS
@given(frames())
def test_the_fill_keeps_the_greedy_plan_feasible_and_never_covers_less(f: dict[str, Any]) -> None:
    reg = make(f)
    p = mk.build_problem(reg, b.WEEK)
    greedy = mk.GreedySolver().solve(p).options
    filled = cover_open(p, greedy, checks=100_000)
    checked(reg, p, filled)
    assert covered_weight(p, filled) >= covered_weight(p, greedy)
