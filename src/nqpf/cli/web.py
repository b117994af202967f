"""``nqpf db upgrade`` and ``nqpf serve``: the platform's database and web server.

The web stack (FastAPI, SQLAlchemy, Alembic, uvicorn) is imported inside the commands,
so ``nqpf --help`` and the other commands work without the ``web`` extra.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nqpf.exceptions import ConfigError, NqpfError

if TYPE_CHECKING:
    from nqpf.web.config import Settings

db_app = typer.Typer(
    help="平台数据库 — the platform database (Alembic migrations).", no_args_is_help=True
)

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: NQPF_DATABASE_URL, else a SQLite file under the "
        "user data directory).",
    ),
]


def _load_settings(database_url: str | None) -> Settings:
    try:
        from pydantic import ValidationError

        from nqpf.web.config import Settings
    except ImportError as exc:
        raise NqpfError(
            f"the platform needs the 'web' extra (pip install 'nqpf[web]'): {exc}"
        ) from exc
    overrides = {"database_url": database_url} if database_url else {}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        messages = "; ".join(err["msg"].removeprefix("Value error, ") for err in exc.errors())
        raise ConfigError(f"platform settings: {messages}") from exc


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _upgrade(settings: Settings, revision: str = "head") -> str | None:
    from sqlalchemy.exc import SQLAlchemyError

    from nqpf.web.db import upgrade_database

    try:
        return upgrade_database(settings.database_url, revision)
    except (SQLAlchemyError, OSError) as exc:
        raise NqpfError(
            f"cannot migrate {_shown(settings.database_url)}: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}"
        ) from exc


@db_app.command("upgrade")
def upgrade_cmd(
    revision: Annotated[
        str, typer.Argument(help="Target revision (default: the newest, 'head').")
    ] = "head",
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create or migrate the platform database schema."""
    settings = _load_settings(database_url)
    current = _upgrade(settings, revision)
    typer.echo(f"{_shown(settings.database_url)}: at revision {current}")


NoWorkerOption = Annotated[
    bool,
    typer.Option(
        "--no-worker",
        help="Do not run background jobs in this process (run `nqpf worker` separately).",
    ),
]


def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", "-w", min=1, max=64, help="Worker processes (one per core is a start)."
        ),
    ] = 1,
    database_url: DatabaseUrlOption = None,
    no_worker: NoWorkerOption = False,
) -> None:
    """Migrate the database, then serve the platform (uvicorn) with its job worker.

    Background jobs (regional analytics, PDF renders) run in a thread of this process;
    with ``--no-worker`` they wait in the queue for ``nqpf worker`` (one extra command,
    e.g. on another machine with the same database).
    """
    settings = _load_settings(database_url)
    current = _upgrade(settings)
    typer.echo(f"{_shown(settings.database_url)}: at revision {current}")
    _serve(settings, host=host, port=port, workers=workers, job_worker=not no_worker)


def _serve(settings: Settings, *, host: str, port: int, workers: int, job_worker: bool) -> None:
    """Run uvicorn until Ctrl-C, with a job worker thread unless ``job_worker`` is off;
    on exit the worker stops too (a job it was running is failed, never left running)."""
    import uvicorn

    from nqpf.web.db import make_engine, make_session_factory
    from nqpf.web.jobs import WorkerThread, queue_for

    typer.echo(f"nqpf 平台：http://{host}:{port}/  (API 文档 /docs)")
    worker = None
    engine = make_engine(settings.database_url)
    if job_worker:
        queue = queue_for(settings.database_url)
        worker = WorkerThread(queue, make_session_factory(engine)).start()
        typer.echo("后台任务：本进程内运行（--no-worker 则改用单独的 nqpf worker）")
    else:
        typer.echo("后台任务：未在本进程运行；请另行启动 nqpf worker")
    try:
        if workers == 1:
            from nqpf.web.main import create_app

            uvicorn.run(create_app(settings), host=host, port=port, **_UVICORN_SECURITY)
        else:
            # worker processes build the app themselves from the environment
            os.environ["NQPF_DATABASE_URL"] = settings.database_url
            uvicorn.run(
                "nqpf.web.main:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                **_UVICORN_SECURITY,
            )
    finally:
        if worker is not None:
            worker.stop(timeout=STOP_TIMEOUT)
        engine.dispose()
        typer.echo("nqpf 平台已停止")


#: Seconds a stopping worker waits for its running job before failing it.
STOP_TIMEOUT = 5.0

# no "server: uvicorn" banner; X-Forwarded-* are judged by the app against
# NQPF_TRUSTED_PROXIES, not by uvicorn (which would trust 127.0.0.1 by default)
_UVICORN_SECURITY = {"server_header": False, "proxy_headers": False}


def worker_cmd(
    database_url: DatabaseUrlOption = None,
    threads: Annotated[
        int, typer.Option("--threads", "-t", min=1, max=32, help="Jobs run at once.")
    ] = 1,
    lease: Annotated[
        float,
        typer.Option(
            "--lease",
            min=10.0,
            help="Seconds without a heartbeat after which a running job counts as abandoned.",
        ),
    ] = 60.0,
) -> None:
    """Run background jobs (the huey consumer) until Ctrl-C: the worker of
    ``nqpf serve --no-worker``."""
    settings = _load_settings(database_url)
    current = _upgrade(settings)
    typer.echo(f"{_shown(settings.database_url)}: at revision {current}; 后台任务工作进程已启动")
    from nqpf.web.jobs import run_consumer

    run_consumer(settings.database_url, workers=threads, lease=lease)


