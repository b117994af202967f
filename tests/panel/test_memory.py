"""Matrices whose rows' memory a run gives back once scored."""

from __future__ import annotations

import mmap

import numpy as np

from nqpf.panel.memory import releasable, release_rows


def test_a_releasable_matrix_gives_back_the_whole_pages_inside_the_rows():
    X = releasable(4096, 3)  # 24 bytes a row: 32 pages of 4 KiB
    X[:] = 7.0
    view = X[:4000]  # as a panel holds it: a view of the first rows read
    page = mmap.PAGESIZE
    freed = release_rows(view, slice(100, 1000))
    first, last = -(-100 * 24 // page) * page, 1000 * 24 // page * page
    assert freed == last - first > 0
    cells = X.reshape(-1)
    assert (cells[first // 8 : last // 8] == 0).all()  # read as zeros once given back
    assert (cells[: first // 8] == 7).all() and (cells[last // 8 :] == 7).all()
    assert release_rows(view, slice(5, 6)) == 0  # no whole page inside one row


def test_other_matrices_are_left_as_they_are():
    X = np.full((4096, 3), 7.0)
    assert release_rows(X, slice(0, 4096)) == 0
    assert (X == 7).all()
    assert release_rows(releasable(4096, 3)[:, :2], slice(0, 4096)) == 0  # gaps in rows
