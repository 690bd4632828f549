"""One proven bound for a whole plan, from the bounds of its independent components.

A solve splits the problem into components that share no task, no volunteer
and no care team (:func:`~matchkracht.solver.cpsat.components`). The best plan
of the whole is then the union of the components' best plans: nothing links
them, so no weekly cap or care team is counted twice or left out, and the sum
of valid bounds on the components is a valid bound on the whole. Per component
the smallest valid bound counts:

* the trivial one, the weight of its tasks that have an option;
* the engine's own proven bound, where the component was solved as one model
  (CP-SAT's best objective bound of the coverage tier, rounded down);
* a relaxation's bound (the day relaxation of
  :func:`~matchkracht.solver.bounds.day_bound`), where one was computed.

A component split into parts solved one after another (region parts, ISO
weeks) has no engine bound: each part was solved given what the parts before
took, and the best plan of the whole may divide the shared volunteers' time
differently. Adding up those parts' bounds could under-count what the whole
can cover, so they are never used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matchkracht.problem.core import Problem

__all__ = ["BOUND_KINDS", "Bound", "trivial_bound", "whole_bound"]

IntArray = npt.NDArray[np.int64]

#: What a plan's bound is, from the strongest statement to the weakest:
#: ``coverage_optimal`` (the plan reaches the bound: no plan covers more),
#: ``day_relaxation`` (the day relaxation bounds some component best),
#: ``cpsat`` (CP-SAT's own proven bound, below the trivial one, does) and
#: ``trivial`` (the weight of the tasks that have an option).
BOUND_KINDS: tuple[str, ...] = ("coverage_optimal", "day_relaxation", "cpsat", "trivial")


@dataclass(frozen=True)
class Bound:
    """A proven upper bound on covered weight and what proves it.

    Attributes
    ----------
    value : float
        The bound, in the units of ``Problem.task_weight``.
    kind : str
        One of :data:`BOUND_KINDS`: ``coverage_optimal`` when the plan reaches
        the bound, else the kind of the strongest bound that some component
        contributes (the order of :data:`BOUND_KINDS`).
    kinds : dict
        Per kind, the number of components whose bound it gave.
    """

    value: float
    kind: str
    kinds: dict[str, int] = field(default_factory=dict)


def trivial_bound(problem: Problem, options: IntArray) -> int:
    """The weight of the tasks that have an option among ``options``."""
    return int(problem.task_weight[np.unique(problem.opt_task[options])].sum())


def whole_bound(
    problem: Problem,
    pieces: Sequence[tuple[IntArray, float | None, float | None]],
    covered: float,
) -> Bound:
    """The bound of a whole plan from the bounds of its independent components.

    Parameters
    ----------
    problem
        The problem.
    pieces
        Per independent component: its option indices, the engine's proven
        bound on its covered weight (``None`` when it proves none, e.g. a
        component split into parts solved one after another) and a
        relaxation's bound (``None`` when not computed).
    covered
        The plan's covered weight.

    Returns
    -------
    Bound
        The sum over the components of the smallest of the three bounds
        (see the module docstring for why the sum is valid), and its kind.

    """
    total = 0.0
    kinds: dict[str, int] = {}
    for options, engine, relaxed in pieces:
        best, kind = float(trivial_bound(problem, options)), "trivial"
        if engine is not None and engine < best:
            best, kind = float(engine), "cpsat"
        if relaxed is not None and relaxed < best:
            best, kind = float(relaxed), "day_relaxation"
        kinds[kind] = kinds.get(kind, 0) + 1
        total += best
    if covered >= total - 1e-9:
        return Bound(float(covered), "coverage_optimal", kinds)
    return Bound(total, next(k for k in BOUND_KINDS[1:] if k in kinds), kinds)
