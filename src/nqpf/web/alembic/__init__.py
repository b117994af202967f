"""Alembic migration environment of the platform (see :func:`nqpf.web.db.upgrade_database`)."""
