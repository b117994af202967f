"""Signing in and out: lockout, browser sessions and their steps, two-factor codes, API
tokens, password-reset links.

Lockout (ASVS 2.2.1)
    Failures are counted per account from one client address and per account from any
    address (``NQPF_LOGIN_MAX_FAILURES`` / ``NQPF_LOGIN_ACCOUNT_MAX_FAILURES``), within the
    window and since the account's last success.  From the threshold on, the next attempt
    waits ``NQPF_LOGIN_DELAY_SECONDS`` after the last failure, doubled for each further
    failure and capped at the window.  A client address alone never locks anyone out, so
    a government office behind one NAT address keeps signing in while one account is
    attacked.  Failed passwords and codes, and every lockout, leave an audit event.
Steps of a sign-in
    A correct password opens a session in a *stage* that grants nothing else until done:
    ``totp`` (the user has two-factor sign-in: a code or a recovery code), ``password``
    (a temporary password from an admin reset must be replaced), ``enrol`` (two-factor
    sign-in is required for the user's role and not yet set up), then ``full``.
API tokens
    Short-lived by default (``NQPF_API_TOKEN_HOURS``), at most ``NQPF_API_TOKEN_MAX_DAYS``,
    with scopes (``read``, ``write``, ``admin``) checked on every API request; a user with
    two-factor sign-in must send a current code to get one.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from nqpf.web import passwords, totp
from nqpf.web.authz import Actor, load_actor
from nqpf.web.config import Settings
from nqpf.web.errors import FieldError, Forbidden, RateLimited, Unauthorized
from nqpf.web.models import (
    ApiToken,
    LoginAttempt,
    Membership,
    Organization,
    PasswordReset,
    RecoveryCode,
    User,
    WebSession,
)
from nqpf.web.security import (
    TOKEN_SCOPES,
    generate_token,
    hash_password,
    hash_token,
    verify_password,
)
from nqpf.web.services import audit
from nqpf.web.services.accounts import normalize_email

__all__ = [
    "ACTION_LABELS",
    "PENDING_MINUTES",
    "TokenAccess",
    "actor_for_session_token",
    "authenticate",
    "begin_enrolment",
    "check_new_password",
    "complete_password_change",
    "confirm_enrolment",
    "disable_totp",
    "end_web_session",
    "exchange_for_token",
    "issue_api_token",
    "issue_reset_link",
    "lockout_delay",
    "pending_session",
    "recovery_codes_left",
    "renew_recovery_codes",
    "reset_link_user",
    "reset_with_link",
    "revoke_api_token",
    "start_web_session",
    "token_access",
    "totp_required",
    "user_for_reset_request",
    "verify_second_factor",
]

# Chinese labels of the audit actions written here (the audit page shows them)
ACTION_LABELS = {
    "sign_in": "登录",
    "sign_out": "退出登录",
    "sign_in_failed": "登录失败",
    "second_factor_failed": "两步验证失败",
    "lockout": "账户暂时锁定",
    "enable_totp": "启用两步验证",
    "disable_totp": "停用两步验证",
    "use_recovery_code": "使用恢复码",
    "renew_recovery_codes": "重新生成恢复码",
    "change_temporary_password": "更换临时密码",
    "issue_reset_link": "签发密码重置链接",
    "reset_password_by_link": "通过链接重置密码",
}

PENDING_MINUTES = 10  # a sign-in owing a step must finish it within this time
TOTP_DRIFT_STEPS = 1  # RFC 6238 §6: accept one step of clock drift either side

# Verified against when the e-mail is unknown, so both cases cost one argon2 check.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


# -- lockout -------------------------------------------------------------------------------
def lockout_delay(failures: int, threshold: int, base_seconds: float, cap_seconds: float) -> float:
    """Seconds to wait after the last failure: 0 below ``threshold``, then ``base_seconds``
    doubled for each failure beyond it, at most ``cap_seconds``."""
    if failures < threshold:
        return 0.0
    return min(base_seconds * 2.0 ** min(failures - threshold, 60), cap_seconds)


def _failures(
    session: Session, settings: Settings, email: str, client: str | None
) -> tuple[int, datetime | None]:
    """(failures, last failure) of ``email`` (from ``client``, or from anywhere when None)
    within the window and since the last success under the same key."""
    key = [LoginAttempt.email == email]
    if client is not None:
        key.append(LoginAttempt.client == client)
    since = _now() - timedelta(minutes=settings.login_window_minutes)
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(*key, LoginAttempt.succeeded.is_(True))
    )
    if last_ok is not None and _aware(last_ok) > since:
        since = _aware(last_ok)
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            *key, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
        )
    ).one()
    return int(count), (_aware(last) if last is not None else None)


def _locks(session: Session, settings: Settings, email: str, client: str) -> list[tuple]:
    """(scope, failures, seconds left) of every lock on ``email`` now in force."""
    cap = settings.login_window_minutes * 60
    out = []
    for scope, key_client, threshold in (
        ("account_ip", client, settings.login_max_failures),
        ("account", None, settings.login_account_max_failures),
    ):
        count, last = _failures(session, settings, email, key_client)
        wait = lockout_delay(count, threshold, settings.login_delay_seconds, cap)
        if last is not None and wait > 0:
            left = (last + timedelta(seconds=wait) - _now()).total_seconds()
            out.append((scope, count, left))
    return out


def _check_lockout(session: Session, settings: Settings, email: str, client: str) -> None:
    left = max((lock[2] for lock in _locks(session, settings, email, client)), default=0.0)
    if left > 0:
        retry = max(1, math.ceil(left))
        raise RateLimited(f"该账户登录失败次数过多，请 {retry} 秒后再试", retry_after=retry)


def _first_org(session: Session, user: User | None) -> int | None:
    if user is None:
        return None
    return session.scalar(
        select(Membership.organization_id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.organization_id)
        .limit(1)
    )


def _record_failure(
    session: Session, settings: Settings, user: User | None, email: str, client: str, action: str
) -> None:
    """Store the failed attempt, audit it, and audit the lockout it starts (if any)."""
    session.add(LoginAttempt(email=email[:254], client=client, succeeded=False))
    session.flush()
    org = _first_org(session, user)
    detail = {"email": email[:254], "client": client}
    audit.record(
        session, None, action, "user", user.id if user else None, organization_id=org, after=detail
    )
    for scope, count, left in _locks(session, settings, email, client):
        threshold = (
            settings.login_max_failures
            if scope == "account_ip"
            else settings.login_account_max_failures
        )
        if count == threshold:  # the failure that starts this lock
            audit.record(
                session,
                None,
                "lockout",
                "user",
                user.id if user else None,
                organization_id=org,
                after={**detail, "scope": scope, "failures": count, "seconds": round(left)},
            )
    session.commit()


def _clean_email(email: str) -> str:
    email = normalize_email(email)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in email):  # PostgreSQL refuses NUL
        raise FieldError("邮箱格式不正确（含控制字符）", field="email")
    return email


def authenticate(
    session: Session, settings: Settings, email: str, password: str, client: str
) -> User:
    """The active user with ``email`` and ``password``; every attempt is recorded.

    Raises
    ------
    RateLimited
        The account is locked (from this client address, or from everywhere).
    Unauthorized
        Wrong e-mail or password, or a deactivated account (one message for all, so the
        answer does not tell which accounts exist).
    FieldError
        An e-mail address with control characters.
    """
    email = _clean_email(email)
    client = (client or "unknown")[:64]
    _check_lockout(session, settings, email, client)
    user = session.scalars(select(User).where(User.email == email)).first()
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    ok = ok and user is not None and user.is_active
    if not ok:
        _record_failure(session, settings, user, email, client, "sign_in_failed")
        raise Unauthorized("邮箱或密码错误", field="password")
    assert user is not None
    if user.totp_enabled_at is None:
        # with two-factor sign-in the code is the last factor: only it resets the count,
        # or a stolen password would buy unlimited guesses at the code
        session.add(LoginAttempt(email=email[:254], client=client, succeeded=True))
        session.commit()
    return user


# -- two-factor and the steps of a sign-in -------------------------------------------------
def totp_required(session: Session, settings: Settings, user: User) -> bool:
    """Whether ``user``'s roles oblige two-factor sign-in (``NQPF_TOTP_REQUIRED_ROLES``)."""
    roles = set(settings.totp_required_roles)
    if "all" in roles or (user.is_platform_admin and "platform_admin" in roles):
        return True
    rows = session.execute(
        select(Organization.kind, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id)
    ).all()
    return any(
        ("officer" in roles and kind == "authority") or ("org_admin" in roles and role == "admin")
        for kind, role in rows
    )


