"""Accounts under pressure: sign-ups in parallel, server-side sessions that
end, throttled sign-in, bounded password hashing and the password rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select, text

from assessment.config import Config, ConfigError
from assessment.db import transaction
from assessment.models import Organisation, User, UserSession
from assessment.services import accounts, passwords, sessions
from assessment.services.accounts import add_user, remove_member, set_password
from assessment.services.passwords import WeakPassword, check_new_password
from tests.conftest import TEST_PASSWORD, Browser
from tests.helpers import BANKS

EMAIL = "ana@example.org"


@pytest.fixture
def make_app(config: Config) -> Iterator[Callable[..., Flask]]:
    """Apps built with some configuration changed; shut down after the test."""
    from assessment.web import create_app

    made: list[Flask] = []

    def make(**changes: Any) -> Flask:
        application = create_app(config.with_overrides(**changes), banks=BANKS)
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["assessment"]["renderer"].shutdown()
        application.extensions["assessment"]["engine"].dispose()
    passwords.configure_hashing(config.hashing_slots, config.hashing_wait_seconds)


def _browser(app: Flask, address: str = "127.0.0.1") -> Browser:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Browser(client)


def _login(browser: Browser, email: str = EMAIL, password: str = TEST_PASSWORD) -> Any:
    return browser.post("/login", {"email": email, "password": password}, page="/login")


def _signed_in(browser: Browser) -> bool:
    response = browser.get("/")
    return response.status_code == 200 and "Sign out" in response.get_data(as_text=True)


def _session_cookie(browser: Browser) -> str:
    cookie = browser.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


class Clock:
    """A settable stand-in for :func:`assessment.models.utcnow`."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(sessions, "utcnow", fake)
    return fake


# --- sign-up and sign-in keep write transactions short ------------------------------


def test_parallel_sign_ups_all_succeed(app: Flask) -> None:
    """50 sign-ups at once: none fails on a locked database."""
    count = 50
    browsers = [_browser(app, f"127.0.1.{i + 1}") for i in range(count)]
    for each in browsers:
        each.get("/signup")
    barrier = threading.Barrier(count)
    statuses: list[int] = [0] * count

    def sign_up(index: int) -> None:
        browser = browsers[index]
        barrier.wait()
        response = browser.post(
            "/signup",
            {
                "organisation": f"Group {index}",
                "name": f"Member {index}",
                "email": f"member{index}@example.org",
                "password": TEST_PASSWORD,
            },
        )
        statuses[index] = response.status_code

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * count
    with app.extensions["assessment"]["sessions"]() as session:
        assert len(session.scalars(select(User)).all()) == count


