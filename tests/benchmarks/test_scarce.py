"""The generator's ``scarce`` family: supply well below demand, and its bound in the runner."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks import generate as gen
from benchmarks import run as bench_run


def _days(availability: str) -> int:
    return len({item.split()[0] for item in availability.split(";") if item.strip()})


def test_scarce_volunteers_give_few_days_and_hours_and_fewer_drive() -> None:
    base = gen.generate("village", seed=1)
    scarce = gen.generate("village", seed=1, variant="scarce")
    assert gen.self_check(scarce) == []
    vol = scarce["volunteers"]
    assert max(_days(a) for a in vol["availability"]) <= gen.SCARCE_DAYS
    assert max(_days(a) for a in base["volunteers"]["availability"]) > gen.SCARCE_DAYS
    hours = pd.to_numeric(vol["max_hours_per_week"])
    assert hours.notna().all() and (hours <= gen.SCARCE_MAX_HOURS).all()

    def drivers(frame: pd.DataFrame) -> int:
        return int(frame["skills"].str.contains("driver").sum())

    assert drivers(vol) < drivers(base["volunteers"])
    facts, base_facts = gen.summary(scarce), gen.summary(base)
    assert facts["supply_hours"] < 0.7 * base_facts["supply_hours"]
    # the same needs, visit and chore windows half as wide
    width = {
        k: np.array(
            [
                int(w[6:8]) * 60 + int(w[9:]) - int(w[:2]) * 60 - int(w[3:5])
                for w in f["needs"]["window"]
            ]
        )
        for k, f in (("base", base), ("scarce", scarce))
    }
    kinds = scarce["needs"]["kind"].isin(["visit", "chore"]).to_numpy()
    assert (width["scarce"][kinds] < width["base"][kinds]).any()
    assert (width["scarce"][~kinds] == width["base"][~kinds]).all()


def test_standard_and_full_suites_hold_the_scarce_family() -> None:
    standard = {i.name for i in bench_run.suite_instances("standard")}
    full = {i.name for i in bench_run.suite_instances("full")}
    assert {"village/scarce", "municipality/scarce"} <= standard
    assert {"village/scarce", "municipality/scarce", "region/scarce"} <= full
