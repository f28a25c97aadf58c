"""Requests that change the same thing at the same moment, through a real
threaded server: every request has its own thread, database connection and
transaction, and a barrier releases the racing requests together.

Each case runs many trials, because one race can come out right by luck.
The promise checked (README, "Simultaneous changes"): a save is never lost
silently, nothing is stored after submission, an assessment is submitted
once, a report holds one revision, a revoked link records no later use, and
a double sign-up or download leaves one record and no error.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from assessment.access import limiter
from assessment.config import PROJECT_ROOT
from assessment.engine.document import AssessmentDocument, canonical_json, load_document
from assessment.forms import field_name
from assessment.models import (
    AnswerRecord,
    Assessment,
    AssessmentEvent,
    Organisation,
    ReportRevision,
    Review,
    Role,
    ShareLink,
    User,
    as_utc,
)
from assessment.report import pool
from assessment.report.render import RenderedReport
from assessment.services import passwords
from assessment.services.accounts import add_user
from assessment.services.assessments import (
    SubmittedAnswer,
    get_by_uuid,
    import_document,
    save_answers,
)
from assessment.services.reports import request_report, signing_files
from assessment.services.shares import create_link
from assessment.services.workflow import submit_for_review
from tests.conftest import TEST_PASSWORD
from tests.helpers import BANK
from tests.html_text import FormReader

TRIALS = 12
SHARE_TRIALS = 20  # the window of this race is narrow: more trials to catch it
OPERATOR = "scope.operator"
SECTION = "scoping.programme"
EXAMPLE = PROJECT_ROOT / "assessment" / "examples" / "moscow_cameras.json"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    html: str


class Member:
    """One signed-in person's browser: its own cookies, real HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )
        self.last_html = ""

    def send(self, path: str, body: bytes | None) -> Reply:
        """POST ``body``, or GET when it is ``None``; redirects are not followed."""
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - local server
        try:
            with self.opener.open(request, timeout=60) as response:
                reply = Reply(response.status, response.read().decode("utf-8", errors="replace"))
        except urllib.error.HTTPError as error:
            with error:
                reply = Reply(error.code, error.read().decode("utf-8", errors="replace"))
        return reply

    def get(self, path: str) -> Reply:
        reply = self.send(path, None)
        assert reply.status == 200, (path, reply.status)
        self.last_html = reply.html
        return reply

    def form(self, data: dict[str, Any]) -> bytes:
        """The last page's main form as a browser would send it, with the
        fields in ``data`` changed, encoded."""
        reader = FormReader()
        reader.feed(self.last_html)
        fields = [(name, value) for name, value in reader.main_form() if name not in data]
        for name, value in data.items():
            fields.extend((name, v) for v in (value if isinstance(value, list) else [value]))
        assert any(name == "csrf_token" for name, _ in fields), "no CSRF token on the last page"
        return urllib.parse.urlencode(fields).encode("utf-8")

    def post(self, path: str, body: bytes) -> Reply:
        return self.send(path, body)


def race(*requests: tuple[Member, str, bytes | None]) -> list[Reply]:
    """Send each (member, path, body) from its own thread (a GET when body is
    ``None``), all released together by a barrier; the replies in order."""
    barrier = threading.Barrier(len(requests))
    replies: list[Reply | None] = [None] * len(requests)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        member, path, body = requests[index]
        try:
            barrier.wait(timeout=30)
            replies[index] = member.send(path, body)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not failures, failures
    return [r for r in replies if r is not None]


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing up and in is set-up here, not what is tested: hash cheaply."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[tuple[AssessmentDocument, Any]]:
    """Reports "rendered" without WeasyPrint: the file is the document's JSON.
    What each render was given is listed here."""
    renders: list[tuple[AssessmentDocument, Any]] = []

    def fake_render(_bank: Any, document: AssessmentDocument, **kwargs: Any) -> RenderedReport:
        renders.append((document, kwargs["history"]))
        pdf = canonical_json(document)
        return RenderedReport(pdf, hashlib.sha256(pdf).hexdigest())

    monkeypatch.setattr(pool, "render_report", fake_render)
    # not a PDF, so not signed: signing is tested in tests/test_verify.py and test_signing.py
    monkeypatch.setattr(pool, "sign_report", lambda pdf, _files, location=None: pdf)
    return renders


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def sessions(app: Flask) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = app.extensions["assessment"]["sessions"]
    return factory


