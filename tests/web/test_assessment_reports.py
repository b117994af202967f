"""Assessment downloads and uploads: XLSX template round trip, XLSX and PDF reports."""

from __future__ import annotations

import io
import shutil

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from tests.web.answers import complete_answers

from nqpf.assessment import load_framework, score
from nqpf.io.assessment_template import META_SHEET, SCENE_SHEET
from nqpf.web.models import Assessment, AuditEvent

FW = "sme-digital-2024"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def fw():
    return load_framework(FW)


def _start(c, world):
    r = c.post(f"/api/v1/enterprises/{world.orgs['ent_sz']}/assessments", json={"framework": FW})
    assert r.status_code in (200, 201), r.text
    return r.json()


def fill(data: bytes, fw, answers) -> bytes:
    """Fill a downloaded template the way a user does in Excel (labels, 是/否, numbers)."""
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        if ws.title in ("说明", SCENE_SHEET, "_lists", META_SHEET):
            continue
        for r in range(2, ws.max_row + 1):
            code, kind = ws.cell(r, 6).value, ws.cell(r, 3).value
            if kind == "选项":
                qid, oid = code.split(".")
                ws.cell(r, 4).value = "是" if oid in answers[qid] else "否"
            elif kind == "单选":
                ws.cell(r, 4).value = fw.question(code).option(answers[code]).label
            elif kind == "数值":
                ws.cell(r, 4).value = answers[code]
    ws = wb[SCENE_SHEET]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 5).value = answers[ws.cell(r, 10).value]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(c, aid, data, name="filled.xlsx", **kw):
    return c.post(f"/api/v1/assessments/{aid}/upload", files={"file": (name, data, XLSX)}, **kw)


def test_template_round_trip(app, login, world, fw):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    r = c.get(f"/api/v1/assessments/{a['id']}/template.xlsx")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    answers = complete_answers(fw)
    filled = fill(r.content, fw, answers)
    r = _upload(c, a["id"], filled)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["revision"] == 1 and body["progress"]["complete"]
    assert body["responses"] == answers
    r = c.post(f"/api/v1/assessments/{a['id']}/submit")
    assert r.status_code == 200, r.text
    assert r.json()["result"]["total"] == score(fw, answers).total
    with app.state.session_factory() as s:
        actions = [
            e.action
            for e in s.scalars(select(AuditEvent).where(AuditEvent.object_type == "assessment"))
        ]
    assert actions == ["create", "upload", "submit"]
    # a submitted assessment takes no upload
    assert _upload(c, a["id"], filled).status_code == 409


