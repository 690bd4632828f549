"""Pydantic models of one registry row each: the validated boundary of the library.

The registry (:mod:`matchkracht.data.registry`) builds one model per row to check the
row and to parse its text cells (availability, schedules, tags) into structured
values. Empty cells are left out before a model is built, so defaults apply.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from matchkracht.data.parsing import (
    DateRange,
    Schedule,
    WeeklyWindow,
    parse_availability,
    parse_date,
    parse_date_ranges,
    parse_schedule,
    parse_tags,
    parse_window,
)

__all__ = ["Client", "FieldProblem", "HistoryEntry", "Need", "Volunteer"]

Kind = Literal["ride", "visit", "meal", "chore", "other"]
Continuity = Literal["none", "prefer", "strict"]
ReturnMode = Literal["wait", "separate", "none"]

#: Cells read as yes / no in the boolean columns (English and Dutch).
_TRUE = frozenset({"true", "yes", "y", "1", "ja", "j", "x"})
_FALSE = frozenset({"false", "no", "n", "0", "nee"})


def _tags(v: Any) -> Any:
    return parse_tags(v) if isinstance(v, str) else v


def _ids(v: Any) -> Any:
    return tuple(sorted(parse_tags_keep_case(v))) if isinstance(v, str) else v


def parse_tags_keep_case(text: str) -> frozenset[str]:
    """Split ``;``-separated ids, keeping their case."""
    return frozenset(t.strip() for t in text.split(";") if t.strip())


def _availability(v: Any) -> Any:
    return parse_availability(v) if isinstance(v, str) else v


def _unavailable(v: Any) -> Any:
    return parse_date_ranges(v) if isinstance(v, str) else v


def _window(v: Any) -> Any:
    return parse_window(v) if isinstance(v, str) else v


def _schedule(v: Any) -> Any:
    if isinstance(v, date):
        return Schedule(on=v)
    return parse_schedule(v) if isinstance(v, str) else v


def _date(v: Any) -> Any:
    return parse_date(v) if isinstance(v, str) else v


def _priority(v: Any) -> Any:
    if isinstance(v, str):
        try:
            num = float(v.strip())  # "2", and "2.0" as a float column is written to CSV
        except ValueError:
            return v
        return int(num) if num in (1.0, 2.0, 3.0) else v
    if isinstance(v, float) and v in (1.0, 2.0, 3.0):
        return int(v)
    return v


def _bool(v: Any) -> Any:
    if isinstance(v, str):
        cell = v.strip().lower()
        if cell in _TRUE:
            return True
        if cell in _FALSE:
            return False
    if isinstance(v, float) and v in (0.0, 1.0):
        return bool(v)
    return v


def _lower(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


Tags = Annotated[frozenset[str], BeforeValidator(_tags)]
Ids = Annotated[tuple[str, ...], BeforeValidator(_ids)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
IsoDate = Annotated[date, BeforeValidator(_date)]
YesNo = Annotated[bool, BeforeValidator(_bool)]
Id = Annotated[str, Field(min_length=1)]


class FieldProblem(ValueError):  # noqa: N818 - a carrier for pydantic, not raised to users
    """A cross-field problem, attributed to one ``column`` of the row."""

    def __init__(self, column: str, expected: str) -> None:
        super().__init__(expected)
        self.column = column


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", arbitrary_types_allowed=True)


class Volunteer(_Row):
    """A volunteer: where they live, what they can do, when they are free, their limits."""

    volunteer_id: Id
    name: str = ""
    lat: Latitude | None = None
    lon: Longitude | None = None
    address: str = ""
    skills: Tags = frozenset()
    languages: Tags = frozenset({"nl"})
    availability: Annotated[tuple[WeeklyWindow, ...], BeforeValidator(_availability)]
    unavailable: Annotated[tuple[DateRange, ...], BeforeValidator(_unavailable)] = ()
    max_tasks_per_week: Annotated[int, Field(ge=0)] = 3
    max_hours_per_week: Annotated[float, Field(ge=0)] = 6.0
    max_km: Annotated[float, Field(gt=0)] = 15.0
    seats: Annotated[int, Field(ge=1)] = 3
    wheelchair_car: YesNo = False

    def is_unavailable(self, day: date) -> bool:
        """Whether ``day`` falls in one of the ``unavailable`` ranges."""
        return any(day in r for r in self.unavailable)


class Client(_Row):
    """A resident who asked for help."""

    client_id: Id
    name: str = ""
    lat: Latitude | None = None
    lon: Longitude | None = None
    address: str = ""
    languages: Tags = frozenset({"nl"})
    preferred_volunteers: Ids = ()
    excluded_volunteers: Ids = ()


class Need(_Row):
    """A recurring or one-off request for help."""

    need_id: Id
    client_id: Id
    kind: Annotated[Kind, BeforeValidator(_lower)] = "other"
    schedule: Annotated[Schedule, BeforeValidator(_schedule)]
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    window: Annotated[tuple[int, int], BeforeValidator(_window)]
    duration_min: Annotated[int, Field(gt=0)] = 60
    skills: Tags = frozenset()
    languages: Tags = frozenset()
    priority: Annotated[Literal[1, 2, 3], BeforeValidator(_priority)] = 2
    volunteers_needed: Annotated[int, Field(ge=1)] = 1
    continuity: Annotated[Continuity, BeforeValidator(_lower)] = "prefer"
    dest_lat: Latitude | None = None
    dest_lon: Longitude | None = None
    max_team: Annotated[int, Field(ge=1)] | None = None
    return_mode: Annotated[ReturnMode, BeforeValidator(_lower)] = "wait"
    return_wait_min: Annotated[int, Field(ge=0)] = 15
    max_ride_min: Annotated[int, Field(gt=0)] | None = None
    wheelchair: YesNo = False
    shared: YesNo = True

    @model_validator(mode="after")
    def _check(self) -> Need:
        if self.kind == "ride" and (self.dest_lat is None or self.dest_lon is None):
            missing = "dest_lat" if self.dest_lat is None else "dest_lon"
            raise FieldProblem(missing, "a destination (dest_lat and dest_lon) for a ride")
        if (self.dest_lat is None) != (self.dest_lon is None):
            missing = "dest_lat" if self.dest_lat is None else "dest_lon"
            raise FieldProblem(missing, "both dest_lat and dest_lon, or neither")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise FieldProblem("end_date", "an end_date on or after start_date")
        if self.schedule.needs_start and self.start_date is None:
            raise FieldProblem(
                "start_date",
                "a start_date: this RRULE's days depend on its start "
                "(INTERVAL > 1, COUNT, or no BYDAY)",
            )
        return self

    @property
    def required_skills(self) -> frozenset[str]:
        """Skills required of every volunteer.

        A ride implies ``driver``; a ride with ``wheelchair`` also
        ``wheelchair_car`` (a volunteer's ``wheelchair_car`` column).
        """
        if self.kind != "ride":
            return self.skills
        return self.skills | ({"driver", "wheelchair_car"} if self.wheelchair else {"driver"})

    def occurrences(self, first: date, last: date) -> list[date]:
        """Dates on which this need recurs within ``first..last`` (inclusive)."""
        lo = max(first, self.start_date) if self.start_date else first
        hi = min(last, self.end_date) if self.end_date else last
        return self.schedule.occurrences(lo, hi, self.start_date)


class HistoryEntry(_Row):
    """One past help given: who helped whom, for which need, on which date."""

    need_id: Id
    client_id: Id
    volunteer_id: Id
    date: IsoDate
