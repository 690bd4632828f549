"""The time budget: deterministic time counts only CP-SAT's, wall-clock mode all time."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from ortools.sat.python import cp_model

from matchkracht.settings import SolverSettings
from matchkracht.solver.cpsat.budget import (
    DEADLINE_SHARE,
    TIER_WEIGHT,
    Budget,
    configure,
    safety_net_fired,
    tier_share,
)
from matchkracht.solver.cpsat.tiers import REGISTRY, solve_steps


def test_deterministic_time_counts_only_what_is_charged() -> None:
    b = Budget(10.0, deterministic=True, share=DEADLINE_SHARE)
    time.sleep(0.01)
    b.sync()  # wall time does not count
    assert b.left() == 10.0 and b.unsynced() == 0.0
    b.charge(2.5)
    assert b.left() == pytest.approx(7.5)


def _solved(deterministic_time: float, wall_time: float) -> Any:
    """A finished deterministic-mode solve of 2 s deterministic time, safety net at 20 s."""
    prm = SimpleNamespace(max_deterministic_time=2.0, max_time_in_seconds=20.0)
    return SimpleNamespace(
        parameters=prm, deterministic_time=deterministic_time, wall_time=wall_time
    )


def test_the_safety_net_fires_when_wall_time_runs_out_before_deterministic_time() -> None:
    assert safety_net_fired(_solved(0.7, 20.0))  # stopped by the clock: machine-dependent
    assert not safety_net_fired(_solved(2.0, 20.0))  # the deterministic limit came first
    assert not safety_net_fired(_solved(0.7, 3.0))  # finished (proven) early
    b = Budget(10.0, deterministic=True)
    b.account(_solved(0.7, 20.0))
    b.account(_solved(2.0, 5.0))
    assert b.safety_net == 1 and b.left() == pytest.approx(7.3)


def test_a_real_solve_does_not_fire_the_net_and_wall_clock_mode_has_none() -> None:
    model = cp_model.CpModel()
    x = model.new_bool_var("x")
    model.maximize(x)
    for deterministic in (True, False):
        solver = cp_model.CpSolver()
        settings = SolverSettings(deterministic=deterministic, workers=1)
        configure(solver, settings, 5.0, 1)
        assert solver.solve(model) == cp_model.OPTIMAL
        assert not safety_net_fired(solver)


def test_wall_clock_counts_all_time_and_keeps_the_deadline_share() -> None:
    b = Budget(10.0, deterministic=False, share=DEADLINE_SHARE)
    b.charge(5.0)  # deterministic time does not count
    assert b.left() == pytest.approx(10.0 * DEADLINE_SHARE, abs=0.01)
    time.sleep(0.02)
    assert b.unsynced() >= 0.02
    b.sync()
    assert b.left() <= 10.0 * DEADLINE_SHARE - 0.02
    assert b.unsynced() < 0.02


def test_every_step_has_a_time_weight_and_an_objective() -> None:
    steps = solve_steps(("coverage", "stability", "continuity", "fairness", "travel"))
    assert set(steps) <= set(TIER_WEIGHT) and set(steps) <= set(REGISTRY)
    assert [tier_share(steps, k, large=False) for k in (0, len(steps) - 1)] == [0.5, 1.0]
