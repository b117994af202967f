"""SQL/HTML/template injection sweep over EVERY text field the platform accepts.

Every text field of every API body (walked from the OpenAPI schema, nested ones such as
``chains[].chain`` and the keys/values of ``answers`` included) and of every page form
(the route's form parameters plus the fields of the rendered forms) must be in
:data:`FIELDS` (how to submit it in an otherwise valid request, how to read the stored
value back, which pages show it) or in :data:`SKIP` (with the reason).  A new field fails
the sweep, naming it.  Likewise every ``str`` query parameter of a GET route must be in
:data:`QUERY` and every download route in :data:`DOWNLOADS`.

Each field gets :data:`PAYLOADS` (script/img tags, SQL, Jinja, NUL and control
characters, a right-to-left override, max_length + 1 characters; those of one kind combined
in one value where the field is long enough, see :data:`PAYLOAD_GROUPS`).  The answer must be
either a success, after which the value reads back verbatim through the API and every
page showing it contains it only HTML-escaped; or a 4xx naming the field (JSON ``field``
/ an error on the re-rendered page) with nothing written (row counts, the rows' contents
and ``audit_event`` unchanged).  Never a 5xx.  Afterwards ``organization`` still exists
and holds exactly the expected rows.

Each backend (SQLite, PostgreSQL via ``db_url``) runs the sweep in few tests that collect
every problem and report them together; PostgreSQL gets the payloads whose handling
depends on the database (:data:`DB_PAYLOADS` and the over-long value), SQLite all of them.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import markupsafe
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, inspect, select
from tests.web.answers import complete_answers
from tests.web.security.totp_support import fresh_code
from tests.web.world import PASSWORD, credit_code

from nqpf.assessment import load_framework
from nqpf.web.authz import load_actor
from nqpf.web.models import (
    ApiToken,
    Assessment,
    AuditEvent,
    CarbonInventory,
    EnterpriseProfile,
    Membership,
    Organization,
    Share,
    User,
)
from nqpf.web.services import assessments as assessment_service
from nqpf.web.services import carbon as carbon_service

FW = "sme-digital-2024"
OK = frozenset({200, 201, 204, 303})
REJECT = frozenset({400, 409, 413, 422})

PAYLOADS: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "attr": "' autofocus onfocus=alert(1) x='",
    "sql-drop": "'; DROP TABLE organization; --",
    "sql-or": "' OR '1'='1",
    "sql-comment": "x'/**/OR/**/1=1--",
    "jinja": "{{7*7}}",
    "jinja-config": "{{ config }}{% if 1 %}jinja-if{% endif %}{# c #}",
    "nul": "a\x00b",
    "control": "a\x1b[31mb\x07",
    "newline": "a\r\nb",
    "rlo": "abc\u202etxt.exe",
    "formula": '=HYPERLINK("http://x.test","a")',
}
QUERY_EXTRA = {"percent": "%", "underscore": "_", "backslash": "\\"}
RAW_MARKERS = ("<script>alert(1)", "<img src=x", "onfocus=alert(1) x='")
ERROR_MARK = re.compile(r'class="(?:field-error|error)"[^>]*>\s*[^<\s]')


# Payloads of one kind go in one value where the field's length allows (a page that
# escapes the combined value escapes each part; a refusal is checked like any other);
# a shorter field gets the parts one by one.
PAYLOAD_GROUPS: dict[str, tuple[str, ...]] = {
    "html": ("script", "img", "attr"),
    "sql": ("sql-drop", "sql-or", "sql-comment"),
    "jinja": ("jinja", "jinja-config"),
}
# What the database sees: how the driver binds quotes, NUL and control characters, and
# column lengths (PostgreSQL enforces VARCHAR(n), SQLite does not).  Escaping on pages and
# templates does not depend on the backend, so the second backend gets only these.
DB_PAYLOADS = frozenset(
    {"sql", "sql-drop", "sql-or", "sql-comment", "nul", "control", "newline", "rlo"}
)


def _grouped(max_len: int) -> Iterator[tuple[str, str]]:
    for group, members in PAYLOAD_GROUPS.items():
        combined = "".join(PAYLOADS[m] for m in members)
        if len(combined) <= max_len:
            yield group, combined
        else:
            yield from ((m, PAYLOADS[m]) for m in members)
    grouped = {m for members in PAYLOAD_GROUPS.values() for m in members}
    yield from ((k, v) for k, v in PAYLOADS.items() if k not in grouped)


def payloads(max_len: int, backend: str = "sqlite") -> Iterator[tuple[str, str]]:
    for label, value in _grouped(max_len):
        if backend == "sqlite" or label in DB_PAYLOADS:
            yield label, value
    yield "long", "x" * (max_len + 1)


# ------------------------------------------------------------------------------ context


@dataclass
class Ctx:
    app: Any
    client: Any  # anonymous TestClient (bearer requests)
    cookie: dict[str, Any]  # name → signed-in TestClient
    bearer: dict[str, dict[str, str]]
    ids: dict[str, Any]
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def n(self) -> int:
        return next(self.counter)

    def new_code(self) -> str:
        return credit_code(f"91440305MA5{self.n():06d}")

    def api(self, method: str, url: str, who: str = "admin", **kw: Any) -> Any:
        return self.client.request(method, url, headers=self.bearer[who], **kw)

    def form(self, url: str, data: dict[str, Any], who: str = "admin", **kw: Any) -> Any:
        c = self.cookie[who]
        return c.post(url, data={**data, "csrf_token": c.csrf}, follow_redirects=False, **kw)

    def page(self, url: str, who: str = "admin") -> Any:
        return self.cookie[who].get(url, follow_redirects=False)


def _id_from_location(r: Any) -> int:
    return int(re.search(r"/(\d+)(?:[/?#]|$)", r.headers["location"]).group(1))


# --------------------------------------------------------------------------- field specs


@dataclass(frozen=True)
class Spec:
    """How to submit one text field and where its stored value shows up."""

    send: Callable[[Ctx, str], Any]
    max_len: int
    fields: tuple[str, ...]  # accepted error field names (API ``field`` / form field)
    stored: Callable[[Ctx, Any], Any] | None = None  # the stored value after a success
    shown: Callable[[Ctx, Any], list[str]] = lambda ctx, r: []  # pages showing it
    transform: Callable[[str, str, Ctx], str] = lambda p, label, ctx: p  # value sent
    normal: Callable[[str], Any] = lambda v: v  # expected stored value of what was sent
    reject: frozenset[int] = REJECT
    viewer: str = "admin"
    display: Callable[[Any], str] = lambda v: v  # the text pages show of the stored value
    any_field: bool = False  # the error may name another field (e.g. credentials)
    audited_refusal: bool = False  # the refusal itself is audited (failed sign-ins, ASVS V7)


# -- enterprises

BASE_ENTERPRISE = {
    "industry": "C3484",
    "region_code": "440305",
    "size_class": "small",
}


def _ent_body(ctx: Ctx, fld: str, value: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"注入测试企业{ctx.n()}",
        "credit_code": ctx.new_code(),
        **BASE_ENTERPRISE,
        "chains": [{"chain": "高端装备", "stage": "中游"}],
    }
    if fld.startswith("chains[]."):
        body["chains"][0][fld.split(".", 1)[1]] = value
    else:
        body[fld] = value
    return body


def _ent_value(data: dict[str, Any], fld: str) -> Any:
    if fld.startswith("chains[]."):
        chains = data["chains"]
        return chains[0][fld.split(".", 1)[1]] if chains else None
    return data[fld]


def _ent_pages(eid: int, code: str, name: bool = True) -> list[str]:
    pages = [
        f"/enterprises/{eid}",
        f"/enterprises/{eid}/edit",
        f"/enterprises?q={code}",
        "/admin/audit?object_type=enterprise",
    ]
    return [*pages, f"/enterprises/{eid}/assessments"] if name else pages


def _api_create_enterprise(fld: str) -> Spec:
    return Spec(
        send=lambda ctx, v: ctx.api("POST", "/api/v1/enterprises", json=_ent_body(ctx, fld, v)),
        max_len={"name": 200, "credit_code": 24, "industry": 8, "region_code": 16}.get(
            fld.split(".")[-1], 50
        ),
        fields=(fld, "chains") if fld.startswith("chains") else (fld,),
        stored=lambda ctx, r: _ent_value(
            ctx.api("GET", f"/api/v1/enterprises/{r.json()['id']}").json(), fld
        ),
        shown=lambda ctx, r: _ent_pages(r.json()["id"], r.json()["credit_code"], fld == "name"),
    )


def _api_patch_enterprise(fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        body: dict[str, Any]
        if fld.startswith("chains[]."):
            chain = {"chain": "高端装备", "stage": "中游", fld.split(".", 1)[1]: v}
            body = {"chains": [chain]}
        else:
            body = {fld: v}
        return ctx.api("PATCH", f"/api/v1/enterprises/{ctx.ids['ent_sz']}", json=body)

    return Spec(
        send=send,
        max_len={"name": 200, "credit_code": 24, "industry": 8, "region_code": 16}.get(
            fld.split(".")[-1], 50
        ),
        fields=(fld, "chains") if fld.startswith("chains") else (fld,),
        stored=lambda ctx, r: _ent_value(
            ctx.api("GET", f"/api/v1/enterprises/{ctx.ids['ent_sz']}").json(), fld
        ),
        shown=lambda ctx, r: _ent_pages(ctx.ids["ent_sz"], ctx.ids["ent_sz_code"], fld == "name"),
    )


def _form_ent_values(ctx: Ctx, fld: str, value: str, code: str | None = None) -> dict[str, str]:
    data = {
        "name": f"注入测试企业{ctx.n()}",
        "credit_code": code or ctx.new_code(),
        "industry": "C3484",
        "region_code": "440305",
        "size_class": "small",
        "chains": "高端装备:中游",
    }
    data[fld] = value
    return data


def _chains_text(ctx: Ctx, eid: int) -> str:
    chains = ctx.api("GET", f"/api/v1/enterprises/{eid}").json()["chains"]
    return ";".join(f"{c['chain']}:{c['stage']}" for c in chains)


def _page_ent_stored(fld: str) -> Callable[[Ctx, int], Any]:
    def stored(ctx: Ctx, eid: int) -> Any:
        if fld == "chains":
            return _chains_text(ctx, eid)
        return ctx.api("GET", f"/api/v1/enterprises/{eid}").json()[fld]

    return stored


def _chain_transform(p: str, label: str, ctx: Ctx) -> str:
    return p if label == "long" else f"{p}:中游"


def _page_create_enterprise(fld: str) -> Spec:
    stored = _page_ent_stored(fld)
    return Spec(
        send=lambda ctx, v: ctx.form("/enterprises/new", _form_ent_values(ctx, fld, v)),
        max_len={"name": 200, "chains": 4000}.get(fld, 1000),
        fields=(fld,),
        stored=lambda ctx, r: stored(ctx, _id_from_location(r)),
        shown=lambda ctx, r: _ent_pages(
            _id_from_location(r),
            ctx.api("GET", f"/api/v1/enterprises/{_id_from_location(r)}").json()["credit_code"],
            fld == "name",
        ),
        transform=_chain_transform if fld == "chains" else (lambda p, label, ctx: p),
        display=(lambda v: v.rsplit(":", 1)[0]) if fld == "chains" else (lambda v: v),
    )


def _page_edit_enterprise(fld: str) -> Spec:
    stored = _page_ent_stored(fld)
    return Spec(
        send=lambda ctx, v: ctx.form(
            f"/enterprises/{ctx.ids['ent_sz']}/edit",
            _form_ent_values(ctx, fld, v, code=ctx.ids["ent_sz_code"]),
        ),
        max_len={"name": 200, "chains": 4000}.get(fld, 1000),
        fields=(fld,),
        stored=lambda ctx, r: stored(ctx, ctx.ids["ent_sz"]),
        shown=lambda ctx, r: _ent_pages(ctx.ids["ent_sz"], ctx.ids["ent_sz_code"], fld == "name"),
        transform=_chain_transform if fld == "chains" else (lambda p, label, ctx: p),
        display=(lambda v: v.rsplit(":", 1)[0]) if fld == "chains" else (lambda v: v),
    )


# -- organizations and members


def _org_pages(oid: int) -> list[str]:
    return [f"/admin/organizations/{oid}", "/admin", "/admin/audit?object_type=organization"]


def _org_body(fld: str, v: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "注入测试组织", "kind": "provider"}
    if fld == "region_scope":
        body["kind"] = "authority"
    body[fld] = v
    return body


def _api_create_org(fld: str) -> Spec:
    return Spec(
        send=lambda ctx, v: ctx.api("POST", "/api/v1/organizations", json=_org_body(fld, v)),
        max_len={"name": 200, "region_scope": 12}.get(fld, 32),
        fields=(fld,),
        stored=lambda ctx, r: ctx.api("GET", f"/api/v1/organizations/{r.json()['id']}").json()[fld],
        shown=lambda ctx, r: _org_pages(r.json()["id"]),
    )


def _page_create_org(fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        data = {"name": "注入测试组织", "kind": "provider", "region_scope": ""}
        if fld == "region_scope":
            data["kind"] = "authority"
        data[fld] = v
        return ctx.form("/admin/organizations", data)

    return Spec(
        send=send,
        max_len={"name": 200, "region_scope": 12}.get(fld, 32),
        fields=(fld,),
        stored=lambda ctx, r: ctx.api(
            "GET", f"/api/v1/organizations/{_id_from_location(r)}"
        ).json()[fld],
        shown=lambda ctx, r: _org_pages(_id_from_location(r)),
    )


def _email_transform(p: str, label: str, ctx: Ctx) -> str:
    """Payloads inside the local part of an otherwise well-formed address (unique)."""
    if label == "long":
        return "x" * 64 + "@" + "y" * 186 + ".test"  # 255 characters
    return f"{p}{ctx.n()}@inj.test"


def _member_body(ctx: Ctx, fld: str, v: str) -> dict[str, Any]:
    body = {
        "email": f"member{ctx.n()}@inj.test",
        "display_name": "注入测试成员",
        "password": "inj-test-pass-1",
        "role": "member",
    }
    body[fld] = v
    return body


def _member_value(ctx: Ctx, fld: str, user_id: int | None, email: str | None = None) -> Any:
    rows = ctx.api("GET", f"/api/v1/organizations/{ctx.ids['prov']}/members").json()
    for m in rows:
        if m["user_id"] == user_id or (email is not None and m["email"] == email):
            return m[fld]
    return None


def _member_pages(ctx: Ctx, fld: str) -> list[str]:
    kind = "user" if fld == "display_name" else "membership"
    return [f"/admin/organizations/{ctx.ids['prov']}", f"/admin/audit?object_type={kind}"]


def _api_add_member(fld: str) -> Spec:
    return Spec(
        send=lambda ctx, v: ctx.api(
            "POST",
            f"/api/v1/organizations/{ctx.ids['prov']}/members",
            json=_member_body(ctx, fld, v),
        ),
        max_len={"email": 254, "display_name": 100}.get(fld, 32),
        fields=(fld,),
        stored=lambda ctx, r: _member_value(ctx, fld, r.json()["user_id"]),
        shown=lambda ctx, r: _member_pages(ctx, fld),
        transform=_email_transform if fld == "email" else (lambda p, label, ctx: p),
        normal=(lambda v: v.strip().lower()) if fld == "email" else (lambda v: v),
    )


def _page_add_member(fld: str) -> Spec:
    sent: dict[str, str] = {}

    def send(ctx: Ctx, v: str) -> Any:
        data = _member_body(ctx, fld, v)
        sent.update(data)
        return ctx.form(f"/admin/organizations/{ctx.ids['prov']}/members", data)

    return Spec(
        send=send,
        max_len={"email": 254, "display_name": 100}.get(fld, 32),
        fields=(fld,),
        stored=lambda ctx, r: _member_value(ctx, fld, None, sent["email"].strip().lower()),
        shown=lambda ctx, r: _member_pages(ctx, fld),
        transform=_email_transform if fld == "email" else (lambda p, label, ctx: p),
        normal=(lambda v: v.strip().lower()) if fld == "email" else (lambda v: v),
    )


def _api_change_role() -> Spec:
    return Spec(
        send=lambda ctx, v: ctx.api(
            "PATCH",
            f"/api/v1/organizations/{ctx.ids['ent_sz']}/members/{ctx.ids['ent_member']}",
            json={"role": v},
        ),
        max_len=32,
        fields=("role",),
    )


def _page_change_role() -> Spec:
    return Spec(
        send=lambda ctx, v: ctx.form(
            f"/admin/organizations/{ctx.ids['ent_sz']}/members/{ctx.ids['ent_member']}/role",
            {"role": v},
        ),
        max_len=32,
        fields=("role",),
    )


# -- sign-in and tokens


def _token_name_stored(ctx: Ctx, r: Any) -> Any:
    events = ctx.api("GET", "/api/v1/audit?object_type=api_token&per_page=1").json()["items"]
    return events[0]["after"]["name"] if events else None


def _login_form(ctx: Ctx, data: dict[str, str]) -> Any:
    c = ctx.cookie["anonymous"]
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return c.post("/login", data={**data, "csrf_token": token}, follow_redirects=False)


# -- assessments


def _draft_revision(ctx: Ctx) -> int:
    return ctx.api("GET", f"/api/v1/assessments/{ctx.ids['draft']}", who="ent_admin").json()[
        "revision"
    ]


def _patch_answers(ctx: Ctx, answers: dict[str, Any]) -> Any:
    return ctx.api(
        "PATCH",
        f"/api/v1/assessments/{ctx.ids['draft']}",
        who="ent_admin",
        json={"revision": _draft_revision(ctx), "answers": answers},
    )


def _questionnaire_data(ctx: Ctx, fld: str, v: str) -> dict[str, str]:
    q = ctx.ids["questions"]
    if fld == "revision":
        return {"revision": v}
    return {
        "revision": str(_draft_revision(ctx)),
        f"a.{q['number']}": v,
        f"a.{q['single']}": v,
        f"a.{q['multi']}": v,
        f"a.{q['scene']}": v,
        **({f"a.{q['form_field']}": v} if q.get("form_field") else {}),
    }


def _questionnaire_spec(route: str, fld: str) -> Spec:
    return Spec(
        send=lambda ctx, v: ctx.form(
            f"/assessments/{ctx.ids['draft']}/{route}",
            _questionnaire_data(ctx, fld, v),
            who="ent_admin",
        ),
        max_len=200 if fld != "revision" else 9,
        fields=("revision",) if fld == "revision" else (),
        any_field=fld != "revision",  # names the question (a dynamic id)
        viewer="ent_admin",
    )


def _import_spec(api: bool, fld: str) -> Spec:
    text = (
        "企业名称,统一社会信用代码,行业代码,地区代码,规模,产业链\n"
        "模式字段测试有限公司,{code},C3484,440305,小型,高端装备:中游\n"
    )

    def send(ctx: Ctx, v: str) -> Any:
        files = {"file": ("i.csv", text.format(code=ctx.new_code()).encode(), "text/csv")}
        data = {"mode": "valid_only", "dry_run": "false" if api else ""}
        data[fld] = v
        if api:
            return ctx.client.post(
                "/api/v1/enterprises/import", headers=ctx.bearer["admin"], data=data, files=files
            )
        return ctx.form("/enterprises/import", data, files=files)

    return Spec(send=send, max_len=20, fields=(fld,))


# -- carbon inventories (ent_admin on ent_sz, the inventory made in _setup)

CARBON_YEAR = 2023
CARBON_RECORD = {"carrier": "电力", "quantity": 100.0, "unit": "MWh"}


def _carbon_inputs(ctx: Ctx) -> dict[str, Any]:
    r = ctx.api("GET", f"/api/v1/carbon/{ctx.ids['carbon']}", who="ent_admin")
    return r.json()


def _carbon_pages(ctx: Ctx) -> list[str]:
    return [f"/carbon/{ctx.ids['carbon']}", f"/enterprises/{ctx.ids['ent_sz']}/carbon"]


def _carbon_value(ctx: Ctx, fld: str) -> Any:
    """The stored input of an API body / page form field (``records[0]`` for row fields)."""
    inputs = _carbon_inputs(ctx)["inputs"]
    name = {"carrier": "records[].carrier", "unit": "records[].unit", "grid_value": "grid_factor"}
    fld = name.get(fld, fld)
    if fld.startswith("records[]."):
        records = inputs.get("records") or [{}]
        return records[0].get(fld.split(".", 1)[1])
    return inputs.get(fld)


def _api_save_carbon(fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        record: dict[str, Any] = dict(CARBON_RECORD)
        body: dict[str, Any] = {
            "revision": _carbon_inputs(ctx)["revision"],
            "year": CARBON_YEAR,
            "region": "44",
            "grid_factor": "national",
            "records": [record],
        }
        if fld.startswith("records[]."):
            record[fld.split(".", 1)[1]] = v
        else:
            body[fld] = v
        return ctx.api("PUT", f"/api/v1/carbon/{ctx.ids['carbon']}", who="ent_admin", json=body)

    # the service names a row field records[<i>].carrier; the body validation records.0.carrier
    row_field = fld.replace("[]", "[0]")
    return Spec(
        send=send,
        max_len={"records[].unit": 20}.get(fld, 40),
        fields=(fld, row_field) if fld != row_field else (fld,),
        stored=lambda ctx, r: _carbon_value(ctx, fld),
        shown=lambda ctx, r: _carbon_pages(ctx),
        viewer="ent_admin",
    )


CARBON_FORM_LIMITS = {"year": 10, "revision": 12, "grid_mode": 20, "unit": 20, "quantity": 40,
                      "grid_value": 40}  # fmt: skip
CARBON_STORED = ("region", "grid_value", "carrier", "unit")  # closed choices, shown if stored


def _page_save_carbon(fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        data = {
            "revision": str(_carbon_inputs(ctx)["revision"]),
            "year": str(CARBON_YEAR),
            "region": "44",
            "grid_mode": "user" if fld == "grid_value" else "national",
            "grid_value": "0.5",
            "carrier": CARBON_RECORD["carrier"],
            "quantity": "100",
            "unit": CARBON_RECORD["unit"],
            "output": "",
            "revenue": "",
            "process_emissions": "",
        }
        data[fld] = v
        return ctx.form(f"/carbon/{ctx.ids['carbon']}/save", data, who="ent_admin")

    return Spec(
        send=send,
        max_len=CARBON_FORM_LIMITS.get(fld, 100),
        fields=(fld,),
        # numbers, the year, the revision and grid_mode are never stored as text: refused
        stored=(lambda ctx, r: _carbon_value(ctx, fld)) if fld in CARBON_STORED else None,
        shown=lambda ctx, r: _carbon_pages(ctx),
        viewer="ent_admin",
    )


# ------------------------------------------------------------------------------- tables

E = "/api/v1/enterprises"
FIELDS: dict[tuple[str, str, str], Spec] = {
    # -- API bodies
    **{("POST", E, f): _api_create_enterprise(f) for f in (
        "name", "credit_code", "industry", "region_code", "size_class", "chains[].chain",
        "chains[].stage")},
    **{("PATCH", E + "/{enterprise_id}", f): _api_patch_enterprise(f) for f in (
        "name", "credit_code", "industry", "region_code", "size_class", "chains[].chain",
        "chains[].stage")},
    ("POST", E + "/import", "mode"): _import_spec(True, "mode"),
    ("POST", E + "/{enterprise_id}/assessments", "framework"): Spec(
        send=lambda ctx, v: ctx.api(
            "POST", f"{E}/{ctx.ids['ent_sz']}/assessments", who="ent_admin",
            json={"framework": v}),
        max_len=100, fields=("framework",)),
    ("PATCH", "/api/v1/assessments/{assessment_id}", "answers{key}"): Spec(
        send=lambda ctx, v: _patch_answers(ctx, {v: "A"}), max_len=64, fields=(),
        any_field=True),  # the error names the unknown key itself
    ("PATCH", "/api/v1/assessments/{assessment_id}", "answers{}"): Spec(
        send=lambda ctx, v: _patch_answers(ctx, {ctx.ids["questions"]["single"]: v}),
        max_len=200, fields=(), any_field=True),
    ("PATCH", "/api/v1/assessments/{assessment_id}", "answers{}[]"): Spec(
        send=lambda ctx, v: _patch_answers(ctx, {ctx.ids["questions"]["multi"]: [v]}),
        max_len=64, fields=(), any_field=True),
    ("POST", "/api/v1/organizations", "name"): _api_create_org("name"),
    ("POST", "/api/v1/organizations", "kind"): _api_create_org("kind"),
    ("POST", "/api/v1/organizations", "region_scope"): _api_create_org("region_scope"),
    ("POST", "/api/v1/organizations/{organization_id}/members", "email"): _api_add_member(
        "email"),
    ("POST", "/api/v1/organizations/{organization_id}/members", "display_name"): (
        _api_add_member("display_name")),
    ("POST", "/api/v1/organizations/{organization_id}/members", "role"): _api_add_member("role"),
    ("PATCH", "/api/v1/organizations/{organization_id}/members/{user_id}", "role"): (
        _api_change_role()),
    ("POST", "/api/v1/auth/token", "name"): Spec(
        send=lambda ctx, v: ctx.client.post(
            "/api/v1/auth/token",
            json={"email": "admin@nqpf.test", "password": PASSWORD, "name": v,
                  "totp_code": fresh_code(ctx.app.state.session_factory, "admin@nqpf.test")}),
        max_len=100, fields=("name",), stored=_token_name_stored,
        shown=lambda ctx, r: ["/admin/audit?object_type=api_token"]),
    ("POST", "/api/v1/auth/token", "email"): Spec(
        send=lambda ctx, v: ctx.client.post(
            "/api/v1/auth/token", json={"email": v, "password": PASSWORD}),
        max_len=254, fields=("email",), reject=REJECT | {401}, any_field=True,
        audited_refusal=True),
    # -- pages
    **{("POST", "/enterprises/new", f): _page_create_enterprise(f) for f in (
        "name", "credit_code", "industry", "region_code", "size_class", "chains")},
    **{("POST", "/enterprises/{enterprise_id}/edit", f): _page_edit_enterprise(f) for f in (
        "name", "credit_code", "industry", "region_code", "size_class", "chains")},
    ("POST", "/enterprises/import", "mode"): _import_spec(False, "mode"),
    ("POST", "/enterprises/{enterprise_id}/assessments", "framework"): Spec(
        send=lambda ctx, v: ctx.form(
            f"/enterprises/{ctx.ids['ent_sz']}/assessments", {"framework": v}, who="ent_admin"),
        max_len=100, fields=("framework",), viewer="ent_admin"),
    ("POST", "/assessments/{assessment_id}/save", "a.*"): _questionnaire_spec("save", "a.*"),
    ("POST", "/assessments/{assessment_id}/save", "revision"): _questionnaire_spec(
        "save", "revision"),
    ("POST", "/assessments/{assessment_id}/submit", "a.*"): _questionnaire_spec("submit", "a.*"),
    ("POST", "/assessments/{assessment_id}/submit", "revision"): _questionnaire_spec(
        "submit", "revision"),
    ("POST", "/admin/organizations", "name"): _page_create_org("name"),
    ("POST", "/admin/organizations", "kind"): _page_create_org("kind"),
    ("POST", "/admin/organizations", "region_scope"): _page_create_org("region_scope"),
    ("POST", "/admin/organizations/{organization_id}/members", "email"): _page_add_member(
        "email"),
    ("POST", "/admin/organizations/{organization_id}/members", "display_name"): (
        _page_add_member("display_name")),
    ("POST", "/admin/organizations/{organization_id}/members", "role"): _page_add_member("role"),
    ("POST", "/admin/organizations/{organization_id}/members/{user_id}/role", "role"): (
        _page_change_role()),
    ("POST", "/login", "email"): Spec(
        send=lambda ctx, v: _login_form(ctx, {"email": v, "password": "wrong-pass-1", "next": "/"}),
        max_len=254, fields=("email",), reject=REJECT | {401}, any_field=True,
        viewer="anonymous", audited_refusal=True),
    ("POST", "/login", "next"): Spec(
        send=lambda ctx, v: _login_form(
            ctx, {"email": "ent_admin@nqpf.test", "password": "wrong-pass-1", "next": v}),
        max_len=2000, fields=("next",), reject=REJECT | {401}, any_field=True,
        transform=lambda p, label, ctx: "/" + p, viewer="anonymous", audited_refusal=True),
    # -- carbon inventories (every text input is a closed choice or a number: refused)
    **{("PUT", "/api/v1/carbon/{inventory_id}", f): _api_save_carbon(f) for f in (
        "region", "grid_factor", "records[].carrier", "records[].unit")},
    **{("POST", "/carbon/{inventory_id}/save", f): _page_save_carbon(f) for f in (
        "revision", "year", "region", "grid_mode", "grid_value", "carrier", "quantity", "unit",
        "output", "revenue", "process_emissions")},
    ("POST", "/enterprises/{enterprise_id}/carbon", "year"): Spec(
        send=lambda ctx, v: ctx.form(
            f"/enterprises/{ctx.ids['ent_sz']}/carbon", {"year": v}, who="ent_admin"),
        max_len=10, fields=("year",), viewer="ent_admin"),
}  # fmt: skip

SKIP: dict[tuple[str, str, str], str] = {
    ("POST", "/api/v1/auth/token", "password"): "credential: checked, never stored or shown",
    ("POST", "/login", "password"): "credential: checked, never stored or shown",
    ("POST", "/login", "csrf_token"): "compared with the login cookie, never stored or shown",
    # sign-in security (issue 17): codes and passwords are checked or hashed, never stored
    # as text or shown; the steps' next is the login form's (tested there), reached only
    # with a pending sign-in; scopes and categories are closed choices (422 otherwise)
    **dict.fromkeys(
        [("POST", "/login/totp", "code"), ("POST", "/login/enrol", "code"),
         ("POST", "/account/totp", "code"), ("POST", "/account/totp/recovery-codes", "code"),
         ("POST", "/api/v1/auth/token", "totp_code")],
        "one-time code: compared, never stored or shown",
    ),
    **dict.fromkeys(
        [("POST", u, f) for u in ("/login/password", "/reset/{token}")
         for f in ("new_password", "new_password2")],
        "new password: checked and hashed, never shown",
    ),
    ("POST", "/account/totp/disable", "password"): "credential, never stored or shown",
    ("POST", "/reset", "email"): "looked up only; the answer is the same for every address",
    **dict.fromkeys(
        [("POST", f"/login/{step}", "next") for step in ("totp", "enrol", "password")],
        "the sign-in form's next (tested on /login), carried through the steps",
    ),
    ("POST", "/api/v1/auth/token", "scopes[]"): "closed choice (read/write/admin): 422 else",
    ("POST", "/api/v1/enterprises/{enterprise_id}/shares", "categories[]"): (
        "closed choice (profile/results/energy_carbon/revenue_output): 422 else"
    ),
    ("POST", "/api/v1/organizations/{organization_id}/members", "password"): "hashed, never shown",
    ("POST", "/admin/organizations/{organization_id}/members", "password"): "hashed, never shown",
    ("POST", "/api/v1/account/password", "old_password"): "credential, never stored or shown",
    ("POST", "/api/v1/account/password", "new_password"): "hashed, never shown",
    ("POST", "/account/password", "old_password"): "credential, never stored or shown",
    ("POST", "/account/password", "new_password"): "hashed, never shown",
    ("POST", "/account/password", "new_password2"): "compared with new_password only",
    ("POST", "/api/v1/enterprises/import", "file"): "upload: see test_import_payload_cells",
    ("POST", "/enterprises/import", "file"): "upload: see test_import_payload_cells",
    ("POST", "/api/v1/assessments/{assessment_id}/upload", "file"): "XLSX upload (tested in "
    "test_assessments: cells are validated option ids / numbers)",
    ("POST", "/assessments/{assessment_id}/upload", "file"): "XLSX upload (as the API)",
    ("POST", "/enterprises/import", "dry_run"): "checkbox: any value but 1/on/true/yes means "
    "unchecked; neither stored nor shown",
    ("POST", "/admin/organizations/{organization_id}/members/{user_id}/active", "active"): (
        "hidden flag: '1' activates, anything else deactivates; neither stored nor shown"
    ),
}
# pages whose <form>s are parsed for field names (their POST targets must be classified)
FORM_PAGES = (
    "/login",
    "/enterprises",
    "/enterprises/new",
    "/enterprises/import",
    "/enterprises/{ent_sz}",
    "/enterprises/{ent_sz}/edit",
    "/enterprises/{ent_sz}/assessments",
    "/assessments/{draft}",
    "/admin",
    "/admin/audit",
    "/admin/organizations/{ent_sz}",
    "/account/password",
    "/enterprises/{ent_sz}/carbon",
    "/carbon/{carbon}",
)
HTML_ONLY_NOT_TEXT = frozenset({"csrf_token"})

# (GET path, str query parameter) → echoed in the page (HTML-escaped) on success
SIGN_IN_STEPS = frozenset({"/login/totp", "/login/enrol", "/login/password"})
QUERY: dict[tuple[str, str], bool] = {
    ("/api/v1/enterprises", "q"): False,
    ("/api/v1/enterprises", "region"): False,
    ("/api/v1/enterprises", "industry"): False,
    ("/api/v1/enterprises", "size"): False,
    ("/enterprises", "q"): True,
    ("/enterprises", "region"): True,
    ("/enterprises", "industry"): True,
    ("/enterprises", "size"): False,
    ("/api/v1/audit", "actor_email"): False,
    ("/api/v1/audit", "action"): False,
    ("/api/v1/audit", "object_type"): False,
    ("/admin/audit", "actor_email"): True,
    ("/admin/audit", "action"): False,
    ("/admin/audit", "object_type"): False,
    ("/admin/audit", "date_from"): True,
    ("/admin/audit", "date_to"): True,
    ("/login", "next"): True,
    # the steps of a sign-in: without a pending sign-in they send the browser to /login
    **{(step, "next"): False for step in ("/login/totp", "/login/enrol", "/login/password")},
    ("/account/password", "changed"): False,
    # the interface language: a cookie and a redirect within the site, nothing echoed
    ("/language", "lang"): False,
    ("/language", "next"): False,
    # the dashboard's filters
    **{
        (p, q): False
        for p in ("/api/v1/dashboard", "/api/v1/dashboard.xlsx", "/dashboard")
        for q in ("framework", "region", "chain", "industry")
    },
    # the maps (issue 13): the dashboard's filters plus measure and parent
    **{
        (p, q): False
        for p in (
            "/api/v1/dashboard/map",
            "/api/v1/dashboard/map.png",
            "/api/v1/dashboard/map.svg",
            "/api/v1/dashboard/map.xlsx",
        )
        for q in ("framework", "region", "chain", "industry", "measure", "parent")
    },
    ("/dashboard", "measure"): False,
    ("/dashboard", "parent"): False,
    # the officers' list (issue 13): API, export, reminders; the page echoes the chain
    **{
        (p, q): False
        for p in ("/api/v1/enterprises", "/api/v1/enterprises.xlsx")
        for q in ("chain", "stage", "status", "framework", "sort")
    },
    **{("/api/v1/enterprises.xlsx", q): False for q in ("q", "region", "industry", "size")},
    **{
        ("/api/v1/enterprises/reminders.xlsx", q): False
        for q in ("region", "industry", "chain", "framework")
    },
    ("/enterprises", "chain"): True,
    **{
        ("/enterprises", q): False
        for q in ("stage", "level", "score_min", "score_max", "status", "framework", "sort", "desc")
    },
    ("/enterprises/reminders", "chain"): True,
    ("/enterprises/reminders", "region"): True,
    ("/enterprises/reminders", "industry"): True,
    ("/enterprises/reminders", "framework"): False,
    # the admin organisation list (issue 13): the search text is echoed in its input
    ("/admin", "q"): True,
    ("/admin", "kind"): False,
    # the views (issue 13): chain, industry, park, benchmark
    **{
        (p, q): False
        for p in ("/api/v1/dashboard/chain", "/api/v1/dashboard/chain.xlsx", "/dashboard/chain")
        for q in ("framework", "chain", "mode", "region")
    },
    **{
        (p, q): False
        for p in (
            "/api/v1/dashboard/industry",
            "/api/v1/dashboard/industry.xlsx",
            "/dashboard/industry",
        )
        for q in ("framework", "industry", "region")
    },
    **{
        (p, "region"): False
        for p in ("/api/v1/dashboard/park", "/api/v1/dashboard/park.xlsx", "/dashboard/park")
    },
}
# background jobs and analytics (issue 13): the check stores nothing (column names and
# choices of an upload, echoed escaped); the roll-up filters are pattern-checked (chain:
# no control characters) and only select what the dashboard selects — both covered by
# tests/web/test_analytics.py (test_form_text_is_escaped)
SKIP.update({
    **{("POST", "/analytics/check", f): "analytics data check, nothing stored (see above)"
       for f in ("entity", "period", "system", "dataset", "code", "group", "title", "file")},
    **{("POST", "/analytics/rollup-pdf", f): "roll-up PDF filter (see above)"
       for f in ("framework", "region", "chain", "industry")},
})  # fmt: skip

# routes that answer a file: (path) → what user text it may contain
DOWNLOADS: dict[str, str] = {
    "/api/v1/enterprises/import/template.csv": "static template",
    "/api/v1/assessments/{assessment_id}/report.xlsx": "score tables",
    "/api/v1/assessments/{assessment_id}/template.xlsx": "static questionnaire template",
    "/api/v1/assessments/{assessment_id}/report.pdf": "HTML report (enterprise name)",
    "/api/v1/dashboard.xlsx": "dashboard tables: chain names, the chain filter",
    "/api/v1/dashboard/map.xlsx": "map values: region names and codes, the chain filter",
    "/api/v1/enterprises.xlsx": "enterprise list: names, chains, the filters (typed text)",
    "/api/v1/enterprises/reminders.xlsx": "reminder list: names, chains, admins' names and "
    "e-mails (typed text)",
    "/api/v1/dashboard/chain.xlsx": "chain view: chain and stage names, scene names",
    "/api/v1/dashboard/industry.xlsx": "industry view: GB/T 4754 names, scene names",
    "/api/v1/dashboard/park.xlsx": "park carbon roll-up: enterprise names (typed text)",
    "/api/v1/carbon/{inventory_id}/report.xlsx": "carbon report: enterprise name, carrier "
    "names and units (text starting with = + - @ prefixed with ')",
}

# Known bugs, reported and xfailed strictly: (route key, payload label) → reason
KNOWN_BUGS: dict[tuple[str, str, str, str, str], str] = {
    # empty: the bugs this sweep found are fixed — NUL reaching PostgreSQL from the sign-in
    # e-mail and API-token name (500), and a union-branch tag in a 422's field name
    # ("grid_factor.literal['national','provincial']")
}


# ------------------------------------------------------------------- the loop (issue 11)
# Needs, matches, solutions, the register and projects: their text fields are swept by
# test_loop_text_fields_resist_injection (its own test, so that it runs beside the main
# sweep) on the objects _loop_setup makes (tests/web/loop_world.py): prov's solution, a
# draft need and a need shared with prov, a project and a pool of projects to close, and
# register entries in the states each action needs (reset after every accepted payload).
LOOP_PREFIXES = tuple(
    p + s
    for p in ("/api/v1", "")
    for s in ("/needs", "/enterprises/{enterprise_id}/needs", "/assessments/{assessment_id}/needs",
              "/solutions", "/register", "/projects", "/proposals")
)  # fmt: skip


def _is_loop(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in LOOP_PREFIXES)


def _loop_api(ctx: Ctx, method: str, url: str, who: str, **kw: Any) -> Any:
    return ctx.client.request(method, url, headers=ctx.bearer[who], **kw)


def _row_now(ctx: Ctx, table: str, oid: int, *cols: str) -> tuple[Any, ...]:
    """Columns of a row as stored now (revisions and dates a request must carry: read
    from the database, not through another request)."""
    from nqpf.web import models

    model = {"need": models.Need, "solution": models.Solution, "project": models.Project}[table]
    with ctx.app.state.session_factory() as s:
        row = s.get(model, oid)
        return tuple(getattr(row, c) for c in cols)


def _refused(send: Callable[[Ctx, str], Any], *fields: str, max_len: int = 100,
             viewer: str = "admin") -> Spec:  # fmt: skip
    """A field whose every payload must be refused (a closed choice, a date, a number)."""
    return Spec(send=send, max_len=max_len, fields=fields, viewer=viewer)


# -- needs
NEED_BASE = {"scene": "设备管理", "current_level": 2, "target_level": 3, "title": "注入需求"}


def _need_body(fld: str, v: str) -> dict[str, Any]:
    body: dict[str, Any] = dict(NEED_BASE)
    body[fld.removesuffix("[]")] = [v] if fld.endswith("[]") else v
    return body


def _need_value(ctx: Ctx, nid: int, fld: str) -> Any:
    return _loop_api(ctx, "GET", f"/api/v1/needs/{nid}", "ent_admin").json()[fld]


def _need_revision(ctx: Ctx) -> int:
    return _row_now(ctx, "need", ctx.ids["need_inj"], "revision")[0]


def _need_spec(route: str, fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        if route == "create":
            url = f"/api/v1/enterprises/{ctx.ids['ent_sz']}/needs"
            return _loop_api(ctx, "POST", url, "ent_admin", json=_need_body(fld, v))
        body = {"revision": _need_revision(ctx), **_need_body(fld, v)}
        return _loop_api(ctx, "PATCH", f"/api/v1/needs/{ctx.ids['need_inj']}", "ent_admin", json=body)

    def nid(ctx: Ctx, r: Any) -> int:
        return r.json()["id"] if route == "create" else ctx.ids["need_inj"]

    limits = {"title": 200, "scene": 100, "addresses[]": 64, "deadline": 20, "text": 4000}
    if fld not in ("title", "text"):
        fields = (fld, fld.replace("[]", "[0]"))
        return _refused(send, *fields, max_len=limits[fld])
    return Spec(
        send=send, max_len=limits[fld], fields=(fld,),
        stored=lambda ctx, r: _need_value(ctx, nid(ctx, r), fld),
        shown=lambda ctx, r: [f"/needs/{nid(ctx, r)}"] + (["/needs"] if fld == "title" else []),
        viewer="ent_admin",
    )  # fmt: skip


NEED_FORM_LIMITS = {"title": 200, "scene": 100, "current_level": 10, "target_level": 10,
                    "addresses": 2000, "budget_min": 40, "budget_max": 40, "deadline": 20,
                    "text": 4000, "revision": 12}  # fmt: skip


def _need_page_spec(route: str, fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        data = {"title": "注入需求", "scene": "设备管理", "current_level": "2",
                "target_level": "3", "addresses": "", "budget_min": "", "budget_max": "",
                "deadline": "", "text": ""}  # fmt: skip
        if route == "edit":
            data["revision"] = str(_need_revision(ctx))
        data[fld] = v
        url = (f"/enterprises/{ctx.ids['ent_sz']}/needs" if route == "create"
               else f"/needs/{ctx.ids['need_inj']}/edit")  # fmt: skip
        return ctx.form(url, data, who="ent_admin")

    def nid(ctx: Ctx, r: Any) -> int:
        return _id_from_location(r) if route == "create" else ctx.ids["need_inj"]

    if fld not in ("title", "text"):
        return _refused(send, fld, max_len=NEED_FORM_LIMITS[fld], viewer="ent_admin")
    return Spec(
        send=send, max_len=NEED_FORM_LIMITS[fld], fields=(fld,),
        stored=lambda ctx, r: _need_value(ctx, nid(ctx, r), fld),
        shown=lambda ctx, r: [f"/needs/{nid(ctx, r)}"], viewer="ent_admin",
    )  # fmt: skip


def _roadmap_text(ctx: Ctx) -> Any:
    items = _loop_api(ctx, "GET", "/api/v1/needs?status=draft", "ent_admin").json()["items"]
    made = [n for n in items if n["assessment_id"] == ctx.ids["submitted"]]
    return made[0]["text"].split("\n", 1)[1] if made and "\n" in made[0]["text"] else None


def _roadmap_spec(api: bool, fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        steps = ctx.ids["roadmap_steps"]
        if api:
            body: dict[str, Any] = {"steps": steps[:1], "text": "补充"}
            body[fld.removesuffix("[]")] = [v] if fld.endswith("[]") else v
            url = f"/api/v1/assessments/{ctx.ids['submitted']}/needs"
            return _loop_api(ctx, "POST", url, "ent_admin", json=body)
        data: dict[str, Any] = {"step": steps[:1], "sid": steps, "scene": ["设备管理"] * len(steps),
                                "budget_min": "", "budget_max": "", "deadline": "", "text": "补充"}  # fmt: skip
        data[fld] = [v, *steps[1:]] if fld in ("sid", "scene") else v
        if fld == "step":
            data["step"] = [v]
        return ctx.form(f"/assessments/{ctx.ids['submitted']}/needs", data, who="ent_admin")

    limits = {"steps[]": 64, "deadline": 20, "text": 4000, "step": 64, "sid": 64, "scene": 100,
              "budget_min": 40, "budget_max": 40}  # fmt: skip
    if fld != "text":
        return _refused(send, fld, fld.replace("[]", "[0]"), "step", max_len=limits[fld],
                        viewer="ent_admin")  # fmt: skip

    def shown(ctx: Ctx, r: Any) -> list[str]:
        items = _loop_api(ctx, "GET", "/api/v1/needs?status=draft", "ent_admin").json()["items"]
        return [f"/needs/{items[0]['id']}"]

    return Spec(send=send, max_len=4000, fields=("text",), stored=lambda ctx, r: _roadmap_text(ctx),
                shown=shown, viewer="ent_admin")  # fmt: skip


# -- proposals: each accepted proposal is read back, then withdrawn (one open at a time)
def _proposal_text_then_withdraw(ctx: Ctx, r: Any) -> Any:
    url = f"/api/v1/needs/{ctx.ids['need_open']}/proposals"
    mine = _loop_api(ctx, "GET", url, "prov").json()
    last = mine[-1] if mine else None
    if last is not None and last["status"] == "submitted":
        _loop_api(ctx, "POST", f"/api/v1/proposals/{last['id']}/withdraw", "prov")
    return last["text"] if last else None


def _proposal_spec(api: bool, fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        nid = ctx.ids["need_open"]
        if api:
            return _loop_api(ctx, "POST", f"/api/v1/needs/{nid}/proposals", "prov", json={"text": v})
        data = {"text": "注入建议", "price": "", "weeks": "", "solution_id": ""}
        data[fld] = v
        return ctx.form(f"/needs/{nid}/proposals", data, who="prov")

    if fld != "text":
        return _refused(send, fld, max_len={"price": 40, "weeks": 40, "solution_id": 12}[fld],
                        viewer="prov")  # fmt: skip
    return Spec(send=send, max_len=4000, fields=("text",), stored=_proposal_text_then_withdraw,
                shown=lambda ctx, r: [f"/needs/{ctx.ids['need_open']}"], viewer="ent_admin")  # fmt: skip


# -- solutions
SOLUTION_FORM = {"name": "注入方案", "scene": "设备管理", "from_level": "1", "to_level": "3",
                 "deployment": "SaaS", "price_band": "20–50万", "delivery_weeks": "8",
                 "more_scenes": "", "industries": "", "sizes": "", "price_min": "",
                 "price_max": "", "prerequisites": "", "improves": "", "evidence": "",
                 "description": ""}  # fmt: skip
# numbers and levels refuse every payload; the text columns are read by the template's
# reader, which may accept a payload (a KPI name, industries "a\r\nb" = A；B): then the
# stored text is the reader's own writing of it
SOLUTION_REFUSED = ("from_level", "to_level", "price_min", "price_max", "delivery_weeks",
                    "revision")  # fmt: skip
SOLUTION_LIMITS = {"ref": 64, "name": 200, "scene": 100, "deployment": 100, "price_band": 100,
                   "from_level": 10, "to_level": 10, "price_min": 40, "price_max": 40,
                   "delivery_weeks": 40, "revision": 12}  # fmt: skip


def _canonical(fld: str) -> Callable[[str], Any]:
    """The stored text of a catalogue column: as the reader writes it back."""
    if fld in ("name", "ref"):
        return lambda v: v
    from nqpf.services.solutions import solution_fields, solution_from_fields

    def normal(v: str) -> Any:
        s = solution_from_fields({**SOLUTION_FORM, fld: v}, ref="X", provider_id="P")
        return solution_fields(s)[fld]

    return normal


def _solution_value(ctx: Ctx, sid: int, fld: str) -> Any:
    body = _loop_api(ctx, "GET", f"/api/v1/solutions/{sid}", "prov").json()
    return body[fld] if fld in ("name", "ref") else body["fields"][fld]


def _solution_api_spec(route: str, fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        body: dict[str, Any] = {k: x for k, x in SOLUTION_FORM.items() if x}
        body[fld] = v
        if route == "create":
            return _loop_api(ctx, "POST", "/api/v1/solutions", "prov", json=body)
        sid = ctx.ids["sol_inj"]
        body["revision"] = _row_now(ctx, "solution", sid, "revision")[0]
        return _loop_api(ctx, "PUT", f"/api/v1/solutions/{sid}", "prov", json=body)

    def sid(ctx: Ctx, r: Any) -> int:
        return r.json()["id"]

    limit = SOLUTION_LIMITS.get(fld, 4000)
    if fld in SOLUTION_REFUSED:
        return _refused(send, fld, max_len=limit, viewer="prov")
    return Spec(
        send=send, max_len=limit, fields=(fld,), normal=_canonical(fld),
        stored=lambda ctx, r: _solution_value(ctx, sid(ctx, r), fld),
        shown=lambda ctx, r: [f"/solutions/{sid(ctx, r)}"] if fld in ("name", "description") else [],
        viewer="prov",
    )  # fmt: skip


def _solution_page_spec(route: str, fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        data = dict(SOLUTION_FORM)
        if route == "create":
            data["ref"] = ""
            data[fld] = v
            return ctx.form("/solutions/new", data, who="prov")
        sid = ctx.ids["sol_inj"]
        data["revision"] = str(_row_now(ctx, "solution", sid, "revision")[0])
        data[fld] = v
        return ctx.form(f"/solutions/{sid}/edit", data, who="prov")

    def sid(ctx: Ctx, r: Any) -> int:
        return _id_from_location(r)

    limit = SOLUTION_LIMITS.get(fld, 4000)
    if fld in SOLUTION_REFUSED:
        return _refused(send, fld, max_len=limit, viewer="prov")
    return Spec(
        send=send, max_len=limit, fields=(fld,), normal=_canonical(fld),
        stored=lambda ctx, r: _solution_value(ctx, sid(ctx, r), fld),
        shown=lambda ctx, r: [f"/solutions/{sid(ctx, r)}"] if fld in ("name", "description") else [],
        viewer="prov",
    )  # fmt: skip


def _upload_mode_spec(api: bool) -> Spec:
    text = ("id,name,provider_id,scene,from_level,to_level,deployment,price_band,delivery_weeks\n"
            "U-1,上传方案,P,设备管理,1,2,SaaS,5万以下,4\n")  # fmt: skip

    def send(ctx: Ctx, v: str) -> Any:
        files = {"file": ("c.csv", text.encode(), "text/csv")}
        if api:
            return _loop_api(ctx, "POST", "/api/v1/solutions/upload", "prov", data={"mode": v},
                             files=files)  # fmt: skip
        return ctx.form("/solutions/upload", {"mode": v}, who="prov", files=files)

    return _refused(send, "mode", max_len=20, viewer="prov")


# -- the register: each accepted payload is read back, then the entry set back
def _events(ctx: Ctx, rid: int) -> list[dict[str, Any]]:
    return _loop_api(ctx, "GET", f"/api/v1/register/{rid}", "admin").json()["events"]


def _act(ctx: Ctx, rid: int, who: str, **body: Any) -> None:
    r = _loop_api(ctx, "POST", f"/api/v1/register/{rid}/actions", who, json=body)
    assert r.status_code == 200, r.text


def _reviewed_then_reset(key: str) -> Callable[[Ctx, Any], Any]:
    """The review just made (on reg_review: applied → rejected), then appeal + upheld."""

    def stored(ctx: Ctx, r: Any) -> Any:
        rid = ctx.ids["reg_review"]
        review = [e for e in _events(ctx, rid) if e["action"] == "review"][-1]["detail"]
        _act(ctx, rid, "prov", action="appeal", reason="重审")
        _act(ctx, rid, "admin", action="decide_appeal", upheld=True, opinion="重审")
        return "、".join(review["experts"]) if key == "experts" else review[key]

    return stored


def _appealed_then_reset(ctx: Ctx, r: Any) -> Any:
    rid = ctx.ids["reg_appeal"]
    appeal = [e for e in _events(ctx, rid) if e["action"] == "appeal"][-1]["detail"]
    _act(ctx, rid, "admin", action="decide_appeal", upheld=False, opinion="驳回")
    return appeal["reason"]


def _split_experts(v: str) -> str:
    return "、".join(x.strip() for x in re.split(r"[,，、]", v) if x.strip())


def _act_spec(api: bool, fld: str) -> Spec:
    review = {"action": "review", "experts": "张工", "score": "80", "passed": "0",
              "notice_days": "7", "opinion": "注入评审"}  # fmt: skip

    def send(ctx: Ctx, v: str) -> Any:
        key = fld.removesuffix("[]")
        if fld in ("reason",):
            rid, who, body = ctx.ids["reg_appeal"], "prov", {"action": "appeal", "reason": v}
        elif fld in ("kind",):
            rid, who, body = ctx.ids["reg_sanction"], "admin", {"action": "sanction", "kind": v,
                                                                "reason": "注入"}  # fmt: skip
        else:
            rid, who = ctx.ids["reg_review"], "admin"
            body = dict(review)
            body[key] = v
        if api:
            json_body = {k: x for k, x in body.items()}
            if json_body["action"] == "review":
                json_body.update(experts=[body["experts"]] if fld != "experts[]" else [v],
                                 score=80, passed=False, notice_days=7)  # fmt: skip
            return _loop_api(ctx, "POST", f"/api/v1/register/{rid}/actions", who, json=json_body)
        return ctx.form(f"/register/{rid}/act", body, who=who)

    limits = {"action": 20, "experts[]": 100, "experts": 2000, "kind": 20, "opinion": 4000,
              "reason": 4000, "revision": 12, "score": 20, "notice_days": 5}  # fmt: skip
    viewer = "admin"
    if fld in ("experts[]", "experts", "opinion"):
        key = "experts" if fld.startswith("experts") else "opinion"
        return Spec(send=send, max_len=limits[fld], fields=(fld, "experts", "experts[]"),
                    stored=_reviewed_then_reset(key),
                    normal=_split_experts if fld == "experts" else (lambda v: v),
                    shown=lambda ctx, r: [f"/register/{ctx.ids['reg_review']}"], viewer=viewer)  # fmt: skip
    if fld == "reason":
        return Spec(send=send, max_len=4000, fields=("reason",), stored=_appealed_then_reset,
                    shown=lambda ctx, r: [f"/register/{ctx.ids['reg_appeal']}"], viewer=viewer)  # fmt: skip
    return _refused(send, fld, max_len=limits[fld])


def _statement_reset(ctx: Ctx, r: Any) -> Any:
    rid = r.json()["id"] if r.headers.get("content-type", "").startswith("application/json") else _id_from_location(r)
    body = _loop_api(ctx, "GET", f"/api/v1/register/{rid}", "admin").json()
    _act(ctx, rid, "admin", action="review", experts=["甲"], score=10, opinion="不通过", passed=False)
    return body["statement"]


def _apply_spec(api: bool, fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        if api:
            body = {"authority_id": ctx.ids["auth_su"], "statement": v,
                    "provider_id": ctx.ids["prov2"]}  # fmt: skip
            return _loop_api(ctx, "POST", "/api/v1/register", "prov2", json=body)
        data = {"authority_id": str(ctx.ids["auth_su"]), "statement": "申请"}
        data[fld] = v
        return ctx.form("/register", data, who="prov2")

    def rid(r: Any) -> int:
        return r.json()["id"] if api else _id_from_location(r)

    if fld == "authority_id":
        return _refused(send, fld, max_len=12, viewer="prov2")
    return Spec(send=send, max_len=4000, fields=("statement",), stored=_statement_reset,
                shown=lambda ctx, r: [f"/register/{rid(r)}"], viewer="admin")  # fmt: skip


# -- projects
def _project(ctx: Ctx, pid: int) -> dict[str, Any]:
    return _loop_api(ctx, "GET", f"/api/v1/projects/{pid}", "prov").json()


def _project_api_spec(fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        start, revision = _row_now(ctx, "project", ctx.ids["project_inj"], "start_date", "revision")
        m = {"title": "启动", "due": start.isoformat(), "note": ""}
        k = {"name": "OEE", "baseline": 1, "target": 2, "unit": "%"}
        body: dict[str, Any] = {"revision": revision, "milestones": [m], "kpis": [k]}
        if fld.startswith("milestones[]."):
            m[fld.split(".", 1)[1]] = v
        elif fld.startswith("kpis[]."):
            k[fld.split(".", 1)[1]] = v
        else:
            body[fld] = v
        return _loop_api(ctx, "PUT", f"/api/v1/projects/{ctx.ids['project_inj']}", "prov", json=body)

    def stored(ctx: Ctx, r: Any) -> Any:
        part, key = fld.split("[].")
        return _project(ctx, ctx.ids["project_inj"])[part][0][key]

    limits = {"milestones[].title": 200, "milestones[].note": 1000, "kpis[].name": 200,
              "kpis[].unit": 20, "milestones[].due": 20, "milestones[].done": 20, "start": 20,
              "end": 20, "status": 20}  # fmt: skip
    fields = (fld, fld.replace("[]", "[0]"))
    if fld not in ("milestones[].title", "milestones[].note", "kpis[].name"):
        return _refused(send, *fields, max_len=limits[fld], viewer="prov")
    return Spec(send=send, max_len=limits[fld], fields=fields, stored=stored,
                shown=lambda ctx, r: [f"/projects/{ctx.ids['project_inj']}"], viewer="ent_admin")  # fmt: skip


PLAN_FORM = {"start": "", "end": "", "status": "active", "budget": "", "spend": "",
             "m_title": "启动", "m_due": "", "m_done": "", "m_note": "", "k_name": "OEE",
             "k_baseline": "1", "k_target": "2", "k_actual": "", "k_unit": "%"}  # fmt: skip
PLAN_LIMITS = {"revision": 12, "start": 40, "end": 40, "status": 40, "budget": 40, "spend": 40,
               "m_title": 200, "m_due": 200, "m_done": 200, "m_note": 1000, "k_name": 200,
               "k_baseline": 200, "k_target": 200, "k_actual": 200, "k_unit": 200}  # fmt: skip
PLAN_STORED = {"m_title": ("milestones", "title"), "m_note": ("milestones", "note"),
               "k_name": ("kpis", "name")}  # fmt: skip


def _plan_page_spec(fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        start, revision = _row_now(ctx, "project", ctx.ids["project_inj"], "start_date", "revision")
        data = {**PLAN_FORM, "revision": str(revision), "start": start.isoformat(),
                "m_due": start.isoformat()}  # fmt: skip
        data[fld] = v
        return ctx.form(f"/projects/{ctx.ids['project_inj']}/save", data, who="prov")

    if fld not in PLAN_STORED:
        return _refused(send, fld, max_len=PLAN_LIMITS[fld], viewer="prov")
    part, key = PLAN_STORED[fld]
    return Spec(send=send, max_len=PLAN_LIMITS[fld], fields=(fld,),
                stored=lambda ctx, r: _project(ctx, ctx.ids["project_inj"])[part][0][key],
                shown=lambda ctx, r: [f"/projects/{ctx.ids['project_inj']}"], viewer="ent_admin")  # fmt: skip


def _document_spec(api: bool) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        files = {"file": ("a.txt", b"attached", "text/plain")}
        pid = ctx.ids["project_inj"]
        if api:
            return _loop_api(ctx, "POST", f"/api/v1/projects/{pid}/documents", "prov",
                             data={"title": v}, files=files)  # fmt: skip
        return ctx.form(f"/projects/{pid}/documents", {"title": v}, who="prov", files=files)

    def stored(ctx: Ctx, r: Any) -> Any:
        docs = _loop_api(ctx, "GET", f"/api/v1/projects/{ctx.ids['project_inj']}/documents", "prov")
        return docs.json()[-1]["title"]

    return Spec(send=send, max_len=200, fields=("title",), stored=stored,
                shown=lambda ctx, r: [f"/projects/{ctx.ids['project_inj']}"], viewer="ent_admin")  # fmt: skip


def _close_spec(api: bool, fld: str) -> Spec:
    """Closing is once per project: each accepted payload closes the next of a pool."""

    def send(ctx: Ctx, v: str) -> Any:
        pid = ctx.ids["close_pool"][0]
        if api:
            body: dict[str, Any] = {"revision": 0, "satisfaction": 4, "note": v}
            r = _loop_api(ctx, "POST", f"/api/v1/projects/{pid}/close", "ent_admin", json=body)
        else:
            data = {"revision": "0", "satisfaction": "4", "note": "满意"}
            data[fld] = v
            r = ctx.form(f"/projects/{pid}/close", data, who="ent_admin")
        if r.status_code in OK:
            ctx.ids["closed_last"] = ctx.ids["close_pool"].pop(0)
        return r

    if fld != "note":
        return _refused(send, fld, max_len={"revision": 12, "satisfaction": 5}[fld],
                        viewer="ent_admin")  # fmt: skip
    return Spec(send=send, max_len=2000, fields=("note",),
                stored=lambda ctx, r: _project(ctx, ctx.ids["closed_last"])["satisfaction_note"],
                shown=lambda ctx, r: [f"/projects/{ctx.ids['closed_last']}"], viewer="ent_admin")  # fmt: skip


def _share_page_spec() -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        return ctx.form(f"/needs/{ctx.ids['need_open']}/shares", {"provider_id": v}, who="ent_admin")

    return _refused(send, "provider_id", max_len=12, viewer="ent_admin")


N, P, S = "/api/v1/needs/{need_id}", "/api/v1/projects/{project_id}", "/api/v1/solutions"
SOLUTION_COLUMNS = ("name", "scene", "more_scenes", "industries", "sizes", "deployment",
                    "price_band", "prerequisites", "improves", "evidence", "description")  # fmt: skip
SOLUTION_PAGE = (*SOLUTION_COLUMNS, "from_level", "to_level", "price_min", "price_max",
                 "delivery_weeks")  # fmt: skip
LOOP_FIELDS: dict[tuple[str, str, str], Spec] = {
    **{("POST", "/api/v1/enterprises/{enterprise_id}/needs", f): _need_spec("create", f)
       for f in ("title", "scene", "addresses[]", "deadline", "text")},
    **{("PATCH", N, f): _need_spec("patch", f)
       for f in ("title", "scene", "addresses[]", "deadline", "text")},
    **{("POST", "/api/v1/assessments/{assessment_id}/needs", f): _roadmap_spec(True, f)
       for f in ("steps[]", "deadline", "text")},
    ("POST", N + "/proposals", "text"): _proposal_spec(True, "text"),
    **{("POST", S, f): _solution_api_spec("create", f) for f in (*SOLUTION_COLUMNS, "ref")},
    **{("PUT", S + "/{solution_id}", f): _solution_api_spec("put", f) for f in SOLUTION_COLUMNS},
    ("POST", S + "/upload", "mode"): _upload_mode_spec(True),
    ("POST", "/api/v1/register", "statement"): _apply_spec(True, "statement"),
    **{("POST", "/api/v1/register/{registration_id}/actions", f): _act_spec(True, f)
       for f in ("action", "experts[]", "kind", "opinion", "reason")},
    **{("PUT", P, f): _project_api_spec(f)
       for f in ("start", "end", "status", "milestones[].title", "milestones[].due",
                 "milestones[].done", "milestones[].note", "kpis[].name", "kpis[].unit")},
    ("POST", P + "/documents", "title"): _document_spec(True),
    ("POST", P + "/close", "note"): _close_spec(True, "note"),
    # -- pages
    **{("POST", "/enterprises/{enterprise_id}/needs", f): _need_page_spec("create", f)
       for f in NEED_FORM_LIMITS if f != "revision"},
    **{("POST", "/needs/{need_id}/edit", f): _need_page_spec("edit", f) for f in NEED_FORM_LIMITS},
    **{("POST", "/assessments/{assessment_id}/needs", f): _roadmap_spec(False, f)
       for f in ("step", "sid", "scene", "budget_min", "budget_max", "deadline", "text")},
    ("POST", "/needs/{need_id}/shares", "provider_id"): _share_page_spec(),
    **{("POST", "/needs/{need_id}/proposals", f): _proposal_spec(False, f)
       for f in ("text", "price", "weeks", "solution_id")},
    **{("POST", "/solutions/new", f): _solution_page_spec("create", f) for f in (*SOLUTION_PAGE, "ref")},
    **{("POST", "/solutions/{solution_id}/edit", f): _solution_page_spec("edit", f)
       for f in (*SOLUTION_PAGE, "revision")},
    ("POST", "/solutions/upload", "mode"): _upload_mode_spec(False),
    **{("POST", "/register", f): _apply_spec(False, f) for f in ("authority_id", "statement")},
    **{("POST", "/register/{registration_id}/act", f): _act_spec(False, f)
       for f in ("revision", "action", "experts", "score", "notice_days", "opinion", "kind",
                 "reason")},
    **{("POST", "/projects/{project_id}/save", f): _plan_page_spec(f) for f in PLAN_LIMITS},
    ("POST", "/projects/{project_id}/documents", "title"): _document_spec(False),
    **{("POST", "/projects/{project_id}/close", f): _close_spec(False, f)
       for f in ("revision", "satisfaction", "note")},
}  # fmt: skip
LOOP_SKIP: dict[tuple[str, str, str], str] = {
    ("POST", S + "/upload", "file"): "catalogue upload: rows checked by the template reader "
    "(tests/web/test_loop.py and tests/services/test_loop_rules.py: row errors, control "
    "characters, lengths)",
    ("POST", "/solutions/upload", "file"): "catalogue upload (as the API)",
    ("POST", P + "/documents", "file"): "bytes stored as given and only ever served as an "
    "attachment (application/octet-stream); the file name is sanitised",
    ("POST", "/projects/{project_id}/documents", "file"): "document upload (as the API)",
    ("POST", "/register/{registration_id}/act", "passed"): "select: '1' passes, anything else "
    "fails the review; stored as a boolean",
    ("POST", "/register/{registration_id}/act", "upheld"): "select: '1' upholds, anything else "
    "dismisses; stored as a boolean",
}
# pages whose forms the loop's sweep parses: (URL with ids of _loop_setup, who views it)
LOOP_FORM_PAGES = (
    ("/needs/{need_open}", "admin"), ("/needs/{need_open}", "prov"),
    ("/needs/{need_open}/matches", "ent_admin"), ("/needs/{need_inj}/edit", "ent_admin"),
    ("/enterprises/{ent_sz}/needs/new", "ent_admin"), ("/assessments/{submitted}/needs", "ent_admin"),
    ("/solutions/new", "prov"), ("/solutions/{sol_inj}/edit", "prov"), ("/solutions/{sol_inj}", "prov"),
    ("/solutions/upload", "prov"), ("/register", "prov2"), ("/register/{reg_review}", "admin"),
    ("/register/{reg_appeal}", "prov"), ("/register/{reg_sanction}", "admin"),
    ("/projects/{project_inj}", "prov"), ("/projects/{project_inj}", "ent_admin"),
)  # fmt: skip
QUERY.update({
    ("/api/v1/needs", "status"): False,
    ("/needs", "status"): False,
    ("/api/v1/projects", "status"): False,
    ("/api/v1/solutions", "q"): False,
    ("/api/v1/solutions", "scene"): False,
    ("/solutions", "q"): True,
    ("/solutions", "scene"): True,
})  # fmt: skip
DOWNLOADS["/api/v1/solutions/template.xlsx"] = "static catalogue template"


# ------------------------------------------------- effect evaluation (issue 12): programmes
# The Shenzhen officer ("sz" in _setup) defines programmes; the name and a KPI outcome's
# name are stored and shown, the other definition fields are closed choices (refused).
def _programme_spec(fld: str) -> Spec:
    def send(ctx: Ctx, v: str) -> Any:
        body = {"name": "注入测试项目", "outcome": "kpi" if fld == "outcome_key" else "total",
                "outcome_key": "设备联网率", fld: v}  # fmt: skip
        return ctx.api("POST", "/api/v1/programmes", who="sz", json=body)

    return Spec(
        send=send,
        max_len={"name": 200, "outcome_key": 200, "outcome": 16, "control": 8}.get(fld, 64),
        fields=(fld,),
        stored=(lambda ctx, r: r.json()[fld]) if fld in ("name", "outcome_key") else None,
        shown=lambda ctx, r: ["/programmes", f"/programmes/{r.json()['id']}"],
        normal=str.strip,
        viewer="sz",
    )


PROGRAMME_FIELDS = ("name", "outcome", "outcome_key", "framework", "acceptance_rule",
                    "subsidy_rule", "control")  # fmt: skip
FIELDS.update({("POST", "/api/v1/programmes", f): _programme_spec(f) for f in PROGRAMME_FIELDS})
SKIP.update({
    **{("PUT", "/api/v1/programmes/{programme_id}", f): "the definition checks of POST "
       "/api/v1/programmes (one function, programmes._definition)" for f in PROGRAMME_FIELDS},
    ("PUT", "/api/v1/programmes/{programme_id}/members", "members[].scale"): "closed choice "
    "('', 规上, 规下): refused by the schema",
    ("POST", "/programmes/{programme_id}/members/upload", "file"): "member list upload: "
    "credit codes, years and 规上/规下 are validated by row (test_programmes)",
    ("POST", "/programmes/{programme_id}/members/upload", "revision"): "a number (form_revision),"
    " never stored or shown",
})  # fmt: skip
DOWNLOADS.update({
    "/api/v1/programmes/{programme_id}/evaluation.xlsx": "programme tables: enterprise names "
    "(typed text through xlsx_bytes)",
    "/api/v1/enterprises/{enterprise_id}/effect/report.pdf": "HTML report (enterprise, "
    "project and KPI names, escaped)",
})


# --------------------------------------------------------------------------- enumeration


def _routes(app: Any) -> Iterator[tuple[str, str, APIRoute]]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is flat
        for r in app.routes:
            if isinstance(r, APIRoute):
                for m in sorted(r.methods - {"HEAD", "OPTIONS"}):
                    yield m, r.path, r
        return
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            for m in sorted(set(ctx.methods or ()) - {"HEAD", "OPTIONS"}):
                yield m, ctx.path, route


def _schema_strings(schema: dict[str, Any], spec: dict[str, Any], prefix: str) -> Iterator[str]:
    """Paths of the string-typed values in a JSON schema (``a[].b``, ``a{key}``, ``a{}``)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        yield from _schema_strings(spec["components"]["schemas"][name], spec, prefix)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for alt in schema.get(key, []):
            yield from _schema_strings(alt, spec, prefix)
    kind = schema.get("type")
    if kind == "string" and schema.get("format") != "binary":
        yield prefix
    elif kind == "string":
        yield prefix  # an upload
    elif kind == "array" and "items" in schema:
        yield from _schema_strings(schema["items"], spec, prefix + "[]")
    elif kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            yield from _schema_strings(sub, spec, f"{prefix}.{name}" if prefix else name)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            yield prefix + "{key}"
            yield from _schema_strings(extra, spec, prefix + "{}")


