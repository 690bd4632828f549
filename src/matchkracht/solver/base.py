"""The small protocol every engine and baseline follows, and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from matchkracht.problem import Problem

__all__ = ["Solution", "Solver", "cap_share", "covered_tasks", "weekly_use"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Solution:
    """What an engine returns: chosen options and how good they are proven to be.

    Attributes
    ----------
    options
        Indices of the chosen options (each a task, a volunteer and a start).
    status
        ``"optimal"`` (every tier proven optimal), ``"feasible"`` or ``"no_solution"``.
    bound
        A proven upper bound on the covered task weight (same units as
        ``Problem.task_weight``), or ``None`` when the engine proves none.
    seconds
        Wall-clock seconds spent.
    engine
        Name of the engine.
    stats
        Engine-specific details (per-tier values and statuses, model size, ...).
    """

    options: IntArray
    status: str
    bound: float | None
    seconds: float
    engine: str
    stats: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Solver(Protocol):
    """An engine: settings at construction, a problem at the call."""

    name: str

    def solve(self, problem: Problem) -> Solution:
        """Choose options for ``problem``; never raises for an infeasible instance."""
        ...


def covered_tasks(problem: Problem, options: IntArray) -> npt.NDArray[np.bool_]:
    """Which tasks have all the volunteers they need among ``options``."""
    counts = np.bincount(problem.opt_task[options], minlength=problem.num_tasks)
    return np.asarray(counts >= problem.task_needed)


def weekly_use(problem: Problem, options: IntArray) -> tuple[IntArray, IntArray]:
    """Tasks and occupied minutes of ``options`` per (volunteer, ISO week of the horizon)."""
    p = problem
    tasks = np.zeros((p.num_volunteers, max(p.num_weeks, 1)), dtype=np.int64)
    minutes = np.zeros_like(tasks)
    pairs = p.opt_pair[options]
    at = (p.pair_vol[pairs], p.task_week[p.pair_task[pairs]])
    np.add.at(tasks, at, 1)
    np.add.at(minutes, at, p.pair_occupied[pairs])
    return tasks, minutes


def cap_share(problem: Problem, tasks: IntArray, minutes: IntArray) -> npt.NDArray[np.float64]:
    """Per (volunteer, week), the highest share of a weekly cap in use.

    ``max(tasks / max_tasks, minutes / max_minutes)``; a cap of zero counts as a
    share of zero.
    """
    p = problem
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p.vol_max_tasks[:, None] > 0, tasks / p.vol_max_tasks[:, None], 0.0)
        b = np.where(p.vol_max_minutes[:, None] > 0, minutes / p.vol_max_minutes[:, None], 0.0)
    return np.asarray(np.maximum(a, b), dtype=np.float64)
