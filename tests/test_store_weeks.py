"""Done means: four weeks run through the store equal the same four weeks planned from files.

A small generated village (``benchmarks.generate``) is planned for four ISO
weeks twice, in deterministic mode: once the file way (match, record the plan
in ``history.csv``, read the folder again) and once through the store
(import once; match, publish, confirm each week). The plans, their continuity
and the care teams (who helped each need) must be the same every week.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import pandas as pd

import matchkracht as mk

WEEKS = ("2026-W49", "2026-W50", "2026-W51", "2026-W52")
SOLVE: dict[str, Any] = {
    "time_limit": 0.3, "seed": 0, "deterministic": True, "workers": 1,
    # a loaded machine must not reach the wall-clock safety limit (that would end the
    # deterministic search early and change the plan)
    "safety_factor": 1000,
}  # fmt: skip


def _frames() -> dict[str, pd.DataFrame]:
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    from benchmarks.generate import generate

    return generate("village", seed=3, week=WEEKS[0])


def _write_folder(folder: Path) -> Path:
    frames = _frames()
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def care_teams(registry: mk.Registry) -> dict[str, frozenset[str]]:
    """Per need, the volunteers who ever helped it (its care team)."""
    teams: dict[str, set[str]] = {}
    for entry in registry.history_records:
        teams.setdefault(entry.need_id, set()).add(entry.volunteer_id)
    return {k: frozenset(v) for k, v in teams.items()}


def pairs(plan: mk.Plan) -> list[tuple[str, str, str]]:
    a = plan.assignments
    return list(zip(a["task_id"], a["volunteer_id"], a["start"].astype(str), strict=True))


@functools.cache
def from_files(folder: str) -> tuple[list[mk.Plan], mk.Registry]:
    """The four weeks the file way: each week reads the folder and writes history.csv back."""
    path = _write_folder(Path(folder))
    plans = []
    for week in WEEKS:
        registry = mk.Registry.from_folder(path)
        plan = mk.match(registry, week=week, **SOLVE)
        registry.record(plan).to_folder(path)
        plans.append(plan)
    return plans, mk.Registry.from_folder(path)


def test_four_weeks_through_the_store_equal_four_weeks_from_files(
    store_url: str, tmp_path_factory: Any
) -> None:
    file_plans, file_registry = from_files(str(tmp_path_factory.mktemp("files") / "registry"))
    source = _write_folder(tmp_path_factory.mktemp("source") / "registry")
    with mk.Store(store_url) as store:
        store.import_registry(source)
        for week, expected in zip(WEEKS, file_plans, strict=True):
            plan = mk.match(store.registry(), week=week, **SOLVE)
            store.publish(plan)
            store.confirm(week)
            assert pairs(plan) == pairs(expected), week
            assert plan.metrics["continuity"] == expected.metrics["continuity"], week
        registry = store.registry()
    assert care_teams(registry) == care_teams(file_registry)
    assert registry.history_records == file_registry.history_records
    # continuity builds up: week 4 has more familiar faces than week 1
    assert file_plans[-1].metrics["continuity"] > file_plans[0].metrics["continuity"]
