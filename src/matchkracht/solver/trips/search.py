"""Insertion and ruin and recreate for dial-a-ride routes (large neighbourhood search).

:func:`insertion_routes` builds a first solution by cheapest feasible insertion.

Each step takes a few requests out of the routes (at random, a cluster of
related requests, or strings of consecutive stops) and puts them back one by
one at the cheapest place that keeps every rule; the new routes are kept by
the simulated-annealing rule (always when cheaper, sometimes when dearer,
less often as time runs out). Every route is timed exactly by
:func:`~matchkracht.solver.trips.schedule.earliest_schedule`; cheap necessary
conditions (windows, seats, ride time against the route's earliest and
latest times) discard most places before that exact check.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from matchkracht.problem.core import FloatArray
from matchkracht.problem.darp import DarpInstance
from matchkracht.solver.trips.schedule import earliest_schedule

__all__ = ["TimedRoute", "improve", "insert_request", "insertion_routes", "timed_route"]

EPS = 1e-9
#: Start and end temperature of the acceptance rule, as shares of the first cost.
#: Measured on Cordeau's instances (lns, 20-30 s, seed 0): 0.001/0.00001 (the
#: first setting, nearly a descent) left a4-40 at 571.84 (2.5 %) and a7-84 at
#: 3.3 % after 20 s; 0.03/0.0003 reached 557.94 (0.04 %) and 1.3 %; hotter
#: (0.05, 0.1) or colder ends (0.00003) were worse on a5-60 and a7-84.
HOT, COLD = 0.03, 0.0003
#: Most requests one step takes out: this share of all requests, at least
#: ``K_MIN`` and at most 30. With at most 3 (the first floor), a2-16 stayed at
#: 297.30 (1.04 % above the optimum) for 60 s on seed 1; with 6 it reaches the
#: optimum on seeds 1 and 2 in 10 s.
K_SHARE = 0.15
K_MIN = 6


@dataclass(frozen=True)
class TimedRoute:
    """A route with what insertion needs: its stops, earliest and latest times, loads."""

    nodes: tuple[int, ...]
    seq: np.ndarray  # [0, *nodes, end]
    earliest: np.ndarray  # earliest start of service along seq
    latest: np.ndarray  # latest start of service along seq (windows only)
    load: np.ndarray  # on board after each stop of seq
    cost: float


def timed_route(inst: DarpInstance, nodes: list[int], travel: FloatArray) -> TimedRoute | None:
    """The cached form of a route, or ``None`` when no schedule keeps its rules."""
    sched = earliest_schedule(inst, nodes, travel)
    if sched is None:
        return None
    seq = np.array([0, *nodes, inst.end_depot])
    step = inst.service[seq[:-1]] + travel[seq[:-1], seq[1:]]
    latest = inst.late[seq].astype(np.float64)
    for k in range(len(seq) - 2, -1, -1):
        latest[k] = min(latest[k], latest[k + 1] - step[k])
    load = np.cumsum(inst.load[seq])
    cost = float(inst.distance[seq[:-1], seq[1:]].sum())
    return TimedRoute(tuple(nodes), seq, np.array(sched), latest, load, cost)


@lru_cache(maxsize=256)
def _triangles(g: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks of ``j > i`` and of ``j >= i`` for ``g`` places."""
    return np.triu(np.ones((g, g), dtype=bool), 1), np.triu(np.ones((g, g), dtype=bool))


def _places(
    inst: DarpInstance, r: TimedRoute, p: int, travel: FloatArray
) -> list[tuple[float, int, int]]:
    """Places ``(added distance, i, j)`` for request ``p`` in ``r`` that pass the quick tests.

    The pickup goes after stop ``i`` of ``seq`` and the delivery after stop
    ``j >= i`` (right after the pickup when ``i == j``).
    """
    delta, _, ii, jj = _places_all(inst, [r], p, travel)
    return list(zip(delta.tolist(), ii.tolist(), jj.tolist(), strict=True))


