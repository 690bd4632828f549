"""Plan metrics on hand-checked cases: gini, load, continuity, coverage."""

from __future__ import annotations

import builders as b
import numpy as np
import pytest

import matchkracht as mk
from matchkracht.plan.metrics import compute_metrics, gini, volunteer_load


def mean_abs_gini(values: list[float]) -> float:
    """Textbook Gini: mean absolute difference over twice the mean."""
    x = np.asarray(values, dtype=float)
    if x.sum() == 0:
        return 0.0
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 1, 1, 1], 0.0),
        ([0, 0, 0, 4], 0.75),
        ([1, 2, 3], 2 / 9),
        ([0, 1], 0.5),
        ([5], 0.0),
        ([], 0.0),
        ([0, 0], 0.0),
    ],
)
def test_gini_hand_checked(values: list[float], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)
    if values:
        assert gini(values) == pytest.approx(mean_abs_gini(values))


def test_gini_is_scale_and_order_invariant() -> None:
    x = [0.2, 0.9, 0.0, 0.4, 0.4]
    assert gini(x) == pytest.approx(gini([10 * v for v in x]))
    assert gini(x) == pytest.approx(gini(list(reversed(x))))
    assert gini(x) == pytest.approx(mean_abs_gini(x))


@pytest.fixture
def case() -> tuple[mk.Registry, mk.Problem]:
    """Three volunteers at the clients' door (no travel), three one-hour tasks.

    v1: cap 2 tasks / 4 h; v2: cap 4 tasks / 1 h; v3: cap 3 tasks / 6 h (unused).
    v2 helped c1 before.
    """
    vols = [
        b.volunteer("v1", max_tasks_per_week=2, max_hours_per_week=4),
        b.volunteer("v2", max_tasks_per_week=4, max_hours_per_week=1),
        b.volunteer("v3"),
    ]
    clients = [b.client("c1"), b.client("c2"), b.client("c3")]
    needs = [
        b.need("n1", "c1", priority=1),
        b.need("n2", "c2", priority=3, window="12:00-12:00"),
        b.need("n3", "c3", priority=2, window="14:00-14:00"),
    ]
    reg = b.registry(vols, clients, needs, history=[b.history("v2")])
    return reg, mk.build_problem(reg, b.WEEK)


def option(p: mk.Problem, task: str, vol: str) -> int:
    """The (single) option of ``task`` taken by ``vol``."""
    hits = np.flatnonzero(
        (p.opt_task == p.task_ids.index(task)) & (p.opt_vol == p.volunteer_ids.index(vol))
    )
    assert len(hits) == 1
    return int(hits[0])


def test_volunteer_load_and_metrics(case: tuple[mk.Registry, mk.Problem]) -> None:
    reg, p = case
    # v2 takes n1 (the client it helped before), v1 takes n2; n3 stays open
    opts = np.array(
        sorted([option(p, "n1@2026-11-30", "v2"), option(p, "n2@2026-11-30", "v1")]), dtype=np.int64
    )
    load = volunteer_load(p, opts)
    assert load.shape == (3, 1)
    # v1: max(1/2 tasks, 60/240 min) = 0.5; v2: max(1/4, 60/60) = 1.0; v3: 0
    np.testing.assert_allclose(load[:, 0], [0.5, 1.0, 0.0])
    sol = mk.Solution(opts, "feasible", 6.0, 0.01, "test")
    m = compute_metrics(p, sol)
    assert m["tasks"] == 3
    assert m["covered"] == 2
    assert m["coverage"] == pytest.approx(2 / 3)
    assert m["weighted_coverage"] == pytest.approx((4 + 1) / (4 + 1 + 2))
    assert m["max_load"] == pytest.approx(1.0)
    assert m["gini_load"] == pytest.approx(gini([0.5, 1.0, 0.0]))
    assert m["gini_load"] == pytest.approx(4 / 9)  # (0.5 + 1 + 0.5) * 2 / (2 * 9 * 0.5)
    assert m["continuity"] == pytest.approx(0.5)  # one of two assignments by a past helper
    assert m["travel_km"] == pytest.approx(0.0)
    assert m["bound"] == pytest.approx(6 / 7)
    assert m["gap"] == pytest.approx(1 / 7)
    assert m["volunteers_used"] == 2
    assert m["status"] == "feasible"
    # the plan built from it agrees with the independent checker
    plan = mk.build_plan(p, sol, reg)
    assert mk.check(reg, plan).empty


def test_bound_is_never_below_the_plan(case: tuple[mk.Registry, mk.Problem]) -> None:
    _, p = case
    opts = np.array([option(p, "n1@2026-11-30", "v1")], dtype=np.int64)
    m = compute_metrics(p, mk.Solution(opts, "feasible", 1.0, 0.0, "test"))
    assert m["weighted_coverage"] == pytest.approx(4 / 7)
    assert m["bound"] >= m["weighted_coverage"]
    assert compute_metrics(p, mk.Solution(opts, "feasible", None, 0.0, "test"))["bound"] is None


def test_empty_plan_metrics(case: tuple[mk.Registry, mk.Problem]) -> None:
    _, p = case
    m = compute_metrics(p, mk.Solution(np.zeros(0, dtype=np.int64), "no_solution", None, 0.0, "x"))
    assert m["covered"] == 0
    assert m["weighted_coverage"] == 0.0
    assert m["continuity"] == 0.0
    assert m["max_load"] == 0.0
    assert m["gini_load"] == 0.0


def test_zero_caps_count_as_no_load_and_stay_out_of_gini() -> None:
    vols = [b.volunteer("v1"), b.volunteer("v2", max_tasks_per_week=0), b.volunteer("v3")]
    reg = b.registry(vols, needs=[b.need("n1")])
    p = mk.build_problem(reg, b.WEEK)
    opts = np.array([option(p, "n1@2026-11-30", "v1")], dtype=np.int64)
    load = volunteer_load(p, opts)[:, 0]
    # v1: max(1/3, 60/360) = 1/3; v2 has a zero cap; v3 unused
    np.testing.assert_allclose(load, [1 / 3, 0.0, 0.0])
    m = compute_metrics(p, mk.Solution(opts, "feasible", None, 0.0, "test"))
    assert m["gini_load"] == pytest.approx(gini([1 / 3, 0.0]))


def test_load_is_per_iso_week() -> None:
    reg = b.registry([b.volunteer("v1", max_tasks_per_week=1)], needs=[b.need("n1")])
    p = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, 2))
    opts = np.arange(p.num_options, dtype=np.int64)[np.unique(p.opt_task, return_index=True)[1]]
    load = volunteer_load(p, opts)
    assert load.shape == (1, 2)
    np.testing.assert_allclose(load, [[1.0, 1.0]])
