"""The funder's report: the help given over a period, in aggregates and ids only.

The rows are the registry's history (help given in earlier weeks) and, when
given, a plan (its assignments count as given; history rows dated inside the
plan's horizon are left out so a recorded plan is not counted twice). For a
history row the help's length comes from its need (``duration_min``) and the
kilometres are estimated with the travel model as in matching (home → resident
(→ destination) and back); a plan row carries its own. Unmet requests come
from the plan's ``unmatched`` table (the history holds only help given).

No names, addresses, phone numbers or coordinates: counts, hours, km and ids.
The HTML page may add a map of the plan's week (coordinates rounded to about
100 m, ids as tooltips); pass ``map=False`` to leave it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matchkracht.data.geo import GreatCircleTravel, TravelModel
from matchkracht.data.registry import Registry
from matchkracht.errors import InvalidSettingsError
from matchkracht.outputs.htmlpage import bar_chart_svg, page, table_html
from matchkracht.outputs.map import week_map_svg
from matchkracht.outputs.people import People, assignment_rows, horizon_days
from matchkracht.texts import (
    FUNDER_LABELS,
    FUNDER_TITLES,
    REASON_TITLES,
    check_lang,
    date_text,
    kind_name,
    number,
)

__all__ = ["ROW_COLUMNS", "TOTAL_LABELS", "FunderReport", "funder_report"]

#: One row per help given: what the report sums.
ROW_COLUMNS = [
    "date", "month", "need_id", "client_id", "volunteer_id", "kind", "village",
    "hours", "volunteer_hours", "km", "source",
]  # fmt: skip
#: The totals, in report order, with their labels (kept in :mod:`matchkracht.texts`).
TOTAL_LABELS = FUNDER_LABELS


@dataclass
class FunderReport:
    """The funder's report over a period (see :func:`funder_report`).

    Attributes
    ----------
    totals : dict
        :data:`TOTAL_LABELS` keys → values.
    by_month, by_kind, by_village : pandas.DataFrame
        ``tasks, help_given, hours_of_help, residents, volunteers, rides, km,
        reimbursement`` per group, and ``unmet`` (per month and village).
    unmet_by_reason : pandas.DataFrame
        ``reason_code, reason, tasks``.
    rows : pandas.DataFrame
        :data:`ROW_COLUMNS`, one row per help given (ids only).
    """

    totals: dict[str, Any]
    by_month: pd.DataFrame
    by_kind: pd.DataFrame
    by_village: pd.DataFrame
    unmet_by_reason: pd.DataFrame
    rows: pd.DataFrame
    lang: str = "en"
    reimbursed_kinds: tuple[str, ...] = ("ride",)
    map_svg: str | None = field(default=None, repr=False)

    def summary(self) -> str:
        """The totals, one per line, in the report's language."""
        labels = TOTAL_LABELS[self.lang]
        return "\n".join(f"{labels[k]:<36} {_shown(v, self.lang)}" for k, v in self.totals.items())

    def to_excel(self, path: str | Path) -> Path:
        """A workbook: ``totals``, ``by_month``, ``by_kind``, ``by_village``, ``unmet``, ``rows``."""
        labels = TOTAL_LABELS[self.lang]
        totals = pd.DataFrame(
            {
                "key": list(self.totals),
                "label": [labels[k] for k in self.totals],
                "value": [str(v) if isinstance(v, date) else v for v in self.totals.values()],
            }
        )
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(out, engine="openpyxl") as writer:
            sheets = {
                "totals": totals, "by_month": self.by_month, "by_kind": self.by_kind,
                "by_village": self.by_village, "unmet": self.unmet_by_reason, "rows": self.rows,
            }  # fmt: skip
            for name, df in sheets.items():
                df.to_excel(writer, sheet_name=name, index=False)
                ws = writer.sheets[name]
                ws.freeze_panes = "A2"
                for i, col in enumerate(df.columns, start=1):
                    width = max([len(str(col)), *(len(str(v)) for v in df[col].head(200))])
                    ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(
                        max(width + 2, 8), 48
                    )
        return out

    def to_html(self, path: str | Path) -> Path:
        """A self-contained page: totals, SVG charts, tables and (if made) the map."""
        lang = self.lang
        t = FUNDER_TITLES[lang]
        labels = TOTAL_LABELS[lang]
        totals = pd.DataFrame(
            {
                "": [labels[k] for k in self.totals],
                " ": [_shown(v, lang) for v in self.totals.values()],
            }
        )
        kinds = ", ".join(kind_name(k, lang) for k in self.reimbursed_kinds)
        note = t["note"].format(kinds=kinds, rate=number(self.totals["rate_per_km"], lang, 2))
        by_kind = self.by_kind.assign(kind=[kind_name(k, lang) for k in self.by_kind["kind"]])
        body = [
            f"<p class='note'>{note}</p>",
            f"<h2>{t['totals']}</h2>",
            table_html(totals, lang),
            f"<h2>{t['by_month']}</h2><figure>"
            + bar_chart_svg(
                list(self.by_month["month"]), list(self.by_month["hours_of_help"]), t["hours_month"]
            )
            + "</figure>",
            table_html(self.by_month, lang),
            f"<h2>{t['by_kind']}</h2><figure>"
            + bar_chart_svg(list(by_kind["kind"]), list(by_kind["tasks"]), t["tasks_kind"])
            + "</figure>",
            table_html(by_kind, lang),
            f"<h2>{t['by_village']}</h2>",
            table_html(self.by_village, lang),
            f"<h2>{t['unmet']}</h2><figure>"
            + bar_chart_svg(
                list(self.unmet_by_reason["reason"]),
                list(self.unmet_by_reason["tasks"]),
                t["unmet_reason"],
            )
            + "</figure>",
            table_html(self.unmet_by_reason, lang),
        ]
        if self.map_svg is not None:
            body += [f"<h2>{t['map']}</h2><figure>{self.map_svg}</figure>"]
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page(t["title"], body, lang), encoding="utf-8")
        return out


