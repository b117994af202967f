"""An enterprise fills the SME digital questionnaire in a real browser over two sittings
(JS autosave, resume in a new browser context), submits it and downloads its reports."""

from __future__ import annotations

import io
import re

import pytest
from tests.web.browser.assess_pages import (
    FRAMEWORK,
    TIMEOUT,
    answer_input,
    browser_answers,
    enter,
    expect_entered,
    expect_result_page,
    framework,
    sign_in,
    submit_via_api,
    wait_autosaved,
)

expect = pytest.importorskip("playwright.sync_api").expect


def test_two_sittings_autosave_resume_submit(page, new_context, live_server):
    base, world = live_server
    fw = framework()
    answers = browser_answers(fw)
    questions = [q.id for q in fw.questions]
    scenes = list(fw.scene_ids)
    first = questions[:8] + scenes[:6]
    rest = [k for k in questions + scenes if k not in first]
    assert "talent" in rest
    enterprise = world.orgs["ent_sz"]
    assessments = f"{base}/enterprises/{enterprise}/assessments"

    # first sitting: start the assessment, answer part of it, autosave
    sign_in(page, base, world.emails["ent_admin"])
    page.goto(assessments)
    expect(page.get_by_text("还没有评测")).to_be_visible()
    page.locator("select[name=framework]").select_option(FRAMEWORK)
    page.get_by_role("button", name="开始新评测").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/assessments/\d+$"))
    draft_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text("南山精密制造有限公司")
    expect(page.locator("#progress-answered")).to_have_text("0")
    enter(page, fw, answers, first)
    wait_autosaved(page, len(first))
    page.context.close()

    # second sitting: a new browser context signs in again and resumes the draft
    page = new_context().new_page()
    sign_in(page, base, world.emails["ent_admin"])
    page.goto(assessments)
    row = page.get_by_role("row", name=re.compile(r"T0"))
    expect(row).to_contain_text("草稿")
    row.get_by_role("link", name="继续填写").click()
    expect(page).to_have_url(draft_url)
    expect(page.locator("#progress-answered")).to_have_text(str(len(first)))
    expect_entered(page, fw, answers, first)
    for key in rest:  # nothing of the rest was saved
        expect(answer_input(page, key).and_(page.locator(":checked"))).to_have_count(0)

    # "以上均无" clears the options of its multi-select (and the other way round)
    answer_input(page, "talent", "A").check()
    answer_input(page, "talent", "B").check()
    answer_input(page, "talent", "__none__").check()
    expect(answer_input(page, "talent", "A")).not_to_be_checked()
    expect(answer_input(page, "talent", "B")).not_to_be_checked()
    enter(page, fw, answers, rest)
    wait_autosaved(page, len(questions) + len(scenes))
    expect_entered(page, fw, answers, first + rest)

    page.get_by_role("button", name="提交评测").click()
    expect_result_page(page, fw, answers)

    # the list shows the submitted assessment with its level; the draft URL leads to the result
    page.get_by_role("link", name="返回评测列表").click()
    row = page.get_by_role("row", name=re.compile(r"T0"))
    expect(row).to_contain_text("已提交")
    expect(row).to_contain_text(expect_level(fw, answers))
    page.goto(draft_url)
    expect(page).to_have_url(f"{draft_url}/result")


def expect_level(fw, answers) -> str:
    from nqpf.assessment import score

    return score(fw, answers).level_name


def test_download_pdf_and_xlsx_reports(page, live_server):
    openpyxl = pytest.importorskip("openpyxl")
    base, world = live_server
    fw = framework()
    answers = browser_answers(fw)
    sign_in(page, base, world.emails["ent_admin"])
    aid = submit_via_api(page, base, world.orgs["ent_sz"], answers)
    page.goto(f"{base}/assessments/{aid}/result")
    expect_result_page(page, fw, answers)

    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("link", name="下载 PDF 报告").click()
    download = info.value
    assert download.failure() is None
    # the enterprise's name and the framework's Chinese name (issue 17)
    stem = f"南山精密制造有限公司-{fw.name}-T0"
    assert download.suggested_filename == f"{stem}.pdf"
    pdf = download.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1000

    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_role("link", name="下载 XLSX 评分表").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"{stem}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    assert "路线图" in book.sheetnames
    assert len(book.sheetnames) >= 2
    cells = [
        str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r if v
    ]
    assert any(fw.scenes[0].name in c for c in cells)
