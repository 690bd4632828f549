"""The weeks bound: the supply relaxation with each volunteer's week exact."""

from __future__ import annotations

from typing import Any

import builders as b
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import SETTINGS, frames, tiny

import matchkracht as mk
from matchkracht.solver.cpsat import exact_weeks as weeks
from matchkracht.solver.cpsat.exact_weeks import weeks_bound
from matchkracht.solver.cpsat.supply import supply_bound


def _all(problem: mk.Problem) -> np.ndarray:
    return np.arange(problem.num_options)


def _three_in_a_morning() -> mk.Problem:
    # free 09:00-11:30, three one-hour visits that may start 09:00-10:30: the
    # span holds 2.5 hours of visits, a real morning two of them
    vols = [b.volunteer("v1", availability="mon 09:00-11:30")]
    clients = [b.client(f"c{i}") for i in range(3)]
    needs = [b.need(f"n{i}", f"c{i}", window="09:00-10:30") for i in range(3)]
    return mk.build_problem(b.registry(vols, clients, needs), b.WEEK)


def test_an_exact_week_binds_where_the_lp_takes_half_a_visit() -> None:
    p = _three_in_a_morning()
    w = int(p.task_weight[0])
    assert supply_bound(p, _all(p)).bound == 2 * w + w // 2
    wb = weeks_bound(p, _all(p), 10.0)
    assert wb.lp_bound == 2 * w + w // 2
    assert wb.bound == 2 * w == b.optimal_covered_weight(p)
    assert wb.rounds >= 1


def test_without_time_for_weeks_it_is_the_lp_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # the clock jumps an hour once the LP is solved: every volunteer counts the
    # LP's own terms, and the bound is the LP's
    import time

    p = _three_in_a_morning()
    optimum = b.optimal_covered_weight(p)
    jump = {"by": 0.0}
    solve_lp = weeks.solve_lp

    def lp_then_late(*args: Any, **kw: Any) -> Any:
        solved = solve_lp(*args, **kw)
        jump["by"] = 3600.0
        return solved

    monkeypatch.setattr(weeks, "solve_lp", lp_then_late)
    monkeypatch.setattr(weeks.time, "perf_counter", lambda: time.monotonic() + jump["by"])
    wb = weeks_bound(p, _all(p), 10.0)
    assert wb.lp_bound is not None
    assert wb.bound == wb.lp_bound > optimum


@SETTINGS
@given(frames(max_width=15, max_needs=4, max_vols=3), st.booleans())
def test_the_weeks_bound_is_never_below_the_brute_force_optimum(
    f: dict[str, Any], with_plan: bool
) -> None:
    best, problems = tiny(f)
    for p in problems:
        plan = mk.GreedySolver().solve(p).options if with_plan else None
        wb = weeks_bound(p, _all(p), 10.0, plan=plan)
        assert wb.bound is not None and wb.lp_bound is not None
        assert best <= wb.bound <= wb.lp_bound


@pytest.mark.parametrize("seed", [0, 3])
def test_on_a_village_it_stays_between_the_optimum_and_the_lp(seed: int) -> None:
    reg = b.generated_registry("village", seed=seed, variant="scarce")
    p = mk.build_problem(reg, b.WEEK)
    wb = weeks_bound(p, _all(p), 20.0)
    assert wb.bound is not None and wb.lp_bound is not None
    assert b.optimal_covered_weight(p) <= wb.bound <= wb.lp_bound


def test_deterministic_mode_gives_the_same_bound_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg = b.generated_registry("village", seed=2, variant="scarce")
    p = mk.build_problem(reg, b.WEEK)
    # a work budget that stops the rounds early, by count
    monkeypatch.setattr(weeks, "WEEK_WORK_PER_SECOND", 50)
    runs = [weeks_bound(p, _all(p), 1.0, deterministic=True, safety_factor=1e6) for _ in range(3)]
    assert len({(r.bound, r.rounds) for r in runs}) == 1


def test_the_engine_reports_the_weeks_bound_where_cpsat_proves_nothing() -> None:
    p = _three_in_a_morning()
    with b.unproven_parts():
        sol = mk.CpSatSolver(time_limit=2.0, seed=0, tiers=("coverage",)).solve(p)
    covered = mk.problem.occupancy.covered_tasks(p, sol.options)
    # the LP alone would say 2.5 visits; the exact week proves the plan's two
    assert sol.bound == int(p.task_weight[covered].sum()) == 2 * int(p.task_weight[0])
    assert sol.stats["supply_lps"] == 1 and sol.stats["supply_rounds"] >= 1
    assert sol.stats["bound_kind"] == "coverage_optimal"