def _shown(value: Any, lang: str) -> str:
    if isinstance(value, date):
        return date_text(value, lang) + f" {value.year}"
    if isinstance(value, float):
        return number(value, lang, 2)
    return str(value)


def _history_rows(registry: Registry, travel: TravelModel) -> pd.DataFrame:
    """The history as report rows: hours from the need, km estimated from the locations."""
    people = People.of(registry)
    needs = {n.need_id: n for n in registry.need_records}
    rows = []
    for h in registry.history_records:
        need = needs.get(h.need_id)
        kind = need.kind if need is not None else "other"
        minutes = float(need.duration_min) if need is not None else 0.0
        km = travel_min = 0.0
        v_ll, c_ll = people.volunteer_ll.get(h.volunteer_id), people.client_ll.get(h.client_id)
        if v_ll is not None and c_ll is not None:
            legs = [(h.volunteer_id, v_ll, h.client_id, c_ll)]
            d_ll = people.need_dest_ll.get(h.need_id) if kind == "ride" else None
            if d_ll is not None:
                legs.append((h.client_id, c_ll, h.need_id, d_ll))
            for a_key, a_ll, b_key, b_ll in legs:
                fa, fb = np.asarray(a_ll, dtype=np.float64), np.asarray(b_ll, dtype=np.float64)
                km += float(travel.km(a_key, fa, b_key, fb)) + float(
                    travel.km(b_key, fb, a_key, fa)
                )
                travel_min += float(travel.minutes(a_key, fa, b_key, fb)) + float(
                    travel.minutes(b_key, fb, a_key, fa)
                )
        rows.append(
            {
                "date": h.date, "need_id": h.need_id, "client_id": h.client_id,
                "volunteer_id": h.volunteer_id, "kind": kind, "hours": minutes / 60,
                "volunteer_hours": (minutes + travel_min) / 60, "km": km, "source": "history",
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=[c for c in ROW_COLUMNS if c not in ("month", "village")])


def _plan_rows(plan: Any) -> pd.DataFrame:
    a = assignment_rows(plan)
    return pd.DataFrame(
        {
            "date": [ts.date() for ts in a["start"]],
            "need_id": a["need_id"],
            "client_id": a["client_id"],
            "volunteer_id": a["volunteer_id"],
            "kind": a["kind"],
            "hours": (a["end"] - a["start"]).dt.total_seconds() / 3600,
            "volunteer_hours": (a["back"] - a["depart"]).dt.total_seconds() / 3600,
            "km": a["travel_km"].astype(float),
            "source": "plan",
        }
    )


def _groups(rows: pd.DataFrame, key: str, rate: float, kinds: Sequence[str]) -> pd.DataFrame:
    cols = ["tasks", "help_given", "hours_of_help", "residents", "volunteers", "rides", "km",
            "reimbursement"]  # fmt: skip
    if rows.empty:
        return pd.DataFrame(columns=[key, *cols])
    out = []
    for k, g in rows.groupby(key, sort=True):
        paid = g[g["kind"].isin(list(kinds))]
        out.append(
            {
                key: k,
                "tasks": int(g[["need_id", "date"]].drop_duplicates().shape[0]),
                "help_given": len(g),
                "hours_of_help": round(float(g["hours"].sum()), 2),
                "residents": int(g["client_id"].nunique()),
                "volunteers": int(g["volunteer_id"].nunique()),
                "rides": int((g["kind"] == "ride").sum()),
                "km": round(float(g["km"].sum()), 1),
                "reimbursement": round(rate * float(paid["km"].sum()), 2),
            }
        )
    return pd.DataFrame(out, columns=[key, *cols])


def _in_period(frame: pd.DataFrame, lo: date | None, hi: date | None) -> pd.DataFrame:
    keep = [(lo is None or d >= lo) and (hi is None or d <= hi) for d in frame["date"]]
    return frame[pd.Series(keep, index=frame.index, dtype=bool)].reset_index(drop=True)


def _with_unmet(table: pd.DataFrame, unmatched: pd.DataFrame, key: str) -> pd.DataFrame:
    """``table`` with an ``unmet`` column (and rows for groups with unmet requests only)."""
    counts = unmatched.groupby(key).size()
    missing = sorted(set(counts.index) - set(table[key]))
    if missing:
        extra = pd.DataFrame({key: missing, **{c: 0 for c in table.columns if c != key}})
        table = pd.concat([table, extra], ignore_index=True) if len(table) else extra
        table = table.sort_values(key, kind="stable").reset_index(drop=True)
    return table.assign(unmet=[int(counts.get(k, 0)) for k in table[key]])


def _as_date(value: date | str | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidSettingsError(
            f"The '{what}' parameter must be an ISO date like '2026-12-01'; got {value!r} instead."
        ) from None


def funder_report(
    registry: Registry,
    plan: Any = None,
    *,
    start: date | str | None = None,
    end: date | str | None = None,
    rate_per_km: float = 0.30,
    reimbursed_kinds: Sequence[str] = ("ride",),
    travel: TravelModel | None = None,
    lang: str = "en",
    map: bool = True,
) -> FunderReport:
    """The funder's report over ``start`` … ``end`` (both included; default: all rows).

    Parameters
    ----------
    registry
        Its history is the help given before; its needs give kinds and
        lengths; its locations give the estimated km of history rows.
    plan
        A plan whose assignments also count as given (e.g. this week's).
    start, end
        The period (ISO dates).
    rate_per_km
        Mileage reimbursement in € per km (volunteer-driver services
        typically pay 0.30–0.35).
    reimbursed_kinds
        The kinds of help whose km are reimbursed (default rides only).
    travel
        The travel model for the estimated km (default great-circle × 1.3).
    lang
        ``"en"`` (default) or ``"nl"``: labels, kind names and reasons.
    map
        Draw the map of the plan's week for the HTML page (needs a plan).

    Returns
    -------
    FunderReport
    """
    check_lang(lang)
    if not rate_per_km >= 0:
        raise InvalidSettingsError(
            f"The 'rate_per_km' parameter must be a number >= 0; got {rate_per_km!r} instead."
        )
    lo, hi = _as_date(start, "start"), _as_date(end, "end")
    model = travel if travel is not None else GreatCircleTravel()
    rows = _history_rows(registry, model)
    unmatched = pd.DataFrame(columns=["date", "client_id", "reason_code"])
    if plan is not None:
        days = horizon_days(plan)
        if days:
            rows = rows[(rows["date"] < days[0]) | (rows["date"] > days[-1])]
        rows = (
            pd.concat([rows, _plan_rows(plan)], ignore_index=True)
            if len(rows)
            else _plan_rows(plan)
        )
        u = plan.unmatched
        unmatched = pd.DataFrame(
            {
                "date": [ts.date() for ts in pd.to_datetime(u["window_start"])],
                "client_id": u["client_id"].astype(str),
                "reason_code": u["reason_code"].astype(str),
            }
        )
    people = People.of(registry)
    rows, unmatched = (_in_period(f, lo, hi) for f in (rows, unmatched))
    rows = rows.sort_values(["date", "need_id", "volunteer_id"], kind="stable").reset_index(
        drop=True
    )
    rows["month"] = [f"{d:%Y-%m}" for d in rows["date"]]
    rows["village"] = [people.village(c) for c in rows["client_id"]]
    rows = rows[ROW_COLUMNS]
    unmatched["month"] = [f"{d:%Y-%m}" for d in unmatched["date"]]
    unmatched["village"] = [people.village(c) for c in unmatched["client_id"]]
    kinds = tuple(reimbursed_kinds)
    paid = rows[rows["kind"].isin(list(kinds))]
    all_days = list(rows["date"]) + list(unmatched["date"])
    totals: dict[str, Any] = {
        "period_start": lo or (min(all_days) if all_days else None),
        "period_end": hi or (max(all_days) if all_days else None),
        "help_given": len(rows),
        "tasks": int(rows[["need_id", "date"]].drop_duplicates().shape[0]),
        "hours_of_help": round(float(rows["hours"].sum()), 2),
        "volunteer_hours": round(float(rows["volunteer_hours"].sum()), 2),
        "residents_helped": int(rows["client_id"].nunique()),
        "volunteers_active": int(rows["volunteer_id"].nunique()),
        "rides": int((rows["kind"] == "ride").sum()),
        "ride_km": round(float(rows.loc[rows["kind"] == "ride", "km"].sum()), 1),
        "km_total": round(float(rows["km"].sum()), 1),
        "rate_per_km": float(rate_per_km),
        "reimbursement": round(rate_per_km * float(paid["km"].sum()), 2),
        "unmet_tasks": len(unmatched),
    }
    by_month = _with_unmet(_groups(rows, "month", rate_per_km, kinds), unmatched, "month")
    by_village = _with_unmet(_groups(rows, "village", rate_per_km, kinds), unmatched, "village")
    reasons = unmatched.groupby("reason_code").size().sort_values(ascending=False)
    unmet_by_reason = pd.DataFrame(
        {
            "reason_code": list(reasons.index),
            "reason": [REASON_TITLES[lang].get(c, c) for c in reasons.index],
            "tasks": [int(n) for n in reasons.to_numpy()],
        }
    )
    svg = week_map_svg(plan, registry, lang=lang) if map and plan is not None else None
    return FunderReport(
        totals,
        by_month,
        _groups(rows, "kind", rate_per_km, kinds),
        by_village,
        unmet_by_reason,
        rows.reset_index(drop=True),
        lang,
        kinds,
        svg,
    )
