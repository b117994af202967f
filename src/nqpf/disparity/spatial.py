"""Spatial weights and Moran's I (global and local).

:class:`SpatialWeights` holds an n × n weights matrix W (scipy CSR) with the unit ids;
build it from an adjacency list, a matrix, capital coordinates (great-circle inverse
distance), a GAL file, or the shipped province table (:func:`province_weights`).
:func:`moran` computes global Moran's I with its normal and randomisation moments and an
optional permutation test; :func:`local_moran` computes Anselin's local I_i, the
Moran-scatter quadrants and conditional-permutation pseudo p-values.

Conventions follow PySAL ``esda`` (the test oracle, methods.md §14): row-standardised W by
default, pseudo p = (M + 1) / (P + 1) with the "directed" (folded) count, quadrant codes
of the PySAL or GeoDa scheme.  Randomness comes only from the ``rng`` argument.

Examples
--------
The 3 × 3 rook lattice with y = 1 … 9 and binary weights (methods.md §14.1):

>>> w = spatial_weights(lattice_adjacency(3, 3), transform="b")
>>> r = moran(range(1, 10), w)
>>> round(r.I, 6), round(r.VI_norm, 6), round(r.VI_rand, 6)
(0.5, 0.053125, 0.059688)
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pandas as pd
import yaml
from scipy import sparse, stats
from scipy.spatial import cKDTree

from nqpf.disparity._panel import ByPeriod, by_period
from nqpf.disparity._validation import check_choice, python_scalar, values_per_unit
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "EARTH_RADIUS_KM",
    "LocalMoranResult",
    "MoranResult",
    "SpatialWeights",
    "haversine",
    "lattice_adjacency",
    "local_moran",
    "moran",
    "parse_gal",
    "province_weights",
    "spatial_weights",
]

#: Mean Earth radius R₁ = (2a + b) / 3 of the WGS84 ellipsoid in km (IUGG; Moritz 1980,
#: "Geodetic Reference System 1980", Bulletin Géodésique 54: 395–405).
EARTH_RADIUS_KM = 6371.0088

_TRANSFORMS = ("r", "b", "none")
_TRANSFORM_NAMES = {"r": "row-standardised", "b": "binary", "none": "as given"}
_ALTERNATIVES = ("directed", "greater", "lesser")
#: Permuted statistics within this fraction of their bound of the observed one are ties.
_TIE_RTOL = 1e-10
#: Bytes of float64 working memory a permutation chunk may use (two n × m blocks).
_CHUNK_BYTES = 1 << 25
_CLUSTER_LABELS = {"HH": "高-高", "LH": "低-高", "LL": "低-低", "HL": "高-低"}
_NOT_SIGNIFICANT = "不显著"
_QUADRANT_CODES = {
    "pysal": {"HH": 1, "LH": 2, "LL": 3, "HL": 4},
    "geoda": {"HH": 1, "LL": 2, "LH": 3, "HL": 4},
}


# --------------------------------------------------------------------------- helpers


def _as_rng(rng) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator, an int seed or None (never the legacy RNG)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise DataValidationError(
        f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__} "
        "(the legacy numpy.random.RandomState / global seed is not used)",
        field="rng",
    )


def _as_ids(ids, n: int | None, what: str = "ids") -> tuple:
    out = tuple(python_scalar(v) for v in (ids.tolist() if isinstance(ids, np.ndarray) else ids))
    if n is not None and len(out) != n:
        raise DataValidationError(
            f"{what} has {len(out)} entries but the weights have {n} units", field=what
        )
    seen: set = set()
    dupes = []
    for v in out:
        if not isinstance(v, Hashable):
            raise DataValidationError(f"{what} must be hashable labels, got {v!r}", field=what)
        if v in seen:
            dupes.append(v)
        seen.add(v)
    if dupes:
        raise DataValidationError(
            f"{what} must be unique; repeated: {', '.join(map(str, dupes[:5]))}", field=what
        )
    return out


def _apply_transform(W0: sparse.csr_array, transform: str) -> sparse.csr_array:
    if transform == "none":
        return W0.copy()
    W = W0.copy()
    if transform == "b":
        W.data[:] = 1.0
        return W
    rs = np.asarray(W0.sum(axis=1)).ravel()
    scale = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
    W.data *= np.repeat(scale, np.diff(W.indptr))
    return W


def _clean_csr(M) -> sparse.csr_array:
    W = sparse.csr_array(M, dtype=np.float64)
    W.sum_duplicates()
    W.eliminate_zeros()
    W.sort_indices()
    return W


# --------------------------------------------------------------------------- distances


def haversine(lat1, lon1, lat2, lon2, *, radius: float = EARTH_RADIUS_KM) -> np.ndarray:
    """Great-circle distance between points given in degrees (haversine formula).

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Latitudes and longitudes in decimal degrees (WGS84); broadcast together.
    radius : float
        Sphere radius in km; default :data:`EARTH_RADIUS_KM` = 6371.0088, the IUGG mean
        Earth radius.  The spherical model errs by up to about 0.5 % against the
        ellipsoid, which is immaterial for inverse-distance weights.

    Returns
    -------
    numpy.ndarray
        d = 2R asin √(sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2)), in km.

    Examples
    --------
    >>> round(float(haversine(39.90, 116.41, 31.23, 121.47)))  # 北京–上海
    1067
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlam = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2.0 * radius * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


# --------------------------------------------------------------------------- GAL


def parse_gal(text: str, *, id_type=str) -> tuple[list, dict]:
    """Parse the text of a GAL (GeoDa / PySAL contiguity) weights file.

    Parameters
    ----------
    text : str
        The file's content.  Line 1 is the header: either ``n`` or ``0 n name key``.
        Then, for every unit, ``id k`` followed by the k neighbour ids (on the next line;
        any whitespace layout is accepted, so an island's empty neighbour line may be
        present or absent).
    id_type : callable
        Applied to every id; default ``str`` as libpysal's GAL reader (pass ``int`` for
        integer ids).

    Returns
    -------
    ids : list
        Unit ids in file order (this is the row order of the weights).
    neighbours : dict
        id → list of neighbour ids, in file order.

    Examples
    --------
    >>> parse_gal("3\\n1 1\\n2\\n2 2\\n1 3\\n3 1\\n2\\n")
    (['1', '2', '3'], {'1': ['2'], '2': ['1', '3'], '3': ['2']})
    """
    lines = text.splitlines()
    h = next((i for i, line in enumerate(lines) if line.strip()), None)
    if h is None:
        raise DataValidationError("GAL text is empty; expected a header line with n", row=1)
    header = lines[h].split()
    try:
        n = int(header[1] if len(header) > 1 else header[0])
    except ValueError:
        raise DataValidationError(
            f"GAL header {lines[h].strip()!r} is not 'n' or '0 n name key'", row=h + 1
        ) from None
    if n < 0:
        raise DataValidationError(f"GAL header gives a negative unit count {n}", row=h + 1)
    tokens = [
        (tok, no) for no, line in enumerate(lines[h + 1 :], start=h + 2) for tok in line.split()
    ]
    pos = 0

    def as_id(raw: str, line: int):
        try:
            return id_type(raw)
        except (TypeError, ValueError):
            raise DataValidationError(
                f"id {raw!r} cannot be converted by {id_type!r}", row=line
            ) from None

    def take(what: str):
        nonlocal pos
        if pos >= len(tokens):
            raise DataValidationError(
                f"GAL text ends early: expected {what} (header says n = {n})",
                row=tokens[-1][1] if tokens else 1,
            )
        tok = tokens[pos]
        pos += 1
        return tok

    ids: list = []
    neighbours: dict = {}
    for _ in range(n):
        raw_id, line = take("a unit id")
        raw_k, _line = take(f"the neighbour count of unit {raw_id}")
        try:
            k = int(raw_k)
        except ValueError:
            raise DataValidationError(
                f"neighbour count of unit {raw_id} is {raw_k!r}, expected an integer", row=line
            ) from None
        if k < 0:
            raise DataValidationError(f"unit {raw_id} has a negative neighbour count", row=line)
        uid = as_id(raw_id, line)
        if uid in neighbours:
            raise DataValidationError(f"unit {raw_id} appears twice", row=line)
        ids.append(uid)
        neighbours[uid] = [as_id(*take(f"neighbour {j + 1} of unit {raw_id}")) for j in range(k)]
    if pos < len(tokens):
        raise DataValidationError(
            f"GAL text has {len(tokens) - pos} token(s) after the {n} units the header "
            f"announces, starting with {tokens[pos][0]!r}",
            row=tokens[pos][1],
        )
    known = set(neighbours)
    for uid, nbrs in neighbours.items():
        unknown = [v for v in nbrs if v not in known]
        if unknown:
            raise DataValidationError(
                f"unit {uid} lists neighbour(s) {', '.join(map(str, unknown))} that are not units"
            )
    return ids, neighbours


