"""``index run`` on DuckDB or Spark: the small results on the driver, the rest on disk.

The run reads the panel lazily, validates it with engine counts, fits weights, extremes
and ideals from engine reductions, and has the engine write every unit-period's index,
rank, sub-indices, coupling and obstacles as Parquet partitioned by period into a
staging folder.  :func:`nqpf.services.files.write_run` then moves that folder into the
output folder with the small tables, whole or not at all.
"""

from __future__ import annotations

import platform
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import narwhals as nw
import numpy as np
import pandas as pd

import nqpf
from nqpf.engines import pipeline as P
from nqpf.engines.sessions import (
    DEFAULT_DUCKDB_MEMORY,
    DEFAULT_MASTER,
    duckdb_conf,
    scan,
    scan_dataset,
    spark_session,
    write_partitioned,
)
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.indices.coupling import coordination_classes, coupling_stages
from nqpf.indices.weights import WeightResult, combine_weights
from nqpf.io.quality import period_year
from nqpf.services import _run_steps as steps
from nqpf.services.files import InputFile, OutputFile, config_path
from nqpf.services.progress import ProgressCallback, reporter

#: The per-unit dataset of an engine run (a folder of Parquet files, one per period).
UNITS = "units"
#: Small tables of an engine run beside the per-unit dataset.
ENGINE_TABLES = {
    "weights": "指标权重",
    "dimension_weights": "维度权重",
    "period_summary": "各年份描述统计",
    "data_quality": "数据质量计数",
    "metadata": "运行信息",
}


@dataclass
class EngineRun:
    """An ``index run`` computed on DuckDB or Spark: small tables in memory, the per-unit
    results as a Parquet dataset written by the engine.

    Attributes
    ----------
    weights : WeightResult
    tables : dict of str to DataFrame
        ``weights``, ``dimension_weights``, ``period_summary``, ``data_quality``,
        ``metadata``.
    units_path : Path
        The per-unit dataset (``<period>=<value>/*.parquet``): staged until
        :func:`~nqpf.services.files.write_run` moves it into the output folder.
    """

    config: Any
    system: Any
    engine: str
    weights: WeightResult
    tables: dict[str, pd.DataFrame]
    meta: dict[str, str]
    staged: Path
    inputs: dict[str, Any] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    quality: Any = None

    workbook: ClassVar[str] = "nqpf_index.xlsx"
    command: ClassVar[str] = "index run"
    known_tables: ClassVar = ENGINE_TABLES
    #: Per-unit charts and tables of the HTML report need every row on the driver.
    report_html: ClassVar[None] = None

    def __post_init__(self) -> None:
        # A run that is never written leaves no staging folder behind.
        weakref.finalize(self, shutil.rmtree, self.staged.parent, True)

    @property
    def output_tables(self) -> dict[str, pd.DataFrame]:
        return self.tables

    @property
    def units_path(self) -> Path:
        published = [p for p in self.written if p.name == UNITS]
        return published[0] if published else self.staged

    @property
    def output_folders(self) -> list[OutputFile]:
        """The per-unit dataset as an output folder: moved in, not copied, when published."""
        return [OutputFile(UNITS, lambda target: shutil.move(self.staged, target), folder=True)]

    def config_text(self, output_dir: Path | None = None, formats=None, report=None) -> str:
        from nqpf.services.index_config import dump_config

        return dump_config(self.config, output_dir=output_dir, formats=formats, report=report)

    def units(self) -> pd.DataFrame:
        """The per-unit results as one pandas table (for small panels and tests)."""
        frame = pd.read_parquet(self.units_path)
        period = self.config.data.period
        frame[period] = frame[period].astype(np.int64)
        return frame.sort_values([period, self.config.data.entity], ignore_index=True)


def _bound(value: Any, key: str) -> Any:
    if value is None or isinstance(value, int):
        return value
    year = period_year(value)
    if year is None:
        raise ConfigError(f"period bound {value!r} is not a year", field=key)
    return year


def _duckdb_conf(cfg: Any) -> dict[str, Any]:
    """The DuckDB connection settings of the config's ``duckdb`` section."""
    section = cfg.duckdb
    if section is None:
        return duckdb_conf()
    return duckdb_conf(section.memory_limit, section.threads)


