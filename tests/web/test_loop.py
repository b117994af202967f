"""The loop on the platform (SQLite and PostgreSQL): needs, matches, shares, proposals,
the provider register, projects, ratings — and who sees what.

The world of tests/web/world.py plus tests/web/loop_world.py: prov (two solutions) and
prov2 (one, needing 设备联网率 ≥ 90 %) admitted to auth_sz's register; ent_sz with a
submitted assessment (设备联网率 50 %), a need shared with prov whose proposal became a
project, and a draft need.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from tests.web.loop_world import EQUIPMENT, seed_loop

from nqpf.web.models import (
    AuditEvent,
    Need,
    NeedShare,
    Project,
    ProjectDocument,
    ProviderRegistration,
    RegisterEvent,
    Solution,
)
from nqpf.web.services import solutions as solution_service
from nqpf.web.services.loop_common import set_today

LOOP_TABLES = (Need, NeedShare, Solution, ProviderRegistration, RegisterEvent, Project,
               ProjectDocument, AuditEvent)  # fmt: skip


@pytest.fixture
def loop(app, world):
    with app.state.session_factory() as session:
        return seed_loop(session, world)


@pytest.fixture(autouse=True)
def _free_today():
    yield
    set_today(None)


def _counts(app) -> dict[str, int]:
    with app.state.session_factory() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in LOOP_TABLES}


def _clients(login, world, *names):
    return [login(world.emails[n]) for n in names]


def test_matches_need_shares_and_who_sees_a_need(app, world, loop, login):
    ent, prov, prov2, sz, su, ent2 = _clients(
        login, world, "ent_admin", "prov_member", "prov2_member", "sz_officer", "su_officer",
        "ent2_admin",
    )  # fmt: skip
    # a second need of ent_sz, published but shared with nobody yet
    r = ent.post(f"/api/v1/enterprises/{world.orgs['ent_sz']}/needs", json={
        "scene": "设备管理", "current_level": 2, "target_level": 3, "budget_max": 60,
        "addresses": ["equipment_network_rate"], "text": "设备联网 预测性维护"})  # fmt: skip
    assert r.status_code == 201, r.text
    need = r.json()["id"]
    assert r.json()["title"] == "设备管理（二级→三级）" and r.json()["status"] == "draft"
    assert ent.post(f"/api/v1/needs/{need}/shares", json={"provider_ids": [world.orgs["prov"]]}).status_code == 409
    assert ent.post(f"/api/v1/needs/{need}/publish").json()["status"] == "published"

    # matches: the engine's Chinese reasons; prov2's solution is a near miss with the fact
    doc = ent.get(f"/api/v1/needs/{need}/matches").json()
    assert doc["facts_used"] is True and doc["assessment_id"] == loop["assessment"]
    assert [m["solution_id"] for m in doc["matches"]] == [loop["sol_prov"]]
    top = doc["matches"][0]
    assert top["provider_id"] == world.orgs["prov"] and top["provider_name"] == "智转服务商"
    assert any(x.startswith("匹配场景：设备管理（二级→三级）") for x in top["reasons"])
    assert any("在预算内（上限 60 万元）" in x for x in top["reasons"])
    near = {n["solution_id"]: n for n in doc["near_misses"]}
    assert near[loop["sol_prov2"]]["missing"] == ["需设备联网率 ≥ 90 %，当前 50 %"]
    assert near[loop["sol_prov2"]]["gates"] == ["prerequisites"]
    page = ent.get(f"/needs/{need}/matches")
    assert page.status_code == 200 and "需设备联网率 ≥ 90 %，当前 50 %" in page.text
    assert "共享给该服务商" in page.text
    # the authority over the enterprise sees the matches too; providers do not
    assert sz.get(f"/api/v1/needs/{need}/matches").status_code == 200
    assert prov.get(f"/api/v1/needs/{need}/matches").status_code == 404  # not shared: unseen

    # a provider never sees an unshared need: not by id, not in lists, not its proposals
    for c in (prov, prov2, su, ent2):
        assert c.get(f"/api/v1/needs/{need}").status_code == 404
        assert c.get(f"/needs/{need}").status_code == 404
        assert need not in {n["id"] for n in c.get("/api/v1/needs").json()["items"]}
        assert c.post(f"/api/v1/needs/{need}/proposals", json={"text": "x"}).status_code == 404
    assert ent.get(f"/api/v1/needs/{loop['draft_need']}").status_code == 200
    for c in (prov, sz):  # drafts stay inside the enterprise
        assert c.get(f"/api/v1/needs/{loop['draft_need']}").status_code == 404

    # consent: the enterprise's admin shares with two providers (a member may not)
    member = login(world.emails["ent_member"])
    body = {"provider_ids": [world.orgs["prov"], world.orgs["prov2"]]}
    assert member.post(f"/api/v1/needs/{need}/shares", json=body).status_code == 403
    r = ent.post(f"/api/v1/needs/{need}/shares", json=body)
    assert r.status_code == 201 and {s["provider_id"] for s in r.json()} == set(body["provider_ids"])
    assert ent.get(f"/api/v1/needs/{need}").json()["status"] == "matched"
    assert ent.post(f"/api/v1/needs/{need}/shares", json=body).status_code == 409
    for c in (prov, prov2):
        assert c.get(f"/api/v1/needs/{need}").status_code == 200
        assert c.get(f"/api/v1/needs/{need}/matches").status_code == 403  # seen, not ranked
        mine = c.get(f"/api/v1/needs/{need}/shares").json()
        assert len(mine) == 1  # a provider sees its own share only
    with app.state.session_factory() as s:
        events = s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "need_share"))
        assert sorted(events).count("share") == 3  # the seeded one and these two

    # unsharing withdraws the provider's open proposal and hides the need again
    p2 = prov2.post(f"/api/v1/needs/{need}/proposals", json={"text": "云平台方案", "price": 15})
    assert p2.status_code == 201 and p2.json()["status"] == "submitted"
    assert prov2.post(f"/api/v1/needs/{need}/proposals", json={"text": "再来"}).status_code == 409
    assert ent.delete(f"/api/v1/needs/{need}/shares/{world.orgs['prov2']}").status_code == 204
    assert prov2.get(f"/api/v1/needs/{need}").status_code == 404
    proposals = ent.get(f"/api/v1/needs/{need}/proposals").json()
    assert [p["status"] for p in proposals] == ["withdrawn"]


def test_accepted_proposal_project_both_sides_overdue_and_rating(app, world, loop, login):
    ent, member, prov, prov2, sz, su, ent2 = _clients(
        login, world, "ent_admin", "ent_member", "prov_member", "prov2_member", "sz_officer",
        "su_officer", "ent2_admin",
    )  # fmt: skip
    pid = loop["project"]
    project = prov.get(f"/api/v1/projects/{pid}").json()
    assert project["status"] == "active" and project["budget"] == 40.0
    assert ent.get(f"/api/v1/needs/{loop['need']}").json()["status"] == "in_project"
    start = dt.date.fromisoformat(project["start_date"])

    # a non-member never sees the project, its documents or their files
    for c in (prov2, su, ent2):
        assert c.get(f"/api/v1/projects/{pid}").status_code == 404
        assert c.get(f"/projects/{pid}").status_code == 404
        assert c.get(f"/api/v1/projects/{pid}/documents").status_code == 404
        assert c.get(f"/api/v1/projects/{pid}/documents/{loop['document']}").status_code == 404
        assert pid not in {p["id"] for p in c.get("/api/v1/projects").json()["items"]}
    r = prov.get(f"/api/v1/projects/{pid}/documents/{loop['document']}")
    assert r.status_code == 200 and r.content == b"%PDF-1.4 contract"
    assert r.headers["content-type"] == "application/octet-stream"
    assert "attachment" in r.headers["content-disposition"]
    # the authority over the enterprise reads it but does not change it
    assert sz.get(f"/api/v1/projects/{pid}").status_code == 200
    plan = {"revision": 0, "milestones": [{"title": "设备联网", "due": start.isoformat()}]}
    assert sz.put(f"/api/v1/projects/{pid}", json=plan).status_code == 403

    # both sides update it, with revisions: a stale one writes nothing
    r = prov.put(f"/api/v1/projects/{pid}", json={
        **plan, "kpis": [{"name": "设备联网率", "baseline": 50, "target": 80, "unit": "%"}],
        "spend": 10})  # fmt: skip
    assert r.status_code == 200 and r.json()["revision"] == 1 and r.json()["next_due"] == start.isoformat()
    before = _counts(app)
    stale = ent.put(f"/api/v1/projects/{pid}", json={**plan, "revision": 0, "spend": 99})
    assert stale.status_code == 409 and stale.json()["field"] == "revision"
    assert _counts(app) == before and ent.get(f"/api/v1/projects/{pid}").json()["spend"] == 10

    # overdue milestones surface on both sides and to the authority, not elsewhere
    set_today(start + dt.timedelta(days=3))
    for c in (ent, prov, sz):
        listed = c.get("/api/v1/projects?overdue=true").json()["items"]
        assert [p["id"] for p in listed] == [pid] and listed[0]["overdue"] is True
        assert c.get(f"/api/v1/projects/{pid}").json()["overdue"][0]["title"] == "设备联网"
        assert "逾期" in c.get("/projects").text
    assert su.get("/api/v1/projects?overdue=true").json()["items"] == []
    done = {**plan, "revision": 1, "milestones": [{**plan["milestones"][0], "done": (start + dt.timedelta(days=1)).isoformat()}]}
    r = ent.put(f"/api/v1/projects/{pid}", json=done)
    assert r.status_code == 200 and r.json()["overdue"] == [] and r.json()["next_due"] is None

    # closing: the enterprise's admins only, with a satisfaction 1–5; nothing half-saved
    for c in (member, prov):
        assert c.post(f"/api/v1/projects/{pid}/close", json={"revision": 2, "satisfaction": 5}).status_code == 403
    before = _counts(app)
    r = ent.post(f"/api/v1/projects/{pid}/close", json={"revision": 2, "satisfaction": 0})
    assert r.status_code == 422 and r.json()["field"] == "satisfaction"
    assert _counts(app) == before
    assert ent.get(f"/api/v1/needs/{loop['need']}").json()["status"] == "in_project"
    rating = lambda: {  # noqa: E731
        x["provider_id"]: x["rating"] for x in sz.get("/api/v1/register").json()
    }
    assert rating()[world.orgs["prov"]] is None
    r = ent.post(f"/api/v1/projects/{pid}/close", json={"revision": 2, "satisfaction": 5, "note": "按期交付"})
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["satisfaction"] == 5
    assert ent.get(f"/api/v1/needs/{loop['need']}").json()["status"] == "closed"
    # one closed project, 5 stars, its one milestone done a day late: (2·3 + 0.7·5 + 0.3·1)/3
    assert rating()[world.orgs["prov"]] == 3.3
    assert prov.put(f"/api/v1/projects/{pid}", json=done | {"revision": 3}).status_code == 409
    # the new rating reaches matching: the index was rebuilt for the new revision
    r = ent.post(f"/api/v1/enterprises/{world.orgs['ent_sz']}/needs", json={
        "scene": "设备管理", "current_level": 2, "target_level": 3, "text": "设备联网"})  # fmt: skip
    need = r.json()["id"]
    top = ent.get(f"/api/v1/needs/{need}/matches").json()["matches"][0]
    assert any("3.3" in x for x in top["reasons"]), top["reasons"]
    with app.state.session_factory() as s:
        closes = s.scalars(select(AuditEvent).where(AuditEvent.action == "close",
                                                     AuditEvent.object_type == "project")).all()  # fmt: skip
        assert len(closes) == 1 and closes[0].after["satisfaction"] == 5


def test_bad_input_names_the_field_and_writes_nothing(app, world, loop, login):
    ent, prov = _clients(login, world, "ent_admin", "prov_member")
    url = f"/api/v1/enterprises/{world.orgs['ent_sz']}/needs"
    good = {"scene": "设备管理", "current_level": 2, "target_level": 3}
    cases = [
        (url, "post", {**good, "scene": "月球采矿"}, "scene", "未知场景"),
        (url, "post", {**good, "current_level": 3, "target_level": 2}, "target_level",
         "目标等级（二级）不能低于当前等级（三级）"),
        (url, "post", {**good, "budget_min": 50, "budget_max": 10}, "budget_min", "高于上限"),
        (url, "post", {**good, "addresses": ["no_such_fact"]}, "addresses[0]", "未知的评测事实"),
        ("/api/v1/solutions", "post", {**EQUIPMENT,
         "prerequisites": "equipment_network_rate >= 40 %；equipment_network_rate < 30 %"},
         "prerequisites", "前提条件相互矛盾"),
        ("/api/v1/solutions", "post", {**EQUIPMENT, "evidence": "C3484 OEE提升=12"}, "evidence",
         "必须注明单位"),
        (f"/api/v1/projects/{loop['project']}", "put", {"revision": 0, "kpis": [
            {"name": "OEE", "baseline": 60, "target": 70, "unit": ""}]}, "kpis[0].unit",
         "指标“OEE”：必须注明单位"),
        (f"/api/v1/projects/{loop['project']}", "put", {"revision": 0, "milestones": [
            {"title": "启动", "due": "2000-01-01"}]}, "milestones[0].due", "不能早于项目开始日期"),
    ]  # fmt: skip
    for target, method, body, field, zh in cases:
        client = prov if "/solutions" in target or "/projects" in target else ent
        before = _counts(app)
        r = getattr(client, method)(target, json=body)
        assert r.status_code == 422, (target, body, r.text)
        assert r.json()["field"] == field and zh in r.json()["detail"], r.json()
        assert _counts(app) == before, (target, body)
    # the same rules on the pages: the form comes back with the error next to the field
    r = ent.post(f"/enterprises/{world.orgs['ent_sz']}/needs", data={
        "csrf_token": ent.csrf, "scene": "设备管理", "current_level": "3", "target_level": "2",
        "title": "<script>alert(1)</script>"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 422 and "不能低于当前等级" in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text and "<script>alert(1)" not in r.text
    r = prov.post(f"/projects/{loop['project']}/save", data={
        "csrf_token": prov.csrf, "revision": "0", "start": "2026-01-01", "status": "active",
        "m_title": "启动会", "m_due": "2025-12-01"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 422 and "不能早于项目开始日期" in r.text and 'class="field-error"' in r.text


def test_catalogue_upload_keeps_good_rows_only_when_asked(app, world, loop, login):
    from nqpf.io.atomic import xlsx_bytes
    from nqpf.io.catalogue_template import catalogue_frame
    from nqpf.matching import make_catalogue

    prov, ent = _clients(login, world, "prov_member", "ent_admin")
    frame = catalogue_frame(make_catalogue(8, seed=4))
    frame.iloc[2, frame.columns.get_loc("场景")] = "月球采矿"
    frame.iloc[5, frame.columns.get_loc("前提条件")] = "equipment_network_rate >= 40 %；equipment_network_rate < 30 %"
    data = xlsx_bytes({"方案目录": frame})
    files = {"file": ("目录.xlsx", data, "application/octet-stream")}
    before = _counts(app)
    r = prov.post("/api/v1/solutions/upload", data={"mode": "all_or_nothing"}, files=files)
    assert r.status_code == 200 and r.json()["saved"] is False
    assert [(e["row"], e["column"]) for e in r.json()["errors"]] == [(4, "场景"), (7, "前提条件")]
    assert _counts(app) == before
    page = prov.post("/solutions/upload", data={"csrf_token": prov.csrf, "mode": "all_or_nothing"},
                     files=files)  # fmt: skip
    assert page.status_code == 422 and "未保存任何方案" in page.text and "月球采矿" in page.text
    r = prov.post("/api/v1/solutions/upload", data={"mode": "valid_only"}, files=files)
    assert r.json()["saved"] is True and r.json()["created"] == 6
    with app.state.session_factory() as s:
        mine = s.scalars(select(Solution).where(Solution.provider_id == world.orgs["prov"])).all()
        assert len(mine) == 2 + 6  # the file's provider columns are not used
    # uploading again updates by 方案编号; an enterprise may not upload
    r = prov.post("/api/v1/solutions/upload", data={"mode": "valid_only"}, files=files)
    assert (r.json()["created"], r.json()["updated"]) == (0, 6)
    assert ent.post("/api/v1/solutions/upload", data={"mode": "valid_only"}, files=files).status_code == 403
    r = ent.get("/api/v1/solutions/template.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_register_steps_are_authorised_and_audited(app, world, loop, login):
    prov, sz_admin, sz_officer, su, ent = _clients(
        login, world, "prov_member", "sz_admin", "sz_officer", "su_officer", "ent_admin"
    )
    # prov applies to Suzhou's register: Suzhou sees it, Shenzhen's people do not
    r = prov.post("/api/v1/register", json={"authority_id": world.orgs["auth_su"], "statement": "苏州服务"})
    assert r.status_code == 201 and r.json()["status"] == "applied"
    rid = r.json()["id"]
    assert prov.post("/api/v1/register", json={"authority_id": world.orgs["auth_su"], "statement": "再申请"}).status_code == 409
    assert sz_admin.get(f"/api/v1/register/{rid}").status_code == 404
    assert ent.get(f"/api/v1/register/{rid}").status_code == 404
    assert su.get(f"/api/v1/register/{rid}").status_code == 200
    # Suzhou's member (not admin) may not decide; the provider may not review itself
    review = {"action": "review", "experts": ["张工"], "score": 90, "opinion": "好", "passed": True}
    assert su.post(f"/api/v1/register/{rid}/actions", json=review).status_code == 403
    assert prov.post(f"/api/v1/register/{rid}/actions", json=review).status_code == 403

    # Shenzhen's register: warn prov, it appeals, the appeal is upheld; each step audited
    reg = loop["reg_prov"]
    steps = [
        (sz_admin, {"action": "admit"}, 409, "admitted"),
        (sz_officer, {"action": "sanction", "kind": "warning", "reason": "交付延期"}, 403, "admitted"),
        (sz_admin, {"action": "sanction", "kind": "warning", "reason": "交付延期"}, 200, "warning"),
        (sz_admin, {"action": "appeal", "reason": "已按期"}, 403, "warning"),
        (prov, {"action": "appeal", "reason": "延期系企业原因"}, 200, "warning"),
        (prov, {"action": "decide_appeal", "upheld": True, "opinion": "成立"}, 403, "warning"),
        (sz_admin, {"action": "decide_appeal", "upheld": True, "opinion": "申诉成立"}, 200, "admitted"),
        (sz_admin, {"action": "sanction", "kind": "removal", "reason": "严重违约"}, 200, "removed"),
    ]
    for who, body, status, after in steps:
        r = who.post(f"/api/v1/register/{reg}/actions", json=body)
        assert r.status_code == status, (body, r.text)
        assert sz_admin.get(f"/api/v1/register/{reg}").json()["status"] == after
    entry = sz_admin.get(f"/api/v1/register/{reg}").json()
    assert [e["action"] for e in entry["events"]] == [
        "apply", "review", "admit", "sanction", "appeal", "decide_appeal", "sanction"]
    assert entry["events"][1]["detail"]["experts"] == ["张工", "李工", "王工"]
    with app.state.session_factory() as s:
        audited = s.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "provider_registration",
                                            AuditEvent.object_id == str(reg))
            .order_by(AuditEvent.id))  # fmt: skip
        assert list(audited) == [f"register_{e['action']}" for e in entry["events"]]
    # a removed provider's solutions leave matching (a near miss on standing at most)
    need = ent.post(f"/api/v1/enterprises/{world.orgs['ent_sz']}/needs", json={
        "scene": "设备管理", "current_level": 2, "target_level": 3}).json()["id"]  # fmt: skip
    doc = ent.get(f"/api/v1/needs/{need}/matches").json()
    assert loop["sol_prov"] not in {m["solution_id"] for m in doc["matches"]}
    assert doc["excluded"]["standing"] >= 1
    # the register page shows the history, escaped
    page = sz_admin.get(f"/register/{reg}")
    assert page.status_code == 200 and "严重违约" in page.text and "移出" in page.text


def test_roadmap_steps_become_needs_in_one_action(app, world, loop, login):
    ent, sz = _clients(login, world, "ent_admin", "sz_admin")
    aid = loop["assessment"]
    steps = ent.get(f"/api/v1/assessments/{aid}/roadmap-needs").json()["steps"]
    assert steps and all(s["addresses"] == [s["step_id"]] for s in steps)
    assert sz.get(f"/api/v1/assessments/{aid}/roadmap-needs").status_code == 403
    page = ent.get(f"/assessments/{aid}/needs")
    assert page.status_code == 200 and steps[0]["title"] in page.text
    before = _counts(app)
    form = {"csrf_token": ent.csrf, "step": [s["step_id"] for s in steps], "budget_max": "50",
            "sid": [s["step_id"] for s in steps],
            "scene": ["设备管理", *(s["scene_label"] for s in steps[1:])], "text": "一次生成"}  # fmt: skip
    r = ent.post(f"/assessments/{aid}/needs", data=form, follow_redirects=False)
    assert r.status_code == 303
    made = ent.get("/api/v1/needs?status=draft").json()["items"]
    new = [n for n in made if n["assessment_id"] == aid]
    assert sorted(x for n in new for x in n["steps"]) == sorted(s["step_id"] for s in steps)
    assert any(n["scene"] == "scene_equipment" for n in new)
    assert all(n["budget_max"] == 50 and n["text"].endswith("一次生成") for n in new)
    assert _counts(app)["need"] == before["need"] + len(new)
    # a step not on the roadmap: the form again, the error, nothing made
    before = _counts(app)
    r = ent.post(f"/assessments/{aid}/needs", data={"csrf_token": ent.csrf, "step": ["nope"]})
    assert r.status_code == 422 and "不在该评测的路线图中" in r.text
    assert _counts(app) == before


def test_catalogue_index_is_cached_per_revision_and_rebuilt_on_change(app, world, loop, login):
    prov = login(world.emails["prov_member"])
    with app.state.session_factory() as s:
        first = solution_service.catalogue_index(s, "440305")
        again = solution_service.catalogue_index(s, "440305")
        assert again is first and len(first.solutions) == 3
        assert first.standings == {world.orgs["prov"]: "admitted", world.orgs["prov2"]: "admitted"}
        outside = solution_service.catalogue_index(s, "510104")  # no register covers 成都
        assert outside.scope is None and outside is not first
    def built(s):  # solution id → the engine object the cache holds for it
        return {i[0]: i[3] for i in solution_service._BASES[str(s.get_bind().url)].items}

    with app.state.session_factory() as s:
        before = built(s)
    r = prov.post("/api/v1/solutions", json={**EQUIPMENT, "name": "新方案"})
    assert r.status_code == 201
    with app.state.session_factory() as s:
        rebuilt = solution_service.catalogue_index(s, "440305")
        assert rebuilt is not first and rebuilt.revision > first.revision
        assert len(rebuilt.solutions) == 4
        after = built(s)  # only the new solution was read and validated again
        assert all(after[k] is v for k, v in before.items()) and r.json()["id"] in after
    sid = r.json()["id"]
    assert prov.post(f"/api/v1/solutions/{sid}/withdraw").json()["status"] == "withdrawn"
    other = login(world.emails["ent_admin"])
    assert other.get(f"/api/v1/solutions/{sid}").status_code == 404
    assert prov.get(f"/api/v1/solutions/{sid}").status_code == 200
    with app.state.session_factory() as s:
        assert len(solution_service.catalogue_index(s, "440305").solutions) == 3


def test_pages_render_for_each_role(app, world, loop, login, monkeypatch):
    ent, prov, sz = _clients(login, world, "ent_admin", "prov_member", "sz_officer")
    pages = {
        ent: ["/needs", f"/needs/{loop['need']}", f"/needs/{loop['need']}/matches",
              f"/enterprises/{world.orgs['ent_sz']}/needs/new", f"/needs/{loop['draft_need']}/edit",
              "/solutions", f"/solutions/{loop['sol_prov']}", "/projects",
              f"/projects/{loop['project']}", "/register"],
        prov: ["/needs", f"/needs/{loop['need']}", "/solutions/new", "/solutions/upload",
               f"/solutions/{loop['sol_prov']}/edit", f"/projects/{loop['project']}", "/register",
               f"/register/{loop['reg_prov']}"],
        sz: ["/needs", f"/projects/{loop['project']}", "/register", f"/register/{loop['reg_prov']}"],
    }  # fmt: skip
    for c, urls in pages.items():
        for url in urls:
            r = c.get(url)
            assert r.status_code == 200, (url, r.text[:300])
    assert "接受并立项" not in prov.get(f"/needs/{loop['need']}").text
    assert "关闭项目" in ent.get(f"/projects/{loop['project']}").text
    assert "关闭项目" not in prov.get(f"/projects/{loop['project']}").text
    # the register's actions show to the authority's admins only (sz_officer is a member)
    assert 'name="action" value="sanction"' not in sz.get(f"/register/{loop['reg_prov']}").text
    sz_admin = login(world.emails["sz_admin"])
    assert 'name="action" value="sanction"' in sz_admin.get(f"/register/{loop['reg_prov']}").text
    spec = app.openapi()["paths"]
    for path in ("/api/v1/needs/{need_id}/matches", "/api/v1/register/{registration_id}/actions",
                 "/api/v1/projects/{project_id}"):  # fmt: skip
        assert path in spec
    assert spec["/api/v1/needs/{need_id}/matches"]["get"]["description"].startswith("Ranked")
    # long lists count up to a cap (an exact count over 100,000 enterprises is the slow part)
    body = ent.get("/api/v1/needs").json()
    assert (body["total"], body["capped"]) == (2, False)
    from nqpf.web.services import loop_common

    monkeypatch.setattr(loop_common, "COUNT_CAP", 1)
    body = ent.get("/api/v1/needs").json()
    assert (body["total"], body["capped"], len(body["items"])) == (1, True, 2)


def test_demo_seeds_a_labelled_catalogue_register_needs_and_projects(app, login):
    from nqpf.web.demo import seed_demo

    with app.state.session_factory() as s:
        accounts = seed_demo(s, secret_key=app.state.settings.secret_key, seed=3, n_enterprises=40)
        assert (accounts.n_solutions, accounts.n_providers) == (300, 40)
        providers = s.scalars(select(Solution.provider_id).distinct()).all()
        assert len(providers) == 40
        names = s.scalars(select(Solution.data)).all()
        assert all("示例数据" in d["description"] for d in names)
        regs = s.scalars(select(ProviderRegistration)).all()
        assert len(regs) == 40 and {r.status for r in regs} <= {"admitted", "warning", "suspended", "applied"}
        for r in regs:  # admitted only through a passed review and its notice
            actions = s.scalars(select(RegisterEvent.action).where(
                RegisterEvent.registration_id == r.id).order_by(RegisterEvent.id)).all()  # fmt: skip
            if r.status != "applied":
                assert actions[:3] == ["apply", "review", "admit"]
        assert accounts.n_needs > 0 and accounts.n_projects > 0
        closed = s.scalars(select(Project).where(Project.status == "closed")).all()
        assert closed and all(p.satisfaction for p in closed)
    who = accounts.by_role("服务商成员")
    provider = login(who.email, who.password)
    shared = provider.get("/api/v1/needs").json()["items"]
    assert shared and all(n["status"] != "draft" for n in shared)
    park = accounts.by_role("园区工作人员")
    officer = login(park.email, park.password)
    need = next(n for n in officer.get("/api/v1/needs").json()["items"] if n["status"] == "published")
    doc = officer.get(f"/api/v1/needs/{need['id']}/matches").json()
    assert doc["catalogue_size"] > 200 and doc["facts_used"] is True
    assert officer.get("/projects").status_code == 200
