"""A CP-SAT model of the dial-a-ride problem, to compare with the routing engine.

Not part of the package: the benchmark's reference for "routing or CP-SAT?".
One ``AddMultipleCircuit`` over the requests' nodes with the depot as node 0
(at most ``K`` routes leave it); per node the start of service, the load, the
route's departure time and a route id (the first node's number), each tied
along the chosen arcs by enforced linear constraints. Times are scaled by
:data:`SCALE` and travel rounded up, as in the routing engine, so the routes
it returns are feasible with the exact distances.
"""

from __future__ import annotations

import math
import time

import numpy as np
from ortools.sat.python import cp_model

from matchkracht.problem.darp import DarpInstance
from matchkracht.solver.trips.darp import DarpSolution, route_cost
from matchkracht.solver.trips.schedule import earliest_schedule

SCALE = 100


def solve_cpsat(inst: DarpInstance, time_limit: float, workers: int = 1) -> DarpSolution:
    """Routes by CP-SAT (``workers`` threads, ``time_limit`` seconds)."""
    t0 = time.perf_counter()
    n, k = inst.num_requests, inst.num_vehicles
    nodes = range(1, 2 * n + 1)
    dist = inst.distance
    up = np.ceil(dist * SCALE - 1e-9).astype(int)
    svc = np.rint(inst.service * SCALE).astype(int)
    e = np.ceil(inst.early * SCALE - 1e-6).astype(int)
    lt = np.floor(inst.late * SCALE + 1e-6).astype(int)
    ride = round(inst.max_ride_time * SCALE)
    span = round(inst.max_route_duration * SCALE)
    end = inst.end_depot
    m = cp_model.CpModel()
    b = {i: m.NewIntVar(int(e[i]), int(lt[i]), f"b{i}") for i in nodes}
    dep = {i: m.NewIntVar(int(e[0]), int(lt[0]), f"s{i}") for i in nodes}
    load = {
        i: m.NewIntVar(
            max(0, int(inst.load[i])), inst.capacity + min(0, int(inst.load[i])), f"q{i}"
        )
        for i in nodes
    }
    rid = {i: m.NewIntVar(1, n, f"r{i}") for i in nodes}
    arcs: list[tuple[int, int, cp_model.IntVar]] = []
    cost: list[tuple[int, cp_model.IntVar]] = []
    for i in range(1, n + 1):
        m.Add(b[n + i] - b[i] - int(svc[i]) <= ride)
        m.Add(b[n + i] >= b[i] + int(svc[i]) + int(up[i, n + i]))
        m.Add(rid[n + i] == rid[i])
    out_depot = []
    for j in nodes:
        if j <= n:  # a route starts at a pickup
            x = m.NewBoolVar(f"x0_{j}")
            arcs.append((0, j, x))
            cost.append((round(dist[0, j] * SCALE), x))
            out_depot.append(x)
            m.Add(dep[j] == b[j] - int(up[0, j])).OnlyEnforceIf(x)
            m.Add(load[j] == int(inst.load[j])).OnlyEnforceIf(x)
            m.Add(rid[j] == j).OnlyEnforceIf(x)
        else:  # and ends at a delivery
            x = m.NewBoolVar(f"x{j}_0")
            arcs.append((j, 0, x))
            cost.append((round(dist[j, end] * SCALE), x))
            m.Add(b[j] + int(svc[j]) + int(up[j, end]) - dep[j] <= span).OnlyEnforceIf(x)
            m.Add(b[j] + int(svc[j]) + int(up[j, end]) <= int(lt[end])).OnlyEnforceIf(x)
    for i in nodes:
        for j in nodes:
            if i == j or j == i - n or e[i] + svc[i] + up[i, j] > lt[j]:
                continue
            x = m.NewBoolVar(f"x{i}_{j}")
            arcs.append((i, j, x))
            cost.append((round(dist[i, j] * SCALE), x))
            m.Add(b[j] >= b[i] + int(svc[i]) + int(up[i, j])).OnlyEnforceIf(x)
            m.Add(load[j] == load[i] + int(inst.load[j])).OnlyEnforceIf(x)
            m.Add(dep[j] == dep[i]).OnlyEnforceIf(x)
            m.Add(rid[j] == rid[i]).OnlyEnforceIf(x)
    m.AddMultipleCircuit(arcs)
    m.Add(sum(out_depot) <= k)
    m.Minimize(sum(c * x for c, x in cost))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.perf_counter() - t0))
    solver.parameters.num_workers = workers
    status = solver.Solve(m)
    seconds = time.perf_counter() - t0
    stats = {"method": "cpsat", "status": solver.StatusName(status), "arcs": len(arcs)}
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return DarpSolution([], [], math.inf, "no_solution", seconds, stats)
    succ = {i: j for i, j, x in arcs if solver.BooleanValue(x)}
    routes = []
    for i, j, x in arcs:
        if i == 0 and solver.BooleanValue(x):
            route = [j]
            while succ[route[-1]] != 0:
                route.append(succ[route[-1]])
            routes.append(route)
    routes += [[] for _ in range(k - len(routes))]
    times = []
    for r in routes:
        sched = earliest_schedule(inst, r)
        assert sched is not None
        times.append(sched[1:-1])
    stats["bound"] = solver.BestObjectiveBound() / SCALE
    return DarpSolution(routes, times, route_cost(inst, routes), "feasible", seconds, stats)
