"""Group labels encoded in O(n) (issue 15, "Speed"): the same labels and codes as
``numpy.unique(..., return_inverse=True)`` — the sorted order users see — for every kind
of label, without sorting the n rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.disparity import dagum, sigma_convergence, theil
from nqpf.disparity._validation import (
    Groups,
    drop_empty,
    encode_groups,
    encode_once,
    group_rows,
)
from nqpf.exceptions import DataValidationError

FAST = settings(max_examples=60, deadline=None, database=None)
REGIONS = ["东部", "中部", "西部", "东北"]


def _check_like_unique(values):
    g = np.asarray(values)
    labels, codes = encode_groups(values, g.shape[0])
    labels, codes = drop_empty(labels, codes)
    ref_labels, ref_codes = np.unique(g, return_inverse=True)
    assert [str(v) for v in labels] == [str(v) for v in ref_labels]
    np.testing.assert_array_equal(codes, ref_codes.ravel())
    assert codes.dtype == (np.uint8 if labels.size <= 256 else np.intp)


@FAST
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=60))
def test_small_range_integers(values):
    _check_like_unique(np.array(values))


@FAST
@given(st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=60))
def test_wide_range_integers(values):
    _check_like_unique(np.array(values, dtype=np.int64))


@FAST
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60))
def test_float_labels(values):
    _check_like_unique(np.array(values))


@FAST
@given(
    st.lists(
        st.text(alphabet="东中西北南部区a\x00", min_size=0, max_size=6), min_size=1, max_size=60
    )
)
def test_string_labels_numpy_and_object(values):
    _check_like_unique(np.array(values))  # fixed-width str: hashed as uint64 words
    _check_like_unique(np.array(values, dtype=object))  # Python objects: pandas.factorize


@FAST
@given(st.lists(st.binary(min_size=0, max_size=10), min_size=1, max_size=40))
def test_bytes_labels(values):
    _check_like_unique(np.array(values))


def test_pandas_inputs_are_not_converted_row_by_row():
    s = pd.Series(np.array(REGIONS)[[0, 2, 1, 3, 0, 2]])
    for form in (s, s.astype("category"), s.astype(object), pd.Index(s)):
        labels, codes = encode_groups(form, 6)
        assert list(labels) == sorted(REGIONS)
        np.testing.assert_array_equal(np.asarray(labels)[codes], s.to_numpy())


def test_missing_and_mixed_labels():
    with pytest.raises(DataValidationError, match=r"missing label.*row 1"):
        encode_groups(pd.Series(["东部", None, "西部"]), 3)
    with pytest.raises(DataValidationError, match="missing label"):
        encode_groups(np.array([1.0, np.nan]), 2)
    with pytest.raises(DataValidationError, match="comparable"):
        encode_groups(np.array(["a", 1], dtype=object), 2)
    with pytest.raises(DataValidationError, match="groups has 2 labels but y has 3"):
        encode_groups(pd.Series(["a", "b"]), 3)


def test_groups_encoded_once_are_reused():
    g = np.array(REGIONS * 3)
    enc = encode_once(g, (12, 4))
    assert isinstance(enc, Groups) and len(enc) == 12
    assert encode_groups(enc, 12)[1] is enc.codes
    np.testing.assert_array_equal(enc.take([0, 5]).codes, enc.codes[[0, 5]])
    assert encode_once(np.ones((12, 4)), (12, 4)).shape == (12, 4)  # per-cell labels: as is
    rows = group_rows(enc.codes, enc.labels.size)
    # sorted labels: 东北 < 东部 < 中部 < 西部 (code points)
    assert [r.tolist() for r in rows] == [[3, 7, 11], [0, 4, 8], [1, 5, 9], [2, 6, 10]]


def test_statistics_agree_for_every_label_form():
    rng = np.random.default_rng(3)
    n = 400
    code = rng.integers(0, 4, n)
    y = rng.lognormal(size=n) * (1 + 0.2 * code)
    forms = {
        "int": code,
        "unsorted ints": np.array([31, 11, 44, 23])[code],
        "str": np.array(REGIONS)[code],
        "object": np.array(REGIONS, dtype=object)[code],
        "Series": pd.Series(np.array(REGIONS)[code]),
        "categorical": pd.Series(np.array(REGIONS)[code]).astype("category"),
    }
    ref_d, ref_t = dagum(y, code), theil(y, code)
    for name, g in forms.items():
        d, t = dagum(y, g), theil(y, g)
        assert d.total == pytest.approx(ref_d.total, abs=1e-14), name
        assert sorted(d.G_jj) == pytest.approx(sorted(ref_d.G_jj), abs=1e-14), name
        assert t.between == pytest.approx(ref_t.between, abs=1e-14), name
        assert list(t.groups) == sorted(set(np.asarray(g).tolist())), name


def test_per_period_dispatch_with_string_periods():
    rng = np.random.default_rng(4)
    n = 90
    y = rng.lognormal(size=n)
    g = rng.integers(0, 3, n)
    per = np.array(["2019", "2021", "2020"])[rng.integers(0, 3, n)]
    res = theil(y, g, periods=per)
    assert res.periods == ["2019", "2020", "2021"]
    for p in res.periods:
        assert res[p].total == pytest.approx(theil(y[per == p], g[per == p]).total, abs=1e-15)
    s = sigma_convergence(y, per)
    assert s.to_frame().iloc[:, 0].tolist() == ["2019", "2020", "2021"]


# ------------------------------------------------ Arrow strings and the compiled hash table


@FAST
@given(
    st.lists(
        st.text(alphabet="东中西北南部区地ab\x00", min_size=0, max_size=12), min_size=1, max_size=60
    ),
    st.integers(0, 5),
)
def test_arrow_strings_like_unique(values, cut):
    """pandas' Arrow-backed str dtype: short (≤ 7 bytes, one word) and long labels, sliced
    Series (an Arrow offset) and several chunks."""
    s = pd.Series(values, dtype="str")
    for form in (s, s.iloc[cut:], pd.concat([s, s.iloc[cut:]], ignore_index=True)):
        if not len(form):
            continue
        labels, codes = encode_groups(form, len(form))
        ref_labels, ref_codes = np.unique(form.to_numpy(dtype=object), return_inverse=True)
        assert list(labels) == list(ref_labels)
        np.testing.assert_array_equal(codes, ref_codes.ravel())


def test_many_labels_and_long_labels_fall_back():
    from nqpf.disparity import _labels

    many = np.array([f"r{i:03d}" for i in range(300)])[np.arange(600) % 300]
    _check_like_unique(many)  # 300 > 256 distinct: pandas.factorize on the words
    _check_like_unique(pd.Series(many, dtype="str").to_numpy(dtype=object))
    labels, codes = encode_groups(pd.Series(many, dtype="str"), 600)
    assert labels.size == 300 and codes.dtype == np.intp
    assert _labels.factorize_arrow_strings(pd.Series(["x" * 300, "y"], dtype="str")) is None
    labels, codes = encode_groups(pd.Series(["x" * 300, "y", "x" * 300], dtype="str"), 3)
    assert list(codes) == [0, 1, 0]
    assert _labels.factorize_rows(np.arange(300, dtype=np.uint64)[:, None], cap=256) is None
