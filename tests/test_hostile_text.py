"""Text the database cannot store (a NUL character; on PostgreSQL it used to
give a 500) is refused wherever text enters: every form field, the URL, the
JSON import and the command line.  The refusal is a message next to the
field, what was typed stays in the form, and nothing is stored.  Run on
SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from assessment.engine.document import load_document
from assessment.forms import field_name
from assessment.models import AnswerRecord, Assessment, Organisation, ShareLink, User
from tests.conftest import TEST_PASSWORD, Browser
from tests.helpers import BANK

REFUSED = "contains a character that cannot be stored: U+0000 (a NUL character)"
EXAMPLE = Path(__file__).parents[1] / "assessment" / "examples" / "moscow_cameras.json"


def _count(app: Flask, model: type) -> int:
    with app.extensions["assessment"]["sessions"]() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _kept(html: str, typed: str) -> bool:
    """Whether the page shows ``typed`` back in a field (NUL and all)."""
    return f'value="{typed}"' in html or f"{typed}</textarea>" in html


def test_sign_in_with_a_nul_in_the_address(app: Flask, browser: Browser, signup) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    browser.post("/logout", page="/")
    typed = "ana\x00@example.org"
    response = browser.post("/login", {"email": typed, "password": TEST_PASSWORD}, page="/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"This text {REFUSED}" in html
    assert _kept(html, typed)
    assert "Sign out" not in html


@pytest.mark.parametrize("field", ["organisation", "name", "email"])
def test_sign_up_with_a_nul(app: Flask, browser: Browser, field: str) -> None:
    details = {
        "organisation": "Watchdog",
        "name": "Ana",
        "email": "ana@example.org",
        "password": TEST_PASSWORD,
    }
    details[field] = details[field].replace("a", "a\x00", 1)
    response = browser.post("/signup", details, page="/signup")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert REFUSED in html
    assert _kept(html, details[field])
    assert _count(app, Organisation) == _count(app, User) == 0


@pytest.mark.parametrize("field", ["title", "programme"])
def test_new_assessment_with_a_nul(app: Flask, browser: Browser, signup, field: str) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    details = {
        "title": "Camera network",
        "programme": "City programme",
        "programme_types": "camera",
    }
    details[field] = details[field].replace(" ", "\x00 ", 1)
    response = browser.post("/assessments/new", details, page="/assessments/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert REFUSED in html
    assert _kept(html, details[field])
    assert _count(app, Assessment) == 0


@pytest.mark.parametrize(
    ("suffix", "message"),
    [
        ("", f"This text {REFUSED}"),
        ("-note", f"The note {REFUSED}"),
        ("-source", f"The source {REFUSED}"),
    ],
    ids=["answer", "note", "source"],
)
def test_answer_with_a_nul_is_refused_and_the_rest_saved(
    app: Flask, browser: Browser, signup, start_assessment, suffix: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = f"/assessments/{assessment_id}/sections/scoping.programme"
    operator, supplier = field_name("scope.operator"), field_name("scope.supplier")
    typed = "Told by a\x00 source"
    form = {operator: "City police", supplier: "Vendor X", "action": "continue"}
    form[operator + suffix] = typed
    response = browser.post(url, form, page=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert _kept(html, typed)
    stored = load_document(browser.get(f"/assessments/{assessment_id}/export.json").data, BANK)
    answers = stored.answers_by_question()
    assert "scope.operator" not in answers  # the refused answer is not stored
    assert answers["scope.supplier"].value == "Vendor X"  # the rest of the page is


def test_group_row_with_a_nul_is_refused(
    app: Flask, browser: Browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = f"/assessments/{assessment_id}/sections/safeguards.plan"
    typed = "Court order\x00 for every request"
    row = {
        "q-safe.actions-0-measure": typed,
        "q-safe.actions-0-addresses": "privacy",
        "q-safe.actions-0-status": "planned",
        "action": "continue",
    }
    response = browser.post(url, row, page=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Row 1, Measure: This text {REFUSED}" in html
    assert _kept(html, typed)


def test_share_label_with_a_nul(app: Flask, browser: Browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = f"/assessments/{assessment_id}/shares"
    typed = "Audit\x00 office"
    response = browser.post(url, {"label": typed, "days": "7", "edition": "full"}, page=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert REFUSED in html
    assert _kept(html, typed)
    assert _count(app, ShareLink) == 0


def test_assessment_id_with_a_nul_in_the_url_is_not_found(
    browser: Browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    for path in ("review", "sections/scoping.programme", "report.pdf", "shares"):
        assert browser.get(f"/assessments/{assessment_id}%00/{path}").status_code == 404


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("title", f"assessment.title {REFUSED}"),
        ("note", f"The note {REFUSED}"),
        ("answer", f"This text {REFUSED}"),
        ("surrogate", "assessment.programme contains a character that cannot be stored: U+D800"),
    ],
    ids=["title", "note", "answer", "surrogate"],
)
def test_import_with_unstorable_text_is_refused_whole(
    app: Flask, tmp_path: Path, signup, where: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    signup(Browser(app.test_client()))
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    text_answer = next(
        a for a in data["answers"] if isinstance(a["value"], str) and " " in a["value"]
    )
    if where == "title":
        data["assessment"]["title"] += "\x00"
    elif where == "note":
        data["answers"][0]["note"] = "a note\x00"
    elif where == "answer":
        text_answer["value"] += "\x00"
    else:
        data["assessment"]["programme"] = "P\ud800"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data), encoding="utf-8")  # as "\u0000" and "\ud800" escapes
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert message in result.output
    assert _count(app, Assessment) == _count(app, AnswerRecord) == 0


def test_command_line_names_that_cannot_be_stored_are_refused(app: Flask) -> None:
    """An undecodable byte in a command-line argument reaches Python as half
    of a surrogate pair, which no database can store."""
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "ana@example.org",
            "--organisation",
            "Watch\udcffdog",
            "--password",
            TEST_PASSWORD,
        ]
    )
    assert result.exit_code == 1
    assert "A name contains a character that cannot be stored: U+DCFF" in result.output
    assert _count(app, Organisation) == 0
