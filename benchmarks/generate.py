"""Seeded generator of synthetic matchkracht registries.

The instances mimic volunteer help in villages of North Limburg and eastern
North Brabant: weekday lunch companions for residents with dementia, weekly
or fortnightly visits to lonely elders, rides to the nearest hospital, small
chores and the odd two-person job. Homes are scattered around the real
centroids of the places in ``benchmarks/data/places.json``; ride destinations
are the hospitals of ``benchmarks/data/hospitals.csv`` (see
``benchmarks/data/NOTICE.md`` for sources). Everything else (names,
availability, needs, history) is invented.

The module is self-contained: it never imports :mod:`matchkracht`.

Examples
--------
>>> from benchmarks.generate import generate, write_registry
>>> frames = generate("village", seed=0)
>>> sorted(frames)
['clients', 'history', 'needs', 'volunteers']

From the command line::

    python -m benchmarks.generate --size village --seed 0 --out /tmp/village
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

__all__ = [
    "CLIENT_COLUMNS",
    "HISTORY_COLUMNS",
    "NEED_COLUMNS",
    "SIZES",
    "VARIANTS",
    "VOLUNTEER_COLUMNS",
    "SizeSpec",
    "generate",
    "parse_week",
    "self_check",
    "summary",
    "write_registry",
]

_T = TypeVar("_T")

DATA_DIR = Path(__file__).resolve().parent / "data"

VOLUNTEER_COLUMNS: tuple[str, ...] = (
    "volunteer_id",
    "name",
    "lat",
    "lon",
    "address",
    "skills",
    "languages",
    "availability",
    "unavailable",
    "max_tasks_per_week",
    "max_hours_per_week",
    "max_km",
)
CLIENT_COLUMNS: tuple[str, ...] = (
    "client_id",
    "name",
    "lat",
    "lon",
    "address",
    "languages",
    "preferred_volunteers",
    "excluded_volunteers",
)
NEED_COLUMNS: tuple[str, ...] = (
    "need_id",
    "client_id",
    "kind",
    "schedule",
    "start_date",
    "end_date",
    "window",
    "duration_min",
    "skills",
    "languages",
    "priority",
    "volunteers_needed",
    "continuity",
    "dest_lat",
    "dest_lon",
    "max_team",
)
HISTORY_COLUMNS: tuple[str, ...] = ("need_id", "client_id", "volunteer_id", "date")

VARIANTS: tuple[str, ...] = ("scarce_drivers", "holiday", "strict", "scarce", "shared_rides")
#: ``scarce``: volunteers give at most this many days a week and at most this many
#: hours; a fifth of them drive, and visit and chore windows are half as wide (see
#: :func:`_narrow`).
SCARCE_DAYS = 2
SCARCE_MAX_HOURS = 4.0

# Contract defaults and travel model (mirrored here; the module must not import matchkracht).
DEFAULT_MAX_TASKS = 3
DEFAULT_MAX_HOURS = 6.0
DEFAULT_MAX_KM = 15.0
ROAD_FACTOR = 1.3
SPEED_KMH = 40.0
EARTH_RADIUS_KM = 6371.0088
HISTORY_WEEKS = 4

DAY_CODES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RRULE_DAYS: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class SizeSpec:
    """Shape of one instance size.

    Attributes
    ----------
    volunteers, clients : int
        Number of volunteers and clients.
    tasks : int
        Target number of tasks (need occurrences) in the horizon week.
    places : tuple of str
        Explicit place names; empty means the ``n_places`` places nearest to
        ``centre``.
    n_places : int
        Number of places when ``places`` is empty.
    centre : str
        Place whose centroid is the centre of a nearest-places selection.
    """

    volunteers: int
    clients: int
    tasks: int
    places: tuple[str, ...] = ()
    n_places: int = 0
    centre: str = "Horst"


DEFAULT_VILLAGE = "Grubbenvorst"

# Sixteen villages of the municipality of Horst aan de Maas, with rough inhabitant
# counts (rounded, order of magnitude only) used as relative weights.
MUNICIPALITY_VILLAGES: dict[str, float] = {
    "Horst": 13000,
    "Sevenum": 7800,
    "Grubbenvorst": 4800,
    "America": 2100,
    "Lottum": 2100,
    "Meerlo": 2100,
    "Hegelsom": 2000,
    "Meterik": 1800,
    "Kronenberg": 1600,
    "Swolgen": 1300,
    "Melderslo": 1200,
    "Broekhuizenvorst": 1100,
    "Tienray": 1100,
    "Griendtsveen": 800,
    "Castenray": 600,
    "Evertsoord": 400,
}

SIZES: dict[str, SizeSpec] = {
    "village": SizeSpec(volunteers=60, clients=40, tasks=70, places=(DEFAULT_VILLAGE,)),
    "municipality": SizeSpec(
        volunteers=650, clients=430, tasks=750, places=tuple(MUNICIPALITY_VILLAGES)
    ),
    "region": SizeSpec(volunteers=5000, clients=2900, tasks=5000, n_places=100, centre="Horst"),
    "province": SizeSpec(
        volunteers=20_000, clients=11_600, tasks=20_000, n_places=400, centre="Horst"
    ),
}

# Share of the week's tasks per kind of help.
TASK_MIX: dict[str, float] = {
    "meal": 0.30,
    "visit": 0.26,
    "ride": 0.22,
    "chore": 0.205,
    "duo": 0.015,
}

# Weekly availability templates: start and end (minutes after midnight) and the
# weights for volunteers without a special role, for lunch companions (the
# dementia skill) and for drivers (who often keep half a day free for a ride).
_WEEKDAY_TEMPLATES: tuple[tuple[int, int, float, float, float], ...] = (
    (9 * 60, 12 * 60, 14, 3, 6),
    (9 * 60 + 30, 12 * 60, 6, 1, 2),
    (8 * 60 + 30, 12 * 60 + 30, 6, 2, 8),
    (8 * 60 + 30, 13 * 60, 2, 1, 10),
    (9 * 60, 13 * 60 + 30, 5, 8, 8),
    (10 * 60, 14 * 60, 7, 16, 5),
    (10 * 60, 14 * 60 + 30, 2, 8, 3),
    (10 * 60 + 30, 13 * 60 + 30, 3, 9, 2),
    (11 * 60, 14 * 60, 4, 14, 2),
    (11 * 60 + 30, 14 * 60 + 30, 2, 8, 1),
    (12 * 60 + 30, 17 * 60, 2, 1, 8),
    (13 * 60, 17 * 60, 13, 4, 10),
    (13 * 60 + 30, 16 * 60 + 30, 7, 2, 3),
    (14 * 60, 17 * 60, 8, 2, 3),
    (14 * 60, 16 * 60, 4, 1, 1),
    (13 * 60, 15 * 60 + 30, 4, 1, 2),
    (18 * 60 + 30, 21 * 60, 3, 1, 1),
    (19 * 60, 21 * 60 + 30, 2, 1, 1),
)
_WEEKEND_TEMPLATES: tuple[tuple[int, int, float], ...] = (
    (10 * 60, 14 * 60, 5),
    (10 * 60, 12 * 60 + 30, 4),
    (13 * 60, 17 * 60, 4),
    (9 * 60 + 30, 12 * 60, 2),
)
_DAY_WEIGHTS = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.3])

_FIRST_NL: tuple[str, ...] = (
    "Anna", "Maria", "Annie", "Mia", "Truus", "Els", "Ineke", "Wilma", "Marian", "Joke",
    "Riet", "Lies", "Noortje", "Sanne", "Lotte", "Femke", "Eva", "Zoë", "Noëlle", "Chloë",
    "Ilse", "Monique", "Petra", "Yvonne", "Anke", "Carla", "Gerda", "Hanneke", "Jan", "Piet",
    "Sjaak", "Harrie", "Twan", "Huub", "Frans", "Ger", "Wim", "Toon", "Jo", "Math", "Sjef",
    "Bert", "Theo", "Henk", "Daan", "Bram", "Thijs", "Stijn", "Luuk", "Niels", "Ruud",
    "Marco", "René", "José", "Daniël", "Michiel", "Joëlle", "Anaïs", "Lieke", "Gijs",
)  # fmt: skip
_LAST_NL: tuple[str, ...] = (
    "Janssen", "Hendrikx", "Peeters", "Jacobs", "Hermans", "Smits", "Verheijen", "Gielen",
    "Kusters", "Geurts", "Vullings", "Poels", "Steeghs", "Coenders", "Wijnhoven", "Derikx",
    "Tielen", "Joosten", "Lemmen", "Truijen", "Houben", "Linders", "Vermeulen", "Willems",
    "Cox", "Theeuwen", "Rutten", "Pouwels", "Hesen", "Drabbels", "Camps", "Bouten",
    "van Rens", "van den Munckhof", "van de Kamp", "van der Sterren", "van Dijk", "de Wit",
    "Verstegen", "van Lier", "'t Hoen", "van 't Hoff", "Müller", "Hoeks", "Arts", "Vousten",
)  # fmt: skip
_NAMES_BY_LANGUAGE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "tr": (
        ("Ayşe", "Fatma", "Emine", "Mehmet", "Mustafa", "Ahmet", "Hüseyin", "Elif", "Zeynep"),
        ("Çelik", "Yılmaz", "Öztürk", "Şahin", "Kaya", "Demir", "Aydın"),
    ),
    "ar": (
        ("Fatima", "Khadija", "Mohamed", "Ahmed", "Youssef", "Amira", "Nadia", "Hassan", "Omar"),
        ("El Amrani", "Haddad", "Benali", "Bouzid", "El Idrissi", "Aït Saïd", "Mansour"),
    ),
    "pl": (
        ("Agnieszka", "Katarzyna", "Małgorzata", "Piotr", "Tomasz", "Paweł", "Łukasz"),
        ("Kowalczyk", "Wiśniewski", "Nowak", "Lewandowski", "Wójcik", "Zieliński"),
    ),
    "en": (
        ("Emma", "Olivia", "James", "Thomas", "Sarah", "David"),
        ("Smith", "Brown", "Taylor", "Wilson", "Murphy"),
    ),
}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HHMM = r"([01]\d|2[0-3]):([0-5]\d)"
_WINDOW_RE = re.compile(rf"{_HHMM}-{_HHMM}")
_AVAIL_ITEM_RE = re.compile(rf"(mon|tue|wed|thu|fri|sat|sun) {_HHMM}-{_HHMM}")


# --------------------------------------------------------------------------- data


@functools.cache
def _places() -> dict[str, tuple[float, float]]:
    """Place centroids of ``data/places.json`` as ``{name: (lat, lon)}``."""
    raw = json.loads((DATA_DIR / "places.json").read_text(encoding="utf-8"))
    return {name: (float(v["c"][0]), float(v["c"][1])) for name, v in raw.items()}


@functools.cache
def _place_weights() -> dict[str, int]:
    """Number of 4-digit postcodes per place (a size proxy)."""
    raw = json.loads((DATA_DIR / "place_pc4_counts.json").read_text(encoding="utf-8"))
    return {name: int(n) for name, n in raw.items()}


@functools.cache
def _hospitals() -> tuple[tuple[str, float, float], ...]:
    """Hospital sites of ``data/hospitals.csv`` as ``(name, lat, lon)``."""
    frame = pd.read_csv(DATA_DIR / "hospitals.csv", encoding="utf-8")
    lat = frame["lat"].to_numpy(dtype=float)
    lon = frame["lon"].to_numpy(dtype=float)
    return tuple(
        (str(name), float(a), float(b))
        for name, a, b in zip(frame["hospital"].astype(str), lat, lon, strict=True)
    )


def _in_limburg(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Approximate test for the province of Limburg within the places bounding box.

    The western border with North Brabant (and the northern one with
    Gelderland) is approximated by a step function of latitude; it is good
    enough to decide who is likely to speak the Limburg dialect.
    """
    bands = (
        (51.22, 5.50),
        (51.33, 5.65),
        (51.35, 5.87),
        (51.43, 5.93),
        (51.56, 5.85),
        (51.57, 5.99),
        (51.62, 6.02),
        (51.69, 5.975),
        (51.745, 5.94),
        (51.772, 5.86),
    )
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    border = np.full(lat.shape, np.inf)
    lower = -np.inf
    for upper, border_lon in bands:
        border = np.where((lat >= lower) & (lat < upper), border_lon, border)
        lower = upper
    return lon > border


