"""CMMM (GB/T 39116 / 39117): model data, self-check items, scoring, bands, bad input."""

from __future__ import annotations

import math

import pytest

from nqpf.assessment.cmmm import (
    CMMMResult,
    band_level,
    load_cmmm,
    load_cmmm_spec,
    score_cmmm,
)
from nqpf.exceptions import ConfigError, DataValidationError

SPEC = load_cmmm_spec()
SELF = load_cmmm("cmmm-selfcheck")

# A tiny model for hand computation: two domains, three sub-domains, no elements.
TINY_SPEC = """
id: cmmm
name: tiny
document: test
source: test
levels:
  - {level: 1, name: 规划级, gist: g1}
  - {level: 2, name: 规范级, gist: g2}
  - {level: 3, name: 集成级, gist: g3}
  - {level: 4, name: 优化级, gist: g4}
  - {level: 5, name: 引领级, gist: g5}
satisfaction:
  confidence: secondary
  source: test
  values:
    - {label: 全部满足, value: 1}
    - {label: 大部分满足, value: 0.8}
    - {label: 部分满足, value: 0.5}
    - {label: 不满足, value: 0}
aggregation: {confidence: secondary, source: test}
maturity_score: {rule: cumulative, threshold: 0.8, confidence: unverified}
models:
  - version: tiny
    document: test
    confidence: design
    source: test
    bands_confidence: secondary
    domains:
      - id: d1
        name: D1
        weight: 60
        sub_domains:
          - {id: a, name: A, weight: 30}
          - {id: b, name: B, weight: 70}
      - id: d2
        name: D2
        weight: 40
        sub_domains: [{id: c, name: C}]
    bands:
      - {level: 1, lower: 0.8, upper: 1.8}
      - {level: 2, lower: 1.8, upper: 2.8}
      - {level: 3, lower: 2.8, upper: 3.8}
      - {level: 4, lower: 3.8, upper: 4.8}
      - {level: 5, lower: 4.8, upper: 5, upper_closed: true}
"""


def _tiny(tmp_path, per_level=("a1", "a2", "b1", "c1", "c2", "c3")):
    spec_path = tmp_path / "tiny-spec.yaml"
    spec_path.write_text(TINY_SPEC, encoding="utf-8")
    spec = load_cmmm_spec(spec_path)
    lines = [
        "id: tiny-items",
        'version: "1"',
        "name: tiny",
        "official: true",
        "confidence: official",
        "source: test",
        'model: {id: cmmm, version: "tiny"}',
        "items:",
    ]
    for lv in range(1, 6):
        for name in per_level:
            lines.append(f"  - {{id: L{lv}_{name}, level: {lv}, sub_domain: {name[0]}, text: t}}")
    path = tmp_path / "tiny-items.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return spec, load_cmmm(path, spec=spec)


def _all(items, value, levels=range(1, 6)):
    return {i.id: value for i in items.items if i.level in levels}


# -- model data -------------------------------------------------------------------------


def test_2020_structure_counts():
    m = SPEC.model("2020")
    assert [e.name for e in m.elements] == ["人员", "技术", "资源", "制造"]
    assert len(m.domains) == 12 and len(m.sub_domain_ids) == 20
    per_element = {e.name: [d.name for d in m.domains if d.element == e.name] for e in m.elements}
    assert per_element["技术"] == ["数据", "集成", "信息安全"]
    assert len(per_element["制造"]) == 5
    assert [s.name for s in m.domains[8].sub_domains] == [
        "采购", "计划与调度", "生产作业", "设备管理", "安全与环保", "仓储与配送", "能源管理",
    ]  # fmt: skip
    # no 2020 weight is in the reference
    assert all(d.weight is None for d in m.domains)
    assert all(e.weight is None for e in m.elements)
    assert m.bands_confidence == "unverified"


