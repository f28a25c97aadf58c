"""Members and roles: invitations by one-time link (and by mail), roles and
the last owner, removal, password change and owner-issued reset links, and
the sessions that end with them."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import logging
import re
import socket
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from alembic import command
from flask import Flask
from sqlalchemy import Engine, inspect, select, text

from assessment.config import Config, ConfigError
from assessment.db import transaction
from assessment.logs import RedactShareTokens, redact_share_tokens
from assessment.migrate import alembic_config, upgrade
from assessment.models import Invitation, Organisation, PasswordReset, Role, User
from assessment.services import members as members_service
from assessment.services.accounts import LastOwner, add_user, change_role, remove_member
from assessment.services.mail import SmtpSettings
from tests.conftest import TEST_PASSWORD, Browser
from tests.helpers import BANKS

LINK = re.compile(
    r'<code class="share-url">http://localhost(/(?:invite|reset)/[A-Za-z0-9_-]+)</code>'
)
NEW_PASSWORD = "plum kettle orbit lantern"


def _signed_in(browser: Browser) -> bool:
    response = browser.get("/")
    return response.status_code == 200 and "Sign out" in response.get_data(as_text=True)


def _login(browser: Browser, email: str, password: str = TEST_PASSWORD) -> Any:
    return browser.post("/login", {"email": email, "password": password}, page="/login")


def _user(app: Flask, email: str) -> User | None:
    with app.extensions["assessment"]["sessions"]() as session:
        return session.scalar(select(User).where(User.email == email))


def _invite(owner: Browser, email: str, role: str = "editor") -> tuple[Any, str]:
    response = owner.post("/members/invite", {"email": email, "role": role}, page="/members")
    match = LINK.search(response.get_data(as_text=True))
    return response, match.group(1) if match else ""


def _add_member(app: Flask, email: str, role: Role) -> None:
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        organisation = session.scalars(select(Organisation).order_by(Organisation.id)).first()
        assert organisation is not None
        add_user(session, organisation, email.split("@")[0], email, TEST_PASSWORD, role)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(members_service, "utcnow", fake)
    return fake


# --- roles ------------------------------------------------------------------------------


def test_the_first_member_of_an_organisation_is_its_owner(
    app: Flask, browser: Browser, signup: Callable[..., Browser]
) -> None:
    signup(browser)
    user = _user(app, "ana@example.org")
    assert user is not None
    assert user.role == "owner"
    page = browser.get("/").get_data(as_text=True)
    assert 'href="/members"' in page


def test_a_viewer_reads_but_is_offered_no_editing(
    app: Flask,
    make_browser: Callable[[], Browser],
    signup: Callable[..., Browser],
    start_assessment: Callable[..., str],
) -> None:
    owner = signup(make_browser())
    assessment_id = start_assessment(owner, ["camera"])
    _add_member(app, "vera@example.org", Role.VIEWER)
    viewer = make_browser()
    _login(viewer, "vera@example.org")
    dashboard = viewer.get("/").get_data(as_text=True)
    assert "Start an assessment" not in dashboard
    assert 'href="/members"' not in dashboard
    review = viewer.get(f"/assessments/{assessment_id}/review")
    assert review.status_code == 200
    html = review.get_data(as_text=True)
    assert "/sections/" not in html
    assert "Share with an auditor" not in html
    assert "/submit" not in html
    refused = viewer.get(f"/assessments/{assessment_id}/sections/scoping.programme")
    assert refused.status_code == 403
    assert "You are <strong>viewer</strong>" in refused.get_data(as_text=True)


# --- invitations -----------------------------------------------------------------------


def test_an_invitation_link_makes_a_member_with_the_chosen_role(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    owner = signup(make_browser())
    response, path = _invite(owner, "Rita@Example.org", "reviewer")
    assert response.status_code == 200
    assert path.startswith("/invite/")
    token = path.removeprefix("/invite/")
    with app.extensions["assessment"]["sessions"]() as session:
        invitation = session.scalars(select(Invitation)).one()
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr(invitation.__dict__)
        assert invitation.email == "rita@example.org"
        assert invitation.role == "reviewer"
    assert "rita@example.org" in owner.get("/members").get_data(as_text=True)  # pending

    guest = make_browser()
    form = guest.get(path)
    assert form.status_code == 200
    assert "rita@example.org" in form.get_data(as_text=True)
    weak = guest.post(path, {"name": "Rita Reviewer", "password": "password1234"})
    assert weak.status_code == 422
    assert 'value="Rita Reviewer"' in weak.get_data(as_text=True)  # what was typed is kept
    done = guest.post(path, {"name": "Rita Reviewer", "password": NEW_PASSWORD})
    assert done.status_code == 303
    assert _signed_in(guest)
    rita = _user(app, "rita@example.org")
    assert rita is not None
    assert rita.role == "reviewer"
    assert rita.name == "Rita Reviewer"
    owner_user = _user(app, "ana@example.org")
    assert owner_user is not None
    assert rita.organisation_id == owner_user.organisation_id

    again = make_browser().get(path)  # used once
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert make_browser().get("/invite/" + "y" * 43).status_code == 404


def test_an_invitation_expires(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser], clock: Clock
) -> None:
    owner = signup(make_browser())
    _response, path = _invite(owner, "late@example.org")
    clock.now += dt.timedelta(days=members_service.INVITATION_DAYS, seconds=1)
    guest = make_browser()
    assert guest.get(path).status_code == 410
    assert "expired" in guest.last_html
    assert _user(app, "late@example.org") is None


def test_an_invitation_for_an_existing_account_is_refused(
    make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    owner = signup(make_browser())
    signup(make_browser(), "boris@example.org", "Other Org")
    response, path = _invite(owner, "boris@example.org")
    assert response.status_code == 422
    assert not path
    assert "already exists" in response.get_data(as_text=True)
    assert 'value="boris@example.org"' in response.get_data(as_text=True)


def test_a_withdrawn_invitation_no_longer_works(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    owner = signup(make_browser())
    _response, path = _invite(owner, "gone@example.org")
    with app.extensions["assessment"]["sessions"]() as session:
        invitation_id = session.scalars(select(Invitation.id)).one()
    owner.get("/members")
    assert owner.post(f"/members/invitations/{invitation_id}/revoke").status_code == 303
    assert make_browser().get(path).status_code == 404


def test_an_invitation_link_is_used_once_even_when_used_twice_at_once(
    app: Flask, signup: Callable[..., Browser], make_browser: Callable[[], Browser]
) -> None:
    owner = signup(make_browser())
    _response, path = _invite(owner, "twice@example.org")
    token = path.removeprefix("/invite/")
    factory = app.extensions["assessment"]["sessions"]
    first, second = factory(), factory()
    try:
        members_service.accept_invitation(first, token, "One", NEW_PASSWORD)
        members_service.live_invitation(second, token)  # read before the first commits
        first.commit()
        with pytest.raises(members_service.LinkUnavailable):
            members_service.accept_invitation(second, token, "Two", NEW_PASSWORD)
    finally:
        first.rollback()
        first.close()
        second.rollback()
        second.close()
    with factory() as session:
        assert (
            len(session.scalars(select(User).where(User.email == "twice@example.org")).all()) == 1
        )


# --- managing members ------------------------------------------------------------------


def test_the_owner_changes_roles_but_never_leaves_no_owner(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    owner = signup(make_browser())
    _add_member(app, "eddie@example.org", Role.EDITOR)
    ana, eddie = _user(app, "ana@example.org"), _user(app, "eddie@example.org")
    assert ana is not None
    assert eddie is not None
    owner.get("/members")
    assert owner.post(f"/members/{eddie.id}/role", {"role": "viewer"}).status_code == 303
    assert _user(app, "eddie@example.org").role == "viewer"  # type: ignore[union-attr]
    refused = owner.post(f"/members/{ana.id}/role", {"role": "editor"}, page="/members")
    assert refused.status_code == 409
    assert "at least one owner" in refused.get_data(as_text=True)
    assert _user(app, "ana@example.org").role == "owner"  # type: ignore[union-attr]
    refused = owner.post(f"/members/{ana.id}/remove", page="/members")
    assert refused.status_code == 409
    assert _user(app, "ana@example.org") is not None
    bad = owner.post(f"/members/{eddie.id}/role", {"role": "emperor"}, page="/members")
    assert bad.status_code == 422
    # With a second owner, the first may step down.
    owner.post(f"/members/{eddie.id}/role", {"role": "owner"}, page="/members")
    stepped = owner.post(f"/members/{ana.id}/role", {"role": "editor"}, page="/members")
    assert stepped.status_code == 303
    assert stepped.headers["Location"] == "/"
    assert owner.get("/members").status_code == 403


def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    app: Flask, signup: Callable[..., Browser], browser: Browser
) -> None:
    signup(browser)
    _add_member(app, "second@example.org", Role.OWNER)
    factory = app.extensions["assessment"]["sessions"]
    with transaction(factory) as session:
        first = session.scalar(select(User).where(User.email == "ana@example.org"))
        assert first is not None
        change_role(session, first, Role.EDITOR)
    with transaction(factory) as session:
        second = session.scalar(select(User).where(User.email == "second@example.org"))
        assert second is not None
        with pytest.raises(LastOwner):
            remove_member(session, second)
    with factory() as session:
        owners = session.scalars(select(User).where(User.role == "owner")).all()
        assert [u.email for u in owners] == ["second@example.org"]


def test_removing_a_member_signs_them_out_everywhere(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    owner = signup(make_browser())
    _add_member(app, "eddie@example.org", Role.EDITOR)
    laptop, phone = make_browser(), make_browser()
    _login(laptop, "eddie@example.org")
    _login(phone, "eddie@example.org")
    assert _signed_in(laptop)
    assert _signed_in(phone)
    eddie = _user(app, "eddie@example.org")
    assert eddie is not None
    response = owner.post(f"/members/{eddie.id}/remove", page="/members")
    assert response.status_code == 303
    assert not _signed_in(laptop)
    assert not _signed_in(phone)
    assert _user(app, "eddie@example.org") is None
    assert _signed_in(owner)


def test_another_organisations_owner_cannot_touch_our_members(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    signup(make_browser())
    _add_member(app, "eddie@example.org", Role.EDITOR)
    intruder = signup(make_browser(), "mallory@example.org", "Other Org")
    eddie = _user(app, "eddie@example.org")
    assert eddie is not None
    intruder.get("/members")
    for action, data in (("role", {"role": "owner"}), ("remove", {}), ("reset", {})):
        response = intruder.post(f"/members/{eddie.id}/{action}", data, page="/members")
        assert response.status_code == 404
    assert "eddie@example.org" not in intruder.get("/members").get_data(as_text=True)
    assert _user(app, "eddie@example.org").role == "editor"  # type: ignore[union-attr]


# --- passwords -------------------------------------------------------------------------


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    here = signup(make_browser())
    elsewhere = make_browser()
    _login(elsewhere, "ana@example.org")
    wrong = here.post(
        "/account/password",
        {"current": "not my password", "password": NEW_PASSWORD},
        page="/account/password",
    )
    assert wrong.status_code == 422
    assert "current password is not right" in wrong.get_data(as_text=True)
    weak = here.post(
        "/account/password",
        {"current": TEST_PASSWORD, "password": "short"},
        page="/account/password",
    )
    assert weak.status_code == 422
    assert _signed_in(elsewhere)
    done = here.post(
        "/account/password",
        {"current": TEST_PASSWORD, "password": NEW_PASSWORD},
        page="/account/password",
    )
    assert done.status_code == 303
    assert _signed_in(here)  # the browser that changed it gets a new session
    assert not _signed_in(elsewhere)
    assert _login(make_browser(), "ana@example.org").status_code == 200  # old one refused
    assert _login(make_browser(), "ana@example.org", NEW_PASSWORD).status_code == 302


def test_an_owner_issued_reset_link_sets_a_new_password_once(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser], clock: Clock
) -> None:
    owner = signup(make_browser())
    _add_member(app, "eddie@example.org", Role.EDITOR)
    eddie_browser = make_browser()
    _login(eddie_browser, "eddie@example.org")
    eddie = _user(app, "eddie@example.org")
    assert eddie is not None
    response = owner.post(f"/members/{eddie.id}/reset", page="/members")
    match = LINK.search(response.get_data(as_text=True))
    assert response.status_code == 200
    assert match
    path = match.group(1)
    token = path.removeprefix("/reset/")
    with app.extensions["assessment"]["sessions"]() as session:
        stored = session.scalars(select(PasswordReset)).one()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert _signed_in(eddie_browser)  # issuing changes nothing yet

    visitor = make_browser()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "eddie@example.org" in page.get_data(as_text=True)
    assert visitor.post(path, {"password": "passwordpassword"}).status_code == 422
    done = visitor.post(path, {"password": NEW_PASSWORD})
    assert done.status_code == 303
    assert done.headers["Location"] == "/login"
    assert not _signed_in(eddie_browser)
    assert _login(make_browser(), "eddie@example.org").status_code == 200
    assert _login(make_browser(), "eddie@example.org", NEW_PASSWORD).status_code == 302
    assert make_browser().get(path).status_code == 410

    # A new link replaces an unused one, and a link expires.
    first = owner.post(f"/members/{eddie.id}/reset", page="/members")
    second = owner.post(f"/members/{eddie.id}/reset", page="/members")
    first_path = LINK.search(first.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    second_path = LINK.search(second.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert make_browser().get(first_path).status_code == 404
    clock.now += dt.timedelta(hours=members_service.RESET_HOURS, seconds=1)
    assert make_browser().get(second_path).status_code == 410


def test_link_tokens_are_redacted_from_logs(
    app: Flask,
    make_browser: Callable[[], Browser],
    signup: Callable[..., Browser],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert (
        redact_share_tokens("GET /invite/" + "a" * 43 + " HTTP/1.1")
        == "GET /invite/[token] HTTP/1.1"
    )
    assert redact_share_tokens("GET /reset/" + "b" * 43) == "GET /reset/[token]"
    owner = signup(make_browser())
    _response, path = _invite(owner, "logged@example.org")
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"GET %s HTTP/1.1" 200 -', (path,), None
    )
    RedactShareTokens().filter(record)
    assert path.removeprefix("/invite/") not in record.getMessage()
    assert "/invite/[token]" in record.getMessage()


# --- mail --------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        body = message.get_body()
        text = body.get_content() if isinstance(body, EmailMessage) else ""
        self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), text))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def mail_app(config: Config, inbox: tuple[Inbox, int]) -> Iterator[Flask]:
    from assessment.web import create_app

    smtp = SmtpSettings(host="127.0.0.1", port=inbox[1], sender="tool@example.org", security="none")
    application = create_app(config.with_overrides(smtp=smtp), banks=BANKS)
    yield application
    application.extensions["assessment"]["renderer"].shutdown()
    application.extensions["assessment"]["engine"].dispose()


def test_with_smtp_the_same_links_are_mailed(
    mail_app: Flask, inbox: tuple[Inbox, int], signup: Callable[..., Browser]
) -> None:
    messages = inbox[0].messages
    owner = signup(Browser(mail_app.test_client()))
    response, path = _invite(owner, "mailed@example.org", "viewer")
    assert "also e-mailed to mailed@example.org" in response.get_data(as_text=True)
    assert len(messages) == 1
    sender, recipients, text = messages[0]
    assert sender == "tool@example.org"
    assert recipients == ["mailed@example.org"]
    assert f"http://localhost{path}" in text
    assert "as viewer" in text

    _add_member(mail_app, "eddie@example.org", Role.EDITOR)
    eddie = _user(mail_app, "eddie@example.org")
    assert eddie is not None
    reset = owner.post(f"/members/{eddie.id}/reset", page="/members")
    reset_path = LINK.search(reset.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert len(messages) == 2
    assert messages[1][1] == ["eddie@example.org"]
    assert f"http://localhost{reset_path}" in messages[1][2]


def test_when_mail_fails_the_link_is_still_shown(
    config: Config, signup: Callable[..., Browser], caplog: pytest.LogCaptureFixture
) -> None:
    from assessment.web import create_app

    smtp = SmtpSettings(
        host="127.0.0.1", port=_free_port(), sender="t@example.org", security="none"
    )
    application = create_app(config.with_overrides(smtp=smtp), banks=BANKS)
    try:
        owner = signup(Browser(application.test_client()))
        response, path = _invite(owner, "nomail@example.org")
        assert path
        assert "could not be sent" in response.get_data(as_text=True)
        assert path not in caplog.text
        assert "nomail@example.org" not in caplog.text
    finally:
        application.extensions["assessment"]["renderer"].shutdown()
        application.extensions["assessment"]["engine"].dispose()


def test_smtp_settings_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.delenv("SMTP_HOST", raising=False)
    assert Config.from_env().smtp is None
    monkeypatch.setenv("SMTP_HOST", "mail.example.org")
    with pytest.raises(ConfigError, match="SMTP_FROM"):
        Config.from_env()
    monkeypatch.setenv("SMTP_FROM", "tool@example.org")
    monkeypatch.setenv("SMTP_PORT", "465")
    monkeypatch.setenv("SMTP_SECURITY", "tls")
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret-value")
    smtp = Config.from_env().smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.security) == (
        "mail.example.org",
        465,
        "tls",
    )
    assert "s3cret-value" not in repr(smtp)
    monkeypatch.setenv("SMTP_SECURITY", "maybe")
    with pytest.raises(ConfigError, match="SMTP_SECURITY"):
        Config.from_env()


# --- migration ---------------------------------------------------------------------------


def test_existing_members_become_owners(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0007")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with blank_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisations (id, name, created_at) VALUES (1, 'O', :now)"),
            {"now": now},
        )
        for user_id, role in ((1, "owner"), (2, "member")):
            connection.execute(
                text(
                    "INSERT INTO users (id, organisation_id, email, name, password_hash, role,"
                    " created_at) VALUES (:id, 1, :email, 'N', 'x', :role, :now)"
                ),
                {"id": user_id, "email": f"u{user_id}@example.org", "role": role, "now": now},
            )
    upgrade(blank_engine, "0008")
    with blank_engine.connect() as connection:
        roles = connection.execute(text("SELECT role FROM users ORDER BY id")).scalars().all()
        assert roles == ["owner", "owner"]
        assert connection.execute(text("SELECT count(*) FROM invitations")).scalar() == 0
    with blank_engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    with blank_engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        assert "invitations" not in tables
        assert "password_resets" not in tables


def test_create_user_joins_an_organisation_with_a_role(app: Flask) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["create-user", "o@example.org", "--organisation", "Org", "--password", NEW_PASSWORD]
    )
    assert "(owner)" in made.output
    owner = _user(app, "o@example.org")
    assert owner is not None
    joined = runner.invoke(
        args=[
            "create-user",
            "r@example.org",
            "--organisation-id",
            str(owner.organisation_id),
            "--role",
            "reviewer",
            "--password",
            NEW_PASSWORD,
        ]
    )
    assert joined.exit_code == 0, joined.output
    assert _user(app, "r@example.org").role == "reviewer"  # type: ignore[union-attr]
    default = runner.invoke(
        args=[
            "create-user",
            "e@example.org",
            "--organisation-id",
            str(owner.organisation_id),
            "--password",
            NEW_PASSWORD,
        ]
    )
    assert default.exit_code == 0, default.output
    assert _user(app, "e@example.org").role == "editor"  # type: ignore[union-attr]
    refused = runner.invoke(
        args=[
            "create-user",
            "x@example.org",
            "--organisation",
            "New",
            "--role",
            "viewer",
            "--password",
            NEW_PASSWORD,
        ]
    )
    assert refused.exit_code == 2
    assert "its owner" in refused.output


def test_an_invitation_stays_unused_when_its_address_was_taken_meanwhile(
    app: Flask,
    make_browser: Callable[[], Browser],
    signup: Callable[..., Browser],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = signup(make_browser())
    _response, path = _invite(owner, "race@example.org")
    signup(make_browser(), "race@example.org", "Own Org")  # the address signs up elsewhere
    # As if the sign-up landed between the check and the insert: the insert finds it taken.
    monkeypatch.setattr(members_service, "check_email_free", lambda _session, _email: None)
    guest = make_browser()
    guest.get(path)
    refused = guest.post(path, {"name": "Racer", "password": NEW_PASSWORD})
    assert refused.status_code == 422
    assert "already exists" in refused.get_data(as_text=True)
    with app.extensions["assessment"]["sessions"]() as session:
        invitation = session.scalars(select(Invitation)).one()
        assert invitation.accepted_at is None  # the link was not used up
