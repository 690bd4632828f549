"""Tiers after coverage: their time shares, complete hints and the restricted model.

On large components the tiers after coverage run on a fresh, smaller model of
the relevant options (:func:`matchkracht.solver.cpsat.relevant_options`). The
tests make every component "large" so a village takes that path, and check
the plan against the independent checker and the coverage it must keep.
"""

from __future__ import annotations

import builders as b
import numpy as np
import pytest
from ortools.sat.python import cp_model

import matchkracht as mk
from matchkracht.plan.metrics import compute_metrics
from matchkracht.solver import cpsat
from matchkracht.solver.greedy import familiar_first_options

ALL_TIERS = ("coverage", "stability", "continuity", "fairness", "travel")


@pytest.mark.parametrize(
    "tiers",
    [
        ("coverage",),
        ("coverage", "travel"),
        ("coverage", "continuity", "travel"),
        ALL_TIERS,
        ("coverage", "fairness", "continuity", "travel"),
    ],
)
@pytest.mark.parametrize("large", [False, True])
def test_tier_shares_leave_the_last_tier_everything(tiers: tuple[str, ...], large: bool) -> None:
    shares = [cpsat.tier_share(tiers, k, large) for k in range(len(tiers))]
    assert shares[-1] == 1.0
    assert all(0.0 < s <= 1.0 for s in shares)
    if len(tiers) > 1:
        assert shares[0] == (0.7 if large else 0.5)


def test_fairness_gets_more_time_than_when_it_shared_a_fixed_third() -> None:
    # the issue-5 finding: third in line, fairness got 30 % of what continuity left
    steps = cpsat.solve_steps(("coverage", "continuity", "fairness", "travel"))
    left, fairness = 1.0, 0.0  # shares of what continuity left
    for k in range(2, len(steps)):
        share = cpsat.tier_share(steps, k, large=True)
        if steps[k].startswith("fairness"):
            fairness += left * share
        left *= 1 - share
    assert fairness > 0.5


def _problem(weeks: int = 1) -> mk.Problem:
    reg = b.generated_registry("village", seed=3)
    return mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, weeks))


def test_fairness_hint_is_complete_and_feasible() -> None:
    problem = _problem(weeks=2)
    options = np.arange(problem.num_options)
    m = cpsat.build_model(problem, options, ALL_TIERS)
    for tier in ALL_TIERS:
        m.tier(tier)
    values = np.zeros(len(options), dtype=bool)
    values[familiar_first_options(problem)] = True
    values = cpsat.complete_teams(problem, options, values)
    m.hint(values)
    proto = m.model.proto
    assert len(proto.solution_hint.vars) == len(proto.variables)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(m.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


@pytest.fixture
def everything_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpsat.budget, "LARGE_COMPONENT", 1)


def _solve(problem: mk.Problem, tiers: tuple[str, ...]) -> mk.solver.Solution:
    return cpsat.CpSatSolver(time_limit=10, seed=0, tiers=tiers, deterministic=True).solve(problem)


@pytest.mark.usefixtures("everything_large")
def test_restricted_later_tiers_keep_coverage_and_pass_the_checker() -> None:
    reg = b.generated_registry("village", seed=3)
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, 1))
    alone = _solve(problem, ("coverage",))
    full = _solve(problem, ALL_TIERS)
    m_alone, m_full = compute_metrics(problem, alone), compute_metrics(problem, full)
    # the same deterministic coverage solve comes first; tolerance 0 keeps its value
    assert m_full["covered"] == m_alone["covered"]
    assert m_full["weighted_coverage"] == pytest.approx(m_alone["weighted_coverage"])
    plan = mk.build_plan(problem, full, reg, {})
    assert mk.check(reg, plan).empty
    # searched among the relevant options only: not proven optimal
    assert full.status == "feasible"


