"""The configuration of ``nqpf analyze run``: regional disparity and dynamics of one variable.

The usual chain after a composite index (methods.md §10–15): Gini and the Dagum
decomposition by region, Theil, kernel density over years, traditional and spatial Markov
chains, global and local Moran's I, σ- and β-convergence.  Every analysis is optional; an
absent section is not run.  Parsed from text like the index config
(:func:`parse_analyze_config`); :func:`dump_analyze_config` writes the effective config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, model_validator

from nqpf._datafile import StrictModel as _Strict
from nqpf._datafile import compose_yaml, key_line
from nqpf.exceptions import ConfigError
from nqpf.services.index_config import (
    ConfigDocument,
    OutputSection,
    PeriodRange,
    QualitySection,
    absolute,
    parse_config,
    yaml_text,
)


class AnalyzeData(_Strict):
    path: str = Field(description="CSV, XLSX or Parquet, relative to the config file")
    entity: str
    period: str
    value: str = Field(description="the variable analysed, e.g. the index column")
    group: str | None = Field(default=None, description="region groups for Dagum and Theil")
    subgroup: str | None = Field(default=None, description="second level for nested Theil")
    sheet: str | None = None
    keep: list[str] = Field(default_factory=list)
    missing: Literal["error", "interpolate", "fill"] = "error"
    fill_value: float | None = None
    synthetic: bool = False


class WeightsSection(_Strict):
    """Spatial weights: shipped province contiguity/distance, a GAL file or a matrix file."""

    kind: Literal["province_contiguity", "province_distance", "gal", "matrix"] = (
        "province_contiguity"
    )
    path: str | None = Field(
        default=None, description="GAL file or square matrix CSV (kind gal/matrix)"
    )
    id_column: str | None = Field(
        default=None,
        description="data column holding the weights' ids (province codes for the shipped weights)",
    )
    hainan: Literal["guangdong", "guangdong_guangxi", "island"] = "guangdong"
    transform: Literal["r", "b"] = "r"

    @model_validator(mode="after")
    def _path_for_files(self) -> WeightsSection:
        if self.kind in ("gal", "matrix") and self.path is None:
            raise ValueError(f"weights kind {self.kind!r} needs path")
        return self


class GiniSection(_Strict):
    pass


class TheilSection(_Strict):
    permutations: int = Field(
        default=0,
        ge=0,
        description="random relabellings of the groups for the p-value of the between-group "
        "component (PySAL TheilDSim); 0 (default): no inference",
    )
    seed: int = Field(default=20241, description="seed of the permutations")


class KDESection(_Strict):
    bandwidth: Literal["silverman", "scott"] | float = "silverman"
    grid_size: int = Field(default=256, ge=16)


class MarkovSection(_Strict):
    k: int = Field(default=4, ge=2)
    cutoff_scope: Literal["pooled", "per_period"] = "pooled"
    cutoffs: list[float] | None = None
    fill_empty_classes: bool = False


class SpatialMarkovSection(MarkovSection):
    lag_cutoff_mode: Literal["quantile", "same"] = "same"
    lag_ties: Literal["fractional", "tryself", "random", "lowest"] = Field(
        default="fractional",
        description="a spatial lag tied between lag classes: counted 1/c in each of the c "
        "tied classes (default, unbiased), the unit's own class if tied (giddy's tryself), "
        "a seeded random one, or the lowest (biased towards class 0)",
    )
    seed: int = Field(default=20241, description="seed of lag_ties: random (and of tryself)")
    dof_convention: Literal["observed", "giddy"] = Field(
        default="observed",
        description="degrees of freedom of the homogeneity tests when a pooled cell is 0: "
        "only observed transitions count (default, Bickenbach & Bode 2003) or giddy's count",
    )


#: Transformations of the spatial weights an analysis may ask for instead of ``weights.transform``.
Transform = Literal["r", "b", "none"]


class MoranSection(_Strict):
    permutations: int = Field(default=999, ge=0)
    seed: int = 20241
    transform: Transform | None = Field(
        default=None,
        description="weights transformation for this statistic (r row-standardised, b binary, "
        "none as given); default weights.transform",
    )


class MoranRateSection(_Strict):
    """Moran's I of rates events/population, empirical-Bayes standardised (Assunção–Reis)."""

    events: str = Field(description="data column of event counts (the rates' numerators)")
    population: str = Field(description="data column of the population at risk")
    permutations: int = Field(default=999, ge=0)
    seed: int = 20241
    adjusted: bool = Field(
        default=True,
        description="Assunção–Reis adjustment of the EB variance (esda Moran_Rate default)",
    )
    transform: Transform | None = None


class MoranBVSection(_Strict):
    """Bivariate Moran's I of data.value against the spatial lag of another column."""

    other: str = Field(
        description="data column whose spatial lag is compared with data.value "
        "(esda Moran_BV(x=value, y=other))"
    )
    permutations: int = Field(default=999, ge=0)
    seed: int = 20241
    transform: Transform | None = None


class LocalMoranSection(_Strict):
    period: int | str | Literal["last"] = "last"
    permutations: int = Field(default=999, ge=99)
    seed: int = 20241
    quadrant_scheme: Literal["pysal", "geoda"] = "pysal"
    alpha: float = Field(default=0.05, gt=0, lt=1)


