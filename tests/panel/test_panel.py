"""Tests for nqpf.panel.Panel: construction, validation, missing values, output kinds."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from nqpf.exceptions import DataValidationError
from nqpf.panel import Panel

ENT, PER = "省份", "年份"


@pytest.fixture
def wide() -> pd.DataFrame:
    """3 provinces x 3 years, rows deliberately out of order, one id column to keep."""
    rows = [
        ("北京", 2021, 1.0, 10.0, "华北"),
        ("上海", 2020, 2.0, 20.0, "华东"),
        ("广东", 2020, 3.0, 30.0, "华南"),
        ("北京", 2020, 4.0, 40.0, "华北"),
        ("上海", 2021, 5.0, 50.0, "华东"),
        ("广东", 2021, 6.0, 60.0, "华南"),
        ("北京", 2022, 7.0, 70.0, "华北"),
        ("上海", 2022, 8.0, 80.0, "华东"),
        ("广东", 2022, 9.0, 90.0, "华南"),
    ]
    return pd.DataFrame(rows, columns=[ENT, PER, "研发投入", "专利", "地区"])


def make(df, **kw) -> Panel:
    kw.setdefault("keep", ["地区"])
    return Panel.from_frame(df, entity=ENT, period=PER, **kw)


def raises(match: str, fn, *args, **kw) -> DataValidationError:
    with pytest.raises(DataValidationError, match=match) as info:
        fn(*args, **kw)
    return info.value


# ---------------------------------------------------------------- structure
def test_rows_sorted_period_major_with_labels(wide):
    p = make(wide)
    assert p.indicators == ("研发投入", "专利")
    assert p.values.dtype == np.float64 and p.values.shape == (9, 2)
    assert p.periods.tolist() == [2020] * 3 + [2021] * 3 + [2022] * 3
    assert p.entities.tolist()[:3] == sorted(["北京", "上海", "广东"])
    assert p.period_labels.tolist() == [2020, 2021, 2022]
    assert p.entity_labels.tolist() == sorted(["北京", "上海", "广东"])
    assert p.period_index.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert p.entity_index.tolist() == [0, 1, 2] * 3
    assert (p.n_entities, p.n_periods, p.n_obs, p.is_balanced) == (3, 3, 9, True)
    # values follow their labels through the sort
    by_label = {(e, y): v for e, y, v in zip(p.entities, p.periods, p.values[:, 0], strict=True)}
    assert by_label[("北京", 2020)] == 4.0 and by_label[("广东", 2022)] == 9.0
    assert p.extra["地区"].tolist()[:3] == [
        {"上海": "华东", "北京": "华北", "广东": "华南"}[e] for e in p.entities[:3]
    ]
    assert p.filled.empty and list(p.filled.columns) == [ENT, PER, "indicator", "value", "how"]
    assert "n_entities=3" in repr(p)


def test_values_are_read_only(wide):
    p = make(wide)
    with pytest.raises(ValueError, match="read-only"):
        p.values[0, 0] = 1.0


def test_indicators_none_takes_numeric_columns_only(wide):
    wide["备注"] = "无"
    p = Panel.from_frame(wide, entity=ENT, period=PER)
    assert p.indicators == ("研发投入", "专利")  # 地区 and 备注 are text, skipped


def test_indicators_none_rejects_a_numeric_column_with_a_typo(wide):
    wide["专利"] = wide["专利"].astype(str)
    wide.loc[4, "专利"] = "5O"
    err = raises("expected a number, got '5O'", make, wide)
    assert (err.row, err.column) == (6, "专利")


def test_indicators_are_selected_in_the_order_given(wide):
    p = make(wide, indicators=["专利", "研发投入"])
    assert p.indicators == ("专利", "研发投入")
    assert p.values[0].tolist() == [20.0, 2.0]  # 上海 2020


def test_unbalanced_panel_is_allowed(wide):
    p = make(wide.drop(index=[0]))  # 北京 has no row for 2021
    assert (p.n_obs, p.n_entities, p.n_periods, p.is_balanced) == (8, 3, 3, False)


def test_float_periods_become_integers_and_mixed_labels_become_text(wide):
    wide[PER] = wide[PER].astype(float)
    assert make(wide).period_labels.tolist() == [2020, 2021, 2022]
    wide[PER] = wide[PER].astype(object)
    wide.loc[0, PER] = "2021"  # one year typed as text in a spreadsheet
    p = make(wide)
    assert p.period_labels.tolist() == ["2020", "2021", "2022"]
    assert p.n_obs == 9


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_text_labels_are_the_same_whatever_the_text_storage(dtype):
    # Arrow-backed text is factorized as stored; the labels, their order (code points:
    # "B" < "a" < "乙" < "甲") and the rows must be those of Python strings.
    frame = pd.DataFrame(
        {"u": ["甲", "a", "B", "乙", "甲", "a", "B", "乙"], "t": [1] * 4 + [2] * 4,
         "x": np.arange(8.0)}
    )  # fmt: skip
    frame["u"] = frame["u"].astype(dtype)
    p = Panel.from_frame(frame, entity="u", period="t")
    assert p.entity_labels.tolist() == ["B", "a", "乙", "甲"]
    assert p.entities.tolist() == ["B", "a", "乙", "甲"] * 2
    assert p.values[:, 0].tolist() == [2.0, 1.0, 3.0, 0.0, 6.0, 5.0, 7.0, 4.0]
    frame.loc[3, "u"] = None
    with pytest.raises(DataValidationError, match="missing label") as err:
        Panel.from_frame(frame, entity="u", period="t")
    assert err.value.row == 5


# ---------------------------------------------------------------- dataframe kinds
KINDS = {
    "pandas": (lambda df: df, pd.DataFrame),
    "polars": (pl.from_pandas, pl.DataFrame),
    "polars-lazy": (lambda df: pl.from_pandas(df).lazy(), pl.DataFrame),
    "pyarrow": (lambda df: pa.Table.from_pandas(df, preserve_index=False), pa.Table),
    "duckdb": (
        lambda df: duckdb.from_arrow(pa.Table.from_pandas(df, preserve_index=False)),
        pa.Table,
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_round_trip_returns_the_callers_kind(wide, kind):
    convert, out_type = KINDS[kind]
    p = make(convert(wide))
    reference = make(wide)
    np.testing.assert_array_equal(p.values, reference.values)
    assert p.entities.tolist() == reference.entities.tolist()
    out = p.frame({"得分": p.values.sum(axis=1)})
    assert isinstance(out, out_type)
    back = (
        pl.from_arrow(out).to_pandas()
        if isinstance(out, pa.Table)
        else (out.to_pandas() if isinstance(out, pl.DataFrame) else out)
    )
    assert list(back.columns) == [ENT, PER, "地区", "得分"]
    back = back.sort_values([PER, ENT]).reset_index(drop=True)
    assert back[PER].tolist() == reference.periods.tolist()
    np.testing.assert_allclose(back["得分"], reference.values.sum(axis=1))
    assert isinstance(p.frame({"得分": p.values[:, 0]}, kind="pandas"), pd.DataFrame)


@pytest.mark.parametrize("kind", ["polars", "duckdb"])
def test_long_layout_from_other_kinds(wide, kind):
    convert, _ = KINDS[kind]
    long = make(wide).to_long()
    p = Panel.from_frame(convert(long), entity=ENT, period=PER, layout="long")
    np.testing.assert_array_equal(p.values, make(wide).values)


def test_long_wide_round_trip(wide):
    p = make(wide)
    long = p.to_long()
    assert list(long.columns) == [ENT, PER, "indicator", "value"] and len(long) == 18
    long["地区"] = np.repeat(p.extra["地区"].to_numpy(), 2)
    q = Panel.from_frame(
        long.sample(frac=1, random_state=1), entity=ENT, period=PER, layout="long", keep=["地区"]
    )
    assert q.indicators == p.indicators
    np.testing.assert_array_equal(q.values, p.values)
    assert q.extra["地区"].tolist() == p.extra["地区"].tolist()
    pd.testing.assert_frame_equal(q.to_pandas(), p.to_pandas())
    # a subset of indicators, in the order asked for
    r = Panel.from_frame(long, entity=ENT, period=PER, layout="long", indicators=["专利"])
    np.testing.assert_array_equal(r.values[:, 0], p.values[:, 1])


def test_long_layout_custom_column_names(wide):
    long = make(wide).to_long().rename(columns={"indicator": "指标", "value": "数值"})
    p = Panel.from_frame(
        long, entity=ENT, period=PER, layout="long", indicator_col="指标", value_col="数值"
    )
    assert p.indicators == ("研发投入", "专利")


# ---------------------------------------------------------------- bad input
def test_non_numeric_cell_names_spreadsheet_row_and_value(wide):
    wide["专利"] = wide["专利"].astype(object)
    wide.loc[3, "专利"] = "n/a"
    err = raises(
        r"t\.csv, row 5, column '专利': expected a number, got 'n/a'",
        make,
        wide,
        indicators=["研发投入", "专利"],
        source="t.csv",
    )
    assert (err.file, err.row, err.column) == ("t.csv", 5, "专利")


def test_clean_numeric_text_is_coerced_and_decimal_comma_rejected(wide):
    wide["专利"] = [" 1,234.5 ", "2", "3", "4", "5", "6", "7", "8", "+9e1"]
    p = make(wide)
    assert sorted(p.values[:, 1].tolist()) == [2, 3, 4, 5, 6, 7, 8, 90, 1234.5]
    wide.loc[2, "专利"] = "12,5"
    err = raises("expected a number, got '12,5'", make, wide, indicators=["专利"])
    assert err.row == 4


def test_infinite_value_is_rejected(wide):
    wide.loc[1, "研发投入"] = np.inf
    err = raises("expected a finite number, got inf", make, wide)
    assert (err.row, err.column) == (3, "研发投入")


def test_duplicate_rows_name_both_rows(wide):
    dup = pd.concat([wide, wide.iloc[[4]]], ignore_index=True)  # 上海 2021 again, row 11
    err = raises(
        r"duplicate row for 省份='上海', 年份=2021; the same as row 6", make, dup, source="d.csv"
    )
    assert (err.file, err.row) == ("d.csv", 11)


def test_duplicates_in_long_layout(wide):
    long = make(wide).to_long()
    long = pd.concat([long, long.iloc[[5]]], ignore_index=True)
    err = raises(
        "duplicate row for .*indicator='专利'; the same as row 7",
        Panel.from_frame,
        long,
        entity=ENT,
        period=PER,
        layout="long",
    )
    assert err.row == 20


def test_missing_columns_list_available(wide):
    err = raises(
        r"indicator columns \['GDP'\] not found; available: \['省份'",
        make,
        wide,
        indicators=["GDP"],
    )
    assert err.column == "GDP"
    raises("no such column; available", Panel.from_frame, wide, entity="城市", period=PER)
    raises("it is the pandas index", Panel.from_frame, wide.set_index(ENT), entity=ENT, period=PER)
    raises(
        r"indicators \['GDP'\] not found in column 'indicator'",
        Panel.from_frame,
        make(wide).to_long(),
        entity=ENT,
        period=PER,
        layout="long",
        indicators=["GDP"],
    )


def test_empty_table_and_too_few_entities(wide):
    raises("e.csv: the table has no data rows", make, wide.iloc[:0], source="e.csv")
    raises("no data rows", Panel.from_frame, pd.DataFrame(), entity=ENT, period=PER)
    err = raises(r"at least 2 entities, found 1: \['北京'\]", make, wide[wide[ENT] == "北京"])
    assert err.column == ENT


def test_missing_label_and_bad_arguments(wide):
    wide.loc[2, ENT] = None
    err = raises("missing label", make, wide)
    assert (err.row, err.column) == (4, ENT)
    raises("layout must be", make, wide, layout="tall")
    raises("missing must be", make, wide, missing="drop")
    raises("needs a finite number as fill_value", make, wide, missing="fill")
    with pytest.raises(TypeError, match="expected a pandas, Polars"):
        Panel.from_frame([[1, 2]], entity=ENT, period=PER)


def test_blank_rows_are_skipped_and_row_numbers_stay_true(wide):
    blank = pd.DataFrame([[None] * 5], columns=wide.columns)
    df = pd.concat([wide.iloc[:2], blank, wide.iloc[2:]], ignore_index=True)
    assert make(df).n_obs == 9
    df["专利"] = df["专利"].astype(object)
    df.loc[5, "专利"] = "x"  # spreadsheet row 7: rows 2, 3, blank 4, then 5, 6, 7
    assert raises("got 'x'", make, df, indicators=["专利"]).row == 7


# ---------------------------------------------------------------- missing values
def test_missing_error_names_first_cell_and_count(wide):
    wide.loc[[6, 2], "专利"] = np.nan
    wide.loc[7, "研发投入"] = np.nan
    err = raises(r"row 4, column '专利': missing value; 3 missing cells in total", make, wide)
    assert err.row == 4


def test_interpolate_matches_np_interp_and_records_cells():
    rng = np.random.default_rng(7)
    years = np.array([2010, 2012, 2013, 2015, 2016, 2020])  # uneven spacing on purpose
    n_e = 30
    ent = np.repeat([f"e{i:02d}" for i in range(n_e)], len(years))
    yr = np.tile(years, n_e)
    x = rng.normal(size=len(ent))
    x[rng.random(len(x)) < 0.3] = np.nan
    for i in range(n_e):  # every entity keeps at least one value
        x[i * len(years) + rng.integers(len(years))] = rng.normal()
    df = pd.DataFrame({"e": ent, "y": yr, "x": x}).sample(frac=1, random_state=3)
    p = Panel.from_frame(df, entity="e", period="y", missing="interpolate")
    assert not np.isnan(p.values).any()
    for e in np.unique(ent):
        rows = p.entities == e
        got = p.values[rows, 0]
        raw = x[ent == e]
        ok = ~np.isnan(raw)
        np.testing.assert_allclose(got, np.interp(years, years[ok], raw[ok]))
    assert len(p.filled) == int(np.isnan(x).sum())
    assert set(p.filled["how"]) <= {"interpolate", "nearest"}
    f = p.filled.iloc[0]
    row = np.flatnonzero((p.entities == f["e"]) & (p.periods == f["y"]))[0]
    assert p.values[row, 0] == f["value"]


def test_interpolate_interior_and_edges(wide):
    wide.loc[3, "研发投入"] = np.nan  # 北京 2020 (edge) → nearest, 2021's 1.0
    wide.loc[4, "研发投入"] = np.nan  # 上海 2021 (interior) → (2 + 8) / 2
    p = make(wide, missing="interpolate")
    filled = p.filled.set_index(ENT)
    assert filled.loc["北京", "value"] == 1.0 and filled.loc["北京", "how"] == "nearest"
    assert filled.loc["上海", "value"] == 5.0 and filled.loc["上海", "how"] == "interpolate"
    assert filled.loc["上海", PER] == 2021 and set(filled["indicator"]) == {"研发投入"}


def test_interpolate_refuses_entity_without_any_value(wide):
    wide.loc[wide[ENT] == "广东", "专利"] = np.nan
    err = raises("省份 '广东' has no value at all", make, wide, missing="interpolate")
    assert err.column == "专利"


def test_fill_records_cells(wide):
    wide.loc[[1, 5], "专利"] = np.nan
    p = make(wide, missing="fill", fill_value=-1)
    assert (p.values == -1).sum() == 2
    assert p.filled["how"].tolist() == ["fill", "fill"]
    assert p.filled["value"].tolist() == [-1.0, -1.0]
    assert sorted(p.filled[PER].tolist()) == [2020, 2021]


def test_long_layout_missing_cells(wide):
    long = make(wide).to_long()
    err = raises(
        r"no row for 省份='上海', 年份=2020, indicator '研发投入'; 1 missing",
        Panel.from_frame,
        long.iloc[1:],
        entity=ENT,
        period=PER,
        layout="long",
    )
    assert err.row is None
    long.loc[3, "value"] = np.nan
    err = raises(
        "missing value for '专利'", Panel.from_frame, long, entity=ENT, period=PER, layout="long"
    )
    assert err.row == 5
    p = Panel.from_frame(long, entity=ENT, period=PER, layout="long", missing="interpolate")
    # 北京 2020 is the first year, so the nearest year's value (2021: 10) is carried back
    assert p.filled[[ENT, PER, "value", "how"]].values.tolist() == [["北京", 2020, 10.0, "nearest"]]


# ---------------------------------------------------------------- arrays, subsets, output
def test_from_arrays_sorts_and_validates():
    p = Panel.from_arrays([[3.0], [1.0], [2.0], [4.0]], ["b", "a", "a", "b"], [2, 1, 2, 1], ["x"])
    assert p.values[:, 0].tolist() == [1.0, 4.0, 2.0, 3.0]
    assert p.periods.tolist() == [1, 1, 2, 2] and p.native_namespace is None
    assert isinstance(p.frame({"y": p.values[:, 0]}), pd.DataFrame)
    err = raises(
        "duplicate row", Panel.from_arrays, np.ones((3, 1)), ["a", "a", "b"], [1, 1, 1], ["x"]
    )
    assert err.row == 1  # from_arrays counts from 0
    raises("missing value", Panel.from_arrays, [[1.0], [np.nan]], ["a", "b"], [1, 1], ["x"])
    raises(
        r"values must be \(n_obs, 2\)",
        Panel.from_arrays,
        np.ones((2, 1)),
        ["a", "b"],
        [1, 1],
        ["x", "y"],
    )
    raises("expected 2 labels", Panel.from_arrays, np.ones((2, 1)), ["a", "b"], [1], ["x"])


def test_select_and_subset_periods(wide):
    wide.loc[1, "专利"] = np.nan
    p = make(wide, missing="fill", fill_value=0)
    s = p.select("专利")
    assert s.indicators == ("专利",) and s.values.shape == (9, 1) and len(s.filled) == 1
    assert p.select(["研发投入"]).filled.empty
    raises(r"unknown indicators \['GDP'\]", p.select, ["GDP"])
    t = p.subset_periods([2021, 2022])
    assert t.period_labels.tolist() == [2021, 2022] and t.n_obs == 6
    assert t.filled.empty and len(t.extra) == 6
    assert p.subset_periods([2020]).filled[PER].tolist() == [2020]
    raises(r"unknown periods \[1999\]", p.subset_periods, [1999])


def test_frame_levels_and_errors(wide):
    p = make(pl.from_pandas(wide))
    per = p.frame({"gini": np.arange(3.0)}, level="period")
    assert isinstance(per, pl.DataFrame) and per.columns == [PER, "gini"]
    assert per[PER].to_list() == [2020, 2021, 2022]
    ent = p.frame(
        {"mean": p.values[:, 0].reshape(3, 3).mean(axis=0)}, level="entity", kind="pandas"
    )
    assert ent[ENT].tolist() == p.entity_labels.tolist()
    raises(r"shape \(2,\), expected \(9,\)", p.frame, {"x": np.ones(2)})
    raises("clashes with a label column", p.frame, {ENT: np.ones(9)})
    raises("level must be", p.frame, {}, level="year")


def test_to_pandas(wide):
    out = make(wide).to_pandas()
    assert list(out.columns) == [ENT, PER, "地区", "研发投入", "专利"]
    assert out.iloc[0].tolist() == ["上海", 2020, "华东", 2.0, 20.0]


def test_a_million_rows_build(wide):
    # Not a timing test: checks the vectorised paths on a size where row loops would show.
    n_e, years = 50_000, np.arange(2001, 2021)
    rng = np.random.default_rng(0)
    x = rng.random(n_e * len(years))
    x[::11] = np.nan
    df = pl.DataFrame(
        {
            "firm": np.tile(np.arange(n_e), len(years)),
            "year": np.repeat(years, n_e),
            "x": x,
            "z": x * 2,
        }
    )
    p = Panel.from_frame(df, entity="firm", period="year", missing="interpolate")
    assert p.n_obs == 1_000_000 and p.is_balanced and not np.isnan(p.values).any()
    assert len(p.filled) == 2 * int(np.isnan(x).sum())


# ---------------------------------------------------- a wide table's values as one matrix
@pytest.mark.parametrize("missing", ["error", "interpolate"])
def test_a_matrix_given_is_the_panel_a_table_gives(missing):
    """``from_frame(matrix=…)``: the rows sorted in place into the panel's values (no
    second copy), the same panel as from the table's own columns; blank rows skipped."""
    frame = pd.DataFrame(
        {
            "e": ["b", "a", None, "b", "a"],
            "t": [2021, 2021, None, 2020, 2020],
            "x": [1.0, 2.0, np.nan, 3.0, np.nan if missing == "interpolate" else 4.0],
            "y": [5.0, 6.0, np.nan, 7.0, 8.0],
        }
    )
    X = np.ascontiguousarray(frame[["x", "y"]].to_numpy(copy=True))
    kw = dict(entity="e", period="t", indicators=["x", "y"], missing=missing)
    want = Panel.from_frame(frame, **kw)
    got = Panel.from_frame(frame, matrix=X, **kw)
    assert np.shares_memory(got.values, X)  # sorted in place
    np.testing.assert_array_equal(got.values, want.values)
    assert got.entities.tolist() == want.entities.tolist() == ["a", "b", "a", "b"]
    assert got.periods.tolist() == want.periods.tolist()
    pd.testing.assert_frame_equal(got.filled, want.filled)


