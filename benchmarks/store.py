"""Store benchmark: sizes and timings of a store, and four weeks through it against files.

For each generated instance (default: the municipality and the region, seed 0)
and each backend (SQLite; PostgreSQL when ``--pg URL`` is given) it measures:

* ``import``: ``store.import_registry(folder)`` from the CSV files (reading and
  validating them included);
* ``registry``: ``store.registry()`` (reading the store back and validating it);
* ``publish``, ``confirm``: per week, for ``--weeks`` weeks of plans (median);
* ``republish``: a second version of the last week (with its diff against the first);
* ``forget``: ``store.forget(client)`` of one client with history and plans;
* the store's size on disk (SQLite: the file; PostgreSQL: ``pg_database_size``).

Plans come from the greedy solver by default (the store's work does not depend
on how a plan was found) or from CP-SAT (``--cpsat SECONDS``).

``--equivalence`` plans the municipality (or ``--size``) for ``--weeks`` weeks
twice in deterministic mode, from files (``history.csv`` written and read back
each week) and through the store (import once; match, publish, confirm), and
reports whether every week's plan, its continuity and the care teams are equal.

Usage::

    python -m benchmarks.store                                   # municipality + region, SQLite
    python -m benchmarks.store --pg postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python -m benchmarks.store --equivalence --size municipality --cpsat 1

Prints a table (and writes ``results.md`` to ``--out`` when given).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.run import Instance, _peak_mib, generate_frames

__all__ = ["equivalence", "main", "measure"]

WEEKS = ("2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53", "2027-W01")


def _write(instance: Instance, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in generate_frames(instance).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _size_mib(store: Any) -> float:
    import sqlalchemy as sa

    if store.dialect == "sqlite":
        path = Path(store.engine.url.database)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    with store.engine.connect() as conn:
        return (
            float(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar())
            / 2**20
        )


def reset_postgres(url: str) -> None:
    """Empty the database at ``url`` (drop and recreate its public schema)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _solve(registry: Any, week: str, cpsat: float | None) -> Any:
    import matchkracht as mk

    if cpsat is None:
        return mk.match(registry, week=week, solver=mk.GreedySolver())
    return mk.match(registry, week=week, time_limit=cpsat, seed=0)


