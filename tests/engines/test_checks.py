"""An engine that cannot run, an option it does not run, bad data: a message naming the
fix, a non-zero exit, nothing written; an engine run's outputs are whole or absent."""

from __future__ import annotations

import tempfile

import pytest

from nqpf.engines import sessions
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.services import index_checks
from nqpf.services.files import read_manifest
from nqpf.services.index_run import run_index


@pytest.fixture
def spark_ready(monkeypatch):
    """pyspark and Java present, whatever this machine has."""
    monkeypatch.setattr(sessions.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(sessions, "java_binary", lambda: "/usr/bin/java")


def test_unknown_engine_cli(invoke, firm_config, tmp_path):
    firm_config()
    out = tmp_path / "out"
    res = invoke(["index", "run", tmp_path / "config.yaml", "--engine", "polars", "--out", out])
    assert res.code == 2
    assert "unknown engine 'polars'" in res.stdout + res.stderr
    assert not out.exists()


def test_missing_extra_names_the_install(monkeypatch):
    real = sessions.importlib.util.find_spec
    monkeypatch.setattr(
        sessions.importlib.util, "find_spec", lambda n: None if n == "pyspark" else real(n)
    )
    with pytest.raises(ConfigError, match=r"pip install 'nqpf\[spark\]'"):
        sessions.check_engine("spark")
    sessions.check_engine("duckdb")  # its own extra is installed here


def test_java_missing_names_the_package(spark_ready, monkeypatch):
    monkeypatch.setattr(sessions, "java_binary", lambda: None)
    with pytest.raises(ConfigError, match="apt-get install openjdk-17-jre-headless") as exc:
        sessions.check_engine("spark")
    assert "Java 17" in exc.value.reason_zh


def test_unreachable_master(spark_ready):
    with pytest.raises(ConfigError, match="unreachable") as exc:
        sessions.check_engine("spark", master="spark://127.0.0.1:9")
    assert exc.value.field == "spark.master"
    with pytest.raises(ConfigError, match="is not local"):
        sessions.check_engine("spark", master="mesos://somewhere")
    sessions.check_engine("spark", master="local[4]")  # needs no network


def test_cli_spark_master_checked_before_output(invoke, firm_config, tmp_path, spark_ready):
    firm_config()
    out = tmp_path / "out"
    argv = ["index", "run", tmp_path / "config.yaml", "--engine", "spark", "--out", out]
    res = invoke([*argv, "--spark-master", "spark://127.0.0.1:9"])
    assert res.code == 2
    assert "unreachable" in res.stdout + res.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"method": {"aggregation": "grey"}}, "method.aggregation"),
        ({"method": {"weighting": "critic"}}, "method.weighting"),
        (
            {"method": {"weighting_options": {"scope": "per_period"}}},
            "method.weighting_options.scope",
        ),
        ({"data": {"missing": "interpolate"}}, "data.missing"),
        ({"quality": {"outliers": "error"}}, "quality.outliers"),
    ],
)
def test_unsupported_option_refused(firm_config, section, key):
    cfg = firm_config(**section)
    with pytest.raises(ConfigError, match="--engine local") as exc:
        run_index(cfg, engine="duckdb")
    assert exc.value.field == key


def test_local_refuses_data_larger_than_memory(firm_config, monkeypatch):
    cfg = firm_config()
    monkeypatch.setattr(index_checks, "_available_memory", lambda: 10_000)
    with pytest.raises(ConfigError, match="--engine duckdb"):
        run_index(cfg)
    run_index(cfg, engine="duckdb")  # the engine that reads where the data lie runs


def test_missing_value_names_unit_period_and_column(firm_config, firm_frame):
    frame = firm_frame.copy()
    frame.loc[45, "fibre_density"] = None
    cfg = firm_config(frame)
    with pytest.raises(DataValidationError, match="1 missing value") as exc:
        run_index(cfg, engine="duckdb")
    assert exc.value.column == "fibre_density"
    assert f"firm {frame.loc[45, 'firm']}, year {frame.loc[45, 'year']}" in exc.value.reason


def test_repeated_unit_period_and_text_column(firm_config, firm_frame):
    import pandas as pd

    repeated = pd.concat([firm_frame, firm_frame.iloc[[7]]], ignore_index=True)
    with pytest.raises(DataValidationError, match="1 row\\(s\\) repeat a unit-period"):
        run_index(firm_config(repeated), engine="duckdb")
    text = firm_frame.copy()
    text["fibre_density"] = text["fibre_density"].map(lambda v: f"{v:,.2f}%")
    with pytest.raises(DataValidationError, match="not numbers") as exc:
        run_index(firm_config(text, suffix=".csv"), engine="duckdb")
    assert exc.value.column == "fibre_density"


def test_outputs_whole_or_absent(
    invoke, firm_config, firm_frame, tmp_path, folder_snapshot, monkeypatch
):
    firm_config()
    config, out = tmp_path / "config.yaml", tmp_path / "out"
    staging = tmp_path / "tmp"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))  # where the engine stages
    argv = ["index", "run", config, "--engine", "duckdb", "--out", out, "-q"]
    assert invoke(argv).code == 0
    assert invoke(argv).code == 0  # the folder the first run wrote is its own: replaced
    manifest = read_manifest(out)  # every file, those of units/ too, against its checksum
    units = next(e for e in manifest["files"] if e["name"] == "units")
    assert len(units["files"]) == 6  # one Parquet file per year
    assert {p.name for p in (out / "units").iterdir()} == {f"year={y}" for y in range(2018, 2024)}
    first = folder_snapshot(out)
    # A firm at the minimum of every 数字经济 indicator scores U = 0 without a shift: the
    # run fails after the engine wrote its dataset (coupling.zero: error).
    from nqpf.systems import load_system

    broken = firm_frame.copy()
    digital = load_system("digital-real-coupling").groups("dimension")["数字经济"]
    broken.loc[3, list(digital)] = 0.001
    firm_config(broken, method={"normalization": {"shift": 0}})
    res = invoke(argv)
    assert res.code == 2
    assert "coupling.zero" in res.stdout + res.stderr
    assert folder_snapshot(out) == first
    assert list(staging.iterdir()) == []  # the staged dataset went with the failed run
