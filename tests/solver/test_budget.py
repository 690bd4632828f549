"""The time budget: deterministic time counts only CP-SAT's, wall-clock mode all time."""

from __future__ import annotations

import time

import pytest

from matchkracht.solver.cpsat.budget import DEADLINE_SHARE, TIER_WEIGHT, Budget, tier_share
from matchkracht.solver.cpsat.tiers import REGISTRY, solve_steps


def test_deterministic_time_counts_only_what_is_charged() -> None:
    b = Budget(10.0, deterministic=True, share=DEADLINE_SHARE)
    time.sleep(0.01)
    b.sync()  # wall time does not count
    assert b.left() == 10.0 and b.unsynced() == 0.0
    b.charge(2.5)
    assert b.left() == pytest.approx(7.5)


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
