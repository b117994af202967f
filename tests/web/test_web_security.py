"""Argon2 password hashes and bearer-token digests."""

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
