"""Hostile files: PDF bombs at /verify and on the command line, JSON nested
or sized beyond its bounds, and the import's words when there is no
organisation.  Every refusal is a clear message (a 4xx page in the app's
layout, or one line on the command line), never a traceback."""

from __future__ import annotations

import gc
import io
import multiprocessing
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from assessment.config import Config
from assessment.engine.inputs import MAX_JSON_BYTES
from assessment.models import Assessment
from assessment.report import verify
from assessment.report.verify import (
    MAX_OBJECTS,
    MAX_STREAM_BYTES,
    NotAReport,
    read_embedded,
    reading_slot,
)
from tests import pdf_bombs
from tests.conftest import TEST_PASSWORD, Browser
from tests.helpers import BANKS

EXAMPLE = Path(__file__).parents[1] / "assessment" / "examples" / "moscow_cameras.json"
PAST_A_LIMIT = "unpacks to more than 8 MB"
TOO_MANY_OBJECTS = f"more than {MAX_OBJECTS:,} objects"

BOMBS: dict[str, tuple[Callable[[], bytes], str]] = {
    "embedded file": (pdf_bombs.embedded_file_bomb, PAST_A_LIMIT),
    "page content": (pdf_bombs.page_content_bomb, PAST_A_LIMIT),
    "FlateDecode twice": (pdf_bombs.nested_filter_bomb, PAST_A_LIMIT),
    "five filters": (lambda: pdf_bombs.nested_filter_bomb(5), PAST_A_LIMIT),
    "many objects": (lambda: pdf_bombs.many_objects_pdf(MAX_OBJECTS + 1), TOO_MANY_OBJECTS),
    "packed objects": (lambda: pdf_bombs.object_stream_pdf(MAX_OBJECTS + 1), TOO_MANY_OBJECTS),
}


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """Each bomb built once for the module (the zeros take a moment to deflate)."""
    return {name: make() for name, (make, _message) in BOMBS.items()}


@pytest.fixture
def make_app(config: Config) -> Iterator[Callable[..., Flask]]:
    """Apps built with some configuration changed; shut down after the test,
    and the reading slots set back to the defaults."""
    from assessment.web import create_app

    made: list[Flask] = []

    def make(**changes: Any) -> Flask:
        application = create_app(config.with_overrides(**changes), banks=BANKS)
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["assessment"]["engine"].dispose()
    verify.configure_reading(
        config.reading_slots, config.reading_wait_seconds, config.reading_seconds
    )


