"""CP-SAT engine: every hard rule binds, the objective tiers, settings and determinism.

Each hard-rule test builds a tiny registry where the rule changes the answer and
compares it with the same registry with the rule relaxed. Every plan passes the
independent checker (:func:`matchkracht.plan.check`) and, on these tiny cases, is
proven optimal with ``bound == weighted_coverage``.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import builders as b
import numpy as np
import pandas as pd
import pytest
from ortools.sat.python import cp_model

import matchkracht as mk
from matchkracht.settings import SolverSettings
from matchkracht.solver import cpsat
from matchkracht.solver.cpsat import warmstart
from matchkracht.solver.cpsat.budget import Budget

FAR = b.north(3.0)  # 3 road km north of the base point
NEAR = b.north(1.0)
TEN = b.north(9.8)  # 9.8 road km: 14.7 minutes, rounded up to 15


def solve_and_check(
    reg: mk.Registry,
    week: str = b.WEEK,
    *,
    exact: bool = True,
    weeks: int = 1,
    **settings: Any,
) -> mk.Plan:
    """Match with CP-SAT, assert the plan passes ``check`` and (if ``exact``) is optimal."""
    cfg: dict[str, Any] = {"time_limit": 2.0, "seed": 0, "workers": 2}
    cfg.update(settings)
    plan = mk.match(reg, week=week, weeks=weeks, **cfg)
    violations = mk.check(reg, plan)
    assert violations.empty, violations.to_string()
    assert plan.status == "optimal"
    if exact:
        assert plan.metrics["bound"] == pytest.approx(plan.metrics["weighted_coverage"])
    return plan


def assigned(plan: mk.Plan) -> dict[str, list[str]]:
    """Task id → sorted volunteer ids."""
    out: dict[str, list[str]] = {}
    for task, group in plan.assignments.groupby("task_id"):
        out[str(task)] = sorted(group["volunteer_id"].astype(str))
    return out


def reason_codes(plan: mk.Plan) -> dict[str, str]:
    """Task id → reason code of the unmatched tasks."""
    return dict(zip(plan.unmatched["task_id"], plan.unmatched["reason_code"], strict=True))


MON = "n1@2026-11-30"


# -- skills ----------------------------------------------------------------------------
def test_skill_required_picks_the_farther_volunteer_who_has_it() -> None:
    vols = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR, skills="dementia")]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1", skills="dementia")]))
    assert assigned(plan) == {MON: ["v2"]}
    relaxed = solve_and_check(b.registry(vols, needs=[b.need("n1")]))
    assert assigned(relaxed) == {MON: ["v1"]}


def test_skill_missing_everywhere_leaves_the_task_unmatched() -> None:
    vols = [b.volunteer("v1", lat=NEAR, skills="handy")]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1", skills="dementia;handy")]))
    assert plan.assignments.empty
    assert reason_codes(plan) == {MON: "no_skill"}


def test_ride_implies_driver() -> None:
    dest = {"dest_lat": b.north(2.0), "dest_lon": b.BASE_LON}
    vols = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR, skills="driver")]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1", kind="ride", **dest)]))
    assert assigned(plan) == {MON: ["v2"]}
    visit = solve_and_check(b.registry(vols, needs=[b.need("n1", kind="visit")]))
    assert assigned(visit) == {MON: ["v1"]}
    only_v1 = solve_and_check(b.registry(vols[:1], needs=[b.need("n1", kind="ride", **dest)]))
    assert reason_codes(only_v1) == {MON: "no_skill"}


# -- languages -------------------------------------------------------------------------
def test_language_required() -> None:
    vols = [
        b.volunteer("v1", lat=NEAR, languages="nl"),
        b.volunteer("v2", lat=FAR, languages="nl;ar"),
    ]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1", languages="ar;tr")]))
    assert assigned(plan) == {MON: ["v2"]}
    relaxed = solve_and_check(b.registry(vols, needs=[b.need("n1")]))
    assert assigned(relaxed) == {MON: ["v1"]}
    alone = solve_and_check(b.registry(vols[:1], needs=[b.need("n1", languages="ar")]))
    assert reason_codes(alone) == {MON: "no_language"}


# -- distance --------------------------------------------------------------------------
def test_max_km_to_the_client() -> None:
    vols = [b.volunteer("v1", lat=TEN, max_km=5)]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1")]))
    assert plan.assignments.empty
    assert reason_codes(plan) == {MON: "too_far"}
    relaxed = solve_and_check(
        b.registry([b.volunteer("v1", lat=TEN, max_km=15)], needs=[b.need("n1")])
    )
    assert assigned(relaxed) == {MON: ["v1"]}


def test_max_km_of_a_ride_counts_the_destination() -> None:
    # the client lives next door, but the hospital is 19.8 road km away
    ride = b.need("n1", kind="ride", dest_lat=b.north(19.8), dest_lon=b.BASE_LON)
    v = {"skills": "driver", "availability": "mon 08:00-17:00"}
    plan = solve_and_check(b.registry([b.volunteer("v1", max_km=15, **v)], needs=[ride]))
    assert plan.assignments.empty
    assert reason_codes(plan) == {MON: "too_far"}
    relaxed = solve_and_check(b.registry([b.volunteer("v1", max_km=25, **v)], needs=[ride]))
    assert assigned(relaxed) == {MON: ["v1"]}
    # home -> client -> destination: leave 30 min (29.7 rounded up) before 10:00
    row = relaxed.assignments.iloc[0]
    assert row["depart"] == pd.Timestamp("2026-11-30 09:30")
    assert row["return"] == pd.Timestamp("2026-11-30 11:30")


# -- availability ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("availability", "fits"),
    [
        ("mon 09:45-11:15", True),  # exactly the occupied time 09:45-11:15
        ("mon 09:50-11:15", False),  # cannot leave home in time
        ("mon 09:45-11:10", False),  # cannot be home in time
        ("tue 09:00-17:00", False),  # wrong day
    ],
)
def test_occupied_time_with_travel_inside_the_window(availability: str, fits: bool) -> None:
    reg = b.registry([b.volunteer("v1", lat=TEN, availability=availability)], needs=[b.need("n1")])
    plan = solve_and_check(reg)
    if fits:
        assert assigned(plan) == {MON: ["v1"]}
        row = plan.assignments.iloc[0]
        assert (row["depart"], row["return"]) == (
            pd.Timestamp("2026-11-30 09:45"),
            pd.Timestamp("2026-11-30 11:15"),
        )
    else:
        assert plan.assignments.empty
        assert reason_codes(plan) == {MON: "not_available"}


def test_a_flexible_window_shifts_the_start_to_fit_travel() -> None:
    reg = b.registry(
        [b.volunteer("v1", lat=TEN, availability="mon 09:50-11:45")],
        needs=[b.need("n1", window="10:00-10:30")],
    )
    plan = solve_and_check(reg)
    start = plan.assignments.iloc[0]["start"]
    assert pd.Timestamp("2026-11-30 10:05") <= start <= pd.Timestamp("2026-11-30 10:30")


def test_touching_windows_do_not_combine() -> None:
    n = [b.need("n1", window="11:30-11:30")]
    split = b.registry(
        [b.volunteer("v1", availability="mon 09:00-12:00; mon 12:00-15:00")], needs=n
    )
    plan = solve_and_check(split)
    assert plan.assignments.empty
    assert reason_codes(plan) == {MON: "not_available"}
    joined = b.registry([b.volunteer("v1", availability="mon 09:00-15:00")], needs=n)
    assert assigned(solve_and_check(joined)) == {MON: ["v1"]}


@pytest.mark.parametrize(
    ("unavailable", "chosen"),
    [
        ("2026-11-30", "v2"),
        ("2026-11-28..2026-12-01", "v2"),
        ("2026-12-01", "v1"),
        ("2026-11-23; 2026-12-24..2027-01-02", "v1"),
    ],
)
def test_unavailable_dates(unavailable: str, chosen: str) -> None:
    vols = [b.volunteer("v1", lat=NEAR, unavailable=unavailable), b.volunteer("v2", lat=FAR)]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1")]))
    assert assigned(plan) == {MON: [chosen]}


# -- overlap ---------------------------------------------------------------------------
def _two_clients(second_lat: float = b.BASE_LAT) -> list[dict[str, Any]]:
    return [b.client("c1"), b.client("c2", lat=second_lat)]


def test_two_tasks_at_the_same_time_need_two_volunteers() -> None:
    needs = [b.need("n1"), b.need("n2", client_id="c2")]
    one = solve_and_check(b.registry([b.volunteer("v1")], _two_clients(), needs))
    assert len(one.assignments) == 1
    assert one.metrics["covered"] == 1
    assert list(one.unmatched["reason_code"]) == ["conflict"]
    two = solve_and_check(b.registry([b.volunteer("v1"), b.volunteer("v2")], _two_clients(), needs))
    assert two.metrics["covered"] == 2
    assert sorted(two.assignments["volunteer_id"]) == ["v1", "v2"]


def test_back_to_back_tasks_and_travel_between_them() -> None:
    needs = [b.need("n1"), b.need("n2", client_id="c2", window="11:00-11:00")]
    # both clients at home: [10:00, 11:00) and [11:00, 12:00) touch, which is fine
    same = solve_and_check(b.registry([b.volunteer("v1")], _two_clients(), needs))
    assert same.metrics["covered"] == 2
    # the second client 9.8 km away: leaving at 10:45 overlaps the first task
    apart = solve_and_check(b.registry([b.volunteer("v1")], _two_clients(TEN), needs))
    assert apart.metrics["covered"] == 1
    # a later start of the second task makes room for the 15 minutes of travel
    later = [needs[0], b.need("n2", client_id="c2", window="11:00-11:30")]
    shifted = solve_and_check(b.registry([b.volunteer("v1")], _two_clients(TEN), later))
    assert shifted.metrics["covered"] == 2
    row = shifted.assignments.set_index("task_id").loc["n2@2026-11-30"]
    assert row["start"] >= pd.Timestamp("2026-11-30 11:15")
    assert row["depart"] >= pd.Timestamp("2026-11-30 11:00")


# -- weekly caps -----------------------------------------------------------------------
def _mon_tue() -> list[dict[str, Any]]:
    return [b.need("n1"), b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU")]


@pytest.mark.parametrize(("cap", "covered"), [(0, 0), (1, 1), (2, 2)])
def test_weekly_task_cap(cap: int, covered: int) -> None:
    v = b.volunteer("v1", availability="mon 09:00-17:00; tue 09:00-17:00", max_tasks_per_week=cap)
    plan = solve_and_check(b.registry([v], needs=_mon_tue()))
    assert plan.metrics["covered"] == covered
    if 0 < covered < 2:
        assert list(plan.unmatched["reason_code"]) == ["capacity"]


def test_weekly_task_cap_is_per_iso_week() -> None:
    v = b.volunteer("v1", max_tasks_per_week=1)
    plan = solve_and_check(b.registry([v], needs=[b.need("n1")]), weeks=2)
    assert plan.metrics["tasks"] == 2
    assert plan.metrics["covered"] == 2


@pytest.mark.parametrize(("lat", "covered"), [(b.BASE_LAT, 2), (TEN, 1)])
def test_weekly_hour_cap_counts_travel(lat: float, covered: int) -> None:
    # two one-hour tasks, a two-hour cap: fine without travel, too much with 2 x 30 min travel
    avail = "mon 09:00-17:00; tue 09:00-17:00"
    v = b.volunteer("v1", lat=lat, availability=avail, max_hours_per_week=2)
    plan = solve_and_check(b.registry([v], needs=_mon_tue()))
    assert plan.metrics["covered"] == covered


# -- exclusions ------------------------------------------------------------------------
def test_exclusion() -> None:
    vols = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR)]
    excl = solve_and_check(
        b.registry(vols, [b.client("c1", excluded_volunteers="v1")], [b.need("n1")])
    )
    assert assigned(excl) == {MON: ["v2"]}
    relaxed = solve_and_check(b.registry(vols, [b.client("c1")], [b.need("n1")]))
    assert assigned(relaxed) == {MON: ["v1"]}
    alone = solve_and_check(
        b.registry(vols[:1], [b.client("c1", excluded_volunteers="v1")], [b.need("n1")])
    )
    assert reason_codes(alone) == {MON: "excluded"}


# -- volunteers_needed -----------------------------------------------------------------
def test_team_all_or_nothing_with_one_eligible() -> None:
    vols = [b.volunteer("v1", skills="handy"), b.volunteer("v2")]
    plan = solve_and_check(
        b.registry(vols, needs=[b.need("n1", skills="handy", volunteers_needed=2)])
    )
    assert plan.assignments.empty
    assert list(plan.unmatched["missing"]) == [2]
    relaxed = solve_and_check(b.registry(vols, needs=[b.need("n1", volunteers_needed=2)]))
    assert assigned(relaxed) == {MON: ["v1", "v2"]}


def test_team_needs_one_common_start() -> None:
    n = [b.need("n1", window="10:00-14:00", volunteers_needed=2)]
    apart = [
        b.volunteer("v1", availability="mon 09:00-11:00"),
        b.volunteer("v2", availability="mon 12:00-16:00"),
    ]
    plan = solve_and_check(b.registry(apart, needs=n))
    assert plan.assignments.empty
    together = [apart[0], b.volunteer("v2", availability="mon 09:00-16:00")]
    relaxed = solve_and_check(b.registry(together, needs=n))
    assert assigned(relaxed) == {MON: ["v1", "v2"]}
    assert set(relaxed.assignments["start"]) == {pd.Timestamp("2026-11-30 10:00")}


def test_team_takes_exactly_the_number_needed() -> None:
    vols = [b.volunteer(f"v{i}", lat=b.north(i)) for i in range(1, 4)]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1", volunteers_needed=2)]))
    assert assigned(plan) == {MON: ["v1", "v2"]}  # the two nearest
    assert plan.assignments["start"].nunique() == 1


# -- continuity ------------------------------------------------------------------------
def test_strict_continuity_only_past_helpers() -> None:
    vols = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR)]
    strict = [b.need("n1", continuity="strict")]
    plan = solve_and_check(b.registry(vols, needs=strict, history=[b.history("v2")]))
    assert assigned(plan) == {MON: ["v2"]}
    # the past helper is away: strict leaves the task open, prefer lets v1 help
    away = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR, unavailable="2026-11-30")]
    blocked = solve_and_check(b.registry(away, needs=strict, history=[b.history("v2")]))
    assert blocked.assignments.empty
    assert reason_codes(blocked) == {MON: "continuity"}
    prefer = [b.need("n1", continuity="prefer")]
    assert assigned(solve_and_check(b.registry(away, needs=prefer, history=[b.history("v2")]))) == {
        MON: ["v1"]
    }


def test_strict_continuity_without_history_allows_anyone() -> None:
    vols = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR)]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1", continuity="strict")]))
    assert assigned(plan) == {MON: ["v1"]}


# -- objective tiers -------------------------------------------------------------------
def test_priority_one_beats_two_priority_three_tasks() -> None:
    vol = [b.volunteer("v1", availability="mon 10:00-12:00")]
    clients = [b.client("c1"), b.client("c2"), b.client("c3")]

    def needs(prio_long: int) -> list[dict[str, Any]]:
        return [
            b.need("long", "c1", duration_min=120, priority=prio_long),
            b.need("a", "c2", duration_min=60, priority=3),
            b.need("b", "c3", window="11:00-11:00", duration_min=60, priority=3),
        ]

    plan = solve_and_check(b.registry(vol, clients, needs(1)))
    assert set(plan.assignments["need_id"]) == {"long"}
    assert plan.metrics["weighted_coverage"] == pytest.approx(4 / 6)
    low = solve_and_check(b.registry(vol, clients, needs(3)))
    assert set(low.assignments["need_id"]) == {"a", "b"}
    assert low.metrics["weighted_coverage"] == pytest.approx(2 / 3)


def test_continuity_prefers_the_volunteer_from_history() -> None:
    vols = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR)]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1")], history=[b.history("v2")]))
    assert assigned(plan) == {MON: ["v2"]}
    assert plan.metrics["continuity"] == 1.0
    no_hist = solve_and_check(b.registry(vols, needs=[b.need("n1")]))
    assert assigned(no_hist) == {MON: ["v1"]}


def test_history_inside_the_horizon_does_not_count() -> None:
    vols = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR)]
    hist = [b.history("v2", when="2026-11-30")]
    plan = solve_and_check(
        b.registry(vols, needs=[b.need("n1", continuity="strict")], history=hist)
    )
    assert assigned(plan) == {MON: ["v1"]}


def test_continuity_none_ignores_history() -> None:
    vols = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR)]
    reg = b.registry(vols, needs=[b.need("n1", continuity="none")], history=[b.history("v2")])
    assert assigned(solve_and_check(reg)) == {MON: ["v1"]}


def test_preferred_volunteers_then_history_first() -> None:
    vols = [b.volunteer("v1", lat=NEAR), b.volunteer("v2", lat=FAR), b.volunteer("v3", lat=TEN)]
    pref = [b.client("c1", preferred_volunteers="v2")]
    plan = solve_and_check(b.registry(vols, pref, [b.need("n1")]))
    assert assigned(plan) == {MON: ["v2"]}
    assert plan.metrics["preferred"] == 1.0
    # a past helper outranks a preferred volunteer
    both = solve_and_check(b.registry(vols, pref, [b.need("n1")], history=[b.history("v3")]))
    assert assigned(both) == {MON: ["v3"]}


@pytest.mark.parametrize("order", [("near", "far"), ("far", "near")])
def test_travel_tier_picks_the_nearer_of_two_equal_volunteers(order: tuple[str, str]) -> None:
    where = {"near": NEAR, "far": FAR}
    vols = [b.volunteer(name, lat=where[name]) for name in order]
    plan = solve_and_check(b.registry(vols, needs=[b.need("n1")]))
    assert assigned(plan) == {MON: ["near"]}
    assert plan.metrics["travel_km"] == pytest.approx(2.0, abs=0.01)


def test_coverage_comes_before_continuity() -> None:
    # v1 helped c1 before, but only v1 can do c2's chore at the same time
    vols = [b.volunteer("v1", skills="handy"), b.volunteer("v2", lat=NEAR)]
    clients = [b.client("c1"), b.client("c2")]
    needs = [b.need("n1"), b.need("n2", client_id="c2", skills="handy")]
    hist = [b.history("v1")]
    plan = solve_and_check(b.registry(vols, clients, needs, hist))
    assert assigned(plan) == {MON: ["v2"], "n2@2026-11-30": ["v1"]}
    # a 50 % coverage tolerance lets continuity win: v1 visits c1, the chore stays open
    tol = solve_and_check(
        b.registry(vols, clients, needs, hist), exact=False, tolerance={"coverage": 0.5}
    )
    assert assigned(tol) == {MON: ["v1"]}
    assert list(tol.unmatched["task_id"]) == ["n2@2026-11-30"]
    assert tol.metrics["weighted_coverage"] == pytest.approx(0.5)


# -- status, bound, determinism, settings -----------------------------------------------
def test_solution_is_optimal_with_bound_equal_to_coverage() -> None:
    vols = [b.volunteer("v1"), b.volunteer("v2", max_tasks_per_week=1)]
    clients = [b.client("c1"), b.client("c2"), b.client("c3")]
    needs = [b.need("n1"), b.need("n2", "c2", priority=1), b.need("n3", "c3", priority=3)]
    reg = b.registry(vols, clients, needs)
    problem = mk.build_problem(reg, b.WEEK)
    sol = mk.CpSatSolver(time_limit=2, seed=0).solve(problem)
    assert sol.status == "optimal"
    covered = mk.build_plan(problem, sol, reg).metrics
    # three tasks at 10:00, two volunteers: the priority-1 and priority-2 tasks win
    assert sol.bound == pytest.approx(6)
    assert covered["weighted_coverage"] == pytest.approx(6 / 7)
    assert covered["bound"] == pytest.approx(covered["weighted_coverage"])


@pytest.fixture(scope="module")
def village() -> tuple[mk.Registry, mk.Problem]:
    reg = b.generated_registry("village", seed=3)
    return reg, mk.build_problem(reg, b.WEEK)


@pytest.mark.parametrize(("workers", "tolerance"), [(1, {}), (2, {}), (2, {"coverage": 0.05})])
def test_deterministic_mode_repeats_the_plan(
    village: tuple[mk.Registry, mk.Problem], workers: int, tolerance: dict[str, float]
) -> None:
    # with a tolerance, the later tiers also put back and win back coverage
    reg, problem = village
    plans = []
    for _ in range(2):
        # a large safety factor: the wall-clock safety net must not fire on a
        # loaded machine (when it fires, the plan depends on the machine)
        solver = mk.CpSatSolver(
            time_limit=0.5, seed=11, deterministic=True, workers=workers, tolerance=tolerance,
            safety_factor=b.DETERMINISTIC_SAFETY,
        )  # fmt: skip
        plans.append(mk.build_plan(problem, solver.solve(problem), reg, {}))
    assert [p.metadata["solver_stats"]["safety_net_fired"] for p in plans] == [0, 0]
    pd.testing.assert_frame_equal(plans[0].assignments, plans[1].assignments)
    pd.testing.assert_frame_equal(plans[0].unmatched, plans[1].unmatched)
    assert not plans[0].assignments.empty
    violations = mk.check(reg, plans[0])
    assert violations.empty, violations.to_string()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time_limit": -1},
        {"time_limit": 0},
        {"tiers": ("continuity", "coverage")},
        {"tiers": ("coverage", "coverage")},
        {"tiers": ()},
        {"tiers": ("coverage", "fairness", "fairness:peak")},
        {"tiers": ("coverage", "fairness:nobody")},
        {"seed": -3},
        {"workers": -1},
        {"tolerance": {"coverage": 1.5}},
        {"no_such_setting": 1},
    ],
)
def test_invalid_settings_raise(kwargs: dict[str, Any]) -> None:
    with pytest.raises(mk.InvalidSettingsError) as info:
        mk.CpSatSolver(**kwargs)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TypeError)
    with pytest.raises(ValueError):
        SolverSettings.make(**kwargs)
    reg = b.registry([b.volunteer("v1")], needs=[b.need("n1")])
    with pytest.raises(TypeError):
        mk.match(reg, week=b.WEEK, **kwargs)


def test_invalid_settings_on_top_of_valid_settings() -> None:
    base = SolverSettings.make(time_limit=1)
    with pytest.raises(mk.InvalidSettingsError):
        mk.CpSatSolver(base, time_limit=-1)
    assert mk.CpSatSolver(base, seed=4).settings.seed == 4


def test_too_little_time_to_build_a_model_keeps_the_greedy_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    reg = b.generated_registry("village", seed=3)
    problem = mk.build_problem(reg, b.WEEK)
    # pretend a model takes a second per option to build: no model fits the budget
    monkeypatch.setattr(cpsat.budget, "BUILD_SECONDS_PER_OPTION", 1.0)
    # and no fill after the parts (it may cover more than the greedy plan)
    monkeypatch.setattr(cpsat.budget, "FILL_SHARE", 0.0)
    sol = mk.CpSatSolver(time_limit=1, seed=0).solve(problem)
    assert set(sol.stats["component_statuses"]) == {"NO_TIME_LEFT"}
    assert sol.seconds < 1
    greedy = set(mk.solver.familiar_first_options(problem).tolist())
    assert set(sol.options.tolist()) == greedy
    plan = mk.build_plan(problem, sol, reg)
    assert mk.check(reg, plan).empty


def test_a_tier_without_time_to_load_its_model_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    reg = b.generated_registry("village", seed=3)
    problem = mk.build_problem(reg, b.WEEK)
    monkeypatch.setattr(cpsat.budget, "MIN_TIER_SECONDS_PER_OPTION", 1.0)
    sol = mk.CpSatSolver(time_limit=2, seed=0).solve(problem)
    statuses = "/".join(sol.stats["component_statuses"])
    assert "SKIPPED" in statuses and sol.status == "feasible"
    assert mk.check(reg, mk.build_plan(problem, sol, reg)).empty


def test_restore_puts_back_what_fits_and_keeps_the_held_tiers() -> None:
    import numpy as np

    from matchkracht.solver.greedy import Calendar

    reg = b.generated_registry("village", seed=3)
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK))
    options = np.arange(problem.num_options)
    before = np.zeros(problem.num_options, dtype=bool)
    before[mk.solver.greedy_options(problem)] = True
    after = before.copy()
    tasks = problem.opt_task
    after[np.isin(tasks, np.unique(tasks[before])[::2])] = False  # every other task left open
    cal = Calendar(problem)
    everything = cpsat.restore(problem, options, before, after, cal, lambda _: True)
    assert (everything == before).all()
    assert (cpsat.restore(problem, options, before, after, cal, lambda _: False) == after).all()
    # a calendar that already holds the plan: nothing fits twice
    full = Calendar(problem)
    for o in np.flatnonzero(before).tolist():
        full.take(o)
    assert (cpsat.restore(problem, options, before, after, full, lambda _: True) == after).all()


@pytest.mark.parametrize("keep", [0, 1])
def test_maximize_with_a_start_keeps_it_among_the_best_plans(keep: int) -> None:
    # one task, two volunteers: both plans cover it; with a start, the one kept
    vols = [b.volunteer("v1"), b.volunteer("v2")]
    problem = mk.build_problem(
        b.registry(vols, needs=[b.need("n1")]), mk.Horizon.from_week(b.WEEK, 1)
    )
    options = np.arange(problem.num_options)
    start = problem.opt_vol[options] == keep
    m = cpsat.build_model(problem, options, ("coverage",))
    cpsat.maximize(m, "coverage", start)
    solver = cp_model.CpSolver()
    assert solver.solve(m.model) == cp_model.OPTIMAL
    chosen = [i for i, x in enumerate(m.x) if solver.boolean_value(x)]
    assert problem.opt_vol[options[chosen]].tolist() == [keep]


def test_probe_finds_what_continuity_would_choose_with_the_held_tiers_whole() -> None:
    # two Mondays tasks of c1 at 10:00 and 14:00: v1 helped before, v2 is nearer and
    # a stranger. The start gives both to v2; the probe hands both to v1, covering
    # the same weight.
    vols = [b.volunteer("v1", lat=b.north(3.0)), b.volunteer("v2")]
    needs = [b.need("n1"), b.need("n2", window="14:00-14:00")]
    reg = b.registry(vols, needs=needs, history=[b.history("v1")])
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, 1))
    options = np.arange(problem.num_options)
    start = problem.opt_vol[options] == 1
    tiers = ("coverage", "fairness:at_cap", "continuity")
    covered = int(cpsat.evaluate("coverage", start, problem, options, None))
    settings = SolverSettings.make(time_limit=5, seed=0, workers=1)
    part = _probe_part(problem, options, tiers, settings)
    probe = warmstart.probe(part, start, {"coverage": covered}, 5.0)
    assert probe is not None
    assert problem.opt_vol[options[probe]].tolist() == [0, 0]
    assert cpsat.evaluate("coverage", probe, problem, options, None) == covered
    # without the time to build a model, no probe
    assert warmstart.probe(part, start, {"coverage": covered}, 0.0) is None


def _probe_part(
    problem: mk.Problem, options: np.ndarray, tiers: tuple[str, ...], settings: SolverSettings
) -> SimpleNamespace:
    """The little of a part the probe reads."""
    return SimpleNamespace(
        settings=settings,
        sel=options,
        budget=Budget(settings.time_limit, settings.deterministic),
        fresh_model=lambda floors: cpsat.tiers.restricted_model(
            problem, options, tiers, None, floors
        ),
    )


@pytest.mark.parametrize("deterministic", [True, False])
def test_the_probe_counts_building_its_model_in_wall_clock_mode_only(
    deterministic: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a clock that jumps 100 s at every reading, as on a machine under heavy load:
    # in deterministic mode the probe's budget must not shrink by it
    vols = [b.volunteer("v1", lat=b.north(3.0)), b.volunteer("v2")]
    reg = b.registry(vols, needs=[b.need("n1")], history=[b.history("v1")])
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, 1))
    options = np.arange(problem.num_options)
    start = problem.opt_vol[options] == 1
    tiers = ("coverage", "fairness:at_cap", "continuity")
    settings = SolverSettings.make(time_limit=5, seed=0, workers=1, deterministic=deterministic)
    handed: list[float] = []
    monkeypatch.setattr(
        warmstart, "side_solve", lambda _s, _m, _t, _st, budget, *_a: handed.append(budget)
    )
    real, jumps = time.perf_counter, iter(range(100, 10**6, 100))
    monkeypatch.setattr(time, "perf_counter", lambda: real() + next(jumps))
    warmstart.probe(_probe_part(problem, options, tiers, settings), start, {"coverage": 1}, 4.0)
    assert handed == ([4.0] if deterministic else [0.0])
