"""A programme in a real browser: an officer defines it, uploads its members (CSV of
credit codes and start years), runs the evaluation as a background job, sees the
event-study chart (ECharts, vendored) and downloads the XLSX.  Screenshots go to the
test's temp folder (NQPF_SCREENSHOTS=<dir> keeps them elsewhere)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.web.browser.assess_pages import TIMEOUT, sign_in
from tests.web.programme_world import seed_panel

from nqpf.web import jobs
from nqpf.web.db import make_engine, make_session_factory
from nqpf.web.models import EnterpriseProfile

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def _every_evaluation_queued(monkeypatch):
    monkeypatch.setenv("NQPF_PROGRAMME_JOB_ROWS", "0")  # read by live_server's Settings


def test_programme_job_chart_xlsx(_every_evaluation_queued, page, live_server, tmp_path):
    from openpyxl import load_workbook

    base, world = live_server
    shots = Path(os.environ.get("NQPF_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as s:
        cohorts, truth, _ = seed_panel(s, n_units=40, seed=3)
        rows = s.execute(select(EnterpriseProfile.organization_id, EnterpriseProfile.credit_code))
        codes = {eid: code for eid, code in rows}
    members = "".join(f"{codes[e]},{g},规上\n" for e, g in cohorts.items() if g)
    csv = tmp_path / "成员名单.csv"
    csv.write_text("统一社会信用代码,起始年份,规模\n" + members, encoding="utf-8")

    with jobs.WorkerThread(jobs.queue_for(url), factory, poll=0.05):
        sign_in(page, base, world.emails["sz_officer"])
        page.set_viewport_size({"width": 1280, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/programmes")
        page.fill("#create input[name=name]", "数字化转型城市试点（示例）")
        page.click("#create button[type=submit]")
        expect(page.get_by_role("status")).to_contain_text("项目已创建", timeout=TIMEOUT)

        page.set_input_files("#members input[type=file]", str(csv))
        page.click("#members form[enctype] button[type=submit]")
        expect(page.get_by_role("status")).to_contain_text("成员已更新", timeout=TIMEOUT)
        expect(page.locator("#members tbody tr")).to_have_count(members.count("\n"))

        page.click("#run-evaluation")
        expect(page.locator("#job-state, [role=status]").first).to_contain_text(
            "后台", timeout=TIMEOUT
        )
        chart = page.locator("#event-chart")
        expect(chart).to_have_attribute("data-ready", "1", timeout=60_000)
        assert not errors, errors
        page.locator("#estimate").screenshot(path=str(shots / "1-estimate.png"))
        page.screenshot(path=str(shots / "2-programme.png"), full_page=True)
        cs = page.locator("#estimate tbody tr").first
        expect(cs).to_contain_text("Callaway")

        with page.expect_download() as info:
            page.click("#xlsx-download")
        book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    engine.dispose()
    sheet = book["因果估计"]
    lo, hi = float(sheet.cell(2, 5).value), float(sheet.cell(2, 6).value)
    assert sheet.cell(1, 5).value == "区间下限"
    assert lo <= truth.att() <= hi
