"""The assessment use cases with bytes in: the same outcome as from a path, the report once.

:mod:`nqpf.services.assess` and :mod:`nqpf.services.assess_report` serve the CLI (paths,
through :func:`nqpf.services.files.read_input`) and the web (uploads, downloads); these
tests hold the two doors to one result.
"""

from __future__ import annotations

import io
import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from nqpf.assessment import load_framework, score
from nqpf.assessment.answers import normalize_answers
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.io.assessment_template import SCENE_SHEET
from nqpf.services import assess_report
from nqpf.services.assess import (
    batch_file,
    batch_table,
    make_template,
    resolve_framework,
    responses_from_template,
    score_file,
    score_responses,
    template_bytes,
)

KEY = "sme-digital-2024"


@pytest.fixture(scope="module")
def fw():
    return load_framework(KEY)


def answers(fw, shift: int = 0) -> dict[str, Any]:
    """Valid answers that differ with ``shift`` (JSON shapes: lists for multi-selects)."""
    out: dict[str, Any] = {}
    for i, q in enumerate(fw.questions):
        k = i + shift
        if q.kind == "single":
            out[q.id] = q.options[(k * 3) % len(q.options)].id
        elif q.kind == "multi":
            plain = [o.id for o in q.options if not o.exclusive]
            out[q.id] = plain[: 1 + k % len(plain)]
        else:
            out[q.id] = float((15 + 11 * k) % 101)
    out.update({s.id: 1 + (i + shift) % 4 for i, s in enumerate(fw.scenes)})
    return out


def fill(data: bytes, fw, ans: dict[str, Any]) -> bytes:
    """A downloaded template filled as a user does (labels, 是/否, numbers)."""
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets[1:]:
        if ws.title == SCENE_SHEET:
            for r in range(2, ws.max_row + 1):
                ws.cell(r, 5).value = ans[ws.cell(r, 10).value]
            continue
        for r in range(2, ws.max_row + 1):
            code, kind = ws.cell(r, 6).value, ws.cell(r, 3).value
            if kind == "选项":
                qid, oid = code.split(".")
                ws.cell(r, 4).value = "是" if oid in ans[qid] else "否"
            elif kind == "单选":
                ws.cell(r, 4).value = fw.question(code).option(ans[code]).label
            elif kind == "数值":
                ws.cell(r, 4).value = ans[code]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def same_score(a, b) -> bool:
    """Two score results hold the same numbers, level and reasons."""
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    return (a.total, a.level, dict(a.dimensions), dict(a.scenes)) == (
        b.total,
        b.level,
        dict(b.dimensions),
        dict(b.scenes),
    )


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -------------------------------------------------------------------------- frameworks
def test_an_id_resolves_to_its_latest_version_and_web_text_never_opens_a_file(fw, tmp_path):
    assert resolve_framework("sme-digital") is fw
    assert resolve_framework(" sme-digital-2024 ", allow_path=False) is fw
    assert resolve_framework("sme-digital", allow_path=False) is fw
    path = tmp_path / "own.yaml"
    shipped = resources.files("nqpf.assessment").joinpath("frameworks", f"{KEY}.yaml")
    path.write_text(shipped.read_text("utf-8"), encoding="utf-8")
    assert resolve_framework(str(path)).key == KEY
    for text in (str(path), "../frameworks/sme-digital-2024.yaml", "", "sme"):
        with pytest.raises(ConfigError, match="unknown framework"):
            resolve_framework(text, allow_path=False)


# ------------------------------------------------------------------------ one response
def test_bytes_and_path_give_the_same_outcome(fw, tmp_path):
    doc = json.dumps({"framework": KEY, "responses": answers(fw, 2)}).encode()
    path = _write(tmp_path / "r.json", doc)
    from_bytes = score_responses(doc, "r.json")
    from_path = score_file(path)
    assert from_path.source == path and from_bytes.source == Path("r.json")
    assert same_score(from_bytes.result, from_path.result)
    assert same_score(from_bytes.result, score(fw, answers(fw, 2)))
    assert from_bytes.tables.keys() == from_path.tables.keys()
    for name, table in from_bytes.tables.items():
        pd.testing.assert_frame_equal(table, from_path.tables[name])