@pytest.mark.usefixtures("everything_large")
def test_restricted_model_holds_only_relevant_pairs() -> None:
    problem = _problem()
    options = np.arange(problem.num_options)
    chosen = np.zeros(len(options), dtype=bool)
    chosen[familiar_first_options(problem)] = True
    keep = cpsat.relevant_options(problem, options, chosen)
    pairs = problem.opt_pair[options]
    known = problem.pair_helped | problem.pair_preferred | problem.pair_team_known
    assert keep[chosen].all()
    assert keep[known[pairs]].all()
    # every start of a kept pair is kept; nothing else is
    kept_pairs = np.unique(pairs[keep])
    assert np.array_equal(keep, np.isin(pairs, kept_pairs))
    assert not keep.all()
    # (with fairness, options that relieve volunteers at a cap are kept too: see below)
    sol = _solve(problem, ("coverage", "continuity", "travel"))
    chosen_pairs = set(problem.opt_pair[sol.options].tolist())
    # the coverage plan's pairs plus the relevant ones: nothing outside them appears
    cov = _solve(problem, ("coverage",))
    allowed = set(problem.opt_pair[cov.options].tolist()) | set(kept_pairs.tolist())
    assert chosen_pairs <= allowed


def test_hold_rounds_the_inexact_double_of_an_integer_objective() -> None:
    # CP-SAT reported -28577379.999999996 for an integer objective of -28577380: a
    # floor taken from the raw double made the next tier infeasible
    problem = _problem()
    options = np.arange(problem.num_options)
    m = cpsat.build_model(problem, options, ("coverage",))
    assert m.hold("coverage", 5.000000004, 0.0) == 5
    assert m.hold("coverage", 4.999999996, 0.0) == 5


@pytest.mark.parametrize(
    ("budget", "lns_only"),
    [(1.0, True), (cpsat.LNS_ONLY_SECONDS_PER_OPTION * 50_000 * 1.01, False)],
)
def test_short_coverage_budgets_on_large_components_run_lns_only(
    budget: float, lns_only: bool
) -> None:
    engine = cpsat.CpSatSolver(time_limit=10, seed=0)
    solver = cp_model.CpSolver()
    engine._params(solver, budget, 50_000, first=True)
    assert solver.parameters.use_lns_only is lns_only
    later = cp_model.CpSolver()
    engine._params(later, budget, 50_000, first=False)  # only the coverage tier
    assert later.parameters.use_lns_only is False
    small = cp_model.CpSolver()
    engine._params(small, 0.01, 1_000, first=True)  # small components keep the LP
    assert small.parameters.use_lns_only is False


@pytest.mark.parametrize(
    ("workers", "size", "first", "budget", "full"),
    [
        (2, 600, True, 1.0, ["max_lp"]),  # a village: every step
        (2, 600, False, 1.0, ["max_lp"]),
        (1, 50_000, False, 1.0, ["max_lp"]),
        (2, 50_000, True, 1.0, []),  # too short: LNS only, no full worker
        (8, 600, True, 1.0, []),  # CP-SAT's own portfolio has a max_lp worker
        (2, 400_000, True, 1e6, []),  # too large for the LP in memory: LNS only
        (2, 400_000, False, 1e6, []),
    ],
)
def test_every_solve_on_few_workers_runs_the_max_lp_worker(
    workers: int, size: int, first: bool, budget: float, full: list[str]
) -> None:
    engine = cpsat.CpSatSolver(time_limit=10, seed=0, workers=workers)
    solver = cp_model.CpSolver()
    engine._params(solver, budget, size, first=first)
    assert list(solver.parameters.subsolvers) == full
    assert solver.parameters.num_workers == workers
    if size > cpsat.budget.FULL_WORKER_MAX_OPTIONS:
        assert solver.parameters.use_lns_only


def _relief_case(second_free: bool) -> tuple[mk.Problem, np.ndarray, np.ndarray]:
    # one task a week; v1 (cap 1) holds it; v2 can take it only when free that day
    vols = [
        b.volunteer("v1", max_tasks_per_week=1),
        b.volunteer("v2", max_tasks_per_week=1, unavailable="" if second_free else b.day(0)),
    ]
    reg = b.registry(vols, needs=[b.need("n1", continuity="none")])
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, 1))
    options = np.arange(problem.num_options)
    values = problem.pair_vol[problem.opt_pair[options]] == 0
    values &= np.arange(len(options)) == np.flatnonzero(values)[0]
    return problem, options, values


def test_relieve_moves_a_task_off_a_volunteer_at_a_cap() -> None:
    problem, options, values = _relief_case(second_free=True)
    calendar = cpsat.Calendar(problem)
    out = cpsat.relieve(problem, options, values, calendar)
    assert out.sum() == 1
    assert problem.opt_vol[options[out]].tolist() == [1]
    assert problem.opt_task[options[out]].tolist() == problem.opt_task[options[values]].tolist()
    # the calendar given is not changed
    assert calendar.tasks.sum() == 0