def lattice_adjacency(rows: int, cols: int, *, rook: bool = True) -> dict[int, list[int]]:
    """Neighbours on a rows × cols grid (ids 0 … rows·cols − 1, row by row).

    ``rook=True`` links edge neighbours, ``False`` also diagonal ones (queen), as
    libpysal's ``lat2W``.

    Examples
    --------
    >>> lattice_adjacency(2, 2)
    {0: [1, 2], 1: [0, 3], 2: [0, 3], 3: [1, 2]}
    """
    steps = [(-1, 0), (0, -1), (0, 1), (1, 0)]
    if not rook:
        steps = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
    out: dict[int, list[int]] = {}
    for r in range(rows):
        for c in range(cols):
            out[r * cols + c] = [
                (r + dr) * cols + (c + dc)
                for dr, dc in steps
                if 0 <= r + dr < rows and 0 <= c + dc < cols
            ]
    return out


# --------------------------------------------------------------------------- weights


@dataclass(frozen=True, eq=False)
class SpatialWeights(Result):
    """An n × n spatial weights matrix with unit ids.

    Build it with :func:`spatial_weights`, the ``from_*`` class methods or
    :func:`province_weights`; change the transformation with :meth:`transformed`.

    Attributes
    ----------
    sparse : scipy.sparse.csr_array
        W as used by the statistics (after the transformation), float64, rows = focal
        units in ``ids`` order, no explicit zeros, zero diagonal.
    ids : tuple
        Unit labels in row order.
    transform : {"r", "b", "none"}
        ``"r"`` row-standardised (each row sums to 1; esda's default), ``"b"`` binary
        (every link weighs 1), ``"none"`` the weights as given.
    original : scipy.sparse.csr_array
        The weights before transformation (kept so that :meth:`transformed` and
        :meth:`subset` can re-derive W).
    meta : dict
        Provenance (``source``, ``confidence``, ``verified`` …) where known.
    """

    sparse: sparse.csr_array
    ids: tuple
    transform: str
    original: sparse.csr_array = field(repr=False)
    meta: Mapping[str, Any] = field(default_factory=dict, repr=False)

    # ---- construction -------------------------------------------------------

    @classmethod
    def _build(cls, W0, ids, transform: str, meta=None) -> SpatialWeights:
        check_choice(transform, "transform", _TRANSFORMS)
        W0 = _clean_csr(W0)
        n = W0.shape[0]
        ids = _as_ids(ids if ids is not None else range(n), n)
        if W0.data.size and (W0.data < 0).any():
            raise DataValidationError("weights must be non-negative", field="weights")
        diag = W0.diagonal()
        if np.any(diag != 0):
            i = int(np.flatnonzero(diag)[0])
            raise DataValidationError(
                f"W must have a zero diagonal (a unit is not its own neighbour); unit "
                f"{ids[i]!r} has w_ii = {diag[i]:g}",
                field="weights",
            )
        return cls(_apply_transform(W0, transform), ids, transform, W0, dict(meta or {}))

    @classmethod
    def from_matrix(cls, matrix, ids=None, *, transform: str = "r") -> SpatialWeights:
        """Weights from an n × n non-negative matrix (dense array or scipy sparse).

        A 0-1 contiguity matrix and any non-negative weights (inverse distance, economic
        distance …) are accepted; w_ii must be 0.

        Examples
        --------
        >>> w = SpatialWeights.from_matrix([[0, 1, 0], [1, 0, 1], [0, 1, 0]], ids=["a", "b", "c"])
        >>> w.sparse.toarray()
        array([[0. , 1. , 0. ],
               [0.5, 0. , 0.5],
               [0. , 1. , 0. ]])
        """
        if sparse.issparse(matrix):
            M = matrix
            shape = M.shape
        else:
            try:
                M = np.asarray(matrix, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise DataValidationError(
                    f"matrix must be numeric: {exc}", field="matrix"
                ) from None
            shape = M.shape
            if M.ndim != 2:
                raise DataValidationError(
                    f"matrix must be 2-D (n × n), got {M.ndim}-D", field="matrix"
                )
        if len(shape) != 2 or shape[0] != shape[1]:
            raise DataValidationError(
                f"matrix must be square (n × n), got {shape[0]} × {shape[1]}", field="matrix"
            )
        data = M.data if sparse.issparse(M) else M
        if not np.isfinite(data).all():
            raise DataValidationError("matrix has missing or infinite entries", field="matrix")
        if (data < 0).any():
            if sparse.issparse(M):
                coo = sparse.coo_array(M)
                k = int(np.argmax(coo.data < 0))
                i, j, v = int(coo.row[k]), int(coo.col[k]), float(coo.data[k])
            else:
                i, j = (int(a) for a in np.argwhere(M < 0)[0])
                v = float(M[i, j])
            raise DataValidationError(
                f"weights must be non-negative; entry ({i}, {j}) is {v:g}", field="matrix"
            )
        return cls._build(M, ids, transform)

    @classmethod
    def from_adjacency(
        cls,
        adjacency,
        ids=None,
        *,
        symmetric: bool | None = None,
        transform: str = "r",
    ) -> SpatialWeights:
        """Weights from neighbour pairs or a neighbour dict.

        Parameters
        ----------
        adjacency : sequence of (i, j) or (i, j, weight), or mapping id → neighbour ids
            Pairs are read as undirected links (border lists) unless ``symmetric=False``;
            a mapping (as in a GAL file) is read as directed rows, taken as given.  A
            mapping value may also be a mapping neighbour → weight.
        ids : sequence, optional
            All unit ids in the desired row order.  Needed to include units without any
            link (islands).  Default: the mapping's keys in order, or the sorted ids that
            occur in the pairs.
        symmetric : bool, optional
            Add the reverse of every link.  Default True for pairs, False for a mapping.
        transform : {"r", "b", "none"}
            Default ``"r"`` (row-standardised, as esda).

        Examples
        --------
        >>> w = SpatialWeights.from_adjacency([("a", "b"), ("b", "c")], ids=["a", "b", "c", "d"])
        >>> w.neighbors("b"), w.islands
        (['a', 'c'], ['d'])
        """
        links: list[tuple[Any, Any, float]] = []
        if isinstance(adjacency, Mapping):
            if symmetric is None:
                symmetric = False
            for focal, nbrs in adjacency.items():
                items = nbrs.items() if isinstance(nbrs, Mapping) else ((v, 1.0) for v in nbrs)
                links.extend((python_scalar(focal), python_scalar(v), float(wt)) for v, wt in items)
            default_ids = [python_scalar(k) for k in adjacency]
        else:
            if symmetric is None:
                symmetric = True
            for k, pair in enumerate(adjacency):
                pair = tuple(pair)
                if len(pair) not in (2, 3):
                    raise DataValidationError(
                        f"adjacency entry {k} is {pair!r}; expected (i, j) or (i, j, weight)",
                        field="adjacency",
                    )
                wt = float(pair[2]) if len(pair) == 3 else 1.0
                links.append((python_scalar(pair[0]), python_scalar(pair[1]), wt))
            found = {v for a, b, _ in links for v in (a, b)}
            try:
                default_ids = sorted(found)
            except TypeError:
                default_ids = list(dict.fromkeys(v for a, b, _ in links for v in (a, b)))
        ids = _as_ids(default_ids if ids is None else ids, None)
        index = {v: i for i, v in enumerate(ids)}
        unknown = sorted({str(v) for a, b, _ in links for v in (a, b) if v not in index})
        if unknown:
            raise DataValidationError(
                f"adjacency names unit(s) not in ids: {', '.join(unknown[:8])}"
                + (" …" if len(unknown) > 8 else ""),
                field="ids",
            )
        for a, b, wt in links:
            if a == b:
                raise DataValidationError(
                    f"unit {a!r} is listed as its own neighbour", field="adjacency"
                )
            if not (math.isfinite(wt) and wt >= 0):
                raise DataValidationError(
                    f"link ({a!r}, {b!r}) has weight {wt:g}; expected a finite value ≥ 0",
                    field="adjacency",
                )
        n = len(ids)
        rows = np.array([index[a] for a, _, _ in links], dtype=np.int64)
        cols = np.array([index[b] for _, b, _ in links], dtype=np.int64)
        vals = np.array([wt for _, _, wt in links], dtype=np.float64)
        if symmetric:
            rows, cols, vals = (
                np.concatenate([rows, cols]),
                np.concatenate([cols, rows]),
                np.concatenate([vals, vals]),
            )
        # A link given twice (or in both directions with symmetric=True) counts once: the
        # first occurrence wins.
        _, first = np.unique(rows * n + cols, return_index=True)
        M = sparse.csr_array((vals[first], (rows[first], cols[first])), shape=(n, n))
        return cls._build(M, ids, transform)

    @classmethod
    def from_coordinates(
        cls,
        lat,
        lon,
        ids=None,
        *,
        alpha: float = 1.0,
        threshold: float | None = None,
        k: int | None = None,
        radius: float = EARTH_RADIUS_KM,
        transform: str = "r",
    ) -> SpatialWeights:
        """Inverse-distance weights w_ij = d_ij^(−alpha) from latitude/longitude.

        Parameters
        ----------
        lat, lon : array_like, shape (n,)
            Decimal degrees (WGS84), e.g. provincial capitals.
        ids : sequence, optional
        alpha : float
            Distance-decay power; default 1 (inverse distance; alpha = 2 gives the
            gravity form).  Must be > 0.
        threshold : float, optional
            Keep only pairs with d_ij ≤ threshold (km).  Default: all pairs (dense W).
        k : int, optional
            Keep only each unit's k nearest neighbours (ties broken arbitrarily); the
            result is not symmetric in general.
        radius : float
            Earth radius in km for the haversine distance; default 6371.0088 (IUGG).
        transform : {"r", "b", "none"}
            Default ``"r"``.

        Notes
        -----
        d_ij is the great-circle (haversine) distance in km.  Without ``threshold`` and
        ``k`` all n(n − 1) pairs are stored (fine for provinces and cities; use ``k`` or
        ``threshold`` for thousands of points).  Coincident points (d = 0) are an error.

        Examples
        --------
        >>> w = SpatialWeights.from_coordinates([39.90, 39.13, 31.23], [116.41, 117.20, 121.47],
        ...                                     ids=["北京", "天津", "上海"], transform="none")
        >>> round(float(w.sparse[0, 1]), 5)  # 1 / (北京–天津 ≈ 109 km)
        0.00916
        """
        la = np.asarray(lat, dtype=np.float64).ravel()
        lo = np.asarray(lon, dtype=np.float64).ravel()
        if la.shape != lo.shape:
            raise DataValidationError(
                f"lat has {la.size} values but lon has {lo.size}", field="lon"
            )
        n = la.size
        if n < 2:
            raise DataValidationError("need at least 2 points for distance weights", field="lat")
        if not (np.isfinite(la).all() and np.isfinite(lo).all()):
            raise DataValidationError("lat/lon have missing or infinite values", field="lat")
        if (np.abs(la) > 90).any():
            i = int(np.argmax(np.abs(la) > 90))
            raise DataValidationError(
                f"latitude {la[i]} of point {i} is outside [−90, 90] (are lat and lon swapped?)",
                field="lat",
                data_row=i,
            )
        if not (alpha > 0 and math.isfinite(alpha)):
            raise DataValidationError(
                f"alpha must be a positive number, got {alpha}", field="alpha"
            )
        if threshold is not None and not threshold > 0:
            raise DataValidationError(
                f"threshold must be > 0 km, got {threshold}", field="threshold"
            )
        if k is not None and (
            isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < n
        ):
            raise DataValidationError(f"k must be an integer in [1, {n - 1}], got {k}", field="k")
        if k is None and threshold is None:
            rows, cols = np.nonzero(~np.eye(n, dtype=bool))
        else:
            tree = cKDTree(_unit_vectors(la, lo))
            if k is not None:
                _, nn = tree.query(_unit_vectors(la, lo), k=int(k) + 1)
                rows = np.repeat(np.arange(n), int(k) + 1)
                cols = nn.ravel()
                keep = rows != cols
                rows, cols = rows[keep], cols[keep]
            else:
                chord = 2.0 * math.sin(min(threshold / radius, math.pi) / 2.0)
                pairs = tree.query_pairs(chord * (1 + 1e-12), output_type="ndarray")
                rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
                cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
        d = haversine(la[rows], lo[rows], la[cols], lo[cols], radius=radius)
        if threshold is not None:
            keep = d <= threshold
            rows, cols, d = rows[keep], cols[keep], d[keep]
        if (d == 0).any():
            j = int(np.argmax(d == 0))
            raise DataValidationError(
                f"points {rows[j]} and {cols[j]} coincide (distance 0); inverse distance is "
                "undefined",
                field="lat",
            )
        M = sparse.csr_array((d ** (-float(alpha)), (rows, cols)), shape=(n, n))
        w = cls._build(M, ids, transform)
        return w

    @classmethod
    def from_gal(cls, source, *, id_type=str, transform: str = "r") -> SpatialWeights:
        """Weights from a GAL file (path) or GAL text; see :func:`parse_gal`.

        ``source`` is read as a file when it is a :class:`os.PathLike` or a one-line
        string; text with line breaks is parsed directly.  Row order = file order, ids as
        in the file (``str`` unless ``id_type`` says otherwise), as libpysal.

        Examples
        --------
        >>> w = SpatialWeights.from_gal("3\\n1 1\\n2\\n2 2\\n1 3\\n3 1\\n2\\n", transform="b")
        >>> w.ids, int(w.s0)
        (('1', '2', '3'), 4)
        """
        name = None
        if isinstance(source, PathLike) or (isinstance(source, str) and "\n" not in source):
            path = Path(source)
            name = str(path)
            try:
                text = path.read_text(encoding="utf-8-sig")
            except FileNotFoundError:
                raise DataValidationError("GAL file not found", file=name) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise DataValidationError(f"cannot read GAL file: {exc}", file=name) from None
        else:
            text = str(source)
        try:
            ids, nbrs = parse_gal(text, id_type=id_type)
        except DataValidationError as exc:
            if name is None:
                raise
            raise DataValidationError(exc.reason, file=name, row=exc.row) from None
        w = cls.from_adjacency(nbrs, ids=ids, symmetric=False, transform=transform)
        if name is not None:
            return cls(w.sparse, w.ids, w.transform, w.original, {"source": name})
        return w

    # ---- derived ------------------------------------------------------------

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.sparse.shape[0])

    @cached_property
    def index(self) -> dict:
        """id → row position."""
        return {v: i for i, v in enumerate(self.ids)}

    @cached_property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each unit (row non-zeros)."""
        return np.diff(self.sparse.indptr)

    @property
    def islands(self) -> list:
        """Ids of units without neighbours (empty rows), as libpysal."""
        return [self.ids[i] for i in np.flatnonzero(self.cardinalities == 0)]

    @cached_property
    def s0(self) -> float:
        """S₀ = Σ_i Σ_j w_ij."""
        return float(self.sparse.sum())

    @cached_property
    def s1(self) -> float:
        """S₁ = ½ Σ_i Σ_j (w_ij + w_ji)²."""
        S = self.sparse + self.sparse.T
        return float(0.5 * (S.data**2).sum())

    @cached_property
    def s2(self) -> float:
        """S₂ = Σ_i (w_i· + w_·i)² (row sum plus column sum)."""
        rs = np.asarray(self.sparse.sum(axis=1)).ravel()
        cs = np.asarray(self.sparse.sum(axis=0)).ravel()
        return float(((rs + cs) ** 2).sum())

    @cached_property
    def symmetric(self) -> bool:
        """Whether W equals its transpose (after the transformation)."""
        return bool(abs(self.sparse - self.sparse.T).sum() <= 1e-12 * max(self.s0, 1.0))

    def neighbors(self, i) -> list:
        """Ids of the neighbours of unit ``i`` (an id), in column order."""
        row = self._row(i)
        return [
            self.ids[j]
            for j in self.sparse.indices[self.sparse.indptr[row] : self.sparse.indptr[row + 1]]
        ]

    def __getitem__(self, i) -> dict:
        """``w[i]`` → {neighbour id: weight} of unit ``i``, as libpysal's ``W[i]``."""
        row = self._row(i)
        lo, hi = self.sparse.indptr[row], self.sparse.indptr[row + 1]
        return {
            self.ids[j]: float(v)
            for j, v in zip(self.sparse.indices[lo:hi], self.sparse.data[lo:hi], strict=True)
        }

    def _row(self, i) -> int:
        try:
            return self.index[python_scalar(i)]
        except (KeyError, TypeError):
            raise DataValidationError(
                f"unit {i!r} is not one of the weights' ids", field="ids"
            ) from None

    def lag(self, y) -> np.ndarray:
        """Spatial lag W y."""
        return self.sparse @ values_per_unit(y, self.n)

    def transformed(self, transform: str) -> SpatialWeights:
        """The same links with another transformation ("r", "b" or "none")."""
        check_choice(transform, "transform", _TRANSFORMS)
        return type(self)(
            _apply_transform(self.original, transform),
            self.ids,
            transform,
            self.original,
            self.meta,
        )

    def subset(self, ids) -> SpatialWeights:
        """Weights among ``ids`` only (in that order), transformation re-applied.

        Row-standardisation is redone on the sub-matrix of the original weights, so rows
        that lose a neighbour are re-normalised.
        """
        ids = _as_ids(ids, None)
        rows = [self._row(v) for v in ids]
        M = _clean_csr(self.original[rows][:, rows])
        return type(self)(_apply_transform(M, self.transform), ids, self.transform, M, self.meta)

    def to_dense(self) -> np.ndarray:
        """W as a dense n × n array."""
        return self.sparse.toarray()

    def to_frame(self) -> pd.DataFrame:
        """Edge list: ``focal``, ``neighbor``, ``weight`` (one row per non-zero w_ij)."""
        coo = self.sparse.tocoo()
        ids = np.asarray(self.ids, dtype=object)
        return pd.DataFrame({"focal": ids[coo.row], "neighbor": ids[coo.col], "weight": coo.data})

    def summary(self) -> Summary:
        card = self.cardinalities
        rows = [
            ("n", self.n),
            ("transform", f"{self.transform} ({_TRANSFORM_NAMES[self.transform]})"),
            ("links (non-zero w_ij)", int(self.sparse.nnz)),
            ("mean neighbours", float(card.mean()) if self.n else 0.0),
            ("min / max neighbours", f"{int(card.min(initial=0))} / {int(card.max(initial=0))}"),
            ("symmetric", self.symmetric),
            ("islands", ", ".join(map(str, self.islands)) or "none"),
            ("S0", self.s0),
        ]
        notes = []
        if self.meta.get("source"):
            notes.append(f"source: {self.meta['source']}")
        if self.meta.get("verified") is False:
            notes.append(f"confidence: {self.meta.get('confidence', 'unverified')}, not verified")
        return Summary(title="空间权重矩阵 (spatial weights)", rows=tuple(rows), notes=tuple(notes))


