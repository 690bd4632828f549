"""An independent checker for dial-a-ride routes (Cordeau's rules).

:func:`check_routes` re-derives every rule from the instance and the routes
with their start-of-service times alone; it shares no code with the engine in
:mod:`matchkracht.solver.trips` (distances are recomputed here with
:func:`math.hypot`), so a bug there cannot hide here.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

from matchkracht.problem.darp import DarpInstance

__all__ = ["RULES", "DarpViolation", "check_routes", "routes_cost"]

#: Every rule the checker knows, in the order it checks them.
RULES = (
    "vehicles",  # more routes than vehicles
    "node",  # a node that is no pickup or delivery, or visited twice
    "unserved",  # a request neither picked up nor delivered
    "pairing",  # picked up and delivered by different vehicles, or delivered first
    "window",  # start of service outside the node's window
    "travel",  # too little time between two stops for service and driving
    "capacity",  # more on board than the vehicle's seats
    "ride_time",  # B(delivery) - B(pickup) - d(pickup) above L
    "duration",  # back at the depot later than T after leaving it
    "depot",  # leaving the depot before it opens or arriving after it closes
)


class DarpViolation(NamedTuple):
    """One broken rule: its name, the vehicle (-1 when none), the node and a detail."""

    rule: str
    vehicle: int
    node: int
    detail: str


def _dist(inst: DarpInstance, a: int, b: int) -> float:
    return math.hypot(float(inst.xy[a, 0] - inst.xy[b, 0]), float(inst.xy[a, 1] - inst.xy[b, 1]))


def routes_cost(inst: DarpInstance, routes: list[list[int]]) -> float:
    """Total Euclidean length of ``routes``, each from depot ``0`` to depot ``2n+1``."""
    end = len(inst.xy) - 1
    total = 0.0
    for route in routes:
        if route:
            stops = [0, *route, end]
            total += sum(_dist(inst, a, b) for a, b in itertools.pairwise(stops))
    return total


def check_routes(
    inst: DarpInstance,
    routes: list[list[int]],
    times: list[list[float]],
    *,
    tol: float = 1e-6,
) -> list[DarpViolation]:
    """Every way the routes break a rule of the dial-a-ride problem.

    Parameters
    ----------
    inst
        The instance.
    routes
        One list of nodes per vehicle in visiting order, depots left out.
    times
        The start of service at each node of ``routes`` (same shape).
    tol
        Slack on time comparisons.

    Returns
    -------
    list of DarpViolation
        Empty when the routes are feasible. The depot departure is taken as
        late as the first stop allows and the return as early as the last
        stop allows, so the route duration is the least these times imply.
    """
    n = (len(inst.xy) - 2) // 2
    end = len(inst.xy) - 1
    out: list[DarpViolation] = []
    if len(routes) > inst.num_vehicles:
        out.append(
            DarpViolation("vehicles", -1, -1, f"{len(routes)} routes, {inst.num_vehicles} vehicles")
        )
    seen: dict[int, tuple[int, int]] = {}  # node -> (vehicle, position)
    for v, route in enumerate(routes):
        if len(times[v]) != len(route):
            out.append(DarpViolation("node", v, -1, "times and nodes differ in length"))
        for k, node in enumerate(route):
            if not 1 <= node <= 2 * n:
                out.append(DarpViolation("node", v, node, "not a pickup or delivery"))
            elif node in seen:
                out.append(DarpViolation("node", v, node, "visited twice"))
            else:
                seen[node] = (v, k)
    for i in range(1, n + 1):
        p, d = seen.get(i), seen.get(n + i)
        if p is None and d is None:
            out.append(DarpViolation("unserved", -1, i, f"request {i} not served"))
        elif p is None or d is None or p[0] != d[0]:
            out.append(DarpViolation("pairing", -1, i, f"request {i}: pickup and delivery apart"))
        elif p[1] > d[1]:
            out.append(DarpViolation("pairing", p[0], i, f"request {i} delivered before pickup"))
    for v, route in enumerate(routes):
        if not route or len(times[v]) != len(route):
            continue
        b = [float(t) for t in times[v]]
        for node, t in zip(route, b, strict=True):
            if 0 < node <= 2 * n and not inst.early[node] - tol <= t <= inst.late[node] + tol:
                out.append(
                    DarpViolation(
                        "window",
                        v,
                        node,
                        f"{t:.3f} outside [{inst.early[node]}, {inst.late[node]}]",
                    )
                )
        for k in range(1, len(route)):
            a, c = route[k - 1], route[k]
            ready = b[k - 1] + float(inst.service[a]) + _dist(inst, a, c)
            if b[k] < ready - tol:
                out.append(
                    DarpViolation("travel", v, c, f"starts {b[k]:.3f}, cannot before {ready:.3f}")
                )
        on_board = 0
        for node in route:
            on_board += int(inst.load[node]) if 0 < node <= 2 * n else 0
            if on_board > inst.capacity:
                out.append(
                    DarpViolation(
                        "capacity", v, node, f"{on_board} on board, {inst.capacity} seats"
                    )
                )
        where = {node: k for k, node in enumerate(route)}
        for node in route:
            if 1 <= node <= n and node + n in where:
                ride = b[where[node + n]] - b[where[node]] - float(inst.service[node])
                if ride > inst.max_ride_time + tol:
                    out.append(
                        DarpViolation(
                            "ride_time", v, node, f"ride {ride:.3f} > {inst.max_ride_time}"
                        )
                    )
        leave = b[0] - _dist(inst, 0, route[0])
        back = b[-1] + float(inst.service[route[-1]]) + _dist(inst, route[-1], end)
        if back - leave > inst.max_route_duration + tol:
            out.append(
                DarpViolation("duration", v, -1, f"{back - leave:.3f} > {inst.max_route_duration}")
            )
        if leave < inst.early[0] - tol or leave > inst.late[0] + tol:
            out.append(DarpViolation("depot", v, 0, f"leaves at {leave:.3f}"))
        if back < inst.early[end] - tol or back > inst.late[end] + tol:
            out.append(DarpViolation("depot", v, end, f"back at {back:.3f}"))
    return out
