"""Use case "run this index config": a config and a panel in, an :class:`IndexRun` out.

The run takes its panel as bytes or a dataframe and returns the results, the output
tables, the rendered HTML report and the effective config, so the CLI (files) and the
web (uploads, background jobs) call the same code; only :mod:`nqpf.services.files`
touches paths (:func:`load_index_config` reads a config file, ``write_run`` writes the
outputs atomically once everything is computed).
"""

from __future__ import annotations

import platform
import re
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

import nqpf
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.indices import CompositeIndex, CompositeResult, CouplingResult, coupling_coordination
from nqpf.panel import Panel
from nqpf.services import _run_steps as steps
from nqpf.services import index_checks as checks
from nqpf.services.files import InputFile, config_path, load_config
from nqpf.services.index_config import (
    CouplingSection,
    IndexConfig,
    dump_config,
    parse_index_config,
)
from nqpf.services.index_output import TABLE_TITLES, build_report
from nqpf.services.progress import ProgressCallback, reporter
from nqpf.systems import load_system
from nqpf.systems.schema import IndicatorSystem

__all__ = [
    "IndexRun",
    "check_data",
    "dump_config",
    "load_index_config",
    "parse_index_config",
    "run_index",
]


@dataclass
class IndexRun:
    """Everything one run produced, before it is written anywhere.

    Attributes
    ----------
    tables : dict of str to DataFrame
        The output tables, keyed by sheet / file name.
    report_html : str
        The HTML report, rendered on first use.
    written : list of Path
        The files :func:`~nqpf.services.files.write_run` wrote, if it was called.
    """

    config: IndexConfig
    system: IndicatorSystem
    panel: Panel
    result: CompositeResult
    coupling: CouplingResult | None
    coupling_scores: pd.DataFrame | None
    tables: dict[str, pd.DataFrame]
    meta: dict[str, str]
    written: list[Path] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    quality: Any = None

    workbook: ClassVar[str] = "nqpf_index.xlsx"
    command: ClassVar[str] = "index run"
    known_tables: ClassVar = TABLE_TITLES

    @property
    def output_tables(self) -> dict[str, pd.DataFrame]:
        return self.tables

    @cached_property
    def report_html(self) -> str:
        return build_report(self)

    def config_text(self, output_dir: Path | None = None, formats=None, report=None) -> str:
        """The effective config as YAML (see :func:`dump_config`)."""
        return dump_config(self.config, output_dir=output_dir, formats=formats, report=report)


def load_index_config(path: str | Path) -> IndexConfig:
    """Read and validate a run configuration file (errors name the key and line)."""
    return load_config(path, parse_index_config)


@contextmanager
def _rows_as_units(panel: Panel, source: str | None):
    """Re-raise core errors about "row i" of a matrix as the panel's entity and period.

    The core only sees arrays; here the rows are known (period-major panel rows), so the
    user is told 天津 2020 in which file, not a position in a sorted matrix.  Errors about
    method keys (``ahp…``) get their config prefix.
    """
    try:
        yield
    except DataValidationError as exc:
        field = exc.field
        if field is not None and field.split(".")[0] in ("ahp", "weights", "weighting_options"):
            field = f"method.{field}"
        said = checks.config_terms(exc.reason)
        if exc.data_row is None or not 0 <= exc.data_row < panel.n_obs:
            if field == exc.field and said == exc.reason:
                raise
            raise type(exc)(said, file=exc.file, column=exc.column, field=field) from None
        i = exc.data_row
        unit = f"{panel.entity_col} {panel.entities[i]}, {panel.period_col} {panel.periods[i]}"
        reason = re.sub(rf"\brow {i}\b", unit, said)
        raise DataValidationError(
            reason if reason != said else f"{unit}: {reason}",
            file=source,
            column=exc.column,
            field=field,
        ) from None


