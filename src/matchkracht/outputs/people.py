"""Who and where, for the outputs that go to one person: names, addresses, phones, places.

A volunteer's own calendar, roster sheet and message may carry what they need
to do the job: the resident's name, address and phone number where the
registry has them. :class:`People` looks these up; without a registry every
lookup falls back to the id. Optional registry columns read here (unknown
columns the data contract keeps): ``clients.phone`` (or ``telephone``,
``telefoon``), ``needs.destination`` (a destination's name, e.g. "VieCuri
Venlo") and ``clients.village``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from matchkracht.data.registry import Registry
from matchkracht.texts import date_text, text

__all__ = [
    "People",
    "assignment_rows",
    "horizon_days",
    "period_text",
    "records",
    "safe_name",
]

_PHONE_COLUMNS = ("phone", "telephone", "telefoon", "tel")


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    out = str(value).strip()
    return "" if out in ("nan", "None", "<NA>") else out


def _column(frame: pd.DataFrame, key: str, names: tuple[str, ...]) -> dict[str, str]:
    for name in names:
        if name in frame.columns:
            return {
                _text(k): _text(v) for k, v in zip(frame[key], frame[name], strict=True) if _text(v)
            }
    return {}


@dataclass(frozen=True)
class People:
    """Lookups by id into a registry (empty without one)."""

    volunteer_name: dict[str, str] = field(default_factory=dict)
    volunteer_ll: dict[str, tuple[float, float]] = field(default_factory=dict)
    client_name: dict[str, str] = field(default_factory=dict)
    client_address: dict[str, str] = field(default_factory=dict)
    client_phone: dict[str, str] = field(default_factory=dict)
    client_ll: dict[str, tuple[float, float]] = field(default_factory=dict)
    client_village: dict[str, str] = field(default_factory=dict)
    need_dest_ll: dict[str, tuple[float, float]] = field(default_factory=dict)
    need_dest_name: dict[str, str] = field(default_factory=dict)
    need_client: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, registry: Registry | None) -> People:
        """The lookups of ``registry`` (``None``: ids only)."""
        if registry is None:
            return cls()
        vols, clients, needs = registry.volunteer_records, registry.client_records, registry.needs
        return cls(
            volunteer_name={v.volunteer_id: v.name for v in vols if v.name},
            volunteer_ll={
                v.volunteer_id: (v.lat, v.lon)
                for v in vols
                if v.lat is not None and v.lon is not None
            },
            client_name={c.client_id: c.name for c in clients if c.name},
            client_address={c.client_id: c.address for c in clients if c.address},
            client_phone=_column(registry.clients, "client_id", _PHONE_COLUMNS),
            client_ll={
                c.client_id: (c.lat, c.lon)
                for c in clients
                if c.lat is not None and c.lon is not None
            },
            client_village=_column(registry.clients, "client_id", ("village",)),
            need_dest_ll={
                n.need_id: (n.dest_lat, n.dest_lon)
                for n in registry.need_records
                if n.dest_lat is not None and n.dest_lon is not None
            },
            need_dest_name=_column(needs, "need_id", ("destination", "dest_name")),
            need_client={n.need_id: n.client_id for n in registry.need_records},
        )

    def client(self, client_id: str) -> str:
        """The resident's name, else their id."""
        return self.client_name.get(client_id, client_id)

    def helper(self, volunteer_id: str, lang: str) -> str:
        """A volunteer's first name for a resident's message, else "a volunteer"."""
        name = self.volunteer_name.get(volunteer_id, "")
        return name.split()[0] if name else text("a_volunteer", lang)

    def village(self, client_id: str) -> str:
        """The client's village (optional ``clients.village`` column), else ``"all"``."""
        return self.client_village.get(client_id, "all")


def assignment_rows(plan: Any) -> pd.DataFrame:
    """``plan.assignments`` with ids as text, times as timestamps and ``back`` = ``return``."""
    a: pd.DataFrame = plan.assignments.copy()
    for col in ("task_id", "need_id", "client_id", "volunteer_id", "kind"):
        a[col] = a[col].astype(str)
    for col in ("start", "end", "depart", "return"):
        a[col] = pd.to_datetime(a[col])
    a["back"] = a["return"]  # ``return`` is no attribute name for itertuples
    if "trip_id" not in a.columns:
        a["trip_id"], a["leg"] = "", ""
    a["trip_id"] = a["trip_id"].fillna("").astype(str)
    return a.sort_values(["start", "task_id", "volunteer_id"], kind="stable").reset_index(drop=True)


def outing_lines(plan: Any, people: People, lang: str) -> dict[str, str]:
    """Trip id → one line naming the outing's stops in order (empty without trips)."""
    trips = getattr(plan, "trips", None)
    if trips is None or not len(trips):
        return {}
    out: dict[str, str] = {}
    t = trips.copy()
    t["arrival"] = pd.to_datetime(t["arrival"])
    t["departure"] = pd.to_datetime(t["departure"])
    for trip_id, stops in t.sort_values(["trip_id", "seq"]).groupby("trip_id", sort=True):
        parts = []
        for rec in records(stops):
            if rec.stop not in ("pickup", "dropoff"):
                continue
            need_id = str(rec.task_id).rpartition("@")[0]
            at_home = str(rec.place_id) != need_id
            client = people.client(str(rec.place_id)) if at_home else None
            key = ("stop_pickup_" if rec.stop == "pickup" else "stop_dropoff_") + (
                "home" if at_home else "dest"
            )
            if client is None:
                cid = people.need_client.get(need_id, "")
                client = people.client(cid) if cid else need_id
            dest = people.need_dest_name.get(need_id) or text("the_destination", lang)
            parts.append(text(key, lang, at=f"{rec.arrival:%H:%M}", client=client, dest=dest))
        first, last = stops.iloc[0], stops.iloc[-1]
        out[str(trip_id)] = text(
            "outing_line", lang, trip=str(trip_id), depart=f"{first['departure']:%H:%M}",
            back=f"{last['arrival']:%H:%M}", stops=", ".join(parts),
        )  # fmt: skip
    return out


def records(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``frame`` as named tuples (typed loosely, as the cells are)."""
    return frame.itertuples(index=False)


def horizon_days(plan: Any) -> list[date]:
    """Every day of the plan's horizon (from its metadata, else from its assignments)."""
    meta = plan.metadata
    if "first_day" in meta and "last_day" in meta:
        first, last = date.fromisoformat(meta["first_day"]), date.fromisoformat(meta["last_day"])
    else:
        starts = pd.to_datetime(plan.assignments["start"])
        if starts.empty:
            return []
        first, last = starts.min().date(), starts.max().date()
    return [d.date() for d in pd.date_range(first, last, freq="D")]


def period_text(plan: Any, lang: str) -> str:
    """``"Monday 30 November to Sunday 6 December"`` in ``lang``."""
    days = horizon_days(plan)
    if not days:
        return str(plan.metadata.get("horizon", "?"))
    return text("period", lang, first=date_text(days[0], lang), last=date_text(days[-1], lang))


def safe_name(value: str) -> str:
    """An id as a file or sheet name: letters, digits, ``-``, ``_`` and ``.`` only."""
    return re.sub(r"[^\w.-]", "_", value) or "_"
