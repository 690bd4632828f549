"""Scaling benchmark: time, memory and weighted coverage from a village to a province.

For every instance size and every mode, one run in a fresh spawned process:
generate the registry (:mod:`benchmarks.generate`), validate it, build the
problem for ISO week 2026-W49, solve it with :class:`matchkracht.CpSatSolver`
(in this process, or with its independent parts on a Dask ``LocalCluster`` of
this machine), and check the plan with :func:`matchkracht.plan.check`.

Modes: ``in-process`` (no Dask), ``local:WxT`` (a LocalCluster of W worker
processes with T threads each, started inside the run and timed with it:
starting the cluster and sending the problem to the workers count).

Usage::

    python -m benchmarks.scaling --sizes village municipality region \\
        --modes in-process local:1x2 --out benchmarks/results/scaling
    python -m benchmarks.scaling --sizes province --modes local:1x2 --append \\
        --out benchmarks/results/scaling

Outputs in ``--out``: ``raw.csv`` (one row per size, mode and seed; ``--append``
adds to an existing one), ``results.md`` (the table, the machine and its load)
and ``scaling.png``. Peak memory is the client process's ``VmHWM`` (the
problem, the plan and, in process, CP-SAT); ``worker_peak_mib`` is the largest
Dask worker's.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.run import (
    WEEK,
    Instance,
    _fmt,
    _peak_mib,
    _registry,
    generate_frames,
    in_child,
    machine_info,
)

__all__ = ["MODES", "SIZES", "TIME_LIMITS", "Run", "main", "measure", "render_markdown"]

#: Instance sizes, smallest first.
SIZES: tuple[str, ...] = ("village", "municipality", "region", "province")
#: CP-SAT time limit (seconds) per size unless ``--time-limit`` is given.
TIME_LIMITS: dict[str, float] = {
    "village": 10.0,
    "municipality": 30.0,
    "region": 300.0,
    "province": 1200.0,
}
#: Modes run by default.
MODES: tuple[str, ...] = ("in-process", "local:1x2")


@dataclass(frozen=True)
class Run:
    """One measurement: an instance size in a mode (picklable, for the child process)."""

    size: str
    mode: str
    time_limit: float
    seed: int = 0
    cpsat_seed: int = 0
    workers: int = 0
    deterministic: bool = False
    regions: str = "independent"


def _worker_peak_mib(client: Any) -> float:
    """The largest peak resident memory (MiB) among the client's workers."""
    peaks = client.run(_peak_mib)
    return max(peaks.values()) if peaks else math.nan


def measure(run: Run) -> dict[str, Any]:
    """Generate, build, solve and check one run; never raises (``error`` says what failed)."""
    row: dict[str, Any] = {
        "size": run.size,
        "mode": run.mode,
        "seed": run.seed,
        "time_limit": run.time_limit,
        "deterministic": run.deterministic,
        "regions": run.regions,
        "load_before": os.getloadavg()[0],
        "error": "",
    }
    client = None
    try:
        import matchkracht as mk

        t0 = time.perf_counter()
        frames = generate_frames(Instance(run.size, None, run.seed))
        t1 = time.perf_counter()
        registry = _registry(Instance(run.size, None, run.seed), frames)
        t2 = time.perf_counter()
        problem = mk.build_problem(registry, WEEK)
        t3 = time.perf_counter()
        if run.mode != "in-process":
            from matchkracht.scale import connect

            client = connect(run.mode)
        t4 = time.perf_counter()
        solver = mk.CpSatSolver(
            time_limit=run.time_limit,
            seed=run.cpsat_seed,
            workers=run.workers,
            deterministic=run.deterministic,
            regions=run.regions,
            cluster=client,
        )
        solution = solver.solve(problem)
        t5 = time.perf_counter()
        plan = mk.build_plan(problem, solution, registry)
        violations = mk.check(registry, plan)
        m = plan.metrics
        bound = math.nan if m["bound"] is None else float(m["bound"])
        row.update(
            tasks=problem.num_tasks,
            volunteers=problem.num_volunteers,
            options=problem.num_options,
            components=solution.stats.get("components", math.nan),
            regions=solution.stats.get("regions", math.nan),
            parallel_parts=solution.stats.get("parallel_parts", 0),
            weighted_coverage=m["weighted_coverage"],
            bound=bound,
            gap_pp=100.0 * (bound - m["weighted_coverage"]),
            bound_kind=m.get("bound_kind") or "",
            status=m["status"],
            # deterministic mode: CP-SAT solves the wall-clock safety net stopped
            safety_net_fired=solution.stats.get("safety_net_fired", 0),
            generate_seconds=t1 - t0,
            registry_seconds=t2 - t1,
            build_seconds=t3 - t2,
            cluster_seconds=t4 - t3,
            solve_seconds=t5 - t4,
            total_seconds=time.perf_counter() - t0,
            client_peak_mib=_peak_mib(),
            worker_peak_mib=math.nan if client is None else _worker_peak_mib(client),
            violations=len(violations),
            violation_rules=";".join(sorted(set(violations["rule"].astype(str)))),
        )
    except Exception as exc:  # a benchmark row records failures instead of stopping the run
        row["error"] = f"{type(exc).__name__}: {exc}"[:500]
        row["traceback"] = traceback.format_exc(limit=5)
    finally:
        if client is not None:
            client.close()
    row["load_after"] = os.getloadavg()[0]
    return row


