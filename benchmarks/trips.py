"""Rides as trips against rides as round trips, on the weekly benchmark instances.

``python -m benchmarks.trips`` generates each instance (``benchmarks.generate``),
makes the round-trip plan with CP-SAT (``--time-limit``, per-size default as in
``benchmarks.run``), and then runs the trips stage on that same plan with each
trips engine (``cpsat``: outing patterns, the default; ``routing``: OR-Tools
routing), with ``--trips-time`` seconds (default half the time limit, as ``match``).
Every plan is checked with ``matchkracht.plan.check``. Each instance runs in a
fresh process, so ``peak_mib`` is that instance's peak (all its methods).

Printed and written to ``benchmarks/results/trips/``: instance, method, weighted
coverage, rides covered, km (all help; and the rides' km), drivers on the road,
outings and shared outings, seconds of the stage, violations; and per instance
the ratios trips / round trips.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.run import Instance, _peak_mib, _registry, generate_frames, in_child

__all__ = ["INSTANCES", "main", "measure_instance"]

#: The default instances: where rides matter (scarce drivers, shared lunch rides).
INSTANCES: tuple[tuple[str, str | None], ...] = (
    ("village", None),
    ("municipality", None),
    ("municipality", "scarce_drivers"),
    ("municipality", "scarce"),
    ("municipality", "shared_rides"),
    ("region", None),
    ("region", "scarce"),
)
#: The trips engines compared, each on the same round-trip plan.
ENGINES: tuple[str, ...] = ("cpsat", "routing")
TIME_LIMITS = {"village": 10.0, "municipality": 30.0, "region": 300.0}
RESULTS = Path(__file__).parent / "results" / "trips"
WEEK = "2026-W49"


def measure_instance(
    arg: tuple[Instance, float, float | None, int, tuple[str, ...]],
) -> list[dict[str, Any]]:
    """The round-trip plan and the trips stage of each engine on one instance."""
    from matchkracht.api import trips_stage
    from matchkracht.plan import check
    from matchkracht.plan.result import build_plan
    from matchkracht.problem.build import build_problem
    from matchkracht.settings import SolverSettings
    from matchkracht.solver.cpsat import CpSatSolver

    inst, limit, trips_limit, seed, engines = arg
    reg = _registry(inst, generate_frames(inst))
    problem = build_problem(reg, WEEK)
    cfg = SolverSettings.make(time_limit=limit, seed=seed)
    t0 = time.perf_counter()
    solution = CpSatSolver(cfg).solve(problem)
    seconds = time.perf_counter() - t0
    rows = []
    plan = build_plan(problem, solution, reg)
    rows.append(_row(inst, "round_trips", plan, check(reg, plan), seconds))
    for engine in engines:
        tcfg = SolverSettings.make(
            time_limit=limit, seed=seed, trips=True, trips_engine=engine,
            trips_time_limit=trips_limit or limit / 2,
        )  # fmt: skip
        tables = trips_stage(problem, reg, solution.options, None, tcfg)
        plan = build_plan(problem, solution, reg, trips=tables)
        rows.append(_row(inst, f"trips_{engine}", plan, check(reg, plan), tables.seconds))
    peak = _peak_mib()
    for r in rows:
        r["peak_mib"] = round(peak, 1)
    return rows


def _row(inst: Instance, method: str, plan: Any, violations: Any, seconds: float) -> dict[str, Any]:
    m = plan.metrics
    a = plan.assignments
    rides = a[a["kind"] == "ride"]
    return {
        "instance": inst.name,
        "seed": inst.seed,
        "method": method,
        "weighted_coverage": round(float(m["weighted_coverage"]), 4),
        "rides_covered": int(rides["task_id"].nunique()),
        "km": round(float(m["travel_km"]), 1),
        "ride_km": round(float(rides["travel_km"].sum()), 1),
        "drivers": int(rides["volunteer_id"].nunique()),
        "outings": int(m.get("trips", rides["task_id"].nunique())),
        "shared_outings": int(m.get("shared_trips", 0)),
        "seconds": round(seconds, 2),
        "violations": len(violations),
    }


def ratios(raw: pd.DataFrame) -> pd.DataFrame:
    """Per instance and trips engine: km, drivers and rides covered over the round trips'."""
    out = []
    for (name, seed), grp in raw.groupby(["instance", "seed"], sort=False):
        base = grp[grp["method"] == "round_trips"].iloc[0]
        for _, r in grp[grp["method"] != "round_trips"].iterrows():
            out.append(
                {
                    "instance": name,
                    "seed": seed,
                    "method": r["method"],
                    "coverage_pp": round(
                        100 * (r["weighted_coverage"] - base["weighted_coverage"]), 2
                    ),
                    "rides_covered": f"{r['rides_covered']} / {base['rides_covered']}",
                    "ride_km_ratio": round(r["ride_km"] / max(base["ride_km"], 1e-9), 3),
                    "km_per_ride_ratio": round(
                        (r["ride_km"] / max(r["rides_covered"], 1))
                        / max(base["ride_km"] / max(base["rides_covered"], 1), 1e-9),
                        3,
                    ),
                    "drivers": f"{r['drivers']} / {base['drivers']}",
                }
            )
    return pd.DataFrame(out)


def _markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and print the tables; exit code 1 on any checker violation."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="*", default=None, help="e.g. municipality region")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--trips-time", type=float, default=None)
    parser.add_argument("--seeds", nargs="*", type=int, default=[0])
    parser.add_argument("--cpsat-seed", type=int, default=0)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument(
        "--instances", nargs="*", default=None, help="e.g. region/base municipality/scarce"
    )
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for size, variant in INSTANCES:
        if args.sizes and size not in args.sizes:
            continue
        for seed in args.seeds:
            inst = Instance(size, variant, seed)
            if args.instances and inst.name not in args.instances:
                continue
            limit = args.time_limit or TIME_LIMITS[size]
            t0 = time.perf_counter()
            job = (inst, limit, args.trips_time, args.cpsat_seed, tuple(args.engines))
            part = in_child(measure_instance, job)
            rows += part
            print(f"{inst.name} seed {seed}: {time.perf_counter() - t0:.0f} s", flush=True)
    raw = pd.DataFrame(rows)
    rat = ratios(raw)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out / "raw.csv", index=False)
    rat.to_csv(out / "ratios.csv", index=False)
    text = _markdown(raw) + "\n\n" + _markdown(rat) + "\n"
    (out / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if int(raw["violations"].sum()) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
