"""A small seeded world for the platform tests: two regions, their enterprises, a provider.

Every account's password is :data:`PASSWORD`.  The argon2 hash is computed once per
process (hashing per test would dominate the suite's time).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from nqpf.codes import credit_code_check_char
from nqpf.web.models import EnterpriseProfile, Membership, Organization, Share, User

PASSWORD = "nqpf-test-pass-1"


@functools.cache
def password_hash() -> str:
    # cheap argon2id parameters: verifying reads them from the hash, so every sign-in in
    # the tests costs ~1 ms instead of ~50 ms; the production parameters are tested in
    # test_web_security.py
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def credit_code(body17: str) -> str:
    """A valid 统一社会信用代码 from its first 17 characters."""
    return body17 + credit_code_check_char(body17)


@dataclass
class World:
    """Ids of the seeded organizations and the e-mail of each account by short name."""

    orgs: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    credit_codes: dict[str, str] = field(default_factory=dict)


# name: (kind, region scope or enterprise region code, display name)
ORGS = {
    "auth_sz": ("authority", "4403", "深圳示范园区管委会"),
    "auth_su": ("authority", "3205", "苏州工业园区管委会"),
    "ent_sz": ("enterprise", "440305", "南山精密制造有限公司"),
    "ent_sz2": ("enterprise", "440306", "宝安电子科技有限公司"),
    "ent_su": ("enterprise", "320506", "吴中装备股份有限公司"),
    "prov": ("provider", None, "智转服务商"),
    "prov2": ("provider", None, "另一家服务商"),
}
# name: (organization, role)  — "admin" is the platform admin (no membership)
USERS = {
    "sz_officer": ("auth_sz", "member"),
    "sz_admin": ("auth_sz", "admin"),
    "su_officer": ("auth_su", "member"),
    "ent_admin": ("ent_sz", "admin"),
    "ent_member": ("ent_sz", "member"),
    "ent2_admin": ("ent_sz2", "admin"),
    "su_ent_admin": ("ent_su", "admin"),
    "prov_member": ("prov", "member"),
    "prov2_member": ("prov2", "member"),
}


def seed_world(session: Session) -> World:
    world = World()
    orgs: dict[str, Organization] = {}
    for i, (name, (kind, region, title)) in enumerate(ORGS.items()):
        org = Organization(
            name=title, kind=kind, region_scope=region if kind == "authority" else None
        )
        if kind == "enterprise":
            code = credit_code(f"91{region}MA5{i:07d}"[:17])
            assert re.fullmatch(r"[0-9A-Z]{17}", code[:17])
            org.profile = EnterpriseProfile(
                credit_code=code,
                industry="C3484",
                region_code=region,
                size_class="small",
                chains=[{"chain": "高端装备", "stage": "中游"}],
            )
            world.credit_codes[name] = code
        session.add(org)
        orgs[name] = org
    admin = User(
        email="admin@nqpf.test",
        display_name="平台管理员",
        password_hash=password_hash(),
        is_platform_admin=True,
    )
    session.add(admin)
    world.emails["admin"] = admin.email
    for name, (org_name, role) in USERS.items():
        user = User(email=f"{name}@nqpf.test", display_name=name, password_hash=password_hash())
        user.memberships.append(Membership(organization=orgs[org_name], role=role))
        session.add(user)
        world.emails[name] = user.email
    session.flush()
    session.add(Share(enterprise_id=orgs["ent_sz"].id, provider_id=orgs["prov"].id))
    session.commit()
    world.orgs = {name: org.id for name, org in orgs.items()}
    return world
