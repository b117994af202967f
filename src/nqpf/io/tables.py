"""Read tables (CSV, XLSX, Parquet) from files and turn them into validated panels.

Row numbers in every message are the ones a spreadsheet shows: the header is row 1 and
blank rows count, so a user can go straight to the cell at fault in Excel or WPS.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.panel import Panel
from nqpf.panel.memory import releasable

__all__ = ["read_panel", "read_table"]

READ_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")
_BLANK_LINE = re.compile(r"[\s,;]*")


def read_table(
    path: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    sheet: str | int | None = None,
    text_columns: Sequence[str] | bool = (),
) -> pd.DataFrame:
    """Read a ``.csv``, ``.xlsx`` or ``.parquet`` file (or its bytes) into a DataFrame.

    Parameters
    ----------
    path
        The file, or its content as ``bytes`` (an upload) with ``name`` giving the file
        name.  The suffix chooses the reader.
    name
        The file name shown in messages; required with bytes, default the path's name.
    sheet
        Excel sheet name or 0-based position; None reads the first sheet.
    text_columns
        Columns kept as text, so codes such as ``000001`` keep their leading zeros;
        ``True`` keeps every column as text (empty cells stay missing).

    Returns
    -------
    pandas.DataFrame
        Row ``i`` (0-based) is spreadsheet row ``i + attrs["first_row"]``: ``i + 2`` when
        the header is on row 1, more when blank rows stand above it.
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
    they save "CSV (comma delimited)"; the separator is a comma unless the header line
    has none and uses ``;`` or a tab.  With ``text_columns=True`` only an empty cell is
    missing (``NA``, ``null`` are kept as text).  Legacy ``.xls`` files are refused with a request
    to save them as ``.xlsx``.  For ``.xlsx`` the values cached by Excel are read, so
    formula cells show their last computed result (empty if the file was never opened
    in a spreadsheet program).
    """
    frame, first_row = _read(_source(path, name), sheet, text_columns)
    frame.attrs["first_row"] = first_row
    return frame


def read_panel(
    path: str | os.PathLike[str] | bytes,
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
    name: str | None = None,
) -> Panel:
    """Read a file (or its bytes, with ``name``) and validate it into a
    :class:`~nqpf.panel.Panel`.

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
    source = _source(path, name)
    text = (entity, *([keep] if isinstance(keep, str) else keep))
    df, first_row = _read(source, sheet, text)
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
        source=source.name,
        first_row=first_row,
    )


# ---------------------------------------------------------------------- readers
class _Source:
    """A file's name (for messages and the suffix) and its bytes, read on demand."""

    def __init__(self, name: str, *, path: Path | None = None, data: bytes | None = None):
        self.name, self.path, self._data = name, path, data

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    def data(self) -> bytes:
        if self._data is None:
            assert self.path is not None
            self._data = self.path.read_bytes()
        return self._data


def _source(path: str | os.PathLike[str] | bytes, name: str | None) -> _Source:
    if isinstance(path, bytes | bytearray):
        if not name:
            raise TypeError("reading bytes needs name= (the file name, for its suffix)")
        return _Source(name, data=bytes(path))
    path = Path(path)
    if not path.exists():
        raise DataValidationError("file not found", file=str(path), zh="文件不存在")
    if path.is_dir():
        raise DataValidationError(
            "is a folder, expected a file", file=str(path), zh="是文件夹，应为文件"
        )
    return _Source(name or path.name, path=path)


def _read(
    source: _Source, sheet: str | int | None, text_columns: Sequence[str] | bool
) -> tuple[pd.DataFrame, int]:
    """The table and the spreadsheet row number of its first data row."""
    suffix = source.suffix
    if suffix == ".xls":
        raise DataValidationError(
            "legacy .xls files are not supported: open it in Excel or WPS and save it as .xlsx",
            file=source.name,
            zh="不支持旧版 .xls 文件：请用 Excel 或 WPS 打开后另存为 .xlsx",
        )
    if suffix not in READ_SUFFIXES:
        raise DataValidationError(
            f"cannot read {Path(source.name).suffix or 'files without a suffix'!r}; use one of "
            f"{list(READ_SUFFIXES)}",
            file=source.name,
            zh=f"无法读取该类型的文件，请使用 {'、'.join(READ_SUFFIXES)}",
        )
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise DataValidationError(
            "sheet applies only to Excel files",
            file=source.name,
            field="sheet",
            zh="只有 Excel 文件有工作表",
        )
    if not source.data():
        raise DataValidationError("the file is empty", file=source.name, zh="文件为空")
    if suffix == ".csv":
        return _read_csv(source, text_columns)
    if suffix == ".parquet":
        try:
            df = pd.read_parquet(io.BytesIO(source.data()))
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataValidationError(
                f"not a readable Parquet file ({exc})",
                file=source.name,
                zh="不是可读取的 Parquet 文件",
            ) from None
        return _as_text(df, text_columns), 2
    return _read_xlsx(source, sheet, text_columns)


