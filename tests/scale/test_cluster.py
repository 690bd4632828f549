"""map_parts: in process and on a LocalCluster, results in order, a dying worker retried."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import numpy as np
import pytest

from matchkracht.scale import map_parts, part_threads


def weighted(shared: np.ndarray, item: tuple[int, ...], threads: int) -> tuple[int, int, int]:
    """A stand-in part function: the part's weight, the threads it got, its process."""
    return int(shared[list(item)].sum()), threads, os.getpid()


def slow_weighted(shared: np.ndarray, item: tuple[int, ...], threads: int) -> tuple[int, int, int]:
    """``weighted`` after a pause (long enough to kill a worker meanwhile)."""
    time.sleep(0.4)
    return weighted(shared, item, threads)


def concurrent(shared: dict[str, Any], item: int, threads: int) -> int:
    """Counts the parts running at once in this process (the lock keeps it at one)."""
    del shared, threads
    global _RUNNING, _MOST
    with _COUNT:
        _RUNNING += 1
        _MOST = max(_MOST, _RUNNING)
    time.sleep(0.05)
    with _COUNT:
        _RUNNING -= 1
    return _MOST


_COUNT = threading.Lock()
_RUNNING = 0
_MOST = 0

WEIGHTS = np.arange(100, dtype=np.int64)
ITEMS = [tuple(range(i, 100, 7)) for i in range(7)]
EXPECTED = [int(WEIGHTS[list(item)].sum()) for item in ITEMS]


def test_in_process_runs_here_in_order() -> None:
    out = map_parts(weighted, WEIGHTS, ITEMS, threads=3)
    assert [w for w, _, _ in out] == EXPECTED
    assert {t for _, t, _ in out} == {3}
    assert {pid for _, _, pid in out} == {os.getpid()}


def test_part_threads_never_exceed_the_worker() -> None:
    assert part_threads(0, 2) == 2
    assert part_threads(1, 2) == 1
    assert part_threads(4, 2) == 2
    assert part_threads(0, 0) == 1


def test_dask_gives_the_same_results_on_the_workers(client: Any) -> None:
    out = map_parts(weighted, WEIGHTS, ITEMS, cluster=client)
    assert [w for w, _, _ in out] == EXPECTED
    # threads from the workers' resources (one each), never this process
    assert {t for _, t, _ in out} == {1}
    assert os.getpid() not in {pid for _, _, pid in out}


def test_dask_empty_items(client: Any) -> None:
    assert map_parts(weighted, WEIGHTS, [], cluster=client) == []


def test_one_part_at_a_time_per_worker() -> None:
    Client = pytest.importorskip("distributed").Client  # noqa: N806

    with Client(n_workers=1, threads_per_worker=3, processes=False, dashboard_address=":0") as c:
        out = map_parts(concurrent, {}, list(range(6)), cluster=c)
    assert max(out) == 1


def test_a_killed_worker_is_retried_and_the_plan_complete(client: Any) -> None:
    """Kill one worker process mid-map: every part still comes back, right."""
    pids = list(client.run(os.getpid).values())
    assert len(pids) == 2
    items = ITEMS * 2
    result: list[Any] = []
    run = threading.Thread(
        target=lambda: result.append(map_parts(slow_weighted, WEIGHTS, items, cluster=client))
    )
    run.start()
    # wait until a part runs, then kill the worker process running it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = [
            w
            for w, tasks in client.processing().items()
            if any(str(k).startswith("matchkracht-part-") for k in tasks)
        ]
        if busy:
            break
        time.sleep(0.02)
    assert busy, "no part started"
    (victim,) = client.run(os.getpid, workers=busy[:1]).values()
    assert run.is_alive()  # killed mid-map
    os.kill(victim, signal.SIGKILL)
    run.join(timeout=60)
    assert not run.is_alive()
    (out,) = result
    assert [w for w, _, _ in out] == EXPECTED * 2
    # the nanny starts a new worker process in its place
    client.wait_for_workers(2, timeout=30)
    assert victim not in client.run(os.getpid).values()
