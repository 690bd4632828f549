"""Benchmark runner: CP-SAT against the baselines on generated instances.

For every instance (size × variant × seed) the runner generates the registry in
memory (:func:`benchmarks.generate.generate`), builds the problem for ISO week
2026-W49, and solves it with :class:`matchkracht.CpSatSolver` and every
baseline of :mod:`benchmarks.baselines`. Every plan is checked with
:func:`matchkracht.plan.check` (the number of violations is recorded; it must be 0).
Each (instance, method) runs in a fresh process (``spawn``), so its peak memory
(the child's ``VmHWM``, which includes OR-Tools' C++ memory) is its own.

Usage::

    python -m benchmarks.run --suite smoke
    python -m benchmarks.run --suite standard --out benchmarks/results/standard
    python -m benchmarks.run --suite full --seeds 0 1 2 --time-limit 60

Outputs in ``--out`` (default ``benchmarks/results/<suite>/``): ``raw.csv`` (one
row per instance, seed and method), ``results.md`` (medians over seeds, ratios,
targets, machine), and unless ``--no-plots``: ``coverage_vs_time.png`` (with
``curve.csv``) and ``scaling.png``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import math
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "DEFAULT_TIME_LIMITS",
    "EXTRA_METHODS",
    "METHODS",
    "SUITES",
    "Instance",
    "Job",
    "aggregate",
    "coverage_curve",
    "evaluate_targets",
    "main",
    "measure",
    "ratios",
    "render_markdown",
    "run_suite",
    "suite_instances",
    "write_outputs",
]

WEEK = "2026-W49"
#: Methods in report order: the engine, then the baselines.
METHODS: tuple[str, ...] = ("cpsat", "first_fit", "closest", "per_day_lsa")
BASELINE_METHODS: tuple[str, ...] = METHODS[1:]
#: Methods run only when asked for (``--methods``): the 15-minute-grid CP-SAT
#: reference of issue 14 costs as much time as ``cpsat`` itself.
EXTRA_METHODS: tuple[str, ...] = ("cpsat_grid15",)
#: CP-SAT time limit (seconds) per instance size unless ``--time-limit`` is given.
DEFAULT_TIME_LIMITS: dict[str, float] = {"village": 10.0, "municipality": 30.0, "region": 300.0}
#: Seconds per day for the day-relaxation bound (:func:`matchkracht.solver.bounds.day_bound`),
#: computed after the CP-SAT solve and timed apart; 0 = not computed (villages are
#: solved to optimality anyway).
DAY_BOUND_LIMITS: dict[str, float] = {"village": 0.0, "municipality": 60.0, "region": 120.0}
SIZE_ORDER: tuple[str, ...] = ("village", "municipality", "region")
VILLAGE_VARIANTS: tuple[str | None, ...] = (None, "scarce_drivers", "holiday", "strict", "scarce")
#: Time limits of the coverage-against-time curve.
CURVE_LIMITS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0)
MIB = 1024.0 * 1024.0

#: Suites: (size, variant, default seeds) and the CP-SAT time limit that overrides
#: the per-size default (``None``: per size).
SUITES: dict[str, dict[str, Any]] = {
    "smoke": {
        "instances": [("village", None, (0,)), ("village", "scarce_drivers", (0,))],
        "time_limit": 5.0,
        "plots": False,
    },
    "standard": {
        "instances": [
            *[("village", v, (0, 1, 2)) for v in VILLAGE_VARIANTS],
            ("municipality", None, (0,)),
            ("municipality", "scarce", (0,)),
        ],
        "time_limit": None,
        "plots": True,
    },
    "full": {
        "instances": [
            *[("village", v, (0, 1, 2)) for v in VILLAGE_VARIANTS],
            *[("municipality", v, (0,)) for v in VILLAGE_VARIANTS],
            ("region", None, (0,)),
            ("region", "scarce", (0,)),
        ],
        "time_limit": None,
        "plots": True,
    },
}


@dataclass(frozen=True)
class Instance:
    """One generated instance: size, variant (``None`` = base) and generator seed."""

    size: str
    variant: str | None
    seed: int

    @property
    def name(self) -> str:
        """``size/variant`` (``base`` for no variant), without the seed."""
        return f"{self.size}/{self.variant or 'base'}"


@dataclass(frozen=True)
class Job:
    """One measurement: a method on an instance (picklable, for the child process)."""

    instance: Instance
    method: str
    time_limit: float
    cpsat_seed: int = 0
    workers: int = 0
    #: CP-SAT seconds per day for the day-relaxation bound (0: not computed)
    day_bound_limit: float = 0.0
    #: The generated tables; ``None``: generate them in the child. The runner generates
    #: each instance once, so every method of an instance sees the very same data.
    frames: dict[str, pd.DataFrame] | None = field(default=None, compare=False, repr=False)


def suite_instances(suite: str, seeds: Sequence[int] | None = None) -> list[Instance]:
    """The instances of a suite; ``seeds`` replaces every instance's default seeds."""
    if suite not in SUITES:
        raise ValueError(f"suite must be one of {sorted(SUITES)}, got {suite!r}")
    out = []
    for size, variant, default_seeds in SUITES[suite]["instances"]:
        for s in seeds if seeds is not None else default_seeds:
            out.append(Instance(size, variant, int(s)))
    return out