# --------------------------------------------------------------------------- geometry


def _haversine_km(
    lat1: np.ndarray | float, lon1: np.ndarray | float, lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:  # fmt: skip
    """Great-circle distance in km (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def _road_km(
    lat1: np.ndarray | float, lon1: np.ndarray | float, lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:  # fmt: skip
    """Road distance in km: great circle times the road factor."""
    return _haversine_km(lat1, lon1, lat2, lon2) * ROAD_FACTOR


def _minutes(km: np.ndarray | float) -> np.ndarray:
    """Travel minutes for a road distance in km."""
    return np.asarray(km) / SPEED_KMH * 60.0


def _project(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular projection to km around latitude 51.4 (for nearest-neighbour search)."""
    return np.column_stack([lon * 111.32 * math.cos(math.radians(51.4)), lat * 110.574])


def _scatter(
    rng: np.random.Generator, lat0: np.ndarray, lon0: np.ndarray, spread: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Homes around place centres: 2-D normal with sd 0.6 km, truncated at 2 km.

    Both numbers are multiplied by ``spread`` (1 for a village, more for a town).
    """
    n = len(lat0)
    offsets = rng.normal(0.0, 0.6, size=(n, 2))
    for _ in range(20):
        far = np.hypot(offsets[:, 0], offsets[:, 1]) > 2.0
        if not far.any():
            break
        offsets[far] = rng.normal(0.0, 0.6, size=(int(far.sum()), 2))
    radius = np.hypot(offsets[:, 0], offsets[:, 1])
    offsets *= (np.minimum(radius, 2.0) / np.maximum(radius, 1e-12))[:, None]
    offsets *= spread[:, None]
    lat = lat0 + offsets[:, 1] / 110.574
    lon = lon0 + offsets[:, 0] / (111.32 * np.cos(np.radians(lat0)))
    return np.round(lat, 5), np.round(lon, 5)


# --------------------------------------------------------------------------- small helpers


def parse_week(week: str) -> dt.date:
    """Return the Monday of an ISO week string.

    Parameters
    ----------
    week : str
        ISO week such as ``"2026-W49"``.

    Returns
    -------
    datetime.date
        The Monday of that week.

    Raises
    ------
    ValueError
        If ``week`` is not of the form ``YYYY-Www`` or names no such week.
    """
    match = re.fullmatch(r"(\d{4})-W(\d{2})", week.strip())
    if match is None:
        raise ValueError(f"week must look like 2026-W49, got {week!r}")
    return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)


def _hhmm(minutes: int) -> str:
    """Format minutes after midnight as ``HH:MM``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder)."""
    share = total * weights / weights.sum()
    counts = np.floor(share).astype(int)
    rest = total - int(counts.sum())
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[:rest]] += 1
    return np.asarray(counts)


def _ids(prefix: str, n: int, width: int = 4) -> list[str]:
    """Zero-padded ids ``prefix0001`` ... (width grows when needed)."""
    width = max(width, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _optional(values: Iterable[object]) -> pd.Series:
    """An object column of numbers with ``None`` for an empty cell (the default)."""
    return pd.Series(list(values), dtype=object)


def _names(
    rng: np.random.Generator, speaks: dict[str, np.ndarray], n: int, taken: set[str]
) -> list[str]:
    """Invented display names; speakers of ar/tr/pl/en mostly get matching names.

    Names already in ``taken`` are avoided while another first name is free
    (large instances do repeat names); ``taken`` is updated.
    """
    group = np.full(n, "nl", dtype=object)
    for lang, prob in (("en", 0.5), ("pl", 0.8), ("ar", 0.8), ("tr", 0.8)):
        hit = speaks[lang] & (rng.random(n) < prob)
        group[hit] = lang
    u_first = rng.random(n)
    u_last = rng.random(n)
    names = []
    for g, uf, ul in zip(group, u_first, u_last, strict=True):
        firsts, lasts = (_FIRST_NL, _LAST_NL) if g == "nl" else _NAMES_BY_LANGUAGE[g]
        first, last = int(uf * len(firsts)), lasts[int(ul * len(lasts))]
        name = f"{firsts[first]} {last}"
        for shift in range(1, len(firsts)):
            if name not in taken:
                break
            name = f"{firsts[(first + shift) % len(firsts)]} {last}"
        taken.add(name)
        names.append(name)
    return names


def _pick(rng: np.random.Generator, options: Sequence[_T], p: Sequence[float]) -> _T:
    """One item of ``options`` with probabilities ``p`` (need not sum to 1)."""
    w = np.asarray(p, dtype=float)
    return options[int(rng.choice(len(options), p=w / w.sum()))]


# --------------------------------------------------------------------------- places


def _select_places(spec: SizeSpec) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Names, centroids and size weights of the places of an instance size."""
    places = _places()
    if spec.places:
        names = list(spec.places)
        missing = [n for n in names if n not in places]
        if missing:
            raise ValueError(f"places not in places.json: {missing}")
        if len(names) == 1:
            weights = np.ones(1)
        else:
            weights = np.array([MUNICIPALITY_VILLAGES.get(n, 1000.0) for n in names]) / 2000.0
    else:
        lat0, lon0 = places[spec.centre]
        all_names = sorted(places)
        lat = np.array([places[n][0] for n in all_names])
        lon = np.array([places[n][1] for n in all_names])
        dist = _haversine_km(lat0, lon0, lat, lon)
        order = np.lexsort((np.arange(len(all_names)), dist))[: spec.n_places]
        names = [all_names[i] for i in order]
        pc4 = _place_weights()
        weights = np.array([float(pc4.get(n, 1)) for n in names])
    lat = np.array([places[n][0] for n in names])
    lon = np.array([places[n][1] for n in names])
    return names, lat, lon, weights


# --------------------------------------------------------------------------- volunteers


@dataclass
class _People:
    """Internal arrays about volunteers or clients."""

    ids: list[str]
    lat: np.ndarray
    lon: np.ndarray
    place: np.ndarray
    speaks: dict[str, np.ndarray]
    skill: dict[str, np.ndarray] = field(default_factory=dict)
    av_start: np.ndarray | None = None  # (n, 7, 2) minutes, -1 when no window
    av_end: np.ndarray | None = None
    cap_tasks: np.ndarray | None = None
    cap_hours: np.ndarray | None = None
    cap_km: np.ndarray | None = None


def _availability(
    rng: np.random.Generator, dementia: np.ndarray, driver: np.ndarray, max_days: int = 7
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Weekly availability strings and the matching (n, 7, 2) start/end arrays.

    Each volunteer is available on 1 to 5 days, at most ``max_days``.
    """
    n = len(dementia)
    k = np.minimum(rng.choice(5, size=n, p=[0.08, 0.25, 0.32, 0.2, 0.15]) + 1, max_days)
    # Weighted sampling of days without replacement (Efraimidis-Spirakis keys).
    keys = rng.random((n, 7)) ** (1.0 / _DAY_WEIGHTS)
    day_order = np.argsort(-keys, axis=1, kind="stable")
    u_template = rng.random((n, 7))
    u_second = rng.random(n)
    u_after = rng.random(n)
    table = np.array([t[2:] for t in _WEEKDAY_TEMPLATES], dtype=float)
    roles = {
        (False, False): table[:, 0],
        (True, False): table[:, 1],
        (False, True): table[:, 2],
        (True, True): (table[:, 1] / table[:, 1].sum() + table[:, 2] / table[:, 2].sum()),
    }
    cdfs = {role: np.cumsum(w) / w.sum() for role, w in roles.items()}
    we = np.array([t[2] for t in _WEEKEND_TEMPLATES])
    cdf_weekend = np.cumsum(we) / we.sum()
    starts = np.full((n, 7, 2), -1, dtype=int)
    ends = np.full((n, 7, 2), -1, dtype=int)
    texts: list[str] = []
    for i in range(n):
        days = sorted(int(d) for d in day_order[i, : k[i]])
        for d in days:
            if d >= 5:
                j = min(int(np.searchsorted(cdf_weekend, u_template[i, d])), len(cdf_weekend) - 1)
                starts[i, d, 0], ends[i, d, 0] = _WEEKEND_TEMPLATES[j][:2]
            else:
                cdf = cdfs[bool(dementia[i]), bool(driver[i])]
                j = min(int(np.searchsorted(cdf, u_template[i, d])), len(cdf) - 1)
                starts[i, d, 0], ends[i, d, 0] = _WEEKDAY_TEMPLATES[j][:2]
        if u_second[i] < 0.12 and k[i] < 5:
            # Some volunteers give a whole day: a morning and an afternoon window.
            mornings = [d for d in days if d < 5 and ends[i, d, 0] <= 12 * 60 + 30]
            if mornings:
                d = mornings[0]
                start = 13 * 60 + 30 if u_after[i] < 0.5 else 13 * 60
                starts[i, d, 1], ends[i, d, 1] = start, 17 * 60
        parts = []
        for d in days:
            for w in range(2):
                if starts[i, d, w] >= 0:
                    parts.append(f"{DAY_CODES[d]} {_hhmm(starts[i, d, w])}-{_hhmm(ends[i, d, w])}")
        texts.append("; ".join(parts))
    return texts, starts, ends


def _unavailable(
    rng: np.random.Generator, n: int, monday: dt.date, holiday: np.ndarray
) -> list[str]:
    """Unavailable dates and ranges; ``holiday`` marks volunteers away all week."""
    u = rng.random(n)
    offset = rng.integers(0, 7, size=n)
    length = rng.integers(2, 6, size=n)
    later = rng.integers(14, 70, size=n)
    sunday = monday + dt.timedelta(days=6)
    out: list[str] = []
    for i in range(n):
        items: list[str] = []
        if holiday[i]:
            items.append(f"{monday.isoformat()}..{sunday.isoformat()}")
        if u[i] < 0.05:
            items.append((monday + dt.timedelta(days=int(offset[i]))).isoformat())
        elif u[i] < 0.09:
            first = monday + dt.timedelta(days=int(offset[i]) - 2)
            last = first + dt.timedelta(days=int(length[i]) - 1)
            items.append(f"{first.isoformat()}..{last.isoformat()}")
        elif u[i] < 0.15:
            first = monday + dt.timedelta(days=int(later[i]))
            last = first + dt.timedelta(days=int(length[i]) + 5)
            items.append(f"{first.isoformat()}..{last.isoformat()}")
        out.append("; ".join(items))
    return out


def _volunteers(
    rng: np.random.Generator,
    n: int,
    place_lat: np.ndarray,
    place_lon: np.ndarray,
    weights: np.ndarray,
    spread: np.ndarray,
    limburg: np.ndarray,
    monday: dt.date,
    variant: str | None,
) -> tuple[pd.DataFrame, _People]:
    """Volunteer table and its internal arrays."""
    place = rng.permutation(np.repeat(np.arange(len(weights)), _allocate(n, weights)))
    lat, lon = _scatter(rng, place_lat[place], place_lon[place], spread[place])
    # Draw every random number whatever the variant, so variants differ only where they must.
    u_driver = rng.random(n)
    u_wheel = rng.random(n)
    dementia = rng.random(n) < 0.25
    handy = rng.random(n) < 0.20
    u_holiday = rng.random(n)
    base_driver = u_driver < 0.45
    driver = u_driver < (0.20 if variant in ("scarce_drivers", "scarce") else 0.45)
    wheelchair = u_wheel < np.where(base_driver, 0.15, 0.02)
    speaks = {
        "nl": np.ones(n, dtype=bool),
        "limburgs": rng.random(n) < np.where(limburg[place], 0.42, 0.02),
        "ar": rng.random(n) < 0.03,
        "tr": rng.random(n) < 0.03,
        "pl": rng.random(n) < 0.02,
        "en": rng.random(n) < 0.05,
    }
    availability, av_start, av_end = _availability(
        rng, dementia, base_driver, SCARCE_DAYS if variant == "scarce" else 7
    )
    holiday = (u_holiday < 1 / 3) if variant == "holiday" else np.zeros(n, dtype=bool)
    unavailable = _unavailable(rng, n, monday, holiday)

    tasks = rng.choice([2, 3, 4, 5], size=n, p=[0.2, 0.35, 0.28, 0.17])
    tasks_empty = rng.random(n) < 0.25
    hours = rng.choice([4.0, 5.0, 6.0, 7.5, 8.0, 10.0], size=n, p=[0.2, 0.2, 0.2, 0.1, 0.2, 0.1])
    hours_empty = rng.random(n) < 0.25
    km_options = np.array([10, 12, 15, 20, 25])
    km_driver = rng.choice(km_options, size=n, p=[0.1, 0.15, 0.3, 0.25, 0.2])
    km_other = rng.choice(km_options, size=n, p=[0.3, 0.25, 0.3, 0.1, 0.05])
    km = np.where(base_driver, km_driver, km_other)
    km_empty = rng.random(n) < 0.3
    if variant == "scarce":
        # few hours to give: every volunteer states a low weekly hour cap
        hours = np.minimum(hours, SCARCE_MAX_HOURS)
        hours_empty = np.zeros(n, dtype=bool)

    skills = {"driver": driver, "dementia": dementia, "handy": handy, "wheelchair": wheelchair}
    skill_text = [
        ";".join(s for s in ("driver", "dementia", "handy", "wheelchair") if skills[s][i])
        for i in range(n)
    ]
    lang_text = [
        ";".join(lang for lang in ("nl", "limburgs", "ar", "tr", "pl", "en") if speaks[lang][i])
        for i in range(n)
    ]
    ids = _ids("V", n)
    frame = pd.DataFrame(
        {
            "volunteer_id": ids,
            "name": _names(rng, speaks, n, set()),
            "lat": lat,
            "lon": lon,
            "address": [""] * n,
            "skills": skill_text,
            "languages": lang_text,
            "availability": availability,
            "unavailable": unavailable,
            "max_tasks_per_week": _optional(
                None if e else int(x) for x, e in zip(tasks, tasks_empty, strict=True)
            ),
            "max_hours_per_week": _optional(
                None if e else float(x) for x, e in zip(hours, hours_empty, strict=True)
            ),
            "max_km": _optional(None if e else int(x) for x, e in zip(km, km_empty, strict=True)),
        }
    )
    people = _People(
        ids=ids,
        lat=lat,
        lon=lon,
        place=place,
        speaks=speaks,
        skill=skills,
        av_start=av_start,
        av_end=av_end,
        cap_tasks=np.where(tasks_empty, DEFAULT_MAX_TASKS, tasks).astype(float),
        cap_hours=np.where(hours_empty, DEFAULT_MAX_HOURS, hours),
        cap_km=np.where(km_empty, DEFAULT_MAX_KM, km).astype(float),
    )
    return frame, people


def _clients(
    rng: np.random.Generator,
    n: int,
    place_lat: np.ndarray,
    place_lon: np.ndarray,
    weights: np.ndarray,
    spread: np.ndarray,
    limburg: np.ndarray,
) -> _People:
    """Internal arrays of the clients (the frame is built after history)."""
    place = rng.permutation(np.repeat(np.arange(len(weights)), _allocate(n, weights)))
    lat, lon = _scatter(rng, place_lat[place], place_lon[place], spread[place])
    speaks = {
        "nl": np.ones(n, dtype=bool),
        "limburgs": rng.random(n) < np.where(limburg[place], 0.55, 0.02),
        "ar": rng.random(n) < 0.03,
        "tr": rng.random(n) < 0.03,
        "pl": rng.random(n) < 0.01,
        "en": np.zeros(n, dtype=bool),
    }
    return _People(ids=_ids("C", n), lat=lat, lon=lon, place=place, speaks=speaks)


# --------------------------------------------------------------------------- needs


@dataclass
class _Need:
    """Internal description of one need."""

    client: int
    kind: str
    days: tuple[int, ...] = ()
    interval: int = 1
    once: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    window: tuple[int, int] = (12 * 60, 12 * 60)
    duration: int = 60
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    priority: int = 2
    needed: int = 1
    continuity: str = ""
    dest: tuple[float, float] | None = None
    max_team: int | None = None
    write_needed: bool = False

    def schedule(self) -> str:
        """The schedule as written in the registry."""
        if self.once is not None:
            return self.once.isoformat()
        days = ",".join(RRULE_DAYS[d] for d in self.days)
        if self.interval > 1:
            return f"FREQ=WEEKLY;INTERVAL={self.interval};BYDAY={days}"
        return f"FREQ=WEEKLY;BYDAY={days}"

    def occurrences(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Dates in ``[first, last]`` on which the need occurs."""
        lo = max(first, self.start) if self.start else first
        hi = min(last, self.end) if self.end else last
        if lo > hi:
            return []
        if self.once is not None:
            return [self.once] if lo <= self.once <= hi else []
        anchor = self.start or lo
        anchor_monday = anchor - dt.timedelta(days=anchor.weekday())
        out = []
        for k in range((hi - lo).days + 1):
            d = lo + dt.timedelta(days=k)
            if d.weekday() in self.days and ((d - anchor_monday).days // 7) % self.interval == 0:
                out.append(d)
        return out


class _ClientPicker:
    """Hands out clients in rounds: every client once (in random order) per round."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        self.n = n
        self.order: list[int] = []

    def __call__(self) -> int:
        if not self.order:
            self.order = [int(i) for i in self.rng.permutation(self.n)][::-1]
        return self.order.pop()


def _recurring_period(rng: np.random.Generator, nd: _Need, monday: dt.date) -> None:
    """Set start/end dates of a recurring need (a few end before or start after the week)."""
    u = rng.random()
    draw = rng.integers(0, 10_000, size=3)
    if u < 0.05:  # ended a while ago (history may still show it)
        nd.end = monday - dt.timedelta(days=3 + int(draw[0]) % 37)
        if nd.start is None or nd.start >= nd.end:
            nd.start = nd.end - dt.timedelta(days=60 + int(draw[1]) % 240)
    elif u < 0.08:  # starts after the week
        nd.start = monday + dt.timedelta(days=7 + int(draw[0]) % 28)
        if nd.end is not None and nd.end <= nd.start:
            nd.end = None
    elif u < 0.10:  # ends during the week
        nd.end = monday + dt.timedelta(days=int(draw[0]) % 4)
    elif u < 0.20 and nd.start is None:  # a new request
        nd.start = monday - dt.timedelta(days=int(draw[0]) % 3)
    elif u < 0.35 and nd.start is None:
        nd.start = monday - dt.timedelta(days=40 + int(draw[0]) % 360)
    if nd.end is None and draw[2] < 1000:
        nd.end = max(nd.start or monday, monday) + dt.timedelta(days=30 + int(draw[1]) % 170)


def _one_off_date(rng: np.random.Generator, monday: dt.date, day_p: Sequence[float]) -> dt.date:
    """A date in the horizon week, or (8 %) an earlier or later one that yields no task."""
    day = int(_pick(rng, range(7), day_p))
    u = rng.random()
    if u < 0.04:
        return monday + dt.timedelta(days=day - 7 * int(rng.integers(1, 3)))
    if u < 0.08:
        return monday + dt.timedelta(days=day + 7 * int(rng.integers(1, 3)))
    return monday + dt.timedelta(days=day)


def _needs(
    rng: np.random.Generator,
    clients: _People,
    target_tasks: int,
    monday: dt.date,
) -> list[_Need]:
    """Needs whose tasks in the horizon week follow :data:`TASK_MIX`."""
    sunday = monday + dt.timedelta(days=6)
    hospitals = _hospitals()
    h_lat = np.array([h[1] for h in hospitals])
    h_lon = np.array([h[2] for h in hospitals])
    nearest_hospital = np.argmin(
        _haversine_km(clients.lat[:, None], clients.lon[:, None], h_lat, h_lon), axis=1
    )
    pick_client = _ClientPicker(rng, len(clients.ids))
    targets = {k: max(1, round(target_tasks * share)) for k, share in TASK_MIX.items()}
    needs: list[_Need] = []

    def count(nd: _Need) -> int:
        return len(nd.occurrences(monday, sunday))

    # Weekday lunch companions for residents with dementia.
    done = 0
    while done < targets["meal"]:
        c = pick_client()
        window = _pick(
            rng, [(720, 735), (705, 720), (750, 765)], [0.7, 0.15, 0.15]
        )  # 12:00-12:15, 11:45-12:00, 12:30-12:45
        nd = _Need(
            client=c,
            kind="meal",
            days=(0, 1, 2, 3, 4),
            window=window,
            duration=int(_pick(rng, [60, 70, 75], [0.5, 0.2, 0.3])),
            skills=("dementia",),
            priority=int(_pick(rng, [1, 2], [0.4, 0.6])),
            continuity=str(_pick(rng, ["", "prefer", "strict"], [0.3, 0.35, 0.35])),
            max_team=int(_pick(rng, [3, 4], [0.5, 0.5])) if rng.random() < 0.5 else None,
        )
        if clients.speaks["limburgs"][c] and rng.random() < 0.12:
            nd.languages = ("limburgs",)
        _recurring_period(rng, nd, monday)
        needs.append(nd)
        done += count(nd)

    # Weekly or fortnightly visits to lonely elders.
    visit_windows = [
        (840, 960), (600, 690), (810, 960), (600, 720), (900, 960), (1140, 1200), (570, 660),
        (840, 900), (810, 870), (810, 990),
    ]  # fmt: skip
    visit_p = [0.2, 0.12, 0.12, 0.12, 0.1, 0.06, 0.08, 0.08, 0.06, 0.06]
    done = 0
    while done < targets["visit"]:
        c = pick_client()
        day = int(_pick(rng, range(6), [1, 1, 1, 1, 1, 0.4]))
        nd = _Need(
            client=c,
            kind="visit",
            days=(day,),
            window=_pick(rng, visit_windows, visit_p),
            duration=int(_pick(rng, [60, 75, 90], [0.5, 0.2, 0.3])),
            priority=int(_pick(rng, [2, 3], [0.4, 0.6])),
            continuity=str(_pick(rng, ["", "prefer", "strict", "none"], [0.45, 0.25, 0.15, 0.15])),
        )
        if rng.random() < 0.25:
            nd.interval = 2
            nd.start = monday + dt.timedelta(days=day - 7 * int(rng.integers(2, 30)))
        wanted = [lang for lang in ("ar", "tr") if clients.speaks[lang][c]]
        if wanted and rng.random() < 0.6:
            nd.languages = (wanted[0],)
        elif clients.speaks["limburgs"][c] and rng.random() < 0.35:
            nd.languages = ("limburgs",)
        _recurring_period(rng, nd, monday)
        needs.append(nd)
        done += count(nd)

    # Hospital rides: series of treatments, and one-off appointments.
    # Outpatient appointments: mornings 09:15-11:30, afternoons 13:45-15:00.
    appointments = [*range(9 * 60 + 15, 11 * 60 + 45, 15), *range(13 * 60 + 45, 15 * 60 + 15, 15)]
    done = 0
    series_target = round(0.35 * targets["ride"])
    while done < targets["ride"]:
        c = pick_client()
        h = int(nearest_hospital[c])
        at = int(appointments[int(rng.integers(len(appointments)))])
        nd = _Need(
            client=c,
            kind="ride",
            window=(at, at) if rng.random() < 0.7 else (at, at + 15),
            priority=1,
            dest=(hospitals[h][1], hospitals[h][2]),
            skills=("wheelchair",) if rng.random() < 0.1 else (),
        )
        if done < series_target:
            nd.days = _pick(rng, [(0, 3), (1, 4), (0, 2, 4), (2,)], [0.4, 0.3, 0.15, 0.15])
            nd.duration = int(_pick(rng, [60, 75, 90, 120], [0.3, 0.3, 0.25, 0.15]))
            if at >= 13 * 60:
                nd.duration = min(nd.duration, 90)
            nd.continuity = str(_pick(rng, ["", "prefer"], [0.5, 0.5]))
            nd.start = monday - dt.timedelta(days=int(rng.integers(21, 90)))
            if rng.random() < 0.6:
                nd.end = monday + dt.timedelta(days=int(rng.integers(10, 80)))
            _recurring_period(rng, nd, monday)
        else:
            nd.once = _one_off_date(rng, monday, [1, 1, 1, 1, 1, 0.05, 0])
            nd.duration = int(rng.choice(np.arange(60, 151, 15)))
            if at >= 13 * 60:
                nd.duration = min(nd.duration, 90)  # done before the afternoon is over
            nd.continuity = str(_pick(rng, ["", "none"], [0.6, 0.4]))
        needs.append(nd)
        done += count(nd)

    # Chores (one-off; sometimes a handyman is needed).
    done = 0
    while done < targets["chore"]:
        c = pick_client()
        duration = int(rng.choice([60, 75, 90, 120]))
        begin = int(_pick(rng, [540, 570, 600, 780, 810], [0.3, 0.15, 0.2, 0.2, 0.15]))
        width = int(_pick(rng, [120, 180, 240], [0.4, 0.4, 0.2]))
        end = min(begin + width, 17 * 60 - duration)
        nd = _Need(
            client=c,
            kind="chore",
            once=_one_off_date(rng, monday, [1, 1, 1, 1, 1, 0.6, 0]),
            window=(begin, max(end, begin + 60)),
            duration=duration,
            skills=("handy",) if rng.random() < 0.45 else (),
            priority=3,
            continuity=str(_pick(rng, ["none", "", "prefer"], [0.5, 0.3, 0.2])),
        )
        needs.append(nd)
        done += count(nd)

    # Two-person jobs: carrying furniture.
    done = 0
    while done < targets["duo"]:
        c = pick_client()
        begin = int(_pick(rng, [570, 600, 780], [0.4, 0.4, 0.2]))
        nd = _Need(
            client=c,
            kind="chore",
            once=monday + dt.timedelta(days=int(_pick(rng, range(6), [1, 1, 1, 1, 1, 1.5]))),
            window=(begin, begin + 120),
            duration=int(rng.choice([60, 90, 120])),
            skills=("handy",) if rng.random() < 0.3 else (),
            priority=int(_pick(rng, [2, 3], [0.5, 0.5])),
            needed=2,
            write_needed=True,
            continuity="none",
        )
        needs.append(nd)
        done += count(nd)

    for nd in needs:
        if nd.needed == 1 and rng.random() < 0.1:
            nd.write_needed = True  # some coordinators fill in the default
    return needs


def _narrow(nd: _Need) -> None:
    """Halve the window of a visit or chore (the ``scarce`` variant), keeping its start."""
    if nd.kind in ("visit", "chore"):
        lo, hi = nd.window
        nd.window = (lo, lo + (hi - lo) // 30 * 15)


# --------------------------------------------------------------------------- history


def _fit_days(
    vols: _People,
    cand: np.ndarray,
    days: Sequence[int],
    window: tuple[int, int],
    occupied_before: np.ndarray,
    occupied_after: np.ndarray,
) -> np.ndarray:
    """Boolean (len(cand), len(days)): can the candidate do the task on that weekday?"""
    assert vols.av_start is not None and vols.av_end is not None
    a, b = window
    out = np.zeros((len(cand), len(days)), dtype=bool)
    for j, day in enumerate(days):
        ws = vols.av_start[cand, day, :]
        we = vols.av_end[cand, day, :]
        lo = np.maximum(a, np.ceil((ws + occupied_before[:, None]) / 5.0) * 5.0)
        hi = np.minimum(b, we - occupied_after[:, None])
        out[:, j] = ((ws >= 0) & (lo <= hi)).any(axis=1)
    return out


def _history(
    rng: np.random.Generator,
    vols: _People,
    clients: _People,
    needs: list[_Need],
    need_ids: list[str],
    monday: dt.date,
) -> tuple[pd.DataFrame, dict[int, set[int]]]:
    """History of the four weeks before the horizon, and each client's past helpers.

    Each recurring need gets a small team of eligible volunteers (right skills
    and language, within ``max_km``, available on the need's weekdays, with
    room under their weekly caps); a team member usually serves the same
    weekday, with the odd gap or stand-in.
    """
    assert vols.cap_tasks is not None and vols.cap_hours is not None and vols.cap_km is not None
    first = monday - dt.timedelta(days=7 * HISTORY_WEEKS)
    last = monday - dt.timedelta(days=1)
    n_vol = len(vols.ids)
    tree = cKDTree(_project(vols.lat, vols.lon))
    k = min(n_vol, 120)
    _, neigh = tree.query(_project(clients.lat, clients.lon), k=k)
    neigh = np.asarray(neigh).reshape(len(clients.ids), k)
    load_tasks = np.zeros(n_vol)
    load_hours = np.zeros(n_vol)
    rows: list[tuple[str, str, str, str]] = []
    helpers: dict[int, set[int]] = {}
    order = rng.permutation(len(needs))
    u_need = rng.random(len(needs))
    for idx in order:
        nd = needs[int(idx)]
        if nd.once is not None or u_need[idx] < 0.08:
            continue
        dates = nd.occurrences(first, last)
        if not dates:
            continue
        c = nd.client
        cand = neigh[c]
        d_client = _road_km(vols.lat[cand], vols.lon[cand], clients.lat[c], clients.lon[c])
        reach = d_client
        before = _minutes(d_client)
        if nd.dest is not None:
            d_dest = _road_km(vols.lat[cand], vols.lon[cand], nd.dest[0], nd.dest[1])
            reach = np.maximum(d_client, d_dest)
            before = before + _minutes(
                _road_km(clients.lat[c], clients.lon[c], nd.dest[0], nd.dest[1])
            )
        ok = reach <= vols.cap_km[cand]
        for s in nd.skills + (("driver",) if nd.kind == "ride" else ()):
            ok &= vols.skill[s][cand]
        if nd.languages:
            ok &= np.logical_or.reduce([vols.speaks[lang][cand] for lang in nd.languages])
        if not ok.any():
            continue
        cand, reach, before = cand[ok], reach[ok], before[ok]
        fit = _fit_days(vols, cand, nd.days, nd.window, before, nd.duration + before)
        hours_each = (nd.duration + 2 * before) / 60.0
        per_week = 1.0 / nd.interval
        team_max = {"meal": 3, "ride": 2}.get(nd.kind, 1 + int(rng.random() < 0.2))
        if nd.max_team is not None:
            team_max = min(team_max, nd.max_team)
        team: list[int] = []  # positions in cand
        day_member: dict[int, int] = {}
        for j in rng.permutation(len(nd.days)):
            room = (load_tasks[cand] + per_week <= vols.cap_tasks[cand]) & (
                load_hours[cand] + per_week * hours_each <= 0.9 * vols.cap_hours[cand]
            )
            usable = fit[:, j] & room
            chosen = next((m for m in team if usable[m]), None)
            if chosen is None and len(team) < team_max and usable.any():
                pos = np.flatnonzero(usable)
                w = 1.0 / (1.0 + reach[pos] / 3.0)
                chosen = int(pos[rng.choice(len(pos), p=w / w.sum())])
                team.append(chosen)
            if chosen is not None:
                day_member[nd.days[j]] = chosen
                v = int(cand[chosen])
                load_tasks[v] += per_week
                load_hours[v] += per_week * hours_each[chosen]
        if not day_member:
            continue
        # One stand-in per need covers the odd date (not for needs with a max_team).
        is_member = np.zeros(len(cand), dtype=bool)
        is_member[team] = True
        outsiders = np.flatnonzero(fit.any(axis=1) & ~is_member)
        stand_in = None
        if nd.max_team is None and len(outsiders) > 0:
            stand_in = int(outsiders[int(rng.integers(len(outsiders)))])
        u_date = rng.random(len(dates))
        for d, u in zip(dates, u_date, strict=True):
            member = day_member.get(d.weekday())
            if u < 0.05:
                continue  # nobody went that day
            if u < 0.11 and stand_in is not None:
                j = nd.days.index(d.weekday())
                if fit[stand_in, j]:
                    member = stand_in
            if member is None:
                continue
            v = int(cand[member])
            helpers.setdefault(c, set()).add(v)
            rows.append((need_ids[int(idx)], clients.ids[c], vols.ids[v], d.isoformat()))
    rows.sort(key=lambda r: (r[3], r[0], r[2]))
    frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series([], dtype=str) for c in HISTORY_COLUMNS})
    return frame, helpers


def _preferences(
    rng: np.random.Generator,
    vols: _People,
    clients: _People,
    helpers: dict[int, set[int]],
) -> tuple[list[str], list[str]]:
    """Preferred (about 20 % of clients) and excluded (about 5 %) volunteers."""
    n = len(clients.ids)
    tree = cKDTree(_project(vols.lat, vols.lon))
    k = min(len(vols.ids), 12)
    _, neigh = tree.query(_project(clients.lat, clients.lon), k=k)
    neigh = np.asarray(neigh).reshape(n, k)
    u_pref = rng.random(n)
    u_excl = rng.random(n)
    preferred: list[str] = []
    excluded: list[str] = []
    for c in range(n):
        past = sorted(helpers.get(c, set()))
        pref: list[int] = []
        if u_pref[c] < 0.2:
            if past and rng.random() < 0.6:
                pref.append(past[int(rng.integers(len(past)))])
            near = [int(v) for v in neigh[c] if int(v) not in pref]
            extra = 1 if not pref else int(rng.random() < 0.3)
            pref.extend(near[int(rng.integers(len(near)))] for _ in range(extra) if near)
        excl: list[int] = []
        if u_excl[c] < 0.05:
            near = [int(v) for v in neigh[c] if int(v) not in pref and int(v) not in past]
            if near:
                excl.append(near[int(rng.integers(len(near)))])
        preferred.append(";".join(vols.ids[v] for v in sorted(set(pref))))
        excluded.append(";".join(vols.ids[v] for v in excl))
    return preferred, excluded


# --------------------------------------------------------------------------- public API


def generate(
    size: str = "village",
    seed: int = 0,
    variant: str | None = None,
    week: str = "2026-W49",
) -> dict[str, pd.DataFrame]:
    """Generate a synthetic registry.

    Parameters
    ----------
    size : {"village", "municipality", "region", "province"}
        ``village``: one village (Grubbenvorst), about 60 volunteers, 40
        clients and 70 tasks a week. ``municipality``: sixteen villages of
        Horst aan de Maas, about 650 volunteers and 750 tasks a week.
        ``region``: the 100 places nearest to Horst (Limburg and Brabant),
        about 5,000 volunteers and 5,000 tasks a week. ``province``: the 400
        places nearest to Horst (within about 75 km: most of Limburg and
        eastern North Brabant), about 20,000 volunteers and 20,000 tasks a week.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same arguments always
        give identical frames.
    variant : {None, "scarce_drivers", "holiday", "strict", "scarce"}
        ``scarce_drivers``: about 20 % of volunteers drive instead of 45 %.
        ``holiday``: a third of the volunteers are away the whole week.
        ``strict``: every need has continuity ``strict``.
        ``scarce``: volunteers give few hours (on at most
        :data:`SCARCE_DAYS` days and :data:`SCARCE_MAX_HOURS` hours a week),
        about 20 % drive, and visit and chore windows are half as wide:
        supply well below demand (65–80 % weighted coverage).
        ``shared_rides``: the base instance plus, in every place, a weekly
        lunch at the village meal point (*eetpunt*, at the place's centroid)
        for 3–6 residents who need a ride there and back (12:00, 2 hours): rides
        that trips can share.
        Whatever the variant, rides get a ``return_mode`` (about 10 % ``none``;
        ``separate`` for most appointments of 2 hours or more and 15 % of the
        others), 5 % ride alone (``shared = no``), and cars 1–4 ``seats``,
        drawn from a random stream of their own: the rest of the instance is
        the same as without these columns.
    week : str
        ISO week of the planning horizon, e.g. ``"2026-W49"``. Dates of
        needs, unavailability and history are placed relative to it.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"volunteers"``, ``"clients"``, ``"needs"`` and ``"history"``, with
        the columns of the data contract and values as they appear in CSV
        (text, numbers, ``;``-separated tags). An empty cell (the default) is
        ``""`` in a text column and ``None`` in a numeric one.

    Raises
    ------
    ValueError
        On an unknown size or variant, or a malformed week.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"variant must be None or one of {list(VARIANTS)}, got {variant!r}")
    spec = SIZES[size]
    monday = parse_week(week)
    rng = np.random.default_rng(seed)
    r_vol, r_cli, r_need, r_hist, r_pref = rng.spawn(5)

    _, p_lat, p_lon, weights = _select_places(spec)
    spread = np.sqrt(np.maximum(weights, 1.0)) if len(weights) > 1 else np.ones(1)
    limburg = _in_limburg(p_lat, p_lon)

    vol_frame, vols = _volunteers(
        r_vol, spec.volunteers, p_lat, p_lon, weights, spread, limburg, monday, variant
    )
    clients = _clients(r_cli, spec.clients, p_lat, p_lon, weights, spread, limburg)
    needs = _needs(r_need, clients, spec.tasks, monday)
    if variant == "strict":
        for nd in needs:
            nd.continuity = "strict"
    if variant == "scarce":
        for nd in needs:
            _narrow(nd)
    r_trip = np.random.default_rng([seed, 15])  # its own stream: nothing else moves
    if variant == "shared_rides":
        needs += _meal_rides(r_trip, clients, p_lat, p_lon, monday)
    need_ids = _ids("N", len(needs))
    history, helpers = _history(r_hist, vols, clients, needs, need_ids, monday)
    preferred, excluded = _preferences(r_pref, vols, clients, helpers)

    n_cli = len(clients.ids)
    client_frame = pd.DataFrame(
        {
            "client_id": clients.ids,
            "name": _names(r_cli, clients.speaks, n_cli, set(vol_frame["name"])),
            "lat": clients.lat,
            "lon": clients.lon,
            "address": [""] * n_cli,
            "languages": [
                ";".join(g for g in ("nl", "limburgs", "ar", "tr", "pl") if clients.speaks[g][i])
                for i in range(n_cli)
            ],
            "preferred_volunteers": preferred,
            "excluded_volunteers": excluded,
        }
    )
    need_frame = pd.DataFrame(
        {
            "need_id": need_ids,
            "client_id": [clients.ids[nd.client] for nd in needs],
            "kind": [nd.kind for nd in needs],
            "schedule": [nd.schedule() for nd in needs],
            "start_date": [nd.start.isoformat() if nd.start else "" for nd in needs],
            "end_date": [nd.end.isoformat() if nd.end else "" for nd in needs],
            "window": [f"{_hhmm(nd.window[0])}-{_hhmm(nd.window[1])}" for nd in needs],
            "duration_min": np.array([nd.duration for nd in needs], dtype=int),
            "skills": [";".join(nd.skills) for nd in needs],
            "languages": [";".join(nd.languages) for nd in needs],
            "priority": np.array([nd.priority for nd in needs], dtype=int),
            "volunteers_needed": _optional(nd.needed if nd.write_needed else None for nd in needs),
            "continuity": [nd.continuity for nd in needs],
            "dest_lat": _optional(nd.dest[0] if nd.dest else None for nd in needs),
            "dest_lon": _optional(nd.dest[1] if nd.dest else None for nd in needs),
            "max_team": _optional(nd.max_team for nd in needs),
        }
    )
    _trip_columns(r_trip, vol_frame, need_frame)
    return {
        "volunteers": vol_frame,
        "clients": client_frame,
        "needs": need_frame,
        "history": history,
    }


def _meal_rides(
    rng: np.random.Generator,
    clients: Any,
    p_lat: np.ndarray,
    p_lon: np.ndarray,
    monday: dt.date,
) -> list[_Need]:
    """A weekly lunch ride to each place's meal point for 3-6 of its residents."""
    out: list[_Need] = []
    c_lat, c_lon = np.asarray(clients.lat), np.asarray(clients.lon)
    near = np.argmin(
        _haversine_km(c_lat[:, None], c_lon[:, None], p_lat[None, :], p_lon[None, :]), axis=1
    )
    for place in range(len(p_lat)):
        residents = np.flatnonzero(near == place)
        if len(residents) < 3:
            continue
        k = int(rng.integers(3, min(6, len(residents)) + 1))
        weekday = int(rng.integers(0, 5))
        for c in rng.choice(residents, size=k, replace=False).tolist():
            out.append(
                _Need(
                    client=int(c), kind="ride", days=(weekday,), window=(12 * 60, 12 * 60),
                    duration=120, priority=2, dest=(float(p_lat[place]), float(p_lon[place])),
                    continuity="none",
                )
            )  # fmt: skip
    return out


def _trip_columns(rng: np.random.Generator, vols: pd.DataFrame, needs: pd.DataFrame) -> None:
    """``return_mode``, ``shared`` (rides) and ``seats`` (cars), from their own stream."""
    n = len(needs)
    u = rng.random(n)
    long = needs["duration_min"].to_numpy() >= 120
    ride = (needs["kind"] == "ride").to_numpy()
    mode = np.where(u < 0.10, "none", np.where(long & (u < 0.80) | (u > 0.85), "separate", ""))
    needs["return_mode"] = np.where(ride, mode, "")
    needs["shared"] = np.where(ride & (rng.random(n) < 0.05), "no", "")
    seats = rng.choice(["", "4", "1", "2"], size=len(vols), p=[0.6, 0.2, 0.1, 0.1])
    vols["seats"] = seats


def write_registry(frames: dict[str, pd.DataFrame], folder: str | Path) -> Path:
    """Write a registry as a folder of CSV files.

    Parameters
    ----------
    frames : dict of str to pandas.DataFrame
        Tables keyed ``"volunteers"``, ``"clients"``, ``"needs"`` and
        optionally ``"history"``; each is written to ``<key>.csv``.
    folder : str or pathlib.Path
        Target folder; created when missing. Existing files are overwritten.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(out / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
    return out


# --------------------------------------------------------------------------- self-check (CLI)


def _tags(value: object) -> list[str]:
    """Split a ``;``-separated cell into tags (empty or missing: none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return []
    return [t.strip() for t in str(value).split(";") if t.strip()]


def _dates(need: pd.Series, first: dt.date, stop: dt.date) -> list[dt.date]:
    """Occurrences of one need row in ``[first, stop)``, via :mod:`dateutil.rrule`."""
    from dateutil.rrule import rrulestr

    start = dt.date.fromisoformat(need["start_date"]) if _tags(need["start_date"]) else None
    end = dt.date.fromisoformat(need["end_date"]) if _tags(need["end_date"]) else None
    lo = max(first, start) if start else first
    hi = min(stop - dt.timedelta(days=1), end) if end else stop - dt.timedelta(days=1)
    if lo > hi:
        return []
    if _ISO_DATE.fullmatch(need["schedule"]):
        d = dt.date.fromisoformat(need["schedule"])
        return [d] if lo <= d <= hi else []
    dtstart = dt.datetime.combine(start or first - dt.timedelta(days=7), dt.time())
    rule = rrulestr(need["schedule"], dtstart=dtstart)
    got = rule.between(dt.datetime.combine(lo, dt.time()), dt.datetime.combine(hi, dt.time()), True)
    return [x.date() for x in got]


def _horizon_dates(need: pd.Series, monday: dt.date) -> list[dt.date]:
    """Occurrences of one need row in the horizon week starting on ``monday``."""
    return _dates(need, monday, monday + dt.timedelta(days=7))


def self_check(frames: dict[str, pd.DataFrame], week: str = "2026-W49") -> list[str]:
    """Check a generated registry against the data contract.

    Parameters
    ----------
    frames : dict of str to pandas.DataFrame
        Output of :func:`generate`.
    week : str
        ISO week of the horizon.

    Returns
    -------
    list of str
        Problems found; empty when the registry is consistent.
    """
    from dateutil.rrule import rrulestr

    problems: list[str] = []
    columns = {
        "volunteers": VOLUNTEER_COLUMNS,
        "clients": CLIENT_COLUMNS,
        "needs": NEED_COLUMNS,
        "history": HISTORY_COLUMNS,
    }
    for name, cols in columns.items():
        missing = [c for c in cols if c not in frames[name].columns]
        if missing:
            problems.append(f"{name}: missing columns {missing}")
    if problems:
        return problems
    vol, cli, need, hist = (frames[k] for k in ("volunteers", "clients", "needs", "history"))
    for name, frame, key in (
        ("volunteers", vol, "volunteer_id"),
        ("clients", cli, "client_id"),
        ("needs", need, "need_id"),
    ):
        if frame[key].duplicated().any():
            problems.append(f"{name}: duplicate {key}")
    vol_ids = set(vol["volunteer_id"])
    cli_ids = set(cli["client_id"])
    need_client = dict(zip(need["need_id"], need["client_id"], strict=True))
    if not set(need["client_id"]) <= cli_ids:
        problems.append("needs: unknown client_id")
    for col in ("preferred_volunteers", "excluded_volunteers"):
        refs = {t for cell in cli[col] for t in _tags(cell)}
        if not refs <= vol_ids:
            problems.append(f"clients.{col}: unknown volunteer ids {sorted(refs - vol_ids)[:5]}")
    if not set(hist["volunteer_id"]) <= vol_ids:
        problems.append("history: unknown volunteer_id")
    if any(
        need_client.get(n) != c for n, c in zip(hist["need_id"], hist["client_id"], strict=True)
    ):
        problems.append("history: need_id/client_id do not match needs")
    if not all(_ISO_DATE.fullmatch(d) for d in hist["date"]):
        problems.append("history: bad date")
    monday = parse_week(week)
    first = monday - dt.timedelta(days=7 * HISTORY_WEEKS)
    row_of = {nid: i for i, nid in enumerate(need["need_id"])}
    for nid, dates in hist.groupby("need_id")["date"]:
        if nid not in row_of:
            continue
        allowed = {d.isoformat() for d in _dates(need.iloc[row_of[nid]], first, monday)}
        if not set(dates) <= allowed:
            problems.append(f"history of {nid}: dates on which the need does not occur")
    for frame, name in ((vol, "volunteers"), (cli, "clients")):
        if not (frame["lat"].between(50.7, 53.6).all() and frame["lon"].between(3.3, 7.3).all()):
            problems.append(f"{name}: lat/lon outside the Netherlands")
    for vid, text in zip(vol["volunteer_id"], vol["availability"], strict=True):
        items = [s.strip() for s in str(text).split(";")]
        for item in items:
            m = _AVAIL_ITEM_RE.fullmatch(item)
            if m is None or int(m[2]) * 60 + int(m[3]) >= int(m[4]) * 60 + int(m[5]):
                problems.append(f"{vid}: bad availability item {item!r}")
    for vid, text in zip(vol["volunteer_id"], vol["unavailable"], strict=True):
        for item in _tags(text):
            ends = item.split("..")
            if len(ends) > 2 or not all(_ISO_DATE.fullmatch(e) for e in ends) or ends[0] > ends[-1]:
                problems.append(f"{vid}: bad unavailable item {item!r}")
    for _, row in need.iterrows():
        nid = row["need_id"]
        m = _WINDOW_RE.fullmatch(row["window"])
        if m is None or int(m[1]) * 60 + int(m[2]) > int(m[3]) * 60 + int(m[4]):
            problems.append(f"{nid}: bad window {row['window']!r}")
        if row["kind"] == "ride" and (pd.isna(row["dest_lat"]) or pd.isna(row["dest_lon"])):
            problems.append(f"{nid}: ride without destination")
        start, end = row["start_date"], row["end_date"]
        for value in (start, end):
            if _tags(value) and not _ISO_DATE.fullmatch(str(value)):
                problems.append(f"{nid}: bad date {value!r}")
        if _tags(start) and _tags(end) and str(end) < str(start):
            problems.append(f"{nid}: end_date before start_date")
        schedule = row["schedule"]
        if not _ISO_DATE.fullmatch(schedule):
            try:
                rrulestr(schedule, dtstart=dt.datetime(2026, 1, 5))
            except (ValueError, TypeError) as exc:
                problems.append(f"{nid}: bad rrule {schedule!r}: {exc}")
            interval = re.search(r"INTERVAL=(\d+)", schedule)
            if interval and int(interval[1]) > 1 and not _tags(row["start_date"]):
                problems.append(f"{nid}: INTERVAL>1 without start_date")
    return problems


def summary(frames: dict[str, pd.DataFrame], week: str = "2026-W49") -> dict[str, float]:
    """Rough size and capacity figures of a registry (for the command line).

    Parameters
    ----------
    frames : dict of str to pandas.DataFrame
        Output of :func:`generate`.
    week : str
        ISO week of the horizon.

    Returns
    -------
    dict of str to float
        Row counts, ``tasks`` in the week, ``demand_hours`` (help plus an
        estimate of travel, per volunteer needed) and ``supply_hours``
        (availability capped by ``max_hours_per_week``, ignoring
        ``unavailable``).
    """
    monday = parse_week(week)
    vol, need = frames["volunteers"], frames["needs"]
    tasks = 0
    demand = 0.0
    for _, row in need.iterrows():
        n = len(_horizon_dates(row, monday))
        needed = 1 if pd.isna(row["volunteers_needed"]) else int(row["volunteers_needed"])
        travel = 2 * 3.0 if row["kind"] != "ride" else 2 * 25.0
        tasks += n
        demand += n * needed * (int(row["duration_min"]) + travel) / 60.0
    supply = 0.0
    for text, cap in zip(vol["availability"], vol["max_hours_per_week"], strict=True):
        hours = 0.0
        for item in str(text).split(";"):
            m = _AVAIL_ITEM_RE.fullmatch(item.strip())
            if m is not None:
                hours += (int(m[4]) * 60 + int(m[5]) - int(m[2]) * 60 - int(m[3])) / 60.0
        supply += min(hours, DEFAULT_MAX_HOURS if pd.isna(cap) else float(cap))
    return {
        "volunteers": len(vol),
        "clients": len(frames["clients"]),
        "needs": len(need),
        "history": len(frames["history"]),
        "tasks": tasks,
        "demand_hours": round(demand, 1),
        "supply_hours": round(supply, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate a registry, check it and write it as CSV files.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 when the self-check passes, 1 otherwise.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description="Generate a synthetic registry."
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="village")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variant", choices=VARIANTS, default=None)
    parser.add_argument("--week", default="2026-W49")
    parser.add_argument("--out", required=True, help="folder for the CSV files")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    frames = generate(args.size, seed=args.seed, variant=args.variant, week=args.week)
    seconds = time.perf_counter() - t0
    again = generate(args.size, seed=args.seed, variant=args.variant, week=args.week)
    problems = self_check(frames, args.week)
    if not all(frames[k].equals(again[k]) for k in frames):
        problems.append("generation is not deterministic")
    folder = write_registry(frames, args.out)
    facts = summary(frames, args.week)
    print(f"wrote {folder} in {seconds:.2f} s: {facts}")
    for problem in problems[:50]:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print("self-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
