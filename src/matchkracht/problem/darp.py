"""A dial-a-ride instance as frozen numpy arrays, and a reader for Cordeau's files.

Nodes are numbered as in Cordeau (2006): ``0`` is the start depot, ``1..n`` the
pickups, ``n+1..2n`` the deliveries (request ``i`` is picked up at ``i`` and
delivered at ``n+i``) and ``2n+1`` the end depot. Travel time equals the
Euclidean distance. This module is numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from matchkracht.errors import MatchkrachtError
from matchkracht.problem.core import FloatArray, IntArray, frozen

__all__ = ["DarpInstance", "InvalidInstanceError", "read_cordeau"]


class InvalidInstanceError(MatchkrachtError, ValueError):
    """A dial-a-ride instance file that does not follow Cordeau's format."""


@dataclass(frozen=True, eq=False)
class DarpInstance:
    """A static dial-a-ride problem (Cordeau 2006).

    Attributes
    ----------
    name
        The instance name, e.g. ``"a2-16"``.
    num_vehicles, capacity, max_route_duration, max_ride_time
        ``K``, ``Q``, ``T`` and ``L`` of the paper.
    xy
        ``(2n+2, 2)`` coordinates.
    service, load, early, late
        Per node: service duration ``d``, load change ``q`` (+1 at a pickup,
        -1 at its delivery), time window ``[e, l]`` for the start of service.
    """

    name: str
    num_vehicles: int
    capacity: int
    max_route_duration: float
    max_ride_time: float
    xy: FloatArray
    service: FloatArray
    load: IntArray
    early: FloatArray
    late: FloatArray

    @property
    def num_requests(self) -> int:
        """``n``, the number of requests."""
        return (len(self.xy) - 2) // 2

    @property
    def end_depot(self) -> int:
        """The node index of the end depot, ``2n+1``."""
        return len(self.xy) - 1

    @cached_property
    def distance(self) -> FloatArray:
        """Euclidean distances (= travel times) between all nodes."""
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        out: FloatArray = frozen(np.sqrt((diff**2).sum(axis=2)), np.float64)
        return out


def read_cordeau(path: str | Path, name: str | None = None) -> DarpInstance:
    """Read an instance in Cordeau's text format.

    The first line is ``K 2n T Q L``; then one line per node: ``id x y d q e l``.
    When the end depot's line is missing (some copies stop at node ``2n``),
    the start depot's line stands in for it.

    Parameters
    ----------
    path
        The instance file.
    name
        The instance name; the file's stem by default.

    Raises
    ------
    InvalidInstanceError
        When the file does not follow the format (each problem listed).
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInstanceError(f"{p.name}: no such file")
    lines = [ln.split() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
    problems: list[str] = []
    if not lines or len(lines[0]) < 5:
        raise InvalidInstanceError(f"{p.name}: line 1 must be 'K 2n T Q L'.")
    head = lines[0]
    try:
        k, two_n, t, q, ride = (
            int(head[0]),
            int(head[1]),
            float(head[2]),
            int(head[3]),
            float(head[4]),
        )
    except ValueError:
        raise InvalidInstanceError(f"{p.name}: line 1 must be 'K 2n T Q L', got {head}.") from None
    rows: list[list[float]] = []
    for no, parts in enumerate(lines[1:], start=2):
        try:
            if len(parts) < 7:
                raise ValueError
            rows.append([float(v) for v in parts[:7]])
        except ValueError:
            problems.append(f"line {no}: expected 'id x y d q e l', got {' '.join(parts)!r}")
    if len(rows) == two_n + 1:
        rows.append([two_n + 1, *rows[0][1:]])
    if len(rows) != two_n + 2 and not problems:
        problems.append(f"expected {two_n + 2} node lines (0..{two_n + 1}), got {len(rows)}")
    if two_n % 2:
        problems.append(f"line 1: 2n must be even, got {two_n}")
    if problems:
        raise InvalidInstanceError(f"{p.name}: " + "; ".join(problems))
    arr = np.array(rows, dtype=np.float64)
    n = two_n // 2
    bad = [int(i) for i in range(1, n + 1) if arr[i, 4] != -arr[n + i, 4] or arr[i, 4] <= 0]
    if bad:
        raise InvalidInstanceError(
            f"{p.name}: requests {bad[:10]} do not load q > 0 at pickup i and unload -q at n+i."
        )
    return DarpInstance(
        name=name or p.stem,
        num_vehicles=k,
        capacity=q,
        max_route_duration=t,
        max_ride_time=ride,
        xy=frozen(arr[:, 1:3], np.float64),
        service=frozen(arr[:, 3], np.float64),
        load=frozen(arr[:, 4].round(), np.int64),
        early=frozen(arr[:, 5], np.float64),
        late=frozen(arr[:, 6], np.float64),
    )