def _stage_after_password(session: Session, settings: Settings, user: User) -> str:
    return (
        "totp" if user.totp_enabled_at is not None else _stage_after_totp(session, settings, user)
    )


def _stage_after_totp(session: Session, settings: Settings, user: User) -> str:
    if user.must_change_password:
        return "password"
    if user.totp_enabled_at is None and totp_required(session, settings, user):
        return "enrol"
    return "full"


def start_web_session(session: Session, settings: Settings, user: User) -> tuple[str, WebSession]:
    """A new browser session of ``user`` after a correct password: (cookie token, row).

    The row's ``stage`` says which step the sign-in still owes (``full`` when none).
    """
    token = generate_token()
    row = WebSession(
        token_hash=hash_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=_now() + timedelta(minutes=PENDING_MINUTES),
        stage=_stage_after_password(session, settings, user),
    )
    session.add(row)
    # expired sessions of this user are cleared on each sign-in
    session.execute(
        delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at < _now())
    )
    session.flush()
    _advance(session, settings, row, user, row.stage)
    session.commit()
    return token, row


def _advance(session: Session, settings: Settings, row: WebSession, user: User, stage: str) -> None:
    """Put the session in ``stage``; a finished sign-in gets its full lifetime."""
    row.stage = stage
    if stage == "full":
        row.expires_at = _now() + timedelta(hours=settings.session_hours)
        audit.record(session, Actor(user=user), "sign_in", "user", user.id)


