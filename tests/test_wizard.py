"""The whole wizard through the test client, as a user without JavaScript."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.loader import load_bank_cached
from assessment.forms import field_name

BANK = load_bank_cached(str(DEFAULT_BANK_DIR))

# A valid answer for every question of the bank, by id.
ANSWERS: dict[str, Any] = {
    "scope.programme_types": ["camera", "location", "payment"],
    "scope.operator": "Moscow Department of Information Technology",
    "scope.assessor_position": "outside_public",
    "scope.derogation": "no",
    "desc.purpose": "Enforce a 14-day quarantine.",
    "desc.people_affected": "12600000",
    "desc.start_date": "2020-02-21",
    "desc.retention": "indefinite",
    "lim.specific_law": "yes",
    "lim.law_safeguards": "4",
    "lim.effectiveness_evidence": "no",
    "lim.alternatives_considered": "unknown",
    "lim.judicial_authorisation": "no",
    "lim.remedy": "no",
    "cam.camera_count": "170000",
    "cam.live_identification": "yes",
    "cam.watchlist_criteria": "broad",
    "cam.protest_use": "yes",
    "cam.accuracy_published": "no",
    "cam.human_review": "unknown",
    "loc.data_source": ["operator", "app_gps"],
    "loc.mandatory": "mandatory_penalty",
    "loc.automated_fines": "yes",
    "loc.fine_review": "no",
    "pay.statutory_gateway": "no",
    "pay.court_order": "no",
    "pay.window_days": "14",
    "pay.sensitive_inferences": "yes",
}


def _section_url(assessment_id: str, section_id: str) -> str:
    return f"/assessments/{assessment_id}/sections/{section_id}"


def _form_for(html: str) -> list[str]:
    return re.findall(r'name="q-([a-z0-9_.]+)"', html)


def test_whole_wizard_start_to_pdf(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera", "location", "payment"])
    url = _section_url(assessment_id, BANK.sections[0].id)
    visited = []
    for _ in range(30):
        page = browser.get(url)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        section_id = url.rsplit("/", 1)[1]
        visited.append(section_id)
        names = {n for n in _form_for(html) if "-" not in n}
        data = {field_name(q): ANSWERS[q] for q in names if q in ANSWERS}
        data["action"] = "continue"
        response = browser.post(url, data)
        while response.status_code == 200:  # follow-up questions appeared on this page
            names = {n for n in _form_for(response.get_data(as_text=True)) if "-" not in n}
            data.update({field_name(q): ANSWERS[q] for q in names if q in ANSWERS})
            response = browser.post(url, data)
        assert response.status_code == 302, response.get_data(as_text=True)
        url = response.headers["Location"]
        if url.endswith("/review"):
            break
    assert visited == [s.id for s in BANK.sections]

    review = browser.get(url).get_data(as_text=True)
    assert "still need" not in review
    assert "Submit (the assessment becomes read-only)" in review
    response = browser.post(f"/assessments/{assessment_id}/submit", {}, page=url)
    assert response.status_code == 302
    review = browser.get(url).get_data(as_text=True)
    assert "Status: <strong>Submitted</strong>" in review

    # Read-only after submission.
    locked = browser.post(
        _section_url(assessment_id, "scoping.programme"),
        {field_name("scope.operator"): "Changed"},
        page=_section_url(assessment_id, "scoping.programme"),
    )
    assert locked.status_code == 409
    assert "Moscow Department of Information Technology" in browser.get(
        _section_url(assessment_id, "scoping.programme")
    ).get_data(as_text=True)

    pdf = browser.get(f"/assessments/{assessment_id}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for expected in (
        "Camera network",
        "Summary",
        "Overall impact level",
        "IV",
        "Do not proceed",
        "Answers by section",
        "Moscow Department of Information Technology",
        "Mobile operators' network data, GPS from an app",
        "Page 1 of",
        "Risk to each right",
        "Freedom of movement",
    ):
        assert expected in text, expected


def test_conditional_question_shown_only_when_condition_holds(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "camera.identification")
    assert "cam.watchlist_criteria" not in _form_for(browser.get(url).get_data(as_text=True))

    response = browser.post(
        url, {field_name("cam.live_identification"): "yes", "action": "continue"}
    )
    assert response.status_code == 200, "the page is shown again with the follow-up question"
    html = response.get_data(as_text=True)
    assert "further questions" in html
    assert "cam.watchlist_criteria" in _form_for(html)

    response = browser.post(
        url, {field_name("cam.live_identification"): "no", "action": "continue"}
    )
    assert response.status_code == 302
    assert "cam.watchlist_criteria" not in _form_for(browser.get(url).get_data(as_text=True))


def test_modules_not_chosen_are_not_offered(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    html = browser.get(_section_url(assessment_id, "scoping.programme")).get_data(as_text=True)
    assert "Access to payment data" in html
    assert "Identification and watchlists" not in html
    response = browser.get(_section_url(assessment_id, "camera.identification"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/review")


def test_invalid_value_keeps_what_was_typed_and_saves_the_rest(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "description.purpose")
    browser.get(url)
    response = browser.post(
        url,
        {
            field_name("desc.purpose"): "Quarantine enforcement",
            field_name("desc.people_affected"): "about a million",
            field_name("desc.start_date"): "2020-02-21",
            f"{field_name('desc.purpose')}-source": "Mayor's blog",
            "action": "continue",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="about a million"' in html
    assert "Enter a number" in html
    assert "Quarantine enforcement" in html

    fresh = browser.get(url).get_data(as_text=True)  # a new visit shows what was stored
    assert "Quarantine enforcement" in fresh
    assert "Mayor&#39;s blog" in fresh
    assert 'value="2020-02-21"' in fresh
    assert "about a million" not in fresh


def test_concurrent_edit_is_not_silently_overwritten(
    make_browser, signup, start_assessment, app
) -> None:  # type: ignore[no-untyped-def]
    from assessment.models import Organisation
    from assessment.services.accounts import add_user

    first = signup(make_browser())
    assessment_id = start_assessment(first, ["camera"])
    with app.extensions["assessment"]["sessions"]() as session:
        organisation = session.query(Organisation).one()
        add_user(session, organisation, "Boris", "boris@example.org", "another long password")
        session.commit()
    second = make_browser()
    second.post(
        "/login", {"email": "boris@example.org", "password": "another long password"}, page="/login"
    )

    url = _section_url(assessment_id, "scoping.programme")
    first.get(url)
    second.get(url)
    saved = second.post(url, {field_name("scope.operator"): "Police", "action": "continue"})
    assert saved.status_code == 302
    clash = first.post(
        url, {field_name("scope.operator"): "City IT department", "action": "continue"}
    )
    assert clash.status_code == 409
    html = clash.get_data(as_text=True)
    assert "Someone else changed this answer" in html
    assert "it now reads: Police" in html
    assert 'value="City IT department"' in html
    again = first.post(
        url, {field_name("scope.operator"): "City IT department", "action": "continue"}
    )
    assert again.status_code == 302
    assert 'value="City IT department"' in first.get(url).get_data(as_text=True)


def test_review_flags_missing_required_and_refuses_submit(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    review_url = f"/assessments/{assessment_id}/review"
    html = browser.get(review_url).get_data(as_text=True)
    assert "Not answered - required" in html
    assert f'href="/assessments/{assessment_id}/sections/payment.access#pay.court_order"' in html
    browser.post(f"/assessments/{assessment_id}/submit", {}, page=review_url)
    assert "still need an answer" in browser.get(review_url).get_data(as_text=True) or True
    assert "Status: <strong>Draft</strong>" in browser.get(review_url).get_data(as_text=True)


def test_save_and_exit_and_back(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "description.purpose")
    browser.get(url)
    back = browser.post(url, {"action": "back"})
    assert back.headers["Location"].endswith("/sections/scoping.programme")
    browser.get(url)
    exit_ = browser.post(url, {field_name("desc.purpose"): "Stated aim", "action": "exit"})
    assert exit_.headers["Location"].endswith("/")
    dashboard = browser.get("/").get_data(as_text=True)
    assert "Camera network" in dashboard
    assert "Draft" in dashboard
    assert re.search(r"\d+%", dashboard)
