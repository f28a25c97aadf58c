"""Organisation isolation on every route, and CSRF on every form."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.helpers import BANKS


def _assessment_routes(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "assessment_id" not in rule.arguments:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, rule.rule, method))
    return routes


def test_the_route_list_is_derived_and_not_empty(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _assessment_routes(app)}
    assert {
        "wizard.section",
        "wizard.review",
        "workflow.submit",
        "workflow.approve",
        "workflow.request_changes",
        "workflow.issue",
        "workflow.reassess",
        "workflow.issued",
        "reports.pdf",
        "reports.export",
    } <= endpoints


def test_other_organisation_gets_404_on_every_assessment_route(
    app, make_browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    owner = signup(make_browser(), "owner@example.org", "Owner Org")
    assessment_id = start_assessment(owner, ["camera"])
    intruder = signup(make_browser(), "intruder@example.org", "Other Org")
    intruder.get("/")
    token = intruder.token()
    checked = 0
    for endpoint, rule, method in _assessment_routes(app):
        url = re.sub(r"<(?:[a-z]+:)?assessment_id>", assessment_id, rule)
        url = re.sub(r"<(?:[a-z]+:)?section_id>", "scoping.programme", url)
        url = re.sub(r"<int:link_id>", "1", url)
        url = re.sub(r"<int:evidence_id>", "1", url)
        url = re.sub(r"<(?:[a-z]+:)?question_id>", "scope.operator", url)
        url = re.sub(r"<int:comment_id>", "1", url)
        url = re.sub(r"<int:revision>", "1", url)
        if method == "GET":
            response = intruder.get(url)
        else:
            response = intruder.client.post(url, data={"csrf_token": token})
        assert response.status_code == 404, f"{method} {endpoint} gave {response.status_code}"
        checked += 1
    # The owner reaches the same routes (so the 404s are about ownership).
    assert owner.get(f"/assessments/{assessment_id}/review").status_code == 200
    assert checked >= 6


def test_anonymous_users_are_sent_to_sign_in(browser) -> None:  # type: ignore[no-untyped-def]
    response = browser.get("/assessments/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/login", "/signup", "/logout", "/assessments/new", "/verify"])
def test_post_without_csrf_token_is_refused(browser, signup, path: str) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    response = browser.client.post(
        path, data={"title": "x", "email": "a@b.cd", "password": "x" * 12}
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_wizard_post_without_csrf_token_saves_nothing(browser, signup, start_assessment) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = f"/assessments/{assessment_id}/sections/scoping.programme"
    response = browser.client.post(url, data={"q-scope.operator": "Forged"})
    assert response.status_code == 400
    assert "Forged" not in browser.get(url).get_data(as_text=True)


def test_open_redirect_after_login_is_refused(browser, signup) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    browser.post("/logout", {}, page="/")
    response = browser.post(
        "/login?next=//evil.example/x",
        {"email": "ana@example.org", "password": "correct horse battery"},
        page="/login",
    )
    assert response.headers["Location"] == "/"


# --- the role table ---------------------------------------------------------------------

ROLES_IN_ORDER = ("viewer", "reviewer", "editor", "owner")
ORG_ARGUMENTS = {
    "assessment_id",
    "user_id",
    "invitation_id",
    "link_id",
    "upgrade_id",
    "evidence_id",
    "comment_id",
}


def _routes(app: Flask) -> list[tuple[str, str, str, frozenset[str]]]:
    """Every (endpoint, rule, method) of the app, from its URL map."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, rule.rule, method, frozenset(rule.arguments)))
    return found


def test_every_route_is_in_the_role_table(app: Flask) -> None:
    from assessment.access import UnlistedEndpoint, permission_for

    missing = []
    for endpoint, _rule, _method, _args in _routes(app):
        try:
            permission_for(endpoint)
        except UnlistedEndpoint:
            missing.append(endpoint)
    assert not missing, f"endpoints missing from ENDPOINT_PERMISSIONS: {missing}"
    assert len(_routes(app)) >= 30


