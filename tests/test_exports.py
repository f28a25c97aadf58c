"""The sheets: the action plan as CSV and XLSX, every answer as CSV, in the
assessment's language, formulas neutralised, for members who may read the
full report only."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from assessment.access import ENDPOINT_PERMISSIONS, ROLE_PERMISSIONS
from assessment.db import transaction
from assessment.demo import EXAMPLES
from assessment.engine.answers import Answer
from assessment.engine.banks import load_exchange
from assessment.engine.document import AssessmentDocument
from assessment.engine.progress import resolve
from assessment.models import Organisation, Role, User
from assessment.report.exports import Sheet as ExportSheet
from assessment.report.exports import neutralise, to_csv
from assessment.services.accounts import add_user
from assessment.services.assessments import import_document
from tests.conftest import TEST_PASSWORD, Browser
from tests.helpers import BANK, BANKS

MEASURES = [
    {
        "measure": '=HYPERLINK("http://evil.example","click")',
        "addresses": "privacy",
        "owner": "+Data protection officer",
        "due": "2027-01-31",
        "status": "implemented",
    },
    {"measure": "Publish the retention schedule", "addresses": "expression", "status": "planned"},
]
NOTE = "@SUM(1+1) is not a note"
SOURCE = "-2+3 from a council leak"
SHEETS = ("action-plan.csv", "action-plan.xlsx", "answers.csv")


def _document(language: str) -> AssessmentDocument:
    """The junction example with an action plan of two measures, and its first
    answer's note and source written to look like formulas, kept confidential."""
    document = load_exchange((EXAMPLES / "junction_cctv.json").read_bytes(), BANKS)
    first, *rest = document.answers
    first = dataclasses.replace(first, note=NOTE, source=SOURCE, confidential=True)
    plan = Answer("safe.actions", MEASURES)
    kept = [a for a in rest if a.question_id != "safe.actions"]
    return dataclasses.replace(document, language=language, answers=(first, *kept, plan))


