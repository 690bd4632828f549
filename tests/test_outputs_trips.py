"""Outputs of a plan with trips: calendars (parsed back by icalendar), messages."""

from __future__ import annotations

from pathlib import Path

import icalendar
import pandas as pd

import matchkracht as mk
from tests.builders import BASE_LON, client, need, north, registry, volunteer


def _plan() -> tuple[mk.Registry, mk.Plan]:
    dest = {"dest_lat": north(10.0), "dest_lon": BASE_LON, "kind": "ride", "window": "12:00-12:00"}
    reg = registry(
        [volunteer("v1", name="Anna de Vries", skills="driver")],
        [
            client("c1", name="Mevr. Janssen"),
            client("c2", name="Dhr. Peters", lon=BASE_LON + 0.005),
        ],
        [need("n1", "c1", **dest), need("n2", "c2", **dest)],
    )
    plan = mk.match(reg, "2026-W49", time_limit=5, trips=True)
    assert plan.metrics["trips"] == 1
    return reg, plan


def test_the_drivers_calendar_names_the_outings_stops(tmp_path: Path) -> None:
    reg, plan = _plan()
    path = mk.to_ics(plan, tmp_path, reg, lang="nl")["v1"]
    events = [c for c in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")]
    assert len(events) == 2  # one per ride, both in the one outing
    trip = plan.trips
    first_pickup = pd.Timestamp(trip.loc[trip["stop"] == "pickup", "arrival"].iloc[0])
    for ev in events:
        text = str(ev.get("description"))
        assert "Rit 2026-11-30/1" in text and "Mevr. Janssen ophalen" in text
        assert "Dhr. Peters ophalen" in text and f"{first_pickup:%H:%M}" in text
        assert "Samen met" not in text  # a shared car is no team


def test_messages_use_the_outings_times() -> None:
    reg, plan = _plan()
    to_driver = mk.volunteer_messages(plan, reg)["v1"]
    assert to_driver.count("Outing 2026-11-30/1") == 1
    trip = plan.trips
    for cid in ("c1", "c2"):
        at = trip.loc[(trip["stop"] == "pickup") & (trip["place_id"] == cid), "arrival"].iloc[0]
        assert f"{pd.Timestamp(at):%H:%M}" in mk.resident_messages(plan, reg)[cid]
