"""优质中小企业梯度培育 rules (quality-sme-2022 / -2026): thresholds at their edges."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pandas as pd
import pytest

from nqpf.assessment.quality_sme_tiers import (
    QualitySmeRules,
    assess_innovative,
    assess_little_giant,
    assess_specialized,
    load_quality_sme,
    rule_version_for,
)
from nqpf.assessment.schema import parse_rule_model
from nqpf.exceptions import ConfigError, DataValidationError

NO_DIRECT = {
    "近三年国家级或省级科技奖励": False,
    "有效高新技术企业等资质": False,
    "省部级以上研发机构": False,
    "近三年新增股权融资": 0,
}
# 创新能力 10+15=25, 成长性 15+10=25, 专业化 10+15=25 → 75
INNOV = {
    **NO_DIRECT,
    "主导产品有效知识产权": "Ⅰ类",
    "研发费用占比": 3,
    "主营业务收入增长率": 10,
    "资产负债率": 50,
    "主导产品属战略性新兴产业": True,
    "主营收入占比": 60,
}


def points(result, item_id):
    return next(i.points for i in result.items if i.id == item_id)


def cond(result, cid):
    for top in result.conditions:
        for _, c in top.walk():
            if c.id == cid:
                return c
    raise KeyError(cid)


# -- files -------------------------------------------------------------------------------


def test_rule_files_load_and_declare_source():
    r22, r26 = load_quality_sme("2022"), load_quality_sme("2026")
    assert (r22.version, r26.version) == ("2022", "2026")
    assert r22.confidence == r26.confidence == "secondary"
    assert set(r22.tiers) == {"innovative", "specialized", "little_giant"}
    assert set(r26.tiers) == {"innovative", "specialized"}
    assert r26.effective_from == dt.date(2026, 4, 1)
    assert r22.tiers["innovative"].total_points == 100
    # the 13-indicator 专精特新 score: 6 banded items + 7 without bands in the reference
    sp = r22.tiers["specialized"]
    assert len(sp.items) + len(sp.missing_items) == 13
    assert sum(i.max_points for i in sp.items) == 35


def test_unknown_version():
    with pytest.raises(ConfigError, match="2023"):
        load_quality_sme("2023")


def test_rule_version_for_dates():
    assert rule_version_for(dt.date(2025, 6, 1)) == "2022"
    assert rule_version_for(dt.date(2026, 3, 31)) == "2022"
    assert rule_version_for(dt.date(2026, 4, 1)) == "2026"
    assert rule_version_for(dt.date(2020, 1, 1)) == "2022"  # no start date in the reference
    assert load_quality_sme("2022").effective_from is None


def test_malformed_rule_file_names_key_and_line():
    text = (
        resources.files("nqpf.assessment")
        .joinpath("frameworks/quality-sme-2022.yaml")
        .read_text("utf-8")
    )
    bad = text.replace("{ge: 5, points: 20}", "{ge: 5, points: lots}", 1)
    with pytest.raises(ConfigError) as err:
        parse_rule_model(bad, QualitySmeRules, filename="bad.yaml")
    assert err.value.line == next(i + 1 for i, s in enumerate(bad.splitlines()) if "lots" in s)
    assert "bands[0].points" in err.value.field
    bad = text.replace("fact: 研发费用占比\n", "fact: 研发费用占比X\n", 1)
    with pytest.raises(ConfigError, match="unknown fact '研发费用占比X'"):
        parse_rule_model(bad, QualitySmeRules, filename="bad.yaml")
    bad = text.replace("{Ⅰ类高价值: 20, 自主研发Ⅰ类: 15,", "{Ⅰ类高价值: 20,", 1)
    with pytest.raises(ConfigError, match="choices must give points") as err:
        parse_rule_model(bad, QualitySmeRules, filename="bad.yaml")
    assert err.value.field.endswith("items[0].choices")
    bad = text.replace('op: ">=", value: 500,', 'op: ">=", value: true,', 1)
    with pytest.raises(ConfigError, match="is a number") as err:
        parse_rule_model(bad, QualitySmeRules, filename="bad.yaml")
    assert err.value.field.endswith("value")


# -- 创新型 ----------------------------------------------------------------------------------


def test_innovative_base_score():
    r = assess_innovative(INNOV)
    assert r.score == r.score_max == 75
    assert r.part_scores == {"创新能力": (25, 25), "成长性": (25, 25), "专业化": (25, 25)}
    assert r.passed is True and r.complete
    assert cond(r, "direct").status == "unmet"
    assert cond(r, "score").status == "met"


@pytest.mark.parametrize(
    ("key", "item", "value", "expected"),
    [
        ("研发费用占比", "rd_share", 5, 20),
        ("研发费用占比", "rd_share", 4.999, 15),
        ("研发费用占比", "rd_share", 3, 15),
        ("研发费用占比", "rd_share", 2.999, 10),
        ("研发费用占比", "rd_share", 2, 10),
        ("研发费用占比", "rd_share", 1, 5),
        ("研发费用占比", "rd_share", 0.999, 0),
        ("主营业务收入增长率", "revenue_growth", 15, 20),
        ("主营业务收入增长率", "revenue_growth", 14.99, 15),
        ("主营业务收入增长率", "revenue_growth", 10, 15),
        ("主营业务收入增长率", "revenue_growth", 5, 10),
        ("主营业务收入增长率", "revenue_growth", 0, 5),
        ("主营业务收入增长率", "revenue_growth", -0.01, 0),
        ("资产负债率", "debt_ratio", 55, 10),
        ("资产负债率", "debt_ratio", 55.01, 5),
        ("资产负债率", "debt_ratio", 75, 5),
        ("资产负债率", "debt_ratio", 75.01, 0),
        ("资产负债率", "debt_ratio", 120, 0),
        ("主营收入占比", "main_share", 70, 20),
        ("主营收入占比", "main_share", 69.99, 15),
        ("主营收入占比", "main_share", 60, 15),
        ("主营收入占比", "main_share", 55, 10),
        ("主营收入占比", "main_share", 50, 5),
        ("主营收入占比", "main_share", 49.99, 0),
        ("主导产品有效知识产权", "ip", "Ⅰ类高价值", 20),
        ("主导产品有效知识产权", "ip", "自主研发Ⅰ类", 15),
        ("主导产品有效知识产权", "ip", "Ⅰ类", 10),
        ("主导产品有效知识产权", "ip", "Ⅱ类", 5),
        ("主导产品有效知识产权", "ip", "无", 0),
        ("主导产品属战略性新兴产业", "field", True, 10),
        ("主导产品属战略性新兴产业", "field", False, 5),
    ],
)
def test_innovative_bands_boundary_takes_higher_band(key, item, value, expected):
    assert points(assess_innovative({**INNOV, key: value}), item) == expected


def test_innovative_total_60_edge():
    # 创新能力 10+10=20, 成长性 5+10=15, 专业化 10+15=25 → exactly 60 with every part at its floor
    base = {**INNOV, "研发费用占比": 2, "主营业务收入增长率": 0, "主营收入占比": 60}
    r = assess_innovative(base)
    assert r.score == 60 and r.passed is True
    r = assess_innovative({**base, "主营收入占比": 59.99})  # 专业化 20 → total 55
    assert r.score == 55 and r.passed is False
    assert cond(r, "total").status == "unmet"
    assert any("未满足" in x for x in r.reasons)


@pytest.mark.parametrize(
    ("changes", "part", "status"),
    [
        # 创新能力 just met (20) / just missed (15), others full
        ({"主导产品有效知识产权": "Ⅰ类", "研发费用占比": 2}, "innovation", "met"),
        ({"主导产品有效知识产权": "Ⅱ类", "研发费用占比": 2}, "innovation", "unmet"),
        # 成长性 15 / 10
        ({"主营业务收入增长率": 0, "资产负债率": 55}, "growth", "met"),
        ({"主营业务收入增长率": 0, "资产负债率": 55.5}, "growth", "unmet"),
        # 专业化 15 / 10
        ({"主导产品属战略性新兴产业": True, "主营收入占比": 50}, "specialization", "met"),
        ({"主导产品属战略性新兴产业": False, "主营收入占比": 50}, "specialization", "unmet"),
    ],
)
def test_innovative_part_sub_thresholds(changes, part, status):
    full = {
        **NO_DIRECT,
        "主导产品有效知识产权": "Ⅰ类高价值",
        "研发费用占比": 5,
        "主营业务收入增长率": 15,
        "资产负债率": 55,
        "主导产品属战略性新兴产业": True,
        "主营收入占比": 70,
    }
    r = assess_innovative({**full, **changes})
    assert r.score >= 60
    assert cond(r, part).status == status
    assert r.passed is (status == "met")


@pytest.mark.parametrize(
    "direct",
    [
        {"近三年国家级或省级科技奖励": True},
        {"有效高新技术企业等资质": True},
        {"省部级以上研发机构": True},
        {"近三年新增股权融资": 500},
    ],
)
def test_innovative_direct_pass_despite_low_score(direct):
    low = {**INNOV, "研发费用占比": 0, "主营收入占比": 0, "主导产品有效知识产权": "无"}
    assert assess_innovative(low).passed is False
    r = assess_innovative({**low, **direct})
    assert r.passed is True and r.status == "met"
    assert cond(r, "direct").status == "met"


def test_innovative_equity_edge():
    assert cond(assess_innovative({"近三年新增股权融资": 500}), "equity").status == "met"
    r = assess_innovative({"近三年新增股权融资": 499.99})
    assert cond(r, "equity").status == "unmet"
    assert r.status == "unknown" and r.passed is None and not r.complete


def test_innovative_unknown_score_is_an_interval():
    r = assess_innovative({**NO_DIRECT, "主导产品有效知识产权": "Ⅰ类高价值", "研发费用占比": 5})
    assert (r.score, r.score_max) == (40, 100)
    assert r.status == "unknown"
    assert any("主营业务收入增长率" in x or "增长率" in x for x in r.not_evaluated)
    # already hopeless: 创新能力 0 whatever the rest
    r = assess_innovative({**NO_DIRECT, "主导产品有效知识产权": "无", "研发费用占比": 0})
    assert r.status == "unmet"


def test_innovative_same_rule_2022_and_2026():
    r22, r26 = assess_innovative(INNOV), assess_innovative(INNOV, version="2026")
    assert r22.score == r26.score == 75
    assert r22.name == "创新型中小企业"
    assert r26.name == "科技和创新型中小企业" and r26.confidence == "secondary"
    assert r26.notes and "第三十条" in r26.notes[0]


# -- 专精特新 --------------------------------------------------------------------------------

SPEC22 = {
    "细分市场年限": 2,
    "上年度研发费用": 100,
    "研发费用占比": 3,
    "营业收入": 1000,
    "专精特新评价得分": 60,
}


def test_specialized_2022_all_met_but_incomplete():
    r = assess_specialized(SPEC22)
    assert r.passed is True
    assert r.complete is False  # 65 of 100 points have no bands in the reference
    assert sum("bands not obtained" in x for x in r.not_evaluated) == 6
    assert any("地方特色" in x for x in r.not_evaluated)
    missing = [i for i in r.items if not i.evaluable]
    assert len(missing) == 7 and sum(i.max_points for i in missing) == 65


@pytest.mark.parametrize(
    ("changes", "cid", "status"),
    [
        ({"细分市场年限": 1.99}, "market_years", "unmet"),
        ({"上年度研发费用": 99.99}, "rd", "unmet"),
        ({"研发费用占比": 2.99}, "rd", "unmet"),
        ({"营业收入": 999.99}, "revenue", "unknown"),
        ({"营业收入": 999.99, "近两年新增股权融资": 2000}, "revenue", "met"),
        ({"营业收入": 999.99, "近两年新增股权融资": 1999.99}, "revenue", "unmet"),
        ({"专精特新评价得分": 59.99}, "score_or_direct", "unknown"),
        (
            {"专精特新评价得分": 59.99, "近三年省级科技奖前三或国家级前五": True},
            "score_or_direct",
            "met",
        ),
        ({"专精特新评价得分": 59.99, "近两年研发费用均值": 1000}, "score_or_direct", "met"),
        ({"专精特新评价得分": 59.99, "近两年新增股权融资": 6000}, "score_or_direct", "met"),
        ({"专精特新评价得分": 59.99, "近三年创客中国全国500强": True}, "score_or_direct", "met"),
        (
            {
                "专精特新评价得分": 59.99,
                "近三年省级科技奖前三或国家级前五": False,
                "近两年研发费用均值": 999.99,
                "近两年新增股权融资": 5999.99,
                "近三年创客中国全国500强": False,
            },
            "score_or_direct",
            "unmet",
        ),
    ],
)
def test_specialized_2022_edges(changes, cid, status):
    r = assess_specialized({**SPEC22, **changes})
    assert cond(r, cid).status == status
    if status == "unmet":
        assert r.passed is False


def test_specialized_2022_score_unknown_without_official_score():
    facts = {k: v for k, v in SPEC22.items() if k != "专精特新评价得分"}
    r = assess_specialized(facts)
    assert cond(r, "score").status == "unknown"
    assert r.status == "unknown" and r.passed is None


@pytest.mark.parametrize(
    ("key", "item", "value", "expected", "confidence"),
    [
        ("主营收入占比", "main_share", 80, 5, None),
        ("主营收入占比", "main_share", 79.99, 3, None),
        ("主营收入占比", "main_share", 60, 1, None),
        ("主营收入占比", "main_share", 59.99, 0, None),
        ("近两年主营收入平均增长率", "growth", 10, 10, None),
        ("近两年主营收入平均增长率", "growth", 9.99, 8, None),
        ("近两年主营收入平均增长率", "growth", 0, 2, None),
        ("近两年主营收入平均增长率", "growth", -0.01, 0, None),
        ("细分市场年限", "market_years", 10, 5, None),
        ("细分市场年限", "market_years", 9.99, 4, None),
        ("细分市场年限", "market_years", 2, 1, None),
        ("细分市场年限", "market_years", 1.99, 0, None),
        ("主导产品领域类别", "field", "补短板锻长板填空白", 5, None),
        ("主导产品领域类别", "field", "工业六基中华老字号服务龙头企业", 3, None),
        ("主导产品领域类别", "field", "其他", 0, None),
        ("数字化水平等级", "digital", 3, 5, None),
        ("数字化水平等级", "digital", 2, 3, "unverified"),
        ("数字化水平等级", "digital", 1, 0, "unverified"),
        ("质量管理水平项数", "quality", 1, 3, None),
        ("质量管理水平项数", "quality", 2, 5, None),
    ],
)
def test_specialized_2022_known_score_items(key, item, value, expected, confidence):
    r = assess_specialized({key: value})
    it = next(i for i in r.items if i.id == item)
    assert it.points == expected
    assert it.confidence == confidence


def test_specialized_2026_conditions():
    base = {
        "细分市场年限": 3,
        "营业收入": 1500,
        "主营收入占比": 80,
        "资产负债率": 80,
        "近两年研发费用最低值": 100,
        "近两年研发费用占比最低值": 3,
        "Ⅰ类知识产权数": 1,
        "市场占有率较为靠前": True,
        "专精特新发展评价得分": 50,
        "近两年新增股权融资": 0,
        "省部级科技奖前三": False,
        "省部级以上研发机构": False,
    }
    r = assess_specialized(base, version="2026")
    assert r.passed is True and r.complete is False
    assert any("75号" in x for x in r.not_evaluated)
    for key, value, cid in [
        ("细分市场年限", 2.99, "market_years"),
        ("营业收入", 1499.99, "revenue"),
        ("主营收入占比", 79.99, "main_share"),
        ("资产负债率", 80.01, "debt_ratio"),
        ("近两年研发费用最低值", 99.99, "rd"),
        ("近两年研发费用占比最低值", 2.99, "rd"),
        ("Ⅰ类知识产权数", 0, "ip"),
        ("市场占有率较为靠前", False, "market_rank"),
        ("专精特新发展评价得分", 49.99, "score"),
    ]:
        r = assess_specialized({**base, key: value}, version="2026")
        assert r.passed is False, key
        assert cond(r, cid).status == "unmet", key
    # equity path and IP waivers
    assert assess_specialized(
        {**base, "营业收入": 100, "近两年新增股权融资": 2000}, version="2026"
    ).passed
    assert assess_specialized(
        {**base, "Ⅰ类知识产权数": 0, "省部级科技奖前三": True}, version="2026"
    ).passed
    assert assess_specialized(
        {**base, "Ⅰ类知识产权数": 0, "省部级以上研发机构": True}, version="2026"
    ).passed


def test_specialized_2022_vs_2026_differ():
    facts22 = {**SPEC22, "细分市场年限": 2.5, "营业收入": 1200}
    assert assess_specialized(facts22).passed is True
    facts26 = {
        "细分市场年限": 2.5,
        "营业收入": 1200,
        "主营收入占比": 90,
        "资产负债率": 10,
        "近两年研发费用最低值": 200,
        "近两年研发费用占比最低值": 5,
        "Ⅰ类知识产权数": 3,
        "市场占有率较为靠前": True,
        "专精特新发展评价得分": 90,
    }
    r = assess_specialized(facts26, version="2026")
    assert r.passed is False
    assert cond(r, "market_years").status == "unmet"  # 3 years in 2026, 2 in 2022
    assert cond(r, "revenue").status == "unknown"  # 1500万 in 2026, 1000万 in 2022
    # a 2022-only fact is unknown to the 2026 rules
    with pytest.raises(DataValidationError) as err:
        assess_specialized({"专精特新评价得分": 70}, version="2026")
    assert err.value.field == "专精特新评价得分"


# -- 小巨人 ----------------------------------------------------------------------------------

GIANT = {
    "已认定省级专精特新": True,
    "细分市场年限": 3,
    "主营收入占比": 70,
    "近两年主营收入平均增长率": 5,
    "治理规范": True,
    "信息系统支撑核心业务数": 1,
    "管理体系或发达国家产品认证": True,
    "资产负债率": 70,
    "主导产品全国细分市场占有率": 10,
    "自主品牌": True,
    "营业收入": 10000,
    "近两年研发费用占比最低值": 3,
    "自建或合作研发机构": True,
    "主导产品相关Ⅰ类知识产权数": 2,
    "补短板锻长板填空白": True,
    "主导产品属核心基础领域": True,
}


def test_little_giant_all_met_at_edges():
    r = assess_little_giant(GIANT)
    assert r.passed is True and r.complete is True
    assert [c.group for c in r.conditions] == ["前提", "专", "精", "特", "新", "链", "品"]
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame) and (frame["kind"] == "condition").all()
    assert "小巨人" in r.summary().as_text()


@pytest.mark.parametrize(
    ("key", "value", "group"),
    [
        ("已认定省级专精特新", False, "prerequisite"),
        ("细分市场年限", 2.99, "zhuan"),
        ("主营收入占比", 69.99, "zhuan"),
        ("近两年主营收入平均增长率", 4.99, "zhuan"),
        ("治理规范", False, "jing"),
        ("信息系统支撑核心业务数", 0, "jing"),
        ("管理体系或发达国家产品认证", False, "jing"),
        ("资产负债率", 70.01, "jing"),
        ("主导产品全国细分市场占有率", 9.99, "te"),
        ("自主品牌", False, "te"),
        ("近两年研发费用占比最低值", 2.99, "xin"),
        ("自建或合作研发机构", False, "xin"),
        ("主导产品相关Ⅰ类知识产权数", 1, "xin"),
        ("补短板锻长板填空白", False, "lian"),
        ("主导产品属核心基础领域", False, "pin"),
    ],
)
def test_little_giant_each_condition_just_missed(key, value, group):
    facts = {**GIANT, key: value}
    if group == "xin":
        facts |= {"近三年国家级科技奖前五": False, "近三年创客中国全国50强": False}
    if group == "lian":
        facts["龙头企业配套"] = False
    if group == "pin":
        facts |= {"主导产品属十大重点产业领域": False, "主导产品属网络强国相关领域": False}
    r = assess_little_giant(facts)
    assert r.passed is False
    assert cond(r, group).status == "unmet"


def test_little_giant_rd_by_revenue_bands():
    mid = {**GIANT, "营业收入": 9999.99, "近两年研发费用占比最低值": 5.99}
    mid |= {"近三年国家级科技奖前五": False, "近三年创客中国全国50强": False}
    assert cond(assess_little_giant(mid), "rd_by_revenue").status == "unmet"
    assert assess_little_giant({**mid, "近两年研发费用占比最低值": 6}).passed is True
    assert assess_little_giant({**mid, "营业收入": 5000, "近两年研发费用占比最低值": 6}).passed
    small = {
        **mid,
        "营业收入": 4999.99,
        "近两年新增股权融资": 8000,
        "研发投入经费": 3000,
        "研发人员占比": 50,
    }
    assert assess_little_giant(small).passed is True
    for key, value in [
        ("近两年新增股权融资", 7999),
        ("研发投入经费", 2999),
        ("研发人员占比", 49.9),
    ]:
        assert assess_little_giant({**small, key: value}).passed is False, key


def test_little_giant_innovation_direct_pass_and_alternatives():
    weak = {**GIANT, "主导产品相关Ⅰ类知识产权数": 0, "近三年创客中国全国50强": False}
    assert assess_little_giant({**weak, "近三年国家级科技奖前五": False}).passed is False
    r = assess_little_giant({**weak, "近三年国家级科技奖前五": True})
    assert r.passed is True
    assert cond(r, "direct").confidence == "unverified"
    # 链 via supplying a 龙头企业; 品 via 网络强国
    alt = {**GIANT, "补短板锻长板填空白": False, "龙头企业配套": True}
    alt |= {"主导产品属核心基础领域": False, "主导产品属网络强国相关领域": True}
    assert assess_little_giant(alt).passed is True


def test_little_giant_not_in_2026_rules():
    with pytest.raises(ConfigError, match="little_giant"):
        assess_little_giant(GIANT, version="2026")


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("营业收入", -1, "out of range"),
        ("研发费用占比", 100.01, "out of range"),
        ("主营收入占比", -0.1, "out of range"),
        ("主营业务收入增长率", -101, "out of range"),
        ("营业收入", "1000", "expected a number"),
        ("营业收入", True, "expected a number"),
        ("营业收入", float("nan"), "finite"),
        ("自主品牌", 1, "true/false"),
        ("主导产品有效知识产权", "I类", "expected one of"),
        ("数字化水平等级", 2.5, "whole number"),
        ("数字化水平等级", 5, "out of range"),
        ("营收", 1000, "unknown fact"),
    ],
)
def test_bad_facts_name_the_key(key, value, match):
    with pytest.raises(DataValidationError, match=match) as err:
        assess_specialized({key: value})
    assert err.value.field == key
    assert key in str(err.value)
    assert err.value.reason_zh.startswith(f"“{key}”") and err.value.reason_zh != err.value.reason


def test_bad_facts_in_chinese():
    with pytest.raises(DataValidationError) as err:
        assess_specialized({"研发费用占比": 100.01})
    assert err.value.reason_zh == "“研发费用占比”的数值 100.01 超出范围 [0, 100]%"
    with pytest.raises(ConfigError) as err:
        assess_little_giant({}, version="2026")
    assert err.value.reason_zh.startswith("规则 quality-sme-2026 中没有专精特新“小巨人”企业层级")


def test_none_is_missing_not_error():
    r = assess_innovative({**INNOV, "研发费用占比": None})
    assert points(r, "rd_share") is None and r.score_max == 80


def test_result_is_frozen_and_renders():
    r = assess_innovative(INNOV)
    with pytest.raises(AttributeError):
        r.status = "unmet"  # type: ignore[misc]
    text = r.summary().as_text()
    assert "通过" in text and "75" in text
    assert "<table" in r.summary().as_html()
    frame = r.to_frame()
    assert set(frame["kind"]) == {"condition", "item"}
    assert frame.loc[frame["kind"] == "item", "points"].sum() == 75


def test_old_module_name_sme_tiers_exposes_the_same_objects():
    import nqpf.assessment.quality_sme_tiers as new
    import nqpf.assessment.sme_tiers as old

    assert old.__all__ == new.__all__
    assert all(getattr(old, name) is getattr(new, name) for name in new.__all__)
