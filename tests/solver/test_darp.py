"""The dial-a-ride engine: parser, earliest schedule, independent checker, solver, CLI."""

from __future__ import annotations

import csv
import itertools
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchkracht.cli import main
from matchkracht.errors import MatchkrachtError
from matchkracht.plan.darp_check import RULES, check_routes, routes_cost
from matchkracht.problem.core import frozen
from matchkracht.problem.darp import DarpInstance, InvalidInstanceError, read_cordeau
from matchkracht.solver.trips import earliest_schedule, insertion_routes, solve_darp

CORDEAU = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "darp-cordeau2006"
A2_16 = CORDEAU / "a2-16.txt"
#: optimal.csv gives the optima to two decimals (a2-16: 294.2480 is 294.25)
ROUNDING = 0.005 + 1e-6


def optimum(name: str) -> float:
    with (CORDEAU / "optimal.csv").open(encoding="utf-8") as fh:
        return next(float(r["optimal_cost"]) for r in csv.DictReader(fh) if r["instance"] == name)


def tiny(
    *,
    capacity: int = 2,
    ride: float = 10.0,
    duration: float = 100.0,
    depot_late: float = 100.0,
    vehicles: int = 2,
) -> DarpInstance:
    """Two requests on a line: 1 at x=1 → 3 at x=3; 2 at x=2 → 4 at x=4; depot at 0."""
    xy = [[0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [0, 0]]
    return DarpInstance(
        name="tiny",
        num_vehicles=vehicles,
        capacity=capacity,
        max_route_duration=duration,
        max_ride_time=ride,
        xy=frozen(xy, np.float64),
        service=frozen([0, 1, 1, 1, 1, 0], np.float64),
        load=frozen([0, 1, 1, -1, -1, 0], np.int64),
        early=frozen([0, 0, 0, 0, 0, 0], np.float64),
        late=frozen([depot_late, 50, 50, 50, 50, depot_late], np.float64),
    )


# -- parser ------------------------------------------------------------------------


def test_reads_a_real_cordeau_file() -> None:
    inst = read_cordeau(A2_16)
    assert (inst.name, inst.num_vehicles, inst.num_requests) == ("a2-16", 2, 16)
    assert (inst.capacity, inst.max_route_duration, inst.max_ride_time) == (3, 480.0, 30.0)
    assert inst.xy.shape == (34, 2) and inst.end_depot == 33
    # a2-16 stops at node 32: the start depot stands in for the end depot
    assert inst.xy[33].tolist() == inst.xy[0].tolist() == [0.0, 0.0]
    assert inst.load[1:17].tolist() == [1] * 16 and inst.load[17:33].tolist() == [-1] * 16
    assert (inst.early[9], inst.late[9], inst.service[9]) == (276.0, 291.0, 3.0)
    assert inst.distance[0, 1] == pytest.approx(math.hypot(-1.198, -5.164))


def test_reads_the_end_depot_line_when_there_is_one() -> None:
    inst = read_cordeau(CORDEAU / "a2-20.txt")
    assert inst.num_requests == 20 and inst.late[inst.end_depot] == 600.0


def test_a_broken_file_lists_every_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    lines = A2_16.read_text(encoding="utf-8").splitlines()
    lines[3] = "3 x y"
    lines[5] = "5 0.1 0.2 3 1 0 oops"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InvalidInstanceError, match=r"line 4: .*line 6: ") as err:
        read_cordeau(bad)
    assert isinstance(err.value, MatchkrachtError)
    with pytest.raises(InvalidInstanceError, match="no such file"):
        read_cordeau(tmp_path / "missing.txt")


# -- earliest schedule ------------------------------------------------------------


def test_earliest_schedule_lifts_a_pickup_that_would_ride_too_long() -> None:
    inst = tiny(ride=3.0)
    late = inst.late.copy()
    # request 1 must be delivered at 20 or later: leaving at once would ride too long
    early = inst.early.copy()
    early[3] = 20.0
    inst = replace(inst, early=frozen(early, np.float64), late=late)
    times = earliest_schedule(inst, [1, 3])
    assert times is not None
    depot, pick, drop, back = times
    assert drop == 20.0 and drop - pick - 1.0 == pytest.approx(3.0)  # lifted to ride exactly L
    assert depot == 0.0 and back == pytest.approx(24.0)  # leaves early, waits at node 1
    assert {v.rule for v in check_routes(inst, [[1, 3]], [[pick, drop]])} == {"unserved"}


