"""A plain-text message per volunteer (and per resident, on request), ready to paste.

A volunteer's message lists their own week: what, when, where and for whom
(the resident's name, address and phone where the registry has them). A
resident's message says who comes when ("dinsdag 1 december 10:00: Geke
rijdt u naar VieCuri"), with the volunteers' first names only, and which of
their requests are not arranged yet. Nothing about other people.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matchkracht.data.geo import GreatCircleTravel, TravelModel
from matchkracht.data.registry import Registry
from matchkracht.outputs.people import (
    People,
    assignment_rows,
    outing_lines,
    period_text,
    records,
    safe_name,
)
from matchkracht.texts import check_lang, date_text, kind_name, text

__all__ = ["resident_messages", "volunteer_messages", "write_messages"]


def _what(kind: str, client: str, extra: list[str], lang: str) -> str:
    key = "ride_for" if kind == "ride" else "with_client"
    out = text(key, lang, kind=kind_name(kind, lang), client=client)
    return ", ".join([out, *extra])


def volunteer_messages(
    plan: Any,
    registry: Registry | None = None,
    *,
    lang: str = "en",
    volunteer_ids: Iterable[str] | None = None,
) -> dict[str, str]:
    """Volunteer id → their week as a short plain-text message.

    Parameters
    ----------
    plan
        A :class:`~matchkracht.plan.Plan`.
    registry
        For names, addresses and phones (else ids only).
    lang
        ``"en"`` (default) or ``"nl"``.
    volunteer_ids
        Whom to write to (default: every volunteer with a task; pass the
        registry's ids to thank the others too).
    """
    check_lang(lang)
    people = People.of(registry)
    a = assignment_rows(plan)
    outings = outing_lines(plan, people, lang)
    period = period_text(plan, lang)
    wanted = sorted(set(a["volunteer_id"])) if volunteer_ids is None else list(volunteer_ids)
    by_vol = {str(v): g for v, g in a.groupby("volunteer_id")}
    out: dict[str, str] = {}
    for vid in wanted:
        name = (
            people.volunteer_name.get(vid, vid).split()[0] if vid in people.volunteer_name else vid
        )
        lines = [text("msg_hello", lang, name=name)]
        rows = by_vol.get(vid)
        if rows is None:
            lines.append(text("msg_none", lang, period=period))
            out[vid] = "\n".join(lines) + "\n"
            continue
        lines += [text("msg_week", lang, period=period), ""]
        told: set[str] = set()
        for rec in records(rows):
            cid = str(rec.client_id)
            extra = [
                v
                for v in (
                    people.client_address.get(cid, ""),
                    people.client_phone.get(cid, ""),
                    people.need_dest_name.get(str(rec.need_id), "") if rec.kind == "ride" else "",
                )
                if v
            ]
            lines.append(
                text(
                    "msg_line", lang, day=date_text(rec.start.date(), lang),
                    start=f"{rec.start:%H:%M}", end=f"{rec.end:%H:%M}",
                    what=_what(str(rec.kind), people.client(cid), extra, lang),
                    depart=f"{rec.depart:%H:%M}", back=f"{rec.back:%H:%M}",
                )
            )  # fmt: skip
            trip = str(rec.trip_id)
            if trip in outings and trip not in told:
                lines.append("  " + outings[trip])
                told.add(trip)
        lines += ["", text("msg_end", lang)]
        out[vid] = "\n".join(lines) + "\n"
    return out


def _pickup(
    people: People, cid: str, need_id: str, start: pd.Timestamp, travel: TravelModel
) -> str:
    """When a ride passes by the resident's home: the start less the time to the destination."""
    c, d = people.client_ll.get(cid), people.need_dest_ll.get(need_id)
    if c is None or d is None:
        return ""
    minutes = float(
        travel.minutes(
            cid, np.asarray(c, dtype=np.float64), need_id, np.asarray(d, dtype=np.float64)
        )
    )
    at = start - timedelta(minutes=5 * int(np.ceil(minutes / 5)))
    return f"{at:%H:%M}"


def resident_messages(
    plan: Any,
    registry: Registry | None = None,
    *,
    lang: str = "en",
    client_ids: Iterable[str] | None = None,
    travel: TravelModel | None = None,
) -> dict[str, str]:
    """Client id → the help planned for them (and what is not arranged yet).

    Parameters
    ----------
    plan
        A :class:`~matchkracht.plan.Plan`.
    registry
        For names (the resident's, the volunteers' first names) and ride
        destinations (optional ``needs.destination`` column).
    lang
        ``"en"`` (default) or ``"nl"``.
    client_ids
        Whom to write to (default: every resident with a task in the plan,
        matched or not).
    travel
        For the pick-up time of a ride (default great-circle, as in matching);
        a plan with trips gives its outings' own pick-up times.
    """
    check_lang(lang)
    people = People.of(registry)
    model = travel if travel is not None else GreatCircleTravel()
    a = assignment_rows(plan)
    u = plan.unmatched.copy()
    u["client_id"] = u["client_id"].astype(str)
    u["window_start"] = pd.to_datetime(u["window_start"])
    period = period_text(plan, lang)
    known = set(a["client_id"]) | set(u["client_id"])
    trip_pickup: dict[str, str] = {}  # with trips: the outing's own pickup time at home
    trips = getattr(plan, "trips", None)
    if trips is not None and len(trips):
        home = trips[
            (trips["stop"] == "pickup")
            & (trips["place_id"] != trips["task_id"].str.split("@").str[0])
        ]
        for task, at in zip(home["task_id"], pd.to_datetime(home["arrival"]), strict=True):
            trip_pickup.setdefault(str(task), f"{at:%H:%M}")
    wanted = sorted(known) if client_ids is None else list(client_ids)
    out: dict[str, str] = {}
    for cid in wanted:
        lines = [text("msg_client_hello", lang, name=people.client(cid))]
        items: list[tuple[pd.Timestamp, str]] = []
        mine = a[a["client_id"] == cid]
        for _, g in mine.groupby("task_id", sort=False):
            rec = g.iloc[0]
            helpers = [people.helper(str(v), lang) for v in g["volunteer_id"]]
            helper = (
                helpers[0]
                if len(helpers) == 1
                else f"{', '.join(helpers[:-1])} {text('and', lang)} {helpers[-1]}"
            )
            day = date_text(rec["start"].date(), lang)
            if rec["kind"] == "ride":
                dest = people.need_dest_name.get(
                    str(rec["need_id"]), text("your_appointment", lang)
                )
                pickup = trip_pickup.get(str(rec["task_id"])) or _pickup(
                    people, cid, str(rec["need_id"]), rec["start"], model
                )
                line = text(
                    "msg_client_ride", lang, day=day, start=f"{rec['start']:%H:%M}",
                    helper=helper, dest=dest, pickup=pickup or "?",
                )  # fmt: skip
            else:
                line = text(
                    "msg_client_help" if len(helpers) == 1 else "msg_client_help_team", lang, day=day, start=f"{rec['start']:%H:%M}",
                    end=f"{rec['end']:%H:%M}", helper=helper, what=kind_name(str(rec["kind"]), lang),
                )  # fmt: skip
            items.append((rec["start"], line))
        for rec in records(u[u["client_id"] == cid]):
            items.append(
                (
                    rec.window_start,
                    text(
                        "msg_client_open", lang, day=date_text(rec.window_start.date(), lang),
                        start=f"{rec.window_start:%H:%M}", what=kind_name(str(rec.kind), lang),
                    ),
                )
            )  # fmt: skip
        if not len(mine):
            lines.append(text("msg_client_none", lang, period=period))
        else:
            lines.append(text("msg_client_week", lang, period=period))
        lines.append("")
        lines += [line for _, line in sorted(items, key=lambda x: x[0])]
        lines += ["", text("msg_client_end", lang)]
        out[cid] = "\n".join(lines) + "\n"
    return out


def write_messages(
    plan: Any,
    folder: str | Path,
    registry: Registry | None = None,
    *,
    lang: str = "en",
    residents: bool = False,
) -> list[Path]:
    """Write ``volunteers/{id}.txt`` (and ``residents/{id}.txt`` when asked) into ``folder``."""
    root = Path(folder)
    written: list[Path] = []
    groups = [("volunteers", volunteer_messages(plan, registry, lang=lang))]
    if residents:
        groups.append(("residents", resident_messages(plan, registry, lang=lang)))
    for sub, messages in groups:
        (root / sub).mkdir(parents=True, exist_ok=True)
        for key, body in messages.items():
            path = root / sub / f"{safe_name(key)}.txt"
            path.write_text(body, encoding="utf-8")
            written.append(path)
    return written
