"""Regional analytics in the browser: demo panel → quality report → job → results, re-run,
compare, a bad upload and a job failing midway, the roll-up PDF job.

The runs' numbers do not depend on the database, so these run on SQLite only (the job
lifecycle and the access rules run on both: test_jobs.py, test_analytics_access.py).
"""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from nqpf.services import jobs_analytics
from nqpf.web import jobs
from nqpf.web.models import AuditEvent, Job, JobFile, Organization

DEMO_FORM = {
    "entity": "province",
    "period": "year",
    "code": "province_code",
    "group": "region",
    "system": "nqpf-three-factor",
    "weighting": "entropy",
    "aggregation": "weighted_sum",
    "title": "测试分析",
}
FEW_ANALYSES = ["gini", "theil", "sigma"]


@pytest.fixture
def db_url(migrated_url: str) -> str:
    """SQLite only (the migrated template's copy)."""
    return migrated_url


@pytest.fixture(autouse=True)
def _no_pdf(monkeypatch):
    """The PDF print (Chromium, seconds) is the browser test's; here the report's HTML."""
    monkeypatch.setattr(jobs_analytics, "_pdf", lambda html: None)


@pytest.fixture
def worker(app):
    queue = jobs.queue_for(app.state.settings.database_url)
    with jobs.WorkerThread(queue, app.state.session_factory, poll=0.05) as w:
        yield w
    queue.close()


@pytest.fixture
def officer(login, world):
    return login(world.emails["sz_officer"])


def _check(c, **fields):
    data = {"csrf_token": c.csrf, "dataset": "demo", **DEMO_FORM, **fields}
    return c.post("/analytics/check", data=data, files={"file": ("", b"", "text/csv")})


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def _run(c, check_page: str, **fields):
    data = {
        "csrf_token": c.csrf,
        "filename": _hidden(check_page, "filename"),
        "data": _hidden(check_page, "data"),
        "synthetic": _hidden(check_page, "synthetic"),
        **DEMO_FORM,
        "analyses": FEW_ANALYSES,
        **fields,
    }
    return c.post("/analytics/run", data=data, follow_redirects=False)


