"""What the logs and response headers promise: database errors are logged
without the values that caused them, and HSTS goes with secure cookies."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pytest
from flask import Flask, got_request_exception
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from assessment import access
from assessment.access import db
from assessment.config import Config
from assessment.models import Organisation, User
from assessment.web import create_app
from tests.helpers import BANKS

PROBE_EMAIL = "leak-probe-7f3a@example.org"
PROBE_NAME = "Confidential witness Zq9"
HSTS = "max-age=63072000; includeSubDomains"


def _duplicate_email() -> None:
    """What a lost sign-up race does: a second account with a taken address."""
    db().add(
        User(
            organisation_id=db().scalar(select(Organisation.id)),
            email=PROBE_EMAIL,
            name=PROBE_NAME,
            password_hash="x",
        )
    )
    db().flush()


def _missing_email() -> None:
    """A row PostgreSQL would quote in full ("Failing row contains ...")."""
    db().execute(
        insert(User).values(
            organisation_id=db().scalar(select(Organisation.id)),
            email=None,
            name=PROBE_NAME,
            password_hash="x",
        )
    )


@pytest.mark.parametrize("fault", [_duplicate_email, _missing_email])
def test_database_errors_are_logged_without_values(
    app: Flask,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[], None],
) -> None:
    with app.extensions["assessment"]["sessions"]() as session:
        organisation = Organisation(name="Watchdog")
        session.add(organisation)
        session.flush()
        session.add(
            User(
                organisation_id=organisation.id,
                email=PROBE_EMAIL,
                name="Ana",
                password_hash="x",
            )
        )
        session.commit()

    def fail() -> str:
        fault()
        return "not reached"

    app.add_url_rule("/fault", "fault", fail)
    # The role table refuses an endpoint it does not list: declare this one public.
    monkeypatch.setattr(
        access,
        "ENDPOINT_PERMISSIONS",
        MappingProxyType({**access.ENDPOINT_PERMISSIONS, "fault": access.Permission.PUBLIC}),
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: logged, answered with 500
    raised: list[BaseException] = []

    def keep(_sender: Any, exception: BaseException, **_extra: Any) -> None:
        raised.append(exception)

    got_request_exception.connect(keep, app)
    try:
        with caplog.at_level(logging.ERROR):
            response = app.test_client().get("/fault")
    finally:
        got_request_exception.disconnect(keep, app)

    assert response.status_code == 500
    assert len(raised) == 1
    error = raised[0]
    assert isinstance(error, IntegrityError)
    assert "users" in str(error)  # still says what went wrong
    assert "Exception on /fault" in caplog.text
    assert "IntegrityError" in caplog.text
    texts = [caplog.text, str(error), str(error.orig), "".join(traceback.format_exception(error))]
    for text in texts:
        assert PROBE_EMAIL not in text
        assert PROBE_NAME not in text


def _app(config: Config, secure: bool) -> Flask:
    return create_app(config.with_overrides(secure_cookies=secure), banks=BANKS)


@pytest.mark.parametrize("secure", [True, False])
def test_hsts_goes_with_secure_cookies(config: Config, secure: bool) -> None:
    app = _app(config, secure)
    try:
        client = app.test_client()
        for path in ("/login", "/static/css/app.css", "/s/" + "A" * 43):
            with client.get(path) as response:
                headers = response.headers
            if secure:
                assert headers["Strict-Transport-Security"] == HSTS, path
            else:
                assert "Strict-Transport-Security" not in headers, path
    finally:
        app.extensions["assessment"]["renderer"].shutdown()
        app.extensions["assessment"]["engine"].dispose()
