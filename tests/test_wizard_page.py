"""What a person meets on a section page, through the test client: the error
summary, the sidebar grouped into the assessment's parts, and the questions an
answer has just brought up marked as new."""

from __future__ import annotations

import re

import pytest
from flask import Flask, render_template_string

from assessment.engine.bank import QuestionType
from assessment.forms import field_name, make_section_form
from assessment.i18n import text_lang
from tests.helpers import BANK


def _section_url(assessment_id: str, section_id: str) -> str:
    return f"/assessments/{assessment_id}/sections/{section_id}"


def _error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary"[^>]*>.*?</div>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def _sidebar(html: str) -> str:
    match = re.search(r'<nav class="sidebar".*?</nav>', html, re.S)
    assert match
    return match.group(0)


def _parts(sidebar: str) -> dict[str, str]:
    """Part title -> the HTML of its list of sections."""
    return dict(
        re.findall(r'<h2 class="part-title"[^>]*>([^<]+)</h2>\s*<ol>(.*?)</ol>', sidebar, re.S)
    )


def test_errors_are_summarised_first_with_links_to_their_fields(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "description.scale")
    clean = browser.get(url).get_data(as_text=True)
    assert "error-summary" not in clean

    response = browser.post(
        url, {field_name("desc.people_affected"): "about a million", "action": "continue"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = _error_summary(html)
    opening = summary.split(">", 1)[0]
    assert 'role="alert"' in opening
    assert 'tabindex="-1"' in opening
    assert "There is a problem" in summary
    assert "Some answers need attention; the others were saved." in summary
    main = html.split('<main id="main">', 1)[1]
    assert main.index("error-summary") < main.index("<h1"), "the summary comes first"
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', summary, re.S)
    assert len(links) == 1
    target, text = links[0]
    assert target == field_name("desc.people_affected")
    assert re.search(rf'<input[^>]*\sid="{re.escape(target)}"', html), "the link leads to the input"
    assert "Enter a number" in text
    assert 'class="notice"' not in main, "the error is not also shown as a yellow notice"


def test_error_summary_links_a_table_error_to_its_first_cell(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = _section_url(assessment_id, "safeguards.plan")
    browser.get(url)
    response = browser.post(
        url, {"q-safe.actions-0-measure": "Court order for every request", "action": "continue"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    links = re.findall(r'<a href="#([^"]+)">', _error_summary(html))
    assert links
    for target in links:
        assert re.search(rf'<(input|select|textarea)[^>]*\sid="{re.escape(target)}"', html), target


def test_sidebar_groups_sections_into_parts_with_answered_of_applicable(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    html = browser.get(_section_url(assessment_id, "camera.identification")).get_data(as_text=True)
    sidebar = _sidebar(html)
    parts = _parts(sidebar)
    assert list(parts) == [
        "Scoping",
        "Systematic description",
        "The limitation test",
        "Camera network",
        "Rights and people",
        "Safeguards and action plan",
    ]
    assert "/sections/camera.identification" in parts["Camera network"]
    assert "/sections/camera.identification" not in parts["Scoping"]
    assert "/sections/scoping.programme" in parts["Scoping"]
    assert "Phone location tracking" not in sidebar, "a module not chosen is not a part"
    assert "✓" not in sidebar, "no tick suggesting a section is finished"
    counts = re.findall(r'<span class="count">(\d+) of (\d+) answered</span>', sidebar)
    assert len(counts) == sidebar.count("/sections/")
    assert all(int(answered) <= int(total) for answered, total in counts)
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', sidebar)
    assert current == [f"/assessments/{assessment_id}/sections/camera.identification"]
    assert sidebar.count('aria-current="page"') == 1

    review = _sidebar(browser.get(f"/assessments/{assessment_id}/review").get_data(as_text=True))
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', review) == [
        f"/assessments/{assessment_id}/review"
    ]


def test_sidebar_counts_every_applicable_question_not_only_required_ones(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "description.scale")
    browser.get(url)
    browser.post(url, {field_name("desc.area"): "City of Moscow", "action": "continue"})
    sidebar = _sidebar(browser.get(url).get_data(as_text=True))
    match = re.search(
        r"/sections/description\.scale\"[^>]*>[^<]*</a></span>\s*"
        r'<span class="count">(\d+) of (\d+) answered</span>',
        sidebar,
    )
    assert match, sidebar
    answered, total = int(match.group(1)), int(match.group(2))
    assert answered == 1
    assert total > 1


def test_questions_brought_up_by_an_answer_are_marked_new(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "camera.identification")
    assert "tag-new" not in browser.get(url).get_data(as_text=True)

    response = browser.post(url, {field_name("cam.functions"): "live_fr", "action": "continue"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    blocks = dict(
        re.findall(r'<div class="question[^"]*" id="([^"]+)">(.*?)</(?:legend|label)>', html, re.S)
    )
    tag = '<strong class="tag-new">New</strong>'
    marked = {qid for qid, block in blocks.items() if tag in block}
    assert "cam.watchlist" in marked
    assert "cam.functions" not in marked, "the question answered is not new"
    assert "cam.camera_count" not in marked, "questions shown before are not new"

    again = browser.get(url).get_data(as_text=True)
    assert "tag-new" not in again, "new only until the next visit"


# What the section page wrote with WTForms' widgets before templates/wizard/_controls.html
# wrote these controls itself: the two must give the same markup.
WIDGETS = (
    "{% for option in f.value %}<li>{{ option() }} {{ option.label(**bank_lang) }}</li>{% endfor %}"
    "|{{ f.note() }}|{{ f.source() }}"
    "|{% for option in f.confidence %}<li>{{ option() }} {{ option.label() }}</li>{% endfor %}"
    "|{{ f.confidential() }}"
)
CONTROLS = (
    '{% import "wizard/_controls.html" as controls %}'
    "{{ controls.radio_items(f.value, label_lang) }}|{{ controls.meta(f) }}"
)


def _controls_of(meta: str) -> list[str]:
    """The note, source, confidence items and confidential box of a rendered meta block."""
    found = [
        re.search(r"<textarea.*?</textarea>", meta, re.S),
        re.search(r'<input id="[^"]*-source"[^>]*>', meta),
        re.search(r'<ul class="choices inline-choices">(.*?)</ul>', meta, re.S),
        re.search(r'<input[^>]*type="checkbox"[^>]*>', meta),
    ]
    assert all(found), meta
    return [m.group(m.re.groups) for m in found if m]


def _checked(items: str) -> str:
    (value,) = re.findall(r'<input checked [^>]*value="([^"]*)"', items)
    return value


@pytest.mark.parametrize("posted", [False, True])
def test_hand_written_controls_match_wtforms_widgets(app: Flask, posted: bool) -> None:
    """Radio options (in the assessment's language) and the note, source,
    confidence and confidential controls, empty and holding text with quotes and
    markup, checked and not, are written as WTForms would write them."""
    question = next(q for q in BANK.questions if q.type is QuestionType.SINGLE_CHOICE)
    name = field_name(question.id)
    form_class = make_section_form([question], "ru")
    values = {
        name: question.options[1].value,
        f"{name}-note": 'Said "no" <b>twice</b> & left',
        f"{name}-source": "O'Brien <i>report</i>",
        f"{name}-confidence": "reported",
        f"{name}-confidential": "y",
    }
    with app.test_request_context("/", method="POST", data=values if posted else {}):
        form = form_class() if posted else form_class(formdata=None)
        fields = form.question_fields(question)
        wtforms = render_template_string(WIDGETS, f=fields, bank_lang={"lang": "ru"}).split("|")
        options, meta = render_template_string(
            CONTROLS, f=fields, label_lang=text_lang("ru")
        ).split("|")
    assert options == wtforms[0]
    assert _controls_of(meta) == wtforms[1:]
    assert ("checked" in wtforms[4]) is posted
    assert _checked(wtforms[3]) == ("reported" if posted else "")  # "" is "Not stated"
    assert ("checked" in options) is posted
