"""Compiled helpers that encode group labels in one pass (used by ``_validation``).

Labels that are short byte strings — numpy ``str``/``bytes`` arrays, Arrow-backed pandas
strings (pandas' default ``str`` dtype) — are packed into rows of ``uint64`` words and
numbered in order of appearance by a small open-addressing hash table
(:func:`factorize_rows`): one pass over the rows, no Python string objects, no sort.
Regional groupings have a handful of labels (东部/中部/西部/东北 …), so the table stays in
L1 cache and a run of equal labels costs one comparison per row.  More than ``cap``
distinct labels return ``None`` and the caller falls back to ``pandas.factorize``.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["factorize_arrow_strings", "factorize_rows", "fixed_width_rows"]

#: Most distinct labels the compiled table takes (codes fit in ``uint8``).
CAP = 256
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, nogil=True)
def _same(W, a, b):  # pragma: no cover - compiled
    for j in range(W.shape[1]):  # noqa: SIM110 - a plain loop for numba
        if W[a, j] != W[b, j]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _factorize(W, cap, codes):  # pragma: no cover - compiled
    """Codes (order of appearance) of the rows of W into ``codes``; returns (k, first rows),
    k = −1 when there are more than ``cap`` distinct rows."""
    n, m = W.shape
    bits = 1
    while (1 << bits) < 4 * cap:
        bits += 1
    size = 1 << bits
    shift = np.uint64(64 - bits)
    slot_row = np.full(size, -1, dtype=np.int64)
    slot_code = np.zeros(size, dtype=np.int64)
    first = np.empty(cap, dtype=np.int64)
    k = 0
    if m == 1:  # one word per label (strings of up to 7 bytes): keys in the table
        col = W[:, 0]
        slot_key = np.zeros(size, dtype=np.uint64)
        for i in range(n):
            x = col[i]
            h = np.int64((x * _GOLDEN) >> shift)
            while True:
                r = slot_row[h]
                if r < 0:
                    if k == cap:
                        return -1, first[:0]
                    slot_row[h] = i
                    slot_key[h] = x
                    slot_code[h] = k
                    first[k] = i
                    codes[i] = k
                    k += 1
                    break
                if slot_key[h] == x:
                    codes[i] = slot_code[h]
                    break
                h = (h + 1) & (size - 1)
        return k, first[:k]
    for i in range(n):
        x = W[i, 0]
        for j in range(1, m):
            x = x * _GOLDEN + W[i, j]
        h = np.int64((x * _GOLDEN) >> shift)
        while True:
            r = slot_row[h]
            if r < 0:
                if k == cap:
                    return -1, first[:0]
                slot_row[h] = i
                slot_code[h] = k
                first[k] = i
                codes[i] = k
                k += 1
                break
            if _same(W, i, r):
                codes[i] = slot_code[h]
                break
            h = (h + 1) & (size - 1)
    return k, first[:k]


def factorize_rows(W: np.ndarray, cap: int = CAP):
    """``(codes, first_rows)`` of the distinct rows of a (n, m) ``uint64`` array, codes
    (``uint8``) numbered in order of appearance; ``None`` above ``cap`` distinct rows."""
    codes = np.empty(W.shape[0], dtype=np.uint8)
    k, first = _factorize(np.ascontiguousarray(W), cap, codes)
    if k < 0:
        return None
    return codes, first


def fixed_width_rows(g: np.ndarray) -> np.ndarray:
    """A numpy ``str``/``bytes`` array as (n, words) ``uint64`` rows of its raw bytes."""
    n, size = g.shape[0], g.dtype.itemsize
    words = -(-size // 8)
    raw = np.ascontiguousarray(g).view(np.uint8).reshape(n, size)
    if size != 8 * words:
        padded = np.zeros((n, 8 * words), dtype=np.uint8)
        padded[:, :size] = raw
        raw = padded
    return raw.view(np.uint64).reshape(n, words)


@numba.njit(cache=True, nogil=True)
def _longest(offsets):  # pragma: no cover - compiled
    top = 0
    for i in range(offsets.shape[0] - 1):
        top = max(top, offsets[i + 1] - offsets[i])
    return top


@numba.njit(cache=True, nogil=True)
def _short_word(offsets, words, masks, i):  # pragma: no cover - compiled
    """String i (at most 7 bytes) as one word: its bytes, and its length in the top byte."""
    o = offsets[i]
    length = offsets[i + 1] - o
    q = o >> 3
    r = np.uint64(8 * (o & 7))
    # the high word shifted by 64 − r without a branch for r = 0
    w = (words[q] >> r) | ((words[q + 1] << np.uint64(1)) << (np.uint64(63) - r))
    return (w & masks[length]) | (np.uint64(length) << np.uint64(56))


@numba.njit(cache=True, nogil=True)
def _byte_masks():  # pragma: no cover - compiled
    masks = np.empty(8, dtype=np.uint64)
    for b in range(8):
        masks[b] = (np.uint64(1) << np.uint64(8 * b)) - np.uint64(1)
    return masks


@numba.njit(cache=True, nogil=True)
def _factorize_short(offsets, words, cap, codes):  # pragma: no cover - compiled
    """:func:`_factorize` of strings of at most 7 bytes, packed on the fly (no row array)."""
    n = offsets.shape[0] - 1
    masks = _byte_masks()
    bits = 1
    while (1 << bits) < 4 * cap:
        bits += 1
    size = 1 << bits
    shift = np.uint64(64 - bits)
    slot_row = np.full(size, -1, dtype=np.int64)
    slot_key = np.zeros(size, dtype=np.uint64)
    slot_code = np.zeros(size, dtype=np.int64)
    first = np.empty(cap, dtype=np.int64)
    k = 0
    for i in range(n):
        x = _short_word(offsets, words, masks, i)
        h = np.int64((x * _GOLDEN) >> shift)
        while True:
            r = slot_row[h]
            if r < 0:
                if k == cap:
                    return -1, first[:0]
                slot_row[h] = i
                slot_key[h] = x
                slot_code[h] = k
                first[k] = i
                codes[i] = k
                k += 1
                break
            if slot_key[h] == x:
                codes[i] = slot_code[h]
                break
            h = (h + 1) & (size - 1)
    return k, first[:k]


@numba.njit(cache=True, nogil=True)
def _pack(offsets, words, out):  # pragma: no cover - compiled
    """Row i of ``out`` = the bytes of string i, little-endian, and its length in the top
    byte of the last word (so "a" and "a\\0" differ).

    ``words`` is the data buffer as ``uint64`` (zero-padded by one word), so the 8 bytes
    from any offset are two aligned loads and a shift.
    """
    n, m = out.shape
    for i in range(n):
        o = offsets[i]
        length = offsets[i + 1] - o
        for j in range(m):
            start = o + 8 * j
            left = length - 8 * j
            if left <= 0:
                break
            q = start >> 3
            r = np.uint64(8 * (start & 7))
            w = words[q] >> r
            if r != 0:
                w |= words[q + 1] << (np.uint64(64) - r)
            if left < 8:
                w &= (np.uint64(1) << np.uint64(8 * left)) - np.uint64(1)
            out[i, j] = w
        out[i, m - 1] |= np.uint64(length) << np.uint64(56)


def factorize_arrow_strings(values, cap: int = CAP):
    """``(codes, labels)`` of an Arrow-backed pandas string Series/array without nulls:
    ``uint8`` codes in order of appearance and the distinct labels as Python strings, in
    one compiled pass; ``None`` when ``values`` is not Arrow strings, has nulls, has a
    string of 255 bytes or more, or more than ``cap`` distinct labels."""
    arr = getattr(values, "array", values)
    to_arrow = getattr(arr, "__arrow_array__", None)
    if to_arrow is None:
        return None
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pandas' Arrow strings need pyarrow
        return None
    pa_arr = to_arrow()
    if isinstance(pa_arr, pa.ChunkedArray):
        pa_arr = pa_arr.chunk(0) if pa_arr.num_chunks == 1 else pa_arr.combine_chunks()
    kind = pa_arr.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)) or pa_arr.null_count:
        return None
    n = len(pa_arr)
    if not n:
        return None
    _, off_buf, data_buf = pa_arr.buffers()
    off_type = np.int64 if pa.types.is_large_string(kind) else np.int32
    offsets = np.frombuffer(off_buf, dtype=off_type)[pa_arr.offset : pa_arr.offset + n + 1]
    longest = int(_longest(offsets))
    if longest >= 255:
        return None
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    words = np.zeros(len(data) // 8 + 2, dtype=np.uint64)
    words.view(np.uint8)[: len(data)] = data
    codes = np.empty(n, dtype=np.uint8)
    if longest <= 7:
        k, first = _factorize_short(offsets, words, cap, codes)
    else:
        rows = np.zeros((n, longest // 8 + 1), dtype=np.uint64)
        _pack(offsets, words, rows)
        k, first = _factorize(rows, cap, codes)
    if k < 0:
        return None
    return codes, np.array(pa_arr.take(pa.array(first)).to_pylist(), dtype=object)
