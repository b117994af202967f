"""Use case "analyse disparity and dynamics of this variable": read, compute, tabulate.

Like ``index run``, everything is computed in memory before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import nqpf
from nqpf.datasets import SYNTHETIC_LABEL, load_regions
from nqpf.disparity import (
    beta_convergence,
    dagum,
    gini,
    kde,
    local_moran,
    markov,
    moran,
    province_weights,
    sigma_convergence,
    spatial_markov,
    spatial_weights,
    theil,
)
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.io import read_panel, read_table
from nqpf.io.yamlfile import key_line_in_file as key_line
from nqpf.io.yamlfile import load_yaml_model
from nqpf.panel import Panel
from nqpf.services.analyze_config import AnalyzeConfig
from nqpf.services.index_run import _select_periods


@dataclass
class AnalyzeRun:
    """Everything one analysis run produced, before it is written anywhere."""

    config: AnalyzeConfig
    panel: Panel
    results: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    meta: dict[str, str]
    wide: pd.DataFrame
    written: list[Path] = field(default_factory=list)


def load_analyze_config(path: str | Path) -> AnalyzeConfig:
    path = Path(path)
    cfg = load_yaml_model(path, AnalyzeConfig)
    _check_requirements(cfg, path)
    return cfg.model_copy(update={"base_dir": path.resolve().parent})


def _check_requirements(cfg: AnalyzeConfig, path: Path) -> None:
    """Keys that one analysis needs from another section, named with the section to add."""
    a = cfg.analyses
    grouped = [n for n in ("dagum", "theil") if getattr(a, n) is not None]
    if grouped and cfg.data.group is None:
        line = key_line(path, f"analyses.{grouped[0]}")
        raise ConfigError(
            f"line {line}: {' and '.join(grouped)} need data.group (the column of region "
            "groups, e.g. region)",
            file=str(path),
            field="data.group",
        )
    spatial = [n for n in ("spatial_markov", "moran", "local_moran") if getattr(a, n) is not None]
    if spatial and cfg.weights is None:
        line = key_line(path, f"analyses.{spatial[0]}")
        raise ConfigError(
            f"line {line}: {', '.join(spatial)} need a weights section (e.g. weights: {{kind: province_contiguity}})",
            file=str(path),
            field="weights",
        )


def _balanced_wide(panel: Panel, data_file: Path) -> pd.DataFrame:
    """Units × periods matrix of the value; Markov chains and Moran need a balanced panel."""
    frame = pd.DataFrame({"e": panel.entities, "p": panel.periods, "v": panel.values[:, 0]})
    wide = frame.pivot(index="e", columns="p", values="v")
    if wide.isna().any().any():
        e, p = next((e, p) for e, row in wide.iterrows() for p, v in row.items() if pd.isna(v))
        raise DataValidationError(
            f"the panel is unbalanced: {panel.entity_col} {e} has no row for {panel.period_col} "
            f"{p} ({int(wide.isna().sum().sum())} missing unit-periods); Markov chains, Moran's I "
            "and convergence need every unit in every period (use data.missing to fill values, "
            "or restrict periods)",
            file=str(data_file),
        )
    return wide


def _weights(cfg: AnalyzeConfig, panel: Panel, units: list, data_file: Path):
    """Spatial weights whose rows are the panel's units, in ``units`` order."""
    wcfg = cfg.weights
    ids = units
    if wcfg.id_column is not None:
        if panel.extra is None or wcfg.id_column not in panel.extra.columns:
            raise ConfigError(
                f"weights.id_column {wcfg.id_column!r} is not a kept column; add it to data.keep",
                field="weights.id_column",
            )
        pairs = pd.DataFrame({"e": panel.entities, "id": panel.extra[wcfg.id_column].to_numpy()})
        mapping = pairs.drop_duplicates().set_index("e")["id"]
        if mapping.index.duplicated().any():
            bad = mapping.index[mapping.index.duplicated()][0]
            raise DataValidationError(
                f"unit {bad!r} has more than one {wcfg.id_column!r}", file=str(data_file)
            )
        ids = [str(mapping[u]) for u in units]
    if wcfg.kind in ("province_contiguity", "province_distance"):
        names = set(load_regions()["name"])
        labels = "name" if all(str(i) in names for i in ids) else "code"
        kind = "contiguity" if wcfg.kind == "province_contiguity" else "inverse_distance"
        hainan = wcfg.hainan if kind == "contiguity" else None
        w = province_weights(
            kind, hainan, provinces=[str(i) for i in ids], labels=labels, transform=wcfg.transform
        )
        return w, [str(i) for i in ids]
    path = cfg.resolve(wcfg.path)
    if wcfg.kind == "gal":
        if not path.exists():
            raise ConfigError("file not found", file=str(path))
        w = spatial_weights(gal=path, transform=wcfg.transform)
    else:
        first = read_table(path).columns[0]
        m = read_table(path, text_columns=(first,))  # ids such as "01" keep their zeros
        row_ids = [str(v).strip() for v in m.iloc[:, 0]]
        col_ids = [str(c).strip() for c in m.columns[1:]]
        if sorted(col_ids) != sorted(row_ids):
            raise DataValidationError(
                "the header must list the same ids as the first column (a square matrix with "
                "ids on both sides)",
                file=str(path),
            )
        # Columns are matched to rows by their header ids, not by position.
        matrix = m.iloc[:, 1:].set_axis(col_ids, axis=1)[row_ids].to_numpy(dtype=float)
        w = spatial_weights(matrix=matrix, ids=row_ids, transform=wcfg.transform)
    missing = [i for i in map(str, ids) if i not in set(map(str, w.ids))]
    if missing:
        raise DataValidationError(
            f"{len(missing)} unit(s) of the data have no row in the weights, e.g. {missing[0]!r}",
            file=str(path),
        )
    return w.subset([str(i) for i in ids]), [str(i) for i in ids]


