"""The data-quality report on load (nqpf.io.quality): each finding, each policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.exceptions import DataValidationError
from nqpf.io.quality import (
    MAD_SCALE,
    QualityPolicy,
    QualityReport,
    check_quality,
    outlier_fences,
    period_year,
)


def frame(**columns) -> pd.DataFrame:
    base = {"省份": ["甲", "乙", "丙", "甲", "乙", "丙"], "年份": [2021] * 3 + [2022] * 3}
    base.update(columns)
    return pd.DataFrame(base)


def report(df, **kw) -> QualityReport:
    return check_quality(df, entity="省份", period="年份", **kw)


def line(r: QualityReport, check: str) -> tuple[str, str]:
    f = r.finding(check)
    assert f is not None, [x.check for x in r.findings]
    return f.status, f.message


# ---------------------------------------------------------------------- what was read
def test_a_clean_table_passes_every_check():
    r = report(frame(x=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    assert r.rows == 6 and r.units == 3 and r.periods == 2
    assert r.errors == [] and r.warnings == []
    assert r.to_frame()["check"].tolist() == [
        "rows", "thousands", "percent", "fullwidth", "missing", "period_labels",
        "duplicates", "balance", "constant", "negative", "outliers",
    ]  # fmt: skip
    assert line(r, "balance") == ("ok", "balanced: 3 units × 2 periods")


def test_thousands_percent_and_fullwidth_are_read_and_listed():
    df = frame(
        a=["1,234.5", "2", "3", "4", "5", "6,000"],
        b=["12%", "13%", "1", "2", "3", "4"],
        c=["１２３", "4", "5", "6", "7", "8"],
    )
    r = report(df)
    assert line(r, "thousands") == (
        "fixed",
        "2 number(s) written with thousands separators in 1 column(s), e.g. '1,234.5' "
        "(column 'a', row 2); read as numbers",
    )
    assert line(r, "percent")[1].startswith(
        "2 number(s) written with a percent sign (read as a fraction: 12% → 0.12) in 1 column(s)"
    )
    assert line(r, "fullwidth")[0] == "fixed"
    t = r.tables["transformations"].set_index(["column", "kind"])
    assert t.loc[("a", "thousands"), "read as"] == 1234.5
    assert t.loc[("b", "percent"), "read as"] == 0.12
    assert t.loc[("c", "fullwidth"), "read as"] == 123.0


def test_warn_policy_reads_and_warns_and_error_policy_refuses():
    df = frame(a=["1,234.5", "2", "3", "4", "5", "6"])
    assert line(report(df, policy={"thousands": "warn"}), "thousands")[0] == "warn"
    r = report(df, policy={"thousands": "error"})
    with pytest.raises(DataValidationError) as err:
        r.raise_for_errors()
    assert str(err.value) == (
        "row 2, column 'a': '1,234.5' is written with thousands separators "
        "(1 such cells; quality.thousands: error)"
    )


def test_other_text_is_still_named_by_the_panel():
    r = report(frame(a=["1", "n/a?", "3", "4", "5", "6"]), indicators=["a"])
    assert line(r, "read") == ("error", "row 3, column 'a': expected a number, got 'n/a?'")


def test_missing_cells_are_counted_per_column():
    r = report(frame(a=[1.0, None, 3.0, 4.0, 5.0, 6.0], b=["1", "", "3", " ", "5", "6"]),
               missing="interpolate")  # fmt: skip
    assert r.tables["missing"]["missing cells"].tolist() == [1, 2]
    assert line(r, "missing") == ("info", "3 missing cells in 2 column(s)")


# ---------------------------------------------------------------------- period labels
def test_year_labels_written_as_text_become_years():
    df = frame(x=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    df["年份"] = ["2021年", "2021年", "2021年", "２０２２年", "2022年", "2022"]
    r = report(df)
    assert line(r, "period_labels") == (
        "fixed",
        "5 period label(s) written as text, e.g. '2021年', read as the year 2021, so ranges "
        "compare them as numbers",
    )
    assert r.periods == 2


def test_period_year():
    assert [period_year(v) for v in ("2023", "2023 年", "2023年度", 2023, 2023.0)] == [2023] * 5
    assert [period_year(v) for v in ("2023Q4", "2023-12", "23", True, None, 1e9)] == [None] * 6


# ---------------------------------------------------------------------- the panel
def test_unbalanced_panel_is_reported_and_fixed_on_request():
    df = frame(x=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).drop(index=5)
    r = report(df)
    assert line(r, "balance") == (
        "warn",
        "unbalanced: 1 of 3 units lack some of the 2 periods (1 unit-periods missing), "
        "e.g. 省份 丙 has no row for 年份 2022",
    )
    assert r.tables["unbalanced"]["省份"].tolist() == ["丙"]
    fixed = report(df, policy={"unbalanced": "fix"})
    assert fixed.units == 2 and line(fixed, "balance")[0] == "fixed"
    assert report(df, policy={"unbalanced": "error"}).errors[0].check == "balance"


def test_exact_duplicates_are_dropped_on_request_conflicting_ones_stay_errors():
    df = pd.concat([frame(x=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])] * 1).reset_index(drop=True)
    twice = pd.concat([df, df.iloc[[1]]], ignore_index=True)
    assert "duplicate row" in report(twice).errors[0].message
    r = report(twice, policy={"duplicates": "fix"})
    assert line(r, "duplicates") == (
        "fixed",
        "1 row(s) repeating an earlier row exactly were dropped, e.g. row 8",
    )
    clash = twice.copy()
    clash.loc[6, "x"] = 99.0
    assert "duplicate row" in report(clash, policy={"duplicates": "fix"}).errors[0].message


def test_constant_and_negative_columns():
    r = report(frame(x=[5.0] * 6, y=[1.0, -2.0, 3.0, 4.0, 5.0, 6.0]), positive={"y": "cv needs it"})
    assert line(r, "constant") == ("warn", "1 indicator(s) take one value throughout: x")
    assert line(r, "negative") == (
        "error",
        "省份 乙, 年份 2021 is -2: cv needs it (1 non-positive)",
    )
    assert r.errors[0].error.column == "y"


def test_one_huge_cell_is_an_outlier_and_fix_clips_it():
    x = [1.0, 2.0, 3.0, 4.0, 5.0, 1e308]
    r = report(frame(x=x))
    assert line(r, "outliers") == (
        "warn",
        "1 cell(s) of 1 indicator(s) outside median ± 3.5·MAD: x 1; most extreme x "
        "(省份 丙, 年份 2022 = 1e+308)",
    )
    fixed = report(frame(x=x), policy={"outliers": "fix"})
    assert line(fixed, "outliers")[0] == "fixed"
    assert report(frame(x=x), policy={"outliers": "error"}).errors[0].check == "outliers"


# ---------------------------------------------------------------------- the rule
def test_fences_follow_iglewicz_hoaglin_and_tukey():
    X = np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])
    lo, hi = outlier_fences(X, "mad", 3.5)
    # median 3, MAD 1 → 3 ± 3.5 · 1.4826
    assert hi[0] == pytest.approx(3 + 3.5 * MAD_SCALE) and lo[0] == pytest.approx(
        3 - 3.5 * MAD_SCALE
    )
    lo, hi = outlier_fences(X, "iqr", 1.5)  # Q1 2, Q3 4, IQR 2
    assert (lo[0], hi[0]) == (-1.0, 7.0)


def test_mad_zero_falls_back_to_the_mean_absolute_deviation():
    X = np.array([[0.0]] * 8 + [[1.0], [50.0]])
    hi = outlier_fences(X)[1]
    assert np.isfinite(hi[0]) and hi[0] < 50.0
    assert outlier_fences(np.ones((5, 1)))[1][0] == np.inf  # constant: no outlier


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(-10_000, 10_000), min_size=5, max_size=40, unique=True),
    st.floats(0.01, 1e3),
    st.floats(-1e3, 1e3),
    st.sampled_from(["mad", "iqr"]),
)
def test_fences_move_with_location_and_scale(values, a, b, rule):
    """Outliers are a property of the data's shape: x → a·x + b moves the fences alike."""
    X = np.asarray(values, dtype=float)[:, None]
    lo, hi = outlier_fences(X, rule)
    lo2, hi2 = outlier_fences(a * X + b, rule)
    tol = 1e-9 * (a * np.abs(X).max() + abs(b) + 1)
    assert hi2[0] == pytest.approx(a * hi[0] + b, abs=tol)
    assert lo2[0] == pytest.approx(a * lo[0] + b, abs=tol)
    out = (X[:, 0] < lo[0]) | (X[:, 0] > hi[0])
    out2 = ((a * X + b)[:, 0] < lo2[0]) | ((a * X + b)[:, 0] > hi2[0])
    assert (out == out2).all() or np.isclose(a * X[:, 0] + b, hi2[0]).any()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([-2.5, 0.0, 0.1, 1.0, 3.0, 1e300, np.nan]), min_size=1, max_size=30)
    | st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30)
)
def test_median_and_largest_equal_numpy_sorting(values):
    """The fast median and top-k of the outlier scan give numpy's sorted answers exactly
    (ties in position order, NaN as np.median gives it)."""
    from nqpf.io.quality import _largest, _median_reordering

    a = np.asarray(values, dtype=float)
    np.testing.assert_array_equal(_median_reordering(a.copy()), np.median(a))
    finite = a[np.isfinite(a)]
    for k in (1, 3, len(finite)):
        np.testing.assert_array_equal(_largest(finite, k), np.argsort(-finite, kind="stable")[:k])