def test_earliest_schedule_refuses_what_no_schedule_can_keep() -> None:
    assert earliest_schedule(tiny(ride=1.5), [1, 2, 4, 3]) is None  # request 1 rides >= 4
    assert earliest_schedule(tiny(duration=5.0), [1, 3]) is None  # the trip takes 5 + 2 stops
    assert earliest_schedule(tiny(), [1, 2, 4, 3]) is not None


@settings(max_examples=40, deadline=None)
@given(st.permutations(list(range(1, 9))), st.integers(0, 8))
def test_every_earliest_schedule_passes_the_checker(order: list[int], cut: int) -> None:
    """Property: on a real instance, a schedule found is a schedule the checker accepts."""
    inst = read_cordeau(A2_16)
    requests = order[:cut]
    route: list[int] = []
    for p in requests:  # pickups in the given order, each delivery right after the next pickup
        route.append(p)
    route += [p + inst.num_requests for p in reversed(requests)]
    times = earliest_schedule(inst, route)
    if times is not None:
        served = set(route)
        bad = [
            v
            for v in check_routes(inst, [route], [times[1:-1]])
            if not (v.rule == "unserved" and v.node not in served)
        ]
        assert bad == [] or {v.rule for v in bad} == {"capacity"}


# -- the independent checker -----------------------------------------------------------

GOOD_ROUTE = [1, 2, 3, 4]
GOOD_TIMES = [1.0, 3.0, 5.0, 7.0]


def rules(inst: DarpInstance, routes: list[list[int]], times: list[list[float]]) -> set[str]:
    return {v.rule for v in check_routes(inst, routes, times)}


def test_checker_accepts_feasible_routes() -> None:
    assert check_routes(tiny(), [GOOD_ROUTE, []], [GOOD_TIMES, []]) == []
    assert routes_cost(tiny(), [GOOD_ROUTE, []]) == pytest.approx(8.0)


@pytest.mark.parametrize(
    ("rule", "inst", "routes", "times"),
    [
        ("vehicles", tiny(vehicles=1), [[1, 3], [2, 4]], [[1, 3], [2, 4]]),
        ("node", tiny(), [[1, 2, 3, 4, 4]], [[1, 3, 5, 7, 9]]),
        ("node", tiny(), [[1, 2, 3, 4, 5]], [[1, 3, 5, 7, 9]]),
        ("unserved", tiny(), [[1, 3]], [[1, 4]]),
        ("pairing", tiny(), [[1, 2, 4], [3]], [[1, 3, 6], [3]]),
        ("pairing", tiny(), [[3, 1, 2, 4]], [[3, 6, 8, 10]]),
        ("window", tiny(), [GOOD_ROUTE], [[1, 3, 5, 60]]),
        ("travel", tiny(), [GOOD_ROUTE], [[1, 2.5, 5, 7]]),
        ("capacity", tiny(capacity=1), [GOOD_ROUTE], [GOOD_TIMES]),
        ("ride_time", tiny(ride=3.0), [GOOD_ROUTE], [[1, 3, 5.5, 7.5]]),
        ("duration", tiny(duration=8.0), [GOOD_ROUTE], [GOOD_TIMES]),
        ("depot", tiny(depot_late=10.0), [GOOD_ROUTE], [[1, 3, 5, 9]]),
    ],
)
def test_checker_catches_each_rule(
    rule: str, inst: DarpInstance, routes: list[list[int]], times: list[list[float]]
) -> None:
    assert rule in RULES
    found = rules(inst, routes, times)
    assert rule in found
    # the same routes with the rule relaxed (or fixed) break nothing of that kind
    assert rule not in rules(tiny(), [GOOD_ROUTE], [GOOD_TIMES])


def test_ride_time_binds_in_the_checker_only_above_the_limit() -> None:
    inst = tiny(ride=3.0)
    assert "ride_time" not in rules(inst, [GOOD_ROUTE], [[1, 3, 5, 7]])  # ride 3 = L
    assert "ride_time" in rules(inst, [GOOD_ROUTE], [[1, 3, 5.01, 7.01]])


