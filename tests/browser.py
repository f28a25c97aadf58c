"""What the browser tests share: Debian's Chromium driven by Playwright, the
app served on a local port as in production (reports rendered by a worker
process, downloads not waiting for them), pages with JavaScript off for the
people who act and with it on for axe-core only.

The fixtures are registered in tests/conftest.py."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

from assessment.config import Config
from tests.html_text import FormReader

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def served_app(config: Config) -> Iterator[Flask]:
    """The app the browser talks to. Reports render in a worker process and
    downloads do not wait for them: the browser gets the "being prepared"
    page and must follow its refresh."""
    from assessment.web import create_app

    application = create_app(config.with_overrides(report_workers=1, report_wait_seconds=0))
    yield application
    application.extensions["assessment"]["renderer"].shutdown()
    application.extensions["assessment"]["engine"].dispose()


@contextmanager
def serving(application: Flask) -> Iterator[str]:
    """``application`` served on a free local port: its base URL."""
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_server(served_app: Flask) -> Iterator[str]:
    """The base URL of ``served_app`` on a free local port."""
    with serving(served_app) as base:
        yield base


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium missing: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def js_off_context(chromium: Browser) -> BrowserContext:
    """A browser profile of its own with JavaScript off, as in Tor Browser's
    safest mode; downloads accepted."""
    return chromium.new_context(java_script_enabled=False, accept_downloads=True)


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = js_off_context(chromium)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe_page(chromium: Browser) -> Iterator[Page]:
    """A page with JavaScript on, for axe-core only: the app's pages have no
    scripts of their own, so the DOM axe checks is the one users get without."""
    context = chromium.new_context(java_script_enabled=True)
    yield context.new_page()
    context.close()


def axe_violations(page: Page, skip: Sequence[str] = ()) -> list[str]:
    """axe-core's violations on the page, every ``<details>`` opened first so
    that what it hides is checked too; the rules named in ``skip`` are not run
    (one already run on the same page, e.g. in the other language)."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    options = {"resultTypes": ["violations"], "rules": {rule: {"enabled": False} for rule in skip}}
    results = Axe().run(page, options=options).response
    assert len(results["passes"]) > 10, "axe-core did not run its checks"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
    ]


def axe_violations_as(
    person: Page, axe_page: Page, url: str | None = None, status: int = 200
) -> list[str]:
    """axe-core's violations on the page ``person`` is on (or on ``url``), seen
    as they see it: ``axe_page`` takes their cookies (their session) and opens
    the same URL, which must answer ``status``."""
    axe_page.context.clear_cookies()
    axe_page.context.add_cookies(person.context.cookies())  # type: ignore[arg-type]  # same shape
    response = axe_page.goto(url or person.url)
    assert response is not None
    assert response.status == status, (url or person.url, response.status)
    return axe_violations(axe_page)


PHONE = {"width": 390, "height": 844}  # a phone held upright, in CSS pixels


def horizontal_overflow(page: Page) -> int:
    """By how many CSS pixels the page is wider than its viewport (0: it
    fits, nothing to scroll sideways).  Needs JavaScript on, as ``axe_page``."""
    return int(
        page.evaluate(
            "Math.max(0, document.scrollingElement.scrollWidth"
            " - document.scrollingElement.clientWidth)"
        )
    )


def click_and_load(page: Page, selector: str) -> None:
    """Click what ``selector`` finds (a submit button or a link) and return
    once the page it leads to has loaded: Playwright's own click returns as
    soon as the navigation starts, and reading the page then can see half of
    it."""
    with page.expect_navigation():
        page.click(selector)


@dataclass(frozen=True)
class SectionPage:
    """What a section page shows, read once from its HTML as a browser would
    send its forms: the section, the ids of the questions on it and the names
    of the fields that already hold a value."""

    section_id: str
    shown: frozenset[str]
    answered: frozenset[str]


def read_section_page(page: Page) -> SectionPage:
    html = page.content()
    reader = FormReader()
    reader.feed(html)
    return SectionPage(
        section_id=page.url.split("#")[0].rsplit("/", 1)[1],
        shown=frozenset(re.findall(r'<div class="question[^"]*" id="([^"]+)"', html)),
        answered=frozenset(n for form in reader.forms for n, value in form if value.strip()),
    )


def switch_language(page: Page, language: str) -> None:
    """Show the page ``page`` is on in ``language`` with the header's switcher
    (a form: it works with JavaScript off and returns to the same page); for a
    signed-in person this changes their account's language."""
    if page.locator("html").get_attribute("lang") != language:
        with page.expect_navigation():  # the page shown again, styles loaded
            page.click(f"header button[name=language][value={language}]")
    assert page.locator("html").get_attribute("lang") == language, page.url
