"""The small protocol every engine and baseline follows, and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from matchkracht.problem.core import Problem

__all__ = ["Solution", "Solver"]

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
