"""Small helpers shared by the model's parts: grouping positions and flat linear sums."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

__all__ = ["BoolArray", "Derived", "IntArray", "groups", "lsum"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
#: An auxiliary integer variable with how to compute its value from a plan
#: (positions chosen), for complete hints.
Derived = tuple[cp_model.IntVar, Callable[[BoolArray], int]]


def groups(key: IntArray) -> list[IntArray]:
    """Positions grouped by equal ``key``, groups in key order (stable within a group)."""
    order = np.argsort(key, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(key[order])) + 1)


def lsum(items: list[Any]) -> cp_model.LinearExpr:
    """A flat linear sum (much lighter than Python's ``sum`` on many terms)."""
    return cp_model.LinearExpr.sum(items)
