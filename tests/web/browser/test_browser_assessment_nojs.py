"""Progressive enhancement: the questionnaire works as a plain HTML form when the browser
runs no JavaScript (no autosave): 保存草稿 saves, 提交评测 saves and submits."""

from __future__ import annotations

import re

import pytest
from tests.web.browser.assess_pages import (
    answer_input,
    browser_answers,
    enter,
    expect_entered,
    expect_result_page,
    framework,
    sign_in,
)

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_questionnaire_without_javascript(page, live_server):
    base, world = live_server
    fw = framework()
    answers = browser_answers(fw)
    questions = [q.id for q in fw.questions]
    scenes = list(fw.scene_ids)
    first = questions[:10] + scenes[:4]
    rest = [k for k in questions + scenes if k not in first]
    assert "talent" in first

    sign_in(page, base, world.emails["ent_admin"])
    page.goto(f"{base}/enterprises/{world.orgs['ent_sz']}/assessments")
    page.get_by_role("button", name="开始新评测").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/assessments/\d+$"))
    draft_url = page.url
    assert page.evaluate("typeof window.nqpf") == "undefined"  # app.js did not run

    # without JS nothing unchecks "以上均无": the server refuses the pair and keeps the input
    enter(page, fw, answers, first)
    answer_input(page, "talent", "A").check()
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("alert")).to_contain_text("“以上均无”不能与其他选项同时选择")
    expect(answer_input(page, "talent", "A")).to_be_checked()
    expect(answer_input(page, "talent", "__none__")).to_be_checked()
    expect(page.locator("#f-talent")).to_have_class(re.compile(r"has-error"))
    expect(page.locator("#progress-answered")).to_have_text("0")  # nothing saved

    answer_input(page, "talent", "A").uncheck()
    page.get_by_role("button", name="保存草稿").click()
    expect(page).to_have_url(f"{draft_url}?saved=1")
    expect(page.get_by_role("status")).to_have_text("草稿已保存")
    expect(page.locator("#progress-answered")).to_have_text(str(len(first)))
    expect(page.locator("#savestate")).to_have_text("")  # the autosave indicator stays idle

    page.goto(draft_url)  # a fresh load shows the saved draft
    expect_entered(page, fw, answers, first)

    # submitting an incomplete draft names what is missing and keeps the draft
    page.get_by_role("button", name="提交评测").click()
    expect(page.get_by_role("alert")).to_contain_text("无法提交")
    expect_entered(page, fw, answers, first)

    enter(page, fw, answers, rest)
    page.get_by_role("button", name="提交评测").click()
    expect_result_page(page, fw, answers)
