"""The language switcher on every page: a small POST form (CSRF-protected, no
JavaScript) that changes the interface language and returns to the page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, session
from werkzeug.wrappers import Response

from assessment.access import current_user, db
from assessment.forms import ActionForm
from assessment.i18n import SESSION_KEY, supported
from assessment.services.accounts import set_language
from assessment.views.auth import safe_next

bp = Blueprint("language", __name__)


@bp.route("/language", methods=["POST"])
def switch() -> Response:
    """Show the interface in the posted ``language`` from now on: for a
    signed-in user on their account, for a visitor in this browser's session;
    then back to ``next`` (a same-site path).  400 for a language the
    interface does not have."""
    ActionForm().validate_on_submit()  # CSRFProtect has already refused a missing token
    language = supported(request.form.get("language"))
    if language is None:
        abort(400)
    user = current_user()
    if user is not None:
        set_language(db(), user, language)
    session[SESSION_KEY] = language
    return redirect(safe_next(request.form.get("next")))
