"""TOTP two-factor codes (RFC 6238 through pyotp), their QR code and recovery codes.

A code is accepted for the current 30-second step and ``drift`` steps either side, and
only for a step later than the last one the user signed in with, so an intercepted code
cannot be replayed (ASVS 2.8.4).  Recovery codes carry 120 random bits each (ASVS 2.6.2
asks for 112 unless salted), so a SHA-256 digest is enough to store them.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

import pyotp
import segno

__all__ = [
    "RECOVERY_CODES",
    "STEP_SECONDS",
    "accepted_step",
    "code_for_step",
    "current_step",
    "hash_recovery_code",
    "new_recovery_codes",
    "new_secret",
    "provisioning_uri",
    "qr_data_uri",
]

STEP_SECONDS = 30
RECOVERY_CODES = 10
_CODE_DIGITS = 6


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
