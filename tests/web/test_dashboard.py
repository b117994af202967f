"""The officers' dashboard: numbers against an independent recomputation from the rows,
visibility per actor, filters, drafts and latest seq, XLSX, page, SVG and escaping."""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from typing import Any

import pytest
from sqlalchemy import event, select
from tests.web.answers import better_answers, complete_answers

from nqpf.assessment import load_framework
from nqpf.datasets.synthetic import SYNTHETIC_LABEL
from nqpf.web import charts
from nqpf.web.authz import load_actor
from nqpf.web.models import Assessment, EnterpriseProfile, Organization, Share, User
from nqpf.web.services import assessments as assessment_service
from nqpf.web.services import dashboard as svc

FW = "sme-digital-2024"
XSS = "<script>alert(1)</script>"
SQLI = "'; DROP TABLE organization; --"
SHEETS = [
    "说明",
    "概览",
    "等级分布",
    "维度得分率",
    "产业链环节",
    "地市",
    "区县",
    "行业",
    "T0→最新",
    "共性短板",
]


@pytest.fixture(scope="module")
def fw():
    return load_framework(FW)


# --------------------------------------------------------------------------- helpers
def _actor(session, email):
    user = session.scalar(select(User).where(User.email == email))
    return load_actor(session, user, via="token")


def _submit(app, email, enterprise_id, answers):
    with app.state.session_factory() as s:
        actor = _actor(s, email)
        row, created = assessment_service.start(s, actor, enterprise_id, FW)
        assert created
        row = assessment_service.save_answers(s, actor, row.id, answers, row.revision)
        return assessment_service.submit(s, actor, row.id).id


def _draft(app, email, enterprise_id, answers):
    with app.state.session_factory() as s:
        actor = _actor(s, email)
        row, created = assessment_service.start(s, actor, enterprise_id, FW)
        assert created
        assessment_service.save_answers(s, actor, row.id, answers, row.revision)
        return row.id


def _set_profile(app, org_id, **values):
    with app.state.session_factory() as s:
        org = s.get(Organization, org_id)
        if "name" in values:
            org.name = values.pop("name")
        for key, value in values.items():
            setattr(org.profile, key, value)
        s.commit()


