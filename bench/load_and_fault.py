"""Load-and-fault benchmark: many people saving at once while the server is
killed, then every acknowledged save checked against the database.

What it does, in order:

1. Prepares a fresh database and migrates it: a SQLite file in a temporary
   folder (``--database sqlite``), or the PostgreSQL database at
   ``--database-url`` (``--database postgresql``; a database that already has
   tables is refused unless ``--reset`` is given, which drops its ``public``
   schema).
2. Creates, through the application's services, one organisation with one
   member per client plus two who submit, and ``--assessments`` complete
   draft assessments imported from ``assessment/examples/moscow_cameras.json``.
   Passwords are hashed with the application's own settings (no shortcut).
3. Starts gunicorn with the repository's ``gunicorn.conf.py`` (two workers of
   four threads) on a free loopback port, as a subprocess.
4. Runs ``--clients`` clients (threads, default 50) for ``--duration`` seconds
   (default 60).  Each signs in as its own member from its own loopback
   address (127.0.1.N, so the per-address sign-in throttle sees 50 people,
   not one), then repeatedly opens a wizard section of a random assessment,
   reads the CSRF token and the revision from the form, changes one text
   answer of that section to a value used nowhere else, and posts the form as
   a browser would.  Each save is recorded: 302/303 = acknowledged, 409 =
   refused (a conflict, or the assessment was submitted), no reply or any
   other status = error.  After a connection error a client waits a little
   (0.05 s doubling up to 1 s) and tries again: the same section, a new value.
5. Meanwhile, at fixed fractions of the run: submits ``--submits``
   assessments, each by two members at the same moment (a double submit
   racing the clients' saves); ``kill -9`` of one gunicorn worker (the master
   starts another); ``kill -9`` of the whole server, master and workers, then
   starts it again.
6. Stops the server and checks, from the database alone:

   * every save that changed something left an "answers saved" event; each
     event is matched to the request of its member whose time span holds the
     event's time (a member's requests never overlap), which gives each save
     the revision it was stored under;
   * lost: an acknowledged save that was never stored, or was overwritten by a
     save that had not seen it (the later save's form was loaded at a revision
     before the earlier one was stored), or whose answer now holds an older
     value or one that no save wrote.  The stored value of every answer must be
     that of the last save stored, and an acknowledged value may only be
     replaced by a later save;
   * a save answered 409 (or with another error status) was not stored; a save
     whose reply was lost to a kill may have been, and is counted apart;
   * late: a save stored after its assessment's submission (by event order, by
     revision or by time), or an answer changed after ``submitted_at``;
   * each double submit: exactly one "submitted" event, one 302 and one 409;
   * each assessment's events carry distinct, consecutive revisions (two
     contents never share a revision number);
   * on SQLite, ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check``.

7. Prints a summary (requests, errors by kind and whether they fell in a
   fault, conflicts, lost, late, p50/p95/p99 latency of saves) and, with
   ``--json PATH``, writes it as JSON.  Exits 1 if anything was lost or late
   or any check failed.

The code tested is that of the checkout this file is in (its folder comes
first on the import path, and gunicorn runs there)::

    .venv/bin/python bench/load_and_fault.py --database sqlite
    .venv/bin/python bench/load_and_fault.py --database postgresql --reset \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

All traffic stays on the loopback interface; the run is bounded by
``--duration`` and stops by itself.  The clients run in this process and
share the machine's cores with the server and the database: on a small
machine their page parsing is part of what the latencies measure.  Results
belong in docs/benchmarks.md with the machine they ran on.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import http.client
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The code under test is this checkout's, also when the virtualenv holds an
# editable install of another one.
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import Engine, inspect, select, text  # noqa: E402 - after the path is set

from assessment.config import DEFAULT_BANK_DIR  # noqa: E402
from assessment.db import make_engine, make_session_factory, transaction  # noqa: E402
from assessment.demo import DEMO_FILE  # noqa: E402
from assessment.engine.bank import QuestionType  # noqa: E402
from assessment.engine.banks import load_banks, load_exchange  # noqa: E402
from assessment.engine.progress import resolve  # noqa: E402
from assessment.forms import field_name  # noqa: E402
from assessment.migrate import upgrade  # noqa: E402
from assessment.models import (  # noqa: E402
    AnswerRecord,
    Assessment,
    AssessmentEvent,
    User,
    as_utc,
)
from assessment.services.accounts import add_user, create_organisation_with_user  # noqa: E402
from assessment.services.assessments import import_document  # noqa: E402

# One text answer per section is changed by the clients, so that every
# conflict is a conflict on that answer and a save changes exactly one answer.
TARGETS: tuple[tuple[str, str], ...] = (
    ("scoping.programme", "scope.operator"),
    ("scoping.context", "scope.context_notes"),
    ("description.purpose", "desc.purpose"),
    ("description.scale", "desc.area"),
    ("rights.impacts", "rights.harms_documented"),
    ("safeguards.plan", "safe.sign_off"),
)
TEXT_TYPES = (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT)
EMAIL_DOMAIN = "load.example.org"
REQUEST_TIMEOUT = 90.0  # above gunicorn's 60 s worker timeout: a reply or the worker's end
# gunicorn closes a keep-alive connection idle for 5 s (gunicorn.conf.py); a browser
# does not send a request on one that may be closing, so neither does a client.
IDLE_CONNECTION = 4.0
START_LIMIT = 60.0  # a bound on waiting for the server to listen
ACKNOWLEDGED, CONFLICT, REFUSED_SUBMITTED, FAILED = (
    "acknowledged",
    "refused: conflict",
    "refused: submitted",
    "error",
)
SUBMITTED_NOTICE = "has been submitted and can no longer be changed"
SUBMIT_EVENT = "submitted for review"  # the event of a submission
CONFLICT_NOTICE = "Someone else changed this answer"
READ_ONLY_NOTICE = "this assessment is read-only"


# --------------------------------------------------------------------------
# Records


@dataclass(slots=True)
class Attempt:
    """One HTTP request: what for, when (wall clock, seconds), and how it
    ended.  ``error`` names the failure; ``None`` when the reply was one the
    client expected."""

    kind: str
    started: float
    ended: float
    status: int | None
    error: str | None = None
    connection_opened: float | None = None


@dataclass(slots=True)
class Save:
    """One posted section form: the answer changed, the value sent, the
    revision the form was loaded at, and the outcome."""

    client: str
    assessment: str
    section: str
    question: str
    value: str
    base_revision: int
    started: float
    ended: float
    seconds: float | None  # until the whole reply was read; None without a reply
    outcome: str
    status: int | None


@dataclass(slots=True)
class SubmitRace:
    assessment: str
    statuses: list[int | None]
    at: float  # seconds since the start of the run
    window: tuple[float, float]  # wall clock: the first submit sent, the last reply


@dataclass(slots=True)
class Fault:
    kind: str  # "worker" or "server"
    at: float  # wall clock
    ready: float  # wall clock: a new worker started / the server listens again
    pids: list[int]


@dataclass(slots=True)
class Run:
    """What the clients and the driver share while the load runs."""

    port: int
    deadline: float  # time.monotonic()
    submitted: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


# --------------------------------------------------------------------------
# HTTP, as a browser does it: cookies, forms, no redirects followed


class ConnectionFailed(Exception):
    """No HTTP reply: ``kind`` names how the request failed."""

    def __init__(self, kind: str, connection_opened: float | None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.connection_opened = connection_opened


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    location: str
    html: str


def _failure_kind(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, http.client.RemoteDisconnected):
        return "connection closed without a reply"
    if isinstance(error, ConnectionResetError):
        return "connection reset"
    if isinstance(error, BrokenPipeError):
        return "broken pipe"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, http.client.IncompleteRead):
        return "incomplete reply"
    return type(error).__name__


class Browser:
    """One person's browser: its own loopback source address, cookies and
    keep-alive connection."""

    def __init__(self, port: int, source: str) -> None:
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None
        self._opened: float | None = None
        self._last_used = 0.0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection, self._opened = None, None

    def send(
        self, method: str, path: str, fields: list[tuple[str, str]] | None = None
    ) -> tuple[Reply, float | None]:
        """One request; the reply and when its connection was opened.
        Raises :class:`ConnectionFailed` when no reply came."""
        if time.monotonic() - self._last_used > IDLE_CONNECTION:
            self.close()
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT, source_address=(self.source, 0)
            )
            self._opened = time.time()
        opened = self._opened
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            payload = response.read()
        except (http.client.HTTPException, OSError) as error:
            self.close()
            raise ConnectionFailed(_failure_kind(error), opened) from error
        self._last_used = time.monotonic()
        for header in response.headers.get_all("Set-Cookie") or []:
            self._take_cookie(header)
        if response.will_close:
            self.close()
        reply = Reply(
            response.status,
            response.headers.get("Location", ""),
            payload.decode("utf-8", errors="replace"),
        )
        return reply, opened

    def _take_cookie(self, header: str) -> None:
        first, _, attributes = header.partition(";")
        name, _, value = first.strip().partition("=")
        if not value or "max-age=0" in attributes.lower().replace(" ", ""):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value


@dataclass(slots=True)
class Form:
    action: str | None
    fields: list[tuple[str, str]]


class FormReader(HTMLParser):
    """The successful controls of each form on a page (inputs, ticked boxes,
    text areas, chosen options), as a browser submits them; controls in a
    disabled fieldset are left out."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._open = False
        self._form_id: str | None = None
        self._disabled_depth = 0
        self._fieldsets: list[bool] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(attr.get("action"), []))
            self._open = True
            self._form_id = attr.get("id")
            return
        if tag == "fieldset":
            disabled = "disabled" in attr
            self._fieldsets.append(disabled)
            self._disabled_depth += disabled
            return
        if not self._open or "disabled" in attr or self._disabled_depth:
            return
        if "form" in attr and attr["form"] != self._form_id:
            return  # a control of another form (its form attribute), as a browser reads it
        fields = self.forms[-1].fields
        if tag == "input" and "name" in attr:
            kind = attr.get("type", "text")
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind not in ("checkbox", "radio") or "checked" in attr:
                fields.append((attr["name"], attr.get("value", "")))
        elif tag == "select":
            self._select = attr.get("name")
        elif tag == "option" and self._select and "selected" in attr:
            fields.append((self._select, attr.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = attr.get("name"), []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False
        elif tag == "fieldset" and self._fieldsets:
            self._disabled_depth -= self._fieldsets.pop()
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._open and not self._disabled_depth:
                value = "".join(self._text).removeprefix("\n")
                self.forms[-1].fields.append((self._textarea, value))
            self._textarea = None


def read_forms(html: str) -> list[Form]:
    reader = FormReader()
    reader.feed(html)
    reader.close()
    return reader.forms


def form_with(html: str, name: str) -> Form | None:
    """The first form on the page that has a control called ``name``."""
    return next((f for f in read_forms(html) if any(n == name for n, _ in f.fields)), None)


# --------------------------------------------------------------------------
# The clients


class Member:
    """One member's browser session: signs in, opens pages, posts forms, and
    records every request."""

    def __init__(self, name: str, email: str, password: str, source: str, run: Run, seed: int):
        self.name = name
        self.email = email
        self.password = password
        self.run_state = run
        self.browser = Browser(run.port, source)
        self.random = random.Random(seed)  # noqa: S311 - choosing pages and delays, not secrets
        self.attempts: list[Attempt] = []
        self.signed_out = 0  # times a session was found ended: should stay 0
        self.failures_in_a_row = 0

    def alive(self) -> bool:
        return time.monotonic() < self.run_state.deadline

    def _backoff(self) -> None:
        self.failures_in_a_row += 1
        delay = min(1.0, 0.05 * 2 ** (self.failures_in_a_row - 1))
        time.sleep(delay * (0.5 + self.random.random()))

    def request(
        self, kind: str, method: str, path: str, fields: list[tuple[str, str]] | None = None
    ) -> tuple[Reply | None, Attempt]:
        """One request, recorded; ``None`` instead of a reply when the
        connection failed (then the member waits a little before going on)."""
        started = time.time()
        try:
            reply, opened = self.browser.send(method, path, fields)
        except ConnectionFailed as failure:
            attempt = Attempt(
                kind, started, time.time(), None, failure.kind, failure.connection_opened
            )
            self.attempts.append(attempt)
            self._backoff()
            return None, attempt
        attempt = Attempt(kind, started, time.time(), reply.status, None, opened)
        self.attempts.append(attempt)
        self.failures_in_a_row = 0
        return reply, attempt

    def page(self, kind: str, path: str, *, sign_in_again: bool = True) -> Reply | None:
        """GET ``path`` until it answers 200 (signing in again if the session
        ended), or ``None`` at the deadline."""
        while self.alive():
            reply, attempt = self.request(kind, "GET", path)
            if reply is None:
                continue
            if reply.status == 200:
                return reply
            if sign_in_again and reply.status in (302, 303) and "/login" in reply.location:
                attempt.error = "signed out"
                self.signed_out += 1
                self.sign_in()
                continue
            attempt.error = f"HTTP {reply.status} on {kind}"
            self._backoff()
        return None

    def sign_in(self) -> bool:
        """Sign in through the form; ``False`` if the deadline came first."""
        while self.alive():
            page = self.page("sign-in page", "/login", sign_in_again=False)
            if page is None:
                return False
            form = form_with(page.html, "password")
            if form is None:
                raise RuntimeError("the sign-in page has no password field")
            fields = [(n, v) for n, v in form.fields if n not in ("email", "password")]
            fields += [("email", self.email), ("password", self.password)]
            reply, attempt = self.request("sign-in", "POST", "/login", fields)
            if reply is None:
                continue
            if reply.status in (302, 303):
                return True
            attempt.error = f"HTTP {reply.status} on sign-in"
            self._backoff()
        return False


class Client(Member):
    """A member saving sections of random assessments until the deadline."""

    def __init__(
        self,
        name: str,
        email: str,
        password: str,
        source: str,
        run: Run,
        seed: int,
        assessments: list[str],
    ) -> None:
        super().__init__(name, email, password, source, run, seed)
        self.assessments = assessments
        self.saves: list[Save] = []
        self.sequence = 0
        self.retry: tuple[str, str, str] | None = None
        self.crashed: BaseException | None = None
        self.thread = threading.Thread(target=self.work, name=name, daemon=True)

    def work(self) -> None:
        try:
            if self.sign_in():
                while self.alive():
                    self.save_once()
        except BaseException as error:  # reported in the summary; the run must not hang
            self.crashed = error

    def _choose(self) -> tuple[str, str, str] | None:
        if self.retry is not None:
            chosen, self.retry = self.retry, None
            return chosen
        with self.run_state.lock:
            open_ = [a for a in self.assessments if a not in self.run_state.submitted]
        if not open_:
            return None
        section, question = self.random.choice(TARGETS)
        return self.random.choice(open_), section, question

    def _mark_submitted(self, assessment: str) -> None:
        with self.run_state.lock:
            self.run_state.submitted.add(assessment)

    def save_once(self) -> None:
        """Open a section, change its target answer to a new value, post it."""
        chosen = self._choose()
        if chosen is None:
            time.sleep(0.5)
            return
        assessment, section, question = chosen
        path = f"/assessments/{assessment}/sections/{section}"
        page = self.page("section page", path)
        if page is None:
            return
        if READ_ONLY_NOTICE in page.html:
            self._mark_submitted(assessment)
            return
        name = field_name(question)
        form = form_with(page.html, name)
        if form is None:
            raise RuntimeError(f"no field {name} on {path}")
        base = dict(form.fields).get("base_revision", "")
        self.sequence += 1
        value = f"{self.name}-{self.sequence:05d}"
        fields = [(n, v) for n, v in form.fields if n != name]
        fields += [(name, value), ("action", "continue")]
        clock = time.monotonic()
        reply, attempt = self.request("save", "POST", path, fields)
        seconds = time.monotonic() - clock if reply is not None else None
        if reply is None:
            outcome, status = FAILED, None
            self.retry = chosen  # the same section again, with a new value
        elif reply.status in (302, 303):
            outcome, status = ACKNOWLEDGED, reply.status
        elif reply.status == 409 and SUBMITTED_NOTICE in reply.html:
            outcome, status = REFUSED_SUBMITTED, 409
            self._mark_submitted(assessment)
        elif reply.status == 409 and CONFLICT_NOTICE in reply.html:
            outcome, status = CONFLICT, 409
        else:
            outcome, status = FAILED, reply.status
            attempt.error = f"HTTP {reply.status} on save"
        self.saves.append(
            Save(
                client=self.name,
                assessment=assessment,
                section=section,
                question=question,
                value=value,
                base_revision=int(base) if base.isdigit() else -1,
                started=attempt.started,
                ended=attempt.ended,
                seconds=seconds,
                outcome=outcome,
                status=status,
            )
        )


class Submitter(Member):
    """A member who submits an assessment when the driver says so."""

    def submit(self, assessment: str, barrier: threading.Barrier) -> int | None:
        """Open the submission's confirmation page, wait at ``barrier``, post
        its form; the reply's status (``None`` without one)."""
        action = f"/assessments/{assessment}/submit"
        confirm = self.page("submit confirmation page", action)
        forms = [f for f in read_forms(confirm.html) if f.action == action] if confirm else []
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            return None
        if not forms:
            return None
        reply, attempt = self.request("submit", "POST", action, forms[0].fields)
        if reply is None:
            return None
        if reply.status not in (302, 303, 409):
            attempt.error = f"HTTP {reply.status} on submit"
        return reply.status


def double_submit(submitters: tuple[Submitter, Submitter], assessment: str) -> list[int | None]:
    """Both submitters submit ``assessment`` at the same moment."""
    barrier = threading.Barrier(2)
    statuses: list[int | None] = [None, None]

    def one(index: int) -> None:
        statuses[index] = submitters[index].submit(assessment, barrier)

    threads = [threading.Thread(target=one, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 40)
    return statuses


# --------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alive_pid(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class Server:
    """gunicorn with the repository's ``gunicorn.conf.py``, in its own process
    group so that the master and its workers can be killed together.
    ``target`` is the WSGI app gunicorn serves (it must answer ``GET /login``)."""

    def __init__(self, port: int, env: dict[str, str], log: Path, target: str = "app:app") -> None:
        self.port = port
        self.env = env
        self.log = log
        self.target = target
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start gunicorn and wait until it answers; the time it did (wall clock)."""
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(  # noqa: S603 - gunicorn of this checkout, our own target
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", self.target],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited while starting; see {self.log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/login")
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return time.time()
            except (http.client.HTTPException, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer on port {self.port}; see {self.log}")

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the server is not running")
        return self.process.pid

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except FileNotFoundError:
            return []

    def kill_worker(self) -> Fault:
        """``kill -9`` one worker; returns once the master has started another."""
        before = self.workers()
        if not before:
            raise RuntimeError("no gunicorn worker to kill")
        victim = before[0]
        at = time.time()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            now = self.workers()
            if victim not in now and len(now) >= len(before):
                return Fault("worker", at, time.time(), [victim])
            time.sleep(0.02)
        raise RuntimeError("gunicorn did not replace the killed worker")

    def kill_all_and_restart(self) -> Fault:
        """``kill -9`` the master and every worker at once, then start again."""
        pids = [self.pid, *self.workers()]
        at = time.time()
        os.killpg(self.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()
        deadline = time.monotonic() + START_LIMIT
        while any(_alive_pid(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.01)
        ready = self.start()
        return Fault("server", at, ready, pids)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.process.wait()


# --------------------------------------------------------------------------
# Set-up


@dataclass(frozen=True, slots=True)
class Setup:
    password: str
    clients: list[str]  # e-mail addresses
    submitters: list[str]
    assessments: list[str]  # uuids


def prepare_database(kind: str, url: str, reset: bool) -> Engine:
    """A migrated, empty database.  Raises ``SystemExit`` for a PostgreSQL
    database that has tables, unless ``reset``."""
    engine = make_engine(url)
    if kind == "postgresql":
        if engine.dialect.name != "postgresql":
            shown = engine.url.render_as_string(hide_password=True)
            raise SystemExit(f"--database-url is not a PostgreSQL URL: {shown}")
        if inspect(engine).get_table_names():
            if not reset:
                raise SystemExit(
                    "the PostgreSQL database has tables: give --reset to drop its "
                    "public schema, or name an empty database"
                )
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


def populate(engine: Engine, clients: int, assessments: int) -> Setup:
    """The organisation, its members and complete draft assessments, made
    through the application's services.  Raises ``SystemExit`` if the example
    no longer has the text questions the clients change."""
    banks = load_banks(DEFAULT_BANK_DIR)
    document = load_exchange(DEMO_FILE.read_bytes(), banks)
    bank = banks.get(document.bank_id, document.bank_version)
    visibility = resolve(bank, {a.question_id: a.value for a in document.answers})
    if visibility.missing_required():
        raise SystemExit(f"{DEMO_FILE.name} is not complete: it could not be submitted")
    for section, question in TARGETS:
        progress = visibility.section_progress(section)
        shown = {q.id: q for q in progress.visible} if progress else {}
        if question not in shown or shown[question].type not in TEXT_TYPES:
            raise SystemExit(f"{question} is not a text question shown in {section}")
    password = secrets.token_urlsafe(24)
    emails = [f"client{i:02d}@{EMAIL_DOMAIN}" for i in range(clients)]
    submitter_emails = [f"submitter{i}@{EMAIL_DOMAIN}" for i in (1, 2)]
    with transaction(make_session_factory(engine)) as session:
        owner = create_organisation_with_user(
            session, "Load test", "Owner", f"owner@{EMAIL_DOMAIN}", password
        )
        for email in emails + submitter_emails:
            add_user(session, owner.organisation, email.partition("@")[0], email, password)
        uuids = []
        for _ in range(assessments):
            imported = import_document(session, owner.organisation, document, owner)
            uuids.append(imported.uuid)
    return Setup(password, emails, submitter_emails, uuids)


# --------------------------------------------------------------------------
# The check


@dataclass(slots=True)
class Check:
    saves_stored: int = 0
    acknowledged_stored: int = 0
    stored_without_reply: int = 0  # committed, then the connection failed
    lost: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    refused_but_stored: list[str] = field(default_factory=list)
    unmatched_events: list[str] = field(default_factory=list)
    revision_problems: list[str] = field(default_factory=list)
    submit_problems: list[str] = field(default_factory=list)
    other_problems: list[str] = field(default_factory=list)
    integrity: str = "not applicable"


@dataclass(slots=True)
class Event:
    id: int
    assessment_id: int
    user_id: int | None
    at: float
    revision: int
    action: str
    detail: str


@dataclass(slots=True)
class Database:
    """What the database holds after the run, read once."""

    user_ids: dict[str, int]  # e-mail -> id
    assessments: dict[str, Assessment]  # uuid -> row
    events: list[Event]  # in the order they were written
    records: dict[tuple[int, str], AnswerRecord]  # (assessment id, question) -> the answer


def read_database(engine: Engine) -> Database:
    with make_session_factory(engine)() as session:
        events = [
            Event(
                e.id,
                e.assessment_id,
                e.user_id,
                as_utc(e.at).timestamp(),
                e.revision,
                e.action,
                e.detail,
            )
            for e in session.scalars(select(AssessmentEvent).order_by(AssessmentEvent.id))
        ]
        targets = [question for _, question in TARGETS]
        return Database(
            user_ids={u.email: u.id for u in session.scalars(select(User))},
            assessments={a.uuid: a for a in session.scalars(select(Assessment))},
            events=events,
            records={
                (r.assessment_id, r.question_id): r
                for r in session.scalars(
                    select(AnswerRecord).where(AnswerRecord.question_id.in_(targets))
                )
            },
        )


def match_events(
    db: Database,
    saves: list[Save],
    submit_attempts: dict[str, list[Attempt]],
    client_emails: dict[str, str],
    result: Check,
) -> tuple[dict[int, Event], dict[int, list[Event]]]:
    """Each "answers saved" event's save (by ``id(save)``) and each
    assessment's "submitted" events.  An event belongs to the request of its
    member whose time span holds the event's time: a member's requests never
    overlap, and the event is written while its request is being answered."""
    windows: dict[int, list[tuple[float, float, Save | Attempt]]] = defaultdict(list)
    for save in saves:
        windows[db.user_ids[client_emails[save.client]]].append((save.started, save.ended, save))
    for email, attempts in submit_attempts.items():
        for attempt in attempts:
            windows[db.user_ids[email]].append((attempt.started, attempt.ended, attempt))
    for spans in windows.values():
        spans.sort(key=lambda span: span[0])
    stored: dict[int, Event] = {}
    submitted: dict[int, list[Event]] = defaultdict(list)
    for event in db.events:
        if event.action not in ("answers saved", SUBMIT_EVENT):
            continue
        spans = windows.get(event.user_id or -1, [])
        index = bisect.bisect_right([span[0] for span in spans], event.at) - 1
        owner = spans[index][2] if index >= 0 and event.at <= spans[index][1] else None
        if event.action == SUBMIT_EVENT:
            submitted[event.assessment_id].append(event)
            if not isinstance(owner, Attempt):
                result.unmatched_events.append(f"submitted event {event.id}")
        elif not isinstance(owner, Save):
            result.unmatched_events.append(f"answers saved event {event.id}")
        else:
            if id(owner) in stored:
                result.other_problems.append(f"two events for one save (event {event.id})")
            stored[id(owner)] = event
            if event.detail != f"section {owner.section}: 1 answers":
                result.other_problems.append(f"event {event.id}: {event.detail}")
    return stored, submitted


def check_saves(saves: list[Save], stored: dict[int, Event], result: Check) -> None:
    """Each save against what it was told: acknowledged ones stored, refused
    ones not; one whose reply was lost may be either."""
    for save in saves:
        found = stored.get(id(save))
        label = f"{save.value} ({save.assessment[:8]} {save.question})"
        if found is not None:
            result.saves_stored += 1
        if save.outcome == ACKNOWLEDGED:
            if found is None:
                result.lost.append(f"{label}: acknowledged, never stored")
            else:
                result.acknowledged_stored += 1
        elif save.outcome == FAILED and save.status is None and found is not None:
            result.stored_without_reply += 1
        elif found is not None:
            result.refused_but_stored.append(f"{label}: {save.outcome}, stored")


def check_answers(db: Database, saves: list[Save], stored: dict[int, Event], result: Check) -> None:
    """Each answer's stored saves, in revision order, form a chain in which
    every save had seen the one before (its form was loaded at or after that
    one's revision); the answer holds the last one's value."""
    chains: dict[tuple[str, str], list[tuple[Event, Save]]] = defaultdict(list)
    for save in saves:
        if id(save) in stored:
            chains[(save.assessment, save.question)].append((stored[id(save)], save))
    for uuid, assessment in db.assessments.items():
        for _, question in TARGETS:
            chain = sorted(chains.get((uuid, question), []), key=lambda pair: pair[0].revision)
            for (before, earlier), (_, later) in itertools.pairwise(chain):
                if later.base_revision < before.revision and earlier.outcome == ACKNOWLEDGED:
                    result.lost.append(
                        f"{earlier.value}: overwritten by {later.value}, whose form was "
                        f"loaded at revision {later.base_revision}, before it was stored "
                        f"at {before.revision}"
                    )
            record = db.records.get((assessment.id, question))
            if not chain:  # unanswered or as imported (revision 1)
                if record is not None and record.revision != 1:
                    result.other_problems.append(f"{uuid[:8]} {question} changed by no save")
                continue
            last_event, last = chain[-1]
            if record is None or record.value != last.value:
                values = [save.value for _, save in chain]
                held = record.value if record is not None else None
                position = values.index(held) if held in values else -1
                what = "an older value" if position >= 0 else "a value no save wrote"
                for _, save in chain[position + 1 :]:
                    if save.outcome == ACKNOWLEDGED:
                        result.lost.append(f"{save.value}: the answer holds {what}")
            elif record.revision != last_event.revision:
                result.other_problems.append(
                    f"{last.value}: stored under revision {record.revision}, "
                    f"its event says {last_event.revision}"
                )


def check_submissions(
    db: Database, submitted: dict[int, list[Event]], races: list[SubmitRace], result: Check
) -> None:
    """One "submitted" event per submitted assessment, no save after it (by
    event order, revision or time), and one 302 and one 409 per double submit."""
    for assessment in db.assessments.values():
        submits = submitted.get(assessment.id, [])
        name = assessment.uuid[:8]
        if assessment.submitted_at is None:
            if submits:
                result.submit_problems.append(f"{name}: submitted event, not submitted")
            continue
        submitted_at = as_utc(assessment.submitted_at).timestamp()
        if len(submits) != 1:
            result.submit_problems.append(f"{name}: {len(submits)} submitted events")
        if not submits:
            continue
        first = submits[0]
        for event in db.events:
            if (
                event.assessment_id == assessment.id
                and event.action == "answers saved"
                and (
                    event.id > first.id
                    or event.revision >= first.revision
                    or event.at > submitted_at
                )
            ):
                result.late.append(f"event {event.id} of {name}")
        for (assessment_id, question), record in db.records.items():
            changed = as_utc(record.updated_at).timestamp()
            if assessment_id == assessment.id and changed > submitted_at:
                result.late.append(f"{name} {question} changed after submission")
    for race in races:
        if sorted(s or 0 for s in race.statuses) not in ([302, 409], [303, 409]):
            result.submit_problems.append(f"{race.assessment[:8]}: replies {race.statuses}")
        if db.assessments[race.assessment].submitted_at is None:
            result.submit_problems.append(f"{race.assessment[:8]}: not submitted")


def check_revisions(db: Database, result: Check) -> None:
    """One revision, one content: each assessment's events count up by one."""
    by_id = {a.id: a for a in db.assessments.values()}
    revisions: dict[int, list[int]] = defaultdict(list)
    for event in db.events:
        revisions[event.assessment_id].append(event.revision)
    for assessment_id, numbers in revisions.items():
        assessment = by_id[assessment_id]
        if sorted(numbers) != list(range(1, assessment.revision + 1)):
            repeated = [r for r, n in Counter(numbers).items() if n > 1]
            result.revision_problems.append(
                f"{assessment.uuid[:8]}: revision {assessment.revision}, "
                f"{len(numbers)} events, repeated {repeated}"
            )


def check_sqlite_file(engine: Engine, result: Check) -> None:
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return
    with contextlib.closing(sqlite3.connect(engine.url.database)) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchall()
        foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
    verdict = ", ".join(str(row[0]) for row in integrity)
    result.integrity = f"integrity_check: {verdict}; foreign_key_check: {len(foreign)} rows"
    if verdict != "ok" or foreign:
        result.other_problems.append(result.integrity)


def check_database(
    engine: Engine,
    saves: list[Save],
    submit_attempts: dict[str, list[Attempt]],
    races: list[SubmitRace],
    client_emails: dict[str, str],
) -> Check:
    """Every save and submission against what the database holds (see the
    module's docstring for what counts as lost and late)."""
    result = Check()
    db = read_database(engine)
    stored, submitted = match_events(db, saves, submit_attempts, client_emails, result)
    check_saves(saves, stored, result)
    check_answers(db, saves, stored, result)
    check_submissions(db, submitted, races, result)
    check_revisions(db, result)
    check_sqlite_file(engine, result)
    return result


# --------------------------------------------------------------------------
# The run


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (0-1) of ``values``, nearest-rank."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def in_fault(attempt: Attempt, faults: list[Fault]) -> bool:
    """Whether a failed request is explained by a kill: it failed while the
    server was down, or on a connection opened before a kill."""
    for fault in faults:
        if fault.kind == "server" and fault.at <= attempt.ended <= fault.ready:
            return True
        opened = attempt.connection_opened
        if opened is not None and opened <= fault.at <= attempt.ended:
            return True
    return False


def schedule(duration: float, submits: int) -> list[tuple[float, str]]:
    """When the driver acts, in seconds from the start: the worker kill at
    1/3, the server kill at 2/3 and the submissions spread between and around
    them, away from the kills."""
    actions = [(duration / 3, "kill worker"), (2 * duration / 3, "kill server")]
    for index in range(submits):
        actions.append(((index + 0.5) / submits * duration, f"submit {index}"))
    nudged = []
    for at, action in actions:
        if action.startswith("submit"):
            for kill_at in (duration / 3, 2 * duration / 3):
                if abs(at - kill_at) < 3:
                    at = kill_at + 3 if at >= kill_at else kill_at - 3
        nudged.append((at, action))
    return sorted(nudged)


def summarise(
    args: argparse.Namespace,
    clients: list[Client],
    submitters: tuple[Submitter, Submitter],
    faults: list[Fault],
    races: list[SubmitRace],
    check: Check,
    started: float,
    ended: float,
) -> dict[str, Any]:
    everyone: list[Member] = [*clients, *submitters]
    attempts = [a for c in everyone for a in c.attempts]
    saves = [s for c in clients for s in c.saves]
    failed = [a for a in attempts if a.error is not None]
    answered = [s.seconds for s in saves if s.seconds is not None]
    outcomes = Counter(s.outcome for s in saves)
    latency = (
        {
            "p50": percentile(answered, 0.50),
            "p95": percentile(answered, 0.95),
            "p99": percentile(answered, 0.99),
            "max": max(answered),
            "mean": statistics.fmean(answered),
        }
        if answered
        else {}
    )
    return {
        "database": args.database,
        "clients": len(clients),
        "duration_seconds": round(ended - started, 1),
        "requests": len(attempts),
        "requests_by_kind": dict(Counter(a.kind for a in attempts)),
        "errors": len(failed),
        "errors_by_kind": dict(Counter(a.error for a in failed if a.error)),
        "errors_outside_faults": dict(
            Counter(a.error for a in failed if a.error and not in_fault(a, faults))
        ),
        "signed_out": sum(c.signed_out for c in everyone),
        "saves": len(saves),
        "saves_by_outcome": dict(outcomes),
        "saves_per_second": round(outcomes[ACKNOWLEDGED] / (ended - started), 1),
        "save_latency_ms": {k: round(v * 1000, 1) for k, v in latency.items()},
        "saves_stored": check.saves_stored,
        "acknowledged_stored": check.acknowledged_stored,
        "stored_without_reply": check.stored_without_reply,
        "lost": len(check.lost),
        "late": len(check.late),
        "refused_but_stored": len(check.refused_but_stored),
        "faults": [
            {
                "kind": f.kind,
                "at_second": round(f.at - started, 1),
                "back_after_seconds": round(f.ready - f.at, 2),  # a new worker / answering
                "pids": f.pids,
            }
            for f in faults
        ],
        "double_submits": [
            {
                "assessment": r.assessment[:8],
                "at_second": round(r.at, 1),
                "replies": r.statuses,
                "saves_in_flight": dict(
                    Counter(
                        s.outcome
                        for s in saves
                        if s.assessment == r.assessment
                        and s.started <= r.window[1]
                        and s.ended >= r.window[0]
                    )
                ),
            }
            for r in races
        ],
        "integrity": check.integrity,
        "problems": {
            "lost": check.lost[:20],
            "late": check.late[:20],
            "refused_but_stored": check.refused_but_stored[:20],
            "unmatched_events": check.unmatched_events[:20],
            "revisions": check.revision_problems[:20],
            "submissions": check.submit_problems[:20],
            "other": check.other_problems[:20],
            "errors_outside_faults": [
                f"{a.kind} at {a.started - started:.2f}-{a.ended - started:.2f} s: {a.error}, "
                + (
                    f"connection opened at {a.connection_opened - started:.2f} s"
                    if a.connection_opened is not None
                    else "new connection"
                )
                for a in failed
                if not in_fault(a, faults)
            ][:20],
        },
        "client_crashes": [f"{c.name}: {c.crashed!r}" for c in clients if c.crashed],
    }


def print_summary(summary: dict[str, Any]) -> None:
    def line(label: str, value: object) -> None:
        print(f"{label:<34} {value}")

    print(
        f"\nLoad and faults on {summary['database']}: {summary['clients']} clients, "
        f"{summary['duration_seconds']} s, gunicorn 2 workers x 4 threads"
    )
    line("requests", f"{summary['requests']} {summary['requests_by_kind']}")
    line("errors (no reply or unexpected)", f"{summary['errors']} {summary['errors_by_kind']}")
    line("  of them not explained by a kill", summary["errors_outside_faults"] or 0)
    line("sessions found signed out", summary["signed_out"])
    line("saves posted", summary["saves"])
    for outcome, count in summary["saves_by_outcome"].items():
        line(f"  {outcome}", count)
    line("acknowledged saves per second", summary["saves_per_second"])
    latency = summary["save_latency_ms"]
    if latency:
        line(
            "save latency (replies), ms",
            f"p50 {latency['p50']}  p95 {latency['p95']}  p99 {latency['p99']}  "
            f"max {latency['max']}",
        )
    line("saves stored", summary["saves_stored"])
    line("  acknowledged and stored", summary["acknowledged_stored"])
    line("  stored, reply lost to a kill", summary["stored_without_reply"])
    line("refused but stored", summary["refused_but_stored"])
    line("LOST acknowledged saves", summary["lost"])
    line("LATE saves (after submission)", summary["late"])
    for fault in summary["faults"]:
        back = "a new worker started" if fault["kind"] == "worker" else "answering again"
        line(
            f"kill -9 {fault['kind']}",
            f"at {fault['at_second']} s; {back} {fault['back_after_seconds']} s later",
        )
    for race in summary["double_submits"]:
        line(
            "double submit",
            f"{race['assessment']} at {race['at_second']} s: replies {race['replies']}; "
            f"saves of it in flight {race['saves_in_flight'] or 0}",
        )
    for assessment in summary.get("submissions_not_run", []):
        line("double submit", f"{assessment}: not run, the run ended first")
    line("database check", summary["integrity"])
    for kind, problems in summary["problems"].items():
        for problem in problems:
            line(f"problem ({kind})", problem)
    for crash in summary["client_crashes"]:
        line("client crashed", crash)


@dataclass(slots=True)
class Timeline:
    """What the driver did during the run."""

    started: float = 0.0  # wall clock
    ended: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    races: list[SubmitRace] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # submissions the end came before


def drive(
    args: argparse.Namespace,
    server: Server,
    run: Run,
    clients: list[Client],
    submitters: tuple[Submitter, Submitter],
    to_submit: list[str],
) -> Timeline:
    """Start the clients, act on the schedule (double submits, kills), and
    wait for the clients to stop at the deadline."""
    timeline = Timeline()
    start = time.monotonic()
    run.deadline = start + args.duration
    timeline.started = time.time()
    for submitter in submitters:
        submitter.sign_in()
    for client in clients:
        client.thread.start()
    for at, action in schedule(args.duration, args.submits):
        time.sleep(max(0.0, start + at - time.monotonic()))
        print(f"{time.monotonic() - start:5.1f} s  {action}", flush=True)
        if action == "kill worker":
            timeline.faults.append(server.kill_worker())
        elif action == "kill server":
            timeline.faults.append(server.kill_all_and_restart())
        else:
            assessment = to_submit[int(action.split()[1])]
            before = [len(s.attempts) for s in submitters]
            statuses = double_submit(submitters, assessment)
            posts = [
                a
                for s, n in zip(submitters, before, strict=True)
                for a in s.attempts[n:]
                if a.kind == "submit"
            ]
            if not posts:  # the deadline came first (a slow restart on a busy machine)
                print(f"{action}: not run, the run ended first", flush=True)
                timeline.skipped.append(assessment)
                continue
            window = (min(p.started for p in posts), max(p.ended for p in posts))
            timeline.races.append(SubmitRace(assessment, statuses, at, window))
    for client in clients:
        client.thread.join(timeout=args.duration + REQUEST_TIMEOUT + 60)
    timeline.ended = time.time()
    return timeline


def run_benchmark(args: argparse.Namespace, folder: Path) -> int:
    """Set up, load, check, report; 1 if any check failed."""
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    print(f"Preparing {args.database} in {folder} ...", flush=True)
    engine = prepare_database(args.database, url, args.reset)
    try:
        setup = populate(engine, args.clients, args.assessments)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PORT": str(port),
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        for name in ("BIND", "WEB_CONCURRENCY", "REPORT_WORKERS"):
            env.pop(name, None)  # gunicorn.conf.py's own settings: 2 workers x 4 threads
        server = Server(port, env, folder / "gunicorn.log")
        server.start()
        print(f"gunicorn (pid {server.pid}) on 127.0.0.1:{port}; log {server.log}", flush=True)
        run = Run(port=port, deadline=float("inf"))
        clients = [
            Client(
                f"c{i:02d}",
                email,
                setup.password,
                f"127.0.1.{i + 1}",
                run,
                args.seed * 1000 + i,
                setup.assessments,
            )
            for i, email in enumerate(setup.clients)
        ]
        submitters = (
            Submitter("s1", setup.submitters[0], setup.password, "127.0.2.1", run, args.seed),
            Submitter("s2", setup.submitters[1], setup.password, "127.0.2.2", run, args.seed + 1),
        )
        try:
            timeline = drive(
                args, server, run, clients, submitters, setup.assessments[: args.submits]
            )
        finally:
            server.stop()
        saves = [s for c in clients for s in c.saves]
        submits = {s.email: [a for a in s.attempts if a.kind == "submit"] for s in submitters}
        emails = {c.name: c.email for c in clients}
        print("Checking every save against the database ...", flush=True)
        check = check_database(engine, saves, submits, timeline.races, emails)
    finally:
        engine.dispose()
    summary = summarise(
        args,
        clients,
        submitters,
        timeline.faults,
        timeline.races,
        check,
        timeline.started,
        timeline.ended,
    )
    summary["submissions_not_run"] = [a[:8] for a in timeline.skipped]
    print_summary(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    failed = (
        check.lost
        or check.late
        or check.refused_but_stored
        or check.unmatched_events
        or check.revision_problems
        or check.submit_problems
        or check.other_problems
        or summary["client_crashes"]
        or len(timeline.faults) != 2
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--database-url", help="PostgreSQL: postgresql+psycopg://...")
    parser.add_argument("--reset", action="store_true", help="drop the PostgreSQL schema first")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--assessments", type=int, default=10)
    parser.add_argument("--submits", type=int, default=3, help="assessments submitted twice")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if (args.database == "postgresql") != bool(args.database_url):
        parser.error("--database-url is needed with --database postgresql, and only then")
    if not 1 <= args.clients <= 250 or args.submits >= args.assessments or args.duration < 10:
        parser.error("1-250 clients, fewer submits than assessments, at least 10 seconds")
    folder = Path(tempfile.mkdtemp(prefix="load-and-fault-"))
    try:
        return run_benchmark(args, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