def measure(
    instance: Instance, url: str, folder: Path, weeks: int, cpsat: float | None
) -> dict[str, Any]:
    """One row of the table: the timings and sizes of one store."""
    import matchkracht as mk

    store = mk.Store(url)
    t0 = time.perf_counter()
    store.import_registry(folder)
    import_s = time.perf_counter() - t0
    publish, confirm, registry_s = [], [], []
    plan = None
    for week in WEEKS[:weeks]:
        t0 = time.perf_counter()
        registry = store.registry()
        registry_s.append(time.perf_counter() - t0)
        plan = _solve(registry, week, cpsat)
        t0 = time.perf_counter()
        store.publish(plan)
        publish.append(time.perf_counter() - t0)
        if week != WEEKS[weeks - 1]:
            t0 = time.perf_counter()
            store.confirm(week)
            confirm.append(time.perf_counter() - t0)
    assert plan is not None
    t0 = time.perf_counter()
    registry = store.registry()
    registry_s.append(time.perf_counter() - t0)
    moved = plan.assignments.copy()
    moved = moved.iloc[: len(moved) // 2]  # a second version: half the assignments dropped
    t0 = time.perf_counter()
    store.publish(mk.Plan(moved, plan.unmatched, plan.metrics, plan.metadata))
    republish_s = time.perf_counter() - t0
    client = str(plan.assignments["client_id"].iloc[0])
    t0 = time.perf_counter()
    store.forget(client)
    forget_s = time.perf_counter() - t0
    counts = store.counts()
    row = {
        "instance": instance.name,
        "store": store.dialect,
        "volunteers": counts["volunteers"],
        "needs": counts["needs"],
        "history": counts["history"],
        "assignments/week": round(counts["plan_assignments"] / (weeks + 0.5)),
        "MiB": round(_size_mib(store), 1),
        "import s": round(import_s, 2),
        "registry s": round(statistics.median(registry_s), 2),
        "publish s": round(statistics.median(publish), 2),
        "confirm s": round(statistics.median(confirm), 2) if confirm else None,
        "republish s": round(republish_s, 2),
        "forget s": round(forget_s, 2),
        "peak MiB": round(_peak_mib()),
    }
    store.close()
    return row


def equivalence(instance: Instance, weeks: int, time_limit: float) -> pd.DataFrame:
    """Plan ``weeks`` weeks from files and through a SQLite store; compare week by week."""
    import matchkracht as mk

    # a generous wall-clock safety limit: on a loaded machine the default (10x) could end a
    # deterministic search early, and the two runs would differ for that reason alone
    settings = {"time_limit": time_limit, "seed": 0, "deterministic": True, "safety_factor": 1000}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = _write(instance, Path(tmp) / "files")
        source = _write(instance, Path(tmp) / "source")
        store = mk.Store(Path(tmp) / "store.db")
        store.import_registry(source)
        for week in WEEKS[:weeks]:
            t0 = time.perf_counter()
            registry = mk.Registry.from_folder(files)
            file_plan = mk.match(registry, week=week, **settings)
            registry.record(file_plan).to_folder(files)
            file_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            store_plan = mk.match(store.registry(), week=week, **settings)
            store.publish(store_plan)
            store.confirm(week)
            store_s = time.perf_counter() - t0
            a, b = file_plan.assignments, store_plan.assignments
            rows.append(
                {
                    "week": week,
                    "assignments": len(a),
                    "continuity (files)": round(file_plan.metrics["continuity"], 4),
                    "continuity (store)": round(store_plan.metrics["continuity"], 4),
                    "same plan": a[["task_id", "volunteer_id", "start"]].equals(
                        b[["task_id", "volunteer_id", "start"]]
                    ),
                    "files s": round(file_s, 1),
                    "store s": round(store_s, 1),
                }
            )
        teams = [_teams(mk.Registry.from_folder(files)), _teams(store.registry())]
        store.close()
    out = pd.DataFrame(rows)
    out.attrs["same care teams"] = teams[0] == teams[1]
    out.attrs["care teams"] = len(teams[0])
    return out


def _markdown(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False, name=None):
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)


def _teams(registry: Any) -> dict[str, frozenset[str]]:
    teams: dict[str, set[str]] = {}
    for entry in registry.history_records:
        teams.setdefault(entry.need_id, set()).add(entry.volunteer_id)
    return {k: frozenset(v) for k, v in teams.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the store benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store", description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["municipality", "region"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--pg", default=None, help="also measure a PostgreSQL store at this URL")
    parser.add_argument("--cpsat", type=float, default=None, help="CP-SAT plans, seconds a week")
    parser.add_argument("--equivalence", action="store_true", help="files vs store, deterministic")
    parser.add_argument("--size", default="municipality", help="instance of --equivalence")
    parser.add_argument("--out", default=None, help="write results.md here")
    args = parser.parse_args(argv)
    lines = []
    if args.equivalence:
        table = equivalence(Instance(args.size, None, args.seed), args.weeks, args.cpsat or 1.0)
        lines += [
            f"Files vs store, {args.size} seed {args.seed}, deterministic "
            f"(time limit {args.cpsat or 1.0}):",
            _markdown(table),
            f"care teams equal: {table.attrs['same care teams']} ({table.attrs['care teams']} needs)",
        ]
    else:
        rows = []
        for size in args.sizes:
            instance = Instance(size, None, args.seed)
            with tempfile.TemporaryDirectory() as tmp:
                folder = _write(instance, Path(tmp) / "registry")
                rows.append(
                    measure(instance, str(Path(tmp) / "store.db"), folder, args.weeks, args.cpsat)
                )
                if args.pg:
                    reset_postgres(args.pg)
                    rows.append(measure(instance, args.pg, folder, args.weeks, args.cpsat))
            print(pd.DataFrame(rows).tail(2 if args.pg else 1).to_string(index=False), flush=True)
        lines.append(_markdown(pd.DataFrame(rows)))
    text = "\n\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "results.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
