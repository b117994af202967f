"""An enterprise fills every rule framework in a real browser: CMMM self-check (a whole
level at once), smart-factory tiers, 优质中小企业 2022 and 2026, green factory — with JS
autosave, derived rates appearing as the amounts are typed, a refused value named in
Chinese, and the result page showing what the engine gives for the same answers.
Screenshots of each form and result go to ``$NQPF_SCREENSHOTS`` (default: the test's
temporary folder)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from tests.web.browser.assess_pages import TIMEOUT, sign_in, wait_autosaved

from nqpf.assessment.forms import answered, rule_forms
from nqpf.services.assess import score_rule_form

expect = pytest.importorskip("playwright.sync_api").expect


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("NQPF_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _start(page, base: str, enterprise: int, key: str) -> None:
    page.goto(f"{base}/enterprises/{enterprise}/assessments")
    page.locator("select[name=framework]").select_option(key)
    page.get_by_role("button", name="开始新评测").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/assessments/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(rule_forms()[key].name)


def _pick(page, key: str, value: str) -> None:
    page.locator(f'[name="a.{key}"][value="{value}"]').check()


def _type(page, key: str, value: str) -> None:
    box = page.locator(f'[name="a.{key}"]')
    box.fill(value)
    box.press("Tab")  # leaving the box fires its change event, as a person's typing does


def _submit_and_check(page, key: str, answers: dict[str, Any], shots: Path, n: int) -> None:
    form = rule_forms()[key]
    wait_autosaved(page, answered(form, answers))
    page.screenshot(path=str(shots / f"{n}-{key}-form.png"))
    # (a full-page screenshot just before made Chromium drop this click: viewport only)
    page.get_by_role("button", name="提交评测").click()
    expect(page).to_have_url(re.compile(r"/assessments/\d+/result$"))
    _, outcome = score_rule_form(form, answers)
    expect(page.locator("#outcome")).to_have_text(outcome.headline)
    if outcome.unmet:
        expect(page.locator("#unmet li")).to_have_count(len(outcome.unmet))
        expect(page.locator("#unmet li").first).to_have_text(outcome.unmet[0])
    page.screenshot(path=str(shots / f"{n}-{key}-result.png"), full_page=True)


def test_fill_every_rule_framework(page, live_server, tmp_path):
    base, world = live_server
    shots = _shots(tmp_path)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 1000})
    enterprise = world.orgs["ent_sz"]
    sign_in(page, base, world.emails["ent_admin"])
    page.get_by_role("navigation").get_by_role("link", name="评测", exact=True).click()
    expect(page).to_have_url(f"{base}/enterprises/{enterprise}/assessments")

    # CMMM: levels 1–2 全部满足, 3–5 部分满足 (whole levels at once), one item lowered
    key = "cmmm-selfcheck-1"
    _start(page, base, enterprise, key)
    for level, choice in (
        (1, "全部满足"),
        (2, "全部满足"),
        (3, "部分满足"),
        (4, "不满足"),
        (5, "不满足"),
    ):
        page.locator(f'[data-fill-level="{level}"]').select_option(choice)
        page.locator(f'[data-fill-button="{level}"]').click()
    _pick(page, "data_3a", "不满足")
    items = rule_forms()[key].fields
    cmmm = {f.id: "全部满足" if f.level <= 2 else "部分满足" if f.level == 3 else "不满足"
            for f in items}  # fmt: skip
    cmmm["data_3a"] = "不满足"
    _submit_and_check(page, key, cmmm, shots, 1)

    # smart-factory tiers: the AI share is derived from the two scene counts
    key = "smart-factory-tiers-2025"
    _start(page, base, enterprise, key)
    tiers: dict[str, Any] = {"maturity_level": "2", "links": ["生产作业"],
                             "kpi_position": "above_provincial_average", "n_scenes": 10,
                             "n_ai_scenes": 3}  # fmt: skip
    _pick(page, "maturity_level", "2")
    _pick(page, "links", "生产作业")
    _pick(page, "kpi_position", "above_provincial_average")
    _type(page, "n_scenes", "10")
    _type(page, "n_ai_scenes", "3")
    share = page.locator('[name="a.ai_scene_share"]')
    expect(share).to_have_value("30")
    expect(share).to_have_attribute("readonly", "")
    for flag in ("above_scale", "competitive", "sound_operations", "clean_record",
                 "secure_controllable", "organisation", "b_planning", "b_design_tools",
                 "b_equipment", "b_production_system", "b_operations_system"):  # fmt: skip
        _pick(page, flag, "true")
        tiers[flag] = True
    _pick(page, "a_simulation", "false")
    tiers["a_simulation"] = False
    _submit_and_check(page, key, tiers, shots, 2)
    expect(page.locator("#outcome")).to_have_text("基础级")

    # 优质中小企业 2022: the R&D rate from the two amounts; an innovative SME at 75 points
    key = "quality-sme-2022"
    _start(page, base, enterprise, key)
    q22: dict[str, Any] = {"上年度研发费用": 180, "营业收入": 6000, "主导产品有效知识产权": "Ⅰ类",
                           "主营业务收入增长率": 10, "资产负债率": 50, "主营收入占比": 60,
                           "主导产品属战略性新兴产业": True, "近三年新增股权融资": 0}  # fmt: skip
    for k in ("上年度研发费用", "营业收入", "主营业务收入增长率", "资产负债率", "主营收入占比",
              "近三年新增股权融资"):  # fmt: skip
        _type(page, k, str(q22[k]))
    expect(page.locator('[name="a.研发费用占比"]')).to_have_value("3")
    _pick(page, "主导产品有效知识产权", "Ⅰ类")
    _pick(page, "主导产品属战略性新兴产业", "true")
    _submit_and_check(page, key, q22, shots, 3)
    expect(page.locator("#outcome")).to_have_text("创新型中小企业")

    # 优质中小企业 2026: a negative amount is refused and named, then corrected
    key = "quality-sme-2026"
    _start(page, base, enterprise, key)
    _type(page, "营业收入", "-5")
    message = page.locator('[data-error-for="营业收入"]')
    expect(message).to_contain_text("“上年度营业收入”应为不小于 0 的数值（万元）", timeout=TIMEOUT)
    expect(page.locator("#savestate")).to_contain_text("保存失败")
    _type(page, "营业收入", "5000")
    _type(page, "上年度研发费用", "150")
    expect(page.locator('[name="a.研发费用占比"]')).to_have_value("3")
    _type(page, "细分市场年限", "4")
    _submit_and_check(page, key, {"营业收入": 5000, "上年度研发费用": 150, "细分市场年限": 4},
                      shots, 4)  # fmt: skip

    # green factory: example points, a rate from two amounts, one indicator 不涉及
    key = "green-factory-2025"
    _start(page, base, enterprise, key)
    _pick(page, "points_preset", "table-c1-example")
    green: dict[str, Any] = {"points_preset": "table-c1-example"}
    for k, v in (("energy_intensity", 0.4), ("energy_intensity.benchmark", 0.5),
                 ("energy_intensity.leading", 0.3), ("water_used", 1000), ("water_reused", 850),
                 ("water_reuse_rate.benchmark", 80), ("water_reuse_rate.leading", 95)):  # fmt: skip
        _type(page, k, str(v))
        green[k] = v
    expect(page.locator('[name="a.water_reuse_rate"]')).to_have_value("85")
    page.locator('[data-na-for="a.land_output"]').click()
    green["land_output"] = "不涉及"
    _pick(page, "iso9001", "true")
    green["iso9001"] = True
    _submit_and_check(page, key, green, shots, 5)
    expect(page.locator("strong.total")).to_have_text("6.7")  # 6.667, shown to one decimal

    # the list shows each outcome
    page.goto(f"{base}/enterprises/{enterprise}/assessments")
    for text in ("二级 规范级", "基础级", "创新型中小企业", "基本要求待确认"):
        expect(page.get_by_role("cell", name=text, exact=True)).to_be_visible()
    page.screenshot(path=str(shots / "6-list.png"), full_page=True)
    assert not errors, errors
