"""Plan quality figures: coverage, continuity, travel and load."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import cap_share, covered_tasks, weekly_use
from matchkracht.solver.base import Solution

__all__ = [
    "Rows",
    "bound_kind",
    "compute_metrics",
    "familiar",
    "gini",
    "recurring_tasks",
    "volunteer_load",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def gini(values: npt.ArrayLike) -> float:
    """Gini coefficient of non-negative values (0 = all equal; 0 for all zeros).

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> round(gini([0, 0, 0, 4]), 2)
    0.75
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return 0.0
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum.sum() / cum[-1])) / n)


@dataclass(frozen=True, eq=False)
class Rows:
    """A plan's assignment rows as problem indices: what the metrics read.

    Made from a solver's options (:meth:`from_options`), or by the trips
    engine, whose ride rows need not be options (their occupied time is the
    outing's) and where one ride may have two drivers (way out, way back).

    Attributes
    ----------
    tasks, vols
        Task and volunteer of each row.
    helped, preferred
        The volunteer helped the client before the horizon / is one of the
        client's preferred volunteers.
    starts
        Start of each row's task (minutes from the horizon's start).
    km
        Each row's share of the km driven.
    covered
        Per task: has every volunteer it needs.
    week_tasks, week_minutes
        Per (volunteer, week): tasks (an outing counts once) and occupied minutes.
    """

    tasks: IntArray
    vols: IntArray
    helped: npt.NDArray[np.bool_]
    preferred: npt.NDArray[np.bool_]
    starts: IntArray
    km: FloatArray
    covered: npt.NDArray[np.bool_]
    week_tasks: IntArray
    week_minutes: FloatArray

    @classmethod
    def from_options(cls, problem: Problem, options: IntArray) -> Rows:
        """The rows of a solver's chosen options."""
        p = problem
        tasks, minutes = weekly_use(p, options)
        pairs = p.opt_pair[options]
        return cls(
            tasks=p.pair_task[pairs],
            vols=p.pair_vol[pairs],
            helped=p.pair_helped[pairs],
            preferred=p.pair_preferred[pairs],
            starts=p.opt_start[options],
            km=p.pair_km[pairs],
            covered=covered_tasks(p, options),
            week_tasks=tasks,
            week_minutes=minutes.astype(np.float64),
        )


def volunteer_load(problem: Problem, options: IntArray) -> FloatArray:
    """Per volunteer and ISO week, the highest share of a weekly cap in use.

    Returns an array of shape (volunteers, weeks): ``max(tasks / max_tasks,
    minutes / max_minutes)``; a cap of zero counts as a share of zero.
    """
    return cap_share(problem, *weekly_use(problem, options))


def familiar(problem: Problem, options: IntArray) -> npt.NDArray[np.bool_]:
    """Per option: is the volunteer a familiar face for the client at that time?

    True when the volunteer helped the client before the horizon (history) or
    on an earlier task of this same plan.
    """
    p = problem
    return familiar_rows(p, Rows.from_options(p, options))


def familiar_rows(problem: Problem, rows: Rows) -> npt.NDArray[np.bool_]:
    """:func:`familiar` for a plan's rows."""
    p = problem
    key = p.task_client[rows.tasks] * p.num_volunteers + rows.vols
    order = np.lexsort((rows.starts, key))
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    earlier = np.zeros(len(key), dtype=bool)
    earlier[order] = ~first
    return np.asarray(rows.helped | earlier)


def recurring_tasks(problem: Problem) -> npt.NDArray[np.bool_]:
    """Tasks of needs that occur more than once in the horizon or have a history."""
    p = problem
    counts = np.bincount(p.task_need, minlength=len(p.need_ids))
    return np.asarray(counts[p.task_need] > 1)


def bound_kind(solution: Solution, wc: float, bound: float | None) -> str | None:
    """What proves the bound: ``coverage_optimal`` when the plan reaches it, else the
    engine's ``stats["bound_kind"]`` (``"engine"`` when it names none); ``None`` without one."""
    if bound is None:
        return None
    if bound <= wc + 1e-12:
        return "coverage_optimal"
    return str(solution.stats.get("bound_kind", "engine"))


def compute_metrics(
    problem: Problem, solution: Solution, rows: Rows | None = None
) -> dict[str, Any]:
    """The contract's metrics (and a few more) of a solution.

    ``rows``: the plan's rows when they are not the solution's options (trips).
    """
    p = problem
    opts = solution.options
    rows = rows if rows is not None else Rows.from_options(p, opts)
    covered = rows.covered
    total_w = p.total_weight
    cov_w = int(p.task_weight[covered].sum())
    load = cap_share(p, rows.week_tasks, rows.week_minutes)  # type: ignore[arg-type]
    horizon_load = load.mean(axis=1)  # per volunteer, over the horizon's weeks
    fam = familiar_rows(p, rows)
    rec = recurring_tasks(p)[rows.tasks]
    active = (p.vol_max_tasks > 0) & (p.vol_max_minutes > 0)
    wc = cov_w / total_w if total_w else 1.0
    bound = (
        None if solution.bound is None else (min(solution.bound / total_w, 1.0) if total_w else 1.0)
    )
    return {
        "tasks": int(p.num_tasks),
        "covered": int(covered.sum()),
        "coverage": float(covered.mean()) if p.num_tasks else 1.0,
        "weighted_coverage": float(wc),
        "travel_km": float(round(rows.km.sum(), 3)),
        "continuity": float(fam.mean()) if len(fam) else 0.0,
        "continuity_recurring": float(fam[rec].mean()) if rec.any() else 0.0,
        "max_load": float(horizon_load.max()) if load.size else 0.0,
        "max_week_load": float(load.max()) if load.size else 0.0,
        "gini_load": gini(horizon_load[active]) if active.any() else 0.0,
        "solve_seconds": float(round(solution.seconds, 4)),
        "status": solution.status,
        "bound": None if bound is None else float(max(bound, wc)),
        "gap": None if bound is None else float(max(bound - wc, 0.0)),
        "bound_kind": bound_kind(solution, wc, bound),
        "assignments": len(fam),
        "preferred": float(rows.preferred.mean()) if len(fam) else 0.0,
        "volunteers_used": len(np.unique(rows.vols)),
        "volunteers": int(p.num_volunteers),
        "candidate_pairs": int(p.num_pairs),
        "options": int(p.num_options),
        "engine": solution.engine,
    }
