"""``nqpf match``: a table by default, JSON with --json, bad rows by row and column."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "match"
NEED, CATALOGUE, ASSESSMENT = (
    EXAMPLES / n for n in ("need.json", "catalogue.csv", "assessment.json")
)


def test_table_with_reasons_and_near_misses(invoke):
    res = invoke(["match", NEED, CATALOGUE, "--assessment", ASSESSMENT, "--top", "3"])
    assert res.code == 0, res.stderr
    assert "技术匹配 设备管理（二级→三级）" in res.stdout
    assert "匹配场景：设备管理（二级→三级）" in res.stdout
    assert "差一点 near misses" in res.stdout and "需设备联网率 ≥ 30 %，当前 25 %" in res.stdout


def test_json_document(invoke):
    res = invoke(["match", "rank", NEED, CATALOGUE, "--json", "--top", "2"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert {"matches", "near_misses", "skipped_rows", "weights", "facts_used"} <= set(doc)
    assert len(doc["matches"]) == 2 and doc["facts_used"] is False
    first = doc["matches"][0]
    assert {"solution_id", "score", "reasons"} <= set(first) and first["reasons"]
    assert all({"solution_id", "missing"} <= set(n) for n in doc["near_misses"])


def test_options_before_the_files(invoke):
    res = invoke(["match", "--top", "1", "--json", NEED, CATALOGUE])
    assert res.code == 0, res.stderr
    assert len(json.loads(res.stdout)["matches"]) == 1


def test_bad_rows_each_named_then_kept_when_asked(invoke, tmp_path):
    frame = pd.read_csv(CATALOGUE, dtype=str, keep_default_na=False)
    frame.loc[0, "场景"] = "设备管里"
    frame.loc[4, "交付周期（周）"] = "很快"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    res = invoke(["match", NEED, bad])
    assert res.code == 2
    assert "row 2, column '场景'" in res.stderr and "row 6, column '交付周期（周）'" in res.stderr
    assert "--keep-good-rows" in res.stderr and "Traceback" not in res.stderr
    kept = invoke(["match", NEED, bad, "--keep-good-rows", "--json"])
    assert kept.code == 0, kept.stderr
    assert [r["row"] for r in json.loads(kept.stdout)["skipped_rows"]] == [2, 6]
    assert "跳过 skipped" in kept.stderr


def test_bad_need_is_one_red_line(invoke, tmp_path):
    need = tmp_path / "need.json"
    need.write_text(json.dumps({**json.loads(NEED.read_text("utf-8")), "target_level": 1}), "utf-8")
    res = invoke(["match", need, CATALOGUE])
    assert res.code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "target_level" in lines[0]


def test_template(invoke, tmp_path):
    out = tmp_path / "目录模板.xlsx"
    res = invoke(["match", "template", "-o", out])
    assert res.code == 0, res.stderr
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(out.read_bytes())).sheetnames[0] == "方案目录"
    assert invoke(["match", "template", "-o", tmp_path / "x.csv"]).code == 2


def test_help(invoke):
    res = invoke(["match", "--help"])
    assert res.code == 0 and "rank" in res.stdout and "template" in res.stdout
