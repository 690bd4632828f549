"""Tests of the cell parsers (tags, times, windows, availability, dates, schedules)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matchkracht.data.models import Need
from matchkracht.data.parsing import (
    DAY_NAMES,
    DateRange,
    Schedule,
    WeeklyWindow,
    days_between,
    format_minutes,
    naive_until,
    parse_availability,
    parse_clock,
    parse_date,
    parse_date_ranges,
    parse_schedule,
    parse_tags,
    parse_window,
)

MONDAY = date(2026, 11, 30)  # Monday of 2026-W49
SUNDAY = date(2026, 12, 6)


# -- tags ------------------------------------------------------------------------------
def test_tags_are_lower_case_stripped_and_deduplicated() -> None:
    assert parse_tags(" Driver; dementia ;;driver;") == frozenset({"driver", "dementia"})


def test_empty_tags() -> None:
    assert parse_tags("") == frozenset()
    assert parse_tags(" ; ") == frozenset()


# -- clock and window ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "minutes"),
    [("00:00", 0), ("9:05", 545), ("09.30", 570), ("23:59", 1439), ("24:00", 1440)],
)
def test_clock(text: str, minutes: int) -> None:
    assert parse_clock(text) == minutes


@pytest.mark.parametrize("text", ["", "9", "12:60", "25:00", "24:01", "noon", "12:5"])
def test_clock_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="time"):
        parse_clock(text)


def test_format_minutes_inverts_clock() -> None:
    for m in range(0, 1441, 5):
        assert parse_clock(format_minutes(m)) == m


def test_window() -> None:
    assert parse_window("12:00-12:15") == (720, 735)
    assert parse_window(" 9:00 - 10:00 ") == (540, 600)
    assert parse_window("12:00-12:00") == (720, 720)


def test_window_end_before_start() -> None:
    with pytest.raises(ValueError, match="end"):
        parse_window("12:15-12:00")


def test_window_empty_span_can_be_forbidden() -> None:
    with pytest.raises(ValueError):
        parse_window("12:00-12:00", allow_empty_span=False)


@pytest.mark.parametrize("text", ["12:00", "12-13", "noon-one", "12:00-25:00", ""])
def test_window_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_window(text)


# -- availability ----------------------------------------------------------------------
def test_availability_english() -> None:
    got = parse_availability("mon 09:00-12:00; wed 13:00-17:30; sat 10:00-14:00")
    assert got == (
        WeeklyWindow(0, 540, 720),
        WeeklyWindow(2, 780, 1050),
        WeeklyWindow(5, 600, 840),
    )


def test_availability_dutch_equals_english() -> None:
    nl = parse_availability("ma 09:00-12:00; wo 13:00-17:30; za 10:00-14:00")
    en = parse_availability("mon 09:00-12:00; wed 13:00-17:30; sat 10:00-14:00")
    assert nl == en


def test_all_day_names() -> None:
    short_en = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    short_nl = ["ma", "di", "wo", "do", "vr", "za", "zo"]
    long_nl = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
    for names in (short_en, short_nl, long_nl):
        for i, name in enumerate(names):
            assert DAY_NAMES[name] == i
            assert parse_availability(f"{name} 10:00-11:00") == (WeeklyWindow(i, 600, 660),)


def test_availability_is_case_insensitive() -> None:
    assert parse_availability("Mon 09:00-10:00") == parse_availability("MON 09:00-10:00")


def test_availability_several_days_share_a_span() -> None:
    got = parse_availability("mon,wed 09:00-12:00")
    assert got == (WeeklyWindow(0, 540, 720), WeeklyWindow(2, 540, 720))
    assert parse_availability("ma, wo 09:00-12:00") == got


def test_availability_sorted_and_deduplicated() -> None:
    got = parse_availability("fri 10:00-11:00; mon 09:00-10:00; mon 09:00-10:00")
    assert got == (WeeklyWindow(0, 540, 600), WeeklyWindow(4, 600, 660))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "monday",
        "09:00-12:00",
        "xyz 09:00-12:00",
        "mon 12:00-09:00",
        "mon 09:00-09:00",
        "mon 09:00-25:00",
        "mon,funday 09:00-10:00",
    ],
)
def test_availability_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_availability(text)


def test_availability_error_does_not_echo_the_value() -> None:
    with pytest.raises(ValueError) as info:
        parse_availability("Zoë 09:00-10:00")
    assert "Zoë" not in str(info.value)


# -- dates -----------------------------------------------------------------------------
def test_date() -> None:
    assert parse_date(" 2026-12-03 ") == date(2026, 12, 3)


@pytest.mark.parametrize("text", ["2026-13-01", "03-12-2026", "tomorrow", ""])
def test_date_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="ISO date"):
        parse_date(text)


def test_date_ranges() -> None:
    got = parse_date_ranges("2026-12-28..2027-01-03; 2026-12-24")
    assert got == (
        DateRange(date(2026, 12, 24), date(2026, 12, 24)),
        DateRange(date(2026, 12, 28), date(2027, 1, 3)),
    )
    assert date(2027, 1, 1) in got[1]
    assert date(2027, 1, 4) not in got[1]
    assert "2027-01-01" not in got[1]


def test_date_ranges_empty() -> None:
    assert parse_date_ranges("") == ()
    assert parse_date_ranges(" ; ") == ()


@pytest.mark.parametrize(
    "text", ["2026-12-31..2026-12-01", "2026-12-01..", "christmas", "2026-12-01...2026-12-02"]
)
def test_date_ranges_reject(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date_ranges(text)


def test_days_between() -> None:
    assert days_between(MONDAY, SUNDAY) == [MONDAY + timedelta(days=i) for i in range(7)]


# -- schedules -------------------------------------------------------------------------
def test_schedule_iso_date() -> None:
    s = parse_schedule("2026-12-03")
    assert s == Schedule(on=date(2026, 12, 3))
    assert s.occurrences(MONDAY, SUNDAY, None) == [date(2026, 12, 3)]
    assert s.occurrences(date(2026, 12, 4), SUNDAY, None) == []


def test_schedule_weekdays() -> None:
    s = parse_schedule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    assert not s.needs_start
    assert s.occurrences(MONDAY, SUNDAY, None) == [MONDAY + timedelta(days=i) for i in range(5)]


def test_schedule_rrule_prefix_and_case() -> None:
    s = parse_schedule("RRULE:freq=weekly;byday=sa")
    assert s.occurrences(MONDAY, SUNDAY, None) == [date(2026, 12, 5)]


def test_schedule_daily() -> None:
    s = parse_schedule("FREQ=DAILY")
    assert not s.needs_start
    assert len(s.occurrences(MONDAY, SUNDAY, None)) == 7


def test_schedule_monthly_by_monthday() -> None:
    s = parse_schedule("FREQ=MONTHLY;BYMONTHDAY=1")
    assert not s.needs_start
    assert s.occurrences(MONDAY, SUNDAY, None) == [date(2026, 12, 1)]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
        "FREQ=WEEKLY;BYDAY=TU;COUNT=3",
        "FREQ=WEEKLY",
        "FREQ=MONTHLY",
        "FREQ=YEARLY",
    ],
)
def test_schedule_rules_that_depend_on_dtstart(rule: str) -> None:
    assert parse_schedule(rule).needs_start


@pytest.mark.parametrize(
    "rule", ["FREQ=WEEKLY;INTERVAL=1;BYDAY=TU", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=3"]
)
def test_schedule_rules_independent_of_dtstart(rule: str) -> None:
    assert not parse_schedule(rule).needs_start


def test_schedule_every_other_week_follows_start_date() -> None:
    s = parse_schedule("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
    # start in W49: Tuesdays of W49, W51, ...
    assert s.occurrences(MONDAY, MONDAY + timedelta(days=20), MONDAY) == [
        date(2026, 12, 1),
        date(2026, 12, 15),
    ]
    # start a week earlier: W48, W50, ... so W49 has none
    earlier = MONDAY - timedelta(days=7)
    assert s.occurrences(MONDAY, SUNDAY, earlier) == []
    assert s.occurrences(MONDAY, MONDAY + timedelta(days=13), earlier) == [date(2026, 12, 8)]


def test_schedule_count_counts_from_start_date() -> None:
    s = parse_schedule("FREQ=WEEKLY;BYDAY=TU;COUNT=2")
    start = date(2026, 11, 23)
    assert s.occurrences(MONDAY, SUNDAY, start) == [date(2026, 12, 1)]
    assert s.occurrences(MONDAY + timedelta(days=7), SUNDAY + timedelta(days=7), start) == []


def test_schedule_occurrences_empty_period() -> None:
    assert parse_schedule("FREQ=DAILY").occurrences(SUNDAY, MONDAY, None) == []
    assert parse_schedule("2026-12-03").occurrences(SUNDAY, MONDAY, None) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "every tuesday",
        "BYDAY=TU",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=FORTNIGHTLY",
        "FREQ=WEEKLY;INTERVAL=two",
        "DTSTART:20261201T000000\nRRULE:FREQ=WEEKLY;BYDAY=TU",
        "2026-02-30",
    ],
)
def test_schedule_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(text)


@pytest.mark.parametrize("freq", ["HOURLY", "MINUTELY", "SECONDLY"])
def test_schedule_rejects_sub_daily_frequency(freq: str) -> None:
    with pytest.raises(ValueError, match="DAILY"):
        parse_schedule(f"FREQ={freq}")


# -- UNTIL as calendar programs write it ------------------------------------------------------
def _mondays(first: date, last: date) -> list[date]:
    return [d for d in days_between(first, last) if d.weekday() == 0]


@pytest.mark.parametrize(
    "until", ["20261214T000000Z", "20261214t000000z", "20261214", "20261214T000000", "2026-12-14"]
)
def test_schedule_until_stops_the_rule(until: str) -> None:
    s = parse_schedule(f"FREQ=WEEKLY;BYDAY=MO;UNTIL={until}")
    assert not s.needs_start
    last = date(2026, 12, 14)
    period = (MONDAY, MONDAY + timedelta(days=34))
    got = s.occurrences(*period, None)
    assert got == [d for d in _mondays(*period) if d <= last]
    assert got[-1] == last
    assert len(got) < len(_mondays(*period))


def test_schedule_until_with_z_is_local_time() -> None:
    # 23:00 "UTC" is read as 23:00 local: the Monday at 00:00 after it is not included
    s = parse_schedule("RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261206T230000Z")
    assert s.occurrences(MONDAY, MONDAY + timedelta(days=13), None) == [MONDAY]


def test_schedule_until_z_before_other_parts() -> None:
    s = parse_schedule("FREQ=WEEKLY;UNTIL=20261201T000000Z;BYDAY=MO,WE")
    assert s.occurrences(MONDAY, SUNDAY, None) == [MONDAY]


def test_schedule_made_directly_with_a_z_until() -> None:
    s = Schedule(rule="FREQ=DAILY;UNTIL=20261202T120000Z")
    assert s.occurrences(MONDAY, SUNDAY, None) == days_between(MONDAY, date(2026, 12, 2))


def test_naive_until_leaves_other_rules_alone() -> None:
    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
    assert naive_until(rule) == rule
    assert naive_until("FREQ=DAILY;UNTIL=20270301Z") == "FREQ=DAILY;UNTIL=20270301"


@pytest.mark.parametrize(
    "until", ["20270230", "20270301T250000Z", "soon", "1", "20270301T000000+0100", ""]
)
def test_schedule_rejects_invalid_until(until: str) -> None:
    with pytest.raises(ValueError, match="UNTIL"):
        parse_schedule(f"FREQ=WEEKLY;BYDAY=MO;UNTIL={until}")


def test_schedule_rejects_count_with_until() -> None:
    with pytest.raises(ValueError, match="COUNT or UNTIL"):
        parse_schedule("FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z")


# -- Need.occurrences: schedule clipped to start_date..end_date -----------------------------
def _need(schedule: str, **extra: str) -> Need:
    return Need.model_validate(
        {"need_id": "N1", "client_id": "C1", "schedule": schedule, "window": "10:00-11:00", **extra}
    )


def test_need_occurrences_clipped_to_start_and_end_date() -> None:
    n = _need("FREQ=DAILY", start_date="2026-12-02", end_date="2026-12-04")
    assert n.occurrences(MONDAY, SUNDAY) == [
        date(2026, 12, 2),
        date(2026, 12, 3),
        date(2026, 12, 4),
    ]


def test_need_occurrences_outside_period() -> None:
    assert _need("FREQ=DAILY", end_date="2026-11-29").occurrences(MONDAY, SUNDAY) == []
    assert _need("FREQ=DAILY", start_date="2026-12-07").occurrences(MONDAY, SUNDAY) == []


def test_need_one_off_outside_its_dates() -> None:
    n = _need("2026-12-03", start_date="2026-12-04")
    assert n.occurrences(MONDAY, SUNDAY) == []


def test_need_every_other_week_uses_start_date_as_dtstart() -> None:
    n = _need("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", start_date="2026-11-16")
    # weeks from 2026-11-16 (W47): W47, W49, W51 ...
    assert n.occurrences(MONDAY, SUNDAY) == [date(2026, 12, 1), date(2026, 12, 3)]
    next_week = (MONDAY + timedelta(days=7), SUNDAY + timedelta(days=7))
    assert n.occurrences(*next_week) == []


def test_need_rule_without_required_start_date_is_rejected() -> None:
    with pytest.raises(ValueError, match="start_date"):
        _need("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")


def test_need_with_utc_until_validates_and_stops() -> None:
    n = _need("FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20261202T000000Z")
    assert n.occurrences(MONDAY, SUNDAY) == [date(2026, 12, 1)]
    assert n.occurrences(MONDAY + timedelta(days=7), SUNDAY + timedelta(days=7)) == []


def test_need_with_invalid_until_is_rejected() -> None:
    with pytest.raises(ValueError, match="UNTIL"):
        _need("FREQ=WEEKLY;BYDAY=TU;UNTIL=next-year")
