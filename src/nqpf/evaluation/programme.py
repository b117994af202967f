"""Programme level (面/线): how a set of enterprises moved from T0 to T1.

:func:`programme_effects` summarises paired outcomes (total score, dimension points, a KPI)
of any set of enterprises — a region, a chain, an industry, a programme cohort: the share
improving, mean and median change with seeded bootstrap intervals, and, given the levels,
the T0 → T1 level transition matrix estimated by the Markov engine
(:func:`nqpf.disparity.markov`).  These are descriptions of change, not effects: the
change of served enterprises mixes the programme with the trend, which
:func:`nqpf.evaluation.did` separates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary, pick_table

if TYPE_CHECKING:  # the disparity package is imported when a programme is evaluated
    from nqpf.disparity.markov import MarkovResult

__all__ = ["LEVEL_NAMES", "ProgrammeResult", "bootstrap_ci", "programme_effects"]

#: Chinese names of the assessment levels (0 = not yet level one).
LEVEL_NAMES = ("未达一级", "一级", "二级", "三级", "四级")
_CELLS = 20_000_000  # bootstrap indices drawn per chunk (160 MB of int64)


def _statistics(d: np.ndarray, gain: float) -> tuple[float, float, float]:
    return float(d.mean()), float(np.median(d)), float((d > gain).mean())


def bootstrap_ci(
    samples: Sequence[np.ndarray],
    statistics: Any,
    *,
    n_boot: int = 2000,
    ci: float = 0.95,
    rng: Any = None,
) -> np.ndarray:
    """Percentile bootstrap intervals of statistics of paired samples, resampling units.

    Parameters
    ----------
    samples
        Arrays of the same length n (one value per unit); every resample draws the same
        units for all of them, so statistics of several outcomes stay paired.
    statistics
        ``f(*resampled, axis=-1) -> (m, n_boot)`` array of m statistics per resample
        (each resampled array has shape ``(n_boot_chunk, n)``).
    n_boot
        Number of bootstrap resamples (>= 1).
    ci
        Confidence level of the interval, in (0, 1).
    rng
        ``numpy.random.Generator``, int seed or None.

    Returns
    -------
    ndarray, shape (m, 2)
        Lower and upper bound of each statistic's interval.

    Notes
    -----
    Unit indices are drawn as ``rng.integers(0, n, (n_boot, n))`` (in chunks of rows for
    large n) and the bounds are the (1 − ci)/2 and (1 + ci)/2 percentiles (linear
    interpolation) of the bootstrap statistics: the percentile interval of Efron &
    Tibshirani (1993, ch. 13), drawn as ``scipy.stats.bootstrap(method="percentile")``
    draws, so the two agree for the same seed when n · n_boot fits one chunk.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise DataValidationError(
            f"n_boot must be an integer >= 1, got {n_boot!r}",
            field="n_boot",
            zh=f"自助抽样次数应为不小于 1 的整数，收到 {n_boot!r}",
        )
    if not 0 < float(ci) < 1:
        raise DataValidationError(
            f"ci must be in (0, 1), got {ci!r}",
            field="ci",
            zh=f"置信水平应在 0 与 1 之间，收到 {ci!r}",
        )
    from nqpf.disparity.crand import as_rng

    gen = as_rng(rng)
    n = len(samples[0])
    rows = max(1, _CELLS // max(n, 1))
    parts = []
    done = 0
    while done < n_boot:
        b = min(rows, n_boot - done)
        idx = gen.integers(0, n, (b, n))
        parts.append(np.asarray(statistics(*(s[idx] for s in samples), axis=-1), dtype=float))
        done += b
    theta = np.concatenate(parts, axis=-1)
    alpha = (1 - float(ci)) / 2
    lo = np.percentile(theta, 100 * alpha, axis=-1)
    hi = np.percentile(theta, 100 * (1 - alpha), axis=-1)
    return np.column_stack([lo, hi])


@dataclass(frozen=True, eq=False)
class ProgrammeResult(Result):
    """T0 → T1 change of a set of enterprises.

    Attributes
    ----------
    outcomes
        One row per outcome: ``outcome``, ``n_pairs`` (units with both waves),
        ``n_missing`` (units lacking one wave: attrition), ``mean_t0``, ``mean_t1``,
        ``mean_delta`` with ``mean_lo``/``mean_hi``, ``median_delta`` with
        ``median_lo``/``median_hi``, ``share_improving`` (delta > ``min_gain``) with
        ``share_lo``/``share_hi``, ``share_declining`` (delta < −``min_gain``).
    levels
        One row per level (0 = 未达一级 …): ``level``, ``name``, ``n_t0``, ``n_t1``,
        ``share_t0``, ``share_t1`` and ``share_at_least_t0``/``_t1`` (the share at this
        level or above); empty without levels.
    level_change
        ``share_up``, ``share_up_lo``, ``share_up_hi``, ``share_down``, ``share_same``,
        ``n`` (units with both levels); empty without levels.
    transition
        The T0 → T1 level transitions (:class:`~nqpf.disparity.markov.MarkovResult` of
        the two waves: ``transitions`` counts, ``p`` row probabilities), or None.
    n_boot, ci, min_gain
        Bootstrap resamples, confidence level and the gain that counts as improving.
    notes
        Chinese caveats (attrition, regression to the mean).
    """

    outcomes: pd.DataFrame = field(repr=False)
    levels: pd.DataFrame = field(repr=False)
    level_change: dict[str, float] = field(repr=False)
    transition: MarkovResult | None = field(repr=False)
    n_boot: int = 2000
    ci: float = 0.95
    min_gain: float = 0.0
    notes: tuple[str, ...] = ()

    def transition_frame(self, kind: str = "count") -> pd.DataFrame:
        """The T0 (rows) × T1 (columns) table of ``"count"`` or ``"p"`` (row shares)."""
        if self.transition is None:
            return pd.DataFrame()
        m = self.transition
        values = m.transitions if kind == "count" else m.p
        frame = pd.DataFrame(values, index=list(m.labels), columns=list(m.labels))
        frame.index.name = "T0 \\ T1"
        return frame

    def tables(self) -> dict[str, pd.DataFrame]:
        """``outcomes``, ``levels``, ``transitions`` (counts) and ``transition_p``."""
        out = {"outcomes": self.outcomes, "levels": self.levels}
        if self.transition is not None:
            out["transitions"] = self.transition_frame("count").reset_index()
            out["transition_p"] = self.transition_frame("p").reset_index()
        return out

    def to_frame(self, table: str = "outcomes") -> pd.DataFrame:
        """One of :meth:`tables` (default ``outcomes``), or ``"all"`` stacked."""
        return pick_table(self.tables(), table)

    def summary(self) -> Summary:
        pct = f"{100 * self.ci:g}%"
        rows: list[tuple[str, Any]] = []
        for r in self.outcomes.itertuples(index=False):
            rows += [
                (f"{r.outcome} 企业数（两期均有）", int(r.n_pairs)),
                (
                    f"{r.outcome} 平均变化",
                    f"{r.mean_delta:.4g}（{pct} 区间 {r.mean_lo:.4g} ~ {r.mean_hi:.4g}）",
                ),
                (
                    f"{r.outcome} 中位数变化",
                    f"{r.median_delta:.4g}（{pct} 区间 {r.median_lo:.4g} ~ {r.median_hi:.4g}）",
                ),
                (
                    f"{r.outcome} 提升企业占比",
                    f"{100 * r.share_improving:.1f}%（{pct} 区间 "
                    f"{100 * r.share_lo:.1f}% ~ {100 * r.share_hi:.1f}%）",
                ),
            ]
        if self.level_change:
            c = self.level_change
            rows.append(
                (
                    "等级提升企业占比",
                    f"{100 * c['share_up']:.1f}%（{pct} 区间 {100 * c['share_up_lo']:.1f}% ~ "
                    f"{100 * c['share_up_hi']:.1f}%）",
                )
            )
            rows.append(("等级下降企业占比", f"{100 * c['share_down']:.1f}%"))
            for r in self.levels.itertuples(index=False):
                if r.level >= 1:
                    rows.append(
                        (
                            f"{r.name}及以上占比 T0 → T1",
                            f"{100 * r.share_at_least_t0:.1f}% → {100 * r.share_at_least_t1:.1f}%",
                        )
                    )
        return Summary(
            title=f"项目前后变化（{self.n_boot} 次自助抽样）", rows=tuple(rows), notes=self.notes
        )


def _as_matrix(x: Any, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise DataValidationError(
            f"{name} must hold numbers", field=name, zh=f"{name} 应为数值"
        ) from None
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise DataValidationError(
            f"{name} must be (n,) or (n, k) with n >= 1, got shape {a.shape}",
            field=name,
            zh=f"{name} 应为 n 个单位（可有 k 个结果）的数组",
        )
    return a


def _levels_array(x: Any, n: int, name: str, top: int) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.shape != (n,):
        raise DataValidationError(
            f"{name} must have one level per unit ({n}), got shape {a.shape}",
            field=name,
            zh=f"{name} 应为每家企业一个等级（共 {n} 个）",
        )
    bad = ~np.isnan(a) & ((a != np.round(a)) | (a < 0) | (a > top))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"{name}[{i}] = {a[i]!r} is not a level 0–{top}",
            field=name,
            data_row=i,
            zh=f"{name} 第 {i + 1} 个值 {a[i]!r} 不是 0–{top} 的等级",
        )
    return a


def programme_effects(
    t0: Any,
    t1: Any,
    *,
    names: Sequence[str] | None = None,
    levels_t0: Any = None,
    levels_t1: Any = None,
    level_names: Sequence[str] = LEVEL_NAMES,
    min_gain: float = 0.0,
    n_boot: int = 2000,
    ci: float = 0.95,
    rng: Any = None,
) -> ProgrammeResult:
    """Share improving, mean and median change with bootstrap intervals, level transitions.

    Parameters
    ----------
    t0, t1
        Paired outcomes, shape (n,) or (n, k): one row per enterprise, one column per
        outcome (total score, dimension points, a KPI).  NaN marks a missing wave; such
        units are left out of that outcome (counted as ``n_missing``).
    names
        The k outcome names (default ``outcome_1`` …, ``total`` when k = 1).
    levels_t0, levels_t1
        Optional levels (0 = 未达一级 … 4) of the same enterprises; NaN where missing.
    level_names
        Names of levels 0, 1, …; their number sets the highest level.
    min_gain
        A unit improves when T1 − T0 > ``min_gain`` and declines when it is below
        ``−min_gain`` (default 0: any change).
    n_boot, ci, rng
        Bootstrap resamples, confidence level and random generator (or seed) of the
        percentile intervals (:func:`bootstrap_ci`): units are resampled, so the
        intervals of all outcomes and of the level shares come from the same draws.

    Returns
    -------
    ProgrammeResult

    Notes
    -----
    The level transition matrix is the maximum-likelihood Markov estimate over the single
    step T0 → T1, P_ab = n_ab / Σ_b n_ab (:func:`nqpf.disparity.markov` with discrete
    classes and every level as a state, so levels nobody holds still show).

    Examples
    --------
    >>> r = programme_effects([40, 50, 30, 60], [46, 49, 41, 75], levels_t0=[2, 2, 1, 3],
    ...                       levels_t1=[2, 2, 2, 3], n_boot=500, rng=7)
    >>> r.outcomes[["n_pairs", "mean_delta", "median_delta", "share_improving"]].values.tolist()
    [[4.0, 7.75, 8.5, 0.75]]
    >>> r.level_change["share_up"], r.transition_frame().loc["一级", "二级"]
    (0.25, np.int64(1))
    """
    A, B = _as_matrix(t0, "t0"), _as_matrix(t1, "t1")
    if A.shape != B.shape:
        raise DataValidationError(
            f"t0 and t1 differ in shape: {A.shape} vs {B.shape}",
            field="t1",
            zh=f"T0 与 T1 的形状不同：{A.shape} 与 {B.shape}",
        )
    n, k = A.shape
    if names is None:
        names = ["total"] if k == 1 else [f"outcome_{j + 1}" for j in range(k)]
    names = [str(x) for x in names]
    if len(names) != k:
        raise DataValidationError(
            f"names has {len(names)} entries for {k} outcomes", field="names", zh="结果名称个数不符"
        )
    from nqpf.disparity.crand import as_rng

    gen = as_rng(rng)
    gain = float(min_gain)
    rows = []
    for j, name in enumerate(names):
        ok = np.isfinite(A[:, j]) & np.isfinite(B[:, j])
        d = B[ok, j] - A[ok, j]
        if d.size == 0:
            raise DataValidationError(
                f"outcome {name!r} has no unit with both waves",
                field=name,
                zh=f"结果“{name}”没有两期都有数据的企业",
            )

        def stats(x, axis=-1):
            return np.stack(
                [x.mean(axis=axis), np.median(x, axis=axis), (x > gain).mean(axis=axis)]
            )

        bounds = bootstrap_ci([d], stats, n_boot=n_boot, ci=ci, rng=gen)
        mean, median, share = _statistics(d, gain)
        rows.append(
            {
                "outcome": name,
                "n_pairs": int(d.size),
                "n_missing": int(n - d.size),
                "mean_t0": float(A[ok, j].mean()),
                "mean_t1": float(B[ok, j].mean()),
                "mean_delta": mean,
                "mean_lo": bounds[0, 0],
                "mean_hi": bounds[0, 1],
                "median_delta": median,
                "median_lo": bounds[1, 0],
                "median_hi": bounds[1, 1],
                "share_improving": share,
                "share_lo": bounds[2, 0],
                "share_hi": bounds[2, 1],
                "share_declining": float((d < -gain).mean()),
            }
        )
    outcomes = pd.DataFrame(rows)
    notes = []
    missing = outcomes[outcomes["n_missing"] > 0]
    for r in missing.itertuples(index=False):
        notes.append(
            f"“{r.outcome}”有 {r.n_missing} 家企业缺少一期数据，未计入（样本流失可能使结果偏向坚持到 T1 的企业）。"
        )
    levels, change, transition = _level_tables(
        levels_t0, levels_t1, n, level_names, n_boot, ci, gen
    )
    notes.append(
        "前后变化不等于项目效果：它混合了项目与同期趋势，且基线低的企业会自然回升（均值回归）；"
        "项目效果请用交错双重差分（nqpf.evaluation.did）与未参与或尚未参与的企业比较。"
    )
    return ProgrammeResult(
        outcomes=outcomes,
        levels=levels,
        level_change=change,
        transition=transition,
        n_boot=int(n_boot),
        ci=float(ci),
        min_gain=gain,
        notes=tuple(notes),
    )


def _level_tables(
    levels_t0: Any,
    levels_t1: Any,
    n: int,
    level_names: Sequence[str],
    n_boot: int,
    ci: float,
    gen: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, float], MarkovResult | None]:
    empty = pd.DataFrame(
        columns=["level", "name", "n_t0", "n_t1", "share_t0", "share_t1",
                 "share_at_least_t0", "share_at_least_t1"]
    )  # fmt: skip
    if levels_t0 is None and levels_t1 is None:
        return empty, {}, None
    if levels_t0 is None or levels_t1 is None:
        raise DataValidationError(
            "give both levels_t0 and levels_t1", field="levels_t1", zh="请同时给出 T0 与 T1 的等级"
        )
    top = len(level_names) - 1
    L0 = _levels_array(levels_t0, n, "levels_t0", top)
    L1 = _levels_array(levels_t1, n, "levels_t1", top)
    ok = ~np.isnan(L0) & ~np.isnan(L1)
    if not ok.any():
        raise DataValidationError(
            "no unit has a level at both waves", field="levels_t1", zh="没有两期都有等级的企业"
        )
    from nqpf.disparity.markov import markov

    a, b = L0[ok].astype(np.int64), L1[ok].astype(np.int64)
    transition = markov(
        classes=np.column_stack([a, b]), states=list(range(top + 1)), labels=list(level_names)
    )
    n0 = np.bincount(a, minlength=top + 1)
    n1 = np.bincount(b, minlength=top + 1)
    s0, s1 = n0 / a.size, n1 / b.size
    levels = pd.DataFrame(
        {
            "level": np.arange(top + 1),
            "name": list(level_names),
            "n_t0": n0,
            "n_t1": n1,
            "share_t0": s0,
            "share_t1": s1,
            "share_at_least_t0": s0[::-1].cumsum()[::-1],
            "share_at_least_t1": s1[::-1].cumsum()[::-1],
        }
    )
    step = (b - a).astype(float)

    def up(x, axis=-1):
        return np.stack([(x > 0).mean(axis=axis)])

    bounds = bootstrap_ci([step], up, n_boot=n_boot, ci=ci, rng=gen)
    change = {
        "n": int(a.size),
        "share_up": float((step > 0).mean()),
        "share_up_lo": float(bounds[0, 0]),
        "share_up_hi": float(bounds[0, 1]),
        "share_down": float((step < 0).mean()),
        "share_same": float((step == 0).mean()),
    }
    return levels, change, transition
