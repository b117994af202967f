"""Tests for nqpf.io.tables: reading CSV/XLSX/Parquet and validating panels from files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from nqpf.exceptions import DataValidationError
from nqpf.io import read_panel, read_table
from nqpf.panel import Panel

CSV = "省份,年份,研发投入,专利\n北京,2020,1.5,10\n上海,2020,2.5,20\n北京,2021,3.5,30\n上海,2021,4.5,40\n"


def raises(match: str, fn, *args, **kw) -> DataValidationError:
    with pytest.raises(DataValidationError, match=match) as info:
        fn(*args, **kw)
    return info.value


def xlsx(path, sheets: dict[str, list[list]]):
    """Write cells row by row (None = empty cell) with openpyxl, as a user's file would be."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


ROWS = [
    ["省份", "年份", "研发投入", "专利"],
    ["北京", 2020, 1.5, 10],
    ["上海", 2020, 2.5, 20],
    ["北京", 2021, 3.5, 30],
    ["上海", 2021, 4.5, 40],
]


# ---------------------------------------------------------------- read_table
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(tmp_path, encoding):
    f = tmp_path / "d.csv"
    f.write_bytes(CSV.encode(encoding))
    df = read_table(f)
    assert list(df.columns) == ["省份", "年份", "研发投入", "专利"]
    assert df["省份"].tolist() == ["北京", "上海", "北京", "上海"]
    assert df["研发投入"].tolist() == [1.5, 2.5, 3.5, 4.5]


def test_xlsx_and_parquet_read_the_same_table(tmp_path):
    csv_df = read_table(_csv(tmp_path))
    xl = read_table(xlsx(tmp_path / "d.xlsx", {"数据": ROWS}))
    pd.testing.assert_frame_equal(xl, csv_df, check_dtype=False)
    csv_df.to_parquet(tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "d.parquet"), csv_df)


def test_xlsx_sheets(tmp_path):
    f = xlsx(tmp_path / "d.xlsx", {"说明": [["read me"]], "数据": ROWS})
    assert read_table(f, sheet="数据").shape == (4, 4)
    assert read_table(f, sheet=1).shape == (4, 4)
    assert list(read_table(f).columns) == ["read me"]  # first sheet by default
    err = raises(r"no sheet 'Data'; the sheets are \['说明', '数据'\]", read_table, f, sheet="Data")
    assert (err.file, err.field) == ("d.xlsx", "sheet")
    raises("sheet applies only to Excel", read_table, _csv(tmp_path), sheet="数据")


def test_missing_unknown_and_legacy_files(tmp_path):
    err = raises("file not found", read_table, tmp_path / "nope.csv")
    assert err.file == str(tmp_path / "nope.csv")
    (tmp_path / "d.json").write_text("{}")
    raises(r"cannot read '\.json'", read_table, tmp_path / "d.json")
    (tmp_path / "d.xls").write_bytes(b"\xd0\xcf")
    raises("save it as .xlsx", read_table, tmp_path / "d.xls")
    raises("is a folder", read_table, tmp_path)
    (tmp_path / "bad.xlsx").write_text("not a zip")
    raises("bad.xlsx: not a readable .xlsx file", read_table, tmp_path / "bad.xlsx")
    (tmp_path / "bad.parquet").write_text("nope")
    raises("not a readable Parquet file", read_table, tmp_path / "bad.parquet")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_csv(tmp_path, content):
    f = tmp_path / "empty.csv"
    f.write_bytes(content)
    err = raises("the file is empty", read_table, f)
    assert err.file == "empty.csv"


def test_header_only_csv_and_empty_sheet(tmp_path):
    f = tmp_path / "head.csv"
    f.write_text("省份,年份,x\n", encoding="utf-8")
    assert read_table(f).empty
    raises("head.csv: the table has no data rows", read_panel, f, entity="省份", period="年份")
    raises("sheet 'S' is empty", read_table, xlsx(tmp_path / "e.xlsx", {"S": []}))


