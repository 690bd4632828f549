"""Command line: ``matchkracht match``, ``demo``, ``validate``, ``signals``, ``whocan``.

Exit codes: 0 success, 2 invalid registry or arguments, 1 unexpected error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from matchkracht.errors import InvalidRegistryError, InvalidSettingsError, MatchkrachtError

__all__ = ["main"]


def _load(path: str) -> object:
    from matchkracht.data.registry import Registry

    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return Registry.from_excel(p)
    return Registry.from_folder(p)


def _settings(args: argparse.Namespace) -> dict[str, object]:
    out: dict[str, object] = {"time_limit": args.time_limit, "seed": args.seed}
    if args.deterministic:
        out["deterministic"] = True
    if args.workers is not None:
        out["workers"] = args.workers
    if args.tiers:
        out["tiers"] = tuple(t.strip() for t in args.tiers.split(",") if t.strip())
    if args.tolerance:
        out["tolerance"] = _tolerance(args.tolerance)
    if args.regions:
        out["regions"] = args.regions
    return out


def _match(reg: object, args: argparse.Namespace) -> object:
    """``match`` with the command line's settings, on Dask when ``--dask`` is given."""
    from matchkracht.api import match

    if not args.dask:
        return match(reg, week=args.week, weeks=args.weeks, **_settings(args))  # type: ignore[arg-type]
    from matchkracht.scale import connect

    with connect(args.dask) as client:
        return match(reg, week=args.week, weeks=args.weeks, cluster=client, **_settings(args))  # type: ignore[arg-type]


def _tolerance(text: str) -> dict[str, float]:
    """``"coverage=0.01,continuity=0.02"`` → ``{"coverage": 0.01, "continuity": 0.02}``."""
    out: dict[str, float] = {}
    for item in text.split(","):
        tier, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[tier.strip()] = float(value)
        except ValueError:
            raise InvalidSettingsError(
                f"The 'tolerance' parameter must be tier=share pairs separated by commas, "
                f"e.g. coverage=0.01; got {item!r} instead."
            ) from None
    return out


def _add_solve_args(p: argparse.ArgumentParser, default_week: str | None) -> None:
    p.add_argument(
        "--week",
        default=default_week,
        required=default_week is None,
        help="ISO week, e.g. 2026-W49",
    )
    p.add_argument("--weeks", type=int, default=1, help="number of ISO weeks to plan (default 1)")
    p.add_argument(
        "--time-limit", type=float, default=10.0, help="seconds for the solve (default 10)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--workers", type=int, default=None, help="CP-SAT workers (default: one per core)"
    )
    p.add_argument(
        "--deterministic",
        action="store_true",
        help="same input and seed give the same plan (deterministic time limit)",
    )
    p.add_argument(
        "--tiers",
        default=None,
        help="objective tiers in order, comma-separated "
        "(default coverage,stability,continuity,fairness,travel)",
    )
    p.add_argument(
        "--tolerance",
        default=None,
        help="per tier, the share of its value later tiers may give up, e.g. coverage=0.01",
    )
    p.add_argument(
        "--regions",
        choices=("in_turn", "independent"),
        default=None,
        help="regional parts of a very large instance: in turn (default) or independent",
    )
    p.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="solve independent parts on a Dask cluster: a scheduler address, "
        "'local' or 'local:WxT' (needs matchkracht[dask])",
    )


