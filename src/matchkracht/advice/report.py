"""A report for the sounding-board group: unmet demand, trend, advice, explanations.

:func:`write_report` writes ``report.md`` (with PNG plots next to it) and a
self-contained ``report.html`` (the same plots embedded as base64 PNG, drawn
with matplotlib's Agg backend). Ids only: the tables it is given hold no names
or addresses, and it adds none.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import pandas as pd

from matchkracht.texts import check_lang, number, text

__all__ = ["write_report"]

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_PARTS = ["morning", "afternoon", "evening"]


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _plots(signals: pd.DataFrame, trend: pd.DataFrame | None) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, bytes] = {}
    grid = (
        signals.groupby(["part_of_day", "weekday"])["unmet"].sum().unstack(fill_value=0)
        if not signals.empty
        else pd.DataFrame()
    )
    grid = grid.reindex(index=_PARTS, columns=_DAYS, fill_value=0)
    fig, ax = plt.subplots(figsize=(6, 2.4))
    im = ax.imshow(grid.to_numpy(dtype=float), cmap="Reds", aspect="auto")
    ax.set_xticks(range(7), _DAYS)
    ax.set_yticks(range(3), _PARTS)
    for i in range(3):
        for j in range(7):
            ax.text(j, i, str(grid.to_numpy()[i, j]), ha="center", va="center", fontsize=8)
    ax.set_title("Unmet tasks by weekday and part of day")
    fig.colorbar(im, ax=ax)
    out["unmet_heatmap"] = _png(fig)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    by_skill = (
        signals.groupby("skill")["unmet"].sum().sort_values() if not signals.empty else pd.Series()
    )
    ax.barh(list(by_skill.index.astype(str)), list(by_skill.to_numpy()), color="#c0392b")
    ax.set_xlabel("unmet tasks")
    ax.set_title("Unmet tasks by required skill")
    out["unmet_by_skill"] = _png(fig)
    if trend is not None and not trend.empty and trend["week"].nunique() > 1:
        per_week = trend.groupby("week")[["tasks", "unmet"]].sum()
        fig, ax = plt.subplots(figsize=(6, 2.6))
        ax.plot(per_week.index, per_week["unmet"], marker="o", color="#c0392b", label="unmet")
        ax.set_ylabel("unmet tasks (past weeks estimated)")
        ax.set_title("Unmet tasks per week")
        ax.legend()
        out["unmet_trend"] = _png(fig)
    return out


def _md_table(df: pd.DataFrame, columns: list[str], none: str = "none") -> str:
    cols = [c for c in columns if c in df.columns]
    if df.empty or not cols:
        return f"_{none}_\n"
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in df[cols].itertuples(index=False):
        cells = [str(x).replace("|", "/").replace("\n", " ") for x in rec]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(
    out: str | Path,
    *,
    plan: Any,
    signals: pd.DataFrame,
    explanations: pd.DataFrame,
    advice: pd.DataFrame | None = None,
    trend: pd.DataFrame | None = None,
    timings: dict[str, float] | None = None,
    lang: str = "en",
) -> tuple[Path, Path]:
    """Write ``report.md`` (+ PNG plots) and a self-contained ``report.html`` into ``out``.

    Parameters
    ----------
    out
        Folder (created if needed).
    plan
        The plan (its metrics and horizon head the report).
    signals
        :func:`matchkracht.advice.signals.unmet_signals`.
    explanations
        :func:`matchkracht.advice.explain.explain_plan`.
    advice
        ``recruitment_advice(...).table``, if computed.
    trend
        :func:`matchkracht.advice.signals.signal_trend`, if computed.
    timings
        Seconds of the steps (solve, explain, advice re-solves), shown as given.
    lang
        ``"en"`` (default) or ``"nl"``: headings and texts (table columns and
        plot labels stay English).

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The markdown and HTML files.
    """
    check_lang(lang)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    plots = _plots(signals, trend)
    for name, data in plots.items():
        (folder / f"{name}.png").write_bytes(data)
    m = plan.metrics
    head = text(
        "rep_head", lang, horizon=plan.metadata.get("horizon", "?"), covered=m["covered"],
        tasks=m["tasks"], share=number(m["coverage"], lang, percent=True),
        weighted=number(m["weighted_coverage"], lang, percent=True), unmatched=len(explanations),
    )  # fmt: skip
    fixed = (
        explanations[explanations.get("fix_kind", pd.Series(dtype=str)) != "none"]
        if len(explanations)
        else explanations
    )
    sections: list[tuple[str, str, pd.DataFrame | None, list[str]]] = [
        ("summary", head, None, []),
        (
            "signals",
            text("rep_signals_text", lang),
            signals,
            [
                "skill",
                "weekday",
                "part_of_day",
                "village",
                "tasks",
                "unmet",
                "unmet_weight",
                "share_unmet",
            ],
        ),
        (
            "advice",
            text("rep_advice_text", lang),
            advice if advice is not None else pd.DataFrame(),
            ["rank", "advice", "gain_tasks", "gain_exact_tasks", "gain_resolve_tasks", "verified"],
        ),
        (
            "explain",
            text("rep_explain_text", lang, fixed=len(fixed), total=len(explanations)),
            explanations,
            ["task_id", "reason_code", "funnel", "competitors", "fix_kind", "fix", "fix_verified"],
        ),
    ]
    if trend is not None and not trend.empty:
        per_week = (
            trend.groupby(["week", "estimated"])[["tasks", "covered", "unmet"]].sum().reset_index()
        )
        sections.insert(
            2,
            (
                "trend",
                text("rep_trend_text", lang),
                per_week,
                ["week", "estimated", "tasks", "covered", "unmet"],
            ),
        )
    if timings:
        t = pd.DataFrame(
            {"step": list(timings), "seconds": [round(v, 3) for v in timings.values()]}
        )
        sections.append(("timings", text("rep_timings_text", lang), t, ["step", "seconds"]))
    md = [f"# {text('rep_title', lang)}", ""]
    body = []
    for key, intro, df, cols in sections:
        title = text(f"rep_{key}", lang)
        md += [f"## {title}", "", intro, ""]
        body.append(f"<h2>{html.escape(title)}</h2><p>{html.escape(intro)}</p>")
        if key == "signals":
            for name in ("unmet_heatmap", "unmet_by_skill"):
                md += [f"![{name}]({name}.png)", ""]
                b64 = base64.b64encode(plots[name]).decode("ascii")
                body.append(f'<img alt="{name}" src="data:image/png;base64,{b64}">')
        if key == "trend" and "unmet_trend" in plots:
            md += ["![unmet_trend](unmet_trend.png)", ""]
            b64 = base64.b64encode(plots["unmet_trend"]).decode("ascii")
            body.append(f'<img alt="unmet_trend" src="data:image/png;base64,{b64}">')
        if df is not None:
            md += [_md_table(df, cols, text("rep_none", lang)), ""]
            shown = df[[c for c in cols if c in df.columns]]
            body.append(
                shown.to_html(index=False, escape=True, border=0)
                if len(shown)
                else f"<p>{text('rep_none', lang)}</p>"
            )
    md_path = folder / "report.md"
    md_path.write_text("\n".join(md), encoding="utf-8")
    page = (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(text('rep_title', lang))}</title>"
        "<style>body{font-family:sans-serif;max-width:70em;margin:auto}"
        "table{border-collapse:collapse;font-size:85%}td,th{border:1px solid #ccc;padding:2px 5px}"
        "</style></head><body>"
        f"<h1>{html.escape(text('rep_title', lang))}</h1>" + "".join(body) + "</body></html>"
    )
    html_path = folder / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return md_path, html_path
