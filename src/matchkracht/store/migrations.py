"""Versioned schema: a small migration table, applied in order, in one transaction.

The table ``schema_version`` holds one row per migration applied. Opening a
store applies every migration newer than its version, each inside the same
transaction as the row that records it, so a store is always at one version
or the next, never between. A store made by a newer matchkracht (a version
this code does not know) is refused rather than changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

import matchkracht.store.schema as schema
from matchkracht.errors import MatchkrachtError

__all__ = ["MIGRATIONS", "Migration", "current_version", "migrate"]

logger = logging.getLogger("matchkracht")


@dataclass(frozen=True)
class Migration:
    """One step of the schema: its number, what it does, and the function doing it."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


def _v1(conn: sa.Connection) -> None:
    for table in (
        schema.schema_version,
        schema.volunteers,
        schema.clients,
        schema.needs,
        schema.plans,
        schema.assignments,
        schema.unmatched,
        schema.history,
    ):
        table.create(conn)


def _v2(conn: sa.Connection) -> None:
    schema.store_settings.create(conn)
    conn.execute(sa.text("CREATE INDEX ix_history_date ON history (date)"))


def _v3(conn: sa.Connection) -> None:
    have = {c["name"] for c in sa.inspect(conn).get_columns(schema.assignments.name)}
    for column in ("trip_id", "leg"):
        if column not in have:  # a store made at version 1 from this schema has them
            conn.execute(
                sa.text(f"ALTER TABLE {schema.assignments.name} ADD COLUMN {column} VARCHAR")
            )
    schema.trips.create(conn, checkfirst=True)


#: Every migration, oldest first; the last one's version is the newest schema.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "registry, history and published plans", _v1),
    Migration(2, "store settings (retention) and an index on history dates", _v2),
    Migration(3, "rides as trips: plan_trips, and trip_id and leg of assignments", _v3),
)


def current_version(conn: sa.Connection) -> int:
    """The schema version of the store behind ``conn`` (0 for an empty database)."""
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    value = conn.execute(sa.select(sa.func.max(schema.schema_version.c.version))).scalar()
    return int(value or 0)


def migrate(conn: sa.Connection, target: int | None = None) -> int:
    """Bring the store up to ``target`` (default: the newest schema); returns the version.

    Runs inside the caller's transaction: either every step is applied, or none.

    Raises
    ------
    MatchkrachtError
        When the store's schema is newer than this code knows.
    """
    newest = MIGRATIONS[-1].version
    target = newest if target is None else target
    version = current_version(conn)
    if version > newest:
        raise MatchkrachtError(
            f"The store has schema version {version}; this matchkracht knows versions up to "
            f"{newest}. Open it with a newer matchkracht."
        )
    for step in MIGRATIONS:
        if version < step.version <= target:
            step.apply(conn)
            conn.execute(
                schema.schema_version.insert().values(
                    version=step.version,
                    description=step.description,
                    applied_at=datetime.now().replace(microsecond=0),
                )
            )
            logger.info("store: schema migrated to version %d (%s)", step.version, step.description)
            version = step.version
    return version