def test_an_endpoint_missing_from_the_table_is_refused_to_everyone(config, browser, signup) -> None:  # type: ignore[no-untyped-def]
    from assessment.access import UnlistedEndpoint, permission_for
    from assessment.web import create_app

    application = create_app(config, banks=BANKS)
    application.add_url_rule("/unlisted", "unlisted", lambda: "reachable")
    try:
        with pytest.raises(UnlistedEndpoint):
            permission_for("unlisted")
        from tests.conftest import Browser

        owner = signup(Browser(application.test_client()))
        response = owner.get("/unlisted")
        assert response.status_code == 403
        assert "reachable" not in response.get_data(as_text=True)
    finally:
        application.extensions["assessment"]["renderer"].shutdown()
        application.extensions["assessment"]["engine"].dispose()


def test_every_role_on_every_route_gets_what_the_table_says(
    app: Flask, make_browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    """Anonymous visitors, each role of the organisation and a member of
    another organisation, on every route and method of the URL map."""
    from sqlalchemy import select

    from assessment.access import Permission, may, permission_for
    from assessment.db import transaction
    from assessment.models import Invitation, Organisation, Role, User
    from assessment.services.accounts import add_user
    from assessment.services.assessments import get_for_organisation
    from assessment.services.comments import add_comment
    from assessment.services.evidence import EvidenceLimits, add_evidence
    from assessment.services.members import invite
    from tests.conftest import TEST_PASSWORD

    owner = signup(make_browser(), "owner@example.org", "Owner Org")
    assessment_id = start_assessment(owner, ["camera"])
    factory = app.extensions["assessment"]["sessions"]
    with transaction(factory) as session:
        organisation = session.scalars(select(Organisation)).one()
        the_owner = session.scalars(select(User)).one()
        users = {"owner": the_owner}
        for role in ("editor", "reviewer", "viewer"):
            users[role] = add_user(
                session, organisation, role, f"{role}@example.org", TEST_PASSWORD, Role(role)
            )
        target = add_user(
            session, organisation, "Target", "target@example.org", TEST_PASSWORD, Role.VIEWER
        )
        invitation = invite(session, the_owner, "invited@example.org", Role.EDITOR).invitation
        target_id, invitation_id = target.id, invitation.id
        bank = app.extensions["assessment"]["bank"]
        question_id = bank.sections[0].questions[0].id
        comment = add_comment(
            session,
            bank,
            get_for_organisation(session, organisation.id, assessment_id),
            the_owner,
            question_id,
            "A first comment",
        )
        comment_id = comment.id
        roles = {email: u.role for email, u in users.items()}
        config = app.extensions["assessment"]["config"]
        evidence = add_evidence(
            session,
            config.evidence_dir,
            get_for_organisation(session, organisation.id, assessment_id),
            the_owner,
            app.extensions["assessment"]["bank"].sections[0].questions[0].id,
            "memo.pdf",
            b"%PDF-1.4\n%%EOF\n",
            EvidenceLimits(1 << 20, 1 << 20),
        )
        session.flush()
        evidence_id = evidence.id
    assert roles == {r: r for r in roles}
    intruder = signup(make_browser(), "intruder@example.org", "Other Org")
    section_id = app.extensions["assessment"]["bank"].sections[0].id
    values = {
        "assessment_id": assessment_id,
        "section_id": section_id,
        "link_id": "999999",
        "upgrade_id": "999999",
        "revision": "1",
        "user_id": str(target_id),
        "invitation_id": str(invitation_id),
        "evidence_id": str(evidence_id),
        "question_id": question_id,
        "comment_id": str(comment_id),
        "token": "x" * 43,
        "filename": "css/app.css",
    }

    def url_of(rule: str) -> str:
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values[m.group(1)], rule)

    routes = sorted(_routes(app), key=lambda r: r[0] == "auth.logout")  # sign-out last
    checked = 0

    def sweep(name: str, browser, role: str | None, other_org: bool = False) -> None:  # type: ignore[no-untyped-def]
        nonlocal checked
        browser.get("/login")
        token = browser.token()
        for endpoint, rule, method, arguments in routes:
            url = url_of(rule)
            if method == "GET":
                response = browser.client.get(url)
            else:
                response = browser.client.post(url, data={"csrf_token": token})
            response.close()  # a static file is streamed from an open file
            status = response.status_code
            where = f"{name}: {method} {endpoint} gave {status}"
            to_login = status == 302 and "/login" in response.headers.get("Location", "")
            needed = permission_for(endpoint)
            if needed is Permission.PUBLIC:
                assert status != 403, where
                assert not to_login, where
            elif role is None:
                assert to_login, where
            elif not may_role(role, needed):
                assert status == 403, where
            elif other_org and arguments & ORG_ARGUMENTS:
                assert status == 404, where
            elif endpoint == "auth.logout":  # allowed: signs out and goes to sign in
                assert to_login, where
                assert browser.client.get("/assessments/new").status_code == 302, where
            else:
                assert status not in (401, 403), where
                assert not to_login, where
                assert status < 500, where
            checked += 1

    def may_role(role: str, needed: Permission) -> bool:
        probe = User(role=role)
        return may(probe, needed)

    sweep("anonymous", make_browser(), None)
    sweep("other organisation's owner", intruder, "owner", other_org=True)
    with factory() as session:  # nothing of ours was changed by the intruder
        assert session.get(User, target_id) is not None
        assert session.get(Invitation, invitation_id) is not None
    for role in ROLES_IN_ORDER:
        member = make_browser()
        member.post(
            "/login",
            {"email": f"{role}@example.org", "password": TEST_PASSWORD},
            page="/login",
        )
        assert member.get("/").status_code == 200, role
        sweep(role, member, role)
    assert checked >= 6 * 30
    with factory() as session:  # the owner's own POSTs went through
        assert session.get(User, target_id) is None
        assert session.get(Invitation, invitation_id) is None


