"""The configuration file of ``nqpf analyze run``: regional disparity and dynamics of one variable.

The usual chain after a composite index (methods.md §10–15): Gini and the Dagum
decomposition by region, Theil, kernel density over years, traditional and spatial Markov
chains, global and local Moran's I, σ- and β-convergence.  Every analysis is optional; an
absent section is not run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nqpf.services.index_config import OutputSection, PeriodRange


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    pass


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


class MoranSection(_Strict):
    permutations: int = Field(default=999, ge=0)
    seed: int = 20241


class LocalMoranSection(_Strict):
    period: int | str | Literal["last"] = "last"
    permutations: int = Field(default=999, ge=99)
    seed: int = 20241
    quadrant_scheme: Literal["pysal", "geoda"] = "pysal"
    alpha: float = Field(default=0.05, gt=0, lt=1)


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
    sigma: SigmaSection | None = None
    beta: BetaSection | None = None


class AnalyzeConfig(_Strict):
    title: str = "区域差异与动态演进"
    data: AnalyzeData
    periods: PeriodRange | None = None
    weights: WeightsSection | None = None
    analyses: Analyses
    output: OutputSection = Field(default_factory=lambda: OutputSection(dir="out/nqpf-analyze"))
    base_dir: Path = Field(default=Path("."), exclude=True)

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p
