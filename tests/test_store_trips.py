"""A plan with trips in the store: published and read back whole, and forgotten people
leave no trace in its outings (SQLite and PostgreSQL)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

import matchkracht as mk
from matchkracht.plan import check
from matchkracht.store import schema
from tests.builders import BASE_LON, client, need, north, registry, volunteer


def _registry() -> mk.Registry:
    dest = {"dest_lat": north(10.0), "dest_lon": BASE_LON, "kind": "ride", "window": "12:00-12:00"}
    return registry(
        [volunteer("v1", skills="driver")],
        [client("c1"), client("c2", lon=BASE_LON + 0.005)],
        [need("n1", "c1", **dest), need("n2", "c2", return_mode="separate", **dest)],
    )


def test_a_plan_with_trips_is_stored_whole(store_url: str) -> None:
    reg = _registry()
    with mk.Store(store_url) as store:
        store.import_registry(reg)
        plan = mk.match(store.registry(), "2026-W49", time_limit=5, trips=True)
        assert plan.metrics["shared_trips"] == 1
        store.publish(plan)
        back = store.plan("2026-W49")
    pd.testing.assert_frame_equal(back.trips, plan.trips, check_dtype=False)
    cols = ["task_id", "volunteer_id", "trip_id", "leg"]
    assert back.assignments[cols].values.tolist() == plan.assignments[cols].values.tolist()
    assert check(reg, back).empty


def test_forgetting_a_client_rewrites_the_outings(store_url: str) -> None:
    with mk.Store(store_url) as store:
        store.import_registry(_registry())
        store.publish(mk.match(store.registry(), "2026-W49", time_limit=5, trips=True))
        store.forget("c1")
        store.forget_volunteer("v1")
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(schema.trips)).mappings().all()
    assert rows
    text = " ".join(str(v) for r in rows for v in r.values())
    for person in ("c1", "n1", "v1"):
        assert f" {person}" not in f" {text}" and f"{person}@" not in text
    assert "c2" in text  # the other resident stays
