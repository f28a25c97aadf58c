"""Sign up, sign in, sign out.

Sign-in attempts are throttled per account and per client address, sign-ups
per address (see README, "Security notes"); every attempt counts, successful
or not, so that a burst of parallel guesses cannot slip through before the
failures are counted.  The windows move: an attempt stops counting after the
window's length, so nobody can lock an account for good.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from assessment.access import app_config, current_user, db, limiter
from assessment.forms import ActionForm, LoginForm, SignupForm
from assessment.i18n import SESSION_KEY, visitor_language
from assessment.models import User
from assessment.services.accounts import (
    AccountError,
    WeakPassword,
    authenticate,
    create_organisation_with_user,
)
from assessment.services.sessions import end_session, purge_expired, start_session

bp = Blueprint("auth", __name__)

LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"
SIGNUP_LIMIT_PER_ADDRESS = "10 per hour"


def _account_key() -> str:
    """The throttling key of the account a sign-in attempt names."""
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboard.index")


def sign_in(user: User) -> None:
    """Start a new server-side session for ``user`` in this browser (ending
    the browser's earlier one)."""
    config = app_config()
    purge_expired(
        db(),
        user,
        idle=dt.timedelta(minutes=config.session_idle_minutes),
        max_age=dt.timedelta(hours=config.session_max_hours),
    )
    previous = session.get("sid")
    if isinstance(previous, str):  # a browser signing in again ends its earlier session
        end_session(db(), previous)
    session.clear()
    session.permanent = True
    session["sid"] = start_session(db(), user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, key_func=_account_key, methods=["POST"])
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db(), form.email.data, form.password.data)
        if user is not None:
            sign_in(user)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append(_("E-mail address or password is wrong."))
    return render_template("auth/login.html", form=form)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(SIGNUP_LIMIT_PER_ADDRESS, methods=["POST"])
def signup() -> str | Response:
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = create_organisation_with_user(
                db(),
                form.organisation.data,
                form.name.data,
                form.email.data,
                form.password.data,
                visitor_language(),
            )
        except WeakPassword as error:
            form.password.errors.append(str(error))
        except AccountError as error:
            form.email.errors.append(str(error))
        else:
            sign_in(user)
            flash(_("Your organisation's workspace is ready."))
            return redirect(url_for("dashboard.index"))
    return render_template("auth/signup.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    ActionForm().validate_on_submit()  # CSRFProtect has already refused a missing token
    session_id = session.get("sid")
    if isinstance(session_id, str):
        end_session(db(), session_id)
    user = current_user()
    session.clear()
    if user is not None:  # the sign-in page stays in the language the user had
        session[SESSION_KEY] = user.language
    return redirect(url_for("auth.login"))