def _places_all(
    inst: DarpInstance, routes: list[TimedRoute], p: int, travel: FloatArray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Places for request ``p`` in all ``routes`` at once: ``(added distance, route, i, j)``.

    The routes are stacked into arrays padded to the longest (padding never
    passes), so that a request costs one round of array operations however
    many routes there are.
    """
    d = p + inst.num_requests
    dist, svc = inst.distance, inst.service
    m = len(routes)
    g = max(len(r.seq) for r in routes) - 1
    a = np.zeros((m, g), dtype=np.int64)
    b = np.zeros((m, g), dtype=np.int64)
    ready = np.full((m, g), np.inf)
    late_b = np.full((m, g), -np.inf)
    on_board = np.zeros((m, g), dtype=np.int64)
    for k, r in enumerate(routes):
        h = len(r.seq) - 1
        a[k, :h] = r.seq[:-1]
        b[k, :h] = r.seq[1:]
        ready[k, :h] = r.earliest[:-1]
        late_b[k, :h] = r.latest[1:]
        on_board[k, :h] = r.load[:-1]
    ready += svc[a]
    arr_p = np.maximum(inst.early[p], ready + travel[a, p])
    ok_p = (arr_p <= inst.late[p] + EPS) & (arr_p + svc[p] + travel[p, b] <= late_b + EPS)
    latest_p = np.minimum(inst.late[p], late_b - svc[p] - travel[p, b])
    arr_d = np.maximum(inst.early[d], ready + travel[a, d])
    ok_d = (arr_d <= inst.late[d] + EPS) & (arr_d + svc[d] + travel[d, b] <= late_b + EPS)
    arr_adj = np.maximum(inst.early[d], arr_p + svc[p] + travel[p, d])
    # (no ride-time test here: the pickup may start later than arr_p)
    ok_adj = (
        (arr_p <= inst.late[p] + EPS)
        & (arr_adj <= inst.late[d] + EPS)
        & (arr_adj + svc[d] + travel[d, b] <= late_b + EPS)
    )
    upper, upper_eq = _triangles(g)
    ride_ok = arr_d[:, None, :] - latest_p[:, :, None] - svc[p] <= inst.max_ride_time + EPS
    load = np.where(upper_eq, on_board[:, None, :], -(10**9))
    seats_ok = np.maximum.accumulate(load, axis=2) + inst.load[p] <= inst.capacity
    mask = upper & ok_p[:, :, None] & ok_d[:, None, :] & ride_ok & seats_ok
    add_p = dist[a, p] + dist[p, b] - dist[a, b]
    add_d = dist[a, d] + dist[d, b] - dist[a, b]
    delta = add_p[:, :, None] + add_d[:, None, :]
    diag = np.arange(g)
    mask[:, diag, diag] = ok_adj & seats_ok[:, diag, diag]
    delta[:, diag, diag] = dist[a, p] + dist[p, d] + dist[d, b] - dist[a, b]
    kk, ii, jj = np.nonzero(mask)
    return delta[kk, ii, jj], kk, ii, jj


def insert_request(
    inst: DarpInstance, routes: list[TimedRoute], p: int, travel: FloatArray
) -> tuple[float, int, TimedRoute] | None:
    """The cheapest feasible insertion of request ``p``: (added distance, route, new route).

    The places that pass the quick tests in every route are sorted by added
    distance (ties to the lower route and stop) and timed exactly in that
    order until one keeps every rule: usually the first, so a request costs
    about one exact timing however many routes there are. Of several empty
    routes only the first is tried (the others offer the same places).
    """
    d = p + inst.num_requests
    ks: list[int] = []
    seen_empty = False
    for k, r in enumerate(routes):
        if not r.nodes:
            if seen_empty:
                continue
            seen_empty = True
        ks.append(k)
    if not ks:
        return None
    delta, kk, ii, jj = _places_all(inst, [routes[k] for k in ks], p, travel)
    kk = np.asarray(ks)[kk]
    for x in np.lexsort((jj, ii, kk, delta)).tolist():
        k, i, j = int(kk[x]), int(ii[x]), int(jj[x])
        nodes = routes[k].nodes
        timed = timed_route(inst, [*nodes[:i], p, *nodes[i:j], d, *nodes[j:]], travel)
        if timed is not None:
            return float(delta[x]), k, timed
    return None


def _remove(
    inst: DarpInstance, routes: list[TimedRoute], gone: set[int], travel: FloatArray
) -> list[TimedRoute]:
    n = inst.num_requests
    out = []
    for r in routes:
        if any(v in gone or v - n in gone for v in r.nodes):
            keep = [v for v in r.nodes if v not in gone and v - n not in gone]
            timed = timed_route(inst, keep, travel)
            assert timed is not None  # taking requests out keeps a route feasible
            out.append(timed)
        else:
            out.append(r)
    return out


def _choose(
    inst: DarpInstance, routes: list[TimedRoute], k: int, rng: np.random.Generator
) -> set[int]:
    """``k`` requests to take out, by one of three rules picked at random."""
    n = inst.num_requests
    rule = int(rng.integers(3))
    if rule == 0:  # at random
        return {int(x) + 1 for x in rng.choice(n, size=k, replace=False)}
    start = {v: t for r in routes for v, t in zip(r.nodes, r.earliest[1:-1], strict=False)}
    seed = int(rng.integers(1, n + 1))
    if rule == 1:  # related: close in space and time to a seed request
        dist = inst.distance
        req = np.arange(1, n + 1)
        t_p = np.array([start[int(q)] for q in req])
        t_d = np.array([start[int(q) + n] for q in req])
        rel = (
            dist[seed, req]
            + dist[seed + n, req + n]
            + np.abs(t_p - start[seed])
            + np.abs(t_d - start[seed + n])
        )
        order = req[np.argsort(rel + rng.random(n) * rel.mean() * 0.2)]
        return {int(q) for q in order[:k]}
    # strings: consecutive stops of the seed's route and of routes with stops near it
    by_node = {v: i for i, r in enumerate(routes) for v in r.nodes}
    gone: set[int] = set()
    near = np.argsort(inst.distance[seed, 1 : 2 * n + 1]) + 1
    for v in near:
        if len(gone) >= k:
            break
        r = routes[by_node[int(v)]]
        pos = r.nodes.index(int(v))
        length = int(rng.integers(2, 2 * max(2, k) + 1))
        lo = max(0, pos - int(rng.integers(0, length)))
        for u in r.nodes[lo : lo + length]:
            gone.add(u if u <= n else u - n)
    return set(list(gone)[: max(k, 1)]) if len(gone) > k else gone


def _eject(
    inst: DarpInstance,
    routes: list[TimedRoute],
    left: list[int],
    travel: FloatArray,
    deadline: float | None,
) -> list[int]:
    """Place left-out requests by taking one placed request out and back in elsewhere.

    ``routes`` is changed in place; returns the requests still left out.
    """
    n = inst.num_requests
    still: list[int] = []
    for p in left:
        mid_p = 0.5 * (inst.early[p] + inst.late[p + n])
        placed = [q for r in routes for q in r.nodes if q <= n]
        placed.sort(key=lambda q: abs(0.5 * (inst.early[q] + inst.late[q + n]) - mid_p))
        done = False
        for q in placed:
            if deadline is not None and time.perf_counter() > deadline:
                break
            trial = _remove(inst, routes, {q}, travel)
            for x in (p, q):
                place = insert_request(inst, trial, x, travel)
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
    that keep every rule (timed with ``travel``, the distances by default).
    A request that fits nowhere is placed by taking one placed request out
    and back in elsewhere; when that fails too, the build starts again with
    the requests that did not fit moved to the front (at most ``tries``
    builds, until ``deadline`` on :func:`time.perf_counter`).

    Returns
    -------
    routes, left_out
        The best build (fewest requests left out, then least distance) and
        the requests it leaves out (empty when every request fits).
    """
    n = inst.num_requests
    times = inst.distance if travel is None else travel
    if order is None:
        tight = np.minimum(inst.late[1 : n + 1], inst.late[n + 1 : 2 * n + 1])
        order = [int(i) + 1 for i in np.argsort(tight, kind="stable")]
    order = list(order)
    rng = np.random.default_rng(seed)
    empty = timed_route(inst, [], times)
    assert empty is not None
    best: tuple[int, float, list[list[int]], list[int]] | None = None
    for _ in range(tries):
        routes = [empty] * inst.num_vehicles
        left: list[int] = []
        for p in order:
            place = insert_request(inst, routes, p, times)
            if place is None:
                left.append(p)
            else:
                routes[place[1]] = place[2]
        if left:
            left = _eject(inst, routes, left, times, deadline)
        total = sum(r.cost for r in routes)
        if best is None or (len(left), total) < (best[0], best[1]):
            best = (len(left), total, [list(r.nodes) for r in routes], left)
        if not left or (deadline is not None and time.perf_counter() > deadline):
            break
        # the requests that fitted nowhere go first; a little noise avoids cycles
        rest = [q for q in order if q not in left]
        cut = int(rng.integers(0, max(1, len(rest) // 10) + 1))
        order = [*left, *rest[cut:], *rest[:cut]]
    assert best is not None
    return best[2], best[3]


def improve(
    inst: DarpInstance,
    routes: list[list[int]],
    travel: FloatArray,
    *,
    deadline: float,
    seed: int = 0,
    max_steps: int | None = None,
) -> tuple[list[list[int]], dict[str, float]]:
    """Improve feasible ``routes`` by ruin and recreate until ``deadline`` (or ``max_steps``).

    The requests taken out go back in random order, each at its cheapest
    feasible place (:func:`insert_request`).

    Parameters
    ----------
    inst
        The instance.
    routes
        Feasible routes serving every request (timed with ``travel``).
    travel
        Travel times the rules are checked with (the distances, or rounded up).
    deadline
        :func:`time.perf_counter` value to stop at.
    seed
        Seed of the random choices.
    max_steps
        Stop after this many steps; with ``deadline`` far away this is the
        deterministic mode.

    Returns
    -------
    routes, stats
        The best routes found and ``{"steps", "accepted", "improved"}``.
    """
    rng = np.random.default_rng(seed)
    n = inst.num_requests
    cur = [timed_route(inst, r, travel) for r in routes]
    if any(r is None for r in cur):
        raise ValueError("improve() needs feasible routes")
    current: list[TimedRoute] = [r for r in cur if r is not None]
    cur_cost = sum(r.cost for r in current)
    best, best_cost = current, cur_cost
    t_start = time.perf_counter()
    span = max(deadline - t_start, 1e-3)
    hot, cold = HOT * cur_cost, COLD * cur_cost
    k_max = max(K_MIN, min(30, round(K_SHARE * n)))
    steps = accepted = improved = 0
    while n and (max_steps is None or steps < max_steps):
        now = time.perf_counter()
        if now >= deadline:
            break
        steps += 1
        frac = (now - t_start) / span if max_steps is None else steps / max_steps
        temp = hot * (cold / hot) ** min(1.0, frac)
        k = min(int(rng.integers(2, k_max + 1)), n)
        gone = _choose(inst, current, k, rng)
        trial = _remove(inst, current, gone, travel)
        order = sorted(gone)
        rng.shuffle(order)
        for p in order:
            placed = insert_request(inst, trial, p, travel)
            if placed is None:
                break
            trial[placed[1]] = placed[2]
        else:
            cost = sum(r.cost for r in trial)
            if cost < cur_cost - EPS or rng.random() < math.exp(-(cost - cur_cost) / temp):
                current, cur_cost = trial, cost
                accepted += 1
                if cost < best_cost - EPS:
                    best, best_cost = trial, cost
                    improved += 1
    return [list(r.nodes) for r in best], {
        "steps": steps,
        "accepted": accepted,
        "improved": improved,
    }
