"""Throwaway PostgreSQL servers for the platform tests (a helper module, not a conftest).

:class:`PostgresServer` runs ``initdb`` from the installed server binaries into a temp dir
and starts ``postgres`` as a child process on a free port of 127.0.0.1, with trust
authentication and durability switched off for speed; leaving the ``with`` block stops it
(``pg_ctl stop -m immediate``) and removes the dir. As root (PostgreSQL refuses to run as
root) the binaries run as the ``postgres`` system user through ``runuser``.

When ``NQPF_TEST_POSTGRES_URL`` is set (a SQLAlchemy URL such as
``postgresql+psycopg://postgres@db:5432/postgres``) the tests use that server instead,
through :class:`ExternalPostgres`; :func:`postgres_for_tests` picks one of the two.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "ENV_URL",
    "ExternalPostgres",
    "PostgresServer",
    "PostgresServerError",
    "external_url",
    "find_pg_bin",
    "postgres_for_tests",
    "postgres_unavailable_reason",
]

ENV_URL = "NQPF_TEST_POSTGRES_URL"
_SYSTEM_USER = "postgres"
_SUPERUSER = "postgres"
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Speed over durability: the data dir is thrown away anyway.
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "autovacuum": "off",
    "log_min_messages": "warning",
}


class PostgresServerError(RuntimeError):
    """The throwaway server could not be set up, started or stopped."""


def external_url() -> str | None:
    """The external server's URL from ``NQPF_TEST_POSTGRES_URL`` (None when unset or empty)."""
    return os.environ.get(ENV_URL) or None


def _pg_version(folder: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,); non-numeric names sort first.
    return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)) or (0,)


