"""Period labels (nqpf.codes.periods): forms read, forms refused, order, vectorised parsing."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.codes.periods import Period, parse_period, parse_periods
from nqpf.exceptions import DataValidationError

Y, Q, M = Period(2023), Period(2023, "Q", 4), Period(2023, "M", 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023", Y),
        ("2023年", Y),
        ("2023年度", Y),
        (" ２０２３年 ", Y),
        (2023, Y),
        (2023.0, Y),
        (np.int64(2023), Y),
        ("2023-12", M),
        ("2023/12", M),
        ("2023-1", Period(2023, "M", 1)),
        ("2023.12", M),
        ("2023.01", Period(2023, "M", 1)),
        ("2023年12月", M),
        ("2023年12月份", M),
        ("２０２３年１２月", M),
        ("2023M12", M),
        ("2023Q4", Q),
        ("2023q4", Q),
        ("2023-Q4", Q),
        ("2023 Q4", Q),
        ("Q4 2023", Q),
        ("2023年Q4", Q),
        ("2023年第四季度", Q),
        ("2023年四季度", Q),
        ("2023年第4季度", Q),
        (dt.date(2023, 12, 1), M),
        (pd.Timestamp("2023-12-01"), M),
    ],
)
def test_forms_read(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("23", "two-digit year"),
        ("23年", "two-digit year"),
        ("12/23", "two-digit year"),
        ("12/2023", "year first"),
        ("12-2023", "year first"),
        ("2023.1", "could be the number 2023.10"),
        ("2023-12-31", "a date is not a period"),
        (dt.date(2023, 12, 31), "a date is not a period"),
        ("2023-13", "out of range"),
        ("2023Q5", "expected 2023"),
        ("去年", "expected 2023"),
        (23, "four digits"),
        (2023.5, "whole number"),
        (None, "missing"),
        (float("nan"), "missing"),
        (True, "expected 2023"),
    ],
)
def test_forms_refused_name_the_value(value, why):
    with pytest.raises(DataValidationError, match=why) as info:
        parse_period(value, field="年份")
    assert info.value.field == "年份"
    assert "无法将" in info.value.reason_zh
    if isinstance(value, str):
        assert repr(value.strip()) in info.value.reason


def test_the_issue_case_sorts_and_filters_numerically():
    labels = [f"{y}年" for y in range(2012, 2024)]
    assert sorted(labels)[-1] == "2023年"  # text happens to sort here, but compare …
    assert "2023年" > "2023"  # … a text bound `to: 2023` drops "2023年"
    lo, hi = parse_period(2018), parse_period(2023)
    kept = [p for p in parse_periods(pd.Series(labels)) if lo <= p <= hi]
    assert [str(p) for p in kept] == [str(y) for y in range(2018, 2024)]


def test_order_across_frequencies():
    ps = [Period(2023, "M", 2), Period(2023, "Q", 1), Period(2022), Period(2023, "M", 1), Y]
    assert [str(p) for p in sorted(ps)] == ["2022", "2023", "2023Q1", "2023-01", "2023-02"]
    assert Period(2023, "M", 11).within(Period(2018), Period(2023))
    assert not Y.within(Period(2023, "Q", 1), Period(2023, "Q", 3))
    assert Q.within(Period(2023, "M", 10), M) and not Q.within(Period(2023, "M", 11))


def test_period_is_immutable_hashable_picklable():
    with pytest.raises(AttributeError):
        Y.year = 2024  # type: ignore[misc]
    assert len({Y, parse_period("2023年"), Q}) == 2
    assert pickle.loads(pickle.dumps(Q)) == Q
    assert Q.to_pandas() == pd.Period("2023Q4", freq="Q")
    assert (str(Y), str(Q), str(M)) == ("2023", "2023Q4", "2023-12")
    with pytest.raises(ValueError):
        Period(2023, "Q", 5)
    assert (Y == 2023) is False  # no silent comparison with numbers


def test_parse_periods_keeps_index_and_reports_first_bad_row():
    s = pd.Series(["2023年", "2022年", "2023年"], index=[10, 11, 12], name="year")
    out = parse_periods(s)
    assert out.index.tolist() == [10, 11, 12] and out.name == "year"
    assert out.tolist() == [Y, Period(2022), Y]
    with pytest.raises(DataValidationError, match=r"'23'.*first at position 2, index 12") as info:
        parse_periods(pd.Series(["2023", "2022", "23"], index=[10, 11, 12]))
    assert info.value.data_row == 2
    with pytest.raises(DataValidationError, match="missing at position 1"):
        parse_periods(pd.Series(["2023", None]))


def test_parse_periods_parses_each_label_once(monkeypatch):
    import nqpf.codes.periods as P

    calls = []
    real = P.parse_period
    monkeypatch.setattr(P, "parse_period", lambda v, **k: calls.append(v) or real(v, **k))
    P.parse_periods(pd.Series(["2023", "2022"] * 5000))
    assert sorted(calls) == ["2022", "2023"]


_periods = st.one_of(
    st.builds(Period, st.integers(1900, 2100)),
    st.builds(lambda y, q: Period(y, "Q", q), st.integers(1900, 2100), st.integers(1, 4)),
    st.builds(lambda y, m: Period(y, "M", m), st.integers(1900, 2100), st.integers(1, 12)),
)


def _chinese(p: Period) -> str:
    if p.freq == "Y":
        return f"{p.year}年"
    if p.freq == "Q":
        return f"{p.year}年第{'一二三四'[p.sub - 1]}季度"
    return f"{p.year}年{p.sub}月"


@settings(max_examples=300, deadline=None, database=None)
@given(_periods)
def test_round_trip_of_labels(p):
    assert parse_period(str(p)) == p
    assert parse_period(_chinese(p)) == p
    full_width = str(p).translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert parse_period(full_width) == p


@settings(max_examples=300, deadline=None, database=None)
@given(_periods, _periods)
def test_order_is_chronological(a, b):
    if a.start_month != b.start_month:
        assert (a < b) == (a.start_month < b.start_month)
    else:  # same start: the longer period first
        assert (a < b) == ((a.end_month > b.end_month) and a != b)
    assert (a == b) == (str(a) == str(b))
