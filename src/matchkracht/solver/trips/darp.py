"""The dial-a-ride engine: OR-Tools routing with pickups and deliveries.

The model (Cordeau 2006): each request is picked up and delivered by the same
vehicle, pickup first; start of service within each node's window; a time
dimension whose transit is service at the node plus the travel time, with
waiting allowed; seats (a load dimension); maximum ride time
``B(delivery) - B(pickup) - d(pickup) <= L``; route duration ``<= T`` and the
depots' windows. The objective is the total travel distance.

Distances are scaled by :data:`SCALE` to integers for the solver; travel
times are rounded *up*, so every schedule the solver accepts is feasible with
the exact distances too. The reported cost is recomputed in double precision
from the routes, and the reported times are the earliest exact schedule of
each route (:func:`~matchkracht.solver.trips.schedule.earliest_schedule`).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from matchkracht.problem.darp import DarpInstance
from matchkracht.solver.trips.schedule import earliest_schedule
from matchkracht.solver.trips.search import improve, insertion_routes

__all__ = ["METHODS", "SCALE", "DarpSolution", "matrix_costs", "route_cost", "solve_darp"]

log = logging.getLogger("matchkracht")

#: Integer units per distance unit inside the routing solver.
SCALE = 1000
#: Methods: OR-Tools routing with guided local search (``gls``) or iterated
#: local search with string removals and cheapest re-insertion (``ils``); or
#: our ruin and recreate (``lns``, :mod:`~matchkracht.solver.trips.search`) from
#: the insertion start (routing completes a start that leaves requests out).
#: ``hybrid``: routing (``gls``) for a share of the time, then ``lns`` from its routes.
METHODS = ("gls", "ils", "lns", "hybrid")
#: Share of the time limit the first (insertion) solution may take at most.
START_SHARE = 0.2
#: Share of the time limit routing may take to complete a start for ``lns``.
ROUTING_SHARE = 0.4
#: Share of the time limit ``hybrid`` gives routing before ruin and recreate.
HYBRID_SHARE = 0.4
#: ``"routing"``: try routing's own first solution before the insertion start.
START = "routing"


@dataclass(frozen=True)
class DarpSolution:
    """Routes for a dial-a-ride instance.

    Attributes
    ----------
    routes
        One list per vehicle: the nodes in visiting order, depots left out.
    times
        Start of service at each node of ``routes`` (same shape).
    cost
        Total travel distance, recomputed from the routes in double precision.
    status
        ``"feasible"`` or ``"no_solution"``.
    seconds
        Wall-clock seconds spent.
    stats
        Details: the method, the first solution's cost and how many requests
        it left out; ``left_out`` when the final routes still leave some out.
    """

    routes: list[list[int]]
    times: list[list[float]]
    cost: float
    status: str
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)


def route_cost(inst: DarpInstance, routes: list[list[int]]) -> float:
    """Total distance of ``routes`` (each from the start depot to the end depot)."""
    dist = inst.distance
    end = inst.end_depot
    return float(
        sum(dist[a, b] for r in routes if r for a, b in zip([0, *r], [*r, end], strict=True))
    )


def matrix_costs(
    routing: Any,
    manager: Any,
    cost: list[list[int]],
    steps: list[list[int]],
    horizon: int,
) -> Any:
    """Arc costs from the node matrix ``cost`` and a ``time`` dimension from ``steps``.

    Both matrices are indexed by the manager's nodes; the time dimension allows
    waiting up to ``horizon`` and is returned.
    """
    node_of = manager.IndexToNode

    def arc_cost(a: int, b: int) -> int:
        return int(cost[node_of(a)][node_of(b)])

    def arc_time(a: int, b: int) -> int:
        return int(steps[node_of(a)][node_of(b)])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc_cost))
    routing.AddDimension(routing.RegisterTransitCallback(arc_time), horizon, horizon, False, "time")
    return routing.GetDimensionOrDie("time")


def _tight_windows(inst: DarpInstance) -> tuple[np.ndarray, np.ndarray]:
    """Windows narrowed by what the partner node, the depots and ``L`` imply."""
    n, end = inst.num_requests, inst.end_depot
    dist, svc, ride = inst.distance, inst.service, inst.max_ride_time
    e, lt = inst.early.copy(), inst.late.copy()
    for _ in range(2):
        for i in range(1, n + 1):
            j = n + i
            e[i] = max(e[i], e[j] - ride - svc[i], e[0] + dist[0, i])
            lt[i] = min(lt[i], lt[j] - dist[i, j] - svc[i])
            e[j] = max(e[j], e[i] + svc[i] + dist[i, j])
            lt[j] = min(lt[j], lt[i] + svc[i] + ride, lt[end] - dist[j, end] - svc[j])
    return e, lt


def _parameters(method: str, time_limit: float, solution_limit: int | None) -> Any:
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    sp.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if solution_limit is not None:
        sp.solution_limit = solution_limit
    if method == "gls":
        sp.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
    else:
        sp.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        sp.use_iterated_local_search = True
        rr = sp.iterated_local_search_parameters.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = 10
        sisr.avg_num_removed_visits = 10
        sisr.bypass_factor = 0.01
        rr.recreate_strategy.heuristic = (
            routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
        )
    return sp


def solve_darp(
    inst: DarpInstance,
    *,
    time_limit: float = 60.0,
    method: str = "lns",
    solution_limit: int | None = None,
    seed: int = 0,
) -> DarpSolution:
    """Routes of least total distance that keep every dial-a-ride rule.

    Parameters
    ----------
    inst
        The instance.
    time_limit
        Wall-clock seconds for the whole solve.
    method
        ``"lns"`` (ruin and recreate from the insertion start; the default:
        the best mean gap on the benchmark), ``"hybrid"``, ``"gls"`` or
        ``"ils"``; see :data:`METHODS`.
    solution_limit
        Stop after this many solutions; with a generous ``time_limit`` this
        is the deterministic mode (same input, same routes).
    seed
        Seed of the random choices of ruin and recreate (``lns``, ``hybrid``).

    Returns
    -------
    DarpSolution
        ``status == "no_solution"`` when no routes serving every request were
        found in time (the routes then serve the requests they could, and
        ``stats["left_out"]`` counts the others); that is a result, not an
        error.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    t0 = time.perf_counter()
    if method == "lns":
        return _solve_lns(inst, time_limit, solution_limit, t0, seed)
    if method == "hybrid":
        done = _solve_routing(inst, HYBRID_SHARE * time_limit, "gls", solution_limit, t0)
        if done.status != "feasible":
            return _solve_lns(inst, time_limit, solution_limit, t0, seed)
        stats = {"method": "hybrid", "routing": round(done.cost, 4)}
        return _polish(inst, done.routes, stats, time_limit, solution_limit, t0, seed)
    return _solve_routing(inst, time_limit, method, solution_limit, t0)