def test_parallel_sign_ups_with_slow_hashing_all_succeed(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load of the original report: 50 sign-ups at once, each hash slow
    and none waiting for a hashing slot.  Were a hash made inside the write
    transaction, SQLite's single write lock would be held 50 x 0.3 s, far past
    the busy timeout, and sign-ups would fail with "database is locked"."""
    count = 50
    app = make_app(hashing_slots=count, hashing_wait_seconds=60)
    real_hash = accounts.hash_password

    def slow_hash(password: str) -> str:
        threading.Event().wait(0.3)  # a slow server's argon2id
        return real_hash(password)

    monkeypatch.setattr(accounts, "hash_password", slow_hash)
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    browsers = [_browser(app, f"127.0.2.{i + 1}") for i in range(count)]
    for each in browsers:
        each.get("/signup")
    barrier = threading.Barrier(count)
    statuses: list[int] = [0] * count

    def sign_up(index: int) -> None:
        barrier.wait()
        statuses[index] = (
            browsers[index]
            .post(
                "/signup",
                {
                    "organisation": f"Group {index}",
                    "name": f"Member {index}",
                    "email": f"member{index}@example.org",
                    "password": TEST_PASSWORD,
                },
            )
            .status_code
        )

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * count
    with app.extensions["assessment"]["sessions"]() as session:
        assert len(session.scalars(select(User)).all()) == count
        assert len(session.scalars(select(Organisation)).all()) == count


def _write_elsewhere(app: Flask) -> None:
    """Write to the database on another connection, as a parallel request would.
    On SQLite this fails ("database is locked") while a write lock is held."""
    with app.extensions["assessment"]["engine"].connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA busy_timeout=200")
        connection.execute(
            text("INSERT INTO organisations (name, created_at) VALUES ('x', '2026-01-01')")
        )
        connection.execute(text("DELETE FROM organisations WHERE name = 'x'"))
        connection.commit()


def test_passwords_are_hashed_outside_write_transactions(
    app: Flask, browser: Browser, signup: Callable[..., Browser], monkeypatch: pytest.MonkeyPatch
) -> None:
    hashing_moments: list[str] = []
    real_hash, real_verify = accounts.hash_password, accounts.verify_password

    def hash_password(password: str) -> str:
        _write_elsewhere(app)
        hashing_moments.append("hash")
        return real_hash(password)

    def verify_password(stored: str | None, password: str) -> bool:
        _write_elsewhere(app)
        hashing_moments.append("verify")
        return real_verify(stored, password)

    monkeypatch.setattr(accounts, "hash_password", hash_password)
    monkeypatch.setattr(accounts, "verify_password", verify_password)
    signup(browser)
    browser.post("/logout", page="/")
    # An old hash is upgraded at sign-in: the new hash, too, is made before any write.
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        user = session.scalars(select(User)).one()
        user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(TEST_PASSWORD)
    assert _login(browser).status_code == 302
    assert hashing_moments == ["hash", "verify", "hash"]


# --- server-side sessions ------------------------------------------------------------


def test_cookie_replayed_after_sign_out_is_refused(
    browser: Browser, signup: Callable[..., Browser]
) -> None:
    signup(browser)
    stolen = _session_cookie(browser)
    assert _signed_in(browser)
    browser.post("/logout", page="/")
    assert not _signed_in(browser)
    browser.client.set_cookie("session", stolen)
    response = browser.get("/assessments/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_cookie_holds_only_a_random_id_stored_as_a_hash(
    app: Flask, browser: Browser, signup: Callable[..., Browser]
) -> None:
    signup(browser)
    data = app.session_interface.get_signing_serializer(app).loads(_session_cookie(browser))
    assert "user_id" not in data
    session_id = data["sid"]
    assert len(session_id) >= 40
    with app.extensions["assessment"]["sessions"]() as session:
        stored = session.scalars(select(UserSession)).one()
    assert stored.id_hash == hashlib.sha256(session_id.encode()).hexdigest()


def test_idle_sessions_end(
    app: Flask, browser: Browser, signup: Callable[..., Browser], clock: Clock
) -> None:
    signup(browser)
    clock.advance(minutes=29)
    assert _signed_in(browser)
    clock.advance(minutes=29)  # 58 minutes since sign-in, 29 since the last request
    assert _signed_in(browser)
    clock.advance(minutes=31)
    assert not _signed_in(browser)


def test_sessions_end_after_their_lifetime_however_active(
    browser: Browser, signup: Callable[..., Browser], clock: Clock
) -> None:
    signup(browser)
    for _ in range(35):  # every 20 minutes for 11 h 40 min
        clock.advance(minutes=20)
        assert _signed_in(browser)
    clock.advance(minutes=21)
    assert not _signed_in(browser)


def test_session_lengths_are_configurable(
    make_app: Callable[..., Flask], signup: Callable[..., Browser], clock: Clock
) -> None:
    app = make_app(session_idle_minutes=5.0, session_max_hours=1.0)
    browser = signup(_browser(app))
    clock.advance(minutes=4)
    assert _signed_in(browser)
    clock.advance(minutes=6)
    assert not _signed_in(browser)


def test_last_seen_is_written_at_most_once_a_minute(
    app: Flask, browser: Browser, signup: Callable[..., Browser], clock: Clock
) -> None:
    signup(browser)

    def last_seen() -> dt.datetime:
        with app.extensions["assessment"]["sessions"]() as session:
            value = session.scalars(select(UserSession.last_seen_at)).one()
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value

    started = last_seen()
    clock.advance(seconds=50)
    assert _signed_in(browser)
    assert last_seen() == started
    clock.advance(seconds=20)
    assert _signed_in(browser)
    assert last_seen() == clock.now


def test_session_settings_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    defaults = Config.from_env()
    assert (defaults.session_idle_minutes, defaults.session_max_hours) == (30.0, 12.0)
    assert defaults.ratelimit_storage_uri == "memory://"
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "10")
    monkeypatch.setenv("SESSION_MAX_HOURS", "2.5")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    configured = Config.from_env()
    assert (configured.session_idle_minutes, configured.session_max_hours) == (10.0, 2.5)
    assert configured.ratelimit_storage_uri == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "0")
    with pytest.raises(ConfigError, match="SESSION_IDLE_MINUTES must be more than 0"):
        Config.from_env()


def test_a_new_password_ends_every_session(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    first = signup(make_browser())
    second = make_browser()
    assert _login(second).status_code == 302
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        user = session.scalars(select(User)).one()
        set_password(session, user, "a different long passphrase")
    assert not _signed_in(first)
    assert not _signed_in(second)
    assert _login(second, password="a different long passphrase").status_code == 302
    assert _signed_in(second)


def test_set_password_command_ends_every_session(
    app: Flask, browser: Browser, signup: Callable[..., Browser]
) -> None:
    signup(browser)
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["set-password", EMAIL, "--password", "passwordpass"])
    assert weak.exit_code == 1
    assert _signed_in(browser)
    done = runner.invoke(args=["set-password", EMAIL, "--password", "a different long passphrase"])
    assert done.exit_code == 0, done.output
    assert not _signed_in(browser)


def test_removing_a_member_ends_their_sessions(
    app: Flask, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> None:
    owner = signup(make_browser())
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        organisation = session.scalars(select(Organisation)).one()
        add_user(session, organisation, "Boris", "boris@example.org", "another long passphrase")
    member = make_browser()
    assert _login(member, "boris@example.org", "another long passphrase").status_code == 302
    assert _signed_in(member)
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        boris = session.scalars(select(User).where(User.email == "boris@example.org")).one()
        remove_member(session, boris)
    assert not _signed_in(member)
    assert _signed_in(owner)
    with app.extensions["assessment"]["sessions"]() as session:
        assert len(session.scalars(select(UserSession)).all()) == 1


# --- throttling ----------------------------------------------------------------------


def _wrong_logins(browser: Browser, email: str, count: int) -> None:
    for _ in range(count):
        response = _login(browser, email, "not the password at all")
        assert response.status_code == 200
        assert "password is wrong" in response.get_data(as_text=True)


def _check_account_throttling(app: Flask, signup: Callable[..., Browser]) -> None:
    signup(_browser(app, "127.0.0.9"), EMAIL, "Watchdog")
    signup(_browser(app, "127.0.0.9"), "boris@example.org", "Other group")
    attacker = _browser(app, "127.0.0.2")
    _wrong_logins(attacker, EMAIL, 10)
    refused = _login(attacker)  # the right password, too late
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Try again in 15 minutes" in page
    assert 'class="top"' in page  # in the application's layout
    assert not _signed_in(attacker)
    # The same account from elsewhere is throttled too (counted per account) ...
    assert _login(_browser(app, "127.0.0.3")).status_code == 429
    # ... while another account from another address is not.
    assert _login(_browser(app, "127.0.0.4"), "boris@example.org").status_code == 302


def test_eleventh_sign_in_attempt_on_an_account_is_refused(
    app: Flask, signup: Callable[..., Browser]
) -> None:
    _check_account_throttling(app, signup)


def test_throttling_ends_when_the_window_has_passed(
    app: Flask, signup: Callable[..., Browser], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody can lock the owner out for good: the failures expire."""
    import time
    import types

    import limits.storage.memory

    now = [time.time()]
    monkeypatch.setattr(limits.storage.memory, "time", types.SimpleNamespace(time=lambda: now[0]))
    signup(_browser(app, "127.0.0.9"))
    attacker = _browser(app, "127.0.0.2")
    _wrong_logins(attacker, EMAIL, 10)
    now[0] += 14 * 60
    assert _login(attacker).status_code == 429
    now[0] += 61
    assert _login(attacker).status_code == 302


def test_throttling_counts_in_redis_when_configured(
    make_app: Callable[..., Flask], signup: Callable[..., Browser]
) -> None:
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        app = make_app(ratelimit_storage_uri=url)
        _check_account_throttling(app, signup)
        assert client.dbsize() > 0
    finally:
        client.flushdb()
        client.close()


def test_sign_in_attempts_are_throttled_per_address(app: Flask) -> None:
    attacker = _browser(app, "127.0.0.2")
    for index in range(30):
        _wrong_logins(attacker, f"user{index}@example.org", 1)
    assert _login(attacker, "user99@example.org").status_code == 429
    assert _login(_browser(app, "127.0.0.3"), "user99@example.org").status_code == 200


def test_sign_ups_are_throttled_per_address(app: Flask) -> None:
    browser = _browser(app, "127.0.0.2")
    form = {"organisation": "O", "name": "N", "email": "x@example.org", "password": "short"}
    for _ in range(10):
        assert browser.post("/signup", form, page="/signup").status_code == 200
    assert browser.post("/signup", form, page="/signup").status_code == 429
    other = _browser(app, "127.0.0.3")
    assert other.post("/signup", form, page="/signup").status_code == 200


def test_verification_uploads_are_throttled_per_address(app: Flask) -> None:
    import io

    browser = _browser(app, "127.0.0.2")

    def upload() -> int:
        data = {"report": (io.BytesIO(b"not a pdf"), "r.pdf")}
        response = browser.post("/verify", data, page="/verify", content_type="multipart/form-data")
        return int(response.status_code)

    assert [upload() for _ in range(20)] == [422] * 20
    assert upload() == 429


# --- bounded hashing -----------------------------------------------------------------


class _GatedHasher:
    """Counts how many hashes run at once; each waits for the gate."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.active = 0
        self.most = 0
        self.gate = threading.Event()

    def hash(self, password: str) -> str:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
            self.lock.notify_all()
        self.gate.wait(timeout=30)
        with self.lock:
            self.active -= 1
        return "$fake$"


def test_concurrent_hashing_is_bounded(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_app(hashing_slots=2, hashing_wait_seconds=0.05)
    fake = _GatedHasher()
    monkeypatch.setattr(passwords, "_hasher", fake)
    busy: list[BaseException] = []

    def run() -> None:
        try:
            passwords.hash_password("whatever it is")
        except passwords.HashingBusy as error:
            with fake.lock:
                busy.append(error)
                fake.lock.notify_all()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    with fake.lock:  # until the four extra requests gave up, or all six got in
        fake.lock.wait_for(lambda: len(busy) == 4 or fake.active == 6, timeout=30)
    fake.gate.set()
    for thread in threads:
        thread.join()
    assert fake.most == 2
    assert len(busy) == 4


def test_sign_in_when_hashing_is_saturated_gets_503(
    make_app: Callable[..., Flask], signup: Callable[..., Browser]
) -> None:
    app = make_app(hashing_slots=1, hashing_wait_seconds=0.01)
    signup(_browser(app, "127.0.0.9"))
    browser = _browser(app)
    browser.get("/login")
    with passwords.hashing_slot():
        response = _login(browser)
    assert response.status_code == 503
    assert "The server is busy" in response.get_data(as_text=True)
    assert _login(browser).status_code == 302


def test_new_hashes_use_owasp_parameters() -> None:
    assert passwords.hash_password(TEST_PASSWORD).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_old_hashes_still_verify_and_are_upgraded(
    app: Flask, browser: Browser, signup: Callable[..., Browser]
) -> None:
    signup(browser)
    browser.post("/logout", page="/")
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(TEST_PASSWORD)
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        session.scalars(select(User)).one().password_hash = old
    assert _login(browser).status_code == 302
    with app.extensions["assessment"]["sessions"]() as session:
        stored = session.scalars(select(User.password_hash)).one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password(stored, TEST_PASSWORD)


# --- password rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", "at least 12 characters"),
        ("x" * 129, "at most 128"),
        ("passwordpass", "repeats"),
        ("aaaaaaaaaaaa", "repeats"),
        ("abcabcabcabcabc", "repeats"),
        ("123456789012", "sequence"),
        ("abcdefghijklmn", "sequence"),
        ("QWERTYUIOPASDF", "sequence"),
        ("9876543210987", "sequence"),
        ("iloveyou2024!", "common or leaked"),
        ("Password123456", "common or leaked"),
        ("qwerty123456789", "common or leaked"),
        ("anastasia-rules-the-world", "e-mail"),
    ],
)
def test_weak_passwords_are_refused(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword, match=reason):
        check_new_password(password, "anastasia@example.org")


@pytest.mark.parametrize(
    "password",
    [TEST_PASSWORD, "quarantine-cameras-2020", "Lantern orbit pickle?", "word " * 25 + "end"],
)
def test_good_passwords_and_long_passphrases_are_accepted(password: str) -> None:
    check_new_password(password, EMAIL)


def test_the_common_password_list_is_bundled() -> None:
    common = passwords.common_passwords()
    assert len(common) >= 10_000
    assert {"password", "123456", "iloveyou"} <= common


def test_sign_up_form_explains_a_weak_password_and_keeps_the_rest(browser: Browser) -> None:
    response = browser.post(
        "/signup",
        {
            "organisation": "Watchdog",
            "name": "Ana",
            "email": EMAIL,
            "password": "passwordpass",
        },
        page="/signup",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "repeats a short pattern" in page
    assert 'id="password-error"' in page
    assert 'value="Watchdog"' in page
    assert f'value="{EMAIL}"' in page
    assert 'value="Ana"' in page
    assert "15 or more recommended" in page


def test_signing_in_again_ends_the_earlier_session(
    app: Flask, browser: Browser, signup: Callable[..., Browser]
) -> None:
    signup(browser)
    earlier = _session_cookie(browser)
    assert _login(browser).status_code == 302
    assert _session_cookie(browser) != earlier
    with app.extensions["assessment"]["sessions"]() as session:
        assert len(session.scalars(select(UserSession)).all()) == 1
    browser.client.set_cookie("session", earlier)
    assert not _signed_in(browser)


def _behind_proxy(app: Flask, forwarded_for: str) -> Browser:
    """A client whose requests reach the app through a proxy at 10.0.0.1 that
    sends ``forwarded_for`` as X-Forwarded-For."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Browser(client)


def _sign_ups_until_refused(browser: Browser, most: int = 12) -> int:
    form = {"organisation": "O", "name": "N", "email": "x@example.org", "password": "short"}
    for count in range(most):
        if browser.post("/signup", form, page="/signup").status_code == 429:
            return count
    return most


def test_behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(trusted_proxies=1)
    # the client put an address of its own first; only the proxy's last entry counts
    assert _sign_ups_until_refused(_behind_proxy(app, "198.51.100.7, 203.0.113.5")) == 10
    assert _sign_ups_until_refused(_behind_proxy(app, "198.51.100.7, 203.0.113.6")) == 10


def test_without_trusted_proxies_a_forwarded_address_is_ignored(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    assert _sign_ups_until_refused(_behind_proxy(app, "203.0.113.5")) == 10
    assert _sign_ups_until_refused(_behind_proxy(app, "203.0.113.6")) == 0  # the same proxy
