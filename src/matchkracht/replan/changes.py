"""The changes a re-plan applies to a published plan, and what they touch."""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from matchkracht.data.horizon import Horizon
from matchkracht.data.registry import Registry
from matchkracht.errors import InvalidSettingsError

logger = logging.getLogger("matchkracht")


def _as_date(value: date | str | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidSettingsError(
            f"The '{what}' parameter must be an ISO date like '2026-12-03'; got {value!r} instead."
        ) from None


def task_date(task_id: str) -> date | None:
    _, _, day = str(task_id).rpartition("@")
    try:
        return date.fromisoformat(day)
    except ValueError:
        return None


def task_need(task_id: str) -> str:
    return str(task_id).rpartition("@")[0]


@dataclass(frozen=True)
class VolunteerCancels:
    """A volunteer cancels: one day, one task, or (neither given) the whole horizon.

    A cancelled day is added to the volunteer's ``unavailable`` dates in the
    new registry; a cancelled task only forbids that (task, volunteer) pair.

    Examples
    --------
    >>> VolunteerCancels("V012", date="2026-12-03").describe()
    'V012 cancelled 2026-12-03'
    """

    volunteer_id: str
    date: _dt.date | str | None = None
    task_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "date", _as_date(self.date, "date"))
        if self.date is not None and self.task_id is not None:
            raise InvalidSettingsError(
                "VolunteerCancels takes a 'date' or a 'task_id', not both; "
                f"got {self.date} and {self.task_id!r}."
            )

    def describe(self, horizon: Horizon | None = None) -> str:
        """What happened, in ids only."""
        if self.task_id is not None:
            return f"{self.volunteer_id} cancelled {self.task_id}"
        if self.date is not None:
            return f"{self.volunteer_id} cancelled {self.date}"
        span = f" {horizon.first}..{horizon.last}" if horizon is not None else ""
        return f"{self.volunteer_id} cancelled{span}"

    def freed(self) -> str:
        """Why the volunteer may now do other work."""
        return f"freed by {self.volunteer_id}'s cancellation"


@dataclass(frozen=True)
class TaskDeclined:
    """A volunteer declines one task of the published plan (that pair is forbidden)."""

    task_id: str
    volunteer_id: str

    def describe(self, horizon: Horizon | None = None) -> str:
        """What happened, in ids only."""
        return f"{self.volunteer_id} declined {self.task_id}"

    def freed(self) -> str:
        """Why the volunteer may now do other work."""
        return f"freed by {self.volunteer_id}'s decline of {self.task_id}"


@dataclass(frozen=True)
class NeedAdded:
    """A new need (a needs-table row as a dict, with at least the contract's required cells)."""

    row: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not str(self.row.get("need_id", "") or "").strip():
            raise InvalidSettingsError(
                f"The 'row' of NeedAdded must have a need_id; got {sorted(self.row)!r} instead."
            )

    @property
    def need_id(self) -> str:
        """The new need's id."""
        return str(self.row["need_id"]).strip()

    def describe(self, horizon: Horizon | None = None) -> str:
        """What happened, in ids only."""
        return f"{self.need_id} added"


@dataclass(frozen=True)
class NeedWithdrawn:
    """A need is withdrawn: one occurrence (``date``), from a date on, or (neither) entirely.

    One occurrence leaves that task out of the new plan; from a date on sets
    the need's ``end_date`` to the day before in the new registry.
    """

    need_id: str
    date: _dt.date | str | None = None
    from_date: _dt.date | str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "date", _as_date(self.date, "date"))
        object.__setattr__(self, "from_date", _as_date(self.from_date, "from_date"))
        if self.date is not None and self.from_date is not None:
            raise InvalidSettingsError(
                "NeedWithdrawn takes a 'date' or a 'from_date', not both; "
                f"got {self.date} and {self.from_date}."
            )

    def describe(self, horizon: Horizon | None = None) -> str:
        """What happened, in ids only."""
        if self.date is not None:
            return f"{self.need_id}@{self.date} withdrawn"
        if self.from_date is not None:
            return f"{self.need_id} withdrawn from {self.from_date}"
        return f"{self.need_id} withdrawn"

    def freed(self) -> str:
        """Why its volunteers may now do other work."""
        return f"freed by {self.describe()}"


#: A change to a published plan.
Change = VolunteerCancels | TaskDeclined | NeedAdded | NeedWithdrawn


