"""SME-2024 (中小企业数字化水平评测指标 2024年版): the data as transcribed, and official examples by hand.

Every expected number is copied from frameworks.md §1.2 (not from the YAML file), so the
file and the reference are checked against each other.
"""

from __future__ import annotations

import pandas as pd
import pytest

from nqpf.assessment import batch_score, load_framework, score

FW = load_framework("sme-digital", "2024")

#: question id → (number, 题目 head, max, kind, option points in listing order)
EXPECTED = {
    "network": (1, "企业网络建设连接情况", 8, "multi", [0, 2, 2, 2, 2]),
    "equipment_digital_rate": (2, "生产设备数字化率", 6, "number", [0, 1.5, 3, 4.5, 6]),
    "equipment_network_rate": (3, "生产设备联网率", 6, "number", [0, 1.5, 3, 4.5, 6]),
    "data_collection": (4, "实现数据自动采集的业务环节覆盖范围", 10, "multi", [0.7] * 13 + [0.9]),
    "information_system": (
        5,
        "使用本地或云化部署的信息化服务实现业务数字化管理情况",
        10,
        "single",
        [0, 2.5, 5, 7.5, 10],
    ),
    "network_security": (6, "保障网络安全的举措", 5, "multi", [1.25] * 4),
    "data_security": (7, "保障数据安全的举措", 5, "multi", [1.25] * 4),
    "planning": (8, "企业对数字化的认识与执行水平", 7.5, "single", [0, 1.5, 3, 4.5, 6, 7.5]),
    "management_mechanism": (9, "数字化管理制度建立情况", 7.5, "multi", [1.875] * 4),
    "talent": (10, "数字化人才建设举措", 7.5, "multi", [1.5] * 5),
    "funding_rate": (
        11,
        "近三年平均数字化投入占营业额比例",
        7.5,
        "number",
        [0, 1.875, 3.75, 5.625, 7.5],
    ),
    "green_low_carbon": (12, "改造后每百元营业收入综合能源消费量", 7, "single", [0, 3.5, 7]),
    "product_quality": (13, "改造后月均产品合格率", 7, "single", [0, 3.5, 7]),
    "market_performance": (14, "上年度人均营业收入", 3, "single", [0, 1.5, 3]),
    "value_benefit": (15, "上年度每百元营业收入中的成本", 3, "single", [0, 1.5, 3]),
}

SCENES = [
    ("产品设计", "产品生命周期数字化", True),
    ("工艺设计", "产品生命周期数字化", False),
    ("营销管理", "产品生命周期数字化", True),
    ("售后服务", "产品生命周期数字化", False),
    ("计划排程", "生产执行数字化", False),
    ("生产管控", "生产执行数字化", True),
    ("质量管理", "生产执行数字化", True),
    ("设备管理", "生产执行数字化", True),
    ("安全生产", "生产执行数字化", True),
    ("能耗管理", "生产执行数字化", True),
    ("采购管理", "供应链数字化", True),
    ("仓储物流", "供应链数字化", True),
    ("财务管理", "管理决策数字化", True),
    ("人力资源", "管理决策数字化", False),
    ("协同办公", "管理决策数字化", False),
    ("决策支持", "管理决策数字化", False),
]

BINDING = [s.id for s in FW.scenes if s.binding]
GUIDING = [s.id for s in FW.scenes if not s.binding]


def best() -> dict:
    """The maximum answer to every question, every scene at 四级."""
    out: dict = {}
    for q in FW.questions:
        if q.kind == "number":
            out[q.id] = 100
        elif q.kind == "single":
            out[q.id] = max(q.options, key=lambda o: o.points).id
        else:
            out[q.id] = [o.id for o in q.options if not o.exclusive]
    out.update({s: 4 for s in FW.scene_ids})
    return out


def worst() -> dict:
    out: dict = {}
    for q in FW.questions:
        if q.kind == "number":
            out[q.id] = 0
        elif q.kind == "single":
            out[q.id] = min(q.options, key=lambda o: o.points).id
        else:
            out[q.id] = []
    out.update({s: 1 for s in FW.scene_ids})
    return out


def scenes(level: int, n_binding: int, n_guiding: int, rest: int = 1) -> dict:
    """``n_binding`` 约束性 and ``n_guiding`` 指导性 scenes at ``level``, the others at ``rest``."""
    out = {s: rest for s in FW.scene_ids}
    out.update({s: level for s in BINDING[:n_binding]})
    out.update({s: level for s in GUIDING[:n_guiding]})
    return out


