"""Tests of planning horizons: ISO weeks, several weeks, date ranges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matchkracht import Horizon, InvalidSettingsError, MatchkrachtError


def test_iso_week_is_monday_to_sunday() -> None:
    hz = Horizon.from_week("2026-W49")
    assert hz.first == date(2026, 11, 30)
    assert hz.last == date(2026, 12, 6)
    assert hz.first.weekday() == 0
    assert hz.last.weekday() == 6
    assert hz.num_days == 7
    assert hz.days == [date(2026, 11, 30) + timedelta(days=i) for i in range(7)]
    assert hz.label == "2026-W49"
    assert hz.iso_weeks() == [(2026, 49)]


@pytest.mark.parametrize("text", ["2026-W49", "2026W49", "2026-w49", " 2026-W49 "])
def test_iso_week_spellings(text: str) -> None:
    assert Horizon.from_week(text).first == date(2026, 11, 30)


@pytest.mark.parametrize("year", [2020, 2024, 2026, 2027, 2030])
def test_every_week_of_a_year(year: int) -> None:
    num_weeks = date(year, 12, 28).isocalendar()[1]
    for week in range(1, num_weeks + 1):
        hz = Horizon.from_week(f"{year}-W{week:02d}")
        assert hz.first == date.fromisocalendar(year, week, 1)
        assert hz.last == date.fromisocalendar(year, week, 7)
        assert hz.label == f"{year}-W{week:02d}"


def test_several_weeks() -> None:
    hz = Horizon.from_week("2026-W49", weeks=3)
    assert hz.first == date(2026, 11, 30)
    assert hz.last == date(2026, 12, 20)
    assert hz.num_days == 21
    assert hz.iso_weeks() == [(2026, 49), (2026, 50), (2026, 51)]
    assert hz.label == "2026-11-30..2026-12-20"


def test_weeks_across_a_year_boundary() -> None:
    # 2026 has 53 ISO weeks (it starts on a Thursday): 2026-W53 exists
    assert date.fromisocalendar(2026, 53, 1) == date(2026, 12, 28)
    hz = Horizon.from_week("2026-W52", weeks=3)
    assert hz.first == date(2026, 12, 21)
    assert hz.last == date(2027, 1, 10)
    assert hz.iso_weeks() == [(2026, 52), (2026, 53), (2027, 1)]
    assert hz.week_index(date(2026, 12, 21)) == 0
    assert hz.week_index(date(2026, 12, 31)) == 1  # Thursday of 2026-W53
    assert hz.week_index(date(2027, 1, 3)) == 1  # Sunday of 2026-W53
    assert hz.week_index(date(2027, 1, 4)) == 2  # Monday of 2027-W01


def test_week_53_of_2026() -> None:
    hz = Horizon.from_week("2026-W53")
    assert (hz.first, hz.last) == (date(2026, 12, 28), date(2027, 1, 3))
    assert hz.iso_weeks() == [(2026, 53)]


def test_week_index_outside_horizon() -> None:
    hz = Horizon.from_week("2026-W49")
    with pytest.raises(ValueError):
        hz.week_index(date(2027, 1, 1))


def test_date_range_across_weeks() -> None:
    hz = Horizon.parse("2026-12-31..2027-01-05")
    assert hz.num_days == 6
    assert hz.iso_weeks() == [(2026, 53), (2027, 1)]
    assert [hz.week_index(d) for d in hz.days] == [0, 0, 0, 0, 1, 1]
    assert hz.label == "2026-12-31..2027-01-05"


def test_date_range_single_day() -> None:
    hz = Horizon.parse("2026-12-03..2026-12-03")
    assert hz.days == [date(2026, 12, 3)]


def test_parse_forms_agree() -> None:
    week = Horizon.from_week("2026-W49")
    assert Horizon.parse("2026-W49") == week
    assert Horizon.parse("2026-11-30..2026-12-06") == week
    assert Horizon.parse(("2026-11-30", date(2026, 12, 6))) == week
    assert Horizon.parse(week) is week
    assert Horizon.parse("2026-11-30..2026-12-06").label == "2026-W49"


@pytest.mark.parametrize(
    "week", ["2026-W54", "2027-W53", "2026-W00", "2026-49", "week 49", "", "2026-W4x"]
)
def test_invalid_week(week: str) -> None:
    with pytest.raises(InvalidSettingsError) as info:
        Horizon.from_week(week)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, MatchkrachtError)
    assert "week" in str(info.value)


@pytest.mark.parametrize("weeks", [0, -1, 54, "two", None])
def test_invalid_number_of_weeks(weeks: object) -> None:
    with pytest.raises(InvalidSettingsError, match="weeks"):
        Horizon.from_week("2026-W49", weeks=weeks)


@pytest.mark.parametrize(
    "spec", ["2026-12-06..2026-11-30", "2026-12-01..tomorrow", "2026-13-01..2026-13-02"]
)
def test_invalid_date_range(spec: str) -> None:
    with pytest.raises(InvalidSettingsError):
        Horizon.parse(spec)


@pytest.mark.parametrize("pair", [("2026-12-01", "tomorrow"), ("2026-12-07", "2026-12-01")])
def test_invalid_date_pair(pair: tuple[str, str]) -> None:
    with pytest.raises(InvalidSettingsError):
        Horizon.parse(pair)


def test_horizon_must_not_end_before_it_starts() -> None:
    with pytest.raises(InvalidSettingsError):
        Horizon(date(2026, 12, 6), date(2026, 12, 5))