def test_2024_draft_structure_and_weights():
    m = SPEC.model("2024-draft")
    assert m.variants == ("process", "discrete") and m.elements == ()
    assert len(m.domains) == 5 and len(m.sub_domain_ids) == 25
    proc = [d.weight["process"] for d in m.domains]
    disc = [d.weight["discrete"] for d in m.domains]
    assert proc == [7, 24, 4, 42, 23] and disc == [7, 15, 11, 37, 30]
    assert sum(proc) == sum(disc) == 100
    fac = {s.name: s.weight["process"] for s in m.domains[1].sub_domains}
    assert fac == {
        "工厂规划": 12,
        "装备及产线": 35,
        "网络": 12,
        "集成": 12,
        "信息安全": 12,
        "数据": 17,
    }
    prod = [s.weight["process"] for s in m.domains[3].sub_domains]
    assert prod == [13, 18, 15, 15, 13, 13, 13] and sum(prod) == 100
    rnd = {s.name: s.weight for s in m.domains[2].sub_domains}
    assert rnd["产品设计"] is None  # missing in the source (§7 item 4)
    assert sum(s.new for d in m.domains for s in d.sub_domains) == 8
    frame = m.to_frame()
    assert len(frame) == 25 and "domain_weight_discrete" in frame


def test_satisfaction_and_levels():
    assert SPEC.satisfaction_map == {"全部满足": 1, "大部分满足": 0.8, "部分满足": 0.5, "不满足": 0}
    assert [lv.name for lv in SPEC.levels] == ["规划级", "规范级", "集成级", "优化级", "引领级"]
    assert SPEC.maturity_score.confidence == "unverified"


def test_selfcheck_is_marked_non_official():
    assert SELF.official is False and SELF.confidence == "design"
    assert SELF.model.version == "2020"
    assert len(SELF.items) == 200
    cells: dict = {}
    for it in SELF.items:
        cells[(it.level, it.sub_domain)] = cells.get((it.level, it.sub_domain), 0) + 1
    assert len(cells) == 5 * 20 and set(cells.values()) == {2}


# -- hand-computed aggregation ------------------------------------------------------------


def test_aggregation_by_hand(tmp_path):
    spec, items = _tiny(tmp_path)
    answers = _all(items, "全部满足", levels=(1,))
    # level 2: a = (1, 0.5), b = (0.8,), c = (1, 0.8, 0)
    answers.update(
        {"L2_a1": 1, "L2_a2": "部分满足", "L2_b1": "大部分满足", "L2_c1": "全部满足",
         "L2_c2": 0.8, "L2_c3": "不满足"}
    )  # fmt: skip
    answers.update(_all(items, "不满足", levels=(3, 4, 5)))
    res = score_cmmm(items, answers, spec=spec)
    c_a, c_b, c_c = 0.75, 0.8, 0.6
    b1 = c_a * 0.3 + c_b * 0.7  # 0.785
    b2 = c_c  # lone sub-domain
    a2 = 0.6 * b1 + 0.4 * b2  # 0.711
    assert res.sub_domain_scores[(2, "a")] == pytest.approx(c_a)
    assert res.sub_domain_scores[(2, "c")] == pytest.approx(c_c)
    assert res.domain_scores[(2, "D1")] == pytest.approx(b1)
    assert res.level_scores[0] == pytest.approx(1.0)
    assert res.level_scores[1] == pytest.approx(a2)
    assert res.level_scores[2] == 0
    # A2 < 0.8 stops the cumulative sum after level 2: S = 1 + 0.711
    assert res.maturity_score == pytest.approx(1 + a2)
    assert (res.level, res.level_name, res.gate_level, res.next_level) == (1, "规划级", 1, 2)
    assert sorted(u.id for u in res.unmet) == ["L2_a2", "L2_b1", "L2_c2", "L2_c3"]
    assert {u.domain for u in res.unmet} == {"D1", "D2"}
    frame = res.to_frame()
    assert len(frame) == 15
    row = frame[(frame.level == 2) & (frame.sub_domain == "b")].iloc[0]
    assert row.domain_score == pytest.approx(b1) and row.level_score == pytest.approx(a2)
    assert len(res.unmet_frame()) == 4
    assert "成熟度得分 S" in res.summary().as_text()


def test_levels_above_a_failed_level_do_not_count(tmp_path):
    spec, items = _tiny(tmp_path)
    answers = _all(items, 1)
    answers.update(_all(items, 0.5, levels=(2,)))
    res = score_cmmm(items, answers, spec=spec)
    assert res.level_scores == (1, 0.5, 1, 1, 1)
    assert res.maturity_score == 1.5 and res.level == 1 and res.gate_level == 1


