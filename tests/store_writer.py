"""A process that forks store writers on request, for the SIGKILL test (test_store_durability).

It imports matchkracht once and reads the two plans and the two registries the
writers alternate between; then, for every line ``go MODE LOG OFFSET`` on its
standard input, it forks a writer and prints ``pid PID``. The writer opens the
store and writes in a loop (``publish``: plan A, plan B, A, ... as new versions
of one week; ``import``: registry A, B, A, ..., or B, A, B, ... for
OFFSET 1), logging ``begin K`` before and
``done K SECONDS`` after each write, until it is killed. The test kills it with SIGKILL
and writes ``wait PID``; this process reaps the writer and prints ``reaped``.

Forking from a fresh, single-threaded interpreter makes a writer start in
milliseconds, so the test can kill many writers at many moments.
"""

from __future__ import annotations

import os
import sys
import time


def _writer(db: str, mode: str, log_path: str, offset: int, plans: list, registries: list) -> None:
    import matchkracht as mk

    log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - until killed
    store = mk.Store(db)
    if mode == "publish":
        plans_table = store.plans()
        version = int(plans_table["version"].max()) if len(plans_table) else 0
    log.write("ready\n")
    k = 0
    while True:
        k += 1
        log.write(f"begin {k}\n")
        t0 = time.monotonic()
        if mode == "publish":
            version += 1
            store.publish(plans[(version - 1) % 2], week="2026-W49")
        else:
            store.import_registry(registries[(k - 1 + offset) % 2])
        log.write(f"done {k} {time.monotonic() - t0:.4f}\n")


def _warm_up(plans: list, registries: list) -> None:
    """Run each kind of write once on a scratch store, so writers start with warm caches."""
    import tempfile

    import matchkracht as mk

    with tempfile.TemporaryDirectory() as tmp, mk.Store(f"{tmp}/warm.db") as store:
        store.import_registry(registries[0])
        store.import_registry(registries[1])
        store.publish(plans[0], week="2026-W49")
        store.publish(plans[1], week="2026-W49")
        store.plans()
        store.registry()


def main() -> None:
    db, plan_a, plan_b, reg_a, reg_b = sys.argv[1:6]
    import matchkracht as mk

    plans = [mk.Plan.read_csv(plan_a), mk.Plan.read_csv(plan_b)]
    registries = [mk.Registry.from_folder(reg_a), mk.Registry.from_folder(reg_b)]
    _warm_up(plans, registries)
    print("loaded", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "go":
            pid = os.fork()
            if pid == 0:
                try:
                    _writer(db, words[1], words[2], int(words[3]), plans, registries)
                finally:
                    os._exit(1)
            print(f"pid {pid}", flush=True)
        elif words[0] == "wait":
            _, status = os.waitpid(int(words[1]), 0)
            print(f"reaped {status}", flush=True)
        elif words[0] == "quit":
            return


if __name__ == "__main__":
    main()
