"""The whole wizard through the test client, as a user without JavaScript."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader
from sqlalchemy import update
from sqlalchemy.orm import Session

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.bank import RESERVED_OPTION_VALUES, Question, QuestionType
from assessment.engine.document import load_document
from assessment.engine.loader import load_bank_cached
from assessment.engine.scoring import score
from assessment.forms import field_name
from assessment.models import Assessment

BANK = load_bank_cached(str(DEFAULT_BANK_DIR))

PROGRAMME_TYPES = ["camera", "location", "payment"]


def valid_form_data(question: Question) -> dict[str, Any]:
    """What a person could type or tick for ``question``, as form fields."""
    name = field_name(question.id)
    known = [o.value for o in question.options if o.value not in RESERVED_OPTION_VALUES]
    if question.id == "scope.programme_types":
        return {name: PROGRAMME_TYPES}
    if question.type is QuestionType.GROUP:
        row = {}
        for column in question.fields:
            column_values = [o.value for o in column.options if o.value != "unknown"]
            row[column.id] = (
                column_values[-1]
                if column_values
                else "2020-05-01"
                if column.type is QuestionType.DATE
                else f"{column.id} one"
            )
        return {f"{name}-0-{key}": value for key, value in row.items()}
    by_type: dict[QuestionType, Any] = {
        QuestionType.SINGLE_CHOICE: known[:1],
        QuestionType.MULTIPLE_CHOICE: known[:3],
        QuestionType.YES_NO_UNKNOWN: "no",
        QuestionType.SCALE4: "2",
        QuestionType.SHORT_TEXT: f"Short answer to {question.id}",
        QuestionType.LONG_TEXT: f"Long answer to {question.id}",
        QuestionType.NUMBER: "14" if question.maximum is not None else "12 600 000",
        QuestionType.DATE: "2020-03-30",
    }
    value = by_type[question.type]
    return {name: value[0] if question.type is QuestionType.SINGLE_CHOICE else value}


def _section_url(assessment_id: str, section_id: str) -> str:
    return f"/assessments/{assessment_id}/sections/{section_id}"


def _form_for(html: str) -> list[str]:
    return sorted(set(re.findall(r'name="q-([a-z0-9_.]+)[-"]', html)))


def test_whole_wizard_start_to_pdf(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    """Walks every section of the full bank with generic answers by type: no
    code per question."""
    signup(browser)
    assessment_id = start_assessment(browser, PROGRAMME_TYPES)
    url = _section_url(assessment_id, BANK.sections[0].id)
    visited = []
    for _ in range(60):
        page = browser.get(url)
        assert page.status_code == 200
        section_id = url.rsplit("/", 1)[1]
        visited.append(section_id)
        data: dict[str, Any] = {"action": "continue"}
        response = None
        for _round in range(4):  # follow-up questions may appear on the same page
            names = set(_form_for(browser.last_html))
            for question_id in names:
                data.update(valid_form_data(BANK.question(question_id)))
            response = browser.post(url, data)
            if response.status_code != 200:
                break
        assert response is not None
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        url = response.headers["Location"]
        if url.endswith("/review"):
            break
    assert visited == [s.id for s in BANK.sections]

    review = browser.get(url).get_data(as_text=True)
    assert "still need" not in review
    assert f'href="/assessments/{assessment_id}/submit">Submit for review</a>' in review
    exported = load_document(browser.get(f"/assessments/{assessment_id}/export.json").data, BANK)
    assert len(exported.answers) > 130
    actions = exported.answers_by_question()["safe.actions"].value
    assert actions == [
        {
            "measure": "measure one",
            "addresses": "health",
            "owner": "owner one",
            "due": "2020-05-01",
            "status": "implemented",
        }
    ]
    expected = score(BANK, exported.answer_values(), exported.confidences())

    submit = f"/assessments/{assessment_id}/submit"
    response = browser.post(submit, {}, page=submit)  # confirmed on a page of its own
    assert response.status_code == 302
    review = browser.get(url).get_data(as_text=True)
    assert "Status: <strong>In review</strong>" in review

    # Read-only after submission.
    scoping = _section_url(assessment_id, "scoping.programme")
    locked = browser.post(scoping, {field_name("scope.operator"): "Changed"}, page=scoping)
    assert locked.status_code == 409
    assert "Short answer to scope.operator" in browser.get(scoping).get_data(as_text=True)

    pdf = browser.get(f"/assessments/{assessment_id}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages).split()
    )
    for wanted in (
        "Camera network",
        "Executive summary",
        "Overall impact level",
        expected.recommendation_label,
        "The limitation test",
        "Appendix A. Every answer",
        "Short answer to scope.operator",
        "Camera network (recording, number plates or face recognition), Phone location tracking",
        "Page 1 of",
        "Impact on each right",
        "Freedom of movement",
        "Recommendations",
    ):
        assert wanted in text, wanted


def test_conditional_question_shown_only_when_condition_holds(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "camera.identification")
    assert "cam.watchlist" not in _form_for(browser.get(url).get_data(as_text=True))

    response = browser.post(url, {field_name("cam.functions"): "live_fr", "action": "continue"})
    assert response.status_code == 200, "the page is shown again with the follow-up question"
    html = response.get_data(as_text=True)
    assert "further questions" in html
    assert "cam.watchlist" in _form_for(html)

    response = browser.post(
        url, {field_name("cam.functions"): "verification_fr", "action": "continue"}
    )
    assert response.status_code == 302
    assert "cam.watchlist" not in _form_for(browser.get(url).get_data(as_text=True))


def test_modules_not_chosen_are_not_offered(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    html = browser.get(_section_url(assessment_id, "scoping.programme")).get_data(as_text=True)
    assert "Legal gateway and authorisation" in html
    assert "Identification and watchlists" not in html
    response = browser.get(_section_url(assessment_id, "camera.identification"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/review")


def test_invalid_value_keeps_what_was_typed_and_saves_the_rest(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "description.scale")
    browser.get(url)
    response = browser.post(
        url,
        {
            field_name("desc.area"): "City of Moscow",
            field_name("desc.people_affected"): "about a million",
            field_name("desc.start_date"): "2020-02-21",
            f"{field_name('desc.area')}-source": "Mayor's blog",
            "action": "continue",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="about a million"' in html
    assert "Enter a number" in html
    assert "City of Moscow" in html

    fresh = browser.get(url).get_data(as_text=True)  # a new visit shows what was stored
    assert "City of Moscow" in fresh
    assert "Mayor&#39;s blog" in fresh
    assert 'value="2020-02-21"' in fresh
    assert "about a million" not in fresh


def test_repeatable_group_adds_rows_without_javascript(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = _section_url(assessment_id, "safeguards.plan")
    html = browser.get(url).get_data(as_text=True)
    assert 'name="q-safe.actions-0-measure"' in html
    assert 'name="q-safe.actions-1-measure"' not in html
    row = {
        "q-safe.actions-0-measure": "Court order for every request",
        "q-safe.actions-0-addresses": "privacy",
        "q-safe.actions-0-status": "planned",
    }
    added = browser.post(url, {**row, "action": "add-row:safe.actions"})
    assert added.status_code == 302  # saved, and back at the new row
    assert added.headers["Location"].endswith(f"{url}?added=safe.actions#q-safe.actions-1-measure")
    html = browser.get(added.headers["Location"]).get_data(as_text=True)
    assert "A new row was added" in html
    assert 'value="Court order for every request"' in html
    new_row = html[html.index('<tr id="safe.actions-row-1">') :]
    new_row = new_row[: new_row.index("</tr>")]
    assert re.search(r'<input[^>]*autofocus[^>]*name="q-safe.actions-1-measure"', new_row)
    assert html.count("autofocus") == 1
    bad = browser.post(
        url, {**row, "q-safe.actions-1-measure": "Delete data", "action": "continue"}
    )
    assert bad.status_code == 422
    assert "Row 2: Right it protects is required." in bad.get_data(as_text=True)
    good = browser.post(
        url,
        {
            **row,
            "q-safe.actions-1-measure": "Delete data",
            "q-safe.actions-1-addresses": "privacy",
            "q-safe.actions-1-status": "implemented",
            "action": "continue",
        },
    )
    assert good.status_code == 302
    stored = load_document(browser.get(f"/assessments/{assessment_id}/export.json").data, BANK)
    rows = stored.answers_by_question()["safe.actions"].value
    assert [r["measure"] for r in rows] == ["Court order for every request", "Delete data"]
    html = browser.get(url).get_data(as_text=True)
    assert 'value="Delete data"' in html
    assert 'name="q-safe.actions-2-measure"' in html  # one spare blank row


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
    assert f"/assessments/{assessment_id}/submit" not in html  # no way to submit
    submit = f"/assessments/{assessment_id}/submit"
    page = browser.get(submit)
    assert page.status_code == 409
    assert "still need an answer" in page.get_data(as_text=True)
    refused = browser.post(submit, {}, page=review_url)
    assert refused.status_code == 409
    assert "still need an answer" in refused.get_data(as_text=True)
    assert "Status: <strong>Draft</strong>" in browser.get(review_url).get_data(as_text=True)


def test_save_and_exit_and_back(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "description.purpose")
    browser.get(url)
    back = browser.post(url, {"action": "back"})
    assert back.headers["Location"].endswith("/sections/scoping.context")
    browser.get(url)
    exit_ = browser.post(url, {field_name("desc.purpose"): "Stated aim", "action": "exit"})
    assert exit_.headers["Location"].endswith("/")
    dashboard = browser.get("/").get_data(as_text=True)
    assert "Camera network" in dashboard
    assert "Draft" in dashboard
    assert re.search(r"\d+%", dashboard)


def test_a_russian_assessment_reads_numbers_as_written_in_russian(
    app, browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    """In a Russian assessment "12,7 млн" is twelve point seven million; an
    ambiguous "170,000" is refused with both readings, in the interface's
    language, and what was typed stays."""
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    with Session(app.extensions["assessment"]["engine"]) as session:
        session.execute(
            update(Assessment).where(Assessment.uuid == assessment_id).values(language="ru")
        )
        session.commit()
    url = _section_url(assessment_id, "description.scale")
    people = field_name("desc.people_affected")
    browser.get(url)
    refused = browser.post(url, {people: "170,000", "action": "continue"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'value="170,000"' in html
    # The interface is English: the message is, and its example is written as Russian reads.
    assert "write 170\u202f000 if it is thousands, or 170,0 if it is a fraction" in html

    browser.get(url)
    saved = browser.post(url, {people: "12,7 млн", "action": "continue"})
    assert saved.status_code == 302
    exported = browser.get(f"/assessments/{assessment_id}/export.json").get_json()
    answers = {a["question"]: a["value"] for a in exported["answers"]}
    assert answers["desc.people_affected"] == 12_700_000


def test_a_russian_user_sees_engine_messages_with_values_in_russian(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    """The engine returns a message key and its values; the web layer writes
    them in the interface language, numbers as Russian writes them (a narrow
    no-break space between thousands), whatever the assessment's language."""
    signup(browser)
    browser.post("/language", {"language": "ru"}, page="/")
    assessment_id = start_assessment(browser, ["payment"])
    url = _section_url(assessment_id, "payment.extent")
    browser.get(url)
    refused = browser.post(url, {field_name("pay.window_days"): "5000", "action": "continue"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Введите число не больше 3\u202f650." in html
    assert "at most" not in html

    notes = _section_url(assessment_id, "scoping.context")
    browser.get(notes)
    too_long = browser.post(
        notes, {field_name("scope.context_notes"): "я" * 20_001, "action": "continue"}
    )
    assert too_long.status_code == 422
    assert "Уложитесь в 20\u202f000 символов (сейчас 20\u202f001)." in too_long.get_data(
        as_text=True
    )


def test_text_that_cannot_be_stored_is_refused_in_the_interface_language(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    browser.post("/language", {"language": "ru"}, page="/")
    assessment_id = start_assessment(browser, ["payment"])
    notes = _section_url(assessment_id, "scoping.context")
    browser.get(notes)
    refused = browser.post(
        notes, {field_name("scope.context_notes"): "до\x00после", "action": "continue"}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "символ, который нельзя сохранить: U+0000 (символ NUL)" in html
    assert "cannot be stored" not in html


def test_an_english_user_sees_the_same_message_in_english(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = _section_url(assessment_id, "payment.extent")
    browser.get(url)
    refused = browser.post(url, {field_name("pay.window_days"): "5000", "action": "continue"})
    assert "Enter a number of at most 3\u202f650." in refused.get_data(as_text=True)


def test_a_multiple_choice_answer_can_say_and_others_not_known(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    """The "And others not known" box is part of the question's fieldset; the
    answer is stored as an open list and shown so on the review page, in the
    answers sheet and in the exchange JSON."""
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = _section_url(assessment_id, "camera.identification")
    html = browser.get(url).get_data(as_text=True)
    name = field_name("cam.functions")
    fieldset = html[html.index('id="cam.functions"') :]
    fieldset = fieldset[: fieldset.index("</fieldset>")]
    assert f'<input type="checkbox" name="{name}" id="{name}-others" value="+others">' in fieldset
    assert f'<label for="{name}-others">And others not known</label>' in fieldset
    assert 'id="q-scope.programme_types-others"' not in html  # only where "not known" is allowed

    saved = browser.post(url, {name: ["live_fr", "+others"], "action": "continue"})
    assert saved.status_code == 200  # live face recognition brings up further questions
    assert "Your answers brought up further questions" in saved.get_data(as_text=True)
    again = browser.get(url).get_data(as_text=True)
    assert f'id="{name}-others" value="+others" checked>' in again

    exported = browser.get(f"/assessments/{assessment_id}/export.json").get_json()
    answers = {a["question"]: a["value"] for a in exported["answers"]}
    assert answers["cam.functions"] == ["live_fr", "+others"]
    review = browser.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert re.search(r"Live[^<]*, and others not known", review)
    sheet = browser.get(f"/assessments/{assessment_id}/answers.csv").get_data(as_text=True)
    assert re.search(r"Live[^\"\n]*, and others not known", sheet)

    refused = browser.post(url, {name: ["+others"], "action": "continue"})
    assert refused.status_code == 422
    assert "Choose the options you know of" in refused.get_data(as_text=True)


def test_the_first_section_does_not_ask_again_what_the_start_page_asked(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    """The kinds of surveillance chosen on the new-assessment page are stored
    as the answer to the scoping question; the first section shows that
    answer with a link to change it instead of asking it again."""
    signup(browser)
    assessment_id = start_assessment(browser, ["camera", "payment"])
    url = _section_url(assessment_id, BANK.sections[0].id)
    name = field_name("scope.programme_types")
    html = browser.get(url).get_data(as_text=True)
    assert f'name="{name}"' not in html
    given = html[html.index('<div class="given question" id="scope.programme_types">') :]
    given = given[: given.index('<div class="evidence')]
    assert "Which kinds of surveillance does the programme involve?" in given
    assert "Camera network (recording, number plates or face recognition), Payment or card" in given
    change = f"{url}?change=scope.programme_types#scope.programme_types"
    assert f'<a href="{change}">Change this answer</a>' in given

    # Saving the section keeps the answer it did not ask.
    saved = browser.post(url, {field_name("scope.operator"): "City police", "action": "continue"})
    assert saved.status_code in (200, 302)
    exported = browser.get(f"/assessments/{assessment_id}/export.json").get_json()
    answers = {a["question"]: a["value"] for a in exported["answers"]}
    assert answers["scope.programme_types"] == ["camera", "payment"]
    assert answers["scope.operator"] == "City police"

    # "Change" asks it here, with the stored answer ticked; the new answer is stored.
    asking = browser.get(change.split("#")[0]).get_data(as_text=True)
    assert f'id="{name}-0" name="{name}" type="checkbox" value="camera"' in asking
    assert re.search(rf'<input checked id="{re.escape(name)}-0"', asking)
    changed = browser.post(change.split("#")[0], {name: ["location"], "action": "continue"})
    assert changed.status_code in (200, 302)
    exported = browser.get(f"/assessments/{assessment_id}/export.json").get_json()
    answers = {a["question"]: a["value"] for a in exported["answers"]}
    assert answers["scope.programme_types"] == ["location"]
    review = browser.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert "Phone location tracking" in review
    sheet = browser.get(f"/assessments/{assessment_id}/answers.csv").get_data(as_text=True)
    assert "scope.programme_types" in sheet


def test_a_row_is_removed_without_javascript_keeping_everything_else(
    browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    """Each row has its own "Remove" submit button: that row goes, the other
    rows and the page's other answers are saved as typed."""
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = _section_url(assessment_id, "safeguards.plan")
    browser.get(url)
    rows = {
        "q-safe.actions-0-measure": "Court order for every request",
        "q-safe.actions-0-addresses": "privacy",
        "q-safe.actions-0-status": "planned",
        "q-safe.actions-1-measure": "Delete data after 14 days",
        "q-safe.actions-1-addresses": "privacy",
        "q-safe.actions-1-status": "implemented",
        "q-safe.actions-2-measure": "Publish statistics",
        "q-safe.actions-2-addresses": "privacy",
        "q-safe.actions-2-status": "planned",
        "q-safe.actions-note": "Agreed with the operator",
    }
    browser.post(url, {**rows, "action": "continue"})
    html = browser.get(url).get_data(as_text=True)
    button = '<button type="submit" name="action" value="remove-row:safe.actions:1"'
    assert button in html
    assert 'Remove<span class="visually-hidden"> row 2</span></button>' in html

    typed = {**rows, "q-safe.actions-0-measure": "Court order, reviewed yearly"}
    removed = browser.post(url, {**typed, "action": "remove-row:safe.actions:1"})
    assert removed.status_code == 302
    assert removed.headers["Location"].endswith(f"{url}#safe.actions")
    stored = load_document(browser.get(f"/assessments/{assessment_id}/export.json").data, BANK)
    answer = stored.answers_by_question()["safe.actions"]
    assert [r["measure"] for r in answer.value] == [
        "Court order, reviewed yearly",
        "Publish statistics",
    ]
    assert answer.note == "Agreed with the operator"

    # With an error elsewhere in the table, the row still goes and what was typed stays.
    browser.get(url)
    bad = {
        "q-safe.actions-0-measure": "Court order, reviewed yearly",
        "q-safe.actions-1-measure": "Publish statistics",
        "q-safe.actions-1-status": "planned",
        "action": "remove-row:safe.actions:0",
    }
    refused = browser.post(url, bad)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'value="Court order, reviewed yearly"' not in html
    assert 'value="Publish statistics"' in html
