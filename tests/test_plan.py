"""Tests of the plan: its tables, metrics, summary and export formats."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import NAMES, WEEK, make_registry, tiny_frames

import matchkracht as mk
from matchkracht.plan import ASSIGNMENT_COLUMNS, UNMATCHED_COLUMNS, Plan

ISO_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
REQUIRED_METRICS = (
    "tasks", "covered", "coverage", "weighted_coverage", "travel_km", "continuity",
    "max_load", "gini_load", "solve_seconds", "status", "bound",
)  # fmt: skip


def _scarce_registry() -> mk.Registry:
    """The tiny registry plus a need nobody can serve (so ``unmatched`` is not empty)."""
    f = tiny_frames()
    extra = {c: "" for c in f["needs"].columns} | {
        "need_id": "N4",
        "client_id": "C2",
        "kind": "visit",
        "schedule": "2026-12-04",
        "window": "19:00-19:30",
        "languages": "pl",
    }
    f["needs"] = pd.concat([f["needs"], pd.DataFrame([extra])], ignore_index=True)
    return make_registry(f)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return mk.match(_scarce_registry(), week=WEEK, time_limit=5, seed=0)


def test_columns_follow_the_contract(plan: Plan) -> None:
    assert list(plan.assignments.columns) == [
        "task_id", "need_id", "client_id", "volunteer_id", "kind",
        "start", "end", "depart", "return", "travel_km",
    ]  # fmt: skip
    assert list(plan.unmatched.columns) == [
        "task_id", "need_id", "client_id", "kind", "window_start", "missing", "reason_code", "reason",
    ]  # fmt: skip
    assert list(plan.assignments.columns) == ASSIGNMENT_COLUMNS
    assert list(plan.unmatched.columns) == UNMATCHED_COLUMNS


def test_tables_are_consistent(plan: Plan) -> None:
    a, u = plan.assignments, plan.unmatched
    assert len(a) > 0
    assert list(u["task_id"]) == ["N4@2026-12-04"]
    assert u["reason_code"].iloc[0] == "no_language"
    assert u["missing"].iloc[0] == 1
    assert u["window_start"].iloc[0] == pd.Timestamp("2026-12-04T19:00:00")
    assert set(a["task_id"]).isdisjoint(u["task_id"])
    assert (a["task_id"] == a["need_id"] + "@" + a["start"].dt.strftime("%Y-%m-%d")).all()
    assert (a["depart"] <= a["start"]).all()
    assert (a["start"] < a["end"]).all()
    assert (a["end"] <= a["return"]).all()
    assert (a["travel_km"] > 0).all()
    assert mk.check(_scarce_registry(), plan).empty


def test_metrics(plan: Plan) -> None:
    m = plan.metrics
    for key in REQUIRED_METRICS:
        assert key in m, key
    assert m["status"] in {"optimal", "feasible", "no_solution"}
    assert m["tasks"] == len(set(plan.assignments["task_id"])) + len(plan.unmatched)
    assert m["covered"] == len(set(plan.assignments["task_id"]))
    assert m["coverage"] == pytest.approx(m["covered"] / m["tasks"])
    assert 0 <= m["weighted_coverage"] <= 1
    assert m["bound"] is None or m["bound"] >= m["weighted_coverage"] - 1e-9
    if m["status"] == "optimal":
        assert m["bound"] == pytest.approx(m["weighted_coverage"])
    assert m["travel_km"] == pytest.approx(plan.assignments["travel_km"].sum(), abs=0.01)
    assert 0 <= m["continuity"] <= 1
    assert 0 <= m["max_load"] <= 1
    assert 0 <= m["gini_load"] <= 1
    assert m["solve_seconds"] >= 0
    assert plan.status == m["status"]


def test_summary_has_no_names(plan: Plan) -> None:
    text = plan.summary()
    assert "N4@2026-12-04" in text
    for name in NAMES:
        assert name not in text
    for word in ("Zoë", "Çelik", "Kerkstraat", "Hoeske"):
        assert word not in text
    assert "Zoë" not in repr(plan)


def test_to_csv(plan: Plan, tmp_path: Path) -> None:
    out = plan.to_csv(tmp_path / "plan")
    assert sorted(p.name for p in out.iterdir()) == [
        "assignments.csv",
        "metrics.json",
        "unmatched.csv",
    ]
    a = pd.read_csv(out / "assignments.csv", dtype=str)
    u = pd.read_csv(out / "unmatched.csv", dtype=str)
    assert list(a.columns) == ASSIGNMENT_COLUMNS
    assert list(u.columns) == UNMATCHED_COLUMNS
    for col in ("start", "end", "depart", "return"):
        assert a[col].str.match(ISO_LOCAL).all(), a[col]
    assert u["window_start"].tolist() == ["2026-12-04T19:00:00"]
    first = plan.assignments.iloc[0]
    assert a["start"].iloc[0] == first["start"].strftime("%Y-%m-%dT%H:%M:%S")
    doc = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for key in REQUIRED_METRICS:
        assert key in doc
    assert doc["metadata"]["horizon"] == WEEK


def test_read_csv_round_trip(plan: Plan, tmp_path: Path) -> None:
    back = Plan.read_csv(plan.to_csv(tmp_path / "plan"))
    pd.testing.assert_frame_equal(back.assignments, plan.assignments, check_dtype=False)
    pd.testing.assert_frame_equal(back.unmatched, plan.unmatched, check_dtype=False)
    assert back.metrics == plan.metrics
    assert back.metadata["horizon"] == plan.metadata["horizon"]
    assert mk.check(_scarce_registry(), back).empty


def test_read_csv_keeps_ids_as_text(tmp_path: Path) -> None:
    f = tiny_frames()
    f["volunteers"]["volunteer_id"] = ["001", "002", "003"]
    f["clients"]["preferred_volunteers"] = ["001", ""]
    f["clients"]["excluded_volunteers"] = ["", "002"]
    f["history"]["volunteer_id"] = ["002"]
    reg = make_registry(f)
    plan = mk.match(reg, week=WEEK, time_limit=5, seed=0)
    back = Plan.read_csv(plan.to_csv(tmp_path / "plan"))
    assert set(back.assignments["volunteer_id"]) <= {"001", "002", "003"}
    assert mk.check(reg, back).empty


def test_to_excel(plan: Plan, tmp_path: Path) -> None:
    path = plan.to_excel(tmp_path / "plan.xlsx")
    sheets = pd.read_excel(path, sheet_name=None, dtype=str)
    assert list(sheets) == ["assignments", "unmatched", "metrics"]
    assert list(sheets["assignments"].columns) == ASSIGNMENT_COLUMNS
    assert list(sheets["unmatched"].columns) == UNMATCHED_COLUMNS
    assert len(sheets["assignments"]) == len(plan.assignments)
    assert sheets["assignments"]["start"].str.match(ISO_LOCAL).all()
    metrics = dict(zip(sheets["metrics"]["metric"], sheets["metrics"]["value"], strict=True))
    for key in REQUIRED_METRICS:
        assert key in metrics
    assert metrics["status"] == plan.status


def test_to_json_is_one_document(plan: Plan, tmp_path: Path) -> None:
    path = plan.to_json(tmp_path / "plan.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert set(doc) >= {"metadata", "metrics", "assignments", "unmatched"}
    assert len(doc["assignments"]) == len(plan.assignments)
    assert list(doc["assignments"][0]) == ASSIGNMENT_COLUMNS
    assert ISO_LOCAL.match(doc["assignments"][0]["start"])
    assert ISO_LOCAL.match(doc["unmatched"][0]["window_start"])
    for key in REQUIRED_METRICS:
        assert key in doc["metrics"]
    assert doc == json.loads(json.dumps(plan.to_dict()))


def test_metrics_are_json_numbers(plan: Plan) -> None:
    doc = json.loads(json.dumps(plan.metrics))
    for key in REQUIRED_METRICS:
        if key not in ("status", "bound"):
            assert isinstance(doc[key], int | float)
            assert math.isfinite(doc[key])


def test_empty_plan(tmp_path: Path) -> None:
    f = tiny_frames()
    f["needs"]["end_date"] = ["2026-11-01"] * 3  # nothing to plan in the week
    reg = make_registry(f)
    plan = mk.match(reg, week=WEEK, time_limit=5)
    assert plan.assignments.empty
    assert plan.unmatched.empty
    assert list(plan.assignments.columns) == ASSIGNMENT_COLUMNS
    assert plan.metrics["tasks"] == 0
    assert plan.status in {"optimal", "feasible", "no_solution"}
    back = Plan.read_csv(plan.to_csv(tmp_path / "plan"))
    assert back.assignments.empty
    assert list(back.assignments.columns) == ASSIGNMENT_COLUMNS
    assert isinstance(plan.summary(), str)
    assert mk.check(reg, plan).empty