# Answers with hand-computed totals (frameworks.md §1.2.1):
#  80 = 100 − 成效 20 (12–15 at their lowest option: 7 + 7 + 3 + 3)
#  60 = 80 − 规划实施 7.5 (A) − 资金保障 7.5 (0%) − 网络安全 5 (none)
#  40 = 60 − 信息系统 10 (A) − 数据采集 10 (none)
#  20 = 40 − 设备数字化 6 (0%) − 设备联网 6 (0%) − 网络建设 8 (A 无)
AT_80 = {**best(), "green_low_carbon": "A", "product_quality": "A",
         "market_performance": "A", "value_benefit": "A"}  # fmt: skip
AT_60 = {**AT_80, "planning": "A", "funding_rate": 0, "network_security": []}
AT_40 = {**AT_60, "information_system": "A", "data_collection": []}
AT_20 = {**AT_40, "equipment_digital_rate": 0, "equipment_network_rate": 0, "network": ["A"]}
AT = {80: AT_80, 60: AT_60, 40: AT_40, 20: AT_20}


def minus_07(answers: dict) -> dict:
    """Drop one 0.7-point 数据采集 环节 (or, if none is chosen, one 1.5-point 人才 item)."""
    dc = answers["data_collection"]
    if dc:
        return {**answers, "data_collection": dc[1:]}
    return {**answers, "talent": answers["talent"][1:]}


# -- the data ----------------------------------------------------------------------------


def test_metadata():
    assert FW.name == "中小企业数字化水平评测指标（2024年版）"
    assert FW.document == "工信厅企业〔2024〕56号"
    assert FW.confidence == "official" and FW.total_points == 100


def test_dimension_tree_and_weights():
    dims = {d.name: d for d in FW.dimensions}
    assert [d.name for d in FW.dimensions] == [
        "数字化基础",
        "数字化管理",
        "数字化成效",
        "数字化经营",
    ]
    assert (dims["数字化基础"].points, dims["数字化管理"].points, dims["数字化成效"].points) == (
        50,
        30,
        20,
    )
    assert dims["数字化经营"].scored is False
    weights = {
        (sub.name, ind.name): (sub.weight, ind.weight)
        for d in FW.dimensions
        for sub in d.sub_dimensions
        for ind in sub.indicators
    }
    assert weights[("设备系统", "网络建设")] == (40, 40)
    assert weights[("设备系统", "设备数字化")] == (40, 30)
    assert weights[("信息安全", "数据安全")] == (20, 50)
    assert weights[("要素保障", "资金保障")] == (50, 50)
    assert weights[("绿色低碳", "绿色低碳")] == (35, 100)
    assert weights[("市场效益", "价值效益")] == (30, 50)
    # 网络建设 = 0.50 × 0.40 × 0.40 × 100 = 8
    assert pytest.approx(FW.question("network").max_points) == 50 * 0.40 * 0.40
    per_dim: dict[str, float] = {}
    for q in FW.questions:
        per_dim[FW.dimension_of[q.id]] = per_dim.get(FW.dimension_of[q.id], 0) + q.max_points
    assert per_dim == pytest.approx({"数字化基础": 50, "数字化管理": 30, "数字化成效": 20})


@pytest.mark.parametrize("qid", list(EXPECTED))
def test_every_question_option_and_point(qid):
    number, title, top, kind, points = EXPECTED[qid]
    q = FW.question(qid)
    assert (q.number, q.kind, q.max_points) == (number, kind, top)
    assert q.title.startswith(title)
    got = [b.points for b in q.bands] if kind == "number" else [o.points for o in q.options]
    assert got == pytest.approx(points)


def test_option_texts():
    net = FW.question("network")
    assert [(o.id, o.label) for o in net.options][:3] == [
        ("A", "无"),
        ("B", "车间建成工控网络，支持自动化控制应用"),
        ("C", "建成应用系统网络，实现大规模设备、人员与信息系统互联"),
    ]
    assert net.option("A").exclusive
    dc = [o.label for o in FW.question("data_collection").options]
    assert dc == [s[0] for s in SCENES[:13]] + ["人力资源"]  # same 业务环节 list as the scenes
    assert FW.question("data_collection").option("hr").points == 0.9
    planning = FW.question("planning")
    assert [o.label for o in planning.options][:5] == [
        "无",
        "已主动了解",
        "已制定规划、计划及保障措施",
        "已开始单点或多点改造",
        "已通过数字化改变业务模式/管理决策并取得成效",
    ]
    f = planning.option("F")
    assert f.label == "定期组织员工去数字化建设成效较好的同行业公司参观交流"
    assert f.confidence == "unverified" and "已能输出数字化转型成果或经验供同行借鉴" in f.note
    assert [o.label for o in FW.question("green_low_carbon").options] == ["增加", "持平", "降低"]
    assert [o.label for o in FW.question("value_benefit").options] == ["增加", "持平", "降低"]
    assert [o.label for o in FW.question("product_quality").options] == ["降低", "持平", "增加"]


