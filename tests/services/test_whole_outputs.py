"""Output folders are whole or absent (issue 14, item 4).

A run writes a temporary sibling folder, adds ``manifest.json`` (run id, hashes, every
file with its SHA-256) and swaps it in at the end, under a lock on the folder.  Checked
here: the manifest, user files kept, stale results and temporaries gone, a failure or a
SIGKILL at any point leaving the previous complete set, and two runs on one folder never
mixing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.services import files
from nqpf.services.files import (
    MANIFEST,
    OutputBusyError,
    OutputFile,
    output_lock,
    publish,
    read_manifest,
    write_outputs,
)

TABLE = pd.DataFrame({"单位": ["甲", "乙"], "x": [0.5, 1.25]})


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def leftovers(parent: Path, name: str = "out") -> list[str]:
    """Temporary folders, lock files and temporary files a run may leave beside ``name``."""
    found = [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")]
    if (parent / name).is_dir():
        found += [p.name for p in (parent / name).iterdir() if p.name.endswith(".tmp")]
    return sorted(found)


def whole(folder: Path) -> dict:
    """The folder's manifest, after checking every file against it and no file beyond it."""
    manifest = read_manifest(folder)
    listed = {f["name"] for f in manifest["files"]}
    assert set(names(folder)) == listed | {MANIFEST}, (names(folder), listed)
    return manifest


# ---------------------------------------------------------------------- the manifest
def test_manifest_lists_every_file_with_size_and_sha256(tmp_path):
    src = tmp_path / "answers.csv"
    src.write_text("a\n1\n", encoding="utf-8")
    written = write_outputs(
        tmp_path / "out",
        workbook="t.xlsx",
        tables={"t": TABLE},
        known_tables=["t"],
        formats=["csv", "parquet"],
        settings={"command": "assess batch", "file": str(src)},
    )
    out = tmp_path / "out"
    assert [p.name for p in written] == ["t.csv", "t.parquet", "config.used.yaml", MANIFEST]
    manifest = whole(out)
    assert manifest["command"] == "assess batch"
    assert manifest["nqpf_version"]
    assert manifest["inputs"]["file"]["sha256"] == hashlib.sha256(b"a\n1\n").hexdigest()
    used = (out / "config.used.yaml").read_bytes()
    assert manifest["config_sha256"] == hashlib.sha256(used).hexdigest()
    for entry in manifest["files"]:
        data = (out / entry["name"]).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert leftovers(tmp_path) == []


def test_read_manifest_names_a_changed_or_missing_file(tmp_path):
    write_outputs(tmp_path / "out", workbook="t.xlsx", tables={"t": TABLE}, known_tables=["t"])
    out = tmp_path / "out"
    (out / "t.csv").write_text("changed", encoding="utf-8")
    with pytest.raises(DataValidationError, match="differs from its checksum"):
        read_manifest(out)
    (out / "t.csv").unlink()
    with pytest.raises(DataValidationError, match=r"listed in manifest\.json but missing"):
        read_manifest(out)


def test_index_run_manifest_has_config_and_input_hashes(tmp_path, panel_csv, make_config, invoke):
    res = invoke(["index", "run", make_config({"output": {"formats": ["csv"]}}), "-q"])
    assert res.code == 0, res.stderr
    manifest = whole(tmp_path / "out")
    assert manifest["command"] == "index run"
    assert manifest["inputs"]["data"] == {
        "name": str(panel_csv.resolve()),
        "sha256": hashlib.sha256(panel_csv.read_bytes()).hexdigest(),
    }
    used = (tmp_path / "out" / "config.used.yaml").read_bytes()
    assert manifest["config_sha256"] == hashlib.sha256(used).hexdigest()
    assert manifest["run_id"][:8].isdigit()


