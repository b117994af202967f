"""The services' only path plumbing: reading an input file's bytes and writing a run's
outputs (tables in several formats, an HTML report, the effective config).

Every other module of :mod:`nqpf.services` takes objects or bytes and returns results,
tables and rendered documents, so the CLI (paths) and the web (uploads, downloads) call
the same code; the CLI goes through the functions here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import pandas as pd
import yaml

import nqpf
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.io.atomic import dump_table, xlsx_bytes
from nqpf.services.progress import ProgressCallback, reporter

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FORMATS = ("xlsx", "csv", "parquet")


@dataclass(frozen=True)
class InputFile:
    """A file's name (for messages; its suffix chooses the reader) and its bytes."""

    name: str
    data: bytes

    @cached_property
    def sha256(self) -> str:
        """The SHA-256 of the bytes (hex), computed once."""
        return hashlib.sha256(self.data).hexdigest()


def read_input(path: str | os.PathLike[str]) -> InputFile:
    """The bytes of ``path``, or a one-line :class:`DataValidationError` naming it."""
    path = Path(path)
    if not path.exists():
        raise DataValidationError("file not found", file=str(path))
    if path.is_dir():
        raise DataValidationError("is a folder, expected a file", file=str(path))
    try:
        return InputFile(path.name, path.read_bytes())
    except OSError as exc:
        raise DataValidationError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None


def check_formats(formats: Sequence[str]) -> list[str]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown output format(s) {unknown}; expected xlsx, csv or parquet",
            field="output.formats",
            zh=f"未知的输出格式 {unknown}：应为 xlsx、csv 或 parquet",
        )
    return list(formats)


def output_folder(path: Path) -> Path:
    """``path`` resolved, checked to be a folder (or absent) that can be written.

    Raises a :class:`ConfigError` when it is a file, when the nearest existing folder
    above it cannot be written, or when it holds a folder no nqpf run wrote (the whole
    output folder is replaced at the end of a run, see :func:`publish`).
    """
    out = Path(path).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError(
            "output path exists and is not a folder",
            file=str(out),
            zh="输出路径已存在且不是文件夹",
        )
    base = out
    while not base.exists():
        base = base.parent
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        raise ConfigError(
            f"cannot write into {str(base)!r} (no permission)",
            file=str(out),
            zh=f"无权写入 {str(base)!r}",
        )
    if out.is_dir():
        ours = _our_folders(out)
        folders = sorted(
            p.name
            for p in out.iterdir()
            if p.is_dir() and not p.is_symlink() and p.name not in ours
        )
        if folders:
            raise ConfigError(
                f"the output folder holds folder {folders[0]!r}, which no nqpf run wrote; "
                "a run replaces its output folder as a whole, so give it a folder of its own",
                file=str(out),
                zh=f"输出文件夹中有子文件夹 {folders[0]!r}（并非 nqpf 写出）：每次运行会整体替换输出"
                "文件夹，请为输出单独指定一个文件夹",
            )
    return out


# -- whole-or-absent output folders ------------------------------------------------------

MANIFEST = "manifest.json"
#: Files of the data-quality report written beside a run's outputs.
QUALITY_FILES = ("quality.html", "quality.xlsx")
_STALE_TMP = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")  # atomic_write's temporary files


class OutputBusyError(DataValidationError):
    """Another nqpf run is writing the same output folder."""


@dataclass(frozen=True)
class OutputFile:
    """One file of an output folder: its name and a function writing its bytes.

    With ``folder``, ``write`` gets the path of folder ``name`` to create instead (a
    dataset an engine wrote, moved in); the manifest lists each of its files.
    """

    name: str
    write: Callable[[Any], None]
    folder: bool = False


_held: dict[Path, list[Any]] = {}  # folder → [open lock file, depth]: re-entrant per process
_held_guard = threading.Lock()


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def _try_lock(fd: int) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # pragma: no cover - Windows

    try:  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:  # pragma: no cover - Windows
        return False
    return True  # pragma: no cover - Windows