class LocalMoranBVSection(_Strict):
    """Local bivariate Moran (LISA) of data.value against the lag of another column."""

    other: str = Field(
        description="data column whose spatial lag is used (esda Moran_Local_BV's y)"
    )
    period: int | str | Literal["last"] = "last"
    permutations: int = Field(default=999, ge=99)
    seed: int = 20241
    quadrant_scheme: Literal["pysal", "geoda"] = "pysal"
    alpha: float = Field(default=0.05, gt=0, lt=1)
    transform: Transform | None = None


class MobilitySection(_Strict):
    """Mobility indices of the traditional Markov chain (Prais, Shorrocks, Bartholomew)."""

    initial: list[float] | None = Field(
        default=None,
        description="initial class distribution for Bartholomew's indices, one share per "
        "Markov class; default uniform (giddy markov_mobility)",
    )

    @model_validator(mode="after")
    def _a_distribution(self) -> MobilitySection:
        shares = self.initial
        if shares is not None and (min(shares) < 0 or abs(sum(shares) - 1.0) > 1e-9):
            raise ValueError(
                f"initial must be non-negative shares summing to 1, got {shares} "
                f"(sum {sum(shares):g})"
            )
        return self


class SigmaSection(_Strict):
    measure: Literal["cv", "sd_log", "sd"] = "cv"
    ddof: int = Field(default=0, ge=0, le=1)


class BetaSection(_Strict):
    kind: Literal["absolute", "conditional"] = "absolute"
    controls: list[str] = Field(default_factory=list)
    cov: Literal["clustered", "robust", "unadjusted"] = "clustered"


class Analyses(_Strict):
    gini: GiniSection | None = None
    dagum: GiniSection | None = None
    theil: TheilSection | None = None
    kde: KDESection | None = None
    markov: MarkovSection | None = None
    spatial_markov: SpatialMarkovSection | None = None
    moran: MoranSection | None = None
    local_moran: LocalMoranSection | None = None
    moran_rate: MoranRateSection | None = None
    moran_bv: MoranBVSection | None = None
    local_moran_bv: LocalMoranBVSection | None = None
    mobility: MobilitySection | None = None
    sigma: SigmaSection | None = None
    beta: BetaSection | None = None


class AnalyzeConfig(ConfigDocument):
    title: str = "区域差异与动态演进"
    data: AnalyzeData
    periods: PeriodRange | None = None
    weights: WeightsSection | None = None
    analyses: Analyses
    quality: QualitySection = Field(default_factory=QualitySection)
    output: OutputSection = Field(default_factory=lambda: OutputSection(dir="out/nqpf-analyze"))


def parse_analyze_config(
    source: str | Mapping[str, Any],
    *,
    filename: str = "config.yaml",
    base_dir: Path | None = None,
) -> AnalyzeConfig:
    """Read an ``nqpf analyze run`` config from YAML text or a mapping.

    Parameters are those of :func:`~nqpf.services.index_config.parse_index_config`.
    Besides the keys themselves, an analysis that needs another section (Dagum and Theil
    need ``data.group``; spatial analyses need ``weights``) is refused here, naming the
    line of the analysis.
    """
    text = yaml_text(source)
    cfg = parse_config(AnalyzeConfig, text, filename=filename, base_dir=base_dir)
    _check_requirements(cfg, text, filename)
    return cfg


#: Analyses that need the ``weights`` section.
SPATIAL_ANALYSES = (
    "spatial_markov",
    "moran",
    "local_moran",
    "moran_rate",
    "moran_bv",
    "local_moran_bv",
)


def _check_requirements(cfg: AnalyzeConfig, text: str, filename: str) -> None:
    """Keys that one analysis needs from another section, named with the section to add."""
    a = cfg.analyses
    grouped = [n for n in ("dagum", "theil") if getattr(a, n) is not None]
    spatial = [n for n in SPATIAL_ANALYSES if getattr(a, n) is not None]
    if a.mobility is not None and a.markov is None:
        needs, field = "mobility needs analyses.markov", "analyses.markov"
        hint, first = "the chain whose mobility is measured, e.g. markov: {k: 4}", "mobility"
    elif grouped and cfg.data.group is None:
        needs, field = f"{' and '.join(grouped)} need data.group", "data.group"
        hint, first = "the column of region groups, e.g. region", grouped[0]
    elif spatial and cfg.weights is None:
        needs, field = f"{', '.join(spatial)} need a weights section", "weights"
        hint, first = "e.g. weights: {kind: province_contiguity}", spatial[0]
    else:
        return
    line = key_line(compose_yaml(text, filename)[0], f"analyses.{first}")
    raise ConfigError(f"line {line}: {needs} ({hint})", file=filename, field=field)


def dump_analyze_config(
    cfg: AnalyzeConfig,
    out: Path | None = None,
    formats: Sequence[str] | None = None,
    report: bool | None = None,
) -> str:
    """The effective configuration as YAML, with the output actually written.

    As :func:`~nqpf.services.index_config.dump_config`: paths of a config file are made
    absolute; ``out``, ``formats`` and ``report`` default to the config's own.
    """
    data = cfg.model_dump(mode="json", by_alias=True, exclude={"base_dir"}, exclude_none=True)
    data["data"]["path"] = absolute(cfg, cfg.data.path)
    if cfg.weights is not None and cfg.weights.path:
        data["weights"]["path"] = absolute(cfg, cfg.weights.path)
    data["output"] = {
        "dir": absolute(cfg, cfg.output.dir) if out is None else str(out),
        "formats": list(cfg.output.formats if formats is None else formats),
        "report": cfg.output.report if report is None else report,
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