def spatial_weights(
    adjacency=None,
    *,
    ids=None,
    matrix=None,
    lat=None,
    lon=None,
    gal=None,
    transform: str = "r",
    **options,
) -> SpatialWeights:
    """Build :class:`SpatialWeights` from exactly one kind of input.

    Parameters
    ----------
    adjacency : pairs or mapping, optional
        Neighbour pairs ``[(i, j), …]`` (undirected) or ``{id: [neighbour ids]}``; see
        :meth:`SpatialWeights.from_adjacency` (``symmetric=`` option).
    ids : sequence, optional
        Unit ids in row order.
    matrix : array_like or scipy.sparse matrix, optional
        n × n non-negative weights; see :meth:`SpatialWeights.from_matrix`.
    lat, lon : array_like, optional
        Coordinates in degrees for great-circle inverse-distance weights; options
        ``alpha`` (1), ``threshold``, ``k``, ``radius``; see
        :meth:`SpatialWeights.from_coordinates`.
    gal : path or str, optional
        A GAL file or its text; option ``id_type``; see :meth:`SpatialWeights.from_gal`.
    transform : {"r", "b", "none"}
        ``"r"`` row-standardised (default, as esda's ``transformation="r"``,
        esda/moran.py), ``"b"`` binary, ``"none"`` as given.

    Returns
    -------
    SpatialWeights

    Examples
    --------
    >>> w = spatial_weights([("11", "12"), ("11", "13"), ("12", "13")])
    >>> w.n, w.neighbors("11"), w["11"]
    (3, ['12', '13'], {'12': 0.5, '13': 0.5})
    """
    given = {
        "adjacency": adjacency is not None,
        "matrix": matrix is not None,
        "lat/lon": lat is not None or lon is not None,
        "gal": gal is not None,
    }
    chosen = [k for k, v in given.items() if v]
    if len(chosen) != 1:
        raise DataValidationError(
            "give exactly one of adjacency=, matrix=, lat= and lon=, gal=; got "
            + (", ".join(chosen) or "none"),
            field="adjacency",
        )
    allowed = {
        "adjacency": {"symmetric"},
        "matrix": set(),
        "lat/lon": {"alpha", "threshold", "k", "radius"},
        "gal": {"id_type"},
    }[chosen[0]]
    extra = sorted(set(options) - allowed)
    if extra:
        raise DataValidationError(
            f"option(s) {', '.join(extra)} do not apply to {chosen[0]} weights", field=extra[0]
        )
    if adjacency is not None:
        return SpatialWeights.from_adjacency(adjacency, ids, transform=transform, **options)
    if matrix is not None:
        return SpatialWeights.from_matrix(matrix, ids, transform=transform)
    if gal is not None:
        if ids is not None:
            raise DataValidationError("a GAL file names its own ids; do not pass ids=", field="ids")
        return SpatialWeights.from_gal(gal, transform=transform, **options)
    if lat is None or lon is None:
        raise DataValidationError("coordinates need both lat= and lon=", field="lat")
    return SpatialWeights.from_coordinates(lat, lon, ids, transform=transform, **options)


