"""Use case "analyse disparity and dynamics of this variable": config and panel in, tables out.

Like :mod:`nqpf.services.index_run`, the run takes its panel as bytes or a dataframe and
returns results, output tables, the HTML report and the effective config; paths are
handled only by :mod:`nqpf.services.files`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

import nqpf
from nqpf.datasets import load_regions
from nqpf.disparity import (
    SpatialWeights,
    beta_convergence,
    dagum,
    gini,
    kde,
    local_moran,
    local_moran_bv,
    markov,
    moran,
    moran_bv,
    moran_rate,
    province_weights,
    sigma_convergence,
    spatial_markov,
    spatial_weights,
    theil,
)
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.io import read_table
from nqpf.io.quality import period_year
from nqpf.panel import Panel
from nqpf.services import _run_steps as steps
from nqpf.services.analyze_config import (
    SPATIAL_ANALYSES,
    AnalyzeConfig,
    dump_analyze_config,
    parse_analyze_config,
)
from nqpf.services.analyze_output import TABLE_TITLES, build_report, finish_tables
from nqpf.services.files import InputFile, load_config
from nqpf.services.progress import ProgressCallback, reporter

__all__ = [
    "AnalysisRun",
    "AnalyzeRun",
    "check_data",
    "load_analyze_config",
    "parse_analyze_config",
    "run_analysis",
    "run_analyze",
]


@dataclass
class AnalysisRun:
    """Everything one analysis run produced, before it is written anywhere.

    Attributes
    ----------
    results : dict
        The result object of each analysis run, by analysis name.
    tables : dict of str to DataFrame
        Each result's own table (``to_frame()``), and ``metadata``.
    output_tables : dict of str to DataFrame
        The tables as written: Dagum and Theil in papers' layout, Markov with labels.
    report_html : str
        The HTML report, rendered on first use.
    written : list of Path
        The files :func:`~nqpf.services.files.write_run` wrote, if it was called.
    """

    config: AnalyzeConfig
    panel: Panel
    results: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    meta: dict[str, str]
    wide: pd.DataFrame
    written: list[Path] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    quality: Any = None

    workbook: ClassVar[str] = "nqpf_analyze.xlsx"
    command: ClassVar[str] = "analyze run"
    known_tables: ClassVar = TABLE_TITLES

    @cached_property
    def output_tables(self) -> dict[str, pd.DataFrame]:
        return finish_tables(self)

    @cached_property
    def report_html(self) -> str:
        return build_report(self, self.output_tables)

    def config_text(self, output_dir: Path | None = None, formats=None, report=None) -> str:
        """The effective config as YAML (see :func:`dump_analyze_config`)."""
        return dump_analyze_config(self.config, output_dir, formats, report)


#: The former name of :class:`AnalysisRun`.
AnalyzeRun = AnalysisRun


def load_analyze_config(path: str | Path) -> AnalyzeConfig:
    """Read and validate an analysis configuration file (errors name the key and line)."""
    return load_config(path, parse_analyze_config)


def run_analysis(
    config: AnalyzeConfig,
    data: InputFile | bytes | Any | None = None,
    *,
    weights: InputFile | bytes | None = None,
    progress: ProgressCallback | None = None,
) -> AnalysisRun:
    """Run every analysis the config names on its panel variable.

    Parameters
    ----------
    config
        The analysis configuration (:func:`parse_analyze_config`, :func:`load_analyze_config`).
    data
        The panel: an :class:`~nqpf.services.files.InputFile` (a file's name and bytes),
        bare bytes (read as the config's ``data.path`` names them) or a dataframe.
        ``None`` reads ``data.path`` beside a config read from a file.
    weights
        The spatial weights file (``weights.kind`` ``gal`` or ``matrix``); default the file
        ``weights.path`` beside a config read from a file.  Read only when a spatial
        analysis runs.
    progress
        Called with a :class:`~nqpf.services.progress.Progress` event (stage, done,
        total, message) as the run goes: loading, quality, analyses; ``str(event)`` is a
        line of text for people.

    Returns
    -------
    AnalysisRun
        Results, tables, output tables, the HTML report and the effective config.
    """
    event = reporter(progress)
    cfg = config
    event("load", 0, 1, "")
    data = steps.config_input(cfg, data, cfg.data.path, field="data.path")
    source = steps.label(data)
    loaded = _read_panel(cfg, data)
    panel = loaded.panel
    _check_shape(cfg, panel, source)  # before any analysis runs
    event(
        "load",
        1,
        1,
        f"面板: {panel.n_entities} 个单位 × {panel.n_periods} 期, 变量 {cfg.data.value}",
    )
    event("quality", 1, 1, _quality_line(loaded.quality))
    steps_done = [0]
    total = _count_analyses(cfg)

    def say(message: str) -> None:
        steps_done[0] += 1
        event("analyses", min(steps_done[0], total), total, message)

    res = _cross_sections(cfg, panel, source, say)
    wide, w = _dynamics(cfg, panel, source, weights, res, say)
    event("analyses", total, total, "")
    meta = _metadata(cfg, panel, data, w)
    tables = build_tables(cfg, panel, res, wide, meta)
    run = AnalysisRun(cfg, panel, res, tables, meta, wide)
    run.inputs = steps.input_hashes(data)
    run.quality = loaded.quality
    return run


def check_data(config: AnalyzeConfig, data: InputFile | bytes | Any | None = None) -> Any:
    """The data-quality report of a config's data, without running the analyses.

    As :func:`nqpf.services.index_run.check_data`: what a door shows before the user
    confirms an upload; problems are findings with status ``"error"``.

    Returns
    -------
    nqpf.io.quality.QualityReport
    """
    data = steps.config_input(config, data, config.data.path, field="data.path")
    return _read_panel(config, data, strict=False).quality


def _check_shape(cfg: AnalyzeConfig, panel: Panel, source: str | None) -> None:
    """The analyses against the panel's periods, before any of them runs."""
    a = cfg.analyses
    dynamic = [n for n in ("markov", "spatial_markov", "beta") if getattr(a, n) is not None]
    if dynamic and panel.n_periods < 2:
        raise ConfigError(
            f"{', '.join(dynamic)} need at least 2 periods; the data have only "
            f"{panel.period_labels[0]}",
            file=source,
            field=f"analyses.{dynamic[0]}",
        )
    for name in ("local_moran", "local_moran_bv"):
        lm = getattr(a, name)
        if lm is None or lm.period == "last":
            continue
        labels = panel.period_labels
        wanted = period_year(lm.period) if labels.dtype.kind in "iuf" else str(lm.period)
        if wanted not in labels.tolist():
            raise ConfigError(
                f"period {lm.period!r} is not in the data ({labels[0]}–{labels[-1]})",
                field=f"analyses.{name}.period",
                zh=f"数据中没有期间 {lm.period!r}",
            )


def _count_analyses(cfg: AnalyzeConfig) -> int:
    """The progress messages the analyses send (one per long analysis)."""
    a = cfg.analyses
    named = ("dagum", "kde", "markov", "spatial_markov", "moran", "moran_rate", "moran_bv", "beta")
    return max(1, sum(getattr(a, n) is not None for n in named))


def _quality_line(quality: Any) -> str:
    warnings = quality.warnings
    if not warnings:
        return "数据质量: 通过 (quality.html)"
    return f"数据质量: {len(warnings)} 项警告 warning(s) (quality.html)"


#: The former name of :func:`run_analysis`.
run_analyze = run_analysis


def _read_panel(cfg: AnalyzeConfig, data: InputFile | Any, *, strict: bool = True):
    """The value, the beta controls and the group / id columns, over the chosen periods,
    read with the data-quality checks (Gini, Dagum and Theil need non-negative values,
    σ as the SD of logs positive ones)."""
    d, a = cfg.data, cfg.analyses
    keep = [c for c in dict.fromkeys([d.group, d.subgroup, *d.keep]) if c]
    if cfg.weights is not None and cfg.weights.id_column and cfg.weights.id_column not in keep:
        keep.append(cfg.weights.id_column)
    controls = a.beta.controls if a.beta else []
    nonnegative, positive = {}, {}
    if a.moran_rate is not None:
        nonnegative[a.moran_rate.events] = "moran_rate events must be non-negative counts"
        positive[a.moran_rate.population] = "moran_rate population must be positive"
    if any(x is not None for x in (a.gini, a.dagum, a.theil)):
        nonnegative[d.value] = "Gini, Dagum and Theil need non-negative values"
    if a.sigma is not None and a.sigma.measure == "sd_log":
        positive[d.value] = "sigma measure sd_log needs positive values"
    spatial = _spatial_columns(cfg)
    try:
        return steps.load_panel(
            data,
            d,
            indicators=list(dict.fromkeys([d.value, *controls, *spatial])),
            keep=tuple(keep),
            quality=cfg.quality,
            periods=cfg.periods,
            positive=positive,
            nonnegative=nonnegative,
            strict=strict,
        )
    except DataValidationError as exc:
        # A column only a spatial analysis names: say which key names it.
        key = spatial.get(exc.column) if exc.column not in (d.value, *controls) else None
        if key is None or "not found" not in exc.reason:
            raise
        raise ConfigError(
            f"{key} names column {exc.column!r}, which the data do not have ({exc.reason})",
            file=exc.file,
            field=key,
            zh=f"{key} 指定的列“{exc.column}”不在数据中",
        ) from None


def _spatial_columns(cfg: AnalyzeConfig) -> dict[str, str]:
    """Data columns the spatial analyses read besides data.value (rates, bivariate), each
    with the config key that names it."""
    a = cfg.analyses
    keys: dict[str, str] = {}
    if a.moran_rate is not None:
        keys[a.moran_rate.events] = "analyses.moran_rate.events"
        keys.setdefault(a.moran_rate.population, "analyses.moran_rate.population")
    for name in ("moran_bv", "local_moran_bv"):
        section = getattr(a, name)
        if section is not None:
            keys.setdefault(section.other, f"analyses.{name}.other")
    return keys


def _cross_sections(
    cfg: AnalyzeConfig, panel: Panel, source: str | None, say: Callable[[str], None]
) -> dict[str, Any]:
    """Gini, Dagum, Theil and kernel densities: one cross-section per period."""
    a, d = cfg.analyses, cfg.data
    y, periods = panel.values[:, 0], panel.periods
    group = panel.extra[d.group].to_numpy() if d.group else None
    res: dict[str, Any] = {}
    if a.gini is not None:
        res["gini"] = gini(y, periods=periods)
    if a.dagum is not None:
        # One group order for every year (ascending pooled mean), so the tables line up.
        means = pd.Series(y).groupby(group).mean().sort_values()
        res["dagum"] = dagum(y, group, periods=periods, group_order=list(means.index))
        say("Dagum 基尼系数分解")
    if a.theil is not None:
        nested = panel.extra[d.subgroup].to_numpy() if d.subgroup else None
        t = a.theil
        res["theil"] = theil(
            y,
            group,
            periods=periods,
            nested=nested,
            permutations=t.permutations,
            rng=np.random.default_rng(t.seed),
        )
    if a.kde is not None:
        res["kde"] = kde(y, periods=periods, bandwidth=a.kde.bandwidth, grid_size=a.kde.grid_size)
        if group is not None:
            # Per region on the overall grid, so the regional curves line up with the total.
            res["kde_groups"] = {
                g: kde(
                    y[group == g],
                    periods=periods[group == g],
                    bandwidth=a.kde.bandwidth,
                    grid=res["kde"].grid,
                )
                for g in pd.unique(group)
                if (group == g).sum() >= 2 * len(np.unique(periods[group == g]))
            }
        say("核密度估计")
    return res


def _dynamics(
    cfg: AnalyzeConfig,
    panel: Panel,
    source: str | None,
    weights: InputFile | bytes | None,
    res: dict[str, Any],
    say: Callable[[str], None],
) -> tuple[pd.DataFrame, SpatialWeights | None]:
    """Markov chains, Moran's I and convergence, added to ``res``; the wide panel and W."""
    a = cfg.analyses
    needs_wide = a.markov is not None or any(getattr(a, n) is not None for n in SPATIAL_ANALYSES)
    dynamic = [n for n in ("markov", "spatial_markov", "beta") if getattr(a, n) is not None]
    if dynamic and panel.n_periods < 2:
        raise ConfigError(
            f"{', '.join(dynamic)} need at least 2 periods; the data have only "
            f"{panel.period_labels[0]}",
            file=source,
            field=f"analyses.{dynamic[0]}",
        )
    wide = _balanced_wide(panel, source) if needs_wide or a.sigma or a.beta else pd.DataFrame()
    Y = wide.to_numpy()
    if a.markov is not None:
        res["markov"] = markov(
            Y,
            a.markov.k,
            cutoffs=a.markov.cutoffs,
            cutoff_scope=a.markov.cutoff_scope,
            fill_empty_classes=a.markov.fill_empty_classes,
        )
        say("传统马尔可夫链")
    if a.mobility is not None:
        res["mobility"] = _mobility(a.mobility, res["markov"])
    w = None
    if any(getattr(a, n) is not None for n in SPATIAL_ANALYSES):
        w = _weights(cfg, panel, list(wide.index), source, weights)
        res.update(_spatial(cfg, panel, wide, w, source, say))
    y, periods = panel.values[:, 0], panel.periods
    if a.sigma is not None:
        res["sigma"] = sigma_convergence(y, periods, measure=a.sigma.measure, ddof=a.sigma.ddof)
    if a.beta is not None:
        controls = {c: panel.values[:, 1 + i] for i, c in enumerate(a.beta.controls)}
        res["beta"] = beta_convergence(
            y,
            panel.entities,
            periods,
            kind=a.beta.kind,
            controls=pd.DataFrame(controls) if controls else None,
            cov=a.beta.cov,
        )
        say("β 收敛")
    return wide, w


def _mobility(section, chain) -> Any:
    """Mobility indices of the Markov chain, with the config's initial distribution."""
    if section.initial is not None and len(section.initial) != chain.k:
        raise ConfigError(
            f"analyses.mobility.initial has {len(section.initial)} shares; the Markov chain "
            f"has {chain.k} classes (one share per class)",
            field="analyses.mobility.initial",
            zh=f"初始分布应有 {chain.k} 个份额（每个马尔可夫类型一个），实际 {len(section.initial)} 个",
        )
    return chain.mobility(section.initial)


def _spatial(
    cfg: AnalyzeConfig,
    panel: Panel,
    wide: pd.DataFrame,
    w: SpatialWeights,
    source: str | None,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Spatial Markov chain, global and local Moran's I (plain, of rates, bivariate) of the
    balanced panel."""
    a, Y = cfg.analyses, wide.to_numpy()
    res: dict[str, Any] = {}
    if a.spatial_markov is not None:
        s = a.spatial_markov
        res["spatial_markov"] = spatial_markov(
            Y,
            w,
            s.k,
            cutoffs=s.cutoffs,
            lag_cutoff_mode=s.lag_cutoff_mode,
            cutoff_scope=s.cutoff_scope,
            fill_empty_classes=s.fill_empty_classes,
            lag_ties=s.lag_ties,
            rng=np.random.default_rng(s.seed),
            dof_convention=s.dof_convention,
        )
        say("空间马尔可夫链")
    if a.moran is not None:
        m = a.moran
        rng = np.random.default_rng(m.seed)
        res["moran"] = {
            p: moran(Y[:, t], w, m.permutations, rng, transform=m.transform)
            for t, p in enumerate(wide.columns)
        }
        say("全局莫兰指数")
    if a.local_moran is not None:
        lm = a.local_moran
        col = _local_period(wide, lm.period, "local_moran")
        res["local_moran"] = local_moran(
            wide[col].to_numpy(),
            w,
            lm.permutations,
            np.random.default_rng(lm.seed),
            quadrant_scheme=lm.quadrant_scheme,
            alpha=lm.alpha,
        )
        res["local_moran_period"] = col
    res.update(_spatial_variants(cfg, panel, wide, w, source, say))
    return res


def _spatial_variants(
    cfg: AnalyzeConfig,
    panel: Panel,
    wide: pd.DataFrame,
    w: SpatialWeights,
    source: str | None,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Moran's I of rates (per period) and bivariate Moran (global per period, local)."""
    a, Y = cfg.analyses, wide.to_numpy()
    res: dict[str, Any] = {}
    if a.moran_rate is not None:
        mr = a.moran_rate
        E = _wide_of(panel, mr.events, wide, source)
        N = _wide_of(panel, mr.population, wide, source)
        rng = np.random.default_rng(mr.seed)
        res["moran_rate"] = {
            p: moran_rate(
                E[:, t],
                N[:, t],
                w,
                mr.permutations,
                rng,
                adjusted=mr.adjusted,
                transform=mr.transform,
            )
            for t, p in enumerate(wide.columns)
        }
        say("比率的莫兰指数")
    if a.moran_bv is not None:
        bv = a.moran_bv
        other = _wide_of(panel, bv.other, wide, source)
        rng = np.random.default_rng(bv.seed)
        res["moran_bv"] = {
            p: moran_bv(Y[:, t], other[:, t], w, bv.permutations, rng, transform=bv.transform)
            for t, p in enumerate(wide.columns)
        }
        say("双变量莫兰指数")
    if a.local_moran_bv is not None:
        lb = a.local_moran_bv
        other = _wide_of(panel, lb.other, wide, source)
        col = _local_period(wide, lb.period, "local_moran_bv")
        t = list(wide.columns).index(col)
        res["local_moran_bv"] = local_moran_bv(
            Y[:, t],
            other[:, t],
            w,
            lb.permutations,
            np.random.default_rng(lb.seed),
            quadrant_scheme=lb.quadrant_scheme,
            alpha=lb.alpha,
            transform=lb.transform,
        )
        res["local_moran_bv_period"] = col
    return res


def _local_period(wide: pd.DataFrame, period, analysis: str):
    """The column of ``wide`` a local statistic's ``period`` key names (``last``: the last)."""
    if period == "last":
        return wide.columns[-1]
    numeric = np.asarray(wide.columns).dtype.kind in "iuf"
    col = period_year(period) if numeric else type(wide.columns[0])(period)
    if col not in wide.columns:
        raise ConfigError(
            f"period {period!r} is not in the data", field=f"analyses.{analysis}.period"
        )
    return col


def _wide_of(panel: Panel, column: str, wide: pd.DataFrame, source: str | None) -> np.ndarray:
    """Units × periods matrix of another data column, in the rows and columns of ``wide``."""
    j = panel.indicators.index(column)
    other = _balanced_wide(panel, source, j)
    return other.loc[wide.index, wide.columns].to_numpy()


def _balanced_wide(panel: Panel, source: str | None, column: int = 0) -> pd.DataFrame:
    """Units × periods matrix of the value (or another column of ``panel.values``); Markov
    chains and Moran need a balanced panel."""
    frame = pd.DataFrame({"e": panel.entities, "p": panel.periods, "v": panel.values[:, column]})
    wide = frame.pivot(index="e", columns="p", values="v")
    if wide.isna().any().any():
        e, p = next((e, p) for e, row in wide.iterrows() for p, v in row.items() if pd.isna(v))
        raise DataValidationError(
            f"the panel is unbalanced: {panel.entity_col} {e} has no row for {panel.period_col} "
            f"{p} ({int(wide.isna().sum().sum())} missing unit-periods); Markov chains, Moran's I "
            "and convergence need every unit in every period (use data.missing to fill values, "
            "or restrict periods)",
            file=source,
        )
    return wide


def _weights(
    cfg: AnalyzeConfig,
    panel: Panel,
    units: list,
    source: str | None,
    weights: InputFile | bytes | None,
) -> SpatialWeights:
    """Spatial weights whose rows are the panel's units, in ``units`` order, without islands."""
    wcfg = cfg.weights
    ids = _weight_ids(cfg, panel, units, source)
    if wcfg.kind in ("province_contiguity", "province_distance"):
        names = set(load_regions()["name"])
        labels = "name" if all(i in names for i in ids) else "code"
        kind = "contiguity" if wcfg.kind == "province_contiguity" else "inverse_distance"
        hainan = wcfg.hainan if kind == "contiguity" else None
        w = province_weights(kind, hainan, provinces=ids, labels=labels, transform=wcfg.transform)
    else:
        file = steps.config_input(cfg, weights, wcfg.path, field="weights.path")
        w = _file_weights(file, wcfg.kind, wcfg.transform)
        missing = [i for i in ids if i not in set(map(str, w.ids))]
        if missing:
            raise DataValidationError(
                f"{len(missing)} unit(s) of the data have no row in the weights, "
                f"e.g. {missing[0]!r}",
                file=file.name,
            )
        w = w.subset(ids)
    if w.islands:
        hint = (
            "link it (weights.hainan: guangdong) or drop it from the data"
            if wcfg.kind == "province_contiguity"
            else "give it a neighbour in the weights file or drop it from the data"
        )
        raise ConfigError(
            f"unit(s) {', '.join(map(str, w.islands))} have no neighbour in the spatial "
            f"weights (an island), so their spatial lag is undefined; {hint}",
            field="weights",
        )
    return w


def _weight_ids(cfg: AnalyzeConfig, panel: Panel, units: list, source: str | None) -> list[str]:
    """The weights' id of each unit: the unit itself, or its ``weights.id_column``."""
    column = cfg.weights.id_column
    if column is None:
        return [str(u) for u in units]
    if panel.extra is None or column not in panel.extra.columns:
        raise ConfigError(
            f"weights.id_column {column!r} is not a kept column; add it to data.keep",
            field="weights.id_column",
        )
    pairs = pd.DataFrame({"e": panel.entities, "id": panel.extra[column].to_numpy()})
    mapping = pairs.drop_duplicates().set_index("e")["id"]
    if mapping.index.duplicated().any():
        bad = mapping.index[mapping.index.duplicated()][0]
        raise DataValidationError(f"unit {bad!r} has more than one {column!r}", file=source)
    return [str(mapping[u]) for u in units]


def _file_weights(file: InputFile, kind: str, transform: str) -> SpatialWeights:
    """Weights from a GAL file or a square matrix table with ids on both sides."""
    if kind == "gal":
        try:
            text = file.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataValidationError(f"cannot read GAL file: {exc}", file=file.name) from None
        try:
            # a one-line string would be taken for a path, so the text keeps a line break
            w = spatial_weights(gal=text if "\n" in text else text + "\n", transform=transform)
        except DataValidationError as exc:
            raise exc.at(file=file.name) from None
        return dataclasses.replace(w, meta={"source": file.name})
    first = read_table(file.data, name=file.name).columns[0]
    # ids such as "01" keep their zeros
    m = read_table(file.data, name=file.name, text_columns=(first,))
    row_ids = [str(v).strip() for v in m.iloc[:, 0]]
    col_ids = [str(c).strip() for c in m.columns[1:]]
    if sorted(col_ids) != sorted(row_ids):
        raise DataValidationError(
            "the header must list the same ids as the first column (a square matrix with "
            "ids on both sides)",
            file=file.name,
        )
    # Columns are matched to rows by their header ids, not by position.
    matrix = m.iloc[:, 1:].set_axis(col_ids, axis=1)[row_ids].to_numpy(dtype=float)
    return spatial_weights(matrix=matrix, ids=row_ids, transform=transform)


def _metadata(cfg: AnalyzeConfig, panel: Panel, data: InputFile | Any, w) -> dict[str, str]:
    meta = {
        **steps.metadata_head(cfg, data),
        "变量 variable": cfg.data.value,
        "单位数 units": str(panel.n_entities),
        "期数 periods": steps.period_span(panel),
        "分组 groups": str(cfg.data.group),
        "nqpf": nqpf.__version__,
    }
    if w is not None:
        meta["空间权重 weights"] = f"{cfg.weights.kind}, transform {cfg.weights.transform}"
        source = w.meta.get("source")
        if source:
            meta["权重来源 weights source"] = str(source)
    return steps.with_status(cfg, meta)


def build_tables(cfg, panel, res, wide, meta) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    per = cfg.data.period
    for name in ("gini", "dagum", "theil", "kde", "sigma"):  # per-period tables
        if name in res:
            tables[name] = res[name].to_frame().rename(columns={"period": per})
    if "markov" in res:
        tables["markov"] = res["markov"].to_frame()
    if "spatial_markov" in res:
        tables["spatial_markov"] = res["spatial_markov"].to_frame()
    for name in ("moran", "moran_rate", "moran_bv"):  # one row per period
        if name in res:
            rows = [{per: p, **r.to_frame().to_dict("records")[0]} for p, r in res[name].items()]
            tables[name] = pd.DataFrame(rows)
    for name in ("local_moran", "local_moran_bv"):  # one row per unit
        if name in res:
            lm = res[name].to_frame()
            lm.insert(0, cfg.data.entity, list(wide.index))
            lm.insert(1, per, res[f"{name}_period"])
            tables[name] = lm
    if "mobility" in res:
        tables["mobility"] = res["mobility"].to_frame().reset_index()
    if "beta" in res:
        tables["beta"] = res["beta"].to_frame()
    tables["metadata"] = steps.metadata_frame(meta)
    return tables
