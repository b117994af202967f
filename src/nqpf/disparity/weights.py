"""Spatial weights: the n × n matrix W of who neighbours whom, with the unit ids.

:class:`SpatialWeights` holds W (scipy CSR) with the unit ids; build it from an adjacency
list, a matrix, capital coordinates (great-circle inverse distance), a GAL file, or the
shipped province table (:func:`province_weights`).  The statistics that use it live in
:mod:`nqpf.disparity.moran` and :mod:`nqpf.disparity.markov`.

Conventions follow PySAL ``libpysal`` (the test oracle, methods.md §14): row-standardised
W by default (``transform="r"``), ids in row order, islands as units with an empty row.

Examples
--------
>>> w = spatial_weights(lattice_adjacency(2, 2), transform="b")
>>> w.n, w.neighbors(0), int(w.s0)
(4, [1, 2], 8)
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

import numpy as np
import pandas as pd
import yaml
from scipy import sparse
from scipy.spatial import cKDTree

from nqpf.disparity._validation import check_choice, python_scalar, values_per_unit
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.results import Result, Summary

__all__ = [
    "EARTH_RADIUS_KM",
    "SpatialWeights",
    "as_weights",
    "haversine",
    "lattice_adjacency",
    "parse_gal",
    "province_weights",
    "spatial_weights",
]

#: Mean Earth radius R₁ = (2a + b) / 3 of the WGS84 ellipsoid in km (IUGG; Moritz 1980,
#: "Geodetic Reference System 1980", Bulletin Géodésique 54: 395–405).
EARTH_RADIUS_KM = 6371.0088

_TRANSFORMS = ("r", "b", "none")
_TRANSFORM_NAMES = {"r": "row-standardised", "b": "binary", "none": "as given"}


# --------------------------------------------------------------------------- helpers


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


def _checked_matrix(matrix, field: str):
    """``matrix`` as a square, finite, non-negative float matrix (dense or scipy sparse)."""
    if sparse.issparse(matrix):
        M = matrix
    else:
        try:
            M = np.asarray(matrix, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataValidationError(
                f"{field} must be a numeric (n × n) matrix: {exc}", field=field
            ) from None
        if M.ndim != 2:
            raise DataValidationError(
                f"{field} must be a 2-D (n × n) weights matrix, got {M.ndim}-D", field=field
            )
    shape = M.shape
    if len(shape) != 2 or shape[0] != shape[1]:
        raise DataValidationError(
            f"{field} must be square (n × n), got {shape[0]} × {shape[1]}", field=field
        )
    data = M.data if sparse.issparse(M) else M
    if not np.isfinite(data).all():
        raise DataValidationError(
            f"{field} must hold finite weights; it has missing or infinite entries", field=field
        )
    if (data < 0).any():
        if sparse.issparse(M):
            coo = sparse.coo_array(M)
            k = int(np.argmax(coo.data < 0))
            i, j, v = int(coo.row[k]), int(coo.col[k]), float(coo.data[k])
        else:
            i, j = (int(a) for a in np.argwhere(M < 0)[0])
            v = float(M[i, j])
        raise DataValidationError(
            f"weights must be non-negative; entry ({i}, {j}) is {v:g}", field=field
        )
    return M


def _neighbour_lists(w, field: str) -> dict | None:
    """A list of neighbour lists (row i = the positions of unit i's neighbours) as a dict
    ``{i: [j, …]}``, or ``None`` when ``w`` is not one (a square table is a matrix)."""
    if not isinstance(w, list | tuple) or not w:
        return None
    rows = list(w)
    if not all(isinstance(r, list | tuple | set | frozenset | np.ndarray) for r in rows):
        return None
    n = len(rows)
    if all(len(r) == n for r in rows):
        return None  # n rows of n entries: a dense matrix
    out: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        nbrs = []
        for v in r:
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or not 0 <= v < n:
                raise DataValidationError(
                    f"{field} looks like neighbour lists (row i = positions of unit i's "
                    f"neighbours) but row {i} holds {v!r}; expected integers 0 … {n - 1} (or "
                    "pass an n × n matrix)",
                    field=field,
                    data_row=i,
                )
            nbrs.append(int(v))
        out[i] = nbrs
    return out


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
    def _build(
        cls, W0, ids, transform: str, meta=None, *, self_links: bool = False
    ) -> SpatialWeights:
        check_choice(transform, "transform", _TRANSFORMS)
        W0 = _clean_csr(W0)
        n = W0.shape[0]
        ids = _as_ids(ids if ids is not None else range(n), n)
        if W0.data.size and (W0.data < 0).any():
            raise DataValidationError("weights must be non-negative", field="weights")
        diag = W0.diagonal()
        if not self_links and np.any(diag != 0):
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
        M = _checked_matrix(matrix, "matrix")
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


def as_weights(
    w,
    n: int | None = None,
    *,
    transform: str | None = None,
    field: str = "w",
    self_links: bool = False,
) -> SpatialWeights:
    """Any weights a statistic accepts, as :class:`SpatialWeights` — the one conversion.

    Every statistic that takes ``w`` (:func:`~nqpf.disparity.moran.moran`,
    :func:`~nqpf.disparity.moran.local_moran`, their rate and bivariate forms,
    :func:`~nqpf.disparity.markov.spatial_markov`) calls this once on entry.

    Parameters
    ----------
    w : SpatialWeights, array_like, scipy.sparse matrix, libpysal ``W``/``Graph``, mapping or list
        - :class:`SpatialWeights`: used as built (its own transformation), unless
          ``transform`` asks for another;
        - a dense n × n array (or nested lists of n rows of n numbers), or any
          ``scipy.sparse`` matrix or array: w_ij, row i = focal unit i;
        - an object with a ``.sparse`` matrix (libpysal ``W`` or ``Graph``): its matrix,
          ids from ``id_order`` / ``unique_ids`` when present;
        - a mapping ``{id: [neighbour ids]}`` or ``{id: {neighbour id: weight}}``: rows in
          key order, read as given (directed), as a GAL file;
        - a list of n neighbour lists, row i = the positions (0 … n − 1) of unit i's
          neighbours (ragged, or fewer than n entries per row; n rows of n numbers are a
          matrix).  Neighbour *pairs* go through :func:`spatial_weights` instead.
    n : int, optional
        Number of units the data has; a mismatch raises naming both sizes.
    transform : {"r", "b", "none"}, optional
        Transformation to apply.  Default: a :class:`SpatialWeights` keeps its own; every
        other input is row-standardised (``"r"``, esda's default ``transformation="r"``).
    field : str
        Name of the argument in error messages.
    self_links : bool
        Accept w_ii ≠ 0 (the spatial Markov lag takes the weights as giddy does);
        otherwise a non-zero diagonal is an error.

    Returns
    -------
    SpatialWeights

    Examples
    --------
    >>> as_weights([[1, 2], [0], [0]]).sparse.toarray()
    array([[0. , 0.5, 0.5],
           [1. , 0. , 0. ],
           [1. , 0. , 0. ]])
    >>> as_weights({"a": ["b"], "b": ["a"]}, transform="b").ids
    ('a', 'b')
    """
    if transform is not None:
        check_choice(transform, "transform", _TRANSFORMS)
    if isinstance(w, SpatialWeights):
        out = w if transform in (None, w.transform) else w.transformed(transform)
    else:
        transform = transform or "r"
        if isinstance(w, Mapping):
            out = SpatialWeights.from_adjacency(w, symmetric=False, transform=transform)
        elif (lists := _neighbour_lists(w, field)) is not None:
            out = SpatialWeights.from_adjacency(lists, symmetric=False, transform=transform)
        else:
            ids = None
            if hasattr(w, "sparse") and not sparse.issparse(w):
                ids = getattr(w, "id_order", None)
                if ids is None and hasattr(w, "unique_ids"):
                    ids = list(w.unique_ids)
                w = w.sparse
            elif isinstance(w, str | bytes) or not (
                sparse.issparse(w) or isinstance(w, np.ndarray | list | tuple)
            ):
                raise DataValidationError(
                    f"{field} must be SpatialWeights, an n × n matrix (dense or scipy.sparse), "
                    f"a libpysal W, a mapping id → neighbours or a list of neighbour lists; "
                    f"got {type(w).__name__}",
                    field=field,
                )
            M = _checked_matrix(w, field)
            if ids is not None and len(ids) != M.shape[0]:
                ids = None
            out = SpatialWeights._build(M, ids, transform, self_links=self_links)
    if n is not None and out.n != n:
        raise DataValidationError(
            f"{field} is {out.n} × {out.n} but y has {n} units (rows); the values must follow "
            "the weights' unit order",
            field=field,
        )
    return out


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
