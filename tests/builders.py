"""Build tiny registries for tests from a few lines of Python.

Every builder returns a plain ``dict`` row; :func:`registry` turns lists of rows
into a validated :class:`matchkracht.Registry`. Keys left out of a row become
empty cells, so the data contract's defaults apply.

Geography: everything sits around (51.42, 6.13). :func:`north` gives the
latitude of a point a given *road* distance north of a base point under the
default travel model (great circle × 1.3 at 40 km/h, so 1 road km = 1.5 min).
The distances are derived with geopy here, independently of ``matchkracht.data.geo``.

Dates: the default week is ISO week 2026-W49, Monday 2026-11-30 to Sunday
2026-12-06; the default need recurs on Mondays.
"""

from __future__ import annotations

import math
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from geopy.distance import great_circle

import matchkracht as mk

__all__ = [
    "BASE_LAT",
    "BASE_LON",
    "MONDAY",
    "ROAD_FACTOR",
    "WEEK",
    "client",
    "day",
    "generated_registry",
    "history",
    "need",
    "north",
    "optimal_covered_weight",
    "registry",
    "road_km",
    "travel_minutes",
    "unproven_parts",
    "volunteer",
]

BASE_LAT = 51.42
BASE_LON = 6.13
ROAD_FACTOR = 1.3
SPEED_KMH = 40.0
#: ``safety_factor`` for tests of deterministic mode: so large that the
#: wall-clock safety net never fires, however loaded the machine (when it
#: fires, the plan depends on the machine; the property under test is "same
#: input and seed, same plan").
DETERMINISTIC_SAFETY = 1e6
WEEK = "2026-W49"
MONDAY = date(2026, 11, 30)


def day(offset: int) -> str:
    """ISO date of the day ``offset`` days after Monday 2026-11-30 (W49)."""
    return (MONDAY + timedelta(days=offset)).isoformat()


def north(km: float, lat: float = BASE_LAT) -> float:
    """Latitude of the point ``km`` road km due north of (``lat``, BASE_LON)."""
    # one degree of latitude on geopy's great circle (mean radius 6371.009 km)
    deg_km = math.pi * 6371.009 / 180.0
    return lat + km / ROAD_FACTOR / deg_km


def road_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Road km between two (lat, lon) points under the default travel model (via geopy)."""
    return float(great_circle(a, b).km * ROAD_FACTOR)


def travel_minutes(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Travel minutes between two points under the default travel model (via geopy)."""
    return road_km(a, b) / SPEED_KMH * 60.0


def volunteer(
    volunteer_id: str,
    lat: float = BASE_LAT,
    lon: float = BASE_LON,
    availability: str = "mon 09:00-17:00",
    **kw: Any,
) -> dict[str, Any]:
    """A volunteers row; extra keyword arguments are further columns."""
    return {
        "volunteer_id": volunteer_id,
        "lat": lat,
        "lon": lon,
        "availability": availability,
        **kw,
    }


def client(
    client_id: str = "c1", lat: float = BASE_LAT, lon: float = BASE_LON, **kw: Any
) -> dict[str, Any]:
    """A clients row; extra keyword arguments are further columns."""
    return {"client_id": client_id, "lat": lat, "lon": lon, **kw}


def need(
    need_id: str,
    client_id: str = "c1",
    schedule: str = "FREQ=WEEKLY;BYDAY=MO",
    window: str = "10:00-10:00",
    duration_min: int = 60,
    **kw: Any,
) -> dict[str, Any]:
    """A needs row (default: Mondays, start exactly 10:00, one hour)."""
    return {
        "need_id": need_id,
        "client_id": client_id,
        "schedule": schedule,
        "window": window,
        "duration_min": duration_min,
        **kw,
    }


def history(
    volunteer_id: str, client_id: str = "c1", need_id: str = "n1", when: str = "2026-11-23"
) -> dict[str, Any]:
    """A history row: ``volunteer_id`` helped ``client_id`` on ``when`` (default: a week before)."""
    return {"need_id": need_id, "client_id": client_id, "volunteer_id": volunteer_id, "date": when}


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=object)


def registry(
    vols: list[dict[str, Any]],
    clients: list[dict[str, Any]] | None = None,
    needs: list[dict[str, Any]] | None = None,
    history: list[dict[str, Any]] | None = None,
) -> mk.Registry:
    """A validated registry from lists of rows (default: one client ``c1`` at the base point)."""
    clients = clients if clients is not None else [client()]
    needs = needs if needs is not None else []
    hist = _frame(history) if history else None
    return mk.Registry.from_frames(_frame(vols), _frame(clients), _frame(needs), hist)


def generated_registry(size: str = "village", seed: int = 3, **kw: Any) -> mk.Registry:
    """A registry from the benchmark generator (``benchmarks.generate.generate``)."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    from benchmarks.generate import generate

    frames = generate(size=size, seed=seed, **kw)
    return mk.Registry.from_frames(
        frames["volunteers"], frames["clients"], frames["needs"], frames.get("history")
    )


def optimal_covered_weight(problem: mk.Problem) -> int:
    """The covered weight of a coverage-only CP-SAT plan, proven optimal.

    Deterministic mode without a practical safety net: proven however loaded
    the machine (fails when the plan is not proven optimal).
    """
    solution = mk.CpSatSolver(
        time_limit=20, seed=0, tiers=("coverage",), deterministic=True,
        safety_factor=DETERMINISTIC_SAFETY,
    ).solve(problem)  # fmt: skip
    assert solution.status == "optimal"
    covered = mk.problem.occupancy.covered_tasks(problem, solution.options)
    return int(problem.task_weight[covered].sum())


def unproven_parts() -> Any:
    """A patch (context manager) under which CP-SAT's free parts report the trivial bound.

    As when a part's time runs out before CP-SAT proves anything: the plan is
    the same, and the bound must come from elsewhere (the supply relaxation).
    """
    import dataclasses
    from unittest import mock

    from matchkracht.solver.combine import trivial_bound
    from matchkracht.solver.cpsat import engine

    real = engine.solve_free_part

    def unproven(problem: mk.Problem, part: Any, threads: int) -> Any:
        res = real(problem, part, threads)
        trivial = float(trivial_bound(problem, part.options))
        return dataclasses.replace(res, bound=trivial, optimal=False)

    return mock.patch.object(engine, "solve_free_part", unproven)
