"""The disparity part of the numba warm-up (nqpf.disparity._warmup; shared machinery in
tests/test_numba_warmup.py)."""

from __future__ import annotations

from nqpf.disparity import _warmup, warmup


def test_warm_up_runs_every_compiled_path():
    seen = []
    spent = warmup.warm_up(progress=seen.append)
    assert list(spent) == seen
    assert {"dagum", "labels: pandas str", "theil permutations", "moran permutations"} <= set(seen)
    assert all(t >= 0 for t in spent.values())
    assert warmup.warm_up(stop=lambda: True) == {}


def test_warm_up_leaves_every_kernel_cached():
    kernels = _warmup.kernels()
    # Every cache=True function of the kernel modules, e.g. the Dagum prefix pass, the
    # label hash table and the permutation shuffle.
    assert {
        "nqpf.disparity.gini._prefix_moments",
        "nqpf.disparity._labels._factorize",
        "nqpf.disparity.crand._shuffle_rows",
    } <= set(kernels)
    _warmup.warm_up()
    assert _warmup.cache_complete()


def test_cache_complete_is_false_when_one_kernel_has_no_entry(monkeypatch):
    dispatcher = _warmup.kernels()["nqpf.disparity.crand._shuffle_rows"]
    monkeypatch.setattr(dispatcher._cache._cache_file, "_load_index", dict)
    assert not _warmup.cache_complete()
