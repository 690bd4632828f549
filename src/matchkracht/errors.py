"""Exceptions and warnings of matchkracht.

Every exception the library raises on purpose derives from :class:`MatchkrachtError`.
Messages name ids, table names, row numbers and columns, never names or addresses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "InvalidRegistryError",
    "InvalidSettingsError",
    "MatchkrachtError",
    "MatchkrachtWarning",
]

#: Columns whose values are personal data and are never echoed in messages.
PERSONAL_COLUMNS = frozenset({"name", "address"})


def _isna(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


class MatchkrachtError(Exception):
    """Base class of every error raised by matchkracht."""


class MatchkrachtWarning(UserWarning):
    """Base class of the warnings matchkracht emits."""


class InvalidSettingsError(MatchkrachtError, ValueError, TypeError):
    """A setting (time limit, seed, weights, horizon, ...) has an invalid value."""


class InvalidRegistryError(MatchkrachtError, ValueError):
    """The registry tables break the data contract.

    All problems are collected before this is raised (lazy validation), so one
    error lists every bad cell.

    Parameters
    ----------
    problems
        One row per problem with the columns ``table``, ``row``, ``column``,
        ``value`` and ``expected``. ``row`` is the spreadsheet row number (the
        header is row 1, the first record row 2), or ``None`` for problems of a
        whole table (such as a missing column).

    Attributes
    ----------
    problems : pandas.DataFrame
        The failure cases, as passed in.
    """

    def __init__(self, problems: pd.DataFrame) -> None:
        self.problems = problems
        super().__init__(self._format(problems))

    @staticmethod
    def _format(problems: pd.DataFrame) -> str:
        n = len(problems)
        lines = [f"The registry has {n} problem{'s' if n != 1 else ''}:"]
        for rec in problems.to_dict("records"):
            where = f"{rec['table']}"
            row = rec["row"]
            if not _isna(row) and str(row) != "<NA>":
                where += f", row {int(str(row))}"
            if rec["column"]:
                where += f", column '{rec['column']}'"
            value = "" if _isna(rec["value"]) else str(rec["value"])
            shown = f": got {value!r}" if value != "" else ": empty"
            lines.append(f"  - {where}{shown}; expected {rec['expected']}")
        return "\n".join(lines)
