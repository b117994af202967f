"""Argon2 password hashes, bearer-token digests and scopes, client addresses behind proxies."""

from __future__ import annotations

import pytest

pytest.importorskip("argon2", reason="the platform tests need the 'web' extra (argon2-cffi)")

from nqpf.web.security import (
    generate_token,
    hash_password,
    hash_token,
    password_needs_rehash,
    verify_password,
)


def test_argon2_round_trip():
    hashed = hash_password("正确的马 battery staple")
    assert hashed.startswith("$argon2id$")
    assert "正确的马" not in hashed
    assert verify_password(hashed, "正确的马 battery staple")
    assert not verify_password(hashed, "正确的马 battery staplf")
    assert not password_needs_rehash(hashed)


def test_hashes_are_salted():
    assert hash_password("secret-pass") != hash_password("secret-pass")


@pytest.mark.parametrize("bad", ["", "not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$xx$yy"])
def test_verify_against_garbage_is_false(bad):
    assert not verify_password(bad, "secret-pass")


def test_tokens_are_random_and_stored_as_digests():
    a, b = generate_token(), generate_token()
    assert a != b and len(a) >= 43
    assert len(hash_token(a)) == 64
    assert hash_token(a) == hash_token(a) != hash_token(b)


def test_client_address_trusts_forwarded_for_only_from_listed_proxies():
    from nqpf.web.security import client_address

    trusted = ["10.0.0.0/8", "192.0.2.1"]
    assert client_address("203.0.113.5", "1.2.3.4", trusted) == "203.0.113.5"  # spoofed
    assert client_address("10.0.0.1", "1.2.3.4", trusted) == "1.2.3.4"
    # read from the right: the client's own entries left of the last untrusted hop
    assert client_address("10.0.0.1", "6.6.6.6, 1.2.3.4, 192.0.2.1", trusted) == "1.2.3.4"
    assert client_address("10.0.0.1", "not-an-ip", trusted) == "10.0.0.1"
    assert client_address("10.0.0.1", None, trusted) == "10.0.0.1"
    assert client_address("10.0.0.1", "1.2.3.4", []) == "10.0.0.1"


def test_token_scopes_by_method_and_area():
    from nqpf.web.security import required_scopes

    assert required_scopes("GET", "/api/v1/enterprises") == {"read"}
    assert required_scopes("POST", "/api/v1/enterprises") == {"write"}
    assert required_scopes("GET", "/api/v1/organizations") == {"read"}
    assert required_scopes("POST", "/api/v1/organizations") == {"write", "admin"}
    assert required_scopes("GET", "/api/v1/audit") == {"read", "admin"}
    assert required_scopes("DELETE", "/api/v1/auth/token") == set()


def test_https_is_the_scheme_or_a_trusted_proxys_forwarded_proto():
    from nqpf.web.security import is_https

    proxied = {"scheme": "http", "client": ("10.0.0.1", 1),
               "headers": [(b"x-forwarded-proto", b"https")]}  # fmt: skip
    assert is_https({"scheme": "https", "client": ("1.2.3.4", 1), "headers": []}, [])
    assert is_https(proxied, ["10.0.0.0/8"])
    assert not is_https(proxied, [])
    assert not is_https({**proxied, "client": ("8.8.8.8", 1)}, ["10.0.0.0/8"])


def test_settings_parse_lists_and_refuse_a_production_without_two_factor():
    from nqpf.web.config import Settings

    s = Settings(trusted_proxies="10.0.0.0/8, 192.0.2.1", totp_required_roles="all")
    assert s.trusted_proxies == ["10.0.0.0/8", "192.0.2.1"] and s.totp_required_roles == ["all"]
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(trusted_proxies="proxy.example")
    with pytest.raises(ValueError, match="officer and platform_admin"):
        Settings(env="production", secret_key="p" * 32, totp_required_roles=["officer"])
    assert Settings(env="production", secret_key="p" * 32).hsts_max_age == 365 * 24 * 3600
