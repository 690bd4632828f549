"""max_team (care teams) and exact pruning of dominated start options."""

from __future__ import annotations

import builders as b
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import matchkracht as mk
from matchkracht.solver.cpsat import CpSatSolver


def _lunches(max_team: int | None, history: list[dict[str, str]] | None = None) -> mk.Registry:
    # Each volunteer can do at most 2 lunches a week, so 5 weekday lunches need 3 people.
    vols = [
        b.volunteer(f"v{i}", availability="mon,tue,wed,thu,fri 11:00-14:00", max_tasks_per_week=2)
        for i in range(1, 5)
    ]
    needs = [
        b.need(
            "n1",
            schedule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            window="12:00-12:00",
            max_team="" if max_team is None else max_team,
        )
    ]
    return b.registry(vols, needs=needs, history=history)


def _solve(reg: mk.Registry) -> mk.Plan:
    plan = mk.match(reg, week=b.WEEK, time_limit=5, seed=0, workers=2)
    assert mk.check(reg, plan).empty, mk.check(reg, plan)
    assert plan.status == "optimal"
    return plan


def test_max_team_binds_and_changes_the_answer() -> None:
    free = _solve(_lunches(None))
    assert free.metrics["covered"] == 5
    capped = _solve(_lunches(2))
    # two faces with two lunches each: only four of the five lunches
    assert capped.metrics["covered"] == 4
    assert capped.assignments["volunteer_id"].nunique() <= 2


def test_max_team_counts_history_of_the_last_three_weeks() -> None:
    past = [b.history("v1", need_id="n1", when="2026-11-16"), b.history("v2", need_id="n1")]
    plan = _solve(_lunches(3, past))
    new = set(plan.assignments["volunteer_id"]) - {"v1", "v2"}
    assert len(new) <= 1
    # older history (more than three weeks back) does not count
    old = [
        b.history("v1", need_id="n1", when="2026-10-26"),
        b.history("v2", need_id="n1", when="2026-10-26"),
    ]
    assert _solve(_lunches(2, old)).metrics["covered"] == 4


def test_checker_reports_a_broken_max_team() -> None:
    reg_free = _lunches(None)
    plan = _solve(reg_free)
    reg_capped = _lunches(2)
    violations = mk.check(reg_capped, plan)
    assert "max_team" in set(violations["rule"])


def test_greedy_respects_max_team() -> None:
    reg = _lunches(2)
    plan = mk.match(reg, week=b.WEEK, solver=mk.GreedySolver())
    assert mk.check(reg, plan).empty


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_pruning_dominated_starts_is_exact(seed: int) -> None:
    rng = np.random.default_rng(seed)
    vols = []
    for i in range(3):
        h = int(rng.integers(8, 12))
        vols.append(
            b.volunteer(
                f"v{i}",
                lat=b.north(float(rng.uniform(0, 4))),
                availability=f"mon {h:02d}:00-{h + int(rng.integers(3, 6)):02d}:00",
                max_tasks_per_week=int(rng.integers(1, 4)),
            )
        )
    needs = []
    for j in range(4):
        lo = int(rng.integers(9 * 12, 13 * 12)) * 5
        width = int(rng.integers(0, 12)) * 5
        needs.append(
            b.need(
                f"n{j}",
                window=f"{lo // 60:02d}:{lo % 60:02d}-{(lo + width) // 60:02d}:{(lo + width) % 60:02d}",
                duration_min=int(rng.integers(3, 12)) * 10,
                priority=int(rng.integers(1, 4)),
            )
        )
    reg = b.registry(vols, needs=needs)
    solver = CpSatSolver(time_limit=5, seed=0, workers=1)
    full = mk.build_problem(reg, b.WEEK, prune=False)
    pruned = mk.build_problem(reg, b.WEEK, prune=True)
    assert pruned.num_options <= full.num_options
    a, c = solver.solve(full), solver.solve(pruned)
    assert a.status == c.status == "optimal"
    assert a.stats["tiers"] == c.stats["tiers"]
