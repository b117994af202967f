"""compare(): paired T0/T1 deltas of one enterprise, closed conditions, refusals, properties."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.assessment.test_diagnosis import random_answers

from nqpf.assessment import load_framework, score
from nqpf.evaluation import ComparisonResult, compare
from nqpf.exceptions import DataValidationError

FW = load_framework("sme-digital", "2024")


def _answers(number: float, choice: str, scene: int) -> dict:
    a = {
        q.id: (number if q.kind == "number" else [] if q.kind == "multi" else choice)
        for q in FW.questions
    }
    a.update({s.id: scene for s in FW.scenes})
    return a


def test_hand_worked_pair():
    t0 = score(FW, _answers(35, "A", 1))
    t1 = score(FW, _answers(65, "B", 2))
    r = compare(t0, t1)
    assert isinstance(r, ComparisonResult)
    assert (r.total_t0, r.total_t1, r.delta_total) == (9.75, 33.5, 23.75)
    assert (r.level_t0, r.level_t1, r.level_change) == (0, 1, 1)
    dims = r.dimensions.set_index("dimension")
    # 数字化基础 50 points in the 2024 framework; the deltas are the dimension differences
    assert dims.loc["数字化基础", "max_points"] == 50
    for name, p0 in t0.dimensions.items():
        assert dims.loc[name, "delta"] == pytest.approx(t1.dimensions[name] - p0)
    q = r.questions.set_index("id")
    assert q.loc["equipment_digital_rate", "points_t0"] == 3  # 35 % → (20, 40] band
    assert q.loc["equipment_digital_rate", "change"] == "提升"
    assert (r.scenes["delta"] == 1).all() and r.scenes["name"].notna().all()
    # at T0 the enterprise missed 一级 on the score only; T1 closed it
    assert r.conditions[["level", "kind", "closed"]].values.tolist() == [[1, "score", True]]
    assert r.closed == ("一级：总分需≥20，当前33.5（已满足）",)
    assert [c.level for c in r.remaining] == [2]
    text = r.summary().as_text()
    assert "未达一级 → 一级（提升1级）" in text and "T1 已达成" in text


def test_fall_back_and_nothing_closed():
    hi = score(FW, _answers(65, "B", 2))
    lo = score(FW, _answers(35, "A", 1))
    r = compare(hi, lo)
    assert r.level_change == -1 and r.delta_total == -23.75
    assert not r.conditions["closed"].any()
    assert "下降" in r.summary().as_text()
    assert set(r.tables()) == {"dimensions", "questions", "scenes", "conditions"}
    assert set(r.to_frame("all")["table"]) == {"dimensions", "questions", "scenes", "conditions"}


def test_refusals():
    t = score(FW, _answers(35, "A", 1))
    with pytest.raises(DataValidationError, match="ScoreResult") as e:
        compare(t, {"total": 3})
    assert e.value.field == "t1" and "评测结果" in e.value.reason_zh
    other = t.__class__(**{**t.__dict__, "framework": "sme-digital-2022"})
    with pytest.raises(DataValidationError, match="one framework version") as e:
        compare(t, other)
    assert "同一框架同一版本" in e.value.reason_zh


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_deltas_add_up_and_antisymmetric(seed0, seed1):
    t0 = score(FW, random_answers(random.Random(seed0)))
    t1 = score(FW, random_answers(random.Random(seed1)))
    r, back = compare(t0, t1), compare(t1, t0)
    assert r.questions["delta"].sum() == pytest.approx(r.delta_total, abs=1e-9)
    assert r.dimensions["delta"].sum() == pytest.approx(r.delta_total, abs=1e-9)
    assert (r.questions["delta"] == -back.questions["delta"]).all()
    assert r.level_change == -back.level_change
    # a condition is closed exactly when T1 meets it; at a higher T1 level all are closed
    if t1.level > t0.level:
        assert r.conditions["closed"].all()
    assert compare(t0, t0).questions["delta"].eq(0).all()
