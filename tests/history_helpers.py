"""Shared set-up for the tests of answer history, comments and the audit
log: an organisation with one member of each role and the safeguarded
junction cameras of the calibration (level I, proceed), imported."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from assessment.db import transaction
from assessment.demo import EXAMPLES
from assessment.engine.banks import load_exchange
from assessment.forms import form_data_for
from assessment.models import Organisation, Role, User
from assessment.report.render import edition_context, render_html
from assessment.services.accounts import add_user
from assessment.services.assessments import answers_of, get_by_uuid, import_document
from assessment.services.reports import report_job
from tests.conftest import TEST_PASSWORD, Browser
from tests.helpers import BANKS

JUNCTION = EXAMPLES / "junction_cctv.json"
LEGALITY = "limitation.legality"
LEGAL_BASIS = "lim.legal_basis"


@dataclass
class Team:
    assessment_id: str
    members: dict[str, Browser]  # role -> signed-in browser
    names: dict[str, str]  # role -> the member's name


def make_team(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> Team:
    """Ana (owner) signs up "Watchdog"; Ed, Rita and Vic join as editor,
    reviewer and viewer; the junction example is imported by Ana."""
    owner = signup(make_browser(), "ana@example.org", "Watchdog")
    names = {"owner": "Ana", "editor": "Ed", "reviewer": "Rita", "viewer": "Vic"}
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        organisation = session.scalars(
            select(Organisation).where(Organisation.name == "Watchdog")
        ).one()
        ana = session.scalars(select(User).where(User.email == "ana@example.org")).one()
        for role in ("editor", "reviewer", "viewer"):
            add_user(
                session, organisation, names[role], f"{role}@example.org", TEST_PASSWORD, Role(role)
            )
        document = load_exchange(JUNCTION.read_bytes(), BANKS)
        assessment_id = import_document(session, organisation, document, ana).uuid
    members = {"owner": owner}
    for role in ("editor", "reviewer", "viewer"):
        member = make_browser()
        response = member.post(
            "/login", {"email": f"{role}@example.org", "password": TEST_PASSWORD}, page="/login"
        )
        assert response.status_code == 302
        members[role] = member
    return Team(assessment_id, members, names)


def section_form(app: Flask, assessment_id: str, section_id: str) -> dict[str, object]:
    """The values a browser sends for the section as it shows now: the stored
    answers of its questions, with their notes, sources and confidences."""
    with app.extensions["assessment"]["sessions"]() as session:
        assessment = get_by_uuid(session, assessment_id)
        bank = BANKS.get(assessment.bank_id, assessment.bank_version)
        data = form_data_for(answers_of(assessment), bank.section(section_id).questions)
    return {k: ("y" if v is True else v) for k, v in data.items() if v is not False}


def save_section(
    app: Flask, browser: Browser, assessment_id: str, section_id: str, changes: dict[str, object]
) -> int:
    """Save the section as shown, with ``changes`` (field name -> value), as
    ``browser``'s member; the response's status."""
    url = f"/assessments/{assessment_id}/sections/{section_id}"
    browser.get(url)  # the form's CSRF token and base revision
    data = section_form(app, assessment_id, section_id)
    data.update(changes)
    data["action"] = "continue"
    return int(browser.post(url, data).status_code)


def page_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def report_text(app: Flask, assessment_id: str, edition: str) -> str:
    """The text of the ``edition`` of the report the app would render now:
    the HTML the PDF is made from, with exactly what a download would put in."""
    with app.extensions["assessment"]["sessions"]() as session:
        assessment = get_by_uuid(session, assessment_id)
        bank = BANKS.get(assessment.bank_id, assessment.bank_version)
        job = report_job(session, bank, assessment, edition, Path("unused.pdf"), BANKS)
    _, context = edition_context(
        bank,
        job.document,
        job.edition,
        history=job.history,
        comments=job.comments,
        changes=job.changes,
    )
    return page_text(render_html(context))