@pytest.fixture
def imported(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> Callable[[str], tuple[str, Browser, AssessmentDocument]]:
    """Import the document in ``language`` into a new organisation; returns the
    assessment's id, its owner's browser and the document."""

    def make(language: str) -> tuple[str, Browser, AssessmentDocument]:
        owner = signup(make_browser(), "owner@example.org", "Watchdog")
        document = _document(language)
        with transaction(app.extensions["assessment"]["sessions"]) as session:
            organisation = session.scalars(select(Organisation)).one()
            user = session.scalars(select(User)).one()
            assessment_id = import_document(session, organisation, document, user).uuid
        return assessment_id, owner, document

    return make


def _csv_rows(response: Any) -> list[list[str]]:
    body: bytes = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM, for Excel
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def _visible_questions(document: AssessmentDocument) -> int:
    visibility = resolve(BANK, document.answer_values())
    return sum(len(progress.visible) for progress in visibility.sections)


def test_the_sheets_are_attachments_with_their_types(imported: Any) -> None:
    assessment_id, owner, _ = imported("en")
    types = {
        "action-plan.csv": "text/csv; charset=utf-8",
        "action-plan.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "answers.csv": "text/csv; charset=utf-8",
    }
    for name, content_type in types.items():
        response = owner.get(f"/assessments/{assessment_id}/{name}")
        assert response.status_code == 200, name
        assert response.headers["Content-Type"] == content_type
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment; filename=")
        suffix = name.rsplit(".", 1)[1]
        assert 'filename="junction-' in disposition
        assert f'.{suffix}"' in disposition


def test_the_action_plan_csv_has_a_row_per_measure(imported: Any) -> None:
    assessment_id, owner, _ = imported("en")
    rows = _csv_rows(owner.get(f"/assessments/{assessment_id}/action-plan.csv"))
    assert rows[0] == ["Measure", "Right it protects", "Owner", "Due date", "Status"]
    assert len(rows) == 1 + len(MEASURES)
    assert rows[1] == [
        '\'=HYPERLINK("http://evil.example","click")',
        "Privacy and data protection",
        "'+Data protection officer",
        "2027-01-31",
        "Implemented",
    ]
    assert rows[2] == [
        "Publish the retention schedule",
        "Freedom of expression",
        "",
        "",
        "Planned",
    ]


def test_the_action_plan_xlsx_matches_the_csv(imported: Any) -> None:
    assessment_id, owner, _ = imported("en")
    csv_rows = _csv_rows(owner.get(f"/assessments/{assessment_id}/action-plan.csv"))
    body = owner.get(f"/assessments/{assessment_id}/action-plan.xlsx").get_data()
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    assert sheet.title == "Action plan"
    cells = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    assert cells == csv_rows
    formula = sheet["A2"]
    assert formula.data_type == "s"  # text, not a formula
    assert str(formula.value).startswith("'=")


def test_every_visible_question_is_a_row_of_the_answers_csv(imported: Any) -> None:
    assessment_id, owner, document = imported("en")
    rows = _csv_rows(owner.get(f"/assessments/{assessment_id}/answers.csv"))
    header, *body = rows
    assert header == [
        "Section",
        "Question ID",
        "Question",
        "Answer",
        "Note",
        "Source",
        "Confidence",
        "Confidential",
    ]
    assert len(body) == _visible_questions(document)
    by_id = {row[1]: row for row in body}
    first = document.answers[0]
    question = BANK.question(first.question_id)
    section = BANK.section(question.section_id).title.get_text("en")
    row = by_id[first.question_id]
    assert row[0] == section
    assert row[4:] == ["'" + NOTE, "'" + SOURCE, "Confirmed by an official source", "Yes"]
    assert by_id["cam.camera_count"][3] == "4"
    assert by_id["cam.camera_count"][7] == "No"
    assert "Privacy and data protection" in by_id["safe.actions"][3]


def test_a_russian_assessment_gives_russian_sheets(imported: Any) -> None:
    assessment_id, owner, document = imported("ru")
    plan = _csv_rows(owner.get(f"/assessments/{assessment_id}/action-plan.csv"))
    assert plan[0] == ["Мера", "Защищаемое право", "Ответственный", "Срок", "Статус"]
    assert plan[1][1:] == [
        "Неприкосновенность частной жизни и защита данных",
        "'+Data protection officer",
        "2027-01-31",
        "Реализовано",
    ]
    body = owner.get(f"/assessments/{assessment_id}/action-plan.xlsx").get_data()
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    assert sheet.title == "План действий"
    assert sheet["A1"].value == "Мера"

    header, *rows = _csv_rows(owner.get(f"/assessments/{assessment_id}/answers.csv"))
    assert header == [
        "Раздел",
        "Код вопроса",
        "Вопрос",
        "Ответ",
        "Примечание",
        "Источник",
        "Достоверность",
        "Конфиденциально",
    ]
    assert len(rows) == _visible_questions(document)
    by_id = {row[1]: row for row in rows}
    count = BANK.question("cam.camera_count")
    assert by_id["cam.camera_count"][0] == BANK.section(count.section_id).title.get_text("ru")
    assert by_id["cam.camera_count"][2] == count.text.get_text("ru")
    assert by_id["cam.camera_count"][2] != count.text.get_text("en")
    assert by_id["cam.camera_count"][6:] == ["Подтверждено официальным источником", "Нет"]

    disposition = owner.get(f"/assessments/{assessment_id}/answers.csv").headers[
        "Content-Disposition"
    ]
    assert "Ответы" in unquote(disposition.split("filename*=UTF-8''")[1])


def test_the_review_page_links_to_the_sheets(imported: Any) -> None:
    assessment_id, owner, _ = imported("en")
    page = owner.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    for name in SHEETS:
        assert f'href="/assessments/{assessment_id}/{name}"' in page


def test_who_reads_the_full_report_may_export(
    app: Flask, imported: Any, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    """The sheets hold confidential notes: they need what the full report
    needs.  A viewer holds it; a stranger and another organisation do not."""
    for endpoint in ("reports.plan_csv", "reports.plan_xlsx", "reports.answers_csv"):
        assert ENDPOINT_PERMISSIONS[endpoint] == ENDPOINT_PERMISSIONS["reports.pdf"]
    needed = ENDPOINT_PERMISSIONS["reports.answers_csv"]
    assert needed in ROLE_PERMISSIONS[Role.VIEWER]

    assessment_id, _, _ = imported("en")
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        organisation = session.scalars(select(Organisation)).one()
        add_user(session, organisation, "Vic", "viewer@example.org", TEST_PASSWORD, Role.VIEWER)
    viewer = make_browser()
    viewer.post("/login", {"email": "viewer@example.org", "password": TEST_PASSWORD}, page="/login")
    stranger = make_browser()
    other = signup(make_browser(), "eve@example.org", "Other")
    for name in SHEETS:
        url = f"/assessments/{assessment_id}/{name}"
        assert viewer.get(url).status_code == 200
        assert other.get(url).status_code == 404
        refused = stranger.get(url)
        assert refused.status_code == 302
        assert "/login" in refused.headers["Location"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_are_neutralised(start: str) -> None:
    assert neutralise(f"{start}1+1") == f"'{start}1+1"
    written = to_csv(ExportSheet("S", (f"{start}x",), ())).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(written, newline="")))
    assert rows == [[f"'{start}x"]]


def test_plain_text_is_left_as_it_is() -> None:
    for text in ("Measure", "1 000", "", "'quoted", "a=b", "мера"):
        assert neutralise(text) == text


def test_csv_quotes_as_rfc_4180_says() -> None:
    sheet = ExportSheet("S", ("a",), (('He said "no", then left\nfor good',),))
    assert to_csv(sheet) == b'\xef\xbb\xbfa\r\n"He said ""no"", then left\nfor good"\r\n'
