"""The weighted score: reasons that name what was used, transparency, and monotonicity."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.exceptions import DataValidationError, NotFittedError
from nqpf.matching import COMPONENTS, MatchIndex, load_weights, rank

W = load_weights()
NO_CAP = W.model_copy(update={"results": W.results.model_copy(update={"max_per_provider": None})})
AS_OF = dt.date(2026, 1, 1)


def test_reasons_name_the_scene_industry_facts_and_price(solution, need, facts, tokenizer):
    s = solution(
        prerequisites=[
            {"fact": "equipment_network_rate", "op": ">=", "value": 20, "unit": "%"},
            {"fact": "has_erp", "op": "==", "value": True},
        ],
        evidence=[{"industry": "C3512", "kpis": [{"name": "停机时间降低", "value": 30, "unit": "%"}]},
                  {"industry": "C3599", "kpis": [{"name": "OEE提升", "value": 8, "unit": "%"}]},
                  {"industry": "C1311", "kpis": [{"name": "OEE提升", "value": 5, "unit": "%"}]}],
        sizes=["small"],
    )  # fmt: skip
    index = MatchIndex(tokenizer=tokenizer).fit([s])
    result = index.rank(need(budget_max=50, deadline="2026-06-30"), facts, as_of=AS_OF)
    reasons = result.matches[0].reasons
    assert reasons[0] == "匹配场景：设备管理（二级→三级），方案覆盖二级→三级"
    assert "行业匹配：同大类（企业 C3511，方案 C35）；同行业案例 2 个" in reasons
    assert "前提条件满足：设备联网率 25 %（需 ≥ 20 %）；已应用 ERP 类经营管理系统" in reasons
    assert "报价 10–30 万元，在预算内（上限 50 万元）" in reasons
    assert "交付 8 周，可在截止日期前交付（距截止 26 周）" in reasons
    assert "适用小型企业" in reasons and "服务商评级 4 星" in reasons
    assert any(r.startswith("文本相关：命中 ") and "预测性维护" in r for r in reasons)


def test_without_facts_prerequisites_are_listed_as_unchecked(solution, need, tokenizer):
    s = solution(prerequisites=[{"fact": "equipment_network_rate", "op": ">=", "value": 40}])
    result = MatchIndex(tokenizer=tokenizer).fit([s]).rank(need())
    assert "前提条件未核验（未提供评测结果）：设备联网率 ≥ 40 %" in result.matches[0].reasons
    assert result.matches[0].components["prerequisite_margin"] == pytest.approx(
        W.prerequisites.unverified / W.prerequisites.margin_full
        if W.prerequisites.unverified < W.prerequisites.margin_full else 1.0
    )  # fmt: skip
    assert "未提供评测结果：前提条件未核验。" in result.notes


def test_crosswalk_and_late_start_are_said(solution, need, tokenizer):
    s = solution(scenes=[{"scene": "设备故障诊断与预测", "from_level": 3, "to_level": 4}])
    reasons = MatchIndex(tokenizer=tokenizer).fit([s]).rank(need()).matches[0].reasons
    assert reasons[0].startswith("对照匹配：设备管理 ↔ 典型场景 28 设备故障诊断与预测（三级→四级）")
    assert reasons[1] == "方案从三级起步，需先达到三级"


def test_components_that_do_not_apply_are_left_out(solution, need, tokenizer):
    index = MatchIndex(tokenizer=tokenizer).fit([solution()])
    bare = index.rank(need(industry=None, size_class=None, text=""))
    assert set(bare.applicable) == set(COMPONENTS) - {"industry", "size", "price"}
    full = index.rank(need(budget_max=40))
    assert set(full.applicable) == set(COMPONENTS)
    for m in (*bare.matches, *full.matches):
        assert 0 <= m.score <= 100 and all(0 <= v <= 1 for v in m.components.values())


def test_score_is_the_weighted_mean_of_the_components(synthetic_index, need, facts):
    result = synthetic_index.rank(need(budget_max=60), facts, top=5)
    shares = W.components
    for m in result.matches:
        total = sum(getattr(shares, k) for k in m.components)
        expected = 100 * sum(getattr(shares, k) * v for k, v in m.components.items()) / total
        assert m.score == pytest.approx(expected, abs=0.06)


def test_matches_are_sorted_and_ties_go_by_id(solution, need, tokenizer):
    twins = [solution(id=i, provider_id=f"P{i}") for i in ("S3", "S1", "S2")]
    result = MatchIndex(tokenizer=tokenizer).fit(twins).rank(need())
    assert [m.solution_id for m in result.matches] == ["S1", "S2", "S3"]
    assert [m.rank for m in result.matches] == [1, 2, 3]


def test_one_provider_fills_at_most_the_cap(solution, need, tokenizer):
    same = [solution(id=f"S{i}", provider_id="P1") for i in range(5)]
    other = [solution(id="T1", provider_id="P2", provider_rating=1.0)]
    index = MatchIndex(tokenizer=tokenizer).fit(same + other)
    capped = index.rank(need())
    assert [m.provider_id for m in capped.matches] == ["P1"] * 3 + ["P2"]
    assert len(index.rank(need(), weights=NO_CAP).matches) == 6


def test_words_count(solution, need, tokenizer):
    index = MatchIndex(tokenizer=tokenizer).fit(
        [
            solution(id="A", description="财务报表"),
            solution(id="B", description="振动监测，预知维护"),
        ]
    )
    result = index.rank(need(text="预测性维护"))
    assert [m.solution_id for m in result.matches] == ["B", "A"]
    assert result.matches[0].components["text"] == 1.0


def test_result_views(synthetic_index, need, facts):
    result = synthetic_index.rank(need(budget_max=60), facts, top=4)
    frame = result.to_frame()
    assert list(frame.columns) == ["rank", "solution_id", "name", "provider_id", "provider_name",
                                   "score", *COMPONENTS, "reasons"]  # fmt: skip
    assert len(frame) == len(result.matches)
    assert isinstance(result.near_misses_frame(), pd.DataFrame)
    text = result.summary().as_text()
    assert "技术匹配 设备管理（二级→三级）" in text and "nqpf-matching-weights@1" in text
    doc = result.to_dict()
    assert set(doc) == {"need", "matches", "near_misses", "catalogue_size", "passed", "excluded",
                        "facts_used", "weights", "as_of"}  # fmt: skip
    assert set(doc["matches"][0]) == {"rank", "solution_id", "name", "provider_id", "score",
                                      "components", "reasons"}  # fmt: skip


def test_refit_on_a_changed_catalogue(synthetic, tokenizer, need):
    index = MatchIndex(tokenizer=tokenizer).fit(synthetic[:150])
    index.fit(synthetic[50:])
    fresh = MatchIndex(tokenizer=tokenizer).fit(synthetic[50:])
    a, b = index.rank(need(), top=10), fresh.rank(need(), top=10)
    assert [m.solution_id for m in a.matches] == [m.solution_id for m in b.matches]
    assert [m.score for m in a.matches] == [m.score for m in b.matches]
    assert len(index._token_cache) == 150  # texts no longer in the catalogue are dropped


def test_rank_builds_an_index_or_reuses_one(synthetic, synthetic_index, need):
    a = rank(need(), synthetic, top=3, as_of=AS_OF)
    b = rank(need(), synthetic_index, top=3, as_of=AS_OF)
    assert [m.solution_id for m in a.matches] == [m.solution_id for m in b.matches]


def test_misuse(solution, need, tokenizer):
    with pytest.raises(NotFittedError):
        MatchIndex().rank(need())
    with pytest.raises(DataValidationError, match="given twice"):
        MatchIndex(tokenizer=tokenizer).fit([solution(), solution()])
    with pytest.raises(DataValidationError, match="not a Solution"):
        MatchIndex(tokenizer=tokenizer).fit([{"id": "S1"}])
    with pytest.raises(DataValidationError) as info:
        MatchIndex(tokenizer=tokenizer).fit([solution()]).rank({"enterprise_id": "E"})
    assert info.value.field == "scene"


def test_empty_catalogue(need, tokenizer):
    result = MatchIndex(tokenizer=tokenizer).fit([]).rank(need())
    assert result.matches == () and result.catalogue_size == 0


# -- monotonicity ----------------------------------------------------------------------------
#: conditions of the need (1→4 on 设备管理) a solution may meet: the scene conditions shape
#: its one lift (direct or through the crosswalk, reaching 四级 or 三级, starting at 一级
#: or 二级), the others are (fields if met, fields if not)
SCENE_CONDITIONS = ("direct_scene", "reaches_target", "starts_at_current")
CONDITIONS = {
    "industry_class": ({"industries": ["C3511"]}, {"industries": ["C35"]}),
    "size": ({"sizes": ["small"]}, {"sizes": ["large"]}),
    "within_budget": ({"price_max": 30}, {"price_max": 60}),
    "by_deadline": ({"delivery_weeks": 8}, {"delivery_weeks": 40}),
    "addresses": ({"improves": ["equipment_network_rate"]}, {}),
    "cases": ({"evidence": [{"industry": "C3512", "kpis": [{"name": "OEE提升", "value": 8, "unit": "%"}]}]}, {}),
    "prerequisite_margin": ({"prerequisites": [{"fact": "equipment_network_rate", "op": ">=", "value": 0}]},
                            {"prerequisites": [{"fact": "equipment_network_rate", "op": ">=", "value": 20}]}),
}  # fmt: skip
ALL = sorted((*SCENE_CONDITIONS, *CONDITIONS))


def _fields(met: frozenset[str]) -> dict:
    lift = {
        "scene": "scene_equipment" if "direct_scene" in met else "设备故障诊断与预测",
        "from_level": 1 if "starts_at_current" in met else 2,
        "to_level": 4 if "reaches_target" in met else 3,
    }
    fields: dict = {"scenes": [lift], "price_min": 10}
    for name, (yes, no) in CONDITIONS.items():
        fields.update(yes if name in met else no)
    return fields


@settings(max_examples=40, deadline=None)
@given(
    subset=st.frozensets(st.sampled_from(ALL)),
    extra=st.frozensets(st.sampled_from(ALL), min_size=1),
)
def test_meeting_more_conditions_never_ranks_lower(subset, extra, solution, need, facts, tokenizer):
    superset = subset | extra
    a = solution(id="S-a", provider_id="P-a", **_fields(subset))
    b = solution(id="S-b", provider_id="P-b", **_fields(superset))
    index = MatchIndex(weights=NO_CAP, tokenizer=tokenizer).fit([a, b])
    the_need = need(current_level=1, target_level=4, budget_max=40, deadline="2026-05-01",
                    addresses=["equipment_network_rate"])  # fmt: skip
    result = index.rank(the_need, facts, as_of=AS_OF)
    order = [m.solution_id for m in result.matches]
    assert set(order) == {"S-a", "S-b"}
    score = {m.solution_id: m.score for m in result.matches}
    assert score["S-b"] >= score["S-a"]
    if superset != subset:
        # S-a wins a tie by id, so S-b first means a strictly higher score
        assert order == ["S-b", "S-a"]
