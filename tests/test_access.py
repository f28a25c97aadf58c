"""Organisation isolation on every route, and CSRF on every form."""

from __future__ import annotations

import re

import pytest
from flask import Flask


def _assessment_routes(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "assessment_id" not in rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, rule.rule, method))
    return routes


def test_the_route_list_is_derived_and_not_empty(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _assessment_routes(app)}
    assert {
        "wizard.section",
        "wizard.review",
        "wizard.submit_assessment",
        "reports.pdf",
        "reports.export",
    } <= endpoints


def test_other_organisation_gets_404_on_every_assessment_route(
    app, make_browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    owner = signup(make_browser(), "owner@example.org", "Owner Org")
    assessment_id = start_assessment(owner, ["camera"])
    intruder = signup(make_browser(), "intruder@example.org", "Other Org")
    intruder.get("/")
    token = intruder.token()
    checked = 0
    for endpoint, rule, method in _assessment_routes(app):
        url = re.sub(r"<(?:[a-z]+:)?assessment_id>", assessment_id, rule)
        url = re.sub(r"<(?:[a-z]+:)?section_id>", "scoping.programme", url)
        url = re.sub(r"<int:link_id>", "1", url)
        if method == "GET":
            response = intruder.get(url)
        else:
            response = intruder.client.post(url, data={"csrf_token": token})
        assert response.status_code == 404, f"{method} {endpoint} gave {response.status_code}"
        checked += 1
    # The owner reaches the same routes (so the 404s are about ownership).
    assert owner.get(f"/assessments/{assessment_id}/review").status_code == 200
    assert checked >= 6


def test_anonymous_users_are_sent_to_sign_in(browser) -> None:  # type: ignore[no-untyped-def]
    response = browser.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/login", "/signup", "/logout", "/assessments/new", "/verify"])
def test_post_without_csrf_token_is_refused(browser, signup, path: str) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    response = browser.client.post(
        path, data={"title": "x", "email": "a@b.cd", "password": "x" * 12}
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_wizard_post_without_csrf_token_saves_nothing(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = f"/assessments/{assessment_id}/sections/scoping.programme"
    response = browser.client.post(url, data={"q-scope.operator": "Forged"})
    assert response.status_code == 400
    assert "Forged" not in browser.get(url).get_data(as_text=True)


def test_open_redirect_after_login_is_refused(browser, signup) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    browser.post("/logout", {}, page="/")
    response = browser.post(
        "/login?next=//evil.example/x",
        {"email": "ana@example.org", "password": "correct horse battery"},
        page="/login",
    )
    assert response.headers["Location"] == "/"
