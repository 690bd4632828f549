"""Tests of distances and travel models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import WEEK, make_registry
from geopy.distance import great_circle

import matchkracht as mk
from matchkracht.data.geo import EARTH_RADIUS_KM, GreatCircleTravel, MatrixTravel, great_circle_km


def _random_points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [
            rng.uniform(-89.9, 89.9, n),
            rng.uniform(-180, 180, n),
            rng.uniform(-89.9, 89.9, n),
            rng.uniform(-180, 180, n),
        ]
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_great_circle_matches_geopy(seed: int) -> None:
    pts = _random_points(200, seed)
    ours = great_circle_km(pts[:, 0], pts[:, 1], pts[:, 2], pts[:, 3])
    assert ours.shape == (200,)
    theirs = np.array([great_circle(tuple(p[:2]), tuple(p[2:])).km for p in pts])
    np.testing.assert_allclose(ours, theirs, rtol=0.005)


def test_great_circle_short_distances_match_geopy() -> None:
    rng = np.random.default_rng(7)
    lat = rng.uniform(50.7, 53.5, 100)
    lon = rng.uniform(3.4, 7.2, 100)
    lat2 = lat + rng.uniform(-0.2, 0.2, 100)
    lon2 = lon + rng.uniform(-0.2, 0.2, 100)
    ours = great_circle_km(lat, lon, lat2, lon2)
    theirs = np.array(
        [great_circle((a, b), (c, d)).km for a, b, c, d in zip(lat, lon, lat2, lon2, strict=True)]
    )
    np.testing.assert_allclose(ours, theirs, rtol=0.005)


def test_great_circle_basics() -> None:
    assert float(great_circle_km(51.4, 6.1, 51.4, 6.1)) == 0.0
    half_earth = np.pi * EARTH_RADIUS_KM
    assert float(great_circle_km(0, 0, 0, 180)) == pytest.approx(half_earth)
    assert float(great_circle_km(90, 0, -90, 0)) == pytest.approx(half_earth)
    # one degree of latitude is about 111.2 km
    assert float(great_circle_km(51, 6, 52, 6)) == pytest.approx(111.2, abs=0.1)
    # symmetric and broadcast
    d = great_circle_km(51.4, 6.1, np.array([51.3, 51.5]), np.array([6.1, 6.2]))
    assert d.shape == (2,)
    np.testing.assert_allclose(d, great_circle_km([51.3, 51.5], [6.1, 6.2], 51.4, 6.1))


def test_great_circle_travel_is_the_contract_formula() -> None:
    pts = _random_points(50, 3)
    a, b = pts[:, :2], pts[:, 2:]
    gc = np.array([great_circle(tuple(p[:2]), tuple(p[2:])).km for p in pts])
    travel = GreatCircleTravel()
    km = travel.km(None, a, None, b)
    minutes = travel.minutes(None, a, None, b)
    np.testing.assert_allclose(km, 1.3 * gc, rtol=0.005)
    np.testing.assert_allclose(minutes, km / 40 * 60)


def test_great_circle_travel_settings() -> None:
    a, b = np.array([51.42, 6.13]), np.array([51.36, 6.17])
    base = float(GreatCircleTravel().km(None, a, None, b))
    other = GreatCircleTravel(road_factor=1.0, speed_kmh=60.0)
    assert float(other.km(None, a, None, b)) == pytest.approx(base / 1.3)
    assert float(other.minutes(None, a, None, b)) == pytest.approx(base / 1.3)


# -- user-supplied matrix -------------------------------------------------------------------
LL = {
    "V1": (51.4220, 6.1300),
    "V2": (51.4250, 6.1350),
    "C1": (51.4210, 6.1320),
}


def _ll(*keys: str) -> np.ndarray:
    return np.array([LL[k] for k in keys])


def test_matrix_replaces_listed_pairs_in_both_directions() -> None:
    mt = MatrixTravel({("V1", "C1"): (2.5, 9.0)})
    keys = np.array(["V1", "V2"], dtype=object)
    km = mt.km(keys, _ll("V1", "V2"), "C1", _ll("C1")[0])
    back = mt.km("C1", _ll("C1")[0], keys, _ll("V1", "V2"))
    minutes = mt.minutes(keys, _ll("V1", "V2"), "C1", _ll("C1")[0])
    fallback = GreatCircleTravel()
    v2_km = float(fallback.km("V2", _ll("V2")[0], "C1", _ll("C1")[0]))
    v2_min = float(fallback.minutes("V2", _ll("V2")[0], "C1", _ll("C1")[0]))
    np.testing.assert_allclose(km, [2.5, v2_km])
    np.testing.assert_allclose(back, [2.5, v2_km])
    np.testing.assert_allclose(minutes, [9.0, v2_min])


def test_matrix_direction_given_wins_over_reverse() -> None:
    mt = MatrixTravel({("V1", "C1"): (2.5, 9.0), ("C1", "V1"): (3.0, 11.0)})
    assert float(mt.km("V1", _ll("V1")[0], "C1", _ll("C1")[0])) == 2.5
    assert float(mt.km("C1", _ll("C1")[0], "V1", _ll("V1")[0])) == 3.0
    assert float(mt.minutes("C1", _ll("C1")[0], "V1", _ll("V1")[0])) == 11.0


def test_matrix_from_frame_with_custom_fallback() -> None:
    frame = pd.DataFrame({"from_id": ["V1"], "to_id": ["C1"], "km": [4], "minutes": [12]})
    fallback = GreatCircleTravel(road_factor=2.0)
    mt = MatrixTravel.from_frame(frame, fallback=fallback)
    assert mt.table == {("V1", "C1"): (4.0, 12.0)}
    assert float(mt.km("V2", _ll("V2")[0], "C1", _ll("C1")[0])) == pytest.approx(
        float(fallback.km(None, _ll("V2")[0], None, _ll("C1")[0]))
    )


def test_matrix_changes_the_problem() -> None:
    reg = make_registry()
    base = mk.build_problem(reg, WEEK)
    # N2 is a ride of client C2 on Thursday; V1 and V3 are drivers
    mt = MatrixTravel(
        {
            ("V1", "C2"): (50.0, 60.0),  # now too far for V1 (max_km 15)
            ("V3", "C2"): (1.0, 3.0),
            ("C2", "N2"): (10.0, 20.0),  # client -> destination of need N2
        }
    )
    prob = mk.build_problem(reg, WEEK, travel=mt)
    task = prob.task_ids.index("N2@2026-12-03")
    v1, v3 = prob.volunteer_ids.index("V1"), prob.volunteer_ids.index("V3")

    def pair(p: mk.Problem, t: int, v: int) -> int | None:
        hit = np.flatnonzero((p.pair_task == t) & (p.pair_vol == v))
        return int(hit[0]) if len(hit) else None

    assert pair(base, task, v1) is not None
    assert pair(prob, task, v1) is None  # too far now
    p3 = pair(prob, task, v3)
    assert p3 is not None
    assert prob.pair_km[p3] == pytest.approx(1.0 + 10.0 + 10.0 + 1.0)
    assert prob.pair_out[p3] == 3 + 20
    assert prob.pair_back[p3] == 20 + 3
    # the distance stage of the funnel lost V1
    stage = [name for name, _ in mk.problem.FUNNEL_STAGES].index("distance")
    assert prob.task_funnel[task, stage] == base.task_funnel[task, stage] - 1
    # unlisted pairs keep the default formula
    t1 = prob.task_ids.index("N1@2026-11-30")
    v2 = prob.volunteer_ids.index("V2")
    assert prob.pair_km[pair(prob, t1, v2)] == pytest.approx(base.pair_km[pair(base, t1, v2)])


def test_matrix_plan_passes_the_checker() -> None:
    reg = make_registry()
    mt = MatrixTravel(
        {("V1", "C2"): (50.0, 60.0), ("V3", "C2"): (1.0, 3.0), ("C2", "N2"): (10.0, 20.0)}
    )
    plan = mk.match(reg, week=WEEK, travel=mt, time_limit=5, seed=0)
    ride = plan.assignments[plan.assignments["need_id"] == "N2"]
    assert list(ride["volunteer_id"]) == ["V3"]
    assert float(ride["travel_km"].iloc[0]) == pytest.approx(22.0)
    assert mk.check(reg, plan, travel=mt).empty
    # the default checker disagrees on travel_km
    assert "travel_km" in set(mk.check(reg, plan)["rule"])
