"""The objective tiers' registry, their order, and building a part's model.

:data:`REGISTRY` is the one place where the tiers are declared: a new
objective is an :class:`~matchkracht.solver.cpsat.objectives.Objective` added
here (with its name in :data:`matchkracht.settings.Tier`). The tiers are
optimised lexicographically, each later one with the earlier ones held at
their values (less a tolerance): by default coverage, stability
(re-planning), continuity, fairness (three steps) and travel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from ortools.sat.python import cp_model

from matchkracht.problem.core import Problem
from matchkracht.problem.occupancy import Prior
from matchkracht.solver.cpsat.budget import (
    AT_CAP_BUSY_WEIGHT,
    AT_CAP_ONE_WEEK_WEIGHT,
    TIER_WEIGHT,
)
from matchkracht.solver.cpsat.fairness import fairness_terms, fairness_value
from matchkracht.solver.cpsat.linear import BoolArray, IntArray
from matchkracht.solver.cpsat.model import Model
from matchkracht.solver.cpsat.objectives import (
    Objective,
    PartView,
    TermsInput,
    continuity_terms,
    continuity_value,
    coverage_value,
    stability_terms,
    stability_value,
    travel_terms,
    travel_value,
)
from matchkracht.solver.cpsat.rules import (
    AuxOr,
    add_locks,
    add_no_overlap,
    add_task_cover,
    add_team_caps,
    add_weekly_caps,
)
from matchkracht.solver.cpsat.warmstart import familiar_start, relief_start

__all__ = [
    "FAIRNESS_STEPS",
    "REGISTRY",
    "at_cap_giver",
    "build_model",
    "early_week_tiers",
    "evaluate",
    "keeps",
    "restricted_model",
    "solve_steps",
]

#: The fairness tier is solved as these three steps, each held before the next.
FAIRNESS_STEPS = ("fairness:at_cap", "fairness:peak", "fairness:spread")


def _fairness(b: TermsInput) -> dict[str, cp_model.LinearExpr]:
    return fairness_terms(b.model, b.x, b.problem, b.options, b.prior, b.aux_fn)


def _fairness_step(step: str) -> Callable[[Problem, IntArray, IntArray, Prior | None], float]:
    return lambda problem, chosen, options, prior: fairness_value(
        step, problem, chosen, options, prior
    )


def _at_cap_weight(part: PartView, value: float) -> float | None:
    """One week: at a cap "every week" is at a cap this week, common and rarely
    movable after continuity; somebody at a cap every week: the step has real
    work, give it more time."""
    if part.problem.num_weeks <= 1:
        return AT_CAP_ONE_WEEK_WEIGHT
    if value < 0:
        return AT_CAP_BUSY_WEIGHT
    return None


def _peak_skip(part: PartView, tolerance: float) -> str | None:
    """Somebody is at a cap, so the highest share is 100 %: when the count was
    proven least (and kept whole), no plan does better (``IMPLIED``)."""
    if part.evaluate("fairness:at_cap", part.values) >= 0:
        return None
    exact = part.step_status.get("fairness:at_cap") == "OPTIMAL" and tolerance == 0
    return "IMPLIED" if exact else "SKIPPED"


#: Every objective tier and step, by name: the one place they are declared.
REGISTRY: Mapping[str, Objective] = {
    o.name: o
    for o in (
        Objective("coverage", coverage_value, None, TIER_WEIGHT["coverage"]),
        Objective("stability", stability_value, stability_terms, TIER_WEIGHT["stability"]),
        Objective(
            "continuity",
            continuity_value,
            continuity_terms,
            TIER_WEIGHT["continuity"],
            warm_start=familiar_start,
        ),
        Objective(
            "fairness",
            _fairness_step("fairness"),
            None,
            TIER_WEIGHT["fairness"],
            steps=FAIRNESS_STEPS,
        ),
        Objective(
            "fairness:at_cap",
            _fairness_step("fairness:at_cap"),
            _fairness,
            TIER_WEIGHT["fairness:at_cap"],
            family="fairness",
            warm_start=relief_start,
            time_weight=_at_cap_weight,
            keep_start_for="continuity",
        ),
        Objective(
            "fairness:peak",
            _fairness_step("fairness:peak"),
            _fairness,
            TIER_WEIGHT["fairness:peak"],
            family="fairness",
            skip=_peak_skip,
        ),
        Objective(
            "fairness:spread",
            _fairness_step("fairness:spread"),
            _fairness,
            TIER_WEIGHT["fairness:spread"],
            family="fairness",
        ),
        Objective("travel", travel_value, travel_terms, TIER_WEIGHT["travel"]),
    )
}


def solve_steps(tiers: tuple[str, ...]) -> tuple[str, ...]:
    """The tiers as solved: a tier of several steps (fairness) becomes its steps.

    Examples
    --------
    >>> solve_steps(("coverage", "fairness", "travel"))
    ('coverage', 'fairness:at_cap', 'fairness:peak', 'fairness:spread', 'travel')
    """
    out: list[str] = []
    for t in tiers:
        out.extend(REGISTRY[t].steps or (t,))
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


def evaluate(
    tier: str,
    values: BoolArray,
    problem: Problem,
    options: IntArray,
    prior: Prior | None = None,
) -> float:
    """Value of ``tier`` for the options of one part selected by ``values``."""
    return REGISTRY[tier].value(problem, options[values], options, prior)


def keeps(
    floors: Mapping[str, float],
    problem: Problem,
    options: IntArray,
    prior: Prior | None,
    values: BoolArray,
) -> bool:
    """Whether the plan ``values`` of a model of ``options`` keeps every tier at its floor."""
    return all(evaluate(t, values, problem, options, prior) >= v for t, v in floors.items())


def build_model(
    problem: Problem,
    options: IntArray,
    tiers: tuple[str, ...] = ("coverage", "continuity", "travel"),
    prior: Prior | None = None,
) -> Model:
    """The CP-SAT model of one part (options given by index) with its tier objectives.

    ``prior`` is what parts solved before took (see
    :class:`~matchkracht.problem.occupancy.Prior`). The hard rules and the
    coverage objective are built at once; the later tiers when first asked
    for (:meth:`Model.tier`). Variables are named by problem index:
    ``x[task,volunteer,start]`` for the options.
    """
    model = cp_model.CpModel()
    p = problem
    x = [
        model.new_bool_var(f"x[{t},{v},{s}]")
        for t, v, s in zip(
            p.opt_task[options].tolist(),
            p.opt_vol[options].tolist(),
            p.opt_start[options].tolist(),
            strict=True,
        )
    ]
    aux: list[AuxOr] = []
    cover = add_task_cover(model, x, problem, options, aux)
    add_no_overlap(model, x, problem, options)
    add_weekly_caps(model, x, problem, options, prior)
    add_team_caps(model, x, problem, options, aux, prior)
    add_locks(model, x, problem, options)
    m = Model(model, x, cover, aux_or=aux)
    m.tiers["coverage"] = cover
    terms_input = TermsInput(model, x, problem, options, prior, m.aux_or, m.aux_fn)
    families: set[str] = set()
    for step in solve_steps(tiers):
        objective = REGISTRY[step]
        family = objective.family or step
        if objective.terms is None or family in families:
            continue  # coverage, or a step built with the first of its tier
        families.add(family)
        m.pending[step] = partial(objective.terms, terms_input)
    return m


def restricted_model(
    problem: Problem,
    options: IntArray,
    tiers: tuple[str, ...],
    prior: Prior | None,
    kept: Mapping[str, int],
) -> Model:
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
