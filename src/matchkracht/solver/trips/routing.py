"""The routing trips engine: one day's rides as pickups and deliveries (OR-Tools routing).

:func:`solve_routing` solves one :class:`~matchkracht.problem.trips.TripDay`
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
valid outing, so the engine can only keep or improve covered weight.

Its limits, measured in ``benchmarks/trips.py``: its local search moves one
pickup-and-delivery pair at a time, so it cannot insert a ride with a way
back that the round trips left out (two linked pairs), nor move a ``wait``
ride (both ways in one car) to another car; OR-Tools 9.15's Python API takes
no list for ``SetAllowedVehiclesForIndex`` or ``AddSameActivityGroup``, which
would say this directly. The default engine is therefore
:mod:`~matchkracht.solver.trips.outings`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from matchkracht.problem.trips import EARLY_MIN, MODES, TripDay
from matchkracht.solver.trips.darp import matrix_costs
from matchkracht.solver.trips.day import Stop, TripRoute, TripsDaySolution, legs

__all__ = ["solve_routing"]

logger = logging.getLogger("matchkracht")

_DROP = 10**9
_METRE = 10
_OUTING = 10**4
_WAIT = MODES.index("wait")


def _parameters(time_limit: float, deterministic: bool) -> Any:
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    sp.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if deterministic:
        sp.solution_limit = 400
        sp.time_limit.FromSeconds(max(60, int(10 * time_limit)))
    return sp


def solve_routing(
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
        for k, place in enumerate((c, d, d, c)[: 2 * legs(day, r)]):
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
    tdim = matrix_costs(routing, manager, cost, sec, 2 * 86400)
    node_of = manager.IndexToNode
    routing.SetFixedCostOfAllVehicles(_OUTING)
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
        idx = [manager.NodeToIndex(f + k) for k in range(2 * legs(day, r))]
        allowed = [k for v in day.req_drivers[r].tolist() for k in vehicles_of.get(int(v), [])]
        # (SetAllowedVehiclesForIndex takes no Python list in OR-Tools 9.15)
        if len(allowed) < n_veh:
            for pickup in idx[::2]:  # each way's pickup; its drop-off shares its car
                routing.VehicleVar(pickup).SetValues([-1, *allowed])
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
        for leg in range(legs(day, r)):
            p, d = idx[2 * leg], idx[2 * leg + 1]
            routing.AddPickupAndDelivery(p, d)
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(cum[2 * leg] <= cum[2 * leg + 1])
            solver.Add(cum[2 * leg + 1] - cum[2 * leg] <= int(day.req_max_ride[r]))
        if legs(day, r) == 2:
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
