"""Calendars, rosters, messages and the funder's report, parsed back by independent libraries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import openpyxl
import pandas as pd
import pytest
from conftest import NAMES, make_registry, tiny_frames
from hypothesis import given, settings
from hypothesis import strategies as st

import matchkracht as mk
from matchkracht.errors import InvalidSettingsError
from matchkracht.outputs.ics import TZID

AMS = ZoneInfo("Europe/Amsterdam")
#: Thursday to Wednesday around the end of summer time (Sunday 2026-10-25, 03:00 → 02:00).
DST_HORIZON = "2026-10-22..2026-10-28"
PHONES = ("06-12345678", "077-3210000")
ADDRESSES = ("Kerkstraat 1, 't Hoeske", "Markt 2")


def dst_registry() -> mk.Registry:
    f = tiny_frames()
    v = f["volunteers"]
    v.loc[0, "availability"] = "mon,tue,wed,thu,fri,sat,sun 08:00-18:00"
    v.loc[0, "max_tasks_per_week"] = "10"
    v.loc[0, "max_hours_per_week"] = "30"
    f["clients"]["phone"] = list(PHONES)
    n = f["needs"]
    n.loc[0, "schedule"] = "FREQ=DAILY"
    n.loc[1, "schedule"] = "2026-10-26"
    n["destination"] = ["", "VieCuri Venlo", ""]
    f["history"]["date"] = ["2026-10-12"]
    return make_registry(f)


@pytest.fixture(scope="module")
def reg() -> mk.Registry:
    return dst_registry()


@pytest.fixture(scope="module")
def plan(reg: mk.Registry) -> mk.Plan:
    p = mk.match(reg, horizon=DST_HORIZON, time_limit=5, seed=0, deterministic=True, workers=1)
    assert mk.check(reg, p).empty
    assert len(p.assignments) >= 8
    return p


def parse(path: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(path.read_bytes())


def events(path: Path) -> dict[str, icalendar.Event]:
    return {str(e["uid"]): e for e in parse(path).walk("VEVENT")}


# -- calendars --------------------------------------------------------------------------
def test_ics_round_trip_across_the_dst_change(
    reg: mk.Registry, plan: mk.Plan, tmp_path: Path
) -> None:
    files = mk.to_ics(plan, tmp_path, reg)
    a = plan.assignments
    assert set(files) == set(a["volunteer_id"])
    offsets = set()
    for vid, path in files.items():
        cal = parse(path)
        tz = cal.walk("VTIMEZONE")
        assert [str(t["tzid"]) for t in tz] == [TZID]
        mine = a[a["volunteer_id"] == vid]
        evs = events(path)
        assert set(evs) == {mk.outputs.event_uid(t, vid) for t in mine["task_id"]}
        for rec in mine.itertuples(index=False):
            ev = evs[mk.outputs.event_uid(rec.task_id, vid)]
            start, end = ev.decoded("dtstart"), ev.decoded("dtend")
            assert ev["dtstart"].params["TZID"] == TZID
            assert str(start.tzinfo) == TZID
            # occupied time: leave home .. back, as local wall-clock times
            assert start.replace(tzinfo=None) == pd.Timestamp(rec.depart).to_pydatetime()
            assert end.replace(tzinfo=None) == pd.Timestamp(rec[8]).to_pydatetime()
            offsets.add((start.date() >= date(2026, 10, 25), start.utcoffset()))
            assert int(ev["sequence"]) == 0 and str(ev["status"]) == "CONFIRMED"
    # summer time before the change, winter time after: both in the files
    assert offsets == {(False, timedelta(hours=2)), (True, timedelta(hours=1))}


def test_a_volunteer_calendar_carries_their_residents_only(
    reg: mk.Registry, plan: mk.Plan, tmp_path: Path
) -> None:
    files = mk.to_ics(plan, tmp_path, reg)
    clients = {c.client_id: c for c in reg.client_records}
    vols = {v.volunteer_id: v for v in reg.volunteer_records}
    phones = dict(zip(reg.clients["client_id"], reg.clients["phone"], strict=True))
    for vid, path in files.items():
        body = "".join(
            str(e.get("description", "")) + str(e.get("summary", "")) + str(e.get("location", ""))
            for e in parse(path).walk("VEVENT")
        )
        mine = set(plan.assignments.loc[plan.assignments["volunteer_id"] == vid, "client_id"])
        for cid, c in clients.items():
            assert (c.name in body) == (cid in mine)
            assert (phones[cid] in body) == (cid in mine)
        for other, v in vols.items():
            if other != vid:
                assert v.name not in path.read_text(encoding="utf-8")


def test_ids_only_without_a_registry(plan: mk.Plan, tmp_path: Path) -> None:
    for path in mk.to_ics(plan, tmp_path).values():
        text = path.read_text(encoding="utf-8")
        assert not any(n in text for n in (*NAMES, *PHONES))


def test_same_plan_twice_keeps_uids_and_sequences(
    reg: mk.Registry, plan: mk.Plan, tmp_path: Path
) -> None:
    first = {v: events(p) for v, p in mk.to_ics(plan, tmp_path, reg).items()}
    again = {v: events(p) for v, p in mk.to_ics(plan, tmp_path, reg).items()}
    assert {v: set(e) for v, e in first.items()} == {v: set(e) for v, e in again.items()}
    assert all(int(e["sequence"]) == 0 for evs in again.values() for e in evs.values())


def test_a_changed_event_gets_a_higher_sequence(
    reg: mk.Registry, plan: mk.Plan, tmp_path: Path
) -> None:
    mk.to_ics(plan, tmp_path, reg)
    moved = mk.Plan(plan.assignments.copy(), plan.unmatched, plan.metrics, plan.metadata)
    for col in ("start", "end", "depart", "return"):
        moved.assignments.loc[0, col] = pd.Timestamp(moved.assignments.loc[0, col]) + timedelta(
            minutes=30
        )
    vid, task = moved.assignments.loc[0, "volunteer_id"], moved.assignments.loc[0, "task_id"]
    files = mk.to_ics(moved, tmp_path, reg)
    evs = events(files[vid])
    uid = mk.outputs.event_uid(task, vid)
    assert int(evs[uid]["sequence"]) == 1
    assert all(int(e["sequence"]) == 0 for u, e in evs.items() if u != uid)


def test_replan_cancels_withdrawn_assignments(
    reg: mk.Registry, plan: mk.Plan, tmp_path: Path
) -> None:
    mk.to_ics(plan, tmp_path, reg)
    busiest = plan.assignments["volunteer_id"].value_counts().index[0]
    res = mk.replan(
        reg, plan, [mk.VolunteerCancels(busiest)], time_limit=5, seed=0, deterministic=True
    )
    files = mk.to_ics(res.plan, tmp_path, res.registry)
    withdrawn = res.diff[res.diff["volunteer_id_before"] == busiest]
    assert len(withdrawn) and set(withdrawn["change"]) <= {"reassigned", "dropped"}
    evs = events(files[busiest])
    for t in withdrawn["task_id"]:
        ev = evs[mk.outputs.event_uid(t, busiest)]
        assert str(ev["status"]) == "CANCELLED"
        assert int(ev["sequence"]) == 1
    # the tasks someone else took over are new events (their own UIDs) in that calendar
    for rec in res.diff[res.diff["change"] == "reassigned"].itertuples(index=False):
        ev = events(files[rec.volunteer_id_after])[
            mk.outputs.event_uid(rec.task_id, rec.volunteer_id_after)
        ]
        assert str(ev["status"]) == "CONFIRMED"
    # kept assignments keep their UID and SEQUENCE
    for rec in res.diff[res.diff["change"] == "kept"].itertuples(index=False):
        ev = events(files[rec.volunteer_id_after])[
            mk.outputs.event_uid(rec.task_id, rec.volunteer_id_after)
        ]
        assert int(ev["sequence"]) == 0
    # written into a fresh folder, the published plan as `previous` gives the same result
    fresh = mk.to_ics(res.plan, tmp_path / "fresh", res.registry, previous=plan)
    assert events(fresh[busiest]).keys() == evs.keys()


# -- roster -----------------------------------------------------------------------------
def test_roster_workbook(reg: mk.Registry, plan: mk.Plan, tmp_path: Path) -> None:
    path = mk.write_roster(plan, tmp_path / "roster.xlsx", reg, lang="nl")
    wb = openpyxl.load_workbook(path)
    vols = sorted(set(plan.assignments["volunteer_id"]))
    assert wb.sheetnames == ["Week", *vols]
    week = wb["Week"]
    header = [c.value for c in week[1]]
    assert header[:2] == ["Vrijwilliger", "Naam"]
    assert header[2] == "do 22 okt" and header[5] == "zo 25 okt"
    assert week.freeze_panes == "C2"
    assert week.print_title_rows == "$1:$1"
    assert week.column_dimensions["C"].width >= 20
    assert [week.cell(row=r, column=1).value for r in range(2, week.max_row + 1)] == sorted(
        v.volunteer_id for v in reg.volunteer_records
    )
    for vid in vols:
        ws = wb[vid]
        assert ws.freeze_panes == "A2"
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        mine = plan.assignments[plan.assignments["volunteer_id"] == vid]
        assert [r[-1] for r in rows] == list(mine["task_id"])
        assert all(str(r[0]).split()[0] in mk.texts.DAY_NAMES["nl"] for r in rows)


# -- messages ---------------------------------------------------------------------------
def test_volunteer_messages(reg: mk.Registry, plan: mk.Plan) -> None:
    msgs = mk.volunteer_messages(plan, reg, lang="nl")
    names = {v.volunteer_id: v.name for v in reg.volunteer_records}
    for vid, body in msgs.items():
        n = int((plan.assignments["volunteer_id"] == vid).sum())
        assert sum(line.startswith("- ") for line in body.splitlines()) == n
        assert body.startswith(f"Hallo {names[vid].split()[0]},")
        assert "vertrek" in body and "Bedankt" in body
        assert not any(v in body for k, v in names.items() if k != vid)
    en = mk.volunteer_messages(plan, reg)
    assert all(b.startswith("Hello ") for b in en.values())
    rides = plan.assignments[plan.assignments["kind"] == "ride"]
    for vid in rides["volunteer_id"]:
        assert "VieCuri Venlo" in msgs[vid]


def test_resident_messages(reg: mk.Registry, plan: mk.Plan) -> None:
    msgs = mk.resident_messages(plan, reg, lang="nl")
    assert set(msgs) == set(plan.assignments["client_id"]) | set(plan.unmatched["client_id"])
    ride = plan.assignments[plan.assignments["kind"] == "ride"].iloc[0]
    helper = next(
        v.name.split()[0] for v in reg.volunteer_records if v.volunteer_id == ride["volunteer_id"]
    )
    assert f"{helper} rijdt u naar VieCuri Venlo" in msgs[ride["client_id"]]
    assert "maandag 26 oktober" in msgs[ride["client_id"]]
    en = mk.resident_messages(plan, reg)
    assert f"{helper} drives you to VieCuri Venlo" in en[ride["client_id"]]


def test_write_messages(reg: mk.Registry, plan: mk.Plan, tmp_path: Path) -> None:
    paths = mk.write_messages(plan, tmp_path, reg, lang="nl", residents=True)
    assert {p.parent.name for p in paths} == {"volunteers", "residents"}
    assert all(p.read_text(encoding="utf-8").strip() for p in paths)


# -- the funder's report ----------------------------------------------------------------
def test_report_totals_are_sums_over_the_assignments(reg: mk.Registry, plan: mk.Plan) -> None:
    rep = mk.funder_report(reg, plan, start="2026-10-22", rate_per_km=0.32)
    a = plan.assignments
    hours = ((a["end"] - a["start"]).dt.total_seconds() / 3600).sum()
    occupied = ((a["return"] - a["depart"]).dt.total_seconds() / 3600).sum()
    rides = a[a["kind"] == "ride"]
    t = rep.totals
    assert t["help_given"] == len(a)
    assert t["tasks"] == a["task_id"].nunique()
    assert t["hours_of_help"] == pytest.approx(hours, abs=0.01)
    assert t["volunteer_hours"] == pytest.approx(occupied, abs=0.01)
    assert t["residents_helped"] == a["client_id"].nunique()
    assert t["volunteers_active"] == a["volunteer_id"].nunique()
    assert t["rides"] == len(rides)
    assert t["ride_km"] == pytest.approx(rides["travel_km"].sum(), abs=0.06)
    assert t["km_total"] == pytest.approx(a["travel_km"].sum(), abs=0.06)
    assert t["reimbursement"] == pytest.approx(0.32 * rides["travel_km"].sum(), abs=0.01)
    assert t["unmet_tasks"] == len(plan.unmatched)
    # the groups add up to the totals
    for table in (rep.by_month, rep.by_kind, rep.by_village):
        assert table["help_given"].sum() == t["help_given"]
        assert table["hours_of_help"].sum() == pytest.approx(t["hours_of_help"], abs=0.05)
        assert table["reimbursement"].sum() == pytest.approx(t["reimbursement"], abs=0.05)
    assert rep.unmet_by_reason["tasks"].sum() == len(plan.unmatched)
    assert set(rep.by_kind["kind"]) == set(a["kind"])


def test_report_from_history_counts_each_help_once(reg: mk.Registry, plan: mk.Plan) -> None:
    both = mk.funder_report(reg, plan)
    assert both.totals["help_given"] == len(plan.assignments) + len(reg.history)
    assert both.totals["period_start"] == date(2026, 10, 12)
    # a plan recorded into the history is not counted twice
    recorded = mk.funder_report(reg.record(plan), plan)
    assert recorded.totals == both.totals
    # history alone: hours from the needs' durations
    past = mk.funder_report(reg, end="2026-10-21")
    n1 = next(n for n in reg.need_records if n.need_id == "N1")
    assert past.totals["hours_of_help"] == pytest.approx(n1.duration_min / 60)
    assert past.totals["unmet_tasks"] == 0 and past.totals["km_total"] > 0


def test_report_has_no_personal_data(reg: mk.Registry, plan: mk.Plan, tmp_path: Path) -> None:
    rep = mk.funder_report(reg, plan, lang="nl")
    html = rep.to_html(tmp_path / "funder.html").read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(rep.to_excel(tmp_path / "funder.xlsx"))
    cells = " ".join(
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
    )
    coords = [f"{x:.4f}" for c in reg.client_records for x in (c.lat, c.lon)]
    for text in (html, cells, rep.summary()):
        for secret in (*NAMES, *PHONES, *ADDRESSES, "VieCuri", *coords):
            assert secret not in text
    assert "kilometervergoeding" in html and 'lang="nl"' in html
    assert html.count('class="chart"') == 3 and 'id="week-map"' in html
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")


def test_report_rejects_a_negative_rate(reg: mk.Registry) -> None:
    with pytest.raises(InvalidSettingsError, match="rate_per_km"):
        mk.funder_report(reg, rate_per_km=-1)


# -- Dutch texts ------------------------------------------------------------------------
def test_dutch_summary_reasons_and_explanations() -> None:
    f = tiny_frames()
    f["needs"].loc[2, "skills"] = "plumber"  # nobody has it: no_skill
    reg = make_registry(f)
    plan = mk.match(reg, week="2026-W49", time_limit=2, seed=0, lang="nl")
    assert "no_skill" in set(plan.unmatched["reason_code"])
    reason = plan.unmatched.loc[plan.unmatched["reason_code"] == "no_skill", "reason"].iloc[0]
    assert "vaardigheden" in reason and "plumber" in reason
    nl = plan.summary("nl")
    assert "taken gedekt" in nl and "gewogen dekking" in nl and reason in nl
    en = mk.match(reg, week="2026-W49", time_limit=2, seed=0)
    assert "tasks covered" in en.summary()
    assert mk.texts.REASON_TITLES["nl"]["no_skill"] in en.summary("nl")
    expl = mk.explain_plan(reg, plan, lang="nl", fixes=False)
    assert expl["funnel"].str.contains("binnen hun max_km").all()
    assert not any(n in " ".join(expl.astype(str).to_numpy().ravel()) for n in NAMES)
    with pytest.raises(InvalidSettingsError, match="lang"):
        plan.summary("de")


def test_dutch_dates() -> None:
    assert mk.texts.date_text(date(2027, 3, 28), "nl") == "zondag 28 maart"
    assert mk.texts.date_text(date(2027, 3, 28), "en", short=True) == "Sun 28 Mar"
    assert mk.texts.number(1234.5, "nl") == "1234,5"
    assert datetime(2027, 3, 28, 12, tzinfo=AMS).utcoffset() == timedelta(hours=2)


# -- property: any plan's calendars parse back to its assignments -----------------------
_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["V1", "V2", "V3"]),
        st.sampled_from(["ride", "visit", "meal"]),
        # minutes from 2027-03-26 00:00: the change to summer time is on 2027-03-28
        st.integers(min_value=0, max_value=5 * 24 * 60 - 200),
        st.integers(min_value=15, max_value=120),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None)
@given(rows=_ROWS)
def test_any_plan_round_trips_through_ics(rows: list[tuple[str, str, int, int]]) -> None:
    import tempfile

    base = pd.Timestamp("2027-03-26")
    recs = []
    for i, (vid, kind, minute, length) in enumerate(rows):
        depart = base + pd.Timedelta(minutes=minute)
        start = depart + pd.Timedelta(minutes=10)
        recs.append(
            {
                "task_id": f"N{i}@{start.date()}", "need_id": f"N{i}", "client_id": "C1",
                "volunteer_id": vid, "kind": kind, "start": start,
                "end": start + pd.Timedelta(minutes=length), "depart": depart,
                "return": start + pd.Timedelta(minutes=length + 10), "travel_km": 3.0,
            }
        )  # fmt: skip
    a = pd.DataFrame(recs)
    meta = {"first_day": "2027-03-26", "last_day": "2027-03-30", "created": "2027-03-20T09:00:00"}
    plan = mk.Plan(a, pd.DataFrame(columns=["task_id", "client_id", "kind"]), {}, meta)
    with tempfile.TemporaryDirectory() as tmp:
        files = mk.to_ics(plan, tmp)
        for vid, path in files.items():
            evs = events(path)
            mine = a[a["volunteer_id"] == vid]
            assert len(evs) == len(mine)
            for rec in mine.itertuples(index=False):
                ev = evs[mk.outputs.event_uid(rec.task_id, vid)]
                start = ev.decoded("dtstart")
                want = rec.depart.to_pydatetime().replace(tzinfo=AMS)
                assert start.replace(tzinfo=None) == want.replace(tzinfo=None)
                assert start.utcoffset() == want.utcoffset()
