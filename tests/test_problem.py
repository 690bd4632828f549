"""build_problem: tasks, candidate filtering, the start grid, travel and the funnel."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import builders as b
import numpy as np
import pytest

import matchkracht as mk
from matchkracht.problem import FUNNEL_STAGES, MINUTES_PER_DAY, PRIORITY_WEIGHTS


def problem_of(
    vols: list[dict[str, Any]],
    needs: list[dict[str, Any]] | None = None,
    clients: list[dict[str, Any]] | None = None,
    history: list[dict[str, Any]] | None = None,
    horizon: str | mk.Horizon = b.WEEK,
    **kw: Any,
) -> mk.Problem:
    """Build the problem of a tiny registry."""
    needs = needs if needs is not None else [b.need("n1")]
    return mk.build_problem(b.registry(vols, clients, needs, history), horizon, **kw)


def pairs(p: mk.Problem) -> set[tuple[str, str]]:
    """(task id, volunteer id) of every candidate pair."""
    return {
        (p.task_ids[t], p.volunteer_ids[v])
        for t, v in zip(p.pair_task.tolist(), p.pair_vol.tolist(), strict=True)
    }


def day_starts(p: mk.Problem, volunteer: str | None = None) -> list[int]:
    """Distinct start options (minutes after midnight of their day), optionally of one volunteer."""
    sel = np.ones(p.num_options, dtype=bool)
    if volunteer is not None:
        sel = p.opt_vol == p.volunteer_ids.index(volunteer)
    return sorted({int(s) % MINUTES_PER_DAY for s in p.opt_start[sel].tolist()})


# -- candidate filtering ---------------------------------------------------------------
def test_only_eligible_pairs_exist() -> None:
    vols = [
        b.volunteer("v1", skills="handy"),
        b.volunteer("v2"),
        b.volunteer("v3", skills="handy;x"),
    ]
    p = problem_of(vols, [b.need("n1", skills="handy")])
    assert pairs(p) == {("n1@2026-11-30", "v1"), ("n1@2026-11-30", "v3")}
    assert p.num_pairs == 2
    assert set(p.opt_vol.tolist()) == {0, 2}


def test_model_grows_with_candidates_not_with_volunteers() -> None:
    need = [b.need("n1", skills="handy", window="10:00-10:30")]
    without = problem_of([b.volunteer("v1", skills="handy"), b.volunteer("v2")], need, prune=False)
    with_skill = problem_of(
        [b.volunteer("v1", skills="handy"), b.volunteer("v2", skills="handy")], need, prune=False
    )
    assert without.num_pairs == 1
    assert with_skill.num_pairs == 2
    assert with_skill.num_options == 2 * without.num_options == 2 * 7


@pytest.mark.parametrize(
    ("vol_kw", "need_kw", "client_kw"),
    [
        ({}, {"skills": "dementia"}, {}),
        ({"languages": "nl"}, {"languages": "ar"}, {}),
        ({"lat": b.north(9.8), "max_km": 9.7}, {}, {}),
        ({"availability": "tue 09:00-17:00"}, {}, {}),
        ({"availability": "mon 10:00-10:59"}, {}, {}),
        ({"unavailable": "2026-11-30"}, {}, {}),
        ({}, {}, {"excluded_volunteers": "v1"}),
    ],
)
def test_each_hard_filter_removes_the_pair(
    vol_kw: dict[str, Any], need_kw: dict[str, Any], client_kw: dict[str, Any]
) -> None:
    p = problem_of(
        [b.volunteer("v1", **vol_kw)], [b.need("n1", **need_kw)], [b.client("c1", **client_kw)]
    )
    assert p.num_tasks == 1
    assert p.num_pairs == 0
    assert p.num_options == 0
    relaxed = problem_of([b.volunteer("v1")], [b.need("n1")], [b.client("c1")])
    assert relaxed.num_pairs == 1


def test_strict_continuity_filters_to_past_helpers() -> None:
    vols = [b.volunteer("v1"), b.volunteer("v2")]
    strict = [b.need("n1", continuity="strict")]
    p = problem_of(vols, strict, history=[b.history("v2")])
    assert pairs(p) == {("n1@2026-11-30", "v2")}
    assert p.pair_helped.tolist() == [True]
    anyone = problem_of(vols, strict)
    assert pairs(anyone) == {("n1@2026-11-30", "v1"), ("n1@2026-11-30", "v2")}
    prefer = problem_of(vols, [b.need("n1")], history=[b.history("v2")])
    assert prefer.num_pairs == 2
    helped = {
        p.volunteer_ids[v]: h for v, h in zip(prefer.pair_vol, prefer.pair_helped, strict=True)
    }
    assert helped == {"v1": False, "v2": True}


# -- tasks -----------------------------------------------------------------------------
def test_task_ids_and_attributes() -> None:
    needs = [
        b.need("n1", schedule="FREQ=WEEKLY;BYDAY=MO,TH", priority=1),
        b.need("n2", schedule="2026-12-03", priority=3, volunteers_needed=2, kind="chore"),
        b.need("n3", schedule="2026-12-24"),  # outside the horizon
    ]
    p = problem_of([b.volunteer("v1")], needs)
    assert p.task_ids == ("n1@2026-11-30", "n1@2026-12-03", "n2@2026-12-03")
    assert p.task_day.tolist() == [0, 3, 3]
    assert p.task_weight.tolist() == [PRIORITY_WEIGHTS[1]] * 2 + [PRIORITY_WEIGHTS[3]]
    assert PRIORITY_WEIGHTS == {1: 4, 2: 2, 3: 1}
    assert p.task_needed.tolist() == [1, 1, 2]
    assert p.total_weight == 9


def test_start_and_end_date_are_honoured() -> None:
    every_day = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"
    need = b.need("n1", schedule=every_day, start_date="2026-12-02", end_date="2026-12-04")
    p = problem_of([b.volunteer("v1")], [need])
    assert p.task_ids == ("n1@2026-12-02", "n1@2026-12-03", "n1@2026-12-04")
    ended = b.need("n1", schedule=every_day, end_date="2026-11-29")
    assert problem_of([b.volunteer("v1")], [ended]).num_tasks == 0


def _biweekly(start: date, first: date, last: date, weekday: int) -> list[date]:
    """Dates of an every-other-week rule counted from ``start``'s ISO week (independent)."""
    monday0 = start - timedelta(days=start.weekday())
    out = []
    d = first
    while d <= last:
        weeks = (d - timedelta(days=d.weekday()) - monday0).days // 7
        if d >= start and d.weekday() == weekday and weeks % 2 == 0:
            out.append(d)
        d += timedelta(days=1)
    return out


