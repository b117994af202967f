"""The XLSX assessment template: layout, round trip through openpyxl, and bad input.

Templates are filled programmatically with openpyxl the way a user fills them in Excel:
option labels from the dropdowns, 是/否 for multi-select options, numbers for rates and
levels 1–4 for scenes.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from nqpf.assessment import load_framework, parse_framework, score
from nqpf.exceptions import DataValidationError
from nqpf.io.assessment_template import (
    META_SHEET,
    SCENE_SHEET,
    framework_checksum,
    read_responses,
    write_template,
)

KEY = "sme-digital-2024"
DIM_SHEETS = ["数字化基础", "数字化管理", "数字化成效"]


@pytest.fixture(scope="module")
def fw():
    return load_framework(KEY)


def answers_high(fw) -> dict[str, Any]:
    """Varied answers: best single options, several multi options, rates, scenes at 3."""
    out: dict[str, Any] = {}
    for i, q in enumerate(fw.questions):
        if q.kind == "single":
            out[q.id] = q.options[-1 - (i % 2)].id
        elif q.kind == "multi":
            plain = [o.id for o in q.options if not o.exclusive]
            out[q.id] = tuple(plain[: 1 + i % len(plain)])
        else:
            out[q.id] = float(10 + 7 * i)
    out.update({s.id: 1 + i % 4 for i, s in enumerate(fw.scenes)})
    return out


def answers_low(fw) -> dict[str, Any]:
    """'无' alone, an empty multi-select (all 否), first options, rate 0, scenes at 1."""
    out: dict[str, Any] = {}
    for q in fw.questions:
        if q.kind == "single":
            out[q.id] = q.options[0].id
        elif q.kind == "multi":
            ex = [o.id for o in q.options if o.exclusive]
            out[q.id] = tuple(ex)
        else:
            out[q.id] = 0.0
    out.update(dict.fromkeys(fw.scene_ids, 1))
    return out


def fill(path: Path, fw, answers: dict[str, Any], *, labels: bool = True) -> None:
    """Fill a written template with ``answers`` (ids), choosing labels as Excel would."""
    wb = load_workbook(path)
    for title in DIM_SHEETS:
        ws = wb[title]
        for r in range(2, ws.max_row + 1):
            code, kind = ws.cell(r, 6).value, ws.cell(r, 3).value
            if kind == "选项":
                qid, oid = code.split(".")
                ws.cell(r, 4).value = "是" if oid in answers[qid] else "否"
            elif kind == "单选":
                oid = answers[code]
                ws.cell(r, 4).value = fw.question(code).option(oid).label if labels else oid
            elif kind == "数值" or (kind == "表单字段（选填）" and code in answers):
                ws.cell(r, 4).value = answers[code]
    ws = wb[SCENE_SHEET]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 5).value = answers[ws.cell(r, 10).value]
    wb.save(path)


def find_cell(path: Path, sheet: str, code: str, column: int = 4) -> str:
    """Coordinate of the answer cell of the row whose hidden code is ``code``."""
    wb = load_workbook(path)
    ws = wb[sheet]
    code_col = 10 if sheet == SCENE_SHEET else 6
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, code_col).value == code:
            return ws.cell(r, column).coordinate
    raise KeyError(code)


def set_cell(path: Path, sheet: str, cell: str, value: Any) -> None:
    wb = load_workbook(path)
    wb[sheet][cell].value = value
    wb.save(path)


@pytest.fixture
def template(tmp_path, fw) -> Path:
    path = tmp_path / "模板.xlsx"
    write_template(fw, path)
    return path


@pytest.fixture
def filled(template, fw) -> Path:
    fill(template, fw, answers_high(fw))
    return template


# ------------------------------------------------------------------------------ layout
def test_layout_sheets_metadata_and_validation(template, fw):
    wb = load_workbook(template)
    assert wb.sheetnames == ["说明", *DIM_SHEETS, "场景", "_lists", META_SHEET]
    assert wb["_lists"].sheet_state == "hidden"
    assert wb[META_SHEET].sheet_state == "veryHidden"
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert meta["framework"] == "sme-digital" and meta["version"] == "2024"
    assert meta["checksum"] == framework_checksum(fw)
    cover = [c for row in wb["说明"].iter_rows(values_only=True) for c in row if c]
    for text in (fw.name, fw.id, fw.version, fw.source, "填写说明"):
        assert text in cover
    ws = wb["数字化基础"]
    assert [c.value for c in ws[1]] == ["编号", "题目", "题型", "答案", "说明/选项", "代码"]
    assert ws.column_dimensions["F"].hidden
    assert ws.protection.sheet
    # one row per question, multi-select options as rows, all 15 questions placed
    codes = [wb[s].cell(r, 6).value for s in DIM_SHEETS for r in range(2, wb[s].max_row + 1)]
    assert [c for c in codes if c in fw.question_ids] == fw.question_ids
    assert "network.A" in codes and "data_collection.hr" in codes
    # dropdowns and numeric validation
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_cell[rng.coord] = dv
    rate = by_cell[find_cell(template, "数字化基础", "equipment_digital_rate")]
    assert (rate.type, rate.operator, rate.formula1, rate.formula2) == (
        "decimal",
        "between",
        "0",
        "100",
    )
    assert rate.showErrorMessage
    single = by_cell[find_cell(template, "数字化基础", "information_system")]
    assert single.type == "list"
    _sheet_ref, rng = single.formula1.split("!")
    col = rng.split(":")[0].replace("$", "")[0]
    listed = [c.value for c in wb["_lists"][col] if c.value is not None]
    assert listed == [o.label for o in fw.question("information_system").options]
    yes_no = by_cell[find_cell(template, "数字化基础", "network.A")]
    assert yes_no.type == "list" and yes_no.formula1.endswith("$A$1:$A$2")
    assert [c.value for c in wb["_lists"]["A"]][:2] == ["是", "否"]
    # answer cells are unlocked, labels are locked
    assert not ws[find_cell(template, "数字化基础", "information_system")].protection.locked
    assert ws[find_cell(template, "数字化基础", "information_system", 2)].protection.locked
    # scenes: one row each, level dropdown 1–4 and the four level texts
    sc = wb["场景"]
    assert sc.max_row == 1 + len(fw.scenes)
    assert [c.value for c in sc[2]][5:9] == list(fw.scenes[0].levels)
    dv = sc.data_validations.dataValidation[0]
    assert dv.formula1 == '"1,2,3,4"' and "E2" in str(dv.sqref)


def test_framework_without_questions_has_no_template(tmp_path):
    with pytest.raises(DataValidationError, match="no item tables"):
        write_template(load_framework("sme-digital-2022"), tmp_path / "t.xlsx")
    assert not list(tmp_path.iterdir())


def test_write_is_atomic_and_needs_xlsx(tmp_path, fw):
    with pytest.raises(DataValidationError, match="xlsx"):
        write_template(fw, tmp_path / "t.csv")
    write_template(KEY, tmp_path / "t.xlsx")  # a key works too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


# -------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("which", ["high", "low"])
def test_round_trip_equals_score_of_the_same_dict(which, template, fw):
    answers = answers_high(fw) if which == "high" else answers_low(fw)
    fill(template, fw, answers)
    fid, version, responses = read_responses(template)
    assert (fid, version) == ("sme-digital", "2024")
    assert responses == answers
    got, expected = score(fw, responses), score(fw, answers)
    assert got.total == expected.total
    assert got.level == expected.level
    assert dict(got.dimensions) == dict(expected.dimensions)
    if which == "low":
        assert got.total == 0


def test_option_ids_typed_instead_of_labels_are_accepted(template, fw):
    answers = answers_high(fw)
    fill(template, fw, answers, labels=False)
    assert read_responses(template, fw)[2] == answers


def test_form_fields_are_read_when_filled(template, fw):
    answers = answers_high(fw) | {"equipment_total": 40, "equipment_digital": 12}
    fill(template, fw, answers)
    responses = read_responses(template)[2]
    assert responses["equipment_total"] == 40 and responses["equipment_digital"] == 12
    score(fw, responses)  # form fields are accepted by score()


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("sheet", "code", "value", "expected", "expected_zh"),
    [
        (
            "数字化基础",
            "information_system",
            "很好",
            ["'很好' is not one of", "单个业务环节"],
            "没有选项 '很好'，可选：A. 无、B. 单个业务环节",
        ),
        (
            "数字化成效",
            "green_low_carbon",
            "降低了",
            ["'降低了' is not one of"],
            "没有选项 '降低了'",
        ),
        (
            "数字化基础",
            "equipment_digital_rate",
            130,
            ["130 is out of range [0, 100]"],
            "的数值 130 超出范围 [0, 100]",
        ),
        ("数字化管理", "funding_rate", -1, ["out of range"], "的数值 -1 超出范围 [0, 100]"),
        ("数字化基础", "equipment_network_rate", "很多", ["'很多' is not a number"], "应为数值"),
        (
            "数字化基础",
            "information_system",
            None,
            ["missing answer", "information_system"],
            "第5题“使用本地或云化部署的信息化服务实现业务数字化管理情况”缺少答案",
        ),
        (
            "数字化基础",
            "network.B",
            "可能",
            ["'可能' is not one of 是/否", "network"],
            "第1题“企业网络建设连接情况”的选项B应填 是 或 否，收到 '可能'",
        ),
        ("数字化基础", "equipment_total", "abc", ["not a non-negative number"], "不小于 0 的数值"),
        (
            "场景",
            "scene_quality",
            5,
            ["5 is not one of 1, 2, 3, 4", "scene_quality"],
            "场景“质量管理”的等级应为 1、2、3、4 之一，收到 5",
        ),
        ("场景", "scene_quality", "二级", ["'二级' is not one of 1, 2, 3, 4"], "收到 '二级'"),
        (
            "场景",
            "scene_finance",
            None,
            ["missing level", "scene_finance"],
            "场景“财务管理”缺少等级（1–4）",
        ),
    ],
)
def test_bad_cell_names_file_sheet_and_cell(filled, sheet, code, value, expected, expected_zh):
    cell = find_cell(filled, sheet, code, 5 if sheet == SCENE_SHEET else 4)
    set_cell(filled, sheet, cell, value)
    with pytest.raises(DataValidationError) as info:
        read_responses(filled)
    msg = str(info.value)
    assert msg.startswith(f"模板.xlsx, sheet '{sheet}', cell {cell}: "), msg
    for part in expected:
        assert part in msg, (part, msg)
    assert info.value.problems[0]["cell"] == cell
    zh = info.value.reason_zh
    assert zh.startswith(f"工作表“{sheet}”{cell} 单元格："), zh
    assert expected_zh in zh and "sheet" not in zh, zh


def test_multi_select_none_with_another_option(filled):
    a = find_cell(filled, "数字化基础", "network.A")  # 无
    set_cell(filled, "数字化基础", a, "是")
    with pytest.raises(DataValidationError) as info:
        read_responses(filled)
    msg = str(info.value)
    assert f"sheet '数字化基础', cell {a}" in msg
    assert "'A' (无)" in msg and "cannot be 是 together" in msg and "network" in msg


def test_multi_select_all_blank_is_missing(filled):
    wb = load_workbook(filled)
    ws = wb["数字化管理"]
    for r in range(2, ws.max_row + 1):
        if str(ws.cell(r, 6).value).startswith("talent."):
            ws.cell(r, 4).value = None
    wb.save(filled)
    with pytest.raises(DataValidationError, match=r"sheet '数字化管理', cell D\d+:D\d+: missing"):
        read_responses(filled)


def test_every_bad_cell_is_reported(filled):
    c1 = find_cell(filled, "数字化基础", "information_system")
    c2 = find_cell(filled, "数字化成效", "product_quality")
    set_cell(filled, "数字化基础", c1, "很好")
    set_cell(filled, "数字化成效", c2, "")
    with pytest.raises(DataValidationError) as info:
        read_responses(filled)
    cells = [(p["sheet"], p["cell"]) for p in info.value.problems]
    assert cells == [("数字化基础", c1), ("数字化成效", c2)]
    assert c1 in str(info.value) and c2 in str(info.value)
    first, second = info.value.reason_zh.split("；工作表")
    assert first.startswith(f"工作表“数字化基础”{c1} 单元格：") and "没有选项 '很好'" in first
    assert second.startswith(f"“数字化成效”{c2} 单元格：") and second.endswith("缺少答案")


def test_moved_rows_are_recognised(filled):
    wb = load_workbook(filled)
    wb["数字化管理"].delete_rows(3)
    wb.save(filled)
    with pytest.raises(DataValidationError, match="sheet '数字化管理', cell F3: expected row"):
        read_responses(filled)


def _framework_version(version: str):
    text = resources.files("nqpf.assessment").joinpath(f"frameworks/{KEY}.yaml").read_text("utf-8")
    text = text.replace('version: "2024"', f'version: "{version}"', 1)
    fw = parse_framework(text, filename="other.yaml")
    assert fw.version == version
    return fw


def test_template_of_another_version_is_recognised(tmp_path, fw):
    other = _framework_version("2022")
    path = tmp_path / "模板.xlsx"
    write_template(other, path)
    fill(path, other, answers_high(other))
    with pytest.raises(DataValidationError) as info:
        read_responses(path, fw)
    msg = str(info.value)
    assert "template is for sme-digital 2022; this is 2024" in msg
    assert msg.startswith("模板.xlsx")
    assert info.value.reason_zh == (
        "该模板属于 sme-digital 2022 版，而本次评测使用 2024 版；请使用新版模板重新填写"
    )
    # with no framework given, the template's own version is looked up: 2022 has no items
    with pytest.raises(DataValidationError, match="no item tables"):
        read_responses(path)


def test_template_of_another_framework_is_recognised(filled, fw):
    wb = load_workbook(filled)
    for row in wb[META_SHEET].iter_rows():
        if row[0].value == "framework":
            row[1].value = "cmmm"
    wb.save(filled)
    with pytest.raises(DataValidationError) as info:
        read_responses(filled, fw)
    assert "template is for framework cmmm 2024; this is sme-digital 2024" in str(info.value)
    assert info.value.field == "framework"
    assert info.value.reason_zh == "该模板属于评测框架 cmmm 2024，而本次评测使用 sme-digital 2024"


def test_changed_questions_fail_the_checksum(template, fw):
    wb = load_workbook(template)
    ws = wb[META_SHEET]
    for row in ws.iter_rows():
        if row[0].value == "checksum":
            row[1].value = "0" * 16
    wb.save(template)
    with pytest.raises(DataValidationError, match="do not match sme-digital-2024"):
        read_responses(template, fw)


def test_not_a_template(tmp_path):
    path = tmp_path / "plain.xlsx"
    from openpyxl import Workbook

    Workbook().save(path)
    with pytest.raises(DataValidationError, match="not an nqpf assessment template") as info:
        read_responses(path)
    assert info.value.reason_zh.startswith("不是本平台的评测模板")
    with pytest.raises(DataValidationError, match="file not found"):
        read_responses(tmp_path / "nope.xlsx")
    (tmp_path / "x.txt").write_text("a", encoding="utf-8")
    with pytest.raises(DataValidationError, match="cannot read"):
        read_responses(tmp_path / "x.txt")


# ---------------------------------------------------------------------- JSON and YAML
def _plain(answers: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}


def test_json_and_yaml_flat_and_wrapped(tmp_path, fw):
    answers = _plain(answers_high(fw))
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    assert read_responses(flat, KEY) == ("sme-digital", "2024", answers)
    with pytest.raises(DataValidationError, match="does not say which framework"):
        read_responses(flat)
    wrapped = tmp_path / "r.yaml"
    doc = {"framework": "sme-digital", "version": "2024", "responses": answers}
    wrapped.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    fid, version, responses = read_responses(wrapped)
    assert (fid, version) == ("sme-digital", "2024")
    assert score(fw, responses).total == score(fw, answers).total
    keyed = tmp_path / "k.json"
    keyed.write_text(json.dumps({"framework": KEY, "responses": answers}), encoding="utf-8")
    assert read_responses(keyed)[:2] == ("sme-digital", "2024")


def test_json_of_another_version(tmp_path, fw):
    path = tmp_path / "r.json"
    doc = {"framework": "sme-digital", "version": "2022", "responses": {}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(
        DataValidationError, match=r"r\.json.*is for sme-digital 2022; this is 2024"
    ):
        read_responses(path, fw)


def test_unreadable_json(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("{oops", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"r\.json: not readable"):
        read_responses(path, KEY)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(DataValidationError, match="expected a mapping"):
        read_responses(path, KEY)
