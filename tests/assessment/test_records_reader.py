"""The compiled reader of response dicts (``nqpf.assessment._records``): each cell written
to its typed column, and the flags that send a column to the exact Python path."""

from __future__ import annotations

import numpy as np
import pytest

_records = pytest.importorskip(
    "nqpf.assessment._records", reason="not built (no C compiler at install)"
)
PRESENT, MISSING, FLOAT, INT = (
    _records.F_PRESENT,
    _records.F_MISSING,
    _records.F_FLOAT,
    _records.F_INT,
)
VALUE, OTHER = _records.F_VALUE, _records.F_OTHER


def read(records, kinds="nt"):
    keys = ["a", "b", "c"][: len(kinds)]
    n = len(records)
    floats = np.full((kinds.count("n"), n), -9.0)
    codes = np.full((kinds.count("t"), n), -9, dtype=np.int32)
    got = _records.read_columns(
        records, {k: j for j, k in enumerate(keys)}, kinds.encode(), floats, codes
    )
    return got, floats, codes


def test_numbers_texts_missing_cells_and_absent_keys():
    got, floats, codes = read(
        [{"a": 1.5, "b": "x"}, {"b": "y", "a": 2, "z": 0}, {"b": "x"}, {"a": None, "b": None}]
    )
    flags, texts = got
    np.testing.assert_array_equal(floats[0], [1.5, 2.0, np.nan, np.nan])
    assert codes[0].tolist() == [0, 1, 0, -1]
    assert texts == [["x", "y"]]
    assert flags == [PRESENT | MISSING | FLOAT | INT | VALUE, PRESENT | MISSING | VALUE]


def test_cells_outside_the_fast_cases_flag_their_column():
    for cell in (True, "35", 2**53, -(2**53), 2**70, np.float32(1.0), np.int64(3), [1]):
        (flags, _), _, _ = read([{"a": 1.0, "b": "x"}, {"a": cell, "b": "x"}])
        assert flags[0] == PRESENT | FLOAT | VALUE | OTHER, cell
    (flags, _), floats, _ = read([{"a": 2**53 - 1, "b": "x"}, {"a": np.float64(2.5), "b": "x"}])
    assert flags[0] == PRESENT | FLOAT | INT | VALUE
    assert floats[0].tolist() == [2.0**53 - 1, 2.5]
    for cell in (1, 1.5, b"x", ["x"], np.str_("x")):
        (flags, _), _, _ = read([{"a": 1.0, "b": cell}])
        assert flags[1] == PRESENT | OTHER, cell


def test_a_nan_among_texts_is_missing_and_a_key_no_record_has_is_absent():
    (flags, texts), _, codes = read([{"b": float("nan")}, {"b": "x"}], kinds="ntn")
    assert flags == [MISSING, PRESENT | MISSING | VALUE, MISSING]
    assert codes[0].tolist() == [-1, 0] and texts == [["x"]]


def test_many_distinct_texts_keep_their_codes():
    words = [f"w{i}" for i in range(1000)]
    (_, texts), _, codes = read([{"a": w} for w in words + words[::-1]], kinds="t")
    assert texts == [words]
    assert codes[0].tolist() == list(range(1000)) + list(range(999, -1, -1))


def test_records_it_leaves_to_python_and_buffers_too_small():
    assert read([{"a": 1.0}, [("a", 1.0)]])[0] is None
    assert read([{"a": 1.0, 3: "x"}])[0] is None
    with pytest.raises(ValueError, match="floats buffer holds 8 bytes, 16 needed"):
        _records.read_columns([{}, {}], {"a": 0}, b"n", np.empty(1), np.empty(0, np.int32))
