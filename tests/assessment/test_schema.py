"""Framework files: loading, the shipped data as transcribed, and malformed files."""

from __future__ import annotations

from importlib import resources

import pytest

from nqpf.assessment import (
    Framework,
    framework_versions,
    latest_version,
    list_frameworks,
    load_framework,
    parse_framework,
    version_key,
)
from nqpf.exceptions import ConfigError, DataValidationError

TEXT_2024 = (
    resources.files("nqpf.assessment")
    .joinpath("frameworks/sme-digital-2024.yaml")
    .read_text("utf-8")
)


def _line_of(text: str, needle: str) -> int:
    idx = text.index(needle)
    return text[:idx].count("\n") + 1


def _bad(old: str, new: str, *, count: int = 1) -> ConfigError:
    assert old in TEXT_2024, old
    text = TEXT_2024.replace(old, new, count)
    with pytest.raises(ConfigError) as info:
        parse_framework(text, filename="bad.yaml")
    return info.value


# -- loading -----------------------------------------------------------------------------


def test_list_and_load():
    assert list_frameworks() == ["sme-digital-2022", "sme-digital-2024"]
    latest = load_framework("sme-digital")
    assert latest.version == "2024"
    assert load_framework("sme-digital-2024") is latest
    assert load_framework("sme-digital", "2024") is latest
    old = load_framework("sme-digital", "2022")
    assert isinstance(old, Framework) and old.key == "sme-digital-2022"


def test_every_framework_has_metadata():
    for key in list_frameworks():
        fw = load_framework(key)
        assert fw.id and fw.version and fw.source
        assert fw.confidence in ("official", "secondary", "unverified")
        assert fw.level_rule.confidence in ("official", "secondary", "unverified")


def test_unknown_id_and_version():
    with pytest.raises(ConfigError, match="unknown framework 'sme-digitl'"):
        load_framework("sme-digitl")
    with pytest.raises(ConfigError, match=r"no version .2030.*2022, 2024"):
        load_framework("sme-digital", "2030")
    with pytest.raises(ConfigError, match="file not found"):
        load_framework("nowhere/fw.yaml")


def test_load_from_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(TEXT_2024.replace('version: "2024"', 'version: "2024-local"'), "utf-8")
    fw = load_framework(path)
    assert fw.version == "2024-local" and len(fw.questions) == 15
    with pytest.raises(ConfigError, match="declares version"):
        load_framework(path, "2024")


def test_model_is_frozen():
    fw = load_framework("sme-digital")
    with pytest.raises(Exception, match="frozen"):
        fw.questions[0].max_points = 9  # type: ignore[misc]


# -- the 2022 file -----------------------------------------------------------------------


def test_2022_level_bands():
    fw = load_framework("sme-digital", "2022")
    assert fw.questions == () and fw.scenes == ()
    assert [d.name for d in fw.dimensions] == [
        "数字化基础",
        "数字化经营",
        "数字化管理",
        "数字化成效",
    ]
    rule = fw.level_rule
    assert rule.confidence == "official" and rule.score_bound == "min_inclusive"
    assert [(r.level, r.name, r.min_score) for r in rule.rows] == [
        (1, "一级", 20),
        (2, "二级", 40),
        (3, "三级", 60),
        (4, "四级", 80),
    ]
    assert rule.row(4).description == "利用全业务链数据集成分析，实现数据驱动的业务协同与智能决策"
    assert rule.row(1).description.startswith("开展了基础业务流程梳理")
    # shared endpoints go to the higher level (documented convention)
    assert [rule.level_of(x) for x in (0, 19.99, 20, 39.99, 40, 59.99, 60, 79.99, 80, 100)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]
    assert len(fw.sector_tables) == 3


def test_2022_cannot_score_responses():
    from nqpf.assessment import score

    with pytest.raises(DataValidationError, match="no item tables"):
        score(load_framework("sme-digital", "2022"), {})


# -- malformed files name the key and the line --------------------------------------------


def test_wrong_type_names_key_and_line():
    err = _bad(
        "{id: B, label: 单个业务环节, points: 2.5}", "{id: B, label: 单个业务环节, points: two}"
    )
    assert err.line == _line_of(TEXT_2024, "{id: B, label: 单个业务环节")
    assert err.field == "questions[4].options[1].points"
    assert "bad.yaml, line" in str(err) and "expected a number" in str(err)