def _visible_ids(app, *, region=None, provider=None):
    """The enterprises an actor reads, found independently of authz: by region prefix,
    by share, or all."""
    with app.state.session_factory() as s:
        rows = s.execute(
            select(Organization.id, EnterpriseProfile.region_code)
            .join(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
            .where(Organization.kind == "enterprise")
        ).all()
        if provider is not None:
            shared = set(
                s.scalars(select(Share.enterprise_id).where(Share.provider_id == provider))
            )
            return {i for i, _r in rows if i in shared}
    return {i for i, r in rows if region is None or r.startswith(region)}


def _gap(message):
    return None if "已满足" in message else message.split("，当前")[0]


def _recompute(app, fw, ids, *, region="", chain="", industry=""):
    """The dashboard's numbers from the raw rows, in plain Python."""
    with app.state.session_factory() as s:
        profiles = {
            p.organization_id: p
            for p in s.scalars(
                select(EnterpriseProfile).where(EnterpriseProfile.organization_id.in_(ids))
            )
        }
        submitted = defaultdict(list)
        for a in s.scalars(select(Assessment).where(Assessment.enterprise_id.in_(ids))):
            if (a.status, a.framework_id, a.framework_version) == ("submitted", fw.id, fw.version):
                submitted[a.enterprise_id].append((a.seq, a.result))
    chosen = [
        i
        for i, p in profiles.items()
        if p.region_code.startswith(region)
        and p.industry.startswith(industry)
        and (not chain or any(c["chain"] == chain for c in p.chains))
    ]
    latest = {i: max(submitted[i], key=lambda t: t[0])[1] for i in chosen if submitted[i]}
    first = {i: min(submitted[i], key=lambda t: t[0])[1] for i in latest if len(submitted[i]) > 1}
    levels = [0] * 5
    for r in latest.values():
        levels[r["level"]] += 1
    totals = [r["total"] for r in latest.values()]
    dims = {
        d.name: sum(r["dimensions"][d.name] for r in latest.values()) / len(latest) / d.points
        for d in fw.scored_dimensions
        if latest
    }
    gaps = Counter()
    for r in latest.values():
        gaps.update({g for m in r["next_level"] if (g := _gap(m))})

    def groups(key):
        out: dict[str, list[int]] = {}
        for i in chosen:
            k = key(i)
            n = out.setdefault(k, [0, 0, 0, 0, 0, 0, 0])
            n[0] += 1
            if i in latest:
                n[1] += 1
                n[2 + latest[i]["level"]] += 1
        return out

    chains: dict[tuple[str, str], list[int]] = {}
    for i in chosen:
        pairs = {(c["chain"], c["stage"]) for c in profiles[i].chains}
        for pair in pairs | {(c, svc.WHOLE_CHAIN) for c, _s in pairs}:
            if chain and pair[0] != chain:
                continue
            n = chains.setdefault(pair, [0, 0])
            n[0] += 1
            n[1] += i in latest
    moves = Counter(
        "up" if latest[i]["level"] > f["level"] else "down" if latest[i]["level"] < f["level"]
        else "same"
        for i, f in first.items()
    )  # fmt: skip
    return {
        "enterprises": len(chosen),
        "assessed": len(latest),
        "mean_total": sum(totals) / len(totals) if totals else None,
        "levels": levels,
        "at_target": sum(levels[2:]),
        "dims": dims,
        "gaps": gaps,
        "counties": groups(lambda i: profiles[i].region_code[:6]),
        "prefectures": groups(lambda i: profiles[i].region_code[:4]),
        "industries": groups(lambda i: profiles[i].industry[:3]),
        "chains": chains,
        "moves": {k: moves.get(k, 0) for k in ("up", "same", "down")},
        "deltas": [latest[i]["total"] - f["total"] for i, f in first.items()],
    }


def _check(body: dict[str, Any], exp: dict[str, Any]) -> None:
    """The API body (or a DashboardData as dict) equals the recomputation."""
    k = body["kpis"]
    assert k["enterprises"] == exp["enterprises"]
    assert k["assessed"] == exp["assessed"]
    assert k["at_target"] == exp["at_target"]
    if exp["assessed"]:
        assert k["mean_total"] == pytest.approx(exp["mean_total"])
        assert k["share_target"] == pytest.approx(exp["at_target"] / exp["assessed"])
    else:
        assert k["mean_total"] is None and k["share_target"] is None
    assert k["assessed_share"] == pytest.approx(
        exp["assessed"] / exp["enterprises"] if exp["enterprises"] else 0
    )
    assert [b["count"] for b in body["levels"]] == exp["levels"]
    assert [b["name"] for b in body["levels"]] == ["未达一级", "一级", "二级", "三级", "四级"]
    for d in body["dimensions"]:
        if exp["assessed"]:
            assert d["rate"] == pytest.approx(exp["dims"][d["name"]])
        else:
            assert d["rate"] is None
    for name in ("counties", "prefectures", "industries"):
        got = {g["key"]: [g["enterprises"], g["assessed"], *g["levels"]] for g in body[name]}
        assert got == exp[name], name
    got_chains = {
        (c["chain"], c["stage"]): [c["enterprises"], c["assessed"]] for c in body["chains"]
    }
    assert got_chains == exp["chains"]
    m = body["movement"]
    assert {k: m[k] for k in ("up", "same", "down")} == exp["moves"]
    assert m["compared"] == sum(exp["moves"].values())
    if exp["deltas"]:
        assert m["mean_delta"] == pytest.approx(sum(exp["deltas"]) / len(exp["deltas"]))
    expected_gaps = sorted(exp["gaps"].items(), key=lambda i: (-i[1], i[0]))[: svc.TOP_GAPS]
    assert [(g["condition"], g["enterprises"]) for g in body["gaps"]] == expected_gaps


def _as_dict(data) -> dict[str, Any]:
    from nqpf.web.routes.dashboard import DashboardOut

    return DashboardOut.model_validate(data).model_dump(mode="json")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def assessed(app, world, fw):
    """World with: ent_sz T0 (better, 三级) and T1 (complete, 一级) plus a better draft T2;
    ent_sz2 T0 (scenes at 1) in two chains, industry C3670; ent_su T0 (better)."""
    e = world.emails
    _set_profile(
        app,
        world.orgs["ent_sz2"],
        industry="C3670",
        chains=[{"chain": "新能源汽车", "stage": "上游"}, {"chain": "高端装备", "stage": "下游"}],
    )
    _submit(app, e["ent_admin"], world.orgs["ent_sz"], better_answers(fw))
    _submit(app, e["ent_admin"], world.orgs["ent_sz"], complete_answers(fw))
    _draft(app, e["ent_admin"], world.orgs["ent_sz"], better_answers(fw))
    _submit(app, e["ent2_admin"], world.orgs["ent_sz2"], complete_answers(fw, 1))
    _submit(app, e["su_ent_admin"], world.orgs["ent_su"], better_answers(fw))
    return world


# ------------------------------------------------------------------------------ tests
def test_dashboard_per_actor_matches_recomputation(app, assessed, token_for, client, fw):
    w = assessed
    sz, su = _visible_ids(app, region="4403"), _visible_ids(app, region="3205")
    cases = {
        "admin": _visible_ids(app),
        "sz_officer": sz,
        "sz_admin": sz,
        "su_officer": su,
        "prov_member": _visible_ids(app, provider=w.orgs["prov"]),
        "ent_member": {w.orgs["ent_sz"]},
        "ent2_admin": {w.orgs["ent_sz2"]},
        "prov2_member": set(),
    }
    assert cases["sz_officer"] == {w.orgs["ent_sz"], w.orgs["ent_sz2"]}
    assert cases["su_officer"] == {w.orgs["ent_su"]}
    assert cases["prov_member"] == {w.orgs["ent_sz"]}
    for name, ids in cases.items():
        r = client.get("/api/v1/dashboard", headers=token_for(w.emails[name]))
        assert r.status_code == 200, (name, r.text)
        _check(r.json(), _recompute(app, fw, ids))

    # the concrete numbers for the Shenzhen officer: latest seq (T1, 一级, not the T0 三级
    # nor the better draft), both enterprises at 一级, one moved down from 三级
    body = client.get("/api/v1/dashboard", headers=token_for(w.emails["sz_officer"])).json()
    assert body["kpis"]["enterprises"] == 2 and body["kpis"]["assessed"] == 2
    assert [b["count"] for b in body["levels"]] == [0, 2, 0, 0, 0]
    assert body["movement"] == {
        "compared": 1,
        "up": 0,
        "same": 0,
        "down": 1,
        "mean_delta": pytest.approx(23.2 - 100.0),
    }
    assert {g["key"] for g in body["counties"]} == {"440305", "440306"}
    assert [g["key"] for g in body["prefectures"]] == ["4403"]
    assert body["prefectures"][0]["label"] == "深圳市"  # names, not codes
    assert {g["label"] for g in body["counties"]} == {"南山区", "宝安区"}
    assert {g["key"]: g["label"] for g in body["industries"]} == {
        "C34": "通用设备制造业",
        "C36": "汽车制造业",
    }
    assert body["scope"] == ["辖区 广东 4403"]
    assert body["gaps"][0] == {
        "condition": "二级：总分需≥40",
        "enterprises": 2,
        "share": pytest.approx(1.0),
    }
    assert body["chain_options"] == ["新能源汽车", "高端装备"]
    assert not any(o["code"].startswith("32") for o in body["region_options"])
    su_body = client.get("/api/v1/dashboard", headers=token_for(w.emails["su_officer"])).json()
    assert [g["key"] for g in su_body["counties"]] == ["320506"]
    assert [b["count"] for b in su_body["levels"]] == [0, 0, 0, 1, 0]


def test_filters_only_narrow(app, assessed, token_for, client, fw):
    w = assessed
    sz = token_for(w.emails["sz_officer"])
    sz_ids = _visible_ids(app, region="4403")
    # a region outside the scope: nothing (never the other region's data)
    for region in ("3205", "320506", "32", "11"):
        r = client.get("/api/v1/dashboard", params={"region": region}, headers=sz)
        body = r.json()
        assert r.status_code == 200
        assert body["kpis"]["enterprises"] == 0 and body["kpis"]["assessed"] == 0
        assert body["counties"] == [] and body["chains"] == [] and body["gaps"] == []
        assert "吴中" not in r.text
    # inside the scope, each filter matches the recomputation
    for params in (
        {"region": "440305"},
        {"region": "44"},
        {"chain": "新能源汽车"},
        {"chain": "高端装备"},
        {"industry": "C36"},
        {"industry": "c3484"},
        {"region": "4403", "chain": "高端装备", "industry": "C3"},
        {"chain": "不存在的链"},
    ):
        r = client.get("/api/v1/dashboard", params=params, headers=sz)
        assert r.status_code == 200, (params, r.text)
        body = r.json()
        expected = {**params, "industry": params.get("industry", "").upper()}
        _check(body, _recompute(app, fw, sz_ids, **expected))
        assert body["filters"]["industry"] == expected["industry"]
    body = client.get("/api/v1/dashboard", params={"chain": "新能源汽车"}, headers=sz).json()
    assert body["kpis"]["enterprises"] == 1
    assert [(c["chain"], c["stage"]) for c in body["chains"]] == [
        ("新能源汽车", "上游"),
        ("新能源汽车", svc.WHOLE_CHAIN),
    ]
    # the platform admin with a Suzhou filter sees Suzhou only
    body = client.get(
        "/api/v1/dashboard", params={"region": "3205"}, headers=token_for(w.emails["admin"])
    ).json()
    assert body["kpis"]["enterprises"] == 1 and [b["count"] for b in body["levels"]][3] == 1


def test_drafts_never_count(app, world, token_for, client, fw):
    _draft(app, world.emails["ent_admin"], world.orgs["ent_sz"], better_answers(fw))
    body = client.get("/api/v1/dashboard", headers=token_for(world.emails["sz_officer"])).json()
    assert body["kpis"]["enterprises"] == 2 and body["kpis"]["assessed"] == 0
    assert body["kpis"]["mean_total"] is None and body["gaps"] == []
    assert all(d["rate"] is None for d in body["dimensions"])


def test_invalid_filters(app, world, token_for, client):
    h = token_for(world.emails["sz_officer"])
    for params, field in (
        ({"framework": "nope-2024"}, "framework"),
        ({"region": "44a"}, "region"),
        ({"region": "1234567890123"}, "region"),
        ({"industry": "Z9"}, "industry"),
        ({"industry": "C34567"}, "industry"),
        ({"chain": "x" * 51}, "chain"),
    ):
        r = client.get("/api/v1/dashboard", params=params, headers=h)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["field"] == field, (params, r.json())
    r = client.get("/api/v1/dashboard", params={"chain": "a\x01b"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "chain"


def _credentials(app, account) -> dict[str, str]:
    """Token request of a demo account (officers answer their two-factor code)."""
    from tests.web.security.totp_support import fresh_code

    body = {"email": account.email, "password": account.password}
    if account.totp_secret:
        body["totp_code"] = fresh_code(app.state.session_factory, account.email)
    return body


def test_demo_park_matches_recomputation(app, client, fw, monkeypatch):
    from argon2 import PasswordHasher

    from nqpf.web import demo

    # cheap argon2 parameters for the ten demo accounts (verifying reads them from the hash)
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(demo, "hash_password", cheap.hash)
    seed_demo = demo.seed_demo
    with app.state.session_factory() as s:
        accounts = seed_demo(s, secret_key=app.state.settings.secret_key, n_enterprises=60)
    orgs = accounts.organizations
    cases = {
        "平台管理员": _visible_ids(app),
        "园区工作人员": _visible_ids(app, region="4403"),
        "省级主管部门人员": _visible_ids(app, region="44"),
        "外地主管部门人员": _visible_ids(app, region="3205"),
        "服务商成员": _visible_ids(app, provider=orgs["provider1"]),
    }
    filters = [{}, {"region": "440305"}, {"chain": "新能源汽车"}, {"industry": "C39"}]
    with app.state.session_factory() as s:
        for role, ids in cases.items():
            actor = _actor(s, accounts.by_role(role).email)
            for f in filters:
                data = svc.dashboard(s, actor, **f)
                _check(_as_dict(data), _recompute(app, fw, ids, **f))
        park = svc.dashboard(s, _actor(s, accounts.by_role("园区工作人员").email))
    assert park.kpis.assessed > 10 and park.movement.compared > 0 and park.gaps
    assert sum(c.enterprises for c in park.counties) == park.kpis.enterprises
    # the same numbers through the API (bearer token of the demo account)
    acc = accounts.by_role("园区工作人员")
    r = client.post("/api/v1/auth/token", json=_credentials(app, acc))
    token = {"Authorization": f"Bearer {r.json()['token']}"}
    body = client.get("/api/v1/dashboard", headers=token).json()
    _check(body, _recompute(app, fw, cases["园区工作人员"]))


def test_constant_number_of_queries(app, world, fw):
    """One query for the rows and one for the region options, whatever the data (no N+1)."""

    def count() -> int:
        statements: list[str] = []

        def spy(conn, cursor, statement, *args):
            statements.append(statement)

        with app.state.session_factory() as s:
            actor = _actor(s, world.emails["admin"])
            event.listen(app.state.engine, "before_cursor_execute", spy)
            try:
                svc.dashboard(s, actor, chain="高端装备")
            finally:
                event.remove(app.state.engine, "before_cursor_execute", spy)
        return len(statements)

    empty = count()
    for _ in range(2):
        _submit(app, world.emails["ent_admin"], world.orgs["ent_sz"], complete_answers(fw))
    _submit(app, world.emails["su_ent_admin"], world.orgs["ent_su"], complete_answers(fw))
    assert count() == empty == 2


def test_xlsx(app, assessed, token_for, client, login):
    w = assessed
    from openpyxl import load_workbook

    _set_profile(app, w.orgs["ent_sz"], chains=[{"chain": "=1+1", "stage": "中游"}])
    h = token_for(w.emails["sz_officer"])
    r = client.get("/api/v1/dashboard.xlsx", params={"region": "4403"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == SHEETS
    about = {row[0]: row[1] for row in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert about["地区筛选"] == "广东省深圳市（4403）" and about["产业链筛选"] == "全部"
    assert "广东 4403" in about["可见范围"] and "北京时间" in about["生成时间"]
    assert "数据性质" not in about  # not the demo park
    overview = {row[0]: row[1] for row in book["概览"].iter_rows(min_row=2, values_only=True)}
    assert overview["企业数"] == 2 and overview["已评测企业数"] == 2
    levels = [row[2] for row in book["等级分布"].iter_rows(min_row=2, values_only=True)]
    assert levels == [0, 2, 0, 0, 0]
    counties = {row[0]: row[2] for row in book["区县"].iter_rows(min_row=2, values_only=True)}
    assert counties == {"440305": 1, "440306": 1}
    names = {row[0]: row[1] for row in book["区县"].iter_rows(min_row=2, values_only=True)}
    assert names == {"440305": "南山区", "440306": "宝安区"}
    industries = [row[:2] for row in book["行业"].iter_rows(min_row=2, values_only=True)]
    assert ("C34", "通用设备制造业") in industries
    chain_cells = [c for row in book["产业链环节"].iter_rows(min_row=2) for c in row[:1]]
    formula = next(c for c in chain_cells if c.value == "=1+1")
    assert formula.data_type == "s"  # text, not a formula
    # the demo park's label, and the cookie session works for the download link too
    app.state.demo = True
    c = login(w.emails["su_officer"])
    r = c.get("/api/v1/dashboard.xlsx")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    about = {row[0]: row[1] for row in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert SYNTHETIC_LABEL in about["数据性质"]
    cells = [
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    ]
    assert not any("4403" in v for v in cells)


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def test_page_renders_charts_and_escapes(app, assessed, login):
    w = assessed
    _set_profile(
        app,
        w.orgs["ent_sz"],
        name=XSS,
        chains=[{"chain": XSS, "stage": "上游"}, {"chain": SQLI, "stage": "中游"}],
    )
    c = login(w.emails["sz_officer"])
    r = c.get("/dashboard")
    assert r.status_code == 200
    html = r.text
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SQLI not in html and "&#39;; DROP TABLE organization; --" in html
    svgs = _svgs(html)
    classes = [s.get("class") for s in svgs]
    assert "chart bars" in classes and "chart radar" in classes
    assert classes.count("chart stacked") == 8  # 4 chains: one stage and the total each
    bars = next(s for s in svgs if s.get("class") == "chart bars")
    ns = "{http://www.w3.org/2000/svg}"
    assert len(bars.findall(f"{ns}rect")) == 5
    titles = [t.text for s in svgs for t in s.iter(f"{ns}title")]
    assert any(t and t.startswith(f"{XSS} · 上游") for t in titles)
    for text in ("数字化转型监测", "二级及以上", "共性短板", "二级：总分需≥40", "T0 → 最新"):
        assert text in html
    assert "暂无已提交的评测" not in html
    assert 'href="/enterprises?region=440305"' in html
    assert 'href="/api/v1/dashboard.xlsx?framework=sme-digital-2024"' in html
    assert "吴中" not in html and "320506" not in html
    assert '<a href="/dashboard">监测</a>' in html
    # a chain filter from the query string is shown escaped; counts link to the list
    # filtered by the same chain
    r = c.get("/dashboard", params={"chain": XSS})
    assert r.status_code == 200 and XSS not in r.text
    assert "chain=%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in r.text
    assert len(_svgs(r.text)) >= 2
    # a bad filter re-renders the form with the message (422)
    r = c.get("/dashboard", params={"region": "44x"})
    assert r.status_code == 422 and "地区代码前缀" in r.text


def test_page_empty_state(app, world, login):
    c = login(world.emails["ent_member"])
    r = c.get("/dashboard")
    assert r.status_code == 200
    assert "暂无已提交的评测" in r.text
    # the tile map, then the 高端装备 rows
    assert [s.get("class") for s in _svgs(r.text)] == ["chart tile-map"] + ["chart stacked"] * 2
    c = login(world.emails["prov2_member"])
    r = c.get("/dashboard")
    assert r.status_code == 200 and "暂无已提交的评测" in r.text and "无可查看的企业" not in r.text


def test_anonymous_refused(client):
    assert client.get("/api/v1/dashboard").status_code == 401
    assert client.get("/api/v1/dashboard.xlsx").status_code == 401
    r = client.get("/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


# ------------------------------------------------------------------------- charts
def test_bar_svg_escapes_and_parses():
    svg = charts.bar_svg([XSS, "二级", SQLI], [3, None, float("nan")], title=XSS, unit="家")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("class") == "chart bars"
    assert XSS not in svg and "&lt;script&gt;" in svg
    assert [r.find(f"{ns}title").text for r in root.iter(f"{ns}rect")] == [
        f"{XSS}：3家",
        "二级：0家",
        f"{SQLI}：0家",
    ]
    ticks = [t.text for t in root.iter(f"{ns}text") if t.get("class") == "tick"]
    assert ticks == ["0", "1", "2", "3", "4"]  # counts: whole-number ticks
    root = ET.fromstring(charts.bar_svg(["a", "b"], [27, 100]))
    assert [t.text for t in root.iter(f"{ns}text") if t.get("class") == "tick"] == [
        "0",
        "25",
        "50",
        "75",
        "100",
    ]
    with pytest.raises(ValueError):
        charts.bar_svg(["a"], [1, 2])
    assert ET.fromstring(charts.bar_svg([], [])).get("class") == "chart bars"


def test_stacked_bar_svg():
    root = ET.fromstring(charts.stacked_bar_svg([("一级", 1), ("二级", 3), (XSS, 0)]))
    ns = "{http://www.w3.org/2000/svg}"
    segments = [r for r in root.iter(f"{ns}rect") if r.get("class") == "segment"]
    assert [float(s.get("width")) for s in segments] == [45.0, 135.0]
    empty = ET.fromstring(charts.stacked_bar_svg([("一级", 0)], title=XSS))
    assert [t.text for t in empty.iter(f"{ns}title")] == [XSS, "暂无数据"]


def test_gap_key():
    assert svc.gap_key("二级：总分需≥40，当前23.2（未满足）") == "二级：总分需≥40"
    assert svc.gap_key("二级：总分需≥40，当前43（已满足）") is None
    assert svc.gap_key("") is None


# ------------------------------------------------------- views (issue 13): chain, industry,
# park, peer benchmark — against direct SQL on the seeded demo park
def _demo_world(app, monkeypatch, n=60):
    from argon2 import PasswordHasher

    from nqpf.web import demo

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(demo, "hash_password", cheap.hash)
    with app.state.session_factory() as s:
        return demo.seed_demo(s, secret_key=app.state.settings.secret_key, n_enterprises=n)


def _sql_latest(app, fw):
    """enterprise id → (profile row, latest result, first result or None) by plain SQL."""
    import json as _json

    from sqlalchemy import text

    def load(v):
        return v if isinstance(v, dict | list) or v is None else _json.loads(v)

    with app.state.session_factory() as s:
        profiles = {
            r[0]: {"region": r[1], "industry": r[2], "size": r[3], "chains": load(r[4])}
            for r in s.execute(
                text("SELECT organization_id, region_code, industry, size_class, chains "
                     "FROM enterprise_profile")
            )
        }  # fmt: skip
        results = defaultdict(list)
        for eid, seq, result in s.execute(
            text("SELECT enterprise_id, seq, result FROM assessment WHERE status = 'submitted' "
                 "AND framework_id = :f AND framework_version = :v"),
            {"f": fw.id, "v": fw.version},
        ):  # fmt: skip
            results[eid].append((seq, load(result)))
    out = {}
    for eid, p in profiles.items():
        rs = sorted(results.get(eid, []), key=lambda t: t[0])
        out[eid] = (p, rs[-1][1] if rs else None, rs[0][1] if len(rs) > 1 else None)
    return out


def test_views_match_direct_sql(app, client, fw, monkeypatch):
    accounts = _demo_world(app, monkeypatch)
    acc = accounts.by_role("园区工作人员")
    r = client.post("/api/v1/auth/token", json=_credentials(app, acc))
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    rows = {k: v for k, v in _sql_latest(app, fw).items() if v[0]["region"].startswith("4403")}
    chain = "新能源汽车"
    members = {k: v for k, v in rows.items() if any(c["chain"] == chain for c in v[0]["chains"])}

    def expect(group_of):
        out = defaultdict(lambda: [0, 0, 0.0, [0] * 5, 0, 0])
        for _k, (p, last, first) in members.items():
            for g in group_of(p):
                e = out[g]
                e[0] += 1
                if last is not None:
                    e[1] += 1
                    e[2] += last["total"]
                    e[3][last["level"]] += 1
                    if first is not None:
                        e[4] += 1
                        e[5] += last["level"] > first["level"]
        return out

    def stages(p):
        return list(dict.fromkeys(c["stage"] for c in p["chains"] if c["chain"] == chain))

    modes = {
        "cluster": (stages, lambda g: g),
        "lead": (lambda p: ["lead"] if p["size"] == "large" else stages(p),
                 lambda g: "lead" if g == "龙头企业" else g.removeprefix("配套·")),
        "platform": (lambda p: ["platform"] if p["industry"].startswith("I") else stages(p),
                     lambda g: "platform" if g == "平台企业" else g.removeprefix("用户·")),
    }  # fmt: skip
    for mode, (group_of, key_of) in modes.items():
        body = client.get("/api/v1/dashboard/chain", params={"chain": chain, "mode": mode},
                          headers=h).json()  # fmt: skip
        exp = expect(group_of)
        labels = [row["label"] for row in body["rows"]]
        assert labels[:1] == {"platform": ["平台企业"]}.get(mode, ["配套·上游" if mode == "lead"
                                                                  else "上游"])  # fmt: skip
        for row in body["rows"]:
            e = exp.get(key_of(row["label"]), [0, 0, 0.0, [0] * 5, 0, 0])
            assert [row["enterprises"], row["assessed"], row["levels"]] == [e[0], e[1], e[3]], (
                mode,
                row["label"],
            )
            assert (row["compared"], row["up"]) == (e[4], e[5])
            if e[1]:
                assert row["mean_total"] == pytest.approx(e[2] / e[1])
                assert 1 <= len(row["weakest"]) <= 3
        assert sum(r["enterprises"] for r in body["rows"]) == sum(v[0] for v in exp.values())
    # industry view: the 大类 of 门类 C
    body = client.get("/api/v1/dashboard/industry", params={"industry": "C"}, headers=h).json()
    exp = defaultdict(lambda: [0, 0])
    for p, last, _f in rows.values():
        if p["industry"].startswith("C"):
            exp[p["industry"][:3]][0] += 1
            exp[p["industry"][:3]][1] += last is not None
    assert {r["key"]: [r["enterprises"], r["assessed"]] for r in body["rows"]} == dict(exp)
    assert all(not r["label"].startswith("未知") for r in body["rows"])


def test_park_carbon_matches_direct_sql(app, client, monkeypatch, login):
    import json as _json

    from sqlalchemy import text

    accounts = _demo_world(app, monkeypatch)
    acc = accounts.by_role("园区工作人员")
    r = client.post("/api/v1/auth/token", json=_credentials(app, acc))
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    body = client.get("/api/v1/dashboard/park", headers=h).json()
    year = body["year"]
    assert year is not None and body["years"][0] == year
    with app.state.session_factory() as s:
        sql = s.execute(
            text("SELECT p.industry, c.result, c.inputs FROM carbon_inventory c JOIN "
                 "enterprise_profile p ON p.organization_id = c.enterprise_id "
                 "WHERE c.year = :y AND p.region_code LIKE '4403%'"), {"y": year}
        ).all()  # fmt: skip

    def load(v):
        return v if isinstance(v, dict) else _json.loads(v)

    tco2 = sum(load(res)["e_total"] for _i, res, _inp in sql)
    tce = sum(load(res)["energy_tce"] for _i, res, _inp in sql)
    out_rows = [(load(res)["e_total"], load(inp)["output"]) for _i, res, inp in sql
                if load(inp).get("output")]  # fmt: skip
    assert body["total"]["n"] == len(sql) > 0
    assert body["total"]["tco2"] == pytest.approx(tco2)
    assert body["total"]["tce"] == pytest.approx(tce)
    assert body["total"]["co2_intensity"] == pytest.approx(
        sum(c for c, _o in out_rows) / sum(o for _c, o in out_rows)
    )
    by_ind = defaultdict(float)
    for ind, res, _inp in sql:
        by_ind[ind[:3]] += load(res)["e_total"]
    assert {g["key"]: g["tco2"] for g in body["industries"]} == pytest.approx(dict(by_ind))
    assert [g["tco2"] for g in body["industries"]] == sorted(by_ind.values(), reverse=True)
    assert all(not g["label"].startswith("未知") for g in body["industries"])
    # the page lists the enterprises by emissions a page at a time (here 3), ranked on
    monkeypatch.setattr("nqpf.web.routes.dashboard.PARK_PAGE_ROWS", 3)
    names = [e["name"] for e in body["enterprises"]]
    assert len(names) > 6
    c = login(acc.email, acc.password)
    page = c.get("/dashboard/park", params={"page": 2}).text
    shown = re.findall(r'<td class="n">(\d+)</td><td><a href="/enterprises/\d+/carbon">([^<]*)</a>', page)
    assert shown == [(str(i + 1), html.escape(names[i])) for i in (3, 4, 5)]
    assert f"第 2 / {-(-len(names) // 3)} 页" in page
    last = c.get("/dashboard/park", params={"page": 99_999}).text  # past the end: the last
    assert html.escape(names[-1]) in last and html.escape(names[0]) not in last
    # an authority of another region sees none of these inventories
    other = accounts.by_role("外地主管部门人员")
    r = client.post("/api/v1/auth/token", json=_credentials(app, other))
    body = client.get("/api/v1/dashboard/park", params={"region": "4403"},
                      headers={"Authorization": f"Bearer {r.json()['token']}"}).json()  # fmt: skip
    assert body["total"]["n"] == 0 and body["enterprises"] == []


def test_benchmark_against_scipy_and_sql(app, client, fw, monkeypatch, login):
    import numpy as np
    from scipy.stats import percentileofscore

    from nqpf.services.assess_rollup import peer_distribution

    # the convention: scipy's mid-rank percentile ("mean") and numpy's linear quantiles
    rng = np.random.default_rng(7)
    for n in (5, 6, 17):
        x = rng.integers(0, 10, n).astype(float)  # ties on purpose
        for own in (-1.0, 0.0, 4.0, 9.0, 11.0):
            d = peer_distribution(list(x), own)
            assert d["percentile"] == pytest.approx(percentileofscore(x, own, kind="mean"))
            assert d["median"] == pytest.approx(np.median(x))
    assert peer_distribution([1.0] * 4, 1.0)["suppressed"] is True
    accounts = _demo_world(app, monkeypatch)
    rows = _sql_latest(app, fw)
    assessed = [
        k for k, v in rows.items() if v[1] is not None and v[0]["region"].startswith("4403")
    ]
    eid = assessed[0]
    p, last, _f = rows[eid]
    acc = accounts.by_role("园区工作人员")
    r = client.post("/api/v1/auth/token", json=_credentials(app, acc))
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    body = client.get(f"/api/v1/dashboard/benchmark/{eid}", headers=h).json()
    peers = [
        v[1]["total"]
        for k, v in rows.items()
        if k != eid and v[1] is not None and v[0]["industry"][:3] == p["industry"][:3]
    ]
    total = body["rows"][0]
    assert total["measure"] == "总分" and total["own"] == pytest.approx(last["total"])
    assert total["industry"]["n"] == len(peers)
    if len(peers) >= 5:
        assert total["industry"]["percentile"] == pytest.approx(
            percentileofscore(peers, last["total"], kind="mean")
        )
        assert total["industry"]["median"] == pytest.approx(np.median(peers))
    else:
        assert total["industry"]["suppressed"] and total["industry"]["median"] is None
    region_peers = [
        v[1]["total"]
        for k, v in rows.items()
        if k != eid and v[1] is not None and v[0]["region"][:4] == p["region"][:4]
    ]
    assert total["region"]["n"] == len(region_peers) >= 5
    assert total["region"]["p25"] == pytest.approx(np.quantile(region_peers, 0.25))
    # the page renders; an authority of another region gets 404 (never a peer's number)
    other = accounts.by_role("外地主管部门人员")
    r = client.post("/api/v1/auth/token", json=_credentials(app, other))
    r = client.get(f"/api/v1/dashboard/benchmark/{eid}",
                   headers={"Authorization": f"Bearer {r.json()['token']}"})  # fmt: skip
    assert r.status_code == 404
    c = login(acc.email, acc.password)
    page = c.get(f"/dashboard/benchmark/{eid}")
    assert page.status_code == 200 and "同行对标" in page.text and "百分位" in page.text
    for url in ("/dashboard/chain?mode=lead", "/dashboard/industry?industry=C", "/dashboard/park"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert "data-export" in r.text
    assert c.get("/dashboard/chain", params={"mode": "x"}).status_code == 422


# ------------------------------------------------ the latest result's summary (issue 13 speed)
def _summaries(app):
    from nqpf.web.models import AssessmentLatest

    with app.state.session_factory() as s:
        return {r.enterprise_id: r for r in s.scalars(select(AssessmentLatest))}


def _expected_summary(fw, last, first):
    """What the roll-up reads of a latest (and first) stored result, computed here from the
    JSON alone: level, total, dimension points and scene levels by name, unmet
    conditions."""
    return {
        "level": last["level"],
        "total": pytest.approx(last["total"]),
        "level_name": last["level_name"],
        "dims": pytest.approx({d.name: last["dimensions"][d.name] for d in fw.scored_dimensions}),
        "scenes": pytest.approx({s.id: last["scenes"][s.id] for s in fw.scenes}),
        "gaps": sorted({g for m in last["next_level"] if (g := _gap(m))}),
        "first": None if first is None else (first["level"], pytest.approx(first["total"])),
    }


def _got_summary(fw, row):
    import json as _json

    return {
        "level": row.level,
        "total": row.total,
        "level_name": row.level_name,
        "dims": {d.name: getattr(row, f"dim_{i}") for i, d in enumerate(fw.scored_dimensions, 1)},
        "scenes": {s.id: getattr(row, f"scene_{i}") for i, s in enumerate(fw.scenes, 1)},
        "gaps": _json.loads(row.gaps),
        "first": None if row.first_level is None else (row.first_level, row.first_total),
    }


def test_summary_equals_the_stored_json_of_every_demo_assessment(app, fw, monkeypatch):
    from nqpf.services.assess_rollup import summary_fits
    from nqpf.web.services.assessments import available_frameworks

    assert all(summary_fits(f) for f in available_frameworks().values())
    _demo_world(app, monkeypatch)
    expected = {k: v for k, v in _sql_latest(app, fw).items() if v[1] is not None}
    got = _summaries(app)
    assert len(expected) > 20 and set(got) == set(expected)
    assert sum(1 for _p, _l, first in expected.values() if first is not None) > 5
    for eid, (_p, last, first) in expected.items():
        assert _got_summary(fw, got[eid]) == _expected_summary(fw, last, first), eid


def test_summary_follows_resubmission_and_ignores_drafts(app, world, fw):
    e, ent = world.emails, world.orgs["ent_sz"]
    first_id = _submit(app, e["ent_admin"], ent, better_answers(fw))
    row = _summaries(app)[ent]
    assert (row.assessment_id, row.seq, row.level, row.first_level) == (first_id, 0, 3, None)
    assert row.total == pytest.approx(100.0) and row.level_name == "三级"
    second_id = _submit(app, e["ent_admin"], ent, complete_answers(fw))
    _draft(app, e["ent_admin"], ent, better_answers(fw))
    row = _summaries(app)[ent]  # superseded in the submit's transaction; the draft not counted
    assert (row.assessment_id, row.seq, row.level) == (second_id, 1, 1)
    assert row.total == pytest.approx(23.2)
    assert (row.first_level, row.first_total) == (3, pytest.approx(100.0))
    assert "二级：总分需≥40" in row.gaps
    assert set(_summaries(app)) == {ent}  # enterprises never assessed have no row


def test_migration_back_fills_what_submit_writes(app, monkeypatch):
    """Down to the revision before the summary and up again: the migration's back-fill of
    the demo park equals the rows the platform wrote."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from nqpf.web.db import alembic_config, upgrade_database
    from nqpf.web.models import AssessmentLatest

    def rows():
        with app.state.session_factory() as s:
            return sorted(
                tuple(getattr(r, c.key) for c in AssessmentLatest.__table__.c if c.key != "id")
                for r in s.scalars(select(AssessmentLatest))
            )

    _demo_world(app, monkeypatch)
    # the TOTP migration (0010) opens and seals the demo's secrets with the app's key
    monkeypatch.setenv("NQPF_SECRET_KEY", app.state.settings.secret_key)
    written = rows()
    url = app.state.engine.url.render_as_string(hide_password=False)
    config = alembic_config(url)
    mine = next(
        r for r in ScriptDirectory.from_config(config).walk_revisions()
        if r.path.endswith("_latest_results.py")
    )  # fmt: skip
    app.state.engine.dispose()
    command.downgrade(config, mine.down_revision)
    upgrade_database(url)
    assert len(written) > 20 and rows() == written
