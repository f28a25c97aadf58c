"""The review, share and download pages in Chromium with JavaScript off: the
review page's summary and grouped answers at a phone's width (390 px) without
sideways scrolling, the share page's link to copy, and the download leaving
"being prepared" for a page that says the report is ready; axe-core on each."""

from __future__ import annotations

import json

from flask import Flask
from playwright.sync_api import Page

from tests.browser import axe_violations_as

OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(e => !e.closest('.table-scroll'))
  .map(e => e.tagName + '.' + e.className).slice(0, 8)"""


def _demo(served_app: Flask, live_server: str, page: Page) -> str:
    """Signs in as the demo account; the URL of the demo assessment."""
    from assessment.demo import DEMO_EMAIL, DEMO_FILE, DEMO_PASSWORD

    served_app.test_cli_runner().invoke(args=["seed-demo"])
    assessment_id = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["assessment"]["uuid"]
    page.goto(f"{live_server}/login")
    page.fill("#email", DEMO_EMAIL)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    return f"{live_server}/assessments/{assessment_id}"


def _fits(page: Page, width: int = 390) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (page.url, scroll_width, page.evaluate(OVERFLOWING))


def test_review_page_summary_groups_and_phone_width(
    served_app: Flask, live_server: str, page: Page, axe_page: Page
) -> None:
    assessment = _demo(served_app, live_server, page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{assessment}/review")
    _fits(page)

    summary = page.locator(".review-summary")
    assert (
        summary.locator("#summary-level").inner_text() == page.locator("#impact-level").inner_text()
    )
    progress = summary.locator("#summary-progress").inner_text()
    assert "applicable questions answered" in progress
    assert "open comment thread" in summary.locator("#summary-open").inner_text()
    for link in summary.locator("ul.attention a").all():  # each leads to its section's answers
        target = link.get_attribute("href") or ""
        assert target.startswith("#review-")
        assert page.locator(f"[id='{target[1:]}']").count() == 1

    parts = page.locator("details.review-part")
    assert parts.count() >= 3, "the answers are grouped by the assessment's parts"
    assert (
        page.locator("details.review-part > details.review-section").count()
        == page.locator("details.review-section").count()
    ), "every section is inside its part"
    first = parts.first
    assert first.get_attribute("open") is not None
    first.locator(":scope > summary").click()  # collapsible without JavaScript
    assert first.get_attribute("open") is None
    assert page.locator(".answer-meta dt", has_text="Note").count() > 0
    assert page.locator(".answer-meta dt", has_text="Source").count() > 0

    regions = page.locator(".table-scroll")
    assert regions.count() >= 4, "the wide tables scroll inside their own regions"
    for region in regions.all():
        assert region.get_attribute("role") == "region"
        assert region.get_attribute("tabindex") == "0"
        label = region.get_attribute("aria-labelledby") or ""
        assert page.locator(f"[id='{label}']").inner_text().strip(), label
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    _fits(page)  # every group open, still no sideways scrolling

    axe_page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations_as(page, axe_page, f"{assessment}/review") == []
    axe_page.set_viewport_size({"width": 1280, "height": 900})
    assert axe_violations_as(page, axe_page, f"{assessment}/review") == []

    # submitting goes through the confirmation page, which changes nothing by itself
    page.goto(f"{assessment}/review")
    page.locator(".review-summary a", has_text="Submit for review").click()
    assert page.url == f"{assessment}/submit"
    assert page.locator("h1").inner_text() == "Submit for review"
    assert page.locator("main form button[type=submit]").count() == 1
    page.goto(f"{assessment}/review")
    assert page.locator("#status").inner_text() == "Draft"


def test_share_page_at_phone_width(
    served_app: Flask, live_server: str, page: Page, axe_page: Page
) -> None:
    assessment = _demo(served_app, live_server, page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{assessment}/shares")
    assert page.is_checked("#edition-public")
    page.fill("#label", "Audit office")
    page.click("main form.share-form button[type=submit]")
    field = page.locator("#share-url")
    assert field.get_attribute("readonly") is not None
    assert field.input_value().startswith(f"{live_server}/s/")
    assert page.locator("label[for=share-url]").is_visible()
    field.focus()
    page.keyboard.press("Control+A")  # the browser's own select-all in the field, no script
    selected = field.evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)")
    assert selected == field.input_value(), "the whole link is selected, ready to copy"
    assert "Never used" in page.locator("table.links").inner_text()
    _fits(page)
    axe_page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations_as(page, axe_page, f"{assessment}/shares") == []


def test_download_leaves_being_prepared_for_a_ready_page(
    served_app: Flask, live_server: str, page: Page, axe_page: Page
) -> None:
    assessment = _demo(served_app, live_server, page)
    page.goto(f"{assessment}/review")
    with page.expect_download(timeout=180_000) as download:
        page.click("text=Download the PDF report")
        assert "The report is being prepared" in page.content()  # then asks again until ready
    assert download.value.suggested_filename.endswith(".pdf")
    page.wait_for_load_state()
    assert page.url == f"{assessment}/report/ready"
    assert page.locator("h1").inner_text() == "The report is ready"
    assert "being prepared" not in page.content()
    # the page's only refresh is the download itself, which leaves the browser here
    refresh = page.locator("meta[http-equiv=refresh]").get_attribute("content")
    assert refresh == f"0; url=/assessments/{assessment.rsplit('/', 1)[1]}/report.pdf"
    assert axe_violations_as(page, axe_page) == []


def test_being_prepared_can_stop_reloading_itself(
    served_app: Flask, live_server: str, page: Page, axe_page: Page, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """While a report renders, the page reloads itself every few seconds (a
    meta refresh: JavaScript may be off).  axe-core reports that as
    ``meta-refresh`` (WCAG 2.2.1, failure F41) and nothing else; the page's
    first link after "check again" turns the reloading off, and that page has
    no violation at all."""
    import assessment.views.reports as report_views

    monkeypatch.setattr(report_views, "report_ready", lambda *args, **kwargs: False)
    assessment = _demo(served_app, live_server, page)
    page.goto(f"{assessment}/report/status")
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    violations = axe_violations_as(page, axe_page, status=202)
    assert [v.split(" ", 1)[0] for v in violations] == ["meta-refresh"], violations

    page.click("text=Stop checking automatically")
    assert page.url == f"{assessment}/report/status?auto=0"
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    assert page.locator("h1").inner_text() == "The report is being prepared"
    assert axe_violations_as(page, axe_page, status=202) == []
    page.click("text=Check again now")  # keeps the choice
    assert page.url == f"{assessment}/report/status?auto=0"
    page.click("text=Check automatically")
    assert page.locator("meta[http-equiv=refresh]").count() == 1
