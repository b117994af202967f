"""nqpf's one numba warm-up (nqpf.warmup): switch, background threads, builder, lock, command."""

from __future__ import annotations

import contextlib
import fcntl
import importlib

import pytest

from nqpf import warmup
from nqpf.disparity import _warmup as disparity_warmup
from nqpf.indices import _kernels
from nqpf.indices import _warmup as indices_warmup


def test_switch(monkeypatch):
    monkeypatch.setenv(warmup.ENV, "0")
    assert not warmup.enabled()
    assert warmup.start("indices") is None
    monkeypatch.setenv(warmup.ENV, "1")
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")
    assert not warmup.enabled()
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "0")
    assert warmup.enabled()


def test_one_thread_per_package_and_process():
    # Both packages were imported above, so both threads exist already; start() reuses them.
    assert warmup.start("indices") is indices_warmup.start()
    assert warmup.start("disparity") is disparity_warmup.start()
    assert warmup.start("indices") is not warmup.start("disparity")
    assert warmup.wait(timeout=120)
    assert warmup.errors == {}


class _Running:
    """Stands in for the builder process: still running."""

    def poll(self):
        return None


def _fail(*args, **kwargs):
    raise AssertionError("loaded a parallel kernel")


@contextlib.contextmanager
def _lock_state(free):
    yield free


def _patch_builder(monkeypatch, *, lock_free: bool) -> list:
    warmup.wait()  # the threads started at import are done before anything is patched
    spawned = []

    def popen(cmd, **kw):
        spawned.append((cmd, kw))
        return _Running()

    monkeypatch.setattr(warmup.subprocess, "Popen", popen)
    monkeypatch.setattr(warmup, "_builder", None)
    monkeypatch.setattr(warmup, "errors", {})
    monkeypatch.setattr(warmup, "build_lock", lambda blocking=True: _lock_state(lock_free))
    for package in warmup.PACKAGES:
        monkeypatch.setattr(
            importlib.import_module(f"nqpf.{package}._warmup"), "cache_complete", lambda: False
        )
    return spawned


def test_background_warm_up_never_loads_a_parallel_kernel(monkeypatch):
    # Loading a parallel kernel starts numba's OpenMP layer, after which fork() children
    # cannot use it: the threads load only the serial fast_log and leave a missing cache to
    # one builder process.
    kernels = [d for n, d in _kernels.kernels().items() if n != "fast_log"]
    kernels += list(disparity_warmup.kernels().values())
    for dispatcher in kernels:
        monkeypatch.setattr(dispatcher, "compile", _fail)
        monkeypatch.setattr(dispatcher._cache, "load_overload", _fail)
    spawned = _patch_builder(monkeypatch, lock_free=True)
    warmup._run("indices")
    warmup._run("disparity")  # the builder of the first package is still running: no second
    assert warmup.errors == {}
    ((cmd, kw),) = spawned
    assert cmd[-3:] == ["-m", "nqpf.warmup", "--background"]
    assert kw["env"][warmup.ENV] == "0"  # the builder does not spawn builders
    assert kw["start_new_session"]


def test_background_warm_up_leaves_a_running_build_alone(monkeypatch):
    spawned = _patch_builder(monkeypatch, lock_free=False)  # another process holds the lock
    warmup._run("indices")
    warmup._run("disparity")
    assert spawned == []
    assert warmup.errors == {}


def test_build_lock_is_exclusive_across_open_files(tmp_path):
    # Its own lock file: the test never waits for a real build elsewhere.
    path = str(tmp_path / "cache" / warmup.LOCK_NAME)
    with warmup.build_lock(path=path) as held:
        assert held
        # flock locks belong to the open file: a second open (as another process would
        # do) finds it taken, blocking or not.
        with open(path, "a") as fh, pytest.raises(BlockingIOError):
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with warmup.build_lock(blocking=False, path=path) as second:
            assert second is False
    with warmup.build_lock(blocking=False, path=path) as again:
        assert again


def test_build_and_command_cover_both_packages(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(warmup, "lock_path", lambda: str(tmp_path / warmup.LOCK_NAME))
    monkeypatch.setenv(warmup.ENV, "1")  # main() switches it off for its own process
    seen = []
    spent = warmup.build(progress=seen.append)
    assert list(spent) == [f"{p}: {s}" for p, s in zip(_packages_of(spent), seen, strict=True)]
    assert set(_kernels.SIGNATURES) | {"dagum", "moran permutations"} <= set(seen)
    assert indices_warmup.cache_complete() and disparity_warmup.cache_complete()
    assert warmup.main([]) == 0
    assert not warmup.enabled()
    out = capsys.readouterr().out
    assert "indices: _entropy_kernel" in out and "disparity: dagum" in out
    assert f"{len(spent)} steps ready" in out


def _packages_of(spent):
    return [key.split(": ", 1)[0] for key in spent]


def test_old_command_paths_are_the_shared_command():
    from nqpf.disparity import warmup as old_disparity
    from nqpf.indices import warmup as old_indices

    assert old_indices.main is warmup.main is old_disparity.main
    assert old_disparity.warm_up is disparity_warmup.warm_up
