"""Nothing lost: writers killed with SIGKILL at random moments leave only whole writes.

A writer process publishes plans (or imports registries) in a loop and is
killed with SIGKILL after a random delay, many times. After every kill the
store must open, pass ``PRAGMA integrity_check`` and hold exactly the writes
that were committed: every write the writer saw return, plus at most the one
it was in the middle of, and that one whole or not at all (never half a plan,
never the volunteers of one registry with the needs of another).

The number of kills per kind is ``MATCHKRACHT_KILLS`` (default 40). The
figures (kills, delays, how many landed inside a write and how many of those
had committed) are printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import matchkracht as mk
from matchkracht.store import schema

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")

WEEK = mk.DEMO_WEEK
KILLS = int(os.environ.get("MATCHKRACHT_KILLS", "40"))
#: Kill after a random delay up to this many seconds from the writer's start.
MAX_DELAY = {"publish": 0.4, "import": 0.6}


class Zygote:
    """The helper process (tests/store_writer.py) that forks writers for us."""

    def __init__(self, *args: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("store_writer.py")), *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self._read() == "loaded"
        #: seconds of the writes that returned, per mode
        self.durations: dict[str, list[float]] = {}

    def _read(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def _send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def start(self, mode: str, log: Path, offset: int = 0) -> int:
        self._send(f"go {mode} {log} {offset}")
        word, pid = self._read().split()
        assert word == "pid"
        return int(pid)

    def reap(self, pid: int) -> None:
        self._send(f"wait {pid}")
        assert self._read().startswith("reaped")

    def close(self) -> None:
        self._send("quit")
        self.proc.wait(timeout=30)

    def kill_one(
        self, mode: str, log: Path, rng: random.Random, delays: list[float], offset: int = 0
    ) -> tuple[int, bool]:
        """Start a writer, SIGKILL it after a random delay; what its log says (see _log).

        The delay is drawn up to three times the median write seen so far (at least
        :data:`MAX_DELAY`), so kills land in the first, second and third write, before
        and after commits, however fast this machine writes.
        """
        pid = self.start(mode, log, offset)
        _wait_ready(log)
        seen = self.durations.setdefault(mode, [])
        longest = max(MAX_DELAY[mode], 3 * statistics.median(seen) if seen else 0.0)
        delays.append(rng.uniform(0.0, longest))
        time.sleep(delays[-1])
        os.kill(pid, signal.SIGKILL)
        self.reap(pid)
        return _log(log, seen)


def _wait_ready(log: Path, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if log.exists() and log.read_text(encoding="utf-8").startswith("ready\n"):
            return
        time.sleep(0.002)
    raise AssertionError("the writer did not start")


def _log(log: Path, durations: list[float]) -> tuple[int, bool]:
    """Writes the writer saw return, and whether it was killed inside a write.

    The seconds of each write the writer saw return are added to ``durations``.
    """
    lines = log.read_text(encoding="utf-8").splitlines()
    done = [line.split() for line in lines if line.startswith("done")]
    durations.extend(float(words[2]) for words in done)
    return len(done), lines[-1].startswith("begin")


def _integrity(db: Path) -> None:
    with mk.Store(db) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        p, a, u = schema.plans, schema.assignments, schema.unmatched
        for table, column in ((a, p.c.assignments), (u, p.c.unmatched)):
            rows = sa.select(sa.func.count()).where(table.c.plan_id == p.c.plan_id)
            broken = conn.execute(
                sa.select(p.c.plan_id).where(column != rows.scalar_subquery())
            ).all()
            assert broken == [], "half a plan"


def _pairs(plan: mk.Plan) -> list[tuple[str, str]]:
    a = plan.assignments
    return list(zip(a["task_id"], a["volunteer_id"], strict=True))


def _same(a: mk.Registry, b: mk.Registry) -> bool:
    return (
        a.volunteer_records == b.volunteer_records
        and a.client_records == b.client_records
        and a.need_records == b.need_records
        and a.history_records == b.history_records
    )


def _inputs(tmp: Path) -> tuple[list[mk.Plan], list[mk.Registry], list[Path]]:
    reg_a = mk.load_demo()
    vols = reg_a.volunteers.copy()
    vols.loc[0, "max_km"] = "22"
    extra = vols.iloc[[1]].assign(volunteer_id="V-new")
    vols = pd.concat([vols, extra], ignore_index=True)
    reg_b = reg_a.replace(
        volunteers=vols, needs=reg_a.needs.iloc[:-3], history=reg_a.history.iloc[:-5]
    )
    plan_a = mk.match(reg_a, week=WEEK, solver=mk.GreedySolver())
    plan_b = mk.match(reg_a, week=WEEK, time_limit=2, seed=1, workers=1)
    assert _pairs(plan_a) != _pairs(plan_b)
    paths = [
        plan_a.to_csv(tmp / "plan_a"),
        plan_b.to_csv(tmp / "plan_b"),
        reg_a.to_folder(tmp / "reg_a"),
        reg_b.to_folder(tmp / "reg_b"),
    ]
    return [plan_a, plan_b], [reg_a, reg_b], paths


def _figures(
    mode: str, delays: list[float], inside: int, committed: int, writes: int, seconds: list[float]
) -> str:
    return (
        f"{mode}: {len(delays)} SIGKILLs after {min(delays) * 1000:.0f}-{max(delays) * 1000:.0f} ms "
        f"(median {statistics.median(delays) * 1000:.0f} ms); {writes} writes committed "
        f"(median {statistics.median(seconds) * 1000:.0f} ms a write); "
        f"{inside} kills inside a write, of which {committed} after its commit"
    )


@pytest.mark.slow
def test_sigkill_during_publish_and_import_leaves_only_whole_writes(tmp_path: Path) -> None:
    plans, registries, paths = _inputs(tmp_path)
    db = tmp_path / "store.db"
    with mk.Store(db) as store:
        store.import_registry(registries[0])
    zygote = Zygote(db, *paths)
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    report = [f"random seed {seed}"]
    try:
        # -- publish: versions of one week, plan A and plan B in turn ------------------
        versions = 0
        delays: list[float] = []
        inside = committed = 0
        for i in range(KILLS):
            done, in_flight = zygote.kill_one("publish", tmp_path / f"p{i}.log", rng, delays)
            _integrity(db)
            with mk.Store(db) as store:
                now = int((store.plans()["week"] == WEEK).sum())
                assert now - versions in ((done, done + 1) if in_flight else (done,))
                inside += in_flight
                committed += now - versions - done
                for v in range(versions + 1, now + 1):  # each new version whole, A or B
                    assert _pairs(store.plan(WEEK, version=v)) == _pairs(plans[(v - 1) % 2])
            versions = now
        assert versions > 0
        report.append(
            _figures("publish", delays, inside, committed, versions, zygote.durations["publish"])
        )

        # -- import: registry A and registry B in turn, with a confirmed week kept -----
        with mk.Store(db) as store:
            store.confirm(WEEK)
            confirmed = store.counts()["history"] - len(registries[0].history)
        state: mk.Registry = registries[0]
        delays, inside, committed, writes = [], 0, 0, 0
        for i in range(KILLS):
            # the writer's first import is the other registry, so every write changes the store
            offset = 1 if state is registries[0] else 0
            log = tmp_path / f"i{i}.log"
            done, in_flight = zygote.kill_one("import", log, rng, delays, offset)
            writes += done
            _integrity(db)
            last = registries[(done - 1 + offset) % 2] if done else state
            following = registries[(done + offset) % 2]
            with mk.Store(db) as store:
                assert store.counts()["history"] - _n_imported(store) == confirmed
                stored = _without_confirmed(store.registry(), confirmed)
            if in_flight and _same(stored, following):
                inside += 1
                committed += 1
                state = following
            else:
                inside += in_flight
                assert _same(stored, last), "half an import"
                state = last
        assert writes > 0
        report.append(
            _figures("import", delays, inside, committed, writes, zygote.durations["import"])
        )
    finally:
        zygote.close()
    print("\n" + "\n".join(report))


def _n_imported(store: mk.Store) -> int:
    h = schema.history
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).where(h.c.week.is_(None))).scalar() or 0)


def _without_confirmed(registry: mk.Registry, confirmed: int) -> mk.Registry:
    """The registry without the confirmed week's history (the last ``confirmed`` rows)."""
    history = registry.history.iloc[: len(registry.history) - confirmed]
    return registry.replace(history=history)