# ---------------------------------------------------------------------- the report
def test_report_renders_as_html_and_xlsx_and_summary():
    r = report(frame(x=[1.0, 2.0, 3.0, 4.0, 5.0, 1e308]))
    html = r.to_html()
    assert "检查结果" in html and "离群值" in html and "1e+308" in html
    assert r.to_xlsx()[:2] == b"PK"
    text = r.summary().as_text()
    assert "离群值 outliers [warn]" in text


def test_unreadable_bytes_are_a_finding_not_an_exception():
    r = check_quality(b"", entity="a", period="b", name="empty.csv")
    assert line(r, "read") == ("error", "empty.csv: the file is empty")


def test_policy_defaults_are_documented():
    p = QualityPolicy()
    assert (p.thousands, p.percent, p.fullwidth, p.period_labels) == ("fix",) * 4
    assert (p.duplicates, p.unbalanced, p.constant, p.negative) == (
        "error",
        "warn",
        "warn",
        "error",
    )
    assert (p.outliers, p.outlier_rule, p.k, p.outlier_scope) == ("warn", "mad", 3.5, "pooled")
    assert QualityPolicy(outlier_rule="iqr").k == 3.0


def test_month_and_quarter_labels_become_canonical_and_sort_in_time():
    df = frame(x=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    df["年份"] = ["2023年9月"] * 3 + ["2023-10"] * 3
    r = report(df)
    assert line(r, "period_labels") == (
        "fixed",
        "3 period label(s) written as text, e.g. '2023年9月', read as '2023-09', so ranges "
        "compare them in time order",
    )
    mixed = frame(x=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    mixed["年份"] = ["2023"] * 3 + ["2023Q4"] * 3  # two frequencies: kept as written
    assert line(report(mixed), "period_labels")[0] == "info"