def test_bytes_and_path_give_the_same_message(fw, tmp_path):
    doc = json.dumps({"framework": KEY, "responses": {**answers(fw), "planning": None}}).encode()
    path = _write(tmp_path / "r.json", doc)
    with pytest.raises(DataValidationError) as by_bytes:
        score_responses(doc, "r.json")
    with pytest.raises(DataValidationError) as by_path:
        score_file(path)
    assert str(by_bytes.value) == str(by_path.value)
    assert str(by_path.value).startswith("r.json, field 'planning': ")
    with pytest.raises(DataValidationError, match="file not found"):
        score_file(tmp_path / "nope.json")


def test_filled_template_bytes_score_as_the_file(fw, tmp_path):
    data = fill(template_bytes(fw), fw, answers(fw, 1))
    path = _write(tmp_path / "模板.xlsx", data)
    assert same_score(score_responses(data, "模板.xlsx", KEY).result, score_file(path, KEY).result)
    made = make_template(fw, tmp_path / "made" / "t.xlsx")
    assert [ws.title for ws in load_workbook(made).worksheets] == [
        ws.title for ws in load_workbook(io.BytesIO(template_bytes(KEY))).worksheets
    ]


# ------------------------------------------------------------------------------ upload
def test_template_upload_gives_stored_answers(fw):
    raw = answers(fw, 3)
    got = responses_from_template(fill(template_bytes(fw), fw, raw), fw)
    assert got == normalize_answers(fw, raw)


def test_template_upload_problems_do_not_name_the_temporary_copy(fw):
    wb = load_workbook(io.BytesIO(fill(template_bytes(fw), fw, answers(fw))))
    ws = wb["数字化基础"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 6).value == "information_system")
    ws.cell(row, 4).value = "很好"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(DataValidationError) as info:
        responses_from_template(out.getvalue(), fw)
    assert info.value.field == "information_system" and info.value.file is None
    assert info.value.reason.startswith(f"sheet '数字化基础', cell D{row}: '很好'")
    for damaged in (b"not a zip at all", b"a,b\n1,2\n"):
        with pytest.raises(DataValidationError) as info:
            responses_from_template(damaged, fw)
        assert "template.xlsx" not in str(info.value)


# ------------------------------------------------------------------------------- batch
def test_batch_bytes_and_path_give_the_same_tables(fw, tmp_path):
    rows = [
        {"企业": f"E{k}", **{q: "|".join(v) if isinstance(v, list) else v for q, v in a.items()}}
        for k, a in enumerate(answers(fw, k) for k in range(4))
    ]
    rows[1]["information_system"] = "Z"
    rows[3]["企业"] = "E0"
    path = tmp_path / "batch.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    from_bytes = batch_table(path.read_bytes(), "batch.csv", KEY, id_column="企业")
    from_path = batch_file(path, KEY, id_column="企业")
    assert from_path.source == path
    pd.testing.assert_frame_equal(from_bytes.scores, from_path.scores)
    pd.testing.assert_frame_equal(from_bytes.errors, from_path.errors)
    assert from_bytes.n_valid == 2 and from_bytes.errors["row"].tolist() == [3, 5]
    with pytest.raises(DataValidationError, match=r"batch\.csv.*'nope' not found"):
        batch_table(path.read_bytes(), "batch.csv", KEY, id_column="nope")


# ------------------------------------------------------------------------------ report
def test_analyze_is_remembered_and_equals_analysis_of(fw):
    raw = answers(fw, 2)
    first = assess_report.analyze(fw, raw)
    assert assess_report.analyze(fw, dict(reversed(raw.items()))) is first
    again = assess_report.analysis_of(score(fw, raw), fw)
    assert same_score(again.result, first.result)
    pd.testing.assert_frame_equal(again.roadmap.to_frame(), first.roadmap.to_frame())
    assert assess_report.analyze(fw, raw, target_level=4).roadmap.target_level == 4


def test_report_html_equals_what_the_cli_writes(fw, tmp_path, invoke):
    path = _write(
        tmp_path / "r.json", json.dumps({"framework": KEY, "responses": answers(fw, 2)}).encode()
    )
    out = tmp_path / "report.html"
    res = invoke(["assess", "report", path, "--name", "甲公司", "--target-level", "3", "-o", out])
    assert res.code == 0, res.stderr
    analysis = assess_report.analyze(fw, answers(fw, 2), target_level=3)
    html = assess_report.report_html(analysis, enterprise={"name": "甲公司"})
    assert out.read_text(encoding="utf-8") == html
    assert "二手来源（待与官方公告核对）" in html and "可信度为 secondary" not in html