def _source(cfg: Any, data: Any, engine: str, master: str, layout: P.Layout) -> tuple[Any, str]:
    """The panel as a lazy frame of the engine, and its name for messages."""
    if data is None:
        path = config_path(cfg, cfg.data.path, field="data.path")
        if not path.is_file():
            raise DataValidationError("file not found", file=str(path))
        text = [layout.entity, *layout.keep]
        frame = scan(engine, path, text=text, master=master, conf=_duckdb_conf(cfg))
        return frame, str(path)
    if isinstance(data, InputFile | bytes | bytearray):
        raise ConfigError(
            f"engine {engine} reads the data where they lie (data.path, or a lazy frame of "
            "the engine); it does not take a file's bytes — use engine local for uploads",
            field="engine",
            zh=f"计算引擎 {engine} 直接读取 data.path（或该引擎的惰性数据框），不接受上传的文件内容",
        )
    return nw.from_native(data), "the data frame"


def _inputs(cfg: Any, data: Any) -> dict[str, Any]:
    """Name, size and modification time of the data file: a checksum would read every
    byte on the driver, which an engine run exists to avoid."""
    if data is not None:
        return {}
    path = cfg.resolve(cfg.data.path)
    stat = path.stat()
    when = datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"data": {"name": str(path), "bytes": stat.st_size, "modified": when}}


def run_on_engine(
    cfg: Any,
    system: Any,
    data: Any = None,
    *,
    progress: ProgressCallback | None = None,
) -> EngineRun:
    """Compute ``cfg`` on its engine (``cfg.engine``: duckdb or spark); see module doc."""
    try:
        return _run_on_engine(cfg, system, data, progress=progress)
    except Exception as exc:
        if type(exc).__name__ != "OutOfMemoryException":  # duckdb's, without importing it
            raise
        cap = cfg.duckdb.memory_limit if cfg.duckdb is not None else DEFAULT_DUCKDB_MEMORY
        raise ConfigError(
            f"the duckdb engine ran out of its {cap} memory cap ({str(exc).splitlines()[0]}); "
            "raise duckdb.memory_limit (--duckdb-memory-limit) if the machine has the memory, "
            "write the Parquet file in smaller row groups (e.g. 100,000 rows each), "
            "or run with --engine spark",
            field="engine",
            zh=f"DuckDB 引擎超出其 {cap} 内存上限；内存充足时可调高 duckdb.memory_limit"
            "（--duckdb-memory-limit），或把 Parquet 文件按较小的行组（例如每组 10 万行）"
            "重新写出，或改用 --engine spark",
        ) from None


def _run_on_engine(
    cfg: Any,
    system: Any,
    data: Any = None,
    *,
    progress: ProgressCallback | None = None,
) -> EngineRun:
    say = reporter(progress)
    engine = cfg.engine
    master = cfg.spark.master if cfg.spark is not None else DEFAULT_MASTER
    d, m = cfg.data, cfg.method
    ids = tuple(system.indicator_ids)
    layout = P.Layout(
        d.entity, d.period, tuple(d.keep), ids, tuple(int(s) for s in system.directions)
    )
    say("load", 0, 2, f"计算引擎 {engine}")
    if engine == "spark":
        spark_session(master, cfg.spark.driver_memory if cfg.spark is not None else None)
    raw, source = _source(cfg, data, engine, master, layout)
    frame = P.typed(raw, layout, source)
    if cfg.periods is not None:
        frame = P.in_periods(
            frame,
            d.period,
            _bound(cfg.periods.start, "periods"),
            _bound(cfg.periods.end, "periods"),
        )
    quality, frame = _validate(cfg, frame, layout, source)
    say("load", 2, 2, f"面板: {quality.units} 个单位 × {quality.periods} 期（{quality.rows:,} 行）")

    fit = frame
    if cfg.fit_periods is not None:
        fp = cfg.fit_periods
        fit = P.in_periods(
            frame, d.period, _bound(fp.start, "fit_periods"), _bound(fp.end, "fit_periods")
        )
    nrm = m.normalization
    extremes = P.pooled_extremes(fit, layout) if nrm.extremes == "pooled" else None
    if nrm.constant == "error":
        P.refuse_constant(
            P.constant_columns(frame if extremes is None else fit, layout, extremes), d.period
        )
    x01 = P.x01(layout, extremes)
    say("weights", 0, 1, "")
    weights = _weights(cfg, system, fit, layout, x01, extremes)
    say("weights", 1, 1, f"权重: {weights.method}")

    say("aggregate", 0, 1, "")
    staged = Path(tempfile.mkdtemp(prefix="nqpf-engine-")) / UNITS
    try:
        units = _units(cfg, system, frame, fit, layout, x01, weights)
        write_partitioned(units, staged, by=d.period)
        written = scan_dataset(engine, staged, master=master)
        summary = _checked_summary(cfg, written, layout)
    except BaseException:
        shutil.rmtree(staged.parent, ignore_errors=True)
        raise
    say("aggregate", 1, 1, f"综合指数: {weights.method} + {m.aggregation}")

    from nqpf.services.index_run import weight_tables

    tables = weight_tables(system, weights)
    tables["period_summary"] = summary
    tables["data_quality"] = quality.table
    meta = _metadata(cfg, system, quality, weights, engine, master)
    tables["metadata"] = steps.metadata_frame(meta)
    return EngineRun(cfg, system, engine, weights, tables, meta, staged, _inputs(cfg, data))


