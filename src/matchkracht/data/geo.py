"""Distances and travel times, as the data contract defines them.

The default is the great-circle distance times a road factor (1.3), travelled at
40 km/h. A user-supplied table of distances and durations replaces it for the
pairs it lists. Geocoding of addresses is opt-in: it happens only when a geopy
geocoder is passed to the registry, and results are cached on disk.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "EARTH_RADIUS_KM",
    "GeocodeCache",
    "GreatCircleTravel",
    "MatrixTravel",
    "TravelModel",
    "great_circle_km",
]

logger = logging.getLogger("matchkracht")

#: Mean earth radius (IUGG), the same value geopy's ``great_circle`` uses.
EARTH_RADIUS_KM = 6371.009

FloatArray = npt.NDArray[np.float64]


def great_circle_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in km between points (degrees), vectorised and broadcast.

    Examples
    --------
    >>> round(float(great_circle_km(51.4202, 6.1385, 51.3577, 6.1546)), 2)  # doctest: +SKIP
    7.0
    """
    p1, l1, p2, l2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lat1, lon1, lat2, lon2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


class TravelModel(Protocol):
    """How far (km) and how long (minutes) it is between points.

    Points are given both by key (a volunteer, client or need id; see
    :class:`MatrixTravel`) and by coordinates. Arrays broadcast against each other.
    """

    def km(
        self,
        from_keys: npt.ArrayLike,
        from_ll: FloatArray,
        to_keys: npt.ArrayLike,
        to_ll: FloatArray,
    ) -> FloatArray:
        """Road distance in km."""
        ...

    def minutes(
        self,
        from_keys: npt.ArrayLike,
        from_ll: FloatArray,
        to_keys: npt.ArrayLike,
        to_ll: FloatArray,
    ) -> FloatArray:
        """Travel time in minutes."""
        ...


@dataclass(frozen=True)
class GreatCircleTravel:
    """Great-circle distance times ``road_factor``, driven at ``speed_kmh``.

    ``from_ll`` and ``to_ll`` are arrays of shape ``(..., 2)`` holding (lat, lon).
    """

    road_factor: float = 1.3
    speed_kmh: float = 40.0

    def km(
        self,
        from_keys: npt.ArrayLike,
        from_ll: FloatArray,
        to_keys: npt.ArrayLike,
        to_ll: FloatArray,
    ) -> FloatArray:
        """Road distance in km: great-circle distance times the road factor."""
        a, b = np.asarray(from_ll), np.asarray(to_ll)
        return self.road_factor * great_circle_km(a[..., 0], a[..., 1], b[..., 0], b[..., 1])

    def minutes(
        self,
        from_keys: npt.ArrayLike,
        from_ll: FloatArray,
        to_keys: npt.ArrayLike,
        to_ll: FloatArray,
    ) -> FloatArray:
        """Travel time in minutes at ``speed_kmh``."""
        return self.km(from_keys, from_ll, to_keys, to_ll) * (60.0 / self.speed_kmh)


@dataclass(frozen=True)
class MatrixTravel:
    """A user-supplied table of distances and durations, with a fallback.

    Parameters
    ----------
    table
        Rows ``(from_id, to_id) -> (km, minutes)``. Ids are volunteer ids, client
        ids and, for a ride's destination, the need id. A pair that is listed
        only in one direction is used for both.
    fallback
        Used for pairs the table does not list (logged once per call, by count).
    """

    table: dict[tuple[str, str], tuple[float, float]]
    fallback: GreatCircleTravel = field(default_factory=GreatCircleTravel)

    @classmethod
    def from_frame(cls, frame: Any, fallback: GreatCircleTravel | None = None) -> MatrixTravel:
        """Build from a DataFrame with columns ``from_id, to_id, km, minutes``."""
        table: dict[tuple[str, str], tuple[float, float]] = {}
        for rec in frame[["from_id", "to_id", "km", "minutes"]].itertuples(index=False):
            table[(str(rec[0]), str(rec[1]))] = (float(rec[2]), float(rec[3]))
        return cls(table, fallback or GreatCircleTravel())

    def _lookup(
        self,
        col: int,
        from_keys: npt.ArrayLike,
        from_ll: FloatArray,
        to_keys: npt.ArrayLike,
        to_ll: FloatArray,
    ) -> FloatArray:
        fk = np.asarray(from_keys, dtype=object)
        tk = np.asarray(to_keys, dtype=object)
        fk, tk = np.broadcast_arrays(fk, tk)
        base = (self.fallback.km if col == 0 else self.fallback.minutes)(fk, from_ll, tk, to_ll)
        out = np.array(np.broadcast_to(base, fk.shape), dtype=np.float64)
        missing = 0
        for i in np.ndindex(fk.shape):
            a, b = str(fk[i]), str(tk[i])
            hit = self.table.get((a, b)) or self.table.get((b, a))
            if hit is None:
                missing += 1 if a != b else 0
            else:
                out[i] = hit[col]
        if missing:
            logger.info("travel table lacks %d pairs; used the default formula for them", missing)
        return out

    def km(
        self,
        from_keys: npt.ArrayLike,
        from_ll: FloatArray,
        to_keys: npt.ArrayLike,
        to_ll: FloatArray,
    ) -> FloatArray:
        """Distance in km from the table (fallback for unlisted pairs)."""
        return self._lookup(0, from_keys, from_ll, to_keys, to_ll)

    def minutes(
        self,
        from_keys: npt.ArrayLike,
        from_ll: FloatArray,
        to_keys: npt.ArrayLike,
        to_ll: FloatArray,
    ) -> FloatArray:
        """Duration in minutes from the table (fallback for unlisted pairs)."""
        return self._lookup(1, from_keys, from_ll, to_keys, to_ll)


class GeocodeCache:
    """A JSON file of address → (lat, lon) in front of a geopy geocoder.

    The geocoder is called only for addresses not in the cache; nothing is
    looked up unless a geocoder is given. Addresses are personal data: the cache
    file lives where the user says (default ``~/.cache/matchkracht/geocode.json``)
    and is never logged.
    """

    def __init__(self, geocoder: Any, path: str | Path | None = None) -> None:
        self.geocoder = geocoder
        self.path = Path(path) if path else Path.home() / ".cache" / "matchkracht" / "geocode.json"
        self._data: dict[str, list[float] | None] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                data = None
            if isinstance(data, dict):
                self._data = data
            else:
                logger.warning("geocode cache file is unreadable; starting an empty cache")

    def lookup(self, address: str) -> tuple[float, float] | None:
        """(lat, lon) of ``address``, or ``None`` when it cannot be found."""
        key = " ".join(address.split()).lower()
        if key not in self._data:
            loc = self.geocoder.geocode(address)
            self._data[key] = None if loc is None else [float(loc.latitude), float(loc.longitude)]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self._data, ensure_ascii=False), encoding="utf-8")
        hit = self._data[key]
        if hit is None or not all(math.isfinite(x) for x in hit):
            return None
        return (hit[0], hit[1])