def test_header_cleanup(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text(" 省份 ,年份 ,x,\n北京,2020,1,\n上海,2020,2,\n", encoding="utf-8")
    assert list(read_table(f).columns) == ["省份", "年份", "x"]  # stripped; empty column gone
    f.write_text("省份,x,年份,x \n北京,1,2020,2\n", encoding="utf-8")
    err = raises(r"column name 'x' appears twice \(columns B and D\)", read_table, f)
    assert err.row == 1
    g = xlsx(tmp_path / "d.xlsx", {"S": [["省份", "x", "x"], ["北京", 1, 2]]})
    raises("appears twice", read_table, g)


def test_text_columns_keep_leading_zeros(tmp_path):
    f = tmp_path / "firms.csv"
    f.write_text(
        "代码,年份,x\n000001,2020,1\n600000,2020,2\n000001,2021,3\n600000,2021,4\n",
        encoding="utf-8",
    )
    assert read_table(f)["代码"].tolist()[0] == 1
    assert read_table(f, text_columns=["代码"])["代码"].tolist()[0] == "000001"
    p = read_panel(f, entity="代码", period="年份")
    assert p.entity_labels.tolist() == ["000001", "600000"]
    g = xlsx(
        tmp_path / "firms.xlsx",
        {"S": [["代码", "年份", "x"], [1, 2020, 1.0], ["000002", 2020, 2.0]]},
    )
    assert read_panel(g, entity="代码", period="年份").entity_labels.tolist() == ["000002", "1"]


# ---------------------------------------------------------------- read_panel
def _csv(tmp_path, text: str = CSV, name: str = "d.csv", encoding: str = "utf-8"):
    f = tmp_path / name
    f.write_bytes(text.encode(encoding))
    return f


def test_read_panel_csv(tmp_path):
    p = read_panel(_csv(tmp_path), entity="省份", period="年份")
    assert isinstance(p, Panel)
    assert p.indicators == ("研发投入", "专利")
    assert p.entities.tolist() == ["上海", "北京", "上海", "北京"]
    assert p.values[:, 0].tolist() == [2.5, 1.5, 4.5, 3.5]
    assert isinstance(p.frame({"s": p.values[:, 0]}), pd.DataFrame)


def test_read_panel_xlsx_sheet_and_keep(tmp_path):
    rows = [[*r, "华北" if r[0] == "北京" else "华东"] for r in ROWS[1:]]
    f = xlsx(tmp_path / "d.xlsx", {"other": [["x"]], "数据": [[*ROWS[0], "地区"], *rows]})
    p = read_panel(
        f, entity="省份", period="年份", sheet="数据", keep=["地区"], indicators=["专利"]
    )
    assert p.indicators == ("专利",)
    assert p.extra["地区"].tolist() == ["华东", "华北", "华东", "华北"]


def test_non_numeric_cell_in_csv_names_row_as_a_spreadsheet_shows_it(tmp_path):
    text = CSV.replace("3.5", "缺失")
    err = raises(
        r"d\.csv, row 4, column '研发投入': expected a number, got '缺失'",
        read_panel,
        _csv(tmp_path, text),
        entity="省份",
        period="年份",
    )
    assert (err.file, err.row, err.column) == ("d.csv", 4, "研发投入")


def test_row_numbers_count_blank_lines_and_leading_blank_lines(tmp_path):
    lines = CSV.splitlines()
    text = (
        "\n".join(
            ["", ",,,", lines[0], lines[1], "", lines[2], lines[3].replace("30", "x"), lines[4]]
        )
        + "\n"
    )
    # spreadsheet rows: 1 blank, 2 blank, 3 header, 4, 5 blank, 6, 7 ← the bad cell
    err = raises(
        "got 'x'",
        read_panel,
        _csv(tmp_path, text),
        entity="省份",
        period="年份",
        indicators=["专利"],
    )
    assert err.row == 7


def test_non_numeric_cell_in_xlsx_with_header_lower_down(tmp_path):
    rows = [[None], [None, None], *[[None, *r] for r in ROWS]]
    rows[4][3] = "n.a."  # 上海 2020 研发投入, on sheet row 5
    rows.insert(5, [None])  # a blank row inside the data
    f = xlsx(tmp_path / "d.xlsx", {"S": rows})
    err = raises(
        r"d\.xlsx, row 5, column '研发投入': expected a number, got 'n\.a\.'",
        read_panel,
        f,
        entity="省份",
        period="年份",
    )
    assert err.row == 5
    rows[4][3] = 2.5
    rows[6][4] = "bad"  # 北京 2021 专利 on sheet row 7, after the blank row 6
    err = raises("got 'bad'", read_panel, xlsx(f, {"S": rows}), entity="省份", period="年份")
    assert err.row == 7


def test_numbers_stored_as_text_are_coerced(tmp_path):
    text = '省份,年份,产值\n北京,2020,"1,234.5"\n上海,2020, 12.5 \n北京,2021,3\n上海,2021,4\n'
    p = read_panel(_csv(tmp_path, text), entity="省份", period="年份")
    assert sorted(p.values[:, 0].tolist()) == [3.0, 4.0, 12.5, 1234.5]
    f = xlsx(
        tmp_path / "d.xlsx",
        {
            "S": [
                ["省份", "年份", "产值"],
                ["北京", 2020, "1,234"],
                ["上海", "2020", 5],
                ["北京", 2021, " 7 "],
                ["上海", 2021, 8.5],
            ]
        },
    )
    p = read_panel(f, entity="省份", period="年份")
    assert p.period_labels.tolist() == ["2020", "2021"]  # a year typed as text makes all text
    assert sorted(p.values[:, 0].tolist()) == [5.0, 7.0, 8.5, 1234.0]


def test_duplicate_rows_in_file(tmp_path):
    text = CSV + "上海,2021,9,9\n"
    err = raises(
        r"row 6: duplicate row for 省份='上海', 年份=2021; the same as row 5",
        read_panel,
        _csv(tmp_path, text),
        entity="省份",
        period="年份",
    )
    assert err.file == "d.csv"


def test_missing_column_and_too_few_entities(tmp_path):
    f = _csv(tmp_path)
    raises(
        r"d\.csv, column 'GDP': indicator columns \['GDP'\] not found; available: "
        r"\['省份', '年份', '研发投入', '专利'\]",
        read_panel,
        f,
        entity="省份",
        period="年份",
        indicators=["GDP"],
    )
    one = _csv(tmp_path, "省份,年份,x\n北京,2020,1\n北京,2021,2\n", name="one.csv")
    raises(
        "one.csv, column '省份': a panel needs at least 2 entities",
        read_panel,
        one,
        entity="省份",
        period="年份",
    )


def test_missing_values_policy_from_file(tmp_path):
    text = CSV.replace("3.5", "")
    raises(
        r"row 4, column '研发投入': missing value; 1 missing",
        read_panel,
        _csv(tmp_path, text),
        entity="省份",
        period="年份",
    )
    p = read_panel(_csv(tmp_path, text), entity="省份", period="年份", missing="interpolate")
    assert p.filled[["省份", "年份", "value", "how"]].values.tolist() == [
        ["北京", 2021, 1.5, "nearest"]
    ]
    p = read_panel(
        _csv(tmp_path, text), entity="省份", period="年份", missing="fill", fill_value=0.0
    )
    assert p.filled["value"].tolist() == [0.0]


def test_long_layout_from_file(tmp_path):
    long = read_panel(_csv(tmp_path), entity="省份", period="年份").to_long()
    long.to_csv(tmp_path / "long.csv", index=False)
    p = read_panel(tmp_path / "long.csv", entity="省份", period="年份", layout="long")
    q = read_panel(_csv(tmp_path), entity="省份", period="年份")
    np.testing.assert_array_equal(p.values, q.values)


def test_read_panel_from_bytes_counts_rows_like_the_file(tmp_path):
    data = "\n\n省份,年份,研发投入\n甲,2021,1\n乙,2021,n/a?\n".encode()
    (tmp_path / "p.csv").write_bytes(data)
    with pytest.raises(DataValidationError) as from_file:
        read_panel(tmp_path / "p.csv", entity="省份", period="年份", indicators=["研发投入"])
    with pytest.raises(DataValidationError) as from_bytes:
        read_panel(data, name="p.csv", entity="省份", period="年份", indicators=["研发投入"])
    assert from_bytes.value.row == from_file.value.row == 5
    assert str(from_bytes.value) == str(from_file.value)


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_files(sep):
    data = f"name{sep}value\n甲{sep}1,5\n".encode()
    frame = read_table(data, name="t.csv", text_columns=True)
    assert frame.columns.tolist() == ["name", "value"]
    assert frame["value"].tolist() == ["1,5"]


def test_all_text_keeps_na_words_and_reports_the_first_row():
    frame = read_table(b"\n\ncode,note\nNA,null\n,x\n", name="t.csv", text_columns=True)
    assert frame["code"].tolist()[0] == "NA" and frame["note"].tolist()[0] == "null"
    assert frame["code"].isna().tolist() == [False, True]
    assert frame.attrs["first_row"] == 4


def test_a_damaged_workbook_is_a_named_error():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types")
        z.writestr("xl/workbook.xml", "<broken")
    with pytest.raises(DataValidationError, match=r"not a readable \.xlsx") as info:
        read_table(buffer.getvalue(), name="坏.xlsx")
    assert info.value.file == "坏.xlsx" and "损坏" in info.value.reason_zh


# ---------------------------------------------------------------- the PyArrow CSV reader
# read_table reads CSV with PyArrow (multi-threaded) and falls back to pandas where the two
# could differ; each file here must give exactly the frame pandas' reader gives.
READER_CASES = {
    "numbers": "a,b,c\n1,2.5,-3e-05\n4,,1e308\n",
    "na tokens": "a,b\nNA,1\nnull,2\nN/A,\nx,3\n",
    "codes as text": "code,x\n000123,1\n,2\n",
    "blank lines kept": "a,b\n1,2\n\n3,4\n,\n",
    "dates stay text": "d,x\n2023-01-01,1\n2023-12-31,2\n",
    "timestamps stay text": "d,x\n2023-01-01 10:00:00,1\n2023-01-02 11:00:00,2\n",
    "booleans": "a,b\nTrue,1\nFalse,2\n",
    "quoted": 'a,b\n"x, y",1\n"say ""hi""",2\n',
    "chinese": "省份,年份,值\n北京,2020,1.5\n上海,2021,\n",
    "thousands as text": 'a,b\n"1,234.5",1\n2,2\n',
    "unnamed empty column": "a,b,\n1,2,\n3,4,\n",
    "semicolons": "a;b\n1;2\n3;4\n",
    "big ints": "a,b\n12345678901234567890,1\n1,2\n",
    "inf": "a,b\ninf,1\n-inf,2\n",
}


def _pandas_reader(monkeypatch):
    from nqpf.io import tables

    monkeypatch.setattr(tables, "_read_csv_arrow", lambda *a, **k: None)


@pytest.mark.parametrize("text_columns", [(), ("code", "a"), True])
@pytest.mark.parametrize("case", list(READER_CASES))
def test_arrow_reader_gives_the_pandas_frame(tmp_path, monkeypatch, case, text_columns):
    path = tmp_path / "d.csv"
    path.write_text(READER_CASES[case], encoding="utf-8")
    fast = read_table(path, text_columns=text_columns)
    _pandas_reader(monkeypatch)
    slow = read_table(path, text_columns=text_columns)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast.attrs == slow.attrs


def test_arrow_reader_falls_back_on_ragged_rows_and_gb18030(tmp_path):
    ragged = tmp_path / "r.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    raises("not a readable CSV file", read_table, ragged)  # pandas' message, as before
    gbk = tmp_path / "g.csv"
    # GB18030 after a first MiB of ASCII: PyArrow refuses the bytes, pandas reads them
    gbk.write_bytes(("x,y\n" + "1,a\n" * 300_000 + "2,甲\n").encode("gb18030"))
    assert read_table(gbk)["y"].iloc[-1] == "甲"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=30
    )
)
def test_arrow_reader_parses_round_trip_floats_exactly(values):
    data = ("x\n" + "".join(f"{v!r}\n" for v in values)).encode()
    got = read_table(data, name="f.csv")["x"].to_numpy(dtype=float)
    np.testing.assert_array_equal(got, np.asarray(values, dtype=float))