def run_analyze(
    config: AnalyzeConfig, *, progress: Callable[[str], None] | None = None
) -> AnalyzeRun:
    """Run every analysis the config names on its panel variable."""
    say = progress or (lambda _m: None)
    cfg = config
    d = cfg.data
    data_file = cfg.resolve(d.path)
    keep = [c for c in dict.fromkeys([d.group, d.subgroup, *d.keep]) if c]
    if cfg.weights is not None and cfg.weights.id_column and cfg.weights.id_column not in keep:
        keep.append(cfg.weights.id_column)
    controls = cfg.analyses.beta.controls if cfg.analyses.beta else []
    panel = read_panel(
        data_file,
        entity=d.entity,
        period=d.period,
        indicators=[d.value, *controls],
        sheet=d.sheet,
        missing=d.missing,
        fill_value=d.fill_value,
        keep=tuple(keep),
    )
    panel = _select_periods(panel, cfg.periods, "periods")
    y = panel.values[:, 0]
    periods = panel.periods
    group = panel.extra[d.group].to_numpy() if d.group else None
    a = cfg.analyses
    res: dict[str, Any] = {}
    say(f"面板: {panel.n_entities} 个单位 × {panel.n_periods} 期, 变量 {d.value}")

    if any(x is not None for x in (a.gini, a.dagum, a.theil)):
        _require_non_negative(panel, data_file, d.value)
    if a.gini is not None:
        res["gini"] = gini(y, periods=periods)
    if a.dagum is not None:
        # One group order for every year (ascending pooled mean), so the tables line up.
        means = pd.Series(y).groupby(group).mean().sort_values()
        res["dagum"] = dagum(y, group, periods=periods, group_order=list(means.index))
        say("Dagum 基尼系数分解")
    if a.theil is not None:
        nested = panel.extra[d.subgroup].to_numpy() if d.subgroup else None
        res["theil"] = theil(y, group, periods=periods, nested=nested)
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

    needs_wide = any(s is not None for s in (a.markov, a.spatial_markov, a.moran, a.local_moran))
    dynamic = [n for n in ("markov", "spatial_markov", "beta") if getattr(a, n) is not None]
    if dynamic and panel.n_periods < 2:
        raise ConfigError(
            f"{', '.join(dynamic)} need at least 2 periods; the data have only "
            f"{panel.period_labels[0]}",
            file=str(data_file),
            field=f"analyses.{dynamic[0]}",
        )
    wide = _balanced_wide(panel, data_file) if needs_wide or a.sigma or a.beta else pd.DataFrame()
    Y = wide.to_numpy()
    units = list(wide.index)
    if a.markov is not None:
        res["markov"] = markov(
            Y,
            a.markov.k,
            cutoffs=a.markov.cutoffs,
            cutoff_scope=a.markov.cutoff_scope,
            fill_empty_classes=a.markov.fill_empty_classes,
        )
        say("传统马尔可夫链")
    w = None
    if a.spatial_markov is not None or a.moran is not None or a.local_moran is not None:
        w, _ = _weights(cfg, panel, units, data_file)
        if w.islands:
            hint = (
                "link it (weights.hainan: guangdong) or drop it from the data"
                if cfg.weights.kind == "province_contiguity"
                else "give it a neighbour in the weights file or drop it from the data"
            )
            raise ConfigError(
                f"unit(s) {', '.join(map(str, w.islands))} have no neighbour in the spatial "
                f"weights (an island), so their spatial lag is undefined; {hint}",
                field="weights",
            )
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
        )
        say("空间马尔可夫链")
    if a.moran is not None:
        rng = np.random.default_rng(a.moran.seed)
        res["moran"] = {
            p: moran(Y[:, t], w, a.moran.permutations, rng) for t, p in enumerate(wide.columns)
        }
        say("全局莫兰指数")
    if a.local_moran is not None:
        lm = a.local_moran
        col = wide.columns[-1] if lm.period == "last" else type(wide.columns[0])(lm.period)
        if col not in wide.columns:
            raise ConfigError(
                f"period {lm.period!r} is not in the data", field="analyses.local_moran.period"
            )
        res["local_moran"] = local_moran(
            wide[col].to_numpy(),
            w,
            lm.permutations,
            np.random.default_rng(lm.seed),
            quadrant_scheme=lm.quadrant_scheme,
            alpha=lm.alpha,
        )
        res["local_moran_period"] = col
    if a.sigma is not None:
        res["sigma"] = sigma_convergence(y, periods, measure=a.sigma.measure, ddof=a.sigma.ddof)
    if a.beta is not None:
        extra = {c: panel.values[:, 1 + i] for i, c in enumerate(controls)}
        res["beta"] = beta_convergence(
            y,
            panel.entities,
            periods,
            kind=a.beta.kind,
            controls=pd.DataFrame(extra) if extra else None,
            cov=a.beta.cov,
        )
        say("β 收敛")
    meta = _metadata(cfg, panel, data_file, w)
    tables = build_tables(cfg, panel, res, wide, meta)
    return AnalyzeRun(cfg, panel, res, tables, meta, wide)


