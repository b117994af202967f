"""Password hashing (argon2id via argon2-cffi) and API bearer tokens.

Bearer tokens are random strings given to the client once; only their SHA-256 digest
is stored, so a leaked database does not leak usable tokens.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "generate_token",
    "hash_password",
    "hash_token",
    "password_needs_rehash",
    "verify_password",
]

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (PHC string with salt and parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches ``password_hash``; False for a mismatch or a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)


def generate_token() -> str:
    """A new random bearer token (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a bearer token, as stored in ``api_token.token_hash``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
