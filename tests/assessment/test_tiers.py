"""智能工厂梯度培育 tiers (2025): gates at their edges, unknown facts, bad input."""

from __future__ import annotations

import pytest

from nqpf.assessment.cmmm import load_cmmm, score_cmmm
from nqpf.assessment.smart_factory_tiers import TierResult, assess_tier, load_tiers
from nqpf.exceptions import ConfigError, DataValidationError

RULES = load_tiers()
TIERS = ["基础级", "先进级", "卓越级", "领航级"]
ALL_LINKS = ["工厂建设", "研发设计", "生产作业", "生产管理", "运营管理"]
POSITION = {
    "基础级": "above_provincial_average",
    "先进级": "provincial_leading",
    "卓越级": "national_leading",
    "领航级": "global_leading",
}
MATURITY = {"基础级": 2, "先进级": 2, "卓越级": 3, "领航级": 4}


def facts_for(tier: str) -> dict:
    """Facts that meet exactly the conditions up to ``tier`` (and the edges of each gate)."""
    upto = TIERS[: TIERS.index(tier) + 1]
    facts: dict = {c.id: True for c in RULES.common}
    for t in upto:
        facts.update({c.id: True for c in RULES.tier(t).conditions if c.kind == "flag"})
    facts["maturity_level"] = MATURITY[tier]
    facts["links"] = {
        "基础级": ["生产作业"],
        "先进级": ["生产作业", "生产管理", "运营管理"],
    }.get(tier, ALL_LINKS)
    facts["kpi_position"] = POSITION[tier]
    facts["ai_scene_share"] = {"卓越级": 0.2, "领航级": 0.6}.get(tier, 0.0)
    return facts


def cond(res: TierResult, tier: str, cid: str):
    (row,) = [c for c in res.conditions if c.tier == tier and c.id == cid]
    return row


# -- data ---------------------------------------------------------------------------------


def test_rules_data():
    assert [t.name for t in RULES.tiers] == TIERS
    assert RULES.links == tuple(ALL_LINKS)
    assert RULES.confidence == "secondary"
    assert RULES.n_scenes == 40 and len(RULES.scene_groups) == 8
    mins = {t.name: c.min for t in RULES.tiers for c in t.conditions if c.kind == "min_maturity"}
    assert mins == MATURITY
    ai = {t.name: c.min for t in RULES.tiers for c in t.conditions if c.kind == "min_ai_share"}
    assert ai == {"卓越级": 0.2, "领航级": 0.6}
    assert len(RULES.common) == 6


# -- each gate at its edges ---------------------------------------------------------------


@pytest.mark.parametrize("tier", TIERS)
def test_each_tier_just_met(tier):
    res = assess_tier(facts_for(tier))
    assert res.tier == tier
    assert res.statuses[tier] == "met"
    nxt = TIERS.index(tier) + 1
    if nxt < len(TIERS):
        assert res.statuses[TIERS[nxt]] == "unmet"
        assert res.unmet(TIERS[nxt])


@pytest.mark.parametrize("tier", TIERS)
def test_maturity_gate_just_missed(tier):
    facts = facts_for(tier)
    facts["maturity_level"] = MATURITY[tier] - 1
    res = assess_tier(facts)
    row = cond(res, tier, "maturity")
    assert (row.status, row.current, row.required) == (
        "unmet",
        MATURITY[tier] - 1,
        f"≥ {MATURITY[tier]}",
    )
    assert res.tier == (TIERS[TIERS.index(tier) - 1] if tier in ("卓越级", "领航级") else None)


@pytest.mark.parametrize(("tier", "share"), [("卓越级", 0.2), ("领航级", 0.6)])
def test_ai_share_edges(tier, share):
    facts = facts_for(tier)
    assert assess_tier(facts).tier == tier
    facts["ai_scene_share"] = share - 0.01
    res = assess_tier(facts)
    row = cond(res, tier, "ai_share")
    assert row.status == "unmet" and row.current == pytest.approx(share - 0.01)
    assert res.tier == TIERS[TIERS.index(tier) - 1]


