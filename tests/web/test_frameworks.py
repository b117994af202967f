"""Rule frameworks on the platform (CMMM, smart-factory tiers, 优质中小企业 2022/2026, green
factory): autosaved forms, derived answers, bad input, submit → the engine's own outcome,
result pages, reports, T0/T1 comparison, and another organisation's access."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import select

from nqpf.assessment import (
    assess_innovative,
    assess_little_giant,
    assess_specialized,
    assess_tier,
    score_cmmm,
    score_green_factory,
)
from nqpf.assessment.cmmm import load_cmmm
from nqpf.web.models import Assessment, AuditEvent

CMMM, TIERS, GREEN = "cmmm-selfcheck-1", "smart-factory-tiers-2025", "green-factory-2025"
Q22, Q26 = "quality-sme-2022", "quality-sme-2026"


def _start(c, world, framework, org="ent_sz"):
    r = c.post(f"/api/v1/enterprises/{world.orgs[org]}/assessments", json={"framework": framework})
    assert r.status_code in (200, 201), r.text
    return r.json()


def _patch(c, aid, revision, answers):
    return c.patch(f"/api/v1/assessments/{aid}", json={"revision": revision, "answers": answers})


def _fill_submit(c, world, framework, answers, org="ent_sz"):
    a = _start(c, world, framework, org)
    r = _patch(c, a["id"], a["revision"], answers)
    assert r.status_code == 200, r.text
    r = c.post(f"/api/v1/assessments/{a['id']}/submit")
    assert r.status_code == 200, r.text
    return r.json()


def _row(app, aid):
    with app.state.session_factory() as s:
        return s.get(Assessment, aid)


def cmmm_answers(top_full=2, rest="部分满足"):
    """Levels ≤ ``top_full`` 全部满足, the others ``rest``."""
    return {
        i.id: "全部满足" if i.level <= top_full else rest for i in load_cmmm("cmmm-selfcheck").items
    }


TIER_FLAGS_BASIC = {
    "above_scale": True, "competitive": True, "sound_operations": True, "clean_record": True,
    "secure_controllable": True, "organisation": True, "b_planning": True,
    "b_design_tools": True, "b_equipment": True, "b_production_system": True,
    "b_operations_system": True,
}  # fmt: skip


def tier_answers():
    return {
        "maturity_level": "2",
        "links": ["生产作业", "生产管理"],
        "kpi_position": "above_provincial_average",
        "n_scenes": 8,
        "n_ai_scenes": 2,
        **TIER_FLAGS_BASIC,
        "a_simulation": False,
    }


GREEN_ANSWERS = {
    "points_preset": "table-c1-example",
    "energy_intensity": 0.4,
    "energy_intensity.benchmark": 0.5,
    "energy_intensity.leading": 0.3,
    "water_used": 1000,
    "water_reused": 850,
    "water_reuse_rate.benchmark": 80,
    "water_reuse_rate.leading": 95,
    "process_equipment": 0.5,
    "land_output": "不涉及",
    "iso9001": True,
    "iso14001": True,
}


def _quality_facts(**more):
    """An innovative candidate of the 63号 附件1 table scoring 75 (the module's example)."""
    return {
        "主导产品有效知识产权": "Ⅰ类",
        "主营业务收入增长率": 10,
        "资产负债率": 50,
        "主导产品属战略性新兴产业": True,
        "主营收入占比": 60,
        "近三年国家级或省级科技奖励": False,
        "有效高新技术企业等资质": False,
        "省部级以上研发机构": False,
        "近三年新增股权融资": 0,
        **more,
    }


# ----------------------------------------------------------------- fill → the engine's result
def test_cmmm_scored_like_the_engine(app, login, world):
    c = login(world.emails["ent_member"])
    answers = cmmm_answers(top_full=2, rest="大部分满足")
    answers["data_3a"] = "不满足"
    body = _fill_submit(c, world, CMMM, answers)
    direct = score_cmmm("cmmm-selfcheck", answers, fill="equal")
    stored = body["result"]
    assert stored["rank"] == direct.level == 2
    assert stored["score"] == pytest.approx(direct.maturity_score, abs=1e-9)
    assert stored["outcome"] == f"二级 {direct.level_name}"
    unmet = {u.id for u in direct.unmet}
    assert len(stored["unmet"]) == len(unmet) == 40  # every 3级 item is below 全部满足
    assert any("数据" in m and "当前 不满足" in m for m in stored["unmet"])
    page = c.get(f"/assessments/{body['id']}/result")
    assert page.status_code == 200 and "二级 规范级" in page.text
    assert "相关装备与信息系统已实现集成" in page.text  # an unmet 3级 requirement, named


def test_tiers_scored_like_the_engine_with_each_unmet_condition_named(app, login, world):
    c = login(world.emails["ent_member"])
    body = _fill_submit(c, world, TIERS, tier_answers())
    facts = {k: v for k, v in tier_answers().items() if k not in ("n_scenes", "n_ai_scenes")}
    facts.update(maturity_level=2, ai_scene_share=2 / 8)
    direct = assess_tier(facts)
    assert direct.tier == "基础级" and body["result"]["outcome"] == "基础级"
    assert body["result"]["rank"] == 1
    r = c.get(f"/api/v1/assessments/{body['id']}/outcome").json()
    unmet_texts = {x.text for x in direct.unmet()}
    for text in unmet_texts:
        assert any(text in m for m in r["unmet"]), text
    assert any(m.startswith("先进级：工艺路线、布局、物流仿真（当前 否") for m in r["unmet"])
    assert any("未覆盖：运营管理" in m for m in r["unmet"])
    ai = next(x for x in r["checks"] if x["text"] == "AI 场景比例 ≥ 20%")
    assert ai["status"] == "met" and ai["current"] == "25%" and ai["required"] == "≥ 20%"
    page = c.get(f"/assessments/{body['id']}/result").text
    assert "基础级" in page and "工艺路线、布局、物流仿真" in page


@pytest.mark.parametrize(("key", "amount_is_fact"), [(Q22, True), (Q26, False)])
def test_quality_sme_derived_rate_and_engine_score(app, login, world, key, amount_is_fact):
    c = login(world.emails["ent_member"])
    answers = _quality_facts(上年度研发费用=180, 营业收入=6000)
    body = _fill_submit(c, world, key, answers)
    version = key[-4:]
    facts = {k: v for k, v in answers.items() if amount_is_fact or k != "上年度研发费用"}
    facts["研发费用占比"] = 3.0  # 180 / 6000 × 100, derived by the form
    innovative = assess_innovative(facts, version=version)
    specialized = assess_specialized(facts, version=version)
    assert innovative.score == pytest.approx(75.0) and innovative.passed
    assert body["result"]["score"] == pytest.approx(innovative.score)
    assert body["result"]["rank"] == 1 + (specialized.status == "met")
    assert body["result"]["outcome"] == innovative.name
    if version == "2022":
        giant = assess_little_giant(facts, version=version)
        assert giant.status != "met"
    page = c.get(f"/assessments/{body['id']}").text  # submitted: redirected to the result
    assert "创新型中小企业" in page
    # the draft page shows the derived rate, read-only, marked as computed
    d = _start(c, world, key)
    assert (
        _patch(c, d["id"], d["revision"], {"上年度研发费用": 90, "营业收入": 3600}).status_code
        == 200
    )
    html = c.get(f"/assessments/{d['id']}").text
    assert 'value="2.5" readonly' in html and "自动计算" in html


def test_green_factory_scored_like_the_engine(app, login, world):
    c = login(world.emails["ent_member"])
    body = _fill_submit(c, world, GREEN, GREEN_ANSWERS)
    from nqpf.assessment.green_factory import load_green_factory

    spec = load_green_factory()
    points = {i.id: i.example_points for i in spec.indicators if i.id != "land_output"}
    direct = score_green_factory(
        {"energy_intensity": 0.4, "water_reuse_rate": 85.0, "process_equipment": 0.5},
        benchmarks={
            "energy_intensity": {"benchmark": 0.5, "leading": 0.3},
            "water_reuse_rate": {"benchmark": 80, "leading": 95},
        },
        points=points,
        basic={"iso9001": True, "iso14001": True},
    )
    # 8·½ + 8·(85−80)/(95−80) + 6·½ = 4 + 2.667 + 3
    assert direct.total == pytest.approx(4 + 8 / 3 + 3, abs=1e-6)
    assert body["result"]["score"] == pytest.approx(direct.total, abs=1e-9)
    assert body["result"]["max_score"] == pytest.approx(92.0)  # 100 less 用地集约化 (不涉及)
    assert body["result"]["outcome"] == direct.status == "基本要求待确认"
    row = _row(app, body["id"])
    assert row.responses["land_output"] == "不涉及" and "water_reuse_rate" not in row.responses
    xlsx = c.get(f"/api/v1/assessments/{body['id']}/report.xlsx")
    openpyxl = pytest.importorskip("openpyxl")
    import io

    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert book.sheetnames == ["概要", "条件", "路线图"]
    first = [v for r in book["条件"].iter_rows(values_only=True) for v in r][:5]
    assert first == ["分组", "条件", "状态", "当前", "要求"]


# ------------------------------------------------------------------------------ bad input
BAD = [
    (TIERS, {"n_scenes": 41}, "n_scenes", "已建典型场景数", "超出范围"),
    (TIERS, {"ai_scene_share": "inf"}, "ai_scene_share", "人工智能场景占比", "有限数值"),
    (TIERS, {"above_scale": "maybe"}, "above_scale", "规上工业企业", "应为“是”或“否”"),
    (Q22, {"研发费用占比": 150}, "研发费用占比", "上年度研发费用占营业收入比重", "超出范围"),
    (Q26, {"营业收入": "NaN"}, "营业收入", "上年度营业收入", "有限数值"),
    (Q22, {"主导产品有效知识产权": "Ⅲ类"}, "主导产品有效知识产权", "知识产权", "应为以下之一"),
    (GREEN, {"energy_total": -5}, "energy_total", "综合能源消费量", "不小于 0"),
    (GREEN, {"renewable_share": 1e300}, "renewable_share", "可再生能源利用率", "超出范围"),
    (CMMM, {"data_1a": "很满足"}, "data_1a", "数据采集", "全部满足"),
    (
        TIERS,
        {"n_scenes": 3, "n_ai_scenes": 5},
        "n_ai_scenes",
        "其中应用人工智能的场景数",
        "不能大于",
    ),
    (
        Q22,
        {"上年度研发费用": 7000, "营业收入": 6000},
        "上年度研发费用",
        "上年度研发费用总额",
        "不能大于",
    ),
    (GREEN, {"water_used": 10, "water_reused": 11}, "water_reused", "重复利用水量", "不能大于"),
    (
        GREEN,
        {"energy_intensity.benchmark": 0.3, "energy_intensity.leading": 0.5},
        "energy_intensity.leading",
        "能源消耗强度 引领值",
        "应低于基准值",
    ),
]


def test_bad_input_named_in_chinese_and_nothing_saved(app, login, world):
    c = login(world.emails["ent_member"])
    drafts = {}
    for key, answers, field, label, words in BAD:
        if key not in drafts:
            drafts[key] = _start(c, world, key)
        a = drafts[key]
        # a good answer in the same batch is not saved either
        good = {"maturity_level": "3"} if key == TIERS else {}
        r = _patch(c, a["id"], a["revision"], {**good, **answers})
        assert r.status_code == 422, (key, answers, r.text)
        body = r.json()
        assert body["field"] == field and label in body["detail"] and words in body["detail"]
        assert not any("\u0041" <= ch <= "\u005a" for ch in body["detail"].replace("NaN", ""))
        row = _row(app, a["id"])
        assert row.responses == {} and row.revision == 0


def test_contradiction_across_two_saves_is_refused(app, login, world):
    c = login(world.emails["ent_member"])
    a = _start(c, world, TIERS)
    r = _patch(c, a["id"], 0, {"n_scenes": 4})
    assert r.status_code == 200
    r = _patch(c, a["id"], 1, {"n_ai_scenes": 5})  # the whole entered earlier
    assert r.status_code == 422 and r.json()["field"] == "n_ai_scenes"
    assert "（5个）不能大于“已建典型场景数”（4个）" in r.json()["detail"]
    assert _row(app, a["id"]).responses == {"n_scenes": 4}


def test_stale_revision_and_double_submit(app, login, world):
    c = login(world.emails["ent_member"])
    a = _start(c, world, Q26)
    assert _patch(c, a["id"], 0, {"营业收入": 5000}).status_code == 200
    r = _patch(c, a["id"], 0, {"细分市场年限": 4})
    assert r.status_code == 409 and r.json()["field"] == "revision"
    assert _row(app, a["id"]).responses == {"营业收入": 5000.0}
    assert c.post(f"/api/v1/assessments/{a['id']}/submit", json={"revision": 1}).status_code == 200
    again = c.post(f"/api/v1/assessments/{a['id']}/submit", json={"revision": 1})
    assert again.status_code == 409
    with app.state.session_factory() as s:
        submits = s.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "assessment", AuditEvent.action == "submit"
            )
        ).all()
    assert len(submits) == 1


