"""Use case "run this index config": read, compute, tabulate, report, write.

Everything is computed in memory first; files are written only once every table and the
report exist, each through an atomic rename, so a failed run leaves no half-written output.
"""

from __future__ import annotations

import hashlib
import platform
import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import nqpf
from nqpf.datasets import SYNTHETIC_LABEL
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.indices import CompositeIndex, CompositeResult, CouplingResult, coupling_coordination
from nqpf.io import read_panel
from nqpf.io.yamlfile import load_yaml_model
from nqpf.panel import Panel
from nqpf.services.index_config import CouplingSection, IndexConfig, PeriodRange
from nqpf.systems import load_system
from nqpf.systems.schema import IndicatorSystem


@dataclass
class IndexRun:
    """Everything one run produced, before it is written anywhere."""

    config: IndexConfig
    system: IndicatorSystem
    panel: Panel
    result: CompositeResult
    coupling: CouplingResult | None
    coupling_scores: pd.DataFrame | None
    tables: dict[str, pd.DataFrame]
    meta: dict[str, str]
    report_html: str | None = None
    written: list[Path] = field(default_factory=list)


def load_index_config(path: str | Path) -> IndexConfig:
    """Read and validate a run configuration (errors name the key and line)."""
    path = Path(path)
    cfg = load_yaml_model(path, IndexConfig)
    return cfg.model_copy(update={"base_dir": path.resolve().parent})


def _in_range(labels: np.ndarray, rng: PeriodRange | None) -> np.ndarray:
    keep = np.ones(labels.shape[0], dtype=bool)
    if rng is None:
        return keep
    if rng.start is not None:
        keep &= labels >= type(labels[0])(rng.start)
    if rng.end is not None:
        keep &= labels <= type(labels[0])(rng.end)
    return keep


def _select_periods(panel: Panel, rng: PeriodRange | None, what: str) -> Panel:
    if rng is None:
        return panel
    labels = panel.period_labels
    try:
        chosen = labels[_in_range(labels, rng)]
    except (TypeError, ValueError):
        raise ConfigError(
            f"period bounds {rng.start!r}–{rng.end!r} do not match the period labels", field=what
        ) from None
    if chosen.size == 0:
        raise ConfigError(
            f"no period of the data ({labels[0]}–{labels[-1]}) lies in {rng.start}–{rng.end}",
            field=what,
        )
    return panel.subset_periods(chosen)


