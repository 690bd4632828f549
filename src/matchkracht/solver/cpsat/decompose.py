"""Splitting a problem into parts solved apart, and what one part starts from.

:func:`components` finds groups of options that share no task, volunteer or
care team: they are independent (``exact`` parts) and could be solved in any
order or at once. A component too large for one model is split further into
regions (:func:`split_region`) or, on a multi-week horizon, into its ISO weeks
(:func:`split_weeks`); those parts share volunteers and are solved one after
another, each seeing what the parts before it took. With
``regions="independent"`` the regions are made independent instead
(:func:`independent_parts`: every volunteer in one home part), followed by a
second chance for the tasks they left uncovered.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import matchkracht.solver.cpsat.budget as tuning
from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Calendar
from matchkracht.solver.combine import trivial_bound
from matchkracht.solver.cpsat.linear import BoolArray, IntArray, groups

__all__ = [
    "Part",
    "Split",
    "complete_teams",
    "components",
    "fitting_hint",
    "home_parts",
    "independent_parts",
    "split_parts",
    "split_region",
    "split_weeks",
    "splits_by_week",
]


def components(problem: Problem, options: IntArray | None = None) -> list[IntArray]:
    """Split options into groups that share no task, no volunteer and no care team.

    Tasks of one need with a ``max_team`` cap stay together: the cap links them.

    Parameters
    ----------
    problem
        The problem.
    options
        Option indices to split (default: all); only links among them count.

    Returns
    -------
    list of numpy.ndarray
        Option indices of each component, smallest component first.
    """
    p = problem
    if options is None:
        options = np.arange(p.num_options, dtype=np.int64)
    if not len(options):
        return []
    n = p.num_tasks + p.num_volunteers + len(p.need_ids)
    tasks = np.unique(p.opt_task[options])
    capped = tasks[p.need_team_cap[p.task_need[tasks]] >= 0]
    pairs = np.unique(p.opt_pair[options])
    rows = np.concatenate([p.pair_task[pairs], capped])
    cols = np.concatenate(
        [p.num_tasks + p.pair_vol[pairs], p.num_tasks + p.num_volunteers + p.task_need[capped]]
    )
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    opt_label = labels[p.opt_task[options]]
    order = np.argsort(opt_label, kind="stable")
    splits = np.flatnonzero(np.diff(opt_label[order])) + 1
    groups = [options[g] for g in np.split(order, splits)]
    return sorted(groups, key=lambda g: (len(g), int(g[0])))


def split_region(
    problem: Problem, options: IntArray, seed: int = 0, part_options: int = tuning.REGION_OPTIONS
) -> list[IntArray]:
    """Split one very large component into independent regional parts.

    Tasks are clustered by the client's location (k-means, seeded) into parts
    of about ``part_options`` options; every option of a task stays in its
    task's part. The parts share no task and no care team but do share
    volunteers: they are solved one after another, each seeing what the parts
    before it took of a volunteer's time and weekly caps (see
    :func:`~matchkracht.solver.cpsat.engine.solve_part`). This is a heuristic: the bound of the whole
    component stays the trivial one.
    """
    from scipy.cluster.vq import kmeans2

    p = problem
    tasks = np.unique(p.opt_task[options])
    coords = p.task_ll[tasks]
    places = len(np.unique(coords, axis=0))
    # no more clusters than distinct places (k-means++ needs that many)
    k = min(max(2, math.ceil(len(options) / part_options)), places)
    if k < 2:
        return [options]
    scale = np.array([1.0, math.cos(math.radians(float(coords[:, 0].mean())))])
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        # an empty cluster is harmless here: it becomes no part
        warnings.filterwarnings("ignore", message="One of the clusters is empty")
        _, labels = kmeans2(coords * scale, k, minit="++", seed=rng)
    task_label = np.full(p.num_tasks, -1, dtype=np.int64)
    task_label[tasks] = labels
    opt_label = task_label[p.opt_task[options]]
    parts = [options[opt_label == c] for c in range(k)]
    return sorted((q for q in parts if len(q)), key=len)


def splits_by_week(problem: Problem, options: IntArray) -> bool:
    """Whether a component is solved one ISO week at a time (large, several weeks)."""
    weeks = problem.task_week[problem.opt_task[options]]
    return len(options) >= tuning.WEEK_SPLIT and bool(weeks.min() != weeks.max())


def split_weeks(problem: Problem, options: IntArray) -> list[IntArray]:
    """Split a component of a multi-week horizon into its ISO weeks, in order.

    Weekly caps never link two weeks, so the weeks are almost independent: only
    care teams (``max_team``), familiar faces and the rare interval crossing a
    week's end link them. Week *k* is solved after weeks 1..k-1 and sees what
    they hold (:class:`Prior`): their team members, the faces and weekly slots
    they served (serving those again is no new face), and their calendar.
    """
    weeks = problem.task_week[problem.opt_task[options]]
    return [options[weeks == w] for w in np.unique(weeks).tolist()]


def complete_teams(problem: Problem, options: IntArray, values: BoolArray) -> BoolArray:
    """``values`` without the options of tasks that lack team members among them.

    A part of a split component may hold only some members of a hinted team;
    dropping such incomplete teams keeps the hint (and the fallback plan) feasible.
    """
    tasks = problem.opt_task[options]
    counts = np.bincount(tasks[values], minlength=problem.num_tasks)
    return np.asarray(values & (counts[tasks] >= problem.task_needed[tasks]))


def fitting_hint(
    problem: Problem, options: IntArray, hint: BoolArray, calendar: Calendar
) -> BoolArray:
    """The hinted options that still fit the calendar, whole teams only."""
    trial = calendar.copy()
    out = np.zeros(len(options), dtype=bool)
    pos = np.flatnonzero(hint)
    tasks = problem.opt_task[options[pos]]
    for group in groups(tasks) if len(pos) else []:
        members = pos[group]
        if len(members) < problem.task_needed[tasks[group[0]]]:
            continue
        if trial.fits_together([int(options[i]) for i in members.tolist()]):
            for i in members.tolist():
                trial.take(int(options[i]))
            out[members] = True
    return out


@dataclass(frozen=True)
class Part:
    """One part of a solve: a whole component or a part of a split one.

    Attributes
    ----------
    options
        Its option indices.
    exact
        A whole component: it shares nothing with any other part, so it can be
        solved on its own, in any order (its bound counts as proven).
    key
        Its order: (component size, first option, part number); parts of a
        split component keep their order.
    early, last
        A week part before the last of its component, the last week part.
    free
        Shares nothing with any other part (a whole component, or an
        independent region): solved with a fixed share of the budget, at the
        same time as the other free parts (on Dask when given a cluster).
    second
        A second chance after independent regions: the options of the whole
        component; its tasks still uncovered are solved with every option of
        theirs that still fits (``options`` are the dropped ones, for its budget).
    region
        A region of a component split by location and solved in turn: it
        shares no task and no care team with the other regions, only
        volunteers (so its bound, widened by what the regions before took,
        bounds it; see :func:`~matchkracht.solver.combine.prior_slack`).
    whole
        An independent region: its options before those of volunteers living
        in another region were dropped (its bound, widened by their tasks,
        bounds it; see :func:`~matchkracht.solver.combine.busy_slack`).
    """

    options: IntArray
    exact: bool
    key: tuple[int, int, int]
    early: bool = False
    last: bool = False
    free: bool = False
    second: IntArray | None = None
    region: bool = False
    whole: IntArray | None = None

    @property
    def component(self) -> tuple[int, int]:
        """The component it belongs to."""
        return self.key[:2]


@dataclass(frozen=True)
class Split:
    """The parts of a problem, in solving order, with what splitting cost.

    ``bound`` is the trivial bound (all task weight) of the split components.
    ``emptied``: per component split into independent regions, the regions
    that kept no option (every volunteer of theirs lives elsewhere), by their
    options before the split dropped them.
    """

    parts: list[Part]
    bound: float
    regions: int
    week_parts: int
    emptied: dict[tuple[int, int], list[IntArray]] = field(default_factory=dict)


def split_parts(problem: Problem, seed: int = 0, regions: str = "in_turn") -> Split:
    """The problem's components, with the too large ones split into regions or weeks.

    ``regions="independent"``: the regions of a split component are made
    independent (:func:`independent_parts`) and followed by a second chance.
    """
    out: list[Part] = []
    emptied: dict[tuple[int, int], list[IntArray]] = {}
    bound = 0.0
    n_regions = week_parts = 0
    for comp in components(problem):
        key = (len(comp), int(comp[0]))
        if len(comp) > tuning.MAX_COMPONENT:
            pieces = split_region(problem, comp, seed, tuning.REGION_OPTIONS)
            n_regions += len(pieces)
            apart = independent_parts(problem, pieces) if regions == "independent" else None
            if apart is None:
                out.extend(Part(q, False, (*key, i), region=True) for i, q in enumerate(pieces))
            else:
                for i, (q, whole) in enumerate(zip(apart[0], pieces, strict=True)):
                    if len(q):
                        out.append(Part(q, False, (*key, i), free=True, whole=whole))
                    else:
                        emptied.setdefault(key, []).append(whole)
                out.append(Part(apart[1], False, (*key, len(pieces)), second=comp))
        elif splits_by_week(problem, comp):
            pieces = split_weeks(problem, comp)
            week_parts += len(pieces)
            n = len(pieces)
            out.extend(
                Part(q, False, (*key, i), early=i < n - 1, last=i == n - 1)
                for i, q in enumerate(pieces)
            )
        else:
            out.append(Part(comp, True, (*key, 0), free=True))
            continue
        bound += trivial_bound(problem, comp)
    out.sort(key=lambda q: q.key)
    return Split(out, bound, n_regions, week_parts, emptied)


def home_parts(problem: Problem, parts: Sequence[IntArray]) -> tuple[IntArray, IntArray, IntArray]:
    """Each volunteer's home part: the part where it can serve the most task weight.

    Parameters
    ----------
    problem
        The problem.
    parts
        Option index sets that share no task (the parts of one component).

    Returns
    -------
    options, label, home
        All options of the parts (concatenated), the part of each, and per
        volunteer the home part (-1 for a volunteer without options there).
        A volunteer with a locked option (a kept assignment) lives where that
        option is; ties go to the part listed first.
    """
    p = problem
    options = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    label = np.repeat(np.arange(len(parts), dtype=np.int64), [len(q) for q in parts])
    home = np.full(p.num_volunteers, -1, dtype=np.int64)
    if not len(options):
        return options, label, home
    pair = p.opt_pair[options]
    # one vote per (pair, part), worth the task's weight; a locked pair outweighs all
    pair_part = np.unique(pair * len(parts) + label)
    votes_pair = pair_part // len(parts)
    votes_part = pair_part % len(parts)
    weight = p.task_weight[p.pair_task[votes_pair]].astype(np.float64)
    locked = np.zeros(p.num_pairs, dtype=bool)
    locked[p.opt_pair[options[p.opt_locked[options]]]] = True
    weight[locked[votes_pair]] += float(p.task_weight.sum()) + 1.0
    vols = p.pair_vol[votes_pair]
    table = coo_matrix((weight, (vols, votes_part)), shape=(p.num_volunteers, len(parts))).toarray()
    has = table.max(axis=1) > 0
    home[has] = np.argmax(table[has], axis=1)
    return options, label, home


def independent_parts(
    problem: Problem, parts: Sequence[IntArray]
) -> tuple[list[IntArray], IntArray] | None:
    """The parts with each volunteer's options outside its home part dropped.

    Parameters
    ----------
    problem
        The problem.
    parts
        Option index sets of one component that share no task and no care
        team (:func:`~matchkracht.solver.cpsat.split_region`).

    Returns
    -------
    tuple or None
        The independent parts (in the order given; a part may become empty)
        and the dropped options; ``None`` when locked options of one volunteer
        lie in two parts (they cannot be separated; solve the parts in turn).
    """
    p = problem
    options, label, home = home_parts(problem, parts)
    if not len(options):
        return [np.zeros(0, dtype=np.int64) for _ in parts], options
    keep = home[p.opt_vol[options]] == label
    if bool((p.opt_locked[options] & ~keep).any()):
        return None
    kept = [options[keep & (label == i)] for i in range(len(parts))]
    return kept, np.sort(options[~keep])
