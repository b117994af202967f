"""The numba warm-up of the disparity kernels (background at import, foreground command)."""

from __future__ import annotations

import importlib

from nqpf.disparity import warmup

_warmup = importlib.import_module("nqpf.disparity._warmup")


def test_warm_up_runs_every_compiled_path():
    seen = []
    spent = warmup.warm_up(progress=seen.append)
    assert list(spent) == seen
    assert {"dagum", "labels: pandas str", "theil permutations", "moran permutations"} <= set(seen)
    assert all(t >= 0 for t in spent.values())
    assert warmup.warm_up(stop=lambda: True) == {}


def test_switch_and_background_thread(monkeypatch, capsys):
    monkeypatch.setenv("NQPF_NUMBA_WARMUP", "0")
    assert not _warmup.enabled()
    monkeypatch.setenv("NQPF_NUMBA_WARMUP", "1")
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")
    assert not _warmup.enabled()
    monkeypatch.delenv("NUMBA_DISABLE_JIT")
    assert _warmup.enabled()
    assert _warmup.wait(timeout=60) and _warmup.error is None
    assert warmup.main([]) == 0
    assert "paths ready" in capsys.readouterr().out
