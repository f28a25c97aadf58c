"""Several app servers on one PostgreSQL database and one Redis, with RQ
workers rendering the reports (REPORT_QUEUE=rq), started for real on
loopback: two gunicorn servers and one `flask --app app worker`.

- a report asked for on server A is rendered by the worker (not by either
  server) and served by server B;
- sign-in throttling counts attempts made on both servers together;
- killing the worker (and the process rendering for it) mid-render loses
  nothing: once a new worker runs, the report is rendered again and served;
- the worker renders at a lower CPU priority than this process;
- a sign-out on A ends the session on B.

Marked ``postgresql``: it runs in CI's PostgreSQL run (TEST_DATABASE_URL) and
fails there, never skips, when PostgreSQL or Redis cannot be reached (Redis:
TEST_MULTI_REDIS_URL, by default database 14 of the local server).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import Engine, select

from assessment.config import PROJECT_ROOT
from assessment.db import make_session_factory, transaction
from assessment.engine.document import load_document
from assessment.models import Organisation, User
from assessment.report.queue import QUEUE_NAME
from assessment.services.assessments import import_document
from tests.conftest import CSRF_RE, TEST_PASSWORD
from tests.helpers import BANK
from tests.test_serve import _free_port, _wait_for_port
from tests.test_workflow import EXAMPLE

pytestmark = pytest.mark.postgresql

REDIS_URL = os.environ.get("TEST_MULTI_REDIS_URL", "redis://127.0.0.1:6379/14")
LIMIT_SECONDS = 90.0  # a bound on waits for renders and processes, not a speed expectation
EMAIL = "ana@example.org"


class Processes:
    """The servers and workers this test starts, stopped at the end."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, command: list[str], **env: str) -> subprocess.Popen[bytes]:
        with (self.folder / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env={**self.env, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def server(self, name: str) -> str:
        port = _free_port()
        self.start(
            name,
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:app"],
            PORT=str(port),
        )
        return f"http://127.0.0.1:{port}"

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        return self.start(name, [sys.executable, "-m", "flask", "--app", "app", "worker"])

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                with_children(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with_children(process.pid, signal.SIGKILL)
                process.wait()


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def with_children(pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to ``pid`` and to its children (RQ's work horse runs in a
    process group of its own)."""
    for target in [*children(pid), pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, sig)


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def queue_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # fails the test when Redis cannot be reached
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def processes(
    tmp_path: Path, database_url: str, clean_db: Engine, queue_redis: redis.Redis
) -> Iterator[Processes]:
    assert clean_db.dialect.name == "postgresql"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REPORT_QUEUE": "rq",
        "INSTANCE_PATH": str(tmp_path / "instance"),  # shared: the signing key, the store
        "SECRET_KEY": secrets.token_urlsafe(32),  # the same on every server
        "WEB_CONCURRENCY": "1",
    }
    for name in ("BIND", "REPORT_STORE_DIR", "RATELIMIT_STORAGE_URI", "REPORT_WAIT_SECONDS"):
        env.pop(name, None)
    started = Processes(tmp_path, env)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def new_client() -> Iterator[Callable[[], httpx.Client]]:
    """HTTP clients (each with its own cookies), closed at the end."""
    made: list[httpx.Client] = []

    def make() -> httpx.Client:
        made.append(httpx.Client(timeout=60, follow_redirects=False))
        return made[-1]

    yield make
    for client in made:
        client.close()


def _token(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _post(client: httpx.Client, base: str, path: str, data: dict[str, str]) -> httpx.Response:
    token = _token(client.get(f"{base}{path}").text)
    return client.post(f"{base}{path}", data={**data, "csrf_token": token})


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + LIMIT_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.2)


def _import_assessment(engine: Engine) -> str:
    with transaction(make_session_factory(engine)) as session:
        organisation = session.scalars(select(Organisation)).one()
        user = session.scalars(select(User)).one()
        document = load_document(EXAMPLE.read_bytes(), BANK)
        return import_document(session, organisation, document, user).uuid


def test_two_servers_one_worker(
    processes: Processes,
    clean_db: Engine,
    queue_redis: redis.Redis,
    tmp_path: Path,
    new_client: Callable[[], httpx.Client],
) -> None:
    a, b = processes.server("a"), processes.server("b")
    worker = processes.worker("worker")
    for base, name in ((a, "a"), (b, "b")):
        port = int(base.rsplit(":", 1)[1])
        _wait_for_port(port, processes.started[0 if name == "a" else 1])
    ana = new_client()
    signed_up = _post(
        ana,
        a,
        "/signup",
        {"organisation": "Watchdog", "name": "Ana", "email": EMAIL, "password": TEST_PASSWORD},
    )
    assert signed_up.status_code == 302, signed_up.text[:500]
    assessment_id = _import_assessment(clean_db)
    full = f"/assessments/{assessment_id}/report.pdf"
    store = tmp_path / "instance" / "report-cache" / assessment_id

    # Asked for on A: A does not render it (it waits one second, then says "being prepared")
    first = ana.get(f"{a}{full}")
    assert first.status_code == 202
    assert first.headers["Retry-After"]
    served: dict[str, bytes] = {}

    def served_by(server: str, url: str, edition: str) -> Callable[[], bool]:
        """Whether ``server`` now serves the PDF at ``url`` (kept in ``served``)."""

        def asked() -> bool:
            reply = ana.get(f"{server}{url}")  # the same session cookie: one sign-in for both
            assert reply.status_code in (200, 202), reply.status_code
            if reply.status_code == 200:
                served[edition] = reply.content
            return reply.status_code == 200

        return asked

    _until(served_by(b, full, "full"), "the full report on server B")
    assert served["full"].startswith(b"%PDF-")
    (stored,) = store.glob("*-full-*.pdf")
    assert stored.read_bytes() == served["full"]
    assert f"report-{assessment_id}" in processes.log("worker")  # the worker rendered it
    for server in ("a", "b"):
        assert "report-" not in processes.log(server)

    # The worker runs, and renders, at a lower priority than this process.
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) > mine or mine == 19

    # Killed mid-render (the worker and the process rendering for it): nothing is lost.
    public = f"{full}?edition=public"
    assert ana.get(f"{b}{public}").status_code == 202
    _until(lambda: bool(queue_redis.keys("ria:render-alive:*")), "the public render to start")
    horses = children(worker.pid)
    assert horses, "the worker renders in a process of its own"
    assert all(os.getpriority(os.PRIO_PROCESS, pid) > mine or mine == 19 for pid in horses)
    with_children(worker.pid, signal.SIGKILL)
    worker.wait()
    _until(lambda: not any(_running(pid) for pid in horses), "the killed render to end")
    assert not list(store.glob("*-public-*.pdf"))
    assert queue_redis.keys(f"rq:job:report-{assessment_id}*")  # left "started" by the dead
    processes.worker("worker2")

    _until(served_by(a, public, "public"), "the public report rendered again")
    assert served["public"].startswith(b"%PDF-")
    assert "abandoned" in processes.log("a") + processes.log("b")
    assert f"report-{assessment_id}" in processes.log("worker2")
    assert QUEUE_NAME == "reports"
    assert queue_redis.llen(f"rq:queue:{QUEUE_NAME}") == 0

    # Throttling counts across both servers: 10 wrong passwords for one account
    # in 15 minutes, five on each, and the eleventh is refused on either.
    stranger = new_client()
    wrong = {"email": "target@example.org", "password": "not the password"}
    for attempt in range(10):
        reply = _post(stranger, (a, b)[attempt % 2], "/login", wrong)
        assert reply.status_code == 200, (attempt, reply.status_code)
        assert "wrong" in reply.text
    for base in (a, b):
        assert _post(stranger, base, "/login", wrong).status_code == 429

    # A sign-out on A ends the session on B.
    assert ana.get(f"{b}{full}").status_code == 200
    token = _token(ana.get(f"{a}/").text)
    cookie = ana.cookies.get("session")
    assert ana.post(f"{a}/logout", data={"csrf_token": token}).status_code == 302
    replay = new_client()
    replay.cookies.set("session", cookie or "")
    after = replay.get(f"{b}{full}")
    assert after.status_code == 302
    assert re.search(r"/login", after.headers["Location"])