# --------------------------------------------------------------------------- provinces

_ADJACENCY_FILE = "province_adjacency.yaml"
_HAINAN = ("guangdong", "guangdong_guangxi", "island")


@functools.cache
def _adjacency_file() -> dict:
    text = (resources.files("nqpf.datasets") / _ADJACENCY_FILE).read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML syntax error: {exc}", file=_ADJACENCY_FILE) from None
    for key in ("id", "version", "source", "confidence", "verified", "pairs", "hainan"):
        if key not in raw:
            raise ConfigError(f"missing key {key!r}", file=_ADJACENCY_FILE, field=key)
    options = raw["hainan"].get("options", {})
    if set(options) != set(_HAINAN):
        raise ConfigError(
            f"hainan.options must be exactly {', '.join(_HAINAN)}",
            file=_ADJACENCY_FILE,
            field="hainan.options",
        )
    seen = set()
    for k, pair in enumerate(raw["pairs"]):
        if len(pair) != 2 or pair[0] == pair[1] or not all(re.fullmatch(r"\d{2}", p) for p in pair):
            raise ConfigError(
                f"entry {k} is {pair!r}; expected two different 2-digit codes",
                file=_ADJACENCY_FILE,
                field=f"pairs.{k}",
            )
        key = frozenset(pair)
        if key in seen:
            raise ConfigError(
                f"pair {pair!r} is listed twice", file=_ADJACENCY_FILE, field=f"pairs.{k}"
            )
        seen.add(key)
    return raw


