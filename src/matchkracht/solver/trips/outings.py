"""The trips engine as a choice among outings: patterns of rides, CP-SAT picks them.

One day's rides (:class:`~matchkracht.problem.trips.TripDay`) are cut into
*ways*: a request's way out (pickup at home, drop-off at the destination) and,
unless ``none``, its way back. An **outing pattern** is a sequence of stops in
one car with its times:

- one request: its ways in one outing (a round trip, the driver waiting or
  doing nothing else meanwhile), or, for ``separate``, one way alone;
- two requests, their stops interleaved in every order that keeps each way's
  pickup before its drop-off (shared rides, and chains such as: drop Mrs A at
  the hospital, take Mr B home from there, collect Mrs A);
- up to ``seats`` requests to one destination at close times, all picked up,
  dropped together and brought back in reverse order (the lunch at the
  village meal point).

The times of a pattern follow from difference constraints along its fixed
order (travel, the appointment's drop-off and return windows, ride times):
:func:`schedule` computes the latest start and, from it, the earliest
following times, or proves that the order is infeasible. A pattern becomes an
outing of a driver who may take all its rides, whose car has the seats, and
whose free interval holds it from leaving home to coming back.

CP-SAT then chooses outings: each way at most once, both ways of a request or
neither and at the same appointment start, a driver's outings never overlap,
their minutes and number within the budgets. Objective: covered weight first,
then metres driven and minutes away from home. The round-trip plan is a
solution of this model (each round trip is a one-request pattern) and is
given as a hint, so the engine never covers less.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from matchkracht.problem.trips import EARLY_MIN, MODES, TripDay
from matchkracht.solver.trips.day import Stop, TripRoute, TripsDaySolution

__all__ = ["Pattern", "outing_parts", "patterns", "schedule", "solve_outings"]

logger = logging.getLogger("matchkracht")

#: A request may take at most this many appointment starts in patterns (its
#: window on the grid, evenly thinned, the round-trip plan's start always kept).
STARTS_PER_REQUEST = 5
#: Starts per request in patterns of several requests.
STARTS_IN_GROUPS = 2
#: Two requests are tried together when their times are this close (s).
NEAR_SECONDS = 45 * 60
#: ... and their places this close (s of driving between the nearest two).
NEAR_DRIVE = 10 * 60
#: After the first choice, grow the chosen outings by one ride this many times, when
#: a day has at least EXTEND_MIN_SECONDS. Measured on municipality/shared_rides (5
#: days): at 30 s a day, 2.8 % fewer km and 145 outings instead of 158, same
#: coverage; at 8 s a day 0.4 % more km (the time is better spent on one choice).
EXTEND_ROUNDS = 1
EXTEND_MIN_SECONDS = 15.0
#: Each pattern is offered to at most this many drivers, those with the shortest
#: drive from home and back (and always, for a round trip, its driver in the plan).
DRIVERS_PER_PATTERN = 6
_DAY = 86400
_NONE = MODES.index("none")
_SEPARATE = MODES.index("separate")
_WEIGHT = 10**7  # covered weight unit, against metres (and seconds)


@dataclass(frozen=True)
class Pattern:
    """Stops in order, ``(request, node)``, with a start per request and the times."""

    stops: tuple[tuple[int, int], ...]
    starts: tuple[tuple[int, int], ...]  # (request, appointment start minute)
    times: tuple[int, ...]  # arrival at each stop (s)
    meters: int  # between the stops
    max_load: int


def _nodes(day: TripDay, r: int, ways: str) -> tuple[tuple[int, int], ...]:
    if ways == "out":
        return ((r, 0), (r, 1))
    if ways == "back":
        return ((r, 2), (r, 3))
    return ((r, 0), (r, 1), (r, 2), (r, 3))


def _place(day: TripDay, r: int, node: int) -> int:
    return int(day.req_home[r] if node in (0, 3) else day.req_dest[r])


def schedule(
    day: TripDay, stops: tuple[tuple[int, int], ...], start: dict[int, int]
) -> list[int] | None:
    """Arrival times (s) at ``stops`` in this order, or ``None`` when infeasible.

    ``start``: the appointment start (minute of the day) of each request. The
    first stop is as late as the rules allow, every later one as early as
    possible after it: a short outing.
    """
    n = len(stops)
    sec = day.seconds
    places = [_place(day, r, k) for r, k in stops]
    travel = [int(sec[places[i], places[i + 1]]) for i in range(n - 1)]
    lo, hi = [0] * n, [_DAY] * n
    pos = {s: i for i, s in enumerate(stops)}
    rides = []
    for i, (r, k) in enumerate(stops):
        s60 = start[r] * 60
        if k == 1:
            lo[i], hi[i] = s60 - EARLY_MIN * 60, s60
        elif k == 2:
            lo[i] = s60 + int(day.req_duration[r])
            hi[i] = lo[i] + int(day.req_wait[r])
        if k in (0, 2) and (r, k + 1) in pos:
            rides.append((i, pos[(r, k + 1)], int(day.req_max_ride[r])))
    # the latest schedule: upper bounds pushed back along travel and ride times
    late = hi[:]
    for _ in range(n + 1):
        changed = False
        for i in range(n - 2, -1, -1):
            if late[i] > late[i + 1] - travel[i]:
                late[i], changed = late[i + 1] - travel[i], True
        for p, d, ride in rides:
            if late[d] > late[p] + ride:
                late[d], changed = late[p] + ride, True
        if not changed:
            break
    if any(late[i] < lo[i] for i in range(n)):
        return None
    early = lo[:]
    early[0] = late[0]
    for _ in range(n + 1):
        changed = False
        for i in range(n - 1):
            if early[i + 1] < early[i] + travel[i]:
                early[i + 1], changed = early[i] + travel[i], True
        for p, d, ride in rides:
            if early[p] < early[d] - ride:
                early[p], changed = early[d] - ride, True
        if any(early[i] > late[i] for i in range(n)):
            return None
        if not changed:
            return early
    return None


def _load(day: TripDay, stops: tuple[tuple[int, int], ...]) -> int | None:
    """Most residents on board at once; ``None`` when one who rides alone would share."""
    board: list[int] = []
    most = 0
    for r, k in stops:
        if k in (0, 2):
            board.append(r)
            if len(board) > 1 and any(not day.req_shared[x] for x in board):
                return None
            most = max(most, len(board))
        else:
            board.remove(r)
    return most


def _pattern(
    day: TripDay, stops: tuple[tuple[int, int], ...], start: dict[int, int]
) -> Pattern | None:
    load = _load(day, stops)
    if load is None or load > int(day.veh_seats.max(initial=0)):
        return None
    times = schedule(day, stops, start)
    if times is None:
        return None
    places = [_place(day, r, k) for r, k in stops]
    meters = sum(int(day.meters[a, b]) for a, b in itertools.pairwise(places))
    return Pattern(stops, tuple(sorted(start.items())), tuple(times), meters, load)


def _starts(day: TripDay, r: int, most: int) -> list[int]:
    grid = [int(x) for x in day.req_starts[r].tolist()]
    if len(grid) > most:
        idx = np.unique(np.linspace(0, len(grid) - 1, most).round().astype(int))
        keep = [grid[i] for i in idx]
        if day.req_start0[r] >= 0 and int(day.req_start0[r]) not in keep:
            keep[-1] = int(day.req_start0[r])
        grid = sorted(set(keep))
    return grid


def _way_sets(day: TripDay, r: int) -> list[str]:
    if day.req_mode[r] == _NONE:
        return ["out"]
    if day.req_mode[r] == _SEPARATE:
        return ["both", "out", "back"]
    return ["both"]


def _window(day: TripDay, r: int, k: int, s: int) -> tuple[int, int]:
    """The arrival window (s) of a request's node for appointment start ``s`` (minutes)."""
    s60 = s * 60
    if k == 1:
        return s60 - EARLY_MIN * 60, s60
    if k == 2:
        lo = s60 + int(day.req_duration[r])
        return lo, lo + int(day.req_wait[r])
    return 0, _DAY


