"""The tables of a store (the newest schema), as SQLAlchemy Core objects.

Registry rows are kept whole: the cells of each row as a JSON object (text,
numbers, ``null`` for an empty cell), so that a registry read back from the
store passes the very same validation as the files it came from, unknown
columns included. Plans are kept as rows of their own, one per assignment and
per unmatched task, so reports can add up hours and kilometres in SQL.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "REGISTRY_TABLES",
    "assignments",
    "clients",
    "history",
    "metadata",
    "needs",
    "plans",
    "schema_version",
    "store_settings",
    "unmatched",
    "volunteers",
]

metadata = sa.MetaData()

#: One row per migration applied; the highest ``version`` is the store's schema.
schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)


def _registry_table(name: str, id_column: str, *extra: sa.Column[str]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column(id_column, sa.String, primary_key=True),
        *extra,
        # the row's place in the table: registries read back keep their order
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )


volunteers = _registry_table("volunteers", "volunteer_id")
clients = _registry_table("clients", "client_id")
needs = _registry_table("needs", "need_id", sa.Column("client_id", sa.String, index=True))

#: Registry tables of the store: name → (table, id column).
REGISTRY_TABLES: dict[str, tuple[sa.Table, str]] = {
    "volunteers": (volunteers, "volunteer_id"),
    "clients": (clients, "client_id"),
    "needs": (needs, "need_id"),
}

#: Past help: imported rows (``week`` empty) and confirmed plans (``week`` and ``plan_id``).
history = sa.Table(
    "history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("need_id", sa.String, nullable=False),
    sa.Column("client_id", sa.String, nullable=False, index=True),
    sa.Column("volunteer_id", sa.String, nullable=False, index=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("week", sa.String, nullable=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.plan_id"), nullable=True),
    # ids replaced by pseudonyms (forgotten person or retention): kept for counts only
    sa.Column("anonymous", sa.Boolean, nullable=False, default=False),
)

#: Every published version of every week's plan.
plans = sa.Table(
    "plans",
    metadata,
    sa.Column("plan_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("week", sa.String, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("published_at", sa.DateTime, nullable=False),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("last_day", sa.Date, nullable=False),
    sa.Column("seed", sa.Integer, nullable=True),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("versions", sa.JSON, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("plan_metadata", sa.JSON, nullable=False),
    # counts per kind of change against the version before (empty for version 1)
    sa.Column("changes", sa.JSON, nullable=False),
    sa.Column("assignments", sa.Integer, nullable=False),
    sa.Column("unmatched", sa.Integer, nullable=False),
    sa.Column("confirmed_at", sa.DateTime, nullable=True),
    sa.UniqueConstraint("week", "version", name="uq_plans_week_version"),
)


def _plan_table(name: str, *columns: sa.Column[object]) -> sa.Table:
    """Rows of a published plan: plan id, row number, the task's ids and ``columns``."""
    return sa.Table(
        name,
        metadata,
        sa.Column(
            "plan_id",
            sa.Integer,
            sa.ForeignKey("plans.plan_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("row", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("task_id", sa.String, nullable=False),
        sa.Column("need_id", sa.String, nullable=False),
        sa.Column("client_id", sa.String, nullable=False, index=True),
        *columns,
    )


assignments = _plan_table(
    "plan_assignments",
    sa.Column("volunteer_id", sa.String, nullable=False, index=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("start", sa.DateTime, nullable=False),
    sa.Column("end", sa.DateTime, nullable=False),
    sa.Column("depart", sa.DateTime, nullable=False),
    sa.Column("return", sa.DateTime, nullable=False),
    sa.Column("travel_km", sa.Float, nullable=False),
    # rides planned as trips (schema version 3): the outing and the way(s) it covers
    sa.Column("trip_id", sa.String, nullable=True),
    sa.Column("leg", sa.String, nullable=True),
)

unmatched = _plan_table(
    "plan_unmatched",
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("window_start", sa.DateTime, nullable=False),
    sa.Column("missing", sa.Integer, nullable=False),
    sa.Column("reason_code", sa.String, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

#: The stops of the outings of a plan with trips (schema version 3).
trips = sa.Table(
    "plan_trips",
    metadata,
    sa.Column(
        "plan_id", sa.Integer, sa.ForeignKey("plans.plan_id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("row", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("trip_id", sa.String, nullable=False),
    sa.Column("volunteer_id", sa.String, nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("stop", sa.String, nullable=False),
    sa.Column("task_id", sa.String, nullable=False),
    sa.Column("place_id", sa.String, nullable=False),
    sa.Column("arrival", sa.DateTime, nullable=False),
    sa.Column("departure", sa.DateTime, nullable=False),
    sa.Column("on_board", sa.Text, nullable=False),
    sa.Column("km", sa.Float, nullable=False),
)

#: Settings of the store itself (schema version 2): the retention rule.
store_settings = sa.Table(
    "store_settings",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
)
