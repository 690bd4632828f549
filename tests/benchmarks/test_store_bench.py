"""The store benchmark runs end to end on a village (greedy plans, SQLite)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import store as bench_store  # noqa: E402
from benchmarks.run import Instance  # noqa: E402


def test_measure_a_village_store(tmp_path: Path) -> None:
    instance = Instance("village", None, 0)
    folder = bench_store._write(instance, tmp_path / "registry")
    row = bench_store.measure(instance, str(tmp_path / "store.db"), folder, 2, None)
    assert row["store"] == "sqlite" and row["volunteers"] > 0
    assert row["history"] > 0 and row["assignments/week"] > 0
    for key in ("import s", "registry s", "publish s", "confirm s", "republish s", "forget s"):
        assert row[key] >= 0
    assert 0 < row["MiB"] < 10
    table = bench_store._markdown(pd.DataFrame([row]))
    assert table.splitlines()[0].startswith("| instance | store |")
