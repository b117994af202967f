"""Acceptance and subsidy rules as data: shipped files, hand-worked examples, refusals."""

from __future__ import annotations

import pandas as pd
import pytest

from nqpf.evaluation import (
    AcceptanceRule,
    SubsidyRule,
    evaluate_acceptance,
    evaluate_subsidy,
    list_rules,
    load_rule,
    parse_rule,
)
from nqpf.exceptions import ConfigError, DataValidationError


def test_shipped_rules_cite_their_source():
    assert list_rules() == ["acceptance-sme-pilot-2023", "subsidy-longyan-2025"]
    acc = load_rule("acceptance-sme-pilot-2023")
    assert isinstance(acc, AcceptanceRule) and acc.confidence == "secondary"
    assert "财建〔2023〕117号" in acc.source and acc.targets[0].threshold == 0.90
    sub = load_rule("subsidy-longyan-2025")
    assert isinstance(sub, SubsidyRule) and "龙岩" in sub.source
    assert (sub.share, sub.min_level, dict(sub.caps)) == (0.5, 2, {2: 25.0, 3: 35.0, 4: 45.0})
    assert "设计值" in sub.notes  # the one reading of ours is said so


def _pilot_firms() -> pd.DataFrame:
    # 细分行业 A: 10 规上, 9 at 二级+ at T1 → 90 % (passes: "不低于 90%")
    # 细分行业 B: 4 规上, 3 at 二级+ → 75 % (fails); 规下: 1 of 4 → 3 of 4 at 二级+
    rows = [("A", "规上", 1, 2)] * 9 + [("A", "规上", 1, 1)]
    rows += [("B", "规模以上", 2, 2)] * 3 + [("B", "规上", 1, 1)]
    rows += [("A", "规下", 2, 2), ("A", "规下", 1, 3), ("B", "规模以下", 1, 2), ("B", "规下", 0, 1)]
    return pd.DataFrame(rows, columns=["细分行业", "规模", "T0等级", "T1等级"])


def test_acceptance_hand_worked():
    r = evaluate_acceptance(
        "acceptance-sme-pilot-2023",
        _pilot_firms(),
        columns={
            "segment": "细分行业",
            "scale": "规模",
            "level_t0": "T0等级",
            "level_t1": "T1等级",
        },
    )
    t = r.table.set_index(["target", "group"])
    a = t.loc[("guishang_level2_share", "A")]
    assert (a.n, a.n_meeting, a.value, a.passed) == (10, 9, 0.9, True)
    b = t.loc[("guishang_level2_share", "B")]
    assert (b.n, b.n_meeting, b.value, b.passed) == (4, 3, 0.75, False)
    # 规下 A: 1 → 2 of 2 at 二级+ (+50 points); B: 0 → 1 of 2 (+50 points); reported only
    g = t.loc[("guixia_level2_share_change", "A")]
    assert (g.share_t0, g.share_t1, g.value, g.passed) == (0.5, 1.0, 0.5, None)
    assert r.passed is False
    text = r.summary().as_text()
    assert "未达标" in text and "财建〔2023〕117号" in text


def test_acceptance_refuses_missing_levels():
    firms = _pilot_firms().rename(columns={"细分行业": "segment", "规模": "scale"})
    firms = firms.rename(columns={"T0等级": "level_t0", "T1等级": "level_t1"})
    firms.loc[3, "level_t1"] = None
    with pytest.raises(DataValidationError, match="no level") as e:
        evaluate_acceptance("acceptance-sme-pilot-2023", firms)
    assert e.value.column == "level_t1" and "缺少" in e.value.reason_zh
    with pytest.raises(DataValidationError) as e:
        evaluate_acceptance("acceptance-sme-pilot-2023", firms.drop(columns="scale"))
    assert e.value.column == "scale"


def test_subsidy_hand_worked():
    firms = pd.DataFrame(
        {
            "企业": ["甲", "乙", "丙", "丁", "戊"],
            # 万元; 50 % = 20 / 40 / 50 / 50 / 10
            "eligible_spend": [40, 80, 100, 100, 20],
            "level_t1": [2, 3, 4, 1, 4],
        }
    )
    r = evaluate_subsidy("subsidy-longyan-2025", firms, enterprise="企业")
    t = r.table.set_index("enterprise")
    # 20 < 25 (二级): 20; 40 > 35 (三级): 35; 50 > 45 (四级): 45; 一级: 0; 10 < 45: 10
    assert t["subsidy"].tolist() == [20.0, 35.0, 45.0, 0.0, 10.0]
    assert t["cap_binding"].tolist() == [False, True, True, False, False]
    assert r.total == 110.0
    assert "低于 二级，不予补助" in t.loc["丁", "reason"]
    assert "按封顶" in t.loc["乙", "reason"]
    # the same spend in 元 is converted to the rule's 万元
    yuan = firms.assign(eligible_spend=firms["eligible_spend"] * 10_000)
    assert evaluate_subsidy("subsidy-longyan-2025", yuan, spend_unit="元").total == 110.0


def test_subsidy_refusals():
    with pytest.raises(DataValidationError, match="missing or negative") as e:
        evaluate_subsidy(
            "subsidy-longyan-2025", pd.DataFrame({"eligible_spend": [1, -2], "level_t1": [2, 2]})
        )
    assert e.value.column == "eligible_spend"
    with pytest.raises(DataValidationError, match="not a subsidy rule"):
        evaluate_subsidy("acceptance-sme-pilot-2023", pd.DataFrame())


def test_malformed_rule_files_name_the_key():
    text = "kind: subsidy\nid: x\nversion: '1'\nname: n\nsource: s\nconfidence: design\n"
    with pytest.raises(ConfigError, match="unit"):
        parse_rule(text + "share: 0.5\nmin_level: 2\ncaps: {2: 1}\n", filename="x.yaml")
    with pytest.raises(ConfigError, match="min_level 3 has no cap"):
        parse_rule(text + "unit: 万元\nshare: 0.5\nmin_level: 3\ncaps: {4: 1}\n")
    with pytest.raises(ConfigError, match="share"):
        parse_rule(text + "unit: 万元\nshare: 1.5\nmin_level: 2\ncaps: {2: 1}\n")
    with pytest.raises(ConfigError, match="kind"):
        parse_rule("id: x\n")
    with pytest.raises(ConfigError, match="no shipped rule"):
        load_rule("nope")