@contextlib.contextmanager
def output_lock(out: str | os.PathLike[str], *, wait: float = 0.0) -> Iterator[Path]:
    """Hold the lock of output folder ``out`` (its parent's ``.<name>.lock``).

    The lock is the operating system's (``flock``): a run that is killed releases it,
    so there is no stale lock to clear.  Re-entrant within one process, so a command can
    hold it from before computing until its outputs are written.

    Parameters
    ----------
    out
        The output folder (it need not exist; its parent is created).
    wait
        Seconds to wait for another run to finish; 0 (default) refuses at once.

    Raises
    ------
    OutputBusyError
        Another run holds the folder, naming its process and start time.
    """
    out = Path(out).expanduser().resolve()
    with _held_guard:
        entry = _held.get(out)
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield out
        finally:
            with _held_guard:
                entry[1] -= 1
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(exc, out) from None
    path = _lock_path(out)
    deadline = time.monotonic() + wait
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        if _try_lock(fd):
            try:  # a run releasing the lock unlinks its file: lock the file at the path
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
        else:
            holder = _holder(fd)
            if time.monotonic() >= deadline:
                os.close(fd)
                raise OutputBusyError(
                    f"another nqpf run ({holder}) is writing this output folder; wait until it "
                    "has finished, or write to another folder",
                    file=str(out),
                    zh=f"另一个 nqpf 运行（{holder}）正在写入该输出文件夹：请等待其结束，或写入其他文件夹",
                )
            time.sleep(0.05)
        os.close(fd)
    started = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {started}".encode())
    with _held_guard:
        _held[out] = [fd, 1]
    try:
        yield out
    finally:
        with _held_guard:
            del _held[out]
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "process unknown"


def _tidy(out: Path) -> None:
    """Clear what killed runs left beside ``out`` (call with the lock held).

    A run killed between setting its previous outputs aside and moving the new ones in
    (only where folders cannot be exchanged atomically) left ``out`` absent: the
    previous set is put back.  Temporary folders are removed.
    """
    prefix = f".{out.name}."
    olds, temps = [], []
    for p in out.parent.iterdir():
        if p.name.startswith(prefix + "old-"):
            olds.append(p)
        elif p.name.startswith(prefix + "tmp-"):
            temps.append(p)
    olds.sort()
    if olds and not out.exists():
        os.rename(olds.pop(), out)
    for p in [*temps, *olds]:
        shutil.rmtree(p, ignore_errors=True)


def _ours(out: Path, names: Collection[str]) -> set[str]:
    """Names in ``out`` that nqpf wrote: ``names``, the manifest's list, stale temporaries."""
    ours = {*names, MANIFEST}
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
        ours.update(str(f["name"]) for f in listed)
    return ours