def test_report_xlsx_is_chinese(fw):
    data = assess_report.report_xlsx(assess_report.analyze(fw, answers(fw)))
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["概要", "维度", "题目", "场景", "条件", "路线图"]
    headers = {c for ws in wb.worksheets for c in next(ws.iter_rows(values_only=True))}
    assert all(not h.isascii() for h in headers), headers


def test_report_pdf(fw):
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    data = assess_report.report_pdf(assess_report.analyze(fw, answers(fw)))
    assert data[:5] == b"%PDF-"


# ------------------------------------------------------------ a framework per row
@pytest.fixture(scope="module")
def fw_lenient(tmp_path_factory):
    """The 2024 framework as version 2024.1 with lower score thresholds (levels 1 and 2),
    so that one answer sheet earns a different level under each version."""
    text = resources.files("nqpf.assessment").joinpath("frameworks", f"{KEY}.yaml")
    text = text.read_text("utf-8").replace('version: "2024"', 'version: "2024.1"')
    text = text.replace("min_score: 20", "min_score: 5").replace("min_score: 40", "min_score: 8")
    path = tmp_path_factory.mktemp("fw") / "sme-digital-2024.1.yaml"
    path.write_text(text, encoding="utf-8")
    return load_framework(str(path))


def table_bytes(fw, versions, changes=None) -> bytes:
    rows = []
    for k, v in enumerate(versions):
        a = {q: "|".join(x) if isinstance(x, list) else x for q, x in answers(fw, k).items()}
        rows.append({"企业": f"E{k}", "framework_version": v, **a, **(changes or {}).get(k, {})})
    return pd.DataFrame(rows).to_csv(index=False).encode()


def test_each_row_is_scored_by_the_version_it_names(fw, fw_lenient):
    versions = ["2024", "2024.1", "2024.1", "2024", "sme-digital-2024.1", "2024版"]
    data = table_bytes(fw, versions)
    out = batch_table(data, "b.csv", None, id_column="企业", frameworks=[fw_lenient])
    s = out.scores
    keys = [KEY, "sme-digital-2024.1", "sme-digital-2024.1", KEY, "sme-digital-2024.1", KEY]
    assert s["framework"].tolist() == keys
    assert s["valid"].all() and out.errors.empty
    for k, key in enumerate(keys):
        want = score(fw if key == KEY else fw_lenient, answers(fw, k))
        assert (s.loc[k, "total"], s.loc[k, "level"]) == (pytest.approx(want.total), want.level)
    assert score(fw_lenient, answers(fw, 1)).level != score(fw, answers(fw, 1)).level
    assert [f.key for f in out.frameworks] == [KEY, "sme-digital-2024.1"]
    assert out.framework is fw_lenient  # as many rows each: the latest version stands for them
    # the same table with --framework sme-digital (an id): every version of it is honoured
    by_id = batch_table(data, "b.csv", "sme-digital", id_column="企业", frameworks=[fw_lenient])
    pd.testing.assert_frame_equal(by_id.scores, s)


def test_a_row_naming_another_version_than_the_command_stops_the_table(fw, fw_lenient):
    data = table_bytes(fw, ["2024", "2024.1", "2022", "2024", "2024.1"])
    with pytest.raises(DataValidationError) as info:
        batch_table(data, "b.csv", KEY, id_column="企业", frameworks=[fw_lenient])
    e = info.value
    assert (e.file, e.column) == ("b.csv", "framework_version")
    assert e.reason == (
        "rows 3, 6 name sme-digital-2024.1; row 4 names sme-digital-2022, but the command "
        "asked for sme-digital-2024 (--framework); leave --framework out to score each row "
        "by the framework it names, or correct those rows"
    )
    assert e.reason_zh == (
        "framework_version 列与命令不一致：第 3、6 行为 sme-digital-2024.1；第 4 行为 "
        "sme-digital-2022，而命令指定 sme-digital-2024（--framework）；如需按各行所列框架评分，"
        "请去掉 --framework，或更正这些行"
    )


