"""The registry: the coordinator's tables, validated lazily, kept as DataFrames.

A registry is three required tables (``volunteers``, ``clients``, ``needs``) and
an optional ``history``. Build one with :meth:`Registry.from_folder` (CSV files),
:meth:`Registry.from_excel` (one workbook, a sheet per table) or
:meth:`Registry.from_frames`. Every problem in the tables is collected first and
then raised as one :class:`~matchkracht.errors.InvalidRegistryError`.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from matchkracht.data.geo import GeocodeCache
from matchkracht.data.models import Client, HistoryEntry, Need, Volunteer, parse_tags_keep_case
from matchkracht.errors import PERSONAL_COLUMNS, InvalidRegistryError

__all__ = ["TABLES", "HasAssignments", "Registry"]

logger = logging.getLogger("matchkracht")

M = TypeVar("M", bound=BaseModel)


class HasAssignments(Protocol):
    """Anything with an ``assignments`` table, such as a plan (the registry does not import it)."""

    @property
    def assignments(self) -> pd.DataFrame:
        """One row per (task, volunteer), as the data contract describes."""
        ...


@dataclass(frozen=True)
class _TableSpec:
    name: str
    model: type[BaseModel]
    id_column: str | None
    required: tuple[str, ...]
    columns: tuple[str, ...]


def _spec(
    name: str, model: type[BaseModel], id_column: str | None, required: tuple[str, ...]
) -> _TableSpec:
    return _TableSpec(name, model, id_column, required, tuple(model.model_fields))


#: The tables of a registry and their required columns (lat/lon may be replaced
#: by an address when a geocoder is configured).
TABLES: dict[str, _TableSpec] = {
    "volunteers": _spec("volunteers", Volunteer, "volunteer_id", ("volunteer_id", "availability")),
    "clients": _spec("clients", Client, "client_id", ("client_id",)),
    "needs": _spec("needs", Need, "need_id", ("need_id", "client_id", "schedule", "window")),
    "history": _spec(
        "history", HistoryEntry, None, ("need_id", "client_id", "volunteer_id", "date")
    ),
}

HISTORY_COLUMNS = ["need_id", "client_id", "volunteer_id", "date"]


def _cell(value: Any) -> Any:
    """Normalise one cell: empty → None, whole floats in id-like text, dates to ISO."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        v = value.strip()
        return v or None
    return value


def _row_number(position: int) -> int:
    return position + 2  # header is spreadsheet row 1


_NUMERIC = {
    "greater_than_equal": "a number >= {ge}",
    "greater_than": "a number > {gt}",
    "less_than_equal": "a number <= {le}",
    "less_than": "a number < {lt}",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "int_type": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
}


