"""Planning horizons: an ISO week, several weeks, or an explicit date range."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import date, timedelta

from matchkracht.errors import InvalidSettingsError

__all__ = ["Horizon"]

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Horizon:
    """The days to plan, ``first`` to ``last`` inclusive (local, naive dates).

    Examples
    --------
    >>> Horizon.from_week("2026-W49")
    Horizon(first=datetime.date(2026, 11, 30), last=datetime.date(2026, 12, 6))
    >>> Horizon.from_week("2026-W49", weeks=2).num_days
    14
    """

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidSettingsError(
                f"The horizon must end on or after its first day; got {self.first} to {self.last}."
            )

    @classmethod
    def from_week(cls, week: str, weeks: int = 1) -> Horizon:
        """The ISO week ``YYYY-Www`` (Monday to Sunday), or ``weeks`` weeks from it."""
        m = _WEEK.match(str(week))
        if not m:
            raise InvalidSettingsError(
                f"The 'week' parameter must be an ISO week like '2026-W49'; got {week!r} instead."
            )
        try:
            num = operator.index(weeks)  # ints, numpy ints; not "2" or 2.5
        except TypeError:
            num = 0
        if isinstance(weeks, bool) or not 1 <= num <= 53:
            raise InvalidSettingsError(
                "The 'weeks' parameter must be a whole number between 1 and 53; "
                f"got {weeks!r} instead."
            )
        try:
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            raise InvalidSettingsError(
                f"The 'week' parameter must name an existing ISO week; got {week!r} instead."
            ) from None
        return cls(monday, monday + timedelta(days=7 * num - 1))

    @classmethod
    def parse(cls, spec: str | Horizon | tuple[date | str, date | str]) -> Horizon:
        """A horizon from an ISO week, ``'YYYY-MM-DD..YYYY-MM-DD'``, or a (first, last) pair."""
        if isinstance(spec, Horizon):
            return spec
        if isinstance(spec, tuple):
            try:
                a, b = (d if isinstance(d, date) else date.fromisoformat(d) for d in spec)
            except (TypeError, ValueError):
                raise InvalidSettingsError(
                    f"The horizon must be a pair of dates (first, last); got {spec!r} instead."
                ) from None
            return cls(a, b)
        if ".." in spec:
            a_text, b_text = spec.split("..", 1)
            try:
                return cls(date.fromisoformat(a_text.strip()), date.fromisoformat(b_text.strip()))
            except ValueError:
                raise InvalidSettingsError(
                    "The horizon must be an ISO week like '2026-W49' or a date range like "
                    f"'2026-12-01..2026-12-07'; got {spec!r} instead."
                ) from None
        return cls.from_week(spec)

    @property
    def num_days(self) -> int:
        """Number of days in the horizon."""
        return (self.last - self.first).days + 1

    @property
    def days(self) -> list[date]:
        """Every day of the horizon."""
        return [self.first + timedelta(days=i) for i in range(self.num_days)]

    @property
    def label(self) -> str:
        """``2026-W49`` for a single ISO week, else ``first..last``."""
        y, w, d = self.first.isocalendar()
        if d == 1 and self.num_days == 7:
            return f"{y}-W{w:02d}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def iso_weeks(self) -> list[tuple[int, int]]:
        """The distinct ISO (year, week) pairs the horizon touches, in order."""
        seen: list[tuple[int, int]] = []
        for day in self.days:
            key = day.isocalendar()[:2]
            if key not in seen:
                seen.append((key[0], key[1]))
        return seen

    def week_index(self, day: date) -> int:
        """Index into :meth:`iso_weeks` of the ISO week of ``day``."""
        y, w, _ = day.isocalendar()
        return self.iso_weeks().index((y, w))
