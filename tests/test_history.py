"""Answer history: every saved value is kept with who, when and what, in the
save's own transaction; two revisions compared (answers, verdicts, level,
recommendation) on a page; the report's "Changes since the last issued
report"; the audit log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from sqlalchemy import select, update

from assessment.db import transaction
from assessment.models import (
    AnswerRecord,
    AnswerRevision,
    Assessment,
    AssessmentEvent,
    IssuedRevision,
    User,
)
from assessment.services import assessments as assessments_service
from assessment.services.assessments import answers_of, get_by_uuid
from assessment.services.history import answers_at, last_issued_revision
from tests.helpers import BANK
from tests.history_helpers import (
    LEGAL_BASIS,
    LEGALITY,
    Team,
    make_team,
    page_text,
    report_text,
    save_section,
)
from tests.html_text import read_page

BASIS_FIELD = f"q-{LEGAL_BASIS}"


@pytest.fixture
def team(app: Flask, make_browser, signup) -> Team:  # type: ignore[no-untyped-def]
    return make_team(app, make_browser, signup)


def _rows(app: Flask, assessment_id: str, question_id: str) -> list[AnswerRevision]:
    with app.extensions["assessment"]["sessions"]() as session:
        assessment = get_by_uuid(session, assessment_id)
        return list(
            session.scalars(
                select(AnswerRevision)
                .where(
                    AnswerRevision.assessment_id == assessment.id,
                    AnswerRevision.question_id == question_id,
                )
                .order_by(AnswerRevision.id)
            )
        )


def _repeal(app: Flask, team: Team, role: str = "editor") -> int:
    """``role`` saves the legality section with the legal basis now "no"."""
    return save_section(
        app,
        team.members[role],
        team.assessment_id,
        LEGALITY,
        {
            BASIS_FIELD: "no",
            f"{BASIS_FIELD}-note": "The bylaw was repealed in March.",
            f"{BASIS_FIELD}-source": "Official gazette, repeal notice",
            f"{BASIS_FIELD}-confidence": "confirmed",
        },
    )


def test_every_saved_value_is_kept_with_who_when_and_what(app: Flask, team: Team) -> None:
    assert _repeal(app, team) == 302
    rows = _rows(app, team.assessment_id, LEGAL_BASIS)
    assert [r.value for r in rows] == ["yes", "no"]  # the imported value, then the saved one
    saved = rows[-1]
    assert (saved.note, saved.source, saved.confidence) == (
        "The bylaw was repealed in March.",
        "Official gazette, repeal notice",
        "confirmed",
    )
    with app.extensions["assessment"]["sessions"]() as session:
        assessment = get_by_uuid(session, team.assessment_id)
        record = next(a for a in assessment.answers if a.question_id == LEGAL_BASIS)
        editor = session.scalars(select(User).where(User.email == "editor@example.org")).one()
        assert saved.saved_by_id == editor.id
        assert saved.revision == record.revision == assessment.revision
        assert saved.saved_at == record.updated_at
        # the answers of the current revision, read back from the history alone
        assert answers_at(session, assessment, assessment.revision) == answers_of(assessment)
        # and those of revision 1: the imported ones
        assert answers_at(session, assessment, 1)[LEGAL_BASIS].value == "yes"

    # clearing an answer is kept too
    assert (
        save_section(app, team.members["editor"], team.assessment_id, LEGALITY, {BASIS_FIELD: ""})
        == 302
    )
    cleared = _rows(app, team.assessment_id, LEGAL_BASIS)[-1]
    assert cleared.cleared
    assert cleared.value is None
    with app.extensions["assessment"]["sessions"]() as session:
        assessment = get_by_uuid(session, team.assessment_id)
        assert LEGAL_BASIS not in answers_at(session, assessment, assessment.revision)
        assert answers_at(session, assessment, assessment.revision) == answers_of(assessment)


def _stored_state(app: Flask, assessment_id: str) -> tuple[int, object, int]:
    with app.extensions["assessment"]["sessions"]() as session:
        assessment = get_by_uuid(session, assessment_id)
        value = next(a.value for a in assessment.answers if a.question_id == LEGAL_BASIS)
        count = len(
            list(
                session.scalars(
                    select(AnswerRevision.id).where(AnswerRevision.assessment_id == assessment.id)
                )
            )
        )
        return assessment.revision, value, count


def test_history_rows_and_the_save_commit_together_or_not_at_all(
    app: Flask, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _stored_state(app, team.assessment_id)

    # The save fails after its history rows were added: neither is stored.
    def failing_event(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the event could not be written")

    monkeypatch.setattr(assessments_service, "_record", failing_event)
    with pytest.raises(RuntimeError):
        _repeal(app, team)
    assert _stored_state(app, team.assessment_id) == before
    monkeypatch.undo()

    # The history row cannot be written (NOT NULL violated at the flush): the
    # answer is not stored either.
    real_keep = assessments_service.keep_history

    def broken_history(session, assessment, record, **kwargs):  # type: ignore[no-untyped-def]
        real_keep(session, assessment, record, **kwargs)
        session.add(AnswerRevision(assessment_id=assessment.id, question_id=None, revision=0))

    monkeypatch.setattr(assessments_service, "keep_history", broken_history)
    with pytest.raises(Exception, match=r"(?i)null|constraint"):
        _repeal(app, team)
    assert _stored_state(app, team.assessment_id) == before
    monkeypatch.undo()

    # Working normally, both are stored in one commit.
    assert _repeal(app, team) == 302
    revision, value, count = _stored_state(app, team.assessment_id)
    assert (revision, value, count) == (before[0] + 1, "no", before[2] + 1)


def test_the_comparison_shows_a_changed_answer_verdict_level_and_recommendation(
    app: Flask, team: Team
) -> None:
    assert _repeal(app, team) == 302
    viewer = team.members["viewer"]  # members who only read may compare
    response = viewer.get(f"/assessments/{team.assessment_id}/changes?from=1&to=2")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    ids, tables = read_page(page)
    assert (ids["level-before"], ids["level-after"]) == ("I", "IV (changed)")
    assert ids["recommendation-before"] == "Proceed"
    assert ids["recommendation-after"].startswith("Suspend the programme")
    steps = next(t for t in tables if t.labelledby == "steps-changes")
    legality = next(r for r in steps.rows if r[0] == "Legality")
    assert legality[1:] == ["Met", "Not met (changed)"]
    assert all(r[2].endswith("(changed)") is False for r in steps.rows if r[0] != "Legality")
    change = ids[f"change-{LEGAL_BASIS}"]
    question = BANK.question(LEGAL_BASIS).text.get_text("en")
    assert question in change
    assert "Yes" in change
    assert "No" in change
    assert "The bylaw was repealed in March." in change
    assert "Ed" in change  # who saved it last
    assert page.count('id="change-') == 1  # only the answer that changed

    # The form is a GET form with two revision selectors; the default compares
    # the first revision kept with the current one.
    assert re.search(r'<form method="get"', page)
    assert 'name="from"' in page
    assert 'name="to"' in page
    default = read_page(
        viewer.get(f"/assessments/{team.assessment_id}/changes").get_data(as_text=True)
    )[0]
    assert default["level-after"] == "IV (changed)"


def test_an_unknown_revision_is_named_and_the_selection_kept(app: Flask, team: Team) -> None:
    owner = team.members["owner"]
    response = owner.get(f"/assessments/{team.assessment_id}/changes?from=99&to=1")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Revision 99 does not exist" in page_text(page)
    assert '<option value="99" selected>' in page
    response = owner.get(f"/assessments/{team.assessment_id}/changes?from=abc")
    assert response.status_code == 422
    assert "“abc” is not a revision number." in page_text(response.get_data(as_text=True))


def test_history_before_the_migration_is_refused_clearly(app: Flask, team: Team) -> None:
    """An assessment that existed before the history was kept can be compared
    from its revision then on, not before."""
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        assessment = get_by_uuid(session, team.assessment_id)
        assessment.revision = 5
        session.execute(
            update(AnswerRevision)
            .where(AnswerRevision.assessment_id == assessment.id)
            .values(backfilled=True, revision=5)
        )
    response = team.members["owner"].get(f"/assessments/{team.assessment_id}/changes?from=4&to=5")
    assert response.status_code == 422
    assert "older than the answer history kept here, which starts at revision 5" in page_text(
        response.get_data(as_text=True)
    )


def _issue(app: Flask, assessment_id: str) -> int:
    """Record the current revision as issued, as the review workflow's issue
    step keeps it, leaving the assessment open (as a reassessment does)."""
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        assessment = get_by_uuid(session, assessment_id)
        session.add(
            AssessmentEvent(assessment=assessment, action="issued", revision=assessment.revision)
        )
        session.add(
            IssuedRevision(
                assessment_id=assessment.id,
                revision=assessment.revision,
                reassess_by=dt.date(2030, 1, 1),
                document={},
            )
        )
        return assessment.revision


def test_last_issued_revision_is_the_last_issue(app: Flask, team: Team) -> None:
    with app.extensions["assessment"]["sessions"]() as session:
        assert last_issued_revision(session, get_by_uuid(session, team.assessment_id)) is None
    first = _issue(app, team.assessment_id)
    _repeal(app, team)
    second = _issue(app, team.assessment_id)
    with app.extensions["assessment"]["sessions"]() as session:
        assessment = get_by_uuid(session, team.assessment_id)
        assert last_issued_revision(session, assessment) == second
        assert last_issued_revision(session, assessment, before=second) == first


def test_the_report_lists_the_changes_since_the_last_issued_report(app: Flask, team: Team) -> None:
    text = report_text(app, team.assessment_id, "full")
    section = text.split("Changes since the last issued report")[-1]
    assert "there is no earlier report to compare with" in section

    issued = _issue(app, team.assessment_id)
    assert _repeal(app, team) == 302
    question = BANK.question(LEGAL_BASIS).text.get_text("en")
    for edition in ("full", "public"):
        section = (
            report_text(app, team.assessment_id, edition)
            .split("Changes since the last issued report")[-1]
            .split("Appendix A.")[0]
        )
        assert (
            f"Compared with revision {issued}, the last issued report: 1 answer changed" in section
        )
        assert "Overall impact level I IV (changed)" in section
        assert "Legality Met Not met (changed)" in section
        assert question in section
        assert "Before: Yes" in section
        assert "Now: No" in section


def test_a_confidential_note_change_stays_out_of_the_public_changes(app: Flask, team: Team) -> None:
    _issue(app, team.assessment_id)
    save_section(
        app,
        team.members["editor"],
        team.assessment_id,
        LEGALITY,
        {f"{BASIS_FIELD}-note": "Informant inside the council", f"{BASIS_FIELD}-confidential": "y"},
    )
    assert "Informant inside the council" in report_text(app, team.assessment_id, "full")
    public = report_text(app, team.assessment_id, "public")
    assert "Informant inside the council" not in public


def test_the_audit_log_names_people_sections_and_days(app: Flask, team: Team) -> None:
    assert _repeal(app, team) == 302
    reviewer = team.members["reviewer"]
    question = BANK.question(LEGAL_BASIS).text.get_text("en")
    comments_url = f"/assessments/{team.assessment_id}/questions/{LEGAL_BASIS}/comments"
    assert (
        reviewer.post(comments_url, {"text": "Which repeal notice?"}, page=comments_url).status_code
        == 302
    )
    with transaction(
        app.extensions["assessment"]["sessions"]
    ) as session:  # the import: a day earlier
        assessment = get_by_uuid(session, team.assessment_id)
        session.execute(
            update(AssessmentEvent)
            .where(AssessmentEvent.assessment_id == assessment.id)
            .where(AssessmentEvent.action == "imported")
            .values(at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC))
        )
        session.execute(
            update(AssessmentEvent)
            .where(AssessmentEvent.assessment_id == assessment.id)
            .where(AssessmentEvent.action != "imported")
            .values(at=dt.datetime(2026, 3, 2, 14, 5, tzinfo=dt.UTC))
        )
    response = team.members["viewer"].get(f"/assessments/{team.assessment_id}/audit")
    assert response.status_code == 200
    text = page_text(response.get_data(as_text=True)).replace(" :", ":")
    legality = BANK.section(LEGALITY).title.get_text("en")
    assert f"Ed: Saved 1 answer in “{legality}” (revision 2)" in text
    assert f"Rita: Commented on “{question}” ({legality})" in text
    assert "Ana: Imported the assessment from an exchange file (revision 1)" in text
    # grouped by day, newest first
    assert (
        text.index("Monday 02 March 2026")
        < text.index("Rita: Commented")
        < text.index("Sunday 01 March 2026")
        < text.index("Ana: Imported")
    )
    assert LEGALITY not in text  # titles, not ids
    assert "Which repeal notice?" not in text  # and never what a comment says
    with app.extensions["assessment"]["sessions"]() as session:
        stored = session.scalars(select(Assessment)).one()
        assert stored.revision == 2  # a comment makes no revision
        assert (
            session.scalars(select(AnswerRecord).where(AnswerRecord.question_id == LEGAL_BASIS))
            .one()
            .value
            == "no"
        )


def test_another_organisation_gets_404_on_history_pages(
    app: Flask, team: Team, make_browser, signup
) -> None:  # type: ignore[no-untyped-def]
    intruder = signup(make_browser(), "eve@example.org", "Elsewhere")
    for path in ("changes", "changes?from=1&to=1", "audit"):
        assert intruder.get(f"/assessments/{team.assessment_id}/{path}").status_code == 404
