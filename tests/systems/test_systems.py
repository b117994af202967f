"""Indicator systems: shipped presets load, helpers agree, bad files name key and line."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest

import nqpf.systems
from nqpf.exceptions import ConfigError, SystemDefinitionError
from nqpf.systems import IndicatorSystem, list_systems, load_system, parse_system
from nqpf.systems.schema import normalise_direction

SHIPPED = ["digital-real-coupling", "nqpf-tech-green-digital", "nqpf-three-factor"]

# Line numbers below refer to this text (line 1 = "id: tiny").
BASE = """\
id: tiny
version: "1.0"
name: 小体系
source: test fixture
confidence: unverified
dimensions:
  - name: A
    sub_dimensions:
      - name: A1
        indicators:
          - id: a1
            name: 指标一
            direction: "+"
          - id: a2
            name: 指标二
            direction: "-"
  - name: B
    sub_dimensions:
      - name: B1
        indicators:
          - id: b1
            name: 指标三
            direction: "+"
          - id: b2
            name: 指标四
            unit: "%"
            direction: -1
"""


def with_line(n: int, new: str | None) -> str:
    """BASE with line ``n`` (1-based) replaced by ``new``, or removed when ``new`` is None."""
    lines = BASE.splitlines()
    if new is None:
        del lines[n - 1]
    else:
        lines[n - 1] = new
    return "\n".join(lines) + "\n"


def fails(text: str) -> SystemDefinitionError:
    with pytest.raises(SystemDefinitionError) as info:
        parse_system(text, filename="bad.yaml")
    return info.value


# -- shipped presets ---------------------------------------------------------------------


def test_list_systems():
    assert list_systems() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_system_loads_and_is_consistent(name):
    s = load_system(name)
    assert isinstance(s, IndicatorSystem)
    assert s.id == name  # file stem and id agree, so list_systems() names are the ids
    assert s.verified is False and s.confidence == "unverified"
    assert s.source.strip()
    ids = s.indicator_ids
    assert len(ids) == len(set(ids)) >= 12
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids
    assert all(ind.name and ind.unit for ind in s.indicators)
    # directions: ±1, aligned with the indicators
    d = s.directions
    assert d.dtype == np.int64 and d.shape == (len(ids),)
    assert set(d.tolist()) <= {1, -1}
    assert [("+" if x == 1 else "-") for x in d] == [i.direction for i in s.indicators]
    # groups partition the indicators, in document order
    for level in ("dimension", "sub_dimension"):
        g = s.groups(level)
        assert [i for members in g.values() for i in members] == ids
    assert list(s.groups("dimension")) == s.dimension_names
    assert set(s.dimension_of) == set(ids) == set(s.sub_dimension_of)
    for dim, members in s.groups("dimension").items():
        assert all(s.dimension_of[i] == dim for i in members)
    for sub, members in s.groups("sub_dimension").items():
        assert all(s.sub_dimension_of[i] == sub for i in members)
    # every dimension has 2–3 sub-dimensions of 2–5 indicators
    for dim in s.dimensions:
        assert 2 <= len(dim.sub_dimensions) <= 3
        assert all(2 <= len(sub.indicators) <= 5 for sub in dim.sub_dimensions)


@pytest.mark.parametrize("name", SHIPPED)
def test_to_frame(name):
    s = load_system(name)
    f = s.to_frame()
    assert isinstance(f, pd.DataFrame)
    assert f.columns.tolist() == [
        "dimension",
        "sub_dimension",
        "id",
        "name",
        "unit",
        "direction",
        "description",
    ]
    assert f["id"].tolist() == s.indicator_ids
    assert set(f["direction"]) <= {"+", "-"}


def test_three_factor_content():
    s = load_system("nqpf-three-factor")
    assert s.dimension_names == ["劳动者", "劳动资料", "劳动对象"]
    assert not s.subsystems
    assert all(len(d.sub_dimensions) == 2 for d in s.dimensions)
    assert 16 <= len(s.indicators) <= 20
    assert s.indicator("energy_intensity").direction == "-"
    assert s.indicator("so2_intensity").direction == "-"
    assert s.indicator("edu_years").unit == "年"
    assert "王珏" in s.source and "王荣基" in s.source


def test_tech_green_digital_content():
    s = load_system("nqpf-tech-green-digital")
    assert s.dimension_names == ["科技生产力", "绿色生产力", "数字生产力"]
    assert "卢江" in s.source
    assert (s.directions == -1).sum() >= 2


def test_coupling_system_has_two_subsystems():
    s = load_system("digital-real-coupling")
    assert s.subsystems is True
    assert s.dimension_names == ["数字经济", "实体经济"]
    assert [sub.name for sub in s.dimensions[0].sub_dimensions] == [
        "数字基础设施",
        "数字产业化",
        "产业数字化",
    ]
    assert [sub.name for sub in s.dimensions[1].sub_dimensions] == ["规模", "结构", "效益"]
    real = s.dimensions[1]
    assert "§5.3" in real.description and "placeholder" in real.description.lower()


def test_shipped_systems_are_cached_and_frozen():
    s = load_system("nqpf-three-factor")
    assert load_system("nqpf-three-factor") is s
    with pytest.raises(pydantic.ValidationError):
        s.id = "other"
    with pytest.raises(pydantic.ValidationError):
        s.indicators[0].direction = "-"
    # the flat list is a fresh copy: mutating it does not touch the system
    s.indicators.clear()
    assert len(s.indicators) == 18


def test_indicator_lookup_error_lists_ids():
    s = load_system("nqpf-three-factor")
    with pytest.raises(KeyError, match="edu_years"):
        s.indicator("nope")


def test_groups_rejects_unknown_level():
    with pytest.raises(ValueError, match="sub_dimension"):
        load_system("nqpf-three-factor").groups("indicator")


# -- valid user files --------------------------------------------------------------------


def test_parse_base_and_directions_normalised():
    s = parse_system(BASE)
    assert s.indicator_ids == ["a1", "a2", "b1", "b2"]
    assert s.directions.tolist() == [1, -1, 1, -1]
    assert [i.direction for i in s.indicators] == ["+", "-", "+", "-"]
    assert s.groups("sub_dimension") == {"A1": ["a1", "a2"], "B1": ["b1", "b2"]}
    assert s.indicator("b2").unit == "%"
    assert s.indicator("a1").unit == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+", "+"),
        ("-", "-"),
        (1, "+"),
        (-1, "-"),
        ("+1", "+"),
        ("-1", "-"),
        ("−", "-"),
        ("＋", "+"),
        ("正向", "+"),
        ("负向", "-"),
        (" Positive ", "+"),
    ],
)
def test_direction_spellings(value, expected):
    assert normalise_direction(value) == expected


@pytest.mark.parametrize("value", [True, False, 0, 2, "up", "", None, 1.5])
def test_direction_rejects(value):
    with pytest.raises(ValueError, match=r"expected '\+' or '-'"):
        normalise_direction(value)


def test_load_user_file_by_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_system(path).id == "tiny"
    assert load_system(str(path)).id == "tiny"


def test_load_user_file_with_bom(tmp_path):
    path = tmp_path / "bom.yml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert load_system(path).indicator_ids == ["a1", "a2", "b1", "b2"]


# -- malformed files: key path and line ------------------------------------------------


def assert_located(err: SystemDefinitionError, field: str, line: int, *fragments: str):
    msg = str(err)
    assert err.file == "bad.yaml"
    assert err.field == field
    assert err.line == line
    assert msg.startswith(f"bad.yaml, line {line}, field '{field}': "), msg
    for fragment in fragments:
        assert fragment in msg, msg


def test_bad_direction():
    err = fails(with_line(23, "            direction: up"))
    assert_located(
        err,
        "dimensions[1].sub_dimensions[0].indicators[0].direction",
        23,
        "expected '+' or '-'",
        "'up'",
    )
    assert len(err.problems) == 1  # no echo errors from enclosing lists


def test_bad_direction_number():
    err = fails(with_line(16, "            direction: 2"))
    assert_located(err, "dimensions[0].sub_dimensions[0].indicators[1].direction", 16, "got 2")


def test_duplicate_indicator_id():
    err = fails(with_line(24, "          - id: a1"))
    assert_located(
        err,
        "dimensions[1].sub_dimensions[0].indicators[1].id",
        24,
        "duplicate indicator id 'a1'",
        "first given on line 11",
    )


def test_duplicate_sub_dimension_name():
    err = fails(with_line(19, "      - name: A1"))
    assert_located(err, "dimensions[1].sub_dimensions[0].name", 19, "duplicate sub-dimension")


def test_missing_key():
    # remove "name: 指标三": reported at the line where that indicator's mapping starts
    err = fails(with_line(22, None))
    assert_located(
        err,
        "dimensions[1].sub_dimensions[0].indicators[0].name",
        21,
        "missing required key 'name'",
    )


def test_missing_top_level_key():
    err = fails(with_line(5, None))  # confidence
    assert_located(err, "confidence", 1, "missing required key 'confidence'")


def test_yaml_syntax_error_names_line():
    err = fails(with_line(15, "            name: 指标二: x"))
    assert err.line == 15 and err.field is None
    assert str(err).startswith("bad.yaml, line 15: YAML syntax error: ")


def test_yaml_bare_minus_gets_a_hint():
    err = fails(with_line(16, "            direction: -"))
    assert err.line == 16
    assert "quote a sign" in str(err)


def test_yaml_unclosed_quote():
    err = fails(with_line(12, '            name: "指标一'))
    assert err.line is not None and err.line >= 12
    assert "YAML syntax error" in str(err)
    assert "that starts on line 11" in str(err)  # the enclosing mapping, near the culprit


def test_wrong_type_name_list():
    err = fails(with_line(22, "            name: [x, y]"))
    assert_located(
        err, "dimensions[1].sub_dimensions[0].indicators[0].name", 22, "expected text", "a list"
    )


def test_wrong_type_sub_dimensions_scalar():
    text = "\n".join([*BASE.splitlines()[:17], "    sub_dimensions: 42"]) + "\n"
    err = fails(text)
    assert_located(err, "dimensions[1].sub_dimensions", 18, "expected a list", "got 42")


def test_wrong_type_confidence():
    err = fails(with_line(5, "confidence: maybe"))
    assert_located(err, "confidence", 5, "'official'", "'maybe'")


def test_version_must_be_quoted():
    err = fails(with_line(2, "version: 2024.1"))
    assert_located(err, "version", 2, 'quoted string such as "2024.1"')


def test_bad_indicator_id():
    err = fails(with_line(14, "          - id: 2nd-indicator"))
    assert_located(err, "dimensions[0].sub_dimensions[0].indicators[1].id", 14, "ASCII identifier")


def test_empty_name():
    err = fails(with_line(12, '            name: "  "'))
    assert_located(err, "dimensions[0].sub_dimensions[0].indicators[0].name", 12, "non-empty")


def test_misspelt_key_is_reported_at_the_typo():
    # a typo gives "missing 'direction'" and "unknown 'directon'": one message suffices
    err = fails(with_line(13, '            directon: "+"'))
    assert_located(
        err,
        "dimensions[0].sub_dimensions[0].indicators[0].directon",
        13,
        "unknown key 'directon'; did you mean 'direction'?",
    )
    assert len(err.problems) == 1


def test_unknown_key_lists_allowed_keys_and_other_problems_counted():
    text = with_line(1, "id: tiny\nweights: [1, 2]")  # unknown top-level key on line 2
    text = text.replace("name: 指标三", "name: ''")  # and an empty name on line 23
    err = fails(text)
    assert_located(err, "weights", 2, "unknown key 'weights'; expected one of: id, version")
    assert [(p["line"], p["field"]) for p in err.problems] == [
        (2, "weights"),
        (23, "dimensions[1].sub_dimensions[0].indicators[0].name"),
    ]
    assert str(err).endswith(
        "(and 1 more problem: line 23 dimensions[1].sub_dimensions[0].indicators[0].name)"
    )


def test_empty_indicator_list():
    text = "\n".join([*BASE.splitlines()[:19], "        indicators: []"]) + "\n"
    err = fails(text)
    assert_located(err, "dimensions[1].sub_dimensions[0].indicators", 20, "at least 1 item")


def test_duplicate_yaml_key():
    err = fails(with_line(26, "            name: again"))
    assert_located(
        err,
        "dimensions[1].sub_dimensions[0].indicators[1].name",
        26,
        "duplicate key 'name'",
        "line 25",
    )


def test_subsystems_need_two_dimensions():
    text = "subsystems: true\n" + "\n".join(BASE.splitlines()[:16]) + "\n"
    err = fails(text)
    assert_located(err, "dimensions", 7, "at least two")


def test_empty_file():
    err = fails("# nothing here\n")
    assert err.line == 1 and "empty" in str(err)


def test_top_level_not_a_mapping():
    err = fails("- a\n- b\n")
    assert err.line == 1 and "got a list" in str(err)


def test_error_hierarchy():
    err = fails(with_line(23, "            direction: up"))
    assert isinstance(err, ConfigError) and isinstance(err, ValueError)
    assert err.exit_code == 2


def test_load_system_file_errors(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(with_line(23, "            direction: up"), encoding="utf-8")
    with pytest.raises(SystemDefinitionError) as info:
        load_system(path)
    assert str(info.value).startswith(f"{path}, line 23, field ")
    assert info.value.file == str(path)

    with pytest.raises(SystemDefinitionError, match="file not found"):
        load_system(tmp_path / "absent.yaml")

    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: 指标".encode("gbk"))
    with pytest.raises(SystemDefinitionError, match="UTF-8"):
        load_system(latin)


def test_unknown_system_name_lists_shipped():
    with pytest.raises(SystemDefinitionError, match="nqpf-three-factor"):
        load_system("no-such-system")


def test_shipped_files_are_valid_yaml_with_stem_ids():
    root = Path(nqpf.systems.__file__).parent
    stems = sorted(p.stem for p in root.glob("*.yaml"))
    assert stems == SHIPPED


def test_old_names_in_systems_schema_are_the_shared_objects():
    from nqpf import _datafile
    from nqpf.systems import schema

    assert schema.normalise_direction is schema.normalize_direction
    assert schema.normalize_direction("负向") == "-"
    assert schema.LocatedValueError is _datafile.LocatedValueError
    assert schema.Confidence is _datafile.Confidence
    assert schema.format_loc is _datafile.format_loc