def _merges(
    day: TripDay,
    a: tuple[tuple[int, int], ...],
    b: tuple[tuple[int, int], ...],
    start: dict[int, int],
    seats: int,
) -> list[tuple[tuple[int, int], ...]]:
    """Interleavings of ``a`` and ``b`` whose earliest times keep every window (a
    depth-first merge that stops at the first stop it cannot reach in time, or
    when the car would be over its seats or a resident who rides alone would share)."""
    sec = day.seconds
    win = {n: _window(day, n[0], n[1], start[n[0]]) for n in (*a, *b)}
    out: list[tuple[tuple[int, int], ...]] = []
    seq: list[tuple[int, int]] = []

    def go(i: int, j: int, t: int, place: int, board: tuple[int, ...]) -> None:
        if i == len(a) and j == len(b):
            out.append(tuple(seq))
            return
        for node, ni, nj in ((a[i] if i < len(a) else None, i + 1, j),
                             (b[j] if j < len(b) else None, i, j + 1)):  # fmt: skip
            if node is None:
                continue
            r, k = node
            here = _place(day, r, k)
            lo, hi = win[node]
            arrive = max(lo, t + (int(sec[place, here]) if place >= 0 else 0))
            if arrive > hi:
                continue
            if k in (0, 2):
                nb = (*board, r)
                if len(nb) > seats or (len(nb) > 1 and not all(day.req_shared[x] for x in nb)):
                    continue
            else:
                nb = tuple(x for x in board if x != r)
            seq.append(node)
            go(ni, nj, arrive, here, nb)
            seq.pop()

    go(0, 0, 0, -1, ())
    return out


