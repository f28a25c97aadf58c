"""Requests that change the same assessment at the same moment, through a
real threaded server: every request has its own thread, database connection
and transaction, and a barrier releases the racing requests together.

Each case runs many trials, because one race can come out right by luck.
The promise checked: a save is never lost silently, nothing is stored after
submission, and an assessment is submitted exactly once.
"""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from assessment.config import PROJECT_ROOT
from assessment.engine.document import load_document
from assessment.forms import field_name
from assessment.models import (
    AnswerRecord,
    Assessment,
    AssessmentEvent,
    Organisation,
    as_utc,
)
from assessment.services.accounts import add_user
from assessment.services.assessments import import_document
from tests.conftest import CSRF_RE, HIDDEN_RE, TEST_PASSWORD
from tests.helpers import BANK

TRIALS = 12
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

    def _send(self, path: str, body: bytes | None) -> Reply:
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - local server
        try:
            with self.opener.open(request, timeout=60) as response:
                reply = Reply(response.status, response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            with error:
                reply = Reply(error.code, error.read().decode("utf-8"))
        return reply

    def get(self, path: str) -> Reply:
        reply = self._send(path, None)
        assert reply.status == 200, (path, reply.status)
        self.last_html = reply.html
        return reply

    def form(self, data: dict[str, Any]) -> bytes:
        """``data`` with the hidden fields and CSRF token of the last page, encoded."""
        payload = dict(data)
        for name, value in HIDDEN_RE.findall(self.last_html):
            payload.setdefault(name, value)
        token = CSRF_RE.search(self.last_html)
        assert token, "no CSRF token on the last page"
        payload.setdefault("csrf_token", token.group(1))
        return urllib.parse.urlencode(payload, doseq=True).encode("utf-8")

    def post(self, path: str, body: bytes) -> Reply:
        return self._send(path, body)


def race(*calls: Callable[[], Reply]) -> list[Reply]:
    """Run ``calls`` in threads released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    replies: list[Reply | None] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(index: int, call: Callable[[], Reply]) -> None:
        try:
            barrier.wait(timeout=30)
            replies[index] = call()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not failures, failures
    assert all(r is not None for r in replies)
    return [r for r in replies if r is not None]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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
        replies = race(lambda: ana.post(url, bodies[ana]), lambda: boris.post(url, bodies[boris]))
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
        boris.get(f"/assessments/{assessment_id}/review")
        submit_body = boris.form({})
        saved, submitted = race(
            lambda: ana.post(url, save_body),  # noqa: B023 - called before the loop moves on
            lambda: boris.post(f"/assessments/{assessment_id}/submit", submit_body),  # noqa: B023
        )
        assert submitted.status == 302
        with sessions() as session:
            assessment = session.scalars(
                select(Assessment).where(Assessment.uuid == assessment_id)
            ).one()
            submit_events = _events(session, assessment_id, "submitted")
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
                assert "has been submitted" in saved.html
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
        review = f"/assessments/{assessment_id}/review"
        bodies = {}
        for member in (ana, boris):
            member.get(review)
            bodies[member] = member.form({})
        submit = f"/assessments/{assessment_id}/submit"
        replies = race(lambda: ana.post(submit, bodies[ana]), lambda: boris.post(submit, bodies[boris]))  # noqa: B023
        with sessions() as session:
            events = _events(session, assessment_id, "submitted")
        statuses = sorted(r.status for r in replies)
        if statuses != [302, 409] or len(events) != 1:
            problems.append(f"trial {trial}: {statuses}, {len(events)} events")
            continue
        refused = next(r for r in replies if r.status == 409)
        assert "already submitted" in refused.html
    assert not problems, f"{len(problems)} of {TRIALS} trials: {problems}"
