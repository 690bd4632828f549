"""The one-call entry point: registry + horizon → plan."""

from __future__ import annotations

import logging
import platform
from importlib import metadata as importlib_metadata
from typing import TYPE_CHECKING, Any

from matchkracht.data.geo import TravelModel
from matchkracht.data.horizon import Horizon
from matchkracht.data.registry import Registry
from matchkracht.plan.result import Plan, build_plan
from matchkracht.problem.build import build_problem
from matchkracht.settings import SolverSettings
from matchkracht.solver.base import Solver
from matchkracht.solver.cpsat import CpSatSolver

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["match", "versions"]

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
        ``grid``, ``regions``.

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
    return build_plan(problem, solution, registry, meta, lang=lang)
