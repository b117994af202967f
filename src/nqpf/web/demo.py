"""The demo park: a synthetic, reproducible data set to show the platform.

:func:`seed_demo` fills an empty, migrated database with one park authority
(示范高新区管委会, scope ``4403`` — the code is real (深圳市), the park and everything in
it is invented), the province's authority (``44``), a second authority elsewhere (苏州,
``3205``, to show isolation), three service providers, ``n_enterprises`` enterprises
(about nine in ten inside the park, the rest in 苏州) with valid credit codes, GB/T 4754
manufacturing classes, industry-chain memberships, shares with providers and submitted
``sme-digital-2024`` assessments (T0 for about 60 %, T1 for about 25 %), energy and
carbon inventories for 2022 and 2023 (about 40 % of the enterprises, always the first
sample enterprise) and a handful of accounts whose passwords are generated per run.

Every generated name carries :data:`DEMO_SUFFIX` (（示例）); the park authority is named
:data:`DEMO_MARKER`, which :func:`is_demo_database` looks for (the app shows the
示例数据 banner when it is present).  Everything but the passwords is a pure function
of ``seed``.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from nqpf.assessment import load_framework, score
from nqpf.assessment.schema import Framework
from nqpf.codes import CHARSET, credit_code_check_char
from nqpf.services.enterprises import STAGES
from nqpf.web.models import (
    Assessment,
    Base,
    CarbonInventory,
    EnterpriseProfile,
    Membership,
    Organization,
    Share,
    User,
)
from nqpf.web.security import hash_password
from nqpf.web.services import audit
from nqpf.web.services.assessments import result_summary
from nqpf.web.services.carbon import carrier_table, compute, validate_inputs

__all__ = [
    "DEMO_MARKER",
    "DEMO_SUFFIX",
    "DemoAccount",
    "DemoAccounts",
    "DemoRefused",
    "is_demo_database",
    "reset_demo",
    "seed_demo",
]

DEMO_SUFFIX = "（示例）"
DEMO_MARKER = "示范高新区管委会（示例数据）"
DEMO_DOMAIN = "demo.nqpf.example"
FRAMEWORK_KEY = "sme-digital-2024"

PARK_SCOPE = "4403"
PARK_DISTRICTS = (
    "440303",
    "440304",
    "440305",
    "440306",
    "440307",
    "440308",
    "440309",
    "440310",
    "440311",
)
OTHER_SCOPE = "3205"
OTHER_DISTRICTS = ("320505", "320506", "320507", "320508", "320509")

BRAND_SYLLABLES = tuple("华中新科瑞博恒创智达鑫源德泰宏嘉联锐星海晟辰宇睿拓驰晶融盛远")
# GB/T 4754-2017 manufacturing classes: (code, business word, chains it may belong to)
INDUSTRIES: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("C3612", "新能源汽车", ("新能源汽车",), 2),
    ("C3670", "汽车零部件", ("新能源汽车",), 10),
    ("C3841", "锂电科技", ("新能源汽车",), 6),
    ("C3824", "电力电子", ("新能源汽车", "电子信息"), 4),
    ("C3484", "精密机械", ("高端装备",), 10),
    ("C3421", "数控机床", ("高端装备",), 4),
    ("C3491", "机器人", ("高端装备",), 4),
    ("C3311", "钢结构", ("高端装备",), 3),
    ("C4011", "自动化仪表", ("高端装备", "电子信息"), 4),
    ("C3973", "集成电路", ("电子信息",), 3),
    ("C3982", "电路板", ("电子信息",), 8),
    ("C3976", "光电科技", ("电子信息",), 5),
    ("C3921", "通信设备", ("电子信息",), 4),
    ("C3971", "电子元件", ("电子信息", "新能源汽车"), 6),
    ("C2929", "塑胶制品", ("新能源汽车", "电子信息"), 6),
    ("C3130", "特种钢材", ("高端装备",), 2),
    ("C3252", "铝材", ("新能源汽车", "高端装备"), 3),
    ("C2641", "涂料", (), 2),
    ("C2710", "医药", (), 2),
    ("C1495", "食品", (), 2),
    ("C1713", "纺织", (), 2),
    ("C2231", "包装材料", (), 2),
)
SIZES = (("micro", 30), ("small", 42), ("medium", 22), ("large", 6))
FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司")
PROVIDERS = ("智造云数字化服务商", "工联软件科技服务商", "数链咨询服务商")
# (role label, e-mail local part, display name, organization key, membership role)
PEOPLE = (
    ("平台管理员", "admin", "平台管理员（示例）", None, None),
    ("园区工作人员", "park.officer", "园区工作人员（示例）", "park", "member"),
    ("园区管理员", "park.admin", "园区管理员（示例）", "park", "admin"),
    ("省级主管部门人员", "province.officer", "省厅工作人员（示例）", "province", "member"),
    ("外地主管部门人员", "other.officer", "苏州工作人员（示例）", "other", "member"),
    ("服务商成员", "provider", "服务商顾问（示例）", "provider1", "admin"),
    ("企业一管理员", "ent1.admin", "企业一管理员（示例）", "enterprise1", "admin"),
    ("企业一成员", "ent1.member", "企业一成员（示例）", "enterprise1", "member"),
    ("企业二管理员", "ent2.admin", "企业二管理员（示例）", "enterprise2", "admin"),
    ("企业二成员", "ent2.member", "企业二成员（示例）", "enterprise2", "member"),
)

# carbon inventories: the years, the share of enterprises that have them, 工业总产值 (万元)
# by size class, electricity per 万元 of output (MWh) and the energy-heavy classes
CARBON_YEARS = (2022, 2023)
CARBON_SHARE = 0.40
OUTPUT_RANGE = {
    "micro": (300.0, 2_000.0),
    "small": (2_000.0, 20_000.0),
    "medium": (20_000.0, 100_000.0),
    "large": (100_000.0, 600_000.0),
}
MWH_PER_WAN_YUAN = (0.12, 0.45)
ENERGY_HEAVY = {"C3130": 3.0, "C3252": 2.5, "C3311": 1.6, "C2641": 1.5, "C2929": 1.3}
# sizing only (the stored figures are the engine's): tce per MWh and, per fuel, (carrier,
# unit, probability an enterprise uses it, tce per unit, its tce as a share of electricity's,
# decimals kept: 1 Nm³, 10 kg)
ELECTRICITY_TCE_PER_MWH = 0.1229
FUELS = (
    ("天然气", "万Nm³", 0.55, 12.143, (0.08, 0.45), 4),
    ("柴油", "t", 0.45, 1.4571, (0.005, 0.04), 2),
)


class DemoRefused(Exception):
    """The database holds data the demo may not touch."""


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    organization: str


@dataclass
class DemoAccounts:
    """What :func:`seed_demo` created: the accounts (with passwords) and counts."""

    accounts: list[DemoAccount] = field(default_factory=list)
    organizations: dict[str, int] = field(default_factory=dict)
    n_enterprises: int = 0
    n_assessments: int = 0
    n_shares: int = 0
    n_inventories: int = 0

    def by_role(self, role: str) -> DemoAccount:
        return next(a for a in self.accounts if a.role == role)


def is_demo_database(session: Session) -> bool:
    """True when the database holds the demo park (its marker organization)."""
    return (
        session.scalar(select(Organization.id).where(Organization.name == DEMO_MARKER).limit(1))
        is not None
    )


def _has_organizations(session: Session) -> bool:
    return session.scalar(select(Organization.id).limit(1)) is not None


def reset_demo(session: Session) -> None:
    """Delete every row of a database the demo seeded (DemoRefused for any other)."""
    if not is_demo_database(session):
        raise DemoRefused("数据库中的数据不是演示园区生成的，拒绝清空")
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    session.commit()
    session.expunge_all()


# -- generators ------------------------------------------------------------------------------


def _weighted(rng: random.Random, items: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


def _credit_code(rng: random.Random, region: str, used: set[str]) -> str:
    while True:
        org_code = "".join(rng.choice(CHARSET) for _ in range(9))
        body = f"91{region}{org_code}"
        code = body + credit_code_check_char(body)
        if code not in used:
            used.add(code)
            return code


def _name(rng: random.Random, word: str, used: set[str]) -> str:
    while True:
        brand = "".join(rng.sample(BRAND_SYLLABLES, 2))
        name = f"{brand}{word}{rng.choice(FORMS)}{DEMO_SUFFIX}"
        if name not in used:
            used.add(name)
            return name


def _chains(rng: random.Random, options: tuple[str, ...]) -> list[dict[str, str]]:
    if not options or rng.random() < 0.15:
        return []
    chosen = [options[0]] if len(options) == 1 or rng.random() < 0.7 else list(options)
    return [{"chain": c, "stage": rng.choice(STAGES)} for c in chosen]


def _answers(fw: Framework, rng: random.Random, maturity: float) -> dict[str, Any]:
    """Plausible answers for an enterprise of ``maturity`` (0–1)."""

    def noisy() -> float:
        return min(1.0, max(0.0, rng.gauss(maturity, 0.18)))

    answers: dict[str, Any] = {}
    for q in fw.questions:
        if q.kind == "single":
            ranked = sorted(q.options, key=lambda o: o.points)
            answers[q.id] = ranked[round(noisy() * (len(ranked) - 1))].id
        elif q.kind == "multi":
            regular = [o.id for o in q.options if not o.exclusive]
            exclusive = [o.id for o in q.options if o.exclusive]
            picked = [o for o in regular if rng.random() < noisy()]
            answers[q.id] = picked if picked or not exclusive else exclusive[:1]
        else:
            lo, hi = float(q.min_value or 0), float(q.max_value or 100)
            answers[q.id] = round(lo + (hi - lo) * noisy(), 1)
    for s in fw.scenes:
        answers[s.id] = max(1, min(4, 1 + round(noisy() * 3)))
    return answers


def _result_json(fw: Framework, responses: dict[str, Any]) -> dict[str, Any]:
    # the assessment service's own serialisation, so the pages read it the same way
    return result_summary(fw, score(fw, responses))


def _energy_plan(rng: random.Random, size: str, industry: str) -> dict[str, Any]:
    """The first year's quantities and denominators of an enterprise (before rounding)."""
    lo, hi = OUTPUT_RANGE[size]
    output = lo * (hi / lo) ** rng.random()  # log-uniform within the size class
    mwh = output * rng.uniform(*MWH_PER_WAN_YUAN) * ENERGY_HEAVY.get(industry, 1.0)
    complete = {c.name for c in carrier_table() if c.complete}
    records = [("电力", "MWh", mwh, 1)]  # to 100 kWh
    for carrier, unit, p_use, tce_per_unit, share, decimals in FUELS:
        if rng.random() < p_use and carrier in complete:
            tce = mwh * ELECTRICITY_TCE_PER_MWH * rng.uniform(*share)
            records.append((carrier, unit, tce / tce_per_unit, decimals))
    return {"records": records, "output": output, "revenue_ratio": rng.uniform(0.85, 1.12)}


