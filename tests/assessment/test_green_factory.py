"""绿色工厂 scoring on the GB/T 36132-2025 structure: linear rule, direction, vetoes, input checks."""

from __future__ import annotations

import pandas as pd
import pytest

from nqpf.assessment.green_factory import (
    SectorBenchmarks,
    linear_score,
    load_green_factory,
    load_sector_benchmarks,
    score_green_factory,
)
from nqpf.exceptions import ConfigError, DataValidationError

LOWER = {"benchmark": 0.5, "leading": 0.3}  # 能源消耗强度: lower is better
HIGHER = {"benchmark": 20, "leading": 60}  # 可再生能源利用率 %: higher is better
ALL_MET = {
    "iso9001": True,
    "iso14001": True,
    "iso50001": True,
    "iso45001": True,
    "no_phased_out_equipment": True,
    "within_discharge_permit": True,
    "no_major_incident_3y": True,
}


def one(indicator, value, bench, pts=10.0, **kw):
    r = score_green_factory(
        {indicator: value}, benchmarks={indicator: bench}, points={indicator: pts}, **kw
    )
    return r.indicators[0].points


def test_structure_from_reference():
    s = load_green_factory()
    assert s.standard == "GB/T 36132-2025" and s.confidence == "official"
    assert [a.name for a in s.areas] == [
        "能源低碳化",
        "资源高效化",
        "生产洁净化",
        "产品绿色化",
        "用地集约化",
    ]
    assert len(s.indicators) == 14
    assert sum(i.example_points for i in s.indicators) == 100
    assert s.share_rule.percent == 60 and s.share_rule.confidence == "official"
    assert len(s.basic_requirements) == 7 and s.basic_requirements_confidence == "secondary"
    assert s.example_points.confidence == "secondary"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, 0.0),  # at the benchmark
        (0.3, 10.0),  # at the leading value
        (0.4, 5.0),  # midpoint
        (0.45, 2.5),
        (0.2, 10.0),  # beyond the leading value: clamped
        (0.9, 0.0),  # worse than the benchmark: clamped
    ],
)
def test_linear_lower_is_better(value, expected):
    assert one("能源消耗强度", value, LOWER) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(20, 0.0), (60, 8.0), (40, 4.0), (30, 2.0), (100, 8.0), (0, 0.0)],
)
def test_linear_higher_is_better(value, expected):
    assert one("renewable_share", value, HIGHER, pts=8) == pytest.approx(expected)


def test_linear_score_function():
    assert linear_score(0.4, 0.5, 0.3, 10) == pytest.approx(5)
    assert linear_score(90, 60, 80, 8) == 8
    assert linear_score(50, 60, 80, 8) == 0
    with pytest.raises(DataValidationError):
        linear_score(1, 2, 2)


def test_direction_mismatch_names_the_key():
    with pytest.raises(DataValidationError, match="lower-is-better") as err:
        one("能源消耗强度", 0.4, {"benchmark": 0.3, "leading": 0.5})
    assert err.value.field == "能源消耗强度"
    with pytest.raises(DataValidationError, match="higher-is-better") as err:
        one("renewable_share", 40, {"benchmark": 60, "leading": 20})
    assert err.value.field == "renewable_share"


def test_benchmark_equal_leading_is_an_error():
    with pytest.raises(DataValidationError, match="must differ") as err:
        one("能源消耗强度", 0.4, {"benchmark": 0.5, "leading": 0.5})
    assert "能源消耗强度" in err.value.field


