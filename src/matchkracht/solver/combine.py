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
* a relaxation's bound, where one was computed: the supply relaxation of
  :func:`~matchkracht.solver.cpsat.supply.supply_bound`, an LP over (task,
  volunteer) pairs of the whole component, tightened with every volunteer's
  exact week (:func:`~matchkracht.solver.cpsat.exact_weeks.weeks_bound`), which the
  engine computes for every component whose plan it has not proven optimal (a
  component split into regions included: the LP sees the whole component,
  each volunteer's time counted once).

A component split into ISO weeks solved one after another has no engine
bound: each week was solved given what the weeks before took (volunteers'
time and care teams), and the best plan of the whole may divide them
differently, so adding up the parts' bounds could under-count what the whole
can cover. A component split into regions (by location) is bounded by the
sum over its regions of each region's bound *widened* by :func:`busy_slack`:
the regions share no task and no care team, so the best plan of the whole,
cut to one region, is a plan of that region with every volunteer's whole
time; and such a plan differs from one that the region's model holds only in
tasks of volunteers who are not wholly the region's (used by the regions
solved before it, :func:`prior_slack`, or left out of an independent region),
whose weight the slack bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Prior

__all__ = ["BOUND_KINDS", "Bound", "busy_slack", "prior_slack", "trivial_bound", "whole_bound"]

IntArray = npt.NDArray[np.int64]

#: What a plan's bound is, from the strongest statement to the weakest:
#: ``coverage_optimal`` (the plan reaches the bound: no plan covers more),
#: ``supply_lp`` (the supply relaxation bounds some component best),
#: ``cpsat`` (CP-SAT's own proven bound, below the trivial one, does) and
#: ``trivial`` (the weight of the tasks that have an option).
BOUND_KINDS: tuple[str, ...] = ("coverage_optimal", "supply_lp", "cpsat", "trivial")


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


def prior_slack(problem: Problem, options: IntArray, prior: Prior | None) -> int:
    """How much more weight a region could cover with its volunteers' whole time.

    ``options`` are all the region's options and ``prior`` what the regions
    solved before it took: :func:`busy_slack` with the volunteers ``prior``
    used as busy, and the needs whose care team it holds members of.
    """
    if prior is None:
        return 0
    used = (prior.tasks.sum(axis=1) > 0) | (prior.minutes.sum(axis=1) > 0)
    return busy_slack(problem, options, used, set(prior.team))


def busy_slack(
    problem: Problem, options: IntArray, busy: npt.NDArray[np.bool_], needs: set[int] | None = None
) -> int:
    """How much more weight a region could cover than a model of it without ``busy``.

    Take the region's best plan (``options``: all its options, every
    volunteer's whole time) and drop every task that a ``busy`` volunteer
    serves in it, and every task of ``needs`` (care teams with members
    elsewhere): what is left uses only volunteers who are wholly the region's,
    so a model where the busy volunteers' time is taken (by the regions
    solved before) or where they are left out (an independent region) still
    holds it, and covers at least as much. The dropped weight is at most the
    returned slack: the weight of the tasks of the busy volunteers' options,
    or (when smaller) per busy volunteer its task cap over the horizon (at
    most its number of tasks) times its heaviest task; plus the weight of the
    tasks of ``needs``. A region with a kept (locked) option gets the weight
    of all its tasks (a lock may not be dropped).
    """
    p = problem
    if not len(options):
        return 0
    tasks = p.opt_task[options]
    if p.opt_locked[options].any():
        return trivial_bound(p, options)
    hit = busy[p.opt_vol[options]]
    weight = p.task_weight
    slack = 0
    if hit.any():
        by_tasks = int(weight[np.unique(tasks[hit])].sum())
        vt = np.unique(p.opt_vol[options][hit] * p.num_tasks + tasks[hit])
        vols, vtasks = vt // p.num_tasks, vt % p.num_tasks
        by_caps = 0
        for v in np.unique(vols).tolist():
            mine = vtasks[vols == v]
            most = min(int(p.vol_max_tasks[v]) * max(p.num_weeks, 1), len(mine))
            by_caps += most * int(weight[mine].max())
        slack += min(by_tasks, by_caps)
    if needs:
        teamed = np.isin(p.task_need[tasks], np.fromiter(needs, dtype=np.int64))
        slack += int(weight[np.unique(tasks[teamed])].sum())
    return slack


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
            best, kind = float(relaxed), "supply_lp"
        kinds[kind] = kinds.get(kind, 0) + 1
        total += best
    if covered >= total - 1e-9:
        return Bound(float(covered), "coverage_optimal", kinds)
    return Bound(total, next(k for k in BOUND_KINDS[1:] if k in kinds), kinds)
