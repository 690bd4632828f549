"""Reading registry CSV files: text cells, comma or semicolon, decimal commas."""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
from pathlib import Path

import pandas as pd

from matchkracht.data.validation import Failures

__all__ = ["normalise_columns", "read_csv"]

logger = logging.getLogger("matchkracht")


#: Columns that may hold a decimal comma in a ``;``-separated CSV file.
_DECIMAL_COLUMNS = frozenset({"lat", "lon", "dest_lat", "dest_lon", "max_hours_per_week", "max_km"})


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


def read_csv(file: Path, table: str, problems: Failures) -> pd.DataFrame:
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


def _check_row_lengths(text: str, sep: str, table: str, problems: Failures) -> None:
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


def normalise_columns(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [str(c).strip().lower() for c in out.columns]
    return out.reset_index(drop=True)
