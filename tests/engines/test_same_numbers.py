"""DuckDB gives the local engine's numbers: weights, scores, ranks, sub-indices, coupling
and obstacles to 1e-9, on the demo config and on a firm panel under each supported method."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from tests.engines.conftest import assert_same_numbers

from nqpf.services.index_run import run_index

pytest.importorskip("duckdb")


def test_demo_config(example_config):
    local = run_index(example_config)
    engine = run_index(example_config, engine="duckdb")
    assert_same_numbers(local, engine)
    assert engine.units()["rank"].min() == 1
    assert engine.tables["data_quality"].set_index("check").loc["rows", "count"] == 372


METHODS = {
    "entropy-topsis-global": {
        "method": {"aggregation": "topsis"},
        "coupling": {"method": "modified"},
    },
    "cv-per-period-extremes": {
        "method": {"weighting": "cv", "normalization": {"extremes": "per_period"}},
        "fit_periods": {"from": 2018, "to": 2021},
    },
    "combined-topsis-per-period": {
        "method": {
            "weighting": "combined",
            "weights": "equal shares, filled in by the test",
            "combine": {"objective": "entropy", "method": "game"},
            "aggregation": "topsis",
            "ideal": "per_period",
            "normalization": {"rescale": 0.002},
            "scale": 100,
        },
        "coupling": {"subsystem_scores": "renormalize", "closed": "left"},
        "periods": {"from": 2019},
    },
}


@pytest.mark.parametrize("name", METHODS)
def test_firm_panel(firm_config, name):
    from nqpf.systems import load_system

    sections = copy.deepcopy(METHODS[name])
    if "weights" in sections["method"]:
        ids = load_system("digital-real-coupling").indicator_ids
        shares = np.arange(1, len(ids) + 1, dtype=float)
        sections["method"]["weights"] = dict(
            zip(ids, (shares / shares.sum()).tolist(), strict=True)
        )
    cfg = firm_config(**sections)
    local = run_index(cfg)
    engine = run_index(cfg, engine="duckdb")
    assert_same_numbers(local, engine)


def test_missing_cells_filled_and_constant_zero(firm_config, firm_frame):
    frame = firm_frame.copy()
    frame.loc[[3, 50, 77], "fibre_density"] = np.nan
    frame["websites_per_100_firms"] = 5.0  # constant: scored 0 under constant: zero
    cfg = firm_config(
        frame,
        suffix=".csv",
        data={"missing": "fill", "fill_value": 0.5},
        method={"weighting": "entropy", "normalization": {"constant": "zero", "shift": 0.001}},
        quality={"constant": "warn"},
    )
    local = run_index(cfg)
    engine = run_index(cfg, engine="duckdb")
    assert_same_numbers(local, engine)
    quality = engine.tables["data_quality"].set_index("check")
    assert quality.loc["missing: fibre_density", "count"] == 3
    w = engine.tables["weights"].set_index("id")["weight"]
    assert w["websites_per_100_firms"] == 0.0
    # codes keep their leading zeros through the CSV reader
    assert engine.units()["firm"].str.len().eq(6).all()


def test_lazy_frame_as_data(firm_config, firm_frame):
    """A DuckDB relation given as the data runs as the file does (library use)."""
    import duckdb

    cfg = firm_config()
    relation = duckdb.connect().from_df(firm_frame)
    from_file = run_index(cfg, engine="duckdb")
    from_frame = run_index(cfg, relation, engine="duckdb")
    assert_same_numbers(run_index(cfg), from_frame)
    assert from_frame.inputs == {} and from_file.inputs["data"]["bytes"] > 0
