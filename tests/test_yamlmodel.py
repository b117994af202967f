"""nqpf.yamlmodel: YAML → pydantic model with file, line and key path in every error."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

import nqpf._datafile as _datafile
import nqpf.yamlmodel as yamlmodel
from nqpf.exceptions import ConfigError, SystemDefinitionError
from nqpf.systems.schema import LocatedValueError
from nqpf.yamlmodel import compose_yaml, format_loc, key_line, locate, parse_yaml_model

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z_]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Indicator(_Strict):
    id: Ident
    direction: Literal["+", "-"]
    weight: float = 1.0


class Dimension(_Strict):
    name: str = Field(min_length=1)
    indicators: list[Indicator] = Field(min_length=1)


class Doc(_Strict):
    id: str
    dimensions: list[Dimension] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> Doc:
        seen: dict[str, int] = {}
        for i, d in enumerate(self.dimensions):
            if d.name in seen:
                raise LocatedValueError(
                    f"duplicate dimension {d.name!r}",
                    ("dimensions", i, "name"),
                    related=("dimensions", seen[d.name], "name"),
                )
            seen[d.name] = i
        return self


GOOD = """\
id: demo
dimensions:
  - name: A
    indicators:
      - {id: a_one, direction: "+"}
  - name: B
    indicators:
      - id: b_one
        direction: "-"
      - id: b_two
        direction: "+"
        weight: 2
