"""Spark (local mode) gives the local engine's numbers on a firm panel with TOPSIS and
coupling.  One JVM for the whole test session (the fixture starts it; the runs reuse it);
skipped, saying why, where Java or pyspark is absent.  The demo config and the other
options go through the same narwhals pipeline on DuckDB (test_same_numbers.py): one Spark run
covers what is Spark's own (its session and scan) within the suite's time."""

from __future__ import annotations

import pytest
from tests.engines.conftest import assert_same_numbers

from nqpf.engines.sessions import java_binary
from nqpf.services.index_run import run_index

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark", reason="pyspark not installed: pip install 'nqpf[spark]'")
    if java_binary() is None:
        pytest.skip("Java not found: apt-get install openjdk-17-jre-headless (.ci/run does)")
    from nqpf.engines.sessions import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def test_spark_equals_local(spark, firm_config):
    cfg = firm_config(method={"aggregation": "topsis"})
    local = run_index(cfg)
    engine = run_index(cfg, engine="spark")
    assert engine.engine == "spark"
    assert_same_numbers(local, engine)
