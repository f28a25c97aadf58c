"""The application factory: configuration, the question banks (the current one
and every archived version) loaded once at start-up, extensions, error pages,
security headers and the blueprints.  The request plumbing the blueprints use
(database session, signed-in user, the role table) is in :mod:`assessment.access`."""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, g, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from assessment.access import current_user, install_access, limiter, role_of
from assessment.cli import register_cli
from assessment.config import PROJECT_ROOT, Config
from assessment.db import make_engine, make_session_factory
from assessment.engine.banks import BankSet, load_banks
from assessment.engine.display import wording
from assessment.errors import error_page, install_error_pages
from assessment.forms import ActionForm, check_bank_supported
from assessment.i18n import install_i18n
from assessment.logs import RedactShareTokens
from assessment.report.pool import Renderer, RenderFailed, ReportRenderer
from assessment.report.signing import SigningError, load_signer
from assessment.report.verify import ReadingBusy, configure_reading
from assessment.services.evidence import megabytes
from assessment.services.passwords import HashingBusy, configure_hashing
from assessment.services.reports import signing_files
from assessment.views import (
    account,
    auth,
    comments,
    dashboard,
    evidence,
    history,
    invitations,
    language,
    members,
    reports,
    shares,
    upgrades,
    verify,
    wizard,
    workflow,
)

csrf = CSRFProtect()


#: Where a value goes in an address that :func:`url_for_each` builds once.
_VALUE = "00000000-0000-0000-0000-000000000000"


def url_for_each(endpoint: str, key: str, **values: Any) -> Callable[[str], str]:
    """``url_for(endpoint, **values)`` for many values of ``key`` (a list's
    rows or sections): the address is built once, each value put in its place."""
    address = url_for(endpoint, **{**values, key: _VALUE})
    return lambda value: address.replace(_VALUE, quote(value, safe=""))


def create_app(config: Config | None = None, banks: BankSet | None = None) -> Flask:
    """Build the app for ``config`` (default: :meth:`Config.from_env`), with
    the question banks of ``config.bank_dir`` — or ``banks``, when the caller
    has already loaded that folder (the tests load it once per run).

    Raises :class:`~assessment.engine.loader.BankError` or
    :class:`~assessment.forms.UnsupportedQuestionType` for a bank it cannot use,
    :class:`~assessment.report.signing.SigningError` for a configured signing
    key or certificate it cannot use.
    """
    config = config or Config.from_env()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(config.instance_path),
    )
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        WTF_CSRF_ENABLED=True,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=config.request_max_bytes,
        TEMPLATES_AUTO_RELOAD=False,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=config.session_max_hours),
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_uri,
    )
    if config.signing_key_file is not None:  # an organisation's own key: refuse a bad one now
        load_signer(signing_files(config))
    banks = banks or load_banks(config.bank_dir)
    for bank in banks.banks:
        check_bank_supported(bank)
    engine = make_engine(config.database_url)
    app.extensions["assessment"] = {
        "config": config,
        "bank": banks.current,
        "banks": banks,
        "engine": engine,
        "sessions": make_session_factory(engine),
        "renderer": make_renderer(config, banks),
    }
    app.jinja_env.globals["wording"] = wording
    app.jinja_env.globals["megabytes"] = megabytes
    app.jinja_env.globals["url_for_each"] = url_for_each

    @app.before_request  # first of all: a download's wait for its report counts from here
    def note_start() -> None:
        g.started = time.monotonic()

    csrf.init_app(app)
    install_i18n(app)
    limiter.init_app(app)
    if config.trusted_proxies:
        # The client's address (per-address throttling, the access log) is the one the
        # nearest trusted proxy appended to X-Forwarded-For; addresses a client put
        # there itself, before the proxies, are never read.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies)  # type: ignore[method-assign]
    configure_hashing(config.hashing_slots, config.hashing_wait_seconds)
    install_access(app)
    configure_reading(config.reading_slots, config.reading_wait_seconds, config.reading_seconds)

    @app.errorhandler(RenderFailed)
    def render_failed(error: RenderFailed) -> tuple[str, int]:
        return render_template("downloads/failed.html"), 500

    @app.errorhandler(SigningError)
    def signing_failed(error: SigningError) -> tuple[str, int]:
        app.logger.error("reports cannot be signed: %s", error)  # paths and causes, no secrets
        return render_template("downloads/failed.html"), 500

    @app.errorhandler(RateLimitExceeded)
    def throttled(error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
        current = limiter.current_limit
        window = current.limit.get_expiry() if current else 900
        seconds = min(window, max(1, current.reset_at - int(time.time()))) if current else window
        minutes = math.ceil(seconds / 60)
        return (
            render_template("throttled.html", minutes=minutes),
            429,
            {"Retry-After": str(seconds)},
        )

    install_error_pages(app)

    @app.errorhandler(403)
    def forbidden(error: Exception) -> tuple[str, int]:
        user = current_user()
        return error_page(403, template="forbidden.html", role=role_of(user) if user else None)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        limit = megabytes(config.request_max_bytes)
        return error_page(413, template="too_large.html", limit=limit)

    @app.errorhandler(HashingBusy)
    def hashing_busy(error: HashingBusy) -> tuple[str, int, dict[str, str]]:
        return render_template("busy.html", busy_with="signing in"), 503, {"Retry-After": "10"}

    @app.errorhandler(ReadingBusy)
    def reading_busy(error: ReadingBusy) -> tuple[str, int, dict[str, str]]:
        return render_template("busy.html", busy_with="verifying"), 503, {"Retry-After": "30"}

    _install_security_headers(app)

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        # the sign-out button needs only a CSRF token: the request's form is not read
        # (it may be the one a page refuses, such as an upload over the size limit)
        return {"user": current_user(), "action_form": ActionForm(formdata=None)}

    blueprints = (
        auth.bp,
        account.bp,
        invitations.bp,
        members.bp,
        dashboard.bp,
        wizard.bp,
        evidence.bp,
        reports.bp,
        verify.bp,
        shares.bp,
        upgrades.bp,
        comments.bp,
        history.bp,
        workflow.bp,
        language.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    register_cli(app)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    # pyHanko logs a traceback for every file changed after signing; verification
    # reports that as an outcome, so it is no error of the application
    logging.getLogger("pyhanko.sign.diff_analysis").setLevel(logging.CRITICAL)
    for logger in (logging.getLogger("werkzeug"), app.logger):
        if not any(isinstance(f, RedactShareTokens) for f in logger.filters):
            logger.addFilter(RedactShareTokens())
    return app


def make_renderer(config: Config, banks: BankSet) -> Renderer:
    """RQ workers with ``REPORT_QUEUE=rq``, else this process's own pool."""
    if config.report_queue == "rq" and config.redis_url:
        from assessment.report.queue import QueuedRenderer  # rq only where it is used

        return QueuedRenderer(config.redis_url, config.report_cache_dir)
    return ReportRenderer(banks, config.bank_dir, config.report_workers, nice=config.report_nice)


def _install_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config["SESSION_COOKIE_SECURE"]:  # served over HTTPS only (SECURE_COOKIES=1)
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
