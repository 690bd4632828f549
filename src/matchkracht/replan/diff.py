"""The diff of two plans: per assignment, kept, moved, reassigned, dropped or added."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd

from matchkracht.data.horizon import Horizon
from matchkracht.plan.result import Plan
from matchkracht.replan.changes import Change, NeedAdded, clean_id, task_need, touched_by

logger = logging.getLogger("matchkracht")


DIFF_COLUMNS = [
    "task_id", "volunteer_id_before", "volunteer_id_after",
    "start_before", "start_after", "change", "reason",
]  # fmt: skip


#: The kinds of row in a diff, from no change to new work.
CHANGE_KINDS = ("kept", "moved", "reassigned", "dropped", "added")


def plan_diff(
    before_plan: Plan,
    after_plan: Plan,
    changes: Sequence[Change] = (),
    *,
    horizon: Horizon | None = None,
    locked: bool = False,
) -> pd.DataFrame:
    """What changed between two plans of the same horizon, and why (ids only).

    Per task, a volunteer in both plans is ``kept`` (same start) or ``moved``;
    the other volunteers are paired up as ``reassigned``, and the rest are
    ``dropped`` (before only) or ``added`` (after only). Reasons name the change
    that touched the assignment, a newly added need it covers, a volunteer a
    change freed, or the task a volunteer now covers instead.

    Parameters
    ----------
    before_plan, after_plan
        The published plan and the new one.
    changes
        The changes between them (for the reasons).
    horizon
        The horizon, named in the reason of a cancellation without a date.
    locked
        Whether untouched assignments were locked (their reason is ``locked``,
        else ``unchanged``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DIFF_COLUMNS`, ordered by time and task.
    """
    hz = horizon
    before = before_plan.assignments.reset_index(drop=True)
    after = after_plan.assignments.reset_index(drop=True)
    touched = touched_by(before, changes)
    b_by_task: dict[str, dict[str, pd.Timestamp]] = {}
    a_by_task: dict[str, dict[str, pd.Timestamp]] = {}
    for frame, target in ((before, b_by_task), (after, a_by_task)):
        for t, v, s in zip(
            frame["task_id"].astype(str),
            frame["volunteer_id"].map(clean_id),
            pd.to_datetime(frame["start"]),
            strict=True,
        ):
            target.setdefault(t, {})[v] = s
    cause: dict[tuple[str, str], Change] = {
        (str(before.at[i, "task_id"]), clean_id(before.at[i, "volunteer_id"])): c
        for i, c in touched.items()
    }
    new_needs = {c.need_id for c in changes if isinstance(c, NeedAdded)}
    freed: dict[str, str] = {}
    for (_, v), c in cause.items():
        if not isinstance(c, NeedAdded):
            freed.setdefault(v, c.freed())
    # tasks a volunteer takes in the new plan that they did not have before
    new_work: dict[str, list[str]] = {}
    for t, vs in a_by_task.items():
        for v in vs:
            if v not in b_by_task.get(t, {}):
                new_work.setdefault(v, []).append(t)

    def why_changed(t: str, v_before: str | None, v_after: str | None) -> str:
        if v_before is not None and (t, v_before) in cause:
            return cause[(t, v_before)].describe(hz)
        if task_need(t) in new_needs:
            return f"covers newly added need {task_need(t)}"
        if v_after is not None and v_after in freed:
            return freed[v_after]
        if v_before is not None:
            others = [w for w in new_work.get(v_before, []) if w != t]
            if others:
                return f"{v_before} now covers {sorted(others)[0]}"
        return "re-planned with the changes" if v_before is not None else "covered on re-planning"

    rows: list[dict[str, Any]] = []
    for t in sorted(set(b_by_task) | set(a_by_task)):
        b, a = b_by_task.get(t, {}), a_by_task.get(t, {})
        for v in sorted(set(b) & set(a)):
            if b[v] == a[v]:
                kind, reason = "kept", "locked" if locked and (t, v) not in cause else "unchanged"
            else:
                kind = "moved"
                others = [w for w in new_work.get(v, []) if w != t]
                reason = f"makes room for {sorted(others)[0]}" if others else why_changed(t, v, v)
            rows.append(_row(t, v, v, b[v], a[v], kind, reason))
        b_only, a_only = sorted(set(b) - set(a)), sorted(set(a) - set(b))
        for i in range(max(len(b_only), len(a_only))):
            vb = b_only[i] if i < len(b_only) else None
            va = a_only[i] if i < len(a_only) else None
            kind = "reassigned" if vb and va else ("dropped" if vb else "added")
            rows.append(
                _row(
                    t,
                    vb,
                    va,
                    b.get(vb) if vb else None,
                    a.get(va) if va else None,
                    kind,
                    why_changed(t, vb, va),
                )
            )
    out = pd.DataFrame(rows, columns=DIFF_COLUMNS)
    if len(out):
        key = out["start_before"].fillna(out["start_after"])
        out = (
            out.assign(_key=key)
            .sort_values(["_key", "task_id", "change"], kind="stable")
            .drop(columns="_key")
            .reset_index(drop=True)
        )
    return out


def _row(
    task_id: str,
    v_before: str | None,
    v_after: str | None,
    s_before: pd.Timestamp | None,
    s_after: pd.Timestamp | None,
    change: str,
    reason: str,
) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "volunteer_id_before": v_before,
        "volunteer_id_after": v_after,
        "start_before": pd.NaT if s_before is None else s_before,
        "start_after": pd.NaT if s_after is None else s_after,
        "change": change,
        "reason": reason,
    }