def province_weights(
    kind: str = "contiguity",
    hainan: str | None = None,
    *,
    provinces: Sequence[str] | None = None,
    labels: str = "code",
    transform: str = "r",
    alpha: float = 1.0,
    threshold: float | None = None,
    k: int | None = None,
) -> SpatialWeights:
    """Spatial weights for the 31 mainland provinces from the data shipped with nqpf.

    Parameters
    ----------
    kind : {"contiguity", "inverse_distance"}
        ``"contiguity"``: 0-1 land-border adjacency from ``datasets/province_adjacency.yaml``
        (68 pairs; ``confidence: unverified``, ``verified: false``: compiled from general
        geographic knowledge, check against an official map before publication).
        ``"inverse_distance"``: d_ij^(−alpha) between provincial capitals
        (``regions.yaml``, great-circle distance, km).
    hainan : {"guangdong", "guangdong_guangxi", "island"}, optional
        Contiguity only.  海南 has no land border; the literature commonly links it to
        广东 and/or 广西 (data.md §4.4, an unverified convention).  Default
        ``"guangdong"`` (one link 海南–广东); ``"guangdong_guangxi"`` adds 海南–广西;
        ``"island"`` leaves it unlinked, so Moran's I needs ``islands="ignore"``.
    provinces : sequence of str, optional
        Codes (``"11"``) or short names (``"北京"``) to keep, in the desired row order;
        e.g. the 30 provinces without 西藏 ("54") that most NQPF panels use.  Default all
        31 in code order.  Links to dropped provinces are removed and the rows
        re-standardised.
    labels : {"code", "name"}
        Use NBS codes (default) or short Chinese names as ids.
    transform : {"r", "b", "none"}
        Default ``"r"`` (row-standardised).
    alpha, threshold, k
        Inverse distance only; see :meth:`SpatialWeights.from_coordinates`.

    Returns
    -------
    SpatialWeights
        ``meta`` carries the file's ``source``, ``confidence`` and ``verified`` flags.

    Examples
    --------
    >>> w = province_weights()
    >>> w.n, int(w.original.nnz) // 2, w.neighbors("46")
    (31, 69, ['44'])
    >>> province_weights(hainan="island").islands
    ['46']
    >>> w = province_weights(provinces=["北京", "天津", "河北"], labels="name", transform="b")
    >>> w.neighbors("北京")
    ['天津', '河北']
    """
    from nqpf.datasets import load_regions

    check_choice(kind, "kind", ("contiguity", "inverse_distance"))
    check_choice(labels, "labels", ("code", "name"))
    regions = load_regions()
    codes = regions["code"].tolist()
    by_name = dict(zip(regions["name"], regions["code"], strict=True))
    if provinces is None:
        keep = codes
    else:
        if isinstance(provinces, str):
            raise DataValidationError(
                "provinces must be a list of codes or names, not one string", field="provinces"
            )
        keep = []
        for p in provinces:
            code = str(p) if str(p) in codes else by_name.get(str(p))
            if code is None:
                raise DataValidationError(
                    f"unknown province {p!r}; expected an NBS code such as '11' or a short "
                    "name such as '北京'",
                    field="provinces",
                )
            keep.append(code)
        _as_ids(keep, None, "provinces")
    label_of = dict(zip(codes, regions[labels], strict=True))
    out_ids = [label_of[c] for c in keep]
    if kind == "inverse_distance":
        if hainan is not None:
            raise DataValidationError(
                "hainan= applies to contiguity weights only; inverse distance links 海南 "
                "to every other province",
                field="hainan",
            )
        sub = regions.set_index("code").loc[keep]
        w = SpatialWeights.from_coordinates(
            sub["lat"].to_numpy(),
            sub["lon"].to_numpy(),
            out_ids,
            alpha=alpha,
            threshold=threshold,
            k=k,
            transform=transform,
        )
        meta = {
            "source": regions.attrs.get("capitals_source", "regions.yaml"),
            "confidence": regions.attrs.get("capitals_confidence", "unverified"),
            "verified": bool(regions.attrs.get("verified", False)),
            "kind": "inverse_distance",
        }
    else:
        if alpha != 1.0 or threshold is not None or k is not None:
            raise DataValidationError(
                "alpha, threshold and k apply to inverse-distance weights only", field="kind"
            )
        hainan = "guangdong" if hainan is None else hainan
        check_choice(hainan, "hainan", _HAINAN)
        data = _adjacency_file()
        unknown = sorted({c for pair in data["pairs"] for c in pair} - set(codes))
        if unknown:
            raise ConfigError(
                f"codes not in regions.yaml: {', '.join(unknown)}",
                file=_ADJACENCY_FILE,
                field="pairs",
            )
        pairs = [tuple(p) for p in data["pairs"]] + [
            tuple(p) for p in data["hainan"]["options"][hainan]
        ]
        kept = set(keep)
        pairs = [(label_of[a], label_of[b]) for a, b in pairs if a in kept and b in kept]
        w = SpatialWeights.from_adjacency(pairs, out_ids, symmetric=True, transform=transform)
        meta = {
            "source": " ".join(str(data["source"]).split()),
            "confidence": data["confidence"],
            "verified": bool(data["verified"]),
            "kind": "contiguity",
            "hainan": hainan,
            "file": _ADJACENCY_FILE,
            "version": data["version"],
        }
    return SpatialWeights(w.sparse, w.ids, w.transform, w.original, meta)


# --------------------------------------------------------------------------- Moran


def _drop_islands(
    y: np.ndarray, w: SpatialWeights, islands: str
) -> tuple[np.ndarray, SpatialWeights, tuple]:
    check_choice(islands, "islands", ("error", "ignore"))
    if not w.islands:
        return y, w, ()
    if islands == "error":
        shown = ", ".join(map(str, w.islands[:10])) + (" …" if len(w.islands) > 10 else "")
        raise DataValidationError(
            f"{len(w.islands)} unit(s) have no neighbours (islands): {shown}; their spatial lag "
            "is 0 and Moran's I would count them as dissimilar to their (absent) neighbours. "
            "Link them (e.g. province_weights(hainan='guangdong')) or pass islands='ignore' to "
            "drop them from the statistic",
            field="islands",
        )
    dropped: list = []
    while w.islands:
        dropped += w.islands
        bad = set(w.islands)
        keep = [i for i, v in enumerate(w.ids) if v not in bad]
        y = y[keep]
        w = w.subset([w.ids[i] for i in keep])
    return y, w, tuple(dropped)


def _p_sim(observed, sims_ge: np.ndarray, sims_le: np.ndarray, P: int, alternative: str):
    """Pseudo p = (M + 1) / (P + 1) with M counted as esda's ``alternative``."""
    if alternative == "greater":
        m = sims_ge
    elif alternative == "lesser":
        m = sims_le
    else:  # esda "directed": the smaller tail of the ≥ count
        m = np.minimum(sims_ge, P - sims_ge)
    return (m + 1.0) / (P + 1.0)


@dataclass(frozen=True, eq=False)
class MoranResult(Result):
    """Global Moran's I with analytical and (optionally) permutation inference.

    Attributes
    ----------
    I, EI : float
        Moran's I and E[I] = −1 / (n − 1).
    VI_norm, VI_rand : float
        Variance under normality and under randomisation (methods.md §14.1).
    z_norm, p_norm, z_rand, p_rand : float
        z = (I − E[I]) / √V and its p-value (two-tailed if ``two_tailed``).
    p_sim : float
        Pseudo p-value (M + 1) / (P + 1) from P random permutations (NaN without them).
    EI_sim, seI_sim, z_sim, p_z_sim : float
        Mean and standard deviation (ddof = 0) of the permuted I, z = (I − EI_sim) /
        seI_sim and its one-tailed normal p-value, as esda.
    sim : numpy.ndarray or None
        The P permuted values of I.
    n, permutations, two_tailed, alternative, transform, dropped
        Sample size used, settings and the ids of islands dropped (``islands="ignore"``).
    """

    I: float  # noqa: E741
    EI: float
    VI_norm: float
    VI_rand: float
    z_norm: float
    p_norm: float
    z_rand: float
    p_rand: float
    n: int
    permutations: int = 0
    p_sim: float = math.nan
    EI_sim: float = math.nan
    seI_sim: float = math.nan
    z_sim: float = math.nan
    p_z_sim: float = math.nan
    sim: np.ndarray | None = field(default=None, repr=False)
    two_tailed: bool = True
    alternative: str = "directed"
    transform: str = "r"
    dropped: tuple = ()

    @property
    def seI_norm(self) -> float:
        return math.sqrt(self.VI_norm)

    @property
    def seI_rand(self) -> float:
        return math.sqrt(self.VI_rand)

    def to_frame(self) -> pd.DataFrame:
        cols = ["I", "EI", "VI_norm", "z_norm", "p_norm", "VI_rand", "z_rand", "p_rand", "n"]
        if self.permutations:
            cols += ["permutations", "p_sim", "EI_sim", "seI_sim", "z_sim", "p_z_sim"]
        return pd.DataFrame([{c: getattr(self, c) for c in cols}])

    def summary(self) -> Summary:
        tails = "two-tailed" if self.two_tailed else "one-tailed"
        rows = [
            ("Moran's I", self.I),
            ("E[I]", self.EI),
            ("z (normality)", self.z_norm),
            (f"p (normality, {tails})", self.p_norm),
            ("z (randomisation)", self.z_rand),
            (f"p (randomisation, {tails})", self.p_rand),
            ("n", self.n),
            ("W transform", self.transform),
        ]
        if self.permutations:
            rows += [
                ("permutations", self.permutations),
                (f"pseudo p ({self.alternative})", self.p_sim),
                ("z (permutation)", self.z_sim),
            ]
        notes = ()
        if self.dropped:
            notes = (f"islands dropped: {', '.join(map(str, self.dropped))}",)
        return Summary(title="全局莫兰指数 (global Moran's I)", rows=tuple(rows), notes=notes)


