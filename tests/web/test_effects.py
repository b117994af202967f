"""An enterprise's effect page (issue 12, 点): T0/T1 from its stored assessments through
nqpf.services.evaluation (checked against nqpf.evaluation.compare on the same answers),
its projects' KPI effects, the report's effect section, and who sees the page."""

from __future__ import annotations

import pytest
from tests.web.answers import better_answers, complete_answers
from tests.web.loop_world import FW, actor_of, seed_loop

from nqpf.assessment import load_framework, score
from nqpf.evaluation import compare
from nqpf.web.services import assessments as assessment_service
from nqpf.web.services import projects as project_service

KPIS = [
    {"name": "设备联网率", "baseline": 40, "target": 90, "actual": 80, "unit": "%"},
    {"name": "综合能耗", "baseline": 520, "target": 450, "actual": 470, "unit": "tce"},
]


def _submit(session, owner, enterprise_id, answers) -> int:
    row, _ = assessment_service.start(session, owner, enterprise_id, FW)
    row = assessment_service.save_answers(session, owner, row.id, answers, row.revision)
    return assessment_service.submit(session, owner, row.id).id


@pytest.fixture
def waves(app, world):
    """ent_sz with T0 (first options, scenes at 2), T1 (better answers) and a project
    with two KPIs."""
    fw = load_framework(FW)
    with app.state.session_factory() as s:
        ids = seed_loop(s, world, prov2=False, assessment=False)
        owner = actor_of(s, world.emails["ent_admin"])
        t0 = _submit(s, owner, world.orgs["ent_sz"], complete_answers(fw))
        t1 = _submit(s, owner, world.orgs["ent_sz"], better_answers(fw))
        p = project_service.get_project(s, owner, ids["project"]).project
        project_service.save(s, owner, p.id, p.revision, kpis=KPIS)
    return t0, t1


def test_the_page_pairs_first_and_latest_through_compare(world, login, waves):
    fw = load_framework(FW)
    truth = compare(score(fw, complete_answers(fw)), score(fw, better_answers(fw)), framework=fw)
    ent = login(world.emails["ent_admin"])
    r = ent.get(f"/api/v1/enterprises/{world.orgs['ent_sz']}/effect")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["t0"], doc["t1"]) == waves
    c = doc["comparison"]
    assert c["total"]["t0"] == pytest.approx(truth.total_t0)
    assert c["total"]["delta"] == pytest.approx(truth.delta_total)
    assert (c["level"]["name_t0"], c["level"]["name_t1"]) == (truth.level_name_t0,
                                                              truth.level_name_t1)  # fmt: skip
    assert [d["delta"] for d in c["dimensions"]] == pytest.approx(
        truth.dimensions["delta"].tolist()
    )
    assert sum(q["change"] == "提升" for q in c["questions"]) == int(
        (truth.questions["change"] == "提升").sum()
    )
    assert [x["closed"] for x in c["conditions"]] == truth.conditions["closed"].tolist()
    kpi = {k["name"]: k for k in doc["kpis"]}
    assert kpi["设备联网率"]["pct_of_target"] == pytest.approx(80.0)  # (80-40)/(90-40)
    assert kpi["综合能耗"]["pct_of_target"] == pytest.approx(100 * 50 / 70)  # lower is better
    assert kpi["综合能耗"]["status"] == "未达成" and kpi["设备联网率"]["project"]
    page = ent.get(f"/enterprises/{world.orgs['ent_sz']}/effect")
    assert page.status_code == 200 and "效果评估（T0 → T1）" in page.text
    assert f"{truth.total_t1:.2f}" in page.text
    # the same pair picked explicitly, and a pick that is not the enterprise's
    same = ent.get(f"/api/v1/enterprises/{world.orgs['ent_sz']}/effect?a={waves[0]}&b={waves[1]}")
    assert same.json()["comparison"] == c
    r = ent.get(f"/api/v1/enterprises/{world.orgs['ent_sz']}/effect?a={waves[1]}&b={waves[1]}")
    assert r.status_code == 422 and r.json()["field"] == "b"
    r = ent.get(f"/enterprises/{world.orgs['ent_sz']}/effect?a=999999")
    assert r.status_code == 422 and "不是本企业已提交的评测" in r.text


def test_report_has_the_effect_section(world, login, waves):
    ent = login(world.emails["ent_admin"])
    r = ent.get(f"/api/v1/enterprises/{world.orgs['ent_sz']}/effect/report.html")
    assert r.status_code == 200
    html = r.content.decode()
    assert "效果评估（前后对比）" in html and "项目指标前后对比" in html
    assert "T0 时未满足的升级条件" in html and "设备联网率" in html
    ent2 = login(world.emails["ent2_admin"])  # one assessment or none: no effect report
    r = ent2.get(f"/api/v1/enterprises/{world.orgs['ent_sz2']}/effect/report.html")
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("who", "status"),
    [("ent_member", 200), ("sz_officer", 200), ("admin", 200), ("ent2_admin", 404),
     ("su_officer", 404), ("prov_member", 404), ("su_ent_admin", 404)],
)  # fmt: skip
def test_who_sees_an_enterprise_effect_page(world, login, waves, who, status):
    c = login(world.emails[who])
    eid = world.orgs["ent_sz"]
    for url in (f"/enterprises/{eid}/effect", f"/api/v1/enterprises/{eid}/effect",
                f"/api/v1/enterprises/{eid}/effect/report.html"):  # fmt: skip
        assert c.get(url).status_code == status, (who, url)
