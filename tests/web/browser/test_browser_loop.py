"""The loop in a real browser: an enterprise assesses, turns a roadmap step into a need,
sees the matches with their reasons, shares the need with two providers; a provider
proposes; the enterprise accepts (a project), updates a milestone and closes the project
with its satisfaction — and the provider's rating in the catalogue changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from tests.web.browser.assess_pages import (
    TIMEOUT,
    browser_answers,
    framework,
    sign_in,
    submit_via_api,
)
from tests.web.loop_world import EQUIPMENT, actor_of, admit

from nqpf.web.db import make_engine, make_session_factory
from nqpf.web.services import solutions as solution_service

expect = pytest.importorskip("playwright.sync_api").expect


def _seed_catalogue(tmp_path, world) -> None:
    """prov and prov2 each publish a 设备管理 solution (三级→四级) and are admitted to
    auth_sz's register (the world's ent_sz is in its region)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    try:
        with make_session_factory(engine)() as s:
            sz = actor_of(s, world.emails["sz_admin"])
            for name, title in (("prov", "设备联网与预测性维护"), ("prov2", "设备管理云平台")):
                who = actor_of(s, world.emails[f"{name}_member"])
                fields = {**EQUIPMENT, "name": title, "from_level": "2", "to_level": "4",
                          "prerequisites": "equipment_network_rate >= 40 %"}  # fmt: skip
                solution_service.create(s, who, fields, ref=f"{name}-1")
                admit(s, sz, who, world.orgs["auth_sz"], world.orgs[name])
    finally:
        engine.dispose()


def _rating_of(page, base: str, solution: str):
    page.goto(f"{base}/solutions")
    return page.get_by_role("row", name=re.compile(solution))


def test_assess_need_match_share_propose_project_close_rating(
    page, new_context, live_server, tmp_path
):
    base, world = live_server
    _seed_catalogue(tmp_path, world)
    today = dt.date.today().isoformat()

    # the enterprise assesses (T0) and turns its 设备管理 roadmap step into a need
    sign_in(page, base, world.emails["ent_admin"])
    submit_via_api(page, base, world.orgs["ent_sz"], browser_answers(framework()))
    expect(_rating_of(page, base, "设备联网与预测性维护")).to_contain_text("暂无")
    page.goto(f"{base}/needs")
    page.get_by_role("link", name=re.compile("从评测路线图生成需求")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("从评测路线图生成需求")
    for box in page.locator("input[name=step]").all():
        box.uncheck()
    page.locator("input[name=step][value=scene_equipment]").check()
    page.get_by_role("button", name="生成需求").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("设备管理（三级→四级）")
    expect(page.locator(".badge.status-draft")).to_have_text("草稿")
    need_url = page.url
    page.get_by_role("button", name="发布").click()
    expect(page.locator("h1 .badge")).to_have_text("发布")

    # matches with the engine's reasons; share with both providers
    page.get_by_role("link", name="技术匹配").click()
    matches = page.locator("li.match")
    expect(matches).to_have_count(2)
    expect(matches.first.locator("ul.reasons")).to_contain_text("匹配场景：设备管理（三级→四级）")
    expect(page.locator("ul.reasons").first).to_contain_text("设备联网率")
    for box in page.locator("input[name=provider_id]").all():
        box.check()
    page.get_by_role("button", name="与所选服务商共享需求").click()
    shares = page.locator("#shares tbody")
    expect(shares).to_contain_text("智转服务商")
    expect(shares).to_contain_text("另一家服务商")
    expect(page.locator("h1 .badge")).to_have_text("已对接")

    # a provider sees the need shared with it and proposes
    provider = new_context().new_page()
    sign_in(provider, base, world.emails["prov_member"])
    provider.goto(f"{base}/needs")
    provider.get_by_role("link", name="设备管理（三级→四级）").click()
    provider.locator("select[name=solution_id]").select_option(label="设备联网与预测性维护")
    provider.fill("textarea[name=text]", "部署设备联网与预测性维护，10 周上线")
    provider.fill("input[name=price]", "45")
    provider.fill("input[name=weeks]", "10")
    provider.get_by_role("button", name="提交建议").click()
    expect(provider.locator("#proposals tbody")).to_contain_text("待回复")

    # the enterprise accepts: a project; updates a milestone; closes with satisfaction
    page.goto(need_url)
    row = page.get_by_role("row", name=re.compile("智转服务商"))
    row.get_by_role("button", name="接受并立项").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/projects/\d+$"), timeout=TIMEOUT)
    page.locator("input[name=m_title]").first.fill("设备联网完成")
    page.locator("input[name=m_due]").first.fill(today)
    page.locator("input[name=m_done]").first.fill(today)
    page.locator("input[name=k_name]").first.fill("设备联网率")
    page.locator("input[name=k_baseline]").first.fill("48")
    page.locator("input[name=k_target]").first.fill("80")
    page.locator("input[name=k_unit]").first.fill("%")
    page.get_by_role("button", name="保存计划与进度").click()
    expect(page.get_by_role("status")).to_have_text("已保存")
    expect(page.locator("input[name=m_title]").first).to_have_value("设备联网完成")
    # the provider sees the same milestone on its side
    provider.goto(page.url.split("?")[0])
    expect(provider.locator("input[name=m_title]").first).to_have_value("设备联网完成")
    page.locator("input[name=satisfaction][value='5']").check()
    page.fill("textarea[name=note]", "按期交付")
    page.get_by_role("button", name="关闭项目").click()
    expect(page.get_by_role("status")).to_have_text("项目已关闭")
    expect(page.locator("h1 .badge")).to_have_text("已关闭")

    # the provider's rating changed: one closed project, 5 stars, on time → 3.7
    expect(_rating_of(page, base, "设备联网与预测性维护")).to_contain_text("3.7 星")
    expect(_rating_of(page, base, "设备管理云平台")).to_contain_text("暂无")