# ------------------------------------------------ the streamed reader (read_csv_values)
STREAM_CASES = {
    "plain": "id,t,a,b\nx,2020,1,2.5\ny,2020,3,-4e-05\n",
    "byte-order mark": "\ufeffid,t,a,b\nx,2020,1,2\ny,2021,3,4\n",
    "missing markers and blank line": "id,t,a,b\nx,2020,NA,2\n\ny,2020,3,\nz,2021,null,1\n",
    "crlf": "id,t,a,b\r\nx,2020,1,2\r\ny,2021,3,4\r\n",
    "text periods and codes": "id,t,a,b\n007,2020年,1,2\n010,2021年,3,4\n",
    "quoted ids, spaces in header": 'id , t,a,b\n"x, y",2020,1,2\n"z",2020,3,4\n',
    "no final newline": "id,t,a,b\nx,2020,1,2\ny,2021,3,4",
    "line break in quotes": 'id,t,a,b\n"x\ny",2020,1,2\nz,2020,3,4\n',
}


@pytest.mark.parametrize("piece", [1 << 20, 24])  # one piece, or a few lines per piece
@pytest.mark.parametrize("case", list(STREAM_CASES))
def test_streamed_reader_gives_what_read_table_gives(tmp_path, monkeypatch, case, piece):
    from nqpf.io import tables

    monkeypatch.setattr(tables, "CSV_STREAM_BYTES", piece)
    path = tmp_path / "d.csv"
    path.write_text(STREAM_CASES[case], encoding="utf-8")
    got = tables.read_csv_values(
        path, text_columns=["id"], other_columns=["t"], value_columns=["b", "a"]
    )
    assert got is not None
    ids, X = got
    want = read_table(path, text_columns=["id"])
    pd.testing.assert_frame_equal(ids, want[["id", "t"]], check_exact=True)
    assert X.dtype == np.float64 and X.flags.c_contiguous and X.flags.writeable
    np.testing.assert_array_equal(X, want[["b", "a"]].to_numpy(dtype=float))


