"""Who sees a job: only its organization's members (officers of another region get 404 on
every job and analytics route, enterprises get 403 on analytics) — SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from nqpf.web.models import Job, JobFile

TITLE = "深圳分析任务"


@pytest.fixture
def sz_job(app, world) -> int:
    """A finished analytics job of the Shenzhen authority with a result file."""
    with app.state.session_factory() as s:
        job = Job(
            organization_id=world.orgs["auth_sz"], owner_id=None, kind="analytics", title=TITLE,
            state="done", progress=1.0, stage="完成", input_sha256="0" * 64, error="",
            config={"title": TITLE, "data": {"filename": "p.csv", "entity": "e", "period": "p",
                    "code": "", "group": "", "synthetic": False}, "system": "custom",
                    "indicators": [], "weighting": "equal", "aggregation": "weighted_sum",
                    "analyses": []},
            summary={"ranking": [{"entity": "甲", "code": "", "index": 0.5}], "series": {},
                     "weights": [], "entities": 1, "periods": 1, "last_period": "2023",
                     "method": "equal", "pdf": False},
        )  # fmt: skip
        s.add(job)
        s.flush()
        for role, name in (("input", "p.csv"), ("result", "report.html")):
            s.add(JobFile(job_id=job.id, role=role, name=name, media_type="text/html",
                          size=5, sha256="0" * 64, data=b"<p>x</p>"))  # fmt: skip
        s.commit()
        return job.id


def _routes(job_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/api/v1/jobs/{job_id}"),
        ("GET", f"/api/v1/jobs/{job_id}/files/report.html"),
        ("GET", f"/jobs/{job_id}"),
        ("GET", f"/jobs/{job_id}/files/report.html"),
        ("GET", f"/analytics/jobs/{job_id}"),
        ("GET", f"/analytics/jobs/{job_id}/compare?b={job_id}"),
        ("POST", f"/analytics/jobs/{job_id}/rerun"),
    ]


def test_another_regions_officer_gets_404_everywhere(app, login, world, sz_job, token_for):
    su = login(world.emails["su_officer"])
    for method, url in _routes(sz_job):
        data = {"csrf_token": su.csrf} if method == "POST" else None
        r = su.request(method, url, data=data, follow_redirects=False)
        assert r.status_code == 404, (url, r.status_code)
        assert TITLE not in r.text
    listed = su.get("/api/v1/jobs").json()
    assert listed == []
    assert TITLE not in su.get("/analytics").text
    bearer = token_for(world.emails["su_officer"])
    assert su.get(f"/api/v1/jobs/{sz_job}", headers=bearer).status_code == 404
    with app.state.session_factory() as s:  # the refused re-run stored nothing
        assert s.scalar(select(func.count()).select_from(Job)) == 1


def test_the_organizations_members_see_the_job(login, world, sz_job):
    for who in ("sz_officer", "sz_admin"):
        c = login(world.emails[who])
        body = c.get(f"/api/v1/jobs/{sz_job}").json()
        assert (body["id"], body["state"], body["files"]) == (sz_job, "done", ["report.html"])
        assert body["created_at"].count(":") == 2 and body["time_zone"] == "北京时间"
        assert [j["id"] for j in c.get("/api/v1/jobs").json()] == [sz_job]
        page = c.get(f"/analytics/jobs/{sz_job}").text
        assert TITLE in page and 'data-job-id="' in page
        assert c.get(f"/jobs/{sz_job}/files/report.html").content == b"<p>x</p>"
        assert c.get(f"/jobs/{sz_job}", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("who", ["ent_admin", "prov_member"])
def test_analytics_is_for_authorities(login, world, sz_job, who):
    c = login(world.emails[who])
    assert c.get("/analytics").status_code == 403
    r = c.post(
        "/analytics/rollup-pdf", data={"csrf_token": c.csrf, "framework": "sme-digital-2024"}
    )
    assert r.status_code == 403
    assert c.get(f"/api/v1/jobs/{sz_job}").status_code == 404
    assert "区域分析" not in c.get("/enterprises").text


def test_anonymous_is_sent_to_sign_in(client, sz_job):
    assert client.get(f"/api/v1/jobs/{sz_job}").status_code == 401
    r = client.get(f"/analytics/jobs/{sz_job}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