def _decode(source: _Source) -> str:
    data = source.data()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text
    raise DataValidationError(
        "cannot decode the file: save it as UTF-8 CSV",
        file=source.name,
        zh="无法识别文件编码：请另存为 UTF-8 编码的 CSV",
    )


def _read_csv(source: _Source, text_columns: Sequence[str] | bool) -> tuple[pd.DataFrame, int]:
    head = _utf8_head(source)
    if head is not None:  # UTF-8: PyArrow reads the bytes; only the head is decoded here
        found = _header(head, source)
        if found is not None:
            skip, delimiter, header = found
            names, raw_text = _names(header, source, skip, text_columns)
            df = _read_csv_arrow(source, delimiter, skip, raw_text, text_columns)
            if df is not None:
                if len(df.columns) == len(names):
                    df.columns = names
                return _drop_empty_unnamed(df), skip + 2
    text = _decode(source)
    found = _header(text, source)
    if found is None:
        raise DataValidationError("the file is empty", file=source.name, zh="文件为空")
    skip, delimiter, header = found
    names, raw_text = _names(header, source, skip, text_columns)
    try:
        # skip_blank_lines=False keeps blank rows, so row numbers match the spreadsheet.
        df = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            skiprows=skip,
            skip_blank_lines=False,
            dtype=dict.fromkeys(raw_text, str) or None,
            # all text: only an empty cell is missing ("NA", "null" … are values)
            keep_default_na=text_columns is not True,
            na_values=[""] if text_columns is True else None,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataValidationError(
            f"not a readable CSV file ({exc})", file=source.name, zh="不是可读取的 CSV 文件"
        ) from None
    if len(df.columns) == len(names):
        df.columns = names
    return _drop_empty_unnamed(df), skip + 2


_HEAD_BYTES = 1 << 20


def _utf8_head(source: _Source) -> str | None:
    """The file's first lines (up to ~1 MiB) as text, when they are UTF-8; else None."""
    data = source.data()
    return _utf8_lines(data[:_HEAD_BYTES], whole=len(data) <= _HEAD_BYTES)


def _utf8_lines(head: bytes, *, whole: bool) -> str | None:
    """``head`` (the start of a file, or all of it when ``whole``) cut after its last
    whole line and decoded, when it is UTF-8; else None."""
    if not whole:
        cut = head.rfind(b"\n")
        if cut < 0:
            return None
        head = head[: cut + 1]
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _header(text: str, source: _Source) -> tuple[int, str, list[str]] | None:
    """Blank lines above the header, the separator and the header's cells; None if none.

    We find the header ourselves (the first line with content) to check its names
    before pandas renames duplicates to "x.1" behind the user's back.
    """
    delimiter = _delimiter(text)
    for skip, record in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter)):
        if not _BLANK_LINE.fullmatch(",".join(record)):
            return skip, delimiter, record
    return None


def _names(
    header: list[str], source: _Source, skip: int, text_columns: Sequence[str] | bool
) -> tuple[list[str], list[str]]:
    """Checked column names, and the header cells of the columns to keep as text."""
    names = _column_names(header, source.name, skip + 1)
    raw_text = [
        raw
        for raw, name in zip(header, names, strict=True)
        if text_columns is True or (text_columns and name in text_columns)
    ]
    return names, raw_text


