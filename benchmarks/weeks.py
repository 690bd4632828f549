"""Multi-week benchmark: continuity of care, fair load and stable re-planning.

Measures what the continuity issue asks, on one generated instance (default:
the municipality, seed 0) planned over several ISO weeks with its history:

* ``coverage only``: the plan with the coverage tier alone (the reference for
  the *cost* of the later tiers);
* ``without fairness``: coverage, continuity, travel (the reference for what
  fairness changes);
* ``default``: the default tiers: coverage, stability (idle outside a
  re-plan), continuity, fairness, travel;
* ``default, 1 % coverage tolerance``: the later tiers may give up 1 % of
  covered weight;
* ``fairness before continuity``: the other order, for comparison;
* ``nobody at a cap every week before continuity``: the fairness step
  ``fairness:at_cap`` before continuity, its other steps after (nobody at a
  cap in every week before familiar faces), also with 0.5 % and 0.3 %
  tolerance on coverage (the fairness target's budget);
* a re-plan of the ``default`` plan after one volunteer cancels a midweek day.

Every plan is checked with :func:`matchkracht.plan.check` (``max_team`` included).

Usage::

    python -m benchmarks.weeks                      # municipality, 4 weeks, 60 s per solve
    python -m benchmarks.weeks --size village --time-limit 5 --out /tmp/weeks

Writes ``raw.csv`` and ``results.md`` to ``--out`` (default
``benchmarks/results/weeks/``) and prints the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.run import WEEK, Instance, _registry, machine_info
from matchkracht.plan.metrics import volunteer_load

__all__ = [
    "RUNS",
    "at_cap",
    "at_cap_every_week",
    "main",
    "measure_replan",
    "plan_below_caps",
    "run_weeks",
]

#: Fairness's first step (nobody at a cap every week) before continuity, its others after.
CAP_FIRST = (
    "coverage",
    "fairness:at_cap",
    "continuity",
    "fairness:peak",
    "fairness:spread",
    "travel",
)
#: The runs: label → (tiers, tolerance).
RUNS: dict[str, tuple[tuple[str, ...] | None, dict[str, float]]] = {
    "coverage only": (("coverage",), {}),
    "without fairness": (("coverage", "continuity", "travel"), {}),
    "default": (None, {}),
    "default, 1 % coverage tolerance": (None, {"coverage": 0.01}),
    "fairness before continuity": (("coverage", "fairness", "continuity", "travel"), {}),
    "nobody at a cap every week before continuity": (CAP_FIRST, {}),
    "nobody at a cap every week before continuity, 0.5 % coverage tolerance": (
        CAP_FIRST,
        {"coverage": 0.005},
    ),
    "nobody at a cap every week before continuity, 0.3 % coverage tolerance": (
        CAP_FIRST,
        {"coverage": 0.003},
    ),
}


def plan_below_caps(problem: Any, time_limit: float = 60.0) -> tuple[Any, float]:
    """The best plan found, and an upper bound, for plans with ``max_load`` below 1.

    ``max_load < 1`` means nobody reaches a weekly cap: at most one task fewer
    than ``max_tasks`` and one minute less than ``max_minutes``. The problem with
    every cap lowered so is solved for coverage alone by CP-SAT (``time_limit``
    seconds); its plan is a plan of ``problem`` in which nobody is at a cap.
    Its bound is the smaller of CP-SAT's (on the whole horizon: its relaxation
    keeps the weekly caps) and the day relaxation's
    (:func:`matchkracht.solver.day_bound`, ``time_limit`` seconds per day).

    Returns
    -------
    tuple
        The :class:`~matchkracht.solver.Solution` found (its options index
        ``problem``'s options) and the bound as a share of the total weight.
    """
    from matchkracht.solver import CpSatSolver, day_bound

    reduced = dataclasses.replace(
        problem,
        vol_max_tasks=np.maximum(problem.vol_max_tasks - 1, 0),
        vol_max_minutes=np.maximum(problem.vol_max_minutes - 1, 0),
    )
    total = problem.total_weight
    found = CpSatSolver(time_limit=time_limit, tiers=("coverage",)).solve(reduced)
    if not total:
        return found, 1.0
    days = day_bound(reduced, time_limit).bound
    whole = found.bound if found.bound is not None else days
    return found, float(min(days, whole)) / total


def _weeks_at_cap(registry: Any, plan: Any) -> pd.DataFrame:
    """Per (volunteer, ISO year, ISO week) with assignments in ``plan``: at a weekly cap?"""
    a = plan.assignments
    caps = {
        v.volunteer_id: (v.max_tasks_per_week, v.max_hours_per_week * 60)
        for v in registry.volunteer_records
    }
    iso = a["start"].dt.isocalendar()
    minutes = (a["return"] - a["depart"]).dt.total_seconds() / 60
    use = (
        pd.DataFrame({"v": a["volunteer_id"], "y": iso.year, "w": iso.week, "n": 1, "m": minutes})
        .groupby(["v", "y", "w"])[["n", "m"]]
        .sum()
        .reset_index()
    )
    use["full"] = [
        rec.n >= caps[rec.v][0] or rec.m >= caps[rec.v][1] - 1e-6
        for rec in use.itertuples(index=False)
    ]
    return use


def at_cap(registry: Any, plan: Any) -> int:
    """Number of (volunteer, ISO week) at a weekly cap (tasks or hours) in ``plan``."""
    if plan.assignments.empty:
        return 0
    return int(_weeks_at_cap(registry, plan)["full"].sum())


def at_cap_every_week(registry: Any, plan: Any, weeks: int) -> int:
    """Number of volunteers at a weekly cap in every one of the horizon's ``weeks``.

    They are the volunteers with a load of 100 % (``max_load`` is 1.0 when
    there is one).
    """
    if plan.assignments.empty:
        return 0
    use = _weeks_at_cap(registry, plan)
    counts = use[use["full"]].groupby("v").size()
    return int((counts >= weeks).sum())


def _plan_row(label: str, registry: Any, plan: Any, seconds: float, weeks: int) -> dict[str, Any]:
    import matchkracht as mk

    m = plan.metrics
    violations = mk.check(registry, plan)
    return {
        "run": label,
        "tasks": m["tasks"],
        "weighted_coverage": m["weighted_coverage"],
        "continuity_recurring": m["continuity_recurring"],
        "continuity": m["continuity"],
        "max_load": m["max_load"],
        "max_week_load": m["max_week_load"],
        "gini_load": m["gini_load"],
        "at_cap": at_cap(registry, plan),
        "at_cap_every_week": at_cap_every_week(registry, plan, weeks),
        "travel_km": m["travel_km"],
        "status": m["status"],
        "seconds": seconds,
        "violations": len(violations),
        "team_violations": int((violations["rule"] == "max_team").sum()),
    }


def measure_replan(registry: Any, plan: Any, time_limit: float, seed: int) -> dict[str, Any]:
    """Cancel the busiest volunteer's Wednesday of the first week and re-plan.

    Returns the figures of the re-plan: seconds, the diff's rows per kind
    (``kept``, ``moved``, ``reassigned``, ``dropped``, ``added``: newly covered),
    and how many assignments of tasks the change did not touch were moved,
    reassigned or dropped (0 expected: they are locked).
    """
    import matchkracht as mk

    a = plan.assignments
    first = pd.Timestamp(a["start"].min()).normalize()
    wednesday = first + pd.Timedelta(days=(2 - first.weekday()) % 7)
    day = a[a["start"].dt.normalize() == wednesday]
    vol = day["volunteer_id"].value_counts().index[0]
    hit = set(day.loc[day["volunteer_id"] == vol, "task_id"])
    t0 = time.perf_counter()
    res = mk.replan(
        registry,
        plan,
        [mk.VolunteerCancels(vol, date=wednesday.date())],
        time_limit=time_limit,
        seed=seed,
    )
    seconds = time.perf_counter() - t0
    diff = res.diff
    changed = diff[diff["change"].isin(["moved", "reassigned", "dropped"])]
    return {
        "run": "re-plan: one volunteer cancels a Wednesday",
        "tasks": int(plan.metrics["tasks"]),
        "weighted_coverage": res.plan.metrics["weighted_coverage"],
        "continuity_recurring": res.plan.metrics["continuity_recurring"],
        "seconds": seconds,
        "violations": len(mk.check(res.registry, res.plan)),
        "affected_tasks": len(hit),
        **{kind: int(n) for kind, n in res.counts.items()},
        "changed_unaffected": int((~changed["task_id"].isin(hit)).sum()),
    }


def run_weeks(
    size: str = "municipality",
    seed: int = 0,
    weeks: int = 4,
    time_limit: float = 60.0,
    cpsat_seed: int = 0,
    runs: Sequence[str] | None = None,
    below_cap: bool = True,
) -> pd.DataFrame:
    """Run the multi-week measurements; one row per run, one for the re-plan and,
    with ``below_cap``, two for :func:`plan_below_caps` (``time_limit`` seconds per day)."""
    import matchkracht as mk

    registry = _registry(Instance(size, None, seed))
    rows = []
    plans: dict[str, Any] = {}
    for label in runs or list(RUNS):
        tiers, tolerance = RUNS[label]
        chosen = {} if tiers is None else {"tiers": tiers}
        t0 = time.perf_counter()
        plan = mk.match(
            registry,
            WEEK,
            weeks=weeks,
            time_limit=time_limit,
            seed=cpsat_seed,
            tolerance=tolerance,
            **chosen,
        )
        plans[label] = plan
        rows.append(_plan_row(label, registry, plan, time.perf_counter() - t0, weeks))
        print(f"{label}: {rows[-1]}", flush=True)
    if "default" in plans:
        rows.append(measure_replan(registry, plans["default"], time_limit, cpsat_seed))
        print(rows[-1], flush=True)
    if below_cap:
        from matchkracht.plan.metrics import compute_metrics

        t0 = time.perf_counter()
        problem = mk.build_problem(registry, mk.Horizon.from_week(WEEK, weeks))
        found, bound = plan_below_caps(problem, time_limit)
        m = compute_metrics(problem, found)
        seconds = time.perf_counter() - t0
        rows.append(
            {
                "run": "nobody at a weekly cap: best plan found (caps lowered by one)",
                "tasks": problem.num_tasks,
                "weighted_coverage": m["weighted_coverage"],
                "max_load": m["max_load"],
                "max_week_load": m["max_week_load"],
                "gini_load": m["gini_load"],
                "at_cap": int((volunteer_load(problem, found.options) >= 1).sum()),
                "at_cap_every_week": 0,
                "seconds": seconds,
                "violations": 0,
            }
        )
        rows.append(
            {
                "run": "bound: nobody at a weekly cap (max_week_load < 1)",
                "tasks": problem.num_tasks,
                "weighted_coverage": bound,
                "seconds": seconds,
                "violations": 0,
            }
        )
        print(rows[-2], rows[-1], flush=True)
    out = pd.DataFrame(rows)
    if "coverage only" in plans:
        ref = plans["coverage only"].metrics["weighted_coverage"]
        out["coverage_cost_pct"] = 100 * (ref - out["weighted_coverage"]) / ref
        # a bound is no plan: it has no cost
        out.loc[out["run"].str.startswith("bound:"), "coverage_cost_pct"] = math.nan
    out.insert(0, "instance", f"{size}/base seed {seed}, {weeks} weeks from {WEEK}")
    return out


def _fmt(x: Any, spec: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return format(x, spec)


def render(raw: pd.DataFrame, settings: dict[str, Any]) -> str:
    """The markdown report of :func:`run_weeks`."""
    cols = [
        ("run", "s"),
        ("weighted_coverage", ".1%"),
        ("coverage_cost_pct", ".2f"),
        ("continuity_recurring", ".1%"),
        ("max_load", ".3f"),
        ("max_week_load", ".3f"),
        ("gini_load", ".3f"),
        ("at_cap", "d"),
        ("at_cap_every_week", "d"),
        ("travel_km", ".0f"),
        ("seconds", ".1f"),
        ("violations", "d"),
        ("team_violations", "d"),
    ]
    head = [
        "run",
        "weighted coverage",
        "coverage cost %",
        "continuity (recurring)",
        "max load",
        "max week load",
        "gini load",
        "volunteer-weeks at a cap",
        "volunteers at a cap every week",
        "travel km",
        "s",
        "violations",
        "max_team violations",
    ]
    lines = [
        "# matchkracht benchmark: several weeks",
        "",
        f"Instance: {raw['instance'].iloc[0]}. Measured {datetime.now():%Y-%m-%d %H:%M}.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for rec in raw.to_dict("records"):
        cells = []
        for c, spec in cols:
            v = rec.get(c)
            if spec == "d" and v is not None and not (isinstance(v, float) and math.isnan(v)):
                v = int(v)
            cells.append(_fmt(v, spec) if c != "run" else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    rp = raw[raw["run"].str.startswith("re-plan")]
    if len(rp):
        r = rp.iloc[0]
        kinds = ", ".join(
            f"{int(r[k])} {k}" for k in ("kept", "moved", "reassigned", "dropped", "added")
        )
        lines += [
            "",
            f"Re-plan: {int(r['affected_tasks'])} tasks affected by the cancellation; diff: "
            f"{kinds} (added = newly covered); moved, reassigned or dropped on tasks the "
            f"change did not touch: {int(r['changed_unaffected'])}; {r['seconds']:.1f} s.",
        ]
    lines += ["", "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), ""]
    lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in machine_info().items()), ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns 0 when every plan passed the checker."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.weeks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--size", default="municipality")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=60.0, help="CP-SAT seconds per solve")
    parser.add_argument("--cpsat-seed", type=int, default=0)
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=None)
    parser.add_argument("--out", default=None, help="default benchmarks/results/weeks/")
    parser.add_argument(
        "--below-cap-bound",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also bound the coverage of plans in which nobody reaches a cap (default)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else Path(__file__).resolve().parent / "results" / "weeks"
    raw = run_weeks(
        args.size,
        args.seed,
        args.weeks,
        args.time_limit,
        args.cpsat_seed,
        args.runs,
        below_cap=args.below_cap_bound,
    )
    settings = {
        "size": args.size,
        "weeks": args.weeks,
        "time_limit": args.time_limit,
        "cpsat_seed": args.cpsat_seed,
    }
    text = render(raw, settings)
    out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out / "raw.csv", index=False)
    (out / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if int(raw["violations"].sum()) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