def test_unknown_key():
    err = _bad("    title: 企业网络建设连接情况", "    titel: 企业网络建设连接情况")
    assert err.line == _line_of(TEXT_2024, "    title: 企业网络建设连接情况")
    assert err.field == "questions[0].titel"
    assert "unknown key 'titel'; did you mean 'title'?" in str(err)


def test_missing_key():
    err = _bad("  confidence: secondary\n  score_bound", "  score_bound")
    assert err.field == "level_rule.confidence"
    assert "missing required key 'confidence'" in str(err)


def test_duplicate_key():
    err = _bad(
        "    kind: multi\n    max_points: 8\n",
        "    kind: multi\n    kind: single\n    max_points: 8\n",
    )
    assert err.line == _line_of(TEXT_2024, "    kind: multi\n    max_points: 8\n") + 1
    assert "duplicate key 'kind'" in str(err)


def test_yaml_syntax_error_has_line():
    err = _bad("    title: 企业网络建设连接情况", "    title: [企业网络建设连接情况")
    assert err.line is not None and "YAML syntax error" in str(err)


def test_multi_options_must_add_to_max():
    err = _bad(
        "{id: E, label: 网络全面覆盖生产现场与环节，具备智能化新应用扩展能力, points: 2}",
        "{id: E, label: 网络全面覆盖生产现场与环节，具备智能化新应用扩展能力, points: 1}",
    )
    assert err.field == "questions[0].max_points"
    assert "add up to 7" in str(err)
    assert err.line == _line_of(TEXT_2024, "    max_points: 8")


def test_weight_product_must_match_max_points():
    err = _bad(
        "{name: 网络建设, weight: 40, question: network}",
        "{name: 网络建设, weight: 30, question: network}",
    )
    assert err.field == "dimensions[0].sub_dimensions[0].indicators[0].weight"
    assert "= 6 points" in str(err) and "max_points 8" in str(err)


def test_bands_must_not_overlap():
    err = _bad(
        "{id: B, lower: 10, upper: 20, lower_closed: false, upper_closed: true, points: 1.5}",
        "{id: B, lower: 10, upper: 20, lower_closed: true, upper_closed: true, points: 1.5}",
    )
    assert err.field == "questions[1].bands[1].lower_closed"
    assert "shared edge 10" in str(err)


def test_bands_must_be_contiguous():
    err = _bad(
        "{id: C, lower: 20, upper: 40, lower_closed: false, upper_closed: true, points: 3.75}",
        "{id: C, lower: 25, upper: 40, lower_closed: false, upper_closed: true, points: 3.75}",
    )
    assert "contiguous" in str(err) and err.field.endswith("bands[2].lower")


def test_duplicate_question_id_points_at_both():
    err = _bad("  - id: data_security\n", "  - id: network_security\n")
    assert "duplicate question id 'network_security'" in str(err)
    assert f"first given on line {_line_of(TEXT_2024, '  - id: network_security')}" in str(err)


def test_bad_confidence_and_kind():
    err = _bad("confidence: official\ntotal_points", "confidence: sure\ntotal_points")
    assert err.field == "confidence" and "expected one of" in str(err)
    err = _bad("    kind: multi\n    max_points: 8", "    kind: many\n    max_points: 8")
    assert err.field == "questions[0].kind"


def test_level_rule_must_rise():
    err = _bad("      min_score: 60", "      min_score: 85")
    assert "min_score" in err.field and "higher min_score" in str(err)


def test_scene_count_cannot_exceed_scenes():
    err = _bad("      min_binding: 6", "      min_binding: 11")
    assert err.field == "level_rule.levels[0].min_binding"
    assert "needs 11 约束性 scenes but the framework has 10" in str(err)


def test_latest_version_is_the_version_load_framework_takes():
    assert framework_versions("sme-digital") == ["2022", "2024"]
    assert latest_version("sme-digital") == load_framework("sme-digital").version == "2024"
    assert framework_versions("nope") == []
    with pytest.raises(ConfigError, match="unknown framework 'nope'") as info:
        latest_version("nope")
    assert info.value.field == "id"


def test_version_key_compares_numbers_as_numbers_and_text_after_them():
    versions = ["2024-draft", "2024.10", "2024", "2024.2", "2022"]
    assert sorted(versions, key=version_key) == ["2022", "2024", "2024.2", "2024.10", "2024-draft"]