def _shortest_merges(
    day: TripDay,
    a: tuple[tuple[int, int], ...],
    b: tuple[tuple[int, int], ...],
    start: dict[int, int],
) -> list[Pattern]:
    """The feasible patterns merging ``a`` and ``b``: the shortest per (first, last) place."""
    seats = int(day.veh_seats.max(initial=0))
    best: dict[tuple[int, int], Pattern] = {}
    for seq in _merges(day, a, b, start, seats):
        pat = _pattern(day, seq, start)
        if pat is None:
            continue
        key = (_place(day, *seq[0]), _place(day, *seq[-1]))
        if key not in best or pat.meters < best[key].meters:
            best[key] = pat
    return list(best.values())


def patterns(day: TripDay, deadline: float | None = None) -> list[Pattern]:
    """Every outing pattern of the day worth offering (see the module's text).

    ``deadline`` (a :func:`time.perf_counter` value): stop offering patterns of
    several requests then (those of one request are always all there).
    """
    out: list[Pattern] = []
    n = day.num_requests
    singles: dict[tuple[int, str, int], Pattern] = {}
    for r in range(n):
        for ways in _way_sets(day, r):
            for s in _starts(day, r, STARTS_PER_REQUEST):
                pat = _pattern(day, _nodes(day, r, ways), {r: s})
                if pat is not None:
                    singles[(r, ways, s)] = pat
                    out.append(pat)
    # pairs: close in time and place; every interleaving, the shortest per end places
    sec = day.seconds
    span: dict[tuple[int, str], tuple[int, int]] = {}
    for (r, ways, _s), pat in singles.items():
        lo, hi = span.get((r, ways), (_DAY, 0))
        span[(r, ways)] = (min(lo, pat.times[0]), max(hi, pat.times[-1]))
    keys = sorted(span)
    for (r1, w1), (r2, w2) in itertools.combinations(keys, 2):
        if r1 == r2:
            continue
        if deadline is not None and time.perf_counter() > deadline:
            return out
        (a0, a1), (b0, b1) = span[(r1, w1)], span[(r2, w2)]
        if a0 > b1 + NEAR_SECONDS or b0 > a1 + NEAR_SECONDS:
            continue
        pa = {_place(day, r1, k) for _, k in _nodes(day, r1, w1)}
        pb = {_place(day, r2, k) for _, k in _nodes(day, r2, w2)}
        if min(int(sec[x, y]) for x in pa for y in pb) > NEAR_DRIVE:
            continue
        if not (set(day.req_drivers[r1].tolist()) & set(day.req_drivers[r2].tolist())):
            continue
        for s1 in _starts(day, r1, STARTS_IN_GROUPS):
            for s2 in _starts(day, r2, STARTS_IN_GROUPS):
                if (r1, w1, s1) not in singles or (r2, w2, s2) not in singles:
                    continue
                start = {r1: s1, r2: s2}
                out += _shortest_merges(day, _nodes(day, r1, w1), _nodes(day, r2, w2), start)
    out.extend(_groups(day))
    return out


