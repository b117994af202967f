"""The analyst flow in a real browser: upload the demo panel → data-quality report →
choices → background job with progress in the page → results (map, charts, tables) →
HTML and PDF report.  The test starts the job worker itself; screenshots go to the test's
temp folder (NQPF_SCREENSHOTS=<dir> keeps them elsewhere)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tests.web.world import PASSWORD

expect = pytest.importorskip("playwright.sync_api").expect

ROOT = Path(__file__).resolve().parents[3]
JOB_TIMEOUT = 180_000  # ms: the whole demo run with its PDF on a loaded 2-core machine


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("NQPF_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def live_db(live_server, tmp_path):
    """A session factory of the live server's database."""
    from nqpf.web.db import make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def job_worker(live_db, tmp_path):
    """The job worker of the live server's database (a thread of this process)."""
    from nqpf.web.jobs import WorkerThread, queue_for

    queue = queue_for(f"sqlite:///{tmp_path / 'browser.db'}")
    with WorkerThread(queue, live_db, poll=0.1):
        yield
    queue.close()


def _sign_in_officer(page, base: str, email: str, live_db) -> None:
    """Password, then the two-factor step officers need (the test secret's next code)."""
    from tests.web.security.totp_support import enrol_required, fresh_code

    from nqpf.web.config import Settings

    with live_db() as session:
        enrol_required(session, Settings(env="test", secret_key="b" * 32))
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if "/login/totp" in page.url:
        page.fill("input[name=code]", fresh_code(live_db, email))
        page.click("button[type=submit]")
    expect(page).not_to_have_url(f"{base}/login", timeout=10_000)


def test_upload_panel_run_job_read_report(page, live_server, live_db, job_worker, tmp_path):
    base, world = live_server
    shots = _shots(tmp_path)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 1000})
    _sign_in_officer(page, base, world.emails["sz_officer"], live_db)

    page.click("nav >> text=区域分析")
    page.select_option("select[name=dataset]", "")
    page.set_input_files("input[name=file]", str(ROOT / "examples" / "demo_panel.csv"))
    page.click("text=检查数据")
    expect(page.locator("h1")).to_have_text("数据质量报告")
    expect(page.locator("main")).to_contain_text("372 行，31 个单位 × 12 期")
    expect(page.locator("table.quality")).to_contain_text("平衡面板")
    page.screenshot(path=str(shots / "1-quality.png"), full_page=True)

    page.select_option("select[name=weighting]", "critic")
    page.click("text=确认并运行")
    expect(page.locator(".job-status")).to_be_visible()
    started = time.monotonic()
    # progress moves in the page (the JS poll), then the page reloads with the results
    expect(page.locator("#job-state")).to_have_text("运行中", timeout=JOB_TIMEOUT)
    page.screenshot(path=str(shots / "2-running.png"))
    expect(page.locator("#results")).to_be_visible(timeout=JOB_TIMEOUT)
    waited = time.monotonic() - started
    job_id = int(page.url.rsplit("/", 1)[1])
    body = page.request.get(f"{base}/api/v1/jobs/{job_id}").json()
    assert body["state"] == "done" and body["progress"] == 1.0, body
    print(f"demo-panel job #{job_id}: {body['created_at']} → {body['finished_at']} "
          f"({waited:.1f} s seen in the page)")  # fmt: skip

    expect(page.locator(".run-config")).to_contain_text("critic")
    expect(page.locator(".tile-map [data-region-code]")).to_have_count(34)
    expect(page.locator("table.ranking tbody tr")).to_have_count(31)
    expect(page.locator("figure svg")).not_to_have_count(0)
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(shots / "3-results.png"), full_page=True)

    report = page.request.get(f"{base}/jobs/{job_id}/files/report.html")
    assert report.ok and "基尼系数" in report.text()
    pdf = page.request.get(f"{base}/jobs/{job_id}/files/report.pdf")
    assert pdf.ok and pdf.body()[:5] == b"%PDF-" and len(pdf.body()) > 100_000
    page.goto(f"{base}/jobs/{job_id}/files/report.html")
    page.screenshot(path=str(shots / "4-report.png"))
    assert not errors, errors