def _read_csv_arrow(
    source: _Source,
    delimiter: str,
    skip: int,
    raw_text: list[str],
    text_columns: Sequence[str] | bool,
) -> pd.DataFrame | None:
    """The table as :func:`pandas.read_csv` reads it, read by PyArrow (multi-threaded).

    The same values, types and blank rows; None where the two could differ (blank lines
    above the header, a row with another number of cells, bytes that are not UTF-8), so
    that the caller reads the file with pandas and its messages.  Columns PyArrow would
    read as dates are read again as text, as pandas keeps them.
    """
    if skip:
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    raw = source.data()
    body = memoryview(raw)[3:] if raw.startswith(b"\xef\xbb\xbf") else memoryview(raw)
    everything = text_columns is True
    types = dict.fromkeys(raw_text, pa.string())
    for _attempt in range(2):
        try:
            table = _arrow_csv(
                pa.py_buffer(body),
                pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False),
                pacsv.ConvertOptions(
                    column_types=types,
                    null_values=[""] if everything else _PANDAS_NA,
                    strings_can_be_null=True,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None
        if everything:
            wrong = [f.name for f in table.schema if not pa.types.is_string(f.type)]
            if wrong:  # pragma: no cover - every column was asked for as text
                return None
        dates = [
            f.name
            for f in table.schema
            if pa.types.is_temporal(f.type) or pa.types.is_decimal(f.type)
        ]
        if not dates:
            break
        types.update(dict.fromkeys(dates, pa.string()))  # pandas keeps such text as text
    else:
        return None
    for f in table.schema:
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            return None  # not UTF-8 (GB18030 after an ASCII head): decoded by the caller
        # integers beyond int64: pandas keeps them exact (uint64, text)
        if pa.types.is_floating(f.type) and _beyond_int64(table[f.name]):
            return None
    # column by column, freeing the Arrow buffers as it goes (peak memory ~ one copy)
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    # Arrow's allocator keeps the parser's freed blocks for reuse; numpy cannot use them,
    # so they go back to the system (~200 MB less resident for a 150 MB file)
    pa.default_memory_pool().release_unused()
    return frame


#: Bytes of CSV that PyArrow's streaming reader parses at a time.  Its whole-file reader
#: holds about three times the file in parse buffers at its peak (~450 MB for a 150 MB
#: file); 32 MiB blocks hold ~1.6 times, for ~0.2 s more on 1e6 rows × 20 columns.
CSV_BLOCK_BYTES = 32 << 20


def _arrow_csv(buffer, parse_options, convert_options):
    """The CSV table, read ``CSV_BLOCK_BYTES`` at a time when the file is bigger.

    The streaming reader takes each column's type from the first block; where a later
    block does not fit it (integers, then a decimal), the file is read again whole, so
    the types are those the whole-file reader infers.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if buffer.size > CSV_BLOCK_BYTES:
        try:
            reader = pacsv.open_csv(
                buffer,
                read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                parse_options=parse_options,
                convert_options=convert_options,
            )
            return reader.read_all()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pa.default_memory_pool().release_unused()
    return pacsv.read_csv(buffer, parse_options=parse_options, convert_options=convert_options)


def read_csv_values(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    text_columns: Sequence[str],
    other_columns: Sequence[str],
    value_columns: Sequence[str],
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """A CSV file's id columns as a table and its value columns as one float64 matrix,
    streamed from disk: what :func:`read_table` gives of those columns, in less memory.

    The file is parsed ``CSV_STREAM_BYTES`` at a time and each piece's value columns are
    copied into one preallocated matrix (rows in file order), so neither the file's
    bytes nor a whole table of it is ever held: for a 150 MB panel of 1e6 rows the peak
    is the matrix and one piece (~50 MB), not the bytes, the table and the frame made of
    it.

    Parameters
    ----------
    path, name
        The file, and the name shown in messages (default the path's name).
    text_columns
        Id columns read as text (the entity, the carried ``keep`` columns).
    other_columns
        Id columns read with the type PyArrow infers (the period).
    value_columns
        The columns of the matrix, in its column order.

    Returns
    -------
    (pandas.DataFrame, numpy.ndarray) or None
        The id columns as :func:`read_table` types them (row ``i`` is spreadsheet row
        ``i + 2``) and the ``(rows, len(value_columns))`` matrix, NaN where a cell is
        empty or a missing marker.  None where :func:`read_table` could read the file
        otherwise or its message would differ — not UTF-8, blank lines above the header,
        a column absent, a value column with a cell that is no plain number (text,
        thousands separators, ``inf``, beyond ±2^63), an id column typed differently in
        two pieces or read as a date, a line break inside quotes, rows of another
        length — so that the caller reads it with :func:`read_table`; the header's
        names are checked as there (a name twice is an error).
    """
    import pyarrow as pa

    path = Path(path)
    source = _Source(name or path.name, path=path)
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES + 1)
        text = _utf8_lines(head[:_HEAD_BYTES], whole=len(head) <= _HEAD_BYTES)
        # an upper bound of the rows (quoted line breaks only add to it): the matrix's
        # pages beyond the rows read are never touched, so never resident
        capacity = head.count(b"\n") + 1
        while chunk := fh.read(16 << 20):
            capacity += chunk.count(b"\n")
    found = None if text is None else _header(text, source)
    if found is None or found[0] != 0:
        return None
    _, delimiter, header = found
    names, _ = _names(header, source, 0, ())
    raw = dict(zip(names, header, strict=True))
    ids = [*dict.fromkeys([*text_columns, *other_columns])]
    if any(c not in raw or c.startswith("Unnamed: ") for c in [*ids, *value_columns]):
        return None
    # in a memory map whose pages a run can give back once it has scored their rows
    X = releasable(capacity, len(value_columns))
    try:
        parts = _csv_pieces(path, header, delimiter, text_columns, value_columns, raw, ids)
        batches, r = [], 0
        for table in parts:
            k = table.num_rows
            for j, c in enumerate(value_columns):
                X[r : r + k, j] = table.column(raw[c]).to_numpy()
            batches.append(table.select([raw[c] for c in ids]))
            r += k
    except _NotAsRead:
        return None
    finally:
        pa.default_memory_pool().release_unused()
    types = {str(f.type) for t in batches[:1] for f in t.schema}
    if r == 0 or any({str(f.type) for f in t.schema} != types for t in batches):
        return None  # a column typed otherwise in one piece: the whole file decides
    table = pa.concat_tables(batches).rename_columns(ids)
    del batches
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    return frame, X[:r]  # the tail's pages were never touched, so never resident


#: Bytes of CSV that :func:`read_csv_values` parses at a time: the parser holds about
#: three times a piece; PyArrow's own streaming reader reads several 32 MiB blocks
#: ahead (~300 MB above the imports for a 150 MB file, against ~50 MB here).
CSV_STREAM_BYTES = 4 << 20


class _NotAsRead(Exception):
    """A piece of a CSV file that :func:`read_table` would read otherwise."""


def _csv_pieces(path, header, delimiter, text_columns, value_columns, raw, ids):
    """The tables of successive ``CSV_STREAM_BYTES`` of the file (whole lines), parsed
    with the whole-file reader's options; value columns as float64, checked."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = {raw[c]: pa.string() for c in text_columns}
    types.update({raw[c]: pa.float64() for c in value_columns})
    read_options = pacsv.ReadOptions(column_names=header, use_threads=False)
    parse_options = pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False)
    convert_options = pacsv.ConvertOptions(
        column_types=types,
        include_columns=[raw[c] for c in [*ids, *value_columns]],
        null_values=_PANDAS_NA,
        strings_can_be_null=True,
    )
    with open(path, "rb") as fh:
        if fh.readline().count(b'"') % 2:
            raise _NotAsRead  # a line break inside the header's quotes
        rest = b""
        while True:
            piece = fh.read(CSV_STREAM_BYTES)
            buf = rest + piece
            if not buf:
                return
            cut = buf.rfind(b"\n") + 1 if piece else len(buf)
            chunk, rest = buf[:cut], buf[cut:]
            del buf
            if not chunk:
                continue  # a line longer than a piece: read on
            if chunk.count(b'"') % 2:
                raise _NotAsRead  # the piece ends inside quotes
            try:
                table = pacsv.read_csv(
                    pa.py_buffer(chunk),
                    read_options=read_options,
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                raise _NotAsRead from None
            del chunk
            if any(_beyond_int64(table.column(raw[c])) for c in value_columns):
                raise _NotAsRead
            if any(_not_as_read(table.schema.field(raw[c]).type) for c in ids):
                raise _NotAsRead
            yield table


def _beyond_int64(column: Any) -> bool:
    """Whether a float column Arrow parsed holds a value of magnitude 2^63 or more (``inf``
    too), which pandas reads otherwise (ints beyond int64 kept exact, as uint64 or text):
    one pass, no |x| column."""
    import pyarrow.compute as pc

    bounds = pc.min_max(column)
    low, top = bounds["min"].as_py(), bounds["max"].as_py()
    return top is not None and max(-low, top) >= 2.0**63


def _not_as_read(kind: Any) -> bool:
    """An id column type :func:`read_table` reads otherwise (dates and decimals as text,
    bytes that are not UTF-8 through pandas)."""
    import pyarrow as pa

    return (
        pa.types.is_temporal(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


#: The cells :func:`pandas.read_csv` reads as missing by default.
_PANDAS_NA = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]  # fmt: skip


def _delimiter(text: str) -> str:
    """``,`` unless the header line has none and uses ``;`` or a tab instead (as Excel
    writes "CSV" where the comma is the decimal mark, and as tab-separated exports do)."""
    for line in _lines(text):
        if line.strip(" \t,;"):
            if "," not in line:
                for candidate in ("\t", ";"):
                    if candidate in line:
                        return candidate
            return ","
    return ","


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, one at a time (a big file is not split all at once)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end].rstrip("\r")
        start = end + 1


def _read_xlsx(
    source: _Source, sheet: str | int | None, text_columns: Sequence[str] | bool
) -> tuple[pd.DataFrame, int]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(source.data()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML, key and value errors
        raise _unreadable_xlsx(source, exc) from None
    try:
        ws = _sheet(wb, sheet, source)
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    except DataValidationError:
        raise
    except Exception as exc:  # a damaged workbook: a sheet missing, broken XML …
        raise _unreadable_xlsx(source, exc) from None
    finally:
        wb.close()  # read-only workbooks keep the file open until closed
    empty = [all(v is None or (isinstance(v, str) and not v.strip()) for v in r) for r in rows]
    start = next((i for i, e in enumerate(empty) if not e), None)
    if start is None:
        raise DataValidationError(
            f"sheet {ws.title!r} is empty", file=source.name, zh=f"工作表 {ws.title!r} 为空"
        )
    end = len(rows) - next(i for i, e in enumerate(reversed(empty)) if not e)
    body = rows[start + 1 : end]
    width = max(len(r) for r in rows[start:end])
    header = rows[start] + [None] * (width - len(rows[start]))
    names = _column_names(header, source.name, start + 1)
    columns = {n: [r[k] if k < len(r) else None for r in body] for k, n in enumerate(names)}
    df = pd.DataFrame(columns, columns=names)
    return _drop_empty_unnamed(_as_text(df, text_columns)), start + 2


def _sheet(wb: Any, sheet: str | int | None, source: _Source) -> Any:
    names = wb.sheetnames
    if sheet is None:
        return wb.worksheets[0]
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return wb.worksheets[sheet]
    if sheet in names:
        return wb[sheet]
    raise DataValidationError(
        f"no sheet {sheet!r}; the sheets are {names}",
        file=source.name,
        field="sheet",
        zh=f"没有工作表 {sheet!r}；现有工作表：{'、'.join(names)}",
    )


def _unreadable_xlsx(source: _Source, exc: Exception) -> DataValidationError:
    return DataValidationError(
        f"not a readable .xlsx file ({type(exc).__name__}: {exc})",
        file=source.name,
        zh="不是可读取的 .xlsx 文件（文件可能已损坏）：请用 Excel 或 WPS 打开后重新保存",
    )


def _column_names(header: list[Any], source: str, row: int) -> list[str]:
    """Stripped header names; blank ones become ``Unnamed: <column letter>``."""
    names = []
    for k, raw in enumerate(header):
        name = "" if raw is None else str(raw).strip()
        names.append(name or f"Unnamed: {_column_letter(k + 1)}")
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if name in seen:
            raise DataValidationError(
                f"column name {name!r} appears twice (columns {_column_letter(seen[name] + 1)}"
                f" and {_column_letter(k + 1)})",
                file=source,
                row=row,
                zh=f"列名 {name!r} 出现两次（第 {_column_letter(seen[name] + 1)} 列和第 "
                f"{_column_letter(k + 1)} 列）",
            )
        seen[name] = k
    return names


def _column_letter(k: int) -> str:
    """The spreadsheet letters of the ``k``-th column (1-based): A … Z, AA … (as
    ``openpyxl.utils.get_column_letter``, without importing openpyxl for a CSV file)."""
    letters = ""
    while k > 0:
        k, r = divmod(k - 1, 26)
        letters = chr(ord("A") + r) + letters
    return letters


def _drop_empty_unnamed(df: pd.DataFrame) -> pd.DataFrame:
    empty = [c for c in df.columns if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    return df.drop(columns=empty) if empty else df


def _as_text(df: pd.DataFrame, text_columns: Sequence[str] | bool) -> pd.DataFrame:
    """Cast ``text_columns`` (True: all) to text, writing whole-number floats without
    ``.0``; missing cells stay missing."""
    columns = list(df.columns) if text_columns is True else text_columns or ()
    for c in columns:
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