def _api_fields(app: Any) -> set[tuple[str, str, str]]:
    spec = app.openapi()
    out: set[tuple[str, str, str]] = set()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody")
            if not body:
                continue
            for content in body["content"].values():
                for f in _schema_strings(content["schema"], spec, ""):
                    out.add((method.upper(), path, f))
    return out


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, set[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(((a.get("method") or "get").upper(), a.get("action") or "", set()))
        elif tag in ("button", "input") and self.forms and a.get("formaction"):
            method, _action, names = self.forms[-1]
            self.forms.append((method, a["formaction"], names))  # same fields, other target
        if tag in ("input", "textarea", "select") and self.forms and a.get("name"):
            if (a.get("type") or "").lower() in ("submit", "button", "reset", "image"):
                return
            self.forms[-1][2].add(a["name"])


def _template_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", r"[0-9]+", re.escape(path)) + "$")


def _page_fields(
    app: Any, ctx: Ctx, pages: Any = None
) -> tuple[set[tuple[str, str, str]], list[str]]:
    """(text fields of page POST routes and rendered forms, unclassifiable problems)."""
    out: set[tuple[str, str, str]] = set()
    problems: list[str] = []
    page_posts: dict[str, APIRoute] = {}
    for method, path, route in _routes(app):
        if path.startswith("/api/") or method != "POST":
            continue
        page_posts[path] = route
        for param in route.dependant.body_params:
            ann = param.field_info.annotation
            if ann in (str, str | None) or "UploadFile" in repr(ann):
                out.add((method, path, param.name))
    regexes = {p: _template_regex(p) for p in page_posts}
    for url, viewer in pages if pages is not None else [(u, None) for u in FORM_PAGES]:
        url = url.format(**ctx.ids)
        who = viewer or ("ent_admin" if url.startswith(("/assessments/", "/carbon/")) else "admin")
        c = ctx.cookie["anonymous"] if url == "/login" else ctx.cookie[who]
        r = c.get(url, follow_redirects=False)
        if r.status_code != 200:
            problems.append(f"form page GET {url}: status {r.status_code}")
            continue
        parser = _Forms()
        parser.feed(r.text)
        for method, action, names in parser.forms:
            if method != "POST":
                continue
            target = next((p for p, rx in regexes.items() if rx.match(action)), None)
            if target is None:
                problems.append(f"form on {url} posts to {action}: no such page route")
                continue
            typed = {p.name: p for p in page_posts[target].dependant.body_params}
            for name in names:
                if name in typed and name not in {k[2] for k in out if k[1] == target}:
                    continue  # a typed non-text parameter (e.g. provider_id: int)
                key = "a.*" if name.startswith("a.") else name
                out.add(("POST", target, key))
    return out, problems


def _query_params(app: Any) -> set[tuple[str, str]]:
    out = set()
    for method, path, route in _routes(app):
        if method != "GET":
            continue
        for p in route.dependant.query_params:
            ann = p.field_info.annotation
            if ann in (str, str | None) or "Literal" in repr(ann):
                out.add((path, p.name))
    return out


def _downloads(app: Any) -> set[str]:
    return {
        path
        for method, path, _r in _routes(app)
        if method == "GET"
        and re.search(r"\.(csv|xlsx|xls|pdf|zip|json)$", path)
        and path != "/openapi.json"
    }


# ------------------------------------------------------------------------------- checks


#: The tables whose row counts a probe compares before and after.
COUNTED = (
    Organization, EnterpriseProfile, User, Membership, Share, Assessment, ApiToken, AuditEvent,
    CarbonInventory,
)  # fmt: skip


def _state(app: Any) -> tuple[dict[str, int], str]:
    """Row counts of the written tables and a digest of their contents.

    Runs before and after each of some 3,000 probes, so the counts come in one query and
    the rows as the digested columns only (nine counts and six loads of whole ORM objects
    took a quarter of the sweeps' time)."""

    def dumped(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    with app.state.session_factory() as s:
        counted = select(*(select(func.count()).select_from(m).scalar_subquery() for m in COUNTED))
        names = (m.__tablename__ for m in COUNTED)
        counts = dict(zip(names, s.execute(counted).one(), strict=True))
        profiles = select(
            EnterpriseProfile.organization_id, EnterpriseProfile.credit_code,
            EnterpriseProfile.industry, EnterpriseProfile.region_code,
            EnterpriseProfile.size_class, EnterpriseProfile.chains,
        )  # fmt: skip
        o, u, m, a, c = Organization, User, Membership, Assessment, CarbonInventory
        rows = [
            sorted(tuple(r) for r in s.execute(select(o.id, o.name, o.kind, o.region_scope))),
            sorted((*r[:5], dumped(r[5])) for r in s.execute(profiles)),
            sorted(tuple(r) for r in s.execute(select(u.id, u.email, u.display_name, u.is_active))),
            sorted(tuple(r) for r in s.execute(select(m.user_id, m.organization_id, m.role))),
            sorted(
                (i, status, revision, json.dumps(responses, sort_keys=True, default=str))
                for i, status, revision, responses in s.execute(
                    select(a.id, a.status, a.revision, a.responses)
                )
            ),
            sorted(
                (*r[:4], dumped(r[4]), dumped(r[5]))
                for r in s.execute(
                    select(c.id, c.enterprise_id, c.year, c.revision, c.inputs, c.result)
                )
            ),
        ]
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    return counts, digest


def _unaudited(state: tuple[dict[str, int], str]) -> tuple[dict[str, int], str]:
    counts, digest = state
    return {k: v for k, v in counts.items() if k != "audit_event"}, digest


def _is_html(r: Any) -> bool:
    return r.headers.get("content-type", "").startswith("text/html")


def _raw_problem(text: str, value: str) -> str | None:
    """The page contains the dangerous payload unescaped."""
    for marker in RAW_MARKERS:
        if marker in value and marker in text:
            return f"unescaped {marker!r} in the page"
    if str(markupsafe.escape(value)) != value and value in text:
        return "the payload appears unescaped in the page"
    return None


def _shown_problem(url: str, text: str, value: str) -> str | None:
    if problem := _raw_problem(text, value):
        return problem
    expected = str(markupsafe.escape(value))
    if url.startswith("/admin/audit"):  # shown inside compact JSON
        expected = str(markupsafe.escape(json.dumps(value, ensure_ascii=False)[1:-1]))
    if expected not in text:
        if "{{" in value and "49" in text and expected not in text:
            return "template syntax was evaluated (value not shown literally)"
        return f"stored value not shown HTML-escaped ({expected[:60]!r} missing)"
    return None


def _error_field(r: Any) -> str | None:
    try:
        f = r.json().get("field")
    except ValueError:
        return None
    if f is None:
        return None
    return re.sub(r"\.\d+(?=\.|$)", "[]", str(f))


@dataclass
class Findings:
    backend: str = ""
    failures: list[str] = field(default_factory=list)
    bugs: dict[tuple[str, str, str, str, str], str] = field(default_factory=dict)
    requests: int = 0

    def add(self, key: tuple[str, str, str], label: str, problem: str) -> None:
        where = (self.backend, *key, label)
        line = f"{key[0]} {key[1]} [{key[2]}] payload {label}: {problem}"
        if where in KNOWN_BUGS:
            self.bugs[where] = line
        else:
            self.failures.append(line)


def _probe(ctx: Ctx, key: tuple[str, str, str], spec: Spec, findings: Findings) -> None:
    api = key[1].startswith("/api/")
    for label, payload in payloads(spec.max_len, findings.backend):
        sent = spec.transform(payload, label, ctx)
        before = _state(ctx.app)
        findings.requests += 1
        try:
            r = spec.send(ctx, sent)
        except Exception as exc:  # a server error is a finding, not a crash
            findings.add(key, label, f"server exception {type(exc).__name__}: {exc!s:.200}")
            continue
        if r.status_code >= 500:
            findings.add(key, label, f"status {r.status_code}: {r.text[:200]}")
            continue
        if _is_html(r) and (problem := _raw_problem(r.text, sent)):
            findings.add(key, label, f"answer page: {problem}")
        if r.status_code in OK and r.status_code not in spec.reject:
            _check_success(ctx, key, spec, label, sent, r, before, findings)
        elif r.status_code in spec.reject:
            after = _state(ctx.app)
            if spec.audited_refusal:
                before, after = _unaudited(before), _unaudited(after)
            if after != before:
                changed = {k: (before[0][k], after[0][k]) for k in before[0]
                           if before[0][k] != after[0][k]}  # fmt: skip
                findings.add(
                    key,
                    label,
                    f"refused ({r.status_code}) but written: {changed or 'rows changed'}",
                )
            if api:
                got = _error_field(r)
                if not spec.any_field and got not in spec.fields:
                    findings.add(
                        key, label, f"{r.status_code} names field {got!r}, expected {spec.fields}"
                    )
                elif spec.any_field and not r.json().get("detail"):
                    findings.add(key, label, f"{r.status_code} without detail")
            elif not ERROR_MARK.search(r.text):
                findings.add(key, label, f"{r.status_code} page shows no error message")
        else:
            findings.add(key, label, f"unexpected status {r.status_code}: {r.text[:200]}")


def _check_success(
    ctx: Ctx, key: tuple[str, str, str], spec: Spec, label: str, sent: str, r: Any,
    before: tuple[dict[str, int], str], findings: Findings,
) -> None:  # fmt: skip
    after = _state(ctx.app)
    if after[0]["audit_event"] <= before[0]["audit_event"]:
        findings.add(key, label, f"accepted ({r.status_code}) without an audit event")
    if spec.stored is None:
        findings.add(key, label, f"accepted ({r.status_code}) a value that should be refused")
        return
    expected = spec.normal(sent)
    stored = spec.stored(ctx, r)
    if stored != expected:
        findings.add(key, label, f"accepted but stored {stored!r:.80} != sent {expected!r:.80}")
        return
    for url in spec.shown(ctx, r):
        page = ctx.page(url, spec.viewer)
        findings.requests += 1
        if page.status_code != 200:
            findings.add(key, label, f"display page {url}: status {page.status_code}")
        elif problem := _shown_problem(url, page.text, spec.display(expected)):
            findings.add(key, label, f"display page {url}: {problem}")


# ------------------------------------------------------------------------------- setup


def _setup(app: Any, world: Any, client: Any, login: Any, token_for: Any) -> Ctx:
    # the sweep sends dozens of wrong credentials on purpose: lift the sign-in rate limit
    app.state.settings = app.state.settings.model_copy(update={"login_max_failures": 10**6})
    fw = load_framework(FW)
    ids: dict[str, Any] = dict(world.orgs)
    with app.state.session_factory() as session:
        users = {u.email: u.id for u in session.scalars(select(User))}
        for name, email in world.emails.items():
            ids[name] = users[email]
        actor = load_actor(session, session.get(User, ids["ent_admin"]), via="token")
        row, _ = assessment_service.start(session, actor, ids["ent_sz"], FW)
        row = assessment_service.save_answers(session, actor, row.id, complete_answers(fw), 0)
        row = assessment_service.submit(session, actor, row.id)
        ids["submitted"] = row.id
        draft, _ = assessment_service.start(session, actor, ids["ent_sz"], FW)
        ids["draft"] = draft.id
        inventory = carbon_service.create(session, actor, ids["ent_sz"], CARBON_YEAR)
        inventory = carbon_service.save(
            session, actor, inventory.id, revision=inventory.revision, region="44",
            grid_factor="national", records=[CARBON_RECORD],
        )  # fmt: skip
        ids["carbon"] = inventory.id
    ids["ent_sz_code"] = world.credit_codes["ent_sz"]
    by_kind = {k: next(q.id for q in fw.questions if q.kind == k) for k in ("single", "multi")}
    number = next(q for q in fw.questions if q.kind == "number")
    form_field = next((f.id for q in fw.questions for f in q.form_fields), None)
    ids["questions"] = {
        **by_kind,
        "number": number.id,
        "scene": fw.scene_ids[0],
        "form_field": form_field,
    }
    from fastapi.testclient import TestClient

    anonymous = TestClient(app)
    anonymous.__enter__()
    cookies = {"admin": login(world.emails["admin"]), "ent_admin": login(world.emails["ent_admin"])}
    cookies["anonymous"] = anonymous
    cookies["sz"] = login(world.emails["sz_officer"])  # programmes (issue 12)
    bearer = {
        "admin": token_for(world.emails["admin"]),
        "ent_admin": token_for(world.emails["ent_admin"]),
        "sz": token_for(world.emails["sz_officer"]),
    }
    return Ctx(app=app, client=client, cookie=cookies, bearer=bearer, ids=ids)


def _classification(app: Any, ctx: Ctx) -> list[str]:
    problems: list[str] = []
    found = _api_fields(app)
    page_found, page_problems = _page_fields(app, ctx)
    problems.extend(page_problems)
    found |= page_found
    for key in sorted(found):
        if key[2] in HTML_ONLY_NOT_TEXT or _is_loop(key[1]):  # the loop's own sweep
            continue
        if key not in FIELDS and key not in SKIP:
            problems.append(
                f"text field {key[2]!r} of {key[0]} {key[1]} is in neither FIELDS nor SKIP of "
                "tests/web/test_injection.py: add how to submit it and where it is shown"
            )
    for key in sorted({*FIELDS, *SKIP} - found):
        problems.append(f"{key}: in a table but the app has no such text field (stale entry)")
    queries = _query_params(app)
    for key in sorted(queries - set(QUERY)):
        problems.append(f"query parameter {key[1]!r} of GET {key[0]} is not in QUERY")
    for key in sorted(set(QUERY) - queries):
        problems.append(f"QUERY entry {key}: no such query parameter (stale)")
    downloads = _downloads(app)
    for path in sorted(downloads ^ set(DOWNLOADS)):
        problems.append(
            f"download route {path} is not classified in DOWNLOADS (check it for formula "
            "injection and unescaped user text)"
            if path in downloads
            else f"stale DOWNLOADS {path}"
        )
    return problems


def _finish(findings: Findings, *, sweep: bool = False) -> None:
    mine = {k for k in KNOWN_BUGS if k[0] == findings.backend} if sweep else set()
    unreproduced = sorted(mine - set(findings.bugs))
    findings.failures.extend(f"known bug no longer reproduced: {k}" for k in unreproduced)
    assert not findings.failures, (
        f"{len(findings.failures)} injection problems in {findings.requests} requests:\n"
        + "\n".join(findings.failures)
    )
    if findings.bugs:
        pytest.xfail("known injection bugs (KNOWN_BUGS):\n" + "\n".join(findings.bugs.values()))


# -------------------------------------------------------------------------------- tests


def test_every_text_field_resists_injection(app, client, world, login, token_for):
    ctx = _setup(app, world, client, login, token_for)
    findings = Findings(backend=app.state.engine.dialect.name)
    findings.failures.extend(_classification(app, ctx))
    orgs_before = _state(app)[0]["organization"]
    created_orgs = 0
    for key, spec in FIELDS.items():
        n_before = _state(app)[0]["organization"]
        _probe(ctx, key, spec, findings)
        created_orgs += _state(app)[0]["organization"] - n_before
    # SQL injection did nothing: the table is there, with exactly the rows made on purpose
    with app.state.session_factory() as s:
        assert "organization" in inspect(s.get_bind()).get_table_names()
        assert s.scalar(select(func.count()).select_from(Organization)) == (
            orgs_before + created_orgs
        )
        for name in world.orgs:
            assert s.get(Organization, world.orgs[name]) is not None
    _finish(findings, sweep=True)


def _query_values(backend: str) -> Iterator[tuple[str, str]]:
    yield from (p for p in payloads(300, backend) if p[0] != "long")
    yield from QUERY_EXTRA.items()
    yield "long", "x" * 300


def test_query_filters_resist_injection(app, client, world, login, token_for):
    ctx = _setup(app, world, client, login, token_for)
    findings = Findings(backend=app.state.engine.dialect.name)
    before = _state(app)
    for (path, param), echoed in QUERY.items():
        for label, value in _query_values(findings.backend):
            sent = "/" + value if param == "next" else value
            c = ctx.cookie["anonymous"] if path == "/login" else None
            key = ("GET", path, f"?{param}")
            findings.requests += 1
            try:
                if path.startswith("/api/"):
                    r = ctx.client.get(path, params={param: sent}, headers=ctx.bearer["admin"])
                else:
                    r = (c or ctx.cookie["admin"]).get(
                        path, params={param: sent}, follow_redirects=False
                    )
            except Exception as exc:  # a server error is a finding, not a crash
                findings.add(key, label, f"server exception {type(exc).__name__}: {exc!s:.200}")
                continue
            if path in SIGN_IN_STEPS and r.status_code == 303:  # no pending sign-in
                if not r.headers["location"].startswith("/login?next=/login/"):
                    findings.add(key, label, f"redirect to {r.headers['location'][:100]}")
                continue
            if r.status_code >= 500 or r.status_code not in (200, 422):
                findings.add(key, label, f"status {r.status_code}: {r.text[:200]}")
                continue
            if path.startswith("/api/"):
                body = r.json() if "json" in r.headers.get("content-type", "") else {}
                literal = label == "underscore" and param == "actor_email"  # sz_officer@…
                if r.status_code == 200 and body.get("total", 0) != 0 and not literal:
                    findings.add(key, label, f"matched {r.json()['total']} rows (filter as SQL?)")
                if r.status_code == 422 and _error_field(r) not in (param, f"query.{param}"):
                    got = r.json().get("field")
                    if got != param:
                        findings.add(key, label, f"422 names {got!r}, expected {param!r}")
                continue
            if problem := _raw_problem(r.text, sent):
                findings.add(key, label, problem)
            elif (
                r.status_code == 200
                and echoed
                and sent.strip() == sent
                and "\\" not in sent
                and str(markupsafe.escape(sent)) not in r.text
            ):
                findings.add(key, label, "filter value not echoed HTML-escaped")
            hit = "南山精密制造有限公司" in r.text
            if path == "/enterprises" and r.status_code == 200 and param == "q" and hit:
                findings.add(key, label, "lists an enterprise that does not match")
    if _state(app) != before:
        findings.failures.append("a GET with injection filters changed the database")
    _finish(findings)


# ---------------------------------------------------------------------- import / exports

IMPORT_HEADER = ["企业名称", "统一社会信用代码", "行业代码", "地区代码", "规模", "产业链"]
SPREADSHEET_PAYLOADS = {
    **{k: v for k, v in PAYLOADS.items() if k not in ("nul", "control")},
    "formula-plus": "+1+cmd|' /C calc'!A0",
    "formula-minus": "-2+3",
    "formula-at": "@SUM(A1:A2)",
    "formula-tab": "\t=1+1",
}


def _import_rows(ctx: Ctx) -> list[tuple[str, str, list[str]]]:
    """(label, column, row): each payload as an enterprise name and as a chain name."""
    rows = []
    for label, p in SPREADSHEET_PAYLOADS.items():
        rows.append(
            (label, "name", [p, ctx.new_code(), "C3484", "440305", "小型", "高端装备:中游"])
        )
        rows.append(
            (
                label,
                "chains",
                [f"链测试{label}", ctx.new_code(), "C3484", "440305", "小型", f"{p}:中游"],
            )
        )
    return rows


def _check_import(
    ctx: Ctx, rows: list[tuple[str, str, list[str]]], r: Any, findings: Findings, how: str
) -> None:
    if r.status_code != 200:
        findings.failures.append(f"import {how}: status {r.status_code}: {r.text[:300]}")
        return
    report = r.json()
    bad_rows = {e["row"]: e for e in report["errors"]}
    imported = iter(report["ids"])
    for number, (label, column, cells) in enumerate(rows, start=2):
        where = f"import {how} row {number} ({label} in {column})"
        if number in bad_rows:
            if bad_rows[number]["field"] not in (column, "name", "chains"):
                findings.failures.append(f"{where}: error names {bad_rows[number]['field']}")
            continue
        eid = next(imported, None)
        if eid is None:
            findings.failures.append(f"{where}: neither imported nor reported")
            continue
        got = ctx.api("GET", f"/api/v1/enterprises/{eid}").json()
        want = cells[0].strip() if column == "name" else cells[5].strip().rsplit(":", 1)[0].strip()
        value = got["name"] if column == "name" else (got["chains"] or [{}])[0].get("chain")
        if value != want:
            findings.failures.append(f"{where}: stored {value!r} != {want!r}")
            continue
        page = ctx.page(f"/enterprises/{eid}")
        if problem := _shown_problem(f"/enterprises/{eid}", page.text, want):
            findings.failures.append(f"{where}: detail page: {problem}")


def test_import_payload_cells(app, client, world, login, token_for):
    """CSV and XLSX imports of payload cells: stored verbatim or row errors, no 5xx;
    the page report shows rejected cells escaped; a NUL makes the file refused whole."""
    from openpyxl import Workbook

    ctx = _setup(app, world, client, login, token_for)
    findings = Findings(backend=app.state.engine.dialect.name)
    # CSV through the API
    rows = _import_rows(ctx)
    out = io.StringIO()
    csv.writer(out).writerows([IMPORT_HEADER, *(r[2] for r in rows)])
    r = ctx.client.post(
        "/api/v1/enterprises/import", headers=ctx.bearer["admin"],
        data={"mode": "valid_only", "dry_run": "false"},
        files={"file": ("inj.csv", out.getvalue().encode("utf-8"), "text/csv")},
    )  # fmt: skip
    _check_import(ctx, rows, r, findings, "CSV")
    # XLSX through the API (openpyxl writes '='-cells as formulas: read back empty → error)
    rows = _import_rows(ctx)
    wb = Workbook()
    ws = wb.active
    ws.append(IMPORT_HEADER)
    for number, (_label, _col, cells) in enumerate(rows, start=2):
        for column, value in enumerate(cells, start=1):
            ws.cell(number, column, value).data_type = "s"  # stored as text, never a formula
    buf = io.BytesIO()
    wb.save(buf)
    r = ctx.client.post(
        "/api/v1/enterprises/import", headers=ctx.bearer["admin"],
        data={"mode": "valid_only", "dry_run": "false"},
        files={"file": ("inj.xlsx", buf.getvalue(), "application/octet-stream")},
    )  # fmt: skip
    _check_import(ctx, rows, r, findings, "XLSX")
    # the page report echoes rejected cells: escaped
    out = io.StringIO()
    bad = [[p, p, p, p, p, p] for p in SPREADSHEET_PAYLOADS.values()]
    csv.writer(out).writerows([IMPORT_HEADER, *bad])
    before = _state(app)
    r = ctx.form(
        "/enterprises/import", {"mode": "valid_only", "dry_run": "1"},
        files={"file": ("inj.csv", out.getvalue().encode("utf-8"), "text/csv")},
    )  # fmt: skip
    if r.status_code != 200:
        findings.failures.append(f"import page: status {r.status_code}: {r.text[:200]}")
    else:
        for label, p in SPREADSHEET_PAYLOADS.items():
            if problem := _raw_problem(r.text, p):
                findings.failures.append(f"import page report ({label}): {problem}")
        if html.escape("<script>alert(1)</script>", quote=False) not in r.text:
            findings.failures.append("import page report does not show the rejected cells")
    if _state(app) != before:
        findings.failures.append("dry-run import page wrote to the database")
    # a NUL / control character in a CSV: refused whole (422 file) or a row error; no 5xx
    for label in ("nul", "control"):
        text = "\n".join([",".join(IMPORT_HEADER),
                          f"{PAYLOADS[label]},{ctx.new_code()},C3484,440305,小型,"])  # fmt: skip
        before = _state(app)
        r = ctx.client.post(
            "/api/v1/enterprises/import", headers=ctx.bearer["admin"],
            data={"mode": "all_or_nothing", "dry_run": "false"},
            files={"file": ("inj.csv", text.encode("utf-8"), "text/csv")},
        )  # fmt: skip
        if r.status_code == 200:
            if r.json()["imported"] or not r.json()["errors"]:
                findings.failures.append(f"CSV with {label}: imported {r.json()}")
        elif r.status_code != 422 or r.json().get("field") != "file":
            findings.failures.append(f"CSV with {label}: status {r.status_code}: {r.text[:200]}")
        if _state(app) != before:
            findings.failures.append(f"CSV with {label}: refused but written")
    _finish(findings)


def _cells(data: bytes) -> Iterator[tuple[str, Any, str]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield f"{ws.title}!{cell.coordinate}", cell.value, cell.data_type


def test_downloads_do_not_write_user_text_as_formulas(app, client, world, login, token_for):
    """Formula injection: an enterprise named like a formula (and with payload chains)
    must not reach any download as a live formula or unescaped HTML."""
    ctx = _setup(app, world, client, login, token_for)
    formulas = [p for k, p in SPREADSHEET_PAYLOADS.items() if k.startswith("formula")]
    name = formulas[0]
    r = ctx.api(
        "PATCH", f"/api/v1/enterprises/{ctx.ids['ent_sz']}",
        json={"name": name, "chains": [{"chain": f, "stage": "中游"} for f in formulas[1:]]},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    user_text = {name, *formulas, PAYLOADS["script"]}
    problems: list[str] = []
    sub = ctx.ids["submitted"]
    downloads = {
        "/api/v1/enterprises/import/template.csv": None,
        f"/api/v1/assessments/{sub}/report.xlsx": "xlsx",
        f"/api/v1/assessments/{sub}/template.xlsx": "xlsx",
    }
    if "/api/v1/dashboard.xlsx" in _downloads(app):  # being built in parallel
        for f in formulas:
            downloads[f"/api/v1/dashboard.xlsx?{urlencode({'chain': f})}"] = "xlsx"
        downloads["/api/v1/dashboard.xlsx"] = "xlsx"
    for url, kind in downloads.items():
        r = ctx.api("GET", url, who="ent_admin")
        if r.status_code != 200:
            problems.append(f"GET {url}: status {r.status_code}")
            continue
        if kind == "xlsx":
            for where, value, dtype in _cells(r.content):
                text = str(value)
                if any(u in text for u in user_text) and dtype == "f":
                    problems.append(f"{url} {where}: user text as a live formula {text!r}")
        else:
            for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))):
                for cell in row:
                    if cell in user_text and cell[:1] in "=+-@\t\r":
                        problems.append(f"{url}: user text as a formula cell {cell!r}")
    # the carbon report: the enterprise name is user text; text starting with = + - @ is
    # written prefixed with ' (never a formula), the carrier names and units as plain text
    url = f"/api/v1/carbon/{ctx.ids['carbon']}/report.xlsx"
    for f in formulas:
        r = ctx.api("PATCH", f"/api/v1/enterprises/{ctx.ids['ent_sz']}", json={"name": f})
        if r.status_code != 200:
            problems.append(f"PATCH name {f!r}: status {r.status_code}: {r.text[:200]}")
            continue
        stored = r.json()["name"]
        r = ctx.api("GET", url, who="ent_admin")
        if r.status_code != 200:
            problems.append(f"GET {url}: status {r.status_code}")
            continue
        cells = list(_cells(r.content))
        problems.extend(
            f"{url} {where}: a live formula {value!r}" for where, value, dtype in cells
            if dtype == "f"
        )  # fmt: skip
        texts = {value for _where, value, dtype in cells if dtype == "s"}
        # every download goes through io.atomic.xlsx_bytes: typed text cells, never formulas
        if stored not in texts:
            problems.append(f"{url}: enterprise name {stored!r} not written as text")
        for text in (CARBON_RECORD["carrier"], CARBON_RECORD["unit"]):
            if text not in texts:
                problems.append(f"{url}: {text!r} missing (expected as text)")
    # the PDF report is printed from HTML: the enterprise name must be escaped there
    with app.state.session_factory() as session:
        org = session.get(Organization, ctx.ids["ent_sz"])
        org.name = PAYLOADS["script"]
        session.commit()
        actor = load_actor(session, session.get(User, ctx.ids["ent_admin"]), via="token")
        view = assessment_service.result_view(session, actor, sub)
        report = assessment_service.report_html(session, view)
    if "<script>alert(1)" in report:
        problems.append("report.pdf HTML contains the enterprise name unescaped")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------- the loop (issue 11)


def _loop_setup(app: Any, world: Any, ctx: Ctx, login: Any, token_for: Any) -> None:
    """The loop's objects the sweep writes to (see LOOP_FIELDS), and prov's and prov2's
    sign-ins."""
    from tests.web.loop_world import EQUIPMENT, actor_of, admit, need_with_project

    from nqpf.web.services import needs as need_service
    from nqpf.web.services import providers as register_service
    from nqpf.web.services import solutions as solution_service

    ids = ctx.ids
    e = world.emails
    with app.state.session_factory() as s:
        ent, prov, prov2, admin = (
            actor_of(s, e[n]) for n in ("ent_admin", "prov_member", "prov2_member", "admin")
        )
        ids["sol_inj"] = solution_service.create(s, prov, EQUIPMENT, ref="INJ-1").id
        need = {"scene": "设备管理", "current_level": 2, "target_level": 3}
        ids["need_inj"] = need_service.create(s, ent, ids["ent_sz"], need).id
        ids["project_inj"] = need_with_project(s, ent, prov, ids["ent_sz"], ids["prov"])["project"]
        shared = need_service.create(s, ent, ids["ent_sz"], {**need, "title": "共享需求"})
        need_service.set_status(s, ent, shared.id, "publish")
        need_service.share(s, ent, shared.id, [ids["prov"]])
        ids["need_open"] = shared.id
        ids["close_pool"] = [
            need_with_project(s, ent, prov, ids["ent_sz"], ids["prov"], title=f"待关闭{i}")["project"]
            for i in range(24)
        ]
        ids["reg_review"] = register_service.apply(
            s, prov, ids["auth_su"], "评审", provider_id=ids["prov"]
        ).id  # applied
        rejected = register_service.apply(s, prov, ids["auth_sz"], "申诉", provider_id=ids["prov"])
        failed = {"experts": ["甲"], "score": 10, "opinion": "不通过", "passed": False}
        register_service.act(s, admin, rejected.id, "review", failed)
        ids["reg_appeal"] = rejected.id  # rejected: the provider may appeal
        ids["reg_sanction"] = admit(s, admin, prov2, ids["auth_sz"], ids["prov2"])
        register_service.act(s, admin, ids["reg_sanction"], "sanction",
                             {"kind": "warning", "reason": "注入"})  # fmt: skip
        register_service.act(s, prov2, ids["reg_sanction"], "appeal", {"reason": "申诉"})
        choices = need_service.roadmap_choices(s, ent, ids["submitted"])
        ids["roadmap_steps"] = [x.step_id for x in choices.suggestions]
    for name, who in (("prov", "prov_member"), ("prov2", "prov2_member")):
        ctx.cookie[name] = login(e[who])
        ctx.bearer[name] = token_for(e[who])


def _loop_classification(app: Any, ctx: Ctx) -> list[str]:
    problems: list[str] = []
    found = {k for k in _api_fields(app) if _is_loop(k[1])}
    page_found, page_problems = _page_fields(app, ctx, LOOP_FORM_PAGES)
    problems.extend(page_problems)
    found |= {k for k in page_found if _is_loop(k[1])}
    for key in sorted(found):
        if key[2] not in HTML_ONLY_NOT_TEXT and key not in LOOP_FIELDS and key not in LOOP_SKIP:
            problems.append(
                f"text field {key[2]!r} of {key[0]} {key[1]} is in neither LOOP_FIELDS nor "
                "LOOP_SKIP of tests/web/test_injection.py"
            )
    for key in sorted({*LOOP_FIELDS, *LOOP_SKIP} - found):
        problems.append(f"{key}: in a loop table but the app has no such text field (stale)")
    return problems


def test_loop_text_fields_resist_injection(app, client, world, login, token_for):
    """Every text field of the loop's routes: stored verbatim and shown escaped, or
    refused naming the field with nothing written (the main sweep's rules)."""
    ctx = _setup(app, world, client, login, token_for)
    _loop_setup(app, world, ctx, login, token_for)
    findings = Findings(backend=app.state.engine.dialect.name)
    findings.failures.extend(_loop_classification(app, ctx))
    for key, spec in LOOP_FIELDS.items():
        _probe(ctx, key, spec, findings)
    _finish(findings)
