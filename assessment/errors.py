"""The error pages: one template (``templates/errors/page.html``) in the
app's layout for every HTTP error the application answers with, each with a
heading, what happened, what to do and a way back, in the interface language.

They show nothing of the request and no traceback.  The 500 page reads no
database: it forgets the signed-in user (so the layout, the language and the
way back do not load one) and is built from this module's texts alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from flask import Flask, g, render_template
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


@dataclass(frozen=True)
class ErrorText:
    """What an error page says: its title, heading, what happened, what to do."""

    title: LazyString
    heading: LazyString
    happened: LazyString
    next_step: LazyString


ERROR_TEXTS: Final[Mapping[int, ErrorText]] = MappingProxyType(
    {
        400: ErrorText(
            _l("Bad request"),
            _l("The request could not be understood"),
            _l(
                "What was sent to the server was incomplete or not in the expected form, so "
                "nothing was done."
            ),
            _l("Go back, reload the page and try again."),
        ),
        403: ErrorText(
            _l("Not allowed"),
            _l("Your role does not allow this"),
            _l("This page is not available."),
            _l("If you think you should have access, ask an owner of your organisation."),
        ),
        404: ErrorText(
            _l("Page not found"),
            _l("This page does not exist"),
            _l(
                "There is no page at this address, or it is not available to you: the link may be "
                "mistyped, out of date or revoked."
            ),
            _l("Check the address, or start again from the link below."),
        ),
        405: ErrorText(
            _l("Not possible here"),
            _l("This page cannot be used that way"),
            _l(
                "The page exists, but it does not accept this kind of request (for example, an "
                "address typed in for a form that must be sent)."
            ),
            _l("Go back and use the page's own buttons and links."),
        ),
        409: ErrorText(
            _l("Conflict"),
            _l("This cannot be done now"),
            _l("The request conflicts with the current state of the data, so nothing was changed."),
            _l(
                "Go back, reload the page to see the current state, and try again if it still "
                "applies."
            ),
        ),
        413: ErrorText(
            _l("File too large"),
            _l("The upload is too large"),
            _l(
                "What was sent is larger than this server accepts, so it was not read and nothing "
                "was saved."
            ),
            _l("Send a smaller file."),
        ),
        500: ErrorText(
            _l("Server error"),
            _l("Something went wrong on the server"),
            _l(
                "The server could not complete the request. The error has been logged; whatever "
                "was not confirmed as saved may not have been."
            ),
            _l(
                "Try again in a few minutes. If it keeps happening, tell the person who runs this "
                "installation."
            ),
        ),
    }
)

CSRF_TEXT: Final = ErrorText(
    _l("Form expired"),
    _l("The form could not be accepted"),
    _l(
        "Its security token (CSRF) is missing or no longer valid, for example because the page "
        "was open for a long time or you signed out in another tab. Nothing was saved."
    ),
    _l("Go back, reload the page and send the form again."),
)


def error_page(
    status: int,
    *,
    text: ErrorText | None = None,
    detail: str | None = None,
    template: str = "errors/page.html",
    **context: object,
) -> tuple[str, int]:
    """The error page for ``status`` (one of :data:`ERROR_TEXTS`), optionally
    with another ``text``, a ``detail`` sentence written by the application, or
    a ``template`` extending ``errors/page.html`` with its ``context``."""
    page = render_template(
        template, status=status, text=text or ERROR_TEXTS[status], detail=detail, **context
    )
    return page, status


def _own_description(error: HTTPException) -> str | None:
    """The description the application gave ``error`` (``abort(409, description=...)``),
    or ``None`` for Werkzeug's generic English one."""
    description = error.description
    if description is None or description == type(error).description:
        return None
    return str(description)


def install_error_pages(app: Flask) -> None:
    """Answer 400, 404, 405, 409 and 500 with the app's error page (403 and
    413 have their own handlers in :mod:`assessment.web`, on the same template)."""

    @app.errorhandler(400)
    def bad_request(error: HTTPException) -> tuple[str, int]:
        if isinstance(error, CSRFError):
            return error_page(400, text=CSRF_TEXT)
        return error_page(400)

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> tuple[str, int]:
        return error_page(404)

    @app.errorhandler(405)
    def not_allowed(error: HTTPException) -> tuple[str, int, dict[str, str]]:
        page, status = error_page(405)
        methods = getattr(error, "valid_methods", None) or []
        return page, status, {"Allow": ", ".join(methods)} if methods else {}

    @app.errorhandler(409)
    def conflict(error: HTTPException) -> tuple[str, int]:
        return error_page(409, detail=_own_description(error))

    @app.errorhandler(500)
    def server_error(error: HTTPException) -> tuple[str, int]:
        # the database may be what failed: show the page as to a visitor, reading none
        g.user = None
        g.pop("session_touch", None)
        return error_page(500)
