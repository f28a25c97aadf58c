"""An assessment of bank version 1.0 after the bank has moved on: it opens,
scores and renders under 1.0, and can be upgraded to the current questions.

The current bank here is a simulated 2.0 built from the archived 1.0 files
(see ``tests/bank_versions.py``), with the real archive beside it."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from assessment.config import Config
from assessment.engine.banks import BankSet
from assessment.engine.document import load_document
from assessment.engine.scoring import score
from assessment.models import AnswerRecord, Assessment, AssessmentEvent
from assessment.report.context import build_report_context
from assessment.report.pool import RenderFailed, RenderJob, ReportRenderer
from assessment.report.render import render_html
from assessment.services.assessments import to_document
from tests.bank_versions import (
    CARRIED,
    CHANGED,
    MOSCOW_1_0,
    NEW,
    NEW_QUESTION_TEXT,
    NEW_TEXT,
    REMOVED,
    SECTION,
    make_bank_dir,
)
from tests.conftest import Browser

OLD_TEXT = "What is the stated purpose of the programme?"
REMOVED_TEXT = "Who processes the data for the operator, and who else can see it?"
SHARE_LINK = re.compile(r'class="share-url" type="text" readonly value="http://localhost(/s/[A-Za-z0-9_-]+)"')


@pytest.fixture
def config(config: Config, tmp_path: Path) -> Config:
    """The test configuration with a bank directory holding 2.0 and archive/1.0."""
    return config.with_overrides(bank_dir=make_bank_dir(tmp_path))


def _banks(app: Flask) -> BankSet:
    banks: BankSet = app.extensions["assessment"]["banks"]
    return banks


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _import(app: Flask, tmp_path: Path, **changes: Any) -> str:
    """Import the Moscow 1.0 example through the CLI; ``changes`` alter it
    first (``status``, or ``carried`` metadata for the carried answer)."""
    data = json.loads(MOSCOW_1_0.read_bytes())
    if "status" in changes:
        data["assessment"]["status"] = changes["status"]
        data["assessment"]["submitted_at"] = data["assessment"]["updated_at"]
    if "bank_version" in changes:
        data["bank"]["version"] = changes["bank_version"]
    for answer in data["answers"]:
        if answer["question"] == CARRIED:
            answer.update(changes.get("carried", {}))
    path = tmp_path / "import.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    match = re.search(r"Imported as ([0-9a-f-]{36})", result.output)
    assert match
    return match.group(1)


def _assessment(app: Flask, assessment_id: str) -> tuple[Assessment, dict[str, AnswerRecord]]:
    with app.extensions["assessment"]["sessions"]() as session:
        assessment = session.scalars(
            select(Assessment).where(Assessment.uuid == assessment_id)
        ).one()
        answers = {a.question_id: a for a in assessment.answers}
        session.expunge_all()  # plain values from here on
        return assessment, answers


def _events(app: Flask, assessment_id: str) -> list[AssessmentEvent]:
    with app.extensions["assessment"]["sessions"]() as session:
        events = list(
            session.scalars(
                select(AssessmentEvent)
                .join(Assessment)
                .where(Assessment.uuid == assessment_id)
                .order_by(AssessmentEvent.id)
            )
        )
        for event in events:
            session.expunge(event)
        return events


def test_the_app_loads_the_current_bank_and_the_archive(app: Flask) -> None:
    banks = _banks(app)
    assert banks.current.version == "2.0"
    assert app.extensions["assessment"]["bank"] is banks.current
    assert banks.get(banks.current.id, "1.0").has_question(REMOVED)


def test_a_new_assessment_uses_the_current_bank(
    app: Flask,
    browser: Browser,
    signup: Callable[..., Browser],
    start_assessment: Callable[..., str],
) -> None:
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    assessment, _answers = _assessment(app, assessment_id)
    assert assessment.bank_version == "2.0"
    page = _text(browser.get(f"/assessments/{assessment_id}/sections/{SECTION}"))
    assert NEW_QUESTION_TEXT in page
    assert "the current version is" not in page


@pytest.mark.database_agnostic
def test_a_1_0_assessment_opens_scores_and_renders_under_1_0(
    app: Flask, browser: Browser, signup: Callable[..., Browser], tmp_path: Path
) -> None:
    signup(browser)
    assessment_id = _import(app, tmp_path)
    assessment, answers = _assessment(app, assessment_id)
    assert (assessment.bank_id, assessment.bank_version) == (_banks(app).current.id, "1.0")

    dashboard = _text(browser.get("/"))
    assert "Questions of version 1.0" in dashboard
    assert re.search(r'<progress max="100" value="\d+"', dashboard)

    section = browser.get(f"/assessments/{assessment_id}/sections/{SECTION}")
    assert section.status_code == 200
    page = _text(section)
    assert OLD_TEXT in page
    assert REMOVED_TEXT in page
    assert NEW_TEXT not in page
    assert NEW_QUESTION_TEXT not in page
    assert "This assessment uses the questions of version 1.0; the current version is 2.0" in page
    assert f"/assessments/{assessment_id}/upgrade" in page

    review = browser.get(f"/assessments/{assessment_id}/review")
    assert review.status_code == 200
    assert "the current version is 2.0" in _text(review)
    assert answers[REMOVED].value[:40] in _text(review)

    old_bank = _banks(app).get(assessment.bank_id, "1.0")
    document = load_document(MOSCOW_1_0.read_bytes(), old_bank)
    scored = app.test_cli_runner().invoke(args=["score", str(MOSCOW_1_0)])
    assert scored.exit_code == 0, scored.output
    expected = score(old_bank, document.answer_values(), document.confidences(), "en")
    result, wanted = json.loads(scored.output), expected.to_dict()
    assert result["impact_level"] == wanted["impact_level"] == "IV"
    assert result["rights"] == wanted["rights"]
    assert result["limitation_test"] == wanted["limitation_test"]

    with app.extensions["assessment"]["sessions"]() as session:
        stored = session.scalars(select(Assessment).where(Assessment.uuid == assessment_id)).one()
        report = render_html(build_report_context(old_bank, to_document(stored)))
    assert OLD_TEXT in html.unescape(report)
    assert REMOVED_TEXT in html.unescape(report)
    assert NEW_TEXT not in html.unescape(report)

    created = browser.post(
        f"/assessments/{assessment_id}/shares",
        {"days": "3", "edition": "public", "label": "Auditor"},
        page=f"/assessments/{assessment_id}/shares",
    )
    link = SHARE_LINK.search(created.get_data(as_text=True))
    assert link
    assert Browser(app.test_client()).get(link.group(1)).status_code == 200


@pytest.mark.database_agnostic
def test_the_report_workers_render_a_1_0_report(app: Flask, tmp_path: Path) -> None:
    banks = _banks(app)
    config: Config = app.extensions["assessment"]["config"]
    document = load_document(MOSCOW_1_0.read_bytes(), banks.get(banks.current.id, "1.0"))
    renderer = ReportRenderer(banks, config.bank_dir, workers=1, nice=0)
    try:
        target = tmp_path / "cache" / "a" / "report.pdf"
        job = RenderJob(document, "public", None, target, document.bank_id, "1.0")
        assert len(renderer.submit(job).result(timeout=300)) == 64
        assert target.read_bytes().startswith(b"%PDF-")
        unknown = RenderJob(document, "public", None, tmp_path / "x.pdf", document.bank_id, "0.9")
        with pytest.raises(
            RenderFailed, match=r"needs surveillance-hria 0\.9, which is not installed"
        ):
            renderer.submit(unknown).result(timeout=300)
    finally:
        renderer.shutdown()


def test_an_unknown_version_is_refused_with_the_reason(
    app: Flask, browser: Browser, signup: Callable[..., Browser], tmp_path: Path
) -> None:
    signup(browser)
    path = tmp_path / "old.json"
    data = json.loads(MOSCOW_1_0.read_bytes())
    data["bank"]["version"] = "0.9"
    path.write_text(json.dumps(data), encoding="utf-8")
    refused = app.test_cli_runner().invoke(args=["import", str(path)])
    assert refused.exit_code != 0
    assert "unknown bank version '0.9'" in refused.output
    assert "this installation has versions 1.0, 2.0" in refused.output

    assessment_id = _import(app, tmp_path)
    with app.extensions["assessment"]["sessions"]() as session, session.begin():
        stored = session.scalars(select(Assessment).where(Assessment.uuid == assessment_id)).one()
        stored.bank_version = "0.9"
    review = browser.get(f"/assessments/{assessment_id}/review")
    assert review.status_code == 409
    assert "0.9 is not installed here (installed: 1.0, 2.0)" in _text(review)
    dashboard = browser.get("/")  # still listed, without progress
    assert dashboard.status_code == 200
    assert "<progress" not in dashboard.get_data(as_text=True)


def test_upgrade_carries_unchanged_answers_and_lists_the_others(
    app: Flask, browser: Browser, signup: Callable[..., Browser], tmp_path: Path
) -> None:
    signup(browser)
    metadata = {"note": "Seen in the tender", "confidence": "confirmed", "confidential": True}
    assessment_id = _import(app, tmp_path, carried=metadata)
    before, old_answers = _assessment(app, assessment_id)

    preview = browser.get(f"/assessments/{assessment_id}/upgrade")
    assert preview.status_code == 200
    page = _text(preview)
    assert f"{len(old_answers) - 2} answers to unchanged questions are carried over" in page
    assert "2 answers to changed or removed questions are not carried over" in page
    assert "1 new question, 1 changed, 1 removed" in page
    for text in (NEW_QUESTION_TEXT, NEW_TEXT, REMOVED_TEXT):
        assert text in page
    assert "Purpose and operation" in page  # each question's section
    assert old_answers[CHANGED].value[:40] in page
    _assessment_after_preview, unchanged = _assessment(app, assessment_id)
    assert unchanged.keys() == old_answers.keys()  # a preview changes nothing

    upgraded = browser.post(f"/assessments/{assessment_id}/upgrade")
    assert upgraded.status_code == 303
    done_url = upgraded.headers["Location"]
    assert re.fullmatch(rf"/assessments/{assessment_id}/upgrades/\d+", done_url)

    after, answers = _assessment(app, assessment_id)
    assert after.bank_version == "2.0"
    assert after.revision == before.revision + 1
    assert set(answers) == set(old_answers) - {CHANGED, REMOVED}
    carried = answers[CARRIED]
    assert (carried.value, carried.source) == (
        old_answers[CARRIED].value,
        old_answers[CARRIED].source,
    )
    assert (carried.note, carried.confidence, carried.confidential) == (
        "Seen in the tender",
        "confirmed",
        True,
    )
    last = _events(app, assessment_id)[-1]
    assert last.action == "upgraded"
    assert last.detail.startswith("from 1.0 to 2.0")
    assert last.revision == after.revision

    done = browser.get(done_url)
    assert done.status_code == 200
    page = _text(done)
    section_link = f"/assessments/{assessment_id}/sections/{SECTION}#"
    assert f'href="{section_link}{NEW}"' in page
    assert f'href="{section_link}{CHANGED}"' in page
    assert old_answers[CHANGED].value[:40] in page  # the old value, to answer again
    assert REMOVED_TEXT in page
    assert old_answers[REMOVED].value[:40] in page

    review = _text(browser.get(f"/assessments/{assessment_id}/review"))
    assert "the current version is" not in review
    assert NEW_TEXT in review
    again = browser.post(f"/assessments/{assessment_id}/upgrade", page=done_url)
    assert again.status_code == 302
    assert _assessment(app, assessment_id)[0].revision == after.revision


def test_a_submitted_assessment_is_not_upgraded(
    app: Flask, browser: Browser, signup: Callable[..., Browser], tmp_path: Path
) -> None:
    signup(browser)
    assessment_id = _import(app, tmp_path, status="submitted")
    review = _text(browser.get(f"/assessments/{assessment_id}/review"))
    assert "the current version is 2.0" in review
    assert f"/assessments/{assessment_id}/upgrade" not in review

    refused = browser.post(f"/assessments/{assessment_id}/upgrade")
    assert refused.status_code == 409
    assert "submitted and can no longer be changed" in _text(refused)
    assert browser.get(f"/assessments/{assessment_id}/upgrade").status_code == 409
    assessment, answers = _assessment(app, assessment_id)
    assert assessment.bank_version == "1.0"
    assert REMOVED in answers


def test_upgrade_needs_the_csrf_token_and_the_owning_organisation(
    app: Flask,
    browser: Browser,
    make_browser: Callable[[], Browser],
    signup: Callable[..., Browser],
    tmp_path: Path,
) -> None:
    signup(browser)
    assessment_id = _import(app, tmp_path)
    forged = browser.client.post(f"/assessments/{assessment_id}/upgrade", data={})
    assert forged.status_code == 400
    other = signup(make_browser(), email="eve@example.org", organisation="Other")
    assert other.get(f"/assessments/{assessment_id}/upgrade").status_code == 404
    assert other.post(f"/assessments/{assessment_id}/upgrade", page="/").status_code == 404
    assert _assessment(app, assessment_id)[0].bank_version == "1.0"