# -- the solver -------------------------------------------------------------------------


def test_solver_respects_every_rule_on_the_tiny_instance() -> None:
    # with one seat the two requests cannot overlap in one car
    sol = solve_darp(tiny(capacity=1, vehicles=1), time_limit=1.0)
    assert sol.status == "feasible"
    assert check_routes(tiny(capacity=1, vehicles=1), sol.routes, sol.times) == []
    assert sol.routes == [[1, 3, 2, 4]]
    # with two seats sharing is cheaper: 1, 2 on board together
    shared = solve_darp(tiny(capacity=2, vehicles=1), time_limit=1.0)
    assert shared.cost == pytest.approx(8.0)  # [1, 2, 3, 4] or [1, 2, 4, 3]
    assert sol.cost == pytest.approx(10.0)


def test_no_solution_is_a_result() -> None:
    # the ride of request 1 alone takes 2 + service: a limit of 1 minute cannot be kept
    sol = solve_darp(tiny(ride=1.0), time_limit=1.0)
    assert sol.status == "no_solution" and sol.stats["left_out"] >= 1


@pytest.mark.parametrize("method", ["gls", "lns", "hybrid"])
def test_solves_a2_16_feasibly_and_never_below_the_optimum(method: str) -> None:
    inst = read_cordeau(A2_16)
    sol = solve_darp(inst, time_limit=3.0, method=method)
    assert sol.status == "feasible"
    assert check_routes(inst, sol.routes, sol.times) == []
    assert routes_cost(inst, sol.routes) == pytest.approx(sol.cost, abs=1e-9)
    assert sol.cost >= optimum("a2-16") - ROUNDING
    assert sol.cost <= 1.05 * optimum("a2-16")


@pytest.mark.parametrize(("method", "limit"), [("gls", 5), ("lns", 60), ("hybrid", 20)])
def test_deterministic_mode_repeats_the_routes(method: str, limit: int) -> None:
    inst = read_cordeau(A2_16)
    a = solve_darp(inst, time_limit=30.0, method=method, solution_limit=limit)
    b = solve_darp(inst, time_limit=30.0, method=method, solution_limit=limit)
    assert a.routes == b.routes and a.cost == b.cost
    assert check_routes(inst, a.routes, a.times) == []


def test_insertion_places_every_request_of_a2_16() -> None:
    inst = read_cordeau(A2_16)
    routes, left = insertion_routes(inst)
    assert left == []
    times = [earliest_schedule(inst, r) for r in routes]
    assert all(t is not None for t in times)
    assert check_routes(inst, routes, [t[1:-1] for t in times if t is not None]) == []


# -- the command line and its JSON ----------------------------------------------------------


