"""The registry: the coordinator's tables, validated lazily, kept as DataFrames.

A registry is three required tables (``volunteers``, ``clients``, ``needs``) and
an optional ``history``. Build one with :meth:`Registry.from_folder` (CSV files),
:meth:`Registry.from_excel` (one workbook, a sheet per table) or
:meth:`Registry.from_frames`. Every problem in the tables is collected first and
then raised as one :class:`~matchkracht.errors.InvalidRegistryError`.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd
from pydantic import BaseModel

from matchkracht.data.geo import GeocodeCache
from matchkracht.data.models import Client, HistoryEntry, Need, Volunteer
from matchkracht.data.reading import normalise_columns, read_csv
from matchkracht.data.validation import (
    HISTORY_COLUMNS,
    TABLES,
    Failures,
    check_references,
    personal_values,
    validate_table,
)

__all__ = ["TABLES", "HasAssignments", "Registry"]

logger = logging.getLogger("matchkracht")

M = TypeVar("M", bound=BaseModel)


class HasAssignments(Protocol):
    """Anything with an ``assignments`` table, such as a plan (the registry does not import it)."""

    @property
    def assignments(self) -> pd.DataFrame:
        """One row per (task, volunteer), as the data contract describes."""
        ...


class Registry:
    """Volunteers, clients, needs and history, validated against the data contract.

    Parameters
    ----------
    volunteers, clients, needs
        The required tables. Column order does not matter; unknown columns are
        kept and ignored; empty cells mean "default".
    history
        Optional past help, one row per help given (``need_id, client_id,
        volunteer_id, date``).
    geocoder
        Optional geopy geocoder, used only for rows whose ``lat``/``lon`` are
        empty and whose ``address`` is filled. Never called otherwise.
    geocode_cache
        Path of the JSON cache for geocoding results.

    Raises
    ------
    InvalidRegistryError
        Listing every problem found in the tables.

    Attributes
    ----------
    volunteers, clients, needs, history : pandas.DataFrame
        The tables as given (column names lower-cased and stripped).
    """

    def __init__(
        self,
        volunteers: pd.DataFrame,
        clients: pd.DataFrame,
        needs: pd.DataFrame,
        history: pd.DataFrame | None = None,
        *,
        geocoder: Any = None,
        geocode_cache: str | Path | None = None,
    ) -> None:
        if history is None:
            history = pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS})
        frames = {"volunteers": volunteers, "clients": clients, "needs": needs, "history": history}
        problems = Failures()
        for name, frame in frames.items():
            if not isinstance(frame, pd.DataFrame):
                problems.add(name, None, "", type(frame).__name__, "a pandas DataFrame")
        problems.raise_if_any()
        frames = {k: normalise_columns(v) for k, v in frames.items()}
        problems.personal = personal_values(frames.values())
        self.volunteers: pd.DataFrame = frames["volunteers"]
        self.clients: pd.DataFrame = frames["clients"]
        self.needs: pd.DataFrame = frames["needs"]
        self.history: pd.DataFrame = frames["history"]
        self._geocoder = geocoder
        self._geocode_cache = geocode_cache
        cache = GeocodeCache(geocoder, geocode_cache) if geocoder is not None else None
        records: dict[str, list[Any]] = {}
        raw: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for name, frame in frames.items():
            raw[name] = []
            records[name] = validate_table(TABLES[name], frame, problems, cache, raw[name])
        # tables with a missing column were not read row by row: do not report every
        # id that points into them as unknown
        broken = {r["table"] for r in problems.rows if r["row"] is None}
        check_references(raw, problems, broken)
        problems.raise_if_any()
        records = {k: [r for _, r in v] for k, v in records.items()}
        self._volunteers: tuple[Volunteer, ...] = tuple(records["volunteers"])
        self._clients: tuple[Client, ...] = tuple(records["clients"])
        self._needs: tuple[Need, ...] = tuple(records["needs"])
        self._history: tuple[HistoryEntry, ...] = tuple(records["history"])
        logger.debug(
            "registry: %d volunteers, %d clients, %d needs, %d history rows",
            len(self._volunteers),
            len(self._clients),
            len(self._needs),
            len(self._history),
        )

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def from_frames(
        cls,
        volunteers: pd.DataFrame,
        clients: pd.DataFrame,
        needs: pd.DataFrame,
        history: pd.DataFrame | None = None,
        **kwargs: Any,
    ) -> Registry:
        """A registry from pandas DataFrames (see :class:`Registry`)."""
        return cls(volunteers, clients, needs, history, **kwargs)

    @classmethod
    def from_folder(cls, path: str | Path, **kwargs: Any) -> Registry:
        """Read ``volunteers.csv``, ``clients.csv``, ``needs.csv`` and optional ``history.csv``.

        Files are UTF-8 (a byte-order mark, as Excel writes it, is accepted).
        Files separated by ``;`` (Dutch Excel's "CSV (puntkomma-gescheiden)") are
        recognised by their header line; in such a file a number may be written
        with a decimal comma (``51,42``) in the columns ``lat``, ``lon``,
        ``dest_lat``, ``dest_lon``, ``max_hours_per_week`` and ``max_km``.
        """
        folder = Path(path)
        problems = Failures()
        frames: dict[str, pd.DataFrame | None] = {}
        if not folder.is_dir():
            problems.add(
                "registry",
                None,
                "",
                str(path),
                "a folder with volunteers.csv, clients.csv and needs.csv",
            )
            problems.raise_if_any()
        for name in TABLES:
            file = folder / f"{name}.csv"
            if not file.exists():
                frames[name] = None
                if name != "history":
                    problems.add(
                        name, None, "", f"{name}.csv", f"a file {name}.csv in the registry folder"
                    )
                continue
            try:
                frames[name] = read_csv(file, name, problems)
            except (
                UnicodeDecodeError,
                csv.Error,
                pd.errors.ParserError,
                pd.errors.EmptyDataError,
            ) as exc:
                frames[name] = None
                problems.add(
                    name,
                    None,
                    "",
                    f"{name}.csv",
                    f"a readable UTF-8 CSV file ({type(exc).__name__})",
                )
        problems.raise_if_any()
        volunteers, clients, needs = frames["volunteers"], frames["clients"], frames["needs"]
        assert volunteers is not None and clients is not None and needs is not None
        return cls(volunteers, clients, needs, frames["history"], **kwargs)

    @classmethod
    def from_excel(cls, path: str | Path, **kwargs: Any) -> Registry:
        """Read one workbook with sheets ``volunteers``, ``clients``, ``needs`` (and ``history``)."""
        problems = Failures()
        try:
            sheets = pd.read_excel(path, sheet_name=None, dtype=object)
        except (OSError, ValueError) as exc:
            problems.add(
                "registry", None, "", str(path), f"a readable .xlsx workbook ({type(exc).__name__})"
            )
            problems.raise_if_any()
            raise AssertionError from exc  # unreachable
        by_name = {str(k).strip().lower(): v for k, v in sheets.items()}
        for name in ("volunteers", "clients", "needs"):
            if name not in by_name:
                problems.add(name, None, "", name, f"a sheet named '{name}' in the workbook")
        problems.raise_if_any()
        return cls(
            by_name["volunteers"],
            by_name["clients"],
            by_name["needs"],
            by_name.get("history"),
            **kwargs,
        )

    # -- accessors ----------------------------------------------------------------------
    @property
    def volunteer_records(self) -> tuple[Volunteer, ...]:
        """The validated volunteers, in table order."""
        return self._volunteers

    @property
    def client_records(self) -> tuple[Client, ...]:
        """The validated clients, in table order."""
        return self._clients

    @property
    def need_records(self) -> tuple[Need, ...]:
        """The validated needs, in table order."""
        return self._needs

    @property
    def history_records(self) -> tuple[HistoryEntry, ...]:
        """The validated history rows, in table order."""
        return self._history

    def __repr__(self) -> str:
        return (
            f"Registry(volunteers={len(self._volunteers)}, clients={len(self._clients)}, "
            f"needs={len(self._needs)}, history={len(self._history)})"
        )

    # -- writing ------------------------------------------------------------------------
    def to_folder(self, path: str | Path) -> Path:
        """Write the four tables as UTF-8 CSV files into ``path`` (created if needed)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            getattr(self, name).to_csv(folder / f"{name}.csv", index=False, encoding="utf-8")
        return folder

    def to_excel(self, path: str | Path) -> Path:
        """Write the four tables as sheets of one workbook."""
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name in TABLES:
                getattr(self, name).to_excel(writer, sheet_name=name, index=False)
        return Path(path)

    def replace(
        self,
        *,
        volunteers: pd.DataFrame | None = None,
        clients: pd.DataFrame | None = None,
        needs: pd.DataFrame | None = None,
        history: pd.DataFrame | None = None,
    ) -> Registry:
        """A new, validated registry with some tables replaced (the others kept).

        Parameters
        ----------
        volunteers, clients, needs, history
            The new tables; ``None`` keeps the current one.
        """
        return Registry(
            self.volunteers if volunteers is None else volunteers,
            self.clients if clients is None else clients,
            self.needs if needs is None else needs,
            self.history if history is None else history,
            geocoder=self._geocoder,
            geocode_cache=self._geocode_cache,
        )

    def with_volunteers(self, rows: list[dict[str, Any]]) -> Registry:
        """A new registry with extra volunteer rows (e.g. a synthetic recruit) appended."""
        extra = pd.DataFrame(rows, dtype=object)
        vols = pd.concat([self.volunteers.astype(object), extra], ignore_index=True)
        return self.replace(volunteers=vols)

    def record(self, plan: HasAssignments | pd.DataFrame) -> Registry:
        """A new registry whose history also holds the given plan's assignments.

        Parameters
        ----------
        plan
            A confirmed :class:`~matchkracht.plan.Plan`, or its ``assignments``
            table: the ``need_id, client_id, volunteer_id`` and the date of
            ``start`` of every assignment are appended as history rows.
        """
        assignments = plan if isinstance(plan, pd.DataFrame) else plan.assignments
        new = pd.DataFrame(
            {
                "need_id": assignments["need_id"].astype(str),
                "client_id": assignments["client_id"].astype(str),
                "volunteer_id": assignments["volunteer_id"].astype(str),
                "date": pd.to_datetime(assignments["start"]).dt.date.astype(str),
            }
        )
        history = pd.concat([self.history, new], ignore_index=True)
        return Registry(
            self.volunteers,
            self.clients,
            self.needs,
            history,
            geocoder=self._geocoder,
            geocode_cache=self._geocode_cache,
        )
