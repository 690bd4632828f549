"""Baselines of the benchmark suite and its runner."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import matchkracht as mk
from matchkracht.plan.metrics import compute_metrics

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import run as bench_run  # noqa: E402
from benchmarks.baselines import (  # noqa: E402
    BASELINES,
    ClosestAvailable,
    FirstFitGreedy,
    GridCpSat,
    PerDayAssignment,
    closest_order,
)
from benchmarks.generate import generate  # noqa: E402

WEEK = "2026-W49"
LAT, LON = 51.42, 6.13
KM_PER_DEG_LAT = 111.195  # great circle, mean Earth radius


def _north(road_km: float) -> float:
    """Latitude ``road_km`` road km (great circle × 1.3) north of the base point."""
    return LAT + road_km / 1.3 / KM_PER_DEG_LAT


def _registry(vols: list[dict], clients: list[dict], needs: list[dict]) -> mk.Registry:
    return mk.Registry.from_frames(
        pd.DataFrame(vols, dtype=object),
        pd.DataFrame(clients, dtype=object),
        pd.DataFrame(needs, dtype=object),
    )


def _one_need(vols: list[dict], schedule: str, window: str) -> mk.Registry:
    """``vols`` and one client at the base point with one one-hour need."""
    client = {"client_id": "c1", "lat": LAT, "lon": LON}
    need = {"need_id": "n1", "client_id": "c1", "schedule": schedule, "window": window,
            "duration_min": 60}  # fmt: skip
    return _registry(vols, [client], [need])


def _village(seed: int, variant: str | None) -> mk.Registry:
    frames = generate("village", seed=seed, variant=variant, week=WEEK)
    plain = {k: v.astype(object).where(v.notna(), None) for k, v in frames.items()}
    return mk.Registry.from_frames(
        plain["volunteers"], plain["clients"], plain["needs"], plain["history"]
    )


def _hand_made() -> mk.Registry:
    """Six volunteers, three clients: a ride, a two-person chore, clashing visits, tight caps."""
    week = "mon 08:00-18:00; tue 08:00-18:00; wed 08:00-18:00"
    vols = [
        {"volunteer_id": "V1", "lat": _north(2), "lon": LON, "skills": "driver",
         "availability": week, "max_tasks_per_week": 2},
        {"volunteer_id": "V2", "lat": _north(-1), "lon": LON, "skills": "handy",
         "availability": week, "max_hours_per_week": 3},
        {"volunteer_id": "V3", "lat": _north(4), "lon": LON + 0.01, "skills": "handy;driver",
         "availability": "mon 09:00-12:00; tue 09:00-12:00"},
        {"volunteer_id": "V4", "lat": _north(0.5), "lon": LON, "availability": week,
         "languages": "nl;ar"},
        # two handy helpers who can only do the two-person chore
        {"volunteer_id": "V5", "lat": _north(2), "lon": LON, "skills": "handy",
         "availability": "tue 09:00-11:15"},
        {"volunteer_id": "V6", "lat": _north(2.5), "lon": LON, "skills": "handy",
         "availability": "tue 09:00-11:15"},
    ]  # fmt: skip
    clients = [
        {"client_id": "C1", "lat": LAT, "lon": LON, "excluded_volunteers": "V5;V6"},
        {"client_id": "C2", "lat": _north(1), "lon": LON, "excluded_volunteers": "V4"},
        {"client_id": "C3", "lat": _north(3), "lon": LON, "languages": "ar"},
    ]
    needs = [
        {"need_id": "R1", "client_id": "C1", "kind": "ride", "schedule": "FREQ=WEEKLY;BYDAY=MO,TU",
         "window": "10:00-10:30", "duration_min": 90, "priority": 1,
         "dest_lat": _north(8), "dest_lon": LON},
        {"need_id": "K1", "client_id": "C2", "kind": "chore", "schedule": "2026-12-01",
         "window": "09:30-11:00", "duration_min": 60, "skills": "handy", "volunteers_needed": 2},
        {"need_id": "B1", "client_id": "C1", "kind": "visit",
         "schedule": "FREQ=WEEKLY;BYDAY=MO,TU,WE", "window": "10:00-11:00", "priority": 2},
        {"need_id": "B2", "client_id": "C3", "kind": "visit", "schedule": "FREQ=WEEKLY;BYDAY=MO,WE",
         "window": "10:00-10:15", "languages": "ar", "priority": 3},
        {"need_id": "B3", "client_id": "C2", "kind": "meal",
         "schedule": "FREQ=WEEKLY;BYDAY=MO,TU,WE", "window": "11:30-12:30", "duration_min": 75},
    ]  # fmt: skip
    return _registry(vols, clients, needs)


def _check(registry: mk.Registry, solver: object) -> tuple[mk.Plan, pd.DataFrame]:
    problem = mk.build_problem(registry, WEEK)
    solution = solver.solve(problem)  # type: ignore[attr-defined]
    assert solution.status == "feasible"
    assert solution.bound is None
    assert solution.engine == solver.name  # type: ignore[attr-defined]
    plan = mk.build_plan(problem, solution, registry)
    return plan, mk.check(registry, plan)


@pytest.mark.parametrize("baseline", BASELINES, ids=lambda b: b.name)
@pytest.mark.parametrize(("seed", "variant"), [(0, None), (1, "scarce_drivers")])
def test_baseline_plans_pass_check_on_generated_villages(
    baseline: object, seed: int, variant: str | None
) -> None:
    plan, violations = _check(_village(seed, variant), baseline)
    assert violations.empty, violations.to_string()
    assert plan.metrics["covered"] > 0


@pytest.mark.parametrize("baseline", BASELINES, ids=lambda b: b.name)
def test_baseline_plans_pass_check_on_hand_made_registry(baseline: object) -> None:
    plan, violations = _check(_hand_made(), baseline)
    assert violations.empty, violations.to_string()
    assert plan.metrics["covered"] > 0


@pytest.mark.parametrize("baseline", BASELINES, ids=lambda b: b.name)
def test_baselines_keep_a_care_team_cap_on_team_tasks(baseline: object) -> None:
    # a task for two volunteers whose care team holds one: no baseline may cover it
    vols = [{"volunteer_id": f"v{i}", "lat": LAT, "lon": LON,
             "availability": "mon 09:00-17:00"} for i in range(3)]  # fmt: skip
    client = {"client_id": "c1", "lat": LAT, "lon": LON}
    need = {"need_id": "n1", "client_id": "c1", "schedule": "FREQ=WEEKLY;BYDAY=MO",
            "window": "10:00-10:00", "duration_min": 60, "volunteers_needed": 2,
            "max_team": 1}  # fmt: skip
    plan, violations = _check(_registry(vols, [client], [need]), baseline)
    assert violations.empty, violations.to_string()
    assert plan.assignments.empty


def test_baselines_never_beat_the_proven_bound() -> None:
    registry = _village(2, "holiday")
    problem = mk.build_problem(registry, WEEK)
    cp = mk.CpSatSolver(time_limit=5, seed=0).solve(problem)
    assert cp.bound is not None
    for b in BASELINES:
        opts = b.solve(problem).options
        covered = mk.problem.occupancy.covered_tasks(problem, opts)
        assert problem.task_weight[covered].sum() <= cp.bound + 1e-9


def _closest_case() -> mk.Registry:
    # V_far comes first in the table, so a first-fit by volunteer index would pick it.
    vols = [
        {"volunteer_id": "V_far", "lat": _north(6), "lon": LON, "availability": "mon 08:00-14:00"},
        {"volunteer_id": "V_near", "lat": _north(1), "lon": LON, "availability": "mon 08:00-14:00"},
        {"volunteer_id": "V_mid", "lat": _north(-3), "lon": LON, "availability": "mon 08:00-14:00"},
    ]
    clients = [{"client_id": "C1", "lat": LAT, "lon": LON}]
    needs = [
        # A comes first in time; B (priority 1) starts while A is still going on.
        {"need_id": "A", "client_id": "C1", "schedule": "2026-11-30", "window": "10:00-10:00",
         "duration_min": 60, "priority": 3},
        {"need_id": "B", "client_id": "C1", "schedule": "2026-11-30", "window": "10:30-10:30",
         "duration_min": 60, "priority": 1},
    ]  # fmt: skip
    return _registry(vols, clients, needs)


def test_closest_available_takes_the_nearest_free_volunteer() -> None:
    registry = _closest_case()
    problem = mk.build_problem(registry, WEEK)
    km = {
        (int(t), int(v)): float(k)
        for t, v, k in zip(problem.pair_task, problem.pair_vol, problem.pair_km, strict=True)
    }
    a = problem.task_ids.index("A@2026-11-30")
    b = problem.task_ids.index("B@2026-11-30")
    nearest_a = min((v for t, v in km if t == a), key=lambda v: km[(a, v)])
    nearest_b = min((v for t, v in km if t == b), key=lambda v: km[(b, v)])
    assert nearest_a == nearest_b  # the case only tests "free" if both want the same one
    # time order: A (earlier) before B (higher priority)
    order = closest_order(problem).tolist()
    assert order.index(a) < order.index(b)

    sol = ClosestAvailable().solve(problem)
    got = {int(problem.opt_task[o]): int(problem.opt_vol[o]) for o in sol.options}
    assert got[a] == nearest_a
    free_b = [v for t, v in km if t == b and v != got[a]]
    assert got[b] == min(free_b, key=lambda v: km[(b, v)])
    plan = mk.build_plan(problem, sol, registry)
    assert mk.check(registry, plan).empty


def test_first_fit_differs_from_closest_on_the_constructed_case() -> None:
    problem = mk.build_problem(_closest_case(), WEEK)
    ff = FirstFitGreedy().solve(problem).options
    cl = ClosestAvailable().solve(problem).options
    km_ff = problem.pair_km[problem.opt_pair[ff]].sum()
    km_cl = problem.pair_km[problem.opt_pair[cl]].sum()
    assert len(ff) == len(cl) == 2
    assert km_cl < km_ff


def test_per_day_assignment_without_team_fill_leaves_team_tasks_unmatched() -> None:
    problem = mk.build_problem(_hand_made(), WEEK)
    teams = np.flatnonzero(problem.task_needed > 1)
    assert len(teams) > 0
    without = PerDayAssignment(fill_teams=False).solve(problem).options
    assert not np.isin(problem.opt_task[without], teams).any()
    with_fill = PerDayAssignment().solve(problem).options
    covered = mk.problem.occupancy.covered_tasks(problem, with_fill)
    assert covered[teams].any()


def test_smoke_suite_lists_two_villages() -> None:
    instances = bench_run.suite_instances("smoke")
    assert [i.name for i in instances] == ["village/base", "village/scarce_drivers"]
    assert bench_run.SUITES["smoke"]["time_limit"] <= 5


def test_runner_measures_checks_and_reports(tmp_path: Path) -> None:
    inst = bench_run.Instance("village", None, 3)
    raw = bench_run.run_suite([inst], time_limit=2.0, isolate=False, verbose=False)
    assert list(raw["method"]) == list(bench_run.METHODS)
    assert (raw["error"] == "").all(), raw["error"].tolist()
    assert (raw["violations"] == 0).all()
    assert raw["cpsat_bound"].notna().all()
    # one bound per instance and seed, and no method beats it
    assert raw["cpsat_bound"].nunique() == 1
    assert (raw["gap_pp"] >= -1e-6).all()
    cp = raw[raw["method"] == "cpsat"].iloc[0]
    assert cp["gap_pp"] == pytest.approx((cp["bound"] - cp["weighted_coverage"]) * 100)

    agg = bench_run.aggregate(raw)
    assert list(agg["method"]) == list(bench_run.METHODS)
    targets = bench_run.evaluate_targets(raw, agg)
    verdicts = {t["target"]: t["verdict"] for t in targets}
    assert any(k.startswith("Municipality") and v == "not measured" for k, v in verdicts.items())
    check_target = next(v for k, v in verdicts.items() if "matchkracht.plan.check" in k)
    assert check_target == "held"

    text = bench_run.write_outputs(raw, tmp_path, suite="test", settings={"time_limit": 2})
    assert (tmp_path / "raw.csv").exists()
    assert (tmp_path / "results.md").read_text(encoding="utf-8") == text
    assert "## Targets" in text and "village/base" in text
    assert len(pd.read_csv(tmp_path / "raw.csv")) == len(bench_run.METHODS)


def test_targets_report_a_baseline_that_beats_cpsat() -> None:
    rows = [
        {"instance": "village/base", "seed": 0, "method": "cpsat", "weighted_coverage": 0.80,
         "bound": 0.90, "solve_seconds": 0.5, "status": "feasible", "violations": 0, "error": ""},
        {"instance": "village/base", "seed": 0, "method": "first_fit", "weighted_coverage": 0.85,
         "bound": None, "solve_seconds": 0.01, "status": "feasible", "violations": 0, "error": ""},
    ]  # fmt: skip
    raw = bench_run.add_gaps(pd.DataFrame(rows))
    targets = {t["target"]: t for t in bench_run.evaluate_targets(raw, bench_run.aggregate(raw))}
    beat = next(t for k, t in targets.items() if k.startswith("CP-SAT weighted coverage"))
    assert beat["verdict"] == "NOT held"
    assert "first_fit" in beat["evidence"]
    village = next(t for k, t in targets.items() if k.startswith("Village"))
    assert village["verdict"] == "NOT held"  # gap of 10 points: not proven optimal


def test_isolated_measurement_reports_child_memory() -> None:
    inst = bench_run.Instance("village", None, 0)
    job = bench_run.Job(inst, "first_fit", 1.0, frames=bench_run.generate_frames(inst))
    row = bench_run._run_job(job, isolate=True)
    assert row["error"] == ""
    assert row["violations"] == 0
    assert row["peak_mib"] > 10


def test_the_gap_is_taken_to_the_better_of_the_cpsat_and_day_bounds() -> None:
    rows = [
        {"instance": "municipality/base", "seed": 0, "method": "cpsat", "weighted_coverage": 0.95,
         "bound": 0.985, "day_bound": 0.968, "status": "feasible", "violations": 0, "error": ""},
        {"instance": "municipality/base", "seed": 0, "method": "first_fit",
         "weighted_coverage": 0.90, "bound": None, "status": "feasible", "violations": 0,
         "error": ""},
    ]  # fmt: skip
    raw = bench_run.add_gaps(pd.DataFrame(rows))
    assert raw["cpsat_bound"].tolist() == pytest.approx([0.968, 0.968])
    assert raw["gap_pp"].tolist() == pytest.approx([1.8, 6.8])
    # without a day bound, CP-SAT's own bound counts
    raw = bench_run.add_gaps(pd.DataFrame(rows).drop(columns="day_bound"))
    assert raw["cpsat_bound"].tolist() == pytest.approx([0.985, 0.985])


def test_a_cpsat_measurement_with_a_day_bound_records_it() -> None:
    inst = bench_run.Instance("village", None, 3)
    job = bench_run.Job(inst, "cpsat", 2.0, day_bound_limit=5.0)
    row = bench_run.measure(job)
    assert row["error"] == "", row.get("traceback")
    assert row["weighted_coverage"] <= row["day_bound"] + 1e-9
    assert row["day_bound"] <= 1.0
    assert row["day_bound_seconds"] > 0


def test_weeks_runner_measures_tiers_and_a_replan(tmp_path: Path) -> None:
    from benchmarks import weeks

    raw = weeks.run_weeks(
        "village", seed=3, weeks=2, time_limit=2.0, runs=["coverage only", "default"]
    )
    assert raw["run"].tolist()[:2] == ["coverage only", "default"]
    assert (raw["violations"] == 0).all()
    assert raw["coverage_cost_pct"].iloc[0] == 0
    replan = raw[raw["run"].str.startswith("re-plan")].iloc[0]
    assert replan["changed_unaffected"] == 0
    assert replan["kept"] + replan["reassigned"] + replan["moved"] + replan["dropped"] >= 1
    # a plan with nobody at a cap can cover no more than that bound
    capped = raw[raw["run"].str.startswith("bound: nobody at a weekly cap")].iloc[0]
    assert 0 < capped["weighted_coverage"] <= 1
    found = raw[raw["run"].str.startswith("nobody at a weekly cap: best plan")].iloc[0]
    assert found["max_week_load"] < 1 and found["at_cap"] == 0
    assert found["max_load"] <= found["max_week_load"]
    assert found["weighted_coverage"] <= capped["weighted_coverage"] + 1e-9
    text = weeks.render(raw, {"weeks": 2})
    assert "continuity (recurring)" in text and "Re-plan:" in text


def test_at_cap_counts_volunteer_weeks_at_a_cap() -> None:
    from benchmarks import weeks

    vols = [
        {"volunteer_id": "v1", "lat": LAT, "lon": LON, "availability": "mon,tue 09:00-17:00",
         "max_tasks_per_week": 1},
        {"volunteer_id": "v2", "lat": LAT, "lon": LON, "availability": "mon,tue 09:00-17:00",
         "max_tasks_per_week": 5},
    ]  # fmt: skip
    reg = _one_need(vols, "FREQ=WEEKLY;BYDAY=MO,TU", "10:00-10:00")
    plan = mk.match(reg, week=WEEK, time_limit=2, seed=0)
    assert plan.metrics["covered"] == 2
    used = plan.assignments["volunteer_id"].value_counts().to_dict()
    assert weeks.at_cap(reg, plan) == int(used.get("v1", 0) >= 1)
    # a one-week plan: at a cap every week is at a cap this week, a load of 100 %
    assert weeks.at_cap_every_week(reg, plan, 1) == weeks.at_cap(reg, plan)
    assert (plan.metrics["max_load"] == 1.0) == bool(weeks.at_cap(reg, plan))


def test_below_cap_finds_and_bounds_what_a_plan_without_full_caps_can_cover() -> None:
    from benchmarks import weeks

    # five weekday lunches, four volunteers with two lunches a week each: all five can be
    # covered, but only four when nobody may reach a cap (one lunch each)
    vols = [
        {"volunteer_id": f"v{i}", "lat": LAT, "lon": LON,
         "availability": "mon,tue,wed,thu,fri 11:00-14:00", "max_tasks_per_week": 2}
        for i in range(4)
    ]  # fmt: skip
    reg = _one_need(vols, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "12:00-12:00")
    problem = mk.build_problem(reg, WEEK)
    assert mk.match(reg, week=WEEK, time_limit=2, seed=0).metrics["weighted_coverage"] == 1.0
    found, bound = weeks.plan_below_caps(problem, time_limit=2)
    assert bound == pytest.approx(0.8)
    m = compute_metrics(problem, found)
    assert m["weighted_coverage"] == pytest.approx(0.8)
    assert m["max_load"] < 1


def test_readme_block_copies_the_results_sections() -> None:
    from benchmarks import readme

    full = (
        "# matchkracht benchmark: suite `full`\n\n- date: D\n- machine: M\n- python 3.11\n\n"
        "## Results (medians over seeds)\n\n| a |\n|---|\n| 1 |\n\n"
        "## CP-SAT against the baselines of the same run\n\n| r |\n\n"
        "## Targets\n\n| t | held |\n\n## Notes\n\n- n\n"
    )
    weeks = (
        "# w\n\nInstance: I. Measured T.\n\n| run |\n|---|\n| x |\n\nRe-plan: R.\n\nSettings: S\n"
    )
    block = readme.readme_block(full, weeks)
    assert block.startswith(readme.MARKER)
    assert "D, M, python 3.11" in block
    assert "| 1 |" in block and "| r |" in block and "| t | held |" in block
    assert "- n" not in block  # notes stay in results.md
    assert "(I; measured T; S;" in block and "| x |" in block and "Re-plan: R." in block


def test_grid_reference_uses_only_grid_starts_and_never_beats_the_full_model() -> None:
    registry = _village(0, None)
    problem = mk.build_problem(registry, WEEK)
    grid = GridCpSat(time_limit=5, seed=0, workers=2)
    _plan, violations = _check(registry, grid)
    assert violations.empty, violations.to_string()
    solution = grid.solve(problem)
    assert (problem.opt_start[solution.options] % 15 == 0).all()
    full = mk.CpSatSolver(time_limit=5, seed=0, workers=2).solve(problem)
    # the grid's plan is a plan of the full problem: never above its proven bound
    assert full.bound is not None
    assert problem.task_weight[problem.opt_task[solution.options]].sum() <= full.bound
    # the cut really drops starts on this village (windows off the quarter hour)
    assert solution.stats["grid_options"] < problem.num_options