def _groups(day: TripDay) -> list[Pattern]:
    """Three or more requests to one destination (one site: the same point),
    together out and back."""
    out: list[Pattern] = []
    seats = int(day.veh_seats.max(initial=0))
    by_dest: dict[int, list[int]] = {}
    sites: list[int] = []
    for r in range(day.num_requests):
        d = int(day.req_dest[r])
        site = next((x for x in sites if day.meters[x, d] == 0), d)
        if site == d and d not in sites:
            sites.append(d)
        if day.req_shared[r]:
            by_dest.setdefault(site, []).append(r)
    for reqs in by_dest.values():
        for size in range(3, min(seats, len(reqs)) + 1):
            for group in itertools.combinations(reqs, size):
                start = {}
                for r in group:
                    s0 = int(day.req_start0[r])
                    start[r] = s0 if s0 >= 0 else _starts(day, r, 1)[0]
                if max(start.values()) - min(start.values()) > EARLY_MIN:
                    continue
                ways = [w for r in group for w in (_way_sets(day, r)[:1])]
                if any(w == "out" for w in ways) and not all(w == "out" for w in ways):
                    continue  # one-way and round rides do not go together here
                best = None
                for order in itertools.permutations(group):
                    seq = [(r, 0) for r in order] + [(r, 1) for r in order]
                    if ways[0] == "both":
                        seq += [(r, 2) for r in order] + [(r, 3) for r in reversed(order)]
                    pat = _pattern(day, tuple(seq), start)
                    if pat is not None and (best is None or pat.meters < best.meters):
                        best = pat
                if best is not None:
                    out.append(best)
    return out


@dataclass(frozen=True)
class _Outing:
    """A pattern driven by one driver from one free interval: leaving, back, metres."""

    pattern: int
    vehicle: int
    depart: int
    end: int
    meters: int


def _outings(day: TripDay, pats: list[Pattern], own: dict[int, int]) -> list[_Outing]:
    """The candidate outings of ``pats``: each offered to its nearest drivers who may
    take all its rides, have the seats and a free interval that holds it."""
    sec = day.seconds
    first_vehicle: dict[int, int] = {}
    for k in range(day.num_vehicles):
        first_vehicle.setdefault(int(day.veh_interval[k]), k)
    vehicles = [k for _, k in sorted(first_vehicle.items())]
    drivers_ok = [set(day.req_drivers[r].tolist()) for r in range(day.num_requests)]
    out: list[_Outing] = []
    for i, pat in enumerate(pats):
        reqs = {r for r, _ in pat.stops}
        ok = set.intersection(*(drivers_ok[r] for r in reqs))
        first, last = _place(day, *pat.stops[0]), _place(day, *pat.stops[-1])
        found: list[_Outing] = []
        for k in vehicles:
            if int(day.veh_vol[k]) not in ok or pat.max_load > int(day.veh_seats[k]):
                continue
            home = int(day.veh_home[k])
            depart = pat.times[0] - int(sec[home, first])
            end = pat.times[-1] + int(sec[last, home])
            if depart < int(day.veh_lo[k]) or end > int(day.veh_hi[k]):
                continue
            m = int(day.meters[home, first]) + pat.meters + int(day.meters[last, home])
            found.append(_Outing(i, k, depart, end, m))
        found.sort(key=lambda o: o.meters)
        keep = found[:DRIVERS_PER_PATTERN]
        if len(reqs) == 1:  # and always the round trip's own driver
            mine = own.get(next(iter(reqs)), -1)
            keep += [o for o in found[DRIVERS_PER_PATTERN:] if day.veh_vol[o.vehicle] == mine]
        out += keep
    return out


#: Outings to start CP-SAT from (the round trips), each as (stops, starts, vehicle).
_Hint = set[tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...], int]]


def _hinted(pats: list[Pattern], o: _Outing, hint: _Hint) -> bool:
    """Whether outing ``o`` is one of the hinted ones."""
    pat = pats[o.pattern]
    return (pat.stops, pat.starts, o.vehicle) in hint


