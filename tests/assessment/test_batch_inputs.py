"""batch_score takes a DataFrame, an Arrow table (or a frame with ``to_arrow()``) or a list
of dicts, with the same scores and the same problems in every form."""

from __future__ import annotations

import json
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.assessment import batch_score, load_framework, score, scoring
from nqpf.exceptions import DataValidationError

FW = load_framework("sme-digital", "2024")


@pytest.fixture(scope="module", autouse=True, params=["compiled", "python"])
def reader(request):
    """Every test with each reader of a list of dicts: the compiled one (setup.py) and the
    Python one it falls back to when nqpf was built without a C compiler."""
    built = scoring._records
    if request.param == "compiled" and built is None:
        pytest.skip("nqpf.assessment._records not built (no C compiler at install)")
    scoring._records = built if request.param == "compiled" else None
    yield request.param
    scoring._records = built


def good() -> dict:
    """One complete, valid response (answers as score() takes them)."""
    row: dict = {}
    for q in FW.questions:
        if q.kind == "number":
            row[q.id] = 55.0
        elif q.kind == "single":
            row[q.id] = q.options[-1].id
        else:
            row[q.id] = "|".join(o.id for o in q.options[:2] if not o.exclusive)
    row.update({s.id: 3 for s in FW.scenes})
    return row


def responses() -> list[dict]:
    """Valid rows around the cells each form must read as given: out of range, text with
    %, a bool for a number, an unknown option, a list, a level 7, a level as text."""
    rows = [good() for _ in range(12)]
    number = next(q.id for q in FW.questions if q.kind == "number")
    multi = next(q.id for q in FW.questions if q.kind == "multi")
    single = next(q.id for q in FW.questions if q.kind == "single")
    rows[1][number] = 130
    rows[2][number] = "35%"
    rows[3][number] = True
    rows[4][single] = "Z"
    rows[5][multi] = [o.id for o in FW.question(multi).options if not o.exclusive][:2]
    rows[6][FW.scenes[0].id] = 7
    rows[7][FW.scenes[1].id] = "3"
    rows[8][number] = None
    rows[9][number] = 20  # an int among floats
    return rows


@pytest.fixture(scope="module")
def expected():
    return batch_score(FW, pd.DataFrame(responses()))


def assert_same(got, expected):
    pd.testing.assert_frame_equal(got.scores, expected.scores)
    pd.testing.assert_frame_equal(got.errors, expected.errors, check_dtype=False)


def test_the_reference_run_has_real_numbers_and_problems(expected):
    rows = responses()
    assert expected.scores["valid"].tolist() == [
        True, False, True, False, False, True, False, True, False, True, True, True,
    ]  # fmt: skip
    assert expected.scores.loc[0, "total"] == pytest.approx(score(FW, rows[0]).total)
    assert expected.scores.loc[9, "total"] == pytest.approx(score(FW, rows[9]).total)
    messages = dict(zip(expected.errors["position"], expected.errors["message"], strict=True))
    assert "收到 True" in messages[3]
    assert messages[6].endswith("收到 7")  # a level read as the int it was


def test_list_of_dicts(expected):
    assert_same(batch_score(FW, responses()), expected)


def test_records_holding_their_keys_in_any_order(expected):
    """Every answer is read by key in one pass, whatever order a response's dict has."""
    rows = [dict(reversed(r.items())) if i % 2 else r for i, r in enumerate(responses())]
    assert list(rows[1]) != list(rows[0])
    assert_same(batch_score(FW, rows), expected)


def test_arrow_table_and_record_batch(expected):
    frame = pd.DataFrame(responses()).astype(object)
    # Arrow columns need one type: the odd cells travel as text, as in a CSV.
    frame = frame.map(lambda v: "|".join(v) if isinstance(v, list) else v)
    typed = frame.astype({c: str for c in frame.columns if frame[c].map(type).nunique() > 1})
    table = pa.Table.from_pandas(typed, preserve_index=False)
    want = batch_score(FW, typed)
    assert_same(batch_score(FW, table), want)
    assert_same(batch_score(FW, table.to_batches()[0]), want)
    assert want.scores["valid"].sum() == expected.scores["valid"].sum()


def test_polars_frame_through_arrow(expected):
    pl = pytest.importorskip("polars")
    rows = [good() for _ in range(3)]
    assert_same(batch_score(FW, pl.DataFrame(rows)), batch_score(FW, pd.DataFrame(rows)))


def test_records_missing_a_key_are_missing_answers():
    rows = [good() for _ in range(3)]
    del rows[1]["planning"]
    out = batch_score(FW, rows)
    assert out.scores["valid"].tolist() == [True, False, True]
    assert out.errors[["position", "column"]].values.tolist() == [[1, "planning"]]


def test_a_key_no_record_has_is_a_missing_column():
    rows = [good() for _ in range(2)]
    for r in rows:
        del r["planning"]
    with pytest.raises(DataValidationError, match="missing column") as info:
        batch_score(FW, rows)
    assert info.value.column == "planning"


def test_a_record_that_is_not_a_mapping():
    with pytest.raises(DataValidationError, match="mapping"):
        batch_score(FW, [good(), ["not", "a", "dict"]])


def test_whole_numbers_and_floats_read_as_in_a_frame():
    rows = [good() for _ in range(4)]
    number = next(q.id for q in FW.questions if q.kind == "number")
    for i, v in enumerate([np.float64(40.0), 40, 40.0, np.int64(40)]):
        rows[i][number] = v
    out = batch_score(FW, rows)
    assert out.scores["valid"].all()
    assert out.scores["total"].nunique() == 1


