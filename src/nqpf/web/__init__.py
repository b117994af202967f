"""The nqpf platform (web): FastAPI app, SQLAlchemy models and Alembic migrations.

Needs the ``web`` extra (FastAPI, SQLAlchemy 2, Alembic, argon2-cffi, pydantic-settings).
:mod:`nqpf.web.credit_code` is pure Python and importable without it.
"""
