"""The demo park: a synthetic, reproducible data set to show the platform.

:func:`seed_demo` fills an empty, migrated database with one park authority
(示范高新区管委会, scope ``4403`` — the code is real (深圳市), the park and everything in
it is invented), the province's authority (``44``), a second authority elsewhere (苏州,
``3205``, to show isolation), three service providers, ``n_enterprises`` enterprises
(about nine in ten inside the park, the rest in 苏州) with valid credit codes, GB/T 4754
manufacturing classes, industry-chain memberships, shares with providers and submitted
``sme-digital-2024`` assessments (T0 for about 60 %, T1 for about 25 %), energy and
carbon inventories for 2022 and 2023 (about 40 % of the enterprises, always the first
sample enterprise), one programme of the park (:data:`PROGRAMME_NAME`, see
:func:`_insert_programme`) and a handful of accounts whose passwords are generated per run.

Every generated name carries :data:`DEMO_SUFFIX` (（示例）); the park authority is named
:data:`DEMO_MARKER`, which :func:`is_demo_database` looks for (the app shows the
示例数据 banner when it is present).  Everything but the passwords is a pure function
of ``seed``.
"""

from __future__ import annotations

import functools
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from nqpf.assessment import load_framework, score
from nqpf.assessment.schema import Framework
from nqpf.codes import CHARSET, credit_code_check_char
from nqpf.matching import MatchIndex, facts_from_assessment, make_catalogue
from nqpf.matching import Solution as EngineSolution
from nqpf.matching.synthetic import SYNTHETIC_NOTE
from nqpf.services import register as rules
from nqpf.services.assess_report import analyze
from nqpf.services.enterprises import STAGES
from nqpf.services.needs import needs_from_steps, step_suggestions
from nqpf.services.projects import check_plan
from nqpf.services.solutions import solution_data
from nqpf.web import totp
from nqpf.web.models import (
    Assessment,
    Base,
    CarbonInventory,
    EnterpriseProfile,
    Membership,
    Need,
    NeedShare,
    Organization,
    Programme,
    ProgrammeMember,
    Project,
    Proposal,
    ProviderRegistration,
    RegisterEvent,
    Share,
    User,
)
from nqpf.web.models import Solution as SolutionRow
from nqpf.web.security import hash_password
from nqpf.web.services import audit
from nqpf.web.services.assessments import result_summary
from nqpf.web.services.carbon import carrier_table, compute, validate_inputs
from nqpf.web.services.carbon_summary import refresh_carbon_summary
from nqpf.web.services.latest_results import refresh_latest
from nqpf.web.services.loop_common import bump_catalogue

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
PROGRAMME_NAME = "中小企业数字化转型试点（示例数据，非真实统计）"

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
    # issue 17: officers and the platform admin sign in with two-factor codes; the demo
    # enrols them with this secret (add it to an authenticator app by hand)
    totp_secret: str = ""


@dataclass
class DemoAccounts:
    """What :func:`seed_demo` created: the accounts (with passwords) and counts."""

    accounts: list[DemoAccount] = field(default_factory=list)
    organizations: dict[str, int] = field(default_factory=dict)
    n_enterprises: int = 0
    n_assessments: int = 0
    n_shares: int = 0
    n_inventories: int = 0
    n_solutions: int = 0
    n_providers: int = 0
    n_needs: int = 0
    n_projects: int = 0
    n_programme_members: int = 0

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
        refresh_latest(session, ids)  # bulk SQL skips the submit's summary of the views
    return len(rows)