def _solve_lns(
    inst: DarpInstance, time_limit: float, solution_limit: int | None, t0: float, seed: int
) -> DarpSolution:
    deadline = None if solution_limit is not None else t0 + 2 * START_SHARE * time_limit
    travel_up = np.ceil(inst.distance * SCALE - 1e-9) / SCALE  # so that routing accepts it
    start, left = insertion_routes(inst, travel=travel_up, deadline=deadline, seed=seed)
    stats: dict[str, Any] = {"method": "lns", "first": round(route_cost(inst, start), 4)}
    stats["first_left_out"] = len(left)
    if left:  # let routing complete the start, in part of the time
        budget = ROUTING_SHARE * time_limit
        done = _solve_routing(
            inst, budget, "gls", solution_limit, time.perf_counter(), (start, left)
        )
        if done.status != "feasible":
            return DarpSolution(
                done.routes,
                done.times,
                done.cost,
                done.status,
                time.perf_counter() - t0,
                {**stats, **done.stats},
            )
        start = done.routes
        stats["routing"] = round(done.cost, 4)
    return _polish(inst, start, stats, time_limit, solution_limit, t0, seed)


def _polish(
    inst: DarpInstance,
    start: list[list[int]],
    stats: dict[str, Any],
    time_limit: float,
    solution_limit: int | None,
    t0: float,
    seed: int,
) -> DarpSolution:
    """Ruin and recreate from feasible ``start`` until the time limit, timed exactly."""
    routes, more = improve(
        inst,
        start,
        inst.distance,
        deadline=t0 + time_limit if solution_limit is None else math.inf,
        seed=seed,
        max_steps=solution_limit,
    )
    stats.update(more)
    times = []
    for r in routes:
        sched = earliest_schedule(inst, r)
        assert sched is not None  # improve() keeps every route feasible
        times.append(sched[1:-1])
    total = route_cost(inst, routes)
    seconds = time.perf_counter() - t0
    log.debug("darp %s: cost %.2f in %.1fs (%s)", inst.name, total, seconds, stats["method"])
    return DarpSolution(routes, times, total, "feasible", seconds, stats)