#: The decomposition experiment: (label, regions setting, split into parts?).
DECOMPOSITIONS: tuple[tuple[str, str, bool], ...] = (
    ("joint", "in_turn", False),
    ("regions in turn", "in_turn", True),
    ("independent regions", "independent", True),
)


def decomposition(
    size: str, parts: int, time_limit: float, seed: int = 0, workers: int = 0
) -> list[dict[str, Any]]:
    """What splitting into regions costs: one instance solved jointly and split ``parts`` ways.

    The instance must be small enough for one joint model (a municipality).
    The split is forced by lowering the component limit of
    :mod:`matchkracht.solver.cpsat` in this process. Runs in deterministic
    mode (``time_limit`` deterministic seconds, no wall-clock cut-off), so
    the comparison does not depend on the machine's load.
    """
    import matchkracht as mk
    from matchkracht.solver.cpsat import budget as tuning

    registry = _registry(Instance(size, None, seed))
    problem = mk.build_problem(registry, WEEK)
    rows = []
    old = tuning.MAX_COMPONENT, tuning.REGION_OPTIONS
    try:
        for label, regions, split in DECOMPOSITIONS:
            if split:
                tuning.MAX_COMPONENT = problem.num_options // 2
                tuning.REGION_OPTIONS = math.ceil(problem.num_options / parts)
            else:
                tuning.MAX_COMPONENT, tuning.REGION_OPTIONS = old
            solver = mk.CpSatSolver(
                time_limit=time_limit,
                seed=0,
                workers=workers,
                deterministic=True,
                safety_factor=1000,
                regions=regions,
            )
            t0 = time.perf_counter()
            solution = solver.solve(problem)
            seconds = time.perf_counter() - t0
            plan = mk.build_plan(problem, solution, registry)
            m = plan.metrics
            rows.append(
                {
                    "size": size,
                    "decomposition": label,
                    "parts": solution.stats.get("regions", 0) or 1,
                    "options": problem.num_options,
                    "weighted_coverage": m["weighted_coverage"],
                    "bound": m["bound"],
                    "continuity": m["continuity"],
                    "travel_km": m["travel_km"],
                    "wall_seconds": seconds,
                    "violations": len(mk.check(registry, plan)),
                }
            )
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        tuning.MAX_COMPONENT, tuning.REGION_OPTIONS = old
    return rows


def _run_isolated(run: Run) -> dict[str, Any]:
    """:func:`measure` in a fresh spawned process (its peak memory is its own)."""
    try:
        return dict(in_child(measure, run))
    except Exception as exc:  # e.g. the child was killed (out of memory)
        return {"size": run.size, "mode": run.mode, "seed": run.seed, "error": repr(exc)[:500]}


