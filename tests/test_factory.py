from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from assessment.config import Config, ConfigError


def test_defaults_are_safe(app: Flask) -> None:
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.debug is False
    assert app.jinja_env.autoescape is True or app.jinja_env.autoescape("page.html")


def test_security_headers(browser) -> None:  # type: ignore[no-untyped-def]
    response = browser.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_secret_key_is_created_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    first = Config.from_env()
    assert len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Config.from_env().secret_key == first.secret_key
    assert "sqlite:///" in first.database_url
    assert str(tmp_path) in first.database_url


def test_short_secret_key_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        Config.from_env()


def test_report_settings_are_read_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("REPORT_WORKERS", raising=False)
    for name in ("REPORT_WAIT_SECONDS", "REPORT_QUEUE", "REDIS_URL", "REPORT_STORE_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name in ("REPORT_BACKGROUND", "REPORT_IDLE_MINUTES", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    defaults = Config.from_env()
    assert (defaults.report_workers, defaults.report_wait_seconds) == (2, 1.0)
    assert (defaults.report_background, defaults.report_idle_minutes) == (True, 30.0)
    assert (defaults.report_queue, defaults.redis_url) == ("pool", None)
    assert defaults.report_cache_dir == tmp_path / "report-cache"
    monkeypatch.setenv("REPORT_QUEUE", "rq")
    with pytest.raises(ConfigError, match="REPORT_QUEUE=rq needs REDIS_URL"):
        Config.from_env()
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("REPORT_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("REPORT_BACKGROUND", "0")
    monkeypatch.setenv("REPORT_IDLE_MINUTES", "90")
    queued = Config.from_env()
    assert (queued.report_queue, queued.redis_url) == ("rq", "redis://127.0.0.1:6379/3")
    assert queued.ratelimit_storage_uri == "redis://127.0.0.1:6379/3"
    assert queued.report_cache_dir == tmp_path / "store"
    assert (queued.report_background, queued.report_idle_minutes) == (False, 90.0)
    monkeypatch.setenv("REPORT_QUEUE", "celery")
    with pytest.raises(ConfigError, match="REPORT_QUEUE must be one of pool, rq"):
        Config.from_env()
    monkeypatch.delenv("REPORT_QUEUE")
    monkeypatch.setenv("REPORT_WORKERS", "0")
    monkeypatch.setenv("REPORT_WAIT_SECONDS", "1.5")
    assert (Config.from_env().report_workers, Config.from_env().report_wait_seconds) == (0, 1.5)
    for name, value, message in (
        ("REPORT_WORKERS", "two", re.escape("REPORT_WORKERS must be a number (int), not 'two'")),
        ("REPORT_WORKERS", "-1", "REPORT_WORKERS must not be negative"),
        ("REPORT_WAIT_SECONDS", "soon", re.escape("REPORT_WAIT_SECONDS must be a number (float)")),
    ):
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigError, match=message):
            Config.from_env()
        monkeypatch.setenv(name, "1")


def test_passwords_are_hashed_with_argon2id(app: Flask, browser, signup) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from assessment.models import User

    signup(browser)
    with app.extensions["assessment"]["sessions"]() as session:
        stored = session.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
