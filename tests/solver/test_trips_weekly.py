"""The trips stage: each rule of rides as trips binds and changes the plan.

Geography (default travel model, 1 road km = 1.5 min): residents and the
driver live around the base point, the hospital is 10 road km north. Every
plan is checked with the independent checker (``matchkracht.plan.check``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import matchkracht as mk
from matchkracht.plan import check
from tests.builders import BASE_LAT, BASE_LON, client, need, north, registry, volunteer

HOSPITAL = {"dest_lat": north(10.0), "dest_lon": BASE_LON}
EAST_2KM = BASE_LON + 2.0 / 1.3 / 69.6  # about 2 road km east at this latitude


def _ride(need_id: str, client_id: str, window: str = "12:00-12:00", **kw: Any) -> dict[str, Any]:
    return need(need_id, client_id, window=window, kind="ride", **HOSPITAL, **kw)


def _plan(reg: mk.Registry, trips: bool = True, **kw: Any) -> mk.Plan:
    plan = mk.match(reg, "2026-W49", time_limit=5, trips=trips, trips_time_limit=3, **kw)
    violations = check(reg, plan)
    assert violations.empty, violations.to_string()
    return plan


def _two_residents(driver: dict[str, Any], **ride: Any) -> mk.Registry:
    clients = [client("c1"), client("c2", lon=BASE_LON + 0.005)]
    needs = [_ride("n1", "c1", **ride), _ride("n2", "c2", **ride)]
    return registry([driver], clients, needs)


def test_one_driver_shares_the_car_for_two_residents() -> None:
    reg = _two_residents(volunteer("v1", skills="driver", availability="mon 09:00-17:00"))
    round_trips, trips = _plan(reg, trips=False), _plan(reg)
    assert round_trips.metrics["covered"] == 1  # two round trips at 12:00 overlap
    assert trips.metrics["covered"] == 2
    assert trips.metrics["trips"] == 1 and trips.metrics["shared_trips"] == 1
    on_board = trips.trips["on_board"].str.count(";").max()
    assert on_board == 1  # two residents at once


def test_seats_bind() -> None:
    reg = _two_residents(volunteer("v1", skills="driver", seats=1))
    assert _plan(reg).metrics["covered"] == 1


def test_a_resident_who_rides_alone_does_not_share() -> None:
    clients = [client("c1"), client("c2", lon=BASE_LON + 0.005)]
    needs = [_ride("n1", "c1", shared="no"), _ride("n2", "c2")]
    reg = registry([volunteer("v1", skills="driver")], clients, needs)
    assert _plan(reg).metrics["covered"] == 1


def test_max_ride_time_binds() -> None:
    # the second pickup is 2 km away: a detour of about 3 minutes for whoever is on board
    clients = [client("c1"), client("c2", lon=EAST_2KM)]
    loose = [_ride("n1", "c1"), _ride("n2", "c2")]
    tight = [_ride("n1", "c1", max_ride_min=16), _ride("n2", "c2", max_ride_min=16)]
    driver = [volunteer("v1", skills="driver")]
    assert _plan(registry(driver, clients, loose)).metrics["covered"] == 2
    assert _plan(registry(driver, clients, tight)).metrics["covered"] == 1


def _one_way(mode: str, hours: float = 6.0) -> mk.Registry:
    clients = [client("c1"), client("c2", lon=BASE_LON + 0.005)]
    needs = [
        _ride("n1", "c1", window="09:30-09:30", return_mode=mode),
        _ride("n2", "c2", window="10:30-10:30", return_mode=mode),
    ]
    driver = volunteer("v1", skills="driver", availability="mon 09:00-11:30",
                       max_hours_per_week=hours)  # fmt: skip
    return registry([driver], clients, needs)


def test_one_way_rides_free_the_driver() -> None:
    # a round trip for the 09:30 ride lasts till about 10:45; one way, the driver is home at 09:45
    assert _plan(_one_way("wait")).metrics["covered"] == 1
    plan = _plan(_one_way("none"))
    assert plan.metrics["covered"] == 2
    rides = plan.assignments
    assert set(rides["leg"]) == {"out"}
    assert (plan.trips["stop"] == "pickup").sum() == 2


def test_weekly_hours_bind_the_outings() -> None:
    # each one-way outing takes about 30 minutes
    assert _plan(_one_way("none", hours=0.75)).metrics["covered"] == 1
    assert _plan(_one_way("none", hours=1.5)).metrics["covered"] == 2


def test_an_outing_counts_once_against_max_tasks() -> None:
    reg = _two_residents(volunteer("v1", skills="driver", max_tasks_per_week=1))
    plan = _plan(reg)
    assert plan.metrics["covered"] == 2 and plan.metrics["trips"] == 1


def test_separate_ways_may_have_two_drivers() -> None:
    # v1 is free in the morning only, v2 in the afternoon only: neither can do the round trip
    clients = [client("c1")]
    needs = [_ride("n1", "c1", window="10:00-10:00", duration_min=240, return_mode="separate",
                   return_wait_min=30)]  # fmt: skip
    vols = [
        volunteer("v1", skills="driver", availability="mon 09:00-11:00"),
        volunteer("v2", skills="driver", availability="mon 13:00-16:00"),
    ]
    reg = registry(vols, clients, needs)
    assert _plan(reg, trips=False).metrics["covered"] == 0
    wait = registry(vols, clients, [{**needs[0], "return_mode": "wait"}])
    assert _plan(wait).metrics["covered"] == 0
    plan = _plan(reg)
    assert plan.metrics["covered"] == 1
    legs = dict(zip(plan.assignments["leg"], plan.assignments["volunteer_id"], strict=True))
    assert legs == {"out": "v1", "back": "v2"}


def test_wheelchair_needs_a_wheelchair_car() -> None:
    needs = [_ride("n1", "c1", wheelchair="yes")]
    plain = registry([volunteer("v1", skills="driver")], None, needs)
    fitted = registry([volunteer("v1", skills="driver", wheelchair_car="ja")], None, needs)
    assert _plan(plain).metrics["covered"] == 0
    assert _plan(plain).unmatched["reason_code"].tolist() == ["no_skill"]
    assert _plan(fitted).metrics["covered"] == 1


@pytest.mark.parametrize("engine", ["cpsat", "routing"])
def test_trips_never_lose_coverage_on_a_village(engine: str) -> None:
    from tests.builders import generated_registry

    reg = generated_registry("village", seed=5, variant="shared_rides")
    trips = _plan(reg, seed=1, trips_engine=engine)
    m = trips.metrics
    assert m["weighted_coverage"] >= m["round_trip_weighted_coverage"] - 1e-12
    rides = trips.assignments[trips.assignments["kind"] == "ride"]
    assert (rides["trip_id"] != "").all()
    if rides["task_id"].nunique() == m["round_trip_rides"]:  # the same rides: fewer km
        assert m["trip_km"] <= m["round_trip_km"] + 1e-6


def test_deterministic_trips_repeat() -> None:
    reg = _two_residents(volunteer("v1", skills="driver"))
    a = _plan(reg, deterministic=True, safety_factor=1e6)
    b = _plan(reg, deterministic=True, safety_factor=1e6)
    pd.testing.assert_frame_equal(a.trips, b.trips)


def test_plan_with_trips_round_trips_through_csv(tmp_path: Any) -> None:
    reg = _two_residents(volunteer("v1", skills="driver"))
    plan = _plan(reg)
    back = mk.Plan.read_csv(plan.to_csv(tmp_path))
    pd.testing.assert_frame_equal(back.trips, plan.trips, check_dtype=False)
    assert check(reg, back).empty


@pytest.mark.parametrize("lat", [BASE_LAT])
def test_without_rides_trips_change_nothing(lat: float) -> None:
    reg = registry([volunteer("v1", lat=lat)], None, [need("n1")])
    plan = _plan(reg)
    assert plan.trips.empty and plan.metrics["trips"] == 0


def test_a_replan_keeps_planning_rides_as_trips() -> None:
    reg = registry(
        [volunteer("v1", skills="driver"), volunteer("v2", skills="driver")],
        [client("c1"), client("c2", lon=BASE_LON + 0.005)],
        [_ride("n1", "c1"), _ride("n2", "c2")],
    )
    plan = _plan(reg)
    driver = str(plan.trips["volunteer_id"].iloc[0])
    res = mk.replan(reg, plan, [mk.VolunteerCancels(driver)], trips=True, time_limit=5)
    assert check(res.registry, res.plan).empty
    assert res.plan.metrics["covered"] == 2 and res.plan.metrics["trips"] == 1
    assert set(res.plan.trips["volunteer_id"]) == {"v1", "v2"} - {driver}


def test_far_apart_villages_are_chosen_apart_and_each_shares_its_car() -> None:
    from matchkracht.data.geo import GreatCircleTravel
    from matchkracht.problem.trips import trip_days
    from matchkracht.solver.trips.outings import _outings, outing_parts, patterns

    far = BASE_LON + 0.6  # about 40 km east: no driver reaches the other village
    clients = [
        client("c1"),
        client("c2", lon=BASE_LON + 0.005),
        client("c3", lon=far),
        client("c4", lon=far + 0.005),
    ]
    near_hospital = {"dest_lat": north(10.0), "dest_lon": far}  # the far village's own
    needs = [_ride("n1", "c1"), _ride("n2", "c2")] + [
        need(f"n{i}", f"c{i}", window="12:00-12:00", kind="ride", **near_hospital) for i in (3, 4)
    ]
    drivers = [
        volunteer("v1", skills="driver", max_km=10),
        volunteer("v2", lon=far, skills="driver", max_km=10),
    ]
    reg = registry(drivers, clients, needs)
    plan = _plan(reg)
    assert plan.metrics["covered"] == 4 and plan.metrics["trips"] == 2
    # the day's candidate outings fall into two groups sharing no request, no driver
    problem = mk.build_problem(reg, "2026-W49")
    solved = mk.CpSatSolver(time_limit=5, seed=0).solve(problem)
    (day,) = trip_days(problem, reg, solved.options, GreatCircleTravel())
    pats = patterns(day)
    cands = _outings(day, pats, {})
    groups = outing_parts(day, pats, cands)
    assert len(groups) == 2
    assert sorted(j for g in groups for j in g) == list(range(len(cands)))
    seen_req: list[set[int]] = []
    seen_vol: list[set[int]] = []
    for g in groups:
        seen_req.append({r for j in g for r, _ in pats[cands[j].pattern].stops})
        seen_vol.append({int(day.veh_vol[cands[j].vehicle]) for j in g})
    assert not seen_req[0] & seen_req[1] and not seen_vol[0] & seen_vol[1]
