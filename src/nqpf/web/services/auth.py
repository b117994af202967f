"""Signing in and out: rate-limited password checks, browser sessions, API tokens."""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from nqpf.web.authz import Actor
from nqpf.web.config import Settings
from nqpf.web.errors import FieldError, RateLimited, Unauthorized
from nqpf.web.models import ApiToken, LoginAttempt, Membership, Organization, User, WebSession
from nqpf.web.security import generate_token, hash_password, hash_token, verify_password
from nqpf.web.services import audit
from nqpf.web.services.accounts import normalize_email

__all__ = [
    "actor_for_session_token",
    "authenticate",
    "end_web_session",
    "issue_api_token",
    "revoke_api_token",
    "start_web_session",
]

# Verified against when the e-mail is unknown, so both cases cost one argon2 check.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _check_rate(session: Session, settings: Settings, email: str, client: str) -> None:
    since = datetime.now(UTC) - timedelta(minutes=settings.login_window_minutes)
    rows = session.execute(
        select(LoginAttempt.email, LoginAttempt.client, func.min(LoginAttempt.at), func.count())
        .where(
            LoginAttempt.at >= since,
            LoginAttempt.succeeded.is_(False),
            or_(LoginAttempt.email == email, LoginAttempt.client == client),
        )
        .group_by(LoginAttempt.email, LoginAttempt.client)
    ).all()
    by_email = sum(r[3] for r in rows if r[0] == email)
    by_client = sum(r[3] for r in rows if r[1] == client)
    if max(by_email, by_client) >= settings.login_max_failures:
        oldest = min(_aware(r[2]) for r in rows)
        wait = oldest + timedelta(minutes=settings.login_window_minutes) - datetime.now(UTC)
        retry = max(1, math.ceil(wait.total_seconds()))
        raise RateLimited(f"登录失败次数过多，请 {retry} 秒后再试", retry_after=retry)


def authenticate(
    session: Session, settings: Settings, email: str, password: str, client: str
) -> User:
    """The active user with ``email`` and ``password``; every attempt is recorded.

    Raises
    ------
    RateLimited
        Too many recent failures for this e-mail address or this client address.
    Unauthorized
        Wrong e-mail or password, or a deactivated account (one message for all, so the
        answer does not tell which accounts exist).
    FieldError
        An e-mail address with control characters.
    """
    email = normalize_email(email)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in email):  # PostgreSQL refuses NUL
        raise FieldError("邮箱格式不正确（含控制字符）", field="email")
    client = (client or "unknown")[:64]
    _check_rate(session, settings, email, client)
    user = session.scalars(select(User).where(User.email == email)).first()
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(email=email[:254], client=client, succeeded=ok))
    session.commit()
    if not ok:
        raise Unauthorized("邮箱或密码错误", field="password")
    assert user is not None
    return user


def start_web_session(session: Session, settings: Settings, user: User) -> tuple[str, WebSession]:
    """A new browser session of ``user``: (cookie token, row)."""
    token = generate_token()
    row = WebSession(
        token_hash=hash_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=datetime.now(UTC) + timedelta(hours=settings.session_hours),
    )
    session.add(row)
    # expired sessions of this user are cleared on each sign-in
    session.execute(
        delete(WebSession).where(
            WebSession.user_id == user.id, WebSession.expires_at < datetime.now(UTC)
        )
    )
    audit.record(session, Actor(user=user), "sign_in", "user", user.id)
    session.commit()
    return token, row


def actor_for_session_token(session: Session, token: str) -> Actor | None:
    """The actor of an unexpired browser session, else None.

    One query (session ⋈ user ⟕ memberships ⟕ organizations): it runs on every request.
    """
    rows = session.execute(
        select(
            User,
            WebSession.csrf_token,
            WebSession.expires_at,
            Membership.organization_id,
            Membership.role,
            Organization.kind,
            Organization.region_scope,
        )
        .join(User, User.id == WebSession.user_id)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(Organization, Organization.id == Membership.organization_id)
        .where(WebSession.token_hash == hash_token(token))
    ).all()
    if not rows:
        return None
    user, csrf_token, expires_at = rows[0][0], rows[0][1], rows[0][2]
    if _aware(expires_at) <= datetime.now(UTC) or not user.is_active:
        return None
    members = [r for r in rows if r.organization_id is not None]
    return Actor(
        user=user,
        roles={r.organization_id: r.role for r in members},
        kinds={r.organization_id: r.kind for r in members},
        scopes={r.organization_id: r.region_scope or "" for r in members if r.kind == "authority"},
        via="session",
        csrf_token=csrf_token,
    )


def end_web_session(session: Session, token: str) -> None:
    """Sign out: delete the session row (the cookie is worthless afterwards)."""
    row = session.scalars(
        select(WebSession).where(WebSession.token_hash == hash_token(token))
    ).first()
    if row is not None:
        user = session.get(User, row.user_id)
        session.delete(row)
        if user is not None:
            audit.record(session, Actor(user=user), "sign_out", "user", user.id)
        session.commit()


def issue_api_token(
    session: Session, actor: Actor, name: str = "", days: float | None = 30
) -> tuple[str, ApiToken]:
    """A new bearer token of ``actor``'s user: (token shown once, row)."""
    token = generate_token()
    row = ApiToken(
        user_id=actor.user.id,
        token_hash=hash_token(token),
        name=name[:100],
        expires_at=None if days is None else datetime.now(UTC) + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "api_token", row.id, after={"name": row.name})
    session.commit()
    return token, row


def revoke_api_token(session: Session, actor: Actor, token: str) -> None:
    """Revoke ``token`` (which must belong to ``actor``'s user)."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.user_id != actor.user.id:
        raise Unauthorized("令牌无效")
    row.revoked = True
    audit.record(session, actor, "revoke", "api_token", row.id)
    session.commit()
