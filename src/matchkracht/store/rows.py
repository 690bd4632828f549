"""Rows to and from the database: registry cells, plans, history and retention."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

import matchkracht.store.schema as schema
from matchkracht.data.registry import TABLES, Registry
from matchkracht.data.validation import HISTORY_COLUMNS, _as_text, _cell
from matchkracht.plan.result import (
    ASSIGNMENT_COLUMNS,
    TRIP_ASSIGNMENT_COLUMNS,
    TRIP_COLUMNS,
    UNMATCHED_COLUMNS,
    Plan,
)
from matchkracht.store.privacy import is_pseudonym, pseudonym, pseudonymise
from matchkracht.store.results import Retention

logger = logging.getLogger("matchkracht")


REGISTRY_NAMES = ("volunteers", "clients", "needs")


ASSIGNMENT_TIMES = ("start", "end", "depart", "return", "arrival", "departure")


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: numpy scalars unboxed, NaN and infinities as ``null``."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def to_json(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False)


def json_cell(value: Any) -> Any:
    """One registry cell as JSON: empty as ``null``, dates as ISO text (see ``_cell``)."""
    return jsonable(_cell(value))


def read_source(source: str | Path, **kwargs: Any) -> Registry:
    path = Path(source)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return Registry.from_excel(path, **kwargs)
    return Registry.from_folder(path, **kwargs)


def registry_ids(registry: Registry, name: str) -> list[str]:
    """The validated ids of a registry table, in table order."""
    records = getattr(registry, f"{name[:-1]}_records")
    id_column = TABLES[name].id_column
    return [str(getattr(r, str(id_column))) for r in records]


def non_blank(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows with at least one value (validation skips the others, so does the store)."""
    return [
        row
        for row in frame.itertuples(index=False, name=None)
        if any(_cell(v) is not None for v in row)
    ]


def table_rows(name: str, frame: pd.DataFrame, positions: Iterable[int]) -> list[dict[str, Any]]:
    """Rows to store for a validated table: id, position, and the cells as JSON."""
    id_column = TABLES[name].id_column
    assert id_column is not None
    columns = [str(c).strip().lower() for c in frame.columns]
    out = []
    for position, row in zip(positions, non_blank(frame), strict=False):
        cells = {c: json_cell(v) for c, v in zip(columns, row, strict=True)}
        record: dict[str, Any] = {
            id_column: str(_as_text(id_column, cells[id_column])),
            "position": position,
            "data": cells,
        }
        if name == "needs":
            record["client_id"] = str(_as_text("client_id", cells["client_id"]))
        out.append(record)
    return out


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table.insert(), rows)


def stored_frames(conn: sa.Connection) -> dict[str, pd.DataFrame]:
    """The stored registry tables as DataFrames (history: of people still in it)."""
    frames: dict[str, pd.DataFrame] = {}
    for name in REGISTRY_NAMES:
        table, _ = schema.REGISTRY_TABLES[name]
        data = conn.execute(sa.select(table.c.data).order_by(table.c.position)).scalars().all()
        columns = list(TABLES[name].required)
        frame = pd.DataFrame(list(data), dtype=object)
        frames[name] = frame if len(frame.columns) else pd.DataFrame(columns=columns, dtype=object)
    h = schema.history
    vols = schema.volunteers.c.volunteer_id
    clis = schema.clients.c.client_id
    rows = conn.execute(
        sa.select(h.c.need_id, h.c.client_id, h.c.volunteer_id, h.c.date)
        .where(
            h.c.anonymous.is_(False),
            h.c.volunteer_id.in_(sa.select(vols)),
            h.c.client_id.in_(sa.select(clis)),
        )
        # imported history first, then the confirmed weeks in the order they were confirmed
        .order_by(sa.case((h.c.week.is_(None), 0), else_=1), h.c.id)
    ).all()
    total = conn.execute(sa.select(sa.func.count()).select_from(h)).scalar() or 0
    if total > len(rows):
        logger.info(
            "store: %d history rows of people no longer in the registry are kept for counts only",
            total - len(rows),
        )
    frames["history"] = pd.DataFrame(
        [(r.need_id, r.client_id, r.volunteer_id, r.date.isoformat()) for r in rows],
        columns=HISTORY_COLUMNS,
        dtype=object,
    )
    return frames


def assignment_columns(plan: Plan) -> list[str]:
    """The stored assignment columns of ``plan`` (with ``trip_id`` and ``leg`` when it has trips)."""
    extra = [c for c in TRIP_ASSIGNMENT_COLUMNS if c in plan.assignments.columns]
    return ASSIGNMENT_COLUMNS + extra


