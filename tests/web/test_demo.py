"""The demo park: seeding, determinism, labels, scores, sign-in and the CLI."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from nqpf.assessment import load_framework, score
from nqpf.assessment.carbon import account
from nqpf.codes import is_valid_credit_code
from nqpf.web.demo import (
    DEMO_SUFFIX,
    DemoRefused,
    is_demo_database,
    reset_demo,
    seed_demo,
)
from nqpf.web.models import (
    Assessment,
    AuditEvent,
    CarbonInventory,
    EnterpriseProfile,
    Organization,
    Share,
    User,
)


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
    inventories = session.execute(
        select(  # by enterprise name: ids differ between runs where sequences do not reset
            Organization.name,
            CarbonInventory.year,
            CarbonInventory.inputs,
            CarbonInventory.result,
            CarbonInventory.revision,
        )
        .join(Organization, Organization.id == CarbonInventory.enterprise_id)
        .order_by(CarbonInventory.id)
    ).all()
    return orgs, profiles, results, inventories


def test_seed_demo(app, login):
    with app.state.session_factory() as s:
        accounts = seed_demo(s, secret_key=app.state.settings.secret_key, seed=7, n_enterprises=60)
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
            seed_demo(s, secret_key=app.state.settings.secret_key, seed=7, n_enterprises=60)
    # accounts sign in and see what their role allows
    park = login(accounts.by_role("园区工作人员").email, accounts.by_role("园区工作人员").password)
    assert park.get("/api/v1/me").json()["memberships"][0]["kind"] == "authority"
    admin = login(accounts.by_role("平台管理员").email, accounts.by_role("平台管理员").password)
    assert admin.get("/admin").status_code == 200


def _recomputed(row):
    i = row.inputs
    return account(
        [dict(r) for r in i["records"]],
        year=row.year,
        region=i["region"],
        grid_factor=i["grid_factor"],
        process_emissions=i["process_emissions"],
        output=i["output"],
        revenue=i["revenue"],
    )


def test_seed_demo_carbon_inventories(app, login):
    with app.state.session_factory() as s:
        accounts = seed_demo(s, secret_key=app.state.settings.secret_key, seed=7, n_enterprises=60)
        rows = s.scalars(select(CarbonInventory).order_by(CarbonInventory.id)).all()
        assert len(rows) == accounts.n_inventories
        by_ent: dict[int, dict[int, CarbonInventory]] = {}
        for r in rows:
            by_ent.setdefault(r.enterprise_id, {})[r.year] = r
        # ~40 % of the park, both years each, the first sample enterprise among them
        assert 0.2 * 60 <= len(by_ent) <= 0.6 * 60
        assert all(set(years) == {2022, 2023} for years in by_ent.values())
        assert accounts.n_inventories == 2 * len(by_ent)
        ent1 = s.scalar(select(func.min(Organization.id)).where(Organization.kind == "enterprise"))
        assert ent1 in by_ent
        regions = dict(
            s.execute(
                select(EnterpriseProfile.organization_id, EnterpriseProfile.region_code)
            ).all()
        )
        for r in rows:
            # the stored result is the engine's, recomputed from the stored inputs
            again = _recomputed(r)
            res = r.result
            assert math.isclose(res["e_total"], again.e_total, rel_tol=0, abs_tol=1e-9)
            assert math.isclose(res["energy_tce"], again.energy_tce, rel_tol=0, abs_tol=1e-9)
            assert res["year"] == r.year and r.revision == 1
            assert [(i["name"], i["value"]) for i in res["intensities"]] == [
                (n, v) for n, v, _ in again.intensities
            ]
            assert len(res["intensities"]) == 4  # output and revenue denominators given
            # province of the enterprise; the national grid factor in both years
            assert r.inputs["region"] == regions[r.enterprise_id][:2]
            assert r.inputs["grid_factor"] == "national"
            assert res["grid_factor"]["kind"] == r.inputs["grid_factor"]
            carriers = [x["carrier"] for x in r.inputs["records"]]
            assert carriers[0] == "电力" and set(carriers) <= {"电力", "天然气", "柴油"}
            assert all(x["quantity"] > 0 for x in r.inputs["records"])
        for years in by_ent.values():
            a, b = years[2022], years[2023]
            change = b.result["energy_tce"] / a.result["energy_tce"] - 1
            assert 0.029 <= abs(change) <= 0.101, change
            assert [x["carrier"] for x in a.inputs["records"]] == [
                x["carrier"] for x in b.inputs["records"]
            ]
        # larger size classes use more energy (medians)
        sizes = dict(
            s.execute(select(EnterpriseProfile.organization_id, EnterpriseProfile.size_class)).all()
        )
        tce = {
            size: sorted(
                y[2022].result["energy_tce"] for e, y in by_ent.items() if sizes[e] == size
            )
            for size in ("micro", "small", "medium")
        }
        medians = [v[len(v) // 2] for v in tce.values() if v]
        assert medians == sorted(medians)
        # one audit event for the seeding, with the count
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "seed_demo")).all()
        assert event.after["carbon_inventories"] == accounts.n_inventories
        iid = by_ent[ent1][2023].id
    # the enterprise's admin sees them on the pages and through the API
    who = accounts.by_role("企业一管理员")
    c = login(who.email, who.password)
    assert c.get(f"/enterprises/{ent1}/carbon").status_code == 200
    assert c.get(f"/carbon/{iid}").status_code == 200
    yoy = c.get(f"/api/v1/enterprises/{ent1}/carbon/yoy").json()
    assert [y["year"] for y in yoy] == [2022, 2023]
    energy = next(m for m in yoy[1]["metrics"] if m["key"] == "energy_tce")
    assert 2.9 <= abs(energy["change_pct"]) <= 10.1


def test_seed_is_deterministic(app, db_url):
    with app.state.session_factory() as s:
        seed_demo(s, secret_key=app.state.settings.secret_key, seed=11, n_enterprises=12)
        first = _snapshot(s)
        assert first[3]  # inventories are part of the comparison
        reset_demo(s)
        assert s.scalar(select(func.count()).select_from(Organization)) == 0
        seed_demo(s, secret_key=app.state.settings.secret_key, seed=11, n_enterprises=12)
        assert _snapshot(s) == first


def test_reset_refuses_foreign_data(app, world):
    with app.state.session_factory() as s:
        assert not is_demo_database(s)
        with pytest.raises(DemoRefused):
            reset_demo(s)
        with pytest.raises(DemoRefused):
            seed_demo(s, secret_key=app.state.settings.secret_key, n_enterprises=5)


def test_demo_cli(sqlite_url):
    from nqpf.cli.main import app as cli

    runner = CliRunner()
    r = runner.invoke(
        cli, ["demo", "--no-serve", "--database-url", sqlite_url, "--enterprises", "30", "--seed", "3"]
    )
    assert r.exit_code == 0, r.output
    assert "admin@demo.nqpf.example" in r.output and "nqpf serve" in r.output
    assert "示例数据" in r.output
    r2 = runner.invoke(
        cli, ["demo", "--no-serve", "--database-url", sqlite_url, "--enterprises", "30"]
    )
    assert r2.exit_code != 0
    assert "--reset" in str(r2.exception) + r2.output
    from nqpf.web.db import make_engine, make_session_factory

    engine = make_engine(sqlite_url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Organization)) == 30 + 6 + 37
    engine.dispose()
    r3 = runner.invoke(
        cli, ["demo", "--no-serve", "--database-url", sqlite_url, "--enterprises", "20", "--reset"]
    )
    assert r3.exit_code == 0, r3.output
