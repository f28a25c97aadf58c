"""The section page in Chromium with JavaScript off: a focus ring on every
kind of control, Tab following the buttons as they are seen, the page at a
phone's width (390 px) without sideways scrolling, and axe-core on the page
with its error summary."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.browser import axe_violations, click_and_load

FOCUS_STYLE = (
    "e => { const s = getComputedStyle(e);"
    " return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }"
)


def _start(page: Page, live_server: str, email: str = "ana@example.org") -> str:
    """Sign up, start a camera assessment; returns the URL of its sections."""
    page.goto(f"{live_server}/signup")
    page.fill("#organisation", "Digital Rights Watch")
    page.fill("#name", "Ana")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery")
    page.click("main button[type=submit]")
    page.click("text=Start an assessment")
    page.fill("#title", "Moscow cameras")
    page.check("input[value=camera]")
    page.click("main button[type=submit]")
    return page.url.rsplit("/", 1)[0]


def _focused(page: Page) -> str:
    return page.locator(":focus").evaluate("e => e.outerHTML.slice(0, 120)")


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_focus_ring_and_tab_order(live_server: str, page: Page) -> None:
    sections = _start(page, live_server)
    page.goto(f"{sections}/description.scale")
    page.fill("[name='q-desc.people_affected']", "about a million")
    click_and_load(page, ".actions button[value=continue]")

    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.evaluate("e => e === document.activeElement"), "focus moves to the summary"
    link = summary.locator("a").first
    target = link.get_attribute("href")
    assert target == "#q-desc.people_affected"
    link.click()
    assert page.url.endswith(target)
    assert page.locator(f"[id='{target[1:]}']").is_visible()

    # The error box is red, distinct from the yellow of notices and flash messages.
    border = summary.evaluate("e => getComputedStyle(e).borderTopColor")
    assert border == "rgb(164, 0, 15)"

    controls = {
        "link": "main .error-summary a",
        "text input": "[name='q-desc.area']",
        "summary": "main details.meta summary",
        "button": ".actions button[value=continue]",
        "secondary button": ".actions button[value=exit]",
        "sidebar link": ".sidebar a",
    }
    for kind, selector in controls.items():
        control = page.locator(selector).first
        control.focus()
        page.keyboard.press("Shift+Tab")  # focus by keyboard, as :focus-visible requires
        page.keyboard.press("Tab")
        assert _focused(page) == control.evaluate("e => e.outerHTML.slice(0, 120)"), kind
        style, width, colour = control.evaluate(FOCUS_STYLE)
        assert style == "solid", (kind, style)
        assert width >= 2, (kind, width)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        light, dark = sorted((_luminance(colour), _luminance(background)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 3, (kind, colour, background)

    buttons = page.locator(".actions button")
    seen = sorted(
        range(buttons.count()),
        key=lambda i: (buttons.nth(i).bounding_box() or {"x": 0.0})["x"],
    )
    assert seen == list(range(buttons.count())), "the DOM order is the visual order"
    assert [buttons.nth(i).get_attribute("value") for i in seen] == ["back", "continue", "exit"]
    buttons.first.focus()
    for expected in ("continue", "exit"):
        page.keyboard.press("Tab")
        assert page.locator(":focus").get_attribute("value") == expected


def test_phone_width_collapses_sections_without_overflow(live_server: str, page: Page) -> None:
    sections = _start(page, live_server, "phone@example.org")
    for number in range(2):  # a dashboard table with rows
        page.goto(f"{live_server}/assessments/new")
        page.fill("#title", f"A programme with a rather long name, number {number}")
        page.check("input[value=location]")
        page.click("main button[type=submit]")
    page.goto(f"{sections}/camera.identification")
    sidebar_link = page.locator(".sidebar a").first
    assert sidebar_link.is_visible(), "wide screens show the section list"
    assert not page.locator(".section-list > summary").is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    toggle = page.locator(".section-list > summary")
    assert toggle.is_visible()
    assert not sidebar_link.is_visible(), "the list is closed behind its toggle"
    toggle.click()
    assert sidebar_link.is_visible()
    page.check("[name='q-cam.functions'][value=live_fr]")
    click_and_load(page, ".actions button[value=continue]")
    assert page.locator(".tag-new").count() > 0
    for path in (page.url, f"{live_server}/", f"{sections}/safeguards.plan"):
        page.goto(path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 390, (path, width)


def test_section_page_with_errors_passes_axe(live_server: str, axe_page: Page) -> None:
    sections = _start(axe_page, live_server, "axe@example.org")
    axe_page.goto(f"{sections}/camera.identification")
    axe_page.check("[name='q-cam.functions'][value=live_fr]")
    axe_page.fill("[name='q-cam.camera_count']", "lots")
    axe_page.click(".actions button[value=continue]")
    assert axe_page.locator(".error-summary").count() == 1
    assert axe_page.locator(".tag-new").count() > 0
    assert axe_violations(axe_page) == []
    axe_page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(axe_page) == []
    axe_page.goto(f"{live_server}/")
    assert axe_violations(axe_page) == []


def test_table_rows_fit_their_text_are_added_with_focus_and_removed(
    live_server: str, page: Page
) -> None:
    """JavaScript off: a row's text field is wide enough for a measure's
    words; "Add another row" comes back with the focus in the new row; a
    row's "Remove" button takes out that row only."""
    sections = _start(page, live_server)
    page.goto(f"{sections}/safeguards.plan")
    measure = page.locator("[name='q-safe.actions-0-measure']")
    measure.fill("Court order for every request")
    fits = measure.evaluate("e => [e.scrollWidth <= e.clientWidth, e.clientWidth]")
    assert fits[0], f"the text does not fit a {fits[1]} px field"
    page.select_option("[name='q-safe.actions-0-addresses']", "privacy")
    page.select_option("[name='q-safe.actions-0-status']", "planned")
    page.click("button[value='add-row:safe.actions']")
    assert page.url.endswith("?added=safe.actions#q-safe.actions-1-measure")
    assert page.locator(":focus").get_attribute("name") == "q-safe.actions-1-measure"
    page.locator(":focus").fill("Delete data after 14 days")
    page.select_option("[name='q-safe.actions-1-addresses']", "privacy")
    page.select_option("[name='q-safe.actions-1-status']", "implemented")
    page.click("button[value='remove-row:safe.actions:0']")
    assert page.url.endswith("#safe.actions")
    assert page.locator("[name='q-safe.actions-0-measure']").input_value() == (
        "Delete data after 14 days"
    )
    assert page.locator("text=Court order for every request").count() == 0


def test_new_wizard_controls_pass_axe(live_server: str, axe_page: Page) -> None:
    """The answers given at the start, the "And others not known" box and the
    rows' remove buttons, at full width and at 390 px."""
    sections = _start(axe_page, live_server, "axe-rows@example.org")
    for language in ("en", "ru"):
        if language == "ru":  # the interface in Russian, the assessment still in English
            axe_page.click("header button[name=language][value=ru]")
            assert axe_page.locator("html").get_attribute("lang") == "ru"
        for section in ("scoping.programme", "camera.identification", "safeguards.plan"):
            where = (language, section)
            axe_page.set_viewport_size({"width": 1280, "height": 900})
            axe_page.goto(f"{sections}/{section}")
            assert axe_page.locator(".given, .others-not-known, .remove-row").count() > 0, where
            assert axe_violations(axe_page) == [], where
            axe_page.set_viewport_size({"width": 390, "height": 844})
            assert axe_violations(axe_page) == [], where
            width = axe_page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 390, (where, width)
