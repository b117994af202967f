"""The composite-index estimator: learn weights and extremes on a base panel, apply them."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.exceptions import DataValidationError, NotFittedError
from nqpf.indices._validate import as_directions, as_matrix, as_periods, check_choice
from nqpf.indices.aggregate import FAST_PATH_CELLS, grey_relation, topsis
from nqpf.indices.normalize import _resolve_offset, minmax, minmax_extremes
from nqpf.indices.obstacle import ObstacleResult, obstacle_degree
from nqpf.indices.weights import (
    WeightResult,
    ahp_weights,
    combine_weights,
    critic_weights,
    cv_weights,
    entropy_weights,
    given_weights,
    std_weights,
    variance_weights,
)
from nqpf.panel.memory import release_rows
from nqpf.results import Result, Summary

WEIGHTINGS = ("entropy", "critic", "std", "variance", "cv", "equal", "given", "ahp", "combined")
#: Objective weightings that ``weighting="combined"`` can pair with AHP or given weights.
OBJECTIVE_WEIGHTINGS = ("entropy", "critic", "std", "variance", "cv")
AGGREGATIONS = ("weighted_sum", "topsis", "grey", "gra_topsis")
#: Rows :class:`CompositeIndex` normalises and scores at a time (its ``chunk_rows``).
#: Measured on 1e6 × 18 inside ``nqpf index run`` (transform, matrices=False; CPU s,
#: peak MiB of the process, each chunk's arrays let go before the next chunk's are
#: made): 65,536 rows 0.85 s / 646, 32,768 rows 0.70 s / 617, 16,384 rows 0.64–0.74 s /
#: 600, 8,192 rows 0.68–0.72 s / 596 — 16,384 rows (2.4 MB a matrix) stay in the CPU's
#: caches and are long enough that the per-chunk overhead is lost in the arithmetic.
#: (Earlier, without the early release: 16,384 rows 0.96 s / 254 and 65,536 rows
#: 0.78 s / 307 for the transform alone, all at once 1.01 s / 882.)
CHUNK_ROWS = 16_384


@dataclass(frozen=True, eq=False)
class CompositeResult(Result):
    """Scores of a composite index on a panel.

    Attributes
    ----------
    index : ndarray, shape (n,)
        The composite index of every unit-period (×``scale``).
    rank : ndarray, shape (n,)
        Rank within the period, 1 = highest index (ties share the lowest rank).
    sub_indices : dict level → DataFrame
        Sub-indices per dimension (``"dimension"``) and sub-dimension
        (``"sub_dimension"``), one column per group, rows aligned with ``index``.
    normalized : ndarray, shape (n, m)
        Direction-aware min-max values x' (with the zero shift) used by the weighting.
    weights : WeightResult
    obstacles : ObstacleResult
    entities, periods : ndarray
        Row labels.
    indicators : tuple of str
    """

    index: np.ndarray
    rank: np.ndarray
    sub_indices: dict[str, pd.DataFrame]
    normalized: np.ndarray
    weights: WeightResult
    obstacles: ObstacleResult
    entities: np.ndarray
    periods: np.ndarray
    indicators: tuple[str, ...]
    method: str
    meta: dict[str, Any] = field(default_factory=dict)
    panel: Any = field(default=None, repr=False)

    def to_native(self):
        """:meth:`to_frame` as a table of the kind the panel came from (pandas, Polars, PyArrow)."""
        frame = self.to_frame()
        if self.panel is None:
            return frame
        columns = {c: frame[c].to_numpy() for c in frame.columns if c not in ("entity", "period")}
        return self.panel.frame(columns)

    def to_frame(self) -> pd.DataFrame:
        """entity, period, index, rank, then one column per dimension sub-index."""
        frame = pd.DataFrame(
            {
                "entity": self.entities,
                "period": self.periods,
                "index": self.index,
                "rank": self.rank,
            }
        )
        for level in ("dimension", "sub_dimension"):
            if level in self.sub_indices:
                sub = self.sub_indices[level]
                for col in sub.columns:
                    if col not in frame.columns:
                        frame[col] = sub[col].to_numpy()
        return frame

    def weights_frame(self) -> pd.DataFrame:
        return self.weights.to_frame()

    def summary(self) -> Summary:
        periods = np.unique(self.periods)
        by_period = pd.Series(self.index).groupby(self.periods).mean()
        rows: list[tuple[str, Any]] = [
            ("method", self.method),
            ("units", len(np.unique(self.entities))),
            ("periods", f"{periods[0]}–{periods[-1]} ({periods.size})"),
            ("indicators", len(self.indicators)),
        ]
        rows += [(f"mean index {p}", float(v)) for p, v in by_period.items()]
        return Summary(title="综合指数 (composite index)", rows=tuple(rows))


def _groups_from(system, groups, indicators: Sequence[str]) -> dict[str, dict[str, list[int]]]:
    """level → {group name → column positions}."""
    pos = {name: j for j, name in enumerate(indicators)}
    out: dict[str, dict[str, list[int]]] = {}
    if system is not None:
        for level in ("dimension", "sub_dimension"):
            mapping = system.groups(level)
            out[level] = {g: [pos[i] for i in ids if i in pos] for g, ids in mapping.items()}
            out[level] = {g: cols for g, cols in out[level].items() if cols}
    if groups is not None:
        if isinstance(groups, Mapping) and all(isinstance(v, Mapping) for v in groups.values()):
            levels = groups
        else:
            levels = {"dimension": groups}
        for level, mapping in levels.items():
            if isinstance(mapping, Mapping):
                cols = {}
                for g, ids in mapping.items():
                    missing = [i for i in ids if i not in pos]
                    if missing:
                        raise DataValidationError(
                            f"group {g!r} names unknown indicator(s) {missing}", field="groups"
                        )
                    cols[g] = [pos[i] for i in ids]
                out[level] = cols
            else:
                labels = list(mapping)
                if len(labels) != len(indicators):
                    raise DataValidationError(
                        f"groups has {len(labels)} labels for {len(indicators)} indicators",
                        field="groups",
                    )
                out[level] = {
                    g: [j for j, x in enumerate(labels) if x == g] for g in dict.fromkeys(labels)
                }
    return out


class CompositeIndex:
    """Composite index estimator (sklearn style): ``fit`` learns, ``transform`` applies.

    ``fit`` learns the min-max extremes, the weights and — for TOPSIS and grey relational
    aggregation — the ideals on a base panel; ``transform`` scores any panel with them, so
    that later years are measured on the base's yardstick.  ``fit_transform`` on the full
    panel is the usual "pooled panel" analysis of the literature.

    Parameters
    ----------
    weighting : {"entropy", "critic", "std", "variance", "cv", "equal", "given", "ahp", "combined"}
        How indicator weights are obtained (default the pooled-panel entropy method);
        ``"std"`` and ``"variance"`` are :func:`~nqpf.indices.std_weights` and
        :func:`~nqpf.indices.variance_weights` with their own defaults (σ of the raw
        values, variance of the min-max values — pass ``weighting_options`` to change).
    weighting_options : dict, optional
        Extra keyword arguments of the weight function (e.g. ``{"scope": "per_period"}``
        for entropy, ``{"absolute": True}`` for CRITIC).
    weights : array_like or mapping indicator → weight, optional
        The weights for ``weighting="given"``, or the subjective weights of
        ``"combined"``.
    ahp : array_like or dict, optional
        Pairwise comparison matrix over all indicators, or a hierarchy
        ``{"dimensions": matrix over dimensions, "<dimension name>": matrix over its
        indicators, …}`` whose products give global weights; used by ``"ahp"`` and as the
        subjective part of ``"combined"``.
    ahp_method : {"eigenvector", "geometric", "arithmetic"}
    combine : dict, optional
        For ``"combined"``: ``{"objective": "entropy"|"critic"|"std"|"variance"|"cv", "method":
        "linear"|"multiplicative"|"game"|"game_linear", "alpha": 0.5}``.
    aggregation : {"weighted_sum", "topsis", "grey", "gra_topsis"}
        Weighted sum of x' (default), TOPSIS on x' with global ideals, grey relational
        grade (ρ = ``rho``), or grey-relational TOPSIS.
    system : IndicatorSystem, optional
        Supplies indicator order, directions and the dimension hierarchy.
    directions : sequence, optional
        +1/−1 per indicator when no ``system`` is given (default all +1).
    groups : mapping, optional
        Dimension → indicator names, or ``{"dimension": {...}, "sub_dimension": {...}}``.
    shift, rescale, extremes, constant
        Normalisation conventions (see :func:`nqpf.indices.minmax`): default x' + 1e-4
        with extremes pooled over the whole panel.
    ideal : {"global", "per_period"}
        TOPSIS ideals over the whole panel (default) or within each period.
    rho : float
        Distinguishing coefficient of grey relational analysis.
    scale : float
        Multiply the index and sub-indices by this (100 for a 0–100 scale).
    top_k : int
        Number of top obstacles reported per unit-period.
    chunk_rows : int or None
        Rows normalised and scored at a time by :meth:`fit` and :meth:`transform`
        (default :data:`CHUNK_ROWS`); ``None`` takes all rows at once.  The numbers do
        not depend on it; it bounds the working memory to a few (chunk_rows, m) arrays.
        Per-period extremes, ideals and weights take all rows at once.
    """

    def __init__(
        self,
        *,
        weighting: str = "entropy",
        weighting_options: dict | None = None,
        weights=None,
        ahp=None,
        ahp_method: str = "eigenvector",
        combine: dict | None = None,
        aggregation: str = "weighted_sum",
        system=None,
        directions=None,
        groups=None,
        shift: float | None = None,
        rescale=None,
        extremes: str = "pooled",
        constant: str = "error",
        ideal: str = "global",
        rho: float = 0.5,
        scale: float = 1.0,
        top_k: int = 3,
        chunk_rows: int | None = CHUNK_ROWS,
    ) -> None:
        self.weighting = weighting
        self.weighting_options = weighting_options
        self.weights = weights
        self.ahp = ahp
        self.ahp_method = ahp_method
        self.combine = combine
        self.aggregation = aggregation
        self.system = system
        self.directions = directions
        self.groups = groups
        self.shift = shift
        self.rescale = rescale
        self.extremes = extremes
        self.constant = constant
        self.ideal = ideal
        self.rho = rho
        self.scale = scale
        self.top_k = top_k
        self.chunk_rows = chunk_rows

    # -- input ---------------------------------------------------------------------------
    def _unpack(self, data, periods, entities, indicators):
        panel = hasattr(data, "values") and hasattr(data, "indicators")
        panel = panel and hasattr(data, "periods")
        if panel:
            X, names = data.values, list(data.indicators)
            periods, entities = data.periods, data.entities
        else:
            X = data
            names = list(indicators) if indicators is not None else None
        if self.system is not None:
            wanted = list(self.system.indicator_ids)
            if names is None:
                names = wanted
            missing = [i for i in wanted if i not in names]
            if missing:
                raise DataValidationError(
                    f"the data lack indicator(s) {missing} of system {self.system.id!r}",
                    column=missing[0],
                )
            order = [names.index(i) for i in wanted]
            X = np.asarray(X, dtype=np.float64)
            if order != list(range(X.shape[1])):  # the system's order: a copy only if needed
                X = X[:, order]
            names = wanted
        # A panel's cells are checked (finite) by every normalisation, its periods are one
        # label per row: the (n, m) scan and the sort of the labels are spared (transient
        # arrays of 18 and ~40 MB at 1e6 rows).
        A = as_matrix(X, names=names, check_finite=not panel)
        if names is None:
            names = [f"x{j + 1}" for j in range(A.shape[1])]
        n = A.shape[0]
        if periods is None:
            periods = np.zeros(n, dtype=int)
        periods = np.asarray(periods)
        if not panel:
            as_periods(periods, n)
        entities = np.arange(n) if entities is None else np.asarray(entities)
        return A, tuple(names), periods, entities

    def _directions(self, m: int, names) -> np.ndarray:
        if self.system is not None:
            return np.asarray(self.system.directions, dtype=np.int8)
        return as_directions(self.directions, m)

    # -- fitting -------------------------------------------------------------------------
    def fit(self, data, periods=None, *, entities=None, indicators=None) -> CompositeIndex:
        """Learn extremes, weights and ideals from ``data`` (a Panel or an (n, m) array)."""
        check_choice(self.weighting, "weighting", WEIGHTINGS)
        check_choice(self.aggregation, "aggregation", AGGREGATIONS)
        A, names, periods, _ = self._unpack(data, periods, entities, indicators)
        d = self._directions(A.shape[1], names)
        self.indicators_ = names
        self.directions_ = d
        self.groups_ = _groups_from(self.system, self.groups, names)
        lo, hi = _pooled_extremes(A, names, self.chunk_rows)
        self.lo_, self.hi_ = lo, hi
        self.weights_ = self._fit_weights(A, d, periods, names)
        if self.weights_.weights.ndim == 2 and self.aggregation != "weighted_sum":
            raise DataValidationError(
                "per-period weights work only with aggregation='weighted_sum'",
                field="weighting_options",
            )
        # Reference points in x' space, fixed here so transform() measures new data against
        # the base panel: TOPSIS ideals and grey reference series with their Δ ranges.
        # Rows are normalised a chunk at a time (maxima and minima do not depend on it).
        chunks = _row_chunks(A.shape[0], None if self.extremes == "per_period" else self.chunk_rows)
        best, worst = np.full(A.shape[1], -np.inf), np.full(A.shape[1], np.inf)
        for rows in chunks:
            X01 = self._x01(A[rows], periods[rows])
            best, worst = np.maximum(best, X01.max(axis=0)), np.minimum(worst, X01.min(axis=0))
        self.best01_, self.worst01_ = best, worst
        self.delta_ranges_ = {}
        if self.aggregation in ("grey", "gra_topsis"):
            parts = {"total": list(range(A.shape[1]))}
            for level, groups in self.groups_.items():
                parts.update({(level, g): c for g, c in groups.items()})
            for rows in chunks:
                X01 = self._x01(A[rows], periods[rows])
                for key, c in parts.items():
                    for ref_name, ref in (("max", self.best01_), ("min", self.worst01_)):
                        delta = np.abs(X01[:, c] - ref[c])
                        lo, hi = self.delta_ranges_.get((key, ref_name), (np.inf, -np.inf))
                        self.delta_ranges_[key, ref_name] = (
                            min(lo, float(delta.min())),
                            max(hi, float(delta.max())),
                        )
        self.fit_periods_ = _period_labels(periods)
        return self

    def _fit_weights(self, A, d, periods, names) -> WeightResult:
        opts = dict(self.weighting_options or {})
        mm = {
            "shift": self.shift,
            "rescale": self.rescale,
            "extremes": self.extremes,
            "constant": self.constant,
        }
        method = self.weighting
        if method in OBJECTIVE_WEIGHTINGS:
            return self._objective(method, A, d, periods, names, mm, opts)
        if method == "equal":
            m = A.shape[1]
            return WeightResult(np.full(m, 1.0 / m), "equal", names)
        if method == "given":
            return self._given(names)
        if method == "ahp":
            return self._ahp(names)
        combine = dict(self.combine or {})
        objective = combine.pop("objective", "entropy")
        check_choice(objective, "combine.objective", OBJECTIVE_WEIGHTINGS)
        wo = self._objective(objective, A, d, periods, names, mm, opts)
        ws = self._ahp(names) if self.ahp is not None else self._given(names)
        res = combine_weights(ws, wo, **combine)
        return WeightResult(
            res.weights,
            res.method,
            names,
            {"subjective": ws.weights, "objective": wo.weights, **res.details},
        )

    def _objective(self, method, A, d, periods, names, mm, opts) -> WeightResult:
        if method == "entropy":
            return entropy_weights(A, d, periods=periods, names=names, **mm, **opts)
        if method == "critic":
            return critic_weights(A, d, names=names, constant=self.constant, **opts)
        if method == "std":
            return std_weights(A, names=names, constant=self.constant, **opts)
        if method == "variance":
            return variance_weights(A, names=names, constant=self.constant, **opts)
        return cv_weights(A, names=names, **opts)

    def _given(self, names) -> WeightResult:
        if self.weights is None:
            raise DataValidationError("weighting='given' needs weights", field="weights")
        if isinstance(self.weights, Mapping):
            unknown = [k for k in self.weights if k not in names]
            if unknown:
                raise DataValidationError(
                    f"weights name unknown indicator(s) {unknown}", field="weights"
                )
            missing = [k for k in names if k not in self.weights]
            if missing:
                raise DataValidationError(f"weights lack indicator(s) {missing}", field="weights")
            w = [self.weights[k] for k in names]
        else:
            w = self.weights
        return given_weights(w, len(names), names=names)

    def _ahp(self, names) -> WeightResult:
        if self.ahp is None:
            raise DataValidationError("weighting='ahp' needs an AHP judgement matrix", field="ahp")
        if not isinstance(self.ahp, Mapping):
            return ahp_weights(self.ahp, method=self.ahp_method, names=names, field="ahp")
        dims = self.groups_.get("dimension")
        if not dims:
            raise DataValidationError("a hierarchical AHP needs the dimension groups", field="ahp")
        if "dimensions" not in self.ahp:
            raise DataValidationError("hierarchical AHP lacks the 'dimensions' matrix", field="ahp")
        top = ahp_weights(
            self.ahp["dimensions"], method=self.ahp_method, names=list(dims), field="ahp.dimensions"
        )
        w = np.zeros(len(names))
        crs = {"dimensions": top.details["CR"]}
        for g, (dim, cols) in enumerate(dims.items()):
            if len(cols) == 1:
                w[cols] = top.weights[g]
                continue
            if dim not in self.ahp:
                raise DataValidationError(
                    f"hierarchical AHP lacks the matrix of dimension {dim!r}", field="ahp"
                )
            local = ahp_weights(
                self.ahp[dim],
                method=self.ahp_method,
                names=[names[c] for c in cols],
                field=f"ahp.{dim}",
            )
            w[cols] = top.weights[g] * local.weights
            crs[dim] = local.details["CR"]
        return WeightResult(
            w / w.sum(), f"AHP hierarchical ({self.ahp_method})", names, {"CR": max(crs.values())}
        )

    # -- applying ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise NotFittedError("CompositeIndex is not fitted yet; call fit() first")

    def _x01(self, A, periods) -> np.ndarray:
        """Shift-free direction-aware min-max values with the fitted (or per-period) extremes."""
        if self.extremes == "per_period":
            return minmax(
                A,
                self.directions_,
                shift=0.0,
                extremes="per_period",
                periods=periods,
                constant=self.constant,
                names=self.indicators_,
            )
        return minmax(
            A,
            self.directions_,
            shift=0.0,
            lo=self.lo_,
            hi=self.hi_,
            constant=self.constant,
            names=self.indicators_,
        )

    def _row_weights(self, periods) -> np.ndarray:
        w = self.weights_.weights
        if w.ndim == 1:
            return w
        pos = {p: t for t, p in enumerate(self.weights_.periods)}
        unknown = [p for p in np.unique(periods) if p not in pos]
        if unknown:
            raise DataValidationError(
                f"per-period weights were not fitted for period(s) {unknown}", field="periods"
            )
        return w[[pos[p] for p in periods]]

    def _score(self, X01, w, periods, cols=None, key="total", *, n_rows=None) -> np.ndarray:
        """Score on the columns ``cols`` (all by default) with weights renormalised to them.

        ``n_rows`` is the number of rows of the whole panel when ``X01`` is a chunk of it:
        TOPSIS and grey relations then take the engine the whole panel would (the fused
        kernels above ``FAST_PATH_CELLS`` cells), so every chunk gives the same numbers.
        """
        if cols is not None:
            X01 = X01[:, cols]
            w = w[..., cols]
            w = w / w.sum(axis=-1, keepdims=True)
        c = slice(None) if cols is None else cols
        cells = (X01.shape[0] if n_rows is None else n_rows) * X01.shape[1]
        engine = "numba" if cells > FAST_PATH_CELLS else "numpy"
        if self.aggregation == "weighted_sum":
            scale, offset = _resolve_offset(self.shift, self.rescale)
            Xs = X01 * scale + offset
            # Row by row, so a chunk of rows gets the bits of the whole panel (a matrix
            # product's summation order depends on the number of rows).
            return (Xs * w).sum(axis=1)
        if self.aggregation == "topsis":
            if self.ideal == "per_period":
                return topsis(
                    X01, w, normalization="none", ideal="per_period", periods=periods
                ).scores
            best, worst = self.best01_[c] * w, self.worst01_[c] * w
            return topsis(
                X01, w, normalization="none", best=best, worst=worst, engine=engine
            ).scores
        plus = grey_relation(
            X01,
            w,
            rho=self.rho,
            normalized=True,
            reference=self.best01_[c],
            delta_range=self.delta_ranges_[key, "max"],
            engine=engine,
        ).scores
        if self.aggregation == "grey":
            return plus
        minus = grey_relation(
            X01,
            w,
            rho=self.rho,
            normalized=True,
            reference=self.worst01_[c],
            delta_range=self.delta_ranges_[key, "min"],
            engine=engine,
        ).scores
        return plus / (plus + minus)

    def transform(
        self,
        data,
        periods=None,
        *,
        entities=None,
        indicators=None,
        matrices: bool = True,
        release_input: bool = False,
    ) -> CompositeResult:
        """Score ``data`` with the fitted extremes, weights and ideals.

        Rows are scored ``chunk_rows`` at a time (see the class), so the working memory
        beyond the input and the results is a few chunks of (rows, m) values; the numbers
        do not depend on the chunk size.

        Parameters
        ----------
        data : Panel or array_like, shape (n, m)
            The panel to score, or its matrix with ``periods``, ``entities`` and
            ``indicators`` as for :meth:`fit`.
        matrices : bool
            Keep the two (n, m) matrices of the result, ``normalized`` and
            ``obstacles.degrees`` (default).  ``False`` leaves both ``None`` — the result
            then holds only per-row values (index, rank, sub-indices, the top obstacles
            with their degrees, the dimension obstacle degrees) and the mean obstacle
            degree of each indicator (``obstacles.mean_degrees``), which is what a run
            writes; for a 1e6 × 18 panel that is 275 MB less.
        release_input : bool
            Give the memory of each chunk of the input matrix back to the system once
            the chunk is scored (default False), for a caller that has no further use
            for the values: the matrix then shrinks while the results grow.  Only a
            matrix held in a memory map (:func:`nqpf.panel.memory.releasable`, as a run
            reads a CSV file) is released; its released rows read as zeros afterwards.

        Returns
        -------
        CompositeResult
        """
        self._check_fitted()
        A, names, periods, entities = self._unpack(data, periods, entities, indicators)
        if names != self.indicators_:
            raise DataValidationError(
                f"indicators {list(names)} differ from the fitted {list(self.indicators_)}"
            )
        n, m = A.shape
        # Per-period extremes, ideals and weights need every row of a period at once.
        whole = (
            self.extremes == "per_period"
            or self.weights_.weights.ndim == 2
            or (self.aggregation == "topsis" and self.ideal == "per_period")
        )
        chunks = _row_chunks(n, None if whole else self.chunk_rows)
        scale, offset = _resolve_offset(self.shift, self.rescale)
        groups_dim = self.groups_.get("dimension")
        ob_groups = dict(groups_dim) if groups_dim else None
        k = max(0, min(int(self.top_k), m))
        index = np.empty(n)
        subs = {level: {g: np.empty(n) for g in gs} for level, gs in self.groups_.items()}
        # the top obstacles as the smallest integer codes of the m indicators (int8 for
        # m ≤ 128: 1e6 rows × 3 are 3 MB, not 24)
        code = np.result_type(np.min_scalar_type(-max(m, 1)), np.int8)
        top, top_degrees = np.empty((n, k), dtype=code), np.empty((n, k))
        by_group = np.empty((n, len(ob_groups))) if ob_groups else None
        normalized = np.empty((n, m)) if matrices else None
        degrees = np.empty((n, m)) if matrices else None
        degree_sums = np.zeros(m)
        for rows in chunks:
            try:
                X01, parts, ob = self._score_rows(A[rows], periods[rows], n, ob_groups)
            except DataValidationError:
                if len(chunks) == 1:
                    raise
                # Score all rows at once, so that the error names a row of the whole panel.
                self._score_rows(A, periods, n, ob_groups)
                raise  # pragma: no cover - the whole panel raises the same error
            index[rows] = parts.pop("total")
            for (level, g), values in parts.items():
                subs[level][g][rows] = values
            if matrices:
                normalized[rows] = X01 * scale + offset
                degrees[rows] = ob.degrees
            top[rows], top_degrees[rows] = ob.top, ob.top_degrees
            if by_group is not None:
                by_group[rows] = ob.by_group
            degree_sums += ob.degrees.sum(axis=0)
            ob_names, ob_scaled = ob.names, ob.scaled
            del X01, parts, ob  # a chunk's arrays go before the next chunk's are made
            if release_input:
                release_rows(A, rows)
        obstacles = ObstacleResult(
            degrees,
            by_group,
            tuple(ob_groups or ()),
            top,
            ob_names,
            ob_scaled,
            top_degrees=top_degrees,
            mean_degrees=degrees.mean(axis=0) if matrices else degree_sums / n,
        )
        rank = _rank_within(index, periods)
        method = f"{self.weights_.method} + {self.aggregation}"
        return CompositeResult(
            index,
            rank,
            # copy=False: the frames take the filled columns as they are (a consolidating
            # copy was a second set of every sub-index for a moment: 72 MiB at 1e6 rows)
            {level: pd.DataFrame(cols, copy=False) for level, cols in subs.items()},
            normalized,
            self.weights_,
            obstacles,
            entities,
            periods,
            names,
            method,
            {
                "scale": self.scale,
                "extremes": self.extremes,
                "fit_periods": list(self.fit_periods_),
            },
            panel=data if hasattr(data, "frame") and hasattr(data, "indicators") else None,
        )

    def _score_rows(self, A, periods, n_rows, ob_groups):
        """x', scores (``"total"`` and ``(level, group)``, ×``scale``) and obstacle
        degrees of the rows ``A`` of a panel of ``n_rows`` rows."""
        X01 = self._x01(A, periods)
        w = self._row_weights(periods)
        parts = {"total": self._score(X01, w, periods, n_rows=n_rows) * self.scale}
        scale, offset = _resolve_offset(self.shift, self.rescale)
        for level, groups in self.groups_.items():
            for g, c in groups.items():
                if self.aggregation == "weighted_sum":
                    # Additive contributions Σ_{j∈g} w_j x'_j: they sum to the index.
                    part = (X01[:, c] * scale + offset) * w[..., c]
                    parts[level, g] = part.sum(axis=1) * self.scale
                else:
                    score = self._score(X01, w, periods, c, (level, g), n_rows=n_rows)
                    parts[level, g] = score * self.scale
        # Later periods may lie beyond the fitted extremes; an indicator above the base
        # maximum is no obstacle (deviation 0), one below the base minimum a full one.
        obstacles = obstacle_degree(
            np.clip(X01, 0.0, 1.0),
            w if w.ndim == 1 else w.mean(axis=0),
            top_k=self.top_k,
            names=self.indicators_,
            groups=ob_groups,
        )
        return X01, parts, obstacles

    def fit_transform(
        self, data, periods=None, *, entities=None, indicators=None
    ) -> CompositeResult:
        return self.fit(data, periods, entities=entities, indicators=indicators).transform(
            data, periods, entities=entities, indicators=indicators
        )


def _pooled_extremes(A: np.ndarray, names, rows: int | None) -> tuple[np.ndarray, np.ndarray]:
    """``minmax_extremes(A, extremes="pooled")`` taken ``rows`` rows at a time (its check
    of the cells then masks one chunk at a time, not all (n, m) cells); an error is
    raised by all rows at once, so that it names a row of ``A``."""
    chunks = _row_chunks(A.shape[0], rows)
    if len(chunks) == 1:
        return minmax_extremes(A, extremes="pooled", names=names)
    lo, hi = np.full(A.shape[1], np.inf), np.full(A.shape[1], -np.inf)
    try:
        for part in chunks:
            a, b = minmax_extremes(A[part], extremes="pooled", names=names)
            np.minimum(lo, a, out=lo)
            np.maximum(hi, b, out=hi)
    except DataValidationError:
        minmax_extremes(A, extremes="pooled", names=names)
        raise
    return lo, hi


def _row_chunks(n: int, rows: int | None) -> list[slice]:
    """Slices of at most ``rows`` of ``n`` rows (one slice of all when ``rows`` is None);
    a last slice of a single row joins the one before, as the core's functions take at
    least two rows."""
    if rows is None or rows >= n:
        return [slice(0, n)]
    if rows < 2:
        raise DataValidationError(f"chunk_rows must be at least 2, got {rows}", field="chunk_rows")
    starts = list(range(0, n, rows))
    if n - starts[-1] < 2:
        starts.pop()
    return [slice(a, b) for a, b in zip(starts, [*starts[1:], n], strict=True)]


def _rank_within(values: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Rank 1 = highest value within each period; ties share the lowest rank ("min", as
    ``scipy.stats.rankdata(-values, method="min")`` per period).

    A panel's rows are sorted by period, so each period is a run of rows ranked on its
    own (working arrays of one period's size); other orders take one sort of all rows.
    """
    n = values.shape[0]
    rank = np.empty(n, dtype=np.int64)
    starts = _period_starts(periods)
    if starts is not None:
        for a, b in itertools.pairwise([*starts, n]):
            rank[a:b] = _rank_desc(values[a:b])
        return rank
    _, codes = np.unique(periods, return_inverse=True)
    order = np.lexsort((-values, codes))  # by period, then from the highest value
    code, value = codes[order], values[order]
    at = np.arange(n)
    new_period = np.r_[True, code[1:] != code[:-1]]
    new_value = new_period | np.r_[True, value[1:] != value[:-1]]
    period_start = np.maximum.accumulate(np.where(new_period, at, 0))
    value_start = np.maximum.accumulate(np.where(new_value, at, 0))
    rank[order] = value_start - period_start + 1
    return rank


def _period_starts(periods: np.ndarray) -> np.ndarray | None:
    """The first row of each period when the rows are sorted by period (a panel's are),
    else None."""
    periods = np.asarray(periods)
    if not periods.size or periods.dtype == object or not (periods[1:] >= periods[:-1]).all():
        return None
    return np.r_[0, np.flatnonzero(periods[1:] != periods[:-1]) + 1]


def _period_labels(periods: np.ndarray) -> np.ndarray:
    """``np.unique(periods)``; of rows sorted by period, without sorting them again."""
    starts = _period_starts(periods)
    return np.unique(periods) if starts is None else np.asarray(periods)[starts]


def _rank_desc(values: np.ndarray) -> np.ndarray:
    """Rank 1 = highest of one period's values, ties sharing the lowest rank (NaN last,
    each its own rank, as the sort of all rows gives them)."""
    order = np.argsort(-values, kind="stable")
    value = values[order]
    new_value = np.r_[True, value[1:] != value[:-1]]
    rank = np.empty(values.shape[0], dtype=np.int64)
    rank[order] = np.maximum.accumulate(np.where(new_value, np.arange(value.size), 0)) + 1
    return rank
