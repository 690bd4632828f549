"""Command line: ``matchkracht match``, ``demo``, ``validate``, ``signals``, ``whocan``,
``funder``, ``store``, ``darp``.

Exit codes: 0 success, 2 invalid registry, instance or arguments, 1 unexpected error
(``darp``: also when no routes serving every request were found in time).
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

#: ``matchkracht darp --method``: the methods of ``matchkracht.solver.trips.darp.METHODS``
#: (spelled out so that parsing the command line does not load OR-Tools).
DARP_METHODS = ("gls", "ils", "lns", "hybrid")


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
    if getattr(args, "trips", False):
        out["trips"] = True
    return out


def _match(reg: object, args: argparse.Namespace) -> object:
    """``match`` with the command line's settings, on Dask when ``--dask`` is given."""
    from matchkracht.api import match

    lang = getattr(args, "lang", "en")
    if not args.dask:
        return match(reg, week=args.week, weeks=args.weeks, lang=lang, **_settings(args))  # type: ignore[arg-type]
    from matchkracht.scale import connect

    with connect(args.dask) as client:
        settings = _settings(args)
        return match(reg, week=args.week, weeks=args.weeks, cluster=client, lang=lang, **settings)  # type: ignore[arg-type]


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
        "--trips",
        action="store_true",
        help="plan rides as trips: shared, chained and one-way rides per driver (docs/trips.md)",
    )
    p.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="solve independent parts on a Dask cluster: a scheduler address, "
        "'local' or 'local:WxT' (needs matchkracht[dask])",
    )


def _add_lang_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang", default="en", choices=("en", "nl"), help="language of texts (default en)"
    )


def _add_output_args(p: argparse.ArgumentParser) -> None:
    """What people get out of the plan (see docs/outputs.md)."""
    _add_lang_arg(p)
    p.add_argument("--ics", default=None, help="write one calendar (.ics) per volunteer here")
    p.add_argument("--roster", default=None, help="write the roster workbook (.xlsx) here")
    p.add_argument("--messages", default=None, help="write a message per volunteer here")
    p.add_argument(
        "--residents", action="store_true", help="with --messages: also one per resident"
    )


