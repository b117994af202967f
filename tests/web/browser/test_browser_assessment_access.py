"""Authority officers in a real browser: the region's officer finds the enterprise and
opens its result; another region's officer neither lists it nor reaches its pages (404)."""

from __future__ import annotations

import re

import pytest
from tests.web.browser.assess_pages import (
    browser_answers,
    expect_result_page,
    framework,
    sign_in,
    submit_via_api,
)

expect = pytest.importorskip("playwright.sync_api").expect

NAME = "南山精密制造有限公司"


def test_region_officer_sees_result_other_region_gets_404(page, new_context, live_server):
    from nqpf.assessment import score

    base, world = live_server
    fw = framework()
    answers = browser_answers(fw)
    enterprise = world.orgs["ent_sz"]
    sign_in(page, base, world.emails["ent_admin"])
    aid = submit_via_api(page, base, enterprise, answers)
    page.context.close()
    level = score(fw, answers).level_name

    # the officer of 4403 lists the enterprise (with its latest level) and opens the result
    officer = new_context().new_page()
    sign_in(officer, base, world.emails["sz_officer"])
    officer.goto(f"{base}/enterprises")
    row = officer.get_by_role("row", name=re.compile(NAME))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(level)
    expect(officer.get_by_role("link", name="吴中装备股份有限公司")).to_have_count(0)
    row.get_by_role("link", name=NAME).click()
    expect(officer).to_have_url(f"{base}/enterprises/{enterprise}")
    expect(officer.locator("#assessments")).to_contain_text(f"最新评测等级：{level}")
    officer.get_by_role("link", name="查看评测").click()
    expect(officer).to_have_url(f"{base}/enterprises/{enterprise}/assessments")
    expect(officer.get_by_role("button", name="开始新评测")).to_have_count(0)  # read only
    officer.get_by_role("row", name=re.compile(r"T0")).get_by_role("link", name="查看结果").click()
    expect(officer).to_have_url(f"{base}/assessments/{aid}/result")
    expect_result_page(officer, fw, answers)
    officer.context.close()

    # the officer of 3205 does not see it, neither in the list nor by its URLs
    other = new_context().new_page()
    sign_in(other, base, world.emails["su_officer"])
    other.goto(f"{base}/enterprises")
    expect(other.get_by_role("link", name="吴中装备股份有限公司")).to_be_visible()
    expect(other.get_by_role("link", name=NAME)).to_have_count(0)
    other.get_by_role("searchbox", name="名称或信用代码").fill("南山")
    other.get_by_role("button", name="筛选").click()
    expect(other.get_by_text("没有符合条件的企业")).to_be_visible()
    for url in (
        f"/assessments/{aid}/result",
        f"/assessments/{aid}",
        f"/enterprises/{enterprise}",
        f"/enterprises/{enterprise}/assessments",
    ):
        response = other.goto(base + url)
        assert response is not None and response.status == 404, url
        expect(other.get_by_role("heading", level=1)).to_contain_text("未找到")
        expect(other.get_by_role("heading", level=1)).to_contain_text("404")
        expect(other.get_by_role("main")).not_to_contain_text(NAME)
    for url in (f"/api/v1/assessments/{aid}/report.xlsx", f"/api/v1/assessments/{aid}/result"):
        response = other.request.get(base + url)
        assert response.status == 404, url


def test_hidden_assessment_404_is_the_same_as_a_missing_one(page, new_context, live_server):
    """Another region's officer cannot tell an existing assessment from a missing one, nor
    learn its enterprise id (regression: the 404 used to say '企业 {enterprise id} 不存在…')."""
    base, world = live_server
    sign_in(page, base, world.emails["ent_admin"])
    aid = submit_via_api(page, base, world.orgs["ent_sz"], browser_answers(framework()))
    page.context.close()

    other = new_context().new_page()
    sign_in(other, base, world.emails["su_officer"])
    missing = aid + 1000
    for path in ("/assessments/{id}/result", "/assessments/{id}"):
        texts = {}
        for key, assessment in (("hidden", aid), ("missing", missing)):
            response = other.goto(base + path.format(id=assessment))
            assert response is not None and response.status == 404
            texts[key] = other.get_by_role("alert").inner_text().replace(str(assessment), "{id}")
        assert f"企业 {world.orgs['ent_sz']}" not in texts["hidden"], path
        assert texts["hidden"] == texts["missing"], path
    for path in ("/api/v1/assessments/{id}/result", "/api/v1/assessments/{id}/report.xlsx"):
        bodies = {}
        for key, assessment in (("hidden", aid), ("missing", missing)):
            response = other.request.get(base + path.format(id=assessment))
            assert response.status == 404, path
            bodies[key] = response.text().replace(str(assessment), "{id}")
        assert bodies["hidden"] == bodies["missing"], path