def _solve_routing(
    inst: DarpInstance,
    time_limit: float,
    method: str,
    solution_limit: int | None,
    t0: float,
    given: tuple[list[list[int]], list[int]] | None = None,
) -> DarpSolution:
    n, k, end = inst.num_requests, inst.num_vehicles, inst.end_depot
    num_nodes = len(inst.xy)
    dist = inst.distance
    cost = np.rint(dist * SCALE).astype(np.int64).tolist()
    travel_up = np.ceil(dist * SCALE - 1e-9) / SCALE
    step = (np.rint(inst.service * SCALE)[:, None] + np.rint(travel_up * SCALE)).astype(np.int64)
    steps = step.tolist()
    manager = pywrapcp.RoutingIndexManager(num_nodes, k, [0] * k, [end] * k)
    routing = pywrapcp.RoutingModel(manager)
    horizon = math.ceil(max(float(inst.late.max()), inst.max_route_duration) * SCALE) + 1
    tdim = matrix_costs(routing, manager, cost, steps, horizon)
    node_of = manager.IndexToNode
    early, late = _tight_windows(inst)
    for v in range(1, 2 * n + 1):
        tdim.CumulVar(manager.NodeToIndex(v)).SetRange(
            math.ceil(early[v] * SCALE - 1e-6), math.floor(late[v] * SCALE + 1e-6)
        )
    for veh in range(k):
        tdim.CumulVar(routing.Start(veh)).SetRange(
            math.ceil(inst.early[0] * SCALE), math.floor(inst.late[0] * SCALE)
        )
        tdim.CumulVar(routing.End(veh)).SetRange(
            math.ceil(inst.early[end] * SCALE), math.floor(inst.late[end] * SCALE)
        )
        tdim.SetSpanUpperBoundForVehicle(math.floor(inst.max_route_duration * SCALE), veh)
    loads = inst.load.tolist()

    def node_load(a: int) -> int:
        return int(loads[node_of(a)])

    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(node_load), 0, [inst.capacity] * k, True, "load"
    )
    solver = routing.solver()
    for i in range(1, n + 1):
        p, d = manager.NodeToIndex(i), manager.NodeToIndex(n + i)
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(tdim.CumulVar(p) <= tdim.CumulVar(d))
        limit = math.floor((inst.max_ride_time + inst.service[i]) * SCALE)
        solver.Add(tdim.CumulVar(d) - tdim.CumulVar(p) <= limit)

    stats: dict[str, Any] = {"method": method, "scale": SCALE}
    params = _parameters(method, time_limit, solution_limit)
    assignment = None
    if START != "insertion" and given is None:
        # routing's own cheapest insertion first: it often finds a start at once
        assignment = routing.SolveWithParameters(params)
        stats["first"] = "routing"
    if assignment is None:
        # else a start by insertion; requests it cannot place may be left
        # out (at a high price) so that the local search can place them
        # (no deadline in the deterministic mode: at most a fixed number of builds)
        deadline = None if solution_limit is not None else t0 + START_SHARE * time_limit
        start, left = given or insertion_routes(inst, travel=travel_up, deadline=deadline)
        stats["first"] = round(route_cost(inst, start), 4)
        stats["first_left_out"] = len(left)
        if left:
            penalty = 10 * int(sum(max(row) for row in cost))
            for i in range(1, n + 1):
                for v in (i, n + i):
                    routing.AddDisjunction([manager.NodeToIndex(v)], penalty)
        remaining = max(0.1, time_limit - (time.perf_counter() - t0))
        params = _parameters(method, remaining, solution_limit)
        hint = routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(v) for v in r] for r in start], True
        )
        if hint is not None:
            assignment = routing.SolveFromAssignmentWithParameters(hint, params)
    seconds = time.perf_counter() - t0
    if assignment is None:
        log.debug("darp %s: no solution (%s)", inst.name, routing.status())
        stats["left_out"] = n
        return DarpSolution([], [], math.inf, "no_solution", seconds, stats)

    routes: list[list[int]] = []
    times: list[list[float]] = []
    for veh in range(k):
        idx = assignment.Value(routing.NextVar(routing.Start(veh)))
        route: list[int] = []
        while not routing.IsEnd(idx):
            route.append(node_of(idx))
            idx = assignment.Value(routing.NextVar(idx))
        sched = earliest_schedule(inst, route)
        if sched is None:  # cannot happen with rounded-up travel; keep the solver's times
            sched = [assignment.Value(tdim.CumulVar(manager.NodeToIndex(v))) / SCALE for v in route]
            sched = [0.0, *sched, 0.0]
        routes.append(route)
        times.append(sched[1:-1])
    total = route_cost(inst, routes)
    served = sum(len(r) for r in routes)
    if served < 2 * n:
        stats["left_out"] = (2 * n - served) // 2
        log.debug("darp %s: %d requests left out", inst.name, stats["left_out"])
        return DarpSolution(routes, times, total, "no_solution", seconds, stats)
    log.debug("darp %s: cost %.2f in %.1fs (%s)", inst.name, total, seconds, method)
    return DarpSolution(routes, times, total, "feasible", seconds, stats)
