"""The trips engine of the weekly plan: one day's rides as pickups and deliveries.

:func:`solve_trip_day` solves one :class:`~matchkracht.problem.trips.TripDay`
with OR-Tools' routing library (a vehicle routing problem with pickups and
deliveries, time windows and capacities), starting from the round-trip plan:

- every request is a way out (pickup at home, drop-off at the destination at
  most :data:`~matchkracht.problem.trips.EARLY_MIN` minutes before the
  appointment) and, unless ``none``, a way back (pickup at the destination
  between the appointment's end and ``return_wait_min`` later, drop-off at
  home); ``wait``: the same driver does both ways (other rides may fit in
  between); ``separate``: any drivers;
- the appointment start is a variable on the grid inside the task's window;
- ride time on each way at most ``max_ride``; seats; a resident with
  ``shared = no`` rides alone;
- an outing starts and ends at the driver's home inside one free interval;
  outings of one interval follow each other; per driver, the outings' minutes
  and number stay within what the weekly caps leave (:class:`TripDay`);
- objective, lexicographic by weights: covered task weight first (a request
  left out costs ``weight × 10⁹``), then 10 × metres driven, plus 1 per second
  an outing lasts (idle time counts a little) and 10⁴ per outing.

The round-trip plan of the day is the first solution: every round trip is a
valid outing, so the engine can only keep or improve covered weight. If the
routing search fails or returns something worse, the round trips stay.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from matchkracht.problem.core import IntArray
from matchkracht.problem.trips import EARLY_MIN, MODES, TripDay

__all__ = [
    "Stop",
    "TripRoute",
    "TripsDaySolution",
    "round_trip_routes",
    "solve_trip_day",
    "solve_trip_days",
]

logger = logging.getLogger("matchkracht")

#: Stop kinds of a request's nodes, in node order.
STOP_KINDS: tuple[str, ...] = ("pickup", "dropoff", "pickup", "dropoff")
_DROP = 10**9
_METRE = 10
_OUTING = 10**4
_WAIT, _SEPARATE, _NONE = (MODES.index(m) for m in ("wait", "separate", "none"))


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


def _legs(day: TripDay, r: int) -> int:
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
        if _legs(day, r) == 2:
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


def _value(day: TripDay, sol: TripsDaySolution) -> tuple[int, int]:
    """Served weight and metres of a solution (higher weight, then fewer metres, is better)."""
    w = int(day.req_weight[sol.served].sum())
    return w, sum(r.meters for r in sol.routes)


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
            from matchkracht.solver.trips.outings import solve_outings

            sol = solve_outings(
                day, time_limit=time_limit, seed=seed, deterministic=deterministic,
                used_seconds=used_seconds, used_outings=used_outings, base=base,
            )  # fmt: skip
        else:
            sol = _route(
                day, time_limit, deterministic, base, used_seconds or {}, used_outings or {}
            )
    except Exception:  # the round trips stay; the routing failure is logged, never raised
        logger.exception("trips of day %d: routing failed; the round trips stay", day.day)
        sol = None
    if sol is None:
        base.seconds = time.perf_counter() - t0
        return base
    bw, bm = _value(day, base)
    sw, sm = _value(day, sol)
    if (sw, -sm) < (bw, -bm):
        base.stats["routing_worse"] = [sw, sm]
        base.seconds = time.perf_counter() - t0
        return base
    sol.seconds = time.perf_counter() - t0
    return sol


def _parameters(time_limit: float, deterministic: bool) -> Any:
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    sp.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if deterministic:
        sp.solution_limit = 400
        sp.time_limit.FromSeconds(max(60, int(10 * time_limit)))
    return sp


def _route(
    day: TripDay,
    time_limit: float,
    deterministic: bool,
    base: TripsDaySolution,
    used_seconds: dict[int, int],
    used_outings: dict[int, int],
) -> TripsDaySolution | None:
    n_req, n_veh = day.num_requests, day.num_vehicles
    # nodes: one depot per vehicle home, then each request's 2 or 4 nodes
    homes = sorted(set(day.veh_home.tolist()))
    depot_of = {h: i for i, h in enumerate(homes)}
    node_place = list(homes)
    node_req: list[int] = [-1] * len(homes)
    node_kind: list[int] = [-1] * len(homes)
    first_node = np.zeros(n_req, dtype=np.int64)
    for r in range(n_req):
        first_node[r] = len(node_place)
        c, d = int(day.req_home[r]), int(day.req_dest[r])
        for k, place in enumerate((c, d, d, c)[: 2 * _legs(day, r)]):
            node_place.append(place)
            node_req.append(r)
            node_kind.append(k)
    starts = [depot_of[int(h)] for h in day.veh_home.tolist()]
    manager = pywrapcp.RoutingIndexManager(len(node_place), n_veh, starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    places = np.array(node_place, dtype=np.int64)
    sec = day.seconds[np.ix_(places, places)].tolist()
    cost = (_METRE * day.meters[np.ix_(places, places)]).tolist()
    node_of = manager.IndexToNode

    def arc_cost(a: int, b: int) -> int:
        return int(cost[node_of(a)][node_of(b)])

    def arc_time(a: int, b: int) -> int:
        return int(sec[node_of(a)][node_of(b)])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc_cost))
    routing.SetFixedCostOfAllVehicles(_OUTING)
    horizon = 2 * 86400
    routing.AddDimension(routing.RegisterTransitCallback(arc_time), horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    tdim.SetSpanCostCoefficientForAllVehicles(1)
    for v in range(n_veh):
        lo, hi = int(day.veh_lo[v]), int(day.veh_hi[v])
        tdim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        tdim.CumulVar(routing.End(v)).SetRange(lo, hi)
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))
    delta = [1 if k in (0, 2) else -1 for k in node_kind]
    for i in range(len(homes)):
        delta[i] = 0

    def node_load(a: int) -> int:
        return int(delta[node_of(a)])

    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(node_load), 0,
        [int(s) for s in day.veh_seats.tolist()], True, "seats",
    )  # fmt: skip
    if not day.req_shared.all():
        alone = [
            0 if r < 0 else (100 if not day.req_shared[r] else 1) * d
            for r, d in zip(node_req, delta, strict=True)
        ]

        def node_alone(a: int) -> int:
            return int(alone[node_of(a)])

        routing.AddDimension(
            routing.RegisterUnaryTransitCallback(node_alone), 0, 100, True, "alone"
        )
    vehicles_of = {
        int(v): [int(k) for k in np.flatnonzero(day.veh_vol == v)] for v in day.driver_vol.tolist()
    }
    start_vars = []
    for r in range(n_req):
        f = int(first_node[r])
        idx = [manager.NodeToIndex(f + k) for k in range(2 * _legs(day, r))]
        allowed = [k for v in day.req_drivers[r].tolist() for k in vehicles_of.get(int(v), [])]
        # (SetAllowedVehiclesForIndex takes no Python list in OR-Tools 9.15)
        if len(allowed) < n_veh:
            routing.VehicleVar(idx[0]).SetValues([-1, *allowed])
        routing.AddDisjunction([idx[0]], int(day.req_weight[r]) * _DROP)
        for i in idx[1:]:
            routing.AddDisjunction([i], 0)
            solver.Add(routing.ActiveVar(i) == routing.ActiveVar(idx[0]))
        s = solver.IntVar([int(x) * 60 for x in day.req_starts[r].tolist()], f"start{r}")
        routing.AddVariableMinimizedByFinalizer(s)
        routing.AddToAssignment(s)
        start_vars.append(s)
        cum = [tdim.CumulVar(i) for i in idx]
        solver.Add(cum[1] <= s)
        solver.Add(cum[1] >= s - EARLY_MIN * 60)
        for leg in range(_legs(day, r)):
            p, d = idx[2 * leg], idx[2 * leg + 1]
            routing.AddPickupAndDelivery(p, d)
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(cum[2 * leg] <= cum[2 * leg + 1])
            solver.Add(cum[2 * leg + 1] - cum[2 * leg] <= int(day.req_max_ride[r]))
        if _legs(day, r) == 2:
            dur, wait = int(day.req_duration[r]), int(day.req_wait[r])
            solver.Add(cum[2] >= s + dur)
            solver.Add(cum[2] <= s + dur + wait)
            if day.req_mode[r] == _WAIT:
                solver.Add(routing.VehicleVar(idx[0]) == routing.VehicleVar(idx[2]))
    # outings of one interval one after the other
    for v in range(n_veh - 1):
        if day.veh_interval[v] == day.veh_interval[v + 1]:
            solver.Add(tdim.CumulVar(routing.End(v)) <= tdim.CumulVar(routing.Start(v + 1)))
    # the weekly caps: minutes (s) and outings per driver
    for j, v in enumerate(day.driver_vol.tolist()):
        ks = vehicles_of.get(int(v), [])
        if not ks:
            continue
        budget = max(int(day.driver_minutes[j]) * 60 - used_seconds.get(int(v), 0), 0)
        spans = [tdim.CumulVar(routing.End(k)) - tdim.CumulVar(routing.Start(k)) for k in ks]
        solver.Add(solver.Sum(spans) <= budget)
        outings = max(int(day.driver_outings[j]) - used_outings.get(int(v), 0), 0)
        if outings < len(ks):
            used = [
                solver.IsDifferentCstVar(routing.NextVar(routing.Start(k)), routing.End(k))
                for k in ks
            ]
            solver.Add(solver.Sum(used) <= outings)
    params = _parameters(time_limit, deterministic)
    routing.CloseModelWithParameters(params)
    hint_routes: list[list[int]] = [[] for _ in range(n_veh)]
    for route in base.routes:
        hint_routes[route.vehicle] = [
            manager.NodeToIndex(int(first_node[s.request]) + s.node) for s in route.stops
        ]
    hint = routing.ReadAssignmentFromRoutes(hint_routes, True)
    stats: dict[str, Any] = {"nodes": len(node_place), "vehicles": n_veh}
    if hint is None:
        logger.warning("trips of day %d: the round trips are no valid start", day.day)
        stats["start"] = "insertion"
        assignment = routing.SolveWithParameters(params)
    else:
        stats["start"] = "round_trips"
        assignment = routing.SolveFromAssignmentWithParameters(hint, params)
    if assignment is None:
        return None
    routes: list[TripRoute] = []
    req_start = np.full(n_req, -1, dtype=np.int64)
    for v in range(n_veh):
        idx = assignment.Value(routing.NextVar(routing.Start(v)))
        if routing.IsEnd(idx):
            continue
        home = int(day.veh_home[v])
        seq: list[tuple[int, int]] = []  # (node, arrival)
        while not routing.IsEnd(idx):
            seq.append((node_of(idx), assignment.Value(tdim.CumulVar(idx))))
            idx = assignment.Value(routing.NextVar(idx))
        end = assignment.Value(tdim.CumulVar(routing.End(v)))
        # leave each place as late as the next arrival allows (the waiting is at the stop)
        places_seq = [home, *(node_place[n] for n, _ in seq), home]
        arrivals = [0, *(a for _, a in seq), end]
        departures = [
            arrivals[i + 1] - int(day.seconds[places_seq[i], places_seq[i + 1]])
            for i in range(len(seq) + 1)
        ]
        stops = tuple(
            Stop(node_req[n], node_kind[n], node_place[n], a, departures[i + 1])
            for i, (n, a) in enumerate(seq)
        )
        meters = sum(int(day.meters[places_seq[i], places_seq[i + 1]]) for i in range(len(seq) + 1))
        for st in stops:
            if st.node == 0:
                req_start[st.request] = assignment.Value(start_vars[st.request]) // 60
        depart = departures[0]
        routes.append(TripRoute(v, int(day.veh_vol[v]), depart, end, stops, meters))
    stats["objective"] = assignment.ObjectiveValue()
    return TripsDaySolution(routes, req_start, "routing", 0.0, stats)


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