def test_the_role_table_matches_the_documented_roles() -> None:
    from assessment.access import ROLE_PERMISSIONS, Permission
    from assessment.models import Role

    assert ROLE_PERMISSIONS[Role.OWNER] == frozenset(Permission)
    assert Permission.ANSWER in ROLE_PERMISSIONS[Role.EDITOR]
    assert Permission.MANAGE_MEMBERS not in ROLE_PERMISSIONS[Role.EDITOR]
    assert Permission.REVIEW in ROLE_PERMISSIONS[Role.REVIEWER]
    assert Permission.ANSWER not in ROLE_PERMISSIONS[Role.REVIEWER]
    assert ROLE_PERMISSIONS[Role.VIEWER] == {Permission.ACCOUNT, Permission.READ}


def test_sensitive_endpoints_need_the_documented_permission(app: Flask) -> None:
    from assessment.access import Permission, permission_for

    for endpoint, _rule, method, _args in _routes(app):
        needed = permission_for(endpoint)
        if endpoint.startswith("members."):
            assert needed is Permission.MANAGE_MEMBERS, endpoint
        if endpoint.startswith("shares.") and endpoint not in (
            "shares.summary",
            "shares.report",
            "shares.report_status",
            "shares.report_ready",
        ):
            assert needed is Permission.SHARE, endpoint
        if method == "POST" and endpoint.startswith(
            ("wizard.", "upgrades.", "dashboard.", "evidence.")
        ):
            assert needed is Permission.ANSWER, endpoint
    workflow = {
        "workflow.submit": Permission.ANSWER,
        "workflow.reassess": Permission.ANSWER,
        "workflow.approve": Permission.REVIEW,
        "workflow.request_changes": Permission.REVIEW,
        "workflow.issue": Permission.ISSUE,
        "workflow.issued": Permission.READ,
    }
    for endpoint, permission in workflow.items():
        assert permission_for(endpoint) is permission, endpoint
    assert permission_for("wizard.review") is Permission.READ
    assert permission_for("evidence.download") is Permission.READ
    assert permission_for("account.password") is Permission.ACCOUNT
