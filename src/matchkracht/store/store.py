"""The store: registry, history and every published plan in one database.

A SQLite file by default (``Store("village.db")``), any SQLAlchemy URL
otherwise (``Store("postgresql+psycopg://user@host/db")``). Every write is one
transaction; on SQLite the file runs in WAL mode with ``synchronous=FULL``, so
a write that returned is on disk and a write cut off (power loss, a killed
process) leaves no trace.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa

import matchkracht.store.schema as schema
from matchkracht.data.models import parse_tags_keep_case
from matchkracht.data.registry import TABLES, Registry
from matchkracht.data.validation import _as_text, _cell
from matchkracht.errors import InvalidSettingsError, MatchkrachtError
from matchkracht.plan.result import TRIP_COLUMNS, UNMATCHED_COLUMNS, Plan
from matchkracht.replan import Change, ReplanResult, plan_diff, replan
from matchkracht.store.connection import open_engine
from matchkracht.store.migrations import current_version, migrate
from matchkracht.store.privacy import is_pseudonym, pseudonym, pseudonymise
from matchkracht.store.results import Publication, Retention
from matchkracht.store.rows import (
    REGISTRY_NAMES,
    apply_retention_rule,
    assignment_columns,
    insert_rows,
    latest_plan,
    non_blank,
    plan_rows,
    read_plan,
    read_retention,
    read_source,
    registry_ids,
    stored_frames,
    table_rows,
)

__all__ = ["Publication", "Retention", "Store"]

logger = logging.getLogger("matchkracht")


class Store:
    """Registry, history and published plans of a village, a municipality or a platform.

    Parameters
    ----------
    url
        A path of a SQLite file (created on first use), or any SQLAlchemy URL,
        e.g. ``postgresql+psycopg://matchkracht@localhost/village``.

    Examples
    --------
    >>> import tempfile, matchkracht as mk
    >>> folder = tempfile.mkdtemp()
    >>> store = mk.Store(f"{folder}/village.db")
    >>> store.import_registry(mk.load_demo())
    Registry(volunteers=60, clients=40, needs=61, history=158)
    >>> store.registry()
    Registry(volunteers=60, clients=40, needs=61, history=158)
    >>> store.close()
    """

    def __init__(self, url: str | Path = "matchkracht.db") -> None:
        self.url = str(url)
        self._engine = open_engine(url)
        with self._write() as conn:
            self._version = migrate(conn)

    # -- plumbing --------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._engine.connect() as conn:
            conn.execution_options(matchkracht_write=True)
            with conn.begin():
                yield conn

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for reports in SQL; write through the store's methods)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql`` (or another SQLAlchemy dialect's name)."""
        return str(self._engine.dialect.name)

    @property
    def schema_version(self) -> int:
        """The schema version of the store (the newest: ``MIGRATIONS[-1].version``)."""
        with self._engine.connect() as conn:
            return current_version(conn)

    def close(self) -> None:
        """Close the store's database connections."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        safe = self._engine.url.render_as_string(hide_password=True)
        return f"Store({safe!r}, schema {self._version})"

    def counts(self) -> dict[str, int]:
        """Rows per table, e.g. for a report on the store's size."""
        tables = [*(t for t, _ in schema.REGISTRY_TABLES.values()), schema.history]
        tables += [schema.plans, schema.assignments, schema.unmatched, schema.trips]
        with self._engine.connect() as conn:
            return {
                t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
                for t in tables
            }

    # -- registry --------------------------------------------------------------------------
    def import_registry(self, source: Registry | str | Path, **kwargs: Any) -> Registry:
        """Replace the registry by one read from a folder, a workbook or a Registry.

        The tables pass the same lazy validation as :meth:`Registry.from_folder`
        (one :class:`~matchkracht.errors.InvalidRegistryError` listing every
        problem); nothing is written unless all of them are valid. The
        imported history replaces the history imported before; the history of
        confirmed weeks stays (rows of an imported history equal to a confirmed
        one are not added twice).

        Parameters
        ----------
        source
            A folder of CSV files, an ``.xlsx`` workbook or a validated
            :class:`~matchkracht.data.registry.Registry` (from DataFrames).
        **kwargs
            ``geocoder=`` and ``geocode_cache=``, as for the registry.

        Returns
        -------
        Registry
            The validated registry that was stored.
        """
        registry = source if isinstance(source, Registry) else read_source(source, **kwargs)
        with self._write() as conn:
            for name in REGISTRY_NAMES:
                table, _ = schema.REGISTRY_TABLES[name]
                conn.execute(table.delete())
                rows = table_rows(name, getattr(registry, name), itertools.count())
                insert_rows(conn, table, rows)
            h = schema.history
            conn.execute(h.delete().where(h.c.week.is_(None)))
            confirmed = {
                tuple(r)
                for r in conn.execute(
                    sa.select(h.c.need_id, h.c.client_id, h.c.volunteer_id, h.c.date)
                ).all()
            }
            rows = [
                {
                    "need_id": e.need_id,
                    "client_id": e.client_id,
                    "volunteer_id": e.volunteer_id,
                    "date": e.date,
                    "anonymous": False,
                }
                for e in registry.history_records
                if (e.need_id, e.client_id, e.volunteer_id, e.date) not in confirmed
            ]
            insert_rows(conn, h, rows)
        logger.info("store: imported %r", registry)
        return registry

    def update(
        self,
        *,
        volunteers: pd.DataFrame | None = None,
        clients: pd.DataFrame | None = None,
        needs: pd.DataFrame | None = None,
    ) -> Registry:
        """Add or change rows by id; every other row stays as it is.

        A row whose id is in the store replaces that row (in its place); a new
        id is added at the end. The whole registry is validated as for files,
        and problems of the given rows are reported with *their* row numbers
        (the header is row 1), as if the frame were a file of its own.

        Raises
        ------
        InvalidRegistryError
            Listing every problem; the store is then unchanged.
        """
        given = {"volunteers": volunteers, "clients": clients, "needs": needs}
        with self._write() as conn:
            frames = stored_frames(conn)
            check: dict[str, pd.DataFrame] = {}
            for name, frame in given.items():
                if frame is None:
                    continue
                if not isinstance(frame, pd.DataFrame):
                    raise InvalidSettingsError(
                        f"The '{name}' parameter of update must be a pandas DataFrame; "
                        f"got {type(frame).__name__} instead."
                    )
                frame = frame.copy()
                frame.columns = [str(c).strip().lower() for c in frame.columns]
                id_column = TABLES[name].id_column
                assert id_column is not None
                ids = set()
                if id_column in frame.columns:
                    ids = {str(_as_text(id_column, _cell(v))) for v in frame[id_column]}
                current = frames[name]
                kept = current[~current[id_column].astype(str).isin(ids)]
                # the given rows first: their row numbers in errors are those of the frame
                check[name] = pd.concat([frame.astype(object), kept], ignore_index=True)
                given[name] = frame
            merged = {**frames, **check}
            registry = Registry(
                merged["volunteers"], merged["clients"], merged["needs"], frames["history"]
            )
            for name, frame in given.items():
                if frame is None:
                    continue
                table, id_column = schema.REGISTRY_TABLES[name]
                n_given = len(non_blank(frame))
                new_ids = registry_ids(registry, name)[:n_given]
                old = {
                    str(r[0]): int(r[1])
                    for r in conn.execute(sa.select(table.c[id_column], table.c.position)).all()
                }
                nxt = max(old.values(), default=-1) + 1
                positions = []
                for rid in new_ids:
                    if rid in old:
                        positions.append(old[rid])
                    else:
                        positions.append(nxt)
                        nxt += 1
                conn.execute(table.delete().where(table.c[id_column].in_(new_ids)))
                insert_rows(conn, table, table_rows(name, frame, positions))
        logger.info("store: updated %s", ", ".join(n for n, f in given.items() if f is not None))
        return self.registry()

    def registry(self, **kwargs: Any) -> Registry:
        """The stored registry, with the history of every confirmed week, validated.

        History rows of people who are no longer in the registry (or were
        forgotten) are kept in the store for counts but not handed to the
        registry.

        Parameters
        ----------
        **kwargs
            ``geocoder=`` and ``geocode_cache=``, as for the registry.
        """
        with self._engine.connect() as conn:
            frames = stored_frames(conn)
        if frames["volunteers"].empty and frames["needs"].empty:
            raise MatchkrachtError(
                "The store holds no registry yet: import one first "
                "(store.import_registry(folder) or `matchkracht store import DB REGISTRY`)."
            )
        return Registry(
            frames["volunteers"], frames["clients"], frames["needs"], frames["history"], **kwargs
        )

    # -- plans -----------------------------------------------------------------------------
    def publish(self, plan: Plan, *, week: str | None = None) -> Publication:
        """Store a week's plan as its newest version, atomically.

        A later publish of the same week adds a version; the earlier ones stay,
        and the returned :class:`Publication` says what changed.

        Parameters
        ----------
        plan
            The plan to publish.
        week
            Its label (default: ``plan.metadata["horizon"]``, e.g. ``2026-W49``).

        Raises
        ------
        MatchkrachtError
            When the week was confirmed already (its history is written).
        """
        label = str(week or plan.metadata.get("horizon") or "")
        if not label:
            raise InvalidSettingsError(
                "The plan has no horizon in its metadata: pass week= to publish()."
            )
        first = date.fromisoformat(str(plan.metadata["first_day"]))
        last = date.fromisoformat(str(plan.metadata["last_day"]))
        p = schema.plans
        with self._write() as conn:
            latest = latest_plan(conn, label)
            if latest is not None and latest.confirmed_at is not None:
                raise MatchkrachtError(
                    f"Week {label} was confirmed already (version {latest.version}); "
                    "its history is written, so it takes no new plan."
                )
            diff = None
            changes: dict[str, int] = {}
            if latest is not None:
                diff = plan_diff(read_plan(conn, latest.plan_id), plan)
                changes = {str(k): int(v) for k, v in diff["change"].value_counts().items()}
            version = 1 if latest is None else int(latest.version) + 1
            settings = dict(plan.metadata.get("settings") or {})
            seed = settings.get("seed")
            inserted = conn.execute(
                p.insert().values(
                    week=label,
                    version=version,
                    published_at=datetime.now().replace(microsecond=0),
                    first_day=first,
                    last_day=last,
                    seed=None if seed is None else int(seed),
                    settings=settings,
                    versions=dict(plan.metadata.get("versions") or {}),
                    metrics=plan.metrics,
                    plan_metadata=plan.metadata,
                    changes=changes,
                    assignments=len(plan.assignments),
                    unmatched=len(plan.unmatched),
                )
            ).inserted_primary_key
            assert inserted is not None
            plan_id = int(inserted[0])
            insert_rows(
                conn,
                schema.assignments,
                plan_rows(plan.assignments, assignment_columns(plan), plan_id),
            )
            insert_rows(
                conn, schema.unmatched, plan_rows(plan.unmatched, UNMATCHED_COLUMNS, plan_id)
            )
            if len(plan.trips):
                insert_rows(conn, schema.trips, plan_rows(plan.trips, TRIP_COLUMNS, plan_id))
        result = Publication(label, version, changes, diff)
        logger.info("store: %s", result.summary())
        return result

    def plan(self, week: str, version: int | None = None) -> Plan:
        """A published plan of ``week``: the newest version, or ``version``."""
        p = schema.plans
        with self._engine.connect() as conn:
            query = sa.select(p.c.plan_id).where(p.c.week == week)
            if version is not None:
                query = query.where(p.c.version == version)
            plan_id = conn.execute(query.order_by(p.c.version.desc()).limit(1)).scalar()
            if plan_id is None:
                what = f"version {version} of week {week}" if version else f"week {week}"
                raise MatchkrachtError(f"The store has no published plan for {what}.")
            return read_plan(conn, int(plan_id))

    def plans(self) -> pd.DataFrame:
        """Every published version: week, version, times, seed, sizes and key metrics."""
        p = schema.plans
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    p.c.week, p.c.version, p.c.published_at, p.c.confirmed_at, p.c.seed,
                    p.c.assignments, p.c.unmatched, p.c.metrics, p.c.changes,
                ).order_by(p.c.first_day, p.c.week, p.c.version)
            ).mappings().all()  # fmt: skip
        out = pd.DataFrame(
            [
                {
                    **{k: r[k] for k in r if k not in ("metrics", "changes")},
                    "weighted_coverage": r["metrics"].get("weighted_coverage"),
                    "continuity": r["metrics"].get("continuity"),
                    "changes": dict(r["changes"]),
                }
                for r in rows
            ],
            columns=[
                "week", "version", "published_at", "confirmed_at", "seed", "assignments",
                "unmatched", "weighted_coverage", "continuity", "changes",
            ],
        )  # fmt: skip
        return out

    def confirm(self, week: str) -> int:
        """Turn the week's newest published plan into history (what ``Registry.record`` does).

        Every assignment becomes a history row (``need_id, client_id,
        volunteer_id`` and the date of its start); the retention rule, if set,
        is applied in the same transaction.

        Returns
        -------
        int
            The number of history rows written.

        Raises
        ------
        MatchkrachtError
            When no plan of the week was published, or the week is confirmed already.
        """
        p, a, h = schema.plans, schema.assignments, schema.history
        with self._write() as conn:
            latest = latest_plan(conn, week)
            if latest is None:
                raise MatchkrachtError(f"The store has no published plan for week {week}.")
            if latest.confirmed_at is not None:
                raise MatchkrachtError(
                    f"Week {week} was confirmed already (version {latest.version})."
                )
            rows = conn.execute(
                sa.select(a.c.need_id, a.c.client_id, a.c.volunteer_id, a.c.start)
                .where(a.c.plan_id == latest.plan_id)
                .order_by(a.c.row)
            ).all()
            history = [
                {
                    "need_id": r.need_id,
                    "client_id": r.client_id,
                    "volunteer_id": r.volunteer_id,
                    "date": r.start.date(),
                    "week": week,
                    "plan_id": latest.plan_id,
                    "anonymous": is_pseudonym(r.volunteer_id) or is_pseudonym(r.client_id),
                }
                for r in rows
            ]
            insert_rows(conn, h, history)
            conn.execute(
                p.update()
                .where(p.c.plan_id == latest.plan_id)
                .values(confirmed_at=datetime.now().replace(microsecond=0))
            )
            rule = read_retention(conn)
            if rule is not None:
                apply_retention_rule(conn, rule, date.today())
        logger.info("store: %s confirmed, %d history rows", week, len(history))
        return len(history)

    def replan(self, week: str, changes: Iterable[Change] = (), **kwargs: Any) -> ReplanResult:
        """Re-plan the week's newest published plan with the stored registry.

        See :func:`matchkracht.replan.replan` for ``changes`` and the keyword
        arguments; publish the result with ``store.publish(result.plan)``.
        """
        return replan(self.registry(), self.plan(week), changes, **kwargs)

    # -- privacy ---------------------------------------------------------------------------
    def forget(self, client_id: str) -> int:
        """Erase a client: their row, their needs, and their ids everywhere in the store.

        The client's and their needs' rows (name, address, contact, notes and
        every other cell) are deleted; in the history and in every published
        plan their ids become a pseudonym, so hours, kilometres and counts stay
        for reports. Nothing links the pseudonym back to the client.

        Returns
        -------
        int
            The number of history and plan rows pseudonymised.

        Raises
        ------
        MatchkrachtError
            When the store has no trace of ``client_id``.
        """
        c, n, h, a, u = (schema.clients, schema.needs, schema.history,
                         schema.assignments, schema.unmatched)  # fmt: skip
        with self._write() as conn:
            need_ids: set[str] = set()
            for table in (n, h, a, u):
                need_ids.update(
                    conn.execute(
                        sa.select(table.c.need_id).where(table.c.client_id == client_id).distinct()
                    ).scalars()
                )
            known = conn.execute(sa.select(c.c.client_id).where(c.c.client_id == client_id)).first()
            if known is None and not need_ids:
                raise MatchkrachtError(f"The store has no client with id {client_id!r}.")
            mapping = {client_id: pseudonym(), **{nid: pseudonym() for nid in sorted(need_ids)}}
            conn.execute(n.delete().where(n.c.client_id == client_id))
            conn.execute(c.delete().where(c.c.client_id == client_id))
            changed = pseudonymise(
                conn, mapping, history=h.c.client_id == client_id, plans=sa.true()
            )
        self._after_erase()
        logger.info("store: a client was forgotten (%d rows pseudonymised)", changed)
        return changed

    def forget_volunteer(self, volunteer_id: str) -> int:
        """Erase a volunteer: their row, and their id everywhere in the store.

        Their row is deleted, their id leaves the clients' ``preferred_volunteers``
        and ``excluded_volunteers``, and in the history and every published plan
        it becomes a pseudonym (hours, kilometres and counts stay).

        Returns
        -------
        int
            The number of history and plan rows pseudonymised.
        """
        v, c, h, a = schema.volunteers, schema.clients, schema.history, schema.assignments
        with self._write() as conn:
            known = conn.execute(
                sa.select(v.c.volunteer_id).where(v.c.volunteer_id == volunteer_id)
            ).first()
            seen = (
                conn.execute(
                    sa.select(a.c.plan_id).where(a.c.volunteer_id == volunteer_id).limit(1)
                ).first()
                or conn.execute(
                    sa.select(h.c.id).where(h.c.volunteer_id == volunteer_id).limit(1)
                ).first()
            )
            if known is None and seen is None:
                raise MatchkrachtError(f"The store has no volunteer with id {volunteer_id!r}.")
            conn.execute(v.delete().where(v.c.volunteer_id == volunteer_id))
            for client, data in conn.execute(sa.select(c.c.client_id, c.c.data)).all():
                new = dict(data)
                for column in ("preferred_volunteers", "excluded_volunteers"):
                    ids = parse_tags_keep_case(str(new.get(column) or ""))
                    if volunteer_id in ids:
                        new[column] = ";".join(sorted(ids - {volunteer_id})) or None
                if new != data:
                    conn.execute(c.update().where(c.c.client_id == client).values(data=new))
            changed = pseudonymise(
                conn,
                {volunteer_id: pseudonym()},
                history=h.c.volunteer_id == volunteer_id,
                plans=sa.true(),
            )
        self._after_erase()
        logger.info("store: a volunteer was forgotten (%d rows pseudonymised)", changed)
        return changed

    def _after_erase(self) -> None:
        """On SQLite, move the WAL into the file and empty it (no old page images remain)."""
        if self.dialect != "sqlite":
            return
        raw = self._engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()

    @property
    def retention(self) -> Retention | None:
        """The retention rule set with :meth:`set_retention` (``None``: keep everything)."""
        with self._engine.connect() as conn:
            return read_retention(conn)

    def set_retention(
        self, months: int | None, mode: Literal["delete", "pseudonymise"] = "pseudonymise"
    ) -> None:
        """Keep history for ``months`` months; older rows are deleted or pseudonymised.

        The rule is stored and applied at every :meth:`confirm` (and by
        :meth:`apply_retention`). ``months=None`` removes the rule.
        """
        s = schema.store_settings
        rule = None if months is None else Retention(months, mode)
        with self._write() as conn:
            conn.execute(s.delete().where(s.c.key == "retention"))
            if rule is not None:
                conn.execute(
                    s.insert().values(key="retention", value={"months": months, "mode": mode})
                )

    def apply_retention(self, today: date | None = None) -> int:
        """Apply the retention rule now; returns the number of rows deleted or pseudonymised.

        History dated before ``today`` minus the rule's months, and the plans of
        weeks that ended before then, are deleted (the plans' metrics stay) or
        pseudonymised.
        """
        with self._write() as conn:
            rule = read_retention(conn)
            if rule is None:
                return 0
            changed = apply_retention_rule(conn, rule, today or date.today())
        if rule.mode == "delete" or changed:
            self._after_erase()
        return changed

    # -- export ----------------------------------------------------------------------------
    def export(self, folder: str | Path) -> Path:
        """Write the registry as the contract's CSV files, and each week's newest plan.

        ``volunteers.csv``, ``clients.csv``, ``needs.csv`` and ``history.csv``
        go into ``folder``; every published week's newest plan into
        ``folder/plans/WEEK/`` (as :meth:`Plan.to_csv`).
        """
        out = self.registry().to_folder(folder)
        for week in sorted(set(self.plans()["week"])):
            self.plan(week).to_csv(out / "plans" / week)
        return out
