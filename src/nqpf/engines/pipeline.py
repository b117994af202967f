"""The index pipeline as lazy narwhals expressions, the same on DuckDB and on Spark.

Each step is an expression over the rows; only reductions (counts, extremes, entropy
sums, ideals) come back to the driver, as one row of numbers per query.  The formulas are
those of :mod:`nqpf.indices` (normalize, weights, aggregate, obstacle, coupling), written
so that each row's arithmetic happens in the same order as the local engine's, so the
numbers agree to rounding (~1e-15) and never by approximation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np

from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.indices.coupling import ClassTable
from nqpf.indices.normalize import _resolve_offset
from nqpf.indices.weights import WeightResult, _weights_from_divergence


@dataclass(frozen=True)
class Layout:
    """The columns of a wide panel: unit, period, carried id columns, indicators."""

    entity: str
    period: str
    keep: tuple[str, ...]
    ids: tuple[str, ...]
    directions: tuple[int, ...]

    def where(self, row: Mapping[str, Any]) -> str:
        """A row's unit and period as an error message names them."""
        return f"{self.entity} {row[self.entity]}, {self.period} {row[self.period]}"


def one_row(frame: nw.LazyFrame, *exprs: nw.Expr) -> dict[str, Any]:
    """The reductions ``exprs`` of ``frame``, computed by the engine, as one dict."""
    return frame.select(*exprs).collect().rows(named=True)[0]


def first_where(frame: nw.LazyFrame, layout: Layout, condition: nw.Expr) -> str:
    """The unit and period of the first row (in unit, period order) meeting ``condition``."""
    keys = [layout.entity, layout.period]
    rows = frame.filter(condition).select(keys).sort(keys).head(1).collect().rows(named=True)
    return layout.where(rows[0]) if rows else "a row"


# -- reading and validation ---------------------------------------------------------------


def typed(frame: nw.LazyFrame, layout: Layout, source: str) -> nw.LazyFrame:
    """``frame`` with its columns checked and the indicators as float64.

    Raises
    ------
    DataValidationError
        A column missing, a period column that is not whole numbers (years), or an
        indicator read as text (e.g. ``2,572.35`` or ``12%``, which the local engine's
        quality fixes clean).
    """
    schema = frame.collect_schema()
    wanted = [layout.entity, layout.period, *layout.keep, *layout.ids]
    missing = [c for c in wanted if c not in schema]
    if missing:
        raise DataValidationError(
            f"the data lack column(s) {missing}", file=source, column=missing[0]
        )
    if not schema[layout.period].is_integer():
        raise DataValidationError(
            f"the period column holds {schema[layout.period]}, but the engines need whole "
            "numbers (years such as 2023); relabel the periods, or use --engine local, "
            "which reads labels such as 2023年 and 2023Q4",
            file=source,
            column=layout.period,
            zh="计算引擎要求期间列为整数年份（如 2023）：请修改期间标签，或使用 --engine local",
        )
    for c in layout.ids:
        if not schema[c].is_numeric():
            raise DataValidationError(
                f"indicator column holds {schema[c]}, not numbers (text such as 2,572.35 or "
                "12% is cleaned by --engine local only); write plain numbers into the file",
                file=source,
                column=c,
                zh="指标列含非数值内容（如 2,572.35、12%，仅 --engine local 会自动清理）："
                "请在文件中写入纯数字",
            )
    return frame.select(
        nw.col(layout.entity).cast(nw.String),
        nw.col(layout.period),
        *(nw.col(c).cast(nw.String) for c in layout.keep),
        *(nw.col(c).cast(nw.Float64) for c in layout.ids),
    )


def in_periods(frame: nw.LazyFrame, period: str, start: Any, end: Any) -> nw.LazyFrame:
    """Rows whose period lies in [start, end] (bounds already numbers; None is open)."""
    if start is not None:
        frame = frame.filter(nw.col(period) >= start)
    if end is not None:
        frame = frame.filter(nw.col(period) <= end)
    return frame


@dataclass(frozen=True)
class Profile:
    """Counts of one pass over the panel: its size and each indicator's gaps."""

    rows: int
    periods: int
    missing: dict[str, int]
    infinite: dict[str, int]


