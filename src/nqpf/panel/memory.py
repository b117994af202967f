"""Matrices whose memory can be given back a block of rows at a time.

A big run reads its panel into one float64 matrix and scores it a chunk of rows at a
time; once a chunk is scored its input rows are of no further use to a caller that only
writes the results.  A matrix held in an anonymous memory map (:func:`releasable`) lets
such a caller return those rows' pages to the system as it goes
(:func:`release_rows`), so that the matrix shrinks while the results grow and the two
never sit side by side in full (137 MiB each for 1e6 rows × 18 indicators).
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import sys

import numpy as np

__all__ = ["releasable", "release_freed_memory", "release_rows"]


def releasable(rows: int, columns: int) -> np.ndarray:
    """An uninitialised C-ordered float64 ``(rows, columns)`` matrix in an anonymous
    memory map: like :func:`numpy.empty` (pages never written are never resident), and
    :func:`release_rows` can give blocks of its rows back."""
    size = max(1, rows * columns * 8)
    mapped = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(mapped, dtype=np.float64, count=rows * columns).reshape(rows, columns)


def _mapping(array: np.ndarray) -> mmap.mmap | None:
    """The memory map under ``array`` (through views), None if it lives elsewhere."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    return base if isinstance(base, mmap.mmap) else None


def release_rows(matrix: np.ndarray, rows: slice) -> int:
    """Give back the memory of ``matrix[rows]`` where the matrix is :func:`releasable`.

    The whole pages inside those rows are returned to the system (``MADV_DONTNEED``):
    they read as zeros afterwards, so the caller must have no further use for the
    values of those rows.  A matrix elsewhere (numpy's own memory, a view with gaps
    between its rows) is left as it is.

    Returns
    -------
    int
        The bytes given back (0 when nothing was).
    """
    mapped = _mapping(matrix)
    if mapped is None or not matrix.flags.c_contiguous or not hasattr(mapped, "madvise"):
        return 0
    start, stop, _ = rows.indices(matrix.shape[0])
    if stop <= start:
        return 0
    origin = np.frombuffer(mapped, dtype=np.uint8, count=1).ctypes.data
    row_bytes = matrix.strides[0]
    first = matrix.ctypes.data - origin + start * row_bytes
    last = first + (stop - start) * row_bytes
    page = mmap.PAGESIZE
    first = -(-first // page) * page  # whole pages inside the rows only
    last = last // page * page
    if last <= first:
        return 0
    mapped.madvise(mmap.MADV_DONTNEED, first, last - first)
    return last - first


def release_freed_memory() -> None:
    """Give memory that was freed back to the system: Arrow's pool keeps it for reuse by
    Arrow, and glibc's heaps keep freed pages below the ones still in use (arrays of a few
    MB are put there once bigger ones were freed); numpy reuses neither.  After reading
    a 150 MB CSV into a panel, or scoring 1e6 rows, that is 50–150 MB resident."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except (ImportError, AttributeError):  # pragma: no cover - older PyArrow
        pass
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # musl and other C libraries
            ctypes.CDLL("libc.so.6").malloc_trim(0)
