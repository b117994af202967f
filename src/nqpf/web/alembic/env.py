"""Alembic environment: run by Alembic with ``context.config`` set by nqpf.web.db.

Importing this module outside Alembic (e.g. doctest collection) does nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from nqpf.web.db import make_engine
from nqpf.web.models import Base

target_metadata = Base.metadata


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline(url: str) -> None:
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online(url: str) -> None:
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def _main() -> None:
    try:
        config = context.config
    except (AttributeError, NameError):  # imported outside an Alembic run
        return
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        run_migrations_offline(url)
    else:
        run_migrations_online(url)


_main()