@pytest.mark.parametrize(
    ("key", "answers", "field", "words"),
    [
        (CMMM, {"data_1a": "全部满足"}, "org_strategy_1a", "199 项要求缺少答案"),
        (GREEN, {"energy_intensity": 0.4}, "points_preset", "请选择指标分值来源"),
        (GREEN, {"points_preset": "table-c1-example", "carbon_intensity": 2}, "carbon_intensity",
         "需要基准值和引领值"),
        (TIERS, {}, None, "尚未填写任何内容"),
    ],
)  # fmt: skip
def test_submit_refused_names_the_field(app, login, world, key, answers, field, words):
    c = login(world.emails["ent_member"])
    a = _start(c, world, key)
    if answers:
        assert _patch(c, a["id"], 0, answers).status_code == 200
    r = c.post(f"/api/v1/assessments/{a['id']}/submit")
    assert r.status_code == 422, r.text
    assert r.json().get("field") == field and words in r.json()["detail"]
    assert r.json()["detail"].startswith("无法提交：")
    assert _row(app, a["id"]).status == "draft"


def test_form_post_without_js_keeps_input_and_names_field(app, login, world):
    c = login(world.emails["ent_member"])
    a = _start(c, world, GREEN)
    form = {
        "csrf_token": c.csrf,
        "revision": "0",
        "a.water_used": "100",
        "a.water_reused": "120",
        "a.iso9001": "true",
        "a.links": [],
    }
    r = c.post(f"/assessments/{a['id']}/save", data=form)
    assert r.status_code == 422
    assert "“重复利用水量”（120立方米）不能大于“用水总量（含重复利用）”（100立方米）" in r.text
    assert 'value="120"' in r.text  # the input is shown again
    assert _row(app, a["id"]).responses == {}
    form["a.water_reused"] = "80"
    r = c.post(f"/assessments/{a['id']}/save", data=form, follow_redirects=False)
    assert r.status_code == 303
    saved = _row(app, a["id"]).responses
    assert saved == {"water_used": 100.0, "water_reused": 80.0, "iso9001": True}
    page = c.get(f"/assessments/{a['id']}").text
    assert 'value="80" readonly' in page  # 工业用水重复利用率 = 80 / 100 × 100