STREAM_REFUSED = {
    "thousands separators": 'id,t,a\nx,2020,"1,234"\ny,2020,2\n',
    "text in a value column": "id,t,a\nx,2020,n/a?\ny,2020,2\n",
    "inf": "id,t,a\nx,2020,inf\ny,2020,2\n",
    "beyond 2^63": "id,t,a\nx,2020,1e19\ny,2020,2\n",
    "a column absent": "id,t,b\nx,2020,1\n",
    "blank line above the header": "\nid,t,a\nx,2020,1\n",
    "ragged row": "id,t,a\nx,2020,1\ny,2020,2,3\n",
    "dates as periods": "id,t,a\nx,2020-01-01,1\ny,2020-01-02,2\n",
    "period typed otherwise in a later piece": "id,t,a\nx,2020,1\ny,2020,2\nz,2020年,3\n",
}


@pytest.mark.parametrize("case", list(STREAM_REFUSED))
def test_streamed_reader_leaves_other_files_to_read_table(tmp_path, monkeypatch, case):
    from nqpf.io import tables

    monkeypatch.setattr(tables, "CSV_STREAM_BYTES", 20)
    path = tmp_path / "d.csv"
    path.write_text(STREAM_REFUSED[case], encoding="utf-8")
    got = tables.read_csv_values(
        path, text_columns=["id"], other_columns=["t"], value_columns=["a"]
    )
    assert got is None