def profile(frame: nw.LazyFrame, layout: Layout) -> Profile:
    """Rows, periods, and per indicator its missing (null or NaN) and infinite cells."""
    exprs = [nw.len().alias("rows"), nw.col(layout.period).n_unique().alias("periods")]
    for k, c in enumerate(layout.ids):
        col = nw.col(c)
        exprs += [
            (col.is_null() | col.is_nan()).cast(nw.Int64).sum().alias(f"m{k}"),
            (~col.is_finite() & ~col.is_nan()).cast(nw.Int64).sum().alias(f"i{k}"),
        ]
    got = one_row(frame, *exprs)
    ids = layout.ids
    return Profile(
        int(got["rows"]),
        int(got["periods"]),
        {c: int(got[f"m{k}"] or 0) for k, c in enumerate(ids)},
        {c: int(got[f"i{k}"] or 0) for k, c in enumerate(ids)},
    )


def unit_counts(frame: nw.LazyFrame, layout: Layout, periods: int) -> tuple[int, int, int]:
    """Units, rows repeating a unit-period, and units observed in fewer than ``periods``
    periods (an unbalanced panel), from one aggregation per unit."""
    per_unit = frame.group_by(layout.entity).agg(
        nw.len().alias("__rows"), nw.col(layout.period).n_unique().alias("__t")
    )
    got = one_row(
        per_unit,
        nw.len().alias("units"),
        (nw.col("__rows") - nw.col("__t")).sum().alias("repeats"),
        (nw.col("__t") < periods).cast(nw.Int64).sum().alias("short"),
    )
    return int(got["units"]), int(got["repeats"] or 0), int(got["short"] or 0)


def first_repeat(frame: nw.LazyFrame, layout: Layout) -> str:
    """The first unit-period that occurs more than once."""
    keys = [layout.entity, layout.period]
    dup = frame.group_by(keys).agg(nw.len().alias("__n")).filter(nw.col("__n") > 1)
    return layout.where(dup.select(keys).sort(keys).head(1).collect().rows(named=True)[0])


def filled(frame: nw.LazyFrame, ids: Sequence[str], value: float) -> nw.LazyFrame:
    """Missing cells (null or NaN) of the indicators set to ``value`` (``missing: fill``)."""
    return frame.with_columns(
        nw.when(nw.col(c).is_null() | nw.col(c).is_nan())
        .then(nw.lit(value))
        .otherwise(nw.col(c))
        .alias(c)
        for c in ids
    )


# -- normalisation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Extremes:
    """Pooled min and max of each indicator (``per_period`` extremes are windows instead)."""

    lo: np.ndarray
    hi: np.ndarray


def pooled_extremes(frame: nw.LazyFrame, layout: Layout) -> Extremes:
    exprs = []
    for k, c in enumerate(layout.ids):
        exprs += [nw.col(c).min().alias(f"lo{k}"), nw.col(c).max().alias(f"hi{k}")]
    got = one_row(frame, *exprs)
    m = len(layout.ids)
    return Extremes(
        np.array([got[f"lo{k}"] for k in range(m)], dtype=np.float64),
        np.array([got[f"hi{k}"] for k in range(m)], dtype=np.float64),
    )


def constant_columns(
    frame: nw.LazyFrame, layout: Layout, extremes: Extremes | None
) -> list[tuple[str, float, Any]]:
    """Indicators of zero range: (name, value, period or None), pooled or per period."""
    if extremes is not None:
        same = np.flatnonzero(extremes.hi <= extremes.lo)
        return [(layout.ids[j], float(extremes.lo[j]), None) for j in same]
    exprs = []
    for k, c in enumerate(layout.ids):
        exprs += [nw.col(c).min().alias(f"lo{k}"), nw.col(c).max().alias(f"hi{k}")]
    per = frame.group_by(layout.period).agg(*exprs).sort(layout.period).collect()
    found = []
    for row in per.rows(named=True):
        for k, c in enumerate(layout.ids):
            if row[f"hi{k}"] <= row[f"lo{k}"]:
                found.append((c, float(row[f"lo{k}"]), row[layout.period]))
    return found


