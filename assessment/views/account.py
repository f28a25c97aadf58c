"""A member's own account: changing the password (the current one is
required), and setting a new one with an owner-issued reset link.

Either way every session of the member ends at once; after a change, the
browser that made it is signed in again with a new session."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from assessment.access import current_user, db, discard_changes, limiter, require_user
from assessment.forms import ChangePasswordForm, ResetPasswordForm
from assessment.services.accounts import AccountError, WeakPassword, change_password
from assessment.services.members import LinkUnavailable, live_reset, use_reset
from assessment.views.auth import sign_in

bp = Blueprint("account", __name__)

CHANGE_LIMIT_PER_ACCOUNT = "10 per 15 minutes"  # current-password guesses per account
RESET_LIMIT_PER_ADDRESS = "10 per hour"


def _member_key() -> str:
    user = current_user()
    return f"member:{user.id}" if user is not None else f"address:{request.remote_addr}"


def link_unavailable(reason: str) -> tuple[str, int]:
    """The page for a one-time link that does not work (404 unknown, 410 used or expired)."""
    return render_template("invitations/unavailable.html", reason=reason), (
        404 if reason == "unknown" else 410
    )


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(CHANGE_LIMIT_PER_ACCOUNT, key_func=_member_key, methods=["POST"])
def password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        user = require_user()
        try:
            change_password(db(), user, form.current.data, form.password.data)
        except WeakPassword as error:
            form.password.errors.append(str(error))
        except AccountError as error:
            form.current.errors.append(str(error))
        else:
            sign_in(user)
            flash(
                _("Your password is changed. Every other browser signed in as you is signed out.")
            )
            return redirect(url_for("dashboard.index"), code=303)
    if form.errors:
        status = 422
    return render_template("account/password.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT_PER_ADDRESS, methods=["POST"])
def reset(token: str) -> Response | tuple[str, int]:
    try:
        link = live_reset(db(), token)
    except LinkUnavailable as unavailable:
        return link_unavailable(unavailable.reason)
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            use_reset(db(), token, form.password.data)
        except WeakPassword as error:
            form.password.errors.append(str(error))
        except LinkUnavailable as unavailable:  # used a moment earlier
            discard_changes()
            return link_unavailable(unavailable.reason)
        else:
            flash(_("Your new password is set. Sign in with it."))
            return redirect(url_for("auth.login"), code=303)
    if form.errors:
        status = 422
    return render_template("account/reset.html", form=form, email=link.user.email), status
