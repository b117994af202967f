"""Write files all-or-nothing, and write tables as CSV, XLSX or Parquet.

Every output goes to a temporary file beside the target and is moved over it with
:func:`os.replace` only when writing finished, so a crash, a full disk or an exception in
the middle never leaves a half-written report where the user expects a good one, and an
older file of the same name survives intact.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import math
import os
import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import narwhals as nw
import numpy as np
import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.panel.memory import release_freed_memory

__all__ = [
    "atomic_write",
    "dump_table",
    "sanitize_sheet_name",
    "write_table",
    "write_tables",
    "xlsx_bytes",
]

TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "w",
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` and move it over ``path`` on success.

    Parameters
    ----------
    path
        Target file.  Its folder must exist.
    mode
        ``"w"`` (text) or ``"wb"`` (binary).
    encoding, newline
        As for :func:`open`, text mode only.

    Yields
    ------
    file object
        Write to it inside the ``with`` block.

    Notes
    -----
    On any exception inside the block the temporary file is deleted and the exception
    propagates; ``path`` is then untouched (absent, or the previous version).  The data
    is flushed to disk before the rename, so a power cut leaves the old or the new file,
    never a truncated one.  A new file gets the usual permissions (0666 less the umask),
    a replaced file keeps its own.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target) as f:
    ...     _ = f.write("完成")
    >>> target.read_text(encoding="utf-8")
    '完成'
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    if not path.parent.is_dir():
        raise DataValidationError("the folder to write into does not exist", file=str(path.parent))
    # Same folder, so os.replace is a rename on one file system (atomic), never a copy.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    # os.open with 0o666 lets the umask decide permissions, unlike mkstemp's fixed 0600.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        if mode == "w":
            f = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        else:
            f = os.fdopen(fd, "wb")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            with contextlib.suppress(OSError):  # best effort: some file systems refuse chmod
                os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def sanitize_sheet_name(name: str, taken: set[str] | None = None) -> str:
    """Make ``name`` a valid, unique Excel sheet name.

    Excel forbids ``[ ] : * ? / \\``, a leading or trailing apostrophe, blank names and
    more than 31 characters, and compares names case-insensitively.  Forbidden characters
    become ``_``; a clash with a name in ``taken`` (lower-cased names) gets ``~2``, ``~3``….

    Examples
    --------
    >>> sanitize_sheet_name("结果: 2015/2020 [熵值法]")
    '结果_ 2015_2020 _熵值法_'
    >>> sanitize_sheet_name("a" * 40)
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
    """
    base = _SHEET_FORBIDDEN.sub("_", str(name)).strip().strip("'")[:31].strip() or "Sheet"
    taken = set() if taken is None else taken
    candidate, k = base, 1
    while candidate.lower() in taken:
        k += 1
        suffix = f"~{k}"
        candidate = base[: 31 - len(suffix)] + suffix
    return candidate


def write_table(df: Any, path: str | os.PathLike[str], *, sheet: str = "Sheet1") -> Path:
    """Write one table to ``.csv``, ``.xlsx`` or ``.parquet``, atomically.

    Parameters
    ----------
    df
        pandas DataFrame, or any table narwhals reads (Polars, PyArrow, DuckDB).
    path
        Target file; the suffix chooses the format.
    sheet
        Sheet name for ``.xlsx`` (sanitised, see :func:`sanitize_sheet_name`).

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    CSV is written as UTF-8 with a byte-order mark (``utf-8-sig``) so that Excel and WPS
    open Chinese text correctly on double-click; the row index is never written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_tables({sheet: df}, path)
    if suffix not in (".csv", ".parquet"):
        raise DataValidationError(
            f"cannot write {path.suffix or 'files without a suffix'!r}; use one of "
            f"{list(TABLE_SUFFIXES)}",
            file=path.name,
        )
    with atomic_write(path, "wb") as f:
        dump_table(df, f, suffix[1:])
    return path