def x01(layout: Layout, extremes: Extremes | None) -> dict[str, nw.Expr]:
    """Shift-free direction-aware min-max values of each indicator (``minmax(shift=0)``).

    ``extremes`` None takes them within each period (window expressions).  A zero range
    scores 0 (``constant: zero``; ``error`` was refused before).
    """
    out = {}
    for j, c in enumerate(layout.ids):
        col = nw.col(c)
        if extremes is not None:
            lo, hi = float(extremes.lo[j]), float(extremes.hi[j])
            span = hi - lo
            if span <= 0:
                out[c] = col.abs() * 0.0  # 0 on every row (a literal cannot be summed)
                continue
            num = col - lo if layout.directions[j] > 0 else hi - col
            out[c] = num / span
            continue
        lo_w, hi_w = col.min().over(layout.period), col.max().over(layout.period)
        span_w = hi_w - lo_w
        num = col - lo_w if layout.directions[j] > 0 else hi_w - col
        out[c] = nw.when(span_w > 0).then(num / span_w).otherwise(nw.lit(0.0))
    return out


def shifted(value: nw.Expr, shift: float | None, rescale: Any) -> nw.Expr:
    """x' = x01 · scale + offset: the zero shift or the rescaling to [a, b]."""
    scale, offset = _resolve_offset(shift, rescale)
    if scale != 1.0:
        value = value * scale
    return value + offset if offset else value


# -- weights ------------------------------------------------------------------------------


