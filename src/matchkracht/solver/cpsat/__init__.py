"""The CP-SAT engine: a time-indexed model over the problem's start options.

Formulation (one boolean per option: task *t*, volunteer *v*, start *s*):

* the hard rules (:mod:`~matchkracht.solver.cpsat.rules`): a task takes at most
  one start and, at it, all the volunteers it needs or none; a volunteer's
  occupied intervals never overlap (one at-most-one constraint per maximal
  clique of their interval graph: exact, with a strong LP bound); weekly task
  and hour caps per volunteer; at most ``max_team`` distinct volunteers per
  need; locked assignments stay. Every other hard rule (skills, languages,
  distance, availability windows, unavailable dates, exclusions, strict
  continuity) is already enforced by which options exist.
* the objective tiers (:mod:`~matchkracht.solver.cpsat.tiers`), optimised
  lexicographically in the order of ``SolverSettings.tiers``: by default
  coverage, stability (re-planning), continuity, fairness (three steps) and
  travel; each later tier keeps the earlier ones at their values (less a
  tolerance).

Independent components (no shared volunteer) are solved apart; very large
ones are split into regions or weeks (:mod:`~matchkracht.solver.cpsat.decompose`).
The modules: ``budget`` (time and tuning numbers, :class:`Budget`), ``rules``,
``objectives`` and ``fairness`` (the tiers' terms and values), ``tiers`` (the
registry, building a model), ``model`` (the model wrapper), ``warmstart``
(starts and repairs), ``restrict`` (the options a large part's later tiers
search among), ``decompose``, ``engine`` (:class:`CpSatSolver`, the loops),
``supply`` and ``exact_weeks`` (the bound after the search).
"""

from matchkracht.problem.occupancy import Calendar, Prior, face_keys
from matchkracht.solver.cpsat.budget import (
    BUILD_SECONDS_PER_OPTION,
    LARGE_COMPONENT,
    LNS_ONLY_SECONDS_PER_OPTION,
    MIN_TIER_SECONDS_PER_OPTION,
    Budget,
    tier_share,
)
from matchkracht.solver.cpsat.decompose import (
    complete_teams,
    components,
    split_parts,
    split_region,
    split_weeks,
)
from matchkracht.solver.cpsat.engine import CpSatSolver, PartResult, solve_part
from matchkracht.solver.cpsat.model import Model, maximize
from matchkracht.solver.cpsat.objectives import Objective, new_faces, travel_units
from matchkracht.solver.cpsat.restrict import relevant_options
from matchkracht.solver.cpsat.rules import interval_cliques
from matchkracht.solver.cpsat.tiers import (
    FAIRNESS_STEPS,
    REGISTRY,
    at_cap_giver,
    build_model,
    early_week_tiers,
    evaluate,
    solve_steps,
)
from matchkracht.solver.cpsat.warmstart import (
    familiar_swaps,
    relieve,
    restore,
)

__all__ = [
    "BUILD_SECONDS_PER_OPTION",
    "FAIRNESS_STEPS",
    "LARGE_COMPONENT",
    "LNS_ONLY_SECONDS_PER_OPTION",
    "MIN_TIER_SECONDS_PER_OPTION",
    "REGISTRY",
    "Budget",
    "Calendar",
    "CpSatSolver",
    "Model",
    "Objective",
    "PartResult",
    "Prior",
    "at_cap_giver",
    "build_model",
    "complete_teams",
    "components",
    "early_week_tiers",
    "evaluate",
    "face_keys",
    "familiar_swaps",
    "interval_cliques",
    "maximize",
    "new_faces",
    "relevant_options",
    "relieve",
    "restore",
    "solve_part",
    "solve_steps",
    "split_parts",
    "split_region",
    "split_weeks",
    "tier_share",
    "travel_units",
]
