"""The DuckDB engine's settings: ``duckdb.memory_limit`` / ``duckdb.threads`` in the YAML
and ``--duckdb-memory-limit`` on the command line, checked before anything is read."""

from __future__ import annotations

import duckdb
import pytest

from nqpf.engines import run as engine_run
from nqpf.engines import sessions
from nqpf.exceptions import ConfigError
from nqpf.services.index_config import DuckDBSection
from nqpf.services.index_run import run_index


@pytest.mark.parametrize(
    "text, size",
    [
        ("768MB", 768_000_000),
        ("2GiB", 2 * 1024**3),
        (" 1.5 gb ", 1_500_000_000),
        ("512kib", 512 * 1024),
        ("768", None),  # DuckDB refuses a size without a unit
        ("80%", None),
        ("-1GB", None),  # DuckDB reads a negative size as no cap at all
        ("lots", None),
        ("5PB", None),
    ],
)
def test_memory_sizes(text, size):
    assert sessions.memory_bytes(text) == size


def test_the_config_default_is_the_engine_default():
    assert DuckDBSection().memory_limit == sessions.DEFAULT_DUCKDB_MEMORY
    assert sessions.duckdb_conf() == sessions.DUCKDB_CONF
    assert sessions.duckdb_conf("2GiB", 1) == {**sessions.DUCKDB_CONF, "memory_limit": "2GiB",
                                               "threads": 1}  # fmt: skip


def test_the_run_opens_duckdb_with_the_configured_cap(firm_config, monkeypatch):
    opened: list[dict] = []
    real = duckdb.connect

    def spy(*args, **kwargs):
        opened.append(dict(kwargs.get("config") or {}))
        return real(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", spy)
    cfg = firm_config(duckdb={"memory_limit": "300MiB", "threads": 1})
    run = run_index(cfg, engine="duckdb")
    assert opened[0] == {**sessions.DUCKDB_CONF, "memory_limit": "300MiB", "threads": 1}
    assert len(run.units()) == 240  # 40 firms × 6 years
    assert "duckdb:\n  memory_limit: 300MiB\n  threads: 1" in run.config_text()


@pytest.mark.parametrize("limit", ["768", "0MB", "lots"])
def test_a_bad_memory_limit_is_refused_before_reading(firm_config, monkeypatch, limit):
    monkeypatch.setattr(sessions, "scan", lambda *a, **k: pytest.fail("read before the check"))
    cfg = firm_config(duckdb={"memory_limit": limit})
    with pytest.raises(ConfigError) as info:
        run_index(cfg, engine="duckdb")
    err = info.value
    assert err.field == "duckdb.memory_limit"
    assert f"duckdb.memory_limit: {limit!r} is not a memory size" in err.reason
    assert "768MB" in err.reason and "不是内存大小" in err.reason_zh


def test_threads_below_one_named_with_its_key(firm_config):
    with pytest.raises(Exception, match=r"duckdb\.threads"):
        firm_config(duckdb={"threads": 0})


def test_cli_option_overrides_and_is_checked(invoke, firm_config, tmp_path):
    firm_config(duckdb={"memory_limit": "2GiB"})
    out = tmp_path / "out"
    args = ["index", "run", tmp_path / "config.yaml", "--engine", "duckdb", "--out", out]
    res = invoke([*args, "--duckdb-memory-limit", "0MB"])
    assert res.code == 2
    assert "duckdb.memory_limit: '0MB' is not a memory size" in res.stdout + res.stderr
    assert not out.exists()
    res = invoke([*args, "--duckdb-memory-limit", "256MiB"])
    assert res.code == 0, res.stdout + res.stderr
    assert "memory_limit: 256MiB" in (out / "config.used.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("cap", [None, "600MB"])  # the default 768MB, a configured cap
def test_out_of_memory_names_the_cap_and_the_fix(firm_config, monkeypatch, cap):
    class OutOfMemoryException(Exception):  # stands in for duckdb's, matched by name
        pass

    def exhausted(*args, **kwargs):
        raise OutOfMemoryException("Out of Memory Error: failed to allocate 256.0 KiB")

    monkeypatch.setattr(engine_run, "_run_on_engine", exhausted)
    config = firm_config(duckdb={"memory_limit": cap}) if cap else firm_config()
    with pytest.raises(ConfigError) as info:
        run_index(config, engine="duckdb")
    err, shown = info.value, cap or "768MB"
    assert err.field == "engine"
    assert f"{shown} memory cap" in err.reason and "--engine spark" in err.reason
    assert "duckdb.memory_limit" in err.reason and shown in err.reason_zh
    assert "内存上限" in err.reason_zh
