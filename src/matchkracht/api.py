"""The one-call entry point: registry + horizon → plan."""

from __future__ import annotations

import logging
import platform
import time
from importlib import metadata as importlib_metadata
from typing import TYPE_CHECKING, Any

from matchkracht.data.geo import GreatCircleTravel, TravelModel
from matchkracht.data.horizon import Horizon
from matchkracht.data.registry import Registry
from matchkracht.plan.result import Plan, build_plan
from matchkracht.plan.trips import TripTables, trip_tables
from matchkracht.problem.build import build_problem
from matchkracht.problem.core import IntArray, Problem
from matchkracht.problem.trips import trip_days
from matchkracht.settings import SolverSettings
from matchkracht.solver.base import Solver
from matchkracht.solver.cpsat import CpSatSolver
from matchkracht.solver.trips.weekly import solve_trip_days

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["match", "trips_stage", "versions"]

logger = logging.getLogger("matchkracht")


def versions() -> dict[str, str]:
    """Versions of matchkracht, OR-Tools, Python and the platform, for plan metadata."""
    out = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    for dist in ("matchkracht", "ortools", "numpy", "pandas"):
        try:
            out[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


def match(
    registry: Registry,
    week: str | Horizon | None = None,
    *,
    weeks: int = 1,
    horizon: str | Horizon | None = None,
    solver: Solver | None = None,
    travel: TravelModel | None = None,
    lang: str = "en",
    cluster: Client | None = None,
    **settings: Any,
) -> Plan:
    """Match volunteers to the tasks of a horizon.

    Parameters
    ----------
    registry
        The validated registry.
    week
        ISO week to plan, e.g. ``"2026-W49"`` (or pass ``horizon``).
    weeks
        Number of consecutive ISO weeks from ``week``.
    horizon
        A :class:`~matchkracht.data.horizon.Horizon` or ``"YYYY-MM-DD..YYYY-MM-DD"``.
    solver
        An engine following :class:`~matchkracht.solver.base.Solver`; default
        :class:`~matchkracht.solver.cpsat.CpSatSolver` built from ``settings``.
    travel
        Distance and travel-time model (default great-circle × 1.3 at 40 km/h).
    lang
        Language of the ``reason`` sentences in ``plan.unmatched``: ``"en"``
        (default) or ``"nl"``.
    cluster
        A :class:`distributed.Client`: the independent parts of the problem
        are solved on its workers (see :mod:`matchkracht.scale`); default: in
        this process. Not with ``solver`` (give that solver the cluster).
    **settings
        Fields of :class:`~matchkracht.settings.SolverSettings`: ``time_limit``,
        ``seed``, ``workers``, ``deterministic``, ``tiers``, ``tolerance``,
        ``grid``, ``regions``, ``trips``, ``trips_time_limit``.

    Returns
    -------
    Plan
        Always a plan: tasks that cannot be matched are listed in
        ``plan.unmatched`` with their reasons.
    """
    from matchkracht.errors import InvalidSettingsError

    if (week is None) == (horizon is None):
        raise InvalidSettingsError("Pass exactly one of 'week' and 'horizon' to match().")
    if solver is not None and cluster is not None:
        raise InvalidSettingsError(
            "Pass 'cluster' to match() or to your solver, not both: match() gives it "
            "to the default CpSatSolver only."
        )
    if week is not None:
        hz = week if isinstance(week, Horizon) else Horizon.from_week(week, weeks)
    else:
        assert horizon is not None
        hz = Horizon.parse(horizon)
    cfg = SolverSettings.make(**settings)
    problem = build_problem(registry, hz, grid=cfg.grid, travel=travel)
    engine = solver if solver is not None else CpSatSolver(cfg, cluster=cluster)
    solution = engine.solve(problem)
    logger.info(
        "solved %s with %s: status %s in %.2f s",
        hz.label,
        engine.name,
        solution.status,
        solution.seconds,
    )
    meta: dict[str, Any] = {"versions": versions(), "problem": problem.summary()}
    if solver is None:
        meta["settings"] = cfg.model_dump(mode="json")
    tables = None
    if cfg.trips:
        tables = trips_stage(problem, registry, solution.options, travel, cfg)
        meta["trips_seconds"] = tables.seconds
    return build_plan(problem, solution, registry, meta, lang=lang, trips=tables)


def trips_stage(
    problem: Problem,
    registry: Registry,
    options: IntArray,
    travel: TravelModel | None,
    cfg: SolverSettings,
) -> TripTables:
    """The trips stage: the round-trip plan's rides, day by day, as outings."""
    t0 = time.perf_counter()
    days = trip_days(problem, registry, options, travel or GreatCircleTravel())
    limit = cfg.trips_time_limit or cfg.time_limit / 2
    solutions = solve_trip_days(
        days, time_limit=limit, deterministic=cfg.deterministic, engine=cfg.trips_engine,
        seed=cfg.seed,
    )  # fmt: skip
    tables = trip_tables(problem, options, days, solutions)
    seconds = round(time.perf_counter() - t0, 3)
    logger.info(
        "trips: %d days, %d outings in %.2f s (%s)",
        len(days),
        sum(len(s.routes) for s in solutions),
        seconds,
        ", ".join(sorted({s.source for s in solutions})) or "no rides",
    )
    return TripTables(
        tables.trips, tables.rides, tables.options, tables.rows, tables.candidates, seconds
    )
