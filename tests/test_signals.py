"""Unmet demand as signals: grouping, trend from history, recruitment advice by measured gain."""

from __future__ import annotations

import builders as b
import pytest

import matchkracht as mk

THU = "FREQ=WEEKLY;BYDAY=TH"


def scarce_drivers() -> mk.Registry:
    """Three Thursday-morning rides (one after another) in Horst and nobody who drives; one Friday visit."""
    clients = [b.client(f"c{i}", village="Horst") for i in range(3)] + [b.client("c9")]
    needs = [
        b.need(
            f"r{i}",
            client_id=f"c{i}",
            kind="ride",
            schedule=THU,
            window=w,
            dest_lat=b.north(3),
            dest_lon=b.BASE_LON,
        )
        for i, w in enumerate(("08:00-08:30", "09:30-10:00", "11:00-11:30"))
    ] + [b.need("v9", client_id="c9", schedule="FREQ=WEEKLY;BYDAY=FR", window="14:00-14:00")]
    vols = [b.volunteer("v1", availability="fri 09:00-17:00", max_tasks_per_week=0)]
    hist = [b.history("v1", "c0", "r0", "2026-11-26")]
    return b.registry(vols, clients, needs, hist)


def test_signals_group_by_skill_weekday_part_of_day_and_village() -> None:
    reg = scarce_drivers()
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    sig = mk.unmet_signals(reg, plan)
    assert sig["unmet"].sum() == len(plan.unmatched) == 4
    top = sig.iloc[0]
    assert (top["skill"], top["weekday"], top["part_of_day"], top["village"]) == (
        "driver", "Thu", "morning", "Horst",
    )  # fmt: skip
    assert top["unmet"] == 3 and top["unmet_weight"] == 6
    assert set(sig["village"]) == {"Horst", "all"}
    assert sig.iloc[1]["part_of_day"] == "afternoon"


def test_trend_estimates_past_weeks_from_history() -> None:
    reg = scarce_drivers()
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    trend = mk.signal_trend(reg, plan, weeks_back=3)
    assert set(trend["week"]) == {"2026-W48", "2026-W49"}  # W46/W47 have no history
    past = trend[(trend["week"] == "2026-W48") & (trend["skill"] == "driver")]
    assert past["estimated"].all()
    assert (past["tasks"].sum(), past["covered"].sum(), past["unmet"].sum()) == (3, 1, 2)


def test_advice_gain_is_measured_and_reproducible() -> None:
    reg = scarce_drivers()
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    adv = mk.recruitment_advice(reg, plan, top=2, time_limit=2, seed=0)
    table = adv.table
    assert list(table["rank"]) == [1, 2]
    best = table.iloc[0]
    assert best["skill"] == "driver" and best["gain_tasks"] == 3
    assert (
        "One more driver volunteer free Thu mornings near Horst covers 3 more tasks"
        in best["advice"]
    )
    assert adv.resolve_seconds > 0
    # independent: add the recruit and re-solve
    again = mk.match(reg.with_volunteers([adv.recruits[best["recruit_id"]]]), week=b.WEEK,
                     time_limit=2, seed=0)  # fmt: skip
    assert again.metrics["covered"] - plan.metrics["covered"] >= best["gain_exact_tasks"]
    assert again.metrics["covered"] - plan.metrics["covered"] == best["gain_resolve_tasks"]


def test_advice_lines_in_dutch() -> None:
    reg = scarce_drivers()
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    en = mk.recruitment_advice(reg, plan, top=1, resolve=False).table.iloc[0]
    nl = mk.recruitment_advice(reg, plan, top=1, resolve=False, lang="nl").table.iloc[0]
    assert en["gain_tasks"] == nl["gain_tasks"] > 0
    per_week = f"{en['gain_tasks']:g} {'taak' if en['gain_tasks'] == 1 else 'taken'}"
    assert nl["advice"].startswith(
        f"Nog één vrijwilliger met driver vrij op donderdagochtenden bij Horst dekt {per_week}"
        " per week meer (+"
    ), nl["advice"]
    assert nl["advice"].endswith("% gewogen dekking).") and "," in nl["advice"]
    with pytest.raises(mk.InvalidSettingsError):
        mk.recruitment_advice(reg, plan, top=1, resolve=False, lang="de")


def test_advice_skips_groups_no_newcomer_may_take() -> None:
    # v1 helped c1 before but is away on Monday; v2 is free but new to c1
    vols = [
        b.volunteer("v1", availability="tue 09:00-17:00"),
        b.volunteer("v2", availability="tue 09:00-17:00"),
    ]
    past = [b.history("v1", need_id="n1")]

    def advice(continuity: str) -> int:
        reg = b.registry(vols, needs=[b.need("n1", continuity=continuity)], history=past)
        plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
        assert len(plan.unmatched) == 1
        adv = mk.recruitment_advice(reg, plan, top=3, time_limit=2, seed=0, resolve=False)
        return len(adv.table)

    assert advice("prefer") == 1  # a Monday recruit could take it
    assert advice("strict") == 0  # only past helpers may: no recruit can help