def test_rows_of_a_framework_that_cannot_score_or_of_none_are_row_errors(fw):
    data = table_bytes(fw, ["2024", "2022", "", "2023", "2022", "2024"])
    out = batch_table(data, "b.csv", None, id_column="企业")
    assert out.scores["valid"].tolist() == [True, False, False, False, False, True]
    assert out.scores["framework"].tolist() == [KEY, None, None, None, None, KEY]
    e = out.errors
    assert e[["row", "企业", "column"]].values.tolist() == [
        [3, "E1", "framework_version"],
        [4, "E2", "framework_version"],
        [5, "E3", "framework_version"],
        [6, "E4", "framework_version"],
    ]
    assert e["value"].fillna("").tolist() == ["2022", "", "2023", "2022"]
    no_items = (
        "framework sme-digital-2022 has level bands but no questions, so its rows cannot be scored"
    )
    assert e["message_en"].tolist() == [
        no_items,
        "no framework: the row names none and the command gave none (--framework)",
        "framework 'sme-digital' has no version '2023'; available: 2022, 2024",
        no_items,
    ]
    assert e["message"].tolist() == [
        "评测框架 sme-digital-2022 只有等级划分、没有题目，无法按答卷评分",
        "未填写评测框架，命令也未指定（--framework）",
        "评测框架 sme-digital 没有 '2023' 版；可选版本：2022、2024",
        "评测框架 sme-digital-2022 只有等级划分、没有题目，无法按答卷评分",
    ]
    # a blank cell takes the command's framework
    again = batch_table(data, "b.csv", "sme-digital", id_column="企业")
    assert again.scores["valid"].tolist() == [True, False, True, False, False, True]


def test_a_framework_column_and_a_version_column_must_agree(fw):
    rows = [
        {"framework": "sme-digital", "framework_version": "2024"},
        {"framework": KEY, "framework_version": ""},
        {"framework": "sme-digital-2022", "framework_version": "2024"},
        {"framework": "sme-digtal", "framework_version": "2024"},
    ]
    frame = pd.DataFrame([{**r, **answers(fw, k)} for k, r in enumerate(rows)])
    for c in frame.columns:
        frame[c] = frame[c].map(lambda v: "|".join(v) if isinstance(v, list) else v)
    out = batch_table(frame.to_csv(index=False).encode(), "b.csv")
    assert out.scores["valid"].tolist() == [True, True, False, False]
    assert out.errors["message_en"].tolist() == [
        "framework 'sme-digital-2022' and framework_version '2024' name different frameworks",
        "unknown framework 'sme-digtal'; shipped: sme-digital-2022, sme-digital-2024",
    ]
    assert out.errors["message"].tolist() == [
        "framework 列（sme-digital-2022）与 framework_version 列（2024）不一致",
        "没有评测框架 'sme-digtal'；可选：sme-digital-2022、sme-digital-2024",
    ]


def test_no_framework_anywhere_is_one_error(fw):
    data = (
        pd.DataFrame([answers(fw)])
        .map(lambda v: "|".join(v) if isinstance(v, list) else v)
        .to_csv(index=False)
        .encode()
    )
    with pytest.raises(DataValidationError) as info:
        batch_table(data, "b.csv")
    assert str(info.value) == (
        "b.csv: no framework: give --framework or a 'framework' / 'framework_version' column"
    )
    assert info.value.reason_zh == (
        "未指明评测框架：请指定 --framework，或在表中增加 framework / framework_version 列"
    )


def test_xlsx_version_numbers_and_every_missing_answer_of_a_row(fw, tmp_path):
    data = table_bytes(fw, [2024, 2024.0], {1: {"planning": None, "scene_hr": None}})
    path = tmp_path / "b.xlsx"
    pd.read_csv(io.BytesIO(data)).to_excel(path, index=False)
    out = batch_file(path, id_column="企业")
    assert out.scores["framework"].tolist() == [KEY, KEY]
    assert out.errors[["row", "column", "message", "message_en"]].values.tolist() == [
        [3, "planning", "第8题“企业对数字化的认识与执行水平”缺少答案",
         "missing answer to question 'planning' (企业对数字化的认识与执行水平)"],
        [3, "scene_hr", "场景“人力资源”缺少等级（1–4）",
         "missing level (1–4) of scene 'scene_hr' (人力资源)"],
    ]  # fmt: skip
