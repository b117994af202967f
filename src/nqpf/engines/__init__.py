"""The index pipeline on DuckDB and Apache Spark: one config, the local engine's numbers.

``engine: duckdb`` runs files larger than memory on one machine; ``engine: spark`` runs
on a Spark cluster (or Spark's local mode).  The row-wise steps are lazy narwhals
expressions (:mod:`nqpf.engines.pipeline`); the engine-native code narwhals lacks
(sessions, scans with typed keys, partitioned Parquet) is in :mod:`nqpf.engines.sessions`;
:mod:`nqpf.engines.support` says which config options the engines run;
:mod:`nqpf.engines.disparity` computes inequality measures from engine aggregates.
See docs/engines.md.
"""

from nqpf.engines.sessions import ENGINES, check_engine
from nqpf.engines.support import SUPPORTED, check_supported

__all__ = ["ENGINES", "SUPPORTED", "EngineRun", "check_engine", "check_supported", "run_on_engine"]


def __getattr__(name: str):
    # The run pulls in the services; import it only when an engine run is asked for.
    if name in ("EngineRun", "run_on_engine"):
        from nqpf.engines import run

        return getattr(run, name)
    raise AttributeError(name)