@pytest.fixture
def members(live_server: str, sessions: sessionmaker[Session]) -> tuple[Member, Member]:
    """Two members of one organisation, signed in."""
    ana = Member(live_server)
    ana.get("/signup")
    details = {"organisation": "Watchdog", "name": "Ana", "email": "ana@example.org"}
    signed_up = ana.post("/signup", ana.form({**details, "password": TEST_PASSWORD}))
    assert signed_up.status == 302
    with sessions() as session:
        organisation = session.scalars(select(Organisation)).one()
        add_user(session, organisation, "Boris", "boris@example.org", TEST_PASSWORD)
        session.commit()
    boris = Member(live_server)
    boris.get("/login")
    logged_in = boris.post(
        "/login", boris.form({"email": "boris@example.org", "password": TEST_PASSWORD})
    )
    assert logged_in.status == 302
    return ana, boris


def _drafts(sessions: sessionmaker[Session], count: int) -> list[str]:
    """``count`` complete draft assessments (ready to submit) of the organisation."""
    document = load_document(EXAMPLE.read_bytes(), BANK)
    with sessions() as session:
        organisation = session.scalars(select(Organisation)).one()
        ids = [import_document(session, organisation, document).uuid for _ in range(count)]
        session.commit()
    return ids


def _section(assessment_id: str) -> str:
    return f"/assessments/{assessment_id}/sections/{SECTION}"


def _stored_operator(session: Session, assessment_id: str) -> Any:
    return session.scalar(
        select(AnswerRecord.value)
        .join(Assessment)
        .where(Assessment.uuid == assessment_id, AnswerRecord.question_id == OPERATOR)
    )


def _events(session: Session, assessment_id: str, action: str) -> list[AssessmentEvent]:
    return list(
        session.scalars(
            select(AssessmentEvent)
            .join(Assessment)
            .where(Assessment.uuid == assessment_id, AssessmentEvent.action == action)
            .order_by(AssessmentEvent.id)
        )
    )


def test_simultaneous_saves_of_one_answer_one_wins_one_is_refused(
    members: tuple[Member, Member], sessions: sessionmaker[Session]
) -> None:
    """Both load the page at the same revision and save different values for
    the same answer at once: one is stored, the other gets the conflict page
    with what its author typed still in the field."""
    ana, boris = members
    [assessment_id] = _drafts(sessions, 1)
    url = _section(assessment_id)
    problems = []
    for trial in range(TRIALS):
        typed = {ana: f"Police unit {trial}", boris: f"City IT department {trial}"}
        bodies = {}
        for member in (ana, boris):
            member.get(url)
            bodies[member] = member.form(
                {field_name(OPERATOR): typed[member], "action": "continue"}
            )
        replies = race((ana, url, bodies[ana]), (boris, url, bodies[boris]))
        statuses = sorted(r.status for r in replies)
        if statuses != [302, 409]:
            problems.append(f"trial {trial}: {statuses}")
            continue
        winner, loser = (ana, boris) if replies[0].status == 302 else (boris, ana)
        refused = replies[1] if winner is ana else replies[0]
        assert "Someone else changed this answer" in refused.html
        assert f"it now reads: {typed[winner]}" in refused.html
        assert f'value="{typed[loser]}"' in refused.html
        with sessions() as session:
            assert _stored_operator(session, assessment_id) == typed[winner]
    assert not problems, f"{len(problems)} of {TRIALS} trials lost a save: {problems}"


