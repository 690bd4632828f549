"""One iCalendar (RFC 5545) file per volunteer, written with the ``icalendar`` library.

Each assignment is one ``VEVENT`` from leaving home to being back (the
occupied time, travel included), with the help itself in the description.
Times carry ``TZID=Europe/Amsterdam`` and the file holds that ``VTIMEZONE``.

The UID of an event depends on the task and the volunteer only
(:func:`event_uid`), so a re-plan updates the same event in the volunteer's
calendar app. Writing into a folder that already holds calendars (the ones
sent out before) reads them back: an event whose content changed gets its
``SEQUENCE`` raised, an event of the horizon that is no longer in the plan
(an assignment a re-plan withdrew) is written as ``STATUS:CANCELLED`` with a
raised ``SEQUENCE``, and events outside the plan's horizon are kept as they
are. Without the old files, pass the published plan as ``previous``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pandas as pd

from matchkracht.data.registry import Registry
from matchkracht.outputs.people import (
    People,
    assignment_rows,
    horizon_days,
    outing_lines,
    records,
    safe_name,
)
from matchkracht.texts import check_lang, kind_name, number, text

__all__ = ["PRODID", "TZID", "event_uid", "to_ics"]

#: The time zone of every event.
TZID = "Europe/Amsterdam"
PRODID = "-//matchkracht//volunteer calendar//EN"
_ZONE = ZoneInfo(TZID)
#: The properties whose change raises an event's SEQUENCE.
_CONTENT = ("dtstart", "dtend", "summary", "description", "location", "status")


def event_uid(task_id: str, volunteer_id: str) -> str:
    """The UID of a volunteer's event for a task: the same across re-plans.

    >>> event_uid("N0007@2026-12-01", "V0003")
    'N0007-2026-12-01-V0003@matchkracht'
    """
    return f"{task_id.replace('@', '-')}-{volunteer_id}@matchkracht"


@dataclass
class _Event:
    uid: str
    volunteer_id: str
    props: dict[str, Any]  # dtstart, dtend, summary, description, location, status, geo
    sequence: int = 0

    def content(self) -> tuple[str, ...]:
        return tuple(_norm(self.props.get(k)) for k in _CONTENT)


def _norm(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return "" if value is None else str(value)


def _local(ts: pd.Timestamp) -> datetime:
    """A plan time (naive, local) as an aware Europe/Amsterdam datetime."""
    return ts.to_pydatetime().replace(tzinfo=_ZONE)


def _events(plan: Any, people: People, lang: str) -> dict[str, _Event]:
    a = assignment_rows(plan)
    team = a.groupby("task_id")["volunteer_id"].transform("count").where(a["trip_id"] == "", 1)
    outings = outing_lines(plan, people, lang)
    out: dict[str, _Event] = {}
    for rec, n in zip(records(a), team.tolist(), strict=True):
        task, vid, cid = str(rec.task_id), str(rec.volunteer_id), str(rec.client_id)
        kind = str(rec.kind)
        who = people.client(cid)
        if kind == "ride":
            summary = text("ride_for", lang, client=who)
            summary = summary[0].upper() + summary[1:]
        else:
            summary = text("with_client", lang, kind=kind_name(kind, lang).capitalize(), client=who)
        hm = "%H:%M"
        lines = [
            text(
                "event_when", lang, kind=kind_name(kind, lang).capitalize(),
                start=rec.start.strftime(hm), end=rec.end.strftime(hm),
                depart=rec.depart.strftime(hm), back=rec.back.strftime(hm),
                km=number(float(rec.travel_km), lang),
            )
        ]  # fmt: skip
        if kind == "ride" and str(rec.trip_id) in outings:
            lines.append(outings[str(rec.trip_id)])
        elif kind == "ride":
            lines.append(
                text("event_ride", lang, start=rec.start.strftime(hm), end=rec.end.strftime(hm))
            )
            dest = people.need_dest_name.get(str(rec.need_id))
            if dest:
                lines.append(text("destination", lang, value=dest))
        if n > 1:
            lines.append(text("event_team", lang, n=n - 1))
        address = people.client_address.get(cid, "")
        if address:
            lines.append(text("address", lang, value=address))
        phone = people.client_phone.get(cid, "")
        if phone:
            lines.append(text("phone", lang, value=phone))
        lines.append(f"{task} / {cid}")
        uid = (
            event_uid(task, vid)
            if str(rec.leg) in ("", "nan", "both")
            else event_uid(f"{task}-{rec.leg}", vid)
        )
        out[uid] = _Event(
            uid,
            vid,
            {
                "dtstart": _local(rec.depart),
                "dtend": _local(rec.back),
                "summary": summary,
                "description": "\n".join(lines),
                "location": address or None,
                "status": "CONFIRMED",
                "geo": people.client_ll.get(cid),
            },
        )
    return out


def _read_folder(folder: Path) -> dict[str, _Event]:
    """The events of the calendars already in ``folder`` (files this module wrote)."""
    out: dict[str, _Event] = {}
    for path in sorted(folder.glob("*.ics")):
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        vid = str(cal.get("X-MATCHKRACHT-VOLUNTEER", path.stem))
        for ev in cal.walk("VEVENT"):
            geo = ev.get("geo")
            props = {
                "dtstart": ev.decoded("dtstart"),
                "dtend": ev.decoded("dtend"),
                "summary": str(ev.get("summary", "")),
                "description": str(ev.get("description", "")),
                "location": str(ev["location"]) if "location" in ev else None,
                "status": str(ev.get("status", "CONFIRMED")),
                "geo": (geo.latitude, geo.longitude) if geo is not None else None,
            }
            uid = str(ev["uid"])
            out[uid] = _Event(uid, vid, props, int(ev.get("sequence", 0)))
    return out


def _merge(
    new: dict[str, _Event], old: dict[str, _Event], first: date, last: date, lang: str
) -> list[_Event]:
    """New events with sequences continued from ``old``; withdrawn ones cancelled."""
    out: list[_Event] = []
    for uid, ev in new.items():
        before = old.get(uid)
        if before is not None:
            ev.sequence = before.sequence + (before.content() != ev.content())
        out.append(ev)
    for uid, ev in old.items():
        if uid in new:
            continue
        day = ev.props["dtstart"].date()
        if first <= day <= last and ev.props["status"] != "CANCELLED":
            summary = text("cancelled", lang, summary=ev.props["summary"])
            ev = _Event(uid, ev.volunteer_id, {**ev.props, "status": "CANCELLED", "summary": summary},
                        ev.sequence + 1)  # fmt: skip
        out.append(ev)
    return sorted(out, key=lambda e: (e.props["dtstart"], e.uid))


def _calendar(volunteer_id: str, events: list[_Event], stamp: datetime, name: str) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"matchkracht {name}")
    cal.add("x-wr-timezone", TZID)
    cal.add("x-matchkracht-volunteer", volunteer_id)
    for e in events:
        ev = icalendar.Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", stamp)
        ev.add("sequence", e.sequence)
        ev.add("dtstart", e.props["dtstart"])
        ev.add("dtend", e.props["dtend"])
        ev.add("summary", e.props["summary"])
        ev.add("description", e.props["description"])
        if e.props.get("location"):
            ev.add("location", e.props["location"])
        if e.props.get("geo"):
            ev.add("geo", e.props["geo"])
        ev.add("status", e.props["status"])
        ev.add("transp", "TRANSPARENT" if e.props["status"] == "CANCELLED" else "OPAQUE")
        cal.add_component(ev)
    if events:  # a compact VTIMEZONE: the events' years and the next
        first = min(e.props["dtstart"] for e in events).date().replace(month=1, day=1)
        last = max(e.props["dtend"] for e in events).date()
        cal.add_missing_timezones(first_date=first, last_date=last.replace(year=last.year + 1))
    return bytes(cal.to_ical())


def to_ics(
    plan: Any,
    folder: str | Path,
    registry: Registry | None = None,
    *,
    previous: Any = None,
    lang: str = "en",
) -> dict[str, Path]:
    """Write ``{volunteer_id}.ics`` for every volunteer of the plan into ``folder``.

    Parameters
    ----------
    plan
        A :class:`~matchkracht.plan.Plan` (or a re-plan's ``.plan``).
    folder
        Created if needed. Calendars already there are read back: their
        events' ``SEQUENCE`` numbers are continued, and their events in the
        plan's horizon that the plan no longer has are cancelled.
    registry
        For what a volunteer needs to do the job: the resident's name,
        address and phone (optional ``clients.phone`` column) and a ride's
        destination name (optional ``needs.destination``). Without it the
        events name ids only. Nothing about other volunteers or residents.
    previous
        The plan sent out before, when its calendars are not in ``folder``:
        its events count as sent with ``SEQUENCE:0``.
    lang
        ``"en"`` (default) or ``"nl"``.

    Returns
    -------
    dict of str to pathlib.Path
        Volunteer id → the file written (volunteers with events only,
        cancelled ones included).
    """
    check_lang(lang)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    people = People.of(registry)
    new = _events(plan, people, lang)
    old = _events(previous, people, lang) if previous is not None else {}
    old.update(_read_folder(out))
    days = horizon_days(plan)
    first, last = (days[0], days[-1]) if days else (date.max, date.min)
    events = _merge(new, old, first, last, lang)
    created = plan.metadata.get("created")
    stamp = (
        datetime.fromisoformat(created).astimezone(UTC)  # `created` is the machine's local time
        if created
        else datetime.now(UTC).replace(microsecond=0)
    )
    by_vol: dict[str, list[_Event]] = {}
    for e in events:
        by_vol.setdefault(e.volunteer_id, []).append(e)
    written: dict[str, Path] = {}
    for vid in sorted(by_vol):
        path = out / f"{safe_name(vid)}.ics"
        name = people.volunteer_name.get(vid, vid)
        path.write_bytes(_calendar(vid, by_vol[vid], stamp, name))
        written[vid] = path
    return written