@pytest.mark.parametrize(("slack", "kept"), [(0.0, 1), (4.0, 0)])
def test_relieve_leaves_a_task_open_only_within_the_slack(slack: float, kept: int) -> None:
    problem, options, values = _relief_case(second_free=False)
    out = cpsat.relieve(problem, options, values, cpsat.Calendar(problem), slack=slack)
    assert out.sum() == kept
    assert (out <= values).all()


def test_calendar_release_frees_what_take_used() -> None:
    problem, options, values = _relief_case(second_free=True)
    cal = cpsat.Calendar(problem)
    o = int(options[values][0])
    cal.take(o)
    assert not cal.fits(o)
    cal.release(o)
    assert cal.fits(o) and cal.tasks.sum() == 0 and cal.minutes.sum() == 0


def test_relief_options_are_the_free_candidates_of_tasks_held_at_a_cap() -> None:
    problem, options, values = _relief_case(second_free=True)
    relief = cpsat.restrict.relief_options(problem, options, values, None)
    task = problem.opt_task[options[values]][0]
    free = (problem.opt_task[options] == task) & (problem.opt_vol[options] == 1)
    assert np.array_equal(relief, free)
    keep = cpsat.relevant_options(problem, options, values, None, relief_plan=values)
    assert keep[free].all()


def _swap_case(familiar_free: bool) -> tuple[mk.Problem, np.ndarray, np.ndarray]:
    # v1 helped the client before; the plan gives the task to v2, a new face
    vols = [
        b.volunteer("v1", unavailable="" if familiar_free else b.day(0)),
        b.volunteer("v2"),
    ]
    reg = b.registry(vols, needs=[b.need("n1")], history=[b.history("v1")])
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, 1))
    options = np.arange(problem.num_options)
    values = problem.opt_vol[options] == 1
    values &= np.arange(len(options)) == np.flatnonzero(values)[0]
    return problem, options, values


@pytest.mark.parametrize("familiar_free", [True, False])
def test_familiar_swaps_hand_a_task_to_a_past_helper_who_fits(familiar_free: bool) -> None:
    problem, options, values = _swap_case(familiar_free)
    out = cpsat.familiar_swaps(problem, options, values, cpsat.Calendar(problem))
    assert out.sum() == 1
    assert problem.opt_task[options[out]].tolist() == problem.opt_task[options[values]].tolist()
    assert problem.opt_vol[options[out]].tolist() == ([0] if familiar_free else [1])
    before = cpsat.evaluate("continuity", values, problem, options)
    after = cpsat.evaluate("continuity", out, problem, options)
    assert after > before if familiar_free else after == before


def test_relevant_options_keep_faces_of_the_plan_and_of_parts_before() -> None:
    # two Mondays' tasks of one client (two weeks), nobody helped before: the plan
    # gives v1 the first one; v1's options for the second stay (the same face), and
    # v2's stay once an earlier part had v2 meet the client
    vols = [b.volunteer("v1"), b.volunteer("v2")]
    reg = b.registry(vols, needs=[b.need("n1")])
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, 2))
    options = np.arange(problem.num_options)
    vol, week = problem.opt_vol[options], problem.task_week[problem.opt_task[options]]
    chosen = np.zeros(len(options), dtype=bool)
    chosen[np.flatnonzero((vol == 0) & (week == 0))[0]] = True
    keep = cpsat.relevant_options(problem, options, chosen)
    assert keep[vol == 0].all() and not keep[vol == 1].any()
    face = cpsat.face_keys(problem, options)[0]
    prior = cpsat.Prior(
        np.zeros((2, 2), dtype=np.int64),
        np.zeros((2, 2), dtype=np.int64),
        {},
        np.unique(face[vol == 1]),
        np.zeros(0, dtype=np.int64),
    )
    assert cpsat.relevant_options(problem, options, chosen, prior).all()