def _align(y, w: SpatialWeights):
    """A pandas Series indexed by the weights' ids is put in the weights' row order."""
    if isinstance(y, pd.Series) and not isinstance(y.index, pd.RangeIndex):
        idx = [python_scalar(v) for v in y.index]
        if len(idx) == w.n and set(idx) == set(w.ids):
            pos = {v: i for i, v in enumerate(idx)}
            return y.to_numpy()[[pos[v] for v in w.ids]]
    return y


def moran(
    y,
    w: SpatialWeights,
    permutations: int = 0,
    rng=None,
    *,
    periods=None,
    two_tailed: bool = True,
    alternative: str = "directed",
    islands: str = "error",
) -> MoranResult | ByPeriod:
    """Global Moran's I.

    Parameters
    ----------
    y : array_like, shape (n,)
        One value per unit in the row order of ``w`` (a pandas Series indexed by the
        ids is re-ordered).  With ``periods``, the values of all periods stacked, each
        period's block in ``w``'s order.
    w : SpatialWeights
        Used with its own transformation (row-standardised by default, as esda).
    permutations : int
        Number P of random permutations of y for the pseudo p-value; default 0 (none).
    rng : numpy.random.Generator, int or None
        Source of randomness for the permutations (seed it for reproducible p_sim).
    periods : array_like, optional
        Period label of every value: returns a :class:`~nqpf.disparity._panel.ByPeriod`
        of one result per period (the generator is shared, in period order).
    two_tailed : bool
        Double the one-tailed normal p-values ``p_norm`` and ``p_rand`` (default True, as
        esda).  ``p_sim`` and ``p_z_sim`` are one-tailed, as in esda.
    alternative : {"directed", "greater", "lesser"}
        How M in (M + 1)/(P + 1) is counted: ``"directed"`` (default, esda's legacy
        choice) counts permuted I ≥ I and takes the smaller tail; ``"greater"`` counts
        I_sim ≥ I, ``"lesser"`` I_sim ≤ I.
    islands : {"error", "ignore"}
        Units without neighbours raise an error (default); ``"ignore"`` drops them (and
        re-standardises rows that linked to them) before computing I, and lists them in
        ``dropped``.

    Returns
    -------
    MoranResult or ByPeriod

    Notes
    -----
    I = (n / S₀) zᵀWz / zᵀz with z = y − ȳ; E[I] = −1/(n − 1);
    VI_norm = (n²S₁ − nS₂ + 3S₀²) / ((n² − 1)S₀²) − E[I]²;
    VI_rand = [n((n² − 3n + 3)S₁ − nS₂ + 3S₀²) − b₂((n² − n)S₁ − 2nS₂ + 6S₀²)] /
    ((n − 1)(n − 2)(n − 3)S₀²) − E[I]², b₂ = nΣz⁴/(Σz²)² (Cliff and Ord 1981; esda,
    methods.md §14.1).  Permutations are evaluated in memory-bounded blocks: Z (n × m
    permuted copies of z), L = W Z, I_sim = (n/S₀) colsum(Z ∘ L)/zᵀz.  The identity
    arrangement is one of the permutations, so permuted values equal to I up to rounding
    (relative 1e-10 of the bound on |I|) count as ties on both sides.

    References
    ----------
    Cliff, A.D. and Ord, J.K. (1981). *Spatial Processes: Models and Applications*. Pion.

    Examples
    --------
    >>> w = spatial_weights(lattice_adjacency(3, 3))
    >>> r = moran([1, 2, 3, 4, 5, 6, 7, 8, 9], w, permutations=99, rng=0)
    >>> round(r.I, 4), round(r.EI, 4), r.p_sim < 0.1
    (0.5556, -0.125, True)
    """
    check_choice(alternative, "alternative", _ALTERNATIVES)
    if (
        isinstance(permutations, bool)
        or not isinstance(permutations, int | np.integer)
        or permutations < 0
    ):
        raise DataValidationError(
            f"permutations must be a non-negative integer, got {permutations!r}",
            field="permutations",
        )
    if not isinstance(w, SpatialWeights):
        raise DataValidationError(
            "w must be a SpatialWeights (build one with spatial_weights(...))", field="w"
        )
    gen = _as_rng(rng)
    if periods is not None:
        v = np.asarray(y, dtype=np.float64).ravel()
        return by_period(
            _moran,
            periods,
            v.shape[0],
            {"y": v},
            "Moran's I",
            w=w,
            permutations=int(permutations),
            rng=gen,
            two_tailed=two_tailed,
            alternative=alternative,
            islands=islands,
        )
    return _moran(
        _align(y, w),
        w=w,
        permutations=int(permutations),
        rng=gen,
        two_tailed=two_tailed,
        alternative=alternative,
        islands=islands,
    )


def _moran(y, *, w, permutations, rng, two_tailed, alternative, islands) -> MoranResult:
    v = values_per_unit(y, w.n)
    v, w, dropped = _drop_islands(v, w, islands)
    n = v.shape[0]
    if n < 4:
        raise DataValidationError(
            f"Moran's I needs at least 4 units (the randomisation variance divides by "
            f"(n−1)(n−2)(n−3)), got {n}",
            field="y",
        )
    z = v - v.mean()
    z2ss = float(z @ z)
    if z2ss <= 1e-24 * max(1.0, float(np.abs(v).max()) ** 2) * n:
        raise DataValidationError("y is constant across units; Moran's I is undefined", field="y")
    W = w.sparse
    s0, s1, s2 = w.s0, w.s1, w.s2
    if s0 <= 0:
        raise DataValidationError("the weights have no links (S0 = 0)", field="w")
    I = n / s0 * float(z @ (W @ z)) / z2ss  # noqa: E741
    EI = -1.0 / (n - 1)
    s02 = s0 * s0
    VI_norm = (n * n * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - EI * EI
    b2 = n * float((z**4).sum()) / z2ss**2
    A = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s02)
    B = b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s02)
    VI_rand = (A - B) / ((n - 1) * (n - 2) * (n - 3) * s02) - EI * EI
    z_norm = (I - EI) / math.sqrt(VI_norm)
    z_rand = (I - EI) / math.sqrt(VI_rand) if VI_rand > 0 else math.nan
    tails = 2.0 if two_tailed else 1.0
    p_norm = tails * float(stats.norm.sf(abs(z_norm)))
    p_rand = tails * float(stats.norm.sf(abs(z_rand))) if math.isfinite(z_rand) else math.nan
    extra: dict[str, Any] = {}
    if permutations:
        sim = _permuted_I(z, W, n / s0 / z2ss, permutations, rng)
        # The observed arrangement is among the permutations: values equal to I up to
        # rounding count as ties (≥ and ≤), so the count does not hinge on the last bit.
        tol = _TIE_RTOL * n / s0 * float(np.abs(z).max()) ** 2 * float(W.sum()) / z2ss
        ge = int((sim >= I - tol).sum())
        le = int((sim <= I + tol).sum())
        EI_sim = float(sim.mean())
        seI_sim = float(sim.std())
        with np.errstate(divide="ignore", invalid="ignore"):
            z_sim = float((I - EI_sim) / seI_sim) if seI_sim > 0 else math.nan
        extra = {
            "p_sim": float(_p_sim(I, ge, le, permutations, alternative)),
            "EI_sim": EI_sim,
            "seI_sim": seI_sim,
            "z_sim": z_sim,
            "p_z_sim": float(stats.norm.sf(abs(z_sim))) if math.isfinite(z_sim) else math.nan,
            "sim": sim,
        }
    return MoranResult(
        I=I,
        EI=EI,
        VI_norm=VI_norm,
        VI_rand=VI_rand,
        z_norm=z_norm,
        p_norm=p_norm,
        z_rand=z_rand,
        p_rand=p_rand,
        n=n,
        permutations=permutations,
        two_tailed=two_tailed,
        alternative=alternative,
        transform=w.transform,
        dropped=dropped,
        **extra,
    )


