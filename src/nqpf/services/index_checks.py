"""Checks of an ``index run`` config against the indicator system and the data's shape,
made before anything is computed.

Every message names the YAML key a user can write (``method.weighting_options.scope``,
``method.ahp.dimensions``, ``output.formats``) and what to write instead; none names a
Python argument.  :func:`check_method` needs only the config and the system (so it runs
before the data are read); :func:`check_shape` runs on the loaded panel, before the
weights are fitted.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.panel import Panel

__all__ = ["EXCEL_MAX_ROWS", "check_engine", "check_method", "check_shape", "config_terms"]

#: Data rows an Excel sheet holds (1,048,576 rows less the header).
EXCEL_MAX_ROWS = 1_048_575
#: Arguments of the weight functions that the config sets elsewhere (the normalisation
#: section, the system), so they are not weighting options.
_SET_ELSEWHERE = {
    "X",
    "directions",
    "periods",
    "names",
    "normalized",
    "shift",
    "rescale",
    "extremes",
    "constant",
}


def _weight_function(weighting: str):
    from nqpf.indices import weights

    return {
        "entropy": weights.entropy_weights,
        "critic": weights.critic_weights,
        "cv": weights.cv_weights,
        "std": getattr(weights, "std_weights", None),
        "variance": getattr(weights, "variance_weights", None),
    }.get(weighting)


def weighting_options(weighting: str) -> list[str]:
    """The ``method.weighting_options`` keys of an objective weighting (from its function)."""
    fn = _weight_function(weighting)
    if fn is None:
        return []
    params = inspect.signature(fn).parameters.values()
    return [p.name for p in params if p.default is not p.empty and p.name not in _SET_ELSEWHERE]


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_method(cfg: Any, system: Any) -> None:
    """The method section against its own rules and the indicator system.

    Raises
    ------
    ConfigError
        An option that does not apply to the weighting, an unknown option, a matrix or
        weight list that does not fit the system, subjective weights missing, or a
        combination of keys that cannot run — naming the key and what to write.
    """
    m = cfg.method
    ids = list(system.indicator_ids)
    objective = m.weighting
    if m.weighting == "combined":
        objective = m.combine.objective if m.combine is not None else "entropy"
    allowed = weighting_options(objective)
    for key in m.weighting_options:
        if key in allowed:
            continue
        where = f"method.weighting_options.{key}"
        if not allowed:
            raise ConfigError(
                f"weighting: {m.weighting} takes no weighting_options; remove {where}",
                field=where,
                zh=f"权重方法 {m.weighting} 没有 weighting_options：请删除 {where}",
            )
        own = ", ".join(allowed)
        if key in _SET_ELSEWHERE:
            hint = "; the normalisation is set under method.normalization"
        else:
            hint = _did_you_mean(key, allowed)
        what = "weighting" if m.weighting != "combined" else "combine.objective"
        raise ConfigError(
            f"{key!r} is not an option of {what}: {objective}{hint}; its options are {own}",
            field=where,
            zh=f"{key!r} 不是 {what}: {objective} 的选项；可用选项：{own}",
        )
    scope = m.weighting_options.get("scope")
    if scope == "per_period" and m.aggregation != "weighted_sum":
        raise ConfigError(
            "scope: per_period gives one weight vector per period, which only "
            f"method.aggregation: weighted_sum can use (not {m.aggregation})",
            field="method.weighting_options.scope",
            zh="scope: per_period 按期给出权重，只能用于 method.aggregation: weighted_sum",
        )
    _check_subjective(m, system, ids)
    if cfg.obstacle.top_k > len(ids):
        raise ConfigError(
            f"obstacle.top_k is {cfg.obstacle.top_k} but the system has {len(ids)} indicators",
            field="obstacle.top_k",
            zh=f"obstacle.top_k 为 {cfg.obstacle.top_k}，但指标体系只有 {len(ids)} 个指标",
        )
    c = cfg.coupling
    dims = list(system.dimension_names)
    if c is not None and len(dims) < 2:
        raise ConfigError(
            f"coupling needs at least 2 top-level dimensions; system {system.id!r} has {len(dims)}",
            field="coupling",
            zh=f"耦合协调度至少需要 2 个一级维度；指标体系 {system.id!r} 只有 {len(dims)} 个",
        )
    if c is not None and c.weights is not None:
        unknown = [g for g in c.weights if g not in dims]
        missing = [g for g in dims if g not in c.weights]
        if unknown or missing:
            bad = unknown[0] if unknown else None
            hint = _did_you_mean(bad, dims) if bad else ""
            raise ConfigError(
                f"coupling.weights must name each subsystem {dims} once; "
                + (f"unknown {unknown}{hint}" if unknown else f"missing {missing}"),
                field="coupling.weights",
                zh=f"coupling.weights 须为每个子系统 {dims} 各给一个权重",
            )
    _dry_fit(cfg, system)


def _check_subjective(m: Any, system: Any, ids: list[str]) -> None:
    """Given weights and AHP matrices: present where needed, fitting the system."""
    needs_weights = m.weighting == "given" or (m.weighting == "combined" and m.ahp is None)
    if needs_weights and m.weights is None:
        raise ConfigError(
            f"weighting: {m.weighting} needs method.weights (indicator: weight)"
            + (" or method.ahp" if m.weighting == "combined" else ""),
            field="method.weights",
            zh=f"权重方法 {m.weighting} 需要 method.weights（指标: 权重）",
        )
    if m.weighting == "ahp" and m.ahp is None:
        raise ConfigError(
            "weighting: ahp needs method.ahp, a pairwise comparison matrix",
            field="method.ahp",
            zh="权重方法 ahp 需要 method.ahp（两两比较判断矩阵）",
        )
    uses_given = m.weighting == "given" or (m.weighting == "combined" and m.ahp is None)
    if m.weights is not None and uses_given:
        unknown = [k for k in m.weights if k not in ids]
        if unknown:
            raise ConfigError(
                f"method.weights names unknown indicator(s) {unknown}"
                f"{_did_you_mean(unknown[0], ids)}",
                field="method.weights",
                zh=f"method.weights 中有未知指标 {unknown}",
            )
        missing = [k for k in ids if k not in m.weights]
        if missing:
            raise ConfigError(
                f"method.weights lacks indicator(s) {missing}; give every indicator of the "
                "system a weight",
                field="method.weights",
                zh=f"method.weights 缺少指标 {missing}",
            )
        values = np.array([m.weights[k] for k in ids], dtype=float)
        if (values < 0).any() or not np.isfinite(values).all():
            raise ConfigError(
                "method.weights must be non-negative numbers",
                field="method.weights",
                zh="method.weights 须为非负数",
            )
        total = float(values.sum())
        if abs(total - 1.0) > 1e-6:
            raise ConfigError(
                f"method.weights sum to {total:.10g}, expected 1; rescale them so that they sum to 1",
                field="method.weights",
                zh=f"method.weights 之和为 {total:.10g}，应为 1：请按比例调整使其和为 1",
            )
    if m.ahp is not None and m.weighting in ("ahp", "combined"):
        _check_ahp(m, system, ids)


def _shape(matrix: Any) -> tuple[int, ...]:
    try:
        return np.asarray(matrix, dtype=float).shape
    except (TypeError, ValueError):
        return ()


def _check_ahp(m: Any, system: Any, ids: list[str]) -> None:
    from nqpf.indices.weights import ahp_weights

    def check(matrix: Any, names: list[str], key: str, what: str, extra: str = "") -> None:
        n = len(names)
        shape = _shape(matrix)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ConfigError(
                f"{key} must be a square matrix (a list of {n} rows of {n} numbers), "
                f"got shape {shape}",
                field=key,
                zh=f"{key} 须为方阵（{n} 行，每行 {n} 个数）",
            )
        if shape[0] != n:
            listed = f"{', '.join(names[:6])}{' …' if n > 6 else ''}"
            raise ConfigError(
                f"{key} is a {shape[0]}×{shape[0]} matrix but there are {n} {what} ({listed}); "
                f"give a {n}×{n} matrix in that order{extra}",
                field=key,
                zh=f"{key} 是 {shape[0]}×{shape[0]} 矩阵，但有 {n} 个{what}：请按此顺序给出 {n}×{n} 矩阵",
            )
        try:
            res = ahp_weights(matrix, method=m.ahp_method, max_cr=None, names=names, field=key)
        except DataValidationError as exc:
            raise ConfigError(exc.reason, field=key, zh=exc.reason_zh) from None
        cr = res.details["CR"]
        if cr > 0.1:
            raise ConfigError(
                f"the judgements are too inconsistent: consistency ratio CR = {cr:.4f} exceeds "
                "0.1 (Saaty); revise them",
                field=key,
                zh=f"判断矩阵一致性不足：一致性比率 CR = {cr:.4f} 超过 0.1，请修改判断",
            )

    if not isinstance(m.ahp, dict):
        dims = system.groups("dimension")
        extra = ""
        if _shape(m.ahp)[:1] == (len(dims),) and len(dims) != len(ids):
            extra = (
                f", or a hierarchy: the {len(dims)}×{len(dims)} matrix over the dimensions "
                "under method.ahp.dimensions and one matrix per dimension over its indicators"
            )
        check(m.ahp, ids, "method.ahp", "indicators in the system", extra)
        return
    dims = {g: list(v) for g, v in system.groups("dimension").items()}
    known = ["dimensions", *dims]
    for key in m.ahp:
        if key not in known:
            raise ConfigError(
                f"method.ahp has no place for {key!r}{_did_you_mean(key, known)}; its keys are "
                f"dimensions and the dimension names {list(dims)}",
                field=f"method.ahp.{key}",
                zh=f"method.ahp 中的 {key!r} 不是 dimensions 或维度名称 {list(dims)}",
            )
    if "dimensions" not in m.ahp:
        raise ConfigError(
            "a hierarchical method.ahp needs dimensions: the matrix over the dimensions "
            f"{list(dims)}",
            field="method.ahp.dimensions",
            zh="分层 AHP 需要 method.ahp.dimensions（维度间判断矩阵）",
        )
    check(m.ahp["dimensions"], list(dims), "method.ahp.dimensions", "dimensions")
    for g, members in dims.items():
        if len(members) == 1:
            continue
        if g not in m.ahp:
            raise ConfigError(
                f"method.ahp lacks the matrix of dimension {g!r} over its {len(members)} "
                "indicators",
                field=f"method.ahp.{g}",
                zh=f"method.ahp 缺少维度 {g!r} 的判断矩阵（{len(members)} 个指标）",
            )
        check(m.ahp[g], members, f"method.ahp.{g}", f"indicators in dimension {g!r}")


def _dry_fit(cfg: Any, system: Any) -> None:
    """Fit the method once on a small made-up matrix, so a combination of keys that cannot
    run stops here, before the data are read, as a config error."""
    from nqpf.services.index_run import _estimator

    m = len(system.indicator_ids)
    rng = np.random.default_rng(0)
    X = rng.uniform(1.0, 2.0, size=(2 * (m + 2), m))
    periods = np.repeat([0, 1], m + 2)
    est = _estimator(cfg, system)
    try:
        est.fit(X, periods, indicators=list(system.indicator_ids))
    except DataValidationError as exc:
        field = exc.field or ""
        objective = cfg.method.combine.objective if cfg.method.combine else cfg.method.weighting
        if field in cfg.method.weighting_options or field in weighting_options(objective):
            field = f"method.weighting_options.{field}"
        elif field.split(".")[0] in ("ahp", "weights", "weighting_options", "combine"):
            field = f"method.{field}"
        raise ConfigError(config_terms(exc.reason), field=field or "method") from None
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise ConfigError(
            f"the method's keys cannot run together: {config_terms(str(exc))}", field="method"
        ) from None


#: Python argument hints of the core, as a YAML user writes them.
_HINTS = {
    "; pass normalize=True to rescale": "; rescale them so that they sum to 1",
    " or pass max_cr=None to accept them": "",
    "; drop it or pass constant='zero'": (
        "; leave it out of the system, or set method.normalization.constant: zero"
    ),
    "pass constant='zero'": "set method.normalization.constant: zero",
    "aggregation='weighted_sum'": "method.aggregation: weighted_sum",
}


def config_terms(text: str) -> str:
    """A core message with its Python argument hints put in config keys.

    >>> config_terms("weights sum to 0.9, expected 1 (±1e-06); pass normalize=True to rescale")
    'weights sum to 0.9, expected 1 (±1e-06); rescale them so that they sum to 1'
    """
    for python, config in _HINTS.items():
        text = text.replace(python, config)
    # "scope='yearly' is not one of 'pooled', 'per_period'" → "scope: yearly is not one of …"
    text = re.sub(r"\b(\w+)='([^']*)' is not one of", r"\1: \2 is not one of", text)
    return text


def check_shape(cfg: Any, panel: Panel, formats: Sequence[str] | None = None) -> None:
    """The config against the loaded panel: constant indicators the normalisation cannot
    scale, and the output formats against the tables' size."""
    n = cfg.method.normalization
    if n.constant == "error":
        X = panel.values
        if n.extremes == "per_period":
            starts = np.searchsorted(panel.period_index, np.arange(panel.n_periods + 1))
            blocks = [
                (panel.period_labels[t], slice(starts[t], starts[t + 1]))
                for t in range(panel.n_periods)
            ]
        else:
            blocks = [(None, slice(0, X.shape[0]))]
        for label, rows in blocks:
            part = X[rows]
            same = np.flatnonzero(part.max(axis=0) == part.min(axis=0))
            if same.size:
                j = int(same[0])
                name = panel.indicators[j]
                when = f" in {panel.period_col} {label}" if label is not None else ""
                raise ConfigError(
                    f"indicator {name!r} takes one value ({part[0, j]:g}) in every row{when}, so "
                    "min-max normalisation cannot scale it (zero range); set "
                    "method.normalization.constant: zero to score it 0, or leave it out of the "
                    "system",
                    field="method.normalization.constant",
                    zh=f"指标 {name!r} 取值恒为 {part[0, j]:g}{when}，无法极差标准化：请设 "
                    "method.normalization.constant: zero（记为 0），或从指标体系中删除",
                )
    formats = cfg.output.formats if formats is None else formats
    if "xlsx" in formats and panel.n_obs > EXCEL_MAX_ROWS:
        raise ConfigError(
            f"the index table will have {panel.n_obs:,} rows, more than an Excel sheet holds "
            f"({EXCEL_MAX_ROWS:,}); leave xlsx out of output.formats (csv and parquet have no "
            "limit)",
            field="output.formats",
            zh=f"结果表将有 {panel.n_obs:,} 行，超过 Excel 工作表上限（{EXCEL_MAX_ROWS:,} 行）："
            "请从 output.formats 中去掉 xlsx",
        )