def test_streamed_reader_leaves_a_piece_ending_inside_quotes_to_read_table(tmp_path, monkeypatch):
    from nqpf.io import tables

    monkeypatch.setattr(tables, "CSV_STREAM_BYTES", 3)  # '"x\n' ends inside the quotes
    path = tmp_path / "d.csv"
    path.write_text('id,t,a\n"x\ny",2020,1\nz,2020,2\n', encoding="utf-8")
    assert tables.read_csv_values(path, text_columns=["id"], other_columns=["t"],
                                  value_columns=["a"]) is None  # fmt: skip


def test_streamed_reader_checks_the_header_as_read_table(tmp_path):
    from nqpf.io.tables import read_csv_values

    path = tmp_path / "d.csv"
    path.write_text("id,t,a,a \nx,2020,1,2\n", encoding="utf-8")
    raises("column name 'a' appears twice", read_csv_values, path, text_columns=["id"],
           other_columns=["t"], value_columns=["a"])  # fmt: skip


def test_column_letters_are_the_spreadsheet_ones():
    from openpyxl.utils import get_column_letter

    from nqpf.io.tables import _column_letter

    for k in [*range(1, 800), 16_384]:  # A … ADT, and XFD (the last column of Excel)
        assert _column_letter(k) == get_column_letter(k)