@dataclass(frozen=True)
class Quality:
    """The engine's data-quality counts: the panel's size and one row per check."""

    rows: int
    units: int
    periods: int
    table: pd.DataFrame


def _validate(cfg: Any, frame: Any, layout: P.Layout, source: str) -> tuple[Quality, Any]:
    """Counts of missing and infinite cells, repeated unit-periods and short units; the
    config's policies applied (error stops naming the first row; fill fills)."""
    prof = P.profile(frame, layout)
    if prof.rows == 0:
        raise DataValidationError("no rows (after the periods selection)", file=source)
    for c in layout.ids:
        bad = nw.col(c).is_null() | nw.col(c).is_nan()
        if prof.missing[c] and cfg.data.missing == "error":
            raise DataValidationError(
                f"{prof.missing[c]} missing value(s), the first at {P.first_where(frame, layout, bad)}; "
                "set data.missing: fill with data.fill_value, or complete the data",
                file=source,
                column=c,
                zh=f"有 {prof.missing[c]} 个缺失值：请设 data.missing: fill（并给出 data.fill_value），或补全数据",
            )
        if prof.infinite[c]:
            inf = ~nw.col(c).is_finite() & ~nw.col(c).is_nan()
            raise DataValidationError(
                f"{prof.infinite[c]} infinite value(s), the first at {P.first_where(frame, layout, inf)}",
                file=source,
                column=c,
                zh=f"有 {prof.infinite[c]} 个无穷大值",
            )
    if cfg.data.missing == "fill" and any(prof.missing.values()):
        frame = P.filled(frame, layout.ids, float(cfg.data.fill_value))
    units, dupes, short = P.unit_counts(frame, layout, prof.periods)
    if dupes:
        raise DataValidationError(
            f"{dupes} row(s) repeat a unit-period, the first {P.first_repeat(frame, layout)}; "
            "keep one row per unit and period",
            file=source,
            zh=f"有 {dupes} 行重复了已有的单位-期间：每个单位每期只能有一行",
        )
    if short and cfg.quality.unbalanced == "error":
        raise DataValidationError(
            f"unbalanced panel: {short} unit(s) lack some of the {prof.periods} periods; set "
            "quality.unbalanced: warn to go on",
            file=source,
            zh=f"非平衡面板：{short} 个单位缺少部分期间",
        )
    table = pd.DataFrame(
        {
            "check": ["rows", "units", "periods", "repeated unit-periods", "units lacking periods"]
            + [f"missing: {c}" for c in layout.ids],
            "count": [prof.rows, units, prof.periods, dupes, short]
            + [prof.missing[c] for c in layout.ids],
        }
    )
    table.loc[len(table)] = ["outliers (median ± k·MAD)", None]
    table["action"] = ""
    table.loc[table.index[-1], "action"] = "not checked on this engine (--engine local checks)"
    if cfg.data.missing == "fill":
        table.loc[table["check"].str.startswith("missing: "), "action"] = (
            f"filled with {cfg.data.fill_value}"
        )
    if short:
        table.loc[table["check"] == "units lacking periods", "action"] = "warn"
    return Quality(prof.rows, units, prof.periods, table), frame


