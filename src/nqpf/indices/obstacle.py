"""Obstacle degree (障碍度): which indicators hold a unit back the most."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.indices._validate import as_matrix, as_weights, column_label
from nqpf.results import Result, Summary


@dataclass(frozen=True, eq=False)
class ObstacleResult(Result):
    """Obstacle degrees per unit and indicator, per group, and the top-k obstacles.

    Attributes
    ----------
    degrees : ndarray, shape (n, m), or None
        O_ij; rows sum to 1 when ``scaled`` (0 for a unit at the ideal everywhere).
        ``None`` where the matrix was not kept
        (:meth:`~nqpf.indices.CompositeIndex.transform` with ``matrices=False``).
    by_group : ndarray, shape (n, g) or None
        U_i,g = Σ_{j∈g} O_ij for each dimension g.
    groups : tuple of str
        Names of the columns of ``by_group``.
    top : ndarray, shape (n, k)
        Column indices of the k largest obstacles of each row, largest first (ties
        broken by column order).
    names : tuple of str
        Indicator names.
    top_degrees : ndarray, shape (n, k)
        The degrees of the ``top`` obstacles (``degrees[i, top[i]]``).
    mean_degrees : ndarray, shape (m,)
        The mean obstacle degree of each indicator over the rows.
    """

    degrees: np.ndarray | None
    by_group: np.ndarray | None
    groups: tuple[str, ...]
    top: np.ndarray
    names: tuple[str, ...]
    scaled: bool
    top_degrees: np.ndarray | None = None
    mean_degrees: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.top_degrees is None:  # from the matrix; given where it was not kept
            rows = np.arange(self.top.shape[0])[:, None]
            object.__setattr__(self, "top_degrees", self.degrees[rows, self.top])
        if self.mean_degrees is None:
            object.__setattr__(self, "mean_degrees", self.degrees.mean(axis=0))

    def to_frame(self) -> pd.DataFrame:
        """Long table: row, indicator, obstacle degree."""
        if self.degrees is None:
            raise DataValidationError(
                "the obstacle degrees of every indicator were not kept "
                "(CompositeIndex.transform(matrices=False)); top_frame() has the top ones"
            )
        n, m = self.degrees.shape
        return pd.DataFrame(
            {
                "row": np.repeat(np.arange(n), m),
                "indicator": np.tile(np.asarray(self.names, dtype=object), n),
                "obstacle": self.degrees.ravel(),
            }
        )

    def top_frame(self) -> pd.DataFrame:
        """Wide table of the top-k obstacles: ``obstacle_1``, ``degree_1``, …"""
        out = {}
        names = np.asarray(self.names, dtype=object)
        vals = self.top_degrees
        for r in range(self.top.shape[1]):
            out[f"obstacle_{r + 1}"] = names[self.top[:, r]]
            out[f"degree_{r + 1}"] = vals[:, r]
        return pd.DataFrame(out)

    def summary(self) -> Summary:
        mean = self.mean_degrees
        order = np.argsort(-mean, kind="stable")[:10]
        return Summary(
            title="障碍度 (mean obstacle degree)",
            rows=tuple((self.names[j], float(mean[j])) for j in order),
        )


def obstacle_degree(
    X,
    weights,
    *,
    scaled: bool = True,
    groups: Mapping[str, Sequence[int]] | Sequence[str] | None = None,
    top_k: int = 3,
    names: Sequence[str] | None = None,
) -> ObstacleResult:
    """Obstacle degree O_ij = F_j I_ij / Σ_j F_j I_ij (methods.md §9).

    Parameters
    ----------
    X : array_like, shape (n, m)
        Min-max normalised values x' in [0, 1] (benefit orientation, no shift).
    weights : array_like, shape (m,)
        Factor contribution F_j: the global indicator weight (some papers use w_j times the
        weight of its dimension — pass that product instead).
    scaled : bool
        Row-normalise (default, the standard O_ij).  ``False`` returns the raw
        F_j (1 − x'_ij), as mathmodels ``obstacle_degree(scaled = FALSE)``.
    groups : mapping name → column indices, or a sequence of group labels per column
        Dimensions to sum obstacle degrees over.
    top_k : int
        How many of the largest obstacles to report per row.

    Examples
    --------
    >>> r = obstacle_degree([[0.0162, 0.2720, 0.2655]], [1/3, 1/3, 1/3], scaled=False)
    >>> r.degrees.round(3)
    array([[0.328, 0.243, 0.245]])
    """
    A = as_matrix(X, names=names, min_rows=1)
    m = A.shape[1]
    w = as_weights(weights, m, normalize=True)
    tol = 1e-9
    if (-tol > A).any() or (1 + tol < A).any():
        i, j = np.argwhere((-tol > A) | (1 + tol < A))[0]
        raise DataValidationError(
            f"obstacle degree needs normalised values in [0, 1]; row {i} is {float(A[i, j])}",
            column=column_label(j, names),
            data_row=int(i),
        )
    F = w * np.clip(1.0 - A, 0.0, None)
    if scaled:
        total = F.sum(axis=1, keepdims=True)
        F = np.divide(F, total, out=np.zeros_like(F), where=total > 0)
    labels = tuple(column_label(j, names) for j in range(m))
    by_group, group_names = _group_sums(F, groups, m)
    k = max(0, min(int(top_k), m))
    top = np.argsort(-F, axis=1, kind="stable")[:, :k]
    return ObstacleResult(F, by_group, group_names, top, labels, scaled)


def _group_sums(F: np.ndarray, groups, m: int):
    if groups is None:
        return None, ()
    if isinstance(groups, Mapping):
        names = tuple(groups)
        cols = [np.asarray(list(groups[g]), dtype=int) for g in names]
    else:
        labels = list(groups)
        if len(labels) != m:
            raise DataValidationError(
                f"groups has {len(labels)} labels but there are {m} indicators", field="groups"
            )
        names = tuple(dict.fromkeys(labels))
        cols = [np.flatnonzero(np.asarray(labels, dtype=object) == g) for g in names]
    return np.column_stack([F[:, c].sum(axis=1) for c in cols]), names
