"""Tests of the command line (``matchkracht match | demo | validate``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA, NAMES, WEEK, make_registry

from matchkracht import Plan, Registry, check, demo_path
from matchkracht.cli import main

TINY = str(DATA / "tiny")
BROKEN = str(DATA / "broken")
FAST = ["--time-limit", "5", "--seed", "0"]


def test_match_writes_the_plan_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan"
    code = main(["match", TINY, "--week", WEEK, "--out", str(out), *FAST])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert sorted(p.name for p in out.iterdir()) == [
        "assignments.csv",
        "metrics.json",
        "unmatched.csv",
    ]
    assert "tasks covered" in captured.out
    assert str(out) in captured.out
    plan = Plan.read_csv(out)
    assert check(Registry.from_folder(TINY), plan).empty
    doc = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert doc["metadata"]["horizon"] == WEEK
    assert doc["metadata"]["settings"]["seed"] == 0
    for name in NAMES:
        assert name not in captured.out + captured.err


def test_match_several_weeks_deterministic(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    args = ["match", TINY, "--week", WEEK, "--weeks", "2", "--out", str(out), *FAST]
    assert main([*args, "--deterministic", "--workers", "1"]) == 0
    a = pd.read_csv(out / "assignments.csv", dtype=str)
    assert a["start"].min() >= "2026-11-30"
    assert a["start"].max() < "2026-12-14"
    assert a["start"].max() >= "2026-12-07"  # the second week is planned too


def test_match_from_excel(tmp_path: Path) -> None:
    book = make_registry().to_excel(tmp_path / "registry.xlsx")
    out = tmp_path / "plan"
    assert main(["match", str(book), "--week", WEEK, "--out", str(out), *FAST]) == 0
    assert (out / "assignments.csv").exists()


def test_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", TINY]) == 0
    captured = capsys.readouterr()
    assert "valid" in captured.out
    assert "volunteers=3" in captured.out
    assert captured.err == ""


def test_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not (demo_path() / "volunteers.csv").exists():
        pytest.skip("the demo registry is not bundled yet")
    code = main(["demo", "--out", str(tmp_path / "demo"), *FAST])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "tasks covered" in captured.out
    assert (tmp_path / "demo" / "assignments.csv").exists()


@pytest.mark.parametrize("command", ["validate", "match"])
def test_bad_registry_exits_2_and_lists_every_problem(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(Exception) as info:
        Registry.from_folder(BROKEN)
    problems = info.value.problems  # type: ignore[attr-defined]
    args = [command, BROKEN]
    if command == "match":
        args += ["--week", WEEK, "--out", str(tmp_path / "plan"), *FAST]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert f"{len(problems)} problems" in captured.err
    for rec in problems.itertuples(index=False):
        assert f"{rec.table}, row {rec.row}, column '{rec.column}'" in captured.err
    for name in (*NAMES, "Zoë", "Çelik", "Hoeske", "Kerkstraat"):
        assert name not in captured.err + captured.out
    assert not (tmp_path / "plan").exists()


def test_missing_registry_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert main(["validate", str(tmp_path / "nowhere.xlsx")]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("week", ["2026-W60", "49", "next week"])
def test_bad_week_exits_2(week: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["match", TINY, "--week", week, "--out", str(tmp_path / "plan"), *FAST])
    assert code == 2
    err = capsys.readouterr().err
    assert "week" in err
    assert "Traceback" not in err
    assert not (tmp_path / "plan").exists()


def test_match_with_tiers_and_tolerance(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    tiers = "coverage,fairness:at_cap,continuity,fairness:peak,fairness:spread,travel"
    args = ["match", TINY, "--week", WEEK, "--weeks", "2", "--out", str(out), *FAST]
    assert main([*args, "--tiers", tiers, "--tolerance", "coverage=0.005, continuity=0.01"]) == 0
    settings = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["metadata"][
        "settings"
    ]
    assert settings["tiers"] == tiers.split(",")
    assert settings["tolerance"] == {"coverage": 0.005, "continuity": 0.01}
    assert check(Registry.from_folder(TINY), Plan.read_csv(out)).empty


@pytest.mark.parametrize(
    "extra",
    [
        ["--weeks", "0"],
        ["--time-limit", "-1"],
        ["--seed", "-3"],
        ["--weeks", "two"],
        ["--tiers", "continuity,coverage"],
        ["--tiers", "coverage,speed"],
        ["--tolerance", "coverage"],
        ["--tolerance", "coverage=lots"],
        ["--tolerance", "coverage=2"],
        ["--tolerance", "speed=0.1"],
    ],
)
def test_bad_settings_exit_2(
    extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["match", TINY, "--week", WEEK, "--out", str(tmp_path / "plan"), *FAST, *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip()
    assert not (tmp_path / "plan").exists()


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["match", TINY]) == 2  # --week and --out are required
    assert main(["frobnicate"]) == 2
    assert "usage" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "match" in capsys.readouterr().out


def test_python_dash_m() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "matchkracht", "validate", TINY],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "valid" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "matchkracht", "validate", BROKEN],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        encoding="utf-8",
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "problems" in bad.stderr


def test_match_writes_calendars_roster_and_messages_in_dutch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import icalendar

    out = tmp_path / "plan"
    args = ["match", TINY, "--week", WEEK, "--out", str(out), *FAST, "--lang", "nl"]
    args += ["--ics", str(tmp_path / "ics"), "--roster", str(tmp_path / "rooster.xlsx")]
    args += ["--messages", str(tmp_path / "msg"), "--residents"]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "taken gedekt" in captured.out
    plan = Plan.read_csv(out)
    files = sorted((tmp_path / "ics").glob("*.ics"))
    assert [f.stem for f in files] == sorted(set(plan.assignments["volunteer_id"]))
    n = sum(len(icalendar.Calendar.from_ical(f.read_bytes()).walk("VEVENT")) for f in files)
    assert n == len(plan.assignments)
    assert (tmp_path / "rooster.xlsx").stat().st_size > 0
    assert {p.name for p in (tmp_path / "msg").iterdir()} == {"volunteers", "residents"}
    for name in NAMES:  # names go into the files, never to the terminal
        assert name not in captured.out + captured.err


def test_funder_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_dir = tmp_path / "plan"
    assert main(["match", TINY, "--week", WEEK, "--out", str(plan_dir), *FAST]) == 0
    capsys.readouterr()
    out = tmp_path / "report"
    code = main(["funder", TINY, "--plan", str(plan_dir), "--out", str(out), "--rate", "0.35"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert {p.name for p in out.iterdir()} == {"funder.xlsx", "funder.html"}
    assert "mileage reimbursement" in captured.out
    page = (out / "funder.html").read_text(encoding="utf-8")
    for name in NAMES:
        assert name not in page + captured.out
    bad = main(["funder", TINY, "--out", str(out), "--from", "1 december"])
    assert bad == 2 and "ISO date" in capsys.readouterr().err
