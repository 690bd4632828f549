"""The roster workbook: the week (volunteers × days) and one sheet per volunteer.

Made for print: fixed column widths, wrapped cells, a frozen header row that
repeats on every printed page, landscape and one page wide. With
``lang="nl"`` the headings and the day and month names are Dutch. With a
registry, names (and a resident's address and phone on the volunteer's own
sheet) are shown; without one, ids only. The workbook is for the coordinator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from matchkracht.data.registry import Registry
from matchkracht.outputs.people import (
    People,
    assignment_rows,
    horizon_days,
    period_text,
    records,
    safe_name,
)
from matchkracht.texts import check_lang, date_text, kind_name, number

__all__ = ["HEADINGS", "write_roster"]

#: Column headings of the roster, per language.
HEADINGS: dict[str, dict[str, str]] = {
    "en": {
        "week": "Week", "volunteer": "Volunteer", "name": "Name", "date": "Date",
        "leave": "Leave", "start": "Start", "end": "End", "back": "Back", "what": "What",
        "resident": "Resident", "address": "Address", "phone": "Phone", "km": "km",
        "task": "Task", "tasks": "Tasks", "hours": "Hours",
    },
    "nl": {
        "week": "Week", "volunteer": "Vrijwilliger", "name": "Naam", "date": "Datum",
        "leave": "Vertrek", "start": "Begin", "end": "Einde", "back": "Terug", "what": "Wat",
        "resident": "Bewoner", "address": "Adres", "phone": "Telefoon", "km": "km",
        "task": "Taak", "tasks": "Taken", "hours": "Uren",
    },
}  # fmt: skip

_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _print_setup(ws: Any, title: str) -> None:
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.oddHeader.center.text = title
    ws.oddFooter.right.text = "&P / &N"


def _header(ws: Any, cells: list[str], widths: list[float]) -> None:
    ws.append(cells)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        c = ws.cell(row=1, column=i)
        c.font, c.fill, c.alignment = _HEAD_FONT, _HEAD_FILL, _WRAP


def write_roster(
    plan: Any, path: str | Path, registry: Registry | None = None, *, lang: str = "en"
) -> Path:
    """Write the roster workbook to ``path`` (``.xlsx``).

    Parameters
    ----------
    plan
        A :class:`~matchkracht.plan.Plan`.
    path
        The workbook to write.
    registry
        For names, addresses and phones (else ids only). With a registry the
        week sheet lists every volunteer, also those without tasks.
    lang
        ``"en"`` (default) or ``"nl"``: headings, day and month names.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    check_lang(lang)
    h = HEADINGS[lang]
    people = People.of(registry)
    a = assignment_rows(plan)
    days = horizon_days(plan)
    vols = sorted(set(a["volunteer_id"]) | set(people.volunteer_ll))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = h["week"]
    named = bool(people.volunteer_name)
    lead = [h["volunteer"]] + ([h["name"]] if named else [])
    _header(
        ws,
        lead + [date_text(d, lang, short=True) for d in days] + [h["tasks"], h["hours"]],
        [13.0] + ([22.0] if named else []) + [24.0] * len(days) + [8.0, 8.0],
    )
    day_col = {d: len(lead) + 1 + i for i, d in enumerate(days)}
    by_vol = {str(v): g for v, g in a.groupby("volunteer_id", sort=True)}
    for r, vid in enumerate(vols, start=2):
        ws.cell(row=r, column=1, value=vid)
        if named:
            ws.cell(row=r, column=2, value=people.volunteer_name.get(vid, ""))
        rows = by_vol.get(vid)
        cells: dict[int, list[str]] = {}
        hours = 0.0
        if rows is not None:
            for rec in records(rows):
                col = day_col.get(rec.start.date())
                if col is None:
                    continue
                what = kind_name(str(rec.kind), lang)
                cells.setdefault(col, []).append(
                    f"{rec.depart:%H:%M}-{rec.back:%H:%M} {what} {people.client(str(rec.client_id))}"
                )
                hours += (rec.back - rec.depart).total_seconds() / 3600
        lines = 1
        for col, items in cells.items():
            ws.cell(row=r, column=col, value="\n".join(items)).alignment = _WRAP
            lines = max(lines, len(items))
        ws.cell(row=r, column=len(lead) + len(days) + 1, value=0 if rows is None else len(rows))
        ws.cell(row=r, column=len(lead) + len(days) + 2, value=round(hours, 2))
        ws.row_dimensions[r].height = 15 * lines * 2 if lines > 1 else 30
        for c in range(1, len(lead) + 1):
            ws.cell(row=r, column=c).alignment = _WRAP
    _print_setup(ws, f"matchkracht – {period_text(plan, lang)}")
    ws.freeze_panes = ws.cell(row=2, column=len(lead) + 1).coordinate
    for vid, rows in by_vol.items():
        sheet = wb.create_sheet(safe_name(vid)[:31])
        cols = [h["date"], h["leave"], h["start"], h["end"], h["back"], h["what"], h["resident"],
                h["address"], h["phone"], h["km"], h["task"]]  # fmt: skip
        _header(sheet, cols, [22.0, 8.0, 8.0, 8.0, 8.0, 10.0, 24.0, 30.0, 15.0, 7.0, 22.0])
        for rec in records(rows):
            cid = str(rec.client_id)
            sheet.append(
                [
                    date_text(rec.start.date(), lang),
                    f"{rec.depart:%H:%M}",
                    f"{rec.start:%H:%M}",
                    f"{rec.end:%H:%M}",
                    f"{rec.back:%H:%M}",
                    kind_name(str(rec.kind), lang),
                    people.client(cid),
                    people.client_address.get(cid, ""),
                    people.client_phone.get(cid, ""),
                    number(float(rec.travel_km), lang),
                    str(rec.task_id),
                ]
            )
            for c in range(1, len(cols) + 1):
                sheet.cell(row=sheet.max_row, column=c).alignment = _WRAP
        name = people.volunteer_name.get(vid, "")
        _print_setup(sheet, f"{vid} {name} – {period_text(plan, lang)}".replace("  ", " "))
        sheet.freeze_panes = "A2"
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
