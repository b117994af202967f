"""The configuration of ``nqpf index run``: data, indicator system, methods, outputs.

One YAML document makes a run reproducible.  Unknown keys are errors (a misspelt option
must not be silently ignored), and every error names the key and its line.  The config
is parsed from text (:func:`parse_index_config`), so a file and an upload read the same
way; :func:`dump_config` writes the effective config back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import ConfigDict, Field, model_validator

from nqpf._datafile import StrictModel as _Strict
from nqpf.io.yamlfile import load_yaml_model

C = TypeVar("C", bound="ConfigDocument")


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


class SparkSection(_Strict):
    """Where ``engine: spark`` runs (docs/engines.md)."""

    master: str = Field(
        default="local[2]",
        description="local[n] (this machine), spark://host:7077, yarn or k8s://https://host:port",
    )
    driver_memory: str = Field(default="1g", description="spark.driver.memory of a new session")


class DuckDBSection(_Strict):
    """How ``engine: duckdb`` runs (docs/engines.md)."""

    memory_limit: str = Field(
        default="768MB",  # nqpf.engines.sessions.DEFAULT_DUCKDB_MEMORY: measured, see there
        description="DuckDB's memory cap, e.g. 768MB or 2GiB (KB/MB/GB/TB or KiB/MiB/GiB/TiB); "
        "beyond it DuckDB spills to a temporary folder",
    )
    threads: int | None = Field(
        default=None, ge=1, description="DuckDB's worker threads (default: one per core)"
    )


Policy = Literal["error", "warn", "fix"]


class QualitySection(_Strict):
    """Data-quality checks on load and what to do about each finding.

    ``error`` stops the run naming the cells, ``warn`` goes on and says so, ``fix``
    applies the documented fix and lists it; every finding is in ``quality.html`` and
    ``quality.xlsx`` beside the outputs (see :class:`nqpf.io.quality.QualityPolicy`).
    """

    thousands: Policy = Field(default="fix", description="numbers such as 2,572.35")
    percent: Policy = Field(default="fix", description="numbers such as 12% (read as 0.12)")
    fullwidth: Policy = Field(default="fix", description="full-width digits such as １２３")
    period_labels: Policy = Field(default="fix", description="period labels such as 2023年")
    duplicates: Literal["error", "fix"] = Field(
        default="error", description="fix drops rows repeating an earlier row exactly"
    )
    unbalanced: Policy = Field(
        default="warn", description="fix keeps only the units present in every period"
    )
    constant: Literal["error", "warn"] = "warn"
    negative: Literal["error", "warn"] = Field(
        default="error", description="negative values where a method needs positive ones"
    )
    outliers: Policy = Field(default="warn", description="fix clips them to the fences")
    outlier_rule: Literal["mad", "iqr"] = Field(
        default="mad", description="mad: median ± k·1.4826·MAD; iqr: Tukey's fences"
    )
    outlier_k: float | None = Field(
        default=None, gt=0, description="k of the rule; default 3.5 (mad) or 3 (iqr)"
    )
    outlier_scope: Literal["pooled", "per_period"] = "pooled"


class PeriodRange(_Strict):
    start: int | str | None = Field(default=None, alias="from")
    end: int | str | None = Field(default=None, alias="to")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ConfigDocument(_Strict):
    """A run configuration and the folder its relative paths resolve against."""

    #: Folder of the config file; ``None`` for a config given as text, which then names
    #: no file the services may read (its data come with the run).
    base_dir: Path | None = Field(default=None, exclude=True)

    def resolve(self, path: str) -> Path:
        """``path`` as the config means it: relative paths lie in the config's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() or self.base_dir is None else self.base_dir / p


def absolute(cfg: ConfigDocument, path: str) -> str:
    """``path`` made absolute when the config came from a file; as written otherwise."""
    return str(cfg.resolve(path).resolve()) if cfg.base_dir is not None else path