def entropy_weights(
    fit: nw.LazyFrame, ids: Sequence[str], xs: Mapping[str, nw.Expr], *, constant_ok: bool
) -> WeightResult:
    """Pooled entropy weights from three sums per indicator (methods.md §2).

    With p = x'/S and S = Σ x', Σ p ln p = (Σ x' ln x')/S − ln S, so the engine returns
    S, Σ x' ln x' (0·ln 0 := 0) and the range of x' (a constant column has e = 1 under
    ``constant: zero``); e_j = −Σ p ln p / ln N as :func:`nqpf.indices.entropy_weights`.
    """
    exprs = [nw.len().alias("n")]
    for k, c in enumerate(ids):
        x = xs[c]
        xlogx = nw.when(x > 0).then(x * x.log()).otherwise(nw.lit(0.0))
        exprs += [
            x.sum().alias(f"s{k}"),
            xlogx.sum().alias(f"t{k}"),
            x.max().alias(f"hi{k}"),
            x.min().alias(f"lo{k}"),
        ]
    got = one_row(fit, *exprs)
    m = len(ids)
    n = int(got["n"])
    S = np.array([got[f"s{k}"] for k in range(m)], dtype=np.float64)
    T = np.array([got[f"t{k}"] for k in range(m)], dtype=np.float64)
    hi = np.array([got[f"hi{k}"] for k in range(m)], dtype=np.float64)
    lo = np.array([got[f"lo{k}"] for k in range(m)], dtype=np.float64)
    flat = hi == lo if constant_ok else np.zeros(m, dtype=bool)
    totals = np.where(flat, 1.0, S)
    if (totals <= 0).any():
        j = int(np.argmax(totals <= 0))
        raise DataValidationError(
            "indicator sums to 0 after normalisation; the entropy is undefined", column=ids[j]
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = T / totals - np.log(totals)
    e = np.where(flat, 1.0, -plogp / np.log(n))
    w = _weights_from_divergence(1.0 - e)
    return WeightResult(w, "entropy (pooled)", tuple(ids), {"entropy": e, "divergence": 1.0 - e})


def cv_weights(fit: nw.LazyFrame, layout: Layout, *, ddof: int = 1) -> WeightResult:
    """Coefficient-of-variation weights (methods.md §4) in two passes: the means, then the
    centred sums of squares (a one-pass Σx² − (Σx)²/n loses digits when the mean is large).
    """
    ids = layout.ids
    bad = nw.any_horizontal(*(nw.col(c) <= 0 for c in ids), ignore_nulls=True)
    if one_row(fit.filter(bad), nw.len().alias("n"))["n"]:
        raise DataValidationError(
            "coefficient-of-variation weights need strictly positive values; "
            f"{first_where(fit, layout, bad)} has a value <= 0",
            zh="变异系数法要求指标值严格为正",
        )
    got = one_row(
        fit, nw.len().alias("n"), *(nw.col(c).mean().alias(f"a{k}") for k, c in enumerate(ids))
    )
    mean = np.array([got[f"a{k}"] for k in range(len(ids))], dtype=np.float64)
    sq = one_row(
        fit, *(((nw.col(c) - float(mean[k])) ** 2).sum().alias(f"q{k}") for k, c in enumerate(ids))
    )
    n = int(got["n"])
    ss = np.array([sq[f"q{k}"] for k in range(len(ids))], dtype=np.float64)
    v = np.sqrt(ss / (n - ddof)) / mean
    if v.sum() <= 0:
        raise DataValidationError("every indicator is constant; CV weights undefined")
    return WeightResult(
        v / v.sum(), f"coefficient of variation (ddof={ddof})", tuple(ids), {"cv": v}
    )


# -- aggregation --------------------------------------------------------------------------


def _sum(terms: Sequence[nw.Expr]) -> nw.Expr:
    """Σ terms left to right (numpy's order for the short rows of an index)."""
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def weighted_sum(xs: Mapping[str, nw.Expr], cols: Sequence[str], w: Mapping[str, float]) -> nw.Expr:
    """Σ_{j∈cols} x'_j w_j."""
    return _sum([xs[c] * float(w[c]) for c in cols])


def topsis(
    x01s: Mapping[str, nw.Expr],
    w: Mapping[str, float],
    best01: Mapping[str, float] | None,
    worst01: Mapping[str, float] | None,
    period: str,
) -> nw.Expr:
    """TOPSIS closeness on x01 over the indicators of ``w`` (methods.md §6).

    ``w`` are the weights of those indicators (renormalised by the caller for a
    sub-index).  Ideals are the fitted best/worst x01 times the weights (global), or, with
    ``best01`` None, the best and worst weighted value within each period (window
    expressions).  A row at both ideals (0/0) gives NaN, which the run refuses.
    """
    plus, minus = [], []
    for c, wc in w.items():
        v = x01s[c] * float(wc)
        if best01 is not None and worst01 is not None:
            plus.append((v - best01[c] * float(wc)) ** 2)
            minus.append((v - worst01[c] * float(wc)) ** 2)
        else:
            plus.append((v - v.max().over(period)) ** 2)
            minus.append((v - v.min().over(period)) ** 2)
    dp, dm = _sum(plus).sqrt(), _sum(minus).sqrt()
    return dm / (dp + dm)


def rank_within(value: str, period: str) -> nw.Expr:
    """Rank 1 = highest within the period; ties share the lowest rank ("min")."""
    return nw.col(value).rank(method="min", descending=True).over(period).cast(nw.Int64)


# -- coupling and obstacles ----------------------------------------------------------------


def classes(value: nw.Expr, table: ClassTable, closed: str) -> nw.Expr:
    """The class label of ``value``, as :meth:`ClassTable.classify` gives it."""
    out = nw.lit(table.labels[-1])
    for upper, label in reversed(list(zip(table.uppers[:-1], table.labels[:-1], strict=True))):
        below = value <= upper if closed == "right" else value < upper
        out = nw.when(below).then(nw.lit(label)).otherwise(out)
    return out


def coupling(U: Sequence[nw.Expr], alpha: Sequence[float], method: str) -> tuple[nw.Expr, nw.Expr]:
    """C and T of :func:`nqpf.indices.coupling_coordination` (D = sqrt(C·T) follows); a row
    with a subsystem score of 0 gets C = 0 (``coupling.zero: error`` is checked apart)."""
    k = len(U)
    has_zero = nw.any_horizontal(*(u == 0 for u in U), ignore_nulls=True)
    safe = [nw.when(has_zero).then(nw.lit(1.0)).otherwise(u) for u in U]
    if method == "standard":
        C = k * (_sum([s.log() for s in safe]) / k).exp() / _sum(safe)
    else:
        pairs = [(safe[i] - safe[j]).abs() for i in range(k) for j in range(i + 1, k)]
        spread = _sum(pairs) / (k * (k - 1) / 2)
        top = nw.max_horizontal(*safe)
        ratio = (_sum([(s / top).log() for s in safe]) / (k - 1)).exp()
        C = ((1.0 - spread).clip(lower_bound=0.0) * ratio).sqrt()
    C = nw.when(has_zero).then(nw.lit(0.0)).otherwise(C.clip(0.0, 1.0))
    T = _sum([u * float(a) for u, a in zip(U, alpha, strict=True)])
    return C, T


def obstacle_degrees(
    frame: nw.LazyFrame,
    x01s: Mapping[str, nw.Expr],
    ids: Sequence[str],
    w: np.ndarray,
    groups: Mapping[str, Sequence[int]],
) -> nw.LazyFrame:
    """``frame`` with the obstacle degrees ``__o{j}`` = F_j / Σ F with
    F_j = w_j (1 − clip(x01_j, 0, 1)) and their dimension sums ``obstacle_in_<group>``
    (methods.md §9; ``obstacle_degree(scaled=True)``).  F and Σ F are columns of their own,
    so each is computed once per row."""
    wn = w / w.sum()
    m = len(ids)
    frame = frame.with_columns(
        (float(wn[j]) * (1.0 - x01s[c].clip(0.0, 1.0)).clip(lower_bound=0.0)).alias(f"__f{j}")
        for j, c in enumerate(ids)
    )
    frame = frame.with_columns(_sum([nw.col(f"__f{j}") for j in range(m)]).alias("__ft"))
    total = nw.col("__ft")
    frame = frame.with_columns(
        nw.when(total > 0).then(nw.col(f"__f{j}") / total).otherwise(nw.lit(0.0)).alias(f"__o{j}")
        for j in range(m)
    )
    frame = frame.with_columns(
        _sum([nw.col(f"__o{j}") for j in cols]).alias(f"obstacle_in_{g}")
        for g, cols in groups.items()
    )
    return frame.drop([*(f"__f{j}" for j in range(m)), "__ft"])


def top_obstacles(
    frame: nw.LazyFrame, degrees: Sequence[str], labels: Sequence[str], k: int
) -> nw.LazyFrame:
    """``frame`` with the ``k`` largest of the ``degrees`` columns of each row as
    ``obstacle_r`` (label) and ``degree_r``, ties to the first indicator as a stable
    descending sort orders them.

    Round r takes the largest degree among the indicators not picked in rounds 1 … r − 1
    and picks the first indicator holding it (k·m comparisons per row, no sort).
    """
    m = len(degrees)
    d = [nw.col(c) for c in degrees]
    picks: list[nw.Expr] = []
    for r in range(1, k + 1):
        left = [
            nw.when(nw.any_horizontal(*(p == j for p in picks), ignore_nulls=True))
            .then(nw.lit(-1.0))
            .otherwise(d[j])
            if picks
            else d[j]
            for j in range(m)
        ]
        frame = frame.with_columns(nw.max_horizontal(*left).alias(f"degree_{r}"))
        top = nw.col(f"degree_{r}")
        pick, name = nw.lit(m - 1, nw.Int64), nw.lit(labels[m - 1])
        for j in reversed(range(m - 1)):
            hit = left[j] == top
            pick = nw.when(hit).then(nw.lit(j, nw.Int64)).otherwise(pick)
            name = nw.when(hit).then(nw.lit(labels[j])).otherwise(name)
        frame = frame.with_columns(pick.alias(f"__p{r}"), name.alias(f"obstacle_{r}"))
        picks.append(nw.col(f"__p{r}"))
    return frame.drop([f"__p{r}" for r in range(1, k + 1)])


def refuse_constant(found: list[tuple[str, float, Any]], period: str) -> None:
    """The local engine's zero-range error (``check_shape``) for the first constant column."""
    if not found:
        return
    name, value, label = found[0]
    when = f" in {period} {label}" if label is not None else ""
    raise ConfigError(
        f"indicator {name!r} takes one value ({value:g}) in every row{when}, so min-max "
        "normalisation cannot scale it (zero range); set method.normalization.constant: zero "
        "to score it 0, or leave it out of the system",
        field="method.normalization.constant",
        zh=f"指标 {name!r} 取值恒为 {value:g}{when}，无法极差标准化：请设 "
        "method.normalization.constant: zero（记为 0），或从指标体系中删除",
    )