def _parser() -> argparse.ArgumentParser:
    from matchkracht.demo import DEMO_WEEK

    parser = argparse.ArgumentParser(
        prog="matchkracht", description="Match volunteers to the help residents ask for."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("match", help="match a registry for a week and write the plan")
    m.add_argument("registry", help="folder of CSV files or an .xlsx workbook")
    m.add_argument("--out", required=True, help="folder to write the plan to")
    _add_solve_args(m, None)
    d = sub.add_parser("demo", help="match the bundled demo village and print the summary")
    d.add_argument("--out", default=None, help="also write the plan to this folder")
    _add_solve_args(d, DEMO_WEEK)
    v = sub.add_parser("validate", help="check a registry against the data contract")
    v.add_argument("registry", help="folder of CSV files or an .xlsx workbook")
    s = sub.add_parser(
        "signals", help="explain unmet tasks, aggregate gaps, advise on recruitment, write a report"
    )
    s.add_argument("registry", help="folder of CSV files or an .xlsx workbook")
    s.add_argument("--out", required=True, help="folder for signals.csv, advice.csv, report.*")
    s.add_argument("--plan", default=None, help="use this plan folder instead of solving")
    s.add_argument(
        "--advice", type=int, default=5, help="recruits to evaluate (default 5, 0: none)"
    )
    _add_solve_args(s, None)
    w = sub.add_parser("whocan", help="rank volunteers who can take a new one-off need")
    w.add_argument("registry", help="folder of CSV files or an .xlsx workbook")
    w.add_argument("--client", required=True, help="client_id")
    w.add_argument("--date", required=True, help="ISO date of the one-off need")
    w.add_argument("--window", required=True, help="HH:MM-HH:MM, earliest and latest start")
    w.add_argument("--kind", default="other", help="ride, visit, meal, chore, other")
    w.add_argument("--duration", type=int, default=60, help="minutes (default 60)")
    w.add_argument("--skills", default="", help="required skills, ;-separated")
    w.add_argument("--languages", default="", help="languages, ;-separated (one suffices)")
    w.add_argument("--dest-lat", type=float, default=None, help="destination of a ride")
    w.add_argument("--dest-lon", type=float, default=None, help="destination of a ride")
    w.add_argument("--plan", default=None, help="the current plan folder (else solve the week)")
    w.add_argument("--top", type=int, default=20, help="rows to print (default 20)")
    _add_solve_args(w, None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.verbose:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logging.getLogger("matchkracht").addHandler(handler)
        logging.getLogger("matchkracht").setLevel(logging.INFO)
    try:
        return _run(args)
    except InvalidRegistryError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (InvalidSettingsError, MatchkrachtError) as exc:
        print(f"matchkracht: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # output piped into e.g. `head`, which closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace) -> int:
    from matchkracht.data.registry import Registry
    from matchkracht.demo import load_demo
    from matchkracht.plan.check import check
    from matchkracht.plan.result import Plan

    if args.command == "validate":
        reg = _load(args.registry)
        print(f"valid: {reg!r}")
        return 0
    if args.command in ("signals", "whocan"):
        return _run_signals(args) if args.command == "signals" else _run_whocan(args)
    reg = load_demo() if args.command == "demo" else _load(args.registry)
    assert isinstance(reg, Registry)
    plan = _match(reg, args)
    assert isinstance(plan, Plan)
    print(plan.summary())
    violations = check(reg, plan)
    if not violations.empty:  # pragma: no cover - a bug, reported loudly
        print(f"WARNING: the plan breaks {len(violations)} hard rules:", file=sys.stderr)
        print(violations.to_string(index=False), file=sys.stderr)
        return 1
    if args.out:
        out = plan.to_csv(args.out)
        print(f"plan written to {out}/ (assignments.csv, unmatched.csv, metrics.json)")
    return 0


def _plan_for(args: argparse.Namespace, reg: object) -> tuple[object, float]:
    import time

    from matchkracht.plan.result import Plan

    if args.plan:
        return Plan.read_csv(args.plan), 0.0
    t0 = time.perf_counter()
    plan = _match(reg, args)
    return plan, time.perf_counter() - t0


def _run_signals(args: argparse.Namespace) -> int:
    import time

    from matchkracht.advice.candidates import problem_for_plan
    from matchkracht.advice.explain import explain_plan
    from matchkracht.advice.report import write_report
    from matchkracht.advice.signals import recruitment_advice, signal_trend, unmet_signals
    from matchkracht.data.registry import Registry

    reg = _load(args.registry)
    assert isinstance(reg, Registry)
    plan, solve_s = _plan_for(args, reg)
    problem = problem_for_plan(reg, plan)
    t0 = time.perf_counter()
    expl = explain_plan(reg, plan, problem=problem)
    explain_s = time.perf_counter() - t0
    sig = unmet_signals(reg, plan, problem=problem)
    trend = signal_trend(reg, plan, problem=problem)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    timings = {"solve": solve_s, "explain (reasons + fixes)": explain_s}
    advice = None
    if args.advice > 0:
        adv = recruitment_advice(
            reg, plan, problem=problem, signals=sig, top=args.advice,
            time_limit=args.time_limit, seed=args.seed,
        )  # fmt: skip
        advice = adv.table
        timings["advice re-solves"] = adv.resolve_seconds
        timings["advice other"] = adv.exact_seconds
        advice.to_csv(out / "advice.csv", index=False, encoding="utf-8")
    else:
        import pandas as pd

        from matchkracht.advice.signals import ADVICE_COLUMNS

        pd.DataFrame(columns=ADVICE_COLUMNS).to_csv(out / "advice.csv", index=False)
    sig.to_csv(out / "signals.csv", index=False, encoding="utf-8")
    trend.to_csv(out / "trend.csv", index=False, encoding="utf-8")
    expl.to_csv(out / "explanations.csv", index=False, encoding="utf-8")
    write_report(
        out, plan=plan, signals=sig, explanations=expl, advice=advice, trend=trend,
        timings=timings,
    )  # fmt: skip
    print(f"{len(expl)} unmatched tasks explained in {explain_s:.2f} s; {len(sig)} signal groups")
    if advice is not None and len(advice):
        for line in advice["advice"].head(5):
            print("  " + line)
    print(
        f"written to {out}/ (signals.csv, advice.csv, trend.csv, explanations.csv, report.md, report.html)"
    )
    return 0


def _run_whocan(args: argparse.Namespace) -> int:
    import time

    from matchkracht.advice.whocan import WhoCan
    from matchkracht.data.registry import Registry

    reg = _load(args.registry)
    assert isinstance(reg, Registry)
    plan, _ = _plan_for(args, reg)
    need = {
        "client_id": args.client, "kind": args.kind, "schedule": args.date,
        "window": args.window, "duration_min": args.duration, "skills": args.skills,
        "languages": args.languages, "dest_lat": args.dest_lat, "dest_lon": args.dest_lon,
    }  # fmt: skip
    who = WhoCan(reg, plan)
    t0 = time.perf_counter()
    table = who(need)
    ms = (time.perf_counter() - t0) * 1000
    print(table.head(args.top).to_string(index=False) if len(table) else "nobody can take it")
    print(f"({len(table)} volunteers, {ms:.0f} ms)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