def _our_folders(out: Path) -> set[str]:
    """Folders the manifest in ``out`` lists (datasets an engine wrote), not its files: a
    folder where nqpf wrote a file is the user's and stops the run."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
        return {str(f["name"]) for f in listed if "files" in f}
    return set()


def _carry_over(out: Path, tmp: Path, ours: set[str]) -> None:
    """Keep files in ``out`` that no nqpf run wrote (the user's own) in the new set."""
    if not out.is_dir():
        return
    for p in out.iterdir():
        if p.name in ours or _STALE_TMP.match(p.name) or (tmp / p.name).exists():
            continue
        if p.is_dir() and not p.is_symlink():
            raise ConfigError(
                f"the output folder holds folder {p.name!r}, which no nqpf run wrote",
                file=str(out),
            )
        try:
            os.link(p, tmp / p.name, follow_symlinks=False)
        except OSError:
            shutil.copy2(p, tmp / p.name, follow_symlinks=False)


class _Hashing:
    """A binary file that hashes (SHA-256) and counts what is written through it."""

    def __init__(self, fh: IO[bytes]):
        self.fh, self.sha, self.size = fh, hashlib.sha256(), 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.sha.update(view)
        self.size += view.nbytes
        return self.fh.write(view)

    def flush(self) -> None:
        self.fh.flush()

    def tell(self) -> int:
        return self.size

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self.fh.closed

    def close(self) -> None:  # the caller closes the file
        pass


def _write_one(folder: Path, item: OutputFile) -> dict[str, Any]:
    path = folder / item.name
    if item.folder:
        item.write(path)
        inner = [p for p in sorted(path.rglob("*")) if p.is_file()]
        files = [_file_entry(p, p.relative_to(path).as_posix()) for p in inner]
        return {"name": item.name, "files": files}
    with open(path, "xb") as fh:
        stream = _Hashing(fh)
        item.write(stream)
        fh.flush()
        os.fsync(fh.fileno())
    return {"name": item.name, "bytes": stream.size, "sha256": stream.sha.hexdigest()}


def _file_entry(path: Path, name: str) -> dict[str, Any]:
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
            size += len(block)
    return {"name": name, "bytes": size, "sha256": sha.hexdigest()}


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - folders cannot be opened on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap folders ``a`` and ``b`` in one step (Linux ``renameat2``); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import errno

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(tmp: Path, out: Path, run_id: str) -> Path | None:
    """Put the complete folder ``tmp`` at ``out``; return where the previous set now is."""
    if not out.exists():
        os.rename(tmp, out)
        return None
    with contextlib.suppress(OSError):
        os.chmod(tmp, out.stat().st_mode & 0o7777)
    if _exchange(tmp, out):
        return tmp  # the previous set, to delete
    old = out.with_name(f".{out.name}.old-{run_id}")
    os.rename(out, old)  # a kill here leaves `old`, which the next run puts back (_tidy)
    os.rename(tmp, out)
    return old


def new_run_id() -> str:
    """A unique id that sorts by time: UTC time to the microsecond, then random hex
    (``20241206T211400.123456Z-3f2a9c1b``)."""
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S.%fZ')}-{uuid.uuid4().hex[:8]}"


def publish(
    out: str | os.PathLike[str],
    files: Sequence[OutputFile],
    *,
    ours: Collection[str] = (),
    info: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    wait: float = 0.0,
) -> list[Path]:
    """Write ``files`` as the whole content of folder ``out``, or leave ``out`` as it was.

    The files are written into a temporary sibling folder (``.<name>.tmp-<run id>``) with
    ``manifest.json`` (run id, time, nqpf version, ``info`` such as the config and input
    hashes, and every file with its size and SHA-256), flushed to disk, and then put in
    place in one step: on Linux the two folders are exchanged atomically; elsewhere the
    previous folder is renamed aside first and put back by the next run if this one is
    killed in between.  The previous set is deleted only once the new one is in place,
    so a crash, a kill or a full disk leaves the previous complete set (or nothing), never
    a mixture.

    While writing, the folder's lock is held (:func:`output_lock`); temporary folders of
    killed runs are removed.  Files in ``out`` that no nqpf run wrote — neither named in
    ``ours`` (every name this kind of run can write) nor in the previous manifest — are
    kept (hard-linked into the new set); files nqpf wrote that this run does not write
    are gone, so stale results never sit beside new ones.

    Returns the paths of the files in ``out`` (``manifest.json`` last).  Errors of the
    operating system become one-line :class:`DataValidationError` messages.
    """
    folder = output_folder(Path(out))
    names = [f.name for f in files]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes or MANIFEST in names:
        raise ValueError(f"output file names must be unique and not {MANIFEST}: {dupes}")
    say = reporter(progress)
    run_id = new_run_id()
    try:
        with output_lock(folder, wait=wait):
            _tidy(folder)
            tmp = folder.with_name(f".{folder.name}.tmp-{run_id}")
            tmp.mkdir()
            try:
                entries = _write_all(tmp, files, say)
                _carry_over(folder, tmp, _ours(folder, ours))
                manifest = {
                    "nqpf_manifest": 1,
                    "run_id": run_id,
                    "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "nqpf_version": nqpf.__version__,
                    **dict(info or {}),
                    "files": entries,
                }
                text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
                _write_one(tmp, OutputFile(MANIFEST, lambda fh: fh.write(text.encode())))
                _fsync_dir(tmp)
                previous = _swap_in(tmp, folder, run_id)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            _fsync_dir(folder.parent)
            if previous is not None:
                shutil.rmtree(previous, ignore_errors=True)
    except OSError as exc:
        raise _os_error(exc, folder) from None
    say("write", len(files), len(files), "完成 done")
    return [folder / n for n in [*names, MANIFEST]]


def publish_file(
    path: str | os.PathLike[str],
    write: Callable[[IO[bytes]], Any],
    *,
    wait: float = 0.0,
) -> Path:
    """Write one file (a report, a workbook) whole, or leave ``path`` as it was.

    The single-file counterpart of :func:`publish`: under the lock of ``path``
    (:func:`output_lock`, so a second run refuses with :class:`OutputBusyError`), the
    temporary files killed runs left beside it are removed, ``write`` writes a temporary
    sibling (``.<name>.<hex>.tmp``), which is flushed to disk and renamed over ``path``.
    A failure or a kill leaves the previous file (or none), never a truncated one.

    Raises a :class:`DataValidationError` when the folder does not exist or ``path`` is
    a folder; errors of the operating system become one-line messages.
    """
    target = Path(path).expanduser().resolve()
    if not target.parent.is_dir():
        raise DataValidationError(
            f"folder {str(target.parent)!r} does not exist",
            file=str(target),
            zh=f"文件夹 {str(target.parent)!r} 不存在",
        )
    if target.is_dir():
        raise DataValidationError(
            "is a folder, expected a file to write", file=str(target), zh="是文件夹，应为文件"
        )
    stale = re.compile(rf"^\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.tmp$")
    try:
        with output_lock(target, wait=wait):
            for p in target.parent.iterdir():
                if stale.match(p.name):
                    p.unlink(missing_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
            try:
                with open(tmp, "xb") as fh:
                    write(fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                if target.exists():
                    with contextlib.suppress(OSError):  # a replaced file keeps its mode
                        os.chmod(tmp, target.stat().st_mode & 0o7777)
                os.replace(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            _fsync_dir(target.parent)
    except OSError as exc:
        raise _os_error(exc, target.parent) from None
    return target


def _write_all(tmp: Path, files: Sequence[OutputFile], say: Callable[..., None]) -> list[dict]:
    """Write every file into ``tmp`` (several at once: the writers release the GIL)."""
    total = len(files)
    say("write", 0, total, "")
    workers = max(1, min(4, os.cpu_count() or 1, total))
    if workers == 1:
        entries = []
        for k, item in enumerate(files, 1):
            entries.append(_write_one(tmp, item))
            say("write", k, total, item.name)
        return entries
    results: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nqpf-write") as pool:
        jobs = {pool.submit(_write_one, tmp, item): item.name for item in files}
        for k, job in enumerate(as_completed(jobs), 1):
            results[jobs[job]] = job.result()
            say("write", k, total, jobs[job])
    return [results[item.name] for item in files]


def _os_error(exc: OSError, folder: Path) -> DataValidationError:
    return DataValidationError(
        f"cannot write output: {exc.strerror or exc}",
        file=str(exc.filename or folder),
        zh=f"无法写出结果：{exc.strerror or exc}",
    )


def read_manifest(out: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``manifest.json`` of an output folder, checked against the files there.

    Raises
    ------
    DataValidationError
        No manifest, or a file listed there missing or with another SHA-256.
    """
    folder = Path(out)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DataValidationError("no readable manifest.json", file=str(folder)) from None
    entries = [
        {**f, "name": f"{e['name']}/{f['name']}"} if "files" in e else e
        for e in manifest["files"]
        for f in e.get("files", [e])
    ]
    for entry in entries:
        path = folder / entry["name"]
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            raise DataValidationError(
                "listed in manifest.json but missing", file=str(path)
            ) from None
        if digest != entry["sha256"]:
            raise DataValidationError("differs from its checksum in manifest.json", file=str(path))
    return manifest


def _table_writer(table: pd.DataFrame, fmt: str) -> Callable[[IO[bytes]], None]:
    return lambda fh: dump_table(table, fh, fmt)


def _text_writer(text: str | Callable[[], str]) -> Callable[[IO[bytes]], None]:
    return lambda fh: fh.write((text() if callable(text) else text).encode("utf-8"))


def bundle_files(
    *,
    workbook: str,
    tables: Mapping[str, pd.DataFrame],
    formats: Sequence[str],
    html: str | None,
    config_text: Callable[[], str] | str,
    extra: Sequence[OutputFile] = (),
) -> list[OutputFile]:
    """The files of a run's output folder: workbook, tables, report, config, ``extra``."""
    files = []
    if "xlsx" in formats:
        files.append(OutputFile(workbook, lambda fh: fh.write(xlsx_bytes(tables))))
    for fmt in ("csv", "parquet"):
        if fmt in formats:
            files += [OutputFile(f"{n}.{fmt}", _table_writer(t, fmt)) for n, t in tables.items()]
    if html is not None:
        files.append(OutputFile("report.html", _text_writer(html)))
    files.append(OutputFile("config.used.yaml", _text_writer(config_text)))
    files += list(extra)
    return files


def known_names(workbook: str, known_tables: Collection[str]) -> set[str]:
    """Every file name a kind of run can write (its workbook, tables, report, config …)."""
    names = {workbook, "report.html", "config.used.yaml", *QUALITY_FILES}
    names.update(f"{t}.{fmt}" for t in known_tables for fmt in ("csv", "parquet"))
    return names


def write_bundle(
    out: Path,
    *,
    workbook: str,
    tables: Mapping[str, pd.DataFrame],
    formats: Sequence[str],
    html: str | None,
    config_text: Callable[[], str],
    known_tables: Collection[str] = (),
    extra: Sequence[OutputFile] = (),
    info: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Write a run's workbook, tables, report and effective config as folder ``out``.

    Callers render the report and build the tables first.  The folder is replaced as a
    whole (:func:`publish`): it holds this run's files and ``manifest.json``, or — after
    any failure or kill — the previous run's, never a mixture; tables of
    ``known_tables`` that this run did not produce are gone with the previous set.
    ``info`` goes into the manifest (``config_sha256`` is added from the config text).
    """
    text = config_text()
    files = bundle_files(
        workbook=workbook,
        tables=tables,
        formats=formats,
        html=html,
        config_text=text,
        extra=extra,
    )
    meta = {"config_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), **dict(info or {})}
    return publish(
        out, files, ours=known_names(workbook, known_tables), info=meta, progress=progress
    )


def _input_hashes(settings: Mapping[str, Any]) -> dict[str, Any]:
    """SHA-256 of the input files a command's settings name (their path values)."""
    inputs = {}
    for key, value in settings.items():
        if isinstance(value, str | os.PathLike) and key in ("file", "enterprises", "chains"):
            path = Path(value)
            if path.is_file():
                inputs[key] = {
                    "name": str(path),
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                }
    return inputs


def write_outputs(
    out: str | os.PathLike[str],
    *,
    workbook: str,
    tables: Mapping[str, pd.DataFrame],
    known_tables: Sequence[str],
    formats: Sequence[str] = ("xlsx", "csv"),
    settings: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Write ``tables`` as folder ``out`` plus ``config.used.yaml`` and ``manifest.json``.

    The folder is replaced as a whole (see :func:`write_bundle`); the manifest records
    ``settings["command"]`` and the SHA-256 of the input files ``settings`` names
    (``file``, ``enterprises``, ``chains``).
    """
    fmts = check_formats(list(formats))
    folder = output_folder(Path(out))
    settings = dict(settings or {})
    text = yaml.safe_dump(settings, allow_unicode=True, sort_keys=False)
    info: dict[str, Any] = {"command": settings.get("command")}
    info["inputs"] = _input_hashes(settings)
    return write_bundle(
        folder,
        workbook=workbook,
        tables=dict(tables),
        formats=fmts,
        html=None,
        config_text=lambda: text,
        known_tables=known_tables,
        info=info,
        progress=progress,
    )


# -- config-driven runs (index run, analyze run) -------------------------------------------


def load_config(path: str | os.PathLike[str], parse: Callable[..., Any]) -> Any:
    """Read a UTF-8 YAML config file and validate it with ``parse``.

    ``parse(text, filename=..., base_dir=...)`` is a config parser such as
    :func:`~nqpf.services.index_config.parse_index_config`; the file's folder becomes the
    config's base folder, against which its relative paths resolve.
    """
    path = Path(path)
    try:
        text = read_input(path).data.decode("utf-8-sig")
    except DataValidationError as exc:  # a config that cannot be read is a config error
        raise ConfigError(exc.reason, file=exc.file) from None
    except UnicodeDecodeError:
        raise ConfigError("file is not UTF-8 text", file=str(path)) from None
    return parse(text, filename=str(path), base_dir=path.resolve().parent)


def config_path(config: Any, path: str, *, field: str) -> Path:
    """The file that ``path`` of a config names, in the folder of the config file.

    Only a config read from a file (one with a ``base_dir``) names files to read; a config
    given as text, such as an upload, comes with its data, so it can never make the
    services read a path of its choosing.
    """
    if config.base_dir is None:
        raise ConfigError(
            f"{path!r} names a file, but this config was not read from a file; "
            "give the file's content with the run instead",
            field=field,
        )
    return config.resolve(path)


def read_config_input(config: Any, path: str, *, field: str) -> InputFile:
    """The bytes of the file that ``path`` of a config names, labelled with its full path."""
    full = config_path(config, path, field=field)
    return InputFile(str(full), read_input(full).data)


def run_output_dir(config: Any, out_dir: str | os.PathLike[str] | None = None) -> Path:
    """The output folder of a config-driven run: ``out_dir``, else the config's ``output.dir``
    (relative to the config file's folder), checked by :func:`output_folder`."""
    target = Path(out_dir) if out_dir is not None else config.resolve(config.output.dir)
    return output_folder(target)


def write_run(
    run: Any,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    formats: Sequence[str] | None = None,
    report: bool | None = None,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Write a config-driven run's tables, report, quality report and effective config.

    ``run`` is an :class:`~nqpf.services.index_run.IndexRun` or
    :class:`~nqpf.services.analyze_run.AnalysisRun`: it has ``config`` (with its
    ``output`` section), ``output_tables``, ``report_html``, ``config_text(out, formats,
    report)``, ``workbook``, ``known_tables`` and, where the data were checked,
    ``quality`` (written as ``quality.html`` and ``quality.xlsx``).  ``out_dir``,
    ``formats`` and ``report`` override the config's output section.  The report is
    rendered before anything is written, and the output folder is replaced as a whole
    (:func:`publish`): an error or a kill leaves the previous outputs (or none) in place.
    The manifest records the command, the hash of the effective config and of the input
    data.  The paths are also kept in ``run.written``.
    """
    output = run.config.output
    formats = check_formats(formats or output.formats)
    want_report = output.report if report is None else report
    out = run_output_dir(run.config, out_dir)
    html = run.report_html if want_report else None
    extra = []
    quality = getattr(run, "quality", None)
    if quality is not None:  # rendered by the writers, beside the tables being written
        extra = [
            OutputFile(QUALITY_FILES[0], _text_writer(quality.to_html)),
            OutputFile(QUALITY_FILES[1], lambda fh: fh.write(quality.to_xlsx())),
        ]
    extra += getattr(run, "output_folders", [])  # datasets an engine wrote (index run --engine)
    info = {"command": getattr(run, "command", None), "inputs": getattr(run, "inputs", {})}
    run.written = write_bundle(
        out,
        workbook=run.workbook,
        tables=run.output_tables,
        formats=formats,
        html=html,
        config_text=lambda: run.config_text(out, formats, want_report),
        known_tables=run.known_tables,
        extra=extra,
        info=info,
        progress=progress,
    )
    return run.written