def _estimator(cfg: IndexConfig, system: IndicatorSystem | None, **over) -> CompositeIndex:
    m, nrm = cfg.method, cfg.method.normalization
    params = dict(
        weighting=m.weighting,
        weighting_options=dict(m.weighting_options) or None,
        weights=m.weights,
        ahp=m.ahp,
        ahp_method=m.ahp_method,
        combine=m.combine.model_dump() if m.combine else None,
        aggregation=m.aggregation,
        system=system,
        shift=nrm.shift,
        rescale=nrm.rescale,
        extremes=nrm.extremes,
        constant=nrm.constant,
        ideal=m.ideal,
        rho=m.rho,
        scale=m.scale,
        top_k=cfg.obstacle.top_k,
    )
    params.update(over)
    return CompositeIndex(**params)


def _separable(cfg: IndexConfig) -> bool:
    """Whether refitting the method on a subsystem's indicators gives its share of the
    global fit: weights of one indicator that do not depend on the others (entropy, CV,
    equal) rescaled within the subsystem, the same extremes and ideals.  Subjective
    weights are rescaled anyway.  CRITIC's weights depend on the correlations with the
    other indicators, so it is refitted.
    """
    return cfg.method.weighting in ("entropy", "cv", "equal", "given", "ahp", "combined")


def _subsystem_scores(
    cfg: IndexConfig,
    system: IndicatorSystem,
    panel: Panel,
    fit_panel: Panel,
    result: CompositeResult,
    source: str | None,
) -> pd.DataFrame:
    """Score of each top-level dimension in [0, 1], the U_i of the coupling model.

    ``subsystem_scores: refit`` evaluates each subsystem on its own indicators with the
    same method.  Where the method's weights of one indicator do not depend on the other
    indicators (:func:`_separable`), that refit is the global fit restricted to the
    subsystem — weights rescaled to sum 1 within it, the same extremes and ideals — so
    it is computed from the global result instead of being fitted again (the same
    numbers to rounding, ~1e-16).
    """
    dims = system.groups("dimension")
    if cfg.coupling.subsystem_scores == "renormalize" or _separable(cfg):
        # column by column in place, into the one (n, k) matrix the coupling model reads
        # (the frame's columns are views of it); column-major, as a frame's to_numpy()
        # gave it (the model's matrix product rounds alike)
        sub = result.sub_indices["dimension"]
        U = np.empty((len(sub.columns), len(sub))).T
        out = {g: U[:, k] for k, g in enumerate(sub.columns)}
        for g, u in out.items():
            np.divide(sub[g].to_numpy(), cfg.method.scale, out=u)
        if cfg.method.aggregation == "weighted_sum":
            W = result.weights.weights
            col = {name: j for j, name in enumerate(result.indicators)}
            if W.ndim == 2:  # per-period weights: each row uses its own period's sums
                pos = {p: t for t, p in enumerate(result.weights.periods)}
                row_period = np.array([pos[p] for p in panel.period_labels])[panel.period_index]
            for g, ids in dims.items():
                w_sum = W[..., [col[i] for i in ids]].sum(axis=-1)
                out[g] /= w_sum[row_period] if W.ndim == 2 else w_sum
        np.clip(U, 0.0, 1.0, out=U)
        return pd.DataFrame(U, columns=list(sub.columns), copy=False)
    scores = {}
    for g, ids in dims.items():
        directions = [system.indicator(i).sign for i in ids]
        est = _estimator(cfg, None, directions=directions, scale=1.0, weights=None, ahp=None)
        if cfg.method.weighting in ("given", "ahp", "combined"):
            # Subjective weights are defined over the whole system; within a subsystem the
            # global weights are rescaled instead.
            w = dict(zip(result.indicators, result.weights.weights, strict=True))
            total = sum(w[i] for i in ids)
            est.weighting, est.weights = "given", {i: w[i] / total for i in ids}
        fit = fit_panel.select(ids)
        with _rows_as_units(fit_panel, source):
            est.fit(fit.values, fit.periods, indicators=ids)
        with _rows_as_units(panel, source):
            values = panel.select(ids).values
            scores[g] = est.transform(values, panel.periods, indicators=ids, matrices=False).index
    # U must lie in [0, 1]: the zero shift can lift a unit that is best on every indicator
    # to 1 + shift, and years beyond the base range (fit_periods) exceed 1.  Both saturate.
    return pd.DataFrame(scores).clip(0.0, 1.0)