@pytest.mark.parametrize(
    ("values", "s", "level"),
    [
        ((0.5, 1, 1, 1, 1), 0.5, 0),  # below 一级
        ((0.8, 0, 0, 0, 0), 0.8, 1),  # lower edge of 一级
        ((1, 0.5, 0, 0, 0), 1.5, 1),
        ((1, 0.8, 0, 0, 0), 1.8, 2),  # lower edge of 二级
        ((0.8, 0.8, 0.8, 0.8, 0.8), 4.0, 4),
        ((1, 1, 1, 1, 0.5), 4.5, 4),
        ((1, 1, 1, 1, 0.8), 4.8, 5),  # lower edge of 五级
        ((1, 1, 1, 1, 1), 5.0, 5),  # upper edge, closed
    ],
)
def test_band_edges_through_scoring(tmp_path, values, s, level):
    spec, items = _tiny(tmp_path)
    answers = {i.id: values[i.level - 1] for i in items.items}
    res = score_cmmm(items, answers, spec=spec)
    assert res.maturity_score == pytest.approx(s)
    assert res.level == level
    assert res.next_level == (None if level == 5 else level + 1)


def test_band_level_edges():
    assert [band_level(x) for x in (0, 0.79, 0.8, 1.79, 1.8, 2.79, 2.8, 3.79, 3.8)] == [
        0, 0, 1, 1, 2, 2, 3, 3, 4,
    ]  # fmt: skip
    assert [band_level(x) for x in (4.79, 4.8, 5)] == [4, 5, 5]
    assert band_level(1.8 - 1e-12) == 2  # float noise of a sum is rounded away
    for bad in (5.01, -0.1, True, "3"):
        with pytest.raises(DataValidationError):
            band_level(bad)


# -- the shipped self-check set with the 2020 model ----------------------------------------


def test_selfcheck_needs_weights_or_fill():
    answers = _all(SELF, "全部满足")
    with pytest.raises(DataValidationError, match=r"能力要素.*fill='equal'"):
        score_cmmm(SELF, answers)
    res = score_cmmm(SELF, answers, fill="equal")
    assert isinstance(res, CMMMResult) and res.level == 5 and res.unmet == ()
    assert any("按等分计" in n for n in res.notes)
    assert any("非官方" in n for n in res.notes)


def test_2020_element_weights_by_hand():
    # only 人员 fully met at level 1, the rest not: A1 = w(人员)
    answers = _all(SELF, "不满足")
    for it in SELF.items:
        if it.level == 1 and it.sub_domain in ("org_strategy", "skills"):
            answers[it.id] = "全部满足"
    w = {"人员": 10, "技术": 20, "资源": 30, "制造": 40}
    res = score_cmmm(SELF, answers, weights=w, fill="equal")
    assert res.level_scores[0] == pytest.approx(0.10)
    assert res.level == 0 and res.level_name == "未达一级"
    # 组织战略 alone at 60 % of 人员: A1 = 0.1 × 0.6
    for it in SELF.items:
        if it.sub_domain == "skills":
            answers[it.id] = "不满足"
    res = score_cmmm(SELF, answers, weights={**w, "组织战略": 60, "人员技能": 40}, fill="equal")
    assert res.level_scores[0] == pytest.approx(0.06)


def test_draft_weights_missing_are_reported(tmp_path):
    lines = [
        "id: draft-items", 'version: "1"', "name: d", "official: false", "confidence: design",
        "source: test", 'model: {id: cmmm, version: "2024-draft"}', "items:",
    ]  # fmt: skip
    m = SPEC.model("2024-draft")
    for lv in range(1, 6):
        for sid in m.sub_domain_ids:
            lines.append(f"  - {{id: {sid}_{lv}, level: {lv}, sub_domain: {sid}, text: t}}")
    path = tmp_path / "draft.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = load_cmmm(path)
    answers = _all(items, "大部分满足")
    with pytest.raises(DataValidationError, match="variant"):
        score_cmmm(items, answers)
    with pytest.raises(DataValidationError, match=r"研发设计.*产品设计"):
        score_cmmm(items, answers, variant="process", fill="equal")
    with pytest.raises(DataValidationError, match="组织战略"):
        score_cmmm(items, answers, variant="process", weights={"研发设计/产品设计": 0})
    res = score_cmmm(
        items, answers, variant="process", weights={"研发设计/产品设计": 0}, fill="equal"
    )
    assert res.level_scores == pytest.approx((0.8,) * 5)
    assert res.maturity_score == pytest.approx(4.0) and res.level == 4
    # 离散型: the domain weights are given, no sub-domain weight is
    with pytest.raises(DataValidationError, match=r"组织战略.*variant discrete"):
        score_cmmm(items, answers, variant="discrete")
    res = score_cmmm(items, answers, variant="discrete", fill="equal")
    assert "能力域 工厂建设 的子域" in res.notes[0] and "能力域 (" not in res.notes[0]
    with pytest.raises(DataValidationError, match="add up to 90"):
        score_cmmm(
            items, answers, variant="process", fill="equal",
            weights={"研发设计/产品设计": 0, "研发设计/产品创新": 40},
        )  # fmt: skip


