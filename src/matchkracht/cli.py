"""Command line: ``matchkracht match``, ``matchkracht demo``, ``matchkracht validate``.

Exit codes: 0 success, 2 invalid registry or arguments, 1 unexpected error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from matchkracht.errors import InvalidRegistryError, InvalidSettingsError, MatchkrachtError

__all__ = ["main"]


def _load(path: str) -> object:
    from matchkracht.registry import Registry

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


def _run(args: argparse.Namespace) -> int:
    from matchkracht.api import match
    from matchkracht.check import check
    from matchkracht.demo import load_demo
    from matchkracht.registry import Registry

    if args.command == "validate":
        reg = _load(args.registry)
        print(f"valid: {reg!r}")
        return 0
    reg = load_demo() if args.command == "demo" else _load(args.registry)
    assert isinstance(reg, Registry)
    plan = match(reg, week=args.week, weeks=args.weeks, **_settings(args))  # type: ignore[arg-type]
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
