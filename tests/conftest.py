"""Fixtures: a real database (SQLite by default, PostgreSQL when
``TEST_DATABASE_URL`` is set), migrated once per run with Alembic and emptied
between tests; the app with CSRF on; a client helper that carries tokens."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import Engine, create_engine, text

from assessment.config import Config
from assessment.db import make_engine
from assessment.migrate import upgrade
from assessment.models import Base

pytest_plugins = ("tests.browser",)  # the browser tests' fixtures


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once per test process and shared by every app the
    tests create (each has an environment of its own, and compiling a page's
    templates again costs more than most tests).  Jinja checks each entry
    against its template's source, so an edited template is compiled anew."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _CompiledTemplates()}

TEST_PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HIDDEN_RE = re.compile(r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)"')


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that reach the database and whose outcome can depend on "
        "which one it is (CI's second, PostgreSQL run); see DATABASE_AGNOSTIC",
    )


DATABASE_AGNOSTIC = "database_agnostic"
"""The marker of a test that uses the database only as a store while its subject
is a rendered PDF, the report cache's files or the page in a browser (every
browser test, those using ``live_server``, counts as one).  The database work
such a test causes is the same as that of the test-client tests, which run on
every database; the test itself runs once, on the default database."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{DATABASE_AGNOSTIC}: uses the database only as a store; left out of "
        "--database-tests-only runs (tests/conftest.py)",
    )


def _depends_on_database(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return (
        "migrated_engine" in fixtures
        and "live_server" not in fixtures
        and item.get_closest_marker(DATABASE_AGNOSTIC) is None
    )


def _on_postgresql() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --database-tests-only, keep the tests that reach the database;
    without TEST_DATABASE_URL on PostgreSQL, leave out those marked
    ``postgresql`` (they run in CI's PostgreSQL run, and fail there, never
    skip, when PostgreSQL or Redis cannot be reached)."""
    database_only = config.getoption("--database-tests-only")
    if not database_only and _on_postgresql():
        return
    kept, dropped = [], []
    for item in items:
        needs_postgresql = item.get_closest_marker("postgresql") is not None
        wanted = not database_only or needs_postgresql or _depends_on_database(item)
        if needs_postgresql and not _on_postgresql():
            wanted = False
        (kept if wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _worker_database(url: str, worker: str) -> str:
    """The PostgreSQL database ``<name>_<worker>`` next to ``url``'s, created
    when missing, so that parallel workers (pytest-xdist) never share tables."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{engine.url.database}_{worker}"
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return engine.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """SQLite in the run's temporary folder (one per worker), or
    ``TEST_DATABASE_URL`` — on PostgreSQL one database per parallel worker."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url if worker_id == "master" else _worker_database(url, worker_id)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clean_db(migrated_engine: Engine) -> Engine:
    with migrated_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return migrated_engine


@pytest.fixture
def config(database_url: str, clean_db: Engine, tmp_path: Path) -> Config:
    return Config(
        secret_key="test-secret-key-" + "x" * 32,
        database_url=database_url,
        instance_path=tmp_path / "instance",
        testing=True,
        report_workers=0,  # render in the request thread; tests/test_render_pool.py uses a pool
        # Renderer processes at the test's own priority: with every core busy running
        # tests, a render at nice 10 would wait for minutes (the default is tested in
        # tests/test_background_reports.py).
        report_nice=0,
        report_background=False,  # only what a test asks for; tests/test_background_reports.py
    )


@pytest.fixture
def app(config: Config) -> Iterator[Flask]:
    from assessment.config import DEFAULT_BANK_DIR
    from assessment.web import create_app
    from tests.helpers import BANKS

    shared = BANKS if Path(config.bank_dir) == Path(DEFAULT_BANK_DIR) else None
    application = create_app(config, banks=shared)
    yield application
    application.extensions["assessment"]["renderer"].shutdown()
    application.extensions["assessment"]["engine"].dispose()


class Browser:
    """A test client that behaves like a browser filling in forms: it reads the
    CSRF token from the page it was on and sends it with the next POST."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.last_html = ""

    def get(self, url: str, **kwargs: Any) -> Any:
        response = self.client.get(url, **kwargs)
        if response.mimetype == "text/html":
            self.last_html = response.get_data(as_text=True)
        return response

    def token(self) -> str:
        match = CSRF_RE.search(self.last_html)
        assert match, "no CSRF token on the last page"
        return match.group(1)

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        page: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """POST ``data`` with the token of ``page`` (GET first) or of the last page."""
        if page is not None:
            self.get(page)
        payload = dict(data or {})
        for name, value in HIDDEN_RE.findall(self.last_html):  # as a browser would
            payload.setdefault(name, value)
        payload.setdefault("csrf_token", self.token())
        response = self.client.post(url, data=payload, **kwargs)
        if response.mimetype == "text/html":
            self.last_html = response.get_data(as_text=True)
        return response


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def make_browser(app: Flask) -> Callable[[], Browser]:
    return lambda: Browser(app.test_client())


@pytest.fixture
def signup() -> Callable[..., Browser]:
    """Sign ``browser`` up as a new organisation; returns the browser."""

    def sign_up(
        browser: Browser, email: str = "ana@example.org", organisation: str = "Watchdog"
    ) -> Browser:
        response = browser.post(
            "/signup",
            {
                "organisation": organisation,
                "name": "Ana",
                "email": email,
                "password": TEST_PASSWORD,
            },
            page="/signup",
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return sign_up


@pytest.fixture
def start_assessment() -> Callable[..., str]:
    """Start an assessment through the web form; returns its id."""

    def start(browser: Browser, types: list[str], title: str = "Camera network") -> str:
        response = browser.post(
            "/assessments/new",
            {"title": title, "programme": "City programme", "programme_types": types},
            page="/assessments/new",
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        match = re.search(r"/assessments/([0-9a-f-]{36})/sections/", response.headers["Location"])
        assert match
        return match.group(1)

    return start


@pytest.fixture
def blank_engine(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """An empty database of the kind under test, apart from the suite's own, for
    migration tests: a SQLite file, or on PostgreSQL a schema of the test module's
    own name, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        engine = create_engine(f"sqlite:///{tmp_path / 'migration.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = "migration_" + request.module.__name__.rsplit(".", 1)[-1]
    admin = create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(database_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