def _insert_programme(
    session: Session, seed: int, fw: Framework, park: Organization, regions: dict[int, str]
) -> int:
    """The park's programme, evaluated on the total of ``fw``'s assessments: a third of the
    park enterprises assessed in two different years (drawn from the seed's own stream, so the
    rest of the park does not change with it), each joining in the year of its latest
    assessment; the other park enterprises are its never-treated comparison group.  Two
    years make a 2 × 2 design the Callaway–Sant'Anna estimate runs on, and the page names
    what it cannot do (no pre-trend test with one year before).  How many members (none,
    and no programme, when fewer than two enterprises qualify)."""
    years: dict[int, set[int]] = {}
    for eid, when in session.execute(
        select(Assessment.enterprise_id, Assessment.submitted_at).where(
            Assessment.framework_id == fw.id, Assessment.framework_version == fw.version
        )
    ):
        if regions.get(eid, "").startswith(PARK_SCOPE):
            years.setdefault(eid, set()).add(when.year)
    two_years = sorted(eid for eid, seen in years.items() if len(seen) >= 2)
    if len(two_years) < 2:
        return 0
    members = random.Random(f"{seed}:programme").sample(two_years, max(1, len(two_years) // 3))
    programme = Programme(
        authority_id=park.id,
        region_scope=PARK_SCOPE,
        name=PROGRAMME_NAME,
        outcome="total",
        outcome_key="",
        framework=f"{fw.id}-{fw.version}",
        acceptance_rule="acceptance-sme-pilot-2023",
        subsidy_rule="subsidy-longyan-2025",
        control="never",
        revision=0,
    )
    session.add(programme)
    session.flush()
    session.add_all(
        ProgrammeMember(programme_id=programme.id, enterprise_id=eid, start_year=max(years[eid]))
        for eid in sorted(members)
    )
    session.flush()
    return len(members)


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
        refresh_carbon_summary(session, ids)  # bulk SQL skips the save's summary of the views
    return len(inventories)


def _add_accounts(
    session: Session,
    organizations: dict[str, Organization],
    ids: list[int],
    specs: list[dict[str, Any]],
    secret_key: str,
) -> list[DemoAccount]:
    """The :data:`PEOPLE`, each with a fresh password; the first two enterprises are the
    sample ones.  TOTP secrets are stored sealed under ``secret_key``."""
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
        officer = org_key in organizations and organizations[org_key].kind == "authority"
        secret = ""
        if org_key is None or officer:  # the roles NQPF_TOTP_REQUIRED_ROLES names by default
            secret = totp.new_secret()
            user.totp_secret = totp.seal_secret(secret, secret_key)
            user.totp_enabled_at = datetime.now(UTC)
        if org_key is not None:
            user.memberships.append(Membership(organization_id=org_ids[org_key], role=role))
        session.add(user)
        accounts.append(
            DemoAccount(
                label,
                user.email,
                password,
                org_names[org_key] if org_key else "—",
                secret,
            )
        )
    session.flush()
    return accounts


# -- the loop (issue 11): catalogue, register, needs, projects --------------------------------

N_SOLUTIONS = 300
N_PROVIDERS = 40
LOOP_DAY0 = date(2025, 1, 6)  # the register opened (all the loop's dates are fixed)
LOOP_TODAY = date(2026, 11, 30)  # the day the seeded plans were last written
_STATUS_OF = {"admitted": "admitted", "warning": "warning", "suspended": "suspended",
              "pending": "applied", "removed": "removed"}  # fmt: skip


@functools.lru_cache(maxsize=4)
def _demo_catalogue(seed: int) -> tuple[tuple[EngineSolution, ...], MatchIndex]:
    """The seed's synthetic catalogue and its fitted index (made once per process: the
    demo is re-seeded with the same seed in tests and by ``--reset``)."""
    catalogue = tuple(make_catalogue(N_SOLUTIONS, providers=N_PROVIDERS, seed=seed))
    return catalogue, MatchIndex().fit(catalogue)  # the catalogue's standings are the register's


def _register_steps(standing: str, k: int) -> list[tuple[date, rules.Step]]:
    """The register path of a catalogue provider's standing, as dated state-machine steps."""
    day = LOOP_DAY0 + timedelta(days=3 * k)
    state, out = rules.RegisterState(), []

    def go(action: str, details: dict[str, Any], when: date) -> None:
        nonlocal state
        s = rules.step(state, action, details, today=when)
        out.append((when, s))
        state = s.after

    go("apply", {"statement": f"数字化转型服务能力说明（{SYNTHETIC_NOTE}）"}, day)
    if standing == "pending":
        return out
    experts = {"experts": ["评审专家甲（示例）", "评审专家乙（示例）", "评审专家丙（示例）"],
               "score": 70 + (k * 7) % 28, "opinion": "服务能力与案例符合入库条件（示例）",
               "passed": True, "notice_days": 7}  # fmt: skip
    go("review", experts, day + timedelta(days=20))
    go("admit", {}, day + timedelta(days=28))
    if standing in ("warning", "suspended"):
        kind = "warning" if standing == "warning" else "suspension"
        go("sanction", {"kind": kind, "reason": "项目交付延期，企业投诉属实（示例）"},
           day + timedelta(days=300))  # fmt: skip
    return out


def _insert_catalogue(
    session: Session, seed: int, fixed: dict[str, Organization], now: datetime
) -> tuple[dict[str, int], list[EngineSolution], dict[str, str]]:
    """~40 providers (the demo's three first) with a few hundred solutions, in the park's
    register at their catalogue standing; (provider id → org id, the catalogue, standings)."""
    catalogue = list(_demo_catalogue(seed)[0])
    names: dict[str, str] = {}
    standing: dict[str, str] = {}
    for s in catalogue:
        names.setdefault(s.provider_id, s.provider_name)
        standing.setdefault(s.provider_id, s.provider_standing)
    order = sorted(names)
    orgs: dict[str, int] = {}
    for k, pid in enumerate(order):
        if k < len(PROVIDERS):
            orgs[pid] = fixed[f"provider{k + 1}"].id
        else:
            org = Organization(name=names[pid], kind="provider", created_at=now)
            session.add(org)
            session.flush()
            orgs[pid] = org.id
    session.execute(
        insert(SolutionRow),
        [
            {"provider_id": orgs[s.provider_id], "ref": s.id, "name": s.name,
             "scene": s.scenes[0].scene, "price_min": s.price_min, "price_max": s.price_max,
             "delivery_weeks": s.delivery_weeks, "data": solution_data(s),
             "status": "published", "revision": 0, "created_at": now, "updated_at": now}
            for s in catalogue
        ],
    )  # fmt: skip
    park = fixed["park"].id
    for k, pid in enumerate(order):
        steps = _register_steps(standing[pid], k)
        last = steps[-1][1].after
        reg = ProviderRegistration(
            authority_id=park, provider_id=orgs[pid], status=last.status,
            previous_status=last.previous_status, notice_until=last.notice_until,
            appeal=last.appeal, statement=steps[0][1].detail["statement"],
            revision=len(steps), created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(reg)
        session.flush()
        session.execute(
            insert(RegisterEvent),
            [
                {"registration_id": reg.id, "action": s.action, "from_status": s.before.status,
                 "to_status": s.after.status, "detail": dict(s.detail), "actor_id": None,
                 "at": datetime.combine(when, time(10, 0), tzinfo=UTC)}
                for when, s in steps
            ],
        )  # fmt: skip
    return orgs, catalogue, standing


def _plan(lrng: random.Random, start: date, *, closed: bool, late: bool) -> Any:
    """A project's plan: three milestones (done on time, done late or open; an open one
    past due when ``late``) and a KPI, checked by the projects rules."""
    milestones = []
    for i, title in enumerate(("需求调研与方案确认", "系统部署与设备联网", "上线试运行与验收")):
        due = start + timedelta(days=30 * (i + 1))
        done = None
        if closed or i == 0:
            done = due + timedelta(days=lrng.choice((-5, -1, 0, 0, 3, 9)))
            done = max(done, start)
        elif late and i == 1:
            done = None  # past due, not done: overdue
        milestones.append({"title": title, "due": due, "done": done, "note": ""})
    kpis = [{"name": "设备综合效率OEE", "baseline": round(lrng.uniform(45, 60), 1),
             "target": round(lrng.uniform(65, 80), 1),
             "actual": round(lrng.uniform(62, 78), 1) if closed else None, "unit": "%"}]  # fmt: skip
    return check_plan(start=start, end=start + timedelta(days=120), budget=None,
                      spend=0, milestones=milestones, kpis=kpis, today=LOOP_TODAY)  # fmt: skip


def _insert_needs_and_projects(
    session: Session,
    seed: int,
    fw: Framework,
    ids: list[int],
    specs: list[dict[str, Any]],
    orgs: dict[str, int],
    catalogue: list[EngineSolution],
    standing: dict[str, str],
    now: datetime,
) -> tuple[int, int]:
    """Needs from the roadmaps of a dozen assessed park enterprises (the first sample
    enterprise always), matched with the engine; shares, proposals and projects (some
    overdue, some closed with satisfaction); (needs, projects)."""
    lrng = random.Random(f"{seed}:loop")
    latest: dict[int, Assessment] = {}
    for a in session.scalars(
        select(Assessment).where(Assessment.enterprise_id.in_(ids)).order_by(Assessment.seq)
    ):
        latest[a.enterprise_id] = a
    park = [
        (oid, s) for oid, s in zip(ids, specs, strict=True) if s["region"].startswith(PARK_SCOPE)
    ]
    chosen = [p for p in park if p[0] in latest][:12]
    if park and park[0][0] not in {c[0] for c in chosen} and ids[0] in latest:
        chosen.insert(0, next(p for p in park if p[0] == ids[0]))
    index = _demo_catalogue(seed)[1]
    org_of = {s.id: orgs[s.provider_id] for s in catalogue}
    sol_ids = dict(session.execute(select(SolutionRow.ref, SolutionRow.id)).all())
    n_needs = n_projects = n_shared_with_demo = 0
    fixed_provider = orgs[min(orgs)]  # P001: the demo's first provider (its account)
    for k, (oid, spec) in enumerate(chosen):
        a = latest[oid]
        analysis = analyze(fw, a.responses)
        suggestions = step_suggestions(analysis)[:3]
        if not suggestions:  # at the top level already: nothing to need
            continue
        drafts = needs_from_steps(
            suggestions, enterprise_id=str(oid), industry=spec["industry"],
            size_class=spec["size"], budget_max=float(lrng.choice((30, 50, 80, 150))),
            text=f"（{SYNTHETIC_NOTE}）",
        )  # fmt: skip
        for j, d in enumerate(drafts):
            status = ("published", "matched", "in_project", "draft", "closed")[(k + j) % 5]
            need = Need(
                enterprise_id=oid, assessment_id=a.id, steps=list(d.steps), title=d.title,
                scene=d.need.scene, current_level=d.need.current_level,
                target_level=d.need.target_level, addresses=list(d.need.addresses),
                budget_min=d.need.budget_min, budget_max=d.need.budget_max,
                deadline=d.need.deadline, text=d.need.text, status=status, revision=1,
                created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(need)
            session.flush()
            n_needs += 1
            if status in ("draft", "published"):
                continue
            result = index.rank(d.need, facts_from_assessment(analysis.result), top=6,
                                as_of=LOOP_TODAY)  # fmt: skip
            providers = list(dict.fromkeys(org_of[m.solution_id] for m in result.matches))[:2]
            if not providers:
                need.status = "published"
                continue
            if n_shared_with_demo == 0 and fixed_provider not in providers:
                providers.append(fixed_provider)  # the demo provider account sees a need
            n_shared_with_demo += fixed_provider in providers
            for p in providers:
                session.add(NeedShare(need_id=need.id, provider_id=p, created_at=now))
            best = next(m for m in result.matches if org_of[m.solution_id] == providers[0])
            sol = catalogue[[s.id for s in catalogue].index(best.solution_id)]
            proposal = Proposal(
                need_id=need.id, provider_id=providers[0], solution_id=sol_ids[sol.id],
                text=f"推荐“{sol.name}”：{'；'.join(best.reasons[:2])}（{SYNTHETIC_NOTE}）",
                price=round((sol.price_min + sol.price_max) / 2, 1),
                weeks=sol.delivery_weeks, created_at=now,
                status="submitted" if status == "matched" else "accepted",
            )  # fmt: skip
            session.add(proposal)
            session.flush()
            if status == "matched":
                continue
            closed = status == "closed"
            start = date(2026, 1, 5) + timedelta(days=9 * k + 3 * j)
            plan = _plan(lrng, start, closed=closed, late=(k + j) % 2 == 0)
            session.add(
                Project(
                    need_id=need.id,
                    proposal_id=proposal.id,
                    enterprise_id=oid,
                    provider_id=providers[0],
                    solution_id=proposal.solution_id,
                    title=need.title,
                    start_date=plan.start,
                    end_date=plan.end,
                    status="closed" if closed else "active",
                    budget=proposal.price,
                    spend=round(proposal.price * (1.0 if closed else 0.4), 1),
                    milestones=list(plan.milestones),
                    kpis=list(plan.kpis),
                    next_due=None if closed else plan.next_due,
                    satisfaction=lrng.choice((3, 4, 4, 5, 5)) if closed else None,
                    satisfaction_note="按期交付，效果明显（示例）" if closed else "",
                    closed_at=datetime.combine(plan.end, time(16, 0), tzinfo=UTC)
                    if closed
                    else None,
                    revision=2,
                    created_at=now,
                    updated_at=now,
                )
            )
            n_projects += 1
    session.flush()
    bump_catalogue(session)
    return n_needs, n_projects


def seed_demo(
    session: Session, *, secret_key: str, seed: int = 20245, n_enterprises: int = 300
) -> DemoAccounts:
    """Fill an empty, migrated database with the demo park (see the module docstring);
    ``secret_key`` is the platform's ``NQPF_SECRET_KEY`` (it seals the TOTP secrets).

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
        regions = {oid: s["region"] for oid, s in zip(ids, specs, strict=True)}
        out.n_programme_members = _insert_programme(session, seed, fw, fixed["park"], regions)
        now = datetime.now(UTC)
        orgs, catalogue, standing = _insert_catalogue(session, seed, fixed, now)
        out.n_solutions, out.n_providers = len(catalogue), len(orgs)
        out.n_needs, out.n_projects = _insert_needs_and_projects(
            session, seed, fw, ids, specs, orgs, catalogue, standing, now
        )
        out.accounts = _add_accounts(session, fixed, ids, specs, secret_key)
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
                "solutions": out.n_solutions,
                "providers": out.n_providers,
                "needs": out.n_needs,
                "projects": out.n_projects,
                "programme_members": out.n_programme_members,
                "accounts": len(out.accounts),
            },
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return out
