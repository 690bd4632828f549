"""A small LocalCluster shared by the Dask tests (two worker processes, one thread each)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    """A client of a LocalCluster with two single-threaded worker processes."""
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    # the test modules are not installed: send their functions by value
    cloudpickle.register_pickle_by_value(sys.modules[__package__])
    # worker processes start with this sys.path: let them import benchmarks too
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)
    with distributed.Client(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        memory_limit="2GiB",
    ) as c:
        yield c
