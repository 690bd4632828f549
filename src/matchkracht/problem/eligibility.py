"""The eligibility funnel: who may take a task, and at which starts.

One funnel for every caller. :func:`~matchkracht.problem.build_problem` runs it
for every task of a horizon to make the candidate pairs and start options;
the advice layer (:class:`~matchkracht.advice.candidates.VolunteerIndex`:
explanations, fixes, signals, who-can) runs it for one task, existing or
hypothetical, and for synthetic recruits.

The stages (:data:`~matchkracht.problem.core.FUNNEL_STAGES`) are cumulative:

1. ``skills`` — the volunteer has every skill the need requires;
2. ``languages`` — speaks one of the need's languages (if it asks any);
3. ``distance`` — the farthest point of the trip (client, or a ride's
   destination) is within the volunteer's ``max_km``;
4. ``availability`` — on the task's day (not an unavailable date) one of the
   volunteer's windows holds the whole occupied time, travel included, for a
   start on the grid inside the task's window;
5. ``exclusions`` — the client does not exclude the volunteer and the volunteer
   has not declined this task;
6. ``continuity`` — under strict continuity with past helpers, a past helper.

Stages 1–3 do not depend on the day, so :func:`reachable` computes them once
per need and :meth:`Reachable.on_day` adds stages 4–6 for each occurrence (the
batch path of ``build_problem``); one task is ``reachable(...).on_day(...)``.

numpy only: volunteers come in as :class:`Volunteers` arrays (made from any
records with the volunteer fields, see :meth:`Volunteers.from_records`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np

from matchkracht.data.geo import TravelModel
from matchkracht.problem.core import MINUTES_PER_DAY, BoolArray, FloatArray, IntArray

__all__ = [
    "Funnel",
    "Reachable",
    "Trips",
    "Volunteers",
    "reachable",
    "trips",
]

#: Tolerance of the distance stage (km), against rounding of the travel model.
_KM_TOL = 1e-9


class _Window(Protocol):
    @property
    def day(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class _VolunteerRecord(Protocol):
    @property
    def volunteer_id(self) -> str: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...
    @property
    def skills(self) -> frozenset[str]: ...
    @property
    def languages(self) -> frozenset[str]: ...
    @property
    def max_km(self) -> float: ...
    @property
    def availability(self) -> Sequence[_Window]: ...
    def is_unavailable(self, day: date) -> bool: ...


def _tags(tag_sets: Sequence[frozenset[str]]) -> tuple[tuple[str, ...], BoolArray]:
    names = tuple(sorted({t for tags in tag_sets for t in tags}))
    col = {t: i for i, t in enumerate(names)}
    m = np.zeros((len(tag_sets), len(names)), dtype=bool)
    for i, tags in enumerate(tag_sets):
        m[i, [col[t] for t in tags]] = True
    return names, m


@dataclass(frozen=True, eq=False)
class Volunteers:
    """The volunteers as the funnel reads them: one row per volunteer.

    Attributes
    ----------
    ids : tuple of str
    ll : numpy.ndarray of float
        ``(n, 2)`` home latitude and longitude.
    skill_names, language_names : tuple of str
        Columns of ``skills`` and ``languages``.
    skills, languages : numpy.ndarray of bool
        ``(n, skill_names)`` and ``(n, language_names)``.
    max_km : numpy.ndarray of float
    unavailable : numpy.ndarray of bool
        ``(n, days)``: the volunteer is unavailable on that day of the horizon.
    first_weekday : int
        Weekday (0 = Monday) of the horizon's first day.
    win_vol, win_dow, win_lo, win_hi : numpy.ndarray of int
        The weekly availability windows: volunteer, weekday, start and end minute.
    """

    ids: tuple[str, ...]
    ll: FloatArray
    skill_names: tuple[str, ...]
    skills: BoolArray
    language_names: tuple[str, ...]
    languages: BoolArray
    max_km: FloatArray
    unavailable: BoolArray
    first_weekday: int
    win_vol: IntArray
    win_dow: IntArray
    win_lo: IntArray
    win_hi: IntArray

    @classmethod
    def from_records(cls, records: Sequence[_VolunteerRecord], days: Sequence[date]) -> Volunteers:
        """Arrays of validated volunteer rows for the horizon ``days`` (consecutive)."""
        n = len(records)
        # a car that takes a wheelchair is the skill a wheelchair ride requires
        skill_names, skills = _tags(
            [
                r.skills | {"wheelchair_car"} if getattr(r, "wheelchair_car", False) else r.skills
                for r in records
            ]
        )
        lang_names, langs = _tags([r.languages for r in records])
        win = [(i, w.day, w.start, w.end) for i, r in enumerate(records) for w in r.availability]
        win_vol, win_dow, win_lo, win_hi = np.array(win, dtype=np.int64).reshape(-1, 4).T
        return cls(
            ids=tuple(r.volunteer_id for r in records),
            ll=np.array([[r.lat, r.lon] for r in records], dtype=np.float64).reshape(n, 2),
            skill_names=skill_names,
            skills=skills,
            language_names=lang_names,
            languages=langs,
            max_km=np.array([r.max_km for r in records], dtype=np.float64),
            unavailable=np.array(
                [[r.is_unavailable(d) for d in days] for r in records], dtype=bool
            ).reshape(n, len(days)),
            first_weekday=days[0].weekday() if len(days) else 0,
            win_vol=np.ascontiguousarray(win_vol),
            win_dow=np.ascontiguousarray(win_dow),
            win_lo=np.ascontiguousarray(win_lo),
            win_hi=np.ascontiguousarray(win_hi),
        )

    @property
    def n(self) -> int:
        """Number of volunteers."""
        return len(self.ids)

    @property
    def key(self) -> Any:
        """The ids as an object array (the travel model's keys)."""
        return np.array(self.ids, dtype=object)

    def with_skills(self, required: frozenset[str]) -> BoolArray:
        """Volunteers with every skill in ``required``."""
        col = {t: i for i, t in enumerate(self.skill_names)}
        if any(t not in col for t in required):
            return np.zeros(self.n, dtype=bool)
        cols = [col[t] for t in sorted(required)]
        if not cols:
            return np.ones(self.n, dtype=bool)
        return np.asarray(self.skills[:, cols].all(axis=1), dtype=bool)

    def speaking(self, languages: frozenset[str]) -> BoolArray:
        """Volunteers speaking one of ``languages`` (everyone when it is empty)."""
        if not languages:
            return np.ones(self.n, dtype=bool)
        cols = [i for i, t in enumerate(self.language_names) if t in languages]
        return np.asarray(self.languages[:, cols].any(axis=1), dtype=bool)


@dataclass(frozen=True, eq=False)
class Trips:
    """Every volunteer's trip to one task and back.

    Attributes
    ----------
    reach_km : numpy.ndarray of float
        Km from home to the farthest point of the trip (the client, or a ride's
        destination if farther): what ``max_km`` bounds.
    out_min, back_min : numpy.ndarray of int
        Minutes home → client (→ destination) and back, rounded up.
    km : numpy.ndarray of float
        Round-trip km.
    """

    reach_km: FloatArray
    out_min: IntArray
    back_min: IntArray
    km: FloatArray


def trips(
    travel: TravelModel,
    home_key: Any,
    home_ll: FloatArray,
    client_key: str,
    client_ll: FloatArray,
    dest: tuple[str, FloatArray] | None = None,
) -> Trips:
    """The trips from ``home_ll`` (``(n, 2)``) to a client (and a ride's destination) and back.

    A ride goes home → client → destination and back the same way; ``dest`` is
    ``(key, lat/lon)`` of the destination.
    """
    km_hc = np.asarray(travel.km(home_key, home_ll, client_key, client_ll), dtype=np.float64)
    km_ch = np.asarray(travel.km(client_key, client_ll, home_key, home_ll), dtype=np.float64)
    min_hc = np.asarray(travel.minutes(home_key, home_ll, client_key, client_ll), dtype=np.float64)
    min_ch = np.asarray(travel.minutes(client_key, client_ll, home_key, home_ll), dtype=np.float64)
    reach, out_km, back_km, out_min, back_min = km_hc, km_hc, km_ch, min_hc, min_ch
    if dest is not None:
        d_key, d_ll = dest
        km_cd = float(travel.km(client_key, client_ll, d_key, d_ll))
        km_dc = float(travel.km(d_key, d_ll, client_key, client_ll))
        min_cd = float(travel.minutes(client_key, client_ll, d_key, d_ll))
        min_dc = float(travel.minutes(d_key, d_ll, client_key, client_ll))
        reach = np.maximum(km_hc, np.asarray(travel.km(home_key, home_ll, d_key, d_ll)))
        out_km, back_km = km_hc + km_cd, km_dc + km_ch
        out_min, back_min = min_hc + min_cd, min_dc + min_ch
    return Trips(
        reach_km=np.asarray(reach, dtype=np.float64),
        out_min=np.ceil(out_min - 1e-9).astype(np.int64),
        back_min=np.ceil(back_min - 1e-9).astype(np.int64),
        km=np.asarray(out_km + back_km, dtype=np.float64),
    )


@dataclass(frozen=True, eq=False)
class Funnel:
    """One task checked against every volunteer: the stage masks and feasible starts.

    Attributes
    ----------
    masks : tuple of numpy.ndarray of bool
        The cumulative masks over volunteers, one per stage of
        :data:`~matchkracht.problem.core.FUNNEL_STAGES`.
    win_vol, win_first, win_last : numpy.ndarray of int
        Feasible starts per availability window that fits (volunteers passing
        ``distance``, on the task's day): the volunteer and the first and last
        start, minutes of the day on the grid.
    grid : int
        Minutes between starts.
    """

    masks: tuple[BoolArray, ...]
    win_vol: IntArray
    win_first: IntArray
    win_last: IntArray
    grid: int

    @property
    def eligible(self) -> BoolArray:
        """Volunteers passing every stage."""
        return self.masks[-1]

    def counts(self) -> list[int]:
        """Volunteers left after each stage."""
        return [int(m.sum()) for m in self.masks]

    def options(self) -> tuple[IntArray, IntArray, IntArray]:
        """The eligible volunteers' feasible starts, each (volunteer, start) once.

        Returns
        -------
        vols : numpy.ndarray of int
            The eligible volunteers with a start, ascending.
        opt_vol : numpy.ndarray of int
            Per option, its position in ``vols``; options sorted by volunteer, then start.
        opt_start : numpy.ndarray of int
            Per option, the start (minutes of the day).
        """
        keep = self.eligible[self.win_vol]
        wv, lo, hi = self.win_vol[keep], self.win_first[keep], self.win_last[keep]
        g = self.grid
        counts = (hi - lo) // g + 1
        rep_v = np.repeat(wv, counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        starts = np.repeat(lo, counts) + g * offs
        span = 2 * MINUTES_PER_DAY
        key = np.unique(rep_v * span + starts)
        kv, ks = key // span, key % span
        vols = np.unique(kv)
        return vols, np.searchsorted(vols, kv).astype(np.int64), ks

    def available(self, starts: IntArray) -> BoolArray:
        """``(volunteers, starts)``: the whole occupied time fits a window at that start.

        ``starts`` are minutes of the day; only volunteers passing ``distance`` can be True.
        """
        n = len(self.masks[0])
        out = np.zeros((n, len(starts)), dtype=bool)
        if len(self.win_vol) and len(starts):
            s = np.asarray(starts)[None, :]
            ok = (s >= self.win_first[:, None]) & (s <= self.win_last[:, None])
            np.logical_or.at(out, self.win_vol, ok)
        return out


@dataclass(frozen=True, eq=False)
class Reachable:
    """Stages 1–3 of one need (skills, languages, distance): the same on every day.

    Make one with :func:`reachable`; :meth:`on_day` completes the funnel for one
    occurrence.
    """

    volunteers: Volunteers
    trips: Trips
    masks: tuple[BoolArray, BoolArray, BoolArray]
    windows: IntArray  #: availability windows of the volunteers passing ``distance``

    def on_day(
        self,
        day: int,
        lo: int,
        hi: int,
        duration: int,
        grid: int,
        *,
        excluded: Sequence[int] | IntArray = (),
        helpers: Sequence[int] | IntArray | None = None,
    ) -> Funnel:
        """The whole funnel for the task on horizon day ``day`` with window ``[lo, hi]``.

        Parameters
        ----------
        day
            Index of the task's day in the horizon.
        lo, hi
            Earliest and latest start (minutes of the day).
        duration
            Minutes at the client.
        grid
            Starts are whole multiples of this many minutes.
        excluded
            Volunteers the client excludes or who declined this task.
        helpers
            Under strict continuity with past helpers: the only volunteers
            allowed; ``None``: no continuity restriction.
        """
        v = self.volunteers
        w = self.windows
        w = w[(v.win_dow[w] == (v.first_weekday + day) % 7) & ~v.unavailable[v.win_vol[w], day]]
        wv = v.win_vol[w]
        first = np.maximum(-(-lo // grid) * grid, v.win_lo[w] + self.trips.out_min[wv])
        first = -((-first) // grid) * grid
        last = np.minimum((hi // grid) * grid, v.win_hi[w] - duration - self.trips.back_min[wv])
        last = (last // grid) * grid
        ok = first <= last
        wv, first, last = wv[ok], first[ok], last[ok]
        s4 = np.zeros(v.n, dtype=bool)
        s4[wv] = True
        s5 = s4.copy()
        s5[np.asarray(excluded, dtype=np.int64)] = False
        s6 = s5
        if helpers is not None:
            s6 = np.zeros(v.n, dtype=bool)
            s6[np.asarray(helpers, dtype=np.int64)] = True
            s6 &= s5
        return Funnel((*self.masks, s4, s5, s6), wv, first, last, grid)


def reachable(
    volunteers: Volunteers, trip: Trips, skills: frozenset[str], languages: frozenset[str]
) -> Reachable:
    """Stages 1–3 for a need asking ``skills`` (all) and ``languages`` (any), with ``trip``."""
    s1 = volunteers.with_skills(skills)
    s2 = s1 & volunteers.speaking(languages)
    s3 = s2 & (trip.reach_km <= volunteers.max_km + _KM_TOL)
    return Reachable(volunteers, trip, (s1, s2, s3), np.flatnonzero(s3[volunteers.win_vol]))
