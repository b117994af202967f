"""What each engine needs before it computes, and the engine-native code narwhals lacks.

The checks run before anything is read or computed: a missing extra, a missing Java, an
unreachable Spark master each stop the run with a message naming the fix.  The rest is
the engine-native code the pipeline cannot express through narwhals: opening a session,
scanning a file lazily with typed key columns, and writing a lazy frame as Parquet
partitioned by period (narwhals writes no partitioned datasets).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import narwhals as nw

from nqpf.exceptions import ConfigError

#: The engines an index run can use; ``local`` is the in-memory numpy pipeline.
ENGINES = ("local", "duckdb", "spark")
#: Spark master of a run that names none: local mode on this machine, two worker threads.
DEFAULT_MASTER = "local[2]"
#: Driver settings of a Spark session this code starts (small: the driver only receives
#: weights, ideals and per-period summaries; per-unit results are written by the executors).
SPARK_CONF = {
    "spark.driver.memory": "1g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionOverwriteMode": "static",
}
#: DuckDB's memory cap of a run that names none (``duckdb.memory_limit``): measured on
#: 1e7 rows × 30 indicators in row groups of 1e6 rows (benchmarks/bench_engines.py), a
#: 600 MB cap peaked at 0.99 GiB for the whole process and 540 MB ran out of memory, so
#: 768 MB leaves a margin; files with DuckDB's usual 122,880-row groups need less.
DEFAULT_DUCKDB_MEMORY = "768MB"
#: Settings of the DuckDB connection a run opens: a memory cap it spills beyond (to a
#: temporary folder), and no row order kept that the outputs do not need (order costs
#: memory when writing).
DUCKDB_CONF = {"memory_limit": DEFAULT_DUCKDB_MEMORY, "preserve_insertion_order": False}
#: Units DuckDB reads in a memory setting: powers of 1000 and of 1024.
MEMORY_UNITS = {
    **{u: 1000**i for i, u in enumerate(("KB", "MB", "GB", "TB"), start=1)},
    **{u: 1024**i for i, u in enumerate(("KiB", "MiB", "GiB", "TiB"), start=1)},
}
_UNIT_BYTES = {unit.upper(): size for unit, size in MEMORY_UNITS.items()}
_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*")
_EXTRAS = {"duckdb": "duckdb", "spark": "pyspark"}


def memory_bytes(text: str) -> int | None:
    """Bytes of a DuckDB memory setting such as ``768MB`` or ``2GiB`` (a number, then one
    of :data:`MEMORY_UNITS`, any case); None when ``text`` is not one."""
    match = _MEMORY.fullmatch(str(text))
    if match is None or match.group(2).upper() not in _UNIT_BYTES:
        return None
    return int(float(match.group(1)) * _UNIT_BYTES[match.group(2).upper()])


def duckdb_conf(memory_limit: str | None = None, threads: int | None = None) -> dict[str, Any]:
    """:data:`DUCKDB_CONF` with a run's memory cap and thread count (None: the defaults,
    768 MB and one thread per core)."""
    conf: dict[str, Any] = dict(DUCKDB_CONF)
    if memory_limit is not None:
        conf["memory_limit"] = memory_limit
    if threads is not None:
        conf["threads"] = threads
    return conf


def check_engine(engine: str, *, master: str | None = None) -> None:
    """Refuse an engine that cannot run here, naming the fix.

    Raises
    ------
    ConfigError
        An unknown engine, its Python package missing (``pip install 'nqpf[spark]'``),
        Java missing for Spark (``apt-get install openjdk-17-jre-headless``), or a
        Spark master that does not answer.
    """
    if engine not in ENGINES:
        raise ConfigError(
            f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}",
            field="engine",
            zh=f"未知的计算引擎 {engine!r}：应为 {'、'.join(ENGINES)} 之一",
        )
    if engine == "local":
        return
    package = _EXTRAS[engine]
    if importlib.util.find_spec(package) is None:
        raise ConfigError(
            f"engine {engine} needs the Python package {package}, which is not installed; "
            f"install it with: pip install 'nqpf[{engine}]'",
            field="engine",
            zh=f"计算引擎 {engine} 需要 Python 包 {package}（未安装）：请运行 pip install 'nqpf[{engine}]'",
        )
    if engine == "spark":
        if java_binary() is None:
            raise ConfigError(
                "engine spark needs Java 17, which was not found (no java on PATH or in "
                "JAVA_HOME); install it with: apt-get install openjdk-17-jre-headless",
                field="engine",
                zh="计算引擎 spark 需要 Java 17（未找到 java）：请运行 apt-get install "
                "openjdk-17-jre-headless，或设置 JAVA_HOME",
            )
        check_master(master or DEFAULT_MASTER)


def java_binary() -> str | None:
    """The ``java`` Spark will start: ``$JAVA_HOME/bin/java``, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def check_master(master: str, *, timeout: float = 3.0) -> None:
    """Refuse a Spark master URL whose host does not accept a connection.

    ``local``/``local[n]`` needs no network; ``yarn`` is found through the Hadoop
    configuration, which only Spark reads, so it is left to Spark.  ``spark://host:port``
    (standalone) and ``k8s://https://host:port`` are tried with a TCP connection.
    """
    if master.startswith("local") or master == "yarn":
        return
    url = master[len("k8s://") :] if master.startswith("k8s://") else master
    parsed = urlparse(url)
    if parsed.scheme not in ("spark", "https", "http") or not parsed.hostname:
        raise ConfigError(
            f"spark master {master!r} is not local[n], yarn, spark://host:port or "
            "k8s://https://host:port",
            field="spark.master",
            zh=f"Spark master {master!r} 格式不对：应为 local[n]、yarn、spark://主机:端口 或 "
            "k8s://https://主机:端口",
        )
    port = parsed.port or {"spark": 7077, "https": 443, "http": 80}[parsed.scheme]
    try:
        socket.create_connection((parsed.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(
            f"spark master {master!r} is unreachable ({exc.strerror or exc}); check the "
            "cluster's address, or run on this machine with --spark-master 'local[2]' or "
            "--engine duckdb",
            field="spark.master",
            zh=f"无法连接 Spark master {master!r}：请检查集群地址，或改用 --spark-master "
            "'local[2]'（本机）或 --engine duckdb",
        ) from None


def spark_session(master: str = DEFAULT_MASTER, driver_memory: str | None = None) -> Any:
    """The Spark session of this process (started on ``master`` once, then reused).

    Started with :data:`SPARK_CONF` (``driver_memory`` overrides its 1 GB; no UI); a
    session that is already running (one a notebook or a test fixture started) is reused
    as it is, so one process starts one JVM.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.master(master).appName("nqpf")
    conf = {**SPARK_CONF, **({"spark.driver.memory": driver_memory} if driver_memory else {})}
    if master.startswith("local"):
        # Spark's 200 shuffle partitions suit a cluster; on one machine they are 200 tiny
        # tasks per aggregation.
        conf["spark.sql.shuffle.partitions"] = "4"
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def scan(
    engine: str,
    path: Path,
    *,
    text: Sequence[str],
    master: str | None = None,
    conf: Mapping[str, Any] | None = None,
) -> Any:
    """A lazy narwhals frame over a CSV or Parquet file, ``text`` columns read as text.

    Key columns (entity codes such as ``000001``) must keep their leading zeros, so they
    are typed before any value is read; the engine infers the other columns.  ``conf``
    configures the DuckDB connection (default :data:`DUCKDB_CONF`; see :func:`duckdb_conf`).
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise ConfigError(
            f"engine {engine} reads CSV or Parquet files, not {suffix or 'files without a suffix'}; "
            "convert the file (e.g. save the sheet as CSV) or use --engine local",
            field="data.path",
            zh=f"计算引擎 {engine} 只读取 CSV 或 Parquet 文件：请转换文件格式，或使用 --engine local",
        )
    csv = suffix == ".csv"
    if engine == "duckdb":
        import duckdb

        con = duckdb.connect(config=dict(DUCKDB_CONF if conf is None else conf))
        if csv:
            types = dict.fromkeys(text, "VARCHAR")
            rel = con.read_csv(str(path), header=True, dtype=types or None)
        else:
            rel = con.read_parquet(str(path))
        return nw.from_native(rel)
    session = spark_session(master or DEFAULT_MASTER)
    if not csv:
        return nw.from_native(session.read.parquet(str(path)))
    reader = session.read.options(header=True, encoding="UTF-8")
    frame = reader.options(inferSchema=True).csv(str(path))
    if text:
        from pyspark.sql.types import StringType, StructField, StructType

        # The inferred schema with the key columns as text, applied on a second read.
        fields = [
            StructField(f.name, StringType(), True) if f.name in text else f
            for f in frame.schema.fields
        ]
        frame = reader.schema(StructType(fields)).csv(str(path))
    return nw.from_native(frame)


def scan_dataset(engine: str, folder: Path, *, master: str | None = None) -> Any:
    """A lazy narwhals frame over a dataset :func:`write_partitioned` wrote."""
    if engine == "duckdb":
        import duckdb

        glob = str(folder / "**" / "*.parquet")
        return nw.from_native(duckdb.connect().read_parquet(glob, hive_partitioning=True))
    return nw.from_native(spark_session(master or DEFAULT_MASTER).read.parquet(str(folder)))


def write_partitioned(frame: nw.LazyFrame, folder: Path, *, by: str) -> None:
    """Write ``frame`` as Parquet files under ``folder``, one sub-folder per value of ``by``.

    The engine writes its own partitions (Hive layout ``by=value/…parquet``), so per-unit
    results never pass through this process.
    """
    native = frame.to_native()
    if frame.implementation.is_duckdb():
        native.write_parquet(str(folder), partition_by=[by])
        return
    native.write.partitionBy(by).mode("errorifexists").parquet(str(folder))
