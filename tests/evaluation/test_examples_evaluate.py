"""examples/evaluate regenerates byte for byte from its seeds and is labelled as synthetic."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parents[2] / "examples" / "evaluate"


def test_examples_regenerate_identically(tmp_path):
    spec = importlib.util.spec_from_file_location("make_example", HERE / "make_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.write(tmp_path):
        assert path.read_bytes() == (HERE / path.name).read_bytes(), path.name
    for name in ("panel.csv", "programme.csv"):
        frame = pd.read_csv(HERE / name, encoding="utf-8-sig")
        assert (frame["data_status"] == "示例数据，非真实统计").all()
