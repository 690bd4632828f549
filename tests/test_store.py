"""The store: registry, history and published plans, on SQLite and a real PostgreSQL.

Every test taking ``store_url`` runs twice: on a SQLite file and on a real
PostgreSQL server (``.ci/run`` starts one; see ``store_url`` in conftest).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import WEEK, make_registry, problem_cells, tiny_frames

import matchkracht as mk
from matchkracht.errors import MatchkrachtError
from matchkracht.replan import plan_diff
from matchkracht.store import migrations, schema
from matchkracht.store.privacy import is_pseudonym

#: Settings of every solve here: bounded and reproducible.
SOLVE: dict[str, Any] = {
    "time_limit": 5, "seed": 0, "deterministic": True, "workers": 1,
    # a loaded machine must not reach the wall-clock safety limit (that would end the
    # deterministic search early and change the plan)
    "safety_factor": 1000,
}  # fmt: skip

#: Contact data and notes in columns the contract does not know: personal all the same.
CONTACT = {"phone": "06-12345678", "notes": "Sleutel onder de mat bij Zoë"}


def frames_with_contact() -> dict[str, pd.DataFrame]:
    frames = tiny_frames()
    frames["clients"]["phone"] = [CONTACT["phone"], ""]
    frames["clients"]["notes"] = [CONTACT["notes"], ""]
    frames["volunteers"]["email"] = ["zoe@example.org", "", ""]
    return frames


def registry_with_contact() -> mk.Registry:
    return make_registry(frames_with_contact())


def same_registry(a: mk.Registry, b: mk.Registry) -> None:
    assert a.volunteer_records == b.volunteer_records
    assert a.client_records == b.client_records
    assert a.need_records == b.need_records
    assert a.history_records == b.history_records


def every_text(store: mk.Store) -> str:
    """Every cell of every table of the store, as one text."""
    parts = []
    with store.engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).all():
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


# -- schema and migrations --------------------------------------------------------------
def test_a_new_store_has_the_newest_schema(store_url: str) -> None:
    with mk.Store(store_url) as store:
        assert store.schema_version == migrations.MIGRATIONS[-1].version
        names = set(sa.inspect(store.engine).get_table_names())
        assert {t.name for t in schema.metadata.sorted_tables} <= names
    with mk.Store(store_url) as again:  # opening again migrates nothing
        assert again.schema_version == migrations.MIGRATIONS[-1].version


def test_an_old_store_is_migrated_and_keeps_its_data(store_url: str) -> None:
    engine = mk.Store(store_url).engine  # just to get an engine with the store's pragmas
    with engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            table.drop(conn, checkfirst=True)
    with engine.begin() as conn:
        assert migrations.migrate(conn, target=1) == 1
        conn.execute(
            schema.history.insert().values(
                need_id="N1", client_id="C1", volunteer_id="V2", date=date(2026, 11, 23),
                anonymous=False,
            )
        )  # fmt: skip
        assert not sa.inspect(conn).has_table("store_settings")
    engine.dispose()
    with mk.Store(store_url) as store:
        assert store.schema_version == migrations.MIGRATIONS[-1].version
        assert store.counts()["history"] == 1
        store.set_retention(12)  # the table of version 2 is there
        assert store.retention == mk.store.Retention(12)


def test_version_3_adds_the_trip_columns_to_a_version_2_store(store_url: str) -> None:
    engine = mk.Store(store_url).engine  # an engine with the store's pragmas
    with engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            table.drop(conn, checkfirst=True)
    with engine.begin() as conn:
        assert migrations.migrate(conn, target=2) == 2
        # a version-2 store made by an older matchkracht has no trip columns yet
        for column in ("trip_id", "leg"):
            conn.execute(sa.text(f"ALTER TABLE plan_assignments DROP COLUMN {column}"))
    engine.dispose()
    with mk.Store(store_url) as store:
        assert store.schema_version == 3
        inspector = sa.inspect(store.engine)
        columns = {c["name"] for c in inspector.get_columns("plan_assignments")}
        assert {"trip_id", "leg"} <= columns
        assert inspector.has_table("plan_trips")


def test_a_failing_migration_changes_nothing(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: sa.Connection) -> None:
        conn.execute(sa.text("CREATE TABLE half_done (x INTEGER)"))
        raise RuntimeError("disk full")

    newest = migrations.MIGRATIONS[-1].version
    steps = (*migrations.MIGRATIONS, migrations.Migration(newest + 1, "broken", broken))
    monkeypatch.setattr(migrations, "MIGRATIONS", steps)
    with pytest.raises(RuntimeError, match="disk full"):
        mk.Store(store_url)
    monkeypatch.undo()
    with mk.Store(store_url) as store:
        # the earlier steps were in the same transaction as the broken last one
        assert store.schema_version == newest
        assert not sa.inspect(store.engine).has_table("half_done")


def test_a_newer_store_is_refused(store_url: str) -> None:
    with mk.Store(store_url) as store, store.engine.begin() as conn:
        conn.execute(
            schema.schema_version.insert().values(
                version=99, description="future", applied_at=pd.Timestamp.now().to_pydatetime()
            )
        )
    with pytest.raises(MatchkrachtError, match="schema version 99"):
        mk.Store(store_url)


# -- registry ---------------------------------------------------------------------------
def test_import_from_frames_folder_and_excel_round_trips(store_url: str, tmp_path: Path) -> None:
    registry = registry_with_contact()
    registry.to_folder(tmp_path / "reg")
    registry.to_excel(tmp_path / "reg.xlsx")
    with mk.Store(store_url) as store:
        for source in (registry, tmp_path / "reg", tmp_path / "reg.xlsx"):
            store.import_registry(source)
            back = store.registry()
            same_registry(back, registry)
            # unknown columns (contact data, notes) are kept, in their place
            assert list(back.clients.columns) == list(registry.clients.columns)
            assert back.clients.loc[0, "phone"] == CONTACT["phone"]
        assert store.counts()["history"] == 1  # a re-import replaces the imported history


def test_an_empty_store_says_to_import_first(store_url: str) -> None:
    with mk.Store(store_url) as store, pytest.raises(MatchkrachtError, match="import one"):
        store.registry()


def test_a_bad_import_raises_the_files_error_and_changes_nothing(
    store_url: str, tmp_path: Path
) -> None:
    broken = Path(__file__).parent / "data" / "broken"
    with pytest.raises(mk.InvalidRegistryError) as files:
        mk.Registry.from_folder(broken)
    with mk.Store(store_url) as store:
        store.import_registry(make_registry())
        before = store.counts()
        with pytest.raises(mk.InvalidRegistryError) as stored:
            store.import_registry(broken)
        assert str(stored.value) == str(files.value)
        assert store.counts() == before
        same_registry(store.registry(), make_registry())


def test_update_by_id_changes_adds_and_keeps_order(store_url: str) -> None:
    with mk.Store(store_url) as store:
        store.import_registry(make_registry())
        update = pd.DataFrame(
            {
                "volunteer_id": ["V4", "V2"],
                "lat": [51.4260, 51.4250],
                "lon": [6.1360, 6.1350],
                "availability": ["sat 10:00-14:00", "ma 09:00-17:00"],
                "max_km": ["12", "20"],
            }
        )
        registry = store.update(volunteers=update)
        assert [v.volunteer_id for v in registry.volunteer_records] == ["V1", "V2", "V3", "V4"]
        by_id = {v.volunteer_id: v for v in registry.volunteer_records}
        assert by_id["V2"].max_km == 20.0 and by_id["V4"].max_km == 12.0
        # the replaced row is the given row: cells it leaves out take their defaults
        assert by_id["V2"].skills == frozenset()
        assert by_id["V1"] == make_registry().volunteer_records[0]
        same_registry(store.registry(), registry)


def test_a_bad_update_reports_the_frames_rows_and_changes_nothing(store_url: str) -> None:
    update = pd.DataFrame(
        {
            "volunteer_id": ["V2", "V5", "V2"],
            "lat": [51.4250, 95.0, 51.4],
            "lon": [6.1350, 6.13, 6.13],
            "availability": ["ma 09:00-17:00", "fri 22:00-02:00", "sat 10:00-12:00"],
        }
    )
    needs = pd.DataFrame(
        {"need_id": ["N9"], "client_id": ["C404"], "schedule": ["2026-12-03"], "window": ["10:00-11:00"]}
    )  # fmt: skip
    with mk.Store(store_url) as store:
        store.import_registry(make_registry())
        before = every_text(store)
        with pytest.raises(mk.InvalidRegistryError) as err:
            store.update(volunteers=update, needs=needs)
        assert problem_cells(err.value) == {
            ("volunteers", 3, "lat"),
            ("volunteers", 3, "availability"),
            ("volunteers", 4, "volunteer_id"),  # V2 twice: rows of the given frame
            ("needs", 2, "client_id"),
        }
        assert "also on row 2" in str(err.value)
        assert every_text(store) == before


# -- plans ------------------------------------------------------------------------------
def test_publish_keeps_every_version_and_says_what_changed(store_url: str) -> None:
    registry = make_registry()
    first = mk.match(registry, week=WEEK, **SOLVE)
    cancelled = mk.replan(registry, first, [mk.VolunteerCancels("V1")], **SOLVE).plan
    with mk.Store(store_url) as store:
        store.import_registry(registry)
        one = store.publish(first)
        assert (one.week, one.version, one.changes) == (WEEK, 1, {})
        two = store.publish(cancelled)
        assert two.version == 2
        expected = plan_diff(first, cancelled)["change"].value_counts()
        assert two.changes == {k: int(v) for k, v in expected.items()}
        assert "version 1 kept" in two.summary()
        old, new = store.plan(WEEK, version=1), store.plan(WEEK)
        pd.testing.assert_frame_equal(old.assignments, first.assignments, check_dtype=False)
        pd.testing.assert_frame_equal(new.assignments, cancelled.assignments, check_dtype=False)
        pd.testing.assert_frame_equal(new.unmatched, cancelled.unmatched, check_dtype=False)
        assert old.metrics == pytest.approx(first.metrics)
        assert old.metadata["settings"]["seed"] == 0
        table = store.plans()
        assert list(table["version"]) == [1, 2]
        assert table["seed"].tolist() == [0, 0]
        assert mk.check(registry, store.plan(WEEK)).empty


def test_confirm_writes_what_registry_record_writes(store_url: str) -> None:
    registry = make_registry()
    plan = mk.match(registry, week=WEEK, **SOLVE)
    with mk.Store(store_url) as store:
        store.import_registry(registry)
        store.publish(plan)
        assert store.confirm(WEEK) == len(plan.assignments)
        same_registry(store.registry(), registry.record(plan))
        with pytest.raises(MatchkrachtError, match="confirmed already"):
            store.confirm(WEEK)
        with pytest.raises(MatchkrachtError, match="confirmed already"):
            store.publish(plan)
        with pytest.raises(MatchkrachtError, match="no published plan"):
            store.confirm("2026-W50")
        # a re-import of the exported history does not count the confirmed week twice
        store.import_registry(store.registry())
        same_registry(store.registry(), registry.record(plan))


def test_replan_starts_from_the_published_plan(store_url: str) -> None:
    registry = make_registry()
    plan = mk.match(registry, week=WEEK, **SOLVE)
    with mk.Store(store_url) as store:
        store.import_registry(registry)
        store.publish(plan)
        busy = plan.assignments["volunteer_id"].iloc[0]
        result = store.replan(WEEK, [mk.VolunteerCancels(busy)], **SOLVE)
        assert busy not in set(result.plan.assignments["volunteer_id"])
        kept = result.diff[result.diff["change"] == "kept"]
        assert len(kept) == (plan.assignments["volunteer_id"] != busy).sum()
        assert store.publish(result.plan).version == 2


def test_replan_after_an_update_keeps_the_published_plan(store_url: str) -> None:
    registry = make_registry()
    plan = mk.match(registry, week=WEEK, **SOLVE)
    new_need = pd.DataFrame(
        {"need_id": ["N4"], "client_id": ["C2"], "kind": ["visit"], "schedule": ["2026-12-02"],
         "window": ["09:30-10:30"], "duration_min": ["45"]}
    )  # fmt: skip
    with mk.Store(store_url) as store:
        store.import_registry(registry)
        store.publish(plan)
        store.update(needs=new_need)
        result = store.replan(WEEK, [], **SOLVE)  # no change: only the new need is planned
        kept = result.diff[result.diff["change"] == "kept"]
        assert len(kept) == len(plan.assignments)
        assert set(result.diff["change"]) <= {"kept", "added"}
        assert "N4@2026-12-02" in set(result.plan.assignments["task_id"]) | set(
            result.plan.unmatched["task_id"]
        )
        assert mk.check(store.registry(), result.plan).empty


def test_export_writes_the_contract_files(store_url: str, tmp_path: Path) -> None:
    registry = registry_with_contact()
    plan = mk.match(registry, week=WEEK, **SOLVE)
    with mk.Store(store_url) as store:
        store.import_registry(registry)
        store.publish(plan)
        store.confirm(WEEK)
        out = store.export(tmp_path / "out")
        same_registry(mk.Registry.from_folder(out), registry.record(plan))
        again = mk.Plan.read_csv(out / "plans" / WEEK)
        assert len(again.assignments) == len(plan.assignments)


# -- privacy ----------------------------------------------------------------------------
def _published_and_confirmed(store: mk.Store) -> mk.Plan:
    registry = registry_with_contact()
    store.import_registry(registry)
    plan = mk.match(registry, week=WEEK, **SOLVE)
    store.publish(plan)
    store.confirm(WEEK)
    store.publish(mk.match(store.registry(), week="2026-W50", **SOLVE))
    return plan


def _aggregates(store: mk.Store) -> tuple[Any, ...]:
    a, h = schema.assignments, schema.history
    with store.engine.connect() as conn:
        n, km = conn.execute(sa.select(sa.func.count(), sa.func.sum(a.c.travel_km))).one()
        return (
            (n, round(float(km), 6)),
            conn.execute(sa.select(a.c.kind, sa.func.count()).group_by(a.c.kind).order_by(a.c.kind)).all(),
            conn.execute(sa.select(sa.func.count()).select_from(h)).scalar(),
        )  # fmt: skip


def test_forget_a_client_erases_them_everywhere_and_keeps_aggregates(store_url: str) -> None:
    with mk.Store(store_url) as store:
        _published_and_confirmed(store)
        assert "C1" in every_text(store)
        before = _aggregates(store)
        assert store.forget("C1") > 0
        text = every_text(store)
        for secret in ("Mevrouw Zoë de Wit", "Kerkstraat", CONTACT["phone"], "Sleutel", "51.421"):
            assert secret not in text
        for task_id in ("C1", "N1@", "N3@"):
            assert task_id not in text
        assert _aggregates(store) == before
        registry = store.registry()  # still valid, without the client and their needs
        assert [c.client_id for c in registry.client_records] == ["C2"]
        assert {n.need_id for n in registry.need_records} == {"N2"}
        if store.dialect == "sqlite":  # not even in the file's free pages or the WAL
            raw = b"".join(
                p.read_bytes() for p in Path(store.url).parent.glob("store.db*") if p.is_file()
            )
            for secret in ("Mevrouw Zoë de Wit", "Kerkstraat", CONTACT["phone"]):
                assert secret.encode() not in raw
        with pytest.raises(MatchkrachtError, match="no client"):
            store.forget("C1")


def test_forget_a_volunteer_erases_them_everywhere_and_keeps_aggregates(store_url: str) -> None:
    with mk.Store(store_url) as store:
        plan = _published_and_confirmed(store)
        assert "V1" in set(plan.assignments["volunteer_id"])
        before = _aggregates(store)
        store.forget_volunteer("V1")
        text = every_text(store)
        for secret in ("Zoë Çelik", "zoe@example.org", "'V1'", "V1;", "\nV1\n"):
            assert secret not in text
        assert _aggregates(store) == before
        registry = store.registry()
        assert "V1" not in {v.volunteer_id for v in registry.volunteer_records}
        assert registry.client_records[0].preferred_volunteers == ()
        with store.engine.connect() as conn:
            ids = conn.execute(sa.select(schema.assignments.c.volunteer_id)).scalars().all()
        assert "V1" not in ids and any(is_pseudonym(v) for v in ids)


@pytest.mark.parametrize("mode", ["delete", "pseudonymise"])
def test_retention_deletes_or_pseudonymises_old_history(store_url: str, mode: str) -> None:
    with mk.Store(store_url) as store:
        _published_and_confirmed(store)  # history 2026-11-23 and week 49; week 50 published
        before = store.counts()
        store.set_retention(1, mode)  # type: ignore[arg-type]
        # on 2027-01-02 the cut is 2026-12-02: the imported row and part of week 49 are old
        changed = store.apply_retention(today=date(2027, 1, 2))
        after = store.counts()
        history = store.registry().history
        assert (pd.to_datetime(history["date"]) >= pd.Timestamp("2026-12-02")).all()
        assert changed > 0
        if mode == "delete":
            assert after["history"] < before["history"]
            assert after["plans"] == before["plans"]  # metrics of old weeks stay
        else:
            assert after == before  # every row stays, without ids
        assert store.apply_retention(today=date(2027, 1, 2)) == 0  # nothing left to do
        store.set_retention(None)
        assert store.retention is None


def test_retention_rejects_bad_settings(tmp_path: Path) -> None:
    with mk.Store(tmp_path / "s.db") as store:
        with pytest.raises(mk.InvalidSettingsError, match="months"):
            store.set_retention(0)
        with pytest.raises(mk.InvalidSettingsError, match="mode"):
            store.set_retention(6, "shred")  # type: ignore[arg-type]


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    with mk.Store(tmp_path / "s.db") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
