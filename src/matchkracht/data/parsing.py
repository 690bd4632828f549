"""Parsers for the text formats of the data contract.

Each parser takes the text of one cell and returns a structured value, or raises
``ValueError`` with a message that says what was expected (never echoing the
value itself, which the caller reports in a privacy-aware way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.rrule import rrule, rrulestr

__all__ = [
    "DAY_NAMES",
    "DateRange",
    "Schedule",
    "WeeklyWindow",
    "format_minutes",
    "naive_until",
    "parse_availability",
    "parse_clock",
    "parse_date",
    "parse_date_ranges",
    "parse_schedule",
    "parse_tags",
    "parse_window",
]

#: Accepted day names (English and Dutch, short and long) mapped to 0 = Monday.
DAY_NAMES: dict[str, int] = {}
for _i, _names in enumerate(
    [
        ("mon", "monday", "ma", "maandag"),
        ("tue", "tuesday", "di", "dinsdag"),
        ("wed", "wednesday", "wo", "woensdag"),
        ("thu", "thursday", "do", "donderdag"),
        ("fri", "friday", "vr", "vrijdag"),
        ("sat", "saturday", "za", "zaterdag"),
        ("sun", "sunday", "zo", "zondag"),
    ]
):
    for _n in _names:
        DAY_NAMES[_n] = _i

_CLOCK = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")
_SPAN = re.compile(r"^\s*(\d{1,2}[:.]\d{2})\s*-\s*(\d{1,2}[:.]\d{2})\s*$")
_DAY_SPAN = re.compile(
    r"^\s*([A-Za-z]+(?:\s*,\s*[A-Za-z]+)*)\s+(\d{1,2}[:.]\d{2}\s*-\s*\d{1,2}[:.]\d{2})\s*$"
)


@dataclass(frozen=True, order=True)
class WeeklyWindow:
    """A weekly availability window: ``day`` (0 = Monday), minutes from midnight."""

    day: int
    start: int
    end: int


@dataclass(frozen=True, order=True)
class DateRange:
    """An inclusive range of dates."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


@dataclass(frozen=True)
class Schedule:
    """When a need recurs: a one-off ``date`` or an RFC 5545 ``rule``.

    Exactly one of ``on`` (a one-off date) and ``rule`` is set. ``needs_start`` tells whether the
    rule's days depend on its DTSTART (INTERVAL > 1, COUNT, or a frequency whose
    day is taken from DTSTART), in which case a ``start_date`` is required.
    """

    on: date | None = None
    rule: str | None = None
    needs_start: bool = False

    def occurrences(self, first: date, last: date, start_date: date | None) -> list[date]:
        """Dates of this schedule within ``first..last`` (inclusive).

        Parameters
        ----------
        first, last
            The period asked for (e.g. the planning horizon, already clipped to
            the need's ``start_date``/``end_date``).
        start_date
            The need's ``start_date``: the rule's DTSTART. When ``None`` the rule
            must not depend on DTSTART and ``first`` is used.
        """
        if first > last:
            return []
        if self.on is not None:
            return [self.on] if first <= self.on <= last else []
        assert self.rule is not None
        dtstart = datetime.combine(start_date or first, datetime.min.time())
        rule = rrulestr(naive_until(self.rule), dtstart=dtstart)
        lo = datetime.combine(first, datetime.min.time())
        hi = datetime.combine(last, datetime.min.time())
        return [d.date() for d in rule.between(lo, hi, inc=True)]


_UNTIL_UTC = re.compile(r"(UNTIL=\d{8}(?:T\d{6})?)Z(?=\s*(?:;|$))", re.IGNORECASE)


def naive_until(rule: str) -> str:
    """Drop the ``Z`` (UTC) of an RRULE's ``UNTIL``, so that it is read as local time.

    Calendar programs write ``UNTIL=20270301T000000Z``; dateutil refuses such an
    aware ``UNTIL`` next to a naive DTSTART. The library works in naive local time
    (Europe/Amsterdam), so the ``Z`` is dropped: ``UNTIL=20270301T000000``.

    Examples
    --------
    >>> naive_until("FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T000000Z")
    'FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T000000'
    >>> naive_until("FREQ=WEEKLY;UNTIL=20270301z;BYDAY=MO")
    'FREQ=WEEKLY;UNTIL=20270301;BYDAY=MO'
    """
    return _UNTIL_UTC.sub(r"\1", rule.strip())


def parse_tags(text: str) -> frozenset[str]:
    """Parse ``a;b; c`` into a set of lower-case tags (empty parts are ignored)."""
    return frozenset(t.strip().lower() for t in str(text).split(";") if t.strip())


def parse_clock(text: str) -> int:
    """Parse ``HH:MM`` (``24:00`` allowed) into minutes after midnight."""
    m = _CLOCK.match(text)
    if not m:
        raise ValueError("a time as HH:MM")
    h, mi = int(m.group(1)), int(m.group(2))
    if mi >= 60 or h > 24 or (h == 24 and mi != 0):
        raise ValueError("a time between 00:00 and 24:00")
    return h * 60 + mi


