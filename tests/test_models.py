"""Tests of the pydantic row models: defaults and cross-field rules."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from matchkracht.data.models import Client, FieldProblem, HistoryEntry, Need, Volunteer
from matchkracht.data.parsing import WeeklyWindow


def _volunteer(**extra: object) -> Volunteer:
    return Volunteer.model_validate(
        {
            "volunteer_id": "V1",
            "lat": 51.42,
            "lon": 6.13,
            "availability": "mon 09:00-12:00",
            **extra,
        }
    )


def _need(**extra: object) -> Need:
    return Need.model_validate(
        {
            "need_id": "N1",
            "client_id": "C1",
            "schedule": "2026-12-03",
            "window": "10:00-10:30",
            **extra,
        }
    )


def test_volunteer_defaults() -> None:
    v = _volunteer()
    assert v.languages == frozenset({"nl"})
    assert v.skills == frozenset()
    assert v.max_tasks_per_week == 3
    assert v.max_hours_per_week == 6
    assert v.max_km == 15
    assert v.unavailable == ()
    assert v.name == ""
    assert v.availability == (WeeklyWindow(0, 540, 720),)


def test_volunteer_unavailable_dates() -> None:
    v = _volunteer(unavailable="2026-12-24; 2026-12-28..2027-01-03")
    assert v.is_unavailable(date(2026, 12, 24))
    assert v.is_unavailable(date(2027, 1, 3))
    assert not v.is_unavailable(date(2026, 12, 25))


def test_volunteer_requires_availability() -> None:
    with pytest.raises(ValidationError) as info:
        Volunteer.model_validate({"volunteer_id": "V1", "lat": 51.0, "lon": 6.0})
    assert info.value.errors()[0]["loc"] == ("availability",)


@pytest.mark.parametrize(
    "extra",
    [{"max_tasks_per_week": -1}, {"max_hours_per_week": -0.5}, {"max_km": 0}, {"lat": 91}],
)
def test_volunteer_bounds(extra: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _volunteer(**extra)


def test_volunteer_zero_caps_allowed() -> None:
    v = _volunteer(max_tasks_per_week=0, max_hours_per_week=0)
    assert v.max_tasks_per_week == 0


def test_client_defaults() -> None:
    c = Client.model_validate({"client_id": "C1", "lat": 51.42, "lon": 6.13})
    assert c.languages == frozenset({"nl"})
    assert c.preferred_volunteers == ()
    assert c.excluded_volunteers == ()


def test_client_volunteer_ids_keep_case() -> None:
    c = Client.model_validate(
        {"client_id": "C1", "lat": 51.0, "lon": 6.0, "excluded_volunteers": "v1; V2;V2"}
    )
    assert c.excluded_volunteers == ("V2", "v1")


def test_need_defaults() -> None:
    n = _need()
    assert n.kind == "other"
    assert n.duration_min == 60
    assert n.priority == 2
    assert n.volunteers_needed == 1
    assert n.continuity == "prefer"
    assert n.skills == frozenset()
    assert n.languages == frozenset()
    assert n.max_team is None
    assert n.window == (600, 630)


@pytest.mark.parametrize(
    ("text", "value"), [("1", 1), ("3", 3), (2.0, 2), (" 1 ", 1), ("2.0", 2), (3, 3)]
)
def test_need_priority_from_text_or_float(text: object, value: int) -> None:
    assert _need(priority=text).priority == value


def test_need_kind_and_continuity_case_insensitive() -> None:
    n = _need(kind=" Visit ", continuity="STRICT")
    assert (n.kind, n.continuity) == ("visit", "strict")


def test_ride_implies_driver() -> None:
    n = _need(kind="ride", skills="wheelchair", dest_lat=51.36, dest_lon=6.17)
    assert n.required_skills == frozenset({"driver", "wheelchair"})
    assert n.skills == frozenset({"wheelchair"})
    assert _need(kind="visit", skills="wheelchair").required_skills == frozenset({"wheelchair"})


def test_ride_without_destination() -> None:
    with pytest.raises(ValidationError) as info:
        _need(kind="ride")
    err = info.value.errors()[0]
    problem = err["ctx"]["error"]
    assert isinstance(problem, FieldProblem)
    assert problem.column == "dest_lat"


def test_ride_with_half_a_destination() -> None:
    with pytest.raises(ValidationError) as info:
        _need(kind="ride", dest_lat=51.36)
    assert info.value.errors()[0]["ctx"]["error"].column == "dest_lon"


def test_destination_needs_both_coordinates() -> None:
    with pytest.raises(ValidationError):
        _need(kind="visit", dest_lon=6.17)


def test_end_date_before_start_date() -> None:
    with pytest.raises(ValidationError) as info:
        _need(start_date="2026-12-05", end_date="2026-12-01")
    assert info.value.errors()[0]["ctx"]["error"].column == "end_date"


def test_interval_rule_needs_start_date() -> None:
    with pytest.raises(ValidationError) as info:
        _need(schedule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
    assert info.value.errors()[0]["ctx"]["error"].column == "start_date"
    ok = _need(schedule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", start_date="2026-12-01")
    assert ok.start_date == date(2026, 12, 1)


@pytest.mark.parametrize(
    "extra",
    [
        {"kind": "party"},
        {"continuity": "always"},
        {"priority": 4},
        {"priority": "high"},
        {"priority": "1.5"},
        {"priority": 0.0},
        {"duration_min": 0},
        {"volunteers_needed": 0},
        {"max_team": 0},
    ],
)
def test_need_rejects(extra: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _need(**extra)


def test_models_are_frozen() -> None:
    n = _need()
    with pytest.raises(ValidationError):
        n.priority = 1  # type: ignore[misc]


def test_history_entry() -> None:
    h = HistoryEntry.model_validate(
        {"need_id": "N1", "client_id": "C1", "volunteer_id": "V1", "date": "2026-11-23"}
    )
    assert h.date == date(2026, 11, 23)


def test_ride_trip_columns_default_to_old_meaning() -> None:
    n = _need(kind="ride", dest_lat=51.36, dest_lon=6.17)
    assert (n.return_mode, n.return_wait_min, n.max_ride_min) == ("wait", 15, None)
    assert (n.wheelchair, n.shared) == (False, True)
    v = _volunteer()
    assert (v.seats, v.wheelchair_car) == (3, False)


@pytest.mark.parametrize(
    ("cell", "value"), [("ja", True), ("Nee", False), ("yes", True), ("0", False), ("x", True)]
)
def test_yes_no_cells(cell: str, value: bool) -> None:
    assert _volunteer(wheelchair_car=cell).wheelchair_car is value
    assert _need(kind="ride", dest_lat=51.36, dest_lon=6.17, shared=cell).shared is value


def test_wheelchair_ride_requires_a_wheelchair_car() -> None:
    n = _need(kind="ride", dest_lat=51.36, dest_lon=6.17, wheelchair="yes")
    assert n.required_skills == frozenset({"driver", "wheelchair_car"})


@pytest.mark.parametrize(
    "extra",
    [{"return_mode": "later"}, {"return_wait_min": -1}, {"max_ride_min": 0}, {"shared": "maybe"}],
)
def test_ride_trip_columns_rejected(extra: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _need(kind="ride", dest_lat=51.36, dest_lon=6.17, **extra)


def test_seats_at_least_one() -> None:
    with pytest.raises(ValidationError):
        _volunteer(seats=0)
