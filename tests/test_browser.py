"""The wizard in real Chromium with JavaScript turned off, as in Tor Browser's
safest mode: everything must work with plain forms and links."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page

from tests.browser import axe_violations, click_and_load


def test_wizard_works_without_javascript(live_server: str, page: Page, tmp_path: Path) -> None:
    page.goto(f"{live_server}/signup")
    page.fill("#organisation", "Digital Rights Watch")
    page.fill("#name", "Ana")
    page.fill("#email", "ana@example.org")
    page.fill("#password", "correct horse battery")
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text() == "Assessments"

    page.click("text=Start an assessment")
    page.fill("#title", "Moscow cameras")
    page.check("input[value=camera]")
    page.click("main button[type=submit]")
    assert "The programme and your position" in page.locator("h1").inner_text()
    page.fill("[name='q-scope.operator']", "Moscow police")
    page.press("[name='q-scope.operator']", "Enter")  # Enter means "Save & continue"
    assert "Legal and emergency context" in page.locator("h1").inner_text()

    page.goto(page.url.rsplit("/", 1)[0] + "/camera.identification")
    assert page.locator("[name='q-cam.watchlist']").count() == 0
    page.check("[name='q-cam.functions'][value=live_fr]")
    click_and_load(page, ".actions button[value=continue]")
    assert "further questions" in page.content()
    assert page.locator("[name='q-cam.watchlist']").count() == 4
    page.fill("[name='q-cam.camera_count']", "lots")
    click_and_load(page, ".actions button[value=continue]")
    assert "Enter a number" in page.content()
    assert page.input_value("[name='q-cam.camera_count']") == "lots"
    page.screenshot(path=str(tmp_path / "section.png"), full_page=True)

    page.goto(page.url.rsplit("/", 1)[0] + "/safeguards.plan")
    page.fill("[name='q-safe.actions-0-measure']", "Judge authorises each search")
    page.select_option("[name='q-safe.actions-0-addresses']", "privacy")
    page.select_option("[name='q-safe.actions-0-status']", "planned")
    page.press("[name='q-safe.actions-0-measure']", "Enter")  # saves and continues, adds no row
    assert page.url.endswith("/review")
    assert "Judge authorises each search" in page.content()

    with page.expect_navigation():
        page.click("text=Review and submit")
    assert "Not answered - required" in page.content()
    assert page.locator("text=Moscow police").count() == 1
    with page.expect_download(timeout=120_000) as download:
        page.click("text=Download the PDF report")
        assert "The report is being prepared" in page.content()  # then reloads itself
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_result_pages_pass_axe(served_app: Flask, live_server: str, axe_page: Page) -> None:
    """The review page with its result and the dashboard with its filters
    (also showing a refused filter) have no axe-core violations."""
    from assessment.demo import DEMO_EMAIL, DEMO_FILE, DEMO_PASSWORD

    served_app.test_cli_runner().invoke(args=["seed-demo"])
    assessment_id = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["assessment"]["uuid"]
    page = axe_page
    page.goto(f"{live_server}/login")
    page.fill("#email", DEMO_EMAIL)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    for path in (
        "/",
        "/?q=moscow&status=draft&level=4&recommendation=suspend&type=camera",
        "/?q=nothing+like+this",
        "/?level=9",
        f"/assessments/{assessment_id}/review",
        f"/assessments/{assessment_id}/submit",  # a confirmation page
        f"/assessments/{assessment_id}/approve",  # 409: a draft is not in review
    ):
        page.goto(f"{live_server}{path}")
        assert axe_violations(page) == [], path


def test_language_switcher_without_javascript(live_server: str, page: Page) -> None:
    """The switcher is a plain form: with JavaScript off, pressing "Русский"
    shows the same page in Russian, and the account made next keeps it."""
    page.goto(f"{live_server}/signup")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("header button[name=language][value=ru]")
    assert page.url == f"{live_server}/signup"
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == "Создайте рабочее пространство организации"
    page.fill("#organisation", "Правозащитный центр")
    page.fill("#name", "Анна")
    page.fill("#email", "anna@example.org")
    page.fill("#password", "correct horse battery")
    page.click("main button[type=submit]")
    assert page.locator("h1").inner_text() == "Оценки"
    page.click("text=Начать оценку")
    assert page.locator("select#language").input_value() == "ru"


def test_russian_pages_pass_axe(live_server: str, axe_page: Page) -> None:
    """Pages in Russian, the switcher on each, have no axe-core violations;
    the switcher's button has a visible focus ring."""
    page = axe_page
    page.goto(f"{live_server}/login")
    button = page.locator("header button[name=language][value=ru]")
    for _ in range(10):  # reach it with the keyboard, as :focus-visible needs
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    outline = button.evaluate("b => getComputedStyle(b).outlineWidth")
    assert float(outline.removesuffix("px")) >= 2
    button.click()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert axe_violations(page) == [], "/login"
    page.goto(f"{live_server}/signup")
    page.fill("#organisation", "Правозащитный центр")
    page.fill("#name", "Анна")
    page.fill("#email", "anna@example.org")
    page.fill("#password", "correct horse battery")
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/assessments/new")
    assert axe_violations(page) == [], "/assessments/new"
    page.fill("#title", "Камеры")
    page.check("input[value=camera]")
    page.click("main button[type=submit]")
    section = page.url
    assert page.locator("html").get_attribute("lang") == "ru"
    assert axe_violations(page) == [], section
    for path in ("/", "/verify", section.rsplit("/sections/", 1)[0] + "/review"):
        page.goto(path if path.startswith("http") else f"{live_server}{path}")
        assert axe_violations(page) == [], path


def test_landing_and_error_pages_pass_axe(live_server: str, axe_page: Page) -> None:
    """The landing page and a 404 page, in both languages, have no axe-core
    violations; the landing page's entries lead to signing in and up."""
    page = axe_page
    for language in ("en", "ru"):
        if language == "ru":
            page.click("header button[name=language][value=ru]")
        response = page.goto(f"{live_server}/")
        assert response is not None
        assert response.status == 200
        assert page.locator("html").get_attribute("lang") == language
        assert axe_violations(page) == [], ("/", language)
        response = page.goto(f"{live_server}/no-such-page")
        assert response is not None
        assert response.status == 404
        assert axe_violations(page) == [], ("/no-such-page", language)
    page.goto(f"{live_server}/")
    page.click("main a[href='/signup']")
    assert page.url == f"{live_server}/signup"
