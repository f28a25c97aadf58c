"""Accepting an invitation: the one-time link opens a sign-up form for the
invited address, which joins the organisation with the role chosen by the
owner who invited."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from assessment.access import db, discard_changes, limiter
from assessment.forms import AcceptInvitationForm
from assessment.i18n import role_label, visitor_language
from assessment.services.accounts import AccountError, WeakPassword
from assessment.services.members import LinkUnavailable, accept_invitation, live_invitation
from assessment.views.account import link_unavailable
from assessment.views.auth import SIGNUP_LIMIT_PER_ADDRESS, sign_in

bp = Blueprint("invitations", __name__)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(SIGNUP_LIMIT_PER_ADDRESS, methods=["POST"])
def accept(token: str) -> Response | tuple[str, int]:
    try:
        invitation = live_invitation(db(), token)
    except LinkUnavailable as unavailable:
        return link_unavailable(unavailable.reason)
    form = AcceptInvitationForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accept_invitation(
                db(), token, form.name.data, form.password.data, visitor_language()
            )
        except LinkUnavailable as unavailable:  # used a moment earlier
            discard_changes()
            return link_unavailable(unavailable.reason)
        except WeakPassword as error:
            form.password.errors.append(str(error))
        except AccountError as error:  # the link stays unused
            discard_changes()
            form.name.errors.append(str(error))
        else:
            sign_in(user)
            flash(
                _(
                    "Welcome to %(organisation)s. Your role: %(role)s.",
                    organisation=user.organisation.name,
                    role=role_label(user.role),
                )
            )
            return redirect(url_for("dashboard.index"), code=303)
    if form.errors:
        status = 422
    return render_template("invitations/accept.html", form=form, invitation=invitation), status