def pending_session(session: Session, token: str) -> tuple[WebSession, User] | None:
    """The unexpired session of ``token`` still owing a step, with its user, else None."""
    row = session.scalars(
        select(WebSession).where(WebSession.token_hash == hash_token(token))
    ).first()
    if row is None or row.stage == "full" or _aware(row.expires_at) <= _now():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def _use_totp_code(settings: Settings, user: User, code: str) -> bool:
    if not user.totp_secret:
        return False
    secret = totp.open_secret(user.totp_secret, settings.secret_key)
    step = totp.accepted_step(secret, code, last_step=user.totp_last_step, drift=TOTP_DRIFT_STEPS)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def _use_recovery_code(session: Session, user: User, code: str) -> bool:
    row = session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == totp.hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
    ).first()
    if row is None:
        return False
    row.used_at = _now()
    left = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.used_at.is_(None),
            RecoveryCode.id != row.id,
        )
    )
    audit.record(
        session, Actor(user=user), "use_recovery_code", "user", user.id, after={"left": left}
    )
    return True


def verify_second_factor(
    session: Session, settings: Settings, row: WebSession, user: User, code: str, client: str
) -> None:
    """Finish the ``totp`` step with a current code or an unused recovery code.

    Failures count towards the account's lockout like wrong passwords (a six-digit code
    must not be guessable by trying them all).
    """
    if row.stage != "totp":
        raise Forbidden("当前登录步骤不需要验证码")
    client = (client or "unknown")[:64]
    _check_lockout(session, settings, user.email, client)
    code = (code or "").strip()
    if not (_use_totp_code(settings, user, code) or _use_recovery_code(session, user, code)):
        _record_failure(session, settings, user, user.email, client, "second_factor_failed")
        raise Unauthorized(
            "验证码或恢复码不正确（验证码每 30 秒更新，且只能使用一次）", field="code"
        )
    session.add(LoginAttempt(email=user.email[:254], client=client, succeeded=True))
    _advance(session, settings, row, user, _stage_after_totp(session, settings, user))
    session.commit()


def begin_enrolment(session: Session, settings: Settings, user: User) -> str:
    """The secret being enrolled for ``user`` (a new one unless enrolment is under way);
    stored sealed under ``NQPF_SECRET_KEY``."""
    if user.totp_enabled_at is not None:
        raise Forbidden("已启用两步验证")
    if not user.totp_secret:
        secret = totp.new_secret()
        user.totp_secret = totp.seal_secret(secret, settings.secret_key)
        session.commit()
        return secret
    return totp.open_secret(user.totp_secret, settings.secret_key)


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(c)) for c in codes
    )
    return codes