# ---------------------------------------------------------------------- what is kept
def test_stale_results_go_and_the_users_own_files_stay(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, workbook="t.xlsx", tables={"a": TABLE, "b": TABLE}, known_tables=["a", "b"])
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / ".x.csv.0123abcd.tmp").write_text("half", encoding="utf-8")  # an old temporary
    write_outputs(
        out, workbook="t.xlsx", tables={"a": TABLE}, known_tables=["a", "b"], formats=["csv"]
    )
    assert names(out) == ["a.csv", "config.used.yaml", MANIFEST, "notes.txt"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_folder_inside_the_output_folder_is_refused_before_writing(tmp_path):
    out = tmp_path / "out"
    (out / "data").mkdir(parents=True)
    with pytest.raises(ConfigError) as err:
        write_outputs(out, workbook="t.xlsx", tables={"t": TABLE}, known_tables=["t"])
    assert err.value.reason == (
        "the output folder holds folder 'data', which no nqpf run wrote; a run replaces its "
        "output folder as a whole, so give it a folder of its own"
    )
    assert names(out) == ["data"]


def test_output_path_that_is_a_file_is_refused_before_computing(
    tmp_path, panel_csv, make_config, invoke
):
    (tmp_path / "out").write_text("x", encoding="utf-8")
    res = invoke(["index", "run", make_config(), "-q"])
    assert res.code == 2
    assert res.stderr.strip() == (
        f"错误 error: {(tmp_path / 'out').resolve()}: output path exists and is not a folder"
    )
    assert (tmp_path / "out").read_text(encoding="utf-8") == "x"


def test_stale_temporary_folders_of_killed_runs_are_removed(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, workbook="t.xlsx", tables={"t": TABLE}, known_tables=["t"])
    for stale in (".out.tmp-20240101T000000Z-00000000", ".out.old-20240101T000000Z-00000000"):
        (tmp_path / stale).mkdir()
        (tmp_path / stale / "t.csv").write_text("half", encoding="utf-8")
    write_outputs(out, workbook="t.xlsx", tables={"t": TABLE}, known_tables=["t"])
    assert leftovers(tmp_path) == []
    whole(out)


def test_a_set_left_aside_by_a_killed_swap_is_put_back(tmp_path):
    """Where folders cannot be exchanged in one step, a kill between the two renames
    leaves only ``.out.old-…``: the next run restores it before anything else."""
    out = tmp_path / "out"
    write_outputs(out, workbook="t.xlsx", tables={"t": TABLE}, known_tables=["t"])
    before = whole(out)
    aside = tmp_path / ".out.old-20240101T000000Z-00000000"
    os.rename(out, aside)
    with output_lock(out):
        files._tidy(out)
    assert whole(out)["run_id"] == before["run_id"]
    assert leftovers(tmp_path) == []


def test_without_atomic_exchange_the_swap_still_ends_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    write_outputs(out, workbook="t.xlsx", tables={"t": TABLE}, known_tables=["t"])
    first = whole(out)
    write_outputs(out, workbook="t.xlsx", tables={"u": TABLE}, known_tables=["t", "u"])
    assert whole(out)["run_id"] != first["run_id"]
    assert "u.csv" in names(out) and "t.csv" not in names(out)
    assert leftovers(tmp_path) == []


def test_a_failing_writer_leaves_the_previous_set(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, workbook="t.xlsx", tables={"t": TABLE}, known_tables=["t"])
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(fh):
        fh.write(b"half a file")
        raise OSError(28, "No space left on device")

    with pytest.raises(DataValidationError, match="cannot write output: No space left on device"):
        publish(out, [OutputFile("a.csv", lambda fh: fh.write(b"x\n")), OutputFile("b.csv", boom)])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------- the lock
def hold_lock_elsewhere(out: Path):
    """Take the folder's lock through another open file, as another process would."""
    fd = os.open(out.parent / f".{out.name}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"pid 4242 on host, since 2024-12-06 21:14:00")
    return fd


def test_a_held_folder_is_refused_naming_the_other_run(tmp_path, panel_csv, make_config, invoke):
    out = tmp_path / "out"
    fd = hold_lock_elsewhere(out)
    try:
        res = invoke(["index", "run", make_config(), "-q"])
    finally:
        os.close(fd)
    assert res.code == 2
    assert res.stderr.strip() == (
        f"错误 error: {out.resolve()}: another nqpf run (pid 4242 on host, since 2024-12-06 "
        "21:14:00) is writing this output folder; wait until it has finished, or write to "
        "another folder"
    )
    assert not out.exists()
    with output_lock(out):  # released by the other "process": free again
        pass


def test_waiting_for_the_lock_times_out_with_the_same_error(tmp_path):
    out = tmp_path / "out"
    fd = hold_lock_elsewhere(out)
    try:
        start = time.monotonic()
        with pytest.raises(OutputBusyError, match="pid 4242"), output_lock(out, wait=0.2):
            pass
        assert time.monotonic() - start >= 0.2
    finally:
        os.close(fd)


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    out = tmp_path / "out"
    with output_lock(out), output_lock(out):
        write_outputs(out, workbook="t.xlsx", tables={"t": TABLE}, known_tables=["t"])
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------- real processes
_ZYGOTE = r"""
import os, sys
from nqpf.cli.main import main

def run(args, log):
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

# one run in this process first, so that every child starts with the imports done
import contextlib
log, *args = sys.argv[1:]
with open(log, "w") as fh, contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
    try:
        main(args)
    except SystemExit:
        pass
print("ready", flush=True)
for line in sys.stdin:
    cmd, *rest = line.rstrip("\n").split("\t")
    if cmd == "run":
        log, *args = rest
        pid = os.fork()
        if pid == 0:
            run(args, log)
        print(pid, flush=True)
    elif cmd == "wait":
        _, status = os.waitpid(int(rest[0]), 0)
        print(status, flush=True)
"""


class Zygote:
    """A Python process with nqpf imported that forks a real ``nqpf index run`` per request.

    Forking skips the interpreter's start-up and imports (seconds), so the kill delays
    can be spread over the run itself.
    """

    def __init__(self, tmp: Path, warm_args: list[str]):
        env = {**os.environ, "NQPF_NUMBA_WARMUP": "0"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE, str(tmp / "warm.log"), *warm_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def start(self, args: list[str], log: Path) -> int:
        self.proc.stdin.write("\t".join(["run", str(log), *map(str, args)]) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def wait(self, pid: int) -> int:
        self.proc.stdin.write(f"wait\t{pid}\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def zygote(tmp_path_factory, demo_frame_session, write_config):
    """One forking process for the tests below: its start and warm-up run (a few seconds)
    are paid once; each test forks its own runs, on its own folders."""
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    tmp = tmp_path_factory.mktemp("zygote")
    demo_frame_session.to_csv(tmp / "a.csv", index=False)
    out = {"dir": "warm", "formats": ["xlsx", "csv", "parquet"], "report": False}
    warm = write_config(tmp, {"data": {"path": "a.csv"}, "output": out}, name="warm.yaml")
    process = Zygote(tmp, ["index", "run", str(warm), "-q"])
    yield process
    process.close()


@pytest.fixture
def two_configs(tmp_path, demo_frame, write_config):
    """Configs A and B on different data (so their outputs differ) writing one folder."""
    demo_frame.to_csv(tmp_path / "a.csv", index=False)
    b = demo_frame.copy()
    b.iloc[:, 4:] = b.iloc[:, 4:] * np.linspace(1.0, 2.0, len(b))[:, None]
    b.to_csv(tmp_path / "b.csv", index=False)
    out = {"dir": "out", "formats": ["xlsx", "csv", "parquet"], "report": False}
    cfgs = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        cfgs.append(
            write_config(
                folder, {"data": {"path": f"../{name}.csv"}, "output": {**out, "dir": "../out"}}
            )
        )
    return cfgs


def test_sigkill_at_random_points_leaves_a_whole_set(tmp_path, two_configs, zygote):
    """SIGKILL ``nqpf index run`` 24 times at seeded random points of the run: the folder
    is always the previous complete set or the new one (checked against its manifest),
    and the next complete run leaves no temporary file behind."""
    cfgs = two_configs
    out, log = tmp_path / "out", tmp_path / "run.log"
    start = time.monotonic()
    pid = zygote.start(["index", "run", cfgs[0], "-q"], log)
    assert zygote.wait(pid) == 0, log.read_text()
    duration = time.monotonic() - start
    current = whole(out)["run_id"]
    rng = np.random.default_rng(20241206)
    killed_while_running = killed_while_writing = 0
    for k in range(24):
        pid = zygote.start(["index", "run", cfgs[(k + 1) % 2], "-q"], log)
        time.sleep(rng.uniform(0.0, duration))
        os.kill(pid, signal.SIGKILL)
        status = zygote.wait(pid)
        killed_while_running += os.WIFSIGNALED(status)
        killed_while_writing += any(n.startswith(".out.tmp-") for n in leftovers(tmp_path))
        run_id = whole(out)["run_id"]  # never a mixture
        if run_id != current:  # the run finished (or swapped in) before the kill
            assert run_id > current  # a later run's id: ids sort by time
            current = run_id
    assert killed_while_running >= 12  # most kills land inside the run,
    assert killed_while_writing >= 3  # and some while its files were being written
    pid = zygote.start(["index", "run", cfgs[0], "-q"], log)
    assert zygote.wait(pid) == 0, log.read_text()
    assert whole(out)["run_id"] > current
    assert leftovers(tmp_path) == []


def test_two_runs_on_one_folder_never_mix(tmp_path, two_configs, zygote):
    """Two runs started together: each finishes or is refused naming the other; the
    folder ends whole, holding the data of a run that finished."""
    cfgs = two_configs
    out = tmp_path / "out"
    for _round in range(3):
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        pids = [
            zygote.start(["index", "run", c, "-q"], lg) for c, lg in zip(cfgs, logs, strict=True)
        ]
        codes = [os.waitstatus_to_exitcode(zygote.wait(p)) for p in pids]
        assert 0 in codes, [lg.read_text() for lg in logs]
        for code, lg in zip(codes, logs, strict=True):
            if code != 0:
                assert code == 2
                assert "is writing this output folder" in lg.read_text(encoding="utf-8")
        manifest = whole(out)
        used = (out / "config.used.yaml").read_text(encoding="utf-8")
        winners = [c for c, code in zip("ab", codes, strict=True) if code == 0]
        assert any(f"{w}.csv" in used for w in winners)
        assert json.loads((out / MANIFEST).read_text())["run_id"] == manifest["run_id"]
    assert leftovers(tmp_path) == []