"""


def fail(text: str, model: type[BaseModel] = Doc, **kw) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_yaml_model(text, model, filename="doc.yaml", **kw)
    return info.value


def test_valid_document():
    doc = parse_yaml_model(GOOD, Doc, filename="doc.yaml")
    assert [d.name for d in doc.dimensions] == ["A", "B"]
    assert doc.dimensions[1].indicators[1].weight == 2


def test_nested_path_line_expected_and_got():
    err = fail(GOOD.replace('direction: "-"', "direction: up"))
    assert (err.file, err.line, err.field) == (
        "doc.yaml",
        9,
        "dimensions[1].indicators[0].direction",
    )
    assert str(err).startswith("doc.yaml, line 9, field 'dimensions[1].indicators[0].direction': ")
    assert "expected one of '+' or '-'" in str(err) and "got 'up'" in str(err)
    assert err.problems == [
        {"line": 9, "field": "dimensions[1].indicators[0].direction", "reason": err.reason}
    ]


def test_wrong_type_names_what_was_given():
    err = fail(GOOD.replace("weight: 2", "weight: lots"))
    assert (err.line, err.field) == (12, "dimensions[1].indicators[1].weight")
    assert "got 'lots'" in str(err)


def test_missing_key_points_at_the_mapping():
    err = fail(GOOD.replace('      - {id: a_one, direction: "+"}', "      - {id: a_one}"))
    assert (err.line, err.field) == (5, "dimensions[0].indicators[0].direction")
    assert "missing required key 'direction'" in str(err)


def test_misspelt_key_is_one_did_you_mean():
    err = fail(GOOD.replace('        direction: "-"', '        directon: "-"'))
    assert (err.line, err.field) == (9, "dimensions[1].indicators[0].directon")
    assert "unknown key 'directon'; did you mean 'direction'?" in str(err)
    assert len(err.problems) == 1  # the "missing 'direction'" echo is folded in


def test_unknown_optional_key_suggests_and_lists_allowed():
    err = fail(GOOD.replace("weight: 2", "wieght: 2"))
    assert "unknown key 'wieght'; did you mean 'weight'?" in str(err)
    assert "expected one of: id, direction, weight" in str(err)
    err = fail(GOOD.replace("id: demo", "id: demo\nsource: me"))
    assert (err.line, err.field) == (2, "source")
    assert "unknown key 'source'; expected one of: id, dimensions" in str(err)


def test_located_value_error_with_related_line():
    err = fail(GOOD.replace("name: B", "name: A"))
    assert (err.line, err.field) == (6, "dimensions[1].name")
    assert "duplicate dimension 'A' (first given on line 3)" in str(err)


def test_several_problems_are_summarised_and_echoes_dropped():
    text = GOOD.replace('direction: "-"', "direction: up").replace("weight: 2", "weight: x")
    err = fail(text)
    assert err.line == 9
    assert "(and 1 more problem: line 12 dimensions[1].indicators[1].weight)" in str(err)
    # no "at least 1 item" echo for the lists that hold the bad indicator
    assert all("at least" not in p["reason"] for p in err.problems)


def test_empty_list_is_reported():
    err = fail("id: demo\ndimensions: []\n")
    assert (err.line, err.field) == (2, "dimensions")
    assert "expected a list with at least 1 item(s), got 0" in str(err)


def test_duplicate_key_names_both_lines():
    err = fail(GOOD.replace("        weight: 2", "        weight: 2\n        weight: 3"))
    assert (err.line, err.field) == (13, "dimensions[1].indicators[1].weight")
    assert "duplicate key 'weight' (first given on line 12)" in str(err)


def test_yaml_syntax_error_has_line_and_sign_hint():
    err = fail(GOOD.replace('direction: "-"', "direction: -"))
    assert err.line == 9
    assert str(err).startswith("doc.yaml, line 9: YAML syntax error: ")
    assert "quote a sign" in str(err)
    err = fail("id: demo\ndimensions: [\n")
    assert err.line is not None and "YAML syntax error" in str(err)


def test_reader_error_has_line():
    err = fail("id: demo\nname: a\x07b\n")
    assert err.line == 2 and "YAML syntax error" in str(err)


def test_empty_and_non_mapping_documents():
    err = fail("", what="a demo document")
    assert (err.line, str(err)) == (
        1,
        "doc.yaml, line 1: the file is empty; expected a demo document",
    )
    err = fail("- a\n- b\n")
    assert "expected a mapping of keys (id, dimensions) at the top level, got a list" in str(err)


def test_error_class_and_hooks():
    text = GOOD.replace("id: a_one", "id: A-1")
    err = fail(text, error=SystemDefinitionError)
    assert isinstance(err, SystemDefinitionError)
    assert "expected text matching '^[a-z_]+$', got 'A-1'" in str(err)

    def hint(model, key, pattern):
        return f"a lower-case id for {model.__name__}.{key}"

    err = fail(text, pattern_hint=hint)
    assert "expected a lower-case id for Indicator.id, got 'A-1'" in str(err)
    err = fail(GOOD.replace("id: demo\n", ""), reasons={"missing": "required key is missing"})
    assert (err.field, err.reason) == ("id", "required key is missing")


def test_key_line_and_locate():
    root, data = compose_yaml(GOOD, "doc.yaml")
    assert data["id"] == "demo"
    assert key_line(root, "dimensions") == 2
    assert key_line(root, ("dimensions", 1, "indicators", 1, "weight")) == 12
    assert key_line(root, "dimensions.nope") is None
    assert key_line(None, "id") is None
    resolved, line, missing = locate(root, ("dimensions", 0, "function-after[x]", "colour"))
    assert (resolved, line, missing) == (["dimensions", 0], 3, "colour")
    assert format_loc(("dimensions", 1, "indicators", 0, "id")) == "dimensions[1].indicators[0].id"


def test_core_module_imports_only_yaml_pydantic_and_exceptions():
    tree = ast.parse(Path(_datafile.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    nqpf_modules = {m for m in imported if m.startswith("nqpf")}
    assert nqpf_modules == {"nqpf.exceptions"}


def test_old_import_paths_expose_the_datafile_objects():
    assert set(yamlmodel.__all__) <= set(_datafile.__all__)
    for name in yamlmodel.__all__:
        assert getattr(yamlmodel, name) is getattr(_datafile, name)
    assert LocatedValueError is _datafile.LocatedValueError