def confirm_enrolment(
    session: Session, settings: Settings, user: User, code: str, row: WebSession | None = None
) -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; the recovery codes
    (returned, shown once) replace any earlier ones.  With a pending sign-in ``row`` in
    the ``enrol`` step, that sign-in is finished too."""
    if user.totp_enabled_at is not None or not user.totp_secret:
        raise Forbidden("请先开始设置两步验证")
    if not _use_totp_code(settings, user, code):
        raise FieldError("验证码不正确：请输入身份验证器当前显示的 6 位数字", field="code")
    user.totp_enabled_at = _now()
    codes = _new_recovery_codes(session, user)
    audit.record(session, Actor(user=user), "enable_totp", "user", user.id)
    if row is not None and row.stage == "enrol":
        _advance(session, settings, row, user, _stage_after_totp(session, settings, user))
    session.commit()
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    """How many of ``user``'s recovery codes are still unused."""
    return session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def renew_recovery_codes(
    session: Session, settings: Settings, actor: Actor, code: str
) -> list[str]:
    """New recovery codes for the caller (a current code proves the device is at hand)."""
    user = session.get(User, actor.user.id)
    assert user is not None
    if user.totp_enabled_at is None:
        raise Forbidden("尚未启用两步验证")
    if not _use_totp_code(settings, user, code):
        raise FieldError("验证码不正确：请输入身份验证器当前显示的 6 位数字", field="code")
    codes = _new_recovery_codes(session, user)
    audit.record(session, actor, "renew_recovery_codes", "user", user.id)
    session.commit()
    return codes


def disable_totp(session: Session, settings: Settings, actor: Actor, password: str) -> None:
    """Turn the caller's two-factor sign-in off (not where the role requires it)."""
    user = session.get(User, actor.user.id)
    assert user is not None
    if totp_required(session, settings, user):
        raise Forbidden("您的角色必须使用两步验证，不能停用")
    if not verify_password(user.password_hash, password or ""):
        raise FieldError("密码不正确", field="password")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(session, actor, "disable_totp", "user", user.id)
    session.commit()


def check_new_password(settings: Settings, user: User, password: str, field: str) -> None:
    """The password policy (:mod:`nqpf.web.passwords`) as a FieldError on ``field``."""
    verdict = passwords.check(
        password or "",
        personal=(user.email, user.display_name),
        min_score=settings.password_min_score,
    )
    if not verdict.ok:
        raise FieldError(verdict.message, field=field)


def complete_password_change(
    session: Session, settings: Settings, row: WebSession, user: User, new_password: str
) -> None:
    """Finish the ``password`` step: the temporary password is replaced."""
    if row.stage != "password":
        raise Forbidden("当前登录步骤不需要更换密码")
    check_new_password(settings, user, new_password, "new_password")
    if verify_password(user.password_hash, new_password):
        raise FieldError("新密码不能与临时密码相同", field="new_password")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    audit.record(session, Actor(user=user), "change_temporary_password", "user", user.id)
    _advance(session, settings, row, user, _stage_after_totp(session, settings, user))
    session.commit()


# -- browser sessions ----------------------------------------------------------------------
def actor_for_session_token(session: Session, token: str) -> Actor | None:
    """The actor of an unexpired, finished browser sign-in, else None.

    One query (session ⋈ user ⟕ memberships ⟕ organizations): it runs on every request.
    """
    rows = session.execute(
        select(
            User,
            WebSession.csrf_token,
            WebSession.expires_at,
            WebSession.stage,
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
    user, csrf_token, expires_at, stage = rows[0][0], rows[0][1], rows[0][2], rows[0][3]
    if stage != "full" or _aware(expires_at) <= _now() or not user.is_active:
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


# -- API tokens ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TokenAccess:
    """A valid bearer token's user and scopes."""

    user: User
    scopes: frozenset[str]


def token_access(session: Session, token: str) -> TokenAccess | None:
    """The active user and scopes of an unrevoked, unexpired bearer ``token``, else None."""
    row = session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)
        )
    ).first()
    if row is None or (row.expires_at is not None and _aware(row.expires_at) <= _now()):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return TokenAccess(user, frozenset(row.scopes or ()))


def issue_api_token(
    session: Session,
    actor: Actor,
    name: str = "",
    days: float = 1 / 3,
    *,
    scopes: tuple[str, ...] | list[str] = TOKEN_SCOPES,
) -> tuple[str, ApiToken]:
    """Mint a bearer token of ``actor``'s user valid ``days`` with ``scopes``: (token shown
    once, row).  No credential check: :func:`exchange_for_token` does those."""
    token = generate_token()
    row = ApiToken(
        user_id=actor.user.id,
        token_hash=hash_token(token),
        name=name[:100],
        expires_at=_now() + timedelta(days=days),
        scopes=list(scopes),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "api_token",
        row.id,
        after={"name": row.name, "scopes": list(scopes), "days": round(days, 4)},
    )
    session.commit()
    return token, row


