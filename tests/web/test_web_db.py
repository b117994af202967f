"""``nqpf db upgrade``: the packaged Alembic migrations create and keep the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqpf.web.db import head_revision

pytest.importorskip("alembic", reason="the platform tests need the 'web' extra (Alembic)")

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from nqpf.web.db import (
    alembic_config,
    current_revision,
    make_engine,
    make_session_factory,
    upgrade_database,
)
from nqpf.web.models import (
    AuditEvent,
    Base,
    EnterpriseProfile,
    Membership,
    Organization,
    User,
)

TABLES = {
    "alembic_version",
    "api_token",
    "assessment",
    "audit_event",
    "carbon_inventory",
    "enterprise_profile",
    "login_attempt",
    "membership",
    "organization",
    "share",
    "user_account",
    "web_session",
    # the loop (rev 0004)
    *("need", "need_share", "solution", "provider_registration", "register_event"),
    *("proposal", "project", "project_document", "loop_counter"),
    # background jobs (rev 0005)
    *("job", "job_file"),
    # sign-in security (rev 0006)
    *("recovery_code", "password_reset"),
    # effect evaluation (rev 0007)
    *("programme", "programme_member"),
    # the latest result's summary of the officers' views (issue 13)
    "assessment_latest",
    # the carbon inventories' summary of the park view and map (issue 13)
    "carbon_summary",
}


def _schema(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        insp = inspect(engine)
        return {t: sorted(c["name"] for c in insp.get_columns(t)) for t in insp.get_table_names()}
    finally:
        engine.dispose()


def test_upgrade_creates_all_tables(sqlite_url: str, tmp_path: Path):
    assert not (tmp_path / "db").exists()
    assert upgrade_database(sqlite_url) == head_revision()
    assert (tmp_path / "db" / "nqpf.db").is_file()
    schema = _schema(sqlite_url)
    assert set(schema) == TABLES
    assert schema["enterprise_profile"] == sorted(
        [
            "id",
            "organization_id",
            "credit_code",
            "industry",
            "region_code",
            "size_class",
            "chains",
            "created_at",
            "updated_at",
        ]
    )
    assert {"actor_id", "action", "object_type", "object_id", "before", "after", "at"} <= set(
        schema["audit_event"]
    )


def test_migrated_schema_matches_the_models(migrated_url: str):
    engine = make_engine(migrated_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_upgrade_twice_is_idempotent(migrated_url: str):
    factory = make_session_factory(engine := make_engine(migrated_url))
    with factory() as session:
        session.add(Organization(name="示范园区", kind="authority", region_scope="440300"))
        session.commit()
    engine.dispose()
    before = _schema(migrated_url)

    assert upgrade_database(migrated_url) == head_revision()
    assert _schema(migrated_url) == before
    engine = make_engine(migrated_url)
    with make_session_factory(engine)() as session:
        assert session.scalars(select(Organization.name)).all() == ["示范园区"]
    engine.dispose()


def test_downgrade_to_base_and_back(migrated_url: str):
    command.downgrade(alembic_config(migrated_url), "base")
    assert current_revision(migrated_url) is None
    assert set(_schema(migrated_url)) == {"alembic_version"}
    assert upgrade_database(migrated_url) == head_revision()
    assert set(_schema(migrated_url)) == TABLES


def test_constraints_are_enforced(migrated_url: str):
    engine = make_engine(migrated_url)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            org = Organization(name="某制造企业", kind="enterprise")
            user = User(email="a@example.cn", display_name="甲", password_hash="x")
            session.add_all([org, user])
            session.flush()
            session.add(Membership(user_id=user.id, organization_id=org.id, role="admin"))
            session.add(
                EnterpriseProfile(
                    organization_id=org.id,
                    credit_code="91350100M000100Y43",
                    industry="C3911",
                    region_code="350100",
                    size_class="small",
                )
            )
            session.add(
                AuditEvent(
                    actor_id=user.id,
                    action="create",
                    object_type="organization",
                    object_id=str(org.id),
                    after={"name": "某制造企业"},
                )
            )
            session.commit()
            assert session.scalars(select(AuditEvent.after)).one() == {"name": "某制造企业"}

        bad_rows = [
            Organization(name="x", kind="bank"),
            Membership(user_id=1, organization_id=1, role="owner"),  # bad role (and duplicate)
            Membership(user_id=1, organization_id=999, role="member"),  # no such organization
            EnterpriseProfile(
                organization_id=1,  # second profile for the same organization
                credit_code="91110108MA01ABCD1E",
                industry="C3911",
                region_code="110108",
                size_class="small",
            ),
        ]
        for row in bad_rows:
            with factory() as session:
                session.add(row)
                with pytest.raises(IntegrityError):
                    session.commit()
    finally:
        engine.dispose()


def test_cli_db_upgrade(invoke, sqlite_url: str):
    result = invoke(["db", "upgrade", "--database-url", sqlite_url])
    assert result.code == 0, (result.stdout, result.stderr)
    assert f"at revision {head_revision()}" in result.stdout
    again = invoke(["db", "upgrade", "--database-url", sqlite_url])
    assert again.code == 0 and f"at revision {head_revision()}" in again.stdout
    assert set(_schema(sqlite_url)) == TABLES


def test_cli_db_upgrade_uses_the_default_location(invoke, tmp_path: Path):
    result = invoke(["db", "upgrade"])
    assert result.code == 0, (result.stdout, result.stderr)
    assert (tmp_path / "xdg-data" / "nqpf" / "nqpf.db").is_file()


def test_cli_db_upgrade_unreachable_database_is_one_line(invoke, tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = invoke(["db", "upgrade", "--database-url", f"sqlite:///{blocker}/x/nqpf.db"])
    assert result.code == 2
    assert "Traceback" not in result.stderr