def format_minutes(minutes: int) -> str:
    """Format minutes after midnight as ``HH:MM``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_window(text: str, *, allow_empty_span: bool = True) -> tuple[int, int]:
    """Parse ``HH:MM-HH:MM`` into (start, end) minutes; end must not be before start."""
    m = _SPAN.match(str(text))
    if not m:
        raise ValueError("a window as HH:MM-HH:MM, e.g. 12:00-12:15")
    lo, hi = parse_clock(m.group(1)), parse_clock(m.group(2))
    if hi < lo or (hi == lo and not allow_empty_span):
        raise ValueError("a window whose end is not before its start")
    return lo, hi


def parse_availability(text: str) -> tuple[WeeklyWindow, ...]:
    """Parse weekly windows such as ``mon 09:00-12:00; wo 13:00-17:30``.

    Several days may share a span (``mon,wed 09:00-12:00``); Dutch and English day
    names, short or long, are accepted. Each window must end after it starts.
    """
    out: list[WeeklyWindow] = []
    parts = [p for p in str(text).split(";") if p.strip()]
    if not parts:
        raise ValueError("at least one weekly window, e.g. 'mon 09:00-12:00; wed 13:00-17:30'")
    for part in parts:
        m = _DAY_SPAN.match(part)
        if not m:
            raise ValueError(
                "weekly windows as 'day HH:MM-HH:MM' separated by ';', "
                "e.g. 'mon 09:00-12:00; wed 13:00-17:30'"
            )
        days = [d.strip().lower() for d in m.group(1).split(",")]
        unknown = [d for d in days if d not in DAY_NAMES]
        if unknown:
            raise ValueError("day names mon tue wed thu fri sat sun (or ma di wo do vr za zo)")
        lo, hi = parse_window(m.group(2), allow_empty_span=False)
        out.extend(WeeklyWindow(DAY_NAMES[d], lo, hi) for d in days)
    return tuple(sorted(set(out)))


def parse_date(text: str) -> date:
    """Parse an ISO date ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError("an ISO date YYYY-MM-DD") from None


def parse_date_ranges(text: str) -> tuple[DateRange, ...]:
    """Parse ``2026-12-24; 2026-12-28..2027-01-03`` into inclusive date ranges."""
    out: list[DateRange] = []
    for part in str(text).split(";"):
        part = part.strip()
        if not part:
            continue
        if ".." in part:
            a, b = part.split("..", 1)
            try:
                first, last = date.fromisoformat(a.strip()), date.fromisoformat(b.strip())
            except ValueError:
                raise ValueError("dates YYYY-MM-DD or ranges YYYY-MM-DD..YYYY-MM-DD") from None
            if last < first:
                raise ValueError("date ranges whose last date is not before the first")
            out.append(DateRange(first, last))
        else:
            try:
                d = date.fromisoformat(part)
            except ValueError:
                raise ValueError("dates YYYY-MM-DD or ranges YYYY-MM-DD..YYYY-MM-DD") from None
            out.append(DateRange(d, d))
    return tuple(sorted(out))


def _check_until(value: str) -> None:
    """Accept an UNTIL of ``YYYYMMDD``, ``YYYYMMDDTHHMMSS`` (``Z`` already dropped) or ISO."""
    for fmt in ("%Y%m%d", "%Y%m%dT%H%M%S", "%Y-%m-%d"):
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            continue
        return
    raise ValueError(
        "an RRULE whose UNTIL is a date YYYYMMDD or a date and time YYYYMMDDTHHMMSS "
        "(a trailing Z is read as local time), e.g. UNTIL=20270301"
    )


def parse_schedule(text: str) -> Schedule:
    """Parse a need's schedule: an ISO date or an RFC 5545 RRULE."""
    s = str(text).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        return Schedule(on=parse_date(s))
    if s.upper().startswith("RRULE:"):
        s = s[6:]
    if "FREQ=" not in s.upper():
        raise ValueError(
            "an ISO date (2026-12-03) or an RRULE such as FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        )
    if "DTSTART" in s.upper():
        raise ValueError("an RRULE without DTSTART (use the start_date column)")
    s = naive_until(s)
    parts = {
        k.strip(): v.strip() for k, v in (p.split("=", 1) for p in s.upper().split(";") if "=" in p)
    }
    if "UNTIL" in parts:
        _check_until(parts["UNTIL"])
        if "COUNT" in parts:
            raise ValueError("an RRULE with COUNT or UNTIL, not both")
    try:
        rule = rrulestr(s, dtstart=datetime(2000, 1, 3))
    except (ValueError, TypeError):
        raise ValueError(
            "a valid RRULE such as FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR "
            "or FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
        ) from None
    assert isinstance(rule, rrule)
    freq = parts.get("FREQ", "")
    if freq not in {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}:
        raise ValueError("an RRULE with FREQ=DAILY, WEEKLY, MONTHLY or YEARLY")
    needs_start = (
        int(parts.get("INTERVAL", "1") or 1) > 1
        or "COUNT" in parts
        or (freq == "WEEKLY" and "BYDAY" not in parts)
        or (freq == "MONTHLY" and not ({"BYDAY", "BYMONTHDAY", "BYSETPOS"} & parts.keys()))
        or (freq == "YEARLY" and not ({"BYMONTH", "BYYEARDAY", "BYWEEKNO"} & parts.keys()))
    )
    return Schedule(rule=s, needs_start=needs_start)


def days_between(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
