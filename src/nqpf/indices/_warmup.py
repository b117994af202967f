"""Get the numba kernels ready at ``import nqpf.indices``, without touching fork safety.

The fused kernels of :mod:`nqpf.indices._kernels` are ``cache=True``: numba stores their
machine code beside the source (``__pycache__``) or, where that is read-only (a system-wide
wheel install), in the user's cache directory, and reloads it in later processes.  Two
costs remain for the first call of a process: numba's one-off start-up (its target
context, ~0.1–0.4 s) and, in a fresh environment, compiling every kernel (tens of seconds
for all of them).

:func:`start` runs a short daemon thread at import that

1. initialises numba's target context by loading the one *serial* kernel
   (:func:`~nqpf.indices._kernels.fast_log`) — the start-up cost, paid while the caller
   reads its data;
2. checks numba's cache index for every kernel signature, without loading anything;
3. if something is missing, starts ``python -m nqpf.indices.warmup --background`` as a
   separate low-priority process that compiles and caches the kernels.

The parallel kernels are never loaded by the thread: loading one starts numba's OpenMP
threading layer, after which a ``fork()`` child cannot use it ("fork() called from a
process already using GNU OpenMP").  So a process that imports nqpf and then forks workers
(multiprocessing, pre-forking servers) behaves exactly as without the warm-up.  A fused
call never waits for the builder: it loads what is cached and compiles what is not yet
(numba's usual behaviour), at normal priority while the builder runs niced.  Concurrent
builders are kept to one by a file lock in the cache directory.

``NQPF_NUMBA_WARMUP=0`` (or ``NUMBA_DISABLE_JIT=1``) turns all of this off;
``python -m nqpf.indices.warmup`` builds or loads the cache in the foreground.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading

ENV = "NQPF_NUMBA_WARMUP"
LOCK_NAME = "nqpf-kernels.lock"

_lock = threading.Lock()
_thread: threading.Thread | None = None
_builder: subprocess.Popen | None = None
#: The exception that ended the background warm-up, if any (the first call then compiles).
error: BaseException | None = None


def enabled() -> bool:
    """False when ``NQPF_NUMBA_WARMUP`` is 0/false/no/off or numba's JIT is disabled."""
    if os.environ.get(ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return os.environ.get("NUMBA_DISABLE_JIT", "0").strip() in ("", "0")


def lock_path() -> str:
    """The build lock, in the directory where numba keeps the kernels' cache."""
    from nqpf.indices import _kernels

    return os.path.join(_kernels.fast_log._cache.cache_path, LOCK_NAME)


@contextlib.contextmanager
def build_lock(blocking: bool = True):
    """Hold the cache-build lock (``fcntl.flock``); yields False if ``blocking=False`` and
    another process holds it.  Without ``fcntl`` (Windows) it always yields True."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield True
        return
    path = lock_path()
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


def _run() -> None:
    global error, _builder
    try:
        from nqpf.indices import _kernels

        _kernels.fast_log.compile(_kernels.SIGNATURES["fast_log"][0])  # target context
        if _kernels.cache_complete():
            return
        with build_lock(blocking=False) as free:
            if not free:
                return  # another process is building the cache
        _builder = subprocess.Popen(
            [sys.executable, "-m", "nqpf.indices.warmup", "--background"],
            env=os.environ | {ENV: "0"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except BaseException as exc:  # the warm-up is an optimisation: the call compiles instead
        error = exc


def start() -> threading.Thread | None:
    """Start the background warm-up once per process (no-op when disabled)."""
    global _thread
    if not enabled():
        return None
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_run, name="nqpf-numba-warmup", daemon=True)
            atexit.register(wait)
            _thread.start()
    return _thread


def wait(timeout: float | None = None) -> bool:
    """Block until the warm-up thread has finished (or ``timeout`` s); True when done."""
    thread = _thread
    if thread is None or thread is threading.current_thread():
        return True
    thread.join(timeout)
    return not thread.is_alive()


if hasattr(os, "register_at_fork"):
    # Never fork while the thread may hold numba's compiler lock.
    os.register_at_fork(before=wait)