def _without_values(panel: Panel, result: CompositeResult) -> tuple[Panel, CompositeResult]:
    """``panel`` without its indicator matrix (units, periods and ids kept), and
    ``result`` holding that panel instead (``run_index(keep_values=False)``)."""
    slim = panel.without_values()
    return slim, result if result.panel is None else replace(result, panel=slim)


def run_index(
    config: IndexConfig,
    data: InputFile | bytes | Any | None = None,
    *,
    system: IndicatorSystem | None = None,
    progress: ProgressCallback | None = None,
    formats: Sequence[str] | None = None,
    engine: str | None = None,
    spark_master: str | None = None,
    keep_values: bool = True,
) -> IndexRun | Any:
    """Compute the index, sub-indices, weights, ranks, coupling and obstacles of a config.

    Parameters
    ----------
    config
        The run configuration (:func:`parse_index_config`, :func:`load_index_config`).
    data
        The panel: an :class:`~nqpf.services.files.InputFile` (a file's name and bytes,
        e.g. an upload), bare bytes (read as the config's ``data.path`` names them) or a
        dataframe.  ``None`` reads ``data.path`` beside a config read from a file.
    system
        The indicator system; default the config's ``system``: a shipped id, or a YAML
        file beside a config read from a file.
    progress
        Called with a :class:`~nqpf.services.progress.Progress` event (stage, done,
        total, message) as the run goes: loading, weighting, aggregation, coupling,
        tables; ``str(event)`` is a line of text for people.
    formats
        The formats the outputs will be written in (default the config's
        ``output.formats``), checked against the data's size before computing.
    engine, spark_master
        Override the config's ``engine`` (``local``, ``duckdb``, ``spark``) and
        ``spark.master``; checked (the extra installed, Java, the master reachable, the
        options supported) before anything is read.
    keep_values
        Keep the input's indicator matrix in the returned run's ``panel`` (default).
        ``False`` gives its rows back as they are scored (after coupling where the
        subsystems are refitted), before the tables are built — for a caller that only
        writes the outputs (``nqpf index run``): the run's
        ``panel`` then keeps its units, periods and ids but no indicator columns, and
        the peak memory of a big run drops by the matrix's size.

    Returns
    -------
    IndexRun or nqpf.engines.EngineRun
        Results, output tables, the HTML report and the effective config; on duckdb or
        spark the small tables, with the per-unit results written by the engine
        (docs/engines.md).
    """
    say = reporter(progress)
    cfg = config.with_engine(engine, spark_master)
    checks.check_engine(cfg, data)
    say("load", 0, 2, "")
    if system is None:
        ref = cfg.system
        is_file = Path(ref).suffix in (".yaml", ".yml")
        system = load_system(config_path(cfg, ref, field="system") if is_file else ref)
    say("load", 1, 2, f"指标体系 {system.id} v{system.version}: {len(system.indicator_ids)} 个指标")
    checks.check_method(cfg, system)  # before reading the data
    if cfg.engine != "local":
        from nqpf.engines import run_on_engine

        return run_on_engine(cfg, system, data, progress=progress)

    data = steps.config_input(cfg, data, cfg.data.path, field="data.path")
    source = steps.label(data)
    # What the outputs say of the input; then its bytes are handed to the reader, which
    # lets them go once the table is read (a big file's copy).
    head, inputs = steps.metadata_head(cfg, data), steps.input_hashes(data)
    handover = steps.Handover(data)
    del data
    loaded = _load(cfg, system, handover)
    panel, quality = loaded.panel, loaded.quality
    fit_panel = steps.select_periods(panel, cfg.fit_periods, "fit_periods")
    checks.check_shape(cfg, fit_panel if cfg.fit_periods else panel, formats)
    if cfg.fit_periods:
        checks.check_shape(cfg, panel, formats)
    say("load", 2, 2, f"面板: {panel.n_entities} 个单位 × {panel.n_periods} 期")
    say("quality", 1, 1, _quality_line(quality))

    est = _estimator(cfg, system)
    say("weights", 0, 1, "")
    with _rows_as_units(fit_panel, source):
        est.fit(fit_panel)
    steps.release_freed_memory()  # the fit's working arrays, before the refit's
    quality = _weight_shift(cfg, system, loaded, est, quality)
    steps.release_freed_memory()  # and the refit's, before the results fill
    say("weights", 1, 1, f"权重: {est.weights_.method}")

    coupling = scores = None
    wants_coupling = cfg.coupling is not None or bool(system.subsystems)
    wants_coupling = wants_coupling and len(system.dimension_names) >= 2
    if wants_coupling and cfg.coupling is None:
        cfg = cfg.model_copy(update={"coupling": CouplingSection()})
    # Past scoring only the subsystems' refit reads the (n, m) input matrix: without it,
    # keep_values=False gives each chunk's rows back as they are scored and drops every
    # reference to the matrix (the loaded panels, the fit periods' selection, the
    # result's panel) before coupling, else right after it.
    refits = wants_coupling and not (
        cfg.coupling.subsystem_scores == "renormalize" or _separable(cfg)
    )
    say("aggregate", 0, 1, "")
    with _rows_as_units(panel, source):
        # Per-row results only: the (n, m) normalised and obstacle matrices are not kept.
        release = not keep_values and not refits
        result = est.transform(panel, matrices=False, release_input=release)
    steps.release_freed_memory()  # the chunks' working arrays
    say("aggregate", 1, 1, f"权重与综合指数: {result.method}")
    if not keep_values and not refits:
        panel, result = _without_values(panel, result)
        loaded = fit_panel = None
        steps.release_freed_memory()
    if wants_coupling:
        say("coupling", 0, 1, "")
        scores = _subsystem_scores(cfg, system, panel, fit_panel, result, source)
        coupling = _coupling(cfg.coupling, panel, scores, source)
        steps.release_freed_memory()  # the subsystems' scoring chunks
        say("coupling", 1, 1, f"耦合协调度: {len(scores.columns)} 个子系统 ({cfg.coupling.method})")
    if not keep_values and refits:
        panel, result = _without_values(panel, result)
        loaded = fit_panel = None
        steps.release_freed_memory()
    say("tables", 0, 1, "")
    meta = _metadata(cfg, system, panel, head, result)
    tables = build_tables(cfg, system, panel, result, coupling, scores, meta, lean=not keep_values)
    steps.release_freed_memory()
    say("tables", 1, 1, "")
    run = IndexRun(cfg, system, panel, result, coupling, scores, tables, meta)
    run.inputs = inputs
    run.quality = quality
    return run