def test_save_racing_submit_lands_before_it_or_is_refused(
    members: tuple[Member, Member], sessions: sessionmaker[Session]
) -> None:
    """A save and a submit at once: the save is either part of the submitted
    revision or refused with the user's text kept; never stored afterwards."""
    ana, boris = members
    problems = []
    for trial, assessment_id in enumerate(_drafts(sessions, TRIALS)):
        url = _section(assessment_id)
        typed = f"Changed at submission {trial}"
        ana.get(url)
        save_body = ana.form({field_name(OPERATOR): typed, "action": "continue"})
        boris.get(f"/assessments/{assessment_id}/submit")  # the confirmation page
        submit_body = boris.form({})
        saved, submitted = race(
            (ana, url, save_body),
            (boris, f"/assessments/{assessment_id}/submit", submit_body),
        )
        assert submitted.status == 302
        with sessions() as session:
            assessment = session.scalars(
                select(Assessment).where(Assessment.uuid == assessment_id)
            ).one()
            submit_events = _events(session, assessment_id, "submitted for review")
            if len(submit_events) != 1:
                problems.append(f"trial {trial}: {len(submit_events)} submitted events")
                continue
            submit_event = submit_events[0]
            save_events = _events(session, assessment_id, "answers saved")
            record = session.scalars(
                select(AnswerRecord).where(
                    AnswerRecord.assessment_id == assessment.id,
                    AnswerRecord.question_id == OPERATOR,
                )
            ).one()
            assert assessment.is_submitted
            assert assessment.submitted_at is not None
            after = as_utc(record.updated_at) > as_utc(assessment.submitted_at)
            if saved.status == 302:
                assert record.value == typed
                if (
                    after
                    or [e.revision for e in save_events] != [submit_event.revision - 1]
                    or save_events[0].id > submit_event.id
                    or assessment.revision != submit_event.revision
                ):
                    problems.append(f"trial {trial}: save stored after submission")
            elif saved.status == 409:
                assert "has been submitted and can no longer be changed: it is in review" in (
                    saved.html
                )
                assert f'value="{typed}"' in saved.html
                assert record.value != typed
                assert save_events == []
            else:
                problems.append(f"trial {trial}: save answered {saved.status}")
    assert not problems, f"{len(problems)} of {TRIALS} trials: {problems}"


def test_simultaneous_submits_submit_once(
    members: tuple[Member, Member], sessions: sessionmaker[Session]
) -> None:
    ana, boris = members
    problems = []
    for trial, assessment_id in enumerate(_drafts(sessions, TRIALS)):
        submit = f"/assessments/{assessment_id}/submit"
        bodies = {}
        for member in (ana, boris):
            member.get(submit)
            bodies[member] = member.form({})
        replies = race((ana, submit, bodies[ana]), (boris, submit, bodies[boris]))
        with sessions() as session:
            events = _events(session, assessment_id, "submitted for review")
        statuses = sorted(r.status for r in replies)
        if statuses != [302, 409] or len(events) != 1:
            problems.append(f"trial {trial}: {statuses}, {len(events)} events")
            continue
        refused = next(r for r in replies if r.status == 409)
        assert "already been submitted for review" in refused.html
    assert not problems, f"{len(problems)} of {TRIALS} trials: {problems}"


@pytest.fixture
def reviewers(
    members: tuple[Member, Member], live_server: str, sessions: sessionmaker[Session]
) -> tuple[Member, Member]:
    """Two reviewers of the organisation of ``members``, signed in."""
    signed_in = []
    with sessions() as session:
        organisation = session.scalars(select(Organisation)).one()
        for name in ("Rita", "Ravi"):
            email = f"{name.lower()}@example.org"
            add_user(session, organisation, name, email, TEST_PASSWORD, Role.REVIEWER)
        session.commit()
    for name in ("rita", "ravi"):
        member = Member(live_server)
        member.get("/login")
        reply = member.post(
            "/login", member.form({"email": f"{name}@example.org", "password": TEST_PASSWORD})
        )
        assert reply.status == 302
        signed_in.append(member)
    return signed_in[0], signed_in[1]


def _in_review(sessions: sessionmaker[Session], count: int) -> list[str]:
    """``count`` assessments in review that no reviewer edited."""
    ids = _drafts(sessions, count)
    with sessions() as session:
        editor = session.scalars(select(User).where(User.email == "boris@example.org")).one()
        for assessment_id in ids:
            submit_for_review(session, BANK, get_by_uuid(session, assessment_id), editor)
        session.commit()
    return ids


def _decisions(session: Session, assessment_id: str) -> list[Review]:
    return list(
        session.scalars(select(Review).join(Assessment).where(Assessment.uuid == assessment_id))
    )


