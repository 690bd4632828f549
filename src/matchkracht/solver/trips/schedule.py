"""Start-of-service times for a fixed visiting order, and a feasible first solution.

For a route in a fixed order every rule of the dial-a-ride problem is a
difference constraint between two start-of-service times: travel
(``B_j >= B_i + d_i + t_ij``), windows (``e_i <= B_i <= l_i``), maximum ride time
(``B_pickup >= B_delivery - d_pickup - L``) and route duration
(``B_start >= B_end - T``). All but the upper window bounds are lower bounds,
so the earliest schedule (the least fixpoint of the lower bounds) exists
exactly when the route is feasible, and it is the schedule returned here:
every start of service as early as the rules allow. :func:`earliest_schedule`
computes it by repeated forward passes, each one lifting pickups that would
otherwise ride too long.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from matchkracht.problem.core import FloatArray
from matchkracht.problem.darp import DarpInstance

__all__ = ["earliest_schedule", "insertion_routes"]

#: Slack on float comparisons (minutes).
EPS = 1e-9
#: Places tried per route when inserting a request, cheapest first.
MAX_CHECKS = 40


def earliest_schedule(
    inst: DarpInstance, route: list[int], travel: FloatArray | None = None
) -> list[float] | None:
    """Earliest feasible start-of-service times along ``route``, or ``None``.

    Parameters
    ----------
    inst
        The instance.
    route
        Nodes in visiting order, depots left out.
    travel
        Travel times to use instead of ``inst.distance`` (e.g. rounded up).

    Returns
    -------
    list of float or None
        ``[depot departure, B(route[0]), ..., B(route[-1]), depot arrival]``;
        ``None`` when no schedule keeps every window, ride time and the
        route duration (capacity and pairing are not checked here).
    """
    n = inst.num_requests
    end = inst.end_depot
    dist = inst.distance if travel is None else travel
    svc = inst.service
    nodes = [0, *route, end]
    m = len(nodes)
    early = [float(inst.early[v]) for v in nodes]
    late = [float(inst.late[v]) for v in nodes]
    step = [float(svc[a] + dist[a, b]) for a, b in itertools.pairwise(nodes)]
    pos = {v: k for k, v in enumerate(nodes)}
    # (pickup position, delivery position, d + L) for requests with both ends here
    rides = [
        (pos[v], pos[v + n], float(svc[v]) + inst.max_ride_time)
        for v in route
        if 1 <= v <= n and v + n in pos
    ]
    low = early[:]
    duration = inst.max_route_duration
    for _ in range(4 * m + 8):
        t = low[0]
        times = [t]
        for k in range(1, m):
            t = max(t + step[k - 1], low[k])
            if t > late[k] + EPS:
                return None
            times.append(t)
        changed = False
        for p, d, limit in rides:
            need = times[d] - limit
            if need > times[p] + EPS:
                low[p] = need
                changed = True
        if times[-1] - times[0] > duration + EPS:
            low[0] = max(low[0], times[-1] - duration)
            changed = True
        if not changed:
            return times
        # a lifted node is lifted for good: keep what the pass proved
        low = [max(a, b) for a, b in zip(low, times, strict=True)]
    return None


def _load_ok(inst: DarpInstance, route: list[int]) -> bool:
    load = 0
    for v in route:
        load += int(inst.load[v])
        if load > inst.capacity:
            return False
    return True


def _insert_best(
    inst: DarpInstance,
    routes: list[list[int]],
    p: int,
    travel: FloatArray | None,
    max_checks: int | None = MAX_CHECKS,
) -> tuple[float, int, list[int]] | None:
    """The cheapest feasible place for request ``p`` over all ``routes``."""
    d = p + inst.num_requests
    dist = inst.distance
    best: tuple[float, int, list[int]] | None = None
    for r, route in enumerate(routes):
        seq = np.array([0, *route, inst.end_depot])
        a, b = seq[:-1], seq[1:]
        # cost of putting the pickup (delivery) between a[i] and b[i]
        add_p = dist[a, p] + dist[p, b] - dist[a, b]
        add_d = dist[a, d] + dist[d, b] - dist[a, b]
        delta = add_p[:, None] + add_d[None, :]
        both = dist[a, p] + dist[p, d] + dist[d, b] - dist[a, b]
        np.fill_diagonal(delta, both)
        delta[np.tril_indices(len(a), -1)] = np.inf  # delivery before pickup
        flat = np.argsort(delta, axis=None, kind="stable")
        for f in flat[:max_checks]:
            i, j = divmod(int(f), len(a))
            cost = float(delta[i, j])
            if not np.isfinite(cost) or (best is not None and cost >= best[0]):
                break
            new = [*route[:i], p, *route[i:j], d, *route[j:]]
            if _load_ok(inst, new) and earliest_schedule(inst, new, travel) is not None:
                best = (cost, r, new)
                break
    return best


def _eject(
    inst: DarpInstance,
    routes: list[list[int]],
    left: list[int],
    travel: FloatArray | None,
    deadline: float | None,
) -> list[int]:
    """Place left-out requests by taking one placed request out and back in elsewhere.

    ``routes`` is changed in place; returns the requests still left out.
    """
    n = inst.num_requests
    still: list[int] = []
    for p in left:
        mid_p = 0.5 * (inst.early[p] + inst.late[p + n])
        placed = [q for r in routes for q in r if q <= n]
        placed.sort(key=lambda q: abs(0.5 * (inst.early[q] + inst.late[q + n]) - mid_p))
        done = False
        for q in placed:
            if deadline is not None and time.perf_counter() > deadline:
                break
            r = next(k for k, route in enumerate(routes) if q in route)
            trial = [list(route) for route in routes]
            trial[r] = [v for v in trial[r] if v not in (q, q + n)]
            for x in (p, q):
                place = _insert_best(inst, trial, x, travel, None)
                if place is None:
                    break
                trial[place[1]] = place[2]
            else:
                routes[:] = trial
                done = True
                break
        if not done:
            still.append(p)
    return still


def insertion_routes(
    inst: DarpInstance,
    order: list[int] | None = None,
    travel: FloatArray | None = None,
    tries: int = 20,
    seed: int = 0,
    deadline: float | None = None,
) -> tuple[list[list[int]], list[int]]:
    """Routes built by inserting requests one by one at their cheapest feasible place.

    Requests are taken by the earliest end of their tightest window (or in
    ``order``); each goes where it adds the least distance among the places
    that keep every rule (timed with ``travel`` when given). When a request
    fits nowhere, the build starts again with the requests that did not fit
    moved to the front (at most ``tries`` builds, until ``deadline`` on
    :func:`time.perf_counter`).

    Returns
    -------
    routes, left_out
        The best build (fewest requests left out, then least distance) and
        the requests it leaves out (empty when every request fits).
    """
    n = inst.num_requests
    if order is None:
        tight = np.minimum(inst.late[1 : n + 1], inst.late[n + 1 : 2 * n + 1])
        order = [int(i) + 1 for i in np.argsort(tight, kind="stable")]
    order = list(order)
    rng = np.random.default_rng(seed)
    best: tuple[int, float, list[list[int]], list[int]] | None = None
    for _ in range(tries):
        routes: list[list[int]] = [[] for _ in range(inst.num_vehicles)]
        left: list[int] = []
        total = 0.0
        for p in order:
            place = _insert_best(inst, routes, p, travel)
            if place is None:  # look further down the list of places
                place = _insert_best(inst, routes, p, travel, None)
            if place is None:
                left.append(p)
                continue
            total += place[0]
            routes[place[1]] = place[2]
        if left:
            left = _eject(inst, routes, left, travel, deadline)
            total = 0.0 if left else -1.0  # a complete build wins
        if best is None or (len(left), total) < (best[0], best[1]):
            best = (len(left), total, routes, left)
        if not left or (deadline is not None and time.perf_counter() > deadline):
            break
        # the requests that fitted nowhere go first; a little noise avoids cycles
        rest = [q for q in order if q not in left]
        cut = int(rng.integers(0, max(1, len(rest) // 10) + 1))
        order = [*left, *rest[cut:], *rest[:cut]]
    assert best is not None
    return best[2], best[3]
