"""Property tests on small random registries (hypothesis).

(a) every CP-SAT plan passes the independent checker; (b) CP-SAT covers at least
the greedy's weight; (c) on tiny instances CP-SAT's covered weight equals an
exhaustive search over all subsets of (unpruned) options, with its own
feasibility rules; (d) the order of the volunteer rows does not change the
optimal weighted coverage.
"""

from __future__ import annotations

import os
from typing import Any

import builders as b
import numpy as np
import numpy.typing as npt
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import matchkracht as mk

#: MK_EXAMPLES=300 runs more random instances (the default 30 keeps CI short).
SETTINGS = settings(
    max_examples=int(os.environ.get("MK_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
#: Deterministic mode with a generous limit and no practical wall-clock safety
#: net: tiny instances are proven optimal however loaded the machine.
SOLVE = {
    "time_limit": 20.0,
    "seed": 0,
    "workers": 1,
    "deterministic": True,
    "safety_factor": b.DETERMINISTIC_SAFETY,
}
DAYS = (("mon", "MO"), ("tue", "TU"))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def frames(
    draw: st.DrawFn, max_width: int = 60, max_needs: int = 5, max_vols: int = 5
) -> dict[str, Any]:
    """Rows of a small random registry in ISO week 2026-W49 (Mondays and Tuesdays).

    Hypothesis draws the sizes and a seed; the attributes come from a seeded
    generator with hand-set probabilities (hypothesis's bias toward boundary
    values would otherwise make most volunteers ineligible).
    """
    n_vol = draw(st.integers(2, max_vols))
    n_cli = draw(st.integers(1, 3))
    n_need = draw(st.integers(1, max_needs))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def pick(options: list[Any], p: list[float] | None = None) -> Any:
        return options[int(rng.choice(len(options), p=p))]

    vol_ids = [f"v{i}" for i in range(n_vol)]
    vols = []
    for vid in vol_ids:
        windows = []
        for d, _ in DAYS:
            if rng.random() < 0.2:
                continue
            start = int(rng.integers(8 * 12, 9 * 12 + 7)) * 5
            length = int(rng.integers(5 * 60, 9 * 60 + 1))
            windows.append(f"{d} {_clock(start)}-{_clock(start + length)}")
        row = b.volunteer(
            vid,
            lat=b.north(float(rng.integers(0, 6))),
            lon=b.BASE_LON + float(rng.integers(-1, 2)) * 0.01,
            availability="; ".join(windows) or "wed 09:00-17:00",
            skills=pick(["driver;handy", "handy", "driver", ""], [0.5, 0.2, 0.2, 0.1]),
            languages=pick(["nl", "nl;ar", "ar"], [0.6, 0.3, 0.1]),
            max_tasks_per_week=pick([0, 1, 2, 3], [0.05, 0.3, 0.3, 0.35]),
            max_hours_per_week=pick([1, 1.5, 2, 3, 6]),
            max_km=pick([4, 15], [0.2, 0.8]),
        )
        if rng.random() < 0.1:
            row["unavailable"] = "2026-11-30"
        vols.append(row)
    clients = []
    for i in range(n_cli):
        excluded = [v for v in vol_ids if rng.random() < 0.1]
        preferred = [v for v in vol_ids if rng.random() < 0.2]
        clients.append(
            b.client(
                f"c{i}",
                lat=b.north(float(rng.integers(0, 5))),
                excluded_volunteers=";".join(excluded),
                preferred_volunteers=";".join(preferred),
            )
        )
    needs = []
    for i in range(n_need):
        kind = pick(["visit", "chore", "ride"])
        days = pick(["MO", "TU", "MO,TU"])
        start = int(rng.integers(9 * 60, 12 * 60 + 1))
        width = int(rng.integers(0, max_width + 1))
        row = b.need(
            f"n{i}",
            client_id=f"c{int(rng.integers(0, n_cli))}",
            schedule="FREQ=WEEKLY;BYDAY=" + days,
            window=f"{_clock(start)}-{_clock(start + width)}",
            duration_min=pick([15, 30, 45, 60, 90]),
            kind=kind,
            skills=pick(["", "handy"], [0.7, 0.3]),
            languages=pick(["", "ar"], [0.85, 0.15]),
            priority=pick([1, 2, 3]),
            volunteers_needed=pick([1, 2], [0.7, 0.3]),
            continuity=pick(["none", "prefer", "strict"], [0.2, 0.5, 0.3]),
            max_team=pick(["", 1, 2], [0.7, 0.15, 0.15]),
        )
        if kind == "ride":
            row["dest_lat"] = b.north(float(rng.integers(0, 4)))
            row["dest_lon"] = b.BASE_LON + 0.02
        needs.append(row)
    history = [
        b.history(vid, f"c{c}", "n0")
        for c in range(n_cli)
        for vid in vol_ids
        if rng.random() < 0.25
    ]
    return {"vols": vols, "clients": clients, "needs": needs, "history": history}


def make(f: dict[str, Any]) -> mk.Registry:
    return b.registry(f["vols"], f["clients"], f["needs"], f["history"])


def covered_weight(p: mk.Problem, options: npt.NDArray[np.int64]) -> int:
    """Total weight of the tasks that have all the volunteers they need."""
    counts = np.bincount(p.opt_task[options], minlength=p.num_tasks)
    return int(p.task_weight[counts >= p.task_needed].sum())


def tiny(f: dict[str, Any]) -> tuple[int, list[mk.Problem]]:
    """The brute-force optimum of a small random registry, and its problem unpruned and pruned.

    Registries with more than 16 options are skipped (``assume``).
    """
    reg = make(f)
    full = mk.build_problem(reg, b.WEEK, prune=False)
    assume(full.num_options <= 16)
    return brute_force(full), [full, mk.build_problem(reg, b.WEEK)]


def brute_force(p: mk.Problem) -> int:
    """Best covered weight over all subsets of options, feasibility checked from scratch.

    A subset is feasible when every task has either none or exactly
    ``task_needed`` options, all at one start; no volunteer has two options
    whose occupied times ``[depart, return)`` overlap; and per volunteer and
    ISO week the task count and occupied minutes stay within the caps; and per
    need with a care-team cap at most that many volunteers join its team (those
    who served it recently are members already).
    """
    n = p.num_options
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)
    ok = np.ones(len(masks), dtype=bool)
    task = p.pair_task[p.opt_pair]
    vol = p.pair_vol[p.opt_pair]
    dep = p.opt_start - p.pair_out[p.opt_pair]
    ret = p.opt_start + p.task_duration[task] + p.pair_back[p.opt_pair]
    occupied = ret - dep
    for i in range(n):
        for j in range(i + 1, n):
            same_task_other_start = task[i] == task[j] and p.opt_start[i] != p.opt_start[j]
            overlap = vol[i] == vol[j] and dep[i] < ret[j] and dep[j] < ret[i]
            if same_task_other_start or overlap:
                ok &= ~(masks[:, i] & masks[:, j])
    weight = np.zeros(len(masks), dtype=np.int64)
    for t in range(p.num_tasks):
        cols = np.flatnonzero(task == t)
        count = masks[:, cols].sum(axis=1)
        ok &= (count == 0) | (count == p.task_needed[t])
        weight += np.where(count == p.task_needed[t], p.task_weight[t], 0)
    week = p.task_week[task]
    for v in range(p.num_volunteers):
        for w in range(p.num_weeks):
            cols = np.flatnonzero((vol == v) & (week == w))
            if len(cols):
                ok &= masks[:, cols].sum(axis=1) <= p.vol_max_tasks[v]
                ok &= (masks[:, cols] * occupied[cols]).sum(axis=1) <= p.vol_max_minutes[v]
    need = p.task_need[task]
    newcomer = ~p.pair_team_known[p.opt_pair]
    for n in np.unique(need).tolist():
        if p.need_team_cap[n] < 0:
            continue
        joined = [
            masks[:, np.flatnonzero((need == n) & newcomer & (vol == v))].any(axis=1)
            for v in np.unique(vol[(need == n) & newcomer]).tolist()
        ]
        if joined:
            ok &= np.sum(joined, axis=0) <= p.need_team_cap[n]
    return int(weight[ok].max())


@SETTINGS
@given(frames())
def test_cpsat_plan_passes_the_checker(f: dict[str, Any]) -> None:
    reg = make(f)
    plan = mk.match(reg, week=b.WEEK, **SOLVE)
    violations = mk.check(reg, plan)
    assert violations.empty, violations.to_string()
    assert plan.status == "optimal"
    assert plan.metrics["bound"] == plan.metrics["weighted_coverage"]


@SETTINGS
@given(frames())
def test_cpsat_covers_at_least_the_greedy(f: dict[str, Any]) -> None:
    reg = make(f)
    p = mk.build_problem(reg, b.WEEK)
    greedy = mk.GreedySolver().solve(p)
    cpsat = mk.CpSatSolver(**SOLVE).solve(p)
    assert covered_weight(p, cpsat.options) >= covered_weight(p, greedy.options)
    assert cpsat.bound is not None
    assert cpsat.bound >= covered_weight(p, cpsat.options)
    greedy_plan = mk.build_plan(p, greedy, reg, {})
    assert mk.check(reg, greedy_plan).empty


@SETTINGS
@given(frames(max_width=15, max_needs=4, max_vols=3))
def test_cpsat_equals_brute_force_on_tiny_instances(f: dict[str, Any]) -> None:
    best, (_, p) = tiny(f)  # p: with dominated starts pruned, must not lose value
    sol = mk.CpSatSolver(**SOLVE).solve(p)
    assert sol.status == "optimal"
    assert covered_weight(p, sol.options) == best
    assert sol.bound == best


@SETTINGS
@given(frames(), st.randoms(use_true_random=False))
def test_volunteer_order_does_not_change_the_optimum(f: dict[str, Any], rnd: Any) -> None:
    reg = make(f)
    order = list(range(len(f["vols"])))
    rnd.shuffle(order)
    shuffled = b.registry([f["vols"][i] for i in order], f["clients"], f["needs"], f["history"])
    a = mk.match(reg, week=b.WEEK, **SOLVE)
    c = mk.match(shuffled, week=b.WEEK, **SOLVE)
    assert a.status == c.status == "optimal"
    assert a.metrics["weighted_coverage"] == c.metrics["weighted_coverage"]
    assert a.metrics["covered"] == c.metrics["covered"]


def test_brute_force_sees_all_or_nothing_and_overlap() -> None:
    # sanity of the oracle itself: one volunteer, two overlapping tasks, one team task
    vols = [b.volunteer("v1"), b.volunteer("v2", skills="handy")]
    clients = [b.client("c1"), b.client("c2")]
    needs = [
        b.need("n1", priority=1),
        b.need("n2", "c2", priority=3, skills="handy"),
        b.need("n3", "c2", window="10:30-10:30", priority=2, volunteers_needed=2),
    ]
    p = mk.build_problem(b.registry(vols, clients, needs), b.WEEK, prune=False)
    # n1 (4) by v1 and n2 (1) by v2; the team n3 (2) would need both at 10:30
    assert brute_force(p) == 5
    assert pd.Series(p.task_weight).sum() == 7


def _engines() -> list[Any]:
    from benchmarks.baselines import ClosestAvailable, FirstFitGreedy, PerDayAssignment

    return [
        mk.GreedySolver(),
        mk.solver.ScarceFirstSolver(),
        FirstFitGreedy(),
        ClosestAvailable(),
        PerDayAssignment(),
        mk.CpSatSolver(**SOLVE),
        mk.CpSatSolver(**SOLVE, tiers=("coverage",)),
    ]


@SETTINGS
@given(
    frames(max_width=15, max_needs=4, max_vols=3),
    st.sampled_from(["whole", "split", "apart", "large", "unproven"]),
)
def test_the_reported_bound_is_never_below_any_plan(f: dict[str, Any], how: str) -> None:
    import contextlib
    from unittest import mock

    from matchkracht.solver.cpsat import budget

    reg = make(f)
    best, (_, p) = tiny(f)
    # "split": every component is split into regions of a few options, solved in turn
    # (the regions' bounds widened by what the regions before took); "apart": the same
    # regions made independent (widened by the volunteers each left out); "large":
    # every component counts as large; "unproven": CP-SAT's parts report the trivial
    # bound (as when time runs out), so the supply relaxation's LP gives the bound
    patches = {
        "whole": {},
        "split": {"MAX_COMPONENT": 0, "REGION_OPTIONS": 4},
        "apart": {"MAX_COMPONENT": 0, "REGION_OPTIONS": 4},
        "large": {"LARGE_COMPONENT": 1, "LNS_ONLY_SECONDS_PER_OPTION": 0.0},
        "unproven": {},
    }[how]
    weak = b.unproven_parts() if how == "unproven" else contextlib.nullcontext()
    with mock.patch.multiple(budget, **patches) if patches else contextlib.nullcontext(), weak:
        regions = "independent" if how == "apart" else "in_turn"
        sol = mk.CpSatSolver(time_limit=2.0, seed=0, workers=2, regions=regions).solve(p)
    assert sol.bound is not None
    assert sol.bound >= best
    assert sol.stats["bound_kind"] in mk.solver.combine.BOUND_KINDS
    assert sol.bound <= int(p.task_weight[np.unique(p.opt_task)].sum())
    plan = mk.build_plan(p, sol, reg, {})
    assert plan.metrics["bound"] * p.total_weight >= best - 1e-6
    assert (plan.metrics["bound_kind"] == "coverage_optimal") == (
        plan.metrics["gap"] == 0 and sol.bound == covered_weight(p, sol.options)
    )
    for engine in _engines():
        other = engine.solve(p)
        assert covered_weight(p, other.options) <= best <= sol.bound
        if other.bound is not None:
            assert other.bound >= best
    days = mk.solver.day_bound(p, time_limit=2.0, threads=1)
    assert days.bound >= best
