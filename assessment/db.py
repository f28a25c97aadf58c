"""Database engine and session set-up.

SQLite gets WAL, enforced foreign keys and a busy timeout on every
connection, so that a writer waits for another one instead of failing with
"database is locked"; PostgreSQL is used as it comes.  On SQLite the driver
begins a transaction at its first write, not at a read: a transaction that
has only read holds no snapshot, so its first write can always wait for the
write lock (see ``take_for_writing`` in :mod:`assessment.services.assessments`).
Database errors carry no values: SQLAlchemy hides a failed statement's
parameters, and the values PostgreSQL repeats in its own messages are removed
(:func:`_hide_values`), so a logged error holds no answer text, title or e-mail
address.  Services receive a
:class:`sqlalchemy.orm.Session` and only flush; the web layer commits once per
request (see :mod:`assessment.access`) and the CLI once per command.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _hide_values(context: ExceptionContext) -> None:
    """Remove the values from a PostgreSQL error before anyone sees it.

    PostgreSQL repeats data in its messages ("Key (email)=(...) already
    exists", "Failing row contains (...)", "invalid input syntax for type
    integer: ..."); the message is replaced by what names the problem
    without data: the condition, its SQLSTATE and the constraint, table,
    column and type concerned.  The driver's ``diag`` stays available.
    SQLite's messages name only the constraint and column, and are kept.
    """
    original = context.original_exception
    diag = getattr(original, "diag", None)
    if diag is None:
        return
    parts = [type(original).__name__]
    for label, value in (
        ("SQLSTATE", diag.sqlstate),
        ("constraint", diag.constraint_name),
        ("table", diag.table_name),
        ("column", diag.column_name),
        ("type", diag.datatype_name),
    ):
        if value:
            parts.append(f"{label} {value}")
    message = ", ".join(parts) + " (values hidden)"
    original.args = (message,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None:
        kind = type(original)
        wrapped.args = (f"({kind.__module__}.{kind.__name__}) {message}",)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for a SQLite file, its folder is created.  Its
    errors carry neither the statement's parameters nor the database's
    echo of them."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    event.listen(engine, "handle_error", _hide_values)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def insert_unless_taken(
    session: Session, model: type[Any], unique: Any, **values: Any
) -> Any | None:
    """INSERT a ``model`` row of ``values`` unless one with the same value of
    the unique column ``unique`` exists; the new row's id, or ``None``.

    Check and insert are one statement (``ON CONFLICT DO NOTHING``): of two
    requests inserting the same value at once, the second waits for the first
    and gets ``None`` instead of failing on the unique constraint.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(model).values(**values).on_conflict_do_nothing(index_elements=[unique])
    ).returning(model.id)
    return session.scalar(statement)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back
    when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
