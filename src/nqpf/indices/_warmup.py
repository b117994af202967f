"""Load (or build) the numba kernel cache in a background thread at ``import nqpf.indices``.

The fused kernels of :mod:`nqpf.indices._kernels` are ``cache=True``: numba stores their
machine code beside the source (``__pycache__``) or, where that is read-only (a system-wide
wheel install), in the user's cache directory, and reloads it in later processes.  Loading
still costs numba's one-off start-up (its target context and the cached objects,
~0.1–0.3 s), and in a fresh environment the first call would compile every kernel it uses
(several seconds).  :func:`start` moves both off the first call: a daemon thread runs
:func:`nqpf.indices._kernels.warm_up` while the caller reads its data.  A call that needs a
kernel the thread has not reached yet compiles or loads it itself; numba's compiler lock
prevents double work.

Safety:

- ``NQPF_NUMBA_WARMUP=0`` (or ``NUMBA_DISABLE_JIT=1``) turns it off;
- before ``os.fork`` the parent waits for the thread, so no child inherits a held compiler
  lock (and pre-forked workers inherit the loaded kernels);
- at interpreter exit the thread is asked to stop after the kernel it is working on and is
  joined, so the process never exits while LLVM is compiling; an unfinished cache is
  completed by the next process.

``python -m nqpf.indices.warmup`` runs the same warm-up in the foreground.
"""

from __future__ import annotations

import atexit
import os
import threading

ENV = "NQPF_NUMBA_WARMUP"

_lock = threading.Lock()
_stop = threading.Event()
_thread: threading.Thread | None = None
#: The exception that ended the background warm-up, if any (the first call then compiles).
error: BaseException | None = None


def enabled() -> bool:
    """False when ``NQPF_NUMBA_WARMUP`` is 0/false/no/off or numba's JIT is disabled."""
    if os.environ.get(ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return os.environ.get("NUMBA_DISABLE_JIT", "0").strip() in ("", "0")


def _run() -> None:
    global error
    try:
        from nqpf.indices import _kernels

        # Registered after numba and llvmlite are imported, so it runs before their own
        # exit hooks (atexit is last-in, first-out).
        atexit.register(_finish)
        _kernels.warm_up(stop=_stop.is_set)
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
            atexit.register(_finish)
            _thread.start()
    return _thread


def wait(timeout: float | None = None) -> bool:
    """Block until the warm-up has finished (or ``timeout`` seconds); True when done."""
    thread = _thread
    if thread is None or thread is threading.current_thread():
        return True
    thread.join(timeout)
    return not thread.is_alive()


def _finish() -> None:
    _stop.set()
    wait()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=wait)