def dump_table(df: Any, stream: IO[bytes], fmt: str, *, sheet: str = "Sheet1") -> None:
    r"""Write one table as ``fmt`` (``"csv"``, ``"parquet"`` or ``"xlsx"``) into a binary stream.

    The bytes are those :func:`write_table` puts in a file of that suffix.  CSV is UTF-8
    with a byte-order mark and ``\n`` line ends, written by PyArrow's CSV writer (see
    Notes); the row index is never written.

    Notes
    -----
    Floats are written as Python's ``repr`` writes them — the shortest text that reads
    back as the same number (``0.1``, ``2.0``, ``1e-05``, ``1e+16``) — so the file has the
    bytes pandas' CSV writer gave; missing values are empty cells, ``True``/``False`` as
    pandas writes them.  Text is quoted only where needed (a separator, quote or line
    break inside); when some text of the table needs quotes, PyArrow quotes every text
    cell (same values, other bytes).  Columns PyArrow cannot write (dates, mixed
    objects) and one-column tables are written by pandas.

    >>> import io, pandas as pd
    >>> buf = io.BytesIO()
    >>> dump_table(pd.DataFrame({"名称": ["a", "c"], "x": [0.1, None], "n": [1.0, 2.0]}), buf, "csv")
    >>> buf.getvalue().decode("utf-8-sig")
    '名称,x,n\na,0.1,1.0\nc,,2.0\n'
    """
    if fmt == "xlsx":
        _write_xlsx({sheet: df}, stream)
        return
    frame = _to_pandas(df)
    if fmt == "csv":
        _write_csv(frame, stream)
    elif fmt == "parquet":
        _write_parquet(frame, stream)
    else:
        raise DataValidationError(f"cannot write format {fmt!r}; use csv, parquet or xlsx")
    if len(frame) > WRITE_ROWS:
        # The slices' text and Arrow buffers stay with the allocators (per writer thread)
        # unless given back: ~60 MB over the tables of a 1e6-row run otherwise.
        release_freed_memory()


#: Rows the CSV and Parquet writers convert and write at a time, so that a 1e6-row table
#: is never held whole as text (CSV) or as an Arrow table (Parquet) beside the frame.
#: Writing a 1e6-row run (two threads) rose ~90 MB above its tables at 65,536 rows,
#: ~70 MB at 16,384 (for ~0.5 s more CPU; Parquet's writer holds ~30 MB of its own).
WRITE_ROWS = 16_384


