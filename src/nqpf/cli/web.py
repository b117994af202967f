"""``nqpf db upgrade`` and ``nqpf serve``: the platform's database and web server.

The web stack (FastAPI, SQLAlchemy, Alembic, uvicorn) is imported inside the commands,
so ``nqpf --help`` and the other commands work without the ``web`` extra.
"""

from __future__ import annotations

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
    database_url: DatabaseUrlOption = None,
) -> None:
    """Migrate the database, then serve the platform (uvicorn)."""
    settings = _load_settings(database_url)
    current = _upgrade(settings)
    typer.echo(f"{_shown(settings.database_url)}: at revision {current}")

    import uvicorn

    from nqpf.web.main import create_app

    uvicorn.run(create_app(settings), host=host, port=port)
