"""Assessments in the browser and the API: drafts, autosave, submit, results, visibility."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.web.answers import better_answers, complete_answers
from tests.web.browser_session import form_csrf

from nqpf.assessment import load_framework, score
from nqpf.web.models import Assessment, AuditEvent

FW = "sme-digital-2024"
INJECTIONS = ["<script>alert(1)</script>", "'; DROP TABLE organization; --"]


@pytest.fixture(scope="module")
def fw():
    return load_framework(FW)


def _start(c, world, org="ent_sz", **kw):
    r = c.post(f"/api/v1/enterprises/{world.orgs[org]}/assessments", json={"framework": FW}, **kw)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _patch(c, aid, revision, answers, **kw):
    return c.patch(
        f"/api/v1/assessments/{aid}", json={"revision": revision, "answers": answers}, **kw
    )


def _submitted(c, world, fw, answers=None, org="ent_sz"):
    a = _start(c, world, org)
    r = _patch(c, a["id"], a["revision"], answers or complete_answers(fw))
    assert r.status_code == 200, r.text
    r = c.post(f"/api/v1/assessments/{a['id']}/submit")
    assert r.status_code == 200, r.text
    return r.json()


def _form(pairs):
    """Form data from (name, value) pairs; repeated names become lists (checkboxes)."""
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def _row(app, aid):
    with app.state.session_factory() as s:
        return s.get(Assessment, aid)


def _events(app, action=None):
    with app.state.session_factory() as s:
        q = select(AuditEvent).where(AuditEvent.object_type == "assessment")
        if action:
            q = q.where(AuditEvent.action == action)
        return list(s.scalars(q.order_by(AuditEvent.id)))


def test_frameworks_lists_scorable_only(login, world):
    c = login(world.emails["ent_member"])
    r = c.get("/api/v1/frameworks")
    assert r.status_code == 200
    keys = [f["key"] for f in r.json()]
    assert FW in keys and "sme-digital-2022" not in keys


def test_draft_over_two_sittings_then_submit(app, login, world, fw):
    answers = complete_answers(fw)
    first_half = dict(list(answers.items())[:10])
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    assert a["label"] == "T0" and a["status"] == "draft" and a["revision"] == 0
    r = _patch(c, a["id"], 0, first_half)
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 1
    assert r.json()["progress"]["answered_questions"] == 10
    c.post("/logout")

    c2 = login(world.emails["ent_member"])  # a new session resumes the same draft
    again = c2.post(
        f"/api/v1/enterprises/{world.orgs['ent_sz']}/assessments", json={"framework": FW}
    )
    assert again.status_code == 200 and again.json()["id"] == a["id"]
    assert again.json()["responses"] == first_half
    page = c2.get(f"/assessments/{a['id']}")
    assert page.status_code == 200 and 'value="1"' in page.text  # revision field
    rest = {k: v for k, v in answers.items() if k not in first_half}
    r = _patch(c2, a["id"], 1, rest)
    assert r.status_code == 200 and r.json()["progress"]["complete"]
    r = c2.post(f"/api/v1/assessments/{a['id']}/submit")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "submitted" and body["submitted_at"]
    expected = score(fw, answers)
    assert body["result"]["level"] == expected.level
    assert body["result"]["total"] == pytest.approx(expected.total)
    assert body["result"]["dimensions"] == pytest.approx(dict(expected.dimensions))
    row = _row(app, a["id"])
    assert row.status == "submitted" and row.result["level_name"] == expected.level_name
    assert row.submitted_by is not None
    actions = [e.action for e in _events(app)]
    assert actions == ["create", "save", "save", "submit"]
    # the page of a submitted assessment is its result
    r = c2.get(f"/assessments/{a['id']}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/result")


def test_stale_revision_conflicts(app, login, world, fw):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    q = fw.questions[0]
    assert _patch(c, a["id"], 0, {fw.scenes[0].id: 3}).status_code == 200
    r = _patch(c, a["id"], 0, {fw.scenes[1].id: 2})
    assert r.status_code == 409 and r.json()["field"] == "revision"
    row = _row(app, a["id"])
    assert row.revision == 1 and row.responses == {fw.scenes[0].id: 3}
    # null clears an answer
    r = _patch(c, a["id"], 1, {fw.scenes[0].id: None, q.id: complete_answers(fw)[q.id]})
    assert r.status_code == 200 and fw.scenes[0].id not in r.json()["responses"]


BAD_ANSWERS = [
    ("information_system", "Z"),
    ("information_system", ["A"]),
    ("network", ["A", "B"]),  # '无' with another option
    ("network", ["Q"]),
    ("network", ["B", "B"]),
    ("equipment_digital_rate", 130),
    ("equipment_digital_rate", "abc"),
    ("equipment_digital_rate", INJECTIONS[1]),
    ("equipment_digital_rate", True),
    ("scene_quality", 5),
    ("scene_quality", 2.5),
    ("equipment_total", -1),
    ("no_such_question", "A"),
]


def test_bad_answers_name_the_question(app, login, world):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    for key, value in BAD_ANSWERS:
        r = _patch(c, a["id"], 0, {key: value})
        assert r.status_code == 422, (key, value, r.text)
        assert r.json()["field"] == key
    # one bad answer rejects the whole batch
    r = _patch(c, a["id"], 0, {"scene_quality": 2, "information_system": "Z"})
    assert r.status_code == 422
    row = _row(app, a["id"])
    assert row.revision == 0 and row.responses == {}
    assert not _events(app, "save")


def test_nan_and_huge_numbers_are_422(login, world):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    for raw in ("NaN", "Infinity", "1e400", str(10**400)):
        body = '{"revision": 0, "answers": {"equipment_digital_rate": ' + raw + "}}"
        r = c.patch(
            f"/api/v1/assessments/{a['id']}",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422, (raw, r.text)


def test_submit_incomplete_changes_nothing_and_twice_conflicts(app, login, world, fw):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    answers = complete_answers(fw)
    missing = fw.questions[3].id
    del answers[missing]
    assert _patch(c, a["id"], 0, answers).status_code == 200
    r = c.post(f"/api/v1/assessments/{a['id']}/submit")
    assert r.status_code == 422 and r.json()["field"] == missing
    assert fw.questions[3].title in r.json()["detail"]
    row = _row(app, a["id"])
    assert row.status == "draft" and row.result is None and row.submitted_at is None
    assert row.revision == 1
    assert not _events(app, "submit")
    assert _patch(c, a["id"], 1, {missing: complete_answers(fw)[missing]}).status_code == 200
    assert c.post(f"/api/v1/assessments/{a['id']}/submit").status_code == 200
    r = c.post(f"/api/v1/assessments/{a['id']}/submit")
    assert r.status_code == 409
    assert _patch(c, a["id"], 3, {missing: None}).status_code == 409
    assert c.delete(f"/api/v1/assessments/{a['id']}").status_code == 409
    assert len(_events(app, "submit")) == 1


def test_result_matches_engine_and_pages_render(app, login, world, fw):
    c = login(world.emails["ent_admin"])
    a = _submitted(c, world, fw)
    expected = score(fw, complete_answers(fw))
    r = c.get(f"/api/v1/assessments/{a['id']}/result")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["level"] == expected.level and body["total"] == pytest.approx(expected.total)
    assert body["next_level"] == [cond.message for cond in expected.next_level]
    assert len(body["scenes"]) == len(fw.scenes)
    assert body["roadmap"]["target_level"] == expected.level + 1
    assert body["roadmap"]["steps"]
    page = c.get(f"/assessments/{a['id']}/result")
    assert page.status_code == 200
    assert expected.level_name in page.text and "<svg" in page.text
    assert page.text.count('<polygon class="series"') == 1
    assert "report.pdf" in page.text and "report.xlsx" in page.text
    assert "可信度为“二手来源" in page.text  # the SME-2024 level rule is not official
    for step in body["roadmap"]["steps"][:2]:
        assert step["title"] in page.text
    listing = c.get(f"/enterprises/{world.orgs['ent_sz']}/assessments")
    assert (
        listing.status_code == 200 and "T0" in listing.text and expected.level_name in listing.text
    )


def test_t0_t1_numbering_and_compare(login, world, fw):
    c = login(world.emails["ent_admin"])
    t0 = _submitted(c, world, fw)
    t1 = _submitted(c, world, fw, better_answers(fw))
    assert (t0["label"], t1["label"]) == ("T0", "T1")
    eid = world.orgs["ent_sz"]
    r = c.get(
        f"/api/v1/enterprises/{eid}/assessments/compare", params={"a": t0["id"], "b": t1["id"]}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    s0, s1 = score(fw, complete_answers(fw)), score(fw, better_answers(fw))
    assert body["total"]["delta"] == pytest.approx(s1.total - s0.total)
    assert body["level"]["delta"] == s1.level - s0.level
    for d in body["dimensions"]:
        assert d["delta"] == pytest.approx(s1.dimensions[d["name"]] - s0.dimensions[d["name"]])
    assert all(s["delta"] == 1 for s in body["scenes"])
    page = c.get(f"/enterprises/{eid}/assessments/compare", params={"a": t0["id"], "b": t1["id"]})
    assert page.status_code == 200 and page.text.count('<polygon class="series"') == 2
    # a third draft is T2; a draft cannot be compared
    t2 = _start(c, world)
    assert t2["label"] == "T2"
    r = c.get(
        f"/api/v1/enterprises/{eid}/assessments/compare", params={"a": t0["id"], "b": t2["id"]}
    )
    assert r.status_code == 422
    # an assessment of another enterprise is not found through this one
    other = login(world.emails["ent2_admin"])
    t_other = _submitted(other, world, fw, org="ent_sz2")
    r = c.get(
        f"/api/v1/enterprises/{eid}/assessments/compare",
        params={"a": t0["id"], "b": t_other["id"]},
    )
    assert r.status_code == 404


def test_visibility(app, login, world, fw, token_for, client):
    owner = login(world.emails["ent_member"])
    done = _submitted(owner, world, fw)
    draft = _start(owner, world)
    eid = world.orgs["ent_sz"]

    officer = login(world.emails["sz_officer"])
    assert officer.get(f"/api/v1/assessments/{done['id']}/result").status_code == 200
    assert officer.get(f"/assessments/{done['id']}/result").status_code == 200
    assert officer.get(f"/api/v1/assessments/{draft['id']}").status_code == 404
    assert officer.get(f"/assessments/{draft['id']}").status_code == 404
    listed = [a["id"] for a in officer.get(f"/api/v1/enterprises/{eid}/assessments").json()]
    assert listed == [done["id"]]
    r = officer.post(f"/api/v1/enterprises/{eid}/assessments", json={"framework": FW})
    assert r.status_code == 403
    assert _patch(officer, draft["id"], draft["revision"], {fw.scenes[0].id: 1}).status_code == 404
    assert _patch(officer, done["id"], done["revision"], {fw.scenes[0].id: 1}).status_code == 403
    assert officer.post(f"/api/v1/assessments/{done['id']}/submit").status_code == 403
    assert officer.delete(f"/api/v1/assessments/{draft['id']}").status_code == 404

    headers = token_for(world.emails["prov_member"])
    assert (
        client.get(f"/api/v1/assessments/{done['id']}/result", headers=headers).status_code == 200
    )
    assert client.get(f"/api/v1/assessments/{draft['id']}", headers=headers).status_code == 404
    for name in ("su_officer", "prov2_member", "ent2_admin"):
        h = token_for(world.emails[name])
        assert client.get(f"/api/v1/assessments/{done['id']}/result", headers=h).status_code == 404
        assert client.get(f"/api/v1/enterprises/{eid}/assessments", headers=h).status_code == 404
    assert client.get(f"/api/v1/assessments/{done['id']}").status_code == 401
    assert client.get("/api/v1/assessments/999999").status_code == 401
    assert owner.get("/api/v1/assessments/999999").status_code == 404
    assert owner.get(f"/api/v1/assessments/{2**40}").status_code == 422

    # the platform admin may fill; ent_member may fill and delete its draft
    admin = login(world.emails["admin"])
    assert _patch(admin, draft["id"], 0, {fw.scenes[0].id: 2}).status_code == 200
    assert owner.delete(f"/api/v1/assessments/{draft['id']}").status_code == 204
    assert _row(app, draft["id"]) is None
    assert [e.action for e in _events(app, "delete")] == ["delete"]


def test_cookie_writes_need_csrf(login, world, fw):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    r = c.patch(
        f"/api/v1/assessments/{a['id']}",
        json={"revision": 0, "answers": {}},
        headers={"X-CSRF-Token": "nope"},
    )
    assert r.status_code == 403


def test_form_save_and_submit_without_js(app, login, world, fw):
    c = login(world.emails["ent_member"])
    eid = world.orgs["ent_sz"]
    r = c.post(
        f"/enterprises/{eid}/assessments",
        data={"framework": FW, "csrf_token": c.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    aid = int(r.headers["location"].rsplit("/", 1)[1])
    page = c.get(f"/assessments/{aid}")
    assert page.status_code == 200 and "保存草稿" in page.text and "提交评测" in page.text
    assert form_csrf(page.text) == c.csrf
    answers = complete_answers(fw)
    form: list[tuple[str, str]] = [("csrf_token", c.csrf), ("revision", "0")]
    for key, value in answers.items():
        if isinstance(value, list):
            form += [(f"a.{key}", v) for v in value]
        else:
            form.append((f"a.{key}", str(value)))
    partial = [f for f in form if f[0] != f"a.{fw.scenes[-1].id}"]
    partial.append(("a.equipment_total", INJECTIONS[0]))
    r = c.post(f"/assessments/{aid}/save", data=_form(partial), follow_redirects=False)
    assert r.status_code == 422
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text and "<script>alert(1)" not in r.text
    assert _row(app, aid).revision == 0
    partial[-1] = ("a.equipment_total", "120")
    r = c.post(f"/assessments/{aid}/save", data=_form(partial), follow_redirects=False)
    assert r.status_code == 303, r.text
    row = _row(app, aid)
    assert row.revision == 1 and row.responses["equipment_total"] == 120
    assert fw.scenes[-1].id not in row.responses
    # submitting the incomplete form names the missing scene and keeps the draft
    partial[1] = ("revision", "1")
    r = c.post(f"/assessments/{aid}/submit", data=_form(partial), follow_redirects=False)
    assert r.status_code == 422 and fw.scenes[-1].name in r.text
    assert _row(app, aid).status == "draft"
    form[1] = ("revision", str(_row(app, aid).revision))
    r = c.post(f"/assessments/{aid}/submit", data=_form(form), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/assessments/{aid}/result"
    row = _row(app, aid)
    assert row.status == "submitted" and row.result["total"] == score(fw, answers).total


def test_form_none_option_and_exclusive(app, login, world, fw):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    base = [("csrf_token", c.csrf), ("revision", "0")]
    r = c.post(
        f"/assessments/{a['id']}/save",
        data=_form([*base, ("a.talent", "__none__"), ("a.network", "A")]),
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _row(app, a["id"]).responses == {"talent": [], "network": ["A"]}
    r = c.post(
        f"/assessments/{a['id']}/save",
        data=_form(
            [("csrf_token", c.csrf), ("revision", "1"), ("a.network", "A"), ("a.network", "B")]
        ),
    )
    assert r.status_code == 422 and "不能与其他选项同时选择" in r.text
    r = c.post(
        f"/assessments/{a['id']}/save",
        data=_form([("csrf_token", c.csrf), ("revision", "0"), ("a.talent", "A")]),
    )
    assert r.status_code == 409 and "再次保存将覆盖" in r.text


def test_injection_strings_round_trip_as_422(app, login, world, fw):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    for text in INJECTIONS:
        for key in ("information_system", "equipment_digital_rate", "scene_quality", "network"):
            value = [text] if key == "network" else text
            r = _patch(c, a["id"], 0, {key: value})
            assert r.status_code == 422, r.text
            assert r.json()["field"] == key
        r = _patch(c, a["id"], 0, {text: "A"})
        assert r.status_code == 422 and r.json()["field"] == text
        r = c.post(
            f"/api/v1/enterprises/{world.orgs['ent_sz']}/assessments", json={"framework": text}
        )
        assert r.status_code == 422
    r = c.get(f"/enterprises/{world.orgs['ent_sz']}/assessments/compare?a=1&b=%27%3B")
    assert r.status_code == 422


def test_one_open_draft_and_audit(app, login, world):
    c = login(world.emails["ent_admin"])
    a = _start(c, world)
    b = _start(c, world)
    assert a["id"] == b["id"]
    with app.state.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Assessment)) == 1
    events = _events(app, "create")
    assert len(events) == 1 and events[0].after["framework"] == FW
    assert events[0].organization_id == world.orgs["ent_sz"]


def test_submit_is_atomic(app, world, fw, monkeypatch):
    from nqpf.web.authz import load_actor
    from nqpf.web.models import User
    from nqpf.web.services import assessments as svc
    from nqpf.web.services import audit

    with app.state.session_factory() as s:
        user = s.scalars(select(User).where(User.email == world.emails["ent_member"])).one()
        user_id = user.id
        actor = load_actor(s, user)
        row, _ = svc.start(s, actor, world.orgs["ent_sz"], FW)
        svc.save_answers(s, actor, row.id, complete_answers(fw), 0)
        aid = row.id

        def boom(*args, **kwargs):
            raise RuntimeError("audit store down")

        monkeypatch.setattr(audit, "record", boom)
        with pytest.raises(RuntimeError):
            svc.submit(s, actor, aid)
        monkeypatch.undo()
    row = _row(app, aid)
    assert row.status == "draft" and row.result is None and row.submitted_at is None
    assert row.revision == 1
    assert not _events(app, "submit")

    with app.state.session_factory() as s:
        actor = load_actor(s, s.get(User, user_id))
        original = s.commit
        calls = {"n": 0}

        def failing_commit():
            calls["n"] += 1
            raise RuntimeError("commit failed")

        monkeypatch.setattr(s, "commit", failing_commit)
        with pytest.raises(RuntimeError):
            svc.submit(s, actor, aid)
        monkeypatch.setattr(s, "commit", original)
        assert calls["n"] == 1
    row = _row(app, aid)
    assert row.status == "draft" and row.result is None
    assert not _events(app, "submit")


def test_concurrent_submits_of_one_enterprise_keep_its_latest_result(app, world, fw, request):
    """Two drafts of one enterprise submitted at once (two transactions): both succeed and
    the views' summary row is the one a rebuild from scratch gives — the second submit
    waits for the first instead of hitting the summary's unique key (a 500 on PostgreSQL)
    or missing the first's result."""
    import threading

    from nqpf.web.authz import load_actor
    from nqpf.web.models import AssessmentLatest, User
    from nqpf.web.services import assessments as svc
    from nqpf.web.services.latest_results import refresh_latest

    ent = world.orgs["ent_sz"]
    sessions = [app.state.session_factory() for _ in range(2)]
    for s in sessions:
        request.addfinalizer(s.close)
    email = world.emails["ent_member"]
    actors = [
        load_actor(s, s.scalars(select(User).where(User.email == email)).one()) for s in sessions
    ]
    row, _ = svc.start(sessions[0], actors[0], ent, FW)
    row = svc.save_answers(sessions[0], actors[0], row.id, complete_answers(fw), row.revision)
    # a second open draft of the same enterprise (as another framework's draft would be:
    # the summary is rebuilt per enterprise)
    twin = Assessment(enterprise_id=ent, framework_id=row.framework_id, seq=row.seq + 1,
                      framework_version=row.framework_version, status="draft",
                      responses=row.responses, revision=1, created_by=row.created_by)  # fmt: skip
    sessions[0].add(twin)
    sessions[0].commit()
    drafts = [row.id, twin.id]

    first_in_commit, release = threading.Event(), threading.Event()
    commit = sessions[0].commit

    def held_commit():  # the first submit holds its transaction open until released
        first_in_commit.set()
        release.wait(20)
        commit()

    sessions[0].commit = held_commit
    errors: list[BaseException] = []

    def submit(i: int) -> None:
        try:
            svc.submit(sessions[i], actors[i], drafts[i])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    one = threading.Thread(target=submit, args=(0,))
    one.start()
    assert first_in_commit.wait(20)
    two = threading.Thread(target=submit, args=(1,))
    two.start()
    two.join(0.5)  # the second reaches its wait on the first (or would race past it)
    release.set()
    one.join(20)
    two.join(20)
    assert not errors, errors
    with app.state.session_factory() as s:
        assert {
            r.status for r in s.scalars(select(Assessment).where(Assessment.id.in_(drafts)))
        } == {"submitted"}
        columns = [c for c in AssessmentLatest.__table__.columns if c.name != "id"]
        stored = s.execute(select(*columns).where(AssessmentLatest.enterprise_id == ent)).all()
        refresh_latest(s, [ent])
        assert (
            s.execute(select(*columns).where(AssessmentLatest.enterprise_id == ent)).all() == stored
        )
        latest = max(drafts, key=lambda a: s.get(Assessment, a).seq)
        assert [r.assessment_id for r in stored] == [latest]
        s.rollback()