# ----------------------------------------------------------------- access, compare, roll-up
def test_other_organisation_gets_404_provider_reads_submitted_only(app, login, world):
    c = login(world.emails["ent_member"])
    draft = _start(c, world, GREEN)
    done = _fill_submit(c, world, TIERS, tier_answers())
    other = login(world.emails["ent2_admin"])
    for path in (
        f"/api/v1/assessments/{draft['id']}",
        f"/api/v1/assessments/{done['id']}/outcome",
        f"/assessments/{done['id']}/result",
        f"/api/v1/assessments/{done['id']}/report.xlsx",
    ):
        assert other.get(path).status_code == 404, path
    r = _patch(other, draft["id"], 0, {"iso9001": True})
    assert r.status_code == 404
    provider = login(world.emails["prov_member"])  # ent_sz shares with it
    assert provider.get(f"/api/v1/assessments/{done['id']}/outcome").status_code == 200
    assert provider.get(f"/api/v1/assessments/{draft['id']}").status_code == 404


def test_t0_t1_comparison_and_dashboard_rollup(app, login, world):
    c = login(world.emails["ent_member"])
    t0 = _fill_submit(c, world, TIERS, tier_answers())
    better = {**tier_answers(), "links": ["生产作业", "生产管理", "运营管理"],
              "kpi_position": "provincial_leading", "a_simulation": True, "a_design_iteration": True,
              "a_equipment_analysis": True, "a_integrated_control": True,
              "a_data_integration": True}  # fmt: skip
    t1 = _fill_submit(c, world, TIERS, better)
    assert (t0["label"], t1["label"]) == ("T0", "T1")
    assert assess_tier({**{k: v for k, v in better.items() if not k.startswith("n_")},
                        "maturity_level": 2}).tier == "先进级"  # fmt: skip
    assert t1["result"]["outcome"] == "先进级"
    page = c.get(
        f"/enterprises/{world.orgs['ent_sz']}/assessments/compare?a={t0['id']}&b={t1['id']}"
    )
    assert page.status_code == 200
    assert "基础级" in page.text and "先进级" in page.text and "+1" in page.text
    assert "工艺路线、布局、物流仿真" in page.text  # a condition whose status changed
    api = c.get(
        f"/api/v1/enterprises/{world.orgs['ent_sz']}/assessments/compare-outcomes",
        params={"a": t0["id"], "b": t1["id"]},
    ).json()
    assert (api["outcome_a"], api["outcome_b"], api["rank_change"]) == ("基础级", "先进级", 1)
    assert api["score_change"] is None
    changed = {x["text"]: (x["a"], x["b"]) for x in api["changes"]}
    assert changed["工艺路线、布局、物流仿真"] == ("不满足", "满足")
    assert changed["设计仿真迭代"] == ("无法判定", "满足")
    assert "规上工业企业" not in changed
    advanced = next(p for p in api["parts"] if p["name"] == "先进级")
    assert (advanced["a"], advanced["b"], advanced["max_value"]) == (
        7.0,
        14.0,
        14.0,
    )  # 6 基本要求 + 成熟度 → all 14
    officer = login(world.emails["sz_officer"])
    dash = officer.get("/dashboard")
    assert dash.status_code == 200 and 'id="framework-rollups"' in dash.text
    block = dash.text.split('data-framework="smart-factory-tiers-2025"')[1].split("</div>")[0]
    assert "已评测 1 家" in block  # ent_sz once: its latest (T1)
    rows = dict(
        (name, int(n))
        for name, n in __import__("re").findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", block)
    )
    assert rows == {"未达基础级": 0, "基础级": 0, "先进级": 1, "卓越级": 0, "领航级": 0}
    su = login(world.emails["su_officer"])  # another region: not in view
    assert 'data-framework="smart-factory-tiers-2025"' not in su.get("/dashboard").text