def _expected(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", ""))
    kind = str(err.get("type", ""))
    if kind == "missing":
        return "a value (this column is required)"
    if kind in _NUMERIC:
        return _NUMERIC[kind].format(**(err.get("ctx") or {}))
    for prefix in ("Value error, ", "Input should be "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg


HIDDEN = "(hidden: personal data)"


def _plain(value: Any) -> str:
    """Text of a cell for comparing with personal data: case-folded, spaces collapsed."""
    return " ".join(str(value).split()).casefold()


class _Problems:
    """Problems found so far; values that are (or look like) personal data are hidden.

    Attributes
    ----------
    personal : set of str
        Every name and address of the registry (as :func:`_plain` text): a value
        equal to one of them is hidden in whatever column it turns up (columns
        shifted by one put a name under ``availability``).
    """

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.personal: set[str] = set()

    def add(
        self,
        table: str,
        row: int | None,
        column: str,
        value: Any,
        expected: str,
        personal: tuple[Any, ...] = (),
    ) -> None:
        """Record a problem; ``personal`` holds the row's own names and addresses."""
        if value not in (None, "") and (
            column in PERSONAL_COLUMNS or self._looks_personal(value, personal)
        ):
            value = HIDDEN
        self.rows.append(
            {"table": table, "row": row, "column": column, "value": value, "expected": expected}
        )

    def _looks_personal(self, value: Any, personal: tuple[Any, ...]) -> bool:
        text = _plain(value)
        if not text:
            return False
        if text in self.personal:
            return True
        # the row's own name or address inside the value, or a part of it as the value
        for item in personal:
            own = _plain(item) if item is not None else ""
            if not own:
                continue
            if text == own or (len(own) >= 4 and own in text) or (len(text) >= 4 and text in own):
                return True
        return False

    def raise_if_any(self) -> None:
        if self.rows:
            order = {name: i for i, name in enumerate(["registry", *TABLES])}
            rows = sorted(
                self.rows, key=lambda r: (order.get(r["table"], 99), r["row"] or 0, r["column"])
            )
            frame = pd.DataFrame(rows, columns=["table", "row", "column", "value", "expected"])
            frame["row"] = frame["row"].astype("Int64")
            frame["value"] = frame["value"].astype(object)
            raise InvalidRegistryError(frame)


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
        problems = _Problems()
        for name, frame in frames.items():
            if not isinstance(frame, pd.DataFrame):
                problems.add(name, None, "", type(frame).__name__, "a pandas DataFrame")
        problems.raise_if_any()
        frames = {k: _normalise_columns(v) for k, v in frames.items()}
        problems.personal = _personal_values(frames.values())
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
            records[name] = _validate_table(TABLES[name], frame, problems, cache, raw[name])
        # tables with a missing column were not read row by row: do not report every
        # id that points into them as unknown
        broken = {r["table"] for r in problems.rows if r["row"] is None}
        _check_references(raw, problems, broken)
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
        problems = _Problems()
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
                frames[name] = _read_csv(file, name, problems)
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
        problems = _Problems()
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


#: Columns that may hold a decimal comma in a ``;``-separated CSV file.
_DECIMAL_COLUMNS = frozenset({"lat", "lon", "dest_lat", "dest_lon", "max_hours_per_week", "max_km"})
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


def _read_csv(file: Path, table: str, problems: _Problems) -> pd.DataFrame:
    """Read one registry CSV file as text cells, comma- or semicolon-separated.

    A file whose header line has a ``;`` but no ``,`` is read as separated by
    ``;`` (as Dutch Excel writes CSV); its decimal commas in the numeric columns
    of :data:`_DECIMAL_COLUMNS` become decimal points. A row with more cells
    than the header (an unquoted cell holding the separator) is a problem of
    that row: its cells would otherwise shift into the wrong columns.
    """
    text = file.read_bytes().decode("utf-8-sig")
    header = text.split("\n", 1)[0]
    sep = ";" if ";" in header and "," not in header else ","
    frame = _read_csv_text(text, sep)
    if sep == "," and len(frame.columns) == 1 and ";" in str(frame.columns[0]):
        sep = ";"  # e.g. a quoted header cell holding a comma
        frame = _read_csv_text(text, sep)
    _check_row_lengths(text, sep, table, problems)
    if sep == ";":
        converted = 0
        for column in frame.columns:
            if str(column).strip().lower() not in _DECIMAL_COLUMNS:
                continue
            cells = frame[column]
            mask = cells.str.match(_DECIMAL_COMMA)
            converted += int(mask.sum())
            frame.loc[mask, column] = cells[mask].str.strip().str.replace(",", ".", regex=False)
        logger.info(
            "%s was read as a semicolon-separated CSV file%s",
            file.name,
            f" ({converted} decimal commas read as decimal points)" if converted else "",
        )
    return frame


def _read_csv_text(text: str, sep: str) -> pd.DataFrame:
    width = len(next(csv.reader(io.StringIO(text, newline=""), delimiter=sep), []))
    with warnings.catch_warnings():
        # rows longer than the header are reported by _check_row_lengths
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            skip_blank_lines=False,  # keep row numbers those of the file
            index_col=False,  # never take the first column as an index
            engine="python",  # for on_bad_lines: a long row is cut, not dropped
            on_bad_lines=lambda cells: cells[:width],
        )


def _check_row_lengths(text: str, sep: str, table: str, problems: _Problems) -> None:
    """Report every row with more cells than the header (its cells would shift)."""
    records = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    width = 0
    for i, record in enumerate(records):
        if i == 0:
            width = len(record)
        elif len(record) > width and any(cell.strip() for cell in record):
            problems.add(
                table,
                i + 1,
                "",
                f"{len(record)} cells",
                f"{width} cells, one per column of the header "
                f"(a cell holding a '{sep}' must be in double quotes)",
            )


def _normalise_columns(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [str(c).strip().lower() for c in out.columns]
    return out.reset_index(drop=True)


def _as_text(column: str, value: Any) -> Any:
    """Ids, names and addresses typed as numbers in a spreadsheet become text.

    A whole number loses its decimal part (``1.0`` becomes ``"1"``). In the ``name``
    and ``address`` columns any other non-text value (a fraction, a date and time)
    becomes its text as well.
    """
    is_id = column.endswith("_id") or column in _ID_LIST_COLUMNS
    if not (is_id or column in PERSONAL_COLUMNS) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return str(value) if column in PERSONAL_COLUMNS else value


def _personal_values(frames: Iterable[pd.DataFrame]) -> set[str]:
    """Every non-empty name and address in ``frames``, as :func:`_plain` text."""
    out: set[str] = set()
    for frame in frames:
        for column in PERSONAL_COLUMNS:
            if column not in frame.columns:
                continue
            for value in frame.loc[:, frame.columns == column].to_numpy().ravel():
                cell = _as_text(column, _cell(value))
                if cell is not None:
                    out.add(_plain(cell))
    out.discard("")
    return out


#: Columns holding ``;``-separated ids; one id alone may be typed as a number.
_ID_LIST_COLUMNS = frozenset({"preferred_volunteers", "excluded_volunteers"})


def _validate_table(
    spec: _TableSpec,
    frame: pd.DataFrame,
    problems: _Problems,
    cache: GeocodeCache | None,
    raw_rows: list[tuple[int, dict[str, Any]]],
) -> list[Any]:
    missing = [c for c in spec.required if c not in frame.columns]
    has_latlon = "lat" in frame.columns and "lon" in frame.columns
    if spec.name in ("volunteers", "clients") and not has_latlon and "address" not in frame.columns:
        missing += [c for c in ("lat", "lon") if c not in frame.columns]
    dup = frame.columns[frame.columns.duplicated()].tolist()
    for col in dup:
        problems.add(spec.name, None, col, col, "each column once")
    for col in missing:
        problems.add(spec.name, None, col, None, f"a column '{col}'")
    if missing or dup:
        return []
    known = [c for c in spec.columns if c in frame.columns]
    records: list[Any] = []
    seen: dict[str, int] = {}
    # rows with no value at all (",,,," lines, formatted but empty spreadsheet rows) are skipped
    blank = [all(_cell(v) is None for v in r) for r in frame.itertuples(index=False, name=None)]
    for pos, raw in enumerate(frame[known].itertuples(index=False, name=None)):
        if blank[pos]:
            continue
        row = _row_number(pos)
        cells = {k: _as_text(k, _cell(v)) for k, v in zip(known, raw, strict=True)}
        values = {k: v for k, v in cells.items() if v is not None}
        personal = tuple(cells.get(c) for c in sorted(PERSONAL_COLUMNS))
        raw_rows.append((row, values))
        no_latlon = values.get("lat") is None or values.get("lon") is None
        if (
            spec.name in ("volunteers", "clients")
            and no_latlon
            and not _geocode(spec.name, row, values, problems, cache)
        ):
            continue
        try:
            record = spec.model.model_validate(values)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc") or ()
                ctx_err = (err.get("ctx") or {}).get("error")
                column = str(loc[0]) if loc else getattr(ctx_err, "column", "")
                value = cells.get(column)
                problems.add(spec.name, row, column, value, _expected(err), personal)
            continue
        if spec.id_column is not None:
            rid = getattr(record, spec.id_column)
            if rid in seen:
                problems.add(
                    spec.name,
                    row,
                    spec.id_column,
                    rid,
                    f"a unique {spec.id_column} (also on row {seen[rid]})",
                    personal,
                )
                continue
            seen[rid] = row
        records.append((row, record))
    return records


def _geocode(
    table: str, row: int, values: dict[str, Any], problems: _Problems, cache: GeocodeCache | None
) -> bool:
    has_one = (values.get("lat") is None) != (values.get("lon") is None)
    address = values.get("address")
    if has_one:
        col = "lat" if values.get("lat") is None else "lon"
        problems.add(
            table, row, col, None, "both lat and lon, or neither (then an address and a geocoder)"
        )
        return False
    if not address:
        problems.add(
            table, row, "lat", None, "lat and lon (or an address, with a geocoder configured)"
        )
        return False
    if cache is None:
        problems.add(
            table,
            row,
            "lat",
            None,
            "lat and lon: an address is only used when a geocoder is passed to the registry",
        )
        return False
    found = cache.lookup(str(address))
    if found is None:
        problems.add(table, row, "address", address, "an address the geocoder can find")
        return False
    values["lat"], values["lon"] = found
    return True


def _check_references(
    raw: dict[str, list[tuple[int, dict[str, Any]]]],
    problems: _Problems,
    broken: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Check ids that point into other tables, on the raw cells of every row.

    Ids pointing into a table in ``broken`` (one that could not be read row by
    row, e.g. for a missing column) are not checked.
    """
    volunteer_ids = {str(v["volunteer_id"]) for _, v in raw["volunteers"] if "volunteer_id" in v}
    client_ids = {str(v["client_id"]) for _, v in raw["clients"] if "client_id" in v}

    def ref(
        table: str,
        row: int,
        cells: dict[str, Any],
        column: str,
        value: Any,
        known: set[str],
        target: str,
    ) -> None:
        if target in broken:
            return
        if value is not None and str(value) not in known:
            expected = f"a {target[:-1]}_id that exists in {target}"
            personal = tuple(cells.get(c) for c in sorted(PERSONAL_COLUMNS))
            problems.add(table, row, column, value, expected, personal)

    for row, cells in raw["needs"]:
        ref("needs", row, cells, "client_id", cells.get("client_id"), client_ids, "clients")
    for row, cells in raw["clients"]:
        for col in ("preferred_volunteers", "excluded_volunteers"):
            for vid in sorted(parse_tags_keep_case(str(cells.get(col) or ""))):
                ref("clients", row, cells, col, vid, volunteer_ids, "volunteers")
    for row, cells in raw["history"]:
        hist_vid = cells.get("volunteer_id")
        ref("history", row, cells, "volunteer_id", hist_vid, volunteer_ids, "volunteers")
        ref("history", row, cells, "client_id", cells.get("client_id"), client_ids, "clients")
