"""The configuration file of ``nqpf index run``: data, indicator system, methods, outputs.

One YAML file makes a run reproducible.  Unknown keys are errors (a misspelt option must
not be silently ignored), and every error names the key and its line in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSection(_Strict):
    """Where the panel is and how to read it."""

    path: str = Field(description="CSV, XLSX or Parquet file, relative to the config file")
    entity: str = Field(description="column naming the unit (province, city, firm)")
    period: str = Field(description="column naming the period (year)")
    layout: Literal["wide", "long"] = "wide"
    sheet: str | None = None
    indicator_col: str = "indicator"
    value_col: str = "value"
    keep: list[str] = Field(default_factory=list, description="id columns carried to outputs")
    missing: Literal["error", "interpolate", "fill"] = "error"
    fill_value: float | None = None
    synthetic: bool = Field(
        default=False, description="label every output 示例数据，非真实统计 (demo data)"
    )

    @model_validator(mode="after")
    def _fill_needs_value(self) -> DataSection:
        if self.missing == "fill" and self.fill_value is None:
            raise ValueError("missing='fill' needs fill_value")
        return self


class NormalizationSection(_Strict):
    shift: float | None = Field(default=None, ge=0, description="zero shift; default 1e-4")
    rescale: float | tuple[float, float] | None = None
    extremes: Literal["pooled", "per_period"] = "pooled"
    constant: Literal["error", "zero"] = "error"


class CombineSection(_Strict):
    objective: Literal["entropy", "critic", "cv"] = "entropy"
    method: Literal["linear", "multiplicative", "game", "game_linear"] = "linear"
    alpha: float = Field(default=0.5, ge=0, le=1)


class MethodSection(_Strict):
    normalization: NormalizationSection = Field(default_factory=NormalizationSection)
    weighting: Literal["entropy", "critic", "cv", "equal", "given", "ahp", "combined"] = "entropy"
    weighting_options: dict[str, Any] = Field(default_factory=dict)
    weights: dict[str, float] | None = None
    ahp: list[list[float]] | dict[str, list[list[float]]] | None = None
    ahp_method: Literal["eigenvector", "geometric", "arithmetic"] = "eigenvector"
    combine: CombineSection | None = None
    aggregation: Literal["weighted_sum", "topsis", "grey", "gra_topsis"] = "weighted_sum"
    ideal: Literal["global", "per_period"] = "global"
    rho: float = Field(default=0.5, gt=0, le=1)
    scale: float = Field(default=1.0, gt=0)


class CouplingSection(_Strict):
    """Coupling coordination between the system's top-level dimensions (subsystems)."""

    method: Literal["standard", "modified"] = "standard"
    closed: Literal["right", "left"] = "right"
    zero: Literal["error", "zero"] = "error"
    weights: dict[str, float] | None = None
    subsystem_scores: Literal["refit", "renormalize"] = Field(
        default="refit",
        description=(
            "refit: evaluate each subsystem on its own indicators with the same method "
            "(as the literature does); renormalize: reuse the global weights rescaled "
            "within each subsystem"
        ),
    )


class ObstacleSection(_Strict):
    top_k: int = Field(default=3, ge=1)


class OutputSection(_Strict):
    dir: str = "out/nqpf-index"
    formats: list[Literal["xlsx", "csv", "parquet"]] = Field(
        default_factory=lambda: ["xlsx", "csv"]
    )
    report: bool = True


class PeriodRange(_Strict):
    start: int | str | None = Field(default=None, alias="from")
    end: int | str | None = Field(default=None, alias="to")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class IndexConfig(_Strict):
    """A whole ``nqpf index run`` configuration."""

    title: str = "新质生产力综合指数"
    data: DataSection
    system: str = Field(description="shipped system id or path to a system YAML file")
    periods: PeriodRange | None = None
    fit_periods: PeriodRange | None = Field(
        default=None, description="base periods that fix weights and extremes (default: all)"
    )
    method: MethodSection = Field(default_factory=MethodSection)
    coupling: CouplingSection | None = None
    obstacle: ObstacleSection = Field(default_factory=ObstacleSection)
    output: OutputSection = Field(default_factory=OutputSection)

    #: Folder of the config file; relative paths resolve against it.
    base_dir: Path = Field(default=Path("."), exclude=True)

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p