def _require_non_negative(panel: Panel, data_file: Path, value: str) -> None:
    y = panel.values[:, 0]
    bad = np.flatnonzero(y < 0)
    if bad.size:
        i = int(bad[0])
        raise DataValidationError(
            f"{panel.entity_col} {panel.entities[i]}, {panel.period_col} {panel.periods[i]} is "
            f"{y[i]:g}: Gini, Dagum and Theil need non-negative values ({bad.size} negative)",
            file=str(data_file),
            column=value,
        )


def _metadata(cfg: AnalyzeConfig, panel: Panel, data_file: Path, w) -> dict[str, str]:
    sha = hashlib.sha256(data_file.read_bytes()).hexdigest()
    meta = {
        "标题 title": cfg.title,
        "数据 data": str(cfg.data.path),
        "数据 SHA-256": sha,
        "变量 variable": cfg.data.value,
        "单位数 units": str(panel.n_entities),
        "期数 periods": f"{panel.period_labels[0]}–{panel.period_labels[-1]} ({panel.n_periods})",
        "分组 groups": str(cfg.data.group),
        "nqpf": nqpf.__version__,
    }
    if w is not None:
        meta["空间权重 weights"] = f"{cfg.weights.kind}, transform {cfg.weights.transform}"
        source = (getattr(w, "meta", None) or {}).get("source")
        if source:
            meta["权重来源 weights source"] = str(source)
    if cfg.data.synthetic:
        meta = {"数据性质 data status": SYNTHETIC_LABEL, **meta}
    return meta


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
    if "moran" in res:
        rows = []
        for p, r in res["moran"].items():
            row = r.to_frame().to_dict("records")[0]
            rows.append({per: p, **row})
        tables["moran"] = pd.DataFrame(rows)
    if "local_moran" in res:
        lm = res["local_moran"].to_frame()
        lm.insert(0, cfg.data.entity, list(wide.index))
        lm.insert(1, per, res["local_moran_period"])
        tables["local_moran"] = lm
    if "beta" in res:
        tables["beta"] = res["beta"].to_frame()
    tables["metadata"] = pd.DataFrame({"item": list(meta), "value": list(meta.values())})
    return tables
