"""The review workflow: draft -> in review -> approved -> issued, and back from
review with requested changes; who may take each step; no self-approval; an
issued assessment cannot change; a reassessment starts from the issued
answers; the sign-off on the report's cover; reassessment dates on the
dashboard; the migration of "submitted" assessments.  (Simultaneous
decisions are in tests/test_concurrency.py.)"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import MultiDict

from assessment.config import PROJECT_ROOT
from assessment.db import transaction
from assessment.engine.document import load_document, to_data
from assessment.forms import field_name
from assessment.migrate import alembic_config, upgrade
from assessment.models import (
    AnswerRecord,
    Assessment,
    AssessmentEvent,
    IssuedRevision,
    Organisation,
    Review,
    Role,
    User,
)
from assessment.report.context import build_report_context
from assessment.report.render import render_html
from assessment.services.accounts import add_user
from assessment.services.assessments import get_by_uuid, import_document, to_document
from assessment.services.results import reassessment_state
from assessment.services.workflow import (
    approve,
    issue,
    one_year_after,
    request_changes,
    submit_for_review,
)
from tests.conftest import TEST_PASSWORD, Browser
from tests.helpers import BANK
from tests.html_text import FormReader, read_page, table

EXAMPLE = PROJECT_ROOT / "assessment" / "examples" / "moscow_cameras.json"
OPERATOR = "scope.operator"
SECTION = "scoping.programme"
TODAY = dt.datetime.now(dt.UTC).date()
FAR = TODAY + dt.timedelta(days=730)  # a valid reassessment date, far from both limits

STATUSES = ("draft", "in_review", "approved", "issued")
ROLES = ("owner", "editor", "reviewer", "viewer")
#: action -> (URL path, form, permission's holders, from status, to status, event)
ACTIONS: dict[str, tuple[str, dict[str, str], set[str], str, str, str]] = {
    "submit": ("submit", {}, {"owner", "editor"}, "draft", "in_review", "submitted for review"),
    "request_changes": (
        "request-changes",
        {"changes": "Cite the court order."},
        {"owner", "reviewer"},
        "in_review",
        "draft",
        "changes requested",
    ),
    "approve": (
        "approve",
        {"position": "Legal adviser", "statement": "I approve."},
        {"owner", "reviewer"},
        "in_review",
        "approved",
        "approved",
    ),
    "issue": ("issue", {"reassess_by": FAR.isoformat()}, {"owner"}, "approved", "issued", "issued"),
    "reassess": ("reassess", {}, {"owner", "editor"}, "issued", "draft", "reassessment opened"),
}


@dataclass
class Team:
    browsers: dict[str, Browser]
    sessions: sessionmaker[Session]

    def user(self, session: Session, email: str) -> User:
        return session.scalars(select(User).where(User.email == email)).one()

    def assessment_in(self, status: str) -> str:
        """A complete assessment, imported by the editor and taken to ``status``
        (approved by the second reviewer, issued by the owner)."""
        document = load_document(EXAMPLE.read_bytes(), BANK)
        with transaction(self.sessions) as session:
            organisation = session.scalars(select(Organisation)).one()
            editor = self.user(session, "editor@example.org")
            assessment = import_document(session, organisation, document, editor)
            steps = STATUSES.index(status)
            if steps >= 1:
                submit_for_review(session, BANK, assessment, editor)
            if steps >= 2:
                second = self.user(session, "reviewer2@example.org")
                approve(session, assessment, second, "Legal adviser", "I approve.")
            if steps >= 3:
                owner = self.user(session, "owner@example.org")
                issue(session, assessment, owner, FAR, TODAY)
            return assessment.uuid

    def stored(self, assessment_id: str) -> tuple[str, int, list[str]]:
        """Status, revision and event actions of the assessment."""
        with self.sessions() as session:
            assessment = get_by_uuid(session, assessment_id)
            return assessment.status, assessment.revision, [e.action for e in assessment.events]


@pytest.fixture
def team(app: Flask, make_browser: Any, signup: Any) -> Team:
    """An organisation with an owner (Ana), an editor, two reviewers and a
    viewer, each signed in with a browser of their own."""
    owner = signup(make_browser(), "owner@example.org", "Watchdog")
    sessions: sessionmaker[Session] = app.extensions["assessment"]["sessions"]
    members = {"editor": Role.EDITOR, "reviewer": Role.REVIEWER, "reviewer2": Role.REVIEWER}
    members["viewer"] = Role.VIEWER
    with transaction(sessions) as session:
        organisation = session.scalars(select(Organisation)).one()
        for name, role in members.items():
            email = f"{name}@example.org"
            add_user(session, organisation, name.capitalize(), email, TEST_PASSWORD, role)
    browsers = {"owner": owner}
    for name in members:
        browser = make_browser()
        reply = browser.post(
            "/login", {"email": f"{name}@example.org", "password": TEST_PASSWORD}, page="/login"
        )
        assert reply.status_code == 302
        browsers[name] = browser
    return Team(browsers, sessions)


def _text(response: Any) -> str:
    page = response.get_data(as_text=True)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# --- every step, from every status, by every role ------------------------------------


@pytest.mark.parametrize("status", STATUSES)
def test_every_step_from_every_status_by_every_role(team: Team, status: str) -> None:
    """403 without the permission; 409 with a clear page when the status does
    not allow the step (on the confirmation page and on its POST), nothing
    changed; otherwise the step is taken, the revision raised by one and an
    event recorded."""
    for action, (path, form, holders, start, end, event) in ACTIONS.items():
        for role in ROLES:
            assessment_id = team.assessment_in(status)
            before, revision, events = team.stored(assessment_id)
            browser = team.browsers[role]
            url = f"/assessments/{assessment_id}/{path}"
            where = f"{role} {action} from {status}"
            page = browser.get(url)
            posted = browser.post(url, form, page="/")
            after = team.stored(assessment_id)
            if role not in holders:
                assert (page.status_code, posted.status_code) == (403, 403), where
                assert after == (before, revision, events), where
            elif status != start:
                assert (page.status_code, posted.status_code) == (409, 409), where
                for refused in (page, posted):
                    said = _text(refused)
                    assert "This step is not possible now" in said, where
                    assert "only an assessment that is" in said or "already been" in said, where
                assert after == (before, revision, events), where
            else:
                assert page.status_code == 200, where
                assert posted.status_code == 302, (where, _text(posted)[:500])
                assert after == (end, revision + 1, [*events, event]), where


def test_the_review_page_offers_each_role_its_next_step(team: Team) -> None:
    offered = {
        "draft": {"owner": "Submit for review", "editor": "Submit for review"},
        "in_review": {"owner": "Approve", "reviewer": "Approve"},
        "approved": {"owner": "Issue"},
        "issued": {"owner": "Open a reassessment", "editor": "Open a reassessment"},
    }
    paths = {"Submit for review": "submit", "Approve": "approve", "Issue": "issue"}
    paths["Open a reassessment"] = "reassess"
    for status in STATUSES:
        assessment_id = team.assessment_in(status)
        for role in ROLES:
            page = team.browsers[role].get(f"/assessments/{assessment_id}/review")
            body = page.get_data(as_text=True)
            for label, path in paths.items():
                link = f'href="/assessments/{assessment_id}/{path}">{label}</a>'
                assert (link in body) == (offered[status].get(role) == label), (status, role, label)


# --- no self-approval ---------------------------------------------------------------


def _save_operator(browser: Browser, assessment_id: str, value: str) -> None:
    """Change the operator's answer on its page, the page's other answers as they are."""
    url = f"/assessments/{assessment_id}/sections/{SECTION}"
    reader = FormReader()
    reader.feed(browser.get(url).get_data(as_text=True))
    fields = [(k, v) for k, v in reader.main_form() if k not in (field_name(OPERATOR), "action")]
    fields += [(field_name(OPERATOR), value), ("action", "continue")]
    reply = browser.client.post(url, data=MultiDict(fields))
    assert reply.status_code == 302, _text(reply)[:500]


def test_a_reviewer_who_saved_an_answer_in_this_round_cannot_approve(team: Team) -> None:
    """The owner (who may review) saves an answer; the editor changes it
    again and submits: the owner still cannot approve, another reviewer can."""
    assessment_id = team.assessment_in("draft")
    _save_operator(team.browsers["owner"], assessment_id, "Owner's wording")
    _save_operator(team.browsers["editor"], assessment_id, "Editor's wording")
    with team.sessions() as session:  # no answer is stored as the owner's any more
        owner = team.user(session, "owner@example.org")
        assert (
            session.scalar(select(AnswerRecord.id).where(AnswerRecord.updated_by_id == owner.id))
            is None
        )
    submit = f"/assessments/{assessment_id}/submit"
    assert team.browsers["editor"].post(submit, {}, page=submit).status_code == 302
    approve_url = f"/assessments/{assessment_id}/approve"
    form = {"position": "Director", "statement": "I approve."}
    for refused in (
        team.browsers["owner"].get(approve_url),
        team.browsers["owner"].post(approve_url, form, page="/"),
    ):
        assert refused.status_code == 409
        assert "You saved answers of this assessment in the current round" in _text(refused)
    assert team.stored(assessment_id)[0] == "in_review"
    # the same owner may still send it back, and another reviewer may approve
    reply = team.browsers["reviewer"].post(approve_url, form, page=approve_url)
    assert reply.status_code == 302
    assert team.stored(assessment_id)[0] == "approved"


def test_the_editor_who_imported_it_cannot_approve_but_may_after_a_new_round(team: Team) -> None:
    """Import counts as saving the answers; a reassessment starts a new round,
    in which the owner who issued (and never edited) may approve again, and
    one who edited in an earlier round only may too."""
    assessment_id = team.assessment_in("issued")
    with transaction(team.sessions) as session:
        assessment = get_by_uuid(session, assessment_id)
        editor = team.user(session, "editor@example.org")
        owner = team.user(session, "owner@example.org")
        editor.role = Role.OWNER  # an editor made owner: may review, but edited this round
        session.flush()
    reassess = f"/assessments/{assessment_id}/reassess"
    assert team.browsers["owner"].post(reassess, {}, page=reassess).status_code == 302
    _save_operator(team.browsers["owner"], assessment_id, "Changed in round two")
    with transaction(team.sessions) as session:
        assessment = get_by_uuid(session, assessment_id)
        owner = team.user(session, "owner@example.org")
        submit_for_review(session, BANK, assessment, owner)
    approve_url = f"/assessments/{assessment_id}/approve"
    form = {"position": "Director", "statement": "I approve."}
    # the former editor edited only in round one: may approve round two
    assert team.browsers["editor"].get(approve_url).status_code == 200
    assert team.browsers["owner"].get(approve_url).status_code == 409  # edited round two
    assert team.browsers["editor"].post(approve_url, form, page=approve_url).status_code == 302


# --- requested changes --------------------------------------------------------------


def test_requested_changes_are_recorded_and_shown_to_the_editors(team: Team) -> None:
    assessment_id = team.assessment_in("in_review")
    url = f"/assessments/{assessment_id}/request-changes"
    empty = team.browsers["reviewer"].post(url, {"changes": "   "}, page=url)
    assert empty.status_code == 422
    assert team.stored(assessment_id)[0] == "in_review"
    asked = "Name the <b>court</b> that authorised\nthe cameras."
    reply = team.browsers["reviewer"].post(url, {"changes": asked}, page=url)
    assert reply.status_code == 302
    status, _, events = team.stored(assessment_id)
    assert (status, events[-1]) == ("draft", "changes requested")
    with team.sessions() as session:
        [review] = session.scalars(select(Review)).all()
        assert (review.decision, review.text, review.reviewer_name) == (
            "changes_requested",
            asked,
            "Reviewer",
        )
        detail = session.scalars(select(AssessmentEvent.detail)).all()
        assert all("court" not in d for d in detail)  # the text is not in the event log
    for page in (
        f"/assessments/{assessment_id}/review",
        f"/assessments/{assessment_id}/sections/{SECTION}",
    ):
        body = team.browsers["editor"].get(page).get_data(as_text=True)
        assert "Changes requested" in body
        assert "Name the &lt;b&gt;court&lt;/b&gt; that authorised\nthe cameras." in body
    # fixed and submitted again: the request is no longer shown as pending
    _save_operator(team.browsers["editor"], assessment_id, "Moscow police (court order named)")
    submit = f"/assessments/{assessment_id}/submit"
    assert team.browsers["editor"].post(submit, {}, page=submit).status_code == 302
    body = (
        team.browsers["editor"].get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    )
    assert "Changes requested" not in body


def test_approval_needs_a_position_and_keeps_what_was_typed(team: Team) -> None:
    assessment_id = team.assessment_in("in_review")
    url = f"/assessments/{assessment_id}/approve"
    page = team.browsers["reviewer"].get(url).get_data(as_text=True)
    assert "I have reviewed this assessment and approve it" in page  # the default statement
    reply = team.browsers["reviewer"].post(
        url, {"position": "", "statement": "My own words"}, page=url
    )
    assert reply.status_code == 422
    body = reply.get_data(as_text=True)
    assert "My own words" in body
    assert "This field is required" in body
    assert team.stored(assessment_id)[0] == "in_review"


def test_issue_needs_a_reassessment_date_after_today(team: Team) -> None:
    assessment_id = team.assessment_in("approved")
    url = f"/assessments/{assessment_id}/issue"
    page = team.browsers["owner"].get(url).get_data(as_text=True)
    assert re.search(r'name="reassess_by" required type="date" value="\d{4}-\d{2}-\d{2}"', page)
    for typed, said in (
        ("2001-01-01", "The reassessment date must be after today."),
        ("2200-01-01", "The reassessment date must be within ten years."),
        ("next year", "Give the reassessment date as YYYY-MM-DD."),
    ):
        reply = team.browsers["owner"].post(url, {"reassess_by": typed}, page=url)
        assert reply.status_code == 422, typed
        assert said in _text(reply) or "Not a valid date value" in _text(reply), typed
        assert f'value="{typed}"' in reply.get_data(as_text=True), typed
    assert team.stored(assessment_id)[0] == "approved"


def test_one_year_after() -> None:
    assert one_year_after(dt.date(2026, 3, 1)) == dt.date(2027, 3, 1)
    assert one_year_after(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


# --- issued: immutable; reassessment --------------------------------------------------


def test_an_issued_assessment_cannot_change(team: Team) -> None:
    assessment_id = team.assessment_in("issued")
    status, revision, events = team.stored(assessment_id)
    url = f"/assessments/{assessment_id}/sections/{SECTION}"
    for role in ("owner", "editor"):
        reply = team.browsers[role].post(
            url, {field_name(OPERATOR): "Changed after issue"}, page=url
        )
        assert reply.status_code == 409
        assert "This assessment has been issued and can no longer be changed" in _text(reply)
        assert 'value="Changed after issue"' in reply.get_data(as_text=True)  # kept on the page
    for path, form in (
        ("submit", {}),
        ("request-changes", {"changes": "x"}),
        ("approve", {"position": "p", "statement": "s"}),
        ("issue", {"reassess_by": FAR.isoformat()}),
    ):
        assert (
            team.browsers["owner"]
            .post(f"/assessments/{assessment_id}/{path}", form, page="/")
            .status_code
            == 409
        )
    assert team.stored(assessment_id) == (status, revision, events)
    with team.sessions() as session:
        values = session.scalars(
            select(AnswerRecord.value).where(AnswerRecord.question_id == OPERATOR)
        ).all()
        assert "Changed after issue" not in values


def test_a_reassessment_starts_from_the_issued_answers_which_stay_retrievable(team: Team) -> None:
    assessment_id = team.assessment_in("issued")
    with team.sessions() as session:
        assessment = get_by_uuid(session, assessment_id)
        issued_revision = assessment.revision
        issued_answers = {a.question_id: a.value for a in assessment.answers}
        [kept] = session.scalars(select(IssuedRevision)).all()
        assert kept.revision == issued_revision
        assert kept.document == to_data(to_document(assessment))
        assert kept.document["assessment"]["status"] == "issued"
        assert kept.document["assessment"]["sign_off"]["position"] == "Legal adviser"
    reassess = f"/assessments/{assessment_id}/reassess"
    assert team.browsers["editor"].post(reassess, {}, page=reassess).status_code == 302
    with team.sessions() as session:
        assessment = get_by_uuid(session, assessment_id)
        assert (assessment.status, assessment.revision) == ("draft", issued_revision + 1)
        assert assessment.round_start_revision == issued_revision + 1
        assert {a.question_id: a.value for a in assessment.answers} == issued_answers
        assert to_document(assessment).sign_off is None  # the new round is not signed off
    _save_operator(team.browsers["editor"], assessment_id, "Changed in the reassessment")
    exported = team.browsers["viewer"].get(
        f"/assessments/{assessment_id}/issued/{issued_revision}.json"
    )
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    as_issued = {a["question"]: a["value"] for a in json.loads(exported.data)["answers"]}
    assert as_issued == issued_answers
    assert as_issued[OPERATOR] != "Changed in the reassessment"
    review = (
        team.browsers["viewer"].get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    )
    assert f"/assessments/{assessment_id}/issued/{issued_revision}.json" in review
    missing = team.browsers["viewer"].get(
        f"/assessments/{assessment_id}/issued/{issued_revision + 1}.json"
    )
    assert missing.status_code == 404


# --- the sign-off on the report's cover ------------------------------------------------


def _cover(session: Session, assessment_id: str) -> str:
    page = render_html(build_report_context(BANK, to_document(get_by_uuid(session, assessment_id))))
    cover = page.split('<nav class="toc">')[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cover)).split())


def test_the_sign_off_is_on_the_cover_of_the_report(team: Team) -> None:
    assessment_id = team.assessment_in("in_review")
    with team.sessions() as session:
        cover = _cover(session, assessment_id)
    assert "Not signed off: no reviewer has approved this revision." in cover
    assert "Status In review" in cover
    url = f"/assessments/{assessment_id}/approve"
    statement = 'I approve this "assessment" <as> reviewed.'
    reply = team.browsers["reviewer"].post(
        url, {"position": "Head of research", "statement": statement}, page=url
    )
    assert reply.status_code == 302
    with team.sessions() as session:
        approved_at = session.scalars(select(Review.at)).one()
        cover = _cover(session, assessment_id)
        raw = render_html(
            build_report_context(BANK, to_document(get_by_uuid(session, assessment_id)))
        )
    day = approved_at.date().isoformat()
    assert (
        f"Sign-off Approved by Reviewer Position Head of research Date {day} Statement {statement}"
        in cover
    )
    assert "Status Approved" in cover
    assert "&lt;as&gt;" in raw  # escaped
    assert "<as>" not in raw
    issued = f"/assessments/{assessment_id}/issue"
    assert (
        team.browsers["owner"]
        .post(issued, {"reassess_by": FAR.isoformat()}, page=issued)
        .status_code
        == 302
    )
    with team.sessions() as session:
        cover = _cover(session, assessment_id)
    assert "Status Issued" in cover
    assert "Approved by Reviewer" in cover
    assert "answers may still change" not in cover


# --- reassessment dates on the dashboard -----------------------------------------------


def test_reassessment_state() -> None:
    today = dt.date(2026, 3, 1)
    assert reassessment_state(None, today) is None
    assert reassessment_state(dt.date(2026, 2, 28), today) == "overdue"
    assert reassessment_state(today, today) == "due"
    assert reassessment_state(dt.date(2026, 3, 31), today) == "due"
    assert reassessment_state(dt.date(2026, 4, 1), today) is None


def test_the_dashboard_shows_due_and_overdue_reassessments(team: Team) -> None:
    today = dt.datetime.now(dt.UTC).date()
    dates = {  # far from the thresholds, so the day the test runs on does not matter
        "Overdue one": today - dt.timedelta(days=40),
        "Due one": today + dt.timedelta(days=10),
        "Later one": today + dt.timedelta(days=300),
    }
    ids = {title: team.assessment_in("issued") for title in dates}
    with transaction(team.sessions) as session:
        for title, due in dates.items():
            assessment = get_by_uuid(session, ids[title])
            assessment.title = title
            assessment.reassess_by = due
    team.assessment_in("draft")
    _, tables = read_page(team.browsers["viewer"].get("/").get_data(as_text=True))
    listing = table(tables, "4 assessments")
    rows = {row[0]: row for row in listing.rows}
    column = listing.header_rows[0].index("Reassessment due")
    assert rows["Overdue one"][column] == f"{dates['Overdue one'].isoformat()} Overdue"
    assert rows["Due one"][column] == f"{dates['Due one'].isoformat()} Due"
    assert rows["Later one"][column] == dates["Later one"].isoformat()
    others = [row for title, row in rows.items() if title not in dates]
    assert [row[column] for row in others] == ["Not set"]
    assert {rows[t][listing.header_rows[0].index("Status")] for t in dates} == {"Issued"}
    filtered = team.browsers["viewer"].get("/?status=issued").get_data(as_text=True)
    issued_only = table(read_page(filtered)[1], "3 assessments matching the search and filters")
    assert {row[0] for row in issued_only.rows} == set(dates)


# --- migration ----------------------------------------------------------------------------


def test_submitted_assessments_go_to_review_and_back(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0008")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with blank_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisations (id, name, created_at) VALUES (1, 'O', :now)"),
            {"now": now},
        )
        for number, status in ((1, "draft"), (2, "submitted")):
            connection.execute(
                text(
                    "INSERT INTO assessments (id, uuid, organisation_id, title, programme, status,"
                    " bank_id, bank_version, language, revision, created_at, updated_at)"
                    " VALUES (:id, :uuid, 1, 'T', 'P', :status, 'b', '1', 'en', 3, :now, :now)"
                ),
                {
                    "id": number,
                    "uuid": f"00000000-0000-0000-0000-00000000000{number}",
                    "status": status,
                    "now": now,
                },
            )
    upgrade(blank_engine, "0012")
    with blank_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, round_start_revision, reassess_by FROM assessments ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [("draft", 0, None), ("in_review", 0, None)]
    with blank_engine.begin() as connection:
        connection.execute(text("UPDATE assessments SET status = 'issued' WHERE id = 1"))
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    with blank_engine.connect() as connection:
        statuses = connection.execute(text("SELECT status FROM assessments ORDER BY id")).scalars()
        assert list(statuses) == ["submitted", "submitted"]


def test_request_changes_and_approve_refuse_bad_text(team: Team) -> None:
    """The services check what the forms check, for callers other than the forms."""
    assessment_id = team.assessment_in("in_review")
    with team.sessions() as session:
        assessment = get_by_uuid(session, assessment_id)
        reviewer = team.user(session, "reviewer@example.org")
        with pytest.raises(ValueError, match="Say what should change"):
            request_changes(session, assessment, reviewer, " ")
        with pytest.raises(ValueError, match="Give your position"):
            approve(session, assessment, reviewer, "", "I approve.")
        with pytest.raises(ValueError, match="Give the statement"):
            approve(session, assessment, reviewer, "Director", "  ")
        session.rollback()
    assert team.stored(assessment_id)[0] == "in_review"
    with team.sessions() as session:
        assert session.scalar(select(Assessment.status)) == "in_review"
