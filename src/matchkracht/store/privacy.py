"""Privacy by design: pseudonyms in place of a person's ids, everywhere in the store.

Forgetting a person and the retention rule both come down to one operation:
replace some ids (of volunteers, clients, needs) by pseudonyms in the history,
in every published plan (ids, task ids, reason texts, the outings' places and
who was on board) and in the plans' metadata, while hours, kilometres, kinds, dates and counts stay. No table
keeps the link between an id and its pseudonym.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

import matchkracht.store.schema as schema

__all__ = ["PSEUDONYM_PREFIX", "is_pseudonym", "pseudonym", "pseudonymise", "replace_ids"]

#: Every pseudonym starts with this (ids of the registry may not).
PSEUDONYM_PREFIX = "anon-"

_ID_COLUMNS = ("need_id", "client_id", "volunteer_id")
_ID_CHAR = r"A-Za-z0-9_\-"
#: Up to this many ids, plan rows are selected by the ids they name (else all rows).
_FEW = 50


def pseudonym() -> str:
    """A fresh random pseudonym such as ``anon-3f9c1a2b`` (not derived from any id)."""
    return PSEUDONYM_PREFIX + secrets.token_hex(4)


def is_pseudonym(value: str) -> bool:
    """Whether ``value`` is a pseudonym the store gave."""
    return str(value).startswith(PSEUDONYM_PREFIX)


def _pattern(mapping: Mapping[str, str]) -> re.Pattern[str] | None:
    if not mapping:
        return None
    alternatives = "|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True))
    return re.compile(rf"(?<![{_ID_CHAR}])(?:{alternatives})(?![{_ID_CHAR}])")


def replace_ids(text: str, mapping: Mapping[str, str]) -> str:
    """``text`` with every whole-word id of ``mapping`` replaced by its pseudonym.

    Examples
    --------
    >>> replace_ids("V1 cancelled N7@2026-12-03; V10 kept", {"V1": "anon-a", "N7": "anon-b"})
    'anon-a cancelled anon-b@2026-12-03; V10 kept'
    """
    pattern = _pattern(mapping)
    if pattern is None:
        return text
    return pattern.sub(lambda m: mapping[m.group(0)], text)


def _new_values(row: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    new: dict[str, Any] = {}
    for column in _ID_COLUMNS:
        if column in row and row[column] in mapping:
            new[column] = mapping[row[column]]
    if "task_id" in row:
        need, at, day = str(row["task_id"]).rpartition("@")
        if at and need in mapping:
            new["task_id"] = f"{mapping[need]}@{day}"
    for column in ("reason", "place_id", "on_board"):
        if column in row:
            text = replace_ids(str(row[column]), mapping)
            if text != row[column]:
                new[column] = text
    return new


def _rewrite(
    conn: sa.Connection,
    table: sa.Table,
    where: sa.ColumnElement[bool],
    mapping: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Apply ``mapping`` to the id and text columns of ``table``'s rows matching ``where``."""
    keys = [c for c in table.primary_key.columns]
    names = (*_ID_COLUMNS, "task_id", "reason", "place_id", "on_board")
    columns = [table.c[c] for c in names if c in table.c]
    rows = conn.execute(sa.select(*keys, *columns).where(where)).mappings().all()
    batches: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        new = {**_new_values(dict(row), mapping), **(extra or {})}
        if not new:
            continue
        params = {f"k_{k.name}": row[k.name] for k in keys}
        params.update({f"v_{c}": v for c, v in new.items()})
        batches.setdefault(tuple(sorted(new)), []).append(params)
    for cols, batch in batches.items():
        stmt = (
            table.update()
            .where(*[k == sa.bindparam(f"k_{k.name}") for k in keys])
            .values({c: sa.bindparam(f"v_{c}") for c in cols})
        )
        conn.execute(stmt, batch)
    return sum(len(b) for b in batches.values())


def _rewrite_plan_texts(
    conn: sa.Connection, where: sa.ColumnElement[bool], mapping: Mapping[str, str]
) -> None:
    """Pseudonymise ids in the metadata and change counts of the plans matching ``where``."""
    pattern = _pattern(mapping)
    if pattern is None:
        return
    p = schema.plans
    rows = conn.execute(sa.select(p.c.plan_id, p.c.plan_metadata).where(where)).all()
    for plan_id, meta in rows:
        text = json.dumps(meta, ensure_ascii=False)
        new = pattern.sub(lambda m: json.dumps(mapping[m.group(0)])[1:-1], text)
        if new != text:
            conn.execute(
                p.update().where(p.c.plan_id == plan_id).values(plan_metadata=json.loads(new))
            )


def pseudonymise(
    conn: sa.Connection,
    mapping: Mapping[str, str],
    *,
    history: sa.ColumnElement[bool],
    plans: sa.ColumnElement[bool],
) -> int:
    """Replace ids by pseudonyms in the history rows and plans matching the conditions.

    Parameters
    ----------
    conn
        A connection inside the caller's transaction.
    mapping
        Id → pseudonym (volunteer, client and need ids alike).
    history
        Which history rows to rewrite (they are marked ``anonymous``).
    plans
        Which plans to rewrite (a condition on the ``plans`` table).

    Returns
    -------
    int
        The number of rows changed.
    """
    changed = _rewrite(conn, schema.history, history, mapping, {"anonymous": True})
    plan_ids = sa.select(schema.plans.c.plan_id).where(plans)
    for table in (schema.assignments, schema.unmatched, schema.trips):
        where: sa.ColumnElement[bool] = table.c.plan_id.in_(plan_ids)
        if len(mapping) <= _FEW and table is not schema.trips:  # trips: ids inside texts
            # a person forgotten: only rows naming one of their ids (reason texts included)
            keys = list(mapping)
            named: list[sa.ColumnElement[bool]] = [
                table.c[c].in_(keys) for c in _ID_COLUMNS if c in table.c
            ]
            if "reason" in table.c:
                named += [table.c.reason.contains(k, autoescape=True) for k in keys]
            where = sa.and_(where, sa.or_(*named))
        changed += _rewrite(conn, table, where, mapping)
    _rewrite_plan_texts(conn, plans, mapping)
    return changed