def test_vetoes_override_the_score():
    kw = dict(benchmarks={"能源消耗强度": LOWER}, points={"能源消耗强度": 10})
    r = score_green_factory({"能源消耗强度": 0.1}, basic=ALL_MET, **kw)
    assert r.total == 10 and r.status == "基本要求已满足" and not r.vetoed
    r = score_green_factory(
        {"能源消耗强度": 0.1}, basic={**ALL_MET, "within_discharge_permit": False}, **kw
    )
    assert r.total == 10  # full marks, still 不达标
    assert r.status == "不达标" and r.vetoed
    assert r.vetoes == ("污染物排放符合排污许可要求",)
    r = score_green_factory({"能源消耗强度": 0.1}, basic={"iso9001": True}, **kw)
    assert r.status == "基本要求待确认" and not r.complete
    # a veto is decisive even when other requirements are unknown
    r = score_green_factory({"能源消耗强度": 0.1}, basic={"iso45001": False}, **kw)
    assert r.status == "不达标"


def test_requirement_by_text_and_bad_requirement():
    kw = dict(benchmarks={"能源消耗强度": LOWER}, points={"能源消耗强度": 10})
    r = score_green_factory({}, basic={"近三年无重大环境事故": False}, **kw)
    assert r.status == "不达标"
    with pytest.raises(DataValidationError, match="unknown basic requirement") as err:
        score_green_factory({}, basic={"iso9002": True}, **kw)
    assert err.value.field == "iso9002"
    with pytest.raises(DataValidationError, match="true/false") as err:
        score_green_factory({}, basic={"iso9001": "yes"}, **kw)
    assert err.value.field == "iso9001"


def test_points_are_required():
    with pytest.raises(DataValidationError, match="no indicator points") as err:
        score_green_factory({"能源消耗强度": 0.4}, benchmarks={"能源消耗强度": LOWER})
    assert err.value.field == "points"
    with pytest.raises(DataValidationError, match="preset") as err:
        score_green_factory({}, benchmarks={"能源消耗强度": LOWER}, points="gb-default")
    with pytest.raises(DataValidationError, match="no points") as err:
        score_green_factory(
            {"能源消耗强度": 0.4, "取水强度": 3},
            benchmarks={"能源消耗强度": LOWER},
            points={"能源消耗强度": 10},
        )
    assert err.value.field == "取水强度"


def test_example_preset_areas_and_share():
    bench = {
        "energy_intensity": LOWER,
        "renewable_share": HIGHER,
        "water_reuse_rate": {"benchmark": 80, "leading": 95},
        "land_output": {"benchmark": 1000, "leading": 3000},
    }
    values = {
        "energy_intensity": 0.4,  # 8 × 0.5
        "renewable_share": 60,  # 8
        "water_reuse_rate": 50,  # 0
        "land_output": 2500,  # 8 × 0.75
        "生产工艺和设备先进性": 0.5,  # qualitative: judged share → 3
        "绿色设计": 1.0,  # kind not given in the reference: judged share → 8
    }
    r = score_green_factory(values, benchmarks=bench, points="table-c1-example")
    assert r.area_points == {
        "能源低碳化": (12.0, 30.0),
        "资源高效化": (0.0, 30.0),
        "生产洁净化": (3.0, 16.0),
        "产品绿色化": (8.0, 16.0),
        "用地集约化": (6.0, 8.0),
    }
    assert r.total == pytest.approx(29) and r.max_total == 100
    assert r.share_check == (60.0, 60.0)
    assert "table-c1-example" in r.weights_source and "二手来源" in r.weights_source
    assert len(r.missing) == 8  # not supplied → 0 points, listed
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 14
    assert frame["points"].sum() == pytest.approx(29)
    text = r.summary().as_text()
    assert "绿色工厂" in text and "能源低碳化" in text


def test_user_weights_share_note():
    r = score_green_factory(
        {"能源消耗强度": 0.4, "土地产出率": 2000},
        benchmarks={"能源消耗强度": LOWER, "土地产出率": {"benchmark": 1000, "leading": 3000}},
        points={"能源消耗强度": 10, "土地产出率": 10},
    )
    assert r.share_check == (50.0, 60.0)
    assert any("60%" in n for n in r.notes)
    assert r.total == pytest.approx(10)


