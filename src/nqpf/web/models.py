"""SQLAlchemy 2 typed models of the platform's identity, access and enterprise data.

The schema itself is owned by the Alembic migrations in :mod:`nqpf.web.alembic`; a test
checks that the migrated database and this metadata agree.  Enumerations are stored as
short strings guarded by CHECK constraints (portable between SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "ASSESSMENT_STATUSES",
    "MEMBERSHIP_ROLES",
    "NEED_STATUSES",
    "ORGANIZATION_KINDS",
    "PROJECT_STATUSES",
    "PROPOSAL_STATUSES",
    "REGISTRATION_STATUSES",
    "SIZE_CLASSES",
    "SOLUTION_STATUSES",
    "ApiToken",
    "Assessment",
    "AssessmentLatest",
    "AuditEvent",
    "Base",
    "CarbonInventory",
    "CarbonSummary",
    "EnterpriseProfile",
    "LoginAttempt",
    "LoopCounter",
    "Membership",
    "Need",
    "NeedShare",
    "Organization",
    "PasswordReset",
    "Project",
    "ProjectDocument",
    "Proposal",
    "ProviderRegistration",
    "RecoveryCode",
    "RegisterEvent",
    "Share",
    "Solution",
    "User",
    "WebSession",
]

ORGANIZATION_KINDS = ("enterprise", "provider", "authority")
MEMBERSHIP_ROLES = ("member", "admin")
SIZE_CLASSES = ("large", "medium", "small", "micro")  # 大型 中型 小型 微型
ASSESSMENT_STATUSES = ("draft", "submitted")
# the loop (issue 11): 草稿 发布 已对接 已立项 关闭
NEED_STATUSES = ("draft", "published", "matched", "in_project", "closed")
SOLUTION_STATUSES = ("published", "withdrawn")
# the provider register's states (nqpf.services.register holds the transitions)
REGISTRATION_STATUSES = (
    "applied", "notice", "admitted", "rejected", "warning", "suspended", "removed"
)  # fmt: skip
PROPOSAL_STATUSES = ("submitted", "accepted", "declined", "withdrawn")
PROJECT_STATUSES = ("active", "paused", "closed")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organization(Base):
    """An enterprise, a service provider or an authority (a park or a region).

    ``region_scope`` is the NBS region code an authority oversees (e.g. ``44`` for 广东,
    ``440300`` for 深圳市); empty for enterprises and providers.
    """

    __tablename__ = "organization"
    __table_args__ = (CheckConstraint(_in("kind", ORGANIZATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    region_scope: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )
    profile: Mapped[EnterpriseProfile | None] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )


class User(Base):
    """A person who logs in; ``is_platform_admin`` grants platform-wide administration."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # issue 17: a temporary password must be changed at the next sign-in; TOTP two-factor
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(128))  # sealed (rev 0010)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # no code is used twice

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's role (``member`` or ``admin``) in one organization."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "organization_id"),
        CheckConstraint(_in("role", MEMBERSHIP_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="member")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")


class EnterpriseProfile(Base):
    """Master data of an enterprise organization.

    ``credit_code`` is the 统一社会信用代码 (validated by :mod:`nqpf.web.credit_code`
    before it is stored), ``industry`` a GB/T 4754 code (e.g. ``C3911``), ``region_code``
    an NBS region code and ``size_class`` one of large / medium / small / micro.
    """

    __tablename__ = "enterprise_profile"
    __table_args__ = (CheckConstraint(_in("size_class", SIZE_CLASSES), name="size_class"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), unique=True
    )
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    industry: Mapped[str] = mapped_column(String(5))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    size_class: Mapped[str] = mapped_column(String(8))
    # [{"chain": "新能源汽车", "stage": "中游"}, …]: the industry chains the enterprise is in
    chains: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    organization: Mapped[Organization] = relationship(back_populates="profile")


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 digest is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # issue 17: read / write / admin (nqpf.web.security.required_scopes)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["read"])

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """One write: who (``actor_id``, null for the system) did what to which object.

    ``before`` and ``after`` are JSON snapshots of the changed fields.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # the organization the object belongs to: its admins may browse the event
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class WebSession(Base):
    """A browser sign-in: the cookie carries a random token, the row its SHA-256 digest.

    ``csrf_token`` is the synchronizer token every unsafe request of this session must
    echo (form field ``csrf_token`` or header ``X-CSRF-Token``).
    """

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # issue 17: a sign-in still owing a step (totp, enrol, password) grants nothing else
    stage: Mapped[str] = mapped_column(String(16), default="full")

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """One sign-in attempt (browser or token), kept for rate limiting and review."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Share(Base):
    """An enterprise lets a service provider see its profile and assessment results."""

    __tablename__ = "share"
    __table_args__ = (UniqueConstraint("enterprise_id", "provider_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # issue 17: the data categories shared (nqpf.web.services.shares.SHARE_CATEGORIES);
    # ``narrowed`` marks a share the migration cut to the narrowest ones (a notice)
    categories: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["profile", "results"])
    narrowed: Mapped[bool] = mapped_column(Boolean, default=False)


class Assessment(Base):
    """One assessment of an enterprise against one framework version: T0, T1, …

    ``seq`` numbers an enterprise's assessments per framework id (0 → T0).  A draft
    holds the answers given so far; submitting scores them and stores ``result`` in the
    same transaction, so a CHECK constraint can require that a submitted assessment has a
    result and a draft has none.  ``revision`` increases with every save (autosave
    conflict detection).
    """

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "framework_id", "seq"),
        CheckConstraint(_in("status", ASSESSMENT_STATUSES), name="status"),
        CheckConstraint(
            "(status = 'submitted' AND result IS NOT NULL AND submitted_at IS NOT NULL)"
            " OR (status = 'draft' AND result IS NULL AND submitted_at IS NULL)",
            name="result_iff_submitted",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    framework_id: Mapped[str] = mapped_column(String(64))
    framework_version: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    responses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    submitted_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def label(self) -> str:
        """``T0``, ``T1``, …"""
        return f"T{self.seq}"


class CarbonInventory(Base):
    """An enterprise's annual energy and carbon inventory (能源与碳排放盘查), one per year.

    ``inputs`` holds what the enterprise entered (energy records, province, grid-factor
    choice, denominators); ``result`` the totals the carbon engine computed from them in
    the same transaction (recomputed on every save); ``revision`` increases with each save.
    """

    __tablename__ = "carbon_inventory"
    __table_args__ = (UniqueConstraint("enterprise_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


# ---------------------------------------------------------------------------------- the loop
# need → match → project (issue 11).  The rules live in nqpf.matching and
# nqpf.services.{needs,register,projects}; these tables store what the web adds.


class Need(Base):
    """An enterprise's need (需求): a scene to lift from one level to another.

    Made by hand or from the roadmap of an assessment (``assessment_id`` and the roadmap
    ``steps`` it came from).  ``addresses`` holds the unmet conditions (fact ids) it
    addresses; amounts are in 万元.  Status: ``draft`` 草稿 → ``published`` 发布 →
    ``matched`` 已对接 (shared with a provider) → ``in_project`` 已立项 → ``closed`` 关闭.
    """

    __tablename__ = "need"
    __table_args__ = (
        CheckConstraint(_in("status", NEED_STATUSES), name="status"),
        CheckConstraint(
            "current_level BETWEEN 1 AND 4 AND target_level BETWEEN current_level AND 4",
            name="levels",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="SET NULL")
    )
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(200))
    scene: Mapped[str] = mapped_column(String(64))
    current_level: Mapped[int] = mapped_column(Integer)
    target_level: Mapped[int] = mapped_column(Integer)
    addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    budget_min: Mapped[float | None] = mapped_column(Float)
    budget_max: Mapped[float | None] = mapped_column(Float)
    deadline: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class NeedShare(Base):
    """An enterprise lets one provider see one need (and propose): consent per need."""

    __tablename__ = "need_share"
    __table_args__ = (UniqueConstraint("need_id", "provider_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Solution(Base):
    """A provider's solution in the catalogue (方案).

    ``data`` is the engine's :class:`nqpf.matching.Solution` mapping without the provider
    fields (scenes, industries, sizes, prerequisites, deployment, prices, delivery,
    evidence, description), validated before it is stored; ``ref`` is the provider's own
    方案编号 (unique per provider).  The provider's standing and rating are not stored here:
    they come from the register and the delivery records when the catalogue is indexed.
    """

    __tablename__ = "solution"
    __table_args__ = (
        UniqueConstraint("provider_id", "ref"),
        CheckConstraint(_in("status", SOLUTION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    ref: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    scene: Mapped[str] = mapped_column(String(64), index=True)
    price_min: Mapped[float] = mapped_column(Float)
    price_max: Mapped[float] = mapped_column(Float)
    delivery_weeks: Mapped[float] = mapped_column(Float)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="published")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ProviderRegistration(Base):
    """A provider's entry in an authority's register (服务商库).

    ``status`` moves through the state machine of :mod:`nqpf.services.register`
    (application → expert review → public notice → admission; sanctions and appeals);
    ``previous_status`` is the state before the last sanction (restored when an appeal is
    upheld), ``notice_until`` the last day of the public notice, ``appeal`` ``pending``
    while an appeal awaits the authority's decision.  Every step is a
    :class:`RegisterEvent` (and an audit event).
    """

    __tablename__ = "provider_registration"
    __table_args__ = (
        UniqueConstraint("authority_id", "provider_id"),
        CheckConstraint(_in("status", REGISTRATION_STATUSES), name="status"),
        CheckConstraint(_in("appeal", ("", "pending")), name="appeal"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authority_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    previous_status: Mapped[str | None] = mapped_column(String(16))
    notice_until: Mapped[date | None] = mapped_column(Date)
    appeal: Mapped[str] = mapped_column(String(16), default="")
    statement: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class RegisterEvent(Base):
    """One step of a registration: who did what, from which state to which, and why."""

    __tablename__ = "register_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("provider_registration.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Proposal(Base):
    """A provider's proposal for a need shared with it (price in 万元, time in weeks)."""

    __tablename__ = "proposal"
    __table_args__ = (CheckConstraint(_in("status", PROPOSAL_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    solution_id: Mapped[int | None] = mapped_column(
        ForeignKey("solution.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[float | None] = mapped_column(Float)
    weeks: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Project(Base):
    """A deployment project (场景落地) made from an accepted proposal.

    ``milestones`` (title, due date, done date) and ``kpis`` (name, baseline, target,
    actual, unit) are JSON lists checked by :mod:`nqpf.services.projects`; ``next_due`` is
    the earliest due date of an open milestone (so overdue projects are one indexed query
    away).  Both sides save revisioned changes; closing records the enterprise's
    satisfaction (1–5), which feeds the provider's rating.
    """

    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint(_in("status", PROJECT_STATUSES), name="status"),
        CheckConstraint(
            "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"
        ),
        CheckConstraint(
            "(status = 'closed' AND satisfaction IS NOT NULL AND closed_at IS NOT NULL)"
            " OR (status <> 'closed' AND closed_at IS NULL)",
            name="closed_with_satisfaction",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), unique=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL")
    )
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    solution_id: Mapped[int | None] = mapped_column(
        ForeignKey("solution.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    budget: Mapped[float | None] = mapped_column(Float)
    spend: Mapped[float] = mapped_column(Float, default=0.0)
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    kpis: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    next_due: Mapped[date | None] = mapped_column(Date, index=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    satisfaction_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ProjectDocument(Base):
    """A small file attached to a project (contract, acceptance report …), with metadata."""

    __tablename__ = "project_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoopCounter(Base):
    """Named counters; ``catalogue`` increases with every change the matching index sees
    (solutions, register standings, ratings), so each process rebuilds its cached index."""

    __tablename__ = "loop_counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# -- background jobs (issue 13): nqpf.web.jobs ------------------------------------------------
JOB_STATES = ("queued", "running", "done", "failed")
JOB_FILE_ROLES = ("input", "result")


class Job(Base):
    """A background job of one organization: an analytics run, a PDF render …

    ``state`` goes queued → running → done or failed.  ``config`` and the ``input`` files
    are stored as given, so any run can be repeated and two runs compared; ``result``
    files are written in the same transaction that sets ``done`` (a failed job has none).
    ``heartbeat_at`` is renewed while the job runs: a running job whose heartbeat is older
    than the lease is failed (its worker stopped), never left running.
    """

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(_in("state", JOB_STATES), name="state"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(200), default="")
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    input_sha256: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    rerun_of: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobFile(Base):
    """A file of a job: an ``input`` (stored when the job is created) or a ``result``."""

    __tablename__ = "job_file"
    __table_args__ = (
        UniqueConstraint("job_id", "role", "name"),
        CheckConstraint(_in("role", JOB_FILE_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


# -- issue 17: sign-in security ------------------------------------------------------------
class RecoveryCode(Base):
    """A one-time recovery code of a user's two-factor sign-in; only its SHA-256 digest
    is stored (the codes carry 120 random bits)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordReset(Base):
    """A one-time password-reset link (issued by an admin, or mailed when SMTP is set);
    only the SHA-256 digest of its token is stored."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# ------------------------------------------------------------------------ effect evaluation
# an authority's programmes (issue 12): members with their start year, the outcome and
# the rules; the last evaluation is stored as the JSON document that
# nqpf.services.evaluation.programme_evaluation computes.

#: 评测总分, 评测维度得分, 项目指标, 单位产值综合能耗 (tce/万元, carbon inventories)
PROGRAMME_OUTCOMES = ("total", "dimension", "kpi", "energy_intensity")
PROGRAMME_CONTROLS = ("never", "notyet")


class Programme(Base):
    """A programme (项目/专项) of an authority, evaluated on its member enterprises.

    ``region_scope`` is the authority's scope when it was created: members come from it
    and the enterprises of the scope that are not members are the never-treated group.
    ``evaluation`` holds the last evaluation's document (None before the first);
    ``revision`` increases with every change of the definition or its members; ``job_id``
    is the background job evaluating it until its result is adopted.
    """

    __tablename__ = "programme"
    __table_args__ = (
        CheckConstraint(_in("outcome", PROGRAMME_OUTCOMES), name="outcome"),
        CheckConstraint(_in("control", PROGRAMME_CONTROLS), name="control"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authority_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    region_scope: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    outcome_key: Mapped[str] = mapped_column(String(200), default="")
    framework: Mapped[str] = mapped_column(String(64))
    acceptance_rule: Mapped[str] = mapped_column(String(64))
    subsidy_rule: Mapped[str] = mapped_column(String(64))
    control: Mapped[str] = mapped_column(String(8), default="never")
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the background job evaluating it (nqpf.web.jobs), until its result is adopted
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ProgrammeMember(Base):
    """A member enterprise of a programme and the year it joined (its DiD cohort);
    ``scale`` is 规上 / 规下 (or empty) for the acceptance rule's population."""

    __tablename__ = "programme_member"
    __table_args__ = (UniqueConstraint("programme_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    start_year: Mapped[int] = mapped_column(Integer)
    scale: Mapped[str] = mapped_column(String(8), default="")


# -- the latest result's summary (issue 13): what the officers' views aggregate in SQL ---------
class AssessmentLatest(Base):
    """The latest submitted assessment of an enterprise per framework id and version, as
    the roll-up reads it: one row, written in the submit's transaction
    (:func:`nqpf.web.services.latest_results.refresh_latest`) and back-filled by its
    migration (``latest_results``), so views and lists aggregate indexed columns instead
    of decoding result JSON.

    Columns are :func:`nqpf.services.assess_rollup.stored_summary`'s (level within 0 …
    top and total set together, ``dim_<i>`` / ``scene_<i>`` in the framework's order,
    ``gaps`` a JSON list of unmet next-level conditions) plus ``first_level`` /
    ``first_total`` of the first submitted one (two or more, T0 → latest).
    """

    __tablename__ = "assessment_latest"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "framework_id", "framework_version"),
        Index("ix_assessment_latest_fw_level", "framework_id", "framework_version", "level"),
        Index("ix_assessment_latest_fw_total", "framework_id", "framework_version", "total"),
        Index("ix_assessment_latest_fw_at", "framework_id", "framework_version", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    framework_id: Mapped[str] = mapped_column(String(64))
    framework_version: Mapped[str] = mapped_column(String(32))
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    level: Mapped[int | None] = mapped_column(Integer)
    level_name: Mapped[str | None] = mapped_column(String(32))
    total: Mapped[float | None] = mapped_column(Float)
    first_level: Mapped[float | None] = mapped_column(Float)
    first_total: Mapped[float | None] = mapped_column(Float)
    gaps: Mapped[str] = mapped_column(Text, default="[]")


for _i in range(1, 9):  # SUMMARY_DIMENSIONS of nqpf.services.assess_rollup
    setattr(AssessmentLatest, f"dim_{_i}", mapped_column(f"dim_{_i}", Float))
for _i in range(1, 33):  # SUMMARY_SCENES
    setattr(AssessmentLatest, f"scene_{_i}", mapped_column(f"scene_{_i}", Float))


# -- the carbon inventories' summary (issue 13): what the park view and map aggregate in SQL --
class CarbonSummary(Base):
    """An inventory's totals as the carbon roll-up reads them: one row per
    :class:`CarbonInventory`, written in the transaction that creates or saves it
    (:func:`nqpf.web.services.carbon_summary.refresh_carbon_summary`; deleted with it by
    the foreign key) and back-filled by its migration (``carbon_summary``), so the park
    view and the map add up columns instead of decoding result JSON.

    ``tce`` (综合能耗, ``result.energy_tce``), ``tco2`` (排放总量, ``result.e_total``) and
    ``output`` (工业总产值 万元, ``inputs.output``): the stored number, None when absent or
    not a number.
    """

    __tablename__ = "carbon_summary"
    __table_args__ = (Index("ix_carbon_summary_year_enterprise", "year", "enterprise_id"),)

    inventory_id: Mapped[int] = mapped_column(
        ForeignKey("carbon_inventory.id", ondelete="CASCADE"), primary_key=True
    )
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    tce: Mapped[float | None] = mapped_column(Float)
    tco2: Mapped[float | None] = mapped_column(Float)
    output: Mapped[float | None] = mapped_column(Float)
