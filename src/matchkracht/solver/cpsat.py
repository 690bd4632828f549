"""The CP-SAT engine: a time-indexed model over the problem's start options.

Formulation (one boolean per option: task *t*, volunteer *v*, start *s*):

* a task takes at most one start and, at it, all the volunteers it needs or
  none (:func:`_add_task_cover`);
* a volunteer's occupied intervals never overlap: one at-most-one constraint per
  maximal clique of their interval graph (:func:`_add_no_overlap`). Because
  interval graphs are perfect, these clique constraints describe the overlap
  rule exactly and give a strong LP bound;
* weekly task and hour caps per volunteer (:func:`_add_weekly_caps`);
* at most ``max_team`` distinct volunteers per need (:func:`_add_team_caps`).

Every other hard rule (skills, languages, distance, availability windows,
unavailable dates, exclusions, strict continuity) is already enforced by which
options exist. The objective tiers are optimised lexicographically: weighted
coverage first, then continuity, then travel; each later tier keeps the earlier
ones at their values (less a tolerance). Independent components (no shared
volunteer) are solved apart.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import cap_share, covered_tasks, weekly_use
from matchkracht.scale import map_parts
from matchkracht.scale.partition import independent_parts
from matchkracht.settings import SolverSettings
from matchkracht.solver.base import Solution
from matchkracht.solver.greedy import Calendar, familiar_first_options

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "CpSatSolver",
    "Prior",
    "build_model",
    "components",
    "face_keys",
    "new_faces",
    "split_weeks",
    "tier_share",
    "travel_units",
]

logger = logging.getLogger("matchkracht")

IntArray = npt.NDArray[np.int64]

#: Share of the time budget the first tier (coverage by default) may use.
_FIRST_SHARE = 0.5
#: On components with this many options, the first tier gets more of the
#: budget and presolve is lighter.
LARGE_COMPONENT = 20_000
_FIRST_SHARE_LARGE = 0.7
#: Later tiers share what the first tier left by these weights: each tier gets
#: its weight's share among the tiers still to run (the last tier all that is left).
_TIER_WEIGHT = {
    "coverage": 0.7,
    "stability": 0.4,
    "continuity": 0.7,
    "fairness": 0.5,
    "fairness:at_cap": 0.5,
    "fairness:peak": 0.15,
    "fairness:spread": 0.2,
    "travel": 0.3,
}
#: Weight of ``fairness:at_cap`` when somebody is at a cap every week at its start
#: (several weeks; in a week part of a split horizon, at a cap in every week so
#: far), and on one-week horizons.
_AT_CAP_BUSY_WEIGHT = 1.5
_AT_CAP_ONE_WEEK_WEIGHT = 0.15
#: Share of the remaining time to win back what the next tier did not need of a
#: tier's tolerance (see :meth:`CpSatSolver._recover`).
_RECOVER_SHARE = 0.1
#: Share of the remaining time for the plan continuity would choose, as the start
#: of ``fairness:at_cap`` placed before continuity (see :meth:`CpSatSolver._probe`).
_PROBE_SHARE = 0.15
#: The fairness tier is solved as these three steps, each held before the next.
FAIRNESS_STEPS = ("fairness:at_cap", "fairness:peak", "fairness:spread")


def solve_steps(tiers: tuple[str, ...]) -> tuple[str, ...]:
    """The tiers as solved: ``fairness`` becomes its three steps (:data:`FAIRNESS_STEPS`).

    Examples
    --------
    >>> solve_steps(("coverage", "fairness", "travel"))
    ('coverage', 'fairness:at_cap', 'fairness:peak', 'fairness:spread', 'travel')
    """
    out: list[str] = []
    for t in tiers:
        out.extend(FAIRNESS_STEPS if t == "fairness" else (t,))
    return tuple(out)


def early_week_tiers(tiers: tuple[str, ...]) -> tuple[str, ...]:
    """The tiers for a week before the last of a horizon solved week by week.

    ``fairness:at_cap``, when placed before ``continuity``, moves to right after
    it: a week before the last need not take anybody off a cap at the price of
    familiar faces, since a later week can still do it (and the last week does,
    with the tiers as given). After continuity, the step still moves tasks to
    familiar faces where that keeps continuity's value.

    Examples
    --------
    >>> early_week_tiers(("coverage", "fairness:at_cap", "continuity", "travel"))
    ('coverage', 'continuity', 'fairness:at_cap', 'travel')
    >>> early_week_tiers(("coverage", "continuity", "fairness", "travel"))
    ('coverage', 'continuity', 'fairness', 'travel')
    """
    if "fairness:at_cap" not in tiers or "continuity" not in tiers:
        return tiers
    if tiers.index("fairness:at_cap") > tiers.index("continuity"):
        return tiers
    out = [t for t in tiers if t != "fairness:at_cap"]
    out.insert(out.index("continuity") + 1, "fairness:at_cap")
    return tuple(out)


def at_cap_giver(tiers: tuple[str, ...]) -> str | None:
    """The step whose tolerance goes to ``fairness:at_cap`` when weeks before the
    last move it (see :func:`early_week_tiers`); ``None`` when they do not.

    Those weeks withhold that step's tolerance (it would go to continuity), and
    the last week may give up that share of the step's value of the whole
    horizon.

    Examples
    --------
    >>> at_cap_giver(("coverage", "fairness:at_cap", "continuity", "travel"))
    'coverage'
    >>> at_cap_giver(("coverage", "continuity", "fairness", "travel")) is None
    True
    """
    if early_week_tiers(tiers) == tiers:
        return None
    steps = solve_steps(tiers)
    return steps[steps.index("fairness:at_cap") - 1]


def tier_share(tiers: tuple[str, ...], k: int, large: bool, weight: float | None = None) -> float:
    """Share of the remaining time budget for tier ``tiers[k]``.

    The first tier gets a fixed share (more on large components), the last
    tier all that is left, and each tier in between its weight's share among
    the tiers still to run (``weight``, when given, replaces tier *k*'s).
    Without fairness, continuity gets 70 % of what coverage left and travel
    the rest; with the default tiers (fairness in its three steps, see
    :func:`solve_steps`), continuity gets 38 % and the three fairness steps
    together 74 % of what continuity left. The first fairness
    step weighs most: where nobody is at a cap every week it is proven at once
    and its time passes on; where somebody is (in a week part of a split
    horizon: at a cap in every week so far), it is the step that moves tasks
    off them.

    Examples
    --------
    >>> tier_share(("coverage", "continuity", "travel"), 1, large=True)
    0.7
    >>> steps = solve_steps(("coverage", "continuity", "fairness", "travel"))
    >>> [tier_share(steps, k, large=True) for k in range(len(steps))]
    [0.7, 0.378378, 0.434783, 0.230769, 0.4, 1.0]
    """
    if k == len(tiers) - 1:
        return 1.0
    if k == 0:
        return _FIRST_SHARE_LARGE if large else _FIRST_SHARE
    weights = [_TIER_WEIGHT.get(t, 0.5) for t in tiers[k:]]
    if weight is not None:
        weights[0] = weight
    return round(weights[0] / sum(weights), 6)


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


def travel_units(problem: Problem, options: IntArray) -> IntArray:
    """Objective tier 3 coefficients: round-trip km in units of 100 m."""
    return np.asarray(np.rint(problem.pair_km[problem.opt_pair[options]] * 10).astype(np.int64))


@dataclass
class _Model:
    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    cover: cp_model.LinearExpr
    tiers: dict[str, cp_model.LinearExpr] = field(default_factory=dict)
    #: auxiliary booleans that equal "any of these options is chosen" in an
    #: optimal completion: hinted from the options so hints are complete
    aux_or: list[tuple[cp_model.IntVar, list[int]]] = field(default_factory=list)
    #: auxiliary integers whose value in an optimal completion is a function of
    #: the options (the fairness tier's highest share and squares)
    aux_fn: list[tuple[cp_model.IntVar, Callable[[npt.NDArray[np.bool_]], int]]] = field(
        default_factory=list
    )
    #: builders of the tiers not in the model yet
    pending: dict[str, Callable[[], cp_model.LinearExpr | None]] = field(default_factory=dict)

    def hint(self, values: npt.NDArray[np.bool_]) -> None:
        """Hint every option and every auxiliary variable from ``values`` (a complete hint)."""
        self.model.clear_hints()  # type: ignore[no-untyped-call]
        for var, val in zip(self.x, values.tolist(), strict=True):
            self.model.add_hint(var, bool(val))
        for var, members in self.aux_or:
            self.model.add_hint(var, bool(values[members].any()))
        for ivar, fn in self.aux_fn:
            self.model.add_hint(ivar, fn(values))

    def hold(self, name: str, value: float, tolerance: float) -> int:
        """Keep tier ``name`` at ``value`` less ``tolerance`` in later solves; returns the floor.

        The tier's (integer) value may drop by at most ``|value| * tolerance``.
        """
        value = round(value)  # every tier is integer; CP-SAT reports a double
        keep = math.ceil(value - abs(value) * tolerance - 1e-9)
        self.model.add(self.tiers[name] >= keep)
        return keep

    def add_steps(
        self, name: str, build: Callable[[], dict[str, cp_model.LinearExpr]]
    ) -> cp_model.LinearExpr | None:
        """Build a tier of several steps; keep every step's objective, return step ``name``'s."""
        steps = build()
        self.tiers.update(steps)
        return steps.get(name)

    def tier(self, name: str) -> cp_model.LinearExpr | None:
        """The objective of tier ``name``, adding its variables to the model on first use.

        Later tiers are added only when their turn comes, so the coverage solve
        does not carry their auxiliary variables and constraints.
        """
        build = self.pending.pop(name, None)
        if build is not None:
            expr = build()
            if expr is not None:
                self.tiers[name] = expr
        return self.tiers.get(name)


@dataclass
class Prior:
    """What parts solved before (of a split component) already hold.

    Attributes
    ----------
    tasks, minutes : numpy.ndarray
        Tasks and occupied minutes per (volunteer, week) already taken.
    team : dict
        Per need, the volunteers who already joined its care team (beyond the
        known members of ``Problem.pair_team_known``).
    faces, slots : numpy.ndarray
        Familiar-face keys (see :func:`new_faces`) of the (client, volunteer)
        pairs and (need, weekday, volunteer) slots already served: serving them
        again brings no new face.
    """

    tasks: IntArray
    minutes: IntArray
    team: dict[int, set[int]]
    faces: IntArray
    slots: IntArray

    @classmethod
    def from_calendar(cls, problem: Problem, calendar: Calendar, chosen: IntArray) -> Prior:
        """The prior of the options ``chosen`` so far, recorded in ``calendar``."""
        face, slot = face_keys(problem, chosen)
        return cls(
            calendar.tasks.copy(),
            calendar.minutes.copy(),
            {n: set(t) for n, t in calendar.team.items()},
            np.unique(face),
            np.unique(slot[slot >= 0]),
        )


#: On large components the coverage tier runs without CP-SAT presolve: presolve
#: took seconds there, and without it the LP proves better bounds.
PRESOLVE_OFF_FIRST_TIER = True
#: Below this many seconds per option of budget, the coverage tier of a large
#: component runs large-neighbourhood search only, without the LP worker (whose
#: bound it then does not prove). On the municipality (92,000 options), with
#: 4.5 / 9 / 18 s for coverage, LNS only reached 1,651 / 1,655 / 1,661 covered
#: weight against 1,626 (the hint) / 1,639 / 1,655 with the LP worker.
LNS_ONLY_SECONDS_PER_OPTION = 2e-4
#: Below this many seconds per option of budget, no model is built for a
#: component (its greedy plan is kept), and below the second a tier is skipped
#: (the plan so far is kept): loading the model alone would overrun the limit.
BUILD_SECONDS_PER_OPTION = 1e-5
MIN_TIER_SECONDS_PER_OPTION = 1e-5

#: Components with more options than this are split into regions (see
#: :func:`split_region`), each of about ``REGION_OPTIONS`` options.
MAX_COMPONENT = 300_000
REGION_OPTIONS = 150_000


def split_region(
    problem: Problem, options: IntArray, seed: int = 0, part_options: int = REGION_OPTIONS
) -> list[IntArray]:
    """Split one very large component into independent regional parts.

    Tasks are clustered by the client's location (k-means, seeded) into parts
    of about ``part_options`` options; every option of a task stays in its
    task's part. The parts share no task and no care team but do share
    volunteers: they are solved one after another, each seeing what the parts
    before it took of a volunteer's time and weekly caps (see
    :meth:`CpSatSolver.solve`). This is a heuristic: the bound of the whole
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


