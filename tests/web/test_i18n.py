"""The reader's language (issue 17 items 5–7): Chinese validation messages, download names
with the enterprise and the framework in Chinese, inventories for years whose grid factor
is not published yet."""

from __future__ import annotations

import shutil
from urllib.parse import quote

import pytest

from nqpf.web.errors import validation_message_zh
from nqpf.web.i18n import download_filename


@pytest.fixture
def db_url(migrated_url: str) -> str:
    """SQLite only: what is tested here does not depend on the database."""
    return migrated_url


def test_download_filename_keeps_chinese_and_drops_what_file_systems_refuse():
    assert download_filename("南山精密制造有限公司", "碳排放盘查", "2024年", ext="xlsx") == (
        "南山精密制造有限公司-碳排放盘查-2024年.xlsx"
    )
    assert download_filename('a/b\\c:d*e?"f<g>h|', ext="pdf") == "a_b_c_d_e_f_g_h_.pdf"
    assert download_filename("", None, ext="pdf") == "download.pdf"
    assert len(download_filename("长" * 500, ext="pdf")) == 120 + len(".pdf")


@pytest.mark.parametrize(
    ("error", "field", "message"),
    [
        ({"type": "finite_number"}, "value", "数值：应为有限数值（不能为无穷大或 NaN）"),
        ({"type": "missing"}, "records.2.carrier", "能源消费记录第 3 行的能源品种：必填"),
        ({"type": "less_than_equal", "ctx": {"le": 100}}, "quantity", "用量：应不大于 100"),
        ({"type": "string_too_long", "ctx": {"max_length": 200}}, "name", "名称：至多 200 个字符"),
        ({"type": "some_new_type", "msg": "Input should be …"}, None, "输入格式不正确"),
    ],
)
def test_pydantic_errors_in_chinese_by_type(error, field, message):
    assert validation_message_zh(error, field=field) == message


def test_api_validation_error_is_chinese_and_names_the_field(app, world, client, token_for):
    h = token_for(world.emails["ent_admin"])
    ent = world.orgs["ent_sz"]
    r = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": "二〇二四"}, headers=h)
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "year"
    assert all("Input should" not in d["msg"] for d in body["detail"])
    assert body["detail"][0]["msg"].startswith("核算年份：")


def test_inventory_of_an_unpublished_year_and_its_download_name(app, world, client, token_for):
    h = token_for(world.emails["ent_admin"])
    ent = world.orgs["ent_sz"]
    r = client.post(f"/api/v1/enterprises/{ent}/carbon", json={"year": 2024}, headers=h)
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    body = {
        "revision": 0,
        "region": "44",
        "grid_factor": "national",
        "records": [{"carrier": "电力", "quantity": 3, "unit": "万千瓦时"}],
    }
    r = client.put(f"/api/v1/carbon/{iid}", json=body, headers=h)
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    # 2024 has no published factor: the latest national one (2023, 0.5306) stands in
    assert res["grid_factor"]["value"] == 0.5306
    assert res["grid_factor"]["confidence"] == "provisional"
    assert "暂沿用 2023 年" in res["grid_factor"]["label"]
    assert res["e_total"] == pytest.approx(30 * 0.5306)
    r = client.get(f"/api/v1/carbon/{iid}/report.xlsx", headers=h)
    assert r.status_code == 200
    name = quote("南山精密制造有限公司-碳排放盘查-2024年.xlsx")
    assert f"filename*=UTF-8''{name}" in r.headers["content-disposition"]


def test_report_pdf_as_a_job_shows_progress_and_offers_the_file(app, world, login, monkeypatch):
    """The report PDF printed by the worker: the job page, then the PDF (or, on a machine
    without Chromium, the job's Chinese reason)."""
    import time

    from tests.web.answers import complete_answers

    from nqpf.assessment import load_framework
    from nqpf.web import jobs
    from nqpf.web.models import Job

    fw = load_framework("sme-digital-2024")
    c = login(world.emails["ent_member"])
    ent = world.orgs["ent_sz"]
    a = c.post(f"/api/v1/enterprises/{ent}/assessments", json={"framework": fw.key}).json()
    c.patch(f"/api/v1/assessments/{a['id']}", json={"revision": 0, "answers": complete_answers(fw)})
    assert c.post(f"/api/v1/assessments/{a['id']}/submit").status_code == 200
    page = c.get(f"/assessments/{a['id']}")
    assert f"/assessments/{a['id']}/report-pdf-job" in page.text  # the button is offered
    if shutil.which("chromium") is None:
        monkeypatch.setenv("NQPF_CHROMIUM", "/nonexistent/chromium")
    r = c.post(f"/assessments/{a['id']}/report-pdf-job", data={"csrf_token": c.csrf},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    queue = jobs.queue_for(app.state.settings.database_url)
    try:
        with jobs.WorkerThread(queue, app.state.session_factory, poll=0.05):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with app.state.session_factory() as s:
                    job = s.get(Job, job_id)
                    state, error = job.state, job.error
                if state in ("done", "failed"):
                    break
                time.sleep(0.1)
    finally:
        queue.close()
    assert c.get(f"/jobs/{job_id}").status_code == 200
    if shutil.which("chromium") is None:
        assert state == "failed" and "Chromium" in error
        return
    assert state == "done", error
    pdf = c.get(f"/jobs/{job_id}/files/assessment-{a['id']}-T0.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
