"""The error pages (assessment/errors.py) and the landing page: each error's
page in the app's layout, with its status, a way back and nothing of the
request, in English and Russian; the 500 page with the database down; the
landing page for visitors and the dashboard for members at the same address."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pytest
from flask import Flask, abort, g
from sqlalchemy import create_engine, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from assessment import access
from assessment.models import User
from tests.conftest import Browser

SECRET = "do-not-show-7f3a"  # in a path, an exception or a form: never on a page


@pytest.fixture
def routes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """``app`` with test-only endpoints that answer 409 and fail with 500."""

    def conflict() -> str:
        abort(409)

    def described_conflict() -> str:
        abort(409, description="The assessment moved on.")

    def crash() -> str:
        raise RuntimeError(SECRET)

    def database_gone() -> str:
        assert access.current_user() is not None  # the signed-in user, loaded
        g.pop("db_session").close()  # then the database goes: nothing more can be loaded
        raise OperationalError("SELECT 1", {}, Exception(SECRET))

    for name, view in (
        ("conflict", conflict),
        ("described_conflict", described_conflict),
        ("crash", crash),
        ("database_gone", database_gone),
    ):
        app.add_url_rule(f"/test/{name}", f"test.{name}", view)
    table = {
        **access.ENDPOINT_PERMISSIONS,
        "test.conflict": access.Permission.PUBLIC,
        "test.described_conflict": access.Permission.PUBLIC,
        "test.crash": access.Permission.PUBLIC,
        "test.database_gone": access.Permission.PUBLIC,
    }
    monkeypatch.setattr(access, "ENDPOINT_PERMISSIONS", MappingProxyType(table))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not raise
    app.config["MAX_CONTENT_LENGTH"] = 1000
    return app


def _request(browser: Browser, status: int, headers: dict[str, str]) -> Any:
    """A request that the application answers with ``status``."""
    client = browser.client
    if status == 400:
        browser.get("/", headers=headers)
        return browser.post("/language", {"language": SECRET}, headers=headers)
    if status == 403:
        return client.get("/members", headers=headers)  # a viewer may not manage members
    if status == 404:
        return client.get(f"/no-such-page/{SECRET}", headers=headers)
    if status == 405:
        return client.get("/logout", headers=headers)
    if status == 409:
        return client.get("/test/conflict", headers=headers)
    if status == 413:
        return client.post(
            "/verify",
            data=b"0" * 2000,
            content_type="multipart/form-data; boundary=x",
            headers=headers,
        )
    assert status == 500
    return client.get("/test/crash", headers=headers)


HEADINGS = {
    400: ("The request could not be understood", "Запрос не удалось разобрать"),
    403: ("Your role does not allow this", "Ваша роль этого не позволяет"),
    404: ("This page does not exist", "Такой страницы нет"),
    405: ("This page cannot be used that way", "Эту страницу нельзя использовать таким образом"),
    409: ("This cannot be done now", "Сейчас это сделать нельзя"),
    413: ("The upload is too large", "Загружаемый файл слишком велик"),
    500: ("Something went wrong on the server", "На сервере произошла ошибка"),
}
WAY_BACK = {
    # (signed in, language): the way back's words; it always leads to "/"
    (True, "en"): "Back to the assessments",
    (True, "ru"): "К списку оценок",
    (False, "en"): "Back to the start page",
    (False, "ru"): "На главную страницу",
}


@pytest.fixture
def viewer(
    make_browser: Callable[[], Browser], signup: Callable[..., Browser], app: Flask
) -> Browser:
    """A signed-in member whose role is viewer (no rights but reading)."""
    browser = signup(make_browser(), "viewer@example.org")
    with app.extensions["assessment"]["sessions"]() as session, session.begin():
        session.execute(
            update(User).where(User.email == "viewer@example.org").values(role="viewer")
        )
    return browser


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("status", sorted(HEADINGS))
def test_each_error_has_its_page(
    routes: Flask, viewer: Browser, make_browser: Callable[[], Browser], status: int, language: str
) -> None:
    signed_in = status in (403,)  # the role check needs a member; the others are for anyone
    browser = viewer if signed_in else make_browser()
    if signed_in:
        browser.post("/language", {"language": language}, page="/")
    response = _request(browser, status, {"Accept-Language": language})
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    heading = HEADINGS[status][language == "ru"]
    assert f"<h1>{heading}</h1>" in html
    assert f'<html lang="{language}">' in html
    assert 'class="top"' in html
    assert '<main id="main"' in html
    assert ("Ошибка" if language == "ru" else "Error") + f" {status}" in html
    assert f'<a href="/">{WAY_BACK[signed_in, language]}</a>' in html
    assert SECRET not in html
    assert "Traceback" not in html
    assert "RuntimeError" not in html
    if status == 405:
        assert "POST" in response.headers["Allow"]
        assert "GET" not in response.headers["Allow"]


def test_csrf_failure_says_so(browser: Browser) -> None:
    response = browser.client.post("/login", data={"email": "a@b.cd", "password": SECRET})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<h1>The form could not be accepted</h1>" in html
    assert "CSRF" in html
    assert SECRET not in html


def test_a_409_shows_the_applications_own_reason(routes: Flask, browser: Browser) -> None:
    html = browser.get("/test/described_conflict").get_data(as_text=True)
    assert "The assessment moved on." in html
    generic = browser.get("/test/conflict").get_data(as_text=True)
    assert "The assessment moved on." not in generic
    assert "conflict with the current state of the target resource" not in generic  # Werkzeug's


def test_the_500_page_renders_with_the_database_down(
    routes: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    member = signup(make_browser())  # a session cookie: the page would load the user
    member.post("/language", {"language": "ru"}, page="/")
    down = create_engine("sqlite:////nonexistent-directory/down.sqlite")
    routes.extensions["assessment"]["sessions"] = sessionmaker(down)
    try:
        response = member.client.get("/", headers={"Accept-Language": "ru"})
    finally:
        down.dispose()
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>На сервере произошла ошибка</h1>" in html
    assert '<html lang="ru">' in html
    assert '<main id="main"' in html
    assert '<a href="/">На главную страницу</a>' in html
    assert "Sign out" not in html
    assert "Выйти" not in html
    assert "sqlite" not in html.lower()
    assert "OperationalError" not in html


def test_the_500_page_loads_nothing_after_the_database_went_away(
    routes: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    member = signup(make_browser())
    response = member.client.get("/test/database_gone")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>Something went wrong on the server</h1>" in html
    assert '<a href="/">Back to the start page</a>' in html
    assert SECRET not in html
    assert "Watchdog" not in html


def test_error_pages_language_switch_returns_to_the_start(browser: Browser) -> None:
    html = browser.get(f"/no-such-page?{SECRET}=1").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/"' in html
    assert SECRET not in html


@pytest.mark.parametrize(
    ("language", "heading", "data"),
    [
        ("en", "Rights-impact assessment of surveillance programmes", "What happens to your data"),
        (
            "ru",
            "Оценка воздействия программ наблюдения на права человека",
            "Что происходит с вашими данными",
        ),
    ],
)
def test_landing_page_for_visitors(
    browser: Browser, language: str, heading: str, data: str
) -> None:
    response = browser.get("/", headers={"Accept-Language": language})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in html
    assert f"<h2>{data}</h2>" in html
    for link in ('href="/login"', 'href="/signup"', 'href="/verify"'):
        assert link in html
    assert "<script" not in html
    assert 'class="top"' in html  # the app's layout


def test_members_get_the_dashboard_at_the_same_address(
    browser: Browser, signup: Callable[..., Browser]
) -> None:
    signup(browser)
    html = browser.get("/").get_data(as_text=True)
    assert "<h1>Assessments</h1>" in html
    assert "What happens to your data" not in html
    browser.post("/logout", {}, page="/")
    assert "What happens to your data" in browser.get("/").get_data(as_text=True)