#: Multi-week components with at least this many options are solved one ISO
#: week at a time (see :func:`split_weeks`).
WEEK_SPLIT = 40_000


def _splits_by_week(problem: Problem, options: IntArray) -> bool:
    weeks = problem.task_week[problem.opt_task[options]]
    return len(options) >= WEEK_SPLIT and bool(weeks.min() != weeks.max())


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


def complete_teams(
    problem: Problem, options: IntArray, values: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """``values`` without the options of tasks that lack team members among them.

    A part of a split component may hold only some members of a hinted team;
    dropping such incomplete teams keeps the hint (and the fallback plan) feasible.
    """
    tasks = problem.opt_task[options]
    counts = np.bincount(tasks[values], minlength=problem.num_tasks)
    return np.asarray(values & (counts[tasks] >= problem.task_needed[tasks]))


def _fitting_hint(
    problem: Problem, options: IntArray, hint: npt.NDArray[np.bool_], calendar: Calendar
) -> npt.NDArray[np.bool_]:
    """The hinted options that still fit the calendar, whole teams only."""
    trial = calendar.copy()
    out = np.zeros(len(options), dtype=bool)
    pos = np.flatnonzero(hint)
    tasks = problem.opt_task[options[pos]]
    for group in _groups(tasks) if len(pos) else []:
        members = pos[group]
        if len(members) < problem.task_needed[tasks[group[0]]]:
            continue
        if all(trial.fits(int(options[i])) for i in members.tolist()):
            for i in members.tolist():
                trial.take(int(options[i]))
            out[members] = True
    return out


def _groups(key: IntArray) -> list[IntArray]:
    """Positions grouped by equal ``key``, groups in key order (stable within a group)."""
    order = np.argsort(key, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(key[order])) + 1)


def _lsum(items: list[Any]) -> cp_model.LinearExpr:
    """A flat linear sum (much lighter than Python's ``sum`` on many terms)."""
    return cp_model.LinearExpr.sum(items)


def _add_task_cover(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    aux: list[tuple[cp_model.IntVar, list[int]]] | None = None,
) -> cp_model.LinearExpr:
    """Hard rule: a task gets all its volunteers at one common start, or none.

    Returns the objective tier 1 expression: the covered task weight.
    """
    p = problem
    tasks = p.opt_task[options]
    starts = p.opt_start[options]
    order = np.lexsort((starts, tasks))
    obj_vars: list[cp_model.IntVar] = []
    obj_coefs: list[int] = []
    t_sorted = tasks[order]
    cuts = np.flatnonzero(np.diff(t_sorted)) + 1
    for group in np.split(order, cuts):
        t = int(tasks[group[0]])
        weight = int(p.task_weight[t])
        need = int(p.task_needed[t])
        if need == 1:
            xs = [x[i] for i in group.tolist()]
            model.add_at_most_one(xs)
            obj_vars.extend(xs)
            obj_coefs.extend([weight] * len(xs))
            continue
        ys = []
        g_starts = starts[group]
        for s in np.unique(g_starts).tolist():
            idx = group[g_starts == s].tolist()
            members = [x[i] for i in idx]
            if len(members) < need:
                for m in members:
                    model.add(m == 0)
                continue
            y = model.new_bool_var("")
            if aux is not None:
                aux.append((y, idx))
            model.add(_lsum(members) == need * y)
            ys.append(y)
        if ys:
            model.add_at_most_one(ys)
            obj_vars.extend(ys)
            obj_coefs.extend([weight] * len(ys))
    return cp_model.LinearExpr.weighted_sum(obj_vars, obj_coefs)


def interval_cliques(depart: IntArray, ret: IntArray) -> list[list[int]]:
    """Maximal sets of pairwise-overlapping half-open intervals ``[depart, ret)``.

    Sweeps the interval ends: a maximal clique is the active set just before the
    first end that follows a start. Returns positions into the input arrays;
    cliques of one interval are left out.
    """
    events = sorted(
        [(int(a), 1, i) for i, a in enumerate(depart)] + [(int(b), 0, i) for i, b in enumerate(ret)]
    )
    active: set[int] = set()
    grown = False
    cliques: list[list[int]] = []
    for _, is_start, i in events:
        if is_start:
            active.add(i)
            grown = True
        else:
            if grown and len(active) > 1:
                cliques.append(sorted(active))
            grown = False
            active.discard(i)
    return cliques


