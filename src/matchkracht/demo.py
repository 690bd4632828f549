"""The bundled demo village (synthetic residents and volunteers, real coordinates)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from matchkracht.data.registry import Registry

__all__ = ["DEMO_WEEK", "demo_path", "load_demo"]

#: The week the demo village's history and one-off needs are made for.
DEMO_WEEK = "2026-W49"


def demo_path() -> Path:
    """Folder of the demo registry's CSV files."""
    return Path(str(resources.files("matchkracht") / "data" / "demo"))


def load_demo() -> Registry:
    """The demo village as a :class:`~matchkracht.data.registry.Registry`.

    Examples
    --------
    >>> reg = load_demo()
    >>> len(reg.volunteers) > 0
    True
    """
    return Registry.from_folder(demo_path())