def _weights(cfg, system, fit, layout, x01, extremes) -> WeightResult:
    """Weights: objective ones from engine sums, subjective ones as the local engine fits
    them (they do not depend on the data), combined on the driver."""
    from nqpf.services.index_run import _estimator

    m, nrm = cfg.method, cfg.method.normalization
    ids = layout.ids

    def objective(kind: str) -> WeightResult:
        if kind == "cv":
            return P.cv_weights(fit, layout)
        xs = {c: P.shifted(x01[c], nrm.shift, nrm.rescale) for c in ids}
        res = P.entropy_weights(fit, ids, xs, constant_ok=nrm.constant == "zero")
        if extremes is not None:
            res.details.update(lo=extremes.lo, hi=extremes.hi)
        return res

    def data_free(weighting: str) -> WeightResult:
        est = _estimator(cfg, system, weighting=weighting)
        rng = np.random.default_rng(0)
        X = rng.uniform(1.0, 2.0, size=(4, len(ids)))
        return est.fit(X, np.zeros(4, dtype=int), indicators=list(ids)).weights_

    if m.weighting in ("entropy", "cv"):
        return objective(m.weighting)
    if m.weighting != "combined":
        return data_free(m.weighting)
    combine = m.combine.model_dump() if m.combine else {}
    wo = objective(combine.pop("objective", "entropy"))
    ws = data_free("ahp" if m.ahp is not None else "given")
    res = combine_weights(ws, wo, **combine)
    details = {"subjective": ws.weights, "objective": wo.weights, **res.details}
    return WeightResult(res.weights, res.method, ids, details)


def _units(cfg, system, frame, fit, layout, x01, weights: WeightResult) -> Any:
    """The lazy per-unit frame: ids, index, rank, sub-indices, coupling, obstacles."""
    m, nrm = cfg.method, cfg.method.normalization
    ids, per = layout.ids, layout.period
    w = dict(zip(ids, weights.weights.tolist(), strict=True))
    cols = {c: f"__x{j}" for j, c in enumerate(ids)}
    frame = frame.with_columns(x01[c].alias(cols[c]) for c in ids)
    x = {c: nw.col(cols[c]) for c in ids}
    xs = {c: P.shifted(x[c], nrm.shift, nrm.rescale) for c in ids}
    best = worst = None
    if m.aggregation == "topsis" and m.ideal == "global":
        fitted = fit.with_columns(x01[c].alias(cols[c]) for c in ids)
        exprs = [x[c].max().alias(f"b{j}") for j, c in enumerate(ids)]
        exprs += [x[c].min().alias(f"w{j}") for j, c in enumerate(ids)]
        got = P.one_row(fitted, *exprs)
        best = {c: float(got[f"b{j}"]) for j, c in enumerate(ids)}
        worst = {c: float(got[f"w{j}"]) for j, c in enumerate(ids)}

    def score(members: list[str] | None) -> nw.Expr:
        sub = ids if members is None else members
        if m.aggregation == "weighted_sum":
            return P.weighted_sum(xs, sub, w)
        wg = w if members is None else {c: w[c] / sum(w[i] for i in sub) for c in sub}
        return P.topsis(x, wg, best, worst, per)

    levels = {lv: system.groups(lv) for lv in ("dimension", "sub_dimension")}
    levels = {lv: g for lv, g in levels.items() if g}
    names: dict[str, nw.Expr] = {"index": score(None) * m.scale}
    for groups in levels.values():
        for g, members in groups.items():
            names.setdefault(g, score(list(members)) * m.scale)
    frame = frame.with_columns(e.alias(n) for n, e in names.items())
    frame = frame.with_columns(P.rank_within("index", per).alias("rank"))
    out = [layout.entity, per, *layout.keep, "index", "rank", *[n for n in names if n != "index"]]

    dims = levels.get("dimension", {})
    wants = cfg.coupling is not None or system.subsystems
    if wants and len(system.dimension_names) >= 2:
        c = cfg.coupling
        method, closed = (c.method, c.closed) if c is not None else ("standard", "right")
        U = []
        for g, members in dims.items():
            u = nw.col(g) / m.scale
            if m.aggregation == "weighted_sum":
                u = u / sum(w[i] for i in members)
            U.append(u.clip(0.0, 1.0).alias(f"U_{g}"))
        frame = frame.with_columns(U)
        Ucols = [nw.col(f"U_{g}") for g in dims]
        alpha = (
            [c.weights[g] for g in dims]
            if c is not None and c.weights
            else [1 / len(dims)] * len(dims)
        )
        alpha = np.asarray(alpha, dtype=float) / np.sum(alpha)
        C, T = P.coupling(Ucols, alpha.tolist(), method)
        frame = frame.with_columns(C.alias("C"), T.alias("T"))
        frame = frame.with_columns((nw.col("C") * nw.col("T")).sqrt().alias("D"))
        frame = frame.with_columns(
            P.classes(nw.col("D"), coordination_classes(), closed).alias("coordination"),
            P.classes(nw.col("C"), coupling_stages(), closed).alias("coupling_stage"),
        )
        out += [f"U_{g}" for g in dims] + ["C", "T", "D", "coordination", "coupling_stage"]

    pos = {c: j for j, c in enumerate(ids)}
    groups = {g: [pos[i] for i in members] for g, members in dims.items()}
    frame = P.obstacle_degrees(frame, x, ids, weights.weights, groups)
    info = system.to_frame()
    label = dict(zip(info["id"], info["name"], strict=True))
    labels = [f"{label.get(i, i)} ({i})" for i in ids]
    k = max(0, min(int(cfg.obstacle.top_k), len(ids)))
    frame = P.top_obstacles(frame, [f"__o{j}" for j in range(len(ids))], labels, k)
    for r in range(1, k + 1):
        out += [f"obstacle_{r}", f"degree_{r}"]
    out += [f"obstacle_in_{g}" for g in groups]
    return frame.select(out)