#: The file the demo accounts are written to, in the data directory.
ACCOUNTS_FILE = "demo-accounts.txt"


def _demo_settings(database_url: str | None, data_dir: Path | None) -> tuple[Settings, Path]:
    """The demo's settings and data directory: ``--data-dir`` holds the SQLite database
    (unless ``--database-url`` names another) and the accounts file."""
    if data_dir is not None and database_url is None:
        database_url = f"sqlite:///{(data_dir.resolve() / 'nqpf.db').as_posix()}"
    settings = _load_settings(database_url)
    if data_dir is None:
        from sqlalchemy.engine import make_url

        from nqpf.web.config import user_data_dir

        url = make_url(settings.database_url)
        is_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        data_dir = Path(url.database).resolve().parent if is_file else user_data_dir()
    return settings, data_dir


def demo_cmd(
    database_url: DatabaseUrlOption = None,
    enterprises: Annotated[
        int, typer.Option("--enterprises", "-n", min=2, max=100_000, help="Number of enterprises.")
    ] = 300,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same park).")
    ] = 20245,
    reset: Annotated[
        bool,
        typer.Option("--reset", help="Delete a previously seeded demo park first (only that)."),
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder of the demo's SQLite database and accounts file (default: the "
            "database's folder, or the user data directory).",
        ),
    ] = None,
    reuse: Annotated[
        bool,
        typer.Option(
            "--reuse",
            help="When the database already holds the demo park and its accounts file "
            "exists, keep both and just serve.",
        ),
    ] = False,
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="Serve the platform afterwards (Ctrl-C stops)."),
    ] = True,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port.")] = 8000,
) -> None:
    """Migrate the database, fill it with the synthetic demo park (示例数据), write the
    accounts to a file and serve the platform with its job worker (``--no-serve``: stop
    after seeding)."""
    settings, folder = _demo_settings(database_url, data_dir)
    _upgrade(settings)
    accounts_file = folder / ACCOUNTS_FILE

    from nqpf.web.db import make_engine, make_session_factory
    from nqpf.web.demo import DemoRefused, is_demo_database, reset_demo, seed_demo

    engine = make_engine(settings.database_url)
    lines: list[str] | None = None
    try:
        with make_session_factory(engine)() as session:
            if reuse and not reset and is_demo_database(session) and accounts_file.is_file():
                typer.echo(f"{_shown(settings.database_url)}: 沿用已有的演示园区（示例数据）")
                lines = accounts_file.read_text("utf-8").splitlines()
            else:
                try:
                    if reset and is_demo_database(session):
                        reset_demo(session)
                    accounts = seed_demo(
                        session,
                        secret_key=settings.secret_key,
                        seed=seed,
                        n_enterprises=enterprises,
                    )
                    _queue_demo_run(session, settings, accounts)
                except DemoRefused as exc:
                    hint = (
                        "（--reset 只会清空此前由 nqpf demo 生成的数据库）"
                        if reset
                        else "；如需重新生成演示数据，请加 --reset"
                    )
                    raise NqpfError(
                        f"{_shown(settings.database_url)}: {exc}{hint} — refusing to seed a "
                        "database that already holds data"
                    ) from exc
    finally:
        engine.dispose()
    if lines is None:
        typer.echo(
            f"{_shown(settings.database_url)}: 演示园区已生成（示例数据，非真实统计）："
            f"{accounts.n_enterprises} 家企业，{accounts.n_assessments} 份已提交评测，"
            f"{accounts.n_shares} 条服务商授权，{accounts.n_inventories} 份碳排放盘查"
        )
        lines = _account_lines(accounts.accounts)
        _write_private(accounts_file, "\n".join(lines) + "\n")
    typer.echo("")
    for line in lines:
        typer.echo(line)
    typer.echo("")
    typer.echo(f"演示账户已写入 {accounts_file}（仅本机用户可读）。")
    if serve:
        _serve(settings, host=host, port=port, workers=1, job_worker=True)
        return
    typer.echo("启动服务：")
    url_option = (
        f" --database-url {_shown(settings.database_url)}" if database_url or data_dir else ""
    )
    typer.echo(f"  nqpf serve{url_option}")


def _queue_demo_run(session: Any, settings: Settings, accounts: Any) -> None:
    """Queue the demo park's first analytics run (its officer's; run by the worker)."""
    from sqlalchemy import select

    from nqpf.web.jobs import queue_for
    from nqpf.web.models import User
    from nqpf.web.services.analytics import queue_demo_run

    officer = next(a for a in accounts.accounts if a.email.startswith("park.officer@"))
    owner = session.scalar(select(User.id).where(User.email == officer.email))
    queue = queue_for(settings.database_url)
    queue_demo_run(session, queue, organization_id=accounts.organizations["park"], owner_id=owner)
    queue.close()


def _account_lines(accounts: Any) -> list[str]:
    """The demo accounts as aligned text lines (a header, one line per account); officers
    and the platform admin have a two-factor secret for an authenticator app (issue 17)."""
    rows = [("角色", "邮箱", "密码", "所属组织", "两步验证密钥（TOTP，30 秒，6 位）")] + [
        (a.role, a.email, a.password, a.organization, getattr(a, "totp_secret", ""))
        for a in accounts
    ]
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    return [
        "  ".join([*(r[i] + " " * (widths[i] - _width(r[i])) for i in range(4)), r[4]]).rstrip()
        for r in rows
    ]


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (it holds passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    path.chmod(0o600)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