def parse_config(
    model: type[C],
    source: str | Mapping[str, Any],
    *,
    filename: str = "config.yaml",
    base_dir: Path | None = None,
) -> C:
    """Validate YAML text (or a mapping, e.g. a web form) as ``model``.

    Errors name ``filename``, the key path and its line; a mapping is checked as its YAML
    rendering, so its key paths are exact and its lines those of that rendering.
    """
    cfg = load_yaml_model(filename, model, text=yaml_text(source))
    return cfg.model_copy(update={"base_dir": base_dir})


def yaml_text(source: str | Mapping[str, Any]) -> str:
    """YAML text as given, or a mapping rendered as YAML."""
    if isinstance(source, str):
        return source
    return yaml.safe_dump(dict(source), allow_unicode=True, sort_keys=False)


class IndexConfig(ConfigDocument):
    """A whole ``nqpf index run`` configuration."""

    title: str = "新质生产力综合指数"
    data: DataSection
    system: str = Field(description="shipped system id or path to a system YAML file")
    periods: PeriodRange | None = None
    fit_periods: PeriodRange | None = Field(
        default=None, description="base periods that fix weights and extremes (default: all)"
    )
    method: MethodSection = Field(default_factory=MethodSection)
    quality: QualitySection = Field(default_factory=QualitySection)
    coupling: CouplingSection | None = None
    obstacle: ObstacleSection = Field(default_factory=ObstacleSection)
    output: OutputSection = Field(default_factory=OutputSection)
    engine: Literal["local", "duckdb", "spark"] = Field(
        default="local",
        description="local: in memory; duckdb: files larger than memory on one machine; "
        "spark: a Spark cluster (or local mode)",
    )
    spark: SparkSection | None = None
    duckdb: DuckDBSection | None = None

    def with_engine(
        self,
        engine: str | None = None,
        master: str | None = None,
        duckdb_memory_limit: str | None = None,
    ) -> IndexConfig:
        """This config with the engine (and Spark master, DuckDB memory cap) a door chose
        over the file's."""
        update: dict[str, Any] = {}
        if engine is not None:
            update["engine"] = engine
        if master is not None:
            update["spark"] = (self.spark or SparkSection()).model_copy(update={"master": master})
        if duckdb_memory_limit is not None:
            section = self.duckdb or DuckDBSection()
            update["duckdb"] = section.model_copy(update={"memory_limit": duckdb_memory_limit})
        return self.model_copy(update=update) if update else self


def parse_index_config(
    source: str | Mapping[str, Any],
    *,
    filename: str = "config.yaml",
    base_dir: Path | None = None,
) -> IndexConfig:
    """Read an ``nqpf index run`` config from YAML text or a mapping.

    Parameters
    ----------
    source
        The YAML document, or the same keys as a mapping.
    filename
        Name used in error messages.
    base_dir
        Folder that relative paths (data, system file, output) resolve against: the
        config file's folder.  ``None`` (text from an upload) names no readable file.

    Raises
    ------
    ConfigError
        Naming the file, the key path and its line.
    """
    return parse_config(IndexConfig, source, filename=filename, base_dir=base_dir)


def dump_config(
    cfg: IndexConfig, *, output_dir: Path | None = None, formats=None, report=None
) -> str:
    """The effective configuration as YAML, written next to the outputs for reproducibility.

    Paths of a config file are made absolute (the copy lives in the output folder, not
    beside the original config), and the output folder, formats and report switch
    actually used are recorded.
    """
    data = cfg.model_dump(mode="json", by_alias=True, exclude={"base_dir"})
    data["data"]["path"] = absolute(cfg, cfg.data.path)
    system_file = cfg.resolve(cfg.system)
    if (
        cfg.base_dir is not None
        and system_file.suffix in (".yaml", ".yml")
        and system_file.exists()
    ):
        data["system"] = absolute(cfg, cfg.system)
    out = data["output"]
    out["dir"] = absolute(cfg, cfg.output.dir) if output_dir is None else str(output_dir.resolve())
    if formats is not None:
        out["formats"] = list(formats)
    if report is not None:
        out["report"] = bool(report)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
