"""A planned programme is asked about its design, not its practice: the wizard
and the review page word `practice: design` questions by their planned text,
and `practice: gap` questions are not asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.bank import Practice
from assessment.engine.loader import load_bank_cached
from assessment.forms import field_name

BANK = load_bank_cached(str(DEFAULT_BANK_DIR))
GAP, DESIGN = next(
    (gap, design)
    for gap in BANK.questions
    for design in BANK.questions
    if gap.practice is Practice.GAP
    and design.practice is Practice.DESIGN
    and gap.section_id == design.section_id
    and not gap.show_if
    and not design.show_if
)


def _set_status(browser: Any, assessment_id: str, status: str) -> None:
    status_question = BANK.question(BANK.role("status") or "")
    url = f"/assessments/{assessment_id}/sections/{status_question.section_id}"
    response = browser.post(url, {field_name(status_question.id): status}, page=url)
    assert response.status_code in (302, 422), response.status_code


@pytest.mark.database_agnostic
def test_a_planned_programme_is_asked_about_its_design(
    browser: Any, signup: Callable[..., Any], start_assessment: Callable[..., str]
) -> None:
    signup(browser)
    assessment_id = start_assessment(browser, ["camera", "location", "payment"])
    section_url = f"/assessments/{assessment_id}/sections/{DESIGN.section_id}"

    _set_status(browser, assessment_id, "running")
    running = browser.get(section_url).get_data(as_text=True)
    assert DESIGN.text.get_text("en") in running
    assert GAP.text.get_text("en") in running

    _set_status(browser, assessment_id, "planned")
    planned = browser.get(section_url).get_data(as_text=True)
    assert DESIGN.planned_text.get_text("en") in planned
    assert DESIGN.text.get_text("en") not in planned
    assert GAP.text.get_text("en") not in planned
    review = browser.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    assert DESIGN.planned_text.get_text("en") in review
