"""Objective tiers as objects, and the terms of the simple ones.

An :class:`Objective` holds what the engine needs of one tier (or one step of a
tier solved in steps): how it adds its terms to a model, how it values a plan
in numpy (the same number the model's objective has for that plan), its time
weight, and its own warm start, skip rule and time weight rule where it has
them. The objectives are registered once, in
:data:`matchkracht.solver.cpsat.tiers.REGISTRY`. :class:`PartView` is what a
warm start or rule of an objective may read of the part being solved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from ortools.sat.python import cp_model

from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Calendar, Prior, covered_tasks, face_keys
from matchkracht.settings import SolverSettings
from matchkracht.solver.cpsat.budget import Budget
from matchkracht.solver.cpsat.linear import BoolArray, Derived, IntArray, lsum
from matchkracht.solver.cpsat.model import Model
from matchkracht.solver.cpsat.rules import AuxOr

__all__ = [
    "Objective",
    "PartView",
    "Terms",
    "TermsInput",
    "continuity_terms",
    "continuity_value",
    "coverage_value",
    "new_faces",
    "stability_terms",
    "stability_value",
    "travel_terms",
    "travel_units",
    "travel_value",
]


class PartView(Protocol):
    """What an objective's warm start or rule may read of the part being solved.

    ``options`` are the part's options; the model holds those at positions
    ``sel`` (all, unless later tiers of a large part were restricted).
    ``values`` is the plan so far over ``options``; ``kept`` the floor of each
    step held so far.
    """

    problem: Problem
    settings: SolverSettings
    options: IntArray
    sel: IntArray
    values: BoolArray
    prior: Prior | None
    calendar: Calendar | None
    budget: Budget
    kept: dict[str, int]
    tiers: tuple[str, ...]
    step_status: dict[str, str]

    def evaluate(self, tier: str, values: BoolArray) -> float:
        """Value of ``tier`` for ``values`` (over ``options``), over the model's options."""
        ...

    def improves(self, tier: str, start: BoolArray, current: BoolArray) -> bool:
        """``start`` is better than ``current`` on ``tier`` and keeps every tier held."""
        ...

    def keeps(self, floors: Mapping[str, float]) -> Callable[[BoolArray], bool]:
        """Whether a plan over the model's options keeps every tier at its floor in ``floors``."""
        ...

    def comes_later(self, tier: str) -> bool:
        """Whether ``tier`` is still to be solved after the current step."""
        ...

    def fresh_model(self, floors: dict[str, int]) -> Model:
        """A new model of the model's options with every tier in ``floors`` held there."""
        ...


@dataclass(frozen=True)
class TermsInput:
    """What a tier's terms are built from: the model, its option booleans ``x``
    (one per position of ``options``), the problem, the prior of earlier parts,
    and the lists collecting auxiliary variables for complete hints."""

    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    problem: Problem
    options: IntArray
    prior: Prior | None
    aux_or: list[AuxOr]
    aux_fn: list[Derived]


#: A tier's terms: the objective of each step it builds, by name.
Terms = Callable[[TermsInput], dict[str, cp_model.LinearExpr]]
#: A tier's value for a plan: (problem, chosen options, the model's options, prior).
Value = Callable[[Problem, IntArray, IntArray, "Prior | None"], float]


@dataclass(frozen=True)
class Objective:
    """One objective tier, or one step of a tier solved in steps.

    Attributes
    ----------
    name
        The tier's or step's name as in ``SolverSettings.tiers``.
    value
        Its value for a plan in numpy (to maximise; equal to the model's).
    terms
        Adds its terms to a model; ``None`` for coverage, whose terms come with
        the task-cover rule. Steps of one tier share one builder (``family``).
    weight
        Its time weight (see :func:`~matchkracht.solver.cpsat.budget.tier_share`).
    steps
        For a tier solved as several steps, their names (else empty).
    family
        The tier a step belongs to (its terms are built together), else ``name``.
    warm_start
        Its own start: ``(part, values) -> values`` (or ``None``).
    time_weight
        Replaces ``weight`` from the start's value: ``(part, value) -> weight``.
    keep_start_for
        A tier that gains from this step's start when it comes later: then, of
        the plans of the best value, the step keeps as much of its start as
        possible (``fairness:at_cap`` keeps familiar faces for continuity).
    skip
        Whether the step needs no solve: ``(part, tolerance) -> status`` (a
        status name, ``"IMPLIED"`` when the plan so far is proven best) or ``None``.
    """

    name: str
    value: Value
    terms: Terms | None
    weight: float
    steps: tuple[str, ...] = ()
    family: str = ""
    warm_start: Callable[[PartView, BoolArray], BoolArray] | None = None
    time_weight: Callable[[PartView, float], float | None] | None = None
    skip: Callable[[PartView, float], str | None] | None = None
    keep_start_for: str = ""


