"""The tokenizer, the data files (weights, lexicon) and the synthetic catalogue."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nqpf.exceptions import ConfigError
from nqpf.matching import (
    SYNTHETIC_NOTE,
    Tokenizer,
    load_weights,
    make_catalogue,
)


def test_synonyms_and_stopwords(tokenizer):
    assert tokenizer.tokens("预知维护") == tokenizer.tokens("预测性维护") == ["预测性维护"]
    assert tokenizer.tokens("MES") == tokenizer.tokens("mes") == ["制造执行系统"]
    assert tokenizer.tokens("我们需要的，和！") == []
    assert tokenizer.tokens("") == []


def test_a_lexicon_of_ones_own():
    tok = Tokenizer(
        {"words": ["铸造仿真"], "synonyms": {"铸造仿真": ["铸造模拟"]}, "stopwords": ["我们"]}
    )
    assert tok.tokens("我们铸造模拟") == ["铸造仿真"]
    with pytest.raises(ConfigError):
        Tokenizer({"words": "not a list", "colour": 1})


def test_weights_file_and_overrides(tmp_path):
    w = load_weights()
    assert w.key == "nqpf-matching-weights@1" and w.confidence == "design"
    assert w.source.startswith("nqpf design")
    assert sum(w.components.model_dump().values()) == pytest.approx(1.0)
    path = tmp_path / "w.yaml"
    path.write_text("id: x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_weights(path)
    assert info.value.field
    with pytest.raises(ConfigError):
        load_weights(tmp_path / "missing.yaml")
    mine = load_weights(w.model_dump(by_alias=True) | {"version": "2"})
    assert mine.key == "nqpf-matching-weights@2"


def test_synthetic_catalogue_is_seeded_and_labelled():
    a = make_catalogue(40, providers=7, seed=1)
    assert a == make_catalogue(40, providers=7, seed=1)
    assert a != make_catalogue(40, providers=7, seed=2)
    assert len({s.provider_id for s in a}) <= 7
    assert all(s.provider_name.endswith("（示例）") and SYNTHETIC_NOTE in s.description for s in a)
    assert all(SYNTHETIC_NOTE in c.title for s in a for c in s.evidence)


def test_matching_imports_no_edge():
    """nqpf.matching is core: importing it loads none of io, services, cli, web, rich."""
    code = "import json, sys, nqpf.matching\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    edges = ("nqpf.io", "nqpf.services", "nqpf.cli", "nqpf.web", "nqpf.reports", "rich", "typer")
    assert [m for m in json.loads(out.stdout) if m.startswith(edges)] == []