def test_records_that_are_mappings_but_not_dicts(expected):
    """Arrow reads dicts only: other mappings take the object route to the same result."""
    assert_same(batch_score(FW, [MappingProxyType(r) for r in responses()]), expected)


def test_a_key_every_record_leaves_empty_is_missing_answers_not_a_missing_column():
    rows = [dict(good(), planning=None) for _ in range(2)]
    out = batch_score(FW, rows)
    assert_same(out, batch_score(FW, pd.DataFrame(rows)))
    assert out.errors[["position", "column"]].values.tolist() == [[0, "planning"], [1, "planning"]]


def test_records_parsed_from_json_hold_equal_texts_in_distinct_objects(expected):
    """Each text cell its own str object (as json.loads makes them): coded by content."""
    rows = json.loads(json.dumps(responses()))
    key = next(k for k, v in rows[0].items() if isinstance(v, str) and len(v) > 1)
    assert rows[0][key] == rows[10][key] and rows[0][key] is not rows[10][key]
    assert_same(batch_score(FW, rows), expected)


def test_many_distinct_answers_in_a_column():
    """300 distinct refused answers of one question (the compiled reader's table of a
    column's texts grows from 64 slots), each reported with its own value."""
    rows = [dict(good(), planning=f"Z{i}") for i in range(300)] + [good()]
    out = batch_score(FW, rows)
    assert_same(out, batch_score(FW, pd.DataFrame(rows)))
    assert out.scores["valid"].tolist() == [False] * 300 + [True]
    assert out.errors["value"].tolist() == [f"Z{i}" for i in range(300)]


def test_records_with_keys_that_are_not_text():
    """A key that is not a str (here an int next to the answers) is ignored, as a frame
    ignores its column."""
    rows = [dict(good(), **{"note": 1}) for _ in range(2)]
    rows[1][7] = "x"
    assert_same(batch_score(FW, rows), batch_score(FW, pd.DataFrame(rows)))


def test_text_and_number_columns_holding_other_kinds_read_as_in_a_frame():
    rows = [good() for _ in range(4)]
    single = next(q.id for q in FW.questions if q.kind == "single")
    number = next(q.id for q in FW.questions if q.kind == "number")
    rows[1][single], rows[2][single] = 1, ["A"]  # not text: the object route
    rows[1][number], rows[3][number] = 2**70, np.float32(40.5)  # beyond int64, a float32
    out = batch_score(FW, rows)
    assert_same(out, batch_score(FW, pd.DataFrame(rows)))
    assert out.scores["valid"].tolist() == [True, False, False, True]


_KEEP, _DROP = object(), object()  # leave the good answer; delete the key
_NUMBER = next(q.id for q in FW.questions if q.kind == "number")
_SINGLE = next(q.id for q in FW.questions if q.kind == "single")
_MULTI = next(q.id for q in FW.questions if q.kind == "multi")
_SCENE = FW.scenes[0].id
_KEPT_CELLS = st.one_of(  # every cell but a deleted key
    st.just(_KEEP),
    st.sampled_from([None, float("nan"), "35", "35%", "abc", "", "A", "A|B", "3", ["A", "B"]]),
    st.sampled_from([np.int64(3), np.float64(40.5), np.float32(40.5), 2**63, 2**70, 1e20]),
    st.sampled_from([pd.NA, pd.NaT, b"A", np.bool_(True), ("A",)]),  # read as pandas reads them
    st.booleans(),
    st.integers(-5, 150),
    st.floats(-10, 150, allow_nan=False),
)
_CELLS = st.one_of(st.just(_DROP), _KEPT_CELLS)


@st.composite
def _messy_rows(draw, same_keys: bool = False) -> list[dict]:
    """A few good responses with cells replaced, keys dropped and extra keys added; with
    ``same_keys``, cells replaced only, so every response has the same keys in order."""
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        row = good()
        for key in (_NUMBER, _SINGLE, _MULTI, _SCENE, draw(st.sampled_from(sorted(row)))):
            cell = draw(_KEPT_CELLS if same_keys else _CELLS)
            if cell is _DROP:
                row.pop(key, None)
            elif cell is not _KEEP:
                row[key] = cell
        if not same_keys:
            row.update(draw(st.dictionaries(st.sampled_from(["note", "企业名称"]), _CELLS)))
        rows.append({k: v for k, v in row.items() if v is not _KEEP and v is not _DROP})
    return rows


def _outcome(data):
    try:
        return batch_score(FW, data)
    except DataValidationError as exc:
        return exc


@settings(max_examples=60, deadline=None)
@given(_messy_rows())
def test_any_mix_of_cells_scores_as_the_same_rows_in_a_frame(rows):
    got, want = _outcome(rows), _outcome(pd.DataFrame(rows))
    if isinstance(want, DataValidationError):
        assert isinstance(got, DataValidationError)
        assert (str(got), got.column) == (str(want), want.column)
    else:
        assert_same(got, want)


@settings(max_examples=40, deadline=None)
@given(_messy_rows(same_keys=True))
def test_any_mix_of_cells_in_records_with_the_same_keys_scores_as_in_a_frame(rows):
    """Records sharing their keys in order are read by their values, then typed alike."""
    assert all(list(r) == list(rows[0]) for r in rows)
    assert_same(batch_score(FW, rows), batch_score(FW, pd.DataFrame(rows)))
