"""The demo park's programme (示例数据，非真实统计): seeded from the park's scope, and its
evaluation runs on the seeded assessments — the headline Callaway–Sant'Anna estimate of
its 2 × 2 design equals the difference of mean changes computed here from the rows."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from nqpf.web import demo
from nqpf.web.models import Assessment, EnterpriseProfile, Programme, ProgrammeMember


def _latest_total_by_year(session) -> dict[int, dict[int, float]]:
    """enterprise id → year → total of its latest submitted assessment of that year."""
    out: dict[int, dict[int, float]] = {}
    rows = session.execute(
        select(Assessment.enterprise_id, Assessment.submitted_at, Assessment.result)
        .where(Assessment.status == "submitted")
        .order_by(Assessment.submitted_at, Assessment.id)
    )
    for eid, when, result in rows:
        out.setdefault(eid, {})[when.year] = float(result["total"])
    return out


def test_demo_programme_is_seeded_and_evaluates(app, login, monkeypatch):
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(demo, "hash_password", cheap.hash)
    with app.state.session_factory() as s:
        key = app.state.settings.secret_key
        accounts = demo.seed_demo(s, secret_key=key, seed=7, n_enterprises=150)
        (programme,) = s.scalars(select(Programme)).all()
        members = {m.enterprise_id: m.start_year for m in s.scalars(select(ProgrammeMember))}
        profiles = select(EnterpriseProfile.organization_id, EnterpriseProfile.region_code)
        regions = {eid: region for eid, region in s.execute(profiles)}
        totals = _latest_total_by_year(s)
    assert "示例数据，非真实统计" in programme.name
    assert programme.authority_id == accounts.organizations["park"]
    assert len(members) == accounts.n_programme_members >= 3
    park = {e for e, r in regions.items() if r.startswith(demo.PARK_SCOPE)}
    for eid, start in members.items():
        assert eid in park and len(totals[eid]) >= 2 and start == max(totals[eid])

    # the independent 2 × 2 difference in differences over the balanced park panel
    years = sorted({y for e in park for y in totals.get(e, {})})
    assert years == [2024, 2025]
    balanced = [e for e in park if set(totals.get(e, {})) == set(years)]

    def mean_change(units):
        return sum(totals[e][2025] - totals[e][2024] for e in units) / len(units)

    treated = [e for e in balanced if e in members]
    control = [e for e in balanced if e not in members]
    expected = mean_change(treated) - mean_change(control)

    officer = accounts.by_role("园区工作人员")
    c = login(officer.email, officer.password)
    assert demo.PROGRAMME_NAME in c.get("/programmes").text
    r = c.post(f"/api/v1/programmes/{programme.id}/evaluate")
    assert r.status_code == 200, r.text
    did = r.json()["evaluation"]["did"]
    head = did["estimates"][0]
    assert (head["method"], head["control"]) == ("cs", "never")
    assert head["att"] == pytest.approx(expected, abs=1e-9)
    assert (head["n_treated"], head["n_control"]) == (len(treated), len(control))
    codes = {w["code"] for w in did["warnings"] if w["method"] == "cs"}
    assert "few_pre_periods" in codes  # the page says a 2 × 2 design cannot test pre-trends
