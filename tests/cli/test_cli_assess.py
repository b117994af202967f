"""``nqpf assess …`` and ``nqpf carbon …`` end to end (in-process, see the ``invoke`` fixture)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from nqpf.assessment import batch_score, load_framework, score
from nqpf.assessment.carbon import account

KEY = "sme-digital-2024"
DIM_SHEETS = ["数字化基础", "数字化管理", "数字化成效"]


@pytest.fixture(scope="module")
def fw():
    return load_framework(KEY)


def one_line_error(result) -> str:
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误 error:")
    return lines[0]


def answers(fw, shift: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, q in enumerate(fw.questions):
        k = i + shift
        if q.kind == "single":
            out[q.id] = q.options[(k * 3) % len(q.options)].id
        elif q.kind == "multi":
            plain = [o.id for o in q.options if not o.exclusive]
            out[q.id] = tuple(plain[: 1 + k % len(plain)])
        else:
            out[q.id] = float((15 + 11 * k) % 101)
    out.update({s.id: 1 + (i + shift) % 4 for i, s in enumerate(fw.scenes)})
    return out


def fill(path: Path, fw, ans: dict[str, Any]) -> None:
    wb = load_workbook(path)
    for title in DIM_SHEETS:
        ws = wb[title]
        for r in range(2, ws.max_row + 1):
            code, kind = ws.cell(r, 6).value, ws.cell(r, 3).value
            if kind == "选项":
                qid, oid = code.split(".")
                ws.cell(r, 4).value = "是" if oid in ans[qid] else "否"
            elif kind == "单选":
                ws.cell(r, 4).value = fw.question(code).option(ans[code]).label
            elif kind == "数值":
                ws.cell(r, 4).value = ans[code]
    ws = wb["场景"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 5).value = ans[ws.cell(r, 10).value]
    wb.save(path)


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig")


# ----------------------------------------------------------------------------- help
@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["assess", "--help"], ["frameworks", "template", "score", "batch"]),
        (["assess", "frameworks", "--help"], ["frameworks"]),
        (["assess", "template", "--help"], ["--framework", "--out"]),
        (["assess", "score", "--help"], ["--framework", "--out", "--format"]),
        (["assess", "batch", "--help"], ["--framework", "--id-column", "--out", "--sheet"]),
        (["carbon", "--help"], ["account"]),
        (["carbon", "account", "--help"], ["--year", "--region", "--grid-factor", "--out"]),
        (["--help"], ["assess", "carbon"]),
    ],
)
def test_help(argv, words, invoke):
    res = invoke(argv)
    assert res.code == 0, res.stderr
    for w in words:
        assert w in res.stdout, (w, res.stdout)


# ------------------------------------------------------------------------ frameworks
def test_frameworks_lists_versions_and_confidence(invoke):
    res = invoke(["assess", "frameworks"])
    assert res.code == 0, res.stderr
    assert "评测框架" in res.stdout
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("sme-digital-2024:"))
    assert "中小企业数字化水平评测指标（2024年版）" in line
    assert "confidence official" in line and "rule secondary" in line
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("sme-digital-2022:"))
    assert "不能评分" in line
    row = next(ln for ln in res.stdout.splitlines() if "sme-digital-2024" in ln)
    assert "15" in row and "16" in row  # questions, scenes


# ------------------------------------------------------------------ template → score
@pytest.fixture
def filled(tmp_path, fw, invoke) -> Path:
    path = tmp_path / "模板.xlsx"
    res = invoke(["assess", "template", "--framework", KEY, "-o", path])
    assert res.code == 0, res.stderr
    assert path.is_file() and "模板.xlsx" in res.stdout
    fill(path, fw, answers(fw))
    return path


def test_template_then_score_matches_score(filled, fw, tmp_path, invoke):
    out = tmp_path / "out"
    res = invoke(["assess", "score", filled, "-o", out])
    assert res.code == 0, res.stderr
    expected = score(fw, answers(fw))
    from nqpf.assessment.schema import fmt_num

    assert f"总分 total: {fmt_num(expected.total)} / 100" in res.stdout
    assert expected.level_name in res.stdout
    for name in expected.dimensions:
        assert name in res.stdout
    for c in expected.next_level:
        assert c.message in res.stdout
    assert "未满足" in res.stdout  # unmet conditions of the next level, in Chinese
    for name in ("summary", "dimensions", "questions", "scenes", "conditions"):
        assert (out / f"{name}.csv").is_file()
    assert (out / "nqpf_assess.xlsx").is_file() and (out / "config.used.yaml").is_file()
    q = read_csv(out / "questions.csv")
    assert q["id"].tolist() == fw.question_ids
    np.testing.assert_allclose(q["points"], [s.points for s in expected.questions])
    assert q["points"].sum() == pytest.approx(expected.total)
    d = read_csv(out / "dimensions.csv").set_index("dimension")["points"]
    assert d.to_dict() == pytest.approx(dict(expected.dimensions))


def test_template_of_a_framework_without_items(tmp_path, invoke):
    line = one_line_error(
        invoke(["assess", "template", "--framework", "sme-digital-2022", "-o", tmp_path / "t.xlsx"])
    )
    assert "no item tables" in line
    assert not (tmp_path / "t.xlsx").exists()


def test_score_retyped_cell_is_one_line_naming_sheet_and_cell(filled, tmp_path, invoke):
    wb = load_workbook(filled)
    ws = wb["数字化基础"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 6).value == "information_system")
    ws.cell(row, 4).value = "很好"
    wb.save(filled)
    line = one_line_error(invoke(["assess", "score", filled, "-o", tmp_path / "out"]))
    assert f"模板.xlsx, sheet '数字化基础', cell D{row}: '很好' is not one of" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"information_system": "Z"}, ["r.json", "'information_system'", "'Z'"]),
        ({"bogus_question": "A"}, ["r.json", "'bogus_question'"]),
        ({"funding_rate": 130}, ["r.json", "'funding_rate'", "130"]),
        ({"network": ["A", "B"]}, ["r.json", "'network'", "无"]),
        ({"planning": None}, ["r.json", "'planning'"]),
        ({"scene_quality": 7}, ["r.json", "'scene_quality'", "1–4"]),
    ],
    ids=["option", "question", "range", "exclusive", "missing", "scene"],
)
def test_score_bad_json_names_the_field(change, expected, tmp_path, fw, invoke):
    ans = {k: list(v) if isinstance(v, tuple) else v for k, v in answers(fw).items()}
    ans.update(change)
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"framework": KEY, "responses": ans}), encoding="utf-8")
    line = one_line_error(invoke(["assess", "score", path]))
    for part in expected:
        assert part in line, (part, line)


def test_score_yaml_with_framework_option(tmp_path, fw, invoke):
    ans = {k: list(v) if isinstance(v, tuple) else v for k, v in answers(fw, 2).items()}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(ans, allow_unicode=True), encoding="utf-8")
    res = invoke(["assess", "score", path, "--framework", KEY])
    assert res.code == 0, res.stderr
    from nqpf.assessment.schema import fmt_num

    assert f"总分 total: {fmt_num(score(fw, ans).total)}" in res.stdout
    line = one_line_error(invoke(["assess", "score", path]))  # flat file, no framework
    assert "does not say which framework" in line


def test_score_template_of_another_version(tmp_path, fw, invoke):
    path = tmp_path / "模板.xlsx"
    invoke(["assess", "template", "--framework", KEY, "-o", path])
    fill(path, fw, answers(fw))
    wb = load_workbook(path)
    for row in wb["_nqpf"].iter_rows():
        if row[0].value == "version":
            row[1].value = "2022"
    wb.save(path)
    line = one_line_error(invoke(["assess", "score", path, "--framework", KEY]))
    assert "template is for sme-digital 2022; this is 2024" in line


# ---------------------------------------------------------------------------- batch
def batch_frame(fw) -> pd.DataFrame:
    rows = []
    for k in range(6):
        a = answers(fw, k)
        rows.append(
            {
                "企业": f"E{k:03d}",
                **{q: "|".join(v) if isinstance(v, tuple) else v for q, v in a.items()},
            }
        )
    df = pd.DataFrame(rows).astype(object)
    df.loc[1, "information_system"] = "Z"  # unknown option
    df.loc[3, "equipment_digital_rate"] = 130  # out of range
    df.loc[3, "scene_quality"] = 9  # two problems in one row
    df.loc[4, "network"] = "A|B"  # 无 with another option
    return df


def test_batch_scores_good_rows_and_reports_every_bad_row(tmp_path, fw, invoke):
    df = batch_frame(fw)
    src = tmp_path / "batch.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "out"
    res = invoke(["assess", "batch", src, "--framework", KEY, "--id-column", "企业", "-o", out])
    assert res.code == 0, res.stderr
    assert "bad rows 3" in res.stdout and "scored 3" in res.stdout
    assert str(out / "errors.csv") in res.stdout
    scores = read_csv(out / "scores.csv")
    assert len(scores) == 6  # no row dropped
    assert scores["企业"].tolist() == [f"E{k:03d}" for k in range(6)]
    assert scores["valid"].tolist() == [True, False, True, False, False, True]
    assert scores["row"].tolist() == [2, 3, 4, 5, 6, 7]
    for k in (0, 2, 5):
        assert scores.loc[k, "total"] == pytest.approx(score(fw, answers(fw, k)).total)
        assert scores.loc[k, "level"] == score(fw, answers(fw, k)).level
    assert scores.loc[[1, 3, 4], "total"].isna().all()
    errors = read_csv(out / "errors.csv")
    assert errors[["row", "企业", "column"]].values.tolist() == [
        [3, "E001", "information_system"],
        [5, "E003", "equipment_digital_rate"],
        [5, "E003", "scene_quality"],
        [6, "E004", "network"],
    ]
    assert errors["message"].str.len().gt(0).all()
    assert (out / "nqpf_batch.xlsx").is_file()


def test_batch_duplicate_and_missing_ids_are_reported(tmp_path, fw, invoke):
    df = batch_frame(fw).iloc[[0, 2, 5]].reset_index(drop=True)
    df.loc[1, "企业"] = "E000"
    df.loc[2, "企业"] = None
    src = tmp_path / "batch.xlsx"
    df.to_excel(src, index=False)
    out = tmp_path / "out"
    res = invoke(["assess", "batch", src, "--framework", KEY, "--id-column", "企业", "-o", out])
    assert res.code == 0, res.stderr
    errors = read_csv(out / "errors.csv")
    assert errors["row"].tolist() == [3, 4]
    assert "重复" in errors.loc[0, "message"] and "缺少企业编号" in errors.loc[1, "message"]
    assert read_csv(out / "scores.csv")["valid"].tolist() == [True, False, False]


def test_batch_equals_batch_score(tmp_path, fw, invoke):
    df = batch_frame(fw)
    src = tmp_path / "batch.csv"
    df.to_csv(src, index=False)
    res = invoke(["assess", "batch", src, "--framework", KEY, "-o", tmp_path / "o", "-f", "csv"])
    assert res.code == 0, res.stderr
    got = read_csv(tmp_path / "o" / "scores.csv")
    direct = batch_score(fw, pd.read_csv(src)).scores
    np.testing.assert_allclose(got["total"], direct["total"].astype(float))
    assert got["id"].tolist() == list(range(1, 7))
    assert not (tmp_path / "o" / "nqpf_batch.xlsx").exists()


def test_batch_all_rows_bad_exits_2_but_writes_errors(tmp_path, fw, invoke):
    df = batch_frame(fw).iloc[[1, 3]]
    src = tmp_path / "batch.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "out"
    line = one_line_error(invoke(["assess", "batch", src, "--framework", KEY, "-o", out]))
    assert "no row could be scored" in line
    assert len(read_csv(out / "errors.csv")) == 3


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing_column", ["batch.csv", "missing column", "network"]),
        ("id_column", ["batch.csv", "'nope'", "not found"]),
        ("no_file", ["nope.csv", "file not found"]),
        ("framework", ["unknown framework", "sme-digtal"]),
    ],
)
def test_batch_unreadable_exits_2_and_writes_nothing(case, expected, tmp_path, fw, invoke):
    df = batch_frame(fw)
    src = tmp_path / "batch.csv"
    args = ["--framework", KEY]
    if case == "missing_column":
        df = df.drop(columns=["network"])
    elif case == "id_column":
        args += ["--id-column", "nope"]
    elif case == "no_file":
        src = tmp_path / "nope.csv"
    elif case == "framework":
        args = ["--framework", "sme-digtal"]
    if case != "no_file":
        df.to_csv(src, index=False)
    line = one_line_error(invoke(["assess", "batch", src, *args, "-o", tmp_path / "out"]))
    for part in expected:
        assert part in line, (part, line)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- carbon
INVENTORY = {"柴油": 100, "天然气": 12.5, "电力": 500}


def _check_numbers(out: Path, expected) -> None:
    carriers = read_csv(out / "carriers.csv")
    assert carriers["carrier"].tolist() == [ln.carrier for ln in expected.lines]
    np.testing.assert_allclose(carriers["tco2"], [ln.tco2 for ln in expected.lines], rtol=1e-12)
    np.testing.assert_allclose(carriers["tce"], [ln.tce for ln in expected.lines], rtol=1e-12)
    factors = read_csv(out / "factors.csv")
    assert factors["key"].tolist() == [f.key for f in expected.factors_used]
    np.testing.assert_allclose(factors["value"], [f.value for f in expected.factors_used])
    totals = read_csv(out / "totals.csv").set_index("item")["value"]
    assert float(totals["排放总量 E (tCO2)"]) == pytest.approx(expected.e_total, rel=1e-12)
    assert float(totals["综合能耗 (tce)"]) == pytest.approx(expected.energy_tce, rel=1e-12)


def test_carbon_account_yaml_equals_account(tmp_path, invoke):
    path = tmp_path / "inv.yaml"
    path.write_text(
        yaml.safe_dump(INVENTORY, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    out = tmp_path / "out"
    res = invoke(["carbon", "account", path, "--year", 2022, "--region", "广东", "-o", out])
    assert res.code == 0, res.stderr
    expected = account(INVENTORY, year=2022, region="广东")
    assert f"{expected.e_total:,.4f}" in res.stdout
    assert f"{expected.energy_tce:,.4f}" in res.stdout
    assert "广东 (44)" in res.stdout
    _check_numbers(out, expected)
    assert (out / "nqpf_carbon.xlsx").is_file()


def test_carbon_account_json_with_intensities_and_user_grid_factor(tmp_path, invoke):
    doc = {
        "inventory": [{"carrier": k, "quantity": v} for k, v in INVENTORY.items()],
        "output": 2000,
        "revenue": 3000,
        "year": 2021,
    }
    path = tmp_path / "inv.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    res = invoke(["carbon", "account", path, "--grid-factor", "0.5", "-o", out])
    assert res.code == 0, res.stderr
    expected = account(INVENTORY, year=2021, grid_factor=0.5, output=2000, revenue=3000)
    assert expected.e_purchased_electricity == pytest.approx(250.0)
    for name, value, unit in expected.intensities:
        assert f"{name} ({unit})" in res.stdout
        assert f"{value:,.4f}" in res.stdout
    _check_numbers(out, expected)


def test_carbon_account_csv_with_units(tmp_path, invoke):
    path = tmp_path / "inv.csv"
    path.write_text("carrier,quantity,unit\n柴油,100000,kg\n电力,500000,kWh\n", encoding="utf-8")
    out = tmp_path / "out"
    res = invoke(
        ["carbon", "account", path, "--year", 2022, "--grid-factor", "national", "-o", out]
    )
    assert res.code == 0, res.stderr
    expected = account(
        [
            {"carrier": "柴油", "quantity": 100000, "unit": "kg"},
            {"carrier": "电力", "quantity": 500000, "unit": "kWh"},
        ],
        year=2022,
        grid_factor="national",
    )
    _check_numbers(out, expected)


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        ({"煤油灯": 5}, ["--year", "2022"], ["inv.yaml", "unknown carrier '煤油灯'"]),
        (INVENTORY, ["--year", "2022", "--region", "火星"], ["inv.yaml", "unknown region '火星'"]),
        (INVENTORY, [], ["inv.yaml", "--year"]),
        (INVENTORY, ["--year", "2022", "--grid-factor", "lots"], ["grid_factor", "'lots'"]),
        ({"柴油": -1}, ["--year", "2022"], ["inv.yaml", "must be ≥ 0"]),
        (INVENTORY, ["--year", "1990"], ["inv.yaml", "1990"]),
    ],
    ids=["fuel", "region", "no-year", "grid", "negative", "year"],
)
def test_carbon_bad_input(content, args, expected, tmp_path, invoke):
    path = tmp_path / "inv.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    line = one_line_error(invoke(["carbon", "account", path, *args, "-o", tmp_path / "out"]))
    for part in expected:
        assert part in line, (part, line)
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------- a framework per row
def versioned_batch(fw, versions) -> pd.DataFrame:
    df = batch_frame(fw).iloc[[0, 2, 5]].reset_index(drop=True)
    df = pd.concat([df, df], ignore_index=True)
    df["企业"] = [f"E{k}" for k in range(len(df))]
    df.insert(1, "framework_version", versions)
    return df


def test_batch_honours_a_framework_version_column(tmp_path, fw, invoke):
    df = versioned_batch(fw, ["2024", "2022", "2024", "2022", "2024", "2022"])
    df.loc[2, ["planning", "talent"]] = None  # two answers missing in one row
    src = tmp_path / "batch.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "out"
    res = invoke(["assess", "batch", src, "--id-column", "企业", "-o", out, "-f", "csv"])
    assert res.code == 0, res.stderr
    flat = " ".join(res.stdout.split())
    assert (
        "• rows 3, 5, 7 [framework_version]: framework sme-digital-2022 has level bands but no "
        "questions, so its rows cannot be scored" in flat
    )
    assert "• row 4 [planning]: missing answer to question 'planning'" in flat
    assert "• row 4 [talent]: missing answer to question 'talent'" in flat
    scores = read_csv(out / "scores.csv")
    assert scores["framework"].fillna("").tolist() == [KEY, "", KEY, "", KEY, ""]
    assert scores["valid"].tolist() == [True, False, False, False, True, False]
    errors = read_csv(out / "errors.csv")
    assert errors[["row", "column"]].values.tolist() == [
        [3, "framework_version"],
        [4, "planning"],
        [4, "talent"],
        [5, "framework_version"],
        [7, "framework_version"],
    ]
    assert errors.loc[1, "message"] == "第8题“企业对数字化的认识与执行水平”缺少答案"


def test_batch_version_column_against_framework_option_stops_and_writes_nothing(
    tmp_path, fw, invoke
):
    df = versioned_batch(fw, ["2024", "2022", "2024", "2024", "2024", "2022"])
    src = tmp_path / "batch.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "out"
    line = one_line_error(invoke(["assess", "batch", src, "--framework", KEY, "-o", out]))
    assert line == (
        "错误 error: batch.csv, column 'framework_version': rows 3, 7 name sme-digital-2022, "
        "but the command asked for sme-digital-2024 (--framework); leave --framework out to "
        "score each row by the framework it names, or correct those rows"
    )
    assert not out.exists()
    line = one_line_error(invoke(["assess", "batch", src.with_name("x.csv"), "-o", out]))
    assert "file not found" in line


def test_batch_without_framework_anywhere_is_one_line(tmp_path, fw, invoke):
    src = tmp_path / "batch.csv"
    batch_frame(fw).to_csv(src, index=False)
    out = tmp_path / "out"
    line = one_line_error(invoke(["assess", "batch", src, "-o", out]))
    assert line == (
        "错误 error: batch.csv: no framework: give --framework or a 'framework' / "
        "'framework_version' column"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"scene_qualty": 2},
            "field 'scene_qualty': framework sme-digital-2024 has no question or scene "
            "'scene_qualty'; did you mean 'scene_quality'?",
        ),
        (
            {"information_system": "e"},
            "field 'information_system': question 'information_system': has no option 'e' "
            "(did you mean 'E': 全覆盖?); options: A, B, C, D, E",
        ),
    ],
    ids=["key", "option"],
)
def test_score_suggests_the_key_or_option_meant_and_writes_nothing(
    change, expected, tmp_path, fw, invoke
):
    ans = {k: list(v) if isinstance(v, tuple) else v for k, v in answers(fw).items()}
    ans.update(change)
    if "scene_qualty" in change:
        del ans["scene_quality"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"framework": KEY, "responses": ans}), encoding="utf-8")
    out = tmp_path / "out"
    line = one_line_error(invoke(["assess", "score", path, "-o", out]))
    assert line == f"错误 error: r.json, {expected}"
    assert not out.exists()
