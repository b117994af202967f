"""Read tables (CSV, XLSX, Parquet) from files and turn them into validated panels.

Row numbers in every message are the ones a spreadsheet shows: the header is row 1 and
blank rows count, so a user can go straight to the cell at fault in Excel or WPS.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.panel import Panel

__all__ = ["read_panel", "read_table"]

READ_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")
_BLANK_LINE = re.compile(r"[\s,;]*")


def read_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None = None,
    text_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a ``.csv``, ``.xlsx`` or ``.parquet`` file into a pandas DataFrame.

    Parameters
    ----------
    path
        The file.  The suffix chooses the reader.
    sheet
        Excel sheet name or 0-based position; None reads the first sheet.
    text_columns
        Columns kept as text, so codes such as ``000001`` keep their leading zeros.

    Returns
    -------
    pandas.DataFrame
        Row ``i`` (0-based) is spreadsheet row ``i + 2`` when the header is on row 1.
        Column names are stripped of surrounding spaces; unnamed columns that hold
        nothing (stray commas, formatted empty cells) are dropped; blank rows are kept
        as empty rows so that row numbers stay true.

    Raises
    ------
    DataValidationError
        Missing file, unknown suffix, empty file, unreadable content, duplicate column
        names, or a sheet that does not exist (listing the sheets there are).

    Notes
    -----
    CSV files are decoded as UTF-8 (with or without a byte-order mark) and, failing
    that, as GB18030, the superset of GBK that Excel and WPS on Chinese Windows use when
    they save "CSV (comma delimited)".  Legacy ``.xls`` files are refused with a request
    to save them as ``.xlsx``.  For ``.xlsx`` the values cached by Excel are read, so
    formula cells show their last computed result (empty if the file was never opened
    in a spreadsheet program).
    """
    return _read(Path(path), sheet, tuple(text_columns))[0]


def read_panel(
    path: str | os.PathLike[str],
    *,
    entity: str,
    period: str,
    indicators: Sequence[str] | None = None,
    layout: str = "wide",
    sheet: str | int | None = None,
    missing: str = "error",
    fill_value: float | None = None,
    keep: Sequence[str] = (),
    indicator_col: str = "indicator",
    value_col: str = "value",
) -> Panel:
    """Read a file and validate it into a :class:`~nqpf.panel.Panel`.

    Parameters are those of :func:`read_table` and :meth:`nqpf.panel.Panel.from_frame`.
    The entity and ``keep`` columns are read as text (leading zeros of codes survive;
    labels are always strings).  Numbers stored as text are accepted when clean
    (``" 1,234.5 "``); any other text in an indicator column is an error naming its
    row, column and value.  Results of :meth:`Panel.frame` come back as pandas.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "demo.csv"
    >>> _ = f.write_text("省份,年份,研发投入\\n甲,2021,1\\n乙,2021,n/a?\\n", encoding="utf-8")
    >>> read_panel(f, entity="省份", period="年份", indicators=["研发投入"])
    Traceback (most recent call last):
    ...
    nqpf.exceptions.DataValidationError: demo.csv, row 3, column '研发投入': expected a number, got 'n/a?'
    """
    path = Path(path)
    text = (entity, *([keep] if isinstance(keep, str) else keep))
    df, first_row = _read(path, sheet, text)
    return Panel.from_frame(
        df,
        entity=entity,
        period=period,
        indicators=indicators,
        layout=layout,
        indicator_col=indicator_col,
        value_col=value_col,
        missing=missing,
        fill_value=fill_value,
        keep=keep,
        source=path.name,
        first_row=first_row,
    )


# ---------------------------------------------------------------------- readers
def _read(
    path: Path, sheet: str | int | None, text_columns: tuple[str, ...]
) -> tuple[pd.DataFrame, int]:
    """The table and the spreadsheet row number of its first data row."""
    if not path.exists():
        raise DataValidationError("file not found", file=str(path))
    if path.is_dir():
        raise DataValidationError("is a folder, expected a file", file=str(path))
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise DataValidationError(
            "legacy .xls files are not supported: open it in Excel or WPS and save it as .xlsx",
            file=path.name,
        )
    if suffix not in READ_SUFFIXES:
        raise DataValidationError(
            f"cannot read {path.suffix or 'files without a suffix'!r}; use one of "
            f"{list(READ_SUFFIXES)}",
            file=path.name,
        )
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise DataValidationError(
            "sheet applies only to Excel files", file=path.name, field="sheet"
        )
    if path.stat().st_size == 0:
        raise DataValidationError("the file is empty", file=path.name)
    if suffix == ".csv":
        return _read_csv(path, text_columns)
    if suffix == ".parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataValidationError(
                f"not a readable Parquet file ({exc})", file=path.name
            ) from None
        return _as_text(df, text_columns), 2
    return _read_xlsx(path, sheet, text_columns)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataValidationError("cannot decode the file: save it as UTF-8 CSV", file=path.name)


