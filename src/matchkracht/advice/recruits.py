"""Recruits: synthetic volunteers who could take a task, and an empty plan for them.

The ``new_volunteer`` fix (:func:`~matchkracht.advice.fixes.find_fix`) and
the recruitment advice (:mod:`~matchkracht.advice.signals`) both ask "would a
volunteer with these skills, living there, free then, take this task?": they
build the recruit's volunteers row with :func:`synthetic_volunteer` and check
it against a plan in which recruits have no task yet (:func:`empty_state`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from matchkracht.advice.candidates import TaskSpec, VolunteerIndex
from matchkracht.data.parsing import format_minutes
from matchkracht.problem.core import MINUTES_PER_DAY
from matchkracht.problem.eligibility import trips
from matchkracht.problem.occupancy import Occupancy

__all__ = ["empty_state", "synthetic_volunteer"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def synthetic_volunteer(
    volunteer_id: str,
    spec: TaskSpec,
    index: VolunteerIndex,
    *,
    lat: float | None = None,
    lon: float | None = None,
    window: tuple[int, int] | None = None,
    days: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    """A volunteers row able to take ``spec``: its skills, one of its languages, free then.

    Parameters
    ----------
    volunteer_id
        Id of the recruit (e.g. ``"NEW-driver-thu-am"``).
    spec
        The task the recruit must be able to take.
    index
        Volunteers and clients (for travel).
    lat, lon
        Home of the recruit; default the client's place.
    window
        Daily availability (minutes); default the task's window plus travel.
    days
        Weekdays (0 = Monday) of the availability; default the task's weekday.
    """
    p = index.problem
    c_ll = index.client_ll[spec.client]
    home = np.array([lat if lat is not None else c_ll[0], lon if lon is not None else c_ll[1]])
    dest = None if spec.dest is None else (spec.need_id, np.array(spec.dest, dtype=np.float64))
    trip = trips(
        index.travel, np.array([volunteer_id], dtype=object), home[None, :],
        index.client_ids[spec.client], c_ll, dest,
    )  # fmt: skip
    out, back, reach = int(trip.out_min[0]), int(trip.back_min[0]), float(trip.reach_km[0])
    if window is None:
        lo = max(0, (spec.lo - out - 4) // 5 * 5)
        hi = min(MINUTES_PER_DAY, -(-(spec.hi + spec.duration + back + 4) // 5) * 5)
        window = (lo, hi)
    dows = days if days is not None else ((p.horizon.first.weekday() + spec.day) % 7,)
    end = "24:00" if window[1] >= MINUTES_PER_DAY else format_minutes(window[1])
    avail = "; ".join(f"{_DAYS[d]} {format_minutes(window[0])}-{end}" for d in dows)
    occupied_h = (spec.duration + out + back) / 60
    langs = sorted(spec.languages)
    return {
        "volunteer_id": volunteer_id,
        "lat": float(home[0]),
        "lon": float(home[1]),
        "skills": ";".join(sorted(spec.skills)),
        "languages": ";".join(sorted({"nl", langs[0]})) if langs else "nl",
        "availability": avail,
        "max_km": float(max(15.0, math.ceil(reach + 0.5))),
        "max_hours_per_week": float(max(6.0, math.ceil(occupied_h))),
    }


def empty_state(index: VolunteerIndex) -> Occupancy:
    """A plan in which ``index``'s volunteers have no task yet."""
    s = Occupancy(index.problem)
    s.tasks_used = np.zeros((index.n, s.tasks_used.shape[1]), dtype=np.int64)
    s.minutes_used = np.zeros_like(s.tasks_used)
    s.team_known = {}
    return s
