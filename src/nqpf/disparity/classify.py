"""Discretisation of a panel into ordered classes, the first step of a Markov chain.

Continuous values in an (n units × t periods) array are cut into k ordered classes at
quantile or user cutoffs (what mapclassify does for giddy); already discrete classes are
coded 0 … k − 1.  The estimators in :mod:`nqpf.disparity.markov` call :func:`classify`,
:func:`encode_classes` and :func:`class_labels`.

Conventions (each a parameter, methods.md §16):

- class bounds are closed on the right (upper bound inclusive), as in mapclassify:
  a value v goes to class c when ``cutoffs[c-1] < v <= cutoffs[c]``;
- quantile cutoffs from the pooled n·t sample (default, giddy ``fixed=True``) or per
  period (giddy ``fixed=False``), with linear interpolation (Hyndman & Fan type 7, as
  mapclassify ``Quantiles``);
- coinciding quantile cutoffs (tied data) raise unless ``ties="merge"``.

Examples
--------
>>> ids, cutoffs, k = classify(np.array([[1.0, 2.0], [3.0, 4.0]]), 2, None, "pooled", "error",
...                            what="y", cutoff_name="cutoffs")
>>> ids.tolist(), cutoffs.tolist(), k
([[0, 0], [1, 1]], [2.5], 2)
"""

from __future__ import annotations

import numpy as np

from nqpf.disparity._validation import check_panel_shape
from nqpf.exceptions import DataValidationError

__all__ = ["default_labels"]

#: Default class names for k = 4, the usual quartile classes of Chinese studies.
LABELS_4 = ("低", "中低", "中高", "高")


def check_k(k, name: str = "k") -> int:
    """A number of classes as an int ≥ 2 (not a bool), else raise naming ``name``."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or int(k) < 2:
        raise DataValidationError(f"{name} must be an integer >= 2, got {k!r}", field=name)
    return int(k)


def default_labels(k: int) -> tuple[str, ...]:
    """Class names used when none are given: 低/中低/中高/高 for k = 4, else "1" … "k"."""
    return LABELS_4 if k == 4 else tuple(str(i) for i in range(1, k + 1))


def _quantiles(values: np.ndarray, k: int) -> np.ndarray:
    """The k − 1 inner quantiles at j/k with linear interpolation (Hyndman & Fan type 7).

    Computed as mapclassify ``Quantiles`` does (``scipy.stats.scoreatpercentile``: position
    (j·100/k)/100 · (N − 1), weighted mean of the two neighbouring order statistics), so
    that the cutoffs, and the class of a value lying on one, agree bit for bit with giddy.
    ``numpy.quantile`` can differ from it in the last bit.
    """
    s = np.sort(np.asarray(values, dtype=np.float64).ravel())
    idx = (100.0 / k) * np.arange(1, k) / 100.0 * (s.size - 1)
    lo = np.floor(idx).astype(np.intp)
    hi = np.minimum(lo + 1, s.size - 1)
    w_hi = idx - lo
    w_lo = (lo + 1) - idx
    out = (s[lo] * w_lo + s[hi] * w_hi) / (w_lo + w_hi)
    return np.where(w_hi == 0, s[lo], out)


def _tied(cut: np.ndarray, top: float, ties: str, where: str, what: str) -> bool:
    """True when quantile cutoffs coincide, or the last one equals the maximum ``top``
    (the top class would be empty); raise unless ``ties="merge"``."""
    ext = np.append(cut, top)
    same = np.flatnonzero(np.diff(ext) <= 0)
    if same.size == 0:
        return False
    if ties == "error":
        j = int(same[0])
        other = f"cutoff {j + 2}" if j + 1 < cut.size else "the maximum"
        raise DataValidationError(
            f"quantile cutoffs of {what} coincide{where} (tied data): cutoff {j + 1} = "
            f"{other} = {cut[j]:.10g}, so {same.size} class(es) would be empty. "
            "Pass ties='merge' to merge them (fewer classes), choose a smaller k, or give "
            "cutoffs",
            field="ties",
        )
    return True


def _user_cutoffs(cutoffs, t: int, name: str) -> np.ndarray:
    try:
        c = np.asarray(cutoffs, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"{name} must be numbers: {exc}", field=name) from None
    if c.ndim == 2 and c.shape[0] != t:
        raise DataValidationError(
            f"{name} has {c.shape[0]} rows; per-period cutoffs need one row per period ({t})",
            field=name,
        )
    if c.ndim not in (1, 2) or c.shape[-1] < 1:
        raise DataValidationError(
            f"{name} must be a non-empty 1-D array (k − 1 increasing cutoffs) or a (t, k − 1) "
            f"array, got shape {c.shape}",
            field=name,
        )
    if not np.isfinite(c).all():
        raise DataValidationError(f"{name} must be finite numbers", field=name)
    if (np.diff(c, axis=-1) <= 0).any():
        raise DataValidationError(f"{name} must be strictly increasing, got {c}", field=name)
    return c


def classify(
    A: np.ndarray,
    k: int,
    cutoffs,
    scope: str,
    ties: str,
    *,
    what: str,
    cutoff_name: str,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Cut a finite (n, t) panel ``A`` into ordered classes.

    Parameters
    ----------
    A : ndarray, shape (n, t)
        Finite values (as :func:`~nqpf.disparity._validation.as_panel` returns them).
    k : int
        Number of quantile classes; ignored when ``cutoffs`` are given.
    cutoffs : array_like or None
        User cutoffs, (k − 1,) or (t, k − 1), strictly increasing.
    scope : {"pooled", "per_period"}
        Quantiles of the pooled n·t sample or of each period.
    ties : {"error", "merge"}
        What coinciding quantile cutoffs do (see :func:`nqpf.disparity.markov.markov`).
    what, cutoff_name : str
        Names of the data and of the cutoffs argument in error messages.

    Returns
    -------
    ids : ndarray of intp, shape (n, t)
        Class of every cell: the number of cutoffs strictly below the value (upper
        bounds inclusive).
    cutoffs : ndarray, shape (k − 1,) or (t, k − 1)
        The cutoffs used.
    k : int
        The number of classes (fewer than asked when pooled ties were merged).
    """
    t = A.shape[1]
    if cutoffs is not None:
        c = _user_cutoffs(cutoffs, t, cutoff_name)
        k = c.shape[-1] + 1
    elif scope == "pooled":
        c = _quantiles(A.ravel(), k)
        top = float(A.max())
        if _tied(c, top, ties, "", what):
            # as mapclassify: bins = unique(cutoffs ∪ {max}); the last bin is the maximum
            c = np.unique(np.append(c, top))[:-1]
            k = c.size + 1
            if k < 2:
                raise DataValidationError(
                    f"{what} is so tied (the median or a lower quantile equals the maximum) "
                    "that only 1 class can be formed",
                    field=what,
                )
    else:
        c = np.empty((t, k - 1))
        for j in range(t):
            c[j] = _quantiles(A[:, j], k)
            # merge keeps k: a value goes to the lowest of the tied classes, and the
            # classes between coinciding cutoffs stay empty in that period.
            _tied(c[j], float(A[:, j].max()), ties, f" in period {j}", what)
    if c.ndim == 1:
        ids = np.searchsorted(c, A, side="left")
    else:
        ids = np.empty(A.shape, dtype=np.intp)
        for j in range(t):
            ids[:, j] = np.searchsorted(c[j], A[:, j], side="left")
    return ids.astype(np.intp), c, k


