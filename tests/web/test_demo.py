"""The demo park: seeding, determinism, labels, scores, sign-in and the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from nqpf.assessment import load_framework, score
from nqpf.web.credit_code import is_valid_credit_code
from nqpf.web.demo import (
    DEMO_SUFFIX,
    DemoRefused,
    is_demo_database,
    reset_demo,
    seed_demo,
)
from nqpf.web.models import Assessment, EnterpriseProfile, Organization, Share, User


def _snapshot(session):
    orgs = session.execute(
        select(Organization.name, Organization.kind).order_by(Organization.id)
    ).all()
    profiles = session.execute(
        select(
            EnterpriseProfile.credit_code,
            EnterpriseProfile.industry,
            EnterpriseProfile.region_code,
            EnterpriseProfile.size_class,
        ).order_by(EnterpriseProfile.id)
    ).all()
    results = session.execute(
        select(Assessment.seq, Assessment.responses).order_by(Assessment.id)
    ).all()
    return orgs, profiles, results


def test_seed_demo(app, login):
    with app.state.session_factory() as s:
        accounts = seed_demo(s, seed=7, n_enterprises=60)
        assert is_demo_database(s)
        enterprises = s.scalars(select(Organization).where(Organization.kind == "enterprise")).all()
        assert len(enterprises) == 60 == accounts.n_enterprises
        assert all(o.name.endswith(DEMO_SUFFIX) for o in enterprises)
        profiles = s.scalars(select(EnterpriseProfile)).all()
        assert all(is_valid_credit_code(p.credit_code) for p in profiles)
        assert all(10 <= int(p.industry[1:3]) <= 43 and p.industry[0] == "C" for p in profiles)
        park = s.get(Organization, accounts.organizations["park"])
        inside = [p for p in profiles if p.region_code.startswith(park.region_scope)]
        assert 0.8 * 60 <= len(inside) < 60
        rows = s.scalars(select(Assessment)).all()
        assert len(rows) == accounts.n_assessments > 0
        t0 = {r.enterprise_id for r in rows if r.seq == 0}
        t1 = {r.enterprise_id for r in rows if r.seq == 1}
        assert t1 <= t0 and 0.4 < len(t0) / 60 < 0.8 and 0.1 < len(t1) / 60 < 0.4
        fw = load_framework("sme-digital-2024")
        for r in rows:
            again = score(fw, r.responses)
            assert r.status == "submitted" and r.result["level"] == again.level
            assert r.result["total"] == again.total
        assert s.scalar(select(func.count()).select_from(Share)) == accounts.n_shares > 0
        assert s.scalar(select(func.count()).select_from(User)) == len(accounts.accounts) == 10
        with pytest.raises(DemoRefused):
            seed_demo(s, seed=7, n_enterprises=60)
    # accounts sign in and see what their role allows
    park = login(accounts.by_role("园区工作人员").email, accounts.by_role("园区工作人员").password)
    assert park.get("/api/v1/me").json()["memberships"][0]["kind"] == "authority"
    admin = login(accounts.by_role("平台管理员").email, accounts.by_role("平台管理员").password)
    assert admin.get("/admin").status_code == 200


def test_seed_is_deterministic(app, db_url):
    with app.state.session_factory() as s:
        seed_demo(s, seed=11, n_enterprises=12)
        first = _snapshot(s)
        reset_demo(s)
        assert s.scalar(select(func.count()).select_from(Organization)) == 0
        seed_demo(s, seed=11, n_enterprises=12)
        assert _snapshot(s) == first


def test_reset_refuses_foreign_data(app, world):
    with app.state.session_factory() as s:
        assert not is_demo_database(s)
        with pytest.raises(DemoRefused):
            reset_demo(s)
        with pytest.raises(DemoRefused):
            seed_demo(s, n_enterprises=5)


def test_demo_cli(sqlite_url):
    from nqpf.cli.main import app as cli

    runner = CliRunner()
    r = runner.invoke(
        cli, ["demo", "--database-url", sqlite_url, "--enterprises", "30", "--seed", "3"]
    )
    assert r.exit_code == 0, r.output
    assert "admin@demo.nqpf.example" in r.output and "nqpf serve" in r.output
    assert "示例数据" in r.output
    r2 = runner.invoke(cli, ["demo", "--database-url", sqlite_url, "--enterprises", "30"])
    assert r2.exit_code != 0
    assert "--reset" in str(r2.exception) + r2.output
    from nqpf.web.db import make_engine, make_session_factory

    engine = make_engine(sqlite_url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Organization)) == 30 + 6
    engine.dispose()
    r3 = runner.invoke(
        cli, ["demo", "--database-url", sqlite_url, "--enterprises", "20", "--reset"]
    )
    assert r3.exit_code == 0, r3.output
