"""What the store hands back: a publication (week, version, what changed) and the retention rule."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from matchkracht.errors import InvalidSettingsError

logger = logging.getLogger("matchkracht")


@dataclass(frozen=True)
class Publication:
    """What :meth:`Store.publish` stored: the week, its version and what changed.

    Attributes
    ----------
    week : str
        The week label (``2026-W49``).
    version : int
        1 for a week's first plan; each later publish adds one (earlier versions stay).
    changes : dict of str to int
        Per kind of change (``kept``, ``moved``, ``reassigned``, ``dropped``,
        ``added``), the number of assignments, against the version before; empty
        for version 1.
    diff : pandas.DataFrame or None
        The diff against the version before (:func:`matchkracht.replan.plan_diff`).
    """

    week: str
    version: int
    changes: dict[str, int] = field(default_factory=dict)
    diff: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def summary(self) -> str:
        """One line: the version stored and what changed (ids only)."""
        if self.version == 1:
            return f"{self.week}: version 1 published"
        counts = ", ".join(f"{n} {kind}" for kind, n in self.changes.items()) or "no assignments"
        return (
            f"{self.week}: version {self.version} published (version {self.version - 1} kept); "
            f"against it: {counts}"
        )


@dataclass(frozen=True)
class Retention:
    """The retention rule: history older than ``months`` is deleted or pseudonymised."""

    months: int
    mode: Literal["delete", "pseudonymise"] = "pseudonymise"

    def __post_init__(self) -> None:
        if isinstance(self.months, bool) or not isinstance(self.months, int) or self.months < 1:
            raise InvalidSettingsError(
                f"The retention 'months' must be a whole number >= 1; got {self.months!r} instead."
            )
        if self.mode not in ("delete", "pseudonymise"):
            raise InvalidSettingsError(
                "The retention 'mode' must be 'delete' or 'pseudonymise'; "
                f"got {self.mode!r} instead."
            )