def test_ai_share_from_scenes():
    facts = facts_for("卓越级")
    del facts["ai_scene_share"]
    facts["scenes"] = [1, 2, 3, 20, 21]
    facts["ai_scenes"] = [21]  # 1/5 = 0.2, just met
    res = assess_tier(facts)
    assert res.tier == "卓越级" and cond(res, "卓越级", "ai_share").current == 0.2
    assert res.scenes_by_group["工厂建设"] == (1, 2, 3)
    assert res.scenes_by_group["生产作业"] == (20, 21)
    facts["scenes"] = [1, 2, 3, 20, 21, 22]  # 1/6 < 0.2
    assert assess_tier(facts).tier == "先进级"


@pytest.mark.parametrize(
    ("tier", "missing"),
    [
        ("基础级", "生产作业"),
        ("先进级", "运营管理"),
        ("卓越级", "研发设计"),
        ("领航级", "工厂建设"),
    ],
)
def test_links_just_missed(tier, missing):
    facts = facts_for(tier)
    facts["links"] = [x for x in facts["links"] if x != missing]
    res = assess_tier(facts)
    row = cond(res, tier, "links")
    assert row.status == "unmet" and missing in row.note
    assert res.tier != tier


@pytest.mark.parametrize("tier", TIERS)
def test_kpi_position_just_missed(tier):
    facts = facts_for(tier)
    positions = [p.id for p in RULES.kpi_positions]
    facts["kpi_position"] = positions[positions.index(POSITION[tier]) - 1]
    res = assess_tier(facts)
    assert cond(res, tier, "kpi").status == "unmet"
    assert res.tier != tier


def test_kpis_vs_provincial_average():
    facts = facts_for("基础级")
    del facts["kpi_position"]
    kpis = {
        "劳动生产率": {"value": 101, "provincial_average": 100, "higher_is_better": True},
        "单位产值能耗": {"value": 0.49, "provincial_average": 0.5, "higher_is_better": False},
    }
    res = assess_tier(dict(facts, kpis=kpis))
    assert res.tier == "基础级" and cond(res, "基础级", "kpi").status == "met"
    # a leading position cannot be derived from averages: unknown, not unmet
    assert cond(res, "先进级", "kpi").status == "unknown"
    # equal to the average is not 高于
    kpis["劳动生产率"]["value"] = 100
    res = assess_tier(dict(facts, kpis=kpis))
    row = cond(res, "基础级", "kpi")
    assert row.status == "unmet" and "劳动生产率" in row.note and res.tier is None


# -- unknown facts ------------------------------------------------------------------------


def test_missing_facts_are_unknown_not_met():
    res = assess_tier({})
    assert res.tier is None and res.possible == "领航级"
    assert set(res.statuses.values()) == {"unknown"}
    assert all(c.status == "unknown" for c in res.conditions)
    facts = facts_for("基础级")
    del facts["above_scale"]
    res = assess_tier(facts)
    assert cond(res, "基础级", "above_scale").status == "unknown"
    assert res.statuses["基础级"] == "unknown"
    assert res.tier is None and res.possible == "基础级"
    assert [c.id for c in res.unknown("基础级")] == ["above_scale"]


def test_lower_tier_must_hold():
    facts = facts_for("先进级")
    facts["b_planning"] = False  # a 基础级 content item
    res = assess_tier(facts)
    assert res.statuses["先进级"] == "met" and res.statuses["基础级"] == "unmet"
    assert res.tier is None and res.possible is None
    assert [c.id for c in res.unmet("基础级")] == ["b_planning"]


def test_result_frame_and_summary():
    res = assess_tier(facts_for("先进级"))
    frame = res.to_frame()
    n = sum(len(RULES.common) + len(t.conditions) for t in RULES.tiers)
    assert len(frame) == n == 59
    assert list(frame.columns[:5]) == ["tier", "id", "kind", "text", "status"]
    text = res.summary().as_text()
    assert "达到层级" in text and "先进级" in text