def _upload(browser: Browser, pdf: bytes) -> Any:
    """POST ``pdf`` to /verify as a browser would.  The body is encoded here:
    Werkzeug's test client would spool a large upload to a temporary file
    that it never closes."""
    browser.get("/verify")
    fields = {"csrf_token": browser.token(), "report": FileStorage(io.BytesIO(pdf), "report.pdf")}
    boundary, body = encode_multipart(fields)
    return browser.client.post(
        "/verify", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _no_reader_left() -> bool:
    return not [p for p in multiprocessing.active_children() if p.name == "report-reader"]


# --- reading a PDF is bounded -----------------------------------------------------------


@pytest.mark.parametrize("name", BOMBS)
def test_bombs_are_refused_with_bounded_memory(name: str, bombs: dict[str, bytes]) -> None:
    """The reader refuses each bomb, and its peak memory stays within a few
    times the stream limit (unbounded, the 64 MiB bombs peaked at 136 MiB);
    afterwards the memory is given back."""
    pdf = bombs[name]
    gc.collect()
    tracemalloc.start()
    message = "read without complaint"
    try:
        before = tracemalloc.get_traced_memory()[0]
        try:
            read_embedded(pdf)
        except NotAReport as refused:  # its traceback, and the reader's buffers, go here
            message = str(refused)
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert BOMBS[name][1] in message
    assert peak - before < 3 * MAX_STREAM_BYTES
    assert after - before < 1024 * 1024


@pytest.mark.database_agnostic  # its subject is reading a PDF
def test_bombs_get_a_clear_page_and_leave_the_server_flat(
    app: Flask, bombs: dict[str, bytes]
) -> None:
    """Each bomb uploaded to /verify gets a 422 page in the app's layout that
    says why.  The unpacking happens in a child process: the web process
    holds little more than the upload, during the request and after it."""
    visitor = Browser(app.test_client())
    _upload(visitor, pdf_bombs.report_like_pdf())  # templates compiled, caches warm
    for name, pdf in bombs.items():
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            response = _upload(visitor, pdf)
            status, html = response.status_code, response.get_data(as_text=True)
            del response  # it keeps the request, and so the upload
            gc.collect()
            after, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert status == 422, name
        assert BOMBS[name][1] in html, name
        assert "<h1>Verify a report</h1>" in html
        assert 'href="/static/css/app.css"' in html  # the app's own layout
        assert peak - before < 4 * len(pdf) + 4 * 1024 * 1024, name
        assert after - before < 256 * 1024, name
    assert _no_reader_left()


def test_upload_over_the_size_limit_gets_a_clear_page(make_app: Callable[..., Flask]) -> None:
    small = make_app(max_upload_bytes=1024 * 1024)
    response = _upload(Browser(small.test_client()), b"%PDF-1.7\n" + b"0" * 1024 * 1024)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "larger than 1 MB, so it was not read" in html
    assert 'href="/static/css/app.css"' in html


@pytest.mark.database_agnostic  # its subject is reading a PDF
def test_verification_is_refused_when_every_slot_is_taken(make_app: Callable[..., Flask]) -> None:
    busy = make_app(reading_slots=1, reading_wait_seconds=0)
    visitor = Browser(busy.test_client())
    with reading_slot():  # another upload is being read
        response = _upload(visitor, pdf_bombs.report_like_pdf())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert "Several reports are being verified at this moment" in html
    assert 'href="/verify"' in html
    assert _upload(visitor, pdf_bombs.report_like_pdf()).status_code == 200  # read once free


@pytest.mark.database_agnostic  # its subject is reading a PDF
def test_reading_that_takes_too_long_is_stopped(make_app: Callable[..., Flask]) -> None:
    """A reading past its time limit is stopped and its process ended.  (No
    child process starts in 10 ms, so this holds on any machine.)"""
    slow = make_app(reading_seconds=0.01)
    response = _upload(Browser(slow.test_client()), pdf_bombs.report_like_pdf())
    assert response.status_code == 422
    assert "took longer than 0.01 seconds, so it was stopped" in response.get_data(as_text=True)
    assert _no_reader_left()


@pytest.mark.database_agnostic  # its subject is reading a PDF
def test_command_line_refuses_bombs_in_one_line(
    app: Flask, bombs: dict[str, bytes], tmp_path: Path
) -> None:
    _signed_up(app)  # an organisation to import into: the file itself is refused
    runner = app.test_cli_runner()
    path = tmp_path / "bomb.pdf"
    path.write_bytes(bombs["embedded file"])
    for command in ("verify", "import", "score"):
        result = runner.invoke(args=[command, str(path)])
        assert result.exit_code == 1, command
        assert isinstance(result.exception, SystemExit), command  # no traceback
        assert PAST_A_LIMIT in result.output, command
    assert _no_reader_left()


# --- JSON: size and nesting --------------------------------------------------------------


def _signed_up(app: Flask) -> None:
    browser = Browser(app.test_client())
    response = browser.post(
        "/signup",
        {
            "organisation": "Watchdog",
            "name": "Ana",
            "email": "ana@example.org",
            "password": TEST_PASSWORD,
        },
        page="/signup",
    )
    assert response.status_code == 302


def _assessments(app: Flask) -> int:
    with app.extensions["assessment"]["sessions"]() as session:
        return session.scalar(select(func.count()).select_from(Assessment)) or 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[" * 100_000, "nested more than 20 levels deep"),
        (b'{"a":' * 50 + b"1" + b"}" * 50, "nested more than 20 levels deep"),
        (b'"' + b"x" * MAX_JSON_BYTES + b'"', "larger than 8 MB"),
    ],
    ids=["100,000 brackets", "50 objects deep", "over 8 MB"],
)
def test_import_of_json_beyond_its_bounds_is_refused(
    app: Flask, tmp_path: Path, content: bytes, message: str
) -> None:
    _signed_up(app)
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, not a RecursionError
    assert message in result.output
    assert _assessments(app) == 0


def test_import_reads_no_more_than_its_limit(app: Flask) -> None:
    """An endless file is refused after reading the limit, not loaded."""
    _signed_up(app)
    result = app.test_cli_runner().invoke(args=["import", "/dev/zero"])
    assert result.exit_code == 1
    assert "larger than 8 MB, the limit for an exchange file" in result.output


# --- import: the words for a simple mistake ---------------------------------------------


def test_import_without_any_organisation_says_what_to_do(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["import", str(EXAMPLE)])
    assert result.exit_code == 1
    assert "there is no organisation to import into yet" in result.output
    assert "create-user EMAIL --organisation NAME" in result.output
    assert "several" not in result.output


def test_import_with_several_organisations_names_them(app: Flask) -> None:
    runner = app.test_cli_runner()
    for email, name in (("a@example.org", "First group"), ("b@example.org", "Second group")):
        made = runner.invoke(
            args=["create-user", email, "--organisation", name, "--password", TEST_PASSWORD]
        )
        assert made.exit_code == 0, made.output
    result = runner.invoke(args=["import", str(EXAMPLE)])
    assert result.exit_code == 1
    assert "there are several organisations (" in result.output
    assert "(First group)" in result.output
    assert "(Second group)" in result.output
    assert "--organisation-id" in result.output
