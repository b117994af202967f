"""Which ``index run`` options the duckdb and spark engines support, checked before compute.

The engines run the row-wise steps as lazy expressions; a method that needs all of a
column's values in one place, or an order of rows the expressions cannot see, stays with
the local engine.  Every refusal names the key, why, and what to write instead.
"""

from __future__ import annotations

from typing import Any

from nqpf.exceptions import ConfigError

#: Option values the duckdb and spark engines run, by config key (docs/engines.md).
SUPPORTED = {
    "data.layout": ("wide",),
    "data.missing": ("error", "fill"),
    "method.weighting": ("entropy", "cv", "equal", "given", "ahp", "combined"),
    "method.combine.objective": ("entropy", "cv"),
    "method.weighting_options.scope": ("pooled",),
    "method.aggregation": ("weighted_sum", "topsis"),
    "quality.unbalanced": ("error", "warn"),
    "quality.outliers": ("warn",),
}

#: Why an option is not on the engines: what it would need that lazy row-wise
#: expressions do not give.
_WHY = {
    "data.layout": "a long table must be pivoted to one column per indicator, and no lazy "
    "engine pivots",
    "data.missing": "interpolation runs along each unit's ordered periods, in one place",
    "method.weighting": "CRITIC needs the full correlation matrix of the indicators",
    "method.combine.objective": "CRITIC needs the full correlation matrix of the indicators",
    "method.weighting_options.scope": "per-period weights are not comparable across periods "
    "and are left to the local engine",
    "method.aggregation": "grey relational grades need the two-level Δmin/Δmax of every "
    "unit against the reference series, fixed on the local engine",
    "quality.unbalanced": "fix drops units missing a period, which needs every unit's "
    "periods in one place",
    "quality.outliers": "the engines do not look for outliers (median ± k·MAD needs exact "
    "medians of every column in one place); their data_quality table says so",
}


def _value(cfg: Any, key: str) -> Any:
    if key == "method.combine.objective":
        m = cfg.method
        return m.combine.objective if m.weighting == "combined" and m.combine else None
    if key == "method.weighting_options.scope":
        return cfg.method.weighting_options.get("scope", "pooled")
    value = cfg
    for part in key.split("."):
        value = getattr(value, part)
    return value


def check_supported(cfg: Any, engine: str) -> None:
    """Refuse a config option the engine does not run, before anything is read.

    Raises
    ------
    ConfigError
        Naming the key, the engines' choices, why, and ``--engine local`` as the way out.
    """
    for key, allowed in SUPPORTED.items():
        value = _value(cfg, key)
        if value is None or value in allowed:
            continue
        raise ConfigError(
            f"{key}: {value} does not run on engine {engine} ({_WHY[key]}); use one of "
            f"{', '.join(allowed)}, or run with --engine local",
            field=key,
            zh=f"{key}: {value} 不能在计算引擎 {engine} 上运行：可选 {'、'.join(allowed)}，"
            "或使用 --engine local",
        )
    options = set(cfg.method.weighting_options) - {"scope"}
    if options:
        key = f"method.weighting_options.{sorted(options)[0]}"
        raise ConfigError(
            f"{key} does not run on engine {engine} (the engines compute the documented "
            "defaults); remove it, or run with --engine local",
            field=key,
            zh=f"{key} 不能在计算引擎 {engine} 上运行：请删除，或使用 --engine local",
        )