def test_maturity_from_names_and_cmmm_result():
    facts = facts_for("基础级")
    for value in ("二级", "规范级", "2"):
        assert assess_tier(dict(facts, maturity_level=value)).tier == "基础级"
    items = load_cmmm()
    answers = {i.id: ("全部满足" if i.level <= 2 else "不满足") for i in items.items}
    cm = score_cmmm(items, answers, fill="equal")
    res = assess_tier(dict(facts, maturity_level=cm))
    assert res.tier == "基础级" and any("非官方要求集" in n for n in res.notes)


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "field", "match"),
    [
        ({"maturiy_level": 2}, "maturiy_level", "did you mean 'maturity_level'"),
        ({"maturity_level": 6}, "maturity_level", "0–5"),
        ({"maturity_level": True}, "maturity_level", "whole level"),
        ({"maturity_level": "六级"}, "maturity_level", "expected a level"),
        ({"links": ["生产"]}, "links", "unknown 环节 '生产'"),
        ({"links": "生产作业"}, "links", "list"),
        ({"ai_scene_share": 20}, "ai_scene_share", "20 % is 0.2"),
        ({"scenes": [0, 5]}, "scenes", "1–40"),
        ({"scenes": [41]}, "scenes", "1–40"),
        ({"scenes": [3, 3]}, "scenes", "twice"),
        ({"kpi_position": "top"}, "kpi_position", "expected one of"),
        ({"above_scale": "yes"}, "above_scale", "true or false"),
        ({"kpis": {"x": {"value": 1}}}, "kpis['x']", "missing 'provincial_average'"),
        (
            {"kpis": {"x": {"value": "a", "provincial_average": 1, "higher_is_better": True}}},
            "kpis['x'].value",
            "number",
        ),
    ],
)
def test_bad_facts_name_the_key(update, field, match):
    with pytest.raises(DataValidationError, match=match) as err:
        assess_tier(dict(facts_for("基础级"), **update))
    assert err.value.field == field
    assert err.value.reason_zh.startswith("“") and err.value.reason_zh != err.value.reason


def test_bad_facts_in_chinese():
    def zh(**update):
        with pytest.raises(DataValidationError) as err:
            assess_tier(dict(facts_for("基础级"), **update))
        return err.value.reason_zh

    assert zh(maturity_level=6) == "“智能制造能力成熟度等级”应为 0–5 级，收到 6"
    assert zh(maturiy_level=2) == "“maturiy_level”不是已知的事实；是否指“maturity_level”？"
    assert zh(links=["生产"]).startswith(
        "“覆盖的环节”中没有环节 '生产'（是否指“生产作业”或“生产管理”？）；可选：工厂建设、"
    )
    assert zh(kpis={"x": {"value": 1, "provincal_average": 2, "higher_is_better": True}}) == (
        "“成效指标”中有未知的键 ['provincal_average']（是否指“provincial_average”？）"
    )
    assert zh(above_scale="yes") == "“规上工业企业”应为是或否，收到 'yes'"


def test_bad_ai_scenes():
    base = {k: v for k, v in facts_for("卓越级").items() if k != "ai_scene_share"}
    with pytest.raises(DataValidationError, match="not among the scenes built"):
        assess_tier(dict(base, scenes=[1, 2], ai_scenes=[3]))
    with pytest.raises(DataValidationError, match="needs scenes"):
        assess_tier(dict(base, ai_scenes=[3]))
    with pytest.raises(DataValidationError, match="not both"):
        assess_tier(dict(base, scenes=[3], ai_scenes=[3], ai_scene_share=1.0))
    with pytest.raises(DataValidationError, match="mapping"):
        assess_tier([("maturity_level", 2)])  # type: ignore[arg-type]


def test_bad_rules_file(tmp_path):
    from importlib import resources

    text = (
        resources.files("nqpf.assessment")
        .joinpath("frameworks/smart-factory-tiers-2025.yaml")
        .read_text("utf-8")
    )
    bad = text.replace("kind: min_ai_share, min: 0.2", "kind: min_ai_share, min: 20")
    p = tmp_path / "t.yaml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match="fraction 0–1") as err:
        load_tiers(p)
    assert err.value.line is not None and "conditions" in err.value.field
    p.write_text(text.replace("required: [生产作业]", "required: [生产]"), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown 环节 '生产'"):
        load_tiers(p)


def test_old_module_name_tiers_exposes_the_same_objects():
    import nqpf.assessment.smart_factory_tiers as new
    import nqpf.assessment.tiers as old

    assert old.__all__ == new.__all__
    assert all(getattr(old, name) is getattr(new, name) for name in new.__all__)