@dataclass(frozen=True)
class _Search:
    """What every choice of a day's outings shares: CP-SAT's settings and the
    drivers' weekly use on the days before (seconds and outings, by volunteer)."""

    seed: int
    deterministic: bool
    workers: int
    used_seconds: dict[int, int]
    used_outings: dict[int, int]


def _choose(
    day: TripDay,
    pats: list[Pattern],
    cands: list[_Outing],
    hint: _Hint,
    limit: float,
    search: _Search,
) -> tuple[list[_Outing], dict[str, Any]] | None:
    """CP-SAT's choice among ``cands`` (see the module's text); ``None`` without a plan.

    ``hint``: (stops, starts, vehicle) of the outings to start from.
    """
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{j}") for j in range(len(cands))]
    # ways: each at most once; both ways of a request at the same start, or none
    uses: dict[tuple[int, int, int], list[Any]] = {}  # (request, way, start) -> vars
    for var, o in zip(x, cands, strict=True):
        pat = pats[o.pattern]
        st = dict(pat.starts)
        for r, k in pat.stops:
            if k in (0, 2):
                uses.setdefault((r, k // 2, st[r]), []).append(var)
    covered = []
    for r in range(day.num_requests):
        starts = sorted({s for (q, _, s) in uses if q == r})
        if not starts:
            continue
        outs = []
        for s in starts:
            out_s = sum(uses.get((r, 0, s), []))
            outs.append(out_s)
            if day.req_mode[r] != _NONE:
                model.add(sum(uses.get((r, 1, s), [])) == out_s)
        c = model.new_bool_var(f"covered{r}")
        model.add(sum(outs) == c)
        covered.append((c, int(day.req_weight[r])))
    # drivers: outings never overlap; minutes and number within the budgets
    by_driver: dict[int, list[tuple[Any, _Outing]]] = {}
    for var, o in zip(x, cands, strict=True):
        by_driver.setdefault(int(day.veh_vol[o.vehicle]), []).append((var, o))
    for j, v in enumerate(day.driver_vol.tolist()):
        items = by_driver.get(int(v), [])
        if not items:
            continue
        model.add_no_overlap(
            [
                model.new_optional_fixed_size_interval_var(
                    o.depart, max(o.end - o.depart, 1), var, "o"
                )
                for var, o in items
            ]
        )
        budget = max(int(day.driver_minutes[j]) * 60 - search.used_seconds.get(int(v), 0), 0)
        model.add(sum((o.end - o.depart) * var for var, o in items) <= budget)
        outings = max(int(day.driver_outings[j]) - search.used_outings.get(int(v), 0), 0)
        model.add(sum(var for var, _ in items) <= outings)
    model.maximize(
        sum(_WEIGHT * w * c for c, w in covered)
        - sum(
            (10 * o.meters + (o.end - o.depart) + 10**4) * var
            for var, o in zip(x, cands, strict=True)
        )
    )
    hinted = 0
    for var, o in zip(x, cands, strict=True):
        on = _hinted(pats, o, hint)
        hinted += on
        model.add_hint(var, on)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.random_seed = search.seed
    prm.num_workers = search.workers or 2
    # presolve's symmetry and probing passes cost seconds on these set-packing models
    prm.symmetry_level = 0
    prm.cp_model_probing_level = 0
    prm.max_presolve_iterations = 1
    prm.log_search_progress = bool(os.environ.get("MK_TRIPS_LOG"))
    limit = max(limit, 0.05)
    if search.deterministic:
        prm.interleave_search = True
        prm.max_deterministic_time = limit
        prm.max_time_in_seconds = limit * 100
    else:
        prm.max_time_in_seconds = limit
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        logger.warning(
            "trips of day %d: CP-SAT %s on %d outings", day.day, solver.status_name(status),
            len(cands),
        )  # fmt: skip
        return None
    chosen = [o for var, o in zip(x, cands, strict=True) if solver.boolean_value(var)]
    stats = {
        "outings": len(cands),
        "hinted": hinted,
        "status": solver.status_name(status),
        "objective": solver.objective_value,
        "bound": solver.best_objective_bound,
    }
    return chosen, stats


def outing_parts(day: TripDay, pats: list[Pattern], cands: list[_Outing]) -> list[list[int]]:
    """The candidates (by position) in groups that share no request and no driver.

    Two outings are linked when they serve a common request or are driven by
    the same volunteer: the choice of one group never limits another's, so
    each is chosen by a model of its own. Groups come largest first, each in
    candidate order.
    """
    # union-find over requests (0..n-1) and drivers (n + their position)
    driver = {int(v): day.num_requests + k for k, v in enumerate(np.unique(day.veh_vol).tolist())}
    parent = list(range(day.num_requests + len(driver)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for o in cands:
        root = find(driver[int(day.veh_vol[o.vehicle])])
        for r, _ in pats[o.pattern].stops:
            other = find(r)
            if other != root:
                parent[other] = root
    groups: dict[int, list[int]] = {}
    for j, o in enumerate(cands):
        groups.setdefault(find(driver[int(day.veh_vol[o.vehicle])]), []).append(j)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def _choose_parts(
    day: TripDay,
    pats: list[Pattern],
    cands: list[_Outing],
    hint: _Hint,
    limit: float,
    search: _Search,
) -> tuple[list[_Outing], dict[str, Any]] | None:
    """:func:`_choose` on each group of :func:`outing_parts`, with time by its size.

    A group CP-SAT finds no plan for keeps its hinted outings (the round
    trips); ``None`` only when no group has a plan. Exact; it helps where a
    day's villages lie apart (on the benchmark region every village of a day
    falls into one group).
    """
    parts = outing_parts(day, pats, cands)
    if len(parts) <= 1:
        return _choose(day, pats, cands, hint, limit, search)
    t0 = time.perf_counter()
    chosen: list[_Outing] = []
    stats: dict[str, Any] = {"outings": len(cands), "parts": len(parts), "unsolved_parts": 0,
                             "objective": 0.0, "bound": 0.0}  # fmt: skip
    left_size = len(cands)
    solved = False
    statuses: set[str] = set()
    for part in parts:
        sub = [cands[j] for j in part]
        if search.deterministic:
            share = limit * len(sub) / len(cands)
        else:
            share = max(limit - (time.perf_counter() - t0), 0.0) * len(sub) / left_size
        left_size -= len(sub)
        got = _choose(day, pats, sub, hint, share, search)
        if got is None:
            stats["unsolved_parts"] += 1
            chosen += [o for o in sub if _hinted(pats, o, hint)]
            continue
        solved = True
        chosen += got[0]
        statuses.add(got[1]["status"])
        stats["objective"] += got[1]["objective"]
        stats["bound"] += got[1]["bound"]
    whole = statuses == {"OPTIMAL"} and not stats["unsolved_parts"]
    stats["status"] = "OPTIMAL" if whole else "FEASIBLE"
    return (chosen, stats) if solved else None


def _extend(day: TripDay, pats: list[Pattern], chosen: list[_Outing]) -> list[Pattern]:
    """Longer chains: each chosen outing with one more ride merged into it (every
    order that keeps the windows), the shortest per end places."""
    out: list[Pattern] = []
    sec = day.seconds
    for o in chosen:
        pat = pats[o.pattern]
        reqs = {r for r, _ in pat.stops}
        lo, hi = pat.times[0], pat.times[-1]
        places = {_place(day, r, k) for r, k in pat.stops}
        for r2 in range(day.num_requests):
            if r2 in reqs:
                continue
            for w2 in _way_sets(day, r2):
                nodes = _nodes(day, r2, w2)
                for s2 in _starts(day, r2, STARTS_IN_GROUPS):
                    start = {**dict(pat.starts), r2: s2}
                    wins = [_window(day, r, k, start[r]) for r, k in nodes]
                    if wins[-1][0] > hi + NEAR_SECONDS or (wins[0][1] < lo - NEAR_SECONDS):
                        continue
                    near = min(int(sec[a, _place(day, r, k)]) for a in places for r, k in nodes)
                    if near > NEAR_DRIVE:
                        continue
                    out += _shortest_merges(day, pat.stops, nodes, start)
    return out


def solve_outings(
    day: TripDay,
    *,
    time_limit: float = 5.0,
    seed: int = 0,
    deterministic: bool = False,
    workers: int = 0,
    used_seconds: dict[int, int] | None = None,
    used_outings: dict[int, int] | None = None,
    base: TripsDaySolution | None = None,
    rounds: int = EXTEND_ROUNDS,
) -> TripsDaySolution | None:
    """Choose the day's outings with CP-SAT; ``None`` when it finds no plan.

    ``used_seconds``, ``used_outings``: see
    :func:`~matchkracht.solver.trips.weekly.solve_trip_day`; ``base``: the
    round trips, given as a hint. ``rounds``: after the first choice, this
    many times more the chosen outings are extended by one ride each
    (:func:`_extend`) and CP-SAT chooses again from its last plan; the time
    left after the patterns is split evenly over the choices (no extension
    below :data:`EXTEND_MIN_SECONDS`).
    """
    t0 = time.perf_counter()
    used_seconds, used_outings = used_seconds or {}, used_outings or {}
    if time_limit < EXTEND_MIN_SECONDS:
        rounds = 0
    pats = patterns(day, deadline=t0 + time_limit / 2)
    t_patterns = time.perf_counter() - t0
    own = {int(r.stops[0].request): r.volunteer for r in (base.routes if base else [])}
    hint: _Hint = set()
    if base is not None:  # the round trips
        for route in base.routes:
            r = route.stops[0].request
            seq = tuple((st.request, st.node) for st in route.stops)
            hint.add((seq, ((r, int(day.req_start0[r])),), _interval_vehicle(day, route.vehicle)))
    cands = _outings(day, pats, own)
    search = _Search(seed, deterministic, workers, used_seconds, used_outings)
    stats: dict[str, Any] = {"patterns": len(pats), "pattern_seconds": round(t_patterns, 3)}
    chosen: list[_Outing] | None = None
    for round_ in range(rounds + 1):
        left = time_limit - (time.perf_counter() - t0)
        if round_ and (left <= 0.2 or not chosen):
            break
        got = _choose_parts(day, pats, cands, hint, left / (rounds + 1 - round_), search)
        if got is None:
            break
        chosen, stats[f"round{round_}"] = got
        if round_ == rounds:
            break
        # grow the chosen outings by one ride; start the next choice from this plan
        known = {(p.stops, p.starts) for p in pats}
        grown = [p for p in _extend(day, pats, chosen) if (p.stops, p.starts) not in known]
        if not grown:
            break
        hint = {(pats[o.pattern].stops, pats[o.pattern].starts, o.vehicle) for o in chosen}
        first = len(pats)
        pats = pats + grown
        cands = cands + [
            _Outing(o.pattern + first, o.vehicle, o.depart, o.end, o.meters)
            for o in _outings(day, grown, own)
        ]
        stats[f"grown{round_}"] = len(grown)
    if chosen is None:
        return None
    sec = day.seconds
    routes: list[TripRoute] = []
    req_start = np.full(day.num_requests, -1, dtype=np.int64)
    for o in chosen:
        pat = pats[o.pattern]
        home = int(day.veh_home[o.vehicle])
        places = [home, *(_place(day, r, q) for r, q in pat.stops), home]
        arrivals = [o.depart, *pat.times, o.end]
        stops = tuple(
            Stop(r, q, places[j + 1], arrivals[j + 1],
                 arrivals[j + 2] - int(sec[places[j + 1], places[j + 2]]))
            for j, (r, q) in enumerate(pat.stops)
        )  # fmt: skip
        routes.append(TripRoute(o.vehicle, int(day.veh_vol[o.vehicle]), o.depart, o.end, stops,
                                o.meters))  # fmt: skip
        for r, s in pat.starts:
            if any(q == 0 and rr == r for rr, q in pat.stops):
                req_start[r] = s
    stats["patterns_all"] = len(pats)
    return TripsDaySolution(routes, req_start, "cpsat", time.perf_counter() - t0, stats)


def _interval_vehicle(day: TripDay, vehicle: int) -> int:
    """The first vehicle of ``vehicle``'s free interval (the one outings are offered on)."""
    iv = int(day.veh_interval[vehicle])
    return int(np.flatnonzero(day.veh_interval == iv)[0])
