"""matchkracht: match volunteers to the recurring help residents ask for.

The data flows one way::

    Registry (pandas) → build_problem → Problem (frozen numpy) → Solver → Solution → Plan

Quick start
-----------
>>> import matchkracht as mk
>>> registry = mk.load_demo()
>>> plan = mk.match(registry, week="2026-W49", time_limit=5, seed=0)
>>> plan.status in {"optimal", "feasible"}
True
>>> mk.check(registry, plan).empty
True
"""

from __future__ import annotations

from matchkracht.advice.explain import explain_plan
from matchkracht.advice.fixes import Fix, apply_fix, find_fix, verify_fix
from matchkracht.advice.report import write_report
from matchkracht.advice.signals import recruitment_advice, signal_trend, unmet_signals
from matchkracht.advice.whocan import WhoCan, who_can
from matchkracht.api import match, versions
from matchkracht.data.geo import GreatCircleTravel, MatrixTravel
from matchkracht.data.horizon import Horizon
from matchkracht.data.registry import Registry
from matchkracht.demo import DEMO_WEEK, demo_path, load_demo
from matchkracht.errors import (
    InvalidRegistryError,
    InvalidSettingsError,
    MatchkrachtError,
    MatchkrachtWarning,
)
from matchkracht.outputs import (
    FunderReport,
    funder_report,
    resident_messages,
    to_ics,
    volunteer_messages,
    week_map_svg,
    write_messages,
    write_roster,
)
from matchkracht.plan.check import check
from matchkracht.plan.result import Plan, build_plan
from matchkracht.problem import Problem, build_problem
from matchkracht.replan import (
    NeedAdded,
    NeedWithdrawn,
    ReplanResult,
    TaskDeclined,
    VolunteerCancels,
    replan,
)
from matchkracht.settings import SolverSettings
from matchkracht.solver.base import Solution, Solver
from matchkracht.solver.cpsat import CpSatSolver
from matchkracht.solver.greedy import GreedySolver

__version__ = "0.1.0"


__all__ = [
    "DEMO_WEEK",
    "CpSatSolver",
    "Fix",
    "FunderReport",
    "GreatCircleTravel",
    "GreedySolver",
    "Horizon",
    "InvalidRegistryError",
    "InvalidSettingsError",
    "MatchkrachtError",
    "MatchkrachtWarning",
    "MatrixTravel",
    "NeedAdded",
    "NeedWithdrawn",
    "Plan",
    "Problem",
    "Registry",
    "ReplanResult",
    "Solution",
    "Solver",
    "SolverSettings",
    "TaskDeclined",
    "VolunteerCancels",
    "WhoCan",
    "__version__",
    "apply_fix",
    "build_plan",
    "build_problem",
    "check",
    "demo_path",
    "explain_plan",
    "find_fix",
    "funder_report",
    "load_demo",
    "match",
    "recruitment_advice",
    "replan",
    "resident_messages",
    "signal_trend",
    "to_ics",
    "unmet_signals",
    "verify_fix",
    "versions",
    "volunteer_messages",
    "week_map_svg",
    "who_can",
    "write_messages",
    "write_report",
    "write_roster",
]