def encode_classes(classes, states, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (n, t) into ``states`` for already discrete data."""
    C = np.asarray(classes)
    n, t = check_panel_shape(C, what)
    flat = C.ravel()
    if flat.dtype.kind == "f":
        missing = ~np.isfinite(flat)
    elif flat.dtype.kind == "O":
        missing = np.array([v is None or (isinstance(v, float) and v != v) for v in flat.tolist()])
    else:  # integers, booleans, strings: nothing can be missing
        missing = np.zeros(flat.size, dtype=bool)
    if missing.any():
        i, j = divmod(int(np.flatnonzero(missing)[0]), t)
        raise DataValidationError(
            f"{what} has {int(missing.sum())} missing class(es); the first is unit {i}, period {j}",
            field=what,
            column=f"#{j}",
            data_row=i,
        )
    try:
        uniq, inv = np.unique(flat, return_inverse=True)
    except TypeError as exc:
        raise DataValidationError(
            f"{what} mixes class types that cannot be ordered: {exc}", field=what
        ) from None
    if states is None:
        return inv.reshape(n, t).astype(np.intp), uniq
    st = np.asarray(states)
    if st.ndim != 1 or st.size < 2:
        raise DataValidationError("states must list at least 2 classes", field="states")
    index = {v: i for i, v in enumerate(st.tolist())}
    if len(index) != st.size:
        raise DataValidationError(f"states has duplicates: {st.tolist()}", field="states")
    lookup = np.empty(uniq.size, dtype=np.intp)
    for u, v in enumerate(uniq.tolist()):
        if v not in index:
            i, j = divmod(int(np.flatnonzero(inv == u)[0]), t)
            raise DataValidationError(
                f"{what} holds class {v!r} (unit {i}, period {j}) that is not in states "
                f"{st.tolist()}",
                field="states",
                data_row=i,
            )
        lookup[u] = index[v]
    return lookup[inv].reshape(n, t), st


def class_labels(labels, k: int, states: np.ndarray | None = None, name: str = "labels"):
    """The k class names: ``labels`` as strings, else the non-integer ``states``, else
    :func:`default_labels`; raise naming ``name`` when ``labels`` has not k entries."""
    if labels is None:
        if states is not None and states.dtype.kind not in "iub":
            return tuple(str(s) for s in states.tolist())
        return default_labels(k)
    out = tuple(str(v) for v in labels)
    if len(out) != k:
        raise DataValidationError(
            f"{name} has {len(out)} names but there are {k} classes", field=name
        )
    return out