def _inventory_inputs(
    rng: random.Random, plan: dict[str, Any], region_code: str
) -> list[tuple[int, dict[str, Any]]]:
    """(year, validated inputs) for each of :data:`CARBON_YEARS`: energy changes by 3–10 %
    a year (down a little more often than up), output by −5 … +12 %."""
    out = []
    energy, output = 1.0, plan["output"]
    for k, year in enumerate(CARBON_YEARS):
        if k:
            energy *= 1.0 + rng.choice((-1, -1, -1, 1, 1)) * rng.uniform(0.03, 0.10)
            output *= 1.0 + rng.uniform(-0.05, 0.12)
        revenue = output * plan["revenue_ratio"] * rng.uniform(0.97, 1.03)
        y, inputs = validate_inputs(
            year=year,
            region=region_code[:2],
            # the national average in both years: the table has provincial factors for
            # 2021/2022 only, and switching kind between years would swamp the change
            grid_factor="national",
            records=[
                {"carrier": c, "quantity": round(q * energy, d), "unit": u}
                for c, u, q, d in plan["records"]
            ],
            output=round(output, 1),
            revenue=round(revenue, 1),
        )
        out.append((y, inputs))
    return out


def _password() -> str:
    return secrets.token_urlsafe(12)


# -- seeding steps ---------------------------------------------------------------------------