def test_simultaneous_approvals_approve_once(
    reviewers: tuple[Member, Member], sessions: sessionmaker[Session]
) -> None:
    """Two reviewers approve at the same moment: one sign-off is recorded,
    the other reviewer gets 409 saying it is already approved."""
    rita, ravi = reviewers
    problems = []
    for trial, assessment_id in enumerate(_in_review(sessions, TRIALS)):
        approve = f"/assessments/{assessment_id}/approve"
        bodies = {}
        for member, position in ((rita, "Head of research"), (ravi, "Legal adviser")):
            member.get(approve)
            bodies[member] = member.form({"position": position})
        replies = race((rita, approve, bodies[rita]), (ravi, approve, bodies[ravi]))
        with sessions() as session:
            events = _events(session, assessment_id, "approved")
            decisions = _decisions(session, assessment_id)
            status = get_by_uuid(session, assessment_id).status
        statuses = sorted(r.status for r in replies)
        if statuses != [302, 409] or len(events) != 1 or len(decisions) != 1:
            problems.append(f"trial {trial}: {statuses}, {len(events)} events, {len(decisions)}")
            continue
        assert status == "approved"
        winner = rita if replies[0].status == 302 else ravi
        assert decisions[0].position == ("Head of research" if winner is rita else "Legal adviser")
        refused = next(r for r in replies if r.status == 409)
        assert "already been approved" in refused.html
    assert not problems, f"{len(problems)} of {TRIALS} trials: {problems}"


def test_approval_racing_a_request_for_changes_one_decision_stands(
    reviewers: tuple[Member, Member], sessions: sessionmaker[Session]
) -> None:
    """One reviewer approves while another requests changes: exactly one
    decision is taken and recorded, the status is the winner's, and the
    other gets 409."""
    rita, ravi = reviewers
    problems = []
    for trial, assessment_id in enumerate(_in_review(sessions, TRIALS)):
        approve = f"/assessments/{assessment_id}/approve"
        send_back = f"/assessments/{assessment_id}/request-changes"
        rita.get(approve)
        approval = rita.form({"position": "Head of research"})
        ravi.get(send_back)
        changes = ravi.form({"changes": f"Cite the court order ({trial})."})
        approved, sent_back = race((rita, approve, approval), (ravi, send_back, changes))
        with sessions() as session:
            decisions = _decisions(session, assessment_id)
            status = get_by_uuid(session, assessment_id).status
            events = _events(session, assessment_id, "approved") + _events(
                session, assessment_id, "changes requested"
            )
        statuses = sorted((approved.status, sent_back.status))
        if statuses != [302, 409] or len(decisions) != 1 or len(events) != 1:
            problems.append(f"trial {trial}: {statuses}, {len(decisions)} decisions")
            continue
        if approved.status == 302:
            assert (status, decisions[0].decision) == ("approved", "approved")
            assert "cannot be sent back with requested changes" in sent_back.html
        else:
            assert (status, decisions[0].decision) == ("draft", "changes_requested")
            assert "cannot be approved" in approved.html
    assert not problems, f"{len(problems)} of {TRIALS} trials: {problems}"


def test_use_racing_revocation_comes_before_it_or_is_refused(
    members: tuple[Member, Member], sessions: sessionmaker[Session], live_server: str
) -> None:
    """An auditor opens a link while a member revokes it: the auditor sees the
    page and the use is recorded before the revocation time, or is refused
    and nothing is recorded."""
    ana, _ = members
    [assessment_id] = _drafts(sessions, 1)
    with sessions() as session:
        assessment = session.scalars(select(Assessment)).one()
        user = session.scalars(select(User).where(User.email == "ana@example.org")).one()
        created = [create_link(session, assessment, user, 14, "full") for _ in range(SHARE_TRIALS)]
        links = [(new.link.id, new.token) for new in created]
        session.commit()
    auditor = Member(live_server)
    manage = f"/assessments/{assessment_id}/shares"
    problems = []
    for trial, (link_id, token) in enumerate(links):
        ana.get(manage)
        seen, revoked = race(
            (auditor, f"/s/{token}", None), (ana, f"{manage}/{link_id}/revoke", ana.form({}))
        )
        assert revoked.status == 303
        with sessions() as session:
            link = session.get(ShareLink, link_id)
            assert link is not None
            assert link.revoked_at is not None
            uses = [(use.count, as_utc(use.last_at)) for use in link.uses]
            revoked_at = as_utc(link.revoked_at)
        if seen.status == 200:
            if len(uses) != 1 or uses[0][0] != 1 or uses[0][1] > revoked_at:
                problems.append(f"trial {trial}: use recorded after the revocation")
        elif seen.status == 410:
            assert "revoked" in seen.html
            if uses:
                problems.append(f"trial {trial}: refused use recorded")
        else:
            problems.append(f"trial {trial}: link answered {seen.status}")
    assert not problems, f"{len(problems)} of {SHARE_TRIALS} trials: {problems}"


