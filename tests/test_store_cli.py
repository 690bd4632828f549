"""The store's command line: import, match --store --publish, confirm, export, forget."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, NAMES, WEEK

import matchkracht as mk
from matchkracht.cli import main

TINY = str(DATA / "tiny")
BROKEN = str(DATA / "broken")
FAST = ["--time-limit", "5", "--seed", "0", "--deterministic", "--workers", "1"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    for name in NAMES:  # personal data never on the screen
        assert name not in out.out + out.err
    return code, out.out, out.err


def test_the_weekly_workflow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "village.db")
    assert run(capsys, "store", "import", db, TINY)[0] == 0
    code, out, _ = run(capsys, "match", "--store", db, "--week", WEEK, *FAST)
    assert code == 0 and "tasks covered" in out
    assert len(mk.Store(db).plans()) == 0  # matching alone publishes nothing
    code, out, _ = run(capsys, "match", "--store", db, "--week", WEEK, "--publish", *FAST)
    assert code == 0 and "version 1 published" in out
    # again: re-planned from the published plan, which it keeps
    code, out, _ = run(capsys, "match", "--store", db, "--week", WEEK, "--publish", *FAST)
    assert code == 0 and "re-planned from published version 1" in out
    assert "version 2 published (version 1 kept)" in out
    code, out, _ = run(capsys, "store", "confirm", db, "--week", WEEK)
    assert code == 0 and "confirmed" in out
    plan = mk.Store(db).plan(WEEK)
    assert mk.Store(db).registry().history_records == (
        mk.Registry.from_folder(TINY).record(plan).history_records
    )
    code, out, _ = run(capsys, "store", "plans", db)
    assert code == 0 and WEEK in out
    assert run(capsys, "store", "export", db, str(tmp_path / "out"))[0] == 0
    exported = mk.Registry.from_folder(tmp_path / "out")
    assert exported.volunteer_records == mk.Registry.from_folder(TINY).volunteer_records
    assert (tmp_path / "out" / "plans" / WEEK / "assignments.csv").exists()
    assert run(capsys, "store", "forget", db, "--client", "C1")[0] == 0
    assert run(capsys, "store", "forget", db, "--volunteer", "V2")[0] == 0
    registry = mk.Store(db).registry()
    assert [c.client_id for c in registry.client_records] == ["C2"]
    code, out, _ = run(capsys, "store", "retention", db, "--months", "6")
    assert code == 0 and "6 months" in out
    assert mk.Store(db).retention == mk.store.Retention(6)


def _snapshot(db: str) -> tuple[object, ...]:
    store = mk.Store(db)
    return (store.counts(), store.plans().drop(columns="changes").to_dict("records"))


def test_bad_input_exits_2_with_the_files_error_and_leaves_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "village.db")
    assert run(capsys, "store", "import", db, TINY)[0] == 0
    assert run(capsys, "match", "--store", db, "--week", WEEK, "--publish", *FAST)[0] == 0
    before = _snapshot(db)
    _, _, files_error = run(capsys, "validate", BROKEN)
    code, _, err = run(capsys, "store", "import", db, BROKEN)
    assert code == 2 and err == files_error and "5 problems" in err
    for args in (
        ["store", "confirm", db, "--week", "2026-W50"],
        ["store", "forget", db, "--client", "C404"],
        ["store", "forget", db, "--volunteer", "V404"],
        ["match", "--store", db, "--week", "2026-W99", "--publish"],
        ["match", "--publish", "--week", WEEK],
        ["match", "--week", WEEK],
        ["store", "forget", db],
    ):
        code, _, err = run(capsys, *args)
        assert code == 2, args
        assert err, args
    assert _snapshot(db) == before


def test_a_missing_store_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "typo.db"
    code, _, err = run(capsys, "store", "confirm", str(db), "--week", WEEK)
    assert code == 2 and "no store" in err
    assert not db.exists()