def test_rate_bands_and_sides():
    for qid in ("equipment_digital_rate", "equipment_network_rate", "funding_rate"):
        q = FW.question(qid)
        assert (q.unit, q.min_value, q.max_value) == ("%", 0, 100)
        assert [b.interval("%") for b in q.bands] == [
            "[0%, 10%]",
            "(10%, 20%]",
            "(20%, 40%]",
            "(40%, 60%]",
            "(60%, 100%]",
        ]
    assert FW.question("funding_rate").confidence == "unverified"


def test_form_fields():
    assert [f.label for f in FW.question("equipment_digital_rate").form_fields] == [
        "生产设备数量",
        "实现数字化的生产设备数量",
    ]
    assert [(f.label, f.unit) for f in FW.question("funding_rate").form_fields] == [
        ("具体数据", "万元/年")
    ]
    assert [(f.label, f.unit) for f in FW.question("green_low_carbon").form_fields] == [
        ("上年综合能源消费量", "吨标准煤"),
        ("前年综合能源消费量", "吨标准煤"),
    ]


def test_sixteen_scenes_ten_binding():
    assert [(s.name, s.group, s.binding) for s in FW.scenes] == SCENES
    assert len(BINDING) == 10 and len(GUIDING) == 6
    for s in FW.scenes:
        assert len(s.levels) == 4 and all(s.levels)
    specific = {s.name: s for s in FW.scenes if s.level_texts == "scene"}
    assert set(specific) == {"产品设计", "设备管理", "能耗管理"}
    assert specific["产品设计"].levels[0] == "CAD/CAE/EDA 辅助"
    assert specific["设备管理"].levels[3].startswith("设备运行模型 + 故障知识库")
    assert specific["能耗管理"].levels[2] == "实时采集 + 设备能耗监测分析与协同管控"
    pattern = FW.scene("scene_quality").levels
    assert "电子表格、云存储" in pattern[0] and "规范化管理" in pattern[1]


def test_level_rule_table():
    rule = FW.level_rule
    assert rule.confidence == "secondary" and rule.score_bound == "min_inclusive"
    table = rule.to_frame()
    assert table[
        ["level", "min_score", "scene_level", "min_scenes", "min_binding"]
    ].values.tolist() == [
        [4, 80, 4, 10, 6],
        [3, 60, 3, 8, 5],
        [2, 40, 2, 6, 3],
        [1, 20, 1, 6, 3],
    ]
    assert table["confidence"].tolist() == ["secondary", "secondary", "secondary", "unverified"]


# -- official examples by hand ----------------------------------------------------------


def test_maximum_answers():
    r = score(FW, best())
    assert r.total == 100 and r.max_total == 100
    assert dict(r.dimensions) == {"数字化基础": 50, "数字化管理": 30, "数字化成效": 20}
    assert r.level == 4 and r.level_name == "四级" and r.next_level == ()
    assert r.question("data_collection").points == 10  # 13 × 0.7 + 0.9


def test_minimum_answers():
    r = score(FW, worst())
    assert r.total == 0 and all(v == 0 for v in r.dimensions.values())
    assert r.level == 0 and r.level_name == "未达一级"
    assert [(c.kind, c.current, c.required) for c in r.next_level] == [("score", 0, 20)]


@pytest.mark.parametrize(
    ("rate", "points"),
    [(0, 0), (9.99, 0), (10, 0), (10.01, 1.5), (20, 1.5), (20.01, 3), (40, 3),
     (40.01, 4.5), (60, 4.5), (60.01, 6), (100, 6)],
)  # fmt: skip
def test_band_edges(rate, points):
    answers = {**worst(), "equipment_digital_rate": rate, "equipment_network_rate": rate,
               "funding_rate": rate}  # fmt: skip
    r = score(FW, answers)
    assert r.question("equipment_digital_rate").points == points
    assert r.question("equipment_network_rate").points == points
    assert r.question("funding_rate").points == pytest.approx(points * 7.5 / 6)
    assert r.total == pytest.approx(2 * points + points * 1.25)


def test_band_reason_text():
    r = score(FW, {**worst(), "equipment_digital_rate": 35, "funding_rate": 10})
    assert (
        r.question("equipment_digital_rate").reason
        == "比例 35% 落在 (20%, 40%] 区间：3分（满分6分）"
    )
    assert r.question("funding_rate").reason == "比例 10% 落在 [0%, 10%] 区间：0分（满分7.5分）"