def _add_no_overlap(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> None:
    """Hard rule: the occupied intervals of one volunteer never overlap."""
    p = problem
    vols = p.opt_vol[options]
    for group in _groups(vols):
        if len(group) < 2:
            continue
        o = options[group]
        for clique in interval_cliques(p.opt_depart[o], p.opt_return[o]):
            model.add_at_most_one([x[int(group[i])] for i in clique])


def _add_weekly_caps(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
) -> None:
    """Hard rule: per volunteer and ISO week, at most ``max_tasks`` tasks and ``max_minutes`` occupied.

    ``prior`` holds tasks and minutes per (volunteer, week) already taken by
    parts solved before (parts of a split component).
    """
    p = problem
    pairs = p.opt_pair[options]
    vols = p.pair_vol[pairs]
    weeks = p.task_week[p.pair_task[pairs]]
    key = vols * max(p.num_weeks, 1) + weeks
    for group in _groups(key):
        v = int(vols[group[0]])
        w = int(weeks[group[0]])
        max_tasks = int(p.vol_max_tasks[v]) - (int(prior.tasks[v, w]) if prior is not None else 0)
        max_minutes = int(p.vol_max_minutes[v]) - (
            int(prior.minutes[v, w]) if prior is not None else 0
        )
        g_pairs = pairs[group]
        uniq_pairs = np.unique(g_pairs)
        xs = [x[i] for i in group.tolist()]
        if len(uniq_pairs) > max_tasks:
            model.add(_lsum(xs) <= max_tasks)
        if int(p.pair_occupied[uniq_pairs].sum()) > max_minutes:
            occ = p.pair_occupied[g_pairs].tolist()
            model.add(cp_model.LinearExpr.weighted_sum(xs, occ) <= max_minutes)


def _add_team_caps(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    aux: list[tuple[cp_model.IntVar, list[int]]] | None = None,
    prior: Prior | None = None,
) -> None:
    """Hard rule: at most ``max_team`` distinct volunteers per need in 4 weeks, history included.

    Volunteers who served the need in the three weeks before the horizon are
    already in the team; the others may join only while places are left
    (``Problem.need_team_cap``), counted over the whole horizon. Volunteers who
    joined in parts solved before (``prior``) take a place and stay members.
    """
    p = problem
    pairs = p.opt_pair[options]
    needs = p.task_need[p.pair_task[pairs]]
    capped = (p.need_team_cap[needs] >= 0) & ~p.pair_team_known[pairs]
    joined = prior.team if prior is not None else {}
    if joined:
        vols = p.pair_vol[pairs]
        member = np.array(
            [int(v) in joined.get(int(n), ()) for n, v in zip(needs, vols, strict=True)],
            dtype=bool,
        )
        capped &= ~member
    if not capped.any():
        return
    pos = np.flatnonzero(capped)
    key = needs[pos] * p.num_volunteers + p.pair_vol[pairs[pos]]
    order = np.argsort(key, kind="stable")
    cuts = np.flatnonzero(np.diff(key[order])) + 1
    by_need: dict[int, list[cp_model.IntVar]] = {}
    places = {
        n: int(p.need_team_cap[n]) - len(joined.get(n, ())) for n in np.unique(needs[pos]).tolist()
    }
    for group in np.split(pos[order], cuts):
        n = int(needs[group[0]])
        if places[n] <= 0:
            for i in group.tolist():
                model.add(x[i] == 0)
            continue
        u = model.new_bool_var("")
        for i in group.tolist():
            model.add_implication(x[i], u)
        if aux is not None:
            aux.append((u, group.tolist()))
        by_need.setdefault(n, []).append(u)
    for n, us in by_need.items():
        if len(us) > places[n]:
            model.add(_lsum(us) <= places[n])


def _add_locks(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> None:
    """Hard rule (re-planning): locked assignments of a published plan stay."""
    for i in np.flatnonzero(problem.opt_locked[options]).tolist():
        model.add(x[i] == 1)


def _tier_stability(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> cp_model.LinearExpr | None:
    """Objective tier (re-planning): keep as many assignments of the previous plan as possible."""
    keep = np.flatnonzero(problem.opt_previous[options])
    return _lsum([x[i] for i in keep.tolist()]) if len(keep) else None


def face_keys(problem: Problem, options: IntArray) -> tuple[IntArray, IntArray]:
    """Per option, its (client, volunteer) key and, on horizons of several weeks,
    its (need, weekday, volunteer) slot key (``-1`` where not counted)."""
    p = problem
    pairs = p.opt_pair[options]
    tasks = p.pair_task[pairs]
    vols = p.pair_vol[pairs]
    face = p.task_client[tasks] * p.num_volunteers + vols
    slot = np.full(len(options), -1, dtype=np.int64)
    if p.num_weeks > 1:
        weekday = (p.horizon.first.weekday() + p.task_day[tasks]) % 7
        recurring = p.task_continuity[tasks] > 0
        slot = np.where(recurring, (p.task_need[tasks] * 7 + weekday) * p.num_volunteers + vols, -1)
    return np.asarray(face, dtype=np.int64), np.asarray(slot, dtype=np.int64)


def new_faces(
    problem: Problem, options: IntArray, prior: Prior | None = None
) -> tuple[IntArray, IntArray]:
    """Keys of the familiar-face accounting of ``options``.

    Returns two arrays of keys per option (``-1`` where not counted): the
    (client, volunteer) pair when the volunteer did not help the client before
    (a *new face*; needs with ``continuity = none`` do not count), and, on
    horizons of several weeks, the (need, weekday, volunteer) slot. Faces and
    slots already served in parts solved before (``prior``) are not counted.
    """
    p = problem
    pairs = p.opt_pair[options]
    tasks = p.pair_task[pairs]
    face, slot = face_keys(p, options)
    counted = (p.task_continuity[tasks] > 0) & ~p.pair_helped[pairs]
    if prior is not None:
        counted &= ~np.isin(face, prior.faces)
        slot = np.where(np.isin(slot, prior.slots), -1, slot)
    face = np.where(counted, face, -1)
    return np.asarray(face, dtype=np.int64), np.asarray(slot, dtype=np.int64)


def _tier_continuity(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    aux: list[tuple[cp_model.IntVar, list[int]]] | None = None,
    prior: Prior | None = None,
) -> cp_model.LinearExpr | None:
    """Objective tier 2: familiar faces, then preferred volunteers.

    Counts each new face (a volunteer serving a client they never helped
    before) once, however many of the client's tasks they take, and on
    multi-week horizons each (need, weekday, volunteer) slot once, so the same
    person keeps "the Monday lunch". Fewer is better; preferred volunteers
    break ties (weight 1 against ``H`` per face or slot).
    """
    p = problem
    face, slot = new_faces(p, options, prior)
    pref = p.pair_preferred[p.opt_pair[options]]
    heavy = int(p.task_needed.sum()) + 1  # more than all preferred points of any plan
    terms: list[cp_model.IntVar] = [x[i] for i in np.flatnonzero(pref).tolist()]
    penalty: list[cp_model.IntVar] = []
    for keys in (face, slot):
        pos = np.flatnonzero(keys >= 0)
        if not len(pos):
            continue
        order = pos[np.argsort(keys[pos], kind="stable")]
        cuts = np.flatnonzero(np.diff(keys[order])) + 1
        for group in np.split(order, cuts):
            used = model.new_bool_var("")
            for i in group.tolist():
                model.add_implication(x[i], used)
            penalty.append(used)
            if aux is not None:
                aux.append((used, group.tolist()))
    if not terms and not penalty:
        return None
    return cp_model.LinearExpr.weighted_sum(
        terms + penalty, [1] * len(terms) + [-heavy] * len(penalty)
    )


#: Load shares are in per-mille of a weekly cap.
SHARE_SCALE = 1000


def _tier_fairness(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
    derived: list[tuple[cp_model.IntVar, Callable[[npt.NDArray[np.bool_]], int]]] | None = None,
) -> dict[str, cp_model.LinearExpr]:
    """Objective tier 4: fair load, as three steps solved one after another.

    A volunteer's *load* is the mean, over the horizon's ISO weeks, of the
    highest share of a weekly cap in use that week (see :func:`_week_state`).
    ``fairness:at_cap`` minimises the number of volunteers at a cap (their task
    or hours limit) in every week of the horizon, that is with a load of 100 %;
    ``fairness:peak`` the highest load (per mille); ``fairness:spread`` the
    spread of the load over the horizon with recent history (see
    :func:`_spread`). Returns the three objectives to maximise (negated), by
    step name. ``derived`` collects the new variables with how to compute them
    from a plan (for complete hints).

    The order gives the same plans as "highest load first, then the count": the
    highest load is 100 % exactly when somebody is at a cap every week, so the
    least highest load is below 100 % exactly when the least count is 0. The
    count is the easier one for CP-SAT to prove: when it is at least 1 the
    highest load is 100 % and its step is not solved at all (status
    ``IMPLIED``); minimising the highest load directly could not be proven in a
    village of 600 options.

    One weighted objective of the three (big coefficients) was tried first: its
    LP bound was so weak that even a village of 600 options never proved
    optimal and every plan took the whole time limit.
    """
    top, full = _max_share(model, x, problem, options, prior, derived)
    spread = _spread(model, x, problem, options, prior, derived)
    steps: dict[str, cp_model.LinearExpr] = {
        "fairness:at_cap": -full,  # type: ignore[dict-item,operator]
        "fairness:peak": -top,  # type: ignore[dict-item,operator]
    }
    if spread is not None:
        steps["fairness:spread"] = -spread  # type: ignore[assignment,operator]
    return steps


@dataclass(frozen=True)
class _WeekState:
    """Per (volunteer, week) of a component: what a model of it decides and what is fixed.

    Attributes
    ----------
    present : numpy.ndarray of bool
        The component has options of the volunteer in the week (active
        volunteers only): the model decides the week's load.
    share : numpy.ndarray of int
        Elsewhere, the week's load in per mille, fixed: weeks before the
        component's first week take it from ``prior`` (parts solved before);
        other weeks count as empty, 0.
    full : numpy.ndarray of bool
        Elsewhere, whether the week counts as at a cap: weeks before the
        component's first week as ``prior`` holds them; weeks after its last
        week as at a cap where the (active) volunteer has options in them
        (only a week part of a split horizon has such weeks: a component holds
        all options of its volunteers).
    """

    present: npt.NDArray[np.bool_]
    share: IntArray
    full: npt.NDArray[np.bool_]

    @property
    def counted(self) -> npt.NDArray[np.bool_]:
        """Volunteers who can be at a cap in every week (a load of 100 %)."""
        return np.asarray(self.present.any(axis=1) & (self.present | self.full).all(axis=1))


def _week_state(problem: Problem, options: IntArray, prior: Prior | None) -> _WeekState:
    """The :class:`_WeekState` of the component ``options`` (``prior``: parts solved before).

    A split component's parts are solved one after another. When they are the
    ISO weeks of a horizon, week *k* sees the load of weeks 1..k-1 and counts
    later weeks as at a cap (their load as empty): a volunteer at a cap in
    every week so far counts as at a cap in every week, since recurring tasks
    come back. So every week moves some of them off their cap (when coverage
    and the tiers before allow), each with its own time and tolerance, instead
    of the last week alone; the last week sees the whole horizon.
    """
    p = problem
    weeks = max(p.num_weeks, 1)
    active = (p.vol_max_tasks > 0) & (p.vol_max_minutes > 0)
    option_weeks = p.task_week[p.opt_task[options]]
    key = p.opt_vol[options] * weeks + option_weeks
    inside = np.bincount(key, minlength=p.num_volunteers * weeks).reshape(-1, weeks)
    present = (inside > 0) & active[:, None]
    share = np.zeros((p.num_volunteers, weeks), dtype=np.int64)
    full = np.zeros((p.num_volunteers, weeks), dtype=bool)
    if len(options):
        # weeks after the component's last one (it is a week part of a split
        # horizon) count as at a cap where the volunteer has options in them:
        # recurring tasks come back, so who is at a cap in every week so far
        # would stay so; each part then moves its share of them off
        last = int(option_weeks.max())
        if last < weeks - 1:
            anywhere = np.bincount(
                p.pair_vol * weeks + p.task_week[p.pair_task], minlength=p.num_volunteers * weeks
            ).reshape(-1, weeks)
            full[:, last + 1 :] = (anywhere[:, last + 1 :] > 0) & active[:, None]
    if prior is not None and len(options):
        first = int(option_weeks.min())
        past = np.zeros_like(full)
        past[:, :first] = True
        had = cap_share(p, prior.tasks, prior.minutes)
        share[past] = np.ceil(SHARE_SCALE * had[past] - 1e-9).astype(np.int64)
        had_full = (prior.tasks >= p.vol_max_tasks[:, None]) | (
            prior.minutes >= p.vol_max_minutes[:, None]
        )
        full[past] = (had_full & active[:, None])[past]
    return _WeekState(present, share, full)


def _max_share(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
    derived: list[tuple[cp_model.IntVar, Callable[[npt.NDArray[np.bool_]], int]]] | None = None,
) -> tuple[cp_model.IntVar, cp_model.LinearExpr]:
    """The highest load of a volunteer and who is at a cap every week.

    Returns the highest load (per mille, see :func:`_week_state`) as a new
    variable and the number of volunteers at a cap in every week of the
    horizon (a sum of new booleans, each of which must be 1 when its volunteer
    reaches ``max_tasks`` or ``max_minutes`` in every week). Weekly use of
    parts solved before (``prior``) counts.
    """
    p = problem
    weeks_n = max(p.num_weeks, 1)
    state = _week_state(p, options, prior)
    counted = state.counted
    pairs = p.opt_pair[options]
    vols = p.pair_vol[pairs]
    weeks = p.task_week[p.pair_task[pairs]]
    top = model.new_int_var(0, SHARE_SCALE, "")
    # per volunteer: the weekly shares (variables) and at-cap booleans of its groups
    shares: dict[int, list[cp_model.IntVar]] = {}
    fulls: dict[int, list[tuple[cp_model.IntVar, Callable[[npt.NDArray[np.bool_]], int]]]] = {}
    for group in _groups(vols * weeks_n + weeks):
        v = int(vols[group[0]])
        w = int(weeks[group[0]])
        if not state.present[v, w]:
            continue  # an inactive volunteer (no options exist for one)
        had_tasks = int(prior.tasks[v, w]) if prior is not None else 0
        had_minutes = int(prior.minutes[v, w]) if prior is not None else 0
        xs = [x[i] for i in group.tolist()]
        cap_tasks, cap_minutes = int(p.vol_max_tasks[v]), int(p.vol_max_minutes[v])
        occupied = p.pair_occupied[pairs[group]]
        n = _lsum(xs) + had_tasks
        minutes = cp_model.LinearExpr.weighted_sum(xs, occupied.tolist()) + had_minutes
        cap_group = _CapGroup(group, had_tasks, had_minutes, cap_tasks, cap_minutes, occupied)
        if weeks_n == 1:
            share: cp_model.IntVar = top  # one week: the load is the week's share
        else:
            share = model.new_int_var(0, SHARE_SCALE, "")
            shares.setdefault(v, []).append(share)
            if derived is not None:
                derived.append((share, cap_group.share))
        model.add(cap_tasks * share >= SHARE_SCALE * n)
        model.add(cap_minutes * share >= SHARE_SCALE * minutes)
        if counted[v]:
            full = model.new_bool_var("")
            # below both caps unless counted as full
            model.add(n <= cap_tasks - 1 + full)
            model.add(minutes <= cap_minutes - 1 + cap_minutes * full)
            fulls.setdefault(v, []).append((full, cap_group.at_cap))
    for v, week_shares in shares.items():
        fixed = int(state.share[v][~state.present[v]].sum())
        model.add(weeks_n * top >= _lsum(week_shares) + fixed)  # type: ignore[arg-type]
    every: list[cp_model.IntVar] = []
    for group_fulls in fulls.values():
        if len(group_fulls) == 1:
            every.append(group_fulls[0][0])
        else:
            all_full = model.new_bool_var("")
            model.add(all_full >= _lsum([f for f, _ in group_fulls]) - (len(group_fulls) - 1))
            every.append(all_full)
            if derived is not None:
                derived.append((all_full, partial(_every, [fn for _, fn in group_fulls])))
        if derived is not None:
            derived.extend(group_fulls)
    if derived is not None:
        derived.append((top, partial(_top_share, problem, options, prior)))
    return top, _lsum(every)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _CapGroup:
    """One (volunteer, week) of a model: its options (positions), caps and prior use."""

    group: IntArray
    had_tasks: int
    had_minutes: int
    cap_tasks: int
    cap_minutes: int
    occupied: IntArray

    def use(self, values: npt.NDArray[np.bool_]) -> tuple[int, int]:
        """Tasks and occupied minutes of the chosen options, plus what was had."""
        chosen = values[self.group]
        return int(chosen.sum()) + self.had_tasks, int(
            self.occupied[chosen].sum()
        ) + self.had_minutes

    def at_cap(self, values: npt.NDArray[np.bool_]) -> int:
        """1 when the chosen options (plus what was had) reach a cap."""
        n, minutes = self.use(values)
        return int(n >= self.cap_tasks or minutes >= self.cap_minutes)

    def share(self, values: npt.NDArray[np.bool_]) -> int:
        """The week's share of a cap, per mille, rounded up."""
        n, minutes = self.use(values)
        return max(
            -(-SHARE_SCALE * n // self.cap_tasks), -(-SHARE_SCALE * minutes // self.cap_minutes)
        )


def _every(fns: list[Callable[[npt.NDArray[np.bool_]], int]], values: npt.NDArray[np.bool_]) -> int:
    """1 when every one of ``fns`` gives 1 for ``values``."""
    return int(all(fn(values) for fn in fns))


def _top_share(
    problem: Problem, options: IntArray, prior: Prior | None, values: npt.NDArray[np.bool_]
) -> int:
    """The least value of :func:`_max_share`'s variable for the plan ``values``."""
    return _fairness_parts(problem, options[values], options, prior)[0]


#: Spread weights are scaled by this number divided by a volunteer's task cap.
_SPREAD_SCALE = 2520


def _recent_tasks(problem: Problem, prior: Prior | None) -> IntArray:
    """Per volunteer: tasks in the three weeks before the horizon plus those of earlier parts."""
    recent = problem.vol_recent_tasks
    if prior is not None:
        recent = recent + prior.tasks.sum(axis=1)
    return np.asarray(recent, dtype=np.int64)


def _spread(
    model: cp_model.CpModel,
    x: list[cp_model.IntVar],
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
    derived: list[tuple[cp_model.IntVar, Callable[[npt.NDArray[np.bool_]], int]]] | None = None,
) -> cp_model.LinearExpr | None:
    """The load spread to minimise; recent history counts.

    Minimises the sum over volunteers of ``n**2 / max_tasks``, where ``n`` is the
    number of tasks in the horizon plus those in the three weeks before it (so
    who did a lot lately gets less now). The square is exact at whole numbers
    (tangent cuts).
    """
    p = problem
    recent_tasks = _recent_tasks(p, prior)
    vols = p.opt_vol[options]
    terms: list[cp_model.LinearExpr] = []
    for group in _groups(vols):
        v = int(vols[group[0]])
        cap = int(p.vol_max_tasks[v])
        if cap <= 0:
            continue
        recent = int(recent_tasks[v])
        top = recent + min(len(group), cap * max(p.num_weeks, 1))
        n = _lsum([x[i] for i in group.tolist()]) + recent
        sq = model.new_int_var(0, top * top, "")
        for j in range(recent, top):
            model.add(sq >= (2 * j + 1) * n - j * (j + 1))  # type: ignore[operator]
        if derived is not None:
            derived.append((sq, partial(_square, group, recent)))
        terms.append((_SPREAD_SCALE // cap) * sq)
    return _lsum(terms) if terms else None


def _spread_ceiling(problem: Problem, prior: Prior | None) -> int:
    """An upper bound of the spread term of any plan of ``problem``.

    It depends on the problem (and ``prior``) only, not on which options a
    model holds, so the fairness tier's value is the same for a plan whichever
    options a model of it was built from (pruned, restricted or not).
    """
    p = problem
    caps = p.vol_max_tasks
    most = _recent_tasks(p, prior) + caps * max(p.num_weeks, 1)
    weights = _SPREAD_SCALE // np.maximum(caps, 1)
    return int((weights * most * most)[caps > 0].sum())


def _square(group: IntArray, recent: int, values: npt.NDArray[np.bool_]) -> int:
    """``n**2`` for ``n`` = the chosen options of ``group`` plus ``recent``."""
    n = int(values[group].sum()) + recent
    return n * n


def _tier_travel(
    model: cp_model.CpModel, x: list[cp_model.IntVar], problem: Problem, options: IntArray
) -> cp_model.LinearExpr | None:
    """Objective tier 5: least travel (round-trip km, in units of 100 m)."""
    km = travel_units(problem, options)
    nz = np.flatnonzero(km)
    return cp_model.LinearExpr.weighted_sum([x[i] for i in nz.tolist()], (-km[nz]).tolist())


_TIER_BUILDERS = {
    "stability": _tier_stability,
    "continuity": _tier_continuity,
    "travel": _tier_travel,
}


def build_model(
    problem: Problem,
    options: IntArray,
    tiers: tuple[str, ...] = ("coverage", "continuity", "travel"),
    prior: Prior | None = None,
) -> _Model:
    """The CP-SAT model of one component (options given by index) with its tier objectives.

    ``prior`` is what parts solved before took (see :class:`Prior`). The hard
    rules and the coverage objective are built at once; the later tiers when
    first asked for (:meth:`_Model.tier`).
    """
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(len(options))]
    aux: list[tuple[cp_model.IntVar, list[int]]] = []
    cover = _add_task_cover(model, x, problem, options, aux)
    _add_no_overlap(model, x, problem, options)
    _add_weekly_caps(model, x, problem, options, prior)
    _add_team_caps(model, x, problem, options, aux, prior)
    _add_locks(model, x, problem, options)
    m = _Model(model, x, cover, aux_or=aux)
    m.tiers["coverage"] = cover
    for tier in tiers:
        if tier == "coverage":
            continue
        if tier == "continuity":
            m.pending[tier] = partial(_tier_continuity, model, x, problem, options, aux, prior)
        elif tier.startswith("fairness"):
            # all steps are built when the first of them is asked for
            first = next(t for t in solve_steps(tiers) if t.startswith("fairness"))
            m.pending.setdefault(
                first,
                partial(
                    m.add_steps,
                    first,
                    partial(_tier_fairness, model, x, problem, options, prior, m.aux_fn),
                ),
            )
        else:
            m.pending[tier] = partial(_TIER_BUILDERS[tier], model, x, problem, options)
    return m


class CpSatSolver:
    """Solve a :class:`~matchkracht.problem.Problem` with OR-Tools CP-SAT.

    Parameters
    ----------
    settings
        A :class:`~matchkracht.settings.SolverSettings`; keyword arguments are
        also accepted (``CpSatSolver(time_limit=5, seed=1)``).
    cluster
        A :class:`distributed.Client`: parts that share nothing are solved on
        its workers (the problem is sent once; see :mod:`matchkracht.scale`).
        ``None``: in this process. In deterministic mode both give the same plan.
    """

    name = "cpsat"

    def __init__(
        self,
        settings: SolverSettings | None = None,
        *,
        cluster: Client | None = None,
        **kwargs: Any,
    ) -> None:
        if settings is not None and kwargs:
            settings = settings.model_copy(update=kwargs)
            settings = SolverSettings.make(**settings.model_dump())
        self.settings = settings or SolverSettings.make(**kwargs)
        self.cluster = cluster

    def __repr__(self) -> str:
        return f"CpSatSolver({self.settings!r})"

    def _params(
        self, solver: cp_model.CpSolver, budget: float, size: int, first: bool = False
    ) -> None:
        s = self.settings
        prm = solver.parameters
        if size >= LARGE_COMPONENT:
            # presolve's symmetry detection and probing cost many seconds on large
            # components and barely help this model; the search needs the time
            prm.symmetry_level = 0
            prm.cp_model_probing_level = 0
            if first and PRESOLVE_OFF_FIRST_TIER:
                prm.cp_model_presolve = False
            if first and budget < LNS_ONLY_SECONDS_PER_OPTION * size:
                # too short for the LP worker to pay off: both workers improve the plan
                prm.use_lns_only = True
        prm.random_seed = s.seed
        prm.num_workers = s.workers
        prm.log_search_progress = s.log
        budget = max(budget, 0.01)
        if s.deterministic:
            prm.interleave_search = True
            prm.max_deterministic_time = budget
            prm.max_time_in_seconds = budget * s.safety_factor
        else:
            prm.max_time_in_seconds = budget

    def _recover(
        self, m: _Model, tier: str, values: npt.NDArray[np.bool_], sel: IntArray, budget: float
    ) -> tuple[npt.NDArray[np.bool_] | None, float]:
        """Re-optimise ``tier`` (given up to the next tier by its tolerance) with every tier held.

        The next tier's plan is any plan of its best value: it may have spent
        more of the tolerance than it needed. Starts from ``values``; returns
        the plan found (``None`` without one) and the deterministic time used.
        """
        if not self.settings.hint or budget < MIN_TIER_SECONDS_PER_OPTION * len(sel):
            return None, 0.0
        # winning back, not reshuffling: keep as much of the plan as possible
        found, used = self._side_solve(m, tier, values[sel], budget, "recover", keep=True)
        if found is None:
            return None, used
        won = np.zeros(len(values), dtype=bool)
        won[sel] = found
        return won, used

    def _probe(
        self,
        problem: Problem,
        options: IntArray,
        start: npt.NDArray[np.bool_],
        tiers: tuple[str, ...],
        prior: Prior | None,
        exact: dict[str, int],
        budget: float,
    ) -> tuple[npt.NDArray[np.bool_] | None, float]:
        """The plan continuity would choose, every tier in ``exact`` kept at its value.

        A start for ``fairness:at_cap`` placed before continuity: moving tasks
        off a cap from this plan keeps most familiar faces. Solved in a fresh
        model of ``options`` (the held tiers of the component's model have
        their tolerance in them); returns the plan (``None`` without one or
        without the time) and the deterministic time used.
        """
        if not self.settings.hint or budget < MIN_TIER_SECONDS_PER_OPTION * len(options):
            return None, 0.0
        t0 = time.perf_counter()
        m = _restricted_model(problem, options, tiers, prior, exact)
        if m.tier("continuity") is None:
            return None, 0.0
        left = max(budget - (time.perf_counter() - t0), 0.0)
        return self._side_solve(m, "continuity", start, left, "probe")

    def _side_solve(
        self,
        m: _Model,
        tier: str,
        start: npt.NDArray[np.bool_],
        budget: float,
        what: str,
        keep: bool = False,
    ) -> tuple[npt.NDArray[np.bool_] | None, float]:
        """Maximise ``tier`` in ``m`` from the plan ``start`` (over the model's options).

        With ``keep``, of the plans of the best value the one that keeps most of
        ``start`` (:func:`_maximize`). Returns the plan found over the model's
        options (``None`` without one) and the deterministic time used; ``what``
        names the solve in the debug log.
        """
        m.hint(start)
        _maximize(m, tier, start if keep else None)
        solver = cp_model.CpSolver()
        self._params(solver, budget, len(start))
        code = solver.solve(m.model)
        logger.debug(
            "%s %s: %d options, %.2f s budget, %.2f s, %s, objective %s",
            what,
            tier,
            len(start),
            budget,
            solver.wall_time,
            solver.status_name(code),
            solver.objective_value if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None,
        )
        found = _solution(solver, code, m, np.arange(len(start)), len(start))
        return found, solver.deterministic_time

    def solve(self, problem: Problem) -> Solution:
        """Solve lexicographically, component by component, within the time limit.

        Parts that share nothing (components, and with ``regions="independent"``
        the regional parts of a very large component) are solved first, each
        with a fixed share of the budget, on the cluster's workers when one is
        given (:func:`matchkracht.scale.map_parts`); parts that depend on
        earlier ones (regions in turn, weeks, the second chance of tasks left
        uncovered by independent regions) follow, one after another, here.
        """
        t0 = time.perf_counter()
        s = self.settings
        # (options, exact, order key): parts of a split component keep their order
        comps: list[tuple[IntArray, bool, tuple[int, int, int]]] = []
        # order keys of week parts before the last of their component, and of last parts
        early: set[tuple[int, int, int]] = set()
        last: set[tuple[int, int, int]] = set()
        # order keys of parts that share nothing with any other part
        free: set[tuple[int, int, int]] = set()
        # second chances: order key -> the options of the split component
        second: dict[tuple[int, int, int], IntArray] = {}
        giver = at_cap_giver(s.tiers)
        # per split component, the giver's value summed over its parts so far
        given: dict[tuple[int, int], float] = {}
        bound = 0.0
        regions = 0
        week_parts = 0
        for comp in components(problem):
            key = (len(comp), int(comp[0]))
            if len(comp) > MAX_COMPONENT:
                parts = split_region(problem, comp, s.seed, REGION_OPTIONS)
                regions += len(parts)
                apart = independent_parts(problem, parts) if s.regions == "independent" else None
                if apart is not None:
                    kept, dropped = apart
                    parts = [q for q in kept if len(q)]
                    free.update((*key, i) for i in range(len(parts)))
                    # the second chance counts the dropped options for its budget
                    second[(*key, len(parts))] = comp
                    comps.append((dropped, False, (*key, len(parts))))
            elif _splits_by_week(problem, comp):
                parts = split_weeks(problem, comp)
                week_parts += len(parts)
                early.update((*key, i) for i in range(len(parts) - 1))
                last.add((*key, len(parts) - 1))
            else:
                comps.append((comp, True, (*key, 0)))
                free.add((*key, 0))
                continue
            # parts are solved one after another: only the trivial bound of the
            # whole component is proven
            bound += float(problem.task_weight[np.unique(problem.opt_task[comp])].sum())
            comps.extend((q, False, (*key, i)) for i, q in enumerate(parts))
        comps.sort(key=lambda c: c[2])
        total = sum(len(c) for c, _, _ in comps)
        hint = familiar_first_options(problem) if s.hint else np.zeros(0, dtype=np.int64)
        hint_set = np.zeros(problem.num_options, dtype=bool)
        hint_set[hint] = True
        chosen: list[IntArray] = []
        all_optimal = regions == 0
        all_optimal_parts = True
        found_any = True
        tier_values: dict[str, float] = {t: 0.0 for t in s.tiers}
        statuses: list[str] = []
        # keep 8 % for what follows the last solve (reading values, metrics)
        deadline = t0 + 0.92 * s.time_limit
        calendar = Calendar(problem)
        coverage_seconds = 0.0

        def record(comp: IntArray, exact: bool, res: dict[str, Any]) -> None:
            nonlocal bound, all_optimal_parts, found_any, coverage_seconds
            chosen.append(comp[res["values"]])
            for o in comp[res["values"]].tolist():
                calendar.take(o)
            if exact:
                bound += res["bound"]
            all_optimal_parts &= res["optimal"]
            found_any &= res["found"]
            statuses.append(res["status"])
            coverage_seconds += res["coverage_seconds"]
            for t, v in res["tiers"].items():
                tier_values[t] += v

        # 1. parts that share nothing: a fixed share each, solved anywhere
        budget = s.time_limit if s.deterministic else max(deadline - time.perf_counter(), 0.0)
        independent = [c for c in comps if c[2] in free]
        items = [
            _Part(s, comp, budget * len(comp) / max(total, 1), hint_set[comp])
            for comp, _, _ in independent
        ]
        results = map_parts(solve_part, problem, items, cluster=self.cluster, threads=s.workers)
        spent = 0.0
        for (comp, exact, _), res in zip(independent, results, strict=True):
            record(comp, exact, res)
            spent += res["spent"]
        # 2. parts that depend on the ones before, in turn, here
        remaining_budget = max(s.time_limit - spent, 0.0)
        remaining_size = total - sum(len(c) for c, _, _ in independent)
        for comp, exact, order_key in (c for c in comps if c[2] not in free):
            prior: Prior | None = None
            tiers = early_week_tiers(s.tiers) if order_key in early else s.tiers
            # weeks before the last withhold the tolerance meant for fairness:at_cap;
            # the last week may give up its share of the whole horizon's value
            withheld = {giver} if giver is not None and order_key in early else set()
            earlier = (
                {giver: given.get(order_key[:2], 0.0)}
                if giver is not None and order_key in last
                else {}
            )
            size = len(comp)
            if order_key in second:
                # tasks the independent regions left uncovered: every option of theirs
                comp = second[order_key]
                done = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
                covered = np.zeros(problem.num_tasks, dtype=bool)
                covered[problem.opt_task[done]] = True
                comp = comp[~covered[problem.opt_task[comp]]]
            comp_hint = hint_set[comp]
            if not exact:
                # a part of a split component: leave out what earlier parts made
                # impossible, and start from the part of the greedy plan that still fits
                fits = np.array([calendar.fits(o) for o in comp.tolist()], dtype=bool)
                comp = comp[fits]
                comp_hint = _fitting_hint(problem, comp, hint_set[comp], calendar)
                done = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
                prior = Prior.from_calendar(problem, calendar, done)
                if not len(comp):
                    remaining_size -= size
                    continue
            if not s.deterministic:
                remaining_budget = max(deadline - time.perf_counter(), 0.0)
            share = remaining_budget * size / max(remaining_size, 1)
            if s.hint and share < BUILD_SECONDS_PER_OPTION * len(comp):
                # no time to build a model: the part of the greedy plan is kept
                res = _greedy_only(problem, comp, comp_hint, tiers, prior)
            else:
                res = self._solve_component(
                    problem, comp, share, comp_hint, prior, calendar, tiers, withheld, earlier
                )
            remaining_budget = max(remaining_budget - res["spent"], 0.0)
            remaining_size -= size
            record(comp, exact, res)
            if giver is not None and order_key in early:
                given[order_key[:2]] = given.get(order_key[:2], 0.0) + res["tiers"][giver]
        options = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
        covered_weight = tier_values.get("coverage", 0.0)
        all_optimal &= all_optimal_parts
        status = "optimal" if all_optimal else ("feasible" if found_any else "no_solution")
        stats = {
            "components": len(comps),
            "regions": regions,
            "week_parts": week_parts,
            "parallel_parts": len(independent),
            "options": total,
            "tiers": tier_values,
            "component_statuses": statuses,
            # seconds of model building and the coverage tier, summed over components
            "coverage_seconds": coverage_seconds,
            "coverage_optimal": math.isclose(bound, covered_weight),
            "settings": s.model_dump(mode="json"),
        }
        return Solution(options, status, bound, time.perf_counter() - t0, self.name, stats)

    def _solve_component(
        self,
        problem: Problem,
        options: IntArray,
        budget: float,
        hint: npt.NDArray[np.bool_],
        prior: Prior | None = None,
        calendar: Calendar | None = None,
        tiers: tuple[str, ...] | None = None,
        withheld: Collection[str] = (),
        earlier: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """Solve one component (or part) step by step; see :meth:`solve`.

        ``tiers`` replaces the settings' order, steps in ``withheld`` get no
        tolerance, and a step in ``earlier`` may give up its tolerance's share of
        its value here plus that value of earlier parts (a horizon-wide budget).
        """
        s = self.settings
        tiers = tiers or s.tiers
        earlier = earlier or {}

        def share(tier: str, value: float, tolerance: float) -> float:
            """The tolerance as a share of ``value``, with the earlier parts' value."""
            before = abs(earlier.get(tier, 0.0))
            if tolerance > 0 and before > 0 and value != 0:
                return tolerance * (abs(value) + before) / abs(value)
            return tolerance

        t_build = time.perf_counter()
        m = build_model(problem, options, tiers, prior)
        values = hint.copy()
        values |= problem.opt_locked[options]
        values = complete_teams(problem, options, values)
        bound = float(problem.task_weight[np.unique(problem.opt_task[options])].sum())
        optimal = True
        found = True
        spent = 0.0 if s.deterministic else time.perf_counter() - t_build
        tier_values: dict[str, float] = {}
        status_names: list[str] = []
        step_status: dict[str, str] = {}
        kept: dict[str, int] = {}
        greedy_start = values.copy()
        # once restricted (large components, tiers after coverage), the model
        # holds only the options at positions ``sel`` of ``options``
        sel = np.arange(len(options))

        def evaluate(tier: str, vals: npt.NDArray[np.bool_]) -> float:
            return _evaluate(tier, vals[sel], problem, options[sel], prior)

        def improves(
            tier: str, start: npt.NDArray[np.bool_], current: npt.NDArray[np.bool_]
        ) -> bool:
            """``start`` is better than ``current`` on ``tier`` and keeps every tier held."""
            return evaluate(tier, start) > evaluate(tier, current) and _keeps(
                kept, problem, options[sel], prior, start[sel]
            )

        steps = solve_steps(tiers)
        # per step, the position in ``tiers`` of the tier it belongs to
        group = {step: g for g, t in enumerate(tiers) for step in solve_steps((t,))}
        loose: set[str] = set()  # held with a tolerance that is still on offer
        coverage_seconds = 0.0
        for k, tier in enumerate(steps):
            # a fairness step's own tolerance, else the whole tier's
            tolerance = s.tolerance.get(tier, s.tolerance.get(tier.split(":")[0], 0.0))  # type: ignore[call-overload]
            if tier in withheld:
                tolerance = 0.0
            for held in sorted(loose):
                if any(group[held] < group[t] < group[tier] for t in kept):
                    # the next tier has used what it needed: win back the rest, hold it
                    if not s.deterministic:
                        spent = time.perf_counter() - t_build
                    won, used = self._recover(
                        m, held, values, sel, (budget - spent) * _RECOVER_SHARE
                    )
                    if won is not None and improves(held, won, values):
                        values = won
                    spent += used if s.deterministic else 0.0
                    kept[held] = max(kept[held], m.hold(held, evaluate(held, values), 0.0))
                    loose.discard(held)
            if k == 1 and len(options) >= LARGE_COMPONENT:
                fair = any(t.startswith("fairness") for t in steps)
                keep = _relevant_options(
                    problem, options, values | greedy_start, prior, values if fair else None
                )
                if not keep.all():
                    sel = np.flatnonzero(keep)
                    m = _restricted_model(problem, options[sel], tiers, prior, kept)
            expr = m.tier(tier)  # later tiers are built now: that time counts
            if not s.deterministic:
                # all time in this component counts: building tiers, hints, restricting
                spent = time.perf_counter() - t_build
            if expr is None:
                continue  # nothing to optimise in this component (e.g. no previous plan)

            # Start each tier from the better of the plan so far and the greedy plan,
            # when the greedy plan keeps the earlier tiers (their tolerances allowing):
            # with a tolerance on coverage, the familiar-faces greedy is often the
            # best start for continuity.
            if k > 0 and improves(tier, greedy_start, values):
                values = greedy_start.copy()
            if tier == "continuity" and calendar is not None:
                # start from the plan with tasks handed to familiar faces that fit
                swapped = values.copy()
                swapped[sel] = familiar_swaps(problem, options[sel], values[sel], calendar, prior)
                if improves(tier, swapped, values):
                    values = swapped
            # familiar faces come after this step: its start and its plan should keep them
            continuity_later = "continuity" in steps[k + 1 :]
            if tier == "fairness:at_cap" and calendar is not None:
                # start from a plan that moves tasks off those at a cap every
                # week, when it keeps the tiers before
                slack = evaluate("coverage", values) - kept.get("coverage", math.inf)
                relief = values.copy()
                start = values[sel]
                if continuity_later:
                    # familiar faces come later: relieve from a plan that has them,
                    # the one continuity would choose with every tier so far kept whole
                    start = familiar_swaps(problem, options[sel], start, calendar, prior)
                    if not s.deterministic:
                        spent = time.perf_counter() - t_build
                    probe, used = self._probe(
                        problem,
                        options[sel],
                        start,
                        tiers,
                        prior,
                        {t: int(evaluate(t, values)) for t in kept},
                        (budget - spent) * _PROBE_SHARE,
                    )
                    spent += used if s.deterministic else 0.0
                    if probe is not None:
                        start = probe
                relief[sel] = relieve(
                    problem,
                    options[sel],
                    start,
                    calendar,
                    prior,
                    max(slack, 0.0),
                    partial(_keeps, kept, problem, options[sel], prior),
                )
                accepted = improves(tier, relief, values) or (
                    # as good on this step and better for familiar faces, which come later
                    continuity_later
                    and evaluate(tier, relief) >= evaluate(tier, values)
                    and improves("continuity", relief, values)
                )
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "relief: at a cap every week %s -> %s, %s (continuity %s -> %s -> %s)",
                        -evaluate(tier, values),
                        -evaluate(tier, relief),
                        "kept" if accepted else "dropped",
                        evaluate("continuity", values),
                        _evaluate("continuity", start, problem, options[sel], prior),
                        evaluate("continuity", relief),
                    )
                if accepted:
                    values = relief
            weight = None
            if tier == "fairness:at_cap" and problem.num_weeks <= 1:
                # one week: at a cap "every week" is at a cap this week, common and
                # rarely movable after continuity
                weight = _AT_CAP_ONE_WEEK_WEIGHT
            elif tier == "fairness:at_cap" and evaluate(tier, values) < 0:
                # somebody at a cap every week: the step has real work, give it more time
                weight = _AT_CAP_BUSY_WEIGHT
            tier_budget = (budget - spent) * tier_share(
                steps, k, len(options) >= LARGE_COMPONENT, weight
            )
            if tier == "fairness:peak" and evaluate("fairness:at_cap", values) < 0:
                # somebody is at a cap, so the highest share is 100 %: when the
                # count was proven least (and kept whole), no plan does better
                exact = step_status.get("fairness:at_cap") == "OPTIMAL" and tolerance == 0
                skipped = "IMPLIED" if exact else "SKIPPED"
            elif s.hint and tier_budget < MIN_TIER_SECONDS_PER_OPTION * len(sel):
                # too little time to even load the model: keep the plan so far
                skipped, exact = "SKIPPED", False
            else:
                skipped = ""
            if skipped:
                # no solve: the plan so far keeps this tier's value
                status_names.append(skipped)
                step_status[tier] = skipped
                optimal &= exact
                value = evaluate(tier, values)
                tier_values[tier] = value
                kept[tier] = m.hold(tier, value, share(tier, value, tolerance))
                if tolerance > 0:
                    loose.add(tier)
                continue
            if s.hint:
                m.hint(values[sel])
            # familiar faces come later: among the plans with the least count,
            # keep as much of the start (which has them) as possible
            close = tier == "fairness:at_cap" and continuity_later
            _maximize(m, tier, values[sel] if close else None)
            if not s.deterministic:
                # restricting and hinting took time too
                tier_budget -= time.perf_counter() - t_build - spent
            solver = cp_model.CpSolver()
            self._params(solver, tier_budget, len(sel), first=k == 0)
            code = solver.solve(m.model)
            if s.deterministic:
                spent += solver.deterministic_time
            status_names.append(solver.status_name(code))
            step_status[tier] = status_names[-1]
            if k == 0:
                coverage_seconds = time.perf_counter() - t_build
            solved = _solution(solver, code, m, sel, len(options))
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "step %s: %d options, %.2f s budget, %.2f s, %s, from %s to %s (bound %s%s)",
                    tier,
                    len(sel),
                    tier_budget,
                    solver.wall_time,
                    solver.status_name(code),
                    evaluate(tier, values),
                    None if solved is None else evaluate(tier, solved),
                    solver.best_objective_bound,
                    ", with the start kept" if close else "",
                )
            if solved is not None:
                before, values = values, solved
                # integer objectives; large coefficients make the double inexact
                value = evaluate(tier, values) if close else float(round(solver.objective_value))
                if "coverage" in loose and calendar is not None:
                    # a tolerance lets this step drop tasks; put back those it
                    # dropped without gaining by it
                    values[sel] = restore(
                        problem,
                        options[sel],
                        before[sel],
                        values[sel],
                        calendar,
                        partial(_keeps, {**kept, tier: value}, problem, options[sel], prior),
                    )
                    value = max(value, evaluate(tier, values))
                if k == 0:
                    # CP-SAT's bound can exceed the trivial one before its LP has run
                    bound = min(bound, float(math.floor(solver.best_objective_bound + 1e-6)))
                optimal &= code == cp_model.OPTIMAL
            else:
                # keep the previous tier's (or the greedy) solution
                optimal = False
                found &= k > 0 or bool(s.hint)
                value = evaluate(tier, values)
            tier_values[tier] = value
            kept[tier] = m.hold(tier, value, share(tier, value, tolerance))
            if tolerance > 0:
                loose.add(tier)
        if len(sel) < len(options):
            # later tiers searched only among the relevant options
            optimal = False
        tier_values = {t: _evaluate(t, values, problem, options, prior) for t in tiers}
        if not s.deterministic:
            spent = time.perf_counter() - t_build
        return {
            "values": np.flatnonzero(values),
            "bound": bound,
            "optimal": optimal,
            "found": found,
            "spent": spent,
            "tiers": tier_values,
            "status": "/".join(status_names),
            "coverage_seconds": coverage_seconds,
        }


@dataclass(frozen=True)
class _Part:
    """A part that shares nothing with any other: the settings, its options, budget and hint."""

    settings: SolverSettings
    options: IntArray
    budget: float
    hint: npt.NDArray[np.bool_]


def solve_part(problem: Problem, part: _Part, threads: int) -> dict[str, Any]:
    """Solve one independent part with ``threads`` CP-SAT workers (anywhere: see map_parts)."""
    s = part.settings
    if threads != s.workers:
        s = s.model_copy(update={"workers": threads})
    if s.hint and part.budget < BUILD_SECONDS_PER_OPTION * len(part.options):
        # no time to build a model: the part of the greedy plan is kept
        return _greedy_only(problem, part.options, part.hint, s.tiers)
    solver = CpSatSolver(s)
    # a part shares no volunteer with another: a calendar of its own is the same
    return solver._solve_component(
        problem, part.options, part.budget, part.hint, None, Calendar(problem)
    )


def _greedy_only(
    problem: Problem,
    options: IntArray,
    hint: npt.NDArray[np.bool_],
    tiers: tuple[str, ...],
    prior: Prior | None = None,
) -> dict[str, Any]:
    """The result of a component for which no time was left: its greedy plan."""
    values = complete_teams(problem, options, hint)
    return {
        "values": np.flatnonzero(values),
        "bound": float(problem.task_weight[np.unique(problem.opt_task[options])].sum()),
        "optimal": False,
        "found": True,
        "spent": 0.0,
        "tiers": {t: _evaluate(t, values, problem, options, prior) for t in tiers},
        "status": "NO_TIME_LEFT",
        "coverage_seconds": 0.0,
    }


def _relevant_options(
    problem: Problem,
    options: IntArray,
    chosen: npt.NDArray[np.bool_],
    prior: Prior | None = None,
    relief_plan: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.bool_]:
    """Large components, tiers after coverage: which options are worth keeping.

    Later tiers on a large component would not even get through presolve in
    their time. They search among the pairs of the plan so far and of the
    greedy plan (``chosen``), and pairs of past helpers, preferred volunteers,
    known care-team members and (client, volunteer) pairs who met in parts
    solved before or in those plans (so one volunteer may take all of a
    client's tasks); every start of those pairs stays. With ``relief_plan``
    (the plan so far, when a fairness tier follows), also the options of
    :func:`_relief_options` for it. The plan so far stays feasible, so this only
    narrows the search: tiers after coverage are then not proven optimal.
    """
    p = problem
    pairs = p.opt_pair[options]
    relevant = np.zeros(p.num_pairs, dtype=bool)
    relevant[pairs[chosen]] = True
    relevant |= p.pair_helped | p.pair_preferred | p.pair_team_known
    keep = relevant[pairs]
    face = face_keys(p, options)[0]
    keep |= np.isin(face, face[chosen])
    if prior is not None:
        keep |= np.isin(face, prior.faces)
    if relief_plan is not None:
        keep |= _relief_options(p, options, relief_plan, prior)
    return np.asarray(keep)


def _relief_options(
    problem: Problem, options: IntArray, chosen: npt.NDArray[np.bool_], prior: Prior | None
) -> npt.NDArray[np.bool_]:
    """Options that could take a task off a volunteer at a cap in every week.

    For the tasks that volunteers at a cap in every week hold in the plan
    ``chosen``, the options of the first few volunteers (past helpers, then the
    nearest; :data:`_CHAIN_CANDIDATES`) still below both caps in the task's
    week: without them, a restricted model could not move any such task.
    """
    p = problem
    tasks, minutes = _use_with_prior(p, options[chosen], prior)
    full = _every_week_at_cap(p, _week_state(p, options, prior), tasks, minutes)
    held = np.zeros(p.num_tasks, dtype=bool)
    held[p.opt_task[options[chosen & full[p.opt_vol[options]]]]] = True
    vol, week = p.opt_vol[options], p.task_week[p.opt_task[options]]
    below = (tasks < p.vol_max_tasks[:, None]) & (minutes < p.vol_max_minutes[:, None])
    free = np.flatnonzero(held[p.opt_task[options]] & below[vol, week])
    # per task, the pairs of the first few candidates (past helpers, then the nearest)
    pairs = np.unique(p.opt_pair[options[free]])
    ranked = pairs[np.lexsort((p.pair_km[pairs], ~p.pair_helped[pairs], p.pair_task[pairs]))]
    task_of = p.pair_task[ranked]
    rank = np.arange(len(ranked)) - np.searchsorted(task_of, task_of)
    keep = np.zeros(len(options), dtype=bool)
    keep[free[np.isin(p.opt_pair[options[free]], ranked[rank < _CHAIN_CANDIDATES])]] = True
    return keep


def _move(options: IntArray, out: npt.NDArray[np.bool_], cal: Calendar, i: int, j: int) -> None:
    """Hand the task of position ``i`` to position ``j``: in the plan ``out`` and in ``cal``."""
    out[i], out[j] = False, True
    cal.release(int(options[i]))
    cal.take(int(options[j]))


def _taken(calendar: Calendar, chosen: IntArray) -> Calendar:
    """A copy of ``calendar`` with the options ``chosen`` taken."""
    cal = calendar.copy()
    for o in chosen.tolist():
        cal.take(o)
    return cal


def _by_task(problem: Problem, task: IntArray) -> tuple[IntArray, IntArray]:
    """Positions sorted by task, and where each task's run starts (``num_tasks + 1``)."""
    by_task = np.argsort(task, kind="stable")
    return by_task, np.searchsorted(task[by_task], np.arange(problem.num_tasks + 1))


def relieve(
    problem: Problem,
    options: IntArray,
    values: npt.NDArray[np.bool_],
    calendar: Calendar,
    prior: Prior | None = None,
    slack: float = 0.0,
    keeps: Callable[[npt.NDArray[np.bool_]], bool] | None = None,
) -> npt.NDArray[np.bool_]:
    """The plan ``values`` with tasks moved off volunteers at a cap in every week.

    A quick start for the ``fairness:at_cap`` step. For each volunteer at a cap
    in every week (see :func:`_week_state`), one of their unlocked tasks in
    this component goes to another candidate that still fits (caps, overlaps,
    care teams; a past helper of the client first, then the nearest) and is
    not at a cap every week, directly or by a chain of two (that candidate
    hands one of their tasks of the week to a third), until the volunteer is
    below both caps in some week. Where no candidate fits, the
    task is left open instead if ``slack`` (covered weight that may still be
    given up, from a tolerance on coverage) allows. Coverage drops by at most
    ``slack``. Candidates who bring no new face or weekly slot (see
    :func:`new_faces`) come first. With ``keeps``, the moves for one volunteer
    are undone unless ``keeps`` holds for the plan with them (the tiers held
    before). ``calendar`` holds what other components and earlier parts took.
    """
    p = problem
    cal = _taken(calendar, options[values])
    out = values.copy()
    full = _every_week_at_cap(p, _week_state(p, options, prior), cal.tasks, cal.minutes)
    if not full.any():
        return out
    vol = p.opt_vol[options]
    task = p.opt_task[options]
    by_task, starts = _by_task(p, task)
    # candidates in order of preference: who brings no new face, then no new
    # weekly slot (see :func:`new_faces`), past helpers, then the nearest
    pairs = p.opt_pair[options]
    face, slot = new_faces(p, options, prior)
    new_face = (face >= 0) & ~np.isin(face, face[values])
    new_slot = (slot >= 0) & ~np.isin(slot, slot[values])
    rank = np.lexsort((p.pair_km[pairs], ~p.pair_helped[pairs], new_slot, new_face))
    order = np.empty(len(options), dtype=np.int64)
    order[rank] = np.arange(len(options))
    week = p.task_week[task]
    mine = np.flatnonzero(values & full[vol] & ~p.opt_locked[options])
    mine = mine[np.argsort(vol[mine], kind="stable")]
    for group in np.split(mine, np.flatnonzero(np.diff(vol[mine])) + 1) if len(mine) else []:
        v = int(vol[group[0]])
        before, spare = out.copy(), slack
        for i in group.tolist():
            t, w = int(task[i]), int(week[i])
            there = by_task[starts[t] : starts[t + 1]]
            serving = set(vol[there[out[there]]].tolist())
            # never onto somebody at a cap every week (they would only swap places)
            ranked = [
                j
                for j in there[np.argsort(order[there])].tolist()
                if vol[j] not in serving and not full[vol[j]]
            ]
            moved = False
            for j in ranked:
                if cal.fits(int(options[j])):
                    _move(options, out, cal, i, j)
                    moved = True
                    break
            for j in ranked[:_CHAIN_CANDIDATES] if not moved else []:
                # a chain of two: j's volunteer hands one of their tasks that week on
                chain = _hand_on(
                    p, options, out, cal, int(vol[j]), w, j, by_task, starts, order, full
                )
                if chain is not None:
                    out[i] = False
                    cal.release(int(options[i]))
                    moved = True
                    break
            held = there[out[there]]
            weight = float(p.task_weight[t])
            if not moved and weight <= slack and not p.opt_locked[options[held]].any():
                # nobody else fits: leave the task open, as the tolerance allows
                for j in held.tolist():
                    out[j] = False
                    cal.release(int(options[j]))
                slack -= weight
                moved = True
            below = (
                cal.tasks[v, w] < p.vol_max_tasks[v] and cal.minutes[v, w] < p.vol_max_minutes[v]
            )
            if moved and below:
                break
        if keeps is not None and (out != before).any() and not keeps(out):
            # undo this volunteer's moves: they cost a tier held before
            for j in np.flatnonzero(out & ~before).tolist():
                cal.release(int(options[j]))
            for j in np.flatnonzero(before & ~out).tolist():
                cal.take(int(options[j]))
            out, slack = before, spare
    return out


def _maximize(m: _Model, tier: str, start: npt.NDArray[np.bool_] | None = None) -> None:
    """Set the objective of ``m`` to ``tier``; with ``start``, then to keep its options.

    CP-SAT returns any plan of the best value, which may undo what the start
    holds for tiers that come later (familiar faces). With ``start`` the
    objective is ``tier · (n + 1) + (options of start kept)``, ``n`` the
    options of ``start``: the same best value of ``tier``, and of the plans
    with it one that changes the start least.
    """
    if start is None:
        m.model.maximize(m.tiers[tier])
        return
    ours = np.flatnonzero(start).tolist()
    m.model.maximize(m.tiers[tier] * (len(ours) + 1) + _lsum([m.x[i] for i in ours]))


def _solution(
    solver: cp_model.CpSolver, code: cp_model.CpSolverStatus, m: _Model, sel: IntArray, size: int
) -> npt.NDArray[np.bool_] | None:
    """The plan CP-SAT found (over ``size`` options, the model's at ``sel``), if it found one."""
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    values = np.zeros(size, dtype=bool)
    values[sel] = [solver.boolean_value(v) for v in m.x]
    return values


def _keeps(
    floors: Mapping[str, float],
    problem: Problem,
    options: IntArray,
    prior: Prior | None,
    values: npt.NDArray[np.bool_],
) -> bool:
    """Whether the plan ``values`` of a model of ``options`` keeps every tier at its floor."""
    return all(_evaluate(t, values, problem, options, prior) >= v for t, v in floors.items())


def restore(
    problem: Problem,
    options: IntArray,
    before: npt.NDArray[np.bool_],
    after: npt.NDArray[np.bool_],
    calendar: Calendar,
    keeps: Callable[[npt.NDArray[np.bool_]], bool],
) -> npt.NDArray[np.bool_]:
    """The plan ``after`` with tasks of ``before`` it left open put back where that costs nothing.

    A step solved with a tolerance on coverage may leave tasks open that it
    gained nothing by: CP-SAT returns any plan of the best value. Each task
    covered in ``before`` and open in ``after`` (heaviest first) gets its
    options of ``before`` back when they still fit (caps, overlaps, care teams;
    ``calendar`` holds what other components and earlier parts took) and the
    plan still ``keeps`` (every held tier and this step's value). Coverage
    only rises.
    """
    p = problem
    task = p.opt_task[options]
    open_ = np.zeros(p.num_tasks, dtype=bool)
    open_[task[before]] = True
    open_[task[after]] = False
    if not open_.any():
        return after
    out = after.copy()
    cal = _taken(calendar, options[out])
    dropped = np.flatnonzero(open_)
    for t in dropped[np.argsort(-p.task_weight[dropped], kind="stable")].tolist():
        back = np.flatnonzero(before & (task == t))
        taken: list[int] = []
        for i in back.tolist():
            if not cal.fits(int(options[i])):
                break
            cal.take(int(options[i]))
            taken.append(i)
        trial = out.copy()
        trial[taken] = True
        if len(taken) == len(back) and keeps(trial):
            out = trial
        else:
            for i in taken:
                cal.release(int(options[i]))
    return out


#: Candidates per task that :func:`relieve` tries to free by a chain of two moves.
_CHAIN_CANDIDATES = 8


def _hand_on(
    p: Problem,
    options: IntArray,
    out: npt.NDArray[np.bool_],
    cal: Calendar,
    u: int,
    w: int,
    j: int,
    by_task: IntArray,
    starts: IntArray,
    order: IntArray,
    full: npt.NDArray[np.bool_],
) -> int | None:
    """Make room for option ``j`` of volunteer ``u`` by moving one of ``u``'s week-``w`` tasks.

    Tries each unlocked task ``u`` holds in week ``w``: when, without it, ``j``
    fits and another candidate of that task fits too, both moves are made in
    ``out`` and ``cal`` (``j`` taken) and that candidate's position is returned.
    """
    vol = p.opt_vol[options]
    task = p.opt_task[options]
    week = p.task_week[task]
    held = np.flatnonzero(out & (vol == u) & (week == w) & ~p.opt_locked[options])
    for k in held.tolist():
        cal.release(int(options[k]))
        if cal.fits(int(options[j])):
            cal.take(int(options[j]))
            tk = int(task[k])
            there = by_task[starts[tk] : starts[tk + 1]]
            serving = set(vol[there[out[there]]].tolist())
            for m in there[np.argsort(order[there])][: 4 * _CHAIN_CANDIDATES].tolist():
                if vol[m] in serving or vol[m] == u or full[vol[m]]:
                    continue
                if not cal.fits(int(options[m])):
                    continue
                cal.take(int(options[m]))
                out[k], out[m], out[j] = False, True, True
                return int(m)
            cal.release(int(options[j]))
        cal.take(int(options[k]))
    return None


def familiar_swaps(
    problem: Problem,
    options: IntArray,
    values: npt.NDArray[np.bool_],
    calendar: Calendar,
    prior: Prior | None = None,
) -> npt.NDArray[np.bool_]:
    """The plan ``values`` with tasks handed to familiar faces where one fits.

    A quick start for the continuity tier. Each chosen, unlocked option that
    alone brings a new face or a new weekly slot (see :func:`new_faces`) goes
    to another candidate of the same task who brings neither (a past helper, a
    face or slot of the plan or of parts solved before) and still fits (caps,
    overlaps, care teams). Coverage stays the same and the count of new faces
    and slots only falls. ``calendar`` holds what other components and earlier
    parts took.
    """
    p = problem
    cal = _taken(calendar, options[values])
    out = values.copy()
    face, slot = new_faces(p, options, prior)
    faces: dict[int, int] = {}
    slots: dict[int, int] = {}
    for i in np.flatnonzero(values).tolist():
        faces[int(face[i])] = faces.get(int(face[i]), 0) + 1
        slots[int(slot[i])] = slots.get(int(slot[i]), 0) + 1
    vol = p.opt_vol[options]
    task = p.opt_task[options]
    by_task, starts = _by_task(p, task)
    costly = values & ((face >= 0) | (slot >= 0)) & ~p.opt_locked[options]
    for i in np.flatnonzero(costly).tolist():
        gain = int(face[i] >= 0 and faces[int(face[i])] == 1)
        gain += int(slot[i] >= 0 and slots[int(slot[i])] == 1)
        if not gain:
            continue  # others bring the same face and slot: nothing to win
        there = by_task[starts[task[i]] : starts[task[i] + 1]]
        serving = set(vol[there[out[there]]].tolist())
        for j in there.tolist():
            f, s = int(face[j]), int(slot[j])
            if (f >= 0 and not faces.get(f)) or (s >= 0 and not slots.get(s)):
                continue  # would bring a new face or slot itself
            if vol[j] in serving or not cal.fits(int(options[j])):
                continue
            _move(options, out, cal, i, j)
            faces[int(face[i])] -= 1
            slots[int(slot[i])] -= 1
            faces[f] = faces.get(f, 0) + 1
            slots[s] = slots.get(s, 0) + 1
            break
    return out


def _restricted_model(
    problem: Problem,
    options: IntArray,
    tiers: tuple[str, ...],
    prior: Prior | None,
    kept: dict[str, int],
) -> _Model:
    """A fresh model of ``options`` (a subset) that keeps the tiers solved so far.

    Building the small model anew is much faster than fixing the other options
    to zero in the large one: CP-SAT's presolve took seconds to remove them.
    The floors in ``kept`` stay valid because the tiers solved before the
    restriction (coverage) do not depend on which options the model holds.
    """
    m = build_model(problem, options, tiers, prior)
    for name, floor in kept.items():
        expr = m.tier(name)
        if expr is not None:
            m.model.add(expr >= floor)
    return m


def _evaluate(
    tier: str,
    values: npt.NDArray[np.bool_],
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
) -> float:
    """Value of ``tier`` for the options of one component selected by ``values``."""
    p = problem
    chosen = options[values]
    if tier == "coverage":
        return float(p.task_weight[covered_tasks(p, chosen)].sum())
    if tier == "stability":
        return float(p.opt_previous[chosen].sum())
    if tier == "continuity":
        heavy = int(p.task_needed.sum()) + 1
        face, slot = new_faces(p, chosen, prior)
        used = len(np.unique(face[face >= 0])) + len(np.unique(slot[slot >= 0]))
        return float(p.pair_preferred[p.opt_pair[chosen]].sum() - heavy * used)
    if tier.startswith("fairness"):
        top, full, spread, groups = _fairness_parts(p, chosen, options, prior)
        if tier == "fairness:peak":
            return -float(top)
        if tier == "fairness:at_cap":
            return -float(full)
        if tier == "fairness:spread":
            return -float(spread)
        # the whole tier, lexicographic in one number (reported, never optimised)
        b = _spread_ceiling(p, prior) + 1
        return -float((groups + 1) * b) * float(top) - float(b * full) - float(spread)
    return -float(travel_units(p, chosen).sum())


def _use_with_prior(
    problem: Problem, chosen: IntArray, prior: Prior | None
) -> tuple[IntArray, IntArray]:
    """Weekly tasks and minutes of the options ``chosen``, plus those of ``prior``."""
    tasks, minutes = weekly_use(problem, chosen)
    if prior is not None:
        tasks += prior.tasks
        minutes += prior.minutes
    return tasks, minutes


def _every_week_at_cap(
    problem: Problem, state: _WeekState, tasks: IntArray, minutes: IntArray
) -> npt.NDArray[np.bool_]:
    """Per volunteer: at a cap in every week (``tasks``, ``minutes``: weekly use)."""
    p = problem
    at_cap = (tasks >= p.vol_max_tasks[:, None]) | (minutes >= p.vol_max_minutes[:, None])
    return np.asarray(np.where(state.present, at_cap, state.full).all(axis=1) & state.counted)


def _fairness_parts(
    problem: Problem, chosen: IntArray, options: IntArray, prior: Prior | None = None
) -> tuple[int, int, int, int]:
    """The fairness steps' values for the ``chosen`` options of a model of ``options``.

    Returns the highest load (per mille), the number of volunteers at a cap in
    every week, the spread, and the number of (volunteer, week) groups; as the
    model counts them (see :func:`_week_state`): over the volunteers that have
    options in ``options``, with the use of ``prior`` added.
    """
    p = problem
    state = _week_state(p, options, prior)
    tasks, minutes = _use_with_prior(p, chosen, prior)
    present = state.present
    week_share = np.ceil(SHARE_SCALE * cap_share(p, tasks, minutes) - 1e-9).astype(np.int64)
    total = np.where(present, week_share, state.share).sum(axis=1)
    weeks = max(p.num_weeks, 1)
    used = present.any(axis=1)
    top = int((-(-total[used] // weeks)).max(initial=0))
    every = _every_week_at_cap(p, state, tasks, minutes)
    caps = p.vol_max_tasks
    weights = _SPREAD_SCALE // np.maximum(caps, 1)
    n = np.bincount(p.opt_vol[chosen], minlength=p.num_volunteers) + _recent_tasks(p, prior)
    use = used & (caps > 0)
    spread = int((weights * n * n)[use].sum())
    return top, int(every.sum()), spread, int(present.sum())
