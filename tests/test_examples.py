"""The shipped examples stay reproducible and runnable.

The demo data are synthetic (示例数据，非真实统计): regenerating them from their seeds must
give the committed files byte for byte, and the example configs must run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from nqpf.datasets import SYNTHETIC_LABEL
from nqpf.services.analyze_run import load_analyze_config, run_analyze
from nqpf.services.demo import write_demo_panel
from nqpf.services.index_output import write_index_outputs
from nqpf.services.index_run import load_index_config, run_index

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("name", "system", "seed"),
    [
        ("demo_panel.csv", "nqpf-three-factor", 20241),
        ("demo_coupling_panel.csv", "digital-real-coupling", 20242),
    ],
)
def test_demo_panels_regenerate_identically(tmp_path, name, system, seed):
    out = write_demo_panel(tmp_path / name, system=system, seed=seed)
    assert out.read_bytes() == (EXAMPLES / name).read_bytes()
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame["data_status"].str.startswith(SYNTHETIC_LABEL).all()
    assert frame["province_code"].nunique() == 31
    assert sorted(frame["year"].unique()) == list(range(2012, 2024))


def test_assessment_demo_regenerates_identically(tmp_path):
    spec = importlib.util.spec_from_file_location("make_demo", EXAMPLES / "assess" / "make_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = tmp_path
    module.main()
    for name in ("responses.csv", "enterprises.csv", "one-enterprise.json"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / "assess" / name).read_bytes(), name


def test_index_then_analyze_examples_run(tmp_path):
    cfg = load_index_config(EXAMPLES / "nqpf-index.yaml")
    run = run_index(cfg)
    written = write_index_outputs(run, out_dir=tmp_path / "index", formats=["csv"], report=False)
    assert run.tables["weights"]["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    index_csv = next(p for p in written if p.name == "index.csv")

    acfg = load_analyze_config(EXAMPLES / "nqpf-analyze.yaml")
    data = acfg.data.model_copy(update={"path": str(index_csv)})
    result = run_analyze(acfg.model_copy(update={"data": data}))
    dagum = result.tables["dagum"]
    assert set(dagum["table"]) == {"components", "groups", "pairs"}
    assert len(result.results["moran"]) == 12


def test_coupling_example_runs():
    run = run_index(load_index_config(EXAMPLES / "digital-real-coupling.yaml"))
    coupling = run.tables["coupling"]
    assert ((coupling["C"] >= 0) & (coupling["C"] <= 1)).all()
    assert (coupling["D"] - (coupling["C"] * coupling["T"]) ** 0.5).abs().max() < 1e-12
