"""The catalogue as a table: round trip, bad rows by row and column, the XLSX template."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from nqpf.exceptions import DataValidationError
from nqpf.io.catalogue_template import (
    COLUMNS,
    DATA_SHEET,
    catalogue_frame,
    catalogue_template_bytes,
    read_catalogue,
)
from nqpf.io.tables import read_table
from nqpf.matching import make_catalogue


def _csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    buf = io.BytesIO()
    frame.to_csv(buf, index=False)
    return read_table(buf.getvalue(), name="c.csv", text_columns=True)


def _untitled(s):
    return s.model_copy(
        update={"evidence": tuple(c.model_copy(update={"title": ""}) for c in s.evidence)}
    )


def test_round_trip_through_csv():
    catalogue = make_catalogue(60, seed=8)
    rows = read_catalogue(_csv_frame(catalogue_frame(catalogue)), file="c.csv")
    assert rows.errors == () and rows.n_rows == 60
    assert list(rows.solutions) == [_untitled(s) for s in catalogue]


def _row(**cells) -> dict[str, str]:
    base = {
        "方案编号": "S1", "方案名称": "设备预测性维护", "服务商编号": "P1", "场景": "设备管理",
        "起始等级": "2", "目标等级": "3", "部署方式": "SaaS", "价格区间": "20–50万",
        "交付周期（周）": "8",
    }  # fmt: skip
    return base | cells


def test_english_headers_bands_and_compact_cells():
    frame = pd.DataFrame([{
        "id": "S1", "name": "x", "provider_id": "P1", "scene": "典型场景 28 设备故障诊断与预测",
        "from_level": "二级", "to_level": "四级", "deployment": "均可", "price_band": "5–20万",
        "delivery_weeks": "6", "more_scenes": "能耗管理：1 → 3", "industries": "C35、C3981",
        "sizes": "小型；微型", "prerequisites": "equipment_network_rate >= 40%；has_erp = 是",
        "evidence": "c3511 OEE提升=12 %，停机时间降低：30 %；良品率提升=2.5 %",
    }])  # fmt: skip
    rows = read_catalogue(frame)
    assert rows.errors == ()
    s = rows.solutions[0]
    assert [(x.scene, x.from_level, x.to_level) for x in s.scenes] == [
        ("设备故障诊断与预测", 2, 4), ("scene_energy", 1, 3)]  # fmt: skip
    assert (s.price_min, s.price_max) == (5.0, 20.0) and s.deployment == ("saas", "private")
    assert [c.text_zh() for c in s.prerequisites] == [
        "设备联网率 ≥ 40 %",
        "已应用 ERP 类经营管理系统",
    ]
    assert [(c.industry, len(c.kpis)) for c in s.evidence] == [("C3511", 2), (None, 1)]
    assert s.evidence[0].kpis[1].unit == "%" and s.industries == ("C35", "C3981")


@pytest.mark.parametrize(
    ("cells", "column", "zh"),
    [
        ({"场景": "设备管里"}, "场景", "未知场景"),
        ({"目标等级": "1"}, "目标等级", "应高于起始等级"),
        ({"起始等级": "五级"}, "起始等级", "应为等级 1–4"),
        ({"前提条件": "equipment_network_rate >= 40；equipment_network_rate < 30"}, "前提条件", "相互矛盾"),
        ({"前提条件": "联网率很高"}, "前提条件", "应写作"),
        ({"案例": "C3511 OEE提升=12"}, "案例", "必须注明单位"),
        ({"价格区间": "便宜"}, "价格区间", "未知价格区间"),
        ({"最低价格（万元）": "90"}, "最低价格（万元）", "高于最高价格"),
        ({"其他场景": "能耗管理"}, "其他场景", "应写作 场景:起始等级-目标等级"),
        ({"其他场景": "能耗管理:3-2"}, "其他场景", "应高于起始等级"),
        ({"适用行业": "制造业"}, "适用行业", "门类字母"),
        ({"服务商评级": "五星"}, "服务商评级", "应为数字"),
        ({"部署方式": "上门"}, "部署方式", "应为"),
    ],
)  # fmt: skip
def test_each_bad_row_is_named_by_row_and_column(cells, column, zh):
    frame = pd.DataFrame([_row(), _row(**{"方案编号": "S2", **cells}), _row(**{"方案编号": "S3"})])
    rows = read_catalogue(frame, file="c.xlsx")
    assert [s.id for s in rows.solutions] == ["S1", "S3"]
    (error,) = rows.errors
    assert (error.row, error.column) == (3, column)
    assert zh in error.message_zh
    assert str(error).startswith(f"row 3, column {column!r}: ")


def test_duplicate_ids_and_blank_rows():
    blank = dict.fromkeys(_row())
    frame = pd.DataFrame([_row(), blank, _row()])
    rows = read_catalogue(frame)
    assert rows.n_rows == 2 and len(rows.solutions) == 1
    assert rows.errors[0].row == 4 and "与第 2 行重复" in rows.errors[0].message_zh


def test_unknown_and_missing_columns():
    with pytest.raises(DataValidationError) as info:
        read_catalogue(pd.DataFrame([_row(颜色="红")]), file="c.csv")
    assert info.value.column == "颜色" and "未知列" in info.value.reason_zh
    with pytest.raises(DataValidationError) as info:
        read_catalogue(
            pd.DataFrame([{k: v for k, v in _row().items() if k != "场景"}]), file="c.csv"
        )
    assert "缺少列：场景" in info.value.reason_zh
    with pytest.raises(DataValidationError) as info:
        read_catalogue(pd.DataFrame([{k: v for k, v in _row().items() if k != "价格区间"}]))
    assert "price_band" in info.value.reason


def test_template_has_dropdowns_and_reads_back_empty():
    data = catalogue_template_bytes()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == DATA_SHEET
    ws = wb[DATA_SHEET]
    assert [c.value for c in ws[1]] == [v[0] for v in COLUMNS.values()]
    # the column letter of each dropdown's range (e.g. "G2:G501" → "G")
    lists = {str(dv.sqref).split(":")[0].rstrip("0123456789")
             for dv in ws.data_validations.dataValidation if dv.type == "list"}  # fmt: skip
    letters = {k: chr(ord("A") + i) for i, k in enumerate(COLUMNS)}
    assert {letters[k] for k in ("scene", "from_level", "to_level", "provider_standing",
                                 "deployment", "price_band")} <= lists  # fmt: skip
    assert wb["_lists"].sheet_state == "hidden"
    assert wb["场景清单"].max_row == 57 and wb["事实清单"]["A2"].value == "network"
    rows = read_catalogue(read_table(data, name="t.xlsx", text_columns=True), file="t.xlsx")
    assert rows.n_rows == 0 and rows.solutions == ()


def test_the_example_catalogue_is_what_make_example_writes():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "match" / "catalogue.csv"
    rows = read_catalogue(read_table(path, text_columns=True), file=path.name)
    assert list(rows.solutions) == [_untitled(s) for s in make_catalogue(80, providers=12, seed=11)]