def _authorities_and_providers(session: Session) -> dict[str, Organization]:
    """The park, the province, the other city and the providers, by key."""
    fixed = {
        "park": Organization(name=DEMO_MARKER, kind="authority", region_scope=PARK_SCOPE),
        "province": Organization(
            name=f"广东省工业和信息化厅{DEMO_SUFFIX}", kind="authority", region_scope="44"
        ),
        "other": Organization(
            name=f"苏州市工业和信息化局{DEMO_SUFFIX}",
            kind="authority",
            region_scope=OTHER_SCOPE,
        ),
    }
    for i, name in enumerate(PROVIDERS):
        fixed[f"provider{i + 1}"] = Organization(name=f"{name}{DEMO_SUFFIX}", kind="provider")
    session.add_all(fixed.values())
    session.flush()
    return fixed


def _enterprise_specs(rng: random.Random, n_enterprises: int) -> list[dict[str, Any]]:
    """Each enterprise's profile and maturity; the last tenth lie in the other city."""
    n_other = max(1, n_enterprises // 10)
    names: set[str] = set()
    codes: set[str] = set()
    industries = tuple((i, i[3]) for i in INDUSTRIES)
    specs = []
    for k in range(n_enterprises):
        code, word, chain_opts, _w = _weighted(rng, industries)
        region = rng.choice(OTHER_DISTRICTS if k >= n_enterprises - n_other else PARK_DISTRICTS)
        specs.append(
            {
                "name": _name(rng, word, names),
                "region": region,
                "industry": code,
                "size": _weighted(rng, SIZES),
                "chains": _chains(rng, chain_opts),
                "credit_code": _credit_code(rng, region, codes),
                "maturity": rng.betavariate(2.2, 2.6),
            }
        )
    return specs


def _insert_enterprises(session: Session, specs: list[dict[str, Any]]) -> list[int]:
    """The enterprises and their profiles, inserted in bulk; their ids in ``specs`` order."""
    now = datetime.now(UTC)
    ids = list(
        session.scalars(
            insert(Organization).returning(Organization.id, sort_by_parameter_order=True),
            [
                {"name": s["name"], "kind": "enterprise", "region_scope": None, "created_at": now}
                for s in specs
            ],
        )
    )
    session.execute(
        insert(EnterpriseProfile),
        [
            {
                "organization_id": oid,
                "credit_code": s["credit_code"],
                "industry": s["industry"],
                "region_code": s["region"],
                "size_class": s["size"],
                "chains": s["chains"],
                "created_at": now,
                "updated_at": now,
            }
            for oid, s in zip(ids, specs, strict=True)
        ],
    )
    return ids


def _insert_shares(
    session: Session,
    rng: random.Random,
    ids: list[int],
    specs: list[dict[str, Any]],
    provider_ids: list[int],
) -> int:
    """Shares with providers (park enterprises only; the first sample enterprise always
    shares with the first provider); how many."""
    now = datetime.now(UTC)
    shares = []
    for oid, s in zip(ids, specs, strict=True):
        if s["region"].startswith(PARK_SCOPE) and rng.random() < 0.18:
            for pid in rng.sample(provider_ids, 1 if rng.random() < 0.8 else 2):
                shares.append({"enterprise_id": oid, "provider_id": pid, "created_at": now})
    if not any(sh["enterprise_id"] == ids[0] for sh in shares):
        shares.append({"enterprise_id": ids[0], "provider_id": provider_ids[0], "created_at": now})
    session.execute(insert(Share), shares)
    return len(shares)


def _insert_assessments(
    session: Session,
    rng: random.Random,
    fw: Framework,
    ids: list[int],
    specs: list[dict[str, Any]],
) -> int:
    """Submitted assessments: T0 for ~60 %, T1 (later, a little better) for ~25 %; how many."""
    base_day = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    rows = []
    for oid, s in zip(ids, specs, strict=True):
        draw = rng.random()
        waves = 0 if draw >= 0.60 else (2 if draw < 0.25 else 1)
        maturity = s["maturity"]
        day = base_day + timedelta(days=rng.randrange(0, 120), minutes=rng.randrange(600))
        for seq in range(waves):
            responses = _answers(fw, rng, maturity)
            rows.append(
                {
                    "enterprise_id": oid,
                    "framework_id": fw.id,
                    "framework_version": fw.version,
                    "seq": seq,
                    "status": "submitted",
                    "responses": responses,
                    "result": _result_json(fw, responses),
                    "revision": 1,
                    "created_at": day - timedelta(days=3),
                    "updated_at": day,
                    "submitted_at": day,
                }
            )
            maturity = min(1.0, maturity + rng.uniform(0.03, 0.15))
            day += timedelta(days=rng.randrange(180, 300))
    if rows:
        session.execute(insert(Assessment), rows)
    return len(rows)


def _insert_inventories(
    session: Session, seed: int, ids: list[int], specs: list[dict[str, Any]]
) -> int:
    """Energy and carbon inventories, 2022 and 2023, for ~40 % (the first sample enterprise
    always), from the seed's own carbon stream so the rest of the park does not change
    with it; how many."""
    crng = random.Random(f"{seed}:carbon")
    inventories = []
    for k, (oid, s) in enumerate(zip(ids, specs, strict=True)):
        if crng.random() >= CARBON_SHARE and k != 0:
            continue
        plan = _energy_plan(crng, s["size"], s["industry"])
        for year, inputs in _inventory_inputs(crng, plan, s["region"]):
            day = datetime(year + 1, 3, 1, 9, 0, tzinfo=UTC) + timedelta(
                days=crng.randrange(0, 75), minutes=crng.randrange(600)
            )
            inventories.append(
                {
                    "enterprise_id": oid,
                    "year": year,
                    "inputs": inputs,
                    "result": compute(year, inputs),  # the service's own result JSON
                    "revision": 1,
                    "created_by": None,
                    "updated_by": None,
                    "created_at": day - timedelta(days=2),
                    "updated_at": day,
                }
            )
    if inventories:
        session.execute(insert(CarbonInventory), inventories)
    return len(inventories)


def _add_accounts(
    session: Session,
    organizations: dict[str, Organization],
    ids: list[int],
    specs: list[dict[str, Any]],
) -> list[DemoAccount]:
    """The :data:`PEOPLE`, each with a fresh password; the first two enterprises are the
    sample ones."""
    org_ids = {k: o.id for k, o in organizations.items()}
    org_ids.update({"enterprise1": ids[0], "enterprise2": ids[1]})
    org_names = {k: o.name for k, o in organizations.items()}
    org_names.update({"enterprise1": specs[0]["name"], "enterprise2": specs[1]["name"]})
    accounts = []
    for label, local, display, org_key, role in PEOPLE:
        password = _password()
        user = User(
            email=f"{local}@{DEMO_DOMAIN}",
            display_name=display,
            password_hash=hash_password(password),
            is_platform_admin=org_key is None,
        )
        if org_key is not None:
            user.memberships.append(Membership(organization_id=org_ids[org_key], role=role))
        session.add(user)
        accounts.append(
            DemoAccount(label, user.email, password, org_names[org_key] if org_key else "—")
        )
    session.flush()
    return accounts


def seed_demo(session: Session, *, seed: int = 20245, n_enterprises: int = 300) -> DemoAccounts:
    """Fill an empty, migrated database with the demo park (see the module docstring).

    Raises
    ------
    DemoRefused
        The database already holds organizations (call :func:`reset_demo` first for a
        database the demo seeded).
    """
    if n_enterprises < 2:
        raise ValueError("the demo needs at least 2 enterprises")
    if _has_organizations(session):
        raise DemoRefused("数据库中已有组织数据，演示数据只能写入空数据库")
    rng = random.Random(seed)
    fw = load_framework(FRAMEWORK_KEY)
    out = DemoAccounts(n_enterprises=n_enterprises)
    try:
        fixed = _authorities_and_providers(session)
        out.organizations = {k: o.id for k, o in fixed.items()}
        provider_ids = [fixed[f"provider{i + 1}"].id for i in range(len(PROVIDERS))]
        specs = _enterprise_specs(rng, n_enterprises)
        ids = _insert_enterprises(session, specs)
        out.n_shares = _insert_shares(session, rng, ids, specs, provider_ids)
        out.n_assessments = _insert_assessments(session, rng, fw, ids, specs)
        out.n_inventories = _insert_inventories(session, seed, ids, specs)
        out.accounts = _add_accounts(session, fixed, ids, specs)
        audit.record(
            session,
            None,
            "seed_demo",
            "demo",
            None,
            after={
                "seed": seed,
                "enterprises": n_enterprises,
                "assessments": out.n_assessments,
                "shares": out.n_shares,
                "carbon_inventories": out.n_inventories,
                "accounts": len(out.accounts),
            },
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return out