def _checked_summary(cfg, written, layout) -> pd.DataFrame:
    """Per-period mean, std, min and max of the index, from the written dataset in one
    query; refuses a TOPSIS 0/0 (NaN index) and, under ``coupling.zero: error``, a
    subsystem score of 0, naming the first such row."""
    U = [c for c in written.collect_schema() if c.startswith("U_")]
    nan = nw.col("index").is_null() | nw.col("index").is_nan()
    zero = nw.any_horizontal(*(nw.col(u) == 0 for u in U), ignore_nulls=True) if U else None
    if cfg.coupling is not None and cfg.coupling.zero != "error":
        zero = None
    per, idx = layout.period, nw.col("index")
    counts = [nan.cast(nw.Int64).sum().alias("__nan")]
    if zero is not None:
        counts.append(zero.cast(nw.Int64).sum().alias("__zero"))
    summary = (
        written.group_by(per)
        .agg(
            idx.mean().alias("mean"),
            idx.std(ddof=1).alias("std"),
            idx.min().alias("min"),
            idx.max().alias("max"),
            *counts,
        )
        .sort(per)
        .collect()
        .to_pandas()
    )
    if summary["__nan"].sum():
        raise DataValidationError(
            f"TOPSIS is undefined for {P.first_where(written, layout, nan)}: it is at both the "
            "ideal and the anti-ideal (all rows identical in every weighted indicator)",
            zh="TOPSIS 无定义：该行同时位于正、负理想解",
        )
    if zero is not None and summary["__zero"].sum():
        raise ConfigError(
            f"a subsystem scores 0 for {P.first_where(written, layout, zero)} "
            f"({int(summary['__zero'].sum())} unit-period(s) in all), so the coupling degree C "
            "is undefined; set coupling.zero: zero to give such rows C = 0, or use a method "
            "whose scores stay above 0 (weighted_sum with a shift)",
            field="coupling.zero",
        )
    summary[per] = summary[per].astype(np.int64)
    return summary.drop(columns=[c for c in summary if c.startswith("__")])


def _metadata(cfg, system, quality: Quality, weights, engine: str, master: str) -> dict[str, str]:
    from nqpf.services.index_run import _describe_normalisation

    if engine == "duckdb":
        how = f"duckdb {version('duckdb')}"
    else:
        how = f"spark {version('pyspark')} ({master})"
    meta = {
        "标题 title": cfg.title,
        "数据 data": str(cfg.data.path),
        "计算引擎 engine": how,
        "单位数 units": str(quality.units),
        "期数 periods": str(quality.periods),
        "行数 rows": str(quality.rows),
        "指标体系 system": f"{system.name} ({system.id} v{system.version})",
        "体系来源 source": system.source,
        "体系可信度 confidence": f"{system.confidence}; verified={system.verified}",
        "方法 method": f"{weights.method} + {cfg.method.aggregation}",
        "标准化 normalisation": _describe_normalisation(cfg),
        "缺失值 missing": cfg.data.missing,
        "逐单位结果 per-unit results": f"{UNITS}/ (Parquet, partitioned by {cfg.data.period})",
        "nqpf": nqpf.__version__,
        "Python": platform.python_version(),
        "运行时间 run at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    return steps.with_status(cfg, meta)
