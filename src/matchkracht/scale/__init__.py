"""Run independent parts of a decomposed problem in parallel, on Dask or in process.

Dask is an optional extra (``pip install matchkracht[dask]``); without a
client everything runs in this process, one part after another.
"""

from __future__ import annotations

from matchkracht.scale.cluster import (
    PartFunction,
    connect,
    map_parts,
    part_threads,
)

__all__ = ["PartFunction", "connect", "map_parts", "part_threads"]