def generate_frames(instance: Instance) -> dict[str, pd.DataFrame]:
    """The generator's tables of ``instance`` for week 2026-W49."""
    from benchmarks.generate import generate

    return generate(instance.size, seed=instance.seed, variant=instance.variant, week=WEEK)


def frames_hash(frames: dict[str, pd.DataFrame]) -> str:
    """A short fingerprint of the tables (to see that every method saw the same data)."""
    h = hashlib.sha256()
    for name in sorted(frames):
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(frames[name].astype(str), index=True).to_numpy())
    return h.hexdigest()[:12]


def _registry(instance: Instance, frames: dict[str, pd.DataFrame] | None = None) -> Any:
    """Validate ``frames`` (default: generate ``instance``) into a :class:`matchkracht.Registry`."""
    import matchkracht as mk

    if frames is None:
        frames = generate_frames(instance)
    # The generator writes nullable dtypes (pd.NA); the registry wants plain empty cells.
    plain = {k: v.astype(object).where(v.notna(), None) for k, v in frames.items()}
    return mk.Registry.from_frames(
        plain["volunteers"], plain["clients"], plain["needs"], plain.get("history")
    )


def _peak_mib() -> float:
    """Peak resident memory of this process in MiB (``VmHWM``; ``ru_maxrss`` elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (MIB if sys.platform == "darwin" else 1024.0)


def _solver(job: Job) -> Any:
    from benchmarks.baselines import ClosestAvailable, FirstFitGreedy, GridCpSat, PerDayAssignment
    from matchkracht import CpSatSolver

    if job.method == "cpsat":
        return CpSatSolver(time_limit=job.time_limit, seed=job.cpsat_seed, workers=job.workers)
    if job.method == "cpsat_grid15":
        return GridCpSat(time_limit=job.time_limit, seed=job.cpsat_seed, workers=job.workers)
    table = {
        "first_fit": FirstFitGreedy,
        "closest": ClosestAvailable,
        "per_day_lsa": PerDayAssignment,
    }
    if job.method not in table:
        raise ValueError(f"unknown method {job.method!r}; expected one of {METHODS}")
    return table[job.method]()


def measure(job: Job) -> dict[str, Any]:
    """Generate, build, solve and check one (instance, method); never raises.

    Returns one raw row: sizes, quality figures, timings, peak memory and the
    number of violations :func:`matchkracht.plan.check` finds (``error`` is set when
    anything failed).
    """
    inst = job.instance
    row: dict[str, Any] = {
        "instance": inst.name,
        "size": inst.size,
        "variant": inst.variant or "base",
        "seed": inst.seed,
        "method": job.method,
        "time_limit": job.time_limit if job.method.startswith("cpsat") else math.nan,
        "error": "",
        "data_hash": "" if job.frames is None else frames_hash(job.frames),
    }
    try:
        import matchkracht as mk

        t0 = time.perf_counter()
        registry = _registry(inst, job.frames)
        t1 = time.perf_counter()
        problem = mk.build_problem(registry, WEEK)
        t2 = time.perf_counter()
        pre_mib = _peak_mib()
        solution = _solver(job).solve(problem)
        t3 = time.perf_counter()
        peak = _peak_mib()
        if job.method == "cpsat" and job.day_bound_limit > 0:
            from matchkracht.solver.bounds import day_bound

            db = day_bound(problem, job.day_bound_limit, seed=job.cpsat_seed)
            row.update(
                day_bound=db.bound / problem.total_weight if problem.total_weight else 1.0,
                day_bound_optimal=db.optimal,
                day_bound_seconds=time.perf_counter() - t3,
            )
        plan = mk.build_plan(problem, solution, registry)
        violations = mk.check(registry, plan)
        m = plan.metrics
        row.update(
            tasks=problem.num_tasks,
            volunteers=problem.num_volunteers,
            pairs=problem.num_pairs,
            options=problem.num_options,
            covered=m["covered"],
            coverage=m["coverage"],
            weighted_coverage=m["weighted_coverage"],
            bound=math.nan if m["bound"] is None else float(m["bound"]),
            bound_kind=m.get("bound_kind") or "",
            own_gap_pp=math.nan
            if m["bound"] is None
            else (m["bound"] - m["weighted_coverage"]) * 100,
            status=m["status"],
            continuity=m["continuity"],
            travel_km=m["travel_km"],
            max_load=m["max_load"],
            registry_seconds=t1 - t0,
            build_seconds=t2 - t1,
            solve_seconds=solution.seconds,
            coverage_seconds=solution.stats.get("coverage_seconds", math.nan),
            wall_seconds=t3 - t2,
            pre_solve_mib=pre_mib,
            peak_mib=peak,
            engine_status="; ".join(
                str(x) for x in solution.stats.get("component_statuses", [])[-3:]
            ),
            violations=len(violations),
            violation_rules=";".join(sorted(set(violations["rule"].astype(str)))),
        )
    except Exception as exc:  # a benchmark row records failures instead of stopping the run
        row["error"] = f"{type(exc).__name__}: {exc}"[:500]
        row["traceback"] = traceback.format_exc(limit=5)
    return row


def in_child(fn: Any, arg: Any) -> Any:
    """``fn(arg)`` in a fresh spawned process (its peak memory is its own)."""
    ctx = mp.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, arg).result()


def _run_job(job: Job, isolate: bool) -> dict[str, Any]:
    """Run :func:`measure` in a fresh spawned process (``isolate``) or in this one."""
    if not isolate:
        return measure(job)
    try:
        return dict(in_child(measure, job))
    except Exception as exc:  # e.g. the child was killed (out of memory)
        inst = job.instance
        return {
            "instance": inst.name,
            "size": inst.size,
            "variant": inst.variant or "base",
            "seed": inst.seed,
            "method": job.method,
            "error": f"child process failed: {type(exc).__name__}: {exc}"[:500],
        }


def _time_limit(inst: Instance, time_limit: float | None) -> float:
    return float(time_limit) if time_limit is not None else DEFAULT_TIME_LIMITS[inst.size]


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _measure_part(
    frames: dict[Instance, dict[str, pd.DataFrame]], job: Job, threads: int
) -> dict[str, Any]:
    """:func:`measure` on a Dask worker: the instance's scattered tables, the worker's threads."""
    row = measure(replace(job, workers=threads, frames=frames[job.instance]))
    row["memory_mode"] = "dask worker VmHWM (shared)"
    return row


def run_suite(
    instances: Sequence[Instance],
    *,
    methods: Sequence[str] = METHODS,
    time_limit: float | None = None,
    cpsat_seed: int = 0,
    workers: int = 0,
    isolate: bool = True,
    verbose: bool = True,
    day_bound: bool = True,
    client: Any = None,
) -> pd.DataFrame:
    """Measure every method on every instance, one at a time (or on a Dask cluster).

    Parameters
    ----------
    instances
        Instances to run.
    methods
        Method names (see :data:`METHODS`).
    time_limit
        CP-SAT time limit for every instance; ``None``: :data:`DEFAULT_TIME_LIMITS` by size.
    cpsat_seed, workers
        CP-SAT's random seed and number of search workers (0 = one per core,
        or on Dask all of a worker's threads).
    isolate
        Run each measurement in a fresh spawned process (true peak memory per
        run); otherwise in this process (faster; memory then is this process's peak).
    verbose
        Print one progress line per measurement to standard error.
    day_bound
        After each CP-SAT solve, also compute the day-relaxation bound
        (:data:`DAY_BOUND_LIMITS` seconds per day, timed apart from the solve).
    client
        A :class:`distributed.Client`: every (instance, method) runs as one
        Dask task (the tables are sent to each worker once; one task at a time
        per worker, see :func:`matchkracht.scale.map_parts`). Peak memory is then
        the worker's, shared by the tasks it ran.

    Returns
    -------
    pandas.DataFrame
        One raw row per (instance, seed, method), plus ``gap_pp``: the CP-SAT
        bound of that instance and seed minus the row's weighted coverage, in
        percentage points (NaN without a CP-SAT bound).
    """
    frames: dict[Instance, dict[str, pd.DataFrame]] = {}
    gen_seconds: dict[Instance, float] = {}
    jobs: list[Job] = []
    for inst in instances:
        g0 = time.perf_counter()
        frames[inst] = generate_frames(inst)
        gen_seconds[inst] = time.perf_counter() - g0
        jobs.extend(
            Job(
                inst,
                method,
                _time_limit(inst, time_limit),
                cpsat_seed,
                workers,
                DAY_BOUND_LIMITS[inst.size] if day_bound else 0.0,
                None if client is not None else frames[inst],
            )
            for method in methods
        )
    if client is not None:
        from matchkracht.scale import map_parts

        t0 = time.perf_counter()
        rows = map_parts(_measure_part, frames, jobs, cluster=client, threads=workers)
        for row in rows:
            row["generate_seconds"] = gen_seconds[_instance_of(row)]
            if verbose:
                _log_row(row, time.perf_counter() - t0)
        return add_gaps(pd.DataFrame(rows))
    rows = []
    for job in jobs:
        t0 = time.perf_counter()
        row = _run_job(job, isolate)
        row["generate_seconds"] = gen_seconds[job.instance]
        row["memory_mode"] = "child VmHWM" if isolate else "process VmHWM (shared)"
        rows.append(row)
        if verbose:
            _log_row(row, time.perf_counter() - t0)
    return add_gaps(pd.DataFrame(rows))


def _instance_of(row: dict[str, Any]) -> Instance:
    variant = None if row["variant"] == "base" else str(row["variant"])
    return Instance(str(row["size"]), variant, int(row["seed"]))


def _log_row(row: dict[str, Any], seconds: float) -> None:
    wc = row.get("weighted_coverage", math.nan)
    _log(
        f"{row['instance']} seed {row['seed']} {row['method']:<12} wc={wc:.4f} "
        f"solve={row.get('solve_seconds', math.nan):.2f}s "
        f"violations={row.get('violations', '?')} "
        f"({seconds:.1f}s)" + (f" ERROR {row['error']}" if row["error"] else "")
    )


def add_gaps(raw: pd.DataFrame) -> pd.DataFrame:
    """Add ``cpsat_bound`` and ``gap_pp`` (bound − weighted coverage, in points) to raw rows.

    ``cpsat_bound`` is the best proven bound of the instance: the smaller of CP-SAT's
    own bound and the day relaxation's (``day_bound``, where computed).
    """
    raw = raw.copy()
    for col in ("weighted_coverage", "bound", "day_bound"):
        if col not in raw.columns:
            raw[col] = math.nan
    best = raw[["bound", "day_bound"]].apply(pd.to_numeric, errors="coerce").min(axis=1)
    cp = best[raw["method"] == "cpsat"]
    cp.index = pd.MultiIndex.from_frame(raw.loc[raw["method"] == "cpsat", ["instance", "seed"]])
    keys = pd.MultiIndex.from_frame(raw[["instance", "seed"]])
    raw["cpsat_bound"] = cp.reindex(keys).to_numpy() if len(cp) else math.nan
    raw["gap_pp"] = (raw["cpsat_bound"] - raw["weighted_coverage"]) * 100.0
    return raw


NUMERIC = (
    "tasks", "volunteers", "pairs", "options", "weighted_coverage", "coverage", "bound",
    "cpsat_bound", "day_bound", "day_bound_seconds", "gap_pp", "own_gap_pp", "continuity", "travel_km", "max_load", "generate_seconds",
    "registry_seconds",
    "build_seconds", "solve_seconds", "coverage_seconds", "wall_seconds", "pre_solve_mib",
    "peak_mib",
)  # fmt: skip


def aggregate(raw: pd.DataFrame) -> pd.DataFrame:
    """Medians over seeds per (instance, method); ``runs``, total ``violations`` and ``errors``."""
    df = raw.copy()
    for col in (*NUMERIC, "violations"):
        if col not in df.columns:
            df[col] = math.nan
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df["failed"] = df["error"].fillna("").astype(str).ne("")
    groups = df.groupby(["instance", "method"], sort=False)
    agg = groups[list(NUMERIC)].median()
    agg["runs"] = groups.size()
    agg["violations"] = groups["violations"].sum(min_count=1)
    agg["errors"] = groups["failed"].sum()
    if "bound_kind" in df.columns:
        agg["bound_kind"] = groups["bound_kind"].agg(
            lambda s: "/".join(sorted({str(k) for k in s.dropna() if str(k)}))
        )
    if "status" in df.columns:
        agg["optimal_runs"] = groups["status"].apply(lambda s: int((s == "optimal").sum()))
    agg = agg.reset_index()
    order = {m: i for i, m in enumerate(METHODS)}
    agg["_s"] = agg["instance"].map(lambda n: SIZE_ORDER.index(n.split("/")[0]))
    agg["_m"] = agg["method"].map(lambda m: order.get(m, len(order)))
    first_seen = {n: i for i, n in enumerate(dict.fromkeys(raw["instance"]))}
    agg["_i"] = agg["instance"].map(first_seen)
    agg = agg.sort_values(["_s", "_i", "_m"]).drop(columns=["_s", "_m", "_i"])
    return agg.reset_index(drop=True)


def ratios(raw: pd.DataFrame) -> pd.DataFrame:
    """Per instance, medians over seeds of CP-SAT wc / baseline wc and CP-SAT s / first-fit s."""
    piv = raw.pivot_table(index=["instance", "seed"], columns="method", values="weighted_coverage")
    sec = raw.pivot_table(index=["instance", "seed"], columns="method", values="solve_seconds")
    out = pd.DataFrame(index=piv.index)
    for b in BASELINE_METHODS:
        if "cpsat" in piv.columns and b in piv.columns:
            out[f"wc cpsat/{b}"] = piv["cpsat"] / piv[b]
    if "cpsat" in sec.columns and "first_fit" in sec.columns:
        out["seconds cpsat/first_fit"] = sec["cpsat"] / sec["first_fit"]
    med = out.groupby(level="instance", sort=False).median()
    return med.reindex(list(dict.fromkeys(raw["instance"]))).reset_index()


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("held" if ok else "NOT held")


def evaluate_targets(raw: pd.DataFrame, agg: pd.DataFrame) -> list[dict[str, str]]:
    """Check the performance targets on measured numbers (reported, never asserted).

    Returns
    -------
    list of dict
        ``target``, ``verdict`` (``held``, ``NOT held`` or ``not measured``) and
        ``evidence`` (the numbers behind it).
    """
    out: list[dict[str, str]] = []
    ok_rows = raw[raw["error"].fillna("").astype(str).eq("")]
    cp = agg[agg["method"] == "cpsat"]

    # 1. village: coverage proven optimal in every run, median solve time <= 1 s
    vil = cp[cp["instance"].str.startswith("village/")]
    if len(vil):
        parts, ok = [], True
        for rec in vil.to_dict("records"):
            runs = ok_rows[
                (ok_rows["instance"] == rec["instance"]) & (ok_rows["method"] == "cpsat")
            ]
            proven = int((runs["gap_pp"].abs() < 1e-6).sum())
            good = proven == len(runs) == rec["runs"] and rec["coverage_seconds"] <= 1.0
            ok &= bool(good)
            parts.append(
                f"{rec['instance']}: coverage proven optimal in {proven}/{int(rec['runs'])} runs "
                f"in {rec['coverage_seconds']:.2f} s (median; all tiers optimal in "
                f"{int(rec.get('optimal_runs', 0))}, whole solve {rec['solve_seconds']:.2f} s)"
            )
        out.append(_target("Village: proven optimal (coverage) in ≤ 1 s median", ok, parts))
    else:
        out.append(_target("Village: proven optimal (coverage) in ≤ 1 s median", None, []))

    def gap_target(size: str, title: str, gap: float, secs: float, mib: float | None) -> None:
        sub = cp[cp["instance"].str.startswith(f"{size}/")]
        if not len(sub):
            out.append(_target(title, None, []))
            return
        parts, ok = [], True
        for rec in sub.to_dict("records"):
            good = rec["own_gap_pp"] <= gap and rec["solve_seconds"] <= secs
            if mib is not None:
                good = good and rec["peak_mib"] <= mib
            ok &= bool(good)
            mem = f", peak {rec['peak_mib']:.0f} MiB" if mib is not None else ""
            parts.append(
                f"{rec['instance']}: gap {rec['own_gap_pp']:.2f} pp to its own bound "
                f"({rec.get('bound_kind') or '?'}; {rec['gap_pp']:.2f} pp to the best) "
                f"in {rec['solve_seconds']:.1f} s{mem}"
            )
        out.append(_target(title, ok, parts))

    gap_target(
        "municipality", "Municipality: ≤ 0.5 pp from its own bound in ≤ 30 s", 0.5, 30.0, None
    )
    gap_target(
        "region", "Region: ≤ 2 pp from its own bound in ≤ 5 min with ≤ 4 GiB", 2.0, 300.0, 4096.0
    )

    # 4. CP-SAT's weighted coverage >= every baseline on every instance and seed
    piv = ok_rows.pivot_table(
        index=["instance", "seed"], columns="method", values="weighted_coverage"
    )
    if "cpsat" in piv.columns and len(piv):
        worse = []
        for b in (c for c in piv.columns if c != "cpsat"):
            diff = piv["cpsat"] - piv[b]
            for (inst, seed), d in diff[diff < -1e-9].items():
                cw, bw = piv.loc[(inst, seed), "cpsat"], piv.loc[(inst, seed), b]
                worse.append(
                    f"{inst} seed {seed}: cpsat {cw:.4f} < {b} {bw:.4f} ({d * 100:+.2f} pp)"
                )
        evidence = worse or [
            f"{len(piv)} instance-seeds × {len(piv.columns) - 1} baselines compared"
        ]
        out.append(
            _target(
                "CP-SAT weighted coverage ≥ every baseline on every instance", not worse, evidence
            )
        )
    else:
        out.append(_target("CP-SAT weighted coverage ≥ every baseline on every instance", None, []))

    # 5. every plan passes matchkracht.plan.check
    viol = pd.to_numeric(raw.get("violations", pd.Series(dtype=float)), errors="coerce")
    errors = int(raw["error"].fillna("").astype(str).ne("").sum())
    total = int(viol.fillna(0).sum())
    out.append(
        _target(
            "Every plan passes matchkracht.plan.check (0 violations, no failed run)",
            total == 0 and errors == 0,
            [f"{len(raw)} runs, {total} violations, {errors} failed runs"],
        )
    )
    return out


def _target(title: str, ok: bool | None, parts: list[str]) -> dict[str, str]:
    return {
        "target": title,
        "verdict": _verdict(ok),
        "evidence": "; ".join(parts) or "no such instance in this suite",
    }


def _fmt(x: Any, spec: str) -> str:
    try:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        return format(x, spec)
    except (TypeError, ValueError):
        return str(x)


def machine_info() -> dict[str, str]:
    """Date, processor, core count and versions, for the report header."""

    def ver(dist: str) -> str:
        try:
            return importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            return "unknown"

    import matchkracht

    h = hashlib.sha256()
    for folder in (Path(matchkracht.__file__).parent, Path(__file__).parent):
        for f in sorted(folder.rglob("*.py")):
            h.update(f.read_bytes())
    return {
        "code": h.hexdigest()[:12],
        "date": datetime.now().replace(microsecond=0).isoformat(),
        "machine": platform.processor() or platform.machine() or "unknown",
        "platform": platform.platform(terse=True),
        "cpu_count": str(os.cpu_count()),
        "python": platform.python_version(),
        "ortools": ver("ortools"),
        "matchkracht": ver("matchkracht"),
        "scipy": ver("scipy"),
    }


def markdown_table(agg: pd.DataFrame) -> str:
    """The main results table (medians over seeds) in markdown."""
    head = (
        "| instance | method | runs | tasks | options | weighted coverage | own bound | bound kind "
        "| gap to own bound (pp) | best bound | gap to best bound (pp) "
        "| continuity | travel km | max load | solve s (median) | build s | peak MiB | violations |"
    )
    lines = [head, "|" + "---|" * 18]
    for r in agg.to_dict("records"):
        lines.append(
            "| "
            + " | ".join(
                [
                    str(r["instance"]),
                    str(r["method"]),
                    _fmt(r["runs"], "d"),
                    _fmt(r["tasks"], ".0f"),
                    _fmt(r["options"], ".0f"),
                    _fmt(r["weighted_coverage"] * 100, ".1f") + " %",
                    _fmt(r["bound"] * 100, ".1f") + " %",
                    str(r.get("bound_kind") or "–"),
                    _fmt(r["own_gap_pp"], ".2f"),
                    _fmt(r["cpsat_bound"] * 100, ".1f") + " %",
                    _fmt(r["gap_pp"], ".2f"),
                    _fmt(r["continuity"] * 100, ".1f") + " %",
                    _fmt(r["travel_km"], ".0f"),
                    _fmt(r["max_load"] * 100, ".0f") + " %",
                    _fmt(r["solve_seconds"], ".3g"),
                    _fmt(r["build_seconds"], ".2f"),
                    _fmt(r["peak_mib"], ".0f"),
                    _fmt(r["violations"], ".0f"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def markdown_ratios(rat: pd.DataFrame) -> str:
    """The ratio table (CP-SAT against the baselines of the same run) in markdown."""
    cols = [c for c in rat.columns if c != "instance"]
    lines = ["| instance | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
    for r in rat.to_dict("records"):
        cells = [_fmt(r[c], ".3f") if c.startswith("wc") else _fmt(r[c], ".0f") + "×" for c in cols]
        lines.append(f"| {r['instance']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(
    raw: pd.DataFrame,
    agg: pd.DataFrame,
    *,
    suite: str,
    settings: dict[str, Any],
    plots: Sequence[str] = (),
) -> str:
    """The whole report: header, results, ratios, targets, notes and plots."""
    info = machine_info()
    lines = [
        f"# matchkracht benchmark: suite `{suite}`",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['machine']} ({info['platform']}), {info['cpu_count']} cores",
        f"- python {info['python']}, ortools {info['ortools']}, matchkracht {info['matchkracht']}, "
        f"scipy {info['scipy']}",
        f"- code fingerprint (sha256 of matchkracht and benchmarks sources): {info['code']}",
        "- settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()),
        "",
        "## Results (medians over seeds)",
        "",
        markdown_table(agg),
        "",
        "## CP-SAT against the baselines of the same run",
        "",
        markdown_ratios(ratios(raw)),
        "",
        "## Targets",
        "",
        "| target | verdict | evidence |",
        "|---|---|---|",
    ]
    for t in evaluate_targets(raw, agg):
        lines.append(f"| {t['target']} | **{t['verdict']}** | {t['evidence']} |")
    errors = raw[raw["error"].fillna("").astype(str).ne("")]
    if len(errors):
        lines += ["", "## Failed runs", ""]
        for r in errors.to_dict("records"):
            lines.append(f"- {r['instance']} seed {r['seed']} {r['method']}: {r['error']}")
    lines += [
        "",
        "## Notes",
        "",
        '- Own bound: `plan.metrics["bound"]`, the bound the plan itself reports, proven '
        "within its time limit, and `bound_kind`, what proves it (`coverage_optimal`, "
        "`supply_lp`, `cpsat`, `trivial`; see docs/objective.md). Gap to own bound: that "
        "bound minus the plan's weighted coverage, in percentage points. Best bound: the "
        "smaller of CP-SAT's own bound and a day relaxation computed after the solve "
        "(`matchkracht.solver.bounds.day_bound` with more time, its seconds in `raw.csv` as "
        "`day_bound_seconds`, not in the solve time); gap to best bound: the same for every "
        "method of an instance.",
        "- Solve seconds: the engine's own `Solution.seconds` (CP-SAT: model building, all "
        "objective tiers and components); build s: registry → problem.",
        f"- Peak MiB: {raw['memory_mode'].iloc[0] if 'memory_mode' in raw else '?'}: the peak "
        "resident memory of the process that generated, built and solved the instance "
        "(interpreter and libraries included; OR-Tools' C++ memory included).",
    ]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def coverage_curve(
    instance: Instance,
    limits: Sequence[float] = CURVE_LIMITS,
    *,
    cpsat_seed: int = 0,
    workers: int = 0,
    isolate: bool = True,
) -> pd.DataFrame:
    """CP-SAT on one instance with increasing time limits: coverage and bound per limit."""
    rows = []
    frames = generate_frames(instance)
    for lim in limits:
        row = _run_job(
            Job(instance, "cpsat", float(lim), cpsat_seed, workers, frames=frames), isolate
        )
        _log(
            f"curve {instance.name} seed {instance.seed} limit {lim:g}s: "
            f"wc={row.get('weighted_coverage', math.nan):.4f} "
            f"bound={row.get('bound', math.nan):.4f} "
            f"solve={row.get('solve_seconds', math.nan):.1f}s"
        )
        rows.append(row)
    return pd.DataFrame(rows)


def plot_curve(curve: pd.DataFrame, raw: pd.DataFrame, path: Path) -> None:
    """Weighted coverage and CP-SAT's bound against the time limit, baselines as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(curve["time_limit"], curve["weighted_coverage"] * 100, "o-", label="CP-SAT plan")
    ax.plot(curve["time_limit"], curve["bound"] * 100, "s--", label="CP-SAT proven bound")
    inst, seed = curve["instance"].iloc[0], curve["seed"].iloc[0]
    same = raw[(raw["instance"] == inst) & (raw["seed"] == seed)]
    if "day_bound" in same.columns:
        day = pd.to_numeric(same["day_bound"], errors="coerce").dropna()
        if len(day):
            ax.axhline(float(day.iloc[0]) * 100, ls="--", lw=1, color="black")
            ax.annotate(
                "day-relaxation bound",
                (curve["time_limit"].min(), float(day.iloc[0]) * 100),
                fontsize=8,
                va="bottom",
            )
    base = same[same["method"] != "cpsat"]
    for r in base.to_dict("records"):
        ax.axhline(r["weighted_coverage"] * 100, ls=":", lw=1, color="grey")
        ax.annotate(
            r["method"], (curve["time_limit"].min(), r["weighted_coverage"] * 100), fontsize=8
        )
    ax.set_xscale("log")
    ax.set_xlabel("CP-SAT time limit (s)")
    ax.set_ylabel("weighted coverage (%)")
    ax.set_title(f"{inst} seed {seed}: coverage against time")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_scaling(raw: pd.DataFrame, path: Path) -> None:
    """Solve seconds and peak memory against the number of options, per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    ok = raw[raw["error"].fillna("").astype(str).eq("")]
    for method in METHODS:
        sub = ok[ok["method"] == method]
        if not len(sub):
            continue
        axes[0].scatter(sub["options"], sub["solve_seconds"].clip(lower=1e-4), label=method, s=18)
        axes[1].scatter(sub["options"], sub["peak_mib"], label=method, s=18)
    axes[0].set(
        xscale="log", yscale="log", xlabel="options (solver variables)", ylabel="solve seconds"
    )
    axes[1].set(xscale="log", xlabel="options (solver variables)", ylabel="peak MiB (process)")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Time and memory against instance size")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(
    raw: pd.DataFrame,
    out: str | Path,
    *,
    suite: str,
    settings: dict[str, Any],
    curve: pd.DataFrame | None = None,
    plots: bool = False,
) -> str:
    """Write ``raw.csv``, ``results.md`` and (with ``plots``) the PNG plots; return the markdown."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    raw.to_csv(folder / "raw.csv", index=False)
    agg = aggregate(raw)
    names: list[str] = []
    if plots:
        if curve is not None and len(curve):
            curve.to_csv(folder / "curve.csv", index=False)
            plot_curve(curve, raw, folder / "coverage_vs_time.png")
            names.append("coverage_vs_time.png")
        plot_scaling(raw, folder / "scaling.png")
        names.append("scaling.png")
    text = render_markdown(raw, agg, suite=suite, settings=settings, plots=names)
    (folder / "results.md").write_text(text, encoding="utf-8")
    return text


def _curve_instance(instances: Sequence[Instance]) -> Instance:
    """The instance of the coverage-against-time curve: the municipality when the
    suite has one (its target is about time), else the largest instance (base
    variant first, lowest seed)."""
    muni = [i for i in instances if i.size == "municipality"]
    return min(
        muni or instances,
        key=lambda i: (-SIZE_ORDER.index(i.size), i.variant is not None, i.seed),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns 0 when every plan passed the checker and no run failed."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--suite", choices=sorted(SUITES), default="smoke")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="generator seeds")
    parser.add_argument("--time-limit", type=float, default=None, help="CP-SAT seconds (all sizes)")
    parser.add_argument("--cpsat-seed", type=int, default=0)
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=[*METHODS, *EXTRA_METHODS],
        default=list(METHODS),
        help="methods to run (default: CP-SAT and the baselines; cpsat_grid15 on request)",
    )
    parser.add_argument("--workers", type=int, default=0, help="CP-SAT workers (0 = one per core)")
    parser.add_argument("--out", default=None, help="default benchmarks/results/<suite>/")
    parser.add_argument("--plots", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument(
        "--isolate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="one spawned process per measurement (default; true per-run peak memory)",
    )
    parser.add_argument(
        "--day-bound",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also compute the day-relaxation bound after each CP-SAT solve (default)",
    )
    parser.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="run the measurements on a Dask cluster: a scheduler address, 'local' or 'local:WxT'",
    )
    args = parser.parse_args(argv)
    spec = SUITES[args.suite]
    time_limit = args.time_limit if args.time_limit is not None else spec["time_limit"]
    plots = spec["plots"] if args.plots is None else args.plots
    out = Path(args.out) if args.out else Path(__file__).resolve().parent / "results" / args.suite
    instances = suite_instances(args.suite, args.seeds)
    t0 = time.perf_counter()
    client = None
    if args.dask:
        from matchkracht.scale import connect

        client = connect(args.dask)
    try:
        raw = run_suite(
            instances,
            methods=args.methods,
            time_limit=time_limit,
            cpsat_seed=args.cpsat_seed,
            workers=args.workers,
            isolate=args.isolate,
            day_bound=args.day_bound,
            client=client,
        )
    finally:
        if client is not None:
            client.close()
    curve = None
    if plots:
        inst = _curve_instance(instances)
        limits = [x for x in CURVE_LIMITS if x <= _time_limit(inst, time_limit)] or [
            CURVE_LIMITS[0]
        ]
        curve = coverage_curve(
            inst, limits, cpsat_seed=args.cpsat_seed, workers=args.workers, isolate=args.isolate
        )
    settings = {
        "seeds": "per suite" if args.seeds is None else " ".join(map(str, args.seeds)),
        "cpsat_time_limit": "per size " + str(DEFAULT_TIME_LIMITS)
        if time_limit is None
        else time_limit,
        "cpsat_seed": args.cpsat_seed,
        "workers": args.workers,
        "isolate": args.isolate,
        "dask": args.dask or "no",
        "total_seconds": round(time.perf_counter() - t0, 1),
    }
    text = write_outputs(raw, out, suite=args.suite, settings=settings, curve=curve, plots=plots)
    print(text)
    _log(f"wrote {out}")
    viol = pd.to_numeric(raw.get("violations", pd.Series(dtype=float)), errors="coerce").fillna(0)
    failed = raw["error"].fillna("").astype(str).ne("").any()
    return 0 if viol.sum() == 0 and not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
