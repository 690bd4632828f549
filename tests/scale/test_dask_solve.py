"""CP-SAT on a LocalCluster: the same plans as in process, a killed worker changes nothing."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import builders as b
import numpy as np
import pytest

import matchkracht as mk
from matchkracht.solver import cpsat

SETTINGS: dict[str, Any] = {
    "time_limit": 1,
    "seed": 0,
    "workers": 1,
    "deterministic": True,
    "regions": "independent",
    # the shared test machine can be slow: never let the wall-clock safety net
    # (which is not deterministic) end a search before its deterministic limit
    "safety_factor": 1000,
}


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> mk.Registry:
    """A village whose one component is split into two regional parts."""
    monkeypatch.setattr(cpsat.budget, "MAX_COMPONENT", 50)
    monkeypatch.setattr(cpsat.budget, "REGION_OPTIONS", 120)
    return b.generated_registry("village", seed=3)


def _assignments(plan: mk.Plan) -> list[tuple[str, ...]]:
    cols = ["task_id", "volunteer_id", "start"]
    return sorted(map(tuple, plan.assignments[cols].astype(str).to_numpy().tolist()))


def test_dask_and_in_process_give_the_same_plan(client: Any, split: mk.Registry) -> None:
    here = mk.match(split, week=b.WEEK, **SETTINGS)
    there = mk.match(split, week=b.WEEK, cluster=client, **SETTINGS)
    stats = there.metadata["solver_stats"]
    assert stats["parallel_parts"] >= 2  # the regions really went to the workers
    assert mk.check(split, there).empty
    assert _assignments(there) == _assignments(here)
    timeless = {k: v for k, v in there.metrics.items() if k != "solve_seconds"}
    assert timeless == {k: v for k, v in here.metrics.items() if k != "solve_seconds"}


def test_independent_regions_are_feasible_and_their_widened_bound_holds(
    split: mk.Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = mk.match(split, week=b.WEEK, **SETTINGS)
    assert mk.check(split, plan).empty
    assert plan.metadata["solver_stats"]["regions"] >= 2
    problem = mk.build_problem(split, b.WEEK)
    trivial = problem.task_weight[np.unique(problem.opt_task)].sum() / problem.total_weight
    # the whole component solved as one model proves its optimum: the regions'
    # bound (each widened by the tasks of the volunteers it left out) is above it
    monkeypatch.setattr(cpsat.budget, "MAX_COMPONENT", 10**9)
    whole = mk.match(split, week=b.WEEK, time_limit=5, seed=0, workers=2)
    assert whole.metrics["bound_kind"] == "coverage_optimal"
    assert whole.metrics["weighted_coverage"] - 1e-9 <= plan.metrics["bound"] <= trivial + 1e-9


def test_the_second_chance_covers_tasks_the_regions_left(split: mk.Registry) -> None:
    """Without the border part, some tasks near borders stay uncovered."""
    plan = mk.match(split, week=b.WEEK, **SETTINGS)
    statuses = plan.metadata["solver_stats"]["component_statuses"]
    # one status per independent part, then the second chance (solved here)
    parts = plan.metadata["solver_stats"]["parallel_parts"]
    assert len(statuses) == parts + 1


def test_a_worker_killed_mid_solve_changes_nothing(client: Any, split: mk.Registry) -> None:
    expected = mk.match(split, week=b.WEEK, **SETTINGS)
    out: list[mk.Plan] = []
    run = threading.Thread(
        target=lambda: out.append(mk.match(split, week=b.WEEK, cluster=client, **SETTINGS))
    )
    run.start()
    deadline = time.monotonic() + 60
    busy: list[str] = []
    while time.monotonic() < deadline and not busy:
        busy = [
            w
            for w, keys in client.processing().items()
            if any(str(k).startswith("matchkracht-part-") for k in keys)
        ]
        time.sleep(0.01)
    assert busy, "no part reached a worker"
    (victim,) = client.run(os.getpid, workers=busy[:1]).values()
    os.kill(victim, signal.SIGKILL)
    run.join(timeout=120)
    assert not run.is_alive()
    (plan,) = out
    assert mk.check(split, plan).empty
    assert _assignments(plan) == _assignments(expected)
    client.wait_for_workers(2, timeout=30)


def test_the_benchmark_runner_measures_on_the_cluster(client: Any) -> None:
    from benchmarks import run as bench_run

    inst = bench_run.Instance("village", None, 0)
    raw = bench_run.run_suite(
        [inst], methods=("cpsat", "first_fit"), time_limit=1.0, verbose=False, client=client
    )
    assert list(raw["method"]) == ["cpsat", "first_fit"]
    assert raw["error"].fillna("").eq("").all(), raw["error"].tolist()
    assert raw["violations"].eq(0).all()
    assert raw["memory_mode"].eq("dask worker VmHWM (shared)").all()
    # the same tables on the worker as here
    assert raw["data_hash"].nunique() == 1
    assert raw["data_hash"].iloc[0] == bench_run.frames_hash(bench_run.generate_frames(inst))


def test_the_command_line_solves_on_a_local_cluster(tmp_path: Any) -> None:
    from matchkracht.cli import main

    code = main(["demo", "--dask", "local:1x1", "--time-limit", "2", "--out", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "assignments.csv").exists()
