"""Alembic environment: migrates the database of ``config.attributes["connection"]``
when called from the app (see :mod:`assessment.migrate`), else of ``DATABASE_URL``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from assessment.config import Config
from assessment.db import make_engine
from assessment.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(Config.from_env().database_url)
    with engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run them against a database.")
run_migrations_online()
