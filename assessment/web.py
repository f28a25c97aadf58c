"""The application factory and the request plumbing shared by all blueprints:
one database session and one transaction per request, the signed-in user,
and the question banks (the current one and every archived version) loaded
once at start-up."""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from assessment.config import PROJECT_ROOT, Config
from assessment.db import make_engine, make_session_factory
from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet, load_banks
from assessment.engine.display import wording
from assessment.forms import check_bank_supported
from assessment.logs import RedactShareTokens
from assessment.models import User
from assessment.report.pool import RenderFailed, ReportRenderer
from assessment.report.signing import SigningError, load_signer
from assessment.services.passwords import HashingBusy, configure_hashing
from assessment.services.reports import signing_files
from assessment.services.sessions import load_session, touch_session

F = TypeVar("F", bound=Callable[..., Any])
csrf = CSRFProtect()
# Sign-in, sign-up and verification throttling (the limits are on the views).
# Moving windows: an attempt counts for exactly the window's length, then expires.
limiter = Limiter(key_func=get_remote_address, strategy="moving-window")


def create_app(config: Config | None = None) -> Flask:
    """Build the app for ``config`` (default: :meth:`Config.from_env`).

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
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        TEMPLATES_AUTO_RELOAD=False,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=config.session_max_hours),
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_uri,
    )
    if config.signing_key_file is not None:  # an organisation's own key: refuse a bad one now
        load_signer(signing_files(config))
    banks = load_banks(config.bank_dir)
    for bank in banks.banks:
        check_bank_supported(bank)
    engine = make_engine(config.database_url)
    app.extensions["assessment"] = {
        "config": config,
        "bank": banks.current,
        "banks": banks,
        "engine": engine,
        "sessions": make_session_factory(engine),
        "renderer": ReportRenderer(banks, config.bank_dir, config.report_workers),
    }
    app.jinja_env.globals["wording"] = wording
    csrf.init_app(app)
    limiter.init_app(app)
    configure_hashing(config.hashing_slots, config.hashing_wait_seconds)
    _install_transaction(app)

    @app.errorhandler(RenderFailed)
    def render_failed(error: RenderFailed) -> tuple[str, int]:
        return render_template("report/failed.html"), 500

    @app.errorhandler(SigningError)
    def signing_failed(error: SigningError) -> tuple[str, int]:
        app.logger.error("reports cannot be signed: %s", error)  # paths and causes, no secrets
        return render_template("report/failed.html"), 500

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

    @app.errorhandler(HashingBusy)
    def hashing_busy(error: HashingBusy) -> tuple[str, int, dict[str, str]]:
        return render_template("busy.html"), 503, {"Retry-After": "10"}

    _install_security_headers(app)

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        from assessment.forms import ActionForm

        return {"user": current_user(), "action_form": ActionForm()}

    from assessment.cli import register_cli
    from assessment.views import auth, dashboard, reports, shares, upgrades, verify, wizard

    blueprints = (auth.bp, dashboard.bp, wizard.bp, reports.bp, verify.bp, shares.bp, upgrades.bp)
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


def app_config() -> Config:
    return cast(Config, current_app.extensions["assessment"]["config"])


def app_bank() -> Bank:
    """The current question bank: the one new assessments use."""
    return cast(Bank, current_app.extensions["assessment"]["bank"])


def app_banks() -> BankSet:
    """Every installed question-bank version (see :func:`pinned_bank` in
    ``assessment/views/common.py`` for an assessment's own)."""
    return cast(BankSet, current_app.extensions["assessment"]["banks"])


def report_renderer() -> ReportRenderer:
    return cast(ReportRenderer, current_app.extensions["assessment"]["renderer"])


def session_factory() -> sessionmaker[Session]:
    return cast(sessionmaker[Session], current_app.extensions["assessment"]["sessions"])


def db() -> Session:
    """The request's database session, opened on first use."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    return cast(Session, g.db_session)


def _install_transaction(app: Flask) -> None:
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
    """Redirect anonymous users to the sign-in page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def require_user() -> User:
    user = current_user()
    if user is None:  # pragma: no cover - guarded by login_required
        abort(401)
    return user
