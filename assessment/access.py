"""Who may do what, and the request plumbing every blueprint uses.

The role table is declared here, once:

* :data:`ROLE_PERMISSIONS` says what each organisation role may do;
* :data:`ENDPOINT_PERMISSIONS` says, for every endpoint of the application,
  the permission it needs.

:func:`install_access` checks every request against the table before the
view runs: a public endpoint is open to anyone, any other needs a signed-in
member whose role holds the permission (anonymous visitors are sent to the
sign-in page, members without it get 403).  An endpoint missing from the
table is refused to everyone (and ``tests/test_access.py`` fails), so a new
route cannot be reachable by accident.  Which organisation's data a member
may see is checked by the views (``own_assessment``: 404 for another
organisation's assessment).

The plumbing: one database session and one transaction per request
(:func:`db`, committed or rolled back in one place), the signed-in user
(:func:`current_user`), the app's configuration, question banks and report
renderer, and the throttling extension.  Blueprints import from here, never
from :mod:`assessment.web`, which only builds the app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from enum import StrEnum
from functools import wraps
from types import MappingProxyType
from typing import Any, Final, TypeVar, cast

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from sqlalchemy.orm import Session, sessionmaker

from assessment.config import Config
from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet
from assessment.models import Role, User
from assessment.report.pool import Renderer
from assessment.services.sessions import load_session, touch_session

F = TypeVar("F", bound=Callable[..., Any])

# Sign-in, sign-up and verification throttling (the limits are on the views).
# Moving windows: an attempt counts for exactly the window's length, then expires.
limiter = Limiter(key_func=get_remote_address, strategy="moving-window")


class Permission(StrEnum):
    """What an endpoint needs."""

    PUBLIC = "public"  # anyone, signed in or not
    ACCOUNT = "account"  # any signed-in member: their own account, signing out
    READ = "read"  # see the organisation's assessments and reports
    ANSWER = "answer"  # start assessments, answer, submit for review, reassess, upgrade
    REVIEW = "review"  # approve or request changes
    COMMENT = "comment"  # comment on questions, reply, resolve and reopen comments
    ISSUE = "issue"  # issue an approved assessment
    SHARE = "share"  # create and revoke auditors' share links
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove, issue reset links


ROLE_PERMISSIONS: Final[Mapping[Role, frozenset[Permission]]] = MappingProxyType(
    {
        Role.OWNER: frozenset(Permission),
        Role.EDITOR: frozenset(
            {Permission.ACCOUNT, Permission.READ, Permission.ANSWER, Permission.COMMENT}
        ),
        Role.REVIEWER: frozenset(
            {Permission.ACCOUNT, Permission.READ, Permission.REVIEW, Permission.COMMENT}
        ),
        Role.VIEWER: frozenset({Permission.ACCOUNT, Permission.READ}),
    }
)

# Every endpoint of the application and the permission it needs (for each of
# its methods: a page that shows a form needs what submitting it needs).
ENDPOINT_PERMISSIONS: Final[Mapping[str, Permission]] = MappingProxyType(
    {
        "static": Permission.PUBLIC,
        # accounts
        "auth.login": Permission.PUBLIC,
        "auth.signup": Permission.PUBLIC,
        "auth.logout": Permission.ACCOUNT,
        "account.password": Permission.ACCOUNT,
        "invitations.accept": Permission.PUBLIC,  # the one-time link is the credential
        "account.reset": Permission.PUBLIC,  # the one-time link is the credential
        # members
        "members.index": Permission.MANAGE_MEMBERS,
        "members.invite": Permission.MANAGE_MEMBERS,
        "members.revoke_invitation": Permission.MANAGE_MEMBERS,
        "members.change_role": Permission.MANAGE_MEMBERS,
        "members.remove": Permission.MANAGE_MEMBERS,
        "members.reset_link": Permission.MANAGE_MEMBERS,
        # assessments
        # "/": the landing page for visitors; for members the assessments, which
        # need READ (the view checks it, as it shows visitors another page)
        "dashboard.index": Permission.PUBLIC,
        "dashboard.new": Permission.ANSWER,
        "wizard.section": Permission.ANSWER,
        "wizard.review": Permission.READ,
        # the review workflow (assessment/services/workflow.py)
        "workflow.submit": Permission.ANSWER,
        "workflow.request_changes": Permission.REVIEW,
        "workflow.approve": Permission.REVIEW,
        "workflow.issue": Permission.ISSUE,
        "workflow.reassess": Permission.ANSWER,
        "workflow.issued": Permission.READ,
        "upgrades.preview": Permission.ANSWER,
        "upgrades.upgrade": Permission.ANSWER,
        "upgrades.done": Permission.READ,
        "evidence.upload": Permission.ANSWER,
        "evidence.remove": Permission.ANSWER,
        "evidence.download": Permission.READ,
        # comments, answer history, audit log
        "comments.thread": Permission.READ,
        "comments.add": Permission.COMMENT,
        "comments.reply": Permission.COMMENT,
        "comments.resolve": Permission.COMMENT,
        "comments.reopen": Permission.COMMENT,
        "history.changes": Permission.READ,
        "history.audit": Permission.READ,
        # reports
        "reports.pdf": Permission.READ,
        "reports.status": Permission.READ,  # the "being prepared" page asks here
        "reports.ready": Permission.READ,
        "reports.export": Permission.READ,
        # the sheets hold confidential notes and sources: who reads the full report
        "reports.plan_csv": Permission.READ,
        "reports.plan_xlsx": Permission.READ,
        "reports.answers_csv": Permission.READ,
        "shares.manage": Permission.SHARE,
        "shares.revoke": Permission.SHARE,
        "shares.summary": Permission.PUBLIC,  # the share token is the credential
        "shares.report": Permission.PUBLIC,
        "shares.report_status": Permission.PUBLIC,
        "shares.report_ready": Permission.PUBLIC,
        "verify.page": Permission.PUBLIC,
        "verify.certificate": Permission.PUBLIC,
        "language.switch": Permission.PUBLIC,  # the interface language of this browser
    }
)


class UnlistedEndpoint(LookupError):
    """An endpoint that the role table does not list."""


def permission_for(endpoint: str) -> Permission:
    """The permission ``endpoint`` needs.  Raises :class:`UnlistedEndpoint`
    when the table does not list it."""
    try:
        return ENDPOINT_PERMISSIONS[endpoint]
    except KeyError:
        raise UnlistedEndpoint(endpoint) from None


def role_of(user: User) -> Role | None:
    """``user``'s role, or ``None`` for a value that is not a role (no rights)."""
    try:
        return Role(user.role)
    except ValueError:
        return None