def test_multi_select_sums():
    answers = {
        **worst(),
        "network": ["B", "D"],  # 2 + 2
        "data_collection": ["quality", "equipment", "hr"],  # 0.7 + 0.7 + 0.9
        "network_security": "A|B|C",  # 3 × 1.25
        "management_mechanism": ["A", "B", "C"],  # 3 × 1.875
        "talent": ["A", "C", "E"],  # 3 × 1.5
    }
    r = score(FW, answers)
    got = {q.id: q.points for q in r.questions if q.kind == "multi"}
    assert got == pytest.approx(
        {
            "network": 4,
            "data_collection": 2.3,
            "network_security": 3.75,
            "data_security": 0,
            "management_mechanism": 5.625,
            "talent": 4.5,
        }
    )
    assert r.total == pytest.approx(4 + 2.3 + 3.75 + 5.625 + 4.5)
    assert r.question("network").reason == "选项B、D：2+2=4分（满分8分）"
    assert r.question("data_collection").reason.startswith(
        "选项质量管理、设备管理、人力资源：0.7+0.7+0.9=2.3分"
    )


@pytest.mark.parametrize("threshold", [80, 60, 40, 20])
def test_score_thresholds(threshold):
    level = threshold // 20 - 0  # 80 → 4, 60 → 3, 40 → 2, 20 → 1
    all_scenes = {s: 4 for s in FW.scene_ids}
    r = score(FW, {**AT[threshold], **all_scenes})
    assert r.total == threshold and r.level == level
    below = score(FW, {**minus_07(AT[threshold]), **all_scenes})
    assert below.total < threshold and below.level == level - 1
    unmet = below.next_level
    assert [(c.level, c.kind, c.required) for c in unmet] == [(level, "score", threshold)]
    assert unmet[0].current == below.total
    assert "总分" in unmet[0].message and "未满足" in unmet[0].message


# (level, scene_level, min_scenes, min_binding) as in the rule table of §1.2.2
SCENE_ROWS = [(4, 4, 10, 6), (3, 3, 8, 5), (2, 2, 6, 3)]


@pytest.mark.parametrize(("level", "scene_level", "n", "nb"), SCENE_ROWS)
def test_scene_count_conditions(level, scene_level, n, nb):
    base = AT[level * 20]  # exactly the score threshold
    lower = scene_level - 1
    # exactly n scenes at the level, nb of them binding → reached
    r = score(FW, {**base, **scenes(scene_level, nb, n - nb, rest=lower)})
    assert r.level == level
    # one scene fewer (a guiding one) → not reached; the unmet condition is the count
    r = score(FW, {**base, **scenes(scene_level, nb, n - nb - 1, rest=lower)})
    assert r.level == level - 1
    assert [(c.kind, c.current, c.required) for c in r.next_level] == [("scenes", n - 1, n)]
    # enough scenes, but one binding scene fewer → not reached
    r = score(FW, {**base, **scenes(scene_level, nb - 1, min(6, n - nb + 1), rest=lower)})
    assert r.level == level - 1
    kinds = {c.kind: (c.current, c.required) for c in r.next_level}
    assert kinds["binding"] == (nb - 1, nb)
    assert "约束性" in r.next_level[-1].message


def test_level_one_scene_clause():
    # 一级: base ≥ 20 and ≥ 6 scenes at ≥ 一级 with ≥ 3 约束性; all scenes are rated 1–4,
    # so with 16 scenes (10 约束性) the clause always holds.
    r = score(FW, {**AT_20, **scenes(1, 10, 6)})
    assert r.level == 1
    assert [c.met for c in r.conditions if c.level == 1] == [True, True, True]


def test_higher_score_needs_scenes_too():
    # full marks but every scene at 一级: only 一级
    r = score(FW, {**best(), **{s: 1 for s in FW.scene_ids}})
    assert r.total == 100 and r.level == 1
    assert {c.kind for c in r.next_level} == {"scenes", "binding"}


def test_batch_agrees_with_hand_examples():
    rows = [
        {**best()},
        {**worst()},
        {**AT_80},
        {**minus_07(AT_60), **{s: 4 for s in FW.scene_ids}},
    ]
    table = pd.DataFrame(rows)
    out = batch_score(FW, table)
    assert out.scores["valid"].all()
    assert out.scores["total"].tolist() == pytest.approx([100, 0, 80, 59.3])
    assert out.scores["level"].tolist() == [4, 0, 4, 2]
