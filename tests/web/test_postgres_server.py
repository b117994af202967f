"""The throwaway PostgreSQL server of the platform tests, and the migrations on PostgreSQL."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_server import (
    ExternalPostgres,
    PostgresServer,
    external_url,
    postgres_for_tests,
    postgres_unavailable_reason,
)


def _skip_if_unavailable() -> None:
    reason = postgres_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer | ExternalPostgres]:
    """One server for the module (or the one of ``NQPF_TEST_POSTGRES_URL``)."""
    _skip_if_unavailable()
    with postgres_for_tests() as server:
        yield server


@pytest.fixture
def database_url(postgres: PostgresServer | ExternalPostgres) -> Iterator[str]:
    """A fresh, empty database on the module's server, dropped afterwards."""
    name = f"nqpf_test_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    try:
        yield url
    finally:
        postgres.drop_database(name)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_migrations_run_on_postgres(database_url: str) -> None:
    from sqlalchemy import inspect

    from nqpf.web.db import current_revision, make_engine, upgrade_database

    assert database_url.startswith("postgresql+psycopg://")
    assert current_revision(database_url) is None
    upgrade_database(database_url)
    assert current_revision(database_url) is not None
    engine = make_engine(database_url)
    try:
        assert "organization" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_databases_are_isolated(postgres: PostgresServer | ExternalPostgres) -> None:
    from sqlalchemy import create_engine, text

    name = f"nqpf_test_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    try:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                assert connection.execute(text("SELECT current_database()")).scalar() == name
                encoding = connection.execute(text("SHOW server_encoding")).scalar()
                assert encoding == "UTF8"
                # Chinese text round-trips.
                assert connection.execute(text("SELECT '新质生产力'")).scalar() == "新质生产力"
        finally:
            engine.dispose()
    finally:
        postgres.drop_database(name)
    postgres.drop_database(name)  # dropping a missing database is fine


def test_server_is_stopped_and_removed_even_when_the_body_raises() -> None:
    _skip_if_unavailable()
    if external_url() is not None:
        pytest.skip("NQPF_TEST_POSTGRES_URL is set: no throwaway server is started")
    server = PostgresServer()
    with pytest.raises(RuntimeError, match="boom"), server:
        assert server.port is not None and server.dir is not None
        port, folder = server.port, Path(server.dir)
        assert _port_open(port)
        assert (folder / "data" / "postmaster.pid").exists()
        raise RuntimeError("boom")
    assert not _port_open(port)
    assert not folder.exists()
    server.stop()  # a second stop is harmless
