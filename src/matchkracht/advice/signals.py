"""Gaps as signals: unmet demand by skill × weekday × part of day × village, and advice.

* :func:`unmet_signals` groups a plan's unmatched tasks by the skills they
  require (``"none"`` when none), weekday, part of day (morning before 12:00,
  afternoon 12:00–17:00, evening from 17:00, by the window's start) and village.
  The contract has no village: an optional ``village`` column in ``clients`` is
  used when present, else every task is in village ``"all"``.
* :func:`signal_trend` compares with earlier weeks. History holds only help that
  *was* given, so a past week's unmet count is *estimated*: the occurrences the
  current needs table schedules in that week minus the covered tasks in
  history. Needs that changed since, or history that was never recorded, make
  the estimate too high; weeks without any history are left out.
* :func:`recruitment_advice` proposes one synthetic volunteer per top group
  (the group's skills, free on that weekday and part of day, living at the
  centroid of the group's unmet clients, default caps) and measures the gain
  by re-solving with them (time-limited) and by adding them to the current plan
  with nothing else moving; the better verified plan counts. The re-solve
  seconds are reported apart.

Ids only: no names or addresses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from matchkracht.advice.candidates import TaskSpec, VolunteerIndex, problem_for_plan
from matchkracht.advice.fixes import empty_state, synthetic_volunteer
from matchkracht.api import match
from matchkracht.data.geo import TravelModel
from matchkracht.data.horizon import Horizon
from matchkracht.data.registry import Registry
from matchkracht.plan.check import check
from matchkracht.problem.core import Problem

__all__ = [
    "GROUP_COLUMNS",
    "SIGNAL_COLUMNS",
    "Advice",
    "part_of_day",
    "recruitment_advice",
    "signal_trend",
    "task_groups",
    "unmet_signals",
]

GROUP_COLUMNS = ["skill", "weekday", "part_of_day", "village"]
SIGNAL_COLUMNS = [*GROUP_COLUMNS, "tasks", "unmet", "unmet_weight", "share_unmet", "task_ids"]
_DAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_PART_HOURS = {"morning": (8 * 60, 12 * 60), "afternoon": (12 * 60, 17 * 60), "evening": (17 * 60, 21 * 60)}  # fmt: skip


def part_of_day(minutes: int) -> str:
    """``morning`` (< 12:00), ``afternoon`` (12:00–17:00) or ``evening`` (>= 17:00).

    Examples
    --------
    >>> part_of_day(9 * 60), part_of_day(12 * 60), part_of_day(17 * 60)
    ('morning', 'afternoon', 'evening')
    """
    return "morning" if minutes < 12 * 60 else "afternoon" if minutes < 17 * 60 else "evening"


def _villages(registry: Registry) -> dict[str, str]:
    c = registry.clients
    if "village" not in c.columns:
        return {}
    return {
        str(cid): (str(v).strip() if isinstance(v, str) and v.strip() else "all")
        for cid, v in zip(c["client_id"], c["village"], strict=True)
    }


def task_groups(problem: Problem, registry: Registry) -> pd.DataFrame:
    """The signal group of every task of ``problem``: ``task_id, skill, weekday, part_of_day, village``."""
    p = problem
    needs = registry.need_records
    villages = _villages(registry)
    rows = []
    for t in range(p.num_tasks):
        need = needs[int(p.task_need[t])]
        rows.append(
            {
                "task_id": p.task_ids[t],
                "skill": "+".join(sorted(need.required_skills)) or "none",
                "weekday": _DAY[(p.horizon.first.weekday() + int(p.task_day[t])) % 7],
                "part_of_day": part_of_day(int(p.task_window_lo[t])),
                "village": villages.get(need.client_id, "all"),
                "weight": int(p.task_weight[t]),
            }
        )
    return pd.DataFrame(rows, columns=["task_id", *GROUP_COLUMNS, "weight"])


def unmet_signals(registry: Registry, plan: Any, *, problem: Problem | None = None) -> pd.DataFrame:
    """Unmet demand per skill × weekday × part of day × village, largest first.

    Returns
    -------
    pandas.DataFrame
        :data:`SIGNAL_COLUMNS`: the group, its tasks this horizon, how many are
        unmet, their priority weight, the unmet share, and the unmet task ids.
        Only groups with at least one unmet task.
    """
    p = problem if problem is not None else problem_for_plan(registry, plan)
    g = task_groups(p, registry)
    unmet = set(plan.unmatched["task_id"].astype(str))
    g["is_unmet"] = g["task_id"].isin(unmet)
    rows = []
    for key, grp in g.groupby(GROUP_COLUMNS, sort=False):
        u = grp[grp["is_unmet"]]
        if u.empty:
            continue
        rows.append(
            {
                **dict(zip(GROUP_COLUMNS, key, strict=True)),
                "tasks": len(grp),
                "unmet": len(u),
                "unmet_weight": int(u["weight"].sum()),
                "share_unmet": round(len(u) / len(grp), 3),
                "task_ids": ";".join(sorted(u["task_id"])),
            }
        )
    out = pd.DataFrame(rows, columns=SIGNAL_COLUMNS)
    return out.sort_values(
        ["unmet_weight", "unmet", *GROUP_COLUMNS], ascending=[False, False, True, True, True, True]
    ).reset_index(drop=True)


def signal_trend(
    registry: Registry, plan: Any, *, problem: Problem | None = None, weeks_back: int = 4
) -> pd.DataFrame:
    """Unmet tasks per group in earlier weeks (estimated from history) and now.

    Returns
    -------
    pandas.DataFrame
        ``week, skill, weekday, part_of_day, village, tasks, covered, unmet,
        estimated``: one row per week and group with tasks; ``estimated`` is
        True for past weeks (see the module docstring). Past weeks without any
        history row are left out.
    """
    p = problem if problem is not None else problem_for_plan(registry, plan)
    villages = _villages(registry)
    done = {(h.need_id, h.date) for h in registry.history_records}
    hist_days = {h.date for h in registry.history_records}
    rows: list[dict[str, Any]] = []
    for j in range(weeks_back, 0, -1):
        first = p.horizon.first - timedelta(days=7 * j)
        last = first + timedelta(days=6)
        if not any(first <= d <= last for d in hist_days):
            continue
        y, w, _ = first.isocalendar()
        for need in registry.need_records:
            for d in need.occurrences(first, last):
                rows.append(
                    {
                        "week": f"{y}-W{w:02d}",
                        "skill": "+".join(sorted(need.required_skills)) or "none",
                        "weekday": _DAY[d.weekday()],
                        "part_of_day": part_of_day(need.window[0]),
                        "village": villages.get(need.client_id, "all"),
                        "covered": (need.need_id, d) in done,
                        "estimated": True,
                    }
                )
    g = task_groups(p, registry)
    unmet = set(plan.unmatched["task_id"].astype(str))
    for r in g.itertuples(index=False):
        rows.append(
            {
                "week": p.horizon.label,
                "skill": r.skill,
                "weekday": r.weekday,
                "part_of_day": r.part_of_day,
                "village": r.village,
                "covered": r.task_id not in unmet,
                "estimated": False,
            }
        )
    cols = ["week", *GROUP_COLUMNS, "tasks", "covered", "unmet", "estimated"]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)
    out = (
        df.groupby(["week", *GROUP_COLUMNS, "estimated"], sort=True)
        .agg(tasks=("covered", "size"), covered=("covered", "sum"))
        .reset_index()
    )
    out["unmet"] = out["tasks"] - out["covered"]
    return out[cols].reset_index(drop=True)


@dataclass(frozen=True)
class Advice:
    """Recruitment advice and what computing it cost.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per proposed recruit, best first (see :func:`recruitment_advice`).
    resolve_seconds : float
        Wall-clock seconds of all re-solves.
    exact_seconds : float
        Seconds of everything else (building recruits, exact insertion).
    recruits : dict of str to dict
        The synthetic volunteers rows, by id (``recruit`` column starts with it);
        add one with :meth:`~matchkracht.data.registry.Registry.with_volunteers`.
    """

    table: pd.DataFrame
    resolve_seconds: float
    exact_seconds: float
    recruits: dict[str, dict[str, Any]]


ADVICE_COLUMNS = [
    "rank", "skill", "weekday", "part_of_day", "village", "recruit_id", "recruit",
    "gain_tasks", "gain_weight", "gain_tasks_per_week", "gain_weighted_coverage",
    "gain_exact_tasks", "gain_resolve_tasks", "resolve_seconds", "verified", "advice",
]  # fmt: skip


def recruitment_advice(
    registry: Registry,
    plan: Any,
    *,
    problem: Problem | None = None,
    signals: pd.DataFrame | None = None,
    top: int = 5,
    time_limit: float = 5.0,
    resolve: bool = True,
    travel: TravelModel | None = None,
    **settings: Any,
) -> Advice:
    """Rank synthetic recruits by the tasks they would cover, measured by re-solving.

    Parameters
    ----------
    registry, plan
        The registry and the current plan.
    problem
        The plan's problem (rebuilt from its metadata if omitted).
    signals
        Output of :func:`unmet_signals` (computed if omitted).
    top
        Number of groups (largest unmet weight first) that get a candidate recruit;
        groups whose unmet tasks no newcomer may take (strict continuity with past
        helpers, or a full care team) are skipped.
    time_limit
        Seconds per re-solve.
    resolve
        Re-solve with each recruit (else only the exact insertion gain).
    travel
        The travel model, if not the default.
    **settings
        Further :func:`matchkracht.match` settings for the re-solves (``seed``, ...).

    Returns
    -------
    Advice
        ``table`` with :data:`ADVICE_COLUMNS`; ``gain_tasks`` is the best
        verified gain (re-solve or exact insertion), per horizon.
    """
    t0 = time.perf_counter()
    p = problem if problem is not None else problem_for_plan(registry, plan, travel)
    sig = signals if signals is not None else unmet_signals(registry, plan, problem=p)
    index = VolunteerIndex(p, registry, travel)
    state = plan.occupancy(p)
    t_index = {t: i for i, t in enumerate(p.task_ids)}
    unmet_tasks = [t_index[str(t)] for t in plan.unmatched["task_id"]]
    base_cov = int(plan.metrics["covered"])
    total_w = p.total_weight
    base_w = round(float(plan.metrics["weighted_coverage"]) * total_w)
    hz = Horizon.parse(f"{plan.metadata['first_day']}..{plan.metadata['last_day']}")
    weeks = max(p.num_weeks, 1)
    rows: list[dict[str, Any]] = []
    recruits: dict[str, dict[str, Any]] = {}
    resolve_s = 0.0
    first_day = hz.first
    clients_with_history = {h.client_id for h in registry.history_records if h.date < first_day}

    def open_to_newcomers(t: int) -> bool:
        """A new volunteer could take task ``t``: no strict continuity with past
        helpers, and a place left in its care team (if capped)."""
        if p.task_continuity[t] == 2 and p.client_ids[p.task_client[t]] in clients_with_history:
            return False
        n = int(p.task_need[t])
        cap = int(p.need_team_cap[n])
        return not (cap >= 0 and len(state.team.get(n, ())) >= cap)

    # groups whose unmet tasks no newcomer may take cannot gain from a recruit
    candidates = [
        g
        for _, g in sig.iterrows()
        if any(open_to_newcomers(t_index[t]) for t in str(g["task_ids"]).split(";"))
    ]
    for g in candidates[:top]:
        tasks = [t_index[t] for t in str(g["task_ids"]).split(";")]
        specs = [index.spec_of_task(t) for t in tasks]
        row = _recruit_row(index, specs, g)
        recruits[str(row["volunteer_id"])] = row
        # exact: the recruit takes unmatched tasks, heaviest first, nothing else moves
        sub = index.with_volunteers([row])
        st = empty_state(sub)
        st.team = {k: set(v) for k, v in state.team.items()}
        gain_exact, gain_exact_w = 0, 0
        order = sorted(unmet_tasks, key=lambda t: (-int(p.task_weight[t]), p.task_ids[t]))
        for t in order:
            spec = index.spec_of_task(t)
            if spec.needed != 1:
                continue
            cand = sub.candidates(spec)
            if not cand.eligible[0]:
                continue
            ok = sub.fit(cand, st, np.array([0]))[0]
            if ok.any():
                s = int(cand.starts[np.flatnonzero(ok)[0]])
                occ = int(spec.duration + cand.out_min[0] + cand.back_min[0])
                st.tasks_used[0, spec.week] += 1
                st.minutes_used[0, spec.week] += occ
                st.busy.setdefault(0, []).append(
                    (s - int(cand.out_min[0]), s - int(cand.out_min[0]) + occ, t)
                )
                gain_exact += 1
                gain_exact_w += int(p.task_weight[t])
        gain_res, gain_res_w, secs, verified = 0, 0, 0.0, "exact"
        if resolve:
            r0 = time.perf_counter()
            reg2 = registry.with_volunteers([row])
            new_plan = match(reg2, horizon=hz, travel=travel, time_limit=time_limit, **settings)
            secs = time.perf_counter() - r0
            resolve_s += secs
            if check(reg2, new_plan, travel=travel).empty:
                gain_res = int(new_plan.metrics["covered"]) - base_cov
                gain_res_w = round(float(new_plan.metrics["weighted_coverage"]) * total_w) - base_w
        if resolve and (gain_res_w, gain_res) > (gain_exact_w, gain_exact):
            gain, gain_w, verified = gain_res, gain_res_w, "resolve+check"
        else:
            gain, gain_w = gain_exact, gain_exact_w
        where = f"near {g['village']}" if g["village"] != "all" else "near the unmet clients"
        skill = "volunteer" if g["skill"] == "none" else f"{g['skill']} volunteer"
        rows.append(
            {
                "skill": g["skill"],
                "weekday": g["weekday"],
                "part_of_day": g["part_of_day"],
                "village": g["village"],
                "recruit_id": row["volunteer_id"],
                "recruit": f"{row['volunteer_id']}: {row['skills'] or 'no skills'}, "
                f"{row['languages']}, {row['availability']}",
                "gain_tasks": gain,
                "gain_weight": gain_w,
                "gain_tasks_per_week": round(gain / weeks, 2),
                "gain_weighted_coverage": round(gain_w / total_w, 4) if total_w else 0.0,
                "gain_exact_tasks": gain_exact,
                "gain_resolve_tasks": gain_res if resolve else None,
                "resolve_seconds": round(secs, 3),
                "verified": verified,
                "advice": f"One more {skill} free {g['weekday']} {g['part_of_day']}s {where} "
                f"covers {gain / weeks:g} more task{'s' if gain != weeks else ''} a week "
                f"(+{gain_w / total_w:.1%} weighted coverage).",
            }
        )
    table = pd.DataFrame(rows, columns=[c for c in ADVICE_COLUMNS if c != "rank"])
    table = table.sort_values(
        ["gain_weight", "gain_tasks"], ascending=False, kind="stable"
    ).reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    exact_s = time.perf_counter() - t0 - resolve_s
    return Advice(table[ADVICE_COLUMNS], round(resolve_s, 3), round(exact_s, 3), recruits)


def _recruit_row(index: VolunteerIndex, specs: list[TaskSpec], group: Any) -> dict[str, Any]:
    """A synthetic volunteer for a signal group: home at the unmet clients' centroid."""
    ll = index.client_ll[[s.client for s in specs]]
    lat, lon = float(ll[:, 0].mean()), float(ll[:, 1].mean())
    langs: dict[str, int] = {}
    for s in specs:
        for lang in s.languages:
            langs[lang] = langs.get(lang, 0) + 1
    top_lang = max(sorted(langs), key=lambda k: langs[k]) if langs else None
    first = specs[0]
    lo, hi = 24 * 60, 0
    for s in specs:
        r = synthetic_volunteer("x", s, index, lat=lat, lon=lon)
        a, b = r["availability"].split(" ", 1)[1].split("-")
        lo = min(lo, int(a[:2]) * 60 + int(a[3:]))
        hi = max(hi, int(b[:2]) * 60 + int(b[3:]))
    rid = f"NEW-{group['skill']}-{group['weekday']}-{group['part_of_day']}-{group['village']}"
    rid = rid.replace(" ", "_")
    spec = TaskSpec(
        **{**first.__dict__, "languages": frozenset({top_lang}) if top_lang else frozenset()}
    )
    row = synthetic_volunteer(rid, spec, index, lat=lat, lon=lon, window=(lo, hi))
    if group["skill"] == "none":
        row["skills"] = ""
    row["max_km"] = max(float(row["max_km"]), 15.0)
    row.pop("max_hours_per_week", None)  # default caps
    return row
