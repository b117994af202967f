"""TOTP secrets at rest (ASVS 4.0.3 2.9 / 6.2): sealed with AES-256-GCM under an HKDF
sub-key of ``NQPF_SECRET_KEY``, opened only with that key, migrated from clear text."""

from __future__ import annotations

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.security.helpers import other_app, post_form, post_login
from tests.web.security.totp_support import secret_for

from nqpf.web import totp
from nqpf.web.db import alembic_config, make_engine, make_session_factory, upgrade_database
from nqpf.web.models import User
from nqpf.web.security import derive_key

KEY = "k" * 32


def test_hkdf_matches_rfc5869_test_case_3():
    # RFC 5869 A.3: SHA-256, IKM = 22 × 0x0b, no salt, no info, L = 42
    okm = derive_key("\x0b" * 22, "", length=42)
    assert okm.hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


def test_sub_keys_are_not_the_secret_key_and_differ_by_label():
    sub = derive_key(KEY, totp.SECRET_KEY_LABEL)
    assert len(sub) == 32 and sub != KEY.encode()[:32]
    assert sub != derive_key(KEY, "another use") and sub != derive_key("j" * 32, "x")


def test_sealed_value_hides_the_secret_and_opens_again():
    secret = totp.new_secret()
    first, second = totp.seal_secret(secret, KEY), totp.seal_secret(secret, KEY)
    assert first != second  # a fresh nonce each time
    assert secret not in first and first.startswith("v1:") and len(first) <= 128
    assert totp.open_secret(first, KEY) == secret == totp.open_secret(second, KEY)


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda v: v[:-4] + ("AAAA" if v[-4:] != "AAAA" else "BBBB"), "无法解密"),  # ciphertext
        (lambda v: "v2" + v[2:], "不是加密格式"),  # unknown version
        (lambda v: v.split(":")[2], "不是加密格式"),  # prefix cut off
    ],
)
def test_tampered_values_are_refused(spoil, message):
    sealed = totp.seal_secret(totp.new_secret(), KEY)
    with pytest.raises(totp.SecretKeyMismatch, match=message):
        totp.open_secret(spoil(sealed), KEY)


def test_a_wrong_key_names_the_setting():
    sealed = totp.seal_secret(totp.new_secret(), KEY)
    with pytest.raises(totp.SecretKeyMismatch, match="另一个 NQPF_SECRET_KEY") as caught:
        totp.open_secret(sealed, "j" * 32)
    assert caught.value.status == 500


def test_enrolment_stores_the_secret_sealed(app, login, world):
    email = world.emails["ent_member"]
    c = login(email)
    page = c.get("/account/totp")
    with app.state.session_factory() as s:
        stored = s.scalars(select(User.totp_secret).where(User.email == email)).one()
    secret = totp.open_secret(stored, app.state.settings.secret_key)
    assert secret not in stored and len(secret) == 32
    assert page.status_code == 200
    r = c.post(
        "/account/totp",
        data={"code": totp.code_for_step(secret, totp.current_step()), "csrf_token": c.csrf},
    )
    assert r.status_code == 200 and "两步验证已启用" in r.text


def test_signing_in_under_another_key_is_a_named_error(db_url, world):
    # the world's officer was enrolled under the fixture app's key ("t" * 32)
    email = world.emails["sz_officer"]
    with other_app(db_url, secret_key="s" * 32) as app, TestClient(app) as client:
        post_login(client, email)
        code = totp.code_for_step(secret_for(email), totp.current_step())
        r = post_form(client, "/login/totp", {"code": code})
    assert r.status_code == 500 and "NQPF_SECRET_KEY" in r.text


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, sqlite_url, worker_id):
    """An empty database (SQLite file or a new PostgreSQL database), not migrated."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    server, _ = request.getfixturevalue("postgres")
    name = f"nqpf_totp_migration_{worker_id}"
    server.drop_database(name)
    yield server.create_database(name)
    server.drop_database(name)


def test_migration_seals_clear_secrets_and_downgrade_opens_them(fresh_url, monkeypatch):
    monkeypatch.setenv("NQPF_SECRET_KEY", KEY)
    upgrade_database(fresh_url, "0009")
    secret = secret_for("old@example.com")
    engine = make_engine(fresh_url)
    factory = make_session_factory(engine)
    try:
        with factory() as s:
            s.add(User(email="old@example.com", display_name="旧", password_hash="x",
                       totp_secret=secret))  # fmt: skip
            s.add(User(email="none@example.com", display_name="无", password_hash="x"))
            s.commit()

        def stored() -> dict[str, str | None]:
            with factory() as s:
                return dict(s.execute(select(User.email, User.totp_secret)).all())

        upgrade_database(fresh_url)
        sealed = stored()
        assert sealed["none@example.com"] is None
        assert sealed["old@example.com"] != secret
        assert totp.open_secret(sealed["old@example.com"], KEY) == secret
        upgrade_database(fresh_url)  # idempotent: nothing is sealed twice
        assert stored() == sealed

        monkeypatch.setenv("NQPF_SECRET_KEY", "j" * 32)
        with pytest.raises(totp.SecretKeyMismatch, match="NQPF_SECRET_KEY"):
            command.downgrade(alembic_config(fresh_url), "0009")
        monkeypatch.setenv("NQPF_SECRET_KEY", KEY)
        command.downgrade(alembic_config(fresh_url), "0009")
        assert stored()["old@example.com"] == secret
    finally:
        engine.dispose()