def test_simultaneous_downloads_record_the_report_once(
    members: tuple[Member, Member],
    sessions: sessionmaker[Session],
    rendered: list[tuple[AssessmentDocument, Any]],
) -> None:
    """Two members download the same (cached) report at once: both get it,
    and it is recorded as issued once."""
    ana, boris = members
    ana.get("/assessments/new")
    started = ana.post(
        "/assessments/new",
        ana.form({"title": "Cameras", "programme": "City", "programme_types": ["camera"]}),
    )
    assert started.status == 302
    with sessions() as session:
        assessment_id = session.scalars(select(Assessment.uuid)).one()
    pdf = f"/assessments/{assessment_id}/report.pdf"
    assert ana.send(pdf, None).status == 200
    assert len(rendered) == 1  # the trials read the cache
    problems = []
    for trial in range(TRIALS):
        with sessions() as session:
            session.execute(delete(ReportRevision))
            session.commit()
        replies = race((ana, pdf, None), (boris, pdf, None))
        with sessions() as session:
            recorded = session.scalar(select(func.count()).select_from(ReportRevision))
        statuses = [r.status for r in replies]
        if statuses != [200, 200] or recorded != 1:
            problems.append(f"trial {trial}: {statuses}, recorded {recorded} times")
    assert not problems, f"{len(problems)} of {TRIALS} trials: {problems}"


def test_report_is_built_from_one_revision(
    app: Flask,
    members: tuple[Member, Member],
    sessions: sessionmaker[Session],
    rendered: list[tuple[AssessmentDocument, Any]],
) -> None:
    """A save commits after a download has read the assessment but before it
    reads the answers: the report must not show the new answers under the old
    revision (the revision names the cached file and the issued record)."""
    [assessment_id] = _drafts(sessions, 1)
    extensions = app.extensions["assessment"]
    with sessions() as download:
        assessment = get_by_uuid(download, assessment_id)  # the row, at the first revision
        with sessions() as save:
            user = save.scalars(select(User).where(User.email == "ana@example.org")).one()
            saving = get_by_uuid(save, assessment_id)
            changed = {OPERATOR: SubmittedAnswer("Changed meanwhile")}
            save_answers(save, saving, user, changed, saving.revision, SECTION)
            save.commit()
        report = request_report(
            download,
            BANK,
            assessment,
            extensions["renderer"],
            extensions["config"].report_cache_dir,
            signing_files(extensions["config"]),
        )
        download.commit()
    assert report is not None
    [(document, history)] = rendered
    operator = document.answers_by_question()[OPERATOR].value
    assert (document.revision, operator) == (2, "Changed meanwhile")
    assert [entry.revision for entry in history] == [1, 2]
    with sessions() as session:
        assert session.scalar(select(ReportRevision.revision)) == 2


def test_simultaneous_signups_with_one_address_make_one_account(
    live_server: str, sessions: sessionmaker[Session]
) -> None:
    """A sign-up form sent twice at once (a double click): one workspace is
    created, the other request is told the address is taken."""
    problems = []
    for trial in range(TRIALS):
        limiter.reset()  # sign-ups from one address are throttled; that is not tested here
        browsers = [Member(live_server), Member(live_server)]
        details = {
            "organisation": f"Watchdog {trial}",
            "name": "Ana",
            "email": f"ana{trial}@example.org",
            "password": TEST_PASSWORD,
        }
        bodies = []
        for browser in browsers:
            browser.get("/signup")
            bodies.append(browser.form(details))
        replies = race(*((b, "/signup", body) for b, body in zip(browsers, bodies, strict=True)))
        with sessions() as session:
            users = session.scalar(
                select(func.count()).select_from(User).where(User.email == details["email"])
            )
            organisations = session.scalar(
                select(func.count())
                .select_from(Organisation)
                .where(Organisation.name == details["organisation"])
            )
        statuses = sorted(r.status for r in replies)
        if statuses != [200, 302] or (users, organisations) != (1, 1):
            problems.append(f"trial {trial}: {statuses}, {users} users, {organisations} workspaces")
            continue
        refused = next(r for r in replies if r.status == 200)
        assert "already exists" in refused.html
    assert not problems, f"{len(problems)} of {TRIALS} trials: {problems}"