def check_data(
    config: IndexConfig,
    data: InputFile | bytes | Any | None = None,
    *,
    system: IndicatorSystem | None = None,
) -> Any:
    """The data-quality report of a config's data, without computing the index.

    What a door shows before the user confirms an upload: every check of the run's load
    (:mod:`nqpf.io.quality`) and the checks of the config against the system and the
    data's shape, with the weights the outlier cells move.  Problems are findings with
    status ``"error"`` rather than exceptions (``report.raise_for_errors()`` raises the
    first), so the whole report can be shown at once.

    Returns
    -------
    nqpf.io.quality.QualityReport
    """
    from nqpf.io.quality import Finding

    cfg = config
    if system is None:
        ref = cfg.system
        is_file = Path(ref).suffix in (".yaml", ".yml")
        system = load_system(config_path(cfg, ref, field="system") if is_file else ref)
    data = steps.config_input(cfg, data, cfg.data.path, field="data.path")
    loaded = _load(cfg, system, data, strict=False)
    report = loaded.quality
    if loaded.panel is None:
        return report
    try:
        checks.check_method(cfg, system)
        checks.check_shape(cfg, loaded.panel)
        fit_panel = steps.select_periods(loaded.panel, cfg.fit_periods, "fit_periods")
        est = _estimator(cfg, system)
        with _rows_as_units(fit_panel, steps.label(data)):
            est.fit(fit_panel)
    except DataValidationError as exc:
        zh = exc.reason_zh
        return report.with_finding(Finding("config", "error", str(exc), zh, 1, exc))
    return _weight_shift(cfg, system, loaded, est, report)


#: Weightings whose weights follow from the data (outliers can move them).
DATA_WEIGHTINGS = ("entropy", "critic", "cv", "combined")


