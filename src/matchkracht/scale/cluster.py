"""Map a function over independent parts, on a Dask cluster or in this process.

The parts of a decomposed problem (components that share no volunteer, see
:func:`matchkracht.solver.cpsat.components`) can be solved anywhere: each needs
only the frozen :class:`~matchkracht.problem.core.Problem` (numpy arrays) and
its own small inputs. :func:`map_parts` sends the problem to every Dask worker
once and one task per part; the CP-SAT model of a part is built on the worker
and never travels.

Dask is optional (``pip install matchkracht[dask]``) and imported only when a
client is given.

Examples
--------
In process (no client) the function runs here, part after part:

>>> def total(shared, item, threads):
...     return sum(shared[i] for i in item)
>>> map_parts(total, [10, 20, 30], [(0, 1), (2,)])
[30, 30]
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DEFAULT_RETRIES", "PartFunction", "connect", "map_parts", "part_threads"]

logger = logging.getLogger("matchkracht")

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

#: A part function: ``fn(shared, item, threads) -> result``. ``shared`` is the
#: same object for every part (sent once), ``item`` the part's own input and
#: ``threads`` the number of CP-SAT search workers it may use (0: one per core).
PartFunction = Callable[[S, T, int], R]

#: How often Dask re-runs a part whose function raised (a worker that dies is
#: handled apart: the scheduler moves its parts to another worker, up to
#: ``distributed.scheduler.allowed-failures`` times).
DEFAULT_RETRIES = 2

# One part at a time per worker process: a part's CP-SAT search uses all the
# worker's threads, so a second concurrent part would oversubscribe them.
_SOLVE_LOCK = threading.Lock()


def part_threads(requested: int, available: int) -> int:
    """CP-SAT threads for a part on a worker with ``available`` threads.

    ``requested`` > 0 (an explicit ``workers`` setting, needed for
    deterministic mode to repeat a plan) is kept unless it exceeds what the
    worker has; 0 means all the worker's threads.

    >>> part_threads(0, 4), part_threads(2, 4), part_threads(8, 4)
    (4, 2, 4)
    """
    available = max(int(available), 1)
    if requested <= 0:
        return available
    if requested > available:
        logger.warning(
            "a part asked for %d CP-SAT workers on a worker with %d threads; using %d",
            requested,
            available,
            available,
        )
        return available
    return requested


def _on_worker(fn: PartFunction[S, T, R], shared: S, item: T, threads: int) -> R:
    """Run one part on a Dask worker: one part at a time, threads from the worker."""
    from distributed import get_worker

    worker = get_worker()
    use = part_threads(threads, worker.state.nthreads)
    with _SOLVE_LOCK:
        return fn(shared, item, use)


def map_parts(
    fn: PartFunction[S, T, R],
    shared: S,
    items: Sequence[T],
    *,
    cluster: Client | None = None,
    threads: int = 0,
    retries: int = DEFAULT_RETRIES,
) -> list[R]:
    """Apply ``fn(shared, item, threads)`` to every item; results in item order.

    Parameters
    ----------
    fn
        A picklable module-level function (it runs on the workers).
    shared
        Data every part reads (the frozen problem); sent to every worker once.
    items
        Per-part inputs, small (index arrays, budgets, hints).
    cluster
        A :class:`distributed.Client`; ``None`` runs every part here, in order.
    threads
        CP-SAT search workers per part; 0 means one per core in process and
        all of a worker's threads on Dask (see :func:`part_threads`).
    retries
        Re-runs of a part whose function raised (Dask ``retries=``).

    Returns
    -------
    list
        ``fn``'s result for each item, in the order of ``items``.
    """
    if cluster is None:
        return [fn(shared, item, threads) for item in items]
    if not items:
        return []
    token = uuid.uuid4().hex[:8]
    # broadcast: a copy on every worker, so a worker that dies loses no input;
    # in a list, so that a dict is sent as one object (not scattered by key)
    (shared_future,) = cluster.scatter([shared], broadcast=True, hash=False)  # type: ignore[no-untyped-call]
    try:
        futures = [
            cluster.submit(
                _on_worker,
                fn,
                shared_future,
                item,
                threads,
                key=f"matchkracht-part-{token}-{i}",
                pure=False,
                retries=retries,
            )
            for i, item in enumerate(items)
        ]
        results: list[R] = cluster.gather(futures)  # type: ignore[no-untyped-call]
    finally:
        del shared_future
    logger.info("solved %d parts on Dask (%s)", len(items), _describe(cluster))
    return results


def _describe(cluster: Client) -> str:
    workers = cluster.scheduler_info().get("workers", {})
    threads = sum(int(w.get("nthreads", 0)) for w in workers.values())
    return f"{len(workers)} workers, {threads} threads"


def _local_shape(spec: str) -> tuple[int, int]:
    """Workers and threads per worker of ``local`` or ``local:WxT``.

    >>> _local_shape("local:2x1")
    (2, 1)
    """
    cores = os.cpu_count() or 1
    if spec == "local":
        # CP-SAT's portfolio wants more than one thread per part
        threads = min(cores, 2)
        return max(cores // threads, 1), threads
    try:
        workers, threads = (int(x) for x in spec.removeprefix("local:").split("x"))
    except ValueError:
        from matchkracht.errors import InvalidSettingsError

        raise InvalidSettingsError(
            f"The 'dask' parameter must be an address, 'local' or 'local:WxT' "
            f"(workers x threads); got {spec!r} instead."
        ) from None
    return max(workers, 1), max(threads, 1)


def connect(address: str, **kwargs: Any) -> Client:
    """A Dask client for a scheduler ``address``, or a new local cluster.

    Parameters
    ----------
    address
        ``tcp://host:8786`` (any scheduler address), ``local`` (a
        :class:`distributed.LocalCluster` of this machine: two threads per
        worker, one worker per two cores) or ``local:WxT`` (W workers of T
        threads each).
    **kwargs
        Passed to :class:`distributed.LocalCluster` for a local cluster.

    Returns
    -------
    distributed.Client
        Close it when done (a local cluster closes with it).
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the install
        from matchkracht.errors import InvalidSettingsError

        raise InvalidSettingsError(
            "Dask is not installed; install the extra: pip install 'matchkracht[dask]'."
        ) from exc
    if address == "local" or address.startswith("local:"):
        workers, threads = _local_shape(address)
        kwargs.setdefault("dashboard_address", ":0")
        # a client given cluster arguments starts a LocalCluster it owns (and closes)
        return Client(n_workers=workers, threads_per_worker=threads, processes=True, **kwargs)  # type: ignore[no-untyped-call]
    return Client(address)  # type: ignore[no-untyped-call]
