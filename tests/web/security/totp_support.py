"""Two-factor codes for the tests: seeded secrets and fresh, never-replayed codes.

The world's users whose role requires two-factor sign-in (officers, the platform admin)
are enrolled with a secret derived from their e-mail (:func:`secret_for`), so a test can
compute the current code as an authenticator app would.  A code is accepted only for a
step later than the user's last one; :func:`fresh_code` takes the current step or the next
unused one after it and, when a test has used every step the clock allows, moves the
user's last step back as if half a minute had passed (test time travel, not a bypass: the
server still checks).

Secrets are stored sealed under the app's ``NQPF_SECRET_KEY``; the helpers that only get a
session factory open them with the keys the test apps are built with
(:data:`TEST_SECRET_KEYS`).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from sqlalchemy import select

from nqpf.web import totp
from nqpf.web.config import Settings
from nqpf.web.models import User
from nqpf.web.services.auth import TOTP_DRIFT_STEPS, totp_required

# the secret keys of the test apps (tests/web/conftest.py, security/helpers.py, browser_support)
TEST_SECRET_KEYS = tuple(letter * 32 for letter in "tspb")


def plain_secret(stored: str) -> str:
    """The TOTP secret ``stored`` sealed under one of :data:`TEST_SECRET_KEYS`."""
    for key in TEST_SECRET_KEYS:
        try:
            return totp.open_secret(stored, key)
        except totp.SecretKeyMismatch:
            continue
    raise AssertionError(f"{stored[:12]}… is not sealed under a test app's key")


def secret_for(email: str) -> str:
    """The test secret of ``email`` (base32, 160 bits)."""
    digest = hashlib.sha256(f"nqpf-test-totp:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def enrol(session, user: User, secret_key: str = "b" * 32) -> None:
    """Enrol ``user`` with :func:`secret_for` sealed under ``secret_key`` (default: the
    browser tests' app key)."""
    user.totp_secret = totp.seal_secret(secret_for(user.email), secret_key)
    user.totp_enabled_at = datetime.now(UTC)
    user.totp_last_step = None


def enrol_required(session, settings: Settings) -> list[str]:
    """Enrol every user whose role requires two-factor sign-in; their e-mails."""
    done = []
    for user in session.scalars(select(User).order_by(User.id)):
        if totp_required(session, settings, user):
            enrol(session, user, settings.secret_key)
            done.append(user.email)
    session.commit()
    return done


def fresh_code(session_factory, email: str) -> str:
    """A valid code of ``email`` the server has not seen yet."""
    with session_factory() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        now = totp.current_step()
        last = user.totp_last_step
        # The current step or a later one: a code of an earlier step could fall out of the
        # window if the 30-second boundary passes before the server checks it.
        step = now if last is None else max(now, last + 1)
        if step > now + TOTP_DRIFT_STEPS:  # every step the clock allows is spent
            user.totp_last_step = now - 1
            session.commit()
            step = now
        return totp.code_for_step(plain_secret(user.totp_secret), step)


def needs_code(session_factory, email: str) -> bool:
    with session_factory() as session:
        user = session.scalars(select(User).where(User.email == email)).first()
        return user is not None and user.totp_enabled_at is not None