def test_quantitative_indicator_needs_benchmark():
    with pytest.raises(DataValidationError, match="benchmark") as err:
        score_green_factory(
            {"取水强度": 3}, benchmarks={"能源消耗强度": LOWER}, points={"取水强度": 8}
        )
    assert err.value.field == "取水强度"


def test_judged_share_out_of_range():
    with pytest.raises(DataValidationError, match=r"\[0, 1\]") as err:
        score_green_factory(
            {"process_equipment": 6},
            benchmarks={"能源消耗强度": LOWER},
            points={"process_equipment": 6},
        )
    assert err.value.field == "生产工艺和设备先进性"


@pytest.mark.parametrize(
    ("indicators", "key", "match"),
    [
        ({"能耗": 0.4}, "能耗", "unknown indicator"),
        ({"能源消耗强度": "0.4"}, "能源消耗强度", "finite number"),
        ({"能源消耗强度": -0.1}, "能源消耗强度", "out of range"),
        ({"可再生能源利用率": 100.5}, "可再生能源利用率", "out of range"),
    ],
)
def test_bad_indicator_input_names_the_key(indicators, key, match):
    with pytest.raises(DataValidationError, match=match) as err:
        score_green_factory(
            indicators,
            benchmarks={"能源消耗强度": LOWER, "可再生能源利用率": HIGHER},
            points={"能源消耗强度": 10, "可再生能源利用率": 8},
        )
    assert err.value.field == key
    assert f"“{key}”" in err.value.reason_zh and err.value.reason_zh != err.value.reason


def test_bad_benchmarks_name_the_key():
    with pytest.raises(DataValidationError) as err:
        score_green_factory(
            {}, benchmarks={"能源消耗强度": {"benchmark": 0.5}}, points={"能源消耗强度": 1}
        )
    assert "能源消耗强度" in err.value.field and "leading" in err.value.field
    assert err.value.reason_zh.startswith("基准值 benchmarks.能源消耗强度.leading 有误：")
    with pytest.raises(DataValidationError) as err:
        score_green_factory({}, benchmarks={"煤耗": LOWER}, points={"能源消耗强度": 1})
    assert err.value.field == "煤耗"


def test_sector_yaml_same_format(tmp_path):
    path = tmp_path / "sector.yaml"
    path.write_text(
        "id: demo-sector\nversion: '1'\nsector: 示例行业\nsource: user test data\n"
        "confidence: unverified\nbenchmarks:\n"
        "  能源消耗强度: {benchmark: 0.5, leading: 0.3, points: 10}\n"
        "  renewable_share: {benchmark: 20, leading: 60, points: 8, unit: '%'}\n",
        encoding="utf-8",
    )
    sector = load_sector_benchmarks(path)
    assert isinstance(sector, SectorBenchmarks) and sector.sector == "示例行业"
    for bench in (path, str(path), sector):
        r = score_green_factory({"能源消耗强度": 0.4, "renewable_share": 40}, benchmarks=bench)
        assert r.total == pytest.approx(9) and r.max_total == 18
    # a dict in the same format (with the "benchmarks" key) works too
    as_dict = {"id": "d", "benchmarks": {"能源消耗强度": {**LOWER, "points": 10}}}
    assert score_green_factory({"能源消耗强度": 0.4}, benchmarks=as_dict).total == 5


def test_sector_yaml_errors_name_line_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: bad\nbenchmarks:\n  能源消耗强度: {benchmark: 0.5, leading: low}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_sector_benchmarks(path)
    assert err.value.line == 3
    assert err.value.field == "benchmarks.能源消耗强度.leading"
    with pytest.raises(ConfigError, match="not found"):
        load_sector_benchmarks(tmp_path / "missing.yaml")


def test_result_is_frozen():
    r = score_green_factory(
        {"能源消耗强度": 0.4}, benchmarks={"能源消耗强度": LOWER}, points={"能源消耗强度": 10}
    )
    with pytest.raises(AttributeError):
        r.total = 0  # type: ignore[misc]