def _finished(c, job_id: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = c.get(f"/api/v1/jobs/{job_id}").json()
        if body["state"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {body}")


def _job_id(response) -> int:
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_check_shows_the_quality_report_before_anything_is_stored(app, officer):
    r = _check(officer)
    assert r.status_code == 200, r.text[:300]
    assert "372 行，31 个单位 × 12 期" in r.text
    assert "离群" in r.text or "MAD" in r.text  # the demo panel's outlier warning
    assert 'name="data" value="' in r.text and "确认并运行" in r.text
    with app.state.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 0


def test_demo_panel_run_results_rerun_and_compare(app, officer, worker):
    check_page = _check(officer).text
    first = _job_id(_run(officer, check_page))
    body = _finished(officer, first)
    assert body["state"] == "done", body["error"]
    assert body["time_zone"] == "北京时间" and body["progress"] == 1.0
    assert set(body["files"]) == {"report.html", "index.xlsx", "analysis.xlsx"}

    # the page's ranking is the workbook's last year, and its Gini that of those values
    book = load_workbook(io.BytesIO(officer.get(f"/jobs/{first}/files/index.xlsx").content))
    sheet = book["index"]
    head = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = [dict(zip(head, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    latest = {r["province"]: float(r["index"]) for r in rows if int(r["year"]) == 2023}
    with app.state.session_factory() as s:
        summary = s.get(Job, first).summary
    ranking = {r["entity"]: r["index"] for r in summary["ranking"]}
    assert ranking.keys() == latest.keys() and len(ranking) == 31
    for name, value in latest.items():
        assert ranking[name] == pytest.approx(value, rel=1e-12)
    x = np.array(list(latest.values()))
    brute_gini = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert summary["series"]["基尼系数"]["2023"] == pytest.approx(brute_gini, rel=1e-9)

    page = officer.get(f"/analytics/jobs/{first}").text
    top = max(latest, key=latest.get)
    assert f"<td>{top}</td>" in page
    jiangsu = f"{latest['江苏']:.3f}"
    tile = re.search(r'data-region-code="320000">(.*?)</g>', page, flags=re.S).group(1)
    assert jiangsu in tile
    assert "（北京时间）" in page and "示例数据" in page
    report = officer.get(f"/jobs/{first}/files/report.html")
    assert report.headers["content-type"].startswith("text/html") and "基尼系数" in report.text

    # re-run: same stored config and inputs, same numbers
    again = _job_id(officer.post(f"/analytics/jobs/{first}/rerun", data={"csrf_token": officer.csrf},
                                 follow_redirects=False))  # fmt: skip
    assert _finished(officer, again)["state"] == "done"
    with app.state.session_factory() as s:
        a, b = s.get(Job, first), s.get(Job, again)
        assert (b.rerun_of, b.config, b.input_sha256) == (first, a.config, a.input_sha256)
        assert b.summary["ranking"] == a.summary["ranking"]
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "job")).all()
        assert sorted(actions) == ["job.rerun", "job.submit"]
    same = officer.get(f"/analytics/jobs/{first}/compare?b={again}").text
    assert "两次运行的设置相同" in same and "<strong>相同</strong>" in same
    assert same.split("最新一期综合指数")[1].split("逐年")[0].count("+0.0000") == 31


def test_comparison_names_changed_settings_and_differences():
    config = jobs_analytics.build_config({**DEMO_FORM, "analyses": FEW_ANALYSES})
    other = {**config, "weighting": "critic", "analyses": ["gini"]}
    ranking_a = [{"entity": "甲", "index": 0.5}, {"entity": "乙", "index": 0.25}]
    ranking_b = [{"entity": "甲", "index": 0.625}, {"entity": "丙", "index": 0.1}]
    series = {"平均指数": {"2022": 0.3, "2023": 0.4}}
    cmp = jobs_analytics.compare(
        config, {"ranking": ranking_a, "series": series},
        other, {"ranking": ranking_b, "series": {"平均指数": {"2023": 0.5}}},
        same_input=False,
    )  # fmt: skip
    assert cmp.config_changes == (
        ("analyses", "gini, theil, sigma", "gini"),
        ("weighting", "entropy", "critic"),
    )
    assert cmp.ranking == (
        ("甲", 0.5, 0.625, 0.125),
        ("乙", 0.25, None, None),
        ("丙", None, 0.1, None),
    )
    assert cmp.series == (("平均指数", "2022", 0.3, None), ("平均指数", "2023", 0.4, 0.5))


def _bad_panel() -> bytes:
    rows = ["name,year,code,x,y"]
    rows += [f"r{i},{y},{11 + i},{i + y / 10},{i * 2 + 1}" for i in range(5) for y in (2020, 2021)]
    rows[3] = rows[3].rsplit(",", 1)[0] + ",abc"
    return "\n".join(rows).encode()


CUSTOM = {"entity": "name", "period": "year", "code": "", "group": "", "system": "custom"}


def test_bad_upload_is_reported_and_refused(app, officer):
    files = {"file": ("panel.csv", _bad_panel(), "text/csv")}
    data = {"csrf_token": officer.csrf, **CUSTOM}
    r = officer.post("/analytics/check", data=data, files=files)
    assert r.status_code == 200
    assert "文件 panel.csv，第 4 行，列 &#39;y&#39;" in r.text and "status-error" in r.text
    assert 'name="indicators" value="y"' in r.text  # offered: the check names its bad cell
    run = _run(officer, r.text, **CUSTOM, indicators=["x"], analyses=[])
    assert run.status_code == 422 and "至少需要选择两个指标列" in run.text
    run = _run(officer, r.text, **CUSTOM, indicators=["x", "y"], analyses=[])
    assert run.status_code == 422 and "数据质量检查未通过" in run.text
    with app.state.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 0
        assert s.scalar(select(func.count()).select_from(JobFile)) == 0


def test_job_failing_midway_shows_its_error_and_keeps_nothing(app, officer, worker):
    """The index computes, then the spatial weights refuse the codes: failed, no file."""
    panel = ["name,year,code,x,y"]
    panel += [f"r{i},{y},{90 + i},{i + y / 10 + 1},{(i + 1) * (y - 2018)}" for i in range(5)
              for y in (2020, 2021, 2022)]  # fmt: skip
    files = {"file": ("panel.csv", "\n".join(panel).encode(), "text/csv")}
    fields = {**CUSTOM, "code": "code"}
    r = officer.post("/analytics/check", data={"csrf_token": officer.csrf, **fields}, files=files)
    assert r.status_code == 200 and "status-error" not in r.text
    job = _job_id(_run(officer, r.text, **fields, indicators=["x", "y"], analyses=["moran"]))
    body = _finished(officer, job)
    assert body["state"] == "failed" and body["files"] == []
    assert body["error"].startswith("任务失败：") and "Traceback" not in body["error"]
    assert body["progress"] >= 0.5  # it failed after the index
    with app.state.session_factory() as s:
        assert (
            s.scalar(select(func.count()).select_from(JobFile).where(JobFile.role == "result")) == 0
        )
    page = officer.get(f"/analytics/jobs/{job}").text
    assert body["error"].replace("'", "&#39;") in page and 'id="results"' not in page


INJECTION = "<script>alert(1)</script>'; DROP TABLE organization; --"


def test_form_text_is_escaped(app, officer, world):
    r = _check(officer, title=INJECTION)
    assert r.status_code == 200 and "<script>alert(1)" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    job = _job_id(_run(officer, r.text, title=INJECTION))
    with app.state.session_factory() as s:
        assert s.get(Job, job).title == INJECTION
        assert s.scalar(select(func.count()).select_from(Organization)) == len(world.orgs)
    for page in (f"/analytics/jobs/{job}", "/analytics"):
        text = officer.get(page).text
        assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    bad = officer.post("/analytics/rollup-pdf", data={"csrf_token": officer.csrf,
                       "framework": "sme-digital-2024", "chain": "a\x00b"}, follow_redirects=False)  # fmt: skip
    assert bad.status_code == 422


def test_rollup_pdf_runs_as_a_job(app, officer, worker):
    from nqpf.reports.pdf import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium to print PDF")
    r = officer.post("/analytics/rollup-pdf", data={"csrf_token": officer.csrf,
                     "framework": "sme-digital-2024"}, follow_redirects=False)  # fmt: skip
    job = int(r.headers["location"].rsplit("/", 1)[1])
    assert r.headers["location"] == f"/jobs/{job}"
    body = _finished(officer, job)
    assert body["state"] == "done" and body["files"] == ["rollup.pdf"], body["error"]
    with app.state.session_factory() as s:
        config = s.get(Job, job).config
    regions = [row["group"] for row in config["tables"]["rollup_region"]]
    assert regions and all("深圳" in g for g in regions), regions  # the officer's scope only
    assert sum(row["n"] for row in config["tables"]["rollup_region"]) == 2
    page = officer.get(f"/jobs/{job}").text
    assert f"/jobs/{job}/files/rollup.pdf" in page
    assert officer.get(f"/jobs/{job}/files/rollup.pdf").content.startswith(b"%PDF")
