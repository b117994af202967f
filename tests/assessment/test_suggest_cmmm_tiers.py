"""Did-you-mean in the CMMM and smart-factory tier answers (issue 14, item 5): the rule of
:mod:`nqpf._suggest`, in English and Chinese."""

from __future__ import annotations

import pytest

from nqpf.assessment.cmmm import load_cmmm, score_cmmm
from nqpf.assessment.smart_factory_tiers import assess_tier
from nqpf.exceptions import DataValidationError

SELF = load_cmmm("cmmm-selfcheck")
ANSWERS = {it.id: "全部满足" for it in SELF.items}


def refused(fn, *args, **kwargs) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        fn(*args, **kwargs)
    return info.value


def test_cmmm_satisfaction_text_suggests_the_label():
    err = refused(score_cmmm, SELF, dict(ANSWERS, org_strategy_1a="大部份满足"), fill="equal")
    assert err.field == "org_strategy_1a"
    assert err.reason.endswith("got '大部份满足' (did you mean '大部分满足'?)")
    assert err.reason_zh.endswith("收到 '大部份满足'（是否指“大部分满足”？）")
    err = refused(score_cmmm, SELF, dict(ANSWERS, org_strategy_1a="maybe"), fill="equal")
    assert "did you mean" not in err.reason  # nothing close: no guess


def test_cmmm_item_and_weight_keys_suggest_the_ids():
    err = refused(score_cmmm, SELF, dict(ANSWERS, energy_5c=1), fill="equal")
    assert err.reason == (
        "unknown item 'energy_5c' in item set cmmm-selfcheck-1; "
        "did you mean 'energy_5a' or 'energy_5b'?"
    )
    assert err.reason_zh.endswith("是否指“energy_5a”或“energy_5b”？")
    err = refused(score_cmmm, SELF, ANSWERS, weights={"人 员": 10}, fill="equal")
    assert err.reason_zh.endswith("；是否指“人员”？")


@pytest.mark.parametrize(
    ("facts", "en", "zh"),
    [
        (
            {"links": ["生产作页"]},
            "unknown 环节 '生产作页' (did you mean '生产作业'?); known:",
            "中没有环节 '生产作页'（是否指“生产作业”？）",
        ),
        (
            {"kpi_position": "national leading"},
            "got 'national leading' (did you mean 'national_leading'?)",
            "收到 'national leading'（是否指“national_leading”？）",
        ),
        (
            {"kpi_position": "省同行业领先"},  # the position's Chinese name
            "(did you mean 'provincial_leading'?)",
            "（是否指“provincial_leading”？）",
        ),
        (
            {"b_planing": True},
            "unknown fact; did you mean 'b_planning'?",
            "不是已知的事实；是否指“b_planning”？",
        ),
    ],
)
def test_tier_facts_suggest_the_key_or_value(facts, en, zh):
    err = refused(assess_tier, facts)
    assert en in err.reason and zh in err.reason_zh
