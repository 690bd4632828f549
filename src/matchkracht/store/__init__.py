"""The store: registry, history and published plans in SQLite or PostgreSQL.

See ``docs/store.md`` for the weekly workflow, the schema, privacy, retention
and the durability guarantees.
"""

from __future__ import annotations

from matchkracht.store.migrations import MIGRATIONS, Migration
from matchkracht.store.store import Publication, Retention, Store

__all__ = ["MIGRATIONS", "Migration", "Publication", "Retention", "Store"]
