"""TOTP two-factor codes (RFC 6238 through pyotp), their QR code and recovery codes.

A code is accepted for the current 30-second step and ``drift`` steps either side, and
only for a step later than the last one the user signed in with, so an intercepted code
cannot be replayed (ASVS 2.8.4).  Recovery codes carry 120 random bits each (ASVS 2.6.2
asks for 112 unless salted), so a SHA-256 digest is enough to store them.

A TOTP secret must be read back to check codes, so it is stored encrypted (ASVS 2.9.x,
6.2): AES-256-GCM under a sub-key of ``NQPF_SECRET_KEY`` (HKDF label
:data:`SECRET_KEY_LABEL`), written ``v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``.
The version names the scheme and the key id (a hash of the sub-key, not the key) tells
which key sealed the value, so a changed ``NQPF_SECRET_KEY`` is reported as such instead
of every code being refused, and a later re-encryption can find the values of an old key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nqpf.web.errors import PlatformError
from nqpf.web.security import derive_key

__all__ = [
    "RECOVERY_CODES",
    "SECRET_KEY_LABEL",
    "STEP_SECONDS",
    "SecretKeyMismatch",
    "accepted_step",
    "code_for_step",
    "current_step",
    "hash_recovery_code",
    "new_recovery_codes",
    "new_secret",
    "open_secret",
    "provisioning_uri",
    "qr_data_uri",
    "seal_secret",
]

STEP_SECONDS = 30
RECOVERY_CODES = 10
_CODE_DIGITS = 6
SECRET_KEY_LABEL = "nqpf totp-secret v1"
_SEALED_VERSION = "v1"
_NONCE_BYTES = 12  # AES-GCM's standard nonce (NIST SP 800-38D), random per value


class SecretKeyMismatch(PlatformError):
    """A stored TOTP secret does not open with this ``NQPF_SECRET_KEY`` (500: the
    deployment's setting is at fault, not the user's code)."""

    status = 500


def _sub_key(secret_key: str) -> tuple[bytes, str]:
    key = derive_key(secret_key, SECRET_KEY_LABEL)
    key_id = hashlib.sha256(b"key id:" + key).hexdigest()[:8]
    return key, key_id


def seal_secret(secret: str, secret_key: str) -> str:
    """``secret`` encrypted for storage under ``secret_key`` (``NQPF_SECRET_KEY``)."""
    key, key_id = _sub_key(secret_key)
    header = f"{_SEALED_VERSION}:{key_id}"
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, secret.encode("ascii"), header.encode("ascii"))
    return f"{header}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def open_secret(stored: str, secret_key: str) -> str:
    """The TOTP secret ``stored`` by :func:`seal_secret`.

    Raises
    ------
    SecretKeyMismatch
        When ``stored`` was sealed under another ``NQPF_SECRET_KEY``, was altered, or is
        not a sealed value at all (a database not migrated to revision 0010).
    """
    key, key_id = _sub_key(secret_key)
    version, _, rest = stored.partition(":")
    stored_id, _, payload = rest.partition(":")
    if version != _SEALED_VERSION or not payload:
        raise SecretKeyMismatch(
            "两步验证密钥不是加密格式：请先运行数据库迁移（nqpf db upgrade）"
            "（stored TOTP secret is not sealed; run the migrations to revision 0010）"
        )
    if stored_id != key_id:
        raise SecretKeyMismatch(
            "两步验证密钥是用另一个 NQPF_SECRET_KEY 加密的：请恢复加密时的 NQPF_SECRET_KEY"
            "（TOTP secrets were encrypted under a different NQPF_SECRET_KEY）"
        )
    try:
        raw = base64.urlsafe_b64decode(payload.encode("ascii"))
        header = f"{version}:{stored_id}".encode("ascii")
        plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], header)
    except (InvalidTag, ValueError, binascii.Error):
        raise SecretKeyMismatch(
            "两步验证密钥无法解密（数据被改动或 NQPF_SECRET_KEY 不符）"
            "（TOTP secret failed authentication under NQPF_SECRET_KEY）"
        ) from None
    return plain.decode("ascii")


def new_secret() -> str:
    """A new random base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` URI drawn here (no external service;
    an ``<img>`` shows it under the app's CSP without inline markup)."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def current_step(now: float | None = None) -> int:
    """The 30-second step of ``now`` (Unix seconds; default the clock)."""
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_for_step(secret: str, step: int) -> str:
    """The code of ``step`` (what an authenticator app shows during that step)."""
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


def accepted_step(
    secret: str,
    code: str,
    *,
    last_step: int | None,
    drift: int = 1,
    now: float | None = None,
) -> int | None:
    """The step ``code`` belongs to if it is valid and later than ``last_step``, else None."""
    code = "".join((code or "").split())
    if len(code) != _CODE_DIGITS or not code.isdigit():
        return None
    here = current_step(now)
    for step in range(here - drift, here + drift + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(code_for_step(secret, step), code):
            return step
    return None


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    """``n`` new recovery codes, written ``xxxxxx-xxxxxx-xxxxxx-xxxxxx`` (base32, 120 bits)."""
    codes = []
    for _ in range(n):
        raw = base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()
        codes.append("-".join(raw[i : i + 6] for i in range(0, 24, 6)))
    return codes


def hash_recovery_code(code: str) -> str:
    """SHA-256 of a recovery code as typed (spaces, dashes and case ignored)."""
    canonical = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(canonical.encode("ascii", "ignore")).hexdigest()
