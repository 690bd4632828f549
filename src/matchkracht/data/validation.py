"""Lazy validation of the registry tables: every bad cell collected, then one error.

Each failure names table, row, column, value and what is expected; values of
personal columns are hidden (see :data:`~matchkracht.errors.PERSONAL_COLUMNS`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from matchkracht.data.geo import GeocodeCache
from matchkracht.data.models import Client, HistoryEntry, Need, Volunteer, parse_tags_keep_case
from matchkracht.errors import PERSONAL_COLUMNS, InvalidRegistryError

__all__ = [
    "HIDDEN",
    "HISTORY_COLUMNS",
    "ID_LIST_COLUMNS",
    "TABLES",
    "Failures",
    "check_references",
    "personal_values",
    "validate_table",
]

logger = logging.getLogger("matchkracht")

M = TypeVar("M", bound=BaseModel)


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


def _geocode(
    table: str, row: int, values: dict[str, Any], problems: Failures, cache: GeocodeCache | None
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


class Failures:
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


def personal_values(frames: Iterable[pd.DataFrame]) -> set[str]:
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
ID_LIST_COLUMNS = frozenset({"preferred_volunteers", "excluded_volunteers"})


def validate_table(
    spec: _TableSpec,
    frame: pd.DataFrame,
    problems: Failures,
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


def check_references(
    raw: dict[str, list[tuple[int, dict[str, Any]]]],
    problems: Failures,
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


def _as_text(column: str, value: Any) -> Any:
    """Ids, names and addresses typed as numbers in a spreadsheet become text.

    A whole number loses its decimal part (``1.0`` becomes ``"1"``). In the ``name``
    and ``address`` columns any other non-text value (a fraction, a date and time)
    becomes its text as well.
    """
    is_id = column.endswith("_id") or column in ID_LIST_COLUMNS
    if not (is_id or column in PERSONAL_COLUMNS) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return str(value) if column in PERSONAL_COLUMNS else value
