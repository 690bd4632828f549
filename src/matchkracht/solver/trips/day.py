"""One day's outings as the trips engines return them, and the round trips as outings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matchkracht.problem.core import IntArray
from matchkracht.problem.trips import MODES, TripDay

__all__ = ["Stop", "TripRoute", "TripsDaySolution", "legs", "round_trip_routes", "value"]

_NONE = MODES.index("none")


@dataclass(frozen=True)
class Stop:
    """One stop of an outing: request, which of its nodes (0 = out pickup, 1 = out
    drop-off, 2 = back pickup, 3 = back drop-off), place, arrival and departure (s)."""

    request: int
    node: int
    place: int
    arrival: int
    departure: int


@dataclass(frozen=True)
class TripRoute:
    """One outing of a driver: vehicle, leaving and coming home (s), its stops, metres."""

    vehicle: int
    volunteer: int
    start: int
    end: int
    stops: tuple[Stop, ...]
    meters: int


@dataclass
class TripsDaySolution:
    """The outings of one day, the appointment start of every served request."""

    routes: list[TripRoute]
    req_start: IntArray  # minutes of the day, -1 when not served
    source: str  # "routing" or "round_trips"
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def served(self) -> IntArray:
        """Requests served (their way out is in an outing)."""
        return np.asarray(np.flatnonzero(self.req_start >= 0), dtype=np.int64)


def legs(day: TripDay, r: int) -> int:
    """Ways of request ``r``: 1 (``none``) or 2."""
    return 1 if day.req_mode[r] == _NONE else 2


def round_trip_routes(day: TripDay) -> TripsDaySolution:
    """The round-trip plan of the day as outings (one per ride)."""
    t0 = time.perf_counter()
    sec, met = day.seconds, day.meters
    taken: set[int] = set()
    routes: list[TripRoute] = []
    order = sorted(
        (int(day.req_start0[r]), r) for r in range(day.num_requests) if day.req_driver0[r] >= 0
    )
    req_start = np.full(day.num_requests, -1, dtype=np.int64)
    for s, r in order:
        v = int(day.req_driver0[r])
        s60 = s * 60
        veh = next(
            k for k in range(day.num_vehicles)
            if day.veh_vol[k] == v and k not in taken and day.veh_lo[k] <= s60 <= day.veh_hi[k]
        )  # fmt: skip
        taken.add(veh)
        home, c, d = int(day.veh_home[veh]), int(day.req_home[r]), int(day.req_dest[r])
        p1 = s60 - int(sec[c, d])
        stops = [Stop(r, 0, c, p1, p1), Stop(r, 1, d, s60, s60)]
        m = int(met[home, c] + met[c, d])
        if legs(day, r) == 2:
            back = s60 + int(day.req_duration[r])
            home_again = back + int(sec[d, c])
            stops = [stops[0], Stop(r, 1, d, s60, back), Stop(r, 2, d, back, back),
                     Stop(r, 3, c, home_again, home_again)]  # fmt: skip
            end = home_again + int(sec[c, home])
            m += int(met[d, c] + met[c, home])
        else:
            end = s60 + int(sec[d, home])
            m += int(met[d, home])
        routes.append(TripRoute(veh, v, p1 - int(sec[home, c]), end, tuple(stops), m))
        req_start[r] = s
    return TripsDaySolution(routes, req_start, "round_trips", time.perf_counter() - t0)


def value(day: TripDay, sol: TripsDaySolution) -> tuple[int, int]:
    """Served weight and metres of a solution (higher weight, then fewer metres, is better)."""
    w = int(day.req_weight[sol.served].sum())
    return w, sum(r.meters for r in sol.routes)
