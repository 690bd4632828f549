"""A static map of the week as inline SVG: no tiles, no network, drawn from lat/lon.

Residents (circles; open when nothing was matched for them), volunteers with
a task (squares), ride destinations (triangles), a line from each volunteer's
home to the resident they help and, for rides, a dashed line on to the
destination. Points carry ids only (as tooltips), and coordinates are rounded
to ``precision`` decimals (3: about 100 m) before drawing.
"""

from __future__ import annotations

import html
import math
from typing import Any

from matchkracht.data.registry import Registry
from matchkracht.outputs.people import People, assignment_rows, records

__all__ = ["week_map_svg"]

_COLORS = {"resident": "#2e86c1", "open": "#c0392b", "volunteer": "#27ae60", "dest": "#8e44ad"}
_LEGEND = {
    "en": ("resident helped", "resident not helped", "volunteer", "destination"),
    "nl": ("bewoner geholpen", "bewoner niet geholpen", "vrijwilliger", "bestemming"),
}


def _mark(kind: str, x: float, y: float, title: str = "") -> str:
    """The symbol of a ``kind`` of point (a key of the colours) at ``(x, y)``, titled by an id.

    Without a title it is the legend's sample (class ``legend``, not counted as a point).
    """
    color = _COLORS[kind]
    cls = {"dest": "destination", "volunteer": "volunteer"}.get(kind, "resident")
    cls = cls if title else "legend"
    tip = f"<title>{html.escape(title)}</title>" if title else ""
    if kind == "dest":
        return (
            f'<polygon class="{cls}" points="{x},{y - 6} {x - 5},{y + 4} {x + 5},{y + 4}" '
            f'fill="{color}">{tip}</polygon>'
        )
    if kind == "volunteer":
        return (
            f'<rect class="{cls}" x="{x - 4}" y="{y - 4}" width="8" height="8" '
            f'fill="{color}">{tip}</rect>'
        )
    fill = color if kind == "resident" else "white"
    return (
        f'<circle class="{cls}" cx="{x}" cy="{y}" r="4.5" fill="{fill}" stroke="{color}" '
        f'stroke-width="1.5">{tip}</circle>'
    )


def week_map_svg(
    plan: Any,
    registry: Registry,
    *,
    width: int = 720,
    height: int = 520,
    precision: int = 3,
    lang: str = "en",
) -> str:
    """The map of ``plan`` as an ``<svg>`` element (a string to embed in HTML).

    Parameters
    ----------
    plan
        A :class:`~matchkracht.plan.Plan`.
    registry
        For the coordinates (names are not used).
    width, height
        Size in pixels.
    precision
        Decimals kept of every coordinate.
    lang
        Language of the legend.
    """
    people = People.of(registry)
    a = assignment_rows(plan)
    served = set(a["client_id"])
    unserved = set(plan.unmatched["client_id"].astype(str)) - served

    def rnd(p: tuple[float, float]) -> tuple[float, float]:
        return (round(p[0], precision), round(p[1], precision))

    clients = {c: rnd(people.client_ll[c]) for c in served | unserved if c in people.client_ll}
    vols = {
        v: rnd(people.volunteer_ll[v]) for v in set(a["volunteer_id"]) if v in people.volunteer_ll
    }
    rides = a[a["kind"] == "ride"]
    dests = {
        n: rnd(people.need_dest_ll[n]) for n in set(rides["need_id"]) if n in people.need_dest_ll
    }
    pts = [*clients.values(), *vols.values(), *dests.values()]
    legend_h = 24
    if not pts:
        pts = [(0.0, 0.0)]
    lat0 = sum(p[0] for p in pts) / len(pts)
    kx = math.cos(math.radians(lat0))
    xs = [p[1] * kx for p in pts]
    ys = [p[0] for p in pts]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-3)
    pad = 20
    scale = min((width - 2 * pad), (height - legend_h - 2 * pad)) / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def xy(p: tuple[float, float]) -> tuple[float, float]:
        return (
            round(width / 2 + (p[1] * kx - cx) * scale, 1),
            round(legend_h + (height - legend_h) / 2 - (p[0] - cy) * scale, 1),
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="week-map" class="map" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<rect width="{width}" height="{height}" fill="#fbfbf8" stroke="#ccc"/>',
    ]
    seen: set[tuple[str, str]] = set()
    for rec in records(a):
        v, c, n = str(rec.volunteer_id), str(rec.client_id), str(rec.need_id)
        if v in vols and c in clients and (v, c) not in seen:
            seen.add((v, c))
            (x1, y1), (x2, y2) = xy(vols[v]), xy(clients[c])
            parts.append(
                f'<line class="helps" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
                f'stroke="#7f8c8d" stroke-width="1.2" opacity="0.7"/>'
            )
        if rec.kind == "ride" and c in clients and n in dests and (c, n) not in seen:
            seen.add((c, n))
            (x1, y1), (x2, y2) = xy(clients[c]), xy(dests[n])
            parts.append(
                f'<line class="ride" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
                f'stroke="{_COLORS["dest"]}" stroke-width="1" stroke-dasharray="4 3" opacity="0.6"/>'
            )
    for n, p in sorted(dests.items()):
        parts.append(_mark("dest", *xy(p), n))
    for c, p in sorted(clients.items()):
        parts.append(_mark("resident" if c in served else "open", *xy(p), c))
    for v, p in sorted(vols.items()):
        parts.append(_mark("volunteer", *xy(p), v))
    labels = _LEGEND.get(lang, _LEGEND["en"])
    for i, (label, kind) in enumerate(zip(labels, _COLORS, strict=True)):
        parts.append(
            f'<g transform="translate({10 + i * 170},0)">{_mark(kind, 12, 12)}'
            f'<text x="22" y="16" font-size="12" font-family="sans-serif">{html.escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
