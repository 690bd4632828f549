"""Who can take this job? Volunteers for a new one-off need, against the current plan.

:class:`WhoCan` indexes the registry and a plan once (a fraction of a second on
the municipality benchmark); each query then checks every volunteer at once
with numpy (skills, languages, distance, availability incl. travel,
unavailable dates, exclusions) and, for those left, the plan: overlap with their
tasks and weekly caps. It answers in milliseconds.

Volunteers come back in two groups: ``free`` — they can take it without
changing anything else — and ``if_moved`` — they could if one of their tasks
(listed) went to someone else. Ids only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from matchkracht.advice.candidates import TaskSpec, VolunteerIndex, problem_for_plan
from matchkracht.data.geo import TravelModel
from matchkracht.data.models import Need
from matchkracht.data.parsing import format_minutes
from matchkracht.data.registry import Registry
from matchkracht.errors import InvalidSettingsError
from matchkracht.problem.core import MINUTES_PER_DAY, Problem

__all__ = ["WHOCAN_COLUMNS", "WhoCan", "who_can"]

WHOCAN_COLUMNS = [
    "rank", "volunteer_id", "status", "start", "blocking", "travel_km", "familiar", "load",
]  # fmt: skip


class WhoCan:
    """Answer "who can take this job?" for new one-off needs against one plan.

    Parameters
    ----------
    registry
        The registry.
    plan
        The current :class:`~matchkracht.plan.Plan`.
    problem
        Its problem (rebuilt from the plan's metadata if omitted).
    travel
        The travel model, if not the default.
    """

    def __init__(
        self,
        registry: Registry,
        plan: Any,
        *,
        problem: Problem | None = None,
        travel: TravelModel | None = None,
    ) -> None:
        self.problem = problem if problem is not None else problem_for_plan(registry, plan, travel)
        self.index = VolunteerIndex(self.problem, registry, travel)
        self.state = plan.occupancy(self.problem)

    def spec(self, need: Mapping[str, Any]) -> TaskSpec:
        """Validate a needs row (a one-off: ``schedule`` is an ISO date) into a :class:`TaskSpec`."""
        row = {k: v for k, v in need.items() if v is not None and v != ""}
        row.setdefault("need_id", "NEW")
        try:
            rec = Need.model_validate(row)
        except ValidationError as exc:
            cols = sorted({str(e.get("loc", ("?",))[0]) for e in exc.errors()})
            raise InvalidSettingsError(f"The new need is invalid in: {', '.join(cols)}.") from None
        hz = self.problem.horizon
        days = rec.occurrences(hz.first, hz.last)
        if len(days) != 1:
            raise InvalidSettingsError(
                f"The new need must occur exactly once in {hz.label}; it occurs {len(days)} times."
            )
        if rec.client_id not in self.index.client_index:
            raise InvalidSettingsError(f"Unknown client_id {rec.client_id!r}.")
        d = days[0]
        dest = (
            (float(rec.dest_lat), float(rec.dest_lon))
            if rec.kind == "ride" and rec.dest_lat is not None and rec.dest_lon is not None
            else None
        )
        return TaskSpec(
            task_id=f"{rec.need_id}@{d.isoformat()}",
            need_id=rec.need_id,
            client=self.index.client_index[rec.client_id],
            kind=rec.kind,
            day=(d - hz.first).days,
            week=hz.week_index(d),
            lo=rec.window[0],
            hi=rec.window[1],
            duration=rec.duration_min,
            skills=rec.required_skills,
            languages=rec.languages,
            needed=rec.volunteers_needed,
            priority=rec.priority,
            continuity=rec.continuity,
            dest=dest,
        )

    def __call__(self, need: Mapping[str, Any], *, moved: bool = True) -> pd.DataFrame:
        """Ranked volunteers for ``need``: ``free`` first, then ``if_moved``.

        Parameters
        ----------
        need
            A needs row per the data contract (``client_id``, ``schedule`` as an
            ISO date in the plan's horizon, ``window``, ``kind``, ...).
        moved
            Also list volunteers who could if one of their tasks moved.

        Returns
        -------
        pandas.DataFrame
            :data:`WHOCAN_COLUMNS`: rank, volunteer id, status (``free`` or
            ``if_moved``), earliest feasible start (``HH:MM``), the task to move
            (``if_moved``), round-trip km, whether they helped this client
            before, and their weekly task load after taking it.
        """
        spec = self.spec(need)
        ix, st = self.index, self.state
        cand = ix.candidates(spec)
        elig = np.flatnonzero(cand.eligible)
        ok = ix.fit(cand, st, elig)
        free = np.asarray(ok.any(axis=1), dtype=bool)
        helped = ix.helped.get(spec.client, set())
        rows: list[dict[str, Any]] = []

        def add(v: int, status: str, starts: Any, blocking: str, extra: int) -> None:
            rows.append(
                {
                    "volunteer_id": ix.vol_ids[v],
                    "status": status,
                    "start": format_minutes(int(cand.starts[starts][0]) % MINUTES_PER_DAY),
                    "blocking": blocking,
                    "travel_km": round(float(cand.km[v]), 2),
                    "familiar": v in helped,
                    "load": f"{int(st.tasks_used[v, spec.week]) + extra}/{int(ix.max_tasks[v])}",
                }
            )

        for i, v in enumerate(elig.tolist()):
            if free[i]:
                add(v, "free", ok[i], "", 1)
                continue
            if not moved:
                continue
            for _, _, u in sorted(st.busy.get(v, ()), key=lambda b: b[0]):
                if u < 0 or int(self.problem.task_week[u]) != spec.week:
                    continue
                ok_u = ix.fit(cand, st, np.array([v]), ignore=frozenset({u}))[0]
                if ok_u.any():
                    add(v, "if_moved", ok_u, self.problem.task_ids[u], 0)
                    break
        out = pd.DataFrame(rows, columns=WHOCAN_COLUMNS[1:])
        if not out.empty:
            out = out.sort_values(
                ["status", "familiar", "travel_km", "volunteer_id"],
                ascending=[True, False, True, True],
                kind="stable",
            ).reset_index(drop=True)
        out.insert(0, "rank", np.arange(1, len(out) + 1))
        return out


def who_can(
    registry: Registry,
    plan: Any,
    need: Mapping[str, Any],
    *,
    problem: Problem | None = None,
    travel: TravelModel | None = None,
) -> pd.DataFrame:
    """One-shot :class:`WhoCan` query (index once with :class:`WhoCan` for many queries)."""
    return WhoCan(registry, plan, problem=problem, travel=travel)(need)
