"""Every HTML page matchkracht writes, loaded in a real headless browser (Debian chromium).

The page is loaded from a file:// URL with every host name unresolvable (a
self-contained page needs none); the browser's console must stay empty, and a
small script appended to a copy of the page reports what the browser drew:
charts, bars, map points and images that decoded. CI installs chromium
(.ci/run) and sets CI=true, so there these tests never skip.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import make_registry
from test_outputs import DST_HORIZON, dst_registry

import matchkracht as mk
from matchkracht.cli import main

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI", "").lower() != "true",
    reason="chromium is not installed (CI installs it and runs these tests)",
)

CHECK = """<script>window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var q = function (s) { return document.querySelectorAll(s).length; };
  document.body.setAttribute("data-check", JSON.stringify({
    charts: q("svg.chart"), bars: q("svg.chart rect.bar"), map: q("#week-map"),
    residents: q("#week-map circle.resident"), volunteers: q("#week-map rect.volunteer"),
    lines: q("#week-map line.helps"), images: imgs.length,
    broken: imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length,
    remote: performance.getEntriesByType("resource").filter(function (e) {
      return !/^(data|file|about):/.test(e.name); }).length,
    title: document.title
  }));
});</script>"""


def render(page: Path, tmp: Path) -> tuple[dict[str, Any], list[str]]:
    """What the browser drew of ``page``, and its console lines."""
    assert CHROMIUM is not None, "CI=true but chromium is not installed"
    copy = tmp / f"checked-{page.name}"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"))
    proc = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-extensions", "--enable-logging=stderr", "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=5000",
            f"--user-data-dir={tmp / 'chromium-profile'}", "--dump-dom", copy.as_uri(),
        ],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    m = re.search(r'data-check="([^"]*)"', proc.stdout)
    assert m, f"the page did not finish loading:\n{proc.stderr[-2000:]}"
    return json.loads(html.unescape(m.group(1))), console


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[mk.Registry, mk.Plan]:
    reg = dst_registry()
    plan = mk.match(reg, horizon=DST_HORIZON, time_limit=5, seed=0, deterministic=True)
    return reg, plan


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_funder_page_in_a_browser(
    week: tuple[mk.Registry, mk.Plan], tmp_path: Path, lang: str
) -> None:
    reg, plan = week
    page = mk.funder_report(reg, plan, lang=lang).to_html(tmp_path / "funder.html")
    seen, console = render(page, tmp_path)
    assert console == []
    assert seen["charts"] == 3 and seen["bars"] >= 3
    assert seen["map"] == 1
    assert seen["residents"] == len(set(plan.assignments["client_id"]))
    assert seen["volunteers"] == len(set(plan.assignments["volunteer_id"]))
    assert seen["lines"] >= seen["residents"]
    assert seen["broken"] == 0 and seen["remote"] == 0


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_signals_report_in_a_browser(tmp_path: Path, lang: str) -> None:
    folder = make_registry().to_folder(tmp_path / "registry")
    out = tmp_path / "signals"
    args = ["signals", str(folder), "--out", str(out), "--week", "2026-W49", "--advice", "0"]
    assert main([*args, "--time-limit", "2", "--deterministic", "--lang", lang]) == 0
    seen, console = render(out / "report.html", tmp_path)
    assert console == []
    assert seen["images"] >= 2 and seen["broken"] == 0 and seen["remote"] == 0
    title = {"en": "matchkracht signals report", "nl": "matchkracht-signalenrapport"}[lang]
    assert seen["title"] == title