def plan_rows(frame: pd.DataFrame, columns: list[str], plan_id: int) -> list[dict[str, Any]]:
    out = frame[columns].copy()
    for column in (*ASSIGNMENT_TIMES, "window_start"):
        if column in out.columns:
            out[column] = pd.to_datetime(out[column]).astype(object)
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in out.to_dict("records")
    ]
    for i, record in enumerate(records):
        for key, value in record.items():
            if isinstance(value, pd.Timestamp):
                record[key] = value.to_pydatetime()
            elif hasattr(value, "item"):
                record[key] = value.item()
        record["plan_id"] = plan_id
        record["row"] = i
    return records


def latest_plan(conn: sa.Connection, week: str) -> sa.Row[Any, Any, Any] | None:
    """The newest published version of ``week`` (``plan_id, version, confirmed_at``)."""
    p = schema.plans
    return conn.execute(
        sa.select(p.c.plan_id, p.c.version, p.c.confirmed_at)
        .where(p.c.week == week)
        .order_by(p.c.version.desc())
        .limit(1)
    ).first()


def read_plan(conn: sa.Connection, plan_id: int) -> Plan:
    p = schema.plans
    head = conn.execute(
        sa.select(p.c.metrics, p.c.plan_metadata).where(p.c.plan_id == plan_id)
    ).one()
    frames = []
    for table, columns in ((schema.assignments, ASSIGNMENT_COLUMNS),
                           (schema.unmatched, UNMATCHED_COLUMNS)):  # fmt: skip
        rows = conn.execute(
            sa.select(*[table.c[c] for c in columns])
            .where(table.c.plan_id == plan_id)
            .order_by(table.c.row)
        ).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
        for column in (*ASSIGNMENT_TIMES, "window_start"):
            if column in frame.columns:
                frame[column] = pd.to_datetime(frame[column])
        frames.append(frame)
    a, u = frames
    a["travel_km"] = a["travel_km"].astype(float)
    u["missing"] = u["missing"].astype("int64")
    t = schema.trips
    stops = conn.execute(
        sa.select(*[t.c[c] for c in TRIP_COLUMNS]).where(t.c.plan_id == plan_id).order_by(t.c.row)
    ).all()
    trips = pd.DataFrame([tuple(r) for r in stops], columns=TRIP_COLUMNS)
    if len(trips):
        for column in ("arrival", "departure"):
            trips[column] = pd.to_datetime(trips[column])
        trips["km"] = trips["km"].astype(float)
        trips["seq"] = trips["seq"].astype("int64")
        tc = schema.assignments.c
        extra = conn.execute(
            sa.select(tc.trip_id, tc.leg).where(tc.plan_id == plan_id).order_by(tc.row)
        ).all()
        a["trip_id"] = [r[0] or "" for r in extra]
        a["leg"] = [r[1] or "" for r in extra]
    return Plan(a, u, dict(head.metrics), dict(head.plan_metadata), trips)


def read_retention(conn: sa.Connection) -> Retention | None:
    s = schema.store_settings
    value = conn.execute(sa.select(s.c.value).where(s.c.key == "retention")).scalar()
    if value is None:
        return None
    return Retention(int(value["months"]), value["mode"])


def apply_retention_rule(conn: sa.Connection, rule: Retention, today: date) -> int:
    cutoff = today - relativedelta(months=rule.months)
    h, p = schema.history, schema.plans
    old_history = h.c.date < cutoff
    old_plans = p.c.last_day < cutoff
    if rule.mode == "delete":
        changed = conn.execute(h.delete().where(old_history)).rowcount
        gone = sa.select(p.c.plan_id).where(old_plans)
        for table in (schema.assignments, schema.unmatched, schema.trips):
            changed += conn.execute(table.delete().where(table.c.plan_id.in_(gone))).rowcount
        return int(changed)
    # pseudonymise: one pseudonym per id in this run, so counts per (unnamed) person stay
    ids: set[str] = set()
    for column in ("need_id", "client_id", "volunteer_id"):
        ids.update(
            conn.execute(
                sa.select(h.c[column]).where(old_history, h.c.anonymous.is_(False)).distinct()
            ).scalars()
        )
    old_ids = sa.select(p.c.plan_id).where(old_plans)
    for table in (schema.assignments, schema.unmatched):
        for column in ("need_id", "client_id", "volunteer_id"):
            if column in table.c:
                ids.update(
                    conn.execute(
                        sa.select(table.c[column]).where(table.c.plan_id.in_(old_ids)).distinct()
                    ).scalars()
                )
    mapping = {i: pseudonym() for i in sorted(ids) if not is_pseudonym(i)}
    if not mapping:
        return 0
    return pseudonymise(
        conn, mapping, history=sa.and_(old_history, h.c.anonymous.is_(False)), plans=old_plans
    )
