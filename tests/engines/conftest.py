"""Fixtures of the engine tests: a small seeded firm panel, configs, and the comparison
of an engine run with the local run of the same config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from nqpf.services.index_run import load_index_config
from nqpf.systems import load_system

FIRM_SYSTEM = "digital-real-coupling"
EXAMPLE = Path(__file__).parents[2] / "examples" / "nqpf-index.yaml"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts a JVM (Spark local mode); run in CI")


def firm_panel(firms: int = 40, years: range = range(2018, 2024), seed: int = 3) -> pd.DataFrame:
    """A seeded firm panel (示例数据): codes with leading zeros, an industry, lognormal
    indicators of the firm system with firm effects and a trend."""
    rng = np.random.default_rng(seed)
    ids = load_system(FIRM_SYSTEM).indicator_ids
    codes = [f"{k:06d}" for k in rng.choice(999_999, size=firms, replace=False)]
    effect = rng.normal(0.0, 0.5, size=(firms, len(ids)))
    rows = []
    for t, year in enumerate(years):
        values = np.exp(1.0 + effect + 0.05 * t + rng.normal(0.0, 0.3, size=effect.shape))
        frame = pd.DataFrame(values, columns=ids)
        frame.insert(0, "firm", codes)
        frame.insert(1, "year", year)
        frame.insert(2, "industry", [f"C{13 + k % 5}" for k in range(firms)])
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="session")
def firm_frame() -> pd.DataFrame:
    return firm_panel()


@pytest.fixture
def firm_config(tmp_path: Path, firm_frame: pd.DataFrame) -> Callable[..., Any]:
    """``make(method=…, data=…, frame=…, suffix=…)``: a config over the firm panel written
    beside it (CSV or Parquet), read back as a config object."""

    def make(frame: pd.DataFrame | None = None, suffix: str = ".parquet", **sections: Any):
        data = frame if frame is not None else firm_frame
        path = tmp_path / f"firms{suffix}"
        if suffix == ".csv":
            data.to_csv(path, index=False)
        else:
            data.to_parquet(path)
        cfg = {
            "title": "企业面板（示例数据）",
            "data": {"path": path.name, "entity": "firm", "period": "year", "keep": ["industry"]},
            "system": FIRM_SYSTEM,
            "output": {"dir": "out", "formats": ["csv"]},
        }
        for key, value in sections.items():
            cfg[key] = {**cfg.get(key, {}), **value} if isinstance(value, dict) else value
        text = yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False)
        (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
        return load_index_config(tmp_path / "config.yaml")

    return make


@pytest.fixture(scope="session")
def example_config():
    return load_index_config(EXAMPLE)


def _sorted(frame: pd.DataFrame, entity: str, period: str) -> pd.DataFrame:
    out = frame.copy()
    out[entity] = out[entity].astype(str)
    return out.sort_values([period, entity], ignore_index=True)


def assert_same_numbers(local: Any, engine: Any, tol: float = 1e-9) -> None:
    """Weights, index, ranks, sub-indices, coupling and obstacles of ``engine`` (an
    EngineRun) equal those of ``local`` (an IndexRun) to ``tol``; labels exactly."""
    ent, per = local.config.data.entity, local.config.data.period
    lw, ew = local.tables["weights"], engine.tables["weights"]
    assert list(lw["id"]) == list(ew["id"])
    for col in ("weight", "weight_in_dimension"):
        np.testing.assert_allclose(ew[col], lw[col], rtol=0, atol=tol)
    np.testing.assert_allclose(
        engine.tables["dimension_weights"]["weight"],
        local.tables["dimension_weights"]["weight"],
        rtol=0,
        atol=tol,
    )
    units = _sorted(engine.units(), ent, per)
    expected = {"index": local.tables["index"]}
    if "coupling" in local.tables:
        expected["coupling"] = local.tables["coupling"]
    expected["obstacles_top"] = local.tables["obstacles_top"]
    renamed = local.tables["obstacles_dimension"].rename(
        columns=lambda c: (
            c if c in (ent, per) or c in local.config.data.keep else f"obstacle_in_{c}"
        )
    )
    expected["obstacles_dimension"] = renamed
    checked = 0
    for name, table in expected.items():
        table = _sorted(table, ent, per)
        assert len(table) == len(units), name
        assert (table[ent].to_numpy() == units[ent].to_numpy()).all()
        for col in table.columns:
            if col in (ent, per):
                continue
            got, want = units[col], table[col]
            if want.dtype.kind in "fi":
                np.testing.assert_allclose(got, want, rtol=0, atol=tol, err_msg=f"{name}.{col}")
            else:
                assert (got.astype(str).to_numpy() == want.astype(str).to_numpy()).all(), col
            checked += 1
    assert checked >= 10
    ls, es = local.tables["period_summary"], engine.tables["period_summary"]
    np.testing.assert_allclose(
        es[["mean", "std", "min", "max"]], ls[["mean", "std", "min", "max"]], atol=tol
    )