def test_relieve_frees_a_volunteer_by_a_chain_of_two_moves() -> None:
    # two weeks. v1 (cap 1) has both Mondays: at the cap every week. Only v2 could
    # take a Monday (the second; v2 is away the first), but v2 (cap 1) has the second
    # Tuesday, which v3 (Tuesdays only) can take: Tuesday to v3, Monday to v2.
    vols = [
        b.volunteer("v1", max_tasks_per_week=1),
        b.volunteer("v2", availability="mon,tue 09:00-17:00", unavailable=b.day(0),
                    max_tasks_per_week=1),
        b.volunteer("v3", availability="tue 09:00-17:00", max_tasks_per_week=2),
    ]  # fmt: skip
    needs = [
        b.need("n1", continuity="none"),
        b.need("n2", schedule="FREQ=WEEKLY;BYDAY=TU", continuity="none"),
    ]
    reg = b.registry(vols, needs=needs)
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, 2))
    options = np.arange(problem.num_options)
    vol = problem.opt_vol[options]
    task = problem.opt_task[options]
    need = problem.task_need[task]
    week = problem.task_week[task]
    plan = [(0, 0, 0), (0, 0, 1), (2, 1, 0), (1, 1, 1)]  # (volunteer, need, week)
    values = np.zeros(len(options), dtype=bool)
    for v, n, w in plan:
        values[np.flatnonzero((vol == v) & (need == n) & (week == w))[0]] = True
    before = cpsat.evaluate("fairness:at_cap", values, problem, options)
    out = cpsat.relieve(problem, options, values, cpsat.Calendar(problem))
    assert before == -1
    assert cpsat.evaluate("fairness:at_cap", out, problem, options) == 0
    assert sorted(zip(vol[out].tolist(), need[out].tolist(), week[out].tolist(), strict=True)) == [
        (0, 0, 0), (1, 0, 1), (2, 1, 0), (2, 1, 1)
    ]  # fmt: skip
    assert cpsat.evaluate("coverage", out, problem, options) == cpsat.evaluate(
        "coverage", values, problem, options
    )


def test_a_busy_at_cap_step_gets_a_larger_share() -> None:
    steps = cpsat.solve_steps(("coverage", "continuity", "fairness", "travel"))
    k = steps.index("fairness:at_cap")
    calm = cpsat.tier_share(steps, k, large=True)
    busy = cpsat.tier_share(steps, k, large=True, weight=cpsat.budget.AT_CAP_BUSY_WEIGHT)
    assert 0 < calm < busy < 1


def test_relieve_undoes_the_moves_a_held_tier_refuses() -> None:
    problem, options, values = _relief_case(second_free=True)
    calendar = cpsat.Calendar(problem)
    kept = cpsat.relieve(problem, options, values, calendar, keeps=lambda plan: False)
    assert (kept == values).all()
    moved = cpsat.relieve(problem, options, values, calendar, keeps=lambda plan: True)
    assert problem.opt_vol[options[moved]].tolist() == [1]
    assert calendar.tasks.sum() == 0


def test_relieve_hands_a_task_to_a_face_of_the_plan_before_a_nearer_stranger() -> None:
    # Monday and Tuesday of one client. v1 (cap 1) has Monday: at the cap. v3
    # (cap 2) has Tuesday, so is a familiar face by the plan; v2 is nearer, a
    # stranger. Monday goes to v3: by distance alone it would go to v2.
    avail = "mon,tue 09:00-17:00"
    vols = [
        b.volunteer("v1", availability=avail, max_tasks_per_week=1),
        b.volunteer("v2", lat=b.north(1.0), availability=avail, max_tasks_per_week=1),
        b.volunteer("v3", lat=b.north(3.0), availability=avail, max_tasks_per_week=2),
    ]
    reg = b.registry(vols, needs=[b.need("n1", schedule="FREQ=WEEKLY;BYDAY=MO,TU")])
    problem = mk.build_problem(reg, mk.Horizon.from_week(b.WEEK, 1))
    options = np.arange(problem.num_options)
    vol, day = problem.opt_vol[options], problem.task_day[problem.opt_task[options]]
    values = ((vol == 0) & (day == 0)) | ((vol == 2) & (day == 1))
    assert values.sum() == 2
    out = cpsat.relieve(problem, options, values, cpsat.Calendar(problem))
    assert sorted(zip(day[out].tolist(), vol[out].tolist(), strict=True)) == [(0, 2), (1, 2)]