#: Bytes the local engine holds per cell of the data file at its peak (the table as read,
#: the panel's float64 matrix, the normalised matrix, the output columns): measured 1.7 GB
#: for 1e6 rows × 22 columns (benchmarks/bench_index_run.py), i.e. ~77 bytes a cell.
LOCAL_BYTES_PER_CELL = 80


def check_engine(cfg: Any, data: Any = None) -> None:
    """The config's engine against this machine, before anything is read.

    An engine that cannot run here (unknown, its extra or Java missing, the Spark master
    unreachable), an option it does not run or a ``duckdb.memory_limit`` that is not a
    size stops the run naming the fix; on the local engine, a data file whose numbers alone would not fit in the memory available stops
    it naming ``--engine duckdb``.
    """
    from nqpf.engines import check_engine as engine_ready
    from nqpf.engines import check_supported

    master = cfg.spark.master if cfg.spark is not None else None
    engine_ready(cfg.engine, master=master)
    if cfg.duckdb is not None:
        _check_duckdb_memory(cfg.duckdb.memory_limit)
    if cfg.engine != "local":
        check_supported(cfg, cfg.engine)
    elif data is None and cfg.base_dir is not None:
        _check_fits_memory(cfg.resolve(cfg.data.path))


def _check_duckdb_memory(limit: str) -> None:
    """Refuse a ``duckdb.memory_limit`` DuckDB would not read as a size, or one of zero
    (DuckDB reads ``768`` without a unit as an error, and a negative one as no cap)."""
    from nqpf.engines.sessions import MEMORY_UNITS, memory_bytes

    size = memory_bytes(limit)
    if size is None or size <= 0:
        units = "/".join(MEMORY_UNITS)
        raise ConfigError(
            f"duckdb.memory_limit: {limit!r} is not a memory size; expected a positive number "
            f"and a unit ({units}), e.g. 768MB (the default) or 2GiB",
            field="duckdb.memory_limit",
            zh=f"duckdb.memory_limit: {limit!r} 不是内存大小：应为正数加单位（{units}），"
            "例如 768MB（默认）或 2GiB",
        )


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _check_fits_memory(path: Any) -> None:
    """Refuse a file the local engine cannot hold (cells from Parquet metadata, or the CSV's
    size as a lower bound of its cells' bytes)."""
    if not path.is_file():
        return  # the read names the missing file
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path)
        need = meta.num_rows * meta.num_columns * LOCAL_BYTES_PER_CELL
    else:
        need = path.stat().st_size * LOCAL_BYTES_PER_CELL // 8
    available = _available_memory()
    if available is not None and need > available:
        raise ConfigError(
            f"the data need about {need / 2**30:.1f} GB of memory on engine local, more than "
            f"the {available / 2**30:.1f} GB available; run with --engine duckdb (files larger "
            "than memory on one machine) or --engine spark (a cluster)",
            field="engine",
            zh=f"数据在 local 引擎上约需 {need / 2**30:.1f} GB 内存，超过可用的 "
            f"{available / 2**30:.1f} GB：请使用 --engine duckdb（单机大文件）或 --engine spark（集群）",
        )
