"""Dial-a-ride benchmark: the trips engine on Cordeau's (2006) instances.

Solves each instance with :func:`matchkracht.solver.trips.solve_darp` (or the
CP-SAT reference model of :mod:`benchmarks.darp_cpsat`), checks
the routes with the independent :func:`matchkracht.plan.darp_check.check_routes`
and compares the cost (recomputed by the checker) with the proven optimum of
``data/darp-cordeau2006/optimal.csv``.

Usage::

    python -m benchmarks.darp                                  # all 21, 60 s each
    python -m benchmarks.darp --instances a2-16 a4-40 --time-limit 10
    python -m benchmarks.darp --method ils --out benchmarks/results/darp
    python -m benchmarks.darp --jobs 2 --seeds 0 1 2           # two at a time, 3 seeds

Prints a table (instance, method, cost, optimum, gap %, seconds, peak memory
of the process so far, feasible: routes serving every request that the checker
accepts). With ``--out`` it writes ``raw.csv`` and ``results.md`` there; the
mean gap is over the feasible instances (with several ``--seeds``, of each
instance's median over its seeds). ``--jobs N`` solves N instances at a time,
each in a fresh process (one thread each: on a 2-core machine ``--jobs 2``
keeps both cores busy). The optima are given to two decimals, so a gap of
-0.00 % is a tie.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import platform
import resource
import statistics
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from benchmarks.darp_cpsat import solve_cpsat
from matchkracht.plan.darp_check import check_routes, routes_cost
from matchkracht.problem.darp import read_cordeau
from matchkracht.solver.trips import solve_darp
from matchkracht.solver.trips.darp import METHODS

DATA = Path(__file__).resolve().parent / "data" / "darp-cordeau2006"
COLUMNS = [
    "instance",
    "method",
    "seed",
    "cost",
    "optimum",
    "gap_pct",
    "seconds",
    "peak_mb",
    "feasible",
]


def optima(path: Path = DATA / "optimal.csv") -> dict[str, float]:
    """Proven optimal costs by instance name."""
    with path.open(encoding="utf-8") as fh:
        return {row["instance"]: float(row["optimal_cost"]) for row in csv.DictReader(fh)}


def instances() -> list[str]:
    """Names of the bundled instances, smallest first."""
    names = [p.stem for p in DATA.glob("a*.txt")]
    return sorted(names, key=lambda s: tuple(int(x) for x in s[1:].split("-")))


def run_one(name: str, method: str, time_limit: float, seed: int = 0) -> dict[str, object]:
    """Solve one instance and check it; one row of the table."""
    inst = read_cordeau(DATA / f"{name}.txt")
    if method == "cpsat":
        sol = solve_cpsat(inst, time_limit)
    else:
        sol = solve_darp(inst, time_limit=time_limit, method=method, seed=seed)
    opt = optima().get(name)
    feasible = sol.status == "feasible" and not check_routes(inst, sol.routes, sol.times)
    cost = routes_cost(inst, sol.routes) if feasible else float("nan")
    gap = 100.0 * (cost / opt - 1.0) if opt and feasible else float("nan")
    return {
        "instance": name,
        "method": method,
        "seed": seed,
        "cost": round(cost, 2),
        "optimum": opt,
        "gap_pct": round(gap, 2),
        "seconds": round(sol.seconds, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "feasible": feasible,
    }


def _run_job(job: tuple[str, str, float, int]) -> dict[str, object]:
    return run_one(*job)


def table(rows: list[dict[str, object]]) -> str:
    """A markdown table of ``rows`` and the summary line per method.

    The summary is over instances: with several seeds, each instance counts
    with the median gap of its seeds (infeasible when any seed was).
    """
    cols = [c for c in COLUMNS if c in rows[0]] if rows else COLUMNS
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    for method in sorted({str(r["method"]) for r in rows}):
        mine = [r for r in rows if r["method"] == method]
        names = list(dict.fromkeys(str(r["instance"]) for r in mine))
        per = {n: [r for r in mine if r["instance"] == n] for n in names}
        gaps = [
            statistics.median(float(str(r["gap_pct"])) for r in rs)
            for rs in per.values()
            if all(r["feasible"] for r in rs)
        ]
        secs = [float(str(r["seconds"])) for r in mine]
        ok = sum(all(r["feasible"] for r in rs) for rs in per.values())
        runs = len(mine) // max(1, len(names))
        if gaps:
            within = sum(g <= 3.0 for g in gaps)
            lines.append(
                f"\n{method}: {ok}/{len(names)} feasible; gap mean {statistics.mean(gaps):.2f} %, "
                f"median {statistics.median(gaps):.2f} %, max {max(gaps):.2f} %; "
                f"{within}/{len(names)} within 3 %; seconds median {statistics.median(secs):.1f}"
                + (f" ({runs} seeds, each instance's median gap)" if runs > 1 else "")
            )
    return "\n".join(lines)


def side_by_side(folders: Sequence[Path]) -> str:
    """One markdown table of the ``raw.csv`` of several runs: gap per method and instance."""
    rows: list[dict[str, str]] = []
    for folder in folders:
        with (folder / "raw.csv").open(encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    names = sorted(
        {r["instance"] for r in rows}, key=lambda s: tuple(int(x) for x in s[1:].split("-"))
    )
    cell = {(r["instance"], r["method"]): r for r in rows}
    head = ["instance", "optimum"] + [f"{m} cost | {m} gap % | {m} s" for m in methods]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * (2 + 3 * len(methods))]
    for name in names:
        opt = next(r["optimum"] for r in rows if r["instance"] == name)
        parts = [name, opt]
        for m in methods:
            r = cell.get((name, m))
            ok = r is not None and r["feasible"] == "True"
            parts += (
                [r["cost"], r["gap_pct"], r["seconds"]]
                if ok and r
                else ["–", "–", r["seconds"] if r else "–"]
            )
        lines.append("| " + " | ".join(parts) + " |")
    summary = table(
        [
            {**r, "feasible": r["feasible"] == "True"}
            for r in rows  # type: ignore[dict-item]
        ]
    )
    return "\n".join(lines) + "\n" + summary.split("\n\n", 1)[-1]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.darp", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--instances", nargs="*", default=None, help="names, e.g. a2-16 (default: all)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    ap.add_argument(
        "--method",
        choices=[*METHODS, "cpsat"],
        nargs="*",
        default=["lns"],
        help="engines (cpsat: the reference model of benchmarks/darp_cpsat.py, one worker)",
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="search seeds (default 0)")
    ap.add_argument(
        "--jobs", type=int, default=1, help="instances solved at a time, one process each"
    )
    ap.add_argument("--out", type=Path, default=None, help="folder for raw.csv and results.md")
    ap.add_argument(
        "--combine",
        type=Path,
        nargs="*",
        default=None,
        help="do not solve: write one table of the raw.csv in these folders to --out",
    )
    args = ap.parse_args(argv)
    if args.combine:
        text = side_by_side(args.combine)
        print(text)
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "results.md").write_text(
                "# Dial-a-ride benchmark (Cordeau 2006), methods side by side\n\n"
                + f"From {', '.join(f'`{p}`' for p in args.combine)}.\n\n{text}\n",
                encoding="utf-8",
            )
        return 0
    names = args.instances or instances()
    jobs = [
        (n, m, args.time_limit, seed) for n in names for m in args.method for seed in args.seeds
    ]
    print(" ".join(f"{c:>9}" for c in COLUMNS), flush=True)
    rows: list[dict[str, object]] = []
    # a fresh process per solve: its peak memory is its own, and N solves run at once
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max(1, args.jobs), mp_context=ctx, max_tasks_per_child=1) as pool:
        for row in pool.map(_run_job, jobs):
            rows.append(row)
            print(" ".join(f"{row[c]!s:>9}" for c in COLUMNS), flush=True)
    report = table(rows)
    print(report.split("\n\n", 1)[-1] if "\n\n" in report else "")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        with (args.out / "raw.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}, "
            f"OR-Tools {metadata.version('ortools')}, one thread per solve, {args.jobs} at a time, "
            f"{args.time_limit:g} s per instance, seeds {' '.join(map(str, args.seeds))}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        )
        (args.out / "results.md").write_text(
            f"# Dial-a-ride benchmark (Cordeau 2006)\n\n{machine}\n\n{report}\n", encoding="utf-8"
        )
    return 0 if all(r["feasible"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