def _row_slices(frame: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    """``frame`` as consecutive slices of at most ``rows`` rows (views, no copies)."""
    return [frame.iloc[a : a + rows] for a in range(0, len(frame), rows)] or [frame]


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with categorical columns as the text they hold (as CSV writes them)."""
    coded = [c for c, t in frame.dtypes.items() if isinstance(t, pd.CategoricalDtype)]
    if not coded:
        return frame
    out = frame.copy(deep=False)
    for c in coded:
        text = _category_text(frame[c])
        if text is None:
            out[c] = frame[c].astype("str")
        else:
            out[c] = pd.Series(text.to_pandas().array, index=frame.index, name=c)
    return out


def _category_text(col: pd.Series) -> Any:
    """The Arrow text array of a categorical column of text, by one take from its
    categories (a tenth of the time of converting each cell); None for other categories."""
    import pyarrow as pa
    import pyarrow.compute as pc

    categories = _arrow_categories(col.cat.categories)
    if not pa_is_text(categories.type):
        return None
    codes = col.cat.codes.to_numpy()
    return pc.take(categories, pa.array(codes, mask=codes < 0))


#: The Arrow arrays of the last categories written (by the categories' identity, with the
#: categories kept so the identity stays theirs): every slice of a column shares them,
#: and converting 50,000 unit labels for each of a table's 62 slices took ~1 s a table.
_ARROW_CATEGORIES: dict[int, tuple[pd.Index, Any]] = {}
_CATEGORIES_LOCK = threading.Lock()


def _arrow_categories(categories: pd.Index) -> Any:
    import pyarrow as pa

    with _CATEGORIES_LOCK:  # the writer threads share it
        found = _ARROW_CATEGORIES.get(id(categories))
        if found is not None and found[0] is categories:
            return found[1]
        arr = pa.array(categories.to_numpy(dtype=object), from_pandas=True)
        if len(_ARROW_CATEGORIES) >= 8:  # a few columns at a time: the oldest go
            _ARROW_CATEGORIES.pop(next(iter(_ARROW_CATEGORIES)))
        _ARROW_CATEGORIES[id(categories)] = (categories, arr)
        return arr


def _write_parquet(frame: pd.DataFrame, stream: IO[bytes], rows: int = WRITE_ROWS) -> None:
    """Parquet as :meth:`pandas.DataFrame.to_parquet` writes it (same schema and pandas
    metadata, so it reads back the same), with dictionary encoding only for columns that
    are not floats: trying it on float columns, where it seldom pays, doubles the time.

    Categorical columns are written as their text.  A table whose column types do not
    depend on its values (no ``object`` columns) is converted and written ``rows`` rows
    at a time, one row group each.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    typed = not any(pd.api.types.is_object_dtype(t) for t in frame.dtypes)
    writer = None
    for part in _row_slices(frame, rows) if typed else [frame]:
        # one thread: the writers already run side by side, and a pool of converting
        # threads each kept its own freed blocks (~20 MiB more resident per table)
        table = pa.Table.from_pandas(_as_text(part), preserve_index=False, nthreads=1)
        if writer is None:
            coded = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
            writer = pq.ParquetWriter(stream, table.schema, use_dictionary=coded or False)
        writer.write_table(table)
    writer.close()


def _write_csv(frame: pd.DataFrame, stream: IO[bytes], rows: int = WRITE_ROWS) -> None:
    """UTF-8-with-BOM CSV of ``frame``: the header by :mod:`csv`, the body by PyArrow,
    converted and written ``rows`` rows at a time (the same bytes as all at once)."""
    import csv

    import pyarrow.csv as pacsv

    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow([str(c) for c in frame.columns])
    slices = _row_slices(frame, rows)
    # One column: pandas writes a missing cell as "" (an empty line would be skipped).
    first = _arrow_for_csv(slices[0]) if frame.shape[1] > 1 else None
    if first is None:  # a column PyArrow cannot write as pandas would
        text = frame.to_csv(index=False, lineterminator="\n")
        stream.write(text.encode("utf-8-sig"))
        return
    stream.write(("\ufeff" + head.getvalue()).encode("utf-8"))
    if not frame.shape[0]:
        return
    # Quote nothing, as pandas, unless some text holds a separator, quote or line break;
    # then PyArrow quotes every text cell (still valid CSV, same values), and a float
    # column of which some cell is written as text is text in every slice.
    text_floats: frozenset[int] = frozenset()
    style = "none"
    if _needs_quotes(frame, slices, first):
        style = "needed"
        if len(slices) > 1:
            text_floats = frozenset(
                k
                for k, dtype in enumerate(frame.dtypes)
                if getattr(dtype, "kind", "") == "f"
                and any(m.any() for m in _float_text(_floats(frame.iloc[:, k])))
            )
            first = _arrow_for_csv(slices[0], text_floats)
    options = pacsv.WriteOptions(include_header=False, quoting_style=style)
    for k, part in enumerate(slices):
        table = first if k == 0 else _arrow_for_csv(part, text_floats)
        pacsv.write_csv(table, stream, options)


def _needs_quotes(frame: pd.DataFrame, slices: list[pd.DataFrame], first: Any) -> bool:
    """Whether a text cell of ``frame`` holds a separator, quote or line break (``first``
    is the CSV table of the first slice; the text columns of the others are converted)."""
    import pyarrow.compute as pc

    special = '[,"\r\n]'
    for k, col in enumerate(first.columns):
        dtype = frame.dtypes.iloc[k]
        if not pa_is_text(col.type) or getattr(dtype, "kind", "") == "f":
            continue  # numbers, also as text, hold none of those
        if isinstance(dtype, pd.CategoricalDtype):  # the categories are the cells' text
            cells = _arrow_column(pd.Series(dtype.categories))
            if cells is not None and pc.any(pc.match_substring_regex(cells, special)).as_py():
                return True
            continue
        for j, part in enumerate(slices):
            cells = first.column(k) if j == 0 else _arrow_column(part.iloc[:, k])
            if pc.any(pc.match_substring_regex(cells, special)).as_py():
                return True
    return False


def _floats(col: pd.Series) -> np.ndarray:
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def _float_text(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells of ``values`` whose Arrow text differs from Python's: whole numbers, and
    the magnitudes Python writes in exponent form (see :func:`_python_floats`)."""
    magnitude = np.abs(values)
    finite = np.isfinite(values)
    whole = finite & (values == np.trunc(values)) & (magnitude < 1e9)
    other = finite & (((magnitude < 1e-4) & (magnitude > 0)) | (magnitude >= 1e9))
    return whole, other


def _python_floats(arr: Any, values: np.ndarray, as_text: bool | None = None) -> Any:
    """Floats as Python's ``repr`` writes them (pandas' CSV text), from Arrow's formatting.

    Arrow and Python both write the shortest digits that read back exactly; they differ
    in form only for whole numbers (Arrow ``29``, Python ``29.0``), below 1e-4 (Arrow
    ``0.000036``, Python ``3.6e-05``) and from about 1e10 (Arrow ``2.76e+10``, Python
    ``27644845107.78``).  Those cells get Python's text, the others keep Arrow's fast one.
    The column becomes text where some cell needs it, or where ``as_text`` says that a
    cell of the whole column does (so that slices of a column are quoted alike).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    whole, other = _float_text(values)
    if not (as_text or whole.any() or other.any()):
        return arr
    text = pc.cast(arr, pa.string())
    if whole.any():
        text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
    if other.any():
        cells = values[other]
        text = pc.replace_with_mask(
            text, pa.array(other), pa.array([repr(float(v)) for v in cells], pa.string())
        )
    return text


def pa_is_text(dtype: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype)


def _arrow_for_csv(frame: pd.DataFrame, text_floats: frozenset[int] = frozenset()) -> Any:
    """The columns of ``frame`` as a PyArrow table whose CSV text matches pandas' values;
    None when a column has a type only pandas writes as pandas would.  Float columns at
    the positions ``text_floats`` are written as text (see :func:`_python_floats`)."""
    import pyarrow as pa

    columns = []
    for k in range(frame.shape[1]):
        arr = _arrow_column(frame.iloc[:, k], k in text_floats)
        if arr is None:
            return None
        columns.append(arr)
    return pa.table(columns, names=[f"c{k}" for k in range(len(columns))])


def _arrow_column(col: pd.Series, text_floats: bool = False) -> Any:
    """One column as the PyArrow array of its CSV text (None for dates, durations …)."""
    import pyarrow as pa

    dtype = col.dtype
    kind = getattr(dtype, "kind", "O")
    if isinstance(dtype, pd.CategoricalDtype):
        text = _category_text(col)
        if text is not None:
            return text
        col, kind = col.astype(object), "O"
    if kind == "f":
        values = _floats(col)
        return _python_floats(pa.array(values, from_pandas=True), values, text_floats)
    if kind in "iu":
        return pa.array(col, from_pandas=True)
    if kind == "b" or str(dtype) == "boolean":
        values = col.to_numpy(dtype=object)
        return pa.array(
            [None if _is_missing(v) else ("True" if v else "False") for v in values],
            type=pa.string(),
        )
    if pd.api.types.is_string_dtype(dtype) or kind == "O":
        try:
            arr = pa.array(col, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = None
        if arr is not None and pa_is_text(arr.type):
            return arr
        if arr is not None and pa.types.is_null(arr.type):
            return pa.nulls(len(col), pa.string())
        # numbers, lists … in a text column: their str(), as pandas writes
        values = col.to_numpy(dtype=object)
        return pa.array([None if _is_missing(v) else str(v) for v in values], type=pa.string())
    return None  # dates, durations, periods, complex …: pandas' own text


def write_tables(tables: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write several tables as the sheets of one ``.xlsx`` workbook, atomically.

    Parameters
    ----------
    tables
        Sheet name → table, in sheet order (see :func:`xlsx_bytes` for the layout).
    path
        Target ``.xlsx`` file.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise DataValidationError(
            "several tables can only be written to an .xlsx workbook", file=path.name
        )
    if not tables:
        raise DataValidationError("no tables to write", file=path.name)
    with atomic_write(path, "wb") as f:
        _write_xlsx(tables, f)
    return path


def xlsx_bytes(tables: Mapping[str, Any]) -> bytes:
    """Several tables as the sheets of one ``.xlsx`` workbook, in memory (for downloads).

    Parameters
    ----------
    tables
        Sheet name → table (pandas, Polars, PyArrow …), in sheet order.  Names are
        sanitised and made unique (see :func:`sanitize_sheet_name`).

    Notes
    -----
    The header row is bold and frozen, and columns are as wide as their first rows'
    text.  Every text cell is stored as text, never as a formula, so a label such as
    ``=SUM(A1)`` from user data cannot run in Excel or WPS.  Missing values become empty
    cells; a cell holding several values (a list) is written as their text.

    >>> import pandas as pd
    >>> xlsx_bytes({"结果": pd.DataFrame({"a": [1]})})[:2]
    b'PK'
    """
    if not tables:
        raise DataValidationError("no tables to write")
    buffer = io.BytesIO()
    _write_xlsx(tables, buffer)
    return buffer.getvalue()


_WIDTH_ROWS = 1000  # rows looked at to size a column


def _write_xlsx(tables: Mapping[str, Any], stream: IO[bytes]) -> None:
    """Write the workbook with XlsxWriter in constant-memory mode (rows are streamed to a
    temporary file, so memory stays flat for big tables).

    Cells are written by type, never through XlsxWriter's guessing ``write()``: text is a
    string cell even when it starts with ``=`` (no formula runs in Excel or WPS), numbers
    are numbers, missing values are empty.
    """
    import xlsxwriter

    wb = xlsxwriter.Workbook(stream, {"constant_memory": True, "remove_timezone": True})
    bold = wb.add_format({"bold": True})
    formats = {
        "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
    }
    taken: set[str] = set()
    for name, table in tables.items():
        title = sanitize_sheet_name(name, taken)
        taken.add(title.lower())
        ws = wb.add_worksheet(title)
        ws.freeze_panes(1, 0)
        frame = _to_pandas(table)
        head = frame.head(_WIDTH_ROWS).astype(object)
        for k, column in enumerate(frame.columns):
            text = [str(column), *(str(v) for v in head.iloc[:, k] if not _is_missing(v))]
            width = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in t) for t in text)
            ws.set_column(k, k, min(60, max(8, width + 2)))
        for k, column in enumerate(frame.columns):
            ws.write_string(0, k, str(column), bold)
        for r, row in enumerate(frame.astype(object).itertuples(index=False, name=None), 1):
            for k, value in enumerate(row):
                _write_cell(ws, r, k, value, formats)
    wb.close()


def _write_cell(ws: Any, r: int, k: int, value: Any, formats: Mapping[str, Any]) -> None:
    kind = type(value)
    if kind is str:
        ws.write_string(r, k, value)
    elif kind is int or kind is float:
        if math.isfinite(value):
            ws.write_number(r, k, value)
        elif not math.isnan(value):
            ws.write_string(r, k, str(value))  # ±inf: Excel has no such number
    elif value is None or _is_missing(value):
        return
    elif kind is bool or isinstance(value, np.bool_):
        ws.write_boolean(r, k, bool(value))
    elif isinstance(value, np.integer | np.floating):
        _write_cell(ws, r, k, value.item(), formats)
    elif isinstance(value, datetime.datetime):
        ws.write_datetime(r, k, value, formats["datetime"])
    elif isinstance(value, datetime.date):
        ws.write_datetime(r, k, value, formats["date"])
    elif isinstance(value, tuple | list | set | dict | np.ndarray):
        # A cell holds one value: several (e.g. the peak locations of a density) are
        # written as their text, as they would show in CSV.
        ws.write_string(r, k, str(list(value) if isinstance(value, np.ndarray) else value))
    else:
        ws.write_string(r, k, str(value))


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _to_pandas(df: Any) -> pd.DataFrame:
    if isinstance(df, pd.DataFrame):
        return df
    frame = nw.from_native(df)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()