def exchange_for_token(
    session: Session,
    settings: Settings,
    user: User,
    *,
    name: str = "",
    hours: float | None = None,
    scopes: list[str] | None = None,
    totp_code: str | None = None,
    client: str = "unknown",
) -> tuple[str, ApiToken]:
    """A bearer token for ``user`` after a correct password (:func:`authenticate`).

    ``hours`` defaults to ``NQPF_API_TOKEN_HOURS`` and may not exceed
    ``NQPF_API_TOKEN_MAX_DAYS``; ``scopes`` default to ``read``.  A user with two-factor
    sign-in sends a current code; one whose role requires it and who has not set it up,
    or who still holds a temporary password, gets none.
    """
    if user.must_change_password:
        raise Forbidden("请先在浏览器中登录并更换临时密码", field="password")
    if user.totp_enabled_at is None and totp_required(session, settings, user):
        raise Forbidden("您的角色必须使用两步验证：请先在浏览器中登录并完成设置", field="totp_code")
    if user.totp_enabled_at is not None:
        _check_lockout(session, settings, user.email, client)
        if not totp_code or not _use_totp_code(settings, user, totp_code):
            _record_failure(session, settings, user, user.email, client, "second_factor_failed")
            raise Unauthorized("需要有效的两步验证码", field="totp_code")
        session.add(LoginAttempt(email=user.email[:254], client=client, succeeded=True))
    lifetime = hours if hours is not None else settings.api_token_hours
    if lifetime > settings.api_token_max_days * 24:
        raise FieldError(f"令牌有效期不能超过 {settings.api_token_max_days:g} 天", field="hours")
    chosen = sorted(set(scopes or ["read"]))
    unknown = [s for s in chosen if s not in TOKEN_SCOPES]
    if unknown:
        raise FieldError(
            f"未知的权限范围：{', '.join(unknown)}（可选 read、write、admin）", field="scopes"
        )
    actor = load_actor(session, user, via="token")
    return issue_api_token(session, actor, name, lifetime / 24, scopes=chosen)


def revoke_api_token(session: Session, actor: Actor, token: str) -> None:
    """Revoke ``token`` (which must belong to ``actor``'s user)."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.user_id != actor.user.id:
        raise Unauthorized("令牌无效")
    row.revoked = True
    audit.record(session, actor, "revoke", "api_token", row.id)
    session.commit()


# -- password-reset links ------------------------------------------------------------------
def issue_reset_link(
    session: Session, settings: Settings, actor: Actor | None, user: User, organization_id: Any
) -> str:
    """A one-time reset token for ``user`` (the link's last part), valid for
    ``NQPF_PASSWORD_RESET_HOURS``; earlier unused links of the user stop working."""
    token = generate_token()
    now = _now()
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    row = PasswordReset(
        user_id=user.id,
        token_hash=hash_token(token),
        created_by=actor.user.id if actor is not None else None,
        expires_at=now + timedelta(hours=settings.password_reset_hours),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "issue_reset_link",
        "user",
        user.id,
        organization_id=organization_id,
        after={"expires_at": row.expires_at, "by": "admin" if actor is not None else "email"},
    )
    session.commit()
    return token


def user_for_reset_request(session: Session, email: str) -> User | None:
    """The active user with ``email`` who may get a reset link by mail, else None."""
    address = normalize_email(email or "")
    if not address or any(ord(ch) < 32 or ord(ch) == 127 for ch in address):
        return None
    user = session.scalars(select(User).where(User.email == address)).first()
    return user if user is not None and user.is_active else None


def reset_link_user(session: Session, token: str) -> tuple[PasswordReset, User] | None:
    """The unused, unexpired reset of ``token`` and its active user, else None."""
    row = session.scalars(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(token or ""))
    ).first()
    if row is None or row.used_at is not None or _aware(row.expires_at) <= _now():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def reset_with_link(session: Session, settings: Settings, token: str, new_password: str) -> User:
    """Set a new password through a reset link (once); the user's browser sessions end
    and API tokens are revoked."""
    found = reset_link_user(session, token)
    if found is None:
        raise Forbidden("重置链接无效、已使用或已过期，请联系管理员重新签发", field="token")
    row, user = found
    check_new_password(settings, user, new_password, "new_password")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    row.used_at = _now()
    ended = session.execute(delete(WebSession).where(WebSession.user_id == user.id)).rowcount
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    ).rowcount
    audit.record(
        session,
        Actor(user=user),
        "reset_password_by_link",
        "user",
        user.id,
        organization_id=_first_org(session, user),
        after={"sessions_ended": ended or 0, "tokens_revoked": revoked or 0},
    )
    session.commit()
    return user
