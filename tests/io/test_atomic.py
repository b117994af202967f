"""Tests for nqpf.io.atomic: all-or-nothing writes and table writers."""

from __future__ import annotations

import io
import os
import stat

import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from nqpf.exceptions import DataValidationError
from nqpf.io import atomic_write, read_table, sanitize_sheet_name, write_table, write_tables
from nqpf.io.atomic import _write_csv, _write_parquet, dump_table


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {"省份": ["北京", "上海", "广东"], "年份": [2020, 2020, 2021], "得分": [0.5, np.nan, 0.25]}
    )


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---------------------------------------------------------------- atomic_write
def test_text_and_binary_writes(tmp_path):
    with atomic_write(tmp_path / "a.txt") as f:
        f.write("新质生产力\n")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "新质生产力\n"
    with atomic_write(tmp_path / "b.bin", "wb") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert leftovers(tmp_path) == []


def test_exception_mid_write_leaves_no_file(tmp_path):
    target = tmp_path / "report.csv"
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as f:
        f.write("half a report")
        f.flush()
        assert leftovers(tmp_path)  # the data really is on disk, in the temp file
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_exception_mid_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("old, good", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as f:
        f.write("new, half")
        raise KeyboardInterrupt  # even a Ctrl-C must not leave a half-written file
    assert target.read_text(encoding="utf-8") == "old, good"
    assert leftovers(tmp_path) == []


def test_replacing_keeps_permissions_and_new_files_follow_umask(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("x")
    os.chmod(target, 0o640)
    with atomic_write(target) as f:
        f.write("y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    umask = os.umask(0)
    os.umask(umask)
    with atomic_write(tmp_path / "new.txt") as f:
        f.write("z")
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o666 & ~umask


def test_bad_mode_and_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="mode must be"), atomic_write(tmp_path / "a", "a"):
        pass
    with (
        pytest.raises(DataValidationError, match="folder to write into does not exist"),
        atomic_write(tmp_path / "no" / "a.txt"),
    ):
        pass


# ---------------------------------------------------------------- write_table(s)
def test_csv_is_utf8_with_bom_and_round_trips(tmp_path, table):
    out = write_table(table, tmp_path / "t.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    pd.testing.assert_frame_equal(read_table(out), table)


def test_xlsx_round_trip(tmp_path, table):
    out = write_table(table, tmp_path / "t.xlsx", sheet="结果")
    assert load_workbook(out).sheetnames == ["结果"]
    back = read_table(out)
    pd.testing.assert_frame_equal(back, table, check_dtype=False)


def test_parquet_round_trip_and_polars_input(tmp_path, table):
    out = write_table(pl.from_pandas(table), tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read_table(out), table)
    out = write_table(pl.from_pandas(table).lazy(), tmp_path / "t2.csv")
    pd.testing.assert_frame_equal(read_table(out), table)


def test_unknown_suffix(tmp_path, table):
    with pytest.raises(DataValidationError, match=r"cannot write '\.json'"):
        write_table(table, tmp_path / "t.json")
    with pytest.raises(DataValidationError, match=r"only be written to an \.xlsx"):
        write_tables({"a": table}, tmp_path / "t.csv")
    with pytest.raises(DataValidationError, match="no tables"):
        write_tables({}, tmp_path / "t.xlsx")


def test_several_sheets_with_sanitised_unique_names(tmp_path, table):
    long = "各省份新质生产力综合指数测度结果与排名及分解(2015-2022)"
    out = write_tables(
        {"熵值法: 权重": table, long: table, "Sheet/1": table, "sheet_1": table},
        tmp_path / "r.xlsx",
    )
    names = load_workbook(out).sheetnames
    assert names[0] == "熵值法_ 权重"
    assert names[1] == long[:31] and len(names[1]) == 31
    assert names[2:] == ["Sheet_1", "sheet_1~2"]  # Excel compares names case-insensitively
    for name in names:
        pd.testing.assert_frame_equal(read_table(out, sheet=name), table, check_dtype=False)


def test_sanitize_sheet_name():
    assert sanitize_sheet_name("'[a]'") == "_a_"
    assert sanitize_sheet_name("  ") == "Sheet"
    assert sanitize_sheet_name("x" * 31, {"x" * 31}) == "x" * 29 + "~2"


def test_formula_like_text_is_stored_as_text(tmp_path):
    out = write_tables({"s": pd.DataFrame({"名称": ["=1+1", "ok"]})}, tmp_path / "f.xlsx")
    cell = load_workbook(out)["s"]["A2"]
    assert cell.value == "=1+1" and cell.data_type == "s"


def test_failed_table_write_keeps_old_file(tmp_path, table):
    target = tmp_path / "t.parquet"
    write_table(table, target)
    before = target.read_bytes()
    bad = pd.DataFrame({"x": [object(), object()]})  # pyarrow cannot store arbitrary objects
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's own error type is incidental
        write_table(bad, target)
    assert target.read_bytes() == before
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- the CSV writer
def csv_text(frame: pd.DataFrame) -> str:
    buf = io.BytesIO()
    dump_table(frame, buf, "csv")
    raw = buf.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    return raw.decode("utf-8-sig")


def test_csv_text_matches_pandas_where_it_can():
    frame = pd.DataFrame(
        {
            "单位": ["甲", "乙", None],
            "x": [0.5, np.nan, 0.25],
            "n": [1, 2, 3],
            "whole": [1.0, 2.0, np.nan],
            "ok": [True, False, True],
            "cat": pd.Categorical(["a", "b", "a"]),
        }
    )
    assert csv_text(frame) == frame.to_csv(index=False, lineterminator="\n")


def test_csv_quotes_text_that_needs_it_and_reads_back():
    frame = pd.DataFrame({"名称": ["a,b", 'say "hi"', "two\nlines", "plain"], "v": [1.5] * 4})
    back = pd.read_csv(io.StringIO(csv_text(frame)))
    pd.testing.assert_frame_equal(back, frame)


def test_csv_falls_back_to_pandas_for_dates_and_mixed_objects():
    frame = pd.DataFrame(
        {"d": pd.to_datetime(["2024-01-01", "2024-02-01"]), "o": [[1, 2], {"k": 1}]}
    )
    assert csv_text(frame) == frame.to_csv(index=False, lineterminator="\n")
    mixed = pd.DataFrame({"o": [1.5, "x", None]})
    assert csv_text(mixed) == mixed.to_csv(index=False, lineterminator="\n")


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.integers(-(10**17), 10**17).map(float),
            st.floats(1e-9, 1e-3),
            st.floats(1e8, 1e18),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_csv_floats_are_pandas_bytes_and_read_back_exactly(values):
    frame = pd.DataFrame({"x": np.asarray(values, dtype=float), "k": range(len(values))})
    text = csv_text(frame)
    assert text == frame.to_csv(index=False, lineterminator="\n")  # Python's repr, as before
    back = pd.read_csv(io.StringIO(text))
    np.testing.assert_array_equal(back["x"].to_numpy(dtype=float), frame["x"].to_numpy())


def _mixed_frame():
    """Floats in every text form (whole, tiny, huge, missing), ints, bools, text with
    a comma only in the last rows, and a categorical column."""
    n = 11
    return pd.DataFrame(
        {
            "名称": ["a"] * (n - 1) + ["b, c"],
            "x": [0.1, 2.0, 3.6e-05, 27644845107.78, np.nan, 1e16, -0.5, 1 / 3, 7.0, 0.0, 5.5],
            "n": np.arange(n),
            "ok": [True, False] * 5 + [True],
            "障碍": pd.Categorical(["森林覆盖率 (f)", "环保 (e)"] * 5 + [None]),
        }
    )


@pytest.mark.parametrize("rows", [1, 2, 3, 100])
def test_writers_in_slices_write_what_they_write_whole(rows):
    frame = _mixed_frame()
    whole, sliced = io.BytesIO(), io.BytesIO()
    _write_csv(frame, whole, rows=len(frame))
    _write_csv(frame, sliced, rows=rows)
    assert sliced.getvalue() == whole.getvalue()
    whole_csv = whole.getvalue()
    # the comma in the last row quotes every text cell, whichever slice it is in
    assert '"b, c"' in whole.getvalue().decode("utf-8-sig")
    assert '"a"' in whole.getvalue().decode("utf-8-sig")
    whole, sliced = io.BytesIO(), io.BytesIO()
    _write_parquet(frame, whole, rows=len(frame))
    _write_parquet(frame, sliced, rows=rows)
    a, b = (pq.read_table(io.BytesIO(buf.getvalue())) for buf in (whole, sliced))
    assert b.equals(a, check_metadata=True)
    assert pq.ParquetFile(io.BytesIO(sliced.getvalue())).num_row_groups == -(-len(frame) // rows)
    back = pd.read_parquet(io.BytesIO(sliced.getvalue()))
    # text, as in the CSV, missing where the category is
    assert back["障碍"].iloc[:-1].tolist() == frame["障碍"].iloc[:-1].astype(str).tolist()
    assert back["障碍"].isna().tolist() == [False] * (len(frame) - 1) + [True]
    assert back["x"].equals(frame["x"])
    # the categorical column gives the file its text column gives
    as_text, buf = frame.astype({"障碍": "str"}), io.BytesIO()
    _write_parquet(as_text, buf, rows=rows)
    assert pq.read_table(io.BytesIO(buf.getvalue())).equals(b, check_metadata=True)
    buf = io.BytesIO()
    _write_csv(as_text, buf, rows=rows)
    assert buf.getvalue() == whole_csv
