"""nqpf.services.evaluation: bytes in (CSV/XLSX/Parquet, response files), results and tables out."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from nqpf.exceptions import DataValidationError
from nqpf.io.atomic import xlsx_bytes
from nqpf.services import evaluation as ev

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "evaluate"
KW = {"unit": "企业", "time": "年份", "cohort": "参与批次", "outcome": "数字化得分"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(EXAMPLES / "panel.csv", encoding="utf-8-sig")


def test_did_from_csv_xlsx_and_parquet_bytes(panel):
    pytest.importorskip("csdid")
    csv = ev.did_file(EXAMPLES / "panel.csv", **KW)
    assert csv.document == csv.result.to_dict() and set(csv.tables) == set(ev.DID_TABLES)
    small = panel[panel["企业"] <= "F00080"]
    parquet = io.BytesIO()
    small.to_parquet(parquet)
    a = ev.did_bytes(parquet.getvalue(), "panel.parquet", **KW)
    b = ev.did_bytes(xlsx_bytes({"panel": small}), "panel.xlsx", **KW)
    assert a.result.att == pytest.approx(b.result.att) and a.result.n_units == 80


def test_errors_name_the_file_and_row(panel):
    bad = panel.astype({"数字化得分": object})
    bad.loc[5, "数字化得分"] = "缺报"
    data = bad.to_csv(index=False).encode("utf-8")
    with pytest.raises(DataValidationError) as e:
        ev.did_bytes(data, "p.csv", **KW)
    assert e.value.file == "p.csv" and e.value.row == 7 and e.value.column == "数字化得分"
    assert "缺报" in e.value.reason_zh


def test_methods_side_by_side_and_chart(panel):
    pytest.importorskip("pyfixest")
    small = panel[panel["企业"] <= "F00120"]
    fits = ev.did_methods(small, methods=("cs", "twfe"), **KW)
    table = ev.contrast_table(fits)
    assert table["method"].tolist() == ["cs", "twfe"] and "twfe_biased" in table.loc[1, "warnings"]
    assert ev.event_study_png(list(fits.values()))[:4] == b"\x89PNG"


def test_compare_bytes_and_document():
    t0, t1 = ((EXAMPLES / n).read_bytes() for n in ("t0.json", "t1.json"))
    kpis = json.dumps(
        [{"name": "营业收入", "baseline": 10, "target": 12, "actual": 13, "unit": "万元"}]
    )
    out = ev.compare_bytes(t0, "t0.json", t1, "t1.json", kpis=(kpis.encode(), "kpis.json"))
    assert out.result.level_change == 1 and set(out.tables) == set(ev.COMPARE_TABLES)
    doc = ev.compare_document(out)
    json.dumps(doc, ensure_ascii=False, allow_nan=False)
    assert doc["kpis"][0]["met"] is True
    with pytest.raises(DataValidationError) as e:
        ev.kpis_bytes(b"name,baseline,target\nx,abc,2\n", "kpis.csv")
    assert e.value.file == "kpis.csv"


def test_programme_acceptance_subsidy_and_xlsx():
    firms = pd.read_csv(EXAMPLES / "programme.csv", encoding="utf-8-sig")
    prog = ev.programme_table(firms, n_boot=200, rng=1)
    assert prog.outcomes.loc[0, "n_pairs"] == 60 and prog.transition is not None
    acc = ev.acceptance_table(firms, columns={"scale": "规模", "segment": "细分行业"})
    assert set(acc.table["group"]) == {"通用设备制造", "汽车零部件"}
    sub = ev.subsidy_table(firms, "subsidy-longyan-2025", enterprise="企业")
    assert sub.total == pytest.approx(sub.table["subsidy"].sum()) and sub.total > 0
    data = ev.tables_xlsx({**prog.tables(), "acceptance": acc.table, "subsidy": sub.table})
    assert data[:2] == b"PK"
