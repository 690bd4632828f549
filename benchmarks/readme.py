"""Copy the latest benchmark results into README.md (never typed in by hand).

Replaces everything between the ``<!-- BENCHMARK TABLE -->`` marker and the next
``## `` heading of README.md with the results table, the ratio table and the
targets of ``benchmarks/results/full/results.md``, followed by the table of
``benchmarks/results/weeks/results.md`` when it exists.

Usage::

    python -m benchmarks.readme
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["main", "readme_block", "section"]

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- BENCHMARK TABLE -->"


def section(text: str, title: str) -> str:
    """The body of the ``## title`` section of a markdown text (without its heading)."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    if match is None:
        raise ValueError(f"no section {title!r}")
    return match.group(1).strip()


def _header(text: str) -> dict[str, str]:
    """The ``- key: value`` lines at the top of a results file (``versions``: the line
    that lists them)."""
    top = text.split("## ", 1)[0]
    out = dict(re.findall(r"^- ([a-z ]+): (.*)$", top, flags=re.M))
    versions = re.search(r"^- (python .*)$", top, flags=re.M)
    out["versions"] = versions.group(1) if versions else "?"
    return out


def readme_block(full: str, weeks: str | None = None) -> str:
    """The README block made of the ``full`` (and ``weeks``) results texts."""
    head = _header(full)
    lines = [
        MARKER,
        f"Latest `full` suite (`python -m benchmarks.run --suite full`, "
        f"{head.get('date', '?')}, {head.get('machine', '?')}, "
        f"{head['versions']}; copied by `python -m benchmarks.readme` from "
        "[`benchmarks/results/full/results.md`](benchmarks/results/full/results.md), "
        "notes in [`NOTES.md`](benchmarks/results/full/NOTES.md)):",
        "",
        section(full, "Results (medians over seeds)"),
        "",
        "#### CP-SAT against the baselines of the same run",
        "",
        section(full, "CP-SAT against the baselines of the same run"),
        "",
        "#### Targets",
        "",
        section(full, "Targets"),
        "",
        "![coverage against time](benchmarks/results/full/coverage_vs_time.png)",
        "![time and memory against size](benchmarks/results/full/scaling.png)",
        "",
    ]
    if weeks is not None:
        table = "\n".join(x for x in weeks.splitlines() if x.startswith("|"))
        replan = "\n".join(x for x in weeks.splitlines() if x.startswith("Re-plan:"))
        found = re.search(r"^Instance: (.*)\. Measured (.*)\.$", weeks, flags=re.M)
        instance, measured = found.groups() if found else ("?", "?")
        settings = re.search(r"^Settings: (.*)$", weeks, flags=re.M)
        lines += [
            "#### Several weeks: continuity, fairness, re-planning",
            "",
            f"`python -m benchmarks.weeks` ({instance}; measured {measured}; "
            f"{settings.group(1) if settings else ''}; copied from "
            "[`benchmarks/results/weeks/results.md`](benchmarks/results/weeks/results.md)):",
            "",
            table,
            "",
            replan,
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    """Rewrite README.md's benchmark block; returns 0."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    full = (ROOT / "benchmarks" / "results" / "full" / "results.md").read_text(encoding="utf-8")
    weeks_path = ROOT / "benchmarks" / "results" / "weeks" / "results.md"
    weeks = weeks_path.read_text(encoding="utf-8") if weeks_path.exists() else None
    start = text.index(MARKER)
    end = text.index("\n## ", start)
    readme.write_text(
        text[:start] + readme_block(full, weeks) + "\n" + text[end:], encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