def test_cli_writes_routes_an_independent_recount_accepts(tmp_path: Path) -> None:
    out = tmp_path / "routes.json"
    assert main(["darp", str(A2_16), "--time-limit", "2", "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) == {"cost", "routes"}
    # recount from the raw file with numpy alone: Cordeau's rules, nothing of matchkracht
    raw = np.loadtxt(A2_16, skiprows=1)
    xy, svc, load, e, lt = raw[:, 1:3], raw[:, 3], raw[:, 4], raw[:, 5], raw[:, 6]
    n = (len(raw) - 1) // 2

    def d(a: int, b: int) -> float:
        return float(np.linalg.norm(xy[a] - xy[b]))

    total, seen = 0.0, []
    for route in doc["routes"]:
        nodes = [s["node"] for s in route]
        t = {s["node"]: s["time"] for s in route}
        seen += nodes
        if nodes:
            path = [0, *nodes, 0]
            total += sum(d(a, b) for a, b in itertools.pairwise(path))
        on = 0
        for a, b in itertools.pairwise(nodes):
            assert t[b] >= t[a] + svc[a] + d(a, b) - 1e-6
        for v in nodes:
            on += int(load[v])
            assert on <= 3 and e[v] - 1e-6 <= t[v] <= lt[v] + 1e-6
            if v <= n:
                assert nodes.index(v) < nodes.index(v + n)
                assert t[v + n] - t[v] - svc[v] <= 30 + 1e-6
        if nodes:
            leave = t[nodes[0]] - d(0, nodes[0])
            back = t[nodes[-1]] + svc[nodes[-1]] + d(nodes[-1], 0)
            assert back - leave <= 480 + 1e-6
    assert sorted(seen) == list(range(1, 2 * n + 1))
    assert total == pytest.approx(doc["cost"], abs=1e-6)
    assert doc["cost"] >= optimum("a2-16") - ROUNDING


def test_cli_reports_a_bad_instance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("2 4 480\n", encoding="utf-8")
    assert main(["darp", str(bad)]) == 2
    assert "K 2n T Q L" in capsys.readouterr().err


def test_the_checker_shares_no_code_with_the_engine() -> None:
    import ast

    import matchkracht.plan.darp_check as checker

    tree = ast.parse(Path(checker.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("matchkracht.solver")}
    assert not {m for m in imported if m and m.split(".")[0] in ("ortools", "numpy")}


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 16))
def test_quick_tests_never_discard_a_feasible_place(p: int) -> None:
    """Property: every place the exact schedule accepts passes the quick tests first."""
    from matchkracht.solver.trips.search import _places, _remove, timed_route

    inst = read_cordeau(A2_16)
    routes, _ = insertion_routes(inst)
    timed = [timed_route(inst, r, inst.distance) for r in routes]
    assert all(t is not None for t in timed)
    rest = _remove(inst, [t for t in timed if t is not None], {p}, inst.distance)
    for r in rest:
        quick = {(i, j) for _, i, j in _places(inst, r, p, inst.distance)}
        nodes = list(r.nodes)
        for i in range(len(nodes) + 1):
            for j in range(i, len(nodes) + 1):
                new = [*nodes[:i], p, *nodes[i:j], p + inst.num_requests, *nodes[j:]]
                exact = timed_route(inst, new, inst.distance)
                seats = max(np.cumsum(inst.load[new])) <= inst.capacity
                if exact is not None and seats:
                    assert (i, j) in quick


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 16))
def test_insertion_is_the_cheapest_feasible_place_of_all_routes(p: int) -> None:
    """Property: the stacked (padded) search finds what trying every place finds."""
    from matchkracht.solver.trips.search import (
        _places,
        _places_all,
        _remove,
        insert_request,
        timed_route,
    )

    inst = read_cordeau(A2_16)
    routes, _ = insertion_routes(inst)
    timed = [timed_route(inst, r, inst.distance) for r in routes]
    rest = _remove(inst, [t for t in timed if t is not None], {p}, inst.distance)
    empty = timed_route(inst, [], inst.distance)
    assert empty is not None
    rest = [*rest, empty, empty]  # routes of different lengths, two of them empty
    delta, kk, ii, jj = _places_all(inst, rest, p, inst.distance)
    stacked = sorted(zip(kk.tolist(), ii.tolist(), jj.tolist(), delta.tolist(), strict=True))
    alone = sorted(
        (k, i, j, c) for k, r in enumerate(rest) for c, i, j in _places(inst, r, p, inst.distance)
    )
    assert [x[:3] for x in stacked] == [x[:3] for x in alone]
    assert np.allclose([x[3] for x in stacked], [x[3] for x in alone])
    best = math.inf
    for r in rest:
        nodes = list(r.nodes)
        for i in range(len(nodes) + 1):
            for j in range(i, len(nodes) + 1):
                new = [*nodes[:i], p, *nodes[i:j], p + inst.num_requests, *nodes[j:]]
                seats = max(np.cumsum(inst.load[new])) <= inst.capacity
                t = timed_route(inst, new, inst.distance)
                if seats and t is not None:
                    best = min(best, t.cost - r.cost)
    got = insert_request(inst, rest, p, inst.distance)
    assert got is not None and got[0] == pytest.approx(best)
    assert got[2].cost - rest[got[1]].cost == pytest.approx(best)


def test_the_command_line_offers_every_method() -> None:
    from matchkracht.cli import DARP_METHODS
    from matchkracht.solver.trips.darp import METHODS

    assert DARP_METHODS == METHODS