@pytest.mark.parametrize("start", ["2026-11-17", "2026-11-16", "2026-11-24", "2026-11-26"])
def test_interval_two_follows_start_date(start: str) -> None:
    need = b.need("n1", schedule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", start_date=start)
    hz = mk.Horizon.from_week(b.WEEK, 4)
    p = problem_of([b.volunteer("v1", availability="tue 09:00-17:00")], [need], horizon=hz)
    expected = _biweekly(date.fromisoformat(start), hz.first, hz.last, 1)
    assert p.task_ids == tuple(f"n1@{d.isoformat()}" for d in expected)
    assert len(expected) == 2
    # the task's ISO week index within the horizon
    assert p.num_weeks == 4
    assert p.task_week.tolist() == [(d - hz.first).days // 7 for d in expected]


# -- the start grid --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("window", "grid", "starts"),
    [
        ("12:00-12:15", 5, ["12:00", "12:05", "12:10", "12:15"]),
        ("12:03-12:17", 5, ["12:05", "12:10", "12:15"]),
        ("12:00-12:00", 5, ["12:00"]),
        ("12:00-12:15", 15, ["12:00", "12:15"]),
        ("12:01-12:14", 15, []),
    ],
)
def test_start_grid(window: str, grid: int, starts: list[str]) -> None:
    p = problem_of([b.volunteer("v1")], [b.need("n1", window=window)], grid=grid, prune=False)
    minutes = [int(s[:2]) * 60 + int(s[3:]) for s in starts]
    assert day_starts(p) == minutes
    assert all(s % grid == 0 for s in p.opt_start.tolist())


def test_starts_are_cut_by_the_availability_window_including_travel() -> None:
    # 9.8 road km = 14.7 min, rounded up to 15 each way; 60 min help
    vol = b.volunteer("v1", lat=b.north(9.8), availability="mon 09:52-11:33")
    p = problem_of([vol], [b.need("n1", window="10:00-11:00")], prune=False)
    # depart >= 09:52 → start >= 10:07 → 10:10 on the grid; home by 11:33 → start <= 10:18 → 10:15
    assert day_starts(p) == [10 * 60 + 10, 10 * 60 + 15]
    assert (p.opt_depart == p.opt_start - 15).all()
    assert (p.opt_return == p.opt_start + 60 + 15).all()


def test_pruning_keeps_every_pair_and_only_drops_starts() -> None:
    vols = [b.volunteer("v1"), b.volunteer("v2", lat=b.north(3.0))]
    clients = [b.client("c1"), b.client("c2")]
    needs = [
        b.need("n1", window="09:30-11:00"),
        b.need("n2", "c2", window="10:00-12:00", duration_min=45),
        b.need("n3", "c2", window="10:00-10:30", volunteers_needed=2),
    ]
    full = problem_of(vols, needs, clients, prune=False)
    pruned = problem_of(vols, needs, clients)
    assert pairs(pruned) == pairs(full)
    assert 0 < pruned.num_options < full.num_options

    def options(p: mk.Problem) -> set[tuple[str, str, int]]:
        return {
            (p.task_ids[t], p.volunteer_ids[v], s)
            for t, v, s in zip(
                p.opt_task.tolist(), p.opt_vol.tolist(), p.opt_start.tolist(), strict=True
            )
        }

    assert options(pruned) <= options(full)
    # every pair keeps a start; team tasks keep all of theirs
    assert set(pruned.opt_pair.tolist()) == set(range(pruned.num_pairs))
    team = {o for o in options(full) if o[0].startswith("n3@")}
    assert team <= options(pruned)


def test_invalid_grid_raises() -> None:
    reg = b.registry([b.volunteer("v1")], needs=[b.need("n1")])
    for grid in (0, 61, 2.5, True):
        with pytest.raises(mk.InvalidSettingsError):
            mk.build_problem(reg, b.WEEK, grid=grid)  # type: ignore[arg-type]


# -- travel ----------------------------------------------------------------------------
@pytest.mark.parametrize("km", [0.0, 0.5, 4.0, 9.8, 12.34])
def test_occupied_time_is_out_plus_duration_plus_back(km: float) -> None:
    home = (b.north(km), b.BASE_LON)
    p = problem_of([b.volunteer("v1", lat=home[0])], [b.need("n1", duration_min=45)])
    minutes = b.travel_minutes(home, (b.BASE_LAT, b.BASE_LON))
    out = math.ceil(minutes - 1e-9)
    assert p.pair_out.tolist() == [out]
    assert p.pair_back.tolist() == [out]
    assert p.pair_occupied.tolist() == [out + 45 + out]
    assert p.pair_km[0] == pytest.approx(2 * b.road_km(home, (b.BASE_LAT, b.BASE_LON)), rel=1e-6)
    assert (p.opt_return - p.opt_depart == out + 45 + out).all()


def test_ride_travel_goes_home_client_destination_and_back() -> None:
    home = (b.north(2.0), b.BASE_LON)
    cli = (b.BASE_LAT, b.BASE_LON + 0.03)
    dest = (b.north(-6.0), b.BASE_LON + 0.05)
    vol = b.volunteer("v1", lat=home[0], skills="driver")
    need = b.need("n1", kind="ride", dest_lat=dest[0], dest_lon=dest[1], duration_min=90)
    p = problem_of([vol], [need], [b.client("c1", lat=cli[0], lon=cli[1])])
    out_min = b.travel_minutes(home, cli) + b.travel_minutes(cli, dest)
    back_min = b.travel_minutes(dest, cli) + b.travel_minutes(cli, home)
    assert p.pair_out.tolist() == [math.ceil(out_min)]
    assert p.pair_back.tolist() == [math.ceil(back_min)]
    assert p.pair_occupied.tolist() == [math.ceil(out_min) + 90 + math.ceil(back_min)]
    km = 2 * (b.road_km(home, cli) + b.road_km(cli, dest))
    assert p.pair_km[0] == pytest.approx(km, rel=1e-6)


def test_ride_reach_is_the_farther_of_client_and_destination() -> None:
    home = (b.BASE_LAT, b.BASE_LON)
    dest = (b.north(8.0), b.BASE_LON)  # 8 km from home (and from the client)
    need = b.need("n1", kind="ride", dest_lat=dest[0], dest_lon=dest[1])
    ok = problem_of([b.volunteer("v1", skills="driver", max_km=8.1)], [need])
    too_far = problem_of([b.volunteer("v1", skills="driver", max_km=7.9)], [need])
    assert b.road_km(home, dest) == pytest.approx(8.0, abs=1e-6)
    assert ok.num_pairs == 1
    assert too_far.num_pairs == 0


# -- the eligibility funnel ------------------------------------------------------------
def test_funnel_counts_each_stage() -> None:
    vols = [
        b.volunteer("v1"),  # no skill
        b.volunteer("v2", skills="handy", languages="nl"),  # no language
        b.volunteer("v3", skills="handy", languages="tr", lat=b.north(20)),  # too far
        b.volunteer("v4", skills="handy", languages="tr", availability="tue 09:00-17:00"),
        b.volunteer("v5", skills="handy", languages="tr"),  # excluded
        b.volunteer("v6", skills="handy", languages="tr"),  # not a past helper
        b.volunteer("v7", skills="handy", languages="tr"),  # the past helper
    ]
    need = b.need("n1", skills="handy", languages="tr", continuity="strict")
    p = problem_of(
        vols, [need], [b.client("c1", excluded_volunteers="v5")], history=[b.history("v7")]
    )
    assert [s for s, _ in FUNNEL_STAGES] == [
        "skills", "languages", "distance", "availability", "exclusions", "continuity",
    ]  # fmt: skip
    assert p.task_funnel.tolist() == [[6, 5, 4, 3, 2, 1]]
    assert pairs(p) == {("n1@2026-11-30", "v7")}


def test_declined_pairs_leave_at_the_exclusions_stage_and_are_kept() -> None:
    both = "mon,tue 09:00-17:00"
    vols = [b.volunteer("v1", availability=both), b.volunteer("v2", availability=both)]
    needs = [b.need("n1", schedule="FREQ=WEEKLY;BYDAY=MO,TU")]
    mon, tue = "n1@2026-11-30", "n1@2026-12-01"
    p = problem_of(vols, needs, forbid=[(mon, "v1"), (tue, "nobody"), ("n9@2026-11-30", "v2")])
    assert pairs(p) == {(mon, "v2"), (tue, "v1"), (tue, "v2")}
    assert p.task_funnel[:, 3:5].tolist() == [[2, 1], [2, 2]]
    assert p.forbidden.tolist() == [[p.task_ids.index(mon), 0]]


def test_problem_arrays_are_frozen() -> None:
    p = problem_of([b.volunteer("v1")])
    with pytest.raises(ValueError):
        p.opt_start[0] = 0
    assert "1 tasks" in p.summary()


def test_option_task_and_volunteer_are_computed_once_and_read_only() -> None:
    import pickle

    p = problem_of([b.volunteer("v1"), b.volunteer("v2")])
    assert p.opt_task is p.opt_task and p.opt_vol is p.opt_vol
    assert p.opt_task.tolist() == p.pair_task[p.opt_pair].tolist()
    assert p.opt_vol.tolist() == p.pair_vol[p.opt_pair].tolist()
    with pytest.raises(ValueError):
        p.opt_vol[0] = 1
    # derived arrays are not pickled (sent to Dask workers), and come back on use
    state = p.__getstate__()
    assert "opt_task" not in state and "opt_vol" not in state
    q = pickle.loads(pickle.dumps(p))
    assert q.opt_vol.tolist() == p.opt_vol.tolist()
