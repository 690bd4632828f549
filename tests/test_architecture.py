"""The package's import graph: layers flow one way and no module imports itself round.

Every import counts: at module level, inside functions and under
``TYPE_CHECKING``. A module may import modules of its own layer or of lower
layers; the graph of modules must have no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "matchkracht"

#: Lowest first. A module belongs to the first layer with a prefix it starts with.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # texts: English and Dutch templates any layer may use
    ("base", ("matchkracht.errors", "matchkracht.settings", "matchkracht.texts")),
    ("data", ("matchkracht.data",)),
    # problem.darp: the dial-a-ride instance and its reader
    ("problem", ("matchkracht.problem",)),
    # maps independent parts over a Dask cluster or this process; the solver uses it
    ("scale", ("matchkracht.scale",)),
    # solver.trips: the dial-a-ride engine (routing, ruin and recreate, schedules)
    ("solver", ("matchkracht.solver", "matchkracht.solver.trips")),
    # plan.darp_check: the independent checker of dial-a-ride routes
    ("plan", ("matchkracht.plan", "matchkracht.plan.darp_check")),
    # match() and replan() compose problem → solver → plan
    ("app", ("matchkracht.api", "matchkracht.replan", "matchkracht.demo")),
    # advice reads plans and may re-solve (what would one more recruit cover?)
    ("advice", ("matchkracht.advice",)),
    # what people get out of a plan: calendars, rosters, messages, the funder's report
    ("outputs", ("matchkracht.outputs",)),
    # the store keeps registries and plans in a database; it may re-plan (app)
    ("store", ("matchkracht.store",)),
    ("interface", ("matchkracht.cli", "matchkracht.__main__", "matchkracht")),
)
#: Third-party packages a layer must not import (the solver works on numpy arrays).
FORBIDDEN = {
    "problem.core": ("pandas", "pydantic"),
    "problem.occupancy": ("pandas", "pydantic"),
    "problem.eligibility": ("pandas", "pydantic"),
    "problem.darp": ("pandas", "pydantic"),
    "solver": ("pandas", "pydantic"),
    "plan.darp_check": ("pandas", "pydantic", "ortools"),
    "scale": ("pandas", "pydantic"),
}


def module_name(path: Path, root: Path = PACKAGE) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Modules of the package and top-level third-party names that ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            # ``from pkg import sub`` imports the submodule ``pkg.sub``
            out.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known)
    return {m for m in out if m in known or not m.startswith("matchkracht")}


def layer(name: str) -> int:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{name} belongs to no layer: add it to LAYERS")


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    mods = modules(root)
    known = set(mods)
    return {m: imports(p, m, known) for m, p in mods.items()}


def upward(g: dict[str, set[str]]) -> list[str]:
    bad = []
    for m, deps in g.items():
        for d in deps:
            if d.startswith("matchkracht") and layer(d) > layer(m):
                bad.append(f"{m} ({LAYERS[layer(m)][0]}) imports {d} ({LAYERS[layer(d)][0]})")
    return sorted(bad)


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(d for d in g.get(v, ()) if d in g):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_every_module_has_a_layer() -> None:
    for m in modules():
        layer(m)


def test_layers_flow_one_way() -> None:
    assert upward(graph()) == []


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


@pytest.mark.parametrize("where", sorted(FORBIDDEN))
def test_numpy_core_imports_no_pandas_or_pydantic(where: str) -> None:
    g = graph()
    prefix = f"matchkracht.{where}"
    for m, deps in g.items():
        if m == prefix or m.startswith(prefix + "."):
            assert not {d.split(".")[0] for d in deps} & set(FORBIDDEN[where]), m


def test_the_checks_would_fail(tmp_path: Path) -> None:
    """A reintroduced circle (registry → plan → registry) and an upward arrow are caught."""
    root = tmp_path / "matchkracht"
    (root / "data").mkdir(parents=True)
    (root / "plan").mkdir()
    for f in ("__init__.py", "data/__init__.py", "plan/__init__.py"):
        (root / f).write_text("")
    (root / "data" / "registry.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from matchkracht.plan.result import Plan\n"
    )
    (root / "plan" / "result.py").write_text(
        "def f():\n    from matchkracht.data.registry import Registry\n"
    )
    g = graph(root)
    assert cycles(g) == [["matchkracht.data.registry", "matchkracht.plan.result"]]
    assert upward(g) == ["matchkracht.data.registry (data) imports matchkracht.plan.result (plan)"]
