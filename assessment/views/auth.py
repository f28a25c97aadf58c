"""Sign up, sign in, sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from assessment.forms import ActionForm, LoginForm, SignupForm
from assessment.services.accounts import AccountError, authenticate, create_organisation_with_user
from assessment.web import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboard.index")


def _sign_in(user_id: int) -> None:
    session.clear()
    session["user_id"] = user_id


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db(), form.email.data, form.password.data)
        if user is not None:
            _sign_in(user.id)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("E-mail address or password is wrong.")
    return render_template("auth/login.html", form=form)


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> str | Response:
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = create_organisation_with_user(
                db(), form.organisation.data, form.name.data, form.email.data, form.password.data
            )
        except AccountError as error:
            form.email.errors.append(str(error))
        else:
            _sign_in(user.id)
            flash("Your organisation's workspace is ready.")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/signup.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    ActionForm().validate_on_submit()  # CSRFProtect has already refused a missing token
    session.clear()
    return redirect(url_for("auth.login"))