# -- bad input --------------------------------------------------------------------------


def test_bad_answers_name_the_item():
    answers = _all(SELF, "全部满足")
    bad = dict(answers, org_strategy_1a="maybe")
    with pytest.raises(DataValidationError, match="org_strategy_1a") as err:
        score_cmmm(SELF, bad, fill="equal")
    assert err.value.field == "org_strategy_1a"
    assert err.value.reason_zh == (
        "要求 org_strategy_1a 的满足程度应为 全部满足、大部分满足、部分满足、不满足 之一"
        "（或 1 / 0.8 / 0.5 / 0），收到 'maybe'"
    )
    for value in (0.7, True, None, 2):
        with pytest.raises(DataValidationError, match="skills_3b"):
            score_cmmm(SELF, dict(answers, skills_3b=value), fill="equal")
    missing = dict(answers)
    del missing["energy_5a"]
    with pytest.raises(DataValidationError, match=r"1 item.*not answered: energy_5a") as err:
        score_cmmm(SELF, missing, fill="equal")
    assert err.value.reason_zh == "1 项要求缺少答案：energy_5a"
    with pytest.raises(DataValidationError, match=r"unknown item 'energy_5c'.*energy_5"):
        score_cmmm(SELF, dict(answers, energy_5c=1), fill="equal")
    with pytest.raises(DataValidationError, match="unknown weight key '人 员'"):
        score_cmmm(SELF, answers, weights={"人 员": 10}, fill="equal")
    with pytest.raises(DataValidationError, match="no weight variants"):
        score_cmmm(SELF, answers, variant="process", fill="equal")
    # numbers given as text (from a CSV) are accepted
    res = score_cmmm(SELF, dict(answers, skills_3b="0.8"), fill="equal")
    assert res.answers["skills_3b"] == 0.8


def test_bad_item_files(tmp_path):
    head = 'id: x\nversion: "1"\nname: x\nofficial: false\nconfidence: design\nsource: s\n'
    head += 'model: {id: cmmm, version: "2020"}\nitems:\n'
    p = tmp_path / "a.yaml"
    p.write_text(head + "  - {id: i1, level: 1, sub_domain: org_strategy, text: t}\n"
                 "  - {id: i2, level: 1, sub_domain: logistcs, text: t}\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError, match=r"line 10.*i2.*logistcs.*did you mean 'logistics'"):
        load_cmmm(p)
    p.write_text(head + "  - {id: i1, level: 6, sub_domain: data, text: t}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_cmmm(p)
    assert err.value.line == 9 and err.value.field == "items[0].level"
    p.write_text(head.replace("confidence: design", "confidence: official")
                 + "  - {id: i1, level: 1, sub_domain: data, text: t}\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError, match="non-official"):
        load_cmmm(p)
    p.write_text(head.replace('"2020"', '"2030"')
                 + "  - {id: i1, level: 1, sub_domain: data, text: t}\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError, match="2030"):
        load_cmmm(p)
    with pytest.raises(ConfigError, match="unknown id 'cmmm-official'"):
        load_cmmm("cmmm-official")
    with pytest.raises(ConfigError, match="file not found"):
        load_cmmm(tmp_path / "nowhere.yaml")


def test_result_is_frozen_and_nan_free():
    res = score_cmmm(SELF, _all(SELF, "部分满足"), fill="equal")
    assert res.maturity_score == 0.5 and res.level == 0 and res.next_level == 1
    assert len(res.unmet) == 40  # every level-1 item is only partly met
    assert not any(math.isnan(a) for a in res.level_scores)
    with pytest.raises(AttributeError):
        res.level = 3  # type: ignore[misc]