@contextmanager
def _rows_as_units(panel: Panel, data_file: Path):
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
        if exc.data_row is None or not 0 <= exc.data_row < panel.n_obs:
            if field == exc.field:
                raise
            raise type(exc)(exc.reason, file=exc.file, column=exc.column, field=field) from None
        i = exc.data_row
        unit = f"{panel.entity_col} {panel.entities[i]}, {panel.period_col} {panel.periods[i]}"
        reason = re.sub(rf"\brow {i}\b", unit, exc.reason)
        raise DataValidationError(
            reason if reason != exc.reason else f"{unit}: {reason}",
            file=str(data_file),
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


def _subsystem_scores(
    cfg: IndexConfig,
    system: IndicatorSystem,
    panel: Panel,
    fit_panel: Panel,
    result: CompositeResult,
    data_file: Path,
) -> pd.DataFrame:
    """Score of each top-level dimension in [0, 1], the U_i of the coupling model."""
    dims = system.groups("dimension")
    if cfg.coupling.subsystem_scores == "renormalize":
        sub = result.sub_indices["dimension"] / cfg.method.scale
        if cfg.method.aggregation != "weighted_sum":
            return sub.clip(0.0, 1.0)
        W = result.weights.weights
        if W.ndim == 2:  # per-period weights: each row uses its own period's weights
            pos = {p: t for t, p in enumerate(result.weights.periods)}
            W = W[[pos[p] for p in panel.periods]]
        col = {name: j for j, name in enumerate(result.indicators)}
        out = {g: sub[g] / W[..., [col[i] for i in ids]].sum(axis=-1) for g, ids in dims.items()}
        return pd.DataFrame(out).clip(0.0, 1.0)
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
        with _rows_as_units(fit_panel, data_file):
            est.fit(fit.values, fit.periods, indicators=ids)
        with _rows_as_units(panel, data_file):
            scores[g] = est.transform(panel.select(ids).values, panel.periods, indicators=ids).index
    # U must lie in [0, 1]: the zero shift can lift a unit that is best on every indicator
    # to 1 + shift, and years beyond the base range (fit_periods) exceed 1.  Both saturate.
    return pd.DataFrame(scores).clip(0.0, 1.0)


def run_index(config: IndexConfig, *, progress: Callable[[str], None] | None = None) -> IndexRun:
    """Compute the index, sub-indices, weights, ranks, coupling and obstacles of a config."""
    say = progress or (lambda _msg: None)
    cfg = config
    system_ref = cfg.system
    candidate = cfg.resolve(system_ref)
    system = load_system(candidate if candidate.suffix in (".yaml", ".yml") else system_ref)
    say(f"指标体系 {system.id} v{system.version}: {len(system.indicator_ids)} 个指标")

    data_path = cfg.resolve(cfg.data.path)
    d = cfg.data
    panel = read_panel(
        data_path,
        entity=d.entity,
        period=d.period,
        indicators=system.indicator_ids,
        layout=d.layout,
        sheet=d.sheet,
        missing=d.missing,
        fill_value=d.fill_value,
        keep=tuple(d.keep),
        indicator_col=d.indicator_col,
        value_col=d.value_col,
    )
    panel = _select_periods(panel, cfg.periods, "periods")
    fit_panel = _select_periods(panel, cfg.fit_periods, "fit_periods")
    say(f"面板: {panel.n_entities} 个单位 × {panel.n_periods} 期")

    est = _estimator(cfg, system)
    with _rows_as_units(fit_panel, data_path):
        est.fit(fit_panel)
    with _rows_as_units(panel, data_path):
        result = est.transform(panel)
    say(f"权重与综合指数: {result.method}")

    coupling = scores = None
    wants_coupling = cfg.coupling is not None or system.subsystems
    if wants_coupling and len(system.dimension_names) >= 2:
        if cfg.coupling is None:
            cfg = cfg.model_copy(update={"coupling": CouplingSection()})
        scores = _subsystem_scores(cfg, system, panel, fit_panel, result, data_path)
        c = cfg.coupling
        weights = None
        if c.weights is not None:
            missing = [g for g in scores.columns if g not in c.weights]
            if missing:
                raise ConfigError(
                    f"coupling weights lack subsystem(s) {missing}", field="coupling.weights"
                )
            weights = [c.weights[g] for g in scores.columns]
        zero_rows = np.flatnonzero((scores.to_numpy() == 0).any(axis=1))
        if c.zero == "error" and zero_rows.size:
            i = int(zero_rows[0])
            sub = scores.columns[int(np.argmax(scores.to_numpy()[i] == 0))]
            raise ConfigError(
                f"subsystem {sub!r} scores 0 for {panel.entity_col} {panel.entities[i]}, "
                f"{panel.period_col} {panel.periods[i]} ({zero_rows.size} unit-period(s) in all), "
                "so the coupling degree C is undefined; set coupling.zero: zero to give such "
                "rows C = 0, or use a method whose scores stay above 0 (weighted_sum with a shift)",
                field="coupling.zero",
            )
        with _rows_as_units(panel, data_path):
            coupling = coupling_coordination(
                scores.to_numpy(),
                weights,
                c.method,
                zero=c.zero,
                closed=c.closed,
                names=list(scores.columns),
            )
        say(f"耦合协调度: {len(scores.columns)} 个子系统 ({c.method})")

    meta = _metadata(cfg, system, panel, data_path, result)
    tables = build_tables(cfg, system, panel, result, coupling, scores, meta)
    return IndexRun(cfg, system, panel, result, coupling, scores, tables, meta)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _metadata(cfg, system, panel, data_path: Path, result) -> dict[str, str]:
    meta = {
        "标题 title": cfg.title,
        "数据 data": str(cfg.data.path),
        "数据 SHA-256": _sha256(data_path),
        "单位数 units": str(panel.n_entities),
        "期数 periods": f"{panel.period_labels[0]}–{panel.period_labels[-1]} ({panel.n_periods})",
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
    if cfg.data.synthetic:
        meta = {"数据性质 data status": SYNTHETIC_LABEL, **meta}
    return meta


def _describe_normalisation(cfg: IndexConfig) -> str:
    n = cfg.method.normalization
    if n.rescale is not None:
        how = f"rescale to {n.rescale}"
    else:
        how = f"x' + {1e-4 if n.shift is None else n.shift:g}"
    return f"min-max, {how}, extremes {n.extremes}, constant columns: {n.constant}"


def build_tables(cfg, system, panel, result, coupling, scores, meta) -> dict[str, pd.DataFrame]:
    """The output tables, keyed by sheet / file name."""
    ids = pd.DataFrame({cfg.data.entity: panel.entities, cfg.data.period: panel.periods})
    if panel.extra is not None:
        for col in panel.extra.columns:
            ids[col] = panel.extra[col].to_numpy()
    frame = result.to_frame().drop(columns=["entity", "period"])
    index = pd.concat([ids, frame], axis=1)
    ent, per = cfg.data.entity, cfg.data.period

    by_period = index.groupby(per)["index"].agg(["mean", "std", "min", "max"]).reset_index()
    tables: dict[str, pd.DataFrame] = {
        "index": index,
        "index_wide": index.pivot(index=ent, columns=per, values="index").reset_index(),
        "rank_wide": index.pivot(index=ent, columns=per, values="rank").reset_index(),
        "period_summary": by_period,
    }
    if "sub_dimension" in result.sub_indices:
        tables["sub_dimensions"] = pd.concat([ids, result.sub_indices["sub_dimension"]], axis=1)

    info = system.to_frame()
    w = result.weights.to_frame().rename(columns={"indicator": "id"})
    weights = info.merge(w, on="id", how="right")
    # Per-period entropy gives one weight vector per period: group within the period.
    keys = ["period", "dimension"] if "period" in weights.columns else ["dimension"]
    dim_total = weights.groupby(keys)["weight"].transform("sum")
    weights["weight_in_dimension"] = weights["weight"] / dim_total
    first = [*keys[:-1], "dimension", "sub_dimension", "id", "name", "direction", "weight"]
    first.append("weight_in_dimension")
    weights = weights[first + [c for c in weights.columns if c not in first]]
    tables["weights"] = weights
    tables["dimension_weights"] = weights.groupby(keys, sort=False)["weight"].sum().reset_index()

    ob = result.obstacles
    top = ob.top_frame()
    names = dict(zip(info["id"], info["name"], strict=True))
    for col in [c for c in top.columns if c.startswith("obstacle_")]:
        top[col] = top[col].map(lambda i: f"{names.get(i, i)} ({i})")
    tables["obstacles_top"] = pd.concat([ids, top], axis=1)
    if ob.by_group is not None:
        tables["obstacles_dimension"] = pd.concat(
            [ids, pd.DataFrame(ob.by_group, columns=list(ob.groups))], axis=1
        )
    if coupling is not None:
        tables["coupling"] = pd.concat([ids, scores.add_prefix("U_"), coupling.to_frame()], axis=1)
    if len(panel.filled):
        tables["filled_cells"] = panel.filled
    tables["metadata"] = pd.DataFrame({"item": list(meta), "value": list(meta.values())})
    return tables


def dump_config(
    cfg: IndexConfig, *, output_dir: Path | None = None, formats=None, report=None
) -> str:
    """The effective configuration as YAML, written next to the outputs for reproducibility.

    Paths are made absolute (the file lives in the output folder, not beside the original
    config), and the output folder, formats and report switch actually used are recorded.
    """
    data = cfg.model_dump(mode="json", by_alias=True, exclude={"base_dir"})
    data["data"]["path"] = str(cfg.resolve(cfg.data.path).resolve())
    system_file = cfg.resolve(cfg.system)
    if system_file.suffix in (".yaml", ".yml") and system_file.exists():
        data["system"] = str(system_file.resolve())
    out = data["output"]
    out["dir"] = str((output_dir or cfg.resolve(cfg.output.dir)).resolve())
    if formats is not None:
        out["formats"] = list(formats)
    if report is not None:
        out["report"] = bool(report)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