def test_upload_page_form(app, login, world, fw):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    template = c.get(f"/api/v1/assessments/{a['id']}/template.xlsx").content
    r = c.post(
        f"/assessments/{a['id']}/upload",
        data={"csrf_token": c.csrf},
        files={"file": ("x.xlsx", fill(template, fw, complete_answers(fw)), XLSX)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = c.post(
        f"/assessments/{a['id']}/upload",
        data={"csrf_token": c.csrf},
        files={"file": ("x.xlsx", b"<script>alert(1)</script>", XLSX)},
    )
    assert r.status_code == 422 and ("无法读取" in r.text or "模板有误" in r.text)


def test_bad_uploads_are_422_and_change_nothing(app, login, world, fw):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    assert (
        c.patch(
            f"/api/v1/assessments/{a['id']}", json={"revision": 0, "answers": {"scene_quality": 3}}
        ).status_code
        == 200
    )
    template = c.get(f"/api/v1/assessments/{a['id']}/template.xlsx").content
    answers = complete_answers(fw)

    # garbage, an empty file and a CSV renamed
    for data in (b"not a zip at all", b"", b"a,b\n1,2\n"):
        r = _upload(c, a["id"], data)
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "file"

    # a template of another framework version
    wb = load_workbook(io.BytesIO(fill(template, fw, answers)))
    meta = wb[META_SHEET]
    for row in meta.iter_rows():
        if row[0].value == "version":
            row[1].value = "2022"
    out = io.BytesIO()
    wb.save(out)
    r = _upload(c, a["id"], out.getvalue())
    assert r.status_code == 422 and "2022" in r.json()["detail"]

    # bad cells: an unknown option label and a rate out of range, named by sheet and cell
    wb = load_workbook(io.BytesIO(fill(template, fw, answers)))
    ws = wb["数字化基础"]
    bad_cells = []
    for r_ in range(2, ws.max_row + 1):
        if ws.cell(r_, 6).value == "information_system":
            ws.cell(r_, 4).value = "<script>alert(1)</script>"
            bad_cells.append(ws.cell(r_, 4).coordinate)
        if ws.cell(r_, 6).value == "equipment_digital_rate":
            ws.cell(r_, 4).value = 250
            bad_cells.append(ws.cell(r_, 4).coordinate)
    out = io.BytesIO()
    wb.save(out)
    r = _upload(c, a["id"], out.getvalue())
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "数字化基础" in detail and all(cell in detail for cell in bad_cells)
    # the page shows the problem escaped
    page = c.post(
        f"/assessments/{a['id']}/upload",
        data={"csrf_token": c.csrf},
        files={"file": ("x.xlsx", out.getvalue(), XLSX)},
    )
    assert page.status_code == 422 and "&lt;script&gt;" in page.text
    assert "<script>alert(1)</script>" not in page.text

    with app.state.session_factory() as s:
        row = s.get(Assessment, a["id"])
        assert row.revision == 1 and row.responses == {"scene_quality": 3}


def test_report_xlsx_and_access(login, world, fw, token_for, client):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    assert c.get(f"/api/v1/assessments/{a['id']}/report.xlsx").status_code == 409  # a draft
    c.patch(f"/api/v1/assessments/{a['id']}", json={"revision": 0, "answers": complete_answers(fw)})
    assert c.post(f"/api/v1/assessments/{a['id']}/submit").status_code == 200
    r = c.get(f"/api/v1/assessments/{a['id']}/report.xlsx")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["概要", "维度", "题目", "场景", "条件", "路线图"]
    values = [row for row in wb["概要"].iter_rows(values_only=True)]
    expected = score(fw, complete_answers(fw))
    assert values[0] == ("项目", "数值") and ("总分", expected.total) in values
    assert ("等级规则可信度", "二手来源（待与官方公告核对）") in values
    cells = {str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row}
    assert not cells & {"secondary", "True", "False", "single", "multi", "points", "level"}
    assert (
        client.get(
            f"/api/v1/assessments/{a['id']}/report.xlsx",
            headers=token_for(world.emails["prov_member"]),
        ).status_code
        == 200
    )
    assert (
        client.get(
            f"/api/v1/assessments/{a['id']}/report.xlsx",
            headers=token_for(world.emails["su_officer"]),
        ).status_code
        == 404
    )


def test_report_pdf(login, world, fw, monkeypatch):
    c = login(world.emails["ent_member"])
    a = _start(c, world)
    c.patch(f"/api/v1/assessments/{a['id']}", json={"revision": 0, "answers": complete_answers(fw)})
    assert c.post(f"/api/v1/assessments/{a['id']}/submit").status_code == 200
    if shutil.which("chromium") is None:
        print("skipping the PDF print: chromium is not installed")
    else:
        r = c.get(f"/api/v1/assessments/{a['id']}/report.pdf")
        assert r.status_code == 200, r.text
        assert r.content.startswith(b"%PDF") and r.headers["content-type"] == "application/pdf"
    # without Chromium: 503 with a clear message
    monkeypatch.setenv("NQPF_CHROMIUM", "/nonexistent/chromium")
    r = c.get(f"/api/v1/assessments/{a['id']}/report.pdf")
    assert r.status_code == 503 and "Chromium" in r.json()["detail"]
