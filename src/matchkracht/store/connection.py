"""Opening a store's database: SQLite in WAL mode with synchronous=FULL, or any URL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from matchkracht.store.rows import to_json

logger = logging.getLogger("matchkracht")


def open_engine(url: str | Path) -> sa.Engine:
    text = str(url)
    if "://" not in text:
        text = f"sqlite:///{Path(text).expanduser().resolve()}"
    engine = sa.create_engine(text, json_serializer=to_json)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3 would start transactions lazily (not before DDL or reads); we emit BEGIN
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",  # readers never block the writer; a cut-off write is rolled back
        "synchronous=FULL",  # a commit that returned is on disk (WAL fsynced at commit)
        "foreign_keys=ON",
        "secure_delete=ON",  # erased data is overwritten, not left in free pages
        "busy_timeout=30000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # a write takes the write lock at its start (IMMEDIATE), so read-then-write steps
    # cannot race; a read takes none (WAL readers see the last commit, never block)
    write = conn.get_execution_options().get("matchkracht_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
