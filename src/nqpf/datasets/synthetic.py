"""Seeded synthetic province-year panels for demos, docs and tests.

No Chinese provincial statistical panel ships offline, so nqpf generates one.  The values
have a plausible *structure* — regional gaps, a common trend, province and indicator
effects, persistent shocks, noise — and plausible *kinds* of value (shares in 0–100,
positive right-skewed levels), but they are never calibrated to real statistics.  Every
panel carries :data:`SYNTHETIC_LABEL` in ``DataFrame.attrs["nqpf_synthetic"]``, and
callers must show it wherever the data appears.

The generator
-------------
For province :math:`p`, year :math:`t` and indicator :math:`k` in dimension :math:`d`:

.. math::

    L_{pt} &= a_p + g_p\\,\\tau\\,(t - 2012) + r_{pt},
        \\qquad r_{pt} = \\rho\\, r_{p,t-1} + \\sigma_r \\varepsilon_{pt} \\\\
    z_{ptk} &= s_k \\lambda_k \\bigl(L_{pt} + b_{pd} + h_d (t - 2012)\\bigr)
        + u_{pk} + \\sigma_k e_{ptk}

with :math:`a_p` a latent level centred on the region's (东部 highest, 西部 and 东北 lowest),
:math:`g_p` a province growth multiplier, :math:`b_{pd}` a province's strength in one
dimension, :math:`s_k = \\pm 1` the indicator's direction (so cost indicators such as
energy intensity fall over time and are lower in richer provinces), :math:`\\lambda_k` a
loading and :math:`u_{pk}` a persistent province-indicator effect.  :math:`z` is mapped
to the indicator's kind of value by a monotone transform chosen from its unit: a logistic
share for ``%``, a narrow level for ``年`` (years of schooling), a right-skewed positive
level (lognormal) for everything else.

Random streams are keyed by ``(seed, what, year or indicator id)``, so that selecting
fewer provinces, appending later years (same first year) or reusing an indicator id in
another system does not reshuffle the values that are already there.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from nqpf.datasets import load_regions
from nqpf.exceptions import DataValidationError
from nqpf.systems import IndicatorSystem, load_system

__all__ = ["SYNTHETIC_LABEL", "make_demo_panel"]

#: Label that must accompany synthetic data wherever it is shown (data.md §1).
SYNTHETIC_LABEL = "示例数据，非真实统计"

#: Latent level of each region, in standard deviations of the latent factor.
_REGION_LEVEL = {"东部": 0.7, "中部": 0.0, "西部": -0.35, "东北": -0.25}
_BASE_YEAR = 2012  # trend origin; fixed so that the years chosen do not move the levels
_TREND = 0.09  # common latent growth per year
_AR_RHO, _AR_SIGMA = 0.6, 0.12  # persistent province shocks (gives Markov chains churn)

# Stream tags: one independent random stream per kind of quantity.
_PROVINCE, _SHOCK, _DIMENSION, _INDICATOR, _NOISE, _MISSING = range(6)

ProvinceSpec = str | Iterable[str | int]


def _key(text: str) -> int:
    # A stable integer for a name (hash() is salted per process; crc32 is not).
    return zlib.crc32(text.encode("utf-8"))


def _stream(seed: int, *parts: int) -> np.random.Generator:
    return np.random.default_rng([seed, *parts])


def make_demo_panel(
    system: str | os.PathLike[str] | IndicatorSystem = "nqpf-three-factor",
    *,
    years: Iterable[int] = range(2012, 2024),
    provinces: ProvinceSpec = "all",
    seed: int = 20241,
    missing_rate: float = 0.0,
) -> pd.DataFrame:
    """Generate a synthetic province-year panel for an indicator system.

    Parameters
    ----------
    system
        A shipped system id, the path of a system YAML file, or an
        :class:`~nqpf.systems.IndicatorSystem`.
    years
        Years to generate, e.g. ``range(2012, 2024)`` (12 years).
    provinces
        ``"all"`` (the 31 mainland provinces), ``"30"`` (all but 西藏, as most NQPF
        studies use), or an iterable of 2-digit NBS codes (``"11"`` or ``11``) or Chinese
        short names (``"北京"``).
    seed
        Non-negative integer; the same seed (and arguments) give identical output.  It is
        recorded in ``attrs["nqpf_synthetic"]``.
    missing_rate
        Fraction of indicator cells to blank (set to NaN), in ``[0, 1]``; exactly
        ``round(missing_rate * n_cells)`` cells are blanked, chosen at random from their
        own stream, so the values that remain are those of ``missing_rate=0``.

    Returns
    -------
    pandas.DataFrame
        Wide by indicator: ``province_code`` (str), ``province`` (Chinese short name),
        ``region`` (东部 / 中部 / 西部 / 东北), ``year`` (int), then one float column per
        indicator id in system order.  Rows are sorted by code, then year.
        ``attrs["nqpf_synthetic"]`` is ``"示例数据，非真实统计 (seed=…)"`` and
        ``attrs["nqpf_system"]`` names the system id and version.

    Raises
    ------
    DataValidationError
        For unknown provinces, empty or repeated years, a bad seed or missing rate.
    SystemDefinitionError
        If ``system`` cannot be loaded.

    Notes
    -----
    The model is described in the module docstring.  Values are positive; ``%``
    indicators lie strictly between 0 and 100.  They are not calibrated to, and must
    never be presented as, real statistics.

    Examples
    --------
    >>> df = make_demo_panel()
    >>> df.shape
    (372, 22)
    >>> df.columns[:5].tolist()
    ['province_code', 'province', 'region', 'year', 'edu_years']
    >>> df.attrs["nqpf_synthetic"]
    '示例数据，非真实统计 (seed=20241)'
    >>> make_demo_panel(seed=1).equals(make_demo_panel(seed=1))
    True
    """
    sys_ = system if isinstance(system, IndicatorSystem) else load_system(system)
    year_arr = _check_years(years)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DataValidationError(f"expected a non-negative integer, got {seed!r}", field="seed")
    seed = int(seed)
    if isinstance(missing_rate, bool) or not (
        isinstance(missing_rate, int | float | np.number) and 0 <= missing_rate <= 1
    ):
        raise DataValidationError(
            f"expected a fraction between 0 and 1, got {missing_rate!r}", field="missing_rate"
        )

    regions = load_regions()
    rows = _select_provinces(regions, provinces)
    values = _simulate(sys_, regions, year_arr, seed)[rows]  # (P, T, K)

    n_prov, n_year, n_ind = values.shape
    chosen = regions.iloc[rows]
    frame = pd.DataFrame(
        {
            "province_code": np.repeat(chosen["code"].to_numpy(dtype=object), n_year),
            "province": np.repeat(chosen["name"].to_numpy(dtype=object), n_year),
            "region": np.repeat(chosen["region"].to_numpy(dtype=object), n_year),
            "year": np.tile(year_arr, n_prov).astype(np.int64),
        }
    )
    block = values.reshape(n_prov * n_year, n_ind)
    if missing_rate > 0:
        n_missing = round(float(missing_rate) * block.size)
        flat = _stream(seed, _MISSING).choice(block.size, size=n_missing, replace=False)
        block = block.copy()
        block.ravel()[flat] = np.nan
    data = pd.DataFrame(block, columns=sys_.indicator_ids)
    frame = pd.concat([frame, data], axis=1)
    frame.attrs["nqpf_synthetic"] = f"{SYNTHETIC_LABEL} (seed={seed})"
    frame.attrs["nqpf_system"] = f"{sys_.id} {sys_.version}"
    return frame


def _check_years(years: Iterable[int]) -> np.ndarray:
    try:
        items = list(years)
    except TypeError:
        raise DataValidationError(
            f"expected an iterable of years such as range(2012, 2024), got {years!r}",
            field="years",
        ) from None
    if not items:
        raise DataValidationError("expected at least one year", field="years")
    bad = [y for y in items if isinstance(y, bool) or not isinstance(y, int | np.integer)]
    if bad:
        raise DataValidationError(f"expected integer years, got {bad[0]!r}", field="years")
    arr = np.array(items, dtype=np.int64)
    if len(np.unique(arr)) != len(arr):
        raise DataValidationError("years must not repeat", field="years")
    return np.sort(arr)


def _select_provinces(regions: pd.DataFrame, provinces: ProvinceSpec) -> np.ndarray:
    """Row positions in ``regions`` (sorted by code) of the requested provinces."""
    codes = regions["code"].tolist()
    if isinstance(provinces, str):
        if provinces == "all":
            return np.arange(len(codes))
        if provinces == "30":
            return np.array([i for i, c in enumerate(codes) if c != "54"])
        # A lone string is more likely a mistake than a one-province panel.
        raise DataValidationError(
            f"expected 'all', '30' or a list of province codes or names, got {provinces!r}",
            field="provinces",
        )
    by_name = dict(zip(regions["name"], codes, strict=True))
    by_name.update(zip(regions["full_name"], codes, strict=True))
    wanted = []
    for item in provinces:
        key = f"{item:02d}" if isinstance(item, int | np.integer) else str(item).strip()
        code = key if key in codes else by_name.get(key)
        if code is None:
            raise DataValidationError(
                f"unknown province {item!r}; expected a 2-digit NBS code ('11' … '65') "
                "or a Chinese name such as '北京'",
                field="provinces",
            )
        if code in wanted:
            raise DataValidationError(f"province {item!r} is listed twice", field="provinces")
        wanted.append(code)
    if not wanted:
        raise DataValidationError("expected at least one province", field="provinces")
    # Keep the table's code order so that the output layout does not depend on input order.
    return np.array(sorted(codes.index(c) for c in wanted))


def _simulate(
    system: IndicatorSystem, regions: pd.DataFrame, years: np.ndarray, seed: int
) -> np.ndarray:
    """Values for all 31 provinces, shape (31, len(years), n_indicators)."""
    n_prov = len(regions)
    t = (years - _BASE_YEAR).astype(float)

    # Province latent level, growth and persistent shocks.
    rng = _stream(seed, _PROVINCE)
    base = regions["region"].map(_REGION_LEVEL).to_numpy(dtype=float)
    level = base + 0.35 * rng.standard_normal(n_prov)
    growth = np.exp(0.25 * rng.standard_normal(n_prov))
    shocks = np.empty((n_prov, len(years)))
    for j, year in enumerate(years):
        eps = _stream(seed, _SHOCK, int(year)).standard_normal(n_prov)
        if j == 0:  # start from the stationary distribution of the AR(1)
            shocks[:, j] = eps * _AR_SIGMA / np.sqrt(1 - _AR_RHO**2)
        else:
            shocks[:, j] = _AR_RHO * shocks[:, j - 1] + _AR_SIGMA * eps
    latent = level[:, None] + growth[:, None] * _TREND * t[None, :] + shocks

    # Dimension-specific province strengths and trends, so dimension sub-indices differ.
    dim_effect: dict[str, np.ndarray] = {}
    for dim in system.dimensions:
        rng = _stream(seed, _DIMENSION, _key(dim.name))
        strength = 0.3 * rng.standard_normal(n_prov)
        extra_trend = rng.uniform(-0.02, 0.03)
        dim_effect[dim.name] = strength[:, None] + extra_trend * t[None, :]

    out = np.empty((n_prov, len(years), len(system.indicators)))
    for k, ind in enumerate(system.indicators):
        rng = _stream(seed, _INDICATOR, _key(ind.id))
        loading = rng.uniform(0.55, 1.0)
        own = 0.3 * rng.standard_normal(n_prov)
        noise_sd = rng.uniform(0.1, 0.25)
        noise = np.stack(
            [_stream(seed, _NOISE, int(y), _key(ind.id)).standard_normal(n_prov) for y in years],
            axis=1,
        )
        dim = system.dimension_of[ind.id]
        z = ind.sign * loading * (latent + dim_effect[dim]) + own[:, None] + noise_sd * noise
        out[:, :, k] = _to_unit(z, ind.unit, rng)
    return out


def _to_unit(z: np.ndarray, unit: str, rng: np.random.Generator) -> np.ndarray:
    """Map the latent score to a positive value of a plausible kind for the unit.

    Each transform is increasing in ``z``, so the direction built into ``z`` survives.
    Values are rounded to 4 decimals, which keeps CSV output readable and every value
    well above zero.
    """
    unit = unit.strip()
    if unit in ("%", "％"):
        centre, slope = rng.uniform(-3.5, 0.5), rng.uniform(0.5, 0.8)
        value = 100.0 / (1.0 + np.exp(-(centre + slope * z)))
    elif unit == "年":
        value = rng.uniform(8.5, 10.0) * np.exp(0.07 * z)
    elif unit == "指数":
        value = 10 ** rng.uniform(1.8, 2.5) * np.exp(0.3 * z)
    else:
        value = 10 ** rng.uniform(0.0, 4.0) * np.exp(rng.uniform(0.35, 0.6) * z)
    return np.round(value, 4)
