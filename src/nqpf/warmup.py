"""One numba warm-up for every compiled kernel of nqpf: ``python -m nqpf.warmup``.

The compiled kernels of :mod:`nqpf.indices` (the fused entropy, TOPSIS, grey-relation,
CRITIC and moments passes) and of :mod:`nqpf.disparity` (the Dagum prefix pass and sort
keys, the label hash table, the permutation shuffle) are ``cache=True``: numba stores their
machine code beside the source (``__pycache__``) or, where that is read-only (a system-wide
wheel install), in the user's cache directory, and reloads it in later processes.  Two
costs remain for the first call of a process: numba's one-off start-up (its target context,
~0.1–0.4 s) and, in a fresh environment, compiling every kernel (tens of seconds).

Run ``python -m nqpf.warmup`` once after installing nqpf (a Docker build, a CI image,
``pip install -e .``): it loads or compiles every kernel of both packages in the
foreground, under a file lock so that concurrent builds wait for each other instead of
compiling twice, and prints what each step took.

At ``import nqpf.indices`` or ``import nqpf.disparity``, :func:`start` runs a short daemon
thread per package that

1. initialises numba's target context by loading the one *serial* kernel
   (:func:`nqpf.indices._kernels.fast_log`) — the start-up cost, paid while the caller
   reads its data;
2. reads the package's cache index, loading nothing (``cache_complete()`` of its private
   ``_warmup`` module);
3. if something is missing, starts ``python -m nqpf.warmup --background``: a separate,
   niced process that builds both caches under the lock (one builder at a time).

Parallel kernels are never loaded by the thread: loading one starts numba's OpenMP
threading layer, after which a ``fork()`` child cannot use it ("fork() called from a
process already using GNU OpenMP").  So a process that imports nqpf and then forks workers
(multiprocessing, pre-forking servers) behaves exactly as without the warm-up.  A call
never waits for the builder: it loads what is cached and compiles what is not yet (numba's
usual behaviour).  ``NQPF_NUMBA_WARMUP=0`` (or ``NUMBA_DISABLE_JIT=1``) turns the
background warm-up off.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import subprocess
import sys
import threading
import time

__all__ = ["PACKAGES", "build", "build_lock", "enabled", "main", "start", "wait"]

ENV = "NQPF_NUMBA_WARMUP"
LOCK_NAME = "nqpf-kernels.lock"
#: Packages with compiled kernels.  Each has a private ``_warmup`` module with
#: ``cache_complete()`` (reads the cache index only) and ``warm_up(progress, stop)``
#: (loads or compiles every kernel, returning the seconds per step).
PACKAGES = ("indices", "disparity")

_lock = threading.Lock()  # guards _threads
_builder_lock = threading.Lock()  # guards _builder
_threads: dict[str, threading.Thread] = {}
_builder: subprocess.Popen | None = None
#: The exception that ended a package's background warm-up, if any (calls then compile).
errors: dict[str, BaseException] = {}


def enabled() -> bool:
    """False when ``NQPF_NUMBA_WARMUP`` is 0/false/no/off or numba's JIT is disabled."""
    if os.environ.get(ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return os.environ.get("NUMBA_DISABLE_JIT", "0").strip() in ("", "0")


def _plan(package: str):
    return importlib.import_module(f"nqpf.{package}._warmup")


def _kernels():
    """nqpf.indices._kernels, importable while ``nqpf.indices`` itself is still importing
    (``from nqpf.indices import _kernels`` would wait for the package)."""
    return importlib.import_module("nqpf.indices._kernels")


def lock_path() -> str:
    """The build lock, in the directory where numba keeps the index kernels' cache."""
    return os.path.join(_kernels().fast_log._cache.cache_path, LOCK_NAME)


@contextlib.contextmanager
def build_lock(blocking: bool = True, path: str | None = None):
    """Hold the cache-build lock (``fcntl.flock`` on ``path``, default :func:`lock_path`).

    Yields False if ``blocking=False`` and another process holds it.  Without ``fcntl``
    (Windows) it always yields True.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield True
        return
    path = lock_path() if path is None else path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build(progress=None, stop=None) -> dict[str, float]:
    """Load or compile every kernel of every package, holding the build lock.

    Returns the seconds per step, keyed ``"<package>: <step>"``.  ``progress(name)`` is
    called before each step; ``stop()`` returning True ends a package's loop early.
    """
    spent: dict[str, float] = {}
    with build_lock():
        for package in PACKAGES:
            for step, seconds in _plan(package).warm_up(progress=progress, stop=stop).items():
                spent[f"{package}: {step}"] = seconds
    return spent


def _spawn_builder() -> None:
    """Start ``python -m nqpf.warmup --background`` unless a build is already under way."""
    global _builder
    with _builder_lock:
        if _builder is not None and _builder.poll() is None:
            return  # this process started one already
        with build_lock(blocking=False) as free:
            if not free:
                return  # another process is building the caches
        _builder = subprocess.Popen(
            [sys.executable, "-m", "nqpf.warmup", "--background"],
            env=os.environ | {ENV: "0"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


def _run(package: str) -> None:
    try:
        kernels = _kernels()
        kernels.fast_log.compile(kernels.SIGNATURES["fast_log"][0])  # target context
        if not _plan(package).cache_complete():
            _spawn_builder()
    except BaseException as exc:  # the warm-up is an optimisation: the call compiles instead
        errors[package] = exc


def start(package: str) -> threading.Thread | None:
    """Start ``package``'s background warm-up once per process (no-op when disabled)."""
    if not enabled():
        return None
    with _lock:
        if package not in _threads:
            thread = threading.Thread(target=_run, args=(package,), name=f"nqpf-warmup-{package}")
            thread.daemon = True
            _threads[package] = thread
            if len(_threads) == 1:
                atexit.register(wait)
            thread.start()
        return _threads[package]


def wait(timeout: float | None = None) -> bool:
    """Block until every warm-up thread has finished (or ``timeout`` s); True when done."""
    threads = list(_threads.values())
    if threading.current_thread() in threads:
        return True  # a warm-up thread (forking a builder) must not wait for its siblings
    deadline = None if timeout is None else time.monotonic() + timeout
    for thread in threads:
        thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)


if hasattr(os, "register_at_fork"):
    # Never fork while a thread may hold numba's compiler lock.
    os.register_at_fork(before=wait)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nqpf.warmup", description=__doc__.split("\n")[0])
    ap.add_argument("--background", action="store_true", help="lower priority and print nothing")
    args = ap.parse_args(argv)
    if args.background and hasattr(os, "nice"):
        os.nice(10)
    # This process builds: importing the packages must not start a background builder too.
    os.environ[ENV] = "0"
    t0 = time.perf_counter()
    spent = build()
    if not args.background:
        for name, seconds in spent.items():
            print(f"{name:<36} {seconds:7.3f} s")
        print(f"{len(spent)} steps ready in {time.perf_counter() - t0:.2f} s")
        print(f"index kernels cached in {_kernels().fast_log._cache.cache_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