def _has_binaries(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres"))


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: from PATH, else the newest
    ``/usr/lib/postgresql/*/bin``; None when neither has them."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        # Follow symlinks (e.g. /usr/local/bin/initdb): pg_ctl looks for postgres next to it.
        for folder in (Path(initdb).resolve().parent, Path(initdb).parent):
            if _has_binaries(folder):
                return folder
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if _has_binaries(p)]
    if candidates:
        return max(candidates, key=_pg_version)
    return None


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _system_user_ids(name: str) -> tuple[int, int] | None:
    try:
        import pwd

        entry = pwd.getpwnam(name)
    except (ImportError, KeyError):
        return None
    return entry.pw_uid, entry.pw_gid


@functools.cache
def _local_unavailable_reason() -> str | None:
    if find_pg_bin() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian "
            f"package postgresql (or set {ENV_URL} to use an existing server)"
        )
    if _is_root():
        if shutil.which("runuser") is None:
            return (
                "running as root and runuser (util-linux) is missing to drop to the postgres user"
            )
        if _system_user_ids(_SYSTEM_USER) is None:
            return (
                "running as root and there is no 'postgres' system user to run the "
                "PostgreSQL server as (PostgreSQL refuses to run as root)"
            )
    return None


def postgres_unavailable_reason() -> str | None:
    """Why no PostgreSQL is available to the tests, or None when one is (``NQPF_TEST_POSTGRES_URL``
    is set, or a throwaway server can be started here). Meant for ``pytest.skip``."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    if external_url() is not None:
        return None
    return _local_unavailable_reason()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _quote_ident(name: str) -> str:
    if not _DB_NAME.match(name):
        raise ValueError(f"unsafe database name {name!r}; use letters, digits and '_'")
    return f'"{name}"'


def _run_admin_sql(url: str, *statements: str) -> None:
    """Run statements in autocommit (CREATE/DROP DATABASE cannot run in a transaction)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


class _AdminMixin:
    url: str

    def create_database(self, name: str) -> str:
        """Create database ``name`` (letters, digits, '_') and return its SQLAlchemy URL."""
        _run_admin_sql(self.url, f"CREATE DATABASE {_quote_ident(name)}")
        return _with_database(self.url, name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, disconnecting its sessions."""
        _run_admin_sql(self.url, f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")


class ExternalPostgres(_AdminMixin):
    """An existing server (``NQPF_TEST_POSTGRES_URL``) behind the :class:`PostgresServer` API;
    entering and leaving it start and stop nothing."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> ExternalPostgres:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


_LIVE: set[PostgresServer] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.stop()


class PostgresServer(_AdminMixin):
    """A throwaway PostgreSQL server; use as ``with PostgresServer() as pg: pg.url``.

    ``url`` is the SQLAlchemy URL of database ``postgres`` (user ``postgres``, no password).
    The server is stopped (``pg_ctl stop -m immediate``, SIGKILL as a last resort) and its
    temp dir removed on exit, also when the body raises, and at interpreter exit as a safety
    net.
    """

    def __init__(self, pg_bin: Path | str | None = None, start_timeout: float = 60.0) -> None:
        found = Path(pg_bin) if pg_bin is not None else find_pg_bin()
        if found is None:
            raise PostgresServerError(_local_unavailable_reason() or "no PostgreSQL binaries")
        self.pg_bin: Path = found
        self.start_timeout = start_timeout
        self.as_root = _is_root()
        self.dir: Path | None = None
        self.port: int | None = None
        self.url = ""
        self._running = False
        self._proc: subprocess.Popen[bytes] | None = None

    # -- paths -----------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    @property
    def log_file(self) -> Path:
        assert self.dir is not None
        return self.dir / "postgres.log"

    # -- process helpers ---------------------------------------------------------------------
    def _cmd(self, tool: str, *args: str) -> list[str]:
        cmd = [str(self.pg_bin / tool), *args]
        return ["runuser", "-u", _SYSTEM_USER, "--", *cmd] if self.as_root else cmd

    @staticmethod
    def _env() -> dict[str, str]:
        # PG* variables of the caller (PGDATA, PGPORT, PGHOST...) must not steer our server.
        return {k: v for k, v in os.environ.items() if not k.startswith("PG")}

    def _run(
        self, tool: str, *args: str, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._cmd(tool, *args),
            cwd=self.dir,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _make_dir(self) -> Path:
        base = Path(tempfile.gettempdir())
        # Unix socket paths are limited to ~107 bytes; the postgres user must reach the dir.
        if len(str(base)) > 60 or (self.as_root and not _world_traversable(base)):
            base = Path("/tmp")
        path = Path(tempfile.mkdtemp(prefix="nqpf-pg-", dir=base))
        if self.as_root:
            ids = _system_user_ids(_SYSTEM_USER)
            if ids is None:
                shutil.rmtree(path, ignore_errors=True)
                raise PostgresServerError("no 'postgres' system user to run the server as")
            os.chown(path, *ids)
        return path

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> PostgresServer:
        """Create the cluster and start the server (idempotent)."""
        if self._running:
            return self
        _LIVE.add(self)
        try:
            self.dir = self._make_dir()
            self._initdb()
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def _initdb(self) -> None:
        common = ["-D", str(self.data_dir), "-U", _SUPERUSER, "--auth=trust", "-E", "UTF8"]
        result = self._run("initdb", *common, "--locale=C.UTF-8", "--no-sync")
        if result.returncode != 0:
            # Systems without a C.UTF-8 locale: fall back to plain C.
            shutil.rmtree(self.data_dir, ignore_errors=True)
            result = self._run("initdb", *common, "--no-locale", "--no-sync")
        if result.returncode != 0:
            raise PostgresServerError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        assert self.dir is not None
        settings = {**_SETTINGS, "unix_socket_directories": f"'{self.dir}'"}
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# nqpf test server\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _start_server(self) -> None:
        # The postmaster runs as our own child (not daemonized by ``pg_ctl start``): we reap
        # it ourselves, so no zombie is left where PID 1 does not reap orphans (containers),
        # and on Linux it gets a signal should this process die without cleaning up.
        last = ""
        for _attempt in range(3):  # another process may grab the free port in between
            port = _free_port()
            with self.log_file.open("ab") as log:
                self._proc = subprocess.Popen(
                    self._cmd("postgres", "-D", str(self.data_dir), "-p", str(port)),
                    cwd=self.dir,
                    env=self._env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent(signal.SIGTERM if self.as_root else signal.SIGQUIT),
                )
            if self._wait_ready():
                self.port = port
                self.url = f"postgresql+psycopg://{_SUPERUSER}@127.0.0.1:{port}/postgres"
                self._running = True
                return
            last = self._log_tail()
            self._stop_process()
            if "already in use" not in last:
                break
        raise PostgresServerError(f"PostgreSQL did not start; log:\n{last}")

    def _wait_ready(self) -> bool:
        """Wait until postmaster.pid reports ``ready`` (as ``pg_ctl -w`` does)."""
        deadline = time.monotonic() + self.start_timeout
        pid_file = self.data_dir / "postmaster.pid"
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                lines = pid_file.read_text().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return True
            time.sleep(0.02)
        return False

    def _postmaster_pid(self) -> int | None:
        """The pid in our data dir's postmaster.pid, if that process still runs postgres."""
        if self.dir is None:
            return None
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
            os.kill(pid, 0)
        except (OSError, IndexError, ValueError):
            return None
        cmdline = Path(f"/proc/{pid}/cmdline")
        with contextlib.suppress(OSError):
            # Guard against a stale pid file whose pid now belongs to another program.
            if b"postgres" not in cmdline.read_bytes():
                return None
        return pid

    def _stop_process(self) -> None:
        """Immediate shutdown of our postmaster; SIGKILL if it does not go; reap our child."""
        proc, self._proc = self._proc, None
        if self._postmaster_pid() is not None:
            try:
                stopped = self._run(
                    "pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30", "stop",
                    timeout=60,
                ).returncode == 0  # fmt: skip
            except Exception:
                stopped = False
            pid = self._postmaster_pid()
            if not stopped and pid is not None:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if proc is not None:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()  # our own child (runuser or postgres)
                proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server (if running) and remove its temp dir; safe to call repeatedly."""
        try:
            self._stop_process()
        finally:
            self._running = False
            if self.dir is not None:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None
            _LIVE.discard(self)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"port={self.port}" if self._running else "stopped"
        return f"<PostgresServer {state} dir={self.dir}>"


def _die_with_parent(sig: int) -> Any:
    """A ``preexec_fn`` asking Linux to send ``sig`` to the child when its parent dies
    (PR_SET_PDEATHSIG); None elsewhere."""
    import sys

    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, int(sig), 0, 0, 0)

    return preexec


def _world_traversable(path: Path) -> bool:
    import stat

    for folder in (path, *path.parents):
        try:
            if not folder.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


@contextlib.contextmanager
def postgres_for_tests() -> Iterator[PostgresServer | ExternalPostgres]:
    """The external server when ``NQPF_TEST_POSTGRES_URL`` is set, else a throwaway one."""
    url = external_url()
    if url is not None:
        yield ExternalPostgres(url)
        return
    with PostgresServer() as server:
        yield server
