"""Shared helpers: tiny registries built from pandas DataFrames.

The tiny registry lives in a small village (coordinates around Venlo) and is
planned for ISO week 2026-W49 (Monday 2026-11-30 to Sunday 2026-12-06). Its
names carry diacritics on purpose (UTF-8 round trips, privacy checks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from matchkracht import Registry

WEEK = "2026-W49"
DATA = Path(__file__).parent / "data"

#: Personal data in the tiny registry; it must never appear in messages.
NAMES = ("Zoë Çelik", "Jan 't Hoeske", "Fatima El Amrani", "Mevrouw Zoë de Wit", "Meneer Çelik")


def tiny_frames() -> dict[str, pd.DataFrame]:
    """A fresh set of valid tables for a tiny registry (3 volunteers, 2 clients, 3 needs)."""
    volunteers = pd.DataFrame(
        {
            "volunteer_id": ["V1", "V2", "V3"],
            "name": ["Zoë Çelik", "Jan 't Hoeske", "Fatima El Amrani"],
            "lat": [51.4220, 51.4250, 51.4300],
            "lon": [6.1300, 6.1350, 6.1400],
            "skills": ["driver;handy", "dementia", "driver"],
            "languages": ["nl;tr", "", "ar;nl"],
            "availability": [
                "mon,tue,wed,thu,fri 08:00-18:00",
                "ma 09:00-13:00; wo 09:00-13:00",
                "di 08:00-17:00; do 08:00-17:00",
            ],
            "unavailable": ["", "2026-12-24", ""],
            "max_tasks_per_week": ["", "2", "3"],
            "max_hours_per_week": ["", "", "4.5"],
            "max_km": ["", "10", ""],
        }
    )
    clients = pd.DataFrame(
        {
            "client_id": ["C1", "C2"],
            "name": ["Mevrouw Zoë de Wit", "Meneer Çelik"],
            "address": ["Kerkstraat 1, 't Hoeske", "Markt 2"],
            "lat": [51.4210, 51.4230],
            "lon": [6.1320, 6.1290],
            "languages": ["nl", "nl;ar"],
            "preferred_volunteers": ["V1", ""],
            "excluded_volunteers": ["", "V2"],
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": ["N1", "N2", "N3"],
            "client_id": ["C1", "C2", "C1"],
            "kind": ["visit", "ride", "chore"],
            "schedule": ["FREQ=WEEKLY;BYDAY=MO,WE", "2026-12-03", "FREQ=WEEKLY;BYDAY=TU"],
            "start_date": ["", "", ""],
            "end_date": ["", "", ""],
            "window": ["10:00-10:30", "11:00-11:30", "14:00-15:00"],
            "duration_min": ["60", "90", "45"],
            "skills": ["", "", "handy"],
            "languages": ["", "", ""],
            "priority": ["2", "1", "3"],
            "volunteers_needed": ["", "", ""],
            "continuity": ["", "", "none"],
            "dest_lat": ["", "51.3600", ""],
            "dest_lon": ["", "6.1700", ""],
            "max_team": ["", "", ""],
        }
    )
    history = pd.DataFrame(
        {
            "need_id": ["N1"],
            "client_id": ["C1"],
            "volunteer_id": ["V2"],
            "date": ["2026-11-23"],
        }
    )
    return {"volunteers": volunteers, "clients": clients, "needs": needs, "history": history}


def make_registry(frames: dict[str, pd.DataFrame] | None = None, **kwargs: Any) -> Registry:
    """A :class:`Registry` from ``frames`` (default: :func:`tiny_frames`)."""
    f = tiny_frames() if frames is None else frames
    return Registry.from_frames(
        f["volunteers"], f["clients"], f["needs"], f.get("history"), **kwargs
    )


def problem_cells(error: Any) -> set[tuple[str, Any, str]]:
    """The (table, row, column) triples of an ``InvalidRegistryError``."""
    out = set()
    for rec in error.problems.itertuples(index=False):
        row = None if pd.isna(rec.row) else int(rec.row)
        out.add((rec.table, row, rec.column))
    return out


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    """Fresh valid tables of the tiny registry (mutate freely)."""
    return tiny_frames()


@pytest.fixture
def registry() -> Registry:
    """The tiny registry."""
    return make_registry()


#: The environment variable with the URL of a real PostgreSQL server for the store tests
#: (``.ci/run`` starts one and sets it; see ``.ci/postgres.sh``).
PG_URL_VARIABLE = "MATCHKRACHT_TEST_PG_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: a SQLite file, or a real PostgreSQL database (emptied first).

    Without a server the PostgreSQL runs skip, except in CI (``CI=true``), where
    they must run: there a missing URL fails the test.
    """
    import os

    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {PG_URL_VARIABLE} is not set: .ci/run starts PostgreSQL")
        pytest.skip(f"no PostgreSQL server ({PG_URL_VARIABLE} not set)")
    from benchmarks.store import reset_postgres

    reset_postgres(url)
    return url
