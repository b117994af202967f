"""One file written whole or not at all (``publish_file``: ``nqpf assess report``).

The file is written as a temporary sibling, flushed and renamed over the target under
the target's lock; temporaries of killed runs go on the next write.  Checked here: the
bytes and mode, a failing writer, stale temporaries, a held lock, bad targets, and
SIGKILL at random points leaving the previous file or the new one, whole.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from nqpf.exceptions import DataValidationError
from nqpf.services.files import OutputBusyError, publish_file


def beside(path: Path) -> list[str]:
    """Everything in the folder but the file itself (temporaries, lock files)."""
    return sorted(p.name for p in path.parent.iterdir() if p != path)


def test_writes_the_bytes_and_replaces_the_previous_file_keeping_its_mode(tmp_path):
    target = tmp_path / "report.html"
    assert publish_file(target, lambda fh: fh.write("甲".encode())) == target
    assert target.read_bytes() == "甲".encode()
    os.chmod(target, 0o640)
    publish_file(target, lambda fh: fh.write(b"second"))
    assert target.read_bytes() == b"second"
    assert target.stat().st_mode & 0o777 == 0o640
    assert beside(target) == []


def test_a_failing_writer_leaves_the_previous_file(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"previous")

    def boom(fh):
        fh.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(DataValidationError, match="cannot write output: No space left on device"):
        publish_file(target, boom)
    assert target.read_bytes() == b"previous"
    assert beside(target) == []


def test_temporaries_of_killed_runs_are_removed_and_others_kept(tmp_path):
    target = tmp_path / "report.html"
    stale = tmp_path / ".report.html.0123abcd.tmp"
    stale.write_bytes(b"killed half-way")
    other = tmp_path / ".notes.html.0123abcd.tmp"  # another file's: not ours to remove
    other.write_bytes(b"x")
    publish_file(target, lambda fh: fh.write(b"new"))
    assert target.read_bytes() == b"new"
    assert beside(target) == [other.name]


def test_a_held_file_is_refused_naming_the_other_run(tmp_path):
    target = tmp_path / "report.html"
    target.write_bytes(b"previous")
    fd = os.open(tmp_path / ".report.html.lock", os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"pid 4242 on host, since 2024-12-06 21:14:00")
    try:
        with pytest.raises(OutputBusyError, match=r"another nqpf run \(pid 4242 on host"):
            publish_file(target, lambda fh: fh.write(b"new"))
    finally:
        os.close(fd)
    assert target.read_bytes() == b"previous"


@pytest.mark.parametrize(
    ("where", "message"),
    [("missing/report.html", "does not exist"), ("folder", "is a folder, expected a file")],
)
def test_bad_targets_are_one_line_errors(tmp_path, where, message):
    (tmp_path / "folder").mkdir()
    with pytest.raises(DataValidationError, match=message) as info:
        publish_file(tmp_path / where, lambda fh: fh.write(b"x"))
    assert info.value.reason_zh
    assert not (tmp_path / "missing").exists()


def _write_slowly(letter: str):
    def write(fh):
        for _ in range(100):  # ~0.1 s of writing, so most kills land inside it
            fh.write(letter.encode() * 5000)
            fh.flush()
            time.sleep(0.001)

    return write


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_sigkill_at_random_points_leaves_the_previous_or_the_new_file(tmp_path):
    """SIGKILL a forked writer 20 times at seeded random points: the file is always one
    whole version, and the next write leaves no temporary file."""
    target = tmp_path / "report.html"
    whole = {c: c.encode() * 5000 * 100 for c in "ab"}
    target.write_bytes(whole["a"])
    rng = np.random.default_rng(14)
    killed_while_writing = 0
    for k in range(20):
        pid = os.fork()
        if pid == 0:  # the child writes and never returns into pytest
            try:
                publish_file(target, _write_slowly("ab"[(k + 1) % 2]))
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        killed_while_writing += any(n.endswith(".tmp") for n in beside(target))
        assert target.read_bytes() in whole.values()
    assert killed_while_writing >= 5
    publish_file(target, lambda fh: fh.write(whole["b"]))
    assert beside(target) == []
