"""``nqpf evaluate``: did (table, --json, --chart, --out, bad input), compare, rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "evaluate"
PANEL = EXAMPLES / "panel.csv"
DID = ["evaluate", "did", PANEL, "--unit", "企业", "--time", "年份", "--cohort", "参与批次",
       "--outcome", "数字化得分"]  # fmt: skip

pytest.importorskip("csdid")


def test_did_json_document(invoke):
    res = invoke([*DID, "--json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert list(doc) == ["method", "att", "se", "ci", "n_units", "n_treated",
                         "event_study", "pretrend_p", "warnings"]  # fmt: skip
    assert doc["method"] == "cs" and doc["n_units"] == 300 and doc["n_treated"] == 234
    assert doc["ci"][0] < doc["att"] < doc["ci"][1]
    assert {"e", "att", "se"} == set(doc["event_study"][0])
    assert doc["warnings"] == []


def test_did_table_chart_and_tables(invoke, tmp_path):
    chart, out = tmp_path / "es.png", tmp_path / "out"
    res = invoke([*DID, "--method", "twfe", "--chart", chart, "--out", out, "-f", "csv"])
    assert res.code == 0, res.stderr
    assert "双向固定效应" in res.stdout and "事件研究" in res.stdout
    assert "twfe_biased" in res.stdout
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    names = {p.name for p in out.iterdir()}
    assert {"estimate.csv", "event_study.csv", "cohorts.csv", "warnings.csv"} <= names


def test_did_bad_input_is_one_red_line(invoke):
    res = invoke([*DID[:-2], "--outcome", "data_status"])
    assert res.code == 2
    assert "panel.csv" in res.stderr and "not numbers" in res.stderr
    res = invoke([*DID, "--method", "sa", "--control", "notyet"])
    assert res.code == 2 and "control" in res.stderr


def test_compare_with_kpis(invoke):
    t0, t1, kpis = EXAMPLES / "t0.json", EXAMPLES / "t1.json", EXAMPLES / "kpis.csv"
    res = invoke(["evaluate", "compare", t0, t1, "--kpis", kpis])
    assert res.code == 0, res.stderr
    assert "一级 → 二级（提升1级）" in res.stdout and "T1 已达成" in res.stdout
    assert "项目指标前后对比" in res.stdout
    doc = json.loads(invoke(["evaluate", "compare", t0, t1, "--json"]).stdout)
    assert doc["level"]["change"] == 1 and doc["total"]["delta"] > 0
    assert {"dimensions", "questions", "scenes", "conditions", "remaining"} <= set(doc)
    res = invoke(["evaluate", "compare", t0, EXAMPLES / "kpis.csv"])
    assert res.code == 2


def test_rules_list(invoke):
    res = invoke(["evaluate", "rules"])
    assert res.code == 0
    assert "acceptance-sme-pilot-2023" in res.stdout and "财建〔2023〕117号" in res.stdout
