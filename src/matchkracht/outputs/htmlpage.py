"""Self-contained HTML: inline SVG bar charts and a page shell (no scripts, no network)."""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from matchkracht.outputs.people import records
from matchkracht.texts import number

__all__ = ["bar_chart_svg", "page", "table_html"]

_STYLE = (
    "body{font-family:sans-serif;max-width:62em;margin:1em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;font-size:90%;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
    "th{background:#ddebf7}td.num{text-align:right}"
    "figure{margin:1em 0}svg{max-width:100%;height:auto}"
    "@media print{h2{break-before:auto}figure{break-inside:avoid}}"
)


def bar_chart_svg(
    labels: Sequence[str], values: Sequence[float], title: str, *, width: int = 560
) -> str:
    """A horizontal bar chart as an ``<svg class="chart">`` element."""
    longest = max((len(str(label)) for label in labels), default=4)
    bar, gap, top = 18, 6, 28
    left = min(12 + 7 * longest, width * 0.6)  # room for the labels (about 7 px a character)
    height = top + max(len(labels), 1) * (bar + gap) + 10
    vmax = max((float(v) for v in values), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="4" y="18" font-size="14" font-weight="bold" font-family="sans-serif">'
        f"{html.escape(title)}</text>",
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar + gap)
        w = round((width - left - 60) * float(value) / vmax, 1)
        shown = f"{float(value):g}" if float(value) != int(float(value)) else f"{int(value)}"
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" font-size="12" text-anchor="end" '
            f'font-family="sans-serif">{html.escape(str(label))}</text>'
            f'<rect class="bar" x="{left}" y="{y}" width="{w}" height="{bar}" fill="#2e86c1"/>'
            f'<text x="{left + w + 4}" y="{y + 13}" font-size="12" font-family="sans-serif">'
            f"{shown}</text>"
        )
    if not labels:
        parts.append(f'<text x="{left}" y="{top + 13}" font-size="12">–</text>')
    parts.append("</svg>")
    return "".join(parts)


def table_html(df: pd.DataFrame, lang: str = "en") -> str:
    """A DataFrame as a plain HTML table (escaped; numbers right-aligned, in ``lang``).

    Blank column names: no header row.
    """
    if df.empty:
        return "<p>–</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in records(df):
        cells = []
        for v in rec:
            num = isinstance(v, int | float) and not isinstance(v, bool)
            shown = number(v, lang, 2) if isinstance(v, float) else str(v)
            cells.append(f"<td{' class=num' if num else ''}>{html.escape(shown)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    thead = f"<thead><tr>{head}</tr></thead>" if any(str(c).strip() for c in df.columns) else ""
    return f"<table>{thead}<tbody>{''.join(rows)}</tbody></table>"


def page(title: str, body: Sequence[str], lang: str = "en") -> str:
    """A complete HTML document: inline style, no scripts, no external resources."""
    return (
        f'<!DOCTYPE html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>" + "".join(body) + "</body></html>"
    )
