"""The matching use case from bytes: need, catalogue (bad rows, kept rows), facts, result."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
import yaml

from nqpf.exceptions import DataValidationError
from nqpf.io.catalogue_template import catalogue_frame
from nqpf.matching import MatchIndex, make_catalogue
from nqpf.services.matching import (
    catalogue_template_bytes,
    facts_from_bytes,
    load_catalogue,
    match,
    match_files,
    need_from_bytes,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "match"
NEED = {"enterprise_id": "E1", "scene": "设备管理", "current_level": 2, "target_level": 3,
        "industry": "C3511", "text": "设备预测性维护"}  # fmt: skip


def _csv(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue()


@pytest.fixture(scope="module")
def catalogue():
    return make_catalogue(80, seed=3)


def test_need_from_json_and_yaml():
    assert need_from_bytes(json.dumps(NEED).encode(), "n.json").scene == "scene_equipment"
    assert (
        need_from_bytes(yaml.safe_dump(NEED, allow_unicode=True).encode(), "n.yaml").current_level
        == 2
    )


@pytest.mark.parametrize(
    ("data", "name", "field", "zh"),
    [
        (
            json.dumps({**NEED, "target_level": 1}).encode(),
            "n.json",
            "target_level",
            "不能低于当前等级",
        ),
        (json.dumps({**NEED, "scene": "火星"}).encode(), "n.json", "scene", "未知场景"),
        (b"{not json", "n.json", None, "无法读取"),
        (b"[1, 2]", "n.json", None, "字段映射"),
        (b"scene: x", "n.txt", None, ".json 或 .yaml"),
    ],
)
def test_bad_need_files(data, name, field, zh):
    with pytest.raises(DataValidationError) as info:
        need_from_bytes(data, name)
    assert info.value.file == name and info.value.field == field
    assert zh in info.value.reason_zh


def test_catalogue_from_csv_xlsx_parquet_and_json(catalogue, tmp_path):
    frame = catalogue_frame(catalogue)
    xlsx = tmp_path / "c.xlsx"
    frame.to_excel(xlsx, index=False)
    parquet = tmp_path / "c.parquet"
    frame.to_parquet(parquet, index=False)
    items = [s.model_dump(mode="json") for s in catalogue]
    for data, name in ((_csv(frame), "c.csv"), (xlsx.read_bytes(), "c.xlsx"),
                       (parquet.read_bytes(), "c.parquet"),
                       (json.dumps({"solutions": items}).encode(), "c.json")):  # fmt: skip
        outcome = load_catalogue(data, name)
        assert len(outcome.solutions) == 80 and outcome.errors == (), name


def test_bad_rows_are_refused_or_skipped_when_asked(catalogue):
    frame = catalogue_frame(catalogue[:5])
    frame.loc[1, "场景"] = "设备管里"
    frame.loc[3, "案例"] = "C3511 OEE提升=12"
    data = _csv(frame)
    with pytest.raises(DataValidationError) as info:
        load_catalogue(data, "c.csv")
    err = info.value
    assert err.file == "c.csv"
    assert [(p.row, p.column) for p in err.problems] == [(3, "场景"), (5, "案例")]
    assert "第 3 行“场景”列" in err.reason_zh and "2 of 5 catalogue rows" in err.reason
    kept = load_catalogue(data, "c.csv", keep_good_rows=True)
    assert len(kept.solutions) == 3 and len(kept.errors) == 2
    result = match(NEED, kept)
    assert [r["row"] for r in result.document["skipped_rows"]] == [3, 5]


def test_json_catalogue_items_are_numbered_from_one(catalogue):
    items = [s.model_dump(mode="json") for s in catalogue[:3]]
    items[1]["scenes"] = []
    with pytest.raises(DataValidationError) as info:
        load_catalogue(json.dumps(items).encode(), "c.json")
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "scenes")]


def test_facts_from_an_assessment_or_a_mapping():
    facts = facts_from_bytes((EXAMPLES / "assessment.json").read_bytes(), "assessment.json")
    assert facts["equipment_network_rate"] == 25 and facts["has_erp"] is True
    given = facts_from_bytes(
        json.dumps({"facts": {"equipment_network_rate": 30}}).encode(), "f.json"
    )
    assert dict(given) == {"equipment_network_rate": 30}
    with pytest.raises(DataValidationError) as info:
        facts_from_bytes(json.dumps({"facts": {"nope": 1}}).encode(), "f.json")
    assert info.value.file == "f.json" and info.value.field == "facts.nope"


def test_match_reuses_an_index(catalogue):
    index = MatchIndex().fit(catalogue)
    a = match(NEED, index, top=3, as_of=dt.date(2026, 1, 1))
    b = match(NEED, load_catalogue(_csv(catalogue_frame(catalogue)), "c.csv"), top=3,
              as_of=dt.date(2026, 1, 1))  # fmt: skip
    assert [m["solution_id"] for m in a.document["matches"]] == [
        m["solution_id"] for m in b.document["matches"]
    ]
    assert set(a.document) >= {"matches", "near_misses", "skipped_rows", "weights"}


def test_match_files_runs_the_example():
    outcome = match_files(EXAMPLES / "need.json", EXAMPLES / "catalogue.csv",
                          EXAMPLES / "assessment.json", top=3)  # fmt: skip
    assert outcome.result.facts_used and outcome.result.matches
    with pytest.raises(DataValidationError, match="file not found"):
        match_files(EXAMPLES / "nope.json", EXAMPLES / "catalogue.csv")


def test_template_bytes_is_an_xlsx():
    assert catalogue_template_bytes()[:2] == b"PK"