def _parser() -> argparse.ArgumentParser:
    from matchkracht.demo import DEMO_WEEK

    parser = argparse.ArgumentParser(
        prog="matchkracht", description="Match volunteers to the help residents ask for."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("match", help="match a registry for a week and write the plan")
    m.add_argument(
        "registry", nargs="?", default=None, help="folder of CSV files or an .xlsx workbook"
    )
    m.add_argument("--out", default=None, help="folder to write the plan to")
    m.add_argument("--store", default=None, help="match the registry of this store instead")
    m.add_argument(
        "--publish", action="store_true", help="publish the plan in the store (with --store)"
    )
    _add_solve_args(m, None)
    _add_output_args(m)
    d = sub.add_parser("demo", help="match the bundled demo village and print the summary")
    d.add_argument("--out", default=None, help="also write the plan to this folder")
    _add_solve_args(d, DEMO_WEEK)
    _add_output_args(d)
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
    _add_lang_arg(s)
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
    f = sub.add_parser(
        "funder", help="the funder's report over a period: history (and a plan), ids only"
    )
    f.add_argument("registry", help="folder of CSV files or an .xlsx workbook")
    f.add_argument("--out", required=True, help="folder for funder.xlsx and funder.html")
    f.add_argument("--plan", default=None, help="a plan folder whose assignments also count")
    f.add_argument("--from", dest="start", default=None, help="first day (ISO date)")
    f.add_argument("--to", dest="end", default=None, help="last day (ISO date)")
    f.add_argument(
        "--rate", type=float, default=0.30, help="mileage reimbursement, EUR per km (0.30)"
    )
    f.add_argument("--no-map", action="store_true", help="leave the map out of the page")
    _add_lang_arg(f)
    _add_store_parser(sub)
    r = sub.add_parser("darp", help="solve a dial-a-ride instance (Cordeau format), write routes")
    r.add_argument("instance", help="instance file in Cordeau's format (e.g. a2-16.txt)")
    r.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    r.add_argument("--method", choices=DARP_METHODS, default="lns", help="search (docs/trips.md)")
    r.add_argument(
        "--solution-limit", type=int, default=None, help="stop after N solutions (deterministic)"
    )
    r.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    r.add_argument("--out", default=None, help="write the routes as JSON (docs/trips.md)")
    return parser


def _add_store_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    st = sub.add_parser("store", help="keep the registry, history and published plans")
    ss = st.add_subparsers(dest="store_command", required=True)
    db_help = "the store: a SQLite file or an SQLAlchemy URL"
    i = ss.add_parser("import", help="import (replace) the registry from files")
    i.add_argument("db", help=db_help + " (a new file is created)")
    i.add_argument("registry", help="folder of CSV files or an .xlsx workbook")
    c = ss.add_parser("confirm", help="turn the week's published plan into history")
    c.add_argument("db", help=db_help)
    c.add_argument("--week", required=True, help="ISO week, e.g. 2026-W49")
    e = ss.add_parser("export", help="write the registry as CSV files, and the published plans")
    e.add_argument("db", help=db_help)
    e.add_argument("dir", help="folder to write to")
    f = ss.add_parser("forget", help="erase a client's or a volunteer's personal data")
    f.add_argument("db", help=db_help)
    who = f.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", default=None, help="client_id")
    who.add_argument("--volunteer", default=None, help="volunteer_id")
    p = ss.add_parser("plans", help="list the published plans")
    p.add_argument("db", help=db_help)
    r = ss.add_parser("retention", help="keep history N months, then delete or pseudonymise it")
    r.add_argument("db", help=db_help)
    r.add_argument("--months", type=int, default=None, help="months to keep (omit: keep all)")
    r.add_argument("--mode", choices=("delete", "pseudonymise"), default="pseudonymise")


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
    if args.command == "funder":
        return _run_funder(args)
    if args.command == "darp":
        return _run_darp(args)
    if args.command in ("signals", "whocan"):
        return _run_signals(args) if args.command == "signals" else _run_whocan(args)
    if args.command == "store":
        return _run_store(args)
    if args.command == "match" and (args.store or args.publish):
        return _run_match_store(args)
    if args.command == "match" and (args.registry is None or args.out is None):
        raise InvalidSettingsError(
            "match needs a REGISTRY and --out (or --store DB to match a store's registry)."
        )
    reg = load_demo() if args.command == "demo" else _load(args.registry)
    assert isinstance(reg, Registry)
    plan = _match(reg, args)
    assert isinstance(plan, Plan)
    print(plan.summary(args.lang))
    violations = check(reg, plan)
    if not violations.empty:  # pragma: no cover - a bug, reported loudly
        print(f"WARNING: the plan breaks {len(violations)} hard rules:", file=sys.stderr)
        print(violations.to_string(index=False), file=sys.stderr)
        return 1
    if args.out:
        out = plan.to_csv(args.out)
        print(f"plan written to {out}/ (assignments.csv, unmatched.csv, metrics.json)")
    _write_outputs(args, reg, plan)
    return 0


def _write_outputs(args: argparse.Namespace, reg: object, plan: object) -> None:
    from matchkracht.data.registry import Registry
    from matchkracht.outputs import to_ics, write_messages, write_roster

    assert isinstance(reg, Registry)
    if args.ics:
        files = to_ics(plan, args.ics, reg, lang=args.lang)
        print(f"{len(files)} calendars written to {args.ics}/")
    if args.roster:
        print(f"roster written to {write_roster(plan, args.roster, reg, lang=args.lang)}")
    if args.messages:
        texts = write_messages(plan, args.messages, reg, lang=args.lang, residents=args.residents)
        print(f"{len(texts)} messages written to {args.messages}/")


def _run_funder(args: argparse.Namespace) -> int:
    from matchkracht.data.registry import Registry
    from matchkracht.outputs import funder_report
    from matchkracht.plan.result import Plan

    reg = _load(args.registry)
    assert isinstance(reg, Registry)
    plan = Plan.read_csv(args.plan) if args.plan else None
    report = funder_report(
        reg, plan, start=args.start, end=args.end, rate_per_km=args.rate, lang=args.lang,
        map=not args.no_map,
    )  # fmt: skip
    out = Path(args.out)
    report.to_excel(out / "funder.xlsx")
    report.to_html(out / "funder.html")
    print(report.summary())
    print(f"written to {out}/ (funder.xlsx, funder.html)")
    return 0


def _open_store(db: str, *, create: bool = False) -> object:
    """The store at ``db``; a SQLite file must exist unless ``create``."""
    from matchkracht.store import Store

    if not create and "://" not in db and not Path(db).is_file():
        raise MatchkrachtError(
            f"There is no store at {db} (make one with `matchkracht store import`)."
        )
    return Store(db)


def _run_store(args: argparse.Namespace) -> int:
    from matchkracht.store import Store

    store = _open_store(args.db, create=args.store_command == "import")
    assert isinstance(store, Store)
    with store:
        if args.store_command == "import":
            reg = store.import_registry(args.registry)
            print(f"imported into {args.db}: {reg!r}")
        elif args.store_command == "confirm":
            n = store.confirm(args.week)
            print(f"{args.week} confirmed: {n} assignments added to the history")
        elif args.store_command == "export":
            out = store.export(args.dir)
            print(
                f"written to {out}/ (volunteers.csv, clients.csv, needs.csv, history.csv, plans/)"
            )
        elif args.store_command == "forget":
            if args.client is not None:
                n = store.forget(args.client)
                print(f"client {args.client} forgotten ({n} history and plan rows pseudonymised)")
            else:
                n = store.forget_volunteer(args.volunteer)
                print(
                    f"volunteer {args.volunteer} forgotten ({n} history and plan rows pseudonymised)"
                )
        elif args.store_command == "plans":
            table = store.plans()
            print(
                table.drop(columns="changes").to_string(index=False) if len(table) else "no plans"
            )
        elif args.store_command == "retention":
            store.set_retention(args.months, args.mode)
            if args.months is None:
                print("retention removed: the store keeps all history")
            else:
                n = store.apply_retention()
                print(f"history is kept {args.months} months, then {args.mode}d ({n} rows now)")
    return 0


def _run_match_store(args: argparse.Namespace) -> int:
    from matchkracht.api import match
    from matchkracht.plan.check import check
    from matchkracht.store import Store

    if args.store is None or args.registry is not None:
        raise InvalidSettingsError("match --publish needs --store DB and no REGISTRY.")
    store = _open_store(args.store)
    assert isinstance(store, Store)
    with store:
        reg = store.registry()
        published = store.plans()
        published = published[(published["week"] == args.week) & published["confirmed_at"].isna()]
        if args.weeks == 1 and len(published):
            # start from the published plan: keep it, fit in what changed in the registry
            result = store.replan(args.week, [], **_settings(args))
            plan = result.plan
            counts = ", ".join(f"{n} {k}" for k, n in result.counts.items() if n)
            print(f"re-planned from published version {int(published['version'].max())}: {counts}")
        else:
            plan = match(reg, week=args.week, weeks=args.weeks, lang=args.lang, **_settings(args))  # type: ignore[arg-type]
        print(plan.summary(args.lang))
        violations = check(reg, plan)
        if not violations.empty:  # pragma: no cover - a bug, reported loudly
            print(f"WARNING: the plan breaks {len(violations)} hard rules:", file=sys.stderr)
            return 1
        if args.out:
            print(f"plan written to {plan.to_csv(args.out)}/")
        _write_outputs(args, reg, plan)
        if args.publish:
            print(store.publish(plan).summary())
    return 0


def _run_darp(args: argparse.Namespace) -> int:
    import json

    from matchkracht.plan.darp_check import check_routes
    from matchkracht.problem.darp import read_cordeau
    from matchkracht.solver.trips import solve_darp

    inst = read_cordeau(args.instance)
    sol = solve_darp(
        inst,
        time_limit=args.time_limit,
        method=args.method,
        solution_limit=args.solution_limit,
        seed=args.seed,
    )
    if sol.status != "feasible":
        left = sol.stats.get("left_out", inst.num_requests)
        print(
            f"{inst.name}: no routes serving every request in {sol.seconds:.1f} s ({left} left out)"
        )
        return 1
    violations = check_routes(inst, sol.routes, sol.times)
    if violations:  # pragma: no cover - a bug, reported loudly
        print(f"WARNING: the routes break {len(violations)} rules:", file=sys.stderr)
        for v in violations:
            print(f"  {v.rule} vehicle {v.vehicle} node {v.node}: {v.detail}", file=sys.stderr)
        return 1
    print(
        f"{inst.name}: cost {sol.cost:.2f}, {sum(map(bool, sol.routes))} vehicles, {sol.seconds:.1f} s"
    )
    if args.out:
        doc = {
            "cost": sol.cost,
            "routes": [
                [{"node": v, "time": t} for v, t in zip(r, ts, strict=True)]
                for r, ts in zip(sol.routes, sol.times, strict=True)
            ],
        }
        Path(args.out).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"routes written to {args.out}")
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
    expl = explain_plan(reg, plan, problem=problem, lang=args.lang)
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
            time_limit=args.time_limit, seed=args.seed, lang=args.lang,
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
        timings=timings, lang=args.lang,
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
