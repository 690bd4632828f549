"""The trips stage of the weekly plan: each day's rides as outings, days in order.

:func:`solve_trip_day` runs one engine on one
:class:`~matchkracht.problem.trips.TripDay` (``"cpsat"``: a choice among
outing patterns, :mod:`~matchkracht.solver.trips.outings`; ``"routing"``:
OR-Tools' routing search from the round trips,
:mod:`~matchkracht.solver.trips.routing`) and keeps the round trips when the
engine fails or does worse; :func:`solve_trip_days` solves the days of a plan
in order, carrying each driver's weekly use from day to day.
"""

from __future__ import annotations

import logging
import time

from matchkracht.problem.trips import TripDay
from matchkracht.solver.trips.day import TripsDaySolution, round_trip_routes, value
from matchkracht.solver.trips.outings import solve_outings
from matchkracht.solver.trips.routing import solve_routing

__all__ = ["solve_trip_day", "solve_trip_days"]

logger = logging.getLogger("matchkracht")


def solve_trip_day(
    day: TripDay,
    *,
    time_limit: float = 5.0,
    deterministic: bool = False,
    used_seconds: dict[int, int] | None = None,
    used_outings: dict[int, int] | None = None,
    engine: str = "cpsat",
    seed: int = 0,
) -> TripsDaySolution:
    """Group one day's rides into outings.

    Parameters
    ----------
    day
        The day's requests and vehicles.
    time_limit
        Seconds for the routing search.
    deterministic
        Stop the search after a fixed number of solutions instead of at the
        time limit (the time limit stays as a safety net), so the same input
        gives the same outings.
    used_seconds, used_outings
        Per volunteer, how much more (positive) or less (negative) than their
        round trips the outings of earlier days of the week use: taken off
        this day's budgets.
    engine
        ``"cpsat"``: CP-SAT chooses among outing patterns
        (:mod:`~matchkracht.solver.trips.outings`); ``"routing"``: OR-Tools'
        routing search from the round trips (it cannot insert a ride with a
        way back that the round trips left out, nor move a ``wait`` ride to
        another car: measured in ``benchmarks/trips.py``).
    seed
        Random seed of CP-SAT.

    Returns
    -------
    TripsDaySolution
        Never worse than the round trips (covered weight, then metres).
    """
    t0 = time.perf_counter()
    base = round_trip_routes(day)
    try:
        if engine == "cpsat":
            sol = solve_outings(
                day, time_limit=time_limit, seed=seed, deterministic=deterministic,
                used_seconds=used_seconds, used_outings=used_outings, base=base,
            )  # fmt: skip
        else:
            sol = solve_routing(
                day, time_limit, deterministic, base, used_seconds or {}, used_outings or {}
            )
    except Exception:  # the round trips stay; the routing failure is logged, never raised
        logger.exception("trips of day %d: routing failed; the round trips stay", day.day)
        sol = None
    if sol is None:
        base.seconds = time.perf_counter() - t0
        return base
    bw, bm = value(day, base)
    sw, sm = value(day, sol)
    if (sw, -sm) < (bw, -bm):
        base.stats["routing_worse"] = [sw, sm]
        base.seconds = time.perf_counter() - t0
        return base
    sol.seconds = time.perf_counter() - t0
    return sol


def solve_trip_days(
    days: list[TripDay],
    *,
    time_limit: float = 30.0,
    deterministic: bool = False,
    engine: str = "cpsat",
    seed: int = 0,
) -> list[TripsDaySolution]:
    """Solve the days of a plan in order, each with its share of the time left.

    A driver's budgets on a day account for what the outings of the earlier
    days of the same week use instead of their round trips.
    """
    t0 = time.perf_counter()
    used_s: dict[tuple[int, int], int] = {}
    used_o: dict[tuple[int, int], int] = {}
    out = []
    for i, day in enumerate(days):
        left = max(time_limit - (time.perf_counter() - t0), 0.1)
        share = left / (len(days) - i)
        wk = day.week
        sol = solve_trip_day(
            day,
            time_limit=share,
            deterministic=deterministic,
            used_seconds={v: s for (v, w), s in used_s.items() if w == wk},
            used_outings={v: n for (v, w), n in used_o.items() if w == wk},
            engine=engine,
            seed=seed,
        )
        for j, v in enumerate(day.driver_vol.tolist()):
            mine = [r for r in sol.routes if r.volunteer == v]
            k = (int(v), wk)
            used_s[k] = (
                used_s.get(k, 0)
                + sum(r.end - r.start for r in mine)
                - 60 * int(day.driver_rt_minutes[j])
            )
            used_o[k] = used_o.get(k, 0) + len(mine) - int(day.driver_rt_rides[j])
        out.append(sol)
    return out