def render_markdown(raw: pd.DataFrame, settings: dict[str, Any]) -> str:
    """The results table (one row per run), the machine and the settings."""
    info = machine_info()
    lines = [
        "# matchkracht scaling benchmark",
        "",
        f"- date: {datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {info.get('machine', '')}, {os.cpu_count()} cores",
        "- settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()),
        "- load: the 1-minute load average before and after each run (the machine is shared)",
        "",
        "| size | mode | tasks | options | weighted coverage | bound | gap (pp) | build s"
        " | solve s | total s | client peak MiB | worker peak MiB | violations | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = {s: i for i, s in enumerate(SIZES)}
    raw = raw.sort_values(["size", "mode"], key=lambda c: c.map(order) if c.name == "size" else c)
    for r in raw.to_dict("records"):
        if r.get("error"):
            lines.append(f"| {r['size']} | {r['mode']} | failed: {r['error']} |")
            continue
        lines.append(
            f"| {r['size']} | {r['mode']} | {r['tasks']} | {r['options']:,} "
            f"| {_fmt(100 * r['weighted_coverage'], '.1f')} % | {_fmt(100 * r['bound'], '.1f')} % "
            f"| {_fmt(r['gap_pp'], '.2f')} | {_fmt(r['build_seconds'], '.1f')} "
            f"| {_fmt(r['solve_seconds'], '.1f')} | {_fmt(r['total_seconds'], '.1f')} "
            f"| {_fmt(r['client_peak_mib'], '.0f')} | {_fmt(r['worker_peak_mib'], '.0f')} "
            f"| {r['violations']} | {_fmt(r['load_before'], '.1f')}–{_fmt(r['load_after'], '.1f')} |"
        )
    return "\n".join(lines) + "\n"


def plot(raw: pd.DataFrame, path: Path) -> None:
    """Total seconds, client peak memory and weighted coverage against tasks, per mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = raw[raw["error"].fillna("").astype(str).eq("")].sort_values("tasks")
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for mode, sub in ok.groupby("mode"):
        axes[0].plot(sub["tasks"], sub["total_seconds"], "o-", label=mode)
        axes[1].plot(sub["tasks"], sub["client_peak_mib"], "o-", label=mode)
        axes[2].plot(sub["tasks"], 100 * sub["weighted_coverage"], "o-", label=mode)
    axes[0].set(xscale="log", yscale="log", ylabel="seconds (generate to checked plan)")
    axes[1].set(xscale="log", yscale="log", ylabel="client peak MiB")
    axes[2].set(xscale="log", ylabel="weighted coverage (%)")
    for ax in axes:
        ax.set_xlabel("tasks in the week")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("village → municipality → region → province")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns 0 when every run produced a checked plan without violations."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scaling", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", nargs="+", choices=SIZES, default=list(SIZES[:3]))
    parser.add_argument("--modes", nargs="+", default=list(MODES))
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--time-limit", type=float, default=None, help="CP-SAT seconds (all)")
    parser.add_argument("--workers", type=int, default=0, help="CP-SAT workers (0: all threads)")
    parser.add_argument("--deterministic", action="store_true")
    parser.add_argument("--regions", choices=("in_turn", "independent"), default="independent")
    parser.add_argument("--append", action="store_true", help="add to an existing raw.csv")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results/scaling"))
    parser.add_argument(
        "--decomposition",
        type=int,
        default=0,
        metavar="PARTS",
        help="instead: solve each size jointly and split PARTS ways (deterministic mode)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.decomposition:
        limit = args.time_limit if args.time_limit is not None else 30.0
        rows = [
            r
            for size in args.sizes
            for r in decomposition(size, args.decomposition, limit, args.seed, args.workers)
        ]
        table = pd.DataFrame(rows)
        table.to_csv(out / "decomposition.csv", index=False)
        print(table.to_string(index=False))
        return 0 if table["violations"].sum() == 0 else 1
    rows = []
    for size in args.sizes:
        for mode in args.modes:
            limit = args.time_limit if args.time_limit is not None else TIME_LIMITS[size]
            run = Run(
                size, mode, limit, args.seed, 0, args.workers, args.deterministic, args.regions
            )
            row = _run_isolated(run)
            print(
                f"{size} {mode}: wc={row.get('weighted_coverage', math.nan):.4f} "
                f"total={row.get('total_seconds', math.nan):.1f}s "
                f"peak={row.get('client_peak_mib', math.nan):.0f} MiB "
                f"violations={row.get('violations', '?')} {row.get('error', '')}",
                file=sys.stderr,
                flush=True,
            )
            rows.append(row)
    raw = pd.DataFrame(rows)
    if args.append and (out / "raw.csv").exists():
        old = pd.read_csv(out / "raw.csv", keep_default_na=False, na_values=[""])
        keys = set(zip(raw["size"], raw["mode"], raw["seed"], strict=True))
        keep = [
            (s, m, d) not in keys
            for s, m, d in zip(old["size"], old["mode"], old["seed"], strict=True)
        ]
        raw = pd.concat([old[keep], raw], ignore_index=True)
    raw["error"] = raw["error"].fillna("")
    raw.to_csv(out / "raw.csv", index=False)
    settings = {
        "seed": args.seed,
        "workers": args.workers,
        "deterministic": args.deterministic,
        "regions": args.regions,
    }
    text = render_markdown(raw, settings)
    (out / "results.md").write_text(text, encoding="utf-8")
    if raw["error"].eq("").any():
        plot(raw, out / "scaling.png")
    print(text)
    viol = pd.to_numeric(raw.get("violations", pd.Series(dtype=float)), errors="coerce")
    return 0 if raw["error"].eq("").all() and viol.fillna(0).sum() == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
