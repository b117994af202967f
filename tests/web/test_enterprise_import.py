"""Bulk import of enterprises from CSV / XLSX: validation report, modes, limits, audit."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from tests.web.world import credit_code

import nqpf.io.tables
from nqpf.services import enterprises as service
from nqpf.web.models import AuditEvent, EnterpriseProfile, Organization

pytest.importorskip("fastapi", reason="the platform tests need the 'web' extra (FastAPI)")

URL = "/api/v1/enterprises/import"
HEADER = "企业名称,统一社会信用代码,行业代码,地区代码,规模,产业链"


def _code(i: int) -> str:
    return credit_code(f"91440300MA5KMP{i:03d}")


def _row(i: int, **over) -> str:
    cells = {
        "name": f"导入企业{i}",
        "credit_code": _code(i),
        "industry": "C3484",
        "region_code": "440305",
        "size_class": "小型",
        "chains": "新能源汽车:中游;高端装备:上游",
    }
    cells.update(over)
    return ",".join(cells.values())


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _post(client, headers, content, filename="e.csv", **form):
    data = {k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()}
    if isinstance(content, str):
        content = content.encode("utf-8")
    return client.post(URL, headers=headers, files={"file": (filename, content)}, data=data)


def _count(app) -> int:
    with app.state.session_factory() as s:
        return s.scalar(select(func.count()).select_from(Organization))


@pytest.fixture
def token_for(app):
    """Bearer headers of a world user, minted directly (no argon2 check: fast)."""
    from nqpf.web.authz import load_actor
    from nqpf.web.models import User
    from nqpf.web.services.auth import issue_api_token

    def _token(email: str) -> dict[str, str]:
        with app.state.session_factory() as s:
            user = s.scalars(select(User).where(User.email == email)).one()
            token, _row = issue_api_token(s, load_actor(s, user, via="token"), "test", 1)
        return {"Authorization": f"Bearer {token}"}

    return _token


@pytest.fixture
def h(world, token_for):
    return token_for(world.emails["sz_admin"])


def test_all_or_nothing_one_bad_row_imports_nothing(app, client, world, h):
    before = _count(app)
    bad = _row(2, credit_code=_code(2)[:17] + ("0" if _code(2)[17] != "0" else "1"))
    r = _post(client, h, _csv(_row(1), bad, _row(3)))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["imported"] == 0 and out["dry_run"] is False and out["valid_rows"] == 2
    [error] = out["errors"]
    assert error["row"] == 3 and error["column"] == "统一社会信用代码"
    assert error["field"] == "credit_code" and repr(_code(2)[17]) in error["message"]
    assert _count(app) == before


def test_all_errors_reported_per_cell(client, world, h):
    rows = [
        _row(1, industry="X99", size_class="巨型"),
        _row(2, region_code="320506"),  # outside sz_admin's scope
        _row(3, region_code="990000", chains="新能源汽车"),
        _row(4, name=""),
    ]
    out = _post(client, h, _csv(*rows)).json()
    cells = {(e["row"], e["field"]) for e in out["errors"]}
    assert cells == {
        (2, "industry"),
        (2, "size_class"),
        (3, "region_code"),
        (4, "region_code"),
        (4, "chains"),
        (5, "name"),
    }
    scope = next(e for e in out["errors"] if e["row"] == 3)
    assert "管辖范围" in scope["message"] and scope["value"] == "320506"


def test_valid_only_imports_good_rows_with_audit(app, client, world, h):
    before = _count(app)
    rows = [_row(1), _row(2, industry="bad"), _row(3, size_class="medium")]
    r = _post(client, h, _csv(*rows), mode="valid_only")
    out = r.json()
    assert out["imported"] == 2 and len(out["ids"]) == 2
    assert [(e["row"], e["column"]) for e in out["errors"]] == [(3, "行业代码")]
    assert _count(app) == before + 2
    with app.state.session_factory() as s:
        profiles = s.scalars(
            select(EnterpriseProfile).where(EnterpriseProfile.organization_id.in_(out["ids"]))
        ).all()
        assert {p.size_class for p in profiles} == {"small", "medium"}
        assert profiles[0].chains == [
            {"chain": "新能源汽车", "stage": "中游"},
            {"chain": "高端装备", "stage": "上游"},
        ]
        events = s.scalars(select(AuditEvent).where(AuditEvent.action.in_(["create", "import"])))
        events = [e for e in events if e.object_type in ("enterprise", "enterprise_import")]
        created = {int(e.object_id) for e in events if e.action == "create"}
        assert created == set(out["ids"])
        [summary] = [e for e in events if e.action == "import"]
        assert summary.after["count"] == 2 and summary.after["ids"] == out["ids"]
    # the importing authority sees them
    names = {i["name"] for i in client.get("/api/v1/enterprises", headers=h).json()["items"]}
    assert {"导入企业1", "导入企业3"} <= names


def test_duplicates_within_file_and_in_database(app, client, world, h):
    before = _count(app)
    rows = [
        _row(1),
        _row(2, credit_code=_code(1).lower()),
        _row(3, credit_code=world.credit_codes["ent_sz"]),
    ]
    out = _post(client, h, _csv(*rows), mode="valid_only").json()
    errors = {e["row"]: e["message"] for e in out["errors"]}
    assert set(errors) == {3, 4}
    assert "第 2 行重复" in errors[3] and "已存在" in errors[4]
    assert out["imported"] == 1 and _count(app) == before + 1


def test_dry_run_writes_nothing(app, client, world, h, token_for):
    before = _count(app)
    with app.state.session_factory() as s:
        events = s.scalar(select(func.count()).select_from(AuditEvent))
    out = _post(client, h, _csv(_row(1), _row(2)), dry_run=True, mode="valid_only").json()
    assert out == {**out, "imported": 0, "dry_run": True, "valid_rows": 2, "errors": []}
    assert _count(app) == before
    with app.state.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == events
    _import_rights(client, world, token_for)


def test_gb18030_and_bom_csv(app, client, world, h):
    text = _csv(_row(1, name="广东省深圳市某某精密科技有限公司"))
    out = _post(client, h, text.encode("gb18030")).json()
    assert out["imported"] == 1, out
    out = _post(client, h, b"\xef\xbb\xbf" + _csv(_row(2)).encode("utf-8")).json()
    assert out["imported"] == 1, out
    names = {i["name"] for i in client.get("/api/v1/enterprises", headers=h).json()["items"]}
    assert "广东省深圳市某某精密科技有限公司" in names


def _english_headers_and_example_row_skipped(client, world, h):
    header = "name,credit_code,industry,region_code,size_class,chains,备注"
    text = _csv(_row(1) + ",", _row(2) + ",示例", header=header)
    out = _post(client, h, text).json()
    assert out["imported"] == 1 and out["total_rows"] == 1


def _xlsx(*rows: list) -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_xlsx(app, client, world, h):
    data = _xlsx(
        ["表格企业", _code(7), "C3484", 440305, "medium", ""],
        ["坏行", _code(8), "C3484", "12345", "small", None],
    )
    out = _post(client, h, data, filename="企业.xlsx", mode="valid_only").json()
    assert out["imported"] == 1
    assert [(e["row"], e["field"]) for e in out["errors"]] == [(3, "region_code")]


def test_uploads_read_through_the_one_table_reader(client, world, h, monkeypatch):
    """A GB18030 CSV and an XLSX both go through nqpf.io.tables.read_table."""
    read = []

    def spy(data, **options):
        read.append(options["name"])
        return nqpf.io.tables.read_table(data, **options)

    monkeypatch.setattr(service, "read_table", spy)
    gb18030 = _csv(_row(1, name="广东省深圳市某某精密科技有限公司")).encode("gb18030")
    assert _post(client, h, gb18030, filename="名单.csv").json()["imported"] == 1
    xlsx = _xlsx(["表格企业", _code(2), "C3484", 440305, "中型", "新能源汽车:下游"])
    assert _post(client, h, xlsx, filename="名单.xlsx").json()["imported"] == 1
    assert read == ["名单.csv", "名单.xlsx"]


def test_blank_rows_keep_spreadsheet_row_numbers(client, world, h):
    text = _csv(_row(1), "", ",,,,,", _row(2, industry="X1"))
    out = _post(client, h, text, dry_run=True).json()
    assert out["total_rows"] == 2
    assert [(e["row"], e["field"]) for e in out["errors"]] == [(5, "industry")]
    data = _xlsx(
        ["表格企业", _code(3), "C3484", 440305, "medium", ""],
        [None] * 6,
        ["坏行", _code(4), "C3484", 440305, "巨型", None],
    )
    out = _post(client, h, data, filename="e.xlsx", dry_run=True).json()
    assert [(e["row"], e["field"]) for e in out["errors"]] == [(4, "size_class")]


def test_damaged_workbooks_are_refused_by_name(client, world, h):
    import zipfile

    good = zipfile.ZipFile(io.BytesIO(_xlsx(["x", _code(5), "C3484", 440305, "small", ""])))
    for damage in ("drop the sheet", "break the sheet's XML"):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as damaged:
            for part in good.namelist():
                if "sheet1" not in part:
                    damaged.writestr(part, good.read(part))
                elif damage == "break the sheet's XML":
                    damaged.writestr(part, b"<worksheet")
        r = _post(client, h, out.getvalue(), filename="坏表.xlsx")
        assert r.status_code == 422, damage
        assert r.json()["field"] == "file" and "坏表.xlsx" in r.json()["detail"], damage


def test_header_spellings_and_limits(client, world, h, monkeypatch):
    header = "企业名称/name,统一社会信用代码,Industry,地区代码 | region_code,规模,产业链"
    out = _post(client, h, _csv(_row(1), header=header), filename="e.txt", dry_run=True)
    assert out.json()["valid_rows"] == 1
    r = _post(client, h, _csv(_row(1), header=HEADER + ",name"))
    assert r.status_code == 422 and "重复" in r.json()["detail"]
    monkeypatch.setattr(service, "MAX_IMPORT_ROWS", 2)
    r = _post(client, h, _csv(_row(1), _row(2), _row(3)))
    assert r.status_code == 422 and "一次最多导入 2 行" in r.json()["detail"]


def test_missing_columns_and_wrong_type(app, client, world, h):
    r = _post(client, h, "企业名称,行业代码\nx,C3484\n")
    assert r.status_code == 422
    detail = r.json()["detail"]
    for column in ("统一社会信用代码", "地区代码", "规模"):
        assert column in detail
    assert "企业名称" not in detail.split("缺少必需列")[1]
    r = _post(client, h, b"%PDF-1.4 ...", filename="名单.pdf")
    assert r.status_code == 422 and "名单.pdf" in r.json()["detail"]
    r = _post(client, h, b"not a zip", filename="名单.xlsx")
    assert r.status_code == 422 and "名单.xlsx" in r.json()["detail"]
    r = _post(client, h, HEADER + "\n")
    assert r.status_code == 422


def _import_rights(client, world, token_for):
    for user in ("sz_officer", "ent_admin", "prov_member"):
        r = _post(client, token_for(world.emails[user]), _csv(_row(1)))
        assert r.status_code == 403, user
    out = _post(client, token_for(world.emails["admin"]), _csv(_row(1, region_code="320506")))
    assert out.json()["imported"] == 1


def test_oversized_upload_413(db_url, world, token_for):
    from fastapi.testclient import TestClient

    from nqpf.web.config import Settings
    from nqpf.web.main import create_app

    small = create_app(
        Settings(database_url=db_url, env="test", secret_key="t" * 32, max_upload_bytes=1000)
    )
    headers = token_for(world.emails["sz_admin"])
    try:
        with TestClient(small) as c:
            big = _csv(*(_row(i) for i in range(40)))
            assert len(big.encode()) > 1000
            r = _post(c, headers, big)
            assert r.status_code == 413
    finally:
        small.state.engine.dispose()


def test_template_download(client, world, h):
    r = client.get(URL + "/template.csv", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("企业名称,统一社会信用代码,行业代码,地区代码,规模,产业链")
    assert len(lines) == 2 and "示例" in lines[1]
    # the template imports cleanly (the example row is skipped)
    r = _post(client, h, r.content + _row(9).encode() + b"\r\n")
    assert r.json()["imported"] == 1 and r.json()["errors"] == []
    _english_headers_and_example_row_skipped(client, world, h)


def test_import_page(app, world, login):
    c = login(world.emails["sz_admin"])
    page = c.get("/enterprises/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    text = _csv(_row(1), _row(2, name="<script>alert(1)</script>", industry="<b>"))
    r = c.post(
        "/enterprises/import",
        data={"mode": "all_or_nothing", "csrf_token": c.csrf},
        files={"file": ("e.csv", text.encode())},
    )
    assert r.status_code == 200
    assert "行业代码" in r.text and "<td>3</td>" in r.text and "没有导入任何企业" in r.text
    assert "<b>" not in r.text.split("导入结果")[1]
    r = c.post(
        "/enterprises/import",
        data={"mode": "valid_only", "csrf_token": c.csrf},
        files={"file": ("e.csv", text.encode())},
    )
    assert "已导入 1 家企业" in r.text
    r = c.post(
        "/enterprises/import",
        data={"csrf_token": c.csrf},
        files={"file": ("e.doc", b"x")},
    )
    assert r.status_code == 422 and "e.doc" in r.text
    del c.headers["X-CSRF-Token"]
    r = c.post("/enterprises/import", files={"file": ("e.csv", text.encode())})
    assert r.status_code == 403