def coverage_value(
    problem: Problem, chosen: IntArray, options: IntArray, prior: Prior | None = None
) -> float:
    """Covered task weight of a plan (the task-cover rule builds the model's terms)."""
    return float(problem.task_weight[covered_tasks(problem, chosen)].sum())


def stability_terms(b: TermsInput) -> dict[str, cp_model.LinearExpr]:
    """Stability (re-planning): keep as many assignments of the previous plan as possible."""
    keep = np.flatnonzero(b.problem.opt_previous[b.options])
    return {"stability": lsum([b.x[i] for i in keep.tolist()])} if len(keep) else {}


def stability_value(
    problem: Problem, chosen: IntArray, options: IntArray, prior: Prior | None = None
) -> float:
    """Assignments of the previous plan a plan keeps."""
    return float(problem.opt_previous[chosen].sum())


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


def continuity_terms(b: TermsInput) -> dict[str, cp_model.LinearExpr]:
    """Continuity: familiar faces, then preferred volunteers.

    Counts each new face (a volunteer serving a client they never helped
    before) once, however many of the client's tasks they take, and on
    multi-week horizons each (need, weekday, volunteer) slot once, so the same
    person keeps "the Monday lunch". Fewer is better; preferred volunteers
    break ties (weight 1 against ``H`` per face or slot).
    """
    p, x, model = b.problem, b.x, b.model
    face, slot = new_faces(p, b.options, b.prior)
    pref = p.pair_preferred[p.opt_pair[b.options]]
    heavy = int(p.task_needed.sum()) + 1  # more than all preferred points of any plan
    terms: list[cp_model.IntVar] = [x[i] for i in np.flatnonzero(pref).tolist()]
    penalty: list[cp_model.IntVar] = []
    for kind, keys in (("new_face", face), ("new_slot", slot)):
        pos = np.flatnonzero(keys >= 0)
        if not len(pos):
            continue
        order = pos[np.argsort(keys[pos], kind="stable")]
        cuts = np.flatnonzero(np.diff(keys[order])) + 1
        for group in np.split(order, cuts):
            used = model.new_bool_var(f"{kind}[{int(keys[group[0]])}]")
            for i in group.tolist():
                model.add_implication(x[i], used)
            penalty.append(used)
            b.aux_or.append((used, group.tolist()))
    if not terms and not penalty:
        return {}
    expr = cp_model.LinearExpr.weighted_sum(
        terms + penalty, [1] * len(terms) + [-heavy] * len(penalty)
    )
    return {"continuity": expr}


def continuity_value(
    problem: Problem, chosen: IntArray, options: IntArray, prior: Prior | None = None
) -> float:
    """Preferred volunteers of a plan less ``H`` per new face and new weekly slot."""
    p = problem
    heavy = int(p.task_needed.sum()) + 1
    face, slot = new_faces(p, chosen, prior)
    used = len(np.unique(face[face >= 0])) + len(np.unique(slot[slot >= 0]))
    return float(p.pair_preferred[p.opt_pair[chosen]].sum() - heavy * used)


def travel_units(problem: Problem, options: IntArray) -> IntArray:
    """Travel coefficients: round-trip km in units of 100 m."""
    return np.asarray(np.rint(problem.pair_km[problem.opt_pair[options]] * 10).astype(np.int64))


def travel_terms(b: TermsInput) -> dict[str, cp_model.LinearExpr]:
    """Travel: least travel (round-trip km, in units of 100 m)."""
    km = travel_units(b.problem, b.options)
    nz = np.flatnonzero(km)
    return {
        "travel": cp_model.LinearExpr.weighted_sum(
            [b.x[i] for i in nz.tolist()], (-km[nz]).tolist()
        )
    }


def travel_value(
    problem: Problem, chosen: IntArray, options: IntArray, prior: Prior | None = None
) -> float:
    """Travel of a plan (negated: to maximise)."""
    return -float(travel_units(problem, chosen).sum())