@numba.njit(parallel=True, cache=True, nogil=True)
def _shuffle_rows(z, U, out):  # pragma: no cover - compiled
    """Row r of ``out`` = z shuffled by Fisher–Yates driven by the uniforms ``U[r]``.

    Every row depends only on its own row of U, so the result does not depend on the
    number of threads; U comes from the caller's Generator, so the draw is seeded.
    """
    m, n = out.shape
    for r in numba.prange(m):
        row = out[r]
        for i in range(n):
            row[i] = z[i]
        for i in range(n - 1, 0, -1):
            j = int(U[r, i - 1] * (i + 1))
            if j > i:  # guard against rounding at u → 1
                j = i
            t = row[i]
            row[i] = row[j]
            row[j] = t


def _permuted_I(z: np.ndarray, W, scale: float, P: int, rng: np.random.Generator) -> np.ndarray:
    """I for P random permutations of z, in blocks of m rows (≤ ``_CHUNK_BYTES``).

    Z (m × n) holds m uniformly permuted copies of z; L = W Zᵀ (n × m) their spatial lags;
    I_sim = scale · diag(Z L).
    """
    n = z.shape[0]
    m_max = max(1, min(P, _CHUNK_BYTES // (24 * n)))
    out = np.empty(P)
    Z = np.empty((m_max, n))
    for start in range(0, P, m_max):
        m = min(m_max, P - start)
        _shuffle_rows(z, rng.random((m, n - 1)), Z[:m])
        L = W @ Z[:m].T
        out[start : start + m] = np.einsum("ij,ji->i", Z[:m], L)
    return out * scale


# --------------------------------------------------------------------------- local Moran


@dataclass(frozen=True, eq=False)
class LocalMoranResult(Result):
    """Local Moran's I_i (Anselin 1995) with quadrants and permutation inference.

    Attributes
    ----------
    Is : numpy.ndarray
        I_i = z_i Σ_j w_ij z_j / m₂, m₂ = Σ z² / (n − ddof).
    q : numpy.ndarray of int
        Moran-scatter quadrant of each unit in ``quadrant_scheme`` codes (pysal: HH 1,
        LH 2, LL 3, HL 4; geoda: HH 1, LL 2, LH 3, HL 4).
    p_sim : numpy.ndarray
        Conditional-permutation pseudo p-values (NaN when ``permutations == 0``).
    EI, VI : numpy.ndarray
        Analytical mean −w_i/(n − 1) and variance under total randomisation (Sokal et al.
        1998, eqs. A3–A4*), as esda's ``EI`` and ``VI``.
    EI_sim, seI_sim, z_sim, p_z_sim : numpy.ndarray
        Moments of the permuted I_i, z-score and its one-tailed normal p-value (esda).
    significant : numpy.ndarray of bool
        ``p_sim < alpha`` (strict, as esda's cluster labels).
    cluster_labels : numpy.ndarray of str
        高-高 / 低-高 / 低-低 / 高-低 for significant units, else 不显著.
    z, lag : numpy.ndarray
        y standardised (y − ȳ)/sd (ddof = 0, as esda's ``z``) and its spatial lag W z: the
        Moran scatter plot (its fitted slope is the global I for row-standardised W).
    ids : tuple
        Unit ids in the order of the arrays (islands dropped with ``islands="ignore"``).
    sim : numpy.ndarray or None
        P × n permuted I_i when ``keep_simulations=True``.
    """

    Is: np.ndarray
    q: np.ndarray
    p_sim: np.ndarray
    EI: np.ndarray
    VI: np.ndarray
    EI_sim: np.ndarray
    seI_sim: np.ndarray
    z_sim: np.ndarray
    p_z_sim: np.ndarray
    significant: np.ndarray
    cluster_labels: np.ndarray
    z: np.ndarray
    lag: np.ndarray
    ids: tuple
    quadrant_scheme: str = "pysal"
    alpha: float = 0.05
    permutations: int = 999
    alternative: str = "directed"
    ddof: int = 1
    transform: str = "r"
    dropped: tuple = ()
    sim: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.Is.shape[0])

    @property
    def quadrant_names(self) -> np.ndarray:
        """HH / LH / LL / HL of every unit, whatever the code scheme."""
        inv = {v: k for k, v in _QUADRANT_CODES[self.quadrant_scheme].items()}
        return np.array([inv[int(c)] for c in self.q], dtype=object)

    def moran_scatter_data(self) -> pd.DataFrame:
        """Data for a Moran scatter plot: ``id``, ``z``, ``lag``, ``quadrant``, ``cluster``."""
        return pd.DataFrame(
            {
                "id": list(self.ids),
                "z": self.z,
                "lag": self.lag,
                "quadrant": self.quadrant_names,
                "cluster": self.cluster_labels,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "id": list(self.ids),
                "Is": self.Is,
                "z": self.z,
                "lag": self.lag,
                "q": self.q,
                "quadrant": self.quadrant_names,
                "EI": self.EI,
                "VI": self.VI,
                "p_sim": self.p_sim,
                "z_sim": self.z_sim,
                "p_z_sim": self.p_z_sim,
                "significant": self.significant,
                "cluster": self.cluster_labels,
            }
        )

    def summary(self) -> Summary:
        counts = pd.Series(self.cluster_labels).value_counts()
        rows: list[tuple[str, Any]] = [
            ("n", self.n),
            ("permutations", self.permutations),
            ("alpha", self.alpha),
            ("quadrant scheme", self.quadrant_scheme),
        ]
        order = [*_CLUSTER_LABELS.values(), _NOT_SIGNIFICANT]
        rows += [(label, int(counts.get(label, 0))) for label in order]
        notes = []
        if not self.permutations:
            notes.append("no permutations: p_sim is NaN and no unit is marked significant")
        if self.dropped:
            notes.append(f"islands dropped: {', '.join(map(str, self.dropped))}")
        return Summary(title="局部莫兰指数 (LISA)", rows=tuple(rows), notes=tuple(notes))


def _draw_ids(P: int, K: int, N: int, rng: np.random.Generator) -> np.ndarray:
    """P rows of K distinct integers from range(N), each row a uniform ordered sample."""
    if K == 0:
        return np.empty((P, 0), dtype=np.int64)
    if K * (K - 1) < N:  # duplicates are rare: draw with replacement, redraw bad rows
        out = rng.integers(0, N, size=(P, K))
        bad = np.arange(P)
        while True:
            s = np.sort(out[bad], axis=1)
            dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
            bad = bad[dup]
            if not bad.size:
                return out
            out[bad] = rng.integers(0, N, size=(bad.size, K))
    return np.argsort(rng.random((P, N)), axis=1)[:, :K]


def local_moran(
    y,
    w: SpatialWeights,
    permutations: int = 999,
    rng=None,
    *,
    quadrant_scheme: str = "pysal",
    alpha: float = 0.05,
    ddof: int = 1,
    alternative: str = "directed",
    islands: str = "error",
    keep_simulations: bool = False,
) -> LocalMoranResult:
    """Local Moran's I (LISA) with conditional-permutation pseudo p-values.

    Parameters
    ----------
    y : array_like, shape (n,)
        One value per unit in the row order of ``w``.
    w : SpatialWeights
        Used with its own transformation (row-standardised by default, as esda).
    permutations : int
        Number P of conditional permutations; default 999 (esda's default).  0 skips
        inference.
    rng : numpy.random.Generator, int or None
        Source of randomness (seed it for reproducible p-values).
    quadrant_scheme : {"pysal", "geoda"}
        Codes in ``q``: ``"pysal"`` (esda's ``Moran_Local.q``) HH 1, LH 2, LL 3, HL 4;
        ``"geoda"`` (esda ``geoda_quads=True``) HH 1, LL 2, LH 3, HL 4 (methods.md §14.2).
        A unit is "high" when z_i > 0 and has a "high" lag when (Wz)_i > 0 (strict, as
        esda).
    alpha : float
        Significance level for ``significant`` and the cluster labels; default 0.05.
    ddof : int
        m₂ = Σz²/(n − ddof).  Default 1 reproduces esda's ``Is`` (and GeoDa's, which
        standardises with the sample sd [unverified]); 0 gives Anselin's (1995) m₂ =
        Σz²/n, which scales every I_i by n/(n − 1).  It does not affect p-values or
        quadrants.
    alternative : {"directed", "greater", "lesser"}
        Counting of M in (M + 1)/(P + 1); see :func:`moran`.  Default ``"directed"``
        (esda's ``Moran_Local.p_sim``).
    islands : {"error", "ignore"}
        See :func:`moran`; with ``"ignore"`` the arrays cover the remaining units, listed
        in ``ids``.
    keep_simulations : bool
        Keep the P × n matrix of permuted I_i in ``sim`` (default False).

    Returns
    -------
    LocalMoranResult

    Notes
    -----
    Conditional randomisation (Anselin 1995): for each unit i, its value stays and k_i
    values drawn without replacement from the other n − 1 are placed on its neighbours.
    As in esda's ``crand``, one P × max k matrix of draws from {0, …, n − 2} is shared by
    all units.  For unit i a draw v stands for unit v, except v = i, which stands for
    unit n − 1 (a bijection onto the other units), so every unit's neighbours receive a
    uniform sample without replacement of the other units' values.  The permuted lags are a dense (P × K)(K × n) product plus a
    scatter correction, evaluated in memory-bounded blocks.  Permuted I_i equal to the
    observed one up to rounding count as ties on both sides.  Pseudo p-values differ
    from esda's by Monte Carlo error only (different random streams).

    EI and VI are reported exactly as esda computes them: they are the moments of
    Anselin's I_i (m₂ = Σz²/n) under total randomisation.

    References
    ----------
    Anselin, L. (1995). Local indicators of spatial association — LISA. *Geographical
    Analysis* 27(2): 93–115.
    Sokal, R.R., Oden, N.L. and Thomson, B.A. (1998). Local spatial autocorrelation in a
    biological model. *Geographical Analysis* 30(4): 331–354.

    Examples
    --------
    >>> w = spatial_weights(lattice_adjacency(3, 3))
    >>> lm = local_moran([1, 2, 6, 2, 3, 9, 4, 8, 9], w, permutations=999, rng=1)
    >>> lm.q.tolist()
    [3, 3, 1, 3, 2, 1, 2, 1, 1]
    >>> lm.to_frame()[["id", "quadrant", "p_sim", "cluster"]].head(3)
       id quadrant  p_sim cluster
    0   0       LL  0.045     低-低
    1   1       LL  0.122     不显著
    2   2       HH  0.442     不显著
    """
    check_choice(quadrant_scheme, "quadrant_scheme", ("pysal", "geoda"))
    check_choice(alternative, "alternative", _ALTERNATIVES)
    if (
        isinstance(permutations, bool)
        or not isinstance(permutations, int | np.integer)
        or permutations < 0
    ):
        raise DataValidationError(
            f"permutations must be a non-negative integer, got {permutations!r}",
            field="permutations",
        )
    if not (0 < alpha < 1):
        raise DataValidationError(f"alpha must be in (0, 1), got {alpha}", field="alpha")
    if ddof not in (0, 1):
        raise DataValidationError(f"ddof must be 0 or 1, got {ddof!r}", field="ddof")
    if not isinstance(w, SpatialWeights):
        raise DataValidationError(
            "w must be a SpatialWeights (build one with spatial_weights(...))", field="w"
        )
    gen = _as_rng(rng)
    v = values_per_unit(_align(y, w), w.n)
    v, w, dropped = _drop_islands(v, w, islands)
    n = v.shape[0]
    if n < 3:
        raise DataValidationError(f"local Moran needs at least 3 units, got {n}", field="y")
    P = int(permutations)
    z = v - v.mean()
    z2ss = float(z @ z)
    if z2ss <= 1e-24 * max(1.0, float(np.abs(v).max()) ** 2) * n:
        raise DataValidationError("y is constant across units; local Moran is undefined", field="y")
    W = w.sparse
    m2 = z2ss / (n - ddof)
    lag_z = W @ z
    Is = z * lag_z / m2
    codes = _QUADRANT_CODES[quadrant_scheme]
    hi, lhi = z > 0, lag_z > 0
    q = np.select(
        [hi & lhi, ~hi & lhi, ~hi & ~lhi], [codes["HH"], codes["LH"], codes["LL"]], codes["HL"]
    ).astype(np.int64)
    # Analytical moments as esda (Sokal et al. 1998, total randomisation, m2 = Σz²/n).
    wi = np.asarray(W.sum(axis=1)).ravel()
    wi2 = np.asarray(W.multiply(W).sum(axis=1)).ravel()
    m2n = z2ss / n
    b2 = float((z**4).sum()) / n / m2n**2
    EI = -wi / (n - 1)
    VI = wi2 * (n - b2) / (n - 1) + (wi**2 - wi2) * (2 * b2 - n) / ((n - 1) * (n - 2)) - EI**2
    sd = math.sqrt(m2n)
    nan = np.full(n, np.nan)
    p_sim, EI_sim, seI_sim, z_sim, p_z_sim, sim = nan, nan, nan, nan, nan, None
    if P:
        p_sim, EI_sim, seI_sim, sim = _crand(z, W, Is, m2, P, gen, alternative, keep_simulations)
        with np.errstate(divide="ignore", invalid="ignore"):
            z_sim = (Is - EI_sim) / seI_sim
        p_z_sim = stats.norm.sf(np.abs(z_sim))
    significant = p_sim < alpha if P else np.zeros(n, dtype=bool)
    names = np.select([hi & lhi, ~hi & lhi, ~hi & ~lhi], ["HH", "LH", "LL"], "HL")
    labels = np.array(
        [
            _CLUSTER_LABELS[k] if s else _NOT_SIGNIFICANT
            for k, s in zip(names, significant, strict=True)
        ],
        dtype=object,
    )
    return LocalMoranResult(
        Is=Is,
        q=q,
        p_sim=p_sim,
        EI=EI,
        VI=VI,
        EI_sim=EI_sim,
        seI_sim=seI_sim,
        z_sim=z_sim,
        p_z_sim=p_z_sim,
        significant=significant,
        cluster_labels=labels,
        z=z / sd,
        lag=lag_z / sd,
        ids=w.ids,
        quadrant_scheme=quadrant_scheme,
        alpha=float(alpha),
        permutations=P,
        alternative=alternative,
        ddof=int(ddof),
        transform=w.transform,
        dropped=dropped,
        sim=sim,
    )


def _crand(z, W, Is, m2, P, rng, alternative, keep):
    """Conditional-permutation distribution of every I_i (see :func:`local_moran` Notes)."""
    n = z.shape[0]
    card = np.diff(W.indptr)
    K = int(card.max())
    # Padded neighbour weights: Wpad[i, j] = j-th stored weight of row i (0 beyond k_i).
    Wpad = np.zeros((n, K))
    slot = np.arange(W.nnz) - np.repeat(W.indptr[:-1], card)
    Wpad[np.repeat(np.arange(n), card), slot] = W.data
    WpadT = np.ascontiguousarray(Wpad.T)
    delta = z[n - 1] - z  # value swap for the draw that equals the focal unit
    scale = z / m2
    # Ties with the observed I_i (up to rounding) count as ≥ and ≤; |I_i| ≤ |z_i| w_i max|z| / m2.
    tol = _TIE_RTOL * np.abs(scale) * Wpad.sum(axis=1) * float(np.abs(z).max())
    m_max = max(1, min(P, _CHUNK_BYTES // (16 * n)))
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    sims = np.empty((P, n)) if keep else None
    for start in range(0, P, m_max):
        m = min(m_max, P - start)
        ids = _draw_ids(m, K, n - 1, rng)  # m × K
        lag = z[ids] @ WpadT  # m × n: Σ_j w_ij z[draw_j] with draws from 0 … n − 2
        # Draw v == i stands for unit n − 1: add w_i,slot · (z[n−1] − z[i]) where it occurs.
        rows, slots = np.nonzero(Wpad[ids, np.arange(K)] != 0)  # only slots unit i uses
        units = ids[rows, slots]
        lag[rows, units] += Wpad[units, slots] * delta[units]
        I_sim = lag * scale
        dev = I_sim - Is
        ge += (dev >= -tol).sum(axis=0)
        le += (dev <= tol).sum(axis=0)
        s1 += dev.sum(axis=0)
        s2 += (dev * dev).sum(axis=0)
        if keep:
            sims[start : start + m] = I_sim
    mean_dev = s1 / P
    EI_sim = Is + mean_dev
    seI_sim = np.sqrt(np.maximum(s2 / P - mean_dev**2, 0.0))
    return _p_sim(Is, ge, le, P, alternative), EI_sim, seI_sim, sims
