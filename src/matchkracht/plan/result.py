"""The plan: assignments, unmatched tasks with reasons, metrics, and their export."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matchkracht.data.registry import Registry
from matchkracht.plan.metrics import compute_metrics
from matchkracht.plan.reasons import explain_unmatched
from matchkracht.plan.trips import TRIP_COLUMNS, TripTables
from matchkracht.problem.core import KINDS, MINUTES_PER_DAY, Problem
from matchkracht.problem.occupancy import Occupancy, covered_tasks
from matchkracht.problem.trips import trip_rides
from matchkracht.solver.base import Solution
from matchkracht.texts import REASON_TITLES, number, text

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "TRIP_ASSIGNMENT_COLUMNS",
    "TRIP_COLUMNS",
    "UNMATCHED_COLUMNS",
    "Plan",
    "build_plan",
]

ASSIGNMENT_COLUMNS = [
    "task_id", "need_id", "client_id", "volunteer_id", "kind",
    "start", "end", "depart", "return", "travel_km",
]  # fmt: skip
UNMATCHED_COLUMNS = [
    "task_id", "need_id", "client_id", "kind", "window_start", "missing", "reason_code", "reason",
]  # fmt: skip
DATETIME_COLUMNS = ("start", "end", "depart", "return", "window_start", "arrival", "departure")
#: Columns the assignments gain when rides are planned as trips.
TRIP_ASSIGNMENT_COLUMNS = ["trip_id", "leg"]


@dataclass
class Plan:
    """A weekly (or multi-week) plan, as the data contract describes it.

    Attributes
    ----------
    assignments : pandas.DataFrame
        One row per (task, volunteer): ``task_id, need_id, client_id,
        volunteer_id, kind, start, end, depart, return, travel_km``.
    unmatched : pandas.DataFrame
        One row per task without all the volunteers it needs: ``task_id,
        need_id, client_id, kind, window_start, missing, reason_code, reason``.
    metrics : dict
        ``tasks, covered, coverage, weighted_coverage, travel_km, continuity,
        max_load, max_week_load, gini_load, solve_seconds, status, bound`` and
        more (see the data contract in ``docs/data-contract.md``).
    metadata : dict
        Horizon, grid, engine, settings, seed and library versions.
    trips : pandas.DataFrame
        With rides planned as trips (``match(..., trips=True)``): one row per
        stop of every outing, ``trip_id, volunteer_id, seq, stop, task_id,
        place_id, arrival, departure, on_board, km``; the assignments then
        have ``trip_id`` and ``leg`` too. Empty otherwise.
    """

    assignments: pd.DataFrame
    unmatched: pd.DataFrame
    metrics: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    trips: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TRIP_COLUMNS))

    @property
    def status(self) -> str:
        """``optimal``, ``feasible`` or ``no_solution``."""
        return str(self.metrics["status"])

    def occupancy(self, problem: Problem) -> Occupancy:
        """What each volunteer does in this plan, as indices of ``problem``."""
        a = self.assignments
        if a.empty:
            return Occupancy(problem)
        t_index = {t: i for i, t in enumerate(problem.task_ids)}
        v_index = {v: i for i, v in enumerate(problem.volunteer_ids)}
        base = pd.Timestamp(problem.horizon.first)

        def mins(col: str) -> list[int]:
            delta = pd.to_datetime(a[col]) - base
            return [round(x) for x in (delta.dt.total_seconds() / 60).tolist()]

        return Occupancy.from_rows(
            problem,
            [t_index[t] for t in a["task_id"].astype(str)],
            [v_index[v] for v in a["volunteer_id"].astype(str)],
            mins("start"),
            mins("depart"),
            mins("return"),
        )

    def summary(self, lang: str = "en") -> str:
        """A short, readable report (ids only, no personal data); ``lang="nl"``: Dutch.

        The unmatched lines show the ``reason`` sentences in the language the
        plan was made with (``match(..., lang=...)``); when that differs from
        ``lang``, the short title of the reason code in ``lang``.
        """
        m = self.metrics

        def pct(x: float, digits: int = 1) -> str:
            return number(x, lang, digits, percent=True)

        bound = text("n_a", lang) if m.get("bound") is None else pct(m["bound"])
        lines = [
            text(
                "plan_head", lang, horizon=self.metadata.get("horizon", "?"), status=m["status"],
                seconds=m["solve_seconds"], engine=m.get("engine", "?"),
            ),
            "  " + text("covered", lang, covered=m["covered"], tasks=m["tasks"], share=pct(m["coverage"])),
            "  " + text("weighted", lang, share=pct(m["weighted_coverage"]), bound=bound),
            "  " + text("continuity_line", lang, share=pct(m["continuity"])),
            "  " + text("travel_line", lang, km=number(m["travel_km"], lang)),
            "  " + text(
                "load_line", lang, load=pct(m["max_load"], 0),
                week=pct(m.get("max_week_load", m["max_load"]), 0),
                gini=number(m["gini_load"], lang, 2),
            ),
        ]  # fmt: skip
        if len(self.unmatched):
            counts = self.unmatched["reason_code"].value_counts()
            lines.append(
                "  "
                + text("unmatched_line", lang)
                + ", ".join(f"{c} {code}" for code, c in counts.items())
            )
            same = self.metadata.get("lang", "en") == lang
            head = self.unmatched.head(10)
            for task, code, reason in zip(
                head["task_id"], head["reason_code"], head["reason"], strict=True
            ):
                why = reason if same else REASON_TITLES[lang].get(str(code), str(reason))
                lines.append(f"    {task}: {why}")
            if len(self.unmatched) > 10:
                lines.append("    " + text("and_more", lang, n=len(self.unmatched) - 10))
        return "\n".join(lines)

    def __repr__(self) -> str:
        m = self.metrics
        return (
            f"Plan({self.metadata.get('horizon', '?')}: {m['covered']}/{m['tasks']} tasks, "
            f"weighted_coverage={m['weighted_coverage']:.3f}, status={m['status']!r})"
        )

    # -- export -------------------------------------------------------------------------
    def _frames_for_export(self) -> dict[str, pd.DataFrame]:
        out = {}
        names = (
            ("assignments", "unmatched", "trips")
            if len(self.trips)
            else ("assignments", "unmatched")
        )
        for name in names:
            df = getattr(self, name).copy()
            for col in DATETIME_COLUMNS:
                if col in df.columns:
                    df[col] = pd.to_datetime(df[col]).dt.strftime("%Y-%m-%dT%H:%M:%S")
            out[name] = df
        return out

    def to_csv(self, folder: str | Path) -> Path:
        """Write ``assignments.csv``, ``unmatched.csv`` and ``metrics.json`` into ``folder``.

        A plan with trips writes ``trips.csv`` too.
        """
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for name, df in self._frames_for_export().items():
            df.to_csv(path / f"{name}.csv", index=False, encoding="utf-8")
        (path / "metrics.json").write_text(
            json.dumps({**self.metrics, "metadata": self.metadata}, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        return path

    def to_excel(self, path: str | Path) -> Path:
        """Write a workbook with sheets ``assignments``, ``unmatched`` and ``metrics``."""
        frames = self._frames_for_export()
        metrics = pd.DataFrame(
            {"metric": list(self.metrics), "value": [str(v) for v in self.metrics.values()]}
        )
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            frames["assignments"].to_excel(writer, sheet_name="assignments", index=False)
            frames["unmatched"].to_excel(writer, sheet_name="unmatched", index=False)
            if "trips" in frames:
                frames["trips"].to_excel(writer, sheet_name="trips", index=False)
            metrics.to_excel(writer, sheet_name="metrics", index=False)
        return Path(path)

    def to_dict(self) -> dict[str, Any]:
        """The plan as one JSON-ready document."""
        frames = self._frames_for_export()
        return {
            "metadata": self.metadata,
            "metrics": self.metrics,
            "assignments": frames["assignments"].to_dict(orient="records"),
            "unmatched": frames["unmatched"].to_dict(orient="records"),
            **({"trips": frames["trips"].to_dict(orient="records")} if "trips" in frames else {}),
        }

    def to_json(self, path: str | Path) -> Path:
        """Write the plan as one JSON document."""
        Path(path).write_text(
            json.dumps(self.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8"
        )
        return Path(path)

    @classmethod
    def read_csv(cls, folder: str | Path) -> Plan:
        """Read a plan written by :meth:`to_csv`."""
        path = Path(folder)
        a = pd.read_csv(
            path / "assignments.csv",
            dtype={"task_id": str, "need_id": str, "client_id": str, "volunteer_id": str},
        )
        u = pd.read_csv(
            path / "unmatched.csv", dtype={"task_id": str, "need_id": str, "client_id": str}
        )
        trips = pd.DataFrame(columns=TRIP_COLUMNS)
        if (path / "trips.csv").exists():
            trips = pd.read_csv(
                path / "trips.csv",
                dtype={"trip_id": str, "volunteer_id": str, "task_id": str, "place_id": str,
                       "on_board": str},
                keep_default_na=False,
            )  # fmt: skip
            trips["km"] = trips["km"].astype(float)
            a["trip_id"] = a["trip_id"].fillna("").astype(str)
            a["leg"] = a["leg"].fillna("").astype(str)
        for df in (a, u, trips):
            for col in DATETIME_COLUMNS:
                if col in df.columns:
                    df[col] = pd.to_datetime(df[col])
        doc = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
        meta = doc.pop("metadata", {})
        return cls(a, u, doc, meta, trips)


def build_plan(
    problem: Problem,
    solution: Solution,
    registry: Registry,
    metadata: dict[str, Any] | None = None,
    *,
    lang: str = "en",
    trips: TripTables | None = None,
) -> Plan:
    """Turn a solver :class:`~matchkracht.solver.base.Solution` into a :class:`Plan`.

    ``lang`` is the language of the unmatched tasks' ``reason`` (``"en"`` or
    ``"nl"``); ``trips``: the rides as outings (:func:`~matchkracht.plan.trips.trip_tables`).
    """
    p = problem
    opts = solution.options if trips is None else trips.options
    base = datetime.combine(p.horizon.first, datetime.min.time())

    def stamp(minutes: np.ndarray) -> pd.Series:
        return pd.Series(pd.to_datetime(base) + pd.to_timedelta(minutes, unit="min"))

    pairs = p.opt_pair[opts]
    tasks = p.pair_task[pairs]
    start = p.opt_start[opts]
    a = pd.DataFrame(
        {
            "task_id": [p.task_ids[t] for t in tasks.tolist()],
            "need_id": [p.need_ids[p.task_need[t]] for t in tasks.tolist()],
            "client_id": [p.client_ids[p.task_client[t]] for t in tasks.tolist()],
            "volunteer_id": [p.volunteer_ids[v] for v in p.pair_vol[pairs].tolist()],
            "kind": [KINDS[k] for k in p.task_kind[tasks].tolist()],
            "start": stamp(start),
            "end": stamp(start + p.task_duration[tasks]),
            "depart": stamp(p.opt_depart[opts]),
            "return": stamp(p.opt_return[opts]),
            "travel_km": np.round(p.pair_km[pairs], 3),
        },
        columns=ASSIGNMENT_COLUMNS,
    )
    if trips is not None:
        a["trip_id"], a["leg"] = "", ""
        a = pd.concat([a, trips.rides], ignore_index=True) if len(trips.rides) else a
        a["travel_km"] = a["travel_km"].astype(float)
    a = a.sort_values(["start", "task_id", "volunteer_id"], kind="stable").reset_index(drop=True)
    reasons = explain_unmatched(p, registry, solution.options, lang)
    if trips is not None:
        reasons = {t: r for t, r in reasons.items() if not trips.rows.covered[t]}
        # a ride the round trips covered but the outings gave up for heavier ones
        dropped = [
            int(t) for t in np.flatnonzero(~trips.rows.covered).tolist() if int(t) not in reasons
        ]
        if dropped:
            without = explain_unmatched(p, registry, trips.options, lang)
            reasons.update({t: without[t] for t in dropped})
    un_tasks = np.array(sorted(reasons), dtype=np.int64)
    window_start = p.task_day[un_tasks] * MINUTES_PER_DAY + p.task_window_lo[un_tasks]
    u = pd.DataFrame(
        {
            "task_id": [p.task_ids[t] for t in un_tasks.tolist()],
            "need_id": [p.need_ids[p.task_need[t]] for t in un_tasks.tolist()],
            "client_id": [p.client_ids[p.task_client[t]] for t in un_tasks.tolist()],
            "kind": [KINDS[k] for k in p.task_kind[un_tasks].tolist()],
            "window_start": stamp(window_start),
            "missing": p.task_needed[un_tasks].astype(np.int64),
            "reason_code": [reasons[t].code for t in un_tasks.tolist()],
            "reason": [reasons[t].text for t in un_tasks.tolist()],
        },
        columns=UNMATCHED_COLUMNS,
    )
    u = u.sort_values(["window_start", "task_id"], kind="stable").reset_index(drop=True)
    meta = {
        "horizon": p.horizon.label,
        "first_day": p.horizon.first.isoformat(),
        "last_day": p.horizon.last.isoformat(),
        "grid_minutes": p.grid,
        "engine": solution.engine,
        "lang": lang,
        "created": datetime.now().replace(microsecond=0).isoformat(),
        **(metadata or {}),
    }
    if "settings" in solution.stats:
        meta.setdefault("settings", solution.stats["settings"])
    meta["solver_stats"] = {k: v for k, v in solution.stats.items() if k != "settings"}
    metrics = compute_metrics(p, solution, None if trips is None else trips.rows)
    if trips is None:
        return Plan(a, u, metrics, meta)
    metrics.update(trip_metrics(p, solution, trips))
    return Plan(a, u, metrics, meta, trips.trips)


def trip_metrics(problem: Problem, solution: Solution, trips: TripTables) -> dict[str, Any]:
    """Figures of the outings beside those of the round trips they replace."""
    p = problem
    rides = trip_rides(p)[p.opt_task[solution.options]]
    rt_pairs = p.opt_pair[solution.options[rides]]
    t = trips.trips
    total = p.total_weight
    wc = int(p.task_weight[trips.rows.covered].sum()) / total if total else 1.0
    bound = int(p.task_weight[trips.candidates].sum()) / total if total else 1.0
    starts = t.loc[t["stop"] == "pickup"].groupby("trip_id")["on_board"]
    shared = int((starts.apply(lambda s: s.str.count(";").max()) > 0).sum()) if len(t) else 0
    return {
        "trips": int(t["trip_id"].nunique()),
        "shared_trips": shared,
        "trip_km": float(round(t["km"].sum(), 3)),
        "round_trip_km": float(round(p.pair_km[rt_pairs].sum(), 3)),
        "drivers": int(t["volunteer_id"].nunique()),
        "round_trip_drivers": len(np.unique(p.pair_vol[rt_pairs])),
        "round_trip_rides": len(np.unique(p.pair_task[rt_pairs])),
        "round_trip_weighted_coverage": float(
            p.task_weight[covered_tasks(p, solution.options)].sum() / total if total else 1.0
        ),
        # the round-trip bound does not hold for trips: the tasks with a candidate do
        "round_trip_bound": None if solution.bound is None else solution.bound / max(total, 1),
        "bound": float(max(bound, wc)),
        "gap": float(max(bound - wc, 0.0)),
        "bound_kind": "coverage_optimal" if bound <= wc + 1e-12 else "trivial",
    }
