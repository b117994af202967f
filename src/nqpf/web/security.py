"""Password hashing (argon2id via argon2-cffi), API bearer tokens and their scopes, and
the client address behind trusted proxies.

Bearer tokens are random strings given to the client once; only their SHA-256 digest
is stored, so a leaked database does not leak usable tokens.  A token carries scopes
(:data:`TOKEN_SCOPES`): ``read`` for GET/HEAD, ``write`` for every other method, and
``admin`` besides for changes through the administration API and for reading the audit
trail (:func:`required_scopes`).

Secrets the platform must read back (TOTP secrets) are encrypted under sub-keys of
``NQPF_SECRET_KEY`` (:func:`derive_key`: HKDF-SHA256 with a label per use), so the key
that signs sessions is never used as is for anything else.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "ADMIN_API_PREFIXES",
    "TOKEN_SCOPES",
    "client_address",
    "derive_key",
    "generate_token",
    "hash_password",
    "hash_token",
    "is_https",
    "password_needs_rehash",
    "required_scopes",
    "verify_password",
]

TOKEN_SCOPES = ("read", "write", "admin")
# API paths (under /api/v1) of the administration area: organizations, users, audit
ADMIN_API_PREFIXES = ("/api/v1/organizations", "/api/v1/users", "/api/v1/audit")
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

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


def derive_key(secret_key: str, label: str, length: int = 32) -> bytes:
    """A sub-key of ``secret_key`` for one use, named by ``label`` (HKDF-SHA256, RFC 5869).

    Different labels give independent keys, so a key derived for encryption reveals
    nothing about the session-signing key or about another label's key.
    """
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label.encode())
    return hkdf.derive(secret_key.encode("utf-8"))


def generate_token() -> str:
    """A new random bearer token (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a bearer token, as stored in ``api_token.token_hash``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def required_scopes(method: str, path: str) -> set[str]:
    """The scopes a bearer token needs for ``method`` on ``path`` (revoking the token
    itself needs none)."""
    if path == "/api/v1/auth/token":
        return set()
    safe = method.upper() in _SAFE
    needed = {"read" if safe else "write"}
    if path.startswith(ADMIN_API_PREFIXES) and (not safe or path.startswith("/api/v1/audit")):
        needed.add("admin")
    return needed


def _trusted_networks(trusted: Sequence[str]) -> list:
    return [ipaddress.ip_network(t, strict=False) for t in trusted]


def _in_networks(address: str | None, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in net for net in networks)


def is_https(scope: dict, trusted: Sequence[str]) -> bool:
    """Whether an ASGI request arrived over HTTPS: its own scheme, or the last
    ``X-Forwarded-Proto`` set by a trusted proxy peer."""
    if scope.get("scheme") == "https":
        return True
    peer = (scope.get("client") or (None,))[0]
    if not _in_networks(peer, _trusted_networks(trusted)):
        return False
    headers = dict(scope.get("headers") or [])
    proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").split(",")[-1].strip()
    return proto.lower() == "https"


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[str]) -> str:
    """The client's address: the TCP ``peer``, unless the peer is a trusted proxy.

    Behind trusted proxies, ``X-Forwarded-For`` is read from the right (each proxy appends
    the address it received from) and the first address that is not itself a trusted proxy
    is the client; anything left of it was written by the client and is ignored.  From an
    untrusted peer the header is ignored entirely, so it cannot be spoofed.
    """
    networks = _trusted_networks(trusted)

    def is_trusted(address: str) -> bool:
        return _in_networks(address, networks)

    client = peer or "unknown"
    if not networks or not is_trusted(client) or not forwarded_for:
        return client
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return client  # a malformed hop: keep the last address we could trust
        client = hop
        if not is_trusted(hop):
            return hop
    return client