def test_no_template_for_rule_frameworks(app, login, world):
    c = login(world.emails["ent_member"])
    a = _start(c, world, CMMM)
    r = c.get(f"/api/v1/assessments/{a['id']}/template.xlsx")
    assert r.status_code == 409 and "没有 Excel 模板" in r.json()["detail"]
    keys = [f["key"] for f in c.get("/api/v1/frameworks").json()]
    assert {CMMM, TIERS, GREEN, Q22, Q26} <= set(keys)


def test_pdf_report_of_a_rule_framework(app, login, world):
    from nqpf.services.assess_report import pdf_available

    if not pdf_available():
        pytest.skip("no chromium: PDF reports cannot be printed here")
    if app.state.engine.url.get_backend_name() != "sqlite":
        pytest.skip("the PDF does not depend on the database: printed once, on SQLite")
    c = login(world.emails["ent_member"])
    body = _fill_submit(c, world, TIERS, tier_answers())
    r = c.get(f"/api/v1/assessments/{body['id']}/report.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF") and len(r.content) > 5000
    if shutil.which("pdftotext") is None:
        pytest.skip("no pdftotext (poppler-utils) to read the PDF's text layer")
    out = subprocess.run(
        ["pdftotext", "-", "-"], input=r.content, capture_output=True, check=True
    ).stdout.decode()
    text = out.replace("\n", "").replace(" ", "")
    assert "南山精密制造有限公司" in text and "结论：基础级" in text
    assert "工艺路线、布局、物流仿真" in text


def test_json_nan_and_infinity_named_in_chinese(app, login, world):
    c = login(world.emails["ent_member"])
    a = _start(c, world, Q26)
    body = '{"revision": 0, "answers": {"细分市场年限": 3, "营业收入": NaN}}'
    r = c.patch(
        f"/api/v1/assessments/{a['id']}",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json() == {
        "detail": "“上年度营业收入”应为有限数值（万元），收到 nan",
        "field": "营业收入",
    }
    assert _row(app, a["id"]).responses == {}
