"""The signals report (markdown + self-contained HTML), the CLI, and privacy everywhere."""

from __future__ import annotations

from pathlib import Path

import builders as b
import pandas as pd

import matchkracht as mk
from matchkracht.cli import main

PERSONAL = ("Zoë Çelik", "Zoë", "Çelik", "Kerkstraat", "Hoeske", "Markt 2")


def named_registry() -> mk.Registry:
    """Names and addresses on everyone; some tasks go unmatched for several reasons."""
    vols = [
        b.volunteer("v1", name="Zoë Çelik", address="Kerkstraat 1, 't Hoeske",
                    availability="mon 09:00-17:00; thu 09:00-17:00", max_tasks_per_week=1),
        b.volunteer("v2", name="Jan 't Hoeske", address="Markt 2", skills="driver",
                    availability="tue 09:00-12:00"),
    ]  # fmt: skip
    clients = [
        b.client("c1", name="Zoë Çelik", address="Markt 2", village="Horst"),
        b.client("c2", name="Meneer Çelik", address="Kerkstraat 1"),
    ]
    needs = [
        b.need("n1"),
        b.need("n2", client_id="c2", schedule="FREQ=WEEKLY;BYDAY=TH"),
        b.need("n3", client_id="c2", kind="ride", schedule="FREQ=WEEKLY;BYDAY=TH",
               dest_lat=b.north(3), dest_lon=b.BASE_LON),
        b.need("n4", languages="ar"),
    ]  # fmt: skip
    return b.registry(vols, clients, needs, [b.history("v1", when="2026-11-23")])


def assert_private(text: str) -> None:
    for word in PERSONAL:
        assert word not in text, word


def test_no_personal_data_in_any_output(tmp_path: Path) -> None:
    reg = named_registry()
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    assert len(plan.unmatched) >= 2
    expl = mk.explain_plan(reg, plan, verify=True)
    sig = mk.unmet_signals(reg, plan)
    trend = mk.signal_trend(reg, plan)
    adv = mk.recruitment_advice(reg, plan, top=3, time_limit=1)
    who = mk.who_can(
        reg, plan, {"client_id": "c1", "schedule": "2026-12-03", "window": "10:00-11:00"}
    )
    md, html = mk.write_report(
        tmp_path, plan=plan, signals=sig, explanations=expl, advice=adv.table, trend=trend
    )
    texts = [expl.to_string(), sig.to_string(), trend.to_string(), adv.table.to_string(),
             str(adv.recruits), who.to_string(), md.read_text("utf-8"), html.read_text("utf-8")]  # fmt: skip
    for text in texts:
        assert_private(text)


def test_report_is_self_contained(tmp_path: Path) -> None:
    reg = named_registry()
    plan = mk.match(reg, week=b.WEEK, time_limit=2, seed=0)
    expl = mk.explain_plan(reg, plan)
    md, html = mk.write_report(tmp_path, plan=plan, signals=mk.unmet_signals(reg, plan),
                               explanations=expl, timings={"solve": 1.0})  # fmt: skip
    page = html.read_text("utf-8")
    assert page.count("data:image/png;base64,") >= 2
    assert 'src="unmet' not in page  # no links to files
    text = md.read_text("utf-8")
    assert "![unmet_heatmap](unmet_heatmap.png)" in text
    assert (tmp_path / "unmet_heatmap.png").read_bytes()[:4] == b"\x89PNG"
    for task in expl["task_id"]:
        assert task in text and task in page


def test_cli_signals_and_whocan(tmp_path: Path, capsys: object) -> None:
    reg = named_registry()
    folder = reg.to_folder(tmp_path / "reg")
    out = tmp_path / "out"
    code = main(["signals", str(folder), "--week", b.WEEK, "--out", str(out),
                 "--time-limit", "1", "--advice", "1"])  # fmt: skip
    assert code == 0
    for name in ("signals.csv", "advice.csv", "report.md", "report.html", "explanations.csv"):
        assert (out / name).exists(), name
    assert len(pd.read_csv(out / "advice.csv")) == 1
    code = main(["whocan", str(folder), "--week", b.WEEK, "--client", "c1",
                 "--date", "2026-12-03", "--window", "10:00-11:00", "--time-limit", "1"])  # fmt: skip
    assert code == 0
    assert main(["whocan", str(folder), "--week", b.WEEK, "--client", "nobody",
                 "--date", "2026-12-03", "--window", "10:00-11:00", "--time-limit", "1"]) == 2  # fmt: skip
