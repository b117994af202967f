"""``nqpf db upgrade`` and ``nqpf serve``: the platform's database and web server.

The web stack (FastAPI, SQLAlchemy, Alembic, uvicorn) is imported inside the commands,
so ``nqpf --help`` and the other commands work without the ``web`` extra.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

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
) -> None:
    """Migrate the database, then serve the platform (uvicorn)."""
    settings = _load_settings(database_url)
    current = _upgrade(settings)
    typer.echo(f"{_shown(settings.database_url)}: at revision {current}")
    typer.echo(f"nqpf 平台：http://{host}:{port}/  (API 文档 /docs)")

    import uvicorn

    if workers == 1:
        from nqpf.web.main import create_app

        uvicorn.run(create_app(settings), host=host, port=port)
        return
    # worker processes build the app themselves from the environment
    os.environ["NQPF_DATABASE_URL"] = settings.database_url
    uvicorn.run("nqpf.web.main:create_app", factory=True, host=host, port=port, workers=workers)


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
) -> None:
    """Migrate the database and fill it with the synthetic demo park (示例数据)."""
    settings = _load_settings(database_url)
    _upgrade(settings)

    from nqpf.web.db import make_engine, make_session_factory
    from nqpf.web.demo import DemoRefused, is_demo_database, reset_demo, seed_demo

    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            try:
                if reset and is_demo_database(session):
                    reset_demo(session)
                accounts = seed_demo(session, seed=seed, n_enterprises=enterprises)
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
    typer.echo(
        f"{_shown(settings.database_url)}: 演示园区已生成（示例数据，非真实统计）："
        f"{accounts.n_enterprises} 家企业，{accounts.n_assessments} 份已提交评测，"
        f"{accounts.n_shares} 条服务商授权，{accounts.n_inventories} 份碳排放盘查"
    )
    typer.echo("")
    rows = [("角色", "邮箱", "密码", "所属组织")] + [
        (a.role, a.email, a.password, a.organization) for a in accounts.accounts
    ]
    widths = [max(_width(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        cells = [r[i] + " " * (widths[i] - _width(r[i])) for i in range(3)]
        typer.echo("  ".join([*cells, r[3]]))
    typer.echo("")
    typer.echo("密码只显示这一次。启动服务：")
    url_option = f" --database-url {_shown(settings.database_url)}" if database_url else ""
    typer.echo(f"  nqpf serve{url_option}")


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
