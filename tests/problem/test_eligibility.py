"""The eligibility funnel, one stage at a time, on hand-made arrays.

Each test has volunteers that differ in one thing only, so the stage under test
is the one that binds; travel comes in as given :class:`Trips` so that no
travel model is involved.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from matchkracht.problem.core import FUNNEL_STAGES
from matchkracht.problem.eligibility import (
    Funnel,
    Trips,
    Volunteers,
    reachable,
)

MON_9, MON_17 = 9 * 60, 17 * 60


def pool(n: int, **cols: Any) -> Volunteers:
    """``n`` volunteers: all speak nl, skill ``driver``, max 10 km, free Mondays 09:00-17:00.

    ``cols`` replaces any field; ``windows`` is a list of (volunteer, weekday, start, end).
    """
    windows = cols.pop("windows", [(i, 0, MON_9, MON_17) for i in range(n)])
    w = np.array(windows, dtype=np.int64).reshape(-1, 4)
    base: dict[str, Any] = {
        "ids": tuple(f"v{i}" for i in range(n)),
        "ll": np.zeros((n, 2)),
        "skill_names": ("driver",),
        "skills": np.ones((n, 1), dtype=bool),
        "language_names": ("nl", "tr"),
        "languages": np.tile([True, False], (n, 1)),
        "max_km": np.full(n, 10.0),
        "unavailable": np.zeros((n, 7), dtype=bool),
        "first_weekday": 0,
        "win_vol": w[:, 0],
        "win_dow": w[:, 1],
        "win_lo": w[:, 2],
        "win_hi": w[:, 3],
    }
    base.update(cols)
    return Volunteers(**base)


def trip(n: int, reach: float = 1.0, out: int = 10, back: int = 10) -> Trips:
    return Trips(
        reach_km=np.full(n, reach),
        out_min=np.full(n, out, dtype=np.int64),
        back_min=np.full(n, back, dtype=np.int64),
        km=np.full(n, 2 * reach),
    )


def run(vols: Volunteers, tr: Trips | None = None, **kw: Any) -> Funnel:
    need = reachable(
        vols,
        tr if tr is not None else trip(vols.n),
        kw.pop("skills", frozenset()),
        kw.pop("languages", frozenset()),
    )
    args: dict[str, Any] = {"day": 0, "lo": 10 * 60, "hi": 11 * 60, "duration": 60, "grid": 5}
    args.update(kw)
    return need.on_day(args.pop("day"), args.pop("lo"), args.pop("hi"), args.pop("duration"),
                       args.pop("grid"), **args)  # fmt: skip


def stage(f: Funnel, name: str) -> list[bool]:
    return f.masks[[s for s, _ in FUNNEL_STAGES].index(name)].tolist()


def test_masks_are_cumulative_one_per_stage() -> None:
    f = run(pool(3), excluded=[2], helpers=[0, 2])
    assert len(f.masks) == len(FUNNEL_STAGES)
    for before, after in zip(f.masks, f.masks[1:], strict=False):
        assert not (after & ~before).any()
    assert f.counts() == [3, 3, 3, 3, 2, 1]
    assert f.eligible.tolist() == [True, False, False]


def test_skills_every_required_one() -> None:
    vols = pool(3, skill_names=("driver", "handy"),
                skills=np.array([[True, True], [True, False], [False, True]]))  # fmt: skip
    assert stage(run(vols, skills=frozenset({"driver", "handy"})), "skills") == [True, False, False]
    assert stage(run(vols, skills=frozenset()), "skills") == [True, True, True]
    # a skill nobody has: nobody
    assert stage(run(vols, skills=frozenset({"nurse"})), "skills") == [False, False, False]


def test_languages_any_one_of_them() -> None:
    vols = pool(3, languages=np.array([[True, False], [False, True], [False, False]]))
    assert stage(run(vols, languages=frozenset({"tr", "ar"})), "languages") == [False, True, False]
    assert stage(run(vols, languages=frozenset()), "languages") == [True, True, True]


def test_distance_bounds_the_farthest_point_by_max_km() -> None:
    vols = pool(3, max_km=np.array([10.0, 9.99, 10.0]))
    ten = np.full(3, 10, dtype=np.int64)
    tr = Trips(np.array([10.0, 10.0, 10.01]), ten, ten, np.full(3, 20.0))
    assert stage(run(vols, tr), "distance") == [True, False, False]


def test_availability_holds_the_whole_occupied_time_with_travel() -> None:
    # window 09:00-11:00; task 60 min, 15 min out and 20 min back: starts 09:15..09:40
    vols = pool(1, windows=[(0, 0, MON_9, 11 * 60)])
    tr = trip(1, out=15, back=20)
    late = run(vols, tr, lo=9 * 60 + 45, hi=10 * 60)
    assert stage(late, "availability") == [False]
    early = run(vols, tr, lo=8 * 60, hi=9 * 60 + 10)
    assert stage(early, "availability") == [False]
    ok = run(vols, tr, lo=8 * 60, hi=10 * 60)
    assert stage(ok, "availability") == [True]
    _, _, starts = ok.options()
    assert starts.tolist() == list(range(9 * 60 + 15, 9 * 60 + 41, 5))
    # without the travel the same window would allow 09:00..10:00
    assert run(vols, trip(1, out=0, back=0), lo=8 * 60, hi=10 * 60).options()[2].max() == 10 * 60


def test_availability_on_the_grid_only() -> None:
    vols = pool(1, windows=[(0, 0, MON_9, 10 * 60 + 13)])  # latest start 09:13 - not on the grid
    f = run(vols, trip(1, out=0, back=0), lo=9 * 60 + 11, hi=9 * 60 + 14, duration=60)
    assert stage(f, "availability") == [False]
    assert stage(run(vols, trip(1, out=0, back=0), lo=9 * 60 + 11, hi=9 * 60 + 14, duration=60,
                     grid=1), "availability") == [True]  # fmt: skip


def test_availability_weekday_and_unavailable_days() -> None:
    unavailable = np.zeros((3, 7), dtype=bool)
    unavailable[1, 0] = True  # v1 away on day 0
    vols = pool(3, unavailable=unavailable,
                windows=[(0, 0, MON_9, MON_17), (1, 0, MON_9, MON_17), (2, 1, MON_9, MON_17)])  # fmt: skip
    assert stage(run(vols, day=0), "availability") == [True, False, False]
    # day 7 of a horizon starting on a Monday is a Monday again
    vols2 = pool(1, unavailable=np.zeros((1, 8), dtype=bool))
    assert stage(run(vols2, day=7), "availability") == [True]
    # a horizon starting on a Tuesday: day 6 is a Monday
    vols3 = pool(1, first_weekday=1)
    assert stage(run(vols3, day=0), "availability") == [False]
    assert stage(run(vols3, day=6), "availability") == [True]


def test_exclusions_by_the_client_and_declined_tasks() -> None:
    f = run(pool(3), excluded=[0, 2])
    assert stage(f, "availability") == [True, True, True]
    assert stage(f, "exclusions") == [False, True, False]


def test_continuity_only_past_helpers_when_given() -> None:
    assert stage(run(pool(3), helpers=[1]), "continuity") == [False, True, False]
    assert stage(run(pool(3), helpers=None), "continuity") == [True, True, True]
    assert stage(run(pool(3), helpers=[]), "continuity") == [False, False, False]
    # a helper the client excludes stays out
    assert stage(run(pool(3), helpers=[1], excluded=[1]), "continuity") == [False, False, False]


def test_options_once_per_start_across_overlapping_windows() -> None:
    vols = pool(2, windows=[(0, 0, MON_9, 12 * 60), (0, 0, 10 * 60, MON_17), (1, 0, MON_9, MON_17)])
    f = run(vols, trip(2, out=0, back=0), lo=10 * 60, hi=11 * 60, excluded=[1])
    vol, pos, starts = f.options()
    assert vol.tolist() == [0]  # v1 is excluded
    assert pos.tolist() == [0] * 13
    assert starts.tolist() == list(range(10 * 60, 11 * 60 + 1, 5))
    grid_starts = np.arange(10 * 60, 11 * 60 + 1, 5)
    avail = f.available(grid_starts)
    assert avail.shape == (2, 13)
    assert avail[0].all() and avail[1].all()  # availability ignores exclusions


def test_one_need_many_days_equals_one_day_at_a_time() -> None:
    unavailable = np.zeros((3, 14), dtype=bool)
    unavailable[0, 7] = True
    vols = pool(3, unavailable=unavailable, max_km=np.array([10.0, 10.0, 0.5]))
    tr = trip(3)
    need = reachable(vols, tr, frozenset({"driver"}), frozenset({"nl"}))
    for day in (0, 7):
        batch = need.on_day(day, 10 * 60, 11 * 60, 60, 5, excluded=[1])
        single = run(vols, tr, day=day, skills=frozenset({"driver"}),
                     languages=frozenset({"nl"}), excluded=[1])  # fmt: skip
        assert batch.counts() == single.counts()
        for a, b in zip(batch.options(), single.options(), strict=True):
            assert a.tolist() == b.tolist()
    assert need.on_day(7, 600, 660, 60, 5).eligible.tolist() == [False, True, False]


@pytest.mark.parametrize("n", [0, 1])
def test_empty_and_single_pools(n: int) -> None:
    f = run(pool(n))
    assert f.counts() == [n] * len(FUNNEL_STAGES)
    assert len(f.options()[0]) == n