def _read_csv(path: Path, text_columns: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    text = _decode(path)
    # Find the header ourselves (the first line with content) to check its names before
    # pandas renames duplicates to "x.1" behind the user's back.
    skip = 0
    for record in csv.reader(io.StringIO(text)):
        if not _BLANK_LINE.fullmatch(",".join(record)):
            header = record
            break
        skip += 1
    else:
        raise DataValidationError("the file is empty", file=path.name)
    names = _column_names(header, path.name, skip + 1)
    raw_text = [raw for raw, name in zip(header, names, strict=True) if name in text_columns]
    try:
        # skip_blank_lines=False keeps blank rows, so row numbers match the spreadsheet.
        df = pd.read_csv(
            io.StringIO(text),
            skiprows=skip,
            skip_blank_lines=False,
            dtype=dict.fromkeys(raw_text, str) or None,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataValidationError(f"not a readable CSV file ({exc})", file=path.name) from None
    if len(df.columns) == len(names):
        df.columns = names
    return _drop_empty_unnamed(df), skip + 2


def _read_xlsx(
    path: Path, sheet: str | int | None, text_columns: tuple[str, ...]
) -> tuple[pd.DataFrame, int]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DataValidationError(f"not a readable .xlsx file ({exc})", file=path.name) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int) and 0 <= sheet < len(names):
            ws = wb.worksheets[sheet]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise DataValidationError(
                f"no sheet {sheet!r}; the sheets are {names}", file=path.name, field="sheet"
            )
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()  # read-only workbooks keep the file open until closed
    empty = [all(v is None or (isinstance(v, str) and not v.strip()) for v in r) for r in rows]
    start = next((i for i, e in enumerate(empty) if not e), None)
    if start is None:
        raise DataValidationError(f"sheet {ws.title!r} is empty", file=path.name)
    end = len(rows) - next(i for i, e in enumerate(reversed(empty)) if not e)
    body = rows[start + 1 : end]
    width = max(len(r) for r in rows[start:end])
    header = rows[start] + [None] * (width - len(rows[start]))
    names = _column_names(header, path.name, start + 1)
    columns = {n: [r[k] if k < len(r) else None for r in body] for k, n in enumerate(names)}
    df = pd.DataFrame(columns, columns=names)
    return _drop_empty_unnamed(_as_text(df, text_columns)), start + 2


def _column_names(header: list[Any], source: str, row: int) -> list[str]:
    """Stripped header names; blank ones become ``Unnamed: <column letter>``."""
    from openpyxl.utils import get_column_letter

    names = []
    for k, raw in enumerate(header):
        name = "" if raw is None else str(raw).strip()
        names.append(name or f"Unnamed: {get_column_letter(k + 1)}")
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if name in seen:
            raise DataValidationError(
                f"column name {name!r} appears twice (columns {get_column_letter(seen[name] + 1)}"
                f" and {get_column_letter(k + 1)})",
                file=source,
                row=row,
            )
        seen[name] = k
    return names


def _drop_empty_unnamed(df: pd.DataFrame) -> pd.DataFrame:
    empty = [c for c in df.columns if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    return df.drop(columns=empty) if empty else df


def _as_text(df: pd.DataFrame, text_columns: tuple[str, ...]) -> pd.DataFrame:
    """Cast ``text_columns`` to text, writing whole-number floats without ``.0``."""
    for c in text_columns:
        if c in df.columns and not pd.api.types.is_string_dtype(df[c]):
            col = df[c]
            df[c] = col.map(
                lambda v: (
                    v
                    if v is None or v != v or isinstance(v, str)
                    else str(int(v))
                    if isinstance(v, float) and v.is_integer()
                    else str(v)
                )
            ).astype("str")
    return df