def _positive(cfg: IndexConfig, system: IndicatorSystem) -> dict[str, str]:
    """Indicators the config's method needs strictly positive, with the reason."""
    m = cfg.method
    if m.weighting == "cv":
        why = "weighting: cv needs positive values"
    elif m.weighting == "combined" and m.combine is not None and m.combine.objective == "cv":
        why = "combine.objective: cv needs positive values"
    else:
        return {}
    return dict.fromkeys(system.indicator_ids, why)


def _load(cfg: IndexConfig, system: IndicatorSystem, data: Any, *, strict: bool = True):
    d = cfg.data
    return steps.load_panel(
        data,
        d,
        indicators=system.indicator_ids,
        keep=tuple(d.keep),
        quality=cfg.quality,
        periods=cfg.periods,
        positive=_positive(cfg, system),
        strict=strict,
        layout=d.layout,
        indicator_col=d.indicator_col,
        value_col=d.value_col,
    )


def _quality_line(quality: Any) -> str:
    warnings = quality.warnings
    if not warnings:
        return "数据质量: 通过 (quality.html)"
    return f"数据质量: {len(warnings)} 项警告 warning(s) (quality.html)"


def _weight_shift(cfg, system, loaded, est: CompositeIndex, quality):
    """The weights the outlier cells moved: the same method fitted once more, on the fit
    periods with the outlier cells clipped to their fences (policy warn: in the loaded
    panel's own matrix, put back afterwards) or as read (policy fix, whose weights were
    fitted on the clipped cells); the report's outlier finding names the indicators
    whose weight moved most."""
    finding = quality.finding("outliers")
    if finding is None or finding.status not in ("warn", "fixed"):
        return quality
    if cfg.method.weighting not in DATA_WEIGHTINGS:
        return quality
    from nqpf.io.quality import Finding, QualityChecker

    if finding.status == "fixed":
        moved = _refit_weights(cfg, system, loaded.as_read)
    else:
        checker = loaded.checker or QualityChecker(quality.policy)
        with checker.clipped(loaded.panel) as clipped:
            moved = _refit_weights(cfg, system, clipped)
    if moved is None:
        return quality  # e.g. clipping made a column constant: no comparison to show
    used = est.weights_.weights
    if used.ndim == 2:
        used, moved = used.mean(axis=0), moved.mean(axis=0)
    names = list(est.weights_.names or system.indicator_ids)
    label = "without the outlier cells" if finding.status == "warn" else "with the cells as read"
    table = pd.DataFrame(
        {"indicator": names, "weight": used, f"weight {label}": moved, "change": used - moved}
    )
    order = np.argsort(-np.abs(used - moved), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    top = [
        f"{names[j]} {used[j]:.1%} ({moved[j]:.1%})"
        for j in order[:3]
        if abs(used[j] - moved[j]) >= 0.0005
    ]
    if top:
        if finding.status == "warn":
            tail = f"; weights with them (clipped to the fences): {', '.join(top)}"
            tail_zh = f"；含离群值的权重（截尾后的权重）：{'，'.join(top)}"
        else:
            tail = f"; weights with them clipped (as read): {', '.join(top)}"
            tail_zh = f"；截尾后的权重（原值的权重）：{'，'.join(top)}"
    else:
        tail = "; they move no weight by 0.05 percentage points or more"
        tail_zh = "；对权重的影响均小于 0.05 个百分点"
    new = Finding(
        "outliers", finding.status, finding.message + tail, finding.zh + tail_zh, finding.count
    )
    return quality.with_finding(new, weight_shift=table)


def _refit_weights(cfg, system, panel: Panel) -> np.ndarray | None:
    """The weights the config's method fits on the fit periods of ``panel`` (None where
    it cannot)."""
    alt = _estimator(cfg, system)
    try:
        alt.fit(steps.select_periods(panel, cfg.fit_periods, "fit_periods"))
    except DataValidationError:
        return None
    return alt.weights_.weights


def _coupling(
    c: CouplingSection, panel: Panel, scores: pd.DataFrame, source: str | None
) -> CouplingResult:
    """Coupling coordination of the subsystem scores U (units × subsystems)."""
    weights = None
    if c.weights is not None:
        missing = [g for g in scores.columns if g not in c.weights]
        if missing:
            raise ConfigError(
                f"coupling weights lack subsystem(s) {missing}", field="coupling.weights"
            )
        weights = [c.weights[g] for g in scores.columns]
    U = scores.to_numpy()  # the scores' own (n, k) matrix where they are one block
    zero_rows = np.flatnonzero((U == 0).any(axis=1))
    if c.zero == "error" and zero_rows.size:
        i = int(zero_rows[0])
        sub = scores.columns[int(np.argmax(U[i] == 0))]
        raise ConfigError(
            f"subsystem {sub!r} scores 0 for {panel.entity_col} {panel.entities[i]}, "
            f"{panel.period_col} {panel.periods[i]} ({zero_rows.size} unit-period(s) in all), "
            "so the coupling degree C is undefined; set coupling.zero: zero to give such "
            "rows C = 0, or use a method whose scores stay above 0 (weighted_sum with a shift)",
            field="coupling.zero",
        )
    names = list(scores.columns)
    model = dict(weights=weights, method=c.method, zero=c.zero, closed=c.closed, names=names)
    with _rows_as_units(panel, source):
        if zero_rows.size:  # the whole panel at once: the model warns once for all such rows
            return coupling_coordination(U, **model)
        # The model works row by row: in chunks of rows its working arrays (several
        # (n, k) copies of U and masks) stay small.
        n = len(U)
        whole = {"C": np.empty(n), "T": np.empty(n), "D": np.empty(n)}
        whole.update(D_class=np.empty(n, dtype=object), C_stage=np.empty(n, dtype=object))
        try:
            for a in range(0, n, COUPLING_ROWS):
                part = coupling_coordination(U[a : a + COUPLING_ROWS], **model)
                for name, column in whole.items():
                    column[a : a + COUPLING_ROWS] = getattr(part, name)
        except DataValidationError:
            coupling_coordination(U, **model)  # all rows at once: the error names its row
            raise
    return CouplingResult(**whole, method=part.method, subsystems=part.subsystems)


#: Rows of the coupling model computed at a time.
COUPLING_ROWS = 65_536


def _metadata(cfg, system, panel, head, result) -> dict[str, str]:
    meta = {
        **head,
        "单位数 units": str(panel.n_entities),
        "期数 periods": steps.period_span(panel),
        "指标体系 system": f"{system.name} ({system.id} v{system.version})",
        "体系来源 source": system.source,
        "体系可信度 confidence": f"{system.confidence}; verified={system.verified}",
        "方法 method": result.method,
        "标准化 normalisation": _describe_normalisation(cfg),
        "基期 fit periods": ", ".join(map(str, result.meta["fit_periods"])),
        "缺失值 missing": f"{cfg.data.missing}; filled cells: {len(panel.filled)}",
        "nqpf": nqpf.__version__,
        "Python": platform.python_version(),
        "运行时间 run at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    return steps.with_status(cfg, meta)


def _describe_normalisation(cfg: IndexConfig) -> str:
    n = cfg.method.normalization
    if n.rescale is not None:
        how = f"rescale to {n.rescale}"
    else:
        how = f"x' + {1e-4 if n.shift is None else n.shift:g}"
    return f"min-max, {how}, extremes {n.extremes}, constant columns: {n.constant}"


def _decode(codes: np.ndarray, labels: Any) -> Any:
    """``labels[codes]``; text labels as a pandas text column built without Python strings."""
    labels = np.asarray(labels, dtype=object) if isinstance(labels, list) else np.asarray(labels)
    if labels.dtype.kind == "U" or (
        labels.dtype == object and all(isinstance(v, str) for v in labels)
    ):
        import pyarrow as pa

        dictionary = pa.DictionaryArray.from_arrays(
            pa.array(np.asarray(codes, dtype=np.int32)), pa.array(list(labels), pa.string())
        )
        return dictionary.cast(pa.string()).to_pandas()
    return labels[codes]


def _unit_column(panel: Panel, lean: bool) -> Any:
    """Each row's unit label: text labels as a text column, or with ``lean`` as a
    categorical of the panel's codes (4 bytes a row, not the text's ~15)."""
    labels = panel.entity_labels
    if lean and labels.dtype == object and all(isinstance(v, str) for v in labels):
        return pd.Categorical.from_codes(panel.entity_index, categories=labels)
    return _decode(panel.entity_index, labels)


def _period_column(panel: Panel) -> Any:
    """Each row's period label: the panel's own array where it holds the labels as they
    are (numbers), else decoded from the codes."""
    periods, labels = panel.periods, panel.period_labels
    if periods.dtype.kind in "iu" and periods.dtype == labels.dtype:
        return periods
    return _decode(panel.period_index, labels)


def _wide(panel: Panel, values: np.ndarray, ent: str, per: str) -> pd.DataFrame:
    """Units × periods table of one value per row, as ``DataFrame.pivot`` lays it out:
    units in sorted order, one column per period (missing unit-periods empty).  Of a
    balanced panel whose every period lists all units in order, each column is a view
    of that period's rows (no grid of copies)."""
    E, T = panel.n_entities, panel.n_periods
    columns = pd.Index([ent, *panel.period_labels], name=per)
    if _units_in_order(panel):
        by_period = [values[t * E : (t + 1) * E] for t in range(T)]
        wide = pd.DataFrame(dict(enumerate([panel.entity_labels, *by_period])), copy=False)
        wide.columns = columns
        return wide
    shape = (E, T)
    grid = np.empty(shape, dtype=values.dtype) if panel.is_balanced else np.full(shape, np.nan)
    grid[panel.entity_index, panel.period_index] = values
    wide = pd.DataFrame(grid, columns=pd.Index(panel.period_labels, name=per))
    wide.insert(0, ent, panel.entity_labels)
    return wide


def _units_in_order(panel: Panel) -> bool:
    """Whether the rows of each period are every unit once, in the order of the unit
    labels (a balanced panel: its rows are sorted by period, then unit)."""
    if not panel.is_balanced or panel.n_obs != panel.n_entities * panel.n_periods:
        return False
    codes = panel.entity_index.reshape(panel.n_periods, panel.n_entities)
    return bool((codes == np.arange(panel.n_entities)).all())


def _joined(*parts: Any) -> pd.DataFrame:
    """The columns of ``parts`` (frames or mappings of columns, rows aligned) side by side,
    as ``pd.concat(axis=1)`` gives them but without copying the arrays."""
    columns: dict[str, Any] = {}
    for part in parts:
        items = part.items() if isinstance(part, pd.DataFrame | dict) else part
        for name, col in items:
            columns[name] = (
                col.to_numpy() if isinstance(col, pd.Series) and col.dtype.kind in "iufb" else col
            )
    return pd.DataFrame(columns, copy=False)


def _coupling_columns(coupling: CouplingResult) -> dict[str, Any]:
    """The columns of ``coupling.to_frame()`` without copies: C, T, D are the result's
    arrays and the two classes categories (1e6 rows of class names are ~40 MB as text;
    the writers write the text)."""
    return {
        "C": coupling.C,
        "T": coupling.T,
        "D": coupling.D,
        "coordination": _categories(coupling.D_class),
        "coupling_stage": _categories(coupling.C_stage),
    }


def _categories(labels: np.ndarray, rows: int = 65_536) -> pd.Categorical:
    """An object array of a few labels as a categorical, without the text column that
    ``pd.Categorical(labels)`` makes of it first (~20 MB per 1e6 rows), coded ``rows``
    at a time (not one int64 code per row: 8 MB per 1e6 rows)."""
    chunks = [labels[a : a + rows] for a in range(0, len(labels), rows)]
    # chunk by chunk: pandas sizes its hash table by the rows, not the labels
    found = {v for c in chunks for v in pd.unique(c) if pd.notna(v)}
    categories = pd.Index(sorted(found))
    codes = np.empty(len(labels), dtype=np.int8 if len(categories) < 128 else np.int32)
    for a, chunk in zip(range(0, len(labels), rows), chunks, strict=True):
        local, seen = pd.factorize(chunk)
        # a chunk's codes → the categories' (the missing code -1 stays -1)
        codes[a : a + rows] = np.append(categories.get_indexer(seen), -1)[local]
    return pd.Categorical.from_codes(codes, categories)


def weight_tables(system: IndicatorSystem, result: Any) -> dict[str, pd.DataFrame]:
    """The ``weights`` table (each indicator with its system row, weight and the method's
    details) and the ``dimension_weights`` table of a :class:`WeightResult`."""
    info = system.to_frame()
    w = result.to_frame().rename(columns={"indicator": "id"})
    weights = info.merge(w, on="id", how="right")
    # Per-period entropy gives one weight vector per period: group within the period.
    keys = ["period", "dimension"] if "period" in weights.columns else ["dimension"]
    dim_total = weights.groupby(keys)["weight"].transform("sum")
    weights["weight_in_dimension"] = weights["weight"] / dim_total
    first = [*keys[:-1], "dimension", "sub_dimension", "id", "name", "direction", "weight"]
    first.append("weight_in_dimension")
    weights = weights[first + [c for c in weights.columns if c not in first]]
    dims = weights.groupby(keys, sort=False)["weight"].sum().reset_index()
    return {"weights": weights, "dimension_weights": dims}


def build_tables(
    cfg, system, panel, result, coupling, scores, meta, *, lean: bool = False
) -> dict[str, pd.DataFrame]:
    """The output tables, keyed by sheet / file name.

    ``lean`` (a run that only writes them) holds text unit labels as a categorical of
    the panel's codes rather than as a text column (the writers write the text)."""
    ids = pd.DataFrame(
        {
            cfg.data.entity: _unit_column(panel, lean),
            cfg.data.period: _period_column(panel),
        },
        copy=False,
    )
    if panel.extra is not None:
        for col in panel.extra.columns:
            ids[col] = panel.extra[col].to_numpy()
    # result.to_frame() with the ids in front of its entity and period columns; tables share
    # the result's arrays (no copies: a 1e6-row run holds each number once)
    frame = {"index": result.index, "rank": result.rank}
    for level in ("dimension", "sub_dimension"):
        sub = result.sub_indices.get(level)
        for col in [] if sub is None else sub.columns:
            frame.setdefault(col, sub[col])
    index = _joined(ids, frame)
    ent, per = cfg.data.entity, cfg.data.period

    by_period = index.groupby(per)["index"].agg(["mean", "std", "min", "max"]).reset_index()
    tables: dict[str, pd.DataFrame] = {
        "index": index,
        "index_wide": _wide(panel, result.index, ent, per),
        "rank_wide": _wide(panel, result.rank, ent, per),
        "period_summary": by_period,
    }
    if "sub_dimension" in result.sub_indices:
        tables["sub_dimensions"] = _joined(ids, result.sub_indices["sub_dimension"])

    tables.update(weight_tables(system, result.weights))
    info = system.to_frame()

    ob = result.obstacles
    names = dict(zip(info["id"], info["name"], strict=True))
    labels = [f"{names.get(i, i)} ({i})" for i in ob.names]
    top = {}  # as ObstacleResult.top_frame(), the ids shown as "name (id)"
    for r in range(ob.top.shape[1]):
        # Categories: a row holds the code of one of m labels, not its text (the writers
        # write the text; 1e6 rows × 3 columns of ~45-byte labels are 140 MB as text).
        top[f"obstacle_{r + 1}"] = pd.Categorical.from_codes(ob.top[:, r], categories=labels)
        top[f"degree_{r + 1}"] = ob.top_degrees[:, r]
    tables["obstacles_top"] = _joined(ids, top)
    if ob.by_group is not None:
        groups = {g: ob.by_group[:, k] for k, g in enumerate(ob.groups)}
        tables["obstacles_dimension"] = _joined(ids, groups)
    if coupling is not None:
        tables["coupling"] = _joined(ids, scores.add_prefix("U_"), _coupling_columns(coupling))
    if len(panel.filled):
        tables["filled_cells"] = panel.filled
    tables["metadata"] = steps.metadata_frame(meta)
    return tables
