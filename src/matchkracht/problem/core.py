"""The frozen, integer-indexed planning problem that every solver reads.

All times in a :class:`Problem` are integer minutes; absolute times count from
the horizon's first day at 00:00. This module is numpy only: the pandas side
(reading a registry) is :mod:`matchkracht.problem.build`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from matchkracht.data.horizon import Horizon

__all__ = [
    "CONTINUITY_CODES",
    "FUNNEL_STAGES",
    "KINDS",
    "MINUTES_PER_DAY",
    "PRIORITY_WEIGHTS",
    "TEAM_WINDOW_DAYS",
    "BoolArray",
    "FloatArray",
    "IntArray",
    "Problem",
    "frozen",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Weight of a task in ``weighted_coverage`` by its priority (1 = most important).
PRIORITY_WEIGHTS: dict[int, int] = {1: 4, 2: 2, 3: 1}
#: Kinds of need, in the order of their integer codes.
KINDS: tuple[str, ...] = ("ride", "visit", "meal", "chore", "other")
#: The eligibility funnel: each stage keeps the volunteers of the previous one
#: that also pass it; the reason code when a stage leaves too few.
FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("skills", "no_skill"),
    ("languages", "no_language"),
    ("distance", "too_far"),
    ("availability", "not_available"),
    ("exclusions", "excluded"),
    ("continuity", "continuity"),
)
#: ``max_team`` counts distinct volunteers over this many days (4 weeks).
TEAM_WINDOW_DAYS = 28
CONTINUITY_CODES: dict[str, int] = {"none": 0, "prefer": 1, "strict": 2}
MINUTES_PER_DAY = 1440


def frozen(a: npt.ArrayLike, dtype: Any) -> Any:
    arr = np.ascontiguousarray(np.asarray(a, dtype=dtype))
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Problem:
    """A planning problem as frozen numpy arrays with integer indices.

    Indices: ``task_idx`` into the ``task_*`` arrays, ``vol_idx`` into ``vol_*``,
    ``pair_idx`` into ``pair_*`` (an eligible (task, volunteer) pair), and option
    indices into ``opt_*`` (a pair at one start time). Build one with
    :func:`build_problem`; solvers read it and never change it.
    """

    horizon: Horizon
    grid: int
    volunteer_ids: tuple[str, ...]
    client_ids: tuple[str, ...]
    need_ids: tuple[str, ...]
    task_ids: tuple[str, ...]
    num_weeks: int
    # tasks
    task_need: IntArray
    task_client: IntArray
    task_day: IntArray
    task_week: IntArray
    task_window_lo: IntArray
    task_window_hi: IntArray
    task_duration: IntArray
    task_priority: IntArray
    task_weight: IntArray
    task_needed: IntArray
    task_kind: IntArray
    task_continuity: IntArray
    task_funnel: IntArray
    need_team_cap: IntArray
    task_ll: FloatArray
    # volunteers
    vol_ll: FloatArray
    vol_max_tasks: IntArray
    vol_max_minutes: IntArray
    # pairs
    pair_task: IntArray
    pair_vol: IntArray
    pair_out: IntArray
    pair_back: IntArray
    pair_occupied: IntArray
    pair_km: FloatArray
    pair_helped: BoolArray
    pair_preferred: BoolArray
    pair_team_known: BoolArray
    vol_recent_tasks: IntArray
    # options
    opt_pair: IntArray
    opt_start: IntArray
    opt_depart: IntArray
    opt_return: IntArray
    opt_previous: BoolArray
    opt_locked: BoolArray
    meta: dict[str, Any] = field(default_factory=dict)
    #: ``(k, 2)`` (task, volunteer) index pairs that may not be matched (declined
    #: tasks, ``build_problem(forbid=...)``); the funnel's ``exclusions`` stage.
    forbidden: IntArray = field(default_factory=lambda: frozen(np.zeros((0, 2)), np.int64))

    @property
    def num_tasks(self) -> int:
        """Number of tasks (need occurrences) in the horizon."""
        return len(self.task_ids)

    @property
    def num_volunteers(self) -> int:
        """Number of volunteers."""
        return len(self.volunteer_ids)

    @property
    def num_pairs(self) -> int:
        """Number of eligible (task, volunteer) pairs."""
        return len(self.pair_task)

    @property
    def num_options(self) -> int:
        """Number of (task, volunteer, start) options: the solver's variables."""
        return len(self.opt_pair)

    # computed once per problem (read-only): solvers read them in loops over
    # parts, and on the province (5.9 million options) each fresh gather took
    # 16 ms, 47 of a part's 57 seconds
    @cached_property
    def opt_task(self) -> IntArray:
        """Task of each option."""
        return frozen(self.pair_task[self.opt_pair], np.int64)  # type: ignore[no-any-return]

    @cached_property
    def opt_vol(self) -> IntArray:
        """Volunteer of each option."""
        return frozen(self.pair_vol[self.opt_pair], np.int64)  # type: ignore[no-any-return]

    def __getstate__(self) -> dict[str, Any]:
        # the cached arrays are derived: not sent to Dask workers or pickled
        state = dict(self.__dict__)
        state.pop("opt_task", None)
        state.pop("opt_vol", None)
        return state

    @property
    def total_weight(self) -> int:
        """Sum of the weights of all tasks (denominator of weighted coverage)."""
        return int(self.task_weight.sum())

    def summary(self) -> str:
        """One line with the problem's size."""
        return (
            f"{self.num_tasks} tasks, {self.num_volunteers} volunteers, "
            f"{self.num_pairs} candidate pairs, {self.num_options} start options"
        )