def may(user: User | None, permission: Permission) -> bool:
    """Whether ``user`` (``None``: anonymous) holds ``permission``."""
    if permission is Permission.PUBLIC:
        return True
    if user is None:
        return False
    role = role_of(user)
    return role is not None and permission in ROLE_PERMISSIONS[role]


def install_access(app: Flask) -> None:
    """Check every request against the role table, and run one database
    transaction per request (committed after a response below 500, else
    rolled back)."""

    @app.before_request
    def check_access() -> Response | None:
        if request.method == "OPTIONS" or request.endpoint is None:
            return None  # Flask answers these itself (allowed methods, 404, 405)
        try:
            needed = permission_for(request.endpoint)
        except UnlistedEndpoint:
            abort(403)
        if needed is Permission.PUBLIC:
            return None
        user = current_user()
        if user is None:
            return cast(Response, redirect(url_for("auth.login", next=request.path)))
        if not may(user, needed):
            abort(403)
        return None

    @app.context_processor
    def permissions() -> dict[str, Any]:
        """``can(name)`` in templates: whether the signed-in person holds the
        permission, worked out once per permission and page."""
        answers: dict[str, bool] = {}

        def can(name: str) -> bool:
            if name not in answers:
                answers[name] = may(current_user(), Permission(name))
            return answers[name]

        return {"can": can, "Permission": Permission}

    @app.after_request
    def commit(response: Response) -> Response:
        db_session = g.pop("db_session", None)
        session_touch = g.pop("session_touch", None)
        if db_session is not None:
            try:
                if response.status_code < 500:
                    if session_touch is not None:  # last, to keep the write lock short
                        touch_session(db_session, session_touch)
                    db_session.commit()
                else:
                    db_session.rollback()
            finally:
                db_session.close()
        return response

    @app.teardown_request
    def rollback(_error: BaseException | None) -> None:
        db_session = g.pop("db_session", None)
        if db_session is not None:
            db_session.rollback()
            db_session.close()


def app_config() -> Config:
    return cast(Config, current_app.extensions["assessment"]["config"])


def app_bank() -> Bank:
    """The current question bank: the one new assessments use."""
    return cast(Bank, current_app.extensions["assessment"]["bank"])


def app_banks() -> BankSet:
    """Every installed question-bank version (see :func:`pinned_bank` in
    ``assessment/views/common.py`` for an assessment's own)."""
    return cast(BankSet, current_app.extensions["assessment"]["banks"])


def report_renderer() -> Renderer:
    """The app's renderer: its own renderer processes, or RQ workers."""
    return cast(Renderer, current_app.extensions["assessment"]["renderer"])


def session_factory() -> sessionmaker[Session]:
    return cast(sessionmaker[Session], current_app.extensions["assessment"]["sessions"])


def db() -> Session:
    """The request's database session, opened on first use."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    return cast(Session, g.db_session)


def discard_changes() -> None:
    """Roll back what the request has written so far: for a view that turns a
    service's refusal into a page, when the refusal came after a write that must
    not stand alone (the request's transaction is otherwise committed below 500)."""
    if "db_session" in g:
        g.db_session.rollback()


def current_user() -> User | None:
    """The user of the request's live server-side session (see
    :mod:`assessment.services.sessions`), or ``None``.  A cookie whose session
    has ended is cleared."""
    if "user" not in g:
        g.user = None
        session_id = session.get("sid")
        if isinstance(session_id, str):
            config = app_config()
            found = load_session(
                db(),
                session_id,
                idle=dt.timedelta(minutes=config.session_idle_minutes),
                max_age=dt.timedelta(hours=config.session_max_hours),
            )
            if found is None:
                session.clear()
            else:
                g.user, touch = found
                if touch is not None:
                    g.session_touch = touch
    return cast(User | None, g.user)


def login_required(view: F) -> F:
    """Redirect anonymous users to the sign-in page.  (The role table already
    does so for every endpoint that is not public; this keeps the intent
    visible on the view and guards a view called some other way.)"""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def require_user() -> User:
    """The signed-in user; 401 if there is none (the role table and
    :func:`login_required` send anonymous visitors to sign in first)."""
    user = current_user()
    if user is None:  # pragma: no cover - guarded by the role table
        abort(401)
    return user
