"""Programmes (issue 12, 面/线): definition, members, the panel from stored data, the
estimate on a simulated programme with a known effect, bad input, and who sees what.

The world of tests/web/world.py: auth_sz (scope 4403) with ent_sz and ent_sz2, auth_su
(3205) with ent_su.  tests/web/programme_world.py adds Shenzhen enterprises with one
assessment a year drawn from a simulated staggered panel (示例数据).
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select, text
from tests.web.programme_world import FW, seed_panel

from nqpf.web.models import AuditEvent, Programme, ProgrammeMember
from nqpf.web.services import programmes as svc

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _create(client, **values):
    r = client.post("/api/v1/programmes", json={"name": "数字化转型试点", **values})
    assert r.status_code == 201, r.text
    return r.json()


def _put_members(client, pid, revision, members):
    return client.put(
        f"/api/v1/programmes/{pid}/members", json={"revision": revision, "members": members}
    )


def _state(app, pid):
    with app.state.session_factory() as s:
        row = s.get(Programme, pid)
        members = s.scalars(
            select(ProgrammeMember.enterprise_id).where(ProgrammeMember.programme_id == pid)
        ).all()
        return row.revision, sorted(members), row.evaluation is not None


# ------------------------------------------------------------------ definition, members
def test_officer_defines_a_programme_and_its_members(app, world, login):
    sz = login(world.emails["sz_officer"])
    p = _create(sz)
    assert (p["region_scope"], p["outcome_label"], p["revision"]) == ("4403", "总分", 0)
    members = [{"enterprise_id": world.orgs["ent_sz"], "start_year": 2023, "scale": "规上"},
               {"enterprise_id": world.orgs["ent_sz2"], "start_year": 2024}]  # fmt: skip
    r = _put_members(sz, p["id"], 0, members)
    assert r.status_code == 200, r.text
    got = {(m["enterprise_id"], m["start_year"], m["scale"]) for m in r.json()["members"]}
    assert got == {(world.orgs["ent_sz"], 2023, "规上"), (world.orgs["ent_sz2"], 2024, "")}
    r = sz.put(f"/api/v1/programmes/{p['id']}", json={
        "revision": 1, "name": "改名", "outcome": "dimension", "outcome_key": "数字化基础"})  # fmt: skip
    assert r.status_code == 200 and r.json()["outcome_label"] == "数字化基础"
    # a stale revision is refused, nothing changes
    r = sz.put(f"/api/v1/programmes/{p['id']}", json={"revision": 1, "name": "再改"})
    assert r.status_code == 409
    with app.state.session_factory() as s:
        assert s.get(Programme, p["id"]).name == "改名"
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "programme")
        ).all()
    assert actions == ["create", "members", "update"]


def test_bad_definition_and_members_are_refused_naming_the_field(app, world, login):
    sz = login(world.emails["sz_officer"])
    assert sz.post("/api/v1/programmes", json={"name": " "}).status_code == 422
    r = sz.post("/api/v1/programmes", json={"name": "a", "outcome": "dimension",
                                             "outcome_key": "不存在的维度"})  # fmt: skip
    assert r.status_code == 422 and r.json()["field"] == "outcome_key"
    assert "维度应为" in r.json()["detail"]
    p = _create(sz)
    before = _state(app, p["id"])
    outside = [{"enterprise_id": world.orgs["ent_sz"], "start_year": 2023},
               {"enterprise_id": world.orgs["ent_su"], "start_year": 2023}]  # fmt: skip
    r = _put_members(sz, p["id"], 0, outside)
    assert r.status_code == 422
    assert r.json()["field"] == "members[1]" and "不在本机构辖区（4403）内" in r.json()["detail"]
    twice = [{"enterprise_id": world.orgs["ent_sz"], "start_year": 2023}] * 2
    r = _put_members(sz, p["id"], 0, twice)
    assert r.status_code == 422 and "重复" in r.json()["detail"]
    assert _state(app, p["id"]) == before  # nothing half-saved


def test_members_from_a_csv_file_and_its_errors_by_row(app, world, login):
    sz = login(world.emails["sz_officer"])
    p = _create(sz)
    codes = world.credit_codes

    def upload(rows: str, revision: int = 0):
        body = "统一社会信用代码,起始年份,规模\n" + rows
        return sz.post(
            f"/programmes/{p['id']}/members/upload",
            data={"csrf_token": sz.csrf, "revision": str(revision)},
            files={"file": ("成员.csv", io.BytesIO(body.encode()), "text/csv")},
            follow_redirects=False,
        )

    r = upload(f"{codes['ent_sz']},2023,规上\n{codes['ent_sz']},2024,\n")
    assert r.status_code == 422 and "重复出现（第 2 行与第 3 行）" in r.text
    r = upload(f"{codes['ent_sz']},2023,规上\n{codes['ent_su']},2024,\n")
    assert (
        r.status_code == 422 and "第 3 行" in r.text and "不是本机构辖区（4403）内的企业" in r.text
    )
    r = upload(f"{codes['ent_sz'][:-1]}X,2023,\n")
    assert r.status_code == 422 and "第 2 行" in r.text and "校验位" in r.text
    r = upload(f"{codes['ent_sz']},二〇二三,\n")
    assert r.status_code == 422 and "起始年份" in r.text
    assert _state(app, p["id"]) == (0, [], False)
    r = upload(f"{codes['ent_sz']},2023,规上\n{codes['ent_sz2']},2024,规下\n")
    assert r.status_code == 303
    assert _state(app, p["id"]) == (1, sorted([world.orgs["ent_sz"], world.orgs["ent_sz2"]]), False)


# --------------------------------------------------------------------------- the panel
def _direct_totals(session, scope: str, dimension: str | None = None) -> dict:
    """(enterprise, year) → latest total of the year, in plain SQL of the dialect."""
    if session.bind.dialect.name == "sqlite":
        value, year = "a.result", "CAST(strftime('%Y', a.submitted_at) AS INTEGER)"
    else:
        value, year = "a.result::text", "CAST(EXTRACT(YEAR FROM a.submitted_at) AS INTEGER)"
    rows = session.execute(text(
        f"SELECT a.enterprise_id, {year}, {value} FROM assessment a "
        "JOIN enterprise_profile p ON p.organization_id = a.enterprise_id "
        "WHERE a.status = 'submitted' AND a.framework_id = 'sme-digital' "
        "AND a.framework_version = '2024' AND p.region_code LIKE :scope "
        "ORDER BY a.enterprise_id, a.submitted_at, a.id"), {"scope": scope + "%"}).all()  # fmt: skip
    out = {}
    for e, y, doc in rows:  # a later submission of the year replaces an earlier one
        r = json.loads(doc)
        out[(e, y)] = r["total"] if dimension is None else r["dimensions"][dimension]
    return out


def test_panel_from_stored_assessments_matches_direct_sql(app, world, login):
    with app.state.session_factory() as s:
        cohorts, _, _ = seed_panel(s, n_units=8, years=(2021, 2023), seed=2)
        # a second submission in 2023 replaces the first of that year
        from tests.web.programme_world import Assessment, dt

        eid = next(iter(cohorts))
        s.add(Assessment(enterprise_id=eid, framework_id="sme-digital", framework_version="2024",
                         seq=99, status="submitted", responses={},
                         result={"total": 77.5, "level": 3, "dimensions": {"数字化基础": 30.0}},
                         submitted_at=dt.datetime(2023, 12, 1, tzinfo=dt.UTC)))  # fmt: skip
        s.commit()
    sz = login(world.emails["sz_officer"])
    members = [{"enterprise_id": e, "start_year": g} for e, g in cohorts.items() if g]
    for outcome, key in (("total", None), ("dimension", "数字化基础")):
        p = _create(sz, outcome=outcome, outcome_key=key or "", framework=FW)
        assert _put_members(sz, p["id"], 0, members).status_code == 200
        with app.state.session_factory() as s:
            rows = svc.panel_rows(s, s.get(Programme, p["id"]))
            direct = _direct_totals(s, "4403", key)
        mine = {(r["unit"], r["year"]): r["y"] for r in rows}
        assert len(mine) == len(direct), (mine, direct)
        assert mine == pytest.approx(direct)
        assert len(rows) == 8 * 3
        assert {r["unit"]: r["cohort"] for r in rows} == cohorts
    assert {(r["unit"], r["year"]): r["y"] for r in rows}[(eid, 2023)] == 30.0


# ------------------------------------------------------------------------ the estimate
@SQLITE_ONLY
def test_estimate_recovers_the_known_effect_and_exports(app, world, login):
    with app.state.session_factory() as s:
        cohorts, truth, panel = seed_panel(s, n_units=80, seed=3)
    sz = login(world.emails["sz_officer"])
    p = _create(sz)
    members = [
        {"enterprise_id": e, "start_year": g, "scale": "规上"} for e, g in cohorts.items() if g
    ]
    assert _put_members(sz, p["id"], 0, members).status_code == 200
    r = sz.post(f"/api/v1/programmes/{p['id']}/evaluate")
    assert r.status_code == 200, r.text
    doc = r.json()["evaluation"]
    est = {(e["method"], e["control"]): e for e in doc["did"]["estimates"]}
    assert set(est) == {("cs", "never"), ("cs", "notyet"), ("sa", "never"),
                        ("did2s", "notyet"), ("twfe", "implicit")}  # fmt: skip
    att = truth.att()
    for key in (("cs", "never"), ("cs", "notyet"), ("sa", "never"), ("did2s", "notyet")):
        assert est[key]["ci_lo"] <= att <= est[key]["ci_hi"], (key, att, est[key])
    # the panel read back from the database gives csdid's own estimate on the simulated panel
    from nqpf.evaluation import did

    direct = did(panel, unit="firm", time="year", cohort="cohort", outcome="y")
    assert est[("cs", "never")]["att"] == pytest.approx(direct.att, abs=1e-9)
    assert est[("cs", "never")]["se"] == pytest.approx(direct.se, rel=1e-9)
    # TWFE with a growing effect and staggered timing is biased towards zero
    assert est[("twfe", "implicit")]["att"] < est[("cs", "never")]["att"] - 0.3
    assert est[("cs", "never")]["n_treated"] == len(members)
    assert est[("cs", "never")]["n_control"] == sum(1 for g in cohorts.values() if not g)
    cs_events = next(s["rows"] for s in doc["did"]["event_study"] if s["method"] == "cs")
    true_e = truth.att_e()
    for row in cs_events:
        if row["e"] >= 0 and row["e"] in true_e.index:
            assert row["ci_lo"] - 0.5 <= true_e.loc[row["e"]] <= row["ci_hi"] + 0.5
    change = doc["change"]["outcomes"][0]
    assert change["n_pairs"] == len(members)
    # the stored totals: the first and the latest assessment of each member
    assert change["mean_lo"] <= change["mean_delta"] <= change["mean_hi"]
    assert doc["acceptance"]["rows"][0]["n"] == len(members)
    x = sz.get(f"/api/v1/programmes/{p['id']}/evaluation.xlsx")
    assert x.status_code == 200
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(x.content))
    assert {"前后变化", "等级转移", "验收", "补助", "因果估计", "事件研究"} <= set(book.sheetnames)
    sheet = book["因果估计"]
    assert float(sheet.cell(2, 3).value) == pytest.approx(est[("cs", "never")]["att"])
    page = sz.get(f"/programmes/{p['id']}")
    assert page.status_code == 200 and 'id="event-chart"' in page.text
    # the roll-up report adds the evaluated programmes the officer sees
    import pandas as pd
    from tests.web.loop_world import actor_of

    from nqpf.reports.assessment_report import rollup_report
    from nqpf.services.evaluation import programme_sections

    with app.state.session_factory() as s:
        entries = svc.rollup_entries(s, actor_of(s, world.emails["sz_officer"]))
        assert svc.rollup_entries(s, actor_of(s, world.emails["su_officer"])) == []
    assert [e["name"] for e in entries] == ["数字化转型试点"]
    region = pd.DataFrame([{"group": "南山区", "n": 3, "n_valid": 3, "n_一级": 1, "n_二级": 2,
                            "share_ge_二级": 2 / 3, "mean_total": 45.0}])  # fmt: skip
    html = rollup_report(
        {"rollup_region": region}, title="辖区汇总",
        extra_sections=programme_sections(entries[0]["evaluation"], name=entries[0]["name"]),
    )  # fmt: skip
    assert "项目效果评估：数字化转型试点" in html and "验收与补助：数字化转型试点" in html
    assert f"ATT = {est[('cs', 'never')]['att']:.4g}" in html


@SQLITE_ONLY
def test_bad_designs_are_refused_or_named(app, world, login):
    with app.state.session_factory() as s:
        cohorts, _, _ = seed_panel(s, n_units=30, seed=7, never_share=0.0,
                                   cohorts={2021: (5.0, 0.5), 2023: (3.0, 0.5)})  # fmt: skip
    sz = login(world.emails["sz_officer"])
    p = _create(sz)
    # every enterprise of the scope with data is a member: no never-treated unit
    members = [{"enterprise_id": e, "start_year": g} for e, g in cohorts.items()]
    assert _put_members(sz, p["id"], 0, members).status_code == 200
    r = sz.post(f"/api/v1/programmes/{p['id']}/evaluate")
    assert r.status_code == 422 and r.json()["detail"].startswith("无法评估：")
    assert _state(app, p["id"])[2] is False  # nothing stored
    # a cohort of one, a start year after the data: estimated, with named caveats
    one, later, *rest = list(cohorts)
    members = [
        {"enterprise_id": one, "start_year": 2022},
        {"enterprise_id": later, "start_year": 2030},
    ]
    members += [{"enterprise_id": e, "start_year": 2023} for e in rest[:10]]
    assert _put_members(sz, p["id"], 1, members).status_code == 200
    r = sz.post(f"/api/v1/programmes/{p['id']}/evaluate")
    assert r.status_code == 200, r.text
    codes = {w["code"] for w in r.json()["evaluation"]["did"]["warnings"]}
    assert {"tiny_cohort", "cohort_after_panel"} <= codes
    assert any("2030" in c for c in r.json()["evaluation"]["caveats"])


def test_no_members_no_two_waves(app, world, login):
    sz = login(world.emails["sz_officer"])
    p = _create(sz)
    r = sz.post(f"/api/v1/programmes/{p['id']}/evaluate")
    assert r.status_code == 422 and r.json()["field"] == "members"
    members = [{"enterprise_id": world.orgs["ent_sz"], "start_year": 2023}]
    assert _put_members(sz, p["id"], 0, members).status_code == 200
    r = sz.post(f"/api/v1/programmes/{p['id']}/evaluate")
    assert r.status_code == 422 and "两次已提交的评测" in r.json()["detail"]
    assert sz.get(f"/api/v1/programmes/{p['id']}/evaluation.xlsx").status_code == 409


# -------------------------------------------------------------------- who sees what
ROUTES = [
    ("get", "/api/v1/programmes/{id}", None),
    ("put", "/api/v1/programmes/{id}", {"revision": 0, "name": "x"}),
    ("put", "/api/v1/programmes/{id}/members", {"revision": 0, "members": []}),
    ("post", "/api/v1/programmes/{id}/evaluate", None),
    ("get", "/api/v1/programmes/{id}/evaluation.xlsx", None),
    ("get", "/programmes/{id}", None),
    ("post", "/programmes/{id}/save", {"revision": "0", "name": "x"}),
    ("post", "/programmes/{id}/members/add", {"revision": "0", "enterprise_id": "1"}),
    ("post", "/programmes/{id}/members/remove", {"revision": "0", "enterprise_id": "1"}),
    ("post", "/programmes/{id}/evaluate", {}),
]


@pytest.mark.parametrize("who", ["su_officer", "ent_admin", "prov_member"])
def test_another_organisation_gets_404_on_every_route(app, world, login, who):
    sz = login(world.emails["sz_officer"])
    pid = _create(sz)["id"]
    other = login(world.emails[who])
    for method, path, body in ROUTES:
        url = path.format(id=pid)
        if path.startswith("/api"):
            r = getattr(other, method)(url, **({"json": body} if body is not None else {}))
        elif method == "get":
            r = other.get(url)
        else:
            r = other.post(url, data={**body, "csrf_token": other.csrf}, follow_redirects=False)
        assert r.status_code == 404, (who, method, url, r.status_code)
    r = other.post(f"/programmes/{pid}/members/upload", data={"csrf_token": other.csrf,
                   "revision": "0"}, files={"file": ("m.csv", b"x", "text/csv")})  # fmt: skip
    assert r.status_code == 404
    assert other.get("/api/v1/programmes").json() == []
    assert _state(app, pid) == (0, [], False)


def test_only_officers_create_and_the_admin_reads(app, world, login):
    ent = login(world.emails["ent_admin"])
    r = ent.post("/api/v1/programmes", json={"name": "企业自建"})
    assert r.status_code == 403 and "主管部门" in r.json()["detail"]
    assert "新建项目" not in ent.get("/programmes").text
    pid = _create(login(world.emails["sz_admin"]))["id"]
    admin = login(world.emails["admin"])
    assert admin.get(f"/api/v1/programmes/{pid}").status_code == 200
    with app.state.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Programme)) == 1


@SQLITE_ONLY
def test_a_large_programme_is_evaluated_as_a_job_and_adopted(app, world, login, monkeypatch):
    import time

    from nqpf.web import jobs

    with app.state.session_factory() as s:
        cohorts, _, _ = seed_panel(s, n_units=30, seed=3)
    monkeypatch.setattr(app.state.settings, "programme_job_rows", 0)  # every panel is large
    sz = login(world.emails["sz_officer"])
    p = _create(sz)
    members = [{"enterprise_id": e, "start_year": g} for e, g in cohorts.items() if g]
    assert _put_members(sz, p["id"], 0, members).status_code == 200
    r = sz.post(f"/api/v1/programmes/{p['id']}/evaluate")
    assert r.status_code == 200 and r.json()["evaluation"] is None
    assert r.json()["job"]["state"] == "queued"
    queue = jobs.queue_for(app.state.settings.database_url)
    try:
        with jobs.WorkerThread(queue, app.state.session_factory, poll=0.05):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                doc = sz.get(f"/api/v1/programmes/{p['id']}").json()
                if doc["evaluation"] is not None or (doc["job"] or {}).get("state") == "failed":
                    break
                time.sleep(0.2)
    finally:
        queue.close()
    assert doc["job"] is None and doc["evaluation"] is not None, doc["job"]
    assert doc["evaluation"]["did"]["estimates"][0]["n_treated"] == len(members)
    with app.state.session_factory() as s:
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "programme")
        ).all()
    assert actions[-2:] == ["evaluate_queued", "evaluate"]


def test_energy_intensity_panel_from_the_carbon_inventories(app, world, login):
    from nqpf.web.models import CarbonInventory

    inventories = {  # (enterprise, year) → (综合能耗 tce, 工业总产值 万元); no output: left out
        ("ent_sz", 2022): (120.0, 800.0), ("ent_sz", 2023): (110.0, 1000.0),
        ("ent_sz2", 2022): (50.0, 250.0), ("ent_sz2", 2023): (45.0, None),
        ("ent_su", 2023): (10.0, 100.0),  # another authority's scope
    }  # fmt: skip
    with app.state.session_factory() as s:
        for (name, year), (tce, output) in inventories.items():
            s.add(CarbonInventory(enterprise_id=world.orgs[name], year=year, revision=0,
                                  inputs={"output": output}, result={"energy_tce": tce}))  # fmt: skip
        s.commit()
    sz = login(world.emails["sz_officer"])
    p = _create(sz, outcome="energy_intensity")
    members = [{"enterprise_id": world.orgs["ent_sz"], "start_year": 2023}]
    assert _put_members(sz, p["id"], 0, members).status_code == 200
    with app.state.session_factory() as s:
        rows = svc.panel_rows(s, s.get(Programme, p["id"]))
    got = {(r["unit"], r["year"], r["cohort"]): r["y"] for r in rows}
    e1, e2 = world.orgs["ent_sz"], world.orgs["ent_sz2"]
    assert got == pytest.approx(
        {(e1, 2022, 2023): 0.15, (e1, 2023, 2023): 0.11, (e2, 2022, 0): 0.2}
    )


def test_kpi_panel_baseline_in_the_start_year_actual_when_it_ended(app, world, login):
    import datetime as dt

    from tests.web.loop_world import seed_loop

    from nqpf.web.models import Project

    with app.state.session_factory() as s:
        ids = seed_loop(s, world, prov2=False, assessment=False)
        project = s.get(Project, ids["project"])
        project.start_date, project.end_date = dt.date(2023, 3, 1), dt.date(2024, 6, 30)
        project.kpis = [
            {"name": "设备联网率", "baseline": 40, "target": 90, "actual": 75, "unit": "%"},
            {"name": "其他指标", "baseline": 1, "target": 2, "actual": 2, "unit": "%"},
        ]
        s.commit()
    sz = login(world.emails["sz_officer"])
    p = _create(sz, outcome="kpi", outcome_key="设备联网率")
    with app.state.session_factory() as s:
        rows = svc.panel_rows(s, s.get(Programme, p["id"]))
    eid = world.orgs["ent_sz"]
    assert [(r["unit"], r["year"], r["y"]) for r in rows] == [(eid, 2023, 40.0), (eid, 2024, 75.0)]