def clean_id(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_blank(value: Any) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True
    return str(value).strip() in ("", "nan", "<NA>", "None")


def apply_changes(
    registry: Registry, changes: Sequence[Change], hz: Horizon
) -> tuple[Registry, list[tuple[str, str]], list[str]]:
    """The changed registry, forbidden (task, volunteer) pairs and skipped task ids."""
    vols = registry.volunteers.astype(object).copy()
    needs = registry.needs.astype(object).copy()
    vol_key = vols["volunteer_id"].map(clean_id) if len(vols) else pd.Series(dtype=object)
    need_key = needs["need_id"].map(clean_id) if len(needs) else pd.Series(dtype=object)
    known_vols = set(vol_key)
    records = {n.need_id: n for n in registry.need_records}
    forbid: list[tuple[str, str]] = []
    skip: list[str] = []
    added: list[dict[str, Any]] = []
    vols_changed = needs_changed = False
    for ch in changes:
        if isinstance(ch, VolunteerCancels | TaskDeclined) and ch.volunteer_id not in known_vols:
            raise InvalidSettingsError(
                f"The change {ch.describe(hz)!r} names volunteer {ch.volunteer_id!r}, "
                "which is not in the registry."
            )
        if isinstance(ch, NeedWithdrawn) and ch.need_id not in records:
            raise InvalidSettingsError(
                f"The change {ch.describe(hz)!r} names need {ch.need_id!r}, "
                "which is not in the registry."
            )
        if isinstance(ch, VolunteerCancels):
            if ch.task_id is not None:
                forbid.append((ch.task_id, ch.volunteer_id))
                continue
            span = str(ch.date) if ch.date is not None else f"{hz.first}..{hz.last}"
            if "unavailable" not in vols.columns:
                vols["unavailable"] = ""
            rows = vols.index[vol_key == ch.volunteer_id]
            for r in rows:
                old = str(vols.at[r, "unavailable"])
                vols.at[r, "unavailable"] = span if _is_blank(old) else f"{old}; {span}"
            vols_changed = True
        elif isinstance(ch, TaskDeclined):
            forbid.append((ch.task_id, ch.volunteer_id))
        elif isinstance(ch, NeedWithdrawn):
            if ch.date is not None:
                skip.append(f"{ch.need_id}@{ch.date}")
                continue
            cut = _as_date(ch.from_date, "from_date") or hz.first
            end = cut - timedelta(days=1)
            rec = records[ch.need_id]
            if rec.end_date is not None and rec.end_date <= end:
                continue
            for col in ("start_date", "end_date"):
                if col not in needs.columns:
                    needs[col] = ""
            for r in needs.index[need_key == ch.need_id]:
                needs.at[r, "end_date"] = end.isoformat()
                if rec.start_date is not None and rec.start_date > end:
                    needs.at[r, "start_date"] = end.isoformat()
            needs_changed = True
        else:
            added.append(dict(ch.row))
    if added:
        needs = pd.concat([needs, pd.DataFrame(added, dtype=object)], ignore_index=True)
        needs_changed = True
    new = registry
    if vols_changed or needs_changed:
        new = registry.replace(
            volunteers=vols if vols_changed else None, needs=needs if needs_changed else None
        )
    return new, forbid, skip


def touched_by(before: pd.DataFrame, changes: Sequence[Change]) -> dict[int, Change]:
    """Row position in ``before`` → the first change that touches that assignment.

    A task needing several volunteers is touched as a whole when any of its
    assignments is (its team shares one start, so the rest cannot stay locked).
    """
    hit: dict[int, Change] = {}
    tasks = before["task_id"].astype(str).tolist()
    vols = before["volunteer_id"].map(clean_id).tolist()
    days = [task_date(t) for t in tasks]
    needs = [task_need(t) for t in tasks]
    for ch in changes:
        for i, (t, v, d, n) in enumerate(zip(tasks, vols, days, needs, strict=True)):
            if i in hit:
                continue
            if isinstance(ch, VolunteerCancels):
                ok = v == ch.volunteer_id and (
                    (ch.task_id is None and ch.date is None)
                    or (ch.task_id is not None and t == ch.task_id)
                    or (ch.date is not None and d == ch.date)
                )
            elif isinstance(ch, TaskDeclined):
                ok = v == ch.volunteer_id and t == ch.task_id
            elif isinstance(ch, NeedWithdrawn):
                cut = _as_date(ch.from_date, "from_date")
                ok = n == ch.need_id and (
                    (ch.date is None and ch.from_date is None)
                    or (ch.date is not None and d == ch.date)
                    or (cut is not None and d is not None and d >= cut)
                )
            else:
                ok = False
            if ok:
                hit[i] = ch
    by_task: dict[str, Change] = {tasks[i]: c for i, c in sorted(hit.items(), reverse=True)}
    return {i: by_task[t] for i, t in enumerate(tasks) if t in by_task}