def test_a_matrix_given_is_checked_as_the_columns():
    frame = pd.DataFrame({"e": ["a", "b"], "t": [1, 1], "x": [1.0, 2.0]})
    X = np.array([[1.0], [np.inf]])
    with pytest.raises(DataValidationError, match=r"row 3, column 'x': expected a finite number"):
        Panel.from_frame(frame, entity="e", period="t", indicators=["x"], matrix=X)
    with pytest.raises(TypeError, match="shape"):
        Panel.from_frame(frame, entity="e", period="t", indicators=["x"], matrix=X[:1])


def test_a_panel_without_indicator_columns_builds():
    """The NaN check of the sorted matrix (its minimum) on a matrix with no cells."""
    p = Panel.from_arrays(np.empty((3, 0)), ["a", "b", "c"], [1, 1, 1], [])
    assert p.values.shape == (3, 0) and p.entity_labels.tolist() == ["a", "b", "c"]


def test_without_values_keeps_units_periods_and_their_codes(wide):
    p = Panel.from_frame(wide, entity="省份", period="年份")
    slim = p.without_values()
    assert slim.values.shape == (p.n_obs, 0) and slim.indicators == ()
    assert slim.entity_index is p.entity_index and slim.period_index is p.period_index
    assert slim.entity_labels.tolist() == p.entity_labels.tolist()
    assert slim.periods.tolist() == p.periods.tolist() and p.values.shape[1] > 0
